// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Normalises what a helper receives into the canonical value `nft -j list ruleset` prints:
 * arrays become `{ set }` (one element: the element itself), `"lo-hi"` strings become ranges,
 * CIDRs prefixes, names and addresses take their canonical spelling (`"FE80::1"` -> `"fe80::1"`,
 * `6` -> `"tcp"`), and each field becomes the JSON expression that loads it.
 */
import { FIELDS } from '../rule/fields';
import type { Field, MatchOp, MatchValue, Range, Scalar } from '../rule/statement';
import { prefixMask } from '../rule/bytes';
import type { Codec } from '../rule/datatypes';
import { rangeError, typeError } from '../rule/errors';
import type { JExpr, JMatchStmt, JRelOp } from '../nft/schema';

/** An address or CIDR of a prefix-capable type: its bytes and prefix length (host bits refused). */
function parsePrefix(codec: Codec, v: string, where: string): { addr: Uint8Array; bits: number } {
  const bitsMax = codec.bits ?? 0;
  const slash = v.indexOf('/');
  const addr = codec.encode(slash < 0 ? v : v.slice(0, slash), where);
  if (slash < 0) return { addr, bits: bitsMax };
  const lenText = v.slice(slash + 1);
  const bits = /^\d{1,3}$/.test(lenText) ? Number(lenText) : NaN;
  if (!(bits >= 1 && bits <= bitsMax)) throw rangeError(`a prefix length of 1-${bitsMax}`, where, v);
  const mask = prefixMask(bits, addr.length);
  if (addr.some((b, i) => (b & ~(mask[i] ?? 0) & 0xff) !== 0)) throw rangeError('a CIDR without host bits set', where, v);
  return { addr, bits };
}

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

const payload = (protocol: string, field: string): JExpr => ({ payload: { protocol, field } });
const meta = (key: string): JExpr => ({ meta: { key } });
const ct = (key: string): JExpr => ({ ct: { key } });

/** The JSON expression that loads each field, as `nft -j` prints it. */
const FIELD_EXPR: Readonly<Record<Field, JExpr>> = {
  'ip saddr': payload('ip', 'saddr'),
  'ip daddr': payload('ip', 'daddr'),
  'ip protocol': payload('ip', 'protocol'),
  'ip ttl': payload('ip', 'ttl'),
  'ip6 saddr': payload('ip6', 'saddr'),
  'ip6 daddr': payload('ip6', 'daddr'),
  'ip6 nexthdr': payload('ip6', 'nexthdr'),
  'ip6 hoplimit': payload('ip6', 'hoplimit'),
  'tcp sport': payload('tcp', 'sport'),
  'tcp dport': payload('tcp', 'dport'),
  'udp sport': payload('udp', 'sport'),
  'udp dport': payload('udp', 'dport'),
  'th sport': payload('th', 'sport'),
  'th dport': payload('th', 'dport'),
  'icmp type': payload('icmp', 'type'),
  'icmpv6 type': payload('icmpv6', 'type'),
  'tcp option maxseg size': { 'tcp option': { name: 'maxseg', field: 'size' } },
  'meta l4proto': meta('l4proto'),
  'meta nfproto': meta('nfproto'),
  'meta protocol': meta('protocol'),
  'meta pkttype': meta('pkttype'),
  'meta mark': meta('mark'),
  iif: meta('iif'),
  oif: meta('oif'),
  iifname: meta('iifname'),
  oifname: meta('oifname'),
  'ct direction': ct('direction'),
  'ct mark': ct('mark'),
};

/**
 * The JSON expression of a field (`'tcp dport'` -> `{ payload: { protocol: 'tcp', field: 'dport' } }`).
 * @throws TypeError for a name that is not a field.
 */
export function fieldExpr(field: Field, where = 'field'): JExpr {
  const e = Object.prototype.hasOwnProperty.call(FIELD_EXPR, field) ? FIELD_EXPR[field] : undefined;
  if (e === undefined) throw typeError(`a field (${Object.keys(FIELD_EXPR).join(', ')})`, where, field);
  // A fresh object per use: statements are plain data a caller may change.
  return copyExpr(e);
}

/** A copy of a field expression (one or two levels of plain objects). */
function copyExpr(e: JExpr): JExpr {
  const [k, v] = Object.entries(e as Record<string, Record<string, unknown>>)[0] as [string, Record<string, unknown>];
  return { [k]: { ...v } } as JExpr;
}

/** One canonical scalar as JSON: `"10.0.0.0/8"` of an address field is a prefix. */
function scalarJson(field: Field, v: Scalar): JExpr {
  if (typeof v === 'string' && FIELDS[field].codec.bits !== undefined) {
    const slash = v.indexOf('/');
    const len = slash > 0 ? Number(v.slice(slash + 1)) : NaN;
    // A full-length prefix is the address itself (nft lists `ip saddr 10.0.0.1/32` as 10.0.0.1).
    if (slash > 0) return len === FIELDS[field].codec.bits ? v.slice(0, slash) : { prefix: { addr: v.slice(0, slash), len } };
  }
  return v;
}

function itemJson(field: Field, v: Scalar | Range): JExpr {
  return typeof v === 'object' ? { range: [scalarJson(field, v.range[0]), scalarJson(field, v.range[1])] } : scalarJson(field, v);
}

/** A canonical value as the right-hand side of a JSON match: `{ set }`, `{ range }`, `{ prefix }` or a scalar. */
export function valueJson(field: Field, v: MatchValue): JExpr {
  if (typeof v === 'object' && 'set' in v) return { set: v.set.map((i) => itemJson(field, i)) };
  return itemJson(field, v);
}

const OPS: readonly MatchOp[] = ['==', '!=', '<', '>', '<=', '>='];

/**
 * Builds a match statement of the JSON model: `match('tcp dport', [22, 80])` is
 * `{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { set: [22, 80] } } }`.
 */
export function match(field: Field, v: ValueInput, op: MatchOp = '=='): JMatchStmt {
  const left = fieldExpr(field);
  if (!OPS.includes(op)) throw typeError(`an operator (${OPS.join(', ')})`, `${field} operator`, op);
  const value = toValue(field, v);
  if (op !== '==' && op !== '!=' && typeof value === 'object') {
    throw typeError('a single value (sets, ranges and prefixes take == or != only)', `${field} ${op}`, v);
  }
  return { match: { op: op as JRelOp, left, right: valueJson(field, value) } };
}
