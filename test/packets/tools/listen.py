#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Test listener: on each TCP connection writes "<name> <port> <peer>\n" and closes; answers each
# UDP datagram with the same line. Prints "ready" once every port is bound. Dual stack.
import json, select, socket, sys

cfg = json.loads(sys.argv[1])
name = cfg.get("name", "srv")
socks = []
for port in cfg.get("tcp", []):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("::", port)); s.listen(64); socks.append(("tcp", port, s))
for port in cfg.get("udp", []):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); socks.append(("udp", port, s))
print("ready", flush=True)

def peer(addr):
    a = addr[0].split("%")[0]
    return a[7:] if a.startswith("::ffff:") else a

while True:
    r, _, _ = select.select([x[2] for x in socks], [], [])
    for proto, port, s in socks:
        if s not in r:
            continue
        if proto == "tcp":
            c, addr = s.accept()
            try:
                c.sendall(f"{name} {port} {peer(addr)}\n".encode())
            except OSError:
                pass
            c.close()
        else:
            data, addr = s.recvfrom(2048)
            s.sendto(f"{name} {port} {peer(addr)}\n".encode(), addr)
