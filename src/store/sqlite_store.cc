// SqliteStore: the journal in one SQLite file in WAL mode. The schema, the
// checksum chain and recovery are described in docs/design/journal.md.
//
// Layout of this file, bottom-up: the fsync-counting VFS; connection and
// statement helpers; the row codecs (one Bind/Read pair per record); the SQL
// (migrations and statements); the reader pool; VerifyChain's walk; the store.

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "store/append_rules.h"
#include "store/store.h"

namespace netfin::store {
namespace {

using core::Checksum;

// Each reader connection costs a file descriptor and a page cache; a few
// dozen already exceed what a 16-core machine can keep busy.
constexpr uint32_t kReaderConnectionsMax = 64;

// How long a connection waits on a lock held by another before failing. In
// WAL mode readers never wait on the writer; this covers WAL recovery at open
// and a second process opening the same file.
constexpr int kBusyTimeoutMs = 5000;

// The writer's page cache, in KiB (SQLite's negative cache_size), allocated
// only as pages are used. Each transfer inserts one entry at a random place
// in each account index, so every batch touches leaves all over both; at a
// million transfers those leaves alone are ~90 MiB. 256 MiB keeps them
// resident into the millions instead of re-reading them from the WAL or
// the OS page cache.
constexpr int kWriterCacheKib = 256 * 1024;

// WAL pages (4 KiB, SQLite's default page size) after which a commit also
// checkpoints the WAL into the database: it copies the newest version of
// each page to the database file and fsyncs it, then the next commit
// rewrites the WAL from its start (one more fsync for the header). A full
// batch writes 5-50 MiB of WAL (random index leaves), so SQLite's default
// of 4 MiB would checkpoint at every commit; 256 MiB checkpoints every ~5
// full batches, the same index leaves rewritten by those batches are copied
// once, and the DB fsync is shared. Measured at 1M transfers (10k accounts):
// 64 MiB -> 256 MiB cut the commit phase from ~150 to ~90 ms per batch and
// the bytes written by 21%; 512 MiB gained only ~8% more at twice the WAL
// that a crash recovery must scan. Never checkpointing is worse: a WAL that
// keeps growing costs block allocation on every write (4x slower writes).
constexpr int kWalAutocheckpointPages = 65536;

// After a checkpoint resets the WAL, SQLite truncates the file to this size
// if it grew beyond (a reader holding an old snapshot can keep a checkpoint
// from finishing). Above the ~330 MiB a WAL reaches in steady state (the
// threshold plus one batch), so the steady-state file is overwritten in
// place: overwriting allocated blocks is far cheaper than growing a file.
constexpr int64_t kWalSizeLimitBytes = 512LL * 1024 * 1024;

// ---------------------------------------------------------------------------
// The fsync-counting VFS.
//
// StoreStats.fsyncs must report real syncs, not commits, so that group commit
// can be measured. A thin VFS forwards every call to the default VFS and
// counts xSync. Each store registers its own instance (uniquely named) so its
// count covers only its own files, even with several stores in one process.

// A file opened through the counting VFS. SQLite sees `base`, whose methods
// forward to `real`: the default VFS's file, which lives in the same
// allocation right after this struct (szOsFile covers both).
struct CountingFile {
  sqlite3_file base;
  sqlite3_file* real;
  std::atomic<uint64_t>* syncs;
};
static_assert(std::is_standard_layout_v<CountingFile>);
// The real file needs 8-byte alignment; SQLite aligns the allocation to 8.
static_assert(sizeof(CountingFile) % 8 == 0);

CountingFile* AsCounting(sqlite3_file* file) { return reinterpret_cast<CountingFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return AsCounting(file)->real; }

// Forwarding io methods advertising `version`, so that SQLite never calls a
// method the real file lacks (shared memory from 2, memory mapping from 3).
sqlite3_io_methods MakeIoMethods(int version) {
  sqlite3_io_methods m{};
  m.iVersion = version;
  m.xClose = [](sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); };
  m.xRead = [](sqlite3_file* f, void* data, int size, sqlite3_int64 offset) {
    return Real(f)->pMethods->xRead(Real(f), data, size, offset);
  };
  m.xWrite = [](sqlite3_file* f, const void* data, int size, sqlite3_int64 offset) {
    return Real(f)->pMethods->xWrite(Real(f), data, size, offset);
  };
  m.xTruncate = [](sqlite3_file* f, sqlite3_int64 size) {
    return Real(f)->pMethods->xTruncate(Real(f), size);
  };
  m.xSync = [](sqlite3_file* f, int flags) {
    AsCounting(f)->syncs->fetch_add(1, std::memory_order_relaxed);
    return Real(f)->pMethods->xSync(Real(f), flags);
  };
  m.xFileSize = [](sqlite3_file* f, sqlite3_int64* size) {
    return Real(f)->pMethods->xFileSize(Real(f), size);
  };
  m.xLock = [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xLock(Real(f), lock); };
  m.xUnlock = [](sqlite3_file* f, int lock) { return Real(f)->pMethods->xUnlock(Real(f), lock); };
  m.xCheckReservedLock = [](sqlite3_file* f, int* out) {
    return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
  };
  m.xFileControl = [](sqlite3_file* f, int op, void* arg) {
    return Real(f)->pMethods->xFileControl(Real(f), op, arg);
  };
  m.xSectorSize = [](sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); };
  m.xDeviceCharacteristics = [](sqlite3_file* f) {
    return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
  };
  if (version < 2) return m;
  m.xShmMap = [](sqlite3_file* f, int page, int page_size, int extend, void volatile** out) {
    return Real(f)->pMethods->xShmMap(Real(f), page, page_size, extend, out);
  };
  m.xShmLock = [](sqlite3_file* f, int offset, int n, int flags) {
    return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
  };
  m.xShmBarrier = [](sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); };
  m.xShmUnmap = [](sqlite3_file* f, int delete_flag) {
    return Real(f)->pMethods->xShmUnmap(Real(f), delete_flag);
  };
  if (version < 3) return m;
  m.xFetch = [](sqlite3_file* f, sqlite3_int64 offset, int size, void** out) {
    return Real(f)->pMethods->xFetch(Real(f), offset, size, out);
  };
  m.xUnfetch = [](sqlite3_file* f, sqlite3_int64 offset, void* page) {
    return Real(f)->pMethods->xUnfetch(Real(f), offset, page);
  };
  return m;
}

const sqlite3_io_methods* IoMethodsFor(int real_version) {
  static const std::array<sqlite3_io_methods, 3> kTables = {MakeIoMethods(1), MakeIoMethods(2),
                                                            MakeIoMethods(3)};
  return &kTables[static_cast<size_t>(std::clamp(real_version, 1, 3) - 1)];
}

// Owns one registered counting VFS. Lifecycle: Register, open connections
// with name(), close them all, then destroy (which unregisters).
class CountingVfs {
 public:
  CountingVfs(const CountingVfs&) = delete;
  CountingVfs& operator=(const CountingVfs&) = delete;
  ~CountingVfs() { sqlite3_vfs_unregister(&vfs_); }

  static Result<std::unique_ptr<CountingVfs>> Register() {
    sqlite3_vfs* real = sqlite3_vfs_find(nullptr);
    if (real == nullptr) return core::Internal("SQLite has no default VFS");
    static std::atomic<uint64_t> instances{0};
    auto vfs = std::unique_ptr<CountingVfs>(
        new CountingVfs(real, "netfin-counting-" + std::to_string(instances++)));
    if (sqlite3_vfs_register(&vfs->vfs_, 0) != SQLITE_OK) {
      return core::Internal("cannot register the counting VFS");
    }
    return vfs;
  }

  const char* name() const { return name_.c_str(); }
  uint64_t syncs() const { return syncs_.load(std::memory_order_relaxed); }

 private:
  CountingVfs(sqlite3_vfs* real, std::string name) : real_(real), name_(std::move(name)) {
    // Version 2 adds only xCurrentTimeInt64; version 3's system-call hooks
    // exist for SQLite's own fault tests and are not forwarded.
    vfs_.iVersion = std::min(real->iVersion, 2);
    vfs_.szOsFile = static_cast<int>(sizeof(CountingFile)) + real->szOsFile;
    vfs_.mxPathname = real->mxPathname;
    vfs_.zName = name_.c_str();
    vfs_.pAppData = this;
    vfs_.xOpen = &CountingVfs::Open;
    SetForwarders();
  }

  static sqlite3_vfs* RealOf(sqlite3_vfs* vfs) {
    return static_cast<CountingVfs*>(vfs->pAppData)->real_;
  }

