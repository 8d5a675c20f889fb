#!/usr/bin/python3
"""Helpers of bench/xfr.sh (zone transfers). See bench/README.md.

    xfr_measure.py history DIR RECORDS COMMITS
        writes DIR/repo.git, a bare repository (branch main) whose file
        example.com holds a RECORDS-record zone in COMMITS + 1 versions:
        the first with serial 1000000, each later one raising the serial
        by one and changing one host's address. The objects are written
        straight into one pack (see make_pack). Also writes DIR/example.com,
        the newest version, for NSD and Knot. Prints the head serial.
    xfr_measure.py commit REPO
        one more commit on main with git's own plumbing (the next serial,
        one more host changed), as a push would bring it. Prints the serial.
    xfr_measure.py axfr RESULTS NAME PID PORT RUNS
        RUNS AXFRs of example.com in a row with kdig (output discarded);
        the server's CPU (utime + stime of /proc/PID/stat, and on-CPU time
        of /proc/PID/task/*/schedstat, over the process and its
        descendants) before and after, kdig's wall time of each; appends a
        JSON line to RESULTS.
    xfr_measure.py ixfr RESULTS LABEL PORT SERIAL
        one IXFR from SERIAL with kdig; its wall time, the records of the
        answer and whether it was incremental; appends a JSON line.
    xfr_measure.py report RESULTS
        the tables, the ratios and the targets.
"""
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import time
import zlib

TICK = os.sysconf("SC_CLK_TCK")
ORIGIN = "example.com"
SERIAL0 = 1000000  # 7 digits: every version has the same length
FULL_EVERY = 50    # git's default pack.depth: a whole blob every 50


# ---- the zone and its versions -----------------------------------------

def zone_header(serial):
    return ("$TTL 3600\n"
            "@ SOA ns1.example.com. hostmaster.example.com. %d 7200 3600 "
            "1209600 3600\n@ NS ns1\nns1 A 10.255.255.1\n" % serial).encode()


def zone_body(records):
    """The host lines, and the offset of each line's first octet."""
    lines = [b"host%d A 10.%d.%d.%d\n" % (i, i // 65536 % 256, i // 256 % 256,
                                          i % 256) for i in range(records)]
    offsets, off = [], 0
    for line in lines:
        offsets.append(off)
        off += len(line)
    return bytearray(b"".join(lines)), offsets


def changed_host(step, records):
    """The host commit `step` changes (distinct ones while step < records
    for a record count prime to 7919)."""
    return step * 7919 % records


def flip(body, offsets, host):
    """Changes host's first octet between 10 and 11, in place; returns the
    offset in the body and the old and new two octets."""
    at = body.index(b" A ", offsets[host]) + 3
    old = bytes(body[at:at + 2])
    new = b"11" if old == b"10" else b"10"
    body[at:at + 2] = new
    return at, old, new


def git_hash(kind, data_parts):
    h = hashlib.sha1()
    size = sum(len(p) for p in data_parts)
    h.update(b"%s %d\0" % (kind, size))
    for p in data_parts:
        h.update(p)
    return h.digest()


# ---- a pack written by hand ----------------------------------------------
#
# Writing the 1,000 versions with `git hash-object` or `git fast-import`
# compresses 25 MB a commit (minutes here). Instead one pack holds the
# newest blob whole and each older one as a delta against the next newer
# (the order `git gc` chooses), a whole blob again every FULL_EVERY
# versions (its default depth), then the trees and commits; the index
# (version 2) is written alongside, so git never has to inflate them.

def obj_header(kind, size):
    b = (kind << 4) | (size & 15)
    size >>= 4
    out = bytearray()
    while size:
        out.append(b | 0x80)
        b = size & 0x7f
        size >>= 7
    out.append(b)
    return bytes(out)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def ofs_encode(n):
    out = [n & 0x7f]
    n >>= 7
    while n:
        n -= 1
        out.append(0x80 | (n & 0x7f))
        n >>= 7
    return bytes(reversed(out))


