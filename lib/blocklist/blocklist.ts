// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Blocklist: IPv4/IPv6 addresses and prefixes in one nftables set per family, updated
 * through packed element descriptors, with an authoritative in-process copy.
 *
 * Layouts (see docs/blocklist.md for the measurements behind the choice):
 * - `hash` (default): single addresses; a commit inserts or removes exactly the elements
 *   that changed (µs each). Best for churning bans. A `size` hint makes bulk loads ~2.5x faster
 *   but is a hard cap.
 * - `interval`: addresses, CIDR prefixes and ranges, merged like nft's auto-merge. Every
 *   commit that touches the set rebuilds all its intervals in the kernel (~100 ms at 1M), so
 *   update it in bulk (`replace`, `sync`, big `add`s), not per ban.
 */
import { isKnownExpr, type Expr } from '../expr/registry';
import { GenerationConflictError } from '../generation';
import { NFPROTO, SET_ELEM_F } from '../kernel';
import type { DumpReply, DumpRequest, ElementsData, ElementsDesc, NativeGate, OpDesc, PreparedElementsDesc } from '../native';
import type { PreparedElements } from '../nftables';
import { setDesc } from '../model/objects';
import type { SetSpec, TableRef } from '../model/types';
import { compareWords, formatWords, parseEntryBytes, parseErrorReason, scratch } from './address';
import { decodeElements, encodeElements, hasZeroEnd, packKey, putWords, type ElementTarget, type TimeoutMode } from './encode';
import { type EntrySource, type ParsedEntries, BlocklistEntryError, parseEntries, parseEntriesSync, parseTextSliced } from './parse';
import { RangeTable, type Words, addRangeInPlace, cutRangeInPlace, diff, normalize, rangeToPrefixes, subtract, union } from './ranges';
import { GroupIndex, HashStore, IntervalStore } from './store';

/** Suffix of the second name a swap replace fills (see {@link ReplaceOptions.swap}). */
const SWAP_SUFFIX = '_swap';
/** Elements per transaction of a swap replace's fill (measured: 16k-element chunks load 1M about 2.4x faster than one transaction). */
const SWAP_CHUNK = 16_384;
/** Lines per parsed slice of a swap replace of text bytes (each followed by a turn of the event loop). */
const SWAP_SLICE = 4096;
/** Lines of its first slice: the kernel starts on a first small chunk while the parser warms up. */
const SWAP_FIRST_SLICE = 1024;

/** What a commit reports (the connection's CommitResult has at least these). */
export interface CommitInfo {
  readonly batchBytes: number;
  readonly messages: number;
}

/** The part of a transaction the blocklist uses (lib/nftables.ts `Transaction`). */
export interface BlocklistTransaction {
  add(object: TableRef | SetSpec): unknown;
  push(op: OpDesc, label?: string): unknown;
  commit(): Promise<CommitInfo>;
  /** Blocking commit (small batches only). */
  commitSync(): CommitInfo;
}

/** The part of a connection the blocklist uses (lib/nftables.ts `Nftables`). */
export interface BlocklistConnection {
  transaction(): BlocklistTransaction;
  dump(request: DumpRequest): Promise<DumpReply>;
  /** Optional fast path for single updates (Nftables has it); without it, transactions are used. */
  prepareElements?(desc: PreparedElementsDesc): PreparedElements;
  commitElementsSync?(prepared: PreparedElements, verb: 'add' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs?: Float64Array): CommitInfo;
  commitElements?(prepared: PreparedElements, verb: 'add' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs?: Float64Array): Promise<CommitInfo>;
  /** Work the connection's close() finishes first (Nftables has it): queued group commits register here. */
  beforeClose?(fn: () => Promise<unknown>): () => void;
  /** Commit refused unless the ruleset generation is still `ifGeneration` (Nftables has it; used by swap replaces). */
  commit?(tx: BlocklistTransaction, options: { readonly ifGeneration?: number; readonly gate?: { readonly after?: NativeGate; readonly signal?: NativeGate } }): Promise<CommitInfo>;
  /** A link between two commits (Nftables has it): lets group commits pipeline (see Blocklist.pipelinedFlush). */
  commitGate?(): NativeGate;
}

/** Set layout: see the module documentation. */
export type BlocklistLayout = 'hash' | 'interval';

/** Options of {@link Blocklist.open}. */
export interface BlocklistOptions {
  /** The table holding the sets; created if missing (unless `create` is false). */
  readonly table: TableRef;
  /** Set name. With both families the sets are `${name}_v4` and `${name}_v6` unless `setNames` says otherwise. */
  readonly name: string;
  /** @default 'hash' */
  readonly layout?: BlocklistLayout;
  /** Families held. @default from the table: ip -> ipv4, ip6 -> ipv6, others -> both */
  readonly families?: ReadonlyArray<'ipv4' | 'ipv6'>;
  /** Explicit set names per family (for sets inside your own ruleset). */
  readonly setNames?: { readonly ipv4?: string; readonly ipv6?: string };
  /** Create the table and sets (NLM_F_CREATE without EXCL: existing ones are kept). @default true */
  readonly create?: boolean;
  /**
   * What the set holds at open: 'load' dumps it once to seed the in-process copy (slow for
   * huge sets: dumps are quadratic), 'flush' empties it. @default 'load'
   */
  readonly initial?: 'load' | 'flush';
  /** Hash layouts: NFTA_SET_DESC_SIZE, a hard cap that also selects a faster fixed-size hash. */
  readonly size?: number;
  /** Enables timeouts, with this default per element (ms). */
  readonly timeoutMs?: number;
  /** Enables per-element timeouts without a set default. @default false unless timeoutMs */
  readonly timeouts?: boolean;
  /** One counter per element (readable with {@link Blocklist.counters}). @default false */
  readonly counter?: boolean;
  /**
   * Group commit: concurrent single-entry `add`/`delete` calls are coalesced into one
   * transaction; each caller still gets its own result or error. @default false
   */
  readonly coalesce?: boolean;
  /**
   * How an existing entry's timeout is refreshed: 'readd' (re-add carrying an expiration: Linux
   * 6.18 refreshes an existing element's expiry only then, or on a different timeout) or
   * 'replace' (delete + add in one transaction, for kernels without element expiry updates).
   * @default 'readd'
   */
  readonly refresh?: 'readd' | 'replace';
}

/** Progress of a long operation. */
export interface BlocklistProgress {
  /** parsed: entries read so far; encoded: elements built; sent: a transaction was handed to the kernel; acknowledged: it committed. */
  readonly phase: 'parsed' | 'encoded' | 'sent' | 'acknowledged';
  readonly entries: number;
  /** Transaction number (1-based) for sent/acknowledged. */
  readonly transaction?: number;
  readonly transactions?: number;
}

/** Per-call options of add/delete/replace/sync. */
export interface ChangeOptions {
  /** Timeout for the entries added by this call (ms); 0 = none. @default the set's default */
  readonly timeoutMs?: number;
  /** delete: reject if an entry is not in the set. @default false */
  readonly strict?: boolean;
  /** Called with progress events. */
  readonly onProgress?: (p: BlocklistProgress) => void;
  /**
   * Split into transactions of at most this many elements (for a netns shared with other
   * daemons, or small socket buffers). The result then says `atomic: false`.
   */
  readonly maxElementsPerTransaction?: number;
}

/** Options of {@link Blocklist.replace}. */
export interface ReplaceOptions extends ChangeOptions {
  /**
   * Atomic replace without one huge transaction: the new list fills a fresh set (the other of
   * the set's two names, `NAME` and `NAME_swap`) in transactions of at most `maxElementsPerTransaction`
   * elements (default 16,384) that nothing references yet (text bytes on the hash layout are
   * parsed while it fills), then one small transaction points
   * every rule of the table that references the old set at the fresh one and deletes the old
   * set. Packets and readers see the old list or the new one, never a mixture, and other
   * writers of the namespace wait for one chunk at most. The set's name changes (see
   * {@link Blocklist.sets}); docs/blocklist.md has the guarantees. @default false
   */
  readonly swap?: boolean;
}

/** What a change did. */
export interface ChangeResult {
  /** Entries newly added (or merged into new ranges). */
  readonly added: number;
  /** Entries removed. */
  readonly removed: number;
  /** Entries already present (add) or absent (delete): nothing sent for them. */
  readonly unchanged: number;
  /** Kernel elements sent (an interval is 2). */
  readonly elements: number;
  readonly transactions: number;
  /** False when the change was split into several transactions. */
  readonly atomic: boolean;
  readonly batchBytes: number;
}

/** One family's set and its in-process copy. */
interface Lane {
  readonly W: Words;
  /** The live set (its name alternates between `names` after each swap replace). */
  spec: SetSpec;
  target: ElementTarget;
  /** The two names a swap replace alternates between: the configured one, then `${name}_swap`. */
  readonly names: readonly [string, string];
  /** The connection's fast single-update path for this set, made on first use. */
  fast: { readonly prepared: PreparedElements; readonly key: Uint8Array; readonly timeout: Float64Array } | null;
  readonly hash: HashStore | null;
  readonly interval: IntervalStore | null;
  /**
   * Interval layouts with timeouts: the ban duration (ms) behind each expiry (epoch ms) the
   * copy holds, so that a range rewritten by a merge or a cut keeps listing its duration as
   * `timeout` (and its time left as `expires`).
   */
  readonly durations: Map<number, number> | null;
  durationsLimit: number;
  /**
   * Interval layouts: whether the kernel's set holds nft's leading interval-end element at the
   * zero address (written by the first add to an empty set, as nft does; a flush removes it).
   */
  zeroEnd: boolean;
}

/** One lane of a swap replace: the fresh set's name and target, and the old name. */
interface SwapLane {
  readonly l: Lane;
  readonly name: string;
  readonly old: string;
  readonly target: ElementTarget;
}

/** Per-family change, computed before a commit and applied to the copy after it. */
interface LanePlan {
  readonly lane: Lane;
  readonly remove: RangeTable;
  readonly add: RangeTable;
  readonly timeouts: TimeoutMode;
  /** Apply to the copy once committed. */
  readonly apply: () => void;
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  /** flush the set before adding (replace). */
  readonly flush: boolean;
}

/** A single-address update on a hash layout, decided before the commit. */
interface Single {
  /** What to send; null: nothing (already present, or absent on delete). */
  readonly verb: 'add' | 'delete' | 'destroy' | null;
  readonly lane: Lane;
  /** Expiry to record (ms since the epoch, 0 = none). */
  readonly exp: number;
  readonly present: boolean;
  /** Timeout to send, or -1 for a set without timeouts. */
  readonly timeoutMs: number;
}

