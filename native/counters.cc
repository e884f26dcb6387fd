// SPDX-License-Identifier: GPL-2.0-or-later
#include "counters.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

#include "convert.h"
#include "netlink.h"
#include "socket.h"
#include "workers.h"

namespace nftjs {

namespace {

constexpr int kGetRuleReset = 25;  // NFT_MSG_GETRULE_RESET (Linux 6.6)
constexpr int kAttempts = 8;       // dumps retried while commits keep landing
constexpr uint8_t kUdataComment = 0;  // NFTNL_UDATA_RULE_COMMENT

// Attribute walks over [start, start + len), bounded by mnl_attr_ok (a C++ form of libmnl's
// mnl_attr_for_each macros, which cast from void*).
template <typename F>
void ForEachAttr(const void* start, size_t len, F f) {
  int rem = static_cast<int>(len);
  for (const struct nlattr* a = static_cast<const struct nlattr*>(start); mnl_attr_ok(a, rem); a = mnl_attr_next(a)) {
    rem -= static_cast<int>(MNL_ALIGN(a->nla_len));
    f(a);
  }
}
template <typename F>
void ForEachNested(const struct nlattr* nest, F f) {
  ForEachAttr(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), f);
}

uint64_t Be64(const struct nlattr* a) {
  uint64_t v;
  memcpy(&v, mnl_attr_get_payload(a), sizeof(v));
  return be64toh(v);
}

// A NUL-terminated string attribute, bounded by its payload; false if it is not one.
bool Str(const struct nlattr* a, const char** p, size_t* n) {
  const size_t len = mnl_attr_get_payload_len(a);
  const char* s = static_cast<const char*>(mnl_attr_get_payload(a));
  *n = strnlen(s, len);
  *p = s;
  return true;
}

// The first counter among a rule's expressions (NFTA_RULE_EXPRESSIONS -> NFTA_LIST_ELEM ->
// { NFTA_EXPR_NAME "counter", NFTA_EXPR_DATA -> NFTA_COUNTER_BYTES / PACKETS }).
bool FirstCounter(const struct nlattr* exprs, uint64_t* packets, uint64_t* bytes) {
  bool found = false;
  ForEachNested(exprs, [&](const struct nlattr* elem) {
    if (found || mnl_attr_get_type(elem) != NFTA_LIST_ELEM) return;
    const struct nlattr* data = nullptr;
    bool is_counter = false;
    ForEachNested(elem, [&](const struct nlattr* a) {
      const uint16_t t = mnl_attr_get_type(a);
      if (t == NFTA_EXPR_NAME) {
        const char* p;
        size_t n;
        Str(a, &p, &n);
        is_counter = n == 7 && memcmp(p, "counter", 7) == 0;
      } else if (t == NFTA_EXPR_DATA) {
        data = a;
      }
    });
    if (!is_counter || data == nullptr) return;
    bool have_p = false, have_b = false;
    ForEachNested(data, [&](const struct nlattr* a) {
      if (mnl_attr_get_payload_len(a) < 8) return;
      if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS) {
        *packets = Be64(a);
        have_p = true;
      } else if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES) {
        *bytes = Be64(a);
        have_b = true;
      }
    });
    found = have_p && have_b;
  });
  return found;
}

