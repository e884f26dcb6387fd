// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The rule helpers against nft 1.0.6, without a kernel: every case's statements (the JSON model
 * the helpers build) compile through a transaction to the expressions, printed libnftnl-style,
 * that `nft --debug=netlink add rule …` printed for the same rule text
 * (test/fixtures/rules/netlink.json), anonymous sets and their elements included; the JSON
 * renderer prints them as `nft list ruleset` does. The typed model's decoder (what
 * listRuleset() still decodes into) must read those expressions back and compile them again to
 * the same expressions as the kernel sees them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr } from '../../lib/expr/registry';
import { compileRule, decodeRule, exprsText, type DecodeContext } from '../../lib/rule';
import { dataWords } from '../../lib/rule/expr-text';
import { renderRule as renderJsonRule } from '../../lib/nft/render';
import type { JRule } from '../../lib/nft/schema';
import { CASES, type RuleCase } from '../fixtures/rules/cases';
import { compileCase, jsonRuleOf, type Compiled } from '../helpers/rule-cases';
import { normaliseOurs } from '../helpers/linearize-oracle';

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

/** A DecodeContext serving a compile's anonymous set, as a dump would return it. */
function decodeContextFor(c: RuleCase, compiled: Compiled): DecodeContext {
  return {
    family: c.family,
    anonSet: (name) => {
      const s = compiled.sets[0];
      if (!s || name !== s.set.name || !s.elements) return undefined;
      const { set, elements } = s;
      return {
        set: { family: 1, table: 't', name, handle: 1n, flags: set.flags ?? 0, keyType: set.keyType ?? 0, keyLen: set.keyLen ?? 0, exprs: [] },
        elements: { count: elements.count, keyLen: elements.keyLen, keys: elements.keys, flags: elements.flags ?? new Uint32Array(elements.count) },
      };
    },
  };
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

describe('the typed decoder reads the compiled rules back (compileRule(decodeRule(x)) = x)', () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const compiled = compileCase(c);
      const decoded = decodeRule(compiled.exprs as never, decodeContextFor(c, compiled));
      assert.ok(!decoded.some((s) => s.kind === 'raw'), `decoded without raw statements: ${JSON.stringify(decoded, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
      const sets: unknown[] = [];
      const again = compileRule(
        { table: { family: c.family, name: 't' }, chain: c.chain, statements: decoded },
        {
          family: c.family,
          anonSet: (r) => {
            sets.push(r);
            return { name: compiled.sets[0]?.set.name ?? '__set%d', id: sets.length };
          },
        },
      );
      // As the kernel sees them: the typed compiler sends a few defaults nft leaves out (limit
      // burst 0) and leaves out a few it sends (exthdr flags 0).
      assert.deepEqual(normaliseOurs(again), normaliseOurs(compiled.exprs));
    });
  }
});
