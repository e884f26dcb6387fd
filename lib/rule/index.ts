// SPDX-License-Identifier: GPL-2.0-or-later
/** The typed rule layer: statements, compile to expressions, render to nft text, decode back. */
export type * from './statement';
export { compileRule, checkComment, COMMENT_MAX_BYTES } from './compile';
export type { AnonSetRequest, CompileContext, DecodeContext } from './context';
export { renderRule, renderStatement } from './render';
export { decodeRule } from './decode';
export { exprsText } from './expr-text';
export { FIELDS, FIELD_NAMES } from './fields';
