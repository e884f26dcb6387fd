// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Pass 1 of delinearization: kernel expressions -> intermediate statements (nft's
 * netlink_parse_* handlers in src/netlink_delinearize.c). Registers hold intermediate
 * expressions; relational expressions (cmp, range, lookup) and actions become statements.
 */
import { isKnownExpr, type DecodedExpr, type Expr, type ExprOf } from '../expr/registry';
import { isTypeof, type JExpr, type JRule, type JSet, type JSetElem, type JStatement } from './schema';
import type { DelinearizeContext } from './delinearize';
import { ctKey, exthdrByType, exthdrFieldAt, EXTHDR_JSON, fibResult, metaKey, rtKey, socketKey, XFRM_DIRS, XFRM_KEYS, type ExthdrOp } from './fields';
import { datatype, typeLayout } from './datatypes';
import { declaredNames, typeofOf } from './set-udata';
import {
  fail, byteLen, isZero, type IE, type SymIE, type IS, type RelIS, type StmtIS, type RightIE, type RelOp, type MapIE,
} from './delinearize-ir';
import type { BaseNum } from './delinearize-proto';
import { exprJson, flagsTree, orTree, valueJson, verdictJson, buildStmt } from './delinearize-json';

/** Kernel register number -> 32-bit register index (NFT_REG_1..4 are 16-byte registers). */
function reg(n: number | undefined, what: string): number {
  if (n === undefined) fail(`${what}: register missing`);
  if (n === 0) return 0;
  if (n >= 1 && n <= 4) return 8 + (n - 1) * 4;
  if (n >= 8 && n <= 23) return n;
  return fail(`${what}: register ${n} out of range`);
}

export interface ParseState {
  readonly ctx: DelinearizeContext;
  readonly regs: Map<number, IE>;
  readonly out: IS[];
}

/** A map's data type as one name (`ipv4_addr . inet_service`), also for `{ typeof: expr }`. */
function dataTypeName(m: unknown): string | undefined {
  if (typeof m === 'string') return m;
  return typeofOf(m) !== undefined ? declaredNames(m)?.join(' . ') : undefined;
}

function setKeyLen(ctx: DelinearizeContext, name: string, which: 'key' | 'data'): number | undefined {
  const d = ctx.set(name);
  if (!d) return undefined;
  const given = which === 'key' ? d.keyLen : d.dataLen;
  if (given !== undefined) return given;
  const s = d.set;
  const declared = which === 'key' ? s.type : s.map;
  const t = isTypeof(declared) ? declaredNames(declared) : declared;
  if (t === undefined) return undefined;
  if (t === 'verdict' || (typeof t === 'string' && !/^[a-z0-9_]+(\s*\.\s*[a-z0-9_]+)*$/.test(t))) return undefined;
  try {
    return typeLayout(t).len;
  } catch {
    return undefined;
  }
}

/** The expression in register r; a concatenation when `len` bytes span several registers. */
function getReg(st: ParseState, r: number | undefined, what: string, len?: number): IE {
  const n = reg(r, what);
  const e = st.regs.get(n);
  if (!e) return fail(`${what}: register ${r} is empty`);
  if (len === undefined) return e;
  const l = byteLen(e);
  if (l === undefined || l >= len) return e;
  const items: IE[] = [];
  let acc = 0;
  let rr = n;
  while (acc < len) {
    const x = st.regs.get(rr);
    if (!x) return fail(`${what}: concatenation register ${rr} is empty`);
    const xl = byteLen(x);
    if (xl === undefined || xl === 0) return fail(`${what}: concatenation of unsized expressions`);
    items.push(x);
    const pad = Math.ceil(xl / 4) * 4;
    acc += pad;
    rr += pad / 4;
  }
  return { k: 'concat', items };
}

function setReg(st: ParseState, r: number | undefined, e: IE, what: string): void {
  const n = reg(r, what);
  if (n === 0) fail(`${what}: writes the verdict register`);
  st.regs.set(n, e);
}

const CMP_OPS: readonly RelOp[] = ['==', '!=', '<', '<=', '>', '>='];

function rel(st: ParseState, op: RelOp, left: IE, right: RightIE): void {
  const s: RelIS = { k: 'rel', op, left, right };
  st.out.push(s);
}

function stmt(st: ParseState, kind: string, exprs: IE[], build: () => JStatement, extra: Partial<StmtIS> = {}): void {
  st.out.push({ k: 'stmt', kind, exprs, build, ...extra });
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) fail(`${what} missing`);
  return v;
}

const PER: Readonly<Record<string, string>> = { '1': 'second', '60': 'minute', '3600': 'hour', '86400': 'day', '604800': 'week' };

