// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Safe apply for remote administration: try a new ruleset, keep it only if the caller confirms
 * before a deadline, otherwise go back to the previous one. The deadline is enforced by the
 * kernel (set element timeouts), not only by a JavaScript timer, and the trial ruleset lives in
 * a table owned by this process's netlink socket. See docs/safe-apply.md for the guarantees.
 *
 * How it works, for a live table T (say `inet fw`) and a candidate ruleset for T:
 *
 * 1. One atomic transaction, on a socket opened for this trial:
 *    - in T (if it exists): a set `__safe_apply_gate` holding one element with a short timeout
 *      (the lease, 5 s by default), and at the top of every base chain of T the rule "gate
 *      element present -> accept". While the element lives, T lets everything through to the
 *      next table.
 *    - a new table `T__trial` with the OWNER flag (owned by the trial socket), its own gate set
 *      with the same element and timeout, every base chain starting with "gate element absent
 *      -> accept", then the candidate's sets, chains and rules.
 *    So during the trial the candidate decides; once the elements time out, the kernel itself
 *    makes T decide again and the candidate a no-op, whatever this process is doing (running,
 *    hung, swapped out, dead).
 * 1b. While the trial runs, this process renews both elements in one transaction every third of
 *    the lease, never past the deadline. A renewal carries NFTA_SET_ELEM_EXPIRATION: re-adding
 *    an element with the same timeout alone does not move its expiry (Linux 6.18). A process
 *    that dies or stops running hands the decision back to T within one lease; one that comes
 *    back after its lease lapsed rolls back instead of renewing.
 * 2. confirm(): one atomic transaction: delete T, add T with the candidate's content (a plain
 *    table, no owner), delete T__trial. The gates go with the tables.
 * 3. rollback() (explicitly, or by the timer at the deadline): one atomic transaction: delete
 *    T__trial, remove the gate rules and set from T.
 * 4. Process death before confirming: the kernel deletes T__trial when the socket closes (OWNER
 *    table); T stays open (gated) until the lease runs out (at most leaseMs), then decides
 *    again. The leftover gate rules in T no longer match anything and the next safeApply()
 *    removes them.
 */
import type { ElementInput } from './model/elements';
import type { Rule, SetSpec, Table, TableRef } from './model/types';
import { Nftables } from './nftables';
import type { JStatement } from './nft/schema';
import { chainName, inTable, isBaseChain, isRule, isTable, jsonObjectOf, modelKind, tableOf, type ModelObject } from './transaction';
import { LOOKUP_F_INV, REG, TABLE_F } from './kernel';
import { familyNumber } from './model/objects';

/** Comment marking the gate rules this module inserts into the live table. */
export const GATE_COMMENT = 'safe-apply gate';
/** Name of the gate set in both tables. */
export const GATE_SET = '__safe_apply_gate';

/** Longest timer Node runs as asked (setTimeout clamps larger delays to 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Shortest lease: a renewal every third of it must fit between event loop turns. */
const MIN_LEASE_MS = 300;

export interface SafeApplyOptions {
  /** Milliseconds the candidate is on trial; at the deadline it is rolled back. @default 60000 */
  readonly deadlineMs?: number;
  /**
   * Longest time the kernel keeps the trial's gates open without hearing from this process: if
   * it dies or its event loop stops for this long, the previous ruleset decides again. Renewed
   * every third of it. At least 300; capped at deadlineMs. @default 5000
   */
  readonly leaseMs?: number;
  /** Suffix of the trial table's name. @default '__trial' */
  readonly trialSuffix?: string;
  /** Elements to load into the candidate's sets (in both the trial and the confirmed table). @default [] */
  readonly elements?: readonly { readonly set: SetSpec; readonly elements: readonly ElementInput[] }[];
  /** Network namespace to program (path), as in Nftables.open(). @default the caller's */
  readonly netns?: string;
  /** Called after an automatic rollback at the deadline (or with the error if it failed). @default undefined */
  readonly onRollback?: (error?: Error) => void;
}

export type SafeApplyState = 'trial' | 'confirmed' | 'rolled-back';

/** The gate set of a table: one `mark` element whose presence means "the trial decides". */
const gateSet = (t: TableRef): SetSpec => ({ table: t, name: GATE_SET, key: 'mark', flags: ['timeout'], size: 1 });

const GATE_KEY = new Uint8Array(new Uint32Array([1]).buffer); // mark 1 in host byte order, as the set stores it

