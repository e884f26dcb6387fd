// SPDX-License-Identifier: GPL-2.0-or-later
#include "encode.h"

#include <arpa/inet.h>
#include <endian.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace nftjs {

namespace {

// Constants newer than the 6.1 uapi headers of Debian 12 (netlink-notes, appendix B).
constexpr uint16_t kMsgDestroyTable = 26, kMsgDestroyChain = 27, kMsgDestroyRule = 28, kMsgDestroySet = 29,
                   kMsgDestroySetElem = 30, kMsgDestroyObj = 31, kMsgDestroyFlowtable = 32;

// Netlink and kernel limits (netlink-notes, appendix B). Every message is sized from what it
// holds, and every length is checked against these BEFORE anything is written: libmnl and
// libnftnl write without bounds, and a nest longer than 64 KiB silently wraps its 16-bit
// nla_len (the kernel would then see a truncated element list and report success).
constexpr size_t kMaxNest = 0xffff;        // nla_len is 16 bits
constexpr size_t kNameMax = 255;           // NFT_NAME_MAXLEN 256 incl. the NUL
constexpr size_t kUserdataMax = 256;       // NFT_USERDATA_MAXLEN
// Element userdata: the kernel keeps 1 + length in a u8 extension length; 255 bytes are refused
// and 256 accepted but lost (Linux 6.18), so 254 is the most that is stored.
constexpr size_t kElemUserdataMax = 254;
constexpr size_t kIfnameMax = 15;          // IFNAMSIZ - 1 (NFTA_DEVICE_NAME)
constexpr size_t kRuleMaxExprs = 128;      // NFT_RULE_MAXEXPRS
constexpr size_t kSetExprMax = 2;          // NFT_SET_EXPR_MAX (sets, elements, dynset)
constexpr size_t kConcatMax = 16;          // NFT_REG32_COUNT fields of a concatenation
constexpr size_t kDataMax = 64;            // NFT_DATA_VALUE_MAXLEN (keys, data, expression bytes)
constexpr size_t kExprStrMax = 255;        // longest string attribute of any expression
// Fixed-size attributes (u32/u64 values, flags, ids, handles, empty nests) a table, chain, set or
// object message may carry besides its variable parts: at most 40 of at most 16 bytes each.
constexpr size_t kFixedAttrs = 40 * 16;

// Bytes one attribute with `payload` bytes takes in a message.
constexpr size_t Attr(size_t payload) { return MNL_ATTR_HDRLEN + MNL_ALIGN(payload); }
size_t StrAttr(const std::string& s) { return Attr(s.size() + 1); }
// nlmsghdr + nfgenmsg.
constexpr size_t kMsgHeader = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));

bool CheckName(const std::string& s, const char* field, std::string* error) {
  if (s.size() <= kNameMax && s.find('\0') == std::string::npos) return true;
  *error = std::string(field) + ": a name of at most " + std::to_string(kNameMax) + " bytes without NUL (received " +
           std::to_string(s.size()) + " bytes)";
  return false;
}

bool CheckUserdata(const std::optional<Bytes>& u, const char* field, std::string* error, size_t max = kUserdataMax) {
  if (!u || u->size() <= max) return true;
  *error = std::string(field) + ": at most " + std::to_string(max) + " bytes of userdata (received " +
           std::to_string(u->size()) + " bytes)";
  return false;
}

// Checks one expression (and the ones nested in it) and returns an upper bound of the bytes it
// takes inside an expression list: NFTA_LIST_ELEM { NFTA_EXPR_NAME, NFTA_EXPR_DATA { ... } }.
// Each attribute is counted with two levels of nesting around it (an immediate's chain sits in
// NFTA_IMMEDIATE_DATA { NFTA_DATA_VERDICT { NFTA_VERDICT_CHAIN } }), plus slack per expression.
bool ExprBound(const ExprSpec& spec, int depth, size_t* bound, std::string* error) {
  if (spec.type.size() > 32) {
    *error = "expression type name too long";
    return false;
  }
  size_t n = Attr(0) + StrAttr(spec.type) + Attr(0) + 32;
  for (const AttrValue& a : spec.attrs) {
    if (a.def == nullptr) {
      *error = spec.type + ": attribute without definition";
      return false;
    }
    const std::string field = spec.type + "." + a.def->name;
    switch (a.def->kind) {
      case Kind::kU8:
      case Kind::kU16:
      case Kind::kU32:
      case Kind::kI32:
      case Kind::kU64: n += 2 * Attr(0) + Attr(8); break;
      case Kind::kStr:
        if (a.str.size() > kExprStrMax || a.str.find('\0') != std::string::npos) {
          *error = field + ": a string of at most " + std::to_string(kExprStrMax) + " bytes without NUL (received " +
                   std::to_string(a.str.size()) + " bytes)";
          return false;
        }
        n += 2 * Attr(0) + Attr(a.str.size() + 1);
        break;
      case Kind::kBytes:
        if (a.bytes.empty() || a.bytes.size() > kDataMax) {
          *error = field + ": 1-" + std::to_string(kDataMax) + " bytes of data (received " + std::to_string(a.bytes.size()) + ")";
          return false;
        }
        n += 2 * Attr(0) + Attr(a.bytes.size());
        break;
      case Kind::kExprs: {
        if (depth >= 2 || a.exprs.size() > kSetExprMax) {
          *error = field + ": at most " + std::to_string(kSetExprMax) + " expressions, nested at most 2 levels";
          return false;
        }
        n += 2 * Attr(0);
        for (const ExprSpec& inner : a.exprs) {
          size_t b = 0;
          if (!ExprBound(inner, depth + 1, &b, error)) return false;
          n += b;
        }
        break;
      }
    }
  }
  // An expression's NFTA_EXPR_DATA is itself a nest: bounded by the checks above (a dozen
  // attributes of at most 255 bytes), but say so rather than assume it.
  if (n > kMaxNest) {
    *error = spec.type + ": expression too large for one netlink attribute";
    return false;
  }
  *bound = n;
  return true;
}

