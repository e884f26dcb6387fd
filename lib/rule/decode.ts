// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * decodeRule(): a rule's expressions (from a dump) back into typed statements, the inverse of
 * compileRule(). Dependencies nft adds (meta nfproto / meta protocol / meta l4proto in front of
 * the match that needs them) are removed where compileRule() would add them again. Anything not
 * recognised becomes a `raw` statement, so nothing is dropped.
 */
import type { DecodedExpr } from '../expr/registry';
import {
  CONNLIMIT_F_INV,
  DYNSET_OP,
  EXTHDR_F_PRESENT,
  EXTHDR_OP,
  FIB_F,
  FIB_RESULT,
  ICMPX_CODE,
  LIMIT_F_INV,
  LOOKUP_F_INV,
  NAT_RANGE,
  OBJECT_TYPE,
  QUOTA_F_INV,
  REJECT_TYPE,
  VERDICT,
} from '../kernel';
import { readU32Host, readUintBE } from './bytes';
import { ICMPV6_CODES, ICMP_CODES, LOG_FLAGS, LOG_LEVELS, NAT_FLAGS, QUEUE_FLAGS, RATE_UNITS } from './compile-action';
import { initialProtoState, type DecodeContext, type ProtoState } from './context';
import { TCP_OPTION_KINDS } from './compile-match';
import { CODECS, FLAG_BITS } from './datatypes';
import { anonSetItems, fieldOfLoad, flagNames } from './decode-values';
import { attr, big, bytes, num, str, TYPE_ATTR } from './exprs';
import { FIELDS, FLAG_FIELDS } from './fields';
import type { Field, FibLookup, TcpOptionName, LogStatement, MatchOp, NatFlag, RateUnit, SetElementStatement, Statement } from './statement';

export type { DecodeContext } from './context';

const OP_OF: readonly MatchOp[] = ['==', '!=', '<', '<=', '>', '>='];
const nameOf = <T extends string>(table: Readonly<Record<T, number>>, n: number | undefined): T | undefined =>
  (Object.keys(table) as T[]).find((k) => table[k] === n);
const isLoad = (e: DecodedExpr | undefined): boolean => !!e && !('unknown' in e) && ['meta', 'ct', 'payload', 'exthdr'].includes(e.type);
const t = (e: DecodedExpr | undefined): string | undefined => e?.type;

interface Result {
  readonly stmts: Statement[];
  readonly next: number;
}

function natFlagNames(flags: number): NatFlag[] | undefined {
  const out = (Object.keys(NAT_FLAGS) as NatFlag[]).filter((f) => flags & NAT_FLAGS[f]);
  // The kernel adds NF_NAT_RANGE_MAP_IPS (and PROTO_SPECIFIED) itself when an address (port) is given.
  const known = out.reduce<number>((a, f) => a | NAT_FLAGS[f], NAT_RANGE.protoSpecified | NAT_RANGE.mapIps);
  return (flags & ~known) === 0 ? out : undefined;
}

function decodeElementStmt(e: DecodedExpr): SetElementStatement | undefined {
  const s = decodeSingle(e, { family: 'inet', anonSet: () => undefined }, initialProtoState('inet'));
  return s && (s.kind === 'limit' || s.kind === 'counter' || s.kind === 'ctCount') ? s : undefined;
}

