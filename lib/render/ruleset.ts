// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Renders model objects as `nft` syntax, laid out as `nft list ruleset` prints them: per table,
 * named objects, then sets and maps, then chains with their rules.
 */
import type { Family, Hook } from '../kernel';
import type { ElementInfo, KeyValue } from '../model/elements';
import type { Chain, ObjectSpec, Rule, SetSpec, Table, TableRef } from '../model/types';
import { renderDocument, renderRule } from '../nft/render';
import type { JRule, NftDocument } from '../nft/schema';
import { tableOf } from '../transaction';

const ruleLine = (r: Rule): string => renderRule(r as JRule);

export interface RenderInput {
  readonly tables: readonly Table[];
  readonly chains?: readonly Chain[];
  readonly sets?: readonly SetSpec[];
  readonly objects?: readonly ObjectSpec[];
  /** Rules (nft's JSON model). */
  readonly rules?: readonly Rule[];
  /** Elements to show inside set blocks, keyed `family table set`. */
  readonly elements?: ReadonlyMap<string, readonly ElementInfo[]>;
}

const STD_PRIOS: ReadonlyArray<readonly [string, number]> = [
  ['raw', -300],
  ['mangle', -150],
  ['dstnat', -100],
  ['filter', 0],
  ['security', 50],
  ['srcnat', 100],
];
const BRIDGE_PRIOS: ReadonlyArray<readonly [string, number]> = [
  ['dstnat', -300],
  ['filter', -200],
  ['out', 100],
  ['srcnat', 300],
];

function prioCompatible(name: string, family: Family, hook: Hook): boolean {
  if (family === 'netdev' || family === 'arp') return name === 'filter';
  if (family === 'bridge') {
    if (name === 'dstnat') return hook === 'prerouting';
    if (name === 'out') return hook === 'output';
    if (name === 'srcnat') return hook === 'postrouting';
    return true;
  }
  if (name === 'dstnat') return hook === 'prerouting' || hook === 'output';
  if (name === 'srcnat') return hook === 'postrouting' || hook === 'input';
  return true;
}

/** A chain priority as nft prints it: a standard name, a name with an offset up to 10, or the number. */
export function renderPriority(family: Family, hook: Hook, prio: number): string {
  const table = family === 'bridge' ? BRIDGE_PRIOS : family === 'netdev' || family === 'arp' ? [['filter', 0] as const] : STD_PRIOS;
  for (const [name, value] of table) {
    if (!prioCompatible(name, family, hook)) continue;
    const off = prio - value;
    if (off === 0) return name;
    if (Math.abs(off) <= 10) return `${name} ${off > 0 ? '+' : '-'} ${Math.abs(off)}`;
  }
  return String(prio);
}

/** Milliseconds as nft prints durations: 1d2h3m4s5ms. */
export function renderDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms);
  for (const [unit, size] of [
    ['d', 86400000],
    ['h', 3600000],
    ['m', 60000],
    ['s', 1000],
  ] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join('');
}

const q = (s: string) => JSON.stringify(s);
const sameTable = (a: TableRef, b: TableRef) => a.family === b.family && a.name === b.name;

function renderKey(v: KeyValue | readonly KeyValue[]): string {
  return Array.isArray(v) ? v.map((x) => renderScalar(x)).join(' . ') : renderScalar(v as KeyValue);
}
function renderScalar(v: KeyValue): string {
  return typeof v === 'number' ? String(v) : /^[A-Za-z0-9_.:/\-*]+$/.test(v) ? v : q(v);
}

function renderElement(e: ElementInfo): string {
  let s = renderKey(e.key);
  if (e.timeoutMs !== undefined) s += ` timeout ${renderDuration(e.timeoutMs)}`;
  if (e.comment !== undefined) s += ` comment ${q(e.comment)}`;
  if (e.value !== undefined) s += ` : ${renderScalar(e.value)}`;
  return s;
}

