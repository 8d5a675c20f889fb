#!/usr/bin/python3
"""Client side of the listener tests (net_udp.sh, net_tcp.sh).

Each subcommand checks one behaviour of dnsd's UDP or TCP listeners and
exits 0 when it holds, 1 (with the reason on stderr) when it does not.

    net_client.py CHECK HOST PORT [ARGS...]
    net_client.py zone FILE      (writes the zone the checks expect)

The zone served is the one net_udp.sh / net_tcp.sh write: example.test
with h0..h{N-1} A 10.0.i/256.i%256, and big TXT (about 2 KiB).
"""
import random
import select
import socket
import struct
import sys
import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.rcode
import dns.rdatatype

ZONE = "example.test."
HOSTS = 200  # h0..h199 exist


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def host_addr(i):
    return "10.0.%d.%d" % (i // 256, i % 256)


def query(name, rdtype="A", qid=None):
    q = dns.message.make_query(name, rdtype)
    q.flags &= ~dns.flags.RD
    if qid is not None:
        q.id = qid
    return q


def frame(wire):
    return struct.pack("!H", len(wire)) + wire


def check_host_answer(q, r, i):
    """r answers q (h<i> A): NOERROR, AA, the one address."""
    if r.id != q.id:
        fail("id %d answered as %d" % (q.id, r.id))
    if r.rcode() != dns.rcode.NOERROR:
        fail("h%d: rcode %s" % (i, dns.rcode.to_text(r.rcode())))
    if not r.flags & dns.flags.AA:
        fail("h%d: AA not set" % i)
    addrs = [rd.address for rr in r.answer for rd in rr
             if rr.rdtype == dns.rdatatype.A]
    if addrs != [host_addr(i)]:
        fail("h%d: answer %s, expected %s" % (i, addrs, host_addr(i)))


# ---- UDP -----------------------------------------------------------------

def udp_socket(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.connect((host, port))
    return s


def udp_many(host, port, count):
    """count queries for random h<i>, sent 32 at a time, every answer
    checked; a query lost on the way is retried once."""
    count = int(count)
    s = udp_socket(host, port)
    s.settimeout(2.0)
    done = 0
    rnd = random.Random(7)
    while done < count:
        batch = {}
        for _ in range(min(32, count - done)):
            i = rnd.randrange(HOSTS)
            q = query("h%d.%s" % (i, ZONE), qid=rnd.randrange(65536))
            while q.id in batch:
                q.id = rnd.randrange(65536)
            batch[q.id] = (q, i)
        for attempt in range(2):
            for q, _ in batch.values():
                s.send(q.to_wire())
            try:
                while batch:
                    r = dns.message.from_wire(s.recv(65535))
                    if r.id not in batch:
                        continue  # a late answer to the first attempt
                    q, i = batch.pop(r.id)
                    check_host_answer(q, r, i)
                    done += 1
            except socket.timeout:
                continue
        if batch:
            fail("%d queries unanswered twice" % len(batch))
    print("%d UDP queries answered correctly" % done)


def udp_expect_silence(s, wire, what):
    s.send(wire)
    r, _, _ = select.select([s], [], [], 1.0)
    if r:
        fail("%s got an answer" % what)


def udp_alive(s):
    q = query("h1." + ZONE)
    s.send(q.to_wire())
    s.settimeout(2.0)
    try:
        check_host_answer(q, dns.message.from_wire(s.recv(65535)), 1)
    except socket.timeout:
        fail("server no longer answers")


def udp_short(host, port):
    s = udp_socket(host, port)
    udp_expect_silence(s, query("h1." + ZONE).to_wire()[:11],
                       "an 11-octet datagram")
    udp_expect_silence(s, b"", "an empty datagram")
    udp_alive(s)


def udp_qr(host, port):
    s = udp_socket(host, port)
    q = query("h1." + ZONE)
    q.flags |= dns.flags.QR
    udp_expect_silence(s, q.to_wire(), "a QR=1 datagram")
    udp_alive(s)


def expect_rcode(host, port, opcode, rcode):
    """A request of that opcode gets that rcode, same id, QR set, the
    opcode echoed."""
    s = udp_socket(host, port)
    s.settimeout(2.0)
    q = query("h1." + ZONE, "SOA")
    q.set_opcode(int(opcode))
    if int(opcode) == dns.opcode.UPDATE:
        q = dns.message.make_query(ZONE, "SOA")  # zone section: the zone
        q.set_opcode(dns.opcode.UPDATE)
    s.send(q.to_wire())
    try:
        wire = s.recv(65535)
    except socket.timeout:
        fail("opcode %s: no answer" % opcode)
    # By hand: dnspython refuses to parse unassigned opcodes.
    if len(wire) < 12:
        fail("opcode %s: short response" % opcode)
    rid, flags = struct.unpack("!HH", wire[:4])
    if rid != q.id or not flags & dns.flags.QR:
        fail("opcode %s: bad response header" % opcode)
    if (flags >> 11) & 0xF != int(opcode):
        fail("opcode %s: answered with opcode %d" %
             (opcode, (flags >> 11) & 0xF))
    want = dns.rcode.from_text(rcode)
    if flags & 0xF != want:
        fail("opcode %s: rcode %s, expected %s" %
             (opcode, dns.rcode.to_text(flags & 0xF), rcode))


# ---- TCP -----------------------------------------------------------------

def tcp_connect(host, port, rcvbuf=None):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(3.0)
    s.connect((host, port))
    return s


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read(s):
    """One framed response, or None at EOF."""
    head = recv_exact(s, 2)
    if head is None:
        return None
    (n,) = struct.unpack("!H", head)
    body = recv_exact(s, n)
    if body is None:
        fail("connection closed inside a response")
    return dns.message.from_wire(body)


def tcp_expect_close(s, within, what):
    """The server closes s (EOF or reset) within `within` seconds;
    returns how long it took."""
    start = time.monotonic()
    s.settimeout(within)
    try:
        data = s.recv(65535)
    except socket.timeout:
        fail("%s: still open after %.1f s" % (what, within))
    except ConnectionResetError:
        data = b""
    if data:
        fail("%s: unexpected data" % what)
    return time.monotonic() - start


def tcp_ask(s, i, qid=None):
    q = query("h%d.%s" % (i, ZONE), qid=qid)
    s.sendall(frame(q.to_wire()))
    r = tcp_read(s)
    if r is None:
        fail("h%d: connection closed instead of an answer" % i)
    check_host_answer(q, r, i)


def tcp_pipeline(host, port, count):
    """count queries in one send, answered in order with matching ids."""
    s = tcp_connect(host, port)
    qs = [(query("h%d.%s" % (i, ZONE), qid=1000 + i), i)
          for i in range(int(count))]
    s.sendall(b"".join(frame(q.to_wire()) for q, _ in qs))
    for q, i in qs:
        r = tcp_read(s)
        if r is None:
            fail("closed after %d of %d answers" % (i, len(qs)))
        check_host_answer(q, r, i)
    s.close()


def tcp_split(host, port):
    """A query cut into pieces (the length octets too), the pieces sent
    apart; then two queries whose boundary falls inside a send."""
    s = tcp_connect(host, port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    q = query("h5." + ZONE, qid=4242)
    data = frame(q.to_wire())
    for piece in (data[:1], data[1:3], data[3:10], data[10:]):
        s.sendall(piece)
        time.sleep(0.05)
    r = tcp_read(s)
    if r is None:
        fail("split query: connection closed")
    check_host_answer(q, r, 5)
    q1, q2 = query("h6." + ZONE, qid=1), query("h7." + ZONE, qid=2)
    both = frame(q1.to_wire()) + frame(q2.to_wire())
    cut = len(frame(q1.to_wire())) + 5
    s.sendall(both[:cut])
    time.sleep(0.05)
    s.sendall(both[cut:])
    check_host_answer(q1, tcp_read(s), 6)
    check_host_answer(q2, tcp_read(s), 7)
    s.close()


def tcp_idle(host, port, timeout):
    """Without a request the server closes after about tcp-idle-timeout;
    a client asking now and then is not cut off."""
    timeout = float(timeout)
    s = tcp_connect(host, port)
    took = tcp_expect_close(s, timeout + 3.0, "idle connection")
    if took < timeout * 0.7:
        fail("idle connection closed after %.2f s, timeout is %.0f s" %
             (took, timeout))
    print("idle connection closed after %.2f s" % took)
    s = tcp_connect(host, port)
    for k in range(3):
        time.sleep(timeout * 0.6)
        tcp_ask(s, k)
    s.close()


def tcp_max_queries(host, port, limit):
    """limit answers then close, whether the queries come one by one or
    all in one send."""
    limit = int(limit)
    s = tcp_connect(host, port)
    for k in range(limit):
        tcp_ask(s, k)
    tcp_expect_close(s, 2.0, "after %d queries one by one" % limit)
    s = tcp_connect(host, port)
    qs = [query("h%d.%s" % (i, ZONE), qid=i) for i in range(limit + 3)]
    s.sendall(b"".join(frame(q.to_wire()) for q in qs))
    for i in range(limit):
        r = tcp_read(s)
        if r is None:
            fail("pipelined: closed after %d answers" % i)
        check_host_answer(qs[i], r, i)
    try:
        extra = tcp_read(s)
    except ConnectionResetError:
        extra = None
    if extra is not None:
        fail("pipelined: answer %d beyond the limit" % (limit + 1))


def tcp_max_clients(host, port, limit):
    """limit connections are served; one more is closed without an
    answer while the others still work; once one leaves, a new one is
    accepted."""
    limit = int(limit)
    conns = [tcp_connect(host, port) for _ in range(limit)]
    for k, s in enumerate(conns):
        tcp_ask(s, k)
    q = query("h1." + ZONE)
    # The refusal may already show in connect, or in the send or the read.
    try:
        extra = tcp_connect(host, port)
        extra.sendall(frame(q.to_wire()))
        r = tcp_read(extra)
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        r = None
    except socket.timeout:
        fail("connection %d: neither answered nor closed" % (limit + 1))
    if r is not None:
        fail("connection %d answered beyond tcp-max-clients" % (limit + 1))
    for k, s in enumerate(conns):
        tcp_ask(s, k + 10)
    conns[0].close()
    time.sleep(0.3)
    s = tcp_connect(host, port)
    tcp_ask(s, 20)


def tcp_slow_reader(host, port, timeout):
    """A client that floods queries and never reads is dropped (its
    pending output is bounded, it stops making progress) while another
    client, asking all along, is answered promptly."""
    timeout = float(timeout)
    slow = tcp_connect(host, port, rcvbuf=4096)
    slow.setblocking(False)
    other = tcp_connect(host, port)
    big = query("big." + ZONE, "TXT")
    blob = b"".join(frame(big.to_wire()) for _ in range(500))
    sent, asked, worst = 0, 0, 0.0
    start = time.monotonic()
    next_ask = start
    while True:
        now = time.monotonic()
        if now - start > timeout + 10.0:
            fail("slow reader still connected after %.1f s (%d octets "
                 "of queries sent)" % (now - start, sent))
        try:
            sent += slow.send(blob)
        except BlockingIOError:
            time.sleep(0.02)
        except (ConnectionResetError, BrokenPipeError):
            break
        if now >= next_ask:
            tcp_ask(other, asked % HOSTS)
            worst = max(worst, time.monotonic() - now)
            asked += 1
            next_ask = now + 0.2
    took = time.monotonic() - start
    if worst > 0.5:
        fail("the other client waited up to %.2f s" % worst)
    tcp_ask(other, 9)
    print("slow reader dropped after %.2f s (%d octets of queries sent); "
          "the other client got %d answers meanwhile, slowest %.3f s" %
          (took, sent, asked + 1, worst))


def write_zone(path):
    """The zone both scripts serve, written to path."""
    lines = [
        "$ORIGIN %s" % ZONE,
        "$TTL 300",
        "@ SOA ns1 hostmaster 1 3600 600 86400 300",
        "@ NS ns1",
        "ns1 A 127.0.0.1",
        "big TXT " + " ".join(['"%s"' % ("x" * 255)] * 8),
    ]
    lines += ["h%d A %s" % (i, host_addr(i)) for i in range(HOSTS)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


CHECKS = {
    "udp-many": udp_many,
    "udp-short": udp_short,
    "udp-qr": udp_qr,
    "rcode": expect_rcode,
    "tcp-pipeline": tcp_pipeline,
    "tcp-split": tcp_split,
    "tcp-idle": tcp_idle,
    "tcp-max-queries": tcp_max_queries,
    "tcp-max-clients": tcp_max_clients,
    "tcp-slow-reader": tcp_slow_reader,
}

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "zone":
        write_zone(sys.argv[2])
        sys.exit(0)
    if len(sys.argv) < 4 or sys.argv[1] not in CHECKS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    try:
        CHECKS[sys.argv[1]](sys.argv[2], int(sys.argv[3]), *sys.argv[4:])
    except (OSError, dns.exception.DNSException) as e:
        import traceback
        traceback.print_exc()
        fail("%s: %s" % (type(e).__name__, e))
