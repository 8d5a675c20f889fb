#!/usr/bin/python3
"""Zone and query file for bench/serve.sh.

    serve_gen.py DIR [NAMES] [QUERIES]

writes DIR/zones/bench.test (a zone of NAMES owner names, 100000 by
default) and DIR/queries.txt (QUERIES dnsperf lines, 100000 by default, shuffled with a
fixed seed so every run and every server sees the same file).

The zone: apex SOA/NS/MX; hosts hN with A (every other one AAAA too, every
tenth TXT, every tenth MX to another host); aliases cN CNAME to a host;
delegations dN with NS and in-bailiwick glue; one wildcard *.wild.

The mix: 60% A of an existing host, 10% AAAA, 10% NXDOMAIN, 5% A at an
alias (the CNAME and its target), 5% A under the wildcard, 5% referral
(A below a delegation), 5% MX (with the exchange's addresses as
additional data).
"""
import os
import random
import sys

ORIGIN = "bench.test"
ALIASES = 10000
DELEGATIONS = 3000


def host_v4(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def host_v6(i):
    return "2001:db8::%x:%x" % (i >> 16, i & 0xFFFF)


def write_zone(path, names):
    # apex, ns1, ns2, *.wild, aliases, delegations and their glue: the
    # rest are hosts.
    hosts = names - 4 - ALIASES - 2 * DELEGATIONS
    if hosts < 100:
        sys.exit("serve_gen.py: at least %d names" %
                 (104 + ALIASES + 2 * DELEGATIONS))
    with open(path, "w") as f:
        w = f.write
        w("$ORIGIN %s.\n$TTL 3600\n" % ORIGIN)
        w("@ SOA ns1 hostmaster 2024010101 3600 900 604800 300\n")
        w("@ NS ns1\n@ NS ns2\n@ MX 10 h0\n")
        w("ns1 A 192.0.2.1\nns2 A 192.0.2.2\n")
        w("*.wild A 192.0.2.80\n*.wild TXT \"wildcard\"\n")
        for i in range(hosts):
            w("h%d A %s\n" % (i, host_v4(i)))
            if i % 2 == 0:
                w("h%d AAAA %s\n" % (i, host_v6(i)))
            if i % 10 == 0:
                w("h%d TXT \"host %d\"\n" % (i, i))
            if i % 10 == 1:
                w("h%d MX 10 h%d\n" % (i, (i * 7) % hosts))
        for i in range(ALIASES):
            w("c%d CNAME h%d\n" % (i, (i * 13) % hosts))
        for i in range(DELEGATIONS):
            w("d%d NS ns.d%d\nns.d%d A 198.51.%d.%d\n" %
              (i, i, i, i >> 8 & 255, i & 255))
    return hosts


def write_queries(path, hosts, count, seed=20240101):
    rnd = random.Random(seed)
    d = ORIGIN
    mix = (
        (60, lambda: "h%d.%s A" % (rnd.randrange(hosts), d)),
        (10, lambda: "h%d.%s AAAA" % (rnd.randrange(hosts) & ~1, d)),
        (10, lambda: "nx%d.%s A" % (rnd.randrange(1 << 30), d)),
        (5, lambda: "c%d.%s A" % (rnd.randrange(ALIASES), d)),
        (5, lambda: "w%d.wild.%s A" % (rnd.randrange(1 << 30), d)),
        (5, lambda: "www.d%d.%s A" % (rnd.randrange(DELEGATIONS), d)),
        (5, lambda: "h%d.%s MX" % (rnd.randrange(hosts // 10) * 10 + 1, d)),
    )
    lines = []
    for share, make in mix:
        lines += [make() for _ in range(count * share // 100)]
    rnd.shuffle(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    names = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 100000
    os.makedirs(out + "/zones", exist_ok=True)
    hosts = write_zone("%s/zones/%s" % (out, ORIGIN), names)
    write_queries("%s/queries.txt" % out, hosts, count)


if __name__ == "__main__":
    main()
