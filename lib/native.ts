// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The whole contract with the C++ addon (native/). Everything that crosses the boundary is
 * plain data: numbers for kernel enums, bigint for 64-bit values, Uint8Array for bytes, and
 * packed columns for set elements. Policy (names, validation, messages) stays in TypeScript.
 */
import type { DecodedExpr, Expr } from './expr/registry';

/** Operation verbs, as netlink flags: add = NLM_F_CREATE, create = +NLM_F_EXCL, insert = rule without APPEND. */
export type OpVerb = 'add' | 'create' | 'insert' | 'replace' | 'delete' | 'destroy' | 'flush';

export interface TableDesc {
  readonly object: 'table';
  readonly verb: 'add' | 'create' | 'delete' | 'destroy' | 'flush';
  readonly family: number;
  readonly name: string;
  readonly flags?: number;
  readonly handle?: bigint;
  readonly userdata?: Uint8Array;
}

export interface ChainDesc {
  readonly object: 'chain';
  /** flush = delete every rule of the chain (DELRULE without handle). */
  readonly verb: 'add' | 'create' | 'delete' | 'destroy' | 'flush';
  readonly family: number;
  readonly table: string;
  /** Empty for a bound chain (flags NFT_CHAIN_BINDING with an id): the kernel names it `__chain<N>`. */
  readonly name: string;
  readonly hooknum?: number;
  readonly priority?: number;
  readonly type?: string;
  readonly policy?: number;
  readonly devices?: readonly string[];
  /** NFTA_CHAIN_FLAGS: NFT_CHAIN_BINDING (4) for the anonymous chain of `jump { ... }`. */
  readonly flags?: number;
  /** Batch-local id (NFTA_CHAIN_ID) by which rules of the same batch name a bound chain. */
  readonly id?: number;
  readonly handle?: bigint;
  readonly userdata?: Uint8Array;
}

export interface RuleDesc {
  readonly object: 'rule';
  /** add = append (after `position` if given); insert = prepend (before `position` if given). */
  readonly verb: 'add' | 'insert' | 'replace' | 'delete' | 'destroy';
  readonly family: number;
  readonly table: string;
  /** The chain's name; empty when `chainId` names a bound chain of the same batch. */
  readonly chain: string;
  /** NFTA_RULE_CHAIN_ID: the batch id of a chain added earlier in the batch without a name (a bound chain, `jump { … }`). */
  readonly chainId?: number;
  readonly exprs?: readonly Expr[];
  /** Kernel handle: the rule to replace or delete. */
  readonly handle?: bigint;
  /** Handle of the rule to insert before / append after. */
  readonly position?: bigint;
  readonly userdata?: Uint8Array;
  /** Ask the kernel to echo the rule back, to learn its handle (returned in Ack.handles). */
  readonly echo?: boolean;
}

export interface SetDesc {
  readonly object: 'set';
  readonly verb: 'add' | 'create' | 'delete' | 'destroy' | 'flush';
  readonly family: number;
  readonly table: string;
  readonly name: string;
  /** Batch-local id, used by lookups and elements of the same batch (anonymous sets). */
  readonly id?: number;
  readonly flags?: number;
  readonly keyType?: number;
  readonly keyLen?: number;
  readonly dataType?: number;
  readonly dataLen?: number;
  readonly objType?: number;
  readonly policy?: number;
  readonly size?: number;
  readonly timeoutMs?: bigint;
  readonly gcIntervalMs?: number;
  /** Field lengths in bytes of a concatenated interval key (NFTA_SET_DESC_CONCAT). */
  readonly concat?: readonly number[];
  readonly userdata?: Uint8Array;
  /** Element template expressions (e.g. one counter per element). */
  readonly exprs?: readonly Expr[];
  readonly handle?: bigint;
}

/**
 * Set elements, packed in columns: element i's key is keys[i*keyLen .. (i+1)*keyLen).
 * Every optional column has one entry per element.
 */
