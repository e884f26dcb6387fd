// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Interface index <-> name in the network namespace a connection programs, for `iif`/`oif`
 * values (nft resolves them with if_indextoname in its own namespace). The addon has no link
 * dump, so this reads procfs: /proc/PID/net/{igmp,dev_mcast,if_inet6} of the namespace (the
 * process's own, or PID's when the connection was opened with a /proc/PID/ns/net path). Those
 * files list every interface that is up with IPv4 multicast, a multicast address or an IPv6
 * address, which covers lo and the usual devices; an interface in none of them prints as its
 * number, as when nft cannot resolve it. No process is spawned.
 */
import { readFileSync } from 'node:fs';
import { setInterfaceResolver, type InterfaceResolver } from './datatypes';

function readMaybe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The procfs net directory of a namespace path, or undefined when it cannot be found. */
function procNetDir(netns: string | undefined): string | undefined {
  if (netns === undefined) return '/proc/self/net';
  const m = /^\/proc\/(\d+|self|thread-self)\/ns\/net$/.exec(netns);
  return m ? `/proc/${m[1]}/net` : undefined;
}

/** Reads the interfaces the namespace's procfs shows (see the file comment). */
export function procInterfaceResolver(netns?: string): InterfaceResolver {
  const byIndex = new Map<number, string>();
  const dir = procNetDir(netns);
  if (dir !== undefined) {
    const add = (index: number, name: string | undefined): void => {
      if (Number.isInteger(index) && index > 0 && name && !byIndex.has(index)) byIndex.set(index, name);
    };
    for (const line of readMaybe(`${dir}/igmp`).split('\n')) {
      const m = /^(\d+)\s+(\S+)\s*:/.exec(line);
      if (m) add(Number(m[1]), m[2]);
    }
    for (const line of readMaybe(`${dir}/dev_mcast`).split('\n')) {
      const m = /^(\d+)\s+(\S+)\s/.exec(line);
      if (m) add(Number(m[1]), m[2]);
    }
    for (const line of readMaybe(`${dir}/if_inet6`).split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f.length >= 6) add(parseInt(f[1] as string, 16), f[5]);
    }
  }
  const byName = new Map([...byIndex].map(([i, n]) => [n, i]));
  return { indexToName: (i) => byIndex.get(i), nameToIndex: (n) => byName.get(n) };
}

/**
 * Runs fn (synchronous) with the interface names of a namespace in force for the datatypes
 * (`iif`/`oif` values), then clears them: the resolver is global, so it must not outlive fn.
 */
export function withInterfaces<T>(resolver: InterfaceResolver, fn: () => T): T {
  setInterfaceResolver(resolver);
  try {
    return fn();
  } finally {
    setInterfaceResolver(undefined);
  }
}
