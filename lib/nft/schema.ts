// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft's JSON schema (libnftables-json(5)) as TypeScript types: exactly what nft 1.0.6 prints
 * with `nft -j list ruleset` and accepts with `nft -j -f`. Sources: doc/libnftables-json.adoc at
 * v1.0.6 and, where the page is silent or wrong, src/json.c (output) and src/parser_json.c
 * (input) of the same tag; nft's real output wins where they differ.
 *
 * In-memory values are the parsed JSON, except 64-bit counters (counter packets/bytes, quota
 * bytes/used, named counter objects): listings give them as `bigint`, inputs take number or bigint.
 *
 * The model is lossless. Where nft 1.0.6's JSON loses information, it uses the form newer nft
 * (1.1.x) prints and accepts: `{ typeof: expr }` as a set/map `type`/`map`, the set flag
 * `dynamic`, `auto-merge`, chain/table comments, every netdev device in a chain's `dev`, the map
 * statement `{ map: { op, elem, data, map } }`, `{ last }`, and all of an element's statements
 * merged into its `{ elem: {...} }` object (nft ≥1.1.7 prints them all, earlier only the first).
 * `toJsonText(doc, { nft106: true })` projects these forms back to what nft 1.0.6 prints.
 *
 * Two additions to nft's schema (no nft version has JSON for them):
 * - the statement `{ raw: { exprs } }`: kernel expressions this package could not decode. It
 *   never appears in documents nft produced, it re-commits through this package
 *   byte-identically, and exporting it for `nft -j -f` is an error naming the rule;
 * - chain bindings `{ jump: { target, rules } }` / `{ goto: { target, rules } }` (`jump { … }`):
 *   `target` is the bound chain's kernel name (`__chain0`…), `rules` its rules' statements.
 */
import type { DecodedExpr } from '../expr/registry';

/** A 64-bit counter value: bigint in listings, number or bigint accepted on input. */
export type Counter64 = number | bigint;

export type NftFamily = 'ip' | 'ip6' | 'inet' | 'arp' | 'bridge' | 'netdev';

/** A set/map key or data declared with `typeof` (nft 1.1.x's JSON form; 1.0.6 prints datatype names). */
export interface JTypeof {
  readonly typeof: JExpr;
}

/** A set/map key or data type: a datatype name, names of a concatenation, or `{ typeof: expr }`. */
export type JSetType = string | readonly string[] | JTypeof;

/** Whether a set/map type is the `{ typeof: expr }` form. */
export function isTypeof(t: JSetType | undefined): t is JTypeof {
  return typeof t === 'object' && t !== null && !Array.isArray(t) && 'typeof' in t;
}

// ───────────────────────────── document and commands ─────────────────────────────

export interface JMetainfo {
  readonly version?: string;
  readonly release_name?: string;
  readonly json_schema_version?: number;
}

/** One entry of a document: metainfo, a bare ruleset object (listing form = add), or a command. */
export type NftItem = { readonly metainfo: JMetainfo } | NftObject | NftCommand;

/** `{ "nftables": [...] }`: what `nft -j list ruleset` prints and `nft -j -f` loads. */
export interface NftDocument {
  readonly nftables: readonly NftItem[];
}

/** Command verbs of a document entry (`destroy` is newer than nft 1.0.6; the kernel knows it). */
export type NftVerb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush' | 'reset';

/** `{ flush: { ruleset: null } }` and friends: objects that only some verbs take. */
export type NftRulesetRef = { readonly ruleset: null | { readonly family?: NftFamily } };

/** `{ reset: { counters: {...} } }` / `{ reset: { quotas: ... } }`: reset every object of a kind. */
export type NftResetMany =
  | { readonly counters: null | { readonly family?: NftFamily; readonly table?: string } }
  | { readonly quotas: null | { readonly family?: NftFamily; readonly table?: string } };

export type NftCommand =
  | { readonly add: NftObject }
  | { readonly create: NftObject }
  | { readonly insert: { readonly rule: JRule } }
  | { readonly replace: { readonly rule: JRule } }
  | { readonly delete: NftObject }
  | { readonly destroy: NftObject }
  | { readonly flush: NftObject | NftRulesetRef }
  | { readonly reset: NftObject | NftResetMany };