/** "The gate element is (not) present": immediate 1 -> reg 1, lookup reg 1 in the gate set. */
function gateMatch(inverted: boolean): JStatement {
  return {
    raw: {
      exprs: [
        { type: 'immediate', dreg: REG.r1, data: GATE_KEY },
        { type: 'lookup', sreg: REG.r1, set: GATE_SET, flags: inverted ? LOOKUP_F_INV : 0 },
      ],
    },
  };
}
const ACCEPT: JStatement = { accept: null };
/** A gate rule of a chain: accept while the gate element is (not) present. */
const gateRule = (t: TableRef, chain: string, inverted: boolean): Rule => ({ family: t.family, table: t.name, chain, expr: [gateMatch(inverted), ACCEPT], comment: GATE_COMMENT });

const retarget = <T extends ModelObject>(o: T, table: TableRef): T => inTable(o, table);
/** A filter for the model objects of one kind (shorthand and JSON model alike). */
const ofKind = (k: ReturnType<typeof modelKind>) => (o: ModelObject): boolean => modelKind(o) === k;

/** A table of nft's JSON model as the shorthand (its flags and comment). */
function shorthandTable(o: ModelObject): Table {
  const b = (jsonObjectOf(o)?.body ?? {}) as { family: Table['family']; name: string; flags?: string | readonly string[]; comment?: string };
  const flags = b.flags === undefined ? [] : typeof b.flags === 'string' ? [b.flags] : b.flags;
  return {
    family: b.family,
    name: b.name,
    ...(flags.includes('dormant') ? { dormant: true } : {}),
    ...(flags.includes('owner') ? { owner: true } : {}),
    ...(flags.includes('persist') ? { persist: true } : {}),
    ...(b.comment !== undefined ? { comment: b.comment } : {}),
  };
}

/** A ruleset on trial; see the module comment and docs/safe-apply.md. */
export class SafeApply {
  #state: SafeApplyState = 'trial';
  #timer: NodeJS.Timeout | undefined;
  #busy: Promise<void> = Promise.resolve();
  /** Wall-clock time before which the kernel's gate elements are known to be alive. */
  #leaseUntil: number;
  readonly #leaseMs: number;
  readonly #onRollback: SafeApplyOptions['onRollback'];
  readonly #settled: Promise<SafeApplyState>;
  #resolve!: (s: SafeApplyState) => void;

  readonly #nft: Nftables;
  readonly #liveExisted: boolean;
  readonly #gateHandles: readonly { chain: string; handle: bigint }[];
  readonly #candidate: readonly ModelObject[];
  readonly #elements: SafeApplyOptions['elements'];
  /** The live table being replaced. */
  readonly table: Table;
  /** The trial table (owned by this trial's socket). */
  readonly trialTable: TableRef;
  /** Wall-clock time (ms since the epoch) after which confirm() refuses and the trial is rolled back. */
  readonly deadline: number;

  private constructor(i: {
    nft: Nftables;
    table: Table;
    trialTable: TableRef;
    deadline: number;
    leaseMs: number;
    leaseUntil: number;
    liveExisted: boolean;
    gateHandles: readonly { chain: string; handle: bigint }[];
    candidate: readonly ModelObject[];
    elements: SafeApplyOptions['elements'];
    onRollback: SafeApplyOptions['onRollback'];
  }) {
    this.#nft = i.nft;
    this.table = i.table;
    this.trialTable = i.trialTable;
    this.deadline = i.deadline;
    this.#liveExisted = i.liveExisted;
    this.#gateHandles = i.gateHandles;
    this.#candidate = i.candidate;
    this.#elements = i.elements;
    this.#leaseMs = i.leaseMs;
    this.#leaseUntil = i.leaseUntil;
    this.#onRollback = i.onRollback;
    this.#settled = new Promise((r) => (this.#resolve = r));
    this.#schedule();
  }

