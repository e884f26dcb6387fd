#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Fuzzes the public API and the addon's entry points (test/fuzz/) in a private network namespace.
#   bash scripts/fuzz.sh                        smoke run (CI): 300 runs per target and seed
#   NFTJS_FUZZ_RUNS=20000 bash scripts/fuzz.sh  long run
# Other knobs: NFTJS_FUZZ_SEED (fixed seed), NFTJS_FUZZ_RANDOM_SEED (replay a random seed),
# NFTJS_FUZZ_TARGET=native|api, NFTJS_FUZZ_OVERSIZE=1 (inputs past the kernel's size limits:
# names, userdata, statements, devices; needs the encoder's message sizing), NFTJS_FUZZ_STRICT=1
# (plain JS errors fail the run). A crash leaves the input in flight in $NFTJS_FUZZ_INFLIGHT.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ] && [ -z "${NFTJS_SKIP_SETUP:-}" ]; then bash scripts/setup.sh; fi
source scripts/private-netns.sh
private_netns "$0" "$@"
inflight=${NFTJS_FUZZ_INFLIGHT:-$(mktemp)}
export NFTJS_FUZZ_INFLIGHT=$inflight
status=0
node ${NFTJS_NODE_FLAGS:-} --require tsx/cjs test/fuzz/run.ts || status=$?
if [ "$status" -ne 0 ]; then
  echo "fuzz: exit status $status; the input in flight was:" >&2
  cat "$inflight" >&2 || true
  exit "$status"
fi
rm -f "$inflight"
