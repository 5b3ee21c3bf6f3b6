// The credit day-end thread of a node: the schedule on a manual clock (the
// China date moves, the day-end runs; the books already ahead, nothing
// runs), requested runs, a prompt stop, and the [credit] config reading.

#include "cli/credit_day_end.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <thread>

#include "credit/credit_service_test_support.h"

namespace netfin::cli {
namespace {

using credit::test_support::CreditOnScratchLedger;
using credit::test_support::Day;

constexpr uint64_t kDayNs = 86'400ull * 1'000'000'000ull;

// The books below open on 2026-11-25, the China date of kT0 (10:00 there).

TEST(CreditDayEnd, RunsYesterdayOnceTheChinaDateHasMoved) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = true, .check_interval_ms = 1000});
  EXPECT_TRUE(runner.RunDueDayEnds().empty()) << "the open day is today: nothing is due";
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-11-25"));

  books.clock().AdvanceNs(kDayNs);
  EXPECT_EQ(runner.RunDueDayEnds(), std::vector<core::CivilDate>{Day("2026-11-25")});
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-11-26"));
  EXPECT_TRUE(runner.RunDueDayEnds().empty()) << "a second check the same day runs nothing";

  // Three days later: one run catches up to yesterday.
  books.clock().AdvanceNs(3 * kDayNs);
  EXPECT_EQ(runner.RunDueDayEnds(), std::vector<core::CivilDate>{Day("2026-11-28")});
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-11-29"));
  EXPECT_EQ(runner.scheduled_runs(), 2u);
}

TEST(CreditDayEnd, SkipsSilentlyWhenTheBooksAreAheadOfTheCalendar) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  // A demonstration moved the business date ahead by hand.
  ASSERT_TRUE(books.svc().RunDay(credit::CreditCall{}, Day("2026-12-10")).ok());
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = true, .check_interval_ms = 1000});
  books.clock().AdvanceNs(kDayNs);
  EXPECT_TRUE(runner.RunDueDayEnds().empty());
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-12-11"));
}

TEST(CreditDayEnd, TheThreadRunsTheScheduleWhenTheDateMoves) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = true, .check_interval_ms = 5});
  runner.Start();
  books.clock().AdvanceNs(kDayNs);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (runner.scheduled_runs() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  runner.Stop();
  EXPECT_EQ(runner.scheduled_runs(), 1u);
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-11-26"));
}

TEST(CreditDayEnd, WithoutTheScheduleNothingRunsByItself) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = false, .check_interval_ms = 1});
  runner.Start();
  books.clock().AdvanceNs(kDayNs);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  runner.Stop();
  EXPECT_EQ(runner.scheduled_runs(), 0u);
  EXPECT_EQ(books.svc().OpenDate(), Day("2026-11-25"));
}

TEST(CreditDayEnd, RequestedRunsAreAnsweredFromTheThread) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = false, .check_interval_ms = 1000});
  auto run = [&](const char* date) {
    std::promise<credit::CreditReply> answered;
    runner.RunDay(credit::CreditCall{}, Day(date), [&](credit::CreditReply r) { answered.set_value(std::move(r)); });
    return answered.get_future().get();
  };
  // Not started: refused at once.
  EXPECT_EQ(run("2026-11-25").error, credit::CreditError::kUnavailable);
  runner.Start();
  const credit::CreditReply first = run("2026-11-27");
  ASSERT_TRUE(first.ok()) << first.message;
  EXPECT_NE(first.body.find(R"("date":"2026-11-27")"), std::string::npos) << first.body;
  EXPECT_EQ(run("2026-11-27").body, first.body) << "the same date again: the same summary";
  EXPECT_EQ(run("2026-11-26").code(), "date_before_last_run");
  credit::CreditCall customer;
  customer.role = credit::CallerRole::kCustomer;
  customer.party_id = core::Id128{7, 7};
  std::promise<credit::CreditReply> refused;
  runner.RunDay(customer, Day("2026-11-28"), [&](credit::CreditReply r) { refused.set_value(std::move(r)); });
  EXPECT_EQ(refused.get_future().get().error, credit::CreditError::kForbidden);
  runner.Stop();
  EXPECT_EQ(run("2026-11-28").error, credit::CreditError::kUnavailable) << "stopped";
}

TEST(CreditDayEnd, StopsPromptlyInTheMiddleOfALongWait) {
  CreditOnScratchLedger books({}, Day("2026-11-25"));
  CreditDayEndRunner runner(books.svc(), {.clock = &books.clock(), .schedule = true, .check_interval_ms = 3'600'000});
  runner.Start();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto stop_started = std::chrono::steady_clock::now();
  runner.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, std::chrono::seconds(1));
}

TEST(CreditNodeConfig, TakesTheScheduleKeysAndLeavesThePolicyToTheCreditParser) {
  const auto defaults = ParseCreditNodeConfig("db = \"x.db\"\n[payments]\n");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_TRUE(defaults->day_end_schedule);
  EXPECT_EQ(defaults->day_end_check_s, 30u);
  EXPECT_EQ(defaults->policy.products.size(), credit::CreditPolicy::DefaultProducts().size());

  const auto set = ParseCreditNodeConfig(
      "[credit]\nday_end_schedule = false\nday_end_check_s = 5\napr_cap_bps = 2000\n");
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_FALSE(set->day_end_schedule);
  EXPECT_EQ(set->day_end_check_s, 5u);
  EXPECT_EQ(set->policy.caps.apr_cap_bps, 2000u);

  for (const char* bad : {"[credit]\nday_end_schedule = 1\n", "[credit]\nday_end_check_s = 0\n",
                          "[credit]\nday_end_check_s = \"30\"\n", "[credit]\nday_end_every = 3\n",
                          "credit = 3\n"}) {
    EXPECT_FALSE(ParseCreditNodeConfig(bad).ok()) << bad;
  }
  EXPECT_TRUE(LoadCreditNodeConfig("").ok());
  EXPECT_FALSE(LoadCreditNodeConfig("/nonexistent/netfin.toml").ok());
}

}  // namespace
}  // namespace netfin::cli