interface Pending {
  readonly kind: 'add' | 'delete';
  readonly entry: string;
  readonly options: ChangeOptions;
  readonly resolve: (r: ChangeResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A group's planned effect on one hash lane: slot s is entry[s]'s address, expiry exp[s] (-1: removed). */
interface HashOverlay {
  readonly index: GroupIndex;
  slots: number;
  readonly entry: Int32Array;
  readonly exp: Float64Array;
  readonly had: Uint8Array;
}

/** A group commit's plan: per caller an outcome code or an error, per lane a plan. */
interface GroupPlan {
  readonly outcome: Uint8Array;
  readonly errors: Map<number, Error>;
  readonly plans: LanePlan[];
  readonly overlay: Map<Lane, HashOverlay>;
}

/** A pipelined group commit (see Blocklist.pipelinedFlush). */
interface GroupFlight {
  /** Its planned effect, read by the group planned on top of it while it is in flight. */
  overlay: Map<Lane, HashOverlay>;
  /** Set by the I/O thread to whether its commit (or the one its plan rests on) was applied. */
  gate: NativeGate | undefined;
  /** Committed as planned (known once settled). */
  asPlanned: boolean;
  /** Applied to the copy (or redone) and its callers settled. */
  settled: boolean;
  /** Resolves when the next group may be planned: this one is on its way and the one before it settled. */
  next: Promise<void>;
  /** Resolves when settled (never rejects). */
  done: Promise<void>;
}

/**
 * Whether the address at words[o..) is present before a group: per `base` (the planned effect of
 * the group in flight under it, pipelined group commit) if that holds the address, else per the copy.
 */
function presentBefore(store: HashStore, base: HashOverlay | undefined, words: Uint32Array, o: number, now: number): boolean {
  if (base) {
    const s = base.index.lookup(words, o);
    if (s >= 0) {
      const exp = base.exp[s]!;
      return exp === 0 || exp > now;
    }
  }
  return store.get(words, o, now) >= 0;
}

/**
 * Most single-entry calls one group commit carries (the rest go in the next group). W4 (1,000
 * callers), paired runs on a loaded 2-core machine: event-loop delay p99 52/53 ms unbounded,
 * 32/30 ms at 512, with slightly higher throughput.
 */
const GROUP_MAX = 512;

/** Outcome codes of one entry in a group commit (0: none, e.g. a family the list does not hold). */
const GROUP_ADDED = 1;
const GROUP_REMOVED = 2;
const GROUP_UNCHANGED = 3;

/**
 * A blocklist over one nftables set per address family.
 *
 * @example
 * const nft = await Nftables.open();
 * const bl = await Blocklist.open(nft, { table: { family: 'inet', name: 'fw' }, name: 'banned', timeoutMs: 600_000, coalesce: true });
 * await bl.add('203.0.113.7');                       // one ban, 10 minutes
 * await bl.replace(fs.createReadStream('feed.txt'));  // atomic swap of a big list
 */
export class Blocklist {
  private readonly lanes: { ipv4?: Lane; ipv6?: Lane } = {};
  private lane: Promise<unknown> = Promise.resolve();
  private queue: Pending[] = [];
  /** Parsed words of queue[i] at i*8 (lo at +0, hi at +4) and its family (4 or 6) at qFam[i]. */
  private qWords = new Uint32Array(8 * 64);
  private qFam = new Int8Array(64);
  /**
   * Reused by group commits: the group's address index (see GroupIndex). Two: a pipelined group
   * is planned while the group in flight still holds its index.
   */
  private readonly groupIndexes: readonly [GroupIndex, GroupIndex] = [new GroupIndex(), new GroupIndex()];
  /** The last queued operation, while it is a pipelined group commit (see pipelinedFlush). */
  private groupTail: GroupFlight | null = null;
  private scheduled = false;
  readonly layout: BlocklistLayout;
  readonly withTimeouts: boolean;
  /** Group commits pipeline (see pipelinedFlush). */
  private readonly pipelined: boolean;

  private constructor(
    private readonly nft: BlocklistConnection,
    readonly options: BlocklistOptions,
  ) {
    this.layout = options.layout ?? 'hash';
    this.pipelined = this.layout === 'hash' && typeof nft.commitGate === 'function' && typeof nft.commit === 'function';
    this.withTimeouts = options.timeouts === true || options.timeoutMs !== undefined;
    const fam = options.table.family;
    const families = options.families ?? (fam === 'ip' ? ['ipv4'] : fam === 'ip6' ? ['ipv6'] : ['ipv4', 'ipv6']);
    for (const f of families) {
      if ((fam === 'ip' && f === 'ipv6') || (fam === 'ip6' && f === 'ipv4') || fam === 'arp') {
        throw new RangeError(`Expected families allowed by a table of family ${fam} but received ${JSON.stringify(f)}`);
      }
    }
    const both = families.length > 1;
    for (const f of families) {
      const name = options.setNames?.[f] ?? (both ? `${options.name}_${f === 'ipv4' ? 'v4' : 'v6'}` : options.name);
      const W: Words = f === 'ipv4' ? 1 : 4;
      const flags: Array<'interval' | 'timeout'> = [];
      if (this.layout === 'interval') flags.push('interval');
      if (this.withTimeouts) flags.push('timeout');
      const spec: SetSpec = {
        table: options.table,
        name,
        key: f === 'ipv4' ? 'ipv4_addr' : 'ipv6_addr',
        ...(flags.length > 0 ? { flags } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.size !== undefined ? { size: options.size } : {}),
        ...(options.counter ? { counter: true } : {}),
        ...(this.layout === 'interval' ? { autoMerge: true } : {}),
      };
      this.lanes[f] = {
        W,
        spec,
        names: [name, `${name}${SWAP_SUFFIX}`],
        target: { family: NFPROTO[fam], table: options.table.name, set: name },
        fast: null,
        hash: this.layout === 'hash' ? new HashStore(W, this.withTimeouts) : null,
        interval: this.layout === 'interval' ? new IntervalStore(W, this.withTimeouts) : null,
        durations: this.layout === 'interval' && this.withTimeouts ? new Map() : null,
        durationsLimit: 4096,
        zeroEnd: false,
      };
    }
  }

  /**
   * Opens a blocklist: creates the table and sets (unless `create: false`) and seeds the
   * in-process copy (`initial`).
   *
   * @throws NftError when the kernel refuses (e.g. EEXIST: a set of that name exists with
   * other flags), RangeError for inconsistent options.
   */
  static async open(nft: BlocklistConnection, options: BlocklistOptions): Promise<Blocklist> {
    if (options.layout === 'interval' && options.size !== undefined) {
      // rbtree has no size-selected fast path; the cap would only bite.
      throw new RangeError('Expected no size for the interval layout (sizes select hash backends)');
    }
    const bl = new Blocklist(nft, options);
    const initial = options.initial ?? 'load';
    await bl.resolveSwapNames();
    if (options.create !== false || initial === 'flush') {
      const tx = nft.transaction();
      if (options.create !== false) {
        tx.add(options.table);
        // NFTA_SET_ID is mandatory in NEWSET on recent kernels (EINVAL without it), also for
        // named sets: give each set a batch-local id.
        let id = 1;
        for (const l of bl.allLanes()) tx.push({ ...setDesc(l.spec, 'add'), id: id++ }, `add set ${l.target.table} ${l.target.set}`);
      }
      if (initial === 'flush') for (const l of bl.allLanes()) tx.push(flushOp(l));
      await tx.commit();
    }
    if (initial === 'load') await bl.load();
    return bl;
  }

  /**
   * Which of each lane's two names is live: after a swap replace the live set is the second
   * name. Both present means a swap was interrupted before its switch (the switch deletes the
   * old set in the same transaction): the fresh set was created last (higher handle) and
   * nothing references it; it is deleted.
   */
  private async resolveSwapNames(): Promise<void> {
    const t = this.options.table;
    let sets: readonly { readonly name: string; readonly handle: bigint }[];
    try {
      const r = await this.nft.dump({ what: 'sets', family: NFPROTO[t.family], table: t.name });
      sets = r.what === 'sets' ? r.items : [];
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return; // no table yet
      throw e;
    }
    const leftovers: string[] = [];
    for (const l of this.allLanes()) {
      const [a, b] = l.names.map((n) => sets.find((x) => x.name === n));
      if (b === undefined) continue;
      if (a === undefined) {
        this.retarget(l, l.names[1]);
      } else if (a.handle < b.handle) {
        leftovers.push(b.name);
      } else {
        this.retarget(l, l.names[1]);
        leftovers.push(a.name);
      }
    }
    if (leftovers.length === 0) return;
    const tx = this.nft.transaction();
    for (const name of leftovers) tx.push({ object: 'set', verb: 'destroy', family: NFPROTO[t.family], table: t.name, name }, `delete leftover set ${t.name} ${name}`);
    await tx.commit();
  }

  /** Points a lane at one of its two set names. */
  private retarget(l: Lane, name: string): void {
    l.spec = { ...l.spec, name };
    l.target = { ...l.target, set: name };
    l.fast = null;
  }

  /** The sets this blocklist writes, per family (after a swap replace, the other of each set's two names: `NAME` / `NAME_swap`). */
  get sets(): { readonly ipv4?: SetSpec; readonly ipv6?: SetSpec } {
    return {
      ...(this.lanes.ipv4 ? { ipv4: this.lanes.ipv4.spec } : {}),
      ...(this.lanes.ipv6 ? { ipv6: this.lanes.ipv6.spec } : {}),
    };
  }

  private allLanes(): Lane[] {
    const out: Lane[] = [];
    if (this.lanes.ipv4) out.push(this.lanes.ipv4);
    if (this.lanes.ipv6) out.push(this.lanes.ipv6);
    return out;
  }

  /**
   * Re-reads the kernel's content into the in-process copy (a dump: slow for big sets). Call
   * it after another writer (a second Blocklist, another process, nft) changed the set.
   *
   * A dump is checked before it seeds the copy: an element listed twice means the kernel's walk
   * was disturbed (e.g. by a background hash resize right after a big load, which also skips
   * elements), so the set is dumped again, up to 5 times, before failing with code EAGAIN.
   */
  async load(): Promise<void> {
    await this.serial(async () => {
      for (const l of this.allLanes()) await this.loadLane(l);
    });
  }


  private async loadLane(l: Lane): Promise<void> {
    const attempts = 5;
    for (let attempt = 1; ; attempt++) {
      const reply = await this.nft.dump({ what: 'elements', family: l.target.family, table: l.target.table, set: l.target.set });
      if (reply.what !== 'elements') throw new Error(`Expected an elements dump but received ${reply.what}`);
      const d = reply.items;
      // Hash layouts: duplicates show as rows lost by the sort+unique in seed(); intervals: checked by key.
      if ((l.interval === null || !hasDuplicateKeys(d.keys, d.flags, d.count, l.W * 4)) && this.seed(l, d)) return;
      if (attempt === attempts) {
        const err = new Error(
          `Expected a consistent dump of set ${l.target.table} ${l.target.set} but the kernel listed some elements twice in ${attempts} dumps (a walk disturbed by a resize or a writer); the in-process copy was not seeded`,
        ) as Error & { code: string };
        err.code = 'EAGAIN';
        throw err;
      }
      await new Promise((r) => setTimeout(r, 20 * attempt)); // let a background resize finish
    }
  }

  /** Seeds the lane's copy from a dump; false (copy untouched) if a hash dump lists an address twice. */
  private seed(l: Lane, d: ElementsData): boolean {
    const now = Date.now();
    const t = new RangeTable(l.W, Math.max(1, d.count), this.withTimeouts);
    const exps = d.expirationsMs;
    const touts = d.timeoutsMs;
    const dur = l.durations;
    decodeElements(t, d.keys, d.flags, d.count, l.interval !== null, (i) => {
      if (!exps || !(exps[i]! > 0)) return 0;
      const e = now + exps[i]!;
      // The kernel lists no timeout for an element whose timeout is the set's default.
      const tm = touts && touts[i]! > 0 ? touts[i]! : (this.options.timeoutMs ?? 0);
      if (dur && tm > 0) dur.set(e, tm);
      return e;
    });
    if (l.hash) {
      const uniq = normalize(t, false);
      if (uniq.count !== d.count) return false;
      l.hash.reset(uniq);
    } else {
      l.interval!.table = normalize(t, true);
      l.zeroEnd = hasZeroEnd(d.keys, d.flags, d.count, l.W * 4);
    }
    return true;
  }

  /** Runs fn after every earlier operation of this blocklist (one transaction at a time). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lane.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.lane = settled;
    this.groupTail = null;
    // The connection's close() finishes this first (it may not be in the connection's queue yet).
    const unregister = this.nft.beforeClose?.(() => settled);
    if (unregister) void settled.then(unregister);
    return run;
  }

  private parseOptions(): { singlesOnly: boolean; families: { ipv4: boolean; ipv6: boolean } } {
    return { singlesOnly: this.layout === 'hash', families: { ipv4: this.lanes.ipv4 !== undefined, ipv6: this.lanes.ipv6 !== undefined } };
  }

  private timeoutFor(o: ChangeOptions): number {
    const t = o.timeoutMs ?? this.options.timeoutMs ?? 0;
    if (!Number.isFinite(t) || t < 0) throw new RangeError(`Expected timeoutMs to be a non-negative number but received ${t}`);
    if (t > 0 && !this.withTimeouts) throw new RangeError('Expected no timeoutMs: this blocklist was opened without timeouts (set timeoutMs or timeouts: true)');
    if (t === 0 && this.options.timeoutMs !== undefined && this.options.timeoutMs > 0) {
      // The kernel gives an element sent without a timeout the set's default: it cannot be permanent.
      throw new RangeError(`Expected timeoutMs to be a positive number but received 0 (a set with a default timeout cannot hold an entry without one; open with timeouts: true instead)`);
    }
    return t;
  }

  // ---------------------------------------------------------------- planning

  /** Plans adding parsed rows to one lane. */
  private planAdd(l: Lane, rows: RangeTable, timeoutMs: number, now: number): LanePlan {
    const exp = timeoutMs > 0 ? now + timeoutMs : 0;
    if (l.hash) {
      const store = l.hash;
      const uniq = normalize(rows, false);
      const had = new Uint8Array(uniq.count); // one lookup per entry
      let present = 0;
      for (let i = 0; i < uniq.count; i++) {
        if (store.get(uniq.lo, i * l.W, now) >= 0) {
          had[i] = 1;
          present++;
        }
      }
      const added = uniq.count - present;
      const unchanged = present;
      let add: RangeTable;
      if (!this.withTimeouts && uniq.hi === uniq.lo && present === 0) {
        add = uniq; // all new (e.g. a first load): no copy
      } else {
        add = new RangeTable(l.W, Math.max(1, this.withTimeouts ? uniq.count : added), this.withTimeouts, true);
        for (let i = 0; i < uniq.count; i++) {
          if (!this.withTimeouts && had[i] === 1) continue;
          add.push(uniq.lo, i * l.W, uniq.lo, i * l.W, exp);
        }
      }
      // Re-adding refreshes timeouts; 'replace' deletes them first in the same transaction.
      const refreshDeletes = this.options.refresh === 'replace' && this.withTimeouts ? this.presentRows(l, add, now) : RangeTable.empty(l.W);
      return {
        lane: l,
        remove: refreshDeletes,
        add,
        timeouts: this.withTimeouts ? { fixedMs: timeoutMs } : null,
        added,
        removed: 0,
        unchanged,
        flush: false,
        apply: () => this.applyHash(store, add, RangeTable.empty(l.W)),
      };
    }
    const store = l.interval!;
    const current = store.snapshot(now);
    this.noteDuration(l, exp, timeoutMs);
    const incoming = normalize(withExpiry(rows, this.withTimeouts, exp), true);
    const next = union(current, incoming, true);
    const { remove, add } = diff(current, next, this.withTimeouts);
    let unchanged = 0;
    for (let i = 0; i < incoming.count; i++) if (covered(current, incoming, i)) unchanged++;
    return {
      lane: l,
      remove,
      add,
      timeouts: this.fromExpiry(l, now),
      added: incoming.count - unchanged,
      removed: 0,
      unchanged,
      flush: false,
      apply: () => {
        store.table = next;
      },
    };
  }

  /** Timeouts sent as each row's time left, with its recorded duration. */
  private fromExpiry(l: Lane, now: number): TimeoutMode {
    if (!this.withTimeouts) return null;
    return l.durations ? { fromExpiry: now, durations: l.durations } : { fromExpiry: now };
  }

  /** Records that expiry `exp` stands for a ban of `timeoutMs` (interval layouts). */
  private noteDuration(l: Lane, exp: number, timeoutMs: number): void {
    const d = l.durations;
    if (!d || timeoutMs <= 0) return;
    if (d.size >= l.durationsLimit && !d.has(exp)) {
      // amortized O(1): prune expired ones when the map has doubled
      const now = Date.now();
      for (const k of d.keys()) if (k <= now) d.delete(k);
      l.durationsLimit = Math.max(4096, 2 * d.size);
    }
    d.set(exp, timeoutMs);
  }

  /** Rows of `t` that the copy holds (for refresh-by-replace). */
  private presentRows(l: Lane, t: RangeTable, now: number): RangeTable {
    const out = new RangeTable(l.W, 1, false);
    for (let i = 0; i < t.count; i++) if (l.hash!.get(t.lo, i * l.W, now) >= 0) out.pushRow(t, i, 0);
    return out;
  }

  /** Plans deleting parsed rows from one lane. */
  private planDelete(l: Lane, rows: RangeTable, strict: boolean, now: number): LanePlan {
    if (l.hash) {
      const store = l.hash;
      const uniq = normalize(rows, false);
      const remove = new RangeTable(l.W, Math.max(1, uniq.count), false, true);
      let missing = 0;
      for (let i = 0; i < uniq.count; i++) {
        if (store.get(uniq.lo, i * l.W, now) < 0) {
          if (strict) throw notFound(uniq, i, l.W);
          missing++;
          continue;
        }
        remove.push(uniq.lo, i * l.W, uniq.lo, i * l.W);
      }
      return {
        lane: l,
        remove,
        add: RangeTable.empty(l.W),
        timeouts: null,
        added: 0,
        removed: remove.count,
        unchanged: missing,
        flush: false,
        apply: () => this.applyHash(store, RangeTable.empty(l.W), remove),
      };
    }
    const store = l.interval!;
    const current = store.snapshot(now);
    const outgoing = normalize(rows, true);
    let missing = 0;
    for (let i = 0; i < outgoing.count; i++) {
      if (!intersects(current, outgoing, i)) {
        if (strict) throw notFound(outgoing, i, l.W);
        missing++;
      }
    }
    const next = subtract(current, outgoing, true);
    const { remove, add } = diff(current, next, false);
    return {
      lane: l,
      remove,
      add,
      timeouts: this.fromExpiry(l, now),
      added: 0,
      removed: outgoing.count - missing,
      unchanged: missing,
      flush: false,
      apply: () => {
        store.table = next;
      },
    };
  }

  /** Plans making the lane hold exactly `rows` (replace: flush + add; sync: diff). */
  private planSet(l: Lane, rows: RangeTable, timeoutMs: number, now: number, mode: 'replace' | 'sync'): LanePlan {
    const exp = timeoutMs > 0 ? now + timeoutMs : 0;
    const merge = l.interval !== null;
    const next = normalize(withExpiry(rows, this.withTimeouts, exp), merge);
    if (!merge) next.hi = next.lo;
    const current = l.hash ? l.hash.snapshot(now) : l.interval!.snapshot(now);
    const apply = (): void => {
      if (l.hash) l.hash.reset(next);
      else l.interval!.table = next;
    };
    this.noteDuration(l, exp, timeoutMs);
    const timeouts: TimeoutMode = this.withTimeouts ? (merge ? this.fromExpiry(l, now) : { fixedMs: timeoutMs }) : null;
    if (mode === 'replace') {
      return { lane: l, remove: RangeTable.empty(l.W), add: next, timeouts, added: next.count, removed: current.count, unchanged: 0, flush: true, apply };
    }
    // sync: unchanged entries keep their timeout; only the difference is sent.
    const { remove, add } = diff(current, next, false);
    if (next.exp && current.exp) keepExpiry(next, current);
    return { lane: l, remove, add, timeouts, added: add.count, removed: remove.count, unchanged: next.count - add.count, flush: false, apply };
  }

  private applyHash(store: HashStore, add: RangeTable, remove: RangeTable): void {
    const now = Date.now();
    const W = store.words;
    if (add.count + remove.count > 4096) {
      // Bulk: rebuild the packed base instead of 1M Map insertions.
      let base = store.snapshot(now);
      if (base.count === 0 && remove.count === 0 && add.hi === add.lo && (add.exp !== null) === store.withExp) {
        store.reset(add); // sorted unique singles already (a first load): keep them as they are
        return;
      }
      if (remove.count > 0) base = subtract(base, singles(remove), false);
      if (add.count > 0) base = union(base, withExpiry(add, store.withExp, 0), false);
      store.reset(base);
      return;
    }
    for (let i = 0; i < remove.count; i++) store.remove(remove.lo, i * W);
    for (let i = 0; i < add.count; i++) store.set(add.lo, i * W, add.exp ? add.exp[i]! : 0);
  }

  // ---------------------------------------------------------------- committing

  /** Builds the element ops of the plans (deletes first, then adds). */
  private ops(plans: LanePlan[]): { ops: ElementsDesc[]; elements: number } {
    const ops: ElementsDesc[] = [];
    let elements = 0;
    const delVerb = this.withTimeouts ? 'destroy' : 'delete'; // an entry may expire in the kernel first
    for (const p of plans) {
      const interval = p.lane.interval !== null;
      if (p.flush) ops.push(flushOp(p.lane));
      if (p.remove.count > 0) ops.push(encodeElements(delVerb, p.lane.target, p.remove, interval, null));
    }
    for (const p of plans) {
      if (p.add.count === 0) continue;
      const l = p.lane;
      // nft's layout: the first add to an empty interval set also writes the zero end element
      // (unless the first range starts at zero); it stays until a flush.
      const zeroEnd = l.interval !== null && (p.flush || (!l.zeroEnd && l.interval.snapshot(Date.now()).count === 0)) && !startsAtZero(p.add);
      ops.push(encodeElements('add', l.target, p.add, l.interval !== null, p.timeouts, 0, p.add.count, zeroEnd));
    }
    for (const op of ops) elements += op.count;
    return { ops, elements };
  }

  /** Records what committed ops did to the kernel's zero end elements (flush: gone; an add carrying one: present). */
  private noteZeroEnds(ops: readonly ElementsDesc[]): void {
    for (const op of ops) {
      const l = this.laneOf(op);
      if (!l || l.interval === null) continue;
      if (op.verb === 'flush') l.zeroEnd = false;
      else if (op.verb === 'add' && op.count > 0 && hasZeroEnd(op.keys, op.flags, op.count, op.keyLen)) l.zeroEnd = true;
    }
  }

  private laneOf(op: ElementsDesc): Lane | undefined {
    return this.allLanes().find((x) => x.target.set === op.set && x.target.family === op.family && x.target.table === op.table);
  }

  private summarize(plans: LanePlan[], elements: number, transactions: number, batchBytes: number): ChangeResult {
    let added = 0;
    let removed = 0;
    let unchanged = 0;
    for (const p of plans) {
      added += p.added;
      removed += p.removed;
      unchanged += p.unchanged;
    }
    return { added, removed, unchanged, elements, transactions, atomic: transactions <= 1, batchBytes };
  }

  /** Commits the plans in one transaction (or bounded ones), then updates the copy. */
  private async commitPlans(plans: LanePlan[], o: ChangeOptions): Promise<ChangeResult> {
    const { ops, elements } = this.ops(plans);
    o.onProgress?.({ phase: 'encoded', entries: elements });
    if (ops.length === 0) {
      for (const p of plans) p.apply();
      return this.summarize(plans, 0, 0, 0);
    }
    const chunks = splitOps(ops, o.maxElementsPerTransaction);
    let bytes = 0;
    let done = 0;
    for (let c = 0; c < chunks.length; c++) {
      const tx = this.nft.transaction();
      for (const op of chunks[c]!) tx.push(op);
      o.onProgress?.({ phase: 'sent', entries: done, transaction: c + 1, transactions: chunks.length });
      let r: CommitInfo;
      try {
        r = await tx.commit();
      } catch (err) {
        if (c === 0) throw err; // nothing was applied
        // Earlier transactions committed: the copy records exactly them, and the error says so.
        const committed = chunks.slice(0, c).flat();
        this.applyCommitted(committed);
        const code = (err as { code?: unknown }).code;
        if (code === 'ENOENT' || code === 'EEXIST') {
          // The kernel held something the copy did not know (another writer): re-read the sets
          // this change touched so the copy matches the kernel again.
          for (const l of this.allLanes()) {
            if (!committed.some((op) => op.set === l.target.set)) continue;
            await this.loadLane(l).catch(() => undefined);
          }
        }
        throw new BlocklistPartialError(err, c, chunks.length, done);
      }
      bytes += r.batchBytes;
      this.noteZeroEnds(chunks[c]!);
      for (const op of chunks[c]!) done += op.count;
      o.onProgress?.({ phase: 'acknowledged', entries: done, transaction: c + 1, transactions: chunks.length });
    }
    for (const p of plans) p.apply();
    return this.summarize(plans, elements, chunks.length, bytes);
  }

  /** Records committed element ops (of a change split into transactions) in the copy, in order. */
  private applyCommitted(ops: ElementsDesc[]): void {
    const now = Date.now();
    for (const op of ops) {
      const l = this.allLanes().find((x) => x.target.set === op.set && x.target.family === op.family);
      if (!l) continue;
      const interval = l.interval !== null;
      const t = new RangeTable(l.W, Math.max(1, op.count), this.withTimeouts, !interval);
      if (op.verb !== 'flush') {
        const tm = op.timeoutsMs;
        const ex = op.expirationsMs;
        decodeElements(t, op.keys, op.flags, op.count, interval, (i) => (tm && tm[i]! > 0 ? now + (ex && ex[i]! > 0 ? ex[i]! : tm[i]!) : 0));
      }
      const rows = normalize(t, interval);
      if (!interval) rows.hi = rows.lo;
      const empty = RangeTable.empty(l.W);
      if (l.hash) {
        if (op.verb === 'flush') l.hash.reset(empty.trimmed(this.withTimeouts));
        else if (op.verb === 'add') this.applyHash(l.hash, rows, empty);
        else this.applyHash(l.hash, empty, rows);
      } else {
        const store = l.interval!;
        if (op.verb === 'flush') store.table = RangeTable.empty(l.W, this.withTimeouts);
        else if (op.verb === 'add') store.table = union(store.snapshot(now), rows, true);
        else store.table = subtract(store.snapshot(now), rows, true);
      }
    }
  }

  private commitPlansSync(plans: LanePlan[]): ChangeResult {
    const { ops, elements } = this.ops(plans);
    let bytes = 0;
    if (ops.length > 0) {
      const tx = this.nft.transaction();
      for (const op of ops) tx.push(op);
      bytes = tx.commitSync().batchBytes;
      this.noteZeroEnds(ops);
    }
    for (const p of plans) p.apply();
    return this.summarize(plans, elements, ops.length > 0 ? 1 : 0, bytes);
  }

  private plansFor(parsed: ParsedEntries, make: (l: Lane, rows: RangeTable) => LanePlan, all = false): LanePlan[] {
    const plans: LanePlan[] = [];
    if (this.lanes.ipv4 && (all || parsed.v4.count > 0)) plans.push(make(this.lanes.ipv4, parsed.v4));
    if (this.lanes.ipv6 && (all || parsed.v6.count > 0)) plans.push(make(this.lanes.ipv6, parsed.v6));
    return plans;
  }

  private parse(entries: EntrySource, o: ChangeOptions): Promise<ParsedEntries> {
    const onProgress = o.onProgress;
    const p = parseEntries(entries, { ...this.parseOptions(), ...(onProgress ? { onParsed: (n: number) => onProgress({ phase: 'parsed', entries: n }) } : {}) });
    // Awaited only once earlier operations finish: mark it handled now (the await still sees the error).
    p.catch(() => undefined);
    return p;
  }

  /**
   * Adds entries (addresses; prefixes and ranges on the interval layout) in one atomic
   * transaction. Entries already present are skipped (or re-added to refresh timeouts);
   * on the interval layout, overlapping and adjacent prefixes (also with what the set
   * already holds) are merged.
   *
   * @throws BlocklistEntryError (line/index of every bad entry; nothing applied),
   * NftError (the kernel refused; nothing applied).
   */
  add(entries: EntrySource, options: ChangeOptions = {}): Promise<ChangeResult> {
    try {
      const timeoutMs = this.timeoutFor(options); // options first, then entries (every mode, every source)
      return this.#change('add', entries, options, (l, rows, now) => this.planAdd(l, rows, timeoutMs, now));
    } catch (e) {
      return Promise.reject(e); // bad options reject like bad entries, with or without coalesce
    }
  }

  /**
   * Removes entries. Absent entries are skipped unless `strict`. On the interval layout a
   * prefix inside a bigger range punches a hole: the range is replaced by what remains,
   * in the same transaction.
   */
  delete(entries: EntrySource, options: ChangeOptions = {}): Promise<ChangeResult> {
    try {
      return this.#change('delete', entries, options, (l, rows, now) => this.planDelete(l, rows, options.strict ?? false, now));
    } catch (e) {
      return Promise.reject(e); // bad options reject like bad entries, with or without coalesce
    }
  }

  /** add() and delete(): a single string takes the coalesced or single-entry path; anything else is parsed, then planned per lane. */
  #change(kind: 'add' | 'delete', entries: EntrySource, options: ChangeOptions, plan: (l: Lane, rows: RangeTable, now: number) => LanePlan): Promise<ChangeResult> {
    if (typeof entries === 'string') {
      if (this.options.coalesce && options.maxElementsPerTransaction === undefined) {
        // Parsed once, here: the group commit reads the words the queue keeps.
        const f = parseEntryBytes(entries, 0, entries.length);
        if (f < 0) return Promise.reject(entryError(entries, f));
        return this.enqueue(kind, entries, f, options);
      }
      const bad = singleEntryError(entries);
      if (bad) return Promise.reject(bad);
      const fast = this.singleAsync(kind, entries, options);
      if (fast) return fast;
    }
    const parsed = this.parse(source(entries), options);
    return this.serial(async () => {
      const p = await parsed;
      const now = Date.now();
      return this.commitPlans(this.plansFor(p, (l, rows) => plan(l, rows, now)), options);
    });
  }


  /**
   * Single address on a hash layout: no tables, no sorting: look the key up in the copy,
   * write 4 or 16 bytes into the lane's key buffer, commit, record. Returns null when the
   * entry needs the general path. On return the address's words are in `scratch[0..W)`.
   */
  private single(kind: 'add' | 'delete', entry: string, o: ChangeOptions): Single | null {
    if (this.layout !== 'hash') return null;
    const f = parseEntryBytes(entry, 0, entry.length);
    if (f < 0) return null;
    const l = f === 4 ? this.lanes.ipv4 : this.lanes.ipv6;
    if (!l || compareWords(scratch, 0, scratch, 4, l.W) !== 0) return null;
    const now = Date.now();
    const present = l.hash!.get(scratch, 0, now) >= 0;
    if (kind === 'delete') {
      if (!present) {
        if (o.strict) return null; // the general path throws the message
        return { verb: null, lane: l, exp: -1, present, timeoutMs: -1 };
      }
      return { verb: this.withTimeouts ? 'destroy' : 'delete', lane: l, exp: -1, present, timeoutMs: -1 };
    }
    if (present && !this.withTimeouts) return { verb: null, lane: l, exp: 0, present, timeoutMs: -1 };
    if (present && this.options.refresh === 'replace') return null;
    const timeoutMs = this.timeoutFor(o);
    return { verb: 'add', lane: l, exp: timeoutMs > 0 ? now + timeoutMs : 0, present, timeoutMs: this.withTimeouts ? timeoutMs : -1 };
  }

  /** The element descriptor of a single update (for a transaction). */
  private singleOp(s: Single, words: Uint32Array): ElementsDesc {
    const keys = packKey(words, 0, s.lane.W);
    const base = { object: 'elements' as const, verb: s.verb!, ...s.lane.target, count: 1, keyLen: s.lane.W * 4, keys };
    // The expiration (= the timeout) makes a re-add refresh the kernel's expiry (see encode.ts).
    return s.timeoutMs >= 0 ? { ...base, timeoutsMs: Float64Array.of(s.timeoutMs), expirationsMs: Float64Array.of(s.timeoutMs) } : base;
  }

  /** Records a committed single update in the copy; `words` holds the address. */
  private singleDone(kind: 'add' | 'delete', s: Single, words: Uint32Array, batchBytes: number): ChangeResult {
    if (s.verb !== null && kind === 'add') s.lane.hash!.set(words, 0, s.exp);
    if (s.verb !== null && kind === 'delete') s.lane.hash!.remove(words, 0);
    const changed = kind === 'add' ? !s.present : s.present;
    const sent = s.verb !== null ? 1 : 0;
    return {
      added: kind === 'add' && changed ? 1 : 0,
      removed: kind === 'delete' && changed ? 1 : 0,
      unchanged: changed ? 0 : 1,
      elements: sent,
      transactions: sent,
      atomic: true,
      batchBytes,
    };
  }

  /**
   * The prepared path's arguments for a single change: the lane's prepared set, and its key (the
   * words given) and timeout in buffers reused across calls. No operation object for native code
   * to read, no typed array to allocate.
   */
  private fastArgs(s: Single, words: Uint32Array): { prepared: PreparedElements; key: Uint8Array; timeouts: Float64Array | undefined } {
    const l = s.lane;
    if (l.fast === null) {
      // Callers take this path only on connections that have prepareElements.
      const prepared = this.nft.prepareElements!({ ...l.target, keyLen: l.W * 4 });
      l.fast = { prepared, key: new Uint8Array(l.W * 4), timeout: new Float64Array(1) };
    }
    const fast = l.fast;
    putWords(fast.key, 0, words, 0, l.W);
    if (s.timeoutMs < 0) return { prepared: fast.prepared, key: fast.key, timeouts: undefined };
    fast.timeout[0] = s.timeoutMs;
    return { prepared: fast.prepared, key: fast.key, timeouts: fast.timeout };
  }

  private singleSync(kind: 'add' | 'delete', entry: string, o: ChangeOptions): ChangeResult | null {
    const s = this.single(kind, entry, o);
    if (!s) return null;
    let bytes = 0;
    if (s.verb !== null) {
      const nft = this.nft;
      if (nft.commitElementsSync && nft.prepareElements) {
        const f = this.fastArgs(s, scratch);
        bytes = nft.commitElementsSync(f.prepared, s.verb, f.key, f.timeouts).batchBytes;
      } else {
        const tx = nft.transaction();
        tx.push(this.singleOp(s, scratch));
        bytes = tx.commitSync().batchBytes;
      }
    }
    return this.singleDone(kind, s, scratch, bytes);
  }

  private singleAsync(kind: 'add' | 'delete', entry: string, o: ChangeOptions): Promise<ChangeResult> | null {
    if (this.layout !== 'hash' || o.onProgress || o.maxElementsPerTransaction !== undefined) return null;
    return this.serial(async () => {
      const s = this.single(kind, entry, o);
      if (!s) {
        const p = parseEntriesSync([entry], this.parseOptions());
        const now = Date.now();
        const t = kind === 'add' ? this.timeoutFor(o) : 0;
        return this.commitPlans(this.plansFor(p, (l, rows) => (kind === 'add' ? this.planAdd(l, rows, t, now) : this.planDelete(l, rows, o.strict ?? false, now))), o);
      }
      // scratch is shared: keep this address's words across the await.
      const words = scratch.slice(0, s.lane.W);
      let bytes = 0;
      if (s.verb !== null) {
        const nft = this.nft;
        if (nft.commitElements && nft.prepareElements) {
          const f = this.fastArgs(s, words);
          bytes = (await nft.commitElements(f.prepared, s.verb, f.key, f.timeouts)).batchBytes; // copies the buffers
        } else {
          const tx = nft.transaction();
          tx.push(this.singleOp(s, words));
          bytes = (await tx.commit()).batchBytes;
        }
      }
      return this.singleDone(kind, s, words, bytes);
    });
  }

  /**
   * Blocking add for latency-critical single bans (commitSync: the event loop waits for
   * the kernel, ~10 µs on a hash set). Do not mix with in-flight async operations.
   */
  addSync(entries: string | readonly string[], options: Omit<ChangeOptions, 'onProgress' | 'maxElementsPerTransaction'> = {}): ChangeResult {
    const timeoutMs = this.timeoutFor(options);
    if (typeof entries === 'string') {
      const bad = singleEntryError(entries);
      if (bad) throw bad;
      const fast = this.singleSync('add', entries, options);
      if (fast) return fast;
    }
    const p = parseEntriesSync(source(entries), this.parseOptions());
    const now = Date.now();
    return this.commitPlansSync(this.plansFor(p, (l, rows) => this.planAdd(l, rows, timeoutMs, now)));
  }

  /** Blocking delete; see {@link Blocklist.addSync}. */
  deleteSync(entries: string | readonly string[], options: Pick<ChangeOptions, 'strict'> = {}): ChangeResult {
    if (typeof entries === 'string') {
      const bad = singleEntryError(entries);
      if (bad) throw bad;
      const fast = this.singleSync('delete', entries, options);
      if (fast) return fast;
    }
    const p = parseEntriesSync(source(entries), this.parseOptions());
    const now = Date.now();
    return this.commitPlansSync(this.plansFor(p, (l, rows) => this.planDelete(l, rows, options.strict ?? false, now)));
  }

  /**
   * Atomically replaces the whole content: one transaction flushes the set(s) and adds the
   * new entries, so packets see either the old or the new list, never a mix or nothing.
   */
  replace(entries: EntrySource, options: ReplaceOptions = {}): Promise<ChangeResult> {
    try {
      if (options.swap === true) return this.#swapReplace(entries, options);
      if (options.swap !== undefined && options.swap !== false) throw new TypeError(`Expected swap to be a boolean but received ${String(options.swap)}`);
      return this.#replace(entries, options);
    } catch (e) {
      return Promise.reject(e); // bad options reject like bad entries, with or without coalesce
    }
  }

  #swapReplace(entries: EntrySource, options: ReplaceOptions): Promise<ChangeResult> {
    const timeoutMs = this.timeoutFor(options);
    const chunk = options.maxElementsPerTransaction ?? SWAP_CHUNK;
    if (!Number.isInteger(chunk) || chunk < 2) throw new RangeError(`Expected maxElementsPerTransaction to be an integer >= 2 but received ${chunk}`);
    const bad = typeof entries === 'string' ? singleEntryError(entries) : null;
    if (bad) return Promise.reject(bad);
    // Text bytes on the hash layout: the fill starts while the rest is parsed (each chunk is sent
    // as soon as it is parsed; duplicates are harmless in a hash add without NLM_F_EXCL).
    if (this.layout === 'hash' && entries instanceof Uint8Array) return this.serial(() => this.swapWhileParsing(entries, timeoutMs, chunk, options));
    const parsed = this.parse(source(entries), options);
    return this.serial(async () => {
      const p = await parsed;
      const now = Date.now();
      return this.commitSwap(this.plansFor(p, (l, rows) => this.planSet(l, rows, timeoutMs, now, 'replace'), true), chunk, options);
    });
  }