/** nft's get_rate(): the largest unit that divides the byte count (bytes, kbytes, mbytes). */
export function rateUnit(v: bigint): [bigint, string] {
  const units = ['bytes', 'kbytes', 'mbytes'];
  let i = 0;
  while (i < units.length - 1 && v !== 0n && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return [v, units[i] as string];
}

const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'];

function num(v: bigint | number): number {
  return typeof v === 'bigint' ? Number(v) : v;
}

/** Statements from the inner expressions of a dynset (counter, limit, quota, ... templates). */
function innerStatements(st: ParseState, exprs: readonly Expr[]): JStatement[] {
  const sub: ParseState = { ctx: st.ctx, regs: new Map(st.regs), out: [] };
  for (const e of exprs) parseOne(sub, e);
  // set_stmt_list_json prints them stateless
  return sub.out.map((s) => {
    if (s.k !== 'stmt') return fail('dynset expression is not a statement');
    return stateless(s.build());
  });
}

function lookupRight(st: ParseState, name: string): RightIE {
  return { k: 'setref', name };
}

function parseOne(st: ParseState, e: DecodedExpr): void {
  const loose = e as unknown as Readonly<Record<string, unknown>>;
  if (typeof loose.type === 'number' && 'modulus' in loose) {
    // the native layer writes numgen/hash NFTNL_EXPR_*_TYPE over the expression's `type`
    const isHash = 'seed' in loose || 'sreg' in loose || 'len' in loose;
    const fixed = { ...loose, type: isHash ? 'hash' : 'numgen', [isHash ? 'hashType' : 'numgenType']: loose.type } as unknown as Expr;
    if (parseLoose(st, fixed)) return;
  }
  if (!isKnownExpr(e)) return fail(`unknown expression ${String(e.type)}`);
  switch (e.type) {
    case 'payload': {
      const base = (need(e.base, 'payload base') + 1) as BaseNum;
      if (base < 1 || base > 4) fail('payload base');
      const offset = need(e.offset, 'payload offset') * 8;
      const len = need(e.len, 'payload len') * 8;
      if (len === 0) fail('payload len 0');
      const p: IE = { k: 'payload', base, offset, bits: len, dt: 'integer', order: 'big' };
      if (e.dreg !== undefined) {
        setReg(st, e.dreg, p, 'payload');
      } else {
        const val = getReg(st, e.sreg, 'payload statement');
        stmt(st, 'payload', [p, val], () => ({ mangle: { key: exprJson(p, st.ctx), value: exprJson(val, st.ctx, p) } }));
      }
      return;
    }
    case 'meta': {
      const k = metaKey(need(e.key, 'meta key'));
      if (!k) return fail(`meta key ${e.key}`);
      const m: IE = { k: 'meta', key: k.name, dt: k.type, bits: k.bits ?? k.len * 8, order: k.byteorder ?? 'host' };
      if (e.dreg !== undefined) setReg(st, e.dreg, m, 'meta');
      else {
        const val = getReg(st, e.sreg, 'meta statement');
        stmt(st, 'meta', [val], () => ({ mangle: { key: { meta: { key: k.name } }, value: exprJson(val, st.ctx, m) } }));
      }
      return;
    }
    case 'ct': {
      const k = ctKey(need(e.key, 'ct key'));
      if (!k) return fail(`ct key ${e.key}`);
      const dir = e.dir === undefined ? undefined : e.dir === 0 ? 'original' : e.dir === 1 ? 'reply' : fail('ct dir');
      let dt = k.type;
      let bits = k.bits ?? k.len * 8;
      if (dt === 'invalid') {
        // saddr/daddr: the family decides (ct_expr_update_type); inet/bridge/netdev decided at cmp time
        const f = st.ctx.family;
        if (f === 'ip') { dt = 'ipv4_addr'; bits = 32; }
        else if (f === 'ip6') { dt = 'ipv6_addr'; bits = 128; }
        else { dt = 'ipv4_addr'; bits = 32; }
      }
      const c: IE = { k: 'ct', key: k.name, dt, bits, order: k.byteorder ?? 'host', ...(dir ? { dir } : {}) };
      if (e.dreg !== undefined) setReg(st, e.dreg, c, 'ct');
      else {
        const val = getReg(st, e.sreg, 'ct statement');
        stmt(st, 'ct', [val], () => {
          let value = exprJson(val, st.ctx, c);
          if (k.name === 'event' && typeof value === 'object' && value !== null && '|' in value) value = flattenOr(value);
          return { mangle: { key: { ct: { key: k.name, ...(dir ? { dir } : {}) } }, value } };
        });
      }
      return;
    }
    case 'cmp': {
      const data = need(e.data, 'cmp data');
      const op = CMP_OPS[need(e.op, 'cmp op')];
      if (!op) return fail('cmp op');
      const left = getReg(st, e.sreg, 'cmp', data.length);
      rel(st, op, left, { k: 'value', bytes: data });
      return;
    }
    case 'range': {
      const from = need(e.fromData, 'range from');
      const to = need(e.toData, 'range to');
      const op = e.op === 0 ? '==' : e.op === 1 ? '!=' : fail('range op');
      const left = getReg(st, e.sreg, 'range', from.length);
      rel(st, op, left, { k: 'range', from, to });
      return;
    }
    case 'bitwise': {
      const left = getReg(st, e.sreg, 'bitwise');
      const op = e.op ?? 0;
      if (op === 0) {
        // netlink_parse_bitwise_bool: o = (m & x) ^ x; x &= m; m |= o
        const m = Uint8Array.from(need(e.mask, 'bitwise mask'));
        const x = Uint8Array.from(need(e.xor, 'bitwise xor'));
        if (x.length !== m.length) fail('bitwise mask/xor lengths differ');
        const o = new Uint8Array(m.length);
        const ones = (b: Uint8Array): boolean => b.every((v) => v === 0xff);
        if (!ones(m) || !isZero(x)) {
          for (let i = 0; i < m.length; i++) {
            o[i] = ((m[i] as number) & (x[i] as number)) ^ (x[i] as number);
            x[i] = (x[i] as number) & (m[i] as number);
            m[i] = (m[i] as number) | (o[i] as number);
          }
        }
        let r: IE = left;
        const ll = byteLen(left);
        if (!(ll !== undefined && ll > 0 && ll === m.length && ones(m))) r = { k: 'binop', op: '&', left: r, right: { k: 'value', bytes: m } };
        if (!isZero(x)) r = { k: 'binop', op: '^', left: r, right: { k: 'value', bytes: x } };
        if (!isZero(o)) r = { k: 'binop', op: '|', left: r, right: { k: 'value', bytes: o } };
        setReg(st, e.dreg, r, 'bitwise');
      } else if (op === 1 || op === 2) {
        const data = need(e.data, 'bitwise shift data');
        setReg(st, e.dreg, { k: 'binop', op: op === 1 ? '<<' : '>>', left, right: { k: 'value', bytes: data } }, 'bitwise');
      } else fail('bitwise op');
      return;
    }
    case 'byteorder': {
      const arg = getReg(st, e.sreg, 'byteorder');
      setReg(st, e.dreg, { k: 'unary', arg }, 'byteorder');
      return;
    }
    case 'immediate': {
      if (e.dreg === 0) {
        const v = verdictJson(need(e.verdict, 'verdict'), e.chain);
        const target = e.chain;
        stmt(st, 'verdict', [], () => {
          if (target !== undefined && (e.verdict === -3 || e.verdict === -4) && st.ctx.boundChain) {
            const body = st.ctx.boundChain(target);
            // the package's extension: the bound chain's rules (nft 1.0.6 prints their text)
            if (body) return { [e.verdict === -3 ? 'jump' : 'goto']: { target, rules: body.map((r) => (typeof r.comment === 'string' ? { expr: r.expr ?? [], comment: r.comment } : (r.expr ?? []))) } } as unknown as JStatement;
          }
          return v as JStatement;
        });
        return;
      }
      if (e.verdict !== undefined) {
        setReg(st, e.dreg, { k: 'verdict', json: verdictJson(e.verdict, e.chain) }, 'immediate');
        return;
      }
      setReg(st, e.dreg, { k: 'value', bytes: need(e.data, 'immediate data') }, 'immediate');
      return;
    }
    case 'lookup': {
      const name = need(e.set, 'lookup set');
      const keyLen = setKeyLen(st.ctx, name, 'key');
      const left = getReg(st, e.sreg, 'lookup', keyLen);
      const inv = ((e.flags ?? 0) & 1) !== 0;
      if (e.dreg === undefined) {
        rel(st, inv ? '!=' : '==', left, lookupRight(st, name));
        return;
      }
      const set = st.ctx.set(name);
      if (!set) fail(`lookup of unknown set ${name}`);
      const mdt = dataTypeName(set.set.map);
      const m: MapIE = { k: 'map', key: left, set: name, ...(mdt !== undefined ? { dt: mdt } : {}) };
      if (e.dreg === 0) {
        stmt(st, 'vmap', [m], () => ({ vmap: { key: exprJson(m.key, st.ctx), data: setJson(st, name, m.shift) } }));
        return;
      }
      setReg(st, e.dreg, m, 'lookup');
      return;
    }
    case 'counter':
      stmt(st, 'counter', [], () => ({ counter: { packets: e.packets ?? 0n, bytes: e.bytes ?? 0n } }) as JStatement);
      return;
    case 'limit': {
      const rate = e.rate ?? 0n;
      const unit = PER[String(e.unit ?? 1n)] ?? fail('limit unit');
      const burst = BigInt(e.burst ?? 0);
      const inv = ((e.flags ?? 0) & 1) !== 0;
      const bytes = e.limitType === 1;
      stmt(st, 'limit', [], () => {
        if (!bytes) return { limit: { rate: num(rate), burst: num(burst), per: unit, ...(inv ? { inv: true } : {}) } };
        const [r, ru] = rateUnit(rate);
        const [b, bu] = rateUnit(burst);
        return { limit: { rate: num(r), burst: num(b), per: unit, ...(inv ? { inv: true } : {}), rate_unit: ru, burst_unit: bu } };
      });
      return;
    }
    case 'quota': {
      const [v, vu] = rateUnit(e.bytes ?? 0n);
      const inv = ((e.flags ?? 0) & 1) !== 0;
      const used = e.consumed ?? 0n;
      stmt(st, 'quota', [], () => {
        const q: Record<string, unknown> = { val: v, val_unit: vu };
        if (inv) q.inv = true;
        if (used !== 0n) {
          const [u, uu] = rateUnit(used);
          q.used = u;
          q.used_unit = uu;
        }
        return { quota: q } as JStatement;
      });
      return;
    }
    case 'log': {
      stmt(st, 'log', [], () => {
        const l: Record<string, unknown> = {};
        if (e.prefix !== undefined) l.prefix = e.prefix;
        if (e.group !== undefined) l.group = e.group;
        if (e.snaplen !== undefined) l.snaplen = e.snaplen;
        if (e.qthreshold !== undefined) l['queue-threshold'] = e.qthreshold;
        if (e.level !== undefined && e.level !== 4) l.level = LOG_LEVELS[e.level] ?? fail('log level');
        const f = e.flags ?? 0;
        const flags: string[] = [];
        if ((f & 0x2f) === 0x2f) flags.push('all');
        else {
          if (f & 1) flags.push('tcp sequence');
          if (f & 2) flags.push('tcp options');
          if (f & 4) flags.push('ip options');
          if (f & 8) flags.push('skuid');
          if (f & 0x20) flags.push('ether');
        }
        if (flags.length > 1) l.flags = flags;
        else if (flags.length === 1) l.flags = flags[0];
        return { log: Object.keys(l).length ? l : null } as JStatement;
      });
      return;
    }
    case 'reject': {
      const type = need(e.rejectType, 'reject type');
      stmt(st, 'reject', [], () => fail('reject built in post'), { reject: { type, ...(e.code !== undefined ? { code: e.code } : {}) } });
      return;
    }
    case 'nat': {
      const kind = e.natType === 0 ? 'snat' : e.natType === 1 ? 'dnat' : fail('nat type');
      const fam = e.family === 2 ? 'ip' : e.family === 10 ? 'ip6' : undefined;
      const addrBits = fam === 'ip6' ? 128 : 32;
      const addrT = fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
      const flags = e.flags ?? 0;
      let showFamily = st.ctx.family === 'inet';
      const amin = e.regAddrMin ? getReg(st, e.regAddrMin, 'nat addr') : undefined;
      let amax: IE | undefined;
      let pmin: IE | undefined;
      let pmax: IE | undefined;
      let done = false;
      const dataBits = (x: IE | undefined): number | undefined => {
        if (!x || x.k !== 'map') return undefined;
        const l = setKeyLen(st.ctx, x.set, 'data');
        return l === undefined ? undefined : l * 8;
      };
      // is_nat_addr_map: address (or address . port) interval data
      const db = dataBits(amin);
      const maxEmpty = amin?.k === 'map' && !!e.regAddrMax && e.regAddrMax !== e.regAddrMin && !st.regs.has(reg(e.regAddrMax, 'nat'));
      if ((db !== undefined && (db === 2 * addrBits || db === 2 * (addrBits + 32))) || maxEmpty) {
        showFamily = true;
        done = true;
      }
      if (!done) {
        amax = e.regAddrMax && e.regAddrMax !== e.regAddrMin ? getReg(st, e.regAddrMax, 'nat addr max') : undefined;
        const last = amax ?? amin;
        const pb = dataBits(last);
        if (pb !== undefined && pb === addrBits + 32) {
          // is_nat_proto_map: address . port data
          showFamily = true;
          done = true;
        }
      }
      if (!done) {
        pmin = e.regProtoMin ? getReg(st, e.regProtoMin, 'nat proto') : undefined;
        pmax = e.regProtoMax && e.regProtoMax !== e.regProtoMin ? getReg(st, e.regProtoMax, 'nat proto max') : undefined;
      }
      const exprs = [amin, amax, pmin, pmax].filter((x): x is IE => x !== undefined);
      stmt(st, 'nat', exprs, () => {
        const o: Record<string, unknown> = {};
        if (fam && showFamily) o.family = fam;
        if (amin) o.addr = natValue(st, amin, amax, addrT, true);
        if (pmin) o.port = natValue(st, pmin, pmax, 'inet_service', false);
        const fl = natFlags(flags);
        if (fl.length > 1) o.flags = fl;
        else if (fl.length === 1) o.flags = fl[0];
        if (flags & 0x40) o.type_flags = 'prefix';
        return { [kind]: Object.keys(o).length ? o : null } as JStatement;
      });
      return;
    }
    case 'masq':
    case 'redir': {
      const pmin = e.regProtoMin !== undefined ? getReg(st, e.regProtoMin, `${e.type} proto`) : undefined;
      const pmax = e.regProtoMax !== undefined && e.regProtoMax !== e.regProtoMin ? getReg(st, e.regProtoMax, `${e.type} proto max`) : undefined;
      const flags = e.flags ?? 0;
      const name = e.type === 'masq' ? 'masquerade' : 'redirect';
      stmt(st, 'nat', [pmin, pmax].filter((x): x is IE => x !== undefined), () => {
        const o: Record<string, unknown> = {};
        if (pmin) o.port = natValue(st, pmin, pmax, 'inet_service', false);
        const fl = natFlags(flags);
        if (fl.length > 1) o.flags = fl;
        else if (fl.length === 1) o.flags = fl[0];
        return { [name]: Object.keys(o).length ? o : null } as JStatement;
      });
      return;
    }
    case 'notrack':
      stmt(st, 'notrack', [], () => ({ notrack: null }));
      return;
    case 'queue': {
      const q = e as ExprOf<'queue'>;
      const sq = q.sregQnum !== undefined ? getReg(st, q.sregQnum, 'queue') : undefined;
      stmt(st, 'queue', sq ? [sq] : [], () => {
        const o: Record<string, unknown> = {};
        if (sq) o.num = exprJson(sq, st.ctx);
        else {
          const n = q.num ?? 0;
          const total = q.total ?? 1;
          if (total > 1) o.num = { range: [n, n + total - 1] };
          else if (n !== 0) o.num = n;
          else o.num = 0;
        }
        const f = q.flags ?? 0;
        const fl: string[] = [];
        if (f & 1) fl.push('bypass');
        if (f & 2) fl.push('fanout');
        if (fl.length > 1) o.flags = fl;
        else if (fl.length === 1) o.flags = fl[0];
        return { queue: o } as JStatement;
      });
      return;
    }
    case 'dynset': {
      const name = need(e.set, 'dynset set');
      const set = st.ctx.set(name);
      if (!set) return fail(`dynset of unknown set ${name}`);
      const key = getReg(st, e.sregKey, 'dynset key', setKeyLen(st.ctx, name, 'key'));
      const data = e.sregData !== undefined ? getReg(st, e.sregData, 'dynset data', setKeyLen(st.ctx, name, 'data')) : undefined;
      const inner = e.exprs ? innerStatements(st, e.exprs.filter(isKnownExpr)) : [];
      if (e.exprs && e.exprs.some((x) => !isKnownExpr(x))) fail('dynset inner expression unknown');
      const op = e.op === 0 ? 'add' : e.op === 1 ? 'update' : e.op === 2 ? 'delete' : fail('dynset op');
      const timeout = e.timeout ?? 0n;
      if (data) {
        // the map statement in nft 1.1.x's JSON form (nft 1.0.6 prints its text: the nft106
        // projection, render-stmt.ts nft106Statement); the data in the map's data type
        const dataT = dataTypeName(set.set.map);
        stmt(st, 'map', [key, data], () => {
          let elem = exprJson(key, st.ctx);
          if (timeout !== 0n) elem = { elem: { val: elem, timeout: Number(timeout / 1000n) } } as JExpr;
          const dt = dataT ? { dt: dataT, bits: (setKeyLen(st.ctx, name, 'data') ?? 4) * 8, order: (datatype(dataT)?.byteorder ?? 'big') } : undefined;
          const dj = exprJson(data, st.ctx, dt);
          return { map: { op, elem, data: dj, map: `@${name}`, ...(inner.length ? { stmt: inner } : {}) } } as JStatement;
        });
        return;
      }
      const isMeter = inner.length > 0 && set.anonymous;
      stmt(st, isMeter ? 'meter' : 'set', [key], () => {
        let elem = exprJson(key, st.ctx);
        if (timeout !== 0n) elem = { elem: { val: elem, timeout: Number(timeout / 1000n) } } as JExpr;
        if (isMeter) {
          return { meter: { key: elem, stmt: stateless(inner[0] as JStatement), size: set.set.size ?? 0, name } } as JStatement;
        }
        return { set: { op, elem, set: `@${name}`, ...(inner.length ? { stmt: inner } : {}) } } as JStatement;
      });
      return;
    }
    case 'objref': {
      const names: Readonly<Record<number, string>> = { 1: 'counter', 2: 'quota', 3: 'ct helper', 4: 'limit', 7: 'ct timeout', 8: 'secmark', 9: 'ct expectation', 10: 'synproxy' };
      if (e.immName !== undefined) {
        const t = names[need(e.immType, 'objref type')] ?? fail('objref type');
        const n = e.immName;
        stmt(st, 'objref', [], () => ({ [t]: n }) as JStatement);
        return;
      }
      const sname = need(e.setName, 'objref set');
      const set = st.ctx.set(sname) ?? fail(`objref map ${sname} unknown`);
      const t = typeof set.set.map === 'string' ? set.set.map : fail('objref map type');
      const left = getReg(st, e.setSreg, 'objref', setKeyLen(st.ctx, sname, 'key'));
      const m: MapIE = { k: 'map', key: left, set: sname };
      stmt(st, 'objref', [m], () => ({ [t]: exprJson(m, st.ctx) }) as JStatement);
      return;
    }
    case 'connlimit': {
      const inv = ((e.flags ?? 0) & 1) !== 0;
      stmt(st, 'connlimit', [], () => ({ 'ct count': { val: e.count ?? 0, ...(inv ? { inv: true } : {}) } }));
      return;
    }
    case 'fib': {
      const r = fibResult(need(e.result, 'fib result')) ?? fail('fib result');
      const fl = (e.flags ?? 0) & ~0x20;
      const names = ['saddr', 'daddr', 'mark', 'iif', 'oif'];
      const flags: (string | number)[] = [];
      let rest = fl;
      for (let i = 0; i < names.length; i++) if (rest & (1 << i)) { flags.push(names[i] as string); rest &= ~(1 << i); }
      if (rest) flags.push(rest);
      const json = { fib: { result: r.name, ...(flags.length ? { flags } : {}) } } as JExpr;
      // NFTA_FIB_F_PRESENT: the result is whether the lookup found one (fib_expr_alloc: boolean, in the result's register width)
      if ((e.flags ?? 0) & 0x20) setReg(st, e.dreg, { k: 'sym', json, dt: 'boolean', bits: r.bits ?? r.len * 8, order: r.byteorder ?? 'host' }, 'fib');
      else setReg(st, e.dreg, { k: 'sym', json, dt: r.type, bits: r.bits ?? r.len * 8, order: r.byteorder ?? 'host' }, 'fib');
      return;
    }
    case 'rt': {
      const r = rtKey(need(e.key, 'rt key')) ?? fail('rt key');
      const json = { rt: { key: r.name, ...(e.key === 1 ? { family: 'ip' } : e.key === 2 ? { family: 'ip6' } : {}) } } as JExpr;
      setReg(st, e.dreg, { k: 'sym', json, dt: r.type, bits: r.bits ?? r.len * 8, order: r.byteorder ?? 'host' }, 'rt');
      return;
    }
    case 'socket': {
      const s = socketKey(need(e.key, 'socket key')) ?? fail('socket key');
      const json = { socket: { key: s.name, ...(e.key === 3 ? { level: e.level ?? 0 } : {}) } } as JExpr;
      setReg(st, e.dreg, { k: 'sym', json, dt: s.type, bits: s.bits ?? s.len * 8, order: s.byteorder ?? 'host' }, 'socket');
      return;
    }
    case 'xfrm': {
      const x = XFRM_KEYS.find((k) => k.key === e.key) ?? fail('xfrm key');
      const dir = e.dir === XFRM_DIRS.in ? 'in' : e.dir === XFRM_DIRS.out ? 'out' : fail('xfrm dir');
      const family = x.type === 'ipv4_addr' ? { family: 'ip' } : x.type === 'ipv6_addr' ? { family: 'ip6' } : {};
      // xfrm_expr_json: key, family for addresses, dir, spnum (always)
      const json = { ipsec: { key: x.name, ...family, dir, spnum: e.spnum ?? 0 } } as unknown as JExpr;
      setReg(st, e.dreg, { k: 'sym', json, dt: x.type, bits: x.bits ?? x.len * 8, order: x.byteorder ?? 'big' }, 'xfrm');
      return;
    }
    case 'match':
    case 'target': {
      // iptables-nft compat: kept as the kernel expression (a raw statement), which re-commits
      // byte-identically; nft 1.0.6 lists it as { xt: { type, name } } (the nft106 projection)
      const x = e;
      stmt(st, 'raw', [], () => ({ raw: { exprs: [x] } }));
      return;
    }
    case 'flow_offload': {
      const name = e.tableName ?? fail('flow_offload table name');
      stmt(st, 'flow', [], () => ({ flow: { op: 'add', flowtable: `@${name}` } }));
      return;
    }
    case 'osf': {
      const ttl = e.ttl === 1 ? { ttl: 'loose' } : e.ttl === 2 ? { ttl: 'skip' } : {};
      const json = { osf: { key: (e.flags ?? 0) & 1 ? 'version' : 'name', ...ttl } } as JExpr;
      setReg(st, e.dreg, { k: 'sym', json, dt: 'string', bits: 16 * 8, order: 'host' }, 'osf');
      return;
    }
    default:
      break;
  }
  parseTwo(st, e);
}

/** numgen and hash carry a `type` attribute that collides with the expression's own `type`
 * in the registry shape; they are read as loose records (numgenType/hashType when present). */
function parseLoose(st: ParseState, e: Expr): boolean {
  const r = e as unknown as Readonly<Record<string, unknown>>;
  const u32 = (k: string): number | undefined => (typeof r[k] === 'number' ? (r[k] as number) : undefined);
  if (r.type === 'numgen') {
    const t = u32('numgenType') ?? fail('numgen type attribute not transported');
    const mode = t === 0 ? 'inc' : t === 1 ? 'random' : 'unknown';
    const json = { numgen: { mode, mod: u32('modulus') ?? 0, offset: u32('offset') ?? 0 } } as JExpr;
    setReg(st, u32('dreg'), { k: 'sym', json, dt: 'integer', bits: 32, order: 'host' }, 'numgen');
    return true;
  }
  if (r.type === 'hash') {
    const t = u32('hashType') ?? fail('hash type attribute not transported');
    let json: JExpr;
    const mod = u32('modulus') ?? 0;
    const offset = u32('offset');
    if (t === 1) json = { symhash: { mod, ...(offset ? { offset } : {}) } } as JExpr;
    else {
      const src = getReg(st, u32('sreg'), 'hash', u32('len'));
      const seed = u32('seed');
      const wrap = (expr: JExpr): JExpr => ({ jhash: { mod, ...(seed !== undefined ? { seed } : {}), ...(offset ? { offset } : {}), expr } }) as JExpr;
      setReg(st, u32('dreg'), { k: 'sym', json: wrap(0), inner: src, wrap, dt: 'integer', bits: 32, order: 'host' }, 'hash');
      return true;
    }
    setReg(st, u32('dreg'), { k: 'sym', json, dt: 'integer', bits: 32, order: 'host' }, 'hash');
    return true;
  }
  return false;
}

function parseTwo(st: ParseState, e: Expr): void {
  if (parseLoose(st, e)) return;
  switch (e.type) {
    case 'tproxy': {
      const fam = e.family === 2 ? 'ip' : e.family === 10 ? 'ip6' : undefined;
      const addr = e.regAddr !== undefined ? getReg(st, e.regAddr, 'tproxy addr') : undefined;
      const port = e.regPort !== undefined ? getReg(st, e.regPort, 'tproxy port') : undefined;
      stmt(st, 'tproxy', [addr, port].filter((x): x is IE => x !== undefined), () => {
        const o: Record<string, unknown> = {};
        if (st.ctx.family === 'inet' && fam) o.family = fam;
        const at = fam === 'ip6' || st.ctx.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
        if (addr) o.addr = exprJson(addr, st.ctx, { dt: at, bits: at === 'ipv6_addr' ? 128 : 32, order: 'big' });
        if (port) o.port = exprJson(port, st.ctx, { dt: 'inet_service', bits: 16, order: 'big' });
        return { tproxy: o } as JStatement;
      });
      return;
    }
    case 'synproxy': {
      const f = e.flags ?? 0;
      stmt(st, 'synproxy', [], () => {
        const o: Record<string, unknown> = {};
        if (f & 1) o.mss = e.mss ?? 0;
        if (f & 2) o.wscale = e.wscale ?? 0;
        const fl: string[] = [];
        if (f & 8) fl.push('timestamp');
        if (f & 4) fl.push('sack-perm');
        if (fl.length) o.flags = fl;
        return { synproxy: Object.keys(o).length ? o : null } as JStatement;
      });
      return;
    }
    case 'dup': {
      const addr = e.sregAddr !== undefined ? getReg(st, e.sregAddr, 'dup addr') : undefined;
      const dev = e.sregDev !== undefined ? getReg(st, e.sregDev, 'dup dev') : undefined;
      stmt(st, 'dup', [addr, dev].filter((x): x is IE => x !== undefined), () => {
        if (!addr) return { dup: null };
        const at = st.ctx.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
        return {
          dup: {
            addr: exprJson(addr, st.ctx, { dt: at, bits: at === 'ipv6_addr' ? 128 : 32, order: 'big' }),
            ...(dev ? { dev: exprJson(dev, st.ctx, { dt: 'iface_index', bits: 32, order: 'host' }) } : {}),
          },
        } as JStatement;
      });
      return;
    }
    case 'fwd': {
      const dev = getReg(st, e.sregDev, 'fwd dev');
      const addr = e.sregAddr !== undefined ? getReg(st, e.sregAddr, 'fwd addr') : undefined;
      const fam = e.nfproto === 2 ? 'ip' : e.nfproto === 10 ? 'ip6' : undefined;
      stmt(st, 'fwd', addr ? [dev, addr] : [dev], () => {
        const o: Record<string, unknown> = { dev: exprJson(dev, st.ctx, { dt: 'iface_index', bits: 32, order: 'host' }) };
        if (addr) {
          o.family = fam ?? fail('fwd family');
          const at = fam === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
          o.addr = exprJson(addr, st.ctx, { dt: at, bits: at === 'ipv6_addr' ? 128 : 32, order: 'big' });
        }
        return { fwd: o } as JStatement;
      });
      return;
    }
    case 'last': {
      // nft 1.1.x's JSON (last_stmt_json): null when never used, else `used` in ms (nft 1.0.6
      // has no last statement at all)
      const used = e.msecs ?? 0n;
      const set = (e.set ?? 0) !== 0;
      stmt(st, 'last', [], () => (set ? { last: { used: Number(used) } } : { last: null }) as JStatement);
      return;
    }
    case 'exthdr': {
      const opNum = need(e.op, 'exthdr op');
      const op = (['ipv6', 'tcpopt', 'ipv4', 'sctp'] as const)[opNum] ?? fail(`exthdr op ${opNum}`);
      const type = need(e.exthdrType, 'exthdr type');
      const offset = need(e.offset, 'exthdr offset') * 8;
      const len = need(e.len, 'exthdr len') * 8;
      const present = ((e.flags ?? 0) & 1) !== 0;
      const x = exthdrIE(op, opNum, type, offset, len, present);
      if (e.dreg !== undefined) setReg(st, e.dreg, x, 'exthdr');
      else if (e.sreg !== undefined) {
        const val = getReg(st, e.sreg, 'exthdr statement');
        stmt(st, 'exthdr', [x, val], () => ({ mangle: { key: exprJson(x, st.ctx), value: exprJson(val, st.ctx, x) } }));
      } else {
        // optstrip: `reset tcp option sack-perm`
        const def = exthdrByType(op, type) ?? fail(`exthdr type ${type}`);
        stmt(st, 'optstrip', [], () => ({ reset: { [EXTHDR_JSON[op]]: { name: def.name } } }) as JStatement);
      }
      return;
    }
    default:
      return fail(`expression ${e.type} not decoded`);
  }
}

/** An exthdr load as nft reads it back (exthdr_init_raw / exthdr_expr_json). */
export function exthdrIE(op: ExthdrOp, opNum: number, type: number, offset: number, len: number, present: boolean): SymIE {
  const key = EXTHDR_JSON[op];
  if (present) {
    const def = exthdrByType(op, type) ?? fail(`exthdr type ${type}`);
    return { k: 'sym', json: { [key]: { name: def.name } } as JExpr, dt: 'boolean', bits: 8, order: 'host', exthdrOp: opNum, exthdr: { op, type, offset, len } };
  }
  const f = exthdrFieldAt(op, type, offset, len);
  if (!f) {
    if (op === 'tcpopt') return { k: 'sym', json: { 'tcp option': { base: type, offset, len } } as JExpr, dt: 'integer', bits: len, order: 'big', exthdrOp: opNum, exthdr: { op, type, offset, len } };
    // no template here: a mask may still select one (exthdr_find_template); printing it fails
    return { k: 'sym', json: { [key]: { name: exthdrByType(op, type)?.name ?? fail(`exthdr type ${type}`), offset, len } } as unknown as JExpr, dt: 'integer', bits: len, order: 'big', exthdrOp: opNum, exthdr: { op, type, offset, len }, raw: true };
  }
  return { k: 'sym', json: { [key]: { name: f.name, field: f.field } } as JExpr, dt: f.datatype, bits: f.len, order: 'big', exthdrOp: opNum, exthdr: { op, type, offset, len } };
}

function stateless(s: JStatement): JStatement {
  if (typeof s === 'object' && s !== null && 'counter' in s) return { counter: null };
  if (typeof s === 'object' && s !== null && 'last' in s) return { last: null };
  if (typeof s === 'object' && s !== null && 'quota' in s) {
    const q = (s as { quota: Record<string, unknown> }).quota;
    const { used: _u, used_unit: _uu, ...rest } = q;
    return { quota: rest } as JStatement;
  }
  return s;
}

function flattenOr(v: JExpr): JExpr {
  const out: JExpr[] = [];
  const walk = (x: JExpr): void => {
    if (typeof x === 'object' && x !== null && !Array.isArray(x) && '|' in x) {
      const [a, b] = (x as { '|': readonly [JExpr, JExpr] })['|'];
      walk(a);
      walk(b);
    } else out.push(x);
  };
  walk(v);
  return out as JExpr;
}

function natFlags(flags: number): string[] {
  const fl: string[] = [];
  if (flags & 0x4) fl.push('random');
  if (flags & 0x10) fl.push('fully-random');
  if (flags & 0x8) fl.push('persistent');
  if (flags & 0x40) fl.push('netmap');
  return fl;
}

function isPrefixRange(_st: ParseState, a: IE, b: IE): boolean {
  if (a.k !== 'value' || b.k !== 'value' || a.bytes.length !== b.bytes.length) return false;
  // from..to is a prefix when from has the host bits clear and to has them all set
  let bits = 0;
  let inHost = false;
  for (let i = 0; i < a.bytes.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      const x = ((a.bytes[i] as number) >> bit) & 1;
      const y = ((b.bytes[i] as number) >> bit) & 1;
      if (!inHost) {
        if (x === y) { bits++; continue; }
        inHost = true;
      }
      if (x !== 0 || y !== 1) return false;
    }
  }
  return bits < a.bytes.length * 8;
}

