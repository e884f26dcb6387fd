// SPDX-License-Identifier: GPL-2.0-or-later
/** Blocklists: packed parsing, prefix merging and fast set updates. */
export { Blocklist, BlocklistPartialError } from './blocklist';
export type {
  BlocklistConnection,
  BlocklistLayout,
  BlocklistOptions,
  BlocklistProgress,
  BlocklistTransaction,
  ChangeOptions,
  ChangeResult,
  CommitInfo,
  ReplaceOptions,
} from './blocklist';
export { BlocklistEntryError, parseEntries, parseEntriesSync } from './parse';
export type { EntryProblem, EntrySource, PackedEntries, ParsedEntries, ParseOptions, SyncEntrySource } from './parse';
export { RangeTable, diff, normalize, rangeToPrefixes, subtract, union } from './ranges';
