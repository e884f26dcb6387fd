// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Set and map elements both ways: nft's JSON `elem` lists <-> the packed element columns of
 * lib/native.ts, laid out exactly as nft 1.0.6 writes them (src/intervals.c, src/netlink.c):
 *
 * - plain sets: one element per key, in the key's byte order;
 * - interval sets: every key big endian; each interval [a, b] is a start element a and an end
 *   element b + 1 flagged NFT_SET_ELEM_INTERVAL_END, in ascending order, preceded by an end
 *   element at zero when the first interval does not start at zero (the rbtree needs the
 *   "nothing before" marker); an interval that reaches the largest key has no end element and
 *   its start carries the udata flag NFTNL_SET_ELEM_F_INTERVAL_OPEN; adjacent intervals of a
 *   named set keep both the end of one and the start of the next (same key), an anonymous set
 *   leaves that end out (the next start closes the interval);
 * - concatenated interval sets (pipapo): one element per interval with KEY and KEY_END;
 * - catch-all `*`: no key, flag NFT_SET_ELEM_CATCHALL.
 *
 * Reading reverses it: start/end pairs become values, prefixes (types nft prints as prefixes)
 * or ranges, `"eth*"` for interface-name wildcards, sorted as nft lists them (ascending by value,
 * the catch-all last).
 */
import type { ElementsData, ElementsDesc } from '../native';
import type { DecodedExpr, Expr } from '../expr/registry';
import { isTypeof, type Counter64, type JExpr, type JSet, type JSetElem, type JElemObj, type JSetType, type JStatement } from './schema';
import { datatype, datatypeLen, decodeFlagsOr, decodeValue, encodeValue, encodeVerdict, decodeVerdict, VERDICT_CODE, type Datatype } from './datatypes';
import { typeofField } from './set-udata';

/** NFT_SET_ELEM_* flags. */
export const ELEM_FLAG = { intervalEnd: 0x1, catchall: 0x2 } as const;
/** Element udata TLVs (NFTNL_UDATA_SET_ELEM_*). */
const ELEM_UDATA_COMMENT = 0;
const ELEM_UDATA_FLAGS = 1;
const ELEM_F_INTERVAL_OPEN = 0x1;

/** Extension fields of a set (what nft 1.0.6 keeps in the set's userdata but does not print in JSON). */
export interface JSetExtension {
  /** `typeof` declaration: key expression (a concat for concatenations). */
  readonly typeof?: JExpr;
  /** `typeof` declaration of a map's data. */
  readonly 'typeof-data'?: JExpr;
  /** `auto-merge`. */
  readonly 'auto-merge'?: boolean;
  /** Map data that are intervals (`: interval ipv4_addr`, NAT maps to address ranges). */
  readonly 'data-interval'?: boolean;
}
export type JSetExt = JSet & JSetExtension;

const isStringType = (t: Datatype): boolean => t.name === 'string' || t.base === 'string';

interface Field {
  readonly type: Datatype;
  /** Bytes of the value (before padding to 4 in a concatenation). */
  readonly len: number;
  readonly bits: number;
  readonly byteorder: 'big' | 'host';
}

interface Shape {
  readonly fields: readonly Field[];
  /** Bytes of the whole key (fields padded to 4 bytes in a concatenation). */
  readonly keyLen: number;
  readonly interval: boolean;
  readonly data:
    | { readonly kind: 'verdict' }
    | { readonly kind: 'object' }
    | { readonly kind: 'value'; readonly fields: readonly Field[]; readonly len: number; readonly interval: boolean }
    | undefined;
}

const OBJECT_KINDS = new Set(['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark']);

function names(t: JSetType): readonly string[] {
  if (isTypeof(t)) {
    return (typeofParts(t.typeof) ?? []).map((e, i) => {
      const f = typeofField(e);
      if (f === undefined) throw new TypeError(`Expected a typeof expression with a known datatype for typeof[${i}] but received ${JSON.stringify(e)}`);
      return f.type;
    });
  }
  return typeof t === 'string' ? t.split(' . ').map((s) => s.trim()) : t;
}

/** The typeof expression of a set's key (or map data): the `{ typeof }` type, else the extension field. */
function typeofOf(t: JSetType | undefined, ext: JExpr | undefined): JExpr | undefined {
  return isTypeof(t) ? t.typeof : ext;
}

function typeofParts(e: JExpr | undefined): readonly JExpr[] | undefined {
  if (e === undefined) return undefined;
  const c = typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as { concat?: unknown }).concat : undefined;
  if (Array.isArray(c)) return c as readonly JExpr[];
  return [e];
}

/** The fields of a key (or data) type; `total` is the kernel's key length when known. */
function fieldsOf(typeNames: readonly string[], typeofExpr: JExpr | undefined, total: number | undefined, where: string, fieldLens?: readonly number[], fieldOrders?: readonly ('big' | 'host')[]): Field[] {
  const parts = typeofParts(typeofExpr);
  const out: Field[] = [];
  typeNames.forEach((n, i) => {
    const t = datatype(n);
    if (t === undefined) throw new TypeError(`Expected a datatype name for ${where}[${i}] but received ${JSON.stringify(n)}`);
    const tf = parts?.[i] !== undefined ? typeofField(parts[i] as JExpr) : undefined;
    let bits = t.bits;
    if (tf !== undefined && (t.bits === 0 || t.base === 'integer' || t.name === 'integer')) bits = tf.bits;
    if (bits === 0 && typeNames.length === 1 && total !== undefined) bits = total * 8;
    // The key's field lengths as the rule gives them (an anonymous set of a raw payload or an
    // integer expression: `numgen inc mod 16 map { … }`, `@th,160,128`).
    if (bits === 0 && fieldLens?.[i] !== undefined) bits = (fieldLens[i] as number) * 8;
    if (bits === 0) throw new TypeError(`Expected a fixed-size type (or a typeof expression giving its size) for ${where}[${i}] but received ${n}`);
    const byteorder = t.name === 'integer' && tf !== undefined ? tf.byteorder : t.name === 'integer' && fieldOrders?.[i] !== undefined ? (fieldOrders[i] as 'big' | 'host') : t.byteorder;
    out.push({ type: t, len: Math.ceil(bits / 8), bits, byteorder });
  });
  return out;
}

