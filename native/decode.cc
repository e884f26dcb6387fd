// SPDX-License-Identifier: GPL-2.0-or-later
#include "decode.h"

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/gen.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <endian.h>

#include <cstring>
#include <memory>
#include <string>
#include <unordered_set>

namespace nftjs {

namespace {

template <typename T, void (*Free)(const T*)>
struct ConstFree {
  void operator()(T* p) const { Free(p); }
};

std::optional<Bytes> GetUserdata(const void* data, uint32_t len) {
  if (data == nullptr) return std::nullopt;
  const uint8_t* p = static_cast<const uint8_t*>(data);
  return Bytes(p, p + len);
}

int CollectNested(struct nftnl_expr* e, void* data) {
  static_cast<std::vector<ExprSpec>*>(data)->push_back(ReadExpr(e));
  return 0;
}

int CollectExpr(struct nftnl_expr* e, void* data) {
  static_cast<std::vector<ExprSpec>*>(data)->push_back(ReadExpr(e));
  return 0;
}

// Walks NFTA_RULE_EXPRESSIONS by hand: the fallback when libnftnl cannot parse a rule because
// it holds an expression libnftnl does not know. Each expression is kept raw, never dropped.
// Iterates the attributes in [start, start + len) (libmnl's macros do not compile as C++).
template <typename F>
void ForEachAttr(const void* start, size_t len, F&& f) {
  int remaining = static_cast<int>(len);
  for (const struct nlattr* a = static_cast<const struct nlattr*>(start); mnl_attr_ok(a, remaining);
       a = mnl_attr_next(a)) {
    remaining -= static_cast<int>(MNL_ALIGN(a->nla_len));
    f(a);
  }
}

template <typename F>
void ForEachNested(const struct nlattr* nest, F&& f) {
  ForEachAttr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), f);
}

// Walks NFTA_RULE_EXPRESSIONS by hand: the fallback when libnftnl cannot parse a rule because
// it holds an expression libnftnl does not know. Each expression is kept raw, never dropped.
void RawExprs(const struct nlmsghdr* nlh, RuleItem* rule) {
  const char* payload = static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + sizeof(struct nfgenmsg);
  const size_t len = mnl_nlmsg_get_payload_len(nlh) - sizeof(struct nfgenmsg);
  ForEachAttr(payload, len, [&](const struct nlattr* attr) {
    switch (mnl_attr_get_type(attr)) {
      case NFTA_RULE_TABLE: rule->table = mnl_attr_get_str(attr); break;
      case NFTA_RULE_CHAIN: rule->chain = mnl_attr_get_str(attr); break;
      case NFTA_RULE_HANDLE: rule->handle = be64toh(mnl_attr_get_u64(attr)); break;
      case NFTA_RULE_USERDATA:
        rule->userdata = GetUserdata(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr));
        break;
      case NFTA_RULE_EXPRESSIONS:
        ForEachNested(attr, [&](const struct nlattr* elem) {
          ExprSpec spec;
          spec.known = false;
          ForEachNested(elem, [&](const struct nlattr* part) {
            if (mnl_attr_get_type(part) == NFTA_EXPR_NAME) spec.type = mnl_attr_get_str(part);
            if (mnl_attr_get_type(part) == NFTA_EXPR_DATA) {
              const uint8_t* p = static_cast<const uint8_t*>(mnl_attr_get_payload(part));
              spec.raw.assign(p, p + mnl_attr_get_payload_len(part));
            }
          });
          rule->exprs.push_back(std::move(spec));
        });
        break;
      default: break;
    }
  });
}

