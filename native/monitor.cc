// SPDX-License-Identifier: GPL-2.0-or-later
#include "monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/trace.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "convert.h"
#include "decode.h"
#include "netlink.h"

namespace nftjs {

namespace {

constexpr int kGroupNftables = 7;  // NFNLGRP_NFTABLES
constexpr int kGroupTrace = 9;     // NFNLGRP_NFTRACE
constexpr size_t kRecvBuf = 256 * 1024;
constexpr int kMaxPerWake = 256;  // recv() calls per readable wake-up, then yield to the loop
const napi_type_tag kMonitorTag = {0x6e66746d'6f6e6974ULL, 0x6f720001'02030405ULL};

struct Monitor {
  NlSocket nl;
  uv_poll_t poll;
  bool handle_open = false;  // uv handle initialised and its close callback not yet run
  bool closing = false;      // close requested (by JS, the finalizer or environment teardown)
  bool finalized = false;    // the JS handle is gone
  bool teardown = false;     // the environment is going away: no more N-API calls
  napi_async_cleanup_hook_handle cleanup = nullptr;
  Napi::FunctionReference callback;
  std::unique_ptr<Napi::AsyncContext> context;
  std::vector<char> rx;
  napi_env env = nullptr;
};

// Frees the monitor once both its JS handle and its uv handle are gone.
void MaybeFree(Monitor* m) {
  if (!m->finalized || m->handle_open) return;
  if (m->teardown) {
    // The environment is gone or going: its references must not be touched any more.
    m->callback.SuppressDestruct();
    (void)m->context.release();
  }
  delete m;
}

void OnClosed(uv_handle_t* h) {
  Monitor* m = static_cast<Monitor*>(h->data);
  m->handle_open = false;
  CloseSocket(&m->nl);
  if (m->cleanup != nullptr) {
    napi_remove_async_cleanup_hook(m->cleanup);  // lets a terminating worker finish
    m->cleanup = nullptr;
  }
  MaybeFree(m);
}

void BeginClose(Monitor* m) {
  if (m->closing) return;
  m->closing = true;
  uv_poll_stop(&m->poll);
  uv_close(reinterpret_cast<uv_handle_t*>(&m->poll), OnClosed);
}

// close() from JS (the environment is alive).
void Stop(Monitor* m) {
  if (m->closing) return;
  m->callback.Reset();
  m->context.reset();
  BeginClose(m);
}

// Environment teardown (worker termination, process exit) with the monitor still open: close
// the uv handle while the loop still runs; Node waits until OnClosed removes this hook.
void AsyncCleanup(napi_async_cleanup_hook_handle, void* arg) {
  Monitor* m = static_cast<Monitor*>(arg);
  m->teardown = true;
  BeginClose(m);
}

const char* const kObjNames[] = {"table", "chain", "rule", "set", "elements", "object"};

// Names of a set elements message (NFTA_SET_ELEM_LIST_TABLE / _SET), which the dump decoder
// does not keep.
void ElemListNames(const struct nlmsghdr* nlh, std::string* table, std::string* set) {
  std::pair<std::string*, std::string*> out(table, set);
  // libmnl's walk: bounded by nlmsg_len, stops at the first malformed attribute.
  mnl_attr_parse(nlh, sizeof(struct nfgenmsg), [](const struct nlattr* a, void* data) -> int {
    auto* o = static_cast<std::pair<std::string*, std::string*>*>(data);
    const uint16_t t = mnl_attr_get_type(a);
    if (t != NFTA_SET_ELEM_LIST_TABLE && t != NFTA_SET_ELEM_LIST_SET) return MNL_CB_OK;
    const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
    *(t == NFTA_SET_ELEM_LIST_TABLE ? o->first : o->second) = std::string(p, strnlen(p, mnl_attr_get_payload_len(a)));
    return MNL_CB_OK;
  }, &out);
}

// NEWGEN: NFTA_GEN_ID, NFTA_GEN_PROC_PID, NFTA_GEN_PROC_NAME (the committer's).
void GenAttrs(Napi::Env env, const struct nlmsghdr* nlh, Napi::Object ev) {
  struct Out {
    Napi::Env env;
    Napi::Object ev;
  } out{env, ev};
  mnl_attr_parse(nlh, sizeof(struct nfgenmsg), [](const struct nlattr* a, void* data) -> int {
    Out* o = static_cast<Out*>(data);
    const uint16_t t = mnl_attr_get_type(a);
    const size_t len = mnl_attr_get_payload_len(a);
    if (t == NFTA_GEN_ID && len >= 4) o->ev.Set("generation", Napi::Number::New(o->env, ntohl(mnl_attr_get_u32(a))));
    if (t == NFTA_GEN_PROC_PID && len >= 4) o->ev.Set("pid", Napi::Number::New(o->env, ntohl(mnl_attr_get_u32(a))));
    if (t == NFTA_GEN_PROC_NAME) {
      const char* p = static_cast<const char*>(mnl_attr_get_payload(a));
      o->ev.Set("process", std::string(p, strnlen(p, len)));
    }
    return MNL_CB_OK;
  }, &out);
}

Napi::Value TraceToJs(Napi::Env env, const struct nlmsghdr* nlh) {
  std::unique_ptr<nftnl_trace, void (*)(const nftnl_trace*)> t(nftnl_trace_alloc(), nftnl_trace_free);
  if (!t || nftnl_trace_nlmsg_parse(nlh, t.get()) < 0) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("kind", "trace");
  auto str = [&](uint16_t attr, const char* key) {
    if (nftnl_trace_is_set(t.get(), attr)) o.Set(key, nftnl_trace_get_str(t.get(), attr));
  };
  auto u32 = [&](uint16_t attr, const char* key) {
    if (nftnl_trace_is_set(t.get(), attr)) o.Set(key, Napi::Number::New(env, nftnl_trace_get_u32(t.get(), attr)));
  };
  str(NFTNL_TRACE_TABLE, "table");
  str(NFTNL_TRACE_CHAIN, "chain");
  str(NFTNL_TRACE_JUMP_TARGET, "jumpTarget");
  u32(NFTNL_TRACE_FAMILY, "family");
  u32(NFTNL_TRACE_ID, "id");
  u32(NFTNL_TRACE_TYPE, "type");
  u32(NFTNL_TRACE_VERDICT, "verdict");
  u32(NFTNL_TRACE_POLICY, "policy");
  u32(NFTNL_TRACE_IIF, "iif");
  u32(NFTNL_TRACE_OIF, "oif");
  u32(NFTNL_TRACE_MARK, "mark");
  u32(NFTNL_TRACE_NFPROTO, "nfproto");
  if (nftnl_trace_is_set(t.get(), NFTNL_TRACE_RULE_HANDLE)) {
    o.Set("handle", Napi::BigInt::New(env, nftnl_trace_get_u64(t.get(), NFTNL_TRACE_RULE_HANDLE)));
  }
  for (auto [attr, key] : {std::pair<uint16_t, const char*>{NFTNL_TRACE_LL_HEADER, "llHeader"},
                           {NFTNL_TRACE_NETWORK_HEADER, "networkHeader"},
                           {NFTNL_TRACE_TRANSPORT_HEADER, "transportHeader"}}) {
    if (!nftnl_trace_is_set(t.get(), attr)) continue;
    uint32_t len = 0;
    const void* p = nftnl_trace_get_data(t.get(), attr, &len);
    if (p == nullptr) continue;
    Napi::Uint8Array a = Napi::Uint8Array::New(env, len);
    if (len > 0) memcpy(a.Data(), p, len);
    o.Set(key, a);
  }
  return o;
}

// One event message -> a JS event object, or null for one this package does not model.
Napi::Value EventToJs(Napi::Env env, const struct nlmsghdr* nlh) {
  if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES) return env.Null();
  if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg)) return env.Null();
  const int type = NFNL_MSG_TYPE(nlh->nlmsg_type);
  if (type == NFT_MSG_TRACE) return TraceToJs(env, nlh);
  const struct nfgenmsg* g = static_cast<const struct nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  Napi::Object ev = Napi::Object::New(env);
  ev.Set("portId", Napi::Number::New(env, nlh->nlmsg_pid));
  ev.Set("family", Napi::Number::New(env, g->nfgen_family));
  if (type == NFT_MSG_NEWGEN) {
    ev.Set("kind", "gen");
    GenAttrs(env, nlh, ev);
    return ev;
  }
  DumpWhat what;
  bool add = true;
  switch (type) {
    case NFT_MSG_NEWTABLE: what = DumpWhat::kTables; break;
    case NFT_MSG_DELTABLE: what = DumpWhat::kTables; add = false; break;
    case NFT_MSG_NEWCHAIN: what = DumpWhat::kChains; break;
    case NFT_MSG_DELCHAIN: what = DumpWhat::kChains; add = false; break;
    case NFT_MSG_NEWRULE: what = DumpWhat::kRules; break;
    case NFT_MSG_DELRULE: what = DumpWhat::kRules; add = false; break;
    case NFT_MSG_NEWSET: what = DumpWhat::kSets; break;
    case NFT_MSG_DELSET: what = DumpWhat::kSets; add = false; break;
    case NFT_MSG_NEWSETELEM: what = DumpWhat::kElements; break;
    case NFT_MSG_DELSETELEM: what = DumpWhat::kElements; add = false; break;
    case NFT_MSG_NEWOBJ: what = DumpWhat::kObjects; break;
    case NFT_MSG_DELOBJ: what = DumpWhat::kObjects; add = false; break;
    default: {
      // Flowtables and future message types: reported, not dropped.
      ev.Set("kind", "other");
      ev.Set("type", Napi::Number::New(env, type));
      return ev;
    }
  }
  ev.Set("kind", kObjNames[static_cast<int>(what)]);
  ev.Set("op", add ? "add" : "delete");
  DumpSpec spec;
  spec.what = what;
  DumpResult r;
  r.what = what;
  Decoder decoder(spec, &r);
  if (!decoder.Feed(nlh)) {
    ev.Set("error", decoder.error());
    return ev;
  }
  Napi::Value js = DumpResultToJs(env, r);
  if (js.IsObject()) {
    Napi::Value items = js.As<Napi::Object>().Get("items");
    if (what == DumpWhat::kElements) {
      std::string table, set;
      ElemListNames(nlh, &table, &set);
      ev.Set("table", table);
      ev.Set("set", set);
      ev.Set("data", items);
    } else if (items.IsArray() && items.As<Napi::Array>().Length() > 0) {
      ev.Set("data", items.As<Napi::Array>().Get(0u));
    }
  }
  return ev;
}

