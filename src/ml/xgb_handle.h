#pragma once

// RAII for XGBoost's C handles and the translation of its return codes into
// core::Status. This header does not include xgboost/c_api.h, so that ml.h
// and its users never see XGBoost; only the .cc files of src/ml do.

#include <memory>
#include <string_view>

#include "core/status.h"

namespace netfin::ml {

// Frees a BoosterHandle with XGBoosterFree.
struct BoosterFree {
  void operator()(void* handle) const;
};
// Frees a DMatrixHandle with XGDMatrixFree.
struct DMatrixFree {
  void operator()(void* handle) const;
};

using BoosterPtr = std::unique_ptr<void, BoosterFree>;
using DMatrixPtr = std::unique_ptr<void, DMatrixFree>;

// Ok when return_code is 0 (XGBoost's success), else a Status of the given
// code whose message is `what` and XGBGetLastError() without its stack trace.
core::Status XgbCheck(int return_code, std::string_view what,
                      core::StatusCode code = core::StatusCode::kInternal);

}  // namespace netfin::ml
