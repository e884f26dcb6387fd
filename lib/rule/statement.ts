// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Typed rule statements: plain data, one discriminated union keyed by `kind`. A rule is a list of
 * statements; compileRule() lowers them to the generic expression list nft 1.0.6 would emit,
 * renderRule() prints them as `nft list ruleset` does, decodeRule() recovers them from a dump.
 */
import type { DecodedExpr } from '../expr/registry';

/** A field a match can load: the nft words that name it (`ip saddr`, `tcp dport`, `meta mark`…). */
export type Field =
  | 'ip saddr'
  | 'ip daddr'
  | 'ip protocol'
  | 'ip ttl'
  | 'ip6 saddr'
  | 'ip6 daddr'
  | 'ip6 nexthdr'
  | 'ip6 hoplimit'
  | 'tcp sport'
  | 'tcp dport'
  | 'udp sport'
  | 'udp dport'
  | 'th sport'
  | 'th dport'
  | 'icmp type'
  | 'icmpv6 type'
  | 'tcp option maxseg size'
  | 'meta l4proto'
  | 'meta nfproto'
  | 'meta protocol'
  | 'meta pkttype'
  | 'meta mark'
  | 'iif'
  | 'oif'
  | 'iifname'
  | 'oifname'
  | 'ct direction'
  | 'ct mark';

/** Bitmask fields, matched with the `flags` statement. */
export type FlagField = 'ct state' | 'ct status' | 'tcp flags';

/** One value as nft writes it: a number (ports, TTL, marks) or a word/address (`tcp`, `10.0.0.0/8`, `"eth*"`). */
export type Scalar = string | number;
/** An inclusive range `lo-hi` (ports, addresses, TTL). */
export interface Range {
  readonly range: readonly [Scalar, Scalar];
}
/** An anonymous set `{ a, b, c }`; items may be ranges or CIDRs (then the set is an interval set). */
export interface AnonSet {
  readonly set: readonly (Scalar | Range)[];
}
export type MatchValue = Scalar | Range | AnonSet;
export type MatchOp = '==' | '!=' | '<' | '>' | '<=' | '>=';

/** `<field> [op] <value>`: e.g. `ip saddr != 10.0.0.0/8`, `tcp dport { 22, 80 }`, `ip ttl < 5`. */
export interface MatchStatement {
  readonly kind: 'match';
  readonly field: Field;
  /** Omitted means `==` (nft prints no operator). */
  readonly op?: MatchOp;
  readonly value: MatchValue;
}

/**
 * Bitmask match. Without op and mask: "any of" (`ct state established,related`). With op and no
 * mask: exact comparison (`tcp flags == syn`, `ct state != established`). With a mask:
 * `tcp flags & (fin|syn|rst|ack) == syn`, printed by nft as `tcp flags syn / fin,syn,rst,ack`.
 */
export interface FlagsStatement {
  readonly kind: 'flags';
  readonly field: FlagField;
  readonly op?: '==' | '!=';
  readonly values: readonly string[];
  readonly mask?: readonly string[];
}

/** `ip saddr @blocklist`, `ip saddr . tcp dport != @pairs`: lookup in a named set. */
export interface LookupStatement {
  readonly kind: 'lookup';
  readonly fields: readonly Field[];
  readonly set: string;
  readonly negate?: boolean;
}

export type FibLookup = 'saddr' | 'daddr' | 'mark' | 'iif' | 'oif';
/** `fib saddr . iif oif missing` (reverse path filter) and `fib daddr type local`. */
export type FibStatement =
  | {
      readonly kind: 'fib';
      readonly lookup: readonly FibLookup[];
      readonly result: 'oif' | 'oifname';
      readonly value: 'missing' | 'exists';
    }
  | {
      readonly kind: 'fib';
      readonly lookup: readonly FibLookup[];
      readonly result: 'type';
      readonly op?: '==' | '!=';
      /** An address type (`local`, `broadcast`…) or a set of them. */
      readonly value: string | readonly string[];
    };

/** TCP options nft names (`tcp option <name> missing|exists`), by option kind number. */
export type TcpOptionName = 'eol' | 'nop' | 'maxseg' | 'window' | 'sack-perm' | 'sack' | 'timestamp';
/** `tcp option maxseg missing`, `tcp option timestamp exists`: is the option in the TCP header? */
export interface TcpOptionStatement {
  readonly kind: 'tcpOption';
  readonly option: TcpOptionName;
  readonly value: 'missing' | 'exists';
}

export type RateUnit = 'second' | 'minute' | 'hour' | 'day' | 'week';
/** `limit rate [over] 4/second [burst 5 packets]`; for bytes, rate and burst are in bytes. */
export interface LimitStatement {
  readonly kind: 'limit';
  readonly rate: number;
  readonly per: RateUnit;
  /** @default 'packets' */
  readonly unit?: 'packets' | 'bytes';
  /** @default 5 for packets, 0 for bytes */
  readonly burst?: number;
  readonly over?: boolean;
}

