#!/usr/bin/python3
"""Transfer checks for xfr_interop.sh, on dnspython.

  xfr_compare.py same ZONE KEY REF_PORT PORT...
      AXFR of ZONE (signed with KEY, NAME:ALG:SECRET or "-" for none) from
      127.0.0.1 at REF_PORT and at each PORT; every record set equal to
      REF_PORT's (owner and RDATA compared in canonical form, TTL too).
      Prints the record count, or the differences.
  xfr_compare.py axfr ZONE KEY PORT
      One AXFR: every message signed and verified (the TSIG chain of RFC
      8945 5.3.1), SOA first and last, no duplicate; prints
      "records N messages M".
  xfr_compare.py ixfr ZONE KEY PORT SERIAL
      IXFR from SERIAL: prints "incremental", the steps with the records
      deleted and added, or "axfr-form N", or the rcode.
  xfr_compare.py udp ZONE KEY PORT
      AXFR over UDP: prints the rcode of the answer.
  xfr_compare.py stall ZONE KEY PORT SECONDS
      Opens TCP with a tiny receive window, sends a signed AXFR request
      and reads nothing for SECONDS; prints "connected" once sent.
  xfr_compare.py late ZONE KEY PORT SECONDS
      Sends a signed AXFR request and starts reading only after SECONDS:
      prints "port P" (its own), then "records N messages M" or the
      error (a reset).
  xfr_compare.py notifysink KEY PORT SECONDS
      Acknowledges and prints every NOTIFY arriving at PORT for SECONDS.
  xfr_compare.py rcode ZONE KEY PORT
      AXFR over TCP: prints the first message's rcode (and TSIG error).
"""
import socket
import struct
import sys
import time

import dns.exception
import dns.flags
import dns.opcode
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

ALGS = {
    "SHA1": dns.tsig.HMAC_SHA1,
    "SHA224": dns.tsig.HMAC_SHA224,
    "SHA256": dns.tsig.HMAC_SHA256,
    "SHA384": dns.tsig.HMAC_SHA384,
    "SHA512": dns.tsig.HMAC_SHA512,
}


def key_of(text):
    """NAME:ALG:SECRET -> (keyring, keyname, algorithm), or Nones."""
    if text == "-":
        return None, None, None
    name, alg, secret = text.split(":", 2)
    ring = dns.tsigkeyring.from_text({name: secret})
    return ring, dns.name.from_text(name), ALGS[alg.upper()]


def request(zone, key, rdtype=dns.rdatatype.AXFR, serial=None):
    ring, kname, alg = key_of(key)
    q = dns.message.make_query(zone, rdtype)
    if serial is not None:
        soa = dns.rdata.from_text(
            dns.rdataclass.IN, dns.rdatatype.SOA,
            f". . {serial} 0 0 0 0")
        rrset = q.find_rrset(q.authority, dns.name.from_text(zone),
                             dns.rdataclass.IN, dns.rdatatype.SOA,
                             create=True)
        rrset.add(soa, 0)
    if ring:
        q.use_tsig(ring, kname, algorithm=alg)
    return q, ring


def frames(sock, deadline):
    """The DNS messages of a TCP stream as they come, raw."""
    buf = b""
    while True:
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
            (ln,) = struct.unpack("!H", buf[:2])
            yield buf[2:2 + ln]
            buf = buf[2 + ln:]
        sock.settimeout(max(0.1, deadline - time.time()))
        chunk = sock.recv(1 << 20)
        if not chunk:
            raise EOFError("connection closed mid-transfer")
        buf += chunk


