// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The vocabulary of the rule helpers (lib/match): the fields they name in nft's words, values,
 * operators, and the options of their statements. The helpers return nft's JSON statements
 * (lib/nft/schema.ts), the one model of a rule.
 */

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

export type TcpOptionName = 'eol' | 'nop' | 'maxseg' | 'window' | 'sack-perm' | 'sack' | 'timestamp';

export type RateUnit = 'second' | 'minute' | 'hour' | 'day' | 'week';

export type LogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit';
export type LogFlag = 'tcp sequence' | 'tcp options' | 'ip options' | 'skuid' | 'ether' | 'all';
/** The options of `log(…)`: `log [prefix "…"] [level …] [flags …]` or `log group N [snaplen N] [queue-threshold N]`. */
export interface LogOptions {
  readonly prefix?: string;
  readonly level?: LogLevel;
  readonly flags?: readonly LogFlag[];
  readonly group?: number;
  readonly snaplen?: number;
  readonly queueThreshold?: number;
}

export type NatFlag = 'random' | 'fully-random' | 'persistent';
export type PortSpec = number | { readonly range: readonly [number, number] };
