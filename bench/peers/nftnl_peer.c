// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Benchmark peer: a plain C program using libnftnl + libmnl on one long-lived netlink
 * socket, the lower bound this package is measured against. Also the bench's process
 * helper (exec with wall time and peak RSS, subprocess-per-update churn, netns check).
 *
 *   nftnl_peer netns-check
 *   nftnl_peer load hash|interval N            set + N elements (one transaction), prints ms
 *   nftnl_peer churn N                          N single-element transactions (add, delete, ...)
 *   nftnl_peer spawn-churn nft|ipset N          the same, one CLI subprocess per update
 *   nftnl_peer exec CMD ARGS...                 runs CMD, prints wall ms and its peak RSS
 *   nftnl_peer rules N                          table t + chain c (untimed), then N rules
 *                                               `ip saddr 10.0.0.0+i counter accept` in one transaction
 *   nftnl_peer counters REPS                    reads every rule counter of chain ip t c (libnftnl
 *                                               rule objects), REPS times; prints the median ms
 *
 * Output: one JSON line on stdout. Refuses to run outside a private network namespace.
 * Build: gcc -O2 -o nftnl_peer nftnl_peer.c -lnftnl -lmnl
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long vm_hwm_kib(void) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[256];
  long v = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmHWM: %ld kB", &v) == 1) break;
  fclose(f);
  return v;
}

/*
 * A private netns: not the one the bench started in (its inode comes in NFT_BENCH_HOST_NETNS),
 * and holding no interface but loopback (/proc/net/dev is per network namespace).
 */
static void assert_private_netns(void) {
  struct stat a;
  const char* host = getenv("NFT_BENCH_HOST_NETNS");
  int ok = stat("/proc/self/ns/net", &a) == 0 && host != NULL && strtoull(host, NULL, 10) != (unsigned long long)a.st_ino;
  FILE* f = fopen("/proc/net/dev", "r");
  char line[512];
  int n = 0;
  while (ok && f && fgets(line, sizeof line, f)) {
    char name[64];
    if (++n <= 2) continue;
    if (sscanf(line, " %63[^:]:", name) == 1 && strcmp(name, "lo") != 0) ok = 0;
  }
  if (f) fclose(f);
  if (!ok) {
    fprintf(stderr, "nftnl_peer: refusing to run outside a private network namespace (use unshare -n; set NFT_BENCH_HOST_NETNS)\n");
    exit(3);
  }
}

static struct mnl_socket* nl;
static uint32_t seq = 1;
static char* buf;
static size_t buf_cap;

static void die(const char* what) {
  fprintf(stderr, "nftnl_peer: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* Sends [0, len) of buf as one batch and reads errors until none are pending. */
static void send_batch(size_t len) {
  if (mnl_socket_sendto(nl, buf, len) < 0) die("sendmsg");
  char rb[MNL_SOCKET_BUFFER_SIZE];
  for (;;) {
    ssize_t n = recv(mnl_socket_get_fd(nl), rb, sizeof rb, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN) return;
      die("recv");
    }
    for (struct nlmsghdr* h = (struct nlmsghdr*)rb; mnl_nlmsg_ok(h, (int)n); h = mnl_nlmsg_next(h, (int*)&n)) {
      if (h->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr* e = mnl_nlmsg_get_payload(h);
        if (e->error != 0) {
          errno = -e->error;
          die("kernel");
        }
      }
    }
  }
}

static size_t put_begin(size_t off) {
  struct nlmsghdr* h = (struct nlmsghdr*)(buf + off);
  nftnl_batch_begin((char*)h, seq++);
  return off + h->nlmsg_len;
}
static size_t put_end(size_t off) {
  struct nlmsghdr* h = (struct nlmsghdr*)(buf + off);
  nftnl_batch_end((char*)h, seq++);
  return off + h->nlmsg_len;
}

static void ensure(size_t need) {
  if (need <= buf_cap) return;
  buf_cap = need * 2;
  buf = realloc(buf, buf_cap);
  if (!buf) die("realloc");
}

static struct nftnl_set* new_set(int interval, uint32_t size) {
  struct nftnl_set* s = nftnl_set_alloc();
  nftnl_set_set_str(s, NFTNL_SET_TABLE, "t");
  nftnl_set_set_str(s, NFTNL_SET_NAME, "s");
  nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, 4);
  nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, 7);
  nftnl_set_set_u32(s, NFTNL_SET_FLAGS, interval ? NFT_SET_INTERVAL : 0);
  nftnl_set_set_u32(s, NFTNL_SET_ID, 1); /* NFTA_SET_ID is mandatory in NEWSET */
  if (size) nftnl_set_set_u32(s, NFTNL_SET_DESC_SIZE, size);
  return s;
}

