// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * compileRule(): typed statements -> the generic expression list, exactly as nft 1.0.6 emits it
 * for the same rule text (dependencies, registers, byte order, prefix shortening, payload
 * merging). Every input is validated first; misuse throws TypeError/RangeError in the form
 * `Expected <what> for <where> but received <value>`.
 */
import type { Expr } from '../expr/registry';
import { isKnownExpr } from '../expr/registry';
import { validateExpr } from '../expr/validate';
import { FAMILIES } from '../kernel';
import type { Rule } from '../model/types';
import { lowerAction } from './compile-action';
import { lowerFib, lowerFlags, lowerLookup, lowerMatch, lowerTcpOption } from './compile-match';
import type { CompileContext } from './context';
import { checkOneOf, typeError } from './errors';
import { X } from './exprs';
import { Lowering } from './lowering';
import { mergePayloadMatches } from './merge';
import type { Statement } from './statement';

export type { AnonSetRequest, CompileContext } from './context';

/** nft's limit on rule comments (NFTNL_UDATA_COMMENT_MAXLEN). */
export const COMMENT_MAX_BYTES = 128;

/** Checks a rule comment: at most 128 bytes, no NUL, no double quote (nft cannot list it back). */
export function checkComment(comment: unknown, where = 'comment'): string {
  if (typeof comment !== 'string' || comment.includes('\0') || comment.includes('"')) throw typeError('a comment of 1-128 bytes without NUL or "', where, comment);
  const n = Buffer.byteLength(comment);
  if (n < 1 || n > COMMENT_MAX_BYTES) throw new RangeError(`Expected a comment of 1-128 bytes without NUL or " for ${where} but received ${JSON.stringify(comment)}`);
  return comment;
}

function lowerStatement(low: Lowering, s: Statement, i: number): void {
  if (typeof s !== 'object' || s === null) throw typeError('a statement object', `statements[${i}]`, s);
  switch (s.kind) {
    case 'match':
      lowerMatch(low, s);
      return;
    case 'flags':
      lowerFlags(low, s);
      return;
    case 'lookup':
      lowerLookup(low, s);
      return;
    case 'fib':
      lowerFib(low, s);
      return;
    case 'tcpOption':
      lowerTcpOption(low, s);
      return;
    case 'raw': {
      if (!Array.isArray(s.exprs) || s.exprs.length === 0) throw typeError('a non-empty array of expressions', 'raw.exprs', s.exprs);
      const exprs = s.exprs.map((e, j) => {
        if (!isKnownExpr(e)) throw typeError('an expression this package can send', `raw.exprs[${j}]`, e.type);
        return e;
      });
      low.emit(...exprs);
      return;
    }
    default:
      if (!lowerAction(low, s)) throw typeError('a statement kind', `statements[${i}].kind`, (s as { kind?: unknown }).kind);
  }
}

/**
 * Compiles a rule's statements to the expressions nft 1.0.6 would send for the same rule.
 * Anonymous sets (`tcp dport { 22, 80 }`) are registered through `ctx.anonSet()`.
 * The comment is not an expression (NFTA_RULE_USERDATA); it is only validated here.
 *
 * @example
 * compileRule({ table, chain: 'input', statements: [tcpDport(22), accept()] }, ctx)
 * // meta l4proto; cmp eq 6; payload th+2 len 2; cmp eq 0x0016; immediate accept
 * @throws TypeError|RangeError `Expected <what> for <where> but received <value>`
 */
export function compileRule(rule: Rule, ctx: CompileContext): Expr[] {
  const family = checkOneOf(ctx.family, FAMILIES, 'family');
  if (!Array.isArray(rule.statements)) throw typeError('an array of statements', 'rule.statements', rule.statements);
  if (rule.comment !== undefined) checkComment(rule.comment, 'rule.comment');
  const low = new Lowering(family, ctx);
  rule.statements.forEach((s, i) => lowerStatement(low, s, i));
  const out: Expr[] = [];
  for (const u of mergePayloadMatches(low.units)) {
    if (u.u === 'exprs') out.push(...u.exprs);
    else out.push(X.payload(u.base, u.offset, u.data.length), X.cmp(u.op, u.data));
  }
  for (const e of out) if (e.type === 'counter' || e.type === 'immediate' || e.type === 'cmp') validateExpr(e);
  return out;
}
