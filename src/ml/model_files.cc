#include "ml/model_files.h"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include "core/assert.h"

namespace netfin::ml {
namespace {

constexpr const char* kSidecarFormat = "netfin-gbm-sidecar";
using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void WriteString(Writer& writer, const std::string& text) {
  writer.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteStrings(Writer& writer, const std::vector<std::string>& texts) {
  writer.StartArray();
  for (const std::string& text : texts) WriteString(writer, text);
  writer.EndArray();
}

void WriteEncoding(Writer& writer, const Encoding& encoding) {
  writer.StartArray();
  for (const ColumnEncoding& column : encoding.columns) {
    writer.StartObject();
    writer.Key("name");
    WriteString(writer, column.name);
    writer.Key("kind");
    writer.String(column.kind == ColumnKind::kNumeric ? "numeric" : "categorical");
    if (column.kind == ColumnKind::kCategorical) {
      writer.Key("categories");
      WriteStrings(writer, column.categories);
    }
    writer.EndObject();
  }
  writer.EndArray();
}

void WriteParams(Writer& writer, const TrainParams& params) {
  writer.StartObject();
  writer.Key("rounds");
  writer.Int(params.rounds);
  writer.Key("max_depth");
  writer.Int(params.max_depth);
  writer.Key("eta");
  writer.Double(params.eta);
  writer.Key("subsample");
  writer.Double(params.subsample);
  writer.Key("colsample");
  writer.Double(params.colsample);
  writer.Key("scale_pos_weight");
  writer.Double(params.scale_pos_weight);
  writer.Key("nthread");
  writer.Int(params.nthread);
  writer.Key("seed");
  writer.Uint64(params.seed);
  writer.EndObject();
}

// Reading: each helper returns kCorruption naming the field it could not read.
using Value = rapidjson::Value;

core::Status Missing(const char* field) {
  return core::Corruption(std::string("field '") + field + "' is missing or has the wrong type");
}

core::Status ReadStrings(const Value& array, const char* field, std::vector<std::string>* out) {
  if (!array.IsArray()) return Missing(field);
  for (const Value& item : array.GetArray()) {
    if (!item.IsString()) return Missing(field);
    out->emplace_back(item.GetString(), item.GetStringLength());
  }
  return core::Status::Ok();
}

const Value* Member(const Value& object, const char* name) {
  if (!object.IsObject()) return nullptr;
  const auto it = object.FindMember(name);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

core::Status ReadColumn(const Value& item, ColumnEncoding* column) {
  const Value* name = Member(item, "name");
  const Value* kind = Member(item, "kind");
  if (name == nullptr || !name->IsString()) return Missing("encoding[].name");
  if (kind == nullptr || !kind->IsString()) return Missing("encoding[].kind");
  column->name.assign(name->GetString(), name->GetStringLength());
  const std::string_view kind_text(kind->GetString(), kind->GetStringLength());
  if (kind_text == "numeric") return core::Status::Ok();
  if (kind_text != "categorical") return Missing("encoding[].kind");
  column->kind = ColumnKind::kCategorical;
  const Value* categories = Member(item, "categories");
  if (categories == nullptr) return Missing("encoding[].categories");
  NETFIN_RETURN_IF_ERROR(ReadStrings(*categories, "encoding[].categories", &column->categories));
  if (column->categories.size() > kCategoriesMax) return Missing("encoding[].categories");
  return core::Status::Ok();
}

core::Status ReadEncoding(const Value& array, Encoding* encoding) {
  if (!array.IsArray()) return Missing("encoding");
  for (const Value& item : array.GetArray()) {
    NETFIN_RETURN_IF_ERROR(ReadColumn(item, &encoding->columns.emplace_back()));
  }
  return core::Status::Ok();
}

core::Status ReadInt(const Value& object, const char* name, int* out) {
  const Value* value = Member(object, name);
  if (value == nullptr || !value->IsInt()) return Missing(name);
  *out = value->GetInt();
  return core::Status::Ok();
}

core::Status ReadDouble(const Value& object, const char* name, double* out) {
  const Value* value = Member(object, name);
  if (value == nullptr || !value->IsNumber()) return Missing(name);
  *out = value->GetDouble();
  return core::Status::Ok();
}

core::Status ReadParams(const Value& object, TrainParams* params) {
  NETFIN_RETURN_IF_ERROR(ReadInt(object, "rounds", &params->rounds));
  NETFIN_RETURN_IF_ERROR(ReadInt(object, "max_depth", &params->max_depth));
  NETFIN_RETURN_IF_ERROR(ReadDouble(object, "eta", &params->eta));
  NETFIN_RETURN_IF_ERROR(ReadDouble(object, "subsample", &params->subsample));
  NETFIN_RETURN_IF_ERROR(ReadDouble(object, "colsample", &params->colsample));
  NETFIN_RETURN_IF_ERROR(ReadDouble(object, "scale_pos_weight", &params->scale_pos_weight));
  NETFIN_RETURN_IF_ERROR(ReadInt(object, "nthread", &params->nthread));
  if (params->nthread < 1 || params->nthread > kThreadsMax) return Missing("nthread");
  const Value* seed = Member(object, "seed");
  if (seed == nullptr || !seed->IsUint64()) return Missing("seed");
  params->seed = seed->GetUint64();
  return core::Status::Ok();
}

core::Status CheckHeader(const rapidjson::Document& document) {
  const Value* format = Member(document, "format");
  if (format == nullptr || !format->IsString() ||
      std::string_view(format->GetString()) != kSidecarFormat) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        std::string("not a ") + kSidecarFormat + " file");
  }
  const Value* version = Member(document, "version");
  if (version == nullptr || !version->IsInt() || version->GetInt() != kSidecarVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "unknown sidecar version (this netfin reads version " +
                            std::to_string(kSidecarVersion) + ")");
  }
  const Value* model_format = Member(document, "model_format");
  if (model_format == nullptr || !model_format->IsString() ||
      std::string_view(model_format->GetString()) != "json") {
    return core::Status(core::StatusCode::kFailedPrecondition, "unknown model_format");
  }
  return core::Status::Ok();
}

core::Status ReadSidecarFields(const rapidjson::Document& document, ModelSidecar* sidecar) {
  const Value* checksum = Member(document, "model_blake2b");
  if (checksum == nullptr || !checksum->IsString()) return Missing("model_blake2b");
  sidecar->model_checksum_hex.assign(checksum->GetString(), checksum->GetStringLength());
  const Value* features = Member(document, "features");
  if (features == nullptr) return Missing("features");
  NETFIN_RETURN_IF_ERROR(ReadStrings(*features, "features", &sidecar->feature_names));
  if (sidecar->feature_names.empty()) return Missing("features");
  const Value* encoding = Member(document, "encoding");
  if (encoding == nullptr) return Missing("encoding");
  NETFIN_RETURN_IF_ERROR(ReadEncoding(*encoding, &sidecar->encoding));
  if (!sidecar->encoding.columns.empty() &&
      sidecar->encoding.FeatureNames() != sidecar->feature_names) {
    return core::Corruption("the encoding's features differ from 'features'");
  }
  const Value* params = Member(document, "train_params");
  if (params == nullptr) return Missing("train_params");
  return ReadParams(*params, &sidecar->params);
}

}  // namespace

