#!/usr/bin/python3
"""UPDATE messages nsupdate cannot send, for update_bind.sh.

Each case builds one RFC 2136 message byte by byte (RDATA from dnspython's
text parser), signs it with Python's hmac (RFC 8945 section 4.2, the time
and the MAC under our control), sends the very same octets over TCP to
every port given and prints one word per port on one line:
RCODE, or RCODE/TSIG-ERROR when the answer carries a TSIG whose error is
not 0 (NOTAUTH/BADTIME), or NONE when no answer came.

usage: update_bind.py ZONE KEYNAME:SECRET OTHERNAME:OTHERSECRET CASE PORT...
CASE is one of CASES below, or
  big:N              N A records at one name (big)
  names:N            one A record at each of N new names
  save:PATH:CASE     CASE, its octets also written to PATH
  file:PATH          the octets in PATH (a replay)
"""
import base64, hashlib, hmac, socket, struct, sys, time
import dns.name, dns.rcode, dns.rdata, dns.rdatatype

ZONE = dns.name.from_text(sys.argv[1]).to_text()
KEY = sys.argv[2].split(":", 1)
OTHER = sys.argv[3].split(":", 1)
CASE = sys.argv[4]
PORTS = [int(p) for p in sys.argv[5:]]

IN, CH, NONE, ANY = 1, 3, 254, 255
T = dns.rdatatype.from_text


def wire_name(text):
    return dns.name.from_text(text, dns.name.from_text(ZONE)).to_wire()


def rdata(rtype, text):
    rd = dns.rdata.from_text(IN, T(rtype), text, origin=dns.name.from_text(ZONE))
    return rd.to_wire()


def rr(owner, rtype, rclass, ttl, rd=b""):
    return wire_name(owner) + struct.pack("!HHIH", T(rtype), rclass, ttl, len(rd)) + rd


def message(prereqs=(), updates=(), zones=None, msgid=0x2136):
    """An UPDATE: header, zone section (ZONE SOA IN unless given), the
    prerequisite and update sections."""
    if zones is None:
        zones = [(ZONE, "SOA", IN)]
    zsec = b"".join(wire_name(z) + struct.pack("!HH", T(t), c) for z, t, c in zones)
    hdr = struct.pack("!6H", msgid, 5 << 11, len(zones), len(prereqs), len(updates), 0)
    return hdr + zsec + b"".join(prereqs) + b"".join(updates)


def sign(msg, key=KEY, offset=0, bad=False, alg="hmac-sha256", fudge=300):
    """msg with a TSIG appended, time now + offset; bad flips a MAC bit."""
    keyname, secret = key[0], base64.b64decode(key[1])
    t = int(time.time()) + offset
    oid = struct.unpack("!H", msg[:2])[0]
    kn = dns.name.from_text(keyname).canonicalize().to_wire()
    an = dns.name.from_text(alg).canonicalize().to_wire()
    tv = kn + struct.pack("!HI", ANY, 0) + an + \
        struct.pack("!HIHHH", t >> 32, t & 0xffffffff, fudge, 0, 0)
    mac = hmac.new(secret, msg + tv, hashlib.sha256).digest()
    if bad:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    rd = an + struct.pack("!HIHH", t >> 32, t & 0xffffffff, fudge, len(mac)) + mac + \
        struct.pack("!HHH", oid, 0, 0)
    ar = struct.unpack("!H", msg[10:12])[0]
    return msg[:10] + struct.pack("!H", ar + 1) + msg[12:] + \
        kn + struct.pack("!HHIH", 250, ANY, 0, len(rd)) + rd


def exchange(port, wire):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(struct.pack("!H", len(wire)) + wire)
    data = b""
    while len(data) < 2 or len(data) < 2 + struct.unpack("!H", data[:2])[0]:
        chunk = s.recv(65535)
        if not chunk:
            break
        data += chunk
    s.close()
    return data[2:]


def outcome(wire):
    """RCODE or RCODE/TSIG-ERROR of an answer, walked by hand."""
    if len(wire) < 12:
        return "NONE"
    flags, qd, an, ns, ar = struct.unpack("!5H", wire[2:12])
    rcode = dns.rcode.to_text(flags & 0xf)
    off = 12
    for _ in range(qd):
        _, used = dns.name.from_wire(wire, off)
        off += used + 4
    for i in range(an + ns + ar):
        _, used = dns.name.from_wire(wire, off)
        off += used
        rtype, _, _, rdlen = struct.unpack("!HHIH", wire[off:off + 10])
        off += 10
        if rtype == 250 and i == an + ns + ar - 1:
            rd = wire[off:off + rdlen]
            _, p = dns.name.from_wire(rd, 0)
            ml = struct.unpack("!H", rd[p + 8:p + 10])[0]
            err = struct.unpack("!H", rd[p + 10 + ml + 2:p + 10 + ml + 4])[0]
            if err:
                names = {16: "BADSIG", 17: "BADKEY", 18: "BADTIME", 22: "BADTRUNC"}
                return "%s/%s" % (rcode, names.get(err, str(err)))
        off += rdlen
    return rcode


