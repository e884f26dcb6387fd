// SPDX-License-Identifier: GPL-2.0-or-later
/** Actions and stateful statements: verdicts, counter, limit, log, reject, quota, NAT, notrack… */
import { typeError } from '../rule/errors';
import type { LogOptions, NatFlag, PortSpec, RateUnit } from '../rule/statement';
import { byteUnit } from '../nft/render-values';
import type {
  JCounterStmt,
  JCtCountStmt,
  JExpr,
  JFibFlag,
  JLimitStmt,
  JLogStmt,
  JMatchStmt,
  JNatStmt,
  JNotrackStmt,
  JQueueStmt,
  JQuotaStmt,
  JRejectStmt,
  JRelOp,
  JVerdict,
} from '../nft/schema';
import { flagNames } from './flags';

/** `accept` */
export const accept = (): JVerdict => ({ accept: null });
/** `drop` */
export const drop = (): JVerdict => ({ drop: null });

const VERDICTS = ['accept', 'drop', 'return', 'continue'] as const;
/** `return` / `continue` (reserved words in JS, hence the generic form). */
export function verdict(v: 'accept' | 'drop' | 'return' | 'continue'): JVerdict {
  if (!VERDICTS.includes(v)) throw typeError(`a verdict (${VERDICTS.join(', ')})`, 'verdict()', v);
  return { [v]: null } as JVerdict;
}

function chainName(chain: string, where: string): string {
  if (typeof chain !== 'string' || chain === '') throw typeError('a chain name', where, chain);
  return chain;
}
/** `jump <chain>` */
export const jump = (chain: string): JVerdict => ({ jump: { target: chainName(chain, 'jump()') } });
/** `goto <chain>` */
export const goto = (chain: string): JVerdict => ({ goto: { target: chainName(chain, 'goto()') } });

/** A port or `{ range: [lo, hi] }` as JSON. */
const portJson = (p: PortSpec): JExpr => (typeof p === 'object' && p !== null ? { range: [p.range[0], p.range[1]] } : p);
/** One flag as a string, several as an array, as `nft -j` prints them. */
const oneOrMany = <T extends string>(v: readonly T[]): T | T[] => (v.length === 1 ? (v[0] as T) : [...v]);

/** `queue [num N|N-M] [bypass,fanout]` */
export function queue(o: { num?: PortSpec; flags?: readonly ('bypass' | 'fanout')[] } = {}): JQueueStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { num?, flags? }', 'queue() options', o);
  if (o.num === undefined && (o.flags === undefined || o.flags.length === 0)) return { queue: null };
  return { queue: { ...(o.num !== undefined ? { num: portJson(o.num) } : {}), ...(o.flags !== undefined && o.flags.length > 0 ? { flags: oneOrMany(o.flags) } : {}) } };
}

/**
 * `counter`: `{ counter: null }` (nft's input form; a listing gives the packets and bytes
 * counted), or with initial values `{ counter: { packets, bytes } }`.
 */
export function counter(o: { packets?: bigint | number; bytes?: bigint | number } = {}): JCounterStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { packets?, bytes? }', 'counter() options', o);
  if (o.packets === undefined && o.bytes === undefined) return { counter: null };
  return { counter: { packets: o.packets ?? 0, bytes: o.bytes ?? 0 } };
}

function objName(name: string, where: string): string {
  if (typeof name !== 'string' || name === '') throw typeError('an object name', where, name);
  return name;
}
/** `counter name "x"` */
export const counterName = (name: string): JCounterStmt => ({ counter: objName(name, 'counterName()') });
/** `quota name "q"` */
export const quotaName = (name: string): JQuotaStmt => ({ quota: objName(name, 'quotaName()') });
/** `limit name "l"` */
export const limitName = (name: string): JLimitStmt => ({ limit: objName(name, 'limitName()') });

function wholeBytes(v: unknown, where: string): number | bigint {
  if (typeof v === 'bigint' ? v < 0n : typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw typeError('a whole number of bytes', where, v);
  return v as number | bigint;
}
/** bytes as nft prints them: the largest unit that divides them (10485760 -> 10 mbytes). */
function inUnits(bytes: number | bigint): { value: number; unit: string } {
  const { value, unit } = byteUnit(bytes);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`Expected at most ${Number.MAX_SAFE_INTEGER} in ${unit} but received ${String(bytes)} bytes`);
  return { value: Number(value), unit };
}

