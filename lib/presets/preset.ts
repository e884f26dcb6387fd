// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * What every preset returns: ordinary model objects (tables, chains, sets, rules) that can be
 * inspected, extended, rendered as nft text and committed in one transaction. Presets compose by
 * concatenation: {@link composePresets} merges tables and chains by name and keeps rule order.
 */
import type { Chain, SetSpec, Table, TableRef } from '../model/types';
import type { JsonRule, ModelObject } from '../transaction';
import type { RateUnit } from '../rule/statement';
import type { JStatement, NftDocument } from '../nft/schema';
import { modelDocument } from '../model/json';
import { typeError } from '../rule/errors';

/**
 * A ruleset fragment: the objects a preset creates. Chains are kept regular-first, the order
 * presetObjects() creates them in, so renderRuleset(preset) lists them as nft will.
 */
export interface Preset {
  readonly tables: readonly Table[];
  readonly sets: readonly SetSpec[];
  readonly chains: readonly Chain[];
  /** Rules of the JSON model (`{ family, table, chain, expr, comment }`), in order. */
  readonly rules: readonly JsonRule[];
  /**
   * Insertion points: for each chain (`"<family> <table> <chain>"`), the comment of its first
   * final rule (the catch-all verdicts and logs at its end). {@link addRules} puts user rules
   * just before it, so they run before the preset's final verdicts.
   */
  readonly points?: Readonly<Record<string, string>>;
}

/** The table presets use when none is given: `table inet fw`. */
export const DEFAULT_TABLE: TableRef = { family: 'inet', name: 'fw' };

const tableKey = (t: TableRef): string => `${t.family} ${t.name}`;
const chainKey = (c: { table: TableRef; name: string }): string => `${tableKey(c.table)} ${c.name}`;
const ruleChainKey = (r: JsonRule): string => `${r.family} ${r.table} ${r.chain}`;

/**
 * Merges presets into one: tables, sets and chains with the same name are kept once (the first
 * definition wins; two different base-chain definitions of one chain are an error), rules are
 * concatenated in argument order.
 * @throws TypeError when two presets define the same chain with different hooks or policies.
 */
export function composePresets(...presets: readonly Preset[]): Preset {
  const tables = new Map<string, Table>();
  const sets = new Map<string, SetSpec>();
  const chains = new Map<string, Chain>();
  const rules: JsonRule[] = [];
  const seen = new Set<string>();
  const points: Record<string, string> = {};
  presets.forEach((p, i) => {
    if (typeof p !== 'object' || p === null || !Array.isArray(p.tables) || !Array.isArray(p.sets) || !Array.isArray(p.chains) || !Array.isArray(p.rules)) {
      throw typeError('a preset ({ tables, sets, chains, rules })', `composePresets() argument ${i}`, p);
    }
  });
  for (const p of presets) {
    for (const t of p.tables) if (!tables.has(tableKey(t))) tables.set(tableKey(t), t);
    for (const s of p.sets) if (!sets.has(chainKey(s))) sets.set(chainKey(s), s);
    for (const c of p.chains) {
      const prev = chains.get(chainKey(c));
      if (prev && JSON.stringify(prev.base ?? null) !== JSON.stringify(c.base ?? null)) {
        throw new TypeError(`Expected chain ${chainKey(c)} to be defined once, but two presets define it differently`);
      }
      if (!prev) chains.set(chainKey(c), c);
    }
    // The same rule from two presets (hostFirewall and natGateway both accept established
    // forwarded traffic) is kept once, where it first appears.
    for (const r of p.rules) {
      const k = ruleKey(r);
      if (seen.has(k)) continue;
      seen.add(k);
      rules.push(r);
    }
    for (const [k, v] of Object.entries(p.points ?? {})) if (!(k in points)) points[k] = v;
  }
  return { tables: [...tables.values()], sets: [...sets.values()], chains: chainOrder([...chains.values()]), rules, points };
}

const ruleKey = (r: JsonRule): string => `${ruleChainKey(r)} ${JSON.stringify(r.expr, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))}`;