function natValue(st: ParseState, min: IE, max: IE | undefined, dt: string, toPrefix: boolean): JExpr {
  const bits = dt === 'ipv6_addr' ? 128 : dt === 'ipv4_addr' ? 32 : 16;
  const t = { dt, bits, order: 'big' as const };
  if (!max) return exprJson(min, st.ctx, t);
  if (toPrefix && isPrefixRange(st, min, max) && min.k === 'value' && max.k === 'value') {
    let len = 0;
    const a = min.bytes;
    const b = max.bytes;
    outer: for (let i = 0; i < a.length; i++) {
      for (let bit = 7; bit >= 0; bit--) {
        if ((((a[i] as number) >> bit) & 1) !== (((b[i] as number) >> bit) & 1)) break outer;
        len++;
      }
    }
    return { prefix: { addr: exprJson(min, st.ctx, t), len } };
  }
  return { range: [exprJson(min, st.ctx, t), exprJson(max, st.ctx, t)] };
}

/** An element key shifted right (binop_adjust: the mask became a sub-byte field). */
function shiftKey(k: JExpr, shift: number): JExpr {
  if (typeof k === 'number') return Math.floor(k / 2 ** shift);
  if (typeof k === 'object' && k !== null && !Array.isArray(k) && 'range' in k) {
    const [a, b] = (k as { range: readonly [JExpr, JExpr] }).range;
    return { range: [shiftKey(a, shift), shiftKey(b, shift)] };
  }
  return k;
}

