// SPDX-License-Identifier: GPL-2.0-or-later
/** The connection the `ours` contender uses: the package's own `Nftables.open()`. */
import type { BlocklistConnection } from '../../lib/blocklist';
import { Nftables } from '../../lib/nftables';

export interface BenchConnection {
  readonly conn: BlocklistConnection;
  close(): Promise<void>;
}

export async function openConnection(): Promise<BenchConnection> {
  const nft = await Nftables.open();
  return { conn: nft, close: () => nft.close() };
}
