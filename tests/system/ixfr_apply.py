#!/usr/bin/python3
"""The helper of ixfr_apply.sh: zone versions, signed transfers, and the
check that an IXFR answer applies to the version the client had.

  gen DIR SEED N            zone files DIR/zone.0 .. DIR/zone.N (a seeded
                            random mix of changes from one to the next),
                            DIR/serials (one a line), DIR/changes.K
  step DIR PORT KEY K       the AXFR of version K recorded (DIR/axfr.K),
                            compared with DIR/zone.K; for K > 0, IXFR from
                            version K-1 over TCP and UDP checked
  selftest DIR PORT KEY K   the checker catches an IXFR answer from K-1
                            spoilt in a few ways
  pairs DIR PORT KEY N TAG  IXFR from every older version to N over TCP
                            and UDP, from N itself and from ahead (the SOA
                            alone), from serials never served (AXFR form)

KEY is NAME:SHA256:BASE64. Every check prints one "ok - ..." or
"FAIL: ..." line (the script counts them); other lines are notes.
"""
import json
import os
import random
import socket
import struct
import sys
import time

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.serial
import dns.tsig
import dns.zone

ZONE = "example.org."
ORIGIN = dns.name.from_text(ZONE)
SOA = dns.rdatatype.SOA
TIMEOUT = 5.0


# ---------------------------------------------------------------- versions
#
# A version is a dict name -> {type -> [ttl, [rdata text, ...]]}, names
# relative to the zone ("@" the apex), written out one record a line.

def initial(rng, serial):
    z = {}

    def put(name, t, ttl, *rds):
        z.setdefault(name, {})[t] = [ttl, list(rds)]

    put("@", "SOA", 3600,
        "ns1 hostmaster %d 3600 600 86400 300" % serial)
    put("@", "NS", 3600, "ns1", "ns2")
    put("@", "MX", 3600, "10 mail", "20 mail2")
    put("@", "TXT", 3600, '"v=spf1 mx -all"')
    for i, n in enumerate(("ns1", "ns2", "mail", "mail2")):
        put(n, "A", 3600, "192.0.2.%d" % (i + 1))
        put(n, "AAAA", 3600, "2001:db8::%x" % (i + 1))
    for i in range(220):
        n = "h%03d" % i
        ttl = rng.choice((300, 600, 3600))
        k = rng.random()
        if k < 0.5:
            put(n, "A", ttl, *sorted({rnd_a(rng) for _ in range(rng.randint(1, 3))}))
        if k >= 0.3:
            put(n, "AAAA", ttl, *sorted({rnd_aaaa(rng) for _ in range(rng.randint(1, 2))}))
        if rng.random() < 0.3:
            put(n, "TXT", ttl, *sorted({rnd_txt(rng) for _ in range(rng.randint(1, 2))}))
        if rng.random() < 0.1:
            put(n, "MX", ttl, "10 mail", "20 h%03d" % rng.randrange(220))
    for i in range(30):
        put("c%03d" % i, "CNAME", rng.choice((300, 3600)), "h%03d" % rng.randrange(220))
    for i in range(12):
        put("_svc%d._tcp" % i, "SRV", 600,
            *sorted({"%d %d %d h%03d" % (rng.randint(0, 20), rng.randint(0, 9),
                                          rng.randint(1000, 9000), rng.randrange(220))
                     for _ in range(rng.randint(1, 3))}))
    for i in range(8):
        put("sub%d" % i, "NS", 86400, "ns1.sub%d" % i, "ns2.sub%d" % i)
        put("ns1.sub%d" % i, "A", 86400, "198.51.100.%d" % (i + 1))
        put("ns2.sub%d" % i, "AAAA", 86400, "2001:db8:100::%x" % (i + 1))
    # big TXT records: the AXFR takes more than one 64 KiB message, and
    # so do the steps that rewrite many of them ("bulk")
    for i in range(BIG):
        put("b%03d" % i, "TXT", 3600, big_txt(rng))
    put("*.wild", "A", 300, "192.0.2.250")
    put("*.wild", "TXT", 300, '"wildcard"')
    put("a.wild", "A", 300, "192.0.2.251")
    return z


BIG = 120


def big_txt(rng):
    return " ".join('"%s"' % "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789")
                                     for _ in range(250)) for _ in range(3))


