#!/usr/bin/python3
"""A scripted evil primary for secondary_evil.sh.

It serves the zone evil.test over TCP (and SOA over UDP) on 127.0.0.1,
answering the secondary's SOA queries, IXFR and AXFR requests the way the
current case says: the case's name is read from CONTROL_FILE for every
request, so the test switches behaviour by rewriting that file. Every
answer is TSIG-signed with the request's key and chained as RFC 8945
section 5.3.1 says (dnspython's multi=True/tsig_ctx; an unsigned message
between signed ones is digested into the running context), unless the
case breaks exactly that.

CASES below is the one table of the test: per case the transfer that
fails in dnsd's log (refresh, IXFR or AXFR; "older" for the SOA query that
is refused as older; AXFR-ok or IXFR-ok for a stream that must be taken,
the reason then the "serial A -> B" of its success line), the
reason dnsd must log (an extended regex, as grep -E reads it), the reason
of the IXFR fallback line when one must come first, what is sent, and the
answers to the SOA query, the IXFR and the AXFR request.

usage: evil_primary.py --list
       evil_primary.py PORT KEYNAME SECRET_B64 CONTROL_FILE
"""
import base64
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time

import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig

ZONE = dns.name.from_text("evil.test.")
TTL = 300

# ---- records ---------------------------------------------------------------


def rr(name, rtype, text, rclass="IN", ttl=TTL):
    """One record as an RRset of its own (the order of a stream is ours)."""
    n = dns.name.from_text(name, ZONE)
    rd = dns.rdata.from_text(rclass, rtype, text, origin=ZONE, relativize=False)
    s = dns.rrset.RRset(n, rd.rdclass, rd.rdtype)
    s.add(rd, ttl)
    return s


def raw(name, rtype, data, rclass=dns.rdataclass.IN, ttl=TTL):
    """One record of any class and type, its RDATA as bytes."""
    n = dns.name.from_text(name, ZONE)
    s = dns.rrset.RRset(n, rclass, rtype)
    s.add(dns.rdata.GenericRdata(rclass, rtype, data), ttl)
    return s


def soa(serial, owner="@", rclass="IN"):
    # REFRESH and RETRY of an hour: no timer of dnsd fires during the test,
    # every refresh is one the test asks for by NOTIFY.
    return rr(owner, "SOA", "ns1 hostmaster %d 3600 3600 604800 300" % serial,
              rclass)


def body(serial):
    """The zone's records but the SOA: www's address says the serial."""
    return [
        rr("@", "NS", "ns1"),
        rr("ns1", "A", "192.0.2.1"),
        rr("www", "A", "192.0.2.%d" % serial),
        rr("mail", "MX", "10 ns1"),
        rr("txt", "TXT", '"serial %d"' % serial),
    ]


def zone(serial, extra=()):
    """An AXFR's records: SOA, the zone, SOA."""
    return [soa(serial)] + body(serial) + list(extra) + [soa(serial)]


def noise(n, seed):
    """n octets that are no DNS message, the same every run."""
    rnd = random.Random(seed)
    return bytes(rnd.randrange(256) for _ in range(n))


