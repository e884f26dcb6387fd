// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The `nftables` package as a benchmark contender. Run by bench/run.ts inside a fresh
 * private network namespace; prints one JSON line. Refuses to run anywhere else.
 *
 *   ours.ts load hash|interval N FILE       Blocklist.add of FILE (one entry per line, streamed) into a new set
 *   ours.ts churn sync|async|coalesced|loaded N  N single-entry updates (add, delete, add, ...), after
 *                                          2,000 unmeasured ones (JIT warm-up); loaded = async while
 *                                          another connection commits 20,000-element batches
 *   ours.ts coalesced-throughput CALLERS N  CALLERS concurrent callers, N updates in all
 *                                          (W3_SIZE=N: the set gets a size hint)
 *   ours.ts mixed CALLERS N                 mixed ban/unban/refresh/CIDR stream (issue 11 item 8)
 *   ours.ts rules fresh|prepared N          table ip t + chain c (untimed), then one transaction of N
 *                                          rules `ip saddr 10.0.0.0+i counter accept`: fresh = typed
 *                                          rules compiled in the timed part; prepared = prepareRule()
 *                                          before the timer (a rule compiled once). Event-loop delay
 *                                          (max, p99) during the commit call.
 *   ours.ts ruleset64 fresh|prepared REPS   replaces the 64-rule hardening ruleset REPS times (one
 *                                          transaction each: delete table, table, chains, rules)
 *   ours.ts replace swap|flush N FILE       a hash blocklist (no size hint) holding N addresses and
 *                                          referenced by a rule is replaced by FILE's N others
 *                                          (swap: fresh set in chunks + switch; flush: one transaction)
 */
import { createReadStream, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Blocklist } from '../../lib/blocklist';
import { Nftables } from '../../lib/nftables';
import { prepareRule, type PreparedRule } from '../../lib/transaction';
import type { JsonRule } from '../../lib/transaction';
import { accept, counter, drop, ipSaddr, lookup } from '../../lib/match';
import { CHAINS, FW, hardeningRules } from './ruleset64';
import { openConnection } from './connection';

function assertPrivateNetns(): void {
  const host = process.env['NFT_BENCH_HOST_NETNS'];
  const here = statSync('/proc/self/ns/net').ino;
  const ifaces = readFileSync('/proc/net/dev', 'utf8').split('\n').slice(2).map((l) => l.split(':')[0]!.trim()).filter((n) => n !== '');
  if (host === undefined || String(here) === host || ifaces.some((n) => n !== 'lo')) {
    process.stderr.write('ours.ts: refusing to run outside a private network namespace (use unshare -n)\n');
    process.exit(3);
  }
}

function vmHwmKiB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

