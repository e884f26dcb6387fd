// SPDX-License-Identifier: GPL-2.0-or-later
#include "convert.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <new>
#include <system_error>
#include <unordered_map>

namespace nftjs {

bool ThrowTypeError(Napi::Env env, const std::string& message) {
  // A pending exception (a getter or Proxy trap threw) is the one to propagate; throwing over it
  // is not allowed by N-API.
  if (!env.IsExceptionPending()) Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool ThrowRangeError(Napi::Env env, const std::string& message) {
  if (!env.IsExceptionPending()) Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool ReadProperty(Napi::Env env, Napi::Object obj, const char* key, Napi::Value* out) {
  Napi::Value v = obj.Get(key);
  if (v.IsEmpty() || env.IsExceptionPending()) return false;
  *out = v;
  return true;
}

bool CanRunJs(Napi::Env env) {
  // napi_coerce_to_bool runs no JS, but like every call that could it first checks that the
  // environment may call into JS and that no exception is pending.
  napi_value undefined = nullptr, result = nullptr;
  if (napi_get_undefined(env, &undefined) != napi_ok) return false;
  return napi_coerce_to_bool(env, undefined, &result) == napi_ok;
}

void ThrowCurrentException(Napi::Env env) {
  if (env.IsExceptionPending() || !CanRunJs(env)) return;
  try {  // the handlers themselves allocate: nothing they throw may escape either
  try {
    throw;
  } catch (const std::bad_alloc&) {
    // Fixed text: building a message could itself fail to allocate.
    Napi::Error e = Napi::RangeError::New(env, "Out of memory in the nftables addon (the operation was not started or its outcome is unknown)");
    e.Set("code", "ENOMEM");
    e.Set("errno", Napi::Number::New(env, ENOMEM));
    e.ThrowAsJavaScriptException();
  } catch (const std::system_error& x) {
    Napi::Error e = Napi::Error::New(env, std::string("nftables addon: ") + x.what());
    e.Set("errno", Napi::Number::New(env, x.code().value()));
    e.ThrowAsJavaScriptException();
  } catch (const std::exception& x) {
    Napi::Error::New(env, std::string("nftables addon: ") + x.what()).ThrowAsJavaScriptException();
  } catch (...) {
    Napi::Error::New(env, "nftables addon: unknown native failure").ThrowAsJavaScriptException();
  }
  } catch (...) {
    if (!env.IsExceptionPending()) Napi::Error::New(env, "nftables addon: out of memory").ThrowAsJavaScriptException();
  }
}

namespace {

bool ReadIndex(Napi::Env env, Napi::Array a, uint32_t i, Napi::Value* out) {
  Napi::Value v = a.Get(i);
  if (v.IsEmpty() || env.IsExceptionPending()) return false;
  *out = v;
  return true;
}

// Array lengths are checked before anything is sized from them: `new Array(2 ** 32 - 1)` costs
// JS nothing but would ask for gigabytes here. Nothing is reserved from a length either (a
// sparse array fails at its first hole), so memory follows what the array really holds.
constexpr uint32_t kMaxOps = 1u << 22;            // operations per batch
constexpr uint32_t kMaxElements = 1u << 24;       // elements per elements operation
constexpr uint32_t kMaxExprs = 1u << 16;          // expressions per list (the kernel takes 128 per rule)
constexpr uint32_t kMaxDevices = 1u << 12;        // devices per chain (the kernel takes 256)
constexpr uint32_t kMaxConcat = 16;               // NFT_REG32_COUNT fields per concatenation
constexpr uint32_t kMaxAttrKeys = 1u << 8;        // own enumerable keys of one expression/object

bool ArrayLength(Napi::Env env, Napi::Array a, uint32_t max, const std::string& what, uint32_t* out) {
  const uint32_t n = a.Length();
  if (env.IsExceptionPending()) return false;
  if (n > max) return ThrowRangeError(env, "Expected at most " + std::to_string(max) + " entries for " + what + " but received " + std::to_string(n));
  *out = n;
  return true;
}

// Own and inherited enumerable string keys (N-API's default); a Proxy's ownKeys trap may throw.
bool PropertyNames(Napi::Env env, Napi::Object obj, const std::string& what, std::vector<std::string>* out) {
  Napi::Array keys = obj.GetPropertyNames();
  if (keys.IsEmpty() || env.IsExceptionPending()) return false;
  uint32_t n = 0;
  if (!ArrayLength(env, keys, kMaxAttrKeys, what, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value k;
    if (!ReadIndex(env, keys, i, &k)) return false;
    if (!k.IsString()) return ThrowTypeError(env, "Expected string keys for " + what);
    out->push_back(k.As<Napi::String>().Utf8Value());
    if (env.IsExceptionPending()) return false;
  }
  return true;
}

bool IsIntegerIn(double d, double lo, double hi) { return d >= lo && d <= hi && std::floor(d) == d; }

class Reader {
 public:
  Reader(Napi::Env env, Napi::Object obj, std::string where) : env_(env), obj_(obj), where_(std::move(where)) {}

  bool Fail(const std::string& key, const std::string& want) { return ThrowTypeError(env_, "Expected " + want + " for " + where_ + "." + key); }
  bool FailRange(const std::string& key, const std::string& want) { return ThrowRangeError(env_, "Expected " + want + " for " + where_ + "." + key); }
  // One checked property read per field: false when the read threw (the exception stays pending).
  bool Get(const char* key, Napi::Value* v) { return ReadProperty(env_, obj_, key, v); }
  static bool Absent(const Napi::Value& v) { return v.IsUndefined() || v.IsNull(); }
  // Reads an optional field: *present says whether it is there (not undefined or null).
  bool Opt(const char* key, Napi::Value* v, bool* present) {
    if (!Get(key, v)) return false;
    *present = !Absent(*v);
    return true;
  }
  bool Array(const char* key, const Napi::Value& v, uint32_t max, const std::string& want, Napi::Array* a, uint32_t* n) {
    if (!v.IsArray()) return Fail(key, want);
    *a = v.As<Napi::Array>();
    return ArrayLength(env_, *a, max, where_ + "." + key, n);
  }

  bool Str(const char* key, std::string* out, bool required = true) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return required ? Fail(key, "a string") : true;
    return StrOf(key, v, out);
  }
  bool StrOf(const std::string& key, const Napi::Value& v, std::string* out) {
    if (!v.IsString()) return Fail(key, "a string");
    *out = v.As<Napi::String>().Utf8Value();
    if (env_.IsExceptionPending()) return false;
    if (out->find('\0') != std::string::npos) return Fail(key, "a string without NUL bytes");
    return true;
  }
  bool U32(const char* key, uint32_t* out, bool required = true) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return required ? Fail(key, "an integer 0-4294967295") : true;
    return U32Of(key, v, out);
  }
  bool OptU32(const char* key, std::optional<uint32_t>* out) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    uint32_t x = 0;
    if (!U32Of(key, v, &x)) return false;
    *out = x;
    return true;
  }
  bool OptI32(const char* key, std::optional<int32_t>* out) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    if (!v.IsNumber()) return Fail(key, "a 32-bit integer");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!IsIntegerIn(d, -2147483648.0, 2147483647.0)) return Fail(key, "a 32-bit integer");
    *out = static_cast<int32_t>(d);
    return true;
  }
  bool OptU64(const char* key, std::optional<uint64_t>* out) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    if (!v.IsBigInt()) return Fail(key, "a bigint");
    bool lossless = false;
    uint64_t x = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (!lossless) return Fail(key, "a bigint 0-2^64-1");
    *out = x;
    return true;
  }
  bool Bool(const char* key, bool* out) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    if (!v.IsBoolean()) return Fail(key, "a boolean");
    *out = v.As<Napi::Boolean>().Value();
    return true;
  }
  bool BytesOf(const char* key, Bytes* out, bool required = true) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return required ? Fail(key, "a Uint8Array") : true;
    return BytesFrom(key, v, out);
  }
  bool OptBytes(const char* key, std::optional<Bytes>* out) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    Bytes b;
    if (!BytesFrom(key, v, &b)) return false;
    // Zero bytes of userdata is no userdata (libnftnl asserts, aborting, on an empty value).
    if (!b.empty()) *out = std::move(b);
    return true;
  }
  template <typename T, napi_typedarray_type kType>
  bool Column(const char* key, std::vector<T>* out, uint32_t count, const char* want) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != kType) return Fail(key, want);
    Napi::TypedArrayOf<T> a = v.As<Napi::TypedArrayOf<T>>();
    if (a.ElementLength() != count) return Fail(key, std::string(want) + " with one entry per element");
    if (count > 0) out->assign(a.Data(), a.Data() + count);
    return true;
  }
  // One string or null per element; a hole reads as undefined (null).
  bool OptStrings(const char* key, std::vector<std::optional<std::string>>* out, uint32_t count) {
    Napi::Value v;
    if (!Get(key, &v)) return false;
    if (Absent(v)) return true;
    const char* want = "an array with one string or null per element";
    Napi::Array a;
    uint32_t n = 0;
    if (!Array(key, v, kMaxElements, want, &a, &n)) return false;
    if (n != count) return Fail(key, want);
    out->reserve(std::min<uint32_t>(count, 4096));
    for (uint32_t i = 0; i < count; i++) {
      Napi::Value s;
      if (!ReadIndex(env_, a, i, &s)) return false;
      if (Absent(s)) {
        out->emplace_back();
        continue;
      }
      std::string str;
      if (!s.IsString() || !StrOf(key, s, &str)) return Fail(key, want);
      out->emplace_back(std::move(str));
    }
    return true;
  }
  const std::string& where() const { return where_; }
  Napi::Env env() const { return env_; }

 private:
  bool U32Of(const char* key, const Napi::Value& v, uint32_t* out) {
    if (!v.IsNumber()) return Fail(key, "an integer 0-4294967295");
    double d = v.As<Napi::Number>().DoubleValue();
    if (!IsIntegerIn(d, 0, 4294967295.0)) return Fail(key, "an integer 0-4294967295");
    *out = static_cast<uint32_t>(d);
    return true;
  }
  bool BytesFrom(const char* key, const Napi::Value& v, Bytes* out) {
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return Fail(key, "a Uint8Array");
    Napi::Uint8Array a = v.As<Napi::Uint8Array>();
    if (a.ElementLength() > 0) out->assign(a.Data(), a.Data() + a.ElementLength());
    return true;
  }

  Napi::Env env_;
  Napi::Object obj_;
  std::string where_;
};

