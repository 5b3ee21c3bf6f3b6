#include "credit/credit_config.h"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <limits>
#include <set>
#include <string>

#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

// Reads an integer into *out, refusing negatives and values past T's range.
template <typename T>
core::Status ReadUnsigned(const toml::node& node, std::string_view name, T* out) {
  const auto v = node.value<int64_t>();
  if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max()) {
    return core::InvalidArgument(fmt::format("credit.{}: a non-negative integer in range", name));
  }
  *out = static_cast<T>(*v);
  return core::Status::Ok();
}

core::Status ReadString(const toml::node& node, std::string_view name, std::string* out) {
  const auto v = node.value<std::string>();
  if (!v) return core::InvalidArgument(fmt::format("credit.{}: a string", name));
  *out = *v;
  return core::Status::Ok();
}

// Reads a string naming one of `count` enum values, matched by NameOf.
template <typename E, typename NameOf, size_t N>
core::Status ReadEnum(const toml::node& node, std::string_view name, const E (&values)[N],
                      NameOf name_of, E* out) {
  std::string text;
  NETFIN_RETURN_IF_ERROR(ReadString(node, name, &text));
  std::string choices;
  for (const E v : values) {
    if (text == name_of(v)) {
      *out = v;
      return core::Status::Ok();
    }
    choices += fmt::format("{}\"{}\"", choices.empty() ? "" : ", ", name_of(v));
  }
  return core::InvalidArgument(
      fmt::format("credit.{}: \"{}\" is not one of {}", name, text, choices));
}

constexpr ProductKind kKinds[] = {ProductKind::kCreditLine, ProductKind::kInstalment,
                                  ProductKind::kCashLoan, ProductKind::kMerchantLoan,
                                  ProductKind::kReceivableFinancing};
constexpr ScheduleMethod kMethods[] = {ScheduleMethod::kEqualInstalment,
                                       ScheduleMethod::kEqualPrincipal,
                                       ScheduleMethod::kInterestFirst, ScheduleMethod::kFlatFee};
constexpr InterestBasis kBases[] = {InterestBasis::kMonthlyRate, InterestBasis::kDayCount};
constexpr DayCount kDayCounts[] = {DayCount::kActual365, DayCount::kActual360};

core::Status ReadTerms(const toml::node& node, std::vector<uint32_t>* terms) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return core::InvalidArgument("credit.products.terms: an array of integers");
  if (array->size() > kTermsPerProductMax) {
    return core::InvalidArgument(
        fmt::format("credit.products.terms: at most {} terms", kTermsPerProductMax));
  }
  terms->clear();
  for (const toml::node& element : *array) {
    NETFIN_RETURN_IF_ERROR(ReadUnsigned(element, "products.terms", &terms->emplace_back()));
  }
  return core::Status::Ok();
}

core::Status ApplyProductKey(std::string_view k, const toml::node& node, Product* p) {
  if (k == "name") return ReadString(node, "products.name", &p->name);
  if (k == "kind") return ReadEnum(node, "products.kind", kKinds, ProductKindName, &p->kind);
  if (k == "method") {
    return ReadEnum(node, "products.method", kMethods, ScheduleMethodName, &p->method);
  }
  if (k == "interest_basis") {
    return ReadEnum(node, "products.interest_basis", kBases, InterestBasisName, &p->interest_basis);
  }
  if (k == "day_count") {
    return ReadEnum(node, "products.day_count", kDayCounts, DayCountName, &p->day_count);
  }
  if (k == "terms") return ReadTerms(node, &p->terms);
  if (k == "annual_interest_bps") return ReadUnsigned(node, k, &p->annual_interest_bps);
  if (k == "monthly_fee_bps") return ReadUnsigned(node, k, &p->monthly_fee_bps);
  if (k == "penalty_daily_ppm") return ReadUnsigned(node, k, &p->penalty_daily_ppm);
  if (k == "statement_day") return ReadUnsigned(node, k, &p->statement_day);
  if (k == "due_day") return ReadUnsigned(node, k, &p->due_day);
  if (k == "interest_free_days") return ReadUnsigned(node, k, &p->interest_free_days);
  if (k == "advance_share_bps") return ReadUnsigned(node, k, &p->advance_share_bps);
  if (k == "sales_share_bps") return ReadUnsigned(node, k, &p->sales_share_bps);
  if (k == "amount_min_minor") return ReadUnsigned(node, k, &p->amount_min_minor);
  if (k == "amount_max_minor") return ReadUnsigned(node, k, &p->amount_max_minor);
  return core::InvalidArgument(fmt::format("credit.products: unknown key {}", k));
}