bool ExprsBound(const std::vector<ExprSpec>& exprs, size_t* bound, std::string* error) {
  size_t n = 0;
  for (const ExprSpec& e : exprs) {
    size_t b = 0;
    if (!ExprBound(e, 0, &b, error)) return false;
    n += b;
  }
  *bound = n;
  return true;
}

// Bound of the attributes every table/chain/rule/set/object message may carry, checked.
bool CommonBound(const OpSpec& op, size_t* bound, std::string* error) {
  if (!CheckName(op.table, "table", error) || !CheckName(op.name, "name", error) || !CheckName(op.chain, "chain", error) ||
      !CheckName(op.set, "set", error) || !CheckName(op.type, "type", error) || !CheckUserdata(op.userdata, "userdata", error)) {
    return false;
  }
  *bound = kMsgHeader + kFixedAttrs + StrAttr(op.table) + StrAttr(op.name) + StrAttr(op.chain) + StrAttr(op.set) +
           StrAttr(op.type) + (op.userdata ? Attr(op.userdata->size()) : 0);
  return true;
}

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
using FlowtablePtr = std::unique_ptr<nftnl_flowtable, ConstFree<nftnl_flowtable, nftnl_flowtable_free>>;

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
  size_t room = 0;  // bytes reserved for the message under construction

  // Starts a message of nfnetlink type `msg` for the current operation, with `room` bytes: an
  // upper bound of everything the message will hold, computed by the caller from its contents.
  struct nlmsghdr* Begin(uint16_t msg, uint16_t family, uint16_t flags, size_t need) {
    room = need;
    char* at = w->Reserve(room);
    struct nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, msg, family, flags, seq);
    out->op_of.push_back(op_index);
    out->messages++;
    seq++;
    return nlh;
  }
  // Closes the message. The bound is a true upper bound, so this never fails; if it ever did,
  // the batch is refused rather than sent (the bytes past the room were reserved-but-unowned).
  bool End(struct nlmsghdr* nlh) {
    if (nlh->nlmsg_len > room) return Fail("internal error: message larger than its computed size");
    w->Commit(nlh);
    return true;
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
    case Kind::kBytes: {
      // match/target INFO: libnftnl keeps the pointer and frees it with the expression
      const bool owned = (spec.type == "match" || spec.type == "target") && std::string(d.name) == "info";
      const void* data = a.bytes.data();
      if (owned) {
        void* copy = malloc(a.bytes.size());
        if (copy == nullptr) {
          *error = spec.type + "." + d.name + ": out of memory";
          return false;
        }
        memcpy(copy, a.bytes.data(), a.bytes.size());
        data = copy;
      }
      if (nftnl_expr_set(e, d.id, data, static_cast<uint32_t>(a.bytes.size())) < 0) {
        if (owned) free(const_cast<void*>(data));
        *error = spec.type + "." + d.name + ": cannot set data";
        return false;
      }
      return true;
    }
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

bool EncodeTable(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
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
      struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELRULE), op.family, 0, room);
      nftnl_rule_nlmsg_build_payload(nlh, r.get());
      return c.End(nlh);
    }
    default: return c.Fail(std::string("tables cannot be ") + VerbName(op.verb) + "ed");
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  return c.End(nlh);
}

// Checks the interface names of a chain or flowtable hook and adds the room their nest takes
// (NFTA_*_HOOK { NFTA_HOOK_DEV or NFTA_HOOK_DEVS { NFTA_DEVICE_NAME ... } }) to *room.
bool DevicesRoom(Ctx& c, const std::vector<std::string>& devices, size_t* room) {
  size_t devs = Attr(0);
  for (size_t i = 0; i < devices.size(); i++) {
    const std::string& d = devices[i];
    if (d.empty() || d.size() > kIfnameMax || d.find('\0') != std::string::npos) {
      return c.Fail("devices[" + std::to_string(i) + "]: an interface name of 1-" + std::to_string(kIfnameMax) +
                    " bytes (received " + std::to_string(d.size()) + " bytes)");
    }
    devs += StrAttr(d);
  }
  if (2 * Attr(0) + 2 * Attr(4) + devs > kMaxNest) {
    return c.Fail("devices: " + std::to_string(devices.size()) + " devices do not fit one netlink attribute");
  }
  *room += 2 * Attr(0) + devs;
  return true;
}

