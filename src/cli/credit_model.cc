// `netfin train credit` and `netfin eval credit`: the credit default model
// (XGBoost, through src/ml) trained on any CSV file with a header row, and its
// ROC AUC and KS on the held-out part of the same split or on another file.
//
// Files: train writes the model (XGBoost's JSON) at --out, its feature
// sidecar `<out>.features.json` (ml/model_files.h), and a training record
// `<out>.training.json`: the data file (absolute path and BLAKE2b of its
// bytes), label, positive value, excluded columns, split seed and fraction.
// eval reads the record to rebuild the very same split: the split depends
// only on the labels, the fraction and the seed (ml/split.h), and the
// checksum proves the labels are those trained on. A file with other bytes
// is evaluated whole.

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>
#include <filesystem>
#include <numeric>
#include <string>
#include <vector>

#include "cli/credit_cli.h"
#include "core/clock.h"
#include "credit/gbm_scorer.h"
#include "credit/grade.h"
#include "ml/csv_reader.h"
#include "ml/ml.h"
#include "ml/model_files.h"

namespace netfin::cli {
namespace {

constexpr const char* kRecordFormat = "netfin-credit-training";
constexpr int kRecordVersion = 1;
// A training record is a few hundred bytes; anything this large is not one.
constexpr size_t kRecordBytesMax = 1024 * 1024;

std::string TrainingRecordPath(const std::string& model_path) {
  return model_path + ".training.json";
}

// How a model was trained: enough to rebuild its train/test split.
struct TrainingRecord {
  std::string data_path;  // absolute
  std::string data_blake2b;
  std::string label;
  std::string positive;
  std::vector<std::string> exclude;
  uint64_t seed = 0;
  double test_fraction = 0;
  uint64_t rows = 0;
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
  const std::pair<const char*, const std::string*> strings[] = {{"data", &r.data_path},
                                                                {"data_blake2b", &r.data_blake2b},
                                                                {"label", &r.label},
                                                                {"positive", &r.positive}};
  for (const auto& [key, value] : strings) {
    w.Key(key);
    w.String(value->c_str(), static_cast<rapidjson::SizeType>(value->size()));
  }
  w.Key("exclude");
  w.StartArray();
  for (const std::string& e : r.exclude)
    w.String(e.c_str(), static_cast<rapidjson::SizeType>(e.size()));
  w.EndArray();
  w.Key("seed");
  w.Uint64(r.seed);
  w.Key("test_fraction");
  w.Double(r.test_fraction);
  w.Key("rows");
  w.Uint64(r.rows);
  w.Key("train_rows");
  w.Uint64(r.train_rows);
  w.Key("test_rows");
  w.Uint64(r.test_rows);
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
  const std::pair<const char*, std::string*> strings[] = {{"data", &r.data_path},
                                                          {"data_blake2b", &r.data_blake2b},
                                                          {"label", &r.label},
                                                          {"positive", &r.positive}};
  for (const auto& [key, value] : strings) {
    if (!d.HasMember(key) || !d[key].IsString()) return bad(fmt::format("no text field '{}'", key));
    *value = d[key].GetString();
  }
  const std::pair<const char*, uint64_t*> numbers[] = {{"seed", &r.seed},
                                                       {"rows", &r.rows},
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
  if (!d.HasMember("exclude") || !d["exclude"].IsArray()) return bad("no list field 'exclude'");
  for (const auto& e : d["exclude"].GetArray()) {
    if (!e.IsString()) return bad("'exclude' holds a non-text");
    r.exclude.emplace_back(e.GetString());
  }
  return r;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

// The CSV file's bytes and their checksum.
struct DataFile {
  std::string text;
  std::string blake2b;
};

core::Result<DataFile> ReadDataFile(const std::string& path) {
  core::Result<std::string> text = ml::ReadWholeFile(path, ml::kCsvBytesMax);
  if (!text.ok()) return text.status();
  DataFile file;
  file.blake2b = ml::ChecksumHex(*text);
  file.text = std::move(text).value();
  return file;
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

size_t Positives(std::span<const uint8_t> labels) {
  size_t n = 0;
  for (const uint8_t l : labels) n += l;
  return n;
}

int Fail(const char* command, const core::Status& status) {
  fmt::print(stderr, "netfin {}: {}\n", command, status.ToString());
  return 1;
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
  if (!file.ok()) return Fail(kCommand, file.status());
  const std::string checksum = file->blake2b;
  core::Result<ml::Dataset> data =
      ml::ParseCsv(std::move(file->text), o.label, o.positive, {.exclude = o.exclude});
  if (!data.ok())
    return Fail(kCommand, core::InvalidArgument(o.data_path + ": " + data.status().message()));
  core::Result<ml::SplitIndices> split = ml::StratifiedSplit(data->labels, o.test_fraction, o.seed);
  if (!split.ok()) return Fail(kCommand, split.status());
  const ml::TrainParams params{.rounds = o.rounds,
                               .max_depth = o.max_depth,
                               .eta = o.eta,
                               .subsample = 0.8,
                               .colsample = 0.8,
                               .nthread = o.threads,
                               .seed = o.seed};
  const uint64_t start_ns = core::MonotonicNowNs();
  core::Result<ml::GbmModel> model = ml::GbmModel::Train(*data, split->train, params);
  if (!model.ok()) return Fail(kCommand, model.status());
  const double train_seconds = Seconds(start_ns);
  const core::Status saved = model->Save(o.out_path);
  if (!saved.ok()) return Fail(kCommand, saved);
  const TrainingRecord record{.data_path = AbsolutePath(o.data_path),
                              .data_blake2b = checksum,
                              .label = o.label,
                              .positive = o.positive,
                              .exclude = o.exclude,
                              .seed = o.seed,
                              .test_fraction = o.test_fraction,
                              .rows = data->row_count,
                              .train_rows = split->train.size(),
                              .test_rows = split->test.size()};
  const core::Status recorded =
      ml::WriteFileAtomically(TrainingRecordPath(o.out_path), EncodeRecord(record));
  if (!recorded.ok()) return Fail(kCommand, recorded);
  const size_t positives = Positives(data->labels);
  if (o.json) {
    fmt::print(
        "{{\"model\":{},\"rows\":{},\"positives\":{},\"columns\":{},\"features\":{},"
        "\"train_rows\":{},\"test_rows\":{},\"seed\":{},\"test_fraction\":{},\"rounds\":{},"
        "\"max_depth\":{},\"eta\":{},\"threads\":{},\"train_seconds\":{:.3f}}}\n",
        Quoted(o.out_path), data->row_count, positives, data->encoding.columns.size(),
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
    core::Result<std::string> text = ml::ReadWholeFile(record_path, kRecordBytesMax);
    if (!text.ok()) return text.status();
    core::Result<TrainingRecord> record = DecodeRecord(record_path, *text);
    if (!record.ok()) return record.status();
    plan.record = std::move(record).value();
  } else if (o.data_path.empty()) {
    return core::InvalidArgument(record_path + " is missing: give --data, --label and --positive");
  }
  plan.data_path = o.data_path.empty() ? plan.record.data_path : o.data_path;
  plan.label = o.label.empty() ? plan.record.label : o.label;
  plan.positive = o.positive.empty() ? plan.record.positive : o.positive;
  if (plan.label.empty() || plan.positive.empty()) {
    return core::InvalidArgument("give --label and --positive");
  }
  core::Result<DataFile> file = ReadDataFile(plan.data_path);
  if (!file.ok()) return file.status();
  plan.file = std::move(file).value();
  plan.held_out = has_record && plan.file.blake2b == plan.record.data_blake2b &&
                  plan.label == plan.record.label && plan.positive == plan.record.positive;
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
        Quoted(o.model_path), Quoted(plan.data_path), plan.held_out ? "held_out" : "whole_file",
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
  if (!plan.ok()) return Fail(kCommand, plan.status());
  core::Result<std::string> sidecar_text =
      ml::ReadWholeFile(ml::SidecarPath(o.model_path), ml::kSidecarBytesMax);
  if (!sidecar_text.ok()) return Fail(kCommand, sidecar_text.status());
  core::Result<ml::ModelSidecar> sidecar = ml::DecodeSidecar(*sidecar_text);
  if (!sidecar.ok()) return Fail(kCommand, sidecar.status());
  if (sidecar->encoding.columns.empty()) {
    return Fail(kCommand, core::InvalidArgument(o.model_path + " was not trained on a CSV file"));
  }
  core::Result<ml::GbmModel> model = ml::GbmModel::Load(o.model_path, sidecar->feature_names);
  if (!model.ok()) return Fail(kCommand, model.status());
  // The model's own encoding: the same columns and categories as in training.
  core::Result<ml::Dataset> data = ml::ParseCsv(std::move(plan->file.text), plan->label,
                                                plan->positive, {.encoding = sidecar->encoding});
  if (!data.ok())
    return Fail(kCommand, core::InvalidArgument(plan->data_path + ": " + data.status().message()));
  std::vector<size_t> rows(data->row_count);
  std::iota(rows.begin(), rows.end(), size_t{0});
  if (plan->held_out) {
    core::Result<ml::SplitIndices> split =
        ml::StratifiedSplit(data->labels, plan->record.test_fraction, plan->record.seed);
    if (!split.ok()) return Fail(kCommand, split.status());
    if (split->test.size() != plan->record.test_rows) {
      return Fail(kCommand, core::Internal("the rebuilt split differs from the training run's"));
    }
    rows = std::move(split->test);
  }
  core::Result<std::vector<float>> scores = model->PredictProbabilities(*data, rows);
  if (!scores.ok()) return Fail(kCommand, scores.status());
  const std::vector<uint8_t> labels = data->LabelsOf(rows);
  core::Result<double> auc = ml::RocAuc(*scores, labels);
  core::Result<double> ks = ml::Ks(*scores, labels);
  core::Result<double> ap = ml::AveragePrecision(*scores, labels);
  if (!auc.ok()) return Fail(kCommand, auc.status());
  if (!ks.ok()) return Fail(kCommand, ks.status());
  if (!ap.ok()) return Fail(kCommand, ap.status());
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