core::Status ParseProduct(const toml::table& t, Product* p) {
  *p = Product{};
  if (const toml::node* name = t.get("name")) {  // first, so every error can name the product
    NETFIN_RETURN_IF_ERROR(ReadString(*name, "products.name", &p->name));
  }
  for (const auto& [key, node] : t) {
    const core::Status s = ApplyProductKey(key.str(), node, p);
    if (!s.ok() && !p->name.empty()) {
      return core::InvalidArgument(fmt::format("{} (product \"{}\")", s.message(), p->name));
    }
    NETFIN_RETURN_IF_ERROR(s);
  }
  if (p->name.empty()) return core::InvalidArgument("credit.products: a product without a name");
  return core::Status::Ok();
}

core::Status ParseGradeBand(const toml::table& t, GradeBand* band) {
  for (const auto& [key, node] : t) {
    const std::string_view k = key.str();
    if (k == "grade") {
      std::string text;
      NETFIN_RETURN_IF_ERROR(ReadString(node, "grades.grade", &text));
      if (!ParseGrade(text, &band->grade)) {
        return core::InvalidArgument("credit.grades.grade: \"A\" to \"E\"");
      }
    } else if (k == "score_min") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "grades.score_min", &band->score_min));
    } else if (k == "limit_minor") {
      NETFIN_RETURN_IF_ERROR(ReadUnsigned(node, "grades.limit_minor", &band->limit_minor));
    } else {
      return core::InvalidArgument(fmt::format("credit.grades: unknown key {}", k));
    }
  }
  return core::Status::Ok();
}

core::Status ParseGrades(const toml::node& node, GradePolicy* grades) {
  const toml::array* array = node.as_array();
  if (array == nullptr || array->size() != grades->bands.size()) {
    return core::InvalidArgument("credit.grades: five [[credit.grades]] tables, A to E");
  }
  for (size_t k = 0; k < array->size(); ++k) {
    const toml::table* t = (*array)[k].as_table();
    if (t == nullptr) return core::InvalidArgument("credit.grades: tables");
    NETFIN_RETURN_IF_ERROR(ParseGradeBand(*t, &grades->bands[k]));
  }
  return core::Status::Ok();
}

core::Status ParseProducts(const toml::node& node, std::vector<Product>* products) {
  const toml::array* array = node.as_array();
  if (array == nullptr) return core::InvalidArgument("credit.products: [[credit.products]] tables");
  if (array->size() > kProductsMax) {
    return core::InvalidArgument(fmt::format("credit.products: at most {}", kProductsMax));
  }
  products->clear();
  for (const toml::node& element : *array) {
    const toml::table* t = element.as_table();
    if (t == nullptr) return core::InvalidArgument("credit.products: tables");
    NETFIN_RETURN_IF_ERROR(ParseProduct(*t, &products->emplace_back()));
  }
  return core::Status::Ok();
}

