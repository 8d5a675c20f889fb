#!/usr/bin/python3
"""TSIG error cases on the wire against a running dnsd (tsig_errors.sh).

Requests are crafted here byte by byte and signed with Python's hmac,
independently of dnsd's code. Each case asserts the exact RCODE, the TSIG
error and whether the answer is signed (and if so, that its MAC verifies
over the request MAC, RFC 8945 section 4.3), and that a refused request
gained no data.

usage: tsig_errors.py PORT KEYNAME SECRET_B64 ZONE
"""
import base64, hashlib, hmac, socket, struct, sys, time
import dns.flags, dns.message, dns.name, dns.opcode, dns.rcode, dns.rrset, dns.tsig, dns.tsigkeyring

PORT = int(sys.argv[1])
KEYNAME = sys.argv[2]
SECRET = base64.b64decode(sys.argv[3])
ZONE = sys.argv[4]
ADDR = ("127.0.0.1", PORT)

passed = failed = 0


def check(what, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL: %s %s" % (what, detail))


def wire_name(text):
    return dns.name.from_text(text).to_wire()


def canon_name(text):
    return dns.name.from_text(text).canonicalize().to_wire()


def query(qname, qtype="A", opcode=dns.opcode.QUERY, edns=False, serial=None):
    m = dns.message.make_query(qname, qtype)
    m.set_opcode(opcode)
    if opcode == dns.opcode.NOTIFY:
        m.flags = dns.flags.AA | dns.opcode.to_flags(opcode)
        if serial is not None:

            m.answer.append(dns.rrset.from_text(
                dns.name.from_text(ZONE), 0, "IN", "SOA", ". . %d 0 0 0 0" % serial))
    if not edns:
        m.use_edns(False)
    else:
        m.use_edns(0, payload=1232)
    return m.to_wire()


def add_rr(msg, rr, count=1):
    ar = struct.unpack("!H", msg[10:12])[0]
    return msg[:10] + struct.pack("!H", ar + count) + msg[12:] + rr


def tsig_rr(keyname, alg, t, fudge, mac, oid, error=0, other=b"", rclass=255):
    rd = wire_name(alg) + struct.pack("!HIHH", t >> 32, t & 0xffffffff, fudge,
                                      len(mac)) + mac + \
        struct.pack("!HHH", oid, error, len(other)) + other
    return wire_name(keyname) + struct.pack("!HHIH", 250, rclass, 0, len(rd)) + rd


def sign(msg, keyname=None, secret=None, alg="hmac-sha256", digest=hashlib.sha256,
         t=None, fudge=300, error=0, other=b"", mac_len=None, bad=False,
         rclass=255):
    """The request with a TSIG appended; (wire, mac)."""
    keyname = keyname or KEYNAME
    secret = SECRET if secret is None else secret
    t = int(time.time()) if t is None else t
    oid = struct.unpack("!H", msg[:2])[0]
    tv = canon_name(keyname) + struct.pack("!HI", rclass, 0) + canon_name(alg) + \
        struct.pack("!HIHHH", t >> 32, t & 0xffffffff, fudge, error, len(other)) + other
    mac = hmac.new(secret, msg + tv, digest).digest()
    if bad:
        mac = bytes([mac[0] ^ 1]) + mac[1:]
    if mac_len is not None:
        mac = (mac + b"\0" * 64)[:mac_len]
    return add_rr(msg, tsig_rr(keyname, alg, t, fudge, mac, oid, error, other, rclass)), mac


def exchange(wire, tcp=False):
    if tcp:
        s = socket.create_connection(ADDR, timeout=3)
        s.sendall(struct.pack("!H", len(wire)) + wire)
        n = struct.unpack("!H", s.recv(2))[0]
        data = b""
        while len(data) < n:
            data += s.recv(n - len(data))
        s.close()
        return data
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    s.sendto(wire, ADDR)
    data, _ = s.recvfrom(65535)
    s.close()
    return data


class Resp:
    """A response, walked by hand: header, counts, the TSIG if last."""

    def __init__(self, wire):
        self.wire = wire
        (self.id, self.flags, qd, an, ns, ar) = struct.unpack("!6H", wire[:12])
        self.rcode = self.flags & 0xf
        self.an, self.ns, self.ar = an, ns, ar
        off = 12
        for _ in range(qd):
            _, used = dns.name.from_wire(wire, off)
            off += used + 4
        self.tsig = None
        for i in range(an + ns + ar):
            start = off
            _, used = dns.name.from_wire(wire, off)
            off += used
            rtype, rclass, ttl, rdlen = struct.unpack("!HHIH", wire[off:off + 10])
            off += 10
            if rtype == 250 and i == an + ns + ar - 1:
                rd = wire[off:off + rdlen]
                alg, used = dns.name.from_wire(rd, 0)
                p = used
                hi, lo, fudge, ml = struct.unpack("!HIHH", rd[p:p + 10])
                p += 10
                mac = rd[p:p + ml]
                p += ml
                oid, err, ol = struct.unpack("!HHH", rd[p:p + 6])
                other = rd[p + 6:p + 6 + ol]
                self.tsig = dict(start=start, key=dns.name.from_wire(wire, start)[0],
                                 rclass=rclass, alg=alg, time=hi << 32 | lo,
                                 fudge=fudge, mac=mac, oid=oid, error=err, other=other)
            off += rdlen
        self.tc = bool(self.flags & 0x0200)

    def verifies(self, req_mac, secret=None, digest=hashlib.sha256):
        """The response MAC over the request MAC, the message and the
        TSIG variables (RFC 8945 section 4.3.1, 4.3.3)."""
        t = self.tsig
        if not t or not t["mac"]:
            return False
        secret = SECRET if secret is None else secret
        body = self.wire[:t["start"]]
        ar = struct.unpack("!H", body[10:12])[0]
        body = struct.pack("!H", t["oid"]) + body[2:10] + struct.pack("!H", ar - 1) + body[12:]
        tv = t["key"].canonicalize().to_wire() + struct.pack("!HI", 255, 0) + \
            t["alg"].canonicalize().to_wire() + \
            struct.pack("!HIHHH", t["time"] >> 32, t["time"] & 0xffffffff, t["fudge"],
                        t["error"], len(t["other"])) + t["other"]
        want = hmac.new(secret, struct.pack("!H", len(req_mac)) + req_mac + body + tv,
                        digest).digest()
        return hmac.compare_digest(want, t["mac"])


def expect(what, resp, rcode, error=None, signed=None, req_mac=None, data=None):
    """rcode; error None: no TSIG at all; signed True/False."""
    check(what + ": rcode", resp.rcode == rcode,
          "got %s want %s" % (dns.rcode.to_text(resp.rcode), dns.rcode.to_text(rcode)))
    if error is None:
        check(what + ": no TSIG", resp.tsig is None)
    else:
        check(what + ": has TSIG", resp.tsig is not None)
        if resp.tsig:
            check(what + ": TSIG error", resp.tsig["error"] == error,
                  "got %d want %d" % (resp.tsig["error"], error))
            if signed:
                check(what + ": signed and verifies", resp.verifies(req_mac))
            else:
                check(what + ": unsigned", resp.tsig["mac"] == b"")
    if data is not None:
        check(what + ": answer records", resp.an == data, "got %d" % resp.an)


NOERROR, FORMERR, REFUSED, NOTAUTH = 0, 1, 5, 9
BADSIG, BADKEY, BADTIME, BADTRUNC = 16, 17, 18, 22
WWW = "www." + ZONE

# a good signed query: answered, signed, data
w, mac = sign(query(WWW))
r = Resp(exchange(w))
expect("good query", r, NOERROR, 0, True, mac, data=1)
# the same checked by dnspython's own verifier
ring = dns.tsigkeyring.from_text({KEYNAME: ("hmac-sha256", base64.b64encode(SECRET).decode())})
q = dns.message.make_query(WWW, "A")
q.use_tsig(ring, keyname=KEYNAME, algorithm="hmac-sha256")
try:
    a = dns.message.from_wire(exchange(q.to_wire()), keyring=ring, request_mac=q.mac)
    check("dnspython verifies the answer", a.had_tsig and len(a.answer) == 1)
except Exception as e:
    check("dnspython verifies the answer", False, repr(e))

# over TCP
w, mac = sign(query(WWW))
expect("good query over TCP", Resp(exchange(w, tcp=True)), NOERROR, 0, True, mac, data=1)

# key and algorithm names in mixed case: canonical in the digest
mixed = "".join(c.upper() if i % 2 else c for i, c in enumerate(KEYNAME))
w, mac = sign(query(WWW), keyname=mixed, alg="HMAC-SHA256")
expect("mixed-case names", Resp(exchange(w)), NOERROR, 0, True, mac, data=1)

# 1. the key: unknown name, unknown algorithm, known name + other algorithm
w, mac = sign(query(WWW), keyname="nobody." + ZONE)
expect("unknown key", Resp(exchange(w)), NOTAUTH, BADKEY, False, data=0)
w, mac = sign(query(WWW), alg="hmac-md5.sig-alg.reg.int", digest=hashlib.md5)
expect("unknown algorithm", Resp(exchange(w)), NOTAUTH, BADKEY, False, data=0)
w, mac = sign(query(WWW), alg="hmac-sha512", digest=hashlib.sha512)
expect("other algorithm of a known key", Resp(exchange(w)), NOTAUTH, BADKEY, False, data=0)

# 2. the MAC: bad, wrong secret, empty (CVE-2017-11104 / CVE-2017-3142 /
# CVE-2017-3143 shapes: a valid key name must gain nothing)
w, mac = sign(query(WWW), bad=True)
expect("bad MAC", Resp(exchange(w)), NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(WWW), secret=b"\x01" * 32)
expect("wrong secret", Resp(exchange(w)), NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(WWW), mac_len=0)
expect("empty MAC, query", Resp(exchange(w)), NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(WWW), mac_len=0, error=BADSIG)
expect("empty MAC with error BADSIG set", Resp(exchange(w)), NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(ZONE, "AXFR"), mac_len=0)
r = Resp(exchange(w, tcp=True))
expect("empty MAC, AXFR", r, NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(ZONE, "SOA", opcode=dns.opcode.NOTIFY), mac_len=0)
expect("empty MAC, NOTIFY", Resp(exchange(w)), NOTAUTH, BADSIG, False)
w, mac = sign(query(ZONE, "SOA", opcode=dns.opcode.UPDATE), bad=True)
expect("bad MAC, UPDATE", Resp(exchange(w)), NOTAUTH, BADSIG, False)

# truncation (RFC 8945 5.2.2.1): below max(10, 16) FORMERR, above it
# BADTRUNC (signed: the MAC did verify), longer than the output FORMERR
w, mac = sign(query(WWW), mac_len=15)
expect("MAC truncated below the minimum", Resp(exchange(w)), FORMERR, None, data=0)
w, mac = sign(query(WWW), mac_len=16)
expect("MAC truncated to the minimum", Resp(exchange(w)), NOTAUTH, BADTRUNC, True, mac, data=0)
w, mac = sign(query(WWW), mac_len=20, bad=True)
expect("bad truncated MAC", Resp(exchange(w)), NOTAUTH, BADSIG, False, data=0)
w, mac = sign(query(WWW), mac_len=33)
expect("MAC longer than the output", Resp(exchange(w)), FORMERR, None, data=0)

# placement and class: FORMERR, unsigned
plain = query(WWW)
w, mac = sign(plain)
opt = b"\x00" + struct.pack("!HHIH", 41, 1232, 0, 0)
expect("TSIG not last", Resp(exchange(add_rr(w, opt))), FORMERR, None, data=0)
expect("two TSIGs", Resp(exchange(add_rr(w, w[len(plain):]))), FORMERR, None, data=0)
w, mac = sign(query(WWW), rclass=1)
expect("TSIG of class IN", Resp(exchange(w)), FORMERR, None, data=0)

# 3. time: outside the fudge, either way: BADTIME, signed over the
# request's time, our clock in Other Data
for off in (-400, 400):
    t = int(time.time()) + off
    w, mac = sign(query(WWW), t=t)
    r = Resp(exchange(w))
    expect("time %+d s" % off, r, NOTAUTH, BADTIME, True, mac, data=0)
    if r.tsig:
        check("BADTIME: time signed is the request's", r.tsig["time"] == t)
        other = r.tsig["other"]
        srv = int.from_bytes(other, "big") if len(other) == 6 else 0
        check("BADTIME: server time in Other Data", abs(srv - time.time()) < 5,
              "other=%r" % other)
# a small fudge of the client's own is honoured
w, mac = sign(query(WWW), t=int(time.time()) - 20, fudge=10)
expect("outside the client's fudge of 10", Resp(exchange(w)), NOTAUTH, BADTIME, True, mac)

# replay: the same signed NOTIFY twice. Over UDP that is what a client's
# retransmission looks like: not taken again, answered as the first one
# was. Over TCP: BADTIME. An UPDATE (REFUSED: a zones-dir primary) the
# same.
w, mac = sign(query(ZONE, "SOA", opcode=dns.opcode.NOTIFY, serial=77))
expect("NOTIFY", Resp(exchange(w)), NOERROR, 0, True, mac)
expect("the same NOTIFY again over UDP (a retransmission): NOERROR again",
       Resp(exchange(w)), NOERROR, 0, True, mac)
expect("the same NOTIFY again over TCP (replay)", Resp(exchange(w, tcp=True)),
       NOTAUTH, BADTIME, True, mac)
w, mac = sign(query(ZONE, "SOA", opcode=dns.opcode.UPDATE))
expect("UPDATE to a zones-dir primary", Resp(exchange(w)), REFUSED, 0, True, mac)
expect("the same UPDATE again over UDP: REFUSED again", Resp(exchange(w)),
       REFUSED, 0, True, mac)
expect("the same UPDATE again over TCP (replay)", Resp(exchange(w, tcp=True)),
       NOTAUTH, BADTIME, True, mac)

# the Error field of a request is ignored (CVE-2020-8617 shape)
for err in (BADSIG, BADKEY, BADTIME, BADTRUNC, 0xffff):
    w, mac = sign(query(WWW), error=err, other=b"\x00\x00\x65\x00\x00\x00")
    expect("request with error %d" % err, Resp(exchange(w)), NOERROR, 0, True, mac, data=1)

# a signed answer keeps to the client's size: 512 without EDNS
w, mac = sign(query("big." + ZONE, "TXT"))
wire = exchange(w)
r = Resp(wire)
expect("big answer over UDP", r, NOERROR, 0, True, mac)
check("big answer: truncated to 512 with its TSIG", r.tc and len(wire) <= 512, "len %d" % len(wire))
w, mac = sign(query("big." + ZONE, "TXT", edns=True))
wire = exchange(w)
r = Resp(wire)
check("big answer, EDNS 1232: fits", r.tc and len(wire) <= 1232 and r.verifies(mac))
w, mac = sign(query("big." + ZONE, "TXT"))
r = Resp(exchange(w, tcp=True))
expect("big answer over TCP", r, NOERROR, 0, True, mac)
check("big answer over TCP: whole", not r.tc and r.an >= 30)

# a malformed request with a TSIG is FORMERR, unsigned
w, mac = sign(query(WWW))
expect("trailing garbage", Resp(exchange(w + b"\x00")), FORMERR, None)

print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
