// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The JSON model's entry points on a connection and a transaction (Nftables#listJson,
 * Nftables#commitJson, Transaction#addJson delegate here).
 */
import { NFPROTO, type Family } from '../kernel';
import type { DumpRequest, ElementsData, ObjectData, RuleData, SetData } from '../native';
import type { Nftables } from '../nftables';
import type { CommitResult, Transaction } from '../transaction';
import { buildDocument, type IdSource, type KernelView, type ResetRequest } from './build';
import { arrayWithToJSON, validateDocument } from './document';
import { assembleListing, elementsKey, type JsonListing } from './listing';
import { setFromData } from './objects';
import { procInterfaceResolver, withInterfaces } from './interfaces';
import type { JRule, JSet, NftDocument, NftFamily } from './schema';

export interface JsonListFilter {
  /** Only this family's tables. */
  readonly family?: NftFamily;
  /** Only this table (with family). */
  readonly table?: string;
}

const famFilter = (f: JsonListFilter): { family?: number; table?: string } => ({
  ...(f.family !== undefined ? { family: NFPROTO[f.family as Family] } : {}),
  ...(f.table !== undefined ? { table: f.table } : {}),
});

function checkFilter(f: JsonListFilter): void {
  if (typeof f !== 'object' || f === null) throw new TypeError(`Expected a filter { family?, table? } for filter but received ${String(f)}`);
  if (f.family !== undefined && !(f.family in NFPROTO)) throw new TypeError(`Expected a family (${Object.keys(NFPROTO).join(', ')}) for filter.family but received ${JSON.stringify(f.family)}`);
  if (f.table !== undefined && typeof f.table !== 'string') throw new TypeError(`Expected a table name for filter.table but received ${JSON.stringify(f.table)}`);
}

async function dumpItems<T>(nft: Nftables, req: DumpRequest): Promise<T[]> {
  const r = await nft.dump(req);
  return r.what === req.what ? (r.items as unknown as T[]) : [];
}

/**
 * Lists the ruleset as the document `nft -j list ruleset` prints, with the rules the package
 * could not decode and the objects it left out. Never throws on what the kernel holds (a dump
 * the kernel refuses, e.g. EPERM, still rejects).
 */