function layoutLen(fields: readonly Field[]): number {
  if (fields.length === 1) return (fields[0] as Field).len;
  return fields.reduce((n, f) => n + Math.ceil(f.len / 4) * 4, 0);
}

function shapeOf(set: JSetExt, keyLen?: number, dataLen?: number, keyFields?: readonly number[], keyOrders?: readonly ('big' | 'host')[]): Shape {
  const fields = fieldsOf(names(set.type), typeofOf(set.type, set.typeof), keyLen, `set ${set.name} type`, keyFields, keyOrders);
  const interval = (set.flags ?? []).includes('interval');
  let data: Shape['data'];
  if (set.map !== undefined) {
    const m = names(set.map);
    if (m.length === 1 && m[0] === 'verdict') data = { kind: 'verdict' };
    else if (m.length === 1 && OBJECT_KINDS.has(m[0] as string)) data = { kind: 'object' };
    else {
      const iv = set['data-interval'] === true;
      const df = fieldsOf(m, typeofOf(set.map, set['typeof-data']), dataLen === undefined ? undefined : iv ? dataLen / 2 : dataLen, `map ${set.name} data`);
      // Interval data: the start values, then the end values (each in the data's layout).
      data = { kind: 'value', fields: df, len: layoutLen(df) * (iv ? 2 : 1), interval: iv };
    }
  }
  return { fields, keyLen: layoutLen(fields), interval, data };
}

// ---------------------------------------------------------------------------------------------
// Byte helpers: keys as big-endian integers (interval arithmetic)

function toBig(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return v;
}
function fromBig(v: bigint, len: number): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = len - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
/** Reads bytes in a byte order as a number for sorting (host = little endian here). */
function sortValue(b: Uint8Array, order: 'big' | 'host'): bigint {
  if (order === 'big') return toBig(b);
  return toBig(Uint8Array.from(b).reverse());
}

// ---------------------------------------------------------------------------------------------
// Encoding

interface Interval {
  lo: bigint;
  hi: bigint;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One field's value bytes (len bytes), in `order` (interval keys are big endian). */
function encodeField(f: Field, v: unknown, order: 'big' | 'host', where: string): Uint8Array {
  try {
    const b = encodeValue(f.type, flattenOr(v), f.bits, order);
    if (b.length === f.len) return b;
    const out = new Uint8Array(f.len);
    out.set(b.subarray(0, f.len));
    return out;
  } catch (e) {
    if (e instanceof Error) e.message = `${where}: ${e.message}`;
    throw e;
  }
}

/** A field's value as an interval [lo, hi] of big-endian integers (value, prefix, range, wildcard). */
function fieldInterval(f: Field, v: unknown, where: string): Interval {
  const order: 'big' | 'host' = isStringType(f.type) ? f.byteorder : 'big';
  if (isObj(v) && 'prefix' in v) {
    const p = v.prefix as { addr?: unknown; len?: unknown };
    const len = p?.len;
    if (typeof len !== 'number' || !Number.isInteger(len) || len < 0 || len > f.bits) {
      throw new RangeError(`Expected a prefix length 0-${f.bits} for ${where} but received ${JSON.stringify(len)}`);
    }
    const base = toBig(encodeField(f, p.addr, order, where));
    const hostBits = BigInt(f.len * 8 - len);
    const mask = (1n << hostBits) - 1n;
    return { lo: base & ~mask, hi: (base & ~mask) | mask };
  }
  if (isObj(v) && 'range' in v) {
    const r = v.range;
    if (!Array.isArray(r) || r.length !== 2) throw new TypeError(`Expected {"range": [from, to]} for ${where} but received ${JSON.stringify(v)}`);
    const lo = toBig(encodeField(f, r[0], order, where));
    const hi = toBig(encodeField(f, r[1], order, where));
    if (hi < lo) throw new RangeError(`Expected a range whose start is not above its end for ${where} but received ${JSON.stringify(v)}`);
    return { lo, hi };
  }
  if (typeof v === 'string' && isStringType(f.type) && v.endsWith('*') && !v.endsWith('\\*') && v.length > 1) {
    const prefix = Buffer.from(v.slice(0, -1), 'utf8');
    if (prefix.length >= f.len) throw new RangeError(`Expected an interface name prefix shorter than ${f.len} bytes for ${where} but received ${JSON.stringify(v)}`);
    const lo = new Uint8Array(f.len);
    lo.set(prefix);
    const hi = new Uint8Array(f.len).fill(0xff);
    hi.set(prefix);
    return { lo: toBig(lo), hi: toBig(hi) };
  }
  const x = toBig(encodeField(f, v, order, where));
  return { lo: x, hi: x };
}

interface ElemParts {
  key: unknown;
  data?: unknown;
  attrs?: JElemObj;
}

function splitElem(e: JSetElem, isMap: boolean, where: string): ElemParts {
  let key: unknown = e;
  let data: unknown;
  if (isMap) {
    if (!Array.isArray(e) || e.length !== 2) throw new TypeError(`Expected a map element [key, value] for ${where} but received ${JSON.stringify(e, big)}`);
    key = e[0];
    data = e[1];
  }
  if (isObj(key) && 'elem' in key) {
    const attrs = key.elem as JElemObj;
    if (!isObj(attrs) || !('val' in attrs)) throw new TypeError(`Expected {"elem": {"val": …}} for ${where}`);
    return { key: attrs.val, data, attrs };
  }
  return isMap ? { key, data } : { key };
}

const big = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? v.toString() : v);

