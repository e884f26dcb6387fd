// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The typed model of a ruleset: plain, readonly data. Builders and presets return these; the
 * transaction compiles them to native descriptors; dumps decode back into them.
 */
import type { Family, Hook } from '../kernel';
import type { JRule } from '../nft/schema';

export type { Family, Hook };

/** A table is named by family and name; every other object lives in one. */
export interface TableRef {
  readonly family: Family;
  readonly name: string;
}

export interface Table extends TableRef {
  /** Dormant: kept, but its base chains are unhooked. */
  readonly dormant?: boolean;
  /** Owned by the connection's socket: deleted when it closes, unmodifiable by others (Linux 5.12+). */
  readonly owner?: boolean;
  /** With owner: survive the owner's exit, then adoptable (Linux 6.9+). */
  readonly persist?: boolean;
  readonly comment?: string;
}

export type ChainType = 'filter' | 'nat' | 'route';
export type ChainPolicy = 'accept' | 'drop';

export interface BaseChainSpec {
  readonly type: ChainType;
  readonly hook: Hook;
  /** Signed priority; see PRIORITY for the standard names (filter 0, raw -300, mangle -150...). */
  readonly priority: number;
  readonly policy?: ChainPolicy;
  /** netdev ingress/egress (and inet ingress) chains: the devices they attach to. */
  readonly devices?: readonly string[];
}

export interface Chain {
  readonly table: TableRef;
  readonly name: string;
  /** Present for base chains (attached to a hook); absent for regular chains (jump/goto targets). */
  readonly base?: BaseChainSpec;
  readonly comment?: string;
}

/** Key types a set or map may use; an array means a concatenation (`ipv4_addr . inet_service`). */
export type KeyType = 'ipv4_addr' | 'ipv6_addr' | 'inet_service' | 'inet_proto' | 'ifname' | 'mark' | 'ether_addr';

export type SetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic';

export interface SetSpec {
  readonly table: TableRef;
  readonly name: string;
  readonly key: KeyType | readonly KeyType[];
  /** Makes it a map: the data type of the values (`verdict` for verdict maps). */
  readonly map?: KeyType | 'verdict';
  readonly flags?: readonly SetFlag[];
  /** Default element timeout (ms); implies the timeout flag. */
  readonly timeoutMs?: number;
  /** Maximum number of elements (also selects a faster fixed-size hash). */
  readonly size?: number;
  readonly gcIntervalMs?: number;
  readonly policy?: 'performance' | 'memory';
  /** One counter per element. */
  readonly counter?: boolean;
  /** nft's auto-merge (interval sets): recorded for nft; the package merges itself. */
  readonly autoMerge?: boolean;
  readonly comment?: string;
}

export type ObjectSpec =
  | { readonly table: TableRef; readonly name: string; readonly type: 'counter'; readonly packets?: bigint; readonly bytes?: bigint; readonly comment?: string }
  | {
      readonly table: TableRef;
      readonly name: string;
      readonly type: 'quota';
      readonly bytes: bigint;
      readonly over?: boolean;
      readonly used?: bigint;
      readonly comment?: string;
    }
  | {
      readonly table: TableRef;
      readonly name: string;
      readonly type: 'limit';
      readonly rate: number;
      readonly per: 'second' | 'minute' | 'hour' | 'day' | 'week';
      readonly burst?: number;
      readonly unit?: 'packets' | 'bytes';
      readonly over?: boolean;
      readonly comment?: string;
    };

/**
 * A rule: nft's JSON rule `{ family, table, chain, expr: [statements], comment? }` (the object
 * `nft -j` prints in `{ "rule": … }`; the helpers of lib/match build its statements). `handle`
 * (a listing's, or the rule to replace) may be a bigint or a number.
 */
export type Rule = Omit<JRule, 'handle'> & { readonly handle?: number | bigint };

/** Standard priorities by name (nft's `priority filter` etc.), for ip/ip6/inet. */
export const PRIORITY = {
  raw: -300,
  mangle: -150,
  dstnat: -100,
  filter: 0,
  security: 50,
  srcnat: 100,
} as const;