  static int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags,
                  int* out_flags) {
    auto* self = static_cast<CountingVfs*>(vfs->pAppData);
    CountingFile* counting = AsCounting(file);
    counting->real = reinterpret_cast<sqlite3_file*>(counting + 1);
    counting->syncs = &self->syncs_;
    const int rc = self->real_->xOpen(self->real_, name, counting->real, flags, out_flags);
    // SQLite calls xClose whenever pMethods is set, even after a failed open,
    // so ours is set exactly when the real file's is.
    const sqlite3_io_methods* real_methods = counting->real->pMethods;
    counting->base.pMethods = real_methods ? IoMethodsFor(real_methods->iVersion) : nullptr;
    return rc;
  }

  void SetForwarders() {
    vfs_.xDelete = [](sqlite3_vfs* v, const char* name, int sync_dir) {
      return RealOf(v)->xDelete(RealOf(v), name, sync_dir);
    };
    vfs_.xAccess = [](sqlite3_vfs* v, const char* name, int flags, int* out) {
      return RealOf(v)->xAccess(RealOf(v), name, flags, out);
    };
    vfs_.xFullPathname = [](sqlite3_vfs* v, const char* name, int size, char* out) {
      return RealOf(v)->xFullPathname(RealOf(v), name, size, out);
    };
    vfs_.xDlOpen = [](sqlite3_vfs* v, const char* name) {
      return RealOf(v)->xDlOpen(RealOf(v), name);
    };
    vfs_.xDlError = [](sqlite3_vfs* v, int size, char* out) {
      RealOf(v)->xDlError(RealOf(v), size, out);
    };
    vfs_.xDlSym = [](sqlite3_vfs* v, void* handle, const char* symbol) -> void (*)(void) {
      return RealOf(v)->xDlSym(RealOf(v), handle, symbol);
    };
    vfs_.xDlClose = [](sqlite3_vfs* v, void* handle) { RealOf(v)->xDlClose(RealOf(v), handle); };
    vfs_.xRandomness = [](sqlite3_vfs* v, int size, char* out) {
      return RealOf(v)->xRandomness(RealOf(v), size, out);
    };
    vfs_.xSleep = [](sqlite3_vfs* v, int us) { return RealOf(v)->xSleep(RealOf(v), us); };
    vfs_.xCurrentTime = [](sqlite3_vfs* v, double* out) {
      return RealOf(v)->xCurrentTime(RealOf(v), out);
    };
    vfs_.xGetLastError = [](sqlite3_vfs* v, int size, char* out) {
      return RealOf(v)->xGetLastError(RealOf(v), size, out);
    };
    vfs_.xCurrentTimeInt64 = [](sqlite3_vfs* v, sqlite3_int64* out) {
      return RealOf(v)->xCurrentTimeInt64(RealOf(v), out);
    };
  }

  sqlite3_vfs vfs_{};
  sqlite3_vfs* real_;
  std::string name_;
  std::atomic<uint64_t> syncs_{0};
};

// ---------------------------------------------------------------------------
// Connections and statements.

struct ConnectionCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Connection = std::unique_ptr<sqlite3, ConnectionCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

Status SqliteError(sqlite3* db, std::string_view what) {
  return core::IoError(std::string(what) + ": " + sqlite3_errmsg(db));
}

Result<Connection> OpenConnection(const std::string& path, int flags, const char* vfs) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, vfs);
  Connection db(raw);  // SQLite may return a handle even on failure; it must be closed
  if (db == nullptr) return core::IoError("cannot open " + path + ": out of memory");
  if (rc != SQLITE_OK) return SqliteError(db.get(), "cannot open " + path);
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
  return db;
}

// Statements are prepared once and reused for the life of the connection.
Status Prepare(sqlite3* db, std::string_view sql, Statement* out) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  out->reset(raw);
  if (rc != SQLITE_OK) return SqliteError(db, "cannot prepare \"" + std::string(sql) + "\"");
  return Status::Ok();
}

// Runs SQL that returns no rows and is not on the hot path (schema, pragmas).
Status Exec(sqlite3* db, const std::string& sql) {
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) return Status::Ok();
  return SqliteError(db, sql);
}

// Resets a statement when leaving scope: a statement left mid-way holds its
// read snapshot open, which would hide later commits from a reader and keep
// the WAL from being checkpointed.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() { sqlite3_reset(stmt_); }

 private:
  sqlite3_stmt* stmt_;
};

// Rolls back the open transaction, if any: a failed COMMIT may already have
// rolled back, and ROLLBACK would then fail. Its own failure changes nothing
// for the caller, who is already reporting the first one.
void RollBackIfOpen(sqlite3* db) {
  if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
}

// Steps a statement that returns no rows (INSERT, UPDATE, BEGIN, COMMIT).
Status Execute(sqlite3* db, sqlite3_stmt* stmt, std::string_view what) {
  ResetOnExit reset(stmt);
  if (sqlite3_step(stmt) == SQLITE_DONE) return Status::Ok();
  return SqliteError(db, what);
}

// ---------------------------------------------------------------------------
// Row codecs. Ids are 16-byte big-endian BLOBs (byte order sorts like numeric
// order); u64 fields are bit-cast to SQL's signed INTEGER; amounts and
// timestamps are at most INT64_MAX and so read back as themselves.

constexpr size_t kIdsPerRowMax = 5;  // a transfer's ids

// Rows per multi-row INSERT. Each statement execution pays for
// sqlite3_step/sqlite3_reset and the VDBE's setup; 64 rows share it, which
// cut the CPU time of a batch's inserts by 14% (docs/design/journal.md).
// 64 rows of at most 14 columns stay far below SQLITE_MAX_VARIABLE_NUMBER
// (32766); the remainder (< 64 rows) goes through the single-row statement.
constexpr size_t kRowsPerInsert = 64;

// Binds a statement's parameters left to right. Ids are copied into the
// binder's own buffers (one row's) or, for a multi-row statement, into `ids`
// kept by the caller, and bound SQLITE_STATIC, so a row costs no allocation.
// REQUIRES: the binder and `ids` outlive the sqlite3_step that uses the row.
class Binder {
 public:
  explicit Binder(sqlite3_stmt* stmt) : stmt_(stmt) { ids_ = own_ids_; }
  Binder(sqlite3_stmt* stmt, std::span<Id128::Bytes> ids) : stmt_(stmt), ids_(ids) {}
  Binder(const Binder&) = delete;  // ids_ may point into own_ids_
  Binder& operator=(const Binder&) = delete;

  void Id(const Id128& id) {
    NETFIN_ASSERT(ids_used_ < ids_.size());
    Id128::Bytes& bytes = ids_[ids_used_++];
    bytes = id.ToBytes();
    Blob(bytes.data(), bytes.size());
  }
  // NULL for the zero id, which means "none" (a role event's subjects).
  void OptionalId(const Id128& id) {
    if (id.IsZero()) {
      Check(sqlite3_bind_null(stmt_, ++index_));
      return;
    }
    Id(id);
  }
  void U64(uint64_t value) {
    Check(sqlite3_bind_int64(stmt_, ++index_, std::bit_cast<int64_t>(value)));
  }
  // A record field: ids as blobs, every integer as a (bit-cast) INTEGER.
  void Field(const Id128& id) { Id(id); }
  void Field(uint64_t value) { U64(value); }
  // REQUIRES: data stays valid until the step.
  void Blob(const unsigned char* data, size_t size) {
    NETFIN_ASSERT(size <= static_cast<size_t>(INT32_MAX));
    Check(sqlite3_bind_blob(stmt_, ++index_, data, static_cast<int>(size), SQLITE_STATIC));
  }
  // A BLOB, never NULL, even when empty. REQUIRES: bytes outlive the step.
  void Bytes(std::string_view bytes) {
    // sqlite3_bind_blob binds NULL for a null pointer; an empty view may have one.
    static const unsigned char kEmpty = 0;
    const auto* data =
        bytes.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(bytes.data());
    Blob(data, bytes.size());
  }

 private:
  // A bind fails only on a wrong index or a misused statement: a bug here.
  static void Check(int rc) { NETFIN_ASSERT(rc == SQLITE_OK); }

  sqlite3_stmt* stmt_;
  int index_ = 0;
  size_t ids_used_ = 0;
  std::array<Id128::Bytes, kIdsPerRowMax> own_ids_;
  std::span<Id128::Bytes> ids_;
};

// Reads a row's columns left to right, checking each against its field's
// type and range. A value that doesn't fit (a tampered or foreign database)
// marks the row malformed instead of being silently truncated.
class Columns {
 public:
  explicit Columns(sqlite3_stmt* stmt) : stmt_(stmt) {}

