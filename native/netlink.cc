// SPDX-License-Identifier: GPL-2.0-or-later
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <system_error>
#include <thread>

#include "decode.h"
#include "encode.h"

namespace nftjs {

namespace {

constexpr int kSnapshotAttempts = 8;   // dumps retried while commits keep landing
constexpr int kGetRuleReset = 25;      // NFT_MSG_GETRULE_RESET (Linux 6.6)
constexpr int kGetSetElemReset = 33;   // NFT_MSG_GETSETELEM_RESET (Linux 6.6)
constexpr size_t kRecvBuf = 256 * 1024;
constexpr int kDumpTimeoutMs = 120 * 1000;
#ifndef NLM_F_ACK_TLVS
#define NLM_F_ACK_TLVS 0x200
#endif
#ifndef NLM_F_CAPPED
#define NLM_F_CAPPED 0x100
#endif

int OpenHere(uint32_t rcvbuf, NlSocket* out, std::string* what) {
  struct mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (nl == nullptr) {
    *what = "socket(AF_NETLINK, NETLINK_NETFILTER)";
    return errno;
  }
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(nl);
    *what = "bind";
    return err;
  }
  int fd = mnl_socket_get_fd(nl);
  int one = 1;
  // Extended ACKs: the kernel adds the offending attribute's offset and sometimes a message.
  setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
  // Capped ACKs: errors carry only the failing message's header, not the whole message.
  setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
  int size = static_cast<int>(rcvbuf);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  }
  out->nl = nl;
  out->fd = fd;
  out->portid = mnl_socket_get_portid(nl);
  out->seq = static_cast<uint32_t>(time(nullptr));
  return 0;
}

int EffectiveSndbuf(int fd) {
  int v = 0;
  socklen_t len = sizeof(v);
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) < 0) return 0;
  return v;
}

// Grows SO_SNDBUF so that the whole batch fits one sendmsg() (the kernel doubles the value and
// accepts up to effective size - 32 bytes). Returns the largest batch the socket takes.
uint64_t EnsureSndbuf(NlSocket* s, size_t bytes) {
  const int fd = s->fd;
  const size_t need = bytes + 32;
  if (s->sndbuf == 0) s->sndbuf = EffectiveSndbuf(fd);
  int have = s->sndbuf;
  if (static_cast<size_t>(have) >= need) return static_cast<uint64_t>(have) - 32;
  const size_t want = std::min<size_t>((need + 1) / 2 + 4096, 0x3fffffff);
  int v = static_cast<int>(want);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0) {
    // Without CAP_NET_ADMIN in the initial namespace the cap is 2 * net.core.wmem_max.
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
  }
  have = EffectiveSndbuf(fd);
  s->sndbuf = have;
  return have > 32 ? static_cast<uint64_t>(have) - 32 : 0;
}

void EnsureRcvbuf(NlSocket* s, size_t bytes) {
  const int fd = s->fd;
  if (s->rcvbuf == 0) {
    socklen_t len = sizeof(s->rcvbuf);
    if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, &len) < 0) return;
  }
  if (static_cast<size_t>(s->rcvbuf) >= bytes) return;
  s->rcvbuf = 0;  // re-read after the change
  int v = static_cast<int>(std::min<size_t>(bytes / 2 + 1, 0x3fffffff));
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
  }
}

// Reads the extended-ack TLVs (message text, attribute offset) of an error message.
void ParseExtAck(const struct nlmsghdr* nlh, OpFailure* f) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  const struct nlmsgerr* err = static_cast<const struct nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  size_t off = sizeof(struct nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
  const size_t payload = mnl_nlmsg_get_payload_len(nlh);
  if (off >= payload) return;
  const char* start = static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + off;
  int remaining = static_cast<int>(payload - off);
  for (const struct nlattr* attr = reinterpret_cast<const struct nlattr*>(start); mnl_attr_ok(attr, remaining);
       attr = mnl_attr_next(attr)) {
    remaining -= static_cast<int>(MNL_ALIGN(attr->nla_len));
    switch (mnl_attr_get_type(attr)) {
      case NLMSGERR_ATTR_MSG:
        if (mnl_attr_get_payload_len(attr) > 0) {
          f->message.assign(static_cast<const char*>(mnl_attr_get_payload(attr)),
                            strnlen(static_cast<const char*>(mnl_attr_get_payload(attr)), mnl_attr_get_payload_len(attr)));
        }
        break;
      case NLMSGERR_ATTR_OFFS:
        if (mnl_attr_get_payload_len(attr) >= 4) f->attr_offset = mnl_attr_get_u32(attr);
        break;
      default: break;
    }
  }
}

