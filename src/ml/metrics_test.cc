#include "ml/metrics.h"

#include <gtest/gtest.h>

#include <limits>
#include <vector>

namespace netfin::ml {
namespace {

// Each case is worked out by hand in its comment.
struct MetricCase {
  const char* name;
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  double auc;
  double average_precision;
  double ks;
  double recall_at_fpr_0;     // fpr_max = 0
  double recall_at_fpr_half;  // fpr_max = 0.5
};

const MetricCase kCases[] = {
    // Pairs (pos, neg): (.35,.1) (.35,.4)x (.8,.1) (.8,.4) -> AUC 3/4.
    // Thresholds .8: P=1 R=.5; .4: P=.5 R=.5; .35: P=2/3 R=1 -> AP = .5 + .5 * 2/3.
    // TPR-FPR: .8: .5-0; .4: .5-.5; .35: 1-.5; .1: 1-1 -> KS .5.
    {"scikit_learn_example", {0.1f, 0.4f, 0.35f, 0.8f}, {0, 0, 1, 1}, 0.75, 5.0 / 6, 0.5, 0.5, 1.0},
    // Perfect ranking.
    {"perfect", {0.9f, 0.8f, 0.2f, 0.1f}, {1, 1, 0, 0}, 1.0, 1.0, 1.0, 1.0, 1.0},
    // Reversed ranking: every positive below every negative.
    {"reversed",
     {0.1f, 0.2f, 0.8f, 0.9f},
     {1, 1, 0, 0},
     0.0,
     0.5 * 1.0 / 3 + 0.5 * 0.5,
     1.0,
     0.0,
     0.0},
    // All tied: one threshold; AUC 1/2, precision 1/2 at recall 1, CDFs equal.
    {"all_tied", {0.5f, 0.5f, 0.5f, 0.5f}, {0, 1, 0, 1}, 0.5, 0.5, 0.0, 0.0, 0.0},
    // Tie across classes at .5: pairs (.5,.2)=1 (.5,.5)=1/2 (.9,.2)=1 (.9,.5)=1 -> 3.5/4.
    // AP: .9: P=1 R=.5; .5: P=2/3 R=1 -> .5 + .5 * 2/3. KS: .9: .5; .5: 1-.5 -> .5.
    // FPR 0 allows only .9 (R .5); FPR .5 allows .5 too (R 1).
    {"tie_across_classes", {0.2f, 0.5f, 0.5f, 0.9f}, {0, 0, 1, 1}, 0.875, 5.0 / 6, 0.5, 0.5, 1.0},
    // One positive amid three negatives, ranked second: AUC 2/3, AP 1/2,
    // KS max(1 - 1/3) = 2/3; at FPR 0 nothing, at FPR 1/3 <= .5 the positive.
    {"one_positive", {0.9f, 0.8f, 0.3f, 0.1f}, {0, 1, 0, 0}, 2.0 / 3, 0.5, 2.0 / 3, 0.0, 1.0},
};

TEST(Metrics, HandWorkedCases) {
  for (const MetricCase& c : kCases) {
    SCOPED_TRACE(c.name);
    core::Result<double> auc = RocAuc(c.scores, c.labels);
    core::Result<double> ap = AveragePrecision(c.scores, c.labels);
    core::Result<double> ks = Ks(c.scores, c.labels);
    core::Result<double> recall_0 = RecallAtFpr(c.scores, c.labels, 0.0);
    core::Result<double> recall_half = RecallAtFpr(c.scores, c.labels, 0.5);
    ASSERT_TRUE(auc.ok() && ap.ok() && ks.ok() && recall_0.ok() && recall_half.ok());
    EXPECT_NEAR(*auc, c.auc, 1e-12);
    EXPECT_NEAR(*ap, c.average_precision, 1e-12);
    EXPECT_NEAR(*ks, c.ks, 1e-12);
    EXPECT_NEAR(*recall_0, c.recall_at_fpr_0, 1e-12);
    EXPECT_NEAR(*recall_half, c.recall_at_fpr_half, 1e-12);
  }
}

TEST(Metrics, RecallAtOnePercentFalsePositives) {
  // 200 negatives scored 0..199, 10 positives: 5 above every negative, 5 in
  // the middle. FPR 1% allows 2 negatives above the threshold.
  std::vector<float> scores;
  std::vector<uint8_t> labels;
  for (int i = 0; i < 200; ++i) {
    scores.push_back(static_cast<float>(i));
    labels.push_back(0);
  }
  for (int i = 0; i < 5; ++i) {
    scores.push_back(500.0f + static_cast<float>(i));
    labels.push_back(1);
    scores.push_back(100.5f + static_cast<float>(i));
    labels.push_back(1);
  }
  core::Result<double> recall = RecallAtFpr(scores, labels, 0.01);
  ASSERT_TRUE(recall.ok());
  EXPECT_DOUBLE_EQ(*recall, 0.5);
  EXPECT_DOUBLE_EQ(*RecallAtFpr(scores, labels, 1.0), 1.0);
}

TEST(Metrics, OneClassOnlyIsAClearErrorNotNaN) {
  const std::vector<float> scores = {0.1f, 0.7f};
  for (const std::vector<uint8_t>& labels :
       {std::vector<uint8_t>{0, 0}, std::vector<uint8_t>{1, 1}}) {
    for (const core::Status& status :
         {RocAuc(scores, labels).status(), AveragePrecision(scores, labels).status(),
          Ks(scores, labels).status(), RecallAtFpr(scores, labels, 0.01).status()}) {
      EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
      EXPECT_NE(status.message().find("need both classes"), std::string::npos) << status.message();
    }
  }
}

TEST(Metrics, RefusesMalformedInput) {
  const std::vector<uint8_t> labels = {0, 1};
  const std::vector<float> short_scores = {0.5f};
  EXPECT_NE(RocAuc(short_scores, labels).status().message().find("1 scores but 2 labels"),
            std::string::npos);
  const std::vector<float> nan_score = {std::numeric_limits<float>::quiet_NaN(), 0.5f};
  EXPECT_NE(RocAuc(nan_score, labels).status().message().find("not finite"), std::string::npos);
  const std::vector<float> scores = {0.2f, 0.5f};
  const std::vector<uint8_t> not_binary = {0, 3};
  EXPECT_EQ(Ks(scores, not_binary).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecallAtFpr(scores, labels, 1.5).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RecallAtFpr(scores, labels, -0.1).status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(AveragePrecision({}, {}).status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace netfin::ml
