// SPDX-License-Identifier: GPL-2.0-or-later
// JS descriptors <-> C++ specs. Runs on the main thread; the only code that touches JS values.
// Every shape error throws a TypeError naming the field and returns false / an empty value.
#ifndef NATIVE_CONVERT_H_
#define NATIVE_CONVERT_H_

#include <napi.h>

#include "spec.h"

namespace nftjs {

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

}  // namespace nftjs

#endif  // NATIVE_CONVERT_H_
