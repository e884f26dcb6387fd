// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Model-based property test of the Blocklist against the kernel (issue 11).
 *
 * fast-check generates a configuration (layout, families, coalescing, timeouts) and a
 * sequence of calls: add / delete (strict or not) / replace / sync / addSync / deleteSync with
 * single entries and lists, valid and invalid entries, groups of concurrent callers, callers
 * that each make several calls in turn (so that calls arrive while earlier group commits are
 * in flight), an
 * "age" step (nft shortens an element's expiry, as time passing would) and a close of the
 * connection in the middle of queued calls followed by a reopen that loads the set. After every
 * step it compares, against a small reference model written here:
 *   - the kernel's set, read with `nft -j list set` (the independent oracle), expiry and
 *     timeout included (expiry within a tolerance);
 *   - `Nftables.listElements()` (a dump) and `Blocklist.listElements()` (the copy);
 *   - `has()`, `size` and `entries()` of the in-process copy;
 *   - every caller's result (added / removed / unchanged, or the error class).
 * Failures are shrunk to a minimal sequence, printed with the seed.
 *
 * Runs in `npm test`: a fixed seed and a random one (printed). Longer runs:
 *   NFTJS_PROPERTY_RUNS=2000 npm test -- test/property/blocklist-model.test.ts
 *   NFTJS_PROPERTY_SEED=<seed> to replay one.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { Nftables, type Table } from '../../lib';
import { Blocklist, BlocklistEntryError, type BlocklistOptions, type ChangeResult } from '../../lib/blocklist';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

/** Addresses 0..N-1 of each family: a small universe makes collisions (the interesting cases) likely. */
const N = 8;
const HOUR = 3_600_000;
/** Tolerance on the kernel's `expires` (whole seconds, truncated) against the model. */
const TOLERANCE_S = 5;

type Fam = 4 | 6;
const addr = (f: Fam, i: number): string => (f === 4 ? `192.0.2.${i}` : `2001:db8::${i.toString(16)}`);
const bits = (f: Fam): number => (f === 4 ? 32 : 128);

/** Index of an address string in the universe (-1: outside). */
function indexOf(f: Fam, s: string): number {
  const a = ipaddr.parse(s);
  if (f === 4) {
    if (a.kind() !== 'ipv4') return -1;
    const o = (a as ipaddr.IPv4).octets;
    return o[0] === 192 && o[1] === 0 && o[2] === 2 && o[3]! < N ? o[3]! : -1;
  }
  if (a.kind() !== 'ipv6') return -1;
  const p = (a as ipaddr.IPv6).parts;
  return p[0] === 0x2001 && p[1] === 0xdb8 && p.slice(2, 7).every((x) => x === 0) && p[7]! < N ? p[7]! : -1;
}

/** Expands `a`, `a/len` or `a-b` into [first, last] indexes of the universe. */
function span(f: Fam, key: string): [number, number] {
  const dash = key.indexOf('-');
  if (dash > 0) return [indexOf(f, key.slice(0, dash)), indexOf(f, key.slice(dash + 1))];
  const slash = key.indexOf('/');
  if (slash < 0) {
    const i = indexOf(f, key);
    return [i, i];
  }
  const lo = indexOf(f, key.slice(0, slash));
  const host = bits(f) - Number(key.slice(slash + 1));
  return [lo, lo + 2 ** host - 1];
}

// ------------------------------------------------------------------ generated input

type Entry =
  | { readonly t: 'addr'; readonly f: Fam; readonly i: number }
  | { readonly t: 'padded'; readonly f: Fam; readonly i: number } // ' a ' : valid as a line, not as a single entry
  | { readonly t: 'prefix'; readonly f: Fam; readonly i: number; readonly k: number } // k host bits
  | { readonly t: 'range'; readonly f: Fam; readonly a: number; readonly b: number }
  | { readonly t: 'bad'; readonly text: string };

interface Call {
  readonly kind: 'add' | 'delete';
  readonly entry: Entry;
  readonly strict: boolean;
  readonly timeoutMs: number | undefined;
}

type Op =
  | { readonly op: 'add' | 'delete' | 'addSync' | 'deleteSync'; readonly entries: Entry | Entry[]; readonly strict: boolean; readonly timeoutMs: number | undefined }
  | { readonly op: 'replace' | 'sync'; readonly entries: Entry[]; readonly timeoutMs: number | undefined }
  | { readonly op: 'group'; readonly calls: Call[] }
  | { readonly op: 'callers'; readonly callers: Array<Array<{ readonly call: Call; readonly wait: number }>> }
  | { readonly op: 'age'; readonly pick: number }
  | { readonly op: 'reopen'; readonly calls: Call[] };

interface Config {
  readonly layout: 'hash' | 'interval';
  readonly fams: 'v4' | 'v6' | 'both';
  readonly coalesce: boolean;
  readonly timeouts: boolean;
}

/** Entries mostly of the families the configuration holds (the others are refused: some of those too). */
function opsArb(cfg: Config): fc.Arbitrary<Op[]> {
  const famArb: fc.Arbitrary<Fam> = cfg.fams === 'v4' ? fc.constantFrom<Fam>(4, 4, 4, 4, 6) : cfg.fams === 'v6' ? fc.constantFrom<Fam>(6, 6, 6, 6, 4) : fc.constantFrom<Fam>(4, 6);
  const entryArb: fc.Arbitrary<Entry> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('addr' as const), f: famArb, i: fc.integer({ min: 0, max: N - 1 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('padded' as const), f: famArb, i: fc.integer({ min: 0, max: N - 1 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ f: famArb, k: fc.integer({ min: 1, max: 2 }), j: fc.integer({ min: 0, max: N - 1 }) }).map(({ f, k, j }) => ({ t: 'prefix' as const, f, k, i: j - (j % 2 ** k) })),
  },
  {
    weight: 1,
    arbitrary: fc.record({ f: famArb, x: fc.integer({ min: 0, max: N - 1 }), y: fc.integer({ min: 0, max: N - 1 }) }).map(({ f, x, y }) => ({ t: 'range' as const, f, a: Math.min(x, y), b: Math.max(x, y) })),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('bad' as const), text: fc.constantFrom('', '# x', '192.0.2.300', '192.0.2.1\n192.0.2.2', '192.0.2.1\r', 'x') }) },
);
  const timeoutArb = fc.constantFrom<number | undefined>(undefined, undefined, HOUR, 2 * HOUR);
  const callArb: fc.Arbitrary<Call> = fc.record({ kind: fc.constantFrom('add' as const, 'delete' as const), entry: entryArb, strict: fc.boolean(), timeoutMs: timeoutArb });
  const listArb = fc.array(entryArb, { minLength: 0, maxLength: 5 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constantFrom('add' as const, 'delete' as const), entries: fc.oneof(entryArb, listArb), strict: fc.boolean(), timeoutMs: timeoutArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom('addSync' as const, 'deleteSync' as const), entries: fc.oneof(entryArb, listArb), strict: fc.boolean(), timeoutMs: timeoutArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constantFrom('replace' as const, 'sync' as const), entries: listArb, timeoutMs: timeoutArb }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('group' as const), calls: fc.array(callArb, { minLength: 2, maxLength: 6 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('callers' as const),
      callers: fc.array(fc.array(fc.record({ call: callArb, wait: fc.integer({ min: 0, max: 2 }) }), { minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 4 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('age' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen' as const), calls: fc.array(callArb, { minLength: 0, maxLength: 4 }) }) },
  );
  return fc.array(opArb, { minLength: 1, maxLength: 12 });
}
const configArb: fc.Arbitrary<Config> = fc.record({
  layout: fc.constantFrom('hash' as const, 'interval' as const),
  fams: fc.constantFrom('v4' as const, 'v6' as const, 'both' as const),
  coalesce: fc.boolean(),
  timeouts: fc.constantFrom(true, true, false),
});

function text(e: Entry, asLine: boolean): string {
  switch (e.t) {
    case 'addr':
      return addr(e.f, e.i);
    case 'padded':
      return asLine ? ` ${addr(e.f, e.i)}\t` : ` ${addr(e.f, e.i)}`;
    case 'prefix':
      return `${addr(e.f, e.i)}/${bits(e.f) - e.k}`;
    case 'range':
      return `${addr(e.f, e.a)}-${addr(e.f, e.b)}`;
    case 'bad':
      return e.text;
  }
}

// ------------------------------------------------------------------ the reference model

/** One address of the model: expiry (epoch ms, 0 = never) and the ban's duration (ms, 0 = none). */
interface Slot {
  exp: number;
  dur: number;
}

type Outcome = { readonly added: number; readonly removed: number; readonly unchanged: number } | { readonly error: 'entry' | 'range' };

class Model {
  readonly sets = new Map<Fam, Array<Slot | null>>();
  constructor(readonly cfg: Config) {
    if (cfg.fams !== 'v6') this.sets.set(4, new Array<Slot | null>(N).fill(null));
    if (cfg.fams !== 'v4') this.sets.set(6, new Array<Slot | null>(N).fill(null));
  }

  get interval(): boolean {
    return this.cfg.layout === 'interval';
  }

  /** The [lo, hi] an entry covers, or null if it is invalid here (as a single string or as a line). */
  cover(e: Entry, asLine: boolean): { f: Fam; lo: number; hi: number } | null {
    // '192.0.2.1\r' is a valid line (CR trimmed) but not a valid single entry
    if (e.t === 'bad') return asLine && e.text === '192.0.2.1\r' && this.sets.has(4) ? { f: 4, lo: 1, hi: 1 } : null;
    if (e.t === 'padded' && !asLine) return null;
    if (!this.sets.has(e.f)) return null;
    if (e.t === 'addr' || e.t === 'padded') return { f: e.f, lo: e.i, hi: e.i };
    if (e.t === 'range' && e.a === e.b) return { f: e.f, lo: e.a, hi: e.a }; // a-a is one address
    if (!this.interval) return null;
    if (e.t === 'prefix') return { f: e.f, lo: e.i, hi: e.i + 2 ** e.k - 1 };
    return { f: e.f, lo: e.a, hi: e.b };
  }

  /** Maximal runs of present addresses. */
  runs(f: Fam): Array<[number, number]> {
    const s = this.sets.get(f)!;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < N; i++) {
      if (!s[i]) continue;
      if (out.length > 0 && out[out.length - 1]![1] === i - 1 && this.interval) out[out.length - 1]![1] = i;
      else out.push([i, i]);
    }
    return out;
  }

  /** Validates a call's entries; null when one is invalid (BlocklistEntryError). */
  private parse(entries: Entry | Entry[]): Array<{ f: Fam; lo: number; hi: number }> | null {
    const list = Array.isArray(entries) ? entries : [entries];
    const out: Array<{ f: Fam; lo: number; hi: number }> = [];
    for (const e of list) {
      const c = this.cover(e, Array.isArray(entries));
      if (!c) return null;
      out.push(c);
    }
    return out;
  }

  private timeout(t: number | undefined): number | null {
    if (t !== undefined && !this.cfg.timeouts) return null; // RangeError
    return this.cfg.timeouts ? (t ?? HOUR) : 0;
  }

  /** Normalized incoming runs per family (merged when interval; unique addresses when hash). */
  private incoming(rows: Array<{ f: Fam; lo: number; hi: number }>, f: Fam): Array<[number, number]> {
    const mark = new Array<boolean>(N).fill(false);
    for (const r of rows) if (r.f === f) for (let i = r.lo; i <= r.hi; i++) mark[i] = true;
    const out: Array<[number, number]> = [];
    for (let i = 0; i < N; i++) {
      if (!mark[i]) continue;
      if (this.interval && out.length > 0 && out[out.length - 1]![1] === i - 1) out[out.length - 1]![1] = i;
      else out.push([i, i]);
    }
    return out;
  }

  add(entries: Entry | Entry[], timeoutMs: number | undefined, now: number): Outcome {
    const t = this.timeout(timeoutMs); // options are checked before entries
    if (t === null) return { error: 'range' };
    const rows = this.parse(entries);
    if (!rows) return { error: 'entry' };
    let added = 0;
    let unchanged = 0;
    for (const [f, s] of this.sets) {
      const inc = this.incoming(rows, f);
      for (const [lo, hi] of inc) {
        let all = true;
        for (let i = lo; i <= hi; i++) if (!s[i]) all = false;
        if (all) unchanged++;
        else added++;
      }
      const exp = t > 0 ? now + t : 0;
      if (!this.interval) {
        for (const [i] of inc) if (!s[i] || this.cfg.timeouts) s[i] = { exp, dur: t };
        continue;
      }
      // interval: merge, the run keeps the later expiry (0 = never wins)
      const touched = new Array<boolean>(N).fill(false);
      for (const [lo, hi] of inc) {
        for (let i = lo; i <= hi; i++) {
          touched[i] = true;
          if (!s[i]) s[i] = { exp, dur: t };
          else if (this.cfg.timeouts && later(exp, s[i]!.exp)) s[i] = { exp, dur: t };
        }
      }
      for (const [lo, hi] of this.runs(f)) {
        let hit = false;
        for (let i = lo; i <= hi; i++) if (touched[i]) hit = true;
        if (!hit) continue;
        let best = s[lo]!;
        for (let i = lo; i <= hi; i++) if (later(s[i]!.exp, best.exp)) best = s[i]!;
        for (let i = lo; i <= hi; i++) s[i] = { ...best };
      }
    }
    return { added, removed: 0, unchanged };
  }

  delete(entries: Entry | Entry[], strict: boolean): Outcome {
    const rows = this.parse(entries);
    if (!rows) return { error: 'entry' };
    let removed = 0;
    let unchanged = 0;
    for (const [f, s] of this.sets) {
      const out = this.incoming(rows, f);
      for (const [lo, hi] of out) {
        let any = false;
        for (let i = lo; i <= hi; i++) if (s[i]) any = true;
        if (any) removed++;
        else if (strict) return { error: 'range' };
        else unchanged++;
      }
    }
    // strict passed for every family: apply
    for (const [f, s] of this.sets) for (const [lo, hi] of this.incoming(rows, f)) for (let i = lo; i <= hi; i++) s[i] = null;
    return { added: 0, removed, unchanged };
  }

  set(entries: Entry[], timeoutMs: number | undefined, now: number, mode: 'replace' | 'sync'): Outcome {
    const t = this.timeout(timeoutMs);
    if (t === null) return { error: 'range' };
    const rows = this.parse(entries);
    if (!rows) return { error: 'entry' };
    let added = 0;
    let removed = 0;
    let unchanged = 0;
    for (const [f, s] of this.sets) {
      const cur = this.runs(f);
      const next = this.incoming(rows, f);
      const same = (r: [number, number]): boolean => cur.some(([a, b]) => a === r[0] && b === r[1]);
      const kept = new Map<number, Slot>();
      if (mode === 'replace') {
        added += next.length;
        removed += cur.length;
      } else {
        for (const r of next) {
          if (same(r)) {
            unchanged++;
            for (let i = r[0]; i <= r[1]; i++) kept.set(i, s[i]!);
          } else added++;
        }
        removed += cur.filter(([a, b]) => !next.some((r) => r[0] === a && r[1] === b)).length;
      }
      s.fill(null);
      for (const [lo, hi] of next) for (let i = lo; i <= hi; i++) s[i] = kept.get(i) ?? { exp: t > 0 ? now + t : 0, dur: t };
    }
    return { added, removed, unchanged };
  }

  /** nft shortened the kernel element [lo, hi] to expire in `leftMs` (duration unchanged). */
  age(f: Fam, lo: number, hi: number, leftMs: number, durMs: number, now: number): void {
    const s = this.sets.get(f)!;
    for (let i = lo; i <= hi; i++) s[i] = { exp: now + leftMs, dur: durMs };
  }
}

/** Whether expiry a is later than b (0 = never: latest). */
function later(a: number, b: number): boolean {
  if (b === 0) return false;
  if (a === 0) return true;
  return a > b;
}

// ------------------------------------------------------------------ the system under test

interface KernelElem {
  readonly lo: number;
  readonly hi: number;
  readonly key: string;
  readonly timeout?: number;
  readonly expires?: number;
}

function kernelSet(family: string, table: string, set: string, f: Fam): KernelElem[] {
  const j = JSON.parse(nft(['-j', 'list', 'set', family, table, set])) as { nftables: Array<{ set?: { timeout?: number; elem?: unknown[] } }> };
  const s = j.nftables.find((x) => x.set)!.set!;
  const out: KernelElem[] = [];
  for (const raw of s.elem ?? []) {
    let v = raw as unknown;
    let timeout: number | undefined;
    let expires: number | undefined;
    if (typeof v === 'object' && v !== null && 'elem' in v) {
      const inner = (v as { elem: { val: unknown; timeout?: number; expires?: number } }).elem;
      timeout = inner.timeout;
      expires = inner.expires;
      v = inner.val;
    }
    let key: string;
    if (typeof v === 'string') key = v;
    else if (typeof v === 'object' && v !== null && 'prefix' in v) key = `${(v as { prefix: { addr: string; len: number } }).prefix.addr}/${(v as { prefix: { len: number } }).prefix.len}`;
    else if (typeof v === 'object' && v !== null && 'range' in v) key = (v as { range: string[] }).range.join('-');
    else throw new Error(`unexpected nft element ${JSON.stringify(raw)}`);
    const [lo, hi] = span(f, key);
    if (timeout === undefined && expires !== undefined) timeout = s.timeout;
    out.push({ lo, hi, key, ...(timeout !== undefined ? { timeout } : {}), ...(expires !== undefined ? { expires } : {}) });
  }
  return out.sort((a, b) => a.lo - b.lo);
}

const show = (o: unknown): string => JSON.stringify(o);

class Harness {
  conn!: Nftables;
  bl!: Blocklist;
  readonly model: Model;
  readonly table: Table;
  readonly options: BlocklistOptions;
  readonly log: string[] = [];

  constructor(readonly cfg: Config) {
    this.model = new Model(cfg);
    this.table = cfg.fams === 'v4' ? { family: 'ip', name: 'pt' } : cfg.fams === 'v6' ? { family: 'ip6', name: 'pt' } : { family: 'inet', name: 'pt' };
    this.options = {
      table: this.table,
      name: 'ban',
      layout: cfg.layout,
      coalesce: cfg.coalesce,
      ...(cfg.timeouts ? { timeoutMs: HOUR } : {}),
    };
  }

  async open(): Promise<void> {
    this.conn = await Nftables.open();
    this.bl = await Blocklist.open(this.conn, this.options);
  }

  setName(f: Fam): string {
    return this.bl.sets[f === 4 ? 'ipv4' : 'ipv6']!.name;
  }

  /** Compares a caller's settled result with the model's outcome. */
  expectOutcome(what: string, got: PromiseSettledResult<ChangeResult>, want: Outcome): void {
    if ('error' in want) {
      assert.equal(got.status, 'rejected', `${what}: expected a ${want.error} error, got ${show(got.status === 'fulfilled' ? got.value : null)}`);
      const err = (got as PromiseRejectedResult).reason as Error;
      if (want.error === 'entry') assert.ok(err instanceof BlocklistEntryError, `${what}: expected BlocklistEntryError, got ${err}`);
      else assert.ok(err instanceof RangeError && !(err instanceof BlocklistEntryError), `${what}: expected RangeError, got ${err}`);
      return;
    }
    if (got.status === 'rejected') assert.fail(`${what}: rejected with ${(got.reason as Error).stack}, expected ${show(want)}`);
    const r = got.value;
    assert.deepEqual({ added: r.added, removed: r.removed, unchanged: r.unchanged }, want, `${what}: caller's result`);
  }

  call(c: Call): Promise<ChangeResult> {
    const e = text(c.entry, false);
    return c.kind === 'add' ? this.bl.add(e, c.timeoutMs !== undefined ? { timeoutMs: c.timeoutMs } : {}) : this.bl.delete(e, { strict: c.strict });
  }

  modelCall(c: Call, now: number): Outcome {
    return c.kind === 'add' ? this.model.add(c.entry, c.timeoutMs, now) : this.model.delete(c.entry, c.strict);
  }

  async step(op: Op): Promise<void> {
    const m = this.model;
    const now = Date.now();
    switch (op.op) {
      case 'add':
      case 'delete':
      case 'addSync':
      case 'deleteSync': {
        const src = Array.isArray(op.entries) ? op.entries.map((e) => text(e, true)) : text(op.entries, false);
        const o = op.timeoutMs !== undefined ? { timeoutMs: op.timeoutMs } : {};
        let got: PromiseSettledResult<ChangeResult>;
        const settle = async (p: () => Promise<ChangeResult> | ChangeResult): Promise<PromiseSettledResult<ChangeResult>> => {
          try {
            return { status: 'fulfilled', value: await p() };
          } catch (reason) {
            return { status: 'rejected', reason };
          }
        };
        if (op.op === 'add') got = await settle(() => this.bl.add(src, o));
        else if (op.op === 'delete') got = await settle(() => this.bl.delete(src, { strict: op.strict }));
        else if (op.op === 'addSync') got = await settle(() => this.bl.addSync(src, o));
        else got = await settle(() => this.bl.deleteSync(src, { strict: op.strict }));
        const want = op.op === 'add' || op.op === 'addSync' ? m.add(op.entries, op.timeoutMs, now) : m.delete(op.entries, op.strict);
        this.expectOutcome(op.op, got, want);
        return;
      }
      case 'replace':
      case 'sync': {
        const src = op.entries.map((e) => text(e, true));
        const o = op.timeoutMs !== undefined ? { timeoutMs: op.timeoutMs } : {};
        const got = (await Promise.allSettled([this.bl[op.op](src, o)]))[0]!;
        this.expectOutcome(op.op, got, m.set(op.entries, op.timeoutMs, now, op.op));
        return;
      }
      case 'group': {
        const got = await Promise.allSettled(op.calls.map((c) => this.call(c)));
        op.calls.forEach((c, i) => this.expectOutcome(`group call ${i} (${c.kind} ${show(text(c.entry, false))})`, got[i]!, this.modelCall(c, now)));
        return;
      }
      case 'callers': {
        // Concurrent callers, each making its calls one after another, some after a turn or
        // two of the event loop: calls arrive while earlier group commits are in flight.
        // Whatever the grouping, the calls take effect in the order they were made: the model
        // replays them in that order.
        const made: Array<{ c: Call; where: string; got: Promise<PromiseSettledResult<ChangeResult>> }> = [];
        await Promise.all(
          op.callers.map(async (calls, k) => {
            for (let j = 0; j < calls.length; j++) {
              const { call: c, wait } = calls[j]!;
              for (let w = 0; w < wait; w++) await new Promise((r) => setImmediate(r));
              const got = Promise.allSettled([this.call(c)]).then((r) => r[0]!);
              made.push({ c, where: `caller ${k} call ${j} (${c.kind} ${show(text(c.entry, false))})`, got });
              await got;
            }
          }),
        );
        for (const x of made) this.expectOutcome(x.where, await x.got, this.modelCall(x.c, now));
        return;
      }
      case 'age': {
        if (!this.cfg.timeouts) return;
        const all: Array<[Fam, KernelElem]> = [];
        for (const f of m.sets.keys()) for (const e of kernelSet(this.table.family, this.table.name, this.setName(f), f)) all.push([f, e]);
        if (all.length === 0) return;
        const [f, e] = all[op.pick % all.length]!;
        const dur = (e.timeout ?? 3600) * 1000;
        nft(['add', 'element', this.table.family, this.table.name, this.setName(f), `{ ${e.key} timeout ${dur / 1000}s expires 600s }`]);
        m.age(f, e.lo, e.hi, 600_000, dur, Date.now());
        // Another writer changed the set: load() is how the copy learns it (docs/blocklist.md).
        await this.bl.load();
        return;
      }
      case 'reopen': {
        // Calls still queued when close() is called: close finishes them first (issue 11 item 4).
        const calls = op.calls.map((c) => this.call(c));
        const closed = this.conn.close();
        const got = await Promise.allSettled(calls);
        await closed;
        op.calls.forEach((c, i) => this.expectOutcome(`call ${i} before close`, got[i]!, this.modelCall(c, now)));
        await this.open(); // initial: 'load' seeds a fresh copy from the kernel
        return;
      }
    }
  }

  /** Every view against the model. */
  async check(where: string): Promise<void> {
    const m = this.model;
    const now = Date.now();
    const entries = [...this.bl.entries()];
    let size = 0;
    for (const [f, s] of m.sets) {
      const runs = m.runs(f);
      size += runs.length;
      // 1. the kernel (nft -j)
      const k = kernelSet(this.table.family, this.table.name, this.setName(f), f);
      assert.deepEqual(
        k.map((e) => [e.lo, e.hi]),
        runs,
        `${where}: kernel elements of IPv${f} (${show(k.map((e) => e.key))}) against the model's`,
      );
      if (this.cfg.timeouts) {
        for (const e of k) {
          const slot = s[e.lo]!;
          if (slot.exp === 0) {
            assert.equal(e.expires, undefined, `${where}: ${e.key} should not expire (${show(e)})`);
            continue;
          }
          const left = (slot.exp - now) / 1000;
          assert.ok(e.expires !== undefined && Math.abs(e.expires - left) <= TOLERANCE_S, `${where}: ${e.key} expires in ${e.expires} s in the kernel, ${left.toFixed(1)} s in the model`);
          assert.equal(e.timeout, slot.dur / 1000, `${where}: ${e.key} timeout`);
        }
      }
      // 2. listElements()
      const spec = this.bl.sets[f === 4 ? 'ipv4' : 'ipv6']!;
      const listed = (await this.conn.listElements(spec)).map((e) => span(f, String(e.key))).sort((a, b) => a[0] - b[0]);
      assert.deepEqual(listed, runs, `${where}: listElements() of IPv${f}`);
      // 3. the Blocklist's own listElements() (from the copy)
      const own = this.bl
        .listElements()
        .filter((e) => e.family === (f === 4 ? 'ipv4' : 'ipv6'))
        .map((e) => span(f, e.key))
        .sort((a, b) => a[0] - b[0]);
      assert.deepEqual(own, runs, `${where}: Blocklist.listElements() of IPv${f}`);
      // 4. has(), entries()
      const fromEntries = new Array<boolean>(N).fill(false);
      for (const e of entries) {
        if (f === 4 ? e.includes(':') : !e.includes(':')) continue;
        const [lo, hi] = span(f, e);
        for (let i = lo; i <= hi; i++) fromEntries[i] = true;
      }
      for (let i = 0; i < N; i++) {
        assert.equal(this.bl.has(addr(f, i)), s[i] !== null, `${where}: has(${addr(f, i)})`);
        assert.equal(fromEntries[i], s[i] !== null, `${where}: entries() holds ${addr(f, i)}`);
      }
    }
    assert.equal(this.bl.size, size, `${where}: size`);
  }

  async close(): Promise<void> {
    await this.conn.close();
  }
}

/** fast-check's configuration from the environment. */
const RUNS = Number(process.env.NFTJS_PROPERTY_RUNS ?? '100');

async function runProperty(seed: number, numRuns: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(configArb.chain((cfg) => opsArb(cfg).map((ops) => [cfg, ops] as const)), async ([cfg, ops]) => {
      nftFlush();
      const h = new Harness(cfg);
      await h.open();
      try {
        await h.check('after open');
        for (let i = 0; i < ops.length; i++) {
          await h.step(ops[i]!);
          await h.check(`after step ${i} ${show(ops[i])}`);
        }
      } finally {
        await h.close();
      }
    }),
    { seed, numRuns, ...(process.env.NFTJS_PROPERTY_TIME_MS ? { interruptAfterTimeLimit: Number(process.env.NFTJS_PROPERTY_TIME_MS) } : {}) },
  );
}

describe('Blocklist model-based property test (kernel, nft -j oracle)', function () {
  this.timeout(0);

  const fixed = process.env.NFTJS_PROPERTY_SEED !== undefined ? Number(process.env.NFTJS_PROPERTY_SEED) : 20261201;
  it(`fixed seed ${fixed}: ${RUNS} sequences`, async () => {
    await runProperty(fixed, RUNS);
  });

  const random = (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
  it(`random seed ${random} (replay: NFTJS_PROPERTY_SEED=${random}): ${RUNS} sequences`, async () => {
    console.log(`      property test random seed: ${random}`);
    await runProperty(random, RUNS);
  });
});
