// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * compileRule() against nft 1.0.6: every case's expressions, printed libnftnl-style, must equal
 * what `nft --debug=netlink add rule …` printed for the same rule text (test/fixtures/rules/
 * netlink.json), anonymous sets included. Also renderRule() and the decode round trip.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr } from '../../lib/expr/registry';
import type { ElementsData, SetData } from '../../lib/native';
import { compileRule, decodeRule, exprsText, renderRule, type AnonSetRequest, type DecodeContext } from '../../lib/rule';
import { dataWords } from '../../lib/rule/expr-text';
import { CASES, type RuleCase } from '../fixtures/rules/cases';

const NETLINK = JSON.parse(readFileSync(join(__dirname, '../fixtures/rules/netlink.json'), 'utf8')) as Record<string, string[]>;

/** Compiles a case, collecting its anonymous sets as the transaction would. */
export function compileCase(c: RuleCase): { exprs: Expr[]; sets: AnonSetRequest[] } {
  const sets: AnonSetRequest[] = [];
  const exprs = compileRule(
    { table: { family: c.family, name: 't' }, chain: c.chain, statements: c.statements, ...(c.comment ? { comment: c.comment } : {}) },
    {
      family: c.family,
      anonSet: (r) => {
        sets.push(r);
        return { name: '__set%d', id: sets.length };
      },
    },
  );
  return { exprs, sets };
}

/** A DecodeContext serving the sets a compile produced, as a dump would return them. */
export function decodeContextFor(c: RuleCase, sets: readonly AnonSetRequest[]): DecodeContext {
  return {
    family: c.family,
    anonSet: (name) => {
      const r = sets[0];
      if (name !== '__set%d' || !r) return undefined;
      const set: SetData = { family: 1, table: 't', name, handle: 1n, flags: r.flags, keyType: r.keyType, keyLen: r.keyLen, exprs: [] };
      const elements: ElementsData = {
        count: r.elements.count,
        keyLen: r.keyLen,
        keys: r.elements.keys,
        flags: r.elements.flags ?? new Uint32Array(r.elements.count),
      };
      return { set, elements };
    },
  };
}

function setLines(r: AnonSetRequest): string[] {
  const els: string[] = [];
  for (let i = 0; i < r.elements.count; i++) {
    const key = dataWords(r.elements.keys.subarray(i * r.keyLen, (i + 1) * r.keyLen)).replace(/0x/g, '');
    els.push(`\telement ${key}  : ${r.elements.flags?.[i] ?? 0} [end]`);
  }
  return [`__set%d t ${r.flags} size ${r.elements.count}`, '__set%d t 0', els.join('')];
}

describe('compileRule() matches nft --debug=netlink', () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const want = NETLINK[c.name];
      assert.ok(want, `no netlink fixture for ${c.name}`);
      const { exprs, sets } = compileCase(c);
      const ruleLines = want.filter((l) => l.startsWith('  ['));
      assert.deepEqual(exprsText(exprs).map((l) => `  ${l}`), ruleLines);
      const setPart = want.filter((l) => l.startsWith('__set') || l.startsWith('\telement'));
      assert.deepEqual(sets.flatMap(setLines), setPart);
    });
  }
});

describe('renderRule() prints nft list syntax', () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const text = renderRule({ table: { family: c.family, name: 't' }, chain: c.chain, statements: c.statements, ...(c.comment ? { comment: c.comment } : {}) });
      assert.equal(text, `${c.rendered ?? c.text}${c.comment ? ` comment "${c.comment}"` : ''}`);
    });
  }
});

describe('decodeRule(compileRule(x)) deep-equals x', () => {
  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, () => {
      const { exprs, sets } = compileCase(c);
      assert.deepEqual(decodeRule(exprs, decodeContextFor(c, sets)), c.statements);
    });
  }
});