/** Unmeasured updates before a churn run (see main). */
const WARMUP = 2000;

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function addr(i: number): string {
  const a = (0x0a000000 + i) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

function percentiles(lat: Float64Array): { p50us: number; p99us: number } {
  lat.sort();
  return { p50us: lat[Math.floor(lat.length / 2)]! * 1e3, p99us: lat[Math.floor(lat.length * 0.99)]! * 1e3 };
}

/**
 * The main thread's time on a CPU and waiting for one (ms), from the scheduler's own accounting
 * (/proc/PID/task/PID/schedstat: run ns, run-queue wait ns, timeslices). Event-loop delay counts
 * both; on a loaded machine most of a long gap is waiting for a CPU, not our code.
 */
const schedFd = ((): number | null => {
  try {
    return openSync(`/proc/self/task/${process.pid}/schedstat`, 'r');
  } catch {
    return null;
  }
})();
const schedBuf = Buffer.alloc(128);
function sched(): { run: number; wait: number } {
  if (schedFd === null) return { run: NaN, wait: NaN };
  const len = readSync(schedFd, schedBuf, 0, schedBuf.length, 0);
  const [run, wait] = schedBuf.toString('latin1', 0, len).split(' ');
  return { run: Number(run) / 1e6, wait: Number(wait) / 1e6 };
}

interface Delay {
  /** monitorEventLoopDelay max and p99 (ms) while `fn` ran. */
  eldMaxMs: number;
  eldP99Ms: number;
  /** The longest stretch of main-thread CPU time between two turns of a 1 ms timer (ms): what our code held the loop for, without the waits for a CPU. */
  eldOwnMaxMs: number;
  /** monitorEventLoopDelay max and p99 of the same process idle for as long right after (ms): what the machine alone costs. */
  eldIdleMaxMs: number;
  eldIdleP99Ms: number;
}

/** Event-loop delay while `fn` runs (1 ms resolution histogram), and the idle control after it. */
async function withDelay<T>(fn: () => Promise<T>): Promise<{ value: T } & Delay> {
  let lastRun = sched().run;
  let ownMax = 0;
  const tick = setInterval(() => {
    const run = sched().run;
    ownMax = Math.max(ownMax, run - lastRun);
    lastRun = run;
  }, 1);
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // The histogram counts the gap between two of its timer ticks: let it tick first, or a block
  // right at the start (before its first tick) would not be seen at all.
  await new Promise((r) => setTimeout(r, 5));
  ownMax = 0;
  const t0 = performance.now();
  const value = await fn();
  const took = performance.now() - t0;
  // One more turn so that a block just before the end is recorded.
  await new Promise((r) => setTimeout(r, 2));
  h.disable();
  clearInterval(tick);
  const idle = monitorEventLoopDelay({ resolution: 1 });
  idle.enable();
  await new Promise((r) => setTimeout(r, Math.max(10, Math.min(took, 3000))));
  idle.disable();
  return {
    value,
    eldMaxMs: h.max / 1e6,
    eldP99Ms: h.percentile(99) / 1e6,
    eldOwnMaxMs: ownMax,
    eldIdleMaxMs: idle.max / 1e6,
    eldIdleP99Ms: idle.percentile(99) / 1e6,
  };
}

let commitCpu: NodeJS.CpuUsage = { user: 0, system: 0 };

async function rulesMode(variant: string, n: number): Promise<void> {
  const nft = await Nftables.open();
  const table = { family: 'ip' as const, name: 't' };
  await nft.transaction().addTable(table).addChain({ table, name: 'c' }).commit();
  const rule = (i: number): JsonRule => ({ family: table.family, table: table.name, chain: 'c', expr: [ipSaddr(addr(i)), counter(), accept()] });
  // Unmeasured warm-up (JIT), as in the churn workloads: one transaction of the same rules into
  // a table of its own, kept (deleting it would leave the kernel destroying its rules during the
  // measured commit). The C peer has nothing to warm up.
  {
    const wt = { family: 'ip' as const, name: 'warm' };
    const w = nft.transaction().addTable(wt).addChain({ table: wt, name: 'c' });
    for (let i = 0; i < Math.min(n, 2000); i++) w.addRule(variant === 'prepared' ? prepareRule({ ...rule(i), table: wt.name }) : { ...rule(i), table: wt.name });
    await w.commit();
  }
  const prepared: PreparedRule[] | null = variant === 'prepared' ? Array.from({ length: n }, (_, i) => prepareRule(rule(i))) : null;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const tx = nft.transaction();
  if (prepared) for (const p of prepared) tx.addRule(p);
  else for (let i = 0; i < n; i++) tx.addRule(rule(i));
  const buildMs = ms(t0);
  let commitMs = 0;
  const cpu1 = process.cpuUsage(cpu0);
  const { value: r, ...delay } = await withDelay(async () => {
    const t1 = process.hrtime.bigint();
    const c1 = process.cpuUsage();
    const result = await nft.commit(tx);
    commitMs = ms(t1);
    commitCpu = process.cpuUsage(c1);
    return result;
  });
  const total = buildMs + commitMs;
  const cpu = { user: cpu1.user + commitCpu.user, system: cpu1.system + commitCpu.system };
  if (r.messages !== n + 2) throw new Error(`expected ${n + 2} messages, got ${r.messages}`);
  console.log(JSON.stringify({ ms: total, buildMs, commitMs, userMs: cpu.user / 1e3, sysMs: cpu.system / 1e3, ...delay, bytes: r.batchBytes, rssKiB: vmHwmKiB() }));
  await nft.close();
}

async function rulesetMode(variant: string, reps: number): Promise<void> {
  const nft = await Nftables.open();
  const rules = hardeningRules();
  const prepared = variant === 'prepared' ? rules.map((r) => prepareRule(r)) : null;
  const replace = (first: boolean): Promise<unknown> => {
    const tx = nft.transaction();
    if (!first) tx.delete(FW);
    tx.addTable(FW);
    for (const c of CHAINS) tx.addChain({ table: FW, name: c.name, base: { type: 'filter', hook: c.hook, priority: 0, policy: c.policy } });
    if (prepared) for (const p of prepared) tx.addRule(p);
    else for (const r of rules) tx.addRule(r);
    return tx.commit();
  };
  await replace(true);
  // Unmeasured warm-up (JIT), as in the churn workloads; the peers run the same count.
  for (let i = 0; i < 20; i++) await replace(false);
  const lat = new Float64Array(reps);
  const start = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    await replace(false);
    lat[i] = ms(t0);
  }
  const total = ms(start);
  const p = percentiles(lat);
  console.log(JSON.stringify({ ms: p.p50us / 1e3, p99ms: p.p99us / 1e3, totalMs: total, rssKiB: vmHwmKiB() }));
  await nft.close();
}