bool ToExprSpec(Napi::Env env, Napi::Value value, const std::string& where, int depth, ExprSpec* out);

bool ToExprList(Napi::Env env, Napi::Value value, const std::string& where, int depth, std::vector<ExprSpec>* out) {
  if (!value.IsArray()) return ThrowTypeError(env, "Expected an array of expressions for " + where);
  Napi::Array a = value.As<Napi::Array>();
  uint32_t n = 0;
  if (!ArrayLength(env, a, kMaxExprs, where, &n)) return false;
  out->reserve(std::min<uint32_t>(n, 256));
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item;
    if (!ReadIndex(env, a, i, &item)) return false;
    ExprSpec spec;
    if (!ToExprSpec(env, item, where + "[" + std::to_string(i) + "]", depth, &spec)) return false;
    out->push_back(std::move(spec));
  }
  return true;
}

bool ToExprSpec(Napi::Env env, Napi::Value value, const std::string& where, int depth, ExprSpec* out) {
  if (depth > 2 || !value.IsObject()) return ThrowTypeError(env, "Expected an expression object for " + where);
  Napi::Object obj = value.As<Napi::Object>();
  Reader rd(env, obj, where);
  if (!rd.Str("type", &out->type)) return false;
  const ExprDef* def = FindExpr(out->type);
  if (def == nullptr) return ThrowTypeError(env, "Unknown expression type \"" + out->type + "\" for " + where);
  std::vector<std::string> keys;
  if (!PropertyNames(env, obj, where, &keys)) return false;
  for (const std::string& key : keys) {
    if (key == "type") continue;
    Napi::Value v;
    if (!rd.Get(key.c_str(), &v)) return false;
    if (v.IsUndefined()) continue;
    const AttrDef* attr = FindAttr(*def, key);
    const std::string at = where + " (" + out->type + "." + key + ")";
    if (attr == nullptr) return ThrowTypeError(env, "Unknown attribute \"" + key + "\" for " + at);
    AttrValue a;
    a.def = attr;
    switch (attr->kind) {
      case Kind::kU8:
      case Kind::kU16:
      case Kind::kU32:
      case Kind::kI32: {
        if (!v.IsNumber()) return ThrowTypeError(env, "Expected a number for " + at);
        double d = v.As<Napi::Number>().DoubleValue();
        const double lo = attr->kind == Kind::kI32 ? -2147483648.0 : 0;
        const double hi = attr->kind == Kind::kU8 ? 255 : attr->kind == Kind::kU16 ? 65535 : 4294967295.0;
        if (!IsIntegerIn(d, lo, hi)) return ThrowTypeError(env, "Expected an integer in range for " + at);
        a.num = static_cast<uint64_t>(static_cast<int64_t>(d)) & 0xffffffffULL;
        break;
      }
      case Kind::kU64: {
        bool lossless = false;
        if (!v.IsBigInt() || (a.num = v.As<Napi::BigInt>().Uint64Value(&lossless), !lossless)) {
          return ThrowTypeError(env, "Expected a bigint 0-2^64-1 for " + at);
        }
        break;
      }
      case Kind::kStr:
        if (!v.IsString()) return ThrowTypeError(env, "Expected a string for " + at);
        a.str = v.As<Napi::String>().Utf8Value();
        if (env.IsExceptionPending()) return false;
        if (a.str.find('\0') != std::string::npos) return ThrowTypeError(env, "Expected a string without NUL bytes for " + at);
        break;
      case Kind::kBytes: {
        if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array ||
            v.As<Napi::Uint8Array>().ElementLength() == 0 || v.As<Napi::Uint8Array>().ElementLength() > 64) {
          return ThrowTypeError(env, "Expected a Uint8Array of 1-64 bytes for " + at);
        }
        Napi::Uint8Array b = v.As<Napi::Uint8Array>();
        a.bytes.assign(b.Data(), b.Data() + b.ElementLength());
        break;
      }
      case Kind::kExprs:
        if (!ToExprList(env, v, at, depth + 1, &a.exprs)) return false;
        break;
    }
    out->attrs.push_back(std::move(a));
  }
  return true;
}

