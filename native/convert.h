// SPDX-License-Identifier: GPL-2.0-or-later
// JS descriptors <-> C++ specs. Runs on the main thread; the only code that touches JS values.
// Every shape error throws a TypeError naming the field and returns false / an empty value.
// Every read of a JS property is checked: a getter, Proxy trap or inherited accessor that
// throws stops the conversion at once and its exception is the one the caller sees (N-API
// forbids throwing over a pending exception: node would abort).
#ifndef NATIVE_CONVERT_H_
#define NATIVE_CONVERT_H_

#include <napi.h>

#include <string>

#include "spec.h"

namespace nftjs {

// Throw unless an exception is already pending (that one then propagates). Return false.
bool ThrowTypeError(Napi::Env env, const std::string& message);
bool ThrowRangeError(Napi::Env env, const std::string& message);
// obj[key]; false (exception pending) if the read threw.
bool ReadProperty(Napi::Env env, Napi::Object obj, const char* key, Napi::Value* out);
// True when JS may run in env: false while a worker or the process tears the environment down
// (worker.terminate(): then a completing operation must settle nothing and call no JS) and
// while an exception is pending.
bool CanRunJs(Napi::Env env);
// Call from a catch block: turns the C++ exception in flight into a JS error (std::bad_alloc ->
// RangeError code ENOMEM, std::system_error -> Error with its errno), unless one is pending.
void ThrowCurrentException(Napi::Env env);

// Every entry point is wrapped: with NAPI_DISABLE_CPP_EXCEPTIONS node-addon-api catches
// nothing, so a C++ exception reaching V8 would terminate the process.
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (...) {
    ThrowCurrentException(info.Env());
  }
  return Napi::Value();
}

bool ToBatchSpec(Napi::Env env, Napi::Value value, BatchSpec* out);
// An elements operation with no elements yet (count 0): the part of a prepared commit that
// stays the same (set, key length, per-set options). Throws unless it is one.
bool ToElementsTemplate(Napi::Env env, Napi::Value value, OpSpec* out);
// add, create, delete or destroy.
bool ToElementVerb(Napi::Env env, Napi::Value value, Verb* out);
bool ToDumpSpec(Napi::Env env, Napi::Value value, DumpSpec* out);
Napi::Value CommitResultToJs(Napi::Env env, const CommitResult& r);
Napi::Value DumpResultToJs(Napi::Env env, const DumpResult& r);
Napi::Value ExprTableToJs(Napi::Env env);
/** Bytes as a Uint8Array; expressions in the registry shape (lib/expr/registry.ts), as dumps return them. */
Napi::Value BytesToJs(Napi::Env env, const Bytes& b);
Napi::Value ExprsToJs(Napi::Env env, const std::vector<ExprSpec>& exprs);

}  // namespace nftjs

#endif  // NATIVE_CONVERT_H_