bool EncodeChain(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
  if (op.verb == Verb::kFlush) {
    RulePtr r(nftnl_rule_alloc());
    if (!r) return c.Fail("out of memory");
    nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.c_str());
    nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.name.c_str());
    struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELRULE), op.family, 0, room);
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    return c.End(nlh);
  }
  // NFTA_CHAIN_HOOK { NFTA_HOOK_DEV or NFTA_HOOK_DEVS { NFTA_DEVICE_NAME ... } }: one nest.
  if (!DevicesRoom(c, op.devices, &room)) return false;
  // A bound chain (`jump { ... }`, NFT_CHAIN_BINDING) is created without a name, as nft does:
  // the kernel names it __chain%llu and the batch refers to it by NFTA_CHAIN_ID.
  const bool unnamed = op.name.empty();
  if (unnamed && !(op.id && op.flags && (*op.flags & NFT_CHAIN_BINDING) && (op.verb == Verb::kAdd || op.verb == Verb::kCreate))) {
    return c.Fail("a chain needs a name (only a bound chain, NFT_CHAIN_BINDING with an id, is added without one)");
  }
  ChainPtr ch(nftnl_chain_alloc());
  if (!ch) return c.Fail("out of memory");
  nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TABLE, op.table.c_str());
  if (!unnamed) nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_NAME, op.name.c_str());
  if (op.handle) nftnl_chain_set_u64(ch.get(), NFTNL_CHAIN_HANDLE, *op.handle);
  if (op.verb == Verb::kAdd || op.verb == Verb::kCreate) {
    if (op.hooknum) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_HOOKNUM, *op.hooknum);
    if (op.priority) nftnl_chain_set_s32(ch.get(), NFTNL_CHAIN_PRIO, *op.priority);
    if (!op.type.empty()) nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_TYPE, op.type.c_str());
    if (op.policy) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_POLICY, *op.policy);
    // Chain flags (NFT_CHAIN_BINDING for `jump { ... }` chains) and the batch id rules use to
    // refer to a chain created in the same batch.
    if (op.flags) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_FLAGS, *op.flags);
    if (op.id) nftnl_chain_set_u32(ch.get(), NFTNL_CHAIN_ID, *op.id);
    if (op.devices.size() == 1) {
      nftnl_chain_set_str(ch.get(), NFTNL_CHAIN_DEV, op.devices[0].c_str());
    } else if (op.devices.size() > 1) {
      std::vector<const char*> names;
      names.reserve(op.devices.size() + 1);
      for (const std::string& d : op.devices) names.push_back(d.c_str());
      names.push_back(nullptr);
      if (nftnl_chain_set_data(ch.get(), NFTNL_CHAIN_DEVICES, names.data(), 0) < 0) return c.Fail("out of memory");
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
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_chain_nlmsg_build_payload(nlh, ch.get());
  return c.End(nlh);
}

// The libnftnl expressions of a rule's specs. False with a message (what was built is freed).
bool BuildExprs(const std::vector<ExprSpec>& specs, std::vector<ExprPtr>* out, std::string* error) {
  out->reserve(specs.size());
  for (const ExprSpec& spec : specs) {
    nftnl_expr* e = BuildExpr(spec, error);
    if (e == nullptr) return false;
    out->emplace_back(e);
  }
  return true;
}

// Writes the NFTA_RULE_EXPRESSIONS list of these expressions at the end of nlh (room for it
// reserved by the caller, from ExprsBound). Written here, not by libnftnl, so that its real
// length is checked against the 16-bit nla_len before the nest is closed.
bool PutExprList(struct nlmsghdr* nlh, const std::vector<ExprPtr>& exprs, std::string* error) {
  struct nlattr* list = mnl_attr_nest_start(nlh, NFTA_RULE_EXPRESSIONS);
  for (const ExprPtr& e : exprs) {
    struct nlattr* one = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
    nftnl_expr_build_payload(nlh, e.get());
    mnl_attr_nest_end(nlh, one);
  }
  const size_t len = static_cast<size_t>(static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh)) - reinterpret_cast<char*>(list));
  if (len > kMaxNest) {
    *error = "the rule's expressions take " + std::to_string(len) + " bytes; one netlink attribute holds at most " + std::to_string(kMaxNest);
    return false;
  }
  mnl_attr_nest_end(nlh, list);
  return true;
}

bool EncodeRule(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
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
  if (msg == NFT_MSG_DELRULE && !op.handle) {
    return c.Fail("delete rule needs a handle (use flush chain to delete every rule)");
  }
  const bool with_wire = msg == NFT_MSG_NEWRULE && !op.wire_exprs.empty();
  if (with_wire && !op.exprs.empty()) return c.Fail("a rule with both encoded and unencoded expressions");
  if (with_wire && !CheckWireExprs(op.wire_exprs, c.error)) return false;
  const bool with_exprs = msg == NFT_MSG_NEWRULE && !op.exprs.empty();
  size_t exprs_bound = with_wire ? MNL_ALIGN(op.wire_exprs.size()) : 0;
  if (with_exprs) {
    if (op.exprs.size() > kRuleMaxExprs) {
      return c.Fail("a rule holds at most " + std::to_string(kRuleMaxExprs) + " expressions (received " +
                    std::to_string(op.exprs.size()) + ")");
    }
    if (!ExprsBound(op.exprs, &exprs_bound, c.error)) return false;
  }
  const bool by_id = op.id.has_value();
  if (by_id && msg != NFT_MSG_NEWRULE) return c.Fail("only added rules name their chain by id");
  if (!by_id && op.chain.empty()) return c.Fail("a rule needs a chain name (or a chain id)");
  if (with_wire) {
    // A prepared rule: the attributes libnftnl would write (same order), then its expressions
    // as they were encoded when it was prepared. No libnftnl object at all.
    if (op.echo) flags |= NLM_F_ECHO;
    struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room + Attr(4) + exprs_bound);
    mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, op.table.c_str());
    if (!by_id) mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, op.chain.c_str());
    if (op.handle) mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(*op.handle));
    if (op.position) mnl_attr_put_u64(nlh, NFTA_RULE_POSITION, htobe64(*op.position));
    if (op.userdata) mnl_attr_put(nlh, NFTA_RULE_USERDATA, op.userdata->size(), op.userdata->data());
    if (by_id) mnl_attr_put_u32(nlh, NFTA_RULE_CHAIN_ID, htonl(*op.id));
    // Room for it was reserved above (exprs_bound).
    char* tail = static_cast<char*>(mnl_nlmsg_get_payload_tail(nlh));
    memcpy(tail, op.wire_exprs.data(), op.wire_exprs.size());
    memset(tail + op.wire_exprs.size(), 0, MNL_ALIGN(op.wire_exprs.size()) - op.wire_exprs.size());
    nlh->nlmsg_len += MNL_ALIGN(op.wire_exprs.size());
    return c.End(nlh);
  }
  RulePtr r(nftnl_rule_alloc());
  if (!r) return c.Fail("out of memory");
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, op.table.c_str());
  // A rule of a chain created in the same batch without a name (a bound chain) names it by
  // NFTA_RULE_CHAIN_ID instead of NFTA_RULE_CHAIN, as nft does (libnftnl 1.2.4 has no setter).
  if (!by_id) nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, op.chain.c_str());
  if (op.handle) nftnl_rule_set_u64(r.get(), NFTNL_RULE_HANDLE, *op.handle);
  if (op.position) nftnl_rule_set_u64(r.get(), NFTNL_RULE_POSITION, *op.position);
  std::vector<ExprPtr> exprs;
  if (msg == NFT_MSG_NEWRULE) {
    if (op.userdata) nftnl_rule_set_data(r.get(), NFTNL_RULE_USERDATA, op.userdata->data(), op.userdata->size());
    if (op.echo) flags |= NLM_F_ECHO;
    if (!BuildExprs(op.exprs, &exprs, c.error)) return false;
  }
  // Attribute order is free in netlink: libnftnl writes the others, PutExprList the list.
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room + Attr(0) + Attr(4) + exprs_bound);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  if (by_id) mnl_attr_put_u32(nlh, NFTA_RULE_CHAIN_ID, htonl(*op.id));
  if (with_exprs && !PutExprList(nlh, exprs, c.error)) return false;
  return c.End(nlh);
}