bool VerbOfName(const std::string& verb, Verb* out) {
  static const std::pair<const char*, Verb> kVerbs[] = {
      {"add", Verb::kAdd},       {"create", Verb::kCreate},   {"insert", Verb::kInsert}, {"replace", Verb::kReplace},
      {"delete", Verb::kDelete}, {"destroy", Verb::kDestroy}, {"flush", Verb::kFlush}};
  for (const auto& [name, v] : kVerbs) {
    if (verb == name) {
      *out = v;
      return true;
    }
  }
  return false;
}

bool ParseVerb(Reader& rd, Verb* out) {
  std::string verb;
  if (!rd.Str("verb", &verb)) return false;
  if (VerbOfName(verb, out)) return true;
  return rd.Fail("verb", "one of add, create, insert, replace, delete, destroy, flush");
}

// The `devices` array of a chain or flowtable descriptor: interface names, at most kMaxDevices.
bool ReadDevices(Napi::Env env, Reader& rd, Napi::Value v, std::vector<std::string>* out) {
  const char* want = "an array of interface names";
  Napi::Array a;
  uint32_t n = 0;
  if (!rd.Array("devices", v, kMaxDevices, want, &a, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value d;
    if (!ReadIndex(env, a, i, &d)) return false;
    std::string name;
    if (!d.IsString() || !rd.StrOf("devices", d, &name)) return rd.Fail("devices", want);
    out->push_back(std::move(name));
  }
  return true;
}

bool ToOpSpec(Napi::Env env, Napi::Value value, size_t index, OpSpec* op) {
  const std::string where = "ops[" + std::to_string(index) + "]";
  if (!value.IsObject()) return ThrowTypeError(env, "Expected an operation object for " + where);
  Reader rd(env, value.As<Napi::Object>(), where);
  std::string object;
  if (!rd.Str("object", &object) || !ParseVerb(rd, &op->verb)) return false;
  uint32_t family = 0;
  if (!rd.U32("family", &family)) return false;
  if (family > 0xff) return rd.Fail("family", "an address family 0-255");
  op->family = static_cast<uint16_t>(family);
  if (!rd.OptU64("handle", &op->handle)) return false;
  // Elements carry flags and userdata per element (columns), every other object one of each.
  if (object != "elements" && (!rd.OptU32("flags", &op->flags) || !rd.OptBytes("userdata", &op->userdata))) return false;
  Napi::Value v;
  bool present = false;
  if (object == "table") {
    op->obj = ObjKind::kTable;
    return rd.Str("name", &op->name);
  }
  if (object == "chain") {
    op->obj = ObjKind::kChain;
    // name: absent only for a bound chain (flags NFT_CHAIN_BINDING + id; encode.cc checks).
    if (!rd.Str("table", &op->table) || !rd.Str("name", &op->name, false) || !rd.OptU32("hooknum", &op->hooknum) ||
        !rd.OptI32("priority", &op->priority) || !rd.Str("type", &op->type, false) || !rd.OptU32("policy", &op->policy) ||
        !rd.OptU32("id", &op->id) || !rd.Opt("devices", &v, &present)) {
      return false;
    }
    return !present || ReadDevices(env, rd, v, &op->devices);
  }
  if (object == "flowtable") {
    op->obj = ObjKind::kFlowtable;
    if (!rd.Str("table", &op->table) || !rd.Str("name", &op->name) || !rd.OptU32("hooknum", &op->hooknum) ||
        !rd.OptI32("priority", &op->priority) || !rd.Opt("devices", &v, &present)) {
      return false;
    }
    return !present || ReadDevices(env, rd, v, &op->devices);
  }
  if (object == "rule") {
    op->obj = ObjKind::kRule;
    // chainId: the batch id of a bound chain added earlier in the batch (then no chain name).
    if (!rd.Str("table", &op->table) || !rd.OptU32("chainId", &op->id) || !rd.Str("chain", &op->chain, !op->id) ||
        !rd.OptU64("position", &op->position) ||
        !rd.Bool("echo", &op->echo) || !rd.Opt("exprs", &v, &present)) {
      return false;
    }
    if (present) {
      op->has_exprs = true;
      if (!ToExprList(env, v, where + ".exprs", 0, &op->exprs)) return false;
    }
    return true;
  }
  if (object == "set") {
    op->obj = ObjKind::kSet;
    if (!rd.Str("table", &op->table) || !rd.Str("name", &op->name) || !rd.OptU32("id", &op->id) ||
        !rd.OptU32("keyType", &op->key_type) || !rd.OptU32("keyLen", &op->key_len) || !rd.OptU32("dataType", &op->data_type) ||
        !rd.OptU32("dataLen", &op->data_len) || !rd.OptU32("objType", &op->obj_type) || !rd.OptU32("policy", &op->set_policy) ||
        !rd.OptU32("size", &op->size) || !rd.OptU64("timeoutMs", &op->timeout_ms) ||
        !rd.OptU32("gcIntervalMs", &op->gc_interval) || !rd.Opt("concat", &v, &present)) {
      return false;
    }
    if (present) {
      const char* want = "an array of field lengths (1-64 bytes)";
      Napi::Array a;
      uint32_t n = 0;
      if (!rd.Array("concat", v, kMaxConcat, want, &a, &n)) return false;
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value f;
        if (!ReadIndex(env, a, i, &f)) return false;
        if (!f.IsNumber() || !IsIntegerIn(f.As<Napi::Number>().DoubleValue(), 1, 64)) return rd.Fail("concat", want);
        op->concat.push_back(static_cast<uint8_t>(f.As<Napi::Number>().DoubleValue()));
      }
    }
    if (!rd.Opt("exprs", &v, &present)) return false;
    if (present && !ToExprList(env, v, where + ".exprs", 0, &op->exprs)) return false;
    return true;
  }
  if (object == "elements") {
    op->obj = ObjKind::kElements;
    if (!rd.Str("table", &op->table) || !rd.Str("set", &op->set) || !rd.OptU32("setId", &op->id)) return false;
    if (op->verb == Verb::kFlush) return true;
    if (!rd.U32("count", &op->count) || !rd.U32("keyLen", &op->elem_key_len)) return false;
    if (op->count > kMaxElements) return rd.FailRange("count", "at most " + std::to_string(kMaxElements) + " elements per operation");
    if (op->elem_key_len == 0 || op->elem_key_len > 64) return rd.Fail("keyLen", "a key length of 1-64 bytes");
    if (!rd.BytesOf("keys", &op->keys)) return false;
    if (op->keys.size() != static_cast<size_t>(op->count) * op->elem_key_len) return rd.Fail("keys", "count * keyLen bytes");
    if (!rd.BytesOf("keyEnds", &op->key_ends, false)) return false;
    if (!op->key_ends.empty() && op->key_ends.size() != op->keys.size()) return rd.Fail("keyEnds", "count * keyLen bytes");
    if (!rd.Column<uint32_t, napi_uint32_array>("flags", &op->elem_flags, op->count, "a Uint32Array") ||
        !rd.Column<double, napi_float64_array>("timeoutsMs", &op->timeouts, op->count, "a Float64Array") ||
        !rd.Column<double, napi_float64_array>("expirationsMs", &op->expirations, op->count, "a Float64Array") ||
        !rd.Column<int32_t, napi_int32_array>("verdicts", &op->verdicts, op->count, "an Int32Array") ||
        !rd.OptStrings("chains", &op->chains, op->count) || !rd.OptStrings("objrefs", &op->objrefs, op->count)) {
      return false;
    }
    for (double t : op->timeouts) {
      if (!(t >= 0 && t < 1.8e19)) return rd.Fail("timeoutsMs", "non-negative millisecond values");
    }
    for (double t : op->expirations) {
      if (!(t >= 0 && t < 1.8e19)) return rd.Fail("expirationsMs", "non-negative millisecond values");
    }
    if (!rd.Opt("data", &v, &present)) return false;
    if (present) {
      if (!rd.U32("dataLen", &op->elem_data_len) || !rd.BytesOf("data", &op->data)) return false;
      if (op->elem_data_len == 0 || op->data.size() != static_cast<size_t>(op->count) * op->elem_data_len) {
        return rd.Fail("data", "count * dataLen bytes");
      }
    }
    if (!rd.Opt("userdata", &v, &present)) return false;
    if (present) {
      const char* want = "an array with one Uint8Array or null per element";
      Napi::Array a;
      uint32_t n = 0;
      if (!rd.Array("userdata", v, kMaxElements, want, &a, &n)) return false;
      if (n != op->count) return rd.Fail("userdata", want);
      op->elem_userdata.reserve(std::min<uint32_t>(n, 4096));
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value u;
        if (!ReadIndex(env, a, i, &u)) return false;
        if (Reader::Absent(u)) {
          op->elem_userdata.emplace_back();
          continue;
        }
        if (!u.IsTypedArray() || u.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return rd.Fail("userdata", want);
        Napi::Uint8Array b = u.As<Napi::Uint8Array>();
        if (b.ElementLength() == 0) {
          op->elem_userdata.emplace_back();  // as for OptBytes: empty is none
        } else {
          op->elem_userdata.emplace_back(Bytes(b.Data(), b.Data() + b.ElementLength()));
        }
      }
    }
    if (!rd.Opt("exprs", &v, &present)) return false;
    if (present && !ToExprList(env, v, where + ".exprs", 0, &op->exprs)) return false;
    // One expression list (or null) per element: each element's own counter/quota/limit values.
    if (!rd.Opt("elemExprs", &v, &present)) return false;
    if (present) {
      const char* want = "an array with one expression list or null per element";
      Napi::Array a;
      uint32_t n = 0;
      if (!rd.Array("elemExprs", v, kMaxElements, want, &a, &n)) return false;
      if (n != op->count) return rd.Fail("elemExprs", want);
      op->elem_exprs.reserve(std::min<uint32_t>(n, 4096));
      for (uint32_t i = 0; i < n; i++) {
        Napi::Value x;
        if (!ReadIndex(env, a, i, &x)) return false;
        op->elem_exprs.emplace_back();
        if (Reader::Absent(x)) continue;
        if (!ToExprList(env, x, where + ".elemExprs[" + std::to_string(i) + "]", 0, &op->elem_exprs.back())) return false;
      }
    }
    return true;
  }
  if (object == "obj") {
    op->obj = ObjKind::kObj;
    uint32_t type = 0;
    if (!rd.Str("table", &op->table) || !rd.Str("name", &op->name) || !rd.U32("objType", &type) || !rd.Opt("attrs", &v, &present)) {
      return false;
    }
    op->obj_type = type;
    if (present) {
      const ObjDef* def = FindObj(type);
      if (def == nullptr) {
        return rd.Fail("objType", "a supported object type (counter 1, quota 2, ct helper 3, limit 4, ct timeout 7, secmark 8, ct expectation 9, synproxy 10)");
      }
      if (!v.IsObject()) return rd.Fail("attrs", "an object");
      Napi::Object attrs = v.As<Napi::Object>();
      std::vector<std::string> keys;
      if (!PropertyNames(env, attrs, where + ".attrs", &keys)) return false;
      for (const std::string& key : keys) {
        const AttrDef* attr = nullptr;
        for (const AttrDef& d : def->attrs) {
          if (key == d.name) attr = &d;
        }
        if (attr == nullptr) return rd.Fail("attrs." + key, std::string("an attribute of ") + def->name);
        Napi::Value a;
        if (!ReadProperty(env, attrs, key.c_str(), &a)) return false;
        AttrValue val;
        val.def = attr;
        const auto integer = [&](double max, const std::string& want) {
          if (!a.IsNumber() || !IsIntegerIn(a.As<Napi::Number>().DoubleValue(), 0, max)) return rd.Fail("attrs." + key, want);
          val.num = static_cast<uint64_t>(a.As<Napi::Number>().DoubleValue());
          return true;
        };
        switch (attr->kind) {
          case Kind::kU64: {
            bool lossless = false;
            if (!a.IsBigInt() || (val.num = a.As<Napi::BigInt>().Uint64Value(&lossless), !lossless)) return rd.Fail("attrs." + key, "a bigint");
            break;
          }
          case Kind::kU8:
            if (!integer(255.0, "an integer 0-255")) return false;
            break;
          case Kind::kU16:
            if (!integer(65535.0, "an integer 0-65535")) return false;
            break;
          case Kind::kU32:
          case Kind::kI32:
            if (!integer(4294967295.0, "an integer 0-4294967295")) return false;
            break;
          case Kind::kStr:
            if (!rd.StrOf("attrs." + key, a, &val.str)) return false;
            if (val.str.empty() || val.str.size() > 255) return rd.Fail("attrs." + key, "a string of 1-255 bytes");
            break;
          case Kind::kBytes: {
            if (!a.IsTypedArray() || a.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) return rd.Fail("attrs." + key, "a Uint8Array");
            Napi::Uint8Array b = a.As<Napi::Uint8Array>();
            if (b.ElementLength() == 0 || b.ElementLength() > 256) return rd.Fail("attrs." + key, "a Uint8Array of 1-256 bytes");
            val.bytes.assign(b.Data(), b.Data() + b.ElementLength());
            break;
          }
          case Kind::kExprs: return rd.Fail("attrs." + key, "no expressions");
        }
        op->obj_attrs.push_back(std::move(val));
      }
    }
    return true;
  }
  return rd.Fail("object", "one of table, chain, rule, set, elements, obj, flowtable");
}

}  // namespace

