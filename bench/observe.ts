// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Part of `npm run bench` (after bench/run.ts): reading rule counters and monitor throughput.
 * Each contender runs in a fresh private network namespace per repetition, as in run.ts.
 *
 *   R1 read all rule counters of a chain of N rules (each `ip saddr X counter`): this package
 *      (ruleCounters), the C libnftnl peer (rule objects), and `nft -j list chain` (subprocess).
 *      Ours and C report the median of 11 reads in one process; nft is one process per read.
 *   M1 monitor throughput: events decoded per second while the C peer commits single-element
 *      transactions as fast as it can on another socket; lost events counted.
 *
 * BENCH_QUICK=1: fewer repetitions. Results also go to .bench-tmp/observe.{md,json}.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const TMP = join(ROOT, '.bench-tmp');
const QUICK = process.env['BENCH_QUICK'] === '1';
const PEER = join(TMP, 'nftnl_peer');
const HOST_NETNS = String(statSync('/proc/self/ns/net').ino);
const node = `${JSON.stringify(process.execPath)} .bench-tmp/js/bench/contenders/observe.js`;

type Sample = Record<string, number> & { ms: number; rssKiB: number };

function inNetns(script: string): Sample {
  const r = spawnSync('unshare', ['-n', 'sh', '-ec', script], { cwd: ROOT, env: { ...process.env, NFT_BENCH_HOST_NETNS: HOST_NETNS }, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bench step failed (${r.status}): ${script}\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Sample;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
const fmt = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

function rulesFile(n: number): string {
  const lines: string[] = ['table ip t {', '  chain c {'];
  for (let i = 0; i < n; i++) lines.push(`    ip saddr 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255} counter`);
  lines.push('  }', '}', '');
  const p = join(TMP, `rules-${n}.nft`);
  writeFileSync(p, lines.join('\n'));
  return p;
}

function main(): void {
  mkdirSync(TMP, { recursive: true });
  const out: string[] = [];
  const json: Record<string, unknown> = {};
  const reps = QUICK ? 2 : 5;
  for (const n of [1000, 10000]) {
    const file = rulesFile(n);
    const setup = `nft -f ${file}`;
    const run = (script: string) => Array.from({ length: reps }, () => inNetns(`${setup}; ${script}`));
    process.stderr.write(`  R1 counters of ${n} rules...\n`);
    const ours = run(`${node} counters 11`);
    const c = run(`${PEER} counters 11`);
    const cli = run(`${PEER} exec nft -j list chain ip t c`);
    for (const s of ours) if (s['rules'] !== n) throw new Error(`ours read ${s['rules']} rules, expected ${n}`);
    for (const s of c) if (s['rules'] !== n) throw new Error(`C read ${s['rules']} rules, expected ${n}`);
    const [mo, mc, mn] = [ours, c, cli].map((x) => median(x.map((s) => s.ms))) as [number, number, number];
    const growth = Math.max(...ours.map((s) => s['rssGrowthKiB'] ?? 0)) / 1024;
    out.push(
      `### R1 read all rule counters of a chain of ${n.toLocaleString('en')} rules`,
      '',
      '| contender | ms (median) | min–max | peak RSS MiB | ours ÷ C | nft ÷ ours |',
      '|---|---|---|---|---|---|',
      `| nftables ruleCounters() | ${fmt(mo)} | ${fmt(Math.min(...ours.map((s) => s.ms)))}–${fmt(Math.max(...ours.map((s) => s.ms)))} | ${fmt(Math.max(...ours.map((s) => s.rssKiB)) / 1024)} (growth ${fmt(growth)}) | ${fmt(mo / mc)}× | ${fmt(mn / mo)}× |`,
      `| C libnftnl (rule objects) | ${fmt(mc)} | ${fmt(Math.min(...c.map((s) => s.ms)))}–${fmt(Math.max(...c.map((s) => s.ms)))} | ${fmt(Math.max(...c.map((s) => s.rssKiB)) / 1024)} | | |`,
      `| nft -j list chain (subprocess) | ${fmt(mn)} | ${fmt(Math.min(...cli.map((s) => s.ms)))}–${fmt(Math.max(...cli.map((s) => s.ms)))} | ${fmt(Math.max(...cli.map((s) => s.rssKiB)) / 1024)} | | |`,
      '',
      `(targets: ours ÷ C ≤ 1.5×, nft ÷ ours ≥ 5×, RSS growth < 10 MiB at 10,000 rules)`,
      '',
    );
    json[`R1-${n}`] = { ours, c, nft: cli };
  }
  const n = QUICK ? 5000 : 20000;
  process.stderr.write(`  M1 monitor while ${n} commits...\n`);
  const m = Array.from({ length: reps }, () => inNetns(`${node} monitor ${n} ${PEER}`));
  out.push(
    `### M1 monitor throughput: ${n.toLocaleString('en')} single-element transactions committed by the C peer as fast as it can`,
    '',
    '| events/s decoded (median) | min–max | writer commits/s (median) | events seen | lost events (max) |',
    '|---|---|---|---|---|',
    `| ${fmt(median(m.map((s) => s['opsPerSec']!)))} | ${fmt(Math.min(...m.map((s) => s['opsPerSec']!)))}–${fmt(Math.max(...m.map((s) => s['opsPerSec']!)))} | ${fmt(median(m.map((s) => s['writerCommitsPerSec']!)))} | ${m.map((s) => s['events']).join(', ')} | ${Math.max(...m.map((s) => s['lost']!))} |`,
    '',
    '(each transaction = one element event + one NEWGEN; the setup transaction adds two)',
    '',
  );
  json['M1'] = m;
  const md = out.join('\n');
  writeFileSync(join(TMP, 'observe.md'), md);
  writeFileSync(join(TMP, 'observe.json'), JSON.stringify(json, null, 2));
  process.stdout.write(md);
}

main();
