#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what a fresh Debian machine lacks to build and test the package: system packages
# (as root, with apt-get), node modules (npm ci), the native addon and the TypeScript build.
# Idempotent: does nothing that is already done. Used by .ci/run, npm test and npm run demo.
set -euo pipefail
cd "$(dirname "$0")/.."

pkgs=(build-essential python3 pkg-config libnftnl-dev libmnl-dev nftables iproute2 util-linux
      ipset iptables hping3 nmap python3-scapy python3-nftables socat netcat-openbsd tcpdump conntrack time)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != "0" ]; then
    echo "Missing system packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if [ -z "${PREBUILDS_ONLY:-}" ] && { [ ! -f build/Release/nftables.node ] || [ -n "$(find native binding.gyp -newer build/Release/nftables.node -print -quit)" ]; }; then
  npm run build:native
fi
if [ ! -f dist/lib/index.js ] || [ -n "$(find lib -newer dist/lib/index.js -name '*.ts' -print -quit)" ]; then
  npm run build:ts
fi