bool EncodeSet(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
  if (op.verb == Verb::kFlush) {
    // Flush set = DELSETELEM without an element list.
    struct nlmsghdr* nlh = c.Begin(MsgType(NFT_MSG_DELSETELEM), op.family, 0, room);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, op.table.c_str());
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, op.name.c_str());
    return c.End(nlh);
  }
  uint16_t msg = NFT_MSG_NEWSET, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELSET; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroySet; flags = 0; break;
    default: return c.Fail(std::string("sets cannot be ") + VerbName(op.verb) + "ed");
  }
  SetPtr s(nftnl_set_alloc());
  if (!s) return c.Fail("out of memory");
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, op.table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, op.name.c_str());
  if (op.handle) nftnl_set_set_u64(s.get(), NFTNL_SET_HANDLE, *op.handle);
  if (msg == NFT_MSG_NEWSET) {
    if (op.concat.size() > kConcatMax) {
      return c.Fail("concat: at most " + std::to_string(kConcatMax) + " fields (received " + std::to_string(op.concat.size()) + ")");
    }
    if (op.exprs.size() > kSetExprMax) {
      return c.Fail("exprs: a set holds at most " + std::to_string(kSetExprMax) + " expressions per element (received " +
                    std::to_string(op.exprs.size()) + ")");
    }
    size_t exprs_bound = 0;
    if (!ExprsBound(op.exprs, &exprs_bound, c.error)) return false;
    room += 2 * Attr(0) + op.concat.size() * (Attr(0) + Attr(4)) + Attr(0) + exprs_bound;
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
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  return c.End(nlh);
}

constexpr size_t DataAttr(size_t len) { return Attr(0) + Attr(len); }

void PutData(struct nlmsghdr* nlh, uint16_t type, const uint8_t* data, uint32_t len) {
  struct nlattr* nest = mnl_attr_nest_start(nlh, type);
  mnl_attr_put(nlh, NFTA_DATA_VALUE, len, data);
  mnl_attr_nest_end(nlh, nest);
}

