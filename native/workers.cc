// SPDX-License-Identifier: GPL-2.0-or-later
#include "workers.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>

#include "convert.h"
#include "encode.h"
#include "io-thread.h"
#include "packed.h"
#include "socket.h"

namespace nftjs {

namespace {

// Sends the batch just encoded into s->nl.batch (ok), or reports why it could not be encoded:
// the one sending path of sync and async commits.
void SendEncoded(Socket* s, bool ok, const std::string& error, CommitResult* result) {
  EncodedBatch& batch = s->nl.batch;
  if (!ok) {
    result->error = error;
    result->transport_errno = EINVAL;
    return;
  }
  s->nl.seq = batch.end_seq;
  SendBatch(&s->nl, batch, result);
  // Give back the memory of a big batch; keep a small buffer for the next commit.
  if (batch.buf.cap > (4u << 20)) batch.buf = RawBuf();
}

// Encodes and sends one batch of converted operations on the socket.
void RunCommitUnguarded(Socket* s, const BatchSpec& spec, CommitResult* result) {
  std::string error;
  const bool ok = EncodeBatch(spec, s->nl.seq + 1, &s->nl.batch, &error);
  SendEncoded(s, ok, error, result);
}

// Message of a commit that failed inside native code (std::bad_alloc from an encode buffer or a
// reply list): no JS error can be made on a libuv thread, so it travels as data.
constexpr char kOutOfMemory[] =
    "Out of memory in the nftables addon during a commit (if the batch had been sent, it was applied or refused as a whole)";

// Runs on a libuv thread for async commits: nothing may escape (node-addon-api catches nothing
// with C++ exceptions disabled, and an exception leaving Execute() terminates the process).
// False on such a failure.
bool RunCommit(Socket* s, const BatchSpec& spec, CommitResult* result) {
  try {
    RunCommitUnguarded(s, spec, result);
    return true;
  } catch (...) {
    s->nl.batch.buf = RawBuf();  // its state is unknown; the next commit starts afresh
    *result = CommitResult();
    return false;
  }
}

// The same from a batch as it came from JS: each packed rule is read just before it is encoded
// (on the thread that runs the commit: for async commits, off the event loop).
bool RunPendingCommit(Socket* s, PendingBatch&& pending, CommitResult* result) {
  try {
    std::string error;
    const bool ok = EncodePending(std::move(pending), s->nl.seq + 1, &s->nl.batch, &error);
    SendEncoded(s, ok, error, result);
    return true;
  } catch (...) {
    s->nl.batch.buf = RawBuf();  // its state is unknown; the next commit starts afresh
    *result = CommitResult();
    return false;
  }
}

void RunDumpGuarded(NlSocket* s, const DumpSpec& spec, DumpResult* result, bool* failed) {
  try {
    RunDump(s, spec, result);
  } catch (...) {
    *result = DumpResult();
    *failed = true;
  }
}

Napi::Value OutOfMemoryError(Napi::Env env) {
  Napi::Error e = Napi::RangeError::New(env, kOutOfMemory);
  e.Set("code", "ENOMEM");
  e.Set("errno", Napi::Number::New(env, ENOMEM));
  return e.Value();
}

// The socket, if it is open; throws (returns nullptr) otherwise.
Socket* OpenSocket(Napi::Env env, Napi::Value value) {
  Socket* s = UnwrapSocket(env, value);
  if (s == nullptr) return nullptr;
  if (!s->open() || s->close_pending) {
    Napi::Error e = Napi::Error::New(env, "The connection is closed");
    e.Set("code", "ECONNCLOSED");
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
  return s;
}

void ThrowBusy(Napi::Env env) {
  Napi::Error e = Napi::Error::New(env, "Another operation is in flight on this socket");
  e.Set("code", "EBUSY");
  e.ThrowAsJavaScriptException();
}

// Takes the socket alone for one operation; throws (returns nullptr) if closed or in use.
Socket* Acquire(Napi::Env env, Napi::Value value) {
  Socket* s = OpenSocket(env, value);
  if (s == nullptr) return nullptr;
  if (s->in_use()) {
    ThrowBusy(env);
    return nullptr;
  }
  s->busy = true;
  return s;
}

// Takes the socket for one job of the I/O thread, behind those already queued there; throws
// (returns nullptr) if closed or held by a synchronous operation.
Socket* AcquireQueued(Napi::Env env, Napi::Value value) {
  Socket* s = OpenSocket(env, value);
  if (s == nullptr) return nullptr;
  if (s->busy) {
    ThrowBusy(env);
    return nullptr;
  }
  s->queued++;
  return s;
}

void CloseIfPending(Socket* s) {
  if (s->close_pending && !s->in_use()) {
    s->Close();
    s->close_pending = false;
  }
}

void Release(Socket* s) {
  s->busy = false;
  CloseIfPending(s);
}

void ReleaseQueued(Socket* s) {
  s->queued--;
  CloseIfPending(s);
}

// Holds a socket for one synchronous operation; gives it back however the scope is left.
class Lease {
 public:
  explicit Lease(Socket* s) : s_(s) {}
  ~Lease() {
    if (s_ != nullptr) Release(s_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

 private:
  Socket* s_;
};

// Settles a promise with what a completed operation produced: a conversion that threw (an
// allocation the engine refused, a hostile setter on Object.prototype) rejects with that error
// instead of leaving it pending over the resolution.
void Settle(Napi::Env env, Napi::Promise::Deferred& deferred, Napi::Value value) {
  if (env.IsExceptionPending()) {
    Napi::Error e = env.GetAndClearPendingException();
    deferred.Reject(e.Value());
  } else if (value.IsEmpty()) {
    deferred.Reject(Napi::Error::New(env, "nftables addon: could not build the result").Value());
  } else {
    deferred.Resolve(value);
  }
}

// An async commit on the connection's own I/O thread (io-thread.h).
// Links two commits of one connection: the later one is sent only if the earlier one, queued
// before it on the same I/O thread, was applied (a pipelined writer planned the later one on top
// of the earlier one's effect). Written and read on the I/O thread only; shared ownership keeps
// it valid whichever of its JS handle and its jobs goes first.
struct Gate {
  enum State : int { kPending = 0, kApplied = 1, kNotApplied = 2 };
  std::atomic<int> state{kPending};
};
using GateRef = std::shared_ptr<Gate>;

const napi_type_tag kGateTag = {0x6e667467'61746501ULL, 0x9a8b7c6d'5e4f3a2bULL};

// info[i] as a gate: undefined -> no gate (ok, *out stays empty); else it must be one of ours.
bool ToGate(Napi::Env env, Napi::Value v, GateRef* out) {
  if (v.IsUndefined()) return true;
  if (!v.IsExternal() || !v.As<Napi::External<GateRef>>().CheckTypeTag(&kGateTag)) {
    Napi::TypeError::New(env, "Expected a commit gate (from commitGate()) or undefined").ThrowAsJavaScriptException();
    return false;
  }
  *out = *v.As<Napi::External<GateRef>>().Data();
  return true;
}

class CommitJob final : public IoJob {
 public:
  // With `out` (a prepared commit): success settles with null and writes [batchBytes, messages]
  // there, as commitPreparedSync does.
  CommitJob(Napi::Env env, Napi::Value socket_value, Socket* socket, PendingBatch spec, Napi::Float64Array out, GateRef after = nullptr,
            GateRef signal = nullptr)
      : deferred_(Napi::Promise::Deferred::New(env)),
        socket_ref_(Napi::Persistent(socket_value)),
        socket_(socket),
        spec_(std::move(spec)),
        after_(std::move(after)),
        signal_(std::move(signal)) {
    if (!out.IsEmpty()) out_ = Napi::Persistent(out);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  // Syscalls and encoding only: failures are data in result_, so Complete is the single exit.
  void Execute() noexcept override {
    if (after_ != nullptr && after_->state.load(std::memory_order_relaxed) != Gate::kApplied) {
      // The commit this one was planned on was not applied: send nothing.
      result_.transport_errno = ECANCELED;
    } else {
      failed_ = !RunPendingCommit(socket_, std::move(spec_), &result_);
    }
    if (signal_ != nullptr) {
      const bool applied = !failed_ && result_.error.empty() && result_.transport_errno == 0 && result_.failures.empty();
      signal_->state.store(applied ? Gate::kApplied : Gate::kNotApplied, std::memory_order_relaxed);
    }
  }

  void Complete(Napi::Env env) override {
    ReleaseQueued(socket_);
    socket_ref_.Reset();
    if (failed_) {
      deferred_.Reject(OutOfMemoryError(env));
    } else if (!result_.error.empty()) {
      deferred_.Reject(Napi::TypeError::New(env, result_.error).Value());
    } else if (!out_.IsEmpty() && result_.transport_errno == 0 && result_.failures.empty()) {
      Napi::Float64Array out = out_.Value();
      out[0] = static_cast<double>(result_.batch_bytes);
      out[1] = static_cast<double>(result_.messages);
      deferred_.Resolve(env.Null());
    } else {
      Napi::Value v;
      try {
        v = CommitResultToJs(env, result_);
      } catch (...) {
        ThrowCurrentException(env);
      }
      Settle(env, deferred_, v);
    }
  }

  // worker.terminate() or process teardown: nobody can observe the promise, and the
  // environment may be finalising its references: leave this one to it.
  void Abandon() override {
    socket_ref_.SuppressDestruct();
    out_.SuppressDestruct();
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> socket_ref_;  // keeps the socket alive while the work runs
  Socket* socket_;
  PendingBatch spec_;  // owned copy: JS may reuse its buffers at once
  GateRef after_;      // sent only if this gate says applied
  GateRef signal_;     // set to whether this commit was applied
  Napi::Reference<Napi::Float64Array> out_;
  CommitResult result_;
  bool failed_ = false;
};

// A dump on the connection's I/O thread, in order with the commits queued before it: a dump
// queued behind a commit reads what that commit left.
class DumpJob final : public IoJob {
 public:
  DumpJob(Napi::Env env, Napi::Value socket_value, Socket* socket, DumpSpec spec)
      : deferred_(Napi::Promise::Deferred::New(env)), socket_ref_(Napi::Persistent(socket_value)), socket_(socket), spec_(std::move(spec)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() noexcept override { RunDumpGuarded(&socket_->nl, spec_, &result_, &failed_); }

  void Complete(Napi::Env env) override {
    ReleaseQueued(socket_);
    socket_ref_.Reset();
    if (failed_) {
      deferred_.Reject(OutOfMemoryError(env));
      return;
    }
    Napi::Value v;
    try {
      v = DumpResultToJs(env, result_);
    } catch (...) {
      ThrowCurrentException(env);
    }
    Settle(env, deferred_, v);
  }

  // As CommitJob::Abandon.
  void Abandon() override { socket_ref_.SuppressDestruct(); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> socket_ref_;  // keeps the socket alive while the job waits or runs
  Socket* socket_;
  DumpSpec spec_;
  DumpResult result_;
  bool failed_ = false;
};

// Queues a job made by make(socket) on the connection's I/O thread and returns its promise.
template <typename Job, typename Make>
Napi::Value SubmitJob(const Napi::CallbackInfo& info, Make make) {
  Napi::Env env = info.Env();
  Socket* s = AcquireQueued(env, info[0]);
  if (s == nullptr) return env.Null();
  std::unique_ptr<Job> job;
  try {
    if (s->io == nullptr) s->io = IoThread::Create(env);
    if (s->io != nullptr) job.reset(make(s));
  } catch (...) {
    ReleaseQueued(s);
    throw;  // Guarded() turns it into a JS error
  }
  if (job == nullptr) {  // IoThread::Create threw a JS error
    ReleaseQueued(s);
    return env.Null();
  }
  Napi::Promise p = job->Promise();
  std::unique_ptr<IoJob> queued(std::move(job));
  if (!s->io->Submit(env, &queued)) {  // threw a JS error; the job was not taken
    ReleaseQueued(s);
    return env.Null();
  }
  return p;
}

// Queues a commit on the connection's I/O thread; the promise it returns settles with the
// AckData, or, given `out`, with null after writing [batchBytes, messages] there on success.
Napi::Value SubmitCommit(const Napi::CallbackInfo& info, PendingBatch&& batch, Napi::Float64Array out, GateRef after = nullptr,
                         GateRef signal = nullptr) {
  Napi::Env env = info.Env();
  return SubmitJob<CommitJob>(info, [&](Socket* s) { return new CommitJob(env, info[0], s, std::move(batch), out, std::move(after), std::move(signal)); });
}

}  // namespace

Socket* AcquireSocket(Napi::Env env, Napi::Value value) { return Acquire(env, value); }
void ReleaseSocket(Socket* s) { Release(s); }

Napi::Value CommitJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  GateRef after, signal;
  if (!ToGate(env, info[2], &after) || !ToGate(env, info[3], &signal)) return env.Null();
  PendingBatch spec;
  if (!ToPendingBatch(env, info[1], &spec)) return env.Null();
  return SubmitCommit(info, std::move(spec), Napi::Float64Array(), std::move(after), std::move(signal));
}

Napi::Value CommitGateJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<GateRef> g(new GateRef(std::make_shared<Gate>()));
  Napi::External<GateRef> ext = Napi::External<GateRef>::New(env, g.get(), [](Napi::Env, GateRef* q) { delete q; });
  if (ext.IsEmpty() || env.IsExceptionPending()) return env.Null();
  g.release();  // the External owns it now
  ext.TypeTag(&kGateTag);
  return ext;
}

Napi::Value CommitSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PendingBatch spec;
  if (!ToPendingBatch(env, info[1], &spec)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  CommitResult result;
  bool ok = false;
  {
    Lease lease(s);
    ok = RunPendingCommit(s, std::move(spec), &result);
  }
  if (!ok) {
    Napi::Error(env, OutOfMemoryError(env)).ThrowAsJavaScriptException();
    return env.Null();
  }
  if (!result.error.empty()) {
    Napi::TypeError::New(env, result.error).ThrowAsJavaScriptException();
    return env.Null();
  }
  return CommitResultToJs(env, result);
}

Napi::Value DumpJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DumpSpec spec;
  if (!ToDumpSpec(env, info[1], &spec)) return env.Null();
  return SubmitJob<DumpJob>(info, [&](Socket* s) { return new DumpJob(env, info[0], s, std::move(spec)); });
}

Napi::Value DumpSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DumpSpec spec;
  if (!ToDumpSpec(env, info[1], &spec)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  DumpResult result;
  bool failed = false;
  {
    Lease lease(s);
    RunDumpGuarded(&s->nl, spec, &result, &failed);
  }
  if (failed) {
    Napi::Error(env, OutOfMemoryError(env)).ThrowAsJavaScriptException();
    return env.Null();
  }
  return DumpResultToJs(env, result);
}

namespace {

// A prepared elements operation: the set, key length and per-set options parsed and checked
// once; each commit then supplies only the verb, the keys and the timeouts, as arguments
// (reading an operation object costs more than the kernel's work on a one-element batch).
struct Prepared {
  BatchSpec batch;  // exactly one elements op; its keys/timeouts are overwritten per commit
};

const napi_type_tag kPreparedTag = {0x6e667470'72657061ULL, 0x72656401'02030405ULL};

Prepared* UnwrapPrepared(Napi::Env env, Napi::Value value) {
  if (!value.IsExternal() || !value.As<Napi::External<Prepared>>().CheckTypeTag(&kPreparedTag)) {
    ThrowTypeError(env, "Expected a prepared elements operation (from prepareElements)");
    return nullptr;
  }
  return value.As<Napi::External<Prepared>>().Data();
}

}  // namespace

Napi::Value PrepareElementsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::unique_ptr<Prepared> p(new Prepared());
  p->batch.ops.resize(1);
  p->batch.ack_end = false;
  if (!ToElementsTemplate(env, info[0], &p->batch.ops[0])) return env.Null();
  Napi::External<Prepared> ext = Napi::External<Prepared>::New(env, p.release(), [](Napi::Env, Prepared* q) { delete q; });
  ext.TypeTag(&kPreparedTag);
  return ext;
}

namespace {

// The arguments of a prepared commit (socket, prepared, verb, keys, timeoutsMs | undefined,
// out), checked; the keys and timeouts still point into the caller's typed arrays.
struct PreparedCall {
  Prepared* prepared = nullptr;
  Verb verb = Verb::kAdd;
  const uint8_t* keys = nullptr;
  size_t key_bytes = 0;
  uint32_t count = 0;
  const double* timeouts = nullptr;  // count values, or none
  Napi::Float64Array out;
};

// False with a TypeError thrown on a malformed call.
bool ReadPreparedCall(const Napi::CallbackInfo& info, PreparedCall* c) {
  Napi::Env env = info.Env();
  c->prepared = UnwrapPrepared(env, info[1]);
  if (c->prepared == nullptr) return false;
  const OpSpec& op = c->prepared->batch.ops[0];
  if (!ToElementVerb(env, info[2], &c->verb)) return false;
  if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowTypeError(env, "Expected a Uint8Array of packed keys");
  }
  Napi::Uint8Array keys = info[3].As<Napi::Uint8Array>();
  const size_t n = keys.ElementLength();
  if (n == 0 || n % op.elem_key_len != 0 || n / op.elem_key_len > 0xffffffffu) {
    return ThrowTypeError(env, "Expected keys of a positive multiple of " + std::to_string(op.elem_key_len) + " bytes");
  }
  c->keys = keys.Data();
  c->key_bytes = n;
  c->count = static_cast<uint32_t>(n / op.elem_key_len);
  const Napi::Value t = info[4];
  const bool timed = !t.IsUndefined() && !t.IsNull();
  if (timed && (!t.IsTypedArray() || t.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
                t.As<Napi::Float64Array>().ElementLength() != c->count)) {
    return ThrowTypeError(env, "Expected a Float64Array with one timeout per key");
  }
  if (!info[5].IsTypedArray() || info[5].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
      info[5].As<Napi::Float64Array>().ElementLength() < 2) {
    return ThrowTypeError(env, "Expected a Float64Array(2) for the result");
  }
  c->out = info[5].As<Napi::Float64Array>();
  if (timed) {
    Napi::Float64Array ms = t.As<Napi::Float64Array>();
    for (size_t i = 0; i < c->count; i++) {
      if (!(ms[i] >= 0 && ms[i] < 1.8e19)) return ThrowTypeError(env, "Expected non-negative millisecond values for timeouts");
    }
    c->timeouts = ms.Data();
  }
  return true;
}

// Writes the call's verb, keys and timeouts into an elements op (a copy of the prepared one).
void ApplyPreparedCall(const PreparedCall& c, OpSpec* op) {
  op->verb = c.verb;
  op->count = c.count;
  op->keys.assign(c.keys, c.keys + c.key_bytes);
  if (c.timeouts != nullptr) {
    op->timeouts.assign(c.timeouts, c.timeouts + c.count);
    // Each timed key also carries its expiration (= its timeout): the kernel refreshes an
    // existing element's expiry only when an add carries one (or a different timeout).
    op->expirations = op->timeouts;
  } else {
    op->timeouts.clear();
    op->expirations.clear();
  }
}

}  // namespace

Napi::Value CommitPreparedSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PreparedCall call;
  if (!ReadPreparedCall(info, &call)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  CommitResult result;
  bool ok = false;
  {
    Lease lease(s);
    ApplyPreparedCall(call, &call.prepared->batch.ops[0]);
    ok = RunCommit(s, call.prepared->batch, &result);
  }
  if (!ok) {
    Napi::Error(env, OutOfMemoryError(env)).ThrowAsJavaScriptException();
    return env.Null();
  }
  if (!result.error.empty()) {
    Napi::TypeError::New(env, result.error).ThrowAsJavaScriptException();
    return env.Null();
  }
  if (result.transport_errno == 0 && result.failures.empty()) {
    call.out[0] = static_cast<double>(result.batch_bytes);
    call.out[1] = static_cast<double>(result.messages);
    return env.Null();
  }
  return CommitResultToJs(env, result);
}

Napi::Value CommitPreparedJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PreparedCall call;
  if (!ReadPreparedCall(info, &call)) return env.Null();
  PendingBatch batch;
  batch.descs = call.prepared->batch;  // the job's own copy: the prepared op serves other calls meanwhile
  ApplyPreparedCall(call, &batch.descs.ops[0]);
  return SubmitCommit(info, std::move(batch), call.out);
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PendingBatch pending;
  if (!ToPendingBatch(env, info[0], &pending)) return env.Null();
  EncodedBatch batch;
  std::string error;
  if (!EncodePending(std::move(pending), 1, &batch, &error)) {
    Napi::TypeError::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(env, batch.buf.len);
  if (out.IsEmpty() || env.IsExceptionPending()) return Napi::Value();  // the engine refused the allocation
  if (batch.buf.len > 0) memcpy(out.Data(), batch.buf.data.get(), batch.buf.len);
  return out;
}

}  // namespace nftjs
