// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * An nft JSON document → the operations of ONE transaction, in document order. Objects go
 * through objects.ts (objectOps), elements through elements.ts (encodeElements), rules through
 * linearize.ts (linearizeRule) with a LinearizeContext whose anonymous sets, maps and bound
 * chains are registered in the same batch with batch-local ids, as nft does.
 */
import { familyName, NFPROTO, SET_F, type Family } from '../kernel';
import type { Expr } from '../expr/registry';
import type { ChainDesc, ElementsDesc, OpDesc, RuleDesc, SetDesc } from '../native';
import { commentUdata } from '../udata';
import { show } from '../validate';
import { itemCommand, validateDocument } from './document';
import { encodeElements, encodeElementsSized, type JSetExt } from './elements';
import { linearizeRule, type LinearizeContext } from './linearize';
import { objectOps } from './objects';
import { datatype, typeLayout } from './datatypes';
import type { JBoundRule, JElement, JRule, JSet, JSetElem, JStatement, NftDocument, NftFamily, NftItem, NftObject, NftVerb } from './schema';

/** NFT_CHAIN_BINDING (nf_tables.h): a chain bound to the rule that jumps to it. */
const NFT_CHAIN_BINDING = 0x4;
/** NFT_OBJECT_* (nf_tables.h): the object kinds an object map holds. */
const OBJECT_TYPES: Readonly<Record<string, number>> = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, 'ct timeout': 7, secmark: 8, 'ct expectation': 9, synproxy: 10 };
/** NFT_DATA_VERDICT: data type of verdict maps. */
const NFT_DATA_VERDICT = 0xffffff00;

/** One queued operation and the nft words that name it in errors. */
export interface BuiltOp {
  readonly op: OpDesc;
  readonly label: string;
}

/** What the kernel already holds, for what a document refers to but does not define. */
export interface KernelView {
  /** A named set/map of the kernel (for element commands and rule lookups). */
  set?(family: NftFamily, table: string, name: string): JSet | undefined;
  /** Tables of the kernel (for `flush ruleset`). */
  tables?(): readonly { readonly family: NftFamily; readonly name: string }[];
  /** Handle of the rule at `index` (0-based) in a chain (for add/insert with `index`). */
  ruleAt?(family: NftFamily, table: string, chain: string, index: number): bigint | undefined;
  /** The namespace path the transaction is for (resolves interface names there). @default this process's */
  readonly netns?: string;
  /** Compile lookups of sets nothing declares as lookups of plain sets (LinearizeContext.assumeSets). */
  readonly assumeSets?: boolean;
}

/** What the document asks beyond the batch: reset commands (nft runs them as reset dumps). */
export interface ResetRequest {
  readonly kind: 'counter' | 'quota' | 'counters' | 'quotas';
  readonly family?: NftFamily;
  readonly table?: string;
  readonly name?: string;
}

export interface BuiltDocument {
  readonly ops: BuiltOp[];
  readonly resets: ResetRequest[];
}

/** Batch-local ids (set ids, chain ids) shared by every document added to one transaction. */
export interface IdSource {
  nextSetId(): number;
}

const famNum = (f: NftFamily): number => NFPROTO[f as Family];
const setKey = (f: string, t: string, n: string): string => `${f}\0${t}\0${n}`;

const setFlagsFromBits = (flags: number): NonNullable<JSet['flags']> => {
  const out: NonNullable<JSet['flags']>[number][] = [];
  if (flags & SET_F.constant) out.push('constant');
  if (flags & SET_F.interval) out.push('interval');
  if (flags & SET_F.timeout) out.push('timeout');
  if (flags & SET_F.eval) out.push('dynamic');
  return out;
};

/** The rule's nft words: "add rule inet fw input". */
const ruleLabel = (verb: string, r: JRule): string => `${verb} rule ${r.family} ${r.table} ${r.chain}`;

function objectLabel(verb: NftVerb, obj: NftObject): string {
  const kind = Object.keys(obj)[0] as string;
  const b = (obj as unknown as Record<string, Record<string, unknown>>)[kind] ?? {};
  const where = kind === 'table' ? `${String(b.family)} ${String(b.name ?? `handle ${String(b.handle)}`)}` : `${String(b.family)} ${String(b.table)} ${String(b.name ?? b.chain ?? `handle ${String(b.handle)}`)}`;
  return `${verb} ${kind} ${where}`;
}

