// SPDX-License-Identifier: GPL-2.0-or-later
/**
 * Kernel constants from the uapi headers (linux/netfilter/nf_tables.h, linux/netfilter.h,
 * linux/netlink.h). The only place in the package where these numbers are written down.
 * Where Debian 12's headers (6.1) lack a value, it is defined here from newer kernels.
 */

/** NFPROTO_* (linux/netfilter.h): the nfgenmsg family of every nftables message. */
export const NFPROTO = {
  inet: 1,
  ip: 2,
  arp: 3,
  netdev: 5,
  bridge: 7,
  ip6: 10,
} as const;
export type Family = keyof typeof NFPROTO;
export const FAMILIES = Object.keys(NFPROTO) as Family[];
export const familyName = (n: number): Family | undefined =>
  (Object.keys(NFPROTO) as Family[]).find((k) => NFPROTO[k] === n);

/** Netfilter hook numbers (NF_INET_*, NF_NETDEV_*, NF_ARP_*). */
export const INET_HOOKS = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4, ingress: 5 } as const;
export const NETDEV_HOOKS = { ingress: 0, egress: 1 } as const;
export const ARP_HOOKS = { input: 0, output: 1, forward: 2 } as const;
export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting' | 'ingress' | 'egress';

/** Verdicts (NF_DROP, NF_ACCEPT, NFT_* in nf_tables.h). */
export const VERDICT = {
  drop: 0,
  accept: 1,
  queue: 3,
  continue: -1,
  break: -2,
  jump: -3,
  goto: -4,
  return: -5,
} as const;
export type VerdictCode = keyof typeof VERDICT;

/** NFT_TABLE_F_* */
export const TABLE_F = { dormant: 0x1, owner: 0x2, persist: 0x4 } as const;

/** NFT_SET_* flags */
export const SET_F = {
  anonymous: 0x1,
  constant: 0x2,
  interval: 0x4,
  map: 0x8,
  timeout: 0x10,
  eval: 0x20,
  object: 0x40,
  concat: 0x80,
  expr: 0x100,
} as const;

/** NFT_SET_ELEM_* flags */
export const SET_ELEM_F = { intervalEnd: 0x1, catchall: 0x2 } as const;

/** NFT_DATA_VERDICT: data type of a verdict map. */
export const NFT_DATA_VERDICT = 0xffffff00;
export const NFT_DATA_VALUE = 0;

/** NFT_OBJECT_* */
export const OBJECT_TYPE = { counter: 1, quota: 2, 'ct helper': 3, limit: 4, 'ct timeout': 7, secmark: 8, synproxy: 10 } as const;

/** Registers: NFT_REG_VERDICT and the 16-byte NFT_REG_1..4; 32-bit NFT_REG32_00.. start at 8. */
export const REG = { verdict: 0, r1: 1, r2: 2, r3: 3, r4: 4, r32_00: 8, r32_01: 9, r32_02: 10 } as const;

/** NFT_PAYLOAD_*_HEADER */
export const PAYLOAD_BASE = { ll: 0, network: 1, transport: 2, inner: 3 } as const;

/** NFT_CMP_* */
export const CMP_OP = { eq: 0, neq: 1, lt: 2, lte: 3, gt: 4, gte: 5 } as const;
export const RANGE_OP = { eq: 0, neq: 1 } as const;

/** NFT_BITWISE_* ops */
export const BITWISE_OP = { bool: 0, lshift: 1, rshift: 2 } as const;

/** NFT_META_* keys (subset used by the builder; any number is accepted by the expr layer). */
export const META_KEY = {
  len: 0,
  protocol: 1,
  priority: 2,
  mark: 3,
  iif: 4,
  oif: 5,
  iifname: 6,
  oifname: 7,
  iiftype: 8,
  oiftype: 9,
  skuid: 10,
  skgid: 11,
  nftrace: 12,
  rtclassid: 13,
  secmark: 14,
  nfproto: 15,
  l4proto: 16,
  bri_iifname: 17,
  bri_oifname: 18,
  pkttype: 19,
  cpu: 20,
  iifgroup: 21,
  oifgroup: 22,
  cgroup: 23,
  prandom: 24,
  secpath: 25,
  iifkind: 26,
  oifkind: 27,
  bri_iifpvid: 28,
  bri_iifvproto: 29,
  time_ns: 30,
  time_day: 31,
  time_hour: 32,
  sdif: 33,
  sdifname: 34,
} as const;

