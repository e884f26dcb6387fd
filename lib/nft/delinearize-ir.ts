// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The intermediate form of delinearization: what a register holds after a kernel expression
 * loaded it (nft's struct expr during netlink_delinearize.c), and the statements of a rule
 * before the dependency pass. Values stay bytes until the expression they are compared with is
 * known, because the JSON form of a value depends on the left-hand side's datatype.
 */
import { endianness } from 'node:os';
import type { JExpr, JStatement } from './schema';
import type { BaseNum } from './delinearize-proto';

export type ByteOrder = 'big' | 'host';

/** A left-hand expression: what a value compared with it is decoded as. */
export interface Typed {
  /** nft datatype name of the expression's values. */
  readonly dt: string;
  /** Bits the expression loads. */
  readonly bits: number;
  readonly order?: ByteOrder;
}

export interface PayloadIE extends Typed {
  readonly k: 'payload';
  readonly base: BaseNum;
  /** Bits from the start of the base. */
  readonly offset: number;
  /** Set once the protocol context names the field. */
  proto?: string;
  field?: string;
}
export interface MetaIE extends Typed {
  readonly k: 'meta';
  readonly key: string;
}
export interface CtIE extends Typed {
  readonly k: 'ct';
  readonly key: string;
  readonly dir?: 'original' | 'reply';
}
/** Loads whose JSON is final on creation (rt, fib, socket, osf, numgen, hash, exthdr). */
export interface SymIE extends Typed {
  readonly k: 'sym';
  readonly json: JExpr;
  /** exthdr op (dependency removal). */
  readonly exthdrOp?: number;
  /** The exthdr load itself (for masks that select a sub-byte field). */
  readonly exthdr?: { readonly op: 'ipv6' | 'tcpopt' | 'ipv4' | 'sctp'; readonly type: number; readonly offset: number; readonly len: number };
  /** No template at this place: a raw load (undecodable for non-TCP options). */
  readonly raw?: boolean;
  /** An expression inside (jhash's input): post-processed, then wrapped by `wrap`. */
  readonly inner?: IE;
  readonly wrap?: (inner: JExpr) => JExpr;
}
export interface ValueIE {
  readonly k: 'value';
  readonly bytes: Uint8Array;
}
export interface BinopIE {
  readonly k: 'binop';
  readonly op: '&' | '|' | '^' | '<<' | '>>';
  readonly left: IE;
  readonly right: IE;
}
/** A byteorder conversion: the value of `arg` in the other byte order. */
export interface UnaryIE {
  readonly k: 'unary';
  readonly arg: IE;
}
export interface ConcatIE {
  readonly k: 'concat';
  readonly items: IE[];
}
/** A set or map lookup result used as an expression (map data), or a set reference. */
export interface MapIE {
  readonly k: 'map';
  readonly key: IE;
  readonly set: string;
  /** Data datatype name of the map (for typing). */
  readonly dt?: string;
  /** Bits the anonymous set's keys shift right once a key mask became a field. */
  shift?: number;
}
export interface VerdictIE {
  readonly k: 'verdict';
  readonly json: JExpr;
}

export type IE = PayloadIE | MetaIE | CtIE | SymIE | ValueIE | BinopIE | UnaryIE | ConcatIE | MapIE | VerdictIE;

/** The right-hand side of a relation. */
export type RightIE =
  | IE
  | { readonly k: 'range'; readonly from: Uint8Array; readonly to: Uint8Array }
  | { readonly k: 'setref'; readonly name: string; shift?: number };

export type RelOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | '!';

export interface RelIS {
  readonly k: 'rel';
  op: RelOp;
  left: IE;
  right: RightIE;
  /** Final JSON of the right side once decided (flag lists, prefixes, ranges). */
  rightJson?: JExpr;
  /** Final JSON of the left side (flagcmp `&` forms). */
  leftJson?: JExpr;
  removed?: boolean;
}
export interface StmtIS {
  readonly k: 'stmt';
  /** nft statement type, for dependency resets and reject post-processing. */
  readonly kind: string;
  /** Builds the JSON after post-processing (the protocol context may name payloads in it). */
  readonly build: () => JStatement;
  /** Expressions the statement uses (post-processed before build). */
  readonly exprs: IE[];
  readonly reject?: { readonly type: number; readonly code?: number };
  removed?: boolean;
}
export type IS = RelIS | StmtIS;

/** Thrown inside the decoder for anything it cannot represent; never escapes delinearizeRule. */
export class Undecodable extends Error {}

export function fail(why: string): never {
  throw new Undecodable(why);
}

/** Bytes an expression occupies in a register (before 4-byte padding). */
export function byteLen(e: IE): number | undefined {
  switch (e.k) {
    case 'payload':
    case 'meta':
    case 'ct':
    case 'sym':
      return Math.ceil(e.bits / 8);
    case 'value':
      return e.bytes.length;
    case 'binop':
      return byteLen(e.left);
    case 'unary':
      return byteLen(e.arg);
    case 'concat': {
      let n = 0;
      for (const i of e.items) {
        const l = byteLen(i);
        if (l === undefined) return undefined;
        n += Math.ceil(l / 4) * 4;
      }
      return n;
    }
    default:
      return undefined;
  }
}

/** The type a value compared with `e` is decoded as. */
export function typeOf(e: IE): Typed | undefined {
  switch (e.k) {
    case 'payload':
    case 'meta':
    case 'ct':
    case 'sym':
      return e;
    case 'binop':
      return e.op === '<<' || e.op === '>>' ? typeOf(e.left) : typeOf(e.left);
    case 'unary': {
      const t = typeOf(e.arg);
      if (!t) return undefined;
      return { dt: t.dt, bits: t.bits, order: 'big' };
    }
    default:
      return undefined;
  }
}

export const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Host byte order is this machine's (the kernel stores host-order values natively). */
const HOST_BIG = endianness() === 'BE';

export function bytesToBig(b: Uint8Array, order: ByteOrder): bigint {
  let v = 0n;
  if (order === 'big' || HOST_BIG) for (const x of b) v = (v << 8n) | BigInt(x);
  else for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  return v;
}

export function bigToBytes(v: bigint, len: number, order: ByteOrder): Uint8Array {
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    const byte = Number((v >> BigInt(8 * i)) & 0xffn);
    if (order === 'big' || HOST_BIG) out[len - 1 - i] = byte;
    else out[i] = byte;
  }
  return out;
}

export const isZero = (b: Uint8Array): boolean => b.every((x) => x === 0);
