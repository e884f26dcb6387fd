// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Regression tests of the Blocklist defects of issue 11 (and the Blocklist parts of issue 12),
 * each against the real kernel with `nft -j list set` as the oracle.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { Nftables, type Table } from '../../lib';
import { Blocklist, BlocklistEntryError, BlocklistPartialError } from '../../lib/blocklist';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t4: Table = { family: 'ip', name: 'rg' };

interface JsonElem {
  readonly val: string;
  readonly timeout?: number;
  readonly expires?: number;
}

/** The set's elements as `nft -j` lists them: address (or prefix/range) -> timeout/expires (s). */
function kernelSet(family: string, table: string, set: string): Map<string, JsonElem> {
  const j = JSON.parse(nft(['-j', 'list', 'set', family, table, set])) as { nftables: Array<{ set?: { timeout?: number; elem?: unknown[] } }> };
  const s = j.nftables.find((x) => x.set)!.set!;
  const out = new Map<string, JsonElem>();
  for (const raw of s.elem ?? []) {
    let e = raw as Record<string, unknown>;
    let timeout: number | undefined;
    let expires: number | undefined;
    if (typeof e === 'object' && e !== null && 'elem' in e) {
      const inner = e.elem as Record<string, unknown>;
      timeout = inner.timeout as number | undefined;
      expires = inner.expires as number | undefined;
      e = inner.val as Record<string, unknown>;
    }
    let val: string;
    if (typeof e === 'string') val = e;
    else if ('prefix' in e) val = `${(e.prefix as { addr: string }).addr}/${(e.prefix as { len: number }).len}`;
    else if ('range' in e) val = (e.range as string[]).join('-');
    else val = JSON.stringify(e);
    out.set(val, { val, ...(timeout !== undefined ? { timeout } : s.timeout !== undefined && expires !== undefined ? { timeout: s.timeout } : {}), ...(expires !== undefined ? { expires } : {}) });
  }
  return out;
}

const keys = (m: Map<string, JsonElem>): string[] => [...m.keys()].sort();

