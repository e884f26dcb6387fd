// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * A transaction: an ordered list of operations committed as one atomic netlink batch. The
 * kernel applies all of it or none of it. Nothing is sent until commit().
 */
import { LIMITS, familyName, type Family } from './kernel';
import type { Expr } from './expr/registry';
import { binding, type BatchDesc, type ElementsDesc, type OpDesc, type RuleDesc } from './native';
import { packBatch, packBatchAsync, packExprs } from './packed';
import { chainDesc, checkTableRef, familyNumber, objectDesc, setDesc, tableDesc } from './model/objects';
import { elementsDesc, elementsDescAsync, type ElementInput } from './model/elements';
import type { Chain, ObjectSpec, Rule, SetSpec, Table, TableRef } from './model/types';
import { checkExprLimits } from './expr/validate';
import { checkName, checkOpDesc, expected } from './validate';
import { addJson as addJsonOps } from './nft/api';
import { buildDocument, type BuiltOp, type KernelView } from './nft/build';
import { validateDocument } from './nft/document';
import { linearizeRule } from './nft/linearize';
import { NFT_OBJECT_KINDS, type JChain, type JRule, type JSet, type JSetElem, type JTable, type NftDocument, type NftFamily, type NftObject, type NftObjectKind } from './nft/schema';

/** What a committed transaction reports. */
export interface CommitResult {
  /** Size of the batch in bytes and number of netlink messages. */
  readonly batchBytes: number;
  readonly messages: number;
  /** Kernel handles of rules added with `{ handle: true }`, by operation index. */
  readonly handles: ReadonlyMap<number, bigint>;
}

/**
 * Anything the transaction can add: rules, and tables, chains, sets, maps and named objects in
 * nft's JSON model (what listTables/listChains/listSets/listObjects return: bare JTable, JChain,
 * JSet, or any object in its one-key wrapper `{ counter: { … } }`), or in the typed shorthand
 * (Table, Chain, SetSpec, ObjectSpec: what the presets and the Blocklist use).
 */
export type ModelObject = Table | Chain | SetSpec | ObjectSpec | JsonRule | JsonObject;

/** A table, chain, set or map of nft's JSON model, or any object in its one-key wrapper. */
export type JsonObject = JTable | JChain | JSet | NftObject;

/**
 * The JSON model's object kind and body of a model object that is not typed shorthand: a chain,
 * set or map (`table` is a name), a table with JSON `flags`, or a one-key wrapper. Rules are told
 * apart before (isRule).
 */
export function jsonObjectOf(o: unknown): { kind: NftObjectKind; body: Record<string, unknown> } | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return undefined;
  const r = o as Record<string, unknown>;
  const keys = Object.keys(r);
  if (keys.length === 1 && (NFT_OBJECT_KINDS as readonly string[]).includes(keys[0]!)) {
    const body = r[keys[0]!];
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { kind: keys[0] as NftObjectKind, body: body as Record<string, unknown> };
  }
  if ('expr' in r || 'statements' in r) return undefined;
  if (typeof r['table'] === 'string') {
    if ('map' in r) return { kind: 'map', body: r };
    // a set's type is a datatype (or typeof); a chain's type (filter, nat, route) comes with its hook
    if ('type' in r && !('hook' in r)) return { kind: 'set', body: r };
    return { kind: 'chain', body: r };
  }
  if (!('table' in r) && 'flags' in r) return { kind: 'table', body: r };
  return undefined;
}

export interface RuleOptions {
  /** Learn the rule's kernel handle (echoed back; see CommitResult.handles). */
  readonly handle?: boolean;
}

/**
 * A rule in nft's JSON model (docs/json.md): `{ family, table, chain, expr: [statements],
 * comment? }`, the object `nft -j` prints in `{ "rule": … }` and what the builders in
 * lib/match return statements for. `handle` (replaceRule) may be a bigint or a number.
 */
export type JsonRule = Rule;

/** Options of rules in the JSON model that refer to named sets. */
export interface JsonRuleOptions {
  /**
   * Named sets/maps the rule refers to (`@name`) that are not defined in the same transaction
   * (by addSet/create/addJson): a lookup needs the set's key type, as in nft.
   */
  readonly sets?: readonly JSet[];
}

/** Whether an object is a rule of nft's JSON model (`{ family, table, chain, expr }`). */
export const isJsonRule = (r: unknown): r is JsonRule => typeof r === 'object' && r !== null && 'expr' in r;

interface Pending {
  readonly op: OpDesc;
  /** nft words for error messages: "add rule inet fw input". */
  readonly label: string;
  /** Objects the operation refers to, for diagnosing ENOENT. */
  readonly refs?: OpRefs;
}

export interface OpRefs {
  readonly table: TableRef;
  readonly chain?: string;
  readonly sets?: readonly string[];
  readonly chains?: readonly string[];
}

const tableLabel = (t: TableRef) => `${t.family} ${t.name}`;

/** Most elements one addElements()/deleteElements() call takes (split bigger loads). */
export const MAX_ELEMENTS_PER_CALL = 2 ** 24;
/** A guard against absurd arrays before any work; the kernel limit (LIMITS.ruleExprs) is checked after compiling. */
const MAX_STATEMENTS = 65536;

