// SPDX-License-Identifier: GPL-2.0-or-later
// Ruleset events: a second netlink socket subscribed to NFNLGRP_NFTABLES (and optionally
// NFNLGRP_NFTRACE), read by a libuv poll handle on the event loop (never blocking: the socket
// is non-blocking and is read only when the kernel says it is readable). Each readable burst is
// decoded with the dump decoder and handed to one JS callback as an array of events.
#ifndef NATIVE_MONITOR_H_
#define NATIVE_MONITOR_H_

#include <napi.h>

namespace nftjs {

// monitorOpen({ netnsPath?, rcvbufBytes?, trace? }, callback(events[])) -> handle
Napi::Value MonitorOpenJs(const Napi::CallbackInfo& info);
// monitorClose(handle): stops reading and closes the socket (idempotent).
Napi::Value MonitorCloseJs(const Napi::CallbackInfo& info);

}  // namespace nftjs

#endif  // NATIVE_MONITOR_H_
