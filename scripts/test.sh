#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# npm test: builds what is missing, then runs the whole mocha suite inside a private network
# namespace, so that no test can ever touch the host's firewall. Ends with "N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ]; then bash scripts/setup.sh; fi
source scripts/private-netns.sh
private_netns "$0" "$@"
exec node node_modules/mocha/bin/mocha.js "$@"