def rnd_a(rng):
    return "192.0.2.%d" % rng.randint(1, 254) if rng.random() < 0.5 else \
        "203.0.113.%d" % rng.randint(1, 254)


def rnd_aaaa(rng):
    return "2001:db8:%x::%x" % (rng.randint(1, 0xfff), rng.randint(1, 0xffff))


def rnd_txt(rng):
    words = ("alpha", "bravo", "charlie", "delta", "echo", "fox", "golf",
             "hotel", "india", "juliet", "kilo", "lima")
    return '"%s"' % " ".join(rng.choice(words) for _ in range(rng.randint(1, 6)))


def rnd_rdata(rng, t):
    if t == "A":
        return rnd_a(rng)
    if t == "AAAA":
        return rnd_aaaa(rng)
    if t == "TXT":
        return rnd_txt(rng)
    if t == "MX":
        return "%d h%03d" % (rng.randint(1, 50), rng.randrange(220))
    if t == "SRV":
        return "%d %d %d h%03d" % (rng.randint(0, 20), rng.randint(0, 9),
                                   rng.randint(1000, 9000), rng.randrange(220))
    if t == "CNAME":
        return "h%03d" % rng.randrange(220)
    if t == "NS":
        return "ns%d" % rng.randint(3, 9)
    raise ValueError(t)


def ordinary(z):
    """Names that are free to change: hosts, aliases, services, names
    under the wildcard (not the apex, delegations or their glue)."""
    return sorted(n for n in z if n != "@" and "sub" not in n and n != "*.wild")


def mutate(rng, z, serial, changes, bulk):
    """One commit's worth of changes to z, in place."""
    ops = ["add", "delete", "rdata", "ttl", "delname", "wild", "soa"]
    chosen = rng.sample(ops, rng.randint(3, 6))
    chosen += [rng.choice(ops) for _ in range(rng.randint(0, 6))]
    if bulk:
        chosen.append("bulk")
    for op in chosen:
        names = ordinary(z)
        if op == "add":
            # records into an RRset of a host (new or existing) or a new name
            if rng.random() < 0.3:
                n = "n%05d" % rng.randrange(100000)
                while n in z:
                    n = "n%05d" % rng.randrange(100000)
            else:
                n = rng.choice([x for x in names if "CNAME" not in z[x]])
            t = rng.choice(("A", "AAAA", "TXT", "MX"))
            rs = z.setdefault(n, {}).setdefault(t, [rng.choice((300, 600)), []])
            for _ in range(rng.randint(1, 3)):
                rd = rnd_rdata(rng, t)
                if rd not in rs[1]:
                    rs[1].append(rd)
                    changes.append("add %s %s %s" % (n, t, rd))
        elif op == "delete":
            cand = [(n, t) for n in names for t in z[n] if len(z[n][t][1]) >= 2]
            if not cand:
                continue
            n, t = rng.choice(cand)
            rds = z[n][t][1]
            for rd in rng.sample(rds, rng.randint(1, len(rds) - 1)):
                rds.remove(rd)
                changes.append("delete %s %s %s" % (n, t, rd))
            # sometimes a whole RRset of a name that keeps others
            multi = [x for x in names if len(z[x]) >= 2]
            if multi and rng.random() < 0.5:
                n = rng.choice(multi)
                t = rng.choice(sorted(z[n]))
                del z[n][t]
                changes.append("delete RRset %s %s" % (n, t))
        elif op == "rdata":
            pool = [(n, t) for n in names for t in z[n]]
            pool += [("ns1.sub%d" % i, "A") for i in range(8) if "ns1.sub%d" % i in z]
            pool += [("@", "MX"), ("@", "TXT")]
            n, t = rng.choice(pool)
            rds = z[n][t][1]
            old = rng.choice(rds)
            new = rnd_rdata(rng, t) if t != "A" or "sub" not in n else \
                "198.51.100.%d" % rng.randint(100, 254)
            if new in rds:
                continue
            rds[rds.index(old)] = new
            changes.append("rdata %s %s %s -> %s" % (n, t, old, new))
        elif op == "ttl":
            pool = [(n, t) for n in z for t in z[n] if t != "SOA"]
            n, t = rng.choice(pool)
            new = rng.choice([x for x in (60, 300, 600, 1800, 3600, 7200, 86400)
                              if x != z[n][t][0]])
            changes.append("ttl %s %s %d -> %d" % (n, t, z[n][t][0], new))
            z[n][t][0] = new
        elif op == "delname":
            n = rng.choice([x for x in names if x not in ("ns1", "ns2")])
            del z[n]
            changes.append("delete name %s" % n)
        elif op == "wild":
            n = "w%04d.wild" % rng.randrange(10000)
            t = rng.choice(("A", "TXT", "AAAA"))
            rd = rnd_rdata(rng, t)
            z.setdefault(n, {}).setdefault(t, [300, []])[1].append(rd)
            changes.append("add under the wildcard %s %s %s" % (n, t, rd))
        elif op == "bulk":
            bigs = [n for n in z if n.startswith("b") and "TXT" in z[n]]
            for n in rng.sample(bigs, min(len(bigs), 45)):
                z[n]["TXT"][1] = [big_txt(rng)]
            changes.append("bulk: 45 big TXT records rewritten")
        elif op == "soa":
            f = z["@"]["SOA"][1][0].split()
            what = rng.choice(("mname", "rname", "refresh", "retry", "expire",
                               "minimum", "ttl"))
            if what == "mname":
                f[0] = "ns2" if f[0] == "ns1" else "ns1"
            elif what == "rname":
                f[1] = "dnsadmin" if f[1] == "hostmaster" else "hostmaster"
            elif what == "ttl":
                z["@"]["SOA"][0] = 1800 if z["@"]["SOA"][0] == 3600 else 3600
            else:
                i = ("refresh", "retry", "expire", "minimum").index(what) + 3
                f[i] = str(int(f[i]) + rng.randint(1, 100))
            z["@"]["SOA"][1][0] = " ".join(f)
            changes.append("SOA %s" % what)
    # drop emptied RRsets and names
    for n in list(z):
        for t in list(z[n]):
            if not z[n][t][1]:
                del z[n][t]
        if not z[n]:
            del z[n]
    f = z["@"]["SOA"][1][0].split()
    f[2] = str(serial)
    z["@"]["SOA"][1][0] = " ".join(f)


