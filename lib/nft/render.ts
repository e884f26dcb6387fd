// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft's JSON model → nft text, exactly as `nft list ruleset` (nft 1.0.6) prints it
 * (table_print, chain_print, set_print, obj_print, flowtable_print in src/rule.c).
 *
 * Input is a document as `nft -j list ruleset` prints it, or any list of the same objects
 * (a listing made by this package). Objects are grouped by table in the order the tables
 * appear; within a table nft prints named objects, sets and maps, flowtables, then chains,
 * each chain with its rules in order. Everything the JSON model cannot express (nft 1.0.6
 * leaves out table and chain comments, `flags dynamic`, `auto-merge`, `typeof` and the devices
 * of a multi-device chain) cannot be printed either; see docs for the list.
 */
import { elementText, isObject, onlyKey, type JsonObject, type TypeHint } from './render-expr';
import { stmtText, type StatementContext } from './render-stmt';
import { byteUnit, elementsPerLine, formatTime, nonZero, quote } from './render-values';
import type { JRule, JSet, NftDocument, NftItem } from './schema';

export { renderExpr, renderElement, typeOf, renderMatch, type ExprContext, type TypeHint } from './render-expr';
export { renderStatement, renderStatementList, type StatementContext } from './render-stmt';
export { formatTime, byteUnit, elementsPerLine, formatScalar } from './render-values';

/** A document as `nft -j list ruleset` prints it, or a bare list of its items. */
export type RenderInput = NftDocument | readonly NftItem[];

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

// ---------------------------------------------------------------------------------------------
// Priorities (prio2str in src/rule.c)

const STD_PRIOS: ReadonlyArray<readonly [number, string]> = [
  [-300, 'raw'],
  [-150, 'mangle'],
  [-100, 'dstnat'],
  [0, 'filter'],
  [50, 'security'],
  [100, 'srcnat'],
];
const BRIDGE_PRIOS: ReadonlyArray<readonly [number, string]> = [
  [-300, 'dstnat'],
  [-200, 'filter'],
  [100, 'out'],
  [300, 'srcnat'],
];

function prioCompatible(prio: number, family: string, hook: string): boolean {
  if (family === 'bridge') {
    switch (prio) {
      case -300:
        return hook === 'prerouting';
      case -200:
        return true;
      case 100:
        return hook === 'output';
      case 300:
        return hook === 'postrouting';
      default:
        return false;
    }
  }
  const ipLike = family === 'inet' || family === 'ip' || family === 'ip6';
  switch (prio) {
    case 0:
      return ipLike || family === 'arp' || family === 'netdev';
    case -300:
    case -150:
    case 50:
      return ipLike;
    case -100:
      return ipLike && hook === 'prerouting';
    case 100:
      return ipLike && hook === 'postrouting';
    default:
      return false;
  }
}

/** A chain or flowtable priority as nft prints it: `filter`, `dstnat - 10`, `-500`. */
export function renderPriority(prio: number, family: string, hook: string): string {
  const table = family === 'bridge' ? BRIDGE_PRIOS : STD_PRIOS;
  for (const [value, name] of table) {
    if (Math.abs(prio - value) <= 10) {
      if (!prioCompatible(value, family, hook)) break;
      const off = prio - value;
      return off > 0 ? `${name} + ${off}` : off < 0 ? `${name} - ${-off}` : name;
    }
  }
  return String(prio);
}

// ---------------------------------------------------------------------------------------------
// Objects

interface TableGroup {
  readonly family: string;
  readonly name: string;
  table?: JsonObject;
  readonly objects: Array<{ kind: string; body: JsonObject }>;
  readonly sets: Array<{ kind: string; body: JsonObject }>;
  readonly flowtables: JsonObject[];
  readonly chains: JsonObject[];
  readonly rules: Map<string, JsonObject[]>;
}

const OBJECT_KINDS = ['counter', 'quota', 'limit', 'ct helper', 'ct timeout', 'ct expectation', 'synproxy', 'secmark'];

/** Prints the rule's statements and comment (the line nft prints for a rule, no indentation). */
export function renderRule(rule: JRule | { readonly rule: JRule }): string {
  return ruleText(rule);
}

function ruleText(rule: unknown, set?: StatementContext['set']): string {
  const r = isObject(rule) && isObject(rule.rule) ? rule.rule : rule;
  if (!isObject(r)) return '';
  const stmts: readonly unknown[] = Array.isArray(r.expr) ? r.expr : [];
  const family = typeof r.family === 'string' ? r.family : undefined;
  const ctx: StatementContext = { ...(family !== undefined ? { family } : {}), ...(set ? { set } : {}) };
  let s = stmts.map((st) => stmtText(st, ctx)).join(' ');
  if (typeof r.comment === 'string') s += `${s === '' ? '' : ' '}comment ${quote(r.comment)}`;
  return s;
}

