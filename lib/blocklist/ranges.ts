// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Address ranges in packed columns, and the set algebra the blocklist needs: sort, merge of
 * overlapping/adjacent ranges (what nft's auto-merge does), union, subtraction and the
 * minimal difference between two sorted tables. No JS object per entry: a table is three
 * typed arrays, and IPv4 sorting goes through a native BigUint64Array sort.
 */
import { compareWords } from './address';

/** Words per address: 1 for IPv4, 4 for IPv6. */
export type Words = 1 | 4;

/**
 * A table of ranges [lo, hi] (inclusive), `words` u32 per address, most significant first.
 * For single addresses `hi` may be the same array as `lo`. `exp` holds expiry times (epoch
 * ms, 0 = never) when the table tracks timeouts.
 */
export class RangeTable {
  count = 0;
  lo: Uint32Array;
  hi: Uint32Array;
  exp: Float64Array | null;

  /** `singles`: rows are single addresses; hi is lo (one array, half the memory). */
  constructor(
    readonly words: Words,
    capacity = 16,
    withExp = false,
    singles = false,
  ) {
    this.lo = new Uint32Array(Math.max(1, capacity) * words);
    this.hi = singles ? this.lo : new Uint32Array(Math.max(1, capacity) * words);
    this.exp = withExp ? new Float64Array(Math.max(1, capacity)) : null;
  }

  /** An empty table with the same shape. */
  static empty(words: Words, withExp = false): RangeTable {
    return new RangeTable(words, 1, withExp);
  }

  get capacity(): number {
    return this.lo.length / this.words;
  }

  /** Makes room for `n` more rows. */
  reserve(n: number): void {
    const need = this.count + n;
    if (need <= this.capacity) return;
    let cap = this.capacity * 2;
    while (cap < need) cap *= 2;
    const lo = new Uint32Array(cap * this.words);
    lo.set(this.lo.subarray(0, this.count * this.words));
    const hi = this.hi === this.lo ? lo : new Uint32Array(cap * this.words);
    if (hi !== lo) hi.set(this.hi.subarray(0, this.count * this.words));
    this.lo = lo;
    this.hi = hi;
    if (this.exp) {
      const exp = new Float64Array(cap);
      exp.set(this.exp.subarray(0, this.count));
      this.exp = exp;
    }
  }

  /** Appends a row copied from (lo, loOff), (hi, hiOff). */
  push(lo: Uint32Array, loOff: number, hi: Uint32Array, hiOff: number, exp = 0): void {
    if (this.count >= this.capacity) this.reserve(1);
    const W = this.words;
    const o = this.count * W;
    for (let w = 0; w < W; w++) {
      this.lo[o + w] = lo[loOff + w]!;
      this.hi[o + w] = hi[hiOff + w]!;
    }
    if (this.exp) this.exp[this.count] = exp;
    this.count++;
  }

  /** Appends the single IPv4 address `v` (a one-word table). */
  pushV4(v: number): void {
    if (this.count >= this.capacity) this.reserve(1);
    this.lo[this.count] = v;
    this.hi[this.count] = v;
    if (this.exp) this.exp[this.count] = 0;
    this.count++;
  }

  /** Appends row `i` of `t`. */
  pushRow(t: RangeTable, i: number, exp = t.exp ? t.exp[i]! : 0): void {
    this.push(t.lo, i * t.words, t.hi, i * t.words, exp);
  }

  /** Whether every row is a single address. */
  allSingles(): boolean {
    const n = this.count * this.words;
    if (this.hi === this.lo) return true;
    for (let k = 0; k < n; k++) if (this.lo[k] !== this.hi[k]) return false;
    return true;
  }

  /** A copy trimmed to `count` rows (optionally without the expiry column). */
  trimmed(withExp = this.exp !== null): RangeTable {
    const t = new RangeTable(this.words, this.count, withExp);
    const n = this.count * this.words;
    t.lo.set(this.lo.subarray(0, n));
    t.hi.set(this.hi.subarray(0, n));
    if (withExp && this.exp) t.exp!.set(this.exp.subarray(0, this.count));
    t.count = this.count;
    return t;
  }
}

/** Compares row i of a with row j of b by (lo, hi). */
function cmpRow(a: RangeTable, i: number, b: RangeTable, j: number): number {
  const W = a.words;
  const c = compareWords(a.lo, i * W, b.lo, j * W, W);
  return c !== 0 ? c : compareWords(a.hi, i * W, b.hi, j * W, W);
}

/** Row order sorted by (lo, hi): IPv4 via one native 64-bit sort, IPv6 via an index sort. */
function sortedOrder(t: RangeTable): { lo: Uint32Array; hi: Uint32Array; order: Uint32Array | null } {
  const n = t.count;
  if (t.words === 1 && !t.exp && t.hi === t.lo) {
    // Single IPv4 addresses: a native sort of a copy of the keys.
    const lo = t.lo.slice(0, n).sort();
    return { lo, hi: lo, order: null };
  }
  if (t.words === 1 && !t.exp) {
    // (lo << 32 | hi) as u64; the u32 view of a little-endian BigUint64Array puts the low
    // half first. Sorting it natively costs no BigInt per element.
    const big = new BigUint64Array(n);
    const u = new Uint32Array(big.buffer);
    for (let i = 0; i < n; i++) {
      u[2 * i] = t.hi[i]!;
      u[2 * i + 1] = t.lo[i]!;
    }
    big.sort();
    const lo = new Uint32Array(n);
    const hi = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      hi[i] = u[2 * i]!;
      lo[i] = u[2 * i + 1]!;
    }
    return { lo, hi, order: null };
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => cmpRow(t, x, t, y));
  return { lo: t.lo, hi: t.hi, order };
}

