// SPDX-License-Identifier: GPL-2.0-or-later
/** Shared helpers of the packet tests: probes, listeners, committing presets, reading counters. */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Nftables } from '../../lib/nftables';
import type { ModelObject } from '../../lib/transaction';
import type { Node } from '../helpers/topology';

const TOOLS = join(__dirname, 'tools');
const PY = '/usr/bin/python3'; // Debian's python3, where python3-scapy lives

/** One probe; `count` sends that many copies back to back, each its own conntrack entry (next source port, or next echo id). */
export type Probe =
  | { kind: 'connect'; dst: string; port: number; timeout?: number; src?: string }
  | { kind: 'tcp'; dst: string; dport: number; sport?: number; flags?: string; mss?: number | null; ttl?: number; src?: string; timeout?: number; count?: number }
  | { kind: 'udp'; dst: string; dport: number; sport?: number; ttl?: number; src?: string; timeout?: number; count?: number; iface?: string }
  | { kind: 'udpsock'; dst: string; dport: number; sport?: number; src?: string; iface?: string; timeout?: number; broadcast?: boolean }
  /** An echo request from a raw socket (it passes the sender's own output chains, unlike the crafted kinds); `iface` for IPv6 link-local. */
  | { kind: 'ping'; dst: string; src?: string; timeout?: number; iface?: string }
  | { kind: 'icmp'; dst: string; count?: number; timeout?: number; src?: string; sameId?: boolean }
  | { kind: 'ip'; dst: string; proto: number; timeout?: number };

export interface ProbeResult {
  readonly result?: string;
  readonly line?: string;
  readonly reply?: string;
  readonly flags?: string;
  readonly type?: number;
  readonly code?: number;
  readonly data?: string;
  readonly count?: number;
}

/** Runs probes from a namespace (one python process for all of them). */
export function probe(node: Node, probes: readonly Probe[]): ProbeResult[] {
  return JSON.parse(node.exec([PY, join(TOOLS, 'probe.py'), JSON.stringify(probes)])) as ProbeResult[];
}
export const probe1 = (node: Node, p: Probe): ProbeResult => probe(node, [p])[0] as ProbeResult;

/** Starts the listener in a namespace; resolves once its ports are bound. */
export function listen(node: Node, cfg: { name: string; tcp?: number[]; udp?: number[] }): Promise<ChildProcess> {
  const child = node.spawn([PY, join(TOOLS, 'listen.py'), JSON.stringify(cfg)]);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`listener exited (${String(code)}): ${err}`)));
  });
}

/** Replaces the ruleset of a namespace's table with these objects, in one transaction. */
export async function apply(nft: Nftables, objects: readonly ModelObject[]): Promise<void> {
  const tx = nft.transaction();
  for (const t of await nft.listTables()) tx.delete(t);
  tx.addAll(objects);
  await nft.commit(tx);
}

/** Packets counted by the rule with this comment (throws if there is none). */
export async function packets(nft: Nftables, comment: string): Promise<bigint> {
  const c = (await nft.counters()).find((x) => x.comment === comment);
  if (!c) throw new Error(`no rule with comment "${comment}" and a counter`);
  return c.packets;
}

/** Polls `fn` until it returns true or the deadline passes (then throws with `what`). */
export async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 15000, everyMs = 100): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
