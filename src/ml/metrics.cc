#include "ml/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace netfin::ml {
namespace {

// Cumulative counts after each group of tied scores, highest score first:
// the confusion counts of flagging every row scored at or above that group.
struct Threshold {
  double true_positives = 0;
  double false_positives = 0;
};

struct Curve {
  std::vector<Threshold> thresholds;  // one per distinct score, descending
  double positives = 0;
  double negatives = 0;
};

core::Status CheckInputs(std::span<const float> scores, std::span<const uint8_t> labels) {
  if (scores.size() != labels.size()) {
    return core::InvalidArgument(std::to_string(scores.size()) + " scores but " +
                                 std::to_string(labels.size()) + " labels");
  }
  size_t positives = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) return core::InvalidArgument("a score is not finite");
    if (labels[i] > 1) return core::InvalidArgument("a label is neither 0 nor 1");
    positives += labels[i];
  }
  if (positives == 0 || positives == labels.size()) {
    return core::InvalidArgument("the labels need both classes (got " + std::to_string(positives) +
                                 " positives of " + std::to_string(labels.size()) + " rows)");
  }
  return core::Status::Ok();
}

// Row indices by descending score; ties in index order (irrelevant to the
// metrics, which treat a group of ties as one step).
std::vector<size_t> OrderByScoreDescending(std::span<const float> scores) {
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return order;
}

core::Result<Curve> BuildCurve(std::span<const float> scores, std::span<const uint8_t> labels) {
  NETFIN_RETURN_IF_ERROR(CheckInputs(scores, labels));
  const std::vector<size_t> order = OrderByScoreDescending(scores);
  Curve curve;
  Threshold running;
  for (size_t i = 0; i < order.size(); ++i) {
    (labels[order[i]] == 1 ? running.true_positives : running.false_positives) += 1;
    const bool group_ends = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
    if (group_ends) curve.thresholds.push_back(running);
  }
  curve.positives = running.true_positives;
  curve.negatives = running.false_positives;
  NETFIN_ASSERT(curve.positives > 0 && curve.negatives > 0);
  return curve;
}

}  // namespace

core::Result<double> RocAuc(std::span<const float> scores, std::span<const uint8_t> labels) {
  core::Result<Curve> curve = BuildCurve(scores, labels);
  if (!curve.ok()) return curve.status();
  // Trapezoids between thresholds: a tied group that adds both positives and
  // negatives contributes half its rectangle, which is the average-rank rule.
  double area = 0;
  Threshold previous;
  for (const Threshold& t : curve->thresholds) {
    area += (t.false_positives - previous.false_positives) *
            (t.true_positives + previous.true_positives) / 2;
    previous = t;
  }
  const double auc = area / (curve->positives * curve->negatives);
  NETFIN_ASSERT(auc >= 0.0 && auc <= 1.0);
  return auc;
}

core::Result<double> AveragePrecision(std::span<const float> scores,
                                      std::span<const uint8_t> labels) {
  core::Result<Curve> curve = BuildCurve(scores, labels);
  if (!curve.ok()) return curve.status();
  double ap = 0;
  double previous_recall = 0;
  for (const Threshold& t : curve->thresholds) {
    const double recall = t.true_positives / curve->positives;
    const double precision = t.true_positives / (t.true_positives + t.false_positives);
    ap += (recall - previous_recall) * precision;
    previous_recall = recall;
  }
  NETFIN_ASSERT(ap >= 0.0 && ap <= 1.0 + 1e-12);
  return std::min(ap, 1.0);
}

core::Result<double> RecallAtFpr(std::span<const float> scores, std::span<const uint8_t> labels,
                                 double fpr_max) {
  if (!(fpr_max >= 0.0 && fpr_max <= 1.0)) {
    return core::InvalidArgument("fpr_max must be in [0, 1]");
  }
  core::Result<Curve> curve = BuildCurve(scores, labels);
  if (!curve.ok()) return curve.status();
  double recall = 0;  // a threshold above every score flags nothing
  for (const Threshold& t : curve->thresholds) {
    if (t.false_positives / curve->negatives > fpr_max) break;  // only grows from here
    recall = t.true_positives / curve->positives;
  }
  return recall;
}

core::Result<double> Ks(std::span<const float> scores, std::span<const uint8_t> labels) {
  core::Result<Curve> curve = BuildCurve(scores, labels);
  if (!curve.ok()) return curve.status();
  // Above a threshold the two survival functions are TPR and FPR, so the
  // CDF difference at that threshold is |TPR - FPR|.
  double ks = 0;
  for (const Threshold& t : curve->thresholds) {
    const double gap =
        std::fabs(t.true_positives / curve->positives - t.false_positives / curve->negatives);
    ks = std::max(ks, gap);
  }
  return ks;
}

}  // namespace netfin::ml
