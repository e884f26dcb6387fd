// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * JSON rule statements (as `nft -j list ruleset` prints them and `nft -j -f` accepts them) →
 * the kernel expression list nft 1.0.6 sends for the same rule (src/evaluate.c,
 * src/netlink_linearize.c, src/rule.c stmt_reduce). See docs in linearize-expr.ts for the
 * expression part; this file holds the statements, relational matches, anonymous sets and maps.
 */
import type { Expr } from '../expr/registry';
import { LIMITS, type Family } from '../kernel';
import { checkExprLimits } from '../expr/validate';
import { commentUdata, encodeUdata, u32Value } from '../udata';
import { datatype } from './datatypes';
import { BYTEORDER, SET_UDATA, buildSetUdata, declaredNames } from './set-udata';
import {
  beBytes,
  bytesOf,
  constEv,
  ensureProtocol,
  evalExpr,
  familyProto,
  flattenFlags,
  gen,
  isConstant,
  isStringType,
  nlreg,
  oneKey,
  Registers,
  convertOrder,
  toBigEndian,
  typeErr,
  valueBytes,
  type EvalEnv,
  type Ev,
  type ProtoCtx,
} from './linearize-expr';
import {
  BYTE_UNIT,
  CHECKSUM,
  L4PROTO,
  LOG_FLAGS,
  LOG_LEVEL,
  NAT_FLAGS,
  NFPROTO_OF,
  PROTO_BASE,
  OBJREF_TYPE,
  PSEUDOHDR,
  QUEUE_FLAGS,
  SYNPROXY_FLAGS,
  TIME_UNIT,
} from './linearize-proto';
import { isTypeof, type JBoundRule, type JExpr, type JRule, type JSet, type JSetElem, type JStatement } from './schema';
import { typeOf } from './render-expr';

/** What an anonymous set (or map, or meter set) must be created with. */
export interface AnonSetRequest {
  /** Key datatype names (a concatenation: several). */
  readonly key: string | readonly string[];
  /** Map data type: a datatype name (or several), `verdict`, or an object kind for object maps. */
  readonly data?: string | readonly string[] | 'verdict';
  /** NFT_SET_* flags exactly as nft sets them (anonymous, constant, interval, map, object, concat, eval). */
  readonly flags: number;
  readonly elems: readonly JSetElem[];
  readonly userdata?: Uint8Array;
  readonly exprs?: readonly Expr[];
  /**
   * Bytes of each key field before 4-byte padding (NFTA_SET_KEY_LEN is their padded sum for
   * concatenations): given because a key's length does not always follow from its type names
   * (`integer` fields of raw payloads, typeof keys).
   */
  readonly keyFields: readonly number[];
  /** Byte order of each key field as the rule loads it (host-order integers: `ipsec in reqid { 1, 7 }`). */
  readonly keyOrders?: readonly ('big' | 'host')[];
  /** The JSON path of the elements (`rule.expr[0].match.right.set`), for error messages. */
  readonly path?: string;
  /** Meters: the set's own name (nft names meter sets by the meter, not `__set%d`). */
  readonly name?: string;
  /** Meters: NFTA_SET_DESC_SIZE. */
  readonly size?: number;
  /** Set timeout in ms (meters with a timeout on the key). */
  readonly timeoutMs?: bigint;
}

export interface LinearizeContext {
  readonly family: Family;
  readonly table: string;
  /** Named sets/maps of the table (from the same document or the kernel): for lookups, typeof, maps. */
  set(name: string): JSet | undefined;
  /** Registers an anonymous set/map in the same batch; returns its name (__set%d) and batch id. */
  anonSet(req: AnonSetRequest): { name: string; id: number };
  /**
   * Registers an anonymous bound chain (`jump { … }`) with these rules (each a statement list) in
   * the same batch and returns its batch id (NFTA_CHAIN_ID). nft has no JSON form for chain
   * bindings (1.0.6 prints their text); this package's extension is
   * `{ "jump": { "target": "__chain0", "rules": [[statements], …] } }` (or `goto`); `target` is
   * the kernel's name in a listing and is not sent (the kernel names a new bound chain itself).
   */
  bindChain(rules: readonly JBoundRule[]): { id: number };
  /**
   * A lookup (`ip saddr @s`) or set statement (`add @s { ip saddr }`) of a set that `set()`
   * does not know is compiled as for a plain (non-interval) set keyed by the left expression,
   * and the kernel checks at commit that the set exists (the rule operations of a transaction:
   * the set usually lives in the kernel already). Otherwise such a reference is an error, as in
   * nft. Maps always need their declaration (the data type).
   */
  readonly assumeSets?: boolean;
}

/** A set/map type's datatype names (a concatenation: several); a typeof type: from its expression. */
function typeNames(t: JSet['type'] | undefined): string[] | undefined {
  if (t === undefined) return undefined;
  if (isTypeof(t)) {
    const d = declaredNames(t);
    if (d !== undefined) return [...d];
    const h = typeOf(t.typeof);
    if (h === undefined) return undefined;
    return (Array.isArray(h) ? h : [h]).map((x) => String(x ?? 'integer'));
  }
  return Array.isArray(t) ? [...(t as string[])] : String(t).split(' . ');
}

/** The value target (datatype, bits, byte order) a set/map type gives a constant or an argument. */
function typeTarget(t: JSet['type'] | undefined): { dtype: string; len: number; order: 'big' | 'host' } | undefined {
  const names = typeNames(t);
  if (names === undefined || names.length === 0) return undefined;
  const dts = names.map((n) => datatype(n));
  if (dts.some((d) => d === undefined || d.bits === 0)) return undefined;
  if (dts.length === 1) return { dtype: names[0]!, len: dts[0]!.bits, order: dts[0]!.byteorder };
  return { dtype: names.join(' . '), len: dts.reduce((a, d) => a + Math.ceil(d!.bits / 32) * 32, 0), order: 'big' };
}

/** NFT_SET_* flags nft puts on anonymous sets. */
const SET_ANONYMOUS = 0x1;
const SET_CONSTANT = 0x2;
const SET_INTERVAL = 0x4;
const SET_MAP = 0x8;
const SET_CONCAT = 0x80;
const SET_OBJECT = 0x40;
const SET_TIMEOUT = 0x10;
const SET_EVAL = 0x20;

const VERDICTS: Readonly<Record<string, number>> = { accept: 1, drop: 0, continue: -1, return: -5, jump: -3, goto: -4, queue: 3 };
const CMP_OP: Readonly<Record<string, number>> = { '==': 0, '!=': 1, '<': 2, '<=': 3, '>': 4, '>=': 5, in: 0 };
/** nft datatypes whose base is the bitmask type (flag matches). */
const BITMASK_TYPES = new Set(['ct_state', 'ct_status', 'ct_event', 'tcp_flag', 'ct_label']);

interface MapInfo {
  readonly set: string;
  readonly setId?: number;
  readonly dataTypes: readonly string[];
  /** The data are intervals (ranges/prefixes): nat takes min and max from consecutive registers. */
  readonly interval: boolean;
  /** The map's keys are intervals (NFT_SET_INTERVAL): host-order keys are converted to big endian. */
  readonly namedInterval: boolean;
}

interface Stmt {
  /** Generated expressions. */
  readonly exprs: Expr[];
  /** A payload match with a constant (candidate for nft's merge of adjacent loads). */
  readonly merge?: { base: number; offset: number; len: number; op: number; data: Uint8Array; protocol: boolean };
}

class Linearizer {
  readonly regs = new Registers();
  /** The type a map in a statement argument yields (expr_evaluate_map takes it from the context). */
  dataHint: { dtype: string; order: 'big' | 'host' } | undefined;
  readonly stmts: Stmt[] = [];
  readonly proto: ProtoCtx;
  readonly env: EvalEnv;
  /**
   * A transport protocol was matched (`meta l4proto { tcp, udp }`, `ip protocol tcp`…, or a
   * header field such as `tcp dport`): NAT may then map ports (nft's nat_evaluate_transport).
   */
  transportMatched = false;
  constructor(readonly ctx: LinearizeContext) {
    this.proto = familyProto(ctx.family);
    this.env = { family: ctx.family, proto: this.proto, addDep: (exprs, merge) => this.stmts.push(merge ? { exprs, merge } : { exprs }) };
  }

  push(exprs: Expr[], merge?: Stmt['merge']): void {
    this.stmts.push(merge ? { exprs, merge } : { exprs });
  }

  /** A named set reference "@name" (`assume`: a set the context may assume, see LinearizeContext.assumeSets). */
  namedSet(ref: string, path: string, assume = false): JSet {
    const s = this.ctx.set(ref.slice(1)) ?? (assume && this.ctx.assumeSets === true ? ({ family: this.ctx.family, table: this.ctx.table, name: ref.slice(1) } as unknown as JSet) : undefined);
    if (s === undefined) throw new RangeError(`${path}: set ${JSON.stringify(ref.slice(1))} not found in table ${this.ctx.table}`);
    return s;
  }

