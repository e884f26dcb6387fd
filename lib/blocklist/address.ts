// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Allocation-free parsing of one blocklist entry (an IPv4/IPv6 address, CIDR prefix, or
 * `start-end` range) from bytes, and formatting back to text.
 *
 * Why not ipaddr.js on the hot path: it allocates an object (and arrays) per address and
 * tries several regular expressions; parsing 1M IPv4 lines took ~10x longer with it than
 * this byte scanner (see docs/blocklist.md for the measurement). ipaddr.js remains the
 * reference: the unit tests check this parser against it on random and edge-case inputs.
 *
 * Addresses are held as 32-bit words, most significant first (IPv4: 1 word, IPv6: 4 words),
 * which is also the kernel's key layout once each word is written big-endian.
 */

/** Parse status codes (negative) returned by {@link parseEntryBytes}. */
export const PARSE_ERR = {
  empty: -1,
  syntax: -2,
  octet: -3,
  prefix: -4,
  range: -5,
  mixed: -6,
} as const;

/** Human-readable reason for a parse status code. */
export function parseErrorReason(code: number): string {
  switch (code) {
    case PARSE_ERR.empty:
      return 'empty entry';
    case PARSE_ERR.octet:
      return 'IPv4 octet out of range (0-255, no leading zeros)';
    case PARSE_ERR.prefix:
      return 'prefix length out of range (0-32 for IPv4, 0-128 for IPv6)';
    case PARSE_ERR.range:
      return 'range end is below its start';
    case PARSE_ERR.mixed:
      return 'range mixes IPv4 and IPv6';
    default:
      return 'not an IPv4/IPv6 address, CIDR prefix or range';
  }
}

/**
 * Output of {@link parseEntryBytes}: words 0..3 = first address, 4..7 = last address
 * (inclusive). IPv4 uses words 0 and 4 only. Reused between calls: copy what you keep.
 */
export const scratch = new Uint32Array(8);
/** Prefix length of the last parsed entry, or -1 when it was a `start-end` range. */
export let lastPrefix = -1;
/** Whether the last parsed prefix had host bits set (they were cleared, as nft does). */
export let lastHostBits = false;

const v6tmp = new Uint32Array(4);

/** Parses an IPv4 dotted quad in b[s..e) into a number, or returns a negative status. */
export function parseV4(b: Uint8Array | string, s: number, e: number, isStr: boolean): number {
  let acc = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = s; i < e; i++) {
    const c = isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!;
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return PARSE_ERR.octet; // leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return PARSE_ERR.octet;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return PARSE_ERR.syntax;
      acc = acc * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return PARSE_ERR.syntax;
    }
  }
  if (dots !== 3 || digits === 0) return PARSE_ERR.syntax;
  return acc * 256 + octet;
}

