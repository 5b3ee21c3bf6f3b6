#include "risk/entity_table.h"

#include <gtest/gtest.h>

#include <vector>

#include "risk/test_events.h"

namespace netfin::risk {
namespace {

using testing::Key;

struct Counter {
  int value = 0;
};

std::vector<uint64_t> OldestFirst(const EntityTable<Counter>& table) {
  std::vector<uint64_t> ids;
  table.ForEachOldestFirst([&](const core::Id128& id, const Counter&) { ids.push_back(id.lo); });
  return ids;
}

TEST(EntityTableTest, InsertsFindsAndCounts) {
  EntityTable<Counter> table(3);
  bool created = false;
  table.FindOrInsert(Key(1), &created).value = 10;
  EXPECT_TRUE(created);
  table.FindOrInsert(Key(1), &created).value += 1;
  EXPECT_FALSE(created);
  ASSERT_NE(table.Find(Key(1)), nullptr);
  EXPECT_EQ(table.Find(Key(1))->value, 11);
  EXPECT_EQ(table.Find(Key(2)), nullptr);
  EXPECT_EQ(table.size(), 1u);
  EXPECT_EQ(table.capacity(), 3u);
}

TEST(EntityTableTest, EvictsTheLeastRecentlyUpdated) {
  EntityTable<Counter> table(3);
  bool created = false;
  for (uint64_t id : {1, 2, 3}) table.FindOrInsert(Key(id), &created).value = static_cast<int>(id);
  EXPECT_EQ(OldestFirst(table), (std::vector<uint64_t>{1, 2, 3}));
  table.FindOrInsert(Key(1), &created);  // 1 becomes the most recent
  (void)table.Find(Key(2));              // a Find is not a use
  EXPECT_EQ(OldestFirst(table), (std::vector<uint64_t>{2, 3, 1}));
  Counter& fresh = table.FindOrInsert(Key(4), &created);  // evicts 2
  EXPECT_TRUE(created);
  EXPECT_EQ(fresh.value, 0);  // the reused slot starts empty
  EXPECT_EQ(table.Find(Key(2)), nullptr);
  EXPECT_EQ(table.size(), 3u);
  EXPECT_EQ(table.evictions(), 1u);
  EXPECT_EQ(OldestFirst(table), (std::vector<uint64_t>{3, 1, 4}));
  // 2 comes back with no history.
  EXPECT_EQ(table.FindOrInsert(Key(2), &created).value, 0);
  EXPECT_EQ(table.Find(Key(3)), nullptr);
  EXPECT_EQ(table.evictions(), 2u);
}

TEST(EntityTableTest, StaysWithinCapacityUnderChurn) {
  EntityTable<Counter> table(1500);  // more than one chunk
  bool created = false;
  for (uint64_t id = 1; id <= 10'000; ++id) {
    table.FindOrInsert(Key(id), &created).value = static_cast<int>(id);
    ASSERT_LE(table.size(), 1500u);
  }
  EXPECT_EQ(table.size(), 1500u);
  EXPECT_EQ(table.evictions(), 8500u);
  EXPECT_EQ(table.Find(Key(8500)), nullptr);
  ASSERT_NE(table.Find(Key(8501)), nullptr);
  EXPECT_EQ(table.Find(Key(8501))->value, 8501);
  EXPECT_EQ(OldestFirst(table).size(), 1500u);
}

TEST(EntityTableTest, CapacityOne) {
  EntityTable<Counter> table(1);
  bool created = false;
  table.FindOrInsert(Key(1), &created).value = 1;
  table.FindOrInsert(Key(2), &created).value = 2;
  EXPECT_EQ(table.Find(Key(1)), nullptr);
  EXPECT_EQ(table.Find(Key(2))->value, 2);
  EXPECT_EQ(table.size(), 1u);
}

}  // namespace
}  // namespace netfin::risk
