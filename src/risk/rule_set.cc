#include "risk/rule_set.h"

#include <algorithm>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/files.h"
#include "core/assert.h"
#include "ml/model_files.h"

namespace netfin::risk {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kAllow:
      return "allow";
    case Action::kChallenge:
      return "challenge";
    case Action::kDeny:
      return "deny";
  }
  return "unknown";
}

std::optional<Action> ParseAction(std::string_view name) {
  for (Action a : {Action::kAllow, Action::kChallenge, Action::kDeny}) {
    if (ActionName(a) == name) return a;
  }
  return std::nullopt;
}

namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

uint32_t LineOf(const toml::source_region& region) { return region.begin.line; }

// The text of line (1-based) of text, without its newline; empty past the end.
std::string_view LineText(std::string_view text, uint32_t line) {
  size_t start = 0;
  for (uint32_t l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string_view::npos) return {};
    ++start;
  }
  const size_t end = text.find('\n', start);
  return text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
}

}  // namespace

// Reads the rules file's TOML tree into a RuleSet, checking everything.
class RuleFileParser {
 public:
  RuleFileParser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  core::Result<RuleSet> Parse() {
    if (text_.size() > kRulesFileBytesMax) {
      return Fail(1, fmt::format("the file is larger than {} bytes", kRulesFileBytesMax));
    }
    toml::table root;
    try {
      root = toml::parse(text_, source_);
    } catch (const toml::parse_error& e) {
      return Fail(LineOf(e.source()), fmt::format("not valid TOML: {}", e.description()));
    }
    NETFIN_RETURN_IF_ERROR(ParseRoot(root));
    set_.source_ = source_;
    return std::move(set_);
  }

 private:
  core::Status Fail(uint32_t line, std::string reason) const {
    return core::InvalidArgument(fmt::format("{}:{}: {}", source_, line, reason));
  }

  core::Status ParseRoot(const toml::table& root) {
    for (const auto& [key, node] : root) {
      const std::string_view k = key.str();
      if (k == "version") {
        const std::optional<int64_t> version = node.value<int64_t>();
        if (!node.is_integer() || version != kRulesFormatVersion) {
          return Fail(LineOf(node.source()),
                      fmt::format("version must be {} (the rules format this build reads)",
                                  kRulesFormatVersion));
        }
      } else if (k == "rule") {
        NETFIN_RETURN_IF_ERROR(ParseRules(node));
      } else {
        return Fail(LineOf(key.source()),
                    fmt::format("unknown key \"{}\" (a rules file has version and [[rule]] "
                                "tables)",
                                k));
      }
    }
    return core::Status::Ok();
  }

  core::Status ParseRules(const toml::node& node) {
    const toml::array* rules = node.as_array();
    if (rules == nullptr || !rules->is_array_of_tables()) {
      return Fail(LineOf(node.source()), "rules are [[rule]] tables");
    }
    for (const toml::node& element : *rules) {
      const toml::table& table = *element.as_table();
      if (set_.rules_.size() == kRulesMax) {
        return Fail(LineOf(table.source()), fmt::format("more than {} rules", kRulesMax));
      }
      Rule rule;
      rule.line = LineOf(table.source());
      NETFIN_RETURN_IF_ERROR(ParseRule(table, &rule));
      set_.rules_.push_back(std::move(rule));
    }
    return core::Status::Ok();
  }

  core::Status ParseRule(const toml::table& table, Rule* rule) {
    // The name first, so that every other message can name the rule (toml++
    // iterates keys in sorted order, not file order).
    if (const toml::node* name = table.get("name")) NETFIN_RETURN_IF_ERROR(ParseName(*name, rule));
    bool has_action = false;
    const toml::node* condition = nullptr;
    for (const auto& [key, node] : table) {
      const std::string_view k = key.str();
      if (k == "name") {
        // read above
      } else if (k == "condition") {
        condition = &node;  // compiled last, so its errors can name the rule
      } else if (k == "action") {
        NETFIN_RETURN_IF_ERROR(ParseActionValue(node, rule));
        has_action = true;
      } else if (k == "reason") {
        NETFIN_RETURN_IF_ERROR(ParseReason(node, rule));
      } else {
        return Fail(LineOf(key.source()),
                    fmt::format("unknown key \"{}\" in a rule (a rule has name, condition, "
                                "action and reason)",
                                k));
      }
    }
    const char* missing = rule->name.empty()     ? "name"
                          : condition == nullptr ? "condition"
                          : !has_action          ? "action"
                          : rule->reason.empty() ? "reason"
                                                 : nullptr;
    if (missing != nullptr) {
      return Fail(rule->line, fmt::format("the rule{} has no {}", Named(*rule), missing));
    }
    return CompileCondition(*condition, rule);
  }

  // " \"name\"" when the rule has a name yet, for messages.
  static std::string Named(const Rule& rule) {
    return rule.name.empty() ? std::string() : fmt::format(" \"{}\"", rule.name);
  }

