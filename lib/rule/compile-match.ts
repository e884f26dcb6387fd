// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Lowering of matches: `<field> <op> <value>`, bitmask flags, named-set lookups, fib and the
 * key loads of dynamic set updates. Each follows the expression sequence nft 1.0.6 emits.
 */
import type { Expr } from '../expr/registry';
import { EXTHDR_F_PRESENT, EXTHDR_OP, FIB_F, FIB_RESULT, LOOKUP_F_INV, REG, SET_ELEM_F, SET_F } from '../kernel';
import { compareBytes, concatBytes, incrementBytes, prefixMask, u32Host, uintBE } from './bytes';
import { CODECS, FLAG_BITS, type Codec } from './datatypes';
import { rangeError, typeError, checkName, checkOneOf } from './errors';
import { X } from './exprs';
import { FIELDS, FIELD_NAMES, FLAG_FIELDS, type FieldSpec, type Load } from './fields';
import type { Lowering } from './lowering';
import type { FibStatement, TcpOptionStatement, TcpOptionName, Field, FlagsStatement, LookupStatement, MatchStatement, MatchValue, Range, Scalar } from './statement';

const OPS = ['==', '!=', '<', '>', '<=', '>='] as const;
const CMP = { '==': 'eq', '!=': 'neq', '<': 'lt', '>': 'gt', '<=': 'lte', '>=': 'gte' } as const;

/** The load expression of a field into a register. */
export function loadExpr(load: Load, len: number, dreg: number = REG.r1): Expr {
  switch (load.kind) {
    case 'payload':
      return X.payload(load.base, load.offset, len, dreg);
    case 'meta':
      return X.meta(load.key, dreg);
    case 'ct':
      return X.ct(load.key, dreg);
    case 'exthdr':
      return X.exthdr(load.op, load.type, load.offset, len, dreg);
  }
}

export function checkField(f: unknown, where: string): Field {
  return checkOneOf(f, FIELD_NAMES, where);
}

/** Adds the dependencies a field needs (network first, then transport). */
export function requireField(low: Lowering, spec: FieldSpec, where: string): void {
  if (spec.net) low.requireNet(spec.net, where);
  if (spec.l4 !== undefined) low.requireL4(spec.l4, where);
}

const isRange = (v: unknown): v is Range => typeof v === 'object' && v !== null && 'range' in v;
const isSet = (v: unknown): v is { set: readonly unknown[] } => typeof v === 'object' && v !== null && 'set' in v;

