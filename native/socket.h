// SPDX-License-Identifier: GPL-2.0-or-later
// One connection's netlink socket, wrapped for JS as a type-tagged External. The socket stays
// open for the connection's whole life (closing one after a delete costs ~15 ms in the kernel).
#ifndef NATIVE_SOCKET_H_
#define NATIVE_SOCKET_H_

#include <napi.h>

#include "io-thread.h"
#include "netlink.h"

namespace nftjs {

struct Socket {
  NlSocket nl;
  // A synchronous operation or a libuv-pool worker (counters) holds the socket alone.
  bool busy = false;
  // Jobs queued on or running on the I/O thread (commits, dumps): they use the socket one at a
  // time in the order they were queued, so several may be queued at once; never with `busy`.
  int queued = 0;
  bool close_pending = false;  // close() while in use: closed when the last operation ends
  bool in_use() const { return busy || queued > 0; }
  IoThread* io = nullptr;      // async commits' thread, from the first one until Close()
  void Close() {
    if (io != nullptr) {
      IoThread* t = io;
      io = nullptr;
      t->Detach();  // joins the thread before the socket it uses goes
    }
    CloseSocket(&nl);
  }
  bool open() const { return nl.fd >= 0; }
};

Napi::Value OpenSocketJs(const Napi::CallbackInfo& info);
Napi::Value CloseSocketJs(const Napi::CallbackInfo& info);
Napi::Value PortIdJs(const Napi::CallbackInfo& info);

// Unwraps a socket argument; throws a TypeError (and returns nullptr) if it is not one of ours.
Socket* UnwrapSocket(Napi::Env env, Napi::Value value);

}  // namespace nftjs

#endif  // NATIVE_SOCKET_H_