Napi::Value BytesToJs(Napi::Env env, const Bytes& b) {
  Napi::Uint8Array a = Napi::Uint8Array::New(env, b.size());
  // An allocation the engine refuses leaves a RangeError pending and no array to write into.
  if (a.IsEmpty() || env.IsExceptionPending()) return Napi::Value();
  if (!b.empty()) memcpy(a.Data(), b.data(), b.size());
  return a;
}

namespace {

// Converts expression lists to JS objects for a whole dump at once. Two costs dominate a big
// rule dump (perf of 10,000 rules): V8 internalizes a property name string on every
// Set(const char*), and every byte attribute got an ArrayBuffer of its own (a backing store
// to allocate, sweep and scavenge). Here each property name is made once per conversion, and
// every byte attribute is a Uint8Array view into one ArrayBuffer sized for the whole
// conversion up front (views never share bytes: each has its own range).
class ExprConverter {
 public:
  ExprConverter(Napi::Env env, size_t arena_bytes) : env_(env), size_(arena_bytes) {
    if (size_ > 0) arena_ = Napi::ArrayBuffer::New(env_, size_);
  }

  /** Bytes a list's byte attributes (nested lists and unknown expressions' raw data included) take. */
  static size_t BytesOf(const std::vector<ExprSpec>& exprs) {
    size_t n = 0;
    for (const ExprSpec& e : exprs) {
      if (!e.known) {
        n += e.raw.size();
        continue;
      }
      for (const AttrValue& a : e.attrs) {
        if (a.def->kind == Kind::kBytes) n += a.bytes.size();
        if (a.def->kind == Kind::kExprs) n += BytesOf(a.exprs);
      }
    }
    return n;
  }

