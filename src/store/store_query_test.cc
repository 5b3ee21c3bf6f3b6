// The contract of store.h that every backend keeps, checked against each with
// the same data and the same cases: queries after a reopen (the journal
// rebuilds its index from the file; SQLite reads its tables), recovery order,
// the head, stats, the bugs Append refuses, and concurrent readers. What only
// one backend has (tampering SQL, torn frames) is in its own test file.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/limits.h"
#include "core/scratch_dir.h"
#include "store/append_rules.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace netfin::store {
namespace {

using namespace testing;  // NOLINT: the shared builders

using StoreOpener = Result<std::unique_ptr<Store>> (*)(const std::string& path,
                                                       const StoreOptions& options);

struct Backend {
  const char* name;
  StoreOpener open;
  const char* file;  // the store's file name in a test's directory
  // Whether Head() moves together with what readers see (the journal swaps
  // both under one lock; SQLite's readers may see a commit before its head).
  bool head_moves_with_reads;

  // Async: fsyncs only slow the tests down.
  std::unique_ptr<Store> OpenIn(const std::string& dir) const {
    StoreOptions options;
    options.durability = Durability::kAsync;
    return std::move(open(dir + "/" + file, options)).value();
  }
};

const Backend kBackends[] = {
    {"journal", OpenJournalStore, "ledger.journal", true},
    {"sqlite", OpenSqliteStore, "ledger.db", false},
};

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) { return info.param.name; }

// Account 1's transfers: at 10, 30, ..., 90 it is debited (to 2), at 20, 40,
// ..., 100 credited (from 3). A transfer 2 -> 3 at 55 does not involve it.
// Balance history: account 1 at 10, 20, 30; account 2 at 10.
class BothBackendsQueryTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().OpenIn(dir_.path());
    MustAppend(*store_, NewBatch({NewAccount(1, 1), NewAccount(2, 2), NewAccount(3, 3)}));
    Batch batch;
    for (uint64_t i = 1; i <= 10; ++i) {
      const bool debit = i % 2 == 1;
      batch.transfers_created.push_back(NewTransfer(100 + i, debit ? 1 : 3, debit ? 2 : 1, 10 * i));
      if (i == 5) batch.transfers_created.push_back(NewTransfer(200, 2, 3, 55));
    }
    batch.balances = {NewBalance(1, 10, 10), NewBalance(1, 20, 20), NewBalance(1, 30, 30),
                      NewBalance(2, 10, 10)};
    MustAppend(*store_, batch);
    // Queries must give the same answers after a reopen (the journal rebuilds its index).
    store_.reset();
    store_ = GetParam().OpenIn(dir_.path());
  }

  core::ScratchDir dir_;
  std::unique_ptr<Store> store_;
};

struct QueryCase {
  const char* name;
  Query query;
  std::vector<uint64_t> timestamps;
};

constexpr uint64_t kAll = 0;

