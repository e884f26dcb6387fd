// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The native boundary cannot abort the process: hostile descriptors (throwing getters, Proxy
 * traps, inherited accessors) give the thrower's own error from every entry point; huge and
 * sparse arrays give an error at once; worker.terminate() in the middle of commits leaves the
 * parent alive and the ruleset wholly old or wholly new; a failed thread creation is a JS error.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { binding, type NativeSocket } from '../../lib/native';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const root = join(__dirname, '..', '..');
const INET = 1;

/** Every way a property read can throw, each with its own message. */
function hostile(base: Record<string, unknown>, key: string): Array<[string, unknown, string]> {
  const getter = { ...base };
  Object.defineProperty(getter, key, { enumerable: true, get: () => { throw new Error(`getter ${key}`); } });
  const proxy = new Proxy({ ...base }, {
    get(target, p, receiver) {
      if (p === key) throw new Error(`proxy ${key}`);
      return Reflect.get(target, p, receiver) as unknown;
    },
  });
  const proto = {};
  Object.defineProperty(proto, key, { enumerable: true, get: () => { throw new Error(`inherited ${key}`); } });
  const inherited = Object.assign(Object.create(proto) as Record<string, unknown>, Object.fromEntries(Object.entries(base).filter(([k]) => k !== key)));
  // A non-Error value thrown is propagated as is.
  const thrower = { ...base };
  Object.defineProperty(thrower, key, { enumerable: true, get: () => { throw 42; } });
  return [
    ['getter', getter, `getter ${key}`],
    ['proxy', proxy, `proxy ${key}`],
    ['inherited accessor', inherited, `inherited ${key}`],
    ['throw 42', thrower, '42'],
  ];
}

function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return 'no throw';
}

const table = { object: 'table', verb: 'add', family: INET, name: 'bnd' };
const chain = { object: 'chain', verb: 'add', family: INET, table: 'bnd', name: 'c', devices: ['lo'] };
const rule = { object: 'rule', verb: 'add', family: INET, table: 'bnd', chain: 'c', exprs: [{ type: 'counter' }] };
const set = { object: 'set', verb: 'add', family: INET, table: 'bnd', name: 's', keyType: 7, keyLen: 4, concat: [4] };
const elems = { object: 'elements', verb: 'add', family: INET, table: 'bnd', set: 's', count: 1, keyLen: 4, keys: new Uint8Array(4), chains: [null], userdata: [null] };
const obj = { object: 'obj', verb: 'add', family: INET, table: 'bnd', name: 'o', objType: 1, attrs: { packets: 1n } };

/** Descriptors with one hostile field each, at every depth the addon reads. */
function hostileBatches(): Array<[string, unknown, string]> {
  const out: Array<[string, unknown, string]> = [];
  const wrap = (label: string, list: Array<[string, unknown, string]>, make: (x: unknown) => unknown): void => {
    for (const [how, value, msg] of list) out.push([`${label} (${how})`, make(value), msg]);
  };
  wrap('batch.ops', hostile({ ops: [] }, 'ops'), (b) => b);
  wrap('batch.genid', hostile({ ops: [] }, 'genid'), (b) => b);
  for (const [name, op, keys] of [
    ['table', table, ['object', 'verb', 'family', 'handle', 'flags', 'userdata', 'name']],
    ['chain', chain, ['table', 'name', 'hooknum', 'priority', 'type', 'policy', 'devices']],
    ['rule', rule, ['chain', 'position', 'echo', 'exprs']],
    ['set', set, ['keyType', 'timeoutMs', 'concat', 'exprs']],
    ['elements', elems, ['set', 'count', 'keys', 'keyEnds', 'flags', 'timeoutsMs', 'chains', 'data', 'userdata', 'exprs']],
    ['obj', obj, ['objType', 'attrs']],
  ] as const) {
    for (const key of keys) wrap(`${name}.${key}`, hostile(op, key), (o) => ({ ops: [o] }));
  }
  wrap('rule.exprs[0].type', hostile({ type: 'counter' }, 'type'), (e) => ({ ops: [{ ...rule, exprs: [e] }] }));
  wrap('rule.exprs[0].packets', hostile({ type: 'counter', packets: 1n }, 'packets'), (e) => ({ ops: [{ ...rule, exprs: [e] }] }));
  wrap('obj.attrs.packets', hostile({ packets: 1n }, 'packets'), (a) => ({ ops: [{ ...obj, attrs: a }] }));
  // Index getters on arrays, and Proxy traps for the key enumeration.
  const opsGetter: unknown[] = [];
  Object.defineProperty(opsGetter, 0, { enumerable: true, get: () => { throw new Error('index 0'); } });
  out.push(['ops[0] index getter', { ops: opsGetter }, 'index 0']);
  const devs: unknown[] = ['lo'];
  Object.defineProperty(devs, 1, { enumerable: true, get: () => { throw new Error('device 1'); } });
  out.push(['chain.devices[1] index getter', { ops: [{ ...chain, devices: devs }] }, 'device 1']);
  const keysTrap = new Proxy({ type: 'counter' }, { ownKeys: () => { throw new Error('ownKeys'); } });
  out.push(['expression ownKeys trap', { ops: [{ ...rule, exprs: [keysTrap] }] }, 'ownKeys']);
  const attrsTrap = new Proxy({ packets: 1n }, { ownKeys: () => { throw new Error('attrs ownKeys'); } });
  out.push(['obj.attrs ownKeys trap', { ops: [{ ...obj, attrs: attrsTrap }] }, 'attrs ownKeys']);
  return out;
}

