#!/usr/bin/python3
"""Writes the seed corpus of fuzz_update (tests/fuzz/corpus/update/):
UPDATE messages for the zone of fuzz_update.c, valid and invalid.
Needs dnspython. Run from the top of the repository."""
import os
import struct

import dns.name
import dns.rdata
import dns.rdataclass as C
import dns.rdatatype as T
import dns.tsigkeyring
import dns.update

OUT = "tests/fuzz/corpus/update"
Z = "example.org."


def name(n):
    return dns.name.from_text(n).to_wire()


def rdata(t, text):
    if text is None:
        return b""
    return dns.rdata.from_text(C.IN, t, text, origin=dns.name.from_text(Z),
                               relativize=False).to_wire()


def rr(owner, cls, ttl, t, text=None, raw=None):
    rd = raw if raw is not None else rdata(t, text)
    return name(owner) + struct.pack("!HHIH", t, cls, ttl, len(rd)) + rd


def msg(pre=(), upd=(), add=(), zone=((Z, T.SOA, C.IN),), mid=0x1234):
    hdr = struct.pack("!HHHHHH", mid, 5 << 11, len(zone), len(pre), len(upd), len(add))
    q = b"".join(name(n) + struct.pack("!HH", t, c) for n, t, c in zone)
    return hdr + q + b"".join(pre) + b"".join(upd) + b"".join(add)


cases = {}
# prerequisites, each kind
cases["pre_rrset_exists"] = msg(pre=[rr("www." + Z, C.ANY, 0, T.A)])
cases["pre_rrset_exists_fail"] = msg(pre=[rr("www." + Z, C.ANY, 0, T.AAAA)])
cases["pre_rrset_absent"] = msg(pre=[rr("www." + Z, C.NONE, 0, T.AAAA)])
cases["pre_rrset_absent_fail"] = msg(pre=[rr("www." + Z, C.NONE, 0, T.TXT)])
cases["pre_name_in_use"] = msg(pre=[rr("alias." + Z, C.ANY, 0, T.ANY)])
cases["pre_name_in_use_ent"] = msg(pre=[rr("ent." + Z, C.ANY, 0, T.ANY)])
cases["pre_name_free"] = msg(pre=[rr("new." + Z, C.NONE, 0, T.ANY)])
cases["pre_name_free_fail"] = msg(pre=[rr("www." + Z, C.NONE, 0, T.ANY)])
cases["pre_value"] = msg(pre=[rr("www." + Z, C.IN, 0, T.A, "192.0.2.10"),
                              rr("www." + Z, C.IN, 0, T.A, "192.0.2.11")],
                         upd=[rr("www." + Z, C.IN, 60, T.A, "192.0.2.12")])
cases["pre_value_fail"] = msg(pre=[rr("www." + Z, C.IN, 0, T.A, "192.0.2.10")])
cases["pre_ttl"] = msg(pre=[rr("www." + Z, C.ANY, 5, T.A)])
cases["pre_rdata"] = msg(pre=[rr("www." + Z, C.ANY, 0, T.A, "192.0.2.1")])
cases["pre_class"] = msg(pre=[rr("www." + Z, C.CH, 0, T.A, "192.0.2.1")])
cases["pre_notzone"] = msg(pre=[rr("www.example.com.", C.ANY, 0, T.A)])
# zone section
cases["zone_none"] = msg(zone=())
cases["zone_two"] = msg(zone=((Z, T.SOA, C.IN), (Z, T.SOA, C.IN)))
cases["zone_type"] = msg(zone=((Z, T.A, C.IN),))
cases["zone_class"] = msg(zone=((Z, T.SOA, C.CH),))
cases["zone_other"] = msg(zone=(("example.net.", T.SOA, C.IN),))
# updates
cases["add_a"] = msg(upd=[rr("new." + Z, C.IN, 60, T.A, "192.0.2.50"),
                          rr("new." + Z, C.IN, 60, T.AAAA, "2001:db8::50")])
