// SPDX-License-Identifier: GPL-2.0-or-later
#include "encode.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <cstring>
#include <memory>

namespace nftjs {

namespace {

// Constants newer than the 6.1 uapi headers of Debian 12 (netlink-notes, appendix B).
constexpr uint16_t kMsgDestroyTable = 26, kMsgDestroyChain = 27, kMsgDestroyRule = 28, kMsgDestroySet = 29,
                   kMsgDestroySetElem = 30, kMsgDestroyObj = 31;

// Room a libnftnl build gets. Tables, chains, sets and objects are small (names <= 256 bytes,
// userdata <= 256, a few devices); a rule is bounded by 16-bit nested attribute lengths (its
// expression list <= 64 KiB), so it gets room from its expression count, capped there.
constexpr size_t kMessageRoom = 16 * 1024;
constexpr size_t kRuleRoomCap = 80 * 1024;

size_t CountExprs(const std::vector<ExprSpec>& exprs) {
  size_t n = exprs.size();
  for (const ExprSpec& e : exprs) {
    for (const AttrValue& a : e.attrs) n += CountExprs(a.exprs);
  }
  return n;
}
// The element list nest of one NEWSETELEM must stay below 64 KiB (nla_len is 16 bits).
constexpr size_t kElemNestLimit = 60 * 1024;
constexpr size_t kElemRoom = 8 * 1024;

class Writer {
 public:
  explicit Writer(RawBuf* buf) : buf_(buf) {}
  // Makes sure `room` bytes are available after the current end and returns a pointer there.
  char* Reserve(size_t room) { return reinterpret_cast<char*>(buf_->Reserve(room)); }
  void Commit(const struct nlmsghdr* nlh) { buf_->len += NLMSG_ALIGN(nlh->nlmsg_len); }
  size_t len() const { return buf_->len; }
  // The batch is complete: nothing was written beyond len (see RawBuf::clean).
  void Finish() { buf_->clean = true; }

 private:
  RawBuf* buf_;
};

struct ExprDeleter {
  void operator()(nftnl_expr* e) const { nftnl_expr_free(e); }
};
using ExprPtr = std::unique_ptr<nftnl_expr, ExprDeleter>;

template <typename T, void (*Free)(const T*)>
struct ConstFree {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, ConstFree<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, ConstFree<nftnl_chain, nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, ConstFree<nftnl_rule, nftnl_rule_free>>;
using SetPtr = std::unique_ptr<nftnl_set, ConstFree<nftnl_set, nftnl_set_free>>;
using ObjPtr = std::unique_ptr<nftnl_obj, ConstFree<nftnl_obj, nftnl_obj_free>>;

uint16_t MsgType(uint16_t msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }

const char* VerbName(Verb v) {
  switch (v) {
    case Verb::kAdd: return "add";
    case Verb::kCreate: return "create";
    case Verb::kInsert: return "insert";
    case Verb::kReplace: return "replace";
    case Verb::kDelete: return "delete";
    case Verb::kDestroy: return "destroy";
    case Verb::kFlush: return "flush";
  }
  return "?";
}

struct Ctx {
  Writer* w;
  EncodedBatch* out;
  uint32_t seq;
  int32_t op_index;
  std::string* error;

