// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Shared parts of the fuzz targets: the baseline ruleset every input starts from, the oracle
 * (`nft list ruleset` before and after each rejected input), the record of the input in flight
 * (a crash leaves it on disk), and the tally printed at the end.
 */
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { nftFlush, nftList, nftLoad } from '../helpers/nft';

/** Inputs that never reach the kernel sizes the encoder has fixed room for (issue 12 items 1-3). */
export const OVERSIZE = process.env.NFTJS_FUZZ_OVERSIZE === '1';
/** Plain JS errors (issue 12 item 6) fail the run only when strict. */
export const STRICT = process.env.NFTJS_FUZZ_STRICT === '1';

export const BASELINE = `
table inet fz {
  set s4 { type ipv4_addr; flags interval; elements = { 10.0.0.0/8 } }
  set p { type inet_service; elements = { 22, 80 } }
  map vm { type ipv4_addr : verdict; }
  counter cn { packets 1 bytes 2 }
  chain c {
    counter
  }
  chain in {
    type filter hook input priority 0; policy accept;
    ip saddr @s4 counter
  }
}
table ip fz4 {
  chain c {
  }
}
`;

export function resetBaseline(): string {
  nftFlush();
  nftLoad(BASELINE);
  return nftList();
}

/** Where the input in flight is written before each call, so that a crash leaves it behind. */
export const INFLIGHT = process.env.NFTJS_FUZZ_INFLIGHT ?? '';

export function recordInput(target: string, input: unknown): void {
  if (INFLIGHT === '') return;
  writeFileSync(INFLIGHT, `${target}\n${fc.stringify(input)}\n`);
}

export interface Tally {
  inputs: number;
  rejected: number;
  committed: number;
  unclear: Map<string, { count: number; example: string }>;
}

export const newTally = (): Tally => ({ inputs: 0, rejected: 0, committed: 0, unclear: new Map() });

/** A clear error: the house TypeError/RangeError, or NftError for a kernel refusal. */
export function isClear(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || (e instanceof Error && e.name === 'NftError');
}

export function noteUnclear(t: Tally, e: unknown, input: unknown): void {
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : `thrown ${typeof e}: ${String(e)}`;
  const key = msg.replace(/\d+/g, 'N').slice(0, 120);
  const u = t.unclear.get(key);
  if (u) u.count++;
  else t.unclear.set(key, { count: 1, example: fc.stringify(input).slice(0, 400) });
}

/** Seeds: a fixed one (the same inputs every run) and a random one, printed so it can be replayed. */
export function seeds(): number[] {
  const fixed = Number(process.env.NFTJS_FUZZ_SEED ?? 20261201);
  const random = process.env.NFTJS_FUZZ_RANDOM_SEED !== undefined ? Number(process.env.NFTJS_FUZZ_RANDOM_SEED) : (Date.now() ^ (process.pid << 8)) >>> 0;
  return [fixed, random];
}

/** Throws unless the ruleset is exactly `before`: a rejected input must leave no trace. */
export function assertUnchanged(before: string, what: string): void {
  const after = nftList();
  if (after !== before) {
    throw new Error(`ruleset changed after a rejected input (${what})\n--- before\n${before}\n--- after\n${after}`);
  }
}
