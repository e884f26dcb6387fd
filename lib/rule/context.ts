// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The compile and decode contexts, and the protocol context both track while walking a rule
 * (which network and transport protocol earlier matches established), so that dependencies are
 * added and removed exactly where nft adds and removes them.
 */
import type { Family } from '../kernel';
import type { ElementsData, SetData } from '../native';
import type { NetProto } from './fields';

/** One anonymous set a rule needs: becomes one SetDesc (anonymous|constant[|interval]) and one ElementsDesc. */
export interface AnonSetRequest {
  /** SET_F.anonymous | SET_F.constant, plus SET_F.interval for ranges/prefixes. */
  readonly flags: number;
  readonly keyType: number;
  readonly keyLen: number;
  readonly dataType?: number;
  readonly dataLen?: number;
  readonly concat?: readonly number[];
  /**
   * NFTA_SET_USERDATA as nft writes it (NFTNL_UDATA_SET_KEYBYTEORDER): nft needs it to print
   * host-order keys such as interface names; pass it to SetDesc.userdata.
   */
  readonly userdata?: Uint8Array;
  /** nft sizes anonymous sets to their element count (NFTA_SET_DESC_SIZE = elements.count). */
  readonly elements: {
    readonly count: number;
    readonly keys: Uint8Array;
    readonly flags?: Uint32Array;
    readonly data?: Uint8Array;
    readonly dataLen?: number;
    readonly verdicts?: Int32Array;
    readonly chains?: ReadonlyArray<string | null>;
  };
}

/** What compileRule() needs from the transaction: the table family and a way to add anonymous sets. */
export interface CompileContext {
  readonly family: Family;
  /** Registers an anonymous set in the same batch; returns the name (`__set%d`) and batch id for the lookup. */
  anonSet(request: AnonSetRequest): { name: string; id: number };
}

/** What decodeRule() needs: the table family and the contents of the rule's anonymous sets. */
export interface DecodeContext {
  readonly family: Family;
  anonSet(name: string): { set: SetData; elements: ElementsData } | undefined;
}

/** Network/transport protocol established so far in a rule. */
export interface ProtoState {
  net: NetProto | undefined;
  l4: number | undefined;
}

/** The protocol state at the start of a rule: ip/ip6 tables imply their network protocol. */
export function initialProtoState(family: Family): ProtoState {
  return { net: family === 'ip' ? 'ip' : family === 'ip6' ? 'ip6' : undefined, l4: undefined };
}

/** Families whose tables need a network protocol dependency, and its form. */
export function netDependencyKind(family: Family): 'nfproto' | 'protocol' | 'none' | 'unsupported' {
  if (family === 'inet') return 'nfproto';
  if (family === 'bridge' || family === 'netdev') return 'protocol';
  if (family === 'ip' || family === 'ip6') return 'none';
  return 'unsupported';
}
