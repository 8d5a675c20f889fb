"""Differential test of the answer engine: the same queries to dnsd and to
NSD serving the same zones, responses compared rcode, header flags, EDNS
and section contents (record order aside).

Differences the RFCs allow are listed in ALLOWED, each with its reason; a
response pair that differs in any other way fails with a report showing
the query and both responses. Every referral of dnsd is also checked on
its own, whatever NSD sent: its additional section holds the referring
zone's own glue only (foreign_glue).

usage: answer_differential.py ZONEDIR DNSD_PORT NSD_PORT
"""

import os
import random
import socket
import sys
import time

import dns.edns
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone

SEED = 4242
CHAIN_MAX = 16  # DNSD_ANSWER_CHAIN_MAX
ADDR = "127.0.0.1"

T = dns.rdatatype
HEADER_FLAGS = (dns.flags.QR | dns.flags.AA | dns.flags.TC | dns.flags.RD |
                dns.flags.RA | dns.flags.AD | dns.flags.CD)

# ---------------------------------------------------------------------------
# Queries


class Query:
    def __init__(self, qname, qtype, qclass=dns.rdataclass.IN, tcp=False,
                 edns=-1, payload=1232, do=False, rd=False, cd=False):
        self.qname, self.qtype, self.qclass = qname, qtype, qclass
        self.tcp, self.edns, self.payload, self.do = tcp, edns, payload, do
        self.rd, self.cd = rd, cd

    def __str__(self):
        how = "tcp" if self.tcp else "udp"
        if self.edns >= 0:
            how += " edns%d/%d%s" % (self.edns, self.payload,
                                     "+do" if self.do else "")
        else:
            how += " noedns"
        flags = ("+rd" if self.rd else "") + ("+cd" if self.cd else "")
        return "%s %s %s (%s%s)" % (
            self.qname, dns.rdataclass.to_text(self.qclass),
            dns.rdatatype.to_text(self.qtype), how,
            " " + flags if flags else "")

    def message(self, qid):
        m = dns.message.make_query(self.qname, self.qtype, self.qclass,
                                   use_edns=self.edns, payload=self.payload,
                                   want_dnssec=self.do)
        m.id = qid
        m.flags = (dns.flags.RD if self.rd else 0) | \
            (dns.flags.CD if self.cd else 0)
        return m


def mixed_case(rng, name):
    text = name.to_text()
    return dns.name.from_text("".join(
        c.upper() if rng.random() < 0.5 else c.lower() for c in text))


def load_zones(zdir):
    zones = {}
    for f in sorted(os.listdir(zdir)):
        origin = dns.name.from_text(f)
        zones[origin] = dns.zone.from_file(os.path.join(zdir, f), origin,
                                           relativize=False)
    return zones


def query_names(zones):
    """Every name of every zone, plus names around them: empty
    non-terminals, names below wildcards, below cuts, next to existing
    names (NXDOMAIN), and names in no zone."""
    names = set()
    for origin, z in zones.items():
        for n in z.nodes:
            names.add(n)
            # empty non-terminals between the name and the apex
            p = n.parent() if n != origin else origin
            while p != origin and p.is_subdomain(origin):
                names.add(p)
                p = p.parent()
            if n.labels[0] == b"*":
                names.add(dns.name.from_text("synth", n.parent()))
                names.add(dns.name.from_text("a.b", n.parent()))
            else:
                names.add(dns.name.from_text("nx", n))
        names.add(dns.name.from_text("nothere", origin))
        names.add(dns.name.from_text("deep.nothere", origin))
    for extra in ("www.unserved.test.", "com.", "."):
        names.add(dns.name.from_text(extra))
    return sorted(names)


QTYPES = [T.A, T.AAAA, T.NS, T.SOA, T.MX, T.TXT, T.CNAME, T.DS, T.SRV,
          T.ANY, T.PTR]


