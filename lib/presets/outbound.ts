// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Tight outbound policy ("Linux firewall for a tight server"): the output chain drops by default
 * and allows only named destinations and services; replies come back through conntrack.
 */
import { accept, counter, ctState, daddr, drop, limit, log, l4proto, oifname, tcpDport, udpDport } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { Statement } from '../rule/statement';
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
  /** Accept ICMP/ICMPv6 (ping, path MTU discovery, neighbour discovery). @default true */
  readonly icmp?: boolean;
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
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const out = b.chain('output', { type: 'filter', hook: 'output', priority: PRIORITY.filter, policy: 'drop' });
  b.rule(out, 'outbound: loopback', oifname('lo'), counter(), accept());
  b.rule(out, 'outbound: established', ctState('established', 'related'), counter(), accept());
  b.rule(out, 'outbound: invalid', ctState('invalid'), counter(), drop());
  if (options.icmp ?? true) b.rule(out, 'outbound: icmp', l4proto(['icmp', 'ipv6-icmp']), counter(), accept());

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

  const l = options.log ?? { rate: 5, per: 'minute' as const, burst: 5 };
  if (l !== false) b.rule(out, 'outbound: log', limit({ rate: l.rate, per: l.per, burst: l.burst ?? 5 }), counter(), log({ prefix: l.prefix ?? 'outbound drop: ', level: 'warn' }));
  b.rule(out, 'outbound: drop', counter(), drop());
  return b.build();
}
