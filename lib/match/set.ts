// SPDX-License-Identifier: GPL-2.0-or-later
/** Named-set lookups and dynamic set updates (the recent/meter idiom). */
import type { Field, LookupStatement, SetElementStatement, SetUpdateStatement } from '../rule/statement';

const fieldsOf = (key: Field | readonly Field[]): Field[] => (typeof key === 'string' ? [key] : [...key]);

/** `ip saddr @blocklist`; `lookup(['ip saddr', 'tcp dport'], 's')` = `ip saddr . tcp dport @s`. */
export const lookup = (key: Field | readonly Field[], set: string): LookupStatement => ({ kind: 'lookup', fields: fieldsOf(key), set });
/** `ip saddr != @allow` */
export const notLookup = (key: Field | readonly Field[], set: string): LookupStatement => ({ kind: 'lookup', fields: fieldsOf(key), set, negate: true });

interface UpdateOptions {
  /** Element timeout in ms (the set needs the timeout flag). */
  readonly timeoutMs?: number;
  /** Per-element statement: `limit rate over 3/minute`, `counter`, `ct count over 5`. */
  readonly stmts?: readonly SetElementStatement[];
}

function update(op: SetUpdateStatement['op'], set: string, key: Field | readonly Field[], o: UpdateOptions): SetUpdateStatement {
  return {
    kind: 'setUpdate',
    op,
    set,
    key: fieldsOf(key),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    ...(o.stmts !== undefined && o.stmts.length > 0 ? { stmts: [...o.stmts] } : {}),
  };
}

/** `add @set { ip saddr [timeout 60s] [limit rate over 3/minute] }` */
export const setAdd = (set: string, key: Field | readonly Field[], o: UpdateOptions = {}): SetUpdateStatement => update('add', set, key, o);
/** `update @set { ip saddr timeout 60s }` */
export const setUpdate = (set: string, key: Field | readonly Field[], o: UpdateOptions = {}): SetUpdateStatement => update('update', set, key, o);
/** `delete @set { ip saddr }` */
export const setDelete = (set: string, key: Field | readonly Field[]): SetUpdateStatement => update('delete', set, key, {});
