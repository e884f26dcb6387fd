// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The packed batch: rule operations and their expressions written into ONE buffer per batch,
 * which native/packed.cc walks without a single N-API property read. Every other operation
 * (tables, chains, sets, objects: a few per batch; elements travel packed in their own
 * columns already) stays a descriptor object in `BatchDesc.ops`.
 *
 * Expression and attribute ids are positions in the native expression table (binding().exprTable,
 * native/expr-table.cc), which lib/expr/registry.ts mirrors name for name, kind for kind and in
 * the same order (test/unit/packed.test.ts checks both and round-trips every kind).
 *
 * Layout (little-endian):
 *   header   u32 magic "NFTP" | u8 version 1 | u8 0 | u16 0 | u32 records
 *   record   u8 0 = the next descriptor of BatchDesc.ops
 *            u8 1 = a rule: u8 verb | u8 flags | u8 family | str table | str chain
 *                   [u64 handle] [u64 position] [u32 chain id] [u16 length, userdata] [u16 count, exprs]
 *                   or, with flag 64, [u32 length, the NFTA_RULE_EXPRESSIONS attribute] instead of exprs
 *   flags    1 handle, 2 position, 4 echo, 8 userdata, 16 exprs, 32 chain id (NFTA_RULE_CHAIN_ID:
 *            a bound chain of the same batch; the chain name is then empty), 64 encoded exprs
 *            (a prepared rule's expressions, encoded by the addon once: see packExprs)
 *   expr     u8 type id | u8 attribute count | attributes
 *   attr     u8 attribute id | value: u8/u16/u32/i32 as u32 | u64 | str | u8 length, bytes | u16 count, exprs
 *   str      u16 length, UTF-8 bytes (no NUL)
 * A frozen expression list (Transaction freezes what it compiles) is cached per array (WeakMap):
 * a rule compiled once (a preset, a rule object queued again) is not packed again either.
 */
import type { Expr } from './expr/registry';
import { binding, type BatchDesc, type OpDesc, type RuleDesc } from './native';

export const PACKED_MAGIC = 0x5054464e; // "NFTP"
export const PACKED_VERSION = 1;

const VERBS = ['add', 'create', 'insert', 'replace', 'delete', 'destroy', 'flush'] as const;
const VERB_ID: Readonly<Record<string, number>> = Object.fromEntries(VERBS.map((v, i) => [v, i]));
const F_HANDLE = 1, F_POSITION = 2, F_ECHO = 4, F_USERDATA = 8, F_EXPRS = 16, F_CHAIN_ID = 32, F_WIRE_EXPRS = 64;

/** Wire kinds, numbered as in native/expr-table.h (Kind). */
const KIND_ID = { u8: 0, u16: 1, u32: 2, i32: 3, u64: 4, str: 5, bytes: 6, exprs: 7 } as const;
type KindName = keyof typeof KIND_ID;

interface AttrSlot {
  readonly id: number;
  readonly kind: KindName;
}
interface ExprSlot {
  readonly id: number;
  readonly attrs: ReadonlyMap<string, AttrSlot>;
}

let table: ReadonlyMap<string, ExprSlot> | undefined;

/** Expression type -> id and attribute -> id/kind, in the native table's order. */
export function packedTable(): ReadonlyMap<string, ExprSlot> {
  if (table) return table;
  const t = new Map<string, ExprSlot>();
  Object.entries(binding().exprTable).forEach(([type, attrs], id) => {
    const m = new Map<string, AttrSlot>();
    Object.entries(attrs).forEach(([name, kind], aid) => {
      if (!(kind in KIND_ID)) throw new Error(`nftables: the native expression table has an unknown kind ${kind} for ${type}.${name}`);
      m.set(name, { id: aid, kind: kind as KindName });
    });
    t.set(type, { id, attrs: m });
  });
  table = t;
  return t;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `Uint8Array(${v.length})`;
  if (Array.isArray(v)) return `array(${v.length})`;
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

const LIMIT_U = { u8: 0xff, u16: 0xffff, u32: 0xffffffff } as const;

/**
 * Where a value sits, for error messages, put into words only when something is wrong (packing
 * 10,000 rules must not build 100,000 strings that nobody reads): an operation's index in the
 * batch, or a path already in words (nested expressions).
 */
type Where = number | string;
const opWords = (where: Where): string => (typeof where === 'number' ? `ops[${where}]` : where);
const exprsWords = (where: Where): string => (typeof where === 'number' ? `ops[${where}].exprs` : where);
const attrWords = (where: Where, i: number, type: string, name: string): string => `${exprsWords(where)}[${i}] (${type}.${name})`;
/** "Expected <what> for <attribute> but received <value>". */
const badAttr = (what: string, where: Where, i: number, type: string, name: string, v: unknown): TypeError =>
  new TypeError(`Expected ${what} for ${attrWords(where, i, type, name)} but received ${describe(v)}`);

class Writer {
  buf: Uint8Array;
  view: DataView;
  len = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    grown.set(this.buf.subarray(0, this.len));
    this.buf = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.len++] = v;
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.len, v, true);
    this.len += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }
  u64(v: bigint): void {
    this.room(8);
    this.view.setBigUint64(this.len, v, true);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  /** u16 length + UTF-8; ASCII is written directly (names are ASCII in practice). `field()` names it in errors. */
  str(s: string, field: () => string): void {
    const n = s.length;
    this.room(2 + n * 3);
    const at = this.len;
    let p = at + 2;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0) throw new TypeError(`Expected a string without NUL characters for ${field()} but received ${JSON.stringify(s)}`);
      if (c > 0x7f) {
        ascii = false;
        break;
      }
      this.buf[p++] = c;
    }
    if (!ascii) p = at + 2 + new TextEncoder().encodeInto(s, this.buf.subarray(at + 2)).written;
    const len = p - at - 2;
    if (len > 0xffff) throw new RangeError(`Expected a string of at most 65535 bytes for ${field()} but received ${len} bytes`);
    this.view.setUint16(at, len, true);
    this.len = p;
  }
}

