#pragma once

// Whole files: read with a size limit, written so that a reader (or a
// crash) sees the old file or the new one, never a torn one. For the
// small files beside the journal: models and their sidecars, training
// records, rules, settlement files, data sets.

#include <cstddef>
#include <string>
#include <string_view>

#include "core/status.h"

namespace netfin::core {

// The whole file, refusing one larger than bytes_max (kInvalidArgument);
// kIoError (with the system's reason) when it cannot be read.
Result<std::string> ReadWholeFile(const std::string& path, size_t bytes_max);

// Writes `<path>.tmp`, fsyncs it, and renames it over path.
Status WriteFileAtomically(const std::string& path, std::string_view bytes);

}  // namespace netfin::core
