#pragma once

// RuleEngine: the rules in force, replaceable while payments are being
// scored (hot reload), and the decision for one payment.
//
// The rules in force are an immutable RuleSet held by a shared_ptr. A reload
// reads, parses and compiles the new file first, with no lock held, and only
// then swaps the pointer; Decide copies the pointer. A mutex guards just
// those two pointer operations (tens of nanoseconds), so a decision never
// waits for a file to be read or parsed. (std::atomic<std::shared_ptr> would
// do the same without the mutex, but GCC 12's implementation reads the
// pointer with a relaxed unlock that ThreadSanitizer reports as a race.)
//
// Decide keeps the RuleSet alive in the Decision it returns, so the reasons
// it reports stay valid even if the rules change right after. A reload that
// fails leaves the rules in force exactly as they were and returns the
// error (file line and reason).
//
// Thread-safe.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "risk/features.h"
#include "risk/rule_set.h"

namespace netfin::risk {

// A decision: the action, which rules fired, and the rule set that made it.
class Decision {
 public:
  Decision(std::shared_ptr<const RuleSet> rules, Verdict verdict)
      : rules_(std::move(rules)), verdict_(verdict) {}

  Action action() const { return verdict_.action; }
  const Verdict& verdict() const { return verdict_; }
  size_t fired_count() const { return verdict_.fired.count(); }
  // Calls f(rule) for each rule that fired, in file order. Allocates
  // nothing and does not scan the rules when none fired.
  template <typename F>
  void ForEachFired(F&& f) const {
    if (verdict_.fired.none()) return;
    const std::span<const Rule> rules = rules_->rules();
    for (size_t i = 0; i < rules.size(); ++i) {
      if (verdict_.fired.test(i)) f(rules[i]);
    }
  }
  // The rules that fired, in file order (allocates: for reporting).
  std::vector<const Rule*> FiredRules() const;
  const RuleSet& rules() const { return *rules_; }

 private:
  std::shared_ptr<const RuleSet> rules_;
  Verdict verdict_;
};

class RuleEngine {
 public:
  // Starts with the given rules (an empty RuleSet allows everything).
  explicit RuleEngine(RuleSet initial = RuleSet());

  // The rule set in force now.
  std::shared_ptr<const RuleSet> Current() const;

  // Runs the rules in force on the features, with the model's score as the
  // feature "model_score" (NaN when there is no model: a rule comparing
  // model_score then never fires).
  Decision Decide(const FeatureVector& features, double model_score) const;

  // Parses toml_text and, only if it is valid, puts it in force. On error
  // the rules in force are unchanged and the Status says where and why.
  core::Status Reload(std::string_view toml_text, std::string_view source_name);
  core::Status ReloadFile(const std::string& path);

  // Successful loads so far, the initial rules included.
  uint64_t generation() const { return generation_.load(); }

 private:
  core::Status Install(core::Result<RuleSet> parsed);

  mutable std::mutex mutex_;              // held only to copy or swap rules_
  std::shared_ptr<const RuleSet> rules_;  // GUARDED_BY(mutex_); never null
  std::atomic<uint64_t> generation_{1};
};

}  // namespace netfin::risk