  /** The JS array of a list, or an empty value with a JS exception pending. */
  Napi::Value List(const std::vector<ExprSpec>& exprs) {
    if (env_.IsExceptionPending()) return Napi::Value();
    Napi::Array a = Napi::Array::New(env_, exprs.size());
    for (size_t i = 0; i < exprs.size(); i++) {
      Napi::Value v = One(exprs[i]);
      if (v.IsEmpty() || env_.IsExceptionPending()) return Napi::Value();
      a.Set(static_cast<uint32_t>(i), v);
    }
    return a;
  }

 private:
  Napi::Value One(const ExprSpec& e) {
    Napi::Object o = Napi::Object::New(env_);
    o.Set(Key("type"), Napi::String::New(env_, e.type));
    if (!e.known) {
      o.Set(Key("unknown"), Napi::Boolean::New(env_, true));
      Napi::Value raw = View(e.raw);
      if (raw.IsEmpty()) return Napi::Value();
      o.Set(Key("raw"), raw);
      return o;
    }
    for (const AttrValue& a : e.attrs) {
      Napi::Value v;
      switch (a.def->kind) {
        case Kind::kU8:
        case Kind::kU16:
        case Kind::kU32: v = Napi::Number::New(env_, static_cast<double>(a.num)); break;
        case Kind::kI32: v = Napi::Number::New(env_, static_cast<int32_t>(static_cast<uint32_t>(a.num))); break;
        case Kind::kU64: v = Napi::BigInt::New(env_, a.num); break;
        case Kind::kStr: v = Napi::String::New(env_, a.str); break;
        case Kind::kBytes: v = View(a.bytes); break;
        case Kind::kExprs: v = List(a.exprs); break;
      }
      if (v.IsEmpty() || env_.IsExceptionPending()) return Napi::Value();
      o.Set(Key(a.def->name), v);
    }
    return o;
  }

  /** A Uint8Array holding a copy of b: a view into the arena while it has room, else its own buffer. */
  Napi::Value View(const Bytes& b) {
    if (!arena_.IsEmpty() && b.size() <= size_ - used_) {
      Napi::Uint8Array v = Napi::Uint8Array::New(env_, b.size(), arena_, used_);
      if (v.IsEmpty() || env_.IsExceptionPending()) return Napi::Value();
      if (!b.empty()) memcpy(static_cast<uint8_t*>(arena_.Data()) + used_, b.data(), b.size());
      used_ += b.size();
      return v;
    }
    return BytesToJs(env_, b);
  }

