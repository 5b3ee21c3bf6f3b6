// `netfin train credit` and `netfin eval credit`: the credit default model
// (XGBoost, through src/ml) trained on any CSV file with a header row, and its
// ROC AUC and KS on the held-out part of the same split or on another file.
//
// Files: train writes the model (XGBoost's JSON) at --out, its feature
// sidecar `<out>.features.json` (ml/model_files.h), and the training record
// (cli/model_training.h) with the label, positive value and excluded
// columns. eval rebuilds the held-out part from it; a file with other bytes
// is evaluated whole.

#include <fmt/format.h>

#include <array>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "core/files.h"
#include "cli/credit_cli.h"
#include "cli/model_training.h"
#include "core/clock.h"
#include "credit/gbm_scorer.h"
#include "credit/grade.h"
#include "ml/csv_reader.h"
#include "ml/ml.h"
#include "ml/model_files.h"

namespace netfin::cli {
namespace {

// The credit model's training record (cli/model_training.h).
const RecordSchema& CreditRecord() {
  static const RecordSchema kSchema{
      .format = "netfin-credit-training", .texts = {"label", "positive"}, .lists = {"exclude"}, .counts = {}};
  return kSchema;
}

size_t Positives(std::span<const uint8_t> labels) {
  size_t n = 0;
  for (const uint8_t l : labels) n += l;
  return n;
}

std::string ColumnSummary(const ml::Encoding& encoding) {
  size_t numeric = 0;
  std::string categorical;
  for (const ml::ColumnEncoding& c : encoding.columns) {
    if (c.kind == ml::ColumnKind::kNumeric) {
      ++numeric;
      continue;
    }
    categorical += fmt::format("{}{} ({} categories + other)", categorical.empty() ? "" : ", ",
                               c.name, c.categories.size());
  }
  return fmt::format("{} numeric, {} categorical{}{}", numeric, encoding.columns.size() - numeric,
                     categorical.empty() ? "" : ": ", categorical);
}

}  // namespace

int RunTrainCredit(const TrainCreditOptions& o) {
  constexpr const char* kCommand = "train credit";
  core::Result<DataFile> file = ReadDataFile(o.data_path);
  if (!file.ok()) return FailCommand(kCommand, file.status());
  const std::string checksum = file->blake2b;
  core::Result<ml::Dataset> data =
      ml::ParseCsv(std::move(file->text), o.label, o.positive, {.exclude = o.exclude});
  if (!data.ok())
    return FailCommand(kCommand, core::InvalidArgument(o.data_path + ": " + data.status().message()));
  core::Result<ml::SplitIndices> split = ml::StratifiedSplit(data->labels, o.test_fraction, o.seed);
  if (!split.ok()) return FailCommand(kCommand, split.status());
  ml::TrainParams params = o.Params();
  params.subsample = 0.8;
  params.colsample = 0.8;
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(*data, split->train, params);
  if (!model.ok()) return FailCommand(kCommand, model.status());
  const double train_seconds = SecondsSince(start_ns);
  const core::Status saved = model->Save(o.out_path);
  if (!saved.ok()) return FailCommand(kCommand, saved);
  const TrainingRecord record{.data_path = AbsolutePath(o.data_path),
                              .data_blake2b = checksum,
                              .seed = o.seed,
                              .test_fraction = o.test_fraction,
                              .rows = data->row_count,
                              .train_rows = split->train.size(),
                              .test_rows = split->test.size(),
                              .texts = {{"label", o.label}, {"positive", o.positive}},
                              .lists = {{"exclude", o.exclude}},
                              .counts = {}};
  const core::Status recorded = WriteTrainingRecord(o.out_path, CreditRecord(), record);
  if (!recorded.ok()) return FailCommand(kCommand, recorded);
  const size_t positives = Positives(data->labels);
  if (o.json) {
    fmt::print(
        "{{\"model\":{},\"rows\":{},\"positives\":{},\"columns\":{},\"features\":{},"
        "\"train_rows\":{},\"test_rows\":{},\"seed\":{},\"test_fraction\":{},\"rounds\":{},"
        "\"max_depth\":{},\"eta\":{},\"threads\":{},\"train_seconds\":{:.3f}}}\n",
        JsonQuoted(o.out_path), data->row_count, positives, data->encoding.columns.size(),
        data->FeatureCount(), split->train.size(), split->test.size(), o.seed, o.test_fraction,
        o.rounds, o.max_depth, o.eta, o.threads, train_seconds);
    return 0;
  }
  fmt::print(
      "{}: {} rows; {} columns used ({}), {} features; label {} = {}: {} positives ({:.2f}%)\n",
      o.data_path, data->row_count, data->encoding.columns.size(), ColumnSummary(data->encoding),
      data->FeatureCount(), o.label, o.positive, positives, 100.0 * positives / data->row_count);
  fmt::print("split (seed {}, {:.0f}% held out, stratified): {} training rows, {} held out\n",
             o.seed, o.test_fraction * 100, split->train.size(), split->test.size());
  fmt::print("trained {} trees of depth {} (eta {}) on {} thread{} in {:.2f} s\n", o.rounds,
             o.max_depth, o.eta, o.threads, o.threads == 1 ? "" : "s", train_seconds);
  fmt::print("saved {} (and {}, {}); evaluate with: netfin eval credit --model {}\n", o.out_path,
             ml::SidecarPath(o.out_path), TrainingRecordPath(o.out_path), o.out_path);
  return 0;
}

namespace {

// What eval measures on, resolved from the options and the training record.
struct EvalPlan {
  std::string data_path;
  std::string label;
  std::string positive;
  bool held_out = false;  // the training file: its held-out part
  TrainingRecord record;
  DataFile file;
};

core::Result<EvalPlan> PlanEval(const EvalCreditOptions& o) {
  EvalPlan plan;
  const std::string record_path = TrainingRecordPath(o.model_path);
  const bool has_record = std::filesystem::exists(record_path);
  if (has_record) {
    core::Result<TrainingRecord> record = ReadTrainingRecord(o.model_path, CreditRecord());
    if (!record.ok()) return record.status();
    plan.record = std::move(record).value();
  } else if (o.data_path.empty()) {
    return core::InvalidArgument(record_path + " is missing: give --data, --label and --positive");
  }
  const std::string& trained_label = plan.record.texts["label"];
  const std::string& trained_positive = plan.record.texts["positive"];
  plan.data_path = o.data_path.empty() ? plan.record.data_path : o.data_path;
  plan.label = o.label.empty() ? trained_label : o.label;
  plan.positive = o.positive.empty() ? trained_positive : o.positive;
  if (plan.label.empty() || plan.positive.empty()) {
    return core::InvalidArgument("give --label and --positive");
  }
  core::Result<DataFile> file = ReadDataFile(plan.data_path);
  if (!file.ok()) return file.status();
  plan.file = std::move(file).value();
  plan.held_out = has_record && plan.file.blake2b == plan.record.data_blake2b &&
                  plan.label == trained_label && plan.positive == trained_positive;
  if (o.data_path.empty() && !plan.held_out) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        plan.data_path +
                            " changed since training (its checksum differs), so its "
                            "held-out part cannot be rebuilt; give --data");
  }
  return plan;
}

