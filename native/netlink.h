// SPDX-License-Identifier: GPL-2.0-or-later
// The netlink transport: one socket per connection, one sendmsg() per transaction, replies
// drained without blocking (the kernel processes a batch synchronously inside sendmsg()).
#ifndef NATIVE_NETLINK_H_
#define NATIVE_NETLINK_H_

#include <cstdint>
#include <linux/netlink.h>

#include <functional>
#include <string>
#include <vector>

#include "spec.h"

struct mnl_socket;

namespace nftjs {

struct NlSocket {
  struct mnl_socket* nl = nullptr;
  int fd = -1;
  uint32_t portid = 0;
  uint32_t seq = 0;
  // Last known effective buffer sizes: saves two getsockopt() per commit.
  int sndbuf = 0;
  int rcvbuf = 0;
  std::vector<char> rx;  // receive buffer, reused
  EncodedBatch batch;    // encode buffer, reused (one operation at a time per socket)
};

// Opens a NETLINK_NETFILTER socket, inside the network namespace at netns_path when it is not
// empty (from a short-lived thread, so no JS or libuv thread ever changes namespace).
// Returns 0 or an errno; *what says which step failed.
int OpenSocket(const std::string& netns_path, uint32_t rcvbuf, NlSocket* out, std::string* what);
void CloseSocket(NlSocket* s);

// Sends an encoded batch in one sendmsg() and collects every error, echo and the END ack.
void SendBatch(NlSocket* s, const EncodedBatch& batch, CommitResult* result);

// Runs one GET request (dump or single get) and decodes the replies.
void RunDump(NlSocket* s, const DumpSpec& spec, DumpResult* result);

// Sends one request (its nlmsg_seq already set) and reads the replies of that sequence number:
// every data message goes to `feed` (false stops the exchange: EPROTO), until NLMSG_DONE, a
// kernel error, or (not a dump) the final ACK. Sets *interrupted on NLM_F_DUMP_INTR. Returns 0 or
// an errno; *message gets the kernel's extended-ack text or the step that failed.
int Exchange(NlSocket* s, const struct nlmsghdr* request, bool is_dump, const std::function<bool(const struct nlmsghdr*)>& feed,
             bool* interrupted, std::string* message);

}  // namespace nftjs

#endif  // NATIVE_NETLINK_H_