/**
 * Turns a document into one transaction's operations. Throws before anything is queued when the
 * document is invalid (TypeError naming the JSON path, e.g. `nftables[2].add.rule.expr[0]`).
 */
export function buildDocument(input: NftDocument, kernel: KernelView = {}, ids?: IdSource): BuiltDocument {
  const doc = validateDocument(input);
  let localId = 1;
  const idSource: IdSource = ids ?? { nextSetId: () => localId++ };
  const ops: BuiltOp[] = [];
  const resets: ResetRequest[] = [];
  /** Sets defined by this document so far, with their batch id. */
  const docSets = new Map<string, { set: JSet; id?: number }>();
  const docTables: { family: NftFamily; name: string }[] = [];

  const findSet = (family: NftFamily, table: string, name: string): { set: JSet; id?: number } | undefined => {
    const own = docSets.get(setKey(family, table, name));
    if (own) return own;
    const k = kernel.set?.(family, table, name);
    return k ? { set: k } : undefined;
  };

  const pushObjectOps = (obj: NftObject, verb: NftVerb, path: string): void => {
    if (verb === 'reset' || verb === 'insert' || verb === 'replace') throw new TypeError(`Expected a rule for ${path} (${verb} takes rules only)`);
    let produced: OpDesc[];
    // As nft 1.0.6: add/create ignore `handle` (a listing re-commits as is); the kernel would
    // otherwise take a chain handle as "update that chain".
    if (verb === 'add' || verb === 'create') obj = withDynamic(withoutHandle(obj), dynsetTargets);
    try {
      produced = objectOps(obj, verb, idSource);
    } catch (e) {
      throw prefixed(e, path);
    }
    const label = objectLabel(verb, obj);
    for (const op of produced) {
      ops.push({ op, label });
      if (op.object === 'set' && (verb === 'add' || verb === 'create')) {
        const kind = 'set' in obj ? 'set' : 'map';
        const set = (obj as { set?: JSet; map?: JSet })[kind] as JSet;
        docSets.set(setKey(set.family, set.table, set.name), { set, ...((op as SetDesc).id !== undefined ? { id: (op as SetDesc).id as number } : {}) });
      }
    }
    if ('table' in obj && (verb === 'add' || verb === 'create')) docTables.push({ family: obj.table.family, name: obj.table.name });
  };

  const pushElements = (el: JElement, verb: NftVerb, path: string): void => {
    const found = findSet(el.family, el.table, el.name);
    if (!found) {
      throw new TypeError(`Expected a set or map defined earlier in the document or in the kernel for ${path}.name but received ${show(el.name)} (no set ${el.family} ${el.table} ${el.name})`);
    }
    const elems: readonly JSetElem[] = Array.isArray(el.elem) ? (el.elem as readonly JSetElem[]) : [el.elem as JSetElem];
    const v: ElementsDesc['verb'] = verb === 'create' ? 'create' : verb === 'delete' ? 'delete' : verb === 'destroy' ? 'destroy' : 'add';
    let desc: ElementsDesc;
    try {
      desc = encodeElements(found.set, elems, v, { family: famNum(el.family), table: el.table, set: el.name, ...(found.id !== undefined ? { setId: found.id } : {}) });
    } catch (e) {
      throw prefixed(e, `${path}.elem`);
    }
    ops.push({ op: desc, label: `${verb} element ${el.family} ${el.table} ${el.name}` });
  };

  const pushRule = (rule: JRule, verb: 'add' | 'insert' | 'replace' | 'delete' | 'destroy', path: string): void => {
    const label = ruleLabel(verb, rule);
    const base = { object: 'rule' as const, family: famNum(rule.family), table: rule.table, chain: rule.chain };
    if (verb === 'delete' || verb === 'destroy') {
      ops.push({ op: { ...base, verb, handle: BigInt(rule.handle as number) }, label: `${label} handle ${String(rule.handle)}` });
      return;
    }
    const ctx = linearizeContext(rule.family, rule.table, path, label);
    let out: { exprs: Expr[]; userdata?: Uint8Array };
    try {
      out = linearizeRule(rule, ctx);
    } catch (e) {
      // linearizeRule names statements from `rule.expr[i]`: give them the document's path
      if (e instanceof Error && e.message.includes('rule.expr[')) e.message = e.message.split('rule.expr[').join(`${path}.expr[`);
      throw prefixed(e, `${path}.expr`);
    }
    const userdata = out.userdata ?? commentUdata(rule.comment);
    let position: bigint | undefined;
    let handle: bigint | undefined;
    if (verb === 'replace') handle = BigInt(rule.handle as number);
    else if (rule.index !== undefined) {
      // nft: add with index = after the rule at that position; insert = before it.
      position = kernel.ruleAt?.(rule.family, rule.table, rule.chain, rule.index);
      if (position === undefined) throw new RangeError(`Expected the index of an existing rule of chain ${rule.family} ${rule.table} ${rule.chain} for ${path}.index but received ${rule.index}`);
    } else if (verb === 'insert' && rule.handle !== undefined) position = BigInt(rule.handle);
    // nft 1.0.6 ignores `handle` in add commands (a listing re-loads as is).
    const op: RuleDesc = {
      ...base,
      verb,
      exprs: out.exprs,
      ...(userdata ? { userdata } : {}),
      ...(handle !== undefined ? { handle } : {}),
      ...(position !== undefined ? { position } : {}),
    };
    ops.push({ op, label });
  };

  /** LinearizeContext for rules of one table: anonymous sets/maps and bound chains go into this batch. */
  const linearizeContext = (family: NftFamily, table: string, path: string, label: string): LinearizeContext => {
    const ctx: LinearizeContext = {
      ...(kernel.assumeSets === true ? { assumeSets: true } : {}),
      family: family as Family,
      table,
      set: (name: string) => findSet(family, table, name)?.set,
      anonSet: (req) => {
        const isMap = req.data !== undefined;
        const objType = req.flags & SET_F.object && typeof req.data === 'string' ? OBJECT_TYPES[req.data] : undefined;
        if (req.flags & SET_F.object && objType === undefined) throw new TypeError(`Expected an object kind (${Object.keys(OBJECT_TYPES).join(', ')}) for the data of an anonymous object map in ${path} but received ${show(req.data)}`);
        // nft's names; the kernel replaces %d with the first free number.
        // Meters name their set (req.name); the rest are nft's anonymous names.
        const name = req.name ?? (objType !== undefined ? '__objmap%d' : isMap ? '__map%d' : '__set%d');
        const id = idSource.nextSetId();
        const key = keyLayout(req.key, req.keyFields);
        const data =
          req.data === undefined || objType !== undefined ? undefined : req.data === 'verdict' ? { id: NFT_DATA_VERDICT, len: 0 } : typeLayout(req.data);
        const jset: JSetExt = {
          family,
          table,
          name,
          type: req.key,
          ...(req.data !== undefined ? { map: req.data } : {}),
          flags: setFlagsFromBits(req.flags),
          // nft merges the intervals of anonymous sets (overlapping `{ 1-100, 50-200 }` is fine there).
          ...(req.flags & SET_F.interval ? { 'auto-merge': true } : {}),
          // Map data given as ranges or prefixes (NAT to address ranges) are interval data.
          ...(isMap && req.elems.some(hasIntervalData) ? { 'data-interval': true } : {}),
        };
        const sized =
          req.elems.length > 0
            ? encodeElementsSized(jset, req.elems, 'add', { family: famNum(family), table, set: name, setId: id, anonymous: true, keyFields: req.keyFields, ...(req.keyOrders ? { keyOrders: req.keyOrders } : {}), ...(req.path !== undefined ? { path: req.path } : {}) })
            : { desc: { object: 'elements', verb: 'add', family: famNum(family), table, set: name, setId: id, count: 0, keyLen: key.len, keys: new Uint8Array(0) } as ElementsDesc, size: 0 };
        const elements = sized.desc;
        const set: SetDesc = {
          object: 'set',
          verb: 'add',
          family: famNum(family),
          table,
          name,
          id,
          flags: req.flags,
          keyType: key.id,
          keyLen: key.len,
          // Interval data (NAT to ranges/prefixes): start and end values (nft doubles the length).
          ...(data ? { dataType: data.id, dataLen: jset['data-interval'] === true ? 2 * data.len : data.len } : {}),
          ...(objType !== undefined ? { objType } : {}),
          ...(key.fields.length > 1 && req.flags & SET_F.interval ? { concat: key.fields } : {}),
          ...(req.userdata ? { userdata: req.userdata } : {}),
          ...(req.exprs && req.exprs.length > 0 ? { exprs: req.exprs } : {}),
          ...(req.timeoutMs !== undefined ? { timeoutMs: req.timeoutMs } : {}),
          // nft: a constant set's NFTA_SET_DESC_SIZE is its number of elements (interval ends
          // included); a meter's is its declared size.
          ...(req.size !== undefined ? { size: req.size } : req.flags & SET_F.constant ? { size: sized.size } : {}),
        };
        ops.push({ op: set, label: `${label} (anonymous ${isMap ? 'map' : 'set'})` });
        if (elements.count > 0) ops.push({ op: elements, label: `${label} (anonymous ${isMap ? 'map' : 'set'} elements)` });
        return { name, id };
      },
      bindChain: (rules: readonly JBoundRule[]) => {
        // As nft: NEWCHAIN without a name (the kernel names it __chain<N>), NFT_CHAIN_BINDING and
        // a batch id; its rules name it by NFTA_RULE_CHAIN_ID, the jump by NFTA_VERDICT_CHAIN_ID.
        const id = idSource.nextSetId();
        const chain: ChainDesc = { object: 'chain', verb: 'add', family: famNum(family), table, name: '', flags: NFT_CHAIN_BINDING, id };
        ops.push({ op: chain, label: `${label} (bound chain)` });
        rules.forEach((bound, r) => {
          // a bound rule with a comment: { expr, comment } (the comment goes in its userdata)
          const withComment = !Array.isArray(bound) ? (bound as { expr: readonly JStatement[]; comment?: string }) : undefined;
          const statements = withComment ? withComment.expr : (bound as readonly JStatement[]);
          const inner: JRule = { family, table, chain: '', expr: statements as JStatement[], ...(withComment?.comment !== undefined ? { comment: withComment.comment } : {}) };
          let out: { exprs: Expr[]; userdata?: Uint8Array };
          try {
            out = linearizeRule(inner, ctx);
          } catch (e) {
            throw prefixed(e, `${path} (bound chain rule ${r})`);
          }
          const op: RuleDesc = { object: 'rule', verb: 'add', family: famNum(family), table, chain: '', chainId: id, exprs: out.exprs, ...(out.userdata ? { userdata: out.userdata } : {}) };
          ops.push({ op, label: `${label} (bound chain rule)` });
        });
        return { id };
      },
    };
    return ctx;
  };

  const dynsetTargets = dynamicSets(doc);
  listingOrder(doc.nftables).forEach(({ item, i }) => {
    const cmd = itemCommand(item);
    if (!cmd) return; // metainfo
    const verbKey = Object.keys(item)[0] as string;
    const path = cmd.verb === 'add' && verbKey !== 'add' ? `nftables[${i}]` : `nftables[${i}].${cmd.verb}`;
    const obj = cmd.object as Record<string, unknown>;
    const kind = Object.keys(obj)[0] as string;
    const p = `${path}.${kind}`;
    const body = obj[kind];
    switch (kind) {
      case 'ruleset': {
        const fam = (body as { family?: NftFamily } | null)?.family;
        const kernelTables = kernel.tables?.();
        if (!kernelTables) throw new TypeError(`Expected a connection for ${p} (flush ruleset needs the kernel's tables: use Nftables#commitJson)`);
        const seen = new Set<string>();
        for (const t of [...kernelTables, ...docTables]) {
          if (fam !== undefined && t.family !== fam) continue;
          const k = `${t.family}\0${t.name}`;
          if (seen.has(k)) continue;
          seen.add(k);
          ops.push({ op: { object: 'table', verb: 'delete', family: famNum(t.family), name: t.name }, label: `flush ruleset (delete table ${t.family} ${t.name})` });
        }
        docTables.length = 0;
        docSets.clear();
        return;
      }
      case 'counters':
      case 'quotas': {
        const b = (body ?? {}) as { family?: NftFamily; table?: string };
        resets.push({ kind, ...(b.family ? { family: b.family } : {}), ...(b.table ? { table: b.table } : {}) });
        return;
      }
      case 'rule': {
        const rule = body as JRule;
        if (cmd.verb === 'flush' || cmd.verb === 'reset' || cmd.verb === 'create') throw new TypeError(`Expected add, insert, replace, delete or destroy for the rule at ${p} but received ${cmd.verb}`);
        return pushRule(rule, cmd.verb, p);
      }
      case 'element':
        if (cmd.verb === 'flush' || cmd.verb === 'reset' || cmd.verb === 'insert' || cmd.verb === 'replace') throw new TypeError(`Expected add, create, delete or destroy for the elements at ${p} but received ${cmd.verb}`);
        return pushElements(body as JElement, cmd.verb, p);
      default:
        if (cmd.verb === 'reset') {
          const b = body as { family: NftFamily; table: string; name: string };
          resets.push({ kind: kind as 'counter' | 'quota', family: b.family, table: b.table, name: b.name });
          return;
        }
        if (cmd.verb === 'delete' || cmd.verb === 'destroy') {
          if (kind === 'set' || kind === 'map') docSets.delete(setKey(String((body as JSet).family), (body as JSet).table, (body as JSet).name));
        }
        return pushObjectOps(cmd.object as NftObject, cmd.verb, p);
    }
  });
  return { ops, resets };
}

