// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Expressions of nft's JSON model printed as `nft list ruleset` prints them (nft 1.0.6:
 * the `print` callbacks of src/expression.c, src/payload.c, src/meta.c, src/ct.c, src/exthdr.c,
 * src/fib.c, src/numgen.c, src/hash.c, src/osf.c, src/rt.c, src/socket.c, src/xfrm.c).
 *
 * The renderer reads the JSON loosely (`unknown` narrowed here) so that it prints any model,
 * including one a program built by hand: an unknown expression is printed as `<unknown: …>`
 * rather than throwing, because a listing must never fail to print.
 */
import { BITMASK_TYPES, formatScalar, formatTime, nonZero, quote, type TypeName } from './render-values';
import { datatype } from './datatypes';
import { payloadField } from './fields';
import type { JExpr, JRelOp, JSetElem } from './schema';
import { stmtText } from './render-stmt';

/** What a value is printed as: one datatype, or one per field of a concatenation. */
export type TypeHint = TypeName | readonly (TypeName | undefined)[] | undefined;

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The single key of a one-key wrapper object such as `{ meta: { key: "mark" } }`. */
export function onlyKey(v: JsonObject): string | undefined {
  const keys = Object.keys(v);
  return keys.length === 1 ? keys[0] : undefined;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

const META_TYPES: Readonly<Record<string, TypeName>> = {
  iifname: 'ifname',
  oifname: 'ifname',
  ibrname: 'ifname',
  obrname: 'ifname',
  ibriport: 'ifname',
  obriport: 'ifname',
  sdifname: 'ifname',
  iif: 'iface_index',
  oif: 'iface_index',
  sdif: 'iface_index',
  mark: 'mark',
  iiftype: 'iface_type',
  oiftype: 'iface_type',
  skuid: 'uid',
  skgid: 'gid',
  priority: 'classid',
  protocol: 'ether_type',
  ibrvproto: 'ether_type',
  nfproto: 'nf_proto',
  l4proto: 'inet_proto',
  pkttype: 'pkttype',
  iifgroup: 'devgroup',
  oifgroup: 'devgroup',
  rtclassid: 'realm',
  secpath: 'boolean',
  time: 'date',
  day: 'day',
  hour: 'hour',
};

const CT_TYPES: Readonly<Record<string, TypeName>> = {
  state: 'ct_state',
  status: 'ct_status',
  mark: 'mark',
  helper: 'string',
  l3proto: 'nf_proto',
  protocol: 'inet_proto',
  label: 'ct_label',
  direction: 'ct_dir',
  event: 'ct_event',
  expiration: 'time',
  saddr: 'ipv4_addr',
  daddr: 'ipv4_addr',
  'ip saddr': 'ipv4_addr',
  'ip daddr': 'ipv4_addr',
  'ip6 saddr': 'ipv6_addr',
  'ip6 daddr': 'ipv6_addr',
  'proto-src': 'inet_service',
  'proto-dst': 'inet_service',
};

const PAYLOAD_TYPES: Readonly<Record<string, TypeName>> = {
  'tcp flags': 'tcp_flag',
  'ip dscp': 'dscp',
  'ip6 dscp': 'dscp',
  'ip ecn': 'ecn',
  'ip6 ecn': 'ecn',
  'ether type': 'ether_type',
  'vlan type': 'ether_type',
  'ip saddr': 'ipv4_addr',
  'ip daddr': 'ipv4_addr',
  'ip6 saddr': 'ipv6_addr',
  'ip6 daddr': 'ipv6_addr',
  'arp saddr ip': 'ipv4_addr',
  'arp daddr ip': 'ipv4_addr',
  'comp flags': 'hex',
};

const BINOPS = ['&', '|', '^', '<<', '>>'] as const;
const BINOP_PRECEDENCE: Readonly<Record<string, number>> = { '<<': 1, '>>': 1, '&': 2, '^': 3, '|': 4 };

function binopOf(e: unknown): { op: string; args: readonly unknown[] } | undefined {
  if (!isObject(e)) return undefined;
  const k = onlyKey(e);
  if (k === undefined || !(BINOPS as readonly string[]).includes(k)) return undefined;
  const args = e[k];
  return Array.isArray(args) ? { op: k, args } : undefined;
}

/** The datatype nft gives an expression, as far as printing its constants needs it. */
export function typeOf(e: JExpr | unknown): TypeHint {
  if (!isObject(e)) return undefined;
  const bin = binopOf(e);
  if (bin) return typeOf(bin.args[0]);
  const k = onlyKey(e);
  const body = k === undefined ? undefined : e[k];
  switch (k) {
    case 'meta':
      return isObject(body) ? META_TYPES[str(body.key)] : undefined;
    case 'ct':
      return isObject(body) ? CT_TYPES[str(body.key)] : undefined;
    case 'payload':
      if (!isObject(body)) return undefined;
      // A raw payload (`@th,160,32`) has no datatype of its own: nft prints its values in hex.
      if (body.protocol === undefined) return 'bitmask';
      return PAYLOAD_TYPES[`${str(body.protocol)} ${str(body.field)}`] ?? payloadField(str(body.protocol), str(body.field))?.type;
    case 'osf':
      return 'string';
    case 'socket':
      return isObject(body) && body.key === 'mark' ? 'mark' : undefined;
    case 'rt':
      return isObject(body) && body.key === 'classid' ? 'realm' : undefined;
    case 'fib':
      if (!isObject(body)) return undefined;
      return body.result === 'oifname' ? 'ifname' : body.result === 'oif' ? 'iface_index' : undefined;
    case 'concat':
      return Array.isArray(body) ? body.map((x) => {
        const t = typeOf(x);
        return typeof t === 'string' ? t : undefined;
      }) : undefined;
    case 'tcp option':
    case 'ip option':
    case 'exthdr':
    case 'sctp chunk':
      return isObject(body) && body.field === undefined ? 'boolean' : undefined;
    case 'ipsec':
      if (!isObject(body)) return undefined;
      if (body.key === 'saddr' || body.key === 'daddr') return body.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr';
      return undefined;
    default:
      return undefined;
  }
}

function fieldType(t: TypeHint, i: number): TypeName | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'string') return i === 0 ? t : undefined;
  return t[i];
}

