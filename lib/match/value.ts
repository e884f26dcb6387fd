// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Normalises what a helper receives into the canonical statement value decodeRule() returns:
 * arrays become `{ set }` (one element: the element itself), `"lo-hi"` strings become ranges,
 * names and addresses take their canonical spelling (`"FE80::1"` -> `"fe80::1"`, `6` -> `"tcp"`).
 */
import { FIELDS } from '../rule/fields';
import type { Field, MatchOp, MatchStatement, MatchValue, Range, Scalar } from '../rule/statement';
import { parsePrefix } from '../rule/compile-match';
import { typeError } from '../rule/errors';

/** What helpers accept: a value, `"lo-hi"`, `{ range }`, `{ set }` or an array (a set). */
export type ValueInput = Scalar | Range | { readonly set: readonly (Scalar | Range)[] } | readonly (Scalar | Range)[];

function canonScalar(field: Field, v: Scalar): Scalar | Range {
  const codec = FIELDS[field].codec;
  if (typeof v === 'string') {
    const slash = v.indexOf('/');
    if (codec.bits !== undefined && slash > 0) {
      const { addr, bits } = parsePrefix(codec, v, field);
      return `${codec.decode(addr)}/${bits}`;
    }
    const dash = codec.bits !== undefined || /^\d+-\d+$/.test(v) ? v.indexOf('-', 1) : -1;
    if (dash > 0 && !(codec.bits === 128 && v.includes(':') && !v.slice(dash + 1).includes(':'))) {
      const lo = v.slice(0, dash);
      const hi = v.slice(dash + 1);
      const parse = (x: string): Scalar => (codec.bits === undefined && /^\d+$/.test(x) ? Number(x) : x);
      return canonRange(field, { range: [parse(lo), parse(hi)] });
    }
  }
  if (codec.id === FIELDS.iifname.codec.id) {
    codec.encode(v, field);
    return v;
  }
  return codec.decode(codec.encode(v, field));
}

function canonRange(field: Field, r: Range): Range {
  const codec = FIELDS[field].codec;
  return { range: [codec.decode(codec.encode(r.range[0], field)), codec.decode(codec.encode(r.range[1], field))] };
}

function canonItem(field: Field, v: unknown): Scalar | Range {
  if (typeof v === 'string' || typeof v === 'number') return canonScalar(field, v);
  if (typeof v === 'object' && v !== null && 'range' in v && Array.isArray((v as Range).range)) return canonRange(field, v as Range);
  throw typeError(`a value, "lo-hi" string, { range } or array (${FIELDS[field].codec.what})`, field, v);
}

/** The canonical MatchValue for a field. */
export function toValue(field: Field, v: ValueInput): MatchValue {
  const items = Array.isArray(v) ? v : typeof v === 'object' && v !== null && 'set' in v ? (v as { set: readonly unknown[] }).set : undefined;
  if (items === undefined) return canonItem(field, v);
  if (items.length === 0) throw typeError('a non-empty array of set elements', field, v);
  const canon = items.map((i) => canonItem(field, i));
  return canon.length === 1 ? (canon[0] as Scalar | Range) : { set: canon };
}

/** Builds a match statement; op `==` is left out, as nft prints it. */
export function match(field: Field, v: ValueInput, op: MatchOp = '=='): MatchStatement {
  const value = toValue(field, v);
  return op === '==' ? { kind: 'match', field, value } : { kind: 'match', field, op, value };
}