/** One-key wrapper of a ruleset object, as in listings and as the argument of a command. */
export type NftObject =
  | { readonly table: JTable }
  | { readonly chain: JChain }
  | { readonly rule: JRule }
  | { readonly set: JSet }
  | { readonly map: JSet }
  | { readonly element: JElement }
  | { readonly flowtable: JFlowtable }
  | { readonly counter: JCounterObj }
  | { readonly quota: JQuotaObj }
  | { readonly limit: JLimitObj }
  | { readonly 'ct helper': JCtHelper }
  | { readonly 'ct timeout': JCtTimeout }
  | { readonly 'ct expectation': JCtExpectation }
  | { readonly synproxy: JSynproxyObj }
  | { readonly secmark: JSecmark };

/** The key of each NftObject wrapper. */
export type NftObjectKind =
  | 'table' | 'chain' | 'rule' | 'set' | 'map' | 'element' | 'flowtable'
  | 'counter' | 'quota' | 'limit' | 'ct helper' | 'ct timeout' | 'ct expectation' | 'synproxy' | 'secmark';

/** Every NftObject kind, in no particular order (for validators and exhaustive loops). */
export const NFT_OBJECT_KINDS: readonly NftObjectKind[] = [
  'table', 'chain', 'rule', 'set', 'map', 'element', 'flowtable',
  'counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark',
];

// ───────────────────────────── ruleset objects ─────────────────────────────

/** Fields every object inside a table has (family + table; handle when listed). */
interface InTable {
  readonly family: NftFamily;
  readonly table: string;
  /** Kernel handle; in input only `delete` uses it (instead of the name). */
  readonly handle?: number;
}

export type JTableFlag = 'dormant' | 'owner' | 'persist';

export interface JTable {
  readonly family: NftFamily;
  readonly name: string;
  readonly handle?: number;
  /** One flag as a string, several as an array (nft prints it so). */
  readonly flags?: JTableFlag | readonly JTableFlag[];
  readonly comment?: string;
}

export type JChainType = 'filter' | 'nat' | 'route';
export type JHook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';
export type JPolicy = 'accept' | 'drop';

export interface JChain extends InTable {
  readonly name: string;
  /** Only in `rename`. */
  readonly newname?: string;
  /** Base chains: type, hook, prio, policy (and dev for netdev / inet ingress). */
  readonly type?: JChainType;
  readonly hook?: JHook;
  readonly prio?: number;
  /**
   * Netdev/inet ingress devices: one as a string, several as an array (nft 1.1.x; nft 1.0.6
   * prints `dev` only when the chain has exactly one device).
   */
  readonly dev?: string | readonly string[];
  readonly policy?: JPolicy;
  readonly comment?: string;
}

export interface JRule extends InTable {
  readonly chain: string;
  /** The statements (absent only in delete commands). */
  readonly expr?: readonly JStatement[];
  /** add/insert: position by index instead of handle. */
  readonly index?: number;
  readonly comment?: string;
}

export type JSetFlag = 'constant' | 'interval' | 'timeout' | 'dynamic';
export type JSetPolicy = 'performance' | 'memory';

/**
 * A named set (`{ set: JSet }`) or map (`{ map: JSet }` with `map` = the data type). `type` is a
 * datatype name, an array of names for a concatenation, or `{ typeof: expr }` for a set declared
 * with typeof (nft 1.1.x's form; nft 1.0.6 prints the datatype names instead, and for raw or
 * integer keys loses their size).
 */
export interface JSet extends InTable {
  readonly name: string;
  readonly type: JSetType;
  /** Maps: the data type (a datatype name, `verdict`, an object kind such as `counter`, or `{ typeof }`). */
  readonly map?: JSetType;
  readonly policy?: JSetPolicy;
  readonly flags?: readonly JSetFlag[];
  readonly elem?: readonly JSetElem[];
  /** Seconds. */
  readonly timeout?: number;
  /** Seconds. */
  readonly 'gc-interval'?: number;
  readonly size?: number;
  readonly comment?: string;
  /** Per-element statement templates (counter, quota, limit, last). */
  readonly stmt?: readonly JStatement[];
  /** `auto-merge` (nft 1.1.x prints it; nft 1.0.6 drops it). */
  readonly 'auto-merge'?: boolean;
}

