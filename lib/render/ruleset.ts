// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Renders model objects as `nft` syntax, exactly as `nft list ruleset` prints them: a listing
 * (nft's JSON document) as it is, and the typed shorthand (a preset's tables, chains and sets)
 * through nft's JSON model (lib/model/json.ts), so that one renderer, checked against nft on
 * its own test rulesets, prints everything.
 */
import { modelDocument } from '../model/json';
import type { Chain, ObjectSpec, Rule, SetSpec, Table } from '../model/types';
import { renderDocument } from '../nft/render';
import type { JChain, JSet, JTable, NftDocument, NftObject } from '../nft/schema';

/** Objects to render, by kind (a preset is one): the typed shorthand or nft's JSON objects. */
export interface RenderInput {
  readonly tables: readonly (Table | JTable)[];
  readonly chains?: readonly (Chain | JChain)[];
  readonly sets?: readonly (SetSpec | JSet)[];
  readonly objects?: readonly (ObjectSpec | NftObject)[];
  /** Rules (nft's JSON model). */
  readonly rules?: readonly Rule[];
}

/**
 * Renders a listing (the document listRuleset() returns), or tables with their objects, sets,
 * chains and rules (a preset's), as one `nft -f` file, laid out as `nft list ruleset` prints it:
 * per table, named objects, then sets and maps, then chains with their rules.
 */
export function renderRuleset(input: RenderInput | NftDocument): string {
  if ('nftables' in input) return renderDocument(input);
  return renderDocument(modelDocument([...input.tables, ...(input.objects ?? []), ...(input.sets ?? []), ...(input.chains ?? []), ...(input.rules ?? [])]));
}