def read_stream(sock, q, ring, zone, timeout=30, delay=0):
    """The messages of a transfer over TCP, each parsed with the TSIG
    context chained from the one before (dnspython raises on a bad MAC).
    Reads the whole stream first (a slow parser must not look like a
    client that stopped reading), after delay seconds."""
    w = q.to_wire()
    sock.sendall(struct.pack("!H", len(w)) + w)
    if delay:
        time.sleep(delay)
    msgs = []
    ctx = None
    soas = 0
    first_serial = None
    rrs = []
    wires = []
    for wire in frames(sock, time.time() + timeout):
        wires.append(wire)
        # a quick look for the end, without the additional section (the
        # TSIG is checked below, in order)
        m = dns.message.from_wire(wire[:10] + b"\0\0" + wire[12:], xfr=True,
                                  one_rr_per_rrset=True, ignore_trailing=True)
        if m.rcode() != dns.rcode.NOERROR:
            break
        done = False
        for rrset in m.answer:
            rrs.append(rrset)
            if rrset.rdtype == dns.rdatatype.SOA:
                if first_serial is None:
                    first_serial = rrset[0].serial
                soas += 1
        if q.question[0].rdtype == dns.rdatatype.AXFR:
            done = soas >= 2
        elif len(rrs) == 1 and soas == 1:
            done = True
        elif len(rrs) >= 2 and rrs[1].rdtype != dns.rdatatype.SOA:
            done = soas >= 2  # AXFR form
        else:
            done = sum(1 for r in rrs if r.rdtype == dns.rdatatype.SOA
                       and r[0].serial == first_serial) >= 3
        if done:
            break
    for wire in wires:
        m = dns.message.from_wire(
            wire, keyring=ring, request_mac=q.mac if ring else b"",
            xfr=True, origin=None, tsig_ctx=ctx, multi=True,
            one_rr_per_rrset=True)
        if ring:
            ctx = m.tsig_ctx
        msgs.append(m)
    return msgs


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    return s


def records(msgs):
    out = []
    for m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                out.append((rrset.name, rrset.ttl, rrset.rdclass,
                            rrset.rdtype, rd))
    return out


def canon(rec):
    name, ttl, rdclass, rdtype, rd = rec
    return (name.canonicalize().to_text(), ttl,
            dns.rdatatype.to_text(rdtype),
            rd.to_digestable(dns.name.root).hex(),
            rd.to_text(origin=None, relativize=False))


def axfr(zone, key, port, check_signed=True):
    q, ring = request(zone, key)
    with connect(port) as s:
        msgs = read_stream(s, q, ring, zone)
    if msgs[0].rcode() != dns.rcode.NOERROR:
        raise RuntimeError(f"port {port}: {dns.rcode.to_text(msgs[0].rcode())}")
    if ring and check_signed:
        for i, m in enumerate(msgs):
            if not m.had_tsig:
                raise RuntimeError(f"port {port}: message {i} not signed")
    return msgs


def cmd_same(zone, key, ref, *ports):
    want = records(axfr(zone, key, int(ref)))
    body = sorted(set(canon(r) for r in want[1:-1]))
    bad = 0
    for p in ports:
        got = records(axfr(zone, key, int(p)))
        gb = sorted(set(canon(r) for r in got[1:-1]))
        if canon(got[0]) != canon(want[0]):
            print(f"port {p}: SOA {canon(got[0])[4]} != {canon(want[0])[4]}")
            bad += 1
        missing = sorted(set(body) - set(gb))
        extra = sorted(set(gb) - set(body))
        for r in missing[:20]:
            print(f"port {p}: missing {r[0]} {r[1]} {r[2]} {r[4]}")
        for r in extra[:20]:
            print(f"port {p}: extra   {r[0]} {r[1]} {r[2]} {r[4]}")
        if missing or extra:
            bad += 1
            print(f"port {p}: {len(missing)} missing, {len(extra)} extra")
        else:
            print(f"port {p}: {len(gb) + 1} records, the same")
    print(f"reference: {len(body) + 1} records, {len(set(r[2] for r in body))} types")
    return 1 if bad else 0


def cmd_axfr(zone, key, port):
    msgs = axfr(zone, key, int(port))
    recs = records(msgs)
    first, last = recs[0], recs[-1]
    if first[3] != dns.rdatatype.SOA or last[3] != dns.rdatatype.SOA:
        print("SOA not first and last")
        return 1
    if canon(first) != canon(last):
        print("first and last SOA differ")
        return 1
    body = [canon(r)[:4] for r in recs[1:-1]]
    if len(set(body)) != len(body):
        print(f"{len(body) - len(set(body))} duplicates")
        return 1
    if any(r[3] == dns.rdatatype.SOA for r in recs[1:-1]):
        print("a SOA inside the transfer")
        return 1
    print(f"records {len(recs)} messages {len(msgs)} serial {first[4].serial}")
    return 0


