#pragma once

// RuleSet: the risk rules read from a TOML file, in file order, each with a
// compiled condition. docs/risk.md documents the file format; in short:
//
//   version = 1
//
//   [[rule]]
//   name = "card_testing"
//   condition = "customer_count_1m >= 10 and amount <= 1_000"
//   action = "deny"                  # allow, challenge or deny
//   reason = "many small payments within a minute"
//
// Parse refuses, with "<source>:<line>: <reason>", a file that is not TOML,
// an unknown key, a rule missing a field or with a field of the wrong type,
// a bad or repeated name, an action that is not allow / challenge / deny, an
// empty reason, and a condition that does not compile (syntax, unknown
// feature, type). The line is the line of the offending value; for a
// condition, the line of the offending part of it.
//
// Evaluation runs every rule, in file order; the decision is the strongest
// action among the rules that fired (deny > challenge > allow; allow when
// none fired), and every fired rule is reported. An "allow" rule therefore
// never overrides a stronger one: it records a reason.
//
// Immutable once parsed; thread-safe.

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "risk/condition.h"
#include "risk/features.h"

namespace netfin::risk {

// A decision's action; a larger value is a stronger action. DO NOT RENUMBER:
// persisted with cases and decisions.
enum class Action : uint8_t {
  kAllow = 1,      // the payment proceeds
  kChallenge = 2,  // the customer must confirm a safe-transaction reminder
  kDeny = 3,       // the payment fails
};

std::string_view ActionName(Action action);  // "allow", "challenge", "deny"
std::optional<Action> ParseAction(std::string_view name);

// Bounds on a rules file. Rules: the fired set is a fixed bitset of this
// size, so evaluation never allocates; 256 is far more than a readable file.
inline constexpr size_t kRulesMax = 256;
inline constexpr size_t kRulesFileBytesMax = 1 << 20;
inline constexpr size_t kRuleNameBytesMax = 64;
inline constexpr size_t kRuleReasonBytesMax = 512;
inline constexpr int64_t kRulesFormatVersion = 1;

struct Rule {
  std::string name;            // [A-Za-z0-9_.-]+, unique in its file: the reason code
  std::string condition_text;  // as written
  Condition condition;
  Action action = Action::kAllow;
  std::string reason;  // shown to operators (and, for a challenge, the customer)
  uint32_t line = 0;   // where the rule's [[rule]] header is
};

// Which rules fired, by index in file order.
using FiredRules = std::bitset<kRulesMax>;

struct Verdict {
  Action action = Action::kAllow;
  FiredRules fired;
};

class RuleSet {
 public:
  // An empty rule set: allows everything.
  RuleSet() = default;

  // Parses a rules file's text. source_name names it in error messages
  // ("rules.toml:12: ...").
  static core::Result<RuleSet> Parse(std::string_view toml_text, std::string_view source_name);
  // Reads and parses the file at path (at most kRulesFileBytesMax bytes).
  static core::Result<RuleSet> LoadFile(const std::string& path);

  // Runs every rule on the features and the model's score. No allocation.
  // REQUIRES: features.size() == kFeatureCount.
  Verdict Evaluate(std::span<const double> features, double model_score) const;
  Verdict Evaluate(const FeatureVector& features, double model_score) const {
    return Evaluate(features.span(), model_score);
  }

  std::span<const Rule> rules() const { return rules_; }
  // The rule called name, or null.
  const Rule* Find(std::string_view name) const;
  const std::string& source() const { return source_; }

 private:
  friend class RuleFileParser;

  std::vector<Rule> rules_;
  std::string source_;
};

}  // namespace netfin::risk
