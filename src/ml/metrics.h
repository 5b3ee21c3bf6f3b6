#pragma once

// Ranking metrics of a binary classifier's scores against 0/1 labels. Higher
// scores mean "more likely positive". Tied scores are one threshold: a model
// cannot order rows it scores equally, so no metric rewards an arbitrary
// order among them.
//
// Every metric needs both classes and finite scores. Anything else is
// kInvalidArgument with a sentence saying why, never a NaN.

#include <cstdint>
#include <span>

#include "core/status.h"

namespace netfin::ml {

// Area under the ROC curve: the probability that a random positive scores
// above a random negative, ties counting one half (the Mann-Whitney U
// statistic with average ranks).
core::Result<double> RocAuc(std::span<const float> scores, std::span<const uint8_t> labels);

// Average precision (area under the precision-recall curve, step-wise):
// sum over thresholds, highest first, of (recall - previous recall) x
// precision, as in scikit-learn's average_precision_score.
core::Result<double> AveragePrecision(std::span<const float> scores,
                                      std::span<const uint8_t> labels);

// The highest recall (true positive rate) reachable with a threshold whose
// false positive rate is at most fpr_max, flagging rows scored at or above
// the threshold. fpr_max in [0, 1].
core::Result<double> RecallAtFpr(std::span<const float> scores, std::span<const uint8_t> labels,
                                 double fpr_max);

// Kolmogorov-Smirnov statistic: the largest absolute difference between the
// score distributions (CDFs) of the positives and of the negatives, in [0, 1].
core::Result<double> Ks(std::span<const float> scores, std::span<const uint8_t> labels);

}  // namespace netfin::ml