  /** The property name, made once per conversion (names are the static strings of the expression table). */
  napi_value Key(const char* name) {
    auto it = keys_.find(name);
    if (it != keys_.end()) return it->second;
    napi_value k = Napi::String::New(env_, name);
    keys_.emplace(name, k);
    return k;
  }

  Napi::Env env_;
  size_t size_;
  size_t used_ = 0;
  Napi::ArrayBuffer arena_;
  std::unordered_map<const char*, napi_value> keys_;
};

}  // namespace

Napi::Value ExprsToJs(Napi::Env env, const std::vector<ExprSpec>& exprs) {
  ExprConverter c(env, ExprConverter::BytesOf(exprs));
  if (env.IsExceptionPending()) return Napi::Value();
  return c.List(exprs);
}

namespace {

void SetOpt(Napi::Env env, Napi::Object o, const char* key, const std::optional<uint32_t>& v) {
  if (v) o.Set(key, Napi::Number::New(env, *v));
}
void SetOpt64(Napi::Env env, Napi::Object o, const char* key, const std::optional<uint64_t>& v) {
  if (v) o.Set(key, Napi::BigInt::New(env, *v));
}
void SetUd(Napi::Env env, Napi::Object o, const std::optional<Bytes>& v) {
  if (v) o.Set("userdata", BytesToJs(env, *v));
}

Napi::Value ElementsToJs(Napi::Env env, const std::vector<ElemItem>& elems) {
  Napi::Object o = Napi::Object::New(env);
  const size_t n = elems.size();
  // A catch-all element has no key: the key length is that of the elements that have one.
  size_t kl = 0;
  for (const ElemItem& e : elems) kl = std::max(kl, e.key.size());
  o.Set("count", Napi::Number::New(env, static_cast<double>(n)));
  o.Set("keyLen", Napi::Number::New(env, static_cast<double>(kl)));
  Napi::Uint8Array keys = Napi::Uint8Array::New(env, n * kl);
  Napi::Uint32Array flags = Napi::Uint32Array::New(env, n);
  bool any_end = false, any_timeout = false, any_exp = false, any_data = false, any_verdict = false, any_chain = false,
       any_obj = false, any_ud = false, any_expr = false, any_counter = false;
  size_t dl = 0;
  for (const ElemItem& e : elems) {
    any_end |= !e.key_end.empty();
    any_timeout |= e.timeout.has_value();
    any_exp |= e.expiration.has_value();
    if (!e.data.empty()) {
      any_data = true;
      dl = e.data.size();
    }
    any_verdict |= e.verdict.has_value();
    any_chain |= e.chain.has_value();
    any_obj |= e.objref.has_value();
    any_ud |= e.userdata.has_value();
    any_expr |= !e.exprs.empty();
    for (const ExprSpec& x : e.exprs) any_counter |= x.type == "counter";
  }
  Napi::Uint8Array ends = any_end ? Napi::Uint8Array::New(env, n * kl) : Napi::Uint8Array();
  Napi::Float64Array timeouts = any_timeout ? Napi::Float64Array::New(env, n) : Napi::Float64Array();
  Napi::Float64Array exps = any_exp ? Napi::Float64Array::New(env, n) : Napi::Float64Array();
  Napi::Uint8Array data = any_data ? Napi::Uint8Array::New(env, n * dl) : Napi::Uint8Array();
  Napi::Int32Array verdicts = any_verdict ? Napi::Int32Array::New(env, n) : Napi::Int32Array();
  Napi::Array chains = any_chain ? Napi::Array::New(env, n) : Napi::Array();
  Napi::Array objrefs = any_obj ? Napi::Array::New(env, n) : Napi::Array();
  Napi::Array uds = any_ud ? Napi::Array::New(env, n) : Napi::Array();
  Napi::Array exprs = any_expr ? Napi::Array::New(env, n) : Napi::Array();
  Napi::BigUint64Array packets = any_counter ? Napi::BigUint64Array::New(env, n) : Napi::BigUint64Array();
  Napi::BigUint64Array bytes = any_counter ? Napi::BigUint64Array::New(env, n) : Napi::BigUint64Array();
  if (env.IsExceptionPending()) return Napi::Value();  // an array the engine could not allocate
  for (size_t i = 0; i < n; i++) {
    const ElemItem& e = elems[i];
    const uint32_t ui = static_cast<uint32_t>(i);
    if (e.key.size() == kl && kl > 0) memcpy(keys.Data() + i * kl, e.key.data(), kl);
    flags[i] = e.flags;
    if (any_end && e.key_end.size() == kl && kl > 0) memcpy(ends.Data() + i * kl, e.key_end.data(), kl);
    if (any_timeout) timeouts[i] = e.timeout ? static_cast<double>(*e.timeout) : 0;
    if (any_exp) exps[i] = e.expiration ? static_cast<double>(*e.expiration) : 0;
    if (any_data && e.data.size() == dl) memcpy(data.Data() + i * dl, e.data.data(), dl);
    if (any_verdict) verdicts[i] = e.verdict.value_or(0);
    if (any_chain) chains.Set(ui, e.chain ? Napi::Value(Napi::String::New(env, *e.chain)) : env.Null());
    if (any_obj) objrefs.Set(ui, e.objref ? Napi::Value(Napi::String::New(env, *e.objref)) : env.Null());
    if (any_ud) uds.Set(ui, e.userdata ? BytesToJs(env, *e.userdata) : env.Null());
    if (any_expr) exprs.Set(ui, e.exprs.empty() ? env.Null() : ExprsToJs(env, e.exprs));
    if (any_counter) {
      for (const ExprSpec& x : e.exprs) {
        if (x.type != "counter") continue;
        for (const AttrValue& a : x.attrs) {
          if (std::string(a.def->name) == "packets") packets[i] = a.num;
          if (std::string(a.def->name) == "bytes") bytes[i] = a.num;
        }
      }
    }
  }
  o.Set("keys", keys);
  o.Set("flags", flags);
  if (any_end) o.Set("keyEnds", ends);
  if (any_timeout) o.Set("timeoutsMs", timeouts);
  if (any_exp) o.Set("expirationsMs", exps);
  if (any_data) {
    o.Set("dataLen", Napi::Number::New(env, static_cast<double>(dl)));
    o.Set("data", data);
  }
  if (any_verdict) o.Set("verdicts", verdicts);
  if (any_chain) o.Set("chains", chains);
  if (any_obj) o.Set("objrefs", objrefs);
  if (any_ud) o.Set("userdata", uds);
  if (any_expr) o.Set("exprs", exprs);
  if (any_counter) {
    o.Set("packets", packets);
    o.Set("bytes", bytes);
  }
  return o;
}

}  // namespace

