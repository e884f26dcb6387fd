// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Fuzz target: the addon's entry points called directly with random descriptors (valid shapes
 * with random values, wrong types, huge numbers, bigints, NaN, nested garbage, huge arrays).
 * Every call must end in a TypeError/RangeError, an errno Error (openSocket), an ack with
 * failures, or a valid commit; after every rejected call the ruleset is unchanged.
 */
import fc from 'fast-check';
import { binding, type NativeSocket } from '../../lib/native';
import { OVERSIZE, assertUnchanged, isClear, newTally, noteUnclear, recordInput, resetBaseline, type Tally } from './common';

const HUGE = new Array(2 ** 32 - 1);

const junkLeaf = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, -0, 2 ** 32, 2 ** 53, -1, 1e300),
  fc.bigInt(),
  fc.string({ maxLength: 40 }),
  fc.uint8Array({ maxLength: 80 }),
  fc.constantFrom(new Float64Array(2), new Int32Array(1), new Uint32Array(3), HUGE, Symbol('x'), () => 1),
);
const junk: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junkLeaf,
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 4 }),
  ),
})).node;

const orJunk = <T>(a: fc.Arbitrary<T>, junkWeight = 1): fc.Arbitrary<unknown> => fc.oneof({ weight: 12, arbitrary: a }, { weight: junkWeight, arbitrary: junk });
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined, freq: 2 });

const maxStr = OVERSIZE ? 70_000 : 60;
const name = orJunk(
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('fz', 'fz4', 'c', 'in', 's4', 'p', 'vm', 'cn', 'new1', 'new2') },
    { weight: 2, arbitrary: fc.string({ maxLength: maxStr }) },
    { weight: 1, arbitrary: fc.string({ minLength: 240, maxLength: 300 }) },
  ),
);
const family = orJunk(fc.constantFrom(1, 2, 10, 7, 3, 5));
const u32 = orJunk(fc.oneof(fc.integer({ min: 0, max: 16 }), fc.nat(), fc.constant(4294967295)));
const verb = orJunk(fc.constantFrom('add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush'));
const userdata = orJunk(fc.uint8Array({ maxLength: OVERSIZE ? 70_000 : 200 }));

/** Expressions drawn from the addon's own table, each attribute by its kind. */
function exprArb(depth: number): fc.Arbitrary<unknown> {
  const table = binding().exprTable as Record<string, Record<string, string>>;
  const types = Object.keys(table);
  return fc.constantFrom(...types).chain((type) => {
    const attrs = table[type]!;
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const [attr, kind] of Object.entries(attrs)) {
      let a: fc.Arbitrary<unknown>;
      switch (kind) {
        case 'u8': a = fc.integer({ min: 0, max: 255 }); break;
        case 'u16': a = fc.integer({ min: 0, max: 65535 }); break;
        case 'i32': a = fc.integer({ min: -5, max: 5 }); break;
        case 'u64': a = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }); break;
        case 'str': a = fc.oneof(fc.constantFrom('c', 'in', 's4', 'p', 'vm', 'cn'), fc.string({ maxLength: OVERSIZE ? 70_000 : 100 })); break;
        case 'bytes': a = fc.uint8Array({ minLength: 1, maxLength: 64 }); break;
        case 'exprs': a = depth < 1 ? fc.array(exprArb(depth + 1), { maxLength: 2 }) : fc.constant([]); break;
        default: a = fc.integer({ min: 0, max: 32 });
      }
      fields[attr] = opt(orJunk(a, 1));
    }
    return fc.record(fields).map((f) => ({ type, ...Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) }));
  });
}

const exprs = (max: number): fc.Arbitrary<unknown> => orJunk(fc.array(exprArb(0), { maxLength: max }));

