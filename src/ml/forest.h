#pragma once

// Forest: a compiled, flat copy of an XGBoost tree ensemble (gbtree,
// binary:logistic) that scores and explains one row on the caller's thread,
// with no XGBoost call, no JSON, no allocation per score.
//
// Why: XGBoost's one-row inplace prediction costs about 8 us for 200 depth-6
// trees, most of it per-call overhead (the prediction config parsed as JSON,
// feature vectors allocated), and on the payments applier thread that was 17%
// of the CPU. Walking the same trees over one contiguous node array costs
// about 1 us. Its contributions call also recomputes every node's mean value
// on each call; here they are computed once, at load.
//
// Built once from XGBoost's own JSON model (XGBoosterSaveModelToBuffer,
// {"format": "json"}, the schema of XGBoost 1.7), it reproduces XGBoost's
// arithmetic step for step, in float32 as XGBoost does:
//   - a split sends a value to the left child when value < threshold (both
//     float32); a missing value (NaN) to the node's default child;
//   - the margin is base_margin + the trees' leaf values, summed in tree
//     order into a float, where base_margin = -logf(1/base_score - 1)
//     (binary:logistic's ProbToMargin of the stored base_score);
//   - the probability is 1 / (1 + expf(-margin));
//   - contributions are exact TreeSHAP (Lundberg et al., "Consistent
//     individualized feature attribution for tree ensembles"), the same
//     recursion as XGBoost's RegTree::CalculateContributions, per tree into a
//     zeroed buffer then added, the bias being each tree's mean value (cover
//     weighted) plus base_margin. They sum to the margin up to float rounding.
// ml/forest_test.cc checks all three against XGBoost on thousands of rows.
//
// Lifecycle: made by FromXgboostJson, immutable afterwards; copyable and
// movable. Threads: the const methods may run concurrently.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace netfin::ml {

// Trees in a forest, at most: far past useful (ml's kRoundsMax is the same
// bound), and it bounds the load and the per-row work.
inline constexpr size_t kForestTreesMax = 10'000;
// Depth of a tree (edges from the root to its deepest leaf), at most. Bounds
// every walk and sizes TreeSHAP's path buffer on the stack.
inline constexpr size_t kForestDepthMax = 16;
// Features a forest reads, at most (the CSV reader's column bound).
inline constexpr size_t kForestFeaturesMax = 4096;

class Forest {
 public:
  // Compiles XGBoost's JSON model. kCorruption with a sentence saying what:
  // not JSON or not XGBoost 1.7's schema, a booster other than gbtree, an
  // objective other than binary:logistic, more than one output group,
  // categorical splits, a feature index at or past feature_count, a node
  // index out of range or reached twice, a tree deeper than
  // kForestDepthMax, more than kForestTreesMax trees, or a model whose
  // num_feature is not feature_count. REQUIRES: 0 < feature_count <=
  // kForestFeaturesMax.
  static core::Result<Forest> FromXgboostJson(std::string_view model_json, size_t feature_count);

  // The row's margin (log-odds). REQUIRES: row.size() == feature_count().
  float Margin(std::span<const float> row) const;
  // P(positive): the logistic function of the margin, as XGBoost computes it.
  float Probability(std::span<const float> row) const;
  // Exact TreeSHAP contributions of each feature to the row's margin, into
  // per_feature; returns the bias (base margin plus every tree's expected
  // value), so that bias + sum(per_feature) is the margin up to float
  // rounding. REQUIRES: row.size() == per_feature.size() == feature_count().
  float Contributions(std::span<const float> row, std::span<float> per_feature) const;

  size_t feature_count() const { return feature_count_; }
  size_t tree_count() const { return roots_.size(); }
  size_t node_count() const { return nodes_.size(); }
  float base_margin() const { return base_margin_; }

 private:
  // One node, 12 bytes. A split's children are adjacent (left, then right
  // at left + 1): the walk picks one with an addition, no second index.
  struct Node {
    float value = 0;          // a split's threshold, or a leaf's value
    uint32_t feature = 0;     // a split's feature index | kDefaultLeftBit; kLeaf for a leaf
    uint32_t left = 0;        // a split's left child (index into nodes_)
  };
  static constexpr uint32_t kDefaultLeftBit = 0x8000'0000u;
  static constexpr uint32_t kLeaf = 0xFFFF'FFFFu;
  class Builder;
  struct PathElement;

  Forest() = default;
  static bool IsLeaf(const Node& node) { return node.feature == kLeaf; }
  static uint32_t FeatureOf(const Node& node) { return node.feature & ~kDefaultLeftBit; }
  // The child a value of the split's feature goes to (NaN = missing).
  static uint32_t ChildFor(const Node& node, float value);
  float TreeValue(uint32_t root, const float* row) const;
  void TreeShap(const float* row, float* phi, uint32_t node, unsigned unique_depth,
                PathElement* parent_path, float parent_zero_fraction, float parent_one_fraction,
                int parent_feature) const;

  std::vector<Node> nodes_;     // every tree's nodes, tree after tree
  std::vector<float> cover_;    // per node: its training rows' hessian sum (TreeSHAP)
  std::vector<uint32_t> roots_;  // per tree: its root's index into nodes_
  std::vector<float> tree_means_;  // per tree: its cover-weighted mean value (TreeSHAP's bias)
  size_t feature_count_ = 0;
  float base_margin_ = 0;
};

}  // namespace netfin::ml