  // Starts a message of nfnetlink type `msg` for the current operation.
  struct nlmsghdr* Begin(uint16_t msg, uint16_t family, uint16_t flags, size_t room = kMessageRoom) {
    char* at = w->Reserve(room);
    struct nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, msg, family, flags, seq);
    out->op_of.push_back(op_index);
    out->messages++;
    seq++;
    return nlh;
  }
  bool Fail(const std::string& msg) {
    *error = msg;
    return false;
  }
};

bool SetExprAttr(nftnl_expr* e, const ExprSpec& spec, const AttrValue& a, std::string* error) {
  const AttrDef& d = *a.def;
  switch (d.kind) {
    case Kind::kU8: nftnl_expr_set_u8(e, d.id, static_cast<uint8_t>(a.num)); return true;
    case Kind::kU16: nftnl_expr_set_u16(e, d.id, static_cast<uint16_t>(a.num)); return true;
    case Kind::kU32:
    case Kind::kI32: nftnl_expr_set_u32(e, d.id, static_cast<uint32_t>(a.num)); return true;
    case Kind::kU64: nftnl_expr_set_u64(e, d.id, a.num); return true;
    case Kind::kStr:
      if (nftnl_expr_set_str(e, d.id, a.str.c_str()) < 0) {
        *error = spec.type + "." + d.name + ": cannot set string";
        return false;
      }
      return true;
    case Kind::kBytes:
      if (nftnl_expr_set(e, d.id, a.bytes.data(), static_cast<uint32_t>(a.bytes.size())) < 0) {
        *error = spec.type + "." + d.name + ": cannot set data";
        return false;
      }
      return true;
    case Kind::kExprs:
      for (const ExprSpec& inner : a.exprs) {
        nftnl_expr* child = BuildExpr(inner, error);
        if (child == nullptr) return false;
        nftnl_expr_add_expr(e, d.id, child);  // takes ownership
      }
      return true;
  }
  return false;
}

bool AddRuleExprs(nftnl_rule* r, const std::vector<ExprSpec>& exprs, std::string* error) {
  for (const ExprSpec& spec : exprs) {
    nftnl_expr* e = BuildExpr(spec, error);
    if (e == nullptr) return false;
    nftnl_rule_add_expr(r, e);  // the rule owns it now
  }
  return true;
}

bool EncodeTable(Ctx& c, const OpSpec& op) {
  TablePtr t(nftnl_table_alloc());
  if (!t) return c.Fail("out of memory");
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, op.name.c_str());
  if (op.flags) nftnl_table_set_u32(t.get(), NFTNL_TABLE_FLAGS, *op.flags);
  if (op.handle) nftnl_table_set_u64(t.get(), NFTNL_TABLE_HANDLE, *op.handle);
  if (op.userdata) nftnl_table_set_data(t.get(), NFTNL_TABLE_USERDATA, op.userdata->data(), op.userdata->size());
  uint16_t msg = NFT_MSG_NEWTABLE, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELTABLE; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroyTable; flags = 0; break;
    case Verb::kFlush: {
      // Flush table = delete every rule of every chain in it: DELRULE with only the table.
      RulePtr r(nftnl_rule_alloc());
      if (!r) return c.Fail("out of memory");
      nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.name.c_str());
      struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELRULE), op.family, 0);
      nftnl_rule_nlmsg_build_payload(nlh, r.get());
      c.w->Commit(nlh);
      return true;
    }
    default: return c.Fail(std::string("tables cannot be ") + VerbName(op.verb) + "ed");
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  c.w->Commit(nlh);
  return true;
}

bool EncodeChain(Ctx& c, const OpSpec& op) {
  if (op.verb == Verb::kFlush) {
    RulePtr r(nftnl_rule_alloc());
    if (!r) return c.Fail("out of memory");
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.name.c_str());
    struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELRULE), op.family, 0);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    c.w->Commit(nlh);
    return true;
  }
  ChainPtr ch(nftnl_chain_alloc());
  if (!ch) return c.Fail("out of memory");
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, op.table.c_str());
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, op.name.c_str());
  if (op.handle) nftnl_chain_set_u64(ch.get(), NFTNL_CHAIN_HANDLE, *op.handle);
  if (op.verb == Verb::kAdd || op.verb == Verb::kCreate) {
    if (op.hooknum) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, *op.hooknum);
    if (op.priority) nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, *op.priority);
    if (!op.type.empty()) nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, op.type.c_str());
    if (op.policy) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, *op.policy);
    if (op.devices.size() == 1) {
      nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_DEV, op.devices[0].c_str());
    } else if (op.devices.size() > 1) {
      std::vector<const char*> names;
      for (const std::string& d : op.devices) names.push_back(d.c_str());
      names.push_back(nullptr);
      nftnl_chain_set_data(ch.get(), NFTNL_CHAIN_DEVICES, names.data(), 0);
    }
    if (op.userdata) nftnl_chain_set_data(ch.get(), NFTNL_CHAIN_USERDATA, op.userdata->data(), op.userdata->size());
  }
  uint16_t msg = NFT_MSG_NEWCHAIN, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELCHAIN; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroyChain; flags = 0; break;
    default: return c.Fail(std::string("chains cannot be ") + VerbName(op.verb) + "ed");
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags);
  nftnl_chain_nlmsg_build_payload(nlh, ch.get());
  c.w->Commit(nlh);
  return true;
}