TEST_P(BothBackendsQueryTest, AccountTransfersFollowEveryFilter) {
  const QueryCase cases[] = {
      {"all", {1, kAll, kAll, 100, true, true, false}, {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
      {"limit", {1, kAll, kAll, 3, true, true, false}, {10, 20, 30}},
      {"reversed limit", {1, kAll, kAll, 3, true, true, true}, {100, 90, 80}},
      {"limit 1 reversed", {1, kAll, kAll, 1, true, true, true}, {100}},
      {"limit max",
       {1, kAll, kAll, core::kQueryLimitMax, true, true, false},
       {10, 20, 30, 40, 50, 60, 70, 80, 90, 100}},
      {"debits only", {1, kAll, kAll, 100, true, false, false}, {10, 30, 50, 70, 90}},
      {"credits only", {1, kAll, kAll, 100, false, true, false}, {20, 40, 60, 80, 100}},
      {"credits reversed limit", {1, kAll, kAll, 2, false, true, true}, {100, 80}},
      {"inclusive bounds", {1, 20, 40, 100, true, true, false}, {20, 30, 40}},
      {"inclusive bounds reversed", {1, 20, 40, 100, true, true, true}, {40, 30, 20}},
      {"min only", {1, 90, kAll, 100, true, true, false}, {90, 100}},
      {"max only", {1, kAll, 20, 100, true, true, false}, {10, 20}},
      {"one instant", {1, 30, 30, 100, true, true, false}, {30}},
      {"between transfers", {1, 31, 39, 100, true, true, false}, {}},
      {"min above max", {1, 50, 40, 100, true, true, false}, {}},
      {"max above INT64_MAX", {1, 95, UINT64_MAX, 100, true, true, false}, {100}},
      {"min above INT64_MAX", {1, UINT64_MAX, kAll, 100, true, true, false}, {}},
      {"debits in range reversed", {1, 20, 70, 100, true, false, true}, {70, 50, 30}},
      {"credits in range", {1, 20, 70, 2, false, true, false}, {20, 40}},
      {"neither side", {1, kAll, kAll, 100, false, false, false}, {}},
      {"unknown account", {99, kAll, kAll, 100, true, true, false}, {}},
      {"other account both sides",
       {2, kAll, kAll, 100, true, true, false},
       {10, 30, 50, 55, 70, 90}},
  };
  for (const QueryCase& c : cases) {
    Result<std::vector<Transfer>> transfers = store_->GetAccountTransfers(c.query.Filter());
    ASSERT_TRUE(transfers.ok()) << c.name << ": " << transfers.status().ToString();
    std::vector<uint64_t> timestamps;
    for (const Transfer& t : transfers.value()) timestamps.push_back(t.timestamp);
    EXPECT_EQ(timestamps, c.timestamps) << c.name;
  }
}

TEST_P(BothBackendsQueryTest, AccountBalancesFollowTheFilterAndIgnoreSides) {
  const QueryCase cases[] = {
      {"all", {1, kAll, kAll, 100, true, true, false}, {10, 20, 30}},
      {"reversed limit", {1, kAll, kAll, 1, true, true, true}, {30}},
      {"inclusive bounds", {1, 20, 30, 100, true, true, false}, {20, 30}},
      {"min above max", {1, 30, 20, 100, true, true, false}, {}},
      {"sides ignored", {1, kAll, kAll, 100, false, false, false}, {10, 20, 30}},
      {"other account", {2, kAll, kAll, 100, true, true, false}, {10}},
      {"no history", {3, kAll, kAll, 100, true, true, false}, {}},
      {"unknown account", {99, kAll, kAll, 100, true, true, false}, {}},
  };
  for (const QueryCase& c : cases) {
    Result<std::vector<AccountBalance>> balances = store_->GetAccountBalances(c.query.Filter());
    ASSERT_TRUE(balances.ok()) << c.name << ": " << balances.status().ToString();
    std::vector<uint64_t> timestamps;
    for (const AccountBalance& b : balances.value()) {
      EXPECT_EQ(b, NewBalance(c.query.account, b.timestamp, b.timestamp)) << c.name;
      timestamps.push_back(b.timestamp);
    }
    EXPECT_EQ(timestamps, c.timestamps) << c.name;
  }
}

TEST_P(BothBackendsQueryTest, LookupsFindStoredRecordsOnly) {
  EXPECT_EQ(store_->LookupAccount(Id128::FromU64(2)).value()->timestamp, 2u);
  EXPECT_FALSE(store_->LookupAccount(Id128::FromU64(99)).value().has_value());
  EXPECT_EQ(store_->LookupTransfer(Id128::FromU64(200)).value()->timestamp, 55u);
  EXPECT_FALSE(store_->LookupTransfer(Id128::FromU64(1)).value().has_value());
}

TEST_P(BothBackendsQueryTest, TransferWithTheSameAccountOnBothSidesIsListedOnce) {
  MustAppend(*store_, NewBatch({}, {NewTransfer(9, 3, 3, 500)}));
  Query query;
  query.account = 3;
  std::vector<size_t> sizes;
  for (auto [debits, credits] : {std::pair{true, true}, {true, false}, {false, true}}) {
    query.debits = debits;
    query.credits = credits;
    query.timestamp_min = 500;
    sizes.push_back(store_->GetAccountTransfers(query.Filter())->size());
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{1, 1, 1}));
}

// Role events: BatchesWithEvents() (a mixed batch, an events-only batch, a
// batch of a transfer, an expiry and an event), then an events-only batch:
// event 6 names party 3 on both sides, event 7 only party 2 as subject_b,
// at kTimestampMax with the largest payload. Read back after a reopen.
class BothBackendsEventTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    store_ = GetParam().OpenIn(dir_.path());
    batches_ = BatchesWithEvents();
    Batch fourth;
    fourth.events = {NewEvent(6, 3, 3, "self"),
                     NewEvent(7, 0, 2, std::string(kRoleEventPayloadBytesMax, 'x'), kTimestampMax)};
    batches_.push_back(fourth);
    for (const Batch& batch : batches_) MustAppend(*store_, batch);
    Reopen();
  }

  void Reopen() {
    store_.reset();
    store_ = GetParam().OpenIn(dir_.path());
  }

  // The events appended, by sequence.
  std::vector<RoleEvent> EventsNumbered(const std::vector<uint64_t>& sequences) const {
    std::vector<RoleEvent> all;
    for (const Batch& batch : batches_)
      all.insert(all.end(), batch.events.begin(), batch.events.end());
    std::vector<RoleEvent> out;
    for (uint64_t s : sequences) out.push_back(all.at(s - 1));
    return out;
  }

  core::ScratchDir dir_;
  std::vector<Batch> batches_;
  std::unique_ptr<Store> store_;
};

