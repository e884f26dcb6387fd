// SPDX-License-Identifier: GPL-2.0-or-later
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { human } from '../../lib/cli/format';
import { assertPrivateNetns } from '../helpers/netns';
import { nft, nftFlush, nftList, nftLoad } from '../helpers/nft';

assertPrivateNetns();

const ROOT = join(__dirname, '..', '..');
const CLI = [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(ROOT, 'lib', 'cli', 'main.ts')];

/** Runs the command; returns its exit code and output. */
function run(args: readonly string[], input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', input, env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function send(port: number, count: number, payload: number): Promise<void> {
  const s = createSocket('udp4');
  try {
    for (let i = 0; i < count; i++) await new Promise<void>((res, rej) => s.send(Buffer.alloc(payload), port, '127.0.0.1', (e) => (e ? rej(e) : res())));
  } finally {
    s.close();
  }
}

const RULESET = `table inet fw {
	chain output {
		type filter hook output priority filter; policy accept;
		udp dport 41001 counter packets 0 bytes 0 accept comment "udp-a"
		udp dport 41002 counter packets 0 bytes 0 comment "udp-b"
	}
}
`;

describe('the nftables command', () => {
  let dir: string;
  const listeners: ReturnType<typeof createSocket>[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nftables-cli-'));
    for (const port of [41001, 41002]) {
      const l = createSocket('udp4');
      await new Promise<void>((res) => l.bind(port, '127.0.0.1', res));
      listeners.push(l);
    }
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const l of listeners) l.close();
  });
  beforeEach(() => {
    nftFlush();
    nftLoad(RULESET);
  });

  it('human numbers as iptables -v prints them', () => {
    assert.deepEqual([0n, 99999n, 100000n, 12345678n, 5n * 10n ** 12n].map(human), ['0', '99999', '100K', '12345K', '5000G']);
  });

  it('list prints the ruleset exactly as nft list ruleset does; --json exactly what nft -j list ruleset prints', () => {
    const r = run(['list']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, nftList());
    const j = run(['--json', 'list']);
    assert.equal(j.code, 0);
    assert.deepEqual(JSON.parse(j.stdout), JSON.parse(nft(['-j', 'list', 'ruleset'])));
  });

  it('counters: a table per chain with exact packet and byte counts; --json; --reset', async () => {
    await send(41001, 3, 100);
    await send(41002, 1, 2);
    const r = run(['counters', '--family', 'inet', '--table', 'fw']);
    assert.equal(r.code, 0);
    assert.equal(r.stderr, '');
    const lines = r.stdout.split('\n').map((l) => l.trimEnd());
    assert.deepEqual(lines.slice(0, 4), ['Chain output (table inet fw)', 'pkts  bytes  handle  comment', '   3    384       2  udp-a', '   1     30       3  udp-b']);
    const j = JSON.parse(run(['--json', 'counters', '--reset']).stdout) as Array<{ comment: string; packets: string; bytes: string }>;
    assert.deepEqual(j.map((x) => [x.comment, x.packets, x.bytes]), [
      ['udp-a', '3', '384'],
      ['udp-b', '1', '30'],
    ]);
    assert.match(nftList(), /udp dport 41001 counter packets 0 bytes 0 accept comment "udp-a"/);
  });

  it('exit codes and messages a shell user can act on', () => {
    const missing = run(['counters', '--family', 'inet', '--table', 'nope']);
    assert.deepEqual([missing.code, missing.stderr, missing.stdout], [1, 'nftables: table inet nope does not exist\n', '']);
    const usage = run(['counters', '--chain', 'output']);
    assert.deepEqual([usage.code, usage.stderr], [2, 'nftables: --chain needs --table (see nftables --help)\n']);
    const bad = run(['counters', '--family', 'ipx']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /error: option '--family <family>' argument 'ipx' is invalid\. Allowed choices are ip, ip6, inet, arp, bridge, netdev\./);
    const unknown = run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^error: unknown command 'frobnicate'/);
    const jsonErr = run(['--json', 'counters', '--family', 'inet', '--table', 'nope']);
    assert.equal(jsonErr.code, 1);
    assert.deepEqual(JSON.parse(jsonErr.stderr), { error: 'table inet nope does not exist', exitCode: 1 });
    const help = run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /counters \[options\]/);
  });

  it('monitor prints the changes of a transaction made by nft, then the generation and the committer', async () => {
    const child = spawn(process.execPath, [...CLI, 'monitor', '--count', '1'], { env: { ...process.env, NO_COLOR: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number>((res) => child.once('exit', (c) => res(c ?? -1)));
    await new Promise<void>((res) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('# listening')) res();
      }),
    );
    nft(['add', 'chain', 'inet', 'fw', 'extra']);
    assert.equal(await exited, 0);
    assert.match(stdout, /^add chain inet fw extra\n# new generation \d+ by process \d+ \(nft\)\n$/);
  });

  it('blocklist load: fills a set from a file and prints a summary; a bad entry fails with its line', () => {
    const file = join(dir, 'list.txt');
    writeFileSync(file, '# bad hosts\n192.0.2.1\n198.51.100.0/24\n2001:db8::1\n');
    const r = run(['blocklist', 'load', file, '--table', 'bl', '--set', 'deny', '--layout', 'interval']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^loaded ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} into inet bl set deny: 3 added, 0 removed, 0 unchanged \\(\\d+ kernel elements, 1 transaction, atomic\\) in \\d+\\.\\d\\d s\\n$`));
    const sets = execFileSync('nft', ['list', 'table', 'inet', 'bl'], { encoding: 'utf8' });
    assert.match(sets, /192\.0\.2\.1/);
    assert.match(sets, /198\.51\.100\.0\/24/);
    assert.match(sets, /2001:db8::1/);
    writeFileSync(file, '192.0.2.1\nnot-an-address\n');
    const bad = run(['blocklist', 'load', file, '--table', 'bl', '--set', 'deny', '--layout', 'interval']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not-an-address/);
    const none = run(['blocklist', 'load', join(dir, 'absent.txt'), '--table', 'bl', '--set', 'deny']);
    assert.deepEqual([none.code, none.stderr], [1, `nftables: cannot read ${join(dir, 'absent.txt')}: ENOENT\n`]);
  });

  it('apply: a preset confirmed with --yes goes live; answering no rolls back (exit 3) and leaves the ruleset as it was', () => {
    const before = nftList();
    const no = run(['apply', 'host-ssh', '--deadline', '30'], 'n\n');
    assert.equal(no.code, 3, no.stderr);
    assert.match(no.stderr, /Keep it\? \[y\/N\]/);
    assert.match(no.stderr, /not confirmed: rolled back, table inet fw is as it was before\n$/);
    assert.equal(nftList(), before);
    const yes = run(['apply', 'host-ssh', '--yes']);
    assert.deepEqual([yes.code, yes.stdout], [0, 'confirmed: table inet fw is live\n']);
    assert.match(nftList(), /tcp dport 22/);
    const missing = run(['apply', 'no-such-thing']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^nftables: "no-such-thing" is neither a preset \(host, host-ssh, sanity, outbound, logging\) nor a readable file \(ENOENT\)\n$/);
  });

  it('counters --watch in a terminal: refreshed in place, rates shown, moved rules highlighted, q quits', async function () {
    const tmux = spawnSync('tmux', ['-V']);
    if (tmux.status !== 0) this.skip();
    const sock = `nftables-test-${process.pid}`;
    const tm = (...a: string[]) => execFileSync('tmux', ['-L', sock, ...a], { encoding: 'utf8' });
    const cmd = [process.execPath, ...CLI, 'counters', '--watch', '--interval', '0.2', '--family', 'inet', '--table', 'fw'].map((x) => `'${x}'`).join(' ');
    tm('new-session', '-d', '-x', '100', '-y', '20', '-s', 'w', `${cmd}; echo EXIT=$?; sleep 30`);
    try {
      const screen = (escapes = false) => tm('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'w');
      const until = async (what: string, ok: (s: string) => boolean) => {
        const end = Date.now() + 20000;
        for (;;) {
          const s = screen();
          if (ok(s)) return s;
          if (Date.now() > end) throw new Error(`timed out waiting for ${what}; screen:\n${s}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until('the first screen', (s) => s.includes('Chain output (table inet fw)'));
      // Keep traffic flowing on one rule until a refresh shows it moving.
      // Keep traffic flowing on one rule until a refresh shows it moving, highlighted (the
      // screen read with its colours: the moving row bold green, the idle row plain).
      const green = /\x1b\[[0-9;]*32m/;
      const rowOf = (text: string, name: string) => text.split('\n').find((l) => l.includes(name)) ?? '';
      let colored = '';
      const s = await until('a moving, highlighted rule', (x) => {
        void send(41001, 5, 100);
        colored = screen(true);
        return /^\s*\d+K?\s+\d+K?\s+[1-9][\d.]*K?\s+[1-9][\d.]*K?B\s+2\s+udp-a/m.test(x) && green.test(rowOf(colored, 'udp-a'));
      });
      assert.match(s, /^nftables counters --watch\s+every 0\.2s\s+\d\d:\d\d:\d\d UTC\s+q: quit$/m);
      assert.match(s, /^pkts\s+bytes\s+pkts\/s\s+bytes\/s\s+handle\s+comment\s*$/m);
      assert.match(s, /^\s+0\s+0\s+0\s+0B\s+3\s+udp-b\s*$/m);
      assert.doesNotMatch(rowOf(colored, 'udp-b'), green);
      // Refreshed in place: the header appears once on the screen.
      assert.equal(s.split('\n').filter((l) => l.startsWith('nftables counters --watch')).length, 1);
      tm('send-keys', '-t', 'w', 'q');
      const done = await until('the exit', (x) => x.includes('EXIT='));
      assert.match(done, /EXIT=0/);
    } finally {
      spawnSync('tmux', ['-L', sock, 'kill-server']);
    }
  });
});
