#!/usr/bin/python3
"""Helpers of bench/xfr_in.sh (zone transfers in: dnsd, Knot and NSD as
secondaries of one Knot primary). See bench/README.md.

    xfr_in_measure.py zone FILE RECORDS SERIAL
        writes the zone example.com: $TTL, SOA with SERIAL, NS, the name
        server's A record, then `host<N> A 10.x.y.z` for N below RECORDS.
        Prints the last host's name and address.
    xfr_in_measure.py wait PORT SERIAL NAME ADDR TIMEOUT
        waits until 127.0.0.1:PORT answers example.com SOA with SERIAL and
        NAME A with ADDR (the primary); exit 1 after TIMEOUT seconds.
    xfr_in_measure.py run RESULTS SERVER RUN PORT SERIAL NAME ADDR DISKFILE
                          LOG PIDFILE TIMEOUT -- COMMAND...
        one measurement: starts COMMAND in a session of its own (the time
        starts just before the fork), every 20 ms samples the memory of
        every process of that session (VmHWM, VmRSS from /proc/PID/status)
        and asks PORT for the SOA and, once the serial is SERIAL, for NAME
        A (each query waits up to 50 ms); "serving" is the first moment
        both are right. Then, unless DISKFILE is "-", waits for DISKFILE
        to exist (the secondary's copy on disk; dnsd and Knot rename it
        into place when it is complete). Then reads the memory once more
        and stops the session (SIGTERM, SIGKILL after 30 s). Appends a
        JSON line to RESULTS; with LOG, the server's own log of the
        transfer is read from that file. The session's id goes into
        PIDFILE while it runs, for the caller's clean-up.
    xfr_in_measure.py report RESULTS
        the tables and the ratios.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time

import dns.message
import dns.query
import dns.rdatatype

ORIGIN = "example.com."
POLL = 0.020       # seconds between polls
QTIMEOUT = 0.050   # each query's wait for its answer


def host_addr(i):
    return "10.%d.%d.%d" % (i // 65536 % 256, i // 256 % 256, i % 256)


def cmd_zone(path, records, serial):
    records, serial = int(records), int(serial)
    with open(path, "w") as f:
        f.write("$ORIGIN %s\n$TTL 3600\n"
                "@ SOA ns1.example.com. hostmaster.example.com. %d 7200 3600 "
                "1209600 3600\n@ NS ns1\nns1 A 10.255.255.1\n"
                % (ORIGIN, serial))
        step = 100000
        for lo in range(0, records, step):
            f.write("".join("host%d A %s\n" % (i, host_addr(i))
                            for i in range(lo, min(lo + step, records))))
    last = records - 1
    print("host%d.%s %s" % (last, ORIGIN, host_addr(last)))


# ---- queries ------------------------------------------------------------

def ask(port, name, rdtype):
    """The answer's rdata texts, or None (no answer, an error rcode)."""
    q = dns.message.make_query(name, rdtype)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=QTIMEOUT)
    except Exception:
        return None
    if r.rcode() != 0:
        return None
    out = []
    for rrset in r.answer:
        if rrset.rdtype == rdtype:
            out.extend(rd.to_text() for rd in rrset)
    return out


def serving(port, serial, name, addr):
    soa = ask(port, ORIGIN, dns.rdatatype.SOA)
    if not soa or int(soa[0].split()[2]) != serial:
        return False
    a = ask(port, name, dns.rdatatype.A)
    return bool(a) and addr in a


def cmd_wait(port, serial, name, addr, timeout):
    port, serial, timeout = int(port), int(serial), float(timeout)
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if serving(port, serial, name, addr):
            print("%.2f" % (time.monotonic() - t0))
            return 0
        time.sleep(0.1)
    return 1


# ---- memory of a session ------------------------------------------------

def session_pids(sid):
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        # fields after the ")" of comm: state ppid pgrp session ...
        rest = st[st.rindex(")") + 2:].split()
        if int(rest[3]) == sid:
            pids.append(int(d))
    return pids


def status_kb(pid, keys=("VmHWM", "VmRSS")):
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in keys:
                    out[k] = int(v.split()[0])
                elif k == "Name":
                    out["Name"] = v.strip()
    except OSError:
        return None
    return out if "VmHWM" in out else None


class Memory:
    """Per process of the session: the largest VmHWM seen; and the
    largest sum of VmRSS over the processes alive at one sample."""

    def __init__(self, sid):
        self.sid = sid
        self.hwm = {}      # pid -> (kB, name)
        self.rss_sum_max = 0

    def sample(self):
        total = 0
        for pid in session_pids(self.sid):
            s = status_kb(pid)
            if s is None:
                continue
            old = self.hwm.get(pid, (0, ""))[0]
            self.hwm[pid] = (max(old, s["VmHWM"]), s.get("Name", "?"))
            total += s.get("VmRSS", 0)
        self.rss_sum_max = max(self.rss_sum_max, total)


