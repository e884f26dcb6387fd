// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The connection: one netlink socket, kept open for the connection's whole life, on which
 * transactions are committed and the ruleset is read. Operations on one connection run one at
 * a time, in call order.
 */
import { errnoName, familyName, type Family } from './kernel';
import { explainErrno, NftError, type OpFailure } from './errors';
import { binding, type AckData, type DumpErrorData, type DumpReply, type DumpRequest, type ElementsData, type ElementsDesc, type NativeGate, type NativePrepared, type NativeSocket, type PreparedElementsDesc, type SetData } from './native';
import { familyNumber, objectFromData } from './model/objects';
import { chainFromData as jsonChain, chainIsBinding, objectFromData as jsonObject, setFromData as jsonSet, tableFromData as jsonTable } from './nft/objects';
import { decodeElements } from './nft/elements';
import { arrayWithToJSON } from './nft/document';
import { elementsFromData, type ElementInfo } from './model/elements';
import type { Chain, ObjectSpec, Rule, SetSpec, Table, TableRef } from './model/types';
import { checkNoNul, nativeBatch, nativeBatchAsync, Transaction, type CommitResult, type OpRefs } from './transaction';
import { checkDumpRequest, checkFamily, checkName, checkOpDesc, expected } from './validate';
import { RuleCounters, sampleRates, type CounterFilter, type ObjectCounter, type RateOptions, type RateSample, type RuleCounter } from './counters';
import { OBJECT_TYPE } from './kernel';
import { Monitor, type MonitorOptions } from './monitor';
import { GenerationConflictError, checkGeneration, commitWithRetry, type RetryOptions } from './generation';
import * as nftJson from './nft/api';
import type { JsonListing } from './nft/listing';
import type { JChain, JSet, JSetElem, JTable, NftDocument, NftObject } from './nft/schema';
import type { ListedRule } from './nft/api';

export interface OpenOptions {
  /**
   * Network namespace to program, as a path: `/run/netns/NAME` or `/proc/PID/ns/net`.
   * Needs CAP_SYS_ADMIN to enter it and CAP_NET_ADMIN there. Default: the caller's namespace.
   */
  readonly netns?: string;
  /** Receive buffer for replies. @default 1 MiB */
  readonly rcvbufBytes?: number;
}

/** A listed table: nft's JSON table (`nft -j -a list tables`), with its handle. */
export type ListedTable = JTable & { readonly handle: number };
/** A listed chain: nft's JSON chain, with its handle (bound chains are listed inside their rule). */
export type ListedChain = JChain & { readonly handle: number };
/** A listed named set or map (`map` set): nft's JSON set without its elements (see listElements). */
export type ListedSet = JSet & { readonly handle: number };
/** A listed named object: nft's JSON object in its one-key wrapper (`{ counter: { … } }`, `{ "ct helper": { … } }`, …). */
export type ListedObject = NftObject;

export interface CommitOptions {
  /**
   * Commit only if the ruleset generation is still this one (from {@link Nftables.generation},
   * read before planning): otherwise the kernel refuses the whole batch and the commit rejects
   * with a GenerationConflictError. Checked by the kernel inside the batch, atomically.
   */
  readonly ifGeneration?: number;
  /**
   * @internal Pipelined writers (the Blocklist's group commit): send only if the commit that
   * signalled `after` (queued earlier on this connection) was applied, else reject with an
   * NftError of code ECANCELED and send nothing; `signal` records whether this one was applied.
   */
  readonly gate?: { readonly after?: NativeGate; readonly signal?: NativeGate };
}


const isDumpError = (r: DumpReply | DumpErrorData): r is DumpErrorData => 'errno' in r;

/**
 * One set's elements operation, parsed and checked once, for {@link Nftables.commitElementsSync}:
 * the fast path for single-entry updates (ban, unban) from latency-critical code.
 */
export class PreparedElements {
  /** @internal */
  readonly handle: NativePrepared;
  readonly desc: PreparedElementsDesc;
  /** @internal */
  constructor(handle: NativePrepared, desc: PreparedElementsDesc) {
    this.handle = handle;
    this.desc = desc;
  }
}

const NO_HANDLES: ReadonlyMap<number, bigint> = new Map();

export class Nftables {
  readonly #socket: NativeSocket;
  /** Settles when every operation queued so far has finished (never rejects). */
  #queue: Promise<unknown> = Promise.resolve();
  /**
   * While the last queued operation is a commit: settles once that commit is on the
   * connection's I/O thread. A commit queued next goes right behind it there (the thread sends
   * them one at a time, in order) instead of waiting for its answer to reach JavaScript.
   */
  #handedOff: Promise<void> | null = null;
  /** Asynchronous operations queued or running (see #checkIdle). */
  #inFlight = 0;
  #closed = false;
  /** Work that close() finishes first (e.g. a Blocklist's queued group commits). */
  readonly #beforeClose = new Set<() => Promise<unknown>>();
  readonly #stats = new Float64Array(2);
  /** The namespace path this connection was opened in, if any. */
  readonly netns: string | undefined;

  private constructor(socket: NativeSocket, netns: string | undefined) {
    this.#socket = socket;
    this.netns = netns;
  }

