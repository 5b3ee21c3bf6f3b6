// Tests of the SQLite store. Tampering and fault injection go through a raw
// sqlite3 connection, as a user with the sqlite3 shell would (this test lives
// in src/store/, the one folder allowed to include sqlite3.h).

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "core/scratch_dir.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace netfin::store {
namespace {

using core::kAmountMax;
using core::StatusCode;
using namespace testing;  // NOLINT: the shared builders


// Runs SQL on its own connection through the default VFS.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << sql << ": " << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

// The first column of the first row of a query, as text.
std::string RawQuery(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  NETFIN_ASSERT(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  NETFIN_ASSERT(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK);
  std::string text;
  if (sqlite3_step(stmt) == SQLITE_ROW) {
    text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return text;
}

class SqliteStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/ledger.db"; }

  // Async unless a test measures durability: fsyncs only slow the tests.
  std::unique_ptr<Store> Open(Durability durability = Durability::kAsync) const {
    StoreOptions options;
    options.durability = durability;
    options.reader_connections = 2;
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path(), options);
    NETFIN_ASSERT(store.ok());
    return std::move(store).value();
  }

  static ChainReport Verify(Store& store) {
    ChainReport report;
    const Status status = store.VerifyChain(&report);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return report;
  }

  core::ScratchDir dir_;
};

// --- Round trips and the head ---

TEST_F(SqliteStoreTest, RoundTripsEveryFieldAtItsLimits) {
  const RecordsAtLimits r = MakeRecordsAtLimits();
  MustAppend(*Open(), r.batch);
  std::unique_ptr<Store> store = Open();  // everything below comes from disk
  ExpectRecordsAtLimits(*store, r);
  EXPECT_FALSE(Verify(*store).first_bad_batch);
  // What a user sees with the sqlite3 shell: big-endian ids, bit-cast u64.
  EXPECT_EQ(RawQuery(path(), "SELECT hex(id) FROM accounts WHERE code = 65535"),
            "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFE");
  EXPECT_EQ(RawQuery(path(), "SELECT user_data_64 FROM accounts WHERE code = 65535"), "-1");
}

// Queries: store_query_test.cc runs the same cases against both backends.

// --- The checksum chain ---

struct TamperCase {
  const char* name;
  const char* sql;
  std::optional<uint64_t> first_bad_batch;
};

TEST_F(SqliteStoreTest, VerifyChainFindsTheFirstTamperedBatch) {
  const TamperCase cases[] = {
      {"untouched", "SELECT 1", std::nullopt},
      {"transfer amount", "UPDATE transfers SET amount = 2 WHERE timestamp = 30", 3},
      {"account ledger", "UPDATE accounts SET ledger = 9 WHERE timestamp = 2", 1},
      {"account user data", "UPDATE accounts SET user_data_32 = 1 WHERE timestamp = 35", 3},
      {"deleted expiry", "DELETE FROM expiries", 2},
      {"deleted middle batch row", "DELETE FROM batches WHERE number = 2", 2},
      {"deleted last batch row", "DELETE FROM batches WHERE number = 3", 3},
      {"stored checksum", "UPDATE batches SET checksum = zeroblob(32) WHERE number = 2", 2},
      {"short checksum", "UPDATE batches SET checksum = x'00' WHERE number = 1", 1},
      {"stored timestamp_max", "UPDATE batches SET timestamp_max = 99 WHERE number = 3", 3},
      {"transfer moved to another batch", "UPDATE transfers SET batch = 2 WHERE timestamp = 30", 2},
      {"malformed id", "UPDATE transfers SET id = x'01' WHERE timestamp = 30", 3},
      {"added transfer",
       "INSERT INTO transfers SELECT x'00000000000000000000000000000063', debit_account_id, "
       "credit_account_id, amount, pending_id, user_data_128, user_data_64, user_data_32, "
       "timeout, ledger, code, flags, 15, batch FROM transfers WHERE timestamp = 10",
       2},
      // Balances are derived state, checked by `netfin verify`, not by the chain.
      {"current balance", "UPDATE accounts SET debits_posted = 5 WHERE timestamp = 1",
       std::nullopt},
  };
  for (const TamperCase& c : cases) {
    core::ScratchDir dir;
    const std::string path = dir.File("ledger.db");
    {
      std::unique_ptr<Store> store = std::move(OpenSqliteStore(path)).value();
      AppendThreeBatches(*store);
    }
    RawExec(path, c.sql);
    std::unique_ptr<Store> store = std::move(OpenSqliteStore(path)).value();
    const ChainReport report = Verify(*store);
    EXPECT_EQ(report.first_bad_batch, c.first_bad_batch) << c.name << ": " << report.detail;
    EXPECT_EQ(report.detail.empty(), !c.first_bad_batch) << c.name;
  }
}

// AppendBatchesWithEvents: batch 1 holds events 1-2, batch 2 events 3-4 (and
// nothing else), batch 3 event 5.
TEST_F(SqliteStoreTest, VerifyChainFindsATamperedRoleEvent) {
  const TamperCase cases[] = {
      {"untouched", "SELECT 1", std::nullopt},
      {"payload", "UPDATE role_events SET payload = x'00fe' WHERE sequence = 4", 2},
      {"payload emptied", "UPDATE role_events SET payload = x'' WHERE sequence = 1", 1},
      {"payload as text", "UPDATE role_events SET payload = 'linked' WHERE sequence = 2", 1},
      {"payload over the limit",
       "UPDATE role_events SET payload = zeroblob(65537) WHERE sequence = 5", 3},
      {"role", "UPDATE role_events SET role = 9 WHERE sequence = 5", 3},
      {"role out of range", "UPDATE role_events SET role = 65536 WHERE sequence = 1", 1},
      {"type", "UPDATE role_events SET type = 9 WHERE sequence = 3", 2},
      {"timestamp", "UPDATE role_events SET timestamp = 1 WHERE sequence = 3", 2},
      {"subject added",
       "UPDATE role_events SET subject_b = x'00000000000000000000000000000002' WHERE sequence = 1",
       1},
      {"subject removed", "UPDATE role_events SET subject_a = NULL WHERE sequence = 5", 3},
      {"deleted event", "DELETE FROM role_events WHERE sequence = 3", 2},
      {"deleted last event", "DELETE FROM role_events WHERE sequence = 5", 3},
      {"renumbered event", "UPDATE role_events SET sequence = 9 WHERE sequence = 5", 3},
      {"added event after the last",
       "INSERT INTO role_events SELECT 6, timestamp, role, type, subject_a, subject_b, payload "
       "FROM role_events WHERE sequence = 5",
       4},
      {"stored event count", "UPDATE batches SET events = 1 WHERE number = 2", 2},
      {"stored event_sequence_max", "UPDATE batches SET event_sequence_max = 3 WHERE number = 2",
       2},
      {"stored event_sequence_max beyond the events",
       "UPDATE batches SET event_sequence_max = 7 WHERE number = 3", 3},
      {"events moved between batches",
       "UPDATE batches SET events = 3, event_sequence_max = 5 WHERE number = 2", 2},
  };
  for (const TamperCase& c : cases) {
    core::ScratchDir dir;
    const std::string path = dir.File("ledger.db");
    std::unique_ptr<Store> store = std::move(OpenSqliteStore(path)).value();
    AppendBatchesWithEvents(*store);
    RawExec(path, c.sql);
    // The live store's VerifyChain reads the tables, not what it appended.
    const ChainReport report = Verify(*store);
    EXPECT_EQ(report.first_bad_batch, c.first_bad_batch) << c.name << ": " << report.detail;
    EXPECT_EQ(report.detail.empty(), !c.first_bad_batch) << c.name;
  }
}

// The roles rebuild their state from the events and the ledger numbers the
// next one after the last: a gap fails the load instead of reaching them.
TEST_F(SqliteStoreTest, LoadRefusesRoleEventsWithAGap) {
  for (const char* sql : {"DELETE FROM role_events WHERE sequence = 3",
                          "DELETE FROM role_events WHERE sequence = 5"}) {
    core::ScratchDir dir;
    const std::string path = dir.File("ledger.db");
    AppendBatchesWithEvents(*std::move(OpenSqliteStore(path)).value());
    RawExec(path, sql);
    std::unique_ptr<Store> store = std::move(OpenSqliteStore(path)).value();
    RecordingVisitor loaded;
    const Status status = store->Load(loaded);
    EXPECT_EQ(status.code(), StatusCode::kCorruption) << sql << ": " << status.ToString();
  }
}

TEST_F(SqliteStoreTest, RoleEventsArePlainSql) {
  AppendBatchesWithEvents(*Open());
  EXPECT_EQ(RawQuery(path(), "SELECT hex(subject_a) FROM role_events WHERE sequence = 2"),
            "00000000000000000000000000000002");
  EXPECT_EQ(RawQuery(path(), "SELECT subject_b IS NULL FROM role_events WHERE sequence = 1"), "1");
  EXPECT_EQ(RawQuery(path(), "SELECT CAST(payload AS TEXT) FROM role_events WHERE sequence = 5"),
            "paid");
  EXPECT_EQ(RawQuery(path(), "SELECT typeof(payload) FROM role_events WHERE sequence = 3"), "blob");
  EXPECT_EQ(RawQuery(path(), "SELECT hex(payload) FROM role_events WHERE sequence = 4"), "00FF");
  EXPECT_EQ(RawQuery(path(),
                     "SELECT group_concat(number || ':' || events || ':' || event_sequence_max || "
                     "':' || timestamp_max, ' ') FROM batches"),
            "1:2:2:2 2:2:4:2 3:1:5:11");
}

// A database from before role events gains them through migration 2, and
// its chain, written without them, still verifies.
TEST_F(SqliteStoreTest, DatabaseFromBeforeRoleEventsIsMigrated) {
  AppendThreeBatches(*Open());
  RawExec(path(),
          "DROP TABLE role_events; ALTER TABLE batches DROP COLUMN events; "
          "ALTER TABLE batches DROP COLUMN event_sequence_max; "
          "DELETE FROM schema_migrations WHERE version = 2");
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, 3u);
  EXPECT_EQ(store->Head().event_sequence_max, 0u);
  Batch events_only;
  events_only.events = {NewEvent(1, 1, 0, "first")};
  MustAppend(*store, events_only);
  store.reset();
  store = Open();
  const ChainReport report = Verify(*store);
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_EQ(report.batches_checked, 4u);
  EXPECT_EQ(store->Head().event_sequence_max, 1u);
  EXPECT_EQ(store->Head().timestamp_max, 40u);
}

