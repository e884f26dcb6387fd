// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Shared state of one rule's compilation: the units produced so far, the protocol context, and
 * the dependency rules nft 1.0.6 applies (meta nfproto / meta protocol / meta l4proto).
 */
import type { Expr } from '../expr/registry';
import type { Family } from '../kernel';
import { META_KEY } from '../kernel';
import { uintBE } from './bytes';
import { initialProtoState, netDependencyKind, type CompileContext, type ProtoState } from './context';
import { typeError } from './errors';
import { X } from './exprs';
import { L4_NAMES, type NetProto } from './fields';

/**
 * A lowered statement. `pm` is a payload `==`/`!=` comparison with a plain value: nft 1.0.6 merges
 * adjacent ones into one load (`tcp sport 80 tcp dport 443` -> one 4-byte load and compare).
 */
export type Unit =
  | { readonly u: 'exprs'; readonly exprs: readonly Expr[] }
  | { u: 'pm'; base: number; offset: number; data: Uint8Array; op: 'eq' | 'neq' };

export class Lowering {
  readonly units: Unit[] = [];
  readonly proto: ProtoState;

  constructor(
    readonly family: Family,
    readonly ctx: CompileContext,
  ) {
    this.proto = initialProtoState(family);
  }

  emit(...exprs: Expr[]): void {
    this.units.push({ u: 'exprs', exprs });
  }

  /** Ensures the network protocol is known, adding nft's dependency match where needed. */
  requireNet(net: NetProto, where: string): void {
    if (this.proto.net === net) return;
    const dep = netDependencyKind(this.family);
    if (this.proto.net !== undefined || dep === 'none') {
      const got = dep === 'none' ? `an ${this.family} table` : `a rule already matching ${this.proto.net}`;
      throw typeError(`a table or rule context of protocol ${net}`, where, got);
    }
    if (dep === 'unsupported') throw typeError('an ip, ip6, inet, bridge or netdev table', where, `${this.family}`);
    if (dep === 'nfproto') this.emit(X.meta(META_KEY.nfproto), X.cmp('eq', uintBE(net === 'ip' ? 2 : 10, 1)));
    else this.emit(X.meta(META_KEY.protocol), X.cmp('eq', uintBE(net === 'ip' ? 0x0800 : 0x86dd, 2)));
    this.proto.net = net;
  }

  /** Ensures the transport protocol is known, adding `meta l4proto <p>` where needed. */
  requireL4(l4: number, where: string): void {
    if (this.proto.l4 === l4) return;
    if (this.proto.l4 !== undefined) {
      throw typeError(`a rule context of transport protocol ${L4_NAMES[l4] ?? l4}`, where, `a rule already matching ${L4_NAMES[this.proto.l4] ?? this.proto.l4}`);
    }
    if (this.family === 'arp') throw typeError('an ip, ip6, inet, bridge or netdev table', where, 'arp');
    this.emit(X.meta(META_KEY.l4proto), X.cmp('eq', uintBE(l4, 1)));
    this.proto.l4 = l4;
  }

  /** Records a protocol an explicit match established (`meta l4proto tcp`, `meta nfproto ipv6`). */
  establishNet(net: NetProto, where: string): void {
    if (this.proto.net !== undefined && this.proto.net !== net) {
      throw typeError(`a table or rule context of protocol ${net}`, where, `a rule already matching ${this.proto.net}`);
    }
    this.proto.net = net;
  }

  establishL4(l4: number): void {
    if (this.proto.l4 === undefined) this.proto.l4 = l4;
  }
}