export interface ElementsDesc {
  readonly object: 'elements';
  /** flush = remove every element (DELSETELEM without list). */
  readonly verb: 'add' | 'create' | 'delete' | 'destroy' | 'flush';
  readonly family: number;
  readonly table: string;
  readonly set: string;
  readonly setId?: number;
  readonly count: number;
  readonly keyLen: number;
  readonly keys: Uint8Array;
  /** Inclusive end keys of concatenated interval (pipapo) sets. */
  readonly keyEnds?: Uint8Array;
  readonly flags?: Uint32Array;
  /** Per-element timeout in ms; 0 = the set's default. */
  readonly timeoutsMs?: Float64Array;
  /** Per-element remaining time in ms; 0 = not sent. */
  readonly expirationsMs?: Float64Array;
  readonly dataLen?: number;
  readonly data?: Uint8Array;
  /** Verdict maps: per-element verdict code (VERDICT) and jump/goto target (else null). */
  readonly verdicts?: Int32Array;
  readonly chains?: ReadonlyArray<string | null>;
  /** Object maps: per-element object name. */
  readonly objrefs?: ReadonlyArray<string | null>;
  /** Raw NFTA_SET_ELEM_USERDATA (comments), or null. */
  readonly userdata?: ReadonlyArray<Uint8Array | null>;
  /** Per-element expressions (e.g. a counter with initial values), same for all elements. */
  readonly exprs?: readonly Expr[];
  /** One expression list (or null: use `exprs`) per element, e.g. each element's own counter values. */
  readonly elemExprs?: ReadonlyArray<readonly Expr[] | null>;
}

/**
 * Attribute values of a named object, by object type:
 * counter (1): packets, bytes (bigint); quota (2): bytes, consumed (bigint), flags;
 * ct helper (3): name (string), l3proto, l4proto; limit (4): rate, unit (bigint), burst, type, flags;
 * ct timeout (7): l3proto, l4proto, timeouts (Uint8Array of 11 host-order u32 seconds);
 * secmark (8): context (string); ct expectation (9): l3proto, l4proto, dport, timeout (ms), size;
 * synproxy (10): mss, wscale, flags.
 */
export type ObjectAttrValue = number | bigint | string | Uint8Array;

export interface ObjectDesc {
  readonly object: 'obj';
  readonly verb: 'add' | 'create' | 'delete' | 'destroy';
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly objType: number;
  readonly handle?: bigint;
  /** See ObjectAttrValue for the attributes of each type. */
  readonly attrs?: Readonly<Record<string, ObjectAttrValue>>;
  readonly userdata?: Uint8Array;
}

export interface FlowtableDesc {
  readonly object: 'flowtable';
  readonly verb: 'add' | 'create' | 'delete' | 'destroy';
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly hooknum?: number;
  readonly priority?: number;
  readonly devices?: readonly string[];
  /** NFT_FLOWTABLE_HW_OFFLOAD (1), NFT_FLOWTABLE_COUNTER (2). */
  readonly flags?: number;
  readonly handle?: bigint;
}

export type OpDesc = TableDesc | ChainDesc | RuleDesc | SetDesc | ElementsDesc | ObjectDesc | FlowtableDesc;

export interface BatchDesc {
  /**
   * The operations; with `packed`, only the ones that are not packed (every rule is), in order:
   * the packed buffer says where each goes between the packed rules.
   */
  readonly ops: readonly OpDesc[];
  /** Rule operations and their expressions in one buffer (lib/packed.ts packBatch). */
  readonly packed?: Uint8Array;
  /** NFNL_BATCH_GENID: refuse the batch with ERESTART if the ruleset generation moved. */
  readonly genid?: number;
}

export interface OpFailureData {
  /** Index of the failing operation in BatchDesc.ops; -1 for a batch-level failure. */
  readonly index: number;
  readonly errno: number;
  /** NLMSGERR_ATTR_MSG text from the kernel, when it sent one. */
  readonly message?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute within the message. */
  readonly attrOffset?: number;
}

export interface AckData {
  readonly failures: readonly OpFailureData[];
  /** errno of a transport failure (sendmsg/recv), or 0. EMSGSIZE = batch exceeds the socket buffer. */
  readonly transportErrno: number;
  /** Largest batch the socket accepts, set when transportErrno is EMSGSIZE. */
  readonly maxBatchBytes?: number;
  readonly batchBytes: number;
  readonly messages: number;
  /** Kernel handles of echoed rules: [op index, handle]. */
  readonly handles: ReadonlyArray<readonly [number, bigint]>;
}