function checkModelObject(obj: unknown, field: string): asserts obj is ModelObject {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw expected('a model object (table, chain, set, named object or rule)', field, obj);
}

/** A dense array of at most `max` items (a sparse or huge array is refused before any work). */
function checkList(v: unknown, what: string, field: string, max: number, holes = true): asserts v is readonly unknown[] {
  if (!Array.isArray(v)) throw expected(`an array of ${what}`, field, v);
  if (v.length > max) throw new RangeError(`Expected at most ${max} ${what} for ${field} but received an array of ${v.length}`);
  if (holes) for (let i = 0; i < v.length; i++) if (!(i in v)) throw expected(`an array of ${what} without holes`, `${field}[${i}]`, undefined);
}

/**
 * Refuses a string holding a NUL anywhere in a native descriptor: C sees it as the end of the
 * string, so "a\0b" would name another table, set or namespace. Walks plain objects and arrays;
 * byte columns (typed arrays) are data and may hold anything.
 */
export function checkNoNul(v: unknown, field: string, depth = 0): void {
  if (typeof v === 'string') {
    if (v.includes('\0')) throw expected('a string without NUL characters', field, v);
    return;
  }
  if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v) || depth > 8) return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'string' || (typeof x === 'object' && x !== null)) checkNoNul(x, `${field}[${i}]`, depth + 1);
    }
    return;
  }
  for (const k of Object.keys(v)) checkNoNul((v as Record<string, unknown>)[k], `${field}.${k}`, depth + 1);
}

/**
 * The native batch of queued operations (every commit path and the dry run): rules packed into
 * one buffer (lib/packed.ts, which refuses NUL in their strings), the rest as descriptors.
 */
export function nativeBatch(pending: readonly { readonly op: OpDesc }[], genid?: number): BatchDesc {
  const ops = new Array<OpDesc>(pending.length);
  for (let i = 0; i < pending.length; i++) {
    const op = pending[i]!.op;
    if (op.object !== 'rule') checkNoNul(op, `ops[${i}]`);
    ops[i] = op;
  }
  return packBatch(ops, genid);
}

/** nativeBatch in slices that yield to the event loop (async commits of big transactions). */
export function nativeBatchAsync(pending: readonly { readonly op: OpDesc }[], genid?: number): Promise<BatchDesc> {
  const ops = new Array<OpDesc>(pending.length);
  for (let i = 0; i < pending.length; i++) {
    const op = pending[i]!.op;
    if (op.object !== 'rule') checkNoNul(op, `ops[${i}]`);
    ops[i] = op;
  }
  return packBatchAsync(ops, genid);
}

/** Type guards over the model objects (they are plain data, told apart by their fields). */
export const isRule = (o: ModelObject): o is JsonRule => 'expr' in o || 'statements' in o;
/** Typed shorthand objects (SetSpec, ObjectSpec, Chain, Table); jsonObjectOf tells JSON-model objects. */
export const isSet = (o: ModelObject): o is SetSpec => 'key' in o && jsonObjectOf(o) === undefined;
export const isObject = (o: ModelObject): o is ObjectSpec => 'type' in o && 'table' in o && !isRule(o) && jsonObjectOf(o) === undefined;
export const isChain = (o: ModelObject): o is Chain => 'table' in o && !isRule(o) && !isSet(o) && !isObject(o) && jsonObjectOf(o) === undefined;
export const isTable = (o: ModelObject): o is Table => !('table' in o) && jsonObjectOf(o) === undefined;
/** What a model object is, shorthand or JSON model alike (`set` includes maps; `object` the named objects). */
export function modelKind(o: ModelObject): 'table' | 'chain' | 'set' | 'object' | 'rule' {
  if (isRule(o)) return 'rule';
  const j = jsonObjectOf(o);
  if (j) return j.kind === 'table' || j.kind === 'chain' || j.kind === 'rule' ? j.kind : j.kind === 'set' || j.kind === 'map' ? 'set' : 'object';
  if (isSet(o)) return 'set';
  if (isObject(o)) return 'object';
  if (isChain(o)) return 'chain';
  return 'table';
}
/** A base chain (attached to a hook), shorthand or JSON model. */
export function isBaseChain(o: ModelObject): boolean {
  const j = jsonObjectOf(o);
  if (j) return j.kind === 'chain' && j.body['hook'] !== undefined;
  return isChain(o) && o.base !== undefined;
}
/** A chain's name, shorthand or JSON model. */
export const chainName = (o: ModelObject): string => (jsonObjectOf(o)?.body['name'] ?? (o as Chain).name) as string;

