// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The authoritative in-process copy of what the package put into a set. Dumping big sets
 * is quadratic in the kernel (1M elements: ~19 s), so reads (`has`, `size`, `entries`) and
 * diffs are answered from here.
 *
 * Hash layouts use a log-structured copy: a sorted packed base (4 bytes per IPv4 address)
 * plus a small log of recent changes (WordMap), merged back when it grows. That keeps a 1M-entry
 * blocklist at a few MiB while single adds/deletes stay O(1).
 * Interval layouts keep the merged, sorted range table itself: every kernel commit of an
 * interval set costs O(n) anyway, so an O(n) rebuild here is in proportion.
 */
import { compareWords } from './address';
import { RangeTable, type Words, findContaining, normalize } from './ranges';

const TOMBSTONE = -1;

/** Hash of the address at a[o..o+W), for the open-addressing tables below. */
function hashWords(a: Uint32Array, o: number, W: Words): number {
  let h = Math.imul(a[o]!, 0x9e3779b1);
  for (let k = 1; k < W; k++) h = Math.imul(h ^ a[o + k]!, 0x85ebca6b);
  return h ^ (h >>> 15);
}

/**
 * The hash copy's change log: an open-addressing table (linear probing) from an address (W
 * words) to a number, over typed arrays: no string or Map entry per address (an IPv6 key used
 * to be an 8-character string made on every lookup). Entries are never removed one by one;
 * the copy writes a tombstone instead and clear() empties the whole log at compaction.
 */
export class WordMap {
  private cap = 0;
  private mask = 0;
  private used = new Uint8Array(0);
  private keys = new Uint32Array(0);
  private vals = new Float64Array(0);
  /** Number of distinct addresses held. */
  size = 0;

  constructor(readonly W: Words) {
    this.alloc(64);
  }

  private alloc(cap: number): void {
    this.cap = cap;
    this.mask = cap - 1;
    this.used = new Uint8Array(cap);
    this.keys = new Uint32Array(cap * this.W);
    this.vals = new Float64Array(cap);
  }

  /** The cell holding a[o..o+W): >= 0 when present, else -(free cell) - 1. */
  private find(a: Uint32Array, o: number): number {
    const W = this.W;
    const keys = this.keys;
    let c = hashWords(a, o, W) & this.mask;
    for (;;) {
      if (this.used[c] === 0) return -c - 1;
      let w = 0;
      while (w < W && keys[c * W + w] === a[o + w]) w++;
      if (w === W) return c;
      c = (c + 1) & this.mask;
    }
  }

  /** The value stored for a[o..), or undefined. */
  get(a: Uint32Array, o: number): number | undefined {
    const c = this.find(a, o);
    return c >= 0 ? this.vals[c] : undefined;
  }

  set(a: Uint32Array, o: number, v: number): void {
    let c = this.find(a, o);
    if (c >= 0) {
      this.vals[c] = v;
      return;
    }
    if ((this.size + 1) * 2 > this.cap) {
      this.grow();
      c = this.find(a, o);
    }
    const cell = -c - 1;
    const W = this.W;
    this.used[cell] = 1;
    for (let w = 0; w < W; w++) this.keys[cell * W + w] = a[o + w]!;
    this.vals[cell] = v;
    this.size++;
  }

  private grow(): void {
    const { used, keys, vals, cap, W } = this;
    this.alloc(cap * 2);
    this.size = 0;
    for (let c = 0; c < cap; c++) if (used[c] === 1) this.set(keys, c * W, vals[c]!);
  }

  /** Calls fn(words, offset, value) for every entry, in no particular order. */
  forEach(fn: (words: Uint32Array, o: number, v: number) => void): void {
    const W = this.W;
    for (let c = 0; c < this.cap; c++) if (this.used[c] === 1) fn(this.keys, c * W, this.vals[c]!);
  }

  /** Empties the log; a log that grew big gives its memory back. */
  clear(): void {
    if (this.size === 0) return;
    if (this.cap > 1 << 16) this.alloc(64);
    else this.used.fill(0);
    this.size = 0;
  }
}

