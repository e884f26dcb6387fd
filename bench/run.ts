// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * `npm run bench`: every contender runs in its own child process inside a fresh private
 * network namespace (`unshare -n`), one namespace per repetition. This driver itself never
 * touches the firewall. Prints, per workload, the median and min-max of the repetitions,
 * peak RSS, and the ratio of each peer's median to ours, all measured in this run.
 *
 * BENCH_QUICK=1 runs smaller sizes and fewer repetitions (about a minute).
 * BENCH_BASE=DIR adds W2's async rows run by another build (see W2), alternating with ours.
 * BENCH_WORKLOADS=W6,W7 runs only those workloads (W1 loads, W2 churn, W3 group commit, W4 mixed,
 * W5 atomic replace of a big list, W6 rule commits, W7 ruleset replacement, W8 event loop
 * during a 1M-element load, W9 the JSON model's compile and listing costs).
 * Results also go to .bench-tmp/results.{md,json}.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const TMP = join(ROOT, '.bench-tmp');
const QUICK = process.env['BENCH_QUICK'] === '1';
const PEER = join(TMP, 'nftnl_peer');
const WANT = new Set((process.env['BENCH_WORKLOADS'] ?? 'W1,W2,W3,W4,W5,W6,W7,W8,W9').split(',').map((w) => w.trim()));
const want = (w: string): boolean => WANT.has(w);
/** The system python (python3-nftables is a Debian package): not a pyenv/venv interpreter. */
const PYTHON = '/usr/bin/python3';
const HOST_NETNS = String(statSync('/proc/self/ns/net').ino);

interface Sample {
  ms: number;
  p99ms?: number;
  buildMs?: number;
  commitMs?: number;
  kernelMs?: number;
  userMs?: number;
  sysMs?: number;
  eldMaxMs?: number;
  eldP99Ms?: number;
  eldOwnMaxMs?: number;
  eldIdleMaxMs?: number;
  eldIdleP99Ms?: number;
  usPerRule?: Record<string, number>;
  rssKiB: number;
  p50us?: number;
  p99us?: number;
  opsPerSec?: number;
  eldP99ms?: number;
}
interface Row {
  workload: string;
  contender: string;
  ours: boolean;
  samples: Sample[];
}

/** Runs a shell snippet in a fresh private netns; returns the last JSON line it printed. */
function inNetns(script: string): Sample {
  const r = spawnSync('unshare', ['-n', 'sh', '-ec', script], {
    cwd: ROOT,
    env: { ...process.env, NFT_BENCH_HOST_NETNS: HOST_NETNS },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`bench step failed (${r.status}): ${script}\n${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as Sample;
}

/** Compiled by scripts/bench.sh (tsconfig.bench.json): plain node, no TypeScript loader. */
const node = `${JSON.stringify(process.execPath)} .bench-tmp/js/bench/contenders/ours.js`;

function data(name: string, make: () => string): string {
  const p = join(TMP, name);
  writeFileSync(p, make());
  return p;
}
const ip = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
/** Same keys as the C peer: hash 10.0.0.0 + i; CIDR 10.0.0.0/28 every 32 addresses. */
const hashAddrs = (n: number): string[] => Array.from({ length: n }, (_, i) => ip((0x0a000000 + i) >>> 0));
const cidrs = (n: number): string[] => Array.from({ length: n }, (_, i) => `${ip((0x0a000000 + i * 32) >>> 0)}/28`);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(rows: Row[], workload: string, contender: string, ours: boolean, reps: number, script: string): void {
  const samples: Sample[] = [];
  for (let r = 0; r < reps; r++) samples.push(inNetns(script));
  rows.push({ workload, contender, ours, samples });
  const s = samples.map((x) => x.ms);
  process.stderr.write(`  ${workload} ${contender}: median ${median(s).toFixed(1)} ms\n`);
}

function versions(): Record<string, string> {
  const v = (cmd: string, args: string[]): string => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
    } catch {
      return 'unknown';
    }
  };
  return {
    date: new Date().toISOString(),
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    kernel: release(),
    node: process.version,
    nft: v('nft', ['--version']),
    ipset: v('ipset', ['--version']),
    libnftnl: v('pkg-config', ['--modversion', 'libnftnl']),
    libmnl: v('pkg-config', ['--modversion', 'libmnl']),
    mode: QUICK ? 'quick (BENCH_QUICK=1)' : 'full',
  };
}

function main(): void {
  mkdirSync(TMP, { recursive: true });
  execFileSync('gcc', ['-O2', '-o', PEER, join(ROOT, 'bench/peers/nftnl_peer.c'), '-lnftnl', '-lmnl'], { stdio: 'inherit' });
  // Refuse early if unshare does not give us a private namespace.
  inNetns(`${PEER} netns-check && echo '{"ms":0,"rssKiB":0}'`);
  const rows: Row[] = [];
  const exec = `${PEER} exec`;

  // W1: bulk loads
  const hashSizes = !want('W1') ? [] : QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
  for (const n of hashSizes) {
    const reps = QUICK ? 2 : n >= 1_000_000 ? 3 : 5;
    const w = `W1 load ${n.toLocaleString('en')} IPv4 (hash)`;
    const addrs = hashAddrs(n);
    const txt = data(`hash-${n}.txt`, () => addrs.join('\n') + '\n');
    const nftf = data(`hash-${n}.nft`, () => `add element ip t s { ${addrs.join(', ')} }\n`);
    const ips = data(`hash-${n}.ipset`, () => addrs.map((a) => `add s ${a}`).join('\n') + '\n');
    const nftSetup = `nft add table ip t; nft add set ip t s '{ type ipv4_addr; size ${n}; }'`;
    measure(rows, w, 'nftables (this package)', true, reps, `${node} load hash ${n} ${txt}`);
    measure(rows, w, 'C libnftnl (one socket)', false, reps, `${PEER} load hash ${n}`);
    measure(rows, w, 'nft -f', false, reps, `${nftSetup}; ${exec} nft -f ${nftf}`);
    // How sets are usually written (no size): the kernel's resizable hash, grown as it fills.
    measure(rows, w, 'nft -f (set without size)', false, reps, `nft add table ip t; nft add set ip t s '{ type ipv4_addr; }'; ${exec} nft -f ${nftf}`);
    measure(rows, w, 'ipset restore (hash:ip)', false, reps, `ipset create s hash:ip maxelem ${Math.max(65536, n)}; ${exec} sh -c 'ipset restore < ${ips}'`);
  }
  for (const n of !want('W1') ? [] : QUICK ? [10_000] : [10_000, 100_000]) {
    const reps = QUICK ? 2 : 5;
    const w = `W1 load ${n.toLocaleString('en')} CIDRs (interval)`;
    const list = cidrs(n);
    const txt = data(`cidr-${n}.txt`, () => list.join('\n') + '\n');
    const nftf = data(`cidr-${n}.nft`, () => `add element ip t s { ${list.join(', ')} }\n`);
    const ips = data(`cidr-${n}.ipset`, () => list.map((a) => `add s ${a}`).join('\n') + '\n');
    const nftSetup = `nft add table ip t; nft add set ip t s '{ type ipv4_addr; flags interval; }'`;
    measure(rows, w, 'nftables (this package)', true, reps, `${node} load interval ${n} ${txt}`);
    measure(rows, w, 'C libnftnl (one socket)', false, reps, `${PEER} load interval ${n}`);
    measure(rows, w, 'nft -f', false, reps, `${nftSetup}; ${exec} nft -f ${nftf}`);
    measure(rows, w, 'ipset restore (hash:net)', false, reps, `ipset create s hash:net maxelem ${Math.max(65536, n)}; ${exec} sh -c 'ipset restore < ${ips}'`);
  }

  // W2: churn, one transaction per update
  if (want('W2')) {
  const updates = QUICK ? 200 : 2000;
  const w2 = `W2 churn ${updates.toLocaleString('en')} updates`;
  const reps2 = QUICK ? 2 : 5;
  measure(rows, w2, 'nftables addSync/deleteSync', true, reps2, `${node} churn sync ${updates}`);
  // BENCH_BASE=DIR: the async rows also run on another build of the package (a tree at an
  // earlier commit, built, with this bench/contenders compiled into its .bench-tmp/js),
  // alternating with ours repetition by repetition so that both see the same load.
  const base = process.env['BENCH_BASE'];
  const asyncRows: Array<[string, string]> = [
    ['nftables await add/delete', 'async'],
    ['nftables await add/delete, another connection committing 20,000-element batches', 'loaded'],
  ];
  for (const [contender, variant] of asyncRows) {
    if (base === undefined) {
      measure(rows, w2, contender, true, reps2, `${node} churn ${variant} ${updates}`);
      continue;
    }
    const baseNode = `cd ${JSON.stringify(base)} && ${JSON.stringify(process.execPath)} .bench-tmp/js/bench/contenders/ours.js`;
    const ours: Sample[] = [];
    const before: Sample[] = [];
    for (let r = 0; r < reps2; r++) {
      ours.push(inNetns(`${node} churn ${variant} ${updates}`));
      before.push(inNetns(`${baseNode} churn ${variant} ${updates}`));
    }
    rows.push({ workload: w2, contender, ours: true, samples: ours });
    rows.push({ workload: w2, contender: `${contender} (BENCH_BASE)`, ours: true, samples: before });
    process.stderr.write(`  ${w2} ${contender}: p50 ${median(ours.map((x) => x.p50us!)).toFixed(1)} µs, base ${median(before.map((x) => x.p50us!)).toFixed(1)} µs\n`);
  }
  measure(rows, w2, 'nftables coalesced, 1 caller', true, reps2, `${node} churn coalesced ${updates}`);
  measure(rows, w2, 'C libnftnl (one socket)', false, reps2, `${PEER} churn ${updates}`);
  measure(rows, w2, 'nft add/delete element (subprocess)', false, QUICK ? 1 : 3, `nft add table ip t; nft add set ip t s '{ type ipv4_addr; }'; ${PEER} spawn-churn nft ${updates}`);
  measure(rows, w2, 'ipset add/del (subprocess)', false, QUICK ? 1 : 3, `ipset create s hash:ip; ${PEER} spawn-churn ipset ${updates}`);
  }

  // W3: group commit throughput
  if (want('W3')) {
  const total = QUICK ? 100_000 : 1_000_000;
  const w3 = `W3 coalesced ${total.toLocaleString('en')} updates, 1,000 callers`;
  measure(rows, w3, 'nftables coalesced', true, QUICK ? 2 : 3, `${node} coalesced-throughput 1000 ${total}`);
  measure(rows, w3, 'nftables coalesced, set size 65536', true, QUICK ? 2 : 3, `W3_SIZE=65536 ${node} coalesced-throughput 1000 ${total}`);
  }

  // W4: a banning daemon's mixed stream (issue 11 item 8): 1,000 callers, bans / unbans /
  // refreshes on a coalesced hash blocklist and CIDR bans / unbans on a coalesced interval one,
  // IPv4 and IPv6. No peer has this API: the figures are ours alone (see docs/benchmarks.md).
  if (want('W4')) {
  const mixed = QUICK ? 50_000 : 200_000;
  const w4 = `W4 mixed churn ${mixed.toLocaleString('en')} operations, 1,000 callers`;
  // BENCH_W4_BASE=DIR adds the same workload run by another build of the package (a tree at the
  // commit before the issue 11 speedups, built, with this bench/contenders compiled into its
  // .bench-tmp/js), alternating with ours repetition by repetition so both see the same load.
  const base = process.env['BENCH_W4_BASE'];
  if (base !== undefined) {
    const baseNode = `cd ${JSON.stringify(base)} && ${JSON.stringify(process.execPath)} .bench-tmp/js/bench/contenders/ours.js`;
    const ours: Sample[] = [];
    const before: Sample[] = [];
    for (let r = 0; r < (QUICK ? 2 : 5); r++) {
      ours.push(inNetns(`${node} mixed 1000 ${mixed}`));
      before.push(inNetns(`${baseNode} mixed 1000 ${mixed}`));
    }
    rows.push({ workload: w4, contender: 'nftables coalesced (hash + interval)', ours: true, samples: ours });
    rows.push({ workload: w4, contender: 'the same, at the base commit (BENCH_W4_BASE)', ours: false, samples: before });
    process.stderr.write(`  ${w4}: ours ${median(ours.map((x) => x.opsPerSec!)).toFixed(0)} ops/s, base ${median(before.map((x) => x.opsPerSec!)).toFixed(0)} ops/s\n`);
  } else {
    measure(rows, w4, 'nftables coalesced (hash + interval)', true, QUICK ? 2 : 5, `${node} mixed 1000 ${mixed}`);
  }

  }


  // W5: atomic replace of a big list (issue 11 item 9). A hash set without a size hint holding N
  // addresses and referenced by a rule is replaced by N other addresses. Ours: the swap replace
  // (fresh set filled in 16k-element transactions, then one switch of the rules) and the plain
  // one-transaction replace; peers: the C chunked load alone (the fill without parsing or the
  // switch) and nft -f of `flush set` + `add element` (one transaction).
  if (want('W5')) {
  const nRep = QUICK ? 100_000 : 1_000_000;
  const w5 = `W5 atomic replace of ${nRep.toLocaleString('en')} IPv4 (hash, no size), referenced by a rule`;
  const newList = hashAddrs(nRep);
  const repTxt = data(`replace-${nRep}.txt`, () => newList.join('\n') + '\n');
  const oldNft = data(`replace-old-${nRep}.nft`, () => `add element ip t s { ${Array.from({ length: nRep }, (_, i) => ip((0x01000000 + i) >>> 0)).join(', ')} }\n`);
  const repNft = data(`replace-${nRep}.nft`, () => `flush set ip t s\nadd element ip t s { ${newList.join(', ')} }\n`);
  const nftRepSetup = `nft add table ip t; nft add set ip t s '{ type ipv4_addr; }'; nft -f ${oldNft}; nft add chain ip t input '{ type filter hook input priority 0; }'; nft add rule ip t input ip saddr @s drop`;
  const reps5 = QUICK ? 2 : 3;
  const w5rows: Array<[string, boolean, string]> = [
    ['nftables replace({ swap: true })', true, `${node} replace swap ${nRep} ${repTxt}`],
    ['nftables replace (one transaction)', true, `${node} replace flush ${nRep} ${repTxt}`],
    ['C libnftnl chunked load (16,384 per transaction)', false, `${PEER} load-chunked ${nRep} 16384`],
    ['nft -f (flush set + add element)', false, `${nftRepSetup}; ${exec} nft -f ${repNft}`],
  ];
  const w5samples = w5rows.map((): Sample[] => []);
  for (let r = 0; r < reps5; r++) w5rows.forEach(([, , script], i) => w5samples[i]!.push(inNetns(script)));
  w5rows.forEach(([contender, isOurs], i) => rows.push({ workload: w5, contender, ours: isOurs, samples: w5samples[i]! }));
  process.stderr.write(`  ${w5}: ${w5rows.map(([c], i) => `${c} ${median(w5samples[i]!.map((x) => x.ms)).toFixed(0)} ms`).join('; ')}\n`);
  }

  // W6: N rules `ip saddr X counter accept` in one transaction (issue 10). Ours: typed rules
  // compiled in the timed part ("fresh"), or compiled once before it ("prepared", prepareRule).
  // Event-loop delay is measured during the commit call.
  // The contenders alternate repetition by repetition, so that all see the same machine load.
  for (const n of want('W6') ? [1_000, 10_000] : []) {
    const w = `W6 commit ${n.toLocaleString('en')} rules in one transaction`;
    const reps = QUICK ? 3 : 7;
    const w6rows: Array<[string, boolean, string]> = [
      ['nftables addRule + commit (rules compiled from the helpers)', true, `${node} rules fresh ${n}`],
      ['nftables prepared rules + commit', true, `${node} rules prepared ${n}`],
      ['C libnftnl (one socket)', false, `${PEER} rules ${n}`],
    ];
    const w6samples = w6rows.map((): Sample[] => []);
    for (let r = 0; r < reps; r++) w6rows.forEach(([, , script], i) => w6samples[i]!.push(inNetns(script)));
    w6rows.forEach(([contender, isOurs], i) => rows.push({ workload: w, contender, ours: isOurs, samples: w6samples[i]! }));
    process.stderr.write(`  ${w}: ${w6rows.map(([c], i) => `${c} ${median(w6samples[i]!.map((x) => x.ms)).toFixed(1)} ms`).join('; ')}\n`);
  }

  // W7: atomically replace the 64-rule hardening ruleset (bench/contenders/ruleset64.ts): p50 of
  // REPS replacements per process (after 20 unmeasured ones), nft -f: one process per sample.
  if (want('W7')) {
    const w = 'W7 replace a 64-rule hardening ruleset (p50 per replacement)';
    const first = join(TMP, 'fw64.nft');
    const repl = join(TMP, 'fw64-replace.nft');
    execFileSync(process.execPath, ['-e', `const r=require(${JSON.stringify(join(TMP, 'js/bench/contenders/ruleset64.js'))});require('fs').writeFileSync(${JSON.stringify(first)}, r.hardeningText(false));require('fs').writeFileSync(${JSON.stringify(repl)}, r.hardeningText(true));`]);
    const reps = QUICK ? 2 : 5;
    const inner = QUICK ? 100 : 400;
    measure(rows, w, 'nftables addRule + commit (rules compiled from the helpers)', true, reps, `${node} ruleset64 fresh ${inner}`);
    measure(rows, w, 'nftables prepared rules + commit', true, reps, `${node} ruleset64 prepared ${inner}`);
    measure(rows, w, 'libnftables in-process (python3-nftables)', false, reps, `${PYTHON} bench/peers/libnftables_peer.py ruleset64 ${first} ${repl} ${inner}`);
    measure(rows, w, 'nft -f', false, QUICK ? 5 : 15, `nft -f ${first}; ${exec} nft -f ${repl}`);
  }

  // W8: event-loop delay during a typed 1M-element Transaction.addElements load.
  if (want('W8')) {
    const n = QUICK ? 100_000 : 1_000_000;
    const w = `W8 typed addElements of ${n.toLocaleString('en')} IPv4 + commit (event loop)`;
    measure(rows, w, 'nftables tx.addElements + commit (sync build)', true, QUICK ? 2 : 3, `${node} elements sync ${n}`);
    measure(rows, w, 'nftables await tx.addElementsAsync + commit', true, QUICK ? 2 : 3, `${node} elements async ${n}`);
    measure(rows, w, 'C libnftnl (one socket)', false, QUICK ? 2 : 3, `${PEER} load hash ${n}`);
  }
  // W9: what the JSON model costs (issue 7): rule compile µs per rule (bench/contenders/
  // compile-rate.ts, CPU time, no kernel) and listing 10,000 rules (test/corpus/list-cost.ts, in a
  // netns) against `nft -j list ruleset`. BENCH_W9_BASE=DIR adds the same two programs of another
  // built tree (the commit before the typed model was removed: typed compile, typed listRuleset),
  // alternating with ours so that both see the same load.
  if (want('W9')) {
    const nRules = QUICK ? 2_000 : 10_000;
    const w = `W9 the JSON model: ${nRules.toLocaleString('en')} rules compiled (µs per rule, CPU) and listed (ms)`;
    const base = process.env['BENCH_W9_BASE'];
    const compileIn = (dir: string): Record<string, number> => {
      const out = spawnSync(process.execPath, ['.bench-tmp/js/bench/contenders/compile-rate.js', String(nRules), QUICK ? '3' : '9'], { cwd: dir, env: { ...process.env, COMPILE_RATE_JSON: '1' }, encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`compile-rate in ${dir} failed: ${out.stderr}`);
      return JSON.parse(out.stdout.split('\n').find((l) => l.startsWith('{'))!) as Record<string, number>;
    };
    const listIn = (dir: string): string => {
      const out = spawnSync('unshare', ['-n', 'sh', '-ec', `ip link set lo up; NFTJS_PRIVATE_NETNS=1 ${JSON.stringify(process.execPath)} --require tsx/cjs test/corpus/list-cost.ts ${nRules} 5`], { cwd: dir, encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`list-cost in ${dir} failed: ${out.stderr}`);
      return out.stdout;
    };
    const num = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
    const cw = `${w} — compile + queue + pack`;
    const c: Record<string, Sample[]> = { helpers: [], json: [], prepared: [], base: [] };
    const lw = `${w} — list`;
    const l: Record<string, Sample[]> = { ruleset: [], rules: [], nft: [], base: [] };
    const reps = QUICK ? 1 : 3;
    for (let r = 0; r < reps; r++) {
      const us = compileIn(ROOT);
      c['helpers']!.push({ ms: us['compile']! + us['pack']!, rssKiB: 0 });
      c['json']!.push({ ms: us['json']! + us['packJson']!, rssKiB: 0 });
      c['prepared']!.push({ ms: us['prepared']! + us['packPrepared']!, rssKiB: 0 });
      if (base !== undefined) {
        const b = compileIn(base);
        c['base']!.push({ ms: b['compile']! + b['pack']!, rssKiB: 0 });
      }
      const out = listIn(ROOT);
      l['ruleset']!.push({ ms: num(out, /listRuleset\(\):\s+([\d.]+) ms/), rssKiB: 0 });
      l['rules']!.push({ ms: num(out, /listRules\(\):\s+([\d.]+) ms/), rssKiB: 0 });
      l['nft']!.push({ ms: num(out, /nft -j list ruleset:\s+([\d.]+) ms/), rssKiB: 0 });
      if (base !== undefined) l['base']!.push({ ms: num(listIn(base), /listRuleset\(\):\s+([\d.]+) ms/), rssKiB: 0 });
    }
    rows.push({ workload: cw, contender: "helpers' rule (JSON model): addRule + pack", ours: true, samples: c['helpers']! });
    rows.push({ workload: cw, contender: 'JSON document: tx.addJson + pack', ours: false, samples: c['json']! });
    rows.push({ workload: cw, contender: 'prepared rule: addRule + pack (cached)', ours: false, samples: c['prepared']! });
    if (base !== undefined) rows.push({ workload: cw, contender: 'typed rule: addRule + pack, at the base commit (BENCH_W9_BASE)', ours: false, samples: c['base']! });
    rows.push({ workload: lw, contender: 'listRuleset() (JSON model)', ours: true, samples: l['ruleset']! });
    rows.push({ workload: lw, contender: 'listRules() (JSON rules)', ours: false, samples: l['rules']! });
    rows.push({ workload: lw, contender: 'nft -j list ruleset (subprocess)', ours: false, samples: l['nft']! });
    if (base !== undefined) rows.push({ workload: lw, contender: 'listRuleset() typed model, at the base commit (BENCH_W9_BASE)', ours: false, samples: l['base']! });
    const med = (xs: Sample[]): string => median(xs.map((x) => x.ms)).toFixed(2);
    process.stderr.write(`  ${w}: compile ${med(c['helpers']!)} µs/rule${base !== undefined ? ` (base typed ${med(c['base']!)})` : ''}; listRuleset ${med(l['ruleset']!)} ms, nft -j ${med(l['nft']!)} ms${base !== undefined ? `, base typed ${med(l['base']!)} ms` : ''}\n`);
  }
  const env = versions();
  const md = render(rows, env);
  writeFileSync(join(TMP, 'results.md'), md);
  writeFileSync(join(TMP, 'results.json'), JSON.stringify({ env, rows }, null, 2));
  process.stdout.write(md);
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function render(rows: Row[], env: Record<string, string>): string {
  const out: string[] = [];
  out.push(`Environment: ${Object.entries(env).map(([k, v]) => `${k}: ${v}`).join('; ')}`, '');
  const workloads = [...new Set(rows.map((r) => r.workload))];
  for (const w of workloads) {
    const rs = rows.filter((r) => r.workload === w);
    const churn = rs.some((r) => r.samples[0]?.p50us !== undefined);
    // Many concurrent callers (W3, W4): what counts is how long the whole stream takes, not
    // one caller's wait (which group commit holds nearly constant while throughput changes).
    const stream = churn && /^W[34] /.test(w);
    const extras: Array<[keyof Sample, string]> = [
      ['p99ms', 'p99 ms'],
      ['buildMs', 'build ms'],
      ['commitMs', 'commit ms'],
      ['kernelMs', 'send+kernel ms (C)'],
      ['userMs', 'user CPU ms'],
      ['sysMs', 'system CPU ms'],
      ['eldMaxMs', 'event-loop delay max ms'],
      ['eldP99Ms', 'event-loop delay p99 ms'],
      ['eldOwnMaxMs', 'longest main-thread CPU stretch ms'],
      ['eldIdleMaxMs', 'idle control: delay max ms'],
      ['eldIdleP99Ms', 'idle control: delay p99 ms'],
    ];
    const extraCols = churn ? [] : extras.filter(([k]) => rs.some((r) => r.samples[0]?.[k] !== undefined));
    const ours = rs.filter((r) => r.ours);
    const peers = rs.filter((r) => !r.ours);
    out.push(`### ${w}`, '');
    const eldCol = rs.some((r) => r.samples[0]?.eldP99ms !== undefined);
    const head = churn
      ? ['contender', 'total ms (median)', 'min–max', 'p50 µs', 'p99 µs', 'updates/s', ...(eldCol ? ['event-loop delay p99 ms'] : []), 'peak RSS MiB']
      : ['contender', 'ms (median)', 'min–max', ...extraCols.map((c) => c[1]), 'peak RSS MiB'];
    const key = (r: Row): number => median(r.samples.map((s) => (churn && !stream ? s.p50us! : s.ms)));
    if (ours.length > 0) for (const p of peers) head.push(`${p.contender} ÷ ours`);
    out.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const r of rs) {
      const ms = r.samples.map((s) => s.ms);
      const cells = [r.contender, fmt(median(ms)), `${fmt(Math.min(...ms))}–${fmt(Math.max(...ms))}`];
      if (churn) {
        cells.push(fmt(median(r.samples.map((s) => s.p50us!))), fmt(median(r.samples.map((s) => s.p99us!))), fmt(median(r.samples.map((s) => s.opsPerSec!))));
        // A row without the measurement keeps the column (the RSS cell must not move into it).
        if (eldCol) cells.push(r.samples[0]?.eldP99ms !== undefined ? fmt(median(r.samples.map((s) => s.eldP99ms!))) : '–');
      }
      for (const [k] of extraCols) {
        const xs = r.samples.map((s) => s[k]).filter((x): x is number => typeof x === 'number');
        cells.push(xs.length ? fmt(median(xs)) : '–');
      }
      cells.push(fmt(Math.max(...r.samples.map((s) => s.rssKiB)) / 1024));
      if (ours.length > 0) for (const p of peers) cells.push(r.ours ? `${fmt(key(p) / key(r))}×` : '');
      out.push(`| ${cells.join(' | ')} |`);
    }
    out.push('', stream ? '(ratios compare median total time of the stream)' : churn ? '(ratios compare p50 latency per update)' : '(ratios compare median wall time of the load)', '');
  }
  return out.join('\n');
}

main();