int32_t OpOfSeq(const EncodedBatch& b, uint32_t seq) {
  uint32_t rel = seq - b.first_seq;
  if (rel >= b.op_of.size()) return -1;
  return b.op_of[rel];
}

void HandleReply(const struct nlmsghdr* nlh, NlSocket* s, const EncodedBatch& b, CommitResult* r) {
  if (nlh->nlmsg_type == NLMSG_ERROR) {
    if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) return;
    const struct nlmsgerr* err = static_cast<const struct nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
    if (err->error == 0) {
      if (nlh->nlmsg_seq == b.end_seq) r->end_acked = true;
      return;
    }
    OpFailure f;
    f.index = OpOfSeq(b, nlh->nlmsg_seq);
    f.err = -err->error;
    ParseExtAck(nlh, &f);
    r->failures.push_back(std::move(f));
    return;
  }
  if (NFNL_MSG_TYPE(nlh->nlmsg_type) == NFT_MSG_NEWRULE && (nlh->nlmsg_type >> 8) == NFNL_SUBSYS_NFTABLES) {
    // An echoed rule (NLM_F_ECHO): learn its handle. NFTA_RULE_ID is not echoed; key on seq.
    const int32_t index = OpOfSeq(b, nlh->nlmsg_seq);
    if (index < 0) return;
    struct nftnl_rule* rule = nftnl_rule_alloc();
    if (rule == nullptr) return;
    if (nftnl_rule_nlmsg_parse(nlh, rule) >= 0 && nftnl_rule_is_set(rule, NFTNL_RULE_HANDLE)) {
      r->handles.emplace_back(index, nftnl_rule_get_u64(rule, NFTNL_RULE_HANDLE));
    }
    nftnl_rule_free(rule);
  }
}

}  // namespace

int OpenSocket(const std::string& netns_path, uint32_t rcvbuf, NlSocket* out, std::string* what) {
  if (netns_path.empty()) return OpenHere(rcvbuf, out, what);
  int target = open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    *what = "open " + netns_path;
    return errno;
  }
  int result = 0;
  // The socket's namespace is fixed at creation; setns() only moves the calling thread. Do it
  // on a dedicated thread that ends right after, never on the JS or a libuv thread.
  auto body = [&]() {
    int orig = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (orig < 0) {
      result = errno;
      *what = "open /proc/thread-self/ns/net";
      return;
    }
    if (setns(target, CLONE_NEWNET) < 0) {
      result = errno;
      *what = "setns " + netns_path;
      close(orig);
      return;
    }
    result = OpenHere(rcvbuf, out, what);
    if (setns(orig, CLONE_NEWNET) < 0) {
      // The thread ends now anyway; nothing else ever runs on it.
    }
    close(orig);
  };
  try {
    std::thread worker(body);
    worker.join();
  } catch (const std::system_error& e) {
    // Thread creation failed (EAGAIN under a thread limit): report it, leak no descriptor.
    close(target);
    *what = "create a thread to enter " + netns_path;
    return e.code().value() != 0 ? e.code().value() : EAGAIN;
  }
  close(target);
  return result;
}

void CloseSocket(NlSocket* s) {
  if (s->nl != nullptr) mnl_socket_close(s->nl);
  s->nl = nullptr;
  s->fd = -1;
}

