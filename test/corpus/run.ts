// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The corpus test (issue 7): every dump of ../shared/corpus/nftables-shell-dumps/{v1.0.6,head},
 * each in its own network namespace, through four checks (see worker.ts and compare.ts):
 *   (a) the package's listing, exported as JSON, deep-equals `nft -j list ruleset`;
 *   (b) renderDocument(listing) equals `nft list ruleset`;
 *   (c) flush, commit the listing through the package: `nft list ruleset` equals the original;
 *   (d) flush, commit nft's own JSON through the package: `nft list ruleset` equals what nft
 *       itself makes of the same JSON (`nft -j -f`), or the original (where nft ignores part of
 *       its own document and the package restores it). Otherwise, when the result lists in nft's
 *       JSON exactly as the original (`nft -j list ruleset`, handles aside) and every text
 *       difference is something nft 1.0.6's JSON does not carry (losses.ts), it passes "up to
 *       nft's JSON" (counted apart) if nft's own load of the JSON loses at least as much. Where nft
 *       -j -f refuses its own JSON, the package still commits it: passed when the result lists as
 *       the original; skipped with the precise loss when only nft's JSON lacks it; else failed.
 * A dump nft 1.0.6 or this kernel refuses is skipped, with the reason. Prints a score table per
 * folder and check, then the skipped files and skipped checks. The checked-in baseline
 * (baseline.json: per dump the checks known to fail) makes it fail only on regressions; it prints
 * the improvements. `--strict` fails on any failed check of a dump nft loads, baseline or not.
 *
 * Usage (inside a private netns; scripts/corpus.sh does that):
 *   node --require tsx/cjs test/corpus/run.ts [--jobs=2] [--filter=REGEX] [--update-baseline] [--strict] [--verbose] [--json=FILE]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import Table from 'cli-table3';
import { assertPrivateNetns } from '../helpers/netns';
import { CHECKS, type CheckName, type DumpResult } from './types';

assertPrivateNetns();

