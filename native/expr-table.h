// SPDX-License-Identifier: GPL-2.0-or-later
// Expression attribute table: the one place that maps the package's attribute names to
// libnftnl's NFTNL_EXPR_* ids and wire kinds, in both directions (encode and decode).
// Must match lib/expr/registry.ts; test/unit/expr-table.test.ts compares the two.
#ifndef NATIVE_EXPR_TABLE_H_
#define NATIVE_EXPR_TABLE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace nftjs {

enum class Kind { kU8, kU16, kU32, kI32, kU64, kStr, kBytes, kExprs };

struct AttrDef {
  const char* name;
  uint16_t id;
  Kind kind;
};

struct ExprDef {
  const char* name;
  std::vector<AttrDef> attrs;
};

const std::vector<ExprDef>& ExprTable();
const ExprDef* FindExpr(const std::string& name);
const AttrDef* FindAttr(const ExprDef& def, const std::string& name);
const char* KindName(Kind kind);

// Object (NEWOBJ) attributes, keyed by NFT_OBJECT_* type; same idea as expressions.
struct ObjDef {
  uint32_t type;
  const char* name;
  std::vector<AttrDef> attrs;
};
const ObjDef* FindObj(uint32_t type);

}  // namespace nftjs

#endif  // NATIVE_EXPR_TABLE_H_
