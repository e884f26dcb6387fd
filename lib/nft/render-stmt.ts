// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Statements of nft's JSON model printed as `nft list ruleset` prints them (nft 1.0.6:
 * the `print` callbacks of src/statement.c, src/meta.c, src/ct.c, src/payload.c, src/exthdr.c).
 */
import type { JStatement } from './schema';
import {
  exprText,
  isObject,
  onlyKey,
  matchText,
  renderVerdict,
  typeOf,
  type JsonObject,
  type TypeHint,
} from './render-expr';
import { byteUnit, formatTime, nonZero, quote } from './render-values';

/** Options of one statement print. */
export interface StatementContext {
  /** Leave out counter values and quota usage, as nft does inside sets, meters and dynsets. */
  readonly stateless?: boolean;
  /** The table's family: `reject` prints its ICMP type in full in inet, bridge and netdev. */
  readonly family?: string;
  /** A set or map of the table by name: map statements print their data in the map's data type. */
  readonly set?: (name: string) => JsonObject | undefined;
  /** Tabs before the rule's line (2 in a ruleset listing): a bound chain's rules print one deeper. */
  readonly indent?: number;
}

function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return '';
}

function list(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(str);
  if (v === undefined || v === null) return [];
  return [str(v)];
}

function objref(kind: string, body: unknown): string {
  const prefix =
    kind === 'ct helper' || kind === 'ct timeout' || kind === 'ct expectation'
      ? `${kind} set `
      : kind === 'secmark'
        ? 'meta secmark set '
        : `${kind} name `;
  return typeof body === 'string' ? `${prefix}${quote(body)}` : `${prefix}${exprText(body, { type: 'string' })}`;
}

function renderLimit(b: JsonObject): string {
  const inv = b.inv === true ? 'over ' : '';
  const per = str(b.per ?? 'second');
  if (b.rate_unit !== undefined && b.rate_unit !== 'packets') {
    let s = `limit rate ${inv}${str(b.rate)} ${str(b.rate_unit)}/${per}`;
    if (nonZero(b.burst)) s += ` burst ${str(b.burst)} ${str(b.burst_unit ?? 'bytes')}`;
    return s;
  }
  let s = `limit rate ${inv}${str(b.rate)}/${per}`;
  if (nonZero(b.burst) && Number(b.burst) !== 5) s += ` burst ${str(b.burst)} packets`;
  return s;
}

function renderLog(b: unknown): string {
  let s = 'log';
  if (!isObject(b)) return s;
  if (b.prefix !== undefined) s += ` prefix ${quote(str(b.prefix))}`;
  if (b.group !== undefined) s += ` group ${str(b.group)}`;
  if (b.snaplen !== undefined) s += ` snaplen ${str(b.snaplen)}`;
  if (b['queue-threshold'] !== undefined) s += ` queue-threshold ${str(b['queue-threshold'])}`;
  if (b.level !== undefined && b.level !== 'warn') s += ` level ${str(b.level)}`;
  const flags = list(b.flags);
  if (flags.includes('all')) return `${s} flags all`;
  const seq = flags.includes('tcp sequence');
  const opt = flags.includes('tcp options');
  if (seq || opt) s += ` flags tcp ${[seq ? 'sequence' : '', opt ? 'options' : ''].filter(Boolean).join(',')}`;
  if (flags.includes('ip options')) s += ' flags ip options';
  if (flags.includes('skuid')) s += ' flags skuid';
  if (flags.includes('ether')) s += ' flags ether';
  return s;
}

function isIp6Literal(v: unknown): boolean {
  return typeof v === 'string' && v.includes(':');
}

function renderNat(kind: string, b: unknown): string {
  let s = kind;
  if (!isObject(b)) return s;
  const addr = b.addr;
  const port = b.port;
  const typeFlags = list(b.type_flags);
  if (addr !== undefined || port !== undefined) {
    if (b.family === 'ip' || b.family === 'ip6') s += ` ${b.family}`;
    if (typeFlags.includes('prefix')) s += ' prefix';
    s += ' to';
  }
  if (addr !== undefined) {
    s += ' ';
    const range = isObject(addr) && Array.isArray(addr.range) ? addr.range : undefined;
    if (port !== undefined && isIp6Literal(addr)) s += `[${exprText(addr)}]`;
    else if (port !== undefined && range && isIp6Literal(range[0])) s += `[${exprText(range[0])}]-[${exprText(range[1])}]`;
    else s += exprText(addr, { type: b.family === 'ip6' ? 'ipv6_addr' : 'ipv4_addr' });
  }
  if (port !== undefined) {
    if (addr === undefined) s += ' ';
    s += `:${exprText(port, { type: 'inet_service' })}`;
  }
  const flags = list(b.flags);
  const shown = ['random', 'fully-random', 'persistent'].filter((f) => flags.includes(f));
  if (shown.length > 0) s += ` ${shown.join(',')}`;
  return s;
}

