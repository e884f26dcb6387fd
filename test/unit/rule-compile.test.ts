// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The rule helpers against nft 1.0.6, without a kernel: every case's statements (the JSON model
 * the helpers build) compile through a transaction to the expressions, printed libnftnl-style,
 * that `nft --debug=netlink add rule …` printed for the same rule text
 * (test/fixtures/rules/netlink.json), anonymous sets and their elements included; the JSON
 * renderer prints them as `nft list ruleset` does. (Reading them back from the kernel is
 * test/kernel/rule-oracle.test.ts.)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataWords, exprsText } from '../helpers/expr-text';
import { renderRule as renderJsonRule } from '../../lib/nft/render';
import type { JRule } from '../../lib/nft/schema';
import { CASES } from '../fixtures/rules/cases';
import { compileCase, jsonRuleOf, type Compiled } from '../helpers/rule-cases';

const NETLINK = JSON.parse(readFileSync(join(__dirname, '../fixtures/rules/netlink.json'), 'utf8')) as Record<string, string[]>;

function setLines({ set, elements }: Compiled['sets'][number]): string[] {
  const els: string[] = [];
  const n = elements?.count ?? 0;
  for (let i = 0; i < n; i++) {
    const key = dataWords(elements!.keys.subarray(i * elements!.keyLen, (i + 1) * elements!.keyLen)).replace(/0x/g, '');
    els.push(`\telement ${key}  : ${elements!.flags?.[i] ?? 0} [end]`);
  }
  return [`__set%d t ${set.flags ?? 0} size ${n}`, '__set%d t 0', els.join('')];
}

describe('the rule helpers compile as nft --debug=netlink', () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const want = NETLINK[c.name];
      assert.ok(want, `no netlink fixture for ${c.name}`);
      const compiled = compileCase(c);
      const ruleLines = want.filter((l) => l.startsWith('  ['));
      assert.deepEqual(exprsText(compiled.exprs).map((l) => `  ${l.replace(/__set\d+/g, '__set%d')}`), ruleLines);
      const setPart = want.filter((l) => l.startsWith('__set') || l.startsWith('\telement'));
      assert.deepEqual(compiled.sets.flatMap(setLines), setPart);
    });
  }
});

describe("the rule helpers' statements render as nft lists them", () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const text = renderJsonRule(jsonRuleOf(c) as JRule);
      assert.equal(text, `${c.rendered ?? c.text}${c.comment ? ` comment "${c.comment}"` : ''}`);
    });
  }
});