void SendBatch(NlSocket* s, const EncodedBatch& b, CommitResult* r) {
  r->batch_bytes = b.buf.size();
  r->messages = b.messages;
  const uint64_t max = EnsureSndbuf(s, b.buf.size());
  if (max < b.buf.size()) {
    r->transport_errno = EMSGSIZE;
    r->max_batch_bytes = max;
    return;
  }
  const size_t echoes = b.echoes;
  // Every echoed rule comes back whole; errors are capped. ~1 KiB of rcvbuf per reply skb.
  EnsureRcvbuf(s, 256 * 1024 + echoes * 2048);

  ssize_t sent;
  do {
    sent = sendto(s->fd, b.buf.data.get(), b.buf.len, 0, nullptr, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    r->transport_errno = errno;
    if (errno == EMSGSIZE) r->max_batch_bytes = max;
    return;
  }
  // The batch was processed inside sendmsg(): every reply is already queued. Drain them.
  if (s->rx.size() < kRecvBuf) s->rx.resize(kRecvBuf);
  std::vector<char>& buf = s->rx;
  // The END ack is the kernel's last reply to a committed batch (errors and echoes come first,
  // in batch order): once it is seen there is nothing left to read.
  while (!r->end_acked) {
    ssize_t n = recv(s->fd, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        // Replies were lost; the batch still committed or aborted as a whole.
        OpFailure f;
        f.index = -1;
        f.err = ENOBUFS;
        f.message = "some kernel replies were lost (receive buffer overflow)";
        r->failures.push_back(std::move(f));
        continue;
      }
      r->transport_errno = errno;
      break;
    }
    const struct nlmsghdr* nlh = reinterpret_cast<const struct nlmsghdr*>(buf.data());
    int len = static_cast<int>(n);
    while (mnl_nlmsg_ok(nlh, len)) {
      if (nlh->nlmsg_pid == s->portid || nlh->nlmsg_pid == 0) HandleReply(nlh, s, b, r);
      nlh = mnl_nlmsg_next(nlh, &len);
    }
  }
  // An ENOBUFS marker alone, with the END ack seen, means only echoes were lost: success.
  if (r->end_acked) {
    r->failures.erase(std::remove_if(r->failures.begin(), r->failures.end(),
                                     [](const OpFailure& f) { return f.err == ENOBUFS && f.index == -1; }),
                      r->failures.end());
  }
}

namespace {

// A multi-part NLM_F_DUMP request; otherwise (the generation, a get of given element keys) a
// single reply answers it.
bool IsDump(const DumpSpec& spec) {
  return spec.what != DumpWhat::kGen && !(spec.what == DumpWhat::kElements && !spec.keys.empty());
}

constexpr size_t kNameMax = 255;  // NFT_NAME_MAXLEN 256 incl. the NUL
constexpr size_t kMaxNest = 0xffff;  // nla_len is 16 bits
constexpr size_t kKeyMax = 64;  // NFT_DATA_VALUE_MAXLEN
constexpr size_t Attr(size_t payload) { return MNL_ATTR_HDRLEN + MNL_ALIGN(payload); }

// Checks a request and returns the exact number of bytes BuildRequest writes for it, or 0 with
// a message: names bounded by the kernel's limit, the element list of a get by one nest.
size_t RequestSize(const DumpSpec& spec, std::string* error) {
  for (const std::string* name : {&spec.table, &spec.chain, &spec.set}) {
    if (name->size() > kNameMax || name->find('\0') != std::string::npos) {
      *error = "names in a request hold at most " + std::to_string(kNameMax) + " bytes without NUL (received " +
               std::to_string(name->size()) + " bytes)";
      return 0;
    }
  }
  size_t n = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg)) + Attr(spec.table.size() + 1) +
             Attr(spec.chain.size() + 1) + Attr(spec.set.size() + 1) + Attr(4);
  if (spec.what == DumpWhat::kElements && !spec.keys.empty()) {
    const size_t kl = spec.key_len;
    if (kl == 0 || kl > kKeyMax || spec.keys.size() % kl != 0) {
      *error = "keys: packed keys of keyLen (1-" + std::to_string(kKeyMax) + ") bytes";
      return 0;
    }
    // NFTA_SET_ELEM_LIST_ELEMENTS { NFTA_LIST_ELEM { NFTA_SET_ELEM_KEY { NFTA_DATA_VALUE } } ... }
    const size_t count = spec.keys.size() / kl;
    const size_t list = Attr(0) + count * (3 * Attr(0) + Attr(kl));
    if (list > kMaxNest) {
      *error = std::to_string(count) + " keys of " + std::to_string(kl) + " bytes do not fit one request (at most " +
               std::to_string((kMaxNest - Attr(0)) / (3 * Attr(0) + Attr(kl))) + ")";
      return 0;
    }
    n += list;
  }
  return n;
}

