#include "core/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

namespace netfin::core {
namespace {

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {  // each write makes progress or fails
    const ssize_t written = ::write(fd, bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return IoError(std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Status WriteAndSync(const std::string& path, std::string_view bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(path + ": " + std::strerror(errno));
  Status status = WriteAll(fd, bytes);
  if (status.ok() && ::fsync(fd) != 0) status = IoError(std::strerror(errno));
  if (::close(fd) != 0 && status.ok()) status = IoError(std::strerror(errno));
  if (!status.ok()) return IoError(path + ": " + status.message());
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path, size_t bytes_max) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path + ": " + std::strerror(errno));
  std::string bytes;
  char chunk[64 * 1024];
  Status status;
  while (status.ok()) {  // bounded: stops past bytes_max
    const ssize_t got = ::read(fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) status = IoError(path + ": " + std::strerror(errno));
    if (got <= 0) break;
    bytes.append(chunk, static_cast<size_t>(got));
    if (bytes.size() > bytes_max) {
      status = InvalidArgument(path + ": larger than " + std::to_string(bytes_max) + " bytes");
    }
  }
  ::close(fd);
  if (!status.ok()) return status;
  return bytes;
}

Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string temporary = path + ".tmp";
  NETFIN_RETURN_IF_ERROR(WriteAndSync(temporary, bytes));
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) return IoError(path + ": " + error.message());
  return Status::Ok();
}

}  // namespace netfin::core
