// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Intermediate expressions -> JSON expressions as nft 1.0.6 prints them (src/json.c), and
 * value bytes -> the JSON value of the datatype they are compared with.
 */
import type { JExpr, JStatement } from './schema';
import type { DelinearizeContext } from './delinearize';
import { datatype, decodeValue } from './datatypes';
import { BASE_NAMES } from './delinearize-proto';
import { setJson } from './delinearize-parse';
import { bigToBytes, bytesToBig, fail, typeOf, type IE, type Typed } from './delinearize-ir';

const STRING_TYPES = new Set(['string', 'ifname']);

function isStringType(dt: string): boolean {
  if (STRING_TYPES.has(dt)) return true;
  const t = datatype(dt);
  return t?.base === 'string';
}

/** An integer as nft's integer_type_json prints it: a number, or "0x…" beyond 64 bits. */
export function integerJson(v: bigint): number | string {
  if (v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (v < 1n << 64n) return Number(v);
  return `0x${v.toString(16)}`;
}

/**
 * A string value as nft prints it from a cmp (expr_postprocess_string): NUL-terminated data is
 * the string (a literal trailing `*` escaped as `\*`); data without a terminator is a prefix
 * match, printed with the wildcard `*`.
 */
export function stringJson(bytes: Uint8Array): string {
  if (bytes.length === 0) return '*';
  if (bytes[bytes.length - 1] === 0) {
    const end = bytes.indexOf(0);
    const s = Buffer.from(bytes.subarray(0, end)).toString('utf8');
    return s.endsWith('*') ? `${s.slice(0, -1)}\\*` : s;
  }
  const end = bytes.indexOf(0);
  const s = Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
  return `${s}*`;
}

function plain(v: unknown): JExpr {
  if (typeof v === 'bigint') return integerJson(v);
  if (Array.isArray(v)) return v.map(plain) as JExpr;
  return v as JExpr;
}

/** Flags as nft prints a bitmask value outside flag lists: `a | b | c` as a left-nested `|` tree. */
export function orTree(list: readonly JExpr[]): JExpr {
  let acc = list[0] as JExpr;
  for (let i = 1; i < list.length; i++) acc = { '|': [acc, list[i] as JExpr] };
  return acc;
}

/**
 * Value bytes as the JSON value of type `t` (an integer when the type is unknown). Bitmask
 * values with several flags are `|` trees, or lists where nft prints flag lists (`list`).
 */
export function valueJson(bytes: Uint8Array, t: Typed | undefined, ctx: DelinearizeContext, list = false): JExpr {
  const v = valueJsonRaw(bytes, t, ctx);
  if (Array.isArray(v) && !list) return orTree(v as JExpr[]);
  return v;
}

function valueJsonRaw(bytes: Uint8Array, t: Typed | undefined, ctx: DelinearizeContext): JExpr {
  if (!t) return integerJson(bytesToBig(bytes, 'big'));
  if (isStringType(t.dt)) return stringJson(bytes);
  const order = t.order ?? 'big';
  if (t.dt === 'iface_index' && ctx.ifname && bytes.length === 4) {
    const idx = Number(bytesToBig(bytes, order));
    const name = ctx.ifname(idx);
    if (name !== undefined) return name;
  }
  const dtype = datatype(t.dt);
  if (t.dt === 'integer' || t.dt === 'invalid' || !dtype) return integerJson(bytesToBig(bytes, order));
  if (dtype.base === 'bitmask') return flagsJson(t.dt, bytes, order);
  try {
    return plain(decodeValue(t.dt, bytes, order));
  } catch {
    return integerJson(bytesToBig(bytes, order));
  }
}

/** A bitmask number (an element value) as nft prints it in a rule: a flag or a `|` tree. */
export function flagsTree(dt: string, n: number): JExpr {
  const t = datatype(dt);
  const len = t && t.bits > 0 ? Math.ceil(t.bits / 8) : 4;
  const order = t?.byteorder ?? 'big';
  const v = flagsJson(dt, bigToBytes(BigInt(n), len, order), order);
  return Array.isArray(v) ? orTree(v as JExpr[]) : v;
}

/** A bitmask value: one flag (symbol or number), or the list of its flags, lowest bit first. */
function flagsJson(dt: string, bytes: Uint8Array, order: 'big' | 'host'): JExpr {
  const v = bytesToBig(bytes, order);
  const one = (x: bigint): JExpr => {
    try {
      return plain(decodeValue(dt, bigToBytes(x, bytes.length, order), order));
    } catch {
      return integerJson(x);
    }
  };
  const bits: bigint[] = [];
  for (let b = 0n; v >> b !== 0n; b++) if ((v >> b) & 1n) bits.push(1n << b);
  if (bits.length <= 1) return one(v);
  return bits.map(one) as JExpr;
}

const VERDICTS: Readonly<Record<number, string>> = { 0: 'drop', 1: 'accept', 3: 'queue', [-1]: 'continue', [-2]: 'break', [-3]: 'jump', [-4]: 'goto', [-5]: 'return' };

/** A verdict code (+ chain) as nft's verdict_expr_json. */
export function verdictJson(code: number, chain: string | undefined): JExpr {
  const name = VERDICTS[code];
  if (!name) return fail(`verdict ${code}`);
  if ((code === -3 || code === -4) && chain !== undefined) return { [name]: { target: chain } } as JExpr;
  return { [name]: null } as JExpr;
}

/** Splits a concatenation's value (each field padded to 4 bytes) along its items. */
export function concatValues(bytes: Uint8Array, items: readonly IE[], ctx: DelinearizeContext): JExpr {
  const out: JExpr[] = [];
  let off = 0;
  for (const it of items) {
    const t = typeOf(it);
    const l = t ? Math.ceil(t.bits / 8) : 4;
    if (off + l > bytes.length) return fail('concatenation value too short');
    out.push(valueJson(bytes.subarray(off, off + l), t, ctx));
    off += Math.ceil(l / 4) * 4;
  }
  return { concat: out };
}

/** An intermediate expression as JSON; values are decoded as `hint` (the expression they meet). */
export function exprJson(e: IE, ctx: DelinearizeContext, hint?: Typed): JExpr {
  switch (e.k) {
    case 'payload':
      if (e.proto !== undefined && e.field !== undefined) return { payload: { protocol: e.proto, field: e.field } };
      return { payload: { base: (BASE_NAMES[e.base] ?? 'll') as 'll', offset: e.offset, len: e.bits } };
    case 'meta':
      return { meta: { key: e.key } };
    case 'ct':
      return { ct: { key: e.key, ...(e.dir ? { dir: e.dir } : {}) } };
    case 'sym':
      if (e.raw) return fail('extension header field without a template');
      return e.inner && e.wrap ? e.wrap(exprJson(e.inner, ctx)) : e.json;
    case 'value':
      return valueJson(e.bytes, hint, ctx);
    case 'binop': {
      const lt = typeOf(e.left) ?? hint;
      const rt = e.op === '<<' || e.op === '>>' ? { dt: 'integer', bits: e.right.k === 'value' ? e.right.bytes.length * 8 : 32, order: 'host' as const } : lt;
      return { [e.op]: [exprJson(e.left, ctx, hint), exprJson(e.right, ctx, rt)] } as unknown as JExpr;
    }
    case 'unary':
      return exprJson(e.arg, ctx, hint);
    case 'concat':
      return { concat: e.items.map((i) => exprJson(i, ctx)) };
    case 'map':
      return { map: { key: exprJson(e.key, ctx), data: setJson({ ctx }, e.set, e.shift) } };
    case 'verdict':
      return e.json;
    default:
      return fail('expression kind');
  }
}

/** Builds a statement, turning decoding failures into Undecodable. */
export function buildStmt(build: () => JStatement): JStatement {
  return build();
}
