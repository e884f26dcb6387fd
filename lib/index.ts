// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nftables: program the Linux nftables firewall in-process over netlink.
 * Public surface: explicit named exports only.
 */
export { Nftables, type OpenOptions, type CommitOptions, type RuleCounter, type ListedTable, type ListedChain, type ListedSet, type ListedObject, type SetRef } from './nftables';
export { Transaction, PreparedRule, prepareRule, isJsonRule, modelKind, type JsonObject, type AnyRule, type CommitResult, type JsonRule, type JsonRuleOptions, type ModelObject, type RuleOptions } from './transaction';
export { NftError, isNftError, type OpFailure } from './errors';
export { RuleCounters, ratesBetween, sampleRates, type CounterFilter, type ObjectCounter, type RateOptions, type RateSample, type RuleRate } from './counters';
export { Monitor, type MonitorEvent, type MonitorOptions, type MonitorTransaction, type RulesetChange, type TraceEvent, type LostEvent } from './monitor';
export { GenerationConflictError, isGenerationConflict, type RetryOptions } from './generation';
export { PRIORITY } from './model/types';
/** NFPROTO_* family numbers (e.g. for `prepareElements({ family: NFPROTO.inet, ... })`) and their names. */
export { NFPROTO, familyName } from './kernel';
export type { Table, TableRef, Chain, BaseChainSpec, ChainType, ChainPolicy, SetSpec, SetFlag, KeyType, ObjectSpec, Rule, Family, Hook } from './model/types';
export type { ElementInput, ElementSpec, ElementInfo, KeyValue } from './model/elements';
export { renderRuleset, type RenderInput } from './render/ruleset';
export { modelDocument, jsonItem } from './model/json';
export { renderRule } from './nft/render';
export type { TcpOptionName } from './rule/statement';
export type { Expr, ExprType, DecodedExpr } from './expr/registry';
export * from './match';
export * from './blocklist';
export * from './presets';
export { safeApply, SafeApply, GATE_COMMENT, GATE_SET, type SafeApplyOptions, type SafeApplyState } from './safe-apply';
/** nft's JSON model (libnftables-json(5)): documents in and out, listing, committing, rendering (docs/json.md). */
export * from './nft/index';
