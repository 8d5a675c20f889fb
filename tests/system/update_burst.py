#!/usr/bin/python3
"""Client side of limits.sh: a burst of signed UPDATEs at once.

    update_burst.py SERVER PORT ZONE KEYNAME SECRET COUNT

Sends COUNT UPDATEs of ZONE over UDP back to back (each adding its own
name burstN.ZONE A 192.0.2.N), signed with the hmac-sha256 key KEYNAME,
then collects their answers for up to 10 s. Prints one line, the count
of each rcode, as "NOERROR=N REFUSED=M lost=K".
"""
import select
import socket
import sys
import time

import dns.message
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update


def main():
    server, port, zone, keyname, secret, count = sys.argv[1:7]
    count = int(count)
    ring = dns.tsigkeyring.from_text({keyname: ("hmac-sha256", secret)})
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sent = {}
    for i in range(count):
        u = dns.update.UpdateMessage(zone, keyring=ring, keyname=keyname,
                                     keyalgorithm=dns.tsig.HMAC_SHA256)
        u.add(f"burst{i}", 60, "A", f"192.0.2.{i % 250 + 1}")
        u.id = 1000 + i
        sent[u.id] = u
        s.sendto(u.to_wire(), (server, int(port)))
    counts = {}
    end = time.monotonic() + 10
    while sent and time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.2)
        if not r:
            continue
        data = s.recv(65535)
        wire_id = int.from_bytes(data[:2], "big")
        if wire_id not in sent:
            continue
        m = dns.message.from_wire(data, keyring=ring,
                                  request_mac=sent[wire_id].mac)
        del sent[wire_id]
        rc = dns.rcode.to_text(m.rcode())
        counts[rc] = counts.get(rc, 0) + 1
    print(" ".join(f"{k}={v}" for k, v in sorted(counts.items())) +
          f" lost={len(sent)}")


main()