  Id128 Id() {
    Id128::Bytes bytes{};
    FixedBlob(bytes.data(), bytes.size());
    return Id128::FromBytes(bytes.data());
  }
  // A BLOB of exactly `size` bytes, copied to out.
  void FixedBlob(unsigned char* out, size_t size) {
    const int column = index_++;
    const void* blob = sqlite3_column_blob(stmt_, column);
    if (sqlite3_column_type(stmt_, column) != SQLITE_BLOB ||
        sqlite3_column_bytes(stmt_, column) != static_cast<int>(size)) {
      malformed_ = true;
      return;
    }
    std::memcpy(out, blob, size);
  }
  // NULL (none: the zero id) or an id.
  Id128 OptionalId() {
    if (sqlite3_column_type(stmt_, index_) != SQLITE_NULL) return Id();
    index_++;
    return Id128::Zero();
  }
  // A BLOB of at most max bytes.
  std::string Bytes(size_t max) {
    const int column = index_++;
    // The type first: it is undefined once a read has converted the value.
    if (sqlite3_column_type(stmt_, column) != SQLITE_BLOB) {
      malformed_ = true;
      return {};
    }
    const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
    const size_t size = static_cast<size_t>(sqlite3_column_bytes(stmt_, column));
    if (size > max) {
      malformed_ = true;
      return {};
    }
    return size == 0 ? std::string() : std::string(blob, size);
  }
  // Any bit pattern: u64 fields stored bit-cast.
  uint64_t U64() { return std::bit_cast<uint64_t>(Integer()); }
  // 0..max, for amounts, timestamps and narrower fields.
  uint64_t Unsigned(uint64_t max) {
    const int64_t value = Integer();
    if (value < 0 || static_cast<uint64_t>(value) > max) malformed_ = true;
    return malformed_ ? 0 : static_cast<uint64_t>(value);
  }
  uint64_t Amount() { return Unsigned(core::kAmountMax); }
  uint64_t Timestamp() { return Unsigned(kTimestampMax); }
  uint32_t U32() { return static_cast<uint32_t>(Unsigned(UINT32_MAX)); }
  uint16_t U16() { return static_cast<uint16_t>(Unsigned(UINT16_MAX)); }
  // A record field, checked by its type and kind.
  void Field(Id128* id, FieldKind) { *id = Id(); }
  void Field(uint32_t* value, FieldKind) { *value = U32(); }
  void Field(uint16_t* value, FieldKind) { *value = U16(); }
  void Field(uint64_t* value, FieldKind kind) {
    *value = kind == FieldKind::kAmount      ? Amount()
             : kind == FieldKind::kTimestamp ? Timestamp()
                                             : U64();
  }

  bool malformed() const { return malformed_; }

 private:
  int64_t Integer() {
    const int column = index_++;
    if (sqlite3_column_type(stmt_, column) != SQLITE_INTEGER) malformed_ = true;
    return sqlite3_column_int64(stmt_, column);
  }

  sqlite3_stmt* stmt_;
  int index_ = 0;
  bool malformed_ = false;
};

// The column lists below and the Bind/Read functions after them name the
// fields in the same order (the records' declaration order).
constexpr std::string_view kAccountColumns =
    "id, debits_pending, debits_posted, credits_pending, credits_posted, user_data_128, "
    "user_data_64, user_data_32, ledger, code, flags, timestamp";

constexpr std::string_view kTransferColumns =
    "id, debit_account_id, credit_account_id, amount, pending_id, user_data_128, user_data_64, "
    "user_data_32, timeout, ledger, code, flags, timestamp";

constexpr std::string_view kExpiryColumns = "pending_id, timestamp";

constexpr std::string_view kBalanceColumns =
    "account_id, timestamp, debits_pending, debits_posted, credits_pending, credits_posted";

constexpr std::string_view kEventColumns =
    "sequence, timestamp, role, type, subject_a, subject_b, payload";

constexpr std::string_view kBatchColumns =
    "number, timestamp_max, accounts, transfers, expiries, checksum, events, event_sequence_max";

// Binds or reads a record's fields in ForEachField's order
// (store/records.h), which is the order of the column lists above.
template <typename Record>
void BindRecord(Binder& b, const Record& record) {
  ForEachField(record, [&b](const auto& field, FieldKind) { b.Field(field); });
}

template <typename Record>
Record ReadRecord(Columns& c) {
  Record record;
  ForEachField(record, [&c](auto& field, FieldKind kind) { c.Field(&field, kind); });
  return record;
}

void BindEvent(Binder& b, const RoleEvent& e) {
  b.U64(e.sequence);
  b.U64(e.timestamp);
  b.U64(e.role);
  b.U64(e.type);
  b.OptionalId(e.subject_a);
  b.OptionalId(e.subject_b);
  b.Bytes(e.payload);
}

RoleEvent ReadEvent(Columns& c) {
  return RoleEvent{.sequence = c.Unsigned(kEventSequenceMax),
                   .timestamp = c.Timestamp(),
                   .role = c.U16(),
                   .type = c.U16(),
                   .subject_a = c.OptionalId(),
                   .subject_b = c.OptionalId(),
                   .payload = c.Bytes(kRoleEventPayloadBytesMax)};
}

// Decodes the current row of stmt into *record.
template <typename Record>
Status ReadRow(sqlite3_stmt* stmt, Record (*read)(Columns&), Record* record) {
  Columns columns(stmt);
  *record = read(columns);
  if (!columns.malformed()) return Status::Ok();
  return core::Corruption(std::string("malformed row from \"") + sqlite3_sql(stmt) + "\"");
}

// Steps stmt through all its rows, handing each decoded record to sink.
// A malformed row stops the walk before sink sees it.
template <typename Record, typename Sink>
Status ForEachRecord(sqlite3* db, sqlite3_stmt* stmt, Record (*read)(Columns&), Sink&& sink) {
  ResetOnExit reset(stmt);
  Record record;
  int rc;
  while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    NETFIN_RETURN_IF_ERROR(ReadRow(stmt, read, &record));
    sink(record);
  }
  if (rc != SQLITE_DONE) return SqliteError(db, sqlite3_sql(stmt));
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// SQL.

// A schema change. Never edit a landed migration: databases created by an
// older netfin have already run it. Change the schema with a new one.
struct Migration {
  int version;
  const char* description;
  const char* sql;
};

// The schema, readable with the sqlite3 shell (`SELECT hex(id), ...`). Ids
// are 16-byte big-endian BLOBs; u64 user data is bit-cast to INTEGER, so
// values above INT64_MAX read as negative numbers there.
constexpr Migration kMigrations[] = {
    {1, "initial schema", R"sql(
-- Every account: its immutable fields as created, its current balances, and
-- the batch that created it (VerifyChain rebuilds each batch from it).
CREATE TABLE accounts (
  id              BLOB    NOT NULL PRIMARY KEY,
  debits_pending  INTEGER NOT NULL,
  debits_posted   INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  credits_posted  INTEGER NOT NULL,
  user_data_128   BLOB    NOT NULL,
  user_data_64    INTEGER NOT NULL,
  user_data_32    INTEGER NOT NULL,
  ledger          INTEGER NOT NULL,
  code            INTEGER NOT NULL,
  flags           INTEGER NOT NULL,
  timestamp       INTEGER NOT NULL UNIQUE,
  batch           INTEGER NOT NULL
) WITHOUT ROWID;

-- Every transfer, keyed by its timestamp: timestamps are unique and strictly
-- increasing, so each append lands at the end of the table's b-tree.
CREATE TABLE transfers (
  id                BLOB    NOT NULL UNIQUE,
  debit_account_id  BLOB    NOT NULL,
  credit_account_id BLOB    NOT NULL,
  amount            INTEGER NOT NULL,
  pending_id        BLOB    NOT NULL,
  user_data_128     BLOB    NOT NULL,
  user_data_64      INTEGER NOT NULL,
  user_data_32      INTEGER NOT NULL,
  timeout           INTEGER NOT NULL,
  ledger            INTEGER NOT NULL,
  code              INTEGER NOT NULL,
  flags             INTEGER NOT NULL,
  timestamp         INTEGER PRIMARY KEY,
  batch             INTEGER NOT NULL
);
-- An index entry carries the rowid (the timestamp) after the key, so these
-- are ordered by (account, timestamp) and serve time-ranged account queries.
CREATE INDEX transfers_debit ON transfers (debit_account_id);
CREATE INDEX transfers_credit ON transfers (credit_account_id);

-- Pending transfers released by timeout, each with its own timestamp.
CREATE TABLE expiries (
  timestamp  INTEGER PRIMARY KEY,
  pending_id BLOB    NOT NULL,
  batch      INTEGER NOT NULL
);

-- Balance history of accounts with the `history` flag: the balances just
-- after each transfer or expiry that touched the account.
CREATE TABLE account_balances (
  account_id      BLOB    NOT NULL,
  timestamp       INTEGER NOT NULL,
  debits_pending  INTEGER NOT NULL,
  debits_posted   INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  credits_posted  INTEGER NOT NULL,
  PRIMARY KEY (account_id, timestamp)
) WITHOUT ROWID;

-- The checksum chain: one row per committed batch, numbered from 1. The
-- checksum is BLAKE2b-256 over the previous batch's checksum, the number, and
-- the batch's accounts (as created), transfers and expiries.
CREATE TABLE batches (
  number        INTEGER PRIMARY KEY,
  timestamp_max INTEGER NOT NULL,
  accounts      INTEGER NOT NULL,
  transfers     INTEGER NOT NULL,
  expiries      INTEGER NOT NULL,
  checksum      BLOB    NOT NULL
);
)sql"},
    {2, "role events", R"sql(
-- Role events (payments, later risk, credit...), numbered 1, 2, 3... across
-- all roles without gaps, each committed in the same transaction as the
-- ledger records of its batch. Batch n holds the events numbered after
-- batch n-1's event_sequence_max up to its own. subject_a and subject_b are
-- the parties an event concerns (NULL: none); payload is the role's own
-- encoding, opaque here.
CREATE TABLE role_events (
  sequence  INTEGER PRIMARY KEY,
  timestamp INTEGER NOT NULL,
  role      INTEGER NOT NULL,
  type      INTEGER NOT NULL,
  subject_a BLOB,
  subject_b BLOB,
  payload   BLOB    NOT NULL
);
-- An index entry ends with the rowid (the sequence), so these are ordered by
-- (subject, sequence): "a party's events after S, oldest first" is one range
-- scan of each, merged. Events without a subject are left out of them.
CREATE INDEX role_events_subject_a ON role_events (subject_a) WHERE subject_a IS NOT NULL;
CREATE INDEX role_events_subject_b ON role_events (subject_b) WHERE subject_b IS NOT NULL;

-- The batch's role events, and the last sequence committed so far (the
-- previous batch's when it has none). Batches from before have none.
ALTER TABLE batches ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN event_sequence_max INTEGER NOT NULL DEFAULT 0;
)sql"},
};
constexpr int kSchemaVersion = std::size(kMigrations);

