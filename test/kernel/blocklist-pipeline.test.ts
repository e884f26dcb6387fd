// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Pipelined commits: the connection's commit gates (a commit sent only if the one it was planned
 * on was applied) and the Blocklist's pipelined group commit (hash layout, coalesce), whose next
 * group is planned on top of the group still in the kernel. A refused group must not let the
 * group planned on it through: every caller's result and the kernel's set must be what the calls
 * made one by one, in call order, give.
 */
import assert from 'node:assert/strict';
import { Nftables, type SetSpec, type Table } from '../../lib';
import { Blocklist, type BlocklistConnection } from '../../lib/blocklist';
import type { NativeGate } from '../../lib/native';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'ip', name: 'pl' };

/** The set's addresses as `nft -j list set` prints them, sorted. */
function kernelKeys(set: string): string[] {
  const j = JSON.parse(nft(['-j', 'list', 'set', 'ip', t.name, set])) as { nftables: Array<{ set?: { elem?: unknown[] } }> };
  const elems = j.nftables.find((x) => x.set)!.set!.elem ?? [];
  return elems.map((e) => (typeof e === 'string' ? e : ((e as { elem: { val: string } }).elem.val as string))).sort();
}

/** Makes the connection's I/O thread busy for a while: one big transaction on another set. */
function occupy(conn: Nftables, n: number): Promise<unknown> {
  const big: SetSpec = { table: t, name: 'filler', key: 'ipv4_addr' };
  const keys = Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return conn.transaction().add(big).addElements(big, keys).commit();
}

describe('pipelined commits', () => {
  let conn: Nftables;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
    await conn.commit(conn.transaction().add(t).add({ table: t, name: 's', key: 'ipv4_addr' }));
  });
  afterEach(async () => {
    await conn.close();
  });

  it('a gated commit is sent only if the commit it names was applied; otherwise it rejects with ECANCELED and nothing is applied', async () => {
    const s: SetSpec = { table: t, name: 's', key: 'ipv4_addr' };
    const refusedGate = conn.commitGate();
    const appliedGate = conn.commitGate();
    const laterGate = conn.commitGate();
    const busy = occupy(conn, 20_000); // the commits below queue behind it on the I/O thread
    const results = await Promise.allSettled([
      // refused by the kernel (no such set)
      conn.commit(conn.transaction().addElements({ table: t, name: 'missing', key: 'ipv4_addr' }, ['192.0.2.1']), { gate: { signal: refusedGate } }),
      // planned on the refused one: not sent
      conn.commit(conn.transaction().addElements(s, ['192.0.2.2']), { gate: { after: refusedGate, signal: laterGate } }),
      // planned on the one that was not sent: not sent either
      conn.commit(conn.transaction().addElements(s, ['192.0.2.3']), { gate: { after: laterGate } }),
      conn.commit(conn.transaction().addElements(s, ['192.0.2.4']), { gate: { signal: appliedGate } }),
      conn.commit(conn.transaction().addElements(s, ['192.0.2.5']), { gate: { after: appliedGate } }),
    ]);
    await busy;
    const codes = results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code));
    assert.deepEqual(codes, ['ENOENT', 'ECANCELED', 'ECANCELED', 'ok', 'ok']);
    assert.equal(
      (results[1] as PromiseRejectedResult).reason.message,
      'The transaction was not sent: the commit it was planned on was not applied; nothing was applied.',
    );
    assert.deepEqual(kernelKeys('s'), ['192.0.2.4', '192.0.2.5']);
  });

  it('a gate that is not one is refused with a TypeError before anything is queued', async () => {
    const s: SetSpec = { table: t, name: 's', key: 'ipv4_addr' };
    await assert.rejects(conn.commit(conn.transaction().addElements(s, ['192.0.2.9']), { gate: { after: {} as NativeGate } }), {
      name: 'TypeError',
      message: 'Expected a commit gate (from commitGate()) or undefined',
    });
    assert.deepEqual(kernelKeys('s'), []);
  });

  it('Blocklist group commits: a group refused by the kernel does not let the group planned on it through; results are those of the calls in order', async () => {
    // Counts the gated commits and the ones not sent because the group under them was refused.
    let gated = 0;
    let cancelled = 0;
    const counting: BlocklistConnection = {
      transaction: () => conn.transaction(),
      dump: (r) => conn.dump(r),
      beforeClose: (fn) => conn.beforeClose(fn),
      commitGate: () => conn.commitGate(),
      commit: (tx, o) => {
        if (o.gate?.after !== undefined) gated++;
        const p = conn.commit(tx as Parameters<Nftables['commit']>[0], o);
        p.catch((e: { code?: string }) => {
          if (e.code === 'ECANCELED') cancelled++;
        });
        return p;
      },
    };
    // A set of at most 8 addresses holding 7, with timeouts (so unbans are destroys, which the
    // kernel does not refuse for an absent address: only the gate keeps group 2 back).
    const bl = await Blocklist.open(counting, { table: t, name: 'full', size: 8, coalesce: true, initial: 'flush', timeoutMs: 600_000 });
    const base = ['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4', '198.51.100.5', '198.51.100.6', '198.51.100.7'];
    await bl.add(base);
    for (let round = 0; round < 3; round++) {
      const busy = occupy(conn, 30_000); // the first group waits behind it: the next is planned on top of it
      // Group 1 (512 calls): three new addresses (one slot left), an unban of a present one and
      // 508 unbans of absent addresses: refused as one transaction (ENFILE: 7 - 1 + 3 > 8).
      const first: Array<Promise<unknown>> = [bl.add('203.0.113.1'), bl.add('203.0.113.2'), bl.add('203.0.113.3'), bl.delete(base[0]!)];
      for (let i = 0; i < 508; i++) first.push(bl.delete(`192.0.2.${i & 255}`));
      // Group 2, planned while group 1 is in flight, on top of its planned effect.
      const second = [bl.delete('203.0.113.2'), bl.delete('203.0.113.1'), bl.add('203.0.113.4'), bl.add(base[0]!)];
      const r1 = await Promise.allSettled(first);
      const r2 = await Promise.allSettled(second);
      await busy;
      // One by one, in call order: .1 fills the last slot, .2 and .3 are refused (full), the
      // unban frees a slot, the other unbans find nothing; then .2 was never there, .1 goes, .4
      // and the re-ban take the two free slots.
      const show = (r: PromiseSettledResult<unknown>): string =>
        r.status === 'fulfilled' ? JSON.stringify({ added: (r.value as { added: number }).added, removed: (r.value as { removed: number }).removed }) : (r.reason as { code?: string }).code!;
      const same = '{"added":0,"removed":0}';
      assert.deepEqual(r1.slice(0, 5).map(show), ['{"added":1,"removed":0}', 'ENFILE', 'ENFILE', '{"added":0,"removed":1}', same], `round ${round}`);
      assert.ok(r1.slice(4).every((r) => show(r) === same), `round ${round}: every unban of an absent address is unchanged`);
      assert.deepEqual(r2.map(show), [same, '{"added":0,"removed":1}', '{"added":1,"removed":0}', '{"added":1,"removed":0}'], `round ${round}`);
      const expected = [...base, '203.0.113.4'].sort();
      assert.deepEqual(kernelKeys('full'), expected, `round ${round}: the kernel`);
      assert.deepEqual([...bl.entries()].sort(), expected, `round ${round}: the copy`);
      // Back to the starting point for the next round.
      await bl.delete('203.0.113.4');
    }
    assert.ok(gated > 0, 'the second group was planned on the first and gated on it');
    assert.ok(cancelled > 0, 'the gated group was not sent once the group under it was refused');
  });
});