function toBigint(v: Counter64 | undefined, where: string): bigint {
  if (v === undefined) return 0n;
  if (typeof v === 'bigint') {
    if (v < 0n) throw new RangeError(`Expected a non-negative counter for ${where} but received ${v}`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`Expected a non-negative integer for ${where} but received ${String(v)}`);
  return BigInt(v);
}

const DATA_UNITS: Readonly<Record<string, bigint>> = { bytes: 1n, kbytes: 1024n, mbytes: 1024n * 1024n };
const TIME_UNITS: Readonly<Record<string, bigint>> = { second: 1n, minute: 60n, hour: 3600n, day: 86400n, week: 604800n };

/** A set template or element statement (counter, quota, limit, last) -> its kernel expression. */
export function statefulExpr(s: JStatement | Record<string, unknown>, where: string): Expr {
  const keys = Object.keys(s);
  const k = keys[0];
  if (keys.length !== 1 || k === undefined) throw new TypeError(`Expected one statement object for ${where} but received ${JSON.stringify(s, big)}`);
  const body = (s as Record<string, unknown>)[k];
  const b = isObj(body) ? body : {};
  switch (k) {
    case 'counter':
      return { type: 'counter', packets: toBigint(b.packets as Counter64 | undefined, `${where}.packets`), bytes: toBigint(b.bytes as Counter64 | undefined, `${where}.bytes`) } as Expr;
    case 'quota': {
      const unit = DATA_UNITS[String(b.val_unit ?? 'bytes')];
      const uunit = DATA_UNITS[String(b.used_unit ?? 'bytes')];
      if (unit === undefined || uunit === undefined) throw new TypeError(`Expected val_unit/used_unit bytes, kbytes or mbytes for ${where}`);
      return {
        type: 'quota',
        bytes: toBigint(b.val as Counter64 | undefined, `${where}.val`) * unit,
        consumed: toBigint(b.used as Counter64 | undefined, `${where}.used`) * uunit,
        flags: b.inv === true ? 1 : 0,
      } as Expr;
    }
    case 'limit': {
      const per = TIME_UNITS[String(b.per ?? 'second')];
      if (per === undefined) throw new TypeError(`Expected per second, minute, hour, day or week for ${where} but received ${JSON.stringify(b.per)}`);
      const bytes = b.rate_unit !== undefined && b.rate_unit !== 'packets';
      const ru = bytes ? DATA_UNITS[String(b.rate_unit)] : 1n;
      const bu = bytes ? DATA_UNITS[String(b.burst_unit ?? 'bytes')] : 1n;
      if (ru === undefined || bu === undefined) throw new TypeError(`Expected rate_unit/burst_unit bytes, kbytes or mbytes for ${where}`);
      const rate = toBigint(b.rate as Counter64 | undefined, `${where}.rate`) * ru;
      const burst = toBigint(b.burst as Counter64 | undefined, `${where}.burst`) * bu;
      return { type: 'limit', rate, unit: per, burst: Number(burst), limitType: bytes ? 1 : 0, flags: b.inv === true ? 1 : 0 } as Expr;
    }
    case 'ct count':
      return { type: 'connlimit', count: Number(toBigint(b.val as Counter64 | undefined, `${where}.val`)), flags: b.inv === true ? 1 : 0 } as Expr;
    case 'last': {
      const used = isObj(body) && typeof body.used === 'number' ? BigInt(body.used) : undefined;
      return (used === undefined ? { type: 'last', msecs: 0n, set: 0 } : { type: 'last', msecs: used, set: 1 }) as Expr;
    }
    default:
      throw new TypeError(`Expected a counter, quota, limit, ct count or last statement for ${where} but received ${k}`);
  }
}

/** The stateful statement fields an element object may carry, in nft's order. */
const ELEM_STMTS = ['counter', 'quota', 'limit', 'last', 'ct count'] as const;

interface Built {
  key: Uint8Array | undefined; // undefined = catch-all
  keyEnd?: Uint8Array;
  flags: number;
  timeoutMs: number;
  expirationMs: number;
  data?: Uint8Array;
  verdict?: { code: number; chain?: string };
  objref?: string;
  userdata?: Uint8Array;
  exprs?: Expr[];
}

function elemUdata(comment: string | undefined, open: boolean): Uint8Array | undefined {
  const parts: number[] = [];
  if (comment !== undefined) {
    const b = Buffer.from(`${comment}\0`, 'utf8');
    if (b.length > 252) throw new RangeError(`Expected an element comment of at most 251 bytes but received ${b.length - 1}`);
    parts.push(ELEM_UDATA_COMMENT, b.length, ...b);
  }
  if (open) parts.push(ELEM_UDATA_FLAGS, 4, ELEM_F_INTERVAL_OPEN, 0, 0, 0);
  return parts.length > 0 ? Uint8Array.from(parts) : undefined;
}

function secondsMs(v: unknown, where: string): number {
  if (v === undefined) return 0;
  // whole seconds as nft prints them, or seconds with millisecond precision (`timeout 1s500ms`)
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`Expected seconds (a non-negative number) for ${where} but received ${JSON.stringify(v)}`);
  return Math.round(v * 1000);
}

/**
 * The elements operation for `elems` of `set`, laid out as nft writes them.
 * @throws TypeError / RangeError naming the element for a value that does not fit the set.
 */
export function encodeElements(
  set: JSetExt,
  elems: readonly JSetElem[],
  verb: ElementsDesc['verb'],
  target: ElementTarget,
): ElementsDesc {
  return encodeElementsSized(set, elems, verb, target).desc;
}

/** Where elements go; `anonymous`: an anonymous set (nft's interval layout differs, see above). */
export interface ElementTarget {
  readonly family: number;
  readonly table: string;
  readonly set: string;
  readonly setId?: number;
  readonly anonymous?: boolean;
  /** Bytes of each key field (before padding), for key types without a size of their own. */
  readonly keyFields?: readonly number[];
  /** Byte order of each key field as the rule loads it, for `integer` fields without a typeof. */
  readonly keyOrders?: readonly ('big' | 'host')[];
  /** The JSON path of the elements (an anonymous set's, in its rule), for error messages. */
  readonly path?: string;
}