/** A rule to add to a preset's chain: its statements (JSON model) and an optional comment. */
export interface ExtraRule {
  readonly expr: readonly JStatement[];
  readonly comment?: string;
}

/**
 * Adds rules to a chain of a preset at its insertion point: before the chain's final verdicts
 * (the catch-all rejects, logs and drops), or at the end of a chain that has none. Returns a new
 * preset; the chain must exist in it.
 * @example addRules(hostFirewall(), 'input', { expr: [saddr('192.0.2.7'), tcpDport(8443), counter(), accept()], comment: 'webui' })
 * @throws TypeError when the chain is not in the preset or a rule is not `{ expr, comment? }`.
 */
export function addRules(preset: Preset, chain: string, ...rules: readonly ExtraRule[]): Preset;
export function addRules(preset: Preset, chain: { readonly table: TableRef; readonly name: string }, ...rules: readonly ExtraRule[]): Preset;
export function addRules(preset: Preset, chain: string | { readonly table: TableRef; readonly name: string }, ...rules: readonly ExtraRule[]): Preset {
  if (typeof preset !== 'object' || preset === null || !Array.isArray(preset.rules) || !Array.isArray(preset.chains)) throw typeError('a preset', 'addRules() preset', preset);
  const target = typeof chain === 'string' ? preset.chains.find((c) => c.name === chain) : preset.chains.find((c) => chainKey(c) === chainKey(chain));
  if (!target) throw typeError(`the name of a chain of the preset (${preset.chains.map((c) => c.name).join(', ')})`, 'addRules() chain', chain);
  const added: JsonRule[] = rules.map((r, i) => {
    if (typeof r !== 'object' || r === null || !Array.isArray(r.expr)) throw typeError('a rule { expr: [statements], comment? }', `addRules() rules[${i}]`, r);
    return { family: target.table.family, table: target.table.name, chain: target.name, expr: [...r.expr], ...(r.comment !== undefined ? { comment: r.comment } : {}) };
  });
  const point = preset.points?.[chainKey(target)];
  const at = point === undefined ? -1 : preset.rules.findIndex((r) => ruleChainKey(r) === chainKey(target) && r.comment === point);
  const out = [...preset.rules];
  if (at < 0) out.push(...added);
  else out.splice(at, 0, ...added);
  return { ...preset, rules: out };
}

/**
 * Sends every `log` statement of a preset to an nflog group (`log prefix "…" group N`) instead of
 * the kernel log, keeping each prefix. Needed wherever the kernel log is not an option: inside a
 * network namespace other than the initial one the kernel log backend is silent unless the host
 * sets `net.netfilter.nf_log_all_netns=1`, so a containerised service reads its drop logs from the
 * group (ulogd2, `tcpdump -i nflog:N`). nflog has no log level: levels are dropped, flags too.
 * @example logToGroup(guides.simpleStateful({ … }), 5)
 * @throws RangeError when group is not an integer 0..65535 or queueThreshold not 0..65535.
 */
export function logToGroup(preset: Preset, group: number, options: { readonly queueThreshold?: number; readonly snaplen?: number } = {}): Preset {
  if (typeof preset !== 'object' || preset === null || !Array.isArray(preset.rules)) throw typeError('a preset', 'logToGroup() preset', preset);
  const u16 = (v: unknown, field: string): void => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`Expected an integer 0..65535 for ${field} but received ${String(v)}`);
  };
  u16(group, 'logToGroup() group');
  if (options.queueThreshold !== undefined) u16(options.queueThreshold, 'logToGroup() queueThreshold');
  if (options.snaplen !== undefined && (!Number.isInteger(options.snaplen) || options.snaplen < 0 || options.snaplen > 0xffffffff)) {
    throw new RangeError(`Expected an integer 0..4294967295 for logToGroup() snaplen but received ${String(options.snaplen)}`);
  }
  const isLog = (s: JStatement): s is { log: { prefix?: string } | null } => typeof s === 'object' && s !== null && 'log' in s;
  const rules = preset.rules.map((r: JsonRule): JsonRule => {
    const expr = r.expr ?? [];
    if (!expr.some(isLog)) return r;
    return {
      ...r,
      expr: expr.map((s: JStatement): JStatement => {
        if (!isLog(s)) return s;
        const prefix = s.log?.prefix;
        return {
          log: {
            ...(prefix !== undefined ? { prefix } : {}),
            group,
            ...(options.snaplen !== undefined ? { snaplen: options.snaplen } : {}),
            ...(options.queueThreshold !== undefined ? { 'queue-threshold': options.queueThreshold } : {}),
          },
        };
      }),
    };
  });
  return { ...preset, rules };
}