# ---- one run ------------------------------------------------------------

def own_log(server, log):
    """What the server logs of the transfer: dnsd's and Knot's seconds."""
    if not log or not os.path.exists(log):
        return None
    with open(log, errors="replace") as f:
        text = f.read()
    if server == "dnsd":
        m = re.search(r"AXFR in zone \S+ from .*?serial \d+ -> \d+, (\d+) "
                      r"records in (\d+) messages \((\d+) octets\), "
                      r"([\d.]+) s", text)
        if m:
            return {"records": int(m[1]), "messages": int(m[2]),
                    "octets": int(m[3]), "seconds": float(m[4]),
                    "line": m[0]}
    elif server == "knot":
        m = re.search(r"AXFR, incoming.*finished, ([\d.]+) seconds, "
                      r"(\d+) messages, (\d+) bytes", text)
        if m:
            return {"seconds": float(m[1]), "messages": int(m[2]),
                    "octets": int(m[3]), "line": m[0]}
    return None


def stop_session(proc, sid):
    try:
        os.killpg(sid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pass
    # whatever is left of the session (NSD's children)
    for _ in range(300):
        if not session_pids(sid):
            return
        time.sleep(0.1)
    try:
        os.killpg(sid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def cmd_run(results, server, run, port, serial, name, addr, diskfile, log,
            pidfile, timeout, command):
    port, serial, timeout = int(port), int(serial), float(timeout)
    t0 = time.monotonic()
    proc = subprocess.Popen(command, start_new_session=True,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL,
                            stderr=open(log, "ab") if log else None)
    sid = proc.pid
    with open(pidfile, "w") as f:
        f.write("%d\n" % sid)

    def on_signal(signum, frame):
        stop_session(proc, sid)
        sys.exit(1)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    mem = Memory(sid)
    rec = {"server": server, "run": int(run)}
    try:
        t_serve = None
        while time.monotonic() - t0 < timeout:
            tick = time.monotonic()
            mem.sample()
            if proc.poll() is not None:
                break
            if serving(port, serial, name, addr):
                t_serve = time.monotonic() - t0
                break
            left = POLL - (time.monotonic() - tick)
            if left > 0:
                time.sleep(left)
        if t_serve is None:
            rec["error"] = ("exited with %s" % proc.returncode
                            if proc.poll() is not None else
                            "not serving after %.0f s" % timeout)
        else:
            rec["serving"] = t_serve
            mem.sample()
            rec["hwm_at_serving"] = max(v[0] for v in mem.hwm.values())
        if t_serve is not None and diskfile != "-":
            while time.monotonic() - t0 < t_serve + timeout:
                mem.sample()
                if os.path.exists(diskfile):
                    rec["disk"] = time.monotonic() - t0
                    break
                time.sleep(POLL)
            else:
                rec["disk_error"] = "no %s after %.0f s" % (diskfile, timeout)
        time.sleep(0.1)
        mem.sample()
        rec["procs"] = {str(p): {"name": n, "hwm_kb": k}
                        for p, (k, n) in sorted(mem.hwm.items())}
        rec["hwm_max_kb"] = max((k for k, _ in mem.hwm.values()), default=0)
        rec["hwm_sum_kb"] = sum(k for k, _ in mem.hwm.values())
        rec["rss_sum_max_kb"] = mem.rss_sum_max
    finally:
        stop_session(proc, sid)
        try:
            os.unlink(pidfile)
        except OSError:
            pass
    rec["own"] = own_log(server, log)
    with open(results, "a") as f:
        f.write(json.dumps(rec) + "\n")
    if "error" in rec:
        print("  %s run %s: FAILED: %s" % (server, run, rec["error"]))
        return 1
    own = rec["own"]
    print("  %-4s run %s: serving after %6.2f s%s, peak %7.1f MB "
          "(largest process; %d process%s, sum %.1f)%s" % (
              server, run, rec["serving"],
              ", on disk after %.2f s" % rec["disk"] if "disk" in rec else "",
              rec["hwm_max_kb"] / 1024, len(rec["procs"]),
              "" if len(rec["procs"]) == 1 else "es",
              rec["hwm_sum_kb"] / 1024,
              "; its log: %.2f s" % own["seconds"] if own else ""))
    return 0


# ---- report -------------------------------------------------------------

NAMES = {"dnsd": "dnsd", "knot": "Knot", "nsd": "NSD"}


def cmd_report(results):
    recs = [json.loads(l) for l in open(results)]
    by = {}
    for r in recs:
        by.setdefault(r["server"], []).append(r)
    order = [s for s in ("dnsd", "knot", "nsd") if s in by]
    ok = {s: [r for r in by[s] if "serving" in r] for s in order}
    failed = {s: len(by[s]) - len(ok[s]) for s in order}

    def med(xs):
        return statistics.median(xs) if xs else float("nan")

    summ = {}
    print("Start to serving (SOA with the primary's serial and the last "
          "host), peak RSS:")
    print()
    print("| server | runs | best s | median s | on disk, median s | "
          "own log, median s | peak MB (median) | sum MB (median) | "
          "serving s of the runs |")
    print("|--------|-----:|-------:|---------:|------------------:|"
          "------------------:|-----------------:|----------------:|"
          "----------------------|")
    for s in order:
        rs = ok[s]
        t = [r["serving"] for r in rs]
        d = [r["disk"] for r in rs if "disk" in r]
        own = [r["own"]["seconds"] for r in rs if r.get("own")]
        hwm = [r["hwm_max_kb"] / 1024 for r in rs]
        hsum = [r["hwm_sum_kb"] / 1024 for r in rs]
        summ[s] = {"best": min(t) if t else float("nan"), "median": med(t),
                   "hwm": med(hwm), "sum": med(hsum)}
        print("| %-6s | %4s | %6.2f | %8.2f | %17s | %17s | %16.1f | "
              "%15.1f | %-20s |" % (
                  NAMES[s], "%d%s" % (len(rs), " (+%d failed)" % failed[s]
                                      if failed[s] else ""),
                  summ[s]["best"], summ[s]["median"],
                  "%.2f" % med(d) if d else "-",
                  "%.2f" % med(own) if own else "-",
                  summ[s]["hwm"], summ[s]["sum"],
                  " ".join("%.2f" % x for x in t)))
    print()
    for s in order:
        procs = {}
        for r in ok[s]:
            for p in r["procs"].values():
                procs.setdefault(p["name"], []).append(p["hwm_kb"] / 1024)
        print("  %s processes seen (VmHWM MB, per run): %s; largest sum "
              "of RSS at one sample: %s MB" % (NAMES[s], ", ".join(
                  "%s %s" % (n, "/".join("%.1f" % x for x in v))
                  for n, v in procs.items()), "/".join(
                  "%.1f" % (r["rss_sum_max_kb"] / 1024) for r in ok[s])))
    for s in order:
        for r in ok[s]:
            if r.get("own"):
                print("  %s run %d logged: %s" % (NAMES[s], r["run"],
                                                   r["own"]["line"]))
                break
    if "dnsd" not in summ or len(summ) == 1:
        return 0
    print()
    print("| dnsd / X | best time | median time | peak RSS |")
    print("|----------|----------:|------------:|---------:|")
    for s in order:
        if s == "dnsd":
            continue
        print("| %-8s | %9.2f | %11.2f | %8.2f |" % (
            NAMES[s], summ["dnsd"]["best"] / summ[s]["best"],
            summ["dnsd"]["median"] / summ[s]["median"],
            summ["dnsd"]["hwm"] / summ[s]["hwm"]))
    others = [s for s in order if s != "dnsd"]
    if others:
        fast = min(others, key=lambda s: summ[s]["median"])
        small = min(others, key=lambda s: summ[s]["hwm"])
        tr = summ["dnsd"]["median"] / summ[fast]["median"]
        mr = summ["dnsd"]["hwm"] / summ[small]["hwm"]
        print()
        print("Targets: median time no more than the faster (%s): %.2fx, %s;"
              % (NAMES[fast], tr, "met" if tr <= 1 else "NOT met"))
        print("         peak RSS at most half the smaller (%s): %.2fx, %s."
              % (NAMES[small], mr, "met" if mr <= 0.5 else "NOT met"))
        if "nsd" in summ:
            print("(NSD's peak is its largest process; the sum over its "
                  "processes, which share pages, is %.1f MB.)"
                  % summ["nsd"]["sum"])
    return 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "zone":
        return cmd_zone(*argv[2:5])
    if len(argv) == 7 and argv[1] == "wait":
        return cmd_wait(*argv[2:])
    if len(argv) > 14 and argv[1] == "run" and argv[13] == "--":
        return cmd_run(*argv[2:13], argv[14:])
    if len(argv) == 3 and argv[1] == "report":
        return cmd_report(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