def hosts(n, prefix="h"):
    return [rr("%s%d" % (prefix, i), "A", "10.0.%d.%d" % (i // 256, i % 256))
            for i in range(n)]


def big_txt(n):
    """n TXT records of 8 strings of 255 octets: ~2 KB of RDATA each."""
    s = " ".join('"%s"' % ("x" * 255) for _ in range(8))
    return [rr("big%d" % i, "TXT", s) for i in range(n)]


# IXFR 10 -> 11: www changes address, new appears.
def ixfr_10_11():
    return [soa(11), soa(10), rr("www", "A", "192.0.2.10"),
            rr("txt", "TXT", '"serial 10"'), soa(11),
            rr("www", "A", "192.0.2.11"), rr("txt", "TXT", '"serial 11"'),
            rr("new", "A", "192.0.2.111"), soa(11)]


# ---- answers -----------------------------------------------------------------

_time_lock = threading.Lock()


class Reply:
    """The answer to one request on one TCP connection, message by
    message, the TSIG chain kept as it goes."""

    def __init__(self, sock, q, keyring):
        self.sock = sock
        self.q = q
        self.keyring = keyring
        self.ctx = None  # the running TSIG context after a signed message
        self.signed = 0
        self.sent = 0

    def msg(self, answer=(), sign=True, rcode=dns.rcode.NOERROR, id=None,
            qr=True, opcode=None, question=None, key=None, bad_mac=False,
            time_shift=0):
        """The wire of one message of the answer."""
        r = dns.message.make_response(self.q)
        r.flags |= dns.flags.AA
        r.set_rcode(rcode)
        if opcode is not None:
            r.set_opcode(opcode)
        if not qr:
            r.flags &= ~dns.flags.QR
        if id is not None:
            r.id = id  # the TSIG's original ID stays the request's
        if question is not None:
            r.question = list(question)
        r.answer = list(answer)
        if not sign or not self.q.had_tsig:
            r.tsig = None
            wire = r.to_wire()
            if self.ctx is not None:
                self.ctx.update(wire)  # covered by the next signed one
            return wire
        if key is not None:
            r.use_tsig(key, original_id=self.q.id)
            r.request_mac = self.q.mac
        if time_shift:
            with _time_lock:
                real = time.time
                time.time = lambda: real() + time_shift
                try:
                    wire = r.to_wire(multi=True, tsig_ctx=self.ctx)
                finally:
                    time.time = real
        else:
            wire = r.to_wire(multi=True, tsig_ctx=self.ctx)
        self.ctx = r.tsig_ctx
        self.signed += 1
        if bad_mac:
            # the MAC ends 6 octets before the end (original ID, error,
            # other length 0)
            b = bytearray(wire)
            b[-7] ^= 0x55
            wire = bytes(b)
        return wire

    def send(self, wire):
        self.sock.sendall(struct.pack("!H", len(wire)) + wire)
        self.sent += 1

    def sendraw(self, data):
        self.sock.sendall(data)

    def stream(self, records, per=8, **kw):
        """records in messages of per, all signed."""
        for i in range(0, max(len(records), 1), per):
            self.send(self.msg(records[i:i + per], **kw))

    def rcode(self, rcode):
        self.send(self.msg([], rcode=rcode))

    def stall(self):
        # no answer: wait until the secondary gives up and closes
        self.sock.settimeout(120)
        try:
            while self.sock.recv(4096):
                pass
        except OSError:
            pass


# answers by request type, shared by many cases
def soa_answer(serial):
    return lambda r: r.send(r.msg([soa(serial)]))


def axfr_good(serial):
    return lambda r: r.stream(zone(serial), per=4)


def refused(r):
    r.rcode(dns.rcode.REFUSED)


def notauth(r):
    r.rcode(dns.rcode.NOTAUTH)


def other_id(r):
    return (r.q.id + 1) & 0xFFFF


def question(name, rtype):
    return [dns.rrset.RRset(dns.name.from_text(name, ZONE), dns.rdataclass.IN,
                            dns.rdatatype.from_text(rtype))]


def unsigned_run(r, n, records):
    """A signed first message, n unsigned ones (the zone's records in the
    first few, the rest empty), a signed last one."""
    r.send(r.msg(records[:2]))
    mid = records[2:-1]
    for i in range(n):
        r.send(r.msg(mid[i * 2:i * 2 + 2], sign=False))
    r.send(r.msg(records[-1:]))


def other_key(r):
    secret = r.keyring.secret
    k = dns.tsig.Key(dns.name.from_text("other._transfer.evil.test."), secret,
                     dns.tsig.HMAC_SHA256)
    r.send(r.msg(zone(11), key=k))


class C:
    """One row of the table."""

    def __init__(self, name, kind, reason, sends, fallback=None, soa=None,
                 ixfr=None, axfr=None):
        self.name = name
        self.kind = kind
        self.reason = reason
        self.sends = sends
        # an AXFR case is reached by the IXFR being REFUSED: its fallback
        if fallback is None and kind in ("AXFR", "AXFR-ok") and ixfr is None:
            fallback = "rcode 5 in message 1"
        self.fallback = fallback
        self.soa = soa or soa_answer(11)
        self.ixfr = ixfr or refused
        self.axfr = axfr or refused


CASES = [
    # The zone the secondary holds: serial 10 in two messages.
    C("good10", "AXFR-ok", "serial 0 -> 10", "AXFR of serial 10",
      soa=soa_answer(10), ixfr=soa_answer(10), axfr=axfr_good(10)),
    # -- the SOA query
    C("refresh-older", "older", r"the primary's serial 5 is older than ours \(10\); keeping ours",
      "SOA serial 5", soa=soa_answer(5)),
    C("refresh-unsigned", "refresh", "TSIG of the answer: BADSIG", "SOA answer unsigned",
      soa=lambda r: r.send(r.msg([soa(11)], sign=False))),
    C("refresh-wrong-id", "refresh", "an answer to another question", "SOA answer, ID + 1",
      soa=lambda r: r.send(r.msg([soa(11)], id=other_id(r)))),
    C("refresh-other-name", "refresh", "an answer to another question", "SOA answer for other.test",
      soa=lambda r: r.send(r.msg([soa(11)], question=question("other.test.", "SOA")))),
    C("refresh-refused", "refresh", "rcode 5", "SOA query REFUSED", soa=refused),
    C("refresh-no-soa", "refresh", "no SOA of the zone in the answer", "SOA answer holding an A",
      soa=lambda r: r.send(r.msg([rr("@", "A", "192.0.2.5")]))),
    C("refresh-not-apex", "refresh", "no SOA of the zone in the answer", "SOA of www.evil.test",
      soa=lambda r: r.send(r.msg([soa(11, "www")]))),
    C("refresh-garbage", "refresh", "a message that does not parse|TSIG of the answer: BADSIG",
      "SOA answer: 40 random octets", soa=lambda r: r.send(noise(40, 1))),
    C("refresh-stall", "refresh", "timed out", "SOA query never answered (5 s)",
      soa=lambda r: r.stall()),
    # -- AXFR (the IXFR first is REFUSED: dnsd falls back to AXFR at once)
    C("first-not-soa", "AXFR", "the first record is www.evil.test. A, not the SOA",
      "AXFR starting with www A", axfr=lambda r: r.stream(body(11)[2:] + zone(11))),
    C("last-soa-missing", "AXFR", "closed by the primary before the end",
      "AXFR without its last SOA, then close", axfr=lambda r: r.stream(zone(11)[:-1])),
    C("soa-differ", "AXFR", "a SOA inside the zone that is not the first one",
      "AXFR ending with SOA 12", axfr=lambda r: r.stream(zone(11)[:-1] + [soa(12)])),
    C("soa-not-apex", "AXFR", "a SOA of www.evil.test. SOA, not of the zone's apex",
      "AXFR of SOAs of www.evil.test",
      axfr=lambda r: r.stream([soa(11, "www")] + body(11) + [soa(11, "www")])),
    C("soa-other-zone", "AXFR", "a SOA of other.test. SOA, not of the zone's apex",
      "AXFR of SOAs of other.test",
      axfr=lambda r: r.stream([soa(11, "other.test.")] + body(11) + [soa(11, "other.test.")])),
    C("soa-class-ch", "AXFR", "a SOA of evil.test. SOA, not of the zone's apex",
      "AXFR whose last SOA is class CH",
      axfr=lambda r: r.stream(zone(11)[:-1] + [soa(11, rclass="CH")])),
    C("out-of-zone", "AXFR", "foo.other.test. A: outside the zone", "AXFR with foo.other.test A",
      axfr=lambda r: r.stream(zone(11, [rr("foo.other.test.", "A", "192.0.2.66")]))),
    C("out-of-zone-suffix", "AXFR", "www.notevil.test. A: outside the zone",
      "AXFR with www.notevil.test A (a suffix, not a subdomain)",
      axfr=lambda r: r.stream(zone(11, [rr("www.notevil.test.", "A", "192.0.2.66")]))),
    C("class-ch", "AXFR", "x.evil.test. TXT: class 3, not IN", "AXFR with x CH TXT",
      axfr=lambda r: r.stream(zone(11, [rr("x", "TXT", '"chaos"', rclass="CH")]))),
    C("class-any", "AXFR", "x.evil.test. A: class 255, not IN", "AXFR with x ANY A",
      axfr=lambda r: r.stream(zone(11, [raw("x", 1, b"\xc0\x00\x02\x01", rclass=255)]))),
    C("meta-opt", "AXFR", "x.evil.test. OPT: not a data type|a message that does not parse",
      "AXFR with x IN OPT",
      axfr=lambda r: r.stream(zone(11, [raw("x", 41, b"")]))),
    C("meta-tsig", "AXFR",
      "x.evil.test. TSIG: not a data type|a message that does not parse|TSIG of the answer: FORMERR",
      "AXFR with x IN TSIG in the answer",
      axfr=lambda r: r.stream(zone(11, [raw("x", 250, b"\x00" * 16)]))),
    C("meta-any", "AXFR", "x.evil.test. ANY: not a data type", "AXFR with x IN ANY",
      axfr=lambda r: r.stream(zone(11, [raw("x", 255, b"\x01\x02")]))),
    C("meta-axfr", "AXFR", "x.evil.test. AXFR: not a data type", "AXFR with x IN AXFR",
      axfr=lambda r: r.stream(zone(11, [raw("x", 252, b"")]))),
    C("type-0", "AXFR", "x.evil.test. TYPE0: not a data type", "AXFR with x IN TYPE0",
      axfr=lambda r: r.stream(zone(11, [raw("x", 0, b"\x01")]))),
    C("axfr-older", "AXFR", "serial 5 is older than the 10 held", "AXFR of serial 5",
      axfr=axfr_good(5)),
    C("wrong-id", "AXFR", r"message 1 is not a response to the request \(ID [0-9]+, opcode 0\)",
      "AXFR answer, ID + 1", axfr=lambda r: r.send(r.msg(zone(11), id=other_id(r)))),
    C("wrong-id-2nd", "AXFR", r"message 2 is not a response to the request \(ID [0-9]+, opcode 0\)",
      "AXFR, its 2nd message ID + 1",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3])), r.send(r.msg(zone(11)[3:], id=other_id(r))))),
    C("no-qr", "AXFR", r"message 1 is not a response to the request \(ID [0-9]+, opcode 0\)",
      "AXFR answer without QR", axfr=lambda r: r.send(r.msg(zone(11), qr=False))),
    C("opcode-update", "AXFR",
      r"message 1 is not a response to the request \(ID [0-9]+, opcode 5\)",
      "AXFR answer of opcode UPDATE",
      axfr=lambda r: r.send(r.msg(zone(11), opcode=dns.opcode.UPDATE))),
    C("question-name", "AXFR", "message 1: a question other than evil.test. AXFR",
      "AXFR answer for other.test AXFR",
      axfr=lambda r: r.send(r.msg(zone(11), question=question("other.test.", "AXFR")))),
    C("question-type", "AXFR", "message 1: a question other than evil.test. AXFR",
      "AXFR answer for evil.test IXFR",
      axfr=lambda r: r.send(r.msg(zone(11), question=question("@", "IXFR")))),
    C("question-none", "AXFR", "message 1: a question other than evil.test. AXFR",
      "AXFR answer without a question", axfr=lambda r: r.send(r.msg(zone(11), question=[]))),
    C("question-2nd", "AXFR", "message 2: a question other than evil.test. AXFR",
      "AXFR, its 2nd message for evil.test SOA",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3])),
                      r.send(r.msg(zone(11)[3:], question=question("@", "SOA"))))),
    C("empty-answer", "AXFR", "an empty answer", "AXFR answer with no records",
      axfr=lambda r: r.send(r.msg([]))),
    C("unsigned-first", "AXFR", "TSIG of the answer: BADSIG", "AXFR, its first message unsigned",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3], sign=False)), r.send(r.msg(zone(11)[3:])))),
    C("unsigned-100", "AXFR", "TSIG of the answer: BADSIG",
      "AXFR: signed, 100 unsigned, signed", axfr=lambda r: unsigned_run(r, 100, zone(11))),
    C("unsigned-99", "AXFR-ok", "serial 10 -> 10",
      "AXFR of serial 10: signed, 99 unsigned, signed (RFC 8945 allows it)",
      axfr=lambda r: unsigned_run(r, 99, zone(10))),
    C("unsigned-last", "AXFR", "the last message is not signed",
      "AXFR, its last message unsigned",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3])), r.send(r.msg(zone(11)[3:], sign=False)))),
    C("bad-mac", "AXFR", "TSIG of the answer: BADSIG", "AXFR, one message, a MAC octet flipped",
      axfr=lambda r: r.send(r.msg(zone(11), bad_mac=True))),
    C("bad-mac-2nd", "AXFR", "TSIG of the answer: BADSIG", "AXFR, its 2nd MAC flipped",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3])), r.send(r.msg(zone(11)[3:], bad_mac=True)))),
    C("other-key", "AXFR", "TSIG of the answer: BADKEY",
      "AXFR signed by other._transfer.evil.test (same secret)", axfr=other_key),
    C("bad-time", "AXFR", "TSIG of the answer: BADTIME", "AXFR signed an hour ahead",
      axfr=lambda r: r.send(r.msg(zone(11), time_shift=3600))),
    C("max-records", "AXFR", r"more than 50 records \(xfr-max-records\)",
      "AXFR of 60 records (xfr-max-records 50)",
      axfr=lambda r: r.stream(zone(11, hosts(53)), per=10)),
    C("max-bytes", "AXFR", r"more than 65536 octets \(xfr-max-bytes\)",
      "AXFR of ~83 KB in 47 records (xfr-max-bytes 65536)",
      axfr=lambda r: r.stream(zone(11, big_txt(40)), per=8)),
    C("mid-soa", "AXFR", "a SOA inside the zone that is not the first one",
      "AXFR with a SOA 12 in the middle",
      axfr=lambda r: r.stream(zone(11)[:3] + [soa(12)] + zone(11)[3:])),
    C("after-final-soa", "AXFR", "www2.evil.test. A after the final SOA",
      "AXFR with www2 A after the last SOA",
      axfr=lambda r: r.stream(zone(11) + [rr("www2", "A", "192.0.2.2")])),
    C("after-final-soa-repeat", "AXFR", "ns1.evil.test. A after the final SOA",
      "AXFR whose first SOA comes again in the middle (ends it)",
      axfr=lambda r: r.stream(zone(11)[:2] + [soa(11)] + zone(11)[2:])),
    C("zone-checks", "AXFR",
      "the new version fails the zone checks: CNAME and other data at www.evil.test.",
      "AXFR with www CNAME beside www A",
      axfr=lambda r: r.stream(zone(11, [rr("www", "CNAME", "ns1")]))),
    C("axfr-refused", "AXFR", "rcode 5 in message 1", "AXFR REFUSED (IXFR too)"),
    C("axfr-notauth", "AXFR", "rcode 9 in message 1", "IXFR and AXFR NOTAUTH",
      fallback="rcode 9 in message 1", ixfr=notauth, axfr=notauth),
    C("axfr-servfail-2nd", "AXFR", "rcode 2 in message 2", "AXFR, its 2nd message SERVFAIL",
      axfr=lambda r: (r.send(r.msg(zone(11)[:3])), r.rcode(dns.rcode.SERVFAIL))),
    C("garbage", "AXFR", "a message that does not parse|TSIG of the answer: BADSIG",
      "AXFR answer: 300 random octets",
      axfr=lambda r: r.send(noise(300, 2))),
    C("bad-rdata", "AXFR", "a message that does not parse",
      "AXFR, signed, with an A record of 5 octets",
      axfr=lambda r: r.send(r.msg(zone(11, [raw("x", 1, b"\x01\x02\x03\x04\x05")])))),
    C("zero-length", "AXFR", "a message that does not parse|TSIG of the answer: BADSIG",
      "AXFR answer: a message of 0 octets", axfr=lambda r: r.sendraw(b"\x00\x00")),
    C("short-prefix", "AXFR", "closed by the primary before the end",
      "AXFR answer: 1 octet of length prefix, close", axfr=lambda r: r.sendraw(b"\x01")),
    C("short-message", "AXFR", "closed by the primary before the end",
      "AXFR answer: length 500, 100 octets, close",
      axfr=lambda r: r.sendraw(struct.pack("!H", 500) + r.msg(zone(11))[:100])),
    # -- IXFR
    C("ixfr-del-missing", "AXFR", "rcode 5 in message 1",
      "IXFR deleting www A 192.0.2.99 (then AXFR REFUSED)",
      fallback="deletes www.evil.test. A, which is not there",
      ixfr=lambda r: r.stream([soa(11), soa(10), rr("www", "A", "192.0.2.99"), soa(11),
                               rr("www", "A", "192.0.2.11"), soa(11)])),
    C("ixfr-wrong-start", "AXFR", "rcode 5 in message 1",
      "IXFR from serial 9 (then AXFR REFUSED)",
      fallback="the first sequence starts at serial 9, not at the 10 held",
      ixfr=lambda r: r.stream([soa(11), soa(9), soa(11), rr("new", "A", "192.0.2.9"), soa(11)])),
    C("ixfr-gap", "AXFR", "rcode 5 in message 1",
      "IXFR 10 -> 11, then a sequence 12 -> 13 (then AXFR REFUSED)",
      fallback="a sequence starts at serial 12, the one before ended at 11",
      ixfr=lambda r: r.stream([soa(13), soa(10), soa(11), soa(12), soa(13),
                               rr("new", "A", "192.0.2.13"), soa(13)])),
    C("ixfr-soa-alone", "AXFR", "rcode 5 in message 1",
      "IXFR answer: SOA 11 alone (then AXFR REFUSED)",
      fallback="the SOA alone, serial 11 newer than the 10 held",
      ixfr=soa_answer(11)),
    C("ixfr-notauth", "AXFR", "rcode 5 in message 1", "IXFR NOTAUTH (then AXFR REFUSED)",
      fallback="rcode 9 in message 1", ixfr=notauth),
    C("ixfr-backwards", "IXFR", "differences to serial 9, not newer than the 10 held",
      "IXFR 10 -> 9", ixfr=lambda r: r.stream([soa(9), soa(10), soa(9), soa(9)])),
    C("ixfr-not-forward", "IXFR", "a sequence from serial 10 to 10, not forward",
      "IXFR with a sequence 10 -> 10",
      ixfr=lambda r: r.stream([soa(11), soa(10), soa(10), soa(10), soa(11), soa(11)])),
    C("ixfr-axfr-older", "IXFR", "serial 5 is older than the 10 held",
      "IXFR answered as an AXFR of serial 5", ixfr=axfr_good(5)),
    C("ixfr-out-of-zone", "IXFR", "foo.other.test. A: outside the zone",
      "IXFR adding foo.other.test A",
      ixfr=lambda r: r.stream([soa(11), soa(10), soa(11),
                               rr("foo.other.test.", "A", "192.0.2.66"), soa(11)])),
    C("ixfr-class-ch", "IXFR", "x.evil.test. TXT: class 3, not IN", "IXFR adding x CH TXT",
      ixfr=lambda r: r.stream([soa(11), soa(10), soa(11),
                               rr("x", "TXT", '"chaos"', rclass="CH"), soa(11)])),
    C("ixfr-meta", "IXFR", "x.evil.test. ANY: not a data type", "IXFR deleting x IN ANY",
      ixfr=lambda r: r.stream([soa(11), soa(10), raw("x", 255, b""), soa(11), soa(11)])),
    C("ixfr-after-final", "IXFR", "www2.evil.test. A after the final SOA",
      "IXFR 10 -> 11 with www2 A after the last SOA",
      ixfr=lambda r: r.stream(ixfr_10_11() + [rr("www2", "A", "192.0.2.2")])),
    C("ixfr-max-records", "IXFR", r"more than 50 records \(xfr-max-records\)",
      "IXFR adding 60 records",
      ixfr=lambda r: r.stream([soa(11), soa(10), soa(11)] + hosts(60) + [soa(11)], per=10)),
    C("ixfr-last-missing", "IXFR", "closed by the primary before the end",
      "IXFR 10 -> 11 without its last SOA, then close",
      ixfr=lambda r: r.stream(ixfr_10_11()[:-1])),
    C("ixfr-unsigned-first", "IXFR", "TSIG of the answer: BADSIG",
      "IXFR 10 -> 11, its first message unsigned",
      ixfr=lambda r: (r.send(r.msg(ixfr_10_11()[:3], sign=False)),
                      r.send(r.msg(ixfr_10_11()[3:])))),
    C("ixfr-bad-mac", "IXFR", "TSIG of the answer: BADSIG", "IXFR 10 -> 11, a MAC octet flipped",
      ixfr=lambda r: r.send(r.msg(ixfr_10_11(), bad_mac=True))),
    # The transfer timeout, 60 s: only with EVIL_SLOW=1 (secondary_evil.sh).
    C("axfr-stall", "AXFR", "timed out", "AXFR never answered (60 s)",
      axfr=lambda r: r.stall()),
    # At the end, the good path: IXFR 10 -> 11 (the AXFR REFUSED).
    C("good11", "IXFR-ok", "serial 10 -> 11", "IXFR 10 -> 11",
      ixfr=lambda r: r.stream(ixfr_10_11(), per=4)),
]
BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"