function renderChain(c: JsonObject, rules: readonly JsonObject[], set?: StatementContext['set']): string {
  let s = `\tchain ${str(c.name)} {`;
  if (typeof c.comment === 'string') s += `\n\t\tcomment ${quote(c.comment)}`;
  s += '\n';
  if (c.type !== undefined && c.hook !== undefined) {
    const family = str(c.family);
    const hook = str(c.hook);
    s += `\t\ttype ${str(c.type)} hook ${hook}`;
    const devs = sortedDevices(list(c.dev));
    if (devs.length === 1) s += ` device ${quote(devs[0] ?? '')}`;
    else if (devs.length > 1) s += ` devices = { ${devs.join(', ')} }`;
    const prio = typeof c.prio === 'number' ? c.prio : Number(c.prio ?? 0);
    s += ` priority ${renderPriority(prio, family, hook)};`;
    if (c.policy !== undefined) s += ` policy ${str(c.policy)};`;
    if (list(c.flags).includes('offload')) s += ' flags offload;';
    s += '\n';
  }
  for (const r of rules) s += `\t\t${ruleText(r, set)}\n`;
  return `${s}\t}\n`;
}

function keyTypeOf(set: JsonObject): TypeHint {
  const t = set.type;
  if (Array.isArray(t)) return t.map(str);
  return t === undefined ? undefined : str(t);
}

function typeDecl(t: unknown): string {
  return Array.isArray(t) ? t.map(str).join(' . ') : str(t);
}

/** The `elements = { … }` list of a named set, wrapped as nft wraps it. */
export function renderSetElements(set: JSet): string {
  return setElementsText(set as unknown as JsonObject);
}

function setElementsText(set: JsonObject): string {
  const elems = Array.isArray(set.elem) ? set.elem : [];
  const keyType = keyTypeOf(set);
  // nft -j names a concatenated data type as one string (`ipv4_addr . inet_service`).
  const dataNames = Array.isArray(set.map) ? set.map.map(str) : set.map === undefined ? [] : str(set.map).split(' . ');
  const dataType: TypeHint = dataNames.length === 0 || set.map === 'verdict' ? undefined : dataNames.length === 1 ? dataNames[0] : dataNames;
  const perLine = elementsPerLine(Array.isArray(set.type) ? set.type.map(str) : str(set.type));
  let out = '{ ';
  let count = 0;
  elems.forEach((item, i) => {
    if (i > 0) {
      // calculate_delim: after `perLine` elements on one line, wrap.
      if (count < perLine) out += ', ';
      else {
        out += ',\n\t\t\t     ';
        count = 0;
      }
    }
    out += elementText(item, { type: keyType, dataType });
    count++;
  });
  return `${out} }`;
}

/** Whether a map's data are intervals (`: interval ipv4_addr`): seen from its elements' data. */
function hasIntervalData(set: JsonObject): boolean {
  if (!Array.isArray(set.elem)) return false;
  return set.elem.some((item) => {
    const pair = isObject(item) && isObject(item.elem) ? item.elem.val : item;
    if (!Array.isArray(pair) || pair.length !== 2) return false;
    const data: unknown = pair[1];
    const parts: unknown[] = isObject(data) && Array.isArray(data.concat) ? data.concat : [data];
    return parts.some((p) => isObject(p) && (p.range !== undefined || p.prefix !== undefined));
  });
}

/** nft sorts a chain's or flowtable's devices by name (strcmp: bytes) when it reads them (netlink.c). */
function sortedDevices(devs: readonly unknown[]): string[] {
  return devs.map(str).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
}

function renderSet(kind: string, set: JsonObject): string {
  const flags = list(set.flags);
  let s = `\t${kind} ${str(set.name)} {\n`;
  s += `\t\ttype ${typeDecl(set.type)}`;
  if (kind === 'map' && set.map !== undefined) {
    s += ` : ${hasIntervalData(set) ? 'interval ' : ''}${typeDecl(set.map)}`;
  }
  s += '\n';
  if (!flags.includes('constant')) {
    if (set.policy !== undefined && set.policy !== 'performance') s += `\t\tpolicy ${str(set.policy)}\n`;
    if (nonZero(set.size)) s += `\t\tsize ${str(set.size)}\n`;
  }
  // set_print_declaration: a default timeout makes the `timeout` flag redundant, so it alone
  // does not print the line; once the line prints (another flag), it names every flag.
  const shown = ['constant', 'dynamic', 'interval', 'timeout'].filter((f) => flags.includes(f));
  if (shown.some((f) => !(f === 'timeout' && nonZero(set.timeout)))) s += `\t\tflags ${shown.join(',')}\n`;
  if (Array.isArray(set.stmt) && set.stmt.length > 0) {
    s += `\t\t${set.stmt.map((st) => stmtText(st, { stateless: true })).join(' ')}\n`;
  }
  if (set['auto-merge'] === true) s += '\t\tauto-merge\n';
  if (nonZero(set.timeout)) s += `\t\ttimeout ${formatTime(set.timeout as number)}\n`;
  if (nonZero(set['gc-interval'])) s += `\t\tgc-interval ${formatTime(set['gc-interval'] as number)}\n`;
  if (typeof set.comment === 'string') s += `\t\tcomment ${quote(set.comment)}\n`;
  if (Array.isArray(set.elem) && set.elem.length > 0) s += `\t\telements = ${setElementsText(set)}\n`;
  return `${s}\t}\n`;
}

