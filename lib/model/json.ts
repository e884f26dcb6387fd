// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * The typed shorthand (Table, Chain, SetSpec, ObjectSpec) as nft's JSON model: each object is
 * compiled to the descriptor a commit sends, and that descriptor is read back by the same code
 * that reads the kernel's dumps (lib/nft/objects). So the JSON of a shorthand object is what
 * listing it after a commit gives (handles aside), by construction, not by a second mapping
 * to keep in step.
 */
import type { ChainData, ObjectData, SetData, TableData } from '../native';
import { chainFromData, objectFromData, setFromData, tableFromData } from '../nft/objects';
import type { JChain, JSet, JTable, NftDocument, NftItem, NftObject } from '../nft/schema';
import { isObject, isRule, isSet, isTable, jsonObjectOf, type ModelObject } from '../transaction';
import { chainDesc, objectDesc, setDesc, tableDesc } from './objects';
import type { Chain, ObjectSpec, SetSpec, Table } from './types';

/** A listing's fields the shorthand has no value for (the kernel assigns them). */
const DUMP = { handle: 0n, use: 0 } as const;

/** Drops the `handle` a conversion from dump data carries (the shorthand has none). */
function noHandle<T extends object>(o: T): T {
  const { handle: _h, ...rest } = o as T & { handle?: unknown };
  return rest as T;
}

export function tableJson(t: Table): JTable {
  const d = tableDesc(t, 'add');
  return noHandle(tableFromData({ ...DUMP, family: d.family, name: d.name, flags: d.flags ?? 0, ...(d.userdata ? { userdata: d.userdata } : {}) } as TableData));
}

export function chainJson(c: Chain): JChain {
  const { object: _o, verb: _v, ...d } = chainDesc(c, 'add');
  return noHandle(chainFromData({ ...DUMP, ...d, ...(d.devices ? { devices: [...d.devices] } : {}) } as ChainData));
}

/** A named set or map: `{ set: … }` or `{ map: … }`, as listings give them. */
export function setJson(s: SetSpec): { set: JSet } | { map: JSet } {
  const { object: _o, verb: _v, id: _id, ...d } = setDesc(s, 'add');
  const { set } = setFromData({ ...DUMP, ...d, flags: d.flags ?? 0, keyType: d.keyType ?? 0, keyLen: d.keyLen ?? 0, exprs: [...(d.exprs ?? [])], ...(d.concat ? { concat: [...d.concat] } : {}) } as unknown as SetData);
  const bare = noHandle(set);
  return bare.map !== undefined ? { map: bare } : { set: bare };
}

export function objectJson(o: ObjectSpec): NftObject {
  const { object: _o, verb: _v, ...d } = objectDesc(o, 'add');
  const j = objectFromData({ ...DUMP, ...d, attrs: { ...(d.attrs ?? {}) } } as ObjectData);
  if (j === undefined) throw new TypeError(`Expected a named object of a known type for object.type but received ${JSON.stringify(o.type)}`);
  const [kind, body] = Object.entries(j)[0] as [string, object];
  return { [kind]: noHandle(body) } as unknown as NftObject;
}

/**
 * One model object as an item of nft's JSON model (`{ table: … }`, `{ chain: … }`, `{ set: … }`,
 * `{ map: … }`, `{ rule: … }`, `{ counter: … }`…): the shorthand converted, the JSON model as it is.
 */
export function jsonItem(o: ModelObject): NftItem {
  if (isRule(o)) {
    const { handle: _h, ...rule } = o;
    return { rule } as NftItem;
  }
  const j = jsonObjectOf(o);
  if (j) return { [j.kind]: j.body } as unknown as NftItem;
  if (isSet(o)) return setJson(o);
  if (isObject(o)) return objectJson(o);
  if (isTable(o)) return { table: tableJson(o) };
  return { chain: chainJson(o as Chain) };
}

/**
 * Model objects (a preset's, or any mix of the shorthand and the JSON model) as the document
 * nft's JSON model writes them, in nft's listing order: per table (in order of appearance) the
 * table, its named objects, its sets and maps, its chains, then its rules. `nft -j -f` loads it;
 * renderDocument() prints it as `nft list ruleset` would list it.
 */
export function modelDocument(objects: Iterable<ModelObject>): NftDocument {
  const order = ['table', 'object', 'set', 'chain', 'rule'] as const;
  const tables = new Map<string, Record<(typeof order)[number], NftItem[]>>();
  const slot = (family: string, table: string): Record<(typeof order)[number], NftItem[]> => {
    const k = `${family} ${table}`;
    let t = tables.get(k);
    if (!t) tables.set(k, (t = { table: [], object: [], set: [], chain: [], rule: [] }));
    return t;
  };
  for (const o of objects) {
    const item = jsonItem(o);
    const [kind, body] = Object.entries(item)[0] as [string, { family: string; table?: string; name: string }];
    const where = slot(body.family, kind === 'table' ? body.name : (body.table as string));
    const k = kind === 'table' || kind === 'chain' || kind === 'rule' ? kind : kind === 'set' || kind === 'map' ? 'set' : 'object';
    where[k].push(item);
  }
  const items: NftItem[] = [];
  for (const [key, t] of tables) {
    // a table the objects name but the input does not hold: its block needs it
    if (t.table.length === 0) {
      const [family, ...name] = key.split(' ');
      t.table.push({ table: { family, name: name.join(' ') } } as NftItem);
    }
    for (const k of order) items.push(...t[k]);
  }
  return { nftables: items };
}