  /**
   * Opens a connection (a netlink socket) in this or another network namespace.
   * @example const nft = await Nftables.open(); // ... nft.close();
   * @throws Error with `errno` when the socket cannot be opened (EPERM: needs CAP_NET_ADMIN).
   */
  static async open(options: OpenOptions = {}): Promise<Nftables> {
    return Nftables.openSync(options);
  }

  /** Synchronous form of open(). */
  static openSync(options: OpenOptions = {}): Nftables {
    if (typeof options !== 'object' || options === null) throw expected('an options object', 'options', options);
    if (options.netns !== undefined && (typeof options.netns !== 'string' || options.netns === '' || options.netns.includes('\0'))) {
      throw expected('a namespace path such as /run/netns/NAME or /proc/PID/ns/net (no NUL characters)', 'netns', options.netns);
    }
    const b = binding();
    try {
      const socket = b.openSocket({
        ...(options.netns !== undefined ? { netnsPath: options.netns } : {}),
        ...(options.rcvbufBytes !== undefined ? { rcvbufBytes: options.rcvbufBytes } : {}),
      });
      return new Nftables(socket, options.netns);
    } catch (err) {
      const e = err as Error & { errno?: number; code?: string };
      if (e.errno !== undefined) {
        e.code = errnoName(e.errno);
        if (e.code === 'EPERM') e.message += ': entering another network namespace needs CAP_SYS_ADMIN there';
        if (e.code === 'ENOENT') e.message += ': no such network namespace';
      }
      throw e;
    }
  }

  /**
   * @internal Registers work that close() finishes before it closes (a Blocklist's queued
   * group commit registers here while it waits for its turn). Returns the unregister function.
   */
  beforeClose(fn: () => Promise<unknown>): () => void {
    this.#beforeClose.add(fn);
    return () => this.#beforeClose.delete(fn);
  }

  /** @internal A link between two commits of this connection (see CommitOptions.gate). */
  commitGate(): NativeGate {
    return binding().commitGate();
  }

  /** Netlink port id of this connection's socket: the owner of tables it creates with `owner`. */
  get portId(): number {
    return binding().portId(this.#socket);
  }

  /** Starts a transaction: queue operations, then `await tx.commit()`. */
  transaction(): Transaction {
    return new Transaction(
      (tx) => this.commit(tx),
      (tx) => this.commitSync(tx),
    );
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    const run = this.#queue.then(fn, fn).finally(() => this.#inFlight--);
    this.#queue = run.catch(() => undefined);
    this.#handedOff = null;
    return run;
  }

  /**
   * Queues a commit: `send(await batch)` hands it to the I/O thread once the operation ahead is
   * there too (a commit) or has finished (anything else); `finish` turns its answer into the
   * result. Commits reach the kernel in the order they were queued, as with #serial; what
   * changes is that the kernel can work on one while JavaScript reads the answer of the one
   * before.
   */
  #queueCommit<B, A, T>(batch: B | Promise<B>, send: (b: B) => Promise<A>, finish: (ack: A) => T | Promise<T>): Promise<T> {
    this.#inFlight++;
    const after = this.#handedOff ?? this.#queue;
    let handed: () => void = () => undefined;
    this.#handedOff = new Promise<void>((r) => (handed = r));
    const acked = after.then(async () => {
      try {
        return send(await batch);
      } finally {
        handed(); // the native call above has queued it (or it failed): the next may follow
      }
    });
    // Settles after the operation before it (whose answer may need a dump to explain a refusal),
    // so results arrive in the order the operations were queued.
    const before = this.#queue;
    const finished = acked.then(finish);
    const run = finished.then(
      (v) => before.then(() => v),
      (e: unknown) => before.then(() => Promise.reject(e)),
    );
    run.finally(() => this.#inFlight--).catch(() => undefined);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('The connection is closed');
  }

  /**
   * Sync calls never jump the queue: one started while asynchronous operations are queued or
   * running would run before them (or collide with the one in flight), so it is refused.
   */
  #checkIdle(method: string): void {
    this.#checkOpen();
    if (this.#inFlight > 0) {
      const e = new Error(
        `${method} was called while ${this.#inFlight} asynchronous operation${this.#inFlight > 1 ? 's are' : ' is'} queued or running on this connection; ` +
          'synchronous calls do not wait and never run ahead of queued ones: await them first, or use the asynchronous form',
      ) as Error & { code: string };
      e.code = 'EBUSY';
      throw e;
    }
  }