export interface JElement {
  readonly family: NftFamily;
  readonly table: string;
  /** The set's name. */
  readonly name: string;
  readonly elem: JSetElem | readonly JSetElem[];
}

/** A map element is `[key, value]`. */
export type JMapping = readonly [JExpr, JExpr];

/**
 * One entry of a set's `elem`: a plain expression (value, prefix, range, concat, `"*"` for the
 * catch-all), a mapping `[key, data]`, or the formal `{ elem: {...} }` when the element has a
 * timeout, expiry, comment or a statement (counter, quota, limit… merged into the object).
 */
export type JSetElem = JExpr | JMapping | { readonly elem: JElemObj };

export interface JElemObj {
  readonly val: JExpr;
  /** Seconds. */
  readonly timeout?: number;
  /** Seconds. */
  readonly expires?: number;
  readonly comment?: string;
  /**
   * The element's statements, merged in as keys in their order (`limit` then `counter` for
   * `limit rate 1/second counter`): all of them, as nft ≥1.1.7 prints; nft 1.0.6 prints only
   * the first.
   */
  readonly counter?: JCounterStmt['counter'];
  readonly quota?: JQuotaStmt['quota'];
  readonly limit?: JLimitStmt['limit'];
  readonly last?: JLastStmt['last'];
  readonly 'ct count'?: JCtCountStmt['ct count'];
}

export interface JFlowtable extends InTable {
  readonly name: string;
  readonly hook?: 'ingress';
  readonly prio?: number;
  /** One device as a string, several as an array. */
  readonly dev?: string | readonly string[];
  readonly flags?: readonly ('offload' | 'counter')[];
}

interface NamedObj extends InTable {
  readonly name: string;
  readonly comment?: string;
}

export interface JCounterObj extends NamedObj {
  readonly packets?: Counter64;
  readonly bytes?: Counter64;
}

export interface JQuotaObj extends NamedObj {
  readonly bytes?: Counter64;
  readonly used?: Counter64;
  readonly inv?: boolean;
}

export type JRateUnit = 'packets' | 'bytes' | 'kbytes' | 'mbytes';
export type JTimeUnit = 'second' | 'minute' | 'hour' | 'day' | 'week';

export interface JLimitObj extends NamedObj {
  readonly rate?: number;
  readonly per?: JTimeUnit;
  readonly burst?: number;
  /** Input: `packets` or `bytes`; listings print rate_unit/burst_unit for byte limits. */
  readonly unit?: 'packets' | 'bytes';
  readonly rate_unit?: JRateUnit;
  readonly burst_unit?: JRateUnit;
  readonly inv?: boolean;
}

export interface JCtHelper extends NamedObj {
  /** Helper name, e.g. "ftp". */
  readonly type: string;
  readonly protocol: 'tcp' | 'udp' | number;
  readonly l3proto?: string;
}

export type JL4Proto = 'tcp' | 'udp' | 'dccp' | 'sctp' | 'gre' | 'icmpv6' | 'icmp' | 'generic' | string | number;

export interface JCtTimeout extends NamedObj {
  readonly protocol: JL4Proto;
  readonly l3proto?: string;
  /** state name → seconds; only states that differ from the default (null when none). */
  readonly policy?: Readonly<Record<string, number>> | null;
}

export interface JCtExpectation extends NamedObj {
  readonly protocol: JL4Proto;
  readonly l3proto?: string;
  readonly dport: number;
  /** Milliseconds. */
  readonly timeout: number;
  readonly size: number;
}

export type JSynproxyFlag = 'timestamp' | 'sack-perm';

export interface JSynproxyObj extends NamedObj {
  readonly mss: number;
  readonly wscale: number;
  readonly flags?: JSynproxyFlag | readonly JSynproxyFlag[];
}

