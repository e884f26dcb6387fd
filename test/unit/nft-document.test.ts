// SPDX-License-Identifier: GPL-2.0-or-later
/** lib/nft/document.ts: bigint-safe parsing, validation naming the JSON path, export text. */
import assert from 'node:assert/strict';
import { parseJsonDocument, toJsonText, validateDocument } from '../../lib/nft/document';
import type { NftDocument } from '../../lib/nft/schema';

const BIG = '18446744073709551615'; // 2^64 - 1: a counter nft prints as an exact integer

describe('nft JSON documents (lib/nft/document.ts)', () => {
  it('parses counters above 2^53 as exact bigints and writes them back as the same integer literals', () => {
    const text = `{"nftables":[{"metainfo":{"version":"1.0.6","release_name":"Lester Gooch #5","json_schema_version":1}},{"counter":{"family":"inet","name":"c","table":"t","handle":2,"packets":9007199254740993,"bytes":${BIG}}}]}`;
    const doc = parseJsonDocument(text);
    const counter = (doc.nftables[1] as { counter: { packets: unknown; bytes: unknown; handle: unknown } }).counter;
    assert.equal(counter.packets, 9007199254740993n);
    assert.equal(counter.bytes, 2n ** 64n - 1n);
    assert.equal(counter.handle, 2);
    assert.equal(toJsonText(doc), text);
  });

  it('JSON.stringify of a parsed document does not throw on its bigints', () => {
    const doc = parseJsonDocument(`{"nftables":[{"counter":{"family":"ip","table":"t","name":"c","packets":1,"bytes":${BIG}}}]}`);
    const plain = JSON.parse(JSON.stringify(doc)) as { nftables: [{ counter: { bytes: unknown; packets: unknown } }] };
    assert.equal(plain.nftables[0].counter.bytes, BIG);
    assert.equal(plain.nftables[0].counter.packets, 1);
  });

  it('names the JSON path of the first problem', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ nftables: [{ add: { table: { family: 'ipx', name: 't' } } }] }, /for nftables\[0\]\.add\.table\.family but received "ipx"/],
      [{ nftables: [{ metainfo: {} }, { add: { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ acept: null }] } } }] }, /nftables\[1\]\.add\.rule\.expr\[0\] key but received "acept"/],
      [{ nftables: [{ rule: { family: 'ip', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { payload: 7 }, right: 1 } }] } }] }, /nftables\[0\]\.rule\.expr\[0\]\.match\.left\.payload but received 7/],
      [{ nftables: [{ insert: { table: { family: 'ip', name: 't' } } }] }, /a rule \(nft's insert takes rules only\) for nftables\[0\]\.insert key/],
      [{ nftables: [{ create: { rule: { family: 'ip', table: 't', chain: 'c', expr: [] } } }] }, /nft has no create for rules/],
      [{ nftables: [{ delete: { rule: { family: 'ip', table: 't', chain: 'c' } } }] }, /nftables\[0\]\.delete\.rule\.handle but received undefined/],
      [{ nftables: [{ add: { set: { family: 'ip', table: 't', name: 's' } } }] }, /datatype name .* for nftables\[0\]\.add\.set\.type/],
      [{ nftables: [{ metainfo: { json_schema_version: 2 } }] }, /integer 0-1 for nftables\[0\]\.metainfo\.json_schema_version/],
      [{ nftables: [{ add: { table: { family: 'ip', name: 'a\0b' } } }] }, /nftables\[0\]\.add\.table\.name/],
      [{ tables: [] }, /a document \{ "nftables": \[ … \] \} for document/],
    ];
    for (const [doc, re] of cases) assert.throws(() => validateDocument(doc), (e: unknown) => e instanceof TypeError && re.test(e.message), `for ${JSON.stringify(doc)}`);
  });

  it('refuses a statement nft printed as text (nft cannot load it back either)', () => {
    const doc = { nftables: [{ rule: { family: 'ip', table: 't', chain: 'c', expr: ['update @m { ip saddr : tcp sport }'] } }] };
    assert.throws(() => validateDocument(doc), /nftables\[0\]\.rule\.expr\[0\] but received "update @m/);
  });

  it('accepts nft listing output and every command verb', () => {
    const rule = { family: 'inet', table: 't', chain: 'c', handle: 3, expr: [{ match: { op: '==', left: { meta: { key: 'l4proto' } }, right: 'tcp' } }, { counter: { packets: 0, bytes: 0 } }, { accept: null }] };
    const doc: unknown = {
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        { flush: { ruleset: null } },
        { add: { table: { family: 'inet', name: 't' } } },
        { create: { chain: { family: 'inet', table: 't', name: 'c', type: 'filter', hook: 'input', prio: 0, policy: 'accept' } } },
        { add: { set: { family: 'inet', table: 't', name: 's', type: ['ipv4_addr', 'inet_service'], flags: ['interval'], elem: [{ concat: ['10.0.0.1', 22] }] } } },
        { add: { map: { family: 'inet', table: 't', name: 'm', type: 'ipv4_addr', map: 'verdict', elem: [['10.0.0.1', { accept: null }]] } } },
        { add: { element: { family: 'inet', table: 't', name: 's', elem: { elem: { val: { concat: ['10.0.0.2', 80] }, comment: 'x' } } } } },
        { add: { rule } },
        { insert: { rule: { ...rule, handle: 3 } } },
        { replace: { rule } },
        { delete: { rule: { family: 'inet', table: 't', chain: 'c', handle: 3 } } },
        { destroy: { set: { family: 'inet', table: 't', name: 's' } } },
        { flush: { chain: { family: 'inet', table: 't', name: 'c' } } },
        { reset: { counters: { family: 'inet', table: 't' } } },
        { delete: { table: { family: 'inet', handle: 1 } } },
      ],
    };
    assert.equal(validateDocument(doc), doc);
  });

  it('toJsonText refuses the package raw statement, naming the rule, unless allowRaw', () => {
    const doc: NftDocument = { nftables: [{ rule: { family: 'ip', table: 'f', chain: 'c', handle: 7, expr: [{ raw: { exprs: [{ type: 'notrack' }] } }] } }] };
    assert.throws(() => toJsonText(doc), /rule ip f c handle 7 \(nftables\[0\]\) holds kernel expressions this package could not decode/);
    assert.match(toJsonText(doc, { allowRaw: true }), /"raw":\{"exprs":\[\{"type":"notrack"\}\]\}/);
  });

  it('reports text that is not JSON as a SyntaxError', () => {
    assert.throws(() => parseJsonDocument('{"nftables": ['), SyntaxError);
  });
});
