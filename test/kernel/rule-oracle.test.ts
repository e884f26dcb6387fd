// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The oracle for the rule builder: for every case, (A) nft -f loads renderRule()'s text and
 * `nft list ruleset` is captured; (B) the same table objects are loaded by nft, the rule is
 * committed through the library, and the listing must equal A. Then the library lists the
 * rule back and decodeRule() must return the case's statements.
 */
import assert from 'node:assert/strict';
import { Nftables } from '../../lib';
import { renderRule } from '../../lib/rule';
import type { Rule } from '../../lib/model/types';
import { CASES, CHAIN_SPECS, TABLE_PREAMBLE, type RuleCase } from '../fixtures/rules/cases';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const ruleOf = (c: RuleCase): Rule => ({
  table: { family: c.family, name: 't' },
  chain: c.chain,
  statements: c.statements,
  ...(c.comment ? { comment: c.comment } : {}),
});

function tableText(c: RuleCase, rule?: string): string {
  const chains = (['c', 'n', 'p'] as const).map((k) => `  chain ${k} {\n    ${CHAIN_SPECS[k]}\n${k === c.chain && rule ? `    ${rule}\n` : ''}  }`).join('\n');
  return `table ${c.family} t {\n${TABLE_PREAMBLE}\n${chains}\n}\n`;
}

describe('rule builder oracle: nft -f of renderRule() lists exactly as the library commit', () => {
  let nft: Nftables;
  before(async () => {
    nft = await Nftables.open();
  });
  after(async () => {
    await nft?.close();
  });

  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, async () => {
      const rule = ruleOf(c);
      nftFlush();
      nftLoad(tableText(c, renderRule(rule)));
      const a = nftList();
      if (c.listed) assert.ok(a.includes(`\t\t${c.listed}`), `nft lists ${c.listed}`);
      else assert.ok(a.includes(`\t\t${c.rendered ?? c.text}`), `nft lists the rendered text:\n${a}`);

      nftFlush();
      nftLoad(tableText(c));
      const tx = nft.transaction();
      tx.add(rule);
      await tx.commit();
      assert.equal(nftList(), a);

      const rs = await nft.listRuleset({ family: c.family, table: 't' });
      const got = rs.rules.filter((r) => r.chain === c.chain);
      assert.equal(got.length, 1);
      assert.deepEqual(got[0]?.statements, c.statements);
      assert.equal(got[0]?.comment, c.comment);
    });
  }
});