  /** An anonymous set for `left` with these elements. */
  /**
   * An anonymous set for `left` with these elements, with nft's flags and userdata
   * (mnl_nft_set_add: key byte order, data byte order for maps, auto-merge for intervals, the
   * key's typeof for lookups, a verdict typeof for verdict maps, the data-interval flag).
   */
  anonSet(
    left: Ev,
    elems: readonly JSetElem[],
    path: string,
    data?: string | readonly string[] | 'verdict',
    extraFlags = 0,
    opts: { keyTypeof?: JExpr; dataOrder?: 'big' | 'host'; dataInterval?: boolean; elemsPath?: string } = {},
  ): { name: string; id: number; interval: boolean } {
    if (!Array.isArray(elems) || elems.length === 0) throw typeErr(path, 'a non-empty set of elements', elems);
    const key = left.k === 'concat' ? left.parts.map((p) => p.dtype) : left.dtype;
    const keyFields = left.k === 'concat' ? left.parts.map((p) => bytesOf(p.len)) : [bytesOf(left.len)];
    let flags = SET_ANONYMOUS | SET_CONSTANT | extraFlags;
    const interval = elems.some((e) => hasInterval(data === undefined ? e : Array.isArray(e) ? (e as readonly JExpr[])[0] : e));
    if (interval) flags |= SET_INTERVAL;
    if (interval && left.k === 'concat') flags |= SET_CONCAT;
    const object = (extraFlags & SET_OBJECT) !== 0;
    if (data !== undefined && !object) flags |= SET_MAP;
    const keyOrder = left.k === 'concat' ? BYTEORDER.invalid : left.order === 'host' ? BYTEORDER.host : BYTEORDER.big;
    let userdata: Uint8Array;
    if (data === undefined) {
      userdata = setUdata(keyOrder, interval, opts.keyTypeof);
    } else {
      // expr_evaluate_map: the key is a constant (no typeof) unless a concatenation; no auto-merge
      const entries: [number, Uint8Array][] = [[SET_UDATA.keyByteorder, u32Value(keyOrder)]];
      if (!object) {
        const dataOrder = data === 'verdict' || Array.isArray(data) ? BYTEORDER.invalid : opts.dataOrder === 'host' ? BYTEORDER.host : BYTEORDER.big;
        entries.push([SET_UDATA.dataByteorder, u32Value(dataOrder)]);
      }
      const kt = opts.keyTypeof !== undefined && left.k === 'concat' && !object ? typeofTlv(opts.keyTypeof) : undefined;
      if (kt) entries.push([SET_UDATA.keyTypeof, kt]);
      // verdict data: a typeof naming the verdict expression (EXPR_VERDICT = 1), no data
      if (data === 'verdict') entries.push([SET_UDATA.dataTypeof, encodeUdata([[0, u32Value(1)], [1, new Uint8Array()]])]);
      entries.push([SET_UDATA.dataInterval, u32Value(opts.dataInterval ? 1 : 0)]);
      userdata = encodeUdata(entries);
    }
    const keyOrders = left.k === 'concat' ? left.parts.map((p) => p.order) : [left.order];
    const req: AnonSetRequest = { key, flags, elems, keyFields, keyOrders, userdata, path: opts.elemsPath ?? path, ...(data !== undefined ? { data } : {}) };
    return { ...this.ctx.anonSet(req), interval };
  }

  /** Resolves a map's data side (`@name` or an anonymous map's elements) into a lookup. */
  mapLookup(key: Ev, data: JExpr, path: string, verdict: boolean, dataHint?: string, keyJson?: JExpr): MapInfo {
    if (typeof data === 'string' && data.startsWith('@')) {
      const s = this.namedSet(data, path);
      if (s.map === undefined) throw new TypeError(`${path}: ${data} is a set, not a map`);
      const types = [...(declaredNames(s.map) ?? String(s.map).split(' . '))];
      const interval = (s.elem ?? []).some((e) => Array.isArray(e) && hasInterval((e as readonly JExpr[])[1]));
      return { set: s.name, dataTypes: types, interval, namedInterval: s.flags?.includes('interval') === true };
    }
    const elems = (data as { set?: unknown }).set ?? data;
    if (!Array.isArray(elems)) throw typeErr(`${path}.data`, 'a set of [key, value] pairs or "@map"', data);
    for (const [i, e] of (elems as unknown[]).entries()) {
      if (!Array.isArray(e) || e.length !== 2) throw typeErr(`${path}.data.set[${i}]`, 'a [key, value] pair', e);
    }
    const pairs = elems as readonly (readonly JExpr[])[];
    const hint = dataHint ?? this.dataHint?.dtype;
    const types = verdict ? ['verdict'] : hint !== undefined ? hint.split(' . ') : inferDataTypes(pairs);
    const interval = pairs.some((e) => hasInterval(e[1]));
    const dataOrder = types.length === 1 && types[0] !== 'verdict' ? (this.dataHint?.order ?? datatype(types[0]!)?.byteorder) : undefined;
    const r = this.anonSet(key, elems as readonly JSetElem[], `${path}.data`, types.length === 1 ? types[0] : types, 0, {
      dataInterval: interval,
      elemsPath: (data as { set?: unknown }).set !== undefined ? `${path}.data.set` : `${path}.data`,
      ...(dataOrder !== undefined ? { dataOrder } : {}),
      ...(keyJson !== undefined ? { keyTypeof: keyJson } : {}),
    });
    return { set: r.name, setId: r.id, dataTypes: types, interval, namedInterval: r.interval };
  }

  evalValue(e: JExpr, path: string): Ev {
    return evalExpr(this.env, e, path, (key, data, p, keyJson) => {
      const m = this.mapLookup(key, data, p, false, undefined, keyJson);
      if (m.namedInterval) key = toBigEndian(key);
      return { k: 'map', len: 128, dtype: m.dataTypes.join(' . '), order: 'big', key, set: m.set, ...(m.setId !== undefined ? { setId: m.setId } : {}) };
    });
  }

  /** An expression that produces a value of `target`'s type: a constant or an expression. */
  argument(target: Ev | { dtype: string; len: number; order: 'big' | 'host' }, e: JExpr, path: string): Ev {
    if (isConstant(e) || (Array.isArray(e) && e.every((x) => typeof x === 'string' || typeof x === 'number')) || (typeof e === 'object' && e !== null && 'concat' in e && !(e.concat as unknown[]).some((x) => typeof x === 'object'))) {
      const t: Ev = 'k' in target ? target : { k: 'value', len: target.len, dtype: target.dtype, order: target.order, data: new Uint8Array() };
      return constEv(t, e, path);
    }
    const saved = this.dataHint;
    this.dataHint = { dtype: target.dtype, order: target.order };
    let v: Ev;
    try {
      v = this.evalValue(e, path);
    } finally {
      this.dataHint = saved;
    }
    // __stmt_evaluate_arg converts rt values to the target's byte order
    if (oneKey(e) === 'rt' && v.order !== target.order) return convertOrder(v, target.order);
    return v;
  }

  // ───────────────────────────── matches ─────────────────────────────

