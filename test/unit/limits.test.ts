// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The encoder sizes every message from what it holds and checks every netlink and kernel limit
 * before writing (issue 12, items 1-3). Here without a socket: the addon's encode() (dry run)
 * and the TypeScript checks. test/kernel/limits.test.ts proves the same against the kernel.
 */
import assert from 'node:assert/strict';
import type { Expr } from '../../lib/expr/registry';
import { checkExprLimits } from '../../lib/expr/validate';
import { LIMITS, NFPROTO } from '../../lib/kernel';
import { binding, type ElementsDesc, type OpDesc } from '../../lib/native';
import { checkDumpRequest, checkOpDesc } from '../../lib/validate';

const encode = (...ops: OpDesc[]): Uint8Array => binding().encode({ ops });
const nativeRefuses = (op: OpDesc, message: string): void => {
  assert.throws(() => encode(op), { name: 'TypeError', message });
};

interface Attr {
  type: number;
  start: number;
  end: number;
}

/** The attributes in [from, to) of the batch, checking each length stays inside the range. */
function attrs(b: Uint8Array, from: number, to: number): Attr[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Attr[] = [];
  let at = from;
  while (at < to) {
    const len = v.getUint16(at, true);
    assert.ok(len >= 4 && at + len <= to, `attribute at ${at} of length ${len} leaves its parent [${from}, ${to})`);
    out.push({ type: v.getUint16(at + 2, true) & 0x3fff, start: at + 4, end: at + len });
    at += (len + 3) & ~3;
  }
  assert.equal(at, to, 'attributes fill their parent exactly');
  return out;
}

/** Every message of an encoded batch: type and attribute range, lengths checked. */
function messages(b: Uint8Array): { type: number; attrs: Attr[] }[] {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: { type: number; attrs: Attr[] }[] = [];
  let at = 0;
  while (at < b.length) {
    const len = v.getUint32(at, true);
    assert.ok(len >= 20 && at + len <= b.length);
    out.push({ type: v.getUint16(at + 4, true) & 0xff, attrs: attrs(b, at + 20, at + len) });
    at += (len + 3) & ~3;
  }
  return out;
}

const NEWSETELEM = 12;
const NFTA_SET_ELEM_LIST_ELEMENTS = 3;

function elementsOp(count: number, extra: Partial<ElementsDesc> = {}): ElementsDesc {
  const keys = new Uint8Array(count * 16);
  for (let i = 0; i < count; i++) new DataView(keys.buffer).setUint32(i * 16 + 12, i);
  return { object: 'elements', verb: 'add', family: NFPROTO.inet, table: 't', set: 's', count, keyLen: 16, keys, ...extra };
}