/**
 * encodeElements, and the NFTA_SET_DESC_SIZE nft gives a constant set of these elements: the
 * number of elements it sends, except that an interval set counts every interval twice (start
 * and end, also when it leaves an end out) plus the zero end element (set_to_intervals).
 */
export function encodeElementsSized(set: JSetExt, elems: readonly JSetElem[], verb: ElementsDesc['verb'], target: ElementTarget): { desc: ElementsDesc; size: number } {
  const shape = shapeOf(set, undefined, undefined, target.keyFields, target.keyOrders);
  const isMap = shape.data !== undefined;
  const concat = shape.fields.length > 1;
  const deleting = verb === 'delete' || verb === 'destroy';
  const templates: Expr[] = (set.stmt ?? []).map((st, i) => statefulExpr(st, `set ${set.name} stmt[${i}]`));
  const built: Built[] = [];
  const intervals: { iv: Interval; base: Omit<Built, 'key' | 'flags'> }[] = [];
  let unsentEnds = 0;
  elems.forEach((e, i) => {
    const where = target.path !== undefined ? `${target.path}[${i}]` : `set ${set.name} elem[${i}]`;
    const p = splitElem(e, isMap, where);
    const a = p.attrs;
    const b: Omit<Built, 'key' | 'flags'> = { timeoutMs: secondsMs(a?.timeout, `${where}.timeout`), expirationMs: secondsMs(a?.expires, `${where}.expires`) };
    if (a?.comment !== undefined) {
      if (typeof a.comment !== 'string') throw new TypeError(`Expected a string for ${where}.comment`);
    }
    const own: Expr[] = [];
    // The element's statements in the order of their keys (`limit` before `counter` for
    // `limit rate 1/second counter`).
    if (a !== undefined) {
      for (const k of Object.keys(a)) {
        if ((ELEM_STMTS as readonly string[]).includes(k)) own.push(statefulExpr({ [k]: (a as unknown as Record<string, unknown>)[k] }, `${where}.${k}`));
      }
    }
    if (own.length > 0) {
      // The kernel wants an element's expressions to match the set's templates one for one: an
      // element's own statements replace the templates of their kinds (nft 1.0.6's JSON gives
      // only the first of them; the others keep the template's initial state).
      const stmts = templates.length === 0 ? own : templates.map((t) => own.find((x) => x.type === t.type) ?? t);
      b.exprs = stmts;
    }
    if (shape.data !== undefined && !deleting) {
      if (shape.data.kind === 'verdict') b.verdict = encodeVerdict(p.data);
      else if (shape.data.kind === 'object') {
        if (typeof p.data !== 'string' || p.data === '') throw new TypeError(`Expected an object name for ${where} data but received ${JSON.stringify(p.data, big)}`);
        b.objref = p.data;
      } else if (shape.data.interval) b.data = encodeIntervalData(shape.data.fields, shape.data.len / 2, p.data, `${where} data`);
      else b.data = encodeKey(shape.data.fields, shape.data.len, p.data, `${where} data`);
    }
    const comment = a?.comment;
    if (p.key === '*') {
      built.push({ ...b, key: undefined, flags: ELEM_FLAG.catchall, ...(comment !== undefined ? { userdata: elemUdata(comment, false) as Uint8Array } : {}) });
      return;
    }
    if (!shape.interval) {
      built.push({ ...b, key: encodeKey(shape.fields, shape.keyLen, p.key, where), flags: 0, ...(comment !== undefined ? { userdata: elemUdata(comment, false) as Uint8Array } : {}) });
      return;
    }
    if (concat) {
      const parts = concatParts(p.key, shape.fields.length, where);
      const lo = new Uint8Array(shape.keyLen);
      const hi = new Uint8Array(shape.keyLen);
      let off = 0;
      shape.fields.forEach((f, k) => {
        const iv = fieldInterval(f, parts[k], `${where}.concat[${k}]`);
        lo.set(fromBig(iv.lo, f.len), off);
        hi.set(fromBig(iv.hi, f.len), off);
        off += Math.ceil(f.len / 4) * 4;
      });
      built.push({ ...b, key: lo, keyEnd: hi, flags: 0, ...(comment !== undefined ? { userdata: elemUdata(comment, false) as Uint8Array } : {}) });
      return;
    }
    const iv = fieldInterval(shape.fields[0] as Field, p.key, where);
    intervals.push({ iv, base: comment !== undefined ? { ...b, userdata: elemUdata(comment, false) as Uint8Array } : b });
  });
  if (intervals.length > 0) {
    const len = shape.keyLen;
    const max = (1n << BigInt(len * 8)) - 1n;
    intervals.sort((x, y) => (x.iv.lo < y.iv.lo ? -1 : x.iv.lo > y.iv.lo ? 1 : 0));
    // auto-merge (anonymous interval sets have it): nft merges overlapping and adjacent intervals
    // of a set without data into one (`{ 224.0.0.0/4, 240.0.0.0/5 }` is 224.0.0.0-247.255.255.255),
    // as long as neither carries anything of its own (a comment, timeout or statement).
    if (set['auto-merge'] === true && shape.data === undefined && !deleting) {
      const plain = (b: Omit<Built, 'key' | 'flags'>): boolean => b.userdata === undefined && b.exprs === undefined && b.timeoutMs === 0 && b.expirationMs === 0;
      const merged: typeof intervals = [];
      for (const cur of intervals) {
        const prev = merged[merged.length - 1];
        if (prev !== undefined && cur.iv.lo <= prev.iv.hi + 1n && plain(prev.base) && plain(cur.base)) {
          if (cur.iv.hi > prev.iv.hi) prev.iv = { ...prev.iv, hi: cur.iv.hi };
        } else merged.push({ iv: { ...cur.iv }, base: cur.base });
      }
      intervals.length = 0;
      intervals.push(...merged);
    }
    for (let k = 1; k < intervals.length; k++) {
      const prev = (intervals[k - 1] as (typeof intervals)[number]).iv;
      const cur = (intervals[k] as (typeof intervals)[number]).iv;
      if (cur.lo <= prev.hi) throw new RangeError(`Expected non-overlapping intervals in set ${set.name} (nft merges them only with auto-merge) but elements overlap at ${cur.lo.toString(16)}`);
    }
    const first = intervals[0] as (typeof intervals)[number];
    if (first.iv.lo !== 0n && !deleting) built.push({ key: new Uint8Array(len), flags: ELEM_FLAG.intervalEnd, timeoutMs: 0, expirationMs: 0 });
    intervals.forEach(({ iv, base }, k) => {
      const open = iv.hi === max;
      const next = intervals[k + 1];
      // An anonymous set leaves out an end element equal to the next interval's start.
      const closedByNext = target.anonymous === true && next !== undefined && next.iv.lo === iv.hi + 1n;
      const comment = base.userdata;
      const start: Built = { ...base, key: fromBig(iv.lo, len), flags: 0 };
      if (open) {
        const u = mergeOpen(comment);
        start.userdata = u;
      }
      built.push(start);
      if (!open && !closedByNext) built.push({ key: fromBig(iv.hi + 1n, len), flags: ELEM_FLAG.intervalEnd, timeoutMs: 0, expirationMs: 0 });
      else unsentEnds++;
    });
  }
  const ordered = shape.interval || concat ? built : tieOrder(built, shape.fields[0] as Field);
  return { desc: pack(ordered, shape, verb, target), size: built.length + unsentEnds };
}