/* Appends NEWSETELEM/DELSETELEM messages for all elements of s, 64 KiB each. */
static size_t put_elems(size_t off, struct nftnl_set* s, uint16_t type, uint16_t flags) {
  struct nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s);
  for (;;) {
    ensure(off + 128 * 1024);
    struct nlmsghdr* h = nftnl_nlmsg_build_hdr(buf + off, type, NFPROTO_IPV4, flags, seq++);
    int more = nftnl_set_elems_nlmsg_build_payload_iter(h, it);
    off += h->nlmsg_len;
    if (more <= 0) break;
  }
  nftnl_set_elems_iter_destroy(it);
  return off;
}

static void open_socket(size_t sndbuf) {
  nl = mnl_socket_open(NETLINK_NETFILTER);
  if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) die("socket");
  int v = (int)(sndbuf / 2 + 65536);
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof v);
  v = 1 << 20;
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof v);
}

/* Table t + set s in their own (untimed) transaction. */
static void setup(int interval, uint32_t size) {
  size_t off = put_begin(0);
  struct nftnl_table* t = nftnl_table_alloc();
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, "t");
  struct nlmsghdr* h = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWTABLE, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_table_nlmsg_build_payload(h, t);
  off += h->nlmsg_len;
  struct nftnl_set* s = new_set(interval, size);
  h = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWSET, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_set_nlmsg_build_payload(h, s);
  off += h->nlmsg_len;
  off = put_end(off);
  send_batch(off);
  nftnl_table_free(t);
  nftnl_set_free(s);
}

static void add_elem(struct nftnl_set* s, uint32_t host_addr, int end) {
  struct nftnl_set_elem* e = nftnl_set_elem_alloc();
  uint32_t k = htonl(host_addr);
  nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &k, 4);
  if (end) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
  nftnl_set_elem_add(s, e);
}

static int cmd_load(int interval, long n) {
  buf_cap = 1 << 20;
  buf = malloc(buf_cap);
  open_socket((size_t)n * (interval ? 48 : 24) + (1 << 20));
  setup(interval, interval ? 0 : (uint32_t)n);
  double t0 = now_ms();
  /* Same keys as the other contenders: hash 10.0.0.0 + i; interval 10.0.0.0/28 every 32 addresses. */
  struct nftnl_set* s = new_set(interval, 0);
  for (long i = 0; i < n; i++) {
    if (interval) {
      add_elem(s, 0x0a000000u + (uint32_t)i * 32, 0);
      add_elem(s, 0x0a000000u + (uint32_t)i * 32 + 16, 1);
    } else {
      add_elem(s, 0x0a000000u + (uint32_t)i, 0);
    }
  }
  size_t off = put_begin(0);
  off = put_elems(off, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
  ensure(off + 64);
  off = put_end(off);
  double t1 = now_ms();
  send_batch(off);
  double t2 = now_ms();
  printf("{\"ms\":%.3f,\"buildMs\":%.3f,\"kernelMs\":%.3f,\"bytes\":%zu,\"rssKiB\":%ld}\n", t2 - t0, t1 - t0, t2 - t1, off, vm_hwm_kib());
  nftnl_set_free(s);
  return 0;
}

static struct nftnl_expr* ex(const char* name) {
  struct nftnl_expr* e = nftnl_expr_alloc(name);
  if (!e) die("nftnl_expr_alloc");
  return e;
}

/* `ip saddr A counter accept`, as nft 1.0.6 emits it: payload nh+12 len 4; cmp eq; counter; accept. */
static struct nftnl_rule* saddr_rule(uint32_t host_addr) {
  struct nftnl_rule* r = nftnl_rule_alloc();
  nftnl_rule_set_str(r, NFTNL_RULE_TABLE, "t");
  nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, "c");
  nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  struct nftnl_expr* e = ex("payload");
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, 12);
  nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
  nftnl_rule_add_expr(r, e);
  uint32_t k = htonl(host_addr);
  e = ex("cmp");
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
  nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
  nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &k, 4);
  nftnl_rule_add_expr(r, e);
  nftnl_rule_add_expr(r, ex("counter"));
  e = ex("immediate");
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_ACCEPT);
  nftnl_rule_add_expr(r, e);
  return r;
}

