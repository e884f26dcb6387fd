// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The renderer against nft itself, on nftables' own test dumps (../shared/corpus, read at test
 * time). For every dump, in a network namespace of its own (nested inside this test's private
 * one): `nft -f DUMP` (a refusal is a skip, with nft's reason), then
 * renderDocument(JSON.parse(`nft -j list ruleset`)) must equal `nft list ruleset`.
 *
 * Some dumps cannot pass: nft 1.0.6's JSON leaves out what its text prints (typeof, `flags
 * dynamic`, auto-merge, table/chain comments, chain devices, all but the first statement of a
 * set element, table flag names). Those are listed with the reason in
 * test/corpus/render-known-failures.txt; the test fails only on a dump outside that list.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { renderDocument } from '../../lib/nft/render';
import type { NftDocument } from '../../lib/nft/schema';
import { assertPrivateNetns } from '../helpers/netns';

assertPrivateNetns();

const ROOT = resolve(__dirname, '../..');
const CORPUS = resolve(ROOT, '../shared/corpus/nftables-shell-dumps');
const KNOWN = join(ROOT, 'test/corpus/render-known-failures.txt');
const FOLDERS = ['v1.0.6', 'head'] as const;
const PARALLEL = 4;
const SEPARATOR = '\n#--- nftjs render test: text listing follows ---#\n';

function dumpsUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dumpsUnder(p));
    else if (name.endsWith('.nft')) out.push(p);
  }
  return out;
}

/** `path<TAB>reason` lines; `#` starts a comment. */
function knownFailures(): Map<string, string> {
  const m = new Map<string, string>();
  if (!existsSync(KNOWN)) return m;
  for (const line of readFileSync(KNOWN, 'utf8').split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [path = '', ...reason] = t.split('\t');
    m.set(path, reason.join('\t'));
  }
  return m;
}

type Outcome =
  | { kind: 'skip'; reason: string }
  | { kind: 'pass' }
  | { kind: 'fail'; reason: string };

/** Loads one dump in a fresh network namespace; returns nft's JSON and text listings. */
function loadAndList(file: string): Promise<{ ok: true; json: string; text: string } | { ok: false; reason: string }> {
  const script = `ip link set lo up && nft -f "$1" && nft -j list ruleset && printf '%s' "$2" && nft list ruleset`;
  return new Promise((done) => {
    execFile('unshare', ['-n', 'sh', '-c', script, 'sh', file, SEPARATOR], { maxBuffer: 64 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        const lines = String(stderr).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('warning:'));
        done({ ok: false, reason: (lines[0] ?? err.message).split(file).join('DUMP').slice(0, 200) });
        return;
      }
      const at = stdout.indexOf(SEPARATOR);
      if (at < 0) {
        done({ ok: false, reason: 'no listing' });
        return;
      }
      done({ ok: true, json: stdout.slice(0, at), text: stdout.slice(at + SEPARATOR.length) });
    });
  });
}

function firstDifference(want: string, got: string): string {
  const w = want.split('\n');
  const g = got.split('\n');
  for (let i = 0; i < Math.max(w.length, g.length); i++) {
    if (w[i] !== g[i]) return `line ${i + 1}: nft ${JSON.stringify(w[i] ?? '')} / render ${JSON.stringify(g[i] ?? '')}`;
  }
  return 'equal';
}

async function check(file: string): Promise<Outcome> {
  const listed = await loadAndList(file);
  if (!listed.ok) return { kind: 'skip', reason: listed.reason };
  let got: string;
  try {
    got = renderDocument(JSON.parse(listed.json) as NftDocument);
  } catch (err) {
    return { kind: 'fail', reason: `renderDocument threw: ${(err as Error).message}` };
  }
  return got === listed.text ? { kind: 'pass' } : { kind: 'fail', reason: firstDifference(listed.text, got) };
}

async function runAll(files: readonly string[]): Promise<Map<string, Outcome>> {
  const results = new Map<string, Outcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const f = files[next++];
      if (f === undefined) break;
      results.set(f, await check(f));
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return results;
}

const corpusPresent = existsSync(CORPUS);

describe('nft render: renderDocument(nft -j list ruleset) equals nft list ruleset on the corpus', function () {
  this.timeout(300000);
  const known = knownFailures();

  for (const folder of FOLDERS) {
    it(`${folder}: every loadable dump renders as nft lists it (or is a known failure)`, async function () {
      const dir = join(CORPUS, folder);
      if (!corpusPresent || !existsSync(dir)) this.skip();
      const files = dumpsUnder(dir);
      const results = await runAll(files);
      let pass = 0;
      let knownFail = 0;
      const skips: string[] = [];
      const unexpected: string[] = [];
      const fixed: string[] = [];
      for (const f of files) {
        const key = relative(CORPUS, f);
        const r = results.get(f);
        if (!r) continue;
        if (r.kind === 'skip') skips.push(`${key}: ${r.reason}`);
        else if (r.kind === 'pass') {
          pass++;
          if (known.has(key)) fixed.push(key);
        } else if (known.has(key)) knownFail++;
        else unexpected.push(`${key}: ${r.reason}`);
      }
      const loaded = files.length - skips.length;
      process.stdout.write(
        `      ${folder}: ${pass}/${loaded} loadable dumps render equal (${((100 * pass) / Math.max(loaded, 1)).toFixed(1)}%), ` +
          `${knownFail} known failures, ${skips.length} skipped (nft refused)\n`,
      );
      for (const s of skips) process.stdout.write(`        skip ${s}\n`);
      for (const f of fixed) process.stdout.write(`        now passes (remove from ${relative(ROOT, KNOWN)}): ${f}\n`);
      assert.deepEqual(unexpected, [], `dumps that render differently from nft and are not known failures:\n${unexpected.join('\n')}`);
    });
  }
});