  /** The fresh sets of a swap (a leftover under that name goes first), in one transaction. */
  private async createFresh(lanes: readonly Lane[]): Promise<{ fresh: SwapLane[]; bytes: number }> {
    const t = this.options.table;
    const family = NFPROTO[t.family];
    const fresh = lanes.map((l): SwapLane => {
      const name = l.target.set === l.names[0] ? l.names[1] : l.names[0];
      return { l, name, old: l.target.set, target: { ...l.target, set: name } };
    });
    const create = this.nft.transaction();
    let id = 1;
    for (const f of fresh) {
      create.push({ object: 'set', verb: 'destroy', family, table: t.name, name: f.name }, `delete leftover set ${t.name} ${f.name}`);
      create.push({ ...setDesc({ ...f.l.spec, name: f.name }, 'add'), id: id++ }, `add set ${t.name} ${f.name}`);
    }
    return { fresh, bytes: (await create.commit()).batchBytes };
  }

  /** Deletes a swap's fresh sets after a failure (best effort: a later open() or swap cleans what remains). */
  private async dropFresh(fresh: readonly SwapLane[]): Promise<void> {
    const t = this.options.table;
    const tx = this.nft.transaction();
    for (const f of fresh) tx.push({ object: 'set', verb: 'destroy', family: NFPROTO[t.family], table: t.name, name: f.name });
    await tx.commit().catch(() => undefined);
  }

