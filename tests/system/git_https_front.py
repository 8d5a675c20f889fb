#!/usr/bin/env python3
"""A small TLS front for tests/system/git_https.sh: git's smart HTTP
protocol over https on a loopback address, each request handed to
`git http-backend` as a CGI (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL; fetch
only, receive-pack stays off as http-backend has it without a user).

usage: git_https_front.py --port PORT --cert PEM --key PEM --root DIR
                          [--addr 127.0.0.1]
Logs one line a request, and "listening on ADDR:PORT" once bound, to
stderr. Stops on SIGTERM."""

import argparse
import http.server
import signal
import ssl
import subprocess
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dnsd-test-front"
    root = None
    backend = ["git", "http-backend"]

    def log_message(self, fmt, *args):
        sys.stderr.write("front: %s %s\n" % (self.address_string(), fmt % args))
        sys.stderr.flush()

    def body(self):
        """The request body: by Content-Length or chunked."""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return bytes(out)
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def cgi(self):
        path, _, query = self.path.partition("?")
        data = self.body()
        env = {
            "PATH": "/usr/bin:/bin",
            "GIT_PROJECT_ROOT": self.root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": self.server_version,
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_LENGTH": str(len(data)),
        }
        if self.headers.get("Content-Type"):
            env["CONTENT_TYPE"] = self.headers["Content-Type"]
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                env[key] = value
        p = subprocess.run(self.backend, input=data, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.stderr:
            sys.stderr.write("front: http-backend: %s\n"
                             % p.stderr.decode(errors="replace").strip())
        head, sep, payload = p.stdout.partition(b"\r\n\r\n")
        if not sep:
            head, sep, payload = p.stdout.partition(b"\n\n")
        if not sep:
            self.send_error(502, "http-backend said nothing usable")
            return
        status, headers = 200, []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_HEAD = cgi


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a client that refuses the certificate ends the handshake: one
        # line, not a traceback
        sys.stderr.write("front: %s: %s\n" % (client_address[0],
                                              sys.exc_info()[1]))
        sys.stderr.flush()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--root", required=True)
    a = ap.parse_args()
    Handler.root = a.root
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    srv = Server((a.addr, a.port), Handler)
    # the handshake in the request's thread, not in accept()
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True,
                                 do_handshake_on_connect=False)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.stderr.write("listening on %s:%d\n" % (a.addr, a.port))
    sys.stderr.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