/** NFT_CT_* keys */
export const CT_KEY = {
  state: 0,
  direction: 1,
  status: 2,
  mark: 3,
  secmark: 4,
  expiration: 5,
  helper: 6,
  l3protocol: 7,
  src: 8,
  dst: 9,
  protocol: 10,
  proto_src: 11,
  proto_dst: 12,
  labels: 13,
  pkts: 14,
  bytes: 15,
  avgpkt: 16,
  zone: 17,
  eventmask: 18,
  src_ip: 19,
  dst_ip: 20,
  src_ip6: 21,
  dst_ip6: 22,
  id: 23,
} as const;

/** Conntrack state bits as the ct expression loads them (host-endian u32). */
export const CT_STATE = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 } as const;

/** NFT_LIMIT_* */
export const LIMIT_TYPE = { packets: 0, bytes: 1 } as const;
export const LIMIT_F_INV = 0x1;

/** NFT_LOOKUP_F_INV */
export const LOOKUP_F_INV = 0x1;

/** NFT_DYNSET_OP_* and flags */
export const DYNSET_OP = { add: 0, update: 1, delete: 2 } as const;
export const DYNSET_F_INV = 0x1;
export const DYNSET_F_EXPR = 0x2;

/** NFT_REJECT_* types */
export const REJECT_TYPE = { icmp_unreach: 0, tcp_rst: 1, icmpx_unreach: 2 } as const;
/** NFT_REJECT_ICMPX_* codes */
export const ICMPX_CODE = { 'no-route': 0, 'port-unreachable': 1, 'host-unreachable': 2, 'admin-prohibited': 3 } as const;

/** NFT_NAT_* */
export const NAT_TYPE = { snat: 0, dnat: 1 } as const;
/** NF_NAT_RANGE_* flags */
export const NAT_RANGE = {
  mapIps: 0x1,
  protoSpecified: 0x2,
  protoRandom: 0x4,
  persistent: 0x8,
  protoRandomFully: 0x10,
  protoOffset: 0x20,
  netmap: 0x40,
} as const;

/** NFT_EXTHDR_OP_* and flags */
export const EXTHDR_OP = { ipv6: 0, tcpopt: 1, ipv4: 2, sctp: 3, dccp: 4 } as const;
export const EXTHDR_F_PRESENT = 0x1;

/** NFTA_FIB_F_* and NFT_FIB_RESULT_* */
export const FIB_F = { saddr: 0x1, daddr: 0x2, mark: 0x4, iif: 0x8, oif: 0x10, present: 0x20 } as const;
export const FIB_RESULT = { oif: 1, oifname: 2, addrtype: 3 } as const;

/** NFT_CONNLIMIT_F_INV, NFT_QUOTA_F_INV */
export const CONNLIMIT_F_INV = 0x1;
export const QUOTA_F_INV = 0x1;

/** NFT_BYTEORDER_* */
export const BYTEORDER_OP = { ntoh: 0, hton: 1 } as const;

/** nfnetlink message types (NFT_MSG_*) that the batch uses, incl. ones missing from 6.1 headers. */
export const MSG = {
  NEWTABLE: 0,
  GETTABLE: 1,
  DELTABLE: 2,
  NEWCHAIN: 3,
  GETCHAIN: 4,
  DELCHAIN: 5,
  NEWRULE: 6,
  GETRULE: 7,
  DELRULE: 8,
  NEWSET: 9,
  GETSET: 10,
  DELSET: 11,
  NEWSETELEM: 12,
  GETSETELEM: 13,
  DELSETELEM: 14,
  NEWGEN: 15,
  GETGEN: 16,
  NEWOBJ: 18,
  GETOBJ: 19,
  DELOBJ: 20,
  GETOBJ_RESET: 21,
  GETRULE_RESET: 25,
  DESTROYTABLE: 26,
  DESTROYCHAIN: 27,
  DESTROYRULE: 28,
  DESTROYSET: 29,
  DESTROYSETELEM: 30,
  DESTROYOBJ: 31,
  GETSETELEM_RESET: 33,
} as const;

