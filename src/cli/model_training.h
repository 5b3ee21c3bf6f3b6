#pragma once

// What `netfin train credit` and `netfin train fraud` (and their `eval`)
// share: the split and XGBoost's settings on the command line, the data
// file read with its checksum, and the training record beside the model.
//
// The record `<model>.training.json` holds the data file (absolute path and
// BLAKE2b of its bytes), the split's seed and fraction, the row counts and
// the role's own fields (credit: label, positive value, excluded columns;
// fraud: the feature set). eval reads it to rebuild the very same split: the
// split depends only on the labels, the fraction and the seed (ml/split.h),
// and the checksum proves the labels are those trained on.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/ml.h"

namespace netfin::cli {

// The options of every `netfin train` command but the data's. Each role's
// options derive from this and set their own defaults.
struct TrainSettings {
  std::string out_path;
  uint64_t seed = 42;
  double test_fraction = 0.3;
  // XGBoost's OpenMP threads spin while waiting for a descheduled team
  // member; on a loaded machine one thread is faster (ml/gbm_model.h).
  int threads = 1;
  int rounds = 200;
  int max_depth = 6;
  double eta = 0.1;
  bool json = false;

  // XGBoost's parameters for these settings (the rest at ml's defaults).
  ml::TrainParams Params() const {
    return ml::TrainParams{.rounds = rounds, .max_depth = max_depth, .eta = eta,
                           .nthread = threads, .seed = seed};
  }
};

// Adds --out, --seed, --test-fraction, --threads, --rounds, --max-depth,
// --eta and --json to cmd.
void AddTrainSettings(CLI::App& cmd, TrainSettings* settings);

// A data file's bytes and their checksum.
struct DataFile {
  std::string text;
  std::string blake2b;
};
core::Result<DataFile> ReadDataFile(const std::string& path);

// Which fields a role's record holds besides the common ones, by name.
struct RecordSchema {
  std::string_view format;  // the record's "format", e.g. "netfin-credit-training"
  std::vector<std::string_view> texts;
  std::vector<std::string_view> lists;   // of texts
  std::vector<std::string_view> counts;  // unsigned integers
};

// How a model was trained: enough to rebuild its train/test split.
struct TrainingRecord {
  std::string data_path;  // absolute
  std::string data_blake2b;
  uint64_t seed = 0;
  double test_fraction = 0;
  uint64_t rows = 0;
  uint64_t train_rows = 0;
  uint64_t test_rows = 0;
  // The role's fields, as its schema names them.
  std::map<std::string, std::string, std::less<>> texts;
  std::map<std::string, std::vector<std::string>, std::less<>> lists;
  std::map<std::string, uint64_t, std::less<>> counts;
};

std::string TrainingRecordPath(const std::string& model_path);

// Writes the record of the model at model_path (atomically). REQUIRES: the
// record holds every field of the schema.
core::Status WriteTrainingRecord(const std::string& model_path, const RecordSchema& schema,
                                 const TrainingRecord& record);

// Reads it back: kIoError when there is none, kCorruption when it is not a
// record of this schema, kFailedPrecondition for another version.
core::Result<TrainingRecord> ReadTrainingRecord(const std::string& model_path,
                                                const RecordSchema& schema);

// Small helpers of the model commands' output.
std::string AbsolutePath(const std::string& path);
std::string JsonQuoted(std::string_view text);  // a JSON string literal
double SecondsSince(uint64_t start_ns);         // on the monotonic clock
int FailCommand(const char* command, const core::Status& status);  // prints; exit code 1

}  // namespace netfin::cli
