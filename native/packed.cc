// SPDX-License-Identifier: GPL-2.0-or-later
#include "packed.h"

#include <algorithm>
#include <cstring>

#include "convert.h"
#include "encode.h"
#include "expr-table.h"

namespace nftjs {

namespace {

constexpr uint32_t kMagic = 0x5054464e;  // "NFTP", little-endian
constexpr uint8_t kVersion = 1;
constexpr uint32_t kMaxRecords = 1u << 22;  // as convert.cc's operations per batch
constexpr uint8_t kHandle = 1, kPosition = 2, kEcho = 4, kUserdata = 8, kExprs = 16, kChainId = 32, kWireExprs = 64;
constexpr size_t kMaxPacked = size_t{1} << 31;

// Bounded little-endian reader over the packed buffer: every read checks the remaining length.
class Cursor {
 public:
  Cursor(const uint8_t* p, size_t n) : p_(p), end_(p + n) {}
  bool U8(uint8_t* v) {
    if (end_ - p_ < 1) return false;
    *v = *p_++;
    return true;
  }
  bool U16(uint16_t* v) {
    if (end_ - p_ < 2) return false;
    *v = static_cast<uint16_t>(p_[0] | (p_[1] << 8));
    p_ += 2;
    return true;
  }
  bool U32(uint32_t* v) {
    if (end_ - p_ < 4) return false;
    *v = static_cast<uint32_t>(p_[0]) | (static_cast<uint32_t>(p_[1]) << 8) | (static_cast<uint32_t>(p_[2]) << 16) |
         (static_cast<uint32_t>(p_[3]) << 24);
    p_ += 4;
    return true;
  }
  bool U64(uint64_t* v) {
    uint32_t lo = 0, hi = 0;
    if (!U32(&lo) || !U32(&hi)) return false;
    *v = (static_cast<uint64_t>(hi) << 32) | lo;
    return true;
  }
  bool Raw(size_t n, const uint8_t** at) {
    if (static_cast<size_t>(end_ - p_) < n) return false;
    *at = p_;
    p_ += n;
    return true;
  }
  bool Str(std::string* out) {
    uint16_t n = 0;
    const uint8_t* at = nullptr;
    if (!U16(&n) || !Raw(n, &at)) return false;
    out->assign(reinterpret_cast<const char*>(at), n);
    return true;
  }
  bool Done() const { return p_ == end_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

bool Bad(std::string* error, const std::string& where, const std::string& what) {
  *error = where + ": " + what + " (a packed batch is written by lib/packed.ts only)";
  return false;
}

// `where` is built only when something is wrong (a string per attribute would cost more than the walk).
std::string OpWhere(uint32_t op) { return "ops[" + std::to_string(op) + "]"; }

bool ReadExprs(Cursor& c, uint32_t op_index, int depth, std::vector<ExprSpec>* out, std::string* error) {
  const auto where = [&]() { return OpWhere(op_index) + ".exprs"; };
  uint16_t n = 0;
  if (!c.U16(&n)) return Bad(error, where(), "truncated expression list");
  const std::vector<ExprDef>& table = ExprTable();
  // Reserve from what the buffer says only up to a small bound: a damaged count must not size
  // memory (the list then grows as its entries really arrive).
  out->reserve(std::min<uint16_t>(n, 256));
  for (uint16_t i = 0; i < n; i++) {
    uint8_t type = 0, count = 0;
    if (!c.U8(&type) || !c.U8(&count)) return Bad(error, where(), "truncated expression");
    if (type >= table.size()) return Bad(error, where(), "unknown expression id " + std::to_string(type));
    const ExprDef& def = table[type];
    out->emplace_back();
    ExprSpec& spec = out->back();
    spec.type = def.name;
    spec.attrs.reserve(count);
    for (uint8_t k = 0; k < count; k++) {
      uint8_t id = 0;
      if (!c.U8(&id)) return Bad(error, where(), "truncated attribute");
      if (id >= def.attrs.size()) return Bad(error, where(), std::string("unknown attribute id ") + std::to_string(id) + " of " + def.name);
      const AttrDef& attr = def.attrs[id];
      spec.attrs.emplace_back();
      AttrValue& a = spec.attrs.back();
      a.def = &attr;
      const auto field = [&]() { return where() + " (" + def.name + "." + attr.name + ")"; };
      switch (attr.kind) {
        case Kind::kU8:
        case Kind::kU16:
        case Kind::kU32:
        case Kind::kI32: {
          uint32_t v = 0;
          if (!c.U32(&v)) return Bad(error, field(), "truncated value");
          if ((attr.kind == Kind::kU8 && v > 0xff) || (attr.kind == Kind::kU16 && v > 0xffff)) {
            return Bad(error, field(), "value out of range " + std::to_string(v));
          }
          a.num = v;
          break;
        }
        case Kind::kU64:
          if (!c.U64(&a.num)) return Bad(error, field(), "truncated value");
          break;
        case Kind::kStr:
          if (!c.Str(&a.str)) return Bad(error, field(), "truncated string");
          if (a.str.find('\0') != std::string::npos) return Bad(error, field(), "a string with a NUL byte");
          break;
        case Kind::kBytes: {
          uint8_t len = 0;
          const uint8_t* at = nullptr;
          if (!c.U8(&len) || !c.Raw(len, &at)) return Bad(error, field(), "truncated data");
          if (len == 0 || len > 64) return Bad(error, field(), "data of " + std::to_string(len) + " bytes (1-64 expected)");
          a.bytes.assign(at, at + len);
          break;
        }
        case Kind::kExprs:
          if (depth >= 2) return Bad(error, field(), "expressions nested more than 2 levels");
          if (!ReadExprs(c, op_index, depth + 1, &a.exprs, error)) return false;
          break;
      }
    }
  }
  return true;
}

bool ReadRule(Cursor& c, uint32_t op_index, OpSpec* op, std::string* error) {
  uint8_t verb = 0, flags = 0, family = 0;
  if (!c.U8(&verb) || !c.U8(&flags) || !c.U8(&family)) return Bad(error, OpWhere(op_index), "truncated rule");
  if (verb > static_cast<uint8_t>(Verb::kFlush)) return Bad(error, OpWhere(op_index), "unknown verb " + std::to_string(verb));
  op->obj = ObjKind::kRule;
  op->verb = static_cast<Verb>(verb);
  op->family = family;
  if (!c.Str(&op->table) || !c.Str(&op->chain)) return Bad(error, OpWhere(op_index), "truncated table or chain name");
  if (op->table.find('\0') != std::string::npos || op->chain.find('\0') != std::string::npos) {
    return Bad(error, OpWhere(op_index), "a name with a NUL byte");
  }
  if (flags & kHandle) {
    uint64_t v = 0;
    if (!c.U64(&v)) return Bad(error, OpWhere(op_index), "truncated handle");
    op->handle = v;
  }
  if (flags & kPosition) {
    uint64_t v = 0;
    if (!c.U64(&v)) return Bad(error, OpWhere(op_index), "truncated position");
    op->position = v;
  }
  if (flags & kChainId) {
    uint32_t v = 0;
    if (!c.U32(&v)) return Bad(error, OpWhere(op_index), "truncated chain id");
    op->id = v;
  }
  op->echo = (flags & kEcho) != 0;
  if (flags & kUserdata) {
    uint16_t n = 0;
    const uint8_t* at = nullptr;
    if (!c.U16(&n) || !c.Raw(n, &at)) return Bad(error, OpWhere(op_index), "truncated userdata");
    if (n > 0) op->userdata = Bytes(at, at + n);
  }
  if ((flags & kExprs) && (flags & kWireExprs)) return Bad(error, OpWhere(op_index), "both expressions and encoded expressions");
  if (flags & kExprs) {
    op->has_exprs = true;
    if (!ReadExprs(c, op_index, 0, &op->exprs, error)) return false;
  }
  if (flags & kWireExprs) {
    uint32_t n = 0;
    const uint8_t* at = nullptr;
    if (!c.U32(&n) || n > 0xffff || !c.Raw(n, &at)) return Bad(error, OpWhere(op_index), "truncated encoded expressions");
    op->wire_exprs.assign(at, at + n);  // checked by the encoder (CheckWireExprs)
  }
  return true;
}

}  // namespace

bool ToPendingBatch(Napi::Env env, Napi::Value value, PendingBatch* out) {
  if (!ToBatchSpec(env, value, &out->descs)) return false;
  Napi::Value v;
  if (!ReadProperty(env, value.As<Napi::Object>(), "packed", &v)) return false;
  if (v.IsUndefined() || v.IsNull()) return true;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowTypeError(env, "Expected a Uint8Array (lib/packed.ts) for batch.packed");
  }
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  if (a.ElementLength() < 12 || a.ElementLength() > kMaxPacked) return ThrowRangeError(env, "Expected a packed batch of 12 bytes to 2 GiB for batch.packed");
  out->packed.assign(a.Data(), a.Data() + a.ElementLength());
  out->has_packed = true;
  return true;
}

namespace {

// Walks a pending batch's records in operation order: a descriptor record yields the next
// converted descriptor, a rule record is read into `scratch` (the caller's reused OpSpec).
class RecordWalker {
 public:
  explicit RecordWalker(PendingBatch& in) : in_(in), c_(in.packed.data(), in.packed.size()) {}