// Elements are written attribute by attribute with libmnl: building one nftnl_set_elem per
// element costs a malloc each (430 ms per million vs < 100 ms; netlink-notes section 1.5).
// Each element's size is computed exactly before it is written; the element list of one
// message is closed before it would pass 64 KiB, and the next elements go to a new message of
// the same batch (one transaction: still all or nothing).
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
  if (!CheckName(op.table, "table", c.error) || !CheckName(op.set, "set", c.error)) return false;
  const uint32_t n = op.verb == Verb::kFlush ? 0 : op.count;
  const uint32_t kl = op.elem_key_len;
  const uint32_t dl = op.elem_data_len;
  // Every column is checked against the count here too: the encoder never trusts its caller.
  if (n > 0) {
    if (kl == 0 || kl > kDataMax) return c.Fail("keyLen: 1-" + std::to_string(kDataMax) + " bytes");
    if (op.keys.size() != static_cast<size_t>(n) * kl) return c.Fail("keys: count * keyLen bytes");
    if (!op.key_ends.empty() && op.key_ends.size() != op.keys.size()) return c.Fail("keyEnds: count * keyLen bytes");
    if (!op.data.empty() && (dl == 0 || dl > kDataMax || op.data.size() != static_cast<size_t>(n) * dl)) {
      return c.Fail("data: count * dataLen bytes, dataLen 1-" + std::to_string(kDataMax));
    }
    const auto column_ok = [n](size_t size) { return size == 0 || size == n; };
    if (!column_ok(op.elem_flags.size()) || !column_ok(op.timeouts.size()) || !column_ok(op.expirations.size()) ||
        !column_ok(op.verdicts.size()) || op.chains.size() > n || op.objrefs.size() > n || op.elem_userdata.size() > n) {
      return c.Fail("element columns: one entry per element");
    }
    for (size_t i = 0; i < op.chains.size(); i++) {
      if (op.chains[i] && !CheckName(*op.chains[i], ("chains[" + std::to_string(i) + "]").c_str(), c.error)) return false;
    }
    for (size_t i = 0; i < op.objrefs.size(); i++) {
      if (op.objrefs[i] && !CheckName(*op.objrefs[i], ("objrefs[" + std::to_string(i) + "]").c_str(), c.error)) return false;
    }
    for (size_t i = 0; i < op.elem_userdata.size(); i++) {
      if (!CheckUserdata(op.elem_userdata[i], ("userdata[" + std::to_string(i) + "]").c_str(), c.error, kElemUserdataMax)) return false;
    }
  }
  if (op.exprs.size() > kSetExprMax) {
    return c.Fail("exprs: at most " + std::to_string(kSetExprMax) + " expressions per element (received " +
                  std::to_string(op.exprs.size()) + ")");
  }
  // NFTA_SET_ELEM_EXPRESSIONS of an expression list, as bytes to copy into an element.
  const auto build_blob = [&](const std::vector<ExprSpec>& exprs, std::vector<uint8_t>* blob) {
    size_t bound = 0;
    if (!ExprsBound(exprs, &bound, c.error)) return false;
    std::vector<uint8_t> scratch(kMsgHeader + Attr(0) + bound, 0);
    struct nlmsghdr* tmp = mnl_nlmsg_put_header(scratch.data());
    struct nlattr* nest = mnl_attr_nest_start(tmp, NFTA_SET_ELEM_EXPRESSIONS);
    for (const ExprSpec& spec : exprs) {
      ExprPtr e(BuildExpr(spec, c.error));
      if (!e) return false;
      struct nlattr* one = mnl_attr_nest_start(tmp, NFTA_LIST_ELEM);
      nftnl_expr_build_payload(tmp, e.get());
      mnl_attr_nest_end(tmp, one);
    }
    mnl_attr_nest_end(tmp, nest);
    if (tmp->nlmsg_len > scratch.size()) return c.Fail("internal error: expressions larger than their computed size");
    const uint8_t* from = reinterpret_cast<const uint8_t*>(nest);
    blob->assign(from, static_cast<const uint8_t*>(scratch.data()) + tmp->nlmsg_len);
    return true;
  };
  // The expressions are the same for every element: encode them once, copy the bytes per element.
  std::vector<uint8_t> exprs_blob;
  if (!op.exprs.empty() && !build_blob(op.exprs, &exprs_blob)) return false;
  // An element's own expressions (its counter's values...) replace the common ones.
  if (op.elem_exprs.size() > n) return c.Fail("elemExprs: one entry per element");
  std::vector<std::vector<uint8_t>> elem_blobs(op.elem_exprs.size());
  for (size_t k = 0; k < op.elem_exprs.size(); k++) {
    if (op.elem_exprs[k].size() > kSetExprMax) {
      return c.Fail("elemExprs[" + std::to_string(k) + "]: at most " + std::to_string(kSetExprMax) + " expressions per element");
    }
    if (!op.elem_exprs[k].empty() && !build_blob(op.elem_exprs[k], &elem_blobs[k])) return false;
  }
  const auto blob_of = [&](uint32_t i) -> const std::vector<uint8_t>& {
    return i < elem_blobs.size() && !elem_blobs[i].empty() ? elem_blobs[i] : exprs_blob;
  };
  // A catch-all element (NFT_SET_ELEM_CATCHALL) has no key.
  const auto catchall = [&](uint32_t i) { return !op.elem_flags.empty() && (op.elem_flags[i] & NFT_SET_ELEM_CATCHALL) != 0; };
  // The end element of an interval carries no data, verdict or object (nft writes none).
  const auto is_interval_end = [&](uint32_t i) { return !op.elem_flags.empty() && (op.elem_flags[i] & NFT_SET_ELEM_INTERVAL_END) != 0; };
  // Size of element i inside the list: exactly what the loop below writes.
  const size_t keys_size = DataAttr(kl) + (op.key_ends.empty() ? 0 : DataAttr(kl));
  const size_t fixed = Attr(0) + keys_size + (op.data.empty() ? 0 : DataAttr(dl)) + exprs_blob.size();
  const auto elem_size = [&](uint32_t i) {
    size_t s = fixed - exprs_blob.size() + blob_of(i).size();
    if (catchall(i)) s -= keys_size;
    const bool end = is_interval_end(i);
    if (end && !op.data.empty()) s -= DataAttr(dl);
    if (!op.elem_flags.empty() && op.elem_flags[i] != 0) s += Attr(4);
    if (!op.timeouts.empty() && op.timeouts[i] > 0) s += Attr(8);
    if (!op.expirations.empty() && op.expirations[i] > 0) s += Attr(8);
    if (!op.verdicts.empty() && !end) {
      s += 2 * Attr(0) + Attr(4);
      if (i < op.chains.size() && op.chains[i]) s += StrAttr(*op.chains[i]);
    }
    if (i < op.objrefs.size() && op.objrefs[i] && !end) s += StrAttr(*op.objrefs[i]);
    if (i < op.elem_userdata.size() && op.elem_userdata[i]) s += Attr(op.elem_userdata[i]->size());
    return s;
  };
  // No per-element column: every element takes `fixed` bytes (the common, fast case).
  const bool uniform = op.elem_flags.empty() && op.timeouts.empty() && op.expirations.empty() && op.verdicts.empty() &&
                       op.chains.empty() && op.objrefs.empty() && op.elem_userdata.empty() && op.elem_exprs.empty();
  const size_t head = kMsgHeader + StrAttr(op.table) + (op.id ? Attr(4) : 0) + StrAttr(op.set) + Attr(0);
  uint32_t i = 0;
  do {
    struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, head);
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, op.table.c_str());
    if (op.id) {
      mnl_attr_put_u32(nlh, NFTA_SET_ELEM_LIST_SET_ID, htonl(*op.id));
    }
    mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, op.set.c_str());
    if (n == 0) {
      if (!c.End(nlh)) return false;
      break;
    }
    struct nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
    const size_t list_start = reinterpret_cast<char*>(list) - reinterpret_cast<char*>(nlh);
    const uint32_t first = i;
    if (uniform) {
      // Every element has the same size: reserve the whole list once, then write without checks.
      const uint32_t fit = static_cast<uint32_t>(std::min<size_t>(n - i, (kMaxNest - Attr(0)) / fixed));
      if (fit == 0) return c.Fail("element " + std::to_string(i) + " does not fit one netlink message");
      c.room = nlh->nlmsg_len + static_cast<size_t>(fit) * fixed;
      nlh = reinterpret_cast<struct nlmsghdr*>(c.w->Reserve(c.room));
      list = reinterpret_cast<struct nlattr*>(reinterpret_cast<char*>(nlh) + list_start);
      const uint32_t until = i + fit;
      for (; i < until; i++) {
        struct nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
        PutData(nlh, NFTA_SET_ELEM_KEY, op.keys.data() + static_cast<size_t>(i) * kl, kl);
        if (!op.key_ends.empty()) PutData(nlh, NFTA_SET_ELEM_KEY_END, op.key_ends.data() + static_cast<size_t>(i) * kl, kl);
        if (!op.data.empty()) PutData(nlh, NFTA_SET_ELEM_DATA, op.data.data() + static_cast<size_t>(i) * dl, dl);
        if (!exprs_blob.empty()) {
          memcpy(reinterpret_cast<char*>(nlh) + nlh->nlmsg_len, exprs_blob.data(), exprs_blob.size());
          nlh->nlmsg_len += static_cast<uint32_t>(exprs_blob.size());
        }
        mnl_attr_nest_end(nlh, elem);
      }
      if (nlh->nlmsg_len != c.room) return c.Fail("internal error: element size mismatch");
    }
    for (; i < n && !uniform; i++) {
      const size_t size = elem_size(i);
      // One element always fits an empty list (names and userdata are bounded above).
      if (nlh->nlmsg_len - list_start + size > kMaxNest) {
        if (i == first) return c.Fail("element " + std::to_string(i) + " does not fit one netlink message");
        break;
      }
      // Room for exactly this element: grow the buffer, then re-point nlh/list. The message under
      // construction always starts at the writer's end, so after a reallocation it is found there.
      c.room = nlh->nlmsg_len + size;
      nlh = reinterpret_cast<struct nlmsghdr*>(c.w->Reserve(c.room));
      list = reinterpret_cast<struct nlattr*>(reinterpret_cast<char*>(nlh) + list_start);
      const uint32_t before = nlh->nlmsg_len;
      struct nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
      if (!catchall(i)) {
        PutData(nlh, NFTA_SET_ELEM_KEY, op.keys.data() + static_cast<size_t>(i) * kl, kl);
        if (!op.key_ends.empty()) PutData(nlh, NFTA_SET_ELEM_KEY_END, op.key_ends.data() + static_cast<size_t>(i) * kl, kl);
      }
      if (!op.elem_flags.empty() && op.elem_flags[i] != 0) mnl_attr_put_u32(nlh, NFTA_SET_ELEM_FLAGS, htonl(op.elem_flags[i]));
      if (!op.timeouts.empty() && op.timeouts[i] > 0) {
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_TIMEOUT, htobe64(static_cast<uint64_t>(op.timeouts[i])));
      }
      if (!op.expirations.empty() && op.expirations[i] > 0) {
        mnl_attr_put_u64(nlh, NFTA_SET_ELEM_EXPIRATION, htobe64(static_cast<uint64_t>(op.expirations[i])));
      }
      const bool end = is_interval_end(i);
      if (!op.data.empty() && !end) PutData(nlh, NFTA_SET_ELEM_DATA, op.data.data() + static_cast<size_t>(i) * dl, dl);
      if (!op.verdicts.empty() && !end) {
        struct nlattr* data = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_DATA);
        struct nlattr* verdict = mnl_attr_nest_start(nlh, NFTA_DATA_VERDICT);
        mnl_attr_put_u32(nlh, NFTA_VERDICT_CODE, htonl(static_cast<uint32_t>(op.verdicts[i])));
        if (i < op.chains.size() && op.chains[i]) mnl_attr_put_strz(nlh, NFTA_VERDICT_CHAIN, op.chains[i]->c_str());
        mnl_attr_nest_end(nlh, verdict);
        mnl_attr_nest_end(nlh, data);
      }
      if (i < op.objrefs.size() && op.objrefs[i] && !end) mnl_attr_put_strz(nlh, NFTA_SET_ELEM_OBJREF, op.objrefs[i]->c_str());
      if (i < op.elem_userdata.size() && op.elem_userdata[i]) {
        mnl_attr_put(nlh, NFTA_SET_ELEM_USERDATA, op.elem_userdata[i]->size(), op.elem_userdata[i]->data());
      }
      const std::vector<uint8_t>& blob = blob_of(i);
      if (!blob.empty()) {
        memcpy(reinterpret_cast<char*>(nlh) + nlh->nlmsg_len, blob.data(), blob.size());
        nlh->nlmsg_len += static_cast<uint32_t>(blob.size());
      }
      mnl_attr_nest_end(nlh, elem);
      if (nlh->nlmsg_len - before != size) return c.Fail("internal error: element size mismatch");
    }
    mnl_attr_nest_end(nlh, list);
    if (!c.End(nlh)) return false;
  } while (i < n);
  return true;
}