/** nft's datatype ids, as NFTA_SET_KEY_TYPE carries them (informational for the kernel, used by nft); nft 1.0.6's enum datatypes, the same ids as lib/nft/datatypes.ts. */
export const DATATYPE = {
  verdict: 1,
  nf_proto: 2,
  bitmask: 3,
  integer: 4,
  string: 5,
  lladdr: 6,
  ipv4_addr: 7,
  ipv6_addr: 8,
  ether_addr: 9,
  ether_type: 10,
  arp_op: 11,
  inet_proto: 12,
  inet_service: 13,
  icmp_type: 14,
  tcp_flag: 15,
  dccp_pkttype: 16,
  mh_type: 17,
  time: 18,
  mark: 19,
  iface_index: 20,
  iface_type: 21,
  realm: 22,
  classid: 23,
  uid: 24,
  gid: 25,
  ct_state: 26,
  ct_dir: 27,
  ct_status: 28,
  icmp6_type: 29,
  ct_label: 30,
  pkt_type: 31,
  icmp_code: 32,
  icmpv6_code: 33,
  icmpx_code: 34,
  devgroup: 35,
  dscp: 36,
  ecn: 37,
  fib_addr: 38,
  boolean: 39,
  ct_event: 40,
  ifname: 41,
  igmp_type: 42,
  time_date: 43,
  time_hour: 44,
  time_day: 45,
  cgroupv2: 46,
} as const;
/** Bits per field when nft packs a concatenated key type (TYPE_BITS in nft's datatype.h). */
export const CONCAT_TYPE_BITS = 6;

/** Errno names for the codes the kernel returns on this path. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM',
  2: 'ENOENT',
  4: 'EINTR',
  7: 'E2BIG',
  9: 'EBADF',
  11: 'EAGAIN',
  12: 'ENOMEM',
  13: 'EACCES',
  16: 'EBUSY',
  17: 'EEXIST',
  19: 'ENODEV',
  22: 'EINVAL',
  23: 'ENFILE',
  24: 'EMFILE',
  28: 'ENOSPC',
  31: 'EMLINK',
  34: 'ERANGE',
  40: 'ELOOP',
  61: 'ENODATA',
  71: 'EPROTO',
  75: 'EOVERFLOW',
  85: 'ERESTART',
  90: 'EMSGSIZE',
  93: 'EPROTONOSUPPORT',
  95: 'EOPNOTSUPP',
  97: 'EAFNOSUPPORT',
  105: 'ENOBUFS',
  110: 'ETIMEDOUT',
  122: 'EDQUOT',
  125: 'ECANCELED',
};
export const errnoName = (errno: number): string => ERRNO_NAMES[errno] ?? `E${errno}`;

/**
 * Limits of the kernel and of netlink that every descriptor is checked against before it is
 * encoded (lib/validate.ts checkOpDesc/checkDumpRequest; native/encode.cc checks them again).
 */
export const LIMITS = {
  /** Table, chain, set, object names and name references: NFT_NAME_MAXLEN (256) incl. the NUL. */
  name: 255,
  /** NFTA_*_USERDATA of tables, chains, rules, sets, objects and elements: NFT_USERDATA_MAXLEN. */
  userdata: 256,
  /**
   * NFTA_SET_ELEM_USERDATA: the kernel keeps 1 + length in a u8 extension length, so 255 bytes are
   * refused (EINVAL) and 256 are accepted but not kept (verified on Linux 6.18): 254 is the most.
   */
  elementUserdata: 254,
  /** Expressions per rule: NFT_RULE_MAXEXPRS (nf_tables_api.c). */
  ruleExprs: 128,
  /** Expressions per set element, set template or dynset: NFT_SET_EXPR_MAX. */
  setExprs: 2,
  /** Devices per netdev/inet-ingress chain: NFT_NETDEVICE_MAX (256, capped before Linux 6.4; 255 usable). */
  chainDevices: 255,
  /** Interface names: IFNAMSIZ - 1. */
  ifname: 15,
  /** Keys, data and expression byte values: NFT_DATA_VALUE_MAXLEN. */
  data: 64,
  /** Fields of a concatenated key: NFT_REG32_COUNT. */
  concatFields: 16,
  /** String attributes of expressions (set and chain names, log prefixes). */
  exprString: 255,
  /** Keys of one element get (dumpElements with keys): one request, one 16-bit nest. */
  getKeys: 256,
} as const;
