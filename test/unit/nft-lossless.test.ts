// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The lossless model's forms (lib/nft/schema.ts): their validation in validateDocument and
 * their projection to nft 1.0.6's output (toJsonText(doc, { nft106: true }), lib/nft/nft106.ts).
 * The projected texts are what nft 1.0.6 prints for the same rulesets (corpus dumps
 * 0010_implicit_chain_0, 0005_cache_chain_flush, 0060set_multistmt_0, typeof sets).
 */
import assert from 'node:assert/strict';
import { parseJsonDocument, toJsonText, validateDocument } from '../../lib/nft/document';
import type { NftDocument } from '../../lib/nft/schema';

const nft106 = (doc: NftDocument): unknown => JSON.parse(toJsonText(doc, { nft106: true })) as unknown;
const items = (doc: NftDocument): unknown[] => (nft106(doc) as { nftables: unknown[] }).nftables;

const rule = (expr: unknown[]): NftDocument => ({ nftables: [{ rule: { family: 'ip', table: 't', chain: 'c', handle: 3, expr } }] }) as unknown as NftDocument;

describe('lossless model forms (schema, validation, nft106 projection)', () => {
  it('accepts every lossless form in validateDocument and parseJsonDocument', () => {
    const doc = {
      nftables: [
        { table: { family: 'ip', name: 't', handle: 1, comment: 'tc' } },
        { set: { family: 'ip', table: 't', name: 's', type: { typeof: { payload: { protocol: 'ip', field: 'saddr' } } }, flags: ['dynamic', 'timeout'], 'auto-merge': true } },
        { map: { family: 'ip', table: 't', name: 'm', type: { typeof: { concat: [{ payload: { protocol: 'ip', field: 'saddr' } }, { meta: { key: 'mark' } }] } }, map: { typeof: { meta: { key: 'mark' } } } } },
        { set: { family: 'ip', table: 't', name: 'e', type: 'ipv4_addr', elem: [{ elem: { val: '1.1.1.1', limit: { rate: 1, per: 'second' }, counter: { packets: 0, bytes: 0 } } }] } },
        { chain: { family: 'netdev', table: 'n', name: 'c', type: 'filter', hook: 'ingress', prio: 0, policy: 'accept', dev: ['dummy0', 'lo'], comment: 'cc' } },
        {
          rule: {
            family: 'ip', table: 't', chain: 'c', expr: [
              { map: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, data: { payload: { protocol: 'tcp', field: 'sport' } }, map: '@m' } },
              { last: { used: 1200 } },
              { last: null },
              { jump: { target: '__chain0', rules: [[{ accept: null }], [{ jump: { target: '__chain1', rules: [[{ drop: null }]] } }]] } },
            ],
          },
        },
      ],
    };
    assert.doesNotThrow(() => validateDocument(doc));
    assert.doesNotThrow(() => parseJsonDocument(JSON.stringify(doc)));
  });

  it('names the JSON path of a malformed lossless form', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ set: { family: 'ip', table: 't', name: 's', type: { typeof: { payload: 7 } } } }, /nftables\[0\]\.set\.type\.typeof\.payload but received 7/],
      [{ set: { family: 'ip', table: 't', name: 's', type: { tpyeof: 'x' } } }, /\{ typeof: <expression> \} for nftables\[0\]\.set\.type/],
      [{ map: { family: 'ip', table: 't', name: 'm', type: 'ipv4_addr', map: [] } }, /for nftables\[0\]\.map\.map but received \[\]/],
      [{ set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', 'auto-merge': 'yes' } }, /a boolean for nftables\[0\]\.set\.auto-merge/],
      [{ set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', elem: [{ elem: { val: '1.1.1.1', lmit: {} } }] } }, /nftables\[0\]\.set\.elem\[0\]\.elem\.lmit/],
      [rule([{ map: { op: 'update', elem: 1, data: 2, map: 'm' } }]).nftables[0], /a map reference "@name" for nftables\[0\]\.rule\.expr\[0\]\.map\.map but received "m"/],
      [rule([{ map: { op: 'replace', elem: 1, data: 2, map: '@m' } }]).nftables[0], /operation \(add, update, delete\) for nftables\[0\]\.rule\.expr\[0\]\.map\.op/],
      [rule([{ last: { used: -1 } }]).nftables[0], /nftables\[0\]\.rule\.expr\[0\]\.last\.used/],
      [rule([{ last: { usd: 1 } }]).nftables[0], /null or \{ used \}/],
      [rule([{ jump: { target: '__chain0', rules: [[{ acept: null }]] } }]).nftables[0], /nftables\[0\]\.rule\.expr\[0\]\.jump\.rules\[0\]\[0\] key but received "acept"/],
      [rule([{ goto: { target: '__chain0', rules: [[]] } }]).nftables[0], /non-empty array of statements .* for nftables\[0\]\.rule\.expr\[0\]\.goto\.rules\[0\]/],
      [rule([{ vmap: { key: 1, data: { set: [[1, { jump: { target: 'x', rules: [] } }]] } } }]).nftables[0], /a chain binding is a statement/],
    ];
    for (const [item, re] of cases) {
      assert.throws(() => validateDocument({ nftables: [item] }), (e: unknown) => e instanceof TypeError && re.test(e.message), `for ${JSON.stringify(item)}`);
    }
  });

  it('projects typeof types to the datatype names nft 1.0.6 prints', () => {
    const doc = {
      nftables: [
        { set: { family: 'ip', table: 't', name: 's', handle: 2, type: { typeof: { payload: { protocol: 'ip', field: 'saddr' } } }, flags: ['dynamic'], 'auto-merge': true } },
        { map: { family: 'ip', table: 't', name: 'm', handle: 3, type: { typeof: { concat: [{ payload: { protocol: 'ip', field: 'saddr' } }, { meta: { key: 'mark' } }] } }, map: { typeof: { concat: [{ payload: { protocol: 'ip', field: 'daddr' } }, { payload: { protocol: 'tcp', field: 'dport' } }] } } } },
        { map: { family: 'ip', table: 't', name: 'v', handle: 4, type: { typeof: { payload: { base: 'ih', offset: 32, len: 32 } } }, map: 'verdict' } },
      ],
    } as unknown as NftDocument;
    assert.deepEqual(items(doc), [
      { set: { family: 'ip', table: 't', name: 's', handle: 2, type: 'ipv4_addr' } },
      { map: { family: 'ip', table: 't', name: 'm', handle: 3, type: ['ipv4_addr', 'mark'], map: 'ipv4_addr . inet_service' } },
      { map: { family: 'ip', table: 't', name: 'v', handle: 4, type: 'integer', map: 'verdict' } },
    ]);
    // The lossless form itself is written unchanged.
    assert.deepEqual((JSON.parse(toJsonText(doc)) as { nftables: unknown[] }).nftables[0], (doc.nftables[0] as unknown as object));
  });

  it('keeps only the first element statement, and drops a first `last` (nft 1.0.6 merges its text, which does nothing)', () => {
    const doc = {
      nftables: [
        {
          set: {
            family: 'ip', table: 't', name: 's', handle: 2, type: 'ipv4_addr',
            elem: [
              { elem: { val: '1.1.1.1', limit: { rate: 1, per: 'second' }, counter: { packets: 0, bytes: 0 } } },
              { elem: { val: '2.2.2.2', comment: 'x', last: null, counter: { packets: 1, bytes: 2 } } },
              '3.3.3.3',
            ],
          },
        },
        { element: { family: 'ip', table: 't', name: 's', elem: [{ elem: { val: '4.4.4.4', counter: { packets: 0, bytes: 0 }, quota: { val: 1, val_unit: 'mbytes' } } }] } },
      ],
    } as unknown as NftDocument;
    const [set, element] = items(doc) as [{ set: { elem: unknown[] } }, { element: { elem: unknown[] } }];
    assert.deepEqual(set.set.elem, [{ elem: { val: '1.1.1.1', limit: { rate: 1, per: 'second' } } }, { elem: { val: '2.2.2.2', comment: 'x' } }, '3.3.3.3']);
    assert.deepEqual(element.element.elem, [{ elem: { val: '4.4.4.4', counter: { packets: 0, bytes: 0 } } }]);
  });

  it('prints map statements, last and chain bindings as their nft text (nft 1.0.6 has no JSON for them)', () => {
    const doc = rule([
      { map: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, data: { payload: { protocol: 'tcp', field: 'sport' } }, map: '@mapping' } },
      { last: null },
      { jump: { target: '__chain0', rules: [[{ accept: null }]] } },
    ]);
    const [r] = items(doc) as [{ rule: { expr: unknown[] } }];
    assert.deepEqual(r.rule.expr, ['update @mapping { ip saddr : tcp sport }', 'last used never', 'jump {\n\t\t\taccept\n\t\t}']);
  });

  it('indents nested chain bindings one level deeper, as nft list ruleset does', () => {
    const doc = rule([
      {
        goto: {
          target: '__chain0',
          rules: [
            [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: 22 } }, { jump: { target: '__chain1', rules: [[{ drop: null }], [{ return: null }]] } }],
            [{ accept: null }],
          ],
        },
      },
    ]);
    const [r] = items(doc) as [{ rule: { expr: unknown[] } }];
    assert.deepEqual(r.rule.expr, ['goto {\n\t\t\ttcp dport 22 jump {\n\t\t\t\tdrop\n\t\t\t\treturn\n\t\t\t}\n\t\t\taccept\n\t\t}']);
  });
});