export interface JSecmark extends NamedObj {
  readonly context: string;
}

// ───────────────────────────── expressions ─────────────────────────────

/** Verdict expressions (also statements). `break`/`queue` only appear inside kernel data. */
export type JVerdict =
  | { readonly accept: null }
  | { readonly drop: null }
  | { readonly continue: null }
  | { readonly return: null }
  | { readonly jump: { readonly target: string } }
  | { readonly goto: { readonly target: string } };

/**
 * A rule of a bound chain: its statements, or (a rule with a comment, as listings give it)
 * `{ expr: [statements], comment }`.
 */
export type JBoundRule = readonly JStatement[] | { readonly expr: readonly JStatement[]; readonly comment?: string };

/**
 * A chain binding, `jump { … }` / `goto { … }` (package extension: no nft version has JSON for
 * it; nft 1.0.6 prints the nft text as a string). `target` is the bound chain's kernel name
 * (`__chain0`…), `rules` its rules in order (each its statements, or `{ expr, comment }` for a
 * rule with a comment). Committing it creates the bound chain in the same batch (binding flag,
 * chain id), as nft does.
 */
export type JChainBinding =
  | { readonly jump: { readonly target: string; readonly rules: readonly JBoundRule[] } }
  | { readonly goto: { readonly target: string; readonly rules: readonly JBoundRule[] } };

export type JBinaryOp = '&' | '|' | '^' | '<<' | '>>';

export type JPayloadExpr = {
  readonly payload:
    | { readonly protocol: string; readonly field: string }
    | { readonly base: 'll' | 'nh' | 'th' | 'ih'; readonly offset: number; readonly len: number };
};
export type JExthdrExpr = { readonly exthdr: { readonly name: string; readonly field?: string; readonly offset?: number } };
export type JTcpOptionExpr = {
  readonly 'tcp option':
    | { readonly name: string; readonly field?: string }
    | { readonly base: number; readonly offset: number; readonly len: number };
};
export type JIpOptionExpr = { readonly 'ip option': { readonly name: string; readonly field?: string } };
export type JSctpChunkExpr = { readonly 'sctp chunk': { readonly name: string; readonly field?: string } };
export type JMetaExpr = { readonly meta: { readonly key: string } };
export type JRtExpr = { readonly rt: { readonly key: string; readonly family?: 'ip' | 'ip6' } };
export type JCtExpr = { readonly ct: { readonly key: string; readonly family?: 'ip' | 'ip6'; readonly dir?: 'original' | 'reply' } };
export type JIpsecExpr = {
  readonly ipsec: { readonly key: string; readonly family?: 'ip' | 'ip6'; readonly dir: 'in' | 'out'; readonly spnum: number };
};
export type JNumgenExpr = { readonly numgen: { readonly mode: 'inc' | 'random'; readonly mod: number; readonly offset?: number } };
export type JHashExpr =
  | { readonly jhash: { readonly mod: number; readonly offset?: number; readonly expr: JExpr; readonly seed?: number } }
  | { readonly symhash: { readonly mod: number; readonly offset?: number } };
export type JFibFlag = 'saddr' | 'daddr' | 'mark' | 'iif' | 'oif';
export type JFibExpr = {
  readonly fib: { readonly result: 'oif' | 'oifname' | 'type'; readonly flags?: JFibFlag | readonly (JFibFlag | number)[] };
};
export type JSocketExpr = { readonly socket: { readonly key: string; readonly level?: number } };
export type JOsfExpr = { readonly osf: { readonly key: 'name' | 'version'; readonly ttl?: 'loose' | 'skip' } };

/**
 * An expression. Immediates are JSON strings, numbers and booleans (`"@name"` is a set
 * reference, `"*"` the wildcard/catch-all); a plain array is a list (anonymous set on a match's
 * right side, flags list).
 */