/* Table t + chain c (untimed), then N rules in one transaction (timed: build + send + acks). */
static int cmd_rules(long n) {
  buf_cap = 1 << 20;
  buf = malloc(buf_cap);
  open_socket((size_t)n * 160 + (1 << 20));
  size_t off = put_begin(0);
  struct nftnl_table* t = nftnl_table_alloc();
  nftnl_table_set_str(t, NFTNL_TABLE_NAME, "t");
  struct nlmsghdr* h = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWTABLE, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_table_nlmsg_build_payload(h, t);
  off += h->nlmsg_len;
  struct nftnl_chain* ch = nftnl_chain_alloc();
  nftnl_chain_set_str(ch, NFTNL_CHAIN_TABLE, "t");
  nftnl_chain_set_str(ch, NFTNL_CHAIN_NAME, "c");
  h = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWCHAIN, NFPROTO_IPV4, NLM_F_CREATE, seq++);
  nftnl_chain_nlmsg_build_payload(h, ch);
  off += h->nlmsg_len;
  off = put_end(off);
  send_batch(off);
  nftnl_table_free(t);
  nftnl_chain_free(ch);

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  double t0 = now_ms();
  off = put_begin(0);
  for (long i = 0; i < n; i++) {
    ensure(off + 1024);
    struct nftnl_rule* r = saddr_rule(0x0a000000u + (uint32_t)i);
    h = nftnl_nlmsg_build_hdr(buf + off, NFT_MSG_NEWRULE, NFPROTO_IPV4, NLM_F_CREATE | NLM_F_APPEND, seq++);
    nftnl_rule_nlmsg_build_payload(h, r);
    off += h->nlmsg_len;
    nftnl_rule_free(r);
  }
  ensure(off + 64);
  off = put_end(off);
  double t1 = now_ms();
  send_batch(off);
  double t2 = now_ms();
  getrusage(RUSAGE_SELF, &ru1);
  double user = (ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) * 1e3 + (ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e3;
  double sys = (ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) * 1e3 + (ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e3;
  printf("{\"ms\":%.3f,\"buildMs\":%.3f,\"kernelMs\":%.3f,\"userMs\":%.3f,\"sysMs\":%.3f,\"bytes\":%zu,\"rssKiB\":%ld}\n", t2 - t0, t1 - t0, t2 - t1,
         user, sys, off, vm_hwm_kib());
  return 0;
}

/*
 * Chunked load (issue 11 item 9's peer): N addresses into a fresh set without a size hint (the
 * kernel's resizable hash), in transactions of CHUNK elements each, every one acknowledged
 * before the next is sent. What a swap replace's fill does, without parsing or switching.
 */
static int cmd_load_chunked(long n, long chunk) {
  buf_cap = 1 << 20;
  buf = malloc(buf_cap);
  open_socket((size_t)chunk * 24 + (1 << 20));
  setup(0, 0);
  double t0 = now_ms();
  size_t total = 0;
  for (long from = 0; from < n; from += chunk) {
    long to = from + chunk < n ? from + chunk : n;
    struct nftnl_set* s = new_set(0, 0);
    for (long i = from; i < to; i++) add_elem(s, 0x0a000000u + (uint32_t)i, 0);
    size_t off = put_begin(0);
    off = put_elems(off, s, NFT_MSG_NEWSETELEM, NLM_F_CREATE);
    ensure(off + 64);
    off = put_end(off);
    send_batch(off);
    total += off;
    nftnl_set_free(s);
  }
  double t1 = now_ms();
  printf("{\"ms\":%.3f,\"bytes\":%zu,\"rssKiB\":%ld}\n", t1 - t0, total, vm_hwm_kib());
  return 0;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

static void report_latencies(double* lat, long n, double total) {
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf("{\"ms\":%.3f,\"p50us\":%.2f,\"p99us\":%.2f,\"opsPerSec\":%.0f,\"rssKiB\":%ld}\n", total, lat[n / 2] * 1e3,
         lat[(long)(n * 0.99)] * 1e3, n / (total / 1e3), vm_hwm_kib());
}

static int cmd_churn(long n) {
  buf_cap = 1 << 20;
  buf = malloc(buf_cap);
  open_socket(1 << 20);
  setup(0, 0);
  double* lat = calloc((size_t)n, sizeof *lat);
  double start = now_ms();
  for (long i = 0; i < n; i++) {
    /* update i: add address i/2, then delete it */
    double t0 = now_ms();
    struct nftnl_set* s = new_set(0, 0);
    add_elem(s, 0x0a000000u + (uint32_t)(i / 2), 0);
    size_t off = put_begin(0);
    off = put_elems(off, s, (i & 1) ? NFT_MSG_DELSETELEM : NFT_MSG_NEWSETELEM, (i & 1) ? 0 : NLM_F_CREATE);
    off = put_end(off);
    send_batch(off);
    nftnl_set_free(s);
    lat[i] = now_ms() - t0;
  }
  report_latencies(lat, n, now_ms() - start);
  return 0;
}

static double run_child(char* const argv[], long* maxrss_kib) {
  double t0 = now_ms();
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    execvp(argv[0], argv);
    _exit(127);
  }
  int st;
  struct rusage ru;
  if (wait4(pid, &st, 0, &ru) < 0) die("wait4");
  double dt = now_ms() - t0;
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "nftnl_peer: %s failed (status %d)\n", argv[0], st);
    exit(1);
  }
  if (maxrss_kib) *maxrss_kib = ru.ru_maxrss;
  return dt;
}

