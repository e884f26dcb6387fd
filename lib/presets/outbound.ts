// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Tight outbound policy ("Linux firewall for a tight server"): the output chain drops by default
 * and allows only named destinations and services; replies come back through conntrack.
 */
import { accept, counter, ctState, daddr, drop, icmpv6Type, ip6Hoplimit, limit, log, l4proto, oifname, tcpDport, udpDport } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { JStatement as Statement } from '../nft/schema';
import { flagOrObject, objectList, optBool, optionsOf, portList, stringList } from './check';
import { DEFAULT_TABLE, PresetBuilder, type Preset, type RateOption } from './preset';

export interface OutboundOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** DNS resolvers (udp and tcp 53); true: any. @default [] */
  readonly dns?: readonly string[] | boolean;
  /** NTP servers (udp 123); true: any. @default [] */
  readonly ntp?: readonly string[] | boolean;
  /** HTTP and HTTPS (tcp 80, 443) to anywhere. @default false */
  readonly web?: boolean;
  /** Mail relay hosts (tcp 25, 465, 587). @default [] */
  readonly mailRelay?: readonly string[];
  /** Package repositories (tcp 80, 443 to these hosts only). @default [] */
  readonly repositories?: readonly string[];
  /** Named peers: any traffic to these hosts or subnets. @default [] */
  readonly peers?: readonly string[];
  /** Per-peer ports: new connections to these hosts on these ports only (guide 004's per-server rules). @default [] */
  readonly allow?: readonly { readonly to: readonly string[]; readonly tcp?: readonly (number | string)[]; readonly udp?: readonly (number | string)[] }[];
  /** Accept ICMP/ICMPv6 (ping, path MTU discovery, neighbour discovery). @default true */
  readonly icmp?: boolean;
  /**
   * With `icmp: false`: still let IPv6 neighbour discovery out (neighbour solicitations and
   * advertisements, router solicitations, hop limit 255). conntrack does not track them, so
   * without this rule the host cannot answer a neighbour solicitation and IPv6 stops working
   * altogether, which no IPv4 guide means by "filter outgoing packets". @default true
   */
  readonly neighborDiscovery?: boolean;
  /** Log what is dropped, rate-limited; false disables. @default { rate: 5, per: 'minute', burst: 5 } */
  readonly log?: (RateOption & { /** @default 'outbound drop: ' */ readonly prefix?: string }) | false;
}

const split = (a: readonly string[]) => [a.filter((x) => !x.includes(':')), a.filter((x) => x.includes(':'))].filter((x) => x.length > 0);

/**
 * Output default deny with the chosen exceptions. Every rule carries a counter and an
 * `outbound: …` comment.
 * @example outboundPolicy({ dns: ['192.0.2.53'], ntp: true, web: true, peers: ['198.51.100.7'] })
 */
export function outboundPolicy(options: OutboundOptions = {}): Preset {
  const o = optionsOf(options, 'outboundPolicy() options');
  for (const k of ['dns', 'ntp']) if (typeof o[k] !== 'boolean') stringList(o[k], `outboundPolicy() ${k}`);
  for (const k of ['mailRelay', 'repositories', 'peers']) stringList(o[k], `outboundPolicy() ${k}`);
  objectList(o.allow, 'outboundPolicy() allow').forEach((a, i) => {
    stringList(a.to, `outboundPolicy() allow[${i}].to`, { nonEmpty: true });
    portList(a.tcp, `outboundPolicy() allow[${i}].tcp`);
    portList(a.udp, `outboundPolicy() allow[${i}].udp`);
  });
  if (o.log !== false) flagOrObject(o.log, 'outboundPolicy() log');
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const out = b.chain('output', { type: 'filter', hook: 'output', priority: PRIORITY.filter, policy: 'drop' });
  b.rule(out, 'outbound: loopback', oifname('lo'), counter(), accept());
  b.rule(out, 'outbound: established', ctState('established', 'related'), counter(), accept());
  b.rule(out, 'outbound: invalid', ctState('invalid'), counter(), drop());
  optBool(o.neighborDiscovery, 'outboundPolicy() neighborDiscovery');
  if (options.icmp ?? true) b.rule(out, 'outbound: icmp', l4proto(['icmp', 'ipv6-icmp']), counter(), accept());
  else if (options.neighborDiscovery ?? true) {
    b.rule(out, 'outbound: nd', icmpv6Type(['nd-router-solicit', 'nd-neighbor-solicit', 'nd-neighbor-advert']), ip6Hoplimit(255), counter(), accept());
  }

  const to = (name: string, hosts: readonly string[] | boolean | undefined, ports: (Statement | Statement[])[]) => {
    if (!hosts || (Array.isArray(hosts) && hosts.length === 0)) return;
    const groups = hosts === true ? [undefined] : split(hosts as readonly string[]);
    for (const g of groups) {
      for (const p of ports) {
        const sts = Array.isArray(p) ? p : [p];
        b.rule(out, `outbound: ${name}`, ...(g ? [daddr(g)] : []), ...sts, counter(), accept());
      }
    }
  };
  to('dns', options.dns, [udpDport(53), tcpDport(53)]);
  to('ntp', options.ntp, [udpDport(123)]);
  to('web', options.web ?? false, [tcpDport([80, 443])]);
  to('mail relay', options.mailRelay, [tcpDport([25, 465, 587])]);
  to('repository', options.repositories, [tcpDport([80, 443])]);
  to('peer', options.peers, [[]]);
  for (const [i, a] of (options.allow ?? []).entries()) {
    const ports: Statement[] = [];
    if (a.tcp && a.tcp.length > 0) ports.push(tcpDport([...a.tcp]));
    if (a.udp && a.udp.length > 0) ports.push(udpDport([...a.udp]));
    to(`allow ${i}`, a.to, ports.length > 0 ? ports : [[]]);
  }

  const l = options.log ?? { rate: 5, per: 'minute' as const, burst: 5 };
  if (l !== false) b.final(out, 'outbound: log', limit({ rate: l.rate, per: l.per, burst: l.burst ?? 5 }), counter(), log({ prefix: l.prefix ?? 'outbound drop: ', level: 'warn' }));
  b.final(out, 'outbound: drop', counter(), drop());
  return b.build();
}