  // Reads the header. False with a message on a damaged one.
  bool Begin(std::string* error) {
    uint32_t magic = 0;
    uint8_t version = 0, pad8 = 0;
    uint16_t pad16 = 0;
    if (!c_.U32(&magic) || !c_.U8(&version) || !c_.U8(&pad8) || !c_.U16(&pad16) || !c_.U32(&records_) || magic != kMagic) {
      return Bad(error, "batch.packed", "not a packed batch");
    }
    if (version != kVersion) return Bad(error, "batch.packed", "version " + std::to_string(version) + " (this addon reads 1)");
    if (records_ > kMaxRecords) return Bad(error, "batch.packed", "more than " + std::to_string(kMaxRecords) + " operations");
    // Each record takes at least one byte: the count cannot ask for more than the buffer holds.
    if (records_ > in_.packed.size()) return Bad(error, "batch.packed", "record count beyond the buffer");
    return true;
  }

  uint32_t records() const { return records_; }

  // Record i (called for i = 0, 1, ... records() - 1). A rule is read into *scratch, reset first
  // (its expression list keeps its capacity); a descriptor is handed out in place.
  bool Next(uint32_t i, OpSpec* scratch, OpSpec** op, std::string* error) {
    uint8_t kind = 0;
    if (!c_.U8(&kind)) return Bad(error, OpWhere(i), "truncated record");
    if (kind == 0) {
      if (next_desc_ >= in_.descs.ops.size()) return Bad(error, OpWhere(i), "more descriptor records than descriptors");
      *op = &in_.descs.ops[next_desc_++];
      return true;
    }
    if (kind != 1) return Bad(error, OpWhere(i), "unknown record kind " + std::to_string(kind));
    // Reset, keeping the buffers' capacity for the next rule.
    std::vector<ExprSpec> exprs = std::move(scratch->exprs);
    Bytes wire = std::move(scratch->wire_exprs);
    exprs.clear();
    wire.clear();
    *scratch = OpSpec();
    scratch->exprs = std::move(exprs);
    scratch->wire_exprs = std::move(wire);
    if (!ReadRule(c_, i, scratch, error)) return false;
    *op = scratch;
    return true;
  }

