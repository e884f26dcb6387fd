// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The kernel's dumps (tables, chains, sets with their elements, named objects, flowtables, rules)
 * → the document `nft -j list ruleset` prints, in nft's order: metainfo, then per table (in the
 * kernel's order) the table, its named objects, its named sets and maps, its flowtables, its
 * chains, then all its rules chain by chain. Anonymous sets are not listed (rules show them
 * inline) and neither are bound chains (their rules show them). Never throws on what the kernel
 * holds: a rule it cannot decode keeps a `raw` statement and is reported, any other object it
 * cannot convert is left out and reported.
 */
import { familyName } from '../kernel';
import type { ChainData, ElementsData, ObjectData, RuleData, SetData, TableData } from '../native';
import { delinearizeRule, type DelinearizeContext } from './delinearize';
import { NFT_METAINFO, withToJSON } from './document';
import { decodeElements } from './elements';
import { chainFromData, flowtableFromData, objectFromData, setFromData, tableFromData } from './objects';
import type { JBoundRule, JRule, JSet, JStatement, NftDocument, NftFamily, NftItem } from './schema';

/** NFT_CHAIN_BINDING (nf_tables.h): a chain bound to a rule (`jump { … }`), listed inside it. */
const NFT_CHAIN_BINDING = 0x4;

/** Everything a listing needs, as the native dumps return it. */
export interface RulesetDumps {
  readonly tables: readonly TableData[];
  readonly chains: readonly ChainData[];
  readonly sets: readonly SetData[];
  /** Elements of each set, by `family table name` (see elementsKey). */
  readonly elements: ReadonlyMap<string, ElementsData>;
  readonly objects: readonly ObjectData[];
  /** Flowtable dumps (FlowtableData of lib/native.ts), when the addon supports them. */
  readonly flowtables: readonly unknown[];
  readonly rules: readonly RuleData[];
}

export const elementsKey = (family: number, table: string, set: string): string => `${family} ${table} ${set}`;

/** A rule the listing could not fully decode (it holds a `raw` statement). */
export interface UndecodedRule {
  readonly family: NftFamily;
  readonly table: string;
  readonly chain: string;
  readonly handle: number;
}

export interface JsonListing {
  /** The document nft -j list ruleset prints. */
  readonly document: NftDocument;
  /** Rules that hold kernel expressions this package could not decode (as `raw` statements). */
  readonly undecoded: readonly UndecodedRule[];
  /** Objects left out of the listing because they could not be converted, with the reason. */
  readonly problems: readonly string[];
}

const tkey = (family: number, table: string): string => `${family} ${table}`;