// INSERT INTO table (columns) VALUES (?, ...), ..., one placeholder per
// column, `rows` rows.
std::string InsertSql(std::string_view table, std::string_view columns, size_t rows = 1) {
  std::string row = "(?";
  for (char c : columns) {
    if (c == ',') row += ", ?";
  }
  row += ")";
  // OR FAIL: with the default ABORT a statement of several rows must undo
  // its earlier rows when a later one fails, so SQLite keeps a statement
  // journal (a temp file of every page it touches), which doubled the cost
  // of an insert. FAIL keeps those rows; any failure rolls back the whole
  // batch's transaction anyway (Append), so nothing partial is ever stored.
  std::string sql = std::string(rows == 1 ? "INSERT" : "INSERT OR FAIL") + " INTO " +
                    std::string(table) + " (" + std::string(columns) + ") VALUES ";
  for (size_t i = 0; i < rows; ++i) sql += (i == 0 ? "" : ", ") + row;
  return sql;
}

std::string SelectSql(std::string_view columns, std::string_view rest) {
  return "SELECT " + std::string(columns) + " " + std::string(rest);
}

// Which side of its transfers an account query follows.
enum class Side { kDebits = 0, kCredits = 1, kBoth = 2 };
constexpr size_t kSides = 3;

// Parameters of every account query: ?1 account id, ?2..?3 the inclusive
// timestamp range, ?4 the limit. Each arm is one index range scan in
// timestamp order; for both sides SQLite merges the two (MERGE UNION ALL)
// and stops at the limit. The credit arm skips a transfer whose debit side is
// the same account, which the debit arm already returned.
std::string TransferQuerySql(Side side, bool reversed) {
  const std::string range = " AND timestamp BETWEEN ?2 AND ?3";
  const std::string debit_arm =
      SelectSql(kTransferColumns, "FROM transfers WHERE debit_account_id = ?1" + range);
  const std::string credit_arm =
      SelectSql(kTransferColumns, "FROM transfers WHERE credit_account_id = ?1" + range);
  std::string arms;
  switch (side) {
    case Side::kDebits:
      arms = debit_arm;
      break;
    case Side::kCredits:
      arms = credit_arm;
      break;
    case Side::kBoth:
      arms = debit_arm + " UNION ALL " + credit_arm + " AND debit_account_id <> ?1";
      break;
  }
  return arms + " ORDER BY timestamp" + (reversed ? " DESC" : "") + " LIMIT ?4";
}

std::string BalanceQuerySql(bool reversed) {
  return SelectSql(kBalanceColumns,
                   "FROM account_balances WHERE account_id = ?1 AND timestamp BETWEEN ?2 AND ?3 "
                   "ORDER BY timestamp") +
         (reversed ? " DESC" : "") + " LIMIT ?4";
}

// Parameters of the events feed: ?1 the sequence to start after, then for a
// subject ?2 the party and ?3 the limit, otherwise ?2 the limit. Without a
// subject it is one range scan of the table. With one, each arm is one range
// scan of a subject index, merged in sequence order (MERGE UNION ALL) and cut
// at the limit; the second arm skips an event whose subject_a is the same
// party, which the first already returned.
std::string EventQuerySql(bool by_subject) {
  if (!by_subject) {
    return SelectSql(kEventColumns,
                     "FROM role_events WHERE sequence > ?1 ORDER BY sequence LIMIT ?2");
  }
  return SelectSql(kEventColumns, "FROM role_events WHERE subject_a = ?2 AND sequence > ?1") +
         " UNION ALL " +
         SelectSql(
             kEventColumns,
             "FROM role_events WHERE subject_b = ?2 AND sequence > ?1 AND subject_a IS NOT ?2") +
         " ORDER BY sequence LIMIT ?3";
}

