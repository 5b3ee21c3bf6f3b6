#pragma once

// store: durable persistence of the ledger's journal.
//
// The ledger hands the store one Batch per group commit; Append returns only
// after the batch is durable (fsync), in one storage transaction, so a batch
// is either wholly there after a crash or not at all. Each batch carries a
// BLAKE2b checksum chained to the previous batch's (see docs/design/journal.md).
//
// Reads (lookups, an account's transfers, balance history) see only durable,
// committed data and are safe from any thread while the writer appends.
//
// Only this folder includes sqlite3.h; everything above sees this interface.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/checksum.h"
#include "core/status.h"
#include "store/records.h"

namespace netfin::store {

using core::Result;
using core::Status;

// Everything one group commit changes. Accounts, transfers and expiries are
// the journal's immutable records, covered by the checksum; accounts_updated
// and balances are derived state (current balances, history) stored beside them.
struct Batch {
  std::vector<Account> accounts_created;      // as created: zero balances
  std::vector<Transfer> transfers_created;    // with the amount that actually moved
  std::vector<Expiry> expiries;
  std::vector<Account> accounts_updated;      // final state of every account the batch touched
  std::vector<AccountBalance> balances;       // history rows, for `history` accounts
  // Role events, sequence numbers contiguous: the first follows the
  // previous batch's last (ChainHead::event_sequence_max). Covered by the
  // checksum.
  std::vector<RoleEvent> events;

  // Ledger events (accounts and transfers created); role events are not counted.
  size_t EventCount() const { return accounts_created.size() + transfers_created.size(); }
  // The largest timestamp of the batch's records. REQUIRES: each list in
  // timestamp order (the ledger writes them so).
  uint64_t TimestampMax() const {
    uint64_t max = 0;
    if (!accounts_created.empty()) max = accounts_created.back().timestamp;
    if (!transfers_created.empty() && transfers_created.back().timestamp > max) {
      max = transfers_created.back().timestamp;
    }
    if (!expiries.empty() && expiries.back().timestamp > max) max = expiries.back().timestamp;
    return max;
  }
  bool Empty() const {
    return accounts_created.empty() && transfers_created.empty() && expiries.empty() &&
           events.empty();
  }
};

// The last committed batch.
struct ChainHead {
  uint64_t batch_number = 0;  // 0: nothing committed yet
  core::Checksum checksum{};  // all zero before the first batch
  uint64_t timestamp_max = 0; // the largest ledger record timestamp committed so far
  uint64_t event_sequence_max = 0;  // the last role event's sequence (0: none yet)
};

enum class Durability {
  kSync,   // fsync every commit (the default, and the only mode `serve` uses)
  kAsync,  // leave flushing to the OS: for tests that measure nothing durable
};

struct StoreOptions {
  Durability durability = Durability::kSync;
  uint32_t reader_connections = 4;
};

// Which of an account's transfers (or balances) a query returns.
// TigerBeetle's AccountFilter: a time range, a side, a limit and a direction.
struct AccountFilter {
  Id128 account_id;
  uint64_t timestamp_min = 0;  // inclusive; 0 = unbounded
  uint64_t timestamp_max = 0;  // inclusive; 0 = unbounded
  uint32_t limit = 0;          // REQUIRES: 1..kQueryLimitMax
  bool debits = true;          // include transfers where the account is debited
  bool credits = true;         // include transfers where the account is credited
  bool reversed = false;       // newest first
};

// Receives the whole durable state at recovery, in this order: every account
// (current balances), then every transfer in timestamp order, then every
// expiry in timestamp order.
class StateVisitor {
 public:
  virtual ~StateVisitor() = default;
  virtual void OnAccount(const Account& account) = 0;
  virtual void OnTransfer(const Transfer& transfer) = 0;
  virtual void OnExpiry(const Expiry& expiry) = 0;
  // Every role event, in sequence order, after all expiries.
  virtual void OnEvent(const RoleEvent& event) { (void)event; }
};

// Which role events a feed read returns: those after a cursor, optionally
// only those concerning one party, oldest first.
struct EventFilter {
  uint64_t after_sequence = 0;  // exclusive
  Id128 subject;                // zero: every event; else subject_a or subject_b equals it
  uint32_t limit = 0;           // REQUIRES: 1..kQueryLimitMax
};

struct StoreStats {
  uint64_t batches = 0;  // committed since open
  uint64_t events = 0;   // accounts + transfers committed since open
  uint64_t fsyncs = 0;   // real fsync/fdatasync calls since open, counted at the VFS
};

struct ChainReport {
  uint64_t batches_checked = 0;
  uint64_t records_checked = 0;
  // Empty when the chain is intact; otherwise the first broken batch.
  std::optional<uint64_t> first_bad_batch;
  std::string detail;
};

class Store {
 public:
  virtual ~Store() = default;

  // Durably appends one batch as the next link of the chain. On failure
  // nothing of the batch is stored, and the store refuses further appends
  // (the caller's in-memory state no longer matches the disk).
  // REQUIRES: one writer thread at a time; batch not empty.
  virtual Status Append(const Batch& batch) = 0;

  virtual ChainHead Head() const = 0;

  // Streams the durable state into visitor (recovery). Writer thread only.
  virtual Status Load(StateVisitor& visitor) = 0;

  // Queries on durable data; thread-safe.
  virtual Result<std::optional<Account>> LookupAccount(const Id128& id) = 0;
  virtual Result<std::optional<Transfer>> LookupTransfer(const Id128& id) = 0;
  virtual Result<std::vector<Transfer>> GetAccountTransfers(const AccountFilter& filter) = 0;
  virtual Result<std::vector<AccountBalance>> GetAccountBalances(const AccountFilter& filter) = 0;
  virtual Result<std::vector<RoleEvent>> ReadEvents(const EventFilter& filter) = 0;

  // Recomputes every batch's checksum from the stored records and compares
  // it with the stored chain.
  virtual Status VerifyChain(ChainReport* report) = 0;

  virtual StoreStats Stats() const = 0;
};

// Opens (creating if needed) the SQLite store at path: WAL mode, one
// transaction per Append, synchronous=FULL when options.durability is kSync.
Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options = {});

// Opens (creating if needed) the journal store at path: an append-only
// binary file, one checksummed frame per Append (one write, then fdatasync
// when options.durability is kSync), and an in-memory index for queries
// rebuilt from the file at open. A torn last frame (never acknowledged) is
// truncated; any other bad frame fails the open with kCorruption. Far fewer
// bytes written per transfer than SQLite; queries go through this interface
// only (no SQL). options.reader_connections is ignored. See
// docs/design/journal.md, "Journal backend", and store/journal_store.h.
Result<std::unique_ptr<Store>> OpenJournalStore(const std::string& path,
                                                const StoreOptions& options = {});

// The journal's canonical encoding of records for checksums: fixed-width
// little-endian fields in declaration order. Shared by every store
// implementation so that the chain means the same thing everywhere.
core::Checksum ChainChecksum(const core::Checksum& previous, uint64_t batch_number,
                             const Batch& batch);

}  // namespace netfin::store