struct EventCase {
  const char* name;
  uint64_t after_sequence;
  uint64_t subject;  // 0: any
  uint32_t limit;
  std::vector<uint64_t> sequences;
};

TEST_P(BothBackendsEventTest, ReadEventsFollowsTheCursorTheSubjectAndTheLimit) {
  const EventCase cases[] = {
      {"all", 0, 0, 100, {1, 2, 3, 4, 5, 6, 7}},
      {"limit", 0, 0, 3, {1, 2, 3}},
      {"limit 1", 0, 0, 1, {1}},
      {"limit max", 0, 0, core::kQueryLimitMax, {1, 2, 3, 4, 5, 6, 7}},
      {"after", 4, 0, 100, {5, 6, 7}},
      {"after with limit", 1, 0, 2, {2, 3}},
      {"after the last", 7, 0, 100, {}},
      {"after beyond the last", 8, 0, 100, {}},
      {"after INT64_MAX - 1", INT64_MAX - 1, 0, 100, {}},
      {"after INT64_MAX", INT64_MAX, 0, 100, {}},
      {"after UINT64_MAX", UINT64_MAX, 0, 100, {}},
      {"party 1 as either subject", 0, 1, 100, {1, 2, 4}},
      {"party 2 as either subject", 0, 2, 100, {2, 5, 7}},
      {"party 2 after", 2, 2, 100, {5, 7}},
      {"party 2 limit", 0, 2, 2, {2, 5}},
      {"party 2 after limit 1", 2, 2, 1, {5}},
      {"party 3 on both sides, once", 0, 3, 100, {6}},
      {"party 1 after its last", 4, 1, 100, {}},
      {"party after UINT64_MAX", UINT64_MAX, 2, 100, {}},
      {"unknown party", 0, 99, 100, {}},
  };
  for (const EventCase& c : cases) {
    const EventFilter filter{c.after_sequence, Id128::FromU64(c.subject), c.limit};
    Result<std::vector<RoleEvent>> events = store_->ReadEvents(filter);
    ASSERT_TRUE(events.ok()) << c.name << ": " << events.status().ToString();
    EXPECT_EQ(events.value(), EventsNumbered(c.sequences)) << c.name;
  }
}

TEST_P(BothBackendsEventTest, EventOnlyAndMixedBatchesKeepTheHeadAcrossReopen) {
  ChainHead expected;
  for (const Batch& batch : batches_) {
    expected.checksum = ChainChecksum(expected.checksum, ++expected.batch_number, batch);
  }
  ChainHead head = store_->Head();
  EXPECT_EQ(head.batch_number, 4u);
  EXPECT_EQ(head.checksum, expected.checksum);
  // Events-only batches and event timestamps leave the ledger's clock alone.
  EXPECT_EQ(head.timestamp_max, 11u);
  EXPECT_EQ(head.event_sequence_max, 7u);

  Batch events_only;
  events_only.events = {NewEvent(8, 1, 0, "more")};
  MustAppend(*store_, events_only);
  Batch ledger_only = NewBatch({}, {NewTransfer(9, 2, 1, 12)});
  MustAppend(*store_, ledger_only);
  Reopen();
  head = store_->Head();
  EXPECT_EQ(head.batch_number, 6u);
  EXPECT_EQ(head.timestamp_max, 12u);
  EXPECT_EQ(head.event_sequence_max, 8u);  // a batch without events keeps the last
  Batch mixed = NewBatch({}, {NewTransfer(10, 1, 2, 13)});
  mixed.events = {NewEvent(9, 2, 0, "again")};
  MustAppend(*store_, mixed);
  EXPECT_EQ(store_->Head().event_sequence_max, 9u);
  EXPECT_EQ(store_->ReadEvents({8, Id128::Zero(), 10}).value(),
            (std::vector<RoleEvent>{mixed.events[0]}));
  EXPECT_EQ(store_->LookupTransfer(Id128::FromU64(10)).value()->timestamp, 13u);
}

