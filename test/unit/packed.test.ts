// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The packed rule transport (lib/packed.ts -> native/packed.cc): TypeScript and C++ read the
 * same expression table, so a packed batch must reach the encoder exactly as the descriptor
 * objects would: same C++ structs (unpack) and byte-identical netlink batches (encode), for
 * every rule of the compile fixtures and for every attribute kind. A damaged buffer is refused
 * with a TypeError, never read out of bounds.
 */
import assert from 'node:assert/strict';
import { EXPR_ATTRS, type Expr } from '../../lib/expr/registry';
import { binding, type OpDesc, type RuleDesc } from '../../lib/native';
import { PACKED_MAGIC, packBatch, packedTable } from '../../lib/packed';
import { prepareRule, Transaction, type JsonRule } from '../../lib/transaction';
import { accept, counter, ipSaddr, tcpDport } from '../../lib/match';
import { CASES, preambleSets } from '../fixtures/rules/cases';
import { compileCase, jsonRuleOf } from '../helpers/rule-cases';

const NFPROTO_INET = 1;

/** Every attribute of every expression type, with a value of its kind (nested lists for exprs). */
function everyAttribute(): Expr[] {
  const out: Expr[] = [];
  for (const [type, attrs] of Object.entries(EXPR_ATTRS)) {
    const e: Record<string, unknown> = { type };
    let k = 1;
    for (const [name, kind] of Object.entries(attrs as Record<string, string>)) {
      k++;
      if (name === 'type') continue; // numgen/hash TYPE: shadowed by the discriminant, never sent
      if (kind === 'u8') e[name] = 0xff - k;
      else if (kind === 'u16') e[name] = 0xffff - k;
      else if (kind === 'u32') e[name] = 0xffffffff - k;
      else if (kind === 'i32') e[name] = -k;
      else if (kind === 'u64') e[name] = 0xfffffffffffffff0n + BigInt(k);
      else if (kind === 'str') e[name] = `s${k}-ü`;
      else if (kind === 'bytes') e[name] = Uint8Array.from({ length: k % 64 || 1 }, (_, i) => i * 7);
      else if (kind === 'exprs') e[name] = [{ type: 'counter', packets: 1n, bytes: 2n }, { type: 'limit', rate: 3n, unit: 60n, burst: 5 }];
    }
    out.push(e as unknown as Expr);
  }
  return out;
}

const ruleOp = (exprs: readonly Expr[], extra: Partial<RuleDesc> = {}): RuleDesc => ({ object: 'rule', verb: 'add', family: NFPROTO_INET, table: 't', chain: 'c', exprs, ...extra });

/** The C++ view of descriptors, as plain data (bigints and bytes kept). */
const viaDescriptors = (ops: OpDesc[]) => binding().unpack({ ops });
const viaPacked = (ops: OpDesc[]) => binding().unpack(packBatch(ops));

