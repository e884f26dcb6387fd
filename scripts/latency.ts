// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * First measurement for the foundation issue: latency of a single-element add (then delete),
 * committed sync and async through one long-lived connection, against `nft add element` /
 * `nft delete element` subprocesses, measured in the same run. Runs only in a private network
 * namespace:
 * `unshare -n env NFTJS_PRIVATE_NETNS=1 npx tsx scripts/latency.ts [N]`.
 */
import { execFileSync } from 'node:child_process';
import { readlinkSync } from 'node:fs';
import { Nftables } from '../lib';

function privateNetns(): boolean {
  try {
    return readlinkSync('/proc/self/ns/net') !== readlinkSync('/proc/1/ns/net');
  } catch {
    return process.env.NFTJS_PRIVATE_NETNS === '1';
  }
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] as number;
const fmt = (us: number) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

async function main(): Promise<void> {
  if (!privateNetns()) throw new Error('Refusing to run outside a private network namespace: use unshare -n');
  const n = Number(process.argv[2] ?? 2000);
  const nft = await Nftables.open();
  const fw = { family: 'inet', name: 'lat' } as const;
  const set = { table: fw, name: 'ban', key: 'ipv4_addr' } as const;
  await nft.transaction().add(fw).add(set).commit();
  const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const rows: Array<[string, number[]]> = [];

  const sync: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = process.hrtime.bigint();
    nft.transaction().addElements(set, [ip(i)]).commitSync();
    sync.push(Number(process.hrtime.bigint() - t) / 1000);
    t = process.hrtime.bigint();
    nft.transaction().deleteElements(set, [ip(i)]).commitSync();
    sync.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  rows.push(['library commitSync', sync]);

  const asyncT: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = process.hrtime.bigint();
    await nft.transaction().addElements(set, [ip(i)]).commit();
    asyncT.push(Number(process.hrtime.bigint() - t) / 1000);
    t = process.hrtime.bigint();
    await nft.transaction().deleteElements(set, [ip(i)]).commit();
    asyncT.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  rows.push(['library commit (async)', asyncT]);

  const sub: number[] = [];
  const m = Math.min(n, 200);
  for (let i = 0; i < m; i++) {
    let t = process.hrtime.bigint();
    execFileSync('nft', ['add', 'element', 'inet', 'lat', 'ban', `{ ${ip(i)} }`]);
    sub.push(Number(process.hrtime.bigint() - t) / 1000);
    t = process.hrtime.bigint();
    execFileSync('nft', ['delete', 'element', 'inet', 'lat', 'ban', `{ ${ip(i)} }`]);
    sub.push(Number(process.hrtime.bigint() - t) / 1000);
  }
  rows.push(['nft subprocess', sub]);
  await nft.close();

  const base = pct(sub, 50);
  console.log(`single-element add/delete, ${n} each (nft: ${m} each), kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()}`);
  console.log('| path | p50 | p99 | nft p50 / p50 |');
  console.log('|---|---|---|---|');
  for (const [name, xs] of rows) console.log(`| ${name} | ${fmt(pct(xs, 50))} | ${fmt(pct(xs, 99))} | ${(base / pct(xs, 50)).toFixed(0)}x |`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
