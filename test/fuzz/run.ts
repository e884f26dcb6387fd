// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Fuzz runner (scripts/fuzz.sh runs it in a private network namespace): both targets, each with
 * a fixed seed and a random one (printed, replay with NFTJS_FUZZ_RANDOM_SEED). Runs per target
 * and seed: NFTJS_FUZZ_RUNS (default 300, the CI smoke run; the long run is e.g. 20000).
 * Exits 0 only if every input ended in a clear error or a valid commit and no rejected input
 * changed the ruleset; a crash kills the process and leaves the input in $NFTJS_FUZZ_INFLIGHT.
 */
import { assertPrivateNetns } from '../helpers/netns';
import { OVERSIZE, STRICT, seeds, type Tally } from './common';
import { fuzzApi } from './api.fuzz';
import { fuzzNative } from './native.fuzz';

assertPrivateNetns();

async function main(): Promise<void> {
  const runs = Number(process.env.NFTJS_FUZZ_RUNS ?? 300);
  const only = process.env.NFTJS_FUZZ_TARGET ?? 'native,api';
  const [fixed, random] = seeds();
  console.log(`fuzz: ${runs} runs per target and seed; seeds fixed=${fixed} random=${random}; oversize=${OVERSIZE ? 'on' : 'off'}; strict=${STRICT ? 'on' : 'off'}`);
  const started = Date.now();
  // Resident memory, reported (not asserted): the first seed warms up the heap and the JIT, so
  // growth over the second seed is what a leak would show.
  const mib = () => (process.memoryUsage.rss() / 2 ** 20).toFixed(1);
  const rss: string[] = [mib()];
  let inputs = 0;
  const unclear = new Map<string, { count: number; example: string }>();
  for (const seed of [fixed!, random!]) {
    for (const [target, fn] of [
      ['native', fuzzNative],
      ['api', fuzzApi],
    ] as const) {
      if (!only.split(',').includes(target)) continue;
      const t: Tally = await fn(seed, runs);
      inputs += t.inputs;
      console.log(`fuzz ${target} seed=${seed}: ${t.inputs} inputs, ${t.rejected} rejected (ruleset unchanged after each), ${t.committed} committed`);
      for (const [k, v] of t.unclear) {
        const u = unclear.get(k);
        if (u) u.count += v.count;
        else unclear.set(k, { ...v });
      }
    }
    rss.push(mib());
  }
  if (unclear.size > 0) {
    console.log(`fuzz: ${unclear.size} kinds of plain JS error instead of a TypeError/RangeError/NftError (issue 12 item 6; fatal with NFTJS_FUZZ_STRICT=1):`);
    for (const [k, v] of unclear) console.log(`  ${v.count}x ${k}\n     e.g. ${v.example}`);
  }
  console.log(`fuzz done: ${inputs} inputs, 0 crashes, ${((Date.now() - started) / 1000).toFixed(1)} s; RSS ${rss.join(' -> ')} MiB (start, after each seed)`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    console.error('fuzz FAILED (replay: NFTJS_FUZZ_SEED / NFTJS_FUZZ_RANDOM_SEED as printed above)');
    process.exit(1);
  },
);
