// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The oracle for the rule helpers: for every case, (A) nft -f loads the text the JSON renderer
 * prints for the helpers' statements and `nft list ruleset` is captured; (B) the same table
 * objects are loaded by nft, the rule is committed through the library, and the listing must
 * equal A. Then the library lists the rule back as the JSON model (listJson) and must give the
 * helpers' statements (or the case's `listedJson`, where nft lists a rule otherwise), and the
 * typed listing (listRuleset) must hold the rule without raw statements.
 */
import assert from 'node:assert/strict';
import { Nftables } from '../../lib';
import { renderRule as renderJsonRule } from '../../lib/nft/render';
import type { JRule } from '../../lib/nft/schema';
import { CASES, CHAIN_SPECS, TABLE_PREAMBLE, type RuleCase } from '../fixtures/rules/cases';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList, nftLoad } from '../helpers/nft';
import { jsonRuleOf } from '../helpers/rule-cases';

assertPrivateNetns();

function tableText(c: RuleCase, rule?: string): string {
  const chains = (['c', 'n', 'p'] as const).map((k) => `  chain ${k} {\n    ${CHAIN_SPECS[k]}\n${k === c.chain && rule ? `    ${rule}\n` : ''}  }`).join('\n');
  return `table ${c.family} t {\n${TABLE_PREAMBLE}\n${chains}\n}\n`;
}

describe('rule helper oracle: nft -f of the rendered statements lists exactly as the library commit', () => {
  let nft: Nftables;
  before(async () => {
    nft = await Nftables.open();
  });
  after(async () => {
    await nft?.close();
  });

  for (const c of CASES) {
    it(`${c.family}: ${c.text}`, async () => {
      const rule = jsonRuleOf(c);
      nftFlush();
      nftLoad(tableText(c, renderJsonRule(rule as JRule)));
      const a = nftList();
      if (c.listed) assert.ok(a.includes(`\t\t${c.listed}`), `nft lists ${c.listed}`);
      else assert.ok(a.includes(`\t\t${c.rendered ?? c.text}`), `nft lists the rendered text:\n${a}`);

      nftFlush();
      nftLoad(tableText(c));
      const tx = nft.transaction();
      tx.add(rule);
      await tx.commit();
      assert.equal(nftList(), a);

      const doc = await nft.listJson({ family: c.family, table: 't' });
      const listed = doc.nftables.flatMap((i) => ('rule' in i && i.rule.chain === c.chain ? [i.rule] : []));
      assert.equal(listed.length, 1);
      assert.deepEqual(listed[0]?.expr, c.listedJson ?? c.expr);
      assert.equal(listed[0]?.comment, c.comment);

      // listRules (a chain's rules alone) decodes it the same
      const got = await nft.listRules({ family: c.family, table: 't', chain: c.chain });
      assert.deepEqual(got, listed);
    });
  }
});
