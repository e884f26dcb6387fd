#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Test prober: runs a JSON list of probes and prints a JSON list of results. "connect" uses the
# kernel's TCP stack and "udpsock" a kernel UDP socket (reply line, "refused" on ICMP port
# unreachable, or "timeout"); "tcp", "udp", "icmp" and "ip" craft packets with scapy and classify the
# first reply (TCP flags, ICMP/ICMPv6 type and code, UDP payload, or none).
import errno, json, socket, sys

# A connect probe's timeout bounds the handshake, which the two kernels complete on their own in
# microseconds. The line comes from the listener, a process that a loaded machine may schedule
# late; it gets at least this long, so that a slow listener is not reported as a closed port.
LINE_TIMEOUT = 5.0

def connect(p):
    fam = socket.AF_INET6 if ":" in p["dst"] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(p.get("timeout", 2.0))
    try:
        if "src" in p or "sport" in p:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((p.get("src", "::" if fam == socket.AF_INET6 else "0.0.0.0"), p.get("sport", 0)))
        s.connect((p["dst"], p["port"]))
        s.settimeout(max(p.get("timeout", 2.0), LINE_TIMEOUT))
        line = s.makefile().readline().strip()
        return {"result": "open", "line": line}
    except socket.timeout:
        return {"result": "timeout"}
    except OSError as e:
        return {"result": {errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "unreachable", errno.ENETUNREACH: "unreachable", errno.EPERM: "eperm", errno.EACCES: "eacces", errno.ECONNRESET: "reset"}.get(e.errno, "errno %d" % e.errno)}
    finally:
        s.close()

