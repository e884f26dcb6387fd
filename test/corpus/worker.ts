// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Corpus worker (a child of test/corpus/run.ts): checks one dump at a time, each in a network
 * namespace of its own (a holder process made by `unshare -n`, which this worker kills after the
 * dump). The package talks to that namespace through Nftables.open({ netns }); the oracle nft
 * runs in it through nsenter. Results go back to the parent over IPC.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as losslessParse, stringify as losslessStringify } from 'lossless-json';
import { assertPrivateNetns } from '../helpers/netns';
import { Nftables } from '../../lib/nftables';
import { parseJsonDocument, renderDocument, toJsonText } from '../../lib/nft/index';
import { compareDocuments, firstTextDifference, normaliseText } from './compare';
import { explainLosses, missingLines } from './losses';
import type { CheckName, DumpResult } from './types';

assertPrivateNetns();

interface Holder {
  readonly proc: ChildProcess;
  readonly path: string;
}

/** A process sitting in a new network namespace with lo up; its /proc/PID/ns/net names the namespace. */
function holder(): Promise<Holder> {
  return new Promise((resolve, reject) => {
    const proc = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && echo ready && exec sleep 900'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) resolve({ proc, path: `/proc/${proc.pid}/ns/net` });
    });
    proc.stderr?.on('data', (b: Buffer) => (err += b.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (!out.includes('ready')) reject(new Error(`unshare -n failed (${code}): ${err.trim()}`));
    });
  });
}