int CollectElem(struct nftnl_set_elem* e, void* data) {
  ElemItem it;
  uint32_t len = 0;
  const uint8_t* p;
  if ((p = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &len))) != nullptr) it.key.assign(p, p + len);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_KEY_END) &&
      (p = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY_END, &len))) != nullptr) {
    it.key_end.assign(p, p + len);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_FLAGS)) it.flags = nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_FLAGS);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) it.timeout = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_TIMEOUT);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION)) it.expiration = nftnl_set_elem_get_u64(e, NFTNL_SET_ELEM_EXPIRATION);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_VERDICT)) it.verdict = static_cast<int32_t>(nftnl_set_elem_get_u32(e, NFTNL_SET_ELEM_VERDICT));
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_CHAIN)) it.chain = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_CHAIN);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_OBJREF)) it.objref = nftnl_set_elem_get_str(e, NFTNL_SET_ELEM_OBJREF);
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_DATA) &&
      (p = static_cast<const uint8_t*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_DATA, &len))) != nullptr) {
    it.data.assign(p, p + len);
  }
  if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_USERDATA)) {
    const void* u = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len);
    it.userdata = GetUserdata(u, len);
  }
  nftnl_set_elem_expr_foreach(e, CollectExpr, &it.exprs);
  static_cast<DumpResult*>(data)->elems.push_back(std::move(it));
  return 0;
}

}  // namespace

ExprSpec ReadExpr(const struct nftnl_expr* e) {
  ExprSpec spec;
  const char* name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);
  spec.type = name != nullptr ? name : "";
  const ExprDef* def = FindExpr(spec.type);
  if (def == nullptr) {
    spec.known = false;  // libnftnl knows it, the package does not: keep its name
    return spec;
  }
  for (const AttrDef& d : def->attrs) {
    if (!nftnl_expr_is_set(e, d.id)) continue;
    AttrValue a;
    a.def = &d;
    switch (d.kind) {
      case Kind::kU8: a.num = nftnl_expr_get_u8(e, d.id); break;
      case Kind::kU16: a.num = nftnl_expr_get_u16(e, d.id); break;
      case Kind::kU32:
      case Kind::kI32: a.num = nftnl_expr_get_u32(e, d.id); break;
      case Kind::kU64: a.num = nftnl_expr_get_u64(e, d.id); break;
      case Kind::kStr: {
        const char* s = nftnl_expr_get_str(e, d.id);
        a.str = s != nullptr ? s : "";
        break;
      }
      case Kind::kBytes: {
        uint32_t len = 0;
        const uint8_t* p = static_cast<const uint8_t*>(nftnl_expr_get(e, d.id, &len));
        if (p != nullptr) a.bytes.assign(p, p + len);
        break;
      }
      case Kind::kExprs:
        nftnl_expr_expr_foreach(e, CollectNested, &a.exprs);
        break;
    }
    spec.attrs.push_back(std::move(a));
  }
  // dynset's nested expressions are reported by foreach even when only NFTA_DYNSET_EXPR is set.
  if (spec.type == "dynset") {
    bool have = false;
    for (const AttrValue& a : spec.attrs) have = have || a.def->kind == Kind::kExprs;
    if (!have) {
      AttrValue a;
      a.def = FindAttr(*def, "exprs");
      nftnl_expr_expr_foreach(e, CollectNested, &a.exprs);
      if (a.def != nullptr && !a.exprs.empty()) spec.attrs.push_back(std::move(a));
    }
  }
  return spec;
}

