// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Lowering of actions and stateful statements: verdicts, counter, limit, log, reject, quota,
 * ct count, named objects, dynamic set updates, NAT, masquerade, redirect, notrack, queue.
 */
import type { Expr } from '../expr/registry';
import {
  CONNLIMIT_F_INV,
  DYNSET_OP,
  ICMPX_CODE,
  LIMIT_F_INV,
  LIMIT_TYPE,
  NAT_RANGE,
  NAT_TYPE,
  NFPROTO,
  OBJECT_TYPE,
  QUOTA_F_INV,
  REJECT_TYPE,
  VERDICT,
} from '../kernel';
import { compareBytes, uintBE } from './bytes';
import { CODECS } from './datatypes';
import { checkInt, checkName, checkOneOf, checkU64, rangeError, typeError } from './errors';
import { X } from './exprs';
import { lowerKeyLoads } from './compile-match';
import type { Lowering } from './lowering';
import type {
  LimitStatement,
  LogStatement,
  MasqueradeStatement,
  NatFlag,
  NatStatement,
  PortSpec,
  QueueStatement,
  RateUnit,
  RedirectStatement,
  RejectStatement,
  SetElementStatement,
  SetUpdateStatement,
  Statement,
  VerdictStatement,
} from './statement';

export const RATE_UNITS: Readonly<Record<RateUnit, number>> = { second: 1, minute: 60, hour: 3600, day: 86400, week: 604800 };
export const LOG_LEVELS = ['emerg', 'alert', 'crit', 'err', 'warn', 'notice', 'info', 'debug', 'audit'] as const;
/** NF_LOG_* flags (linux/netfilter/nf_log.h). */
export const LOG_FLAGS = { 'tcp sequence': 0x01, 'tcp options': 0x02, 'ip options': 0x04, skuid: 0x08, ether: 0x20, all: 0x2f } as const;
export const ICMP_CODES: Readonly<Record<string, number>> = {
  'net-unreachable': 0,
  'host-unreachable': 1,
  'prot-unreachable': 2,
  'port-unreachable': 3,
  'net-prohibited': 9,
  'host-prohibited': 10,
  'admin-prohibited': 13,
};
export const ICMPV6_CODES: Readonly<Record<string, number>> = {
  'no-route': 0,
  'admin-prohibited': 1,
  'addr-unreachable': 3,
  'port-unreachable': 4,
  'policy-fail': 5,
  'reject-route': 6,
};
export const NAT_FLAGS: Readonly<Record<NatFlag, number>> = {
  random: NAT_RANGE.protoRandom,
  'fully-random': NAT_RANGE.protoRandomFully,
  persistent: NAT_RANGE.persistent,
};
/** NFT_QUEUE_FLAG_* */
export const QUEUE_FLAGS = { bypass: 0x1, fanout: 0x2 } as const;

export function lowerVerdict(s: VerdictStatement): Expr {
  const v = checkOneOf(s.verdict, ['accept', 'drop', 'return', 'continue', 'jump', 'goto'] as const, 'verdict');
  if (v === 'jump' || v === 'goto') {
    const chain = checkName((s as { chain?: unknown }).chain, 255, v, 'a chain name of 1-255 bytes');
    return X.verdict(VERDICT[v], chain);
  }
  return X.verdict(VERDICT[v]);
}

export function lowerLimit(s: LimitStatement): Expr {
  const unit = s.unit === undefined ? 'packets' : checkOneOf(s.unit, ['packets', 'bytes'] as const, 'limit.unit');
  const rate = checkInt(s.rate, 1, Number.MAX_SAFE_INTEGER, 'limit.rate', 'a positive integer');
  const per = checkOneOf(s.per, Object.keys(RATE_UNITS) as RateUnit[], 'limit.per');
  const burst = s.burst === undefined ? (unit === 'packets' ? 5 : 0) : checkInt(s.burst, 0, 0xffffffff, 'limit.burst');
  return X.limit(BigInt(rate), BigInt(RATE_UNITS[per]), burst, LIMIT_TYPE[unit], s.over === true ? LIMIT_F_INV : 0);
}

