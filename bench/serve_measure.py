#!/usr/bin/python3
"""Measurements for bench/serve.sh.

    serve_measure.py run NAME PID ADDR PORT QUERIES SECONDS RESULTS
        drives the server NAME (process PID and its descendants) with
        `dnsperf -c 4 -q 500 -l SECONDS`, measures the CPU the server used
        meanwhile, appends one JSON line to RESULTS and prints it readably.
    serve_measure.py report RESULTS
        per server the median of its runs, and dnsd's ratios to the
        others.

CPU comes from /proc: user and system time from /proc/PID/stat (clock
ticks, converted with sysconf(_SC_CLK_TCK)), and the scheduler's on-CPU
time in nanoseconds from /proc/PID/task/*/schedstat (user + system, much
finer than ticks). Both are summed over the server's process tree (NSD
serves from a child process) and taken as deltas over the dnsperf run.
"""
import json
import os
import re
import statistics
import subprocess
import sys

TICK = os.sysconf("SC_CLK_TCK")


def tree(pid):
    """pid and all its descendants."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu(pids):
    """(user s, system s, on-CPU s) summed over pids and their threads."""
    user = system = sched = 0.0
    for pid in pids:
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            # fields[0] is field 3 (state): utime is 14, stime 15
            user += int(fields[11]) / TICK
            system += int(fields[12]) / TICK
            for task in os.listdir("/proc/%d/task" % pid):
                with open("/proc/%d/task/%s/schedstat" % (pid, task)) as f:
                    sched += int(f.read().split()[0]) / 1e9
        except (OSError, ValueError):
            continue
    return user, system, sched


def dnsperf_stats(text):
    def num(label):
        m = re.search(r"%s:\s+([0-9.]+)" % label, text)
        return float(m.group(1)) if m else 0.0
    codes = re.search(r"Response codes:\s+(.*)", text)
    return {
        "sent": int(num("Queries sent")),
        "completed": int(num("Queries completed")),
        "lost": int(num("Queries lost")),
        "qps": num("Queries per second"),
        "latency": num("Average Latency \\(s\\)"),
        "rcodes": codes.group(1).strip() if codes else "",
    }


def run(name, pid, addr, port, queries, seconds, results):
    pids = tree(int(pid))
    before = cpu(pids)
    cmd = ["dnsperf", "-s", addr, "-p", port, "-d", queries, "-c", "4",
           "-q", "500", "-l", seconds]
    p = subprocess.run(cmd, capture_output=True, text=True)
    after = cpu(pids)
    if p.returncode != 0:
        sys.exit("dnsperf failed for %s:\n%s%s" % (name, p.stdout, p.stderr))
    r = dnsperf_stats(p.stdout)
    n = max(r["completed"], 1)
    r.update({
        "server": name,
        "pids": len(pids),
        "user_us": (after[0] - before[0]) * 1e6 / n,
        "sys_us": (after[1] - before[1]) * 1e6 / n,
        "sched_us": (after[2] - before[2]) * 1e6 / n,
    })
    with open(results, "a") as f:
        f.write(json.dumps(r) + "\n")
    print("%-6s %9.0f qps  user %.2f  sys %.2f  on-CPU %.2f us/query  "
          "lost %d  [%s]" % (name, r["qps"], r["user_us"], r["sys_us"],
                             r["sched_us"], r["lost"], r["rcodes"]))


def report(results):
    runs = {}
    with open(results) as f:
        for line in f:
            r = json.loads(line)
            runs.setdefault(r["server"], []).append(r)
    # The median run of each metric: one slow round (the machine is
    # shared) moves nothing.
    rows = {}
    for name, rs in runs.items():
        row = {"server": name, "rounds": len(rs), "rcodes": rs[-1]["rcodes"],
               "qps_all": sorted(r["qps"] for r in rs)}
        for key in ("qps", "lost", "user_us", "sys_us", "sched_us"):
            row[key] = statistics.median(r[key] for r in rs)
        rows[name] = row
    print("median of %d round(s); qps of every round in brackets" %
          max(r["rounds"] for r in rows.values()))
    print("%-6s %10s %8s %10s %10s %10s %10s" %
          ("server", "qps", "lost", "user", "sys", "user+sys", "on-CPU"))
    print("%-6s %10s %8s %10s %10s %10s %10s" %
          ("", "", "", "us/query", "us/query", "us/query", "us/query"))
    for r in rows.values():
        print("%-6s %10.0f %8d %10.2f %10.2f %10.2f %10.2f   [%s]" %
              (r["server"], r["qps"], r["lost"], r["user_us"], r["sys_us"],
               r["user_us"] + r["sys_us"], r["sched_us"],
               " ".join("%.0f" % q for q in r["qps_all"])))
    print()
    for r in rows.values():
        print("%-6s response codes: %s" % (r["server"], r["rcodes"]))
    d = rows.get("dnsd")
    if not d:
        return
    print()
    print("dnsd relative to the others (<1 means dnsd uses less / "
          "serves fewer):")
    for other in ("nsd", "knot", "echo"):
        o = rows.get(other)
        if not o:
            continue
        ratio = (lambda a, b: a / b if b > 0 else float("inf"))
        print("  vs %-5s user CPU %.2fx   on-CPU %.2fx   qps %.2fx" %
              (other, ratio(d["user_us"], o["user_us"]),
               ratio(d["sched_us"], o["sched_us"]),
               ratio(d["qps"], o["qps"])))
    peers = [rows[k] for k in ("nsd", "knot") if k in rows]
    if peers:
        best_user = min(p["user_us"] for p in peers)
        best_qps = max(p["qps"] for p in peers)
        print()
        print("targets:")
        print("  user CPU/query <= 0.5x the better of NSD and Knot: "
              "%.2f vs %.2f -> %s" %
              (d["user_us"], 0.5 * best_user,
               "met" if d["user_us"] <= 0.5 * best_user else "NOT met"))
        print("  qps >= theirs: %.0f vs %.0f -> %s" %
              (d["qps"], best_qps,
               "met" if d["qps"] >= best_qps else "NOT met"))
    if "echo" in rows:
        e = rows["echo"]
        print("  on-CPU/query within 1.1x of the echo floor: "
              "%.2f vs %.2f -> %s" %
              (d["sched_us"], 1.1 * e["sched_us"],
               "met" if d["sched_us"] <= 1.1 * e["sched_us"]
               else "NOT met"))


if __name__ == "__main__":
    if len(sys.argv) == 9 and sys.argv[1] == "run":
        run(*sys.argv[2:])
    elif len(sys.argv) == 3 and sys.argv[1] == "report":
        report(sys.argv[2])
    else:
        sys.exit(__doc__)