/**
 * `limit rate [over] <rate>/<per> [burst N packets|bytes]`; byte rates and bursts are in bytes
 * (`rate: 10485760, unit: 'bytes'` is `limit rate 10 mbytes/second`). The burst is written out
 * as nft lists it (5 packets, 0 bytes when not given).
 */
export function limit(o: { rate: number; per: RateUnit; unit?: 'packets' | 'bytes'; burst?: number; over?: boolean }): JLimitStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { rate, per, unit?, burst?, over? }', 'limit() options', o);
  if (o.unit !== undefined && o.unit !== 'packets' && o.unit !== 'bytes') throw typeError('"packets" or "bytes"', 'limit() unit', o.unit);
  const inv = o.over ? { inv: true } : {};
  if (o.unit !== 'bytes') return { limit: { rate: o.rate, burst: o.burst ?? 5, per: o.per, ...inv } };
  const rate = inUnits(wholeBytes(o.rate, 'limit() rate'));
  const burst = inUnits(wholeBytes(o.burst ?? 0, 'limit() burst'));
  return { limit: { rate: rate.value as number, burst: burst.value as number, per: o.per, ...inv, rate_unit: rate.unit, burst_unit: burst.unit } };
}
/** `ct count [over] N` */
export const ctCount = (count: number, o: { over?: boolean } = {}): JCtCountStmt => ({ 'ct count': { val: count, ...(o.over ? { inv: true } : {}) } });
/** `quota [over] N bytes [used M bytes]`, in the largest unit that divides the bytes and as bigint, as listings give it. */
export function quota(bytes: bigint | number, o: { over?: boolean; used?: bigint | number } = {}): JQuotaStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { over?, used? }', 'quota() options', o);
  // 64-bit values: bigint, as listings give them
  const val = byteUnit(wholeBytes(bytes, 'quota() bytes'));
  const used = o.used !== undefined && BigInt(wholeBytes(o.used, 'quota() used')) !== 0n ? byteUnit(o.used) : undefined;
  return { quota: { val: val.value, val_unit: val.unit, ...(o.over ? { inv: true } : {}), ...(used ? { used: used.value, used_unit: used.unit } : {}) } };
}

/**
 * Options of {@link log}: the kernel log (prefix, level, flags) or an nflog group (group,
 * snaplen, queueThreshold); a level of 'warn' (the kernel's default) is not written, as nft lists it.
 */
export type { LogOptions };
/** `log [prefix "…"] [level …] [flags …]` or `log group N …` */
export function log(o: LogOptions = {}): JLogStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { prefix?, level?, flags?, group?, snaplen?, queueThreshold? }', 'log() options', o);
  const body = {
    ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
    ...(o.group !== undefined ? { group: o.group } : {}),
    ...(o.snaplen !== undefined ? { snaplen: o.snaplen } : {}),
    ...(o.queueThreshold !== undefined ? { 'queue-threshold': o.queueThreshold } : {}),
    ...(o.level !== undefined && o.level !== 'warn' ? { level: o.level } : {}),
    ...(o.flags !== undefined && o.flags.length > 0 ? { flags: oneOrMany(o.flags) } : {}),
  };
  return { log: Object.keys(body).length === 0 ? null : body };
}

/**
 * `reject`, `reject({ tcpReset: true })`, `reject({ icmp: 'host-prohibited' })`,
 * `reject({ icmpx: 'admin-prohibited' })`. A plain `reject` is `{ reject: null }`; nft lists it
 * with the code the table's family gives it (icmpx port-unreachable in inet).
 */
export function reject(o: { tcpReset?: boolean; icmp?: string; icmpv6?: string; icmpx?: string } = {}): JRejectStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { tcpReset?, icmp?, icmpv6?, icmpx? }', 'reject() options', o);
  if (o.tcpReset) return { reject: { type: 'tcp reset' } };
  if (o.icmp !== undefined) return { reject: { type: 'icmp', expr: o.icmp } };
  if (o.icmpv6 !== undefined) return { reject: { type: 'icmpv6', expr: o.icmpv6 } };
  if (o.icmpx !== undefined) return { reject: { type: 'icmpx', expr: o.icmpx } };
  return { reject: null };
}

