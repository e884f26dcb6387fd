// SPDX-License-Identifier: GPL-2.0-or-later
/** Blocklist against the real kernel, with `nft` as the oracle. */
import assert from 'node:assert/strict';
import { Nftables, isNftError, type Table } from '../../lib';
import { Blocklist, BlocklistEntryError } from '../../lib/blocklist';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t4: Table = { family: 'ip', name: 'bl4' };
const t6: Table = { family: 'ip6', name: 'bl6' };

/** The element lines of `nft list set` (the `elements = { ... }` block), whitespace-normalized. */
function elementsOf(listing: string): string {
  const m = /elements = \{([^}]*)\}/.exec(listing);
  if (!m) return '';
  return m[1]!.replace(/\s+/g, ' ').trim();
}

/** The element strings of a set, as nft lists them. */
function kernelElements(family: string, table: string, set: string): string[] {
  const e = elementsOf(nft(['list', 'set', family, table, set]));
  return e === '' ? [] : e.split(', ').map((s) => s.trim());
}

const ipv4 = (n: number): string => `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

describe('Blocklist against the kernel', () => {
  let conn: Nftables;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
  });
  afterEach(async () => {
    await conn.close();
  });

  it('hash layout (IPv4): add, delete, has, size, entries match the kernel', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'bans' });
    const r = await bl.add(['192.0.2.1', '192.0.2.2', '198.51.100.7', '192.0.2.1']);
    assert.equal(r.added, 3);
    assert.equal(bl.size, 3);
    assert.equal(bl.has('192.0.2.2'), true);
    assert.equal(bl.has('192.0.2.3'), false);
    assert.deepEqual([...bl.entries()].sort(), ['192.0.2.1', '192.0.2.2', '198.51.100.7']);
    assert.deepEqual(kernelElements('ip', 'bl4', 'bans').sort(), ['192.0.2.1', '192.0.2.2', '198.51.100.7']);
    const s = await bl.add('203.0.113.9');
    assert.equal(s.added, 1);
    const d = await bl.delete('192.0.2.2');
    assert.equal(d.removed, 1);
    assert.equal(bl.has('192.0.2.2'), false);
    assert.equal(bl.size, 3);
    assert.deepEqual(kernelElements('ip', 'bl4', 'bans').sort(), ['192.0.2.1', '198.51.100.7', '203.0.113.9']);
    // A second blocklist opened on the same set loads what the kernel holds.
    const again = await Blocklist.open(conn, { table: t4, name: 'bans' });
    assert.deepEqual([...again.entries()].sort(), [...bl.entries()].sort());
  });

  it('hash layout (IPv6): add, delete, has, size, entries match the kernel', async () => {
    const bl = await Blocklist.open(conn, { table: t6, name: 'bans6' });
    await bl.add(['2001:db8::1', '2001:DB8:0:0::2', '2001:db8:1::ff', '::ffff:1.2.3.4']);
    assert.equal(bl.size, 4);
    assert.equal(bl.has('2001:db8::2'), true);
    assert.deepEqual(kernelElements('ip6', 'bl6', 'bans6').sort(), [...bl.entries()].sort());
    await bl.delete(['2001:db8::1', '::ffff:1.2.3.4']);
    assert.equal(bl.size, 2);
    assert.equal(bl.has('2001:db8::1'), false);
    assert.deepEqual(kernelElements('ip6', 'bl6', 'bans6').sort(), ['2001:db8:1::ff', '2001:db8::2']);
  });

  it('interval layout (IPv4 and IPv6 in an inet table): prefixes, ranges, hole punching', async () => {
    const fw: Table = { family: 'inet', name: 'fw' };
    const bl = await Blocklist.open(conn, { table: fw, name: 'feed', layout: 'interval' });
    await bl.add(['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32', '2001:db8:ffff::1']);
    assert.equal(bl.has('10.1.2.3'), true);
    assert.equal(bl.has('10.0.0.0/16'), true);
    assert.equal(bl.has('11.0.0.0'), false);
    assert.equal(bl.has('2001:db8:1::5'), true);
    assert.equal(bl.size, 3); // 10/8, 192.0.2/24, 2001:db8::/32 (the single address is inside)
    assert.deepEqual(kernelElements('inet', 'fw', 'feed_v4'), ['10.0.0.0/8', '192.0.2.0/24']);
    assert.deepEqual(kernelElements('inet', 'fw', 'feed_v6'), ['2001:db8::/32']);
    await bl.delete('10.128.0.0/9');
    assert.equal(bl.has('10.200.0.1'), false);
    assert.equal(bl.has('10.1.0.1'), true);
    assert.deepEqual(kernelElements('inet', 'fw', 'feed_v4'), ['10.0.0.0/9', '192.0.2.0/24']);
    await bl.delete('2001:db8::1');
    assert.equal(bl.has('2001:db8::1'), false);
    assert.equal(bl.has('2001:db8::2'), true);
    const k6 = kernelElements('inet', 'fw', 'feed_v6');
    assert.deepEqual(k6, ['2001:db8::', '2001:db8::2-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
    assert.deepEqual([...bl.ranges()].filter(([a]) => a.includes(':')), [['2001:db8::', '2001:db8::'], ['2001:db8::2', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']]);
    assert.deepEqual([...bl.entries()].filter((e) => !e.includes(':')), ['10.0.0.0/9', '192.0.2.0/24']);
  });

  it('deleting an absent entry is not an error, unless strict (then nothing is applied)', async () => {
    for (const layout of ['hash', 'interval'] as const) {
      nftFlush();
      const bl = await Blocklist.open(conn, { table: t4, name: 's', layout });
      await bl.add(['192.0.2.1', '192.0.2.2']);
      const r = await bl.delete('192.0.2.99');
      assert.equal(r.removed, 0, layout);
      assert.equal(r.unchanged, 1, layout);
      const m = await bl.delete(['192.0.2.1', '192.0.2.98']);
      assert.equal(m.removed, 1, layout);
      assert.equal(m.unchanged, 1, layout);
      const before = nftList();
      await assert.rejects(bl.delete(['192.0.2.2', '192.0.2.97'], { strict: true }), RangeError, layout);
      await assert.rejects(bl.delete('192.0.2.96', { strict: true }), RangeError, layout);
      assert.equal(nftList(), before, layout);
      assert.equal(bl.has('192.0.2.2'), true, layout);
    }
  });

  it('interval merging matches nft auto-merge (the oracle), in one and in several commands', async () => {
    const batches4 = [
      ['10.0.0.0/24', '10.0.1.0/24', '10.0.0.128/25', '10.0.3.5', '10.0.3.6', '10.0.2.0-10.0.2.10', '192.168.0.0/16', '192.168.5.5'],
      ['10.0.2.11-10.0.2.255', '10.0.3.0/30', '172.16.0.0/12', '172.31.255.255', '10.0.3.4'],
    ];
    const batches6 = [
      ['2001:db8::/48', '2001:db8:1::/48', '2001:db8::5', '2001:db8:5::1-2001:db8:5::9'],
      ['2001:db8:2::/47', '2001:db8:5::a', 'fe80::/10'],
    ];
    for (const [fam, key, batches] of [
      ['ip', 'ipv4_addr', batches4],
      ['ip6', 'ipv6_addr', batches6],
    ] as const) {
      const table: Table = { family: fam, name: 'm' };
      for (const oneShot of [true, false]) {
        nftFlush();
        const bl = await Blocklist.open(conn, { table, name: 'bl', layout: 'interval' });
        nft(['add', 'set', fam, 'm', 'oracle', `{ type ${key}; flags interval; auto-merge; }`]);
        const groups = oneShot ? [batches.flat()] : batches;
        for (const g of groups) {
          await bl.add(g);
          nft(['add', 'element', fam, 'm', 'oracle', `{ ${g.join(', ')} }`]);
        }
        const expected = elementsOf(nft(['list', 'set', fam, 'm', 'oracle']));
        const got = elementsOf(nft(['list', 'set', fam, 'm', 'bl']));
        assert.ok(expected.length > 0);
        assert.equal(got, expected, `${fam} oneShot=${oneShot}`);
        // The in-process copy holds the same number of merged ranges.
        assert.equal([...bl.ranges()].length, expected.split(', ').length, `${fam} ranges oneShot=${oneShot}`);
      }
    }
  });

  // Skipped at 3fd98e5: a reader once saw 854 of 1000 old entries and none of the new during a
  // hash replace (kernel dump vs. flush+add, or a real atomicity issue: not yet decided).
  it('replace is atomic: a concurrent reader never sees a mix or an empty set', async function () {
    this.timeout(300000);
    // The reader is a second connection listing the set while replaces land. A dump spans
    // many recv() calls; the library brackets it with the ruleset generation and retries,
    // so each listing is one generation's content. (The nft 1.0.6 CLI does not: its
    // listings can mix two generations, which is why it is not the reader here.)
    const reader = await Nftables.open();
    try {
      async function check(bl: Blocklist, set: { table: Table; name: string; key: 'ipv4_addr'; flags?: Array<'interval'> }, A: string[], B: string[], per: number): Promise<{ reads: number; replaces: number }> {
        await bl.replace(A);
        let stop = false;
        let retried = 0;
        const bad: string[] = [];
        const reading = (async () => {
          let n = 0;
          while (!stop || n < 3) {
            let els;
            try {
              els = await reader.listElements(set);
            } catch (e) {
              // Allowed: no consistent snapshot could be read (EAGAIN); never a wrong one.
              if (isNftError(e) && e.code === 'EAGAIN') {
                retried++;
                continue;
              }
              throw e;
            }
            let old = 0;
            let neu = 0;
            for (const e of els) {
              const k = String(e.key);
              if (k.startsWith('10.')) old++;
              else if (k.startsWith('11.')) neu++;
            }
            if (!((old === per && neu === 0) || (old === 0 && neu === per))) bad.push(`old=${old} new=${neu}`);
            n++;
          }
          return n;
        })();
        let replaces = 0;
        const deadline = Date.now() + 3000;
        while (Date.now() < deadline || replaces < 4) {
          const r = await bl.replace(replaces % 2 === 0 ? B : A);
          assert.equal(r.atomic, true);
          assert.equal(r.transactions, 1);
          replaces++;
          // A feed-driven blocklist replaces at most a few times a second; this is far more.
          await new Promise((res) => setTimeout(res, 20));
        }
        stop = true;
        const reads = await reading;
        assert.deepEqual(bad, [], `bad listings out of ${reads} reads (${retried} EAGAIN) during ${replaces} replaces`);
        assert.ok(reads >= 3);
        return { reads, replaces };
      }
      const N = 20_000;
      const A = Array.from({ length: N }, (_, i) => ipv4(0x0a000000 + i)); // 10.0.x.x
      const B = Array.from({ length: N }, (_, i) => ipv4(0x0b000000 + i)); // 11.0.x.x
      const bl = await Blocklist.open(conn, { table: t4, name: 'big' });
      await check(bl, { table: t4, name: 'big', key: 'ipv4_addr' }, A, B, N);
      // The interval layout: 2 kernel elements per prefix.
      const N2 = 5_000;
      const A2 = Array.from({ length: N2 }, (_, i) => `10.${i >> 8}.${i & 255}.0/25`);
      const B2 = Array.from({ length: N2 }, (_, i) => `11.${i >> 8}.${i & 255}.0/25`);
      const iv = await Blocklist.open(conn, { table: t4, name: 'ivbig', layout: 'interval' });
      await check(iv, { table: t4, name: 'ivbig', key: 'ipv4_addr', flags: ['interval'] }, A2, B2, N2);
    } finally {
      await reader.close();
    }
  });

  it('sync sends only the difference and reports it', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'sy' });
    const start = Array.from({ length: 1000 }, (_, i) => ipv4(0xc6336400 + i)); // 198.51.100.0 +
    await bl.replace(start);
    const next = [...start.slice(10), '203.0.113.1', '203.0.113.2', '203.0.113.3'];
    const r = await bl.sync(next);
    assert.equal(r.added, 3);
    assert.equal(r.removed, 10);
    assert.equal(r.unchanged, 990);
    assert.equal(r.elements, 13);
    assert.equal(r.transactions, 1);
    assert.equal(bl.size, 993);
    assert.deepEqual(kernelElements('ip', 'bl4', 'sy').sort(), [...next].sort());
    const again = await bl.sync(next);
    assert.equal(again.added, 0);
    assert.equal(again.removed, 0);
    assert.equal(again.elements, 0);
    // Interval layout: only the changed ranges go.
    const iv = await Blocklist.open(conn, { table: t4, name: 'syi', layout: 'interval' });
    await iv.replace(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']);
    const ri = await iv.sync(['10.0.0.0/8', '172.16.0.0/12', '100.64.0.0/10']);
    assert.equal(ri.added, 1);
    assert.equal(ri.removed, 1);
    assert.equal(ri.unchanged, 2);
    assert.deepEqual(kernelElements('ip', 'bl4', 'syi'), ['10.0.0.0/8', '100.64.0.0/10', '172.16.0.0/12']);
  });

  it('per-entry timeouts show in nft list set', async () => {
    const bl = await Blocklist.open(conn, { table: t4, name: 'to', timeoutMs: 600_000 });
    await bl.add('192.0.2.1');
    await bl.add('192.0.2.2', { timeoutMs: 3_600_000 });
    const listing = nft(['list', 'set', 'ip', 'bl4', 'to']);
    assert.match(listing, /timeout 10m/);
    assert.match(listing, /192\.0\.2\.2 timeout 1h expires \d/);
    assert.match(listing, /192\.0\.2\.1( timeout 10m)? expires \d/);
    assert.equal(bl.has('192.0.2.2'), true);
  });

  it('interval layout with timeouts (IPv4 and IPv6): per-prefix timeouts, merging, refresh', async () => {
    // The kernel refuses a timeout on an interval's end element (EINVAL): only starts carry one.
    const inet: Table = { family: 'inet', name: 'ivt' };
    const bl = await Blocklist.open(conn, { table: inet, name: 'ban', layout: 'interval', timeoutMs: 600_000 });
    await bl.add(['10.0.0.0/8', '192.0.2.0/24', '2001:db8::/32']);
    // Inside the /32 with a later expiry: the merged range keeps the later one.
    await bl.add('2001:db8:1::1', { timeoutMs: 3_600_000 });
    await bl.add(['198.51.100.7', 'fd00::/8'], { timeoutMs: 3_600_000 });
    const v4 = nft(['list', 'set', 'inet', 'ivt', 'ban_v4']);
    const v6 = nft(['list', 'set', 'inet', 'ivt', 'ban_v6']);
    assert.match(v4, /flags interval,timeout/);
    assert.match(v4, /10\.0\.0\.0\/8 expires \d/);
    assert.match(v4, /198\.51\.100\.7 timeout 1h expires \d/);
    assert.match(v6, /2001:db8::\/32 timeout 1h expires \d/);
    assert.match(v6, /fd00::\/8 timeout 1h expires \d/);
    assert.deepEqual([...bl.entries()].sort(), ['10.0.0.0/8', '192.0.2.0/24', '198.51.100.7', '2001:db8::/32', 'fd00::/8'].sort());
    // Adjacent prefixes merge, also with timeouts.
    await bl.add('192.0.3.0/24');
    assert.match(nft(['list', 'set', 'inet', 'ivt', 'ban_v4']), /192\.0\.2\.0\/23/);
    await bl.delete(['10.0.0.0/8', 'fd00::/8']);
    assert.doesNotMatch(nft(['list', 'set', 'inet', 'ivt', 'ban_v4']), /10\.0\.0\.0/);
    assert.doesNotMatch(nft(['list', 'set', 'inet', 'ivt', 'ban_v6']), /fd00/);
  });

  it('one million addresses load in one atomic transaction, with progress', async function () {
    this.timeout(300000);
    const N = 1_000_000;
    const bl = await Blocklist.open(conn, { table: t4, name: 'million', size: N });
    const text = Array.from({ length: N }, (_, i) => ipv4(0x0a000000 + i)).join('\n') + '\n';
    const phases = new Set<string>();
    const r = await bl.add(Buffer.from(text), { onProgress: (p) => phases.add(p.phase) });
    assert.equal(r.added, N);
    assert.equal(r.transactions, 1);
    assert.equal(r.atomic, true);
    assert.ok(r.batchBytes > 16 * N, `batch of ${r.batchBytes} bytes`);
    assert.deepEqual([...phases].sort(), ['acknowledged', 'encoded', 'parsed', 'sent']);
    assert.equal(bl.size, N);
    assert.equal(bl.has('10.15.66.63'), true);
    assert.equal(bl.has('10.15.66.64'), false); // 0x0a000000 + 1,000,000 is the first one out
    // The kernel holds them: single-key gets (no full dump: that is quadratic).
    const probe = Uint8Array.of(10, 0, 0, 0, 10, 7, 161, 32, 10, 15, 66, 63);
    const got = await conn.dumpElements({ table: t4, name: 'million' }, { keys: probe, keyLen: 4 });
    assert.equal(got.count, 3);
    await assert.rejects(conn.dumpElements({ table: t4, name: 'million' }, { keys: Uint8Array.of(10, 15, 66, 64), keyLen: 4 }), (e: unknown) => isNftError(e) && e.code === 'ENOENT');
  });

  it('a malformed address in a million-entry load is reported with its line/index and nothing is applied', async function () {
    this.timeout(120000);
    const bl = await Blocklist.open(conn, { table: t4, name: 'load' });
    await bl.add(['192.0.2.1']);
    const iv = await Blocklist.open(conn, { table: t4, name: 'loadi', layout: 'interval' });
    await iv.add(['10.0.0.0/8']);
    const before = nftList();
    const lines = Array.from({ length: 1_000_000 }, (_, i) => ipv4(0x0b000000 + i));
    lines[543210] = '11.8.300.1';
    // Array input: 0-based index.
    for (const target of [bl, iv]) {
      for (const op of ['add', 'replace', 'sync'] as const) {
        const err = await target[op](lines).then(
          () => assert.fail(`${op} accepted a malformed entry`),
          (e: unknown) => e,
        );
        assert.ok(err instanceof BlocklistEntryError, String(err));
        assert.equal(err.total, 1);
        assert.equal(err.problems[0]!.index, 543210);
        assert.equal(err.problems[0]!.entry, '11.8.300.1');
        assert.match(err.message, /index 543210/);
      }
    }
    // Text input (bytes: a string is a single entry): 1-based line (with a comment and a blank line before it).
    const text = Buffer.from(`# feed\n\n${lines.join('\n')}\n`);
    const err = await bl.replace(text).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BlocklistEntryError);
    assert.equal(err.problems[0]!.line, 543210 + 3);
    assert.match(err.message, new RegExp(`line ${543210 + 3}`));
    assert.equal(nftList(), before);
    assert.equal(bl.size, 1);
    assert.deepEqual([...iv.entries()], ['10.0.0.0/8']);
  });
});
