#pragma once

// Scheduling priority of the calling thread (Linux: each thread has its own
// nice value, set through its thread id).

#include "core/status.h"

namespace netfin::core {

// Sets the calling thread's nice value (-20 highest priority .. 19 lowest).
// Lowering it below the current value needs CAP_SYS_NICE or an RLIMIT_NICE
// that allows it; without, the thread keeps its priority and the answer is
// kFailedPrecondition naming the cause. Other threads are not affected.
Status SetCurrentThreadNice(int nice);

// The calling thread's nice value.
int CurrentThreadNice();

}  // namespace netfin::core