// Writes the request into buf, which holds RequestSize(spec) bytes.
struct nlmsghdr* BuildRequest(char* buf, const DumpSpec& spec, uint32_t seq, bool* is_dump) {
  uint16_t family = spec.family;
  uint16_t flags = NLM_F_DUMP;
  struct nlmsghdr* nlh = nullptr;
  *is_dump = IsDump(spec);
  switch (spec.what) {
    case DumpWhat::kTables:
      nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETTABLE, family, flags, seq);
      break;
    case DumpWhat::kChains: {
      nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETCHAIN, family, flags, seq);
      if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, spec.table.c_str());
      break;
    }
    case DumpWhat::kRules: {
      nlh = nftnl_nlmsg_build_hdr(buf, spec.reset ? kGetRuleReset : NFT_MSG_GETRULE, family, flags, seq);
      if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, spec.table.c_str());
      if (!spec.chain.empty()) mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, spec.chain.c_str());
      break;
    }
    case DumpWhat::kSets: {
      nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSET, family, flags, seq);
      if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_SET_TABLE, spec.table.c_str());
      break;
    }
    case DumpWhat::kElements: {
      const bool single = !*is_dump;
      nlh = nftnl_nlmsg_build_hdr(buf, spec.reset ? kGetSetElemReset : NFT_MSG_GETSETELEM, family,
                                  single ? NLM_F_ACK : flags, seq);
      mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, spec.table.c_str());
      mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, spec.set.c_str());
      if (single) {
        struct nlattr* list = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_LIST_ELEMENTS);
        for (size_t off = 0; off + spec.key_len <= spec.keys.size(); off += spec.key_len) {
          struct nlattr* elem = mnl_attr_nest_start(nlh, NFTA_LIST_ELEM);
          struct nlattr* key = mnl_attr_nest_start(nlh, NFTA_SET_ELEM_KEY);
          mnl_attr_put(nlh, NFTA_DATA_VALUE, spec.key_len, spec.keys.data() + off);
          mnl_attr_nest_end(nlh, key);
          mnl_attr_nest_end(nlh, elem);
        }
        mnl_attr_nest_end(nlh, list);
      }
      break;
    }
    case DumpWhat::kObjects: {
      nlh = nftnl_nlmsg_build_hdr(buf, spec.reset ? NFT_MSG_GETOBJ_RESET : NFT_MSG_GETOBJ, family, flags, seq);
      if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_OBJ_TABLE, spec.table.c_str());
      if (spec.obj_type) mnl_attr_put_u32(nlh, NFTA_OBJ_TYPE, htonl(*spec.obj_type));
      break;
    }
    case DumpWhat::kFlowtables: {
      nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETFLOWTABLE, family, flags, seq);
      if (!spec.table.empty()) mnl_attr_put_strz(nlh, NFTA_FLOWTABLE_TABLE, spec.table.c_str());
      break;
    }
    case DumpWhat::kGen:
      nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK, seq);
      break;
  }
  return nlh;
}

}  // namespace

namespace {

// One request and its replies. Sets *interrupted when the kernel flagged a reply
// NLM_F_DUMP_INTR (the ruleset changed while the dump was being produced).
void RunDumpOnce(NlSocket* s, const DumpSpec& spec, DumpResult* r, bool* interrupted) {
  r->what = spec.what;
  // Sized from what the request holds; refused (EINVAL) when it breaks a netlink limit.
  std::string error;
  const size_t size = RequestSize(spec, &error);
  if (size == 0) {
    r->err = EINVAL;
    r->message = error;
    return;
  }
  std::vector<char> req(size, 0);
  const uint32_t seq = ++s->seq;
  bool is_dump = true;
  struct nlmsghdr* nlh = BuildRequest(req.data(), spec, seq, &is_dump);
  if (nlh->nlmsg_len > size) {
    r->err = EINVAL;
    r->message = "internal error: request larger than its computed size";
    return;
  }
  Decoder decoder(spec, r);
  std::string message;
  r->err = Exchange(s, nlh, is_dump, [&decoder](const struct nlmsghdr* m) { return decoder.Feed(m); }, interrupted, &message);
  if (r->err == EPROTO && message.empty()) message = decoder.error();
  if (r->err != 0) r->message = message;
}

}  // namespace

