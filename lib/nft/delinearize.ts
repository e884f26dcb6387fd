// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Kernel rule -> the JSON rule `nft -j list ruleset` (nft 1.0.6) prints for it.
 *
 * Two passes, as nft's src/netlink_delinearize.c: (1) walk the kernel expressions, tracking what
 * each register holds, and emit one intermediate statement per relational check or action
 * (delinearize-parse.ts); (2) walk those statements with the protocol context, naming raw
 * payload loads, turning `&` masks into prefixes/flag lists/sub-byte fields, merging `>= <=`
 * pairs into ranges, and removing the protocol dependencies nft inserted when it built the rule
 * (delinearize-post.ts). What cannot be decoded makes the whole rule one `raw` statement holding
 * the kernel expressions unchanged, so that it re-commits byte-identically; this never throws.
 */
import type { RuleData } from '../native';
import type { DecodedExpr } from '../expr/registry';
import type { JRule, JSet, JStatement, NftFamily } from './schema';
import { parseExprs } from './delinearize-parse';
import { postprocess } from './delinearize-post';

export interface DelinearizeContext {
  readonly family: NftFamily;
  readonly table: string;
  /**
   * The table's sets (anonymous ones included, by kernel name) with their decoded elements.
   * `keyLen`/`dataLen` (bytes, NFTA_SET_KEY_LEN / NFTA_SET_DATA_LEN) are used when given: they
   * size concatenations that `typeof` types cannot (`ether saddr . vlan id`).
   */
  set(name: string): DelinearizeSet | undefined;
  /**
   * Interface index -> name (nft prints `oif "lo"`, resolving in its own network namespace).
   * Without it, or when it returns undefined, indexes print as nft prints unknown ones.
   */
  ifname?(index: number): string | undefined;
  /**
   * The rules of a bound chain (`jump { … }` targets an anonymous chain), already
   * delinearized. nft 1.0.6 prints a chain binding as its nft text in a JSON string; without
   * this the statement is the plain `jump` to the chain's kernel name.
   */
  boundChain?(name: string): readonly JRule[] | undefined;
}

/** A set as delinearize needs it (what setFromData returns, plus the kernel's lengths). */
export interface DelinearizeSet {
  readonly set: JSet;
  readonly anonymous: boolean;
  readonly keyLen?: number;
  readonly dataLen?: number;
}

const FAMILY_NAMES: Readonly<Record<number, NftFamily>> = { 1: 'inet', 2: 'ip', 3: 'arp', 5: 'netdev', 7: 'bridge', 10: 'ip6' };

/** The table family's JSON name for NFPROTO_* (undefined for unknown numbers). */
export function familyName(n: number): NftFamily | undefined {
  return FAMILY_NAMES[n];
}

/** The rule comment from NFTA_RULE_USERDATA (NFTNL_UDATA_RULE_COMMENT = 0, NUL-terminated). */
export function ruleComment(userdata: Uint8Array | undefined): string | undefined {
  if (!userdata) return undefined;
  let off = 0;
  while (off + 2 <= userdata.length) {
    const type = userdata[off] as number;
    const len = userdata[off + 1] as number;
    const start = off + 2;
    if (start + len > userdata.length) return undefined;
    if (type === 0) {
      let end = start;
      while (end < start + len && userdata[end] !== 0) end++;
      return Buffer.from(userdata.subarray(start, end)).toString('utf8');
    }
    off = start + len;
  }
  return undefined;
}

/** The `raw` statement: the kernel expressions kept as they are (package extension). */
export function rawStatement(exprs: readonly DecodedExpr[]): JStatement {
  return { raw: { exprs: [...exprs] } };
}

/**
 * Decodes one rule as `nft -j list ruleset` prints it. `undecoded` is true when (part of) the
 * rule could not be decoded: its statements are then one `raw` statement and `reason` says why.
 * Never throws.
 */
export function delinearizeRule(rule: RuleData, ctx: DelinearizeContext): { rule: JRule; undecoded: boolean; reason?: string } {
  const family = ctx.family;
  const comment = ruleComment(rule.userdata);
  const head = {
    family,
    table: rule.table,
    chain: rule.chain,
    handle: Number(rule.handle),
    ...(comment !== undefined ? { comment } : {}),
  };
  let expr: JStatement[];
  let undecoded = false;
  let reason: string | undefined;
  try {
    const stmts = parseExprs(rule.exprs, ctx);
    expr = postprocess(stmts, ctx);
  } catch (e) {
    // Undecodable, or any error from a malformed attribute: the rule is kept raw, never thrown
    reason = e instanceof Error ? e.message : String(e);
    expr = [rawStatement(Array.isArray(rule.exprs) ? rule.exprs : [])];
    undecoded = true;
  }
  return { rule: { ...head, expr }, undecoded, ...(reason !== undefined ? { reason } : {}) };
}