export type DumpRequest =
  | { readonly what: 'tables'; readonly family?: number }
  | { readonly what: 'chains'; readonly family?: number; readonly table?: string }
  | { readonly what: 'rules'; readonly family?: number; readonly table?: string; readonly chain?: string; readonly reset?: boolean }
  | { readonly what: 'sets'; readonly family?: number; readonly table?: string }
  | {
      readonly what: 'elements';
      readonly family: number;
      readonly table: string;
      readonly set: string;
      readonly reset?: boolean;
      /** Fetch only these keys (packed, keyLen each) instead of dumping the set. */
      readonly keys?: Uint8Array;
      readonly keyLen?: number;
    }
  | { readonly what: 'objects'; readonly family?: number; readonly table?: string; readonly objType?: number; readonly reset?: boolean }
  | { readonly what: 'flowtables'; readonly family?: number; readonly table?: string }
  | { readonly what: 'gen' };

export interface TableData {
  readonly family: number;
  readonly name: string;
  readonly flags: number;
  readonly handle: bigint;
  readonly use: number;
  readonly owner?: number;
  readonly userdata?: Uint8Array;
}
export interface ChainData {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly handle: bigint;
  readonly hooknum?: number;
  readonly priority?: number;
  readonly type?: string;
  readonly policy?: number;
  readonly devices?: string[];
  readonly use: number;
  /** NFTA_CHAIN_FLAGS as the kernel reports them (NFT_CHAIN_BASE 1, HW_OFFLOAD 2, BINDING 4). */
  readonly flags?: number;
  readonly id?: number;
  readonly packets?: bigint;
  readonly bytes?: bigint;
  readonly userdata?: Uint8Array;
}
export interface RuleData {
  readonly family: number;
  readonly table: string;
  readonly chain: string;
  readonly handle: bigint;
  readonly position?: bigint;
  readonly exprs: DecodedExpr[];
  readonly userdata?: Uint8Array;
}
export interface SetData {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly handle: bigint;
  readonly flags: number;
  readonly keyType: number;
  readonly keyLen: number;
  readonly dataType?: number;
  readonly dataLen?: number;
  readonly objType?: number;
  readonly policy?: number;
  readonly size?: number;
  readonly timeoutMs?: bigint;
  readonly gcIntervalMs?: number;
  readonly concat?: number[];
  readonly userdata?: Uint8Array;
  readonly exprs: DecodedExpr[];
}
export interface ElementsData {
  readonly count: number;
  readonly keyLen: number;
  readonly keys: Uint8Array;
  readonly flags: Uint32Array;
  readonly keyEnds?: Uint8Array;
  readonly timeoutsMs?: Float64Array;
  readonly expirationsMs?: Float64Array;
  readonly dataLen?: number;
  readonly data?: Uint8Array;
  readonly verdicts?: Int32Array;
  readonly chains?: Array<string | null>;
  readonly objrefs?: Array<string | null>;
  readonly userdata?: Array<Uint8Array | null>;
  /** Per-element counter expression values, when the set has counters. */
  readonly packets?: BigUint64Array;
  readonly bytes?: BigUint64Array;
  /** Every element's expressions, when any element has some. */
  readonly exprs?: Array<DecodedExpr[] | null>;
}
export interface ObjectData {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly objType: number;
  readonly handle: bigint;
  readonly use: number;
  /** Empty for an object type the addon does not know. See ObjectAttrValue. */
  readonly attrs: Record<string, ObjectAttrValue>;
  readonly userdata?: Uint8Array;
}
export interface FlowtableData {
  readonly family: number;
  readonly table: string;
  readonly name: string;
  readonly handle: bigint;
  readonly hooknum?: number;
  readonly priority?: number;
  readonly flags?: number;
  readonly size?: number;
  readonly devices: string[];
  readonly use: number;
}
export interface GenData {
  readonly id: number;
}

export type DumpReply =
  | { readonly what: 'tables'; readonly items: TableData[] }
  | { readonly what: 'chains'; readonly items: ChainData[] }
  | { readonly what: 'rules'; readonly items: RuleData[] }
  | { readonly what: 'sets'; readonly items: SetData[] }
  | { readonly what: 'elements'; readonly items: ElementsData }
  | { readonly what: 'objects'; readonly items: ObjectData[] }
  | { readonly what: 'flowtables'; readonly items: FlowtableData[] }
  | { readonly what: 'gen'; readonly items: GenData };

/** A dump that failed: errno (ENOENT for a missing table/set...) and the kernel's message. */
export interface DumpErrorData {
  readonly errno: number;
  readonly message?: string;
}

