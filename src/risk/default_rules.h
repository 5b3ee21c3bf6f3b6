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

}  // namespace netfin::risk