  /**
   * Swap replace of text bytes on the hash layout. The parse runs ahead of the kernel, in slices
   * of SWAP_SLICE lines (the first one smaller) with a turn of the event loop after each; a chunk is committed as
   * soon as the previous one is acknowledged (from the acknowledgement's continuation, so the
   * kernel waits for one slice at most), holding what has been parsed and not yet sent (at most
   * `chunk` elements; the first ones may be smaller while the parse gets ahead). The fresh sets'
   * transaction is sent before the first slice is parsed, and the copy's table (a sort of every
   * entry) is built once the parse ends, while the kernel is still filling.
   */
  private async swapWhileParsing(b: Uint8Array, timeoutMs: number, chunk: number, o: ChangeOptions): Promise<ChangeResult> {
    const creating = this.createFresh(this.allLanes());
    creating.catch(() => undefined); // awaited below (first slice, or the error path)
    let fresh: SwapLane[] = [];
    let sent: number[] = [];
    let ready = false; // the fresh sets exist
    let bytes = 0;
    let transactions = 1;
    let elements = 0;
    let k = 0;
    const timeouts: TimeoutMode = this.withTimeouts ? { fixedMs: timeoutMs } : null;
    const slice = Math.min(chunk, SWAP_SLICE);
    const first = Math.min(slice, SWAP_FIRST_SLICE);
    let v4: RangeTable | null = null;
    let v6: RangeTable | null = null;
    let valid = true; // every entry so far was valid (else nothing more is sent)
    let parsedAll = false;
    let inFlight: Promise<void> | null = null; // never rejects: a failure lands in `failure`
    let failure: { error: unknown } | null = null;
    const init = async (): Promise<void> => {
      const c = await creating;
      fresh = c.fresh;
      sent = fresh.map(() => 0);
      bytes += c.bytes;
      ready = true;
    };
    // Sends the next chunk if the socket is free and enough is parsed.
    const pump = (): void => {
      if (inFlight !== null || failure !== null || !ready || !valid || v4 === null || v6 === null) return;
      for (const [i, f] of fresh.entries()) {
        const t = f.l.W === 1 ? v4 : v6;
        const avail = t.count - sent[i]!;
        if (avail === 0 || (avail < first && !parsedAll)) continue;
        const from = sent[i]!;
        const to = Math.min(t.count, from + chunk);
        try {
          const op = encodeElements('add', f.target, t, false, timeouts, from, to);
          sent[i] = to;
          elements += op.count;
          const n = ++k;
          const upTo = elements;
          o.onProgress?.({ phase: 'sent', entries: upTo, transaction: n });
          const tx = this.nft.transaction();
          tx.push(op);
          inFlight = tx.commit().then(
            (c) => {
              bytes += c.batchBytes;
              transactions++;
              inFlight = null;
              try {
                o.onProgress?.({ phase: 'acknowledged', entries: upTo, transaction: n });
              } catch (e) {
                failure ??= { error: e };
              }
              pump();
            },
            (e: unknown) => {
              failure ??= { error: e };
              inFlight = null;
            },
          );
        } catch (e) {
          failure ??= { error: e };
        }
        return;
      }
    };
    try {
      const onParsed = o.onProgress;
      const parsed = await parseTextSliced(b, { ...this.parseOptions(), ...(onParsed ? { onParsed: (n: number) => onParsed({ phase: 'parsed', entries: n }) } : {}) }, slice, async (t4, t6, ok) => {
        v4 = t4;
        v6 = t6;
        valid = ok;
        if (!ready) await init();
        if (failure !== null) throw failure.error;
        pump();
        await new Promise((r) => setImmediate(r)); // acknowledgements come in here: the next chunk goes out from there
      }, first);
      if (!ready) await init(); // empty input: no slice was parsed
      v4 = parsed.v4;
      v6 = parsed.v6;
      parsedAll = true;
      pump();
      // The copy's table (a sort of every entry) is built while the kernel works on the chunks left.
      const now = Date.now();
      const plans = this.plansFor(parsed, (l, rows) => this.planSet(l, rows, timeoutMs, now, 'replace'), true);
      for (;;) {
        pump();
        const c = inFlight as Promise<void> | null; // assigned in pump()
        if (c === null) break;
        await c;
      }
      if (failure !== null) throw (failure as { error: unknown }).error;
      bytes += await this.switchSets(NFPROTO[this.options.table.family], fresh);
      transactions++;
      for (const f of fresh) this.retarget(f.l, f.name);
      for (const p of plans) p.apply();
      return { ...this.summarize(plans, elements, transactions, bytes), atomic: true };
    } catch (err) {
      failure ??= { error: err }; // nothing more is sent
      for (let c = inFlight as Promise<void> | null; c !== null; c = inFlight as Promise<void> | null) await c;
      if (ready) await this.dropFresh(fresh);
      else await creating.then((c) => this.dropFresh(c.fresh), () => undefined);
      throw err;
    }
  }

