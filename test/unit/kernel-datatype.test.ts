// SPDX-License-Identifier: GPL-2.0-or-later
/** The old model's datatype ids (lib/kernel.ts DATATYPE) agree with the nft datatype table (lib/nft/datatypes.ts). */
import assert from 'node:assert/strict';
import { DATATYPE } from '../../lib/kernel';
import { datatype } from '../../lib/nft/datatypes';

const NFT_NAME: Readonly<Record<string, string>> = { time_date: 'date', time_hour: 'hour', time_day: 'day', cgroupv2: 'cgroupsv2', pkt_type: 'pkt_type', icmp6_type: 'icmpv6_type' };

describe('lib/kernel.ts DATATYPE ids', () => {
  for (const [name, id] of Object.entries(DATATYPE)) {
    it(`${name} is nft's datatype ${id}`, () => {
      const byId = datatype(id);
      assert.ok(byId, `nft has a datatype ${id}`);
      const want = datatype(NFT_NAME[name] ?? name);
      assert.equal(want?.id, id, `${name}: nft's id is ${String(want?.id)} (${byId.name} is ${id})`);
    });
  }
});
