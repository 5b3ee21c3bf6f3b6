#include "risk/rule_engine.h"

#include "core/assert.h"

namespace netfin::risk {

std::vector<const Rule*> Decision::FiredRules() const {
  std::vector<const Rule*> fired;
  ForEachFired([&](const Rule& rule) { fired.push_back(&rule); });
  return fired;
}

RuleEngine::RuleEngine(RuleSet initial)
    : rules_(std::make_shared<const RuleSet>(std::move(initial))) {}

std::shared_ptr<const RuleSet> RuleEngine::Current() const {
  std::lock_guard<std::mutex> lock(mutex_);
  NETFIN_ASSERT(rules_ != nullptr);
  return rules_;
}

Decision RuleEngine::Decide(const FeatureVector& features, double model_score) const {
  std::shared_ptr<const RuleSet> rules = Current();
  const Verdict verdict = rules->Evaluate(features, model_score);
  return Decision(std::move(rules), verdict);
}

core::Status RuleEngine::Reload(std::string_view toml_text, std::string_view source_name) {
  return Install(RuleSet::Parse(toml_text, source_name));
}

core::Status RuleEngine::ReloadFile(const std::string& path) {
  return Install(RuleSet::LoadFile(path));
}

core::Status RuleEngine::Install(core::Result<RuleSet> parsed) {
  if (!parsed.ok()) return parsed.status();
  std::shared_ptr<const RuleSet> next = std::make_shared<const RuleSet>(std::move(parsed).value());
  // Point of no return.
  {
    std::lock_guard<std::mutex> lock(mutex_);
    rules_.swap(next);
    generation_.fetch_add(1);
  }
  // next now holds the old rules: freed here, outside the lock, unless a
  // decision still holds them.
  return core::Status::Ok();
}

}  // namespace netfin::risk
