#include "ml/forest.h"

#include <rapidjson/document.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "core/assert.h"

namespace netfin::ml {
namespace {

using JsonValue = rapidjson::Value;

// Nodes of one tree, at most: a full binary tree of kForestDepthMax levels.
constexpr size_t kTreeNodesMax = (size_t{2} << kForestDepthMax) - 1;

core::Status Malformed(const std::string& what) {
  return core::Corruption("XGBoost model JSON: " + what);
}

// The JSON is parsed with numbers kept as text (kParseNumbersAsStringsFlag):
// XGBoost writes each float32 in its shortest round-trip form, and reading
// that text straight into a float gives back XGBoost's float exactly, where
// going through a double could round twice. The whole text must be the number.
template <typename T>
bool ParseNumber(const JsonValue& value, T* out) {
  if (!value.IsString()) return false;
  const char* begin = value.GetString();
  const char* end = begin + value.GetStringLength();
  const auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end;
}
constexpr auto ParseFloat = &ParseNumber<float>;
constexpr auto ParseInt = &ParseNumber<int64_t>;

// A member that must exist; nullptr (and the caller reports) otherwise.
const JsonValue* Member(const JsonValue& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// Follows a path of member names from root.
const JsonValue* Path(const JsonValue& root, std::initializer_list<const char*> names) {
  const JsonValue* at = &root;
  for (const char* name : names) {
    at = Member(*at, name);
    if (at == nullptr) return nullptr;
  }
  return at;
}

bool IsString(const JsonValue* value, std::string_view text) {
  return value != nullptr && value->IsString() &&
         std::string_view(value->GetString(), value->GetStringLength()) == text;
}

// An integer written as a number or, as XGBoost writes its parameters, as a
// string holding one ("13").
bool IntOf(const JsonValue* value, int64_t* out) { return value != nullptr && ParseInt(*value, out); }

// One tree's arrays as XGBoost 1.7 writes them, by XGBoost's node id.
struct TreeArrays {
  std::vector<int64_t> left, right, feature;
  std::vector<float> condition, hessian;
  std::vector<uint8_t> default_left;
};

template <typename T, typename Parse>
bool ReadArray(const JsonValue& tree, const char* name, size_t count, Parse parse,
               std::vector<T>* out) {
  const JsonValue* array = Member(tree, name);
  if (array == nullptr || !array->IsArray() || array->Size() != count) return false;
  out->resize(count);
  for (rapidjson::SizeType i = 0; i < count; ++i) {
    if (!parse((*array)[i], &(*out)[i])) return false;
  }
  return true;
}

// default_left: numbers 0/1 in XGBoost 1.7's JSON; booleans accepted too.
bool ParseFlag(const JsonValue& value, uint8_t* out) {
  if (value.IsBool()) {
    *out = value.GetBool() ? 1 : 0;
    return true;
  }
  int64_t number = 0;
  if (!ParseInt(value, &number) || (number != 0 && number != 1)) return false;
  *out = static_cast<uint8_t>(number);
  return true;
}

core::Result<TreeArrays> ReadTree(const JsonValue& tree, size_t index) {
  const std::string where = "tree " + std::to_string(index) + ": ";
  int64_t nodes = 0;
  if (!IntOf(Path(tree, {"tree_param", "num_nodes"}), &nodes) || nodes < 1 ||
      static_cast<size_t>(nodes) > kTreeNodesMax) {
    return Malformed(where + "num_nodes missing or outside 1.." + std::to_string(kTreeNodesMax));
  }
  const JsonValue* split_type = Member(tree, "split_type");
  if (split_type != nullptr && split_type->IsArray()) {
    for (const JsonValue& type : split_type->GetArray()) {
      int64_t kind = 0;
      if (!ParseInt(type, &kind) || kind != 0) {
        return Malformed(where + "categorical splits are not supported");
      }
    }
  }
  const size_t count = static_cast<size_t>(nodes);
  TreeArrays t;
  const bool ok = ReadArray(tree, "left_children", count, ParseInt, &t.left) &&
                  ReadArray(tree, "right_children", count, ParseInt, &t.right) &&
                  ReadArray(tree, "split_indices", count, ParseInt, &t.feature) &&
                  ReadArray(tree, "split_conditions", count, ParseFloat, &t.condition) &&
                  ReadArray(tree, "sum_hessian", count, ParseFloat, &t.hessian) &&
                  ReadArray(tree, "default_left", count, ParseFlag, &t.default_left);
  if (!ok) return Malformed(where + "a node array is missing, of the wrong length or malformed");
  return t;
}

// base_score is binary:logistic's prior probability; the margin trees add
// to is its log-odds, computed as XGBoost's ProbToMargin does, in float.
core::Result<float> BaseMargin(const JsonValue& learner) {
  const JsonValue* text = Path(learner, {"learner_model_param", "base_score"});
  float base_score = 0;
  if (text == nullptr || !ParseFloat(*text, &base_score) || !(base_score > 0.0f) ||
      !(base_score < 1.0f)) {
    return Malformed("learner_model_param.base_score missing or not in (0, 1)");
  }
  return -logf(1.0f / base_score - 1.0f);
}

core::Status CheckLearner(const JsonValue& learner, size_t feature_count) {
  if (!IsString(Path(learner, {"objective", "name"}), "binary:logistic")) {
    return Malformed("the objective is not binary:logistic");
  }
  if (!IsString(Path(learner, {"gradient_booster", "name"}), "gbtree")) {
    return Malformed("the booster is not gbtree");
  }
  int64_t classes = 0;
  if (!IntOf(Path(learner, {"learner_model_param", "num_class"}), &classes) || classes > 1) {
    return Malformed("learner_model_param.num_class missing or more than one group");
  }
  int64_t features = 0;
  if (!IntOf(Path(learner, {"learner_model_param", "num_feature"}), &features) ||
      features != static_cast<int64_t>(feature_count)) {
    return Malformed("learner_model_param.num_feature is not " + std::to_string(feature_count));
  }
  return core::Status::Ok();
}

}  // namespace

// What TreeSHAP tracks per feature on the path from the root (XGBoost's
// PathElement, float as in XGBoost).
struct Forest::PathElement {
  int feature = -1;
  float zero_fraction = 0;  // share of the cover going this way when the feature is unknown
  float one_fraction = 0;   // 1 when the row's value goes this way, else 0
  float pweight = 0;        // the permutation weight of subsets of this size
};

// Turns one tree's arrays into flat nodes, children adjacent. The walk from
// the root visits each node once; a node reached twice (a cycle or shared
// child), an index out of range or a path deeper than kForestDepthMax is
// kCorruption, so every walk of a built forest ends within its depth.
class Forest::Builder {
 public:
  Builder(Forest* forest, size_t feature_count) : forest_(forest), feature_count_(feature_count) {}

