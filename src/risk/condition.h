#pragma once

// Condition: a rule's condition, compiled from a small expression language
// over feature names and numbers, and evaluated without allocating.
//
// Grammar (lowest precedence first; docs/risk.md has the user's version):
//
//   condition  := or
//   or         := and ("or" and)*
//   and        := not ("and" not)*
//   not        := "not" not | comparison
//   comparison := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)?
//   sum        := product (("+" | "-") product)*
//   product    := unary (("*" | "/") unary)*
//   unary      := "-" unary | primary
//   primary    := number | name | "true" | "false" | "(" or ")"
//   number     := digits ("." digits)? (("e" | "E") ("+" | "-")? digits)?,
//                 with "_" allowed between digits (1_000_000)
//   name       := a feature name (features.h) or "model_score"
//
// Types are checked at compile time. Comparisons, "true", "false" and flag
// features (new_device, is_night, ...) are conditions; numbers are not, and
// must be compared ("amount > 0"), so "amount and new_device" is refused.
// Arithmetic and comparisons take numbers and conditions (a condition counts
// as 1 or 0: "new_device + new_ip + new_payee >= 2"). Comparisons do not
// chain ("1 < x < 2" is refused; write "1 < x and x < 2"). The whole
// condition must be a condition.
//
// Arithmetic is IEEE double: x / 0 is infinite, 0 / 0 is NaN. A comparison
// with NaN (a missing feature) is false, "!=" included, so a rule never
// fires on a value it does not have unless it says "not (...)".
//
// The compiled form is postfix code over a fixed stack; Evaluate is a loop
// over it with no allocation and no recursion.
//
// Thread-safe once compiled: Evaluate is const and touches only its inputs.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "risk/features.h"

namespace netfin::risk {

// The model's score is available to conditions under this name.
inline constexpr std::string_view kModelScoreName = "model_score";

// Bounds on one condition, so that a rules file cannot make evaluation slow
// or the parser recurse without end.
inline constexpr size_t kConditionBytesMax = 4096;
inline constexpr size_t kConditionInstructionsMax = 512;
inline constexpr size_t kConditionNestingMax = 64;
inline constexpr size_t kConditionStackMax = 64;

class Condition {
 public:
  // Compiles text. On failure, the Status (kInvalidArgument) says why and
  // *error_offset is the byte offset in text where the problem is.
  static core::Result<Condition> Compile(std::string_view text, size_t* error_offset);

  // REQUIRES: features.size() == kFeatureCount.
  bool Evaluate(std::span<const double> features, double model_score) const;
  bool Evaluate(const FeatureVector& features, double model_score) const {
    return Evaluate(features.span(), model_score);
  }

  size_t instruction_count() const { return code_.size(); }

 private:
  friend class ConditionParser;

  enum class Op : uint8_t {
    kConst,       // push value
    kLoad,        // push features[slot]
    kModelScore,  // push model_score
    kNeg,
    kAdd,
    kSub,
    kMul,
    kDiv,
    kLt,
    kLe,
    kGt,
    kGe,
    kEq,
    kNe,
    kNot,
    kAnd,
    kOr,
  };
  struct Instruction {
    Op op;
    uint16_t slot;
    double value;
  };

  std::vector<Instruction> code_;
};

}  // namespace netfin::risk
