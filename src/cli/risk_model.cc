// `netfin train fraud` and `netfin eval fraud`: the fraud model trained on a
// PaySim log replayed through the streaming feature engine (risk/paysim.h,
// risk/fraud_model.h), and its ROC AUC, AUPRC and recall at 1% false
// positive rate on the held-out part of the same split or on another file.
//
// Files: train writes the model (XGBoost's JSON) at --out, its feature
// sidecar `<out>.features.json` (ml/model_files.h), and the training record
// (cli/model_training.h) with the feature set. eval rebuilds the held-out
// part from it; a file with other bytes is evaluated whole.
//
// Both replay the whole file, in step order, through one FeatureEngine: a
// row's features are what the engine knew when that payment arrived, as
// online. The split is by row (stratified by label), not by step.

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/model_training.h"
#include "cli/risk_cli.h"
#include "core/assert.h"
#include "core/clock.h"
#include "ml/csv_reader.h"
#include "ml/ml.h"
#include "ml/model_files.h"
#include "risk/default_rules.h"
#include "risk/fraud_model.h"
#include "risk/paysim.h"

namespace netfin::cli {
namespace {

using risk::FraudFeatureSet;

// The false positive rate at which recall is reported (issue 4).
constexpr double kReportFpr = 0.01;
// The default rules' model thresholds (src/risk/default_rules.toml).
constexpr float kChallengeScore = static_cast<float>(risk::kDefaultModelChallengeScore);
constexpr float kDenyScore = static_cast<float>(risk::kDefaultModelDenyScore);

// The fraud model's training record (cli/model_training.h).
const RecordSchema& FraudRecord() {
  static const RecordSchema kSchema{
      .format = "netfin-fraud-training", .texts = {"feature_set"}, .lists = {}, .counts = {"fraud_rows"}};
  return kSchema;
}

// A PaySim file read and replayed: its checksum, the log, and the matrix of
// the feature set.
struct Replayed {
  std::string blake2b;
  risk::PaysimLog log;
  ml::Dataset data;
  double replay_seconds = 0;
};

core::Result<Replayed> ReadAndReplay(const std::string& path, FraudFeatureSet set) {
  core::Result<DataFile> file = ReadDataFile(path);
  if (!file.ok()) return file.status();
  Replayed r;
  r.blake2b = file->blake2b;
  core::Result<risk::PaysimLog> log = risk::ParsePaysim(std::move(file->text), path);
  if (!log.ok()) return log.status();
  r.log = std::move(log).value();
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<ml::Dataset> data = risk::ReplayForTraining(r.log.events, r.log.labels, set);
  if (!data.ok()) return data.status();
  r.replay_seconds = SecondsSince(start_ns);
  r.data = std::move(data).value();
  return r;
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

void PrintTrainText(const TrainFraudOptions& o, const Replayed& r, FraudFeatureSet set,
                    const ml::SplitIndices& split, double train_seconds) {
  const size_t fraud = r.log.FraudCount();
  const auto [min_step, max_step] = std::minmax_element(r.log.steps.begin(), r.log.steps.end());
  fmt::print(
      "{}: {} rows, {} fraud ({:.2f}%), steps {}..{}; replayed through the feature engine "
      "in {:.2f} s\n",
      o.data_path, r.log.size(), fraud, 100.0 * fraud / r.log.size(), *min_step, *max_step,
      r.replay_seconds);
  fmt::print("feature set {}: {} of the engine's {} features: {}\n", risk::FraudFeatureSetName(set),
             r.data.FeatureCount(), risk::kFeatureCount, Join(r.data.feature_names));
  fmt::print(
      "  (the step orders the replay and places it in windows, and is never a feature; "
      "docs/risk.md says why each other feature is left out)\n");
  fmt::print(
      "split (seed {}, {:.0f}% held out, stratified by label, not by step): {} training "
      "rows, {} held out\n",
      o.seed, o.test_fraction * 100, split.train.size(), split.test.size());
  fmt::print("trained {} trees of depth {} (eta {}) on {} thread{} in {:.2f} s\n", o.rounds,
             o.max_depth, o.eta, o.threads, o.threads == 1 ? "" : "s", train_seconds);
  fmt::print("saved {} (and {}, {}); evaluate with: netfin eval fraud --model {}\n", o.out_path,
             ml::SidecarPath(o.out_path), TrainingRecordPath(o.out_path), o.out_path);
}

void PrintTrainJson(const TrainFraudOptions& o, const Replayed& r, FraudFeatureSet set,
                    const ml::SplitIndices& split, double train_seconds) {
  fmt::print(
      "{{\"model\":{},\"feature_set\":\"{}\",\"features\":{},\"rows\":{},\"fraud\":{},"
      "\"train_rows\":{},\"test_rows\":{},\"seed\":{},\"test_fraction\":{},\"rounds\":{},"
      "\"max_depth\":{},\"eta\":{},\"threads\":{},\"replay_seconds\":{:.3f},"
      "\"train_seconds\":{:.3f}}}\n",
      JsonQuoted(o.out_path), risk::FraudFeatureSetName(set), r.data.FeatureCount(), r.log.size(),
      r.log.FraudCount(), split.train.size(), split.test.size(), o.seed, o.test_fraction, o.rounds,
      o.max_depth, o.eta, o.threads, r.replay_seconds, train_seconds);
}

// What eval measured.
struct EvalFigures {
  size_t rows = 0;
  size_t fraud = 0;
  double roc_auc = 0;
  double auprc = 0;
  double recall_at_fpr = 0;
  // Shares of fraud and genuine rows at or above the default rules' model
  // thresholds.
  double challenge_recall = 0;
  double challenge_fpr = 0;
  double deny_recall = 0;
  double deny_fpr = 0;
};

// The shares of fraud (recall) and genuine (false positive rate) rows
// scored at or above the threshold.
std::pair<double, double> RatesAt(std::span<const float> scores, std::span<const uint8_t> labels,
                                  float threshold) {
  size_t fraud = 0, fraud_flagged = 0, genuine = 0, genuine_flagged = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool flagged = scores[i] >= threshold;
    if (labels[i] != 0) {
      ++fraud;
      fraud_flagged += flagged;
    } else {
      ++genuine;
      genuine_flagged += flagged;
    }
  }
  return {fraud == 0 ? 0.0 : static_cast<double>(fraud_flagged) / fraud,
          genuine == 0 ? 0.0 : static_cast<double>(genuine_flagged) / genuine};
}

core::Result<EvalFigures> Measure(std::span<const float> scores, std::span<const uint8_t> labels) {
  EvalFigures f;
  f.rows = labels.size();
  f.fraud = static_cast<size_t>(std::count(labels.begin(), labels.end(), uint8_t{1}));
  core::Result<double> auc = ml::RocAuc(scores, labels);
  if (!auc.ok()) return auc.status();
  core::Result<double> ap = ml::AveragePrecision(scores, labels);
  if (!ap.ok()) return ap.status();
  core::Result<double> recall = ml::RecallAtFpr(scores, labels, kReportFpr);
  if (!recall.ok()) return recall.status();
  f.roc_auc = *auc;
  f.auprc = *ap;
  f.recall_at_fpr = *recall;
  std::tie(f.challenge_recall, f.challenge_fpr) = RatesAt(scores, labels, kChallengeScore);
  std::tie(f.deny_recall, f.deny_fpr) = RatesAt(scores, labels, kDenyScore);
  return f;
}

core::Result<risk::FraudModel> LoadExpected(const std::string& path, ExpectedFeatureSet expected) {
  switch (expected) {
    case ExpectedFeatureSet::kModels:
      return risk::FraudModel::Load(path);
    case ExpectedFeatureSet::kBalance:
      return risk::FraudModel::Load(path, FraudFeatureSet::kWithBalance);
    case ExpectedFeatureSet::kNoBalance:
      return risk::FraudModel::Load(path, FraudFeatureSet::kWithoutBalance);
  }
  NETFIN_ASSERT(false);
}

void PrintEvalText(const EvalFraudOptions& o, const std::string& data_path, bool held_out,
                   const risk::FraudModel& model, const EvalFigures& f) {
  fmt::print("model {} (feature set {}, {} features)\n", o.model_path,
             risk::FraudFeatureSetName(model.feature_set()), model.gbm().FeatureCount());
  fmt::print("{} of {}: {} rows, {} fraud ({:.2f}%)\n", held_out ? "held-out part" : "whole file",
             data_path, f.rows, f.fraud, 100.0 * f.fraud / f.rows);
  fmt::print("ROC AUC              {:.4f}\n", f.roc_auc);
  fmt::print(
      "AUPRC                {:.4f}   (the sample is fraud-enriched: compare AUC, not this)\n",
      f.auprc);
  fmt::print("recall at 1% FPR     {:.4f}\n", f.recall_at_fpr);
  fmt::print(
      "score >= {} (challenge): {:.2f}% of fraud, {:.3f}% of genuine; >= {} (deny): "
      "{:.2f}% of fraud, {:.3f}% of genuine\n",
      kChallengeScore, 100 * f.challenge_recall, 100 * f.challenge_fpr, kDenyScore,
      100 * f.deny_recall, 100 * f.deny_fpr);
}

void PrintEvalJson(const EvalFraudOptions& o, const std::string& data_path, bool held_out,
                   const risk::FraudModel& model, const EvalFigures& f) {
  fmt::print(
      "{{\"model\":{},\"data\":{},\"part\":\"{}\",\"feature_set\":\"{}\",\"features\":{},"
      "\"rows\":{},\"fraud\":{},\"roc_auc\":{:.6f},\"auprc\":{:.6f},"
      "\"recall_at_1pct_fpr\":{:.6f},\"challenge_recall\":{:.6f},\"challenge_fpr\":{:.6f},"
      "\"deny_recall\":{:.6f},\"deny_fpr\":{:.6f}}}\n",
      JsonQuoted(o.model_path), JsonQuoted(data_path), held_out ? "held_out" : "whole_file",
      risk::FraudFeatureSetName(model.feature_set()), model.gbm().FeatureCount(), f.rows, f.fraud,
      f.roc_auc, f.auprc, f.recall_at_fpr, f.challenge_recall, f.challenge_fpr, f.deny_recall,
      f.deny_fpr);
}

// The rows eval scores: the held-out part when the file is the one trained
// on (same bytes), else every row.
core::Result<std::vector<size_t>> EvalRows(const std::optional<TrainingRecord>& record,
                                           const Replayed& r, bool* held_out) {
  *held_out = record.has_value() && record->data_blake2b == r.blake2b;
  if (!*held_out) {
    std::vector<size_t> all(r.data.row_count);
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
  core::Result<ml::SplitIndices> split =
      ml::StratifiedSplit(r.data.labels, record->test_fraction, record->seed);
  if (!split.ok()) return split.status();
  if (split->test.size() != record->test_rows || r.data.row_count != record->rows) {
    return core::Corruption("the training record's split does not match the data file");
  }
  return std::move(split->test);
}

}  // namespace

int RunTrainFraud(const TrainFraudOptions& o) {
  constexpr const char* kCommand = "train fraud";
  const FraudFeatureSet set =
      o.no_balance ? FraudFeatureSet::kWithoutBalance : FraudFeatureSet::kWithBalance;
  core::Result<Replayed> replayed = ReadAndReplay(o.data_path, set);
  if (!replayed.ok()) return FailCommand(kCommand, replayed.status());
  const Replayed& r = *replayed;
  core::Result<ml::SplitIndices> split =
      ml::StratifiedSplit(r.data.labels, o.test_fraction, o.seed);
  if (!split.ok()) return FailCommand(kCommand, split.status());
  const ml::TrainParams params = o.Params();
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<risk::FraudModel> model = risk::FraudModel::Train(r.data, split->train, params, set);
  if (!model.ok()) return FailCommand(kCommand, model.status());
  const double train_seconds = SecondsSince(start_ns);
  const core::Status saved = model->Save(o.out_path);
  if (!saved.ok()) return FailCommand(kCommand, saved);
  const TrainingRecord record{
      .data_path = AbsolutePath(o.data_path),
      .data_blake2b = r.blake2b,
      .seed = o.seed,
      .test_fraction = o.test_fraction,
      .rows = r.log.size(),
      .train_rows = split->train.size(),
      .test_rows = split->test.size(),
      .texts = {{"feature_set", std::string(risk::FraudFeatureSetName(set))}},
      .lists = {},
      .counts = {{"fraud_rows", r.log.FraudCount()}}};
  const core::Status recorded = WriteTrainingRecord(o.out_path, FraudRecord(), record);
  if (!recorded.ok()) return FailCommand(kCommand, recorded);
  if (o.json) {
    PrintTrainJson(o, r, set, *split, train_seconds);
  } else {
    PrintTrainText(o, r, set, *split, train_seconds);
  }
  return 0;
}

int RunEvalFraud(const EvalFraudOptions& o) {
  constexpr const char* kCommand = "eval fraud";
  if (o.step_check && !o.data_path.empty()) return RunStepCheck(o.data_path);
  if (o.step_check) {
    core::Result<TrainingRecord> record = ReadTrainingRecord(o.model_path, FraudRecord());
    if (!record.ok()) return FailCommand(kCommand, record.status());
    return RunStepCheck(record->data_path);
  }
  core::Result<risk::FraudModel> model = LoadExpected(o.model_path, o.expected);
  if (!model.ok()) return FailCommand(kCommand, model.status());
  std::optional<TrainingRecord> record;
  core::Result<TrainingRecord> read = ReadTrainingRecord(o.model_path, FraudRecord());
  if (read.ok()) {
    record = std::move(read).value();
  } else if (o.data_path.empty() || read.status().code() != core::StatusCode::kIoError) {
    // Without --data the record names the file; a damaged record is an
    // error either way.
    return FailCommand(kCommand, read.status());
  }
  const std::string data_path = o.data_path.empty() ? record->data_path : o.data_path;
  core::Result<Replayed> replayed = ReadAndReplay(data_path, model->feature_set());
  if (!replayed.ok()) return FailCommand(kCommand, replayed.status());
  bool held_out = false;
  core::Result<std::vector<size_t>> rows = EvalRows(record, *replayed, &held_out);
  if (!rows.ok()) return FailCommand(kCommand, rows.status());
  core::Result<std::vector<float>> scores =
      model->gbm().PredictProbabilities(replayed->data, *rows);
  if (!scores.ok()) return FailCommand(kCommand, scores.status());
  const std::vector<uint8_t> labels = replayed->data.LabelsOf(*rows);
  core::Result<EvalFigures> figures = Measure(*scores, labels);
  if (!figures.ok()) return FailCommand(kCommand, figures.status());
  if (o.json) {
    PrintEvalJson(o, data_path, held_out, *model, *figures);
  } else {
    PrintEvalText(o, data_path, held_out, *model, *figures);
  }
  return 0;
}

}  // namespace netfin::cli
