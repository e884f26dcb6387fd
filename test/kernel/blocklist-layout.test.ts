// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The interval layout's kernel elements are nft's (issue 11): the same entries written by nft
 * (1.0.6) into one set and by a Blocklist into another set of the same type and flags list the
 * same elements, start/end flags included — in particular the interval-end element at the zero
 * address that nft writes with the first add to an empty interval set.
 *
 * Two readings of each set are compared: nft's own (`nft --debug=netlink list set` prints each
 * kernel element's key and flags) and the package's raw element dump.
 */
import assert from 'node:assert/strict';
import { Nftables, type Table } from '../../lib';
import { Blocklist, type BlocklistOptions } from '../../lib/blocklist';
import { SET_ELEM_F } from '../../lib/kernel';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

/** The set's kernel elements as nft prints them ("<key words> : <flags>"), sorted. */
function nftElements(family: string, table: string, set: string): string[] {
  const out = nft(['--debug=netlink', 'list', 'set', family, table, set]);
  const lines: string[] = [];
  for (const m of out.matchAll(/element ((?:[0-9a-f]{8} ?)+) : (\d+) \[end\]/g)) lines.push(`${m[1]!.trim()} : ${m[2]}`);
  return lines.sort();
}

/** The set's kernel elements from the package's raw dump (hex key, interval-end flag), sorted. */
async function packageElements(conn: Nftables, family: number, table: string, set: string): Promise<string[]> {
  const r = await conn.dump({ what: 'elements', family, table, set });
  assert.equal(r.what, 'elements');
  if (r.what !== 'elements') return [];
  const d = r.items;
  const keyLen = d.count > 0 ? d.keys.length / d.count : 0;
  const out: string[] = [];
  for (let i = 0; i < d.count; i++) {
    const key = Buffer.from(d.keys.subarray(i * keyLen, (i + 1) * keyLen)).toString('hex');
    out.push(`${key}/${(d.flags?.[i] ?? 0) & SET_ELEM_F.intervalEnd ? 'end' : 'start'}`);
  }
  return out.sort();
}

interface Step {
  /** What nft is given (`nft -f -`), with SET standing for the nft-written set. */
  readonly nft: string;
  /** The same change through the Blocklist. */
  readonly bl: (bl: Blocklist) => Promise<unknown>;
}

const FAMILY_CODE = { ip: 2, ip6: 10, inet: 1 } as const;

async function compare(conn: Nftables, table: Table & { family: 'ip' | 'ip6' | 'inet' }, type: 'ipv4_addr' | 'ipv6_addr', extra: Partial<BlocklistOptions>, steps: readonly Step[]): Promise<void> {
  nftFlush();
  const timeout = extra.timeoutMs !== undefined || extra.timeouts === true;
  const flags = timeout ? 'interval,timeout' : 'interval';
  nft(['-f', '-'], `add table ${table.family} ${table.name}\nadd set ${table.family} ${table.name} bynft { type ${type}; flags ${flags}; auto-merge; }\n`);
  const bl = await Blocklist.open(conn, {
    table,
    name: 'bypkg',
    layout: 'interval',
    families: [type === 'ipv4_addr' ? 'ipv4' : 'ipv6'],
    setNames: type === 'ipv4_addr' ? { ipv4: 'bypkg' } : { ipv6: 'bypkg' },
    ...extra,
  });
  const ref = `${table.family} ${table.name} bynft`;
  for (const [i, step] of steps.entries()) {
    nft(['-f', '-'], step.nft.replaceAll('SET', ref) + '\n');
    await step.bl(bl);
    const want = nftElements(table.family, table.name, 'bynft');
    assert.deepEqual(nftElements(table.family, table.name, 'bypkg'), want, `step ${i + 1} (${step.nft}): nft's listing of the kernel elements`);
    assert.deepEqual(
      await packageElements(conn, FAMILY_CODE[table.family], table.name, 'bypkg'),
      await packageElements(conn, FAMILY_CODE[table.family], table.name, 'bynft'),
      `step ${i + 1} (${step.nft}): the package's element dump`,
    );
  }
}

