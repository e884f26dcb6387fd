// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Delinearize oracle: rules loaded with `nft -f` (hand-written cases for every statement and
 * expression kind, and the nftables shell-test dumps of ../shared/corpus), read back through
 * the package's rule dump and lib/nft/delinearize.ts, must deep-equal the rules of
 * `nft -j list ruleset`. Also: decoding never throws, whatever the expressions hold.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Nftables } from '../../lib';
import type { RuleData } from '../../lib/native';
import type { DecodedExpr } from '../../lib/expr/registry';
import { delinearizeRule, type DelinearizeContext } from '../../lib/nft/delinearize';
import { CASES, preamble, type DelinCase } from '../fixtures/delinearize/cases';
import { compareRuleset, type RuleDiff } from '../helpers/delin-compare';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

const CORPUS = resolve(__dirname, '../../../shared/corpus/nftables-shell-dumps');

function dumpsUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.nft')) out.push(p);
    }
  };
  if (existsSync(dir)) walk(dir);
  return out;
}

function caseText(c: DelinCase): string {
  const chain = c.chain ?? (c.family === 'netdev' ? 'type filter hook ingress device lo priority 0;' : 'type filter hook input priority 0;');
  return `table ${c.family} t {\n${preamble(c.family)}\n  chain c {\n    ${chain}\n    ${c.rule}\n  }\n}\n`;
}

function show(d: RuleDiff): string {
  return `${d.key}: ${d.reason}\n  nft:  ${JSON.stringify((d.expected as { expr?: unknown }).expr)}\n  ours: ${JSON.stringify((d.actual as { expr?: unknown }).expr)}`;
}

describe('delinearize: kernel rules read back exactly as nft -j list ruleset prints them', function () {
  let lib: Nftables;
  before(async () => {
    lib = await Nftables.open();
  });
  after(async () => {
    await lib?.close();
  });

  describe('hand-written cases', () => {
    for (const c of CASES) {
      it(`${c.family}: ${c.rule}`, async function () {
        nftFlush();
        try {
          nft(['-f', '-'], caseText(c));
        } catch (e) {
          // a statement this kernel lacks (module not built): nothing to compare
          this.skip();
          void e;
        }
        const r = await compareRuleset(lib);
        assert.ok(r.total >= 1, 'the case rule is listed');
        assert.deepEqual(r.diffs.map(show), []);
      });
    }
  });

  describe('corpus dumps', () => {
    for (const folder of ['v1.0.6', 'head']) {
      it(`${folder}: rules equal nft -j (score and top failure reasons)`, async function () {
        const files = dumpsUnder(join(CORPUS, folder));
        if (files.length === 0) this.skip();
        let total = 0;
        let equal = 0;
        let undecoded = 0;
        let loaded = 0;
        const reasons = new Map<string, number>();
        for (const f of files) {
          nftFlush();
          try {
            nft(['-f', f]);
          } catch {
            continue; // nft 1.0.6 or this kernel refuses the dump
          }
          loaded++;
          const r = await compareRuleset(lib);
          total += r.total;
          equal += r.equal;
          undecoded += r.undecoded;
          for (const d of r.diffs) reasons.set(d.reason, (reasons.get(d.reason) ?? 0) + 1);
          if (process.env.NFTJS_DELIN_VERBOSE === '1') for (const d of r.diffs) console.log(`${relative(CORPUS, f)} ${show(d)}`);
        }
        nftFlush();
        const pct = total ? ((100 * equal) / total).toFixed(1) : '0';
        console.log(`      ${folder}: ${loaded}/${files.length} dumps loaded, ${equal}/${total} rules equal (${pct}%), ${undecoded} kept raw`);
        for (const [k, v] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`        ${v}\t${k}`);
        assert.ok(total > 0, 'the corpus has rules');
        // The floor is the score this branch reached; a regression below it fails.
        assert.ok(equal / total >= 0.95, `only ${pct}% of ${folder} rules equal`);
      });
    }
  });
});

