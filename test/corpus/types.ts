// SPDX-License-Identifier: GPL-2.0-or-later
/** Shapes shared by the corpus runner and its workers. */

/** (a) listing JSON = nft -j; (b) render = nft list; (c) commit listing → same text; (d) commit nft's JSON → same text. */
export type CheckName = 'a' | 'b' | 'c' | 'd';
export const CHECKS: readonly CheckName[] = ['a', 'b', 'c', 'd'];

export interface CheckResult {
  readonly ok: boolean;
  readonly reason?: string;
}

export interface DumpResult {
  /** Path relative to the corpus root, e.g. "v1.0.6/sets/dumps/0001.nft". */
  readonly file: string;
  /** Why nft 1.0.6 / this kernel refused to load the dump (then no check ran). */
  readonly skipped?: string;
  /** The worker failed outside the checks (namespace, crash, timeout). */
  readonly error?: string;
  readonly checks: Partial<Record<CheckName, CheckResult>>;
  readonly ms: number;
}