function lowerSetElementStatement(s: SetElementStatement, where: string): Expr {
  switch (s.kind) {
    case 'limit':
      return lowerLimit(s);
    case 'counter':
      return lowerCounter(s.packets, s.bytes);
    case 'ctCount':
      return X.connlimit(checkInt(s.count, 0, 0xffffffff, 'ctCount.count'), s.over === true ? CONNLIMIT_F_INV : 0);
    default:
      throw typeError('a limit, counter or ctCount statement', where, (s as { kind?: unknown }).kind);
  }
}

function lowerCounter(packets: unknown, bytes: unknown): Expr {
  return X.counter(packets === undefined ? undefined : checkU64(packets, 'counter.packets'), bytes === undefined ? undefined : checkU64(bytes, 'counter.bytes'));
}

export function lowerLog(s: LogStatement): Expr {
  const prefix = s.prefix === undefined ? undefined : checkName(s.prefix, 127, 'log.prefix', 'a prefix of 1-127 bytes');
  if (prefix !== undefined && prefix.includes('"')) throw typeError('a prefix without double quotes', 'log.prefix', prefix);
  if (s.group !== undefined) {
    const group = checkInt(s.group, 0, 0xffff, 'log.group');
    if (s.level !== undefined || s.flags !== undefined) throw typeError('no level or flags together with group', 'log', s);
    return X.log({
      ...(prefix !== undefined ? { prefix } : {}),
      group,
      ...(s.snaplen !== undefined ? { snaplen: checkInt(s.snaplen, 0, 0xffffffff, 'log.snaplen') } : {}),
      ...(s.queueThreshold !== undefined ? { qthreshold: checkInt(s.queueThreshold, 0, 0xffff, 'log.queueThreshold') } : {}),
    });
  }
  if (s.snaplen !== undefined || s.queueThreshold !== undefined) throw typeError('a group for snaplen/queueThreshold', 'log', s);
  let flags = 0;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags) || s.flags.length === 0) throw typeError('a non-empty array of log flags', 'log.flags', s.flags);
    for (const f of s.flags) flags |= LOG_FLAGS[checkOneOf(f, Object.keys(LOG_FLAGS) as (keyof typeof LOG_FLAGS)[], 'log.flags')];
  }
  return X.log({
    ...(prefix !== undefined ? { prefix } : {}),
    ...(s.level !== undefined ? { level: LOG_LEVELS.indexOf(checkOneOf(s.level, LOG_LEVELS, 'log.level')) } : {}),
    ...(s.flags !== undefined ? { flags } : {}),
  });
}

/** Reject: the kernel type/code per table family, with nft's dependencies. */
export function lowerReject(low: Lowering, s: RejectStatement): Expr {
  const fam = low.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet') throw typeError('an ip, ip6 or inet table', 'reject', fam);
  const w = s.with;
  if (w === undefined) {
    if (fam === 'ip') return X.reject(REJECT_TYPE.icmp_unreach, ICMP_CODES['port-unreachable'] ?? 3);
    if (fam === 'ip6') return X.reject(REJECT_TYPE.icmp_unreach, ICMPV6_CODES['port-unreachable'] ?? 4);
    return X.reject(REJECT_TYPE.icmpx_unreach, ICMPX_CODE['port-unreachable']);
  }
  const type = checkOneOf(w.type, ['tcp reset', 'icmp', 'icmpv6', 'icmpx'] as const, 'reject.with.type');
  if (type === 'tcp reset') {
    low.requireL4(6, 'reject with tcp reset');
    return X.reject(REJECT_TYPE.tcp_rst, 0);
  }
  const code = (w as { code?: unknown }).code;
  if (type === 'icmpx') {
    if (fam !== 'inet') throw typeError('an inet table', 'reject with icmpx', fam);
    return X.reject(REJECT_TYPE.icmpx_unreach, ICMPX_CODE[checkOneOf(code, Object.keys(ICMPX_CODE) as (keyof typeof ICMPX_CODE)[], 'reject with icmpx')]);
  }
  const table = type === 'icmp' ? ICMP_CODES : ICMPV6_CODES;
  const c = table[checkOneOf(code, Object.keys(table), `reject with ${type}`)] ?? 0;
  low.requireNet(type === 'icmp' ? 'ip' : 'ip6', `reject with ${type}`);
  return X.reject(REJECT_TYPE.icmp_unreach, c);
}