const args = process.argv.slice(2);
const flag = (name: string): string | true | undefined => {
  for (const a of args) {
    if (a === `--${name}`) return true;
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
};
for (const a of args) {
  if (!/^--(jobs|filter|json|corpus|timeout)=.+$|^--(update-baseline|strict|verbose)$/.test(a)) {
    console.error(`Unknown argument ${a}. Usage: run.ts [--jobs=2] [--filter=REGEX] [--update-baseline] [--strict] [--verbose] [--json=FILE] [--corpus=DIR] [--timeout=SECONDS]`);
    process.exit(2);
  }
}

const repo = resolve(__dirname, '../..');
const corpus = resolve(repo, typeof flag('corpus') === 'string' ? (flag('corpus') as string) : '../shared/corpus/nftables-shell-dumps');
const FOLDERS = ['v1.0.6', 'head'] as const;
const jobs = Math.max(1, Number(flag('jobs') ?? 2) || 2);
const timeoutMs = Math.max(5, Number(flag('timeout') ?? 120) || 120) * 1000;
const filter = typeof flag('filter') === 'string' ? new RegExp(flag('filter') as string) : undefined;
const baselinePath = join(__dirname, 'baseline.json');

function listDumps(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.nft')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

if (!existsSync(corpus)) {
  console.error(`corpus not found at ${corpus} (expected ../shared/corpus beside the repository)`);
  process.exit(2);
}
const files = FOLDERS.flatMap((f) => (existsSync(join(corpus, f)) ? listDumps(join(corpus, f)) : []))
  .map((p) => ({ file: p, rel: relative(corpus, p) }))
  .filter((f) => !filter || filter.test(f.rel));

/** Baseline: per dump, "skip" or the comma-separated checks known to fail ("" = all pass). */
type Baseline = Record<string, string>;
const baseline: Baseline = existsSync(baselinePath) ? (JSON.parse(readFileSync(baselinePath, 'utf8')) as { dumps: Baseline }).dumps : {};

async function runAll(): Promise<DumpResult[]> {
  const results: DumpResult[] = [];
  let next = 0;
  const runWorker = async (): Promise<void> => {
    let child: ChildProcess | undefined;
    const start = (): Promise<ChildProcess> =>
      new Promise((res, rej) => {
        const c = fork(join(__dirname, 'worker.ts'), [], { execArgv: ['--require', 'tsx/cjs'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
        c.once('message', () => res(c));
        c.once('error', rej);
      });
    while (next < files.length) {
      const job = files[next++] as { file: string; rel: string };
      child ??= await start();
      const c = child;
      const r = await new Promise<DumpResult>((res) => {
        const timer = setTimeout(() => {
          c.kill('SIGKILL');
          child = undefined;
          res({ file: job.rel, checks: {}, error: `timeout after ${timeoutMs / 1000} s`, ms: timeoutMs });
        }, timeoutMs);
        const onExit = (code: number | null): void => {
          clearTimeout(timer);
          child = undefined;
          res({ file: job.rel, checks: {}, error: `worker exited (${code})`, ms: 0 });
        };
        c.once('exit', onExit);
        c.once('message', (m: DumpResult) => {
          clearTimeout(timer);
          c.off('exit', onExit);
          res(m);
        });
        c.send(job);
      });
      results.push(r);
      if (results.length % 50 === 0) process.stderr.write(`corpus: ${results.length}/${files.length} dumps\n`);
    }
    child?.kill();
  };
  await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, runWorker));
  return results.sort((x, y) => x.file.localeCompare(y.file));
}

/** Checks that failed (a skipped check is not a failure; a worker error fails them all). */
const failedChecks = (r: DumpResult): CheckName[] =>
  CHECKS.filter((c) => r.error !== undefined || (!r.checks[c]?.ok && r.checks[c]?.skipped === undefined));
const skippedChecks = (r: DumpResult): CheckName[] => (r.error !== undefined ? [] : CHECKS.filter((c) => r.checks[c]?.skipped !== undefined));
const folderOf = (rel: string): string => rel.split('/')[0] as string;
const subfolderOf = (rel: string): string => rel.split('/').slice(0, 2).join('/');

function scoreTable(results: readonly DumpResult[], keyOf: (rel: string) => string): string {
  const groups = new Map<string, DumpResult[]>();
  for (const r of results) {
    const k = keyOf(r.file);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const t = new Table({ head: ['folder', 'dumps', 'skipped', 'loaded', '(a) JSON', '(b) render', '(c) commit listing', '(d) commit nft JSON'], style: { head: [], border: [] } });
  const row = (name: string, rs: readonly DumpResult[]): void => {
    const loaded = rs.filter((r) => r.skipped === undefined);
    // passed/judged (%), judged = loaded minus the dumps where the check was skipped.
    const pct = (c: CheckName): string => {
      const ok = loaded.filter((r) => r.error === undefined && r.checks[c]?.ok).length;
      const sk = loaded.filter((r) => skippedChecks(r).includes(c)).length;
      const judged = loaded.length - sk;
      const lossy = loaded.filter((r) => r.error === undefined && r.checks[c]?.ok && r.checks[c]?.lossy !== undefined).length;
      return `${ok}/${judged} (${judged ? Math.round((100 * ok) / judged) : 0}%)${lossy > 0 ? `, ${lossy} up to nft's JSON` : ''}${sk > 0 ? `, ${sk} skipped` : ''}`;
    };
    t.push([name, rs.length, rs.length - loaded.length, loaded.length, ...CHECKS.map(pct)]);
  };
  for (const [k, rs] of [...groups].sort(([a], [b]) => a.localeCompare(b))) row(k, rs);
  if (groups.size > 1) row('total', results);
  return t.toString();
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const results = await runAll();
  console.log(`\ncorpus: ${results.length} dumps in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${jobs} jobs (${corpus.replace(repo, '.')})`);
  console.log(scoreTable(results, folderOf));
  console.log(scoreTable(results, subfolderOf));

  const skipped = results.filter((r) => r.skipped !== undefined);
  if (skipped.length > 0) {
    console.log(`\nskipped (nft 1.0.6 or this kernel refuses to load them): ${skipped.length}`);
    for (const r of skipped) console.log(`  ${r.file}: ${r.skipped}`);
  }
  const skippedD = results.filter((r) => r.skipped === undefined && skippedChecks(r).length > 0);
  if (skippedD.length > 0) {
    console.log(`\nchecks skipped (no reference to judge them by): ${skippedD.length}`);
    for (const r of skippedD) for (const c of skippedChecks(r)) console.log(`  ${r.file} (${c}): skipped (${r.checks[c]?.skipped ?? ''})`);
  }
  const lossy = results.filter((r) => r.error === undefined && CHECKS.some((c) => r.checks[c]?.ok && r.checks[c]?.lossy !== undefined));
  if (lossy.length > 0) {
    console.log(`\nchecks passed up to what nft 1.0.6's JSON does not carry (the result lists in nft's JSON as the original): ${lossy.length}`);
    for (const r of lossy) for (const c of CHECKS) if (r.checks[c]?.lossy !== undefined) console.log(`  ${r.file} (${c}): ${r.checks[c]?.lossy ?? ''}`);
  }
  const errors = results.filter((r) => r.error !== undefined);
  for (const r of errors) console.log(`  error ${r.file}: ${r.error}`);

  if (flag('verbose')) {
    console.log('\nfailures:');
    for (const r of results) {
      if (r.skipped !== undefined) continue;
      for (const c of failedChecks(r)) console.log(`  ${r.file} (${c}): ${r.checks[c]?.reason ?? r.error ?? 'not run'}`);
    }
  }
  const jsonOut = flag('json');
  if (typeof jsonOut === 'string') writeFileSync(jsonOut, `${JSON.stringify(results, null, 1)}\n`);

  // Baseline comparison.
  const regressions: string[] = [];
  const improvements: string[] = [];
  const unknown: string[] = [];
  for (const r of results) {
    const was = baseline[r.file];
    const now = r.skipped !== undefined ? 'skip' : failedChecks(r).join(',');
    if (was === undefined) {
      unknown.push(`${r.file}: ${now === '' ? 'all pass' : now} (not in the baseline)`);
      continue;
    }
    if (was === 'skip' || now === 'skip') {
      if (was !== now) unknown.push(`${r.file}: ${was === 'skip' ? 'was skipped, now loads' : `now skipped: ${r.skipped ?? ''}`}`);
      continue;
    }
    const known = new Set(was === '' ? [] : was.split(','));
    for (const c of failedChecks(r)) {
      if (!known.has(c)) regressions.push(`${r.file} (${c}): ${r.checks[c]?.reason ?? r.error ?? 'not run'}`);
    }
    for (const c of known) if (r.error === undefined && r.checks[c as CheckName]?.ok) improvements.push(`${r.file} (${c})`);
  }
  if (unknown.length > 0) {
    console.log(`\nnot comparable with the baseline: ${unknown.length}`);
    for (const u of unknown) console.log(`  ${u}`);
  }
  if (improvements.length > 0) {
    console.log(`\nimproved against the baseline: ${improvements.length} checks`);
    for (const i of improvements) console.log(`  ${i}`);
  }
  if (flag('update-baseline')) {
    const dumps: Baseline = filter ? { ...baseline } : {};
    for (const r of results) dumps[r.file] = r.skipped !== undefined ? 'skip' : failedChecks(r).join(',');
    const sorted = Object.fromEntries(Object.entries(dumps).sort(([a], [b]) => a.localeCompare(b)));
    const lines = Object.entries(sorted).map(([k, v]) => `    ${JSON.stringify(k)}: ${JSON.stringify(v)}`);
    writeFileSync(
      baselinePath,
      `{\n  "about": "Corpus checks known to fail, per dump (a: JSON listing, b: render, c: commit listing, d: commit nft JSON; skip: nft refuses the dump). Rewrite with: bash scripts/corpus.sh --update-baseline",\n  "dumps": {\n${lines.join(',\n')}\n  }\n}\n`,
    );
    console.log(`\nbaseline rewritten: ${relative(repo, baselinePath)}`);
    return;
  }
  if (flag('strict')) {
    const failing = results.filter((r) => r.skipped === undefined && failedChecks(r).length > 0);
    if (failing.length > 0) {
      console.log(`\nSTRICT: ${failing.length} dumps that nft loads fail a check`);
      for (const r of failing) for (const c of failedChecks(r)) console.log(`  ${r.file} (${c}): ${r.checks[c]?.reason ?? r.error ?? 'not run'}`);
      process.exitCode = 1;
      return;
    }
    console.log(`corpus (strict): every dump nft loads passes every check it can be judged by`);
  }
  if (regressions.length > 0) {
    console.log(`\nREGRESSIONS against the baseline: ${regressions.length}`);
    for (const r of regressions) console.log(`  ${r}`);
    console.log(`corpus: ${regressions.length} regressions, ${improvements.length} improvements`);
    process.exitCode = 1;
    return;
  }
  console.log(`corpus: no regressions, ${improvements.length} improvements against the baseline`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
