// SPDX-License-Identifier: GPL-2.0-or-later
/** Shared helpers of the packet tests: probes, listeners, committing presets, reading counters. */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nftables } from '../../lib/nftables';
import type { ModelObject } from '../../lib/transaction';
import type { Node } from '../helpers/topology';

const TOOLS = join(__dirname, 'tools');
const PY = '/usr/bin/python3'; // Debian's python3, where python3-scapy lives

/** One probe; `count` sends that many copies back to back, each its own conntrack entry (next source port, or next echo id). */
export type Probe =
  | { kind: 'connect'; dst: string; port: number; timeout?: number; src?: string; sport?: number }
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

/** One packet an nflog group received: the rule's log prefix and the logged packet's layer 3 header onwards. */
export interface NflogRecord {
  readonly prefix: string;
  /** NFPROTO of the packet (2 = IPv4, 10 = IPv6). */
  readonly family: number;
  /** IP protocol (IPv4) or first next header (IPv6), from the logged payload. */
  readonly protocol: number | undefined;
  readonly payload: Uint8Array;
}

/** Parses a pcap file of link type NFLOG (239): the nflog header, then host-order TLVs padded to 4. */
export function parseNflogPcap(file: Buffer): NflogRecord[] {
  if (file.length < 24 || file.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian pcap file');
  if (file.readUInt32LE(20) !== 239) throw new Error(`pcap link type ${file.readUInt32LE(20)} is not NFLOG (239)`);
  const out: NflogRecord[] = [];
  let at = 24;
  while (at + 16 <= file.length) {
    const incl = file.readUInt32LE(at + 8);
    const rec = file.subarray(at + 16, at + 16 + incl);
    at += 16 + incl;
    if (rec.length < 4) continue;
    const family = rec[0] as number;
    let prefix = '';
    let payload: Uint8Array = new Uint8Array(0);
    for (let t = 4; t + 4 <= rec.length; ) {
      const len = rec.readUInt16LE(t);
      const type = rec.readUInt16LE(t + 2);
      if (len < 4 || t + len > rec.length) break;
      const value = rec.subarray(t + 4, t + len);
      if (type === 10) prefix = value.toString('latin1').replace(/\0+$/, '');
      if (type === 9) payload = value;
      t += (len + 3) & ~3;
    }
    const protocol = family === 2 ? payload[9] : family === 10 ? payload[6] : undefined;
    out.push({ prefix, family, protocol, payload });
  }
  return out;
}

/**
 * Captures what the rules of a namespace log to an nflog group (`log … group N`), with tcpdump's
 * nflog interface: the kernel log backend is silent outside the initial namespace, so this is
 * how a test reads log lines. stop() waits out nflog's one-second flush timeout, ends tcpdump
 * (by its pid) and returns the records.
 */
export async function captureNflog(node: Node, group: number): Promise<{ stop(): Promise<NflogRecord[]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'nftjs-nflog-'));
  const file = join(dir, 'log.pcap');
  const child = node.spawn(['tcpdump', '-i', `nflog:${group}`, '-U', '-w', file]);
  await new Promise<void>((resolve, reject) => {
    let err = '';
    const onData = (d: Buffer): void => {
      err += d.toString();
      if (err.includes('listening on')) {
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`tcpdump exited (${String(code)}): ${err}`)));
  });
  return {
    async stop(): Promise<NflogRecord[]> {
      await new Promise((r) => setTimeout(r, 1500));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      try {
        return parseNflogPcap(readFileSync(file));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
