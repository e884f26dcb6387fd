// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Optimistic concurrency between writers: a transaction built from a read of generation N is
 * committed with NFNL_BATCH_GENID = N, and the kernel refuses the whole batch (ERESTART,
 * nothing applied) if another transaction committed since. Failed and no-op batches do not
 * move the generation, so only a real change by someone else makes the commit fail.
 */
import { NftError, isNftError, type OpFailure } from './errors';
import { checkInt, expected } from './validate';

/** ERESTART: the errno of a batch whose NFNL_BATCH_GENID is stale. */
const ERESTART = 85;

/**
 * The ruleset changed between the read a transaction was planned from and its commit; the
 * kernel applied nothing. Re-read, re-plan and commit again (see {@link commitWithRetry}).
 */
export class GenerationConflictError extends NftError {
  /** The generation the transaction was built against. */
  readonly expectedGeneration: number;
  /** Attempts made (1 for a plain commit with ifGeneration). */
  readonly attempts: number;
  constructor(expectedGeneration: number, attempts = 1, failures: readonly OpFailure[] = []) {
    super(
      attempts > 1
        ? `The ruleset changed during each of ${attempts} attempts (last planned against generation ${expectedGeneration}); nothing was applied. Another writer commits continuously: retry later or serialize the writers.`
        : `The ruleset changed since generation ${expectedGeneration}, which this transaction was planned against; nothing was applied. Re-read the ruleset and plan again (commitWithRetry does this).`,
      'ERESTART',
      ERESTART,
      -1,
      failures,
    );
    this.expectedGeneration = expectedGeneration;
    this.attempts = attempts;
  }
}

/** True for a generation conflict (a GenerationConflictError, or any NftError with ERESTART), across realms too. */
export const isGenerationConflict = (e: unknown): e is NftError =>
  e instanceof GenerationConflictError || (isNftError(e) && e.code === 'ERESTART');

/** Checks an ifGeneration value: the kernel's u32 generation; 0 would mean "no check". */
export function checkGeneration(v: unknown, field: string): number {
  if (v === undefined) throw expected('a generation from generation()', field, v);
  return checkInt(v, field, 1, 0xffffffff);
}

export interface RetryOptions {
  /** How many times to read, plan and commit before giving up. @default 5 */
  readonly attempts?: number;
}

/** What commitWithRetry needs of a connection (Nftables implements it). */
export interface GenerationWriter<T> {
  generation(): Promise<number>;
  commitAt(tx: T, generation: number): Promise<unknown>;
}

/**
 * Reads the generation, lets `plan` read what it needs and build a transaction, and commits it
 * conditionally on that generation; on a conflict, reads and plans again, up to `attempts`
 * times. `plan` may return null to commit nothing. Resolves to what the last plan returned.
 * @throws GenerationConflictError when every attempt conflicted.
 */
export async function commitWithRetry<T>(
  writer: GenerationWriter<T>,
  plan: (generation: number) => Promise<T | null> | T | null,
  options: RetryOptions = {},
): Promise<{ readonly transaction: T | null; readonly generation: number; readonly attempts: number }> {
  if (typeof plan !== 'function') throw expected('a function (generation) => transaction', 'plan', plan);
  const attempts = options.attempts === undefined ? 5 : checkInt(options.attempts, 'attempts', 1, 1000);
  let last: NftError | undefined;
  let gen = 0;
  for (let i = 1; i <= attempts; i++) {
    gen = await writer.generation();
    const tx = await plan(gen);
    if (tx === null) return { transaction: null, generation: gen, attempts: i };
    try {
      await writer.commitAt(tx, gen);
      return { transaction: tx, generation: gen, attempts: i };
    } catch (e) {
      if (!isGenerationConflict(e)) throw e;
      last = e;
    }
  }
  throw new GenerationConflictError(gen, attempts, last?.failures ?? []);
}
