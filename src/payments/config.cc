#include "payments/config.h"

#include <set>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace netfin::payments {

const CurrencyConfig* PaymentsConfig::FindCurrency(std::string_view code) const {
  for (const auto& c : currencies) {
    if (c.code == code) return &c;
  }
  return nullptr;
}

const CurrencyConfig* PaymentsConfig::FindLedger(uint32_t ledger) const {
  for (const auto& c : currencies) {
    if (c.ledger == ledger) return &c;
  }
  return nullptr;
}

const TierConfig* PaymentsConfig::FindTier(uint8_t tier) const {
  for (const auto& t : tiers) {
    if (t.tier == tier) return &t;
  }
  return nullptr;
}

core::Status PaymentsConfig::Validate() const {
  using core::InvalidArgument;
  if (currencies.empty()) return InvalidArgument("payments.currencies: at least one currency");
  std::set<std::string> codes;
  std::set<uint32_t> ledgers;
  for (const auto& c : currencies) {
    if (c.code.size() != 3) return InvalidArgument("payments.currencies: code must be 3 letters");
    if (c.ledger == 0) return InvalidArgument("payments.currencies." + c.code + ": ledger 0");
    if (c.exponent > 4) return InvalidArgument("payments.currencies." + c.code + ": exponent > 4");
    if (!codes.insert(c.code).second || !ledgers.insert(c.ledger).second) {
      return InvalidArgument("payments.currencies: " + c.code + " repeats a code or ledger");
    }
  }
  if (tiers.empty()) return InvalidArgument("payments.tiers: at least one tier");
  std::set<uint8_t> numbers;
  for (const auto& t : tiers) {
    if (t.tier == 0) return InvalidArgument("payments.tiers: tier numbers start at 1");
    if (!numbers.insert(t.tier).second) {
      return InvalidArgument(fmt::format("payments.tiers: tier {} twice", t.tier));
    }
    if (t.limit_minor == 0 || t.limit_minor > core::kAmountMax) {
      return InvalidArgument(fmt::format("payments.tiers: tier {} limit_minor out of range", t.tier));
    }
  }
  if (fee_bps_max > 10'000) return InvalidArgument("payments.fee_bps_max: above 10000 (100%)");
  if (fee_bps_default > fee_bps_max) {
    return InvalidArgument("payments.fee_bps_default: above fee_bps_max");
  }
  if (payment_expiry_s_default == 0 || payment_expiry_s_default > payment_expiry_s_max) {
    return InvalidArgument("payments.payment_expiry_s_default: 1..payment_expiry_s_max");
  }
  if (webhook_backoff_ms_base == 0 || webhook_backoff_ms_base > webhook_backoff_ms_max) {
    return InvalidArgument("payments.webhook_backoff_ms_base: 1..webhook_backoff_ms_max");
  }
  if (webhook_attempts_max == 0) return InvalidArgument("payments.webhook_attempts_max: 0");
  if (confirmation_expiry_s == 0 || confirmation_expiry_s > 24 * 3600) {
    return InvalidArgument("payments.confirmation_expiry_s: 1..86400");
  }
  if (confirmation_attempts_max == 0 || confirmation_attempts_max > 10) {
    return InvalidArgument("payments.confirmation_attempts_max: 1..10");
  }
  if (settlement_dir.empty()) return InvalidArgument("payments.settlement_dir: empty");
  return core::Status::Ok();
}

namespace {

template <typename T>
core::Status ReadUnsigned(const toml::node& node, std::string_view name, T* out) {
  const auto v = node.value<int64_t>();
  if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) {
    return core::InvalidArgument(fmt::format("payments.{}: a non-negative integer in range", name));
  }
  *out = static_cast<T>(*v);
  return core::Status::Ok();
}

core::Status ReadString(const toml::node& node, std::string_view name, std::string* out) {
  const auto v = node.value<std::string>();
  if (!v) return core::InvalidArgument(fmt::format("payments.{}: a string", name));
  *out = *v;
  return core::Status::Ok();
}

core::Status ParseTier(const toml::table& t, TierConfig* tier) {
  for (const auto& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "tier") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "tiers.tier", &tier->tier));
    } else if (k == "name") {
      NETFIN_RETURN_IF_ERROR(ReadString(node, "tiers.name", &tier->name));
    } else if (k == "limit_minor") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "tiers.limit_minor", &tier->limit_minor));
    } else if (k == "period") {
      std::string period;
      NETFIN_RETURN_IF_ERROR(ReadString(node, "tiers.period", &period));
      if (period == "lifetime") {
        tier->period = TierPeriod::kLifetime;
      } else if (period == "year") {
        tier->period = TierPeriod::kYear;
      } else {
        return core::InvalidArgument("payments.tiers.period: \"lifetime\" or \"year\"");
      }
    } else {
      return core::InvalidArgument(fmt::format("payments.tiers: unknown key {}", k));
    }
  }
  return core::Status::Ok();
}

