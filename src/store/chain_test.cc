#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>

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

// SampleBatch with two role events; the second's payload holds a zero byte.
Batch SampleBatchWithEvents() {
  Batch b = SampleBatch();
  RoleEvent e;
  e.sequence = 7;
  e.timestamp = 126;
  e.role = 2;
  e.type = 3;
  e.subject_a = {1, 2};
  e.subject_b = {0, 9};
  e.payload = "paid";
  b.events.push_back(e);
  e.sequence = 8;
  e.subject_b = {};
  e.payload = std::string("a\0b", 3);
  b.events.push_back(e);
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

// Role events are part of the persisted encoding too. The value was
// cross-checked with an independent encoder (Python's hashlib.blake2b,
// digest_size=32) written from docs/design/journal.md.
TEST(ChainChecksum, EncodingWithRoleEventsIsPinned) {
  core::Checksum previous{};
  previous[0] = 1;
  EXPECT_EQ(core::ChecksumToHex(ChainChecksum(previous, 42, SampleBatchWithEvents())),
            "7f53043fa738adb752720fa330a4bfae0d8b703844bb3b814e9f832168dff672");
}

TEST(ChainChecksum, CoversEveryFieldOfARoleEvent) {
  const core::Checksum zero{};
  const Batch b = SampleBatchWithEvents();
  const core::Checksum base = ChainChecksum(zero, 1, b);
  EXPECT_NE(base, ChainChecksum(zero, 1, SampleBatch()));
  struct Change {
    const char* name;
    std::function<void(RoleEvent&)> apply;
  };
  const Change changes[] = {
      {"sequence", [](RoleEvent& e) { e.sequence += 1; }},
      {"timestamp", [](RoleEvent& e) { e.timestamp += 1; }},
      {"role", [](RoleEvent& e) { e.role += 1; }},
      {"type", [](RoleEvent& e) { e.type += 1; }},
      {"subject_a hi", [](RoleEvent& e) { e.subject_a.hi += 1; }},
      {"subject_a lo", [](RoleEvent& e) { e.subject_a.lo += 1; }},
      {"subject_b hi", [](RoleEvent& e) { e.subject_b.hi += 1; }},
      {"subject_b lo", [](RoleEvent& e) { e.subject_b.lo += 1; }},
      {"payload byte", [](RoleEvent& e) { e.payload[0] ^= 1; }},
      {"payload longer", [](RoleEvent& e) { e.payload.push_back('\0'); }},
      {"payload shorter", [](RoleEvent& e) { e.payload.pop_back(); }},
  };
  for (const Change& c : changes) {
    for (size_t i = 0; i < b.events.size(); ++i) {
      Batch changed = b;
      c.apply(changed.events[i]);
      EXPECT_NE(ChainChecksum(zero, 1, changed), base) << c.name << " of event " << i;
    }
  }
  // Where one payload ends and the next event begins is covered as well.
  Batch moved = b;
  moved.events[0].payload += moved.events[1].payload.substr(0, 1);
  moved.events[1].payload.erase(0, 1);
  EXPECT_NE(ChainChecksum(zero, 1, moved), base);
  Batch fewer = b;
  fewer.events.pop_back();
  EXPECT_NE(ChainChecksum(zero, 1, fewer), base);
  Batch swapped = b;
  std::swap(swapped.events[0], swapped.events[1]);
  EXPECT_NE(ChainChecksum(zero, 1, swapped), base);
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
