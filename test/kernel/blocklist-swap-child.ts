// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Child of blocklist-swap.test.ts: starts a swap replace of 400,000 addresses in small chunks
 * on table ip sw, set ban, printing "chunk" after each committed one; the parent SIGKILLs it.
 */
import { Nftables } from '../../lib';
import { Blocklist } from '../../lib/blocklist';
import { assertPrivateNetns } from '../helpers/netns';

assertPrivateNetns();

async function main(): Promise<void> {
  const conn = await Nftables.open();
  const bl = await Blocklist.open(conn, { table: { family: 'ip', name: 'sw' }, name: 'ban' });
  const ip = (a: number): string => `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
  const entries = Array.from({ length: 400_000 }, (_, i) => ip((0x0b000000 + i) >>> 0));
  await bl.replace(entries, {
    swap: true,
    maxElementsPerTransaction: 2000,
    onProgress: (p) => {
      if (p.phase === 'acknowledged') process.stdout.write('chunk\n');
    },
  });
  process.stdout.write('done\n');
  await conn.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
