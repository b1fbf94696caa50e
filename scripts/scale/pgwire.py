#!/usr/bin/env python3
"""PostgreSQL's answer time, seen on the wire, for statements carrying MARK.

Usage: scripts/scale/pgwire.py CAPTURE MARK
  CAPTURE  a pcap of loopback traffic on port 5432, e.g. taken during scripts/scale/writes.sh with
           tcpdump -i lo -s 300 -w CAPTURE 'tcp port 5432 and (((ip[2:2] - ((ip[0]&0xf)<<2)) - ((tcp[12]&0xf0)>>2)) != 0)'
  MARK     bytes that a client's Bind or Parse message holds, e.g. the id of the app writes.sh patches

For every client packet to port 5432 that starts with a Bind ('B') or Parse ('P') message and holds MARK,
the time until PostgreSQL's next packet on that connection: its answer, including the wake-up of its
backend, the statement and the commit's flush. Prints the count and p50/p90/p99/max in ms
(docs/operations.md, "Where a write's time goes").
"""
import struct
import sys


def main():
    path, mark = sys.argv[1], sys.argv[2].encode()
    with open(path, 'rb') as f:
        head = f.read(24)
        link = struct.unpack('<I', head[20:24])[0]
        off = 14 if link == 1 else 16  # Ethernet, or Linux cooked capture
        pending, out = {}, []
        while True:
            h = f.read(16)
            if len(h) < 16:
                break
            sec, usec, incl, _ = struct.unpack('<IIII', h)
            d = f.read(incl)
            t = sec + usec / 1e6
            ip = d[off:]
            tcp = ip[(ip[0] & 15) * 4:]
            sport, dport = struct.unpack('>HH', tcp[:4])
            payload = tcp[(tcp[12] >> 4) * 4:]
            if not payload:
                continue
            if dport == 5432 and payload[:1] in (b'B', b'P') and mark in payload:
                pending[sport] = t
            elif sport == 5432 and dport in pending:
                out.append((t - pending.pop(dport)) * 1000)
    out.sort()
    n = len(out)
    if not n:
        print('no statement holding %s found' % sys.argv[2])
        return 1
    pick = lambda p: out[min(n - 1, int(n * p))]
    print('%d statements: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f ms' % (n, pick(.5), pick(.9), pick(.99), out[-1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
