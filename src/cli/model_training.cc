#include "cli/model_training.h"

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <filesystem>

#include "core/checksum.h"
#include "core/files.h"
#include "core/assert.h"
#include "core/clock.h"
#include "ml/csv_reader.h"
#include "ml/model_files.h"

namespace netfin::cli {
namespace {

constexpr int kRecordVersion = 1;
// A training record is a few hundred bytes; anything this large is not one.
constexpr size_t kRecordBytesMax = 1024 * 1024;

// A member name to look up, without copying it.
rapidjson::Value Ref(std::string_view text) {
  return rapidjson::Value(
      rapidjson::StringRef(text.data(), static_cast<rapidjson::SizeType>(text.size())));
}

}  // namespace

void AddTrainSettings(CLI::App& cmd, TrainSettings* s) {
  cmd.add_option("--out", s->out_path, "Model file (its sidecars go beside it)")
      ->capture_default_str();
  cmd.add_option("--seed", s->seed, "Seed of the stratified train/test split and of XGBoost")
      ->capture_default_str();
  cmd.add_option("--test-fraction", s->test_fraction, "Share of rows held out for eval")
      ->capture_default_str()
      ->check(CLI::Range(0.01, 0.99));
  cmd.add_option("--threads", s->threads,
                 "XGBoost threads (default 1: its OpenMP threads busy-wait)")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd.add_option("--rounds", s->rounds, "Boosting rounds (trees)")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000));
  cmd.add_option("--max-depth", s->max_depth, "Tree depth")
      ->capture_default_str()
      ->check(CLI::Range(1, 16));
  cmd.add_option("--eta", s->eta, "Learning rate")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 1.0));
  cmd.add_flag("--json", s->json, "Print one JSON object on stdout");
}

core::Result<DataFile> ReadDataFile(const std::string& path) {
  core::Result<std::string> text = core::ReadWholeFile(path, ml::kCsvBytesMax);
  if (!text.ok()) return text.status();
  DataFile file;
  file.blake2b = core::ChecksumHex(*text);
  file.text = std::move(text).value();
  return file;
}

std::string TrainingRecordPath(const std::string& model_path) {
  return model_path + ".training.json";
}

core::Status WriteTrainingRecord(const std::string& model_path, const RecordSchema& schema,
                                 const TrainingRecord& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buffer);
  auto text = [&w](std::string_view key, std::string_view value) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  auto count = [&w](std::string_view key, uint64_t value) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.Uint64(value);
  };
  w.StartObject();
  text("format", schema.format);
  w.Key("version");
  w.Int(kRecordVersion);
  text("data", r.data_path);
  text("data_blake2b", r.data_blake2b);
  for (std::string_view key : schema.texts) {
    const auto it = r.texts.find(key);
    NETFIN_ASSERT(it != r.texts.end());
    text(key, it->second);
  }
  for (std::string_view key : schema.lists) {
    const auto it = r.lists.find(key);
    NETFIN_ASSERT(it != r.lists.end());
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.StartArray();
    for (const std::string& item : it->second) {
      w.String(item.data(), static_cast<rapidjson::SizeType>(item.size()));
    }
    w.EndArray();
  }
  count("seed", r.seed);
  w.Key("test_fraction");
  w.Double(r.test_fraction);
  count("rows", r.rows);
  for (std::string_view key : schema.counts) {
    const auto it = r.counts.find(key);
    NETFIN_ASSERT(it != r.counts.end());
    count(key, it->second);
  }
  count("train_rows", r.train_rows);
  count("test_rows", r.test_rows);
  w.EndObject();
  return core::WriteFileAtomically(TrainingRecordPath(model_path),
                                 std::string(buffer.GetString(), buffer.GetSize()) + "\n");
}

core::Result<TrainingRecord> ReadTrainingRecord(const std::string& model_path,
                                                const RecordSchema& schema) {
  const std::string path = TrainingRecordPath(model_path);
  core::Result<std::string> json = core::ReadWholeFile(path, kRecordBytesMax);
  if (!json.ok()) return json.status();
  rapidjson::Document d;
  d.Parse(json->data(), json->size());
  const auto bad = [&](const std::string& why) { return core::Corruption(path + ": " + why); };
  if (d.HasParseError() || !d.IsObject()) return bad("not a JSON object");
  if (!d.HasMember("format") || !d["format"].IsString() ||
      std::string_view(d["format"].GetString()) != schema.format) {
    return bad(fmt::format("not a {} file", schema.format));
  }
  if (!d.HasMember("version") || !d["version"].IsInt() || d["version"].GetInt() != kRecordVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        path + ": unknown version (this netfin reads version 1)");
  }
  const auto text = [&](std::string_view key, std::string* out) -> core::Status {
    const auto it = d.FindMember(Ref(key));
    if (it == d.MemberEnd() || !it->value.IsString()) {
      return bad(fmt::format("no text field '{}'", key));
    }
    *out = it->value.GetString();
    return core::Status::Ok();
  };
  const auto count = [&](std::string_view key, uint64_t* out) -> core::Status {
    const auto it = d.FindMember(Ref(key));
    if (it == d.MemberEnd() || !it->value.IsUint64()) {
      return bad(fmt::format("no integer field '{}'", key));
    }
    *out = it->value.GetUint64();
    return core::Status::Ok();
  };
  TrainingRecord r;
  NETFIN_RETURN_IF_ERROR(text("data", &r.data_path));
  NETFIN_RETURN_IF_ERROR(text("data_blake2b", &r.data_blake2b));
  for (std::string_view key : schema.texts) {
    NETFIN_RETURN_IF_ERROR(text(key, &r.texts[std::string(key)]));
  }
  for (std::string_view key : schema.lists) {
    const auto it = d.FindMember(Ref(key));
    if (it == d.MemberEnd() || !it->value.IsArray()) {
      return bad(fmt::format("no list field '{}'", key));
    }
    std::vector<std::string>& items = r.lists[std::string(key)];
    for (const auto& item : it->value.GetArray()) {
      if (!item.IsString()) return bad(fmt::format("'{}' holds a non-text", key));
      items.emplace_back(item.GetString());
    }
  }
  NETFIN_RETURN_IF_ERROR(count("seed", &r.seed));
  NETFIN_RETURN_IF_ERROR(count("rows", &r.rows));
  NETFIN_RETURN_IF_ERROR(count("train_rows", &r.train_rows));
  NETFIN_RETURN_IF_ERROR(count("test_rows", &r.test_rows));
  for (std::string_view key : schema.counts) {
    NETFIN_RETURN_IF_ERROR(count(key, &r.counts[std::string(key)]));
  }
  if (!d.HasMember("test_fraction") || !d["test_fraction"].IsNumber()) {
    return bad("no number field 'test_fraction'");
  }
  r.test_fraction = d["test_fraction"].GetDouble();
  return r;
}

std::string AbsolutePath(const std::string& path) {
  std::error_code error;
  const std::filesystem::path absolute = std::filesystem::absolute(path, error);
  return error ? path : absolute.lexically_normal().string();
}

std::string JsonQuoted(std::string_view text) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  return std::string(buffer.GetString(), buffer.GetSize());
}

double SecondsSince(uint64_t start_ns) {
  return static_cast<double>(core::MonotonicNowNs() - start_ns) / 1e9;
}

int FailCommand(const char* command, const core::Status& status) {
  fmt::print(stderr, "netfin {}: {}\n", command, status.ToString());
  return 1;
}

}  // namespace netfin::cli
