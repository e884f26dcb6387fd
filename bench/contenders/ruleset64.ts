// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The bench's 64-rule hardening ruleset (table inet fw: input policy drop, forward policy drop,
 * output), the same for every contender: the package builds it from these rules, the peers load
 * the nft text rendered from the same rules (renderRule), so both describe one ruleset.
 * Replacing it = one transaction: delete table inet fw, then the table, its chains and rules.
 */
import * as m from '../../lib/match';
import type { JRule, JStatement } from '../../lib/nft/schema';
import { renderRule } from '../../lib/nft/render';
import type { JsonRule } from '../../lib/transaction';

export const FW = { family: 'inet' as const, name: 'fw' };

export const CHAINS = [
  { name: 'input', hook: 'input' as const, policy: 'drop' as const },
  { name: 'forward', hook: 'forward' as const, policy: 'drop' as const },
  { name: 'output', hook: 'output' as const, policy: 'accept' as const },
];

/** 64 rules: loopback, conntrack, ICMP, SSH from management nets, services, drops of known-bad sources. */
export function hardeningRules(): JsonRule[] {
  const r = (chain: string, ...expr: JStatement[]): JsonRule => ({ family: FW.family, table: FW.name, chain, expr });
  const rules: JsonRule[] = [
    r('input', m.iifname('lo'), m.accept()),
    r('input', m.ctState('established', 'related'), m.counter(), m.accept()),
    r('input', m.ctState('invalid'), m.counter(), m.drop()),
    r('input', m.icmpType('echo-request'), m.limit({ rate: 5, per: 'second' }), m.accept()),
    r('input', m.icmpv6Type(['nd-neighbor-solicit', 'nd-neighbor-advert', 'nd-router-advert']), m.accept()),
    r('input', m.tcpDport(22), m.ctState('new'), m.limit({ rate: 10, per: 'minute' }), m.counter(), m.accept()),
    r('input', m.tcpDport([80, 443]), m.counter(), m.accept()),
    r('input', m.udpDport(53), m.accept()),
    r('input', m.tcpDport(53), m.accept()),
    r('input', m.udpDport(123), m.accept()),
  ];
  for (let i = 0; i < 8; i++) rules.push(r('input', m.ipSaddr(`10.${i}.0.0/16`), m.tcpDport(9100 + i), m.counter(), m.accept()));
  for (let i = 0; i < 16; i++) rules.push(r('input', m.ipSaddr(`192.0.2.${i + 1}`), m.counter(), m.drop()));
  for (let i = 0; i < 8; i++) rules.push(r('input', m.ip6Saddr(`2001:db8:${i}::/48`), m.counter(), m.drop()));
  for (let i = 0; i < 8; i++) rules.push(r('input', m.tcpDport(8000 + i), m.ipSaddr('198.51.100.0/24'), m.accept()));
  rules.push(r('input', m.log({ prefix: 'fw-in-drop ' }), m.counter()));
  rules.push(r('forward', m.ctState('established', 'related'), m.accept()));
  rules.push(r('forward', m.ctState('invalid'), m.drop()));
  for (let i = 0; i < 6; i++) rules.push(r('forward', m.iifname(`veth${i}`), m.oifname('uplink'), m.accept()));
  rules.push(r('forward', m.log({ prefix: 'fw-fwd-drop ' }), m.counter()));
  rules.push(r('output', m.oifname('lo'), m.accept()));
  rules.push(r('output', m.ctState('invalid'), m.drop()));
  for (let i = 0; i < 2; i++) rules.push(r('output', m.ipDaddr(`203.0.113.${i + 1}`), m.reject()));
  if (rules.length !== 64) throw new Error(`ruleset64: ${rules.length} rules`);
  return rules;
}

/** The same ruleset as nft text, preceded by `delete table inet fw` when `replace`. */
export function hardeningText(replace: boolean): string {
  const rules = hardeningRules();
  const out = [replace ? 'delete table inet fw' : '', 'table inet fw {'];
  for (const c of CHAINS) {
    out.push(`  chain ${c.name} {`, `    type filter hook ${c.hook} priority 0; policy ${c.policy};`);
    for (const rule of rules) if (rule.chain === c.name) out.push(`    ${renderRule(rule as JRule)}`);
    out.push('  }');
  }
  out.push('}', '');
  return out.join('\n');
}
