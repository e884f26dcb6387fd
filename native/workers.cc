// SPDX-License-Identifier: GPL-2.0-or-later
#include "workers.h"

#include <cerrno>
#include <cstring>

#include "convert.h"
#include "encode.h"
#include "socket.h"

namespace nftjs {

namespace {

// Encodes and sends one batch on the socket; the only code path for sync and async commits.
void RunCommit(Socket* s, const BatchSpec& spec, CommitResult* result) {
  EncodedBatch& batch = s->nl.batch;
  std::string error;
  if (!EncodeBatch(spec, s->nl.seq + 1, &batch, &error)) {
    result->error = error;
    result->transport_errno = EINVAL;
    return;
  }
  s->nl.seq = batch.end_seq;
  SendBatch(&s->nl, batch, spec, result);
  // Give back the memory of a big batch; keep a small buffer for the next commit.
  if (batch.buf.cap > (4u << 20)) batch.buf = RawBuf();
}

// Takes the socket for one operation; throws (returns nullptr) if closed or busy.
Socket* Acquire(Napi::Env env, Napi::Value value) {
  Socket* s = UnwrapSocket(env, value);
  if (s == nullptr) return nullptr;
  if (!s->open() || s->close_pending) {
    Napi::Error e = Napi::Error::New(env, "The connection is closed");
    e.Set("code", "ECONNCLOSED");
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
  if (s->busy) {
    Napi::Error e = Napi::Error::New(env, "Another operation is in flight on this socket");
    e.Set("code", "EBUSY");
    e.ThrowAsJavaScriptException();
    return nullptr;
  }
  s->busy = true;
  return s;
}

void Release(Socket* s) {
  s->busy = false;
  if (s->close_pending) {
    s->Close();
    s->close_pending = false;
  }
}

class CommitWorker final : public Napi::AsyncWorker {
 public:
  CommitWorker(Napi::Env env, Napi::Value socket_value, Socket* socket, BatchSpec spec)
      : Napi::AsyncWorker(env, "nftables:commit"),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_ref_(Napi::Persistent(socket_value)),
        socket_(socket),
        spec_(std::move(spec)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  // Syscalls and encoding only: failures are data in result_, so OnOK is the single exit.
  void Execute() override { RunCommit(socket_, spec_, &result_); }
  void OnOK() override {
    Release(socket_);
    if (!result_.error.empty()) {
      deferred_.Reject(Napi::TypeError::New(Env(), result_.error).Value());
    } else {
      deferred_.Resolve(CommitResultToJs(Env(), result_));
    }
    socket_ref_.Reset();
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> socket_ref_;  // keeps the socket alive while the work runs
  Socket* socket_;
  BatchSpec spec_;  // owned copy: JS may reuse its buffers at once
  CommitResult result_;
};

class DumpWorker final : public Napi::AsyncWorker {
 public:
  DumpWorker(Napi::Env env, Napi::Value socket_value, Socket* socket, DumpSpec spec)
      : Napi::AsyncWorker(env, "nftables:dump"),
        deferred_(Napi::Promise::Deferred::New(env)),
        socket_ref_(Napi::Persistent(socket_value)),
        socket_(socket),
        spec_(std::move(spec)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { RunDump(&socket_->nl, spec_, &result_); }
  void OnOK() override {
    Release(socket_);
    deferred_.Resolve(DumpResultToJs(Env(), result_));
    socket_ref_.Reset();
  }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::Reference<Napi::Value> socket_ref_;
  Socket* socket_;
  DumpSpec spec_;
  DumpResult result_;
};

}  // namespace

Napi::Value CommitJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchSpec spec;
  if (!ToBatchSpec(env, info[1], &spec)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  CommitWorker* w = new CommitWorker(env, info[0], s, std::move(spec));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value CommitSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchSpec spec;
  if (!ToBatchSpec(env, info[1], &spec)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  CommitResult result;
  RunCommit(s, spec, &result);
  Release(s);
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
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  DumpWorker* w = new DumpWorker(env, info[0], s, std::move(spec));
  Napi::Promise p = w->Promise();
  w->Queue();
  return p;
}

Napi::Value DumpSyncJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  DumpSpec spec;
  if (!ToDumpSpec(env, info[1], &spec)) return env.Null();
  Socket* s = Acquire(env, info[0]);
  if (s == nullptr) return env.Null();
  DumpResult result;
  RunDump(&s->nl, spec, &result);
  Release(s);
  return DumpResultToJs(env, result);
}

Napi::Value EncodeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  BatchSpec spec;
  if (!ToBatchSpec(env, info[0], &spec)) return env.Null();
  EncodedBatch batch;
  std::string error;
  if (!EncodeBatch(spec, 1, &batch, &error)) {
    Napi::TypeError::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(env, batch.buf.len);
  if (batch.buf.len > 0) memcpy(out.Data(), batch.buf.data.get(), batch.buf.len);
  return out;
}

}  // namespace nftjs