def delta(size, edits):
    """A delta turning a base of `size` octets into a result of the same
    size, where edits are (offset, new octets), sorted, not overlapping."""
    ops = bytearray()

    def copy(off, n):
        while n > 0:
            k = min(n, 0xffffff)
            cmd, args = 0x80, bytearray()
            for i in range(4):
                if (off >> 8 * i) & 0xff:
                    cmd |= 1 << i
                    args.append((off >> 8 * i) & 0xff)
            for i in range(3):
                if (k >> 8 * i) & 0xff:
                    cmd |= 0x10 << i
                    args.append((k >> 8 * i) & 0xff)
            ops.append(cmd)
            ops.extend(args)
            off += k
            n -= k

    pos = 0
    for off, data in edits:
        copy(pos, off - pos)
        ops.append(len(data))
        ops.extend(data)
        pos = off + len(data)
    copy(pos, size - pos)
    return varint(size) + varint(size) + bytes(ops)


def make_pack(pack_dir, entries):
    """entries: (sha, kind, data, base_index or None) in pack order."""
    body = bytearray(b"PACK" + struct.pack(">II", 2, len(entries)))
    index = []  # (sha, crc, offset)
    offsets = []
    for sha, kind, data, base in entries:
        start = len(body)
        offsets.append(start)
        if base is None:
            raw = obj_header(kind, len(data)) + zlib.compress(data, 1)
        else:
            raw = (obj_header(6, len(data)) +
                   ofs_encode(start - offsets[base]) + zlib.compress(data))
        body += raw
        index.append((sha, zlib.crc32(raw) & 0xffffffff, start))
    pack_sum = hashlib.sha1(body).digest()
    body += pack_sum
    index.sort()
    idx = bytearray(b"\377tOc" + struct.pack(">I", 2))
    fan = [0] * 256
    for sha, _, _ in index:
        fan[sha[0]] += 1
    total = 0
    for i in range(256):
        total += fan[i]
        idx += struct.pack(">I", total)
    for sha, _, _ in index:
        idx += sha
    for _, crc, _ in index:
        idx += struct.pack(">I", crc)
    for _, _, off in index:
        assert off < 1 << 31
        idx += struct.pack(">I", off)
    idx += pack_sum
    idx += hashlib.sha1(idx).digest()
    name = os.path.join(pack_dir, "pack-" + pack_sum.hex())
    with open(name + ".pack", "wb") as f:
        f.write(body)
    with open(name + ".idx", "wb") as f:
        f.write(idx)


def history(out_dir, records, commits):
    t0 = time.monotonic()
    repo = os.path.join(out_dir, "repo.git")
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", repo],
                   check=True)
    body, offsets = zone_body(records)
    hdr_len = len(zone_header(SERIAL0))
    serial_at = zone_header(SERIAL0).index(b"%d" % SERIAL0)
    # oldest to newest: each version's blob id and the edits from the
    # previous version (offsets in the whole file)
    blob_ids, edits = [], [None]
    for step in range(commits + 1):
        if step:
            at, old, new = flip(body, offsets, changed_host(step, records))
            edits.append((hdr_len + at, old, new))
        blob_ids.append(git_hash(b"blob", [zone_header(SERIAL0 + step),
                                           body]))
    head = bytes(zone_header(SERIAL0 + commits)) + bytes(body)
    with open(os.path.join(out_dir, ORIGIN), "wb") as f:
        f.write(head)
    del body
    t_hash = time.monotonic() - t0

    entries = []
    # blobs, newest first: whole, or a delta against the newer one that
    # undoes its edit and its serial
    for step in range(commits, -1, -1):
        newer = commits - step - 1  # index of the newer blob in entries
        if (commits - step) % FULL_EVERY == 0:
            # rebuild this version from the head by undoing the edits
            data = bytearray(head)
            for s in range(commits, step, -1):
                at, old, _ = edits[s]
                data[at:at + 2] = old
            data[:hdr_len] = zone_header(SERIAL0 + step)
            entries.append((blob_ids[step], 3, bytes(data), None))
        else:
            at, old, _ = edits[step + 1]
            d = [(serial_at, b"%d" % (SERIAL0 + step)), (at, old)]
            entries.append((blob_ids[step], 3, delta(len(head), d), newer))
    # trees and commits, oldest first
    parent = None
    for step in range(commits + 1):
        tree = b"100644 %s\0" % ORIGIN.encode() + blob_ids[step]
        tree_id = git_hash(b"tree", [tree])
        when = 1780000000 + 60 * step
        commit = b"tree %s\n" % tree_id.hex().encode()
        if parent:
            commit += b"parent %s\n" % parent.hex().encode()
        who = b"bench <bench@example.com> %d +0000" % when
        commit += b"author %s\ncommitter %s\n\nserial %d\n" % (
            who, who, SERIAL0 + step)
        commit_id = git_hash(b"commit", [commit])
        entries.append((tree_id, 2, tree, None))
        entries.append((commit_id, 1, commit, None))
        parent = commit_id
    make_pack(os.path.join(repo, "objects", "pack"), entries)
    with open(os.path.join(repo, "refs", "heads", "main"), "w") as f:
        f.write(parent.hex() + "\n")
    print("history: %d versions of a %d-record zone (%.1f MB) in %.1f s "
          "(ids %.1f s)" % (commits + 1, records, len(head) / 1e6,
                             time.monotonic() - t0, t_hash),
          file=sys.stderr)
    print(SERIAL0 + commits)


