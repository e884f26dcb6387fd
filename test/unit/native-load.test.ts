// SPDX-License-Identifier: GPL-2.0-or-later
/** The addon is loaded only from the package itself: NFTABLES_PREBUILD is not honoured. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertPrivateNetns } from '../helpers/netns';

assertPrivateNetns();

describe('loading the addon', () => {
  it('ignores NFTABLES_PREBUILD (node-gyp-build would load any .node file from there) and leaves the variable as it was', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nftables-prebuild-'));
    try {
      // Not an addon: loading it would fail with "invalid ELF header".
      mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
      writeFileSync(join(dir, 'build', 'Release', 'evil.node'), 'not an ELF file');
      writeFileSync(join(dir, 'package.json'), '{"name":"nftables"}');
      const code = "const { binding } = require('./lib/native'); const b = binding(); process.stdout.write(`${b.abiVersion} ${process.env.NFTABLES_PREBUILD === process.argv[1]}`);";
      const out = execFileSync(process.execPath, ['--require', 'tsx/cjs', '-e', code, dir], {
        cwd: join(__dirname, '..', '..'),
        env: { ...process.env, NFTABLES_PREBUILD: dir },
        encoding: 'utf8',
      });
      assert.equal(out, '1 true');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