describe('Blocklist regressions (issue 11, issue 12)', () => {
  let conn: Nftables;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
  });
  afterEach(async () => {
    await conn.close();
  });

  describe('bug 1: a refused strict unban never bans anything (coalesce)', () => {
    for (const timeoutMs of [undefined, 600_000]) {
      it(`alone${timeoutMs ? ', set with timeouts' : ''}: rejects, and the kernel and has() stay without the address`, async () => {
        const bl = await Blocklist.open(conn, { table: t4, name: 'b1', coalesce: true, ...(timeoutMs ? { timeoutMs } : {}) });
        await bl.add('192.0.2.9');
        await assert.rejects(bl.delete('192.0.2.250', { strict: true }), {
          name: 'RangeError',
          message: 'Expected 192.0.2.250 to be in the blocklist (strict delete); nothing was applied',
        });
        assert.equal(bl.has('192.0.2.250'), false);
        assert.deepEqual(keys(kernelSet('ip', 'rg', 'b1')), ['192.0.2.9']);
      });

      it(`in one group with an accepted unban${timeoutMs ? ', set with timeouts' : ''}: each caller's result is what the kernel did`, async () => {
        const bl = await Blocklist.open(conn, { table: t4, name: 'b1', coalesce: true, ...(timeoutMs ? { timeoutMs } : {}) });
        await bl.add(['192.0.2.1', '192.0.2.3']);
        const [a, b, c] = await Promise.allSettled([bl.delete('192.0.2.1'), bl.delete('192.0.2.2', { strict: true }), bl.add('192.0.2.4')]);
        assert.equal(a.status, 'fulfilled');
        assert.equal(a.status === 'fulfilled' && a.value.removed, 1);
        assert.equal(b.status, 'rejected');
        assert.equal(b.status === 'rejected' && (b.reason as Error).message, 'Expected 192.0.2.2 to be in the blocklist (strict delete); nothing was applied');
        assert.equal(c.status === 'fulfilled' && c.value.added, 1);
        assert.equal(bl.has('192.0.2.1'), false);
        assert.equal(bl.has('192.0.2.2'), false);
        assert.deepEqual(keys(kernelSet('ip', 'rg', 'b1')), ['192.0.2.3', '192.0.2.4']);
        assert.deepEqual([...bl.entries()].sort(), ['192.0.2.3', '192.0.2.4']);
      });
    }
  });

  describe('bug 2: re-banning with the same timeout extends the ban', () => {
    // The kernel's expiry is aged with nft (timeout 1h, expires 30s) instead of waiting.
    const age = (set: string, entry: string): void => {
      nft(['add', 'element', 'ip', 'rg', set, `{ ${entry} timeout 1h expires 30s }`]);
      const e = kernelSet('ip', 'rg', set).get(entry)!;
      assert.ok(e.expires !== undefined && e.expires <= 30, `aged: ${JSON.stringify(e)}`);
    };
    for (const coalesce of [false, true]) {
      for (const layout of ['hash', 'interval'] as const) {
        it(`${layout} layout, coalesce ${coalesce}: add, add again with the same timeout -> the kernel's expiry restarts`, async () => {
          const bl = await Blocklist.open(conn, { table: t4, name: 'b2', layout, coalesce, timeoutMs: 3_600_000 });
          const entry = layout === 'hash' ? '192.0.2.7' : '10.0.0.0/24';
          await bl.add(entry);
          age('b2', entry);
          const r = await bl.add(entry);
          assert.equal(r.unchanged, 1);
          const e = kernelSet('ip', 'rg', 'b2').get(entry)!;
          assert.equal(e.timeout, 3600);
          assert.ok(e.expires !== undefined && e.expires > 3500, `refreshed: ${JSON.stringify(e)}`);
          assert.equal(bl.has(entry), true);
        });
      }
    }

    it('addSync (the prepared fast path) and a list add refresh too', async () => {
      const bl = await Blocklist.open(conn, { table: t4, name: 'b2', timeoutMs: 3_600_000 });
      bl.addSync('192.0.2.8');
      age('b2', '192.0.2.8');
      bl.addSync('192.0.2.8');
      assert.ok(kernelSet('ip', 'rg', 'b2').get('192.0.2.8')!.expires! > 3500);
      age('b2', '192.0.2.8');
      await bl.add(['192.0.2.8', '192.0.2.9']);
      assert.ok(kernelSet('ip', 'rg', 'b2').get('192.0.2.8')!.expires! > 3500);
    });

    it('a set with a default timeout refuses timeoutMs: 0 (the kernel would apply the default)', async () => {
      const bl = await Blocklist.open(conn, { table: t4, name: 'b2', timeoutMs: 60_000 });
      const message = 'Expected timeoutMs to be a positive number but received 0 (a set with a default timeout cannot hold an entry without one; open with timeouts: true instead)';
      await assert.rejects(bl.add('192.0.2.1', { timeoutMs: 0 }), { name: 'RangeError', message });
      assert.throws(() => bl.addSync('192.0.2.1', { timeoutMs: 0 }), { name: 'RangeError', message });
      assert.deepEqual(keys(kernelSet('ip', 'rg', 'b2')), []);
    });
  });

  describe('bug 3: a string is one entry, strict, the same with and without coalesce', () => {
    const bad: Array<[string, string]> = [
      ['', 'empty entry'],
      ['# x', 'not an IPv4/IPv6 address, CIDR prefix or range'],
      ['192.0.2.1 ', 'not an IPv4/IPv6 address, CIDR prefix or range'],
      [' 192.0.2.1', 'not an IPv4/IPv6 address, CIDR prefix or range'],
      ['192.0.2.1\r', 'not an IPv4/IPv6 address, CIDR prefix or range'],
      ['192.0.2.1\n192.0.2.2', 'not an IPv4/IPv6 address, CIDR prefix or range'],
      ['192.0.2.1 # c', 'not an IPv4/IPv6 address, CIDR prefix or range'],
    ];
    for (const layout of ['hash', 'interval'] as const) {
      it(`${layout} layout: add, delete, replace, sync refuse the same strings with the same message in both modes`, async () => {
        const messages: string[][] = [];
        for (const coalesce of [false, true]) {
          nftFlush();
          const bl = await Blocklist.open(conn, { table: t4, name: 'b3', layout, coalesce });
          await bl.add('192.0.2.1');
          const before = nftList();
          const seen: string[] = [];
          for (const [entry, reason] of bad) {
            for (const op of ['add', 'delete', 'replace', 'sync'] as const) {
              const err = await bl[op](entry).then(
                () => assert.fail(`${op}(${JSON.stringify(entry)}) accepted (coalesce ${coalesce})`),
                (e: unknown) => e,
              );
              assert.ok(err instanceof BlocklistEntryError, String(err));
              assert.equal(err.message, `Invalid blocklist entry at index 0: ${JSON.stringify(entry)} (${reason}). Nothing was applied.`);
              seen.push(err.message);
            }
            if (layout === 'hash') {
              assert.throws(() => bl.addSync(entry), BlocklistEntryError);
              assert.throws(() => bl.deleteSync(entry), BlocklistEntryError);
            }
          }
          assert.equal(nftList(), before);
          assert.deepEqual([...bl.entries()], ['192.0.2.1']);
          messages.push(seen);
        }
        assert.deepEqual(messages[0], messages[1]);
      });
    }

    it('text goes in as bytes or lines: those keep comments, blanks and trimming', async () => {
      const bl = await Blocklist.open(conn, { table: t4, name: 'b3', coalesce: true });
      const r = await bl.add(Buffer.from('# feed\n192.0.2.1 \r\n\n192.0.2.2\n'));
      assert.equal(r.added, 2);
      const a = await bl.add([' 192.0.2.3 ', '192.0.2.4 # note']);
      assert.equal(a.added, 2);
      assert.deepEqual(keys(kernelSet('ip', 'rg', 'b3')), ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
    });
  });

  it('item 4: close() right after coalesced (and plain async) calls finishes them first', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'b4', coalesce: true });
    const plain = await Blocklist.open(conn, { table: t4, name: 'b4p' });
    const calls = [bl.add('192.0.2.1'), bl.add('192.0.2.2'), bl.delete('192.0.2.1'), plain.add(['192.0.2.3', '192.0.2.4'])];
    await conn.close();
    const r = await Promise.all(calls);
    assert.deepEqual(
      r.map((x) => [x.added, x.removed]),
      [
        [1, 0],
        [1, 0],
        [0, 1],
        [2, 0],
      ],
    );
    assert.deepEqual(keys(kernelSet('ip', 'rg', 'b4')), ['192.0.2.2']);
    assert.deepEqual(keys(kernelSet('ip', 'rg', 'b4p')), ['192.0.2.3', '192.0.2.4']);
    await assert.rejects(bl.add('192.0.2.9'), { message: 'The connection is closed' });
  });

  it('issue 12: a chunked add whose later transaction is refused says which applied; the copy matches the kernel', async () => {
    {
      // The kernel refuses the 4th element of a hash set of size 3 (ENFILE).
      const bl = await Blocklist.open(conn, { table: t4, name: 'b12', size: 3 });
      const err = await bl.add(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'], { maxElementsPerTransaction: 2 }).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof BlocklistPartialError, String(err));
      assert.equal(err.transactionsApplied, 1);
      assert.equal(err.transactions, 3);
      assert.equal(err.elementsApplied, 2);
      assert.equal(err.code, 'ENFILE');
      assert.match(err.message, /^Transaction 2 of 3 was refused \(.*\); transactions 1-1 \(2 elements\) were applied and stay applied \(the in-process copy holds them\); the rest was not sent$/);
      assert.doesNotMatch(err.message, /nothing was applied/);
      const inKernel = keys(kernelSet('ip', 'rg', 'b12'));
      assert.deepEqual(inKernel, ['192.0.2.1', '192.0.2.2']);
      assert.deepEqual([...bl.entries()].sort(), inKernel);
      assert.equal(bl.has('192.0.2.1'), true);
      assert.equal(bl.has('192.0.2.3'), false);
    }
  });

  for (const fam of ['ipv4', 'ipv6'] as const) {
    it(`group commit refused by the kernel (${fam}): each caller is retried alone with the words parsed when it queued`, async () => {
      // A hash set of size 3: the group of 5 concurrent bans is refused whole (ENFILE), then
      // each ban is retried alone, so the first three land and the last two get the error.
      const table: Table = { family: fam === 'ipv4' ? 'ip' : 'ip6', name: 'rg' };
      const bl = await Blocklist.open(conn, { table, name: 'g', size: 3, coalesce: true, timeoutMs: 600_000 });
      const addrs = fam === 'ipv4' ? ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5'] : ['2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8:1::4', '2001:db8::5'];
      const results = await Promise.allSettled(addrs.map((a) => bl.add(a)));
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value.added : (r.reason as { code?: string }).code)),
        [1, 1, 1, 'ENFILE', 'ENFILE'],
      );
      const inKernel = keys(kernelSet(table.family, 'rg', 'g'));
      assert.deepEqual(inKernel, addrs.slice(0, 3).sort());
      assert.deepEqual([...bl.entries()].sort(), inKernel);
      for (const [i, a] of addrs.entries()) assert.equal(bl.has(a), i < 3, a);
    });
  }

  it('more concurrent callers than one group carries (1,300 > 512): every caller gets its own result, IPv4 and IPv6', async () => {
    // The queue is split into groups of at most 512: the parsed words of the calls left for the
    // next groups move to the front of the queue's buffer; a mistake there would send (or
    // report) another caller's address.
    const table: Table = { family: 'inet', name: 'rg' };
    const bl = await Blocklist.open(conn, { table, name: 'big', coalesce: true });
    const v4 = (i: number): string => `10.${i >> 8}.${i & 255}.1`;
    const v6 = (i: number): string => `2001:db8::${i.toString(16)}:1`;
    const addr = (i: number): string => (i % 3 === 0 ? v6(i) : v4(i));
    await Promise.all(Array.from({ length: 1300 }, (_, i) => i).filter((i) => i % 5 === 0).map((i) => bl.add(addr(i))));
    // One burst: adds of every address (the multiples of 5 are present already) and deletes of
    // the multiples of 7 (absent unless also a multiple of 5 and added before), in call order.
    const calls: Array<Promise<unknown>> = [];
    const want: Array<[number, number, number]> = [];
    const present = new Set<number>();
    for (let i = 0; i < 1300; i += 5) present.add(i);
    for (let i = 0; i < 1300; i++) {
      calls.push(bl.add(addr(i)));
      want.push(present.has(i) ? [0, 0, 1] : [1, 0, 0]);
      present.add(i);
      if (i % 7 === 0) {
        calls.push(bl.delete(addr(i - 7 < 0 ? i : i - 7)));
        const d = i - 7 < 0 ? i : i - 7;
        want.push(present.has(d) ? [0, 1, 0] : [0, 0, 1]);
        present.delete(d);
      }
    }
    const got = (await Promise.all(calls)) as Array<{ added: number; removed: number; unchanged: number; elements: number }>;
    assert.deepEqual(
      got.map((r) => [r.added, r.removed, r.unchanged]),
      want,
    );
    // 1,486 calls in one burst: no transaction carried more than one group's 512.
    assert.ok(Math.max(...got.map((r) => r.elements)) <= 512, 'split into groups');
    const expected = [...present].map(addr).sort();
    const inKernel = [...keys(kernelSet('inet', 'rg', 'big_v4')), ...keys(kernelSet('inet', 'rg', 'big_v6'))].sort();
    assert.deepEqual(inKernel, expected);
    assert.deepEqual([...bl.entries()].sort(), expected);
  });

  it('issue 12: a chunked interval change refused midway leaves a copy equal to the kernel', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'b12i', layout: 'interval' });
    await bl.add(['10.0.0.0/24', '10.0.2.0/24']);
    // Another writer deletes the set's 10.0.2.0/24 behind the copy's back: the bridging add below
    // deletes 10.0.0.0/24 (transaction 1) then 10.0.2.0/24 (transaction 2: refused, ENOENT);
    // the copy records transaction 1 and re-reads the set (the refusal shows another writer).
    nft(['delete', 'element', 'ip', 'rg', 'b12i', '{ 10.0.2.0/24 }']);
    const err = await bl.add('10.0.1.0/24', { maxElementsPerTransaction: 2 }).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BlocklistPartialError, String(err));
    assert.equal(err.code, 'ENOENT');
    const inKernel = keys(kernelSet('ip', 'rg', 'b12i'));
    assert.deepEqual([...bl.entries()].sort(), inKernel);
  });

  it('issue 12: open({ initial: "load" }) right after a big load seeds every address', async function () {
    this.timeout(120000);
    const N = 100_000;
    const bl = await Blocklist.open(conn, { table: t4, name: 'big' });
    const lines = Array.from({ length: N }, (_, i) => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`);
    await bl.add(lines);
    const again = await Blocklist.open(conn, { table: t4, name: 'big' });
    assert.equal(again.size, N);
    for (let i = 0; i < N; i += 997) assert.equal(again.has(lines[i]!), true, lines[i]);
  });

  it('item 7: nftables/blocklist resolves (require and import, one instance); NFPROTO is exported', () => {
    const cjs = execFileSync(process.execPath, ['-e', "const b = require('nftables/blocklist'); const m = require('nftables'); process.stdout.write(String(b.Blocklist === m.Blocklist && m.NFPROTO.inet === 1))"], { encoding: 'utf8' });
    assert.equal(cjs, 'true');
    const esm = execFileSync(process.execPath, ['--input-type=module', '-e', "import { Blocklist } from 'nftables/blocklist'; import { Blocklist as B, NFPROTO } from 'nftables'; process.stdout.write(String(Blocklist === B && NFPROTO.ip6 === 10))"], { encoding: 'utf8' });
    assert.equal(esm, 'true');
  });

  it('item 7: commitWith makes a blocklist change part of the caller\'s transaction (all or nothing)', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'b7' });
    const tx = conn.transaction().add({ table: t4, name: 'in' });
    const r = await bl.commitWith(tx, 'add', ['192.0.2.1', '192.0.2.2']);
    assert.equal(r.added, 2);
    assert.match(nftList(), /chain in \{/);
    assert.deepEqual(keys(kernelSet('ip', 'rg', 'b7')), ['192.0.2.1', '192.0.2.2']);
    // A refused transaction applies neither the caller's operations nor the change.
    const before = nftList();
    const bad = conn.transaction().add({ table: { family: 'ip', name: 'missing' }, name: 'c' });
    await assert.rejects(bl.commitWith(bad, 'add', ['192.0.2.3']));
    assert.equal(nftList(), before);
    assert.equal(bl.has('192.0.2.3'), false);
  });

  it('issue 12 item 7: a second Blocklist writing the same set is seen by load()', async () => {
    const a = await Blocklist.open(conn, { table: t4, name: 'b7d' });
    const b = await Blocklist.open(conn, { table: t4, name: 'b7d' });
    await a.add('192.0.2.1');
    assert.equal(b.has('192.0.2.1'), false); // b's copy does not know (documented)
    // b deleting what it does not know is skipped (not sent), and a strict one says so
    await assert.rejects(b.delete('192.0.2.1', { strict: true }), RangeError);
    await b.load();
    assert.equal(b.has('192.0.2.1'), true);
    await b.delete('192.0.2.1');
    assert.deepEqual(keys(kernelSet('ip', 'rg', 'b7d')), []);
  });

  it('item 5: interval ranges rewritten by a merge or a cut keep listing the ban duration as timeout', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'b5', layout: 'interval', timeouts: true });
    await bl.add('10.0.0.0/24', { timeoutMs: 3_600_000 });
    nft(['add', 'element', 'ip', 'rg', 'b5', '{ 10.0.0.0/24 timeout 1h expires 30m }']); // aged, no waiting
    await bl.delete('10.0.0.0/24'); // drop and re-ban (copy and kernel agree again)
    await bl.add('10.0.0.0/24', { timeoutMs: 3_600_000 });
    await bl.add('10.0.1.0/24', { timeoutMs: 3_600_000 }); // merges into 10.0.0.0/23
    let k = kernelSet('ip', 'rg', 'b5');
    assert.deepEqual(keys(k), ['10.0.0.0/23']);
    assert.equal(k.get('10.0.0.0/23')!.timeout, 3600);
    await bl.delete('10.0.0.128'); // cuts the range in two (three elements)
    k = kernelSet('ip', 'rg', 'b5');
    assert.deepEqual(keys(k), ['10.0.0.0/25', '10.0.0.129-10.0.1.255']);
    for (const e of k.values()) assert.equal(e.timeout, 3600, JSON.stringify(e));
    // A Blocklist opened on the set learns the durations from the dump.
    const again = await Blocklist.open(conn, { table: t4, name: 'b5', layout: 'interval', timeouts: true });
    await again.delete('10.0.1.0');
    for (const e of kernelSet('ip', 'rg', 'b5').values()) assert.equal(e.timeout, 3600, JSON.stringify(e));
  });
});