  // After the last record: every descriptor used and every byte read.
  bool End(std::string* error) const {
    if (next_desc_ != in_.descs.ops.size()) return Bad(error, "batch.packed", "fewer descriptor records than descriptors");
    if (!c_.Done()) return Bad(error, "batch.packed", "bytes after the last record");
    return true;
  }

 private:
  PendingBatch& in_;
  Cursor c_;
  uint32_t records_ = 0;
  size_t next_desc_ = 0;
};

}  // namespace

bool ExpandPacked(PendingBatch&& in, BatchSpec* out, std::string* error) {
  if (!in.has_packed) {
    *out = std::move(in.descs);
    return true;
  }
  out->genid = in.descs.genid;
  out->ack_end = in.descs.ack_end;
  RecordWalker walk(in);
  if (!walk.Begin(error)) return false;
  out->ops.clear();
  out->ops.reserve(std::min<uint32_t>(walk.records(), 4096));
  OpSpec scratch;
  for (uint32_t i = 0; i < walk.records(); i++) {
    OpSpec* op = nullptr;
    if (!walk.Next(i, &scratch, &op, error)) return false;
    out->ops.push_back(std::move(*op));
  }
  return walk.End(error);
}

bool EncodePending(PendingBatch&& in, uint32_t first_seq, EncodedBatch* out, std::string* error) {
  if (!in.has_packed) return EncodeBatch(in.descs, first_seq, out, error);
  RecordWalker walk(in);
  if (!walk.Begin(error)) return false;
  // One OpSpec for every rule of the batch, reused: a 10,000-rule batch expanded into OpSpecs
  // first held ~10 MB of them, walked out of cache (4-5 us per rule against ~1.2 at 1,000).
  OpSpec scratch;
  const OpSource next = [&walk, &scratch](size_t i, const OpSpec** op, std::string* err) {
    OpSpec* got = nullptr;
    if (!walk.Next(static_cast<uint32_t>(i), &scratch, &got, err)) return false;
    *op = got;
    return true;
  };
  if (!EncodeOps(walk.records(), in.descs.genid, in.descs.ack_end, next, first_seq, out, error)) return false;
  return walk.End(error);
}

Napi::Value EncodeExprsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    Napi::TypeError::New(env, "Expected a Uint8Array of packed expressions (lib/packed.ts)").ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array a = info[0].As<Napi::Uint8Array>();
  Cursor c(a.Data(), a.ElementLength());
  std::vector<ExprSpec> exprs;
  Bytes wire;
  std::string error;
  if (!ReadExprs(c, 0, 0, &exprs, &error) || (!c.Done() && !Bad(&error, "exprs", "bytes after the expression list")) ||
      !EncodeRuleExprs(exprs, &wire, &error)) {
    Napi::TypeError::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  Napi::Uint8Array out = Napi::Uint8Array::New(env, wire.size());
  if (out.IsEmpty() || env.IsExceptionPending()) return Napi::Value();  // the engine refused the allocation
  memcpy(out.Data(), wire.data(), wire.size());
  return out;
}

Napi::Value UnpackJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PendingBatch pending;
  if (!ToPendingBatch(env, info[0], &pending)) return env.Null();
  BatchSpec spec;
  std::string error;
  if (!ExpandPacked(std::move(pending), &spec, &error)) {
    Napi::TypeError::New(env, error).ThrowAsJavaScriptException();
    return env.Null();
  }
  static const char* const kObj[] = {"table", "chain", "rule", "set", "elements", "obj"};
  static const char* const kVerb[] = {"add", "create", "insert", "replace", "delete", "destroy", "flush"};
  Napi::Array ops = Napi::Array::New(env, spec.ops.size());
  for (size_t i = 0; i < spec.ops.size(); i++) {
    const OpSpec& op = spec.ops[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("object", kObj[static_cast<int>(op.obj)]);
    o.Set("verb", kVerb[static_cast<int>(op.verb)]);
    o.Set("family", Napi::Number::New(env, op.family));
    if (op.obj == ObjKind::kRule) {
      o.Set("table", op.table);
      o.Set("chain", op.chain);
      if (op.has_exprs) o.Set("exprs", ExprsToJs(env, op.exprs));
      if (!op.wire_exprs.empty()) o.Set("wireExprs", BytesToJs(env, op.wire_exprs));
      if (op.handle) o.Set("handle", Napi::BigInt::New(env, *op.handle));
      if (op.position) o.Set("position", Napi::BigInt::New(env, *op.position));
      if (op.userdata) o.Set("userdata", BytesToJs(env, *op.userdata));
      if (op.echo) o.Set("echo", true);
      if (op.id) o.Set("chainId", Napi::Number::New(env, *op.id));
    }
    ops.Set(static_cast<uint32_t>(i), o);
  }
  return ops;
}

}  // namespace nftjs