void OnReadable(uv_poll_t* handle, int status, int events) {
  Monitor* m = static_cast<Monitor*>(handle->data);
  if (m->closing) return;
  Napi::Env env(m->env);
  Napi::HandleScope scope(env);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n_out = 0;
  if (status < 0) {
    // libuv reports POLLERR as UV_EBADF and stops the handle. On a netlink socket POLLERR
    // means a pending socket error, ENOBUFS on overflow: recv() below reports and clears it.
    // Then poll again.
    const int rc = uv_poll_start(&m->poll, UV_READABLE, OnReadable);
    if (rc != 0) {
      Napi::Object e = Napi::Object::New(env);
      e.Set("kind", "error");
      e.Set("message", uv_strerror(rc));
      out.Set(n_out++, e);
    }
  }
  for (int i = 0; i < kMaxPerWake; i++) {
    const ssize_t n = recv(m->nl.fd, m->rx.data(), m->rx.size(), MSG_DONTWAIT);
    if (n < 0) {
      const int err = errno;  // before any N-API call can change it
      if (err == EINTR) continue;
      if (err == EAGAIN || err == EWOULDBLOCK) break;
      Napi::Object lost = Napi::Object::New(env);
      if (err == ENOBUFS) {
        // The socket's buffer overflowed: some events are gone. Never hidden.
        lost.Set("kind", "lost");
      } else {
        lost.Set("kind", "error");
        lost.Set("errno", err);
        lost.Set("message", strerror(err));
      }
      out.Set(n_out++, lost);
      if (err != ENOBUFS) break;
      continue;
    }
    const struct nlmsghdr* nlh = reinterpret_cast<const struct nlmsghdr*>(m->rx.data());
    int len = static_cast<int>(n);
    for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
      Napi::Value ev = EventToJs(env, nlh);
      if (!ev.IsNull()) out.Set(n_out++, ev);
    }
  }
  if (n_out == 0 || m->callback.IsEmpty() || m->closing) return;
  Napi::Object recv = Napi::Object::New(env);
  m->callback.MakeCallback(recv, {out}, *m->context);
  // An exception thrown by the callback (by a listener) is reported as uncaught, as Node does
  // for its own event sources; it must not stay pending in the environment.
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    napi_fatal_exception(env, e.Value());
  }
}

}  // namespace