describe('limits: the encoder sizes every message and checks every length first', () => {
  it('splits a large element list into several NEWSETELEM messages whose nests never wrap', () => {
    // 3,828 elements of 254 bytes of userdata each: about 1 MiB, at least 17 messages.
    const ud = new Uint8Array(LIMITS.elementUserdata).fill(0x41);
    const n = 3828;
    const bytes = encode(elementsOp(n, { userdata: Array.from({ length: n }, () => ud), timeoutsMs: new Float64Array(n).fill(3_600_000) }));
    const msgs = messages(bytes).filter((m) => m.type === NEWSETELEM);
    assert.ok(msgs.length >= Math.ceil((n * 300) / 65535), `${msgs.length} messages`);
    let total = 0;
    for (const m of msgs) {
      const list = m.attrs.find((a) => a.type === NFTA_SET_ELEM_LIST_ELEMENTS);
      assert.ok(list);
      assert.ok(list.end - list.start + 4 <= 0xffff);
      total += attrs(bytes, list.start, list.end).length; // every length checked inside the nest
    }
    assert.equal(total, n);
  });

  it('puts exactly the elements given in the batch, one nest per message, for every element size', () => {
    for (const udLen of [0, 1, 37, 253, 254]) {
      const n = 700;
      const ud = new Uint8Array(udLen);
      const bytes = encode(elementsOp(n, udLen > 0 ? { userdata: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? null : ud)) } : {}));
      let total = 0;
      for (const m of messages(bytes).filter((x) => x.type === NEWSETELEM)) {
        const list = m.attrs.find((a) => a.type === NFTA_SET_ELEM_LIST_ELEMENTS)!;
        total += attrs(bytes, list.start, list.end).length;
      }
      assert.equal(total, n, `userdata of ${udLen} bytes`);
    }
  });

  it('refuses in native code what TypeScript would refuse, without writing past a buffer', () => {
    const long = 'x'.repeat(300);
    nativeRefuses({ object: 'table', verb: 'add', family: 1, name: long }, 'operation 0: name: a name of at most 255 bytes without NUL (received 300 bytes)');
    nativeRefuses({ object: 'chain', verb: 'add', family: 1, table: long, name: 'c' }, 'operation 0: table: a name of at most 255 bytes without NUL (received 300 bytes)');
    nativeRefuses(
      { object: 'table', verb: 'add', family: 1, name: 't', userdata: new Uint8Array(8192) },
      'operation 0: userdata: at most 256 bytes of userdata (received 8192 bytes)',
    );
    const counters: Expr[] = Array.from({ length: 5000 }, () => ({ type: 'counter' }));
    nativeRefuses({ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: counters }, 'operation 0: a rule holds at most 128 expressions (received 5000)');
    nativeRefuses(
      { object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: [{ type: 'log', prefix: 'p'.repeat(100_000) }] },
      'operation 0: log.prefix: a string of at most 255 bytes without NUL (received 100000 bytes)',
    );
    // 4,000 names of 15 bytes (20 bytes each on the wire) pass the boundary's count bound (4,096) and overflow the 16-bit nest.
    const devices = Array.from({ length: 4000 }, (_, i) => `dev${String(i).padStart(12, '0')}`);
    nativeRefuses(
      { object: 'chain', verb: 'add', family: NFPROTO.netdev, table: 't', name: 'c', hooknum: 0, priority: 0, type: 'filter', devices },
      'operation 0: devices: 4000 devices do not fit one netlink attribute',
    );
    nativeRefuses(
      { object: 'chain', verb: 'add', family: NFPROTO.netdev, table: 't', name: 'c', hooknum: 0, priority: 0, type: 'filter', devices: ['a'.repeat(16)] },
      'operation 0: devices[0]: an interface name of 1-15 bytes (received 16 bytes)',
    );
    const big = new Uint8Array(8192);
    nativeRefuses(elementsOp(11, { userdata: Array.from({ length: 11 }, () => big) }), 'operation 0: userdata[0]: at most 254 bytes of userdata (received 8192 bytes)');
    nativeRefuses(elementsOp(2, { chains: [null, long], verdicts: new Int32Array([-3, -3]) }), 'operation 0: chains[1]: a name of at most 255 bytes without NUL (received 300 bytes)');
    nativeRefuses(
      elementsOp(1, { exprs: [{ type: 'counter' }, { type: 'counter' }, { type: 'counter' }] }),
      'operation 0: exprs: at most 2 expressions per element (received 3)',
    );
  });

  it('checks the real length of a rule\'s expression list against the 16-bit nest (128 large expressions)', () => {
    const name = 'n'.repeat(255);
    const one: Expr = { type: 'objref', immType: 1, immName: name, setName: name, setSreg: 1 };
    // 128 of them take about 70 KiB: more than one attribute can hold.
    assert.throws(() => encode({ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: Array.from({ length: 128 }, () => one) }), {
      name: 'TypeError',
      message: /^operation 0: the rule's expressions take \d+ bytes; one netlink attribute holds at most 65535$/,
    });
    // 100 fit: encoded, every attribute length consistent.
    const ok = encode({ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: Array.from({ length: 100 }, () => one) });
    assert.equal(messages(ok).length, 3);
  });

  it('TypeScript turns every limit into a RangeError in the house format', () => {
    const long = 'x'.repeat(300);
    const cases: [OpDesc, string][] = [
      [{ object: 'table', verb: 'add', family: 1, name: long }, 'Expected a name of at most 255 bytes for op.name but received a string of 300 bytes'],
      [{ object: 'set', verb: 'add', family: 1, table: 't', name: 's', keyLen: 80 }, 'Expected a length of 1-64 bytes for op.keyLen but received 80'],
      [{ object: 'obj', verb: 'add', family: 1, table: 't', name: 'o', objType: 1, userdata: new Uint8Array(257) }, 'Expected at most 256 bytes of userdata for op.userdata but received a Uint8Array of 257 bytes'],
      [
        { object: 'chain', verb: 'add', family: 5, table: 't', name: 'c', devices: Array.from({ length: 2000 }, (_, i) => `d${i}`) },
        'Expected at most 255 devices per chain for op.devices but received 2000 devices',
      ],
      [
        { object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: Array.from({ length: 129 }, () => ({ type: 'counter' }) as Expr) },
        'Expected at most 128 expressions in a rule for op.exprs but received 129 expressions',
      ],
      [{ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: [{ type: 'log', prefix: 'é'.repeat(128) }] }, 'Expected a string of at most 255 bytes for op.exprs[0].prefix but received a string of 256 bytes'],
      [elementsOp(2, { userdata: [null, new Uint8Array(300)] }), 'Expected at most 254 bytes of userdata for op.userdata[1] but received a Uint8Array of 300 bytes'],
      [elementsOp(1, { objrefs: [long] }), 'Expected a name of at most 255 bytes for op.objrefs[0] but received a string of 300 bytes'],
    ];
    for (const [op, message] of cases) assert.throws(() => checkOpDesc(op, 'op'), { name: 'RangeError', message });
    // At the limits: accepted.
    checkOpDesc({ object: 'table', verb: 'add', family: 1, name: 'x'.repeat(255), userdata: new Uint8Array(256) }, 'op');
    checkExprLimits(Array.from({ length: 128 }, () => ({ type: 'counter' })), 'rule.statements', 128, 'a rule');
    assert.throws(() => checkDumpRequest({ what: 'elements', family: 1, table: 't', set: 's', keys: new Uint8Array(16384), keyLen: 1 }), {
      name: 'RangeError',
      message: 'Expected at most 256 keys per request for request.keys but received 16384 keys of 1 bytes',
    });
    assert.throws(() => checkDumpRequest({ what: 'elements', family: 1, table: 't', set: 's', keys: new Uint8Array(4), keyLen: 0 }), {
      name: 'RangeError',
      message: 'Expected a key length of 1-64 bytes for request.keyLen but received 0',
    });
    assert.throws(() => checkDumpRequest({ what: 'rules', table: long }), { name: 'RangeError', message: 'Expected a name of at most 255 bytes for request.table but received a string of 300 bytes' });
  });
});