const base = { family, verb, handle: opt(orJunk(fc.bigInt({ min: 0n, max: 1000n }))) };
const tableOp = fc.record({ object: fc.constant('table'), ...base, name, flags: opt(u32), userdata: opt(userdata) });
const chainOp = fc.record({
  object: fc.constant('chain'),
  ...base,
  table: name,
  name,
  hooknum: opt(u32),
  priority: opt(orJunk(fc.integer({ min: -400, max: 400 }))),
  type: opt(orJunk(fc.constantFrom('filter', 'nat', 'route'))),
  policy: opt(u32),
  devices: opt(orJunk(fc.array(fc.constantFrom('lo', 'eth0', 'x'.repeat(20)), { maxLength: OVERSIZE ? 2000 : 8 }))),
  userdata: opt(userdata),
});
const ruleOp = fc.record({
  object: fc.constant('rule'),
  ...base,
  table: name,
  chain: name,
  exprs: opt(OVERSIZE ? fc.oneof(exprs(6), fc.constant(Array.from({ length: 5000 }, () => ({ type: 'counter' })))) : exprs(8)),
  position: opt(orJunk(fc.bigInt({ min: 0n, max: 100n }))),
  echo: opt(orJunk(fc.boolean())),
  userdata: opt(userdata),
});
const setOp = fc.record({
  object: fc.constant('set'),
  ...base,
  table: name,
  name,
  id: opt(u32),
  flags: opt(u32),
  keyType: opt(u32),
  keyLen: opt(orJunk(fc.constantFrom(1, 2, 4, 16, 64, 65))),
  dataType: opt(u32),
  dataLen: opt(u32),
  size: opt(u32),
  timeoutMs: opt(orJunk(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }))),
  concat: opt(orJunk(fc.array(fc.constantFrom(4, 2, 16), { maxLength: 3 }))),
  exprs: opt(exprs(2)),
});
const elementsOp = fc
  .record({ n: fc.integer({ min: 0, max: 6 }), k: fc.constantFrom(1, 2, 4, 16), consistent: fc.boolean() })
  .chain(({ n, k, consistent }) =>
    fc.record({
      object: fc.constant('elements'),
      ...base,
      table: name,
      set: name,
      count: consistent ? fc.constant(n) : u32,
      keyLen: consistent ? fc.constant(k) : u32,
      keys: consistent ? fc.uint8Array({ minLength: n * k, maxLength: n * k }) : orJunk(fc.uint8Array({ maxLength: 40 })),
      keyEnds: opt(fc.uint8Array({ minLength: n * k, maxLength: n * k })),
      flags: opt(orJunk(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: n, maxLength: n }).map((a) => Uint32Array.from(a)))),
      timeoutsMs: opt(orJunk(fc.array(fc.double(), { minLength: n, maxLength: n }).map((a) => Float64Array.from(a)))),
      verdicts: opt(fc.array(fc.integer({ min: -5, max: 1 }), { minLength: n, maxLength: n }).map((a) => Int32Array.from(a))),
      chains: opt(orJunk(fc.array(fc.option(fc.constantFrom('c', 'in', 'nope')), { minLength: n, maxLength: n }))),
      userdata: opt(orJunk(fc.array(fc.option(fc.uint8Array({ maxLength: OVERSIZE ? 9000 : 100 })), { minLength: n, maxLength: n }))),
      exprs: opt(exprs(2)),
    }),
  );
const objOp = fc.record({
  object: fc.constant('obj'),
  ...base,
  table: name,
  name,
  objType: orJunk(fc.constantFrom(1, 2, 4, 3)),
  attrs: opt(orJunk(fc.dictionary(fc.constantFrom('packets', 'bytes', 'rate', 'unit', 'burst', 'flags', 'used', 'nope'), orJunk(fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.nat(1000)))))),
});
const op = orJunk(fc.oneof(tableOp, chainOp, ruleOp, setOp, elementsOp, objOp), 1);
const batch = orJunk(
  fc.record({ ops: orJunk(fc.array(op, { maxLength: 5 })), genid: opt(u32) }),
);
const dumpReq = orJunk(
  fc.record({
    what: orJunk(fc.constantFrom('tables', 'chains', 'rules', 'sets', 'elements', 'objects', 'gen')),
    family: opt(family),
    table: opt(name),
    chain: opt(name),
    set: opt(name),
    reset: opt(orJunk(fc.boolean())),
    objType: opt(u32),
    keys: opt(orJunk(fc.uint8Array({ maxLength: OVERSIZE ? 16384 : 1024 }))),
    keyLen: opt(orJunk(fc.constantFrom(1, 4, 16))),
  }),
);
const prepared = fc.record({
  template: orJunk(
    fc.record({
      object: fc.constant('elements'),
      verb: fc.constant('add'),
      family: fc.constant(1),
      table: fc.constant('fz'),
      set: orJunk(fc.constantFrom('s4', 'p', 'nope')),
      count: orJunk(fc.constant(0)),
      keyLen: orJunk(fc.constantFrom(4, 2)),
      keys: fc.constant(new Uint8Array(0)),
    }),
  ),
  verb: orJunk(fc.constantFrom('add', 'create', 'delete', 'destroy', 'flush')),
  keys: orJunk(fc.uint8Array({ maxLength: 24 })),
  timeouts: opt(orJunk(fc.array(fc.double(), { maxLength: 6 }).map((a) => Float64Array.from(a)))),
  out: orJunk(fc.constant(new Float64Array(2))),
});
const openOpts = orJunk(fc.record({ netnsPath: opt(orJunk(fc.constantFrom('/proc/self/ns/net', '/nonexistent', ''))), rcvbufBytes: opt(u32) }));