def cmd_ixfr(zone, key, port, serial):
    q, ring = request(zone, key, dns.rdatatype.IXFR, int(serial))
    with connect(int(port)) as s:
        msgs = read_stream(s, q, ring, zone)
    if msgs[0].rcode() != dns.rcode.NOERROR:
        print(dns.rcode.to_text(msgs[0].rcode()))
        return 0
    if ring and not all(m.had_tsig for m in msgs):
        print("unsigned message")
        return 1
    recs = records(msgs)
    if len(recs) == 1:
        print(f"up-to-date {recs[0][4].serial}")
        return 0
    if recs[1][3] != dns.rdatatype.SOA:
        print(f"axfr-form {len(recs) - 1}")
        return 0
    print("incremental")
    new = recs[0][4].serial
    i = 1
    while i < len(recs) - 1:
        old = recs[i][4].serial
        i += 1
        dels = []
        while recs[i][3] != dns.rdatatype.SOA:
            dels.append(canon(recs[i]))
            i += 1
        to = recs[i][4].serial
        i += 1
        adds = []
        while recs[i][3] != dns.rdatatype.SOA:
            adds.append(canon(recs[i]))
            i += 1
        print(f"step {old} -> {to}")
        for r in dels:
            print(f"- {r[0]} {r[1]} {r[2]} {r[4]}")
        for r in adds:
            print(f"+ {r[0]} {r[1]} {r[2]} {r[4]}")
    if recs[-1][4].serial != new:
        print("last SOA is not the new one")
        return 1
    return 0


def cmd_udp(zone, key, port):
    q, ring = request(zone, key)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=int(port), timeout=3,
                          ignore_trailing=True)
        print(dns.rcode.to_text(r.rcode()))
    except dns.exception.Timeout:
        print("timeout")
    return 0


def cmd_rcode(zone, key, port):
    q, ring = request(zone, key)
    with connect(int(port)) as s:
        try:
            msgs = read_stream(s, q, ring, zone, timeout=10)
        except dns.tsig.PeerBadSignature:
            print("BADSIG")
            return 0
        except dns.tsig.PeerBadKey:
            print("BADKEY")
            return 0
        except EOFError:
            print("closed")
            return 0
    m = msgs[0]
    print(dns.rcode.to_text(m.rcode()))
    return 0


def cmd_late(zone, key, port, delay):
    """Sends the request, reads the answer only after delay seconds."""
    q, ring = request(zone, key)
    with connect(int(port)) as s:
        print(f"port {s.getsockname()[1]}", flush=True)
        msgs = read_stream(s, q, ring, zone, delay=float(delay))
    recs = records(msgs)
    print(f"records {len(recs)} messages {len(msgs)}")
    return 0


def cmd_notifysink(key, port, seconds):
    """Prints each NOTIFY arriving at 127.0.0.1#PORT (TSIG checked with
    KEY) as "notify ZONE signed KEYNAME" or "notify ZONE unsigned", and
    acknowledges it (signed when it was)."""
    ring, kname, alg = key_of(key)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", int(port)))
    end = time.time() + float(seconds)
    while time.time() < end:
        s.settimeout(max(0.1, end - time.time()))
        try:
            wire, peer = s.recvfrom(65535)
        except socket.timeout:
            continue
        try:
            m = dns.message.from_wire(wire, keyring=ring)
        except Exception as e:
            print(f"bad {type(e).__name__}", flush=True)
            continue
        if m.opcode() != dns.opcode.NOTIFY:
            continue
        zone = m.question[0].name.to_text()
        r = dns.message.make_response(m)
        r.flags |= dns.flags.AA
        print(f"notify {zone} " + (f"signed {m.keyname}" if m.had_tsig
                                   else "unsigned"), flush=True)
        s.sendto(r.to_wire(), peer)
    return 0


def cmd_stall(zone, key, port, seconds):
    q, ring = request(zone, key)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    s.connect(("127.0.0.1", int(port)))
    w = q.to_wire()
    s.sendall(struct.pack("!H", len(w)) + w)
    print("connected", flush=True)
    end = time.time() + float(seconds)
    while time.time() < end:
        time.sleep(0.1)
    s.close()
    return 0


def main(argv):
    cmds = {"same": cmd_same, "axfr": cmd_axfr, "ixfr": cmd_ixfr,
            "udp": cmd_udp, "stall": cmd_stall, "notifysink": cmd_notifysink, "late": cmd_late, "rcode": cmd_rcode}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__)
        return 2
    try:
        return cmds[argv[1]](*argv[2:])
    except Exception as e:  # the test prints it; a failure, not a crash
        print(f"error: {type(e).__name__}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
