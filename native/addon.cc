// SPDX-License-Identifier: GPL-2.0-or-later
// Module init: exports the native entry points typed in lib/native.ts (NativeBinding).
// Every socket is its own External (closed by its finalizer when the environment goes away);
// every entry point is Guarded(): no C++ exception ever reaches V8.
#include <napi.h>

#include "convert.h"
#include "counters.h"
#include "monitor.h"
#include "packed.h"
#include "socket.h"
#include "workers.h"

namespace nftjs {

namespace {

template <Napi::Value (*F)(const Napi::CallbackInfo&)>
void Export(Napi::Env env, Napi::Object exports, const char* name) {
  exports.Set(name, Napi::Function::New(env, Guarded<F>, name));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  exports.Set("exprTable", ExprTableToJs(env));
  Export<OpenSocketJs>(env, exports, "openSocket");
  Export<CloseSocketJs>(env, exports, "closeSocket");
  Export<PortIdJs>(env, exports, "portId");
  Export<EncodeJs>(env, exports, "encode");
  Export<UnpackJs>(env, exports, "unpack");
  Export<EncodeExprsJs>(env, exports, "encodeExprs");
  Export<CommitJs>(env, exports, "commit");
  Export<CommitGateJs>(env, exports, "commitGate");
  Export<CommitSyncJs>(env, exports, "commitSync");
  Export<PrepareElementsJs>(env, exports, "prepareElements");
  Export<CommitPreparedSyncJs>(env, exports, "commitPreparedSync");
  Export<CommitPreparedJs>(env, exports, "commitPrepared");
  Export<DumpJs>(env, exports, "dump");
  Export<DumpSyncJs>(env, exports, "dumpSync");
  Export<CountersJs>(env, exports, "counters");
  Export<CountersSyncJs>(env, exports, "countersSync");
  Export<MonitorOpenJs>(env, exports, "monitorOpen");
  Export<MonitorCloseJs>(env, exports, "monitorClose");
  return exports;
}

}  // namespace nftjs

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  try {
    return nftjs::Init(env, exports);
  } catch (...) {
    nftjs::ThrowCurrentException(env);
    return exports;
  }
}

NODE_API_MODULE(nftables, InitModule)