describe('native boundary: hostile input never aborts the process', () => {
  let socket: NativeSocket;
  before(() => {
    socket = binding().openSocket({});
  });
  after(() => binding().closeSocket(socket));
  beforeEach(() => nftFlush());

  it('encode, commit, commitSync: the thrower\'s own error, nothing reaches the kernel, the socket stays usable', async () => {
    const b = binding();
    const cases = hostileBatches();
    assert.ok(cases.length > 100, `${cases.length} cases`);
    for (const [label, batch, message] of cases) {
      assert.equal(thrown(() => b.encode(batch as never)), message, `encode: ${label}`);
      assert.equal(thrown(() => b.commitSync(socket, batch as never)), message, `commitSync: ${label}`);
      assert.equal(thrown(() => b.commit(socket, batch as never)), message, `commit: ${label}`);
    }
    // A hole in a sparse array is read through Array.prototype: an accessor there runs too.
    const holey = { ops: [, table] }; // eslint-disable-line no-sparse-arrays
    Object.defineProperty(Array.prototype, 0, { configurable: true, get: () => { throw new Error('prototype hole'); } });
    let results: string[];
    try {
      results = [thrown(() => b.encode(holey as never)), thrown(() => b.commitSync(socket, holey as never)), thrown(() => b.commit(socket, holey as never))];
    } finally {
      delete (Array.prototype as unknown as Record<number, unknown>)[0];
    }
    assert.deepEqual(results, ['prototype hole', 'prototype hole', 'prototype hole']);
    assert.equal(nftList(), '');
    // The next throw works (before the fix, it aborted node: FATAL ERROR … napi_throw).
    assert.throws(() => b.commitSync(socket, { ops: [{ object: 'nope' }] } as never), {
      name: 'TypeError',
      message: 'Expected a string for ops[0].verb',
    });
    await b.commit(socket, { ops: [table] } as never);
    assert.match(nftList(), /table inet bnd/);
  });

  it('dump, dumpSync, prepareElements, openSocket: the thrower\'s own error', async () => {
    const b = binding();
    for (const key of ['what', 'family', 'table', 'chain', 'set', 'reset', 'objType', 'keys', 'keyLen']) {
      const base = { what: 'elements', family: INET, table: 'bnd', set: 's', keys: new Uint8Array(4), keyLen: 4 };
      for (const [how, req, message] of hostile(base, key)) {
        assert.equal(thrown(() => b.dumpSync(socket, req as never)), message, `dumpSync ${key} (${how})`);
        assert.equal(thrown(() => b.dump(socket, req as never)), message, `dump ${key} (${how})`);
      }
    }
    const template = { object: 'elements', verb: 'add', family: INET, table: 'bnd', set: 's', count: 0, keyLen: 4, keys: new Uint8Array(0) };
    for (const key of ['table', 'set', 'count', 'keyLen', 'keys', 'setId']) {
      for (const [how, desc, message] of hostile(template, key)) {
        assert.equal(thrown(() => b.prepareElements(desc as never)), message, `prepareElements ${key} (${how})`);
      }
    }
    for (const key of ['netnsPath', 'rcvbufBytes']) {
      for (const [how, opts, message] of hostile({}, key)) {
        assert.equal(thrown(() => b.openSocket(opts as never)), message, `openSocket ${key} (${how})`);
      }
    }
    const gen = await b.dump(socket, { what: 'gen' });
    assert.equal(typeof (gen as { items: { id: number } }).items.id, 'number');
  });

  it('huge and sparse arrays: a RangeError (or the first hole named) before any allocation', () => {
    const b = binding();
    const huge = new Array(2 ** 32 - 1);
    assert.throws(() => b.encode({ ops: huge } as never), {
      name: 'RangeError',
      message: 'Expected at most 4194304 entries for batch.ops but received 4294967295',
    });
    assert.throws(() => b.commitSync(socket, { ops: huge } as never), { name: 'RangeError' });
    assert.throws(() => b.encode({ ops: [{ ...rule, exprs: huge }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 65536 entries for ops[0].exprs but received 4294967295',
    });
    assert.throws(() => b.encode({ ops: [{ ...chain, devices: huge }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 4096 entries for ops[0].devices but received 4294967295',
    });
    assert.throws(() => b.encode({ ops: [{ ...set, concat: huge }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 16 entries for ops[0].concat but received 4294967295',
    });
    assert.throws(() => b.encode({ ops: [{ ...elems, chains: huge }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 16777216 entries for ops[0].chains but received 4294967295',
    });
    assert.throws(() => b.encode({ ops: [{ ...elems, userdata: huge }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 16777216 entries for ops[0].userdata but received 4294967295',
    });
    assert.throws(() => b.encode({ ops: [{ ...elems, count: 2 ** 32 - 1 }] } as never), {
      name: 'RangeError',
      message: 'Expected at most 16777216 elements per operation for ops[0].count',
    });
    // Sparse but within bounds: the first hole is named, nothing is sized from the length.
    const sparse: unknown[] = [];
    sparse[4_000_000] = table;
    assert.throws(() => b.encode({ ops: sparse } as never), { name: 'TypeError', message: 'Expected an operation object for ops[0]' });
    const sparseExprs: unknown[] = [];
    sparseExprs[60_000] = { type: 'counter' };
    assert.throws(() => b.encode({ ops: [{ ...rule, exprs: sparseExprs }] } as never), {
      name: 'TypeError',
      message: 'Expected an expression object for ops[0].exprs[0]',
    });
    // Numbers that used to wrap silently.
    assert.throws(() => b.encode({ ops: [{ ...table, family: 65538 }] } as never), { name: 'TypeError', message: 'Expected an address family 0-255 for ops[0].family' });
    assert.throws(() => b.encode({ ops: [{ ...set, concat: [NaN] }] } as never), {
      name: 'TypeError',
      message: 'Expected an array of field lengths (1-64 bytes) for ops[0].concat',
    });
    assert.throws(() => b.encode({ ops: [{ ...obj, attrs: { bytes: 1n, packets: -1 } }] } as never), { name: 'TypeError' });
    assert.throws(() => b.openSocket({ rcvbufBytes: NaN }), { name: 'RangeError', message: 'Expected a byte count 0-2147483647 for rcvbufBytes' });
    assert.throws(() => b.openSocket({ netnsPath: '/proc/self/ns/net\0/x' }), {
      name: 'TypeError',
      message: 'Expected a path without NUL bytes for netnsPath',
    });
    assert.equal(nftList(), '');
  });
});

describe('native boundary: worker and environment teardown', () => {
  beforeEach(() => nftFlush());

  /**
   * A worker replaces table inet term with generation g (CHAINS chains named g<g>_<i>) in a loop
   * of async commits; it posts g right before each commit, and the parent terminates it on the
   * k-th message, so the termination lands while a commit is in flight.
   */
  const CHAINS = 600;
  const loop = `
    const { parentPort, workerData } = require('node:worker_threads');
    const b = require('node-gyp-build')(workerData.root);
    const s = b.openSocket({});
    const batch = (g) => {
      const ops = g > 0 ? [{ object: 'table', verb: 'delete', family: 1, name: 'term' }] : [];
      ops.push({ object: 'table', verb: 'add', family: 1, name: 'term' });
      for (let i = 0; i < ${CHAINS}; i++) ops.push({ object: 'chain', verb: 'add', family: 1, table: 'term', name: 'g' + g + '_' + i });
      return { ops };
    };
    (async () => {
      for (let g = 0; ; g++) {
        parentPort.postMessage(g);
        const ack = await b.commit(s, batch(g));
        if (ack.failures.length > 0 || ack.transportErrno !== 0) throw new Error(JSON.stringify(ack));
      }
    })();
  `;

  function generations(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const m of nftList().matchAll(/chain (g\d+)_\d+ /g)) counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + 1);
    return counts;
  }

  it('worker.terminate() during commits: the parent survives, each state is wholly old or wholly new', async () => {
    for (const k of [1, 2, 3, 5, 8, 13]) {
      const w = new Worker(loop, { eval: true, workerData: { root } });
      const errors: unknown[] = [];
      w.on('error', (e) => errors.push(e));
      const exited = new Promise<number>((resolve) => w.once('exit', resolve));
      let last = -1;
      await new Promise<void>((resolve) => {
        w.on('message', (g: number) => {
          last = g;
          if (g === k) {
            void w.terminate();
            resolve();
          }
        });
      });
      await exited;
      assert.deepEqual(errors, []);
      const gens = generations();
      assert.equal(gens.size, 1, `one generation after terminating at ${k}: ${[...gens.keys()].join(', ')}`);
      const [[name, count]] = [...gens.entries()] as [[string, number]];
      assert.equal(count, CHAINS, `generation ${name} whole`);
      const g = Number(name.slice(1));
      assert.ok(g >= k - 1 && g <= last + 1, `generation ${g}: the one in flight when terminated (${k}..${last}) or the one before`);
      nftFlush();
    }
  });

  it('a terminated worker\'s sockets are closed (its owner table goes away with the worker)', async () => {
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const b = require('node-gyp-build')(workerData.root);
      const s = b.openSocket({});
      b.commit(s, { ops: [{ object: 'table', verb: 'add', family: 1, name: 'owned', flags: 2 }] }).then(() => parentPort.postMessage('ready'));
      setInterval(() => {}, 1000); // alive until terminated
    `;
    const w = new Worker(code, { eval: true, workerData: { root } });
    await new Promise((resolve) => w.once('message', resolve));
    assert.match(nftList(), /table inet owned/);
    await w.terminate();
    assert.equal(nftList(), '');
  });

  it('a thread that cannot be created (openSocket into a namespace) is a JS error, not a crash', function () {
    // Fault injection: an LD_PRELOAD shim fails pthread_create while the variable is set.
    let cc: string;
    try {
      cc = execFileSync('sh', ['-c', 'command -v cc'], { encoding: 'utf8' }).trim();
    } catch {
      this.skip();
    }
    const dir = mkdtempSync(join(tmpdir(), 'nftjs-shim-'));
    try {
      const shim = join(dir, 'fail-pthread.so');
      execFileSync(cc, ['-shared', '-fPIC', '-O2', '-o', shim, join(__dirname, 'fail-pthread.c'), '-ldl']);
      const script = `
        const b = require('node-gyp-build')(process.argv[1]);
        process.env.NFTJS_FAIL_PTHREAD = '1';
        let out;
        const fds = () => require('fs').readdirSync('/proc/self/fd').length;
        const before = fds();
        try { b.openSocket({ netnsPath: '/proc/self/ns/net' }); out = 'opened'; }
        catch (e) { out = e.name + ': ' + e.message + ' errno=' + e.errno; }
        out += fds() === before ? ' (no fd leaked)' : ' (' + (fds() - before) + ' fd leaked)';
        delete process.env.NFTJS_FAIL_PTHREAD;
        const s = b.openSocket({ netnsPath: '/proc/self/ns/net' });
        b.closeSocket(s);
        process.stdout.write(out + '; then opened');
      `;
      const r = spawnSync(process.execPath, ['-e', script, root], { encoding: 'utf8', env: { ...process.env, LD_PRELOAD: [process.env.LD_PRELOAD, shim].filter(Boolean).join(' ') } }); // a sanitizer runtime stays first
      assert.equal(r.stderr, '');
      assert.equal(r.status, 0);
      assert.equal(r.stdout, 'Error: create a thread to enter /proc/self/ns/net: Resource temporarily unavailable errno=11 (no fd leaked); then opened');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
