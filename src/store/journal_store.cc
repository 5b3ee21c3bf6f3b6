// JournalStore: the journal as an append-only file of checksummed binary
// frames (store/journal_codec.h) plus an in-memory query index rebuilt from
// the file at open. Design and recovery rules: docs/design/journal.md,
// "Journal backend".
//
// Layout of this file, bottom-up: file helpers; the frame scanner (recovery
// and VerifyJournalFile); the query index; the store.

#include "store/journal_store.h"

#include <absl/container/flat_hash_map.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <optional>
#include <shared_mutex>  // std::shared_lock
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "store/append_rules.h"
#include "store/journal_codec.h"

namespace netfin::store {
namespace {

using core::Checksum;
using journal::FrameHeader;
using journal::kHeaderBytes;

// How much of the file the scanner reads at a time while looking for a
// frame magic after a bad header.
constexpr size_t kScanChunkBytes = 1 << 20;

// ---------------------------------------------------------------------------
// File helpers. Each returns kIoError naming the path and errno.

Status ErrnoError(const std::string& what, const std::string& path) {
  return core::IoError(what + " " + path + ": " + std::strerror(errno));
}

// A file descriptor closed on destruction.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

// Reads exactly size bytes at offset into *out (resized to size).
Status ReadAt(int fd, uint64_t offset, size_t size, std::string* out, const std::string& path) {
  out->resize(size);
  size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::pread(fd, out->data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot read", path);
    if (n == 0) return core::IoError("unexpected end of " + path);
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status WriteAllAt(int fd, std::string_view data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("cannot write", path);
    if (n == 0) return core::IoError("write of " + path + " made no progress");
    data.remove_prefix(static_cast<size_t>(n));
    offset += static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

Result<uint64_t> FileBytes(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoError("cannot stat", path);
  return static_cast<uint64_t>(st.st_size);
}

// Makes a newly created file's directory entry durable.
Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open directory", dir);
  if (::fsync(fd.get()) != 0) return ErrnoError("cannot fsync directory", dir);
  return Status::Ok();
}

// A readers-writer lock that prefers the writer. glibc's std::shared_mutex
// prefers readers: measured here, three threads querying in a loop kept
// each Append waiting ~150 ms for its exclusive section. Here a
// waiting writer stops new readers, so a commit waits at most for the
// queries already running. Meets the SharedMutex requirements used
// (std::unique_lock, std::shared_lock).
class WriterPreferringMutex {
 public:
  WriterPreferringMutex() {
    pthread_rwlockattr_t attr;
    NETFIN_ASSERT(pthread_rwlockattr_init(&attr) == 0);
    NETFIN_ASSERT(
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP) == 0);
    NETFIN_ASSERT(pthread_rwlock_init(&lock_, &attr) == 0);
    pthread_rwlockattr_destroy(&attr);
  }
  ~WriterPreferringMutex() { pthread_rwlock_destroy(&lock_); }
  WriterPreferringMutex(const WriterPreferringMutex&) = delete;
  WriterPreferringMutex& operator=(const WriterPreferringMutex&) = delete;

  void lock() { NETFIN_ASSERT(pthread_rwlock_wrlock(&lock_) == 0); }
  void unlock() { NETFIN_ASSERT(pthread_rwlock_unlock(&lock_) == 0); }
  void lock_shared() { NETFIN_ASSERT(pthread_rwlock_rdlock(&lock_) == 0); }
  void unlock_shared() { NETFIN_ASSERT(pthread_rwlock_unlock(&lock_) == 0); }

 private:
  pthread_rwlock_t lock_;
};

// ---------------------------------------------------------------------------
// The frame scanner.

// What a scan of the whole file found.
struct ScanOutcome {
  enum class End { kClean, kTornTail, kCorrupt };
  End end = End::kClean;
  uint64_t good_bytes = 0;  // the end of the last good frame
  uint64_t zeroed_end = 0;  // kClean: nothing but zeros from good_bytes to here
  ChainHead head;           // the last good frame's
  uint64_t records = 0;     // accounts, transfers, expiries and role events of the good frames
  std::optional<uint64_t> bad_batch;  // kCorrupt: the first bad batch's number
  std::string detail;                 // kTornTail or kCorrupt: what was wrong
};

bool IsAllZero(std::string_view bytes) {
  return bytes.empty() ||
         (bytes[0] == '\0' && std::memcmp(bytes.data(), bytes.data() + 1, bytes.size() - 1) == 0);
}

// Reads every frame from the start of the file in order, checking each
// frame's checksum, number and chain link, and hands each good batch to
// on_batch with the frame's offset. Stops at the first bad frame, or where
// only zeros are left: the clean end of a journal whose zero tail runs
// ahead of its frames (ZeroTailFiller). A bad frame is a torn tail (an
// append that never completed, so was never acknowledged) when no committed
// frame can follow it: no frame magic follows its claimed end (or follows a
// header that does not decode), or its claimed length runs past the end of
// the file. Otherwise it is corruption. Fails only when the file cannot be
// read.
class Scanner {
 public:
  Scanner(int fd, uint64_t file_bytes, const std::string& path, ScanOutcome* out)
      : fd_(fd), file_bytes_(file_bytes), path_(path), out_(out) {}

  template <typename OnBatch>
  Status Run(OnBatch&& on_batch) {
    while (out_->good_bytes < file_bytes_ && out_->end == ScanOutcome::End::kClean && !zero_tail_) {
      const uint64_t frame_offset = out_->good_bytes;
      NETFIN_RETURN_IF_ERROR(Next());
      if (out_->end == ScanOutcome::End::kClean && !zero_tail_) on_batch(batch_, frame_offset);
    }
    out_->zeroed_end = zero_tail_ ? file_bytes_ : out_->good_bytes;
    return Status::Ok();
  }

 private:
  // What the file holds from some offset to its end.
  struct Tail {
    bool magic_follows = false;
    uint64_t data_end = 0;  // without a magic: the end of the last non-zero byte, or the offset
  };

  // Checks the frame at good_bytes; on success advances past it with batch_
  // holding its records.
  Status Next() {
    const uint64_t offset = out_->good_bytes;
    const uint64_t left = file_bytes_ - offset;
    NETFIN_RETURN_IF_ERROR(
        ReadAt(fd_, offset, std::min<uint64_t>(left, kHeaderBytes), &header_bytes_, path_));
    if (IsAllZero(header_bytes_)) return ZeroHeader(offset);
    if (left < kHeaderBytes) return Torn("a partial frame header", file_bytes_);
    const auto* raw = reinterpret_cast<const unsigned char*>(header_bytes_.data());
    FrameHeader header;
    if (Status decoded = journal::DecodeHeader(raw, &header); !decoded.ok()) {
      return BadHeader(offset, decoded);
    }
    if (header.payload_bytes > left - kHeaderBytes) return Torn("a frame cut short", file_bytes_);
    NETFIN_RETURN_IF_ERROR(
        ReadAt(fd_, offset + kHeaderBytes, header.payload_bytes, &payload_, path_));
    if (journal::FrameChecksum(header.version, raw, payload_) != header.frame) {
      return BadChecksum(offset + kHeaderBytes + header.payload_bytes);
    }
    return Accept(header);
  }

  // Zeros where a frame would start: the clean end when only zeros follow,
  // else judged like any header that does not decode.
  Status ZeroHeader(uint64_t offset) {
    Tail tail;
    NETFIN_RETURN_IF_ERROR(ScanTail(offset, &tail));
    if (tail.magic_follows) return Bad("a zeroed frame header before a later frame");
    if (tail.data_end > offset) return Torn("a zeroed frame header", tail.data_end);
    zero_tail_ = true;
    return Status::Ok();
  }

  // A frame with a readable header whose checksum does not match: a torn
  // write when no frame magic follows it (only zeros, or the end of the
  // file), since every acknowledged frame was written after the one before
  // it was durable.
  Status BadChecksum(uint64_t frame_end) {
    Tail tail;
    NETFIN_RETURN_IF_ERROR(ScanTail(frame_end, &tail));
    return tail.magic_follows ? Bad("frame checksum mismatch")
                              : Torn("a last frame whose checksum does not match", tail.data_end);
  }

  // A frame whose checksum matches was written whole; what it says must
  // still hold together before it joins the index.
  Status Accept(const FrameHeader& header) {
    const uint64_t number = out_->head.batch_number + 1;
    if (header.batch_number != number) {
      return Bad("frame numbered " + std::to_string(header.batch_number));
    }
    // An older netfin's frames may be followed by this one's, never the
    // other way round: no netfin writes an older version than it reads.
    if (header.version < version_) {
      return Bad("a version " + std::to_string(header.version) + " frame after version " +
                 std::to_string(version_) + " frames");
    }
    version_ = header.version;
    if (Status decoded = journal::DecodePayload(header, payload_, &batch_); !decoded.ok()) {
      return Bad(decoded.message());
    }
    const Checksum chain = ChainChecksum(out_->head.checksum, number, batch_);
    if (chain != header.chain) return Bad("chain checksum mismatch");
    if (batch_.Empty()) return Bad("empty batch");
    if (std::optional<std::string> gap = FindEventGap()) return Bad(*gap);
    out_->head = HeadAfter(out_->head, batch_, chain);
    out_->good_bytes += kHeaderBytes + header.payload_bytes;
    out_->records += batch_.accounts_created.size() + batch_.transfers_created.size() +
                     batch_.expiries.size() + batch_.events.size();
    return Status::Ok();
  }

  // Role events continue the sequence without a gap, as Append asserted:
  // the index finds an event by its sequence, and the ledger numbers the
  // next one after the last.
  std::optional<std::string> FindEventGap() const {
    uint64_t expected = out_->head.event_sequence_max + 1;
    for (const RoleEvent& e : batch_.events) {
      if (e.sequence != expected) {
        return "role event " + std::to_string(e.sequence) + " where " + std::to_string(expected) +
               " was due";
      }
      ++expected;
    }
    return std::nullopt;
  }

  // Every frame starts with the magic: if none follows a bad header, no
  // committed frame can be lost by dropping the rest. A header of another
  // format version was written whole by another netfin: never a torn tail.
  Status BadHeader(uint64_t offset, const Status& problem) {
    if (problem.code() == core::StatusCode::kFailedPrecondition) return Bad(problem.message());
    Tail tail;
    NETFIN_RETURN_IF_ERROR(ScanTail(offset + 1, &tail));
    return tail.magic_follows ? Bad(problem.message())
                              : Torn("a frame header that does not decode", tail.data_end);
  }

  // Reads from `from` to the end of the file, stopping at the first frame
  // magic; without one, *tail says where the last non-zero byte ends.
  Status ScanTail(uint64_t from, Tail* tail) {
    const std::string_view magic(journal::kMagic, sizeof journal::kMagic);
    *tail = Tail{.magic_follows = false, .data_end = from};
    for (uint64_t at = from; at < file_bytes_;) {  // advances by at least a chunk less 3 bytes
      const size_t size =
          static_cast<size_t>(std::min<uint64_t>(kScanChunkBytes, file_bytes_ - at));
      NETFIN_RETURN_IF_ERROR(ReadAt(fd_, at, size, &payload_, path_));
      if (payload_.find(magic) != std::string::npos) {
        tail->magic_follows = true;
        return Status::Ok();
      }
      if (!IsAllZero(payload_)) tail->data_end = at + payload_.find_last_not_of('\0') + 1;
      if (size < kScanChunkBytes) break;
      at += size - (magic.size() - 1);  // a magic may straddle two chunks
    }
    return Status::Ok();
  }

  // torn_end: where the torn write's bytes end (the zeros after it are not
  // counted), so the detail says how much was never acknowledged.
  Status Torn(const std::string& what, uint64_t torn_end) {
    out_->end = ScanOutcome::End::kTornTail;
    out_->detail = what + " at byte " + std::to_string(out_->good_bytes) + " after batch " +
                   std::to_string(out_->head.batch_number) + " (" +
                   std::to_string(torn_end - out_->good_bytes) + " bytes, never acknowledged)";
    return Status::Ok();
  }

  Status Bad(const std::string& what) {
    out_->end = ScanOutcome::End::kCorrupt;
    out_->bad_batch = out_->head.batch_number + 1;
    out_->detail = "batch " + std::to_string(*out_->bad_batch) + " at byte " +
                   std::to_string(out_->good_bytes) + ": " + what;
    return Status::Ok();
  }

  int fd_;
  uint64_t file_bytes_;
  const std::string& path_;
  ScanOutcome* out_;
  bool zero_tail_ = false;  // only zeros from good_bytes to the end
  std::string header_bytes_;
  std::string payload_;
  Batch batch_;
  uint32_t version_ = journal::kJournalFormatVersionOldest;  // of the last frame accepted
};

// A file written by another netfin, in another format version, is refused
// as a whole (kFailedPrecondition) rather than scanned: its first frame
// would not decode, and were it the only one it would look like a torn tail
// and be cut off.
Status CheckFormatVersion(int fd, uint64_t file_bytes, const std::string& path) {
  if (file_bytes < kHeaderBytes) return Status::Ok();  // empty, or a torn first frame
  std::string header;
  NETFIN_RETURN_IF_ERROR(ReadAt(fd, 0, kHeaderBytes, &header, path));
  FrameHeader decoded;
  const Status status =
      journal::DecodeHeader(reinterpret_cast<const unsigned char*>(header.data()), &decoded);
  if (status.code() != core::StatusCode::kFailedPrecondition) return Status::Ok();
  return Status(core::StatusCode::kFailedPrecondition, "journal " + path + ": " + status.message());
}

Status ScanFile(int fd, const std::string& path, ScanOutcome* out,
                void (*on_batch)(void*, const Batch&, uint64_t frame_offset),
                void* context) {
  Result<uint64_t> bytes = FileBytes(fd, path);
  if (!bytes.ok()) return bytes.status();
  NETFIN_RETURN_IF_ERROR(CheckFormatVersion(fd, bytes.value(), path));
  return Scanner(fd, bytes.value(), path, out).Run([&](const Batch& b, uint64_t frame_offset) {
    on_batch(context, b, frame_offset);
  });
}

// ---------------------------------------------------------------------------
// The query index.

// How many records ahead Apply prefetches hash slots: enough to cover a
// memory access behind the work on the records in between.
constexpr size_t kPrefetchAhead = 8;

// One entry of an account's transfer list: the transfer's timestamp, and its
// position in the transfer log shifted left by two over the sides bits.
struct Posting {
  uint64_t timestamp;
  uint64_t position_sides;
};
constexpr uint64_t kSideDebit = 1;
constexpr uint64_t kSideCredit = 2;

// A role event as the index keeps it: its fixed fields and where its
// payload lies in the file. Payloads are read back when asked for: kept in
// memory they were a quarter of what the process held per payment (an
// idempotency record carries its whole answer), and every byte of them a
// page to fault in.
struct IndexedEvent {
  uint64_t sequence = 0;
  uint64_t timestamp = 0;
  uint16_t role = 0;
  uint16_t type = 0;
  uint32_t payload_bytes = 0;
  Id128 subject_a;
  Id128 subject_b;
  uint64_t payload_offset = 0;  // in the file

  // REQUIRES: e's payload fits the limit (Append asserts it).
  static IndexedEvent Of(const RoleEvent& e, uint64_t payload_offset) {
    NETFIN_ASSERT(e.payload.size() <= kRoleEventPayloadBytesMax);
    return IndexedEvent{e.sequence, e.timestamp, e.role, e.type,
                        static_cast<uint32_t>(e.payload.size()), e.subject_a, e.subject_b,
                        payload_offset};
  }

  RoleEvent WithPayload(std::string_view payload) const {
    NETFIN_ASSERT(payload.size() == payload_bytes);
    return RoleEvent{sequence, timestamp, role, type, subject_a, subject_b, std::string(payload)};
  }
};

// Reads the payloads of indexed events from the file, in as few reads as
// their places allow: events close together in the file (a page of the
// feed, recovery's Load) share one read; scattered ones (a party's events)
// are read each on its own, not with the bytes between them.
class PayloadReader {
 public:
  PayloadReader(int fd, const std::string& path) : fd_(fd), path_(path) {}

  // REQUIRES: out has one element per event; events lie in committed frames.
  Status Read(const std::vector<const IndexedEvent*>& events, std::vector<RoleEvent>* out) {
    NETFIN_ASSERT(out->size() == events.size());
    for (size_t first = 0; first < events.size();) {
      // One read from the first event's payload to the end of the last one
      // that follows within kGapBytes, up to kRunBytes.
      const uint64_t start = events[first]->payload_offset;
      uint64_t end = start + events[first]->payload_bytes;
      size_t last = first + 1;
      for (; last < events.size(); ++last) {
        const IndexedEvent& e = *events[last];
        if (e.payload_offset < end || e.payload_offset - end > kGapBytes ||
            e.payload_offset + e.payload_bytes - start > kRunBytes) {
          break;
        }
        end = e.payload_offset + e.payload_bytes;
      }
      if (end > start) NETFIN_RETURN_IF_ERROR(ReadAt(fd_, start, end - start, &run_, path_));
      for (size_t i = first; i < last; ++i) {
        const IndexedEvent& e = *events[i];
        (*out)[i] = e.WithPayload(
            std::string_view(run_).substr(e.payload_offset - start, e.payload_bytes));
      }
      first = last;
    }
    return Status::Ok();
  }

 private:
  // Bytes between two payloads read rather than skipped (another event's
  // fixed fields, a frame header, a few records), and the longest read.
  static constexpr uint64_t kGapBytes = 4096;
  static constexpr uint64_t kRunBytes = 1 << 20;

  const int fd_;
  const std::string& path_;
  std::string run_;
};

// The state of everything committed, for queries and Load.
// Invariants: transfers_ is in timestamp order (batches are); each account's
// postings and balances are in timestamp order; events_ holds the role
// events numbered 1..size() in order, and each subject's sequences ascend;
// deque elements never move; every event's payload lies in a frame already
// written to the file.
// Threads: the owner serializes Apply against readers (JournalStore's
// index_mutex_).
class QueryIndex {
 public:
  // The file the events' payloads are read from.
  void SetFile(int fd, const std::string* path) {
    fd_ = fd;
    path_ = path;
  }

  // REQUIRES: batch is the frame at frame_offset of the file, written.
  void Apply(const Batch& batch, uint64_t frame_offset) {
    for (const Account& a : batch.accounts_created) accounts_[a.id].account = a;
    AddTransfers(batch.transfers_created);
    expiries_.insert(expiries_.end(), batch.expiries.begin(), batch.expiries.end());
    // An update of an account never created is a bug upstream; it is kept
    // (upsert) so that the index still mirrors the file.
    const std::vector<Account>& updated = batch.accounts_updated;
    for (size_t i = 0; i < updated.size(); ++i) {
      if (i + kPrefetchAhead < updated.size()) accounts_.prefetch(updated[i + kPrefetchAhead].id);
      accounts_[updated[i].id].account = updated[i];
    }
    for (const AccountBalance& b : batch.balances) accounts_[b.account_id].balances.push_back(b);
    uint64_t at = frame_offset + journal::FirstEventOffset(batch);
    for (const RoleEvent& e : batch.events) {
      at += journal::kEventFixedBytes;
      AddEvent(e, at);
      at += e.payload.size();
    }
  }

  std::optional<Account> LookupAccount(const Id128& id) const {
    auto it = accounts_.find(id);
    if (it == accounts_.end()) return std::nullopt;
    return it->second.account;
  }

  std::optional<Transfer> LookupTransfer(const Id128& id) const {
    auto it = transfer_positions_.find(id);
    if (it == transfer_positions_.end()) return std::nullopt;
    return transfers_[it->second];
  }

  std::vector<Transfer> AccountTransfers(const AccountFilter& filter) const {
    std::vector<Transfer> out;
    const uint64_t sides = (filter.debits ? kSideDebit : 0) | (filter.credits ? kSideCredit : 0);
    auto it = accounts_.find(filter.account_id);
    if (sides == 0 || it == accounts_.end()) return out;
    const std::vector<Posting>& postings = it->second.postings;
    auto [first, last] = Range(postings, filter);
    auto take = [&](const Posting& p) {
      if ((p.position_sides & sides) != 0) out.push_back(transfers_[p.position_sides >> 2]);
      return out.size() < filter.limit;
    };
    Walk(first, last, filter.reversed, take);
    return out;
  }

  std::vector<AccountBalance> AccountBalances(const AccountFilter& filter) const {
    std::vector<AccountBalance> out;
    auto it = accounts_.find(filter.account_id);
    if (it == accounts_.end()) return out;
    auto [first, last] = Range(it->second.balances, filter);
    Walk(first, last, filter.reversed, [&](const AccountBalance& b) {
      out.push_back(b);
      return out.size() < filter.limit;
    });
    return out;
  }

  // Events after the filter's sequence, oldest first: from the log by
  // position, or through the subject's list of sequences.
  Result<std::vector<RoleEvent>> Events(const EventFilter& filter) const {
    std::vector<const IndexedEvent*> found;
    if (filter.subject.IsZero()) {
      for (uint64_t i = filter.after_sequence; i < events_.size() && found.size() < filter.limit;
           ++i) {
        found.push_back(&events_[i]);
      }
    } else if (auto it = event_subjects_.find(filter.subject); it != event_subjects_.end()) {
      const std::vector<uint64_t>& sequences = it->second;
      auto s = std::upper_bound(sequences.begin(), sequences.end(), filter.after_sequence);
      for (; s != sequences.end() && found.size() < filter.limit; ++s) {
        found.push_back(&EventAt(*s));
      }
    }
    std::vector<RoleEvent> out(found.size());
    NETFIN_RETURN_IF_ERROR(PayloadReader(fd_, *path_).Read(found, &out));
    return out;
  }

  Status Load(StateVisitor& visitor) const {
    for (const auto& [id, entry] : accounts_) {
      if (entry.account) visitor.OnAccount(*entry.account);
    }
    for (const Transfer& t : transfers_) visitor.OnTransfer(t);
    for (const Expiry& e : expiries_) visitor.OnExpiry(e);
    // The events in slices, their payloads read a slice at a time.
    constexpr size_t kSliceEvents = 1024;
    PayloadReader reader(fd_, *path_);
    std::vector<const IndexedEvent*> slice;
    std::vector<RoleEvent> read;
    for (size_t first = 0; first < events_.size(); first += kSliceEvents) {
      slice.clear();
      for (size_t i = first; i < std::min(events_.size(), first + kSliceEvents); ++i) {
        slice.push_back(&events_[i]);
      }
      read.resize(slice.size());
      NETFIN_RETURN_IF_ERROR(reader.Read(slice, &read));
      for (const RoleEvent& e : read) visitor.OnEvent(e);
    }
    return Status::Ok();
  }

 private:
  struct AccountEntry {
    std::optional<Account> account;  // empty: only named by transfers or balances
    std::vector<Posting> postings;
    std::vector<AccountBalance> balances;
  };

  // The id map outgrows every cache (24 bytes per transfer), so each insert
  // is a cache miss: perf put ~40% of Apply on them. Room is made once per
  // batch and the slots of the transfers a few places ahead are prefetched,
  // so the misses overlap.
  void AddTransfers(const std::vector<Transfer>& transfers) {
    transfer_positions_.reserve(transfer_positions_.size() + transfers.size());
    for (size_t i = 0; i < transfers.size(); ++i) {
      if (i + kPrefetchAhead < transfers.size()) {
        const Transfer& ahead = transfers[i + kPrefetchAhead];
        transfer_positions_.prefetch(ahead.id);
        accounts_.prefetch(ahead.debit_account_id);
        accounts_.prefetch(ahead.credit_account_id);
      }
      AddTransfer(transfers[i]);
    }
  }

  void AddTransfer(const Transfer& t) {
    const uint64_t position = transfers_.size();
    transfers_.push_back(t);
    transfer_positions_.emplace(t.id, position);
    const bool same = t.debit_account_id == t.credit_account_id;
    accounts_[t.debit_account_id].postings.push_back(
        {t.timestamp, (position << 2) | kSideDebit | (same ? kSideCredit : 0)});
    if (!same) {
      accounts_[t.credit_account_id].postings.push_back(
          {t.timestamp, (position << 2) | kSideCredit});
    }
  }

  // REQUIRES: e follows the last event (Append asserts it, recovery checks it).
  void AddEvent(const RoleEvent& e, uint64_t payload_offset) {
    NETFIN_ASSERT(e.sequence == events_.size() + 1);
    events_.push_back(IndexedEvent::Of(e, payload_offset));
    if (!e.subject_a.IsZero()) event_subjects_[e.subject_a].push_back(e.sequence);
    if (!e.subject_b.IsZero() && e.subject_b != e.subject_a) {
      event_subjects_[e.subject_b].push_back(e.sequence);
    }
  }

  const IndexedEvent& EventAt(uint64_t sequence) const {
    NETFIN_ASSERT(sequence >= 1 && sequence <= events_.size());
    return events_[sequence - 1];
  }

  // The records of a timestamp-ordered list inside the filter's inclusive
  // range (0 = unbounded), by binary search.
  template <typename Record>
  static std::pair<const Record*, const Record*> Range(const std::vector<Record>& records,
                                                       const AccountFilter& filter) {
    const uint64_t min = filter.timestamp_min;
    const uint64_t max = filter.timestamp_max == 0 ? UINT64_MAX : filter.timestamp_max;
    const Record* begin = records.data();
    const Record* end = begin + records.size();
    if (min > max) return {end, end};
    auto less = [](const Record& r, uint64_t t) { return r.timestamp < t; };
    auto greater = [](uint64_t t, const Record& r) { return t < r.timestamp; };
    return {std::lower_bound(begin, end, min, less), std::upper_bound(begin, end, max, greater)};
  }

  // Calls take on [first, last) in order (or reversed) while it returns true.
  template <typename Record, typename Take>
  static void Walk(const Record* first, const Record* last, bool reversed, Take&& take) {
    if (!reversed) {
      for (const Record* r = first; r != last; ++r) {
        if (!take(*r)) return;
      }
      return;
    }
    for (const Record* r = last; r != first;) {
      if (!take(*--r)) return;
    }
  }

  // Open addressing: node-based std::unordered_map spent ~30% of the commit
  // thread in chain walks and rehashes at 1M transfers (perf).
  absl::flat_hash_map<Id128, AccountEntry, core::Id128Hash> accounts_;
  std::deque<Transfer> transfers_;
  absl::flat_hash_map<Id128, uint64_t, core::Id128Hash> transfer_positions_;
  std::vector<Expiry> expiries_;
  std::deque<IndexedEvent> events_;  // event n at position n - 1
  // Per party, the sequences of the events naming it (as subject_a or
  // subject_b, once), ascending.
  absl::flat_hash_map<Id128, std::vector<uint64_t>, core::Id128Hash> event_subjects_;
  int fd_ = -1;                        // the journal's, for the events' payloads
  const std::string* path_ = nullptr;  // for errors
};

// ---------------------------------------------------------------------------
// The zero tail.

// The block that O_DIRECT offsets and sizes align to (a multiple of every
// logical sector size), and the page size the writer pads frames out to.
constexpr uint64_t kBlockBytes = 4096;
// One O_DIRECT write and the fdatasync after it: the most zeros that wait
// in the device's queue ahead of a commit, and the longest a writer that
// catches up with the filler waits for it. Measured (bench payments, 4x16
// pipelined): chunks that grew to 64 MiB queued ~40 ms of zeros ahead of the
// commits at each refill, p99 5.5-6.8 ms; 1 MiB chunks, p99 3.2-3.6 ms at
// the same throughput.
constexpr uint64_t kZeroChunkBytes = 1 << 20;
// How far ahead of the writer zeros are kept. It grows with the journal so
// that small journals (tests, a fresh ledger) stay small and a busy one is
// zeroed far enough ahead: at ~125 MB/s of frames, 16 MiB lasts ~130 ms.
constexpr uint64_t kZeroLeadBytesMin = 1 << 20;
constexpr uint64_t kZeroLeadBytesMax = 16 << 20;
static_assert(kZeroChunkBytes % kBlockBytes == 0);

uint64_t RoundUpToBlock(uint64_t bytes) {
  return (bytes + kBlockBytes - 1) / kBlockBytes * kBlockBytes;
}

uint64_t RoundDownToBlock(uint64_t bytes) { return bytes / kBlockBytes * kBlockBytes; }

// A buffer unit for O_DIRECT: aligned and sized to a block.
struct alignas(kBlockBytes) Block {
  char bytes[kBlockBytes] = {};
};

bool SameFile(int a, int b) {
  struct stat sa {};
  struct stat sb {};
  return ::fstat(a, &sa) == 0 && ::fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
         sa.st_ino == sb.st_ino;
}

// Keeps zeros, written and synced, ahead of the journal's last frame, so that
// an append overwrites allocated blocks in place and its fdatasync writes the
// data alone. An append that grows the file also makes fdatasync commit the
// inode (the new size): two serial device writes. Measured here, 1,500-byte
// write + fdatasync: appending 170 us, overwriting written zeros 95 us,
// overwriting fallocate'd (unwritten) extents 143 us, hence real zeros. They
// are written with O_DIRECT so that they stay out of the page cache: an
// append's fdatasync flushes every dirty page of the file, and must not find
// megabytes of zeros there.
//
// Lifecycle: Start after recovery (the store does so for Durability::kSync
// only); Stop or the destructor joins the thread. Threads: a thread of its
// own zeroes chunk after chunk while less than the lead is zeroed ahead of
// the writer's end; the store's writer calls ClaimForWrite before each write.
// Invariants: a chunk is whole blocks that start at or beyond the writer's
// claimed end when the chunk is taken, and the writer never writes into the
// chunk in flight, so neither overwrites the other; the filler writes
// nothing but zeros.
class ZeroTailFiller {
 public:
  ZeroTailFiller() = default;
  ZeroTailFiller(const ZeroTailFiller&) = delete;
  ZeroTailFiller& operator=(const ZeroTailFiller&) = delete;
  ~ZeroTailFiller() { Stop(); }

  // Starts the thread, given where the writer's frames end and where the
  // zeros already on disk end. False when the journal cannot be opened with
  // O_DIRECT (EINVAL on a filesystem without it, such as older tmpfs): the
  // journal then grows by appends as it did before there was a zero tail.
  bool Start(const std::string& path, int journal_fd, uint64_t written_end, uint64_t zeroed_end) {
    NETFIN_ASSERT(!thread_.joinable());
    NETFIN_ASSERT(zeroed_end >= written_end);
    Fd fd(::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
    if (fd.get() < 0 || !SameFile(fd.get(), journal_fd)) return false;
    fd_ = std::move(fd);
    zeros_.resize(kZeroChunkBytes / kBlockBytes);
    claimed_end_ = written_end;
    zeroed_end_ = zeroed_end;
    thread_ = std::thread([this] { Run(); });
    return true;
  }

  // Between a successful Start and Stop (the thread may have given up on a
  // failure since): the writer pads and claims. Writer thread only.
  bool active() const { return thread_.joinable(); }

  // Called by the writer before it writes [begin, end): from then on no
  // chunk starts below end, and this waits for a chunk in flight that
  // overlaps it.
  void ClaimForWrite(uint64_t begin, uint64_t end) {
    NETFIN_ASSERT(begin < end);
    std::unique_lock lock(mutex_);
    claimed_end_ = std::max(claimed_end_, end);
    chunk_written_.wait(lock, [&] { return chunk_end_ <= begin || end <= chunk_begin_; });
    if (NeedsFill()) fill_wanted_.notify_one();
  }

  // Stops the thread after the chunk in flight; what it zeroed stays. Idempotent.
  void Stop() {
    if (!thread_.joinable()) return;
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    fill_wanted_.notify_one();
    thread_.join();
  }

 private:
  // The journal's size rounded up to a power of two, within the bounds.
  static uint64_t LeadBytes(uint64_t written_end) {
    if (written_end >= kZeroLeadBytesMax) return kZeroLeadBytesMax;
    return std::max(kZeroLeadBytesMin, std::bit_ceil(written_end));
  }

  // REQUIRES: mutex_ is held.
  bool NeedsFill() const { return zeroed_end_ < claimed_end_ + LeadBytes(claimed_end_); }

  // Any failure (ENOSPC, EIO, a filesystem that refuses the direct write)
  // ends the thread: the journal is correct without zeros ahead.
  void Run() {
    std::unique_lock lock(mutex_);
    while (true) {  // one chunk per turn; ends at Stop or a failure
      fill_wanted_.wait(lock, [&] { return stop_ || NeedsFill(); });
      if (stop_ || !FillChunk(lock)) return;
    }
  }

  // Zeroes one chunk from the first block past both the writer's claim and
  // the zeros already there, then syncs it (new blocks and size), so that
  // the appends over it have only their data to sync. False on a failure.
  // REQUIRES: lock holds mutex_.
  bool FillChunk(std::unique_lock<std::mutex>& lock) {
    const uint64_t at = RoundUpToBlock(std::max(zeroed_end_, claimed_end_));
    chunk_begin_ = at;
    chunk_end_ = at + kZeroChunkBytes;
    lock.unlock();
    const std::string_view zeros(reinterpret_cast<const char*>(zeros_.data()), kZeroChunkBytes);
    const bool written = WriteAllAt(fd_.get(), zeros, at, "").ok();  // a failure ends Run
    lock.lock();
    chunk_begin_ = chunk_end_ = 0;
    chunk_written_.notify_all();
    if (!written) return false;
    lock.unlock();
    const bool synced = ::fdatasync(fd_.get()) == 0;
    lock.lock();
    if (synced) zeroed_end_ = std::max(zeroed_end_, at + kZeroChunkBytes);
    return synced;
  }

  Fd fd_;                     // the journal, opened O_DIRECT
  std::vector<Block> zeros_;  // one chunk, aligned for O_DIRECT
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable fill_wanted_;  // to the filler: too few zeros ahead, or stop
  std::condition_variable chunk_written_;  // to the writer: the chunk in flight is written
  bool stop_ = false;                    // guarded by mutex_
  uint64_t claimed_end_ = 0;  // guarded by mutex_: the end of what the writer wrote or is writing
  uint64_t zeroed_end_ = 0;   // guarded by mutex_: synced zeros end here (if past claimed_end_)
  uint64_t chunk_begin_ = 0;  // guarded by mutex_: the chunk in flight; empty when no write is
  uint64_t chunk_end_ = 0;
};

// ---------------------------------------------------------------------------
// Direct frame writes.

// Writes frames over the zero tail straight to the device: O_DIRECT, each
// write durable by itself (RWF_DSYNC: over blocks that are allocated and
// written, the device's FUA or one cache flush, no journal commit). Against
// a buffered write and fdatasync this skips copying the frame into the page
// cache and the writeback machinery (measured here, 8 KiB: ~35 against ~50
// us of CPU and ~100 against ~120 us per commit), and, because frames then
// never enter the page cache, it keeps the journal from growing the page
// cache by its own size: on this VM fresh memory costs ~10 us a page once a
// guest's warm pages are used up.
//
// O_DIRECT writes whole aligned blocks, and a frame starts where the last
// one ended, inside a block; so the writer keeps that block's bytes before
// the end (the tail of the last frame) and writes them again in front of
// the new frame: the same bytes, so a torn write leaves the older frame
// intact. Reads (recovery, event payloads) stay buffered on the store's own
// descriptor; the kernel drops cached pages that a direct write replaces.
//
// Lifecycle: Open once the zero tail runs; a filesystem that refuses
// O_DIRECT or RWF_DSYNC (at Open, or at the first write) leaves it inactive
// and the store writes through the page cache as before. Threads: the
// store's writer only.
class DirectFrameWriter {
 public:
  // `end` is the end of the last durable frame.
  void Open(const std::string& path, int journal_fd, uint64_t end) {
    Fd fd(::open(path.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC));
    if (fd.get() < 0 || !SameFile(fd.get(), journal_fd)) return;
    const uint64_t begin = RoundDownToBlock(end);
    if (!ReadAt(journal_fd, begin, end - begin, &tail_, path).ok()) return;
    fd_ = std::move(fd);
  }

  bool active() const { return fd_.get() >= 0; }

  // Writes `frame` at `end` and makes it durable. kFailedPrecondition when
  // the filesystem refuses the direct write before anything was written
  // (the writer is then inactive); any other failure is the disk's.
  Status WriteDurably(std::string_view frame, uint64_t end, const std::string& path) {
    NETFIN_ASSERT(active());
    NETFIN_ASSERT(end - RoundDownToBlock(end) == tail_.size());
    const uint64_t begin = RoundDownToBlock(end);
    const uint64_t bytes = RoundUpToBlock(end + frame.size()) - begin;
    if (buffer_.size() * kBlockBytes < bytes) buffer_.resize(bytes / kBlockBytes);
    char* out = buffer_.front().bytes;
    std::memcpy(out, tail_.data(), tail_.size());
    std::memcpy(out + tail_.size(), frame.data(), frame.size());
    const uint64_t used = tail_.size() + frame.size();
    std::memset(out + used, 0, bytes - used);
    uint64_t done = 0;
    while (done < bytes) {
      iovec chunk{out + done, bytes - done};
      const ssize_t n =
          ::pwritev2(fd_.get(), &chunk, 1, static_cast<off_t>(begin + done), RWF_DSYNC);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && done == 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
        fd_ = Fd();  // refused, nothing written: write through the page cache from now on
        return Status(core::StatusCode::kFailedPrecondition, "direct writes refused");
      }
      if (n < 0) return ErrnoError("cannot write", path);
      if (n == 0 || static_cast<uint64_t>(n) % kBlockBytes != 0) {
        return core::IoError("short direct write of " + path);
      }
      done += static_cast<uint64_t>(n);
    }
    const uint64_t new_end = end + frame.size();
    const uint64_t new_tail = new_end - RoundDownToBlock(new_end);
    tail_.assign(out + (RoundDownToBlock(new_end) - begin), new_tail);
    return Status::Ok();
  }

 private:
  Fd fd_;
  std::vector<Block> buffer_;  // the blocks of one write
  std::string tail_;           // the file's bytes from the last block boundary to its end
};

// ---------------------------------------------------------------------------
// The store.

// The journal implementation of Store.
//
// Lifecycle: Open locks the file (flock, so a second process cannot append
// to it), replays every frame into the index, truncates a torn tail, starts
// the zero tail (kSync), then serves. Threads: Append and Load on one writer
// thread at a time (serialized by writer_mutex_ anyway); queries,
// VerifyChain, Head and Stats from any thread; the zero tail's own thread.
// Invariants: file_bytes_ is the end of the last durable frame, and the file
// holds only zeros after it (or ends there); the index and head_ hold
// exactly the frames up to it, and change together under index_mutex_; once
// an Append has failed nothing more is written.
class JournalStore final : public Store {
 public:
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const StoreOptions& options) {
    auto store = std::unique_ptr<JournalStore>(new JournalStore(path, options.durability));
    NETFIN_RETURN_IF_ERROR(store->OpenFile());
    store->index_.SetFile(store->fd_.get(), &store->path_);
    NETFIN_RETURN_IF_ERROR(store->Recover());
    return std::unique_ptr<Store>(std::move(store));
  }

  Status Append(const Batch& batch) override {
    std::lock_guard lock(writer_mutex_);
    NETFIN_RETURN_IF_ERROR(appends_.Refusal());
    const ChainHead head = head_;  // only this thread writes head_
    const ChainHead next = NextHead(head, batch);
    journal::EncodeFrame(batch, next.batch_number, next.checksum, &frame_);
    const uint64_t frame_bytes = frame_.size();
    const uint64_t frame_offset = file_bytes_;
    if (Status status = WriteFrame(); !status.ok()) return Fail(status);
    file_bytes_ += frame_bytes;
    // Point of no return: the batch is durable; make it visible.
    {
      std::unique_lock index_lock(index_mutex_);
      index_.Apply(batch, frame_offset);
      head_ = next;
    }
    appends_.Committed(batch);
    return Status::Ok();
  }

  ChainHead Head() const override {
    std::shared_lock lock(index_mutex_);
    return head_;
  }

  Status Load(StateVisitor& visitor) override {
    std::lock_guard lock(writer_mutex_);
    std::shared_lock index_lock(index_mutex_);
    return index_.Load(visitor);
  }

  Result<std::optional<Account>> LookupAccount(const Id128& id) override {
    std::shared_lock lock(index_mutex_);
    return index_.LookupAccount(id);
  }

  Result<std::optional<Transfer>> LookupTransfer(const Id128& id) override {
    std::shared_lock lock(index_mutex_);
    return index_.LookupTransfer(id);
  }

  Result<std::vector<Transfer>> GetAccountTransfers(const AccountFilter& filter) override {
    NETFIN_ASSERT(filter.limit >= 1 && filter.limit <= core::kQueryLimitMax);
    std::shared_lock lock(index_mutex_);
    return index_.AccountTransfers(filter);
  }

  Result<std::vector<AccountBalance>> GetAccountBalances(const AccountFilter& filter) override {
    NETFIN_ASSERT(filter.limit >= 1 && filter.limit <= core::kQueryLimitMax);
    std::shared_lock lock(index_mutex_);
    return index_.AccountBalances(filter);
  }

  Result<std::vector<RoleEvent>> ReadEvents(const EventFilter& filter) override {
    NETFIN_ASSERT(filter.limit >= 1 && filter.limit <= core::kQueryLimitMax);
    std::shared_lock lock(index_mutex_);
    return index_.Events(filter);
  }

  // Re-reads the file from disk, not the index.
  Status VerifyChain(ChainReport* report) override { return VerifyJournalFile(path_, report); }

  StoreStats Stats() const override {
    return appends_.Stats(fsyncs_.load(std::memory_order_relaxed));
  }

 private:
  JournalStore(std::string path, Durability durability)
      : path_(std::move(path)), durability_(durability) {}

  Status OpenFile() {
    struct stat st {};
    const bool created = ::stat(path_.c_str(), &st) != 0 && errno == ENOENT;
    // Not O_APPEND: frames are written at file_bytes_, over the zero tail.
    fd_ = Fd(::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
    if (fd_.get() < 0) return ErrnoError("cannot open", path_);
    if (::flock(fd_.get(), LOCK_EX | LOCK_NB) != 0) {
      return Status(core::StatusCode::kFailedPrecondition,
                    "journal " + path_ + " is open in another process");
    }
    if (!created) return Status::Ok();
    CountSync();
    return SyncDirectoryOf(path_);
  }

  // Replays every good frame into the index; truncates a torn tail (with the
  // zeros after it: the filler lays new ones); starts the zero tail.
  Status Recover() {
    ScanOutcome outcome;
    NETFIN_RETURN_IF_ERROR(ScanFile(
        fd_.get(), path_, &outcome,
        [](void* self, const Batch& b, uint64_t frame_offset) {
          static_cast<JournalStore*>(self)->index_.Apply(b, frame_offset);
        },
        this));
    if (outcome.end == ScanOutcome::End::kCorrupt) {
      return core::Corruption("journal " + path_ + ": " + outcome.detail);
    }
    head_ = outcome.head;
    file_bytes_ = outcome.good_bytes;
    if (outcome.end == ScanOutcome::End::kTornTail) {
      NETFIN_RETURN_IF_ERROR(TruncateTornTail());
      outcome.zeroed_end = file_bytes_;
    }
    // Without fsyncs there is nothing to make cheaper. Where Start fails,
    // appends grow the file as they did before the zero tail.
    if (durability_ == Durability::kSync) {
      if (zero_tail_.Start(path_, fd_.get(), file_bytes_, outcome.zeroed_end)) {
        direct_.Open(path_, fd_.get(), file_bytes_);
      }
    }
    return Status::Ok();
  }

  Status TruncateTornTail() {
    if (::ftruncate(fd_.get(), static_cast<off_t>(file_bytes_)) != 0) {
      return ErrnoError("cannot truncate the torn tail of", path_);
    }
    CountSync();
    if (::fsync(fd_.get()) != 0) return ErrnoError("cannot fsync", path_);
    return Status::Ok();
  }

  // Over a zero tail: one direct, self-syncing write (DirectFrameWriter).
  // Otherwise, or where direct writes are refused: one write (looping on
  // partial writes) at file_bytes_, then fdatasync unless async. Over a
  // zero tail that write is padded with zeros to a block boundary: the
  // filler's zeros are not in the page cache, and a write that ends inside
  // an uncached block must first read that block from the device
  // (measured: 4 KiB read per partial-block write, none for a whole block).
  // The next frame starts in that block, still cached.
  Status WriteFrame() {
    if (zero_tail_.active()) {
      const uint64_t padded_end = RoundUpToBlock(file_bytes_ + frame_.size());
      zero_tail_.ClaimForWrite(file_bytes_, padded_end);
      if (direct_.active()) {
        Status written = direct_.WriteDurably(frame_, file_bytes_, path_);
        if (written.code() != core::StatusCode::kFailedPrecondition) {
          CountSync();  // RWF_DSYNC: the write was its own sync
          return written;
        }
      }
      frame_.resize(padded_end - file_bytes_, '\0');
    }
    NETFIN_RETURN_IF_ERROR(WriteAllAt(fd_.get(), frame_, file_bytes_, path_));
    if (durability_ == Durability::kAsync) return Status::Ok();
    CountSync();
    if (::fdatasync(fd_.get()) != 0) return ErrnoError("cannot fdatasync", path_);
    return Status::Ok();
  }

  // Remembers the failure and drops whatever part of the frame reached the
  // file, with the zero tail (best effort: recovery treats a leftover as a
  // torn tail anyway).
  Status Fail(Status status) {
    zero_tail_.Stop();  // nothing more is written, zeros included
    if (::ftruncate(fd_.get(), static_cast<off_t>(file_bytes_)) == 0) {
      (void)::fdatasync(fd_.get());
    }
    return appends_.Fail(std::move(status));
  }

  void CountSync() { fsyncs_.fetch_add(1, std::memory_order_relaxed); }

  const std::string path_;
  const Durability durability_;
  Fd fd_;

  std::mutex writer_mutex_;  // serializes Append and Load
  AppendRecord appends_;     // Refusal/Fail under writer_mutex_
  uint64_t file_bytes_ = 0;  // guarded by writer_mutex_
  std::string frame_;        // Append's encoding buffer, reused; guarded by writer_mutex_

  mutable WriterPreferringMutex index_mutex_;
  QueryIndex index_;  // guarded by index_mutex_
  ChainHead head_;    // guarded by index_mutex_ (written only by the writer)

  // Counts the commit path's syncs only: the zero tail's are off it.
  std::atomic<uint64_t> fsyncs_{0};

  ZeroTailFiller zero_tail_;  // Start/Stop/ClaimForWrite under writer_mutex_ (or at Open)
  DirectFrameWriter direct_;  // used while zero_tail_ is active; under writer_mutex_
};

}  // namespace

Result<std::unique_ptr<Store>> OpenJournalStore(const std::string& path,
                                                const StoreOptions& options) {
  return JournalStore::Open(path, options);
}

Status VerifyJournalFile(const std::string& path, ChainReport* report) {
  NETFIN_ASSERT(report != nullptr);
  *report = ChainReport{};
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError("cannot open", path);
  ScanOutcome outcome;
  NETFIN_RETURN_IF_ERROR(ScanFile(
      fd.get(), path, &outcome, [](void*, const Batch&, uint64_t) {}, nullptr));
  report->batches_checked = outcome.head.batch_number;
  report->records_checked = outcome.records;
  report->first_bad_batch = outcome.bad_batch;
  report->detail = outcome.detail;
  return Status::Ok();
}

}  // namespace netfin::store
