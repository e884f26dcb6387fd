// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Expressions of a rule, evaluated (as nft's evaluate.c does: datatypes, lengths, byte order,
 * sub-byte fields, protocol dependencies) into a small tree, and generated into kernel
 * expressions with nft's register allocation (netlink_linearize.c).
 */
import type { Expr } from '../expr/registry';
import { datatype, encodeValue, ifnameWildcard } from './datatypes';
import { XFRM_DIRS, XFRM_KEYS, ctKey, metaKey, payloadField } from './fields';
import type { JExpr, JSetElem } from './schema';
import {
  BASE_NUM,
  ETHERTYPE,
  FIB_FLAGS,
  FIB_RESULT,
  INET_SERVICE,
  IP_OPTIONS,
  IPV6_EXTHDRS,
  L4_NETWORK,
  L4PROTO,
  NFPROTO_OF,
  PROTO_BASE,
  RT_KEYS,
  SCTP_CHUNKS,
  SOCKET_KEYS,
  TCP_OPTIONS,
  type Base,
} from './linearize-proto';

export type Order = 'big' | 'host';

/** An evaluated expression: what nft's `struct expr` holds after evaluation. */
export type Ev = EvCore & { readonly sub?: { readonly bits: number; readonly shift: number } };
type EvCore =
  | { readonly k: 'load'; readonly len: number; readonly dtype: string; readonly order: Order; readonly emit: (dreg: number) => Expr; readonly payload?: PayloadLoad }
  | { readonly k: 'value'; readonly len: number; readonly dtype: string; readonly order: Order; readonly data: Uint8Array }
  | { readonly k: 'concat'; readonly len: number; readonly dtype: string; readonly order: Order; readonly parts: readonly Ev[] }
  | { readonly k: 'bitwise'; readonly len: number; readonly dtype: string; readonly order: Order; readonly arg: Ev; readonly mask: Uint8Array; readonly xor: Uint8Array }
  | { readonly k: 'shift'; readonly len: number; readonly dtype: string; readonly order: Order; readonly arg: Ev; readonly op: 1 | 2; readonly shift: number }
  | { readonly k: 'byteorder'; readonly len: number; readonly dtype: string; readonly order: Order; readonly arg: Ev }
  | { readonly k: 'map'; readonly len: number; readonly dtype: string; readonly order: Order; readonly key: Ev; readonly set: string; readonly setId?: number }
  | { readonly k: 'hash'; readonly len: number; readonly dtype: string; readonly order: Order; readonly arg?: Ev; readonly emit: (dreg: number, sreg?: number) => Expr };

export interface PayloadLoad {
  readonly base: number;
  readonly offset: number /* bits */;
  readonly len: number /* bits */;
  /** "ip saddr" for protocol fields, used for pseudo-header and protocol context. */
  readonly name?: string;
  readonly protocol?: string;
}

export const bytesOf = (bits: number): number => Math.ceil(bits / 8);
export const regSpace = (bits: number): number => Math.ceil(bits / 32);

/** Register numbers: internal 32-bit slots from 1, as nft's reg_low; netlink numbering on output. */
export class Registers {
  low = 1;
  get(ev?: Ev): number {
    const n = ev?.k === 'concat' ? regSpace(ev.len) : 4;
    const r = this.low;
    this.low += n;
    if (this.low > 1 + 16) throw new RangeError('Expected the rule to fit in the 16 32-bit registers');
    return r;
  }
  release(ev?: Ev): void {
    this.low -= ev?.k === 'concat' ? regSpace(ev.len) : 4;
  }
}
/** netlink_put_register: 128-bit register numbers where possible. */
export function nlreg(reg: number): number {
  if (reg === 0) return 0;
  const r = reg - 1;
  return r % 4 === 0 ? 1 + r / 4 : r + 8;
}

export class LinError extends TypeError {}
export const typeErr = (path: string, expected: string, got: unknown): TypeError =>
  new TypeError(`${path}: expected ${expected} but received ${JSON.stringify(got, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}`);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