/**
 * NFTA_SET_KEY_TYPE/KEY_LEN/DESC_CONCAT of an anonymous set's key from its type names and the
 * field lengths linearize measured (a raw payload's `integer` has no size of its own): the
 * type id of a concatenation is its fields' ids, 6 bits each (nft's concat_subtype_add).
 */
function keyLayout(type: string | readonly string[], fields: readonly number[] | undefined): { id: number; len: number; fields: number[] } {
  const names = typeof type === 'string' ? [type] : [...type];
  if (!fields || fields.length !== names.length) {
    const l = typeLayout(type);
    return { id: l.id, len: l.len, fields: [...l.fields] };
  }
  let id = 0;
  for (const n of names) {
    const t = datatype(n);
    if (!t) throw new TypeError(`Expected a datatype name for an anonymous set key but received ${show(n)}`);
    id = names.length > 1 ? id * 64 + t.id : t.id;
  }
  const len = names.length > 1 ? fields.reduce((a, f) => a + Math.ceil(f / 4) * 4, 0) : (fields[0] as number);
  return { id, len, fields: [...fields] };
}

/** Whether a map element's data is an interval (a range or prefix, maybe inside a concatenation). */
function hasIntervalData(e: JSetElem): boolean {
  const data = Array.isArray(e) && e.length === 2 ? (e[1] as unknown) : undefined;
  const isInterval = (v: unknown): boolean =>
    typeof v === 'object' && v !== null && !Array.isArray(v) && ('range' in v || 'prefix' in v || ('concat' in v && Array.isArray((v as { concat: unknown }).concat) && ((v as { concat: unknown[] }).concat).some(isInterval)));
  return isInterval(data);
}