export type JExpr =
  | string
  | number
  | boolean
  | readonly JSetElem[]
  | { readonly set: JSetElem | readonly JSetElem[] }
  | { readonly map: { readonly key: JExpr; readonly data: JExpr } }
  | { readonly concat: readonly JExpr[] }
  | { readonly prefix: { readonly addr: JExpr; readonly len: number } }
  | { readonly range: readonly [JExpr, JExpr] }
  | { readonly '&': readonly [JExpr, JExpr] }
  | { readonly '|': readonly [JExpr, JExpr] }
  | { readonly '^': readonly [JExpr, JExpr] }
  | { readonly '<<': readonly [JExpr, JExpr] }
  | { readonly '>>': readonly [JExpr, JExpr] }
  | { readonly elem: JElemObj }
  | JPayloadExpr
  | JExthdrExpr
  | JTcpOptionExpr
  | JIpOptionExpr
  | JSctpChunkExpr
  | JMetaExpr
  | JRtExpr
  | JCtExpr
  | JIpsecExpr
  | JNumgenExpr
  | JHashExpr
  | JFibExpr
  | JSocketExpr
  | JOsfExpr
  | JVerdict;

// ───────────────────────────── statements ─────────────────────────────

export type JRelOp = '==' | '!=' | '<' | '>' | '<=' | '>=' | 'in' | '&' | '|' | '^' | '<<' | '>>';

export type JMatchStmt = { readonly match: { readonly op: JRelOp; readonly left: JExpr; readonly right: JExpr } };
/** Anonymous counter (`null` = stateless input), or a named counter reference (a string/expression). */
export type JCounterStmt = { readonly counter: null | { readonly packets?: Counter64; readonly bytes?: Counter64 } | JExpr };
export type JMangleStmt = { readonly mangle: { readonly key: JExpr; readonly value: JExpr } };
export type JQuotaStmt = {
  readonly quota:
    | { readonly val: Counter64; readonly val_unit?: string; readonly used?: Counter64; readonly used_unit?: string; readonly inv?: boolean }
    | JExpr;
};
export type JLimitStmt = {
  readonly limit:
    | {
        readonly rate: number;
        readonly rate_unit?: string;
        readonly per?: string;
        readonly burst?: number;
        readonly burst_unit?: string;
        readonly inv?: boolean;
      }
    | JExpr;
};
export type JLastStmt = { readonly last: null | { readonly used?: number } };
export type JFwdStmt = { readonly fwd: { readonly dev: JExpr; readonly family?: 'ip' | 'ip6'; readonly addr?: JExpr } };
export type JNotrackStmt = { readonly notrack: null };
export type JDupStmt = { readonly dup: null | { readonly addr?: JExpr; readonly dev?: JExpr } };
export type JNatFlag = 'random' | 'fully-random' | 'persistent' | 'netmap';
export type JNatTypeFlag = 'interval' | 'prefix' | 'concat';
export interface JNatArgs {
  readonly addr?: JExpr;
  readonly family?: 'ip' | 'ip6';
  readonly port?: JExpr;
  readonly flags?: JNatFlag | readonly JNatFlag[];
  readonly type_flags?: JNatTypeFlag | readonly JNatTypeFlag[];
}
export type JNatStmt =
  | { readonly snat: JNatArgs | null }
  | { readonly dnat: JNatArgs | null }
  | { readonly masquerade: Omit<JNatArgs, 'addr' | 'family' | 'type_flags'> | null }
  | { readonly redirect: Omit<JNatArgs, 'addr' | 'family' | 'type_flags'> | null };
export type JRejectStmt = { readonly reject: null | { readonly type?: 'tcp reset' | 'icmpx' | 'icmp' | 'icmpv6'; readonly expr?: JExpr } };
/** `add @s { key }` / `update @s { key timeout 10s }` (`set` is `"@name"`), with per-element statements. */
export type JSetStmt = {
  readonly set: { readonly op: 'add' | 'update' | 'delete'; readonly elem: JExpr; readonly set: string; readonly stmt?: readonly JStatement[] };
};
/**
 * Map statement (`update @m { k : v }`, `add @m { k timeout 10s : v }`): nft 1.1.x's JSON form,
 * `map` is `"@name"`; nft 1.0.6 prints it as a text string.
 */
