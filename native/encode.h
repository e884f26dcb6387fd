// SPDX-License-Identifier: GPL-2.0-or-later
// Batch encoder: OpSpec list -> libnftnl objects -> one contiguous netlink batch.
#ifndef NATIVE_ENCODE_H_
#define NATIVE_ENCODE_H_

#include <string>

#include "spec.h"

struct nftnl_expr;

namespace nftjs {

// Encodes the whole batch (BEGIN, every message, END with NLM_F_ACK). Returns false with a
// message naming the operation when a descriptor cannot be encoded.
bool EncodeBatch(const BatchSpec& batch, uint32_t first_seq, EncodedBatch* out, std::string* error);

// Builds one libnftnl expression (nested ones included). Returns nullptr with a message on failure.
struct nftnl_expr* BuildExpr(const ExprSpec& spec, std::string* error);

}  // namespace nftjs

#endif  // NATIVE_ENCODE_H_
