// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Logging chains (the guides' LOG_ACCEPT / LOG_DROP / LOG_REJECT user chains): jump to one to
 * log and then accept, drop or reject. Only new and related connections are logged, under a
 * rate limit, so a flood cannot fill the disk.
 */
import { accept, counter, ctState, drop, limit, log, reject, l4proto } from '../match';
import type { TableRef } from '../model/types';
import type { LogLevel } from '../rule/statement';
import { DEFAULT_TABLE, PresetBuilder, type Preset, type RateOption } from './preset';

export interface LogChainOptions {
  /** @default 'log_accept' | 'log_drop' | 'log_reject' */
  readonly name?: string;
  /** @default 'accept: ' | 'drop: ' | 'reject: ' */
  readonly prefix?: string;
  /** @default 'info' for accept, 'warn' for drop and reject */
  readonly level?: LogLevel;
}

export interface LoggingOptions {
  /** @default { family: 'inet', name: 'fw' } */
  readonly table?: TableRef;
  /** Log lines allowed (shared bucket per chain). @default { rate: 10, per: 'minute', burst: 5 } */
  readonly rate?: RateOption;
  /** Log only packets that open a connection (ct state new,related). @default true */
  readonly onlyNew?: boolean;
  readonly accept?: LogChainOptions;
  readonly drop?: LogChainOptions;
  readonly reject?: LogChainOptions;
}

/**
 * Three regular chains: `log_accept`, `log_drop`, `log_reject` (TCP reset for TCP, ICMP port
 * unreachable otherwise). Use them as jump targets: `jump('log_drop')`. The log rules carry a
 * counter after the limit (lines actually logged); the verdict rules count every packet.
 * @example composePresets(loggingChains(), myRules) // rule: [tcpDport(23), jump('log_drop')]
 */
export function loggingChains(options: LoggingOptions = {}): Preset {
  const b = new PresetBuilder(options.table ?? DEFAULT_TABLE);
  const r = options.rate ?? { rate: 10, per: 'minute' as const, burst: 5 };
  const onlyNew = options.onlyNew ?? true;
  const kinds = [
    ['accept', options.accept, 'info'],
    ['drop', options.drop, 'warn'],
    ['reject', options.reject, 'warn'],
  ] as const;
  for (const [kind, o, level] of kinds) {
    const name = b.chain(o?.name ?? `log_${kind}`);
    b.rule(
      name,
      `log: ${kind}`,
      ...(onlyNew ? [ctState('new', 'related')] : []),
      limit({ rate: r.rate, per: r.per, burst: r.burst ?? 5 }),
      counter(),
      log({ prefix: o?.prefix ?? `${kind}: `, level: o?.level ?? level }),
    );
    if (kind === 'accept') b.rule(name, 'log: accepted', counter(), accept());
    if (kind === 'drop') b.rule(name, 'log: dropped', counter(), drop());
    if (kind === 'reject') {
      b.rule(name, 'log: rejected tcp', l4proto('tcp'), counter(), reject({ tcpReset: true }));
      b.rule(name, 'log: rejected', counter(), reject());
    }
  }
  return b.build();
}