describe('packed rule transport', () => {
  it('uses the native expression table, which lib/expr/registry.ts mirrors in the same order', () => {
    const native = binding().exprTable;
    assert.deepEqual(Object.keys(native), Object.keys(EXPR_ATTRS));
    for (const [type, attrs] of Object.entries(EXPR_ATTRS)) {
      assert.deepEqual(Object.keys(native[type]!), Object.keys(attrs), type);
      const slot = packedTable().get(type)!;
      Object.keys(attrs).forEach((name, i) => assert.equal(slot.attrs.get(name)!.id, i, `${type}.${name}`));
    }
  });

  it('every attribute kind reaches C++ as the descriptor path delivers it, and encodes byte for byte the same', () => {
    const exprs = everyAttribute();
    const ops: OpDesc[] = [
      { object: 'table', verb: 'add', family: NFPROTO_INET, name: 't' },
      ...exprs.map((e) => ruleOp([e])),
      ruleOp(exprs.slice(0, 3), { verb: 'insert', position: 0xfffffffffffffffen, echo: true, userdata: new Uint8Array([0, 1, 2]) }),
      ruleOp(exprs.slice(3, 5), { verb: 'replace', handle: 42n }),
      { object: 'rule', verb: 'delete', family: NFPROTO_INET, table: 't', chain: 'c', handle: 7n },
      { object: 'chain', verb: 'add', family: NFPROTO_INET, table: 't', name: 'c2' },
      // a bound chain (no name, NFTA_CHAIN_ID) and its rule by NFTA_RULE_CHAIN_ID
      { object: 'chain', verb: 'add', family: NFPROTO_INET, table: 't', name: '', flags: 4, id: 0xfffffff0 },
      ruleOp(exprs.slice(0, 1), { chain: '', chainId: 0xfffffff0 }),
    ];
    const packed = viaPacked(ops);
    assert.equal(packed.at(-1)!.chainId, 0xfffffff0);
    assert.deepEqual(packed, viaDescriptors(ops));
    // The packed ops keep their order among the descriptor ops.
    assert.deepEqual(packed.map((o) => o.object), ops.map((o) => o.object === 'rule' || o.object === 'table' || o.object === 'chain' ? o.object : '?'));
    // Bytes: only what libnftnl can build (dynset.exprs, immediate chain+verdict are fine).
    const encodable = ops.filter((o) => o.object !== 'rule' || o.verb !== 'replace' || o.handle !== undefined);
    assert.deepEqual(binding().encode(packBatch(encodable)), binding().encode({ ops: encodable }));
  });

  it('every compiled fixture rule encodes byte for byte as its descriptor', () => {
    let n = 0;
    for (const c of CASES) {
      const { exprs } = compileCase(c);
      const ops: OpDesc[] = [ruleOp(exprs, c.comment ? { userdata: new Uint8Array([1, 3, 0x61, 0x62, 0]) } : {})];
      assert.deepEqual(binding().encode(packBatch(ops)), binding().encode({ ops }), c.text);
      n++;
    }
    assert.ok(n > 50, `only ${n} cases`);
  });

  it('refuses malformed rules in TypeScript with the field named', () => {
    assert.throws(() => packBatch([ruleOp([{ type: 'cmp', sreg: 1, op: 0, data: 5 } as unknown as Expr])]), {
      name: 'TypeError',
      message: 'Expected a Uint8Array of 1-64 bytes for ops[0].exprs[0] (cmp.data) but received 5',
    });
    assert.throws(() => packBatch([ruleOp([{ type: 'ct', dir: 256 } as unknown as Expr])]), /Expected an integer 0-255 for ops\[0\]\.exprs\[0\] \(ct\.dir\) but received 256/);
    assert.throws(() => packBatch([ruleOp([{ type: 'bogus' } as unknown as Expr])]), /Unknown expression type "bogus" for ops\[0\]\.exprs\[0\]/);
    assert.throws(() => packBatch([ruleOp([{ type: 'log', nope: 1 } as unknown as Expr])]), /Unknown attribute "nope" for ops\[0\]\.exprs\[0\] \(log\.nope\)/);
    assert.throws(() => packBatch([ruleOp([{ type: 'log', prefix: 'a\0b' }])]), /without NUL characters for ops\[0\]\.exprs\[0\] \(log\.prefix\)/);
    assert.throws(() => packBatch([ruleOp([], { chain: 'x\0y' })]), /without NUL characters for ops\[0\]\.chain/);
    assert.throws(() => packBatch([ruleOp([], { handle: 5 as unknown as bigint })]), /Expected a bigint 0-2\^64-1 for ops\[0\]\.handle but received 5/);
    assert.throws(() => packBatch([ruleOp([], { chainId: -1 })]), /Expected a chain id 0-2\^32-1 for ops\[0\]\.chainId but received -1/);
  });

  it('a damaged or truncated buffer is a TypeError from C++, at every length', () => {
    const ops: OpDesc[] = [{ object: 'table', verb: 'add', family: 1, name: 't' }, ruleOp(everyAttribute().slice(0, 8), { position: 3n, userdata: new Uint8Array([9]) })];
    const b = packBatch(ops);
    const bytes = b.packed!;
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true), PACKED_MAGIC);
    for (let n = 0; n < bytes.length; n++) {
      assert.throws(() => binding().unpack({ ops: b.ops, packed: bytes.slice(0, n) }), (e: unknown) => e instanceof TypeError || e instanceof RangeError, `length ${n}`);
    }
    // Flipped bytes: refused or read as some other valid batch, never a crash.
    for (let i = 0; i < bytes.length; i++) {
      const d = bytes.slice();
      d[i] = d[i]! ^ 0xff;
      try {
        binding().unpack({ ops: b.ops, packed: d });
      } catch (e) {
        assert.ok(e instanceof TypeError || e instanceof RangeError, String(e));
      }
    }
    assert.throws(() => binding().unpack({ ops: [], packed: bytes }), /more descriptor records than descriptors/);
    assert.throws(() => binding().encode({ ops: b.ops, packed: 'x' as unknown as Uint8Array }), /Expected a Uint8Array \(lib\/packed\.ts\) for batch\.packed/);
  });

  it('a prepared rule encodes as the same rule compiled afresh, anonymous sets renamed per transaction', () => {
    const table = { family: 'inet' as const, name: 't' };
    const rules: JsonRule[] = [
      { family: 'inet', table: 't', chain: 'c', expr: [ipSaddr('10.0.0.1'), counter(), accept()] },
      { family: 'inet', table: 't', chain: 'c', expr: [tcpDport([22, 80, 443]), accept()], comment: 'web' },
    ];
    const prepared = rules.map((r) => prepareRule(r));
    const tx = (): Transaction => new Transaction(() => Promise.reject(new Error('no commit')), () => {
      throw new Error('no commit');
    });
    const fresh = tx();
    const reused = tx();
    const twice = tx();
    for (const r of rules) fresh.addRule(r);
    for (const p of prepared) reused.addRule(p);
    for (const p of [...prepared, ...prepared]) twice.addRule(p);
    assert.deepEqual(reused.encode(), fresh.encode());
    assert.deepEqual(prepared[0]!.exprs, fresh.pending()[0]!.op.object === 'rule' ? (fresh.pending()[0]!.op as RuleDesc).exprs : null);
    // The second copy of the anonymous-set rule has its own set (batch id 2), not the first's;
    // the kernel names each from the __set%d template.
    const sets = twice.pending().flatMap((p) => (p.op.object === 'set' ? [[p.op.name, p.op.id]] : []));
    assert.deepEqual(sets, [['__set%d', 1], ['__set%d', 2]]);
    const lookups = twice.pending().flatMap((p) => (p.op.object === 'rule' ? (p.op.exprs ?? []).filter((e) => e.type === 'lookup') : []));
    assert.deepEqual(lookups.map((e) => [e.type === 'lookup' ? e.set : '', e.type === 'lookup' ? e.setId : 0]), [['__set%d', 1], ['__set%d', 2]]);
    assert.throws(() => prepareRule({ table, chain: '1bad', statements: [] } as never), /typed statement model was replaced/);
    assert.throws(() => prepareRule({ family: 'inet', table: 't', chain: '1bad', expr: [] }), /rule\.chain/);
  });

  it('prepared rules carry the expressions the addon encoded once, and encode byte for byte as compiled afresh', () => {
    const tx = (): Transaction => new Transaction(() => Promise.reject(new Error('no commit')), () => {
      throw new Error('no commit');
    });
    let wired = 0;
    for (const c of CASES) {
      const rule = jsonRuleOf(c);
      const p = prepareRule(rule, { sets: preambleSets(c.family) });
      const fresh = tx().addRule(rule, { sets: preambleSets(c.family) });
      const reused = tx().addRule(p).addRule(p, { after: 7n });
      fresh.addRule(rule, { after: 7n, sets: preambleSets(c.family) });
      assert.deepEqual(reused.encode(), fresh.encode(), c.text);
      const op = reused.pending().find((x) => x.op.object === 'rule')!.op;
      const seen = binding().unpack(packBatch([op]))[0] as { exprs?: unknown; wireExprs?: Uint8Array };
      const anon = reused.pending().some((x) => x.op.object === 'set');
      // Rules with anonymous sets are packed per transaction (their set ids change), the rest once.
      assert.equal(seen.wireExprs !== undefined, !anon, c.text);
      if (seen.wireExprs !== undefined) {
        assert.equal(seen.exprs, undefined);
        wired++;
      }
    }
    assert.ok(wired > 40, `only ${wired} cases`);
  });

  it('damaged encoded expressions are refused by the addon, never sent as they are', () => {
    const table = { family: 'inet' as const, name: 't' };
    const p = prepareRule({ family: table.family, table: table.name, chain: 'c', expr: [ipSaddr('10.0.0.1'), counter(), accept()] });
    const t = new Transaction(() => Promise.reject(new Error('no commit')), () => {
      throw new Error('no commit');
    }).addRule(p);
    const b = packBatch([t.pending()[0]!.op]);
    const bytes = b.packed!;
    const good = binding().encode(b);
    let refused = 0;
    for (let i = 12; i < bytes.length; i++) {
      const d = bytes.slice();
      d[i] = d[i]! ^ 0xff;
      try {
        binding().encode({ ops: b.ops, packed: d });
      } catch (e) {
        assert.ok(e instanceof TypeError || e instanceof RangeError, String(e));
        refused++;
      }
    }
    assert.ok(refused > 0 && good.length > 0);
    assert.throws(() => binding().encodeExprs(new Uint8Array([1, 0])), TypeError);
    assert.throws(() => binding().encodeExprs('x' as unknown as Uint8Array), /Expected a Uint8Array of packed expressions/);
  });
});
