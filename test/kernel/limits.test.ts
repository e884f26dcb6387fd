// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Issue 12, items 1-3, against the kernel: every input that used to overflow the encoder's
 * fixed buffers, or wrap a 16-bit nest so that a commit applied only part of itself, is now
 * either committed whole (checked with nft) or refused with an exact RangeError before anything
 * reaches the kernel, leaving the ruleset exactly as it was.
 */
import assert from 'node:assert/strict';
import { Nftables, type Chain, type JsonRule, type Rule, type SetSpec, type Table } from '../../lib';
import { LIMITS, NFPROTO } from '../../lib/kernel';
import * as m from '../../lib/match';
import { binding, type ElementsDesc, type NativeSocket } from '../../lib/native';
import type { JStatement } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const lim: Table = { family: 'inet', name: 'lim' };
const input: Chain = { table: lim, name: 'input', base: { type: 'filter', hook: 'input', priority: 0 } };
const set6: SetSpec = { table: lim, name: 's', key: 'ipv6_addr', flags: ['timeout'] };

/** Packed IPv6 keys 2001:db8::<i>. */
function keys6(n: number): Uint8Array {
  const k = new Uint8Array(n * 16);
  for (let i = 0; i < n; i++) {
    k.set([0x20, 0x01, 0x0d, 0xb8], i * 16);
    new DataView(k.buffer).setUint32(i * 16 + 12, i + 1);
  }
  return k;
}

/**
 * An element userdata of exactly 254 bytes (the most the kernel keeps, LIMITS.elementUserdata): a comment TLV (type 0, text
 * and NUL), then one TLV of another type filling the rest (nft shows neither then: it only
 * prints userdata it fully understands; the library's dump returns the bytes).
 */
function bigUdata(text: string): Uint8Array {
  const t = Buffer.from(`${text}\0`);
  const fill = LIMITS.elementUserdata - 4 - t.length;
  return Uint8Array.from([0, t.length, ...t, 7, fill, ...new Uint8Array(fill).fill(0x2e)]);
}

const ip6 = (i: number): string => `2001:db8::${(i >>> 16).toString(16) === '0' ? '' : `${(i >>> 16).toString(16)}:`}${(i & 0xffff).toString(16)}`;

interface NftJsonSet {
  nftables: { set?: { elem?: unknown[] } }[];
}

function listedElements(): unknown[] {
  const j = JSON.parse(nft(['-j', 'list', 'set', 'inet', 'lim', 's'])) as NftJsonSet;
  return j.nftables.find((x) => x.set)?.set?.elem ?? [];
}

