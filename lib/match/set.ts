// SPDX-License-Identifier: GPL-2.0-or-later
/** Named-set lookups and dynamic set updates (the recent/meter idiom). */
import { typeError } from '../rule/errors';
import type { Field } from '../rule/statement';
import type { JCounterStmt, JCtCountStmt, JExpr, JLimitStmt, JMatchStmt, JSetStmt } from '../nft/schema';
import { fieldExpr } from './value';

/** The key of a lookup or set update: one field, or the concatenation of several. */
function keyExpr(key: Field | readonly Field[], where: string): JExpr {
  if (typeof key === 'string') return fieldExpr(key, where);
  if (!Array.isArray(key) || key.length === 0) throw typeError('a field or a non-empty array of fields', where, key);
  if (key.length === 1) return fieldExpr(key[0] as Field, `${where}[0]`);
  return { concat: key.map((f, i) => fieldExpr(f, `${where}[${i}]`)) };
}

function setRef(set: string, where: string): string {
  if (typeof set !== 'string' || set === '') throw typeError('a set name', where, set);
  return `@${set}`;
}

/** `ip saddr @blocklist`; `lookup(['ip saddr', 'tcp dport'], 's')` = `ip saddr . tcp dport @s`. */
export const lookup = (key: Field | readonly Field[], set: string): JMatchStmt => ({ match: { op: '==', left: keyExpr(key, 'lookup() key'), right: setRef(set, 'lookup() set') } });
/** `ip saddr != @allow` */
export const notLookup = (key: Field | readonly Field[], set: string): JMatchStmt => ({ match: { op: '!=', left: keyExpr(key, 'notLookup() key'), right: setRef(set, 'notLookup() set') } });

/** Statements allowed inside a dynamic set update (`add @m { ip saddr limit rate over 3/minute }`). */
export type SetElementStatement = JLimitStmt | JCounterStmt | JCtCountStmt;

interface UpdateOptions {
  /** Element timeout in ms (the set needs the timeout flag). */
  readonly timeoutMs?: number;
  /** Per-element statement: `limit rate over 3/minute`, `counter`, `ct count over 5`. */
  readonly stmts?: readonly SetElementStatement[];
}

function update(op: 'add' | 'update' | 'delete', set: string, key: Field | readonly Field[], o: UpdateOptions): JSetStmt {
  const where = op === 'add' ? 'setAdd()' : op === 'update' ? 'setUpdate()' : 'setDelete()';
  if (typeof o !== 'object' || o === null) throw typeError('options { timeoutMs?, stmts? }', `${where} options`, o);
  const val = keyExpr(key, `${where} key`);
  if (o.timeoutMs !== undefined && (typeof o.timeoutMs !== 'number' || !Number.isInteger(o.timeoutMs) || o.timeoutMs <= 0)) {
    throw typeError('a positive whole number of milliseconds', `${where} timeoutMs`, o.timeoutMs);
  }
  if (o.stmts !== undefined && !Array.isArray(o.stmts)) throw typeError('an array of statements', `${where} stmts`, o.stmts);
  return {
    set: {
      op,
      elem: o.timeoutMs !== undefined ? { elem: { val, timeout: o.timeoutMs / 1000 } } : val,
      set: setRef(set, `${where} set`),
      ...(o.stmts !== undefined && o.stmts.length > 0 ? { stmt: [...o.stmts] } : {}),
    },
  };
}

/** `add @set { ip saddr [timeout 60s] [limit rate over 3/minute] }` */
export const setAdd = (set: string, key: Field | readonly Field[], o: UpdateOptions = {}): JSetStmt => update('add', set, key, o);
/** `update @set { ip saddr timeout 60s }` */
export const setUpdate = (set: string, key: Field | readonly Field[], o: UpdateOptions = {}): JSetStmt => update('update', set, key, o);
/** `delete @set { ip saddr }` */
export const setDelete = (set: string, key: Field | readonly Field[]): JSetStmt => update('delete', set, key, {});