core::Status ParseCurrency(const toml::table& t, CurrencyConfig* c) {
  for (const auto& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "code") {
      NETFIN_RETURN_IF_ERROR(ReadString(node, "currencies.code", &c->code));
    } else if (k == "ledger") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "currencies.ledger", &c->ledger));
    } else if (k == "exponent") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "currencies.exponent", &c->exponent));
    } else {
      return core::InvalidArgument(fmt::format("payments.currencies: unknown key {}", k));
    }
  }
  return core::Status::Ok();
}

// Reads an array of tables ([[payments.NAME]]) with parse.
template <typename Item, typename Parse>
core::Status ReadTables(const toml::node& node, std::string_view name, std::vector<Item>* out,
                        Parse parse) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return core::InvalidArgument(fmt::format("payments.{}: an array", name));
  out->clear();
  for (const auto& element : *array) {
    const toml::table* t = element.as_table();
    if (t == nullptr) return core::InvalidArgument(fmt::format("payments.{}: tables", name));
    NETFIN_RETURN_IF_ERROR(parse(*t, &out->emplace_back()));
  }
  return core::Status::Ok();
}

core::Status ApplyKey(std::string_view k, const toml::node& node, PaymentsConfig* c) {
  if (k == "tiers") return ReadTables(node, k, &c->tiers, ParseTier);
  if (k == "currencies") return ReadTables(node, k, &c->currencies, ParseCurrency);
  if (k == "fee_bps_default") return ReadUnsigned(node, k, &c->fee_bps_default);
  if (k == "fee_bps_max") return ReadUnsigned(node, k, &c->fee_bps_max);
  if (k == "payment_expiry_s_default") return ReadUnsigned(node, k, &c->payment_expiry_s_default);
  if (k == "payment_expiry_s_max") return ReadUnsigned(node, k, &c->payment_expiry_s_max);
  if (k == "settlement_dir") return ReadString(node, k, &c->settlement_dir);
  if (k == "idempotency_ttl_s") return ReadUnsigned(node, k, &c->idempotency_ttl_s);
  if (k == "webhook_backoff_ms_base") return ReadUnsigned(node, k, &c->webhook_backoff_ms_base);
  if (k == "webhook_backoff_ms_max") return ReadUnsigned(node, k, &c->webhook_backoff_ms_max);
  if (k == "webhook_attempts_max") return ReadUnsigned(node, k, &c->webhook_attempts_max);
  if (k == "webhook_timeout_ms") return ReadUnsigned(node, k, &c->webhook_timeout_ms);
  if (k == "confirmation_expiry_s") return ReadUnsigned(node, k, &c->confirmation_expiry_s);
  if (k == "confirmation_attempts_max") {
    return ReadUnsigned(node, k, &c->confirmation_attempts_max);
  }
  if (k == "refund_fee") {
    std::string policy;
    NETFIN_RETURN_IF_ERROR(ReadString(node, k, &policy));
    if (policy == "return_proportional") {
      c->refund_fee = RefundFeePolicy::kReturnProportional;
    } else if (policy == "keep") {
      c->refund_fee = RefundFeePolicy::kKeep;
    } else {
      return core::InvalidArgument("payments.refund_fee: \"return_proportional\" or \"keep\"");
    }
    return core::Status::Ok();
  }
  return core::InvalidArgument(fmt::format("payments: unknown key {}", k));
}

}  // namespace

core::Result<PaymentsConfig> ParsePaymentsConfig(std::string_view toml_text) {
  PaymentsConfig config;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return core::InvalidArgument(fmt::format("config: {}", e.description()));
  }
  if (const toml::table* table = root["payments"].as_table()) {
    for (const auto& [key, node] : *table) {
      NETFIN_RETURN_IF_ERROR(ApplyKey(key.str(), node, &config));
    }
  }
  NETFIN_RETURN_IF_ERROR(config.Validate());
  return config;
}

}  // namespace netfin::payments
