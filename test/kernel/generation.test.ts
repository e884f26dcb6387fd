// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { GenerationConflictError, Nftables, accept, counter, isGenerationConflict, isNftError, type Chain, type JsonRule, type Table } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const t: Table = { family: 'inet', name: 'gen' };
const c: Chain = { table: t, name: 'c' };
const valueRule = (v: number): JsonRule => ({ family: t.family, table: t.name, chain: c.name, expr: [counter(), accept()], comment: `v=${v}` });

describe('commit({ ifGeneration }): optimistic concurrency between connections', () => {
  let a: Nftables;
  let b: Nftables;
  beforeEach(async () => {
    nftFlush();
    a = await Nftables.open();
    b = await Nftables.open();
    await a.transaction().add(t).add(c).add(valueRule(0)).commit();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('commits when the generation is unchanged, and the commit moves it by one', async () => {
    const g = await a.generation();
    await a.commit(a.transaction().add({ table: t, name: 'd' }), { ifGeneration: g });
    assert.equal(await a.generation(), g + 1);
    assert.match(nftList(), /chain d \{/);
  });

  it('refuses a transaction planned before another connection committed, and applies nothing', async () => {
    const g = await a.generation();
    await b.transaction().add({ table: t, name: 'by_b' }).commit();
    const before = nftList();
    const err: unknown = await a.commit(a.transaction().add({ table: t, name: 'by_a' }), { ifGeneration: g }).catch((e: unknown) => e);
    assert.ok(err instanceof GenerationConflictError);
    assert.ok(isGenerationConflict(err) && isNftError(err));
    assert.equal(err.code, 'ERESTART');
    assert.equal(err.errno, 85);
    assert.equal(err.expectedGeneration, g);
    assert.equal(
      err.message,
      `The ruleset changed since generation ${g}, which this transaction was planned against; nothing was applied. Re-read the ruleset and plan again (commitWithRetry does this).`,
    );
    assert.equal(nftList(), before);
    assert.doesNotMatch(before, /by_a/);
    // commitSync refuses the same way.
    assert.throws(() => a.commitSync(a.transaction().add({ table: t, name: 'by_a' }), { ifGeneration: g }), GenerationConflictError);
    assert.equal(nftList(), before);
  });

  it('an empty transaction with ifGeneration is a check: it succeeds only while nothing changed', async () => {
    const g = await a.generation();
    await a.commit(a.transaction(), { ifGeneration: g });
    await b.transaction().add({ table: t, name: 'x' }).commit();
    await assert.rejects(a.commit(a.transaction(), { ifGeneration: g }), GenerationConflictError);
  });

  it('rejects a bad generation before anything reaches the kernel', async () => {
    const before = nftList();
    assert.throws(() => a.commit(a.transaction().add({ table: t, name: 'y' }), { ifGeneration: 0 }), {
      name: 'RangeError',
      message: 'Expected an integer 1-4294967295 for ifGeneration but received 0',
    });
    assert.throws(() => a.commit(a.transaction(), { ifGeneration: 1.5 }), {
      name: 'TypeError',
      message: 'Expected an integer 1-4294967295 for ifGeneration but received 1.5',
    });
    assert.equal(nftList(), before);
  });

  it('commitWithRetry(): two connections doing read-modify-write concurrently lose no update', async () => {
    const rounds = 25;
    async function increment(conn: Nftables): Promise<void> {
      await conn.commitWithRetry(
        async () => {
          const rules = await conn.listRules({ family: 'inet', table: 'gen', chain: 'c' });
          const cur = rules.find((x) => x.comment?.startsWith('v='));
          assert.ok(cur?.handle !== undefined);
          const v = Number(cur.comment?.slice(2));
          return conn.transaction().replaceRule(valueRule(v + 1), cur.handle);
        },
        { attempts: 1000 },
      );
    }
    async function writer(conn: Nftables): Promise<void> {
      for (let i = 0; i < rounds; i++) await increment(conn);
    }
    await Promise.all([writer(a), writer(b)]);
    const rules = await a.listRules({ family: 'inet', table: 'gen', chain: 'c' });
    assert.deepEqual(
      rules.map((r) => r.comment),
      [`v=${2 * rounds}`],
    );
  });

  it('commitWithRetry(): gives up after the attempts, with every attempt named', async () => {
    let calls = 0;
    const err: unknown = await a
      .commitWithRetry(
        async () => {
          calls++;
          // Another writer commits after each read: every attempt conflicts.
          await b.transaction().add({ table: t, name: `z${calls}` }).commit();
          return a.transaction().add({ table: t, name: 'never' });
        },
        { attempts: 3 },
      )
      .catch((e: unknown) => e);
    assert.equal(calls, 3);
    assert.ok(err instanceof GenerationConflictError);
    assert.equal(err.attempts, 3);
    assert.match(err.message, /^The ruleset changed during each of 3 attempts \(last planned against generation \d+\); nothing was applied\./);
    assert.doesNotMatch(nftList(), /never/);
    // A plan returning null commits nothing and succeeds.
    const r = await a.commitWithRetry(() => null);
    assert.equal(r.transaction, null);
    assert.equal(r.attempts, 1);
  });
});
