#!/usr/bin/python3
"""Measurements for bench/pull.sh (see bench/README.md, "Pulls from git").

    pull_measure.py gen WORK NAMES ZONES SMALL QUERIES
        writes the zone files of the repository into the work tree WORK:
        big.test with NAMES owner names and ZONES-1 small zones
        z01.test ... with SMALL names each; and QUERIES, a dnsperf query
        file over all of them (90% big.test, 10% the small zones).
    pull_measure.py run OPTIONS
        prepares the commits, then runs the rounds and the dnsperf
        windows against the dnsd started by pull.sh, and prints the
        report (options: see main()).

A round: the next prepared commit (one A record of big.test changed, its
serial raised) is pushed to the bare repository, then dnsd-notify sends
the signed NOTIFY; from just before dnsd-notify is started, the changed
name is asked over UDP every POLL seconds until the new address is
served. dnsd's log then holds the round's `pull:` line (fetch and reload
times) and the `zone X: loaded serial` lines of the zones it parsed.
"""
import argparse
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

import dns.message
import dns.rdatatype

BIG = "big.test"


def host_addr(i):
    return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)


def zone_lines(origin, names, serial):
    out = ["$ORIGIN %s." % origin, "$TTL 3600",
           "@ SOA ns1 hostmaster %d 7200 3600 1209600 3600" % serial,
           "@ NS ns1", "ns1 A 10.255.255.1"]
    out += ["h%d A %s" % (i, host_addr(i)) for i in range(names)]
    return out


def changed_index(names):
    """The host of big.test the rounds change."""
    return names // 2


def gen(work, names, zones, small, queries):
    names, zones, small = int(names), int(zones), int(small)
    with open("%s/%s" % (work, BIG), "w") as f:
        f.write("\n".join(zone_lines(BIG, names, 1)) + "\n")
    smalls = ["z%02d.test" % i for i in range(1, zones)]
    for z in smalls:
        with open("%s/%s" % (work, z), "w") as f:
            f.write("\n".join(zone_lines(z, small, 1)) + "\n")
    rnd = random.Random(20261202)
    with open(queries, "w") as f:
        for _ in range(100000):
            if not smalls or rnd.random() < 0.9:
                f.write("h%d.%s A\n" % (rnd.randrange(names), BIG))
            else:
                f.write("h%d.%s A\n" % (rnd.randrange(small),
                                         rnd.choice(smalls)))


# ---- commits ---------------------------------------------------------------

def git(work, *args):
    cmd = ["git", "-C", work] + list(args)
    return subprocess.run(cmd, check=True, capture_output=True,
                          text=True).stdout.strip()


def prepare(work, bare, names, count):
    """count commits after HEAD, commit k giving the changed host the
    address 198.18.k/256.k%256 and big.test serial k+1. Returns
    [(sha, address, serial)]."""
    lines = zone_lines(BIG, names, 1)
    idx = 5 + changed_index(names)
    out = []
    for k in range(1, count + 1):
        addr = "198.18.%d.%d" % (k >> 8, k & 255)
        serial = k + 1
        lines[2] = "@ SOA ns1 hostmaster %d 7200 3600 1209600 3600" % serial
        lines[idx] = "h%d A %s" % (changed_index(names), addr)
        with open("%s/%s" % (work, BIG), "w") as f:
            f.write("\n".join(lines) + "\n")
        git(work, "commit", "-q", "-a", "-m", "round %d" % k)
        out.append((git(work, "rev-parse", "HEAD"), addr, serial))
    # Their objects go to the bare repository now, loose as a push of
    # one commit leaves them (receive.unpackLimit), and the branch that
    # brought them is deleted again: libgit2 fetching from a local path
    # copies the objects of every branch of the remote, not only the one
    # dnsd follows, so a branch holding the later commits would make the
    # first pull fetch them all.
    git(work, "push", "-q", "origin", "HEAD:refs/heads/pending")
    subprocess.run(["git", "--git-dir", bare, "update-ref", "-d",
                    "refs/heads/pending"], check=True)
    return out


# ---- dnsd's log ---------------------------------------------------------------

PULL_RE = re.compile(r"pull: (\w+)\.\.(\w+) \(fetch ([0-9.]+) s, "
                     r"reload ([0-9.]+) s\)(.*)")
LOADED_RE = re.compile(r"zone (\S+): loaded serial (\d+)")