/** Regular chains (jump targets) first, then base chains: the order they must be created in. */
const chainOrder = (chains: readonly Chain[]): Chain[] => [...chains.filter((c) => c.base === undefined), ...chains.filter((c) => c.base !== undefined)];

/**
 * The preset's objects in an order the kernel accepts in one transaction: tables, sets, regular
 * chains (jump targets), base chains, then rules.
 * @example nft.commit(nft.transaction().addAll(presetObjects(hostFirewall())))
 */
export function presetObjects(p: Preset): ModelObject[] {
  return [...p.tables, ...p.sets, ...chainOrder(p.chains), ...p.rules];
}

/**
 * A preset as nft's JSON model: the document `nft -j -f` loads (and `nft -j list ruleset` would
 * print after committing it, handles and counters aside). `commitJson(presetDocument(p))` and
 * `tx.addAll(presetObjects(p))` commit the same ruleset.
 */
export function presetDocument(p: Preset): NftDocument {
  return modelDocument(presetObjects(p));
}

/** @internal Small builder shared by the presets. */
export class PresetBuilder {
  readonly tables: Table[] = [];
  readonly sets: SetSpec[] = [];
  readonly chains: Chain[] = [];
  readonly rules: JsonRule[] = [];
  readonly points: Record<string, string> = {};
  constructor(readonly table: TableRef) {
    this.tables.push({ family: table.family, name: table.name });
  }
  chain(name: string, base?: Chain['base']): string {
    this.chains.push(base ? { table: this.table, name, base } : { table: this.table, name });
    return name;
  }
  set(spec: Omit<SetSpec, 'table'>): string {
    this.sets.push({ table: this.table, ...spec });
    return spec.name;
  }
  rule(chain: string, comment: string, ...expr: JStatement[]): void {
    this.rules.push({ family: this.table.family, table: this.table.name, chain, expr, comment });
  }
  /** A final rule of its chain: the first one marks the chain's insertion point. */
  final(chain: string, comment: string, ...expr: JStatement[]): void {
    const k = chainKey({ table: this.table, name: chain });
    if (!(k in this.points)) this.points[k] = comment;
    this.rule(chain, comment, ...expr);
  }
  build(): Preset {
    return { tables: this.tables, sets: this.sets, chains: chainOrder(this.chains), rules: this.rules, points: this.points };
  }
}

/**
 * Expresses "at most `count` per `seconds`" as a token bucket nft can run: a rate with a whole
 * number per unit and a burst of `count` (iptables' `recent --hitcount` sliding window has no
 * nft equivalent; the bucket admits `count` at once, then one every seconds/count).
 */
export function windowRate(count: number, seconds: number): { rate: number; per: RateUnit; burst: number } {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`Expected a positive integer for windowRate() count but received ${String(count)}`);
  if (!(seconds > 0)) throw new RangeError(`Expected a positive number for windowRate() seconds but received ${String(seconds)}`);
  const units: [RateUnit, number][] = [['second', 1], ['minute', 60], ['hour', 3600], ['day', 86400], ['week', 604800]];
  for (const [per, s] of units) {
    const rate = (count * s) / seconds;
    if (Number.isInteger(rate) && rate >= 1) return { rate, per, burst: count };
  }
  const rate = Math.max(1, Math.round((count * 604800) / seconds));
  return { rate, per: 'week', burst: count };
}

/** Rate limit option shared by presets: `{ rate: 5, per: 'second', burst: 10 }`. */
export interface RateOption {
  readonly rate: number;
  readonly per: RateUnit;
  /** @default 5 */
  readonly burst?: number;
}
