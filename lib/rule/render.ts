// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * renderRule(): a rule body in nft syntax, as `nft list ruleset` prints it (words, operators,
 * element order, units), so the text loads with `nft -f` and lists back identically.
 */
import type { Family } from '../kernel';
import type { Rule } from '../model/types';
import { compareBytes } from './bytes';
import { LOG_FLAGS } from './compile-action';
import { FLAG_BITS } from './datatypes';
import { exprsText } from './expr-text';
import { FIELDS } from './fields';
import type { Field, FibStatement, LimitStatement, LogStatement, MatchValue, NatFlag, PortSpec, Range, Scalar, Statement } from './statement';

const isRange = (v: unknown): v is Range => typeof v === 'object' && v !== null && 'range' in v;

function scalarText(field: Field, v: Scalar): string {
  const codec = FIELDS[field].codec;
  return codec.text(v);
}

function sortKey(field: Field, item: Scalar | Range): Uint8Array {
  const codec = FIELDS[field].codec;
  const s = isRange(item) ? item.range[0] : item;
  try {
    return codec.encode(typeof s === 'string' && codec.bits !== undefined ? (s.split('/')[0] ?? s) : s, field);
  } catch {
    return new Uint8Array();
  }
}

function itemText(field: Field, item: Scalar | Range): string {
  return isRange(item) ? `${scalarText(field, item.range[0])}-${scalarText(field, item.range[1])}` : scalarText(field, item);
}

/** A match value as nft prints it; set elements in key order, as nft lists them. */
export function valueText(field: Field, v: MatchValue): string {
  if (typeof v === 'object' && 'set' in v) {
    const items = [...v.set].sort((a, b) => compareBytes(sortKey(field, a), sortKey(field, b)));
    return `{ ${items.map((i) => itemText(field, i)).join(', ')} }`;
  }
  return itemText(field, v);
}

