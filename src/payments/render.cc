#include "payments/render.h"

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace netfin::payments {
namespace {

// A JSON object under construction.
class Json {
 public:
  // Room for a payment's JSON from the start (the buffer would otherwise
  // grow from 256 bytes, reallocating on the way).
  Json() : buffer_(nullptr, 1024), w_(buffer_) { w_.StartObject(); }
  Json& Str(std::string_view key, std::string_view value) {
    Key(key);
    w_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    return *this;
  }
  Json& Id(std::string_view key, const Id128& id) {
    if (id.IsZero()) return Null(key);
    return Str(key, id.ToDecimalDigits().view());
  }
  Json& U64(std::string_view key, uint64_t value) {
    Key(key);
    w_.Uint64(value);
    return *this;
  }
  Json& Bool(std::string_view key, bool value) {
    Key(key);
    w_.Bool(value);
    return *this;
  }
  Json& Null(std::string_view key) {
    Key(key);
    w_.Null();
    return *this;
  }
  Json& Raw(std::string_view key, std::string_view json) {
    Key(key);
    w_.RawValue(json.data(), json.size(), rapidjson::kObjectType);
    return *this;
  }
  std::string Done() {
    w_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  void Key(std::string_view key) { w_.Key(key.data(), static_cast<rapidjson::SizeType>(key.size())); }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

// The masked form of a sealed field; "" when it cannot be opened (a
// corrupted record shows nothing rather than failing the whole read).
std::string Masked(const core::SecretKey& key, const std::string& sealed, const Id128& owner,
                   std::string_view field, std::string (*mask)(std::string_view)) {
  if (sealed.empty()) return "";
  auto plain = core::OpenText(key, sealed, SealedFieldContext(owner, field));
  if (!plain.ok()) return "";
  return mask(plain.value());
}

void PersonalFields(Json& j, const core::SecretKey& key, const PersonalData& p, const Id128& owner) {
  j.Str("name", Masked(key, p.name_sealed, owner, "name", core::MaskName));
  j.Str("phone", Masked(key, p.phone_sealed, owner, "phone", core::MaskPhone));
  j.Str("id_number", Masked(key, p.id_number_sealed, owner, "id_number", core::MaskIdNumber));
  j.Str("bank_account",
        Masked(key, p.bank_account_sealed, owner, "bank_account", core::MaskBankAccount));
}

// Totals of a ledger never exceed kAmountMax (the ledger bounds every
// posted sum); they saturate rather than wrap if that ever broke.
void AddSaturating(core::AmountMinor* total, core::AmountMinor v) {
  if (!core::TryAddAmount(*total, v, total)) *total = core::kAmountMax;
}

std::string Signed(WideAmount v) {
  if (v == 0) return "0";
  const bool negative = v < 0;
  // |v| < 2^126 (see WideAmount), so negating cannot overflow.
  WideAmount u = negative ? -v : v;
  std::string digits;
  while (u > 0) {
    digits.insert(digits.begin(), static_cast<char>('0' + static_cast<int>(u % 10)));
    u /= 10;
  }
  return negative ? "-" + digits : digits;
}

}  // namespace

core::AmountMinor CreditBalance(const store::Account& a) {
  return a.credits_posted >= a.debits_posted ? a.credits_posted - a.debits_posted : 0;
}

core::AmountMinor AvailableBalance(const store::Account& a) {
  const core::AmountMinor balance = CreditBalance(a);
  return balance >= a.debits_pending ? balance - a.debits_pending : 0;
}

Reconciliation Reconcile(const std::vector<store::Account>& accounts, uint32_t ledger,
                         std::string currency) {
  Reconciliation r;
  r.ledger = ledger;
  r.currency = std::move(currency);
  WideAmount reserve = 0, liabilities = 0;
  for (const store::Account& a : accounts) {
    if (a.ledger != ledger) continue;
    const WideAmount credit_balance =
        static_cast<WideAmount>(a.credits_posted) - static_cast<WideAmount>(a.debits_posted);
    switch (static_cast<AccountCode>(a.code)) {
      case AccountCode::kReserve:
        reserve += -credit_balance;
        if (credit_balance > 0) ++r.negative_accounts;
        continue;
      case AccountCode::kCustomerWallet:
        AddSaturating(&r.wallets, CreditBalance(a));
        AddSaturating(&r.held, a.debits_pending);
        ++r.wallet_count;
        break;
      case AccountCode::kMerchantAccount:
        AddSaturating(&r.merchants, CreditBalance(a));
        ++r.merchant_count;
        break;
      case AccountCode::kSettlementPayable:
        AddSaturating(&r.settlement_payables, CreditBalance(a));
        break;
      case AccountCode::kFeeIncome:
        AddSaturating(&r.fee_income, CreditBalance(a));
        break;
      default:
        ++r.other_accounts;
        liabilities += credit_balance;
        continue;
    }
    if (credit_balance < 0) ++r.negative_accounts;
    liabilities += credit_balance;
  }
  r.reserve = reserve > 0 ? static_cast<core::AmountMinor>(reserve) : 0;
  r.difference = reserve - liabilities;
  return r;
}

std::string ReconciliationJson(const std::vector<Reconciliation>& ledgers) {
  std::string items;
  bool all = true;
  for (const Reconciliation& r : ledgers) {
    all = all && r.balanced();
    core::AmountMinor liabilities = 0;
    for (core::AmountMinor part : {r.wallets, r.merchants, r.settlement_payables, r.fee_income}) {
      AddSaturating(&liabilities, part);
    }
    if (!items.empty()) items += ',';
    items += Json()
                 .U64("ledger", r.ledger)
                 .Str("currency", r.currency)
                 .U64("reserve", r.reserve)
                 .U64("wallets", r.wallets)
                 .U64("merchants", r.merchants)
                 .U64("settlement_payables", r.settlement_payables)
                 .U64("fee_income", r.fee_income)
                 .U64("liabilities", liabilities)
                 .Str("difference", Signed(r.difference))
                 .U64("held", r.held)
                 .U64("wallet_count", r.wallet_count)
                 .U64("merchant_count", r.merchant_count)
                 .U64("negative_accounts", r.negative_accounts)
                 .U64("other_accounts", r.other_accounts)
                 .Bool("balanced", r.balanced())
                 .Done();
  }
  Json j;
  j.Bool("balanced", all);
  std::string out = j.Done();
  out.pop_back();  // reopen the object to add the array
  return out + ",\"ledgers\":[" + items + "]}";
}

std::string MaskedPhone(const Customer& c, const core::SecretKey& key) {
  return Masked(key, c.personal.phone_sealed, c.id, "phone", core::MaskPhone);
}

std::string CustomerJson(const Customer& c, const core::SecretKey& key,
                         const std::string& currency) {
  Json j;
  j.Id("id", c.id).Str("object", "customer").Id("wallet_account_id", c.wallet_account_id);
  j.Str("currency", currency).U64("tier", c.tier).U64("created_at", c.created_at_ns);
  PersonalFields(j, key, c.personal, c.id);
  return j.Done();
}

std::string WalletJson(const Customer& c, const store::Account& wallet, const TierConfig* tier,
                       core::AmountMinor used, core::AmountMinor left, const std::string& currency) {
  Json j;
  j.Id("customer_id", c.id).Str("object", "wallet").Id("account_id", c.wallet_account_id);
  j.Str("currency", currency).U64("balance", CreditBalance(wallet));
  j.U64("held", wallet.debits_pending);
  j.U64("available", AvailableBalance(wallet)).U64("tier", c.tier);
  j.Str("tier_period", tier == nullptr ? "" : tier->period == TierPeriod::kLifetime ? "lifetime" : "year");
  j.U64("tier_limit", tier == nullptr ? 0 : tier->limit_minor);
  j.U64("allowance_used", used).U64("allowance_left", left);
  return j.Done();
}

std::string MerchantJson(const Merchant& m, const core::SecretKey& key, const std::string& currency,
                         const store::Account* account,
                         const std::optional<std::string>& webhook_secret) {
  Json j;
  j.Id("id", m.id).Str("object", "merchant").Id("merchant_account_id", m.merchant_account_id);
  j.Id("payable_account_id", m.payable_account_id).Str("currency", currency);
  j.U64("fee_bps", m.fee_bps).Str("webhook_url", m.webhook_url).U64("created_at", m.created_at_ns);
  if (account != nullptr) j.U64("balance", CreditBalance(*account));
  PersonalFields(j, key, m.personal, m.id);
  if (webhook_secret) j.Str("webhook_secret", *webhook_secret);
  return j.Done();
}

namespace {
// The screen's reasons as a JSON array of strings.
std::string ReasonsJson(std::string_view reasons) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  while (!reasons.empty()) {
    const size_t comma = reasons.find(',');
    const std::string_view one = reasons.substr(0, comma);
    if (!one.empty()) w.String(one.data(), static_cast<rapidjson::SizeType>(one.size()));
    if (comma == std::string_view::npos) break;
    reasons.remove_prefix(comma + 1);
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}
}  // namespace

std::string RiskJson(const Payment& p, bool full) {
  Json risk;
  risk.Str("action", ScreenActionName(p.risk_action));
  if (!full) return risk.Done();
  if (p.risk_score_ppm == kNoRiskScore) {
    risk.Null("score");
  } else {
    risk.Raw("score", fmt::format("{}.{:06}", p.risk_score_ppm / 1'000'000, p.risk_score_ppm % 1'000'000));
  }
  risk.Raw("reasons", ReasonsJson(p.risk_reasons));
  risk.Str("label", CaseLabelName(p.label));
  return risk.Done();
}

std::string PaymentJson(const Payment& p, const std::string& currency, const std::string& qr,
                        const PaymentsConfig* config, bool full_risk) {
  Json j;
  j.Id("id", p.id).Str("object", "payment").Id("merchant_id", p.merchant_id);
  j.Id("customer_id", p.customer_id).U64("amount", p.amount).Str("currency", currency);
  j.U64("fee", p.fee).U64("refunded", p.refunded).U64("fee_refunded", p.fee_refunded);
  j.Str("description", p.description).Str("status", PaymentStatusName(p.status));
  if (p.failure_code.empty()) {
    j.Null("failure_code");
  } else {
    j.Str("failure_code", p.failure_code);
  }
  j.U64("created_at", p.created_at_ns).U64("expires_at", p.expires_at_ns);
  j.U64("paid_at", p.paid_at_ns).U64("updated_at", p.updated_at_ns).Bool("settled", p.settled);
  if (qr.empty()) {
    j.Null("qr_payload");
  } else {
    j.Str("qr_payload", qr);
  }
  if (p.risk_action != ScreenAction::kNone) j.Raw("risk", RiskJson(p, full_risk));
  if (p.status == PaymentStatus::kRequiresConfirmation && config != nullptr) {
    const uint32_t left = p.confirm_attempts >= config->confirmation_attempts_max
                              ? 0
                              : config->confirmation_attempts_max - p.confirm_attempts;
    j.Raw("confirmation", Json().U64("expires_at", p.hold_expires_at_ns).U64("attempts_left", left).Done());
  }
  return j.Done();
}

std::string RefundJson(const Refund& r, const std::string& currency) {
  return Json()
      .Id("id", r.id)
      .Str("object", "refund")
      .Id("payment_id", r.payment_id)
      .Id("merchant_id", r.merchant_id)
      .Id("customer_id", r.customer_id)
      .U64("amount", r.amount)
      .Str("currency", currency)
      .U64("fee_returned", r.fee_returned)
      .Str("reason", r.reason)
      .U64("created_at", r.created_at_ns)
      .Bool("settled", r.settled)
      .Done();
}

std::string MovementJson(const Movement& m, const std::string& currency) {
  return Json()
      .Id("id", m.id)
      .Str("object", MovementKindName(m.kind))
      .Id("customer_id", m.customer_id)
      .Id("counterparty_id", m.counterparty_id)
      .U64("amount", m.amount)
      .Str("currency", currency)
      .U64("created_at", m.created_at_ns)
      .Done();
}

std::string SettlementJson(const Settlement& s, const std::string& currency) {
  return Json()
      .Id("id", s.id)
      .Str("object", "settlement")
      .Id("merchant_id", s.merchant_id)
      .Str("business_date", BusinessDateText(s.business_date))
      .Str("currency", currency)
      .U64("gross", s.gross)
      .U64("fees", s.fees)
      .U64("refunds", s.refunds)
      .U64("carry_in", s.carry_in)
      .U64("amount", s.amount)
      .U64("carry_out", s.carry_out)
      .U64("payment_count", s.payment_count)
      .U64("refund_count", s.refund_count)
      .Str("status", s.status == SettlementStatus::kPaid ? "paid" : "payable")
      .U64("created_at", s.created_at_ns)
      .U64("paid_at", s.paid_at_ns)
      .Done();
}

std::string ListJson(const std::vector<std::string>& items, const std::optional<Id128>& next) {
  std::string out = "{\"data\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ',';
    out += items[i];
  }
  out += "],\"next_cursor\":";
  out += next ? "\"" + next->ToDecimal() + "\"" : std::string("null");
  out += '}';
  return out;
}

std::string SettlementCsv(const Settlement& s, const PaymentsState& state,
                          const std::string& currency) {
  std::string csv = "record,id,payment_id,time_ns,currency,amount,fee,net\n";
  if (const auto* ids = state.SettledPayments(s.id)) {
    for (const Id128& id : *ids) {
      const Payment* p = state.FindPayment(id);
      csv += fmt::format("payment,{},{},{},{},{},{},{}\n", id.ToDecimal(), id.ToDecimal(),
                         p->paid_at_ns, currency, p->amount, p->fee, p->amount - p->fee);
    }
  }
  if (const auto* ids = state.SettledRefunds(s.id)) {
    for (const Id128& id : *ids) {
      const Refund* r = state.FindRefund(id);
      const core::AmountMinor merchant_part = r->amount - r->fee_returned;
      csv += fmt::format("refund,{},{},{},{},{},{},-{}\n", id.ToDecimal(),
                         r->payment_id.ToDecimal(), r->created_at_ns, currency, r->amount,
                         r->fee_returned, merchant_part);
    }
  }
  csv += fmt::format("carry_in,,,,{},{},0,{}\n", currency, s.carry_in, s.carry_in);
  csv += fmt::format("carry_out,,,,{},{},0,-{}\n", currency, s.carry_out, s.carry_out);
  csv += fmt::format("total,{},,{},{},{},{},{}\n", s.id.ToDecimal(), s.created_at_ns, currency,
                     s.gross, s.fees, s.amount);
  return csv;
}

}  // namespace netfin::payments