static int cmd_spawn_churn(const char* tool, long n) {
  double* lat = calloc((size_t)n, sizeof *lat);
  long rss = 0, r;
  double start = now_ms();
  for (long i = 0; i < n; i++) {
    char addr[32], elem[48];
    uint32_t a = 0x0a000000u + (uint32_t)(i / 2);
    snprintf(addr, sizeof addr, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
    snprintf(elem, sizeof elem, "{ %s }", addr);
    if (strcmp(tool, "nft") == 0) {
      char* argv[] = {"nft", (i & 1) ? "delete" : "add", "element", "ip", "t", "s", elem, NULL};
      lat[i] = run_child(argv, &r);
    } else {
      char* argv[] = {"ipset", (i & 1) ? "del" : "add", "s", addr, NULL};
      lat[i] = run_child(argv, &r);
    }
    if (r > rss) rss = r;
  }
  double total = now_ms() - start;
  qsort(lat, (size_t)n, sizeof *lat, cmp_double);
  printf("{\"ms\":%.3f,\"p50us\":%.2f,\"p99us\":%.2f,\"opsPerSec\":%.0f,\"rssKiB\":%ld}\n", total, lat[n / 2] * 1e3,
         lat[(long)(n * 0.99)] * 1e3, n / (total / 1e3), rss);
  return 0;
}

/* Counters of one dump: rules parsed into libnftnl objects, counter expressions read. */
struct ctr_sum {
  uint64_t packets, bytes;
  long rules;
};

static int ctr_expr_cb(struct nftnl_expr* e, void* data) {
  struct ctr_sum* c = data;
  if (strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0) {
    c->packets += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
    c->bytes += nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
  }
  return MNL_CB_OK;
}

static int ctr_rule_cb(const struct nlmsghdr* nlh, void* data) {
  struct nftnl_rule* r = nftnl_rule_alloc();
  if (!r) return MNL_CB_ERROR;
  if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
    nftnl_rule_free(r);
    return MNL_CB_ERROR;
  }
  nftnl_expr_foreach(r, ctr_expr_cb, data);
  ((struct ctr_sum*)data)->rules++;
  nftnl_rule_free(r);
  return MNL_CB_OK;
}

