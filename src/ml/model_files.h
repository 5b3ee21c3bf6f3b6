#pragma once

// The files of a saved GbmModel. `<path>` holds XGBoost's own model in its
// JSON format; `<path>.features.json` (the sidecar) says what the model's
// inputs are: the feature names in order, the CSV encoding if any, the
// training parameters, and a BLAKE2b-256 checksum of the model file, so a
// model file that was replaced or damaged without its sidecar is caught.
//
// Sidecar format, version 1 (a new field bumps the version; a reader refuses
// versions it does not know):
//   {"format": "netfin-gbm-sidecar", "version": 1, "model_format": "json",
//    "model_blake2b": "<64 hex digits>", "features": ["f0", ...],
//    "encoding": [{"name": "c", "kind": "numeric"},
//                 {"name": "t", "kind": "categorical", "categories": [...]}],
//    "train_params": {"rounds": 200, ...}}

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ml/dataset.h"
#include "ml/gbm_model.h"

namespace netfin::ml {

inline constexpr int kSidecarVersion = 1;
// A sidecar is a list of names; anything this large is not one.
inline constexpr size_t kSidecarBytesMax = 64 * 1024 * 1024;
// XGBoost's JSON for 10,000 deep trees stays far below this.
inline constexpr size_t kModelBytesMax = size_t{1} << 30;

struct ModelSidecar {
  std::vector<std::string> feature_names = {};
  Encoding encoding = {};  // empty when the training data was not from a CSV file
  TrainParams params = {};
  std::string model_checksum_hex = {};
};

std::string SidecarPath(const std::string& model_path);

std::string EncodeSidecar(const ModelSidecar& sidecar);
// kCorruption for malformed JSON or missing fields, kFailedPrecondition for
// an unknown format or version.
core::Result<ModelSidecar> DecodeSidecar(std::string_view json);


}  // namespace netfin::ml
