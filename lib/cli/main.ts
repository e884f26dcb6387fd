#!/usr/bin/env node
// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The `nftables` command: list, counters (live), monitor, blocklist load and safe apply, built
 * on the package's public API only (no subprocess). Exit codes: 0 success, 1 the kernel or the
 * system refused (message says why), 2 usage error, 3 apply rolled back (not confirmed),
 * 4 permission denied (needs CAP_NET_ADMIN).
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Command, CommanderError, Option } from 'commander';
import { SingleBar } from 'cli-progress';
import pc from 'picocolors';
import {
  Blocklist,
  Nftables,
  hostFirewall,
  isNftError,
  loggingChains,
  outboundPolicy,
  presetObjects,
  renderRule,
  renderElement,
  renderDocument,
  toJsonText,
  safeApply,
  sanityFilter,
  type Family,
  type ModelObject,
  type MonitorEvent,
  type Preset,
  type RulesetChange,
} from '../index';
import { countersTable, human, toJson, watchScreen } from './format';

export const EXIT = { ok: 0, failure: 1, usage: 2, rolledBack: 3, permission: 4 } as const;

class UsageError extends Error {}

interface Globals {
  readonly netns?: string;
  readonly json?: boolean;
}

const FAMILIES = ['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev'];

function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

async function open(g: Globals): Promise<Nftables> {
  return Nftables.open(g.netns !== undefined ? { netns: g.netns } : {});
}

function filterOf(o: { family?: string; table?: string; chain?: string }): { family?: Family; table?: string; chain?: string } {
  if (o.chain !== undefined && o.table === undefined) throw new UsageError('--chain needs --table');
  return { ...(o.family !== undefined ? { family: o.family as Family } : {}), ...(o.table !== undefined ? { table: o.table } : {}), ...(o.chain !== undefined ? { chain: o.chain } : {}) };
}

async function cmdList(g: Globals, o: { family?: string; table?: string }): Promise<void> {
  const nft = await open(g);
  try {
    const f = filterOf(o);
    if (f.table !== undefined && f.family === undefined) throw new UsageError('--table needs --family');
    // nft's JSON model (docs/json.md): --json prints what `nft -j list ruleset` prints; the text is its render.
    const doc = await nft.listJson({ ...(f.family !== undefined ? { family: f.family } : {}), ...(f.table !== undefined ? { table: f.table } : {}) });
    const tables = doc.nftables.filter((i) => 'table' in i).length;
    if (f.table !== undefined && tables === 0) throw new NotFound(`table ${f.family} ${f.table} does not exist`);
    if (g.json) out(toJsonText(doc, { allowRaw: true, nft106: true }));
    else if (tables > 0) out(renderDocument(doc));
  } finally {
    await nft.close();
  }
}

class NotFound extends Error {}

async function cmdCounters(g: Globals, o: { family?: string; table?: string; chain?: string; reset?: boolean; exact?: boolean; watch?: boolean; interval: string }): Promise<void> {
  const f = filterOf(o);
  const intervalMs = Math.round(Number(o.interval) * 1000);
  if (!Number.isFinite(intervalMs) || intervalMs < 100 || intervalMs > 3600_000) throw new UsageError(`--interval takes seconds between 0.1 and 3600, not "${o.interval}"`);
  const nft = await open(g);
  try {
    if (f.table !== undefined) {
      const tables = await nft.listTables(f.family ? { family: f.family } : {});
      if (!tables.some((t) => t.name === f.table)) throw new NotFound(`table ${f.family ?? ''}${f.family ? ' ' : ''}${f.table} does not exist`);
    }
    if (!o.watch) {
      const c = await nft.counters({ ...f, ...(o.reset ? { reset: true } : {}) });
      if (g.json) out(toJson(c));
      else out(c.length === 0 ? '(no rules with a counter)' : countersTable(c, o.exact === true));
      return;
    }
    await watch(nft, g, f, intervalMs);
  } finally {
    await nft.close();
  }
}

