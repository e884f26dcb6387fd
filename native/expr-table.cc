// SPDX-License-Identifier: GPL-2.0-or-later
#include "expr-table.h"

#include <libnftnl/expr.h>
#include <libnftnl/object.h>

namespace nftjs {

namespace {
constexpr Kind U8 = Kind::kU8, U16 = Kind::kU16, U32 = Kind::kU32, I32 = Kind::kI32,
               U64 = Kind::kU64, STR = Kind::kStr, BYTES = Kind::kBytes, EXPRS = Kind::kExprs;
}  // namespace

const std::vector<ExprDef>& ExprTable() {
  static const std::vector<ExprDef> table = {
      {"payload",
       {{"dreg", NFTNL_EXPR_PAYLOAD_DREG, U32},
        {"base", NFTNL_EXPR_PAYLOAD_BASE, U32},
        {"offset", NFTNL_EXPR_PAYLOAD_OFFSET, U32},
        {"len", NFTNL_EXPR_PAYLOAD_LEN, U32},
        {"sreg", NFTNL_EXPR_PAYLOAD_SREG, U32},
        {"csumType", NFTNL_EXPR_PAYLOAD_CSUM_TYPE, U32},
        {"csumOffset", NFTNL_EXPR_PAYLOAD_CSUM_OFFSET, U32},
        {"flags", NFTNL_EXPR_PAYLOAD_FLAGS, U32}}},
      {"meta", {{"key", NFTNL_EXPR_META_KEY, U32}, {"dreg", NFTNL_EXPR_META_DREG, U32}, {"sreg", NFTNL_EXPR_META_SREG, U32}}},
      {"cmp", {{"sreg", NFTNL_EXPR_CMP_SREG, U32}, {"op", NFTNL_EXPR_CMP_OP, U32}, {"data", NFTNL_EXPR_CMP_DATA, BYTES}}},
      {"range",
       {{"sreg", NFTNL_EXPR_RANGE_SREG, U32},
        {"op", NFTNL_EXPR_RANGE_OP, U32},
        {"fromData", NFTNL_EXPR_RANGE_FROM_DATA, BYTES},
        {"toData", NFTNL_EXPR_RANGE_TO_DATA, BYTES}}},
      {"bitwise",
       {{"sreg", NFTNL_EXPR_BITWISE_SREG, U32},
        {"dreg", NFTNL_EXPR_BITWISE_DREG, U32},
        {"len", NFTNL_EXPR_BITWISE_LEN, U32},
        {"mask", NFTNL_EXPR_BITWISE_MASK, BYTES},
        {"xor", NFTNL_EXPR_BITWISE_XOR, BYTES},
        {"op", NFTNL_EXPR_BITWISE_OP, U32},
        {"data", NFTNL_EXPR_BITWISE_DATA, BYTES}}},
      {"immediate",
       {{"dreg", NFTNL_EXPR_IMM_DREG, U32},
        {"data", NFTNL_EXPR_IMM_DATA, BYTES},
        {"verdict", NFTNL_EXPR_IMM_VERDICT, I32},
        {"chain", NFTNL_EXPR_IMM_CHAIN, STR},
        {"chainId", NFTNL_EXPR_IMM_CHAIN_ID, U32}}},
      {"counter", {{"packets", NFTNL_EXPR_CTR_PACKETS, U64}, {"bytes", NFTNL_EXPR_CTR_BYTES, U64}}},
      {"ct",
       {{"dreg", NFTNL_EXPR_CT_DREG, U32},
        {"key", NFTNL_EXPR_CT_KEY, U32},
        {"dir", NFTNL_EXPR_CT_DIR, U8},
        {"sreg", NFTNL_EXPR_CT_SREG, U32}}},
      {"limit",
       {{"rate", NFTNL_EXPR_LIMIT_RATE, U64},
        {"unit", NFTNL_EXPR_LIMIT_UNIT, U64},
        {"burst", NFTNL_EXPR_LIMIT_BURST, U32},
        {"limitType", NFTNL_EXPR_LIMIT_TYPE, U32},
        {"flags", NFTNL_EXPR_LIMIT_FLAGS, U32}}},
      {"log",
       {{"prefix", NFTNL_EXPR_LOG_PREFIX, STR},
        {"group", NFTNL_EXPR_LOG_GROUP, U16},
        {"snaplen", NFTNL_EXPR_LOG_SNAPLEN, U32},
        {"qthreshold", NFTNL_EXPR_LOG_QTHRESHOLD, U16},
        {"level", NFTNL_EXPR_LOG_LEVEL, U32},
        {"flags", NFTNL_EXPR_LOG_FLAGS, U32}}},
      {"reject", {{"rejectType", NFTNL_EXPR_REJECT_TYPE, U32}, {"code", NFTNL_EXPR_REJECT_CODE, U8}}},
      {"nat",
       {{"natType", NFTNL_EXPR_NAT_TYPE, U32},
        {"family", NFTNL_EXPR_NAT_FAMILY, U32},
        {"regAddrMin", NFTNL_EXPR_NAT_REG_ADDR_MIN, U32},
        {"regAddrMax", NFTNL_EXPR_NAT_REG_ADDR_MAX, U32},
        {"regProtoMin", NFTNL_EXPR_NAT_REG_PROTO_MIN, U32},
        {"regProtoMax", NFTNL_EXPR_NAT_REG_PROTO_MAX, U32},
        {"flags", NFTNL_EXPR_NAT_FLAGS, U32}}},
      {"masq",
       {{"flags", NFTNL_EXPR_MASQ_FLAGS, U32},
        {"regProtoMin", NFTNL_EXPR_MASQ_REG_PROTO_MIN, U32},
        {"regProtoMax", NFTNL_EXPR_MASQ_REG_PROTO_MAX, U32}}},
      {"redir",
       {{"regProtoMin", NFTNL_EXPR_REDIR_REG_PROTO_MIN, U32},
        {"regProtoMax", NFTNL_EXPR_REDIR_REG_PROTO_MAX, U32},
        {"flags", NFTNL_EXPR_REDIR_FLAGS, U32}}},
      {"lookup",
       {{"sreg", NFTNL_EXPR_LOOKUP_SREG, U32},
        {"dreg", NFTNL_EXPR_LOOKUP_DREG, U32},
        {"set", NFTNL_EXPR_LOOKUP_SET, STR},
        {"setId", NFTNL_EXPR_LOOKUP_SET_ID, U32},
        {"flags", NFTNL_EXPR_LOOKUP_FLAGS, U32}}},
      {"dynset",
       {{"sregKey", NFTNL_EXPR_DYNSET_SREG_KEY, U32},
        {"sregData", NFTNL_EXPR_DYNSET_SREG_DATA, U32},
        {"op", NFTNL_EXPR_DYNSET_OP, U32},
        {"timeout", NFTNL_EXPR_DYNSET_TIMEOUT, U64},
        {"set", NFTNL_EXPR_DYNSET_SET_NAME, STR},
        {"setId", NFTNL_EXPR_DYNSET_SET_ID, U32},
        {"flags", NFTNL_EXPR_DYNSET_FLAGS, U32},
        {"exprs", NFTNL_EXPR_DYNSET_EXPRESSIONS, EXPRS}}},
      {"exthdr",
       {{"dreg", NFTNL_EXPR_EXTHDR_DREG, U32},
        {"exthdrType", NFTNL_EXPR_EXTHDR_TYPE, U8},
        {"offset", NFTNL_EXPR_EXTHDR_OFFSET, U32},
        {"len", NFTNL_EXPR_EXTHDR_LEN, U32},
        {"flags", NFTNL_EXPR_EXTHDR_FLAGS, U32},
        {"op", NFTNL_EXPR_EXTHDR_OP, U32},
        {"sreg", NFTNL_EXPR_EXTHDR_SREG, U32}}},
      {"fib", {{"dreg", NFTNL_EXPR_FIB_DREG, U32}, {"result", NFTNL_EXPR_FIB_RESULT, U32}, {"flags", NFTNL_EXPR_FIB_FLAGS, U32}}},
      {"objref",
       {{"immType", NFTNL_EXPR_OBJREF_IMM_TYPE, U32},
        {"immName", NFTNL_EXPR_OBJREF_IMM_NAME, STR},
        {"setSreg", NFTNL_EXPR_OBJREF_SET_SREG, U32},
        {"setName", NFTNL_EXPR_OBJREF_SET_NAME, STR},
        {"setId", NFTNL_EXPR_OBJREF_SET_ID, U32}}},
      {"quota", {{"bytes", NFTNL_EXPR_QUOTA_BYTES, U64}, {"flags", NFTNL_EXPR_QUOTA_FLAGS, U32}, {"consumed", NFTNL_EXPR_QUOTA_CONSUMED, U64}}},
      {"connlimit", {{"count", NFTNL_EXPR_CONNLIMIT_COUNT, U32}, {"flags", NFTNL_EXPR_CONNLIMIT_FLAGS, U32}}},
      {"notrack", {}},
      {"byteorder",
       {{"dreg", NFTNL_EXPR_BYTEORDER_DREG, U32},
        {"sreg", NFTNL_EXPR_BYTEORDER_SREG, U32},
        {"op", NFTNL_EXPR_BYTEORDER_OP, U32},
        {"len", NFTNL_EXPR_BYTEORDER_LEN, U32},
        {"size", NFTNL_EXPR_BYTEORDER_SIZE, U32}}},
      {"queue",
       {{"num", NFTNL_EXPR_QUEUE_NUM, U16},
        {"total", NFTNL_EXPR_QUEUE_TOTAL, U16},
        {"flags", NFTNL_EXPR_QUEUE_FLAGS, U16},
        {"sregQnum", NFTNL_EXPR_QUEUE_SREG_QNUM, U32}}},
      {"rt", {{"key", NFTNL_EXPR_RT_KEY, U32}, {"dreg", NFTNL_EXPR_RT_DREG, U32}}},
      {"numgen",
       {{"dreg", NFTNL_EXPR_NG_DREG, U32},
        {"modulus", NFTNL_EXPR_NG_MODULUS, U32},
        {"numgenType", NFTNL_EXPR_NG_TYPE, U32},
        {"offset", NFTNL_EXPR_NG_OFFSET, U32}}},
      {"hash",
       {{"sreg", NFTNL_EXPR_HASH_SREG, U32},
        {"dreg", NFTNL_EXPR_HASH_DREG, U32},
        {"len", NFTNL_EXPR_HASH_LEN, U32},
        {"modulus", NFTNL_EXPR_HASH_MODULUS, U32},
        {"seed", NFTNL_EXPR_HASH_SEED, U32},
        {"offset", NFTNL_EXPR_HASH_OFFSET, U32},
        {"hashType", NFTNL_EXPR_HASH_TYPE, U32}}},
      {"socket", {{"key", NFTNL_EXPR_SOCKET_KEY, U32}, {"dreg", NFTNL_EXPR_SOCKET_DREG, U32}, {"level", NFTNL_EXPR_SOCKET_LEVEL, U32}}},
      {"tproxy",
       {{"family", NFTNL_EXPR_TPROXY_FAMILY, U32},
        {"regAddr", NFTNL_EXPR_TPROXY_REG_ADDR, U32},
        {"regPort", NFTNL_EXPR_TPROXY_REG_PORT, U32}}},
      {"synproxy",
       {{"mss", NFTNL_EXPR_SYNPROXY_MSS, U16}, {"wscale", NFTNL_EXPR_SYNPROXY_WSCALE, U8}, {"flags", NFTNL_EXPR_SYNPROXY_FLAGS, U32}}},
      {"osf", {{"dreg", NFTNL_EXPR_OSF_DREG, U32}, {"ttl", NFTNL_EXPR_OSF_TTL, U8}, {"flags", NFTNL_EXPR_OSF_FLAGS, U32}}},
      {"dup", {{"sregAddr", NFTNL_EXPR_DUP_SREG_ADDR, U32}, {"sregDev", NFTNL_EXPR_DUP_SREG_DEV, U32}}},
      {"fwd",
       {{"sregDev", NFTNL_EXPR_FWD_SREG_DEV, U32},
        {"sregAddr", NFTNL_EXPR_FWD_SREG_ADDR, U32},
        {"nfproto", NFTNL_EXPR_FWD_NFPROTO, U32}}},
      {"last", {{"msecs", NFTNL_EXPR_LAST_MSECS, U64}, {"set", NFTNL_EXPR_LAST_SET, U32}}},
      // ipsec (NFTA_XFRM_*): NFTNL_EXPR_XFRM_SREG exists in the header but libnftnl never sets it.
      {"xfrm",
       {{"dreg", NFTNL_EXPR_XFRM_DREG, U32},
        {"key", NFTNL_EXPR_XFRM_KEY, U32},
        {"dir", NFTNL_EXPR_XFRM_DIR, U8},
        {"spnum", NFTNL_EXPR_XFRM_SPNUM, U32}}},
      // `flow add @ft` (NFTA_FLOW_TABLE_NAME)
      {"flow_offload", {{"tableName", NFTNL_EXPR_FLOW_TABLE_NAME, STR}}},
  };
  return table;
}

const ExprDef* FindExpr(const std::string& name) {
  for (const ExprDef& def : ExprTable()) {
    if (name == def.name) return &def;
  }
  return nullptr;
}

const AttrDef* FindAttr(const ExprDef& def, const std::string& name) {
  for (const AttrDef& attr : def.attrs) {
    if (name == attr.name) return &attr;
  }
  return nullptr;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kU8: return "u8";
    case Kind::kU16: return "u16";
    case Kind::kU32: return "u32";
    case Kind::kI32: return "i32";
    case Kind::kU64: return "u64";
    case Kind::kStr: return "str";
    case Kind::kBytes: return "bytes";
    case Kind::kExprs: return "exprs";
  }
  return "?";
}