/** Rank of a bare object in nft's expansion of a table: chains exist before the maps that jump to them. */
const BARE_RANK: Readonly<Record<string, number>> = {
  table: 0, chain: 1, counter: 2, quota: 2, limit: 2, 'ct helper': 2, 'ct timeout': 2, 'ct expectation': 2, synproxy: 2, secmark: 2,
  set: 3, map: 3, flowtable: 4, element: 5, rule: 6,
};

/**
 * The items in the order they are applied. A run of bare objects (listing form, as nft -j
 * prints them) is applied as nft applies a ruleset file: tables, then chains, named objects,
 * sets and maps, flowtables, elements, and rules last, each kind in document order. A listing
 * puts maps before the chains their verdicts jump to, so document order would fail (nft -j -f
 * fails on such a listing of its own). Commands (`{ add: … }`, `{ delete: … }`, …) keep their
 * place and end a run.
 */
function listingOrder(items: readonly NftItem[]): { item: NftItem; i: number }[] {
  const out: { item: NftItem; i: number }[] = [];
  let run: { item: NftItem; i: number; rank: number }[] = [];
  const flush = (): void => {
    run.sort((a, b) => a.rank - b.rank || a.i - b.i);
    out.push(...run.map(({ item, i }) => ({ item, i })));
    run = [];
  };
  items.forEach((item, i) => {
    const key = Object.keys(item)[0] as string;
    const rank = BARE_RANK[key];
    if (rank === undefined) {
      flush();
      out.push({ item, i });
    } else run.push({ item, i, rank });
  });
  flush();
  return out;
}