/** Expressions that stand alone as one statement. */
function decodeSingle(e: DecodedExpr, ctx: DecodeContext, proto: ProtoState): Statement | undefined {
  if ('unknown' in e) return undefined;
  const n = (k: string): number | undefined => num(e, k);
  const type: string = e.type;
  switch (type) {
    case 'immediate': {
      if (n('dreg') !== 0) return undefined;
      const v = nameOf(VERDICT, n('verdict'));
      if (v === 'jump' || v === 'goto') {
        const chain = str(e, 'chain');
        return chain === undefined ? undefined : { kind: 'verdict', verdict: v, chain };
      }
      return v === 'accept' || v === 'drop' || v === 'return' || v === 'continue' ? { kind: 'verdict', verdict: v } : undefined;
    }
    case 'counter': {
      const packets = big(e, 'packets') ?? 0n;
      const b = big(e, 'bytes') ?? 0n;
      return packets === 0n && b === 0n ? { kind: 'counter' } : { kind: 'counter', packets, bytes: b };
    }
    case 'limit': {
      const per = nameOf(RATE_UNITS, Number(big(e, 'unit') ?? 0n)) as RateUnit | undefined;
      const rate = big(e, 'rate');
      if (!per || rate === undefined) return undefined;
      const bytesUnit = n(TYPE_ATTR.limit) === 1;
      const burst = n('burst') ?? 0;
      return {
        kind: 'limit',
        rate: Number(rate),
        per,
        ...(bytesUnit ? { unit: 'bytes' as const } : {}),
        ...(burst !== (bytesUnit ? 0 : 5) ? { burst } : {}),
        ...((n('flags') ?? 0) & LIMIT_F_INV ? { over: true } : {}),
      };
    }
    case 'connlimit':
      return { kind: 'ctCount', count: n('count') ?? 0, ...((n('flags') ?? 0) & CONNLIMIT_F_INV ? { over: true } : {}) };
    case 'quota': {
      const used = big(e, 'consumed') ?? 0n;
      return { kind: 'quota', bytes: big(e, 'bytes') ?? 0n, ...((n('flags') ?? 0) & QUOTA_F_INV ? { over: true } : {}), ...(used !== 0n ? { used } : {}) };
    }
    case 'objref': {
      const ty = nameOf(OBJECT_TYPE, n('immType'));
      const name = str(e, 'immName');
      return (ty === 'counter' || ty === 'quota' || ty === 'limit') && name !== undefined ? { kind: 'objref', type: ty, name } : undefined;
    }
    case 'notrack':
      return { kind: 'notrack' };
    case 'log': {
      const s: { -readonly [K in keyof LogStatement]: LogStatement[K] } = { kind: 'log' };
      const prefix = str(e, 'prefix');
      if (prefix !== undefined) s.prefix = prefix;
      if (n('group') !== undefined) {
        s.group = n('group') ?? 0;
        const snaplen = n('snaplen') ?? 0;
        const qthreshold = n('qthreshold') ?? 0;
        if (snaplen) s.snaplen = snaplen;
        if (qthreshold) s.queueThreshold = qthreshold;
        return s;
      }
      const level = n('level');
      // The kernel dumps the level even when unset; 4 (warn) is the default and decodes as absent.
      if (level !== undefined && level !== 4) {
        const l = LOG_LEVELS[level];
        if (!l) return undefined;
        s.level = l;
      }
      const flags = n('flags') ?? 0;
      if (flags) {
        if ((flags & LOG_FLAGS.all) === LOG_FLAGS.all) s.flags = ['all'];
        else {
          const names = (['tcp sequence', 'tcp options', 'ip options', 'skuid', 'ether'] as const).filter((f) => flags & LOG_FLAGS[f]);
          if (names.reduce((a, f) => a | LOG_FLAGS[f], 0) !== flags) return undefined;
          s.flags = names;
        }
      }
      return s;
    }
    case 'reject': {
      const rt = n(TYPE_ATTR.reject);
      const code = n('code') ?? 0;
      if (rt === REJECT_TYPE.tcp_rst) return { kind: 'reject', with: { type: 'tcp reset' } };
      if (rt === REJECT_TYPE.icmpx_unreach) {
        if (ctx.family === 'inet' && code === ICMPX_CODE['port-unreachable']) return { kind: 'reject' };
        const c = nameOf(ICMPX_CODE, code);
        return c ? { kind: 'reject', with: { type: 'icmpx', code: c } } : undefined;
      }
      if (rt !== REJECT_TYPE.icmp_unreach) return undefined;
      const v6 = ctx.family === 'ip6' || (ctx.family !== 'ip' && proto.net === 'ip6');
      if ((ctx.family === 'ip' && code === 3) || (ctx.family === 'ip6' && code === 4)) return { kind: 'reject' };
      const c = nameOf(v6 ? ICMPV6_CODES : ICMP_CODES, code);
      return c ? { kind: 'reject', with: { type: v6 ? 'icmpv6' : 'icmp', code: c } } : undefined;
    }
    case 'queue': {
      const total = n('total') ?? 1;
      const lo = n('num') ?? 0;
      const flags = (['bypass', 'fanout'] as const).filter((f) => (n('flags') ?? 0) & QUEUE_FLAGS[f]);
      return { kind: 'queue', ...(total > 1 ? { num: { range: [lo, lo + total - 1] as const } } : lo ? { num: lo } : {}), ...(flags.length ? { flags } : {}) };
    }
    case 'masq':
    case 'redir': {
      if (n('regProtoMin') !== undefined) return undefined;
      const f = natFlagNames(n('flags') ?? 0);
      if (!f) return undefined;
      return { kind: type === 'masq' ? 'masquerade' : 'redirect', ...(f.length ? { flags: f } : {}) };
    }
    default:
      return undefined;
  }
}