export async function listJsonReport(nft: Nftables, filter: JsonListFilter = {}): Promise<JsonListing> {
  checkFilter(filter);
  const ff = famFilter(filter);
  const tablesReq: DumpRequest = { what: 'tables', ...(ff.family !== undefined ? { family: ff.family } : {}) };
  let tables = await dumpItems<import('../native').TableData>(nft, tablesReq);
  if (filter.table !== undefined) tables = tables.filter((t) => t.name === filter.table);
  const problems: string[] = [];
  const tolerant = async <T>(req: DumpRequest, what: string): Promise<T[]> => {
    try {
      return await dumpItems<T>(nft, req);
    } catch (e) {
      problems.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
  };
  const chains = await tolerant<import('../native').ChainData>({ what: 'chains', ...ff }, 'chains');
  const sets = await tolerant<SetData>({ what: 'sets', ...ff }, 'sets');
  const objects = await tolerant<ObjectData>({ what: 'objects', ...ff }, 'objects');
  let flowtables: unknown[] = [];
  try {
    flowtables = await dumpItems<unknown>(nft, { what: 'flowtables', ...ff } as unknown as DumpRequest);
  } catch {
    // Addons without flowtable dumps (or kernels without flowtables) list none.
  }
  const rules = await tolerant<RuleData>({ what: 'rules', ...ff }, 'rules');
  const elements = new Map<string, ElementsData>();
  for (const s of sets) {
    try {
      const r = await nft.dump({ what: 'elements', family: s.family, table: s.table, set: s.name });
      if (r.what === 'elements') elements.set(elementsKey(s.family, s.table, s.name), r.items);
    } catch (e) {
      problems.push(`elements of set ${s.table} ${s.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  // Synchronous from here: the resolver of this connection's namespace is in force only here.
  const listing = withInterfaces(procInterfaceResolver(nft.netns), () => assembleListing({ tables, chains, sets, elements, objects, flowtables, rules }));
  return problems.length > 0 ? { ...listing, problems: [...problems, ...listing.problems] } : listing;
}

/** Filter of listRules: a family, a table (of every family, or of the one given), a chain of it. */
export interface JsonRuleFilter extends JsonListFilter {
  /** Only this chain's rules (with table). */
  readonly chain?: string;
  /** Read and zero the rules' counters and quotas atomically (Linux 6.6+). */
  readonly reset?: boolean;
}

/** A listed rule: nft's JSON rule with its kernel handle (as `nft -j -a list ruleset` prints it). */
export type ListedRule = JRule & { readonly handle: number };

/** Names of the anonymous sets and bound chains (`__set%d`, `__chain%d`, …) rule expressions use. */
function internalRefs(rules: readonly RuleData[]): { sets: Set<string>; bound: boolean } {
  const sets = new Set<string>();
  let bound = false;
  for (const r of rules) {
    for (const e of r.exprs) {
      const x = e as { set?: unknown; setName?: unknown; chain?: unknown };
      if (typeof x.set === 'string' && x.set.startsWith('__')) sets.add(`${r.family} ${r.table} ${x.set}`);
      if (typeof x.setName === 'string' && x.setName.startsWith('__')) sets.add(`${r.family} ${r.table} ${x.setName}`);
      if (typeof x.chain === 'string' && x.chain.startsWith('__')) bound = true;
    }
  }
  return { sets, bound };
}

/**
 * Rules in nft's JSON model, with their handles (Nftables#listRules). Reads the rules, and of
 * their tables only what decoding needs: the chains (bound chains are listed inside the rule
 * that binds them), the sets (a lookup's key type), the elements of the anonymous sets the rules
 * use (listed inline). Never throws on what the kernel holds: an undecodable rule keeps a `raw`
 * statement.
 */
export async function listRules(nft: Nftables, filter: JsonRuleFilter = {}): Promise<ListedRule[]> {
  checkFilter(filter);
  if (filter.chain !== undefined && (typeof filter.chain !== 'string' || filter.table === undefined)) throw new TypeError(`Expected a chain name together with filter.table for filter.chain but received ${JSON.stringify(filter.chain)}`);
  const ff = famFilter(filter);
  const req = (chain?: string): DumpRequest => ({ what: 'rules', ...ff, ...(chain !== undefined ? { chain } : {}), ...(filter.reset ? { reset: true } : {}) } as DumpRequest);
  let rules = await dumpItems<RuleData>(nft, req(filter.chain));
  if (rules.length === 0) return [];
  let refs = internalRefs(rules);
  // A bound chain's rules are in chains of their own: with a chain filter, read the table's.
  if (filter.chain !== undefined && refs.bound) {
    rules = await dumpItems<RuleData>(nft, req());
    refs = internalRefs(rules);
  }
  const tableKeys = new Set(rules.map((r) => `${r.family} ${r.table}`));
  const tables = (await dumpItems<import('../native').TableData>(nft, { what: 'tables', ...(ff.family !== undefined ? { family: ff.family } : {}) })).filter((t) => tableKeys.has(`${t.family} ${t.name}`));
  const chains: import('../native').ChainData[] = [];
  const sets: SetData[] = [];
  const elements = new Map<string, ElementsData>();
  for (const t of tables) {
    const tf = { family: t.family, table: t.name };
    chains.push(...(await dumpItems<import('../native').ChainData>(nft, { what: 'chains', ...tf })));
    const ts = await dumpItems<SetData>(nft, { what: 'sets', ...tf });
    sets.push(...ts);
    for (const s of ts) {
      if (!refs.sets.has(elementsKey(s.family, s.table, s.name))) continue;
      const r = await nft.dump({ what: 'elements', family: s.family, table: s.table, set: s.name });
      if (r.what === 'elements') elements.set(elementsKey(s.family, s.table, s.name), r.items);
    }
  }
  const listing = withInterfaces(procInterfaceResolver(nft.netns), () => assembleListing({ tables, chains, sets, elements, objects: [], flowtables: [], rules }));
  const out: ListedRule[] = [];
  for (const it of listing.document.nftables) {
    if (!('rule' in it)) continue;
    const r = it.rule;
    if (filter.chain !== undefined && r.chain !== filter.chain) continue;
    out.push(r as ListedRule);
  }
  return arrayWithToJSON(out);
}

/** The listing document alone (see listJsonReport). */
export async function listJson(nft: Nftables, filter: JsonListFilter = {}): Promise<NftDocument> {
  return (await listJsonReport(nft, filter)).document;
}

/** Per-transaction batch ids for the JSON path, above the range Transaction uses for its own sets. */
const txIds = new WeakMap<Transaction, IdSource>();
function idsFor(tx: Transaction): IdSource {
  let ids = txIds.get(tx);
  if (!ids) {
    let next = 0x01000000;
    ids = { nextSetId: () => next++ };
    txIds.set(tx, ids);
  }
  return ids;
}

/**
 * Queues a document's commands on a transaction (one batch with everything else queued).
 * `kernel` tells what the kernel holds when the document refers to sets it does not define,
 * flushes the ruleset or positions rules by index (Nftables#commitJson fills it in).
 * @throws TypeError naming the JSON path; nothing is queued then. Reset commands need
 *   Nftables#commitJson (nft runs them as reset requests, outside the batch).
 */
export function addJson(tx: Transaction, doc: NftDocument, kernel: KernelView = {}): Transaction {
  const built = withInterfaces(procInterfaceResolver(kernel.netns), () => buildDocument(doc, kernel, idsFor(tx)));
  if (built.resets.length > 0) throw new TypeError('Expected no reset commands in a document added to a transaction (use Nftables#commitJson, which runs them after the batch)');
  for (const { op, label } of built.ops) tx.push(op, label);
  return tx;
}

const OBJ_TYPE = { counter: 1, quota: 2 } as const;

/**
 * Commits a document (nft -j list ruleset output, or commands) as ONE transaction, then runs its
 * reset commands. Reads what the document refers to but does not define (sets, tables for
 * `flush ruleset`, rule positions for `index`) from the kernel first.
 */
export async function commitJson(nft: Nftables, doc: NftDocument): Promise<CommitResult> {
  const valid = validateDocument(doc);
  const needs = scanNeeds(valid);
  const kernelSets = new Map<string, JSet>();
  let kernelTables: { family: NftFamily; name: string }[] | undefined;
  if (needs.tables || needs.sets) {
    const tables = await dumpItems<import('../native').TableData>(nft, { what: 'tables' });
    kernelTables = [];
    for (const t of tables) {
      const f = (Object.keys(NFPROTO) as Family[]).find((k) => NFPROTO[k] === t.family);
      if (f) kernelTables.push({ family: f, name: t.name });
    }
  }
  if (needs.sets) {
    for (const s of await dumpItems<SetData>(nft, { what: 'sets' })) {
      try {
        const conv = setFromData(s);
        if (!conv.anonymous) kernelSets.set(`${s.family} ${s.table} ${s.name}`, conv.set);
      } catch {
        // A set this package cannot describe cannot be referred to by the document either.
      }
    }
  }
  const ruleHandles = new Map<string, bigint[]>();
  for (const c of needs.indexChains) {
    const [fam, table, chain] = c.split('\0') as [NftFamily, string, string];
    try {
      const rules = await dumpItems<RuleData>(nft, { what: 'rules', family: NFPROTO[fam as Family], table, chain });
      ruleHandles.set(c, rules.map((r) => r.handle));
    } catch {
      ruleHandles.set(c, []);
    }
  }
  const kernel: KernelView = {
    set: (family, table, name) => kernelSets.get(`${NFPROTO[family as Family]} ${table} ${name}`),
    ...(kernelTables ? { tables: () => kernelTables as { family: NftFamily; name: string }[] } : {}),
    ruleAt: (family, table, chain, index) => ruleHandles.get(`${family}\0${table}\0${chain}`)?.[index],
  };
  const tx = nft.transaction();
  const built = withInterfaces(procInterfaceResolver(nft.netns), () => buildDocument(valid, kernel, idsFor(tx)));
  for (const { op, label } of built.ops) tx.push(op, label);
  const result = built.ops.length > 0 ? await nft.commit(tx) : { batchBytes: 0, messages: 0, handles: new Map<number, bigint>() };
  for (const r of built.resets) await runReset(nft, r);
  return result;
}

async function runReset(nft: Nftables, r: ResetRequest): Promise<void> {
  if (r.name !== undefined) {
    throw new TypeError(`Expected reset counters/quotas (of a table or family) for a reset command but received reset ${r.kind} ${r.family} ${r.table} ${r.name}: the addon resets objects per table and type, not one by name`);
  }
  const objType = r.kind === 'counters' || r.kind === 'counter' ? OBJ_TYPE.counter : OBJ_TYPE.quota;
  await nft.dump({
    what: 'objects',
    ...(r.family !== undefined ? { family: NFPROTO[r.family as Family] } : {}),
    ...(r.table !== undefined ? { table: r.table } : {}),
    objType,
    reset: true,
  });
}

/** What a document needs to know of the kernel before it can be built. */
function scanNeeds(doc: NftDocument): { tables: boolean; sets: boolean; indexChains: Set<string> } {
  let tables = false;
  let sets = false;
  const indexChains = new Set<string>();
  for (const item of doc.nftables) {
    const key = Object.keys(item)[0] as string;
    const body = (item as Record<string, unknown>)[key] as Record<string, unknown> | null;
    const inner = key === 'rule' || key === 'element' ? { [key]: body } : (body ?? {});
    if ('ruleset' in inner) tables = true;
    if ('element' in inner) sets = true;
    const rule = (inner as { rule?: { family: NftFamily; table: string; chain: string; index?: number; expr?: unknown[] } }).rule;
    if (rule && typeof rule === 'object') {
      if (rule.index !== undefined) indexChains.add(`${rule.family}\0${rule.table}\0${rule.chain}`);
      // Rules that look up named sets (`@name`) may refer to the kernel's.
      if (!sets && JSON.stringify(rule.expr ?? [], (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v)).includes('"@')) sets = true;
    }
  }
  return { tables, sets, indexChains };
}