const one = new Uint32Array(4);

/** next = a + 1 (W words) into out; returns true on overflow (a was all ones). */
function increment(a: Uint32Array, ao: number, out: Uint32Array, oo: number, W: number): boolean {
  let carry = 1;
  for (let w = W - 1; w >= 0; w--) {
    const v = a[ao + w]! + carry;
    out[oo + w] = v >>> 0;
    carry = v > 0xffffffff ? 1 : 0;
  }
  return carry === 1;
}

/** prev = a - 1 (W words) into out; returns true on underflow (a was zero). */
function decrement(a: Uint32Array, ao: number, out: Uint32Array, oo: number, W: number): boolean {
  let borrow = 1;
  for (let w = W - 1; w >= 0; w--) {
    const v = a[ao + w]! - borrow;
    out[oo + w] = v >>> 0;
    borrow = v < 0 ? 1 : 0;
  }
  return borrow === 1;
}

/** max(expiry) where 0 means "never" (and wins). */
function laterExpiry(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : Math.max(a, b);
}

/**
 * Sorts and merges overlapping and adjacent ranges (as nft's auto-merge does), dropping
 * duplicates. With `merge` false (hash layouts) only exact duplicates are removed. Merged
 * rows keep the latest expiry of their parts.
 */
export function normalize(t: RangeTable, merge = true): RangeTable {
  const W = t.words;
  if (!merge && W === 1 && t.exp === null && t.hi === t.lo && t.count > 0) {
    // Single IPv4 addresses: sort a copy natively and drop duplicates in place. Input already
    // in strictly ascending order (a sorted feed) is copied as it is: one pass instead of a sort.
    const src = t.lo;
    let ascending = true;
    for (let i = 1; i < t.count; i++) {
      if (src[i - 1]! >= src[i]!) {
        ascending = false;
        break;
      }
    }
    const keys = src.slice(0, t.count);
    let n = keys.length;
    if (!ascending) {
      keys.sort();
      n = 1;
      for (let i = 1; i < keys.length; i++) if (keys[i] !== keys[n - 1]) keys[n++] = keys[i]!;
    }
    const out = new RangeTable(1, 1, false, true);
    out.lo = keys;
    out.hi = keys;
    out.count = n;
    return out;
  }
  const out = new RangeTable(W, Math.max(1, t.count), t.exp !== null, t.hi === t.lo && !merge);
  if (t.count === 0) return out;
  const { lo, hi, order } = sortedOrder(t);
  const nextBuf = one;
  let have = false;
  for (let k = 0; k < t.count; k++) {
    const i = order ? order[k]! : k;
    const o = i * W;
    const e = t.exp ? t.exp[i]! : 0;
    if (have) {
      const last = (out.count - 1) * W;
      if (!merge) {
        if (compareWords(lo, o, out.lo, last, W) === 0 && compareWords(hi, o, out.hi, last, W) === 0) {
          if (out.exp) out.exp[out.count - 1] = laterExpiry(out.exp[out.count - 1]!, e);
          continue;
        }
      } else {
        // Overlapping or adjacent: lo <= last.hi + 1 (no successor if last.hi is the top).
        const top = increment(out.hi, last, nextBuf, 0, W);
        if (top || compareWords(lo, o, nextBuf, 0, W) <= 0) {
          if (compareWords(hi, o, out.hi, last, W) > 0) for (let w = 0; w < W; w++) out.hi[last + w] = hi[o + w]!;
          if (out.exp) out.exp[out.count - 1] = laterExpiry(out.exp[out.count - 1]!, e);
          continue;
        }
      }
    }
    out.push(lo, o, hi, o, e);
    have = true;
  }
  return out;
}

