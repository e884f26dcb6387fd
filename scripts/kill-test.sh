#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# SIGKILL atomicity: a child doing a 1M-element load, then one doing a large ruleset replace, is
# killed at random moments of its commit; after each kill the state must be wholly old or
# wholly new (test/lifecycle/kill-runner.ts). Private network namespace.
#   bash scripts/kill-test.sh                   CI size: 12 kills per scenario
#   NFTJS_KILLS=150 bash scripts/kill-test.sh   long run (300 kills)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ] && [ -z "${NFTJS_SKIP_SETUP:-}" ]; then bash scripts/setup.sh; fi
source scripts/private-netns.sh
private_netns "$0" "$@"
exec node --require tsx/cjs test/lifecycle/kill-runner.ts