function binarySearch(t: RangeTable, a: Uint32Array, o: number): number {
  const W = t.words;
  let l = 0;
  let h = t.count - 1;
  while (l <= h) {
    const m = (l + h) >>> 1;
    let c = 0;
    for (let w = 0; w < W; w++) {
      const x = t.lo[m * W + w]!;
      const y = a[o + w]!;
      if (x !== y) {
        c = x < y ? -1 : 1;
        break;
      }
    }
    if (c === 0) return m;
    if (c < 0) l = m + 1;
    else h = m - 1;
  }
  return -1;
}

/** Whether an expiry (epoch ms, 0 = never) is still in the future. */
const alive = (exp: number, now: number): boolean => exp === 0 || exp > now;

/** Copy of a hash set: single addresses with optional expiry. */
export class HashStore {
  private base: RangeTable;
  private readonly delta: WordMap;

  constructor(
    readonly words: Words,
    readonly withExp: boolean,
  ) {
    this.base = this.emptyTable();
    this.delta = new WordMap(words);
  }

  private emptyTable(): RangeTable {
    const t = RangeTable.empty(this.words, this.withExp);
    t.hi = t.lo;
    return t;
  }

  /** Expiry of the address at a[o..) (0 = never), or -1 when absent or expired. */
  get(a: Uint32Array, o: number, now: number): number {
    const d = this.delta.get(a, o);
    if (d !== undefined) return d !== TOMBSTONE && alive(d, now) ? d : -1;
    const i = binarySearch(this.base, a, o);
    if (i < 0) return -1;
    const e = this.base.exp ? this.base.exp[i]! : 0;
    return alive(e, now) ? e : -1;
  }

  /** Records the address as present until `exp` (0 = never). */
  set(a: Uint32Array, o: number, exp: number): void {
    this.delta.set(a, o, exp);
    this.maybeCompact();
  }

  /** Records the address as absent. */
  remove(a: Uint32Array, o: number): void {
    // A tombstone whether or not the base holds it: both read as absent, and compaction drops it.
    this.delta.set(a, o, TOMBSTONE);
    this.maybeCompact();
  }

  /** Replaces the whole content with a normalized table of single addresses. */
  reset(t: RangeTable): void {
    this.delta.clear();
    const b = this.withExp !== (t.exp !== null) ? t.trimmed(this.withExp) : t;
    b.hi = b.lo;
    this.base = b;
  }

  private maybeCompact(): void {
    if (this.delta.size >= 4096 && this.delta.size * 4 >= this.base.count) this.compact(Date.now());
  }

  /**
   * Merges the change log into the packed base and drops expired rows. Only the log is sorted
   * (it is small); the base is already sorted, so the merge is one linear walk of both, with
   * no per-row Map lookup or allocation: O(n + d log d), not O(n log n) per compaction.
   */
  compact(now: number): void {
    if (this.delta.size === 0 && !this.withExp) return;
    const W = this.words;
    // The log, sorted; tombstones included: they hide base rows.
    const log = new RangeTable(W, Math.max(1, this.delta.size), true, true);
    this.delta.forEach((k, o, e) => log.push(k, o, k, o, e));
    const d = log.count > 1 ? normalize(log, false) : log;
    const b = this.base;
    const out = new RangeTable(W, Math.max(1, b.count + d.count), this.withExp, true);
    let i = 0;
    let j = 0;
    while (i < b.count || j < d.count) {
      const c = i >= b.count ? 1 : j >= d.count ? -1 : compareWords(b.lo, i * W, d.lo, j * W, W);
      if (c < 0) {
        const e = b.exp ? b.exp[i]! : 0;
        if (alive(e, now)) out.pushRow(b, i, e);
        i++;
      } else {
        const e = d.exp![j]!;
        if (e !== TOMBSTONE && alive(e, now)) out.push(d.lo, j * W, d.lo, j * W, e);
        j++;
        if (c === 0) i++; // the log's entry replaces the base row
      }
    }
    this.delta.clear();
    out.hi = out.lo;
    this.base = out;
  }

