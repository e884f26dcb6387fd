// SPDX-License-Identifier: GPL-2.0-or-later
/** Output formatting of the `nftables` command: human numbers, tables, JSON with bigints. */
import Table from 'cli-table3';
import pc from 'picocolors';
import type { RateSample, RuleRate } from '../counters';
import type { RuleCounter } from '../counters';

/** 1234 -> "1234", 12345 -> "12K", 1234567 -> "1234K", as iptables -v prints (factor 1000, at most 5 digits). */
export function human(n: bigint): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let v = n;
  let u = 0;
  while (v > 99999n && u < units.length - 1) {
    v /= 1000n;
    u++;
  }
  return `${v}${units[u]}`;
}

/** A rate per second, human: 0, 12, 3.4K, 12M. */
export function humanRate(x: number): string {
  if (x < 1000) return x < 10 && x > 0 ? x.toFixed(1) : String(Math.round(x));
  const units = ['K', 'M', 'G', 'T'];
  let v = x / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** JSON text of any value, bigints as decimal strings. */
export function toJson(v: unknown, indent?: number): string {
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x), indent);
}

const plain = { chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: ' ' }, style: { 'padding-left': 0, 'padding-right': 1, head: [] as string[], border: [] as string[] } };

/** Counters as `iptables -vnL` shows them: one block per chain, pkts and bytes first. */
export function countersTable(rules: readonly RuleCounter[], exact: boolean): string {
  const out: string[] = [];
  let current = '';
  let t: InstanceType<typeof Table> | undefined;
  const flush = () => {
    if (t) out.push(t.toString());
  };
  for (const r of rules) {
    const where = `${r.table.family} ${r.table.name} ${r.chain}`;
    if (where !== current) {
      flush();
      if (out.length > 0) out.push('');
      out.push(`Chain ${r.chain} (table ${r.table.family} ${r.table.name})`);
      t = new Table({ head: ['pkts', 'bytes', 'handle', 'comment'], colAligns: ['right', 'right', 'right', 'left'], ...plain });
      current = where;
    }
    t?.push([exact ? String(r.packets) : human(r.packets), exact ? String(r.bytes) : human(r.bytes), String(r.handle), r.comment ?? '']);
  }
  flush();
  return out.join('\n');
}

/** The live view's screen: rates per rule, moved rules highlighted. */
export function watchScreen(s: RateSample, opts: { readonly intervalMs: number; readonly color: boolean; readonly now: Date }): string {
  const c = opts.color ? pc : pc.createColors(false);
  const lines: string[] = [];
  lines.push(c.bold(`nftables counters --watch   every ${(opts.intervalMs / 1000).toFixed(1)}s   ${opts.now.toISOString().slice(11, 19)} UTC   q: quit`));
  let current = '';
  let t: InstanceType<typeof Table> | undefined;
  const blocks: string[] = [];
  const flush = () => {
    if (t) blocks.push(t.toString());
  };
  const row = (r: RuleRate): string[] => {
    const moved = r.deltaPackets > 0n;
    const paint = (x: string) => (moved ? c.green(c.bold(x)) : x);
    return [paint(human(r.packets)), paint(human(r.bytes)), paint(humanRate(r.packetsPerSec)), paint(`${humanRate(r.bytesPerSec)}B`), String(r.handle), moved ? c.bold(`${r.comment ?? ''}`) : r.comment ?? ''];
  };
  for (const r of s.rules) {
    const where = `${r.table.family} ${r.table.name} ${r.chain}`;
    if (where !== current) {
      flush();
      blocks.push(`${blocks.length > 0 ? '\n' : ''}Chain ${r.chain} (table ${r.table.family} ${r.table.name})`);
      t = new Table({ head: ['pkts', 'bytes', 'pkts/s', 'bytes/s', 'handle', 'comment'], colAligns: ['right', 'right', 'right', 'right', 'right', 'left'], ...plain });
      current = where;
    }
    t?.push(row(r));
  }
  flush();
  if (s.rules.length === 0) blocks.push('(no rules with a counter)');
  lines.push('', ...blocks);
  return lines.join('\n');
}
