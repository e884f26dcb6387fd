// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * nft 1.0.6's payload merging (src/rule.c payload_try_merge): payload comparisons with plain
 * values and the same operator, at adjacent offsets of the same header, are joined into one load
 * when the result still fits the kernel's 4-byte fast path. The joined match takes the place of
 * the lower-offset one. Verified: `tcp dport 443 tcp sport 80` -> one 4-byte load at th+0.
 */
import { concatBytes } from './bytes';
import type { Unit } from './lowering';

type Pm = Extract<Unit, { u: 'pm' }>;
const FASTPATH_BYTES = 4;

/** Merges in place; returns the surviving units in rule order. */
export function mergePayloadMatches(units: readonly Unit[]): Unit[] {
  const pms = units.filter((u): u is Pm => u.u === 'pm');
  if (pms.length < 2) return [...units];
  const sorted = [...pms].sort((a, b) => a.base - b.base || a.offset - b.offset);
  const removed = new Set<Unit>();
  let last = sorted[0] as Pm;
  for (const cur of sorted.slice(1)) {
    const adjacent = last.base === cur.base && last.offset + last.data.length === cur.offset;
    const total = last.data.length + cur.data.length;
    if (adjacent && last.op === cur.op && total <= FASTPATH_BYTES) {
      last.data = concatBytes([last.data, cur.data]);
      removed.add(cur);
    } else {
      last = cur;
    }
  }
  return units.filter((u) => !removed.has(u));
}
