#pragma once

// Assertions for bugs, never for user input. They stay on in every build type
// (TigerBeetle's rule): a broken invariant in a ledger must stop the process
// before it writes a wrong balance, not after.

#include <cstdio>
#include <cstdlib>

namespace netfin::core {

[[noreturn]] inline void AssertFailed(const char* condition, const char* file, int line) {
  std::fprintf(stderr, "netfin: assertion failed: %s (%s:%d)\n", condition, file, line);
  std::fflush(stderr);
  std::abort();
}

}  // namespace netfin::core

#define NETFIN_ASSERT(condition)                                             \
  do {                                                                       \
    if (!(condition)) [[unlikely]]                                           \
      ::netfin::core::AssertFailed(#condition, __FILE__, __LINE__);          \
  } while (false)