  core::Status AddTree(const TreeArrays& tree, size_t index) {
    tree_ = &tree;
    where_ = "tree " + std::to_string(index) + ": ";
    seen_.assign(tree.left.size(), 0);
    const uint32_t root = static_cast<uint32_t>(forest_->nodes_.size());
    forest_->roots_.push_back(root);
    forest_->nodes_.emplace_back();
    forest_->cover_.push_back(0);
    mean_.assign(1, 0);
    NETFIN_RETURN_IF_ERROR(Place(0, root, 0));
    forest_->tree_means_.push_back(mean_[0]);
    return core::Status::Ok();
  }

 private:
  // Fills nodes_[slot] from XGBoost node id, then its children below it.
  core::Status Place(int64_t id, uint32_t slot, size_t depth) {
    const TreeArrays& t = *tree_;
    if (id < 0 || static_cast<size_t>(id) >= t.left.size() || seen_[id]) {
      return Malformed(where_ + "node " + std::to_string(id) + " out of range or reached twice");
    }
    seen_[id] = 1;
    forest_->cover_[slot] = t.hessian[id];
    if (t.left[id] == -1) {
      forest_->nodes_[slot] = Node{.value = t.condition[id], .feature = kLeaf, .left = 0};
      MeanOf(slot) = t.condition[id];
      return core::Status::Ok();
    }
    if (depth >= kForestDepthMax) return Malformed(where_ + "deeper than kForestDepthMax");
    if (t.feature[id] < 0 || static_cast<size_t>(t.feature[id]) >= feature_count_) {
      return Malformed(where_ + "split feature " + std::to_string(t.feature[id]) + " out of range");
    }
    const uint32_t left = static_cast<uint32_t>(forest_->nodes_.size());
    forest_->nodes_.resize(left + 2);
    forest_->cover_.resize(left + 2);
    mean_.resize(mean_.size() + 2);
    const uint32_t flags = t.default_left[id] ? kDefaultLeftBit : 0;
    forest_->nodes_[slot] = Node{.value = t.condition[id],
                                 .feature = static_cast<uint32_t>(t.feature[id]) | flags,
                                 .left = left};
    NETFIN_RETURN_IF_ERROR(Place(t.left[id], left, depth + 1));
    NETFIN_RETURN_IF_ERROR(Place(t.right[id], left + 1, depth + 1));
    // XGBoost's FillNodeMeanValues, in its order and in float.
    float mean = MeanOf(left) * forest_->cover_[left];
    mean += MeanOf(left + 1) * forest_->cover_[left + 1];
    mean /= forest_->cover_[slot];
    MeanOf(slot) = mean;
    return core::Status::Ok();
  }

