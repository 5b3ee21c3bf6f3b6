#pragma once

// Credit grades and limits.
//
// A CreditScorer turns a person's features into a score (0..1000, higher is
// safer), a grade A..E and reason codes. The first real scorer is a
// gradient-boosted model (XGBoost) built in src/ml and plugged in through this
// interface; a shared bureau can feed the same features later. Grades map to
// credit limits by configuration, and limits are reviewed monthly from
// repayment behaviour and utilisation: raised, kept, lowered or frozen, each
// decision with the reason that made it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/money.h"
#include "core/status.h"

namespace netfin::credit {

// DO NOT RENUMBER: persisted with each line.
enum class Grade : uint8_t { kA = 1, kB = 2, kC = 3, kD = 4, kE = 5 };

std::string_view GradeName(Grade grade);  // "A".."E"
// "A".."E" to a grade; false for anything else.
bool ParseGrade(std::string_view text, Grade* grade);

// One input of a score: a number or a category (as in the CSV it came from).
// Doubles are fine here: features are statistics, not money.
struct Feature {
  std::string name;
  std::variant<double, std::string> value;
};

// Why a score is what it is: a stable code (usually the feature's name) and
// how much it moved the score towards default (positive: riskier).
struct ReasonCode {
  std::string code;
  double contribution = 0;
};

struct ScoreResult {
  uint32_t score = 0;  // 0..1000, higher is safer
  Grade grade = Grade::kE;
  std::vector<ReasonCode> reasons;  // the strongest first, at most kReasonCodesMax
};

// The scoring interface. Implementations are immutable after construction and
// may be called from any thread at once. A missing or malformed feature is an
// InvalidArgument error naming it, never a silent default.
class CreditScorer {
 public:
  virtual ~CreditScorer() = default;
  virtual core::Result<ScoreResult> Score(const std::vector<Feature>& features) const = 0;
};

inline constexpr uint32_t kScoreMax = 1000;

// Grade bands: the lowest score of each grade and the credit limit it gets.
struct GradeBand {
  Grade grade = Grade::kE;
  uint32_t score_min = 0;
  core::AmountMinor limit_minor = 0;
};

struct GradePolicy {
  // A..E in order, score_min strictly falling and E's 0, limits not rising.
  std::array<GradeBand, 5> bands = {{
      {Grade::kA, 800, 5'000'000},  // 50,000.00 CNY
      {Grade::kB, 700, 2'000'000},  // 20,000.00
      {Grade::kC, 600, 800'000},    //  8,000.00
      {Grade::kD, 500, 200'000},    //  2,000.00
      {Grade::kE, 0, 0},            // declined
  }};

  core::Status Validate() const;
};

// REQUIRES: policy.Validate() passed; score <= kScoreMax.
Grade GradeForScore(uint32_t score, const GradePolicy& policy);
core::AmountMinor LimitForGrade(Grade grade, const GradePolicy& policy);

struct LimitReviewPolicy {
  uint32_t raise_months_min = 6;  // on book and repaid on time this long before a raise
  uint32_t raise_utilisation_bps_min = 7'000;  // ... and using at least 70% of the limit
  uint32_t raise_step_bps = 2'000;             // +20% a review, up to the grade's limit
  uint32_t lower_dpd_min = 31;      // a day this late (M2) in the window lowers the limit
  uint32_t lower_step_bps = 5'000;  // to 50%
  core::AmountMinor limit_granularity_minor = 10'000;  // new limits in whole 100.00 CNY
  // The day of the month (1..28, so every month has it) whose day-end
  // reviews every borrower's limit; the review window is the month before.
  uint32_t review_day = 1;

  core::Status Validate() const;
};

// DO NOT RENUMBER: persisted with each review.
enum class LimitAction : uint8_t { kRaise = 1, kKeep = 2, kLower = 3, kFreeze = 4 };

// DO NOT RENUMBER: persisted with each review; shown to the customer.
enum class LimitReason : uint8_t {
  kCurrentlyOverdue = 1,      // freeze: a bill is unpaid past its due date
  kRecentLateness = 2,        // lower: a payment was lower_dpd_min days late in the window
  kGradeLimitLower = 3,       // lower: the grade now carries a lower limit
  kGoodRepaymentHighUse = 4,  // raise: on time for raise_months_min, high utilisation
  kAtGradeLimit = 5,          // keep: would be raised, but is at the grade's limit
  kNotYetEligible = 6,        // keep: too new, or lateness in the window
  kLowUtilisation = 7,        // keep: on time, but uses little of the limit
};

std::string_view LimitActionName(LimitAction action);
std::string_view LimitReasonName(LimitReason reason);

struct LimitReviewInput {
  Grade grade = Grade::kE;            // from this month's score
  core::AmountMinor limit_minor = 0;  // the current limit
  core::AmountMinor used_minor = 0;   // average used over the month
  uint32_t days_past_due_now = 0;
  uint32_t days_past_due_max_window = 0;  // the worst lateness in the review window
  uint32_t months_on_book = 0;
  uint32_t months_on_time = 0;  // consecutive months repaid on time, latest first
};

struct LimitDecision {
  LimitAction action = LimitAction::kKeep;
  LimitReason reason = LimitReason::kNotYetEligible;
  core::AmountMinor limit_minor = 0;  // the new limit (unchanged for keep and freeze)
};

// The monthly review, rules in this order: overdue now -> freeze; late in the
// window -> lower by lower_step_bps; above the grade's limit -> lower to it;
// eligible and highly used -> raise by raise_step_bps up to the grade's limit;
// otherwise keep. A frozen line is unfrozen by any decision but kFreeze.
LimitDecision ReviewLimit(const LimitReviewInput& input, const LimitReviewPolicy& policy,
                          const GradePolicy& grades);

}  // namespace netfin::credit
