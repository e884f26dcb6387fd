// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * NAT gateway (the masquerading router of the guides): LAN interfaces may go out through the WAN
 * interface, LAN subnets are masqueraded, port forwards DNAT from the WAN to LAN hosts with the
 * matching forward accept, and untrusted SSH sources can be redirected to a local honeypot.
 */
import { accept, counter, ctState, ctStatus, daddr, dnat, drop, iifname, masquerade, notLookup, oifname, redirect, saddr, tcpDport, udpDport } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import { DEFAULT_TABLE, PresetBuilder, type Preset } from './preset';

export interface PortForward {
  /** @default 'tcp' */
  readonly protocol?: 'tcp' | 'udp';
  /** Port on the WAN side. */
  readonly port: number;
  /** LAN host address. */
  readonly to: string;
  /** Port on the LAN host. @default port */
  readonly toPort?: number;
}

export interface NatGatewayOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** Trusted LAN interfaces, allowed to forward to the WAN. */
  readonly lan: readonly string[];
  /** The WAN interface. */
  readonly wan: string;
  /** LAN subnets masqueraded behind the WAN address (IPv4 and/or IPv6). */
  readonly lanSubnets: readonly string[];
  /** DNAT port forwards from the WAN. @default [] */
  readonly forwards?: readonly PortForward[];
  /**
   * Redirect SSH from sources not in the `ssh_trusted4` set (created by the preset) to a local
   * honeypot port. @default false
   */
  readonly honeypot?: { /** @default 22 */ readonly port?: number; readonly toPort: number; /** Initial trusted IPv4 sources. @default [] */ readonly trusted?: readonly string[] } | false;
}

/**
 * Forward chain (default drop) for trusted LAN interfaces, masquerade out of the WAN, DNAT port
 * forwards with their forward accept, and an optional SSH honeypot redirect. Rules carry a
 * counter and a `nat: …` comment. Returns the preset; `honeypot.trusted` are returned as
 * `trustedElements` for tx.addElements().
 * @example natGateway({ lan: ['eth1'], wan: 'eth0', lanSubnets: ['192.168.1.0/24'], forwards: [{ port: 8000, to: '192.168.1.10', toPort: 80 }] })
 */
export function natGateway(options: NatGatewayOptions): Preset & { readonly trustedElements: readonly string[] } {
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const wan = options.wan;
  const lan = [...options.lan];
  const fwd = b.chain('forward', { type: 'filter', hook: 'forward', priority: PRIORITY.filter, policy: 'drop' });
  const pre = b.chain('nat_prerouting', { type: 'nat', hook: 'prerouting', priority: PRIORITY.dstnat, policy: 'accept' });
  const post = b.chain('nat_postrouting', { type: 'nat', hook: 'postrouting', priority: PRIORITY.srcnat, policy: 'accept' });

  b.rule(fwd, 'nat: forward established', ctState('established', 'related'), counter(), accept());
  b.rule(fwd, 'nat: forward invalid', ctState('invalid'), counter(), drop());
  b.rule(fwd, 'nat: lan to wan', iifname(lan), oifname(wan), counter(), accept());

  for (const [i, f] of (options.forwards ?? []).entries()) {
    const port = (f.protocol ?? 'tcp') === 'tcp' ? tcpDport : udpDport;
    const toPort = f.toPort ?? f.port;
    b.rule(pre, `nat: port forward ${i}`, iifname(wan), port(f.port), counter(), dnat({ addr: f.to, port: toPort }));
    // The matching forward accept: only connections this DNAT created, to that host and port.
    b.rule(fwd, `nat: port forward ${i} accept`, iifname(wan), ctStatus('dnat'), daddr(f.to), port(toPort), counter(), accept());
  }

  const hp = options.honeypot;
  let trustedElements: readonly string[] = [];
  if (hp) {
    const set = b.set({ name: 'ssh_trusted4', key: 'ipv4_addr', flags: ['interval'] });
    trustedElements = [...(hp.trusted ?? [])];
    b.rule(pre, 'nat: ssh honeypot', iifname(wan), tcpDport(hp.port ?? 22), notLookup('ip saddr', set), counter(), redirect({ port: hp.toPort }));
  }

  for (const [i, fam] of [options.lanSubnets.filter((s) => !s.includes(':')), options.lanSubnets.filter((s) => s.includes(':'))].entries()) {
    if (fam.length === 0) continue;
    b.rule(post, `nat: masquerade ${i === 0 ? 'v4' : 'v6'}`, oifname(wan), saddr(fam), counter(), masquerade());
  }
  return { ...b.build(), trustedElements };
}
