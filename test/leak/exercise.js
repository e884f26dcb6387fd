// SPDX-License-Identifier: GPL-2.0-or-later
// Exercises every native entry point (success and failure paths) for valgrind/ASan runs.
// Run only inside a private network namespace: scripts/valgrind.sh does that.
'use strict';
const b = require('node-gyp-build')(require('node:path').join(__dirname, '..', '..'));
const fs = require('node:fs');
// The packed rule transport (built by npm run build:ts).
const { packBatch, packExprs } = require('../../dist/lib/packed.js');
let host;
try { host = fs.readlinkSync('/proc/1/ns/net'); } catch { host = undefined; } // EACCES under valgrind
if (host === undefined ? process.env.NFTJS_PRIVATE_NETNS !== '1' : fs.readlinkSync('/proc/self/ns/net') === host) throw new Error('not in a private netns');

(async () => {
  for (let round = 0; round < 3; round++) {
    const s = b.openSocket({});
    const keys = new Uint8Array(4 * 5000);
    for (let i = 0; i < 5000; i++) keys.set([10, (i >> 16) & 255, (i >> 8) & 255, i & 255], i * 4);
    const ops = [
      { object: 'table', verb: 'add', family: 1, name: 'fw', userdata: new Uint8Array([0, 2, 65, 0]) },
      { object: 'chain', verb: 'add', family: 1, table: 'fw', name: 'input', hooknum: 1, priority: 0, type: 'filter', policy: 1 },
      { object: 'chain', verb: 'add', family: 1, table: 'fw', name: 'reg' },
      { object: 'set', verb: 'add', family: 1, table: 'fw', name: 'bl', flags: 0x30, keyType: 7, keyLen: 4, id: 1 },
      { object: 'set', verb: 'add', family: 1, table: 'fw', name: 'counted', flags: 0, keyType: 7, keyLen: 4, id: 3, exprs: [{ type: 'counter' }] },
      { object: 'elements', verb: 'add', family: 1, table: 'fw', set: 'counted', setId: 3, count: 2, keyLen: 4, keys: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]) },
      { object: 'elements', verb: 'add', family: 1, table: 'fw', set: 'bl', setId: 1, count: 5000, keyLen: 4, keys, timeoutsMs: new Float64Array(5000).fill(60000), userdata: new Array(5000).fill(null).map((_, i) => (i % 2 ? new Uint8Array([0, 2, 66, 0]) : null)) },
      { object: 'set', verb: 'add', family: 1, table: 'fw', name: 'vm', flags: 0x8, keyType: 13, keyLen: 2, dataType: 0xffffff00, id: 2 },
      { object: 'elements', verb: 'add', family: 1, table: 'fw', set: 'vm', setId: 2, count: 2, keyLen: 2, keys: new Uint8Array([0, 22, 0, 80]), verdicts: new Int32Array([-3, 1]), chains: ['reg', null] },
      { object: 'obj', verb: 'add', family: 1, table: 'fw', name: 'c1', objType: 1, attrs: { packets: 1n, bytes: 2n } },
      { object: 'rule', verb: 'add', family: 1, table: 'fw', chain: 'input', echo: true, userdata: new Uint8Array([0, 2, 67, 0]), exprs: [
        { type: 'meta', key: 15, dreg: 1 }, { type: 'cmp', sreg: 1, op: 0, data: new Uint8Array([2]) },
        { type: 'payload', dreg: 1, base: 1, offset: 12, len: 4 }, { type: 'lookup', sreg: 1, set: 'bl', setId: 1 },
        { type: 'dynset', op: 1, sregKey: 1, set: 'bl', setId: 1, timeout: 1000n, exprs: [{ type: 'limit', rate: 3n, unit: 60n, burst: 5, flags: 1 }] },
        { type: 'log', prefix: 'x: ', level: 4 }, { type: 'counter' }, { type: 'immediate', dreg: 0, verdict: -3, chain: 'reg' } ] },
    ];
    let r = await b.commit(s, { ops });
    if (r.failures.length) throw new Error(JSON.stringify(r.failures));
    r = b.commitSync(s, { ops: [{ object: 'chain', verb: 'add', family: 1, table: 'nope', name: 'x' }, { object: 'table', verb: 'create', family: 1, name: 'fw' }] });
    if (r.failures.length !== 2) throw new Error('expected 2 failures');
    for (const what of ['tables', 'chains', 'rules', 'sets', 'objects', 'gen']) await b.dump(s, { what });
    await b.dump(s, { what: 'rules', reset: true });
    const el = await b.dump(s, { what: 'elements', family: 1, table: 'fw', set: 'bl' });
    if (el.items.count !== 5000) throw new Error('count ' + el.items.count);
    await b.dump(s, { what: 'elements', family: 1, table: 'fw', set: 'vm' });
    await b.dump(s, { what: 'elements', family: 1, table: 'fw', set: 'counted', reset: true });
    await b.dump(s, { what: 'elements', family: 1, table: 'fw', set: 'bl', keys: keys.subarray(0, 8), keyLen: 4 });
    await b.dump(s, { what: 'elements', family: 1, table: 'fw', set: 'missing' });
    // Prepared elements: success, kernel refusal, bad arguments.
    const prep = b.prepareElements({ object: 'elements', verb: 'add', family: 1, table: 'fw', set: 'bl', count: 0, keyLen: 4, keys: new Uint8Array(0) });
    const out = new Float64Array(2);
    for (let i = 0; i < 50; i++) {
      if (b.commitPreparedSync(s, prep, 'add', new Uint8Array([192, 0, 2, i]), new Float64Array([1000]), out) !== null) throw new Error('prepared add');
      if (b.commitPreparedSync(s, prep, 'delete', new Uint8Array([192, 0, 2, i]), undefined, out) !== null) throw new Error('prepared delete');
    }
    if (b.commitPreparedSync(s, prep, 'delete', new Uint8Array([192, 0, 2, 200]), undefined, out) === null) throw new Error('expected ENOENT');
    try { b.commitPreparedSync(s, prep, 'add', new Uint8Array(3), undefined, out); } catch {}
    try { b.commitPreparedSync(s, {}, 'add', new Uint8Array(4), undefined, out); } catch {}
    try { b.prepareElements({ object: 'table', verb: 'add', family: 1, name: 'x' }); } catch {}
    b.encode({ ops });
    // Packed: the same batch as one buffer (encode, unpack, a sync commit after deleting the
    // table), then every truncation and a flipped byte of it (refused, everything freed).
    const packed = packBatch(ops);
    b.encode(packed);
    b.unpack(packed);
    r = b.commitSync(s, packBatch([{ object: 'table', verb: 'delete', family: 1, name: 'fw' }, ...ops]));
    for (let n = 0; n < packed.packed.length; n += 7) {
      try { b.encode({ ops: packed.ops, packed: packed.packed.subarray(0, n) }); } catch {}
      const d = packed.packed.slice();
      d[n] ^= 0xff;
      try { b.unpack({ ops: packed.ops, packed: d }); } catch {}
    }
    try { await b.commit(s, { ops: packed.ops, packed: packed.packed.subarray(0, packed.packed.length - 1) }); } catch {}
    // Prepared rules: expressions encoded once (encodeExprs), then sent as encoded (packed flag
    // 64), also with a position; damaged encodings refused; bad input to encodeExprs refused.
    const wiredExprs = Object.freeze(ops[10].exprs.slice(0, 3).concat([{ type: 'counter' }, { type: 'immediate', dreg: 0, verdict: 1 }]));
    packExprs(wiredExprs);
    const wiredOp = { object: 'rule', verb: 'add', family: 1, table: 'fw', chain: 'reg', exprs: wiredExprs, userdata: new Uint8Array([0, 2, 68, 0]) };
    const wired = packBatch([ops[0], ops[2], ops[3], wiredOp, { ...wiredOp, verb: 'insert' }]);
    b.encode(wired);
    b.unpack(wired);
    await b.commit(s, packBatch([{ object: 'table', verb: 'delete', family: 1, name: 'fw' }, ops[0], ops[2], ops[3], wiredOp, wiredOp]));
    for (let n = 12; n < wired.packed.length; n += 3) {
      const d = wired.packed.slice();
      d[n] ^= 0xff;
      try { b.encode({ ops: wired.ops, packed: d }); } catch {}
    }
    for (const bad of [new Uint8Array(0), new Uint8Array([1, 0]), new Uint8Array([1, 0, 200, 0]), 'x']) {
      try { b.encodeExprs(bad); } catch {}
    }
    try { b.encode({ ops: [{ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: [{ type: 'nope' }] }] }); } catch {}
    try { b.commitSync({}, { ops: [] }); } catch {}
    // Hostile descriptors: a getter that throws deep inside a half-built spec (everything built
    // so far must be freed), a huge array, an ownKeys trap.
    const withThrowingGetter = (o, key) => Object.defineProperty(o, key, { enumerable: true, get() { throw new Error('boom'); } });
    for (const op of [
      { ...ops[10], exprs: [...ops[10].exprs, withThrowingGetter({ type: 'counter' }, 'packets')] },
      withThrowingGetter({ object: 'table', verb: 'add', family: 1, name: 'x' }, 'flags'),
      { object: 'rule', verb: 'add', family: 1, table: 'fw', chain: 'input', exprs: new Array(2 ** 32 - 1) },
      { object: 'rule', verb: 'add', family: 1, table: 'fw', chain: 'input', exprs: [new Proxy({ type: 'counter' }, { ownKeys() { throw new Error('boom'); } })] },
    ]) {
      try { b.commitSync(s, { ops: [ops[0], ops[6], op] }); throw new Error('accepted'); } catch (e) { if (e.message === 'accepted') throw e; }
      try { b.commit(s, { ops: [op] }); throw new Error('accepted'); } catch (e) { if (e.message === 'accepted') throw e; }
    }
    await b.commit(s, { ops: [{ object: 'table', verb: 'delete', family: 1, name: 'fw' }] });
    b.closeSocket(s);
  }
  console.log('exercise done');
})().catch((e) => { console.error(e); process.exit(1); });