type NatTo = { addr?: string | { range: readonly [string, string] }; port?: PortSpec; family?: 'ip' | 'ip6'; flags?: readonly NatFlag[] };
function nat(type: 'snat' | 'dnat', to: NatTo): JNatStmt {
  if (typeof to !== 'object' || to === null) throw typeError('options { addr?, port?, family?, flags? }', `${type}() options`, to);
  const first = typeof to.addr === 'object' && to.addr !== null ? to.addr.range[0] : to.addr;
  // The family follows the address (nft needs `snat ip` / `snat ip6` in inet tables).
  const family = to.family ?? (typeof first === 'string' ? (first.includes(':') ? 'ip6' : 'ip') : undefined);
  const addr: JExpr | undefined = typeof to.addr === 'object' && to.addr !== null ? { range: [to.addr.range[0], to.addr.range[1]] } : to.addr;
  const body = {
    ...(family !== undefined ? { family } : {}),
    ...(addr !== undefined ? { addr } : {}),
    ...(to.port !== undefined ? { port: portJson(to.port) } : {}),
    ...(to.flags !== undefined && to.flags.length > 0 ? { flags: oneOrMany(to.flags) } : {}),
  };
  return (type === 'snat' ? { snat: body } : { dnat: body }) as JNatStmt;
}
/** `snat [ip|ip6] to <addr>[:<port>]` */
export const snat = (to: NatTo): JNatStmt => nat('snat', to);
/** `dnat [ip|ip6] to <addr>[:<port>]` */
export const dnat = (to: NatTo): JNatStmt => nat('dnat', to);
function portOnly(type: 'masquerade' | 'redirect', o: { port?: PortSpec; flags?: readonly NatFlag[] }): JNatStmt {
  if (typeof o !== 'object' || o === null) throw typeError('options { port?, flags? }', `${type}() options`, o);
  const body = { ...(o.port !== undefined ? { port: portJson(o.port) } : {}), ...(o.flags !== undefined && o.flags.length > 0 ? { flags: oneOrMany(o.flags) } : {}) };
  const v = Object.keys(body).length === 0 ? null : body;
  return (type === 'masquerade' ? { masquerade: v } : { redirect: v }) as JNatStmt;
}
/** `masquerade [to :port] [random,persistent…]` */
export const masquerade = (o: { port?: PortSpec; flags?: readonly NatFlag[] } = {}): JNatStmt => portOnly('masquerade', o);
/** `redirect [to :port]` */
export const redirect = (o: { port?: PortSpec; flags?: readonly NatFlag[] } = {}): JNatStmt => portOnly('redirect', o);
/** `notrack` */
export const notrack = (): JNotrackStmt => ({ notrack: null });

/** `fib saddr . iif oif missing`: the reverse-path filter. */
export function fibRpfMissing(lookup: readonly JFibFlag[] = ['saddr', 'iif']): JMatchStmt {
  return { match: { op: '==', left: { fib: { result: 'oif', flags: flagNames('fib', lookup, 'fibRpfMissing() lookup') as JFibFlag[] } }, right: false } };
}
/** `fib daddr type local`, `fib daddr type { local, broadcast }`, `fib daddr type != local`. */
export function fibDaddrType(value: string | readonly string[], op?: '==' | '!='): JMatchStmt {
  if (op !== undefined && op !== '==' && op !== '!=') throw typeError('"==" or "!="', 'fibDaddrType() op', op);
  const values = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(values) || values.length === 0) throw typeError('an address type or a non-empty array of them', 'fibDaddrType()', value);
  const right: JExpr = values.length === 1 ? (values[0] as string) : { set: [...values] };
  return { match: { op: op ?? '==', left: { fib: { result: 'type', flags: ['daddr'] } }, right } };
}

const NEGATE: Readonly<Record<string, JRelOp>> = { '==': '!=', in: '!=', '!=': '==', '<': '>=', '>=': '<', '>': '<=', '<=': '>' };
/**
 * Negates a match (a comparison, a lookup or a flags match): `==` becomes `!=`, `<` becomes
 * `>=`… A flags match (`ct state established,related`, "any of") becomes the exact comparison
 * `!=` (`ct state != established,related`), as nft has no "none of" operator.
 */
export function not(s: JMatchStmt): JMatchStmt {
  const m = typeof s === 'object' && s !== null ? (s as { match?: JMatchStmt['match'] }).match : undefined;
  const op = m !== undefined ? NEGATE[m.op] : undefined;
  if (m === undefined || op === undefined) throw typeError('a match statement { match: { op, left, right } } with a comparison operator', 'not()', s);
  return { match: { ...m, op } };
}
