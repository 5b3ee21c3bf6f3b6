#pragma once

// The credit role's configuration: the legal caps, the day-end rules, grade
// bands and limit reviews, and the products. `[credit]` in the serve TOML file
// overrides the defaults below; [[credit.products]] replaces the default
// products. Everything is checked at load, and a product that breaks a rule or
// the APR cap is refused with its name and the reason (docs/credit.md).
//
//   [credit]
//   apr_cap_bps = 2400
//   lpr_one_year_bps = 300          # with lpr_multiple = 4: the 4 x LPR rule
//   late_days_checked = 30
//   person_outstanding_max_minor = 30000000
//   [credit.day_end]                # DayEndPolicy's fields
//   [credit.limit_review]           # LimitReviewPolicy's fields
//   [[credit.grades]]               # grade = "A", score_min = 800, limit_minor = 5000000
//   [[credit.products]]             # Product's fields; enums by name

#include <string_view>
#include <vector>

#include "core/status.h"
#include "credit/day_end.h"
#include "credit/grade.h"
#include "credit/product.h"

namespace netfin::credit {

struct CreditPolicy {
  CapPolicy caps;
  DayEndPolicy day_end;
  GradePolicy grades;
  LimitReviewPolicy limit_review;
  std::vector<Product> products = DefaultProducts();

  // One product of each kind, all within the default cap: a pay-later line,
  // purchase instalments, a cash loan, a merchant loan and receivable financing.
  static std::vector<Product> DefaultProducts();

  const Product* FindProduct(std::string_view name) const;
  // Every part, then every product (names unique, each valid under the caps).
  core::Status Validate() const;
};

// Applies a `[credit]` TOML table (given as the whole file's text) over the
// defaults and validates the result. Unknown keys are refused by name.
core::Result<CreditPolicy> ParseCreditConfig(std::string_view toml_text);

}  // namespace netfin::credit
