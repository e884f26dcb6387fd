// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * HashStore (the Blocklist's in-process copy of a hash set): the log-structured copy, with its
 * merge-walk compaction, answers like a plain Map of address -> expiry through random sequences
 * of sets, removes, resets and compactions, for IPv4 and IPv6 keys, with and without expiry.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RangeTable } from '../../lib/blocklist/ranges';
import { GroupIndex, HashStore } from '../../lib/blocklist/store';

type Op = { kind: 'set'; key: number; exp: number } | { kind: 'remove'; key: number } | { kind: 'compact'; now: number } | { kind: 'reset'; keys: number[] };

/** Key k as W words: small key space so sets, removes and re-sets of the same address collide. */
function words(k: number, W: 1 | 4): Uint32Array {
  const a = new Uint32Array(4);
  if (W === 1) a[0] = (0xc0000200 + k) >>> 0;
  else {
    a[0] = 0x20010db8;
    a[2] = k & 1 ? 0xffffffff : 0;
    a[3] = k >>> 1;
  }
  return a;
}

function check(W: 1 | 4, withExp: boolean, ops: readonly Op[], probeNow: number): void {
  const store = new HashStore(W, withExp);
  const model = new Map<number, number>();
  const alive = (e: number, now: number): boolean => e === 0 || e > now;
  for (const op of ops) {
    if (op.kind === 'set') {
      const e = withExp ? op.exp : 0;
      store.set(words(op.key, W), 0, e);
      model.set(op.key, e);
    } else if (op.kind === 'remove') {
      store.remove(words(op.key, W), 0);
      model.delete(op.key);
    } else if (op.kind === 'compact') {
      store.compact(op.now);
      for (const [k, e] of model) if (!alive(e, op.now)) model.delete(k);
    } else {
      const uniq = [...new Set(op.keys)];
      const t = new RangeTable(W, Math.max(1, uniq.length), false, true);
      for (const k of uniq) t.push(words(k, W), 0, words(k, W), 0);
      const sorted = new RangeTable(W, Math.max(1, uniq.length), false, true);
      const order = [...uniq].sort((a, b) => {
        const x = words(a, W);
        const y = words(b, W);
        for (let w = 0; w < W; w++) if (x[w] !== y[w]) return x[w]! < y[w]! ? -1 : 1;
        return 0;
      });
      for (const k of order) sorted.push(words(k, W), 0, words(k, W), 0);
      store.reset(sorted);
      model.clear();
      for (const k of uniq) model.set(k, 0);
    }
  }
  for (let k = 0; k < 300; k++) {
    const want = model.has(k) && alive(model.get(k)!, probeNow) ? model.get(k)! : -1;
    assert.equal(store.get(words(k, W), 0, probeNow), want, `key ${k}`);
  }
  const snap = store.snapshot(probeNow);
  const live = [...model].filter(([, e]) => alive(e, probeNow)).length;
  assert.equal(snap.count, live);
  for (let i = 1; i < snap.count; i++) {
    let c = 0;
    for (let w = 0; w < W && c === 0; w++) c = snap.lo[(i - 1) * W + w]! < snap.lo[i * W + w]! ? -1 : snap.lo[(i - 1) * W + w]! > snap.lo[i * W + w]! ? 1 : 0;
    assert.equal(c, -1, 'snapshot sorted and unique');
  }
}

const op = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 299 }), exp: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1000 })) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('remove' as const), key: fc.integer({ min: 0, max: 299 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), now: fc.integer({ min: 0, max: 1000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const), keys: fc.array(fc.integer({ min: 0, max: 299 }), { maxLength: 60 }) }) },
);

describe('HashStore equals a Map through sets, removes, resets and compactions', () => {
  for (const W of [1, 4] as const) {
    for (const withExp of [false, true]) {
      it(`W=${W}, ${withExp ? 'with' : 'without'} expiry`, () => {
        fc.assert(
          fc.property(fc.array(op, { maxLength: 400 }), fc.integer({ min: 0, max: 1000 }), (ops, now) => check(W, withExp, ops, now)),
          { numRuns: 200, seed: 20261202 },
        );
      });
    }
  }

  it('compaction by growth (4,096 changes, at the current time) keeps every live entry', () => {
    const store = new HashStore(4, true);
    const base = Date.now() + 3_600_000;
    const a = new Uint32Array(4);
    a[0] = 0x20010db8;
    for (let i = 0; i < 20_000; i++) {
      a[3] = i;
      store.set(a, 0, base + i);
      if (i % 3 === 0) {
        a[3] = i >>> 1;
        store.remove(a, 0);
      }
    }
    const model = new Map<number, number>();
    for (let i = 0; i < 20_000; i++) {
      model.set(i, base + i);
      if (i % 3 === 0) model.delete(i >>> 1);
    }
    for (let i = 0; i < 20_000; i++) {
      a[3] = i;
      assert.equal(store.get(a, 0, Date.now()), model.get(i) ?? -1, `entry ${i}`);
    }
    assert.equal(store.size(Date.now()), model.size);
  });

  it('GroupIndex (a group commit\'s address index) answers like a Map through reuse, for IPv4 and IPv6', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<1 | 4>(1, 4),
        fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 4 }),
        (W, groups) => {
          const index = new GroupIndex();
          for (const keys of groups) {
            // Entry i's words at i*8, as the group commit keeps them; few distinct keys, so
            // repeats (and, with 300 entries in 64+ cells, probe chains) are common.
            const buf = new Uint32Array(keys.length * 8);
            keys.forEach((k, i) => buf.set(words(k, W).subarray(0, W), i * 8));
            index.reset(keys.length, buf, W);
            const model = new Map<number, number>();
            keys.forEach((k, i) => {
              const found = index.find(i * 8);
              assert.equal(found >= 0, model.has(k), `key ${k} at entry ${i}`);
              if (found >= 0) assert.equal(index.value(found), model.get(k));
              else {
                index.insert(found, i * 8, model.size);
                model.set(k, model.size);
              }
            });
          }
        },
      ),
      { seed: 20261202, numRuns: 200 },
    );
  });
});
