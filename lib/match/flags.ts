// SPDX-License-Identifier: GPL-2.0-or-later
/** Bitmask values of the flag fields (ct state, ct status, tcp flags, fib lookups), in bit order as nft lists them. */
import { datatype } from '../nft/datatypes';
import { typeError } from '../rule/errors';

/** The symbols of a bitmask datatype, in bit order. */
const bitNames = (type: string): readonly string[] => [...(datatype(type)?.symbols ?? new Map<string, bigint>())].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0)).map(([n]) => n);

const BITS: Readonly<Record<string, readonly string[]>> = {
  'ct state': bitNames('ct_state'),
  'ct status': bitNames('ct_status'),
  'tcp flags': bitNames('tcp_flag'),
  // NFTA_FIB_F_SADDR … NFTA_FIB_F_OIF (a register of the fib expression, not a datatype)
  fib: ['saddr', 'daddr', 'mark', 'iif', 'oif'],
};

/** The names sorted into bit order, without duplicates (each checked against the field's names). */
export function flagNames(field: keyof typeof BITS, values: readonly string[], where: string): string[] {
  const names = BITS[field] ?? [];
  if (!Array.isArray(values)) throw typeError(`an array of ${field} names (${names.join(', ')})`, where, values);
  values.forEach((v, i) => {
    if (typeof v !== 'string' || !names.includes(v)) throw typeError(`a ${field} name (${names.join(', ')})`, `${where}[${i}]`, v);
  });
  return names.filter((n) => values.includes(n));
}

/** One name as a string, several as an array: the form `nft -j` prints for flag values. */
export function flagList(field: keyof typeof BITS, values: readonly string[], where: string): string | string[] {
  const names = flagNames(field, values, where);
  if (names.length === 0) throw typeError(`a non-empty array of ${field} names`, where, values);
  return names.length === 1 ? (names[0] as string) : names;
}
