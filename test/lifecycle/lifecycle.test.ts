// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Nftables } from '../../lib';
import { assertPrivateNetns } from '../helpers/netns';
import { nftFlush, nftList } from '../helpers/nft';

assertPrivateNetns();

const root = join(__dirname, '..', '..');
const fw = { family: 'inet', name: 'life' } as const;

/** Runs a script in a child node process (same namespace) and returns its stdout. */
function child(code: string): string {
  return execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', code], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('connection lifecycle', () => {
  beforeEach(() => nftFlush());

  it('close() waits for queued operations, then refuses new ones', async () => {
    const nft = await Nftables.open();
    const commits = [nft.transaction().add(fw).commit(), nft.transaction().add({ table: fw, name: 'c' }).commit()];
    const closing = nft.close();
    await Promise.all(commits);
    await closing;
    assert.match(nftList(), /chain c/);
    assert.throws(() => nft.transaction().add(fw).commitSync(), { message: 'The connection is closed' });
    await nft.close(); // closing twice is harmless
  });

  it('operations on one connection run one at a time, in call order', async () => {
    const nft = await Nftables.open();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        nft
          .transaction()
          .add(fw)
          .add({ table: fw, name: `c${i}` })
          .commit()
          .then(() => order.push(i)),
      ),
    );
    assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
    assert.equal((await nft.listChains({ family: 'inet', table: 'life' })).length, 20);
    await nft.close();
  });

  it('an owner table disappears when its connection closes', async () => {
    const nft = await Nftables.open();
    await nft.transaction().add({ ...fw, owner: true }).commit();
    const [t] = await nft.listTables();
    assert.equal(t?.flags, 'owner');
    const raw = await nft.dump({ what: 'tables' });
    assert.ok(raw.what === 'tables');
    assert.equal(raw.items[0]?.owner, nft.portId);
    assert.match(nftList(), /table inet life/);
    await nft.close();
    assert.equal(nftList(), '');
  });

  it('a connection the program forgets is closed by the garbage collector (owner table goes away)', () => {
    const out = child(`
      const { Nftables } = require('./lib');
      const { execFileSync } = require('node:child_process');
      (async () => {
        let nft = await Nftables.open();
        await nft.transaction().add({ family: 'inet', name: 'gc', owner: true }).commit();
        nft = undefined;
        for (let i = 0; i < 20 && execFileSync('nft', ['list', 'tables']).length > 0; i++) {
          global.gc?.();
          await new Promise((r) => setTimeout(r, 20));
        }
        process.stdout.write(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }) || 'gone');
      })();
    `.replace('(async', 'global.gc = global.gc || require("v8").setFlagsFromString("--expose-gc") || require("vm").runInNewContext("gc"); (async'));
    assert.equal(out, 'gone');
  });

  it('process exit with a commit in flight ends cleanly (no crash, the commit is all or nothing)', () => {
    child(`
      const { Nftables } = require('./lib');
      Nftables.open().then((nft) => {
        const tx = nft.transaction().add({ family: 'inet', name: 'exit' });
        for (let i = 0; i < 200; i++) tx.add({ table: { family: 'inet', name: 'exit' }, name: 'c' + i });
        tx.commit();
        process.exit(0);
      });
    `);
    const listed = nftList();
    const chains = (listed.match(/chain c\d+/g) ?? []).length;
    assert.ok(chains === 0 || chains === 200, `all or nothing, saw ${chains} chains`);
  });

  it('works from worker_threads, each with its own connection', async () => {
    const code = `
      require('tsx/cjs');
      const { parentPort, workerData } = require('node:worker_threads');
      const { Nftables } = require(workerData.lib);
      (async () => {
        const nft = await Nftables.open();
        await nft.transaction().add({ family: 'inet', name: 'w' + workerData.i }).commit();
        const names = (await nft.listTables()).map((t) => t.name);
        await nft.close();
        parentPort.postMessage(names.includes('w' + workerData.i));
      })();
    `;
    const results = await Promise.all(
      [0, 1, 2].map(
        (i) =>
          new Promise<unknown>((resolve, reject) => {
            const w = new Worker(code, { eval: true, workerData: { i, lib: join(root, 'lib') } });
            w.once('message', resolve);
            w.once('error', reject);
          }),
      ),
    );
    assert.deepEqual(results, [true, true, true]);
    for (const i of [0, 1, 2]) assert.match(nftList(), new RegExp(`table inet w${i} `));
  });

  it('a socket value that is not ours is refused with a TypeError, not a crash', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { binding } = require('../../lib/native') as typeof import('../../lib/native');
    assert.throws(() => binding().commitSync({} as never, { ops: [] }), { name: 'TypeError', message: 'Expected a socket returned by openSocket()' });
    assert.throws(() => binding().commitSync(42 as never, { ops: [] }), { name: 'TypeError' });
  });
});