def log_size(path):
    with open(path, "rb") as f:
        return len(f.read())


def pull_of(path, offset, short, timeout=5.0):
    """The `pull:` line for commit `short` in the log after offset, and
    the zones loaded between offset and it."""
    end = time.monotonic() + timeout
    while True:
        with open(path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        loaded = []
        for line in text.splitlines():
            m = LOADED_RE.search(line)
            if m:
                loaded.append(m.group(1))
            m = PULL_RE.search(line)
            if m and m.group(2) == short:
                return {"fetch": float(m.group(3)),
                        "reload": float(m.group(4)),
                        "changes": m.group(5).lstrip(": "),
                        "loaded": loaded}
        if time.monotonic() > end:
            return None
        time.sleep(0.05)


# ---- one round -----------------------------------------------------------------

class Poller:
    """Asks the changed name over UDP every `interval` s until `addr` is
    served; each try waits for its answer at most 0.2 s."""

    def __init__(self, port, qname, interval):
        self.port, self.interval = port, interval
        self.qname = qname
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect(("127.0.0.1", port))
        self.sock.settimeout(0.2)

    def current(self):
        q = dns.message.make_query(self.qname, "A")
        self.sock.send(q.to_wire())
        while True:
            try:
                wire = self.sock.recv(4096)
            except socket.timeout:
                return None
            try:
                r = dns.message.from_wire(wire)
            except Exception:
                continue
            if r.id != q.id:
                continue  # a late answer to an earlier try
            for rrset in r.answer:
                if rrset.rdtype == dns.rdatatype.A:
                    return [x.address for x in rrset]
            return []

    def wait_for(self, addr, t0, timeout):
        tries = 0
        while time.monotonic() - t0 < timeout:
            tries += 1
            got = self.current()
            if got is not None and addr in got:
                return time.monotonic(), tries
            time.sleep(self.interval)
        return None, tries


def one_round(a, commit, label):
    sha, addr, serial = commit
    short = sha[:7]
    # the push: its objects are in the bare repository already
    # (prepare), so the branch moving is all that is left of it
    subprocess.run(["git", "--git-dir", a.bare, "update-ref",
                    "refs/heads/main", sha], check=True)
    offset = log_size(a.log)
    poller = a.poller
    w0 = time.time()
    t0 = time.monotonic()
    notify = subprocess.Popen([a.notify, "127.0.0.1:%d" % a.port, BIG,
                               "--key", a.key, "--serial", str(serial)],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    served, tries = poller.wait_for(addr, t0, a.timeout)
    out, _ = notify.communicate()
    acked = notify.returncode == 0 and "NOERROR" in out
    pull = pull_of(a.log, offset, short)
    r = {"phase": label, "commit": short, "serial": serial,
         "latency": (served - t0) if served else None, "tries": tries,
         "acked": acked, "notify_out": out.strip(),
         "wall": (w0, w0 + (served - t0) if served else time.time())}
    if pull:
        r.update(pull)
    lat = "%.3f s" % r["latency"] if r["latency"] is not None else \
        "NOT SERVED within %.0f s" % a.timeout
    print("  %-9s %s serial %-3d new answer after %s (%d queries)%s" %
          (label, short, serial, lat, tries,
           "" if acked else "  NOTIFY: " + out.strip()))
    if pull:
        print("            dnsd: fetch %.2f s, reload %.2f s; parsed: %s" %
              (pull["fetch"], pull["reload"], " ".join(pull["loaded"])
               or "none"))
    else:
        print("            dnsd: no pull line for %s in the log" % short)
    return r


# ---- dnsperf -------------------------------------------------------------------

def dnsperf_stats(text):
    def num(label):
        m = re.search(r"%s:\s+([0-9.]+)" % label, text)
        return float(m.group(1)) if m else 0.0
    codes = re.search(r"Response codes:\s+(.*)", text)
    # -S 1: "EPOCH: QPS" at the end of each full second
    per_s = [(float(t), float(q)) for t, q in
             re.findall(r"^([0-9]+\.[0-9]+): ([0-9.]+)$", text, re.M)]
    per_s = per_s[1:]  # the first line comes at the start, near 0
    return {"sent": int(num("Queries sent")),
            "completed": int(num("Queries completed")),
            "lost": int(num("Queries lost")),
            "qps": num("Queries per second"),
            "latency": num("Average Latency \\(s\\)"),
            "per_s": per_s,
            "min_1s": min(q for _, q in per_s) if per_s else None,
            "rcodes": codes.group(1).strip() if codes else ""}


def dnsperf(a, qps, duration):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(a.port), "-d", a.queries,
           "-c", "4", "-q", "500", "-l", str(duration), "-S", "1"]
    if qps:
        cmd += ["-Q", str(qps)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def window(a, qps, label, commits=None):
    """A dnsperf window; with commits, the rounds spread over it."""
    start = time.monotonic()
    p = dnsperf(a, qps, a.duration)
    rounds = []
    if commits:
        slot = (a.duration - 2.0) / len(commits)
        for i, c in enumerate(commits):
            wait = start + 1.0 + i * slot - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            rounds.append(one_round(a, c, label))
        if time.monotonic() - start > a.duration:
            print("  warning: the rounds outlasted the dnsperf window; "
                  "raise DURATION")
    out, _ = p.communicate()
    if p.returncode != 0:
        sys.exit("dnsperf failed:\n" + out)
    s = dnsperf_stats(out)
    s["label"] = label
    # the one-second intervals during which a pull ran (NOTIFY sent to
    # new answer served), and the others
    busy = [r["wall"] for r in rounds]
    s["pull_s"] = [q for t, q in s["per_s"]
                   if any(a < t and b > t - 1 for a, b in busy)]
    s["idle_s"] = [q for t, q in s["per_s"]
                   if not any(a < t and b > t - 1 for a, b in busy)]
    print("  %-22s %9.0f qps  lowest 1 s %9s  lost %d of %d  [%s]" %
          (label, s["qps"], "%.0f" % s["min_1s"] if s["min_1s"] else "-",
           s["lost"], s["sent"], s["rcodes"]))
    return s, rounds


# ---- report ------------------------------------------------------------------

def summary(rounds, label):
    lats = [r["latency"] for r in rounds if r["latency"] is not None]
    missed = len(rounds) - len(lats)
    fetch = [r["fetch"] for r in rounds if "fetch" in r]
    reload_ = [r["reload"] for r in rounds if "reload" in r]
    one = sum(1 for r in rounds if r.get("loaded") == [BIG])
    line = "  %-9s NOTIFY -> new answer: " % label
    if lats:
        line += "median %.3f s, max %.3f s, min %.3f s" % (
            statistics.median(lats), max(lats), min(lats))
    if missed:
        line += "; %d round(s) never served the new answer" % missed
    print(line + " (%d rounds)" % len(rounds))
    if fetch:
        print("            dnsd's log: fetch median %.2f s (max %.2f), "
              "reload median %.2f s (max %.2f)" %
              (statistics.median(fetch), max(fetch),
               statistics.median(reload_), max(reload_)))
    print("            pulls that parsed exactly one zone, %s: %d of %d" %
          (BIG, one, len(rounds)))
    return lats, missed, one


def main():
    if len(sys.argv) == 7 and sys.argv[1] == "gen":
        gen(*sys.argv[2:])
        return
    if len(sys.argv) < 2 or sys.argv[1] != "run":
        sys.exit(__doc__)
    ap = argparse.ArgumentParser(prog="pull_measure.py run")
    ap.add_argument("--work", required=True)      # clone to commit in
    ap.add_argument("--bare", required=True)      # the repository dnsd pulls
    ap.add_argument("--log", required=True)       # dnsd's stderr
    ap.add_argument("--notify", required=True)    # dnsd-notify
    ap.add_argument("--key", required=True)       # NAME:SHA256:SECRET
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--names", type=int, required=True)
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--duration", type=int, default=20)
    ap.add_argument("--qps", type=int, default=50000)
    ap.add_argument("--poll", type=float, default=0.002)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args(sys.argv[2:])
    a.poller = Poller(a.port, "h%d.%s." % (changed_index(a.names), BIG),
                      a.poll)

    n = a.rounds
    print("preparing %d commits (each changes h%d.%s A and the serial)..." %
          (3 * n, changed_index(a.names), BIG))
    commits = prepare(a.work, a.bare, a.names, 3 * n)

    print("\nquiet: %d rounds, no other load" % n)
    quiet = [one_round(a, c, "quiet") for c in commits[:n]]
    time.sleep(1)

    windows, loaded = {}, {}
    for qps, name, cs in ((a.qps, "capped", commits[n:2 * n]),
                          (0, "uncapped", commits[2 * n:])):
        what = "-Q %d" % qps if qps else "no -Q"
        print("\n%s: dnsperf -c 4 -q 500 -l %d %s; without pulls, with %d "
              "pulls spread over the window, without again" %
              (name, a.duration, what, n))
        before, _ = window(a, qps, name + " without pulls")
        during, rs = window(a, qps, name + " with pulls", cs)
        after, _ = window(a, qps, name + " without (again)")
        windows[name] = (before, during, after)
        loaded[name] = rs

    print("\n==== report ====")
    print("latency, from starting dnsd-notify to the first answer with "
          "the new address (polled every %.0f ms):" % (a.poll * 1000))
    all_rounds = quiet + loaded["capped"] + loaded["uncapped"]
    res = {"quiet": summary(quiet, "quiet"),
           "capped": summary(loaded["capped"], "capped"),
           "uncapped": summary(loaded["uncapped"], "uncapped")}
    print("\nqueries per second (dnsperf -c 4 -q 500 -l %d):" % a.duration)
    print("  %-9s %10s %10s %10s %8s   %s" %
          ("", "without", "with pulls", "without", "ratio", "lost (w/o, "
           "with, w/o)"))
    ratios = {}
    for name, (b, d, f) in windows.items():
        base = (b["qps"] + f["qps"]) / 2
        ratios[name] = d["qps"] / base if base else 0
        print("  %-9s %10.0f %10.0f %10.0f %8.3f   %d, %d, %d" %
              (name, b["qps"], d["qps"], f["qps"], ratios[name],
               b["lost"], d["lost"], f["lost"]))
        print("  %-9s lowest 1 s: %s" % ("", ", ".join(
            "%.0f" % w["min_1s"] if w["min_1s"] else "-" for w in (b, d, f))))
        if d["pull_s"]:
            idle = [q for _, q in b["per_s"] + f["per_s"]]
            m_pull = statistics.mean(d["pull_s"])
            m_idle = statistics.mean(idle) if idle else 0
            ratios[name + " 1s"] = m_pull / m_idle if m_idle else 0
            print("  %-9s 1 s intervals with a pull running: %d, mean %.0f "
                  "qps (lowest %.0f); of the windows without: mean %.0f "
                  "-> %.3f" %
                  ("", len(d["pull_s"]), m_pull, min(d["pull_s"]), m_idle,
                   ratios[name + " 1s"]))
            if d["idle_s"]:
                m_same = statistics.mean(d["idle_s"])
                ratios[name + " 1s same window"] = m_pull / m_same
                print("  %-9s the other %d intervals of the window with "
                      "pulls: mean %.0f -> %.3f" %
                      ("", len(d["idle_s"]), m_same, m_pull / m_same))

    print("\ntargets:")
    for name in ("quiet", "capped"):
        lats, missed, _ = res[name]
        worst = max(lats) if lats else float("inf")
        print("  NOTIFY -> new answer under 0.5 s (%s, every round): "
              "max %.3f s -> %s" % (name, worst,
                                    "met" if not missed and worst < 0.5
                                    else "NOT met"))
    c = windows["capped"]
    lost = sum(w["lost"] for w in c)
    print("  no query lost (capped at %d qps): %d lost -> %s" %
          (a.qps, lost, "met" if lost == 0 else "NOT met"))
    for name in ("capped", "uncapped", "capped 1s", "uncapped 1s",
                 "capped 1s same window", "uncapped 1s same window"):
        if name in ratios:
            print("  rate with pulls within 10%% of without (%s): %.3f "
                  "-> %s" % (name, ratios[name],
                             "met" if ratios[name] >= 0.9 else "NOT met"))
    one = sum(1 for r in all_rounds if r.get("loaded") == [BIG])
    print("  each pull parsed only %s: %d of %d -> %s" %
          (BIG, one, len(all_rounds),
           "met" if one == len(all_rounds) else "NOT met"))
    print("  (uncapped lost: %s; not a target: at an unbounded offered "
          "load a loss can be the socket buffer's)" %
          ", ".join(str(w["lost"]) for w in windows["uncapped"]))


if __name__ == "__main__":
    main()
