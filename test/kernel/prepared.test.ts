// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The prepared elements path (Nftables.prepareElements + commitElementsSync / commitElements): the fast path
 * for single updates. It must write exactly what a transaction with the same operation
 * writes, and fail the same way (NftError naming the operation, nothing applied).
 */
import assert from 'node:assert/strict';
import { Nftables, isNftError, type SetSpec, type Table } from '../../lib';
import { binding } from '../../lib/native';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'inet', name: 'fast' };
const v4: SetSpec = { table: t, name: 'v4', key: 'ipv4_addr' };
const v6t: SetSpec = { table: t, name: 'v6t', key: 'ipv6_addr', flags: ['timeout'] };
const key4 = (a: number, b: number, c: number, d: number) => Uint8Array.of(a, b, c, d);

/** A fresh ruleset with the table and its two sets, and a connection, for every test. */
describe('prepared elements', () => {
  let conn: Nftables;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
    await conn.transaction().add(t).add(v4).add(v6t).commit();
  });
  afterEach(async () => {
    await conn.close();
  });

  describe('commitElementsSync', () => {

    it('adds and deletes elements exactly as a transaction does', async () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      const r = conn.commitElementsSync(p, 'add', Uint8Array.of(10, 0, 0, 1, 10, 0, 0, 2));
      assert.equal(r.messages, 3);
      assert.ok(r.batchBytes > 0);
      const viaFast = nftList();
      nft(['flush', 'set', 'inet', 'fast', 'v4']);
      await conn.transaction().addElements(v4, ['10.0.0.1', '10.0.0.2']).commit();
      assert.equal(nftList(), viaFast);
      assert.match(viaFast, /elements = \{ 10\.0\.0\.1, 10\.0\.0\.2 \}/);
      conn.commitElementsSync(p, 'delete', key4(10, 0, 0, 1));
      assert.match(nftList(), /elements = \{ 10\.0\.0\.2 \}/);
      conn.commitElementsSync(p, 'destroy', key4(10, 0, 0, 1)); // absent: no error with destroy
    });

    it('sends per-element timeouts', () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v6t', keyLen: 16 });
      const k = new Uint8Array(16);
      k.set([0x20, 0x01, 0x0d, 0xb8]);
      k[15] = 1;
      conn.commitElementsSync(p, 'add', k, Float64Array.of(600_000));
      assert.match(nftList(), /2001:db8::1 timeout 10m expires/);
    });

    it('a kernel refusal is an NftError naming the operation, and nothing is applied', () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      conn.commitElementsSync(p, 'add', key4(10, 0, 0, 1));
      const before = nftList();
      assert.throws(
        () => conn.commitElementsSync(p, 'create', Uint8Array.of(10, 0, 0, 9, 10, 0, 0, 1)),
        (e: unknown) => isNftError(e) && e.code === 'EEXIST' && /create element inet fast v4/.test(e.message),
      );
      assert.throws(
        () => conn.commitElementsSync(p, 'delete', key4(10, 9, 9, 9)),
        (e: unknown) => isNftError(e) && e.code === 'ENOENT',
      );
      assert.equal(nftList(), before);
      const missing = conn.prepareElements({ family: 1, table: 'fast', set: 'nope', keyLen: 4 });
      assert.throws(
        () => conn.commitElementsSync(missing, 'add', key4(10, 0, 0, 3)),
        (e: unknown) => isNftError(e) && e.code === 'ENOENT' && /set @nope does not exist in table inet fast/.test(e.message),
      );
      assert.equal(nftList(), before);
    });

    it('bad input is a TypeError before anything reaches the kernel', () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      const before = nftList();
      assert.throws(() => conn.commitElementsSync(p, 'add', Uint8Array.of(1, 2, 3)), /positive multiple of 4 bytes/);
      assert.throws(() => conn.commitElementsSync(p, 'add', new Uint8Array(0)), /positive multiple of 4 bytes/);
      assert.throws(() => conn.commitElementsSync(p, 'flush' as 'add', key4(1, 2, 3, 4)), /one of add, create, delete, destroy/);
      assert.throws(() => conn.commitElementsSync(p, 'add', key4(1, 2, 3, 4), Float64Array.of(1, 2)), /one timeout per key/);
      assert.throws(() => conn.commitElementsSync(p, 'add', key4(1, 2, 3, 4), Float64Array.of(-1)), /non-negative millisecond/);
      assert.throws(() => conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 0 }), /key length of 1-64 bytes/);
      const b = binding();
      const sock = b.openSocket({});
      try {
        assert.throws(() => b.commitPreparedSync(sock, {} as never, 'add', key4(1, 2, 3, 4), undefined, new Float64Array(2)), /prepared elements operation/);
        assert.throws(() => b.commitPreparedSync(sock, p.handle, 'add', key4(1, 2, 3, 4), undefined, new Float64Array(1)), /Float64Array\(2\)/);
      } finally {
        b.closeSocket(sock);
      }
      assert.equal(nftList(), before);
    });

    it('refuses after close', async () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      await conn.close();
      assert.throws(() => conn.commitElementsSync(p, 'add', key4(10, 0, 0, 1)), /closed/);
      conn = await Nftables.open();
    });
  });


  describe('commitElements (async, on the connection\'s I/O thread)', () => {

    it('writes what commitElementsSync writes, in call order, with the buffers copied at the call', async () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      const key = key4(10, 0, 0, 1);
      const first = conn.commitElements(p, 'add', key);
      key[3] = 2; // reused at once, as Blocklist does
      const second = conn.commitElements(p, 'add', key);
      const third = conn.commitElements(p, 'delete', key4(10, 0, 0, 1));
      const [a, b, c] = await Promise.all([first, second, third]);
      assert.deepEqual([a.messages, b.messages, c.messages], [3, 3, 3]);
      assert.ok(a.batchBytes > 0 && a.batchBytes === b.batchBytes);
      assert.match(nftList(), /elements = \{ 10\.0\.0\.2 \}/);
      const k = new Uint8Array(16);
      k.set([0x20, 0x01, 0x0d, 0xb8]);
      k[15] = 1;
      await conn.commitElements(conn.prepareElements({ family: 1, table: 'fast', set: 'v6t', keyLen: 16 }), 'add', k, Float64Array.of(600_000));
      assert.match(nftList(), /2001:db8::1 timeout 10m expires/);
    });

    it('a kernel refusal rejects with the NftError commitElementsSync throws, and nothing is applied', async () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      await conn.commitElements(p, 'add', key4(10, 0, 0, 1));
      const before = nftList();
      await assert.rejects(conn.commitElements(p, 'create', Uint8Array.of(10, 0, 0, 9, 10, 0, 0, 1)), (e: unknown) => isNftError(e) && e.code === 'EEXIST' && /create element inet fast v4/.test(e.message));
      const missing = conn.prepareElements({ family: 1, table: 'fast', set: 'nope', keyLen: 4 });
      await assert.rejects(conn.commitElements(missing, 'add', key4(10, 0, 0, 3)), (e: unknown) => isNftError(e) && e.code === 'ENOENT' && /set @nope does not exist in table inet fast/.test(e.message));
      assert.equal(nftList(), before);
    });

    it('bad input rejects with a TypeError before anything reaches the kernel; close() finishes queued calls', async () => {
      const p = conn.prepareElements({ family: 1, table: 'fast', set: 'v4', keyLen: 4 });
      await assert.rejects(conn.commitElements(p, 'add', Uint8Array.of(1, 2, 3)), /positive multiple of 4 bytes/);
      await assert.rejects(conn.commitElements(p, 'add', key4(1, 2, 3, 4), Float64Array.of(1, 2)), /one timeout per key/);
      const queued = [conn.commitElements(p, 'add', key4(10, 0, 0, 7)), conn.commitElements(p, 'add', key4(10, 0, 0, 8))];
      await conn.close();
      await Promise.all(queued);
      assert.match(nftList(), /elements = \{ 10\.0\.0\.7, 10\.0\.0\.8 \}/);
      assert.throws(() => conn.commitElements(p, 'add', key4(10, 0, 0, 1)), /closed/);
      conn = await Nftables.open();
    });
  });
});
