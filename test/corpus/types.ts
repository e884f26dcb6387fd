// SPDX-License-Identifier: GPL-2.0-or-later
/** Shapes shared by the corpus runner and its workers. */

/**
 * (a) listing JSON (nft106 projection) = nft -j; (b) render = nft list; (c) commit listing →
 * same text as the original; (d) commit nft's JSON through the package → same text as nft's own
 * `nft -j -f` of that JSON (or as the original).
 */
export type CheckName = 'a' | 'b' | 'c' | 'd';
export const CHECKS: readonly CheckName[] = ['a', 'b', 'c', 'd'];

export interface CheckResult {
  readonly ok: boolean;
  readonly reason?: string;
  /**
   * The check could not be judged (then `ok` is false and this is not a failure): for (d), nft
   * -j -f itself refuses the JSON nft printed, so there is no reference to compare with.
   */
  readonly skipped?: string;
  /**
   * (d) passed although the text differs from the original: the result lists in nft's JSON
   * exactly as the original and every text difference is something nft 1.0.6's JSON does not
   * carry (test/corpus/losses.ts); nft's own `nft -j -f` of the same JSON loses at least as much.
   */
  readonly lossy?: string;
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
