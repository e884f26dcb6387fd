// SPDX-License-Identifier: GPL-2.0-or-later
// Module init: exports the native entry points typed in lib/native.ts (NativeBinding).
// No per-environment state is needed: every socket is its own External.
#include <napi.h>

#include "convert.h"
#include "counters.h"
#include "monitor.h"
#include "socket.h"
#include "workers.h"

namespace nftjs {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  exports.Set("exprTable", ExprTableToJs(env));
  exports.Set("openSocket", Napi::Function::New(env, OpenSocketJs, "openSocket"));
  exports.Set("closeSocket", Napi::Function::New(env, CloseSocketJs, "closeSocket"));
  exports.Set("portId", Napi::Function::New(env, PortIdJs, "portId"));
  exports.Set("encode", Napi::Function::New(env, EncodeJs, "encode"));
  exports.Set("commit", Napi::Function::New(env, CommitJs, "commit"));
  exports.Set("commitSync", Napi::Function::New(env, CommitSyncJs, "commitSync"));
  exports.Set("prepareElements", Napi::Function::New(env, PrepareElementsJs, "prepareElements"));
  exports.Set("commitPreparedSync", Napi::Function::New(env, CommitPreparedSyncJs, "commitPreparedSync"));
  exports.Set("dump", Napi::Function::New(env, DumpJs, "dump"));
  exports.Set("dumpSync", Napi::Function::New(env, DumpSyncJs, "dumpSync"));
  exports.Set("counters", Napi::Function::New(env, CountersJs, "counters"));
  exports.Set("monitorOpen", Napi::Function::New(env, MonitorOpenJs, "monitorOpen"));
  exports.Set("monitorClose", Napi::Function::New(env, MonitorCloseJs, "monitorClose"));
  exports.Set("countersSync", Napi::Function::New(env, CountersSyncJs, "countersSync"));
  return exports;
}

}  // namespace nftjs

static Napi::Object InitModule(Napi::Env env, Napi::Object exports) { return nftjs::Init(env, exports); }

NODE_API_MODULE(nftables, InitModule)