function renderReject(b: unknown, family: string | undefined): string {
  if (!isObject(b)) return 'reject';
  const type = str(b.type);
  if (type === 'tcp reset') return 'reject with tcp reset';
  if (type === 'icmpx' || type === 'icmp' || type === 'icmpv6') {
    // The default code is left out, except for icmp/icmpv6 in a family that mixes IPv4 and
    // IPv6 (netlink_delinearize sets verbose_print there).
    const verbose = type !== 'icmpx' && family !== 'ip' && family !== 'ip6';
    if (!verbose && (b.expr === 'port-unreachable' || b.expr === undefined)) return 'reject';
    return `reject with ${type} ${exprText(b.expr ?? 'port-unreachable')}`;
  }
  return 'reject';
}

function renderTproxy(b: unknown): string {
  let s = 'tproxy';
  if (!isObject(b)) return `${s} to`;
  if (b.family !== undefined) s += ` ${str(b.family)}`;
  s += ' to';
  if (b.addr !== undefined) s += isIp6Literal(b.addr) ? ` [${exprText(b.addr)}]` : ` ${exprText(b.addr)}`;
  if (b.port !== undefined) s += `${b.addr === undefined ? ' ' : ''}:${exprText(b.port)}`;
  return s;
}

function renderSynproxy(b: unknown): string {
  if (typeof b === 'string') return `synproxy name ${quote(b)}`;
  if (!isObject(b)) return 'synproxy';
  if (b.mss === undefined && b.wscale === undefined && b.flags === undefined && onlyKey(b) !== undefined) return objref('synproxy', b);
  const flags = list(b.flags);
  const ts = flags.includes('timestamp') ? ' timestamp' : '';
  const sack = flags.includes('sack-perm') ? ' sack-perm' : '';
  let s = 'synproxy';
  if (b.mss !== undefined) s += ` mss ${str(b.mss)}`;
  if (b.wscale !== undefined) s += ` wscale ${str(b.wscale)}`;
  return `${s}${ts}${sack}`;
}

function renderMangle(b: JsonObject): string {
  const key = b.key;
  let left: string;
  if (isObject(key) && isObject(key.meta)) {
    const k = str(key.meta.key);
    left = ['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup'].includes(k) ? k : `meta ${k}`;
  } else {
    left = exprText(key);
  }
  const type: TypeHint = typeOf(key);
  return `${left} set ${exprText(b.value, { type })}`;
}

function renderStatements(list: unknown, ctx: StatementContext): string {
  if (!Array.isArray(list)) return '';
  return list.map((s) => ` ${stmtText(s, { ...ctx, stateless: true })}`).join('');
}

/** Prints one statement of nft's JSON model as nft 1.0.6 prints it. */
export function renderStatement(s: JStatement, ctx: StatementContext = {}): string {
  return stmtText(s, ctx);
}

