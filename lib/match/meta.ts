// SPDX-License-Identifier: GPL-2.0-or-later
/** Meta and conntrack matches: interfaces, packet type, marks, ct state/status/direction/mark. */
import type { MatchOp } from '../rule/statement';
import type { JMatchStmt } from '../nft/schema';
import { flagList } from './flags';
import { match, type ValueInput } from './value';

/** `iifname "lo"`, `iifname "veth*"` (prefix), `iifname { "eth0", "eth1" }`. */
export const iifname = (v: ValueInput, op?: MatchOp): JMatchStmt => match('iifname', v, op);
/** `oifname "eth0"` */
export const oifname = (v: ValueInput, op?: MatchOp): JMatchStmt => match('oifname', v, op);
/** `iif <ifindex>`: numeric (nft lists it by name); breaks when the interface is re-created (prefer iifname). */
export const iif = (v: ValueInput, op?: MatchOp): JMatchStmt => match('iif', v, op);
/** `oif <ifindex>` */
export const oif = (v: ValueInput, op?: MatchOp): JMatchStmt => match('oif', v, op);
/** `meta pkttype broadcast` */
export const pkttype = (v: ValueInput, op?: MatchOp): JMatchStmt => match('meta pkttype', v, op);
/** `meta mark 0x00000001` */
export const metaMark = (v: ValueInput, op?: MatchOp): JMatchStmt => match('meta mark', v, op);
/** `ct mark 0x00000010` */
export const ctMark = (v: ValueInput, op?: MatchOp): JMatchStmt => match('ct mark', v, op);
/** `ct direction original|reply` */
export const ctDirection = (v: 'original' | 'reply', op?: MatchOp): JMatchStmt => match('ct direction', v, op);

type CtStateName = 'invalid' | 'established' | 'related' | 'new' | 'untracked';
type CtStatusName = 'expected' | 'seen-reply' | 'assured' | 'confirmed' | 'snat' | 'dnat' | 'dying';

/** `ct state established,related` (any of the states; listed in bit order, as nft lists them). */
export const ctState = (...states: CtStateName[]): JMatchStmt => ({ match: { op: 'in', left: { ct: { key: 'state' } }, right: flagList('ct state', states, 'ctState()') } });
/** `ct state != established`: exact comparison with the given bits (nft: cmp neq, no mask). */
export const ctStateNot = (...states: CtStateName[]): JMatchStmt => ({ match: { op: '!=', left: { ct: { key: 'state' } }, right: flagList('ct state', states, 'ctStateNot()') } });
/** `ct status dnat` (any of). */
export const ctStatus = (...status: CtStatusName[]): JMatchStmt => ({ match: { op: 'in', left: { ct: { key: 'status' } }, right: flagList('ct status', status, 'ctStatus()') } });
