// `netfin train fraud` and `netfin eval fraud`: the fraud model trained on a
// PaySim log replayed through the streaming feature engine (risk/paysim.h,
// risk/fraud_model.h), and its ROC AUC, AUPRC and recall at 1% false
// positive rate on the held-out part of the same split or on another file.
//
// Files: train writes the model (XGBoost's JSON) at --out, its feature
// sidecar `<out>.features.json` (ml/model_files.h), and a training record
// `<out>.training.json`: the data file (absolute path and BLAKE2b of its
// bytes), the feature set, split seed and fraction. eval reads the record to
// rebuild the very same split: the split depends only on the labels, the
// fraction and the seed (ml/split.h), and the checksum proves the labels are
// those trained on. A file with other bytes is evaluated whole.
//
// Both replay the whole file, in step order, through one FeatureEngine: a
// row's features are what the engine knew when that payment arrived, as
// online. The split is by row (stratified by label), not by step.

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "cli/risk_cli.h"
#include "core/assert.h"
#include "core/clock.h"
#include "ml/csv_reader.h"
#include "ml/ml.h"
#include "ml/model_files.h"
#include "risk/fraud_model.h"
#include "risk/paysim.h"

namespace netfin::cli {
namespace {

using risk::FraudFeatureSet;

constexpr const char* kRecordFormat = "netfin-fraud-training";
constexpr int kRecordVersion = 1;
// A training record is a few hundred bytes; anything this large is not one.
constexpr size_t kRecordBytesMax = 1024 * 1024;
// The false positive rate at which recall is reported (issue 4).
constexpr double kReportFpr = 0.01;
// The default rules' model thresholds (src/risk/default_rules.toml).
constexpr float kChallengeScore = 0.5f;
constexpr float kDenyScore = 0.9f;

std::string TrainingRecordPath(const std::string& model_path) {
  return model_path + ".training.json";
}

// How a model was trained: enough to rebuild its train/test split.
struct TrainingRecord {
  std::string data_path;  // absolute
  std::string data_blake2b;
  std::string feature_set;
  uint64_t seed = 0;
  double test_fraction = 0;
  uint64_t rows = 0;
  uint64_t fraud_rows = 0;
  uint64_t train_rows = 0;
  uint64_t test_rows = 0;
};

std::string EncodeRecord(const TrainingRecord& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("format");
  w.String(kRecordFormat);
  w.Key("version");
  w.Int(kRecordVersion);
  const std::pair<const char*, const std::string*> strings[] = {
      {"data", &r.data_path}, {"data_blake2b", &r.data_blake2b}, {"feature_set", &r.feature_set}};
  for (const auto& [key, value] : strings) {
    w.Key(key);
    w.String(value->c_str(), static_cast<rapidjson::SizeType>(value->size()));
  }
  w.Key("seed");
  w.Uint64(r.seed);
  w.Key("test_fraction");
  w.Double(r.test_fraction);
  const std::pair<const char*, uint64_t> numbers[] = {{"rows", r.rows},
                                                      {"fraud_rows", r.fraud_rows},
                                                      {"train_rows", r.train_rows},
                                                      {"test_rows", r.test_rows}};
  for (const auto& [key, value] : numbers) {
    w.Key(key);
    w.Uint64(value);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

core::Result<TrainingRecord> DecodeRecord(const std::string& path, const std::string& json) {
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  const auto bad = [&](const std::string& why) { return core::Corruption(path + ": " + why); };
  if (d.HasParseError() || !d.IsObject()) return bad("not a JSON object");
  if (!d.HasMember("format") || !d["format"].IsString() ||
      std::string(d["format"].GetString()) != kRecordFormat) {
    return bad(fmt::format("not a {} file", kRecordFormat));
  }
  if (!d.HasMember("version") || !d["version"].IsInt() || d["version"].GetInt() != kRecordVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        path + ": unknown version (this netfin reads version 1)");
  }
  TrainingRecord r;
  const std::pair<const char*, std::string*> strings[] = {
      {"data", &r.data_path}, {"data_blake2b", &r.data_blake2b}, {"feature_set", &r.feature_set}};
  for (const auto& [key, value] : strings) {
    if (!d.HasMember(key) || !d[key].IsString()) return bad(fmt::format("no text field '{}'", key));
    *value = d[key].GetString();
  }
  const std::pair<const char*, uint64_t*> numbers[] = {{"seed", &r.seed},
                                                       {"rows", &r.rows},
                                                       {"fraud_rows", &r.fraud_rows},
                                                       {"train_rows", &r.train_rows},
                                                       {"test_rows", &r.test_rows}};
  for (const auto& [key, value] : numbers) {
    if (!d.HasMember(key) || !d[key].IsUint64())
      return bad(fmt::format("no integer field '{}'", key));
    *value = d[key].GetUint64();
  }
  if (!d.HasMember("test_fraction") || !d["test_fraction"].IsNumber()) {
    return bad("no number field 'test_fraction'");
  }
  r.test_fraction = d["test_fraction"].GetDouble();
  return r;
}

core::Result<TrainingRecord> ReadRecord(const std::string& model_path) {
  const std::string path = TrainingRecordPath(model_path);
  core::Result<std::string> json = ml::ReadWholeFile(path, kRecordBytesMax);
  if (!json.ok()) return json.status();
  return DecodeRecord(path, *json);
}

std::string AbsolutePath(const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// A JSON string literal, quoted and escaped.
std::string Quoted(const std::string& text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.c_str(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

double Seconds(uint64_t start_ns) {
  return static_cast<double>(core::MonotonicNowNs() - start_ns) / 1e9;
}

int Fail(const char* command, const core::Status& status) {
  fmt::print(stderr, "netfin {}: {}\n", command, status.ToString());
  return 1;
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
  core::Result<std::string> text = ml::ReadWholeFile(path, ml::kCsvBytesMax);
  if (!text.ok()) return text.status();
  Replayed r;
  r.blake2b = ml::ChecksumHex(*text);
  core::Result<risk::PaysimLog> log = risk::ParsePaysim(std::move(text).value(), path);
  if (!log.ok()) return log.status();
  r.log = std::move(log).value();
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<ml::Dataset> data = risk::ReplayForTraining(r.log.events, r.log.labels, set);
  if (!data.ok()) return data.status();
  r.replay_seconds = Seconds(start_ns);
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
      Quoted(o.out_path), risk::FraudFeatureSetName(set), r.data.FeatureCount(), r.log.size(),
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
      Quoted(o.model_path), Quoted(data_path), held_out ? "held_out" : "whole_file",
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
  if (!replayed.ok()) return Fail(kCommand, replayed.status());
  const Replayed& r = *replayed;
  core::Result<ml::SplitIndices> split =
      ml::StratifiedSplit(r.data.labels, o.test_fraction, o.seed);
  if (!split.ok()) return Fail(kCommand, split.status());
  const ml::TrainParams params{.rounds = o.rounds,
                               .max_depth = o.max_depth,
                               .eta = o.eta,
                               .nthread = o.threads,
                               .seed = o.seed};
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<risk::FraudModel> model = risk::FraudModel::Train(r.data, split->train, params, set);
  if (!model.ok()) return Fail(kCommand, model.status());
  const double train_seconds = Seconds(start_ns);
  const core::Status saved = model->Save(o.out_path);
  if (!saved.ok()) return Fail(kCommand, saved);
  const TrainingRecord record{.data_path = AbsolutePath(o.data_path),
                              .data_blake2b = r.blake2b,
                              .feature_set = std::string(risk::FraudFeatureSetName(set)),
                              .seed = o.seed,
                              .test_fraction = o.test_fraction,
                              .rows = r.log.size(),
                              .fraud_rows = r.log.FraudCount(),
                              .train_rows = split->train.size(),
                              .test_rows = split->test.size()};
  const core::Status recorded =
      ml::WriteFileAtomically(TrainingRecordPath(o.out_path), EncodeRecord(record));
  if (!recorded.ok()) return Fail(kCommand, recorded);
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
    core::Result<TrainingRecord> record = ReadRecord(o.model_path);
    if (!record.ok()) return Fail(kCommand, record.status());
    return RunStepCheck(record->data_path);
  }
  core::Result<risk::FraudModel> model = LoadExpected(o.model_path, o.expected);
  if (!model.ok()) return Fail(kCommand, model.status());
  std::optional<TrainingRecord> record;
  core::Result<TrainingRecord> read = ReadRecord(o.model_path);
  if (read.ok()) {
    record = std::move(read).value();
  } else if (o.data_path.empty() || read.status().code() != core::StatusCode::kIoError) {
    // Without --data the record names the file; a damaged record is an
    // error either way.
    return Fail(kCommand, read.status());
  }
  const std::string data_path = o.data_path.empty() ? record->data_path : o.data_path;
  core::Result<Replayed> replayed = ReadAndReplay(data_path, model->feature_set());
  if (!replayed.ok()) return Fail(kCommand, replayed.status());
  bool held_out = false;
  core::Result<std::vector<size_t>> rows = EvalRows(record, *replayed, &held_out);
  if (!rows.ok()) return Fail(kCommand, rows.status());
  core::Result<std::vector<float>> scores =
      model->gbm().PredictProbabilities(replayed->data, *rows);
  if (!scores.ok()) return Fail(kCommand, scores.status());
  const std::vector<uint8_t> labels = replayed->data.LabelsOf(*rows);
  core::Result<EvalFigures> figures = Measure(*scores, labels);
  if (!figures.ok()) return Fail(kCommand, figures.status());
  if (o.json) {
    PrintEvalJson(o, data_path, held_out, *model, *figures);
  } else {
    PrintEvalText(o, data_path, held_out, *model, *figures);
  }
  return 0;
}

}  // namespace netfin::cli
