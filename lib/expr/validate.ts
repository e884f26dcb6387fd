// SPDX-License-Identifier: GPL-2.0-or-later
import { LIMITS } from '../kernel';
import { EXPR_ATTRS, type AttrKind, type Expr } from './registry';

const MAX: Record<'u8' | 'u16' | 'u32', number> = { u8: 0xff, u16: 0xffff, u32: 0xffffffff };

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  return String(v);
}

function checkAttr(where: string, kind: AttrKind, v: unknown, depth: number): void {
  const bad = (want: string) => new TypeError(`Expected ${want} for ${where} but received ${describe(v)}`);
  switch (kind) {
    case 'u8':
    case 'u16':
    case 'u32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX[kind]) throw bad(`an integer 0-${MAX[kind]}`);
      return;
    case 'i32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) throw bad('a 32-bit integer');
      return;
    case 'u64':
      if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw bad('a bigint 0-2^64-1');
      return;
    case 'str':
      if (typeof v !== 'string' || v.includes('\0')) throw bad('a string without NUL');
      if (Buffer.byteLength(v) > 255) throw bad('a string of at most 255 bytes');
      return;
    case 'bytes':
      if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 64) throw bad('a Uint8Array of 1-64 bytes');
      return;
    case 'exprs':
      if (!Array.isArray(v)) throw bad('an array of expressions');
      v.forEach((e, i) => validateExpr(e, `${where}[${i}]`, depth + 1));
      return;
  }
}

/**
 * Checks one generic expression against the registry: known type, known attributes, and values
 * of the right kind and range. Throws a TypeError naming the expression and attribute.
 */
export function validateExpr(e: unknown, where = 'expression', depth = 0): asserts e is Expr {
  if (depth > 2) throw new TypeError(`Expressions nest at most 2 levels deep (${where})`);
  if (typeof e !== 'object' || e === null) throw new TypeError(`Expected an expression object for ${where} but received ${describe(e)}`);
  const type = (e as { type?: unknown }).type;
  if (typeof type !== 'string' || !(type in EXPR_ATTRS)) {
    throw new TypeError(`Unknown expression type ${describe(type)} for ${where}; known: ${Object.keys(EXPR_ATTRS).join(', ')}`);
  }
  const attrs = EXPR_ATTRS[type as keyof typeof EXPR_ATTRS] as Record<string, AttrKind>;
  for (const name in e) {
    if (!Object.prototype.hasOwnProperty.call(e, name)) continue;
    const value: unknown = (e as Record<string, unknown>)[name];
    if (name === 'type' || value === undefined) continue;
    const kind = attrs[name];
    if (kind === undefined) throw new TypeError(`Unknown attribute "${name}" for ${type} expression (${where}); known: ${Object.keys(attrs).join(', ') || 'none'}`);
    checkAttr(`${type}.${name} (${where})`, kind, value, depth);
  }
}

const strBytes = (s: string): number => (s.length * 3 <= LIMITS.exprString ? s.length : Buffer.byteLength(s));

function checkOneExprLimits(e: unknown, where: string, depth: number): void {
  if (typeof e !== 'object' || e === null) return;
  for (const name in e) {
    if (!Object.prototype.hasOwnProperty.call(e, name)) continue;
    const v: unknown = (e as Record<string, unknown>)[name];
    if (typeof v === 'string') {
      if (name === 'type') continue;
      const n = strBytes(v);
      if (n > LIMITS.exprString) throw new RangeError(`Expected a string of at most ${LIMITS.exprString} bytes for ${where}.${name} but received a string of ${n} bytes`);
      if (v.includes('\0')) throw new TypeError(`Expected a string without NUL for ${where}.${name} but received ${describe(v)}`);
    } else if (v instanceof Uint8Array) {
      if (v.length > LIMITS.data) throw new RangeError(`Expected a Uint8Array of 1-${LIMITS.data} bytes for ${where}.${name} but received Uint8Array(${v.length})`);
    } else if (Array.isArray(v)) {
      if (depth >= 2) throw new RangeError(`Expected expressions nested at most 2 levels deep for ${where}.${name} but received ${describe(v)}`);
      if (v.length > LIMITS.setExprs) {
        throw new RangeError(`Expected at most ${LIMITS.setExprs} expressions (NFT_SET_EXPR_MAX) for ${where}.${name} but received ${v.length} expressions`);
      }
      for (let i = 0; i < v.length; i++) checkOneExprLimits(v[i], `${where}.${name}[${i}]`, depth + 1);
    }
  }
}

/**
 * Size limits of an expression list (any statement, raw ones included): at most `max`
 * expressions, strings of at most 255 bytes without NUL, byte values of at most 64 bytes, at most
 * 2 nested expressions. Throws a RangeError naming `field`. Everything else is validateExpr's and
 * the addon's to check.
 */
export function checkExprLimits(exprs: unknown, field: string, max: number, holder: string): void {
  if (!Array.isArray(exprs)) return;
  if (exprs.length > max) {
    throw new RangeError(`Expected at most ${max} expressions in ${holder} for ${field} but received ${exprs.length} expressions`);
  }
  for (let i = 0; i < exprs.length; i++) checkOneExprLimits(exprs[i], `${field}[${i}]`, 0);
}