const UNIT_WORDS = ['bytes', 'kbytes', 'mbytes'];
/** nft's get_rate(): the largest of bytes/kbytes/mbytes that divides the value exactly. */
export function bytesText(n: bigint | number): string {
  let v = BigInt(n);
  let i = 0;
  while (i < UNIT_WORDS.length - 1 && v !== 0n && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v} ${UNIT_WORDS[i]}`;
}

/** nft's time format: 1d2h3m4s5ms. */
export function timeText(ms: number): string {
  const parts: [number, string][] = [
    [86400000, 'd'],
    [3600000, 'h'],
    [60000, 'm'],
    [1000, 's'],
    [1, 'ms'],
  ];
  let left = ms;
  let out = '';
  for (const [size, unit] of parts) {
    const q = Math.floor(left / size);
    if (q > 0) out += `${q}${unit}`;
    left -= q * size;
  }
  return out || '0s';
}

function flagsText(field: keyof typeof FLAG_BITS, names: readonly string[], sep: string): string {
  const table = FLAG_BITS[field] as Readonly<Record<string, number>>;
  return [...names].sort((a, b) => (table[a] ?? 0) - (table[b] ?? 0)).join(sep);
}

function limitText(s: LimitStatement): string {
  const bytes = s.unit === 'bytes';
  const rate = bytes ? bytesText(s.rate) : String(s.rate);
  const burst = s.burst ?? (bytes ? 0 : 5);
  const burstText = burst !== (bytes ? 0 : 5) ? ` burst ${bytes ? bytesText(burst) : `${burst} packets`}` : '';
  return `limit rate ${s.over ? 'over ' : ''}${rate}/${s.per}${burstText}`;
}

function logText(s: LogStatement): string {
  const p = ['log'];
  if (s.prefix !== undefined) p.push(`prefix "${s.prefix}"`);
  if (s.group !== undefined) p.push(`group ${s.group}`);
  if (s.snaplen !== undefined) p.push(`snaplen ${s.snaplen}`);
  if (s.queueThreshold !== undefined) p.push(`queue-threshold ${s.queueThreshold}`);
  if (s.level !== undefined && s.level !== 'warn') p.push(`level ${s.level}`);
  if (s.flags !== undefined) {
    const f = s.flags.reduce((a, x) => a | LOG_FLAGS[x], 0);
    if ((f & LOG_FLAGS.all) === LOG_FLAGS.all) p.push('flags all');
    else {
      const tcp = [f & 0x01 ? 'sequence' : '', f & 0x02 ? 'options' : ''].filter(Boolean);
      if (tcp.length) p.push(`flags tcp ${tcp.join(',')}`);
      if (f & 0x04) p.push('flags ip options');
      if (f & 0x08) p.push('flags skuid');
      if (f & 0x20) p.push('flags ether');
    }
  }
  return p.join(' ');
}

const NAT_FLAG_ORDER: readonly NatFlag[] = ['random', 'fully-random', 'persistent'];
const natFlagsText = (flags: readonly NatFlag[] | undefined): string =>
  flags && flags.length ? ` ${NAT_FLAG_ORDER.filter((f) => flags.includes(f)).join(',')}` : '';
const portText = (p: PortSpec): string => (typeof p === 'number' ? String(p) : `${p.range[0]}-${p.range[1]}`);

function fibText(s: FibStatement): string {
  const order = ['saddr', 'daddr', 'mark', 'iif', 'oif'];
  const lookup = [...s.lookup].sort((a, b) => order.indexOf(a) - order.indexOf(b)).join(' . ');
  if (s.result !== 'type') return `fib ${lookup} ${s.result} ${s.value}`;
  const v = typeof s.value === 'string' ? s.value : `{ ${[...s.value].sort((a, b) => (FIELDS_FIB[a] ?? 0) - (FIELDS_FIB[b] ?? 0)).join(', ')} }`;
  return `fib ${lookup} type ${s.op === '!=' ? '!= ' : ''}${v}`;
}
const FIELDS_FIB: Readonly<Record<string, number>> = { unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8 };

/** One statement in nft syntax. `family` is the table's (nat prints `ip`/`ip6` in inet tables). */
export function renderStatement(s: Statement, family: Family): string {
  switch (s.kind) {
    case 'match':
      return `${s.field} ${s.op && s.op !== '==' ? `${s.op} ` : ''}${valueText(s.field, s.value)}`;
    case 'flags': {
      if (s.mask !== undefined) return `${s.field} ${s.op === '!=' ? '!= ' : ''}${flagsText(s.field, s.values, ',')} / ${flagsText(s.field, s.mask, ',')}`;
      if (s.op === undefined) return `${s.field} ${flagsText(s.field, s.values, ',')}`;
      return `${s.field} ${s.op} ${flagsText(s.field, s.values, ' | ')}`;
    }
    case 'lookup':
      return `${s.fields.join(' . ')} ${s.negate ? '!= ' : ''}@${s.set}`;
    case 'fib':
      return fibText(s);
    case 'tcpOption':
      return `tcp option ${s.option} ${s.value}`;
    case 'limit':
      return limitText(s);
    case 'ctCount':
      return `ct count ${s.over ? 'over ' : ''}${s.count}`;
    case 'counter':
      return `counter packets ${s.packets ?? 0n} bytes ${s.bytes ?? 0n}`;
    case 'objref':
      return `${s.type} name "${s.name}"`;
    case 'quota':
      return `quota ${s.over ? 'over ' : ''}${bytesText(s.bytes)}${s.used !== undefined && s.used !== 0n ? ` used ${bytesText(s.used)}` : ''}`;
    case 'log':
      return logText(s);
    case 'reject':
      if (!s.with) return 'reject';
      return s.with.type === 'tcp reset' ? 'reject with tcp reset' : `reject with ${s.with.type} ${s.with.code}`;
    case 'verdict':
      return s.verdict === 'jump' || s.verdict === 'goto' ? `${s.verdict} ${s.chain}` : s.verdict;
    case 'queue': {
      const num = s.num === undefined ? '' : ` num ${portText(s.num)}`;
      return `queue${num}${s.flags && s.flags.length ? ` ${s.flags.join(',')}` : ''}`;
    }
    case 'setUpdate': {
      const parts = [s.key.join(' . ')];
      if (s.timeoutMs !== undefined) parts.push(`timeout ${timeText(s.timeoutMs)}`);
      for (const x of s.stmts ?? []) parts.push(renderStatement(x, family));
      return `${s.op} @${s.set} { ${parts.join(' ')} }`;
    }
    case 'nat': {
      const fam = family === 'inet' ? ` ${s.family ?? (typeof s.addr === 'string' ? s.addr : s.addr?.range[0] ?? '').includes(':') ? 'ip6' : 'ip'}` : '';
      const v6 = (typeof s.addr === 'string' ? s.addr : s.addr?.range[0] ?? '').includes(':');
      const one = (a: string): string => (v6 && s.port !== undefined ? `[${a}]` : a);
      const addr = s.addr === undefined ? '' : typeof s.addr === 'string' ? one(s.addr) : `${one(s.addr.range[0])}-${one(s.addr.range[1])}`;
      const port = s.port === undefined ? '' : `:${portText(s.port)}`;
      return `${s.type}${fam} to ${addr}${port}${natFlagsText(s.flags)}`;
    }
    case 'masquerade':
    case 'redirect':
      return `${s.kind}${s.port !== undefined ? ` to :${portText(s.port)}` : ''}${natFlagsText(s.flags)}`;
    case 'notrack':
      return 'notrack';
    case 'raw':
      return `# raw: ${exprsText(s.exprs).join(' ')}`;
  }
}

/**
 * The rule body as `nft list ruleset` prints it, comment last.
 * @example renderRule({ table, chain: 'input', statements: [saddr('10.0.0.0/8'), counter(), drop()], comment: 'x' })
 * // 'ip saddr 10.0.0.0/8 counter packets 0 bytes 0 drop comment "x"'
 */
export function renderRule(rule: Rule): string {
  const body = rule.statements.map((s) => renderStatement(s, rule.table.family));
  if (rule.comment !== undefined) body.push(`comment "${rule.comment}"`);
  return body.join(' ');
}
