// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The one error format of the rule builder (as sharp's lib/is): `Expected <what> for <where> but
 * received <value>`. TypeError for a wrong kind of value, RangeError for a value out of range.
 */

/** A short, unambiguous rendering of any received value for an error message. */
export function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (v === undefined || v === null || typeof v !== 'object') return String(v);
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  } catch {
    return Object.prototype.toString.call(v);
  }
}

/** `TypeError: Expected <what> for <where> but received <value>`. */
export function typeError(what: string, where: string, value: unknown): TypeError {
  return new TypeError(`Expected ${what} for ${where} but received ${describe(value)}`);
}

/** `RangeError: Expected <what> for <where> but received <value>`. */
export function rangeError(what: string, where: string, value: unknown): RangeError {
  return new RangeError(`Expected ${what} for ${where} but received ${describe(value)}`);
}

/** Throws a TypeError unless v is an integer, a RangeError unless it is within [min, max]. */
export function checkInt(v: unknown, min: number, max: number, where: string, what = `an integer ${min}-${max}`): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError(what, where, v);
  if (v < min || v > max) throw rangeError(what, where, v);
  return v;
}

/** Throws unless v is a bigint within [0, 2^64-1]. */
export function checkU64(v: unknown, where: string): bigint {
  if (typeof v !== 'bigint') throw typeError('a bigint 0-2^64-1', where, v);
  if (v < 0n || v > 0xffffffffffffffffn) throw rangeError('a bigint 0-2^64-1', where, v);
  return v;
}

/** Throws unless v is a string of 1..max bytes (UTF-8) without NUL. */
export function checkName(v: unknown, max: number, where: string, what = `a name of 1-${max} bytes`): string {
  if (typeof v !== 'string' || v.includes('\0')) throw typeError(what, where, v);
  const n = Buffer.byteLength(v);
  if (n < 1 || n > max) throw rangeError(what, where, v);
  return v;
}

/** Throws unless v is one of the allowed words. */
export function checkOneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw typeError(`one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, where, v);
  }
  return v as T;
}
