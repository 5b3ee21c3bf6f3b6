#include "ml/xgb_handle.h"

#include <xgboost/c_api.h>

#include <string>

namespace netfin::ml {

// A handle that XGBoost refuses to free was never one of its own: a bug.
void BoosterFree::operator()(void* handle) const { NETFIN_ASSERT(XGBoosterFree(handle) == 0); }

void DMatrixFree::operator()(void* handle) const { NETFIN_ASSERT(XGDMatrixFree(handle) == 0); }

core::Status XgbCheck(int return_code, std::string_view what, core::StatusCode code) {
  if (return_code == 0) return core::Status::Ok();
  std::string message(what);
  message += ": XGBoost: ";
  const char* error = XGBGetLastError();
  std::string_view text = error != nullptr ? error : "(no message)";
  // XGBoost appends a native stack trace, of no use to netfin's callers.
  text = text.substr(0, text.find("\nStack trace:"));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  message += text;
  return core::Status(code, std::move(message));
}

}  // namespace netfin::ml