  match(m: { op?: unknown; left?: unknown; right?: unknown }, path: string): void {
    const op = m.op;
    if (typeof op !== 'string' || !(op in CMP_OP)) throw typeErr(`${path}.op`, 'a relational operator (==, !=, <, >, <=, >=, in)', op);
    let right = m.right as JExpr;
    // expr_evaluate_set: an anonymous set of one value, prefix or range is that element
    const single = singleElement(right);
    if (single !== undefined && oneKey(m.left) !== 'concat') right = single;
    if ((op === '==' || op === 'in') && isTransportKey(m.left as JExpr)) this.transportMatched = true;
    let left = this.evalValue(m.left as JExpr, `${path}.left`);
    const out: Expr[] = [];
    // binop_transfer: a sub-byte field compared with constants is not shifted back
    let elemShift = 0;
    if (left.k === 'shift' && left.op === 2 && left.sub !== undefined && !(typeof right === 'string' && right.startsWith('@'))) {
      elemShift = left.sub.shift;
      left = { ...left.arg, sub: left.sub } as Ev;
    }
    const inv = op === '!=';
    const rk = oneKey(right);
    const setOp = (): void => {
      // expr_evaluate_relational: a set is matched with == / != (or in) only
      if (op !== '==' && op !== '!=' && op !== 'in') throw new TypeError(`${path}.op: relational expression (${op}) is undefined for set expressions`);
    };
    // set reference
    if (typeof right === 'string' && right.startsWith('@')) {
      setOp();
      const named = this.namedSet(right, `${path}.right`, true);
      if (named.flags?.includes('interval')) left = toBigEndian(left);
      this.lookup(out, left, right.slice(1), undefined, inv);
      return this.push(out);
    }
    // anonymous set
    const setElems = rk === 'set' ? (right as { set: unknown }).set : Array.isArray(right) && !BITMASK_TYPES.has(left.dtype) ? right : undefined;
    if (setElems !== undefined) {
      let elems = Array.isArray(setElems) ? (setElems as JSetElem[]) : [setElems as JSetElem];
      if (elemShift) elems = elems.map((x) => shiftElem(x, elemShift));
      if (BITMASK_TYPES.has(left.dtype)) elems = elems.map((x) => flattenFlags(x) as JSetElem);
      if (BITMASK_TYPES.has(left.dtype) && elems.every((x) => typeof x === 'string' || typeof x === 'number') && rk !== 'set') {
        return this.flagcmp(out, left, valueBytes(left, elems as JExpr, `${path}.right`, true), op);
      }
      setOp();
      // the set's key is the left expression after evaluation: it has a typeof only when it is
      // still a plain load (not masked, shifted or byte-order converted)
      // the set's key is the left expression as evaluated before any byte-order conversion: it
      // has a typeof when it is a plain load (not masked or shifted)
      const typeofOk = left.sub === undefined && (left.k === 'load' || (left.k === 'concat' && left.parts.every((p) => p.k === 'load' && p.sub === undefined)));
      const elemsPath = rk === 'set' ? `${path}.right.set` : `${path}.right`;
      const r = this.anonSet(left, elems, `${path}.right`, undefined, 0, typeofOk ? { keyTypeof: m.left as JExpr, elemsPath } : { elemsPath });
      this.lookup(out, r.interval ? toBigEndian(left) : left, r.name, r.id, inv);
      return this.push(out);
    }
    if (rk === 'range') {
      const [lo, hi] = (right as { range: readonly [JExpr, JExpr] }).range;
      left = toBigEndian(left);
      const sreg = this.regs.get(left);
      gen(out, this.regs, left, sreg);
      const a = valueBytes(left, lo, `${path}.right.range[0]`);
      const b = valueBytes(left, hi, `${path}.right.range[1]`);
      if (Buffer.compare(a, b) > 0) throw new RangeError(`${path}.right.range: range has zero or negative size (${JSON.stringify(lo)} is above ${JSON.stringify(hi)})`);
      if (inv) out.push({ type: 'range', sreg: nlreg(sreg), op: 1, fromData: a, toData: b });
      else if (op === '==' || op === 'in') {
        out.push({ type: 'cmp', sreg: nlreg(sreg), op: 5, data: a });
        out.push({ type: 'cmp', sreg: nlreg(sreg), op: 3, data: b });
      } else throw new TypeError(`${path}.op: a range can only be compared with == or !=`);
      this.regs.release(left);
      return this.push(out);
    }
    if (rk === 'prefix') {
      const pf = (right as { prefix: { addr: JExpr; len: number } }).prefix;
      const len = pf.len;
      if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > left.len) throw typeErr(`${path}.right.prefix.len`, `a prefix length 0-${left.len}`, len);
      const addr = valueBytes(left, pf.addr, `${path}.right.prefix.addr`);
      const sreg = this.regs.get(left);
      const isString = isStringType(left.dtype);
      if (!isString && (len === 0 || len % 8 !== 0 || left.order !== 'big')) {
        gen(out, this.regs, left, sreg);
        const mask = new Uint8Array(addr.length);
        for (let i = 0; i < len; i++) mask[i >> 3]! |= 0x80 >> (i & 7);
        out.push({ type: 'bitwise', sreg: nlreg(sreg), dreg: nlreg(sreg), op: 0, len: addr.length, mask, xor: new Uint8Array(addr.length) });
        out.push({ type: 'cmp', sreg: nlreg(sreg), op: CMP_OP[op]!, data: addr });
      } else {
        const n = bytesOf(len);
        gen(out, this.regs, shorten(left, len), sreg);
        out.push({ type: 'cmp', sreg: nlreg(sreg), op: CMP_OP[op]!, data: addr.slice(0, n) });
      }
      this.regs.release(left);
      return this.push(out);
    }
    // flags (bitmask types): `ct state established,related`, `tcp flags syn`
    if (op === 'in' && BITMASK_TYPES.has(left.dtype) && (isConstant(right) || Array.isArray(right))) {
      return this.flagcmp(out, left, valueBytes(left, right, `${path}.right`, true), op);
    }
    if (!isConstant(right) && rk !== 'concat' && !(Array.isArray(right) && BITMASK_TYPES.has(left.dtype))) {
      // expression on the right is not supported by the kernel's cmp
      throw typeErr(`${path}.right`, 'a constant, a set, a range or a prefix', right);
    }
    if (op === '<' || op === '>' || op === '<=' || op === '>=') left = toBigEndian(left);
    // fib … missing/exists: the present flag and a boolean result
    if (typeof right === 'boolean' && left.k === 'load') {
      const x = left.emit(1) as { type: string; flags?: number };
      if (x.type === 'fib') {
        const emit = left.emit;
        left = { k: 'load', len: left.len, dtype: 'boolean', order: 'host', emit: (d) => ({ ...(emit(d) as object), flags: (x.flags ?? 0) | 0x20 } as Expr) };
      }
    }
    const data = valueBytes(left, right, `${path}.right`, Array.isArray(right), op === '==' || op === '!=' || op === 'in');
    const sreg = this.regs.get(left);
    gen(out, this.regs, left, sreg);
    out.push({ type: 'cmp', sreg: nlreg(sreg), op: CMP_OP[op]!, data });
    this.regs.release(left);
    const pl = left.k === 'load' ? left.payload : undefined;
    const merge =
      pl !== undefined && (op === '==' || op === 'in' || op === '!=') && pl.offset % 8 === 0 && pl.len % 8 === 0
        ? { base: pl.base, offset: pl.offset, len: pl.len, op: CMP_OP[op]!, data, protocol: isProtocolKey(pl.name) }
        : undefined;
    this.push(out, merge);
    this.learn(left, data, op);
  }

  /** Protocol context from explicit matches (`meta l4proto tcp`, `ip protocol tcp`, `meta nfproto ipv4`…). */
  learn(left: Ev, data: Uint8Array, op: string): void {
    if (op !== '==' && op !== 'in') return;
    const name = left.k === 'load' ? (left.payload?.name ?? loadKeyName(left)) : undefined;
    if (name === undefined) return;
    const num = Number(data.length === 1 ? data[0] : data.length === 2 ? ((data[0]! << 8) | data[1]!) : -1);
    const byL4 = Object.entries(L4PROTO).find(([, n]) => n === num)?.[0];
    if ((name === 'meta l4proto' || name === 'ip protocol' || name === 'ip6 nexthdr') && byL4) this.proto.th = byL4;
    if (name === 'meta nfproto') {
      const nh = Object.entries(NFPROTO_OF).find(([, n]) => n === num)?.[0];
      if (nh !== undefined) this.proto.nh = nh;
    }
    if (name === 'meta protocol' || name === 'ether type') {
      const et: Record<number, string> = { 0x0800: 'ip', 0x86dd: 'ip6', 0x0806: 'arp' };
      const hostNum = data.length === 2 ? (data[0]! << 8) | data[1]! : -1;
      if (et[hostNum]) this.proto.nh = et[hostNum];
      if (name === 'ether type' && hostNum === 0x8100) this.proto.ll = 'vlan';
    }
  }

  flagcmp(out: Expr[], left: Ev, mask: Uint8Array, op: string): void {
    const sreg = this.regs.get(left);
    const n = bytesOf(left.len);
    if (left.k === 'bitwise') {
      gen(out, this.regs, left, sreg);
      out.push({ type: 'cmp', sreg: nlreg(sreg), op: 0, data: mask });
    } else {
      gen(out, this.regs, left, sreg);
      out.push({ type: 'bitwise', sreg: nlreg(sreg), dreg: nlreg(sreg), op: 0, len: n, mask, xor: new Uint8Array(n) });
      out.push({ type: 'cmp', sreg: nlreg(sreg), op: op === '!=' ? 0 : 1, data: new Uint8Array(n) });
    }
    this.regs.release(left);
    this.push(out);
  }

  lookup(out: Expr[], left: Ev, set: string, setId: number | undefined, inv: boolean): void {
    const sreg = this.regs.get(left);
    gen(out, this.regs, left, sreg);
    const l: Record<string, unknown> = { type: 'lookup', sreg: nlreg(sreg), set };
    if (setId !== undefined) l.setId = setId;
    if (inv) l.flags = 1;
    out.push(l as Expr);
    this.regs.release(left);
  }

  // ───────────────────────────── statements ─────────────────────────────

  verdict(kind: string, v: unknown, path: string): void {
    const code = VERDICTS[kind]!;
    if (kind === 'jump' || kind === 'goto') {
      // chain binding (package extension; nft has no JSON form for `jump { … }`): the bound
      // chain's rules instead of (or besides, in a listing) a target
      const bound = (v as { rules?: unknown } | null)?.rules;
      if (bound !== undefined) {
        const isRule = (r: unknown): boolean => Array.isArray(r) || (typeof r === 'object' && r !== null && Array.isArray((r as { expr?: unknown }).expr));
        if (!Array.isArray(bound) || !bound.every(isRule)) throw typeErr(`${path}.rules`, 'an array of rules, each an array of statements or { expr, comment } (a bound chain)', bound);
        const t = (v as { target?: unknown }).target;
        if (t !== undefined && typeof t !== 'string') throw typeErr(`${path}.target`, 'a chain name', t);
        const c = this.ctx.bindChain(bound as JBoundRule[]);
        return this.push([{ type: 'immediate', dreg: 0, verdict: code, chainId: c.id }]);
      }
      const t = (v as { target?: unknown } | null)?.target;
      if (typeof t !== 'string') throw typeErr(`${path}.target`, 'a chain name', t);
      return this.push([{ type: 'immediate', dreg: 0, verdict: code, chain: t }]);
    }
    if (v !== null) throw typeErr(path, 'null', v);
    this.push([{ type: 'immediate', dreg: 0, verdict: code }]);
  }

  statement(s: JStatement, path: string): void {
    if (typeof s === 'string') throw new TypeError(`${path}: nft printed this statement as text (${JSON.stringify(s)}); it has no JSON form nft -j -f can load`);
    const k = oneKey(s);
    if (k === undefined) throw typeErr(path, 'a statement object with one key', s);
    const v = (s as Record<string, unknown>)[k];
    const p = `${path}.${k}`;
    switch (k) {
      case 'accept':
      case 'drop':
      case 'continue':
      case 'return':
      case 'jump':
      case 'goto':
        return this.verdict(k, v, p);
      case 'match':
        return this.match(v as Record<string, unknown>, p);
      case 'counter':
        if (v === null || (typeof v === 'object' && !Array.isArray(v) && ('packets' in (v as object) || 'bytes' in (v as object) || Object.keys(v as object).length === 0))) {
          return this.push([counterExpr(v as { packets?: number | bigint; bytes?: number | bigint } | null, p)]);
        }
        return this.objref('counter', v as JExpr, p);
      case 'quota':
        if (typeof v === 'object' && v !== null && 'val' in v) return this.push([quotaExpr(v as Record<string, unknown>, p)]);
        return this.objref('quota', v as JExpr, p);
      case 'limit':
        if (typeof v === 'object' && v !== null && 'rate' in v) return this.push([limitExpr(v as Record<string, unknown>, p)]);
        return this.objref('limit', v as JExpr, p);
      case 'ct helper':
      case 'ct timeout':
      case 'ct expectation':
      case 'secmark':
        return this.objref(k, v as JExpr, p);
      case 'synproxy':
        if (v === null || (typeof v === 'object' && !Array.isArray(v) && oneKey(v) !== 'map')) return this.push([synproxyExpr(v as Record<string, unknown> | null, p)]);
        return this.objref('synproxy', v as JExpr, p);
      case 'ct count': {
        const o = v as { val?: unknown; inv?: unknown };
        if (typeof o.val !== 'number') throw typeErr(`${p}.val`, 'a number', o.val);
        return this.push([{ type: 'connlimit', count: o.val, flags: o.inv === true ? 1 : 0 }]);
      }
      case 'notrack':
        return this.push([{ type: 'notrack' }]);
      case 'log':
        return this.push([logExpr(v as Record<string, unknown> | null, p)]);
      case 'mangle':
        return this.mangle(v as { key?: unknown; value?: unknown }, p);
      case 'vmap': {
        const o = v as { key?: unknown; data?: unknown };
        let key = this.evalValue(o.key as JExpr, `${p}.key`);
        let data = o.data as JExpr;
        if (key.k === 'shift' && key.op === 2 && key.sub !== undefined && !(typeof data === 'string')) {
          const sh = key.sub.shift;
          key = { ...key.arg, sub: key.sub } as Ev;
          const el = ((data as { set?: unknown }).set ?? data) as JSetElem[];
          if (Array.isArray(el)) data = { set: el.map((x) => (Array.isArray(x) ? [shiftElem(x[0] as JSetElem, sh), x[1]] : x)) } as JExpr;
        }
        if (BITMASK_TYPES.has(key.dtype) && typeof data !== 'string') {
          const el = ((data as { set?: unknown }).set ?? data) as JSetElem[];
          if (Array.isArray(el)) data = { set: el.map((x) => (Array.isArray(x) ? [flattenFlags(x[0]), x[1]] : x)) } as JExpr;
        }
        const m = this.mapLookup(key, data, p, true, undefined, o.key as JExpr);
        if (m.interval || m.namedInterval) key = toBigEndian(key);
        const out: Expr[] = [];
        const sreg = this.regs.get(key);
        let space = 0;
        if (key.k === 'concat') {
          space = Math.ceil(key.len / 32);
          this.regs.low += space;
        }
        gen(out, this.regs, key, sreg);
        this.regs.low -= space;
        const l: Record<string, unknown> = { type: 'lookup', sreg: nlreg(sreg), dreg: 0, set: m.set };
        if (m.setId !== undefined) l.setId = m.setId;
        out.push(l as Expr);
        this.regs.release(key);
        return this.push(out);
      }
      case 'snat':
      case 'dnat':
      case 'masquerade':
      case 'redirect':
        return this.nat(k, v as Record<string, unknown> | null, p);
      case 'reject':
        return this.reject(v as Record<string, unknown> | null, p);
      case 'set':
      case 'map':
        return this.dynset(k, v as Record<string, unknown>, p);
      case 'meter':
        return this.meter(v as Record<string, unknown>, p);
      case 'queue':
        return this.queue(v as Record<string, unknown> | null, p);
      case 'dup':
      case 'fwd':
        return this.dupFwd(k, v as Record<string, unknown> | null, p);
      case 'tproxy':
        return this.tproxy(v as Record<string, unknown>, p);
      case 'reset': {
        const e = this.evalValue(v as JExpr, p);
        const x = e.k === 'load' ? (e.emit(1) as { exthdrType?: number; op?: number }) : undefined;
        if (x?.exthdrType === undefined) throw typeErr(p, 'a tcp option', v);
        return this.push([{ type: 'exthdr', exthdrType: x.exthdrType, op: x.op ?? 1 } as Expr]);
      }
      case 'flow': {
        // `flow add @ft` (netlink_gen_flow_offload_stmt): one flow_offload expression naming the flowtable
        const o = v as { op?: unknown; flowtable?: unknown } | null;
        if (o?.op !== 'add') throw typeErr(`${p}.op`, '"add"', o?.op);
        const ft = o.flowtable;
        if (typeof ft !== 'string' || !/^@.+/.test(ft)) throw typeErr(`${p}.flowtable`, 'a flowtable reference "@name"', ft);
        const name = ft.slice(1);
        if (Buffer.byteLength(name) > 255) throw typeErr(`${p}.flowtable`, 'a flowtable name of at most 255 bytes', ft);
        return this.push([{ type: 'flow_offload', tableName: name }]);
      }
      case 'xt':
        throw new TypeError(`${p}: xt (iptables-nft compat) statements cannot be built`);
      case 'last':
        return this.push([lastExpr(v, p)]);
      case 'raw': {
        const ex = (v as { exprs?: unknown }).exprs;
        if (!Array.isArray(ex)) throw typeErr(`${p}.exprs`, 'an array of kernel expressions', ex);
        for (const [i, x] of ex.entries()) if (typeof x !== 'object' || x === null || 'unknown' in x) throw new TypeError(`${p}.exprs[${i}]: an undecoded kernel expression cannot be sent`);
        checkExprLimits(ex, `${p}.exprs`, LIMITS.ruleExprs, 'a raw statement');
        return this.push([...(ex as Expr[])]);
      }
      default:
        throw new TypeError(`${path}: unknown statement ${JSON.stringify(k)}`);
    }
  }

  objref(kind: string, v: JExpr, path: string): void {
    const type = OBJREF_TYPE[kind]!;
    if (typeof v === 'string') return this.push([{ type: 'objref', immType: type, immName: v }]);
    if (oneKey(v) === 'map') {
      const o = (v as { map: { key: JExpr; data: JExpr } }).map;
      const key = this.evalValue(o.key, `${path}.map.key`);
      let set: string;
      let setId: number | undefined;
      if (typeof o.data === 'string' && o.data.startsWith('@')) set = this.namedSet(o.data, `${path}.map.data`).name;
      else {
        const elems = (o.data as { set?: unknown }).set ?? o.data;
        // stmt_evaluate_objref_map: the key is a constant, so no typeof even for concatenations
        const r = this.anonSet(key, elems as JSetElem[], `${path}.map.data`, kind, SET_OBJECT);
        set = r.name;
        setId = r.id;
      }
      const out: Expr[] = [];
      const sreg = this.regs.get(key);
      gen(out, this.regs, key, sreg);
      this.regs.release(key);
      const x: Record<string, unknown> = { type: 'objref', setSreg: sreg, setName: set };
      if (setId !== undefined) x.setId = setId;
      out.push(x as Expr);
      return this.push(out);
    }
    throw typeErr(path, `a ${kind} name or a map`, v);
  }

  mangle(m: { key?: unknown; value?: unknown }, path: string): void {
    const keyJ = m.key as JExpr;
    const kk = oneKey(keyJ);
    const out: Expr[] = [];
    if (kk === 'meta' || kk === 'ct') {
      const target = this.evalValue(keyJ, `${path}.key`);
      const loaded = target.k === 'load' ? (target.emit(1) as Record<string, unknown>) : {};
      const val = this.argument(target, m.value as JExpr, `${path}.value`);
      const sreg = this.regs.get(val);
      gen(out, this.regs, val, sreg);
      this.regs.release(val);
      if (kk === 'meta') out.push({ type: 'meta', key: loaded.key as number, sreg: nlreg(sreg) });
      else {
        const x: Record<string, unknown> = { type: 'ct', sreg: nlreg(sreg), key: loaded.key };
        if (loaded.dir !== undefined) x.dir = loaded.dir;
        out.push(x as Expr);
      }
      return this.push(out);
    }
    if (kk === 'payload') return this.payloadSet(keyJ, m.value as JExpr, path);
    if (kk === 'tcp option' || kk === 'exthdr' || kk === 'ip option') {
      const target = this.evalValue(keyJ, `${path}.key`);
      if (target.k !== 'load') throw new TypeError(`${path}.key: only whole-byte option fields can be written`);
      const x = target.emit(1) as { exthdrType: number; offset: number; len: number; op: number };
      const val = this.argument(target, m.value as JExpr, `${path}.value`);
      const sreg = this.regs.get(val);
      gen(out, this.regs, val, sreg);
      this.regs.release(val);
      out.push({ type: 'exthdr', sreg: nlreg(sreg), exthdrType: x.exthdrType, offset: x.offset, len: x.len, op: x.op });
      return this.push(out);
    }
    throw typeErr(`${path}.key`, 'a meta, ct, payload or option expression', keyJ);
  }

  payloadSet(keyJ: JExpr, valueJ: JExpr, path: string): void {
    const target = this.evalValue(keyJ, `${path}.key`);
    const load = target.k === 'load' ? target : target.k === 'bitwise' && target.arg.k === 'load' ? target.arg : target.k === 'shift' && target.arg.k === 'bitwise' && target.arg.arg.k === 'load' ? target.arg.arg : undefined;
    const pl = load?.k === 'load' ? load.payload : undefined;
    if (pl === undefined) throw typeErr(`${path}.key`, 'a payload field', keyJ);
    const fieldBits = target.sub?.bits ?? target.len;
    const fieldOff = target.sub ? pl.offset + (pl.len - target.sub.bits - target.sub.shift) : pl.offset;
    const csum = pl.protocol !== undefined ? CHECKSUM[pl.protocol] : undefined;
    const pseudo = pl.name !== undefined && PSEUDOHDR.has(pl.name);
    const out: Expr[] = [];
    const needAdjust = fieldOff % 8 !== 0 || fieldBits % 8 !== 0;
    let byteOff = Math.floor(fieldOff / 8);
    let byteLen = Math.ceil(((fieldOff % 8) + fieldBits) / 8);
    let shift = byteLen * 8 - (fieldOff % 8) - fieldBits;
    let val: Ev;
    if (!needAdjust && (csum === undefined || byteLen % 2 === 0)) {
      val = this.argument({ dtype: target.dtype, len: fieldBits, order: target.order }, valueJ, `${path}.value`);
      if (val.k !== 'value' && val.order !== 'big') val = convertOrder(val, 'big');
    } else {
      if (csum !== undefined && byteLen % 2 === 1) {
        byteLen++;
        if (byteOff % 2 === 1) byteOff--;
        else shift += 8;
      }
      if (!isConstant(valueJ)) throw new TypeError(`${path}.value: only constants can be written to a field that is not byte aligned`);
      const raw = valueBytes({ k: 'value', len: fieldBits, dtype: target.dtype, order: 'big', data: new Uint8Array() }, valueJ, `${path}.value`);
      let v = 0n;
      for (const b of raw) v = (v << 8n) | BigInt(b);
      const full = (1n << BigInt(byteLen * 8)) - 1n;
      const fieldMask = ((1n << BigInt(fieldBits)) - 1n) << BigInt(shift);
      const loadEv: Ev = { k: 'load', len: byteLen * 8, dtype: 'integer', order: 'big', emit: (dreg) => ({ type: 'payload', dreg: nlreg(dreg), base: pl.base, offset: byteOff, len: byteLen }) };
      val = { k: 'bitwise', len: byteLen * 8, dtype: 'integer', order: 'big', arg: loadEv, mask: beBytes(full ^ fieldMask, byteLen), xor: beBytes(v << BigInt(shift), byteLen) };
    }
    const sreg = this.regs.get(val);
    gen(out, this.regs, val, sreg);
    this.regs.release(val);
    const x: Record<string, unknown> = { type: 'payload', sreg: nlreg(sreg), base: pl.base, offset: byteOff, len: byteLen };
    if (csum !== undefined) {
      x.csumType = csum[0];
      x.csumOffset = csum[1];
    }
    if (pseudo) x.flags = 1;
    out.push(x as Expr);
    this.push(out);
  }

  nat(kind: string, o: Record<string, unknown> | null, path: string): void {
    const a = o ?? {};
    const flagList = a.flags === undefined ? [] : Array.isArray(a.flags) ? a.flags : [a.flags];
    let flags = 0;
    for (const f of flagList) {
      const n = typeof f === 'string' ? NAT_FLAGS[f] : undefined;
      if (n === undefined) throw typeErr(`${path}.flags`, `nat flags (${Object.keys(NAT_FLAGS).join(', ')})`, f);
      flags |= n;
    }
    const x: Record<string, unknown> = { type: kind === 'snat' || kind === 'dnat' ? 'nat' : kind === 'masquerade' ? 'masq' : 'redir' };
    let family = 0;
    const nh = this.proto.nh === 'ip' || this.proto.nh === 'ip6' ? this.proto.nh : undefined;
    if (kind === 'snat' || kind === 'dnat') {
      x.natType = kind === 'snat' ? 0 : 1;
      // nat_evaluate_family: in inet tables an earlier ip/ip6 match gives the family
      const fam = (a.family as string | undefined) ?? (this.ctx.family === 'ip' || this.ctx.family === 'ip6' ? this.ctx.family : nh);
      if (fam === undefined && a.addr !== undefined) throw new TypeError(`${path}.family: required in ${this.ctx.family} tables when an address is given (or match ip/ip6 earlier in the rule)`);
      if (a.addr !== undefined && nh !== undefined && fam !== nh) {
        throw new TypeError(`${path}.family: conflicting protocols specified: ${nh} vs. ${fam}. You must specify ip or ip6 family in nat statement`);
      }
      family = fam === 'ip6' ? 10 : 2;
      x.family = family;
    }
    // nat_evaluate_transport: ports need a transport protocol match earlier in the rule, or a
    // map whose key holds a transport header field or a network protocol key
    const transport = (): boolean => this.transportMatched || this.proto.th !== undefined;
    if (a.port !== undefined && !transport()) {
      throw new TypeError(`${path}.port: transport protocol mapping is only valid after transport protocol match (tcp dport …, meta l4proto …)`);
    }
    const out: Expr[] = [];
    let registers = 0;
    const addrType = family === 10 ? 'ipv6_addr' : 'ipv4_addr';
    const addrBits = family === 10 ? 128 : 32;
    if (a.addr !== undefined) {
      const addr = a.addr as JExpr;
      const amin = this.regs.get();
      registers++;
      const rk = oneKey(addr);
      if (rk === 'range' || rk === 'prefix') {
        const amax = this.regs.get();
        registers++;
        const t: Ev = { k: 'value', dtype: addrType, len: addrBits, order: 'big', data: new Uint8Array() };
        let lo: Uint8Array;
        let hi: Uint8Array;
        if (rk === 'range') {
          const [l, h] = (addr as { range: [JExpr, JExpr] }).range;
          lo = valueBytes(t, l, `${path}.addr.range[0]`);
          hi = valueBytes(t, h, `${path}.addr.range[1]`);
        } else {
          // a prefix is the range of its addresses (stmt_prefix_conversion)
          const pf = (addr as { prefix: { addr: JExpr; len: number } }).prefix;
          if (typeof pf.len !== 'number' || !Number.isInteger(pf.len) || pf.len < 0 || pf.len > addrBits) throw typeErr(`${path}.addr.prefix.len`, `a prefix length 0-${addrBits}`, pf.len);
          lo = valueBytes(t, pf.addr, `${path}.addr.prefix.addr`);
          hi = Uint8Array.from(lo);
          for (let i = pf.len; i < addrBits; i++) hi[i >> 3]! |= 0x80 >> (i & 7);
        }
        out.push({ type: 'immediate', dreg: nlreg(amin), data: lo });
        out.push({ type: 'immediate', dreg: nlreg(amax), data: hi });
        x.regAddrMin = nlreg(amin);
        x.regAddrMax = nlreg(amax);
      } else if (rk === 'map') {
        const mo = (addr as { map: { key: JExpr; data: JExpr } }).map;
        const key = this.evalValue(mo.key, `${path}.addr.map.key`);
        const typeFlags = a.type_flags === undefined ? [] : Array.isArray(a.type_flags) ? (a.type_flags as string[]) : [a.type_flags as string];
        const anonData = typeof mo.data === 'string' ? undefined : (((mo.data as { set?: unknown }).set ?? mo.data) as unknown[]);
        const concatData = typeFlags.includes('concat') || (Array.isArray(anonData) && Array.isArray(anonData[0]) && oneKey((anonData[0] as unknown[])[1]) === 'concat');
        if (concatData && !transport() && !keyHasTransport(mo.key)) {
          throw new TypeError(`${path}.addr: transport protocol mapping is only valid after transport protocol match (tcp dport …, meta l4proto …)`);
        }
        const m = this.mapLookup(key, mo.data, `${path}.addr.map`, false, concatData ? `${addrType} . inet_service` : addrType, mo.key);
        const concat = m.dataTypes.length > 1;
        const interval = m.interval || typeFlags.includes('interval') || typeFlags.includes('prefix');
        const k2 = m.namedInterval ? toBigEndian(key) : key;
        gen(out, this.regs, { k: 'map', len: 128, dtype: m.dataTypes.join(' . '), order: 'big', key: k2, set: m.set, ...(m.setId !== undefined ? { setId: m.setId } : {}) }, amin);
        x.regAddrMin = nlreg(amin);
        const space = Math.ceil(addrBits / 32);
        let a2 = amin;
        if (interval) {
          a2 += space;
          if (concat) x.regProtoMin = nlreg(a2);
          else x.regAddrMax = nlreg(a2);
        }
        if (concat) {
          let pmin = a2;
          if (interval) {
            pmin += space;
            x.regAddrMax = nlreg(pmin);
          }
          pmin += space;
          if (interval) x.regProtoMax = nlreg(pmin);
          else x.regProtoMin = nlreg(pmin);
          flags |= 0x2; // NF_NAT_RANGE_PROTO_SPECIFIED
        }
      } else {
        const ev = this.argument({ dtype: addrType, len: addrBits, order: 'big' }, addr, `${path}.addr`);
        gen(out, this.regs, ev, amin);
        x.regAddrMin = nlreg(amin);
      }
      // nft never sends NF_NAT_RANGE_MAP_IPS (the kernel sets it for an address register and
      // dumps it); sending it would not be the bytes nft sends.
    }
    if (a.port !== undefined) {
      const port = a.port as JExpr;
      const pmin = this.regs.get();
      registers++;
      const t = { k: 'value' as const, dtype: 'inet_service', len: 16, order: 'big' as const, data: new Uint8Array() };
      if (oneKey(port) === 'range') {
        const pmax = this.regs.get();
        registers++;
        const [l, h] = (port as { range: [JExpr, JExpr] }).range;
        out.push({ type: 'immediate', dreg: nlreg(pmin), data: valueBytes(t, l, `${path}.port.range[0]`) });
        out.push({ type: 'immediate', dreg: nlreg(pmax), data: valueBytes(t, h, `${path}.port.range[1]`) });
        x.regProtoMin = nlreg(pmin);
        x.regProtoMax = nlreg(pmax);
      } else {
        const ev = this.argument(t, port, `${path}.port`);
        gen(out, this.regs, ev, pmin);
        x.regProtoMin = nlreg(pmin);
      }
      flags |= 0x2; // NF_NAT_RANGE_PROTO_SPECIFIED
    }
    while (registers-- > 0) this.regs.release();
    if (flags !== 0) x.flags = flags;
    out.push(x as Expr);
    this.push(out);
  }

  reject(o: Record<string, unknown> | null, path: string): void {
    const fam = this.ctx.family;
    const type = o?.type;
    // stmt_evaluate_reject_family: an ip or ip6 table rejects with its own ICMP only
    if ((fam === 'ip' || fam === 'ip6') && type === 'icmpx') throw new TypeError(`${path}.type: abstracted ICMP unreachable not supported (icmpx is for inet, bridge and netdev tables)`);
    if ((fam === 'ip' && type === 'icmpv6') || (fam === 'ip6' && type === 'icmp')) {
      throw new TypeError(`${path}.type: conflicting protocols specified: ip vs ip6 (reject with ${type} in an ${fam} table)`);
    }
    let rtype: number;
    let code: number | undefined;
    const codeName = o?.expr;
    if (type === 'tcp reset') {
      ensureProtocol(this.env, 'tcp', `${path}.type`);
      rtype = 1;
      // json_parse_reject_stmt (and the text parser) give tcp reset the code 0, which is sent
      code = 0;
    } else if (type === 'icmpx' || (type === undefined && (fam === 'inet' || fam === 'bridge' || fam === 'netdev') && this.proto.nh !== 'ip' && this.proto.nh !== 'ip6')) {
      // stmt_evaluate_reject_default: icmpx unless the rule already fixed the network protocol
      rtype = 2;
      code = codeName === undefined ? 1 : encodeCode('icmpx_code', codeName, `${path}.expr`);
    } else if (type === 'icmp' || type === 'icmpv6' || type === undefined) {
      const v6 = type === 'icmpv6' || (type === undefined && (fam === 'ip6' || this.proto.nh === 'ip6'));
      if (fam === 'inet' || fam === 'bridge' || fam === 'netdev') ensureProtocol(this.env, v6 ? 'ip6' : 'ip', `${path}.type`);
      rtype = 0;
      code = codeName === undefined ? (v6 ? 4 : 3) : encodeCode(v6 ? 'icmpv6_code' : 'icmp_code', codeName, `${path}.expr`);
    } else throw typeErr(`${path}.type`, '"tcp reset", "icmpx", "icmp" or "icmpv6"', type);
    this.push([code === undefined ? { type: 'reject', rejectType: rtype } : { type: 'reject', rejectType: rtype, code }]);
  }

  dynset(kind: string, o: Record<string, unknown>, path: string): void {
    const opName = o.op;
    const op = opName === 'add' ? 0 : opName === 'update' ? 1 : opName === 'delete' ? 2 : -1;
    if (op < 0) throw typeErr(`${path}.op`, '"add", "update" or "delete"', opName);
    const ref = kind === 'set' ? o.set : o.map;
    if (typeof ref !== 'string' || !ref.startsWith('@')) throw typeErr(`${path}.${kind}`, 'a set reference "@name"', ref);
    const set = this.namedSet(ref, `${path}.${kind}`, kind === 'set');
    let elem = o.elem as JExpr;
    let timeout: bigint | undefined;
    if (oneKey(elem) === 'elem') {
      const eo = (elem as { elem: { val: JExpr; timeout?: number } }).elem;
      if (eo.timeout !== undefined) timeout = BigInt(Math.round(eo.timeout * 1000));
      elem = eo.val;
    }
    const out: Expr[] = [];
    const keyNames = typeNames(set.type);
    if (keyNames !== undefined) this.env.concatTypes = keyNames;
    let key: Ev;
    try {
      // a constant key (`add @m { 10.2.3.4 : 1 }`) takes the set's key type
      // (a number for a typed key: what nft 1.0.6 lists when the constant's type was lost,
      // `0xa020304 [invalid type]`; the key's bytes, as nft's integer parse of an address)
      let kt = isConstant(elem) ? typeTarget(set.type) : undefined;
      if (kt && (typeof elem === 'number' || typeof elem === 'bigint')) kt = { ...kt, dtype: 'integer' };
      key = kt ? this.argument(kt, elem, `${path}.elem`) : this.evalValue(elem, `${path}.elem`);
    } finally {
      this.env.concatTypes = undefined;
    }
    const sregKey = this.regs.get(key);
    gen(out, this.regs, key, sregKey);
    let sregData: number | undefined;
    let data: Ev | undefined;
    if (kind === 'map') {
      // the data in the map's data type: its length and byte order (meta mark is host order)
      const dt = typeTarget(set.map) ?? { dtype: String(set.map), len: 32, order: 'big' as const };
      data = this.argument(dt, o.data as JExpr, `${path}.data`);
      sregData = this.regs.get(data);
      gen(out, this.regs, data, sregData);
    }
    this.regs.release(key);
    if (data) this.regs.release(data);
    const stmts = (o.stmt ?? []) as JStatement[];
    const exprs = stmts.map((s, i) => statefulExpr(s, `${path}.stmt[${i}]`));
    const x: Record<string, unknown> = { type: 'dynset', sregKey: nlreg(sregKey) };
    if (sregData !== undefined) x.sregData = nlreg(sregData);
    x.op = op;
    if (timeout !== undefined && timeout > 0n) x.timeout = timeout;
    x.set = set.name;
    if (exprs.length > 0) x.exprs = exprs;
    if (exprs.length > 1 && kind === 'set') x.flags = 2;
    out.push(x as Expr);
    this.push(out);
  }

  meter(o: Record<string, unknown>, path: string): void {
    const name = o.name;
    if (typeof name !== 'string') throw typeErr(`${path}.name`, 'the meter name', name);
    let elem = o.key as JExpr;
    let timeout: bigint | undefined;
    if (oneKey(elem) === 'elem') {
      const eo = (elem as { elem: { val: JExpr; timeout?: number } }).elem;
      if (eo.timeout !== undefined) timeout = BigInt(Math.round(eo.timeout * 1000));
      elem = eo.val;
    }
    const out: Expr[] = [];
    const key = this.evalValue(elem, `${path}.key`);
    const stmt = statefulExpr(o.stmt as JStatement, `${path}.stmt`);
    // implicit_set_declaration: an anonymous set named after the meter, NFT_SET_EVAL (+ TIMEOUT)
    let setName = name;
    let setId: number | undefined;
    const existing = this.ctx.set(name);
    if (existing === undefined) {
      const keyT = key.k === 'concat' ? key.parts.map((p) => p.dtype) : key.dtype;
      const keyFields = key.k === 'concat' ? key.parts.map((p) => bytesOf(p.len)) : [bytesOf(key.len)];
      const size = o.size;
      if (size !== undefined && (typeof size !== 'number' || !Number.isInteger(size) || size < 0)) throw typeErr(`${path}.size`, 'a non-negative integer', size);
      const r = this.ctx.anonSet({
        key: keyT,
        flags: SET_ANONYMOUS | SET_EVAL | (timeout ? SET_TIMEOUT : 0),
        elems: [],
        keyFields,
        name,
        ...(size !== undefined ? { size } : {}),
      });
      setName = r.name;
      setId = r.id;
    }
    const sreg = this.regs.get(key);
    gen(out, this.regs, key, sreg);
    this.regs.release(key);
    const x: Record<string, unknown> = { type: 'dynset', sregKey: nlreg(sreg), op: timeout ? 1 : 0 };
    if (timeout) x.timeout = timeout;
    x.set = setName;
    if (setId !== undefined) x.setId = setId;
    x.exprs = [stmt];
    out.push(x as Expr);
    this.push(out);
  }

  queue(o: Record<string, unknown> | null, path: string): void {
    const flagList = o?.flags === undefined ? [] : Array.isArray(o.flags) ? o.flags : [o.flags];
    let flags = 0;
    for (const f of flagList) {
      const n = typeof f === 'string' ? QUEUE_FLAGS[f] : undefined;
      if (n === undefined) throw typeErr(`${path}.flags`, '"bypass" or "fanout"', f);
      flags |= n;
    }
    const num = o?.num;
    const x: Record<string, unknown> = { type: 'queue' };
    const out: Expr[] = [];
    if (num === undefined || typeof num === 'number' || oneKey(num) === 'range') {
      const [lo, hi] = num === undefined ? [0, 0] : typeof num === 'number' ? [num, num] : ((num as { range: [number, number] }).range);
      if (typeof lo !== 'number' || typeof hi !== 'number') throw typeErr(`${path}.num`, 'a queue number or range', num);
      x.num = lo;
      x.total = hi - lo + 1;
    } else {
      const ev = this.evalValue(num as JExpr, `${path}.num`);
      const sreg = this.regs.get(ev);
      gen(out, this.regs, ev, sreg);
      this.regs.release(ev);
      x.sregQnum = nlreg(sreg);
    }
    if (flags) x.flags = flags;
    out.push(x as Expr);
    this.push(out);
  }

  dupFwd(kind: string, o: Record<string, unknown> | null, path: string): void {
    const out: Expr[] = [];
    const x: Record<string, unknown> = { type: kind };
    const fam = (o?.family as string | undefined) ?? (this.ctx.family === 'ip6' ? 'ip6' : 'ip');
    const addrT = { dtype: fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr', len: fam === 'ip6' ? 128 : 32, order: 'big' as const };
    const devT = { dtype: 'iface_index', len: 32, order: 'host' as const };
    if (kind === 'fwd') {
      if (o?.dev === undefined) throw typeErr(`${path}.dev`, 'a device', undefined);
      const dev = this.argument(devT, o.dev as JExpr, `${path}.dev`);
      const r1 = this.regs.get(dev);
      gen(out, this.regs, dev, r1);
      x.sregDev = nlreg(r1);
      if (o.addr !== undefined) {
        const addr = this.argument(addrT, o.addr as JExpr, `${path}.addr`);
        const r2 = this.regs.get(addr);
        gen(out, this.regs, addr, r2);
        x.sregAddr = nlreg(r2);
        this.regs.release(addr);
      }
      this.regs.release(dev);
      if (o.family !== undefined || o.addr !== undefined) x.nfproto = fam === 'ip6' ? 10 : 2;
    } else {
      let to: Ev | undefined;
      if (o?.addr !== undefined) {
        // netdev: `dup to "eth0"` duplicates to a device
        const isDev = this.ctx.family === 'netdev';
        to = this.argument(isDev ? devT : addrT, o.addr as JExpr, `${path}.addr`);
        const r1 = this.regs.get(to);
        gen(out, this.regs, to, r1);
        if (isDev) x.sregDev = nlreg(r1);
        else x.sregAddr = nlreg(r1);
      }
      if (o?.dev !== undefined) {
        const dev = this.argument(devT, o.dev as JExpr, `${path}.dev`);
        const r2 = this.regs.get(dev);
        gen(out, this.regs, dev, r2);
        x.sregDev = nlreg(r2);
        this.regs.release(dev);
      }
      if (to) this.regs.release(to);
    }
    out.push(x as Expr);
    this.push(out);
  }

  tproxy(o: Record<string, unknown>, path: string): void {
    const fam = o.family as string | undefined;
    const x: Record<string, unknown> = { type: 'tproxy', family: fam === 'ip6' ? 10 : fam === 'ip' ? 2 : this.ctx.family === 'ip' ? 2 : this.ctx.family === 'ip6' ? 10 : 0 };
    const out: Expr[] = [];
    let registers = 0;
    if (o.addr !== undefined) {
      const r = this.regs.get();
      registers++;
      const ev = this.argument({ dtype: fam === 'ip6' || this.ctx.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr', len: fam === 'ip6' || this.ctx.family === 'ip6' ? 128 : 32, order: 'big' }, o.addr as JExpr, `${path}.addr`);
      gen(out, this.regs, ev, r);
      x.regAddr = nlreg(r);
    }
    if (o.port !== undefined) {
      const r = this.regs.get();
      registers++;
      const ev = this.argument({ dtype: 'inet_service', len: 16, order: 'big' }, o.port as JExpr, `${path}.port`);
      gen(out, this.regs, ev, r);
      x.regPort = nlreg(r);
    }
    while (registers-- > 0) this.regs.release();
    out.push(x as Expr);
    this.push(out);
  }

  /** nft's stmt_reduce: drop `meta protocol ip` in ip tables and merge adjacent payload matches. */
  finish(): Expr[] {
    const stmts: (Stmt | undefined)[] = [...this.stmts];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length < 2) {
        run = [];
        return;
      }
      const sorted = [...run].sort((a, b) => {
        const x = stmts[a]!.merge!;
        const y = stmts[b]!.merge!;
        return x.base - y.base || x.offset - y.offset;
      });
      let last = sorted[0]!;
      for (let i = 1; i < sorted.length; i++) {
        let cur = sorted[i]!;
        const l = stmts[last]!.merge!;
        const c = stmts[cur]!.merge!;
        const total = l.len + c.len;
        const can =
          l.base === c.base &&
          l.offset + l.len === c.offset &&
          l.op === c.op &&
          total <= 128 &&
          (total <= 32 || l.base === 0 || l.len > 32 || c.len > 32);
        if (!can) {
          last = cur;
          continue;
        }
        const data = new Uint8Array(l.data.length + c.data.length);
        data.set(l.data, 0);
        data.set(c.data, l.data.length);
        const merged = { base: l.base, offset: l.offset, len: total, op: l.op, data, protocol: l.protocol || c.protocol };
        let keep = last;
        if (c.protocol) {
          keep = cur;
          cur = last;
        }
        stmts[keep] = {
          exprs: [
            { type: 'payload', dreg: 1, base: merged.base, offset: merged.offset / 8, len: total / 8 },
            { type: 'cmp', sreg: 1, op: merged.op, data },
          ],
          merge: merged,
        };
        stmts[cur] = undefined;
        last = keep;
      }
      run = [];
    };
    for (let i = 0; i < stmts.length; i++) {
      const s = stmts[i]!;
      if (s.merge) run.push(i);
      else if (!isExpressionStmt(s)) flush();
    }
    flush();
    return stmts.filter((s): s is Stmt => s !== undefined).flatMap((s) => s.exprs);
  }
}

