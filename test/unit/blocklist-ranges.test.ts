// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { formatWords } from '../../lib/blocklist/address';
import { decodeElements, encodeElements } from '../../lib/blocklist/encode';
import { parseEntriesSync } from '../../lib/blocklist/parse';
import fc from 'fast-check';
import { RangeTable, addRangeInPlace, cutRangeInPlace, diff, normalize, rangeToPrefixes, subtract, union } from '../../lib/blocklist/ranges';
import { HashStore } from '../../lib/blocklist/store';
import { SET_ELEM_F } from '../../lib/kernel';

function v4(text: string, merge = true): RangeTable {
  return normalize(parseEntriesSync(text).v4, merge);
}
function v6(text: string): RangeTable {
  return normalize(parseEntriesSync(text).v6, true);
}
function show(t: RangeTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < t.count; i++) out.push(`${formatWords(t.lo, i * t.words, t.words)}-${formatWords(t.hi, i * t.words, t.words)}`);
  return out;
}
function prefixes(t: RangeTable): string[] {
  const out: string[] = [];
  const W = t.words;
  for (let i = 0; i < t.count; i++) {
    rangeToPrefixes(t.lo, i * W, t.hi, i * W, W, (start, len) => {
      const buf = new Uint32Array(W);
      let s = start;
      for (let w = W - 1; w >= 0; w--) {
        buf[w] = Number(s & 0xffffffffn);
        s >>= 32n;
      }
      out.push(`${formatWords(buf, 0, W)}/${len}`);
    });
  }
  return out;
}

/** Reference model: a bitmap over a small IPv4 universe 10.0.0.0/20. */
function bitmapOf(t: RangeTable): Uint8Array {
  const m = new Uint8Array(4096);
  for (let i = 0; i < t.count; i++) for (let a = t.lo[i]!; a <= t.hi[i]!; a++) m[a - 0x0a000000] = 1;
  return m;
}