export const oneKey = (v: unknown): string | undefined => {
  if (!isObj(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 ? keys[0] : undefined;
};

/** Protocol context (nft's proto_ctx): the protocol known at each base. */
export interface ProtoCtx {
  ll?: string;
  nh?: string;
  th?: string;
}

export interface DepMerge {
  readonly base: number;
  readonly offset: number;
  readonly len: number;
  readonly op: number;
  readonly data: Uint8Array;
  readonly protocol: boolean;
}
const payloadDep = (base: number, offsetBytes: number, data: Uint8Array): [Expr[], DepMerge] => [
  [{ type: 'payload', dreg: 1, base, offset: offsetBytes, len: data.length }, cmpEq(data)],
  { base, offset: offsetBytes * 8, len: data.length * 8, op: 0, data, protocol: true },
];

export interface EvalEnv {
  readonly family: string;
  readonly proto: ProtoCtx;
  /** Adds a dependency statement (already generated expressions); payload ones may merge. */
  readonly addDep: (exprs: Expr[], merge?: DepMerge) => void;
  /** Datatypes of a set's key for constants inside a concatenation (`ip saddr . 22`). */
  concatTypes?: readonly string[] | undefined;
}

/** Big-endian bytes of an unsigned value. */
export function beBytes(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
export function hostBytes(v: bigint, len: number): Uint8Array {
  return beBytes(v, len).reverse();
}
export function bytesToBig(b: Uint8Array, order: Order): bigint {
  const a = order === 'big' ? b : Uint8Array.from(b).reverse();
  let v = 0n;
  for (const x of a) v = (v << 8n) | BigInt(x);
  return v;
}

const meta = (key: number, dreg: number): Expr => ({ type: 'meta', key, dreg: nlreg(dreg) });
const cmpEq = (data: Uint8Array): Expr => ({ type: 'cmp', sreg: 1, op: 0, data });

/** Generates a dependency: `meta l4proto X`, `meta nfproto X`, `meta protocol X`, `ether type X`, `meta iiftype ether`. */
function depMetaU8(key: number, v: number): Expr[] {
  return [meta(key, 1), cmpEq(Uint8Array.of(v))];
}

/**
 * Makes sure the protocol `proto` is established at its base, as nft's payload dependency
 * insertion does (verified against nft 1.0.6 --debug=netlink for ip, ip6, inet, bridge, netdev).
 */
export function ensureProtocol(env: EvalEnv, proto: string, path: string, implicit = false): void {
  const base = PROTO_BASE[proto];
  if (base === undefined || proto === 'th') return;
  const known = env.proto[base as 'll' | 'nh' | 'th'];
  if (known === proto) return;
  if (base === 'll') {
    if (proto === 'vlan') {
      ensureProtocol(env, 'ether', path);
      if (env.proto.ll === 'vlan') return;
      env.addDep(...payloadDep(0, 12, beBytes(0x8100n, 2)));
      env.proto.ll = 'vlan';
      return;
    }
    if (known !== undefined && known !== 'vlan') throw new TypeError(`${path}: conflicting protocols specified: ${known} vs. ${proto}`);
    if (known === undefined) {
      // meta iiftype ether (ARPHRD_ETHER), host-endian u16
      env.addDep([meta(8, 1), cmpEq(hostBytes(1n, 2))]);
      env.proto.ll = 'ether';
    }
    return;
  }
  if (base === 'nh') {
    if (known !== undefined) throw new TypeError(`${path}: conflicting protocols specified: ${known} vs. ${proto}`);
    const f = env.family;
    if (env.proto.ll === 'vlan') {
      const et = ETHERTYPE[proto];
      if (et === undefined) throw new TypeError(`${path}: unknown network protocol ${proto}`);
      env.addDep(...payloadDep(0, 16, beBytes(BigInt(et), 2)));
    } else if (f === 'inet') {
      const nf = NFPROTO_OF[proto];
      if (nf === undefined) throw new TypeError(`${path}: protocol ${proto} cannot be matched in an inet table`);
      env.addDep(depMetaU8(15, nf));
    } else if (f === 'bridge' || f === 'netdev') {
      const et = ETHERTYPE[proto];
      if (et === undefined) throw new TypeError(`${path}: unknown network protocol ${proto}`);
      if ((implicit || proto === 'arp') && f === 'bridge') env.addDep(...payloadDep(0, 12, beBytes(BigInt(et), 2)));
      else env.addDep([meta(1, 1), cmpEq(beBytes(BigInt(et), 2))]);
    } else {
      throw new TypeError(`${path}: conflicting protocols specified: ${f} vs. ${proto}`);
    }
    env.proto.nh = proto;
    return;
  }
  // transport
  if (known !== undefined) throw new TypeError(`${path}: conflicting protocols specified: ${known} vs. ${proto}`);
  const net = L4_NETWORK[proto];
  if (env.proto.nh === undefined && net !== undefined && !INET_SERVICE.has(proto)) ensureProtocol(env, net, path, true);
  const n = L4PROTO[proto];
  if (n === undefined) throw new TypeError(`${path}: unknown transport protocol ${proto}`);
  env.addDep(depMetaU8(16, n));
  env.proto.th = proto;
}

/** Initial protocol context of a family. */
export function familyProto(family: string): ProtoCtx {
  switch (family) {
    case 'ip':
      return { nh: 'ip' };
    case 'ip6':
      return { nh: 'ip6' };
    case 'bridge':
      return { ll: 'ether' };
    case 'arp':
      return { nh: 'arp' };
    default:
      return {};
  }
}

function typeInfo(name: string): { bits: number; order: Order } {
  const d = datatype(name);
  if (d === undefined) return { bits: 0, order: 'big' };
  return { bits: d.bits, order: d.byteorder };
}

function loadEv(dtype: string, bits: number, order: Order, emit: (dreg: number) => Expr, payload?: PayloadLoad): Ev {
  return payload ? { k: 'load', len: bits, dtype, order, emit, payload } : { k: 'load', len: bits, dtype, order, emit };
}

/** A header field at a bit offset: load the enclosing bytes, mask and (for values) shift (expr_evaluate_bits). */
function bitsEv(
  dtype: string,
  offset: number,
  len: number,
  mk: (byteOffset: number, byteLen: number, dreg: number) => Expr,
  payload?: Omit<PayloadLoad, 'offset' | 'len'>,
): Ev {
  const byteOff = Math.floor(offset / 8);
  const startBit = offset % 8;
  const byteLen = Math.ceil((startBit + len) / 8);
  const total = byteLen * 8;
  const shift = total - startBit - len;
  if (startBit === 0 && len % 8 === 0) return loadEv(dtype, len, 'big', (dreg) => mk(byteOff, byteLen, dreg), payload ? { ...payload, offset, len } : undefined);
  const pl: PayloadLoad | undefined = payload ? { ...payload, offset: byteOff * 8, len: total } : undefined;
  const load = loadEv(dtype, total, 'big', (dreg) => mk(byteOff, byteLen, dreg), pl);
  const mask = beBytes(((1n << BigInt(len)) - 1n) << BigInt(shift), byteLen);
  const sub = { bits: len, shift };
  const and: Ev = { k: 'bitwise', len: total, dtype, order: 'big', arg: load, mask, xor: new Uint8Array(byteLen), sub };
  if (shift === 0) return and;
  return { k: 'shift', len: total, dtype, order: 'big', arg: and, op: 2, shift, sub };
}

function payloadEv(env: EvalEnv, protocol: string, field: string, path: string): Ev {
  const f = payloadField(protocol, field);
  if (f === undefined) throw new TypeError(`${path}: unknown payload field ${protocol} ${field}`);
  ensureProtocol(env, protocol, path);
  const baseNum = BASE_NUM[f.base];
  return bitsEv(f.type, f.offset, f.len, (o, l, dreg) => ({ type: 'payload', dreg: nlreg(dreg), base: baseNum, offset: o, len: l }), {
    base: baseNum,
    name: `${protocol} ${field}`,
    protocol,
  });
}

const EXTHDR_OP = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 };

function exthdrEv(op: number, kind: number, fieldOff: number, fieldLen: number, exists: boolean, path: string, dtype = 'integer'): Ev {
  if (exists) {
    return loadEv('boolean', 1, 'host', (dreg) => ({ type: 'exthdr', dreg: nlreg(dreg), exthdrType: kind, offset: 0, len: 1, flags: 1, op }));
  }
  if (fieldLen <= 0) throw new TypeError(`${path}: the option has no such field`);
  return bitsEv(dtype, fieldOff, fieldLen, (o, l, dreg) => ({ type: 'exthdr', dreg: nlreg(dreg), exthdrType: kind, offset: o, len: l, flags: 0, op }));
}

/** Evaluates a JSON expression used as a value source (left side of a match, statement argument). */
export function evalExpr(env: EvalEnv, e: JExpr, path: string, lookupMap?: (key: Ev, data: JExpr, p: string, keyJson: JExpr) => Ev): Ev {
  const k = oneKey(e);
  if (k === undefined) throw typeErr(path, 'an expression object with one key', e);
  const v = (e as Record<string, unknown>)[k];
  const p = `${path}.${k}`;
  switch (k) {
    case 'payload': {
      const o = v as Record<string, unknown>;
      if (typeof o.protocol === 'string' && typeof o.field === 'string') return payloadEv(env, o.protocol, o.field, p);
      if (typeof o.base === 'string' && typeof o.offset === 'number' && typeof o.len === 'number') {
        const b = BASE_NUM[o.base as Base];
        if (b === undefined) throw typeErr(`${p}.base`, 'll, nh, th or ih', o.base);
        return bitsEv('integer', o.offset, o.len, (off, l, dreg) => ({ type: 'payload', dreg: nlreg(dreg), base: b, offset: off, len: l }), { base: b });
      }
      throw typeErr(p, '{ protocol, field } or { base, offset, len }', v);
    }
    case 'meta': {
      const key = (v as { key?: unknown }).key;
      if (typeof key !== 'string') throw typeErr(`${p}.key`, 'a meta key name', key);
      const m = metaKey(key);
      if (m === undefined) throw new TypeError(`${p}.key: unknown meta key ${JSON.stringify(key)}`);
      // expr_evaluate_meta: elsewhere the table's family already is the network protocol
      if (key === 'nfproto' && env.family !== 'inet') throw new TypeError(`${p}: meta nfproto is only useful in the inet family`);
      return loadEv(m.type, m.bits ?? m.len * 8, m.byteorder ?? typeInfo(m.type).order, (dreg) => meta(m.key, dreg));
    }
    case 'ct': {
      const o = v as { key?: unknown; dir?: unknown; family?: unknown };
      if (typeof o.key !== 'string') throw typeErr(`${p}.key`, 'a ct key name', o.key);
      const keyName = o.key;
      let c = ctKey(keyName);
      if ((keyName === 'saddr' || keyName === 'daddr') && o.family !== undefined) c = ctKey(`${o.family === 'ip6' ? 'ip6' : 'ip'} ${keyName}`) ?? c;
      if (c === undefined) throw new TypeError(`${p}.key: unknown ct key ${JSON.stringify(keyName)}`);
      const dir = o.dir === undefined ? undefined : o.dir === 'original' ? 0 : o.dir === 'reply' ? 1 : -1;
      if (dir === -1) throw typeErr(`${p}.dir`, '"original" or "reply"', o.dir);
      let bits = c.bits ?? c.len * 8;
      let type = c.type;
      if (keyName === 'saddr' || keyName === 'daddr') {
        const fam = (o.family as string | undefined) ?? (env.family === 'ip' || env.family === 'ip6' ? env.family : env.proto.nh);
        if (fam !== 'ip' && fam !== 'ip6') throw new TypeError(`${p}: specify either ip or ip6 for address matching`);
        type = fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
        bits = fam === 'ip6' ? 128 : 32;
      }
      return loadEv(type, bits, c.byteorder ?? typeInfo(type).order, (dreg) => (dir === undefined ? { type: 'ct', dreg: nlreg(dreg), key: c.key } : { type: 'ct', dreg: nlreg(dreg), key: c.key, dir }));
    }
    case 'rt': {
      const o = v as { key?: unknown };
      const r = typeof o.key === 'string' ? RT_KEYS[o.key] : undefined;
      if (r === undefined) throw typeErr(`${p}.key`, `one of ${Object.keys(RT_KEYS).join(', ')}`, o.key);
      return loadEv(r.type, r.bits, r.order, (dreg) => ({ type: 'rt', dreg: nlreg(dreg), key: r.key }));
    }
    case 'socket': {
      const o = v as { key?: unknown; level?: unknown };
      const s = typeof o.key === 'string' ? SOCKET_KEYS[o.key] : undefined;
      if (s === undefined) throw typeErr(`${p}.key`, `one of ${Object.keys(SOCKET_KEYS).join(', ')}`, o.key);
      const level = typeof o.level === 'number' ? o.level : 0;
      return loadEv(s.type, s.bits, s.order, (dreg) => ({ type: 'socket', dreg: nlreg(dreg), key: s.key, level }));
    }
    case 'osf': {
      const o = v as { key?: unknown; ttl?: unknown };
      const ttl = o.ttl === undefined ? 0 : o.ttl === 'loose' ? 1 : o.ttl === 'skip' ? 2 : -1;
      if (ttl < 0) throw typeErr(`${p}.ttl`, '"loose" or "skip"', o.ttl);
      const flags = o.key === 'version' ? 1 : o.key === 'name' ? 0 : -1;
      if (flags < 0) throw typeErr(`${p}.key`, '"name" or "version"', o.key);
      return loadEv('string', 16 * 8, 'host', (dreg) => ({ type: 'osf', dreg: nlreg(dreg), ttl, flags }));
    }
    case 'ipsec': {
      // xfrm_expr_alloc: `ipsec in|out [spnum N] [ip|ip6] saddr|daddr|reqid|spi`
      const o = v as { key?: unknown; family?: unknown; dir?: unknown; spnum?: unknown };
      const dir = typeof o.dir === 'string' ? (XFRM_DIRS as Readonly<Record<string, number>>)[o.dir] : undefined;
      if (dir === undefined) throw typeErr(`${p}.dir`, '"in" or "out"', o.dir);
      const spnum = o.spnum === undefined ? 0 : o.spnum;
      if (typeof spnum !== 'number' || !Number.isInteger(spnum) || spnum < 0 || spnum > 255) throw typeErr(`${p}.spnum`, 'an integer 0-255', o.spnum);
      if (o.family !== undefined && o.family !== 'ip' && o.family !== 'ip6') throw typeErr(`${p}.family`, '"ip" or "ip6"', o.family);
      // json_parse_xfrm_expr: saddr/daddr take the IPv4 key unless family is ip6
      const fam = o.family ?? 'ip';
      const want = o.key === 'saddr' || o.key === 'daddr' ? (fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr') : undefined;
      const x = XFRM_KEYS.find((k) => k.name === o.key && (want === undefined || k.type === want));
      if (x === undefined) throw typeErr(`${p}.key`, 'saddr, daddr, reqid or spi', o.key);
      return loadEv(x.type, x.bits ?? x.len * 8, x.byteorder ?? 'big', (dreg) => ({ type: 'xfrm', dreg: nlreg(dreg), key: x.key, dir, spnum }));
    }
    case 'fib': {
      const o = v as { result?: unknown; flags?: unknown };
      const r = typeof o.result === 'string' ? FIB_RESULT[o.result] : undefined;
      if (r === undefined) throw typeErr(`${p}.result`, 'oif, oifname or type', o.result);
      const list = o.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags];
      let flags = 0;
      for (const f of list) {
        const n = typeof f === 'string' ? FIB_FLAGS[f] : undefined;
        if (n === undefined) throw typeErr(`${p}.flags`, `fib flags (${Object.keys(FIB_FLAGS).join(', ')})`, f);
        flags |= n;
      }
      // expr_evaluate_fib
      const addr = (FIB_FLAGS['saddr'] as number) | (FIB_FLAGS['daddr'] as number);
      if ((flags & addr) === addr) throw new TypeError(`${p}.flags: fib: saddr and daddr are mutually exclusive`);
      if ((flags & addr) === 0) throw new TypeError(`${p}.flags: fib: need either saddr or daddr`);
      return loadEv(r.type, r.bits, r.order, (dreg) => ({ type: 'fib', dreg: nlreg(dreg), result: r.key, flags }));
    }
    case 'numgen': {
      const o = v as { mode?: unknown; mod?: unknown; offset?: unknown };
      const type = o.mode === 'inc' ? 0 : o.mode === 'random' ? 1 : -1;
      if (type < 0) throw typeErr(`${p}.mode`, '"inc" or "random"', o.mode);
      if (typeof o.mod !== 'number') throw typeErr(`${p}.mod`, 'a number', o.mod);
      const offset = typeof o.offset === 'number' ? o.offset : 0;
      const mod = o.mod;
      return loadEv('integer', 32, 'host', (dreg) => ({ type: 'numgen', dreg: nlreg(dreg), modulus: mod, numgenType: type, offset } as unknown as Expr));
    }
    case 'jhash':
    case 'symhash': {
      const o = v as { mod?: unknown; offset?: unknown; expr?: unknown; seed?: unknown };
      if (typeof o.mod !== 'number') throw typeErr(`${p}.mod`, 'a number', o.mod);
      const mod = o.mod;
      const offset = typeof o.offset === 'number' ? o.offset : 0;
      if (k === 'symhash') {
        return { k: 'hash', len: 32, dtype: 'integer', order: 'host', emit: (dreg) => ({ type: 'hash', dreg: nlreg(dreg), modulus: mod, offset, hashType: 1 } as unknown as Expr) };
      }
      const arg = evalExpr(env, o.expr as JExpr, `${p}.expr`);
      const seed = typeof o.seed === 'number' ? o.seed : undefined;
      const len = bytesOf(arg.len);
      return {
        k: 'hash',
        len: 32,
        dtype: 'integer',
        order: 'host',
        arg,
        emit: (dreg, sreg) => {
          const out: Record<string, unknown> = { type: 'hash', sreg: nlreg(sreg ?? 1), dreg: nlreg(dreg), len, modulus: mod };
          if (seed !== undefined) out.seed = seed;
          out.offset = offset;
          out.hashType = 0;
          return out as unknown as Expr;
        },
      };
    }
    case 'tcp option':
    case 'ip option':
    case 'sctp chunk':
    case 'exthdr': {
      const o = v as { name?: unknown; field?: unknown; base?: unknown; offset?: unknown; len?: unknown };
      const table = k === 'tcp option' ? TCP_OPTIONS : k === 'ip option' ? IP_OPTIONS : k === 'sctp chunk' ? SCTP_CHUNKS : IPV6_EXTHDRS;
      const op = k === 'tcp option' ? EXTHDR_OP.tcpopt : k === 'ip option' ? EXTHDR_OP.ipv4 : k === 'sctp chunk' ? EXTHDR_OP.sctp : EXTHDR_OP.ipv6;
      if (k === 'tcp option' && typeof o.base === 'number' && typeof o.offset === 'number' && typeof o.len === 'number') {
        return exthdrEv(op, o.base, o.offset, o.len, false, p);
      }
      const def = typeof o.name === 'string' ? table[o.name] : undefined;
      if (def === undefined) throw typeErr(`${p}.name`, `one of ${Object.keys(table).join(', ')}`, o.name);
      if (o.field === undefined) return exthdrEv(op, def.kind, 0, 0, true, p);
      const fd = typeof o.field === 'string' ? def.fields[o.field] : undefined;
      if (fd === undefined) throw typeErr(`${p}.field`, `one of ${Object.keys(def.fields).join(', ')}`, o.field);
      if (k === 'ip option') ensureProtocol(env, 'ip', p);
      if (k === 'exthdr') ensureProtocol(env, 'ip6', p);
      return exthdrEv(op, def.kind, fd.offset, fd.len, false, p, fd.type ?? 'integer');
    }
    case 'concat': {
      if (!Array.isArray(v) || v.length < 2) throw typeErr(p, 'an array of at least two expressions', v);
      const parts = (v as JExpr[]).map((x, i) => {
        const hint = env.concatTypes?.[i];
        if (isConstant(x) && hint !== undefined) {
          const t = datatype(hint);
          const bits = t?.bits ?? 0;
          const tv: Ev = { k: 'value', len: bits, dtype: hint, order: t?.byteorder ?? 'big', data: new Uint8Array() };
          return { ...tv, data: valueBytes(tv, x, `${p}[${i}]`) } as Ev;
        }
        return evalExpr(env, x, `${p}[${i}]`, lookupMap);
      });
      const len = parts.reduce((n, x) => n + regSpace(x.len) * 32, 0);
      return { k: 'concat', len, dtype: parts.map((x) => x.dtype).join(' . '), order: 'big', parts };
    }
    case '&':
    case '|':
    case '^': {
      if (!Array.isArray(v) || v.length !== 2) throw typeErr(p, 'a two-element array', v);
      const arg = evalExpr(env, v[0] as JExpr, `${p}[0]`, lookupMap);
      const n = bytesOf(arg.len);
      const c = bytesToBig(valueBytes(arg, v[1] as JExpr, `${p}[1]`, true), arg.order);
      const full = (1n << BigInt(n * 8)) - 1n;
      let mask = full;
      let xor = 0n;
      let inner = arg;
      if (arg.k === 'bitwise') {
        mask = bytesToBig(arg.mask, arg.order);
        xor = bytesToBig(arg.xor, arg.order);
        inner = arg.arg;
      }
      // combine_binop: xor = x ^ (xor & m); mask &= m
      const comb = (m: bigint, x: bigint): void => {
        xor = x ^ (xor & m);
        mask &= m;
      };
      if (k === '&') comb(c, 0n);
      else if (k === '|') comb(full ^ c, c);
      else comb(full, c);
      const enc = (x: bigint): Uint8Array => (arg.order === 'host' ? hostBytes(x, n) : beBytes(x, n));
      return { k: 'bitwise', len: arg.len, dtype: arg.dtype, order: arg.order, arg: inner, mask: enc(mask), xor: enc(xor) };
    }
    case '<<':
    case '>>': {
      if (!Array.isArray(v) || v.length !== 2 || typeof v[1] !== 'number') throw typeErr(p, '[expression, shift count]', v);
      const arg = evalExpr(env, v[0] as JExpr, `${p}[0]`, lookupMap);
      return { k: 'shift', len: arg.len, dtype: arg.dtype, order: arg.order, arg, op: k === '<<' ? 1 : 2, shift: v[1] };
    }
    case 'map': {
      const o = v as { key?: unknown; data?: unknown };
      const key = evalExpr(env, o.key as JExpr, `${p}.key`, lookupMap);
      if (lookupMap === undefined) throw new TypeError(`${p}: a map is not allowed here`);
      return lookupMap(key, o.data as JExpr, p, o.key as JExpr);
    }
    default:
      throw new TypeError(`${path}: unknown expression ${JSON.stringify(k)}`);
  }
}

/**
 * Encodes a constant JSON value in the type and layout of `left` (bytes as the kernel compares
 * them). `allowList` ORs a list of flag values (`["syn", "ack"]`).
 */
export function valueBytes(left: Ev, value: JExpr, path: string, allowList = false, allowWildcard = false): Uint8Array {
  if (left.k === 'concat') {
    const parts = (value as { concat?: unknown }).concat;
    if (!Array.isArray(parts) || parts.length !== left.parts.length) throw typeErr(path, `a concat of ${left.parts.length} values`, value);
    const out = new Uint8Array(regSpace(left.len) * 4);
    let o = 0;
    left.parts.forEach((lp, i) => {
      const b = valueBytes(lp, parts[i] as JExpr, `${path}.concat[${i}]`);
      out.set(b, o);
      o += regSpace(lp.len) * 4;
    });
    return out;
  }
  if (Array.isArray(value)) {
    if (!allowList) throw typeErr(path, 'a single value', value);
    const n = bytesOf(left.len);
    let acc = 0n;
    value.forEach((x, i) => {
      acc |= bytesToBig(valueBytes(left, x as JExpr, `${path}[${i}]`), left.order);
    });
    return left.order === 'host' ? hostBytes(acc, n) : beBytes(acc, n);
  }
  const bk = oneKey(value);
  if (bk === '|' || bk === '&' || bk === '^') {
    // a constant binary expression (`syn | ack`): folded
    const ops = (value as Record<string, unknown>)[bk];
    if (!Array.isArray(ops) || ops.length !== 2) throw typeErr(`${path}.${bk}`, 'a two-element array', ops);
    const n = bytesOf(left.len);
    const x = bytesToBig(valueBytes(left, ops[0] as JExpr, `${path}.${bk}[0]`, allowList), left.order);
    const y = bytesToBig(valueBytes(left, ops[1] as JExpr, `${path}.${bk}[1]`, allowList), left.order);
    const r = bk === '|' ? x | y : bk === '&' ? x & y : x ^ y;
    return left.order === 'host' ? hostBytes(r, n) : beBytes(r, n);
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') throw typeErr(path, 'a constant value', value);
  if (typeof value === 'string' && isStringType(left.dtype) && allowWildcard) {
    const w = ifnameWildcard(value);
    if (w) return w.prefix;
  }
  try {
    if (left.sub !== undefined) {
      const raw = encodeValue(left.dtype, value, left.sub.bits, 'big');
      return beBytes(bytesToBig(raw, 'big') << BigInt(left.sub.shift), bytesOf(left.len));
    }
    return encodeValue(left.dtype, value, left.len, left.order);
  } catch (e) {
    // The datatype's message, with the JSON path of the value it refused
    if (e instanceof Error && !e.message.startsWith(`${path}: `)) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

/** Generates an evaluated expression into register `dreg` (internal numbering). */
export function genExpr(out: Expr[], regs: Registers, ev: Ev): (dreg: number) => void {
  return (dreg: number) => gen(out, regs, ev, dreg);
}

export function gen(out: Expr[], regs: Registers, ev: Ev, dreg: number): void {
  switch (ev.k) {
    case 'load':
      out.push(ev.emit(dreg));
      return;
    case 'value':
      out.push({ type: 'immediate', dreg: nlreg(dreg), data: ev.data });
      return;
    case 'concat': {
      let r = dreg;
      for (const part of ev.parts) {
        gen(out, regs, part, r);
        r += regSpace(part.len);
      }
      return;
    }
    case 'bitwise':
      gen(out, regs, ev.arg, dreg);
      out.push({ type: 'bitwise', sreg: nlreg(dreg), dreg: nlreg(dreg), op: 0, len: ev.mask.length, mask: ev.mask, xor: ev.xor });
      return;
    case 'shift':
      gen(out, regs, ev.arg, dreg);
      out.push({ type: 'bitwise', sreg: nlreg(dreg), dreg: nlreg(dreg), op: ev.op, len: bytesOf(ev.len), data: beBytes(BigInt(ev.shift), 4).reverse() });
      return;
    case 'byteorder': {
      gen(out, regs, ev.arg, dreg);
      const len = ev.arg.len;
      const size = len % 64 === 0 ? 8 : len % 32 === 0 ? 4 : 2;
      out.push({ type: 'byteorder', sreg: nlreg(dreg), dreg: nlreg(dreg), len: Math.floor(ev.len / 8), size, op: ev.order === 'big' ? 1 : 0 });
      return;
    }
    case 'hash': {
      if (ev.arg) {
        const sreg = regs.get(ev.arg);
        gen(out, regs, ev.arg, sreg);
        regs.release(ev.arg);
        out.push(ev.emit(dreg, sreg));
      } else out.push(ev.emit(dreg));
      return;
    }
    case 'map': {
      const sreg = dreg;
      let space = 0;
      if (ev.key.k === 'concat') {
        space = regSpace(ev.key.len);
        regs.low += space;
      }
      gen(out, regs, ev.key, sreg);
      regs.low -= space;
      const l: Record<string, unknown> = { type: 'lookup', sreg: nlreg(sreg), dreg: nlreg(dreg), set: ev.set };
      if (ev.setId !== undefined) l.setId = ev.setId;
      out.push(l as Expr);
      return;
    }
  }
}

export const isStringType = (dtype: string): boolean => dtype === 'string' || dtype === 'ifname' || datatype(dtype)?.base === 'string';

/**
 * byteorder_conversion to big endian: host-order integers become big endian for ranges,
 * relational < > and interval set lookups (a `byteorder hton` for 2 bytes and more; concatenations
 * convert each host-order component).
 */
export function toBigEndian(ev: Ev): Ev {
  if (ev.k === 'concat') {
    if (!ev.parts.some((p) => p.order === 'host' && !isStringType(p.dtype))) return ev;
    const parts = ev.parts.map((p) => (p.order === 'host' && !isStringType(p.dtype) ? ({ k: 'byteorder', len: p.len, dtype: p.dtype, order: 'big', arg: p } as Ev) : p));
    return { ...ev, parts };
  }
  if (ev.order === 'big' || isStringType(ev.dtype)) return ev;
  if (ev.len < 16) return { ...ev, order: 'big' } as Ev;
  return { k: 'byteorder', len: ev.len, dtype: ev.dtype, order: 'big', arg: ev };
}

/** A byteorder conversion of a non-constant value to `order` (hton or ntoh, as nft's byteorder_conversion). */
export function convertOrder(ev: Ev, order: Order): Ev {
  if (order === 'big') return toBigEndian(ev);
  if (ev.order === 'host' || ev.k === 'concat' || isStringType(ev.dtype)) return ev;
  if (ev.len < 16) return { ...ev, order: 'host' } as Ev;
  return { k: 'byteorder', len: ev.len, dtype: ev.dtype, order: 'host', arg: ev };
}

/** Encodes a constant statement argument (a value of the target's type) as an Ev. */
export function constEv(target: Ev, value: JExpr, path: string): Ev {
  const data = valueBytes(target, value, path, true);
  return { k: 'value', len: target.len, dtype: target.dtype, order: target.order, data };
}

export const isConstant = (e: JExpr): boolean => {
  if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return true;
  const k = oneKey(e);
  if (k === '|' || k === '&' || k === '^') {
    const ops = (e as Record<string, unknown>)[k];
    return Array.isArray(ops) && ops.every((x) => isConstant(x as JExpr) || (Array.isArray(x) && x.every((y) => typeof y === 'string' || typeof y === 'number')));
  }
  return false;
};

/** Flag values (`{"|": ["fin", "ack"]}`) flattened into the list form nft -j prints (`["fin", "ack"]`). */
export function flattenFlags(e: unknown): unknown {
  const k = oneKey(e);
  if (k === '|') {
    const ops = (e as Record<string, unknown[]>)[k] ?? [];
    return ops.flatMap((x) => {
      const f = flattenFlags(x);
      return Array.isArray(f) ? f : [f];
    });
  }
  if (k === 'elem') {
    const o = (e as { elem: { val: unknown } }).elem;
    return { elem: { ...o, val: flattenFlags(o.val) } };
  }
  return e;
}
export const isSetElems = (e: unknown): e is readonly JSetElem[] => Array.isArray(e);
