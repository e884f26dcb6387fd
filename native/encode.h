// SPDX-License-Identifier: GPL-2.0-or-later
// Batch encoder: OpSpec list -> libnftnl objects -> one contiguous netlink batch.
#ifndef NATIVE_ENCODE_H_
#define NATIVE_ENCODE_H_

#include <cstddef>
#include <functional>
#include <string>

#include "spec.h"

struct nftnl_expr;

namespace nftjs {

// Encodes the whole batch (BEGIN, every message, END with NLM_F_ACK). Returns false with a
// message naming the operation when a descriptor cannot be encoded.
bool EncodeBatch(const BatchSpec& batch, uint32_t first_seq, EncodedBatch* out, std::string* error);

// Supplies operation i of a batch, in order (i = 0, 1, ...); the pointer stays valid until the
// next call. False with a message when the operation cannot be read.
using OpSource = std::function<bool(size_t i, const OpSpec** op, std::string* error)>;

// The same as EncodeBatch for `count` operations that come one at a time from `next` (the
// packed batch reads each rule into one reused OpSpec: no OpSpec per rule is kept).
bool EncodeOps(size_t count, uint32_t genid, bool ack_end, const OpSource& next, uint32_t first_seq, EncodedBatch* out,
               std::string* error);

// Builds one libnftnl expression (nested ones included). Returns nullptr with a message on failure.
struct nftnl_expr* BuildExpr(const ExprSpec& spec, std::string* error);

// Encodes a rule's expressions once, as EncodeRule would send them: the whole
// NFTA_RULE_EXPRESSIONS attribute (header included), for OpSpec::wire_exprs. False with a
// message when an expression cannot be built or the list is too long.
bool EncodeRuleExprs(const std::vector<ExprSpec>& exprs, Bytes* out, std::string* error);

// Checks bytes meant for OpSpec::wire_exprs: exactly one NFTA_RULE_EXPRESSIONS attribute whose
// payload is a well-formed list of NFTA_LIST_ELEM attributes, at most NFT_RULE_MAXEXPRS of them.
bool CheckWireExprs(const Bytes& wire, std::string* error);

}  // namespace nftjs

#endif  // NATIVE_ENCODE_H_