  core::Status ReadString(const toml::node& node, std::string_view key, const Rule& rule,
                          std::string* out) const {
    const std::optional<std::string> value = node.value<std::string>();
    if (!node.is_string() || !value.has_value()) {
      return Fail(LineOf(node.source()),
                  fmt::format("{} of the rule{} must be a string", key, Named(rule)));
    }
    *out = *value;
    return core::Status::Ok();
  }

  core::Status ParseName(const toml::node& node, Rule* rule) {
    std::string name;
    NETFIN_RETURN_IF_ERROR(ReadString(node, "name", *rule, &name));
    const uint32_t line = LineOf(node.source());
    if (name.empty() || name.size() > kRuleNameBytesMax ||
        !std::all_of(name.begin(), name.end(), IsNameChar)) {
      return Fail(line, fmt::format("rule name \"{}\" must be 1 to {} letters, digits, '_', '.' "
                                    "or '-'",
                                    name, kRuleNameBytesMax));
    }
    if (const Rule* first = set_.Find(name)) {
      return Fail(line, fmt::format("rule name \"{}\" is already used by the rule at line {}", name,
                                    first->line));
    }
    rule->name = std::move(name);
    return core::Status::Ok();
  }

  core::Status ParseActionValue(const toml::node& node, Rule* rule) {
    std::string text;
    NETFIN_RETURN_IF_ERROR(ReadString(node, "action", *rule, &text));
    const std::optional<Action> action = ParseAction(text);
    if (!action.has_value()) {
      return Fail(LineOf(node.source()),
                  fmt::format("action \"{}\" of the rule{} is not allow, challenge or deny", text,
                              Named(*rule)));
    }
    rule->action = *action;
    return core::Status::Ok();
  }

  core::Status ParseReason(const toml::node& node, Rule* rule) {
    NETFIN_RETURN_IF_ERROR(ReadString(node, "reason", *rule, &rule->reason));
    if (rule->reason.empty() || rule->reason.size() > kRuleReasonBytesMax) {
      return Fail(LineOf(node.source()), fmt::format("reason of the rule{} must be 1 to {} bytes",
                                                     Named(*rule), kRuleReasonBytesMax));
    }
    return core::Status::Ok();
  }

  core::Status CompileCondition(const toml::node& node, Rule* rule) {
    NETFIN_RETURN_IF_ERROR(ReadString(node, "condition", *rule, &rule->condition_text));
    size_t offset = 0;
    core::Result<Condition> compiled = Condition::Compile(rule->condition_text, &offset);
    if (!compiled.ok()) {
      return Fail(
          ConditionLine(node, rule->condition_text, offset),
          fmt::format("condition of the rule \"{}\": {}", rule->name, compiled.status().message()));
    }
    rule->condition = std::move(compiled).value();
    return core::Status::Ok();
  }

  // The file line of byte offset of a condition's text: the value's line,
  // plus one when a multi-line string starts with a newline (TOML drops it),
  // plus the newlines before offset. Exact unless the string uses escapes
  // that span lines (a line-ending backslash).
  uint32_t ConditionLine(const toml::node& node, std::string_view condition, size_t offset) const {
    const toml::source_position begin = node.source().begin;
    uint32_t line = begin.line;
    const std::string_view line_text = LineText(text_, begin.line);
    if (begin.column >= 1 && begin.column - 1 < line_text.size()) {
      const std::string_view from_value = line_text.substr(begin.column - 1);
      const bool multi_line = from_value.starts_with("\"\"\"") || from_value.starts_with("'''");
      if (multi_line && from_value.find_first_not_of(" \t\r", 3) == std::string_view::npos) {
        ++line;
      }
    }
    const size_t end = std::min(offset, condition.size());
    line += static_cast<uint32_t>(std::count(condition.begin(), condition.begin() + end, '\n'));
    return line;
  }

  std::string_view text_;
  std::string source_;
  RuleSet set_;
};

core::Result<RuleSet> RuleSet::Parse(std::string_view toml_text, std::string_view source_name) {
  return RuleFileParser(toml_text, source_name).Parse();
}

core::Result<RuleSet> RuleSet::LoadFile(const std::string& path) {
  // kIoError or kInvalidArgument (too large), each naming the path.
  core::Result<std::string> text = core::ReadWholeFile(path, kRulesFileBytesMax);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

Verdict RuleSet::Evaluate(std::span<const double> features, double model_score) const {
  NETFIN_ASSERT(features.size() == kFeatureCount);
  NETFIN_ASSERT(rules_.size() <= kRulesMax);
  Verdict verdict;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (!rule.condition.Evaluate(features, model_score)) continue;
    verdict.fired.set(i);
    verdict.action = std::max(verdict.action, rule.action);
  }
  return verdict;
}

const Rule* RuleSet::Find(std::string_view name) const {
  for (const Rule& rule : rules_) {
    if (rule.name == name) return &rule;
  }
  return nullptr;
}

}  // namespace netfin::risk
