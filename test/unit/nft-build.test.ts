// SPDX-License-Identifier: GPL-2.0-or-later
/** lib/nft/build.ts: a document becomes one batch of operations, in the order nft applies them. */
import assert from 'node:assert/strict';
import { buildDocument } from '../../lib/nft/build';
import type { NftDocument } from '../../lib/nft/schema';
import type { OpDesc, RuleDesc, SetDesc } from '../../lib/native';

const table = { table: { family: 'inet', name: 't', handle: 1 } } as const;
const chain = (name: string) => ({ chain: { family: 'inet', table: 't', name, handle: 2 } }) as const;

const kinds = (ops: readonly { op: OpDesc }[]): string[] => ops.map(({ op }) => `${op.verb} ${op.object} ${'name' in op ? op.name : 'set' in op ? op.set : op.chain}`);

describe('nft documents to a batch (lib/nft/build.ts)', () => {
  it('applies a listing in nft file order: chains exist before the map that jumps to them, rules last', () => {
    const doc: NftDocument = {
      nftables: [
        { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
        table,
        { map: { family: 'inet', table: 't', name: 'm', type: 'inet_service', map: 'verdict', handle: 3, elem: [[22, { jump: { target: 'ssh' } }]] } },
        chain('input'),
        chain('ssh'),
        { rule: { family: 'inet', table: 't', chain: 'input', handle: 4, expr: [{ vmap: { key: { payload: { protocol: 'tcp', field: 'dport' } }, data: '@m' } }] } },
      ],
    };
    const { ops } = buildDocument(doc);
    assert.deepEqual(kinds(ops), ['add table t', 'add chain input', 'add chain ssh', 'add set m', 'add elements m', 'add rule input']);
    // handles of a listing are not sent with add (nft 1.0.6 ignores them too)
    assert.equal(ops.some(({ op }) => 'handle' in op && op.handle !== undefined), false);
  });

  it('registers anonymous sets in the same batch, named __set%d with a batch id the lookup uses', () => {
    const doc: NftDocument = {
      nftables: [
        { add: { rule: { family: 'inet', table: 't', chain: 'c', expr: [{ match: { op: '==', left: { payload: { protocol: 'tcp', field: 'dport' } }, right: { set: [22, 80, 443] } } }, { accept: null }] } } },
      ],
    };
    const { ops } = buildDocument(doc);
    assert.deepEqual(kinds(ops), ['add set __set%d', 'add elements __set%d', 'add rule c']);
    const set = ops[0]?.op as SetDesc;
    const rule = ops[2]?.op as RuleDesc;
    assert.equal(set.size, 3);
    assert.ok(set.id !== undefined && set.id > 0);
    const lookup = rule.exprs?.find((e) => e.type === 'lookup');
    assert.equal(lookup && 'setId' in lookup ? lookup.setId : undefined, set.id);
  });

  it('flush ruleset deletes the kernel tables and those the document added before it', () => {
    const doc: NftDocument = { nftables: [{ add: { table: { family: 'ip', name: 'a' } } }, { flush: { ruleset: null } }, { add: { table: { family: 'ip', name: 'b' } } }] };
    const { ops } = buildDocument(doc, { tables: () => [{ family: 'inet', name: 'k' }] });
    assert.deepEqual(kinds(ops), ['add table a', 'delete table k', 'delete table a', 'add table b']);
    assert.throws(() => buildDocument(doc), /nftables\[1\]\.flush\.ruleset \(flush ruleset needs the kernel's tables: use Nftables#commitJson\)/);
  });

  it('elements of a set the document does not define need the kernel view, and say which set', () => {
    const doc: NftDocument = { nftables: [{ add: { element: { family: 'ip', table: 't', name: 's', elem: ['10.0.0.1'] } } }] };
    assert.throws(() => buildDocument(doc), /nftables\[0\]\.add\.element\.name but received "s" \(no set ip t s\)/);
    const { ops } = buildDocument(doc, { set: (f, t, n) => (n === 's' ? { family: f, table: t, name: n, type: 'ipv4_addr' } : undefined) });
    assert.deepEqual(kinds(ops), ['add elements s']);
  });

  it('reset commands are returned apart (nft runs them as reset requests), not queued in the batch', () => {
    const { ops, resets } = buildDocument({ nftables: [{ reset: { counters: { family: 'inet', table: 't' } } }] });
    assert.equal(ops.length, 0);
    assert.deepEqual(resets, [{ kind: 'counters', family: 'inet', table: 't' }]);
  });

  it('a rule a set statement updates gets its set the dynamic flag nft -j omits', () => {
    const doc: NftDocument = {
      nftables: [
        { set: { family: 'ip', table: 't', name: 's', type: 'ipv4_addr', flags: ['timeout'], timeout: 60 } },
        { rule: { family: 'ip', table: 't', chain: 'c', expr: [{ set: { op: 'update', elem: { payload: { protocol: 'ip', field: 'saddr' } }, set: '@s' } }] } },
      ],
    };
    const set = buildDocument(doc).ops[0]?.op as SetDesc;
    assert.equal((set.flags ?? 0) & 0x20, 0x20); // NFT_SET_EVAL
  });
});