TEST_F(SqliteStoreTest, VerifyChainOfAnIntactStoreCountsEveryRecord) {
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(Verify(*store).batches_checked, 0u);
  AppendThreeBatches(*store);
  const ChainReport report = Verify(*store);
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_EQ(report.batches_checked, 3u);
  EXPECT_EQ(report.records_checked, 9u);  // 4 accounts, 4 transfers, 1 expiry
}

// --- Durability, failure and stats ---

TEST_F(SqliteStoreTest, DurableAppendsCountRealSyncs) {
  std::unique_ptr<Store> store = Open(Durability::kSync);
  const uint64_t at_open = store->Stats().fsyncs;
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  const uint64_t after_one = store->Stats().fsyncs;
  EXPECT_GT(after_one, at_open);
  MustAppend(*store, NewBatch({}, {NewTransfer(3, 1, 2, 3)}));
  EXPECT_GT(store->Stats().fsyncs, after_one);
  EXPECT_EQ(store->Stats().batches, 2u);
  EXPECT_EQ(store->Stats().events, 3u);
}

TEST_F(SqliteStoreTest, FailedAppendLeavesNothingAndRefusesLaterAppends) {
  std::unique_ptr<Store> store = Open();
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  const ChainHead head = store->Head();
  RawExec(path(),
          "CREATE TRIGGER refuse BEFORE INSERT ON transfers WHEN NEW.amount = 666 "
          "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
  Transfer doomed = NewTransfer(5, 1, 2, 5);
  doomed.amount = 666;
  const Status failed = store->Append(NewBatch({NewAccount(3, 4)}, {doomed}));
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("injected failure"), std::string::npos) << failed.message();
  EXPECT_EQ(store->Head().checksum, head.checksum);
  EXPECT_FALSE(store->LookupAccount(Id128::FromU64(3)).value().has_value());  // rolled back
  const Batch valid = NewBatch({}, {NewTransfer(6, 1, 2, 6)});
  EXPECT_EQ(store->Append(valid).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Stats().batches, 1u);
  store.reset();
  store = Open();  // a restart recovers from what is on disk
  EXPECT_EQ(store->Head().batch_number, 1u);
  MustAppend(*store, valid);
  EXPECT_FALSE(Verify(*store).first_bad_batch);
}

