// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Range tables -> packed element descriptors (lib/native.ts `ElementsDesc`): keys in network
 * byte order, one column per attribute, no object per element.
 *
 * Interval sets (rbtree) take a range as two elements: the start key, and the *exclusive*
 * end key flagged NFT_SET_ELEM_INTERVAL_END (10.0.0.0/8 -> [10.0.0.0, 11.0.0.0)). A range
 * reaching the top of the address space is sent as its start element only, as nft does.
 * Adding to an empty interval set, nft (1.0.6, src/intervals.c set_to_intervals) also writes
 * an interval-end element at the zero address unless the first range starts there; the caller
 * asks for it with `zeroEnd` (see Blocklist: the layout is then identical to nft's).
 */
import type { ElementsDesc } from '../native';
import { SET_ELEM_F } from '../kernel';
import type { RangeTable } from './ranges';

/** Where the elements go. */
export interface ElementTarget {
  readonly family: number;
  readonly table: string;
  readonly set: string;
}

/**
 * How expiry is sent: a fixed timeout, or each row's remaining time from its expiry (with
 * the ban's original duration from `durations`, keyed by expiry, when known).
 *
 * Every element with a timeout also carries NFTA_SET_ELEM_EXPIRATION (the time left): Linux
 * (6.18 verified) only refreshes an existing element's expiry when the add carries an
 * expiration or a different timeout, so re-banning with the same timeout would otherwise
 * keep the old expiry.
 */
export type TimeoutMode = { readonly fixedMs: number } | { readonly fromExpiry: number; readonly durations?: ReadonlyMap<number, number> } | null;

/** Writes W words of src (from o) into keys at byte `at`, in network byte order. */
export function putWords(keys: Uint8Array, at: number, src: Uint32Array, o: number, W: number): void {
  for (let w = 0; w < W; w++) {
    const v = src[o + w]!;
    keys[at] = v >>> 24;
    keys[at + 1] = (v >>> 16) & 255;
    keys[at + 2] = (v >>> 8) & 255;
    keys[at + 3] = v & 255;
    at += 4;
  }
}

/** Time left (ms) of row i: at least 1 ms so an element about to expire is not sent as "no timeout"; 0 = none. */
function expirationFor(t: RangeTable, i: number, mode: TimeoutMode): number {
  if (mode === null) return 0;
  if ('fixedMs' in mode) return mode.fixedMs;
  const e = t.exp ? t.exp[i]! : 0;
  return e === 0 ? 0 : Math.max(1, Math.round(e - mode.fromExpiry));
}

/** Timeout (the ban's duration, ms) of row i whose time left is `left`: never below it (the kernel refuses expiration > timeout). */
function timeoutFor(t: RangeTable, i: number, mode: TimeoutMode, left: number): number {
  if (mode === null || left === 0) return 0;
  if ('fixedMs' in mode) return mode.fixedMs;
  const d = mode.durations?.get(t.exp![i]!);
  return d !== undefined && d >= left ? d : left;
}

/**
 * Builds the element descriptor for rows [from, to) of `t`: single keys for hash layouts,
 * start/end pairs for interval layouts.
 */
export function encodeElements(
  verb: ElementsDesc['verb'],
  target: ElementTarget,
  t: RangeTable,
  interval: boolean,
  timeouts: TimeoutMode,
  from = 0,
  to = t.count,
  zeroEnd = false,
): ElementsDesc {
  const W = t.words;
  const keyLen = W * 4;
  const rows = to - from;
  if (!interval) {
    const keys = new Uint8Array(rows * keyLen);
    for (let i = 0; i < rows; i++) putWords(keys, i * keyLen, t.lo, (from + i) * W, W);
    let timeoutsMs: Float64Array | undefined;
    let expirationsMs: Float64Array | undefined;
    if (timeouts !== null && verb !== 'delete' && verb !== 'destroy') {
      timeoutsMs = new Float64Array(rows);
      expirationsMs = new Float64Array(rows);
      for (let i = 0; i < rows; i++) {
        const left = expirationFor(t, from + i, timeouts);
        expirationsMs[i] = left;
        timeoutsMs[i] = timeoutFor(t, from + i, timeouts, left);
      }
    }
    return { object: 'elements', verb, ...target, count: rows, keyLen, keys, ...(timeoutsMs ? { timeoutsMs, expirationsMs: expirationsMs! } : {}) };
  }
  // Count elements: 2 per range, 1 for a range ending at the top of the address space
  // (+1 for the leading zero end element, which has no timeout: it is all zeros below).
  let count = zeroEnd ? 1 : 0;
  for (let i = from; i < to; i++) count += isTop(t.hi, i * W, W) ? 1 : 2;
  const keys = new Uint8Array(count * keyLen);
  const flags = new Uint32Array(count);
  const withT = timeouts !== null && verb !== 'delete' && verb !== 'destroy';
  const timeoutsMs = withT ? new Float64Array(count) : undefined;
  const expirationsMs = withT ? new Float64Array(count) : undefined;
  const end = new Uint32Array(4);
  let k = 0;
  if (zeroEnd) flags[k++] = SET_ELEM_F.intervalEnd;
  for (let i = from; i < to; i++) {
    const o = i * W;
    const left = withT ? expirationFor(t, i, timeouts) : 0;
    putWords(keys, k * keyLen, t.lo, o, W);
    if (timeoutsMs) {
      timeoutsMs[k] = timeoutFor(t, i, timeouts, left);
      expirationsMs![k] = left;
    }
    k++;
    if (isTop(t.hi, o, W)) continue;
    // exclusive end = hi + 1
    let carry = 1;
    for (let w = W - 1; w >= 0; w--) {
      const v = t.hi[o + w]! + carry;
      end[w] = v >>> 0;
      carry = v > 0xffffffff ? 1 : 0;
    }
    putWords(keys, k * keyLen, end, 0, W);
    flags[k] = SET_ELEM_F.intervalEnd;
    // No timeout (nor expiration) on the end element: the kernel refuses one (EINVAL); nft omits it too.
    k++;
  }
  return { object: 'elements', verb, ...target, count, keyLen, keys, flags, ...(timeoutsMs ? { timeoutsMs, expirationsMs: expirationsMs! } : {}) };
}

/** Whether an interval op carries nft's leading zero end element (an end flag on the all-zero key). */
export function hasZeroEnd(keys: Uint8Array, flags: Uint32Array | undefined, count: number, keyLen: number): boolean {
  if (!flags) return false;
  for (let i = 0; i < count; i++) {
    if ((flags[i]! & SET_ELEM_F.intervalEnd) === 0) continue;
    let zero = true;
    for (let b = i * keyLen; b < (i + 1) * keyLen; b++) {
      if (keys[b] !== 0) {
        zero = false;
        break;
      }
    }
    if (zero) return true;
  }
  return false;
}

function isTop(a: Uint32Array, o: number, W: number): boolean {
  for (let w = 0; w < W; w++) if (a[o + w] !== 0xffffffff) return false;
  return true;
}

/** Packs a single address (W words at a[o..)) as a network-order key. */
export function packKey(a: Uint32Array, o: number, W: number): Uint8Array {
  const k = new Uint8Array(W * 4);
  putWords(k, 0, a, o, W);
  return k;
}

/**
 * Decodes dumped elements (keys + INTERVAL_END flags) back into a range table. Interval
 * dumps come in any order: starts and ends are sorted, then each start is paired with the
 * next end (a start with no end runs to the top of the address space).
 */
export function decodeElements(
  t: RangeTable,
  keys: Uint8Array,
  flags: Uint32Array | undefined,
  count: number,
  interval: boolean,
  expiresAt: (i: number) => number,
): void {
  const W = t.words;
  const keyLen = W * 4;
  const words = new Uint32Array(count * W);
  for (let i = 0; i < count; i++) {
    for (let w = 0; w < W; w++) {
      const p = i * keyLen + 4 * w;
      words[i * W + w] = ((keys[p]! << 24) | (keys[p + 1]! << 16) | (keys[p + 2]! << 8) | keys[p + 3]!) >>> 0;
    }
  }
  if (!interval) {
    for (let i = 0; i < count; i++) t.push(words, i * W, words, i * W, expiresAt(i));
    return;
  }
  const order = Array.from({ length: count }, (_, i) => i);
  order.sort((x, y) => {
    for (let w = 0; w < W; w++) {
      const a = words[x * W + w]!;
      const b = words[y * W + w]!;
      if (a !== b) return a < b ? -1 : 1;
    }
    // at equal keys an end (of the previous range) sorts before a start
    const ex = (flags?.[x] ?? 0) & SET_ELEM_F.intervalEnd;
    const ey = (flags?.[y] ?? 0) & SET_ELEM_F.intervalEnd;
    return ey - ex;
  });
  const top = new Uint32Array(W).fill(0xffffffff);
  const hi = new Uint32Array(4);
  let open = -1;
  for (const i of order) {
    const isEnd = ((flags?.[i] ?? 0) & SET_ELEM_F.intervalEnd) !== 0;
    if (!isEnd) {
      if (open >= 0) t.push(words, open * W, top, 0, expiresAt(open));
      open = i;
    } else if (open >= 0) {
      // inclusive hi = end - 1
      let borrow = 1;
      for (let w = W - 1; w >= 0; w--) {
        const v = words[i * W + w]! - borrow;
        hi[w] = v >>> 0;
        borrow = v < 0 ? 1 : 0;
      }
      t.push(words, open * W, hi, 0, expiresAt(open));
      open = -1;
    }
    // an end without a start is nft's optional leading 0.0.0.0 end marker: ignored
  }
  if (open >= 0) t.push(words, open * W, top, 0, expiresAt(open));
}