const CT_TIMEOUT_STATES: Readonly<Record<string, readonly string[]>> = {
  tcp: ['syn_sent', 'syn_recv', 'established', 'fin_wait', 'close_wait', 'last_ack', 'time_wait', 'close', 'syn_sent2', 'retrans', 'unacknowledged'],
  udp: ['unreplied', 'replied'],
};

function renderObject(kind: string, o: JsonObject): string {
  let s = `\t${kind} ${str(o.name)} {`;
  const comment = typeof o.comment === 'string' ? `\n\t\tcomment ${quote(o.comment)}` : '';
  s += comment;
  switch (kind) {
    case 'counter':
      s += `\n\t\tpackets ${str(o.packets ?? 0)} bytes ${str(o.bytes ?? 0)}\n`;
      break;
    case 'quota': {
      const b = byteUnit((o.bytes ?? 0) as number | bigint);
      s += `\n\t\t${o.inv === true ? 'over ' : ''}${b.value} ${b.unit}`;
      if (nonZero(o.used)) {
        const u = byteUnit(o.used as number | bigint);
        s += ` used ${u.value} ${u.unit}`;
      }
      s += '\n';
      break;
    }
    case 'secmark':
      s += `\n\t\t${quote(str(o.context))}\n`;
      break;
    case 'ct helper':
      s += `\n\t\ttype ${quote(str(o.type))} protocol ${str(o.protocol)}\n\t\tl3proto ${str(o.l3proto)}\n`;
      break;
    case 'ct timeout': {
      s += `\n\t\tprotocol ${str(o.protocol)}\n\t\tl3proto ${str(o.l3proto)}\n`;
      const pol = isObject(o.policy) ? o.policy : {};
      const order = CT_TIMEOUT_STATES[str(o.protocol)] ?? Object.keys(pol);
      const items = order.filter((st) => pol[st] !== undefined).map((st) => `${st} : ${str(pol[st])}`);
      s += `\t\tpolicy = { ${items.join(', ')} }\n`;
      break;
    }
    case 'ct expectation':
      s += `\n\t\tprotocol ${str(o.protocol)}\n\t\tdport ${str(o.dport)}\n\t\ttimeout ${formatMs(o.timeout)}\n\t\tsize ${str(o.size)}\n\t\tl3proto ${str(o.l3proto)}\n`;
      break;
    case 'limit': {
      const inv = o.inv === true ? 'over ' : '';
      if (o.rate_unit !== undefined) {
        s += `\n\t\trate ${inv}${str(o.rate)} ${str(o.rate_unit)}/${str(o.per)}`;
        if (nonZero(o.burst)) s += ` burst ${str(o.burst)} ${str(o.burst_unit ?? 'bytes')}`;
      } else {
        s += `\n\t\trate ${inv}${str(o.rate)}/${str(o.per)}`;
        if (nonZero(o.burst) && Number(o.burst) !== 5) s += ` burst ${str(o.burst)} packets`;
      }
      s += '\n';
      break;
    }
    case 'synproxy': {
      const flags = list(o.flags);
      if (o.mss !== undefined) s += `\n\t\tmss ${str(o.mss)}`;
      if (o.wscale !== undefined) s += `\n\t\twscale ${str(o.wscale)}`;
      if (flags.includes('timestamp') || flags.includes('sack-perm')) {
        s += `\n\t\t${flags.includes('timestamp') ? 'timestamp' : ''} ${flags.includes('sack-perm') ? 'sack-perm' : ''}`;
      }
      s += '\n';
      break;
    }
    default:
      s += '\n';
  }
  return `${s}\t}\n`;
}

/** ct expectation timeouts are milliseconds in nft's JSON (it prints the kernel value). */
function formatMs(v: unknown): string {
  const ms = BigInt(typeof v === 'number' || typeof v === 'bigint' ? v : 0);
  if (ms % 1000n === 0n) return formatTime(ms / 1000n);
  const secs = ms / 1000n;
  return `${secs > 0n ? formatTime(secs) : ''}${ms % 1000n}ms`;
}