cases["add_dup"] = msg(upd=[rr("www." + Z, C.IN, 3600, T.A, "192.0.2.10")])
cases["add_ttl"] = msg(upd=[rr("www." + Z, C.IN, 60, T.A, "192.0.2.10")])
cases["add_cname_clash"] = msg(upd=[rr("www." + Z, C.IN, 60, T.CNAME, "mail." + Z)])
cases["add_to_cname"] = msg(upd=[rr("alias." + Z, C.IN, 60, T.A, "192.0.2.1")])
cases["add_cname_replace"] = msg(upd=[rr("alias." + Z, C.IN, 60, T.CNAME, "mail." + Z)])
cases["add_soa_up"] = msg(upd=[rr(Z, C.IN, 3600, T.SOA, "ns1 hm 200 1 2 3 4")])
cases["add_soa_down"] = msg(upd=[rr(Z, C.IN, 3600, T.SOA, "ns1 hm 50 1 2 3 4")])
cases["add_soa_elsewhere"] = msg(upd=[rr("www." + Z, C.IN, 3600, T.SOA, "ns1 hm 500 1 2 3 4")])
cases["add_ns_wild"] = msg(upd=[rr("*." + Z, C.IN, 3600, T.NS, "ns1." + Z)])
cases["add_deleg"] = msg(upd=[rr("d." + Z, C.IN, 3600, T.NS, "ns.d." + Z),
                              rr("ns.d." + Z, C.IN, 3600, T.A, "192.0.2.7")])
cases["add_meta"] = msg(upd=[rr("www." + Z, C.IN, 60, T.ANY, raw=b"\x01\x02")])
cases["add_many"] = msg(upd=[rr("h%d.%s" % (i % 7, Z), C.IN, 60, T.A, "10.0.0.%d" % i)
                             for i in range(40)])
cases["del_rrset"] = msg(upd=[rr("www." + Z, C.ANY, 0, T.A)])
cases["del_rrset_apex"] = msg(upd=[rr(Z, C.ANY, 0, T.NS), rr(Z, C.ANY, 0, T.SOA),
                                   rr(Z, C.ANY, 0, T.MX)])
cases["del_name"] = msg(upd=[rr("www." + Z, C.ANY, 0, T.ANY)])
cases["del_name_apex"] = msg(upd=[rr(Z, C.ANY, 0, T.ANY)])
cases["del_rr"] = msg(upd=[rr("www." + Z, C.NONE, 0, T.A, "192.0.2.10")])
cases["del_rr_apex_ns"] = msg(upd=[rr(Z, C.NONE, 0, T.NS, "ns1." + Z),
                                   rr(Z, C.NONE, 0, T.NS, "ns2." + Z)])
cases["del_rr_soa"] = msg(upd=[rr(Z, C.NONE, 0, T.SOA,
                                  "ns1.example.org. hostmaster.example.org. 100 7200 3600 1209600 300")])
cases["del_any_ttl"] = msg(upd=[rr("www." + Z, C.ANY, 60, T.A)])
cases["del_any_rdata"] = msg(upd=[rr("www." + Z, C.ANY, 0, T.A, "192.0.2.1")])
cases["del_none_ttl"] = msg(upd=[rr("www." + Z, C.NONE, 60, T.A, "192.0.2.10")])
cases["del_none_any"] = msg(upd=[rr("www." + Z, C.NONE, 0, T.ANY)])
cases["upd_class"] = msg(upd=[rr("www." + Z, C.CH, 0, T.A, "192.0.2.1")])
cases["upd_notzone"] = msg(upd=[rr("www.example.net.", C.IN, 60, T.A, "192.0.2.1")])
cases["add_then_del"] = msg(upd=[rr("t." + Z, C.IN, 60, T.A, "192.0.2.1"),
                                 rr("t." + Z, C.NONE, 0, T.A, "192.0.2.1")])
cases["limits"] = msg(mid=0x1235, upd=[rr("www." + Z, C.IN, 3600, T.A, "192.0.2.%d" % i)
                                       for i in range(20, 30)])
cases["additional"] = msg(upd=[rr("new." + Z, C.IN, 60, T.A, "192.0.2.50")],
                          add=[rr("glue." + Z, C.IN, 60, T.A, "192.0.2.1")])

# as nsupdate-like clients write them: compressed, one TSIG-signed
u = dns.update.UpdateMessage(Z)
u.present("www", "A")
u.absent("new")
u.replace("new", 300, "A", "192.0.2.77")
u.delete("mail", "A", "192.0.2.25")
u.add("mail", 300, "MX", "10 mail." + Z)
cases["dnspython_mixed"] = u.to_wire()
k = dns.tsigkeyring.from_text({"k._update.example.org.": "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5"})
u = dns.update.UpdateMessage(Z, keyring=k, keyalgorithm="hmac-sha256")
u.replace("www", 60, "A", "192.0.2.200")
cases["dnspython_tsig"] = u.to_wire()

os.makedirs(OUT, exist_ok=True)
for f in os.listdir(OUT):
    os.unlink(os.path.join(OUT, f))
for n, b in sorted(cases.items()):
    with open(os.path.join(OUT, n), "wb") as f:
        f.write(b)
print(len(cases), "inputs in", OUT)