/** `immediate reg N data…` + nat/masq/redir. */
function decodeNat(exprs: readonly DecodedExpr[], i: number, ctx: DecodeContext): Result | undefined {
  const regs = new Map<number, Uint8Array>();
  let j = i;
  for (; t(exprs[j]) === 'immediate'; j++) {
    const e = exprs[j] as DecodedExpr;
    const d = bytes(e, 'data');
    const r = num(e, 'dreg');
    if (!d || !r) return undefined;
    regs.set(r, d);
  }
  const e = exprs[j];
  if (!e || 'unknown' in e || regs.size === 0) return undefined;
  const type: string = e.type;
  const reg = (k: string): Uint8Array | undefined => {
    const r = num(e, k);
    return r === undefined ? undefined : regs.get(r);
  };
  const pmin = reg('regProtoMin');
  // The kernel dumps regProtoMax (= regProtoMin) even when only one port was given.
  const pmax = num(e, 'regProtoMax') === num(e, 'regProtoMin') ? undefined : reg('regProtoMax');
  const port = pmin ? (pmax ? { range: [readUintBE(pmin), readUintBE(pmax)] as const } : readUintBE(pmin)) : undefined;
  const flags = natFlagNames(num(e, 'flags') ?? 0);
  if (!flags) return undefined;
  const common = { ...(port !== undefined ? { port } : {}), ...(flags.length ? { flags } : {}) };
  if (type === 'masq' || type === 'redir') {
    if (!pmin || regs.size !== (pmax ? 2 : 1)) return undefined;
    return { stmts: [{ kind: type === 'masq' ? 'masquerade' : 'redirect', ...common }], next: j + 1 };
  }
  if (type !== 'nat') return undefined;
  const fam = num(e, 'family') === 10 ? 'ip6' : 'ip';
  const codec = fam === 'ip6' ? CODECS.ipv6 : CODECS.ipv4;
  const amin = reg('regAddrMin');
  const amax = num(e, 'regAddrMax') === num(e, 'regAddrMin') ? undefined : reg('regAddrMax');
  const addr = amin ? (amax ? { range: [String(codec.decode(amin)), String(codec.decode(amax))] as const } : String(codec.decode(amin))) : undefined;
  const natType = num(e, TYPE_ATTR.nat) === 1 ? 'dnat' : 'snat';
  return {
    stmts: [{ kind: 'nat', type: natType, ...(addr === undefined && ctx.family === 'inet' ? { family: fam } : {}), ...(addr !== undefined ? { addr } : {}), ...common }],
    next: j + 1,
  };
}