/** A counters-only rule dump (native/counters.cc). */
export interface CountersRequest {
  readonly family?: number;
  readonly table?: string;
  readonly chain?: string;
  /** NFT_MSG_GETRULE_RESET: read and zero atomically (Linux 6.6+). */
  readonly reset?: boolean;
}

/**
 * Every rule that has a counter, in kernel order, packed in columns: rule i has handles[i],
 * packets[i], bytes[i], lives at places[place[i]], and (when flags[i] & 1) has the comment
 * names[nameEnds[i-1] .. nameEnds[i]) (UTF-8; nameEnds[-1] = 0).
 */
export interface CountersData {
  readonly count: number;
  readonly handles: BigUint64Array;
  readonly packets: BigUint64Array;
  readonly bytes: BigUint64Array;
  readonly place: Uint32Array;
  readonly places: ReadonlyArray<{ readonly family: number; readonly table: string; readonly chain: string }>;
  readonly flags: Uint8Array;
  readonly names: Uint8Array;
  readonly nameEnds: Uint32Array;
  /** Low 16 bits of the generation the replies came from. */
  readonly genid16: number;
}

/** One event as native/monitor.cc reports it (decoded further by lib/monitor.ts). */
export interface NativeMonitorEvent {
  readonly kind: string;
  readonly op?: 'add' | 'delete';
  readonly portId?: number;
  readonly family?: number;
  readonly data?: unknown;
  readonly table?: string;
  readonly set?: string;
  readonly type?: number;
  readonly generation?: number;
  readonly pid?: number;
  readonly process?: string;
  readonly error?: string;
  readonly message?: string;
  readonly id?: number;
  readonly chain?: string;
  readonly handle?: bigint;
  readonly verdict?: number;
  readonly jumpTarget?: string;
  readonly iif?: number;
  readonly oif?: number;
  readonly mark?: number;
  readonly networkHeader?: Uint8Array;
  readonly transportHeader?: Uint8Array;
}

/** A monitor subscription (see NativeBinding.monitorOpen). */
export interface NativeMonitor {
  readonly __nativeMonitor: unique symbol;
}

/** Opaque: a link between two commits of one connection (see NativeBinding.commit). */
export interface NativeGate {
  readonly __nativeGate: unique symbol;
}

export interface NativeSocket {
  readonly __nativeSocket: unique symbol;
}

/** A prepared elements operation (see NativeBinding.prepareElements). */
export interface NativePrepared {
  readonly __nativePrepared: unique symbol;
}

/** The fixed part of a prepared elements operation: an ElementsDesc with no elements. */
export type PreparedElementsDesc = Omit<ElementsDesc, 'object' | 'verb' | 'count' | 'keys' | 'keyEnds' | 'flags' | 'timeoutsMs' | 'expirationsMs' | 'verdicts' | 'chains' | 'objrefs' | 'dataLen' | 'data' | 'userdata'>;