/** renderStatement on anything: what is not a statement prints as `<unknown: …>`, never throws. */
export function stmtText(s: unknown, ctx: StatementContext = {}): string {
  // nft -j writes the text of statements it has no JSON form for (chain bindings, map updates).
  if (typeof s === 'string') return s;
  if (!isObject(s)) return '';
  const k = onlyKey(s);
  if (k === undefined) return `<unknown: ${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}>`;
  const b = s[k];
  // A chain binding (package extension): `jump {`, the bound chain's rules one level deeper, `}`.
  if ((k === 'jump' || k === 'goto') && isObject(b) && Array.isArray(b.rules)) return chainBindingText(k, b.rules, ctx);
  // `{ queue: … }` as a statement is the queue statement (the queue verdict has no syntax).
  const verdict = k === 'queue' ? undefined : renderVerdict(s);
  if (verdict !== undefined) return verdict;
  switch (k) {
    case 'match':
      if (!isObject(b)) break;
      return matchText(str(b.op ?? '=='), b.left, b.right);
    case 'counter':
      if (typeof b === 'string' || (isObject(b) && b.packets === undefined && b.bytes === undefined)) return objref('counter', b);
      if (ctx.stateless) return 'counter';
      // `{ counter: null }` (a new counter, nft's input form) lists as a counter at zero
      if (!isObject(b)) return 'counter packets 0 bytes 0';
      return `counter packets ${str(b.packets ?? 0)} bytes ${str(b.bytes ?? 0)}`;
    case 'quota': {
      if (typeof b === 'string' || (isObject(b) && b.val === undefined)) return objref('quota', b);
      if (!isObject(b)) return 'quota';
      const v = b.val_unit !== undefined ? { value: str(b.val), unit: str(b.val_unit) } : (({ value, unit }) => ({ value: value.toString(), unit }))(byteUnit(b.val as number));
      let out = `quota ${b.inv === true ? 'over ' : ''}${v.value} ${v.unit}`;
      if (!ctx.stateless && nonZero(b.used)) out += ` used ${str(b.used)} ${str(b.used_unit ?? 'bytes')}`;
      return out;
    }
    case 'limit':
      if (typeof b === 'string' || (isObject(b) && b.rate === undefined)) return objref('limit', b);
      if (!isObject(b)) return 'limit';
      return renderLimit(b);
    case 'ct helper':
    case 'ct timeout':
    case 'ct expectation':
    case 'secmark':
      return objref(k, b);
    case 'synproxy':
      return renderSynproxy(b);
    case 'log':
      return renderLog(b);
    case 'reject':
      return renderReject(b, ctx.family);
    case 'snat':
    case 'dnat':
    case 'masquerade':
    case 'redirect':
      return renderNat(k, b);
    case 'mangle':
      if (!isObject(b)) break;
      return renderMangle(b);
    case 'set':
    case 'map': {
      if (!isObject(b) || b.op === undefined) break;
      const ref = str(k === 'map' ? (b.map ?? b.set) : b.set);
      let out = `${str(b.op)} ${ref} { ${exprText(b.elem)}${renderStatements(b.stmt, ctx)}`;
      if (b.data !== undefined) out += ` : ${exprText(b.data, mapDataHint(ref, ctx))}`;
      return `${out} }`;
    }
    case 'meter': {
      if (!isObject(b)) break;
      const name = b.name !== undefined ? `${str(b.name)} ` : '';
      return `meter ${name}size ${str(b.size)} { ${exprText(b.key)} ${stmtText(b.stmt, { ...ctx, stateless: true })} }`;
    }
    case 'queue': {
      let out = 'queue';
      if (!isObject(b)) return `${out} to 0`;
      const flags = list(b.flags).filter((f) => f === 'bypass' || f === 'fanout');
      if (flags.length > 0) out += ` flags ${flags.join(',')}`;
      out += b.num !== undefined ? ` to ${exprText(b.num)}` : ' to 0';
      return out;
    }
    case 'dup': {
      if (!isObject(b)) return 'dup';
      let out = 'dup';
      if (b.addr !== undefined) {
        // Without a device, the target is the device itself (netdev family: `dup to "lo"`).
        out += b.dev === undefined && ctx.family === 'netdev' ? ` to ${exprText(b.addr, { type: 'iface_index', dataType: 'iface_index' })}` : ` to ${exprText(b.addr)}`;
        if (b.dev !== undefined) out += ` device ${exprText(b.dev, { type: 'iface_index', dataType: 'iface_index' })}`;
      }
      return out;
    }
    case 'fwd': {
      if (!isObject(b)) return 'fwd';
      if (b.addr !== undefined) return `fwd ${str(b.family)} to ${exprText(b.addr)} device ${exprText(b.dev, { type: 'iface_index' })}`;
      return `fwd to ${exprText(b.dev, { type: 'iface_index', dataType: 'iface_index' })}`;
    }
    case 'notrack':
      return 'notrack';
    case 'flow':
      if (!isObject(b)) break;
      return `flow ${str(b.op ?? 'add')} ${str(b.flowtable)}`;
    case 'ct count':
      if (!isObject(b)) break;
      return `ct count ${b.inv === true ? 'over ' : ''}${str(b.val)}`;
    case 'tproxy':
      return renderTproxy(b);
    case 'reset':
      return `reset ${exprText(b)}`;
    case 'last':
      if (ctx.stateless) return 'last';
      // nft 1.1.x's last_stmt_print: `used` is in milliseconds (time_print)
      return isObject(b) && b.used !== undefined && b.used !== -1 ? `last used ${formatMs(BigInt(b.used as number))}` : 'last used never';
    case 'raw': {
      // The package's own statement for kernel expressions it could not decode: nft has no text.
      const exprs = isObject(b) && Array.isArray(b.exprs) ? b.exprs : [];
      // an iptables-nft match/target: as nft prints it when built without libxtables
      const one = exprs.length === 1 && isObject(exprs[0]) ? exprs[0] : undefined;
      if (one && (one.type === 'match' || one.type === 'target') && typeof one.name === 'string' && !('unknown' in one)) return `xt ${one.type} ${quote(one.name)}`;
      return `<raw: ${exprs.map((x) => (isObject(x) ? str(x.type) : '?')).join(' ')}>`;
    }
    case 'xt':
      if (!isObject(b)) break;
      return `xt ${str(b.type)} ${quote(str(b.name))}`;
    default:
      break;
  }
  // An expression used as a statement (`… vmap { … }`).
  const expr = exprText(s);
  if (!expr.startsWith('<unknown')) return expr;
  return `<unknown: ${JSON.stringify(s, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}>`;
}