/** A set named in nft's JSON model (`table` is a name) rather than a typed SetSpec. */
const isJsonSet = (s: SetSpec | JSet): s is JSet => typeof s === 'object' && s !== null && typeof (s as { table?: unknown }).table === 'string';
/** The table an object belongs to (objects of the JSON model name it by family and name). */
export function tableOf(o: ModelObject): TableRef {
  if (isJsonRule(o)) return { family: o.family as Family, name: o.table };
  const j = jsonObjectOf(o);
  if (j) return { family: j.body['family'] as Family, name: (j.kind === 'table' ? j.body['name'] : j.body['table']) as string };
  if (isTable(o)) return { family: o.family, name: o.name };
  return (o as { readonly table: TableRef }).table;
}
/** The object moved to another table of the same family (a rule or object of the JSON model too). */
export function inTable<T extends ModelObject>(o: T, table: TableRef): T {
  if (isJsonRule(o)) return { ...o, family: table.family, table: table.name } as T;
  const j = jsonObjectOf(o);
  if (j) {
    const body = j.kind === 'table' ? { ...j.body, family: table.family, name: table.name } : { ...j.body, family: table.family, table: table.name };
    return (j.body === (o as unknown) ? body : { [j.kind]: body }) as unknown as T;
  }
  return { ...o, table } as T;
}

/** Where a compiled rule goes: its table, chain and (replace) handle. */
interface RulePlace {
  readonly table: TableRef;
  readonly chain: string;
  readonly handle?: bigint;
}

/** Collects references made by rule expressions (sets looked up, chains jumped to). */
function ruleRefs(rule: RulePlace, exprs: readonly Expr[]): OpRefs {
  const sets = new Set<string>();
  const chains = new Set<string>();
  for (const e of exprs) {
    // Anonymous sets (__set%d, and the placeholders of compiled rules) are the batch's own.
    if ((e.type === 'lookup' || e.type === 'dynset') && e.set !== undefined && !e.set.startsWith('__set')) sets.add(e.set);
    if (e.type === 'objref' && e.setName !== undefined && !e.setName.startsWith('__set')) sets.add(e.setName);
    if (e.type === 'immediate' && e.chain !== undefined) chains.add(e.chain);
  }
  return { table: rule.table, chain: rule.chain, sets: [...sets], chains: [...chains] };
}

interface CompiledRule {
  readonly rule: RulePlace;
  /** JSON-model rules: the operations before the rule (anonymous sets and their elements, bound chains and their rules), with placeholder batch ids. */
  readonly pre?: readonly BuiltOp[];
  /** Frozen (lib/packed.ts caches the packed bytes of frozen lists). */
  readonly exprs: readonly Expr[];
  readonly userdata: Uint8Array | undefined;
  readonly refs: OpRefs;
}

/** A rule operation without position, handle or echo. */
const NO_EXTRA: Partial<Pick<RuleDesc, 'handle' | 'position' | 'echo'>> = Object.freeze({});
/** The queued operation of a compiled rule without batch ids of its own, frozen: transactions share it. */
function queuedRule(c: CompiledRule, verb: RuleDesc['verb']): Pending {
  const r = c.rule;
  const op: RuleDesc = { object: 'rule', verb, family: familyNumber(r.table.family), table: r.table.name, chain: r.chain, exprs: c.exprs, ...(c.userdata ? { userdata: c.userdata } : {}) };
  return Object.freeze({ op: Object.freeze(op), label: `${verb} rule ${tableLabel(r.table)} ${r.chain}`, refs: c.refs });
}

/** Thrown by compileJsonOnce's fast-path context when the rule needs batch operations of its own. */
const NEEDS_BATCH = Symbol('needs batch operations');

/** Placeholder batch ids of a prepared JSON rule's anonymous sets and bound chains (remapped per transaction). */
const JSON_PLACEHOLDER_BASE = 0xffe00000;
const isPlaceholder = (id: unknown): id is number => typeof id === 'number' && id >= JSON_PLACEHOLDER_BASE && id < 0xfff00000;

const setKeyOf = (family: string, table: string, name: string): string => `${family} ${table} ${name}`;

/** The JSON model's view of a typed-model set (for lookups of rules in the JSON model). */
function jsonSetOf(s: SetSpec): JSet {
  return {
    family: s.table.family as NftFamily,
    table: s.table.name,
    name: s.name,
    type: typeof s.key === 'string' ? s.key : [...s.key],
    ...(s.map !== undefined ? { map: s.map } : {}),
    ...(s.flags !== undefined && s.flags.length > 0 ? { flags: [...s.flags] } : {}),
  };
}

/**
 * Compiles a rule of the JSON model through lib/nft (linearizeRule, with nft's anonymous sets
 * and bound chains in the same batch): the same code path as Nftables#commitJson.
 */
