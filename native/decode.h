// SPDX-License-Identifier: GPL-2.0-or-later
// Dump replies -> plain C++ items, through libnftnl's parsers. No napi.h here.
#ifndef NATIVE_DECODE_H_
#define NATIVE_DECODE_H_

#include <string>
#include <vector>

#include "spec.h"

struct nlmsghdr;
struct nftnl_expr;

namespace nftjs {

class Decoder {
 public:
  Decoder(const DumpSpec& spec, DumpResult* out) : spec_(spec), out_(out) {}
  // Decodes one reply message; false (with error()) if it cannot be parsed.
  bool Feed(const struct nlmsghdr* nlh);
  const std::string& error() const { return error_; }

 private:
  bool Fail(const std::string& msg) {
    error_ = msg;
    return false;
  }
  const DumpSpec& spec_;
  DumpResult* out_;
  std::string error_;
};

// True when the same element (key, end key and interval-end flag) appears twice in an element
// dump. The kernel builds each part of a dump by walking the set again and skipping the
// elements it already sent (nf_tables_dump_set: iter.skip = cb->args[0]); when a hash set's
// rhashtable is resized between two parts (a background worker, shortly after a big load, with
// no commit and no generation change) the walk order changes, so some elements come twice and
// as many are missing. Nothing in the reply says so: a duplicate is the only trace.
bool HasDuplicateElements(const std::vector<ElemItem>& elems);

// Reads every attribute the expression table knows from a libnftnl expression.
ExprSpec ReadExpr(const struct nftnl_expr* e);

}  // namespace nftjs

#endif  // NATIVE_DECODE_H_