/** Statements an element object can hold (merged into `{ elem: { val, … } }`). */
const ELEM_STMT_KEYS: readonly string[] = ['counter', 'quota', 'limit', 'last', 'ct count'];

/** Whether an `elem` list holds an element with statements (`{ elem: { val, counter: … } }`). */
function hasElementStatements(elems: unknown): boolean {
  const list: unknown[] = Array.isArray(elems) ? elems : [elems];
  return list.some((e) => {
    const body = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { elem?: unknown }).elem : undefined;
    return typeof body === 'object' && body !== null && ELEM_STMT_KEYS.some((k) => k in body);
  });
}

/**
 * Sets the kernel must have made with NFT_SET_EVAL (`flags dynamic`), which nft 1.0.6's JSON
 * does not print, so that a set it lists loads back as it was:
 * - sets that rules of the document update from the packet path (`set` statements: add/update/
 *   delete @name): the kernel refuses such a dynset on a set without NFT_SET_EVAL;
 * - sets without statements (`stmt`) whose elements carry statements (`elements = { 1.2.3.4
 *   counter }`): nft only makes those dynamic (evaluate.c: "missing statement in set
 *   declaration" otherwise).
 */
function dynamicSets(doc: NftDocument): Set<string> {
  const out = new Set<string>();
  const withElementStatements = new Set<string>();
  const templated = new Set<string>();
  const visit = (v: unknown, family: string, table: string): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, family, table);
      return;
    }
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const set = o.set as Record<string, unknown> | undefined;
    if (set && typeof set === 'object' && !Array.isArray(set) && typeof set.set === 'string' && typeof set.op === 'string') {
      out.add(setKey(family, table, set.set.replace(/^@/, '')));
    }
    for (const x of Object.values(o)) visit(x, family, table);
  };
  for (const item of doc.nftables) {
    const key = Object.keys(item)[0] as string;
    const body = (item as Record<string, unknown>)[key] as Record<string, unknown> | null;
    const rule = (key === 'rule' ? body : body && typeof body === 'object' ? body.rule : undefined) as JRule | undefined;
    if (rule && typeof rule === 'object' && Array.isArray(rule.expr)) visit(rule.expr, rule.family, rule.table);
    const o = key === 'set' || key === 'map' || key === 'element' ? body : key === 'add' || key === 'create' ? body : undefined;
    const kind = o && typeof o === 'object' ? (key === 'add' || key === 'create' ? Object.keys(o)[0] : key) : undefined;
    const s = kind === undefined ? undefined : ((key === 'add' || key === 'create' ? (o as Record<string, unknown>)[kind] : o) as Record<string, unknown> | undefined);
    if (!s || typeof s !== 'object' || (kind !== 'set' && kind !== 'map' && kind !== 'element')) continue;
    const k = setKey(String(s.family), String(s.table), String(s.name));
    if (kind !== 'element' && Array.isArray(s.stmt) && s.stmt.length > 0) templated.add(k);
    if (hasElementStatements(s.elem)) withElementStatements.add(k);
  }
  for (const k of withElementStatements) if (!templated.has(k)) out.add(k);
  return out;
}