/**
 * The order to send a bitmask set's elements in so that nft lists them in the order given.
 * nft sorts a listed set by value, a combination of flags by its lowest flag (see decodeElements),
 * so combinations sharing their lowest flag tie, and its merge sort leaves ties in an order that
 * depends on the kernel's order, which is the order elements were added. When the elements are
 * given sorted as nft lists them (a listing committed back), they are sent in the order nft's sort
 * turns into the given one, so that the kernel lists them as before; otherwise as given.
 */
function tieOrder(built: readonly Built[], f: Field): readonly Built[] {
  if (f.type.base !== 'bitmask' || built.length < 2 || built.some((b) => b.key === undefined)) return built;
  const sv = built.map((b) => {
    const v = sortValue(b.key as Uint8Array, f.byteorder);
    return v & -v;
  });
  let ties = false;
  for (let k = 1; k < sv.length; k++) {
    if ((sv[k - 1] as bigint) > (sv[k] as bigint)) return built;
    if (sv[k - 1] === sv[k]) ties = true;
  }
  if (!ties) return built;
  // nftSort moves position out[j] to j; the same key pattern gives the same moves, so sending
  // I with I[out[j]] = given[j] makes nft list `given`.
  const out = nftSort(
    built.map((_, i) => i),
    (x, y) => ((sv[x] as bigint) < (sv[y] as bigint) ? -1 : (sv[x] as bigint) > (sv[y] as bigint) ? 1 : 0),
  );
  const res: Built[] = new Array<Built>(built.length);
  out.forEach((from, j) => {
    res[from] = built[j] as Built;
  });
  return res;
}

function mergeOpen(userdata: Uint8Array | undefined): Uint8Array {
  const flags = Uint8Array.from([ELEM_UDATA_FLAGS, 4, ELEM_F_INTERVAL_OPEN, 0, 0, 0]);
  if (userdata === undefined) return flags;
  const out = new Uint8Array(userdata.length + flags.length);
  out.set(userdata);
  out.set(flags, userdata.length);
  return out;
}

function concatParts(v: unknown, n: number, where: string): readonly unknown[] {
  if (n === 1) return [v];
  if (!isObj(v) || !Array.isArray(v.concat) || v.concat.length !== n) {
    throw new TypeError(`Expected {"concat": [${n} values]} for ${where} but received ${JSON.stringify(v, big)}`);
  }
  return v.concat as unknown[];
}

function encodeIntervalData(fields: readonly Field[], len: number, v: unknown, where: string): Uint8Array {
  const parts = concatParts(v, fields.length, where);
  const out = new Uint8Array(2 * len);
  let off = 0;
  fields.forEach((f, k) => {
    const iv = fieldInterval(f, parts[k], fields.length > 1 ? `${where}.concat[${k}]` : where);
    const order = isStringType(f.type) ? f.byteorder : f.byteorder;
    const lo = fromBig(iv.lo, f.len);
    const hi = fromBig(iv.hi, f.len);
    // fieldInterval works in big endian; a host-order field is stored in its own order.
    out.set(order === 'host' && !isStringType(f.type) ? lo.reverse() : lo, off);
    out.set(order === 'host' && !isStringType(f.type) ? hi.reverse() : hi, len + off);
    off += fields.length > 1 ? Math.ceil(f.len / 4) * 4 : f.len;
  });
  return out;
}

function encodeKey(fields: readonly Field[], len: number, v: unknown, where: string): Uint8Array {
  const parts = concatParts(v, fields.length, where);
  const out = new Uint8Array(len);
  let off = 0;
  fields.forEach((f, k) => {
    const b = encodeField(f, parts[k], f.byteorder, fields.length > 1 ? `${where}.concat[${k}]` : where);
    out.set(b, off);
    off += fields.length > 1 ? Math.ceil(f.len / 4) * 4 : f.len;
  });
  return out;
}