bool Decoder::Feed(const struct nlmsghdr* nlh) {
  switch (spec_.what) {
    case DumpWhat::kTables: {
      std::unique_ptr<nftnl_table, ConstFree<nftnl_table, nftnl_table_free>> t(nftnl_table_alloc());
      if (!t || nftnl_table_nlmsg_parse(nlh, t.get()) < 0) return Fail("cannot parse a table");
      TableItem it;
      it.family = static_cast<uint16_t>(nftnl_table_get_u32(t.get(), NFTNL_TABLE_FAMILY));
      it.name = nftnl_table_get_str(t.get(), NFTNL_TABLE_NAME);
      it.flags = nftnl_table_get_u32(t.get(), NFTNL_TABLE_FLAGS);
      it.use = nftnl_table_get_u32(t.get(), NFTNL_TABLE_USE);
      it.handle = nftnl_table_get_u64(t.get(), NFTNL_TABLE_HANDLE);
      if (nftnl_table_is_set(t.get(), NFTNL_TABLE_OWNER)) it.owner = nftnl_table_get_u32(t.get(), NFTNL_TABLE_OWNER);
      if (nftnl_table_is_set(t.get(), NFTNL_TABLE_USERDATA)) {
        uint32_t len = 0;
        const void* p = nftnl_table_get_data(t.get(), NFTNL_TABLE_USERDATA, &len);
        it.userdata = GetUserdata(p, len);
      }
      out_->tables.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kChains: {
      std::unique_ptr<nftnl_chain, ConstFree<nftnl_chain, nftnl_chain_free>> c(nftnl_chain_alloc());
      if (!c || nftnl_chain_nlmsg_parse(nlh, c.get()) < 0) return Fail("cannot parse a chain");
      ChainItem it;
      it.family = static_cast<uint16_t>(nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FAMILY));
      it.table = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TABLE);
      it.name = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_NAME);
      it.handle = nftnl_chain_get_u64(c.get(), NFTNL_CHAIN_HANDLE);
      it.use = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_USE);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_HOOKNUM)) it.hooknum = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_HOOKNUM);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_PRIO)) it.priority = nftnl_chain_get_s32(c.get(), NFTNL_CHAIN_PRIO);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_POLICY)) it.policy = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_POLICY);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_TYPE)) it.type = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_TYPE);
      // The kernel sends a base chain's devices as NFTA_HOOK_DEVS and, when there is exactly
      // one, also as NFTA_HOOK_DEV (nft_dump_basechain_hook): the list, when present, is the
      // whole answer; reading both would name the one device twice.
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_DEVICES)) {
        const char* const* names = nftnl_chain_get_array(c.get(), NFTNL_CHAIN_DEVICES);
        for (size_t i = 0; names != nullptr && names[i] != nullptr; i++) it.devices.push_back(names[i]);
      } else if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_DEV)) {
        const char* dev = nftnl_chain_get_str(c.get(), NFTNL_CHAIN_DEV);
        if (dev != nullptr) it.devices.push_back(dev);
      }
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_FLAGS)) it.flags = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_FLAGS);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_ID)) it.id = nftnl_chain_get_u32(c.get(), NFTNL_CHAIN_ID);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_PACKETS)) it.packets = nftnl_chain_get_u64(c.get(), NFTNL_CHAIN_PACKETS);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_BYTES)) it.bytes = nftnl_chain_get_u64(c.get(), NFTNL_CHAIN_BYTES);
      if (nftnl_chain_is_set(c.get(), NFTNL_CHAIN_USERDATA)) {
        uint32_t len = 0;
        const void* p = nftnl_chain_get_data(c.get(), NFTNL_CHAIN_USERDATA, &len);
        it.userdata = GetUserdata(p, len);
      }
      out_->chains.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kRules: {
      RuleItem it;
      it.family = reinterpret_cast<const struct nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->nfgen_family;
      std::unique_ptr<nftnl_rule, ConstFree<nftnl_rule, nftnl_rule_free>> r(nftnl_rule_alloc());
      if (!r) return Fail("out of memory");
      if (nftnl_rule_nlmsg_parse(nlh, r.get()) < 0) {
        RawExprs(nlh, &it);
        out_->rules.push_back(std::move(it));
        return true;
      }
      it.table = nftnl_rule_get_str(r.get(), NFTNL_RULE_TABLE);
      it.chain = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
      it.handle = nftnl_rule_get_u64(r.get(), NFTNL_RULE_HANDLE);
      if (nftnl_rule_is_set(r.get(), NFTNL_RULE_POSITION)) it.position = nftnl_rule_get_u64(r.get(), NFTNL_RULE_POSITION);
      if (nftnl_rule_is_set(r.get(), NFTNL_RULE_USERDATA)) {
        uint32_t len = 0;
        const void* p = nftnl_rule_get_data(r.get(), NFTNL_RULE_USERDATA, &len);
        it.userdata = GetUserdata(p, len);
      }
      nftnl_expr_foreach(r.get(), CollectExpr, &it.exprs);
      out_->rules.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kSets: {
      std::unique_ptr<nftnl_set, ConstFree<nftnl_set, nftnl_set_free>> s(nftnl_set_alloc());
      if (!s || nftnl_set_nlmsg_parse(nlh, s.get()) < 0) return Fail("cannot parse a set");
      SetItem it;
      it.family = static_cast<uint16_t>(nftnl_set_get_u32(s.get(), NFTNL_SET_FAMILY));
      it.table = nftnl_set_get_str(s.get(), NFTNL_SET_TABLE);
      it.name = nftnl_set_get_str(s.get(), NFTNL_SET_NAME);
      it.handle = nftnl_set_get_u64(s.get(), NFTNL_SET_HANDLE);
      it.flags = nftnl_set_get_u32(s.get(), NFTNL_SET_FLAGS);
      it.key_type = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_TYPE);
      it.key_len = nftnl_set_get_u32(s.get(), NFTNL_SET_KEY_LEN);
      auto opt = [&](uint16_t attr, std::optional<uint32_t>* dst) {
        if (nftnl_set_is_set(s.get(), attr)) *dst = nftnl_set_get_u32(s.get(), attr);
      };
      opt(NFTNL_SET_DATA_TYPE, &it.data_type);
      opt(NFTNL_SET_DATA_LEN, &it.data_len);
      opt(NFTNL_SET_OBJ_TYPE, &it.obj_type);
      opt(NFTNL_SET_POLICY, &it.policy);
      opt(NFTNL_SET_DESC_SIZE, &it.size);
      opt(NFTNL_SET_GC_INTERVAL, &it.gc_interval);
      if (nftnl_set_is_set(s.get(), NFTNL_SET_TIMEOUT)) it.timeout_ms = nftnl_set_get_u64(s.get(), NFTNL_SET_TIMEOUT);
      if (nftnl_set_is_set(s.get(), NFTNL_SET_DESC_CONCAT)) {
        uint32_t len = 0;
        const uint8_t* p = static_cast<const uint8_t*>(nftnl_set_get_data(s.get(), NFTNL_SET_DESC_CONCAT, &len));
        if (p != nullptr) it.concat.assign(p, p + len);
      }
      if (nftnl_set_is_set(s.get(), NFTNL_SET_USERDATA)) {
        uint32_t len = 0;
        const void* p = nftnl_set_get_data(s.get(), NFTNL_SET_USERDATA, &len);
        it.userdata = GetUserdata(p, len);
      }
      nftnl_set_expr_foreach(s.get(), CollectExpr, &it.exprs);
      out_->sets.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kElements: {
      std::unique_ptr<nftnl_set, ConstFree<nftnl_set, nftnl_set_free>> s(nftnl_set_alloc());
      if (!s || nftnl_set_elems_nlmsg_parse(nlh, s.get()) < 0) return Fail("cannot parse set elements");
      nftnl_set_elem_foreach(s.get(), CollectElem, out_);
      return true;
    }
    case DumpWhat::kObjects: {
      std::unique_ptr<nftnl_obj, ConstFree<nftnl_obj, nftnl_obj_free>> o(nftnl_obj_alloc());
      if (!o || nftnl_obj_nlmsg_parse(nlh, o.get()) < 0) return Fail("cannot parse an object");
      ObjItem it;
      it.family = static_cast<uint16_t>(nftnl_obj_get_u32(o.get(), NFTNL_OBJ_FAMILY));
      it.table = nftnl_obj_get_str(o.get(), NFTNL_OBJ_TABLE);
      it.name = nftnl_obj_get_str(o.get(), NFTNL_OBJ_NAME);
      it.type = nftnl_obj_get_u32(o.get(), NFTNL_OBJ_TYPE);
      it.use = nftnl_obj_get_u32(o.get(), NFTNL_OBJ_USE);
      it.handle = nftnl_obj_get_u64(o.get(), NFTNL_OBJ_HANDLE);
      // An object type the table does not know keeps its name, type and handle, no attributes.
      if (const ObjDef* def = FindObj(it.type)) {
        for (const AttrDef& d : def->attrs) {
          if (!nftnl_obj_is_set(o.get(), d.id)) continue;
          AttrValue a;
          a.def = &d;
          switch (d.kind) {
            case Kind::kU8: a.num = nftnl_obj_get_u8(o.get(), d.id); break;
            case Kind::kU16: a.num = nftnl_obj_get_u16(o.get(), d.id); break;
            case Kind::kU32:
            case Kind::kI32: a.num = nftnl_obj_get_u32(o.get(), d.id); break;
            case Kind::kU64: a.num = nftnl_obj_get_u64(o.get(), d.id); break;
            case Kind::kStr: {
              const char* str = nftnl_obj_get_str(o.get(), d.id);
              a.str = str != nullptr ? str : "";
              break;
            }
            case Kind::kBytes: {
              uint32_t len = 0;
              const uint8_t* p = static_cast<const uint8_t*>(nftnl_obj_get_data(o.get(), d.id, &len));
              if (p != nullptr) a.bytes.assign(p, p + len);
              break;
            }
            case Kind::kExprs: continue;  // objects hold no expressions
          }
          it.attrs.push_back(std::move(a));
        }
      }
      if (nftnl_obj_is_set(o.get(), NFTNL_OBJ_USERDATA)) {
        uint32_t len = 0;
        const void* p = nftnl_obj_get_data(o.get(), NFTNL_OBJ_USERDATA, &len);
        it.userdata = GetUserdata(p, len);
      }
      out_->objs.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kFlowtables: {
      std::unique_ptr<nftnl_flowtable, ConstFree<nftnl_flowtable, nftnl_flowtable_free>> f(nftnl_flowtable_alloc());
      if (!f || nftnl_flowtable_nlmsg_parse(nlh, f.get()) < 0) return Fail("cannot parse a flowtable");
      FlowtableItem it;
      it.family = static_cast<uint16_t>(nftnl_flowtable_get_u32(f.get(), NFTNL_FLOWTABLE_FAMILY));
      const char* table = nftnl_flowtable_get_str(f.get(), NFTNL_FLOWTABLE_TABLE);
      const char* name = nftnl_flowtable_get_str(f.get(), NFTNL_FLOWTABLE_NAME);
      it.table = table != nullptr ? table : "";
      it.name = name != nullptr ? name : "";
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_HANDLE)) it.handle = nftnl_flowtable_get_u64(f.get(), NFTNL_FLOWTABLE_HANDLE);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_HOOKNUM)) it.hooknum = nftnl_flowtable_get_u32(f.get(), NFTNL_FLOWTABLE_HOOKNUM);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_PRIO)) it.priority = nftnl_flowtable_get_s32(f.get(), NFTNL_FLOWTABLE_PRIO);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_FLAGS)) it.flags = nftnl_flowtable_get_u32(f.get(), NFTNL_FLOWTABLE_FLAGS);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_SIZE)) it.size = nftnl_flowtable_get_u32(f.get(), NFTNL_FLOWTABLE_SIZE);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_USE)) it.use = nftnl_flowtable_get_u32(f.get(), NFTNL_FLOWTABLE_USE);
      if (nftnl_flowtable_is_set(f.get(), NFTNL_FLOWTABLE_DEVICES)) {
        const char* const* names = nftnl_flowtable_get_array(f.get(), NFTNL_FLOWTABLE_DEVICES);
        for (size_t i = 0; names != nullptr && names[i] != nullptr; i++) it.devices.push_back(names[i]);
      }
      out_->flowtables.push_back(std::move(it));
      return true;
    }
    case DumpWhat::kGen: {
      std::unique_ptr<nftnl_gen, ConstFree<nftnl_gen, nftnl_gen_free>> g(nftnl_gen_alloc());
      if (!g || nftnl_gen_nlmsg_parse(nlh, g.get()) < 0) return Fail("cannot parse the generation");
      out_->genid = nftnl_gen_get_u32(g.get(), NFTNL_GEN_ID);
      return true;
    }
  }
  return Fail("unexpected reply");
}

bool HasDuplicateElements(const std::vector<ElemItem>& elems) {
  std::unordered_set<std::string> seen;
  seen.reserve(elems.size());
  std::string k;
  for (const ElemItem& e : elems) {
    k.assign(reinterpret_cast<const char*>(e.key.data()), e.key.size());
    k.push_back(static_cast<char>((e.flags & NFT_SET_ELEM_INTERVAL_END) ? 1 : 0));
    k.append(reinterpret_cast<const char*>(e.key_end.data()), e.key_end.size());
    if (!seen.insert(k).second) return true;
  }
  return false;
}

}  // namespace nftjs