bool EncodeRule(Ctx& c, const OpSpec& op) {
  RulePtr r(nftnl_rule_alloc());
  if (!r) return c.Fail("out of memory");
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.chain.c_str());
  if (op.handle) nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, *op.handle);
  if (op.position) nftnl_rule_set_u64(r.get(), NFTNL_RULE_POSITION, *op.position);
  uint16_t msg = NFT_MSG_NEWRULE, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: flags |= NLM_F_APPEND; break;
    case Verb::kInsert: break;
    case Verb::kReplace:
      if (!op.handle) return c.Fail("replace rule needs the handle of the rule to replace");
      flags |= NLM_F_REPLACE;
      break;
    case Verb::kDelete: msg = NFT_MSG_DELRULE; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroyRule; flags = 0; break;
    default: return c.Fail(std::string("rules cannot be ") + VerbName(op.verb) + "ed");
  }
  if (msg == NFT_MSG_NEWRULE) {
    if (op.userdata) nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, op.userdata->data(), op.userdata->size());
    if (!AddRuleExprs(r.get(), op.exprs, c.error)) return false;
    if (op.echo) flags |= NLM_F_ECHO;
  } else if (!op.handle && msg == NFT_MSG_DELRULE) {
    return c.Fail("delete rule needs a handle (use flush chain to delete every rule)");
  }
  // Each expression encodes to well under 512 bytes (data attributes are <= 64 bytes).
  const size_t room = std::min(kRuleRoomCap, 4096 + 512 * CountExprs(op.exprs) + (op.userdata ? op.userdata->size() : 0));
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  c.w->Commit(nlh);
  return true;
}

bool EncodeSet(Ctx& c, const OpSpec& op) {
  SetPtr s(nftnl_set_alloc());
  if (!s) return c.Fail("out of memory");
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, op.table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, op.name.c_str());
  if (op.handle) nftnl_set_set_u64(s.get(), NFTNL_SET_HANDLE, *op.handle);
  if (op.verb == Verb::kFlush) {
    // Flush set = DELSETELEM without an element list.
    struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELSETELEM), op.family, 0);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, op.table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, op.name.c_str());
    c.w->Commit(nlh);
    return true;
  }
  uint16_t msg = NFT_MSG_NEWSET, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELSET; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroySet; flags = 0; break;
    default: return c.Fail(std::string("sets cannot be ") + VerbName(op.verb) + "ed");
  }
  if (msg == NFT_MSG_NEWSET) {
    if (op.id) nftnl_set_set_u32(s.get(), NFTNL_SET_ID, *op.id);
    nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, op.flags.value_or(0));
    if (op.key_type) nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, *op.key_type);
    if (op.key_len) nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, *op.key_len);
    if (op.data_type) nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_TYPE, *op.data_type);
    if (op.data_len) nftnl_set_set_u32(s.get(), NFTNL_SET_DATA_LEN, *op.data_len);
    if (op.obj_type) nftnl_set_set_u32(s.get(), NFTNL_SET_OBJ_TYPE, *op.obj_type);
    if (op.set_policy) nftnl_set_set_u32(s.get(), NFTNL_SET_POLICY, *op.set_policy);
    if (op.size) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, *op.size);
    if (op.timeout_ms) nftnl_set_set_u64(s.get(), NFTNL_SET_TIMEOUT, *op.timeout_ms);
    if (op.gc_interval) nftnl_set_set_u32(s.get(), NFTNL_SET_GC_INTERVAL, *op.gc_interval);
    if (!op.concat.empty()) {
      nftnl_set_set_data(s.get(), NFTNL_SET_DESC_CONCAT, op.concat.data(), static_cast<uint32_t>(op.concat.size()));
    }
    if (op.userdata) nftnl_set_set_data(s.get(), NFTNL_SET_USERDATA, op.userdata->data(), op.userdata->size());
    for (const ExprSpec& spec : op.exprs) {
      nftnl_expr* e = BuildExpr(spec, c.error);
      if (e == nullptr) return false;
      nftnl_set_add_expr(s.get(), e);
    }
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  c.w->Commit(nlh);
  return true;
}

