#!/usr/bin/python3
"""The Grafana dashboard against real scrapes (tests/system/metrics.sh).

    grafana_check.py DASHBOARD.json SCRAPE...

passes when DASHBOARD is JSON with panel queries and every dnsd_ metric
its queries name is declared (# TYPE) in one of the scrapes (a histogram
with its _bucket, _sum and _count series). Also prints the metrics served
that no panel shows.
"""
import json
import re
import sys

SUFFIXES = ("_bucket", "_sum", "_count")


def declared(paths):
    known, bases = set(), set()
    for path in paths:
        for line in open(path):
            m = re.match(r"# TYPE (\S+) (\S+)", line)
            if not m:
                continue
            known.add(m.group(1))
            bases.add(m.group(1))
            if m.group(2) == "histogram":
                known.update(m.group(1) + s for s in SUFFIXES)
    return known, bases


def main():
    dash = json.load(open(sys.argv[1]))
    known, bases = declared(sys.argv[2:])
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [v["definition"] for v in dash["templating"]["list"]
              if "definition" in v]
    names = set(n for e in exprs for n in re.findall(r"\bdnsd_[a-z_]+", e))
    missing = sorted(names - known)
    shown = set(names)
    shown.update(n[: -len(s)] for n in names for s in SUFFIXES if n.endswith(s))
    print("%d queries name %d metrics; not served: %s; served, not shown: %s"
          % (len(exprs), len(names), missing or "none",
             sorted(bases - shown) or "none"))
    return 1 if missing or not exprs else 0


if __name__ == "__main__":
    sys.exit(main())
