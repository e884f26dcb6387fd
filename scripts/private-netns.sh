# SPDX-License-Identifier: GPL-2.0-or-later
# Sourced by every script that writes nftables rules (tests, fuzz, kill runs): `private_netns "$0" "$@"`
# re-executes the calling script inside a new private network namespace (unshare -n, or -r -n
# when not root), then, in there, refuses to go on if this is still the host's namespace and
# brings lo up. The script runs its own setup before calling it.
private_netns() {
  local script=$1
  shift
  if [ "${NFTJS_PRIVATE_NETNS:-}" != "1" ]; then
    local flags
    if [ "$(id -u)" = "0" ]; then flags=(-n); else flags=(-r -n); fi
    exec unshare "${flags[@]}" env NFTJS_PRIVATE_NETNS=1 bash "$script" "$@"
  fi
  if [ -r /proc/1/ns/net ] && [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
    echo "Refusing to run in the host network namespace" >&2
    exit 1
  fi
  ip link set lo up
}