core::Status ApplyDayEndKey(std::string_view k, const toml::node& node, DayEndPolicy* d) {
  if (k == "special_mention_dpd_min") return ReadUnsigned(node, k, &d->special_mention_dpd_min);
  if (k == "substandard_dpd_min") return ReadUnsigned(node, k, &d->substandard_dpd_min);
  if (k == "doubtful_dpd_min") return ReadUnsigned(node, k, &d->doubtful_dpd_min);
  if (k == "loss_dpd_min") return ReadUnsigned(node, k, &d->loss_dpd_min);
  if (k == "provision_normal_bps") return ReadUnsigned(node, k, &d->provision_normal_bps);
  if (k == "provision_special_mention_bps") {
    return ReadUnsigned(node, k, &d->provision_special_mention_bps);
  }
  if (k == "provision_substandard_bps") return ReadUnsigned(node, k, &d->provision_substandard_bps);
  if (k == "provision_doubtful_bps") return ReadUnsigned(node, k, &d->provision_doubtful_bps);
  if (k == "provision_loss_bps") return ReadUnsigned(node, k, &d->provision_loss_bps);
  if (k == "write_off_dpd") return ReadUnsigned(node, k, &d->write_off_dpd);
  return core::InvalidArgument(fmt::format("credit.day_end: unknown key {}", k));
}

core::Status ApplyLimitReviewKey(std::string_view k, const toml::node& node, LimitReviewPolicy* r) {
  if (k == "raise_months_min") return ReadUnsigned(node, k, &r->raise_months_min);
  if (k == "raise_utilisation_bps_min") return ReadUnsigned(node, k, &r->raise_utilisation_bps_min);
  if (k == "raise_step_bps") return ReadUnsigned(node, k, &r->raise_step_bps);
  if (k == "lower_dpd_min") return ReadUnsigned(node, k, &r->lower_dpd_min);
  if (k == "lower_step_bps") return ReadUnsigned(node, k, &r->lower_step_bps);
  if (k == "limit_granularity_minor") return ReadUnsigned(node, k, &r->limit_granularity_minor);
  if (k == "review_day") return ReadUnsigned(node, k, &r->review_day);
  return core::InvalidArgument(fmt::format("credit.limit_review: unknown key {}", k));
}

// Applies every key of a sub-table with apply.
template <typename Policy, typename Apply>
core::Status ReadTable(const toml::node& node, std::string_view name, Policy* policy, Apply apply) {
  const toml::table* table = node.as_table();
  if (table == nullptr) return core::InvalidArgument(fmt::format("credit.{}: a table", name));
  for (const auto& [key, value] : *table) {
    NETFIN_RETURN_IF_ERROR(apply(key.str(), value, policy));
  }
  return core::Status::Ok();
}

core::Status ApplyKey(std::string_view k, const toml::node& node, CreditPolicy* c) {
  if (k == "apr_cap_bps") return ReadUnsigned(node, k, &c->caps.apr_cap_bps);
  if (k == "lpr_one_year_bps") return ReadUnsigned(node, k, &c->caps.lpr_one_year_bps);
  if (k == "lpr_multiple") return ReadUnsigned(node, k, &c->caps.lpr_multiple);
  if (k == "late_days_checked") return ReadUnsigned(node, k, &c->caps.late_days_checked);
  if (k == "person_outstanding_max_minor") {
    return ReadUnsigned(node, k, &c->caps.person_outstanding_max_minor);
  }
  if (k == "day_end") return ReadTable(node, k, &c->day_end, ApplyDayEndKey);
  if (k == "limit_review") return ReadTable(node, k, &c->limit_review, ApplyLimitReviewKey);
  if (k == "grades") return ParseGrades(node, &c->grades);
  if (k == "products") return ParseProducts(node, &c->products);
  return core::InvalidArgument(fmt::format("credit: unknown key {}", k));
}

Product MakeProduct(std::string name, ProductKind kind, ScheduleMethod method,
                    std::vector<uint32_t> terms) {
  Product p;
  p.name = std::move(name);
  p.kind = kind;
  p.method = method;
  p.terms = std::move(terms);
  p.penalty_daily_ppm = 500;  // 0.05% a day (日万分之五), 18.25% a year
  return p;
}

}  // namespace

