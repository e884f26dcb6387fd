#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The corpus test (issue 7): every dump of ../shared/corpus/nftables-shell-dumps/{v1.0.6,head},
# each in a network namespace of its own, through the four checks of test/corpus/run.ts
# (JSON listing, render, commit of the listing, commit of nft's JSON). Runs inside a private
# network namespace; 2 jobs by default. Fails only on regressions against
# test/corpus/baseline.json (`--strict`: on any failure); `--update-baseline` rewrites it.
#   bash scripts/corpus.sh [--jobs=2] [--filter=REGEX] [--verbose] [--update-baseline] [--strict]
# --strict: fail on any failed check of a dump nft loads (skipped checks excepted), whatever the baseline says.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ] && [ "${NFTJS_SKIP_SETUP:-}" != "1" ]; then bash scripts/setup.sh; fi
source scripts/private-netns.sh
private_netns "$0" "$@"
command -v nft >/dev/null || { echo "corpus: nft (the oracle) is not installed" >&2; exit 1; }
exec node --require tsx/cjs test/corpus/run.ts "$@"
