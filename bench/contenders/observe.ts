// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The package's counters and monitor as benchmark contenders (bench/observe.ts runs them inside
 * a fresh private network namespace; they refuse to run anywhere else). One JSON line out.
 *
 *   observe.ts counters REPS           reads every rule counter of chain ip t c, REPS times
 *                                      (after 3 unmeasured reads); median ms and RSS growth
 *   observe.ts monitor N PEER          monitors while PEER (the C peer) commits N single-element
 *                                      transactions as fast as it can; events/s, lost events
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { Monitor } from '../../lib/monitor';
import { Nftables } from '../../lib/nftables';

function assertPrivateNetns(): void {
  const host = process.env['NFT_BENCH_HOST_NETNS'];
  const here = statSync('/proc/self/ns/net').ino;
  const ifaces = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter((n) => n !== '');
  if (host === undefined || String(here) === host || ifaces.some((n) => n !== 'lo')) {
    process.stderr.write('observe.ts: refusing to run outside a private network namespace (use unshare -n)\n');
    process.exit(3);
  }
}

const status = (key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? -1);
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

async function counters(reps: number): Promise<void> {
  const nft = await Nftables.open();
  const f = { family: 'ip' as const, table: 't', chain: 'c' };
  const rssBefore = status('VmRSS');
  let rules = 0;
  for (let i = 0; i < 3; i++) rules = (await nft.ruleCounters(f)).size;
  const lat: number[] = [];
  let packets = 0n;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const c = await nft.ruleCounters(f);
    packets = c.total().packets; // touch every value, as the C peer sums them
    lat.push(ms(t0));
    rules = c.size;
  }
  lat.sort((a, b) => a - b);
  await nft.close();
  process.stdout.write(`${JSON.stringify({ ms: lat[lat.length >> 1], rules, packets: String(packets), rssKiB: status('VmHWM'), rssGrowthKiB: status('VmHWM') - rssBefore })}\n`);
}

async function monitor(n: number, peer: string): Promise<void> {
  const m = Monitor.open();
  let events = 0;
  let transactions = 0;
  let lost = 0;
  let first = 0n;
  let last = 0n;
  const writer = spawn(peer, ['churn', String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  writer.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((res) => writer.once('exit', (c) => res(c ?? -1)));
  // The writer's setup transaction, then n single-element ones.
  for await (const ev of m) {
    if (first === 0n) first = process.hrtime.bigint();
    if (ev.type === 'lost') lost++;
    if (ev.type === 'transaction') {
      transactions++;
      events += ev.changes.length + 1;
    }
    last = process.hrtime.bigint();
    if (transactions === n + 1 || lost > 0) break;
  }
  m.close();
  if ((await exited) !== 0) throw new Error('writer failed');
  const w = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { ms: number; opsPerSec: number };
  const total = Number(last - first) / 1e6;
  process.stdout.write(`${JSON.stringify({ ms: total, opsPerSec: Math.round(events / (total / 1000)), events, transactions, lost, writerCommitsPerSec: w.opsPerSec, rssKiB: status('VmHWM') })}\n`);
}

async function main(): Promise<void> {
  assertPrivateNetns();
  const [mode, a, b] = process.argv.slice(2);
  if (mode === 'counters') return counters(Number(a));
  if (mode === 'monitor') return monitor(Number(a), b!);
  throw new Error(`observe.ts: unknown mode ${String(mode)}`);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