function checkPort(p: unknown, where: string): [number, number | undefined] {
  if (typeof p === 'object' && p !== null && 'range' in p) {
    const r = (p as { range: unknown }).range;
    if (!Array.isArray(r) || r.length !== 2) throw typeError('a { range: [lo, hi] } of ports', where, p);
    const lo = checkInt(r[0], 0, 0xffff, where, 'a port 0-65535');
    const hi = checkInt(r[1], 0, 0xffff, where, 'a port 0-65535');
    if (lo > hi) throw rangeError('a port range whose start is not above its end', where, p);
    return [lo, hi];
  }
  return [checkInt(p, 0, 0xffff, where, 'a port 0-65535'), undefined];
}

function natFlags(flags: unknown, where: string): number {
  if (flags === undefined) return 0;
  if (!Array.isArray(flags)) throw typeError('an array of random, fully-random, persistent', where, flags);
  return flags.reduce<number>((a, f) => a | NAT_FLAGS[checkOneOf(f, Object.keys(NAT_FLAGS) as NatFlag[], where)], 0);
}

/** Port mapping: nft refuses it without a transport protocol match earlier in the rule. */
function portRegs(low: Lowering, port: PortSpec | undefined, first: number, where: string): { exprs: Expr[]; min?: number; max?: number } {
  if (port === undefined) return { exprs: [] };
  const [lo, hi] = checkPort(port, `${where} port`);
  if (low.proto.l4 === undefined) throw typeError('a transport protocol match (tcp, udp, meta l4proto …) earlier in the rule', `${where} port`, port);
  const exprs = [X.data(first, uintBE(lo, 2))];
  if (hi === undefined) return { exprs, min: first };
  exprs.push(X.data(first + 1, uintBE(hi, 2)));
  return { exprs, min: first, max: first + 1 };
}

export function lowerNat(low: Lowering, s: NatStatement): Expr[] {
  const type = checkOneOf(s.type, ['snat', 'dnat'] as const, 'nat.type');
  const fam = low.family;
  if (fam !== 'ip' && fam !== 'ip6' && fam !== 'inet') throw typeError('an ip, ip6 or inet table', type, fam);
  let family: 'ip' | 'ip6' | undefined = s.family === undefined ? undefined : checkOneOf(s.family, ['ip', 'ip6'] as const, `${type}.family`);
  const exprs: Expr[] = [];
  let reg = 1;
  let regAddrMin: number | undefined;
  let regAddrMax: number | undefined;
  if (s.addr !== undefined) {
    const [a, b]: [unknown, unknown] =
      typeof s.addr === 'object' && s.addr !== null && 'range' in s.addr && Array.isArray(s.addr.range) ? [s.addr.range[0], s.addr.range[1]] : [s.addr, undefined];
    const v6 = typeof a === 'string' && a.includes(':');
    const addrFamily = v6 ? 'ip6' : 'ip';
    if (family !== undefined && family !== addrFamily) throw typeError(`an ${family} address`, `${type} address`, a);
    family = addrFamily;
    const codec = v6 ? CODECS.ipv6 : CODECS.ipv4;
    const lo = codec.encode(a as string, `${type} address`);
    regAddrMin = reg++;
    exprs.push(X.data(regAddrMin, lo));
    if (b !== undefined) {
      const hi = codec.encode(b as string, `${type} address`);
      if (compareBytes(lo, hi) > 0) throw rangeError('an address range whose start is not above its end', `${type} address`, s.addr);
      regAddrMax = reg++;
      exprs.push(X.data(regAddrMax, hi));
    }
  } else if (s.port === undefined) {
    throw typeError('an address or a port', type, s);
  }
  if (fam !== 'inet') {
    if (family !== undefined && family !== fam) throw typeError(`an ${fam} address`, `${type} address`, s.addr ?? s.family);
    family = fam;
  }
  if (family === undefined) throw typeError('family "ip" or "ip6" (needed in inet tables without an address)', `${type}.family`, s.family);
  const ports = portRegs(low, s.port, reg, type);
  exprs.push(...ports.exprs);
  const flags = natFlags(s.flags, `${type}.flags`) | (ports.min !== undefined ? NAT_RANGE.protoSpecified : 0);
  exprs.push(
    X.nat({
      type: NAT_TYPE[type],
      family: NFPROTO[family],
      ...(regAddrMin !== undefined ? { regAddrMin } : {}),
      ...(regAddrMax !== undefined ? { regAddrMax } : {}),
      ...(ports.min !== undefined ? { regProtoMin: ports.min } : {}),
      ...(ports.max !== undefined ? { regProtoMax: ports.max } : {}),
      ...(flags !== 0 ? { flags } : {}),
    }),
  );
  return exprs;
}