function nftIn(ns: string, args: readonly string[], input?: string): string {
  try {
    return execFileSync('nsenter', [`--net=${ns}`, 'nft', ...args], { encoding: 'utf8', input: input ?? '', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  } catch (e) {
    const x = e as Error & { stderr?: string };
    throw new Error(`nft ${args.join(' ')}: ${(x.stderr ?? x.message).trim()}`);
  }
}

/**
 * The JSON text without object handles (a re-created table gets a new one), and without a
 * table's `flags` where nft 1.0.6 printed the table's name there (table_flags_json prints a
 * freed string; the package ignores that value on input, as nft does): the text comparison
 * then names the lost flag (losses.ts).
 */
function withoutHandles(text: string): string {
  const doc = losslessParse(text) as { nftables: Record<string, Record<string, unknown>>[] };
  for (const item of doc.nftables) {
    for (const [kind, body] of Object.entries(item)) {
      if (typeof body !== 'object' || body === null) continue;
      delete body.handle;
      if (kind === 'table' && body.flags !== undefined && body.flags === body.name) delete body.flags;
    }
  }
  return losslessStringify(doc) ?? text;
}

/**
 * Where the package's refusal of nft's JSON comes from what that document lacks (nft 1.0.6
 * prints these without the information needed to rebuild them): the loss, else undefined. Only
 * these two errors of the package qualify; any other refusal is a failure.
 */
function lossyDocument(pkgError: string): string | undefined {
  if (pkgError.includes('nft printed this statement as text')) return 'prints this statement as text (it has no JSON form)';
  const m = /Expected a fixed-size type \(or a typeof expression giving its size\) for \S+ but received (integer|string)\b/.exec(pkgError);
  if (m) return `gives the typeof declaration as the datatype ${m[1]}, without its size`;
  return undefined;
}

const short = (e: unknown): string => {
  const m = e instanceof Error ? e.message : String(e);
  const line = m.split('\n').find((l) => l.trim() !== '') ?? m;
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
};

async function checkDump(file: string, rel: string): Promise<DumpResult> {
  const started = Date.now();
  const h = await holder();
  const checks: DumpResult['checks'] = {};
  const fail = (c: CheckName, reason: string): void => {
    checks[c] = { ok: false, reason };
  };
  let nft: Nftables | undefined;
  try {
    try {
      nftIn(h.path, ['-f', file]);
    } catch (e) {
      return { file: rel, skipped: short(String(e instanceof Error ? e.message : e).split(file).join(rel).replace(/^nft -f \S+: /, '')), checks, ms: Date.now() - started };
    }
    const text = nftIn(h.path, ['list', 'ruleset']);
    const json = nftIn(h.path, ['-j', 'list', 'ruleset']);
    const conn = await Nftables.open({ netns: h.path });
    nft = conn;

    // (a) the package's listing, exported as JSON, deep-equals nft -j list ruleset.
    let listing;
    try {
      const report = await conn.listJsonReport();
      listing = report.document;
      const diff = compareDocuments(toJsonText(listing, { allowRaw: true, nft106: true }), json);
      if (diff === undefined) checks.a = { ok: true };
      else fail('a', report.problems.length > 0 ? `${diff} [listing left out: ${report.problems[0] ?? ''}]` : diff);
    } catch (e) {
      fail('a', short(e));
    }
    // (b) the package's render of its listing equals nft list ruleset.
    if (listing) {
      try {
        const rendered = renderDocument(listing);
        const diff = firstTextDifference(rendered, text);
        if (diff === undefined) checks.b = { ok: true };
        else fail('b', diff);
      } catch (e) {
        fail('b', short(e));
      }
    } else fail('b', 'no listing (a failed)');
    // (c) flush, commit the decoded listing through the package: nft list ruleset is the original.
    if (listing) {
      try {
        nftIn(h.path, ['flush', 'ruleset']);
        await conn.commitJson(listing);
        const diff = firstTextDifference(nftIn(h.path, ['list', 'ruleset']), text);
        if (diff === undefined) checks.c = { ok: true };
        else fail('c', diff);
      } catch (e) {
        fail('c', short(e));
      }
    } else fail('c', 'no listing (a failed)');
    // (d) flush, commit nft's own JSON through the package; the reference is what nft itself makes
    // of the same document (`nft -j -f` after a flush): where nft's JSON is lossy, neither can
    // restore what it lacks. The original ruleset is accepted too: where nft 1.0.6 ignores what
    // its document holds (set comments, ct timeout policies, element counters), the package
    // restores it. When nft -j -f refuses its own JSON, (d) is skipped with the reason.
    let reference: string | undefined;
    const jsonFile = join(tmpdir(), `nftjs-corpus-${process.pid}-${Date.now()}.json`);
    let refusal: string | undefined;
    try {
      nftIn(h.path, ['flush', 'ruleset']);
      writeFileSync(jsonFile, json);
      nftIn(h.path, ['-j', '-f', jsonFile]);
      reference = nftIn(h.path, ['list', 'ruleset']);
    } catch (e) {
      refusal = short(String(e instanceof Error ? e.message : e).split(jsonFile).join('<nft -j list ruleset>').replace(/^nft -j -f <nft -j list ruleset>: (?:internal:0:0-0: )?(?:Error: )?/, ''));
    } finally {
      rmSync(jsonFile, { force: true });
    }
    // The package commits nft's JSON in every case (also where nft -j -f refuses it).
    let result: string | undefined;
    let resultJson: string | undefined;
    let pkgError: string | undefined;
    try {
      nftIn(h.path, ['flush', 'ruleset']);
      await conn.commitJson(parseJsonDocument(json));
      result = nftIn(h.path, ['list', 'ruleset']);
      resultJson = nftIn(h.path, ['-j', 'list', 'ruleset']);
    } catch (e) {
      pkgError = short(e);
    }
    const unloadable = pkgError !== undefined && refusal !== undefined ? lossyDocument(pkgError) : undefined;
    if (unloadable !== undefined) {
      // Both nft -j -f and the package refuse the document, for a reason that is in the document
      // itself (what nft 1.0.6 printed is not enough to rebuild the object): nothing to judge by.
      checks.d = { ok: false, skipped: `nft 1.0.6's JSON ${unloadable}; nft -j -f refuses it too (${refusal}), the package says: ${pkgError}` };
    } else if (result === undefined || resultJson === undefined) {
      fail('d', `${pkgError ?? 'no result'}${refusal !== undefined ? ` (nft -j -f refuses it too: ${refusal})` : ''}`);
    } else if (firstTextDifference(result, text) === undefined) {
      checks.d = { ok: true };
    } else if (reference !== undefined && firstTextDifference(result, reference) === undefined) {
      checks.d = { ok: true };
    } else {
      // Not the original: where the result lists in nft's JSON exactly as the original, the
      // package committed all the document holds; each text difference must then be one of
      // nft 1.0.6's JSON losses (losses.ts) to be judged (never a failure hidden).
      const jdiff = compareDocuments(withoutHandles(resultJson), withoutHandles(json));
      const explained = jdiff === undefined ? explainLosses(normaliseText(text), normaliseText(result)) : undefined;
      const tdiff = firstTextDifference(result, text) ?? '';
      const lost = explained ? `nft 1.0.6's JSON does not carry ${explained.losses.join(', ')} (${explained.first})` : undefined;
      if (refusal !== undefined) {
        if (lost !== undefined) checks.d = { ok: false, skipped: `nft -j -f refuses its own JSON (${refusal}); the package commits it and nft -j lists the result as the original, but ${lost}` };
        else fail('d', `${tdiff}; JSON ${jdiff ?? 'exact, a text difference no known loss explains'} (nft -j -f refuses its own JSON: ${refusal})`);
      } else {
        // no worse than nft's own load of the JSON: every original line it keeps, the package keeps
        const lostByPackage = missingLines(normaliseText(text), normaliseText(result));
        const lostByNft = missingLines(normaliseText(text), normaliseText(reference ?? ''));
        const worse = missingLines(lostByPackage.join('\n'), lostByNft.join('\n')).filter((l) => l !== '');
        if (lost !== undefined && worse.length === 0) checks.d = { ok: true, lossy: `${lost}; nft -j -f of the same JSON loses more` };
        else fail('d', `${tdiff}; JSON ${jdiff ?? (lost === undefined ? 'exact, a text difference no known loss explains' : `exact, but nft's own load keeps ${JSON.stringify(worse[0])}`)} (nft -j -f of the same JSON differs too)`);
      }
    }
    return { file: rel, checks, ms: Date.now() - started };
  } finally {
    if (nft) await nft.close().catch(() => undefined);
    h.proc.kill('SIGKILL');
  }
}

process.on('message', (msg: { file: string; rel: string }) => {
  checkDump(msg.file, msg.rel).then(
    (r) => process.send?.(r),
    (e: unknown) => process.send?.({ file: msg.rel, checks: {}, error: short(e), ms: 0 } satisfies DumpResult),
  );
});
process.send?.({ ready: true });
