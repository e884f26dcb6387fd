// SPDX-License-Identifier: GPL-2.0-or-later
// The counters-only read path: one GETRULE dump (or GETRULE_RESET) whose replies are walked by
// hand for nothing but each rule's location, handle, comment and first counter, straight into
// packed columns. No libnftnl rule objects, no per-expression decoding.
#ifndef NATIVE_COUNTERS_H_
#define NATIVE_COUNTERS_H_

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "netlink.h"

namespace nftjs {

struct CounterSpec {
  uint16_t family = 0;  // NFPROTO_UNSPEC = every family
  std::string table, chain;
  bool reset = false;
};

// Where a run of rules lives; rules point at one by index (consecutive rules share it).
struct CounterPlace {
  uint16_t family = 0;
  std::string table, chain;
};

struct CounterResult {
  int err = 0;
  std::string message;
  std::vector<uint64_t> handles, packets, bytes;
  std::vector<uint32_t> place;   // index into places, per rule
  std::vector<CounterPlace> places;
  std::vector<uint8_t> flags;    // bit 0: the rule has a comment
  std::vector<uint8_t> names;    // comments, UTF-8, back to back
  std::vector<uint32_t> name_end;  // end offset of each rule's comment in names
  uint32_t genid16 = 0;          // nfgenmsg.res_id of the replies (low 16 bits of the generation)
};

// Runs the dump on the socket (blocking; call off the event loop). Retries a dump the kernel
// flagged NLM_F_DUMP_INTR (the ruleset changed under it), except a reset dump.
void RunCounters(NlSocket* s, const CounterSpec& spec, CounterResult* out);

// JS entry points: counters(socket, { family?, table?, chain?, reset? }) -> Promise<CountersData>
// and countersSync(socket, request) -> CountersData (blocking).
Napi::Value CountersJs(const Napi::CallbackInfo& info);
Napi::Value CountersSyncJs(const Napi::CallbackInfo& info);

}  // namespace nftjs

#endif  // NATIVE_COUNTERS_H_
