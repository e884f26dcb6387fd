// SPDX-License-Identifier: GPL-2.0-or-later
// The packed batch (lib/packed.ts): rule operations and their expressions in one buffer,
// walked here into OpSpecs with no N-API property reads. Other operations stay descriptors.
#ifndef NATIVE_PACKED_H_
#define NATIVE_PACKED_H_

#include <napi.h>

#include <string>

#include "spec.h"

namespace nftjs {

// A batch as it arrives from JS: the descriptor operations (converted), plus the packed
// buffer (copied) that says where rules go between them. Expanded off the event loop.
struct PendingBatch {
  BatchSpec descs;
  Bytes packed;
  bool has_packed = false;
};

// Reads { ops, genid?, packed? } (packed: a Uint8Array from lib/packed.ts). Throws a TypeError
// and returns false on a malformed batch.
bool ToPendingBatch(Napi::Env env, Napi::Value value, PendingBatch* out);

// Turns the packed buffer and the descriptors into one BatchSpec in operation order. No
// napi.h use: safe on a libuv thread. False with a message naming the operation on a bad buffer.
bool ExpandPacked(PendingBatch&& in, BatchSpec* out, std::string* error);

// Encodes a pending batch as EncodeBatch does its expansion, reading each packed rule into one
// reused OpSpec just before it is encoded (no BatchSpec of every rule). No napi.h use.
bool EncodePending(PendingBatch&& in, uint32_t first_seq, EncodedBatch* out, std::string* error);

// encodeExprs(packed): a rule's expressions, packed by lib/packed.ts (u16 count, exprs), encoded
// once as the NFTA_RULE_EXPRESSIONS attribute a commit sends (prepareRule caches it). TypeError
// on a malformed list, with the commit's message.
Napi::Value EncodeExprsJs(const Napi::CallbackInfo& info);

// unpack(batch) for tests: the operations of a (packed) batch as descriptor objects, read back
// from the C++ structs (what the encoder will see).
Napi::Value UnpackJs(const Napi::CallbackInfo& info);

}  // namespace nftjs

#endif  // NATIVE_PACKED_H_