TEST_F(SqliteStoreTest, UpdateOfAnAccountMissingFromDiskFailsTheAppend) {
  std::unique_ptr<Store> store = Open();
  MustAppend(*store, NewBatch({NewAccount(1, 1)}));
  Batch batch = NewBatch({NewAccount(2, 2)});
  batch.accounts_updated = {NewAccount(3, 3)};  // never created
  EXPECT_EQ(store->Append(batch).code(), StatusCode::kCorruption);
  EXPECT_FALSE(store->LookupAccount(Id128::FromU64(2)).value().has_value());
}

// --- Schema and options ---

TEST_F(SqliteStoreTest, MigrationsRunOnceAndNewerSchemasAreRefused) {
  Open();
  Open();
  EXPECT_EQ(RawQuery(path(),
                     "SELECT group_concat(version || ':' || description) FROM "
                     "schema_migrations"),
            "1:initial schema,2:role events");
  RawExec(path(), "INSERT INTO schema_migrations VALUES (99, 'from the future')");
  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(SqliteStoreTest, OpensInWalMode) {
  Open();
  EXPECT_EQ(RawQuery(path(), "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, RejectsAReaderCountOutOfRange) {
  for (uint32_t readers : {0u, 65u}) {
    StoreOptions options;
    options.reader_connections = readers;
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path(), options);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace netfin::store