# ---- the server --------------------------------------------------------------


def current(control):
    try:
        with open(control) as f:
            name = f.read().strip()
    except OSError:
        name = "good10"
    return BY_NAME.get(name) or BY_NAME["good10"], name


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        d = sock.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


class TCPHandler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        sock.settimeout(10)
        try:
            hdr = recv_exact(sock, 2)
            if hdr is None:
                return
            wire = recv_exact(sock, struct.unpack("!H", hdr)[0])
            if wire is None:
                return
            q = dns.message.from_wire(wire, keyring=self.server.keyring)
        except Exception as e:  # noqa: BLE001 - log and drop
            log("tcp: a request that does not parse: %r" % e)
            return
        case, name = current(self.server.control)
        qtype = q.question[0].rdtype if q.question else 0
        handler = {dns.rdatatype.SOA: case.soa, dns.rdatatype.IXFR: case.ixfr,
                   dns.rdatatype.AXFR: case.axfr}.get(qtype, refused)
        r = Reply(sock, q, q.keyring if q.had_tsig else None)
        try:
            handler(r)
        except Exception as e:  # noqa: BLE001 - a broken row, or the peer
            log("case %s: %s: %r" % (name, dns.rdatatype.to_text(qtype), e))
        log("case %s: %s id %d key %s: %d messages (%d signed)"
            % (name, dns.rdatatype.to_text(qtype), q.id, q.keyname, r.sent, r.signed))
        # end of the answer: FIN, then wait for the secondary to close
        try:
            sock.shutdown(socket.SHUT_WR)
            sock.settimeout(5)
            while sock.recv(4096):
                pass
        except OSError:
            pass


