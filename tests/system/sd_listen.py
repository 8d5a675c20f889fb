"""A stand-in for systemd's notification socket (tests/system/sd_notify.sh).

usage: sd_listen.py SOCKET OUT ADDR PORT ZONE

Binds the AF_UNIX datagram socket SOCKET (a path, or @NAME in the
abstract namespace), then appends a line to OUT for every datagram:
"M <CLOCK_MONOTONIC us at receipt> <message, newlines as |>". On every
datagram with READY=1 it at once asks ADDR#PORT for ZONE's SOA and
appends "Q <rcode> <serial or ->", which shows what was served when
READY=1 came. Runs until killed.
"""
import os
import socket
import sys
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype


def serving(addr, port, zone):
    q = dns.message.make_query(zone, dns.rdatatype.SOA)
    try:
        r = dns.query.udp(q, addr, port=port, timeout=2)
    except Exception:  # noqa: BLE001 - any failure is an answer here
        return "ERROR -"
    serial = "-"
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            serial = str(rrset[0].serial)
    return "%s %s" % (dns.rcode.to_text(r.rcode()), serial)


def main():
    name, out, addr, zone = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[5]
    port = int(sys.argv[4])
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind("\0" + name[1:] if name.startswith("@") else name)
    with open(out + ".bound", "w"):
        pass
    with open(out, "a", buffering=1) as f:
        while True:
            data = s.recv(65536).decode("utf-8", "replace")
            now = time.monotonic_ns() // 1000
            f.write("M %d %s\n" % (now, data.replace("\n", "|")))
            if "READY=1" in data.split("\n"):
                f.write("Q %s\n" % serving(addr, port, zone))


if __name__ == "__main__":
    os.umask(0o077)
    main()
