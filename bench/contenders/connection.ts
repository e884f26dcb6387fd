// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The connection the `ours` contender uses. By default `Nftables.open()`. With
 * BENCH_RAW_CONNECTION=1, a minimal connection straight over the addon (lib/native.ts) and
 * lib/transaction.ts: the same native commit path without lib/nftables.ts' queueing and
 * error diagnosis, to measure the addon alone (and to bench before lib/nftables.ts loads).
 */
import type { BlocklistConnection } from '../../lib/blocklist';
import { binding, type AckData, type DumpReply, type DumpRequest } from '../../lib/native';
import { Transaction, type CommitResult } from '../../lib/transaction';

export interface BenchConnection {
  readonly conn: BlocklistConnection;
  close(): Promise<void>;
}

function checked(ack: AckData): CommitResult {
  const f = ack.failures[0];
  if (f !== undefined || ack.transportErrno !== 0) {
    throw Object.assign(new Error(`commit failed: op ${f?.index ?? -1} errno ${f?.errno ?? ack.transportErrno}`), { errno: f?.errno ?? ack.transportErrno });
  }
  return { batchBytes: ack.batchBytes, messages: ack.messages, handles: new Map() };
}

export async function openConnection(): Promise<BenchConnection> {
  if (process.env['BENCH_RAW_CONNECTION'] !== '1') {
    const { Nftables } = await import('../../lib/nftables');
    const nft = await Nftables.open();
    return { conn: nft as unknown as BlocklistConnection, close: () => nft.close() };
  }
  const b = binding();
  const socket = b.openSocket({});
  const ops = (tx: Transaction): { ops: ReturnType<Transaction['pending']>[number]['op'][] } => ({ ops: tx.pending().map((p) => p.op) });
  const conn: BlocklistConnection = {
    transaction: () =>
      new Transaction(
        async (tx) => checked(await b.commit(socket, ops(tx))),
        (tx) => checked(b.commitSync(socket, ops(tx))),
      ),
    dump: async (request: DumpRequest): Promise<DumpReply> => {
      const r = await b.dump(socket, request);
      if ('errno' in r) throw Object.assign(new Error(`dump failed: errno ${r.errno}`), { errno: r.errno });
      return r;
    },
  };
  return {
    conn,
    close: async () => {
      b.closeSocket(socket);
    },
  };
}
