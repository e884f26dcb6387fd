// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The linearizer on rules nobody here wrote: every dump of the nftables shell-test corpus
 * (`../shared/corpus/nftables-shell-dumps/{v1.0.6,head}`, read at test time) that nft 1.0.6 loads
 * is listed with `nft -j`, reloaded from that JSON (the reference, see nftJsonReference), and each
 * listed rule is linearized and compared with the kernel's expressions. Prints the share of
 * byte-identical rules and the top failure reasons; fails when a folder scores fewer identical
 * rules than the checked-in baseline (test/fixtures/linearize/corpus-baseline.json).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Nftables } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { compareListing, nftJsonReference, useNetnsInterfaces } from '../helpers/linearize-oracle';

assertPrivateNetns();

const CORPUS = resolve(__dirname, '../../../shared/corpus/nftables-shell-dumps');
const BASELINE = JSON.parse(readFileSync(resolve(__dirname, '../fixtures/linearize/corpus-baseline.json'), 'utf8')) as Record<string, { identical: number; rules: number }>;

function dumps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.nft')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

const nftQuiet = (args: string[]): void => {
  execFileSync('nft', args, { stdio: ['ignore', 'pipe', 'pipe'] });
};

describe('linearizeRule over the nftables corpus', function () {
  this.timeout(600_000);
  let nft: Nftables;
  before(async function () {
    if (!existsSync(CORPUS)) this.skip();
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    nft = await Nftables.open();
    useNetnsInterfaces();
  });
  after(async () => {
    await nft?.close();
  });

  for (const folder of ['v1.0.6', 'head']) {
    it(`${folder}: rules linearize byte-identically (at least the baseline)`, async () => {
      let rules = 0;
      let identical = 0;
      let refused = 0;
      const reasons = new Map<string, { n: number; example: string }>();
      for (const file of dumps(join(CORPUS, folder))) {
        nftQuiet(['flush', 'ruleset']);
        let listing;
        try {
          listing = nftJsonReference(() => nftQuiet(['-f', file]));
        } catch {
          refused++; // nft 1.0.6 or this kernel refuses the dump
          continue;
        }
        for (const { result } of await compareListing(nft, listing)) {
          rules++;
          if (result.ok) identical++;
          else {
            const r = (result.reason ?? '?').replace(/ \(.*$/s, '').replace(/"[^"]*"/g, '"…"').slice(0, 110);
            const e = reasons.get(r) ?? { n: 0, example: relative(CORPUS, file) };
            e.n++;
            reasons.set(r, e);
          }
        }
      }
      nftQuiet(['flush', 'ruleset']);
      const pct = rules === 0 ? 0 : (100 * identical) / rules;
      console.log(`      ${folder}: ${identical}/${rules} rules byte-identical (${pct.toFixed(1)}%), ${refused} dumps refused by nft/kernel`);
      for (const [r, { n, example }] of [...reasons].sort((a, b) => b[1].n - a[1].n).slice(0, 8)) console.log(`        ${n} × ${r} (e.g. ${example})`);
      const base = BASELINE[folder];
      assert.ok(base, `baseline for ${folder}`);
      assert.ok(identical >= base.identical, `${folder}: ${identical} identical rules, the baseline has ${base.identical}`);
      if (identical > base.identical) console.log(`        improved on the baseline by ${identical - base.identical} rules`);
    });
  }
});