function compileJsonOnce(rule: JsonRule, sets: (family: NftFamily, table: string, name: string) => JSet | undefined): CompiledRule {
  if (typeof rule !== 'object' || rule === null) throw expected('a rule { family, table, chain, expr }', 'rule', rule);
  if ('statements' in rule && !('expr' in rule)) {
    throw new TypeError('Expected a rule of nft\'s JSON model { family, table, chain, expr: [statements] } for rule but received a rule with `statements`: the typed statement model was replaced by nft\'s JSON model (docs/json.md; the helpers of lib/match build its statements)');
  }
  checkTableRef({ family: rule.family, name: rule.table }, 'rule');
  checkName(rule.chain, 'rule.chain');
  checkList(rule.expr, 'statements', 'rule.expr', MAX_STATEMENTS);
  if (rule.handle !== undefined && typeof rule.handle !== 'bigint' && !(typeof rule.handle === 'number' && Number.isSafeInteger(rule.handle) && rule.handle >= 0)) {
    throw expected('a rule handle (bigint or non-negative integer)', 'rule.handle', rule.handle);
  }
  let next = JSON_PLACEHOLDER_BASE;
  const jrule: JRule = { family: rule.family, table: rule.table, chain: rule.chain, expr: rule.expr, ...(rule.comment !== undefined ? { comment: rule.comment } : {}) };
  const doc: NftDocument = { nftables: [{ add: { rule: jrule } }] };
  let built: BuiltOp[];
  let op: { exprs?: readonly Expr[]; userdata?: Uint8Array };
  try {
    validateDocument(doc);
    // Fast path: linearizeRule alone, for the rules that need nothing else in the batch; a rule
    // with anonymous sets or bound chains goes through buildDocument, which queues them.
    try {
      op = linearizeRule(jrule, {
        family: rule.family as Family,
        table: rule.table,
        set: (name) => sets(rule.family, rule.table, name),
        assumeSets: true,
        anonSet: () => {
          throw NEEDS_BATCH;
        },
        bindChain: () => {
          throw NEEDS_BATCH;
        },
      });
      built = [];
    } catch (e) {
      if (e !== NEEDS_BATCH) throw e;
      const all = buildDocument(doc, { set: sets, assumeSets: true }, { nextSetId: () => next++ }).ops;
      const last = all[all.length - 1];
      if (last === undefined || last.op.object !== 'rule') throw new Error('internal: a rule compiled to no rule operation');
      op = last.op as RuleDesc;
      built = all.slice(0, -1);
    }
  } catch (e) {
    // The document's path; the caller passed a rule.
    if (e instanceof Error) e.message = e.message.replace(/nftables\[0\]\.add\.rule\.?/g, 'rule.');
    throw e;
  }
  const exprs = (op.exprs ?? []) as Expr[];
  checkExprLimits(exprs, 'rule.expr', LIMITS.ruleExprs, 'a rule (each statement compiles to one or more)');
  for (const e of exprs) Object.freeze(e);
  Object.freeze(exprs);
  const table: TableRef = { family: rule.family as TableRef['family'], name: rule.table };
  const handle = rule.handle === undefined ? undefined : BigInt(rule.handle);
  const pre = built;
  for (const b of pre) if (b.op.object !== 'rule') checkNoNul(b.op, 'rule');
  return {
    rule: { table, chain: rule.chain, ...(handle !== undefined ? { handle } : {}) },
    ...(pre.length > 0 ? { pre } : {}),
    exprs,
    userdata: op.userdata,
    refs: ruleRefs({ table, chain: rule.chain }, exprs),
  };
}

/** Exprs with placeholder batch ids (setId, chainId) replaced; nested expression lists too. */
function remapIds(exprs: readonly Expr[], ids: ReadonlyMap<number, number>): readonly Expr[] {
  let changed = false;
  const out = exprs.map((e) => {
    const r = e as unknown as Record<string, unknown>;
    let o: Record<string, unknown> | undefined;
    for (const k of ['setId', 'chainId'] as const) {
      const v = r[k];
      if (isPlaceholder(v) && ids.has(v)) (o ??= { ...r })[k] = ids.get(v);
    }
    if (Array.isArray(r['exprs'])) {
      const inner = remapIds(r['exprs'] as readonly Expr[], ids);
      if (inner !== r['exprs']) (o ??= { ...r })['exprs'] = inner;
    }
    if (!o) return e;
    changed = true;
    return Object.freeze(o) as unknown as Expr;
  });
  return changed ? Object.freeze(out) : exprs;
}

/** An operation of a prepared JSON rule with this transaction's batch ids. */
function remapOp(op: OpDesc, ids: ReadonlyMap<number, number>): OpDesc {
  const o = { ...op } as Record<string, unknown>;
  for (const k of ['id', 'setId', 'chainId'] as const) {
    const v = o[k];
    if (isPlaceholder(v) && ids.has(v)) o[k] = ids.get(v);
  }
  if (Array.isArray(o['exprs'])) o['exprs'] = remapIds(o['exprs'] as readonly Expr[], ids);
  return o as unknown as OpDesc;
}

/**
 * A rule compiled once, to queue in any number of transactions without compiling it again
 * (presets, rules re-applied on every reload): `tx.addRule(prepared)`. Its anonymous sets get
 * fresh names and batch ids in each transaction. Made by {@link prepareRule}.
 */
export class PreparedRule {
  /** @internal */
  readonly compiled: CompiledRule;
  /**
   * @internal The operation a transaction queues for it, per verb, made once and shared (a
   * rule without batch ids of its own; the add is made with the rule).
   */
  readonly queued: Partial<Record<RuleDesc['verb'], Pending>> = {};
  /** @internal */
  constructor(compiled: CompiledRule) {
    this.compiled = compiled;
    if (compiled.pre === undefined) this.queued.add = queuedRule(compiled, 'add');
    Object.freeze(this);
  }
  get table(): TableRef {
    return this.compiled.rule.table;
  }
  get chain(): string {
    return this.compiled.rule.chain;
  }
  /** The expressions it compiled to (anonymous sets named by placeholders). */
  get exprs(): readonly Expr[] {
    return this.compiled.exprs;
  }
}