bool ToBatchSpec(Napi::Env env, Napi::Value value, BatchSpec* out) {
  if (!value.IsObject()) return ThrowTypeError(env, "Expected a batch object { ops: [...] }");
  Napi::Object obj = value.As<Napi::Object>();
  Reader rd(env, obj, "batch");
  Napi::Value v;
  bool present = false;
  if (!rd.Opt("genid", &v, &present)) return false;
  if (present && !rd.U32("genid", &out->genid)) return false;
  if (!rd.Get("ops", &v)) return false;
  Napi::Array a;
  uint32_t n = 0;
  if (!rd.Array("ops", v, kMaxOps, "an array of operations", &a, &n)) return false;
  out->ops.reserve(std::min<uint32_t>(n, 4096));
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value item;
    if (!ReadIndex(env, a, i, &item)) return false;
    out->ops.emplace_back();
    if (!ToOpSpec(env, item, i, &out->ops.back())) return false;
  }
  return !env.IsExceptionPending();
}

bool ToElementsTemplate(Napi::Env env, Napi::Value value, OpSpec* out) {
  if (!ToOpSpec(env, value, 0, out)) return false;
  if (out->obj != ObjKind::kElements || out->verb == Verb::kFlush || out->count != 0) {
    return ThrowTypeError(env, "Expected an elements operation without elements (count 0) to prepare");
  }
  return !env.IsExceptionPending();
}

bool ToElementVerb(Napi::Env env, Napi::Value value, Verb* out) {
  if (value.IsString()) {
    const std::string name = value.As<Napi::String>().Utf8Value();
    if (env.IsExceptionPending()) return false;
    if (VerbOfName(name, out) && *out != Verb::kInsert && *out != Verb::kReplace && *out != Verb::kFlush) return true;
  }
  return ThrowTypeError(env, "Expected one of add, create, delete, destroy for verb");
}

bool ToDumpSpec(Napi::Env env, Napi::Value value, DumpSpec* out) {
  if (!value.IsObject()) return ThrowTypeError(env, "Expected a dump request object");
  Reader rd(env, value.As<Napi::Object>(), "request");
  std::string what;
  if (!rd.Str("what", &what)) return false;
  static const std::pair<const char*, DumpWhat> kWhat[] = {
      {"tables", DumpWhat::kTables},     {"chains", DumpWhat::kChains},   {"rules", DumpWhat::kRules}, {"sets", DumpWhat::kSets},
      {"elements", DumpWhat::kElements}, {"objects", DumpWhat::kObjects}, {"gen", DumpWhat::kGen},
      {"flowtables", DumpWhat::kFlowtables}};
  bool found = false;
  for (const auto& [name, w] : kWhat) {
    if (what == name) {
      out->what = w;
      found = true;
    }
  }
  if (!found) return rd.Fail("what", "one of tables, chains, rules, sets, elements, objects, flowtables, gen");
  uint32_t family = 0;
  if (!rd.U32("family", &family, false)) return false;
  if (family > 0xff) return rd.Fail("family", "an address family 0-255");
  out->family = static_cast<uint16_t>(family);
  if (!rd.Str("table", &out->table, out->what == DumpWhat::kElements) || !rd.Str("chain", &out->chain, false) ||
      !rd.Str("set", &out->set, out->what == DumpWhat::kElements) || !rd.Bool("reset", &out->reset) ||
      !rd.OptU32("objType", &out->obj_type)) {
    return false;
  }
  Napi::Value v;
  bool present = false;
  if (!rd.Opt("keys", &v, &present)) return false;
  if (present) {
    if (!rd.BytesOf("keys", &out->keys) || !rd.U32("keyLen", &out->key_len)) return false;
    if (out->key_len == 0 || out->key_len > 64 || out->keys.size() % out->key_len != 0 || out->keys.size() > 256 * 64) {
      return rd.Fail("keys", "at most 256 packed keys of keyLen (1-64) bytes");
    }
  }
  return !env.IsExceptionPending();
}

Napi::Value CommitResultToJs(Napi::Env env, const CommitResult& r) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array failures = Napi::Array::New(env, r.failures.size());
  for (size_t i = 0; i < r.failures.size(); i++) {
    const OpFailure& f = r.failures[i];
    Napi::Object fo = Napi::Object::New(env);
    fo.Set("index", f.index);
    fo.Set("errno", f.err);
    if (!f.message.empty()) fo.Set("message", f.message);
    if (f.attr_offset) fo.Set("attrOffset", *f.attr_offset);
    failures.Set(static_cast<uint32_t>(i), fo);
  }
  o.Set("failures", failures);
  o.Set("transportErrno", r.transport_errno);
  if (r.max_batch_bytes) o.Set("maxBatchBytes", Napi::Number::New(env, static_cast<double>(r.max_batch_bytes)));
  o.Set("batchBytes", Napi::Number::New(env, static_cast<double>(r.batch_bytes)));
  o.Set("messages", r.messages);
  o.Set("endAcked", r.end_acked);
  Napi::Array handles = Napi::Array::New(env, r.handles.size());
  for (size_t i = 0; i < r.handles.size(); i++) {
    Napi::Array pair = Napi::Array::New(env, 2);
    pair.Set(0u, r.handles[i].first);
    pair.Set(1u, Napi::BigInt::New(env, r.handles[i].second));
    handles.Set(static_cast<uint32_t>(i), pair);
  }
  o.Set("handles", handles);
  return o;
}