def make_queries(zones, rng):
    qs = []
    modes = [
        dict(edns=-1),
        dict(edns=0, payload=512),
        dict(edns=0, payload=1232),
        dict(edns=0, payload=4096),
        dict(edns=0, payload=700),
        dict(edns=0, payload=1232, do=True),
        dict(edns=-1, tcp=True),
        dict(edns=0, payload=1232, tcp=True),
    ]
    # every name and type twice, each time with a random transport, EDNS
    # size, letter case and RD/CD
    for _ in range(2):
        for name in query_names(zones):
            for qtype in QTYPES:
                mode = dict(rng.choice(modes))
                qname = mixed_case(rng, name) if rng.random() < 0.3 else name
                qs.append(Query(qname, qtype, rd=rng.random() < 0.5,
                                cd=rng.random() < 0.2, **mode))
    # every transport and size for the names that truncate
    for n in ("mid.example.com.", "big.example.com.", "tomid.example.com.",
              "www.manyns.example.com.", "mxmany.example.com.",
              "example.com."):
        for mode in modes:
            for qtype in (T.TXT, T.A, T.MX, T.ANY):
                qs.append(Query(dns.name.from_text(n), qtype, **mode))
    # referrals naming name servers in other served zones (not glue: left
    # out), beside in-domain and sibling glue (kept), every transport
    for n in ("nods.example.com.", "www.cross.example.org.",
              "tocross.example.org.", "www.mixed.example.org.",
              "www.sib.example.org."):
        for mode in modes:
            qs.append(Query(dns.name.from_text(n), T.A, **mode))
    # classes: ANY is answered from IN, CH and HS are refused
    for qclass in (dns.rdataclass.ANY, dns.rdataclass.CH, dns.rdataclass.HS):
        for n in ("www.example.com.", "version.bind.", "nothere.example.com."):
            qs.append(Query(dns.name.from_text(n), T.A, qclass=qclass))
    # EDNS version 1: BADVERS
    for n in ("www.example.com.", "www.unserved.test."):
        qs.append(Query(dns.name.from_text(n), T.A, edns=1))
    return qs


# ---------------------------------------------------------------------------
# Sending


def ask(q, port, qid):
    m = q.message(qid)
    # NSD restarts its server process once after start-up (xfrd's first
    # reload), resetting TCP connections open at that moment; a reset is
    # a transport event, not an answer, so it is retried.
    for attempt in range(3):
        try:
            if q.tcp:
                return dns.query.tcp(m, ADDR, port=port, timeout=3)
            # a truncated response is parsed, not raised
            return dns.query.udp(m, ADDR, port=port, timeout=3)
        except (dns.exception.Timeout, socket.timeout):
            return None
        except (ConnectionResetError, ConnectionRefusedError):
            if attempt == 2:
                raise
            time.sleep(0.2)


# ---------------------------------------------------------------------------
# Comparing


def rr_key(name, ttl, rdclass, rdtype, rd):
    """A record as a comparable tuple: names lowercased, RDATA in its
    canonical wire form (text forms differ, e.g. "::1:01" from a zone)."""
    return (name.to_text().lower(), ttl, rdclass, rdtype,
            rd.to_digestable())


def rrs(section):
    """Records of a section as a sorted list of comparable tuples."""
    return sorted(rr_key(rrset.name, rrset.ttl, rrset.rdclass, rrset.rdtype,
                         rd) for rrset in section for rd in rrset)


def rrsets(section):
    return sorted((r.name.to_text().lower(), r.rdtype) for r in section)


def summary(m):
    if m is None:
        return ["(no response)"]
    lines = ["rcode %s flags %s edns %s" % (
        dns.rcode.to_text(m.rcode()), dns.flags.to_text(m.flags),
        "%d/%d%s" % (m.edns, m.payload,
                     " do" if m.ednsflags & dns.flags.DO else "")
        if m.edns >= 0 else "-")]
    for q in m.question:
        lines.append("  QD %s" % q.to_text())
    for tag, sec in (("AN", m.answer), ("NS", m.authority),
                     ("AR", m.additional)):
        for rrset in sec:
            for rd in rrset:
                lines.append("  %s %s %d %s %s %s" % (
                    tag, rrset.name, rrset.ttl,
                    dns.rdataclass.to_text(rrset.rdclass),
                    dns.rdatatype.to_text(rrset.rdtype), rd.to_text()))
    return lines


