// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Rule counters at kernel speed: one dump whose replies native code walks for nothing but each
 * rule's place, handle, comment and counter, delivered as packed columns (BigUint64Array). A
 * RuleCounter object is made only for the rules you look at.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { familyName, type Family } from './kernel';
import type { CountersData } from './native';
import type { TableRef } from './model/types';
import { checkInt, expected } from './validate';

/** One rule's counter. `comment` is the identity you gave the rule (its comment). */
export interface RuleCounter {
  readonly table: TableRef;
  readonly chain: string;
  readonly handle: bigint;
  readonly comment?: string;
  readonly packets: bigint;
  readonly bytes: bigint;
}

const utf8 = new TextDecoder();

/**
 * Every counted rule of a dump, in kernel order. Index with at(i), look up by handle or by
 * comment, or iterate; the columns (handles, packets, bytes) are there for bulk work.
 */
export class RuleCounters implements Iterable<RuleCounter> {
  /** Number of rules with a counter. */
  readonly size: number;
  readonly handles: BigUint64Array;
  readonly packets: BigUint64Array;
  readonly bytes: BigUint64Array;
  /** When the dump finished (performance.now() milliseconds), for rates. */
  readonly readAt: number;
  readonly #data: CountersData;
  readonly #places: ReadonlyArray<{ readonly table: TableRef; readonly chain: string } | undefined>;
  #byName: Map<string, number> | undefined;
  #byHandle: Map<string, number> | undefined;

  /** @internal Made by Nftables#ruleCounters(). */
  constructor(data: CountersData, readAt: number) {
    this.#data = data;
    this.size = data.count;
    this.handles = data.handles;
    this.packets = data.packets;
    this.bytes = data.bytes;
    this.readAt = readAt;
    this.#places = data.places.map((p) => {
      const family = familyName(p.family);
      return family ? { table: { family, name: p.table }, chain: p.chain } : undefined;
    });
  }

  /** The comment of rule i, if it has one. */
  comment(i: number): string | undefined {
    const d = this.#data;
    if (!((d.flags[i] ?? 0) & 1)) return undefined;
    return utf8.decode(d.names.subarray(i === 0 ? 0 : (d.nameEnds[i - 1] as number), d.nameEnds[i] as number));
  }

  /** Where rule i lives. */
  place(i: number): { readonly table: TableRef; readonly chain: string } {
    const p = this.#places[this.#data.place[i] as number];
    if (!p) throw new RangeError(`Expected a rule index 0-${this.size - 1} but received ${i}`);
    return p;
  }

  /** Rule i as an object. */
  at(i: number): RuleCounter {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) throw new RangeError(`Expected a rule index 0-${this.size - 1} but received ${i}`);
    const { table, chain } = this.place(i);
    const comment = this.comment(i);
    return { table, chain, handle: this.handles[i] as bigint, ...(comment !== undefined ? { comment } : {}), packets: this.packets[i] as bigint, bytes: this.bytes[i] as bigint };
  }

  /** Index of the first rule with this comment, or -1. */
  indexOfName(comment: string): number {
    if (!this.#byName) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.size; i++) {
        const c = this.comment(i);
        if (c !== undefined && !m.has(c)) m.set(c, i);
      }
      this.#byName = m;
    }
    return this.#byName.get(comment) ?? -1;
  }

  /**
   * Index of the rule with this handle, or -1. Handles are unique within a table: give the
   * table when the dump covered more than one.
   */
  indexOfHandle(handle: bigint | number, table?: TableRef): number {
    if (typeof handle === 'number') handle = BigInt(handle);
    if (!this.#byHandle) {
      const m = new Map<string, number>();
      for (let i = 0; i < this.size; i++) m.set(this.#key(i), i);
      this.#byHandle = m;
    }
    if (table) return this.#byHandle.get(`${table.family} ${table.name} ${handle}`) ?? -1;
    for (let i = 0; i < this.size; i++) if (this.handles[i] === handle) return i;
    return -1;
  }

  /** The rule with this comment (the identity you chose), if any. */
  byName(comment: string): RuleCounter | undefined {
    const i = this.indexOfName(comment);
    return i < 0 ? undefined : this.at(i);
  }

  /** The rule with this handle (in this table), if any. */
  byHandle(handle: bigint | number, table?: TableRef): RuleCounter | undefined {
    const i = this.indexOfHandle(handle, table);
    return i < 0 ? undefined : this.at(i);
  }

  /** A key unique across tables: "family table handle". */
  key(i: number): string {
    return this.#key(i);
  }

  #key(i: number): string {
    const { table } = this.place(i);
    return `${table.family} ${table.name} ${this.handles[i] as bigint}`;
  }

  /** Sum of every rule's packets and bytes. */
  total(): { readonly packets: bigint; readonly bytes: bigint } {
    let packets = 0n;
    let bytes = 0n;
    for (let i = 0; i < this.size; i++) {
      packets += this.packets[i] as bigint;
      bytes += this.bytes[i] as bigint;
    }
    return { packets, bytes };
  }

  *[Symbol.iterator](): Iterator<RuleCounter> {
    for (let i = 0; i < this.size; i++) yield this.at(i);
  }

  toArray(): RuleCounter[] {
    return [...this];
  }
}