def udpsock(p):
    v6 = ":" in p["dst"]
    s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(p.get("timeout", 1.5))
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if not v6 and "iface" in p:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, p["iface"].encode())
        if p.get("broadcast"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.bind((p.get("src", "::" if v6 else "0.0.0.0"), p.get("sport", 0)))
        dst = (p["dst"], p["dport"], 0, socket.if_nametoindex(p["iface"])) if v6 and "iface" in p else (p["dst"], p["dport"])
        s.connect(dst)
        s.send(b"probe")
        return {"result": "reply", "line": s.recv(2048).decode().strip()}
    except socket.timeout:
        return {"result": "timeout"}
    except OSError as e:
        return {"result": "refused" if e.errno == errno.ECONNREFUSED else "errno %d" % e.errno}
    finally:
        s.close()

def ping(p):
    # An echo request from a raw socket: unlike scapy's packet socket, it passes the sender's
    # own output hook and conntrack, as ping's does. IPv6 destinations may be link-local ("iface").
    import struct, time
    v6 = ":" in p["dst"]
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6) if v6 else socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    try:
        scope = socket.if_nametoindex(p["iface"]) if "iface" in p else 0
        if "src" in p: s.bind((p["src"], 0, 0, scope) if v6 else (p["src"], 0))
        ident, seq = 4321, 1
        if v6:
            # The kernel fills in the ICMPv6 checksum of raw IPPROTO_ICMPV6 sockets.
            s.sendto(struct.pack("!BBHHH", 128, 0, 0, ident, seq) + b"ping", (p["dst"], 0, 0, scope))
        else:
            body = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + b"ping"
            csum = sum(struct.unpack("!%dH" % (len(body) // 2), body))
            csum = (csum >> 16) + (csum & 0xFFFF); csum = ~(csum + (csum >> 16)) & 0xFFFF
            s.sendto(body[:2] + struct.pack("!H", csum) + body[4:], (p["dst"], 0))
        end = time.time() + p.get("timeout", 1.5)
        while time.time() < end:
            s.settimeout(max(0.01, end - time.time()))
            try:
                data, addr = s.recvfrom(2048)
            except socket.timeout:
                break
            off = 0 if v6 else (data[0] & 0x0F) * 4
            t, c, _, i, q = struct.unpack("!BBHHH", data[off:off + 8])
            if t == (129 if v6 else 0) and i == ident and addr[0].split("%")[0] == p["dst"].split("%")[0]:
                return {"reply": "icmpv6" if v6 else "icmp", "type": t, "code": c, "count": 1}
        return {"reply": "none", "count": 0}
    except OSError as e:
        return {"reply": "errno %d" % e.errno, "count": 0}
    finally:
        s.close()

def raw_ip(p, pkt, v6):
    # scapy does not pair ICMP errors with raw payloads reliably: capture the first ICMP
    # error coming back from the destination instead.
    from scapy.all import ICMP, IP, IPv6, conf, send, sniff
    iface = (conf.route6.route(p["dst"]) if v6 else conf.route.route(p["dst"]))[0]
    def is_error(x):
        if v6:
            return IPv6 in x and x[IPv6].src == p["dst"] and x[IPv6].nh == 58 and x[IPv6].payload.type < 128
        return IP in x and x[IP].src == p["dst"] and ICMP in x and x[ICMP].type in (3, 11, 12)
    got = sniff(iface=iface, lfilter=is_error, count=1, timeout=p.get("timeout", 1.5), started_callback=lambda: send(pkt, verbose=0))
    if not got:
        return {"reply": "none", "count": 0}
    l = got[0][IPv6].payload if v6 else got[0][ICMP]
    return {"reply": "icmpv6" if v6 else "icmp", "type": int(l.type), "code": int(l.code), "count": 1}

def crafted(p):
    from scapy.all import IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, Raw, sr, conf
    conf.verb = 0
    v6 = ":" in p["dst"]
    ip = IPv6(dst=p["dst"]) if v6 else IP(dst=p["dst"])
    if "src" in p: ip.src = p["src"]
    if "ttl" in p:
        if v6: ip.hlim = p["ttl"]
        else: ip.ttl = p["ttl"]
    k = p["kind"]
    if k == "tcp":
        # SYNs carry an MSS option as real stacks send (1460 unless "mss" says otherwise; null: none).
        flags = p.get("flags", "S")
        mss = p.get("mss", 1460 if "S" in flags else None)
        opts = [("MSS", mss)] if mss is not None else []
        l4 = TCP(sport=p.get("sport", 40000), dport=p["dport"], flags=p.get("flags", "S"), seq=1000, options=opts)
    elif k == "udp":
        l4 = UDP(sport=p.get("sport", 40001), dport=p["dport"]) / Raw(b"probe")
    elif k == "icmp":
        l4 = ICMPv6EchoRequest() if v6 else ICMP()
    else:
        if v6: ip.nh = p["proto"]
        else: ip.proto = p["proto"]
        l4 = Raw(b"\x00" * 8)
    if k == "ip":
        return raw_ip(p, ip / l4, v6)
    pkts = [ip / l4 for _ in range(p.get("count", 1))]
    # One conntrack entry per copy, so that each is "new": echoes get their own id, TCP and UDP
    # copies the next source port. All copies leave back to back, in one sr() call.
    # "sameId": one id and ascending sequence numbers, as ping sends them (one conntrack entry).
    if k == "icmp":
        for i, x in enumerate(pkts):
            x[1].seq = i + 1
            x[1].id = 4000 if p.get("sameId") else 4000 + i
    elif k in ("tcp", "udp"):
        for i, x in enumerate(pkts):
            x[1].sport = p.get("sport", 40000 if k == "tcp" else 40001) + i
    ans, _ = sr(pkts, timeout=p.get("timeout", 1.5), iface=p.get("iface"), multi=False) if p.get("iface") else sr(pkts, timeout=p.get("timeout", 1.5))
    replies = []
    for _, r in ans:
        layer = r[1]
        name = layer.__class__.__name__
        if name == "TCP":
            replies.append({"reply": "tcp", "flags": str(layer.flags)})
        elif name == "UDP":
            replies.append({"reply": "udp", "data": bytes(layer.payload).decode(errors="replace").strip()})
        elif name == "ICMP":
            replies.append({"reply": "icmp", "type": int(layer.type), "code": int(layer.code)})
        elif name.startswith("ICMPv6"):
            replies.append({"reply": "icmpv6", "type": int(layer.type), "code": int(getattr(layer, "code", 0))})
        else:
            replies.append({"reply": name})
    first = replies[0] if replies else {"reply": "none"}
    return dict(first, count=len(replies))

out = []
for p in json.loads(sys.argv[1]):
    out.append(connect(p) if p["kind"] == "connect" else udpsock(p) if p["kind"] == "udpsock" else ping(p) if p["kind"] == "ping" else crafted(p))
print(json.dumps(out))