export function lowerMasqRedir(low: Lowering, s: MasqueradeStatement | RedirectStatement): Expr[] {
  const where = s.kind;
  const ports = portRegs(low, s.port, 1, where);
  const flags = natFlags(s.flags, `${where}.flags`) | (ports.min !== undefined ? NAT_RANGE.protoSpecified : 0);
  const a = {
    ...(flags !== 0 ? { flags } : {}),
    ...(ports.min !== undefined ? { regProtoMin: ports.min } : {}),
    ...(ports.max !== undefined ? { regProtoMax: ports.max } : {}),
  };
  return [...ports.exprs, s.kind === 'masquerade' ? X.masq(a) : X.redir(a)];
}

export function lowerQueue(s: QueueStatement): Expr {
  const [lo, hi] = s.num === undefined ? [0, undefined] : checkPort(s.num, 'queue.num');
  let flags = 0;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags)) throw typeError('an array of bypass, fanout', 'queue.flags', s.flags);
    for (const f of s.flags) flags |= QUEUE_FLAGS[checkOneOf(f, ['bypass', 'fanout'] as const, 'queue.flags')];
  }
  return X.queue({ num: lo, total: hi === undefined ? 1 : hi - lo + 1, flags });
}

export function lowerSetUpdate(low: Lowering, s: SetUpdateStatement): void {
  const op = checkOneOf(s.op, ['add', 'update', 'delete'] as const, 'setUpdate.op');
  const set = checkName(s.set, 255, 'setUpdate.set', 'a set name of 1-255 bytes');
  const loads = lowerKeyLoads(low, s.key, 'setUpdate.key');
  const timeout = s.timeoutMs === undefined ? undefined : BigInt(checkInt(s.timeoutMs, 1, Number.MAX_SAFE_INTEGER, 'setUpdate.timeoutMs', 'a positive integer of milliseconds'));
  let exprs: Expr[] | undefined;
  if (s.stmts !== undefined) {
    if (!Array.isArray(s.stmts)) throw typeError('an array of limit, counter or ctCount statements', 'setUpdate.stmts', s.stmts);
    exprs = s.stmts.map((x) => lowerSetElementStatement(x, 'setUpdate.stmts'));
  }
  low.emit(...loads, X.dynset({ op: DYNSET_OP[op], set, sregKey: 1, ...(timeout !== undefined ? { timeout } : {}), ...(exprs && exprs.length ? { exprs } : {}) }));
}

/** Every statement that is not a match. Returns false for match kinds (handled elsewhere). */
export function lowerAction(low: Lowering, s: Statement): boolean {
  switch (s.kind) {
    case 'verdict':
      low.emit(lowerVerdict(s));
      return true;
    case 'counter':
      low.emit(lowerCounter(s.packets, s.bytes));
      return true;
    case 'limit':
      low.emit(lowerLimit(s));
      return true;
    case 'ctCount':
      low.emit(lowerSetElementStatement(s, 'ctCount'));
      return true;
    case 'log':
      low.emit(lowerLog(s));
      return true;
    case 'reject':
      low.emit(lowerReject(low, s));
      return true;
    case 'quota': {
      const bytes = checkU64(s.bytes, 'quota.bytes');
      low.emit(X.quota(bytes, s.used === undefined ? 0n : checkU64(s.used, 'quota.used'), s.over === true ? QUOTA_F_INV : 0));
      return true;
    }
    case 'objref': {
      const type = checkOneOf(s.type, ['counter', 'quota', 'limit'] as const, 'objref.type');
      low.emit(X.objref(OBJECT_TYPE[type], checkName(s.name, 255, `${type} name`, 'an object name of 1-255 bytes')));
      return true;
    }
    case 'notrack':
      low.emit(X.notrack());
      return true;
    case 'queue':
      low.emit(lowerQueue(s));
      return true;
    case 'setUpdate':
      lowerSetUpdate(low, s);
      return true;
    case 'nat':
      low.emit(...lowerNat(low, s));
      return true;
    case 'masquerade':
    case 'redirect':
      low.emit(...lowerMasqRedir(low, s));
      return true;
    default:
      return false;
  }
}