/** Parses `addr/len` for address codecs; returns the address bytes and prefix length. */
export function parsePrefix(codec: Codec, v: string, where: string): { addr: Uint8Array; bits: number } {
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

/** An inclusive interval [lo, hi] of key bytes, from a set item (value, CIDR or range). */
function itemInterval(codec: Codec, item: Scalar | Range, where: string): [Uint8Array, Uint8Array] {
  if (isRange(item)) {
    const lo = codec.encode(item.range[0], where);
    const hi = codec.encode(item.range[1], where);
    if (compareBytes(lo, hi) > 0) throw rangeError('a range whose start is not above its end', where, item);
    return [lo, hi];
  }
  if (codec.bits !== undefined && typeof item === 'string' && item.includes('/')) {
    const { addr, bits } = parsePrefix(codec, item, where);
    const mask = prefixMask(bits, addr.length);
    return [addr, addr.map((b, i) => b | (~(mask[i] ?? 0) & 0xff))];
  }
  const k = codec.encode(item, where);
  return [k, k];
}

/**
 * nft's set userdata: TLV NFTNL_UDATA_SET_KEYBYTEORDER (0), 4 bytes, nft's byteorder enum
 * (1 = host: strings, marks, fib types; 2 = big endian: addresses, ports, protocols).
 */
export function keyByteorderUdata(codec: Codec): Uint8Array {
  const host = codec.host || codec.id === CODECS.ifname.id;
  return concatBytes([Uint8Array.of(0, 4), u32Host(host ? 1 : 2)]);
}

/** Builds the anonymous set for `{ … }` values and returns the lookup it needs. */
function anonSetLookup(low: Lowering, codec: Codec, items: readonly (Scalar | Range)[], negate: boolean, where: string): Expr {
  const interval = items.some((i) => isRange(i) || (codec.bits !== undefined && typeof i === 'string' && i.includes('/')));
  let keys: Uint8Array[];
  let flags: number[] | undefined;
  if (!interval) {
    keys = items.map((i) => {
      const k = codec.encode(i as Scalar, where);
      if (k.length !== codec.len) throw typeError('exact interface names in a set', where, i);
      return k;
    });
  } else {
    // nft's segtree: sorted, overlapping/adjacent intervals joined, exclusive end keys flagged
    // INTERVAL_END, plus a leading zero end key when the first interval does not start at zero.
    const ivs = items.map((i) => itemInterval(codec, i, where)).sort((a, b) => compareBytes(a[0], b[0]));
    const joined: [Uint8Array, Uint8Array][] = [];
    for (const iv of ivs) {
      const prev = joined[joined.length - 1];
      const next = prev ? incrementBytes(prev[1]) : undefined;
      if (prev && (next === undefined || compareBytes(iv[0], next) <= 0)) {
        if (compareBytes(iv[1], prev[1]) > 0) prev[1] = iv[1];
      } else joined.push([iv[0], iv[1]]);
    }
    keys = [];
    flags = [];
    if (joined[0] && joined[0][0].some((b) => b !== 0)) {
      keys.push(new Uint8Array(codec.len));
      flags.push(SET_ELEM_F.intervalEnd);
    }
    for (const [lo, hi] of joined) {
      keys.push(lo);
      flags.push(0);
      const end = incrementBytes(hi);
      if (end) {
        keys.push(end);
        flags.push(SET_ELEM_F.intervalEnd);
      }
    }
  }
  const { name, id } = low.ctx.anonSet({
    flags: SET_F.anonymous | SET_F.constant | (interval ? SET_F.interval : 0),
    keyType: codec.id,
    keyLen: codec.len,
    userdata: keyByteorderUdata(codec),
    elements: { count: keys.length, keys: concatBytes(keys), ...(flags ? { flags: Uint32Array.from(flags) } : {}) },
  });
  return X.lookup(name, id, negate ? LOOKUP_F_INV : undefined);
}

/** `<field> [op] <value>`. */
export function lowerMatch(low: Lowering, s: MatchStatement): void {
  const field = checkField(s.field, 'match.field');
  const where = field;
  const spec = FIELDS[field];
  const op = s.op === undefined ? '==' : checkOneOf(s.op, OPS, `${where} operator`);
  const codec = spec.codec;
  let value: MatchValue = s.value;
  if (isSet(value)) {
    if (!Array.isArray(value.set) || value.set.length === 0) throw typeError('a non-empty array of set elements', where, value.set);
    if (value.set.length === 1) value = value.set[0] as Scalar | Range;
  }
  const eqOnly = (kind: string): void => {
    if (op !== '==' && op !== '!=') throw typeError(`== or != with ${kind}`, `${where} operator`, op);
  };
  requireField(low, spec, where);
  const load = (len: number): Expr => loadExpr(spec.load, len);

  if (isSet(value)) {
    eqOnly('a set');
    if (codec.host && codec.id !== CODECS.fibAddrType.id) throw typeError('a single value (sets of host-order values are not supported)', where, value);
    low.emit(load(codec.len), anonSetLookup(low, codec, value.set, op === '!=', where));
  } else if (isRange(value)) {
    eqOnly('a range');
    if (codec.host) throw typeError('a single value (ranges of host-order values are not supported)', where, value);
    const [lo, hi] = itemInterval(codec, value, where);
    if (op === '==') low.emit(load(codec.len), X.cmp('gte', lo), X.cmp('lte', hi));
    else low.emit(load(codec.len), X.range('neq', lo, hi));
  } else if (codec.bits !== undefined && typeof value === 'string' && value.includes('/')) {
    eqOnly('a prefix');
    const { addr, bits } = parsePrefix(codec, value, where);
    const cmpOp = CMP[op];
    if (bits === codec.bits) low.emit(load(codec.len), X.cmp(cmpOp, addr));
    else if (bits % 8 === 0) low.emit(load(bits / 8), X.cmp(cmpOp, addr.subarray(0, bits / 8)));
    else {
      const mask = prefixMask(bits, codec.len);
      low.emit(load(codec.len), X.bitwise(mask), X.cmp(cmpOp, addr));
    }
  } else {
    if (typeof value !== 'string' && typeof value !== 'number') throw typeError(`a value, { range } or { set } (${codec.what})`, where, value);
    const data = codec.encode(value, where);
    if (data.length !== codec.len) eqOnly('an interface name prefix');
    if (codec.host && op !== '==' && op !== '!=') throw typeError('== or != (host-order value)', `${where} operator`, op);
    if (spec.load.kind === 'payload' && (op === '==' || op === '!=')) {
      low.units.push({ u: 'pm', base: spec.load.base, offset: spec.load.offset, data, op: CMP[op] });
    } else {
      low.emit(load(codec.len), X.cmp(CMP[op], data));
    }
    if (op === '==') establishFrom(low, field, value);
  }
}

/** Explicit protocol matches establish context for later fields, as in nft. */
function establishFrom(low: Lowering, field: Field, value: Scalar): void {
  if (field === 'meta nfproto') low.establishNet(CODECS.nfProto.decode(CODECS.nfProto.encode(value, field)) === 'ipv6' ? 'ip6' : 'ip', field);
  else if (field === 'meta protocol') {
    const v = CODECS.etherType.decode(CODECS.etherType.encode(value, field));
    if (v === 'ip' || v === 'ip6') low.establishNet(v, field);
  } else if (field === 'meta l4proto' || field === 'ip protocol' || field === 'ip6 nexthdr') {
    low.establishL4(CODECS.inetProto.encode(value, field)[0] ?? 0);
  }
}

function flagBits(field: FlagsStatement['field'], names: unknown, where: string): number {
  const table = FLAG_BITS[field] as Readonly<Record<string, number>>;
  if (!Array.isArray(names) || names.length === 0) throw typeError(`a non-empty array of ${field} names`, where, names);
  return names.reduce<number>((acc, n) => {
    const bit = typeof n === 'string' ? table[n] : undefined;
    if (bit === undefined) throw typeError(`one of ${Object.keys(table).join(', ')}`, where, n);
    return acc | bit;
  }, 0);
}

/** `ct state established,related`, `tcp flags syn / fin,syn,rst,ack`, `ct state != established`. */
export function lowerFlags(low: Lowering, s: FlagsStatement): void {
  const field = checkOneOf(s.field, Object.keys(FLAG_FIELDS) as FlagsStatement['field'][], 'flags.field');
  const spec = FLAG_FIELDS[field];
  const bits = flagBits(field, s.values, field);
  const enc = (n: number): Uint8Array => (spec.host ? u32Host(n) : uintBE(n, spec.len));
  if (spec.l4 !== undefined) low.requireL4(spec.l4, field);
  const load = loadExpr(spec.load, spec.len);
  const op = s.op === undefined ? undefined : checkOneOf(s.op, ['==', '!='] as const, `${field} operator`);
  if (s.mask !== undefined) {
    const mask = flagBits(field, s.mask, `${field} mask`);
    low.emit(load, X.bitwise(enc(mask)), X.cmp(op === '!=' ? 'neq' : 'eq', enc(bits)));
  } else if (op === undefined) {
    low.emit(load, X.bitwise(enc(bits)), X.cmp('neq', enc(0)));
  } else {
    low.emit(load, X.cmp(op === '!=' ? 'neq' : 'eq', enc(bits)));
  }
}

/** Loads concatenated key fields into consecutive 32-bit registers (reg 1, then reg 9, 10…). */
export function lowerKeyLoads(low: Lowering, fields: unknown, where: string): Expr[] {
  if (!Array.isArray(fields) || fields.length === 0) throw typeError('a non-empty array of fields', where, fields);
  const specs = fields.map((f: unknown) => FIELDS[checkField(f, where)]);
  for (const spec of specs) requireField(low, spec, where);
  let words = 0;
  return specs.map((spec, i) => {
    const e = loadExpr(spec.load, spec.codec.len, i === 0 ? REG.r1 : REG.r32_00 + words);
    words += Math.ceil(spec.codec.len / 4);
    return e;
  });
}

/** `ip saddr @set`, `ip saddr . tcp dport != @set`. */
export function lowerLookup(low: Lowering, s: LookupStatement): void {
  const set = checkName(s.set, 255, 'lookup.set', 'a set name of 1-255 bytes');
  const loads = lowerKeyLoads(low, s.fields, 'lookup.fields');
  low.emit(...loads, X.lookup(set, undefined, s.negate === true ? LOOKUP_F_INV : undefined));
}

const FIB_LOOKUPS = ['saddr', 'daddr', 'mark', 'iif', 'oif'] as const;

/** `fib saddr . iif oif missing`, `fib daddr type local`, `fib daddr type { local, broadcast }`. */
export function lowerFib(low: Lowering, s: FibStatement): void {
  if (!Array.isArray(s.lookup) || s.lookup.length === 0) throw typeError('a non-empty array of saddr, daddr, mark, iif, oif', 'fib.lookup', s.lookup);
  let flags = 0;
  for (const l of s.lookup) flags |= FIB_F[checkOneOf(l, FIB_LOOKUPS, 'fib.lookup')];
  if ((flags & FIB_F.saddr) !== 0 === ((flags & FIB_F.daddr) !== 0)) throw typeError('exactly one of saddr and daddr', 'fib.lookup', s.lookup);
  if ((flags & FIB_F.iif) !== 0 && (flags & FIB_F.oif) !== 0) throw typeError('at most one of iif and oif', 'fib.lookup', s.lookup);
  const result = checkOneOf(s.result, ['oif', 'oifname', 'type'] as const, 'fib.result');
  if (s.result !== 'type') {
    const v = checkOneOf(s.value, ['missing', 'exists'] as const, 'fib.value');
    // NFTA_FIB_F_PRESENT turns the result into a boolean, compared as a host-order u32.
    low.emit(X.fib(flags | FIB_F.present, result === 'oif' ? FIB_RESULT.oif : FIB_RESULT.oifname), X.cmp('eq', u32Host(v === 'exists' ? 1 : 0)));
    return;
  }
  const op = s.op === undefined ? '==' : checkOneOf(s.op, ['==', '!='] as const, 'fib operator');
  const codec = CODECS.fibAddrType;
  const fib = X.fib(flags, FIB_RESULT.addrtype);
  if (Array.isArray(s.value)) {
    if (s.value.length === 0) throw typeError('a non-empty array of address types', 'fib.value', s.value);
    if (s.value.length > 1) {
      low.emit(fib, anonSetLookup(low, codec, s.value as string[], op === '!=', 'fib type'));
      return;
    }
  }
  const v: unknown = Array.isArray(s.value) ? s.value[0] : s.value;
  if (typeof v !== 'string') throw typeError(codec.what, 'fib type', v);
  low.emit(fib, X.cmp(op === '!=' ? 'neq' : 'eq', codec.encode(v, 'fib type')));
}

/** TCP option kinds (RFC 793, 1323, 2018), by the names nft gives them. */
export const TCP_OPTION_KINDS: Readonly<Record<TcpOptionName, number>> = { eol: 0, nop: 1, maxseg: 2, window: 3, 'sack-perm': 4, sack: 5, timestamp: 8 };

/**
 * `tcp option maxseg missing|exists`: nft 1.0.6 loads one byte with the exthdr PRESENT flag
 * (1 when the option is there, 0 when not) and compares it; no `meta l4proto tcp` dependency
 * (the kernel's TCP option parser gives 0 for anything that is not TCP).
 */
export function lowerTcpOption(low: Lowering, s: TcpOptionStatement): void {
  const option = checkOneOf(s.option, Object.keys(TCP_OPTION_KINDS) as TcpOptionName[], 'tcpOption.option');
  const value = checkOneOf(s.value, ['missing', 'exists'] as const, 'tcpOption.value');
  low.emit(X.exthdr(EXTHDR_OP.tcpopt, TCP_OPTION_KINDS[option], 0, 1, REG.r1, EXTHDR_F_PRESENT), X.cmp('eq', Uint8Array.of(value === 'exists' ? 1 : 0)));
}
