// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import * as ipaddr from 'ipaddr.js';
import { formatV6, formatWords, parseEntryBytes, scratch } from '../../lib/blocklist/address';
import { BlocklistEntryError, parseEntries, parseEntriesSync } from '../../lib/blocklist/parse';

/** Deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s;
  };
}

function wordsOf(bytes: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) out.push(((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0);
  return out;
}

describe('blocklist address parser', () => {
  it('agrees with ipaddr.js on 20,000 random IPv4 and IPv6 addresses and prefixes', () => {
    const r = rng(42);
    for (let n = 0; n < 10000; n++) {
      const v = r();
      const len = r() % 33;
      const text = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${len}`;
      assert.equal(parseEntryBytes(text, 0, text.length), 4, text);
      const [addr, plen] = ipaddr.IPv4.parseCIDR(text);
      const net = ipaddr.IPv4.networkAddressFromCIDR(text);
      const bc = ipaddr.IPv4.broadcastAddressFromCIDR(text);
      assert.equal(plen, len);
      assert.ok(addr);
      assert.equal(scratch[0], wordsOf(net.toByteArray())[0], text);
      assert.equal(scratch[4], wordsOf(bc.toByteArray())[0], text);
    }
    for (let n = 0; n < 10000; n++) {
      const groups = Array.from({ length: 8 }, () => (r() & 1 ? 0 : r() & 0xffff));
      const addr = new ipaddr.IPv6(groups);
      // exercise both compressed (RFC 5952) and full forms
      const text = n % 2 ? addr.toRFC5952String() : addr.toNormalizedString();
      assert.equal(parseEntryBytes(text, 0, text.length), 6, text);
      assert.deepEqual(Array.from(scratch.subarray(0, 4)), wordsOf(addr.toByteArray()), text);
      assert.equal(formatV6(scratch, 0), addr.toRFC5952String(), text);
    }
  });

  it('accepts the textual forms nft accepts and refuses malformed ones', () => {
    const ok: Array<[string, number, string, string]> = [
      ['10.0.0.1', 4, '10.0.0.1', '10.0.0.1'],
      ['10.1.2.3/8', 4, '10.0.0.0', '10.255.255.255'], // host bits cleared, as nft does
      ['0.0.0.0/0', 4, '0.0.0.0', '255.255.255.255'],
      ['192.168.1.10-192.168.1.20', 4, '192.168.1.10', '192.168.1.20'],
      ['::', 6, '::', '::'],
      ['::1', 6, '::1', '::1'],
      ['fe80::/10', 6, 'fe80::', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
      ['::ffff:1.2.3.4', 6, '::ffff:1.2.3.4', '::ffff:1.2.3.4'],
      ['2001:DB8::1', 6, '2001:db8::1', '2001:db8::1'],
      ['1::', 6, '1::', '1::'],
    ];
    for (const [text, fam, lo, hi] of ok) {
      assert.equal(parseEntryBytes(text, 0, text.length), fam, text);
      const W = fam === 4 ? 1 : 4;
      assert.equal(formatWords(scratch, 0, W), lo, text);
      assert.equal(formatWords(scratch, 4, W), hi, text);
    }
    const bad = [
      '', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1.2.3.4/33', '1.2.3.4/', '1.2.3.4/08', 'a.b.c.d', '1.2.3.4 ',
      ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1', '1:', 'fe80::/129', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', 'g::1',
      '1.2.3.4/24-1.2.3.5',
    ];
    for (const text of bad) assert.ok(parseEntryBytes(text, 0, text.length) < 0, `should refuse ${JSON.stringify(text)}`);
  });
});

describe('blocklist entry sources', () => {
  const text = '# feed\n10.0.0.1\n\n  10.0.0.2  # trailing comment\r\n2001:db8::/32\n10.0.0.0/8\n';

  it('parses text, bytes, arrays, async iterables and streams the same way', async () => {
    const fromText = parseEntriesSync(text);
    const fromBytes = parseEntriesSync(Buffer.from(text));
    const fromArray = parseEntriesSync(['10.0.0.1', '10.0.0.2', '2001:db8::/32', '10.0.0.0/8']);
    // a stream whose chunks split lines in the middle
    const chunks = [text.slice(0, 7), text.slice(7, 19), text.slice(19, 40), text.slice(40)].map((c) => Buffer.from(c));
    const fromStream = await parseEntries(Readable.from(chunks));
    const fromStrings = await parseEntries((async function* () {
      yield text.slice(0, 12);
      yield text.slice(12);
    })());
    for (const p of [fromText, fromBytes, fromArray, fromStream, fromStrings]) {
      assert.equal(p.entries, 4);
      assert.equal(p.v4.count, 3);
      assert.equal(p.v6.count, 1);
      assert.deepEqual(Array.from(p.v4.lo.subarray(0, 3)), [0x0a000001, 0x0a000002, 0x0a000000]);
      assert.deepEqual(Array.from(p.v4.hi.subarray(0, 3)), [0x0a000001, 0x0a000002, 0x0affffff]);
      assert.deepEqual(Array.from(p.v6.lo.subarray(0, 4)), [0x20010db8, 0, 0, 0]);
    }
  });

  it('text bytes (plain dotted quads take a shortcut) give the same rows and problems as a string, line by line', () => {
    const lines = ['0.0.0.0', '255.255.255.255', '1.2.3.4', '01.2.3.4', '1.2.3.04', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.',
      '1.2.3.4 ', ' 1.2.3.4', '1.2.3.4\r', '1.2.3.4#x', '1.2.3.4/32', '1.2.3.0/24', '1.2.3.1-1.2.3.9', '1234.1.1.1', '::1', '::ffff:1.2.3.4', '', '#', '10.0.0.1'];
    for (const o of [{}, { singlesOnly: true }, { families: { ipv4: false, ipv6: true } }, { strictPrefixes: true }]) {
      for (const l of lines) {
        const run = (src: string | Uint8Array): unknown => {
          try {
            const p = parseEntriesSync(src, o);
            return { v4: Array.from(p.v4.lo.subarray(0, p.v4.count)), hi4: Array.from(p.v4.hi.subarray(0, p.v4.count)), v6: p.v6.count, n: p.entries };
          } catch (e) {
            return (e as BlocklistEntryError).problems;
          }
        };
        const text = `${l}\n10.9.9.9\n`;
        assert.deepEqual(run(Buffer.from(text)), run(text), `${JSON.stringify(l)} with ${JSON.stringify(o)}`);
      }
    }
  });

  it('takes packed network-order keys with optional prefix lengths', () => {
    const keys = Uint8Array.from([10, 0, 0, 1, 192, 168, 7, 9]);
    const p = parseEntriesSync({ family: 'ipv4', keys, prefixes: Uint8Array.from([32, 16]) });
    assert.deepEqual(Array.from(p.v4.lo.subarray(0, 2)), [0x0a000001, 0xc0a80000]);
    assert.deepEqual(Array.from(p.v4.hi.subarray(0, 2)), [0x0a000001, 0xc0a8ffff]);
    assert.throws(() => parseEntriesSync({ family: 'ipv4', keys: new Uint8Array(5) }), /multiple of 4 bytes/);
  });

  it('reports every bad entry by line (text) or index (arrays) and returns nothing', async () => {
    const bad = '10.0.0.1\n10.0.0.300\n# ok\nfoo\n10.0.0.2\n';
    const err = (await parseEntries(Readable.from([Buffer.from(bad)])).catch((e: unknown) => e)) as BlocklistEntryError;
    assert.ok(err instanceof BlocklistEntryError);
    assert.equal(err.total, 2);
    assert.deepEqual(err.problems.map((p) => [p.line, p.entry]), [[2, '10.0.0.300'], [4, 'foo']]);
    assert.equal(
      err.message,
      'Invalid blocklist entry at line 2: "10.0.0.300" (IPv4 octet out of range (0-255, no leading zeros)); 1 more invalid entry. Nothing was applied.',
    );
    assert.throws(
      () => parseEntriesSync(['10.0.0.1', '', '1.1.1.1/40']),
      (e: unknown) => e instanceof BlocklistEntryError && e.problems[0]!.index === 1 && e.problems[1]!.index === 2 && e.total === 2,
    );
  });

  it('refuses prefixes where only single addresses fit, and the wrong family', () => {
    assert.throws(() => parseEntriesSync('10.0.0.0/24', { singlesOnly: true }), /index|line 1.*single addresses/);
    assert.doesNotThrow(() => parseEntriesSync('10.0.0.7/32', { singlesOnly: true }));
    assert.throws(() => parseEntriesSync('::1', { families: { ipv4: true, ipv6: false } }), /holds IPv4 only/);
    assert.throws(() => parseEntriesSync('10.1.0.0/8', { strictPrefixes: true }), /host bits/);
  });

  it('finds one bad line among a million and names it', () => {
    const lines: string[] = [];
    for (let i = 0; i < 1_000_000; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    lines[765_432] = '10.1.2.3.4';
    const err = (() => {
      try {
        parseEntriesSync(Buffer.from(lines.join('\n')));
      } catch (e) {
        return e;
      }
      return undefined;
    })() as BlocklistEntryError;
    assert.ok(err instanceof BlocklistEntryError);
    assert.equal(err.problems[0]!.line, 765_433);
    assert.equal(err.total, 1);
  });
});
