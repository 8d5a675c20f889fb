#!/usr/bin/python3
"""Client side of rrl.sh: floods dnsd over UDP from one source address
and counts what comes back.

    rrl_flood.py SERVER PORT SOURCE QNAME QTYPE COUNT SECONDS

Sends COUNT queries evenly over SECONDS from SOURCE (an address of the
loopback, so 127.0.1.1 is a client in another /24 than 127.0.0.1; ::1
for SERVER ::1), each
with its own id, while reading responses; waits half a second more for
late ones. A QNAME with "{i}" gets the query's number there (a new
name each time). Prints one line:
    sent=N answers=A truncated=T rcode=RCODE
where answers are responses without TC (full answers) and truncated
those with TC and no records (slipped); RCODE is the rcode of the last
full answer.
"""
import select
import socket
import sys
import time

import dns.flags
import dns.message
import dns.rcode


def main():
    server, port, source, qname, qtype = sys.argv[1:6]
    count, seconds = int(sys.argv[6]), float(sys.argv[7])
    fam = socket.AF_INET6 if ":" in server else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((source, 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.setblocking(False)
    answers = truncated = 0
    rcode = "none"
    seen = set()

    def read():
        nonlocal answers, truncated, rcode
        while True:
            try:
                data = s.recv(65535)
            except BlockingIOError:
                return
            m = dns.message.from_wire(data)
            if m.id in seen:
                continue
            seen.add(m.id)
            if m.flags & dns.flags.TC:
                if m.answer or m.authority or m.additional:
                    print("FAIL: a TC response with records", file=sys.stderr)
                    sys.exit(1)
                truncated += 1
            else:
                answers += 1
                rcode = dns.rcode.to_text(m.rcode())

    start = time.monotonic()
    for i in range(count):
        due = start + seconds * i / count
        while True:
            now = time.monotonic()
            if now >= due:
                break
            select.select([s], [], [], due - now)
            read()
        q = dns.message.make_query(qname.replace("{i}", str(i)), qtype)
        q.id = i % 65536
        s.sendto(q.to_wire(), (server, int(port)))
        read()
    end = time.monotonic() + 0.5
    while time.monotonic() < end:
        select.select([s], [], [], 0.05)
        read()
    print(f"sent={count} answers={answers} truncated={truncated} "
          f"rcode={rcode}")


main()