export interface NativeBinding {
  readonly abiVersion: 1;
  /** The native expression table, for the drift test: type -> attribute -> kind. */
  readonly exprTable: Record<string, Record<string, string>>;
  /** Opens a netlink socket, in another network namespace when netnsPath is given. Throws an Error with errno. */
  openSocket(options: { netnsPath?: string; rcvbufBytes?: number }): NativeSocket;
  closeSocket(socket: NativeSocket): void;
  /** Netlink port id of the socket (the owner of OWNER tables it creates). */
  portId(socket: NativeSocket): number;
  /** Builds the batch bytes without a socket (dry run). */
  encode(batch: BatchDesc): Uint8Array;
  /** A packed expression list (lib/packed.ts) encoded as the NFTA_RULE_EXPRESSIONS attribute a commit sends. */
  encodeExprs(packed: Uint8Array): Uint8Array;
  /** A batch's operations read back from the C++ structs the encoder sees (tests: packed = descriptors). */
  unpack(batch: BatchDesc): Array<{ object: string; verb: string; family: number; table?: string; chain?: string; exprs?: Expr[]; handle?: bigint; position?: bigint; userdata?: Uint8Array; echo?: boolean; chainId?: number }>;
  /**
   * Queues the commit on the connection's I/O thread. With gates (from commitGate()): sent only
   * if `after` (signalled by a commit queued earlier on this connection) says that commit was
   * applied, else settled with transportErrno ECANCELED and nothing sent; `signal` records
   * whether this one was applied.
   */
  commit(socket: NativeSocket, batch: BatchDesc, after?: NativeGate, signal?: NativeGate): Promise<AckData>;
  /** A new gate linking two commits (see commit). */
  commitGate(): NativeGate;
  /** Blocks the event loop: for small latency-critical batches only. */
  commitSync(socket: NativeSocket, batch: BatchDesc): AckData;
  /** Parses and checks the fixed part of an elements operation once (an op with count 0). */
  prepareElements(op: ElementsDesc): NativePrepared;
  /**
   * Blocking commit of one elements operation from a prepared one: the fastest path for single
   * updates. Returns null on success (out = [batchBytes, messages]), else the failed commit's AckData.
   */
  commitPreparedSync(socket: NativeSocket, prepared: NativePrepared, verb: 'add' | 'create' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs: Float64Array | undefined, out: Float64Array): AckData | null;
  /** commitPreparedSync on the connection's I/O thread; `out` is written when the promise settles with null. */
  commitPrepared(socket: NativeSocket, prepared: NativePrepared, verb: 'add' | 'create' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs: Float64Array | undefined, out: Float64Array): Promise<AckData | null>;
  dump(socket: NativeSocket, request: DumpRequest): Promise<DumpReply | DumpErrorData>;
  dumpSync(socket: NativeSocket, request: DumpRequest): DumpReply | DumpErrorData;
  /** Rule counters only, packed (see CountersData). */
  counters(socket: NativeSocket, request: CountersRequest): Promise<CountersData | DumpErrorData>;
  countersSync(socket: NativeSocket, request: CountersRequest): CountersData | DumpErrorData;
  /** Subscribes to ruleset events (and traces); cb gets each readable burst, on the event loop. */
  monitorOpen(options: { netnsPath?: string; rcvbufBytes?: number; trace?: boolean }, cb: (events: NativeMonitorEvent[]) => void): NativeMonitor;
  monitorClose(monitor: NativeMonitor): void;
}

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'nftables') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('nftables: cannot find the package root (package.json) above ' + __dirname);
    dir = up;
  }
}

let cached: NativeBinding | undefined;

/**
 * node-gyp-build loads the addon from the directory named by `<PACKAGE>_PREBUILD` when that
 * variable is set (here NFTABLES_PREBUILD): any `.node` file there would run, as root, inside
 * a firewall service. This package does not honour it: the variable is hidden from
 * node-gyp-build for the (synchronous) duration of the load, so only the package's own build
 * or prebuilds are considered. See docs/api.md, "Loading the addon".
 */
function withoutPrebuildOverride<T>(fn: () => T): T {
  const saved = process.env.NFTABLES_PREBUILD;
  if (saved === undefined) return fn();
  delete process.env.NFTABLES_PREBUILD;
  try {
    return fn();
  } finally {
    process.env.NFTABLES_PREBUILD = saved;
  }
}

/**
 * Loads the addon once: a prebuild for this platform first, then the local build (node-gyp-build).
 * A failure explains the likely causes and fixes in one message.
 */
export function binding(): NativeBinding {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new Error(`nftables works only on Linux (nftables is a Linux kernel subsystem); this is ${process.platform}`);
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const load = require('node-gyp-build') as (dir: string) => unknown;
    const b = withoutPrebuildOverride(() => load(packageRoot())) as NativeBinding;
    if (b.abiVersion !== 1) throw new Error(`addon ABI ${String(b.abiVersion)} does not match the JavaScript (1): rebuild with npm rebuild nftables`);
    cached = b;
    return b;
  } catch (err) {
    const cause = err instanceof Error ? err.message : String(err);
    const e = new Error(
      [
        'nftables: the native addon could not be loaded.',
        `Cause: ${cause}`,
        'Possible fixes:',
        '- Install the runtime libraries: apt-get install libnftnl11 libmnl0 (Debian/Ubuntu), dnf install libnftnl libmnl (Fedora).',
        '- No prebuild for this platform: install build tools and headers, then rebuild:',
        '  apt-get install build-essential python3 pkg-config libnftnl-dev libmnl-dev && npm rebuild nftables',
        '- PREBUILDS_ONLY=1 was set but no prebuild matches this platform (see `npm run prebuild`).',
      ].join('\n'),
    );
    (e as Error & { cause?: unknown }).cause = err;
    throw e;
  }
}