  /**
   * Commits a transaction atomically. On a kernel refusal, rejects with an NftError that names
   * the failing operation; nothing was applied.
   */
  commit(tx: Transaction, options: CommitOptions = {}): Promise<CommitResult> {
    this.#checkOpen();
    const genid = options.ifGeneration === undefined ? undefined : checkGeneration(options.ifGeneration, 'ifGeneration');
    const pending = tx.pending();
    // Small batches are packed now (errors throw at once, as before); big ones in slices that
    // yield to the event loop (a 10,000-rule commit must not stall the process).
    const big = pending.length > 512;
    const batch = big ? nativeBatchAsync(pending.slice(), genid) : nativeBatch(pending, genid);
    // Handled here and awaited below: a packing error must reject this commit, not the process.
    if (batch instanceof Promise) batch.catch(() => undefined);
    const stack = new Error();
    // An empty batch still carries the check: "nothing to do, and nobody changed anything".
    const empty = pending.length === 0 && genid === undefined;
    return this.#queueCommit(
      batch,
      (b) => (empty ? Promise.resolve(null) : binding().commit(this.#socket, b, options.gate?.after, options.gate?.signal)),
      async (ack) => {
        if (ack === null) return { batchBytes: 0, messages: 0, handles: new Map<number, bigint>() };
        try {
          return await this.#result(tx, ack, stack);
        } catch (e) {
          throw conflictOf(e, genid);
        }
      },
    );
  }

  /** Commits synchronously (blocks the event loop): for small latency-critical batches only. */
  commitSync(tx: Transaction, options: CommitOptions = {}): CommitResult {
    this.#checkIdle('commitSync()');
    const genid = options.ifGeneration === undefined ? undefined : checkGeneration(options.ifGeneration, 'ifGeneration');
    const pending = tx.pending();
    const batch = nativeBatch(pending, genid);
    if (pending.length === 0 && genid === undefined) return { batchBytes: 0, messages: 0, handles: new Map() };
    const ack = binding().commitSync(this.#socket, batch);
    const r = this.#resultSync(tx, ack);
    if (r instanceof NftError) {
      this.#diagnoseSync(tx, r);
      throw conflictOf(r, genid);
    }
    return r;
  }

  /**
   * Optimistic concurrency made easy: reads the generation, calls `plan(generation)` (which
   * reads what it needs and returns a transaction, or null for nothing to do), commits it with
   * `ifGeneration`, and on a conflict reads and plans again, up to `attempts` times (default 5).
   * @example await nft.commitWithRetry(async () => { const rules = await nft.listRules(f); return plan(rules); });
   * @throws GenerationConflictError when every attempt conflicted; NftError for other refusals.
   */
  commitWithRetry(
    plan: (generation: number) => Promise<Transaction | null> | Transaction | null,
    options: RetryOptions = {},
  ): Promise<{ readonly transaction: Transaction | null; readonly generation: number; readonly attempts: number }> {
    return commitWithRetry<Transaction>({ generation: () => this.generation(), commitAt: (tx, g) => this.commit(tx, { ifGeneration: g }) }, plan, options);
  }

  /**
   * Prepares a set for {@link Nftables.commitElementsSync}: family, table, set (or the batch-local
   * setId) and key length are checked once. Element-wide options (exprs) may be included.
   */
  prepareElements(desc: PreparedElementsDesc): PreparedElements {
    if (typeof desc !== 'object' || desc === null) throw expected('an elements descriptor { family, table, set, keyLen }', 'desc', desc);
    checkNoNul(desc, 'desc');
    const op: ElementsDesc = { ...desc, object: 'elements', verb: 'add', count: 0, keys: new Uint8Array(0) };
    checkOpDesc(op, 'desc');
    return new PreparedElements(binding().prepareElements(op), { ...desc });
  }

  /**
   * Commits one elements operation on a prepared set, synchronously (blocks the event loop for
   * the kernel's work: microseconds on a hash set). `keys` holds one or more packed keys of the
   * prepared length; `timeoutsMs` one timeout per key (0 = the set's default; a timed key also
   * carries its expiration, so re-adding a present key restarts its timeout). Same guarantees
   * and errors as {@link Nftables.commitSync}: atomic, NftError naming the operation on refusal.
   */
  commitElementsSync(prepared: PreparedElements, verb: 'add' | 'create' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs?: Float64Array): CommitResult {
    this.#checkIdle('commitElementsSync()');
    const out = this.#stats;
    const ack = binding().commitPreparedSync(this.#socket, prepared.handle, verb, keys, timeoutsMs, out);
    if (ack === null) return { batchBytes: out[0]!, messages: out[1]!, handles: NO_HANDLES };
    // Failed: describe it exactly as a transaction holding the same operation would be.
    const count = keys.length / prepared.desc.keyLen;
    const tx = this.transaction().push({ ...prepared.desc, object: 'elements', verb, count, keys, ...(timeoutsMs ? { timeoutsMs } : {}) });
    const r = this.#resultSync(tx, ack);
    if (r instanceof NftError) {
      this.#diagnoseSync(tx, r);
      throw r;
    }
    return r;
  }

  /**
   * The asynchronous form of {@link Nftables.commitElementsSync}: the same arguments, guarantees
   * and errors, queued like {@link Nftables.commit} (the event loop does not wait for the
   * kernel). The keys and timeouts are copied at the call: the buffers may be reused at once.
   * @example await nft.commitElements(prepared, 'add', Uint8Array.of(192, 0, 2, 1));
   * @throws NftError when the kernel refuses the operation (nothing was applied).
   */
  commitElements(prepared: PreparedElements, verb: 'add' | 'create' | 'delete' | 'destroy', keys: Uint8Array, timeoutsMs?: Float64Array): Promise<CommitResult> {
    this.#checkOpen();
    const stack = new Error();
    // Copied now: the caller may refill its buffers before the queue reaches this call.
    const k = keys.slice();
    const t = timeoutsMs?.slice();
    const out = new Float64Array(2);
    return this.#queueCommit(
      null,
      () => binding().commitPrepared(this.#socket, prepared.handle, verb, k, t, out),
      (ack) => {
        if (ack === null) return { batchBytes: out[0]!, messages: out[1]!, handles: NO_HANDLES };
        // Failed: describe it exactly as a transaction holding the same operation would be.
        const count = k.length / prepared.desc.keyLen;
        const tx = this.transaction().push({ ...prepared.desc, object: 'elements', verb, count, keys: k, ...(t ? { timeoutsMs: t } : {}) });
        return this.#result(tx, ack, stack);
      },
    );
  }

  async #result(tx: Transaction, ack: AckData, stack: Error): Promise<CommitResult> {
    const r = this.#resultSync(tx, ack);
    if (!(r instanceof NftError)) return r;
    await this.#diagnose(tx, r);
    r.stack = `${r.name}: ${r.message}\n${(stack.stack ?? '').split('\n').slice(1).join('\n')}`;
    throw r;
  }

  #resultSync(tx: Transaction, ack: AckData): CommitResult | NftError {
    const pending = tx.pending();
    if (ack.transportErrno !== 0) {
      const code = errnoName(ack.transportErrno);
      const msg =
        code === 'EMSGSIZE'
          ? `The transaction (${ack.batchBytes} bytes in ${ack.messages} messages) is larger than the socket send buffer allows (${ack.maxBatchBytes ?? 0} bytes); nothing was applied. Raise net.core.wmem_max, run with CAP_NET_ADMIN in the initial namespace, or split it into several transactions.`
          : code === 'ECANCELED'
            ? 'The transaction was not sent: the commit it was planned on was not applied; nothing was applied.'
            : `The transaction could not be sent (${code}); nothing was applied.`;
      return new NftError(msg, code, ack.transportErrno, -1);
    }
    if (ack.failures.length === 0) {
      const handles = new Map<number, bigint>();
      for (const [i, h] of ack.handles) handles.set(i, h);
      return { batchBytes: ack.batchBytes, messages: ack.messages, handles };
    }
    const failures: OpFailure[] = ack.failures.map((f) => {
      const operation = f.index >= 0 ? (pending[f.index]?.label ?? `operation ${f.index}`) : 'transaction';
      const reason = explainErrno(f.errno, operation);
      return {
        index: f.index,
        errno: f.errno,
        code: errnoName(f.errno),
        operation,
        message: `${operation}${f.index >= 0 ? ` (op ${f.index})` : ''}: ${reason}${f.message ? ` (kernel: ${f.message})` : ''}`,
        ...(f.message !== undefined ? { kernelMessage: f.message } : {}),
      };
    });
    const first = failures.find((f) => f.index >= 0) ?? (failures[0] as OpFailure);
    const more = failures.length > 1 ? ` (+${failures.length - 1} more failure${failures.length > 2 ? 's' : ''})` : '';
    return new NftError(`${first.message}; nothing was applied${more}`, first.code, first.errno, first.index, failures);
  }

  /** For ENOENT, find out what is missing (a dump costs far less than the rejected batch did). */
  async #diagnose(tx: Transaction, err: NftError): Promise<void> {
    const targets = this.#diagTargets(tx, err);
    if (targets.length === 0) return;
    const known = new Map<string, { chains: Set<string>; sets: Set<string> } | null>();
    for (const t of targets) {
      const key = `${t.table.family} ${t.table.name}`;
      if (known.has(key)) continue;
      known.set(key, await this.#tableContents(t.table));
    }
    this.#applyDiagnosis(tx, err, known);
  }

  #diagnoseSync(tx: Transaction, err: NftError): void {
    const targets = this.#diagTargets(tx, err);
    const known = new Map<string, { chains: Set<string>; sets: Set<string> } | null>();
    for (const t of targets) {
      const key = `${t.table.family} ${t.table.name}`;
      if (known.has(key)) continue;
      const fam = familyNumber(t.table.family);
      const tables = binding().dumpSync(this.#socket, { what: 'tables', family: fam });
      if (isDumpError(tables) || tables.what !== 'tables' || !tables.items.some((x) => x.name === t.table.name)) {
        known.set(key, null);
        continue;
      }
      const chains = binding().dumpSync(this.#socket, { what: 'chains', family: fam, table: t.table.name });
      const sets = binding().dumpSync(this.#socket, { what: 'sets', family: fam, table: t.table.name });
      known.set(key, {
        // (the kernel's chain dump does not filter by table)
        chains: new Set(!isDumpError(chains) && chains.what === 'chains' ? chains.items.filter((c) => c.table === t.table.name).map((c) => c.name) : []),
        sets: new Set(!isDumpError(sets) && sets.what === 'sets' ? sets.items.filter((x) => x.table === t.table.name).map((x) => x.name) : []),
      });
    }
    this.#applyDiagnosis(tx, err, known);
  }

  #diagTargets(tx: Transaction, err: NftError): OpRefs[] {
    const pending = tx.pending();
    return err.failures
      .filter((f) => f.code === 'ENOENT' && f.index >= 0)
      .map((f) => pending[f.index]?.refs)
      .filter((r): r is OpRefs => r !== undefined);
  }

  async #tableContents(table: TableRef): Promise<{ chains: Set<string>; sets: Set<string> } | null> {
    const fam = familyNumber(table.family);
    const tables = await binding().dump(this.#socket, { what: 'tables', family: fam });
    if (isDumpError(tables) || tables.what !== 'tables' || !tables.items.some((x) => x.name === table.name)) return null;
    const chains = await binding().dump(this.#socket, { what: 'chains', family: fam, table: table.name });
    const sets = await binding().dump(this.#socket, { what: 'sets', family: fam, table: table.name });
    return {
      // (the kernel's chain dump does not filter by table)
      chains: new Set(!isDumpError(chains) && chains.what === 'chains' ? chains.items.filter((c) => c.table === table.name).map((c) => c.name) : []),
      sets: new Set(!isDumpError(sets) && sets.what === 'sets' ? sets.items.filter((x) => x.table === table.name).map((x) => x.name) : []),
    };
  }

  #applyDiagnosis(tx: Transaction, err: NftError, known: Map<string, { chains: Set<string>; sets: Set<string> } | null>): void {
    const pending = tx.pending();
    // Objects created earlier in the same transaction count as existing.
    const created = new Set<string>();
    for (const p of pending) {
      const o = p.op;
      const fam = familyName(o.family);
      if (o.verb !== 'add' && o.verb !== 'create') continue;
      if (o.object === 'table') created.add(`table ${fam} ${o.name}`);
      if (o.object === 'chain') created.add(`chain ${fam} ${o.table} ${o.name}`);
      if (o.object === 'set') created.add(`set ${fam} ${o.table} ${o.name}`);
    }
    const failures = err.failures.map((f) => {
      const refs = f.code === 'ENOENT' && f.index >= 0 ? pending[f.index]?.refs : undefined;
      if (!refs) return f;
      const t = refs.table;
      const tl = `${t.family} ${t.name}`;
      const contents = known.get(tl);
      const has = (kind: 'chain' | 'set', name: string) =>
        created.has(`${kind} ${t.family} ${t.name} ${name}`) || (contents?.[kind === 'chain' ? 'chains' : 'sets'].has(name) ?? false);
      let why: string | undefined;
      if (contents === null && !created.has(`table ${tl}`)) why = `table ${tl} does not exist`;
      else if (refs.chain !== undefined && !has('chain', refs.chain)) why = `chain ${refs.chain} does not exist in table ${tl}`;
      else {
        const set = refs.sets?.find((s) => !has('set', s));
        const chain = refs.chains?.find((c) => !has('chain', c));
        if (set !== undefined) why = `set @${set} does not exist in table ${tl}`;
        else if (chain !== undefined) why = `jump/goto target chain ${chain} does not exist in table ${tl}`;
      }
      if (why === undefined) return f;
      return { ...f, message: `${f.operation} (op ${f.index}): ${why}${f.kernelMessage ? ` (kernel: ${f.kernelMessage})` : ''}` };
    });
    const first = failures.find((f) => f.index >= 0) ?? failures[0];
    if (!first) return;
    const more = failures.length > 1 ? ` (+${failures.length - 1} more failure${failures.length > 2 ? 's' : ''})` : '';
    err.message = `${first.message}; nothing was applied${more}`;
    (err as { failures: readonly OpFailure[] }).failures = failures;
  }

  /** Runs a raw native dump request (see DumpRequest); rejects with NftError on a kernel error. */
  dump(request: DumpRequest): Promise<DumpReply> {
    this.#checkOpen();
    checkNoNul(request, 'request');
    checkDumpRequest(request);
    const stack = new Error();
    return this.#serial(async () => {
      const r = await binding().dump(this.#socket, request);
      if (isDumpError(r)) {
        const e = dumpError(request, r);
        e.stack = `${e.name}: ${e.message}\n${(stack.stack ?? '').split('\n').slice(1).join('\n')}`;
        throw e;
      }
      return r;
    });
  }

  /** Synchronous raw dump (blocks the event loop). */
  dumpSync(request: DumpRequest): DumpReply {
    this.#checkIdle('dumpSync()');
    checkNoNul(request, 'request');
    checkDumpRequest(request);
    const r = binding().dumpSync(this.#socket, request);
    if (isDumpError(r)) throw dumpError(request, r);
    return r;
  }

  /** The ruleset generation id (bumped by every committed transaction). */
  async generation(): Promise<number> {
    const r = await this.dump({ what: 'gen' });
    return r.what === 'gen' ? r.items.id : 0;
  }

  /** Tables, in nft's JSON model (as `nft -j -a list tables` gives them). */
  async listTables(filter: { readonly family?: Family } = {}): Promise<ListedTable[]> {
    const r = await this.dump({ what: 'tables', ...famFilter(filter.family) });
    return r.what === 'tables' ? r.items.filter((t) => familyName(t.family) !== undefined).map((t) => jsonTable(t) as ListedTable) : [];
  }

  /** Chains, in nft's JSON model; the anonymous chains of `jump { … }` are left out (listRules shows them in their rule). */
  async listChains(filter: { readonly family?: Family; readonly table?: string } = {}): Promise<ListedChain[]> {
    const r = await this.dump({ what: 'chains', ...famFilter(filter.family), ...(filter.table !== undefined ? { table: checkName(filter.table, 'table') } : {}) });
    // The kernel's chain dump does not filter by table (nf_tables_dump_chains): filter here.
    const mine = (c: { family: number; table: string }): boolean => familyName(c.family) !== undefined && (filter.table === undefined || c.table === filter.table);
    return r.what === 'chains' ? r.items.filter((c) => mine(c) && !chainIsBinding(c)).map((c) => jsonChain(c) as ListedChain) : [];
  }

  /**
   * Named sets and maps, in nft's JSON model (every key and data type, typeof declarations,
   * flags and statements), without their elements; anonymous sets of rules are left out.
   * Never throws on what the kernel holds: a set that cannot be converted is left out (listJsonReport names it).
   */
  async listSets(filter: { readonly family?: Family; readonly table?: string } = {}): Promise<ListedSet[]> {
    const out: ListedSet[] = [];
    for (const d of await this.#setsRaw(filter)) {
      if (familyName(d.family) === undefined) continue;
      try {
        const c = jsonSet(d);
        if (!c.anonymous) out.push(c.set as ListedSet);
      } catch {
        // left out, as in listJson (which reports it)
      }
    }
    return out;
  }

  async #setsRaw(filter: { readonly family?: Family; readonly table?: string }): Promise<SetData[]> {
    const r = await this.dump({ what: 'sets', ...famFilter(filter.family), ...(filter.table !== undefined ? { table: checkName(filter.table, 'table') } : {}) });
    return r.what === 'sets' ? r.items.filter((d) => filter.table === undefined || d.table === filter.table) : [];
  }

  /** Named objects of every kind (counter, quota, limit, ct helper/timeout/expectation, synproxy, secmark), in nft's JSON model. */
  async listObjects(filter: { readonly family?: Family; readonly table?: string; readonly reset?: boolean } = {}): Promise<ListedObject[]> {
    const r = await this.dump({
      what: 'objects',
      ...famFilter(filter.family),
      ...(filter.table !== undefined ? { table: checkName(filter.table, 'table') } : {}),
      ...(filter.reset ? { reset: true } : {}),
    });
    if (r.what !== 'objects') return [];
    const out: ListedObject[] = [];
    for (const d of r.items) {
      if (filter.table !== undefined && d.table !== filter.table) continue;
      try {
        const o = jsonObject(d);
        if (o) out.push(o);
      } catch {
        // left out, as in listJson (which reports it)
      }
    }
    return arrayWithToJSON(out);
  }

  /** Raw packed elements of a set (see ElementsData); `keys` fetches only those keys. */
  async dumpElements(set: SetRef, options: { readonly keys?: Uint8Array; readonly keyLen?: number; readonly reset?: boolean } = {}): Promise<ElementsData> {
    const t = setTable(set);
    const r = await this.dump({
      what: 'elements',
      family: familyNumber(checkFamily(t.family, 'set.table.family')),
      table: checkName(t.name, 'set.table.name'),
      set: checkName(set.name, 'set.name'),
      ...(options.keys ? { keys: options.keys, keyLen: options.keyLen ?? 0 } : {}),
      ...(options.reset ? { reset: true } : {}),
    });
    if (r.what !== 'elements') throw new Error('unexpected dump reply');
    return r.items;
  }

  /**
   * Elements of a set. Of a set given in nft's JSON model (`{ family, table, name }`, e.g. from
   * listSets): its `elem` list as `nft -j list set` prints it (values, prefixes, ranges, map
   * data, timeouts, element statements), decoded with the kernel's own declaration of the set.
   * Of a typed SetSpec: typed elements (intervals as CIDRs or ranges). Dumping big sets is slow
   * in the kernel (quadratic): keep your own copy of what you wrote instead of reading it back.
   */
  async listElements(set: SetSpec): Promise<ElementInfo[]>;
  async listElements(set: { readonly family: Family; readonly table: string; readonly name: string }): Promise<JSetElem[]>;
  async listElements(set: SetSpec | { readonly family: Family; readonly table: string; readonly name: string }): Promise<ElementInfo[] | JSetElem[]> {
    if (typeof set === 'object' && set !== null && typeof set.table === 'string') {
      const t = setTable(set);
      const decl = (await this.#setsRaw({ family: t.family, table: t.name })).find((d) => d.name === set.name);
      if (!decl) throw new NftError(`list set ${t.family} ${t.name} ${set.name}: set ${set.name} does not exist in table ${t.family} ${t.name}`, 'ENOENT', 2, -1);
      const data = await this.dumpElements(set);
      return arrayWithToJSON(data.count === 0 ? [] : decodeElements(jsonSet(decl).set, data));
    }
    return elementsFromData(set as SetSpec, await this.dumpElements(set as SetSpec));
  }

  /**
   * Rules in nft's JSON model (`{ family, table, chain, handle, expr, comment? }`, as
   * `nft -j -a list ruleset` prints them), with their counter values. `reset: true` reads and
   * zeroes their counters and quotas atomically (Linux 6.6+). Never throws on what the kernel
   * holds: an undecodable rule keeps a `raw` statement (listJsonReport says which).
   * @example for (const r of await nft.listRules({ family: 'inet', table: 'fw', chain: 'input' })) console.log(r.handle, renderRule(r));
   */
  listRules(filter: nftJson.JsonRuleFilter = {}): Promise<ListedRule[]> {
    return nftJson.listRules(this, filter);
  }

  /**
   * Counter values of every rule with a `counter` statement (of a chain, a table or the whole
   * ruleset), read in one dump that decodes nothing else. `reset: true` reads and zeroes them
   * atomically (Linux 6.6+).
   */
  async counters(filter: CounterFilter = {}): Promise<RuleCounter[]> {
    return (await this.ruleCounters(filter)).toArray();
  }

  /**
   * Like counters(), packed: columns of handles, packets and bytes (BigUint64Array) with
   * lookups by handle and by comment. The fastest read; objects are made only on access.
   * @example const c = await nft.ruleCounters({ family: 'inet', table: 'fw', chain: 'input' }); c.byName('ssh')?.packets
   */
  ruleCounters(filter: CounterFilter = {}): Promise<RuleCounters> {
    this.#checkOpen();
    if (filter.chain !== undefined && filter.table === undefined) throw expected('a table together with chain', 'table', filter.table);
    const req = rulesRequest(filter);
    const stack = new Error();
    return this.#serial(async () => {
      const r = await binding().counters(this.#socket, req as { family?: number; table?: string; chain?: string; reset?: boolean });
      const at = performance.now();
      if ('errno' in r) {
        const e = dumpError(req, r);
        e.stack = `${e.name}: ${e.message}\n${(stack.stack ?? '').split('\n').slice(1).join('\n')}`;
        throw e;
      }
      return new RuleCounters(r, at);
    });
  }

  /** Values of named counter and quota objects; `reset: true` reads and zeroes them atomically. */
  async objectCounters(filter: { readonly family?: Family; readonly table?: string; readonly reset?: boolean } = {}): Promise<ObjectCounter[]> {
    const out: ObjectCounter[] = [];
    for (const objType of [OBJECT_TYPE.counter, OBJECT_TYPE.quota]) {
      const r = await this.dump({
        what: 'objects',
        ...famFilter(filter.family),
        ...(filter.table !== undefined ? { table: checkName(filter.table, 'table') } : {}),
        objType,
        ...(filter.reset ? { reset: true } : {}),
      });
      if (r.what !== 'objects') continue;
      for (const d of r.items) {
        const o = objectFromData(d);
        if (o?.type === 'counter') out.push({ type: 'counter', table: o.table, name: o.name, packets: o.packets ?? 0n, bytes: o.bytes ?? 0n, ...(o.comment !== undefined ? { comment: o.comment } : {}) });
        else if (o?.type === 'quota') out.push({ type: 'quota', table: o.table, name: o.name, bytes: o.bytes, used: o.used ?? 0n, ...(o.over ? { over: true } : {}), ...(o.comment !== undefined ? { comment: o.comment } : {}) });
      }
    }
    return out;
  }

  /**
   * Per-element counters of a set created with a counter on each element (`counter` in the
   * set's statements); `reset: true` reads and zeroes them atomically (Linux 6.6+).
   */
  async setCounters(set: SetSpec, options: { readonly reset?: boolean } = {}): Promise<Array<{ readonly key: ElementInfo['key']; readonly packets: bigint; readonly bytes: bigint }>> {
    const els = elementsFromData(set, await this.dumpElements(set, options.reset ? { reset: true } : {}));
    return els.map((e) => ({ key: e.key, packets: e.packets ?? 0n, bytes: e.bytes ?? 0n }));
  }

  /**
   * Samples the rule counters every `intervalMs` and yields per-rule packets/s and bytes/s.
   * @example for await (const s of nft.counterRates({ table: 'fw' }, { intervalMs: 1000, signal })) show(s.rules);
   */
  counterRates(filter: Omit<CounterFilter, 'reset'> = {}, options: RateOptions = {}): AsyncGenerator<RateSample, void, undefined> {
    return sampleRates(() => this.ruleCounters(filter), options);
  }

  /**
   * Subscribes to every ruleset change in this connection's namespace (by anyone), grouped
   * per transaction; see Monitor. The sets that exist now are listed first, so that element
   * events decode into typed elements.
   * @example const m = await nft.monitor(); for await (const ev of m) console.log(ev); // m.close() ends it
   */
  async monitor(options: Omit<MonitorOptions, 'netns'> = {}): Promise<Monitor> {
    this.#checkOpen();
    // Subscribe first, then list: a set created in between is seen in the events.
    const m = Monitor.open({ ...options, ...(this.netns !== undefined ? { netns: this.netns } : {}) });
    try {
      m.knowSetData(await this.#setsRaw({}));
    } catch (e) {
      m.close();
      throw e;
    }
    return m;
  }

  /**
   * The whole ruleset (or one family's, or one table's) as the document `nft -j list ruleset`
   * prints: nft's JSON model, the one model of this package (docs/json.md). Sets list their
   * elements; rules their counter values (bigint). Same as listJson().
   * @example renderRuleset(await nft.listRuleset({ family: 'inet', table: 'fw' })) // the text nft list table prints
   */
  listRuleset(filter: nftJson.JsonListFilter = {}): Promise<NftDocument> {
    return nftJson.listJson(this, filter);
  }

  /**
   * The ruleset as the document `nft -j list ruleset` prints (nft's JSON model; see docs/json.md).
   * 64-bit counters are bigint; write it with `toJsonText()`. Never throws on what the kernel holds:
   * rules it cannot decode keep a `raw` statement (see listJsonReport for which).
   * @example
   * const doc = await nft.listJson();
   * fs.writeFileSync('ruleset.json', toJsonText(doc));   // nft -j -f ruleset.json loads it
   */
  listJson(filter: nftJson.JsonListFilter = {}): Promise<NftDocument> {
    return nftJson.listJson(this, filter);
  }

  /** listJson() plus the rules it could not fully decode and the objects it left out. */
  listJsonReport(filter: nftJson.JsonListFilter = {}): Promise<JsonListing> {
    return nftJson.listJsonReport(this, filter);
  }

  /**
   * Commits an nft JSON document (what `nft -j list ruleset` prints, or add/create/insert/replace/
   * delete/destroy/flush/reset commands) as ONE transaction: all of it or nothing.
   * @throws TypeError naming the JSON path for an invalid document (nothing is sent); NftError
   *   naming the operation when the kernel refuses it.
   */
  commitJson(doc: NftDocument): Promise<CommitResult> {
    return nftJson.commitJson(this, doc);
  }

  /**
   * Closes the socket. Tables created with `owner` disappear with it. Operations still queued
   * finish first.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    // Queued work of a layer above (a Blocklist's coalesced calls) reaches the queue first.
    while (this.#beforeClose.size > 0) {
      for (const fn of [...this.#beforeClose]) {
        this.#beforeClose.delete(fn);
        await fn().catch(() => undefined);
      }
    }
    if (this.#closed) return;
    this.#closed = true;
    await this.#queue;
    binding().closeSocket(this.#socket);
  }

  /** Closes at once (an operation in flight finishes first, natively). */
  closeSync(): void {
    if (this.#closed) return;
    this.#closed = true;
    binding().closeSocket(this.#socket);
  }
}

/** A set named by a typed SetSpec (`{ table: { family, name }, name }`) or by nft's JSON model (`{ family, table, name }`). */
export type SetRef = { readonly table: TableRef; readonly name: string } | { readonly family: Family; readonly table: string; readonly name: string };

function setTable(set: SetRef): TableRef {
  if (typeof set !== 'object' || set === null) throw expected('a set { family, table, name }', 'set', set);
  return typeof set.table === 'string' ? { family: (set as { family: Family }).family, name: set.table } : set.table;
}

/** The GETRULE dump request shared by listRules() and counters(). */
function rulesRequest(filter: { readonly family?: Family; readonly table?: string; readonly chain?: string; readonly reset?: boolean }): DumpRequest {
  return {
    what: 'rules',
    ...famFilter(filter.family),
    ...(filter.table !== undefined ? { table: checkName(filter.table, 'table') } : {}),
    ...(filter.chain !== undefined ? { chain: checkName(filter.chain, 'chain') } : {}),
    ...(filter.reset ? { reset: true } : {}),
  };
}

/** A stale-generation refusal becomes a GenerationConflictError; anything else passes. */
function conflictOf(e: unknown, genid: number | undefined): unknown {
  if (genid === undefined || !(e instanceof NftError) || e.code !== 'ERESTART') return e;
  const c = new GenerationConflictError(genid, 1, e.failures);
  c.stack = `${c.name}: ${c.message}\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
  return c;
}

function famFilter(family: Family | undefined): { family?: number } {
  return family === undefined ? {} : { family: familyNumber(checkFamily(family, 'family')) };
}

function dumpError(request: DumpRequest, r: DumpErrorData): NftError {
  const code = errnoName(r.errno);
  const fam = 'family' in request && request.family !== undefined ? familyName(request.family) : undefined;
  const where = [fam, 'table' in request ? request.table : undefined].filter(Boolean).join(' ');
  let what: string;
  if (code === 'ENOENT') {
    what =
      request.what === 'elements'
        ? request.keys
          ? `an element looked up is not in set ${request.set} of table ${where}`
          : `set ${request.set} does not exist in table ${where}`
        : `table ${where} does not exist`;
  } else if (code === 'EPERM') {
    // nfnetlink checks CAP_NET_ADMIN on every message, reads included; the first one refused
    // is the snapshot bracket's, so the native step label says nothing useful here.
    return new NftError(`list ${request.what}${where ? ` ${where}` : ''}: operation not permitted: reading the ruleset needs CAP_NET_ADMIN in the target network namespace`, code, r.errno, -1);
  } else if (code === 'EAGAIN' && r.message) {
    // Not a kernel message: the snapshot retries ran out (native/netlink.cc RunDump).
    return new NftError(`list ${request.what}${where ? ` ${where}` : ''}: ${r.message}`, code, r.errno, -1);
  } else {
    what = explainErrno(r.errno, `list ${request.what}`);
  }
  return new NftError(`list ${request.what}${where ? ` ${where}` : ''}: ${what}${r.message ? ` (kernel: ${r.message})` : ''}`, code, r.errno, -1);
}

export type { Chain, ObjectSpec, Rule, SetSpec, Table, TableRef, RuleCounter };
