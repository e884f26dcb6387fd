// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Compares the package's delinearized rules with the rules of `nft -j list ruleset` (the
 * oracle), rule by rule (matched by family, table, chain and handle).
 */
import { isDeepStrictEqual } from 'node:util';
import type { Nftables } from '../../lib';
import { nft } from './nft';
import { listRulesJson } from './delin-context';
import { nft106Statement } from '../../lib/nft/render-stmt';
import type { JStatement } from '../../lib/nft/schema';

export interface RuleDiff {
  readonly key: string;
  readonly expected: unknown;
  readonly actual: unknown;
  readonly reason: string;
}

export interface CompareResult {
  readonly total: number;
  readonly equal: number;
  readonly undecoded: number;
  readonly diffs: RuleDiff[];
}

/** Our listing as plain JSON (bigint counters as numbers, as nft prints them). */
export function plainJson(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? Number(x) : x instanceof Uint8Array ? Buffer.from(x).toString('hex') : x)));
}

function stmtKey(s: unknown): string {
  if (typeof s === 'string') return 'text';
  if (s && typeof s === 'object') {
    const k = Object.keys(s)[0] ?? '?';
    const v = (s as Record<string, unknown>)[k];
    if (k === 'match' && v && typeof v === 'object') {
      const left = (v as { left?: unknown }).left;
      const lk = left && typeof left === 'object' ? Object.keys(left)[0] : typeof left;
      const inner = left && typeof left === 'object' ? (left as Record<string, unknown>)[lk ?? ''] : undefined;
      const detail = inner && typeof inner === 'object' && 'protocol' in inner ? `${String((inner as { protocol: string }).protocol)}` : inner && typeof inner === 'object' && 'key' in inner ? String((inner as { key: string }).key) : '';
      return `match ${lk}${detail ? ` ${detail}` : ''}`;
    }
    return k;
  }
  return typeof s;
}

/** A short reason for a difference: the first statement that differs, by kind. */
export function diffReason(expected: { expr?: unknown[] }, actual: { expr?: unknown[] }): string {
  const a = actual.expr ?? [];
  const e = expected.expr ?? [];
  if (a.length === 1 && a[0] && typeof a[0] === 'object' && 'raw' in (a[0] as object)) {
    return `raw: ${String((a[0] as { why?: string }).why ?? '')}`;
  }
  for (let i = 0; i < Math.max(a.length, e.length); i++) {
    if (!isDeepStrictEqual(a[i], e[i])) return `${stmtKey(e[i])} vs ${stmtKey(a[i])}`;
  }
  return 'rule fields';
}

/** nft -j list ruleset's rules against the package's, in the current network namespace. */
export async function compareRuleset(lib: Nftables): Promise<CompareResult> {
  const doc = JSON.parse(nft(['-j', 'list', 'ruleset'])) as { nftables: Record<string, unknown>[] };
  const expected = new Map<string, Record<string, unknown>>();
  for (const item of doc.nftables) {
    const r = item.rule as Record<string, unknown> | undefined;
    if (r) expected.set(`${String(r.family)} ${String(r.table)} ${String(r.chain)} ${String(r.handle)}`, r);
  }
  // the package's lossless forms (chain bindings, map statements) as nft 1.0.6 prints them,
  // map data in the type of the map nft lists
  const sets = new Map<string, Record<string, unknown>>();
  for (const item of doc.nftables) {
    const m = (item.map ?? item.set) as Record<string, unknown> | undefined;
    if (m) sets.set(`${String(m.family)} ${String(m.table)} ${String(m.name)}`, m);
  }
  const ours = (await listRulesJson(lib)).map((o) => {
    const r = o.rule;
    const expr = r.expr?.map((st) => nft106Statement(st as JStatement, { family: r.family, set: (n) => sets.get(`${r.family} ${r.table} ${n}`) }));
    return expr ? { ...o, rule: { ...r, expr } } : o;
  });
  let equal = 0;
  let undecoded = 0;
  const diffs: RuleDiff[] = [];
  for (const o of ours) {
    const key = `${o.rule.family} ${o.rule.table} ${o.rule.chain} ${o.rule.handle ?? ''}`;
    const exp = expected.get(key);
    if (!exp) continue; // bound chains' rules are listed inside their parent by nft
    if (o.undecoded) undecoded++;
    const act = plainJson(o.rule) as Record<string, unknown>;
    if (isDeepStrictEqual(act, exp)) equal++;
    else diffs.push({ key, expected: exp, actual: act, reason: o.undecoded ? `raw: ${o.why ?? ''}` : diffReason(exp as { expr?: unknown[] }, act as { expr?: unknown[] }) });
  }
  return { total: diffs.length + equal, equal, undecoded, diffs };
}