/** `exthdr load tcpopt 1b @ <kind> + 0 present` + `cmp eq 0|1`: `tcp option <name> missing|exists`. */
function decodeTcpOption(exprs: readonly DecodedExpr[], i: number): Result | undefined {
  const e = exprs[i] as DecodedExpr;
  const next = exprs[i + 1];
  const d = next ? bytes(next, 'data') : undefined;
  if (num(e, 'op') !== EXTHDR_OP.tcpopt || num(e, 'offset') !== 0 || num(e, 'len') !== 1 || num(e, 'dreg') !== 1) return undefined;
  if (!next || t(next) !== 'cmp' || num(next, 'op') !== 0 || num(next, 'sreg') !== 1 || !d || d.length !== 1 || (d[0] ?? 2) > 1) return undefined;
  const kind = num(e, TYPE_ATTR.exthdr);
  const option = (Object.keys(TCP_OPTION_KINDS) as TcpOptionName[]).find((k) => TCP_OPTION_KINDS[k] === kind);
  if (!option) return undefined;
  return { stmts: [{ kind: 'tcpOption', option, value: d[0] === 1 ? 'exists' : 'missing' }], next: i + 2 };
}

/** fib + cmp / lookup. */
function decodeFib(exprs: readonly DecodedExpr[], i: number, ctx: DecodeContext): Result | undefined {
  const e = exprs[i] as DecodedExpr;
  const next = exprs[i + 1];
  if (num(e, 'dreg') !== 1 || !next) return undefined;
  const flags = num(e, 'flags') ?? 0;
  const lookup = (['saddr', 'daddr', 'mark', 'iif', 'oif'] as FibLookup[]).filter((k) => flags & FIB_F[k]);
  const result = num(e, 'result');
  if (flags & FIB_F.present) {
    const d = bytes(next, 'data');
    if (t(next) !== 'cmp' || num(next, 'op') !== 0 || !d || d.length !== 4 || (result !== FIB_RESULT.oif && result !== FIB_RESULT.oifname)) return undefined;
    return { stmts: [{ kind: 'fib', lookup, result: result === FIB_RESULT.oif ? 'oif' : 'oifname', value: readU32Host(d) ? 'exists' : 'missing' }], next: i + 2 };
  }
  if (result !== FIB_RESULT.addrtype) return undefined;
  if (t(next) === 'lookup' && num(next, 'dreg') === undefined) {
    const items = anonSetItems(ctx, str(next, 'set'), CODECS.fibAddrType);
    if (!items || items.some((x) => typeof x !== 'string')) return undefined;
    const neg = ((num(next, 'flags') ?? 0) & LOOKUP_F_INV) !== 0;
    return { stmts: [{ kind: 'fib', lookup, result: 'type', ...(neg ? { op: '!=' as const } : {}), value: items as string[] }], next: i + 2 };
  }
  const d = bytes(next, 'data');
  const op = num(next, 'op');
  if (t(next) !== 'cmp' || !d || d.length !== 4 || (op !== 0 && op !== 1)) return undefined;
  const v = CODECS.fibAddrType.decode(d);
  if (typeof v !== 'string') return undefined;
  return { stmts: [{ kind: 'fib', lookup, result: 'type', ...(op === 1 ? { op: '!=' as const } : {}), value: v }], next: i + 2 };
}

