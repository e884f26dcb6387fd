// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Small constructors for the generic expressions the compiler emits, so every expression is
 * spelled once. Register numbers are the kernel's (1 = NFT_REG_1, 9 = NFT_REG32_01, 0 = verdict).
 */
import type { DecodedExpr, Expr } from '../expr/registry';
import { BITWISE_OP, CMP_OP, RANGE_OP, REG } from '../kernel';

/**
 * The registry names libnftnl's NFTNL_EXPR_{LIMIT,REJECT,NAT,EXTHDR}_TYPE attribute `type`, which
 * collides with the expression discriminant `type`. Until the registry renames it, the builder
 * writes and reads it under these keys (one place to change).
 */
export const TYPE_ATTR = { limit: 'limitType', reject: 'rejectType', nat: 'natType', exthdr: 'exthdrType' } as const;

type Attrs = Record<string, number | bigint | string | Uint8Array | readonly Expr[] | undefined>;
const make = (type: string, attrs: Attrs): Expr => {
  const out: Record<string, unknown> = { type };
  for (const k in attrs) {
    const v = attrs[k];
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as Expr;
};

/** Reads an attribute of a decoded expression, whatever its type. */
export function attr(e: DecodedExpr, name: string): unknown {
  return (e as unknown as Record<string, unknown>)[name];
}
export const num = (e: DecodedExpr, name: string): number | undefined => {
  const v = attr(e, name);
  return typeof v === 'number' ? v : undefined;
};
export const big = (e: DecodedExpr, name: string): bigint | undefined => {
  const v = attr(e, name);
  return typeof v === 'bigint' ? v : undefined;
};
export const bytes = (e: DecodedExpr, name: string): Uint8Array | undefined => {
  const v = attr(e, name);
  return v instanceof Uint8Array ? v : undefined;
};
export const str = (e: DecodedExpr, name: string): string | undefined => {
  const v = attr(e, name);
  return typeof v === 'string' ? v : undefined;
};

export const X = {
  meta: (key: number, dreg: number = REG.r1): Expr => make('meta', { key, dreg }),
  ct: (key: number, dreg: number = REG.r1): Expr => make('ct', { key, dreg }),
  payload: (base: number, offset: number, len: number, dreg: number = REG.r1): Expr => make('payload', { dreg, base, offset, len }),
  exthdr: (op: number, type: number, offset: number, len: number, dreg: number = REG.r1, flags?: number): Expr =>
    make('exthdr', { dreg, [TYPE_ATTR.exthdr]: type, offset, len, flags, op }),
  fib: (flags: number, result: number, dreg: number = REG.r1): Expr => make('fib', { dreg, result, flags }),
  cmp: (op: keyof typeof CMP_OP, data: Uint8Array, sreg: number = REG.r1): Expr => make('cmp', { sreg, op: CMP_OP[op], data }),
  range: (op: keyof typeof RANGE_OP, fromData: Uint8Array, toData: Uint8Array, sreg: number = REG.r1): Expr =>
    make('range', { sreg, op: RANGE_OP[op], fromData, toData }),
  bitwise: (mask: Uint8Array, sreg: number = REG.r1): Expr =>
    make('bitwise', { sreg, dreg: sreg, len: mask.length, mask, xor: new Uint8Array(mask.length), op: BITWISE_OP.bool }),
  lookup: (set: string, setId: number | undefined, flags: number | undefined, sreg: number = REG.r1): Expr => make('lookup', { sreg, set, setId, flags }),
  verdict: (verdict: number, chain?: string): Expr => make('immediate', { dreg: REG.verdict, verdict, chain }),
  data: (dreg: number, data: Uint8Array): Expr => make('immediate', { dreg, data }),
  counter: (packets?: bigint, bytes?: bigint): Expr => make('counter', { packets, bytes }),
  limit: (rate: bigint, unit: bigint, burst: number, type: number, flags: number): Expr =>
    make('limit', { rate, unit, burst, [TYPE_ATTR.limit]: type, flags }),
  connlimit: (count: number, flags: number): Expr => make('connlimit', { count, flags }),
  quota: (bytes: bigint, consumed: bigint, flags: number): Expr => make('quota', { bytes, consumed, flags }),
  objref: (immType: number, immName: string): Expr => make('objref', { immType, immName }),
  notrack: (): Expr => make('notrack', {}),
  reject: (type: number, code: number): Expr => make('reject', { [TYPE_ATTR.reject]: type, code }),
  log: (a: { prefix?: string; group?: number; snaplen?: number; qthreshold?: number; level?: number; flags?: number }): Expr => make('log', a),
  nat: (a: { type: number; family: number; regAddrMin?: number; regAddrMax?: number; regProtoMin?: number; regProtoMax?: number; flags?: number }): Expr => {
    const { type, ...rest } = a;
    return make('nat', { [TYPE_ATTR.nat]: type, ...rest });
  },
  masq: (a: { flags?: number; regProtoMin?: number; regProtoMax?: number }): Expr => make('masq', a),
  redir: (a: { flags?: number; regProtoMin?: number; regProtoMax?: number }): Expr => make('redir', a),
  queue: (a: { num: number; total?: number; flags?: number }): Expr => make('queue', a),
  dynset: (a: { op: number; set: string; sregKey: number; timeout?: bigint; exprs?: readonly Expr[] }): Expr =>
    make('dynset', { sregKey: a.sregKey, op: a.op, timeout: a.timeout, set: a.set, exprs: a.exprs }),
};
