#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs the native exercise under valgrind (memcheck) in a private network namespace and fails on
# any invalid access or definite leak in the addon's own frames (nftjs::, libnftnl, libmnl).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/private-netns.sh
private_netns "$0" "$@"
log=$(mktemp)
valgrind --error-exitcode=0 --leak-check=full --show-leak-kinds=definite --num-callers=30 \
  node test/leak/exercise.js >"$log" 2>&1 || true
grep -q "exercise done" "$log" || { cat "$log"; echo "exercise failed"; exit 1; }
# Report blocks that involve our code or the libraries we drive. Node's own wrapper of an
# External (napi_create_external) lives until a GC that never comes at exit: not ours.
bad=$(awk '/^==[0-9]+== (Invalid|Conditional|Use of uninit|Mismatched|Syscall param|[0-9,]+ bytes in [0-9,]+ blocks are definitely lost)/{blk=$0; keep=0; skip=0; next} blk!="" && /napi_create_external/{skip=1} blk!="" && /nftjs|libnftnl|libmnl|nftables.node/{keep=1} /^==[0-9]+== $/{if(keep && !skip) print blk; blk=""; keep=0; skip=0}' "$log")
grep -E "ERROR SUMMARY|definitely lost" "$log" | tail -2
if [ -n "$bad" ]; then echo "$bad"; echo "valgrind found problems in native code; full log: $log"; exit 1; fi
echo "valgrind: no invalid access or definite leak in nftjs/libnftnl/libmnl frames"
