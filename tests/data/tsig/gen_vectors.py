#!/usr/bin/python3
"""Regenerates tests/unit/tsig_vectors.h: TSIG-signed messages made by
other implementations, for test_tsig.c to verify.

- requests signed by BIND's dig -y and Knot's kdig -y (captured on a UDP
  socket), one per HMAC algorithm;
- named's and knotd's signed answers to those requests;
- named's BADTIME (signed, its clock in Other Data) and BADKEY (unsigned)
  answers to requests made with dnspython;
- a multi-message AXFR from named (transfer-message-size 1024), every
  message signed;
- a stream signed by hand here (Python's hmac), with unsigned messages
  between the signed ones (RFC 8945 section 5.3.1);
- requests signed by dnspython with mixed-case key and algorithm names.

Run as root on a machine with bind9, knot, dig, kdig and dnspython:
  /usr/bin/python3 tests/data/tsig/gen_vectors.py > tests/unit/tsig_vectors.h
Uses 127.0.0.1 ports 15790-15792 and a temporary directory.
"""
import base64, hashlib, hmac, os, shutil, signal, socket, struct, subprocess
import sys, tempfile, time
import dns.message, dns.name, dns.query, dns.rcode, dns.rrset, dns.tsig, dns.tsigkeyring

CAP, NAMED, KNOT = 15790, 15791, 15792
ALGS = ["sha1", "sha224", "sha256", "sha384", "sha512"]
SIZES = {"sha1": 20, "sha224": 28, "sha256": 32, "sha384": 48, "sha512": 64}


def secret(tag, n):
    # deterministic, so the file only changes where messages do
    return base64.b64encode(hashlib.sha512(tag.encode()).digest()[:n]).decode()


KEYS = {}
for a in ALGS:
    KEYS["dig-%s.key._update.example.org" % a] = (a, secret("dig" + a, SIZES[a]))
    KEYS["kdig-%s.key._transfer.example.org" % a] = (a, secret("kdig" + a, SIZES[a]))
KEYS["py.key._notify.example.org"] = ("sha256", secret("py", 32))
KEYS["stream.key._transfer.example.org"] = ("sha256", secret("stream", 32))

tmp = tempfile.mkdtemp()
procs = []


def capture(cmd):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", CAP))
    s.settimeout(5)
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    data, _ = s.recvfrom(65535)
    p.kill()
    p.wait()
    s.close()
    return data


def udp(port, wire):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(wire, ("127.0.0.1", port))
    data, _ = s.recvfrom(65535)
    s.close()
    return data


def zone(path, extra=0):
    with open(path, "w") as f:
        f.write("$ORIGIN example.org.\n$TTL 300\n"
                "@ SOA ns1 hostmaster 2024010101 3600 600 86400 300\n"
                "@ NS ns1\nns1 A 192.0.2.1\nwww A 192.0.2.80\n")
        for i in range(extra):
            f.write("h%d A 198.51.100.%d\n" % (i, i % 256))


def wait_port(port, proto=socket.SOCK_DGRAM):
    q = dns.message.make_query("example.org", "SOA").to_wire()
    for _ in range(100):
        try:
            udp(port, q)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server on %d did not come up" % port)