def zone_text(z):
    out = ["$ORIGIN %s" % ZONE]
    for n in sorted(z, key=lambda x: (x != "@", x)):
        for t in sorted(z[n], key=lambda x: (x != "SOA", x)):
            ttl, rds = z[n][t]
            for rd in rds:
                out.append("%s %d IN %s %s" % (n, ttl, t, rd))
    return "\n".join(out) + "\n"


def cmd_gen(d, seed, n):
    rng = random.Random(seed)
    # 2^32 - 67296 on: one big jump (+50000) and one wrap-around
    # (4294967290 -> 5, RFC 1982), every step smaller than 2^31
    serials = [4294900000]
    for k in range(1, n + 1):
        if k == 4:
            serials.append((serials[-1] + 50000) % 2**32)
        elif k == n - 4:
            serials.append(4294967290)
        elif k == n - 3:
            serials.append(5)
        else:
            serials.append((serials[-1] + 1) % 2**32)
    for a, b in zip(serials, serials[1:]):
        assert dns.serial.Serial(b) > dns.serial.Serial(a), (a, b)
    z = initial(rng, serials[0])
    print("# version 0: %d names, %d records" % (
        len(z), sum(len(r[1]) for x in z.values() for r in x.values())))
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "zone.0"), "w") as f:
        f.write(zone_text(z))
    for k in range(1, n + 1):
        changes = []
        mutate(rng, z, serials[k], changes, k in (2, 7))
        with open(os.path.join(d, "zone.%d" % k), "w") as f:
            f.write(zone_text(z))
        with open(os.path.join(d, "changes.%d" % k), "w") as f:
            f.write("\n".join(changes) + "\n")
    with open(os.path.join(d, "serials"), "w") as f:
        f.write("\n".join(str(s) for s in serials) + "\n")
    print("# %d versions, serials %s" % (n + 1, " ".join(map(str, serials))))


# ---------------------------------------------------------------- records
#
# A record set: dict (owner, type, rdata text) -> ttl, absolute names.

def rkey(name, rd):
    return (name.to_text().lower(), rd.rdtype, rd.to_text())


def rtext(k, ttl=None):
    return "%s %s%s %s" % (k[0], "" if ttl is None else "%d " % ttl,
                           dns.rdatatype.to_text(k[1]), k[2])


