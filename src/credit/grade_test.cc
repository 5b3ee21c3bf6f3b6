#include "credit/grade.h"

#include <gtest/gtest.h>

#include <map>

namespace netfin::credit {
namespace {

// A stand-in for the model scorer of src/ml: a linear score with reason codes.
class LinearScorer final : public CreditScorer {
 public:
  explicit LinearScorer(GradePolicy grades) : grades_(grades) {}

  core::Result<ScoreResult> Score(const std::vector<Feature>& features) const override {
    std::map<std::string, double> numbers;
    for (const Feature& f : features) {
      const double* number = std::get_if<double>(&f.value);
      if (number == nullptr) return core::InvalidArgument("feature " + f.name + ": not a number");
      numbers[f.name] = *number;
    }
    const auto late = numbers.find("late_payments");
    if (late == numbers.end()) return core::InvalidArgument("feature late_payments: missing");
    ScoreResult result;
    const double penalty = std::min(1000.0, late->second * 150);
    result.score = static_cast<uint32_t>(1000 - penalty);
    result.grade = GradeForScore(result.score, grades_);
    if (penalty > 0) result.reasons.push_back({"late_payments", penalty});
    return result;
  }

 private:
  GradePolicy grades_;
};

TEST(GradeTest, ScorerInterface) {
  const GradePolicy grades;
  const LinearScorer scorer(grades);
  const CreditScorer& interface = scorer;
  auto good = interface.Score({{"late_payments", 0.0}});
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->score, 1000u);
  EXPECT_EQ(good->grade, Grade::kA);
  EXPECT_TRUE(good->reasons.empty());
  auto poor = interface.Score({{"late_payments", 3.0}, {"city", 1.0}});
  ASSERT_TRUE(poor.ok());
  EXPECT_EQ(poor->score, 550u);
  EXPECT_EQ(poor->grade, Grade::kD);
  ASSERT_EQ(poor->reasons.size(), 1u);
  EXPECT_EQ(poor->reasons[0].code, "late_payments");
  EXPECT_FALSE(interface.Score({{"late_payments", std::string("many")}}).ok());
  EXPECT_FALSE(interface.Score({}).ok());
}

TEST(GradeTest, GradesAndLimitsFromScores) {
  const GradePolicy p;
  EXPECT_TRUE(p.Validate().ok());
  EXPECT_EQ(GradeForScore(1000, p), Grade::kA);
  EXPECT_EQ(GradeForScore(800, p), Grade::kA);
  EXPECT_EQ(GradeForScore(799, p), Grade::kB);
  EXPECT_EQ(GradeForScore(700, p), Grade::kB);
  EXPECT_EQ(GradeForScore(699, p), Grade::kC);
  EXPECT_EQ(GradeForScore(600, p), Grade::kC);
  EXPECT_EQ(GradeForScore(500, p), Grade::kD);
  EXPECT_EQ(GradeForScore(499, p), Grade::kE);
  EXPECT_EQ(GradeForScore(0, p), Grade::kE);
  EXPECT_EQ(LimitForGrade(Grade::kA, p), 5'000'000u);
  EXPECT_EQ(LimitForGrade(Grade::kC, p), 800'000u);
  EXPECT_EQ(LimitForGrade(Grade::kE, p), 0u);
  Grade g;
  EXPECT_TRUE(ParseGrade("C", &g));
  EXPECT_EQ(g, Grade::kC);
  EXPECT_FALSE(ParseGrade("F", &g));
  EXPECT_FALSE(ParseGrade("a", &g));
}

TEST(GradeTest, GradePolicyValidation) {
  GradePolicy p;
  p.bands[1].score_min = 800;  // not below A's
  EXPECT_FALSE(p.Validate().ok());
  p = GradePolicy{};
  p.bands[2].limit_minor = 3'000'000;  // C above B
  EXPECT_FALSE(p.Validate().ok());
  p = GradePolicy{};
  p.bands[4].score_min = 10;
  EXPECT_FALSE(p.Validate().ok());
  p = GradePolicy{};
  std::swap(p.bands[0], p.bands[1]);
  EXPECT_FALSE(p.Validate().ok());
  p = GradePolicy{};
  p.bands[0].score_min = 1001;
  EXPECT_FALSE(p.Validate().ok());
}

TEST(GradeTest, MonthlyReviewDecisionsWithReasons) {
  const GradePolicy grades;
  const LimitReviewPolicy policy;
  EXPECT_TRUE(policy.Validate().ok());
  LimitReviewInput good;
  good.grade = Grade::kB;  // 20,000.00 CNY
  good.limit_minor = 1'000'000;
  good.used_minor = 800'000;  // 80%
  good.months_on_book = 12;
  good.months_on_time = 12;
  struct Case {
    const char* what;
    LimitReviewInput input;
    LimitAction action;
    LimitReason reason;
    core::AmountMinor limit;
  };
  auto with = [&](auto change) {
    LimitReviewInput input = good;
    change(input);
    return input;
  };
  const Case cases[] = {
      {"raise by 20%", good, LimitAction::kRaise, LimitReason::kGoodRepaymentHighUse, 1'200'000},
      {"raise capped by the grade", with([](auto& i) {
         i.limit_minor = 1'900'000;
         i.used_minor = 1'800'000;
       }),
       LimitAction::kRaise, LimitReason::kGoodRepaymentHighUse, 2'000'000},
      {"at the grade limit", with([](auto& i) {
         i.limit_minor = 2'000'000;
         i.used_minor = 1'900'000;
       }),
       LimitAction::kKeep, LimitReason::kAtGradeLimit, 2'000'000},
      {"overdue now", with([](auto& i) { i.days_past_due_now = 3; }), LimitAction::kFreeze,
       LimitReason::kCurrentlyOverdue, 1'000'000},
      {"late in the window", with([](auto& i) { i.days_past_due_max_window = 31; }),
       LimitAction::kLower, LimitReason::kRecentLateness, 500'000},
      {"a little late: not lowered, not raised",
       with([](auto& i) { i.days_past_due_max_window = 5; }), LimitAction::kKeep,
       LimitReason::kNotYetEligible, 1'000'000},
      {"grade fell", with([](auto& i) { i.grade = Grade::kD; }), LimitAction::kLower,
       LimitReason::kGradeLimitLower, 200'000},
      {"declined grade", with([](auto& i) { i.grade = Grade::kE; }), LimitAction::kLower,
       LimitReason::kGradeLimitLower, 0},
      {"too new", with([](auto& i) { i.months_on_book = 5; }), LimitAction::kKeep,
       LimitReason::kNotYetEligible, 1'000'000},
      {"low use", with([](auto& i) { i.used_minor = 699'000; }), LimitAction::kKeep,
       LimitReason::kLowUtilisation, 1'000'000},
      {"exactly 70%", with([](auto& i) { i.used_minor = 700'000; }), LimitAction::kRaise,
       LimitReason::kGoodRepaymentHighUse, 1'200'000},
      {"granularity", with([](auto& i) {
         i.limit_minor = 1'234'567;
         i.used_minor = 1'234'567;
       }),
       LimitAction::kRaise, LimitReason::kGoodRepaymentHighUse, 1'480'000},
      {"no limit yet", with([](auto& i) {
         i.limit_minor = 0;
         i.used_minor = 0;
       }),
       LimitAction::kKeep, LimitReason::kLowUtilisation, 0},
  };
  for (const Case& c : cases) {
    const LimitDecision d = ReviewLimit(c.input, policy, grades);
    EXPECT_EQ(d.action, c.action) << c.what;
    EXPECT_EQ(d.reason, c.reason) << c.what << ": " << LimitReasonName(d.reason);
    EXPECT_EQ(d.limit_minor, c.limit) << c.what;
  }
}

TEST(GradeTest, ReviewPolicyValidationAndNames) {
  LimitReviewPolicy p;
  p.lower_step_bps = 10'000;
  EXPECT_FALSE(p.Validate().ok());
  p = LimitReviewPolicy{};
  p.lower_dpd_min = 0;
  EXPECT_FALSE(p.Validate().ok());
  p = LimitReviewPolicy{};
  p.limit_granularity_minor = 0;
  EXPECT_FALSE(p.Validate().ok());
  for (uint32_t day : {0u, 29u}) {
    p = LimitReviewPolicy{};
    p.review_day = day;
    EXPECT_FALSE(p.Validate().ok()) << day;
  }
  p.review_day = 28;
  EXPECT_TRUE(p.Validate().ok());
  EXPECT_EQ(GradeName(Grade::kA), "A");
  EXPECT_EQ(LimitActionName(LimitAction::kFreeze), "freeze");
  EXPECT_EQ(LimitReasonName(LimitReason::kRecentLateness), "recent_lateness");
}

}  // namespace
}  // namespace netfin::credit
