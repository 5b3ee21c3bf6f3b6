#include <gtest/gtest.h>

#include "store/store.h"

namespace netfin::store {
namespace {

Batch SampleBatch() {
  Batch b;
  Account a;
  a.id = {1, 2};
  a.ledger = 7;
  a.code = 3;
  a.flags = 9;
  a.timestamp = 123;
  a.user_data_64 = ~0ull;
  a.user_data_32 = 77;
  b.accounts_created.push_back(a);
  Transfer t;
  t.id = {5, 6};
  t.debit_account_id = {0, 1};
  t.credit_account_id = {0, 2};
  t.amount = 99;
  t.timeout = 4;
  t.ledger = 7;
  t.code = 1;
  t.flags = 2;
  t.timestamp = 124;
  t.user_data_128 = {8, 8};
  b.transfers_created.push_back(t);
  b.expiries.push_back({{5, 6}, 125});
  return b;
}

// The chain's encoding is a persisted format: every journal ever written
// must still verify. This value pins it; change it only with a new format
// version and a migration.
TEST(ChainChecksum, EncodingIsPinned) {
  core::Checksum previous{};
  previous[0] = 1;
  EXPECT_EQ(core::ChecksumToHex(ChainChecksum(previous, 42, SampleBatch())),
            "d46d584f657a35f4cb1aadb975a82994519801df374b8b7275a41aced71a4e1e");
}

TEST(ChainChecksum, CoversOrderNumberAndEveryRecord) {
  const core::Checksum zero{};
  const Batch b = SampleBatch();
  const core::Checksum base = ChainChecksum(zero, 1, b);
  EXPECT_NE(ChainChecksum(zero, 2, b), base);
  Batch changed = b;
  changed.transfers_created[0].amount += 1;
  EXPECT_NE(ChainChecksum(zero, 1, changed), base);
  changed = b;
  changed.expiries.clear();
  EXPECT_NE(ChainChecksum(zero, 1, changed), base);
  // Derived state is not part of the chain.
  changed = b;
  changed.accounts_updated.push_back(b.accounts_created[0]);
  EXPECT_EQ(ChainChecksum(zero, 1, changed), base);
}

}  // namespace
}  // namespace netfin::store