def add(owner, rtype, text, ttl=300):
    return rr(owner, rtype, IN, ttl, rdata(rtype, text))


A = add("crafted", "A", "192.0.2.7")  # what the malformed ones would add

# case -> (signed wire)
CASES = {
    # prerequisites with a TTL, a class or RDATA RFC 2136 section 3.2 forbids
    "prereq-ttl": lambda: sign(message([rr("www", "A", ANY, 300)], [A])),
    "prereq-class": lambda: sign(message([rr("www", "A", CH, 0)], [A])),
    "prereq-any-rdata": lambda: sign(message(
        [rr("www", "A", ANY, 0, rdata("A", "192.0.2.80"))], [A])),
    "prereq-none-rdata": lambda: sign(message(
        [rr("nothere", "A", NONE, 0, rdata("A", "192.0.2.80"))], [A])),
    "prereq-in-ttl": lambda: sign(message(
        [rr("www", "A", IN, 300, rdata("A", "192.0.2.80"))], [A])),
    # updates the section 3.4.1 prescan rejects
    "update-class": lambda: sign(message([], [A, rr("www", "A", CH, 300, rdata("A", "192.0.2.1"))])),
    "update-any-ttl": lambda: sign(message([], [A, rr("www", "A", ANY, 300)])),
    "update-any-rdata": lambda: sign(message([], [A, rr("www", "A", ANY, 0, rdata("A", "192.0.2.80"))])),
    "update-none-ttl": lambda: sign(message([], [A, rr("www", "A", NONE, 300, rdata("A", "192.0.2.80"))])),
    "update-add-any": lambda: sign(message([], [A, rr("www", "ANY", IN, 300)])),
    "update-add-axfr": lambda: sign(message([], [A, rr("www", "AXFR", IN, 300)])),
    "update-none-any": lambda: sign(message([], [A, rr("www", "ANY", NONE, 0)])),
    # zone sections of the wrong shape
    "zone-two": lambda: sign(message([], [A], zones=[(ZONE, "SOA", IN), (ZONE, "SOA", IN)])),
    "zone-none": lambda: sign(message([], [A], zones=[])),
    "zone-type": lambda: sign(message([], [A], zones=[(ZONE, "A", IN)])),
    "zone-class": lambda: sign(message([], [A], zones=[(ZONE, "SOA", CH)])),
    "zone-class-any": lambda: sign(message([], [A], zones=[(ZONE, "SOA", ANY)])),
    "truncated": lambda: message([], [A])[:-2],
    "add-ttl-msb": lambda: sign(message([], [add("msb", "A", "192.0.2.70", ttl=0x80000010)])),
    # refusals and TSIG errors
    "unsigned": lambda: message([], [A]),
    "other-key": lambda: sign(message([], [A]), key=OTHER),
    "not-ours": lambda: sign(message([], [A], zones=[("nothere.test.", "SOA", IN)])),
    "bad-time": lambda: sign(message([], [A]), offset=-600),
    "bad-sig": lambda: sign(message([], [A]), bad=True),
    "bad-key": lambda: sign(message([], [A]), key=["nokey._update." + ZONE, KEY[1]]),
    "good": lambda: sign(message([], [A])),
    "replayed": lambda: sign(message([], [add("replayed", "A", "192.0.2.8")])),
}


def big(n):
    return sign(message([], [add("big", "A", "10.%d.%d.%d" % (i >> 16, i >> 8 & 255, i & 255))
                             for i in range(n)]))


def names(n):
    return sign(message([], [add("n%d" % i, "A", "10.0.0.1") for i in range(n)]))


def build(case):
    if case.startswith("big:"):
        return big(int(case[4:]))
    if case.startswith("names:"):
        return names(int(case[6:]))
    if case.startswith("save:"):  # save:PATH:CASE, to send again later
        path, inner = case[5:].split(":", 1)
        wire = build(inner)
        with open(path, "wb") as f:
            f.write(wire)
        return wire
    if case.startswith("file:"):  # file:PATH, the octets saved
        with open(case[5:], "rb") as f:
            return f.read()
    return CASES[case]()


wire = build(CASE)
if len(wire) > 65535:
    sys.exit("message of %d octets" % len(wire))
out = []
for port in PORTS:
    try:
        r = outcome(exchange(port, wire))
    except (OSError, struct.error) as e:
        r = "NONE"
        print("port %d: %s" % (port, e), file=sys.stderr)
    out.append(r)
print(" ".join(out))
