// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The projection of the package's lossless model to what nft 1.0.6 prints with
 * `nft -j list ruleset` (`toJsonText(doc, { nft106: true })`). nft 1.0.6's JSON loses
 * information; this turns each lossless form back into its lossy output:
 * - set/map `type` / `map` `{ typeof: expr }` → the datatype names of the expression (a key of
 *   one name as a string, a concatenation as an array; map data as one `"a . b"` string);
 * - set flag `dynamic`, `auto-merge`, table/chain comments, chain `dev`, flowtable flags: dropped
 *   (toNft106 in objects.ts);
 * - element statements: only the first is printed; a first `last` is dropped altogether (nft
 *   merges its text, a string, into the element object, which does nothing);
 * - statements nft 1.0.6 has no JSON for are printed as their nft text: the map statement
 *   (`update @m { k : v }`), `last`, and chain bindings (`jump { … }`, the bound chain's rules
 *   one per line, indented as in `nft list ruleset`).
 */
import { nft106Statement as textOfLossless, stmtText } from './render-stmt';
import { toNft106 } from './objects';
import { isTypeof, type JExpr, type JRule, type JSetType, type JStatement, type NftObject } from './schema';
import { typeofField } from './set-udata';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Statement keys an element object can hold (merged in, in order). */
const ELEM_STATEMENTS: ReadonlySet<string> = new Set(['counter', 'quota', 'limit', 'last', 'ct count']);

/** The datatype names nft 1.0.6 prints for a typeof expression (its parts' datatypes). */
export function typeofNames(e: JExpr): string[] {
  const c = isObj(e) ? (e as Record<string, unknown>).concat : undefined;
  const parts = Array.isArray(c) ? (c as JExpr[]) : [e];
  return parts.map((p) => typeofField(p)?.type ?? 'integer');
}

/** A set's `type` (or, with `data`, a map's `map`) as nft 1.0.6 prints it. */
export function nft106SetType(t: JSetType, data: boolean): JSetType {
  if (!isTypeof(t)) return t;
  const names = typeofNames(t.typeof);
  if (data || names.length === 1) return names.join(' . ');
  return names;
}

/** Element objects `{ elem: { val, …, stmt1, stmt2 } }` keep only their first statement (see above). */
function projectElements(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(projectElements);
  if (!isObj(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'elem' && isObj(v.elem) && 'val' in v.elem) {
    const body = v.elem;
    const out: Record<string, unknown> = {};
    let seen = false;
    for (const [k, x] of Object.entries(body)) {
      if (!ELEM_STATEMENTS.has(k)) out[k] = projectElements(x);
      else if (!seen) {
        seen = true;
        if (k !== 'last') out[k] = x;
      }
    }
    return { elem: out };
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, projectElements(x)]));
}

/** A statement list inside a set/map statement or a set's template: `last` becomes its text. */
function projectInnerList(list: unknown, family: string): unknown {
  if (!Array.isArray(list)) return list;
  return list.map((s: unknown) => (isObj(s) && 'last' in s ? stmtText(s, { family, stateless: true }) : s));
}

/** The document's sets and maps by family, table and name (map statements print their data in its type). */
export type SetLookup = (family: string, table: string, name: string) => Record<string, unknown> | undefined;

/**
 * One rule statement as nft 1.0.6 prints it in JSON. Chain bindings (the bound rules one per
 * line, one tab deeper than the rule) and map statements: render-stmt.ts's nft106Statement.
 */
export function nft106Statement(st: JStatement, family: string, table?: string, sets?: SetLookup): JStatement {
  if (!isObj(st)) return st;
  const key = Object.keys(st)[0];
  const body = key !== undefined ? (st as Record<string, unknown>)[key] : undefined;
  if (((key === 'jump' || key === 'goto') && isObj(body) && Array.isArray(body.rules)) || (key === 'map' && isObj(body) && typeof body.op === 'string')) {
    return textOfLossless(st, { family, ...(sets && table !== undefined ? { set: (n: string) => sets(family, table, n) } : {}) });
  }
  if (key === 'last') return stmtText(st, { family });
  if (key === 'set' && isObj(body) && body.stmt !== undefined) {
    return projectElements({ set: { ...body, stmt: projectInnerList(body.stmt, family) } }) as JStatement;
  }
  return projectElements(st) as JStatement;
}

/** A rule as nft 1.0.6 prints it (`sets`: the document's sets, for map statements' data). */
export function nft106Rule(rule: JRule, sets?: SetLookup): JRule {
  if (!Array.isArray(rule.expr)) return rule;
  return { ...rule, expr: rule.expr.map((s) => nft106Statement(s, rule.family, rule.table, sets)) };
}

/** A ruleset object (`{ table }`, `{ set }`, `{ rule }`…) as nft 1.0.6 prints it. Returns a copy. */
export function nft106Object(item: NftObject, sets?: SetLookup): NftObject {
  const [kind, body] = Object.entries(item)[0] as [string, Record<string, unknown>];
  if (kind === 'rule') return { rule: nft106Rule(body as unknown as JRule, sets) };
  const base = toNft106(item);
  const b = { ...(Object.values(base)[0] as Record<string, unknown>) };
  if (kind === 'set' || kind === 'map') {
    if (b.type !== undefined) b.type = nft106SetType(b.type as JSetType, false);
    if (b.map !== undefined) b.map = nft106SetType(b.map as JSetType, true);
    if (b.stmt !== undefined) b.stmt = projectInnerList(b.stmt, String(b.family));
    if (b.elem !== undefined) b.elem = projectElements(b.elem);
  } else if (kind === 'element') {
    b.elem = projectElements(b.elem);
  }
  return { [kind]: b } as unknown as NftObject;
}
