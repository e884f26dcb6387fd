// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Child process for the safe-apply tests: starts a trial of hostFirewall({ tcpPorts: [80] }) in
 * the namespace given, prints "started <deadline>" (the trial's deadline, ms since the epoch),
 * then either waits to be killed ("wait") or blocks its own event loop for `hangMs` ("hang") — a
 * process that is alive but cannot run its timer. Optional 5th argument: leaseMs. After an
 * automatic rollback it prints "rolled back" and the reason, if any.
 */
import { safeApply } from '../../../lib/safe-apply';
import { hostFirewall, presetObjects } from '../../../lib/presets';

const [netns, deadline, mode, hang, lease] = process.argv.slice(2);
(async () => {
  const trial = await safeApply(presetObjects(hostFirewall({ tcpPorts: [80] })), {
    netns: netns as string,
    deadlineMs: Number(deadline),
    ...(lease !== undefined ? { leaseMs: Number(lease) } : {}),
    onRollback: (e) => process.stdout.write(`rolled back${e ? `: ${e.message}` : ''}\n`),
  });
  process.stdout.write(`started ${trial.deadline}\n`);
  if (mode === 'hang') {
    const end = Date.now() + Number(hang);
    while (Date.now() < end) {
      /* busy: no timers, no I/O */
    }
    process.stdout.write('resumed\n');
  }
  setInterval(() => undefined, 1000);
})().catch((e: unknown) => {
  process.stderr.write(`${String(e)}\n`);
  process.exit(1);
});
