// SPDX-License-Identifier: GPL-2.0-or-later
/** Errors the package throws: NftError for kernel refusals, TypeError/RangeError for misuse. */
import { errnoName } from './kernel';

/** One failure the kernel reported for one operation of a transaction. */
export interface OpFailure {
  /** Index of the operation in the transaction; -1 for the batch as a whole. */
  readonly index: number;
  readonly errno: number;
  readonly code: string;
  /** What the operation was, in nft words ("add rule inet fw input"). */
  readonly operation: string;
  readonly message: string;
  /** The kernel's extended-ack text, when it sent one. */
  readonly kernelMessage?: string;
}

/**
 * The kernel refused a transaction (nothing was applied) or a request. `index` names the first
 * failing operation of the transaction and `failures` lists every one the kernel reported.
 */
export class NftError extends Error {
  override readonly name = 'NftError' as const;
  constructor(
    message: string,
    readonly code: string,
    readonly errno: number,
    readonly index: number,
    readonly failures: readonly OpFailure[] = [],
  ) {
    super(message);
  }
}

/** True for an NftError, also across realms (worker threads, vm contexts). */
export const isNftError = (e: unknown): e is NftError =>
  e instanceof NftError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'NftError');

/** Plain-language meanings of the errnos the kernel uses on this path, by context. */
export function explainErrno(errno: number, operation: string): string {
  const verb = operation.split(' ')[0] ?? '';
  switch (errnoName(errno)) {
    case 'ENOENT':
      return verb === 'delete' || verb === 'flush' || verb === 'replace' || verb === 'get'
        ? 'it does not exist'
        : 'something it refers to does not exist (table, chain, set, jump target, or a kernel module for an expression)';
    case 'EEXIST':
      return 'it already exists (or, for elements, overlaps an existing interval)';
    case 'EBUSY':
      return 'it is in use (referenced by a rule or a jump, or not empty)';
    case 'EPERM':
      return 'operation not permitted: needs CAP_NET_ADMIN in the target network namespace, or the table is owned by another process';
    case 'EOPNOTSUPP':
      return 'not supported here (hook, chain type or family combination, or a flag that cannot change)';
    case 'EINVAL':
      return 'the kernel found an invalid attribute';
    case 'ERANGE':
      return 'a value is out of range (names are at most 255 bytes)';
    case 'EMLINK':
      return 'jumps are nested deeper than 15 levels or form a loop';
    case 'ENFILE':
      return 'the set is full (more elements than its size)';
    case 'ENOSPC':
      return 'no space left (set or quota full)';
    case 'ERESTART':
      return 'the ruleset changed since the generation this transaction was built against';
    case 'ENOBUFS':
      return 'kernel replies were lost (receive buffer overflow)';
    case 'EMSGSIZE':
      return 'the batch is larger than the socket send buffer allows';
    default:
      return `error ${errnoName(errno)} (${errno})`;
  }
}