/** With NFTJS_FUZZ_OVERSIZE=1: the sizes of issue 12 items 1-2, each alone in its batch. */
const oversized = fc.constantFrom(
  { call: 'commitSync' as const, arg: { ops: [{ ...ruleBase(), exprs: Array.from({ length: 5000 }, () => ({ type: 'counter' })) }] } },
  { call: 'commitSync' as const, arg: { ops: [{ object: 'table', verb: 'add', family: 1, name: 'x'.repeat(70_000) }] } },
  { call: 'commitSync' as const, arg: { ops: [{ object: 'table', verb: 'add', family: 1, name: 'u', userdata: new Uint8Array(70_000) }] } },
  { call: 'commitSync' as const, arg: { ops: [{ object: 'chain', verb: 'add', family: 5, table: 'nd', name: 'c', hooknum: 0, priority: 0, type: 'filter', devices: Array.from({ length: 2000 }, (_, i) => `d${i}`) }] } },
  { call: 'commitSync' as const, arg: { ops: [{ object: 'elements', verb: 'add', family: 1, table: 'fz', set: 's4', count: 1, keyLen: 4, keys: new Uint8Array(4), userdata: [new Uint8Array(9000)] }] } },
  { call: 'dumpSync' as const, arg: { what: 'elements', family: 1, table: 'fz', set: 'p', keys: new Uint8Array(16384), keyLen: 1 } },
);
function ruleBase(): Record<string, unknown> {
  return { object: 'rule', verb: 'add', family: 1, table: 'fz', chain: 'c' };
}

export const nativeInput = fc.oneof(
  { weight: OVERSIZE ? 2 : 0, arbitrary: oversized },
  { weight: 2, arbitrary: fc.record({ call: fc.constant('encode' as const), arg: batch }) },
  { weight: 4, arbitrary: fc.record({ call: fc.constant('commitSync' as const), arg: batch }) },
  { weight: 3, arbitrary: fc.record({ call: fc.constant('commit' as const), arg: batch }) },
  { weight: 1, arbitrary: fc.record({ call: fc.constant('dumpSync' as const), arg: dumpReq }) },
  { weight: 1, arbitrary: fc.record({ call: fc.constant('dump' as const), arg: dumpReq }) },
  { weight: 1, arbitrary: fc.record({ call: fc.constant('prepared' as const), arg: prepared }) },
  { weight: 1, arbitrary: fc.record({ call: fc.constant('openSocket' as const), arg: openOpts }) },
);
export type NativeInput = typeof nativeInput extends fc.Arbitrary<infer T> ? T : never;

interface Ack {
  failures: unknown[];
  transportErrno: number;
}
const isAck = (v: unknown): v is Ack => typeof v === 'object' && v !== null && Array.isArray((v as Ack).failures);

export async function fuzzNative(seed: number, numRuns: number): Promise<Tally> {
  const b = binding();
  const tally = newTally();
  const socket: NativeSocket = b.openSocket({});
  let snapshot = resetBaseline();
  const call = async (input: NativeInput): Promise<'rejected' | 'committed' | 'read'> => {
    const { arg } = input;
    switch (input.call) {
      case 'encode':
        b.encode(arg as never);
        return 'read';
      case 'commitSync':
      case 'commit': {
        const ack = input.call === 'commit' ? await b.commit(socket, arg as never) : b.commitSync(socket, arg as never);
        if (!isAck(ack)) throw new Error(`not an ack: ${String(ack)}`);
        return ack.failures.length > 0 || ack.transportErrno !== 0 ? 'rejected' : 'committed';
      }
      case 'dumpSync':
        b.dumpSync(socket, arg as never);
        return 'read';
      case 'dump':
        await b.dump(socket, arg as never);
        return 'read';
      case 'prepared': {
        const p = arg as { template: unknown; verb: unknown; keys: unknown; timeouts: unknown; out: unknown };
        const handle = b.prepareElements(p.template as never);
        const r = b.commitPreparedSync(socket, handle, p.verb as never, p.keys as never, p.timeouts as never, p.out as never);
        return r === null ? 'committed' : 'rejected';
      }
      case 'openSocket': {
        const s = b.openSocket(arg as never);
        b.closeSocket(s);
        return 'read';
      }
    }
  };
  await fc.assert(
    fc.asyncProperty(nativeInput, async (input) => {
      tally.inputs++;
      recordInput('native', input);
      let outcome: 'rejected' | 'committed' | 'read';
      try {
        outcome = await call(input);
      } catch (e) {
        const errnoError = e instanceof Error && typeof (e as { errno?: unknown }).errno === 'number';
        if (!isClear(e) && !errnoError) {
          noteUnclear(tally, e, input);
          throw new Error(`unclear native error: ${String(e)}`);
        }
        outcome = 'rejected';
      }
      if (outcome === 'committed') {
        tally.committed++;
        snapshot = resetBaseline();
        return;
      }
      if (outcome === 'rejected') tally.rejected++;
      // Reads change nothing either, except a counter reset.
      const reset = typeof input.arg === 'object' && input.arg !== null && (input.arg as { reset?: unknown }).reset === true;
      if (reset) snapshot = resetBaseline();
      else assertUnchanged(snapshot, `native ${input.call}`);
    }),
    { seed, numRuns, endOnFailure: true },
  );
  b.closeSocket(socket);
  return tally;
}
