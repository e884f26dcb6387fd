// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The safety check every test file runs first: refuse to touch nftables unless this process is
 * in a private network namespace (not the one of PID 1, the host's).
 */
import { readlinkSync } from 'node:fs';

export function netnsId(pid: number | 'self' = 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

/** True when this process runs in a network namespace other than the host's initial one. */
export function inPrivateNetns(): boolean {
  let host: string;
  try {
    host = netnsId(1);
  } catch {
    // Node may not read PID 1's namespace link (EACCES). Then require both the marker that
    // scripts/test.sh sets after unshare and a namespace other than the kernel's initial one
    // (init_net always has inode 0xEFFFFFF9, PROC_NET_INIT_INO).
    return process.env.NFTJS_PRIVATE_NETNS === '1' && netnsId() !== `net:[${0xeffffff9}]`;
  }
  return netnsId() !== host;
}

/** Throws unless in a private network namespace. Call at the top of every test file. */
export function assertPrivateNetns(): void {
  if (!inPrivateNetns()) {
    throw new Error(
      'Refusing to run: this process is in the host network namespace and the tests change the firewall. Run `npm test` (it re-executes itself under unshare -n).',
    );
  }
}