/** True for statements nft keeps in one merge run (relational expression statements). */
function isExpressionStmt(s: Stmt): boolean {
  const last = s.exprs[s.exprs.length - 1];
  return last !== undefined && (last.type === 'cmp' || last.type === 'range' || (last.type === 'lookup' && (last as { dreg?: number }).dreg === undefined));
}

function isProtocolKey(name: string | undefined): boolean {
  return name === 'ether type' || name === 'ip protocol' || name === 'ip6 nexthdr' || name === 'vlan type';
}

/** The key that names the transport protocol: `meta l4proto`, `ip protocol`, `ip6 nexthdr`. */
function isTransportKey(e: JExpr): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const pl = (e as { payload?: { protocol?: unknown; field?: unknown } }).payload;
  if (pl !== undefined) return (pl.protocol === 'ip' && pl.field === 'protocol') || (pl.protocol === 'ip6' && pl.field === 'nexthdr');
  return (e as { meta?: { key?: unknown } }).meta?.key === 'l4proto';
}

/**
 * nat_evaluate_addr_has_th_expr: a NAT map key (a concatenation) with a transport header field
 * other than `th`, or with the transport protocol's key.
 */
function keyHasTransport(key: JExpr): boolean {
  const parts = typeof key === 'object' && key !== null && 'concat' in key ? (key as { concat: readonly JExpr[] }).concat : [];
  return parts.some((e) => {
    if (isTransportKey(e)) return true;
    const protocol = typeof e === 'object' && e !== null ? (e as { payload?: { protocol?: unknown } }).payload?.protocol : undefined;
    return typeof protocol === 'string' && protocol !== 'th' && PROTO_BASE[protocol] === 'th';
  });
}