function withDynamic(obj: NftObject, targets: ReadonlySet<string>): NftObject {
  const kind = 'set' in obj ? 'set' : 'map' in obj ? 'map' : undefined;
  if (!kind) return obj;
  const set = (obj as Record<string, JSet>)[kind] as JSet;
  if (!targets.has(setKey(set.family, set.table, set.name)) || set.flags?.includes('dynamic')) return obj;
  return { [kind]: { ...set, flags: [...(set.flags ?? []), 'dynamic'] } } as unknown as NftObject;
}

function withoutHandle(obj: NftObject): NftObject {
  const kind = Object.keys(obj)[0] as string;
  const body = (obj as unknown as Record<string, Record<string, unknown>>)[kind];
  if (!body || typeof body !== 'object' || !('handle' in body)) return obj;
  const { handle: _ignored, ...rest } = body;
  return { [kind]: rest } as unknown as NftObject;
}

/** Re-throws an error of a helper with the JSON path in front (same class, so TypeError stays TypeError). */
function prefixed(e: unknown, path: string): Error {
  if (e instanceof Error) {
    if (e.message.includes(path)) return e;
    const E = e instanceof RangeError ? RangeError : e instanceof TypeError ? TypeError : Error;
    const out = new E(`${path}: ${e.message}`);
    out.stack = `${out.name}: ${out.message}\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
    return out;
  }
  return new TypeError(`${path}: ${String(e)}`);
}

export { familyName };