def git(repo, *args, data=None):
    return subprocess.run(["git", "--git-dir", repo] + list(args),
                          input=data, stdout=subprocess.PIPE,
                          check=True).stdout


def commit(repo):
    text = git(repo, "cat-file", "blob", "main:" + ORIGIN)
    serial = int(text.split(b"\n")[1].split()[4]) + 1
    step = serial - SERIAL0
    lines = text.split(b"\n")
    records = sum(1 for l in lines if l.startswith(b"host"))
    body = bytearray(text[len(zone_header(serial)):])
    offsets, off = [], 0
    for l in lines[4:4 + records]:
        offsets.append(off)
        off += len(l) + 1
    flip(body, offsets, changed_host(step, records))
    blob = git(repo, "hash-object", "-w", "--stdin",
               data=zone_header(serial) + bytes(body)).strip()
    tree = git(repo, "mktree", data=b"100644 blob %s\t%s\n" % (
        blob, ORIGIN.encode())).strip()
    head = git(repo, "rev-parse", "main").strip()
    c = git(repo, "commit-tree", tree.decode(), "-p", head.decode(), "-m",
            "serial %d" % serial).strip()
    git(repo, "update-ref", "refs/heads/main", c.decode())
    print(serial)


# ---- measuring -----------------------------------------------------------

def tree_pids(pid):
    kids = {}
    for e in os.listdir("/proc"):
        if e.isdigit():
            try:
                with open("/proc/%s/stat" % e) as f:
                    s = f.read()
            except OSError:
                continue
            kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]),
                            []).append(int(e))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def cpu(pid):
    """(ticks utime+stime, on-CPU ns) over pid's process tree."""
    ticks = ns = 0
    for p in tree_pids(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                s = f.read()
            fields = s[s.rindex(")") + 2:].split()
            ticks += int(fields[11]) + int(fields[12])
            for t in os.listdir("/proc/%d/task" % p):
                with open("/proc/%d/task/%s/schedstat" % (p, t)) as f:
                    ns += int(f.read().split()[0])
        except (OSError, ValueError):
            continue
    return ticks, ns


def append(results, rec):
    with open(results, "a") as f:
        f.write(json.dumps(rec) + "\n")


def axfr(results, name, pid, port, runs):
    cmd = ["kdig", "@127.0.0.1", "-p", str(port), ORIGIN, "AXFR",
           "+timeout=60"]
    walls = []
    t0, n0 = cpu(pid)
    for _ in range(runs):
        t = time.monotonic()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL)
        walls.append(time.monotonic() - t)
        if r.returncode:
            sys.exit("xfr_measure: kdig failed against %s" % name)
    t1, n1 = cpu(pid)
    rec = {"kind": "axfr", "name": name, "runs": runs,
           "cpu": (t1 - t0) / TICK / runs, "oncpu": (n1 - n0) / 1e9 / runs,
           "wall": statistics.median(walls), "walls": walls}
    append(results, rec)
    print("  %-5s CPU %.3f s/transfer (on-CPU %.3f), kdig wall median "
          "%.3f s (%s)" % (name, rec["cpu"], rec["oncpu"], rec["wall"],
                           " ".join("%.2f" % w for w in walls)))