void PutData(struct nlmsghdr* nlh, uint16_t type, const uint8_t* data, uint32_t len) {
  struct nlattr* nest = mnl_attr_nest_start(nlh, type);
  mnl_attr_put(nlh, NFTA_DATA_VALUE, len, data);
  mnl_attr_nest_end(nlh, nest);
}

// Elements are written attribute by attribute with libmnl: building one nftnl_set_elem per
// element costs a malloc each (430 ms per million vs < 100 ms; netlink-notes section 1.5).
bool EncodeElements(Ctx& c, const OpSpec& op) {
  uint16_t msg = NFT_MSG_NEWSETELEM, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELSETELEM; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroySetElem; flags = 0; break;
    case Verb::kFlush: msg = NFT_MSG_DELSETELEM; flags = 0; break;
    default: return c.Fail(std::string("elements cannot be ") + VerbName(op.verb) + "ed");
  }
  const uint32_t n = op.verb == Verb::kFlush ? 0 : op.count;
  const uint32_t kl = op.elem_key_len;
  std::vector<ExprPtr> exprs;
  for (const ExprSpec& spec : op.exprs) {
    nftnl_expr* e = BuildExpr(spec, c.error);
    if (e == nullptr) return false;
    exprs.emplace_back(e);
  }
  uint32_t i = 0;
  do {
    struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, kElemRoom + 1024);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, op.table.c_str());
    if (op.id) {
      mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(*op.id));
    }
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, op.set.c_str());
    if (n == 0) {
      c.w->Commit(nlh);
      break;
    }
    struct nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    const size_t list_start = reinterpret_cast<char*>(list) - reinterpret_cast<char*>(nlh);
    for (; i < n; i++) {
      if (nlh->nlmsg_len - list_start > kElemNestLimit) break;
      // Make sure the next element fits: grow the buffer, then re-point nlh/list.
      // The message under construction always starts at the writer's end, so after a
      // reallocation it is found again there.
      nlh = reinterpret_cast<struct nlmsghdr*>(c.w->Reserve(nlh->nlmsg_len + kElemRoom));
      list = reinterpret_cast<struct nlattr*>(reinterpret_cast<char*>(nlh) + list_start);
      struct nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
      PutData(nlh, NFTA_SET_ELEM_KEY, op.keys.data() + static_cast<size_t>(i) * kl, kl);
      if (!op.key_ends.empty()) PutData(nlh, NFTA_SET_ELEM_KEY_END, op.key_ends.data() + static_cast<size_t>(i) * kl, kl);
      if (!op.elem_flags.empty() && op.elem_flags[i] != 0) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(op.elem_flags[i]));
      if (!op.timeouts.empty() && op.timeouts[i] > 0) {
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(static_cast<uint64_t>(op.timeouts[i])));
      }
      if (!op.expirations.empty() && op.expirations[i] > 0) {
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(static_cast<uint64_t>(op.expirations[i])));
      }
      if (!op.data.empty()) PutData(nlh, NFTA_SET_ELEM_DATA, op.data.data() + static_cast<size_t>(i) * op.elem_data_len, op.elem_data_len);
      if (!op.verdicts.empty()) {
        struct nlattr* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
        struct nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
        mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(static_cast<uint32_t>(op.verdicts[i])));
        if (i < op.chains.size() && op.chains[i]) mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, op.chains[i]->c_str());
        mnl_attr_nest_end(nlh, verdict);
        mnl_attr_nest_end(nlh, data);
      }
      if (i < op.objrefs.size() && op.objrefs[i]) mnl_attr_put_strz(nlh, NFTA_SET_ELEM_OBJREF, op.objrefs[i]->c_str());
      if (i < op.elem_userdata.size() && op.elem_userdata[i]) {
        mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, op.elem_userdata[i]->size(), op.elem_userdata[i]->data());
      }
      if (!exprs.empty()) {
        struct nlattr* nest = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_EXPRESSIONS);
        for (const ExprPtr& e : exprs) {
          struct nlattr* one = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
          nftnl_expr_build_payload(nlh, e.get());
          mnl_attr_nest_end(nlh, one);
        }
        mnl_attr_nest_end(nlh, nest);
      }
      mnl_attr_nest_end(nlh, elem);
    }
    mnl_attr_nest_end(nlh, list);
    c.w->Commit(nlh);
  } while (i < n);
  return true;
}

