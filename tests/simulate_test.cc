// The demonstrations `make run` drives (`netfin simulate payments`,
// `netfin simulate credit`), run against a real `netfin serve`: each must
// finish, its story must show in the books (payments paid and attacks
// stopped; loans repaid, paid off and in arrears), and the reserve must
// still equal every wallet and merchant balance afterwards. Without this,
// a route the demo calls could change and only `make run` would notice.

#include <gtest/gtest.h>

#include <string>

#include "tests/http_test_support.h"

namespace netfin {
namespace {

using testing::CommandRun;
using testing::Json;
using testing::Platform;
using testing::RunNetfin;

TEST(Simulate, BothDemonstrationsRunToTheEndAndLeaveTheReserveWhole) {
  Platform platform;
  ASSERT_TRUE(platform.up()) << "netfin serve did not start";
  const std::string db = platform.File("e2e.db");
  std::string secret = RunNetfin("keys operator-secret --db " + db, false).output;
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  ASSERT_FALSE(secret.empty());
  const std::string target =
      " --target http://127.0.0.1:" + std::to_string(platform.port()) + " --operator-secret " + secret;

  const CommandRun payments = RunNetfin("simulate payments" + target +
                                            " --customers 6 --merchants 2 --payments 40 --notices " +
                                            db + ".notices/sms.jsonl",
                                        true);
  ASSERT_EQ(payments.exit_code, 0) << payments.output;

  // Six customers: four prompt or early payers, one late, one who never pays.
  const CommandRun credit = RunNetfin("simulate credit" + target + " --customers 6 --days 60", true);
  ASSERT_EQ(credit.exit_code, 0) << credit.output;
  EXPECT_NE(credit.output.find("pay-next-month purchases"), std::string::npos) << credit.output;

  const Json loans(platform.Must({"GET", "/v1/credit/loans?limit=500", ""}));
  size_t paid_off = 0, in_arrears = 0, bills = 0;
  for (size_t i = 0; i < loans.Size("data"); ++i) {
    const std::string at = "data." + std::to_string(i);
    if (loans.Str(at + ".status") == "paid_off") ++paid_off;
    if (loans.Str(at + ".status") == "active" && loans.U64(at + ".days_past_due") > 0) ++in_arrears;
    if (!loans.Str(at + ".line_id").empty()) ++bills;
  }
  EXPECT_GT(paid_off, 0u) << "no loan was repaid in full";
  EXPECT_GT(in_arrears, 0u) << "the customer who never pays is not in arrears";
  EXPECT_GT(bills, 0u) << "no pay-next-month bill was cut";

  const Json r = platform.Reconciliation();
  EXPECT_EQ(r.Str("ledgers.0.difference"), "0");
  EXPECT_EQ(r.U64("ledgers.0.negative_accounts"), 0u);
  EXPECT_EQ(platform.Stop(), 0);
  EXPECT_EQ(platform.Verify(), 0);
}

}  // namespace
}  // namespace netfin