/** The single datatype name of a set's key (also of a `{ typeof }` key), or undefined. */
function singleKeyName(s: JSet): string | undefined {
  const n = declaredNames(s.type);
  return n !== undefined && n.length === 1 ? n[0] : undefined;
}

function isBitmaskSet(s: JSet): boolean {
  const n = singleKeyName(s);
  return n !== undefined && datatype(n)?.base === 'bitmask';
}

/** One element as nft prints it inside a rule (bitmask flag lists as `|` trees). */
function elemInRule(el: JSetElem, set: JSet, shift: number | undefined): JSetElem {
  const isMap = set.map !== undefined;
  const fixKey = (k: JExpr): JExpr => {
    let x = k;
    if (shift) x = shiftKey(x, shift);
    if (Array.isArray(x) && isBitmaskSet(set)) x = orTree(x as JExpr[]);
    else if (typeof x === 'number' && isBitmaskSet(set)) x = flagsTree(singleKeyName(set) as string, x);
    return x;
  };
  if (isMap && Array.isArray(el) && el.length === 2) {
    const [k, v] = el as unknown as readonly [JExpr, JExpr];
    return [fixKey(k), v] as JSetElem;
  }
  if (typeof el === 'object' && el !== null && !Array.isArray(el) && 'elem' in el) {
    const o = (el as { elem: { val: JExpr } }).elem;
    return { elem: { ...o, val: fixKey(o.val) } } as JSetElem;
  }
  return fixKey(el as JExpr) as JSetElem;
}

/** `@name` for a named set, the inline elements for an anonymous one. */
export function setJson(st: { ctx: DelinearizeContext }, name: string, shift?: number): JExpr {
  const s = st.ctx.set(name);
  if (!s) return fail(`set ${name} unknown`);
  if (!s.anonymous) return `@${name}`;
  return { set: (s.set.elem ?? []).map((el) => elemInRule(el, s.set, shift)) } as JExpr;
}

/** Pass 1 over a rule's expressions. */
export function parseExprs(exprs: readonly DecodedExpr[], ctx: DelinearizeContext): IS[] {
  if (!Array.isArray(exprs)) fail('expressions are not a list');
  const st: ParseState = { ctx, regs: new Map(), out: [] };
  for (const e of exprs) {
    if (typeof e !== 'object' || e === null) fail('expression is not an object');
    parseOne(st, e);
  }
  return st.out;
}

export { valueJson, buildStmt };