/**
 * Compiles a rule once (validation included: throws as addRule would) for reuse across
 * transactions. The result does not follow later changes to the rule object.
 */
export function prepareRule(rule: JsonRule, options?: JsonRuleOptions): PreparedRule {
  // (options is not an object when prepareRule is a map() callback.)
  const c = compileJsonOnce(rule, setsLookup(undefined, typeof options === 'object' && options !== null ? options : {}));
  // Packed now, once: each commit of it copies these bytes (a rule with anonymous sets or bound
  // chains gets new ids per transaction, so its list is rewritten and packed then).
  if (c.pre === undefined) packExprs(c.exprs);
  return new PreparedRule(c);
}

/** Named sets for a JSON rule: the options' first, then the transaction's own. */
function setsLookup(own: ReadonlyMap<string, JSet> | undefined, options: JsonRuleOptions): (family: NftFamily, table: string, name: string) => JSet | undefined {
  const given = options.sets;
  if (given !== undefined) checkList(given, 'sets', 'options.sets', MAX_STATEMENTS);
  return (family, table, name) => {
    if (given) for (const s of given) if (s.family === family && s.table === table && s.name === name) return s;
    return own?.get(setKeyOf(family, table, name));
  };
}

/** What the rule operations take: a rule of nft's JSON model, or one prepared. */
export type AnyRule = JsonRule | PreparedRule;

/** A rule handle given as a bigint or a safe non-negative integer, as a bigint. */
function handleOf(h: unknown, field: string): bigint {
  if (typeof h === 'bigint' && h >= 0n && h < 2n ** 64n) return h;
  if (typeof h === 'number' && Number.isSafeInteger(h) && h >= 0) return BigInt(h);
  throw expected('a rule handle (a bigint or a non-negative integer)', field, h);
}

function ruleHandle(rule: AnyRule): bigint | undefined {
  if (rule instanceof PreparedRule) return rule.compiled.rule.handle;
  if (typeof rule !== 'object' || rule === null) return undefined;
  const h = rule.handle;
  return typeof h === 'number' && Number.isSafeInteger(h) ? BigInt(h) : (h as bigint | undefined);
}

export class Transaction {
  readonly #ops: Pending[] = [];
  #nextId = 1;
  /** Sets created in this transaction: elements added to them carry the batch-local set id. */
  readonly #setIds = new Map<string, number>();
  /** Sets defined in this transaction, as the JSON model sees them (lookups of JSON rules). */
  readonly #jsonSets = new Map<string, JSet>();
  readonly #commit: (tx: Transaction) => Promise<CommitResult>;
  readonly #commitSync: (tx: Transaction) => CommitResult;

  /** @internal Created by Nftables#transaction(). */
  constructor(commit: (tx: Transaction) => Promise<CommitResult>, commitSync: (tx: Transaction) => CommitResult) {
    this.#commit = commit;
    this.#commitSync = commitSync;
  }

  /** Number of queued operations. */
  get size(): number {
    return this.#ops.length;
  }

  /** @internal The native descriptors and labels, in order. */
  pending(): readonly Pending[] {
    return this.#ops;
  }