bool EncodeObj(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
  if (op.obj_attrs.size() > 16) return c.Fail("attrs: too many object attributes");
  room += Attr(0);
  for (const AttrValue& a : op.obj_attrs) {
    if (a.def == nullptr) return c.Fail("attrs: attribute without definition");
    switch (a.def->kind) {
      case Kind::kStr:
        if (a.str.empty() || a.str.size() > kNameMax || a.str.find('\0') != std::string::npos) {
          return c.Fail(std::string("attrs.") + a.def->name + ": a string of 1-" + std::to_string(kNameMax) + " bytes without NUL");
        }
        room += Attr(a.str.size() + 1);
        break;
      case Kind::kBytes:
        // ct timeout policy: libnftnl copies exactly NFTNL_CTTIMEOUT_ARRAY_MAX u32 values.
        if (a.bytes.size() != sizeof(uint32_t) * NFTNL_CTTIMEOUT_ARRAY_MAX) {
          return c.Fail(std::string("attrs.") + a.def->name + ": " + std::to_string(sizeof(uint32_t) * NFTNL_CTTIMEOUT_ARRAY_MAX) +
                        " bytes (" + std::to_string(NFTNL_CTTIMEOUT_ARRAY_MAX) + " host-order u32 values)");
        }
        room += Attr(0) + NFTNL_CTTIMEOUT_ARRAY_MAX * Attr(4);
        break;
      default: room += Attr(8); break;
    }
  }
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
    // libnftnl writes the ct timeout policy for the l4proto's states when it builds the message.
    for (const AttrValue& a : op.obj_attrs) {
      const AttrDef* def = a.def;
      switch (def->kind) {
        case Kind::kU8: nftnl_obj_set_u8(o.get(), def->id, static_cast<uint8_t>(a.num)); break;
        case Kind::kU16: nftnl_obj_set_u16(o.get(), def->id, static_cast<uint16_t>(a.num)); break;
        case Kind::kU32:
        case Kind::kI32: nftnl_obj_set_u32(o.get(), def->id, static_cast<uint32_t>(a.num)); break;
        case Kind::kU64: nftnl_obj_set_u64(o.get(), def->id, a.num); break;
        case Kind::kStr: nftnl_obj_set_str(o.get(), def->id, a.str.c_str()); break;
        case Kind::kBytes: nftnl_obj_set_data(o.get(), def->id, a.bytes.data(), static_cast<uint32_t>(a.bytes.size())); break;
        case Kind::kExprs: return c.Fail("attrs: objects hold no expressions");
      }
    }
    if (op.userdata) nftnl_obj_set_data(o.get(), NFTNL_OBJ_USERDATA, op.userdata->data(), op.userdata->size());
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  return c.End(nlh);
}