/** Union of two normalized tables (rows of `b` win on expiry ties only through laterExpiry). */
export function union(a: RangeTable, b: RangeTable, merge = true): RangeTable {
  const W = a.words;
  const both = new RangeTable(W, a.count + b.count, a.exp !== null || b.exp !== null, !merge && a.hi === a.lo && b.hi === b.lo);
  for (let i = 0; i < a.count; i++) both.pushRow(a, i);
  for (let i = 0; i < b.count; i++) both.pushRow(b, i);
  return normalize(both, merge);
}

/**
 * a minus b, both normalized. With `merge` (interval layouts) ranges of `b` cut holes in
 * ranges of `a`; otherwise rows are removed on exact match.
 */
export function subtract(a: RangeTable, b: RangeTable, merge = true): RangeTable {
  const W = a.words;
  const out = new RangeTable(W, a.count + b.count, a.exp !== null, !merge && a.hi === a.lo);
  const cur = new Uint32Array(W * 2); // [curLo, curHi]
  let j = 0;
  for (let i = 0; i < a.count; i++) {
    const ao = i * W;
    const e = a.exp ? a.exp[i]! : 0;
    if (!merge) {
      while (j < b.count && cmpRow(b, j, a, i) < 0) j++;
      if (j < b.count && cmpRow(b, j, a, i) === 0) continue;
      out.pushRow(a, i);
      continue;
    }
    for (let w = 0; w < W; w++) {
      cur[w] = a.lo[ao + w]!;
      cur[W + w] = a.hi[ao + w]!;
    }
    // Skip b ranges entirely below cur.
    while (j < b.count && compareWords(b.hi, j * W, cur, 0, W) < 0) j++;
    let k = j;
    let alive = true;
    while (k < b.count && compareWords(b.lo, k * W, cur, W, W) <= 0) {
      const bo = k * W;
      // piece below b: [cur.lo, b.lo - 1]
      if (compareWords(b.lo, bo, cur, 0, W) > 0) {
        decrement(b.lo, bo, one, 0, W);
        out.push(cur, 0, one, 0, e);
      }
      // continue after b: cur.lo = b.hi + 1
      if (compareWords(b.hi, bo, cur, W, W) >= 0 || increment(b.hi, bo, cur, 0, W)) {
        alive = false;
        break;
      }
      k++;
    }
    if (alive) out.push(cur, 0, cur, W, e);
  }
  return out;
}

/** Rows of `a` that also appear (exactly, expiry ignored) in `b`: a boolean per row of `a`. */
function matchRows(a: RangeTable, b: RangeTable): Uint8Array {
  const m = new Uint8Array(a.count);
  let j = 0;
  for (let i = 0; i < a.count; i++) {
    while (j < b.count && cmpRow(b, j, a, i) < 0) j++;
    if (j < b.count && cmpRow(b, j, a, i) === 0) m[i] = 1;
  }
  return m;
}

/**
 * The minimal change turning normalized table `from` into `to`: rows to remove (in `from`,
 * not in `to`) and rows to add (in `to`, not in `from`). An unchanged range stays; a range
 * whose bounds changed is removed and its replacement added (the kernel cannot resize an
 * interval in place). With `refreshExpiry`, rows whose expiry differs are re-added.
 */