int Exchange(NlSocket* s, const struct nlmsghdr* request, bool is_dump, const std::function<bool(const struct nlmsghdr*)>& feed,
             bool* interrupted, std::string* message) {
  const uint32_t seq = request->nlmsg_seq;
  ssize_t sent;
  do {
    sent = sendto(s->fd, request, request->nlmsg_len, 0, nullptr, 0);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *message = "sendto";
    return errno;
  }
  if (s->rx.size() < kRecvBuf) s->rx.resize(kRecvBuf);
  std::vector<char>& buf = s->rx;
  for (;;) {
    struct pollfd p = {s->fd, POLLIN, 0};
    const int ready = poll(&p, 1, kDumpTimeoutMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      *message = "waiting for the kernel's reply";
      return ready == 0 ? ETIMEDOUT : errno;
    }
    const ssize_t n = recv(s->fd, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      *message = errno == ENOBUFS ? "dump replies were lost (receive buffer overflow)" : "recv";
      return errno;
    }
    const struct nlmsghdr* m = reinterpret_cast<const struct nlmsghdr*>(buf.data());
    int len = static_cast<int>(n);
    for (; mnl_nlmsg_ok(m, len); m = mnl_nlmsg_next(m, &len)) {
      if (m->nlmsg_seq != seq) continue;  // a stale reply of an earlier request
      if (m->nlmsg_flags & NLM_F_DUMP_INTR) *interrupted = true;
      if (m->nlmsg_type == NLMSG_DONE) return 0;
      if (m->nlmsg_type == NLMSG_ERROR) {
        if (m->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) continue;  // truncated: not ours to read
        const struct nlmsgerr* err = static_cast<const struct nlmsgerr*>(mnl_nlmsg_get_payload(m));
        if (err->error != 0) {
          OpFailure f;
          ParseExtAck(m, &f);
          *message = f.message;
          return -err->error;
        }
        if (!is_dump) return 0;  // the final ACK of a non-dump request
        continue;
      }
      if (!feed(m)) {
        message->clear();
        return EPROTO;
      }
    }
  }
}

namespace {

// Waits until no transaction is in flight in this namespace: an empty batch holds the kernel's
// commit mutex from BEGIN to END, so it is processed only after a running transaction ends.
// Costs a few microseconds. Returns 0 or an errno.
int Barrier(NlSocket* s) {
  BatchSpec empty;
  std::string error;
  EncodedBatch& b = s->batch;
  if (!EncodeBatch(empty, s->seq + 1, &b, &error)) return EINVAL;
  s->seq = b.end_seq;
  CommitResult r;
  SendBatch(s, b, &r);
  if (r.transport_errno != 0) return r.transport_errno;
  if (!r.failures.empty()) return r.failures[0].err;
  return 0;
}

}  // namespace

// A dump spans many recv() calls, and the kernel builds each part by walking the set again and
// skipping what it already sent: a transaction being prepared or committed meanwhile (even
// one only inserting new, not yet active elements) shifts that walk, and the reader sees part
// of the old and part of the new content, or misses elements. So each dump is bracketed by
// barriers (no transaction in flight) and generation reads, and retried until no transaction
// ran during it. Reset dumps are not retried (their resets are done); single-reply requests
// (the generation, gets of given keys) need no bracket.
void RunDump(NlSocket* s, const DumpSpec& spec, DumpResult* r) {
  bool interrupted = false;
  if (!IsDump(spec) || spec.reset) {
    RunDumpOnce(s, spec, r, &interrupted);
    return;
  }
  DumpSpec gen_spec;
  gen_spec.what = DumpWhat::kGen;
  auto generation = [&](uint32_t* genid) -> bool {
    int err = Barrier(s);
    DumpResult g;
    bool ignored = false;
    if (err == 0) RunDumpOnce(s, gen_spec, &g, &ignored);
    if (err == 0 && g.err == 0) {
      *genid = g.genid;
      return true;
    }
    *r = DumpResult();
    r->what = spec.what;
    r->err = err != 0 ? err : g.err;
    r->message = "reading the ruleset generation";
    return false;
  };
  for (int attempt = 0; attempt < kSnapshotAttempts; attempt++) {
    uint32_t before = 0, after = 0;
    if (!generation(&before)) return;
    *r = DumpResult();
    interrupted = false;
    RunDumpOnce(s, spec, r, &interrupted);
    if (r->err != 0) return;
    // A hash set resized between two parts of the dump (no commit involved): see decode.h.
    if (spec.what == DumpWhat::kElements && HasDuplicateElements(r->elems)) interrupted = true;
    if (!generation(&after)) return;
    if (!interrupted && before == after) return;
    // Let the writer finish its burst: 1, 2, 4 ... 64 ms between attempts.
    if (attempt + 1 < kSnapshotAttempts) usleep(1000u << attempt);
  }
  *r = DumpResult();
  r->what = spec.what;
  r->err = EAGAIN;
  r->message = "the ruleset changed during each of " + std::to_string(kSnapshotAttempts) +
               " attempts to read a consistent snapshot (a transaction committed in this namespace while each dump ran); nothing was read. Try again when commits are less frequent, or read the writer's own copy";
}

}  // namespace nftjs
