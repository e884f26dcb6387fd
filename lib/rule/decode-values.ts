// SPDX-License-Identifier: GPL-2.0-or-later
/** Decoding helpers: load expressions back to fields, anonymous set elements back to values. */
import type { DecodedExpr } from '../expr/registry';
import { PAYLOAD_BASE, SET_ELEM_F, SET_F } from '../kernel';
import { compareBytes, decrementBytes, rangeToPrefix } from './bytes';
import type { Codec } from './datatypes';
import type { DecodeContext, ProtoState } from './context';
import { bytes, num, TYPE_ATTR } from './exprs';
import { FIELDS, FIELD_NAMES, FLAG_FIELDS, payloadFields } from './fields';
import type { Field, FlagField, Range, Scalar } from './statement';

export type LoadedField =
  | { readonly kind: 'field'; readonly field: Field }
  /** A byte-aligned address prefix load (`ip saddr 10.0.0.0/8` loads 1 byte). */
  | { readonly kind: 'short'; readonly field: Field; readonly len: number }
  /** nft's merged payload load covering several fields. */
  | { readonly kind: 'merged'; readonly fields: readonly Field[] }
  | { readonly kind: 'flags'; readonly field: FlagField };

/** Which field a load expression (into `dreg`) reads, in the current protocol context. */
export function fieldOfLoad(e: DecodedExpr, proto: ProtoState): LoadedField | undefined {
  if ('unknown' in e) return undefined;
  const key = num(e, 'key');
  if (e.type === 'meta') {
    const f = FIELD_NAMES.find((n) => FIELDS[n].load.kind === 'meta' && (FIELDS[n].load as { key: number }).key === key);
    return f ? { kind: 'field', field: f } : undefined;
  }
  if (e.type === 'ct') {
    if (num(e, 'dir') !== undefined) return undefined;
    const flag = (Object.keys(FLAG_FIELDS) as FlagField[]).find((n) => FLAG_FIELDS[n].load.kind === 'ct' && (FLAG_FIELDS[n].load as { key: number }).key === key);
    if (flag) return { kind: 'flags', field: flag };
    const f = FIELD_NAMES.find((n) => FIELDS[n].load.kind === 'ct' && (FIELDS[n].load as { key: number }).key === key);
    return f ? { kind: 'field', field: f } : undefined;
  }
  const type: string = e.type;
  if (type === 'exthdr') {
    const f = FIELDS['tcp option maxseg size'];
    const l = f.load as { op: number; type: number; offset: number };
    if (num(e, 'op') === l.op && num(e, TYPE_ATTR.exthdr) === l.type && num(e, 'offset') === l.offset && num(e, 'len') === f.codec.len && !num(e, 'flags')) {
      return { kind: 'field', field: 'tcp option maxseg size' };
    }
    return undefined;
  }
  if (e.type !== 'payload') return undefined;
  const base = num(e, 'base');
  const offset = num(e, 'offset');
  const len = num(e, 'len');
  if (base === undefined || offset === undefined || len === undefined) return undefined;
  if (base === PAYLOAD_BASE.transport && proto.l4 === 6 && offset === 13 && len === 1) return { kind: 'flags', field: 'tcp flags' };
  const fields = payloadFields(base, proto.net, proto.l4);
  const at = (o: number): Field | undefined => fields.find((f) => (FIELDS[f].load as { offset: number }).offset === o);
  const first = at(offset);
  if (!first) return undefined;
  const flen = FIELDS[first].codec.len;
  if (flen === len) return { kind: 'field', field: first };
  if (len < flen && FIELDS[first].codec.bits !== undefined) return { kind: 'short', field: first, len };
  const merged: Field[] = [];
  let o = offset;
  while (o < offset + len) {
    const f = at(o);
    if (!f) return undefined;
    merged.push(f);
    o += FIELDS[f].codec.len;
  }
  return o === offset + len ? { kind: 'merged', fields: merged } : undefined;
}

/** Interval items: single values, CIDRs (addresses) or ranges, from inclusive bounds. */
function intervalItem(codec: Codec, lo: Uint8Array, hi: Uint8Array): Scalar | Range {
  if (compareBytes(lo, hi) === 0) return codec.decode(lo);
  if (codec.bits !== undefined) {
    const p = rangeToPrefix(lo, hi);
    if (p !== undefined) return `${codec.decode(lo)}/${p}`;
  }
  return { range: [codec.decode(lo), codec.decode(hi)] };
}

/** The items of an anonymous set, in key order; undefined if it is not a plain anonymous set. */
export function anonSetItems(ctx: DecodeContext, name: string | undefined, codec: Codec): (Scalar | Range)[] | undefined {
  if (name === undefined) return undefined;
  const got = ctx.anonSet(name);
  if (!got || (got.set.flags & SET_F.anonymous) === 0 || (got.set.flags & SET_F.map) !== 0) return undefined;
  const { elements: el } = got;
  if (el.keyLen !== codec.len) return undefined;
  const keys: { key: Uint8Array; end: boolean }[] = [];
  for (let i = 0; i < el.count; i++) {
    keys.push({ key: el.keys.subarray(i * el.keyLen, (i + 1) * el.keyLen), end: ((el.flags[i] ?? 0) & SET_ELEM_F.intervalEnd) !== 0 });
  }
  keys.sort((a, b) => compareBytes(a.key, b.key) || Number(b.end) - Number(a.end));
  if ((got.set.flags & SET_F.interval) === 0) return keys.map((k) => codec.decode(k.key));
  const items: (Scalar | Range)[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (!k || k.end) continue;
    const next = keys[i + 1];
    const hi = next && next.end ? decrementBytes(next.key) : new Uint8Array(codec.len).fill(0xff);
    items.push(intervalItem(codec, k.key, hi));
    if (next && next.end) i++;
  }
  return items;
}

/** Bit names of a flag field value; undefined if some bit has no name. */
export function flagNames(table: Readonly<Record<string, number>>, bits: number): string[] | undefined {
  const names: string[] = [];
  let left = bits;
  for (const [name, bit] of Object.entries(table).sort((a, b) => a[1] - b[1])) {
    if (left & bit) {
      names.push(name);
      left &= ~bit;
    }
  }
  return left === 0 && names.length > 0 ? names : undefined;
}

export const dataOf = (e: DecodedExpr | undefined, name: string): Uint8Array | undefined => (e ? bytes(e, name) : undefined);