/** A typed load: set ip t s (size n), then n IPv4 strings through Transaction.addElements[Async]. */
async function elementsMode(variant: string, n: number): Promise<void> {
  const nft = await Nftables.open();
  const table = { family: 'ip' as const, name: 't' };
  const set = { table, name: 's', key: 'ipv4_addr' as const, size: n };
  await nft.transaction().addTable(table).addSet(set).commit();
  const addrs = Array.from({ length: n }, (_, i) => addr(i));
  let total = 0;
  const { value: r, ...delay } = await withDelay(async () => {
    const t0 = process.hrtime.bigint();
    const tx = nft.transaction();
    if (variant === 'async') await tx.addElementsAsync(set, addrs);
    else tx.addElements(set, addrs);
    const result = await tx.commit();
    total = ms(t0);
    return result;
  });
  console.log(JSON.stringify({ ms: total, ...delay, bytes: r.batchBytes, rssKiB: vmHwmKiB() }));
  await nft.close();
}

async function main(): Promise<void> {
  assertPrivateNetns();
  const [mode, variant, nStr, file] = process.argv.slice(2);
  const n = Number(nStr);
  if (mode === 'rules') return rulesMode(variant!, n);
  if (mode === 'elements') return elementsMode(variant!, n);
  if (mode === 'ruleset64') return rulesetMode(variant!, n);
  const nft = await openConnection();
  const conn = nft.conn;
  const table = { family: 'ip' as const, name: 't' };
  if (mode === 'load') {
    const interval = variant === 'interval';
    const bl = await Blocklist.open(conn, { table, name: 's', layout: interval ? 'interval' : 'hash', ...(interval ? {} : { size: n }), initial: 'flush' });
    const t0 = process.hrtime.bigint();
    // The file is streamed, as the docs recommend for feeds (no copy of it all in memory).
    const r = await bl.add(createReadStream(file!, { highWaterMark: 1 << 20 }));
    const total = ms(t0);
    if (r.added !== n) throw new Error(`expected ${n} entries added, got ${r.added}`);
    console.log(JSON.stringify({ ms: total, bytes: r.batchBytes, rssKiB: vmHwmKiB() }));
  } else if (mode === 'churn') {
    const bl = await Blocklist.open(conn, { table, name: 's', coalesce: variant === 'coalesced', initial: 'flush' });
    // loaded: the async churn while a second connection of the same process commits 20,000
    // elements into another set and deletes them again, back to back (the kernel runs one
    // transaction at a time per namespace, so an update may wait for a big commit).
    const loaded = variant === 'loaded';
    let loading = true;
    let bigCommits = 0;
    const load = loaded
      ? (async () => {
          const other = await Nftables.open();
          const big = { table: { family: 'ip' as const, name: 'big' }, name: 'b', key: 'ipv4_addr' as const, size: 65536 };
          await other.transaction().addTable(big.table).addSet(big).commit();
          const addrs = Array.from({ length: 20_000 }, (_, i) => addr(0x100000 + i));
          while (loading) {
            await other.transaction().addElements(big, addrs).commit();
            await other.transaction().deleteElements(big, addrs).commit();
            bigCommits += 2;
          }
          await other.close();
        })()
      : Promise.resolve();
    const eld = monitorEventLoopDelay({ resolution: 1 });
    const lat = new Float64Array(n);
    const entries = Array.from({ length: n >> 1 }, (_, i) => addr(i));
    // Update i: add, then (odd i) delete. The sync variant makes no promise per update.
    const sync = variant === 'sync';
    const updateSync = (i: number, e: string): unknown => (i & 1 ? bl.deleteSync(e) : bl.addSync(e));
    const updateAsync = (i: number, e: string): Promise<unknown> => (i & 1 ? bl.delete(e) : bl.add(e));
    // Steady state: let the JIT compile the update path first (WARMUP updates on other
    // addresses, not measured). The C peer has nothing to warm up.
    for (let i = 0; i < WARMUP; i++) {
      const e = addr(0x8000 + (i >> 1));
      if (sync) updateSync(i, e);
      else await updateAsync(i, e);
    }
    if (loaded) while (bigCommits < 2) await new Promise((r) => setTimeout(r, 1));
    eld.enable();
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const e = entries[i >> 1]!;
      const t0 = process.hrtime.bigint();
      if (sync) updateSync(i, e);
      else await updateAsync(i, e);
      lat[i] = ms(t0);
    }
    const total = ms(start);
    eld.disable();
    loading = false;
    await load;
    const extra = loaded ? { eldP99ms: eld.percentile(99) / 1e6, bigCommits } : {};
    console.log(JSON.stringify({ ms: total, ...percentiles(lat), opsPerSec: Math.round(n / (total / 1e3)), ...extra, rssKiB: vmHwmKiB() }));
  } else if (mode === 'coalesced-throughput') {
    const callers = Number(variant);
    const bl = await Blocklist.open(conn, { table, name: 's', coalesce: true, initial: 'flush', ...(process.env['W3_SIZE'] ? { size: Number(process.env['W3_SIZE']) } : {}) });
    const per = Math.floor(n / callers);
    const lat = new Float64Array(per * callers);
    let k = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: callers }, async (_, c) => {
        for (let j = 0; j < per; j++) {
          const e = addr(c * 65536 + (j >> 1));
          const t0 = process.hrtime.bigint();
          if (j & 1) await bl.delete(e);
          else await bl.add(e);
          lat[k++] = ms(t0);
        }
      }),
    );
    const total = ms(start);
    console.log(JSON.stringify({ ms: total, ...percentiles(lat), opsPerSec: Math.round((per * callers) / (total / 1e3)), rssKiB: vmHwmKiB() }));
  } else if (mode === 'mixed') {
    // Issue 11 item 8: a banning daemon. CALLERS concurrent callers, N operations in all, mixed
    // per caller: 40% ban (IPv4/IPv6 alternating, 10 min timeout), 20% unban, 20% refresh (re-ban
    // of a present address), 10% CIDR ban, 10% CIDR unban; bans in a coalesced hash blocklist,
    // CIDRs in a coalesced interval blocklist, both families, in one inet table.
    const callers = Number(variant);
    const fw = { family: 'inet' as const, name: 'fw' };
    const bans = await Blocklist.open(conn, { table: fw, name: 'bans', coalesce: true, initial: 'flush', timeoutMs: 600_000 });
    const nets = await Blocklist.open(conn, { table: fw, name: 'nets', layout: 'interval', coalesce: true, initial: 'flush' });
    const per = Math.floor(n / callers);
    const lat = new Float64Array(per * callers);
    const { monitorEventLoopDelay } = await import('node:perf_hooks');
    const eld = monitorEventLoopDelay({ resolution: 1 });
    let k = 0;
    const v6 = (c: number, j: number): string => `2001:db8:${c.toString(16)}::${j.toString(16)}`;
    const cidr = (c: number, j: number): string => `${100 + (c % 100)}.${Math.floor(c / 100)}.${j & 255}.0/24`;
    const run = (rounds: number, from: number, record: boolean): Promise<unknown> =>
      Promise.all(
        Array.from({ length: callers }, async (_, c) => {
          for (let j = from; j < from + rounds; j++) {
            const slot = j % 10;
            const a = (j >> 1) & 63;
            const e = j & 2 ? v6(c, a) : addr(c * 256 + a);
            const t0 = process.hrtime.bigint();
            if (slot < 4) await bans.add(e);
            else if (slot < 6) await bans.delete(e);
            else if (slot < 8) await bans.add(e, { timeoutMs: 600_000 });
            else if (slot === 8) await nets.add(cidr(c, j));
            else await nets.delete(cidr(c, j - 1));
            if (record) lat[k++] = ms(t0);
          }
        }),
      );
    // A daemon runs for days: an unmeasured warm-up (10 rounds of every caller: JIT, sets grown)
    // as in the churn workloads, then the measured stream.
    await run(10, 0, false);
    eld.enable();
    const start = process.hrtime.bigint();
    await run(per, 10, true);
    const total = ms(start);
    eld.disable();
    console.log(JSON.stringify({ ms: total, ...percentiles(lat), opsPerSec: Math.round((per * callers) / (total / 1e3)), eldP99ms: eld.percentile(99) / 1e6, rssKiB: vmHwmKiB() }));
  } else if (mode === 'replace') {
    // Issue 11 item 9: the list in place (N other addresses, unmeasured), a rule referencing it,
    // then the measured replace of the whole list by FILE's N addresses (read as bytes, parsed).
    const bl = await Blocklist.open(conn, { table, name: 's', initial: 'flush' });
    const old = Array.from({ length: n }, (_, i) => addr(0x01000000 + i));
    await bl.replace(old, variant === 'swap' ? { swap: true } : {});
    if (!(conn instanceof Nftables)) throw new Error('the replace workload needs the package\'s own connection');
    await conn
      .transaction()
      .add({ table, name: 'input', base: { type: 'filter', hook: 'input', priority: 0 } })
      .add({ family: table.family, table: table.name, chain: 'input', expr: [lookup('ip saddr', bl.sets.ipv4!.name), drop()] })
      .commit();
    const text = readFileSync(file!);
    const t0 = process.hrtime.bigint();
    const r = await bl.replace(text, variant === 'swap' ? { swap: true } : {});
    const total = ms(t0);
    if (r.added !== n || r.atomic !== true) throw new Error(`expected ${n} entries added atomically, got ${JSON.stringify(r)}`);
    console.log(JSON.stringify({ ms: total, transactions: r.transactions, rssKiB: vmHwmKiB() }));
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  await nft.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
