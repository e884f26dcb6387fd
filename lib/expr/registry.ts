// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The expression registry: every low-level nftables expression the package can build and
 * decode, with each attribute's wire kind. It is the single source of truth for the TypeScript
 * types below and must match native/expr-table.cc attribute for attribute (a unit test
 * compares the two, so they cannot drift). Attribute names are libnftnl's NFTNL_EXPR_<TYPE>_<ATTR>
 * in camelCase; an attribute libnftnl calls TYPE is named <expr>Type, so that it never collides
 * with the expression's own `type` field.
 */

export type AttrKind = 'u8' | 'u16' | 'u32' | 'i32' | 'u64' | 'str' | 'bytes' | 'exprs';

export const EXPR_ATTRS = {
  payload: { dreg: 'u32', base: 'u32', offset: 'u32', len: 'u32', sreg: 'u32', csumType: 'u32', csumOffset: 'u32', flags: 'u32' },
  meta: { key: 'u32', dreg: 'u32', sreg: 'u32' },
  cmp: { sreg: 'u32', op: 'u32', data: 'bytes' },
  range: { sreg: 'u32', op: 'u32', fromData: 'bytes', toData: 'bytes' },
  bitwise: { sreg: 'u32', dreg: 'u32', len: 'u32', mask: 'bytes', xor: 'bytes', op: 'u32', data: 'bytes' },
  immediate: { dreg: 'u32', data: 'bytes', verdict: 'i32', chain: 'str', chainId: 'u32' },
  counter: { packets: 'u64', bytes: 'u64' },
  ct: { dreg: 'u32', key: 'u32', dir: 'u8', sreg: 'u32' },
  limit: { rate: 'u64', unit: 'u64', burst: 'u32', limitType: 'u32', flags: 'u32' },
  log: { prefix: 'str', group: 'u16', snaplen: 'u32', qthreshold: 'u16', level: 'u32', flags: 'u32' },
  reject: { rejectType: 'u32', code: 'u8' },
  nat: { natType: 'u32', family: 'u32', regAddrMin: 'u32', regAddrMax: 'u32', regProtoMin: 'u32', regProtoMax: 'u32', flags: 'u32' },
  masq: { flags: 'u32', regProtoMin: 'u32', regProtoMax: 'u32' },
  redir: { regProtoMin: 'u32', regProtoMax: 'u32', flags: 'u32' },
  lookup: { sreg: 'u32', dreg: 'u32', set: 'str', setId: 'u32', flags: 'u32' },
  dynset: { sregKey: 'u32', sregData: 'u32', op: 'u32', timeout: 'u64', set: 'str', setId: 'u32', flags: 'u32', exprs: 'exprs' },
  exthdr: { dreg: 'u32', exthdrType: 'u8', offset: 'u32', len: 'u32', flags: 'u32', op: 'u32', sreg: 'u32' },
  fib: { dreg: 'u32', result: 'u32', flags: 'u32' },
  objref: { immType: 'u32', immName: 'str', setSreg: 'u32', setName: 'str', setId: 'u32' },
  quota: { bytes: 'u64', flags: 'u32', consumed: 'u64' },
  connlimit: { count: 'u32', flags: 'u32' },
  notrack: {},
  byteorder: { dreg: 'u32', sreg: 'u32', op: 'u32', len: 'u32', size: 'u32' },
  queue: { num: 'u16', total: 'u16', flags: 'u16', sregQnum: 'u32' },
  rt: { key: 'u32', dreg: 'u32' },
  numgen: { dreg: 'u32', modulus: 'u32', numgenType: 'u32', offset: 'u32' },
  hash: { sreg: 'u32', dreg: 'u32', len: 'u32', modulus: 'u32', seed: 'u32', offset: 'u32', hashType: 'u32' },
  socket: { key: 'u32', dreg: 'u32', level: 'u32' },
  tproxy: { family: 'u32', regAddr: 'u32', regPort: 'u32' },
  synproxy: { mss: 'u16', wscale: 'u8', flags: 'u32' },
  osf: { dreg: 'u32', ttl: 'u8', flags: 'u32' },
  dup: { sregAddr: 'u32', sregDev: 'u32' },
  fwd: { sregDev: 'u32', sregAddr: 'u32', nfproto: 'u32' },
  last: { msecs: 'u64', set: 'u32' },
  xfrm: { dreg: 'u32', key: 'u32', dir: 'u8', spnum: 'u32' },
  flow_offload: { tableName: 'str' },
} as const satisfies Record<string, Record<string, AttrKind>>;

export type ExprType = keyof typeof EXPR_ATTRS;
export const EXPR_TYPES = Object.keys(EXPR_ATTRS) as ExprType[];

type KindValue<K> = K extends 'u64' ? bigint : K extends 'str' ? string : K extends 'bytes' ? Uint8Array : K extends 'exprs' ? readonly Expr[] : number;

/** One expression of type K, with any subset of its attributes (as libnftnl: unset = absent). */
export type ExprOf<K extends ExprType> = { readonly type: K } & {
  readonly [A in keyof (typeof EXPR_ATTRS)[K]]?: KindValue<(typeof EXPR_ATTRS)[K][A]>;
};

/** The generic expression union: what crosses the native boundary and what dumps decode to. */
export type Expr = { [K in ExprType]: ExprOf<K> }[ExprType];

/**
 * An expression the kernel returned that this package does not know. It is kept (with the raw
 * NFTA_EXPR_DATA bytes) so that nothing is dropped when a rule is read back, but it cannot be sent.
 */
export interface UnknownExpr {
  readonly type: string;
  readonly unknown: true;
  readonly raw: Uint8Array;
}
export type DecodedExpr = Expr | UnknownExpr;

export const isKnownExpr = (e: DecodedExpr): e is Expr => !('unknown' in e) && e.type in EXPR_ATTRS;