struct GradeTally {
  std::array<uint64_t, 5> rows{};
  std::array<uint64_t, 5> defaults{};
};

GradeTally TallyGrades(std::span<const float> probabilities, std::span<const uint8_t> labels) {
  const credit::GradePolicy grades;
  GradeTally tally;
  for (size_t k = 0; k < probabilities.size(); ++k) {
    const credit::Grade g =
        credit::GradeForScore(credit::ScoreFromDefaultProbability(probabilities[k]), grades);
    ++tally.rows[static_cast<size_t>(g) - 1];
    tally.defaults[static_cast<size_t>(g) - 1] += labels[k];
  }
  return tally;
}

struct EvalFigures {
  size_t rows = 0;
  size_t positives = 0;
  double auc = 0;
  double ks = 0;
  double average_precision = 0;
  GradeTally grades;
};

void PrintEval(const EvalCreditOptions& o, const EvalPlan& plan, const EvalFigures& f) {
  constexpr const char* kGrades[] = {"A", "B", "C", "D", "E"};
  if (o.json) {
    std::string grades;
    for (size_t g = 0; g < 5; ++g) {
      grades += fmt::format("{}\"{}\":{{\"rows\":{},\"defaults\":{}}}", g == 0 ? "" : ",",
                            kGrades[g], f.grades.rows[g], f.grades.defaults[g]);
    }
    fmt::print(
        "{{\"model\":{},\"data\":{},\"part\":\"{}\",\"seed\":{},\"test_fraction\":{},"
        "\"rows\":{},\"positives\":{},\"roc_auc\":{:.4f},\"ks\":{:.4f},"
        "\"average_precision\":{:.4f},\"grades\":{{{}}}}}\n",
        JsonQuoted(o.model_path), JsonQuoted(plan.data_path), plan.held_out ? "held_out" : "whole_file",
        plan.record.seed, plan.record.test_fraction, f.rows, f.positives, f.auc, f.ks,
        f.average_precision, grades);
    return;
  }
  const std::string part =
      plan.held_out ? fmt::format("the held-out part ({:.0f}%, seed {}) of {}",
                                  plan.record.test_fraction * 100, plan.record.seed, plan.data_path)
                    : fmt::format("all of {}", plan.data_path);
  fmt::print("{} on {}: {} rows, {} positives ({:.2f}%)\n", o.model_path, part, f.rows, f.positives,
             100.0 * f.positives / f.rows);
  fmt::print("ROC AUC {:.4f}   KS {:.4f}   average precision {:.4f}\n", f.auc, f.ks,
             f.average_precision);
  fmt::print("grade (default bands; score = 1000 x (1 - P(default))):\n");
  for (size_t g = 0; g < 5; ++g) {
    const uint64_t n = f.grades.rows[g];
    fmt::print("  {}  {:>7} rows ({:5.1f}%)  default rate {:5.1f}%\n", kGrades[g], n,
               100.0 * n / f.rows, n == 0 ? 0.0 : 100.0 * f.grades.defaults[g] / n);
  }
}

}  // namespace

