#!/usr/bin/python3
"""Differential test of dnsd's zone-file parser.

For every zone below, the records that `dnsd-checkzone --print` produces
are compared with those of two independent parsers: BIND's
`named-compilezone` and ldns' `ldns-read-zone`. The three outputs differ in
text style (column layout, letter case of hex, escapes, SvcParam quoting,
LOC padding), so each is parsed back with dnspython and reduced to a set of
(owner in lower case, TTL, class, type, RDATA in canonical wire form) and
the sets are compared. Any difference fails, with the records that only one
side has printed.

usage: zone_differential.py CHECKZONE ZONEDIR
"""

import os
import subprocess
import sys
import tempfile

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype

# (file in ZONEDIR, origin). The origin is also what dnsd-checkzone derives
# from the file name, so dnsd runs without --origin and that rule is
# exercised too.
ZONES = [
    ("example.org", "example.org."),
    ("types.test.zone", "types.test."),
    ("escapes.test.zone", "escapes.test."),
    ("syntax.test.zone", "syntax.test."),
    ("2.0.192.in-addr.arpa.zone", "2.0.192.in-addr.arpa."),
]

# Record types a reference tool cannot be compared on, with the reason.
# Nothing is excluded at present: BIND 9.18 and ldns 1.8.3 (Debian 12) parse
# every type in the zones above, SVCB and HTTPS included. ldns' lack of
# $INCLUDE is handled by inlining (see flatten()), not by exclusion.
EXCLUDE = {
    "bind": set(),
    "ldns": set(),
}


def run(argv, cwd, what):
    p = subprocess.run(argv, cwd=cwd, capture_output=True, text=True,
                       errors="surrogateescape", timeout=60)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s%s" %
                           (what, p.returncode, p.stdout, p.stderr))
    return p.stdout


def flatten(path, origin, out):
    """Writes path to out with every $INCLUDE replaced by the included
    text, because ldns-read-zone (ldns 1.8.3) stops at "$INCLUDE not
    implemented". The origin an $INCLUDE names (or the current one) is
    set around the inlined text and restored after it, as RFC 1035 §5.1
    says. Include paths are relative to the zone directory, as for BIND,
    which resolves them against its working directory. ldns also rejects
    the CLASS TTL order that RFC 1035 allows beside TTL CLASS, so those
    two words are swapped; BIND still reads the original order."""
    cur = origin
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            words = line.split()
            if words and words[0].upper() == "$ORIGIN":
                cur = dns.name.from_text(words[1], origin=cur)
            if words and words[0].upper() == "$INCLUDE":
                inc_origin = cur
                if len(words) > 2 and not words[2].startswith(";"):
                    inc_origin = dns.name.from_text(words[2], origin=cur)
                out.write("$ORIGIN %s\n" % inc_origin.to_text())
                flatten(os.path.join(os.path.dirname(path), words[1]),
                        inc_origin, out)
                out.write("\n$ORIGIN %s\n" % cur.to_text())
                continue
            out.write(ttl_before_class(line))


def ttl_before_class(line):
    """`owner IN 300 A ...` -> `owner 300 IN A ...` (owner may be absent:
    a line starting with blanks inherits it)."""
    words = line.split(None, 3 if line[:1].isspace() else 4)
    first = 0 if line[:1].isspace() else 1
    if (len(words) > first + 2 and words[first].upper() == "IN"
            and words[first + 1].isdigit()):
        words[first], words[first + 1] = words[first + 1], words[first]
        return ("\t" if first == 0 else "") + "\t".join(words) + "\n"
    return line


def records(text, tool):
    """Parses one record a line, OWNER TTL CLASS TYPE RDATA, as all three
    tools print them, into a dict key -> printable record. Lines are split
    by hand rather than read with dns.zone because ldns prints some owner
    names unescaped (`$dollar.`, `quote"q.`) that a zone-file reader would
    take for a directive or a quoted string."""
    recs = {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if not s or s.startswith(";"):
            continue
        f = s.split(None, 4)
        if len(f) < 4:
            raise RuntimeError("%s output line %d: %r" % (tool, n, line))
        owner, ttl, rdclass, rdtype = f[:4]
        rdtext = f[4] if len(f) > 4 else ""
        rdtype = dns.rdatatype.from_text(rdtype)
        if rdtype in (dns.rdatatype.SVCB, dns.rdatatype.HTTPS):
            # dnspython 2.3 predates the dohpath key (RFC 9461): give it
            # its generic name, which every tool also accepts.
            rdtext = rdtext.replace("dohpath=", "key7=")
        try:
            name = dns.name.from_text(owner)
            rd = dns.rdata.from_text(dns.rdataclass.from_text(rdclass),
                                     rdtype, rdtext, origin=dns.name.root,
                                     relativize=False)
        except Exception as e:
            raise RuntimeError("%s output line %d: %s\n  %s" %
                               (tool, n, e, line))
        key = (name.canonicalize().to_wire().hex(), int(ttl), rd.rdclass,
               rdtype, rd.to_digestable(dns.name.root).hex())
        recs[key] = "%s %s %s %s %s" % (
            name.canonicalize(), ttl, dns.rdataclass.to_text(rd.rdclass),
            dns.rdatatype.to_text(rdtype), rd.to_text())
    return recs


def compare(zone, ours, ref, tool):
    excluded = EXCLUDE[tool]
    mine = {k: v for k, v in ours.items() if k[3] not in excluded}
    theirs = {k: v for k, v in ref.items() if k[3] not in excluded}
    only_ours = sorted(mine[k] for k in mine.keys() - theirs.keys())
    only_theirs = sorted(theirs[k] for k in theirs.keys() - mine.keys())
    if not only_ours and not only_theirs:
        print("ok %s: dnsd and %s agree on %d records" %
              (zone, tool, len(mine)))
        return True
    print("not ok %s: dnsd and %s differ" % (zone, tool))
    for r in only_ours:
        print("  only dnsd: %s" % r)
    for r in only_theirs:
        print("  only %s: %s" % (tool, r))
    return False


def zone_outputs(checkzone, zdir, file, origin):
    ours = run([checkzone, "--print", file], zdir, "dnsd-checkzone")
    # -k ignore: escapes.test has owner names that are not host names on
    # purpose; -i none: integrity checks are not what is compared here.
    bind = run(["named-compilezone", "-k", "ignore", "-i", "none", "-f",
                "text", "-F", "text", "-o", "-", origin, file], zdir,
               "named-compilezone")
    with tempfile.NamedTemporaryFile("w", suffix=".zone", encoding="utf-8",
                                     errors="surrogateescape") as tmp:
        flatten(os.path.join(zdir, file), dns.name.from_text(origin), tmp)
        tmp.flush()
        ldns = run(["ldns-read-zone", tmp.name], zdir, "ldns-read-zone")
    return ours, {"bind": bind, "ldns": ldns}


def main():
    checkzone, zdir = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for file, origin in ZONES:
        try:
            ours, refs = zone_outputs(checkzone, zdir, file, origin)
            mine = records(ours, "dnsd")
            results = [compare(file, mine, records(text, tool), tool)
                       for tool, text in refs.items()]
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            print("not ok %s: %s" % (file, e))
            results = [False]
        passed += results.count(True)
        failed += results.count(False)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