/** nft's time_print of milliseconds (`1h2m3s4ms`; nothing for zero, as nft). */
function formatMs(ms: bigint): string {
  const rest = ms % 1000n;
  return `${formatTime(ms / 1000n)}${rest > 0n ? `${rest}ms` : ''}`;
}

/** nft's print of a chain binding (chain_stmt_print + the bound chain's rules, one tab deeper). */
function chainBindingText(verb: string, rules: readonly unknown[], ctx: StatementContext): string {
  const level = ctx.indent ?? 2;
  const inner: StatementContext = { ...ctx, indent: level + 1, stateless: false };
  const lines = rules.map((r) => {
    // a bound rule: its statements, or { expr, comment } (a rule with a comment)
    const stmts: readonly unknown[] = Array.isArray(r) ? r : isObject(r) && Array.isArray(r.expr) ? r.expr : [];
    const comment = !Array.isArray(r) && isObject(r) && typeof r.comment === 'string' ? r.comment : undefined;
    const text = stmts.map((st) => stmtText(st, inner)).join(' ');
    return `${'\t'.repeat(level + 1)}${text}${comment !== undefined ? `${text === '' ? '' : ' '}comment ${quote(comment)}` : ''}\n`;
  });
  return `${verb} {\n${lines.join('')}${'\t'.repeat(level)}}`;
}

/** The type a map statement's data prints in: the map's declared data type (or its typeof expression's). */
function mapDataHint(ref: string, ctx: StatementContext): { type?: TypeHint } {
  const m = ref.startsWith('@') ? ctx.set?.(ref.slice(1)) : undefined;
  const t = m?.map;
  if (typeof t === 'string') return { type: t };
  if (Array.isArray(t)) return { type: t.map(str) };
  if (isObject(t) && 'typeof' in t) {
    const h = typeOf(t.typeof);
    return h !== undefined ? { type: h } : {};
  }
  return {};
}

/**
 * A statement as nft 1.0.6 prints it in JSON: the lossless forms it has no JSON for (chain
 * bindings, map statements) become their nft text, as 1.0.6 writes them (at rule level 2);
 * every other statement is returned as it is.
 */
export function nft106Statement(s: JStatement, ctx: StatementContext = {}): JStatement {
  if (typeof s !== 'object' || s === null) return s;
  const k = onlyKey(s as JsonObject);
  const b = k === undefined ? undefined : (s as JsonObject)[k];
  if ((k === 'jump' || k === 'goto') && isObject(b) && Array.isArray(b.rules)) return chainBindingText(k, b.rules, { ...ctx, indent: 2 });
  if (k === 'map' && isObject(b) && b.op !== undefined) return stmtText(s, ctx);
  return s;
}

/** Prints rule statements separated as nft prints them (one space), without a comment. */
export function renderStatementList(stmts: readonly JStatement[], ctx: StatementContext = {}): string {
  return stmts.map((st) => stmtText(st, ctx)).join(' ');
}

