// SPDX-License-Identifier: GPL-2.0-or-later
/** Child for the EPERM test: lists the tables and prints the error's name, code and message. */
import { Nftables } from '../../lib';

(async () => {
  const nft = await Nftables.open();
  try {
    await nft.listTables();
    process.stdout.write('listed\n');
  } catch (e) {
    const err = e as Error & { code?: string };
    process.stdout.write(`${err.name} ${String(err.code)} ${err.message}\n`);
  } finally {
    await nft.close();
  }
})();
