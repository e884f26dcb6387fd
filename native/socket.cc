// SPDX-License-Identifier: GPL-2.0-or-later
#include "socket.h"

#include <cstring>
#include <memory>
#include <string>

#include "convert.h"

namespace nftjs {

namespace {
// Type tag so that a foreign External can never be taken for a socket (node-addon-api doc/object.md).
const napi_type_tag kSocketTag = {0x6e667473'6f636b65ULL, 0x74a1b2c3'd4e5f607ULL};
}  // namespace

Socket* UnwrapSocket(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal() || !value.As<Napi::External<Socket>>().CheckTypeTag(&kSocketTag)) {
    ThrowTypeError(env, "Expected a socket returned by openSocket()");
    return nullptr;
  }
  return value.As<Napi::External<Socket>>().Data();
}

Napi::Value OpenSocketJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns;
  uint32_t rcvbuf = 1 << 20;
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Object opts = info[0].As<Napi::Object>();
    Napi::Value p;
    if (!ReadProperty(env, opts, "netnsPath", &p)) return Napi::Value();
    if (!p.IsUndefined()) {
      if (!p.IsString()) return ThrowTypeError(env, "Expected a string for netnsPath"), Napi::Value();
      netns = p.As<Napi::String>().Utf8Value();
      if (env.IsExceptionPending()) return Napi::Value();
      // open() would stop at a NUL and open another namespace than the one named.
      if (netns.find('\0') != std::string::npos) return ThrowTypeError(env, "Expected a path without NUL bytes for netnsPath"), Napi::Value();
    }
    Napi::Value r;
    if (!ReadProperty(env, opts, "rcvbufBytes", &r)) return Napi::Value();
    if (!r.IsUndefined()) {
      const double d = r.IsNumber() ? r.As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d <= 2147483647.0)) return ThrowRangeError(env, "Expected a byte count 0-2147483647 for rcvbufBytes"), Napi::Value();
      rcvbuf = static_cast<uint32_t>(d);
    }
  }
  std::unique_ptr<Socket> s(new Socket());
  std::string what;
  // OpenSocket starts a thread for a netns path: its std::system_error, if the system has no
  // thread to give, reaches Guarded() and becomes a JS error.
  int err = OpenSocket(netns, rcvbuf, &s->nl, &what);
  if (err != 0) {
    Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
    e.Set("errno", Napi::Number::New(env, err));
    e.Set("syscall", what);
    e.ThrowAsJavaScriptException();
    return Napi::Value();
  }
  // The finalizer closes a socket the program forgot to close (GC of an unclosed connection, or
  // the environment's teardown: worker.terminate(), process exit).
  Napi::External<Socket> ext = Napi::External<Socket>::New(env, s.get(), [](Napi::Env, Socket* sock) {
    sock->Close();
    delete sock;
  });
  if (ext.IsEmpty() || env.IsExceptionPending()) {
    s->Close();
    return Napi::Value();
  }
  s.release();  // the External owns it now
  ext.TypeTag(&kSocketTag);
  return ext;
}

Napi::Value CloseSocketJs(const Napi::CallbackInfo& info) {
  Socket* s = UnwrapSocket(info.Env(), info[0]);
  if (s == nullptr) return info.Env().Undefined();
  if (s->in_use()) {
    s->close_pending = true;
  } else {
    s->Close();
  }
  return info.Env().Undefined();
}

Napi::Value PortIdJs(const Napi::CallbackInfo& info) {
  Socket* s = UnwrapSocket(info.Env(), info[0]);
  if (s == nullptr) return info.Env().Undefined();
  return Napi::Number::New(info.Env(), s->nl.portid);
}

}  // namespace nftjs