bool EncodeFlowtable(Ctx& c, const OpSpec& op) {
  size_t room = 0;
  if (!CommonBound(op, &room, c.error)) return false;
  if (!DevicesRoom(c, op.devices, &room)) return false;
  FlowtablePtr f(nftnl_flowtable_alloc());
  if (!f) return c.Fail("out of memory");
  nftnl_flowtable_set_str(f.get(), NFTNL_FLOWTABLE_TABLE, op.table.c_str());
  nftnl_flowtable_set_str(f.get(), NFTNL_FLOWTABLE_NAME, op.name.c_str());
  if (op.handle) nftnl_flowtable_set_u64(f.get(), NFTNL_FLOWTABLE_HANDLE, *op.handle);
  uint16_t msg = NFT_MSG_NEWFLOWTABLE, flags = NLM_F_CREATE;
  switch (op.verb) {
    case Verb::kAdd: break;
    case Verb::kCreate: flags |= NLM_F_EXCL; break;
    case Verb::kDelete: msg = NFT_MSG_DELFLOWTABLE; flags = 0; break;
    case Verb::kDestroy: msg = kMsgDestroyFlowtable; flags = 0; break;
    default: return c.Fail(std::string("flowtables cannot be ") + VerbName(op.verb) + "ed");
  }
  if (msg == NFT_MSG_NEWFLOWTABLE) {
    if (op.hooknum) nftnl_flowtable_set_u32(f.get(), NFTNL_FLOWTABLE_HOOKNUM, *op.hooknum);
    if (op.priority) nftnl_flowtable_set_s32(f.get(), NFTNL_FLOWTABLE_PRIO, *op.priority);
    if (op.flags) nftnl_flowtable_set_u32(f.get(), NFTNL_FLOWTABLE_FLAGS, *op.flags);
  }
  if (msg != kMsgDestroyFlowtable && !op.devices.empty()) {
    std::vector<const char*> names;
    names.reserve(op.devices.size() + 1);
    for (const std::string& d : op.devices) names.push_back(d.c_str());
    names.push_back(nullptr);
    if (nftnl_flowtable_set_array(f.get(), NFTNL_FLOWTABLE_DEVICES, names.data()) < 0) return c.Fail("out of memory");
  }
  struct nlmsghdr* nlh = c.Begin(MsgType(msg), op.family, flags, room);
  nftnl_flowtable_nlmsg_build_payload(nlh, f.get());
  return c.End(nlh);
}

}  // namespace