/** A load (or several, for concatenations) and what consumes the register. */
function decodeLoad(exprs: readonly DecodedExpr[], i: number, ctx: DecodeContext, proto: ProtoState): Result | undefined {
  const first = exprs[i] as DecodedExpr;
  if (num(first, 'dreg') !== 1) return undefined;
  const lf = fieldOfLoad(first, proto);
  if (!lf) return undefined;
  // Concatenation: more loads into consecutive 32-bit registers, then lookup/dynset.
  const keyFields: Field[] = lf.kind === 'field' ? [lf.field] : [];
  let j = i + 1;
  if (lf.kind === 'field') {
    let words = Math.ceil(FIELDS[lf.field].codec.len / 4);
    while (isLoad(exprs[j]) && num(exprs[j] as DecodedExpr, 'dreg') === 8 + words) {
      const f = fieldOfLoad(exprs[j] as DecodedExpr, proto);
      if (!f || f.kind !== 'field') return undefined;
      keyFields.push(f.field);
      words += Math.ceil(FIELDS[f.field].codec.len / 4);
      j++;
    }
  }
  const next = exprs[j];
  if (!next || 'unknown' in next) return undefined;
  const nt: string = next.type;
  if (nt === 'dynset' && keyFields.length && num(next, 'sregKey') === 1 && num(next, 'sregData') === undefined) {
    const op = nameOf(DYNSET_OP, num(next, 'op'));
    const set = str(next, 'set');
    if (!op || !set) return undefined;
    const timeout = big(next, 'timeout');
    const inner = attr(next, 'exprs');
    const stmts = Array.isArray(inner) ? (inner as DecodedExpr[]).map(decodeElementStmt) : [];
    if (stmts.some((s) => s === undefined)) return undefined;
    return {
      stmts: [{ kind: 'setUpdate', op, set, key: keyFields, ...(timeout !== undefined && timeout > 0n ? { timeoutMs: Number(timeout) } : {}), ...(stmts.length ? { stmts: stmts as SetElementStatement[] } : {}) }],
      next: j + 1,
    };
  }
  if (nt === 'lookup' && num(next, 'sreg') === 1 && num(next, 'dreg') === undefined && keyFields.length) {
    const set = str(next, 'set');
    const negate = ((num(next, 'flags') ?? 0) & LOOKUP_F_INV) !== 0;
    if (!set) return undefined;
    const only = keyFields.length === 1 ? keyFields[0] : undefined;
    const items = only ? anonSetItems(ctx, set, FIELDS[only].codec) : undefined;
    if (only && items) return { stmts: [{ kind: 'match', field: only, ...(negate ? { op: '!=' as const } : {}), value: items.length === 1 ? (items[0] as never) : { set: items } }], next: j + 1 };
    if (ctx.anonSet(set) !== undefined) return undefined;
    return { stmts: [{ kind: 'lookup', fields: keyFields, set, ...(negate ? { negate: true } : {}) }], next: j + 1 };
  }
  if (j !== i + 1) return undefined;
  const after = exprs[j + 1];
  const opOf = (e: DecodedExpr): MatchOp | undefined => OP_OF[num(e, 'op') ?? -1];
  const withOp = (op: MatchOp | undefined): { op?: MatchOp } => (op && op !== '==' ? { op } : {});

  if (lf.kind === 'flags') {
    const spec = FLAG_FIELDS[lf.field];
    const table = FLAG_BITS[lf.field] as Readonly<Record<string, number>>;
    const val = (d: Uint8Array | undefined): number | undefined => (d && d.length === spec.len ? (spec.host ? readU32Host(d) : readUintBE(d)) : undefined);
    if (nt === 'bitwise' && t(after) === 'cmp' && num(after as DecodedExpr, 'sreg') === 1) {
      const mask = val(bytes(next, 'mask'));
      const xor = val(bytes(next, 'xor'));
      const v = val(bytes(after as DecodedExpr, 'data'));
      const op = opOf(after as DecodedExpr);
      if (mask === undefined || xor !== 0 || v === undefined || (op !== '==' && op !== '!=')) return undefined;
      const maskNames = flagNames(table, mask);
      if (!maskNames) return undefined;
      if (op === '!=' && v === 0) return { stmts: [{ kind: 'flags', field: lf.field, values: maskNames }], next: j + 2 };
      const values = flagNames(table, v);
      if (!values) return undefined;
      return { stmts: [{ kind: 'flags', field: lf.field, ...(op === '!=' ? { op } : {}), values, mask: maskNames }], next: j + 2 };
    }
    if (nt === 'cmp') {
      const v = val(bytes(next, 'data'));
      const op = opOf(next);
      const values = v === undefined ? undefined : flagNames(table, v);
      if (!values || (op !== '==' && op !== '!=')) return undefined;
      return { stmts: [{ kind: 'flags', field: lf.field, op, values }], next: j + 1 };
    }
    return undefined;
  }
  if (lf.kind === 'merged') {
    const d = bytes(next, 'data');
    const op = opOf(next);
    if (nt !== 'cmp' || !d || (op !== '==' && op !== '!=')) return undefined;
    let o = 0;
    const stmts: Statement[] = lf.fields.map((f) => {
      const len = FIELDS[f].codec.len;
      const v = FIELDS[f].codec.decode(d.subarray(o, o + len));
      o += len;
      return { kind: 'match', field: f, ...withOp(op), value: v };
    });
    return { stmts, next: j + 1 };
  }
  const field = lf.field;
  const codec = FIELDS[field].codec;
  if (lf.kind === 'short') {
    const d = bytes(next, 'data');
    const op = opOf(next);
    if (nt !== 'cmp' || !d || d.length !== lf.len || (op !== '==' && op !== '!=')) return undefined;
    const full = new Uint8Array(codec.len);
    full.set(d);
    return { stmts: [{ kind: 'match', field, ...withOp(op), value: `${codec.decode(full)}/${lf.len * 8}` }], next: j + 1 };
  }
  if (nt === 'cmp') {
    const d = bytes(next, 'data');
    const op = opOf(next);
    if (!d || !op) return undefined;
    const nextCmp = exprs[j + 1];
    if (op === '>=' && t(nextCmp) === 'cmp' && num(nextCmp as DecodedExpr, 'op') === 3 && num(nextCmp as DecodedExpr, 'sreg') === 1) {
      const hi = bytes(nextCmp as DecodedExpr, 'data');
      if (!hi || hi.length !== codec.len || d.length !== codec.len) return undefined;
      return { stmts: [{ kind: 'match', field, value: { range: [codec.decode(d), codec.decode(hi)] } }], next: j + 2 };
    }
    if (d.length !== codec.len && !(codec.id === CODECS.ifname.id && d.length < codec.len && (op === '==' || op === '!='))) return undefined;
    return { stmts: [{ kind: 'match', field, ...withOp(op), value: codec.decode(d) }], next: j + 1 };
  }
  if (nt === 'range' && num(next, 'op') === 1) {
    const lo = bytes(next, 'fromData');
    const hi = bytes(next, 'toData');
    if (!lo || !hi) return undefined;
    return { stmts: [{ kind: 'match', field, op: '!=', value: { range: [codec.decode(lo), codec.decode(hi)] } }], next: j + 1 };
  }
  if (nt === 'bitwise' && codec.bits !== undefined && t(after) === 'cmp') {
    const mask = bytes(next, 'mask');
    const d = bytes(after as DecodedExpr, 'data');
    const op = opOf(after as DecodedExpr);
    if (!mask || !d || (op !== '==' && op !== '!=')) return undefined;
    let bits = 0;
    for (const b of mask) bits += b === 0xff ? 8 : Math.clz32(~(b << 24)) > 8 ? 8 : Math.clz32(~(b << 24));
    return { stmts: [{ kind: 'match', field, ...withOp(op), value: `${codec.decode(d)}/${bits}` }], next: j + 2 };
  }
  return undefined;
}