static int cmd_counters(long reps) {
  open_socket(1 << 20);
  static char rb[64 * 1024]; /* dump rounds are at most ~32 KiB: bigger buffers do not help */
  double* lat = calloc((size_t)reps, sizeof *lat);
  struct ctr_sum c = {0, 0, 0};
  for (long i = 0; i < reps; i++) {
    double t0 = now_ms();
    char req[1024];
    uint32_t s = seq++;
    struct nlmsghdr* h = nftnl_nlmsg_build_hdr(req, NFT_MSG_GETRULE, NFPROTO_IPV4, NLM_F_DUMP, s);
    mnl_attr_put_strz(h, NFTA_RULE_TABLE, "t");
    mnl_attr_put_strz(h, NFTA_RULE_CHAIN, "c");
    if (mnl_socket_sendto(nl, h, h->nlmsg_len) < 0) die("sendto");
    c.packets = c.bytes = 0;
    c.rules = 0;
    for (;;) {
      ssize_t n = mnl_socket_recvfrom(nl, rb, sizeof rb);
      if (n < 0) die("recv");
      int ret = mnl_cb_run(rb, (size_t)n, s, mnl_socket_get_portid(nl), ctr_rule_cb, &c);
      if (ret < 0) die("dump");
      if (ret == MNL_CB_STOP) break;
    }
    lat[i] = now_ms() - t0;
  }
  qsort(lat, (size_t)reps, sizeof *lat, cmp_double);
  printf("{\"ms\":%.3f,\"rules\":%ld,\"packets\":%llu,\"rssKiB\":%ld}\n", lat[reps / 2], c.rules, (unsigned long long)c.packets, vm_hwm_kib());
  free(lat);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: see the header of nftnl_peer.c\n");
    return 2;
  }
  assert_private_netns();
  if (strcmp(argv[1], "netns-check") == 0) return 0;
  if (strcmp(argv[1], "load") == 0 && argc == 4) return cmd_load(strcmp(argv[2], "interval") == 0, atol(argv[3]));
  if (strcmp(argv[1], "load-chunked") == 0 && argc == 4) return cmd_load_chunked(atol(argv[2]), atol(argv[3]));
  if (strcmp(argv[1], "churn") == 0 && argc == 3) return cmd_churn(atol(argv[2]));
  if (strcmp(argv[1], "rules") == 0 && argc == 3) return cmd_rules(atol(argv[2]));
  if (strcmp(argv[1], "counters") == 0 && argc == 3) return cmd_counters(atol(argv[2]));
  if (strcmp(argv[1], "spawn-churn") == 0 && argc == 4) return cmd_spawn_churn(argv[2], atol(argv[3]));
  if (strcmp(argv[1], "exec") == 0 && argc >= 3) {
    long rss = 0;
    double ms = run_child(argv + 2, &rss);
    printf("{\"ms\":%.3f,\"rssKiB\":%ld}\n", ms, rss);
    return 0;
  }
  fprintf(stderr, "nftnl_peer: bad arguments\n");
  return 2;
}