Napi::Value MonitorOpenJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns;
  uint32_t rcvbuf = 16u << 20;  // what nft monitor uses: bursts of element events fit
  bool trace = false;
  if (!info[0].IsObject() || !info[1].IsFunction()) {
    Napi::TypeError::New(env, "Expected (options, callback)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Object opts = info[0].As<Napi::Object>();
  Napi::Value p = opts.Get("netnsPath");
  if (!p.IsUndefined()) {
    if (!p.IsString()) {
      Napi::TypeError::New(env, "Expected a string for netnsPath").ThrowAsJavaScriptException();
      return env.Null();
    }
    netns = p.As<Napi::String>().Utf8Value();
  }
  Napi::Value r = opts.Get("rcvbufBytes");
  if (r.IsNumber()) rcvbuf = r.As<Napi::Number>().Uint32Value();
  trace = opts.Get("trace").ToBoolean().Value();

  std::unique_ptr<Monitor> m(new Monitor());
  std::string what;
  int err = OpenSocket(netns, rcvbuf, &m->nl, &what);
  int group = kGroupNftables;
  if (err == 0 && setsockopt(m->nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
    err = errno;
    what = "join NFNLGRP_NFTABLES";
  }
  group = kGroupTrace;
  if (err == 0 && trace && setsockopt(m->nl.fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
    err = errno;
    what = "join NFNLGRP_NFTRACE";
  }
  uv_loop_t* loop = nullptr;
  if (err == 0 && napi_get_uv_event_loop(env, &loop) != napi_ok) {
    err = EINVAL;
    what = "get the event loop";
  }
  if (err == 0) {
    m->poll.data = m.get();
    int rc = uv_poll_init(loop, &m->poll, m->nl.fd);
    if (rc != 0) {
      err = -rc;
      what = "uv_poll_init";
    } else {
      m->handle_open = true;
      rc = uv_poll_start(&m->poll, UV_READABLE, OnReadable);
      if (rc == 0 && napi_add_async_cleanup_hook(env, AsyncCleanup, m.get(), &m->cleanup) != napi_ok) rc = UV_EINVAL;
      if (rc != 0) {
        // The handle is initialised: it must be closed through the loop, which frees m.
        Monitor* doomed = m.release();
        doomed->finalized = true;
        doomed->teardown = false;
        BeginClose(doomed);
        Napi::Error e = Napi::Error::New(env, std::string("uv_poll_start: ") + uv_strerror(rc));
        e.Set("errno", Napi::Number::New(env, -rc));
        e.ThrowAsJavaScriptException();
        return env.Null();
      }
    }
  }
  if (err != 0) {
    CloseSocket(&m->nl);
    Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
    e.Set("errno", Napi::Number::New(env, err));
    e.Set("syscall", what);
    e.ThrowAsJavaScriptException();
    return env.Null();
  }
  m->env = env;
  m->rx.resize(kRecvBuf);
  m->callback = Napi::Persistent(info[1].As<Napi::Function>());
  m->context.reset(new Napi::AsyncContext(env, "nftables:monitor"));
  Monitor* raw = m.release();
  // An open monitor keeps the event loop alive (as a listening server does): its callback
  // holds the JS Monitor, so close() is how it ends; environment teardown closes it too.
  Napi::External<Monitor> ext = Napi::External<Monitor>::New(env, raw, [](Napi::Env, Monitor* mon) {
    mon->finalized = true;
    if (!mon->closing) {
      if (mon->teardown) {
        BeginClose(mon);
      } else {
        Stop(mon);
      }
    }
    MaybeFree(mon);
  });
  ext.TypeTag(&kMonitorTag);
  return ext;
}

Napi::Value MonitorCloseJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsExternal() || !info[0].As<Napi::External<Monitor>>().CheckTypeTag(&kMonitorTag)) {
    Napi::TypeError::New(env, "Expected a monitor returned by monitorOpen()").ThrowAsJavaScriptException();
    return env.Null();
  }
  Stop(info[0].As<Napi::External<Monitor>>().Data());
  return env.Undefined();
}

}  // namespace nftjs