/** What a statement needs from the protocol context (to drop the dependency nft put before it). */
function needs(s: Statement, family: DecodeContext['family']): { net?: 'ip' | 'ip6'; l4?: number } {
  const fromFields = (fields: readonly Field[]): { net?: 'ip' | 'ip6'; l4?: number } => {
    const out: { net?: 'ip' | 'ip6'; l4?: number } = {};
    for (const f of fields) {
      const sp = FIELDS[f];
      if (sp.net && !out.net) out.net = sp.net;
      if (sp.l4 !== undefined && out.l4 === undefined) out.l4 = sp.l4;
    }
    return out;
  };
  switch (s.kind) {
    case 'match':
      return fromFields([s.field]);
    case 'flags':
      return FLAG_FIELDS[s.field].l4 !== undefined ? { l4: FLAG_FIELDS[s.field].l4 as number } : {};
    case 'lookup':
      return fromFields(s.fields);
    case 'setUpdate':
      return fromFields(s.key);
    case 'reject':
      if (s.with?.type === 'tcp reset') return { l4: 6 };
      if (family === 'inet' && s.with?.type === 'icmp') return { net: 'ip' };
      if (family === 'inet' && s.with?.type === 'icmpv6') return { net: 'ip6' };
      return {};
    default:
      return {};
  }
}