export type JMapStmt = {
  readonly map: { readonly op: 'add' | 'update' | 'delete'; readonly elem: JExpr; readonly data: JExpr; readonly map: string; readonly stmt?: readonly JStatement[] };
};
export type JLogLevel = 'emerg' | 'alert' | 'crit' | 'err' | 'warn' | 'notice' | 'info' | 'debug' | 'audit';
export type JLogFlag = 'tcp sequence' | 'tcp options' | 'ip options' | 'skuid' | 'ether' | 'all';
export type JLogStmt = {
  readonly log: null | {
    readonly prefix?: string;
    readonly group?: number;
    readonly snaplen?: number;
    readonly 'queue-threshold'?: number;
    readonly level?: JLogLevel;
    readonly flags?: JLogFlag | readonly JLogFlag[];
  };
};
export type JCtHelperStmt = { readonly 'ct helper': JExpr };
export type JCtTimeoutStmt = { readonly 'ct timeout': JExpr };
export type JCtExpectationStmt = { readonly 'ct expectation': JExpr };
export type JSecmarkStmt = { readonly secmark: JExpr };
export type JMeterStmt = { readonly meter: { readonly name?: string; readonly key: JExpr; readonly stmt: JStatement; readonly size?: number } };
export type JQueueFlag = 'bypass' | 'fanout';
export type JQueueStmt = { readonly queue: null | { readonly num?: JExpr; readonly flags?: JQueueFlag | readonly JQueueFlag[] } };
export type JVmapStmt = { readonly vmap: { readonly key: JExpr; readonly data: JExpr } };
export type JCtCountStmt = { readonly 'ct count': { readonly val: number; readonly inv?: boolean } };
export type JTproxyStmt = { readonly tproxy: { readonly family?: 'ip' | 'ip6'; readonly addr?: JExpr; readonly port?: JExpr } };
/** Inline synproxy (object form) or a named synproxy reference (a string/expression). */
export type JSynproxyStmt = {
  readonly synproxy: null | { readonly mss?: number; readonly wscale?: number; readonly flags?: JSynproxyFlag | readonly JSynproxyFlag[] } | JExpr;
};
/** `reset tcp option …` (optstrip). */
export type JResetStmt = { readonly reset: JExpr };
export type JFlowStmt = { readonly flow: { readonly op: 'add'; readonly flowtable: string } };
export type JXtStmt = { readonly xt: { readonly type: 'match' | 'target' | 'watcher'; readonly name: string } };

/** Kernel expressions this package could not decode (package extension; never in nft's output). */
export type RawExpr = DecodedExpr;
export type JRawStmt = { readonly raw: { readonly exprs: readonly RawExpr[] } };

/**
 * A statement. nft 1.0.6 has no JSON form for a few statements (chain bindings `jump { … }`,
 * map statements `update @m { k : v }`, `last`): it prints their nft text as a JSON string, which
 * `nft -j -f` cannot load back. This package's listings use the lossless forms (JChainBinding,
 * JMapStmt, JLastStmt); the `nft106` projection turns them into nft 1.0.6's strings. Committing
 * such a string is an error naming the rule.
 */
export type JStatement =
  | string
  | JVerdict
  | JChainBinding
  | JMatchStmt
  | JCounterStmt
  | JMangleStmt
  | JQuotaStmt
  | JLimitStmt
  | JLastStmt
  | JFwdStmt
  | JNotrackStmt
  | JDupStmt
  | JNatStmt
  | JRejectStmt
  | JSetStmt
  | JMapStmt
  | JLogStmt
  | JCtHelperStmt
  | JCtTimeoutStmt
  | JCtExpectationStmt
  | JSecmarkStmt
  | JMeterStmt
  | JQueueStmt
  | JVmapStmt
  | JCtCountStmt
  | JTproxyStmt
  | JSynproxyStmt
  | JResetStmt
  | JFlowStmt
  | JXtStmt
  | JRawStmt;

/** The key of each statement object. */
export type JStatementKind = JStatement extends infer S ? (S extends unknown ? keyof S : never) : never;