bool EncodeRuleExprs(const std::vector<ExprSpec>& exprs, Bytes* out, std::string* error) {
  if (exprs.empty() || exprs.size() > kRuleMaxExprs) {
    *error = "a rule holds 1-" + std::to_string(kRuleMaxExprs) + " expressions (received " + std::to_string(exprs.size()) + ")";
    return false;
  }
  size_t bound = 0;
  if (!ExprsBound(exprs, &bound, error)) return false;
  std::vector<ExprPtr> built;
  if (!BuildExprs(exprs, &built, error)) return false;
  // A scratch message holds the list while libnftnl writes it (its writers take a nlmsghdr),
  // sized by ExprsBound, the upper bound EncodeRule reserves by as well.
  const size_t room = MNL_ALIGN(sizeof(struct nlmsghdr)) + Attr(0) + bound;
  std::vector<uint64_t> scratch((room + sizeof(uint64_t) - 1) / sizeof(uint64_t) + 1, 0);
  struct nlmsghdr* nlh = mnl_nlmsg_put_header(scratch.data());
  const size_t start = nlh->nlmsg_len;
  if (!PutExprList(nlh, built, error)) return false;
  const uint8_t* at = reinterpret_cast<const uint8_t*>(nlh) + start;
  out->assign(at, at + (nlh->nlmsg_len - start));
  return true;
}

bool CheckWireExprs(const Bytes& wire, std::string* error) {
  const auto bad = [&](const std::string& what) {
    *error = "encoded rule expressions: " + what + " (they are written by prepareRule only)";
    return false;
  };
  if (wire.size() < MNL_ATTR_HDRLEN || wire.size() > kMaxNest) return bad(std::to_string(wire.size()) + " bytes");
  // nlattr is 4-byte aligned data: read it from an aligned copy of its header.
  struct nlattr head;
  memcpy(&head, wire.data(), sizeof(head));
  if (head.nla_len != wire.size() || (head.nla_type & NLA_TYPE_MASK) != NFTA_RULE_EXPRESSIONS) return bad("not one expression list attribute");
  size_t off = MNL_ATTR_HDRLEN, n = 0;
  while (off < wire.size()) {
    struct nlattr elem;
    if (wire.size() - off < sizeof(elem)) return bad("a truncated list element");
    memcpy(&elem, wire.data() + off, sizeof(elem));
    if (elem.nla_len < MNL_ATTR_HDRLEN || elem.nla_len > wire.size() - off || (elem.nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM) {
      return bad("a malformed list element");
    }
    if (++n > kRuleMaxExprs) return bad("more than " + std::to_string(kRuleMaxExprs) + " expressions");
    off += MNL_ALIGN(elem.nla_len);
  }
  if (n == 0) return bad("no expressions");
  return true;
}

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
  const OpSource next = [&batch](size_t i, const OpSpec** op, std::string*) {
    *op = &batch.ops[i];
    return true;
  };
  return EncodeOps(batch.ops.size(), batch.genid, batch.ack_end, next, first_seq, out, error);
}

bool EncodeOps(size_t count, uint32_t genid, bool ack_end, const OpSource& next, uint32_t first_seq, EncodedBatch* out,
               std::string* error) {
  out->buf.Reset();
  out->op_of.clear();
  out->messages = 0;
  out->echoes = 0;
  out->first_seq = first_seq;
  Writer w(&out->buf);
  Ctx c{&w, out, first_seq, -1, error};

  // BEGIN and END: a header and at most the generation attribute.
  constexpr size_t kBatchMsg = kMsgHeader + Attr(4);
  char* at = w.Reserve(kBatchMsg);
  struct nlmsghdr* begin = nftnl_batch_begin(at, c.seq);
  if (genid != 0) {
    // NFNL_BATCH_GENID: the kernel refuses the batch with ERESTART if the generation moved.
    mnl_attr_put_u32(begin, NFNL_BATCH_GENID, htonl(genid));
  }
  w.Commit(begin);
  out->op_of.push_back(-1);
  out->messages++;
  c.seq++;

  for (size_t i = 0; i < count; i++) {
    const OpSpec* next_op = nullptr;
    if (!next(i, &next_op, error)) return false;
    const OpSpec& op = *next_op;
    if (op.echo) out->echoes++;
    c.op_index = static_cast<int32_t>(i);
    bool ok = false;
    switch (op.obj) {
      case ObjKind::kTable: ok = EncodeTable(c, op); break;
      case ObjKind::kChain: ok = EncodeChain(c, op); break;
      case ObjKind::kRule: ok = EncodeRule(c, op); break;
      case ObjKind::kSet: ok = EncodeSet(c, op); break;
      case ObjKind::kElements: ok = EncodeElements(c, op); break;
      case ObjKind::kObj: ok = EncodeObj(c, op); break;
      case ObjKind::kFlowtable: ok = EncodeFlowtable(c, op); break;
    }
    if (!ok) {
      *error = "operation " + std::to_string(i) + ": " + *error;
      return false;
    }
  }

  at = w.Reserve(kBatchMsg);
  struct nlmsghdr* end = nftnl_batch_end(at, c.seq);
  // One ACK for the whole transaction (Linux 6.10+ sends it after a successful commit).
  if (ack_end) end->nlmsg_flags |= NLM_F_ACK;
  w.Commit(end);
  out->op_of.push_back(-1);
  out->messages++;
  out->end_seq = c.seq;
  c.seq++;
  w.Finish();
  return true;
}

}  // namespace nftjs