class Decoder {
  readonly out: Statement[] = [];
  readonly proto: ProtoState;
  private netSrc = -1;
  private l4Src = -1;
  private raw: DecodedExpr[] = [];

  constructor(readonly ctx: DecodeContext) {
    this.proto = initialProtoState(ctx.family);
  }

  flushRaw(): void {
    if (this.raw.length) this.out.push({ kind: 'raw', exprs: this.raw });
    this.raw = [];
  }

  addRaw(e: DecodedExpr): void {
    this.raw.push(e);
  }

  private isDep(s: Statement | undefined, field: Field, value: string | number): boolean {
    return !!s && s.kind === 'match' && s.field === field && s.op === undefined && s.value === value;
  }

  push(s: Statement): void {
    this.flushRaw();
    const need = needs(s, this.ctx.family);
    const last = this.out.length - 1;
    if (need.l4 !== undefined && this.l4Src === last && this.isDep(this.out[last], 'meta l4proto', CODECS.inetProto.decode(Uint8Array.of(need.l4)))) {
      this.out.pop();
      this.l4Src = -1;
    }
    const tail = this.out.length - 1;
    if (need.net && this.netSrc === tail) {
      const dep = this.ctx.family === 'inet' ? this.isDep(this.out[tail], 'meta nfproto', need.net === 'ip' ? 'ipv4' : 'ipv6') : this.isDep(this.out[tail], 'meta protocol', need.net);
      if (dep) {
        this.out.pop();
        this.netSrc = -1;
      }
    }
    if (need.net && !this.proto.net) this.proto.net = need.net;
    if (need.l4 !== undefined && this.proto.l4 === undefined) this.proto.l4 = need.l4;
    this.out.push(s);
    if (s.kind === 'match' && s.op === undefined && typeof s.value !== 'object') {
      if ((s.field === 'meta nfproto' || s.field === 'meta protocol') && !this.proto.net) {
        const net = s.value === 'ipv4' || s.value === 'ip' ? 'ip' : s.value === 'ipv6' || s.value === 'ip6' ? 'ip6' : undefined;
        if (net) {
          this.proto.net = net;
          this.netSrc = this.out.length - 1;
        }
      } else if ((s.field === 'meta l4proto' || s.field === 'ip protocol' || s.field === 'ip6 nexthdr') && this.proto.l4 === undefined) {
        const v = CODECS.inetProto.encode(s.value, s.field)[0];
        this.proto.l4 = v;
        if (s.field === 'meta l4proto') this.l4Src = this.out.length - 1;
      }
    }
  }
}

/**
 * Decodes a rule's expressions into statements; the inverse of compileRule() for everything it
 * produces. Unrecognised sequences are kept as `{ kind: 'raw', exprs }`.
 * Canonical forms: `==` is omitted, counters at zero decode without values, `log level warn`
 * (the kernel's default) decodes without level, merged payload loads split in offset order.
 */
export function decodeRule(exprs: readonly DecodedExpr[], ctx: DecodeContext): Statement[] {
  const d = new Decoder(ctx);
  let i = 0;
  while (i < exprs.length) {
    const e = exprs[i] as DecodedExpr;
    let r: Result | undefined;
    try {
      if (t(e) === 'exthdr' && ((num(e, 'flags') ?? 0) & EXTHDR_F_PRESENT) !== 0) r = decodeTcpOption(exprs, i);
      else if (isLoad(e)) r = decodeLoad(exprs, i, ctx, d.proto);
      else if (t(e) === 'fib') r = decodeFib(exprs, i, ctx);
      else if (t(e) === 'immediate' && num(e, 'dreg') !== 0) r = decodeNat(exprs, i, ctx);
      else {
        const s = decodeSingle(e, ctx, d.proto);
        if (s) r = { stmts: [s], next: i + 1 };
      }
    } catch {
      r = undefined;
    }
    if (!r) {
      d.addRaw(e);
      i++;
      continue;
    }
    for (const s of r.stmts) d.push(s);
    i = r.next;
  }
  d.flushRaw();
  return d.out;
}