describe('delinearize never throws', () => {
  const ctx: DelinearizeContext = { family: 'ip', table: 't', set: () => undefined };
  const rule = (exprs: unknown[]): RuleData => ({ family: 2, table: 't', chain: 'c', handle: 7n, exprs: exprs as DecodedExpr[] });
  const cases: Array<[string, unknown[]]> = [
    ['unknown expression', [{ type: 'tunnel', unknown: true, raw: new Uint8Array([1, 2]) }]],
    ['cmp on an empty register', [{ type: 'cmp', sreg: 1, op: 0, data: new Uint8Array([1]) }]],
    ['cmp without data', [{ type: 'payload', dreg: 1, base: 1, offset: 9, len: 1 }, { type: 'cmp', sreg: 1, op: 0 }]],
    ['register out of range', [{ type: 'meta', key: 3, dreg: 99 }]],
    ['unknown meta key', [{ type: 'meta', key: 999, dreg: 1 }]],
    ['unknown cmp op', [{ type: 'payload', dreg: 1, base: 1, offset: 9, len: 1 }, { type: 'cmp', sreg: 1, op: 17, data: new Uint8Array([6]) }]],
    ['payload of length 0', [{ type: 'payload', dreg: 1, base: 1, offset: 9, len: 0 }]],
    ['bad payload base', [{ type: 'payload', dreg: 1, base: 42, offset: 9, len: 1 }]],
    ['bitwise with mismatched mask', [{ type: 'meta', key: 3, dreg: 1 }, { type: 'bitwise', sreg: 1, dreg: 1, len: 4, mask: new Uint8Array([1]), xor: new Uint8Array([0, 0, 0, 0]) }]],
    ['lookup of a missing set', [{ type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }, { type: 'lookup', sreg: 1, set: 'nope' }]],
    ['dynset of a missing set', [{ type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }, { type: 'dynset', sregKey: 1, op: 0, set: 'nope' }]],
    ['unknown verdict', [{ type: 'immediate', dreg: 0, verdict: 12345 }]],
    ['not an object', [null, 3, 'x']],
    ['limit with a bad unit', [{ type: 'limit', rate: 1n, unit: 7n }]],
    ['nat without registers', [{ type: 'nat', natType: 9 }]],
    ['objref of a missing map', [{ type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }, { type: 'objref', setSreg: 1, setName: 'm' }]],
  ];
  for (const [name, exprs] of cases) {
    it(`${name}: one raw statement holding the expressions, undecoded`, () => {
      const r = delinearizeRule(rule(exprs), ctx);
      assert.equal(r.undecoded, true);
      assert.equal(typeof r.reason, 'string');
      assert.deepEqual(r.rule.expr, [{ raw: { exprs } }]);
      assert.equal(r.rule.handle, 7);
      assert.equal(r.rule.chain, 'c');
    });
  }
  it('xfrm, flow_offload and match/target decode from the registry (ipsec, flow add, xt kept raw)', () => {
    const xfrm = { type: 'xfrm', dreg: 1, key: 5, dir: 0, spnum: 0 };
    // reqid is host-endian (nft's xfrm.c): 7 on a little-endian host
    const cmp = { type: 'cmp', sreg: 1, op: 0, data: new Uint8Array(new Uint32Array([7]).buffer) };
    const match = { type: 'match', name: 'conntrack', rev: 3, info: new Uint8Array(8) };
    const r = delinearizeRule(rule([xfrm, cmp, { type: 'flow_offload', tableName: 'ft' }, match]), ctx);
    assert.equal(r.undecoded, false, r.reason);
    assert.deepEqual(r.rule.expr, [
      { match: { op: '==', left: { ipsec: { key: 'reqid', dir: 'in', spnum: 0 } }, right: 7 } },
      { flow: { op: 'add', flowtable: '@ft' } },
      { raw: { exprs: [match] } },
    ]);
  });
  it('exprs that are not a list', () => {
    const r = delinearizeRule({ family: 2, table: 't', chain: 'c', handle: 1n, exprs: 'nope' as unknown as DecodedExpr[] }, ctx);
    assert.equal(r.undecoded, true);
    assert.deepEqual(r.rule.expr, [{ raw: { exprs: [] } }]);
  });
  it('malformed rule userdata: no comment, no throw', () => {
    const r = delinearizeRule({ ...rule([{ type: 'counter', packets: 1n, bytes: 2n }]), userdata: new Uint8Array([0, 200, 65]) }, ctx);
    assert.equal(r.undecoded, false);
    assert.equal(r.rule.comment, undefined);
    assert.deepEqual(r.rule.expr, [{ counter: { packets: 1n, bytes: 2n } }]);
  });
  it('a set that throws when asked: raw, no throw', () => {
    const bad: DelinearizeContext = { family: 'ip', table: 't', set: () => { throw new Error('boom'); } };
    const exprs = [{ type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }, { type: 'lookup', sreg: 1, set: 's' }];
    const r = delinearizeRule(rule(exprs), bad);
    assert.equal(r.undecoded, true);
  });
});