def file_set(path):
    z = dns.zone.from_file(path, origin=ZONE, relativize=False)
    return {rkey(n, rd): ttl for n, ttl, rd in z.iterate_rdatas()}


def save_set(path, s):
    with open(path, "w") as f:
        json.dump([[k[0], k[1], k[2], v] for k, v in sorted(s.items())], f)


def load_set(path):
    with open(path) as f:
        return {(a, b, c): t for a, b, c, t in json.load(f)}


def set_diff(got, want, limit=6):
    """Why got is not want, in a few words."""
    extra = sorted(k for k in got if k not in want)
    missing = sorted(k for k in want if k not in got)
    ttl = sorted(k for k in got if k in want and got[k] != want[k])
    out = []
    if extra:
        out.append("%d extra (%s)" % (len(extra), "; ".join(rtext(k, got[k]) for k in extra[:limit])))
    if missing:
        out.append("%d missing (%s)" % (len(missing), "; ".join(rtext(k, want[k]) for k in missing[:limit])))
    if ttl:
        out.append("%d with another TTL (%s)" % (len(ttl), "; ".join(
            "%s got %d want %d" % (rtext(k), got[k], want[k]) for k in ttl[:limit])))
    return ", ".join(out)


def soa_serial(k):
    return int(k[2].split()[2])


# ---------------------------------------------------------------- transfers

class Key:
    def __init__(self, spec):
        name, alg, secret = spec.split(":")
        assert alg == "SHA256"
        self.name = dns.name.from_text(name)
        self.key = dns.tsig.Key(self.name, secret, dns.tsig.HMAC_SHA256)
        self.ring = {self.name: self.key}


def make_query(key, rdtype, serial=None, udp=False):
    q = dns.message.make_query(ORIGIN, rdtype)
    q.flags &= ~dns.flags.RD
    if serial is not None:
        soa = dns.rrset.from_text(ORIGIN, 0, "IN", "SOA",
                                  ". . %d 0 0 0 0" % serial)
        q.authority.append(soa)
    if udp:
        q.use_edns(0, 0, 4096)
    q.use_tsig(key.key)
    return q


class Answer:
    """The messages of one transfer: records in order, problems seen."""

    def __init__(self):
        self.records = []  # (key, ttl)
        self.messages = 0
        self.problems = []
        self.tc = False


def parse_message(a, q, key, wire, ctx, first):
    """One message of the answer to q into a; the TSIG context to go on."""
    try:
        m = dns.message.from_wire(wire, keyring=key.ring, request_mac=q.mac,
                                  tsig_ctx=ctx, multi=True, xfr=True,
                                  one_rr_per_rrset=True)
    except dns.exception.DNSException as e:
        a.problems.append("message %d: %s: %s (TSIG or format)" % (
            a.messages + 1, type(e).__name__, e))
        return None
    a.messages += 1
    if not m.had_tsig:
        a.problems.append("message %d is not signed" % a.messages)
    elif m.tsig_error != 0:
        a.problems.append("message %d TSIG error %s" % (a.messages, m.tsig_error))
    if m.rcode() != dns.rcode.NOERROR:
        a.problems.append("message %d rcode %s" % (a.messages, dns.rcode.to_text(m.rcode())))
    if m.id != q.id:
        a.problems.append("message %d id %d, not %d" % (a.messages, m.id, q.id))
    if m.flags & dns.flags.TC:
        a.tc = True
    if first and (len(m.question) != 1 or m.question[0].name != ORIGIN):
        a.problems.append("first message: question %s" % m.question)
    for rrset in m.answer:
        for rd in rrset:
            a.records.append((rkey(rrset.name, rd), rrset.ttl))
    return m.tsig_ctx


def complete(recs):
    """Whether the records so far make a whole answer (RFC 1995 §4):
    a SOA alone, the AXFR form closed by its SOA, or the incremental form
    closed by the SOA of the new serial after an old/new pair of SOAs."""
    if not recs:
        return False
    if len(recs) == 1:
        return True  # decided by the caller: the first message held only it
    n = soa_serial(recs[0][0]) if recs[0][0][1] == SOA else None
    soas = [i for i, (k, _) in enumerate(recs) if k[1] == SOA]
    if recs[1][0][1] != SOA:
        return len(soas) >= 2
    # the first SOA, an old and a new one per sequence, the closing one
    return len(soas) >= 4 and len(soas) % 2 == 0 and \
        soa_serial(recs[soas[-1]][0]) == n


