// SPDX-License-Identifier: GPL-2.0-or-later
/** Hardening presets from the classic iptables guides, as composable model objects. */
export { composePresets, presetObjects, presetDocument, windowRate, DEFAULT_TABLE, type Preset, type RateOption } from './preset';
export { hostFirewall, type HostFirewallOptions, type BruteForceOptions, type TrustedService, type PortValue } from './host';
export { sanityFilter, BOGON_SOURCES_V4, type SanityOptions } from './sanity';
export { outboundPolicy, type OutboundOptions } from './outbound';
export { loggingChains, type LoggingOptions, type LogChainOptions } from './logging';
export { natGateway, type NatGatewayOptions, type PortForward } from './nat';
export { addRules, logToGroup, type ExtraRule } from './preset';
export { BOGON_DESTINATIONS_V4 } from './sanity';
export type { ClosedRejectTypes, DropLogOptions, PingOption } from './host';
export type { LogAttach, LogChainKind } from './logging';
export * as guides from './guides';
export type { LogChainsGuideOptions, NetfilterHardeningOptions, ServerHardeningOptions, SimpleStatefulOptions, TightServerOptions } from './guides';
