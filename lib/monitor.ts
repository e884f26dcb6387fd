// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Ruleset events: every change committed by anyone in the namespace, decoded into the model
 * and grouped per transaction (the kernel ends each with a NEWGEN message naming the new
 * generation and the committing process). Delivered as an async iterator and as events.
 * Lost events (the socket's buffer overflowed) are reported, never hidden.
 */
import { EventEmitter } from 'node:events';
import { familyName } from './kernel';
import { binding, type NativeMonitor, type NativeMonitorEvent, type ChainData, type ElementsData, type ObjectData, type RuleData, type SetData, type TableData } from './native';
import { delinearizeRule, type DelinearizeSet } from './nft/delinearize';
import type { InterfaceResolver } from './nft/datatypes';
import { decodeElements } from './nft/elements';
import { procInterfaceResolver, withInterfaces } from './nft/interfaces';
import { chainFromData, chainIsBinding, objectFromData, setFromData as jsonSetFromData, tableFromData } from './nft/objects';
import type { JChain, JRule, JSet, JSetElem, JTable, NftFamily, NftObject } from './nft/schema';
import { checkInt, expected } from './validate';

type Op = 'add' | 'delete';
interface Origin {
  /** Netlink port id of the committing socket (compare with Nftables#portId to skip your own). */
  readonly portId: number;
}

/** One change of a transaction, decoded into nft's JSON model (as listTables/listChains/listSets/listObjects/listRules give them). */
export type RulesetChange = Origin &
  (
    | { readonly kind: 'table'; readonly op: Op; readonly table: JTable & { readonly handle: number } }
    | { readonly kind: 'chain'; readonly op: Op; readonly chain: JChain & { readonly handle: number } }
    /** The rule with its handle (a deleted rule's event carries no statements). */
    | { readonly kind: 'rule'; readonly op: Op; readonly rule: JRule & { readonly handle: number } }
    | {
        readonly kind: 'set';
        readonly op: Op;
        /** The named set or map; anonymous sets of rules (`__set%d`) have `anonymous: true` (their rules show them inline). */
        readonly set: JSet & { readonly handle: number };
        readonly anonymous: boolean;
      }
    | {
        readonly kind: 'elements';
        readonly op: Op;
        readonly set: { readonly family: NftFamily; readonly table: string; readonly name: string };
        /** As `nft -j list set` writes them; decoded when the set's declaration is known (listed at open, or seen in an earlier event). */
        readonly elem?: JSetElem[];
        readonly data: ElementsData;
      }
    | { readonly kind: 'object'; readonly op: Op; readonly object: NftObject }
    /** A message this package does not model (flowtables...): reported, not dropped. */
    | { readonly kind: 'other'; readonly type: number }
  );

/** A committed transaction: its changes in order, and who committed it. */
export interface MonitorTransaction {
  readonly type: 'transaction';
  /** The generation the transaction created. */
  readonly generation: number;
  /** The committing process (its pid and name as the kernel saw them). */
  readonly pid: number;
  readonly process: string;
  readonly portId: number;
  readonly changes: readonly RulesetChange[];
}

/** `meta nftrace set 1` packet traces (with { trace: true }). */
export interface TraceEvent {
  readonly type: 'trace';
  readonly id: number;
  readonly family?: string;
  readonly table?: string;
  readonly chain?: string;
  readonly handle?: bigint;
  /** rule, policy or return. */
  readonly traceType: 'rule' | 'policy' | 'return' | 'unspec';
  readonly verdict?: string;
  readonly jumpTarget?: string;
  readonly iif?: number;
  readonly oif?: number;
  readonly mark?: number;
  readonly networkHeader?: Uint8Array;
  readonly transportHeader?: Uint8Array;
}

/** Events were lost: the receive buffer overflowed (ENOBUFS). Re-read what you track. */
export interface LostEvent {
  readonly type: 'lost';
  /** kernel: the socket buffer overflowed; unread: more than maxBuffered events waited for the iterator; error: the socket failed. */
  readonly reason: 'kernel' | 'unread' | 'error';
}

export type MonitorEvent = MonitorTransaction | TraceEvent | LostEvent;

export interface MonitorOptions {
  /** Network namespace path, as for Nftables.open(). */
  readonly netns?: string;
  /** Also subscribe to packet traces (NFNLGRP_NFTRACE). @default false */
  readonly trace?: boolean;
  /** Receive buffer; bursts bigger than it are reported as lost. @default 16 MiB */
  readonly rcvbufBytes?: number;
  /** Events kept for the async iterator while nobody reads it; beyond, a lost event. @default 100000 */
  readonly maxBuffered?: number;
}

const TRACE_TYPES = ['unspec', 'policy', 'return', 'rule'] as const;
const VERDICTS: Record<number, string> = { 0: 'drop', 1: 'accept', 2: 'stolen', 3: 'queue', 4: 'repeat', [-1]: 'continue', [-2]: 'break', [-3]: 'jump', [-4]: 'goto', [-5]: 'return' };

/**
 * A subscription to ruleset changes. Iterate it (`for await (const ev of monitor)`) or listen
 * for 'transaction', 'trace' and 'lost'. close() stops it; the iterator then ends.
 * @example const m = await nft.monitor(); for await (const ev of m) if (ev.type === 'transaction') console.log(ev.process, ev.changes.length);
 */
export class Monitor extends EventEmitter implements AsyncIterable<MonitorEvent> {
  readonly #handle: NativeMonitor;
  #closed = false;
  #changes: RulesetChange[] = [];
  readonly #buffer: MonitorEvent[] = [];
  #waiter: ((r: IteratorResult<MonitorEvent>) => void) | undefined;
  readonly #maxBuffered: number;
  #overflowed = false;
  /** Sets as the kernel gave them (`family-number table name`): the key types rules' lookups decode with. */
  readonly #setData = new Map<string, SetData>();
  readonly #netns: string | undefined;
  /** Interface names of the namespace, read once per batch of events that has rules. */
  #ifnames: InterfaceResolver | undefined;
  /** Sets as rule decoding takes them, converted once until a set or element event changes them. */
  readonly #decodedSets = new Map<string, DelinearizeSet>();
  /** Anonymous sets (inline `{ 22, 80 }`) of the transaction being gathered: rules decode them inline. */
  #anon = new Map<string, { set: SetData; elements: ElementsData }>();

  private constructor(options: MonitorOptions) {
    super();
    if (options.netns !== undefined && (typeof options.netns !== 'string' || options.netns === '')) {
      throw expected('a namespace path such as /run/netns/NAME or /proc/PID/ns/net', 'netns', options.netns);
    }
    this.#maxBuffered = options.maxBuffered === undefined ? 100000 : checkInt(options.maxBuffered, 'maxBuffered', 1, 1e9);
    this.#netns = options.netns;
    try {
      this.#handle = binding().monitorOpen(
        {
          ...(options.netns !== undefined ? { netnsPath: options.netns } : {}),
          ...(options.rcvbufBytes !== undefined ? { rcvbufBytes: checkInt(options.rcvbufBytes, 'rcvbufBytes', 4096, 0x3fffffff) } : {}),
          ...(options.trace ? { trace: true } : {}),
        },
        (events) => this.#onEvents(events),
      );
    } catch (err) {
      const e = err as Error & { errno?: number; code?: string };
      if (e.errno === 1) e.message += ': monitoring needs CAP_NET_ADMIN in the target network namespace';
      throw e;
    }
  }

  /**
   * Subscribes (a socket of its own). Nftables#monitor() also lists the sets that exist now, so
   * that element events and rules' lookups of them decode; here only sets created after open do.
   */
  static open(options: MonitorOptions = {}): Monitor {
    return new Monitor(options);
  }

  /** @internal Sets as the kernel lists them: element events and rules' lookups decode with these (Nftables#monitor). */
  knowSetData(sets: readonly SetData[]): void {
    for (const s of sets) if (!this.#setData.has(`${s.family} ${s.table} ${s.name}`)) this.#setData.set(`${s.family} ${s.table} ${s.name}`, s);
  }

  get closed(): boolean {
    return this.#closed;
  }

  #onEvents(events: NativeMonitorEvent[]): void {
    this.#ifnames = undefined;
    for (const ev of events) {
      if (this.#closed) return;
      switch (ev.kind) {
        case 'gen':
          this.#deliver({
            type: 'transaction',
            generation: ev.generation ?? 0,
            pid: ev.pid ?? 0,
            process: ev.process ?? '',
            portId: ev.portId ?? 0,
            changes: this.#changes,
          });
          this.#changes = [];
          this.#anon = new Map();
          this.#decodedSets.clear();
          break;
        case 'lost':
          // The changes gathered so far may belong to a transaction whose other events (or
          // NEWGEN) were dropped: never hand them out as if they were a whole transaction.
          this.#changes = [];
          this.#anon = new Map();
          this.#decodedSets.clear();
          this.#deliver({ type: 'lost', reason: 'kernel' });
          break;
        case 'trace':
          this.#deliver(traceOf(ev));
          break;
        case 'error':
          // The socket failed: what follows cannot be trusted. Reported as lost events, and
          // as an 'error' event to those who listen for one.
          if (this.listenerCount('error') > 0) this.emit('error', new Error(`monitor: ${ev.message ?? 'socket error'}`));
          this.#deliver({ type: 'lost', reason: 'error' });
          break;
        default: {
          // A message that cannot be decoded is reported as 'other', never thrown from the
          // event loop callback (that would be an uncaught exception).
          let c: RulesetChange | undefined;
          try {
            c = this.#change(ev);
          } catch {
            c = { kind: 'other', type: ev.type ?? -1, portId: ev.portId ?? 0 };
          }
          if (c) this.#changes.push(c);
        }
      }
    }
  }

  #change(ev: NativeMonitorEvent): RulesetChange | undefined {
    const portId = ev.portId ?? 0;
    const op: Op = ev.op ?? 'add';
    if (ev.error !== undefined || ev.data === undefined) return ev.kind === 'other' ? { kind: 'other', type: ev.type ?? 0, portId } : undefined;
    switch (ev.kind) {
      case 'table': {
        const d = ev.data as TableData;
        if (!familyName(d.family)) return undefined;
        return { kind: 'table', op, table: tableFromData(d) as JTable & { readonly handle: number }, portId };
      }
      case 'chain': {
        const d = ev.data as ChainData;
        if (!familyName(d.family)) return undefined;
        if (chainIsBinding(d)) return undefined; // a bound chain: its rule shows it
        return { kind: 'chain', op, chain: chainFromData(d) as JChain & { readonly handle: number }, portId };
      }
      case 'rule': {
        const d = ev.data as RuleData;
        const family = familyName(d.family);
        if (!family) return undefined;
        if (d.exprs.length === 0) {
          // a deletion names the rule only (nothing to decode: no sets, no interface names)
          const { expr: _none, ...head } = delinearizeRule(d, { family, table: d.table, set: () => undefined }).rule as JRule & { readonly handle: number };
          return { kind: 'rule', op, rule: head, portId };
        }
        return { kind: 'rule', op, rule: this.#decodeRule(d, family), portId };
      }
      case 'set': {
        const d = ev.data as SetData;
        if (!familyName(d.family)) return undefined;
        this.#decodedSets.clear();
        const key = `${d.family} ${d.table} ${d.name}`;
        const known = this.#setData.get(key);
        // a deletion names the set only: convert what was known of it
        const conv = jsonSetFromData(op === 'delete' && known ? known : d);
        if (op === 'add' && conv.anonymous) this.#anon.set(key, { set: d, elements: { count: 0, keyLen: d.keyLen, keys: new Uint8Array(0), flags: new Uint32Array(0) } });
        if (op === 'add' && !conv.anonymous) this.#setData.set(key, d);
        if (op === 'delete') this.#setData.delete(key);
        const { elem: _elem, ...set } = conv.set;
        return { kind: 'set', op, set: { ...set, handle: Number(d.handle) } as JSet & { readonly handle: number }, anonymous: conv.anonymous, portId };
      }
      case 'elements': {
        const fam = familyName(ev.family ?? 0);
        if (!fam) return undefined;
        const set = { family: fam as NftFamily, table: ev.table ?? '', name: ev.set ?? '' };
        const key = `${ev.family ?? 0} ${set.table} ${set.name}`;
        const data = ev.data as ElementsData;
        const anon = op === 'add' ? this.#anon.get(key) : undefined;
        if (anon) anon.elements = concatElements(anon.elements, data);
        if (anon) this.#decodedSets.delete(key);
        const decl = this.#setData.get(key) ?? anon?.set;
        let elem: JSetElem[] | undefined;
        if (decl && data.count > 0) {
          try {
            elem = decodeElements(jsonSetFromData(decl).set, data);
          } catch {
            elem = undefined; // raw data stays available
          }
        }
        return { kind: 'elements', op, set, ...(elem ? { elem } : {}), data, portId };
      }
      case 'object': {
        const d = ev.data as ObjectData;
        if (!familyName(d.family)) return undefined;
        const o = objectFromData(d);
        return o ? { kind: 'object', op, object: o, portId } : { kind: 'other', type: ev.type ?? 0, portId };
      }
      default:
        return { kind: 'other', type: ev.type ?? 0, portId };
    }
  }

  /** A rule event's rule in nft's JSON model (never throws: undecodable expressions stay raw). */
  #decodeRule(d: RuleData, family: NonNullable<ReturnType<typeof familyName>>): JRule & { readonly handle: number } {
    const set = (name: string): DelinearizeSet | undefined => {
      const key = `${d.family} ${d.table} ${name}`;
      const cached = this.#decodedSets.get(key);
      if (cached) return cached;
      const anon = this.#anon.get(key);
      const raw = anon?.set ?? this.#setData.get(key);
      if (!raw) return undefined;
      const conv = jsonSetFromData(raw);
      let js = conv.set;
      if (anon && anon.elements.count > 0) {
        const elem = decodeElements(js, anon.elements);
        if (elem.length > 0) js = { ...js, elem };
      }
      const out: DelinearizeSet = { set: js, anonymous: conv.anonymous, keyLen: raw.keyLen, ...(raw.dataLen !== undefined ? { dataLen: raw.dataLen } : {}) };
      this.#decodedSets.set(key, out);
      return out;
    };
    return withInterfaces((this.#ifnames ??= procInterfaceResolver(this.#netns)), () => delinearizeRule(d, { family, table: d.table, set }).rule as JRule & { readonly handle: number });
  }

  #deliver(ev: MonitorEvent): void {
    this.emit(ev.type, ev);
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w({ value: ev, done: false });
      return;
    }
    if (this.#buffer.length >= this.#maxBuffered) {
      if (!this.#overflowed) this.#buffer.push({ type: 'lost', reason: 'unread' });
      this.#overflowed = true;
      return;
    }
    this.#overflowed = false;
    this.#buffer.push(ev);
  }

  /** Stops listening and closes the socket; a pending iteration ends. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    binding().monitorClose(this.#handle);
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
    this.emit('close');
  }

  [Symbol.asyncIterator](): AsyncIterator<MonitorEvent> {
    return {
      next: () => {
        const ev = this.#buffer.shift();
        if (ev) return Promise.resolve({ value: ev, done: false });
        if (this.#closed) return Promise.resolve({ value: undefined, done: true });
        if (this.#waiter) return Promise.reject(new Error('Only one iteration of a monitor at a time'));
        return new Promise((resolve) => (this.#waiter = resolve));
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

/** Element events come one element at a time: join the packed columns of two batches. */
function concatElements(a: ElementsData, b: ElementsData): ElementsData {
  if (a.count === 0) return b;
  const out: Record<string, unknown> = { count: a.count + b.count, keyLen: a.keyLen };
  const cols = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of cols) {
    if (k === 'count' || k === 'keyLen' || k === 'dataLen') continue;
    const x = (a as unknown as Record<string, unknown>)[k];
    const y = (b as unknown as Record<string, unknown>)[k];
    if (x === undefined || y === undefined) return a; // the batches differ in shape: keep what is whole
    if (Array.isArray(x) && Array.isArray(y)) out[k] = [...(x as unknown[]), ...(y as unknown[])];
    else if (ArrayBuffer.isView(x) && ArrayBuffer.isView(y)) {
      const C = (x as unknown as { constructor: new (n: number) => { set(v: ArrayLike<unknown>, o: number): void } }).constructor;
      const xl = (x as unknown as ArrayLike<unknown>).length;
      const r = new C(xl + (y as unknown as ArrayLike<unknown>).length);
      r.set(x as unknown as ArrayLike<unknown>, 0);
      r.set(y as unknown as ArrayLike<unknown>, xl);
      out[k] = r;
    }
  }
  if (a.dataLen !== undefined) out['dataLen'] = a.dataLen;
  return out as unknown as ElementsData;
}