TEST_P(BothBackendsEventTest, LoadHandsOverEventsInSequenceOrderAfterEveryExpiry) {
  RecordingVisitor loaded;
  ASSERT_TRUE(store_->Load(loaded).ok());
  EXPECT_EQ(loaded.kinds, "aatxeeeeeee");
  EXPECT_EQ(loaded.events, EventsNumbered({1, 2, 3, 4, 5, 6, 7}));
}

// A property: many batches of events of every payload size (empty, small,
// and up to the limit, so that reads of neighbouring payloads are merged,
// split at the longest read, and skipped over), some with ledger records
// between them, read back by every filter and by Load exactly as appended,
// before and after a reopen. The journal keeps the payloads in the file,
// not in memory.
TEST_P(BothBackendsEventTest, EventsOfEverySizeReadBackAsAppendedByEveryFilter) {
  std::mt19937_64 random(20261126);
  std::vector<RoleEvent> appended = EventsNumbered({1, 2, 3, 4, 5, 6, 7});
  uint64_t transfer_id = 1000;
  uint64_t timestamp = 100;
  for (int b = 0; b < 120; ++b) {
    Batch batch;
    if (random() % 3 == 0) {
      batch = NewBatch({}, {NewTransfer(++transfer_id, 1, 2, ++timestamp)});
    }
    const int events = static_cast<int>(random() % 4) + (batch.Empty() ? 1 : 0);
    for (int i = 0; i < events; ++i) {
      size_t size = 0;
      switch (random() % 4) {
        case 0: size = 0; break;
        case 1: size = random() % 100; break;
        case 2: size = random() % 6000; break;
        default: size = random() % (kRoleEventPayloadBytesMax + 1);
      }
      std::string payload(size, '\0');
      for (char& c : payload) c = static_cast<char>(random());
      RoleEvent e = NewEvent(appended.size() + 1, random() % 6, random() % 6, std::move(payload));
      appended.push_back(e);
      batch.events.push_back(std::move(e));
    }
    MustAppend(*store_, batch);
  }
  auto expect_reads = [&](const std::string& when) {
    const uint64_t count = appended.size();
    for (int q = 0; q < 60; ++q) {
      const uint64_t after = random() % (count + 2);
      const uint64_t subject = random() % 7;  // 0: any party
      const auto limit = static_cast<uint32_t>(1 + random() % core::kQueryLimitMax);
      std::vector<RoleEvent> expected;
      for (const RoleEvent& e : appended) {
        if (expected.size() == limit) break;
        if (e.sequence <= after) continue;
        if (subject != 0 && e.subject_a != Id128::FromU64(subject) &&
            e.subject_b != Id128::FromU64(subject)) {
          continue;
        }
        expected.push_back(e);
      }
      Result<std::vector<RoleEvent>> read =
          store_->ReadEvents({after, Id128::FromU64(subject), limit});
      ASSERT_TRUE(read.ok()) << when << ": " << read.status().ToString();
      ASSERT_EQ(read.value(), expected) << when << ": after " << after << ", party " << subject
                                        << ", limit " << limit;
    }
    RecordingVisitor loaded;
    ASSERT_TRUE(store_->Load(loaded).ok()) << when;
    EXPECT_EQ(loaded.events, appended) << when;
  };
  expect_reads("before reopening");
  Reopen();
  expect_reads("after reopening");
}

TEST_P(BothBackendsEventTest, VerifyChainCoversEveryBatchAndEvent) {
  ChainReport report;
  ASSERT_TRUE(store_->VerifyChain(&report).ok());
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_EQ(report.batches_checked, 4u);
  EXPECT_EQ(report.records_checked, 11u);  // 2 accounts, 1 transfer, 1 expiry, 7 events
}