function loadKeyName(ev: Ev): string | undefined {
  if (ev.k !== 'load') return undefined;
  const x = ev.emit(1) as { type: string; key?: number };
  if (x.type === 'meta') {
    if (x.key === 16) return 'meta l4proto';
    if (x.key === 15) return 'meta nfproto';
    if (x.key === 1) return 'meta protocol';
  }
  return undefined;
}

function shorten(ev: Ev, bits: number): Ev {
  if (ev.k !== 'load') return ev;
  const n = bytesOf(bits);
  return {
    ...ev,
    len: bits,
    emit: (dreg: number) => {
      const x = ev.emit(dreg) as Record<string, unknown>;
      return ('len' in x ? { ...x, len: n } : x) as Expr;
    },
  };
}

/**
 * A lookup set's userdata. The key's typeof is written where nft's key expression has a
 * build_udata (set-udata.ts writes every kind but hash; jhash/symhash are written by typeofExtra).
 */
function setUdata(keyOrder: number, interval: boolean, keyTypeof: JExpr | undefined): Uint8Array {
  const base = { keyByteorder: keyOrder, map: 'none' as const, ...(interval ? { mergeElements: true } : {}) };
  if (keyTypeof !== undefined) {
    try {
      return buildSetUdata({ ...base, keyTypeof });
    } catch {
      // a typeof kind set-udata.ts cannot write: jhash/symhash are written here
      const extra = typeofExtra(keyTypeof);
      if (extra) {
        const head = buildSetUdata(base);
        const out = new Uint8Array(head.length + extra.length);
        out.set(head);
        out.set(extra, head.length);
        return out;
      }
    }
  }
  return buildSetUdata(base);
}