describe('blocklist range algebra', () => {
  it('merges overlapping and adjacent prefixes and drops duplicates, as nft auto-merge does', () => {
    assert.deepEqual(show(v4('10.0.0.0/24\n10.0.1.0/24\n10.0.0.5\n10.0.3.0/24\n10.0.3.0/24\n')), ['10.0.0.0-10.0.1.255', '10.0.3.0-10.0.3.255']);
    assert.deepEqual(show(v4('10.0.0.1\n10.0.0.2\n10.0.0.3\n10.0.0.4\n')), ['10.0.0.1-10.0.0.4']);
    assert.deepEqual(show(v4('0.0.0.0/1\n128.0.0.0/1\n')), ['0.0.0.0-255.255.255.255']);
    assert.deepEqual(show(v4('255.255.255.255\n255.255.255.254\n')), ['255.255.255.254-255.255.255.255']);
    assert.deepEqual(show(v4('10.0.0.1\n10.0.0.1\n10.0.0.3\n', false)), ['10.0.0.1-10.0.0.1', '10.0.0.3-10.0.0.3']);
    assert.deepEqual(show(v6('2001:db8::/33\n2001:db8:8000::/33\n::1\n::2\n')), ['::1-::2', '2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
  });

  it('union, subtract and diff match a bitmap model on random inputs', () => {
    let s = 7;
    const rnd = (n: number): number => ((s = (s * 1103515245 + 12345) >>> 0) % n);
    const randomList = (): string => {
      const lines: string[] = [];
      for (let k = rnd(12); k >= 0; k--) {
        const len = 20 + rnd(13);
        const a = 0x0a000000 + rnd(4096);
        lines.push(`10.0.${(a >> 8) & 15}.${a & 255}/${len}`);
      }
      return lines.join('\n');
    };
    for (let iter = 0; iter < 300; iter++) {
      const a = v4(randomList());
      const b = v4(randomList());
      const u = union(a, b);
      const d = subtract(a, b);
      const ma = bitmapOf(a);
      const mb = bitmapOf(b);
      assert.deepEqual(bitmapOf(u), ma.map((x, i) => x | mb[i]!));
      assert.deepEqual(bitmapOf(d), ma.map((x, i) => x & (mb[i]! ^ 1)));
      // normalized: sorted, disjoint and not adjacent
      for (const t of [u, d]) for (let i = 1; i < t.count; i++) assert.ok(t.lo[i]! > t.hi[i - 1]! + 1);
      // applying the diff to a yields u
      const { remove, add } = diff(a, u);
      assert.deepEqual(show(normalize(union(subtract(a, remove), add))), show(u));
      for (let i = 0; i < remove.count; i++) assert.ok(show(a).includes(show(remove)[i]!), 'removes only whole existing ranges');
    }
  });

  it('splits ranges into minimal prefixes for reading back', () => {
    assert.deepEqual(prefixes(v4('10.0.0.0/24\n10.0.1.0/24')), ['10.0.0.0/23']);
    assert.deepEqual(prefixes(v4('10.0.0.1-10.0.0.6')), ['10.0.0.1/32', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.6/32']);
    assert.deepEqual(prefixes(v4('0.0.0.0/0')), ['0.0.0.0/0']);
    assert.deepEqual(prefixes(v6('::/0')), ['::/0']);
  });

  it('encodes intervals as start + exclusive end elements and decodes them back', () => {
    const t = v4('10.0.0.0/8\n192.168.1.1\n255.255.255.0/24');
    const d = encodeElements('add', { family: 2, table: 't', set: 's' }, t, true, null);
    assert.equal(d.count, 5); // the range reaching the top has no end element
    assert.deepEqual(Array.from(d.keys), [10, 0, 0, 0, 11, 0, 0, 0, 192, 168, 1, 1, 192, 168, 1, 2, 255, 255, 255, 0]);
    assert.deepEqual(Array.from(d.flags!), [0, SET_ELEM_F.intervalEnd, 0, SET_ELEM_F.intervalEnd, 0]);
    // a dump returns elements in any order, possibly with nft's leading 0.0.0.0 end marker
    const order = [4, 3, 1, 0, 2];
    const keys = new Uint8Array(24);
    const flags = new Uint32Array(6);
    order.forEach((src, dst) => {
      keys.set(d.keys.subarray(src * 4, src * 4 + 4), dst * 4);
      flags[dst] = d.flags![src]!;
    });
    flags[5] = SET_ELEM_F.intervalEnd; // 0.0.0.0 end marker
    const back = new RangeTable(1, 4);
    decodeElements(back, keys, flags, 6, true, () => 0);
    assert.deepEqual(show(normalize(back)), show(t));
  });

  it('keeps a hash copy across compactions, deletes and expiries', () => {
    const s = new HashStore(1, true);
    const a = new Uint32Array(1);
    const now = Date.now(); // compaction (every 4096 changes) drops rows expired by the wall clock
    for (let i = 0; i < 10_000; i++) {
      a[0] = i * 3;
      s.set(a, 0, i % 2 ? now + 3_600_000 : 0);
    }
    for (let i = 0; i < 10_000; i += 4) {
      a[0] = i * 3;
      s.remove(a, 0);
    }
    a[0] = 6; // i = 2
    assert.equal(s.get(a, 0, now), 0, 'present without expiry');
    a[0] = 12; // i = 4
    assert.equal(s.get(a, 0, now), -1, 'deleted');
    a[0] = 3; // i = 1
    assert.equal(s.get(a, 0, now), now + 3_600_000);
    assert.equal(s.get(a, 0, now + 3_600_000), -1, 'expired');
    assert.equal(s.size(now), 7500);
    assert.equal(s.size(now + 3_600_001), 2500); // only the entries without timeout (even i, i % 4 != 0)
  });
});

describe('in-place range edits (group commit) equal union/subtract', () => {
  const rows = (t: RangeTable): Array<[string, string, number]> =>
    Array.from({ length: t.count }, (_, i) => [formatWords(t.lo, i * t.words, t.words), formatWords(t.hi, i * t.words, t.words), t.exp ? t.exp[i]! : 0]);
  for (const W of [1, 4] as const) {
    it(`W=${W}: random sequences of adds and cuts, at the edges of the address space too`, () => {
      const top = W === 1 ? 0xffffffff : 0xffffffff;
      const word = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: top - 40, max: top }).map((x) => x >>> 0));
      const op = fc.record({ add: fc.boolean(), a: word, b: word, exp: fc.constantFrom(0, 1000, 2000, 3000) });
      fc.assert(
        fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
          let ref = new RangeTable(W, 1, true);
          const fast = new RangeTable(W, 1, true);
          for (const o of ops) {
            const w = new Uint32Array(8);
            const lo = Math.min(o.a, o.b) >>> 0;
            const hi = Math.max(o.a, o.b) >>> 0;
            // the variable word is the last one (W=4: the high words are zero)
            w[W - 1] = lo;
            w[4 + W - 1] = hi;
            const row = new RangeTable(W, 1, true);
            row.push(w, 0, w, 4, o.exp);
            if (o.add) {
              ref = union(ref, row, true);
              addRangeInPlace(fast, w, 0, w, 4, o.exp);
            } else {
              ref = subtract(ref, row, true);
              cutRangeInPlace(fast, w, 0, w, 4);
            }
            assert.deepEqual(rows(fast), rows(ref));
          }
        }),
        { seed: 424242, numRuns: 300 },
      );
    });
  }
});
