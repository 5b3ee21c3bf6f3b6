#include "core/thread_priority.h"

#include <gtest/gtest.h>

#include <thread>

namespace netfin::core {
namespace {

TEST(ThreadPriorityTest, LoweringPriorityTakesOnlyTheCallingThread) {
  const int main_nice = CurrentThreadNice();
  int seen = -100;
  std::thread([&] {
    ASSERT_TRUE(SetCurrentThreadNice(main_nice + 5).ok());
    seen = CurrentThreadNice();
  }).join();
  EXPECT_EQ(seen, main_nice + 5);
  EXPECT_EQ(CurrentThreadNice(), main_nice);
}

TEST(ThreadPriorityTest, RaisingPriorityEitherTakesEffectOrChangesNothing) {
  std::thread([] {
    ASSERT_TRUE(SetCurrentThreadNice(10).ok());
    const Status raised = SetCurrentThreadNice(9);
    if (raised.ok()) {
      EXPECT_EQ(CurrentThreadNice(), 9);
    } else {
      // Unprivileged: refused with the cause named, and the value kept.
      EXPECT_EQ(raised.code(), StatusCode::kFailedPrecondition);
      EXPECT_NE(raised.message().find("CAP_SYS_NICE"), std::string::npos) << raised.message();
      EXPECT_EQ(CurrentThreadNice(), 10);
    }
  }).join();
}

TEST(ThreadPriorityTest, ValuesOutsideTheRangeAreRefused) {
  std::thread([] {
    const int before = CurrentThreadNice();
    EXPECT_EQ(SetCurrentThreadNice(20).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(SetCurrentThreadNice(-21).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(CurrentThreadNice(), before);
  }).join();
}

}  // namespace
}  // namespace netfin::core