export function diff(from: RangeTable, to: RangeTable, refreshExpiry = false): { remove: RangeTable; add: RangeTable } {
  const W = from.words;
  const inTo = matchRows(from, to);
  const inFrom = matchRows(to, from);
  const remove = new RangeTable(W, 1, from.exp !== null);
  const add = new RangeTable(W, 1, to.exp !== null);
  for (let i = 0; i < from.count; i++) if (!inTo[i]) remove.pushRow(from, i);
  for (let i = 0; i < to.count; i++) {
    if (!inFrom[i]) add.pushRow(to, i);
  }
  if (refreshExpiry && from.exp && to.exp) {
    let j = 0;
    for (let i = 0; i < to.count; i++) {
      if (!inFrom[i]) continue;
      while (j < from.count && cmpRow(from, j, to, i) < 0) j++;
      if (j < from.count && from.exp[j] !== to.exp[i]) add.pushRow(to, i);
    }
  }
  return { remove, add };
}

/** Index of the row containing address `key[ko..)` in a normalized table, or -1. */
export function findContaining(t: RangeTable, key: Uint32Array, ko: number): number {
  const W = t.words;
  let l = 0;
  let h = t.count - 1;
  while (l <= h) {
    const m = (l + h) >>> 1;
    if (compareWords(t.lo, m * W, key, ko, W) > 0) h = m - 1;
    else if (compareWords(t.hi, m * W, key, ko, W) < 0) l = m + 1;
    else return m;
  }
  return -1;
}

/** Number of addresses in a range as a bigint (for reporting). */
export function rangeSize(t: RangeTable, i: number): bigint {
  const W = t.words;
  let lo = 0n;
  let hi = 0n;
  for (let w = 0; w < W; w++) {
    lo = (lo << 32n) | BigInt(t.lo[i * W + w]!);
    hi = (hi << 32n) | BigInt(t.hi[i * W + w]!);
  }
  return hi - lo + 1n;
}

/**
 * Splits range [lo, hi] (W words) into the minimal list of CIDR prefixes, calling
 * `emit(prefixStartWords, prefixLength)`. Used for reading back interval sets.
 */
export function rangeToPrefixes(
  lo: Uint32Array,
  loOff: number,
  hi: Uint32Array,
  hiOff: number,
  W: Words,
  emit: (start: bigint, len: number) => void,
): void {
  const bits = BigInt(W * 32);
  let a = 0n;
  let b = 0n;
  for (let w = 0; w < W; w++) {
    a = (a << 32n) | BigInt(lo[loOff + w]!);
    b = (b << 32n) | BigInt(hi[hiOff + w]!);
  }
  while (a <= b) {
    // Largest block aligned at a that fits in [a, b].
    let size = 0n; // log2 of block size
    while (size < bits) {
      const next = size + 1n;
      const mask = (1n << next) - 1n;
      if ((a & mask) !== 0n || a + mask > b) break;
      size = next;
    }
    emit(a, Number(bits - size));
    a += 1n << size;
  }
}

// ------------------------------------------------------------------ in-place edits (group commit)

const edTmp = new Uint32Array(16);

