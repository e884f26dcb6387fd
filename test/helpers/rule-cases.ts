// SPDX-License-Identifier: GPL-2.0-or-later
/** The rule cases (test/fixtures/rules/cases.ts) as JSON rules, compiled as a transaction queues them. */
import assert from 'node:assert/strict';
import type { Expr } from '../../lib/expr/registry';
import type { ElementsDesc, OpDesc, RuleDesc, SetDesc } from '../../lib/native';
import { Transaction, type JsonRule } from '../../lib/transaction';
import { preambleSets, type RuleCase } from '../fixtures/rules/cases';

export const jsonRuleOf = (c: RuleCase): JsonRule => ({ family: c.family, table: 't', chain: c.chain, expr: c.expr, ...(c.comment ? { comment: c.comment } : {}) });

const dryRun = (): Transaction =>
  new Transaction(
    () => Promise.reject(new Error('dry run')),
    () => {
      throw new Error('dry run');
    },
  );

export interface Compiled {
  readonly exprs: Expr[];
  readonly sets: { set: SetDesc; elements: ElementsDesc | undefined }[];
}

/** Compiles a case as a transaction queues it: the rule's expressions, its anonymous sets and their elements. */
export function compileCase(c: RuleCase): Compiled {
  const tx = dryRun().addRule(jsonRuleOf(c), { sets: preambleSets(c.family) });
  const ops: OpDesc[] = tx.pending().map((p) => p.op);
  const rule = ops.find((o): o is RuleDesc => o.object === 'rule');
  assert.ok(rule, 'the transaction holds the rule');
  const sets = ops.filter((o): o is SetDesc => o.object === 'set').map((set) => ({
    set,
    elements: ops.find((o): o is ElementsDesc => o.object === 'elements' && o.setId === set.id),
  }));
  return { exprs: [...(rule.exprs ?? [])] as Expr[], sets };
}

