// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Clear errors at the boundary: sync calls and the connection's queue, NUL characters in
 * strings that reach native, malformed transaction input, the error formatter, EPERM on dumps.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Nftables, type SetSpec, type Table } from '../../lib';
import { show } from '../../lib/validate';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'inet', name: 'errs' };
const set: SetSpec = { table: t, name: 's', key: 'ipv4_addr' };

describe('errors at the boundary', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
    await nft.commit(nft.transaction().add(t).add(set));
  });
  afterEach(async () => {
    await nft.close();
  });

  it('a sync call while async work is queued is refused with EBUSY; async calls keep their order; once idle, sync calls run', async () => {
    const order: string[] = [];
    const a = nft.commit(nft.transaction().addElements(set, [{ key: '192.0.2.1' }])).then(() => order.push('a'));
    const b = nft.listElements(set).then((els) => order.push(`b:${els.length}`));
    const msg = /^commitSync\(\) was called while 2 asynchronous operations are queued or running on this connection; synchronous calls do not wait and never run ahead of queued ones: await them first, or use the asynchronous form$/;
    assert.throws(() => nft.transaction().addElements(set, [{ key: '192.0.2.2' }]).commitSync(), (e: Error & { code?: string }) => msg.test(e.message) && e.code === 'EBUSY');
    const prepared = nft.prepareElements({ family: 1, table: t.name, set: set.name, keyLen: 4 });
    assert.throws(() => nft.commitElementsSync(prepared, 'add', new Uint8Array([192, 0, 2, 3])), { code: 'EBUSY', message: /^commitElementsSync\(\) was called while 2 asynchronous operations/ });
    assert.throws(() => nft.dumpSync({ what: 'gen' }), { code: 'EBUSY', message: /^dumpSync\(\) was called while 2 asynchronous operations/ });
    await Promise.all([a, b]);
    assert.deepEqual(order, ['a', 'b:1']);
    // Idle: the sync forms run, and an async call made after one sees its effect.
    nft.transaction().addElements(set, [{ key: '192.0.2.2' }]).commitSync();
    nft.commitElementsSync(prepared, 'add', new Uint8Array([192, 0, 2, 3]));
    assert.equal((await nft.listElements(set)).length, 3);
  });

  it('refuses every string with a NUL before it reaches native (netns path, names in raw descriptors and dump requests)', async () => {
    const before = nftList();
    assert.throws(() => Nftables.openSync({ netns: '/proc/self/ns/net\0/x' }), {
      name: 'TypeError',
      message: 'Expected a namespace path such as /run/netns/NAME or /proc/PID/ns/net (no NUL characters) for netns but received "/proc/self/ns/net\\u0000/x"',
    });
    assert.throws(() => nft.transaction().push({ object: 'elements', verb: 'add', family: 1, table: 'errs', set: 's\0other', count: 1, keyLen: 4, keys: new Uint8Array(4) }), {
      name: 'TypeError',
      message: 'Expected a string without NUL characters for op.set but received "s\\u0000other"',
    });
    assert.throws(() => nft.transaction().push({ object: 'table', verb: 'add', family: 1, name: 'errs\0x' }), { name: 'TypeError', message: 'Expected a string without NUL characters for op.name but received "errs\\u0000x"' });
    assert.throws(() => nft.dump({ what: 'elements', family: 1, table: 'errs', set: 's\0' }), { name: 'TypeError', message: 'Expected a string without NUL characters for request.set but received "s\\u0000"' });
    assert.throws(() => nft.dumpSync({ what: 'chains', table: 'errs\0' }), { name: 'TypeError', message: 'Expected a string without NUL characters for request.table but received "errs\\u0000"' });
    assert.throws(() => nft.prepareElements({ family: 1, table: 'errs', set: 's\0', keyLen: 4 }), { name: 'TypeError', message: 'Expected a string without NUL characters for desc.set but received "s\\u0000"' });
    await assert.rejects(nft.listElements({ ...set, name: 's\0' }), { name: 'TypeError' });
    assert.equal(nftList(), before);
  });

  it('malformed transaction input gives house-format errors, not JS internals', () => {
    const tx = nft.transaction();
    const bad = (fn: () => unknown, message: string) => assert.throws(fn, (e: Error) => e instanceof TypeError && e.message === message);
    bad(() => tx.add(5 as never), 'Expected a model object (table, chain, set, named object or rule) for object but received 5');
    bad(() => tx.add(null as never), 'Expected a model object (table, chain, set, named object or rule) for object but received null');
    bad(() => tx.delete('fw' as never), 'Expected a model object (table, chain, set, named object or rule) for object but received "fw"');
    bad(() => tx.flush(undefined as never), 'Expected a model object (table, chain, set, named object or rule) for object but received undefined');
    bad(() => tx.addAll(7 as never), 'Expected an iterable of model objects for objects but received 7');
    bad(() => tx.addElements(set, 'x' as never), 'Expected an array of elements for elements but received "x"');
    bad(() => tx.addElements(set, { key: 1 } as never), 'Expected an array of elements for elements but received {"key":1}');
    bad(() => tx.addRule({ family: t.family, table: t.name, chain: 'c', expr: 5 as never }), 'Expected an array of statements for rule.expr but received 5');
    bad(
      () => tx.addRule({ table: t, chain: 'c', statements: [] } as never),
      "Expected a rule of nft's JSON model { family, table, chain, expr: [statements] } for rule but received a rule with `statements`: the typed statement model was replaced by nft's JSON model (docs/json.md; the helpers of lib/match build its statements)",
    );
    bad(() => tx.add({ table: t, name: 's2', key: 'ipv4_addr', flags: 'timeout' as never }), 'Expected an array of set flags for set.flags but received "timeout"');
    bad(() => tx.add({ table: t, name: 'c', base: 5 as never }), 'Expected a base chain description { type, hook, priority } for chain.base but received 5');
    bad(() => tx.add({ table: t, name: 'c', base: { type: 'filter', hook: 'ingress', priority: 0, devices: 'eth0' as never } }), 'Expected an array of interface names for chain.base.devices but received "eth0"');
    bad(() => tx.push(null as never), 'Expected a native operation descriptor { object, verb, family, … } for op but received null');
    assert.equal(tx.size, 0);
  });

  it('a huge or sparse array is refused at once, before any work', () => {
    const tx = nft.transaction();
    // Before: minutes of iteration over the holes, then an unrelated error.
    assert.throws(() => tx.addElements(set, new Array(2 ** 32 - 1)), { name: 'RangeError', message: 'Expected at most 16777216 elements for elements but received an array of 4294967295' });
    const sparse: unknown[] = [];
    sparse[1000] = { key: '192.0.2.1' };
    assert.throws(() => tx.addElements(set, sparse as never), { name: 'TypeError', message: 'Expected an array of elements without holes for elements[0] but received undefined' });
    assert.throws(() => tx.addRule({ family: t.family, table: t.name, chain: 'c', expr: new Array(2 ** 31) }), { name: 'RangeError', message: 'Expected at most 65536 statements for rule.expr but received an array of 2147483648' });
    assert.equal(tx.size, 0);
  });

  it('the error formatter survives cyclic, huge and sparse input', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.equal(show(cyclic), 'a Object');
    const arr: unknown[] = [1];
    arr.push(arr);
    assert.equal(show(arr), '[1, [1, [1, an array of 2]]]');
    assert.equal(show(new Array(2 ** 32 - 1)), '[<empty>, <empty>, <empty>, <empty>, <empty>, <empty>, <empty>, <empty>, <empty>, <empty>, … (4294967295 items)]');
    assert.equal(show('x'.repeat(1000)).length, 203); // 200 characters, an ellipsis, two quotes
    assert.throws(() => nft.transaction().add({ table: t, name: cyclic as never, key: 'ipv4_addr' }), { name: 'TypeError', message: /for set.name but received a Object$/ });
  });

  it('EPERM on a dump says what is missing: CAP_NET_ADMIN in the target namespace', () => {
    // A child without CAP_NET_ADMIN (dropped from its bounding set) lists the tables.
    const script = join(__dirname, '..', 'helpers', 'list-tables-child.ts');
    const out = execFileSync('setpriv', ['--bounding-set', '-net_admin', '--inh-caps', '-net_admin', process.execPath, '--require', 'tsx/cjs', script], { cwd: join(__dirname, '..', '..'), encoding: 'utf8' });
    assert.equal(out.trim(), 'NftError EPERM list tables: operation not permitted: reading the ruleset needs CAP_NET_ADMIN in the target network namespace');
  });
});
