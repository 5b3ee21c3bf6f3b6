// `netfin eval fraud --step-check`: how much the fraud feature sets tell
// about PaySim's step, the hour that leaks the label in the sample (69 of
// its 119 hours hold only fraud rows). docs/risk.md ("Which features, and
// why") explains the method and records the figures; this command repeats
// them from the data.
//
// Two measurements, each a small gradient-boosted model scored by ROC AUC
// on a stratified 30% held out:
//   1. Step information. Among the fraud rows only (so the label cannot
//      help), tell the rows in hours that also have genuine traffic from
//      those in fraud-only hours. 0.5 means the features know nothing of the
//      step. Compared: the event alone (amount and kind), each further
//      feature of the balance set added to it, hour_of_day_cn added (a
//      known leak, for scale), and both whole sets.
//   2. Signal beyond the step. Fraud against genuine within the busiest
//      hours only, where traffic is as dense for both: with and without the
//      payee windows, over several seeds. If the windows only encoded the
//      step's traffic, they would add nothing here.
//   3. The data README's reference levels: fraud against genuine on every
//      row from amount and kind, and with the raw step added.

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "cli/risk_cli.h"
#include "ml/ml.h"
#include "risk/feature_engine.h"
#include "risk/fraud_model.h"
#include "risk/paysim.h"