def differences(q, a, b):
    """What differs between dnsd's (a) and NSD's (b) responses: a set of
    aspect names."""
    d = set()
    if a is None or b is None:
        if (a is None) != (b is None):
            d.add("response")
        return d
    if a.rcode() != b.rcode():
        d.add("rcode")
    fa, fb = a.flags & HEADER_FLAGS, b.flags & HEADER_FLAGS
    if (fa ^ fb) & ~dns.flags.TC:
        d.add("flags")
    if (fa ^ fb) & dns.flags.TC:
        d.add("tc")
    if a.edns != b.edns or a.payload != b.payload or \
            (a.ednsflags ^ b.ednsflags) & dns.flags.DO:
        d.add("edns")
    qa = [x.to_text() for x in a.question]
    qb = [x.to_text() for x in b.question]
    if qa != qb:
        d.add("question")
    if rrs(a.answer) != rrs(b.answer):
        d.add("answer")
    if rrs(a.authority) != rrs(b.authority):
        d.add("authority")
    if rrs(a.additional) != rrs(b.additional):
        d.add("additional")
    return d


def apex_ns(zones, name):
    """The apex NS records (as rrs() tuples) of the zone holding name."""
    best = None
    for origin in zones:
        if name.is_subdomain(origin) and (best is None or
                                          len(origin) > len(best)):
            best = origin
    if best is None:
        return None, set()
    node = zones[best].get_node(best)
    ns = node.get_rdataset(dns.rdataclass.IN, T.NS) if node else None
    if not ns:
        return best, set()
    return best, {rr_key(best, ns.ttl, dns.rdataclass.IN, T.NS, rd)
                  for rd in ns}


def subset(a, b):
    return set(a) <= set(b)


# Each allowance: (name, reason, predicate(q, a, b, diffs, zones) -> the
# aspects it explains). A pair passes when its differences are all
# explained.

def allow_ns_in_authority(q, a, b, d, zones):
    """Positive answer: NSD adds the NS RRset of the (last) zone to the
    authority section and their addresses to the additional section; dnsd
    sends minimal responses. RFC 1034 4.3.2 step 6 and RFC 2181 6.1 make
    the NS optional; the answer itself must be the same."""
    if not a.answer or a.authority or not (d & {"authority", "additional"}):
        return set()
    owners = [q.qname] + [r.name for r in a.answer]
    if not any(set(rrs(b.authority)) == apex_ns(zones, n)[1] and
               apex_ns(zones, n)[1] for n in owners):
        return set()
    if not subset(rrs(a.additional), rrs(b.additional)):
        return {"authority"}
    return {"authority", "additional"}


def addresses_of_targets(m, records, zones):
    """True when every record is an A or AAAA that the zones hold for an
    NS, MX or SRV target named in the answer or authority of m."""
    targets = set()
    for sec in (m.answer, m.authority):
        for rrset in sec:
            if rrset.rdtype not in (T.NS, T.MX, T.SRV):
                continue
            for rd in rrset:
                t = rd.exchange if rrset.rdtype == T.MX else rd.target
                targets.add(t)
    held = set()
    for z in zones.values():
        for t in targets:
            node = z.get_node(t)
            for rt in (T.A, T.AAAA):
                rds = node.get_rdataset(dns.rdataclass.IN, rt) if node \
                    else None
                for rd in rds or ():
                    held.add(rr_key(t, rds.ttl, dns.rdataclass.IN, rt, rd))
    return set(records) <= held


def referral_zone(m, zones):
    """For a referral (dnsd puts NS in authority for nothing else): the
    referring zone, the one holding the cut on its parent side, as
    {origin: zone}; None when m is no referral."""
    cuts = [r.name for r in m.authority if r.rdtype == T.NS]
    if not cuts:
        return None
    best = None
    for origin in zones:
        if cuts[0].is_subdomain(origin) and cuts[0] != origin and \
                (best is None or len(origin) > len(best)):
            best = origin
    return {best: zones[best]} if best is not None else {}


