// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * SIGKILL atomicity (scripts/kill-test.sh runs this in a private network namespace). A child
 * process commits either a 1M-element load (one elements operation, plus a marker chain in the
 * same transaction) or a large ruleset replace (delete the old table with its rules, add the new
 * one with more rules, one transaction); the parent SIGKILLs it at a random moment inside the
 * commit's window, then checks that the state is wholly old or wholly new.
 *   NFTJS_KILLS: kills per scenario (default 12, the CI size; the long run uses e.g. 150).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { binding } from '../../lib/native';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush } from '../helpers/nft';

assertPrivateNetns();

const root = join(__dirname, '..', '..');
const ELEMENTS = 1_000_000;
const OLD_RULES = 3000;
const NEW_RULES = 3500;

const child = {
  elements: `
    const b = require('node-gyp-build')(process.argv[1]);
    const s = b.openSocket({});
    const n = ${ELEMENTS};
    const keys = new Uint8Array(n * 4);
    const dv = new DataView(keys.buffer);
    for (let i = 0; i < n; i++) dv.setUint32(i * 4, 0x0a000000 + i);
    process.stdout.write('go\\n');
    b.commit(s, { ops: [
      { object: 'elements', verb: 'add', family: 1, table: 'kt', set: 's', count: n, keyLen: 4, keys },
      { object: 'chain', verb: 'add', family: 1, table: 'kt', name: 'done' },
    ] }).then((ack) => { process.stdout.write(JSON.stringify({ failures: ack.failures.length, errno: ack.transportErrno }) + '\\n'); });
  `,
  replace: `
    const b = require('node-gyp-build')(process.argv[1]);
    const s = b.openSocket({});
    const ops = [
      { object: 'table', verb: 'delete', family: 1, name: 'kr' },
      { object: 'table', verb: 'add', family: 1, name: 'kr' },
      { object: 'chain', verb: 'add', family: 1, table: 'kr', name: 'new' },
    ];
    for (let i = 0; i < ${NEW_RULES}; i++) ops.push({ object: 'rule', verb: 'add', family: 1, table: 'kr', chain: 'new', exprs: [{ type: 'counter' }] });
    process.stdout.write('go\\n');
    b.commit(s, { ops }).then((ack) => { process.stdout.write(JSON.stringify({ failures: ack.failures.length, errno: ack.transportErrno }) + '\\n'); });
  `,
};

function setupOld(scenario: keyof typeof child): void {
  nftFlush();
  if (scenario === 'elements') {
    nft(['-f', '-'], `table inet kt {\n set s {\n type ipv4_addr\n size ${ELEMENTS * 2}\n }\n}\n`);
  } else {
    const rules = Array.from({ length: OLD_RULES }, () => '  counter').join('\n');
    nft(['-f', '-'], `table inet kr {\n chain old {\n${rules}\n }\n}\n`);
  }
}

/** 'old' or 'new', or a description of the partial state found. */
function state(scenario: keyof typeof child): string {
  const b = binding();
  const s = b.openSocket({});
  try {
    if (scenario === 'elements') {
      const chains = (b.dumpSync(s, { what: 'chains', family: 1, table: 'kt' }) as unknown as { items: Array<{ name: string }> }).items.map((c) => c.name);
      const done = chains.includes('done');
      // Distinct keys: a dump taken while the kernel resizes the hash may repeat some.
      let count = -1;
      for (let attempt = 0; attempt < 3; attempt++) {
        const reply = b.dumpSync(s, { what: 'elements', family: 1, table: 'kt', set: 's' }) as unknown as { items?: { count: number; keys: Uint8Array } };
        const items = reply.items;
        if (!items) continue;
        const seen = new Set<number>();
        const dv = new DataView(items.keys.buffer, items.keys.byteOffset, items.keys.byteLength);
        for (let i = 0; i < items.count; i++) seen.add(dv.getUint32(i * 4));
        count = seen.size;
        if (count === 0 || count === ELEMENTS) break;
      }
      if (!done && count === 0) return 'old';
      if (done && count === ELEMENTS) return 'new';
      return `partial: marker chain ${done ? 'present' : 'absent'}, ${count} elements`;
    }
    const rules = (b.dumpSync(s, { what: 'rules', family: 1, table: 'kr' }) as unknown as { items: Array<{ chain: string }> }).items;
    const chains = (b.dumpSync(s, { what: 'chains', family: 1, table: 'kr' }) as unknown as { items: Array<{ name: string }> }).items.map((c) => c.name);
    const old = rules.filter((r) => r.chain === 'old').length;
    const neu = rules.filter((r) => r.chain === 'new').length;
    if (chains.join() === 'old' && old === OLD_RULES && neu === 0) return 'old';
    if (chains.join() === 'new' && neu === NEW_RULES && old === 0) return 'new';
    return `partial: chains [${chains.join()}], ${old} old rules, ${neu} new rules`;
  } finally {
    b.closeSocket(s);
  }
}

/** Runs the child; kills it delayMs after it starts the commit (undefined: let it finish). */
function run(scenario: keyof typeof child, delayMs: number | undefined): Promise<{ ms: number; killed: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['-e', child[scenario], root], { stdio: ['ignore', 'pipe', 'inherit'] });
    let started = 0;
    let out = '';
    p.stdout.setEncoding('utf8');
    p.stdout.on('data', (d: string) => {
      out += d;
      if (started === 0 && out.includes('go\n')) {
        started = Date.now();
        if (delayMs !== undefined) setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      const ms = Date.now() - started;
      if (signal === 'SIGKILL') return resolve({ ms, killed: true });
      const ack = out.split('\n').find((l) => l.startsWith('{'));
      if (code !== 0 || ack === undefined || !ack.includes('"failures":0,"errno":0')) return reject(new Error(`child failed: code ${code}, output ${out}`));
      resolve({ ms, killed: false });
    });
  });
}

async function main(): Promise<void> {
  const kills = Number(process.env.NFTJS_KILLS ?? 12);
  let partial = 0;
  for (const scenario of ['elements', 'replace'] as const) {
    setupOld(scenario);
    const full = await run(scenario, undefined);
    if (state(scenario) !== 'new') throw new Error(`${scenario}: an unkilled commit did not apply`);
    const window = Math.max(20, Math.round(full.ms * 1.3));
    const seen = { old: 0, new: 0, finished: 0 };
    for (let k = 0; k < kills; k++) {
      setupOld(scenario);
      const delay = Math.floor(Math.random() * window);
      const r = await run(scenario, delay);
      const st = state(scenario);
      if (!r.killed) seen.finished++;
      if (st === 'old' || st === 'new') seen[st]++;
      else {
        partial++;
        console.log(`${scenario}: kill ${k} at ${delay} ms: ${st}`);
      }
    }
    console.log(`kill-test ${scenario}: commit takes ${full.ms} ms; ${kills} SIGKILLs at random moments in [0, ${window}) ms: ${seen.old} old, ${seen.new} new, ${kills - seen.old - seen.new} partial (${seen.finished} finished before the kill)`);
  }
  nftFlush();
  console.log(`kill-test: ${kills * 2} kills, ${partial} partial states`);
  if (partial > 0) process.exit(1);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
