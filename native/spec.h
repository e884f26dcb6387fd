// SPDX-License-Identifier: GPL-2.0-or-later
// Plain C++ descriptions of a batch and of dump replies. convert.cc fills and reads them on
// the main thread; encode/netlink/decode use them off the event loop. No napi.h here.
#ifndef NATIVE_SPEC_H_
#define NATIVE_SPEC_H_

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "expr-table.h"

namespace nftjs {

using Bytes = std::vector<uint8_t>;

struct ExprSpec;

struct AttrValue {
  const AttrDef* def = nullptr;
  uint64_t num = 0;  // u8..u64; i32 stored as its 32-bit pattern
  std::string str;
  Bytes bytes;
  std::vector<ExprSpec> exprs;
};

struct ExprSpec {
  std::string type;
  bool known = true;   // false: an expression libnftnl could not parse (decode only)
  Bytes raw;           // NFTA_EXPR_DATA of an unknown expression
  std::vector<AttrValue> attrs;
};

enum class ObjKind { kTable, kChain, kRule, kSet, kElements, kObj, kFlowtable };
enum class Verb { kAdd, kCreate, kInsert, kReplace, kDelete, kDestroy, kFlush };

struct OpSpec {
  ObjKind obj = ObjKind::kTable;
  Verb verb = Verb::kAdd;
  uint16_t family = 0;
  std::string table, name, chain, set, type;
  std::optional<uint32_t> flags;
  std::optional<uint64_t> handle, position;
  std::optional<uint32_t> hooknum, policy;
  std::optional<int32_t> priority;
  std::vector<std::string> devices;
  std::optional<Bytes> userdata;
  std::vector<ExprSpec> exprs;
  bool has_exprs = false;
  // Rules: the NFTA_RULE_EXPRESSIONS attribute as EncodeRuleExprs wrote it when the rule was
  // prepared (lib/packed.ts packExprs), sent as it is instead of `exprs`. Empty = none.
  Bytes wire_exprs;
  bool echo = false;
  // sets
  std::optional<uint32_t> id, key_type, key_len, data_type, data_len, obj_type, set_policy, size, gc_interval;
  std::optional<uint64_t> timeout_ms;
  Bytes concat;
  // elements (packed columns)
  uint32_t count = 0, elem_key_len = 0, elem_data_len = 0;
  Bytes keys, key_ends, data;
  std::vector<uint32_t> elem_flags;
  std::vector<double> timeouts, expirations;
  std::vector<int32_t> verdicts;
  std::vector<std::optional<std::string>> chains, objrefs;
  std::vector<std::optional<Bytes>> elem_userdata;
  // Per-element expressions (an element's own counter values...): empty = none for that element.
  std::vector<std::vector<ExprSpec>> elem_exprs;
  // objects: num for integers, str for strings, bytes for arrays
  std::vector<AttrValue> obj_attrs;
};

struct BatchSpec {
  std::vector<OpSpec> ops;
  uint32_t genid = 0;
  // NLM_F_ACK on BATCH_END. Off only for prepared element commits: they echo nothing, so any
  // reply at all is an error (and an error, or ENOBUFS from lost errors, means aborted) and
  // silence after sendmsg() returns means committed; the ack would only cost its round trip.
  bool ack_end = true;
};

// Bytes ready for one sendmsg(), and which operation each message sequence number belongs to.
// A growable byte buffer that does not zero what it allocates (a std::vector would zero-fill
// the room reserved for every message: measurable on microsecond-sized commits).
// Reserved room is zeroed once (libmnl 1.0.4 leaves attribute padding as it finds it, and no
// byte of old heap memory may reach the kernel), tracking how far it is already zero.
struct RawBuf {
  std::unique_ptr<uint8_t[]> data;
  size_t cap = 0;
  size_t len = 0;
  size_t zeroed = 0;  // [len, zeroed) is known to be zero
  // Set when a batch was completed (every written byte lies in [0, len)): the next Reset then
  // zeroes just those bytes instead of forgetting the zeroed room (a one-element commit writes
  // ~100 bytes but reserves ~17 KiB; re-zeroing all of it costs more than the kernel's work).
  bool clean = false;
  void Reset() {
    if (clean) {
      if (len > 0) memset(data.get(), 0, len);  // [len, zeroed) is still zero
    } else {
      zeroed = 0;
    }
    len = 0;
    clean = false;
  }
  uint8_t* Reserve(size_t room) {
    if (cap < len + room) {
      size_t n = std::max(cap * 2, len + room);
      std::unique_ptr<uint8_t[]> grown(new uint8_t[n]);
      // Keep the committed bytes and the message under construction (it lies in [len, zeroed)).
      const size_t keep = std::max(len, zeroed);
      if (keep > 0) memcpy(grown.get(), data.get(), keep);
      data = std::move(grown);
      cap = n;
    }
    const size_t from = std::max(len, zeroed);
    if (len + room > from) memset(data.get() + from, 0, len + room - from);
    zeroed = std::max(zeroed, len + room);
    return data.get() + len;
  }
  size_t size() const { return len; }
};

struct EncodedBatch {
  RawBuf buf;
  uint32_t first_seq = 0;      // BATCH_BEGIN
  uint32_t end_seq = 0;        // BATCH_END
  std::vector<int32_t> op_of;  // op_of[seq - first_seq]; -1 for BEGIN/END
  uint32_t messages = 0;
  size_t echoes = 0;  // operations with NLM_F_ECHO (their replies size the receive buffer)
};

struct OpFailure {
  int32_t index = -1;
  int err = 0;
  std::string message;
  std::optional<uint32_t> attr_offset;
};

struct CommitResult {
  std::vector<OpFailure> failures;
  int transport_errno = 0;
  uint64_t max_batch_bytes = 0;
  uint64_t batch_bytes = 0;
  uint32_t messages = 0;
  bool end_acked = false;
  std::vector<std::pair<int32_t, uint64_t>> handles;
  std::string error;  // encode error text (bad descriptor found late), sets transport_errno=EINVAL
};

// Dump requests and replies
enum class DumpWhat { kTables, kChains, kRules, kSets, kElements, kObjects, kGen, kFlowtables };

struct DumpSpec {
  DumpWhat what = DumpWhat::kTables;
  uint16_t family = 0;  // NFPROTO_UNSPEC = all
  std::string table, chain, set;
  bool reset = false;
  std::optional<uint32_t> obj_type;
  Bytes keys;  // elements: fetch only these
  uint32_t key_len = 0;
};

struct TableItem {
  uint16_t family;
  std::string name;
  uint32_t flags = 0, use = 0;
  uint64_t handle = 0;
  std::optional<uint32_t> owner;
  std::optional<Bytes> userdata;
};
struct ChainItem {
  uint16_t family;
  std::string table, name;
  uint64_t handle = 0;
  std::optional<uint32_t> hooknum, policy;
  std::optional<int32_t> priority;
  std::optional<std::string> type;
  std::vector<std::string> devices;
  uint32_t use = 0;
  std::optional<uint32_t> flags, id;
  std::optional<uint64_t> packets, bytes;
  std::optional<Bytes> userdata;
};
struct RuleItem {
  uint16_t family;
  std::string table, chain;
  uint64_t handle = 0;
  std::optional<uint64_t> position;
  std::vector<ExprSpec> exprs;
  std::optional<Bytes> userdata;
};
struct SetItem {
  uint16_t family;
  std::string table, name;
  uint64_t handle = 0;
  uint32_t flags = 0, key_type = 0, key_len = 0;
  std::optional<uint32_t> data_type, data_len, obj_type, policy, size, gc_interval;
  std::optional<uint64_t> timeout_ms;
  Bytes concat;
  std::optional<Bytes> userdata;
  std::vector<ExprSpec> exprs;
};
struct ElemItem {
  Bytes key, key_end, data;
  uint32_t flags = 0;
  std::optional<uint64_t> timeout, expiration;
  std::optional<int32_t> verdict;
  std::optional<std::string> chain, objref;
  std::optional<Bytes> userdata;
  std::vector<ExprSpec> exprs;
};
struct ObjItem {
  uint16_t family;
  std::string table, name;
  uint32_t type = 0, use = 0;
  uint64_t handle = 0;
  std::vector<AttrValue> attrs;
  std::optional<Bytes> userdata;
};
struct FlowtableItem {
  uint16_t family;
  std::string table, name;
  uint64_t handle = 0;
  std::optional<uint32_t> hooknum, flags, size;
  std::optional<int32_t> priority;
  std::vector<std::string> devices;
  uint32_t use = 0;
};

struct DumpResult {
  DumpWhat what = DumpWhat::kTables;
  int err = 0;
  std::string message;
  std::vector<TableItem> tables;
  std::vector<ChainItem> chains;
  std::vector<RuleItem> rules;
  std::vector<SetItem> sets;
  std::vector<ElemItem> elems;
  std::vector<ObjItem> objs;
  std::vector<FlowtableItem> flowtables;
  uint32_t genid = 0;
};

}  // namespace nftjs

#endif  // NATIVE_SPEC_H_