export function renderSet(s: SetSpec, elements?: readonly ElementInfo[], indent = '\t'): string {
  const i2 = indent + '\t';
  const key = typeof s.key === 'string' ? s.key : s.key.join(' . ');
  const lines = [`${indent}${s.map ? 'map' : 'set'} ${s.name} {`, `${i2}type ${key}${s.map ? ` : ${s.map}` : ''}`];
  if (s.policy === 'memory') lines.push(`${i2}policy memory`);
  if (s.size !== undefined) lines.push(`${i2}size ${s.size}`);
  const flags = [...new Set(s.flags ?? [])];
  const order = ['constant', 'dynamic', 'interval', 'timeout'] as const;
  const shown = order.filter((f) => flags.includes(f) && !(f === 'timeout' && s.timeoutMs !== undefined));
  if (shown.length > 0) lines.push(`${i2}flags ${shown.join(',')}`);
  if (s.counter) lines.push(`${i2}counter`);
  if (s.autoMerge) lines.push(`${i2}auto-merge`);
  if (s.timeoutMs !== undefined) lines.push(`${i2}timeout ${renderDuration(s.timeoutMs)}`);
  if (s.gcIntervalMs !== undefined) lines.push(`${i2}gc-interval ${renderDuration(s.gcIntervalMs)}`);
  if (s.comment !== undefined) lines.push(`${i2}comment ${q(s.comment)}`);
  if (elements && elements.length > 0) lines.push(`${i2}elements = { ${elements.map(renderElement).join(', ')} }`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

const BYTE_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['gbytes', 1024n ** 3n],
  ['mbytes', 1024n ** 2n],
  ['kbytes', 1024n],
];
function renderBytes(n: bigint): string {
  for (const [unit, size] of BYTE_UNITS) if (n >= size && n % size === 0n) return `${n / size} ${unit}`;
  return `${n} bytes`;
}
function renderRate(rate: number): string {
  for (const [unit, size] of BYTE_UNITS) if (BigInt(rate) >= size && BigInt(rate) % size === 0n) return `${BigInt(rate) / size} ${unit}`;
  return `${rate} bytes`;
}

export function renderObject(o: ObjectSpec, indent = '\t'): string {
  const i2 = indent + '\t';
  const lines = [`${indent}${o.type} ${o.name} {`];
  if (o.comment !== undefined) lines.push(`${i2}comment ${q(o.comment)}`);
  switch (o.type) {
    case 'counter':
      lines.push(`${i2}packets ${o.packets ?? 0n} bytes ${o.bytes ?? 0n}`);
      break;
    case 'quota':
      lines.push(`${i2}${o.over ? 'over ' : ''}${renderBytes(o.bytes)}${o.used ? ` used ${renderBytes(o.used)}` : ''}`);
      break;
    case 'limit': {
      const bytes = o.unit === 'bytes';
      const burst = o.burst ?? (bytes ? 0 : 5);
      const showBurst = bytes ? burst !== 0 : burst !== 5;
      lines.push(`${i2}rate ${o.over ? 'over ' : ''}${bytes ? renderRate(o.rate) : o.rate}/${o.per}${showBurst ? ` burst ${bytes ? renderRate(burst) : burst}${bytes ? '' : ' packets'}` : ''}`);
      break;
    }
  }
  lines.push(`${indent}}`);
  return lines.join('\n');
}

export function renderChain(c: Chain, rules: readonly Rule[] = [], indent = '\t'): string {
  const i2 = indent + '\t';
  const lines = [`${indent}chain ${c.name} {`];
  if (c.comment !== undefined) lines.push(`${i2}comment ${q(c.comment)}`);
  const b = c.base;
  if (b) {
    const devs = b.devices ?? [];
    const dev = devs.length === 1 ? ` device ${q(devs[0] as string)}` : devs.length > 1 ? ` devices = { ${devs.join(', ')} }` : '';
    lines.push(`${i2}type ${b.type} hook ${b.hook}${dev} priority ${renderPriority(c.table.family, b.hook, b.priority)}; policy ${b.policy ?? 'accept'};`);
  }
  for (const r of rules) lines.push(`${i2}${ruleLine(r)}`);
  lines.push(`${indent}}`);
  return lines.join('\n');
}

/**
 * Renders a listing (the document listRuleset() returns: exactly as `nft list ruleset` prints
 * it), or tables with their objects, sets, chains and rules (a preset's), as one `nft -f` file.
 */
export function renderRuleset(input: RenderInput | NftDocument): string {
  if ('nftables' in input) return renderDocument(input);
  const out: string[] = [];
  for (const t of input.tables) {
    const blocks: string[] = [];
    const head: string[] = [];
    if (t.comment !== undefined) head.push(`\tcomment ${q(t.comment)}`);
    const flags = [t.dormant ? 'dormant' : '', t.owner ? 'owner' : '', t.persist ? 'persist' : ''].filter(Boolean);
    if (flags.length > 0) head.push(`\tflags ${flags.join(',')}`);
    for (const o of input.objects ?? []) if (sameTable(o.table, t)) blocks.push(renderObject(o));
    for (const s of input.sets ?? []) if (sameTable(s.table, t)) blocks.push(renderSet(s, input.elements?.get(`${t.family} ${t.name} ${s.name}`)));
    for (const c of input.chains ?? []) {
      if (!sameTable(c.table, t)) continue;
      blocks.push(renderChain(c, (input.rules ?? []).filter((r) => sameTable(tableOf(r), t) && r.chain === c.name)));
    }
    const body = [head.join('\n'), blocks.join('\n\n')].filter((x) => x !== '').join('\n');
    out.push(`table ${t.family} ${t.name} {${body ? `\n${body}` : ''}\n}`);
  }
  return out.join('\n') + '\n';
}