  /** A compacted, sorted table of the live content (shared: do not modify). */
  snapshot(now: number): RangeTable {
    this.compact(now);
    return this.base;
  }

  /** Number of live addresses. O(1) without timeouts; a scan with them. */
  size(now: number): number {
    if (this.withExp) return this.snapshot(now).count;
    let n = this.base.count;
    this.delta.forEach((k, o, e) => {
      const inBase = binarySearch(this.base, k, o) >= 0;
      if (e === TOMBSTONE) n -= inBase ? 1 : 0;
      else n += inBase ? 0 : 1;
    });
    return n;
  }
}

/** Copy of an interval set: merged, sorted ranges with optional expiry. */
export class IntervalStore {
  table: RangeTable;

  constructor(
    readonly words: Words,
    readonly withExp: boolean,
  ) {
    this.table = RangeTable.empty(words, withExp);
  }

  /** Index of the live range containing a[o..), or -1. */
  find(a: Uint32Array, o: number, now: number): number {
    const i = findContaining(this.table, a, o);
    if (i < 0) return -1;
    const e = this.table.exp ? this.table.exp[i]! : 0;
    return alive(e, now) ? i : -1;
  }

  /** The live ranges (expired ones dropped), sorted and merged. */
  snapshot(now: number): RangeTable {
    const t = this.table;
    if (!t.exp) return t;
    let expired = false;
    for (let i = 0; i < t.count; i++) if (!alive(t.exp[i]!, now)) expired = true;
    if (!expired) return t;
    const out = new RangeTable(t.words, t.count, true);
    for (let i = 0; i < t.count; i++) if (alive(t.exp[i]!, now)) out.pushRow(t, i);
    this.table = out;
    return out;
  }
}

/**
 * The addresses of one group commit: an open-addressing hash table over the group's word
 * buffer (no string key, no Map entry per address). Each cell holds an entry's word offset + 1
 * (0: empty) and the overlay slot it maps to; reset() reuses the cells of earlier groups.
 */
export class GroupIndex {
  private cells = new Int32Array(0);
  private vals = new Int32Array(0);
  private mask = 0;
  private words: Uint32Array = new Uint32Array(0);
  private W: Words = 1;

  /** Empties the index for a group of at most n addresses of W words each, kept in `words`. */
  reset(n: number, words: Uint32Array, W: Words): void {
    let cap = 16;
    while (cap < n * 2) cap <<= 1;
    if (this.cells.length < cap) {
      this.cells = new Int32Array(cap);
      this.vals = new Int32Array(cap);
    } else {
      this.cells.fill(0, 0, cap);
    }
    this.mask = cap - 1;
    this.words = words;
    this.W = W;
  }

  /** The cell holding the address at words[o..o+W): >= 0 when found, else -(free cell) - 1. */
  find(o: number): number {
    return this.probe(this.words, o);
  }

  /** The same for an address in another array: src[o..o+W). */
  private probe(src: Uint32Array, o: number): number {
    const w = this.words;
    let c = hashWords(src, o, this.W) & this.mask;
    for (;;) {
      const at = this.cells[c]!;
      if (at === 0) return -c - 1;
      if (compareWords(w, at - 1, src, o, this.W) === 0) return c;
      c = (c + 1) & this.mask;
    }
  }

  value(cell: number): number {
    return this.vals[cell]!;
  }

  /** The value stored for the address at src[o..o+W) (an array other than the index's own), or -1. */
  lookup(src: Uint32Array, o: number): number {
    const c = this.probe(src, o);
    return c >= 0 ? this.vals[c]! : -1;
  }

  /** Stores slot `v` for the address at words[o..) in the free cell find() returned (-cell - 1). */
  insert(found: number, o: number, v: number): void {
    const c = -found - 1;
    this.cells[c] = o + 1;
    this.vals[c] = v;
  }
}
