// SPDX-License-Identifier: GPL-2.0-or-later
#include "io-thread.h"

#include <sched.h>

#include <string>

#include "convert.h"

namespace nftjs {

namespace {

void ThrowError(Napi::Env env, const std::string& message) {
  if (!env.IsExceptionPending()) Napi::Error::New(env, message).ThrowAsJavaScriptException();
}

}  // namespace

IoThread* IoThread::Create(Napi::Env env) {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    ThrowError(env, "nftables addon: no event loop for the connection's I/O thread");
    return nullptr;
  }
  IoThread* io = new IoThread(env);
  const int rc = uv_async_init(loop, &io->async_, OnAsync);
  if (rc != 0) {
    delete io;  // the handle was not initialised: nothing for libuv to close
    ThrowError(env, std::string("nftables addon: cannot create the connection's completion handle: ") + uv_strerror(rc));
    return nullptr;
  }
  io->async_.data = io;
  io->handle_open_ = true;
  uv_unref(reinterpret_cast<uv_handle_t*>(&io->async_));  // an idle connection keeps no process alive
  napi_value resource = nullptr, name = nullptr;
  bool ok = napi_create_object(env, &resource) == napi_ok &&
            napi_create_string_utf8(env, "nftables:commit", NAPI_AUTO_LENGTH, &name) == napi_ok &&
            napi_async_init(env, resource, name, &io->context_) == napi_ok;
  // Environment teardown (worker.terminate(), exit) with the connection open: the thread is
  // joined and the handle closed while the loop still runs.
  ok = ok && napi_add_async_cleanup_hook(env, AsyncCleanup, io, &io->cleanup_) == napi_ok;
  if (!ok) {
    ThrowError(env, "nftables addon: cannot set up the connection's I/O thread");
    io->Detach();  // frees it once libuv has closed the handle
    return nullptr;
  }
  return io;
}

bool IoThread::Submit(Napi::Env env, std::unique_ptr<IoJob>* job) {
  if (closing_) {
    ThrowError(env, "nftables addon: the connection's I/O thread is stopping");
    return false;
  }
  if (!thread_.joinable()) {
    try {
      thread_ = std::thread(&IoThread::Run, this);
    } catch (...) {
      ThrowCurrentException(env);  // std::system_error (EAGAIN: no thread to give) -> Error with errno
      return false;
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    todo_.Push(job->release());
  }
  cv_.notify_one();
  if (outstanding_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  return true;
}

void IoThread::Run() noexcept {
  // A batch thread: woken by a submission, it takes a free CPU or waits for the event loop to
  // yield one, instead of preempting the event loop that just queued work for it (the kernel's
  // work is queued behind the commit in flight anyway). Needs no privilege; should the kernel
  // refuse it, the thread runs as before, so the result is deliberately not acted on.
  struct sched_param param = {};
  param.sched_priority = 0;
  (void)sched_setscheduler(0, SCHED_BATCH, &param);
  // noexcept: std::mutex and std::condition_variable throw only on misuse (EINVAL, EDEADLK),
  // the lists never allocate and IoJob::Execute() is noexcept, so nothing can be thrown here.
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !todo_.empty(); });
    IoJob* job = todo_.Pop();
    if (job == nullptr) return;  // stop_ with nothing left to run
    lock.unlock();
    job->Execute();
    lock.lock();
    done_.Push(job);
    // The handle stays open until StopThread() has joined this thread. libuv reports no
    // failure here (a failed wake-up write aborts inside libuv), so there is nothing to check.
    (void)uv_async_send(&async_);
  }
}

void IoThread::StopThread() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_one();
  thread_.join();  // the thread first runs what was queued (a connection closes only when idle)
}

void IoThread::Deliver() {
  JobList done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done = done_;
    done_ = JobList();
  }
  if (done.empty()) return;
  Napi::Env env(env_);
  const bool run_js = !teardown_ && CanRunJs(env);
  napi_handle_scope scope = nullptr;
  const bool scoped = run_js && napi_open_handle_scope(env_, &scope) == napi_ok;
  while (IoJob* job = done.Pop()) {
    outstanding_--;
    std::unique_ptr<IoJob> owned(job);
    if (!scoped) {
      // worker.terminate() or process teardown: nobody can observe the promise (see
      // CommitJob::Complete in workers.cc). Touch no JS.
      owned->Abandon();
      continue;
    }
    // As napi_async_work does: each completion in a callback scope, so that the promise's
    // reactions (and process.nextTick callbacks) run when it closes.
    napi_value resource = nullptr;
    napi_callback_scope cb = nullptr;
    const bool in_scope = napi_create_object(env_, &resource) == napi_ok && napi_open_callback_scope(env_, resource, context_, &cb) == napi_ok;
    try {
      owned->Complete(env);
    } catch (...) {
      ThrowCurrentException(env);
    }
    if (env.IsExceptionPending()) {
      // As for an exception thrown by an async callback: the process's uncaughtException.
      Napi::Error e = env.GetAndClearPendingException();
      napi_fatal_exception(env_, e.Value());
    }
    if (in_scope) napi_close_callback_scope(env_, cb);
  }
  if (scoped) napi_close_handle_scope(env_, scope);
  if (outstanding_ == 0 && !closing_) uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
}

void IoThread::BeginClose() {
  if (closing_) return;
  closing_ = true;
  StopThread();
  Deliver();
  if (handle_open_) uv_close(reinterpret_cast<uv_handle_t*>(&async_), OnClosed);
}

void IoThread::Detach() {
  detached_ = true;
  BeginClose();
  MaybeFree();
}

void IoThread::MaybeFree() {
  if (!detached_ || handle_open_) return;
  // At teardown the environment may no longer take calls: the async context is left to it.
  if (context_ != nullptr && !teardown_) napi_async_destroy(env_, context_);
  delete this;
}

void IoThread::OnAsync(uv_async_t* h) { static_cast<IoThread*>(h->data)->Deliver(); }

void IoThread::OnClosed(uv_handle_t* h) {
  IoThread* io = static_cast<IoThread*>(h->data);
  io->handle_open_ = false;
  if (io->cleanup_ != nullptr) {
    napi_remove_async_cleanup_hook(io->cleanup_);  // lets a terminating worker finish
    io->cleanup_ = nullptr;
  }
  io->MaybeFree();
}

void IoThread::AsyncCleanup(napi_async_cleanup_hook_handle, void* arg) {
  IoThread* io = static_cast<IoThread*>(arg);
  io->teardown_ = true;
  io->BeginClose();
}

}  // namespace nftjs