// Applies the migrations newer than the database's version, in order.
// REQUIRES: inside a write transaction.
Status ApplyMigrations(sqlite3* db) {
  NETFIN_RETURN_IF_ERROR(Exec(db,
                              "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              "version INTEGER PRIMARY KEY, description TEXT NOT NULL)"));
  Statement version_query;
  NETFIN_RETURN_IF_ERROR(
      Prepare(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", &version_query));
  if (sqlite3_step(version_query.get()) != SQLITE_ROW) return SqliteError(db, "schema version");
  const int64_t version = sqlite3_column_int64(version_query.get(), 0);
  if (version > kSchemaVersion) {
    return Status(core::StatusCode::kFailedPrecondition,
                  "database schema version " + std::to_string(version) +
                      " is newer than this netfin's (" + std::to_string(kSchemaVersion) + ")");
  }
  Statement record;
  NETFIN_RETURN_IF_ERROR(
      Prepare(db, "INSERT INTO schema_migrations (version, description) VALUES (?, ?)", &record));
  for (const Migration& m : kMigrations) {
    if (m.version <= version) continue;
    NETFIN_RETURN_IF_ERROR(Exec(db, m.sql));
    sqlite3_bind_int(record.get(), 1, m.version);
    sqlite3_bind_text(record.get(), 2, m.description, -1, SQLITE_STATIC);
    NETFIN_RETURN_IF_ERROR(Execute(db, record.get(), "record migration"));
  }
  return Status::Ok();
}

// Runs body inside a transaction opened with `begin`: commits if body
// succeeds, rolls back otherwise.
template <typename Body>
Status InTransaction(sqlite3* db, const char* begin, Body&& body) {
  NETFIN_RETURN_IF_ERROR(Exec(db, begin));
  Status status = body();
  if (status.ok()) status = Exec(db, "COMMIT");
  if (!status.ok()) RollBackIfOpen(db);
  return status;
}

Status ConfigureWriter(sqlite3* db, Durability durability) {
  // The pragma answers with the mode in force, which stays "delete" (or
  // "memory") where WAL is impossible.
  Statement journal_mode;
  NETFIN_RETURN_IF_ERROR(Prepare(db, "PRAGMA journal_mode = WAL", &journal_mode));
  if (sqlite3_step(journal_mode.get()) != SQLITE_ROW) return SqliteError(db, "journal_mode");
  const auto* mode = reinterpret_cast<const char*>(sqlite3_column_text(journal_mode.get(), 0));
  if (mode == nullptr || std::string_view(mode) != "wal") {
    return core::IoError("cannot switch the database to WAL mode");
  }
  // In WAL mode FULL syncs the WAL at every commit: a committed batch
  // survives power loss. OFF leaves flushing to the OS.
  const char* synchronous = durability == Durability::kSync ? "FULL" : "OFF";
  NETFIN_RETURN_IF_ERROR(Exec(db, std::string("PRAGMA synchronous = ") + synchronous));
  NETFIN_RETURN_IF_ERROR(
      Exec(db, "PRAGMA wal_autocheckpoint = " + std::to_string(kWalAutocheckpointPages)));
  NETFIN_RETURN_IF_ERROR(
      Exec(db, "PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes)));
  return Exec(db, "PRAGMA cache_size = -" + std::to_string(kWriterCacheKib));
}

// ---------------------------------------------------------------------------
// Readers.

// A read-only connection with its query statements, used by one thread at a
// time (mutex). Each query is one statement, so it reads one committed
// snapshot; readers never block the writer in WAL mode, nor it them.
struct Reader {
  std::mutex mutex;
  Connection db;  // declared before the statements, which must be finalized first
  Statement account_by_id;
  Statement transfer_by_id;
  std::array<std::array<Statement, 2>, kSides> transfers;  // [side][reversed]
  std::array<Statement, 2> balances;                       // [reversed]
  std::array<Statement, 2> events;                         // [by subject]
};

Status PrepareReader(Reader* r) {
  sqlite3* db = r->db.get();
  NETFIN_RETURN_IF_ERROR(
      Prepare(db, SelectSql(kAccountColumns, "FROM accounts WHERE id = ?1"), &r->account_by_id));
  NETFIN_RETURN_IF_ERROR(
      Prepare(db, SelectSql(kTransferColumns, "FROM transfers WHERE id = ?1"), &r->transfer_by_id));
  for (Side side : {Side::kDebits, Side::kCredits, Side::kBoth}) {
    for (bool reversed : {false, true}) {
      NETFIN_RETURN_IF_ERROR(Prepare(db, TransferQuerySql(side, reversed),
                                     &r->transfers[static_cast<size_t>(side)][reversed]));
    }
  }
  for (bool reversed : {false, true}) {
    NETFIN_RETURN_IF_ERROR(Prepare(db, BalanceQuerySql(reversed), &r->balances[reversed]));
  }
  for (bool by_subject : {false, true}) {
    NETFIN_RETURN_IF_ERROR(Prepare(db, EventQuerySql(by_subject), &r->events[by_subject]));
  }
  return Status::Ok();
}

// A fixed set of readers. Acquire prefers an idle one and otherwise waits for
// one chosen round-robin, so concurrent queries spread over the connections.
class ReaderPool {
 public:
  class Lease {
   public:
    Lease(Reader& reader, std::unique_lock<std::mutex> lock)
        : reader_(reader), lock_(std::move(lock)) {}
    Reader* operator->() { return &reader_; }
    Reader& operator*() { return reader_; }

   private:
    Reader& reader_;
    std::unique_lock<std::mutex> lock_;
  };

  Status Open(const std::string& path, const char* vfs, uint32_t count) {
    for (uint32_t i = 0; i < count; ++i) {
      auto reader = std::make_unique<Reader>();
      Result<Connection> db = OpenConnection(path, SQLITE_OPEN_READONLY, vfs);
      if (!db.ok()) return db.status();
      reader->db = std::move(db).value();
      NETFIN_RETURN_IF_ERROR(PrepareReader(reader.get()));
      readers_.push_back(std::move(reader));
    }
    return Status::Ok();
  }

  Lease Acquire() {
    NETFIN_ASSERT(!readers_.empty());
    const size_t start = next_.fetch_add(1, std::memory_order_relaxed) % readers_.size();
    for (size_t i = 0; i < readers_.size(); ++i) {
      Reader& reader = *readers_[(start + i) % readers_.size()];
      std::unique_lock lock(reader.mutex, std::try_to_lock);
      if (lock.owns_lock()) return Lease(reader, std::move(lock));
    }
    return Lease(*readers_[start], std::unique_lock(readers_[start]->mutex));
  }

 private:
  std::vector<std::unique_ptr<Reader>> readers_;
  std::atomic<size_t> next_{0};
};

// The inclusive timestamp range of a filter as SQL integers (0 = unbounded);
// empty when no stored timestamp can fall inside it.
std::optional<std::pair<int64_t, int64_t>> SqlTimeRange(const AccountFilter& filter) {
  const uint64_t max =
      filter.timestamp_max == 0 ? kTimestampMax : std::min(filter.timestamp_max, kTimestampMax);
  if (filter.timestamp_min > max) return std::nullopt;
  return std::pair(static_cast<int64_t>(filter.timestamp_min), static_cast<int64_t>(max));
}

// Runs one account query (parameters as in TransferQuerySql) into a vector.
template <typename Record>
Result<std::vector<Record>> RunAccountQuery(sqlite3* db, sqlite3_stmt* stmt,
                                            const AccountFilter& filter, Record (*read)(Columns&)) {
  NETFIN_ASSERT(filter.limit >= 1 && filter.limit <= core::kQueryLimitMax);
  std::vector<Record> records;
  const auto range = SqlTimeRange(filter);
  if (!range) return records;
  Binder binder(stmt);
  binder.Id(filter.account_id);
  binder.U64(static_cast<uint64_t>(range->first));
  binder.U64(static_cast<uint64_t>(range->second));
  binder.U64(filter.limit);
  NETFIN_RETURN_IF_ERROR(
      ForEachRecord(db, stmt, read, [&](const Record& r) { records.push_back(r); }));
  return records;
}

// Runs one events feed query (parameters as in EventQuerySql) into a vector.
Result<std::vector<RoleEvent>> RunEventQuery(Reader& reader, const EventFilter& filter) {
  NETFIN_ASSERT(filter.limit >= 1 && filter.limit <= core::kQueryLimitMax);
  std::vector<RoleEvent> events;
  // No event is numbered above kEventSequenceMax; a larger cursor (a
  // client's) would bind as a negative SQL integer and match everything.
  if (filter.after_sequence >= kEventSequenceMax) return events;
  const bool by_subject = !filter.subject.IsZero();
  sqlite3_stmt* stmt = reader.events[by_subject].get();
  Binder binder(stmt);
  binder.U64(filter.after_sequence);
  if (by_subject) binder.Id(filter.subject);
  binder.U64(filter.limit);
  NETFIN_RETURN_IF_ERROR(ForEachRecord(reader.db.get(), stmt, ReadEvent,
                                       [&](const RoleEvent& e) { events.push_back(e); }));
  return events;
}

// Looks a record up by its unique id.
template <typename Record>
Result<std::optional<Record>> LookupById(sqlite3* db, sqlite3_stmt* stmt, const Id128& id,
                                         Record (*read)(Columns&)) {
  Binder binder(stmt);
  binder.Id(id);
  std::optional<Record> found;
  NETFIN_RETURN_IF_ERROR(ForEachRecord(db, stmt, read, [&](const Record& r) { found = r; }));
  return found;
}

// ---------------------------------------------------------------------------
// VerifyChain's walk.

// A row of the batches table (kBatchColumns).
struct StoredBatch {
  using Counts = std::array<uint64_t, 4>;  // accounts, transfers, expiries, events
  uint64_t number = 0;
  uint64_t timestamp_max = 0;
  Counts counts{};
  Checksum checksum{};
  uint64_t event_sequence_max = 0;

  ChainHead Head() const { return {number, checksum, timestamp_max, event_sequence_max}; }
};

StoredBatch ReadStoredBatch(Columns& c) {
  StoredBatch b{.number = c.Unsigned(INT64_MAX),
                .timestamp_max = c.Timestamp(),
                .counts = {c.Unsigned(INT64_MAX), c.Unsigned(INT64_MAX), c.Unsigned(INT64_MAX)}};
  c.FixedBlob(b.checksum.data(), b.checksum.size());
  b.counts[3] = c.Unsigned(INT64_MAX);
  b.event_sequence_max = c.Unsigned(kEventSequenceMax);
  return b;
}

// An account as its batch created it, with zero balances: the chain covers
// creation, not the balances that later transfers moved.
Account ReadAccountAsCreated(Columns& c) {
  Account a = ReadRecord<Account>(c);
  a.debits_pending = a.debits_posted = a.credits_pending = a.credits_posted = 0;
  return a;
}

// One table's records in timestamp order, each with its batch number.
// Batches cover disjoint, increasing timestamp ranges, so each batch's
// records are consecutive here and the walk holds one batch at a time.
template <typename Record>
class BatchCursor {
 public:
  using ReadFn = Record (*)(Columns&);

  BatchCursor(const char* table, ReadFn read) : table_(table), read_(read) {}

  Status Open(sqlite3* db, std::string_view columns) {
    db_ = db;
    const std::string sql = SelectSql(std::string(columns) + ", batch",
                                      "FROM " + std::string(table_) + " ORDER BY timestamp");
    NETFIN_RETURN_IF_ERROR(Prepare(db, sql, &stmt_));
    return Advance();
  }

  // Moves the records of batch `number`, which start at the current row, to
  // the end of *records.
  Status Take(uint64_t number, std::vector<Record>* records) {
    while (!done_ && batch_ == number) {
      NETFIN_RETURN_IF_ERROR(row_status_);
      records->push_back(row_);
      NETFIN_RETURN_IF_ERROR(Advance());
    }
    return Status::Ok();
  }

  bool done() const { return done_; }
  uint64_t batch() const { return batch_; }  // REQUIRES: !done()
  std::string Describe() const {
    return std::string(table_) + " row at timestamp " + std::to_string(row_.timestamp) +
           " names batch " + std::to_string(batch_);
  }

 private:
  Status Advance() {
    const int rc = sqlite3_step(stmt_.get());
    done_ = rc == SQLITE_DONE;
    if (done_) return Status::Ok();
    if (rc != SQLITE_ROW) return SqliteError(db_, table_);
    // A malformed row is reported when its batch takes it, not while it is
    // only being looked ahead at, so the break names the right batch.
    row_status_ = ReadRow(stmt_.get(), read_, &row_);
    // A batch value that is not an integer reads as 0, which no batch has.
    const int batch_column = sqlite3_column_count(stmt_.get()) - 1;
    batch_ = std::bit_cast<uint64_t>(sqlite3_column_int64(stmt_.get(), batch_column));
    return Status::Ok();
  }

  const char* table_;
  ReadFn read_;
  sqlite3* db_ = nullptr;
  Statement stmt_;
  bool done_ = true;
  Record row_{};
  Status row_status_;  // whether row_ decoded
  uint64_t batch_ = 0;
};

// The role_events table in sequence order. Events carry no batch number:
// batch n holds those numbered after batch n-1's event_sequence_max up to
// its own, so the walk takes them by sequence, one batch at a time.
class EventCursor {
 public:
  Status Open(sqlite3* db) {
    db_ = db;
    NETFIN_RETURN_IF_ERROR(
        Prepare(db, SelectSql(kEventColumns, "FROM role_events ORDER BY sequence"), &stmt_));
    return Advance();
  }

  // Moves the events numbered up to sequence_max, which start at the current
  // row, to the end of *events.
  Status Take(uint64_t sequence_max, std::vector<RoleEvent>* events) {
    while (!done_ && sequence_ <= sequence_max) {
      NETFIN_RETURN_IF_ERROR(row_status_);
      events->push_back(row_);
      NETFIN_RETURN_IF_ERROR(Advance());
    }
    return Status::Ok();
  }

  bool done() const { return done_; }
  std::string Describe() const {  // REQUIRES: !done()
    return "role_events row " + std::to_string(sequence_) +
           " follows the last batch's event_sequence_max";
  }

 private:
  Status Advance() {
    const int rc = sqlite3_step(stmt_.get());
    done_ = rc == SQLITE_DONE;
    if (done_) return Status::Ok();
    if (rc != SQLITE_ROW) return SqliteError(db_, "role_events");
    // As in BatchCursor: a malformed row is reported by the batch that takes it.
    row_status_ = ReadRow(stmt_.get(), ReadEvent, &row_);
    sequence_ = std::bit_cast<uint64_t>(sqlite3_column_int64(stmt_.get(), 0));
    return Status::Ok();
  }

  sqlite3* db_ = nullptr;
  Statement stmt_;
  bool done_ = true;
  RoleEvent row_;
  Status row_status_;
  uint64_t sequence_ = 0;  // the current row's, as stored
};

// Walks the batches table in number order and the record tables in timestamp
// order, rebuilding and re-hashing one batch at a time, and stops at the first
// broken link. REQUIRES: inside a read transaction, so that every cursor
// reads the same snapshot.
class ChainWalk {
 public:
  ChainWalk(sqlite3* db, ChainReport* report) : db_(db), report_(report) {}

  // Fails only when the database cannot be read; a malformed row is a break.
  Status Run() {
    Status status = Walk();
    if (status.code() != core::StatusCode::kCorruption) return status;
    if (!report_->first_bad_batch) Fail({report_->batches_checked + 1, status.message()});
    return Status::Ok();
  }

 private:
  struct Break {
    uint64_t batch;
    std::string detail;
  };

  Status Walk() {
    NETFIN_RETURN_IF_ERROR(accounts_.Open(db_, kAccountColumns));
    NETFIN_RETURN_IF_ERROR(transfers_.Open(db_, kTransferColumns));
    NETFIN_RETURN_IF_ERROR(expiries_.Open(db_, kExpiryColumns));
    NETFIN_RETURN_IF_ERROR(events_.Open(db_));
    Statement batches;
    NETFIN_RETURN_IF_ERROR(
        Prepare(db_, SelectSql(kBatchColumns, "FROM batches ORDER BY number"), &batches));
    int rc;
    while ((rc = sqlite3_step(batches.get())) == SQLITE_ROW) {
      StoredBatch stored;
      NETFIN_RETURN_IF_ERROR(ReadRow(batches.get(), ReadStoredBatch, &stored));
      NETFIN_RETURN_IF_ERROR(Check(stored));
      if (report_->first_bad_batch) return Status::Ok();
    }
    if (rc != SQLITE_DONE) return SqliteError(db_, "batches");
    if (auto problem = FindRecordBefore(UINT64_MAX)) {
      Fail(*problem);
    } else if (!events_.done()) {
      Fail({report_->batches_checked + 1, events_.Describe()});
    }
    return Status::Ok();
  }

  // Checks one stored batch, filling the report if it is broken.
  Status Check(const StoredBatch& stored) {
    std::optional<Break> problem = FindGap(stored.number);
    if (!problem) problem = FindRecordBefore(stored.number);
    if (!problem) {
      NETFIN_RETURN_IF_ERROR(Rebuild(stored));
      problem = Compare(stored);
    }
    if (problem) {
      Fail(*std::move(problem));
      return Status::Ok();
    }
    previous_ = stored.Head();
    report_->batches_checked++;
    report_->records_checked += batch_.accounts_created.size() + batch_.transfers_created.size() +
                                batch_.expiries.size() + batch_.events.size();
    return Status::Ok();
  }

  void Fail(Break problem) {
    report_->first_bad_batch = problem.batch;
    report_->detail = std::move(problem.detail);
  }

  std::optional<Break> FindGap(uint64_t number) const {
    const uint64_t expected = report_->batches_checked + 1;
    if (number == expected) return std::nullopt;
    return Break{expected, "batch " + std::to_string(expected) +
                               " is missing: the next stored batch is " + std::to_string(number)};
  }

  // A record naming a batch below `number` was not among that batch's
  // records (which are consecutive in timestamp order), or names a batch
  // that has no batches row.
  std::optional<Break> FindRecordBefore(uint64_t number) {
    std::optional<Break> found;
    auto check = [&](const auto& cursor) {
      if (found || cursor.done() || cursor.batch() >= number) return;
      found = Break{cursor.batch(),
                    cursor.Describe() + ", which has no batches row or does not cover it"};
    };
    check(accounts_);
    check(transfers_);
    check(expiries_);
    return found;
  }

  Status Rebuild(const StoredBatch& stored) {
    batch_.accounts_created.clear();
    batch_.transfers_created.clear();
    batch_.expiries.clear();
    batch_.events.clear();
    NETFIN_RETURN_IF_ERROR(accounts_.Take(stored.number, &batch_.accounts_created));
    NETFIN_RETURN_IF_ERROR(transfers_.Take(stored.number, &batch_.transfers_created));
    NETFIN_RETURN_IF_ERROR(expiries_.Take(stored.number, &batch_.expiries));
    return events_.Take(stored.event_sequence_max, &batch_.events);
  }

  std::optional<Break> Compare(const StoredBatch& stored) const {
    const StoredBatch::Counts found = {batch_.accounts_created.size(),
                                       batch_.transfers_created.size(), batch_.expiries.size(),
                                       batch_.events.size()};
    if (found != stored.counts) {
      return Break{stored.number, "stored counts (accounts, transfers, expiries, events) are " +
                                      List(stored.counts) + " but the records number " +
                                      List(found)};
    }
    if (ChainChecksum(previous_.checksum, stored.number, batch_) != stored.checksum) {
      return Break{stored.number, "checksum mismatch: the batch's records are not those committed"};
    }
    const ChainHead expected = HeadAfter(previous_, batch_, stored.checksum);
    if (expected.timestamp_max != stored.timestamp_max) {
      return Break{stored.number, "stored timestamp_max " + std::to_string(stored.timestamp_max) +
                                      " but the records end at " +
                                      std::to_string(expected.timestamp_max)};
    }
    if (expected.event_sequence_max != stored.event_sequence_max) {
      return Break{stored.number,
                   "stored event_sequence_max " + std::to_string(stored.event_sequence_max) +
                       " but the events end at " + std::to_string(expected.event_sequence_max)};
    }
    return std::nullopt;
  }

  static std::string List(const StoredBatch::Counts& v) {
    std::string text;
    for (uint64_t n : v) text += (text.empty() ? "(" : ", ") + std::to_string(n);
    return text + ")";
  }

  sqlite3* db_;
  ChainReport* report_;
  BatchCursor<Account> accounts_{"accounts", ReadAccountAsCreated};
  BatchCursor<Transfer> transfers_{"transfers", ReadRecord<Transfer>};
  BatchCursor<Expiry> expiries_{"expiries", ReadRecord<Expiry>};
  EventCursor events_;
  Batch batch_;         // the batch being checked, reused so its vectors keep capacity
  ChainHead previous_;  // the last good batch's; all zero before the first
};

// ---------------------------------------------------------------------------
// The store.

// Binds a record and then the number of the batch that holds it.
template <typename Record>
auto WithBatch(void (*bind)(Binder&, const Record&), uint64_t number) {
  return [bind, number](Binder& b, const Record& r) {
    bind(b, r);
    b.U64(number);
  };
}

// The SQLite implementation of Store.
//
// Lifecycle: Open creates the VFS, the writer connection (migrating the
// schema) and the reader pool; destruction closes readers, then the writer,
// then unregisters the VFS. Threads: Append and Load on one writer thread at
// a time (serialized by writer_mutex_ anyway); queries, VerifyChain, Head and
// Stats from any thread. Invariant: head_ is the last batch on disk, and once
// an Append has failed (appends_) no later one writes anything.
class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options) {
    if (options.reader_connections == 0 || options.reader_connections > kReaderConnectionsMax) {
      return core::InvalidArgument("reader_connections must be 1.." +
                                   std::to_string(kReaderConnectionsMax));
    }
    if (sqlite3_threadsafe() == 0) return core::Internal("SQLite is built without threads");
    Result<std::unique_ptr<CountingVfs>> vfs = CountingVfs::Register();
    if (!vfs.ok()) return vfs.status();
    auto store = std::unique_ptr<SqliteStore>(new SqliteStore(std::move(vfs).value()));
    NETFIN_RETURN_IF_ERROR(store->OpenWriter(path, options.durability));
    NETFIN_RETURN_IF_ERROR(store->ReadHead());
    // Readers open last: the writer has made the file WAL and created the schema.
    NETFIN_RETURN_IF_ERROR(
        store->readers_.Open(path, store->vfs_->name(), options.reader_connections));
    return std::unique_ptr<Store>(std::move(store));
  }

  Status Append(const Batch& batch) override {
    std::lock_guard lock(writer_mutex_);
    NETFIN_RETURN_IF_ERROR(appends_.Refusal());
    const ChainHead head = Head();
    const ChainHead next = NextHead(head, batch);
    Status status = WriteBatch(batch, next);
    if (!status.ok()) {
      RollBackIfOpen(writer_.get());
      return appends_.Fail(std::move(status));
    }
    std::lock_guard head_lock(head_mutex_);
    head_ = next;
    appends_.Committed(batch);
    return Status::Ok();
  }

  ChainHead Head() const override {
    std::lock_guard lock(head_mutex_);
    return head_;
  }

  Status Load(StateVisitor& visitor) override {
    std::lock_guard lock(writer_mutex_);
    sqlite3* db = writer_.get();
    return InTransaction(db, "BEGIN", [&]() -> Status {
      Statement accounts, transfers, expiries;
      NETFIN_RETURN_IF_ERROR(Prepare(db, SelectSql(kAccountColumns, "FROM accounts"), &accounts));
      NETFIN_RETURN_IF_ERROR(Prepare(
          db, SelectSql(kTransferColumns, "FROM transfers ORDER BY timestamp"), &transfers));
      NETFIN_RETURN_IF_ERROR(
          Prepare(db, SelectSql(kExpiryColumns, "FROM expiries ORDER BY timestamp"), &expiries));
      NETFIN_RETURN_IF_ERROR(ForEachRecord(db, accounts.get(), ReadRecord<Account>,
                                           [&](const Account& a) { visitor.OnAccount(a); }));
      NETFIN_RETURN_IF_ERROR(ForEachRecord(db, transfers.get(), ReadRecord<Transfer>,
                                           [&](const Transfer& t) { visitor.OnTransfer(t); }));
      NETFIN_RETURN_IF_ERROR(ForEachRecord(db, expiries.get(), ReadRecord<Expiry>,
                                           [&](const Expiry& e) { visitor.OnExpiry(e); }));
      return LoadEvents(db, visitor);
    });
  }

  Result<std::optional<Account>> LookupAccount(const Id128& id) override {
    ReaderPool::Lease reader = readers_.Acquire();
    return LookupById(reader->db.get(), reader->account_by_id.get(), id, ReadRecord<Account>);
  }

  Result<std::optional<Transfer>> LookupTransfer(const Id128& id) override {
    ReaderPool::Lease reader = readers_.Acquire();
    return LookupById(reader->db.get(), reader->transfer_by_id.get(), id, ReadRecord<Transfer>);
  }

  Result<std::vector<Transfer>> GetAccountTransfers(const AccountFilter& filter) override {
    // Neither side selects nothing (TigerBeetle's filter rules).
    if (!filter.debits && !filter.credits) return std::vector<Transfer>{};
    const Side side = !filter.credits  ? Side::kDebits
                      : !filter.debits ? Side::kCredits
                                       : Side::kBoth;
    ReaderPool::Lease reader = readers_.Acquire();
    sqlite3_stmt* stmt = reader->transfers[static_cast<size_t>(side)][filter.reversed].get();
    return RunAccountQuery(reader->db.get(), stmt, filter, ReadRecord<Transfer>);
  }

  // Balances belong to the account, not to a side: debits/credits don't apply.
  Result<std::vector<AccountBalance>> GetAccountBalances(const AccountFilter& filter) override {
    ReaderPool::Lease reader = readers_.Acquire();
    sqlite3_stmt* stmt = reader->balances[filter.reversed].get();
    return RunAccountQuery(reader->db.get(), stmt, filter, ReadRecord<AccountBalance>);
  }

  Result<std::vector<RoleEvent>> ReadEvents(const EventFilter& filter) override {
    ReaderPool::Lease reader = readers_.Acquire();
    return RunEventQuery(*reader, filter);
  }

  // Runs on a reader connection, so it is safe beside a live writer.
  Status VerifyChain(ChainReport* report) override {
    NETFIN_ASSERT(report != nullptr);
    *report = ChainReport{};
    ReaderPool::Lease reader = readers_.Acquire();
    sqlite3* db = reader->db.get();
    return InTransaction(db, "BEGIN", [&] { return ChainWalk(db, report).Run(); });
  }

  StoreStats Stats() const override {
    return appends_.Stats(vfs_->syncs());
  }

 private:
  // An INSERT in two shapes: kRowsPerInsert rows, and one row.
  struct InsertStatements {
    Statement rows;
    Statement row;
  };

  // The writer's statements, prepared once: Append only binds and steps.
  struct WriterStatements {
    Statement begin;
    Statement commit;
    InsertStatements insert_account;
    Statement update_account;
    InsertStatements insert_transfer;
    InsertStatements insert_expiry;
    InsertStatements insert_balance;
    InsertStatements insert_event;
    Statement insert_batch;
  };

  explicit SqliteStore(std::unique_ptr<CountingVfs> vfs) : vfs_(std::move(vfs)) {}

  Status OpenWriter(const std::string& path, Durability durability) {
    Result<Connection> db =
        OpenConnection(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs_->name());
    if (!db.ok()) return db.status();
    writer_ = std::move(db).value();
    sqlite3* raw = writer_.get();
    NETFIN_RETURN_IF_ERROR(ConfigureWriter(raw, durability));
    NETFIN_RETURN_IF_ERROR(
        InTransaction(raw, "BEGIN IMMEDIATE", [raw] { return ApplyMigrations(raw); }));
    return PrepareWriter();
  }

  Status PrepareWriter() {
    sqlite3* db = writer_.get();
    const std::string batch = ", batch";
    NETFIN_RETURN_IF_ERROR(Prepare(db, "BEGIN IMMEDIATE", &sql_.begin));
    NETFIN_RETURN_IF_ERROR(Prepare(db, "COMMIT", &sql_.commit));
    NETFIN_RETURN_IF_ERROR(
        PrepareInsert("accounts", std::string(kAccountColumns) + batch, &sql_.insert_account));
    NETFIN_RETURN_IF_ERROR(Prepare(db,
                                   "UPDATE accounts SET debits_pending = ?1, debits_posted = ?2, "
                                   "credits_pending = ?3, credits_posted = ?4 WHERE id = ?5",
                                   &sql_.update_account));
    NETFIN_RETURN_IF_ERROR(
        PrepareInsert("transfers", std::string(kTransferColumns) + batch, &sql_.insert_transfer));
    NETFIN_RETURN_IF_ERROR(
        PrepareInsert("expiries", std::string(kExpiryColumns) + batch, &sql_.insert_expiry));
    NETFIN_RETURN_IF_ERROR(
        PrepareInsert("account_balances", kBalanceColumns, &sql_.insert_balance));
    NETFIN_RETURN_IF_ERROR(PrepareInsert("role_events", kEventColumns, &sql_.insert_event));
    return Prepare(db, InsertSql("batches", kBatchColumns), &sql_.insert_batch);
  }

  Status PrepareInsert(std::string_view table, std::string_view columns, InsertStatements* out) {
    NETFIN_RETURN_IF_ERROR(
        Prepare(writer_.get(), InsertSql(table, columns, kRowsPerInsert), &out->rows));
    return Prepare(writer_.get(), InsertSql(table, columns), &out->row);
  }

  Status ReadHead() {
    Statement last;
    NETFIN_RETURN_IF_ERROR(
        Prepare(writer_.get(),
                SelectSql(kBatchColumns, "FROM batches ORDER BY number DESC LIMIT 1"), &last));
    std::optional<StoredBatch> stored;
    NETFIN_RETURN_IF_ERROR(ForEachRecord(writer_.get(), last.get(), ReadStoredBatch,
                                         [&](const StoredBatch& b) { stored = b; }));
    if (stored) head_ = stored->Head();
    return Status::Ok();
  }

  // Hands the role events to visitor in sequence order. The roles rebuild
  // their state from them and the ledger numbers the next one after the
  // last, so a gap (a row deleted under us) fails the load instead of
  // reaching them. REQUIRES: inside Load's read transaction.
  Status LoadEvents(sqlite3* db, StateVisitor& visitor) {
    Statement events;
    NETFIN_RETURN_IF_ERROR(
        Prepare(db, SelectSql(kEventColumns, "FROM role_events ORDER BY sequence"), &events));
    uint64_t last = 0;
    Status gap;
    NETFIN_RETURN_IF_ERROR(ForEachRecord(db, events.get(), ReadEvent, [&](const RoleEvent& e) {
      if (gap.ok() && e.sequence != last + 1) {
        gap = core::Corruption("role event " + std::to_string(e.sequence) + " follows " +
                               std::to_string(last));
      }
      if (!gap.ok()) return;
      last = e.sequence;
      visitor.OnEvent(e);
    }));
    NETFIN_RETURN_IF_ERROR(gap);
    if (last != Head().event_sequence_max) {
      return core::Corruption("role events end at " + std::to_string(last) +
                              " but the last batch's event_sequence_max is " +
                              std::to_string(Head().event_sequence_max));
    }
    return Status::Ok();
  }

  // The whole batch in one transaction; COMMIT returns after the WAL is
  // synced (synchronous=FULL), so success means durable.
  Status WriteBatch(const Batch& batch, const ChainHead& next) {
    sqlite3* db = writer_.get();
    const uint64_t number = next.batch_number;
    NETFIN_RETURN_IF_ERROR(Execute(db, sql_.begin.get(), "BEGIN IMMEDIATE"));
    // Created accounts go in before the updates that may name them.
    NETFIN_RETURN_IF_ERROR(InsertEach(sql_.insert_account, batch.accounts_created,
                                      WithBatch(BindRecord<Account>, number), "insert account"));
    NETFIN_RETURN_IF_ERROR(InsertEach(sql_.insert_transfer, batch.transfers_created,
                                      WithBatch(BindRecord<Transfer>, number), "insert transfer"));
    NETFIN_RETURN_IF_ERROR(InsertEach(sql_.insert_expiry, batch.expiries,
                                      WithBatch(BindRecord<Expiry>, number), "insert expiry"));
    NETFIN_RETURN_IF_ERROR(UpdateAccounts(batch.accounts_updated));
    NETFIN_RETURN_IF_ERROR(
        InsertEach(sql_.insert_balance, batch.balances, BindRecord<AccountBalance>, "insert balance"));
    NETFIN_RETURN_IF_ERROR(InsertEach(sql_.insert_event, batch.events, BindEvent, "insert event"));
    NETFIN_RETURN_IF_ERROR(InsertBatchRow(batch, next));
    return Execute(db, sql_.commit.get(), "COMMIT");
  }

  // Inserts records kRowsPerInsert at a time, then the rest one by one.
  template <typename Record, typename Bind>
  Status InsertEach(const InsertStatements& insert, const std::vector<Record>& records, Bind&& bind,
                    std::string_view what) {
    size_t next = 0;
    for (; records.size() - next >= kRowsPerInsert; next += kRowsPerInsert) {
      Binder binder(insert.rows.get(), row_ids_);
      for (size_t i = 0; i < kRowsPerInsert; ++i) bind(binder, records[next + i]);
      NETFIN_RETURN_IF_ERROR(Execute(writer_.get(), insert.rows.get(), what));
    }
    for (; next < records.size(); ++next) {
      Binder binder(insert.row.get());
      bind(binder, records[next]);
      NETFIN_RETURN_IF_ERROR(Execute(writer_.get(), insert.row.get(), what));
    }
    return Status::Ok();
  }

  // Updates in id order: consecutive updates then walk the accounts b-tree
  // left to right, so each leaf is found hot and dirtied once in a row.
  Status UpdateAccounts(const std::vector<Account>& accounts) {
    sqlite3_stmt* stmt = sql_.update_account.get();
    sorted_updates_.clear();
    for (const Account& a : accounts) sorted_updates_.push_back(&a);
    std::sort(sorted_updates_.begin(), sorted_updates_.end(),
              [](const Account* x, const Account* y) { return x->id < y->id; });
    for (const Account* account : sorted_updates_) {
      const Account& a = *account;
      Binder binder(stmt);
      binder.U64(a.debits_pending);
      binder.U64(a.debits_posted);
      binder.U64(a.credits_pending);
      binder.U64(a.credits_posted);
      binder.Id(a.id);
      NETFIN_RETURN_IF_ERROR(Execute(writer_.get(), stmt, "update account"));
      // The ledger updates only accounts it created: a miss means the file
      // was changed under us.
      if (sqlite3_changes(writer_.get()) != 1) {
        return core::Corruption("account " + a.id.ToDecimal() + " is not stored");
      }
    }
    return Status::Ok();
  }

  Status InsertBatchRow(const Batch& batch, const ChainHead& next) {
    sqlite3_stmt* stmt = sql_.insert_batch.get();
    Binder binder(stmt);
    binder.U64(next.batch_number);
    binder.U64(next.timestamp_max);
    binder.U64(batch.accounts_created.size());
    binder.U64(batch.transfers_created.size());
    binder.U64(batch.expiries.size());
    binder.Blob(next.checksum.data(), next.checksum.size());
    binder.U64(batch.events.size());
    binder.U64(next.event_sequence_max);
    return Execute(writer_.get(), stmt, "insert batch");
  }

  // Declared in the reverse of the order they must be destroyed in: readers,
  // then the writer's statements, then the writer, then the VFS under them.
  std::unique_ptr<CountingVfs> vfs_;
  Connection writer_;
  WriterStatements sql_;
  ReaderPool readers_;

  std::mutex writer_mutex_;  // serializes Append and Load
  AppendRecord appends_;     // Refusal/Fail under writer_mutex_

  mutable std::mutex head_mutex_;
  ChainHead head_;  // guarded by head_mutex_

  // Append's scratch, kept so that its capacity is reused; writer only.
  std::vector<const Account*> sorted_updates_;
  // The ids bound (SQLITE_STATIC) by one multi-row INSERT.
  std::array<Id128::Bytes, kRowsPerInsert * kIdsPerRowMax> row_ids_;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const StoreOptions& options) {
  return SqliteStore::Open(path, options);
}

}  // namespace netfin::store
