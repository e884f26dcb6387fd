// SPDX-License-Identifier: GPL-2.0-or-later
#include "socket.h"

#include <cstring>

namespace nftjs {

namespace {
// Type tag so that a foreign External can never be taken for a socket (node-addon-api doc/object.md).
const napi_type_tag kSocketTag = {0x6e667473'6f636b65ULL, 0x74a1b2c3'd4e5f607ULL};
}  // namespace

Socket* UnwrapSocket(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal() || !value.As<Napi::External<Socket>>().CheckTypeTag(&kSocketTag)) {
    Napi::TypeError::New(env, "Expected a socket returned by openSocket()").ThrowAsJavaScriptException();
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
  }
  Socket* s = new Socket();
  std::string what;
  int err = OpenSocket(netns, rcvbuf, &s->nl, &what);
  if (err != 0) {
    delete s;
    Napi::Error e = Napi::Error::New(env, what + ": " + strerror(err));
    e.Set("errno", Napi::Number::New(env, err));
    e.Set("syscall", what);
    e.ThrowAsJavaScriptException();
    return env.Null();
  }
  // The finalizer closes a socket the program forgot to close (GC of an unclosed connection).
  Napi::External<Socket> ext = Napi::External<Socket>::New(env, s, [](Napi::Env, Socket* sock) {
    sock->Close();
    delete sock;
  });
  ext.TypeTag(&kSocketTag);
  return ext;
}

Napi::Value CloseSocketJs(const Napi::CallbackInfo& info) {
  Socket* s = UnwrapSocket(info.Env(), info[0]);
  if (s == nullptr) return info.Env().Undefined();
  if (s->busy) {
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