function cmpW(a: Uint32Array, ao: number, b: Uint32Array, bo: number, W: number): number {
  for (let w = 0; w < W; w++) {
    const x = a[ao + w]!;
    const y = b[bo + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** out[oo..] = a[ao..] + d (d = +1 or -1, wrapping); returns false on wrap (no neighbour). */
function stepW(a: Uint32Array, ao: number, d: 1 | -1, out: Uint32Array, oo: number, W: number): boolean {
  let carry = 1;
  for (let w = W - 1; w >= 0; w--) {
    const v = a[ao + w]!;
    if (carry === 0) {
      out[oo + w] = v;
      continue;
    }
    if (d === 1) {
      out[oo + w] = (v + 1) >>> 0;
      carry = v === 0xffffffff ? 1 : 0;
    } else {
      out[oo + w] = (v - 1) >>> 0;
      carry = v === 0 ? 1 : 0;
    }
  }
  return carry === 0;
}

/** Replaces rows [i, j) of `t` by `n` rows taken from the (lo, hi, exp) arrays of `src`. */
function spliceRows(t: RangeTable, i: number, j: number, src: Uint32Array, n: number, exps: readonly number[]): void {
  const W = t.words;
  const delta = n - (j - i);
  if (delta > 0) t.reserve(delta);
  const tail = t.count - j;
  if (delta !== 0 && tail > 0) {
    t.lo.copyWithin((j + delta) * W, j * W, t.count * W);
    if (t.hi !== t.lo) t.hi.copyWithin((j + delta) * W, j * W, t.count * W);
    if (t.exp) t.exp.copyWithin(j + delta, j, t.count);
  }
  for (let r = 0; r < n; r++) {
    for (let w = 0; w < W; w++) {
      t.lo[(i + r) * W + w] = src[2 * r * W + w]!;
      t.hi[(i + r) * W + w] = src[(2 * r + 1) * W + w]!;
    }
    if (t.exp) t.exp[i + r] = exps[r]!;
  }
  t.count += delta;
}

/**
 * Adds range [lo, hi] (W words at lo[lo0..], hi[hi0..]) to normalized, merged `t` in place:
 * overlapping and adjacent rows merge into one with the later expiry, as `union` does.
 * O(log n) search plus one memmove: the group commit's per-entry step on interval layouts.
 */
export function addRangeInPlace(t: RangeTable, lo: Uint32Array, lo0: number, hi: Uint32Array, hi0: number, exp: number): void {
  const W = t.words;
  // first row whose hi + 1 >= lo (i.e. not entirely before lo - 1)
  const hasPred = stepW(lo, lo0, -1, edTmp, 8, W); // edTmp[8..] = lo - 1
  let a = 0;
  let b = t.count;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (hasPred && cmpW(t.hi, m * W, edTmp, 8, W) < 0) a = m + 1;
    else b = m;
  }
  const i = a;
  // rows i.. whose lo <= hi + 1 merge
  const hasSucc = stepW(hi, hi0, 1, edTmp, 12, W); // edTmp[12..] = hi + 1
  let j = i;
  while (j < t.count && (!hasSucc || cmpW(t.lo, j * W, edTmp, 12, W) <= 0)) j++;
  // merged bounds
  for (let w = 0; w < W; w++) {
    edTmp[w] = lo[lo0 + w]!;
    edTmp[W + w] = hi[hi0 + w]!;
  }
  let e = exp;
  if (j > i) {
    if (cmpW(t.lo, i * W, edTmp, 0, W) < 0) for (let w = 0; w < W; w++) edTmp[w] = t.lo[i * W + w]!;
    if (cmpW(t.hi, (j - 1) * W, edTmp, W, W) > 0) for (let w = 0; w < W; w++) edTmp[W + w] = t.hi[(j - 1) * W + w]!;
    if (t.exp) for (let r = i; r < j; r++) e = laterExpiry(e, t.exp[r]!);
  }
  spliceRows(t, i, j, edTmp, 1, [e]);
}

/** Removes range [lo, hi] from normalized `t` in place; cut rows keep their expiry (as `subtract`). */
export function cutRangeInPlace(t: RangeTable, lo: Uint32Array, lo0: number, hi: Uint32Array, hi0: number): void {
  const W = t.words;
  // first row with hi >= lo
  let a = 0;
  let b = t.count;
  while (a < b) {
    const m = (a + b) >>> 1;
    if (cmpW(t.hi, m * W, lo, lo0, W) < 0) a = m + 1;
    else b = m;
  }
  const i = a;
  let j = i;
  while (j < t.count && cmpW(t.lo, j * W, hi, hi0, W) <= 0) j++;
  if (j === i) return;
  const src = new Uint32Array(4 * W);
  const exps: number[] = [];
  let n = 0;
  if (cmpW(t.lo, i * W, lo, lo0, W) < 0) {
    for (let w = 0; w < W; w++) src[w] = t.lo[i * W + w]!;
    stepW(lo, lo0, -1, src, W, W);
    exps.push(t.exp ? t.exp[i]! : 0);
    n++;
  }
  if (cmpW(t.hi, (j - 1) * W, hi, hi0, W) > 0) {
    stepW(hi, hi0, 1, src, 2 * n * W, W);
    for (let w = 0; w < W; w++) src[(2 * n + 1) * W + w] = t.hi[(j - 1) * W + w]!;
    exps.push(t.exp ? t.exp[j - 1]! : 0);
    n++;
  }
  spliceRows(t, i, j, src, n, exps);
}