const cache = new WeakMap<readonly Expr[], Uint8Array>();
/** Prepared rules' expression lists as the kernel receives them (NFTA_RULE_EXPRESSIONS), encoded once. */
const wire = new WeakMap<readonly Expr[], Uint8Array>();

function writeExprs(w: Writer, exprs: readonly Expr[], where: Where, depth: number): void {
  if (!Array.isArray(exprs)) throw new TypeError(`Expected an array of expressions for ${exprsWords(where)} but received ${describe(exprs)}`);
  if (exprs.length > 0xffff) throw new RangeError(`Expected at most 65535 expressions for ${exprsWords(where)} but received ${exprs.length}`);
  const cached = cache.get(exprs);
  if (cached) {
    w.bytes(cached);
    return;
  }
  const start = w.len;
  w.u16(exprs.length);
  const t = packedTable();
  for (let i = 0; i < exprs.length; i++) {
    const e = exprs[i] as unknown;
    if (typeof e !== 'object' || e === null || depth > 2) throw new TypeError(`Expected an expression object for ${exprsWords(where)}[${i}] but received ${describe(e)}`);
    const type = (e as { type?: unknown }).type;
    const slot = typeof type === 'string' ? t.get(type) : undefined;
    if (slot === undefined) {
      if (typeof type !== 'string') throw new TypeError(`Expected a string for ${exprsWords(where)}[${i}].type but received ${describe(type)}`);
      throw new TypeError(`Unknown expression type "${type}" for ${exprsWords(where)}[${i}]`);
    }
    const tname = type as string;
    w.u8(slot.id);
    const countAt = w.len;
    w.u8(0);
    let count = 0;
    for (const name in e) {
      if (name === 'type') continue;
      const v = (e as Record<string, unknown>)[name];
      if (v === undefined) continue;
      const a = slot.attrs.get(name);
      if (a === undefined) throw new TypeError(`Unknown attribute "${name}" for ${attrWords(where, i, tname, name)}`);
      w.u8(a.id);
      count++;
      switch (a.kind) {
        case 'u8':
        case 'u16':
        case 'u32':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > LIMIT_U[a.kind]) {
            throw badAttr(`an integer 0-${LIMIT_U[a.kind]}`, where, i, tname, name, v);
          }
          w.u32(v);
          break;
        case 'i32':
          if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0xffffffff) {
            throw badAttr('a 32-bit integer', where, i, tname, name, v);
          }
          w.u32(v >>> 0);
          break;
        case 'u64':
          if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw badAttr('a bigint 0-2^64-1', where, i, tname, name, v);
          w.u64(v);
          break;
        case 'str':
          if (typeof v !== 'string') throw badAttr('a string', where, i, tname, name, v);
          w.str(v, () => attrWords(where, i, tname, name));
          break;
        case 'bytes':
          if (!(v instanceof Uint8Array) || v.length === 0 || v.length > 64) throw badAttr('a Uint8Array of 1-64 bytes', where, i, tname, name, v);
          w.u8(v.length);
          w.bytes(v);
          break;
        case 'exprs':
          if (depth >= 2) throw new TypeError(`Expressions nest at most 2 levels deep (${attrWords(where, i, tname, name)})`);
          writeExprs(w, v as readonly Expr[], attrWords(where, i, tname, name), depth + 1);
          break;
      }
    }
    if (count > 0xff) throw new RangeError(`Expected at most 255 attributes for ${exprsWords(where)}[${i}]`);
    w.buf[countAt] = count;
  }
  // A copy for the next time this very list is packed (a preset or a queued rule object again):
  // only for frozen lists (the ones Transaction compiled), which cannot change afterwards.
  if (Object.isFrozen(exprs)) cache.set(exprs, w.buf.slice(start, w.len));
}