int RunEvalCredit(const EvalCreditOptions& o) {
  constexpr const char* kCommand = "eval credit";
  core::Result<EvalPlan> plan = PlanEval(o);
  if (!plan.ok()) return FailCommand(kCommand, plan.status());
  core::Result<std::string> sidecar_text =
      core::ReadWholeFile(ml::SidecarPath(o.model_path), ml::kSidecarBytesMax);
  if (!sidecar_text.ok()) return FailCommand(kCommand, sidecar_text.status());
  core::Result<ml::ModelSidecar> sidecar = ml::DecodeSidecar(*sidecar_text);
  if (!sidecar.ok()) return FailCommand(kCommand, sidecar.status());
  if (sidecar->encoding.columns.empty()) {
    return FailCommand(kCommand, core::InvalidArgument(o.model_path + " was not trained on a CSV file"));
  }
  core::Result<ml::GbmModel> model = ml::GbmModel::Load(o.model_path, sidecar->feature_names);
  if (!model.ok()) return FailCommand(kCommand, model.status());
  // The model's own encoding: the same columns and categories as in training.
  core::Result<ml::Dataset> data = ml::ParseCsv(std::move(plan->file.text), plan->label,
                                                plan->positive, {.encoding = sidecar->encoding});
  if (!data.ok())
    return FailCommand(kCommand, core::InvalidArgument(plan->data_path + ": " + data.status().message()));
  std::vector<size_t> rows(data->row_count);
  std::iota(rows.begin(), rows.end(), size_t{0});
  if (plan->held_out) {
    core::Result<ml::SplitIndices> split =
        ml::StratifiedSplit(data->labels, plan->record.test_fraction, plan->record.seed);
    if (!split.ok()) return FailCommand(kCommand, split.status());
    if (split->test.size() != plan->record.test_rows) {
      return FailCommand(kCommand, core::Internal("the rebuilt split differs from the training run's"));
    }
    rows = std::move(split->test);
  }
  core::Result<std::vector<float>> scores = model->PredictProbabilities(*data, rows);
  if (!scores.ok()) return FailCommand(kCommand, scores.status());
  const std::vector<uint8_t> labels = data->LabelsOf(rows);
  core::Result<double> auc = ml::RocAuc(*scores, labels);
  core::Result<double> ks = ml::Ks(*scores, labels);
  core::Result<double> ap = ml::AveragePrecision(*scores, labels);
  if (!auc.ok()) return FailCommand(kCommand, auc.status());
  if (!ks.ok()) return FailCommand(kCommand, ks.status());
  if (!ap.ok()) return FailCommand(kCommand, ap.status());
  const EvalFigures figures{.rows = rows.size(),
                            .positives = Positives(labels),
                            .auc = *auc,
                            .ks = *ks,
                            .average_precision = *ap,
                            .grades = TallyGrades(*scores, labels)};
  PrintEval(o, *plan, figures);
  return 0;
}

}  // namespace netfin::cli
