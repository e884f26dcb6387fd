#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# npm run bench: compares this package with nft, ipset and a libnftnl C program.
# Every contender runs in its own fresh network namespace (unshare -n); needs root
# (CAP_SYS_ADMIN for unshare, CAP_NET_ADMIN inside). BENCH_QUICK=1 for a short run.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in unshare nft ipset gcc pkg-config; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is required (apt-get install nftables ipset gcc pkg-config util-linux)" >&2; exit 1; }
done
pkg-config --exists libnftnl libmnl || { echo "bench: libnftnl-dev and libmnl-dev are required" >&2; exit 1; }
[ -e build/Release/nftables.node ] || npm run build:native
# The contender runs as compiled JavaScript, as users run the package (no tsx in its memory).
npx tsc -p tsconfig.bench.json
if [ "${BENCH_ONLY:-}" != "observe" ]; then node --import tsx bench/run.ts "$@"; fi
# Counters and monitor trials (bench/observe.ts; BENCH_ONLY=observe runs only these).
[ -x .bench-tmp/nftnl_peer ] || gcc -O2 -o .bench-tmp/nftnl_peer bench/peers/nftnl_peer.c -lnftnl -lmnl
exec node --import tsx bench/observe.ts "$@"