class UDPHandler(socketserver.BaseRequestHandler):
    """SOA over UDP (the serial the current case announces), NOTIFY
    acknowledged, anything else REFUSED."""

    def handle(self):
        data, sock = self.request
        try:
            q = dns.message.from_wire(data, keyring=self.server.keyring)
        except Exception:  # noqa: BLE001
            return
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        case, _ = current(self.server.control)
        if q.opcode() == dns.opcode.QUERY and q.question and \
                q.question[0].rdtype == dns.rdatatype.SOA:
            r.answer = [soa(10 if case.name == "good10" else 11)]
        elif q.opcode() != dns.opcode.NOTIFY:
            r.set_rcode(dns.rcode.REFUSED)
        sock.sendto(r.to_wire(), self.client_address)


class TCPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class UDPServer(socketserver.ThreadingUDPServer):
    allow_reuse_address = True
    daemon_threads = True


def main():
    if sys.argv[1:] == ["--list"]:
        for c in CASES:
            print("\t".join([c.name, c.kind, c.reason, c.fallback or "-", c.sends]))
        return 0
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    port = int(sys.argv[1])
    keyring = {dns.name.from_text(sys.argv[2]):
               dns.tsig.Key(sys.argv[2], base64.b64decode(sys.argv[3]),
                            dns.tsig.HMAC_SHA256)}
    servers = []
    for cls, h in ((TCPServer, TCPHandler), (UDPServer, UDPHandler)):
        s = cls(("127.0.0.1", port), h)
        s.keyring = keyring
        s.control = sys.argv[4]
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    log("evil primary on 127.0.0.1#%d, pid %d" % (port, os.getpid()))
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
