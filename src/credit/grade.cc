#include "credit/grade.h"

#include <algorithm>

#include "core/assert.h"
#include "credit/credit_limits.h"

namespace netfin::credit {
namespace {

// Cuts a limit down to whole granules. Not a rounding of money owed: a limit
// is a promise, and it is never rounded up past what the rules allow.
core::AmountMinor RoundLimitDown(core::AmountMinor limit, core::AmountMinor granularity) {
  NETFIN_ASSERT(granularity > 0);
  return limit - limit % granularity;
}

core::AmountMinor Scale(core::AmountMinor amount, uint64_t bps) {
  core::AmountMinor scaled = 0;
  if (!core::MultiplyRateRoundHalfEven(amount, bps, kBpsScale, &scaled)) return core::kAmountMax;
  return scaled;
}

LimitDecision Decide(LimitAction action, LimitReason reason, core::AmountMinor limit) {
  LimitDecision decision;
  decision.action = action;
  decision.reason = reason;
  decision.limit_minor = limit;
  return decision;
}

uint32_t UtilisationBps(const LimitReviewInput& input) {
  if (input.limit_minor == 0) return 0;
  const core::AmountMinor used = std::min(input.used_minor, input.limit_minor);
  core::AmountMinor bps = 0;
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(used, kBpsScale, input.limit_minor, &bps));
  return static_cast<uint32_t>(bps);
}

}  // namespace

std::string_view GradeName(Grade grade) {
  switch (grade) {
    case Grade::kA:
      return "A";
    case Grade::kB:
      return "B";
    case Grade::kC:
      return "C";
    case Grade::kD:
      return "D";
    case Grade::kE:
      return "E";
  }
  return "unknown";
}

bool ParseGrade(std::string_view text, Grade* grade) {
  constexpr Grade kGrades[] = {Grade::kA, Grade::kB, Grade::kC, Grade::kD, Grade::kE};
  for (const Grade g : kGrades) {
    if (text == GradeName(g)) {
      *grade = g;
      return true;
    }
  }
  return false;
}

std::string_view LimitActionName(LimitAction action) {
  switch (action) {
    case LimitAction::kRaise:
      return "raise";
    case LimitAction::kKeep:
      return "keep";
    case LimitAction::kLower:
      return "lower";
    case LimitAction::kFreeze:
      return "freeze";
  }
  return "unknown";
}

std::string_view LimitReasonName(LimitReason reason) {
  switch (reason) {
    case LimitReason::kCurrentlyOverdue:
      return "currently_overdue";
    case LimitReason::kRecentLateness:
      return "recent_lateness";
    case LimitReason::kGradeLimitLower:
      return "grade_limit_lower";
    case LimitReason::kGoodRepaymentHighUse:
      return "good_repayment_high_use";
    case LimitReason::kAtGradeLimit:
      return "at_grade_limit";
    case LimitReason::kNotYetEligible:
      return "not_yet_eligible";
    case LimitReason::kLowUtilisation:
      return "low_utilisation";
  }
  return "unknown";
}

core::Status GradePolicy::Validate() const {
  for (size_t k = 0; k < bands.size(); ++k) {
    const GradeBand& b = bands[k];
    if (static_cast<size_t>(b.grade) != k + 1) {
      return core::InvalidArgument("credit.grades: grades A, B, C, D, E in that order");
    }
    if (b.score_min > kScoreMax || b.limit_minor > core::kAmountMax) {
      return core::InvalidArgument("credit.grades: score_min 0..1000, limit_minor in range");
    }
    if (k > 0 &&
        (b.score_min >= bands[k - 1].score_min || b.limit_minor > bands[k - 1].limit_minor)) {
      return core::InvalidArgument(
          "credit.grades: score_min must fall and limit_minor must not rise from A to E");
    }
  }
  if (bands.back().score_min != 0)
    return core::InvalidArgument("credit.grades: E's score_min is 0");
  return core::Status::Ok();
}

core::Status LimitReviewPolicy::Validate() const {
  if (raise_utilisation_bps_min > kBpsScale || raise_step_bps > kBpsScale ||
      lower_step_bps >= kBpsScale) {
    return core::InvalidArgument(
        "credit.limit_review: utilisation and raise step 0..10000 bps, lower step below 10000");
  }
  if (lower_dpd_min == 0) return core::InvalidArgument("credit.limit_review.lower_dpd_min: >= 1");
  if (limit_granularity_minor == 0) {
    return core::InvalidArgument("credit.limit_review.limit_granularity_minor: >= 1");
  }
  if (review_day < 1 || review_day > 28) {
    return core::InvalidArgument("credit.limit_review.review_day: 1..28");
  }
  return core::Status::Ok();
}

Grade GradeForScore(uint32_t score, const GradePolicy& policy) {
  NETFIN_ASSERT(score <= kScoreMax);
  for (const GradeBand& band : policy.bands) {
    if (score >= band.score_min) return band.grade;
  }
  NETFIN_ASSERT(false);  // E's score_min is 0
  return Grade::kE;
}

core::AmountMinor LimitForGrade(Grade grade, const GradePolicy& policy) {
  const size_t index = static_cast<size_t>(grade) - 1;
  NETFIN_ASSERT(index < policy.bands.size());
  return policy.bands[index].limit_minor;
}

LimitDecision ReviewLimit(const LimitReviewInput& input, const LimitReviewPolicy& policy,
                          const GradePolicy& grades) {
  const core::AmountMinor current = input.limit_minor;
  const core::AmountMinor grade_limit = LimitForGrade(input.grade, grades);
  if (input.days_past_due_now > 0) {
    return Decide(LimitAction::kFreeze, LimitReason::kCurrentlyOverdue, current);
  }
  if (input.days_past_due_max_window >= policy.lower_dpd_min && current > 0) {
    const core::AmountMinor lowered = std::min(
        RoundLimitDown(Scale(current, policy.lower_step_bps), policy.limit_granularity_minor),
        grade_limit);
    return Decide(LimitAction::kLower, LimitReason::kRecentLateness, lowered);
  }
  if (current > grade_limit) {
    return Decide(LimitAction::kLower, LimitReason::kGradeLimitLower, grade_limit);
  }
  const bool eligible = input.months_on_book >= policy.raise_months_min &&
                        input.months_on_time >= policy.raise_months_min &&
                        input.days_past_due_max_window == 0;
  if (!eligible) return Decide(LimitAction::kKeep, LimitReason::kNotYetEligible, current);
  if (UtilisationBps(input) < policy.raise_utilisation_bps_min) {
    return Decide(LimitAction::kKeep, LimitReason::kLowUtilisation, current);
  }
  const core::AmountMinor raised =
      std::min(RoundLimitDown(Scale(current, kBpsScale + policy.raise_step_bps),
                              policy.limit_granularity_minor),
               grade_limit);
  if (raised <= current) return Decide(LimitAction::kKeep, LimitReason::kAtGradeLimit, current);
  return Decide(LimitAction::kRaise, LimitReason::kGoodRepaymentHighUse, raised);
}

}  // namespace netfin::credit
