// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Logging chains (the guides' LOG_AND_ACCEPT / LOG_AND_DROP / LOG_AND_REJECT user chains): jump
 * to one to log and then accept, drop or reject. Only new and related connections are logged,
 * under a rate limit by default, so a flood cannot fill the disk.
 */
import { accept, counter, ctState, drop, iifname, jump, limit, log, oifname, reject, l4proto } from '../match';
import { PRIORITY, type TableRef } from '../model/types';
import type { LogLevel } from '../rule/statement';
import type { JStatement as Statement } from '../nft/schema';
import { flagOrObject, optBool, optionsOf, optOneOf, optStr, stringList } from './check';
import { typeError } from '../rule/errors';
import { DEFAULT_TABLE, PresetBuilder, type Preset, type RateOption } from './preset';

export type LogChainKind = 'accept' | 'drop' | 'reject';

export interface LogChainOptions {
  /** @default 'log_accept' | 'log_drop' | 'log_reject' */
  readonly name?: string;
  /** @default 'accept: ' | 'drop: ' | 'reject: ' */
  readonly prefix?: string;
  /** @default 'info' for accept, 'warn' for drop and reject */
  readonly level?: LogLevel;
  /** Reject chain only: TCP gets a reset (false: ICMP port unreachable for everything, as iptables' plain `-j REJECT`). @default true */
  readonly tcpReset?: boolean;
}

/** Where a log chain is attached: a base chain (policy accept) jumping to it for new and related packets. */
export interface LogAttach {
  /** The log chain jumped to. */
  readonly target: LogChainKind;
  /** Only packets arriving on (input) / leaving through (output) these interfaces. @default all */
  readonly interfaces?: readonly string[];
}

export interface LoggingOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** Log lines allowed (shared bucket per chain); false: every packet is logged. @default { rate: 10, per: 'minute', burst: 5 } */
  readonly rate?: RateOption | false;
  /** Log only packets that open a connection (ct state new,related). @default true */
  readonly onlyNew?: boolean;
  /** Which of the three chains to create. @default ['accept', 'drop', 'reject'] */
  readonly chains?: readonly LogChainKind[];
  readonly accept?: LogChainOptions;
  readonly drop?: LogChainOptions;
  readonly reject?: LogChainOptions;
  /**
   * Guide 003's attachments: an `input` (and/or `output`) base chain, policy accept, whose one
   * rule sends new and related packets to a log chain. @default none
   */
  readonly attach?: { readonly input?: LogAttach; readonly output?: LogAttach };
}

const KINDS: readonly LogChainKind[] = ['accept', 'drop', 'reject'];

/**
 * Up to three regular chains: `log_accept`, `log_drop`, `log_reject` (TCP reset for TCP, ICMP
 * port unreachable otherwise). Use them as jump targets: `jump('log_drop')`. The log rules carry
 * a counter after the limit (lines actually logged); the verdict rules count every packet.
 * @example composePresets(loggingChains(), myRules) // rule: [tcpDport(23), jump('log_drop')]
 */
export function loggingChains(options: LoggingOptions = {}): Preset {
  const o = optionsOf(options, 'loggingChains() options');
  const rateOpt = o.rate === false ? false : flagOrObject(o.rate, 'loggingChains() rate');
  optBool(o.onlyNew, 'loggingChains() onlyNew');
  const kinds = o.chains === undefined ? KINDS : stringList(o.chains, 'loggingChains() chains', { nonEmpty: true });
  kinds.forEach((k, i) => optOneOf(k, KINDS, `loggingChains() chains[${i}]`));
  for (const k of KINDS) {
    const c = optionsOf(o[k], `loggingChains() ${k}`);
    optStr(c.name, `loggingChains() ${k}.name`);
    if (c.prefix !== undefined && typeof c.prefix !== 'string') throw typeError('a string', `loggingChains() ${k}.prefix`, c.prefix);
  }
  const att = optionsOf(o.attach, 'loggingChains() attach');
  for (const hook of ['input', 'output']) {
    const a = att[hook];
    if (a === undefined) continue;
    const ao = optionsOf(a, `loggingChains() attach.${hook}`);
    optOneOf(ao.target ?? null, KINDS, `loggingChains() attach.${hook}.target`);
    if (!kinds.includes(ao.target as LogChainKind)) throw typeError(`one of the chains created (${kinds.join(', ')})`, `loggingChains() attach.${hook}.target`, ao.target);
    stringList(ao.interfaces, `loggingChains() attach.${hook}.interfaces`);
  }

  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const r = options.rate === undefined ? { rate: 10, per: 'minute' as const, burst: 5 } : rateOpt ? (options.rate as RateOption) : undefined;
  const onlyNew = options.onlyNew ?? true;
  const levels: Record<LogChainKind, LogLevel> = { accept: 'info', drop: 'warn', reject: 'warn' };
  const names: Partial<Record<LogChainKind, string>> = {};
  for (const kind of kinds as LogChainKind[]) {
    const c = options[kind];
    const name = b.chain(c?.name ?? `log_${kind}`);
    names[kind] = name;
    b.rule(
      name,
      `log: ${kind}`,
      ...(onlyNew ? [ctState('new', 'related')] : []),
      ...(r ? [limit({ rate: r.rate, per: r.per, burst: r.burst ?? 5 })] : []),
      counter(),
      log({ prefix: c?.prefix ?? `${kind}: `, level: c?.level ?? levels[kind] }),
    );
    if (kind === 'accept') b.final(name, 'log: accepted', counter(), accept());
    if (kind === 'drop') b.final(name, 'log: dropped', counter(), drop());
    if (kind === 'reject') {
      if (c?.tcpReset ?? true) b.final(name, 'log: rejected tcp', l4proto('tcp'), counter(), reject({ tcpReset: true }));
      b.final(name, 'log: rejected', counter(), reject());
    }
  }
  for (const hook of ['input', 'output'] as const) {
    const a = options.attach?.[hook];
    if (!a) continue;
    const chain = b.chain(hook, { type: 'filter', hook, priority: PRIORITY.filter, policy: 'accept' });
    const ifs: Statement[] = a.interfaces && a.interfaces.length > 0 ? [(hook === 'input' ? iifname : oifname)([...a.interfaces])] : [];
    b.rule(chain, `log: ${hook} new to ${a.target}`, ctState('new', 'related'), ...ifs, counter(), jump(names[a.target] as string));
  }
  return b.build();
}
