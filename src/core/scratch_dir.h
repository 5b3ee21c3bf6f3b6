#pragma once

// A fresh directory for temporary files (benchmark databases, test
// journals), removed with its contents when the object goes away.

#include <string>

namespace netfin::core {

class ScratchDir {
 public:
  // Under $TMPDIR, or /tmp; the name starts with "netfin-".
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace netfin::core