/** KEY_TYPEOF for hash keys (hash_expr_build_udata); set-udata.ts writes every other kind. */
function typeofExtra(e: JExpr): Uint8Array | undefined {
  const k = oneKey(e);
  const v = (e as Record<string, Record<string, unknown>>)[k ?? ''];
  let etype: number;
  let data: [number, Uint8Array][];
  if (k === 'jhash' || k === 'symhash') {
    etype = 24;
    data = [
      [0, u32Value(k === 'jhash' ? 0 : 1)],
      [1, u32Value(Number(v?.offset ?? 0))],
      [2, u32Value(Number(v?.mod ?? 0))],
      [3, u32Value(Number(v?.seed ?? 0))],
      [4, u32Value(v?.seed !== undefined ? 1 : 0)],
    ];
  } else return undefined;
  return encodeUdata([[SET_UDATA.keyTypeof, encodeUdata([[0, u32Value(etype)], [1, encodeUdata(data)]])]]);
}

/** The value of a KEY_TYPEOF TLV for an expression (set-udata.ts writes it after the byte order). */
function typeofTlv(e: JExpr): Uint8Array | undefined {
  try {
    const all = buildSetUdata({ keyByteorder: 0, map: 'none', keyTypeof: e });
    // skip the KEYBYTEORDER TLV (2 + 4 bytes) and the typeof TLV's own header
    return all.subarray(6 + 2);
  } catch {
    return undefined;
  }
}

