// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { EXPR_ATTRS } from '../../lib/expr/registry';
import { validateExpr } from '../../lib/expr/validate';
import { binding } from '../../lib/native';

describe('expression registry', () => {
  it('matches the native expr-table attribute for attribute, so the languages cannot drift', () => {
    const native = binding().exprTable;
    assert.deepEqual(native, JSON.parse(JSON.stringify(EXPR_ATTRS)));
  });

  it('validateExpr() names the expression and attribute in its errors', () => {
    assert.throws(() => validateExpr({ type: 'bogus' }), /Unknown expression type "bogus" for expression; known: payload, meta/);
    assert.throws(() => validateExpr({ type: 'cmp', sreg: 1, op: 0, data: new Uint8Array(0) }), {
      name: 'TypeError',
      message: 'Expected a Uint8Array of 1-64 bytes for cmp.data (expression) but received Uint8Array(0)',
    });
    assert.throws(() => validateExpr({ type: 'meta', key: -1 }), { message: 'Expected an integer 0-4294967295 for meta.key (expression) but received -1' });
    assert.throws(() => validateExpr({ type: 'counter', packets: 1 }), { message: 'Expected a bigint 0-2^64-1 for counter.packets (expression) but received 1' });
    assert.throws(() => validateExpr({ type: 'log', nope: 1 }), /Unknown attribute "nope" for log expression/);
    validateExpr({ type: 'dynset', op: 0, sregKey: 1, set: 'x', exprs: [{ type: 'limit', rate: 3n, unit: 60n }] });
  });

  it('encode() builds a batch without a socket (dry run) and rejects bad descriptors with TypeError', () => {
    const bytes = binding().encode({ ops: [{ object: 'table', verb: 'add', family: 1, name: 't' }] });
    // BEGIN (20) + NEWTABLE + END (20): nlmsghdr of the first message is a BATCH_BEGIN (0x10).
    assert.ok(bytes.length > 40);
    assert.equal(bytes[4], 0x10);
    assert.throws(() => binding().encode({ ops: [{ object: 'table', verb: 'add', family: 1 } as never] }), {
      name: 'TypeError',
      message: 'Expected a string for ops[0].name',
    });
    assert.throws(
      () => binding().encode({ ops: [{ object: 'rule', verb: 'add', family: 1, table: 't', chain: 'c', exprs: [{ type: 'cmp', data: 5 } as never] }] }),
      { name: 'TypeError', message: 'Expected a Uint8Array of 1-64 bytes for ops[0].exprs[0] (cmp.data)' },
    );
    assert.throws(() => binding().encode({ ops: [{ object: 'rule', verb: 'replace', family: 1, table: 't', chain: 'c', exprs: [] }] }), {
      name: 'TypeError',
      message: 'operation 0: replace rule needs the handle of the rule to replace',
    });
  });
});