const ObjDef* FindObj(uint32_t type) {
  static const std::vector<ObjDef> objs = {
      {1, "counter", {{"packets", NFTNL_OBJ_CTR_PKTS, U64}, {"bytes", NFTNL_OBJ_CTR_BYTES, U64}}},
      {2, "quota", {{"bytes", NFTNL_OBJ_QUOTA_BYTES, U64}, {"consumed", NFTNL_OBJ_QUOTA_CONSUMED, U64}, {"flags", NFTNL_OBJ_QUOTA_FLAGS, U32}}},
      {4, "limit",
       {{"rate", NFTNL_OBJ_LIMIT_RATE, U64},
        {"unit", NFTNL_OBJ_LIMIT_UNIT, U64},
        {"burst", NFTNL_OBJ_LIMIT_BURST, U32},
        {"type", NFTNL_OBJ_LIMIT_TYPE, U32},
        {"flags", NFTNL_OBJ_LIMIT_FLAGS, U32}}},
      {3, "ct helper",
       {{"name", NFTNL_OBJ_CT_HELPER_NAME, STR}, {"l3proto", NFTNL_OBJ_CT_HELPER_L3PROTO, U16}, {"l4proto", NFTNL_OBJ_CT_HELPER_L4PROTO, U8}}},
      // timeouts: NFTNL_CTTIMEOUT_ARRAY_MAX host-order u32 seconds, indexed by the l4proto's states.
      {7, "ct timeout",
       {{"l3proto", NFTNL_OBJ_CT_TIMEOUT_L3PROTO, U16}, {"l4proto", NFTNL_OBJ_CT_TIMEOUT_L4PROTO, U8}, {"timeouts", NFTNL_OBJ_CT_TIMEOUT_ARRAY, BYTES}}},
      {8, "secmark", {{"context", NFTNL_OBJ_SECMARK_CTX, STR}}},
      {9, "ct expectation",
       {{"l3proto", NFTNL_OBJ_CT_EXPECT_L3PROTO, U16},
        {"l4proto", NFTNL_OBJ_CT_EXPECT_L4PROTO, U8},
        {"dport", NFTNL_OBJ_CT_EXPECT_DPORT, U16},
        {"timeout", NFTNL_OBJ_CT_EXPECT_TIMEOUT, U32},
        {"size", NFTNL_OBJ_CT_EXPECT_SIZE, U8}}},
      {10, "synproxy", {{"mss", NFTNL_OBJ_SYNPROXY_MSS, U16}, {"wscale", NFTNL_OBJ_SYNPROXY_WSCALE, U8}, {"flags", NFTNL_OBJ_SYNPROXY_FLAGS, U32}}},
  };
  for (const ObjDef& def : objs) {
    if (def.type == type) return &def;
  }
  return nullptr;
}

}  // namespace nftjs