bool EncodeObj(Ctx& c, const OpSpec& op) {
  ObjPtr o(nftnl_obj_alloc());
  if (!o) return c.Fail("out of memory");
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, op.table.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, op.name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, op.obj_type.value_or(0));
  if (op.handle) nftnl_obj_set_u64(o.get(), NFTNL_OBJ_HANDLE, *op.handle);
  uint16_t msg = NFT_MSG_NEWOBJ, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELOBJ; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroyObj; flags = 0; break;
    default: return c.Fail(std::string("objects cannot be ") + VerbName(op.verb) + "ed");
  }
  if (msg == NFT_MSG_NEWOBJ) {
    for (const auto& [def, value] : op.obj_attrs) {
      if (def->kind == Kind::kU64) {
        nftnl_obj_set_u64(o.get(), def->id, value);
      } else {
        nftnl_obj_set_u32(o.get(), def->id, static_cast<uint32_t>(value));
      }
    }
    if (op.userdata) nftnl_obj_set_data(o.get(), NFTNL_OBJ_USERDATA, op.userdata->data(), op.userdata->size());
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  c.w->Commit(nlh);
  return true;
}

}  // namespace

nftnl_expr* BuildExpr(const ExprSpec& spec, std::string* error) {
  ExprPtr e(nftnl_expr_alloc(spec.type.c_str()));
  if (!e) {
    *error = "libnftnl does not know the expression \"" + spec.type + "\"";
    return nullptr;
  }
  for (const AttrValue& a : spec.attrs) {
    if (!SetExprAttr(e.get(), spec, a, error)) return nullptr;
  }
  return e.release();
}

bool EncodeBatch(const BatchSpec& batch, uint32_t first_seq, EncodedBatch* out, std::string* error) {
  out->buf.Reset();
  out->op_of.clear();
  out->messages = 0;
  out->first_seq = first_seq;
  Writer w(&out->buf);
  Ctx c{&w, out, first_seq, -1, error};

  char* at = w.Reserve(256);
  struct nlmsghdr* begin = nftnl_batch_begin(at, c.seq);
  if (batch.genid != 0) {
    // NFNL_BATCH_GENID: the kernel refuses the batch with ERESTART if the generation moved.
    mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(batch.genid));
  }
  w.Commit(begin);
  out->op_of.push_back(-1);
  out->messages++;
  c.seq++;

  for (size_t i = 0; i < batch.ops.size(); i++) {
    const OpSpec& op = batch.ops[i];
    c.op_index = static_cast<int32_t>(i);
    bool ok = false;
    switch (op.obj) {
      case ObjKind::kTable: ok = EncodeTable(c, op); break;
      case ObjKind::kChain: ok = EncodeChain(c, op); break;
      case ObjKind::kRule: ok = EncodeRule(c, op); break;
      case ObjKind::kSet: ok = EncodeSet(c, op); break;
      case ObjKind::kElements: ok = EncodeElements(c, op); break;
      case ObjKind::kObj: ok = EncodeObj(c, op); break;
    }
    if (!ok) {
      *error = "operation " + std::to_string(i) + ": " + *error;
      return false;
    }
  }

  at = w.Reserve(256);
  struct nlmsghdr* end = nftnl_batch_end(at, c.seq);
  // One ACK for the whole transaction (Linux 6.10+ sends it after a successful commit).
  if (batch.ack_end) end->nlmsg_flags |= NLM_F_ACK;
  w.Commit(end);
  out->op_of.push_back(-1);
  out->messages++;
  out->end_seq = c.seq;
  c.seq++;
  w.Finish();
  return true;
}

}  // namespace nftjs