def start_named():
    d = os.path.join(tmp, "named")
    os.mkdir(d)
    zone(os.path.join(d, "example.org.zone"), 120)
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write('options { directory "%s"; listen-on port %d { 127.0.0.1; };\n'
                'listen-on-v6 { none; }; pid-file none; recursion no;\n'
                'transfer-message-size 1024; };\ncontrols { };\n' % (d, NAMED))
        for n, (a, s) in KEYS.items():
            f.write('key "%s" { algorithm hmac-%s; secret "%s"; };\n' % (n, a, s))
        f.write('zone "example.org" { type primary; file "example.org.zone"; };\n')
    procs.append(subprocess.Popen(["named", "-g", "-c", os.path.join(d, "named.conf")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_port(NAMED)


def start_knot():
    d = os.path.join(tmp, "knot")
    os.mkdir(d)
    zone(os.path.join(d, "example.org.zone"))
    with open(os.path.join(d, "knot.conf"), "w") as f:
        f.write("server:\n  listen: 127.0.0.1@%d\n  rundir: %s\n" % (KNOT, d))
        f.write("database:\n  storage: %s\nkey:\n" % d)
        for n, (a, s) in KEYS.items():
            f.write("  - id: %s\n    algorithm: hmac-%s\n    secret: %s\n" % (n, a, s))
        f.write("acl:\n  - id: all\n    key: [%s]\n    action: [transfer, notify]\n"
                % ", ".join(KEYS))
        f.write("template:\n  - id: default\n    storage: %s\n    file: \"%%s.zone\"\n" % d)
        f.write("zone:\n  - domain: example.org\n    acl: all\n")
    procs.append(subprocess.Popen(["knotd", "-c", os.path.join(d, "knot.conf")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    wait_port(KNOT)


def c_bytes(b):
    lines = []
    for i in range(0, len(b), 16):
        lines.append("    " + " ".join("0x%02x," % x for x in b[i:i + 16]))
    return "\n".join(lines)


vec = []  # (label, kind, key name, alg, secret, now, messages...)


def emit(label, key, now, req, resps, flags=""):
    a, s = KEYS[key]
    vec.append((label, key, a, s, now, req, resps, flags))


try:
    start_named()
    start_knot()
    for a in ALGS:
        k = "dig-%s.key._update.example.org" % a
        req = capture(["dig", "-y", "hmac-%s:%s:%s" % (a, k, KEYS[k][1]),
                       "@127.0.0.1", "-p", str(CAP), "www.example.org", "A",
                       "+tries=1", "+time=1"])
        now = int(time.time())
        resp = udp(NAMED, req)
        emit("dig_%s" % a, k, now, req, [resp])
        k = "kdig-%s.key._transfer.example.org" % a
        req = capture(["kdig", "-y", "hmac-%s:%s:%s" % (a, k, KEYS[k][1]),
                       "@127.0.0.1", "-p", str(CAP), "example.org", "SOA",
                       "+retry=0", "+timeout=1"])
        now = int(time.time())
        resp = udp(KNOT, req)
        emit("kdig_%s" % a, k, now, req, [resp])

    # dnspython, mixed case in the key and algorithm names
    k = "py.key._notify.example.org"
    ring = dns.tsigkeyring.from_text({"Py.KEY._Notify.Example.ORG": ("HMAC-SHA256.", KEYS[k][1])})
    q = dns.message.make_query("www.example.org", "A")
    q.use_tsig(ring, keyname="Py.KEY._Notify.Example.ORG", algorithm="HMAC-SHA256.")
    req = q.to_wire()
    now = int(time.time())
    resp = udp(NAMED, req)
    emit("python_mixed_case", k, now, req, [resp])

    # BADTIME from named: signed 1000 s in the past
    ring = dns.tsigkeyring.from_text({k: ("hmac-sha256", KEYS[k][1])})
    q = dns.message.make_query("www.example.org", "A")
    q.use_tsig(ring, keyname=k, algorithm="hmac-sha256")
    q.request_hmac = b""
    # dnspython signs at to_wire time with time.time(): shift its clock
    real = time.time
    time.time = lambda: real() - 1000
    req = q.to_wire()
    time.time = real
    now = int(time.time()) - 1000  # the client's clock, for the response
    resp = udp(NAMED, req)
    emit("named_badtime", k, now, req, [resp], "badtime")

    # BADKEY from named: a key it does not know (same name, other secret
    # would be BADSIG; an unknown name is BADKEY)
    ring = dns.tsigkeyring.from_text({"unknown.key.": ("hmac-sha256", KEYS[k][1])})
    q = dns.message.make_query("www.example.org", "A")
    q.use_tsig(ring, keyname="unknown.key.", algorithm="hmac-sha256")
    req = q.to_wire()
    now = int(time.time())
    resp = udp(NAMED, req)
    KEYS["unknown.key"] = KEYS[k]
    emit("named_badkey", "unknown.key", now, req, [resp], "badkey")

    # AXFR over TCP: several messages from named, each signed; one
    # from knotd
    def axfr(port, k, a):
        ring = dns.tsigkeyring.from_text({k: ("hmac-" + a, KEYS[k][1])})
        q = dns.message.make_query("example.org", "AXFR")
        q.use_tsig(ring, keyname=k, algorithm="hmac-" + a)
        req = q.to_wire()
        now = int(time.time())
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(struct.pack("!H", len(req)) + req)
        # the servers keep the connection open: the stream ends when it
        # goes quiet
        s.settimeout(1.5)
        buf = b""
        while True:
            try:
                chunk = s.recv(65535)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
        s.close()
        msgs = []
        while buf:
            n = struct.unpack("!H", buf[:2])[0]
            msgs.append(buf[2:2 + n])
            buf = buf[2 + n:]
        return now, req, msgs

    k = "kdig-sha256.key._transfer.example.org"
    now, req, msgs = axfr(NAMED, k, "sha256")
    emit("named_axfr", k, now, req, msgs, "stream")
    k = "kdig-sha512.key._transfer.example.org"
    now, req, msgs = axfr(KNOT, k, "sha512")
    emit("knot_axfr", k, now, req, msgs, "stream")
finally:
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(5)
        except Exception:
            p.kill()
    shutil.rmtree(tmp, ignore_errors=True)


# A stream signed here: message 1 signed, 2 and 3 unsigned, 4 signed over
# 2, 3 and 4, 5 signed (RFC 8945 section 5.3.1), with Python's hmac.
def name_wire(n):
    return dns.name.from_text(n).canonicalize().to_wire()


def tsig_rr(key, alg, t, fudge, mac, oid, err=0, other=b""):
    rd = name_wire(alg) + struct.pack("!HIHH", t >> 32, t & 0xffffffff, fudge, len(mac)) + mac \
        + struct.pack("!HHH", oid, err, len(other)) + other
    return name_wire(key) + struct.pack("!HHIH", 250, 255, 0, len(rd)) + rd


def with_tsig(msg, rr):
    ar = struct.unpack("!H", msg[10:12])[0]
    return msg[:10] + struct.pack("!H", ar + 1) + msg[12:] + rr


k = "stream.key._transfer.example.org"
key = base64.b64decode(KEYS[k][1])
T = 1700000000
req_msg = dns.message.make_query("example.org", "AXFR")
req_msg.id = 0x1234
req_plain = req_msg.to_wire()
tv = name_wire(k) + struct.pack("!HI", 255, 0) + name_wire("hmac-sha256") + \
    struct.pack("!HIHHH", T >> 32, T & 0xffffffff, 300, 0, 0)
req_mac = hmac.new(key, req_plain + tv, hashlib.sha256).digest()
req = with_tsig(req_plain, tsig_rr(k, "hmac-sha256", T, 300, req_mac, 0x1234))


def body(i):
    r = dns.message.make_response(req_msg)
    r.question = [] if i > 0 else r.question

    r.answer.append(dns.rrset.from_text("h%d.example.org." % i, 300, "IN", "A", "192.0.2.%d" % i))
    return r.to_wire()


prior = req_mac
msgs = []
pending = b""
for i, signed in enumerate([True, False, False, True, True]):
    m = body(i)
    if not signed:
        msgs.append(m)
        pending += m
        continue
    d = struct.pack("!H", len(prior)) + prior + pending + m
    if i == 0:
        d += name_wire(k) + struct.pack("!HI", 255, 0) + name_wire("hmac-sha256") + \
            struct.pack("!HIHHH", T >> 32, T & 0xffffffff, 300, 0, 0)
    else:
        d += struct.pack("!HIH", T >> 32, T & 0xffffffff, 300)
    mac = hmac.new(key, d, hashlib.sha256).digest()
    msgs.append(with_tsig(m, tsig_rr(k, "hmac-sha256", T, 300, mac, 0x1234)))
    prior, pending = mac, b""
emit("python_stream_unsigned", k, T, req, msgs, "stream")

print("/* Generated by tests/data/tsig/gen_vectors.py: do not edit. */")
print("/* clang-format off */")
print("#include <stddef.h>\n#include <stdint.h>\n")
for label, key, a, s, now, req, resps, flags in vec:
    print("static const uint8_t v_%s_req[] = {\n%s\n};" % (label, c_bytes(req)))
    for i, r in enumerate(resps):
        print("static const uint8_t v_%s_resp%d[] = {\n%s\n};" % (label, i, c_bytes(r)))
print("\ntypedef struct tsig_msg {\n\tconst uint8_t *p;\n\tsize_t len;\n} tsig_msg;\n")
print("typedef struct tsig_vector {\n\tconst char *label, *key, *alg, *secret;\n"
      "\tuint64_t now;\n\tconst uint8_t *req;\n\tsize_t req_len;\n"
      "\tconst char *flags;\n\tsize_t nresp;\n\ttsig_msg resp[24];\n} tsig_vector;\n")
print("static const tsig_vector tsig_vectors[] = {")
for label, key, a, s, now, req, resps, flags in vec:
    rs = ", ".join("{v_%s_resp%d, sizeof v_%s_resp%d}" % (label, i, label, i) for i in range(len(resps)))
    print('    {"%s", "%s", "%s", "%s", %d, v_%s_req, sizeof v_%s_req, "%s", %d, {%s}},'
          % (label, key, a, s, now, label, label, flags, len(resps), rs))
print("};")
