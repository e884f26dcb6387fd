// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Shape checks of preset options, in the house format (`Expected … for … but received …`), so a
 * wrong option fails with a clear TypeError/RangeError instead of a JavaScript error deep inside
 * a preset ("Cannot use 'in' operator", "… is not iterable").
 */
import { rangeError, typeError } from '../rule/errors';

type Obj = Readonly<Record<string, unknown>>;

/** An options object (or undefined, read as `{}`). */
export function optionsOf(v: unknown, where: string): Obj {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError('an options object', where, v);
  return v as Obj;
}

/** An optional nested object, a boolean or undefined (`true` reads as `{}`). */
export function flagOrObject(v: unknown, where: string): Obj | false {
  if (v === undefined || v === false) return false;
  if (v === true) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw typeError('true, false or an options object', where, v);
  return v as Obj;
}

/** An array of non-empty strings (addresses, interface names, prefixes). */
export function stringList(v: unknown, where: string, o: { nonEmpty?: boolean } = {}): string[] {
  if (v === undefined && !o.nonEmpty) return [];
  if (!Array.isArray(v)) throw typeError('an array of strings', where, v);
  if (o.nonEmpty && v.length === 0) throw rangeError('a non-empty array of strings', where, v);
  v.forEach((x, i) => {
    if (typeof x !== 'string' || x.length === 0) throw typeError('a non-empty string', `${where}[${i}]`, x);
  });
  return [...(v as string[])];
}

/** An array of ports (numbers 0-65535 or "lo-hi" strings). */
export function portList(v: unknown, where: string): (number | string)[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw typeError('an array of ports (numbers or "lo-hi" strings)', where, v);
  v.forEach((x, i) => {
    if (typeof x === 'number') {
      if (!Number.isInteger(x) || x < 0 || x > 65535) throw rangeError('a port of 0-65535', `${where}[${i}]`, x);
    } else if (typeof x !== 'string' || !/^\d{1,5}(-\d{1,5})?$/.test(x)) throw typeError('a port number or "lo-hi" string', `${where}[${i}]`, x);
  });
  return [...(v as (number | string)[])];
}

/** A port number. */
export function port(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw typeError('an integer port', where, v);
  if (v < 1 || v > 65535) throw rangeError('a port of 1-65535', where, v);
  return v;
}

/** A non-empty string. */
export function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0) throw typeError('a non-empty string', where, v);
  return v;
}

/** An optional string. */
export function optStr(v: unknown, where: string): string | undefined {
  return v === undefined ? undefined : str(v, where);
}

/** An optional boolean. */
export function optBool(v: unknown, where: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw typeError('a boolean', where, v);
  return v;
}

/** One of the allowed strings, or undefined. */
export function optOneOf<T extends string>(v: unknown, allowed: readonly T[], where: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw typeError(`one of ${allowed.join(', ')}`, where, v);
  return v as T;
}

/** An array of option objects. */
export function objectList(v: unknown, where: string): Obj[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw typeError('an array of objects', where, v);
  return v.map((x, i) => optionsOf(x ?? null, `${where}[${i}]`));
}