Napi::Value DumpResultToJs(Napi::Env env, const DumpResult& r) {
  Napi::Object o = Napi::Object::New(env);
  if (r.err != 0) {
    o.Set("errno", r.err);
    if (!r.message.empty()) o.Set("message", r.message);
    return o;
  }
  static const char* const kNames[] = {"tables", "chains", "rules", "sets", "elements", "objects", "gen", "flowtables"};
  o.Set("what", kNames[static_cast<int>(r.what)]);
  Napi::Value items;
  switch (r.what) {
    case DumpWhat::kTables: {
      Napi::Array a = Napi::Array::New(env, r.tables.size());
      for (size_t i = 0; i < r.tables.size(); i++) {
        const TableItem& t = r.tables[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("family", t.family);
        x.Set("name", t.name);
        x.Set("flags", t.flags);
        x.Set("handle", Napi::BigInt::New(env, t.handle));
        x.Set("use", t.use);
        SetOpt(env, x, "owner", t.owner);
        SetUd(env, x, t.userdata);
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kChains: {
      Napi::Array a = Napi::Array::New(env, r.chains.size());
      for (size_t i = 0; i < r.chains.size(); i++) {
        const ChainItem& c = r.chains[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("family", c.family);
        x.Set("table", c.table);
        x.Set("name", c.name);
        x.Set("handle", Napi::BigInt::New(env, c.handle));
        SetOpt(env, x, "hooknum", c.hooknum);
        if (c.priority) x.Set("priority", *c.priority);
        if (c.type) x.Set("type", *c.type);
        SetOpt(env, x, "policy", c.policy);
        if (!c.devices.empty()) {
          Napi::Array d = Napi::Array::New(env, c.devices.size());
          for (size_t k = 0; k < c.devices.size(); k++) d.Set(static_cast<uint32_t>(k), c.devices[k]);
          x.Set("devices", d);
        }
        x.Set("use", c.use);
        SetOpt(env, x, "flags", c.flags);
        SetOpt(env, x, "id", c.id);
        SetOpt64(env, x, "packets", c.packets);
        SetOpt64(env, x, "bytes", c.bytes);
        SetUd(env, x, c.userdata);
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kRules: {
      // One expression converter (property names and a byte arena) for the whole dump.
      size_t arena = 0;
      for (const RuleItem& ru : r.rules) arena += ExprConverter::BytesOf(ru.exprs);
      ExprConverter conv(env, arena);
      if (env.IsExceptionPending()) return Napi::Value();
      const Napi::String kFamily = Napi::String::New(env, "family"), kTable = Napi::String::New(env, "table"), kChain = Napi::String::New(env, "chain"),
                         kHandle = Napi::String::New(env, "handle"), kExprs = Napi::String::New(env, "exprs");
      Napi::Array a = Napi::Array::New(env, r.rules.size());
      for (size_t i = 0; i < r.rules.size(); i++) {
        const RuleItem& ru = r.rules[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set(kFamily, Napi::Number::New(env, ru.family));
        x.Set(kTable, Napi::String::New(env, ru.table));
        x.Set(kChain, Napi::String::New(env, ru.chain));
        x.Set(kHandle, Napi::BigInt::New(env, ru.handle));
        SetOpt64(env, x, "position", ru.position);
        Napi::Value ex = conv.List(ru.exprs);
        if (ex.IsEmpty() || env.IsExceptionPending()) return Napi::Value();
        x.Set(kExprs, ex);
        SetUd(env, x, ru.userdata);
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kSets: {
      Napi::Array a = Napi::Array::New(env, r.sets.size());
      for (size_t i = 0; i < r.sets.size(); i++) {
        const SetItem& s = r.sets[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("family", s.family);
        x.Set("table", s.table);
        x.Set("name", s.name);
        x.Set("handle", Napi::BigInt::New(env, s.handle));
        x.Set("flags", s.flags);
        x.Set("keyType", s.key_type);
        x.Set("keyLen", s.key_len);
        SetOpt(env, x, "dataType", s.data_type);
        SetOpt(env, x, "dataLen", s.data_len);
        SetOpt(env, x, "objType", s.obj_type);
        SetOpt(env, x, "policy", s.policy);
        SetOpt(env, x, "size", s.size);
        SetOpt(env, x, "gcIntervalMs", s.gc_interval);
        SetOpt64(env, x, "timeoutMs", s.timeout_ms);
        if (!s.concat.empty()) {
          Napi::Array c = Napi::Array::New(env, s.concat.size());
          for (size_t k = 0; k < s.concat.size(); k++) c.Set(static_cast<uint32_t>(k), s.concat[k]);
          x.Set("concat", c);
        }
        SetUd(env, x, s.userdata);
        x.Set("exprs", ExprsToJs(env, s.exprs));
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kElements: items = ElementsToJs(env, r.elems); break;
    case DumpWhat::kObjects: {
      Napi::Array a = Napi::Array::New(env, r.objs.size());
      for (size_t i = 0; i < r.objs.size(); i++) {
        const ObjItem& ob = r.objs[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("family", ob.family);
        x.Set("table", ob.table);
        x.Set("name", ob.name);
        x.Set("objType", ob.type);
        x.Set("handle", Napi::BigInt::New(env, ob.handle));
        x.Set("use", ob.use);
        Napi::Object attrs = Napi::Object::New(env);
        for (const AttrValue& at : ob.attrs) {
          switch (at.def->kind) {
            case Kind::kU64: attrs.Set(at.def->name, Napi::BigInt::New(env, at.num)); break;
            case Kind::kStr: attrs.Set(at.def->name, at.str); break;
            case Kind::kBytes: attrs.Set(at.def->name, BytesToJs(env, at.bytes)); break;
            default: attrs.Set(at.def->name, Napi::Number::New(env, static_cast<double>(at.num))); break;
          }
        }
        x.Set("attrs", attrs);
        SetUd(env, x, ob.userdata);
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kFlowtables: {
      Napi::Array a = Napi::Array::New(env, r.flowtables.size());
      for (size_t i = 0; i < r.flowtables.size(); i++) {
        const FlowtableItem& f = r.flowtables[i];
        Napi::Object x = Napi::Object::New(env);
        x.Set("family", f.family);
        x.Set("table", f.table);
        x.Set("name", f.name);
        x.Set("handle", Napi::BigInt::New(env, f.handle));
        SetOpt(env, x, "hooknum", f.hooknum);
        if (f.priority) x.Set("priority", *f.priority);
        SetOpt(env, x, "flags", f.flags);
        SetOpt(env, x, "size", f.size);
        Napi::Array d = Napi::Array::New(env, f.devices.size());
        for (size_t k = 0; k < f.devices.size(); k++) d.Set(static_cast<uint32_t>(k), f.devices[k]);
        x.Set("devices", d);
        x.Set("use", f.use);
        a.Set(static_cast<uint32_t>(i), x);
      }
      items = a;
      break;
    }
    case DumpWhat::kGen: {
      Napi::Object g = Napi::Object::New(env);
      g.Set("id", r.genid);
      items = g;
      break;
    }
  }
  o.Set("items", items);
  return o;
}

Napi::Value ExprTableToJs(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  for (const ExprDef& def : ExprTable()) {
    Napi::Object attrs = Napi::Object::New(env);
    for (const AttrDef& a : def.attrs) attrs.Set(a.name, KindName(a.kind));
    o.Set(def.name, attrs);
  }
  return o;
}

}  // namespace nftjs