def foreign_glue(m, zones):
    """RFC 9471: a referral's additional data is the referring zone's own
    (in-domain glue, sibling glue, its authoritative addresses). The
    records of m's additional section that zone does not hold: addresses
    of a name server that lives in another served zone, which is not
    glue (resolvers discard it)."""
    own = referral_zone(m, zones)
    if own is None:
        return set()
    return {r for r in rrs(m.additional)
            if not addresses_of_targets(m, [r], own)}


def holds_address(zones, name):
    """True when one of zones has an A or AAAA RRset at name."""
    for z in zones.values():
        node = z.get_node(name)
        if node and any(node.get_rdataset(dns.rdataclass.IN, t)
                        for t in (T.A, T.AAAA)):
            return True
    return False


def other_zone_targets(m, zones):
    """NS targets of referral m whose addresses only another served zone
    holds: the case foreign_glue() is about."""
    own = referral_zone(m, zones)
    if not own:
        return set()
    return {rd.target for rrset in m.authority if rrset.rdtype == T.NS
            for rd in rrset
            if not holds_address(own, rd.target) and
            holds_address(zones, rd.target)}


def allow_additional_selection(q, a, b, d, zones):
    """Additional section: which addresses go in is the server's choice
    (RFC 1035 3.3 / RFC 2181 9); dnsd's must be addresses NSD also sends,
    or addresses the zones hold for an NS/MX/SRV target of the response
    (for a referral: the referring zone only, see foreign_glue), and
    never for a truncated response set by the additional section."""
    if "additional" not in d:
        return set()
    ours = set(rrs(a.additional))
    theirs = set(rrs(b.additional))
    own = referral_zone(a, zones)
    if ours <= theirs or addresses_of_targets(
            a, ours - theirs, zones if own is None else own):
        return {"additional"}
    return set()


def allow_any_udp(q, a, b, d, zones):
    """ANY over UDP: RFC 8482 4.1 lets the responder pick one RRset (dnsd:
    the lowest type at the node; NSD: the first in its list)."""
    if q.qtype != T.ANY or q.tcp or a.rcode() != b.rcode():
        return set()
    if len(rrsets(a.answer)) != 1:
        return set()
    return {"answer", "authority", "additional"}


def allow_chain_bound(q, a, b, d, zones):
    """CNAME chains: dnsd follows at most 16 links (a bound the issue asks
    for; RFC 1034 leaves loop and length limits to the server), NSD
    follows longer ones. dnsd's answer must be the start of NSD's."""
    cn = [r for r in rrs(a.answer) if r[3] == T.CNAME]
    if len(cn) != CHAIN_MAX + 1 or not subset(rrs(a.answer), rrs(b.answer)):
        return set()
    return {"answer", "authority", "additional", "rcode"}


def allow_any_tcp(q, a, b, d, zones):
    """ANY over TCP: dnsd sends every RRset of the node (the issue asks
    for it, RFC 8482 allows it), NSD 4.6 sends one. NSD's answer must be
    part of dnsd's; the sections after it follow from the answer."""
    if q.qtype != T.ANY or not q.tcp or a.rcode() != b.rcode():
        return set()
    if not b.answer or not subset(rrs(b.answer), rrs(a.answer)):
        return set()
    return {"answer", "authority", "additional"}


def allow_referral_glue_tc(q, a, b, d, zones):
    """Referral whose in-domain glue does not fit: RFC 9471 3.1 requires
    TC=1; NSD 4.6 predates it and sends the referral without TC. The NS
    RRset must be the same and dnsd's glue a part of NSD's."""
    if not (a.flags & dns.flags.TC) or b.flags & dns.flags.TC:
        return set()
    if a.flags & dns.flags.AA or a.answer:
        return set()
    if not a.authority or any(r.rdtype != T.NS for r in a.authority):
        return set()
    if rrs(a.authority) != rrs(b.authority) or \
            not addresses_of_targets(a, rrs(a.additional),
                                     referral_zone(a, zones)):
        return set()
    return {"tc", "additional"}