def tcp_xfr(port, key, rdtype, serial=None):
    q = make_query(key, rdtype, serial)
    a = Answer()
    wire = q.to_wire()
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    try:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        ctx = None
        first = True
        while True:
            if time.monotonic() > deadline:
                a.problems.append("timed out after %d messages" % a.messages)
                break
            head = recv_all(s, 2)
            if head is None:
                a.problems.append("connection closed after %d messages, answer incomplete" % a.messages)
                break
            body = recv_all(s, struct.unpack("!H", head)[0])
            if body is None:
                a.problems.append("connection closed inside message %d" % (a.messages + 1))
                break
            ctx = parse_message(a, q, key, body, ctx, first)
            if ctx is None and a.problems:
                break
            if first and len(a.records) == 1:
                break  # the SOA alone
            first = False
            if rdtype == dns.rdatatype.AXFR:
                if len(a.records) >= 2 and a.records[-1][0][1] == SOA:
                    break
            elif complete(a.records):
                break
    except OSError as e:
        a.problems.append("TCP: %s" % e)
    finally:
        s.close()
    return a


def recv_all(s, n):
    buf = b""
    while len(buf) < n:
        try:
            c = s.recv(n - len(buf))
        except socket.timeout:
            return None
        if not c:
            return None
        buf += c
    return buf


def udp_ixfr(port, key, serial):
    q = make_query(key, dns.rdatatype.IXFR, serial, udp=True)
    a = Answer()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(TIMEOUT)
    try:
        s.sendto(q.to_wire(), ("127.0.0.1", port))
        while True:
            wire, peer = s.recvfrom(65535)
            if len(wire) >= 2 and struct.unpack("!H", wire[:2])[0] == q.id:
                break
            print("# a stray datagram from %s ignored" % (peer,))
        parse_message(a, q, key, wire, None, True)
        a.size = len(wire)
    except socket.timeout:
        a.problems.append("no UDP answer in %g s" % TIMEOUT)
    finally:
        s.close()
    return a


def axfr_set(port, key):
    a = tcp_xfr(port, key, dns.rdatatype.AXFR)
    recs = a.records
    if not a.problems:
        if len(recs) < 2 or recs[0][0][1] != SOA or recs[-1][0] != recs[0][0]:
            a.problems.append("AXFR not framed by the same SOA")
        elif any(k[1] == SOA for k, _ in recs[1:-1]):
            a.problems.append("a SOA inside the AXFR")
    s = {}
    for k, ttl in recs[:-1]:
        if k in s:
            a.problems.append("AXFR has %s twice" % rtext(k))
        s[k] = ttl
    return a, s


# ---------------------------------------------------------------- applying

def apply(a, base, client):
    """The answer a applied to base (the set at serial client): (form,
    result set, problems). form: "soa", "axfr" or "ixfr N"."""
    recs = a.records
    p = []
    if not recs or recs[0][0][1] != SOA or recs[0][0][0] != ZONE:
        return "?", None, ["the answer does not start with the zone's SOA"]
    top, top_ttl = recs[0]
    n = soa_serial(top)
    if len(recs) == 1:
        return "soa", None, p
    if recs[-1][0] != top:
        p.append("the last record is not the first SOA: %s" % rtext(*recs[-1]))
    if recs[1][0][1] != SOA:
        if sum(1 for k, _ in recs[:-1] if k[1] == SOA) != 1:
            p.append("a SOA inside the AXFR form")
        s = {}
        for k, ttl in recs[:-1]:
            if k in s:
                p.append("AXFR form has %s twice" % rtext(k))
            s[k] = ttl
        return "axfr", s, p
    state = dict(base)
    cur = [k for k in state if k[1] == SOA]
    expect = client
    i, seqs = 1, 0
    while i < len(recs):
        old, old_ttl = recs[i]
        if i == len(recs) - 1:
            break  # the closing SOA
        if old[1] != SOA:
            p.append("record %d: %s where an old SOA belongs" % (i, rtext(old, old_ttl)))
            break
        seqs += 1
        if soa_serial(old) != expect:
            p.append("sequence %d starts at serial %d, the chain is at %d" % (
                seqs, soa_serial(old), expect))
        if cur != [old] or state.get(old) != old_ttl:
            p.append("sequence %d: old SOA %s is not the SOA held (%s)" % (
                seqs, rtext(old, old_ttl), "; ".join(rtext(c, state[c]) for c in cur)))
        for c in cur:
            del state[c]
        i += 1
        while i < len(recs) and recs[i][0][1] != SOA:
            k, ttl = recs[i]
            if k not in state:
                p.append("sequence %d deletes %s, which is not there" % (seqs, rtext(k, ttl)))
            else:
                if state[k] != ttl:
                    p.append("sequence %d deletes %s with TTL %d, held with %d" % (
                        seqs, rtext(k), ttl, state[k]))
                del state[k]
            i += 1
        if i >= len(recs):
            p.append("sequence %d has no new SOA" % seqs)
            break
        new, new_ttl = recs[i]
        if not dns.serial.Serial(soa_serial(new)) > dns.serial.Serial(expect):
            p.append("sequence %d goes from %d to %d, not forward" % (seqs, expect, soa_serial(new)))
        expect = soa_serial(new)
        state[new] = new_ttl
        cur = [new]
        i += 1
        while i < len(recs) and recs[i][0][1] != SOA:
            k, ttl = recs[i]
            if k in state:
                p.append("sequence %d adds %s, which is there already (TTL %d)" % (
                    seqs, rtext(k, ttl), state[k]))
            state[k] = ttl
            i += 1
    if expect != n:
        p.append("the chain ends at serial %d, not %d" % (expect, n))
    return "ixfr %d" % seqs, state, p


