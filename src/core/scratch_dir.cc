#include "core/scratch_dir.h"

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>

#include "core/assert.h"

namespace netfin::core {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/netfin-XXXXXX";
  NETFIN_ASSERT(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;  // best effort: a leftover temporary directory is harmless
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace netfin::core