function pack(built: readonly Built[], shape: Shape, verb: ElementsDesc['verb'], target: ElementTarget): ElementsDesc {
  const n = built.length;
  const kl = shape.keyLen;
  const keys = new Uint8Array(n * kl);
  const anyEnd = built.some((b) => b.keyEnd !== undefined);
  const keyEnds = anyEnd ? new Uint8Array(n * kl) : undefined;
  const flags = new Uint32Array(n);
  const anyTimeout = built.some((b) => b.timeoutMs > 0);
  const anyExp = built.some((b) => b.expirationMs > 0);
  const timeoutsMs = anyTimeout ? new Float64Array(n) : undefined;
  const expirationsMs = anyExp ? new Float64Array(n) : undefined;
  const dataLen = shape.data?.kind === 'value' ? shape.data.len : 0;
  const anyData = built.some((b) => b.data !== undefined);
  const data = anyData ? new Uint8Array(n * dataLen) : undefined;
  const anyVerdict = built.some((b) => b.verdict !== undefined);
  const verdicts = anyVerdict ? new Int32Array(n) : undefined;
  const chains: (string | null)[] = [];
  const objrefs: (string | null)[] = [];
  const userdata: (Uint8Array | null)[] = [];
  const elemExprs: (Expr[] | null)[] = [];
  built.forEach((b, i) => {
    if (b.key !== undefined) keys.set(b.key, i * kl);
    if (keyEnds && b.keyEnd) keyEnds.set(b.keyEnd, i * kl);
    flags[i] = b.flags;
    if (timeoutsMs) timeoutsMs[i] = b.timeoutMs;
    if (expirationsMs) expirationsMs[i] = b.expirationMs;
    if (data && b.data) data.set(b.data, i * dataLen);
    if (verdicts) verdicts[i] = b.verdict?.code ?? VERDICT_CODE.continue;
    chains.push(b.verdict?.chain ?? null);
    objrefs.push(b.objref ?? null);
    userdata.push(b.userdata ?? null);
    elemExprs.push(b.exprs ?? null);
  });
  return {
    object: 'elements',
    verb,
    family: target.family,
    table: target.table,
    set: target.set,
    ...(target.setId !== undefined ? { setId: target.setId } : {}),
    count: n,
    keyLen: kl,
    keys,
    ...(keyEnds ? { keyEnds } : {}),
    flags,
    ...(timeoutsMs ? { timeoutsMs } : {}),
    ...(expirationsMs ? { expirationsMs } : {}),
    ...(data ? { dataLen, data } : {}),
    ...(verdicts ? { verdicts, chains } : {}),
    ...(objrefs.some((x) => x !== null) ? { objrefs } : {}),
    ...(userdata.some((x) => x !== null) ? { userdata } : {}),
    ...(elemExprs.some((x) => x !== null) ? { elemExprs } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Decoding

/** nft prints a bitmask value of several bits in a set as `a | b | c` (left-nested binops). */
function binop(parts: readonly (string | number)[]): JExpr {
  let e: JExpr = parts[0] as JExpr;
  for (const p of parts.slice(1)) e = { '|': [e, p] } as unknown as JExpr;
  return e;
}

function decodeField(f: Field, b: Uint8Array, order: 'big' | 'host', numeric = false): JExpr {
  try {
    if (numeric && f.type.name === 'inet_proto') return Number(toBig(b));
    // A bitmask element of several bits prints as an OR of its flags, lowest bit first.
    if (f.type.base === 'bitmask') return decodeFlagsOr(f.type, b, order) as JExpr;
    const v = decodeValue(f.type, b, isStringType(f.type) ? undefined : order);
    if (Array.isArray(v)) return binop(v);
    return v as JExpr;
  } catch {
    return Number(toBig(b)) as JExpr;
  }
}

/** Folds `{"|": [a, b]}` (as nft prints bitmask combinations) into the array encodeValue takes. */
function flattenOr(v: unknown): unknown {
  if (!isObj(v) || !Array.isArray(v['|'])) return v;
  const out: unknown[] = [];
  for (const x of v['|'] as unknown[]) {
    const f = flattenOr(x);
    if (Array.isArray(f)) out.push(...(f as unknown[]));
    else out.push(f);
  }
  return out;
}

/** [lo, hi] of one field as nft prints it: a value, a prefix, a wildcard or a range. */
function intervalJson(f: Field, lo: Uint8Array, hi: Uint8Array): JExpr {
  const a = toBig(lo);
  const z = toBig(hi);
  const order: 'big' | 'host' = 'big';
  if (a === z) return decodeField(f, lo, order);
  const bits = BigInt(f.len * 8);
  if (isStringType(f.type)) {
    // "eth*": the prefix followed by zeros up to the prefix followed by 0xff.
    let p = lo.length;
    while (p > 0 && lo[p - 1] === 0) p--;
    let ok = p > 0 && p < lo.length;
    for (let i = 0; ok && i < lo.length; i++) ok = i < p ? lo[i] === hi[i] : hi[i] === 0xff;
    if (ok) return `${Buffer.from(lo.subarray(0, p)).toString('utf8')}*`;
  }
  if (f.type.prefix === true) {
    const span = z - a + 1n;
    if ((span & (span - 1n)) === 0n && (a & (span - 1n)) === 0n) {
      let host = 0n;
      while (1n << host < span) host++;
      return { prefix: { addr: decodeField(f, lo, order), len: Number(bits - host) } };
    }
  }
  return { range: [decodeField(f, lo, order, true), decodeField(f, hi, order, true)] };
}

interface Decoded {
  key: JExpr;
  sort: bigint[];
  i: number;
}

/**
 * Kernel elements -> the set's `elem` list as nft -j prints it (sorted, intervals merged back).
 * Never throws on what the kernel holds: an element it cannot read keeps its raw number.
 */
export function decodeElements(set: JSetExt, data: ElementsData): JSetElem[] {
  let shape: Shape;
  try {
    shape = shapeOf(set, data.keyLen, data.dataLen);
  } catch {
    // A type this package cannot lay out: every key as one integer.
    const t = datatype('integer') as Datatype;
    shape = { fields: [{ type: t, len: data.keyLen, bits: data.keyLen * 8, byteorder: 'big' }], keyLen: data.keyLen, interval: (set.flags ?? []).includes('interval'), data: undefined };
  }
  const n = data.count;
  const kl = data.keyLen;
  const key = (i: number): Uint8Array => data.keys.subarray(i * kl, (i + 1) * kl);
  const concat = shape.fields.length > 1;
  const out: Decoded[] = [];
  const catchalls: number[] = [];
  const fieldAt = (b: Uint8Array, k: number): Uint8Array => {
    let off = 0;
    for (let j = 0; j < k; j++) off += Math.ceil((shape.fields[j] as Field).len / 4) * 4;
    return b.subarray(off, off + (shape.fields[k] as Field).len);
  };
  // nft's list_expr_sort (expr_msort_value): a value by its number in its byte order; a
  // bitmask combination (a binop) by its leftmost, i.e. lowest, flag; a concatenation by the
  // fields' bytes read as one host-order number (the last field weighs most).
  const valueOf = (b: Uint8Array): { key: JExpr; sort: bigint[] } => {
    if (!concat) {
      const f = shape.fields[0] as Field;
      const key = decodeField(f, b, f.byteorder);
      let v = sortValue(b, f.byteorder);
      if (isObj(key) && '|' in key) v &= -v;
      return { key, sort: [v] };
    }
    const parts: JExpr[] = [];
    shape.fields.forEach((f, k) => parts.push(decodeField(f, fieldAt(b, k), f.byteorder)));
    return { key: { concat: parts }, sort: [sortValue(b, 'host')] };
  };
  if (!shape.interval) {
    for (let i = 0; i < n; i++) {
      if ((data.flags[i] ?? 0) & ELEM_FLAG.catchall) {
        catchalls.push(i);
        continue;
      }
      out.push({ ...valueOf(key(i)), i });
    }
  } else if (concat || data.keyEnds !== undefined) {
    for (let i = 0; i < n; i++) {
      const fl = data.flags[i] ?? 0;
      if (fl & ELEM_FLAG.catchall) {
        catchalls.push(i);
        continue;
      }
      if (fl & ELEM_FLAG.intervalEnd) continue;
      const lo = key(i);
      const hi = data.keyEnds ? data.keyEnds.subarray(i * kl, (i + 1) * kl) : lo;
      if (!concat) {
        out.push({ key: intervalJson(shape.fields[0] as Field, lo, hi), sort: [toBig(lo)], i });
        continue;
      }
      const parts: JExpr[] = [];
      const sort: bigint[] = [];
      shape.fields.forEach((f, k) => {
        parts.push(intervalJson(f, fieldAt(lo, k), fieldAt(hi, k)));
        sort.push(toBig(fieldAt(lo, k)));
      });
      // nft does not sort concatenated intervals (concat_range_aggregate): kernel order.
      out.push({ key: { concat: parts }, sort: [BigInt(out.length)], i });
      void sort;
    }
  } else {
    // rbtree: starts and ends; sort by key, an end before a start of the same key.
    const idx: number[] = [];
    for (let i = 0; i < n; i++) {
      if ((data.flags[i] ?? 0) & ELEM_FLAG.catchall) catchalls.push(i);
      else idx.push(i);
    }
    const kv = new Map(idx.map((i) => [i, toBig(key(i))]));
    const isEnd = (i: number): boolean => ((data.flags[i] ?? 0) & ELEM_FLAG.intervalEnd) !== 0;
    idx.sort((x, y) => {
      const a = kv.get(x) as bigint;
      const b = kv.get(y) as bigint;
      if (a !== b) return a < b ? -1 : 1;
      return (isEnd(x) ? 0 : 1) - (isEnd(y) ? 0 : 1);
    });
    const f = shape.fields[0] as Field;
    const max = (1n << BigInt(kl * 8)) - 1n;
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j] as number;
      if (isEnd(i)) continue;
      const lo = kv.get(i) as bigint;
      const next = idx[j + 1];
      // The interval ends before the next element: an end element, or (anonymous sets, where nft
      // leaves out an end that equals the next start: set_to_intervals) the next start.
      const hi = next !== undefined ? (kv.get(next) as bigint) - 1n : max;
      out.push({ key: intervalJson(f, fromBig(lo, kl), fromBig(hi < lo ? lo : hi, kl)), sort: [lo], i });
    }
  }
  const sorted = nftSort(out, (x, y) => {
    for (let k = 0; k < Math.max(x.sort.length, y.sort.length); k++) {
      const a = x.sort[k] ?? 0n;
      const b = y.sort[k] ?? 0n;
      if (a !== b) return a < b ? -1 : 1;
    }
    return 0;
  });
  const result: JSetElem[] = sorted.map((d) => finish(shape, data, d.key, d.i));
  for (const i of catchalls) result.push(finish(shape, data, '*', i));
  return result;
}

/**
 * nft's list_expr_sort (src/mergesort.c), step for step: the first ceil(n/2) entries and the
 * rest are sorted, then each entry of the first half goes before the first entry of the second
 * half that is strictly greater. Equal entries of the second half therefore come first: the
 * order of ties (bitmask combinations sharing their lowest flag) depends on it.
 */
function nftSort<T>(a: readonly T[], cmp: (x: T, y: T) => number): T[] {
  if (a.length <= 1) return [...a];
  const k = Math.ceil(a.length / 2);
  const first = nftSort(a.slice(0, k), cmp);
  const rest = nftSort(a.slice(k), cmp);
  const out: T[] = [];
  let h = 0;
  for (const l of first) {
    while (h < rest.length && !(cmp(l, rest[h] as T) < 0)) out.push(rest[h++] as T);
    out.push(l);
  }
  for (; h < rest.length; h++) out.push(rest[h] as T);
  return out;
}

function elemComment(u: Uint8Array | null | undefined): string | undefined {
  if (!u) return undefined;
  let o = 0;
  while (o + 2 <= u.length) {
    const t = u[o] as number;
    const l = u[o + 1] as number;
    if (o + 2 + l > u.length) break;
    if (t === ELEM_UDATA_COMMENT) {
      const v = u.subarray(o + 2, o + 2 + l);
      const end = v.indexOf(0);
      return Buffer.from(end < 0 ? v : v.subarray(0, end)).toString('utf8');
    }
    o += 2 + l;
  }
  return undefined;
}

const DATA_UNIT_NAMES = ['bytes', 'kbytes', 'mbytes'] as const;
function rate(v: bigint): { v: number; unit: string } {
  if (v === 0n) return { v: 0, unit: 'bytes' };
  let i = 0;
  while (i < DATA_UNIT_NAMES.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return { v: Number(v), unit: DATA_UNIT_NAMES[i] as string };
}
const UNIT_NAMES: Readonly<Record<string, string>> = { '1': 'second', '60': 'minute', '3600': 'hour', '86400': 'day', '604800': 'week' };

/** A kernel counter/quota/limit/last expression -> the statement nft prints (stateless = template form). */
export function statementOfExpr(e: DecodedExpr, stateless: boolean): JStatement | undefined {
  const x = e as unknown as Record<string, unknown>;
  const n = (k: string): bigint => (typeof x[k] === 'bigint' ? (x[k] as bigint) : typeof x[k] === 'number' ? BigInt(x[k] as number) : 0n);
  switch (x.type) {
    case 'counter':
      return (stateless ? { counter: null } : { counter: { packets: n('packets'), bytes: n('bytes') } }) as JStatement;
    case 'quota': {
      const r = rate(n('bytes'));
      const q: Record<string, unknown> = { val: r.v, val_unit: r.unit };
      if (n('flags') & 1n) q.inv = true;
      const used = n('consumed');
      if (!stateless && used !== 0n) {
        const u = rate(used);
        q.used = u.v;
        q.used_unit = u.unit;
      }
      return { quota: q } as unknown as JStatement;
    }
    case 'limit': {
      const bytes = n('limitType') === 1n;
      const r = bytes ? rate(n('rate')) : { v: Number(n('rate')), unit: '' };
      const b = bytes ? rate(n('burst')) : { v: Number(n('burst')), unit: '' };
      const l: Record<string, unknown> = { rate: r.v, burst: b.v, per: UNIT_NAMES[n('unit').toString()] ?? 'error' };
      if (n('flags') & 1n) l.inv = true;
      if (bytes) {
        l.rate_unit = r.unit;
        l.burst_unit = b.unit;
      }
      return { limit: l } as unknown as JStatement;
    }
    case 'connlimit': {
      const c: Record<string, unknown> = { val: Number(n('count')) };
      if (n('flags') & 1n) c.inv = true;
      return { 'ct count': c } as unknown as JStatement;
    }
    case 'last':
      return (n('set') === 0n ? { last: null } : { last: { used: Number(n('msecs')) } }) as JStatement;
    default:
      return undefined;
  }
}

function finish(shape: Shape, data: ElementsData, key: JExpr, i: number): JSetElem {
  const timeout = data.timeoutsMs?.[i] ?? 0;
  const expires = data.expirationsMs?.[i] ?? 0;
  const comment = elemComment(data.userdata?.[i]);
  const exprs = data.exprs?.[i] ?? null;
  // All of the element's statements, in the kernel's order (nft 1.0.6 prints only the first;
  // the nft106 projection, lib/nft/nft106.ts, keeps only that one).
  const stmts: JStatement[] = [];
  for (const e of exprs ?? []) {
    const st = statementOfExpr(e as DecodedExpr, false);
    if (st !== undefined && !stmts.some((x) => Object.keys(x)[0] === Object.keys(st)[0])) stmts.push(st);
  }
  let k: JSetElem = key;
  if (timeout > 0 || expires > 0 || comment !== undefined || stmts.length > 0) {
    const o: Record<string, unknown> = { val: key };
    if (timeout > 0) o.timeout = Math.floor(timeout / 1000);
    if (expires > 0) o.expires = Math.floor(expires / 1000);
    if (comment !== undefined) o.comment = comment;
    for (const st of stmts) Object.assign(o, st);
    k = { elem: o as unknown as JElemObj };
  }
  if (shape.data === undefined) return k;
  let value: JExpr;
  if (shape.data.kind === 'verdict') value = decodeVerdict(data.verdicts?.[i] ?? 0, data.chains?.[i] ?? undefined) as JExpr;
  else if (shape.data.kind === 'object') value = data.objrefs?.[i] ?? '';
  else {
    const dl = data.dataLen ?? shape.data.len;
    const b = data.data ? data.data.subarray(i * dl, (i + 1) * dl) : new Uint8Array(dl);
    const fields = shape.data.fields;
    if (shape.data.interval) {
      const half = shape.data.len / 2;
      let off = 0;
      const vals = fields.map((f) => {
        const lo = b.subarray(off, off + f.len);
        const hi = b.subarray(half + off, half + off + f.len);
        off += fields.length > 1 ? Math.ceil(f.len / 4) * 4 : f.len;
        return toBig(lo) === toBig(hi) ? decodeField(f, lo, f.byteorder) : intervalJson(f, lo, hi);
      });
      value = fields.length === 1 ? (vals[0] as JExpr) : { concat: vals };
    } else if (fields.length === 1) value = decodeField(fields[0] as Field, b, (fields[0] as Field).byteorder);
    else {
      let off = 0;
      value = {
        concat: fields.map((f) => {
          const v = decodeField(f, b.subarray(off, off + f.len), f.byteorder);
          off += Math.ceil(f.len / 4) * 4;
          return v;
        }),
      };
    }
  }
  return [k as JExpr, value] as const;
}

/** Bytes of the key layout of a set (for callers building lookups). */
export function setKeyLen(set: JSetExt): number {
  return shapeOf(set).keyLen;
}
export { datatypeLen };