def ixfr(results, label, port, serial):
    cmd = ["kdig", "@127.0.0.1", "-p", str(port), ORIGIN,
           "IXFR=%d" % serial, "+timeout=120", "+noall", "+answer"]
    t = time.monotonic()
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wall = time.monotonic() - t
    lines = [l for l in r.stdout.decode().split("\n")
             if l and not l.startswith(";")]
    soas = sum(1 for l in lines if l.split()[3:4] == ["SOA"])
    # incremental: more than the two SOAs of the AXFR form's ends, and
    # far fewer records than the zone
    rec = {"kind": "ixfr", "label": label, "from": serial, "wall": wall,
           "records": len(lines), "soas": soas, "rc": r.returncode}
    append(results, rec)
    print("  %-36s %7.3f s  %d records (%d SOA)%s" % (
        label, wall, len(lines), soas,
        "" if r.returncode == 0 else "  kdig failed: " +
        r.stderr.decode().strip()))


def report(results):
    recs = [json.loads(l) for l in open(results)]
    ax = {r["name"]: r for r in recs if r["kind"] == "axfr"}
    if ax:
        runs = next(iter(ax.values()))["runs"]
        print("AXFR, %d in a row per server:" % runs)
        print("  %-6s %12s %14s %12s" % ("", "CPU s/xfr", "on-CPU s/xfr",
                                          "kdig wall s"))
        for n in ("dnsd", "nsd", "knot"):
            if n in ax:
                r = ax[n]
                print("  %-6s %12.3f %14.3f %12.3f" % (n, r["cpu"],
                                                       r["oncpu"], r["wall"]))
        others = [ax[n] for n in ("nsd", "knot") if n in ax]
        if "dnsd" in ax and others:
            d = ax["dnsd"]
            best_cpu = min(others, key=lambda r: r["cpu"])
            best_on = min(others, key=lambda r: r["oncpu"])
            best_wall = min(others, key=lambda r: r["wall"])
            for o in others:
                print("  dnsd / %-5s CPU %.2f  on-CPU %.2f  wall %.2f" % (
                    o["name"], d["cpu"] / o["cpu"] if o["cpu"] else 0,
                    d["oncpu"] / o["oncpu"], d["wall"] / o["wall"]))
            rc = d["cpu"] / best_cpu["cpu"] if best_cpu["cpu"] else 0
            print("  target CPU <= 0.5x the better (%s): %.2fx, %s" % (
                best_cpu["name"], rc, "met" if rc <= 0.5 else "MISSED"))
            print("  (on-CPU time: %.2fx %s's)" % (
                d["oncpu"] / best_on["oncpu"], best_on["name"]))
            rw = d["wall"] / best_wall["wall"]
            print("  target wall no slower than the faster (%s): %.2fx, %s"
                  % (best_wall["name"], rw,
                     "met" if rw <= 1.0 else "over by %.0f%%" %
                     (100 * (rw - 1))))
    ix = [r for r in recs if r["kind"] == "ixfr"]
    if ix:
        print("IXFR (kdig wall time to the whole answer):")
        for r in ix:
            print("  %-36s %7.3f s  %d records" % (r["label"], r["wall"],
                                                    r["records"]))


def main():
    a = sys.argv[1:]
    if a[:1] == ["history"] and len(a) == 4:
        history(a[1], int(a[2]), int(a[3]))
    elif a[:1] == ["commit"] and len(a) == 2:
        commit(a[1])
    elif a[:1] == ["axfr"] and len(a) == 6:
        axfr(a[1], a[2], int(a[3]), int(a[4]), int(a[5]))
    elif a[:1] == ["ixfr"] and len(a) == 5:
        ixfr(a[1], a[2], int(a[3]), int(a[4]))
    elif a[:1] == ["report"] and len(a) == 2:
        report(a[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