  /**
   * The swap replace (see {@link ReplaceOptions.swap}): fresh sets under the lanes' other names,
   * filled in chunks, then one transaction re-points the table's rules and deletes the old sets
   * (refused as a whole if the ruleset changed since the rules were read: then re-read, up to 5
   * times). On any failure the fresh sets are deleted again and the old ones stay as they were.
   */
  private async commitSwap(plans: LanePlan[], chunk: number, o: ChangeOptions): Promise<ChangeResult> {
    const family = NFPROTO[this.options.table.family];
    // 1. The fresh sets (a leftover of an interrupted swap under that name goes first).
    const { fresh, bytes: created } = await this.createFresh(plans.map((p) => p.lane));
    const lanes = plans.map((p, i) => {
      const interval = p.lane.interval !== null;
      const rowsPer = interval ? Math.max(1, Math.floor((chunk - 1) / 2)) : chunk;
      return { ...fresh[i]!, p, interval, rowsPer, zeroEnd: interval && !startsAtZero(p.add) && p.add.count > 0 };
    });
    let transactions = 1;
    let bytes = created;
    let elements = 0;
    try {
      // 2. Fill them in chunks that nothing references; chunk k+1 is encoded while chunk k commits.
      const parts: Array<() => ElementsDesc> = [];
      for (const f of lanes) {
        for (let from = 0; from < f.p.add.count; from += f.rowsPer) {
          const to = Math.min(f.p.add.count, from + f.rowsPer);
          parts.push(() => encodeElements('add', f.target, f.p.add, f.interval, f.p.timeouts, from, to, f.zeroEnd && from === 0));
        }
      }
      let next = parts.length > 0 ? parts[0]!() : null;
      for (let k = 0; next !== null; k++) {
        const tx = this.nft.transaction();
        tx.push(next);
        elements += next.count;
        o.onProgress?.({ phase: 'sent', entries: elements, transaction: k + 1, transactions: parts.length + 1 });
        const c = tx.commit();
        await new Promise((r) => setImmediate(r)); // let the commit reach its I/O thread first
        next = k + 1 < parts.length ? parts[k + 1]!() : null;
        bytes += (await c).batchBytes;
        transactions++;
        o.onProgress?.({ phase: 'acknowledged', entries: elements, transaction: k + 1, transactions: parts.length + 1 });
      }
      // 3. The switch: every rule of the table that references an old set now references the fresh one; the old sets go.
      bytes += await this.switchSets(family, lanes);
      transactions++;
    } catch (err) {
      await this.dropFresh(fresh);
      throw err;
    }
    for (const f of lanes) {
      this.retarget(f.l, f.name);
      f.l.zeroEnd = f.zeroEnd;
      f.p.apply();
    }
    return { ...this.summarize(plans, elements, transactions, bytes), atomic: true };
  }