function group<T extends { readonly family: number; readonly table: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = tkey(it.family, it.table);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Assembles the dumps into nft's JSON listing. Never throws. */
export function assembleListing(d: RulesetDumps): JsonListing {
  const items: NftItem[] = [{ metainfo: { ...NFT_METAINFO } }];
  const undecoded: UndecodedRule[] = [];
  const problems: string[] = [];
  const chainsBy = group(d.chains);
  const setsBy = group(d.sets);
  const objectsBy = group(d.objects);
  const flowtablesBy = group(d.flowtables as readonly { family: number; table: string }[]);
  const rulesBy = group(d.rules);

  for (const t of d.tables) {
    const family = familyName(t.family);
    if (!family) {
      problems.push(`table ${t.name}: unknown family ${t.family}`);
      continue;
    }
    const k = tkey(t.family, t.name);
    try {
      items.push({ table: tableFromData(t) });
    } catch (e) {
      problems.push(`table ${family} ${t.name}: ${message(e)}`);
      continue;
    }
    for (const o of objectsBy.get(k) ?? []) {
      try {
        const obj = objectFromData(o);
        if (obj) items.push(obj);
        else problems.push(`object ${family} ${t.name} ${o.name}: object type ${o.objType} is unknown to this package`);
      } catch (e) {
        problems.push(`object ${family} ${t.name} ${o.name}: ${message(e)}`);
      }
    }
    // Sets: decoded once, named ones listed, all (anonymous included) offered to the rules.
    const tableSets = new Map<string, { set: JSet; anonymous: boolean; keyLen: number; dataLen?: number }>();
    for (const s of setsBy.get(k) ?? []) {
      try {
        const conv = setFromData(s);
        const el = d.elements.get(elementsKey(s.family, s.table, s.name));
        let set = conv.set;
        if (el && el.count > 0) {
          const elem = decodeElements(set, el);
          if (elem.length > 0) set = { ...set, elem };
        }
        // the kernel's key/data lengths: the rules' concatenations of unsized types (raw payloads, integer keys) span them
        tableSets.set(s.name, { set, anonymous: conv.anonymous, keyLen: s.keyLen, ...(s.dataLen !== undefined ? { dataLen: s.dataLen } : {}) });
        if (!conv.anonymous) items.push(set.map !== undefined ? { map: set } : { set });
      } catch (e) {
        problems.push(`set ${family} ${t.name} ${s.name}: ${message(e)}`);
      }
    }
    for (const f of flowtablesBy.get(k) ?? []) {
      try {
        items.push({ flowtable: flowtableFromData(f as Parameters<typeof flowtableFromData>[0]) });
      } catch (e) {
        problems.push(`flowtable ${family} ${t.name}: ${message(e)}`);
      }
    }
    const chains = chainsBy.get(k) ?? [];
    const listed: string[] = [];
    for (const c of chains) {
      const flags = (c as { flags?: number }).flags ?? 0;
      if (flags & NFT_CHAIN_BINDING) continue;
      try {
        items.push({ chain: chainFromData(c) });
        listed.push(c.name);
      } catch (e) {
        problems.push(`chain ${family} ${t.name} ${c.name}: ${message(e)}`);
      }
    }
    const ctx: DelinearizeContext = { family, table: t.name, set: (name: string) => tableSets.get(name) };
    const byChain = new Map<string, RuleData[]>();
    for (const r of rulesBy.get(k) ?? []) {
      const list = byChain.get(r.chain);
      if (list) list.push(r);
      else byChain.set(r.chain, [r]);
    }
    const decode = (r: RuleData, chain: string): JRule => {
      try {
        const out = delinearizeRule(r, ctx);
        if (out.undecoded) undecoded.push({ family, table: t.name, chain, handle: Number(r.handle) });
        return out.rule;
      } catch (e) {
        // delinearize must never throw; if it does, keep the rule as raw expressions.
        undecoded.push({ family, table: t.name, chain, handle: Number(r.handle) });
        problems.push(`rule ${family} ${t.name} ${chain} handle ${r.handle}: ${message(e)}`);
        return { family, table: t.name, chain, handle: Number(r.handle), expr: [{ raw: { exprs: r.exprs } }] };
      }
    };
    // Bound chains (`jump { … }`): the package's extension { jump: { target, rules } } holds the
    // bound chain's rules (nft 1.0.6 prints the nft text; the nft106 projection does the same).
    const bound = new Map<string, RuleData[]>();
    for (const c of chains) if (((c as { flags?: number }).flags ?? 0) & NFT_CHAIN_BINDING) bound.set(c.name, byChain.get(c.name) ?? []);
    const inline = (stmts: readonly JStatement[] | undefined, seen: ReadonlySet<string>): JStatement[] | undefined =>
      stmts?.map((st): JStatement => {
        const v = typeof st === 'object' && st !== null ? ('jump' in st ? (['jump', st.jump] as const) : 'goto' in st ? (['goto', st.goto] as const) : undefined) : undefined;
        const target = v ? (v[1] as { target?: unknown }).target : undefined;
        if (!v || typeof target !== 'string' || !bound.has(target) || seen.has(target)) return st;
        const inner = new Set(seen).add(target);
        // a bound rule with a comment (its userdata) comes as { expr, comment }
        const rules: JBoundRule[] = (bound.get(target) ?? []).map((r) => {
          const d = decode(r, target);
          const expr = inline(d.expr, inner) ?? [];
          return typeof d.comment === 'string' ? { expr, comment: d.comment } : expr;
        });
        return v[0] === 'jump' ? { jump: { target, rules } } : { goto: { target, rules } };
      });
    for (const chain of listed) {
      for (const r of byChain.get(chain) ?? []) {
        const rule = decode(r, chain);
        const expr = bound.size > 0 ? inline(rule.expr, new Set()) : rule.expr;
        items.push({ rule: expr !== rule.expr && expr !== undefined ? { ...rule, expr } : rule });
      }
    }
  }
  return { document: withToJSON({ nftables: items }), undecoded, problems };
}