std::string SidecarPath(const std::string& model_path) { return model_path + ".features.json"; }

std::string EncodeSidecar(const ModelSidecar& sidecar) {
  rapidjson::StringBuffer buffer;
  Writer writer(buffer);
  writer.StartObject();
  writer.Key("format");
  writer.String(kSidecarFormat);
  writer.Key("version");
  writer.Int(kSidecarVersion);
  writer.Key("model_format");
  writer.String("json");
  writer.Key("model_blake2b");
  WriteString(writer, sidecar.model_checksum_hex);
  writer.Key("features");
  WriteStrings(writer, sidecar.feature_names);
  writer.Key("encoding");
  WriteEncoding(writer, sidecar.encoding);
  writer.Key("train_params");
  WriteParams(writer, sidecar.params);
  writer.EndObject();
  NETFIN_ASSERT(writer.IsComplete());
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

core::Result<ModelSidecar> DecodeSidecar(std::string_view json) {
  rapidjson::Document document;
  document.Parse(json.data(), json.size());
  if (document.HasParseError() || !document.IsObject()) {
    return core::Corruption("the sidecar is not a JSON object");
  }
  NETFIN_RETURN_IF_ERROR(CheckHeader(document));
  ModelSidecar sidecar;
  NETFIN_RETURN_IF_ERROR(ReadSidecarFields(document, &sidecar));
  return sidecar;
}

}  // namespace netfin::ml
