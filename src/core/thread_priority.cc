#include "core/thread_priority.h"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace netfin::core {
namespace {

id_t CurrentThreadId() { return static_cast<id_t>(::syscall(SYS_gettid)); }

}  // namespace

Status SetCurrentThreadNice(int nice) {
  if (nice < -20 || nice > 19) {
    return InvalidArgument("a nice value is -20 to 19, not " + std::to_string(nice));
  }
  // On Linux PRIO_PROCESS with a thread id names that one thread.
  if (::setpriority(PRIO_PROCESS, CurrentThreadId(), nice) == 0) return Status::Ok();
  const int error = errno;
  std::string message = "cannot set the thread's nice value to " + std::to_string(nice) + ": " +
                        std::strerror(error);
  if (error == EPERM || error == EACCES) {
    message += " (raising priority needs CAP_SYS_NICE or a matching RLIMIT_NICE)";
  }
  return Status(StatusCode::kFailedPrecondition, std::move(message));
}

int CurrentThreadNice() {
  errno = 0;  // -1 is a valid answer, so errno tells a failure apart
  const int nice = ::getpriority(PRIO_PROCESS, CurrentThreadId());
  return errno == 0 ? nice : 0;
}

}  // namespace netfin::core
