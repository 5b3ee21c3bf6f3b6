#include "core/id_map.h"

#include <map>
#include <random>
#include <string>

#include <gtest/gtest.h>

namespace netfin::core {
namespace {

struct Big {
  uint64_t value = 0;
  std::string name;
  char padding[256] = {};
};

TEST(IdMapTest, InsertFindEraseAgainstAReferenceMap) {
  IdMap<Big> map;
  std::map<Id128, uint64_t> reference;
  std::mt19937_64 rng(7);
  for (int step = 0; step < 20000; ++step) {
    const Id128 id{0, rng() % 3000 + 1};
    switch (rng() % 3) {
      case 0: {
        const bool inserted = map.Insert(id, Big{static_cast<uint64_t>(step), "x", {}});
        EXPECT_EQ(inserted, reference.emplace(id, step).second);
        break;
      }
      case 1:
        EXPECT_EQ(map.Erase(id), reference.erase(id) == 1);
        break;
      default: {
        const Big* found = map.Find(id);
        auto it = reference.find(id);
        ASSERT_EQ(found != nullptr, it != reference.end());
        if (found != nullptr) {
          EXPECT_EQ(found->value, it->second);
        }
        EXPECT_EQ(map.Contains(id), it != reference.end());
      }
    }
    ASSERT_EQ(map.size(), reference.size());
  }
  size_t visited = 0;
  map.ForEach([&](const Id128& id, const Big& big) {
    ++visited;
    EXPECT_EQ(big.value, reference.at(id));
  });
  EXPECT_EQ(visited, reference.size());
}

TEST(IdMapTest, RecordsKeepTheirAddressWhileTheTableGrows) {
  IdMap<Big> map;
  ASSERT_TRUE(map.Insert(Id128{0, 1}, Big{42, "first", {}}));
  Big* first = &map.At(Id128{0, 1});
  for (uint64_t i = 2; i < 100000; ++i) ASSERT_TRUE(map.Insert(Id128{i, i}, Big{i, {}, {}}));
  EXPECT_EQ(first, map.Find(Id128{0, 1}));
  EXPECT_EQ(first->value, 42u);
  EXPECT_EQ(first->name, "first");
}

TEST(IdMapTest, ASecondInsertOfAnIdKeepsTheFirstRecordAndItsArgument) {
  IdMap<Big> map;
  ASSERT_TRUE(map.Insert(Id128{0, 9}, Big{1, "kept", {}}));
  Big second{2, "a name long enough to live on the heap", {}};
  EXPECT_FALSE(map.Insert(Id128{0, 9}, std::move(second)));
  EXPECT_EQ(second.name, "a name long enough to live on the heap");  // not moved from
  EXPECT_EQ(map.At(Id128{0, 9}).name, "kept");
}

TEST(IdMapTest, InsertOrAssignInsertsOrReplacesInPlace) {
  IdMap<Big> map;
  map.InsertOrAssign(Id128{0, 5}, Big{1, "first", {}});
  Big* record = map.Find(Id128{0, 5});
  ASSERT_NE(record, nullptr);
  map.InsertOrAssign(Id128{0, 5}, Big{2, "second", {}});
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(map.Find(Id128{0, 5}), record);  // replaced where it was
  EXPECT_EQ(record->value, 2u);
  EXPECT_EQ(record->name, "second");
}

}  // namespace
}  // namespace netfin::core
