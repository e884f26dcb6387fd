// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * How the corpus compares. Normalisations, all of them:
 * - JSON (check a): both texts are parsed with the same lossless parser (integers beyond 2^53
 *   stay exact), so a bigint counter of the package equals nft's integer literal. Element
 *   `expires` values are dropped on both sides (they count down between the two listings).
 *   Two bugs of nft 1.0.6's JSON output are normalised, only where nft's side shows them:
 *   - a table with exactly one flag (`dormant`): nft 1.0.6 frees the flag's JSON string before
 *     printing it (table_flags_json), so `flags` comes out as freed memory, in practice the
 *     table's name. When nft's `flags` is a string that is no table flag, the package's single
 *     flag (a string) is accepted in its place;
 *   - `[invalid type]`: in statements nft 1.0.6 prints as text, a value whose type it lost is
 *     printed as `0x… [invalid type]` (hex); nft's text is rewritten to the decimal value the
 *     package prints for an integer of unknown type (`0xa020304 [invalid type]` → `167904004`).
 *   Nothing else is normalised: handles come from the same kernel state and must be equal, and
 *   the metainfo must be nft 1.0.6's (the package prints the version of the schema it speaks).
 * - Text (checks b, c, d): exact, byte for byte, including the final newline, except that
 *   `expires <time>` of timed-out elements is dropped on both sides (it counts down, and a
 *   re-committed element starts again from its timeout), and nft 1.0.6's `0x… [invalid type]`
 *   (the same bug as in its JSON, above) becomes the decimal value.
 */
import { isSafeNumber, parse } from 'lossless-json';

const num = (t: string): number | bigint => (isSafeNumber(t) ? Number(t) : /^-?\d+$/.test(t) ? BigInt(t) : Number(t));

const show = (v: unknown): string => {
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  return s === undefined ? String(v) : s.length > 160 ? `${s.slice(0, 160)}…` : s;
};

/** First difference between two parsed JSON values, as "path: ours … nft …", or undefined. */
function firstDiff(ours: unknown, theirs: unknown, path: string): string | undefined {
  if (typeof ours !== typeof theirs || Array.isArray(ours) !== Array.isArray(theirs) || (ours === null) !== (theirs === null)) {
    return `${path}: package ${show(ours)}, nft ${show(theirs)}`;
  }
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    const n = Math.min(ours.length, theirs.length);
    for (let i = 0; i < n; i++) {
      const d = firstDiff(ours[i], theirs[i], `${path}[${i}]`);
      if (d) return d;
    }
    if (ours.length !== theirs.length) return `${path}: package has ${ours.length} items, nft ${theirs.length} (next: ${show(ours.length > n ? ours[n] : theirs[n])})`;
    return undefined;
  }
  if (typeof ours === 'object' && ours !== null && theirs !== null) {
    const a = ours as Record<string, unknown>;
    const b = theirs as Record<string, unknown>;
    for (const k of Object.keys(b)) {
      if (!(k in a)) return `${path}.${k}: missing in the package's listing (nft ${show(b[k])})`;
      const d = firstDiff(a[k], b[k], `${path}.${k}`);
      if (d) return d;
    }
    for (const k of Object.keys(a)) if (!(k in b)) return `${path}.${k}: only in the package's listing (${show(a[k])})`;
    return undefined;
  }
  return ours === theirs ? undefined : `${path}: package ${show(ours)}, nft ${show(theirs)}`;
}

/** Drops `expires` from element objects (see the normalisations above). */
function dropExpires(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropExpires);
  if (typeof v !== 'object' || v === null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === 'elem' && typeof x === 'object' && x !== null && !Array.isArray(x) && 'val' in x) {
      const { expires: _drop, ...rest } = x as Record<string, unknown>;
      out[k] = dropExpires(rest);
    } else out[k] = dropExpires(x);
  }
  return out;
}

const TABLE_FLAGS: ReadonlySet<string> = new Set(['dormant', 'owner', 'persist']);
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `0x… [invalid type]` → the decimal value (see the normalisations above), in every string. */
function fixInvalidType(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/\b0x([0-9a-f]+) \[invalid type\]/g, (_m, hex: string) => BigInt(`0x${hex}`).toString());
  if (Array.isArray(v)) return v.map(fixInvalidType);
  if (!isRecord(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fixInvalidType(x)]));
}

/**
 * nft 1.0.6's freed table flag (see the normalisations above): where nft's item i is a table
 * whose `flags` is a string that is no flag and the package's item i is the same table with one
 * flag, nft's item takes the package's flag.
 */
function fixTableFlags(ours: unknown, theirs: unknown): unknown {
  if (!isRecord(ours) || !isRecord(theirs) || !Array.isArray(ours.nftables) || !Array.isArray(theirs.nftables)) return theirs;
  const mine = ours.nftables as unknown[];
  const items = (theirs.nftables as unknown[]).map((item, i) => {
    const t = isRecord(item) && isRecord(item.table) ? item.table : undefined;
    const o = mine[i];
    const p = isRecord(o) && isRecord(o.table) ? o.table : undefined;
    if (!t || !p || typeof t.flags !== 'string' || TABLE_FLAGS.has(t.flags)) return item;
    if (p.name !== t.name || p.family !== t.family || typeof p.flags !== 'string' || !TABLE_FLAGS.has(p.flags)) return item;
    return { ...(item as Record<string, unknown>), table: { ...t, flags: p.flags } };
  });
  return { ...theirs, nftables: items };
}

/** Compares the package's JSON text with nft's; undefined when equal (see the normalisations above). */
export function compareDocuments(oursText: string, nftText: string): string | undefined {
  const ours = dropExpires(parse(oursText, undefined, num));
  const theirs = fixTableFlags(ours, fixInvalidType(dropExpires(parse(nftText, undefined, num))));
  return firstDiff(ours, theirs, '');
}

/** Drops the countdown of timed-out elements, rewrites `[invalid type]` values (see the normalisations above). */
export const normaliseText = (text: string): string =>
  text
    .replace(/ expires (?:\d+d)?(?:\d+h)?(?:\d+m)?(?:\d+s)?(?:\d+ms)?/g, '')
    .replace(/\b0x([0-9a-f]+) \[invalid type\]/g, (_m, hex: string) => BigInt(`0x${hex}`).toString());

/** First differing line of two texts, or undefined when they are equal. */
export function firstTextDifference(oursRaw: string, theirsRaw: string): string | undefined {
  const ours = normaliseText(oursRaw);
  const theirs = normaliseText(theirsRaw);
  if (ours === theirs) return undefined;
  const a = ours.split('\n');
  const b = theirs.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: package ${JSON.stringify(a[i] ?? '<end>')}, nft ${JSON.stringify(b[i] ?? '<end>')}`;
  }
  return 'texts differ';
}