describe('Blocklist interval layout equals nft\'s element layout', () => {
  let conn: Nftables;
  beforeEach(async () => {
    conn = await Nftables.open();
  });
  afterEach(async () => {
    await conn.close();
  });
  const t4: Table & { family: 'ip' } = { family: 'ip', name: 'lay' };
  const t6: Table & { family: 'ip6' } = { family: 'ip6', name: 'lay6' };

  it('first add to an empty set writes the zero end element; later adds, deletes and re-adds do not', async () => {
    await compare(conn, t4, 'ipv4_addr', {}, [
      { nft: 'add element SET { 10.0.0.0/8 }', bl: (bl) => bl.add(['10.0.0.0/8']) },
      { nft: 'add element SET { 12.0.0.0/8 }', bl: (bl) => bl.add(['12.0.0.0/8']) },
      { nft: 'delete element SET { 10.0.0.0/8 }', bl: (bl) => bl.delete(['10.0.0.0/8']) },
      { nft: 'delete element SET { 12.0.0.0/8 }', bl: (bl) => bl.delete(['12.0.0.0/8']) },
      { nft: 'add element SET { 30.0.0.0/8 }', bl: (bl) => bl.add(['30.0.0.0/8']) },
      // a range starting at zero next to the zero end element
      { nft: 'add element SET { 0.0.0.0/8 }', bl: (bl) => bl.add(['0.0.0.0/8']) },
    ]);
  });

  it('no zero end element when the first range starts at the zero address', async () => {
    await compare(conn, t4, 'ipv4_addr', {}, [
      { nft: 'add element SET { 0.0.0.0/8, 30.0.0.0/8 }', bl: (bl) => bl.add(['0.0.0.0/8', '30.0.0.0/8']) },
      { nft: 'add element SET { 40.0.0.0/8 }', bl: (bl) => bl.add(['40.0.0.0/8']) },
    ]);
  });

  it('replace (flush + add in one transaction) writes it again, as nft does for the same file', async () => {
    await compare(conn, t4, 'ipv4_addr', {}, [
      { nft: 'add element SET { 10.0.0.0/8 }', bl: (bl) => bl.add(['10.0.0.0/8']) },
      { nft: 'flush set SET\nadd element SET { 20.0.0.0/8, 192.0.2.1 }', bl: (bl) => bl.replace(['20.0.0.0/8', '192.0.2.1']) },
      { nft: 'flush set SET\nadd element SET { 0.0.0.0/8 }', bl: (bl) => bl.replace(['0.0.0.0/8']) },
    ]);
  });

  it('single-entry calls, coalesced or not, and timeouts', async () => {
    await compare(conn, t4, 'ipv4_addr', { coalesce: true, timeoutMs: 60_000 }, [
      { nft: 'add element SET { 198.51.100.0/24 timeout 60s }', bl: (bl) => bl.add('198.51.100.0/24') },
      { nft: 'add element SET { 203.0.113.0/24 timeout 60s }', bl: (bl) => bl.add('203.0.113.0/24') },
    ]);
    await compare(conn, t4, 'ipv4_addr', {}, [{ nft: 'add element SET { 198.51.100.7 }', bl: (bl) => bl.add('198.51.100.7') }]);
    await compare(conn, t4, 'ipv4_addr', {}, [{ nft: 'add element SET { 198.51.100.7 }', bl: async (bl) => bl.addSync('198.51.100.7') }]);
  });

  it('IPv6, and a Blocklist opened on a set nft filled (the zero end element is seen, not written twice)', async () => {
    await compare(conn, t6, 'ipv6_addr', {}, [
      { nft: 'add element SET { 2001:db8::/32 }', bl: (bl) => bl.add(['2001:db8::/32']) },
      { nft: 'add element SET { 2001:db8:1::/48 }', bl: (bl) => bl.add(['2001:db8:1::/48']) },
    ]);
    // adopt nft's set: the copy is seeded from it, and a change through the Blocklist keeps nft's layout
    nftFlush();
    nft(['-f', '-'], 'add table ip lay\nadd set ip lay bynft { type ipv4_addr; flags interval; auto-merge; }\nadd element ip lay bynft { 10.0.0.0/8 }\n');
    const before = nftElements('ip', 'lay', 'bynft');
    assert.ok(before.includes('00000000 : 1'), `nft wrote the zero end element: ${before.join(', ')}`);
    const bl = await Blocklist.open(conn, { table: t4, name: 'bynft', layout: 'interval', create: false });
    await bl.delete(['10.0.0.0/8']);
    await bl.add(['11.0.0.0/8']);
    nft(['-f', '-'], 'add set ip lay ref { type ipv4_addr; flags interval; auto-merge; }\nadd element ip lay ref { 10.0.0.0/8 }\ndelete element ip lay ref { 10.0.0.0/8 }\nadd element ip lay ref { 11.0.0.0/8 }\n');
    assert.deepEqual(nftElements('ip', 'lay', 'bynft'), nftElements('ip', 'lay', 'ref'));
  });
});