// One NEWRULE reply -> one row (rules without a counter are left out).
void FeedRule(const struct nlmsghdr* nlh, CounterResult* r) {
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg)) return;
  const struct nfgenmsg* g = static_cast<const struct nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  const char* table = nullptr;
  const char* chain = nullptr;
  size_t table_len = 0, chain_len = 0;
  uint64_t handle = 0, packets = 0, bytes = 0;
  bool counter = false;
  const uint8_t* comment = nullptr;
  size_t comment_len = 0;
  const char* start = static_cast<const char*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(struct nfgenmsg)));
  const char* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
  if (tail < start) return;
  ForEachAttr(start, static_cast<size_t>(tail - start), [&](const struct nlattr* a) {
    switch (mnl_attr_get_type(a)) {
      case NFTA_RULE_TABLE: Str(a, &table, &table_len); break;
      case NFTA_RULE_CHAIN: Str(a, &chain, &chain_len); break;
      case NFTA_RULE_HANDLE:
        if (mnl_attr_get_payload_len(a) >= 8) handle = Be64(a);
        break;
      case NFTA_RULE_EXPRESSIONS: counter = FirstCounter(a, &packets, &bytes); break;
      case NFTA_RULE_USERDATA: {
        // TLVs { u8 type, u8 len, value }: the comment is NUL-terminated text.
        const uint8_t* p = static_cast<const uint8_t*>(mnl_attr_get_payload(a));
        const size_t len = mnl_attr_get_payload_len(a);
        for (size_t o = 0; o + 2 <= len;) {
          const size_t n = p[o + 1];
          if (o + 2 + n > len) break;
          if (p[o] == kUdataComment) {
            comment = p + o + 2;
            comment_len = strnlen(reinterpret_cast<const char*>(comment), n);
            break;
          }
          o += 2 + n;
        }
        break;
      }
      default: break;
    }
  });
  if (!counter || table == nullptr || chain == nullptr) return;
  r->genid16 = ntohs(g->res_id);
  const CounterPlace* last = r->places.empty() ? nullptr : &r->places.back();
  if (last == nullptr || last->family != g->nfgen_family || last->table.size() != table_len ||
      last->chain.size() != chain_len || memcmp(last->table.data(), table, table_len) != 0 ||
      memcmp(last->chain.data(), chain, chain_len) != 0) {
    CounterPlace p;
    p.family = g->nfgen_family;
    p.table.assign(table, table_len);
    p.chain.assign(chain, chain_len);
    r->places.push_back(std::move(p));
  }
  r->place.push_back(static_cast<uint32_t>(r->places.size() - 1));
  r->handles.push_back(handle);
  r->packets.push_back(packets);
  r->bytes.push_back(bytes);
  r->flags.push_back(comment != nullptr ? 1 : 0);
  if (comment != nullptr) r->names.insert(r->names.end(), comment, comment + comment_len);
  r->name_end.push_back(static_cast<uint32_t>(r->names.size()));
}

// One dump. Sets *interrupted when a reply carries NLM_F_DUMP_INTR.
void DumpOnce(NlSocket* s, const CounterSpec& spec, CounterResult* r, bool* interrupted) {
  alignas(struct nlmsghdr) char req[1024];  // two names of at most 255 bytes plus headers
  const uint32_t seq = ++s->seq;
  struct nlmsghdr* nlh =
      nftnl_nlmsg_build_hdr(req, spec.reset ? kGetRuleReset : NFT_MSG_GETRULE, spec.family, NLM_F_DUMP, seq);
  if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, spec.table.c_str());
  if (!spec.chain.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, spec.chain.c_str());
  r->err = Exchange(s, nlh, true, [r](const struct nlmsghdr* m) {
    if (NFNL_SUBSYS_ID(m->nlmsg_type) == NFNL_SUBSYS_NFTABLES && NFNL_MSG_TYPE(m->nlmsg_type) == NFT_MSG_NEWRULE) FeedRule(m, r);
    return true;
  }, interrupted, &r->message);
}

Napi::Value ResultToJs(Napi::Env env, const CounterResult& r) {
  Napi::Object o = Napi::Object::New(env);
  if (r.err != 0) {
    o.Set("errno", r.err);
    if (!r.message.empty()) o.Set("message", r.message);
    return o;
  }
  const size_t n = r.handles.size();
  auto u64 = [&](const std::vector<uint64_t>& v) {
    Napi::BigUint64Array a = Napi::BigUint64Array::New(env, n);
    if (n > 0) memcpy(a.Data(), v.data(), n * sizeof(uint64_t));
    return a;
  };
  auto u32 = [&](const std::vector<uint32_t>& v) {
    Napi::Uint32Array a = Napi::Uint32Array::New(env, v.size());
    if (!v.empty()) memcpy(a.Data(), v.data(), v.size() * sizeof(uint32_t));
    return a;
  };
  auto u8 = [&](const std::vector<uint8_t>& v) {
    Napi::Uint8Array a = Napi::Uint8Array::New(env, v.size());
    if (!v.empty()) memcpy(a.Data(), v.data(), v.size());
    return a;
  };
  o.Set("count", Napi::Number::New(env, static_cast<double>(n)));
  o.Set("handles", u64(r.handles));
  o.Set("packets", u64(r.packets));
  o.Set("bytes", u64(r.bytes));
  o.Set("place", u32(r.place));
  Napi::Array places = Napi::Array::New(env, r.places.size());
  for (size_t i = 0; i < r.places.size(); i++) {
    Napi::Object p = Napi::Object::New(env);
    p.Set("family", r.places[i].family);
    p.Set("table", r.places[i].table);
    p.Set("chain", r.places[i].chain);
    places.Set(static_cast<uint32_t>(i), p);
  }
  o.Set("places", places);
  o.Set("flags", u8(r.flags));
  o.Set("names", u8(r.names));
  o.Set("nameEnds", u32(r.name_end));
  o.Set("genid16", r.genid16);
  return o;
}