/** `ct count [over] 20` (connlimit). */
export interface CtCountStatement {
  readonly kind: 'ctCount';
  readonly count: number;
  readonly over?: boolean;
}

/** `counter`; packets/bytes are initial values (listing reads them back when non-zero). */
export interface CounterStatement {
  readonly kind: 'counter';
  readonly packets?: bigint;
  readonly bytes?: bigint;
}

/** `counter name "x"`, `quota name "q"`, `limit name "l"`: reference to a named stateful object. */
export interface ObjrefStatement {
  readonly kind: 'objref';
  readonly type: 'counter' | 'quota' | 'limit';
  readonly name: string;
}

/** `quota [over] 10 mbytes [used 1 mbytes]`. */
export interface QuotaStatement {
  readonly kind: 'quota';
  readonly bytes: bigint;
  readonly over?: boolean;
  readonly used?: bigint;
}

export type LogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit';
export type LogFlag = 'tcp sequence' | 'tcp options' | 'ip options' | 'skuid' | 'ether' | 'all';
/** `log [prefix "…"] [level …] [flags …]` or `log group N [snaplen N] [queue-threshold N]`. */
export interface LogStatement {
  readonly kind: 'log';
  readonly prefix?: string;
  readonly level?: LogLevel;
  readonly flags?: readonly LogFlag[];
  readonly group?: number;
  readonly snaplen?: number;
  readonly queueThreshold?: number;
}

/** `reject`, `reject with tcp reset`, `reject with icmp|icmpv6|icmpx <code>`. */
export interface RejectStatement {
  readonly kind: 'reject';
  readonly with?: { readonly type: 'tcp reset' } | { readonly type: 'icmp' | 'icmpv6' | 'icmpx'; readonly code: string };
}

/** Verdicts: `accept`, `drop`, `return`, `continue`, `jump <chain>`, `goto <chain>`. */
export type VerdictStatement =
  | { readonly kind: 'verdict'; readonly verdict: 'accept' | 'drop' | 'return' | 'continue' }
  | { readonly kind: 'verdict'; readonly verdict: 'jump' | 'goto'; readonly chain: string };

/** `queue [num N|N-M] [bypass,fanout]`. */
export interface QueueStatement {
  readonly kind: 'queue';
  readonly num?: number | { readonly range: readonly [number, number] };
  readonly flags?: readonly ('bypass' | 'fanout')[];
}

/** Statements allowed inside a dynamic set update (`add @m { ip saddr limit rate over 3/minute }`). */
export type SetElementStatement = LimitStatement | CounterStatement | CtCountStatement;

/** `add|update|delete @set { <key> [timeout 60s] [stmt] }`: dynamic set update from the packet path. */
export interface SetUpdateStatement {
  readonly kind: 'setUpdate';
  readonly op: 'add' | 'update' | 'delete';
  readonly set: string;
  readonly key: readonly Field[];
  readonly timeoutMs?: number;
  readonly stmts?: readonly SetElementStatement[];
}

export type NatFlag = 'random' | 'fully-random' | 'persistent';
export type PortSpec = number | { readonly range: readonly [number, number] };

/** `snat|dnat [ip|ip6] to <addr>[:<port>] [flags]`. In inet tables the family follows the address. */
export interface NatStatement {
  readonly kind: 'nat';
  readonly type: 'snat' | 'dnat';
  /** Required in inet tables when no address is given; otherwise derived. */
  readonly family?: 'ip' | 'ip6';
  readonly addr?: string | { readonly range: readonly [string, string] };
  readonly port?: PortSpec;
  readonly flags?: readonly NatFlag[];
}

/** `masquerade [to :port[-port]] [flags]`. */
export interface MasqueradeStatement {
  readonly kind: 'masquerade';
  readonly port?: PortSpec;
  readonly flags?: readonly NatFlag[];
}

/** `redirect [to :port[-port]] [flags]`. */
export interface RedirectStatement {
  readonly kind: 'redirect';
  readonly port?: PortSpec;
  readonly flags?: readonly NatFlag[];
}

/** `notrack`: skip connection tracking (raw priority chains). */
export interface NotrackStatement {
  readonly kind: 'notrack';
}

/** Expressions decodeRule() did not recognise, kept verbatim so nothing is dropped. */
export interface RawStatement {
  readonly kind: 'raw';
  readonly exprs: readonly DecodedExpr[];
}

export type Statement =
  | MatchStatement
  | FlagsStatement
  | LookupStatement
  | FibStatement
  | TcpOptionStatement
  | LimitStatement
  | CtCountStatement
  | CounterStatement
  | ObjrefStatement
  | QuotaStatement
  | LogStatement
  | RejectStatement
  | VerdictStatement
  | QueueStatement
  | SetUpdateStatement
  | NatStatement
  | MasqueradeStatement
  | RedirectStatement
  | NotrackStatement
  | RawStatement;

export type StatementKind = Statement['kind'];
