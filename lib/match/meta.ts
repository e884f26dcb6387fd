// SPDX-License-Identifier: GPL-2.0-or-later
/** Meta and conntrack matches: interfaces, packet type, marks, ct state/status/direction/mark. */
import type { FlagsStatement, MatchOp, MatchStatement } from '../rule/statement';
import { match, type ValueInput } from './value';

/** `iifname "lo"`, `iifname "veth*"` (prefix), `iifname { "eth0", "eth1" }`. */
export const iifname = (v: ValueInput, op?: MatchOp): MatchStatement => match('iifname', v, op);
/** `oifname "eth0"` */
export const oifname = (v: ValueInput, op?: MatchOp): MatchStatement => match('oifname', v, op);
/** `iif <ifindex>`: numeric; breaks when the interface is re-created (prefer iifname). */
export const iif = (v: ValueInput, op?: MatchOp): MatchStatement => match('iif', v, op);
/** `oif <ifindex>` */
export const oif = (v: ValueInput, op?: MatchOp): MatchStatement => match('oif', v, op);
/** `meta pkttype broadcast` */
export const pkttype = (v: ValueInput, op?: MatchOp): MatchStatement => match('meta pkttype', v, op);
/** `meta mark 0x00000001` */
export const metaMark = (v: ValueInput, op?: MatchOp): MatchStatement => match('meta mark', v, op);
/** `ct mark 0x00000010` */
export const ctMark = (v: ValueInput, op?: MatchOp): MatchStatement => match('ct mark', v, op);
/** `ct direction original|reply` */
export const ctDirection = (v: 'original' | 'reply', op?: MatchOp): MatchStatement => match('ct direction', v, op);

type CtStateName = 'invalid' | 'established' | 'related' | 'new' | 'untracked';
/** `ct state established,related` (any of the states). */
export const ctState = (...states: CtStateName[]): FlagsStatement => ({ kind: 'flags', field: 'ct state', values: states });
/** `ct state != established`: exact comparison with the given bits (nft: cmp neq, no mask). */
export const ctStateNot = (...states: CtStateName[]): FlagsStatement => ({ kind: 'flags', field: 'ct state', op: '!=', values: states });
/** `ct status dnat` (any of). */
export const ctStatus = (...status: ('expected' | 'seen-reply' | 'assured' | 'confirmed' | 'snat' | 'dnat' | 'dying')[]): FlagsStatement => ({
  kind: 'flags',
  field: 'ct status',
  values: status,
});
