#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# npm test: builds what is missing, then runs the whole mocha suite inside a private network
# namespace, so that no test can ever touch the host's firewall. Ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ]; then
  bash scripts/setup.sh
  # Root: a new network namespace; otherwise a user namespace too (unshare -rn).
  if [ "$(id -u)" = "0" ]; then flags=(-n); else flags=(-r -n); fi
  exec unshare "${flags[@]}" env NFTJS_PRIVATE_NETNS=1 bash "$0" "$@"
fi

# Inside: refuse if this is still the host's namespace.
if [ -r /proc/1/ns/net ] && [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
  echo "Refusing to run tests in the host network namespace" >&2
  exit 1
fi
ip link set lo up
exec node node_modules/mocha/bin/mocha.js "$@"