/** The element of a one-element anonymous set when it is a value, prefix or range (not a concat or mapping). */
function singleElement(right: JExpr): JExpr | undefined {
  const elems = oneKey(right) === 'set' ? (right as { set: unknown }).set : undefined;
  const list = Array.isArray(elems) ? elems : elems !== undefined ? [elems] : undefined;
  if (list?.length !== 1) return undefined;
  let e = list[0] as unknown;
  if (oneKey(e) === 'elem') e = (e as { elem: { val: unknown } }).elem.val;
  if (typeof e === 'string' || typeof e === 'number' || typeof e === 'boolean') return e;
  const k = oneKey(e);
  return k === 'prefix' || k === 'range' ? (e as JExpr) : undefined;
}

/** An anonymous set element of a sub-byte field, shifted to where the field sits in its bytes. */
function shiftElem(e: JSetElem, shift: number): JSetElem {
  const sh = (v: unknown): unknown => {
    if (typeof v === 'number') return v * 2 ** shift;
    const k = oneKey(v);
    if (k === 'range') return { range: ((v as { range: unknown[] }).range).map(sh) };
    if (k === 'elem') {
      const o = (v as { elem: { val: unknown } }).elem;
      return { elem: { ...o, val: sh(o.val) } };
    }
    return v;
  };
  return sh(e) as JSetElem;
}

function hasInterval(e: unknown): boolean {
  if (typeof e === 'string') return e.endsWith('*') && !e.endsWith('\\*') && e !== '*';
  const k = oneKey(e);
  if (k === 'range' || k === 'prefix') return true;
  if (k === 'elem') return hasInterval((e as { elem: { val: unknown } }).elem.val);
  if (k === 'concat') return ((e as { concat: unknown[] }).concat).some(hasInterval);
  return false;
}

