#include "risk/payment_event.h"

#include <gtest/gtest.h>

namespace netfin::risk {
namespace {

TEST(PaymentEventTest, SmallAndPlain) {
  EXPECT_LE(sizeof(PaymentEvent), 128u);
  const PaymentEvent e;
  EXPECT_TRUE(e.customer.IsZero());
  EXPECT_EQ(e.kind, EventKind::kPayment);
  EXPECT_EQ(e.outcome, Outcome::kSucceeded);
  EXPECT_FALSE(e.location.has_value());
  EXPECT_FALSE(e.balance_before_minor.has_value());
}

TEST(PaymentEventTest, DeviceKeys) {
  EXPECT_TRUE(DeviceKey("").IsZero());
  EXPECT_EQ(DeviceKey("iphone-1"), DeviceKey("iphone-1"));
  EXPECT_NE(DeviceKey("iphone-1"), DeviceKey("iphone-2"));
  EXPECT_FALSE(DeviceKey("iphone-1").IsZero());
}

TEST(PaymentEventTest, IpKeys) {
  const std::optional<Id128> v4 = IpKey("203.0.113.7");
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(v4->hi, 0u);
  EXPECT_EQ(v4->lo, 0x0000ffffcb007107ull);
  EXPECT_EQ(IpKey("::ffff:203.0.113.7"), v4);  // the IPv4-mapped spelling
  const std::optional<Id128> v6 = IpKey("2001:db8::1");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->hi, 0x20010db800000000ull);
  EXPECT_EQ(v6->lo, 1u);
  EXPECT_EQ(IpKey("2001:DB8:0::1"), v6);
  for (const char* bad : {"", "203.0.113", "203.0.113.256", "host.example", "1.2.3.4 ", "::g"}) {
    EXPECT_FALSE(IpKey(bad).has_value()) << bad;
  }
  EXPECT_FALSE(IpKey(std::string(100, '1')).has_value());
}

TEST(PaymentEventTest, KindNames) {
  for (EventKind k :
       {EventKind::kPayment, EventKind::kTransfer, EventKind::kWithdrawal, EventKind::kTopUp}) {
    EXPECT_EQ(ParseEventKind(EventKindName(k)), k);
  }
  EXPECT_EQ(EventKindName(EventKind::kTopUp), "top_up");
  EXPECT_FALSE(ParseEventKind("refund").has_value());
}

}  // namespace
}  // namespace netfin::risk