function ch(b: Uint8Array | string, i: number, isStr: boolean): number {
  return isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!;
}

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Parses an IPv6 address in b[s..e) into out[0..4); returns 0 or a negative status. */
function parseV6(b: Uint8Array | string, s: number, e: number, isStr: boolean, out: Uint32Array, o: number): number {
  // Up to 8 groups of 16 bits; `gap` = index where "::" was seen (-1 if none).
  const g = groups;
  let n = 0;
  let gap = -1;
  let i = s;
  if (e - s < 2) return PARSE_ERR.syntax;
  if (ch(b, i, isStr) === 58) {
    if (ch(b, i + 1, isStr) !== 58) return PARSE_ERR.syntax;
    gap = 0;
    i += 2;
  }
  while (i < e) {
    // One group, or a trailing dotted IPv4.
    let v = 0;
    let d = 0;
    const gs = i;
    while (i < e) {
      const h = hexVal(ch(b, i, isStr));
      if (h < 0) break;
      v = v * 16 + h;
      i++;
      if (++d > 4) return PARSE_ERR.syntax;
    }
    if (i < e && ch(b, i, isStr) === 46) {
      // embedded IPv4 (::ffff:1.2.3.4): must be the last thing and leave room for 2 groups
      if (n > 6) return PARSE_ERR.syntax;
      const v4 = parseV4(b, gs, e, isStr);
      if (v4 < 0) return v4;
      g[n++] = Math.floor(v4 / 65536);
      g[n++] = v4 & 0xffff;
      i = e;
      break;
    }
    if (d === 0) return PARSE_ERR.syntax;
    if (n >= 8) return PARSE_ERR.syntax;
    g[n++] = v;
    if (i === e) break;
    if (ch(b, i, isStr) !== 58) return PARSE_ERR.syntax;
    i++;
    if (i < e && ch(b, i, isStr) === 58) {
      if (gap >= 0) return PARSE_ERR.syntax;
      gap = n;
      i++;
    } else if (i === e) {
      return PARSE_ERR.syntax; // trailing single ':'
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return PARSE_ERR.syntax;
  // Expand: groups before the gap, zeros, groups after.
  const full = groups8;
  const tail = gap < 0 ? 0 : n - gap;
  const head = gap < 0 ? n : gap;
  for (let k = 0; k < 8; k++) full[k] = 0;
  for (let k = 0; k < head; k++) full[k] = g[k]!;
  for (let k = 0; k < tail; k++) full[8 - tail + k] = g[head + k]!;
  for (let w = 0; w < 4; w++) out[o + w] = ((full[2 * w]! << 16) | full[2 * w + 1]!) >>> 0;
  return 0;
}
const groups = new Uint32Array(8);
const groups8 = new Uint32Array(8);

/** Sets out[o..o+W) to the last address of the prefix `len` starting at out[o..) (mask applied). */
function applyPrefix(words: number, len: number, lo: Uint32Array, lo0: number, hi: Uint32Array, hi0: number): boolean {
  let hostBits = false;
  for (let w = 0; w < words; w++) {
    const bitsHere = Math.max(0, Math.min(32, len - 32 * w));
    const mask = bitsHere === 0 ? 0 : bitsHere === 32 ? 0xffffffff : (0xffffffff << (32 - bitsHere)) >>> 0;
    const v = lo[lo0 + w]!;
    const masked = (v & mask) >>> 0;
    if (masked !== v) hostBits = true;
    lo[lo0 + w] = masked;
    hi[hi0 + w] = (masked | ~mask) >>> 0;
  }
  return hostBits;
}

function parsePrefixLen(b: Uint8Array | string, s: number, e: number, isStr: boolean, max: number): number {
  if (s >= e || e - s > 3) return PARSE_ERR.prefix;
  let v = 0;
  for (let i = s; i < e; i++) {
    const c = isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!;
    if (c < 48 || c > 57) return PARSE_ERR.syntax;
    v = v * 10 + (c - 48);
  }
  if (e - s > 1 && (isStr ? (b as string).charCodeAt(s) : (b as Uint8Array)[s]!) === 48) return PARSE_ERR.prefix;
  return v > max ? PARSE_ERR.prefix : v;
}

function isV6(b: Uint8Array | string, s: number, e: number, isStr: boolean): boolean {
  for (let i = s; i < e; i++) {
    const c = isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!;
    if (c === 58) return true;
    if (c === 46) return false;
  }
  return false;
}

function parseOne(b: Uint8Array | string, s: number, e: number, isStr: boolean, lo: number): number {
  if (isV6(b, s, e, isStr)) {
    const r = parseV6(b, s, e, isStr, scratch, lo);
    return r < 0 ? r : 6;
  }
  const v = parseV4(b, s, e, isStr);
  if (v < 0) return v;
  scratch[lo] = v;
  return 4;
}

/**
 * Parses one entry from `b[s..e)` (already trimmed, no comment) into {@link scratch}.
 * Accepts `addr`, `addr/len` and `addr-addr`. Returns 4 or 6 (the family), or a negative
 * {@link PARSE_ERR} code. Allocates nothing.
 */
export function parseEntryBytes(b: Uint8Array | string, s: number, e: number): number {
  const isStr = typeof b === 'string';
  if (s >= e) return PARSE_ERR.empty;
  let slash = -1;
  let dash = -1;
  for (let i = s; i < e; i++) {
    const c = isStr ? (b as string).charCodeAt(i) : (b as Uint8Array)[i]!;
    if (c === 47) {
      if (slash >= 0 || dash >= 0) return PARSE_ERR.syntax;
      slash = i;
    } else if (c === 45) {
      if (dash >= 0 || slash >= 0) return PARSE_ERR.syntax;
      dash = i;
    }
  }
  lastHostBits = false;
  if (dash >= 0) {
    const f1 = parseOne(b, s, dash, isStr, 0);
    if (f1 < 0) return f1;
    const f2 = parseOne(b, dash + 1, e, isStr, 4);
    if (f2 < 0) return f2;
    if (f1 !== f2) return PARSE_ERR.mixed;
    const words = f1 === 4 ? 1 : 4;
    if (compareWords(scratch, 0, scratch, 4, words) > 0) return PARSE_ERR.range;
    lastPrefix = -1;
    return f1;
  }
  const f = parseOne(b, s, slash >= 0 ? slash : e, isStr, 0);
  if (f < 0) return f;
  const words = f === 4 ? 1 : 4;
  const max = words * 32;
  let len = max;
  if (slash >= 0) {
    len = parsePrefixLen(b, slash + 1, e, isStr, max);
    if (len < 0) return len;
  }
  lastHostBits = applyPrefix(words, len, scratch, 0, scratch, 4);
  lastPrefix = len;
  return f;
}

/** Compares two W-word addresses: negative, 0, positive. */
export function compareWords(a: Uint32Array, ao: number, b: Uint32Array, bo: number, words: number): number {
  for (let w = 0; w < words; w++) {
    const x = a[ao + w]!;
    const y = b[bo + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Formats an IPv4 address held as a u32. */
export function formatV4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Formats an IPv6 address held as 4 words at a[o..o+4), in RFC 5952 form (as nft prints). */
export function formatV6(a: Uint32Array, o: number): string {
  const g: number[] = [];
  for (let w = 0; w < 4; w++) {
    const v = a[o + w]!;
    g.push(v >>> 16, v & 0xffff);
  }
  // Longest run of >= 2 zero groups, first one on ties.
  let bestS = -1;
  let bestL = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestL) {
      bestS = i;
      bestL = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  // IPv4-mapped addresses print with a dotted tail (::ffff:1.2.3.4), as inet_ntop does.
  if (bestS === 0 && bestL === 5 && g[5] === 0xffff) {
    return `::ffff:${formatV4(a[o + 3]!)}`;
  }
  if (bestL < 2) return hex(g);
  return `${hex(g.slice(0, bestS))}::${hex(g.slice(bestS + bestL))}`;
}

/** Formats a W-word address. */
export function formatWords(a: Uint32Array, o: number, words: number): string {
  return words === 1 ? formatV4(a[o]!) : formatV6(a, o);
}