function traceOf(ev: NativeMonitorEvent): TraceEvent {
  const verdict = ev.verdict === undefined ? undefined : VERDICTS[ev.verdict | 0] ?? String(ev.verdict | 0);
  const family = ev.family !== undefined ? familyName(ev.family) : undefined;
  return {
    type: 'trace',
    id: ev.id ?? 0,
    ...(family ? { family } : {}),
    ...(ev.table !== undefined ? { table: ev.table } : {}),
    ...(ev.chain !== undefined ? { chain: ev.chain } : {}),
    ...(ev.handle !== undefined ? { handle: ev.handle } : {}),
    traceType: TRACE_TYPES[ev.type ?? 0] ?? 'unspec',
    ...(verdict !== undefined ? { verdict } : {}),
    ...(ev.jumpTarget !== undefined ? { jumpTarget: ev.jumpTarget } : {}),
    ...(ev.iif !== undefined ? { iif: ev.iif } : {}),
    ...(ev.oif !== undefined ? { oif: ev.oif } : {}),
    ...(ev.mark !== undefined ? { mark: ev.mark } : {}),
    ...(ev.networkHeader ? { networkHeader: ev.networkHeader } : {}),
    ...(ev.transportHeader ? { transportHeader: ev.transportHeader } : {}),
  };
}
