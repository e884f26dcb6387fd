// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * NAT gateway (the masquerading router of the guides): LAN interfaces may go out through the WAN
 * interface, LAN subnets are masqueraded, port forwards DNAT from the WAN to LAN hosts with the
 * matching forward accept, and untrusted SSH sources can be redirected to a local honeypot.
 */
import { accept, counter, ctState, ctStatus, daddr, dnat, drop, iifname, jump, masquerade, nfproto, notLookup, oifname, redirect, reject, saddr, tcpDport, udpDport } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import { flagOrObject, objectList, optionsOf, optOneOf, port, str, stringList } from './check';
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
  readonly honeypot?:
    | {
        /** @default 22 */
        readonly port?: number;
        readonly toPort: number;
        /** The honeypot on another host (DNAT to `to:toPort`, with its forward accept); omitted: a local port (redirect). */
        readonly to?: string;
        /** Initial trusted IPv4 sources. @default [] */
        readonly trusted?: readonly string[];
      }
    | false;
  /**
   * Guide 002's FORWARD: established/related accepted, then `jump fw-interfaces` (one accept per
   * LAN interface) and `jump fw-open` (one accept per port forward, by destination and port, no
   * `ct status dnat`), then reject with this ICMP type (`host-unreachable`). @default false (one flat forward chain)
   */
  readonly guideChains?: { readonly interfaces?: string; readonly open?: string; readonly rejectWith?: string } | false;
}

/**
 * Forward chain (default drop) for trusted LAN interfaces, masquerade out of the WAN, DNAT port
 * forwards with their forward accept, and an optional SSH honeypot redirect. Rules carry a
 * counter and a `nat: …` comment. Returns the preset; `honeypot.trusted` are returned as
 * `trustedElements` for tx.addElements().
 * @example natGateway({ lan: ['eth1'], wan: 'eth0', lanSubnets: ['192.168.1.0/24'], forwards: [{ port: 8000, to: '192.168.1.10', toPort: 80 }] })
 */
export function natGateway(options: NatGatewayOptions): Preset & { readonly trustedElements: readonly string[] } {
  const o = optionsOf(options ?? null, 'natGateway() options');
  stringList(o.lan, 'natGateway() lan', { nonEmpty: true });
  str(o.wan, 'natGateway() wan');
  stringList(o.lanSubnets, 'natGateway() lanSubnets', { nonEmpty: true });
  objectList(o.forwards, 'natGateway() forwards').forEach((f, i) => {
    optOneOf(f.protocol, ['tcp', 'udp'], `natGateway() forwards[${i}].protocol`);
    port(f.port, `natGateway() forwards[${i}].port`);
    str(f.to, `natGateway() forwards[${i}].to`);
    if (f.toPort !== undefined) port(f.toPort, `natGateway() forwards[${i}].toPort`);
  });
  const hpo = flagOrObject(o.honeypot, 'natGateway() honeypot');
  if (hpo) {
    port(hpo.toPort, 'natGateway() honeypot.toPort');
    if (hpo.to !== undefined) str(hpo.to, 'natGateway() honeypot.to');
  }
  flagOrObject(o.guideChains, 'natGateway() guideChains');
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const wan = options.wan;
  const lan = [...options.lan];
  const fwd = b.chain('forward', { type: 'filter', hook: 'forward', priority: PRIORITY.filter, policy: 'drop' });
  const pre = b.chain('nat_prerouting', { type: 'nat', hook: 'prerouting', priority: PRIORITY.dstnat, policy: 'accept' });
  const post = b.chain('nat_postrouting', { type: 'nat', hook: 'postrouting', priority: PRIORITY.srcnat, policy: 'accept' });

  const gc = options.guideChains;
  const fwIf = gc ? b.chain(gc.interfaces ?? 'fw-interfaces') : '';
  const fwOpen = gc ? b.chain(gc.open ?? 'fw-open') : '';
  b.rule(fwd, 'nat: forward established', ctState('established', 'related'), counter(), accept());
  if (gc) {
    b.rule(fwd, 'nat: to fw-interfaces', counter(), jump(fwIf));
    b.rule(fwd, 'nat: to fw-open', counter(), jump(fwOpen));
    b.final(fwd, 'nat: forward reject', nfproto('ipv4'), counter(), reject({ icmp: gc.rejectWith ?? 'host-unreachable' }));
    for (const [i, ifc] of lan.entries()) b.rule(fwIf, `nat: interface ${i}`, iifname(ifc), counter(), accept());
  } else {
    b.rule(fwd, 'nat: forward invalid', ctState('invalid'), counter(), drop());
    b.rule(fwd, 'nat: lan to wan', iifname(lan), oifname(wan), counter(), accept());
  }

  for (const [i, f] of (options.forwards ?? []).entries()) {
    const port = (f.protocol ?? 'tcp') === 'tcp' ? tcpDport : udpDport;
    const toPort = f.toPort ?? f.port;
    b.rule(pre, `nat: port forward ${i}`, iifname(wan), port(f.port), counter(), dnat({ addr: f.to, port: toPort }));
    if (gc) b.rule(fwOpen, `nat: port forward ${i} open`, daddr(f.to), port(toPort), counter(), accept());
    // The matching forward accept: only connections this DNAT created, to that host and port.
    else b.rule(fwd, `nat: port forward ${i} accept`, iifname(wan), ctStatus('dnat'), daddr(f.to), port(toPort), counter(), accept());
  }

  const hp = options.honeypot;
  let trustedElements: readonly string[] = [];
  if (hp) {
    const set = b.set({ name: 'ssh_trusted4', key: 'ipv4_addr', flags: ['interval'] });
    trustedElements = [...(hp.trusted ?? [])];
    if (hp.to === undefined) b.rule(pre, 'nat: ssh honeypot', iifname(wan), tcpDport(hp.port ?? 22), notLookup('ip saddr', set), counter(), redirect({ port: hp.toPort }));
    else {
      b.rule(pre, 'nat: ssh honeypot', iifname(wan), tcpDport(hp.port ?? 22), notLookup('ip saddr', set), counter(), dnat({ addr: hp.to, port: hp.toPort }));
      b.rule(fwd, 'nat: ssh honeypot accept', iifname(wan), ctStatus('dnat'), daddr(hp.to), tcpDport(hp.toPort), counter(), accept());
    }
  }

  for (const [i, fam] of [options.lanSubnets.filter((s) => !s.includes(':')), options.lanSubnets.filter((s) => s.includes(':'))].entries()) {
    if (fam.length === 0) continue;
    b.rule(post, `nat: masquerade ${i === 0 ? 'v4' : 'v6'}`, oifname(wan), saddr(fam), counter(), masquerade());
  }
  return { ...b.build(), trustedElements };
}