function renderFlowtable(f: JsonObject): string {
  const hook = str(f.hook ?? 'ingress');
  const prio = typeof f.prio === 'number' ? f.prio : Number(f.prio ?? 0);
  let s = `\tflowtable ${str(f.name)} {\n\t\thook ${hook} priority ${renderPriority(prio, 'netdev', hook)}\n`;
  const devs = sortedDevices(list(f.dev));
  if (devs.length > 0) s += `\t\tdevices = { ${devs.join(', ')} }\n`;
  const flags = list(f.flags);
  if (flags.includes('offload')) s += '\t\tflags offload\n';
  if (flags.includes('counter') || f.counter === true) s += '\t\tcounter\n';
  return `${s}\t}\n`;
}

function renderTable(g: TableGroup): string {
  let s = `table ${g.family} ${g.name} {\n`;
  let delim = '';
  const t = g.table ?? {};
  const flags = list(t.flags);
  if (flags.length > 0) {
    s += `\tflags ${flags.join(',')}\n`;
    delim = '\n';
  }
  if (typeof t.comment === 'string') s += `\tcomment ${quote(t.comment)}\n`;
  const parts: string[] = [];
  for (const o of g.objects) parts.push(renderObject(o.kind, o.body));
  for (const set of g.sets) parts.push(renderSet(set.kind, set.body));
  for (const f of g.flowtables) parts.push(renderFlowtable(f));
  // map statements print their data as the map's data type
  const setOf = (name: string): JsonObject | undefined => g.sets.find((x) => str(x.body.name) === name)?.body;
  for (const c of g.chains) parts.push(renderChain(c, g.rules.get(str(c.name)) ?? [], setOf));
  for (const p of parts) {
    s += delim + p;
    delim = '\n';
  }
  return `${s}}\n`;
}

/** The object inside a command wrapper (`{ add: { table: … } }`) or the item itself. */
function unwrap(item: unknown): JsonObject | undefined {
  if (!isObject(item)) return undefined;
  const k = onlyKey(item);
  if (k === 'add' || k === 'create' || k === 'insert' || k === 'replace') {
    const inner = item[k];
    return isObject(inner) ? inner : undefined;
  }
  return item;
}

function isDocument(doc: RenderInput): doc is NftDocument {
  return !Array.isArray(doc);
}

/**
 * Prints a whole document (or a list of its items) as `nft list ruleset` prints that ruleset.
 * Metainfo and unknown items are skipped; rules of a chain that is not in the document are
 * printed under a chain declaration made from the rule's own fields.
 */
export function renderDocument(doc: RenderInput): string {
  const items: readonly unknown[] = isDocument(doc) ? doc.nftables : doc;
  const groups = new Map<string, TableGroup>();
  const group = (family: unknown, name: unknown): TableGroup => {
    const key = `${str(family)}\u0000${str(name)}`;
    let g = groups.get(key);
    if (!g) {
      g = { family: str(family), name: str(name), objects: [], sets: [], flowtables: [], chains: [], rules: new Map() };
      groups.set(key, g);
    }
    return g;
  };
  for (const raw of items) {
    const item = unwrap(raw);
    if (!item) continue;
    const k = onlyKey(item);
    if (k === undefined) continue;
    const body = item[k];
    if (!isObject(body)) continue;
    if (k === 'table') {
      group(body.family, body.name).table = body;
    } else if (k === 'chain') {
      const g = group(body.family, body.table);
      g.chains.push(body);
    } else if (k === 'rule') {
      const g = group(body.family, body.table);
      const chain = str(body.chain);
      if (!g.chains.some((c) => str(c.name) === chain)) g.chains.push({ family: body.family, table: body.table, name: chain });
      let rs = g.rules.get(chain);
      if (!rs) g.rules.set(chain, (rs = []));
      rs.push(body);
    } else if (k === 'set' || k === 'map' || k === 'meter') {
      group(body.family, body.table).sets.push({ kind: k, body });
    } else if (k === 'element') {
      // `add element` commands: their elements are listed in the set they go to.
      const g = group(body.family, body.table);
      const target = g.sets.find((x) => str(x.body.name) === str(body.name));
      const more = Array.isArray(body.elem) ? body.elem : body.elem === undefined ? [] : [body.elem];
      if (target) target.body = { ...target.body, elem: [...(Array.isArray(target.body.elem) ? target.body.elem : []), ...more] };
    } else if (k === 'flowtable') {
      group(body.family, body.table).flowtables.push(body);
    } else if (OBJECT_KINDS.includes(k)) {
      group(body.family, body.table).objects.push({ kind: k, body });
    }
  }
  let out = '';
  for (const g of groups.values()) out += renderTable(g);
  return out;
}