describe('limits: oversized input is committed whole or refused, never overflows or applies in part', () => {
  let conn: Nftables;
  let before: string;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
    await conn.transaction().add(lim).add(input).add(set6).commit();
    before = nftList();
  });
  afterEach(async () => {
    await conn.close();
  });

  /** The call throws exactly this RangeError and the ruleset is unchanged. */
  function refused(fn: () => unknown, message: string): void {
    assert.throws(fn, { name: 'RangeError', message });
    assert.equal(nftList(), before);
  }

  const rule = (expr: readonly JStatement[]): JsonRule => ({ family: lim.family, table: lim.name, chain: 'input', expr });

  it('a rule of 5,000 counter() statements is refused (at most 128 expressions per rule)', () => {
    refused(
      () => conn.transaction().add(rule(Array.from({ length: 5000 }, () => m.counter()))),
      'Expected at most 128 expressions in a rule (each statement compiles to one or more) for rule.expr but received 5000 expressions',
    );
  });

  it('a rule of 1,200 tcpDport matches is refused; one of 128 counters commits', async () => {
    assert.throws(() => conn.transaction().add(rule(Array.from({ length: 1200 }, (_, i) => m.tcpDport(i + 1)))), {
      name: 'RangeError',
      message: /^Expected at most 128 expressions in a rule \(each statement compiles to one or more\) for rule.expr but received \d+ expressions$/,
    });
    assert.equal(nftList(), before);
    await conn.transaction().add(rule(Array.from({ length: 128 }, () => m.counter()))).commit();
    const listed = nft(['list', 'chain', 'inet', 'lim', 'input']);
    assert.equal(listed.match(/counter packets 0 bytes 0/g)?.length, 128);
  });

  it('a raw statement with a long string is refused', () => {
    refused(
      () => conn.transaction().add({ family: lim.family, table: lim.name, chain: 'input', expr: [{ raw: { exprs: [{ type: 'log', prefix: 'x'.repeat(100_000) }] } }] } satisfies Rule),
      'Expected a string of at most 255 bytes for rule.expr[0].raw.exprs[0].prefix but received a string of 100000 bytes',
    );
  });

  it('a netdev chain with 2,000 devices is refused, typed and raw', () => {
    const dev: Table = { family: 'netdev', name: 'dev' };
    const devices = Array.from({ length: 2000 }, (_, i) => `d${i}`);
    refused(
      () => conn.transaction().add(dev).add({ table: dev, name: 'ing', base: { type: 'filter', hook: 'ingress', priority: 0, devices } }),
      'Expected at most 255 devices per chain for chain.base.devices but received 2000 devices',
    );
    refused(
      () => conn.transaction().push({ object: 'chain', verb: 'add', family: NFPROTO.netdev, table: 'dev', name: 'ing', hooknum: 0, priority: 0, type: 'filter', devices }),
      'Expected at most 255 devices per chain for op.devices but received 2000 devices',
    );
  });

  it('long names through Transaction.push() are refused', () => {
    const long = 'n'.repeat(300);
    refused(() => conn.transaction().push({ object: 'table', verb: 'add', family: NFPROTO.inet, name: long }), 'Expected a name of at most 255 bytes for op.name but received a string of 300 bytes');
    refused(
      () => conn.transaction().push({ object: 'rule', verb: 'add', family: NFPROTO.inet, table: 'lim', chain: long, exprs: [{ type: 'counter' }] }),
      'Expected a name of at most 255 bytes for op.chain but received a string of 300 bytes',
    );
    refused(
      () => conn.transaction().push({ object: 'elements', verb: 'add', family: NFPROTO.inet, table: 'lim', set: long, count: 1, keyLen: 16, keys: keys6(1) }),
      'Expected a name of at most 255 bytes for op.set but received a string of 300 bytes',
    );
  });

  it('an element with userdata above 254 bytes is refused: 11 elements of 8 KiB (once: 0 of 11 applied, reported as success)', () => {
    const big = new Uint8Array(8192);
    refused(
      () =>
        conn.transaction().push({ object: 'elements', verb: 'add', family: NFPROTO.inet, table: 'lim', set: 's', count: 11, keyLen: 16, keys: keys6(11), userdata: Array.from({ length: 11 }, () => big) }),
      'Expected at most 254 bytes of userdata for op.userdata[0] but received a Uint8Array of 8192 bytes',
    );
    // 255 bytes the kernel refuses (EINVAL), 256 it accepts but does not keep: both refused here.
    for (const len of [255, 256]) {
      refused(
        () => conn.transaction().push({ object: 'elements', verb: 'add', family: NFPROTO.inet, table: 'lim', set: 's', count: 1, keyLen: 16, keys: keys6(1), userdata: [new Uint8Array(len)] }),
        `Expected at most 254 bytes of userdata for op.userdata[0] but received a Uint8Array of ${len} bytes`,
      );
    }
  });

  it('3,828 elements with the largest userdata and a timeout commit whole: every one is in the kernel', async () => {
    // Once: the list nest closed only past ~60 KiB wrapped its 16-bit length; 110 of 3,828 applied.
    const n = 3828;
    const userdata = Array.from({ length: n }, (_, i) => bigUdata(`e${i}`));
    assert.equal(userdata[0]!.length, LIMITS.elementUserdata);
    const op: ElementsDesc = {
      object: 'elements',
      verb: 'add',
      family: NFPROTO.inet,
      table: 'lim',
      set: 's',
      count: n,
      keyLen: 16,
      keys: keys6(n),
      timeoutsMs: new Float64Array(n).fill(3_600_000),
      userdata,
    };
    const r = await conn.transaction().push(op).commit();
    assert.ok(r.messages >= 2 + Math.ceil((n * 300) / 65535), `${r.messages} messages`);
    // nft sees every element, with its timeout.
    const elems = listedElements() as { elem: { val: string; timeout: number } }[];
    assert.equal(elems.length, n);
    assert.deepEqual(new Set(elems.map((e) => e.elem.val)), new Set(Array.from({ length: n }, (_, i) => ip6(i + 1))));
    assert.ok(elems.every((e) => e.elem.timeout === 3600));
    // The kernel holds every element's 254 bytes of userdata exactly.
    const d = await conn.dumpElements(set6);
    assert.equal(d.count, n);
    for (let i = 0; i < d.count; i++) {
      const id = new DataView(d.keys.buffer, d.keys.byteOffset + i * 16).getUint32(12);
      assert.deepEqual(d.userdata?.[i], userdata[id - 1], `element ${id}`);
    }
  });

  it('dumpElements() with keys: 1-byte keys beyond one request are refused; long names in dump()/dumpSync() too', async () => {
    await assert.rejects(conn.dumpElements(set6, { keys: new Uint8Array(16384), keyLen: 1 }).then(() => undefined), {
      name: 'RangeError',
      message: 'Expected at most 256 keys per request for request.keys but received 16384 keys of 1 bytes',
    });
    const long = 't'.repeat(300);
    assert.throws(() => conn.dump({ what: 'rules', family: NFPROTO.inet, table: long }), {
      name: 'RangeError',
      message: 'Expected a name of at most 255 bytes for request.table but received a string of 300 bytes',
    });
    assert.throws(() => conn.dumpSync({ what: 'elements', family: NFPROTO.inet, table: 'lim', set: long }), {
      name: 'RangeError',
      message: 'Expected a name of at most 255 bytes for request.set but received a string of 300 bytes',
    });
    assert.equal(nftList(), before);
  });

  describe('the addon defends itself (never trusts TypeScript)', () => {
    let sock: NativeSocket;
    beforeEach(() => {
      sock = binding().openSocket({});
    });
    afterEach(() => {
      binding().closeSocket(sock);
    });

    it('commit() of an oversized descriptor rejects with the encoder\'s error; the ruleset is unchanged', async () => {
      const counters = Array.from({ length: 5000 }, () => ({ type: 'counter' as const }));
      await assert.rejects(binding().commit(sock, { ops: [{ object: 'rule', verb: 'add', family: NFPROTO.inet, table: 'lim', chain: 'input', exprs: counters }] }), {
        name: 'TypeError',
        message: 'operation 0: a rule holds at most 128 expressions (received 5000)',
      });
      assert.throws(
        () =>
          binding().commitSync(sock, {
            ops: [{ object: 'elements', verb: 'add', family: NFPROTO.inet, table: 'lim', set: 's', count: 11, keyLen: 16, keys: keys6(11), userdata: Array.from({ length: 11 }, () => new Uint8Array(8192)) }],
          }),
        { name: 'TypeError', message: 'operation 0: userdata[0]: at most 254 bytes of userdata (received 8192 bytes)' },
      );
      const prepared = binding().prepareElements({ object: 'elements', verb: 'add', family: NFPROTO.inet, table: 'lim', set: 'x'.repeat(300), count: 0, keyLen: 16, keys: new Uint8Array(0) });
      assert.throws(() => binding().commitPreparedSync(sock, prepared, 'add', keys6(1), undefined, new Float64Array(2)), {
        name: 'TypeError',
        message: 'operation 0: set: a name of at most 255 bytes without NUL (received 300 bytes)',
      });
      assert.equal(nftList(), before);
    });

    it('a dump request beyond one netlink message is refused with EINVAL, not written past its buffer', async () => {
      const r = await binding().dump(sock, { what: 'elements', family: NFPROTO.inet, table: 'lim', set: 's', keys: new Uint8Array(16384), keyLen: 1 });
      assert.deepEqual(r, { errno: 22, message: '16384 keys of 1 bytes do not fit one request (at most 3276)' });
      const s = binding().dumpSync(sock, { what: 'chains', family: NFPROTO.inet, table: 'y'.repeat(70_000) });
      assert.deepEqual(s, { errno: 22, message: 'names in a request hold at most 255 bytes without NUL (received 70000 bytes)' });
      // The socket still works.
      const ok = await binding().dump(sock, { what: 'elements', family: NFPROTO.inet, table: 'lim', set: 's' });
      assert.ok(!('errno' in ok));
      assert.equal(nftList(), before);
    });
  });
});
