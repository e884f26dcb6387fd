// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Test-side DelinearizeContext: the table's sets from the package's own set and element dumps
 * (lib/nft/objects.ts setFromData, lib/nft/elements.ts decodeElements), bound chains from the
 * chain dump's binding flag, interface names from `ip -j link` of the test's private network
 * namespace, and a listing of every rule through delinearizeRule.
 */
import { execFileSync } from 'node:child_process';
import type { Nftables } from '../../lib';
import type { ElementsData, RuleData, SetData } from '../../lib/native';
import { concatTypes, datatype, setInterfaceResolver } from '../../lib/nft/datatypes';
import { decodeElements } from '../../lib/nft/elements';
import { chainIsBinding, setFromData } from '../../lib/nft/objects';
import { delinearizeRule, familyName, type DelinearizeContext } from '../../lib/nft/delinearize';
import type { JRule, JSet, JSetFlag } from '../../lib/nft/schema';

const OBJ_TYPES: Readonly<Record<number, string>> = { 1: 'counter', 2: 'quota', 3: 'ct helper', 4: 'limit', 7: 'ct timeout', 8: 'secmark', 9: 'ct expectation', 10: 'synproxy' };

function typeName(id: number): string | string[] {
  const ts = concatTypes(id);
  if (ts && ts.length > 1) return ts.map((t) => t.name);
  if (ts && ts.length === 1) return (ts[0] as { name: string }).name;
  return datatype(id)?.name ?? 'integer';
}

/** A JSet from a set dump (enough for delinearize and element decoding). */
export function jsetOf(s: SetData, family: string): { set: JSet; anonymous: boolean; keyLen: number; dataLen?: number } {
  const flags: JSetFlag[] = [];
  if (s.flags & 0x2) flags.push('constant');
  if (s.flags & 0x4) flags.push('interval');
  if (s.flags & 0x10) flags.push('timeout');
  if (s.flags & 0x20) flags.push('dynamic');
  let map: string | string[] | undefined;
  if (s.flags & 0x40 && s.objType !== undefined) map = OBJ_TYPES[s.objType] ?? 'counter';
  else if (s.flags & 0x8 && s.dataType !== undefined) map = s.dataType === 0xffffff00 ? 'verdict' : typeName(s.dataType);
  const set: JSet = {
    family: family as JSet['family'],
    table: s.table,
    name: s.name,
    type: typeName(s.keyType),
    ...(map !== undefined ? { map } : {}),
    ...(flags.length ? { flags } : {}),
    ...(s.size !== undefined ? { size: s.size } : {}),
  };
  return { set, anonymous: (s.flags & 0x1) !== 0, keyLen: s.keyLen, ...(s.dataLen !== undefined ? { dataLen: s.dataLen } : {}) };
}

/** Interface index -> name in this network namespace. */
export function interfaceNames(): Map<number, string> {
  const out = new Map<number, string>();
  try {
    const links = JSON.parse(execFileSync('ip', ['-j', 'link'], { encoding: 'utf8' })) as { ifindex: number; ifname: string }[];
    for (const l of links) out.set(l.ifindex, l.ifname);
  } catch {
    // no iproute2: indexes stay numeric
  }
  return out;
}

export interface ListedRule {
  readonly rule: JRule;
  readonly undecoded: boolean;
  readonly why?: string;
  readonly data: RuleData;
}

/** Every rule of the ruleset, delinearized with sets from the package's own dumps. */
export async function listRulesJson(nft: Nftables): Promise<ListedRule[]> {
  const ifnames = interfaceNames();
  const sets = await nft.dump({ what: 'sets' });
  const byTable = new Map<string, Map<string, ReturnType<typeof jsetOf>>>();
  if (sets.what === 'sets') {
    for (const s of sets.items) {
      const fam = familyName(s.family);
      if (!fam) continue;
      let js: ReturnType<typeof jsetOf>;
      try {
        const d = setFromData(s);
        js = { set: d.set, anonymous: d.anonymous, keyLen: s.keyLen, ...(s.dataLen !== undefined ? { dataLen: s.dataLen } : {}) };
      } catch {
        js = jsetOf(s, fam);
      }
      let elements: ElementsData | undefined;
      try {
        const el = await nft.dump({ what: 'elements', family: s.family, table: s.table, set: s.name });
        if (el.what === 'elements') elements = el.items;
      } catch {
        elements = undefined;
      }
      if (elements) {
        try {
          js.set = { ...js.set, elem: decodeElements(js.set, elements) };
        } catch {
          // leave the set without elements
        }
      }
      const k = `${s.family} ${s.table}`;
      if (!byTable.has(k)) byTable.set(k, new Map());
      byTable.get(k)?.set(s.name, js);
    }
  }
  const chains = await nft.dump({ what: 'chains' });
  const bindings = new Set<string>();
  if (chains.what === 'chains') for (const c of chains.items) if (chainIsBinding(c)) bindings.add(`${c.family} ${c.table} ${c.name}`);
  const rules = await nft.dump({ what: 'rules' });
  if (rules.what !== 'rules') return [];
  const out: ListedRule[] = [];
  // bound chains (`jump { … }`): their rules print inside the rule that jumps
  const chainRules = new Map<string, RuleData[]>();
  for (const r of rules.items) {
    const k = `${r.family} ${r.table} ${r.chain}`;
    if (!chainRules.has(k)) chainRules.set(k, []);
    chainRules.get(k)?.push(r);
  }
  const ctxOf = (r: RuleData, fam: NonNullable<ReturnType<typeof familyName>>): DelinearizeContext => {
    const tsets = byTable.get(`${r.family} ${r.table}`);
    const ctx: DelinearizeContext = {
      family: fam,
      table: r.table,
      set: (name) => tsets?.get(name),
      ifname: (i) => ifnames.get(i),
      boundChain: (name) => {
        if (!bindings.has(`${r.family} ${r.table} ${name}`)) return undefined;
        return (chainRules.get(`${r.family} ${r.table} ${name}`) ?? []).map((x) => delinearizeRule(x, ctx).rule);
      },
    };
    return ctx;
  };
  setInterfaceResolver({ indexToName: (i) => ifnames.get(i), nameToIndex: (n) => [...ifnames].find(([, v]) => v === n)?.[0] });
  for (const r of rules.items) {
    const fam = familyName(r.family);
    if (!fam) continue;
    const d = delinearizeRule(r, ctxOf(r, fam));
    out.push({ rule: d.rule, undecoded: d.undecoded, ...(d.reason !== undefined ? { why: d.reason } : {}), data: r });
  }
  return out;
}