std::vector<Product> CreditPolicy::DefaultProducts() {
  std::vector<Product> products;
  // Pay next month: bills on the 1st, due on the 10th, bills convertible at 0.6% a month.
  Product& line = products.emplace_back(MakeProduct("pay_later", ProductKind::kCreditLine,
                                                    ScheduleMethod::kFlatFee, {3, 6, 9, 12, 24}));
  line.monthly_fee_bps = 60;
  line.statement_day = 1;
  line.due_day = 10;
  // A purchase in instalments at 15% a year, billed on the 5th, due on the 25th.
  Product& instalment = products.emplace_back(MakeProduct(
      "instalment", ProductKind::kInstalment, ScheduleMethod::kEqualInstalment, {3, 6, 9, 12, 24}));
  instalment.annual_interest_bps = 1'500;
  instalment.statement_day = 5;
  instalment.due_day = 25;
  // Cash to the wallet at 18% a year, due each month on the day it was lent.
  Product& cash = products.emplace_back(MakeProduct(
      "cash_loan", ProductKind::kCashLoan, ScheduleMethod::kEqualInstalment, {3, 6, 12, 24, 36}));
  cash.annual_interest_bps = 1'800;
  cash.amount_min_minor = 50'000;  // 500.00 CNY
  // A merchant loan at 12%, 10% of each day's sales swept towards what is due.
  Product& merchant = products.emplace_back(MakeProduct(
      "merchant_loan", ProductKind::kMerchantLoan, ScheduleMethod::kEqualPrincipal, {3, 6, 12}));
  merchant.annual_interest_bps = 1'200;
  merchant.sales_share_bps = 1'000;
  merchant.amount_max_minor = 100'000'000;  // 1,000,000.00 CNY
  // 80% of a confirmed receivable at 8% by the day (Actual/360), repaid when the buyer pays.
  Product& receivable =
      products.emplace_back(MakeProduct("receivable_financing", ProductKind::kReceivableFinancing,
                                        ScheduleMethod::kInterestFirst, {1, 2, 3, 6}));
  receivable.annual_interest_bps = 800;
  receivable.interest_basis = InterestBasis::kDayCount;
  receivable.day_count = DayCount::kActual360;
  receivable.advance_share_bps = 8'000;
  receivable.amount_max_minor = 500'000'000;  // 5,000,000.00 CNY
  return products;
}

const Product* CreditPolicy::FindProduct(std::string_view name) const {
  for (const Product& p : products) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

core::Status CreditPolicy::Validate() const {
  NETFIN_RETURN_IF_ERROR(caps.Validate());
  NETFIN_RETURN_IF_ERROR(day_end.Validate());
  NETFIN_RETURN_IF_ERROR(grades.Validate());
  NETFIN_RETURN_IF_ERROR(limit_review.Validate());
  if (products.size() > kProductsMax) {
    return core::InvalidArgument(fmt::format("credit.products: at most {}", kProductsMax));
  }
  std::set<std::string_view> names;
  for (const Product& p : products) {
    if (!names.insert(p.name).second) {
      return core::InvalidArgument(fmt::format("credit.products[\"{}\"]: name used twice", p.name));
    }
    NETFIN_RETURN_IF_ERROR(ValidateProduct(p, caps));
  }
  return core::Status::Ok();
}

core::Result<CreditPolicy> ParseCreditConfig(std::string_view toml_text) {
  CreditPolicy policy;
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return core::InvalidArgument(fmt::format("config: {}", e.description()));
  }
  if (const toml::node* credit = root.get("credit")) {
    const toml::table* table = credit->as_table();
    if (table == nullptr) return core::InvalidArgument("credit: a table");
    for (const auto& [key, node] : *table) {
      NETFIN_RETURN_IF_ERROR(ApplyKey(key.str(), node, &policy));
    }
  }
  NETFIN_RETURN_IF_ERROR(policy.Validate());
  return policy;
}

}  // namespace netfin::credit