def check(ok, what, why=""):
    if ok:
        print("ok - %s" % what)
    else:
        print("FAIL: %s: %s" % (what, why))


def check_ixfr(port, key, base, client, newest, what, tcp, form_want=None):
    """IXFR from serial client (set base) checked against newest."""
    a = tcp_xfr(port, key, dns.rdatatype.IXFR, client) if tcp else \
        udp_ixfr(port, key, client)
    proto = "TCP" if tcp else "UDP"
    what = "%s %s" % (what, proto)
    if a.problems:
        return check(False, what, "; ".join(a.problems))
    if a.tc:
        return check(False, what, "TC set in the UDP answer (%d records)" % len(a.records))
    form, result, p = apply(a, base, client)
    newest_soa = [(k, t) for k, t in newest.items() if k[1] == SOA]
    if form == "soa":
        if a.records != newest_soa:
            p.append("the single SOA %s is not the newest %s" % (
                rtext(*a.records[0]), rtext(*newest_soa[0])))
        if form_want not in ("soa", "soa-or-ixfr") and tcp:
            p.append("the SOA alone over TCP, want %s" % form_want)
    else:
        if result is not None and result != newest:
            p.append("the result differs from the newest AXFR: %s" % set_diff(result, newest))
        if not tcp and form != "soa" and not form.startswith("ixfr"):
            p.append("over UDP an answer of %s form" % form)
        if form_want == "soa":
            p.append("%s form, want the SOA alone" % form)
        elif form_want == "axfr" and form != "axfr":
            p.append("%s form, want the AXFR form" % form)
        elif form_want == "ixfr" and not form.startswith("ixfr"):
            p.append("%s form, want incremental" % form)
    how = "%s, %d messages, %d records" % (form, a.messages, len(a.records))
    if not tcp:
        how += ", %d octets" % a.size
    check(not p, "%s: %s" % (what, how), "; ".join(p[:8]) +
          (" (and %d more)" % (len(p) - 8) if len(p) > 8 else ""))
    return form


def serials_of(d):
    with open(os.path.join(d, "serials")) as f:
        return [int(x) for x in f.read().split()]


def cmd_step(d, port, key, k):
    a, s = axfr_set(port, key)
    ser = serials_of(d)
    what = "AXFR of version %d (serial %d)" % (k, ser[k])
    if a.problems:
        check(False, what, "; ".join(a.problems))
        return
    want = file_set(os.path.join(d, "zone.%d" % k))
    check(s == want, "%s: %d records in %d messages, equal to the zone file" % (
        what, len(s), a.messages), set_diff(s, want))
    save_set(os.path.join(d, "axfr.%d" % k), s)
    if k == 0:
        return
    base = load_set(os.path.join(d, "axfr.%d" % (k - 1)))
    for tcp in (True, False):
        check_ixfr(port, key, base, ser[k - 1], s,
                   "IXFR v%d(%d) -> v%d(%d), just pulled" % (k - 1, ser[k - 1], k, ser[k]),
                   tcp, "ixfr" if tcp else "soa-or-ixfr")