def allow_class_any_negative(q, a, b, d, zones):
    """QCLASS ANY, negative answer: dnsd keeps the SOA in authority (RFC
    2308 3: negative responses carry it), NSD leaves it out for class
    ANY."""
    if q.qclass != dns.rdataclass.ANY or a.rcode() != b.rcode():
        return set()
    if b.authority or [r.rdtype for r in a.authority] != [T.SOA]:
        return set()
    return {"authority"}


def allow_question_on_refusal(q, a, b, d, zones):
    """REFUSED for class HS: NSD sends no question section, dnsd echoes
    the question (RFC 1035 4.1.1; the issue asks for it on every
    response whose question parsed)."""
    if a.rcode() != dns.rcode.REFUSED or b.rcode() != dns.rcode.REFUSED:
        return set()
    if b.question or [x.to_text() for x in a.question] != \
            ["%s %s %s" % (q.qname, dns.rdataclass.to_text(q.qclass),
                           dns.rdatatype.to_text(q.qtype))]:
        return set()
    return {"question"}


def allow_cd_copied(q, a, b, d, zones):
    """CD: RFC 4035 3.1.6 says a server copies it from the query; dnsd
    does, NSD 4.6 leaves it clear. Only the CD bit may differ, and dnsd's
    must be the query's."""
    if "flags" not in d:
        return set()
    fa, fb = a.flags & HEADER_FLAGS, b.flags & HEADER_FLAGS
    if (fa ^ fb) & ~(dns.flags.CD | dns.flags.TC):
        return set()
    if bool(a.flags & dns.flags.CD) != q.cd:
        return set()
    return {"flags"}


ALLOWED = [
    ("cd-copied", allow_cd_copied),
    ("authority-ns", allow_ns_in_authority),
    ("additional-selection", allow_additional_selection),
    ("any-udp", allow_any_udp),
    ("cname-chain-bound", allow_chain_bound),
    ("any-tcp", allow_any_tcp),
    ("referral-glue-tc", allow_referral_glue_tc),
    ("class-any-negative", allow_class_any_negative),
    ("question-on-refusal", allow_question_on_refusal),
]


def main():
    zdir, dport, nport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    zones = load_zones(zdir)
    rng = random.Random(SEED)
    queries = make_queries(zones, rng)
    used = {name: 0 for name, _ in ALLOWED}
    failures = []
    other_zone_ns = 0
    for i, q in enumerate(queries):
        qid = (i * 7919) & 0xffff
        a = ask(q, dport, qid)
        b = ask(q, nport, qid)
        d = differences(q, a, b)
        if a:
            # checked on every referral, whatever NSD sent: no allowance
            # explains it
            if foreign_glue(a, zones):
                d.add("referral-foreign-glue")
            if other_zone_targets(a, zones):
                other_zone_ns += 1
        if not d:
            continue
        explained = set()
        for name, fn in ALLOWED:
            got = fn(q, a, b, d, zones) if a and b else set()
            if got & d:
                used[name] += 1
                explained |= got
        if d - explained:
            failures.append((q, a, b, d - explained))
    for q, a, b, left in failures[:int(os.environ.get("DIFF_SHOW", "25"))]:
        print("DIFF %s: %s" % (q, " ".join(sorted(left))))
        print("  dnsd:")
        for line in summary(a):
            print("    " + line)
        print("  nsd:")
        for line in summary(b):
            print("    " + line)
    print("%d queries; allowed differences: %s" % (
        len(queries), ", ".join("%s %d" % kv for kv in used.items())))
    print("%d referrals with a name server in another served zone" %
          other_zone_ns)
    print("%d passed, %d failed" % (len(queries) - len(failures),
                                    len(failures)))
    if other_zone_ns == 0:
        print("FAIL: no referral named a name server in another served "
              "zone (tests/data/answer lost that case)")
        return 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