  /**
   * One timer at a time, never longer than a third of the lease (so also never beyond Node's
   * timer limit): at each tick, renew the gates or, at the deadline, roll back.
   */
  #schedule(): void {
    const now = Date.now();
    const delay = Math.min(Math.max(0, this.deadline - now), Math.floor(this.#leaseMs / 3), MAX_TIMER_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#exclusive(() => this.#tick()).catch(() => undefined);
    }, delay);
  }

  async #tick(): Promise<void> {
    if (this.#state !== 'trial') return;
    const now = Date.now();
    if (now >= this.deadline) return this.#autoRollback();
    if (this.#lapsed(now)) {
      return this.#autoRollback(new Error(`the trial's lease lapsed: this process did not renew its gates for ${now - this.#leaseUntil + this.#leaseMs} ms (lease ${this.#leaseMs} ms), so the previous ruleset had taken over; rolled back`));
    }
    try {
      await this.#renew(now);
    } catch (err) {
      return this.#autoRollback(err instanceof Error ? err : new Error(String(err)));
    }
    this.#schedule();
  }

  /** True when the kernel may already have expired the gates (with a margin for the commit). */
  #lapsed(now: number): boolean {
    return now >= this.#leaseUntil - Math.min(500, Math.floor(this.#leaseMs / 4));
  }

  /** Moves both gate elements' expiry to min(now + lease, deadline), in one transaction. */
  async #renew(now: number): Promise<void> {
    const left = Math.min(this.#leaseMs, this.deadline - now);
    if (left <= 0) return;
    // An expiration with the add: the kernel updates an existing element's expiry only when the
    // add carries NFTA_SET_ELEM_EXPIRATION or a different timeout (Linux 6.18).
    const el = [{ key: 1, timeoutMs: this.#leaseMs, expiresMs: left }];
    const tx = this.#nft.transaction();
    if (this.#liveExisted) tx.addElements(gateSet(this.table), el);
    tx.addElements(gateSet(this.trialTable), el);
    await this.#nft.commit(tx);
    this.#leaseUntil = now + left;
  }

  async #autoRollback(reason?: Error): Promise<void> {
    let error = reason;
    try {
      await this.#rollbackNow();
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    this.#onRollback?.(error);
  }

  /** trial, confirmed or rolled-back. */
  get state(): SafeApplyState {
    return this.#state;
  }

  /** Resolves with the final state once confirmed or rolled back. */
  get settled(): Promise<SafeApplyState> {
    return this.#settled;
  }

  /**
   * Starts a trial of `objects` (table, sets, named objects, chains, rules of ONE table) as the replacement of
   * that table. Resolves once the candidate is active.
   * @throws TypeError if the objects span several tables; NftError if the kernel refuses (nothing applied).
   */
  static async start(objects: readonly ModelObject[], options: SafeApplyOptions = {}): Promise<SafeApply> {
    const deadlineMs = options.deadlineMs ?? 60000;
    if (!Number.isSafeInteger(deadlineMs) || deadlineMs < 1) throw new RangeError(`Expected a positive integer of milliseconds for deadlineMs but received ${describe(deadlineMs)}`);
    const leaseOpt = options.leaseMs ?? 5000;
    if (!Number.isSafeInteger(leaseOpt) || leaseOpt < MIN_LEASE_MS) throw new RangeError(`Expected an integer of at least ${MIN_LEASE_MS} milliseconds for leaseMs but received ${describe(leaseOpt)}`);
    const leaseMs = Math.min(leaseOpt, deadlineMs);
    const refs = objects.map(tableOf);
    const first = refs[0];
    if (!first) throw new TypeError('Expected at least one model object to apply but received none');
    if (refs.some((r) => r.family !== first.family || r.name !== first.name)) {
      throw new TypeError(`Expected every object to belong to table ${first.family} ${first.name}; safeApply replaces one table`);
    }
    const given = objects.find((o) => modelKind(o) === 'table');
    const table: Table = given === undefined ? { family: first.family, name: first.name } : isTable(given) ? given : shorthandTable(given);
    if (table.owner) throw new TypeError('Expected a table without owner: the confirmed table must outlive this process');
    const trialTable: TableRef = { family: table.family, name: `${table.name}${options.trialSuffix ?? '__trial'}` };

    const nft = await Nftables.open(options.netns !== undefined ? { netns: options.netns } : {});
    try {
      const dumped = await nft.dump({ what: 'tables', family: familyNumber(table.family) });
      const tables = dumped.what === 'tables' ? dumped.items : [];
      const live = tables.find((t) => t.name === table.name);
      const trialExists = tables.find((t) => t.name === trialTable.name);
      const tx = nft.transaction();
      if (trialExists) {
        if (trialExists.flags & TABLE_F.owner) throw new Error(`Another safe apply of ${table.family} ${table.name} is in progress (trial table owned by netlink port ${String(trialExists.owner)})`);
        tx.delete(trialTable);
      }
      const gateIdx: { chain: string; index: number }[] = [];
      const gate = gateSet;
      if (live) {
        // Leftovers of a trial whose process died: its gate rules and set.
        const rules = await nft.listRules({ family: table.family, table: table.name });
        for (const r of rules) if (r.comment === GATE_COMMENT) tx.deleteRule(r);
        const sets = await nft.listSets({ family: table.family, table: table.name });
        if (sets.some((s) => s.name === GATE_SET)) tx.delete(gate(table));
        tx.addSet(gate(table)).addElements(gate(table), [{ key: 1, timeoutMs: leaseMs }]);
        const chains = (await nft.listChains({ family: table.family, table: table.name })).filter((c) => c.hook !== undefined);
        for (const c of chains) {
          gateIdx.push({ chain: c.name, index: tx.size });
          tx.insertRule(gateRule(table, c.name, false), { handle: true });
        }
      }
      const trial: Table = { family: trialTable.family, name: trialTable.name, owner: true };
      tx.addTable(trial).addSet(gate(trialTable)).addElements(gate(trialTable), [{ key: 1, timeoutMs: leaseMs }]);
      const chains = objects.filter(ofKind('chain'));
      for (const s of objects.filter(ofKind('set'))) tx.add(retarget(s, trialTable));
      for (const o of objects.filter(ofKind('object'))) tx.add(retarget(o, trialTable));
      for (const c of [...chains.filter((c) => !isBaseChain(c)), ...chains.filter(isBaseChain)]) tx.add(retarget(c, trialTable));
      for (const c of chains.filter(isBaseChain)) tx.addRule(gateRule(trialTable, chainName(c), true));
      for (const e of options.elements ?? []) tx.addElements(retarget(e.set, trialTable), e.elements);
      for (const r of objects.filter(isRule)) tx.addRule(retarget(r, trialTable));
      const started = Date.now();
      const result = await nft.commit(tx);
      const handles = gateIdx.map((g) => ({ chain: g.chain, handle: result.handles.get(g.index) ?? -1n }));
      return new SafeApply({ nft, table, trialTable, deadline: started + deadlineMs, leaseMs, leaseUntil: started + leaseMs, liveExisted: live !== undefined, gateHandles: handles, candidate: objects, elements: options.elements, onRollback: options.onRollback });
    } catch (err) {
      await nft.close();
      throw err;
    }
  }

  #exclusive(fn: () => Promise<void>): Promise<void> {
    const run = this.#busy.then(fn);
    this.#busy = run.catch(() => undefined);
    return run;
  }

  #finish(state: SafeApplyState): Promise<void> {
    this.#state = state;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#resolve(state);
    return this.#nft.close();
  }

  /**
   * Makes the candidate the live table (a plain table that outlives this process), atomically.
   * @throws Error if the deadline has passed (the trial is then rolled back) or the trial is over.
   */
  confirm(): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#state !== 'trial') {
        const late = this.#state === 'rolled-back' && Date.now() >= this.deadline ? ' (the deadline passed)' : '';
        throw new Error(`Cannot confirm: the trial is already ${this.#state}${late}`);
      }
      if (Date.now() >= this.deadline) {
        await this.#rollbackNow();
        throw new Error(`Cannot confirm: the deadline passed ${Date.now() - this.deadline} ms ago; the previous ruleset is back`);
      }
      if (this.#lapsed(Date.now())) {
        await this.#rollbackNow();
        throw new Error(`Cannot confirm: the trial's lease lapsed (this process did not renew its gates within ${this.#leaseMs} ms), so the previous ruleset had taken over; rolled back`);
      }
      const tx = this.#nft.transaction();
      if (this.#liveExisted) tx.delete(this.table);
      const objs = this.#candidate;
      tx.addTable({ ...this.table });
      for (const o of objs.filter(ofKind('set'))) tx.add(o);
      for (const o of objs.filter(ofKind('object'))) tx.add(o);
      const chains = objs.filter(ofKind('chain'));
      for (const c of [...chains.filter((c) => !isBaseChain(c)), ...chains.filter(isBaseChain)]) tx.add(c);
      for (const e of this.#elements ?? []) tx.addElements(e.set, e.elements);
      for (const r of objs.filter(isRule)) tx.add(r);
      tx.delete({ family: this.trialTable.family, name: this.trialTable.name });
      await this.#nft.commit(tx);
      await this.#finish('confirmed');
    });
  }

  /** Goes back to the previous ruleset now, atomically (also done automatically at the deadline). */
  rollback(): Promise<void> {
    return this.#exclusive(() => (this.#state === 'trial' ? this.#rollbackNow() : Promise.resolve()));
  }

  async #rollbackNow(): Promise<void> {
    const tx = this.#nft.transaction();
    tx.delete({ family: this.trialTable.family, name: this.trialTable.name });
    if (this.#liveExisted) {
      for (const g of this.#gateHandles) if (g.handle >= 0n) tx.deleteRule({ family: this.table.family, table: this.table.name, chain: g.chain, handle: g.handle });
      tx.delete({ table: this.table, name: GATE_SET, key: 'mark' } as SetSpec);
    }
    try {
      await this.#nft.commit(tx);
    } finally {
      // Even if the transaction failed (the live table was changed meanwhile), closing the
      // socket deletes the owned trial table, and the live table's gate expires by itself.
      await this.#finish('rolled-back');
    }
  }
}

const describe = (v: unknown): string => (typeof v === 'number' ? String(v) : typeof v === 'string' ? JSON.stringify(v) : typeof v);

/**
 * Applies `objects` (one table's tables, sets, chains and rules) on trial: the previous content
 * of that table comes back automatically at the deadline unless confirm() is called first.
 * @example
 * const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [22] })), { deadlineMs: 30000 });
 * // ...check that you can still log in, then:
 * await trial.confirm();
 */
export function safeApply(objects: readonly ModelObject[], options: SafeApplyOptions = {}): Promise<SafeApply> {
  return SafeApply.start(objects, options);
}