TEST_P(BothBackendsEventTest, AppendOfEventsOutOfSequenceOrBeyondTheLimitsIsABug) {
  auto events_only = [](std::vector<RoleEvent> events) {
    Batch batch;
    batch.events = std::move(events);
    return batch;
  };
  const char* kOutOfSequence = "assertion failed: e.sequence == sequence_after \\+ 1";
  EXPECT_DEATH((void)store_->Append(events_only({NewEvent(9, 0, 0, "")})), kOutOfSequence);
  EXPECT_DEATH((void)store_->Append(events_only({NewEvent(7, 0, 0, "")})), kOutOfSequence);
  EXPECT_DEATH((void)store_->Append(events_only({NewEvent(8, 0, 0, ""), NewEvent(10, 0, 0, "")})),
               kOutOfSequence);
  EXPECT_DEATH((void)store_->Append(events_only({NewEvent(8, 0, 0, ""), NewEvent(8, 0, 0, "")})),
               kOutOfSequence);
  EXPECT_DEATH((void)store_->Append(events_only({NewEvent(8, 0, 0, "", kTimestampMax + 1)})),
               "assertion failed: e.timestamp <= kTimestampMax");
  EXPECT_DEATH((void)store_->Append(events_only(
                   {NewEvent(8, 0, 0, std::string(kRoleEventPayloadBytesMax + 1, 'x'))})),
               "assertion failed: e.payload.size\\(\\) <= kRoleEventPayloadBytesMax");
  // A mixed batch is checked the same way.
  Batch mixed = NewBatch({}, {NewTransfer(9, 1, 2, 20)});
  mixed.events = {NewEvent(9, 0, 0, "")};
  EXPECT_DEATH((void)store_->Append(mixed), kOutOfSequence);
  // The next in sequence is fine (the dying appends left nothing behind).
  MustAppend(*store_, events_only({NewEvent(8, 0, 0, "")}));
  EXPECT_EQ(store_->Head().event_sequence_max, 8u);
}

INSTANTIATE_TEST_SUITE_P(Backends, BothBackendsEventTest, ::testing::ValuesIn(kBackends),
                         BackendName);

INSTANTIATE_TEST_SUITE_P(Backends, BothBackendsQueryTest, ::testing::ValuesIn(kBackends),
                         BackendName);

// ---------------------------------------------------------------------------
// The rest of the contract, each test on an empty store.

class BothBackendsTest : public ::testing::TestWithParam<Backend> {
 protected:
  std::unique_ptr<Store> Open() const { return GetParam().OpenIn(dir_.path()); }

  core::ScratchDir dir_;
};

TEST_P(BothBackendsTest, HeadOfAnEmptyStoreIsZero) {
  std::unique_ptr<Store> store = Open();
  const ChainHead head = store->Head();
  EXPECT_EQ(head.batch_number, 0u);
  EXPECT_EQ(head.checksum, core::Checksum{});
  EXPECT_EQ(head.timestamp_max, 0u);
}

// The chain is the same whatever the backend: each head equals the
// checksum computed from the batches alone.
TEST_P(BothBackendsTest, HeadChainsChecksumsAndSurvivesReopen) {
  const Batch first = NewBatch({NewAccount(1, 1), NewAccount(2, 2)});
  const Batch second = NewBatch({}, {NewTransfer(7, 1, 2, 5)});
  const core::Checksum c1 = ChainChecksum(core::Checksum{}, 1, first);
  const core::Checksum c2 = ChainChecksum(c1, 2, second);
  {
    std::unique_ptr<Store> store = Open();
    MustAppend(*store, first);
    EXPECT_EQ(store->Head().checksum, c1);
    MustAppend(*store, second);
  }
  std::unique_ptr<Store> store = Open();
  const ChainHead head = store->Head();
  EXPECT_EQ(head.batch_number, 2u);
  EXPECT_EQ(head.checksum, c2);
  EXPECT_EQ(head.timestamp_max, 5u);
  MustAppend(*store, NewBatch({}, {NewTransfer(8, 2, 1, 6)}));
  EXPECT_EQ(store->Head().batch_number, 3u);
  ChainReport report;
  ASSERT_TRUE(store->VerifyChain(&report).ok());
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_EQ(report.batches_checked, 3u);
  EXPECT_EQ(report.records_checked, 4u);
}