  // The current tree's node at slot: its subtree's cover-weighted mean value.
  float& MeanOf(uint32_t slot) { return mean_[slot - forest_->roots_.back()]; }

  Forest* forest_;
  size_t feature_count_;
  const TreeArrays* tree_ = nullptr;
  std::string where_;
  std::vector<uint8_t> seen_;
  // Per node of the current tree, by slot less its root's: only the root's
  // is kept (TreeSHAP's bias), the rest are steps to it.
  std::vector<float> mean_;
};

core::Result<Forest> Forest::FromXgboostJson(std::string_view model_json, size_t feature_count) {
  NETFIN_ASSERT(feature_count > 0 && feature_count <= kForestFeaturesMax);
  rapidjson::Document document;
  document.Parse<rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseNanAndInfFlag>(
      model_json.data(), model_json.size());
  if (document.HasParseError()) return Malformed("not valid JSON");
  const JsonValue* learner = Member(document, "learner");
  if (learner == nullptr) return Malformed("no learner object");
  NETFIN_RETURN_IF_ERROR(CheckLearner(*learner, feature_count));
  core::Result<float> base_margin = BaseMargin(*learner);
  if (!base_margin.ok()) return base_margin.status();
  const JsonValue* trees = Path(*learner, {"gradient_booster", "model", "trees"});
  if (trees == nullptr || !trees->IsArray() || trees->Size() > kForestTreesMax) {
    return Malformed("no trees array, or more than " + std::to_string(kForestTreesMax) + " trees");
  }
  Forest forest;
  forest.feature_count_ = feature_count;
  forest.base_margin_ = *base_margin;
  Builder builder(&forest, feature_count);
  for (rapidjson::SizeType i = 0; i < trees->Size(); ++i) {
    core::Result<TreeArrays> tree = ReadTree((*trees)[i], i);
    if (!tree.ok()) return tree.status();
    NETFIN_RETURN_IF_ERROR(builder.AddTree(*tree, i));
  }
  NETFIN_ASSERT(forest.cover_.size() == forest.nodes_.size());
  NETFIN_ASSERT(forest.tree_means_.size() == forest.roots_.size());
  return forest;
}

uint32_t Forest::ChildFor(const Node& node, float value) {
  NETFIN_ASSERT(!IsLeaf(node));
  if (std::isnan(value)) return (node.feature & kDefaultLeftBit) ? node.left : node.left + 1;
  return value < node.value ? node.left : node.left + 1;
}

float Forest::TreeValue(uint32_t root, const float* row) const {
  const Node* node = &nodes_[root];
  // Bounded: the builder refused trees deeper than kForestDepthMax.
  for (size_t depth = 0; !IsLeaf(*node); ++depth) {
    NETFIN_ASSERT(depth < kForestDepthMax);
    node = &nodes_[ChildFor(*node, row[FeatureOf(*node)])];
  }
  return node->value;
}

float Forest::Margin(std::span<const float> row) const {
  NETFIN_ASSERT(row.size() == feature_count_);
  float margin = base_margin_;
  for (const uint32_t root : roots_) margin += TreeValue(root, row.data());
  return margin;
}

float Forest::Probability(std::span<const float> row) const {
  // XGBoost's common::Sigmoid: the exponent capped so that expf stays finite.
  const float x = std::min(-Margin(row), 88.7f);
  return 1.0f / (expf(x) + 1.0f + 1e-16f);
}

namespace {

// XGBoost's ExtendPath, UnwindPath and UnwoundPathSum (tree_model.cc), in its
// float arithmetic and order, so the contributions match XGBoost's.
template <typename Element>
void ExtendPath(Element* path, unsigned depth, float zero_fraction, float one_fraction,
                int feature) {
  path[depth].feature = feature;
  path[depth].zero_fraction = zero_fraction;
  path[depth].one_fraction = one_fraction;
  path[depth].pweight = depth == 0 ? 1.0f : 0.0f;
  for (int i = static_cast<int>(depth) - 1; i >= 0; i--) {
    path[i + 1].pweight += one_fraction * path[i].pweight * static_cast<float>(i + 1) /
                           static_cast<float>(depth + 1);
    path[i].pweight = zero_fraction * path[i].pweight * static_cast<float>(depth - i) /
                      static_cast<float>(depth + 1);
  }
}

template <typename Element>
void UnwindPath(Element* path, unsigned depth, unsigned path_index) {
  const float one_fraction = path[path_index].one_fraction;
  const float zero_fraction = path[path_index].zero_fraction;
  float next_one_portion = path[depth].pweight;
  for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
    if (one_fraction != 0) {
      const float tmp = path[i].pweight;
      path[i].pweight = next_one_portion * static_cast<float>(depth + 1) /
                        static_cast<float>((i + 1) * one_fraction);
      next_one_portion = tmp - path[i].pweight * zero_fraction * static_cast<float>(depth - i) /
                                   static_cast<float>(depth + 1);
    } else {
      path[i].pweight = (path[i].pweight * static_cast<float>(depth + 1)) /
                        static_cast<float>(zero_fraction * static_cast<float>(depth - i));
    }
  }
  for (unsigned i = path_index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

template <typename Element>
float UnwoundPathSum(const Element* path, unsigned depth, unsigned path_index) {
  const float one_fraction = path[path_index].one_fraction;
  const float zero_fraction = path[path_index].zero_fraction;
  float next_one_portion = path[depth].pweight;
  float total = 0;
  for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
    if (one_fraction != 0) {
      const float tmp = next_one_portion * static_cast<float>(depth + 1) /
                        static_cast<float>((i + 1) * one_fraction);
      total += tmp;
      next_one_portion = path[i].pweight - tmp * zero_fraction *
                                               (static_cast<float>(depth - i) /
                                                static_cast<float>(depth + 1));
    } else if (zero_fraction != 0) {
      total += (path[i].pweight / zero_fraction) /
               (static_cast<float>(depth - i) / static_cast<float>(depth + 1));
    }
    // Else the element's weight is zero (XGBoost checks it); it adds nothing.
  }
  return total;
}

// The path buffer of one tree's recursion: each level copies its parent's
// path (at most depth + 2 elements) into the next slice, as XGBoost does.
constexpr size_t kPathLevelsMax = kForestDepthMax + 2;
constexpr size_t kPathElementsMax = kPathLevelsMax * (kPathLevelsMax + 1) / 2;

}  // namespace

// XGBoost's RegTree::TreeShap without its conditioning arguments (netfin
// asks for plain contributions, condition = 0).
void Forest::TreeShap(const float* row, float* phi, uint32_t index, unsigned unique_depth,
                      PathElement* parent_path, float parent_zero_fraction,
                      float parent_one_fraction, int parent_feature) const {
  NETFIN_ASSERT(unique_depth <= kForestDepthMax + 1);
  PathElement* path = parent_path + unique_depth + 1;
  std::copy(parent_path, parent_path + unique_depth + 1, path);
  ExtendPath(path, unique_depth, parent_zero_fraction, parent_one_fraction, parent_feature);
  const Node& node = nodes_[index];
  if (IsLeaf(node)) {
    for (unsigned i = 1; i <= unique_depth; ++i) {
      const float w = UnwoundPathSum(path, unique_depth, i);
      const PathElement& el = path[i];
      phi[el.feature] += w * (el.one_fraction - el.zero_fraction) * node.value;
    }
    return;
  }
  const uint32_t feature = FeatureOf(node);
  const uint32_t hot = ChildFor(node, row[feature]);
  const uint32_t cold = hot == node.left ? node.left + 1 : node.left;
  const float w = cover_[index];
  const float hot_zero_fraction = cover_[hot] / w;
  const float cold_zero_fraction = cover_[cold] / w;
  float incoming_zero_fraction = 1;
  float incoming_one_fraction = 1;
  // A feature already split on above: undo that split to redo it here.
  unsigned path_index = 0;
  for (; path_index <= unique_depth; ++path_index) {
    if (path[path_index].feature == static_cast<int>(feature)) break;
  }
  if (path_index != unique_depth + 1) {
    incoming_zero_fraction = path[path_index].zero_fraction;
    incoming_one_fraction = path[path_index].one_fraction;
    UnwindPath(path, unique_depth, path_index);
    unique_depth -= 1;
  }
  TreeShap(row, phi, hot, unique_depth + 1, path, hot_zero_fraction * incoming_zero_fraction,
           incoming_one_fraction, static_cast<int>(feature));
  TreeShap(row, phi, cold, unique_depth + 1, path, cold_zero_fraction * incoming_zero_fraction, 0,
           static_cast<int>(feature));
}

float Forest::Contributions(std::span<const float> row, std::span<float> per_feature) const {
  NETFIN_ASSERT(row.size() == feature_count_ && per_feature.size() == feature_count_);
  std::fill(per_feature.begin(), per_feature.end(), 0.0f);
  // XGBoost explains each tree into a zeroed buffer (features, then the
  // bias) and adds it to the row's; the same order gives the same floats.
  std::array<float, kForestFeaturesMax + 1> tree_phi;
  std::array<PathElement, kPathElementsMax> path;
  float bias = 0;
  for (size_t tree = 0; tree < roots_.size(); ++tree) {
    std::fill(tree_phi.begin(), tree_phi.begin() + feature_count_ + 1, 0.0f);
    tree_phi[feature_count_] += tree_means_[tree];
    TreeShap(row.data(), tree_phi.data(), roots_[tree], 0, path.data(), 1, 1, -1);
    for (size_t i = 0; i < feature_count_; ++i) per_feature[i] += tree_phi[i];
    bias += tree_phi[feature_count_];
  }
  return bias + base_margin_;
}

}  // namespace netfin::ml