function inferDataTypes(elems: readonly (readonly JExpr[])[]): string[] {
  const v = elems[0]?.[1];
  if (oneKey(v) === 'concat') return ((v as { concat: JExpr[] }).concat).map((x) => inferDataType(x));
  return [inferDataType(v)];
}

function inferDataType(v: JExpr | undefined): string {
  if (typeof v === 'string' && /^\d+\.\d+\.\d+\.\d+$/.test(v)) return 'ipv4_addr';
  if (typeof v === 'string' && v.includes(':')) return 'ipv6_addr';
  if (oneKey(v) === 'prefix' || oneKey(v) === 'range') {
    const o = v as unknown as { prefix?: { addr: unknown }; range?: unknown[] };
    const a = o.prefix?.addr ?? o.range?.[0];
    return typeof a === 'string' && a.includes(':') ? 'ipv6_addr' : 'ipv4_addr';
  }
  if (typeof v === 'number') return 'integer';
  return 'integer';
}

function encodeCode(type: string, v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  const b = valueBytes({ k: 'value', dtype: type, len: 8, order: 'big', data: new Uint8Array() }, v as JExpr, path);
  return b[0] ?? 0;
}

const u64 = (v: unknown, path: string): bigint => {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return BigInt(v);
  throw typeErr(path, 'a non-negative integer', v);
};

function counterExpr(v: { packets?: number | bigint; bytes?: number | bigint } | null, path: string): Expr {
  const x: Record<string, unknown> = { type: 'counter' };
  const packets = v?.packets === undefined ? 0n : u64(v.packets, `${path}.packets`);
  const bytes = v?.bytes === undefined ? 0n : u64(v.bytes, `${path}.bytes`);
  if (packets) x.packets = packets;
  if (bytes) x.bytes = bytes;
  return x as Expr;
}

function unitOf(table: Readonly<Record<string, bigint>>, v: unknown, dflt: string, path: string): bigint {
  const u = table[(v as string | undefined) ?? dflt];
  if (u === undefined) throw typeErr(path, `one of ${Object.keys(table).join(', ')}`, v);
  return u;
}

function quotaExpr(v: Record<string, unknown>, path: string): Expr {
  const bytes = u64(v.val, `${path}.val`) * unitOf(BYTE_UNIT, v.val_unit, 'bytes', `${path}.val_unit`);
  const used = v.used === undefined ? 0n : u64(v.used, `${path}.used`) * unitOf(BYTE_UNIT, v.used_unit, 'bytes', `${path}.used_unit`);
  return { type: 'quota', bytes, consumed: used, flags: v.inv === true ? 1 : 0 };
}

function limitExpr(v: Record<string, unknown>, path: string): Expr {
  const rate = u64(v.rate, `${path}.rate`);
  // nft_limit_init refuses a rate of 0 (EINVAL): refused here, before the batch is sent
  if (rate === 0n) throw new RangeError(`${path}.rate: expected a rate of at least 1 but received 0`);
  const unit = unitOf(TIME_UNIT, v.per, 'second', `${path}.per`);
  const bytesMode = v.rate_unit !== undefined && v.rate_unit !== 'packets';
  const x: Record<string, unknown> = { type: 'limit' };
  if (bytesMode) {
    x.rate = rate * unitOf(BYTE_UNIT, v.rate_unit, 'bytes', `${path}.rate_unit`);
    x.unit = unit;
    const burst = v.burst === undefined ? 0n : u64(v.burst, `${path}.burst`) * unitOf(BYTE_UNIT, v.burst_unit, 'bytes', `${path}.burst_unit`);
    if (burst > 0n) x.burst = Number(burst);
    x.limitType = 1;
  } else {
    x.rate = rate;
    x.unit = unit;
    const burst = v.burst === undefined ? 5 : Number(u64(v.burst, `${path}.burst`));
    if (burst > 0) x.burst = burst;
    x.limitType = 0;
  }
  x.flags = v.inv === true ? 1 : 0;
  return x as Expr;
}

function synproxyExpr(v: Record<string, unknown> | null, path: string): Expr {
  const flagList = v?.flags === undefined ? [] : Array.isArray(v.flags) ? v.flags : [v.flags];
  let flags = 0;
  for (const f of flagList) {
    const n = typeof f === 'string' ? SYNPROXY_FLAGS[f] : undefined;
    if (n === undefined) throw typeErr(`${path}.flags`, '"timestamp" or "sack-perm"', f);
    flags |= n;
  }
  const mss = typeof v?.mss === 'number' ? v.mss : 0;
  const wscale = typeof v?.wscale === 'number' ? v.wscale : 0;
  if (v?.mss !== undefined) flags |= 0x1;
  if (v?.wscale !== undefined) flags |= 0x2;
  return { type: 'synproxy', mss, wscale, flags };
}

function logExpr(v: Record<string, unknown> | null, path: string): Expr {
  const x: Record<string, unknown> = { type: 'log' };
  if (v?.prefix !== undefined) {
    if (typeof v.prefix !== 'string') throw typeErr(`${path}.prefix`, 'a string', v.prefix);
    x.prefix = v.prefix;
  }
  // stmt_evaluate_log: an nflog group (group, snaplen, queue-threshold) takes no level or flags,
  // which the kernel log alone has (the kernel refuses a level with a group).
  const nflog = ['group', 'snaplen', 'queue-threshold'].filter((k) => v?.[k] !== undefined);
  if (v?.group !== undefined) x.group = v.group;
  if (v?.snaplen !== undefined) x.snaplen = v.snaplen;
  if (v?.['queue-threshold'] !== undefined) x.qthreshold = v['queue-threshold'];
  if (v?.level !== undefined) {
    if (nflog.length > 0) throw new TypeError(`${path}: level and ${nflog.join(', ')} are mutually exclusive (a log to an nflog group has no level)`);
    const l = typeof v.level === 'string' ? LOG_LEVEL[v.level] : undefined;
    if (l === undefined) throw typeErr(`${path}.level`, `a log level (${Object.keys(LOG_LEVEL).join(', ')})`, v.level);
    x.level = l;
  }
  const flagList = v?.flags === undefined ? [] : Array.isArray(v.flags) ? v.flags : [v.flags];
  if (flagList.length > 0 && nflog.length > 0) throw new TypeError(`${path}: flags and ${nflog.join(', ')} are mutually exclusive (a log to an nflog group has no flags)`);
  let flags = 0;
  for (const f of flagList) {
    const n = typeof f === 'string' ? LOG_FLAGS[f] : undefined;
    if (n === undefined) throw typeErr(`${path}.flags`, `log flags (${Object.keys(LOG_FLAGS).join(', ')})`, f);
    flags |= n;
  }
  if (flags) x.flags = flags;
  return x as Expr;
}

/** The stateful statements allowed inside set/map/meter statements. */
/**
 * The last statement as nft 1.1.x builds it (netlink_gen_last_stmt: NFTA_LAST_SET and
 * NFTA_LAST_MSECS always): `{ last: null }` never used, `{ last: { used: ms } }` used that many
 * milliseconds ago (-1: never, as nft's JSON parser reads it).
 */
function lastExpr(v: unknown, path: string): Expr {
  if (v === null) return { type: 'last', set: 0, msecs: 0n };
  const used = typeof v === 'object' && !Array.isArray(v) ? (v as { used?: unknown }).used : undefined;
  if (used === -1) return { type: 'last', set: 0, msecs: 0n };
  if ((typeof used !== 'number' || !Number.isSafeInteger(used) || used < 0) && (typeof used !== 'bigint' || used < 0n || used > 0xffffffffffffffffn)) {
    throw typeErr(`${path}.used`, 'null or { used: milliseconds since the last match }', v);
  }
  return { type: 'last', set: 1, msecs: BigInt(used) };
}

function statefulExpr(s: JStatement, path: string): Expr {
  const k = oneKey(s);
  const v = k === undefined ? undefined : (s as Record<string, unknown>)[k];
  switch (k) {
    case 'counter':
      return counterExpr(v as { packets?: number; bytes?: number } | null, `${path}.counter`);
    case 'limit':
      return limitExpr(v as Record<string, unknown>, `${path}.limit`);
    case 'quota':
      return quotaExpr(v as Record<string, unknown>, `${path}.quota`);
    case 'ct count': {
      const o = v as { val?: unknown; inv?: unknown };
      if (typeof o.val !== 'number') throw typeErr(`${path}.ct count.val`, 'a number', o.val);
      return { type: 'connlimit', count: o.val, flags: o.inv === true ? 1 : 0 };
    }
    case 'last':
      return lastExpr(v, `${path}.last`);
    default:
      throw typeErr(path, 'a counter, limit, quota, ct count or last statement', s);
  }
}

/**
 * Linearizes one rule: the kernel expressions nft 1.0.6 sends for it and its userdata (comment).
 * Throws TypeError/RangeError naming the JSON path of what is wrong.
 */
export function linearizeRule(rule: JRule, ctx: LinearizeContext): { exprs: Expr[]; userdata?: Uint8Array } {
  const stmts = rule.expr;
  if (!Array.isArray(stmts)) throw typeErr('rule.expr', 'an array of statements', stmts);
  const lin = new Linearizer(ctx);
  stmts.forEach((s, i) => lin.statement(s, `rule.expr[${i}]`));
  const exprs = lin.finish();
  if (rule.comment !== undefined) {
    if (typeof rule.comment !== 'string' || rule.comment.includes('\0')) throw typeErr('rule.comment', 'a string without NUL', rule.comment);
    // NFTNL_UDATA_COMMENT_MAXLEN: nft refuses longer comments
    if (Buffer.byteLength(rule.comment) > 128) throw new RangeError(`rule.comment: expected at most 128 bytes but received ${Buffer.byteLength(rule.comment)}`);
    const userdata = commentUdata(rule.comment);
    return userdata ? { exprs, userdata } : { exprs };
  }
  return { exprs };
}
