// SPDX-License-Identifier: GPL-2.0-or-later
/** The oracle: the `nft` command, used only by tests, only inside a private network namespace. */
import { execFileSync } from 'node:child_process';
import { assertPrivateNetns } from './netns';
import { Nftables } from '../../lib/nftables';

/** Runs nft with arguments (and optional stdin); returns stdout. Throws with nft's stderr. */
export function nft(args: readonly string[], input?: string): string {
  assertPrivateNetns();
  try {
    return execFileSync('nft', [...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as Error & { stderr?: string };
    throw new Error(`nft ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

/** `nft list ruleset`. */
export const nftList = (): string => nft(['list', 'ruleset']);

/** Loads a ruleset file text with `nft -f -`. */
export const nftLoad = (text: string): string => nft(['-f', '-'], text);

/** `nft flush ruleset`. */
export const nftFlush = (): string => nft(['flush', 'ruleset']);

/**
 * Mocha hooks of a test file that works on an empty ruleset: before each test the ruleset is
 * flushed and a connection opened, after it the connection is closed. Returns the connection of
 * the running test.
 */
export function connectionPerTest(): () => Nftables {
  let conn: Nftables | undefined;
  beforeEach(async () => {
    nftFlush();
    conn = await Nftables.open();
  });
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
  });
  return () => {
    if (!conn) throw new Error('no connection outside a test');
    return conn;
  };
}