/**
 * Packs a frozen expression list ahead of time (prepareRule) and has the addon encode it as the
 * netlink attribute a commit sends: a prepared rule's commit then only copies those bytes (no
 * libnftnl expression is built again). Throws as packing or committing would for a malformed list.
 */
export function packExprs(exprs: readonly Expr[]): void {
  if (!Object.isFrozen(exprs) || wire.has(exprs)) return;
  if (!cache.has(exprs)) writeExprs(new Writer(16 + exprs.length * 48), exprs, 'exprs', 0);
  // Encoded by libnftnl now rather than at every commit: a commit then copies the attribute.
  const packed = cache.get(exprs);
  if (packed !== undefined && exprs.length > 0) {
    wire.set(exprs, binding().encodeExprs(packed));
    // A wired list is sent as its attribute from now on (writeRule looks there first): its
    // packed copy would only be more for the collector to trace, per prepared rule.
    cache.delete(exprs);
  }
}

function writeRule(w: Writer, op: RuleDesc, index: number): void {
  const where = (): string => opWords(index);
  const verb = VERB_ID[op.verb as string];
  if (verb === undefined) throw new TypeError(`Expected one of add, insert, replace, delete, destroy for ${where()}.verb but received ${describe(op.verb)}`);
  if (typeof op.family !== 'number' || !Number.isInteger(op.family) || op.family < 0 || op.family > 255) {
    throw new TypeError(`Expected an address family 0-255 for ${where()}.family but received ${describe(op.family)}`);
  }
  if (typeof op.table !== 'string') throw new TypeError(`Expected a string for ${where()}.table but received ${describe(op.table)}`);
  if (typeof op.chain !== 'string') throw new TypeError(`Expected a string for ${where()}.chain but received ${describe(op.chain)}`);
  let flags = 0;
  const bigOpt = (v: unknown, field: string, bit: number): void => {
    if (v === undefined || v === null) return;
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) throw new TypeError(`Expected a bigint 0-2^64-1 for ${where()}.${field} but received ${describe(v)}`);
    flags |= bit;
  };
  bigOpt(op.handle, 'handle', F_HANDLE);
  bigOpt(op.position, 'position', F_POSITION);
  if (op.chainId !== undefined && op.chainId !== null) {
    if (typeof op.chainId !== 'number' || !Number.isInteger(op.chainId) || op.chainId < 0 || op.chainId > 0xffffffff) {
      throw new TypeError(`Expected a chain id 0-2^32-1 for ${where()}.chainId but received ${describe(op.chainId)}`);
    }
    flags |= F_CHAIN_ID;
  }
  if (op.echo !== undefined && op.echo !== null) {
    if (typeof op.echo !== 'boolean') throw new TypeError(`Expected a boolean for ${where()}.echo but received ${describe(op.echo)}`);
    if (op.echo) flags |= F_ECHO;
  }
  const ud = op.userdata;
  if (ud !== undefined && ud !== null) {
    if (!(ud instanceof Uint8Array)) throw new TypeError(`Expected a Uint8Array for ${where()}.userdata but received ${describe(ud)}`);
    if (ud.length > 0xffff) throw new RangeError(`Expected at most 65535 bytes for ${where()}.userdata but received ${ud.length}`);
    if (ud.length > 0) flags |= F_USERDATA; // as the descriptor path: empty userdata is none
  }
  const wired = op.exprs !== undefined && op.exprs !== null ? wire.get(op.exprs) : undefined;
  if (wired !== undefined) flags |= F_WIRE_EXPRS;
  else if (op.exprs !== undefined && op.exprs !== null) flags |= F_EXPRS;
  w.u8(1);
  w.u8(verb);
  w.u8(flags);
  w.u8(op.family);
  w.str(op.table, () => `${where()}.table`);
  w.str(op.chain, () => `${where()}.chain`);
  if (flags & F_HANDLE) w.u64(op.handle!);
  if (flags & F_POSITION) w.u64(op.position!);
  if (flags & F_CHAIN_ID) w.u32(op.chainId!);
  if (flags & F_USERDATA) {
    w.u16(ud!.length);
    w.bytes(ud!);
  }
  if (flags & F_EXPRS) writeExprs(w, op.exprs!, index, 0);
  if (wired !== undefined) {
    w.u32(wired.length);
    w.bytes(wired);
  }
}