namespace netfin::cli {
namespace {

using risk::Feature;

// An hour counts as busy from this many genuine rows (the sample's busiest
// hours have 1,500 to 2,400, its fraud-only hours none).
constexpr size_t kBusyHourGenuineRowsMin = 1'500;
constexpr uint64_t kSeeds[] = {42, 1, 2, 3, 7};

// The whole log's feature vectors, replayed as training does.
std::vector<risk::FeatureVector> ReplayAll(const risk::PaysimLog& log) {
  risk::FeatureEngine engine;
  std::vector<risk::FeatureVector> vectors;
  vectors.reserve(log.size());
  for (const risk::PaymentEvent& e : log.events) {
    vectors.push_back(engine.Compute(e));
    engine.Observe(e);
  }
  return vectors;
}

ml::Dataset Matrix(const std::vector<risk::FeatureVector>& vectors, std::span<const size_t> rows,
                   std::span<const Feature> features, std::span<const uint8_t> labels) {
  ml::Dataset d;
  for (const Feature f : features) {
    d.feature_names.emplace_back(risk::FeatureNames()[static_cast<size_t>(f)]);
  }
  d.row_count = rows.size();
  d.values.reserve(rows.size() * features.size());
  for (const size_t r : rows) {
    for (const Feature f : features) d.values.push_back(static_cast<float>(vectors[r][f]));
  }
  d.labels.assign(labels.begin(), labels.end());
  return d;
}

// Held-out ROC AUC of a small model on the matrix.
core::Result<double> HeldOutAuc(const ml::Dataset& d, uint64_t seed,
                                const ml::TrainParams& params) {
  core::Result<ml::SplitIndices> split = ml::StratifiedSplit(d.labels, 0.3, seed);
  if (!split.ok()) return split.status();
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(d, split->train, params);
  if (!model.ok()) return model.status();
  core::Result<std::vector<float>> scores = model->PredictProbabilities(d, split->test);
  if (!scores.ok()) return scores.status();
  return ml::RocAuc(*scores, d.LabelsOf(split->test));
}

std::vector<Feature> EventAlone() {
  return {Feature::kAmount, Feature::kKindPayment, Feature::kKindTransfer, Feature::kKindWithdrawal,
          Feature::kKindTopUp};
}

std::vector<Feature> With(std::vector<Feature> base, Feature extra) {
  base.push_back(extra);
  return base;
}

std::string Name(Feature f) { return std::string(risk::FeatureNames()[static_cast<size_t>(f)]); }

// 1. Among fraud rows: busy-hour rows against fraud-only-hour rows.
core::Status StepInformation(const risk::PaysimLog& log,
                             const std::vector<risk::FeatureVector>& vectors) {
  std::map<uint32_t, size_t> genuine_in_step;
  for (size_t i = 0; i < log.size(); ++i) genuine_in_step[log.steps[i]] += log.labels[i] == 0;
  std::vector<size_t> rows;
  std::vector<uint8_t> in_busy_hour;
  for (size_t i = 0; i < log.size(); ++i) {
    if (log.labels[i] == 0) continue;
    rows.push_back(i);
    in_busy_hour.push_back(genuine_in_step[log.steps[i]] > 0 ? 1 : 0);
  }
  const size_t busy = static_cast<size_t>(std::count(in_busy_hour.begin(), in_busy_hour.end(), 1));
  if (busy < 10 || rows.size() - busy < 10) {
    fmt::print(
        "1. step information: too few fraud rows in busy or in fraud-only hours to measure\n");
    return core::Status::Ok();
  }
  fmt::print(
      "1. step information: among the {} fraud rows, tell the {} in hours with genuine "
      "traffic from the {} in fraud-only hours\n   (held-out ROC AUC, 100 trees of depth 4, "
      "seed 42; 0.5 = nothing known of the step)\n",
      rows.size(), busy, rows.size() - busy);
  const ml::TrainParams params{.rounds = 100, .max_depth = 4, .nthread = 1, .seed = 42};
  std::vector<std::pair<std::string, std::vector<Feature>>> candidates = {
      {"amount and kind (the event alone)", EventAlone()}};
  for (const Feature f : risk::FraudModelFeatures(risk::FraudFeatureSet::kWithBalance)) {
    if (f > Feature::kKindTopUp) candidates.push_back({"  + " + Name(f), With(EventAlone(), f)});
  }
  candidates.push_back(
      {"  + hour_of_day_cn (reads the step: a leak)", With(EventAlone(), Feature::kHourOfDayCn)});
  for (const risk::FraudFeatureSet set :
       {risk::FraudFeatureSet::kWithoutBalance, risk::FraudFeatureSet::kWithBalance}) {
    const std::span<const Feature> fs = risk::FraudModelFeatures(set);
    candidates.push_back({fmt::format("the {} set", risk::FraudFeatureSetName(set)),
                          std::vector<Feature>(fs.begin(), fs.end())});
  }
  for (const auto& [label, features] : candidates) {
    core::Result<double> auc =
        HeldOutAuc(Matrix(vectors, rows, features, in_busy_hour), 42, params);
    if (!auc.ok()) return auc.status();
    fmt::print("   {:<48} {:.3f}\n", label, *auc);
  }
  return core::Status::Ok();
}

// 2. Fraud against genuine within the busiest hours.
core::Status SignalBeyondTheStep(const risk::PaysimLog& log,
                                 const std::vector<risk::FeatureVector>& vectors) {
  std::map<uint32_t, size_t> genuine_in_step;
  for (size_t i = 0; i < log.size(); ++i) genuine_in_step[log.steps[i]] += log.labels[i] == 0;
  std::vector<size_t> rows;
  std::vector<uint8_t> labels;
  for (size_t i = 0; i < log.size(); ++i) {
    if (genuine_in_step[log.steps[i]] < kBusyHourGenuineRowsMin) continue;
    rows.push_back(i);
    labels.push_back(log.labels[i]);
  }
  const size_t fraud = static_cast<size_t>(std::count(labels.begin(), labels.end(), 1));
  fmt::print(
      "2. signal beyond the step: fraud against genuine within the hours with at least {} "
      "genuine rows ({} rows, {} fraud)\n   (held-out ROC AUC, 200 trees of depth 6, per "
      "seed)\n",
      kBusyHourGenuineRowsMin, rows.size(), fraud);
  if (fraud < 10 || rows.size() - fraud < 10) return core::Status::Ok();
  std::vector<Feature> windows = EventAlone();
  for (const Feature f : risk::FraudModelFeatures(risk::FraudFeatureSet::kWithoutBalance)) {
    if (f > Feature::kKindTopUp) windows.push_back(f);
  }
  const std::pair<const char*, std::vector<Feature>> sets[] = {
      {"amount and kind", EventAlone()}, {"amount, kind and the payee windows", windows}};
  for (const auto& [label, features] : sets) {
    const ml::Dataset d = Matrix(vectors, rows, features, labels);
    std::string line;
    for (const uint64_t seed : kSeeds) {
      const ml::TrainParams params{.nthread = 1, .seed = seed};
      core::Result<double> auc = HeldOutAuc(d, seed, params);
      if (!auc.ok()) return auc.status();
      line += fmt::format(" {:.3f}", *auc);
    }
    fmt::print("   {:<48}{}\n", label, line);
  }
  return core::Status::Ok();
}

// 3. For the reference levels of the data README: fraud against genuine on
// every row, from the event alone and with the raw step added.
core::Status ReferenceLevels(const risk::PaysimLog& log,
                             const std::vector<risk::FeatureVector>& vectors) {
  std::vector<size_t> rows(log.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = i;
  const ml::Dataset alone = Matrix(vectors, rows, EventAlone(), log.labels);
  // The same with the step as a last column (never a feature of netfin's).
  ml::Dataset with_step = alone;
  with_step.feature_names.emplace_back("step");
  with_step.values.clear();
  const size_t width = alone.FeatureCount();
  for (size_t r = 0; r < alone.row_count; ++r) {
    const std::span<const float> row = alone.Row(r);
    with_step.values.insert(with_step.values.end(), row.begin(), row.begin() + width);
    with_step.values.push_back(static_cast<float>(log.steps[r]));
  }
  fmt::print(
      "3. for the data README's reference levels: fraud against genuine on every row "
      "(held-out ROC AUC, 200 trees of depth 6, seed 42)\n");
  const std::pair<const char*, const ml::Dataset*> sets[] = {
      {"amount and kind", &alone}, {"amount, kind and the raw step (a leak)", &with_step}};
  for (const auto& [label, d] : sets) {
    core::Result<double> auc = HeldOutAuc(*d, 42, {.nthread = 1, .seed = 42});
    if (!auc.ok()) return auc.status();
    fmt::print("   {:<48} {:.3f}\n", label, *auc);
  }
  return core::Status::Ok();
}

}  // namespace

int RunStepCheck(const std::string& data_path) {
  core::Result<risk::PaysimLog> log = risk::ReadPaysimFile(data_path);
  if (!log.ok()) {
    fmt::print(stderr, "netfin eval fraud: {}\n", log.status().ToString());
    return 1;
  }
  const std::vector<risk::FeatureVector> vectors = ReplayAll(*log);
  fmt::print("step check of {} ({} rows, {} fraud)\n", data_path, log->size(), log->FraudCount());
  core::Status status = StepInformation(*log, vectors);
  if (status.ok()) status = SignalBeyondTheStep(*log, vectors);
  if (status.ok()) status = ReferenceLevels(*log, vectors);
  if (!status.ok()) {
    fmt::print(stderr, "netfin eval fraud: {}\n", status.ToString());
    return 1;
  }
  return 0;
}

}  // namespace netfin::cli
