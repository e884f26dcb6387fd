// SPDX-License-Identifier: GPL-2.0-or-later
/** Typed rule builder helpers, named after the nft keyword they produce. They return plain Statement data. */
export * from './header';
export * from './meta';
export * from './set';
export * from './action';
export { match, toValue, type ValueInput } from './value';
