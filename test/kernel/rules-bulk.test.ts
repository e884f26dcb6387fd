// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Big transactions through the packed rule transport, against nft: thousands of rules in one
 * commit (packed in slices that yield), prepared rules reused across transactions, bad input
 * in a big batch (nothing applied), typed element loads in slices (addElementsAsync).
 */
import assert from 'node:assert/strict';
import { Nftables, accept, counter, drop, ipSaddr, prepareRule, tcpDport, type Chain, type JsonRule, type SetSpec, type Table } from '../../lib';
import { elementsDesc, elementsDescAsync } from '../../lib/model/elements';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'ip', name: 'bulk' };
const c: Chain = { table: t, name: 'c' };
const addr = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const saddrRule = (i: number): JsonRule => ({ family: t.family, table: t.name, chain: 'c', expr: [ipSaddr(addr(i)), counter(), accept()] });

describe('bulk rule commits (packed transport)', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });

  it('commits 3,000 rules in one async transaction, in order, as nft lists them', async () => {
    const tx = nft.transaction().addTable(t).addChain(c);
    for (let i = 0; i < 3000; i++) tx.addRule(saddrRule(i));
    const r = await tx.commit();
    assert.equal(r.messages, 3000 + 4);
    const rules = nftList()
      .split('\n')
      .filter((l) => l.includes('ip saddr'))
      .map((l) => l.trim());
    assert.equal(rules.length, 3000);
    assert.equal(rules[0], 'ip saddr 10.0.0.0 counter packets 0 bytes 0 accept');
    assert.equal(rules[2999], `ip saddr ${addr(2999)} counter packets 0 bytes 0 accept`);
  });

  it('a prepared rule commits in several transactions, its anonymous set fresh each time, as the same rule compiled afresh', async () => {
    const web: JsonRule = { family: t.family, table: t.name, chain: 'c', expr: [tcpDport([22, 80, 443]), counter(), accept()], comment: 'web' };
    await nft.transaction().addTable(t).addChain(c).addRule(web).addRule(saddrRule(7)).commit();
    const expected = nftList();
    nftFlush();
    const prepared = [prepareRule(web), prepareRule(saddrRule(7))];
    await nft.transaction().addTable(t).addChain(c).addRule(prepared[0]!).addRule(prepared[1]!).commit();
    assert.equal(nftList(), expected);
    // Again, in the same table: a second copy of each, with its own anonymous set.
    await nft.transaction().addRule(prepared[0]!).addRule(prepared[1]!).commit();
    const listed = nftList();
    assert.equal(listed.split('tcp dport { 22, 80, 443 } counter packets 0 bytes 0 accept comment "web"').length, 3);
    const sets = (await nft.listSets({ family: 'ip', table: 'bulk' })).length;
    assert.equal(sets, 0, 'anonymous sets are not listed as named sets');
  });

  it('a malformed rule in a big transaction rejects with a TypeError naming it, and nothing is applied', async () => {
    const tx = nft.transaction().addTable(t).addChain(c);
    for (let i = 0; i < 1000; i++) tx.addRule(saddrRule(i));
    tx.push({ object: 'rule', verb: 'add', family: 2, table: 'bulk', chain: 'c', exprs: [{ type: 'cmp', sreg: 1, op: 0, data: 'x' as unknown as Uint8Array }] });
    await assert.rejects(tx.commit(), { name: 'TypeError', message: /Expected a Uint8Array of 1-64 bytes for ops\[1002\]\.exprs\[0\] \(cmp\.data\)/ });
    assert.equal(nftList().trim(), '');
    // The connection is still usable.
    await nft.transaction().addTable(t).addChain(c).addRule(saddrRule(1)).commit();
    assert.match(nftList(), /ip saddr 10\.0\.0\.1 counter/);
  });

  it('commitSync and the dry run take the packed path too', () => {
    const tx = nft.transaction().addTable(t).addChain(c).addRule({ family: t.family, table: t.name, chain: 'c', expr: [tcpDport(22), drop()] });
    const bytes = tx.encode();
    assert.equal(bytes[4], 0x10); // NFNL_MSG_BATCH_BEGIN
    const r = tx.commitSync();
    assert.equal(r.batchBytes, bytes.length);
    assert.match(nftList(), /tcp dport 22 drop/);
  });
});

describe('typed element loads in slices (addElementsAsync)', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });

  const hash: SetSpec = { table: t, name: 's', key: 'ipv4_addr' };
  const ranges: SetSpec = { table: t, name: 'r', key: 'ipv4_addr', flags: ['interval'] };

  it('builds exactly what addElements builds, with the same errors', async () => {
    const xs = Array.from({ length: 20_000 }, (_, i) => addr(i));
    assert.deepEqual(await elementsDescAsync(hash, xs, 'add', 0), elementsDesc(hash, xs, 'add'));
    const cidrs = Array.from({ length: 5000 }, (_, i) => ({ key: `10.${i >> 8}.${i & 255}.0/24`, ...(i % 7 === 0 ? { comment: `n${i}` } : {}) }));
    assert.deepEqual(await elementsDescAsync(ranges, cidrs, 'add', 0), elementsDesc(ranges, cidrs, 'add'));
    const bad = [...xs.slice(0, 9000), 'not-an-address'];
    let syncError: unknown;
    try {
      elementsDesc(hash, bad, 'add');
    } catch (e) {
      syncError = e;
    }
    await assert.rejects(elementsDescAsync(hash, bad, 'add', 0), (e: unknown) => e instanceof TypeError && e.message === (syncError as Error).message);
  });

  it('loads 50,000 addresses into the kernel', async () => {
    const xs = Array.from({ length: 50_000 }, (_, i) => addr(i));
    const tx = nft.transaction().addTable(t).addSet(hash);
    await tx.addElementsAsync(hash, xs);
    await tx.commit();
    assert.equal((await nft.listElements(hash)).length, 50_000);
  });
});
