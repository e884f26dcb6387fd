// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Element dumps are consistent snapshots or fail clearly:
 * - right after a big load, with no other writer, the kernel's background rhashtable resize
 *   reorders a hash set between two parts of a dump (no generation change, no flag): the
 *   library sees the duplicates it causes and reads again;
 * - while another connection commits steadily, a listing ends in bounded time with either the
 *   exact content or an NftError EAGAIN that says why.
 */
import assert from 'node:assert/strict';
import { Nftables, isNftError, type SetSpec, type Table } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'inet', name: 'dumps' };
const N = 120_000;

/** N distinct IPv4 keys, packed (10.x.y.z counting up), and their expected text. */
function keys(n: number, base = 0x0a000000): Uint8Array {
  const k = new Uint8Array(n * 4);
  const v = new DataView(k.buffer);
  for (let i = 0; i < n; i++) v.setUint32(i * 4, base + i);
  return k;
}

/** Checks that a dump holds exactly the keys of `expected`: no duplicate, nothing missing. */
function assertExact(got: { count: number; keyLen: number; keys: Uint8Array }, expected: Uint8Array, what: string): void {
  const seen = new Set<number>();
  const v = new DataView(got.keys.buffer, got.keys.byteOffset, got.keys.byteLength);
  let dups = 0;
  for (let i = 0; i < got.count; i++) {
    const x = v.getUint32(i * 4);
    if (seen.has(x)) dups++;
    seen.add(x);
  }
  const e = new DataView(expected.buffer);
  let missing = 0;
  for (let i = 0; i < expected.length / 4; i++) if (!seen.has(e.getUint32(i * 4))) missing++;
  assert.deepEqual({ what, count: got.count, dups, missing }, { what, count: expected.length / 4, dups: 0, missing: 0 });
}

describe('element dumps: consistent snapshots', () => {
  let nft: Nftables;
  beforeEach(async () => {
    nftFlush();
    nft = await Nftables.open();
  });
  afterEach(async () => {
    await nft.close();
  });

  it('a dump right after a 120k-element load into a hash set is exact, every time (the background resize is detected)', async () => {
    for (let round = 0; round < 4; round++) {
      const name = `h${round}`;
      const set: SetSpec = { table: t, name, key: 'ipv4_addr' };
      const k = keys(N, 0x0a000000 + round * 0x01000000);
      // No size hint and a set that exists before the load: the rhashtable starts small and
      // grows in the background during and after the load (round 1 loads in 10k chunks).
      await nft.commit(nft.transaction().add(t).add(set));
      const chunk = round === 1 ? 10_000 : N;
      for (let o = 0; o < N; o += chunk) {
        await nft.commit(nft.transaction().push({ object: 'elements', verb: 'add', family: 1, table: t.name, set: name, count: chunk, keyLen: 4, keys: k.subarray(o * 4, (o + chunk) * 4) }));
      }
      for (let i = 0; i < 3; i++) assertExact(await nft.dumpElements(set), k, `round ${round}, dump ${i}`);
      await nft.commit(nft.transaction().delete(set));
    }
  });

  it('listElements() while another connection commits steadily: the exact content or a clear EAGAIN, in bounded time', async () => {
    const set: SetSpec = { table: t, name: 'steady', key: 'ipv4_addr' };
    const other: SetSpec = { table: t, name: 'churn', key: 'ipv4_addr' };
    const k = keys(20_000);
    await nft.commit(nft.transaction().add(t).add(set).add(other).push({ object: 'elements', verb: 'add', family: 1, table: t.name, set: 'steady', count: 20_000, keyLen: 4, keys: k }));
    const writer = await Nftables.open();
    let stop = false;
    let commits = 0;
    // A bounded writer: small commits into another set of the same table, back to back.
    const writing = (async () => {
      for (let i = 0; i < 100_000 && !stop; i++) {
        await writer.commit(writer.transaction().addElements(other, [{ key: `192.0.2.${i % 250}` }]));
        commits++;
        if (i % 16 === 15) await new Promise((r) => setImmediate(r));
      }
    })();
    let exact = 0;
    let refused = 0;
    try {
      for (let i = 0; i < 5; i++) {
        try {
          assertExact(await nft.dumpElements(set), k, `listing ${i}`);
          exact++;
        } catch (err) {
          if (!isNftError(err)) throw err;
          assert.equal(err.code, 'EAGAIN');
          assert.match(err.message, /^list elements inet dumps steady: the ruleset changed during each of 8 attempts to read a consistent snapshot/);
          refused++;
        }
      }
    } finally {
      stop = true;
      await writing;
      await writer.close();
    }
    assert.equal(exact + refused, 5);
    assert.ok(commits > 0, 'the writer committed meanwhile');
  });
});
