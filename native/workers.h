// SPDX-License-Identifier: GPL-2.0-or-later
// Commit and dump entry points: async (Promise; netlink I/O and encoding off the event loop:
// commits and dumps on the connection's own I/O thread, in the order they were queued) and sync
// (blocking, for small latency-critical batches).
#ifndef NATIVE_WORKERS_H_
#define NATIVE_WORKERS_H_

#include <napi.h>

namespace nftjs {

// commit(socket, batch, after?, signal?): with gates from commitGate(), the commit is sent only
// if `after` (set by a commit queued before it on this connection) says applied, and sets
// `signal` to whether it was applied; one not sent settles with transportErrno ECANCELED.
Napi::Value CommitJs(const Napi::CallbackInfo& info);
Napi::Value CommitGateJs(const Napi::CallbackInfo& info);
Napi::Value CommitSyncJs(const Napi::CallbackInfo& info);
Napi::Value DumpJs(const Napi::CallbackInfo& info);
Napi::Value DumpSyncJs(const Napi::CallbackInfo& info);
// Prepared elements operations: prepareElements(op with count 0) -> handle;
// commitPreparedSync(socket, handle, verb, keys, timeoutsMs | undefined, out Float64Array(2))
// -> null on success (out = [batchBytes, messages]) or the AckData of a failed commit;
// commitPrepared(same arguments) -> a Promise of the same.
Napi::Value PrepareElementsJs(const Napi::CallbackInfo& info);
Napi::Value CommitPreparedSyncJs(const Napi::CallbackInfo& info);
Napi::Value CommitPreparedJs(const Napi::CallbackInfo& info);
Napi::Value EncodeJs(const Napi::CallbackInfo& info);

// For entry points in other files (counters.cc): takes the socket for one operation (throws and
// returns nullptr if it is closed or busy), and gives it back (closing it if close() came meanwhile).
struct Socket;
Socket* AcquireSocket(Napi::Env env, Napi::Value value);
void ReleaseSocket(Socket* s);

}  // namespace nftjs

#endif  // NATIVE_WORKERS_H_