async function watch(nft: Nftables, g: Globals, f: { family?: Family; table?: string; chain?: string }, intervalMs: number): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const tty = process.stdout.isTTY === true;
  const stdin = process.stdin;
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', (d: Buffer) => {
      const k = d.toString();
      if (k === 'q' || k === '\u0003' || k === '\u001b') stop();
    });
  }
  if (tty && !g.json) process.stdout.write('\u001b[?1049h\u001b[?25l'); // alternate screen, hide cursor
  try {
    for await (const s of nft.counterRates(f, { intervalMs, signal: ac.signal })) {
      if (g.json) {
        out(toJson({ elapsedMs: s.elapsedMs, rules: s.rules.map((r) => ({ table: r.table, chain: r.chain, handle: r.handle, comment: r.comment, packets: r.packets, bytes: r.bytes, packetsPerSec: r.packetsPerSec, bytesPerSec: r.bytesPerSec })) }));
        continue;
      }
      const screen = watchScreen(s, { intervalMs, color: tty && !process.env.NO_COLOR, now: new Date() });
      process.stdout.write(tty ? `\u001b[H\u001b[2J${screen}\n` : `${screen}\n\n`);
    }
  } finally {
    if (tty && !g.json) process.stdout.write('\u001b[?25h\u001b[?1049l');
    if (stdin.isTTY) {
      stdin.setRawMode(false);
      stdin.pause();
    }
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function changeText(c: RulesetChange): string {
  const verb = 'op' in c ? c.op : 'other';
  switch (c.kind) {
    case 'table':
      return `${verb} table ${c.table.family} ${c.table.name}`;
    case 'chain':
      return `${verb} chain ${c.chain.family} ${c.chain.table} ${c.chain.name}`;
    case 'rule':
      return `${verb} rule ${c.rule.family} ${c.rule.table} ${c.rule.chain} handle ${c.rule.handle}${c.op === 'add' ? ` ${renderRule(c.rule)}` : ''}`;
    case 'set':
      return `${verb} ${c.set.map !== undefined ? 'map' : 'set'} ${c.set.family} ${c.set.table} ${c.set.name}`;
    case 'elements': {
      const keys = c.elem ? c.elem.map((e) => renderElement(e)).join(', ') : `${c.data.count} element(s)`;
      return `${verb} element ${c.set.family} ${c.set.table} ${c.set.name} { ${keys} }`;
    }
    case 'object': {
      const [kind, body] = Object.entries(c.object)[0] as [string, { family: string; table: string; name: string }];
      return `${verb} ${kind} ${body.family} ${body.table} ${body.name}`;
    }
    default:
      return `message type ${c.type}`;
  }
}

function eventText(ev: MonitorEvent): string {
  if (ev.type === 'lost') return `# EVENTS LOST (${ev.reason === 'kernel' ? 'the receive buffer overflowed' : ev.reason}): re-read the ruleset`;
  if (ev.type === 'trace') return `trace id ${ev.id.toString(16)} ${ev.family ?? ''} ${ev.table ?? ''} ${ev.chain ?? ''} ${ev.traceType}${ev.handle !== undefined ? ` handle ${ev.handle}` : ''}${ev.verdict ? ` verdict ${ev.verdict}` : ''}`.replace(/ +/g, ' ');
  return [...ev.changes.map(changeText), `# new generation ${ev.generation} by process ${ev.pid} (${ev.process})`].join('\n');
}

async function cmdMonitor(g: Globals, o: { trace?: boolean; count?: string }): Promise<void> {
  const nft = await open(g);
  const m = await nft.monitor(o.trace ? { trace: true } : {});
  const limit = o.count !== undefined ? Number(o.count) : Infinity;
  if (!(limit > 0)) throw new UsageError(`--count takes a positive number, not "${o.count ?? ''}"`);
  const stop = () => m.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let n = 0;
  let lost = false;
  try {
    // Said once subscribed: scripts may wait for it before changing the ruleset.
    if (!g.json) process.stderr.write((process.stderr.isTTY ? pc.dim : String)('# listening for ruleset changes (Ctrl-C to stop)\n'));
    for await (const ev of m) {
      if (ev.type === 'lost') lost = true;
      out(g.json ? toJson(ev) : eventText(ev));
      if (++n >= limit) break;
    }
  } finally {
    m.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await nft.close();
  }
  if (lost) process.exitCode = EXIT.failure;
}

async function cmdBlocklistLoad(g: Globals, file: string, o: { family: string; table: string; set: string; layout?: string; timeout?: string }): Promise<void> {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (e) {
    throw new NotFound(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const nft = await open(g);
  const bar = process.stderr.isTTY && !g.json ? new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} entries | {phase}', stream: process.stderr, hideCursor: true }) : undefined;
  const started = performance.now();
  try {
    const bl = await Blocklist.open(nft, {
      table: { family: o.family as Family, name: o.table },
      name: o.set,
      initial: 'flush',
      ...(o.layout ? { layout: o.layout as 'hash' | 'interval' } : {}),
      ...(o.timeout ? { timeoutMs: Math.round(Number(o.timeout) * 1000) } : {}),
    });
    const total = text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
    bar?.start(total, 0, { phase: 'parsing' });
    // A file is text of many lines: pass it as bytes (a string would be one single entry).
    const r = await bl.replace(Buffer.from(text, 'utf8'), {
      onProgress: (p) => bar?.update(Math.min(p.entries, total), { phase: p.phase + (p.transactions ? ` ${p.transaction ?? 0}/${p.transactions}` : '') }),
    });
    bar?.update(total, { phase: 'committed' });
    bar?.stop();
    const seconds = (performance.now() - started) / 1000;
    const summary = { file, table: `${o.family} ${o.table}`, set: o.set, added: r.added, removed: r.removed, unchanged: r.unchanged, elements: r.elements, transactions: r.transactions, atomic: r.atomic, seconds: Number(seconds.toFixed(3)) };
    if (g.json) out(toJson(summary));
    else out(`loaded ${file} into ${o.family} ${o.table} set ${o.set}: ${r.added} added, ${r.removed} removed, ${r.unchanged} unchanged (${r.elements} kernel elements, ${r.transactions} transaction${r.transactions === 1 ? '' : 's'}${r.atomic ? ', atomic' : ''}) in ${seconds.toFixed(2)} s`);
  } finally {
    bar?.stop();
    await nft.close();
  }
}

const PRESETS: Record<string, () => Preset> = {
  host: () => hostFirewall(),
  'host-ssh': () => hostFirewall({ tcpPorts: [22] }),
  sanity: () => sanityFilter(),
  outbound: () => outboundPolicy(),
  logging: () => loggingChains(),
};

function loadObjects(what: string): ModelObject[] {
  const preset = PRESETS[what];
  if (preset) return presetObjects(preset());
  let text: string;
  try {
    text = readFileSync(what, 'utf8');
  } catch (e) {
    throw new NotFound(`"${what}" is neither a preset (${Object.keys(PRESETS).join(', ')}) nor a readable file (${(e as NodeJS.ErrnoException).code ?? ''})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
  } catch (e) {
    throw new UsageError(`${what}: not JSON (${(e as Error).message}); expected an array of model objects (tables, chains, sets, rules)`);
  }
  const objects = Array.isArray(parsed) ? parsed : (parsed as { objects?: unknown }).objects;
  if (!Array.isArray(objects)) throw new UsageError(`${what}: expected an array of model objects, or { "objects": [...] }`);
  return objects as ModelObject[];
}

async function ask(question: string, timeoutMs: number): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      rl.question(question, (a) => {
        clearTimeout(timer);
        resolve(/^y(es)?$/i.test(a.trim()));
      });
      rl.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  } finally {
    rl.close();
  }
}

async function cmdApply(g: Globals, what: string, o: { deadline: string; yes?: boolean }): Promise<void> {
  const deadlineMs = Math.round(Number(o.deadline) * 1000);
  if (!Number.isFinite(deadlineMs) || deadlineMs < 1000) throw new UsageError(`--deadline takes at least 1 second, not "${o.deadline}"`);
  const objects = loadObjects(what);
  const trial = await safeApply(objects, { deadlineMs, ...(g.netns !== undefined ? { netns: g.netns } : {}) });
  const name = `${trial.table.family} ${trial.table.name}`;
  const keep = o.yes === true || (await ask(`Applied ${what} as table ${name} on trial. Keep it? [y/N] (rolls back in ${Math.round(deadlineMs / 1000)} s) `, Math.max(0, trial.deadline - Date.now() - 250)));
  if (keep) {
    await trial.confirm();
    if (g.json) out(toJson({ applied: what, table: name, state: 'confirmed' }));
    else out(`confirmed: table ${name} is live`);
    return;
  }
  await trial.rollback();
  if (g.json) out(toJson({ applied: what, table: name, state: 'rolled-back' }));
  else process.stderr.write(`not confirmed: rolled back, table ${name} is as it was before\n`);
  process.exitCode = EXIT.rolledBack;
}

/** Turns any failure into a message on stderr and an exit code. */
export function report(e: unknown, json: boolean): number {
  const say = (code: number, msg: string, extra: Record<string, unknown> = {}) => {
    process.stderr.write(json ? `${toJson({ error: msg, exitCode: code, ...extra })}\n` : `nftables: ${msg}\n`);
    return code;
  };
  if (e instanceof UsageError) return say(EXIT.usage, `${e.message} (see nftables --help)`);
  if (e instanceof NotFound) return say(EXIT.failure, e.message);
  if (e instanceof TypeError || e instanceof RangeError) return say(EXIT.usage, e.message);
  const code = (e as { code?: string }).code;
  if (code === 'EPERM' || code === 'EACCES') {
    return say(EXIT.permission, `permission denied: ${(e as Error).message}. Programming nftables needs CAP_NET_ADMIN (run as root, or with sudo).`, { code });
  }
  if (isNftError(e)) return say(EXIT.failure, e.message, { code: e.code });
  return say(EXIT.failure, e instanceof Error ? e.message : String(e), code ? { code } : {});
}

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('nftables');
  let json = argv.includes('--json');
  program
    .description('Inspect and operate the nftables firewall over netlink (no nft subprocess).')
    .option('--netns <path>', 'network namespace to work in (/run/netns/NAME or /proc/PID/ns/net)')
    .option('--json', 'machine-readable output (JSON; JSON lines for streams)')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const globals = (): Globals => program.opts<Globals>();
  const fam = () => new Option('--family <family>', 'address family').choices(FAMILIES);
  program
    .command('list')
    .description('print the ruleset as nft does (or as JSON with --json)')
    .addOption(fam())
    .option('--table <name>', 'only this table (with --family)')
    .action((o: { family?: string; table?: string }) => cmdList(globals(), o));
  program
    .command('counters')
    .description('rule counters, like iptables -vnL; --watch refreshes in place with rates')
    .addOption(fam())
    .option('--table <name>', 'only this table')
    .option('--chain <name>', 'only this chain (with --table)')
    .option('--reset', 'read and zero the counters atomically (Linux 6.6+)')
    .option('-x, --exact', 'exact numbers instead of K/M/G')
    .option('-w, --watch', 'live view: refreshed in place, with packets/s and bytes/s; rules that moved are highlighted')
    .option('--interval <seconds>', 'refresh interval of --watch', '1')
    .action((o: { family?: string; table?: string; chain?: string; reset?: boolean; exact?: boolean; watch?: boolean; interval: string }) => cmdCounters(globals(), o));
  program
    .command('monitor')
    .description('print ruleset changes as they happen, one transaction at a time')
    .option('--trace', 'also print packet traces (rules with meta nftrace set 1)')
    .option('--count <n>', 'stop after n events')
    .action((o: { trace?: boolean; count?: string }) => cmdMonitor(globals(), o));
  const bl = program.command('blocklist').description('blocklist sets');
  bl.command('load <file>')
    .description('replace the content of a blocklist set with the addresses and CIDRs of a file (- for stdin)')
    .addOption(fam().default('inet'))
    .requiredOption('--table <name>', 'table holding the set (created if missing)')
    .requiredOption('--set <name>', 'set name (created if missing)')
    .addOption(new Option('--layout <layout>', 'set layout').choices(['hash', 'interval']))
    .option('--timeout <seconds>', 'default timeout of the entries')
    .action((file: string, o: { family: string; table: string; set: string; layout?: string; timeout?: string }) => cmdBlocklistLoad(globals(), file, o));
  program
    .command('apply <file-or-preset>')
    .description(`apply a ruleset safely: on trial until confirmed, rolled back automatically otherwise (presets: ${Object.keys(PRESETS).join(', ')})`)
    .option('--deadline <seconds>', 'seconds to confirm before the automatic rollback', '60')
    .option('-y, --yes', 'confirm without asking')
    .action((what: string, o: { deadline: string; yes?: boolean }) => cmdApply(globals(), what, o));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    json = globals().json === true;
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version') return EXIT.ok;
      return EXIT.usage;
    }
    return report(e, json);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.exitCode = report(e, false);
    },
  );
}

export { human };