/**
 * The native batch for these operations: rules packed into one buffer, every other operation as
 * its descriptor. Throws TypeError/RangeError naming `ops[i]…` for a malformed rule.
 */
function* packSteps(ops: readonly OpDesc[], genid: number | undefined): Generator<void, BatchDesc> {
  const w = new Writer(64 + ops.length * 96);
  w.u32(PACKED_MAGIC);
  w.u8(PACKED_VERSION);
  w.u8(0);
  w.u16(0);
  w.u32(ops.length);
  const descs: OpDesc[] = [];
  for (let i = 0; i < ops.length; i++) {
    if (i % 512 === 511) yield;
    const op = ops[i]!;
    if (typeof op === 'object' && op !== null && op.object === 'rule') {
      writeRule(w, op, i);
    } else {
      w.u8(0);
      descs.push(op);
    }
  }
  return { ops: descs, packed: w.buf.subarray(0, w.len), ...(genid !== undefined ? { genid } : {}) };
}

/**
 * The native batch for these operations: rules packed into one buffer, every other operation as
 * its descriptor. Throws TypeError/RangeError naming `ops[i]…` for a malformed rule.
 */
export function packBatch(ops: readonly OpDesc[], genid?: number): BatchDesc {
  const steps = packSteps(ops, genid);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** packBatch in slices: the event loop gets a turn whenever `sliceMs` of packing has passed. */
export async function packBatchAsync(ops: readonly OpDesc[], genid?: number, sliceMs = 4): Promise<BatchDesc> {
  const steps = packSteps(ops, genid);
  let since = performance.now();
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
}
