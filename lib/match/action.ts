// SPDX-License-Identifier: GPL-2.0-or-later
/** Actions and stateful statements: verdicts, counter, limit, log, reject, quota, NAT, notrack… */
import type {
  CounterStatement,
  CtCountStatement,
  FibLookup,
  FibStatement,
  LimitStatement,
  LogStatement,
  MasqueradeStatement,
  MatchStatement,
  LookupStatement,
  FlagsStatement,
  NatFlag,
  NatStatement,
  NotrackStatement,
  ObjrefStatement,
  PortSpec,
  QueueStatement,
  QuotaStatement,
  RateUnit,
  RedirectStatement,
  RejectStatement,
  VerdictStatement,
} from '../rule/statement';

/** `accept` */
export const accept = (): VerdictStatement => ({ kind: 'verdict', verdict: 'accept' });
/** `drop` */
export const drop = (): VerdictStatement => ({ kind: 'verdict', verdict: 'drop' });
/** `return` / `continue` (reserved words in JS, hence the generic form). */
export const verdict = (v: 'accept' | 'drop' | 'return' | 'continue'): VerdictStatement => ({ kind: 'verdict', verdict: v });
/** `jump <chain>` */
export const jump = (chain: string): VerdictStatement => ({ kind: 'verdict', verdict: 'jump', chain });
/** `goto <chain>` */
export const goto = (chain: string): VerdictStatement => ({ kind: 'verdict', verdict: 'goto', chain });
/** `queue [num N|N-M] [bypass,fanout]` */
export const queue = (o: { num?: PortSpec; flags?: readonly ('bypass' | 'fanout')[] } = {}): QueueStatement => ({ kind: 'queue', ...o });

/** `counter` (optionally with initial values). */
export const counter = (o: { packets?: bigint; bytes?: bigint } = {}): CounterStatement => ({ kind: 'counter', ...o });
/** `counter name "x"` */
export const counterName = (name: string): ObjrefStatement => ({ kind: 'objref', type: 'counter', name });
/** `quota name "q"` */
export const quotaName = (name: string): ObjrefStatement => ({ kind: 'objref', type: 'quota', name });
/** `limit name "l"` */
export const limitName = (name: string): ObjrefStatement => ({ kind: 'objref', type: 'limit', name });

/** `limit rate [over] <rate>/<per> [burst N packets|bytes]`; byte rates are in bytes. */
export const limit = (o: { rate: number; per: RateUnit; unit?: 'packets' | 'bytes'; burst?: number; over?: boolean }): LimitStatement => ({
  kind: 'limit',
  rate: o.rate,
  per: o.per,
  ...(o.unit !== undefined && o.unit !== 'packets' ? { unit: o.unit } : {}),
  ...(o.burst !== undefined && o.burst !== (o.unit === 'bytes' ? 0 : 5) ? { burst: o.burst } : {}),
  ...(o.over ? { over: true } : {}),
});
/** `ct count [over] N` */
export const ctCount = (count: number, o: { over?: boolean } = {}): CtCountStatement => ({ kind: 'ctCount', count, ...(o.over ? { over: true } : {}) });
/** `quota [over] N bytes [used M bytes]` */
export const quota = (bytes: bigint, o: { over?: boolean; used?: bigint } = {}): QuotaStatement => ({
  kind: 'quota',
  bytes,
  ...(o.over ? { over: true } : {}),
  ...(o.used !== undefined && o.used !== 0n ? { used: o.used } : {}),
});
/** `log [prefix "…"] [level …] [flags …]` or `log group N …` */
export const log = (o: Omit<LogStatement, 'kind'> = {}): LogStatement => ({ kind: 'log', ...o });

/** `reject`, `reject({ tcpReset: true })`, `reject({ icmp: 'host-prohibited' })`, `reject({ icmpx: 'admin-prohibited' })`. */
export function reject(o: { tcpReset?: boolean; icmp?: string; icmpv6?: string; icmpx?: string } = {}): RejectStatement {
  if (o.tcpReset) return { kind: 'reject', with: { type: 'tcp reset' } };
  if (o.icmp !== undefined) return { kind: 'reject', with: { type: 'icmp', code: o.icmp } };
  if (o.icmpv6 !== undefined) return { kind: 'reject', with: { type: 'icmpv6', code: o.icmpv6 } };
  if (o.icmpx !== undefined) return { kind: 'reject', with: { type: 'icmpx', code: o.icmpx } };
  return { kind: 'reject' };
}

type NatTo = { addr?: string | { range: readonly [string, string] }; port?: PortSpec; family?: 'ip' | 'ip6'; flags?: readonly NatFlag[] };
const nat = (type: 'snat' | 'dnat', to: NatTo): NatStatement => ({ kind: 'nat', type, ...to });
/** `snat [ip|ip6] to <addr>[:<port>]` */
export const snat = (to: NatTo): NatStatement => nat('snat', to);
/** `dnat [ip|ip6] to <addr>[:<port>]` */
export const dnat = (to: NatTo): NatStatement => nat('dnat', to);
/** `masquerade [to :port] [random,persistent…]` */
export const masquerade = (o: { port?: PortSpec; flags?: readonly NatFlag[] } = {}): MasqueradeStatement => ({ kind: 'masquerade', ...o });
/** `redirect [to :port]` */
export const redirect = (o: { port?: PortSpec; flags?: readonly NatFlag[] } = {}): RedirectStatement => ({ kind: 'redirect', ...o });
/** `notrack` */
export const notrack = (): NotrackStatement => ({ kind: 'notrack' });

/** `fib saddr . iif oif missing`: the reverse-path filter. */
export const fibRpfMissing = (lookup: readonly FibLookup[] = ['saddr', 'iif']): FibStatement => ({ kind: 'fib', lookup: [...lookup], result: 'oif', value: 'missing' });
/** `fib daddr type local`, `fib daddr type { local, broadcast }`, `fib daddr type != local`. */
export const fibDaddrType = (value: string | readonly string[], op?: '==' | '!='): FibStatement => ({
  kind: 'fib',
  lookup: ['daddr'],
  result: 'type',
  ...(op === '!=' ? { op } : {}),
  value: typeof value === 'string' || value.length !== 1 ? value : (value[0] as string),
});

/** Negates a match, lookup or flags statement (`!=`). */
export function not<T extends MatchStatement | LookupStatement | FlagsStatement>(s: T): T {
  if (s.kind === 'lookup') return { ...s, negate: true };
  return { ...s, op: '!=' };
}