// Reads { family?, table?, chain?, reset? }; throws a TypeError naming the field.
bool ToCounterSpec(Napi::Env env, Napi::Value v, CounterSpec* out) {
  if (!v.IsObject()) {
    Napi::TypeError::New(env, "Expected a counters request object").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Object o = v.As<Napi::Object>();
  Napi::Value f = o.Get("family");
  if (env.IsExceptionPending()) return false;  // a throwing getter: its own error propagates
  if (!f.IsUndefined()) {
    if (!f.IsNumber() || f.As<Napi::Number>().Uint32Value() > 255) {
      Napi::TypeError::New(env, "Expected a family number 0-255 for family").ThrowAsJavaScriptException();
      return false;
    }
    out->family = static_cast<uint16_t>(f.As<Napi::Number>().Uint32Value());
  }
  for (const char* key : {"table", "chain"}) {
    Napi::Value s = o.Get(key);
    if (env.IsExceptionPending()) return false;
    if (s.IsUndefined()) continue;
    if (!s.IsString()) {
      Napi::TypeError::New(env, std::string("Expected a string for ") + key).ThrowAsJavaScriptException();
      return false;
    }
    std::string str = s.As<Napi::String>().Utf8Value();
    if (str.empty() || str.size() > 255 || str.find('\0') != std::string::npos) {
      Napi::TypeError::New(env, std::string("Expected a name of 1-255 bytes for ") + key).ThrowAsJavaScriptException();
      return false;
    }
    (key[0] == 't' ? out->table : out->chain) = std::move(str);
  }
  if (!out->chain.empty() && out->table.empty()) {
    Napi::TypeError::New(env, "Expected a table together with chain").ThrowAsJavaScriptException();
    return false;
  }
  Napi::Value reset = o.Get("reset");
  if (env.IsExceptionPending()) return false;
  out->reset = reset.ToBoolean().Value();
  return !env.IsExceptionPending();
}

class CountersWorker final : public Napi::AsyncWorker {
 public:
  CountersWorker(Napi::Env env, Napi::Value socket_value, Socket* socket, CounterSpec spec)
      : Napi::AsyncWorker(env, "nftables:counters"),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_ref_(Napi::Persistent(socket_value)),
        socket_(socket),
        spec_(std::move(spec)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Runs on a libuv thread: nothing may escape (an exception leaving Execute() ends the process).
  void Execute() override {
    try {
      RunCounters(&socket_->nl, spec_, &result_);
    } catch (...) {
      result_ = CounterResult();
      result_.err = ENOMEM;
      result_.message = "out of memory in the nftables addon while reading counters";
    }
  }
  void OnOK() override {
    ReleaseSocket(socket_);
    socket_ref_.Reset();
    Napi::Env env = Env();
    // worker.terminate() or process teardown: no JS can run; nobody observes the promise.
    if (!CanRunJs(env)) return;
    Napi::Value v = ResultToJs(env, result_);
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
    } else {
      deferred_.Resolve(v);
    }
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> socket_ref_;
  Socket* socket_;
  CounterSpec spec_;
  CounterResult result_;
};

}  // namespace

void RunCounters(NlSocket* s, const CounterSpec& spec, CounterResult* out) {
  for (int attempt = 0; attempt < kAttempts; attempt++) {
    *out = CounterResult();
    bool interrupted = false;
    DumpOnce(s, spec, out, &interrupted);
    if (out->err != 0 || !interrupted || spec.reset) return;
  }
  *out = CounterResult();
  out->err = EAGAIN;
  out->message = "the ruleset changed during each of " + std::to_string(kAttempts) +
                 " attempts to read the counters; try again when commits are less frequent";
}

Napi::Value CountersJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CounterSpec spec;
  if (!ToCounterSpec(env, info[1], &spec)) return env.Null();
  Socket* s = AcquireSocket(env, info[0]);
  if (s == nullptr) return env.Null();
  CountersWorker* w = nullptr;
  try {
    w = new CountersWorker(env, info[0], s, std::move(spec));
  } catch (...) {
    ReleaseSocket(s);
    throw;  // Guarded() turns it into a JS error
  }
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value CountersSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CounterSpec spec;
  if (!ToCounterSpec(env, info[1], &spec)) return env.Null();
  Socket* s = AcquireSocket(env, info[0]);
  if (s == nullptr) return env.Null();
  CounterResult result;
  try {
    RunCounters(&s->nl, spec, &result);
  } catch (...) {
    ReleaseSocket(s);
    throw;  // Guarded() turns it into a JS error
  }
  ReleaseSocket(s);
  return ResultToJs(env, result);
}

}  // namespace nftjs
