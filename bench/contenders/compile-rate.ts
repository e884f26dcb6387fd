// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Where a rule commit's JavaScript time goes, without a kernel (no privileges, no netns):
 * N rules `ip saddr X counter accept` built with the helpers (nft's JSON model) compiled into a
 * Transaction, the same rules prepared once and queued, packing (lib/packed.ts), and the addon's
 * dry-run encode of the batch as packed buffer against the old descriptor objects; the same
 * rules as a JSON document through tx.addJson. Warm: REPS rounds, the median.
 * COMPILE_RATE_JSON=1 adds one JSON line of µs per rule (bench/run.ts W9 reads it).
 * Times are CPU time of this process (user + system), not wall time: on a shared machine a
 * process waits for a CPU, which wall time would count.
 *
 *   node .bench-tmp/js/bench/contenders/compile-rate.js [N=10000] [REPS=9]
 */
import { binding, type OpDesc } from '../../lib/native';
import { accept, counter, ipSaddr } from '../../lib/match';
import type { JsonRule } from '../../lib/transaction';
import { nativeBatch, prepareRule, Transaction } from '../../lib/transaction';
import type { NftDocument } from '../../lib/nft/schema';

const n = Number(process.argv[2] ?? 10000);
const reps = Number(process.argv[3] ?? 9);
const table = { family: 'ip' as const, name: 't' };
const addr = (i: number): string => {
  const a = (0x0a000000 + i) >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
};
/** The rule built with the helpers (nft's JSON model). */
const rule = (i: number): JsonRule => ({ family: table.family, table: table.name, chain: 'c', expr: [ipSaddr(addr(i)), counter(), accept()] });
const newTx = (): Transaction => new Transaction(() => Promise.reject(new Error('dry run')), () => {
  throw new Error('dry run');
});
const time = (fn: () => void): number => {
  const t = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1e3;
};
const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The same rules in the JSON model (issue 7): one document of N `add rule` commands. */
const jsonDoc = (): NftDocument =>
  ({
    nftables: Array.from({ length: n }, (_, i) => ({
      add: {
        rule: {
          family: 'ip',
          table: 't',
          chain: 'c',
          expr: [{ match: { op: '==', left: { payload: { protocol: 'ip', field: 'saddr' } }, right: addr(i) } }, { counter: { packets: 0, bytes: 0 } }, { accept: null }],
        },
      },
    })),
  }) as unknown as NftDocument;

const r: Record<string, number[]> = { compile: [], json: [], prepared: [], pack: [], packJson: [], packPrepared: [], encodePacked: [], encodeDescriptors: [] };
const prepared = Array.from({ length: n }, (_, i) => prepareRule(rule(i)));
for (let k = 0; k < reps; k++) {
  const fresh = newTx();
  r['compile']!.push(time(() => {
    for (let i = 0; i < n; i++) fresh.addRule(rule(i));
  }));
  const doc = jsonDoc();
  const viaJson = newTx();
  r['json']!.push(time(() => viaJson.addJson(doc)));
  r['packJson']!.push(time(() => nativeBatch(viaJson.pending())));
  const again = newTx();
  r['prepared']!.push(time(() => {
    for (const p of prepared) again.addRule(p);
  }));
  let batch = nativeBatch([]);
  r['pack']!.push(time(() => (batch = nativeBatch(fresh.pending()))));
  r['packPrepared']!.push(time(() => nativeBatch(again.pending())));
  r['encodePacked']!.push(time(() => binding().encode(batch)));
  const ops: OpDesc[] = fresh.pending().map((p) => p.op);
  r['encodeDescriptors']!.push(time(() => binding().encode({ ops })));
}
const us = (ms: number): string => ((ms * 1e3) / n).toFixed(2);
console.log(`${n} rules, median of ${reps} warm rounds (µs per rule):`);
console.log(`  compile a helpers' rule + queue (addRule) ${us(med(r['compile']!))}`);
console.log(`  compile JSON rule + queue (tx.addJson)    ${us(med(r['json']!))}`);
console.log(`  queue a prepared rule (addRule)           ${us(med(r['prepared']!))}`);
console.log(`  pack (lib/packed.ts)                      ${us(med(r['pack']!))}`);
console.log(`  pack a JSON-compiled rule                 ${us(med(r['packJson']!))}`);
console.log(`  pack a prepared rule (cached bytes)       ${us(med(r['packPrepared']!))}`);
if (process.env['COMPILE_RATE_JSON'] === '1') {
  console.log(JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, (med(v) * 1e3) / n]))));
}
console.log(`  native encode of the packed batch         ${us(med(r['encodePacked']!))}`);
console.log(`  native encode of descriptor objects (old) ${us(med(r['encodeDescriptors']!))}`);
