// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Parser micro-benchmark: 1M IPv4 lines (and 100k IPv6 lines) through this package's byte
 * scanner vs ipaddr.js (`parse` / `parseCIDR`, one object per entry). Needs no privileges
 * and touches no firewall. Run: `npx tsx bench/parse.ts`.
 */
import * as ipaddr from 'ipaddr.js';
import { parseEntries, parseEntriesSync } from '../lib/blocklist/parse';
import { normalize } from '../lib/blocklist/ranges';

function v4Lines(n: number, cidr: boolean): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const v = (0x0a000000 + i * 7) >>> 0;
    out.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}${cidr ? '/' + (24 + (i % 9)) : ''}`);
  }
  return out.join('\n') + '\n';
}
function v6Lines(n: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}::${(i % 7) + 1}`);
  return out.join('\n') + '\n';
}

function time(label: string, fn: () => unknown): number {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  runs.sort((a, b) => a - b);
  const med = runs[2]!;
  console.log(`${label.padEnd(48)} median ${med.toFixed(1).padStart(8)} ms  (min ${runs[0]!.toFixed(1)}, max ${runs[4]!.toFixed(1)})`);
  return med;
}

async function main(): Promise<void> {
  const text = v4Lines(1_000_000, false);
  const bytes = Buffer.from(text);
  const lines = text.trimEnd().split('\n');
  const cidr = v4Lines(1_000_000, true);
  const cidrLines = cidr.trimEnd().split('\n');
  const v6 = v6Lines(100_000);
  const v6lines = v6.trimEnd().split('\n');

  // Warm up both.
  await parseEntries(bytes.subarray(0, 100_000));
  for (const l of lines.slice(0, 10000)) ipaddr.parse(l);

  let ours = 0;
  const t0 = process.hrtime.bigint();
  await parseEntries(bytes);
  ours = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`nftables parseEntries(Buffer, 1M IPv4)                 ${ours.toFixed(1)} ms (first run)`);
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const s = process.hrtime.bigint();
    await parseEntries(bytes);
    runs.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  runs.sort((a, b) => a - b);
  console.log(`${'nftables parseEntries(Buffer, 1M IPv4)'.padEnd(48)} median ${runs[2]!.toFixed(1).padStart(8)} ms`);
  const arr: number[] = [];
  for (let r = 0; r < 3; r++) {
    const s = process.hrtime.bigint();
    await parseEntries(lines);
    arr.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  arr.sort((a, b) => a - b);
  console.log(`${'nftables parseEntries(string[], 1M IPv4)'.padEnd(48)} median ${arr[1]!.toFixed(1).padStart(8)} ms`);
  time('ipaddr.js parse() + toByteArray(), 1M IPv4', () => {
    const keys = new Uint8Array(lines.length * 4);
    for (let i = 0; i < lines.length; i++) keys.set(ipaddr.parse(lines[i]!).toByteArray(), i * 4);
  });
  time('nftables parse+merge 1M IPv4 CIDRs', () => normalize(parseEntriesSync(cidr).v4));
  time('ipaddr.js parseCIDR(), 1M IPv4 CIDRs', () => {
    for (const l of cidrLines) ipaddr.parseCIDR(l);
  });
  time('nftables parseEntries(100k IPv6)', () => parseEntriesSync(v6));
  time('ipaddr.js parse(), 100k IPv6', () => {
    for (const l of v6lines) ipaddr.parse(l);
  });
  const mem = process.memoryUsage();
  console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
}
void main();
