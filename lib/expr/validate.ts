// SPDX-License-Identifier: GPL-2.0-or-later
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
  for (const [name, value] of Object.entries(e)) {
    if (name === 'type' || value === undefined) continue;
    const kind = attrs[name];
    if (kind === undefined) throw new TypeError(`Unknown attribute "${name}" for ${type} expression (${where}); known: ${Object.keys(attrs).join(', ') || 'none'}`);
    checkAttr(`${type}.${name} (${where})`, kind, value, depth);
  }
}
