#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# npm run demo: the first command on a fresh Debian machine. Installs what is missing (system
# packages, node modules, the native build), then re-executes itself in a throwaway private
# network namespace (unshare -n), where it builds a hardened host ruleset from the presets plus
# a blocklist set, commits it over netlink and prints the rules with their counters. The host's
# firewall is never touched. Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${NFTJS_DEMO_NETNS:-}" != "1" ]; then
  # System packages, node modules and both builds: the same idempotent setup as npm test.
  bash scripts/setup.sh
  if ! command -v unshare >/dev/null; then
    echo "unshare (util-linux) is needed to run the demo in a private network namespace" >&2
    exit 1
  fi
  # Root: a new network namespace; otherwise a user namespace too.
  if [ "$(id -u)" = "0" ]; then flags=(-n); else flags=(-r -n); fi
  exec unshare "${flags[@]}" env NFTJS_DEMO_NETNS=1 bash "$0" "$@"
fi

# Inside: refuse to go on in the host's namespace.
if [ -r /proc/1/ns/net ] && [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
  echo "Refusing to run the demo in the host network namespace" >&2
  exit 1
fi
ip link set lo up 2>/dev/null || true
exec node --require tsx/cjs scripts/demo.ts "$@"