  /** Re-points the table's rules from the old sets to the fresh ones and deletes the old sets, in one transaction; returns its size. */
  private async switchSets(family: number, lanes: ReadonlyArray<{ readonly name: string; readonly old: string }>): Promise<number> {
    const t = this.options.table;
    const rename = new Map(lanes.map((f) => [f.old, f.name]));
    const attempts = 5;
    for (let attempt = 1; ; attempt++) {
      const genReply = this.nft.commit ? await this.nft.dump({ what: 'gen' }) : undefined;
      const gen = genReply?.what === 'gen' ? genReply.items.id : undefined;
      const reply = await this.nft.dump({ what: 'rules', family, table: t.name });
      const tx = this.nft.transaction();
      for (const r of reply.what === 'rules' ? reply.items : []) {
        if (!r.exprs.some((e) => isKnownExpr(e) && (e.type === 'lookup' || e.type === 'dynset') && rename.has(e.set ?? ''))) continue;
        const where = `rule ${r.handle} of chain ${r.table} ${r.chain}`;
        const exprs: Expr[] = [];
        for (const e of r.exprs) {
          if (!isKnownExpr(e)) throw new Error(`Expected rules referencing the blocklist's set to hold only known expressions, but ${where} holds one this package cannot re-encode; nothing was switched (use replace without swap)`);
          const ref = e.type === 'lookup' || e.type === 'dynset' ? (e.set ?? '') : '';
          if (ref !== '' && !rename.has(ref) && ref.startsWith('__')) {
            throw new Error(`Expected rules referencing the blocklist's set to use no anonymous set, but ${where} uses ${ref} (bound to the rule, it cannot move to a replacement rule); nothing was switched (use replace without swap)`);
          }
          if ((e.type === 'lookup' || e.type === 'dynset') && rename.has(ref)) {
            const { setId: _unused, ...rest } = e;
            exprs.push({ ...rest, set: rename.get(ref)! });
          } else {
            exprs.push(e);
          }
        }
        tx.push({ object: 'rule', verb: 'replace', family: r.family, table: r.table, chain: r.chain, handle: r.handle, exprs, ...(r.userdata ? { userdata: r.userdata } : {}) }, `switch ${where} to the new set`);
      }
      for (const f of lanes) tx.push({ object: 'set', verb: 'delete', family, table: t.name, name: f.old }, `delete old set ${t.name} ${f.old}`);
      try {
        const r = gen !== undefined ? await this.nft.commit!(tx, { ifGeneration: gen }) : await tx.commit();
        return r.batchBytes;
      } catch (e) {
        if (!(e instanceof GenerationConflictError) || attempt === attempts) throw e;
      }
    }
  }

