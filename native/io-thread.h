// SPDX-License-Identifier: GPL-2.0-or-later
// One connection's own I/O thread for async commits: started on the connection's first async
// commit, stopped and joined when the connection closes (or its environment goes away). Jobs
// run in submission order; each completes on the event loop through the thread's uv_async_t.
// Compared with napi_async_work on the libuv pool (measured in docs/benchmarks.md): no work
// request, async context or pool queue per commit, and a connection's commits never wait behind
// other pool work (fs, dns, zlib, or another connection's big commit).
#ifndef NATIVE_IO_THREAD_H_
#define NATIVE_IO_THREAD_H_

#include <napi.h>
#include <uv.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace nftjs {

class IoJob {
 public:
  virtual ~IoJob() = default;
  IoJob* next = nullptr;  // the thread's queues are intrusive lists: queueing never allocates
  // On the I/O thread: syscalls and encoding only, no N-API; nothing may escape.
  virtual void Execute() noexcept = 0;
  // On the event loop, inside a callback scope: settle the operation.
  virtual void Complete(Napi::Env env) = 0;
  // Environment teardown: settle nothing, run no JS.
  virtual void Abandon() = 0;
};

// A FIFO of jobs it owns, linked through IoJob::next.
struct JobList {
  IoJob* head = nullptr;
  IoJob* tail = nullptr;
  void Push(IoJob* j) {
    j->next = nullptr;
    (tail != nullptr ? tail->next : head) = j;
    tail = j;
  }
  IoJob* Pop() {
    IoJob* j = head;
    if (j != nullptr) {
      head = j->next;
      if (head == nullptr) tail = nullptr;
      j->next = nullptr;
    }
    return j;
  }
  bool empty() const { return head == nullptr; }
};

class IoThread {
 public:
  // Initialises the completion handle on env's loop (no thread yet). Returns nullptr and
  // throws a JS error if libuv or N-API refuses.
  static IoThread* Create(Napi::Env env);

  // Queues a job (main thread); starts the thread on first use. False, with a JS error thrown,
  // if the thread cannot be created: the job was not taken.
  bool Submit(Napi::Env env, std::unique_ptr<IoJob>* job);

  // The connection is done with it (main thread): the thread finishes the job it runs, is
  // joined, queued completions are delivered, and the object frees itself once libuv has
  // closed its handle. Call once; do not use the pointer after.
  void Detach();

 private:
  explicit IoThread(napi_env env) : env_(env) {}
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;

  void Run() noexcept;         // the thread's loop
  void StopThread();           // main thread: stop and join (idempotent)
  void Deliver();              // main thread: complete what the thread finished
  void BeginClose();           // stop, deliver or abandon, close the uv handle
  void MaybeFree();
  static void OnAsync(uv_async_t* h);
  static void OnClosed(uv_handle_t* h);
  static void AsyncCleanup(napi_async_cleanup_hook_handle, void* arg);

  napi_env env_;
  uv_async_t async_;
  napi_async_context context_ = nullptr;
  napi_async_cleanup_hook_handle cleanup_ = nullptr;
  std::thread thread_;

  // Shared with the thread, under mu_.
  std::mutex mu_;
  std::condition_variable cv_;
  JobList todo_;
  JobList done_;
  bool stop_ = false;

  // Main thread only.
  size_t outstanding_ = 0;  // submitted and not yet completed: the handle keeps the loop alive meanwhile
  bool closing_ = false;
  bool handle_open_ = false;
  bool detached_ = false;
  bool teardown_ = false;
};

}  // namespace nftjs

#endif  // NATIVE_IO_THREAD_H_