function scalarType(t: TypeHint): TypeName | undefined {
  return typeof t === 'string' ? t : undefined;
}

/** A symbol name as its number (for ranges, which nft prints numerically). */
function numericSymbol(v: unknown, type: TypeHint): unknown {
  if (typeof v !== 'string' || typeof type !== 'string') return v;
  const value = datatype(type)?.symbols?.get(v);
  if (value === undefined) return v;
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

/** Options of one expression print. */
export interface ExprContext {
  /** Datatype of constants in this position (from the expression they are compared with). */
  readonly type?: TypeHint;
  /** Datatype of the data side of map elements (`k : v`). */
  readonly dataType?: TypeHint;
}

/** Prints a verdict object (`{ accept: null }`, `{ jump: { target: "c" } }`) or undefined. */
export function renderVerdict(e: JsonObject): string | undefined {
  const k = onlyKey(e);
  switch (k) {
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
    case 'queue':
      return k;
    case 'jump':
    case 'goto': {
      const b = e[k];
      return isObject(b) ? `${k} ${str(b.target)}` : k;
    }
    default:
      return undefined;
  }
}

function renderBinopArg(parentOp: string, arg: unknown, ctx: ExprContext): string {
  const inner = binopOf(arg);
  const text = exprText(arg, ctx);
  const pp = BINOP_PRECEDENCE[parentOp] ?? 0;
  if (inner && pp !== 0 && pp < (BINOP_PRECEDENCE[inner.op] ?? 0)) return `(${text})`;
  return text;
}

/** Elements of an anonymous set or a named set's `elements`, joined by `delim`. */
function renderElements(items: readonly unknown[], ctx: ExprContext, delim: (index: number) => string): string {
  let out = '';
  items.forEach((item, i) => {
    if (i > 0) out += delim(i);
    out += elementText(item, ctx);
  });
  return out;
}

/** One set element: a value, a `[key, data]` mapping or an `{ elem: { val, timeout, … } }`. */
export function renderElement(item: JSetElem, ctx: ExprContext = {}): string {
  return elementText(item, ctx);
}

export function elementText(item: unknown, ctx: ExprContext): string {
  if (Array.isArray(item) && item.length === 2) {
    return `${elementText(item[0], { type: ctx.type })} : ${exprText(item[1], { type: ctx.dataType })}`;
  }
  if (isObject(item) && onlyKey(item) === 'elem' && isObject(item.elem)) {
    const el = item.elem;
    let s = exprText(el.val, { type: ctx.type });
    for (const [key, value] of Object.entries(el)) {
      if (key === 'val' || key === 'timeout' || key === 'expires' || key === 'comment') continue;
      s += ` ${stmtText({ [key]: value }, { stateless: false })}`;
    }
    if (nonZero(el.timeout)) s += ` timeout ${formatTime(el.timeout as number)}`;
    if (nonZero(el.expires)) s += ` expires ${formatTime(el.expires as number)}`;
    if (typeof el.comment === 'string') s += ` comment ${quote(el.comment)}`;
    return s;
  }
  return exprText(item, ctx);
}

function renderSetBody(items: readonly unknown[], ctx: ExprContext): string {
  return `{ ${renderElements(items, ctx, () => ', ')} }`;
}

/**
 * Prints one expression of nft's JSON model as nft 1.0.6 prints it. `ctx.type` names the
 * datatype of a constant (nft prints `0x00000001` for a mark, quotes interface names); without
 * it a constant prints as its JSON value.
 */
export function renderExpr(e: JExpr | JSetElem, ctx: ExprContext = {}): string {
  return exprText(e, ctx);
}

/** renderExpr on anything: what is not an expression prints as `<unknown: …>`, never throws. */
export function exprText(e: unknown, ctx: ExprContext = {}): string {
  if (e === null || e === undefined) return '';
  if (typeof e === 'string' || typeof e === 'number' || typeof e === 'bigint' || typeof e === 'boolean') {
    return formatScalar(e, scalarType(ctx.type));
  }
  if (Array.isArray(e)) {
    // A list of flag values (a bitmask constant with several bits set).
    return e.map((x) => exprText(x, ctx)).join(',');
  }
  if (!isObject(e)) return '';
  const k = onlyKey(e);
  if (k === undefined) return `<unknown: ${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}>`;
  const b = e[k];
  const verdict = renderVerdict(e);
  if (verdict !== undefined) return verdict;
  switch (k) {
    case 'payload': {
      if (!isObject(b)) break;
      if (b.protocol !== undefined) return `${str(b.protocol)} ${str(b.field)}`;
      return `@${str(b.base)},${str(b.offset)},${str(b.len)}`;
    }
    case 'meta': {
      if (!isObject(b)) break;
      const key = str(b.key);
      return ['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup'].includes(key) ? key : `meta ${key}`;
    }
    case 'ct': {
      if (!isObject(b)) break;
      return b.dir !== undefined ? `ct ${str(b.dir)} ${str(b.key)}` : `ct ${str(b.key)}`;
    }
    case 'concat':
      if (!Array.isArray(b)) break;
      return b.map((x, i) => exprText(x, { type: fieldType(ctx.type, i) })).join(' . ');
    case 'set':
      if (Array.isArray(b)) return renderSetBody(b, ctx);
      return exprText(b, ctx);
    case 'prefix':
      if (!isObject(b)) break;
      return `${exprText(b.addr, ctx)}/${str(b.len)}`;
    case 'range':
      if (!Array.isArray(b)) break;
      // range_expr_print prints both ends numerically (NFT_CTX_OUTPUT_NUMERIC_ALL).
      if (ctx.type === 'time') return `${str(b[0])}s-${str(b[1])}s`;
      return `${exprText(numericSymbol(b[0], ctx.type), ctx)}-${exprText(numericSymbol(b[1], ctx.type), ctx)}`;
    case 'map':
    case 'vmap': {
      if (!isObject(b)) break;
      const keyType = typeOf(b.key);
      const data = k === 'vmap' ? exprText(b.data, { type: keyType }) : exprText(b.data, { type: keyType, dataType: ctx.type });
      return `${exprText(b.key)} ${k} ${data}`;
    }
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>': {
      if (!Array.isArray(b)) break;
      // A shift count is a plain integer; a mask has the type of what it masks.
      const leftType = k === '<<' || k === '>>' ? undefined : typeOf(b[0]) ?? ctx.type;
      return `${renderBinopArg(k, b[0], ctx)} ${k} ${renderBinopArg(k, b[1], { type: leftType })}`;
    }
    case 'elem':
      return elementText(e, ctx);
    case 'tcp option': {
      if (!isObject(b)) break;
      if (b.name === undefined) {
        // Unknown option kind: `tcp option 123` for its presence (or reset), else raw bits.
        if (Number(b.offset ?? 0) === 0 && (Number(b.len ?? 0) === 0 || ctx.type === 'boolean')) return `tcp option ${str(b.base)}`;
        return `tcp option @${str(b.base)},${str(b.offset)},${str(b.len)}`;
      }
      return b.field === undefined ? `tcp option ${str(b.name)}` : `tcp option ${str(b.name)} ${str(b.field)}`;
    }
    case 'ip option':
    case 'sctp chunk': {
      if (!isObject(b)) break;
      return b.field === undefined ? `${k} ${str(b.name)}` : `${k} ${str(b.name)} ${str(b.field)}`;
    }
    case 'exthdr': {
      if (!isObject(b)) break;
      return b.field === undefined ? `exthdr ${str(b.name)}` : `${str(b.name)} ${str(b.field)}`;
    }
    case 'fib': {
      if (!isObject(b)) break;
      const flags = Array.isArray(b.flags) ? b.flags.map(str) : b.flags !== undefined ? [str(b.flags)] : [];
      return `fib ${flags.join(' . ')} ${str(b.result)}`;
    }
    case 'numgen': {
      if (!isObject(b)) break;
      let s = `numgen ${str(b.mode)} mod ${str(b.mod)}`;
      if (nonZero(b.offset)) s += ` offset ${str(b.offset)}`;
      return s;
    }
    case 'jhash':
    case 'symhash': {
      if (!isObject(b)) break;
      let s = k === 'jhash' ? `jhash ${exprText(b.expr)}` : 'symhash';
      s += ` mod ${str(b.mod)}`;
      if (b.seed !== undefined) s += ` seed 0x${BigInt(b.seed as number).toString(16)}`;
      if (nonZero(b.offset)) s += ` offset ${str(b.offset)}`;
      return s;
    }
    case 'osf': {
      if (!isObject(b)) break;
      const ttl = b.ttl === 'loose' || b.ttl === 'skip' ? `ttl ${b.ttl} ` : '';
      return `osf ${ttl}${str(b.key)}`;
    }
    case 'rt': {
      if (!isObject(b)) break;
      return b.family !== undefined ? `rt ${str(b.family)} ${str(b.key)}` : `rt ${str(b.key)}`;
    }
    case 'socket': {
      if (!isObject(b)) break;
      return b.level !== undefined ? `socket ${str(b.key)} level ${str(b.level)}` : `socket ${str(b.key)}`;
    }
    case 'ipsec': {
      if (!isObject(b)) break;
      let s = `ipsec ${str(b.dir)}`;
      if (nonZero(b.spnum)) s += ` spnum ${str(b.spnum)}`;
      if (b.family !== undefined) s += ` ${str(b.family)}`;
      return `${s} ${str(b.key)}`;
    }
    default:
      break;
  }
  return `<unknown: ${JSON.stringify(e, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}>`;
}

function firstScalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return firstScalar(v[0]);
  if (isObject(v)) {
    const k = onlyKey(v);
    return k === undefined ? undefined : firstScalar(v[k]);
  }
  return undefined;
}

/** A relational match as nft prints it (`left right`, `left != right`, `left & m == v`). */
export function renderMatch(op: JRelOp, left: JExpr, right: JExpr): string {
  return matchText(op, left, right);
}

export function matchText(op: string, left: unknown, right: unknown): string {
  const type = typeOf(left);
  const ct = isObject(left) && isObject(left.ct) ? left.ct : undefined;
  if (ct && ct.dir !== undefined && (ct.key === 'saddr' || ct.key === 'daddr')) {
    // ct_print names the network protocol of a directional address (`ct original ip saddr`);
    // nft -j leaves it out, the address tells it.
    const family = firstScalar(right)?.includes(':') ? 'ip6' : 'ip';
    const r = exprText(right, { type: family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr' });
    const l = `ct ${str(ct.dir)} ${family} ${str(ct.key)}`;
    return op === 'in' || op === '==' ? `${l} ${r}` : `${l} ${op} ${r}`;
  }
  if (typeof right === 'boolean') return `${exprText(left, { type: 'boolean' })} ${op === '!=' ? '!= ' : ''}${right ? 'exists' : 'missing'}`;
  const flag = binopOf(left);
  if (flag && flag.op === '&' && Array.isArray(flag.args[1]) && (op === '==' || op === '!=')) {
    // A flag comparison (flagcmp_expr_print): `tcp flags syn / syn,ack`.
    const ft = typeOf(flag.args[0]);
    const neg = op === '!=' ? '!= ' : '';
    return `${exprText(flag.args[0])} ${neg}${exprText(right, { type: ft })} / ${exprText(flag.args[1], { type: ft })}`;
  }
  const l = exprText(left);
  const r = exprText(right, { type });
  if (op === 'in') return `${l} ${r}`;
  if (op === '==') {
    const scalarRight = typeof right === 'string' || typeof right === 'number' || typeof right === 'bigint';
    const bitmask = typeof type === 'string' && BITMASK_TYPES.has(type);
    if (binopOf(left) || (scalarRight && bitmask)) return `${l} == ${r}`;
    return `${l} ${r}`;
  }
  return `${l} ${op} ${r}`;
}