  /** `checked`: built here from validated parts (compiled rules and their anonymous sets). */
  #push(op: OpDesc, label: string, refs?: OpRefs, checked = false): this {
    if (!checked) checkOpDesc(op, 'op');
    this.#ops.push(refs ? { op, label, refs } : { op, label });
    return this;
  }

  /** Adds any model object (table, chain, set, named object or rule); existing objects are kept. */
  add(obj: ModelObject, options: RuleOptions = {}): this {
    checkModelObject(obj, 'object');
    if (isRule(obj)) return this.addRule(obj, options);
    const j = jsonObjectOf(obj);
    if (j) return this.#json('add', j);
    if (isSet(obj)) return this.addSet(obj);
    if (isObject(obj)) return this.addObject(obj);
    if (isChain(obj)) return this.addChain(obj);
    return this.addTable(obj as Table);
  }

  /** Adds several model objects in order. */
  addAll(objs: Iterable<ModelObject>): this {
    if (typeof objs !== 'object' || objs === null || typeof (objs as { [Symbol.iterator]?: unknown })[Symbol.iterator] !== 'function') {
      throw expected('an iterable of model objects', 'objects', objs);
    }
    if (Array.isArray(objs)) checkList(objs, 'model objects', 'objects', Number.MAX_SAFE_INTEGER);
    for (const o of objs) this.add(o);
    return this;
  }

  /** Like add(), but fails with EEXIST if the object already exists (tables, chains, sets, objects). */
  create(obj: Table | Chain | SetSpec | ObjectSpec | JsonObject): this {
    checkModelObject(obj, 'object');
    const j = jsonObjectOf(obj);
    if (j) return this.#json('create', j);
    if (isSet(obj)) {
      const id = this.#nextId++;
      this.#setIds.set(`${obj.table.family} ${obj.table.name} ${obj.name}`, id);
      this.#jsonSets.set(setKeyOf(obj.table.family, obj.table.name, obj.name), jsonSetOf(obj));
      return this.#push(setDesc(obj, 'create', id), `create set ${tableLabel(obj.table)} ${obj.name}`);
    }
    if (isObject(obj)) return this.#push(objectDesc(obj, 'create'), `create ${obj.type} ${tableLabel(obj.table)} ${obj.name}`);
    if (isChain(obj)) return this.#push(chainDesc(obj, 'create'), `create chain ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
    return this.#push(tableDesc(obj as Table, 'create'), `create table ${tableLabel(obj as Table)}`);
  }

  addTable(table: Table): this {
    return this.#push(tableDesc(table, 'add'), `add table ${tableLabel(table)}`);
  }

  addChain(chain: Chain): this {
    return this.#push(chainDesc(chain, 'add'), `add chain ${tableLabel(chain.table)} ${chain.name}`, { table: chain.table });
  }

  addSet(set: SetSpec): this {
    const id = this.#nextId++;
    this.#setIds.set(`${set.table.family} ${set.table.name} ${set.name}`, id);
    const op = setDesc(set, 'add', id);
    this.#jsonSets.set(setKeyOf(set.table.family, set.table.name, set.name), jsonSetOf(set));
    return this.#push(op, `add ${set.map ? 'map' : 'set'} ${tableLabel(set.table)} ${set.name}`, { table: set.table });
  }

  addObject(obj: ObjectSpec): this {
    return this.#push(objectDesc(obj, 'add'), `add ${obj.type} ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
  }

  #rule(rule: AnyRule, verb: RuleDesc['verb'], extra: Partial<Pick<RuleDesc, 'handle' | 'position' | 'echo'>>, options: JsonRuleOptions): this {
    if (rule instanceof PreparedRule && extra === NO_EXTRA && rule.compiled.pre === undefined) {
      // A prepared rule queued as it is (no position, handle or batch ids of its own): its
      // operation is made once per verb and shared by every transaction that queues it.
      this.#ops.push((rule.queued[verb] ??= queuedRule(rule.compiled, verb)));
      return this;
    }
    const c = rule instanceof PreparedRule ? rule.compiled : compileJsonOnce(rule as JsonRule, setsLookup(this.#jsonSets, options));
    const r = c.rule;
    const family = familyNumber(r.table.family);
    let exprs = c.exprs;
    if (c.pre !== undefined) {
      // This transaction's batch ids for the rule's anonymous sets and bound chains.
      const ids = new Map<number, number>();
      const fresh = (v: unknown): void => {
        if (isPlaceholder(v) && !ids.has(v)) ids.set(v, this.#nextId++);
      };
      for (const { op } of c.pre) {
        const o = op as unknown as Record<string, unknown>;
        fresh(o['id']);
        fresh(o['setId']);
        fresh(o['chainId']);
      }
      for (const { op, label } of c.pre) this.#push(remapOp(op, ids), label, { table: r.table }, true);
      exprs = remapIds(exprs, ids);
    }
    const label = `${verb} rule ${tableLabel(r.table)} ${r.chain}`;
    const op: RuleDesc = { object: 'rule', verb, family, table: r.table.name, chain: r.chain, exprs, ...(c.userdata ? { userdata: c.userdata } : {}), ...extra };
    return this.#push(op, label, c.refs, true);
  }

  /** Appends a rule to its chain (after the rule with handle `after`, if given). */
  addRule(rule: AnyRule, options: RuleOptions & JsonRuleOptions & { readonly after?: bigint | number } = {}): this {
    if (options.after === undefined && !options.handle) return this.#rule(rule, 'add', NO_EXTRA, options);
    return this.#rule(rule, 'add', { ...(options.after !== undefined ? { position: handleOf(options.after, 'options.after') } : {}), ...(options.handle ? { echo: true } : {}) }, options);
  }

  /** Inserts a rule at the top of its chain (before the rule with handle `before`, if given). */
  insertRule(rule: AnyRule, options: RuleOptions & JsonRuleOptions & { readonly before?: bigint | number } = {}): this {
    return this.#rule(rule, 'insert', { ...(options.before !== undefined ? { position: handleOf(options.before, 'options.before') } : {}), ...(options.handle ? { echo: true } : {}) }, options);
  }

  /** Replaces the rule with `rule.handle` (or `handle`) by this one. */
  replaceRule(rule: AnyRule, handle: bigint | number | undefined = ruleHandle(rule), options: RuleOptions & JsonRuleOptions = {}): this {
    if (handle === undefined) throw expected('the handle of the rule to replace', 'replaceRule handle', handle);
    return this.#rule(rule, 'replace', { handle: handleOf(handle, 'replaceRule handle'), ...(options.handle ? { echo: true } : {}) }, options);
  }

  /** Deletes the rule with this handle (a listed rule, or `{ family, table, chain, handle }`). */
  deleteRule(rule: { readonly family: Family | NftFamily; readonly table: string; readonly chain: string; readonly handle?: bigint | number } | PreparedRule, verb: 'delete' | 'destroy' = 'delete'): this {
    if (typeof rule !== 'object' || rule === null) throw expected('a rule { family, table, chain, handle }', 'rule', rule);
    const place = rule instanceof PreparedRule ? { table: rule.table, chain: rule.chain } : { table: { family: rule.family as Family, name: rule.table }, chain: rule.chain };
    if (!(rule instanceof PreparedRule) && typeof rule.table !== 'string') throw expected('a table name (rules are nft\'s JSON model: { family, table, chain, handle })', 'rule.table', rule.table);
    checkTableRef(place.table, 'rule');
    checkName(place.chain, 'rule.chain');
    const h = ruleHandle(rule);
    if (h === undefined) throw expected('the handle of the rule to delete', 'rule.handle', (rule as { handle?: unknown }).handle);
    const handle = handleOf(h, 'rule.handle');
    return this.#push(
      { object: 'rule', verb, family: familyNumber(place.table.family), table: place.table.name, chain: place.chain, handle },
      `${verb} rule ${tableLabel(place.table)} ${place.chain} handle ${handle}`,
      { table: place.table, chain: place.chain },
    );
  }

  /** Deletes a table, chain, set or object (recursively: with everything it contains). */
  delete(obj: ModelObject): this {
    return this.#remove(obj, 'delete');
  }

  /** Deletes a table, chain, set or object if it exists (Linux 6.3+); no error if absent. */
  destroy(obj: ModelObject): this {
    return this.#remove(obj, 'destroy');
  }

  #remove(obj: ModelObject, verb: 'delete' | 'destroy'): this {
    checkModelObject(obj, 'object');
    if (isRule(obj)) return this.deleteRule(obj, verb);
    const j = jsonObjectOf(obj);
    if (j) {
      // delete by name (or handle); a listed set's elements are not part of the command
      const { elem: _elem, ...body } = j.body;
      return this.#json(verb, { kind: j.kind, body });
    }
    if (isSet(obj)) return this.#push(setDesc(obj, verb), `${verb} set ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
    if (isObject(obj)) return this.#push(objectDesc(obj, verb), `${verb} ${obj.type} ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
    if (isChain(obj)) return this.#push(chainDesc(obj, verb), `${verb} chain ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
    const t = obj as Table;
    return this.#push(tableDesc(t, verb), `${verb} table ${tableLabel(t)}`);
  }

  /** Flushes a table (all its rules), a chain (its rules) or a set (its elements). */
  flush(obj: Table | Chain | SetSpec | JTable | JChain | JSet): this {
    checkModelObject(obj, 'object');
    const j = jsonObjectOf(obj);
    if (j) {
      const { elem: _elem, ...body } = j.body;
      return this.#json('flush', { kind: j.kind, body });
    }
    if (isSet(obj)) return this.#push(setDesc(obj, 'flush'), `flush set ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table });
    if (isChain(obj)) return this.#push(chainDesc(obj, 'flush'), `flush chain ${tableLabel(obj.table)} ${obj.name}`, { table: obj.table, chain: obj.name });
    const t = obj as Table;
    return this.#push(tableDesc(t, 'flush'), `flush table ${tableLabel(t)}`, { table: t });
  }

  /** One command of nft's JSON model on an object (through addJson: the same code as commitJson). */
  #json(verb: 'add' | 'create' | 'delete' | 'destroy' | 'flush', j: { kind: NftObjectKind; body: Record<string, unknown> }): this {
    const doc = { nftables: [{ [verb]: { [j.kind]: j.body } }] } as unknown as NftDocument;
    try {
      return this.addJson(doc, { set: (family, table, name) => this.#jsonSets.get(setKeyOf(family, table, name)) });
    } catch (e) {
      // The document's path; the caller passed an object.
      if (e instanceof Error) {
        e.message = e.message.replace(/nftables\[0\]\.(add|create|delete|destroy|flush)\./g, '');
        // "chain: Expected … for chain.hook …": the path is in the message already
        if (e.message.startsWith(`${j.kind}: `) && e.message.includes(`${j.kind}.`)) e.message = e.message.slice(j.kind.length + 2);
      }
      throw e;
    }
  }

  /** Element command of nft's JSON model; the set's declaration is the one given (or the transaction's own). */
  #jsonElements(verb: 'add' | 'create' | 'delete' | 'destroy', set: JSet, elem: readonly JSetElem[]): this {
    const doc = { nftables: [{ [verb]: { element: { family: set.family, table: set.table, name: set.name, elem } } }] } as unknown as NftDocument;
    try {
      return this.addJson(doc, { set: (family, table, name) => (family === set.family && table === set.table && name === set.name ? set : this.#jsonSets.get(setKeyOf(family, table, name))) });
    } catch (e) {
      if (e instanceof Error) e.message = e.message.replace(/nftables\[0\]\.(add|create|delete|destroy)\.element\.elem/g, 'elements');
      throw e;
    }
  }

  /** Adds elements to a set or map (typed values; see ElementInput). */
  addElements(set: SetSpec, elements: readonly ElementInput[], options?: { readonly exclusive?: boolean }): this;
  /** Of a set in nft's JSON model (`{ family, table, name, type, … }`, e.g. from listSets): elements as nft's JSON writes them. */
  addElements(set: JSet, elements: readonly JSetElem[], options?: { readonly exclusive?: boolean }): this;
  addElements(set: SetSpec | JSet, elements: readonly (ElementInput | JSetElem)[], options: { readonly exclusive?: boolean } = {}): this {
    // Holes are refused by elementsDesc, in its slices (a 1M-element scan is not one block).
    checkList(elements, 'elements', 'elements', MAX_ELEMENTS_PER_CALL, false);
    if (elements.length === 0) return this;
    if (isJsonSet(set)) return this.#jsonElements(options.exclusive ? 'create' : 'add', set, elements as readonly JSetElem[]);
    return this.#elements(elementsDesc(set, elements as readonly ElementInput[], options.exclusive ? 'create' : 'add'), set);
  }

  /**
   * addElements() for big loads: the elements are parsed and packed in slices that give the
   * event loop a turn every few milliseconds (a million addresses take about as long, but the
   * process keeps serving meanwhile). Resolves to the transaction once they are queued.
   */
  async addElementsAsync(set: SetSpec, elements: readonly ElementInput[], options: { readonly exclusive?: boolean } = {}): Promise<this> {
    // Holes are refused by elementsDesc, in its slices (a 1M-element scan is not one block).
    checkList(elements, 'elements', 'elements', MAX_ELEMENTS_PER_CALL, false);
    if (elements.length === 0) return this;
    return this.#elements(await elementsDescAsync(set, elements, options.exclusive ? 'create' : 'add'), set);
  }

  /** Removes elements from a set or map (ENOENT if one is absent). */
  deleteElements(set: SetSpec, elements: readonly ElementInput[], options?: { readonly ifExists?: boolean }): this;
  /** Of a set in nft's JSON model: elements as nft's JSON writes them. */
  deleteElements(set: JSet, elements: readonly JSetElem[], options?: { readonly ifExists?: boolean }): this;
  deleteElements(set: SetSpec | JSet, elements: readonly (ElementInput | JSetElem)[], options: { readonly ifExists?: boolean } = {}): this {
    // Holes are refused by elementsDesc, in its slices (a 1M-element scan is not one block).
    checkList(elements, 'elements', 'elements', MAX_ELEMENTS_PER_CALL, false);
    if (elements.length === 0) return this;
    if (isJsonSet(set)) return this.#jsonElements(options.ifExists ? 'destroy' : 'delete', set, elements as readonly JSetElem[]);
    return this.#elements(elementsDesc(set, elements as readonly ElementInput[], options.ifExists ? 'destroy' : 'delete'), set);
  }

  #elements(desc: ElementsDesc, set: SetSpec): this {
    const id = this.#setIds.get(`${set.table.family} ${set.table.name} ${set.name}`);
    const op: ElementsDesc = id !== undefined ? { ...desc, setId: id } : desc;
    const verb = op.verb === 'create' ? 'create' : op.verb === 'add' ? 'add' : op.verb;
    return this.#push(op, `${verb} element ${tableLabel(set.table)} ${set.name}`, { table: set.table, sets: [set.name] });
  }

  /**
   * Queues the commands of an nft JSON document (see docs/json.md) in this transaction, after
   * what is already queued. `kernel` says what the kernel holds when the document refers to sets
   * it does not define (Nftables#commitJson reads it for you).
   * @throws TypeError naming the JSON path; nothing is queued then.
   */
  addJson(doc: NftDocument, kernel: KernelView = {}): this {
    addJsonOps(this, doc, kernel);
    // Its sets, for the lookups of JSON-model rules queued later (addRule).
    for (const item of doc.nftables) {
      const cmd = ('add' in item ? item.add : 'create' in item ? item.create : item) as Record<string, unknown>;
      const s = (cmd['set'] ?? cmd['map']) as JSet | undefined;
      if (s !== undefined && typeof s === 'object' && s !== null) this.#jsonSets.set(setKeyOf(s.family, s.table, s.name), s);
    }
    return this;
  }

  /**
   * Queues a raw native descriptor (the fast path for packed set elements). `label` is used in
   * error messages.
   */
  push(op: OpDesc, label?: string): this {
    if (typeof op !== 'object' || op === null) throw expected('a native operation descriptor { object, verb, family, … }', 'op', op);
    checkNoNul(op, 'op');
    if (label !== undefined && typeof label !== 'string') throw expected('a string', 'label', label);
    const family = familyName(op.family);
    const table = 'table' in op ? op.table : op.name;
    const ref: TableRef | undefined = family ? { family, name: table } : undefined;
    const what = op.object === 'elements' ? `element ${family} ${op.table} ${op.set}` : `${op.object} ${family} ${table}`;
    return this.#push(op, label ?? `${op.verb} ${what}`, ref ? { table: ref, ...(op.object === 'elements' ? { sets: [op.set] } : {}) } : undefined);
  }

  /**
   * The netlink batch this transaction would send (BEGIN … END), built without a socket or
   * privileges: a dry run. Sequence numbers start at 1; nothing is sent.
   */
  encode(): Uint8Array {
    return binding().encode(nativeBatch(this.#ops));
  }

  /** Commits every queued operation as one atomic transaction. */
  commit(): Promise<CommitResult> {
    return this.#commit(this);
  }

  /** Commits synchronously: blocks the event loop; for small latency-critical batches only. */
  commitSync(): CommitResult {
    return this.#commitSync(this);
  }
}
