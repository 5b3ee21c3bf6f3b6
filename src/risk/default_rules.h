#pragma once

// The default rules file, src/risk/default_rules.toml, compiled into the
// library so that a server without a rules file of its own still scores
// payments, and so that the file's own tests load exactly what ships.

#include <string_view>

namespace netfin::risk {

// The text of default_rules.toml.
std::string_view DefaultRulesToml();
// The name errors and decisions give it.
inline constexpr std::string_view kDefaultRulesSource = "default_rules.toml";
// The model scores at which the default rules challenge (model_score_high)
// and deny (model_score_very_high); `netfin eval fraud` reports a model's
// rates at these. default_rules_test holds the file to them.
inline constexpr double kDefaultModelChallengeScore = 0.5;
inline constexpr double kDefaultModelDenyScore = 0.9;

}  // namespace netfin::risk
