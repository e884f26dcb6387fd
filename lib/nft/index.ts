// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The JSON model (nft's own JSON schema, libnftables-json(5) as nft 1.0.6 speaks it, made
 * lossless with nft 1.1.x's forms): types, documents in and out, the nft 1.0.6 projection,
 * listing, committing, rendering. See docs/json.md.
 */
export type * from './schema';
export { NFT_OBJECT_KINDS, isTypeof } from './schema';
export { nft106Object, nft106Rule, nft106Statement, nft106SetType } from './nft106';
export { parseJsonDocument, validateDocument, toJsonText, NFT_METAINFO, JSON_SCHEMA_VERSION, type JsonTextOptions } from './document';
export { buildDocument, type BuiltDocument, type BuiltOp, type KernelView, type ResetRequest, type IdSource } from './build';
export { assembleListing, type JsonListing, type RulesetDumps, type UndecodedRule } from './listing';
export { listJson, listJsonReport, commitJson, addJson, type JsonListFilter, type JsonRuleFilter, type ListedRule } from './api';
export { renderDocument, renderRule as renderJsonRule, renderStatement, renderExpr, renderElement } from './render';