/** A rule's counter with its movement since the previous sample. */
export interface RuleRate extends RuleCounter {
  /** "family table handle": stable across samples. */
  readonly key: string;
  readonly deltaPackets: bigint;
  readonly deltaBytes: bigint;
  readonly packetsPerSec: number;
  readonly bytesPerSec: number;
}

export interface RateSample {
  /** Milliseconds between the two dumps compared (0 for the first sample). */
  readonly elapsedMs: number;
  readonly rules: readonly RuleRate[];
  readonly counters: RuleCounters;
}

/**
 * Rates between two readings of the same rules. A rule that is new, or whose counter went
 * down (it was reset), counts from zero.
 */
export function ratesBetween(prev: RuleCounters | undefined, next: RuleCounters): RateSample {
  const elapsedMs = prev ? next.readAt - prev.readAt : 0;
  const seconds = elapsedMs / 1000;
  const rules: RuleRate[] = [];
  for (let i = 0; i < next.size; i++) {
    const r = next.at(i);
    const key = next.key(i);
    const j = prev ? prev.indexOfHandle(r.handle, r.table) : -1;
    let dp = 0n;
    let db = 0n;
    if (prev && j >= 0) {
      const pp = prev.packets[j] as bigint;
      const pb = prev.bytes[j] as bigint;
      dp = r.packets >= pp ? r.packets - pp : r.packets;
      db = r.bytes >= pb ? r.bytes - pb : r.bytes;
    } else if (prev) {
      dp = r.packets;
      db = r.bytes;
    }
    rules.push({ ...r, key, deltaPackets: dp, deltaBytes: db, packetsPerSec: seconds > 0 ? Number(dp) / seconds : 0, bytesPerSec: seconds > 0 ? Number(db) / seconds : 0 });
  }
  return { elapsedMs, rules, counters: next };
}

export interface RateOptions {
  /** Time between samples. @default 1000 */
  readonly intervalMs?: number;
  /** Stops the sampling (the iterator ends). */
  readonly signal?: AbortSignal;
}

/**
 * Reads the counters every `intervalMs` and yields each sample with per-rule packets/s and
 * bytes/s since the previous one (the first sample has zero rates). Ends when `signal` aborts
 * or the consumer breaks out of the loop.
 */
export async function* sampleRates(read: () => Promise<RuleCounters>, options: RateOptions = {}): AsyncGenerator<RateSample, void, undefined> {
  const intervalMs = options.intervalMs === undefined ? 1000 : checkInt(options.intervalMs, 'intervalMs', 1, 86_400_000);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw expected('an AbortSignal', 'signal', options.signal);
  let prev: RuleCounters | undefined;
  while (!options.signal?.aborted) {
    const next = await read();
    yield ratesBetween(prev, next);
    prev = next;
    try {
      await delay(intervalMs, undefined, options.signal ? { signal: options.signal } : {});
    } catch {
      return; // aborted
    }
  }
}

/** Counter and quota objects' values. */
export type ObjectCounter =
  | { readonly type: 'counter'; readonly table: TableRef; readonly name: string; readonly packets: bigint; readonly bytes: bigint; readonly comment?: string }
  | { readonly type: 'quota'; readonly table: TableRef; readonly name: string; readonly bytes: bigint; readonly used: bigint; readonly over?: boolean; readonly comment?: string };

/** Filter of counter reads. */
export interface CounterFilter {
  readonly family?: Family;
  readonly table?: string;
  readonly chain?: string;
  /** Read and zero atomically (Linux 6.6+). */
  readonly reset?: boolean;
}