TEST_P(BothBackendsTest, LoadsTransfersAndExpiriesInTimestampOrder) {
  std::unique_ptr<Store> store = Open();
  AppendThreeBatches(*store);
  store.reset();
  store = Open();
  RecordingVisitor loaded;
  ASSERT_TRUE(store->Load(loaded).ok());
  EXPECT_EQ(loaded.accounts.size(), 4u);
  std::vector<uint64_t> timestamps;
  for (const Transfer& t : loaded.transfers) timestamps.push_back(t.timestamp);
  EXPECT_EQ(timestamps, (std::vector<uint64_t>{10, 20, 30, 40}));
  ASSERT_EQ(loaded.expiries.size(), 1u);
  EXPECT_EQ(loaded.expiries[0].pending_id, Id128::FromU64(10));
}

TEST_P(BothBackendsTest, AsyncAppendsDoNotSync) {
  std::unique_ptr<Store> store = Open();
  const uint64_t at_open = store->Stats().fsyncs;
  AppendThreeBatches(*store);
  EXPECT_EQ(store->Stats().fsyncs, at_open);
  EXPECT_EQ(store->Stats().batches, 3u);
  EXPECT_EQ(store->Stats().events, 8u);
}

TEST_P(BothBackendsTest, AppendOfABatchOutOfOrderIsABug) {
  std::unique_ptr<Store> store = Open();
  MustAppend(*store, NewBatch({NewAccount(1, 10)}));
  EXPECT_DEATH((void)store->Append(Batch{}), "assertion failed");
  EXPECT_DEATH((void)store->Append(NewBatch({NewAccount(2, 10)})), "assertion failed");
  EXPECT_DEATH(
      (void)store->Append(NewBatch({}, {NewTransfer(3, 1, 1, 12), NewTransfer(4, 1, 1, 11)})),
      "assertion failed");
  Account funded = NewAccount(5, 20);
  funded.credits_posted = 1;
  EXPECT_DEATH((void)store->Append(NewBatch({funded})), "assertion failed");
}

TEST_P(BothBackendsTest, UnopenablePathIsAnIoError) {
  Result<std::unique_ptr<Store>> store =
      GetParam().open(dir_.File("missing/dir/") + GetParam().file, StoreOptions{});
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), core::StatusCode::kIoError);
}

// Readers on several threads while one thread appends: every read sees whole
// batches (never a part of one) and never goes back in time.
TEST_P(BothBackendsTest, ConcurrentReadersSeeOnlyWholeCommittedBatches) {
  constexpr uint64_t kBatches = 60;
  constexpr uint64_t kTransfersPerBatch = 7;
  constexpr int kReaders = 3;
  std::unique_ptr<Store> store = Open();
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  const Id128 a = Id128::FromU64(1);
  Query query;
  query.limit = core::kQueryLimitMax;
  const bool head_moves_with_reads = GetParam().head_moves_with_reads;
  std::atomic<bool> done{false};
  std::atomic<int> problems{0};
  std::atomic<int> reads{0};
  auto read = [&] {
    size_t seen = 0;
    do {  // at least once, however the threads are scheduled
      Result<std::vector<Transfer>> transfers = store->GetAccountTransfers(query.Filter());
      Result<std::optional<Account>> account = store->LookupAccount(a);
      const uint64_t batches = store->Head().batch_number;
      const bool whole = transfers.ok() && account.ok() && account.value().has_value() &&
                         transfers->size() % kTransfersPerBatch == 0 && transfers->size() >= seen &&
                         (*account.value()).debits_posted % kTransfersPerBatch == 0;
      // The head is never behind what was read.
      const bool head_current =
          !head_moves_with_reads ||
          (transfers.ok() && batches >= 1 + transfers->size() / kTransfersPerBatch);
      if (!whole || !head_current) problems++;
      if (transfers.ok()) seen = transfers->size();
      reads++;
    } while (!done.load());
  };
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) readers.emplace_back(read);
  uint64_t timestamp = 10;
  Account debited = NewAccount(1, 1);
  for (uint64_t b = 0; b < kBatches; ++b) {
    Batch batch;
    for (uint64_t i = 0; i < kTransfersPerBatch; ++i, ++timestamp) {
      batch.transfers_created.push_back(NewTransfer(timestamp, 1, 2, timestamp));
    }
    debited.debits_posted += kTransfersPerBatch;
    batch.accounts_updated = {debited};
    MustAppend(*store, batch);
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(problems.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store->GetAccountTransfers(query.Filter())->size(),
            std::min<uint64_t>(kBatches * kTransfersPerBatch, core::kQueryLimitMax));
}

INSTANTIATE_TEST_SUITE_P(Backends, BothBackendsTest, ::testing::ValuesIn(kBackends), BackendName);

}  // namespace
}  // namespace netfin::store