  #replace(entries: EntrySource, options: ChangeOptions): Promise<ChangeResult> {
    const timeoutMs = this.timeoutFor(options);
    const bad = typeof entries === 'string' ? singleEntryError(entries) : null;
    if (bad) return Promise.reject(bad);
    const parsed = this.parse(source(entries), options);
    return this.serial(async () => {
      const p = await parsed;
      const now = Date.now();
      return this.commitPlans(this.plansFor(p, (l, rows) => this.planSet(l, rows, timeoutMs, now, 'replace'), true), options);
    });
  }

  /**
   * Makes the set(s) hold exactly `entries`, sending only the difference against the
   * in-process copy, in one transaction. Entries that stay keep their timeouts.
   */
  sync(entries: EntrySource, options: ChangeOptions = {}): Promise<ChangeResult> {
    try {
      return this.#sync(entries, options);
    } catch (e) {
      return Promise.reject(e); // bad options reject like bad entries, with or without coalesce
    }
  }

  #sync(entries: EntrySource, options: ChangeOptions): Promise<ChangeResult> {
    const timeoutMs = this.timeoutFor(options);
    const bad = typeof entries === 'string' ? singleEntryError(entries) : null;
    if (bad) return Promise.reject(bad);
    const parsed = this.parse(source(entries), options);
    return this.serial(async () => {
      const p = await parsed;
      const now = Date.now();
      return this.commitPlans(this.plansFor(p, (l, rows) => this.planSet(l, rows, timeoutMs, now, 'sync'), true), options);
    });
  }

  /**
   * Makes a change part of a larger transaction of the caller's: the change's element
   * operations are appended to `tx` (after what the caller queued), then `tx` is committed, in
   * this blocklist's turn; the in-process copy is updated only if the whole transaction
   * committed. On a refusal nothing was applied (the caller's operations neither).
   *
   * @example
   * const tx = nft.transaction().add({ table: fw, chain: 'input', statements: [lookup('ip saddr', 'ban'), drop()] });
   * await bl.commitWith(tx, 'add', ['192.0.2.1', '192.0.2.2']);
   */
  commitWith(tx: BlocklistTransaction, kind: 'add' | 'delete' | 'replace' | 'sync', entries: EntrySource, options: Omit<ChangeOptions, 'maxElementsPerTransaction'> = {}): Promise<ChangeResult> {
    try {
      const timeoutMs = kind === 'delete' ? 0 : this.timeoutFor(options);
      const bad = typeof entries === 'string' ? singleEntryError(entries) : null;
      if (bad) return Promise.reject(bad);
      const parsed = this.parse(source(entries), options);
      return this.serial(async () => {
        const p = await parsed;
        const now = Date.now();
        const plans = this.plansFor(
          p,
          (l, rows) =>
            kind === 'add'
              ? this.planAdd(l, rows, timeoutMs, now)
              : kind === 'delete'
                ? this.planDelete(l, rows, options.strict ?? false, now)
                : this.planSet(l, rows, timeoutMs, now, kind),
          kind === 'replace' || kind === 'sync',
        );
        const { ops, elements } = this.ops(plans);
        for (const op of ops) tx.push(op);
        const r = await tx.commit();
        this.noteZeroEnds(ops);
        for (const pl of plans) pl.apply();
        return this.summarize(plans, elements, 1, r.batchBytes);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  // ---------------------------------------------------------------- group commit

  /** Queues a parsed single entry (family `f`, its words in `scratch`) for the next group commit. */
  private enqueue(kind: 'add' | 'delete', entry: string, f: number, options: ChangeOptions): Promise<ChangeResult> {
    if (kind === 'add') this.timeoutFor(options); // validate now, in the caller's stack
    const q = this.queue.length;
    if ((q + 1) * 8 > this.qWords.length) {
      const grown = new Uint32Array(Math.max(this.qWords.length * 2, (q + 1) * 8));
      grown.set(this.qWords);
      this.qWords = grown;
      const fams = new Int8Array(grown.length >> 3);
      fams.set(this.qFam);
      this.qFam = fams;
    }
    this.qWords.set(scratch, q * 8);
    this.qFam[q] = f;
    return new Promise<ChangeResult>((resolve, reject) => {
      this.queue.push({ kind, entry, options, resolve, reject });
      this.schedule();
    });
  }

  /** Schedules a group commit of the queue, unless one is scheduled. */
  private schedule(): void {
    if (!this.scheduled) {
      this.scheduled = true;
      // The connection's close() waits for this group (it is not in the connection's queue
      // until the setImmediate below runs).
      let done: () => void = () => undefined;
      const flushed = new Promise<void>((r) => (done = r));
      const unregister = this.nft.beforeClose?.(() => flushed);
      // setImmediate (not a microtask): callers resolved by the previous group have
      // re-queued by then, so one transaction carries them all.
      setImmediate(() => {
        this.scheduled = false;
        void (this.pipelined ? this.pipelinedFlush() : this.serial(() => this.flushQueue())).finally(() => {
          unregister?.();
          done();
        });
      });
    }
  }

  /** Takes the next group (at most GROUP_MAX calls) off the queue, with its parsed words. */
  private takeGroup(): { batch: Pending[]; words: Uint32Array; fams: Int8Array } | null {
    let batch = this.queue;
    const total = batch.length;
    if (total === 0) return null;
    let n = total;
    if (total > GROUP_MAX) {
      // Bounded groups keep each stretch of main-thread work (plan, encode, resolve the callers) short.
      n = GROUP_MAX;
      batch = this.queue.slice(0, GROUP_MAX);
      this.queue = this.queue.slice(GROUP_MAX);
      this.schedule();
    } else {
      this.queue = [];
    }
    // The group's parsed words; the rest of the queue moves to the front of the arena.
    const words = this.qWords.slice(0, n * 8);
    const fams = this.qFam.slice(0, n);
    if (total > n) {
      this.qWords.copyWithin(0, n * 8, total * 8);
      this.qFam.copyWithin(0, n, total);
    }
    return { batch, words, fams };
  }

  private async flushQueue(): Promise<void> {
    const group = this.takeGroup();
    if (group) await this.commitGroupAlone(group.batch, group.words, group.fams);
  }

  /** Commits a group planned on the copy; if the kernel refuses it, each caller alone. */
  private async commitGroupAlone(batch: Pending[], words: Uint32Array, fams: Int8Array): Promise<void> {
    try {
      await this.commitGroup(batch, words, fams);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One transaction failed: retry each caller alone so each gets its own result.
      for (let i = 0; i < batch.length; i++) {
        const p = batch[i]!;
        try {
          await this.commitGroup([p], words.subarray(i * 8, i * 8 + 8), fams.subarray(i, i + 1));
        } catch (e) {
          p.reject(e);
        }
      }
    }
  }

  /**
   * Group commit, pipelined (hash layouts on a connection with commit gates): the next group is
   * planned on top of the planned effect of the one the kernel is still working on, and queued
   * right behind it on the connection's I/O thread, gated so that it is sent only if that one
   * was applied. The event loop plans and encodes one group while the kernel applies the one
   * before. Groups settle in order; a group planned on one that was not applied was not sent
   * either, and is planned again from the copy.
   */
  private pipelinedFlush(): Promise<void> {
    const prev = this.groupTail;
    let handed: () => void = () => undefined;
    const handedOff = new Promise<void>((r) => (handed = r));
    const prevDone = prev ? prev.done : Promise.resolve();
    const g: GroupFlight = { overlay: new Map(), gate: undefined, asPlanned: false, settled: false, next: Promise.resolve(), done: Promise.resolve() };
    // At most one group in flight under the one being planned: this one starts once the
    // previous one is on its way and the one before that has settled.
    const start = prev ? prev.next : this.lane;
    g.next = Promise.all([handedOff, prevDone]).then(() => undefined);
    g.done = start.then(() => this.flyGroup(g, prev, prevDone, handed)).catch(() => undefined);
    this.lane = g.done;
    this.groupTail = g;
    return g.done;
  }

  private async flyGroup(g: GroupFlight, prev: GroupFlight | null, prevDone: Promise<void>, handed: () => void): Promise<void> {
    let group: { batch: Pending[]; words: Uint32Array; fams: Int8Array } | null = null;
    try {
      group = this.takeGroup();
      if (!group) {
        // Nothing queued, nothing planned: the next group starts once the one before this has
        // settled, so it plans on the copy alone.
        g.asPlanned = true;
        handed();
        await prevDone;
        return;
      }
      const { batch, words, fams } = group;
      const base = prev && !prev.settled ? prev : null;
      const plan = this.planGroup(batch, words, fams, base);
      g.overlay = plan.overlay;
      const { ops, elements } = this.ops(plan.plans);
      let sent: Promise<CommitInfo> | null = null;
      if (ops.length > 0) {
        const tx = this.nft.transaction();
        for (const op of ops) tx.push(op);
        const signal = this.nft.commitGate!();
        sent = this.nft.commit!(tx, { gate: { ...(base?.gate !== undefined ? { after: base.gate } : {}), signal } });
        sent.catch(() => undefined); // awaited below, after the group before settles
        g.gate = signal;
      } else {
        // Nothing to send: this group's plan holds if the one it was planned on was applied.
        g.gate = base?.gate;
      }
      handed();
      let info: CommitInfo | null = null;
      let refused = false;
      if (sent) {
        try {
          info = await sent;
        } catch {
          refused = true; // by the kernel, or not sent (ECANCELED): either way nothing was applied
        }
      }
      await prevDone;
      const baseApplied = base === null || base.asPlanned;
      if (!refused && baseApplied) {
        for (const pl of plan.plans) pl.apply();
        g.asPlanned = true;
        g.settled = true;
        this.resolveGroup(batch, plan, { elements, transactions: sent ? 1 : 0, batchBytes: info ? info.batchBytes : 0 });
        return;
      }
      // Refused by the kernel, or not sent (or, with nothing to send, planned) on top of a group
      // that was not applied: the copy holds everything before this group; plan it again there.
      g.asPlanned = false;
      await this.commitGroupAlone(batch, words, fams);
    } catch (e) {
      // Not expected (planning and sending report per caller): no caller may be left waiting.
      g.asPlanned = false;
      if (group) for (const p of group.batch) p.reject(e);
    } finally {
      g.settled = true;
      handed();
    }
  }

  /** The blocklist's reusable group index that the group in flight (if any) does not hold. */
  private freeGroupIndex(base: GroupFlight | null): GroupIndex {
    const [a, b] = this.groupIndexes;
    if (!base) return a;
    for (const ov of base.overlay.values()) if (ov.index === a) return b;
    return a;
  }

  /**
   * Commits a group of single-entry changes in one transaction and resolves each caller.
   */
  private async commitGroup(batch: Pending[], words: Uint32Array, fams: Int8Array): Promise<void> {
    const plan = this.planGroup(batch, words, fams, null);
    const r = await this.commitPlans(plan.plans, {});
    this.resolveGroup(batch, plan, r);
  }

  /**
   * Plans a group of single-entry changes: its plans per lane and each caller's outcome.
   * Hot path of group commit: entry i was parsed when it was queued (its words at
   * `words[i*8..]`, lo then hi, its family at `fams[i]`); per entry there is one lookup in the
   * group's typed-array index and a one-byte outcome; no object per entry until the callers'
   * results are made. With `base` (a group in flight, pipelined), presence is read from its
   * planned effect first, then from the copy.
   */
  private planGroup(batch: Pending[], words: Uint32Array, fams: Int8Array, base: GroupFlight | null): GroupPlan {
    const now = Date.now();
    const n = batch.length;
    const outcome = new Uint8Array(n); // GROUP_* codes
    const errors = new Map<number, Error>();
    const parsedOpts = this.parseOptions();
    // Hash lanes: net effect per address, in call order. Slot s: the entry whose words to
    // send, its expiry (-1: delete) and whether the copy held the address before the group.
    const hashOverlay = new Map<Lane, HashOverlay>();
    const intervalNext = new Map<Lane, RangeTable>();
    // The planned effect of the group in flight, per lane (pipelined group commit).
    const baseOv4 = base && this.lanes.ipv4 ? base.overlay.get(this.lanes.ipv4) : undefined;
    const baseOv6 = base && this.lanes.ipv6 ? base.overlay.get(this.lanes.ipv6) : undefined;
    const groupRow = [new RangeTable(1, 1), new RangeTable(4, 1)];
    for (let i = 0; i < n; i++) {
      const p = batch[i]!;
      const f = fams[i]!;
      const o = i * 8;
      const l = f === 4 ? this.lanes.ipv4 : this.lanes.ipv6;
      const baseOv = f === 4 ? baseOv4 : baseOv6;
      if (!l || (parsedOpts.singlesOnly && compareWords(words, o, words, o + 4, f === 4 ? 1 : 4) !== 0)) {
        // Re-parse through the collector for the exact message.
        try {
          parseEntriesSync([p.entry], parsedOpts);
        } catch (e) {
          errors.set(i, e as Error);
          continue;
        }
      }
      if (!l) {
        errors.set(i, new BlocklistEntryError([{ index: 0, entry: p.entry, reason: `this blocklist holds no ${f === 4 ? 'IPv4' : 'IPv6'} set` }], 1));
        continue;
      }
      const W = l.W;
      let timeoutMs = 0;
      try {
        timeoutMs = p.kind === 'add' ? this.timeoutFor(p.options) : 0;
      } catch (e) {
        errors.set(i, e as Error);
        continue;
      }
      if (l.hash) {
        let ov = hashOverlay.get(l);
        if (!ov) {
          // One index per lane and group; the first hash lane reuses the blocklist's.
          const index = hashOverlay.size === 0 ? this.freeGroupIndex(base) : new GroupIndex();
          index.reset(n, words, W);
          hashOverlay.set(l, (ov = { index, slots: 0, entry: new Int32Array(n), exp: new Float64Array(n), had: new Uint8Array(n) }));
        }
        const found = ov.index.find(o);
        let slot = found >= 0 ? ov.index.value(found) : -1;
        // Present before this entry: in the group's overlay, else in the copy.
        const present = slot >= 0 ? ov.exp[slot]! >= 0 : presentBefore(l.hash, baseOv, words, o, now);
        // A refused entry must leave no trace in the overlay (its slot would be sent).
        if (p.kind === 'delete' && !present && p.options.strict) {
          errors.set(i, notFoundWords(words, W, o));
          continue;
        }
        if (slot < 0) {
          slot = ov.slots++;
          ov.index.insert(found, o, slot);
          ov.had[slot] = present ? 1 : 0;
        }
        ov.entry[slot] = i;
        if (p.kind === 'add') {
          ov.exp[slot] = timeoutMs > 0 ? now + timeoutMs : 0;
          outcome[i] = present ? GROUP_UNCHANGED : GROUP_ADDED;
        } else {
          ov.exp[slot] = -1;
          outcome[i] = present ? GROUP_REMOVED : GROUP_UNCHANGED;
        }
      } else {
        // The group's own copy of the lane (made once), edited in place per entry: a binary
        // search and one memmove, instead of a whole-table union/subtract per entry.
        let cur = intervalNext.get(l);
        if (!cur) intervalNext.set(l, (cur = l.interval!.snapshot(now).trimmed(this.withTimeouts)));
        const row = groupRow[W === 1 ? 0 : 1]!;
        row.count = 0;
        row.push(words, o, words, o + 4, 0);
        if (p.kind === 'add') {
          this.noteDuration(l, now + timeoutMs, timeoutMs);
          const had = covered(cur, row, 0);
          if (!had || this.withTimeouts) addRangeInPlace(cur, words, o, words, o + 4, timeoutMs > 0 ? now + timeoutMs : 0);
          outcome[i] = had ? GROUP_UNCHANGED : GROUP_ADDED;
        } else {
          const hit = intersects(cur, row, 0);
          if (!hit && p.options.strict) {
            errors.set(i, notFoundWords(words, W, o));
            continue;
          }
          if (hit) cutRangeInPlace(cur, words, o, words, o + 4);
          outcome[i] = hit ? GROUP_REMOVED : GROUP_UNCHANGED;
        }
      }
    }
    const plans: LanePlan[] = [];
    for (const [l, ov] of hashOverlay) {
      const slots = ov.slots;
      const add = new RangeTable(l.W, Math.max(1, slots), this.withTimeouts, true);
      const remove = new RangeTable(l.W, 1, false, true);
      for (let s = 0; s < slots; s++) {
        const o = ov.entry[s]! * 8;
        const exp = ov.exp[s]!;
        const had = ov.had[s] === 1;
        if (exp < 0) {
          if (had) remove.push(words, o, words, o);
        } else if (!had || this.withTimeouts) {
          if (had && this.options.refresh === 'replace') remove.push(words, o, words, o);
          add.push(words, o, words, o, exp);
        }
      }
      const store = l.hash!;
      plans.push(this.groupPlan(l, remove, add, now, () => this.applyHash(store, add, remove)));
    }
    for (const [l, next] of intervalNext) {
      const current = l.interval!.snapshot(now);
      const { remove, add } = diff(current, next, this.withTimeouts);
      const store = l.interval!;
      plans.push(
        this.groupPlan(l, remove, add, now, () => {
          store.table = next;
        }),
      );
    }
    return { outcome, errors, plans, overlay: hashOverlay };
  }

  /** Settles each caller of a committed group with its outcome. */
  private resolveGroup(batch: Pending[], plan: GroupPlan, r: { elements: number; transactions: number; batchBytes: number }): void {
    const { outcome, errors } = plan;
    const n = batch.length;
    for (let i = 0; i < n; i++) {
      const p = batch[i]!;
      const err = errors.get(i);
      if (err !== undefined) {
        p.reject(err);
        continue;
      }
      const c = outcome[i];
      p.resolve({
        added: c === GROUP_ADDED ? 1 : 0,
        removed: c === GROUP_REMOVED ? 1 : 0,
        unchanged: c === GROUP_UNCHANGED ? 1 : 0,
        elements: r.elements,
        transactions: r.transactions,
        atomic: true,
        batchBytes: r.batchBytes,
      });
    }
  }

  /** A lane's plan in a group commit (the per-caller counts are kept by commitGroup). */
  private groupPlan(lane: Lane, remove: RangeTable, add: RangeTable, now: number, apply: () => void): LanePlan {
    return { lane, remove, add, timeouts: this.fromExpiry(lane, now), added: 0, removed: 0, unchanged: 0, flush: false, apply };
  }

  // ---------------------------------------------------------------- reading

  /** Whether `entry` (an address, or a prefix fully inside the set) is blocked, per the in-process copy. */
  has(entry: string): boolean {
    const f = parseEntryBytes(entry, 0, entry.length);
    if (f < 0) throw new BlocklistEntryError([{ index: 0, entry, reason: parseErrorReason(f) }], 1);
    const l = f === 4 ? this.lanes.ipv4 : this.lanes.ipv6;
    if (!l) return false;
    const now = Date.now();
    if (l.hash) return compareWords(scratch, 0, scratch, 4, l.W) === 0 && l.hash.get(scratch, 0, now) >= 0;
    const i = l.interval!.find(scratch, 0, now);
    return i >= 0 && compareWords(l.interval!.table.hi, i * l.W, scratch, 4, l.W) >= 0;
  }

  /** Number of entries: addresses (hash) or merged ranges (interval), per the in-process copy. */
  get size(): number {
    const now = Date.now();
    let n = 0;
    for (const l of this.allLanes()) n += l.hash ? l.hash.size(now) : l.interval!.snapshot(now).count;
    return n;
  }

  /**
   * The content as text, from the in-process copy: addresses for the hash layout, CIDR
   * prefixes for the interval layout (a merged range is split into its minimal prefixes;
   * a single address prints without /32 or /128, as nft prints it).
   */
  *entries(): IterableIterator<string> {
    const now = Date.now();
    for (const l of this.allLanes()) {
      const W = l.W;
      if (l.hash) {
        const t = l.hash.snapshot(now);
        for (let i = 0; i < t.count; i++) yield formatWords(t.lo, i * W, W);
        continue;
      }
      const t = l.interval!.snapshot(now);
      const bits = W * 32;
      const buf = new Uint32Array(4);
      const out: string[] = [];
      for (let i = 0; i < t.count; i++) {
        out.length = 0;
        rangeToPrefixes(t.lo, i * W, t.hi, i * W, W, (start, len) => {
          for (let w = W - 1; w >= 0; w--) {
            buf[w] = Number(start & 0xffffffffn);
            start >>= 32n;
          }
          const a = formatWords(buf, 0, W);
          out.push(len === bits ? a : `${a}/${len}`);
        });
        yield* out;
      }
    }
  }

  /**
   * The elements, as `Nftables.listElements` shows them (`key`: an address, a CIDR prefix or an
   * `a-b` range; `expiresMs`: time left), answered from the in-process copy: at once and in
   * bounded time whatever other writers commit meanwhile, and consistent with every change this
   * Blocklist made (a dump of the kernel is only needed to see other writers: `load()`).
   */
  listElements(): Array<{ readonly key: string; readonly family: 'ipv4' | 'ipv6'; readonly expiresMs?: number }> {
    const now = Date.now();
    const out: Array<{ key: string; family: 'ipv4' | 'ipv6'; expiresMs?: number }> = [];
    for (const l of this.allLanes()) {
      const W = l.W;
      const t = l.hash ? l.hash.snapshot(now) : l.interval!.snapshot(now);
      const family = W === 1 ? 'ipv4' : 'ipv6';
      for (let i = 0; i < t.count; i++) {
        const a = formatWords(t.lo, i * W, W);
        let key = a;
        if (compareWords(t.lo, i * W, t.hi, i * W, W) !== 0) {
          let single = '';
          let n = 0;
          rangeToPrefixes(t.lo, i * W, t.hi, i * W, W, (_start, len) => {
            n++;
            single = `${a}/${len}`;
          });
          key = n === 1 ? single : `${a}-${formatWords(t.hi, i * W, W)}`;
        }
        const e = t.exp ? t.exp[i]! : 0;
        out.push(e > 0 ? { key, family, expiresMs: Math.max(0, e - now) } : { key, family });
      }
    }
    return out;
  }

  /** The merged ranges as `[first, last]` address pairs (interval layout; singles for hash). */
  *ranges(): IterableIterator<readonly [string, string]> {
    const now = Date.now();
    for (const l of this.allLanes()) {
      const t = l.hash ? l.hash.snapshot(now) : l.interval!.snapshot(now);
      for (let i = 0; i < t.count; i++) yield [formatWords(t.lo, i * l.W, l.W), formatWords(t.hi, i * l.W, l.W)] as const;
    }
  }

  /**
   * Reads one entry's counter from the kernel without dumping the set (GETSETELEM with
   * that key). Needs `counter: true`. Resolves undefined when the entry is not in the set.
   */
  async counters(entry: string): Promise<{ packets: bigint; bytes: bigint } | undefined> {
    if (!this.options.counter) throw new RangeError('Expected a blocklist opened with counter: true');
    const f = parseEntryBytes(entry, 0, entry.length);
    if (f < 0) throw new BlocklistEntryError([{ index: 0, entry, reason: parseErrorReason(f) }], 1);
    const l = f === 4 ? this.lanes.ipv4 : this.lanes.ipv6;
    if (!l) return undefined;
    // Interval sets are looked up by the start of the range holding the address.
    let key = packKey(scratch, 0, l.W);
    if (l.interval) {
      const i = l.interval.find(scratch, 0, Date.now());
      if (i < 0) return undefined;
      key = packKey(l.interval.table.lo, i * l.W, l.W);
    } else if (l.hash!.get(scratch, 0, Date.now()) < 0) {
      return undefined;
    }
    let reply: DumpReply;
    try {
      reply = await this.nft.dump({ what: 'elements', family: l.target.family, table: l.target.table, set: l.target.set, keys: key, keyLen: l.W * 4 });
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
      throw e;
    }
    if (reply.what !== 'elements' || reply.items.count === 0) return undefined;
    const d = reply.items;
    return { packets: d.packets?.[0] ?? 0n, bytes: d.bytes?.[0] ?? 0n };
  }

  /** Waits for every queued and in-flight change. */
  async settle(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) await new Promise((r) => setImmediate(r));
    await this.lane;
  }
}

// -------------------------------------------------------------------- helpers

/** Whether a dump lists one element (key and interval flag) twice. */
function hasDuplicateKeys(keys: Uint8Array, flags: Uint32Array | undefined, count: number, keyLen: number): boolean {
  if (count < 2) return false;
  const seen = new Set<string>();
  const hex = Buffer.from(keys.buffer, keys.byteOffset, count * keyLen);
  for (let i = 0; i < count; i++) {
    const k = `${(flags?.[i] ?? 0) & SET_ELEM_F.intervalEnd ? 'e' : 's'}${hex.toString('latin1', i * keyLen, (i + 1) * keyLen)}`;
    if (seen.has(k)) return true;
    seen.add(k);
  }
  return false;
}

/**
 * A change split into transactions (`maxElementsPerTransaction`) of which the first
 * `transactionsApplied` committed and the next was refused (`cause`): those stay applied, and
 * the in-process copy holds them (it matches the kernel); the rest was not sent.
 */
export class BlocklistPartialError extends Error {
  override readonly name = 'BlocklistPartialError' as const;
  /** errno name of the refusal (from `cause`), e.g. 'ENFILE'. */
  readonly code: string | undefined;
  constructor(
    override readonly cause: unknown,
    readonly transactionsApplied: number,
    readonly transactions: number,
    /** Kernel elements in the applied transactions. */
    readonly elementsApplied: number,
  ) {
    const why = cause instanceof Error ? cause.message.replace(/;? ?nothing was applied\.?$/i, '') : String(cause);
    super(
      `Transaction ${transactionsApplied + 1} of ${transactions} was refused (${why}); transactions 1-${transactionsApplied} ` +
        `(${elementsApplied} elements) were applied and stay applied (the in-process copy holds them); the rest was not sent`,
    );
    this.code = (cause as { code?: string } | null)?.code;
  }
}

/** Whether the first row of a normalized table starts at the zero address. */
function startsAtZero(t: RangeTable): boolean {
  if (t.count === 0) return false;
  for (let w = 0; w < t.words; w++) if (t.lo[w] !== 0) return false;
  return true;
}

function flushOp(l: Lane): ElementsDesc {
  return { object: 'elements', verb: 'flush', ...l.target, count: 0, keyLen: l.W * 4, keys: new Uint8Array(0) };
}

/**
 * A string given to a Blocklist method is one entry, taken exactly as written: no trimming,
 * no comment, no second line (text goes in as bytes, a stream or an array of lines). The
 * same check runs with and without `coalesce`, so both modes accept and refuse the same.
 */
function singleEntryError(entry: string): BlocklistEntryError | null {
  const f = parseEntryBytes(entry, 0, entry.length);
  return f < 0 ? entryError(entry, f) : null;
}

/** The error for a single entry the parser refused with code `f`. */
function entryError(entry: string, f: number): BlocklistEntryError {
  return new BlocklistEntryError([{ index: 0, entry: entry.slice(0, 80), reason: parseErrorReason(f) }], 1);
}

/** The parser's source for `entries`: a single-entry string as a one-item list (errors name index 0). */
function source<T extends EntrySource>(entries: T | string): T | string[] {
  return typeof entries === 'string' ? [entries] : entries;
}

/** A copy of `t` whose expiry column is `exp` for every row (or no column). */
function withExpiry(t: RangeTable, withExp: boolean, exp: number): RangeTable {
  const out = t.trimmed(withExp);
  if (t.hi === t.lo) out.hi = out.lo; // a singles table stays one (normalize's fast path for IPv4)
  if (out.exp) out.exp.fill(exp);
  return out;
}

/** `t` as a singles table (hi === lo). */
function singles(t: RangeTable): RangeTable {
  const out = t.trimmed(false);
  out.hi = out.lo;
  return out;
}

/** Rows of normalized `to` equal to a row of normalized `from` take that row's expiry (the kernel keeps it). */
function keepExpiry(to: RangeTable, from: RangeTable): void {
  const W = to.words;
  let j = 0;
  for (let i = 0; i < to.count; i++) {
    while (j < from.count && (compareWords(from.lo, j * W, to.lo, i * W, W) < 0 || (compareWords(from.lo, j * W, to.lo, i * W, W) === 0 && compareWords(from.hi, j * W, to.hi, i * W, W) < 0))) j++;
    if (j < from.count && compareWords(from.lo, j * W, to.lo, i * W, W) === 0 && compareWords(from.hi, j * W, to.hi, i * W, W) === 0) to.exp![i] = from.exp![j]!;
  }
}

/** Whether row i of `rows` lies inside one range of normalized `t`. */
function covered(t: RangeTable, rows: RangeTable, i: number): boolean {
  const W = t.words;
  let l = 0;
  let h = t.count - 1;
  while (l <= h) {
    const m = (l + h) >>> 1;
    if (compareWords(t.lo, m * W, rows.lo, i * W, W) > 0) h = m - 1;
    else if (compareWords(t.hi, m * W, rows.lo, i * W, W) < 0) l = m + 1;
    else return compareWords(t.hi, m * W, rows.hi, i * W, W) >= 0;
  }
  return false;
}

/** Whether row i of `rows` overlaps any range of normalized `t`. */
function intersects(t: RangeTable, rows: RangeTable, i: number): boolean {
  const W = t.words;
  // first range with hi >= rows.lo
  let l = 0;
  let h = t.count;
  while (l < h) {
    const m = (l + h) >>> 1;
    if (compareWords(t.hi, m * W, rows.lo, i * W, W) < 0) l = m + 1;
    else h = m;
  }
  return l < t.count && compareWords(t.lo, l * W, rows.hi, i * W, W) <= 0;
}

function notFound(t: RangeTable, i: number, W: Words): RangeError {
  const a = formatWords(t.lo, i * W, W);
  const b = formatWords(t.hi, i * W, W);
  return new RangeError(`Expected ${a === b ? a : `${a}-${b}`} to be in the blocklist (strict delete); nothing was applied`);
}

function notFoundWords(words: Uint32Array, W: Words, o = 0): RangeError {
  const t = new RangeTable(W, 1);
  t.push(words, o, words, o + 4);
  return notFound(t, 0, W);
}

/** Splits ops so that no transaction carries more than `max` elements (undefined: one transaction). */
function splitOps(ops: ElementsDesc[], max: number | undefined): ElementsDesc[][] {
  if (max === undefined) return [ops];
  if (!Number.isInteger(max) || max < 2) throw new RangeError(`Expected maxElementsPerTransaction to be an integer >= 2 but received ${max}`);
  const out: ElementsDesc[][] = [];
  let cur: ElementsDesc[] = [];
  let n = 0;
  for (const op of ops) {
    let start = 0;
    while (start < op.count) {
      let take = Math.min(op.count - start, max - n);
      // never split an interval between its start and end element
      if (op.flags && take < op.count - start && take > 0 && (op.flags[start + take] ?? 0) !== 0) take--;
      if (take <= 0) {
        out.push(cur);
        cur = [];
        n = 0;
        continue;
      }
      cur.push(take === op.count && start === 0 ? op : sliceOp(op, start, start + take));
      n += take;
      start += take;
      if (n >= max) {
        out.push(cur);
        cur = [];
        n = 0;
      }
    }
    if (op.count === 0) cur.push(op);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

function sliceOp(op: ElementsDesc, a: number, b: number): ElementsDesc {
  return {
    ...op,
    count: b - a,
    keys: op.keys.subarray(a * op.keyLen, b * op.keyLen),
    ...(op.flags ? { flags: op.flags.subarray(a, b) } : {}),
    ...(op.timeoutsMs ? { timeoutsMs: op.timeoutsMs.subarray(a, b) } : {}),
  };
}

