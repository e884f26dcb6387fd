#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmark peer: nft's own library, libnftables, in-process through python3-nftables.

  libnftables_peer.py ruleset64 FILE0 FILE REPS
      loads FILE0 (the ruleset) once, runs 20 unmeasured replacements, then REPS replacements
      (FILE: `delete table inet fw` + the ruleset, one nft transaction each); prints the p50 ms.

Output: one JSON line. Refuses to run outside a private network namespace (same check as the
other contenders: not the bench's own namespace, no interface but lo).
"""
import json
import os
import sys
import time

import nftables


def assert_private_netns():
    host = os.environ.get("NFT_BENCH_HOST_NETNS")
    here = str(os.stat("/proc/self/ns/net").st_ino)
    with open("/proc/net/dev") as f:
        ifaces = [line.split(":")[0].strip() for line in f.readlines()[2:] if ":" in line]
    if host is None or here == host or any(i != "lo" for i in ifaces):
        sys.stderr.write("libnftables_peer: refusing to run outside a private network namespace\n")
        sys.exit(3)


def vm_hwm_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def main():
    assert_private_netns()
    if len(sys.argv) != 5 or sys.argv[1] != "ruleset64":
        sys.stderr.write("usage: libnftables_peer.py ruleset64 FILE0 FILE REPS\n")
        sys.exit(2)
    first = open(sys.argv[2]).read()
    text = open(sys.argv[3]).read()
    reps = int(sys.argv[4])
    nft = nftables.Nftables()
    rc, _, err = nft.cmd(first)
    if rc != 0:
        sys.exit("libnftables_peer: " + err)
    for _ in range(20):
        nft.cmd(text)
    lat = []
    start = time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        rc, _, err = nft.cmd(text)
        lat.append((time.perf_counter() - t0) * 1e3)
        if rc != 0:
            sys.exit("libnftables_peer: " + err)
    total = (time.perf_counter() - start) * 1e3
    lat.sort()
    print(json.dumps({"ms": lat[len(lat) // 2], "p99ms": lat[int(len(lat) * 0.99)], "totalMs": total, "rssKiB": vm_hwm_kib()}))


main()