def cmd_pairs(d, port, key, n, tag):
    ser = serials_of(d)
    newest = load_set(os.path.join(d, "axfr.%d" % n))
    a, now = axfr_set(port, key)
    check(not a.problems and now == newest,
          "%s: AXFR still the newest version (serial %d)" % (tag, ser[n]),
          "; ".join(a.problems) or set_diff(now, newest))
    for i in range(n):
        base = load_set(os.path.join(d, "axfr.%d" % i))
        for tcp in (True, False):
            check_ixfr(port, key, base, ser[i], newest,
                       "%s: IXFR v%d(%d) -> v%d(%d)" % (tag, i, ser[i], n, ser[n]),
                       tcp, None if tcp else "soa-or-ixfr")
    for tcp in (True, False):
        check_ixfr(port, key, newest, ser[n], newest,
                   "%s: IXFR from the newest serial %d: the SOA alone" % (tag, ser[n]),
                   tcp, "soa")
        ahead = (ser[n] + 5) % 2**32
        check_ixfr(port, key, newest, ahead, newest,
                   "%s: IXFR from serial %d, ahead: the SOA alone" % (tag, ahead),
                   tcp, "soa")
    served = set(ser)
    for never, why in (((ser[n] - 1000) % 2**32, "newest-1000"),
                       ((ser[0] - 7) % 2**32, "before version 0"),
                       ((ser[3] + 10) % 2**32, "inside the big jump")):
        assert never not in served
        for tcp in (True, False):
            check_ixfr(port, key, {}, never, newest,
                       "%s: IXFR from serial %d (%s, never served): %s" % (
                           tag, never, why, "AXFR form" if tcp else "the SOA alone"),
                       tcp, "axfr" if tcp else "soa")


def cmd_selftest(d, port, key, k):
    """The checker itself: a good answer (IXFR from version K-1) spoilt in
    five ways, each of which must be caught."""
    ser = serials_of(d)
    base = load_set(os.path.join(d, "axfr.%d" % (k - 1)))
    newest = load_set(os.path.join(d, "axfr.%d" % k))
    a = tcp_xfr(port, key, dns.rdatatype.IXFR, ser[k - 1])
    form, result, p = apply(a, base, ser[k - 1])
    good = not a.problems and form == "ixfr 1" and not p and result == newest
    check(good, "checker: the IXFR v%d -> v%d applies as it is" % (k - 1, k),
          "; ".join(a.problems + p) or form)
    if not good:
        return
    recs = a.records
    j = next(i for i in range(2, len(recs)) if recs[i][0][1] == SOA)
    if j == 2 or j + 1 >= len(recs) - 1:
        check(False, "checker: the step has deletions and additions", "%d, %d" % (
            j - 2, len(recs) - j - 2))
        return
    absent = ((ZONE, dns.rdatatype.A, "192.0.2.0"), 300)
    oldsoa = recs[1][0]
    f = oldsoa[2].split()
    f[2] = str(int(f[2]) - 1)
    spoilt = {
        "a deletion left out": recs[:2] + recs[3:],
        "an addition repeated": recs[:j + 1] + [recs[j + 1]] + recs[j + 1:],
        "a deletion of an absent record": recs[:2] + [absent] + recs[2:],
        "the old serial off by one": recs[:1] + [((oldsoa[0], oldsoa[1], " ".join(f)),
                                                  recs[1][1])] + recs[2:],
        "an addition left out": recs[:-2] + recs[-1:],
        "a deleted record with another TTL": recs[:2] + [(recs[2][0], recs[2][1] + 1)] + recs[3:],
    }
    for why, r in spoilt.items():
        b = Answer()
        b.records = r
        form, result, p = apply(b, base, ser[k - 1])
        caught = bool(p) or result != newest
        check(caught, "checker catches %s" % why, "applied without complaint")


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        cmd_gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    elif cmd == "step":
        cmd_step(sys.argv[2], int(sys.argv[3]), Key(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "selftest":
        cmd_selftest(sys.argv[2], int(sys.argv[3]), Key(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "pairs":
        cmd_pairs(sys.argv[2], int(sys.argv[3]), Key(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
