// Tests of the journal store. Tampering and torn writes go through the file
// itself, as a crash or a disk would. The query cases run against both
// backends, so the journal answers exactly like SQLite. With
// Durability::kSync the file runs ahead of its frames with zeros (the zero
// tail); the helpers below find the frames' end by decoding, not by size.

#include "store/journal_store.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/assert.h"
#include "core/limits.h"
#include "core/scratch_dir.h"
#include "store/journal_codec.h"
#include "store/store.h"
#include "store/store_test_support.h"

namespace netfin::store {
namespace {

using core::kAmountMax;
using core::StatusCode;
using namespace testing;  // NOLINT: the shared builders

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string Zeros(size_t bytes) { return std::string(bytes, '\0'); }

// Whether files in dir can be opened with O_DIRECT, which the zero tail
// needs (tmpfs, for one, may refuse it).
bool DirectIoSupported(const std::string& dir) {
  const std::string probe = dir + "/direct-io-probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT | O_CLOEXEC, 0644);
  if (fd >= 0) ::close(fd);
  std::filesystem::remove(probe);
  return fd >= 0;
}

// Waits (up to 10 s) until the file at path is larger than bytes.
bool WaitForSizeAbove(const std::string& path, uint64_t bytes) {
  for (int i = 0; i < 1000; ++i) {
    if (std::filesystem::file_size(path) > bytes) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Everything Load hands over, accounts in id order (the index's map has none).
RecordingVisitor LoadAll(Store& store) {
  RecordingVisitor loaded;
  EXPECT_TRUE(store.Load(loaded).ok());
  std::sort(loaded.accounts.begin(), loaded.accounts.end(),
            [](const Account& a, const Account& b) { return a.id < b.id; });
  return loaded;
}

class JournalStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.File("ledger.journal"); }

  Result<std::unique_ptr<Store>> TryOpen(Durability durability = Durability::kAsync) const {
    StoreOptions options;
    options.durability = durability;
    return OpenJournalStore(path(), options);
  }

  std::unique_ptr<Store> Open(Durability durability = Durability::kAsync) const {
    Result<std::unique_ptr<Store>> store = TryOpen(durability);
    NETFIN_ASSERT(store.ok());
    return std::move(store).value();
  }

  ChainReport VerifyFile() const {
    ChainReport report;
    const Status status = VerifyJournalFile(path(), &report);
    EXPECT_TRUE(status.ok()) << status.ToString();
    return report;
  }

  // Byte offsets where each frame of the file starts, and where the frames
  // end (before any zero tail).
  std::vector<size_t> FrameStarts() const {
    const std::string bytes = ReadFile(path());
    std::vector<size_t> starts;
    size_t at = 0;
    while (bytes.find_first_not_of('\0', at) != std::string::npos) {
      journal::FrameHeader header;
      if (bytes.size() - at < journal::kHeaderBytes ||
          !journal::DecodeHeader(reinterpret_cast<const unsigned char*>(bytes.data() + at), &header)
               .ok()) {
        ADD_FAILURE() << "no frame header at byte " << at;
        break;
      }
      starts.push_back(at);
      at += journal::kHeaderBytes + header.payload_bytes;
    }
    starts.push_back(at);
    return starts;
  }

  size_t FramesEnd() const { return FrameStarts().back(); }

  void FlipByteAt(size_t offset) const {
    std::string bytes = ReadFile(path());
    NETFIN_ASSERT(offset < bytes.size());
    bytes[offset] = static_cast<char>(bytes[offset] ^ 0x5A);
    WriteFile(path(), bytes);
  }

  core::ScratchDir dir_;
};

// --- Round trips and the head ---

TEST_F(JournalStoreTest, RoundTripsEveryFieldAtItsLimitsAcrossReopen) {
  const RecordsAtLimits r = MakeRecordsAtLimits();
  const Batch& batch = r.batch;
  MustAppend(*Open(), batch);
  std::unique_ptr<Store> store = Open();  // everything below comes from the file
  ExpectRecordsAtLimits(*store, r);
  EXPECT_EQ(store->Head().checksum, ChainChecksum(core::Checksum{}, 1, batch));
  const ChainReport report = VerifyFile();
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_EQ(report.records_checked, 5u);
}

TEST_F(JournalStoreTest, FrameSizeIsTheHeaderPlusFixedWidthRecords) {
  std::unique_ptr<Store> store = Open();
  Batch batch = NewBatch({NewAccount(1, 1), NewAccount(2, 2)}, {NewTransfer(3, 1, 2, 3)},
                         {{Id128::FromU64(9), 4}});
  batch.accounts_updated = {NewAccount(1, 1)};
  batch.balances = {NewBalance(1, 3, 1)};
  batch.events = {NewEvent(1, 1, 2, "12345"), NewEvent(2, 0, 0, "")};
  MustAppend(*store, batch);
  EXPECT_EQ(std::filesystem::file_size(path()),
            journal::kHeaderBytes + 3 * journal::kAccountBytes + journal::kTransferBytes +
                journal::kExpiryBytes + journal::kBalanceBytes + 2 * journal::kEventFixedBytes + 5);
  const std::string bytes = ReadFile(path());
  EXPECT_EQ(bytes.substr(0, 4), "NFJ1");
  EXPECT_EQ(bytes.substr(journal::kVersionOffset, 4), std::string("\x03\0\0\0", 4));
  // Version 3's frame checksum: CRC-32C of the header's first 112 bytes and
  // the payload, little-endian, then 28 zero bytes.
  const uint32_t crc =
      core::Crc32c(0, bytes.data(), journal::kHeaderCoveredBytes);
  const uint32_t whole = core::Crc32c(crc, bytes.data() + journal::kHeaderBytes,
                                      bytes.size() - journal::kHeaderBytes);
  std::string field(32, '\0');
  for (int i = 0; i < 4; ++i) field[static_cast<size_t>(i)] = static_cast<char>(whole >> (8 * i));
  EXPECT_EQ(bytes.substr(journal::kFrameChecksumOffset, 32), field);
}

// --- Recovery: torn tails and corruption ---

TEST_F(JournalStoreTest, TornLastFrameIsTruncatedAndAppendsContinue) {
  {
    std::unique_ptr<Store> store = Open();
    AppendThreeBatches(*store);
  }
  const std::vector<size_t> starts = FrameStarts();
  ASSERT_EQ(starts.size(), 4u);
  const size_t cut = (starts[2] + starts[3]) / 2;  // the middle of frame 3
  std::filesystem::resize_file(path(), cut);
  const ChainReport torn = VerifyFile();
  EXPECT_FALSE(torn.first_bad_batch);
  EXPECT_NE(torn.detail.find("never acknowledged"), std::string::npos) << torn.detail;
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, 2u);
  EXPECT_EQ(std::filesystem::file_size(path()), starts[2]);
  EXPECT_FALSE(store->LookupAccount(Id128::FromU64(4)).value().has_value());
  MustAppend(*store, NewBatch({NewAccount(4, 35)}, {NewTransfer(30, 3, 1, 30)}));
  store.reset();
  store = Open();
  EXPECT_EQ(store->Head().batch_number, 3u);
  EXPECT_TRUE(store->LookupAccount(Id128::FromU64(4)).value().has_value());
  EXPECT_FALSE(VerifyFile().first_bad_batch);
}

TEST_F(JournalStoreTest, TornTailsOfEveryShapeAreTruncated) {
  struct TornCase {
    const char* name;
    std::function<void(std::string&, size_t last_start)> damage;
  };
  const TornCase cases[] = {
      {"partial header", [](std::string& b, size_t s) { b.resize(s + 10); }},
      {"header only", [](std::string& b, size_t s) { b.resize(s + journal::kHeaderBytes); }},
      {"last byte missing", [](std::string& b, size_t) { b.pop_back(); }},
      {"flipped payload byte of the last frame", [](std::string& b, size_t) { b.back() ^= 1; }},
      {"zeros after the last frame", [](std::string& b, size_t) { b.append(4096, '\0'); }},
      {"zeroed last frame",
       [](std::string& b, size_t s) {
         std::fill(b.begin() + static_cast<ptrdiff_t>(s), b.end(), '\0');
       }},
  };
  for (const TornCase& c : cases) {
    std::filesystem::remove(path());
    {
      std::unique_ptr<Store> store = Open();
      AppendThreeBatches(*store);
    }
    const size_t last_start = FrameStarts()[2];
    std::string bytes = ReadFile(path());
    const bool appended = c.name == std::string("zeros after the last frame");
    c.damage(bytes, last_start);
    WriteFile(path(), bytes);
    Result<std::unique_ptr<Store>> store = TryOpen();
    ASSERT_TRUE(store.ok()) << c.name << ": " << store.status().ToString();
    EXPECT_EQ((*store)->Head().batch_number, appended ? 3u : 2u) << c.name;
  }
}

TEST_F(JournalStoreTest, BadFrameBeforeTheLastIsCorruption) {
  struct CorruptCase {
    const char* name;
    size_t frame;   // 0-based
    size_t offset;  // within the frame
  };
  const CorruptCase cases[] = {
      {"payload of frame 2", 1, journal::kHeaderBytes + 5},
      {"magic of frame 2", 1, 0},
      {"batch number of frame 2", 1, 8},
      {"chain checksum of frame 1", 0, journal::kChainOffset + 6},
      {"frame checksum of frame 2", 1, journal::kFrameChecksumOffset + 4},
  };
  for (const CorruptCase& c : cases) {
    std::filesystem::remove(path());
    {
      std::unique_ptr<Store> store = Open();
      AppendThreeBatches(*store);
    }
    FlipByteAt(FrameStarts()[c.frame] + c.offset);
    Result<std::unique_ptr<Store>> store = TryOpen();
    ASSERT_FALSE(store.ok()) << c.name;
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << c.name;
    const ChainReport report = VerifyFile();
    EXPECT_EQ(report.first_bad_batch, c.frame + 1) << c.name << ": " << report.detail;
    EXPECT_EQ(report.batches_checked, c.frame) << c.name;
  }
}

TEST_F(JournalStoreTest, FrameWithAValidChecksumButABrokenChainIsCorruption) {
  {
    std::unique_ptr<Store> store = Open();
    AppendThreeBatches(*store);
  }
  // Re-encode frame 3 with a wrong chain checksum and a matching frame
  // checksum: only the chain can tell.
  const size_t start = FrameStarts()[2];
  std::string bytes = ReadFile(path());
  std::string frame;
  journal::EncodeFrame(
      NewBatch({NewAccount(4, 35)}, {NewTransfer(30, 3, 1, 30), NewTransfer(40, 1, 4, 40)}), 3,
      core::Checksum{}, &frame);
  bytes.replace(start, std::string::npos, frame);
  WriteFile(path(), bytes);
  EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption);
  const ChainReport report = VerifyFile();
  EXPECT_EQ(report.first_bad_batch, 3u);
  EXPECT_NE(report.detail.find("chain"), std::string::npos) << report.detail;
}

// --- The zero tail ---

TEST_F(JournalStoreTest, ZerosAfterTheLastFrameAreACleanEndAndTheNextFrameGoesOverThem) {
  for (size_t zeros : {size_t{1}, journal::kHeaderBytes - 1, journal::kHeaderBytes, size_t{4096},
                       size_t{(1 << 20) + 3}}) {
    std::filesystem::remove(path());
    AppendThreeBatches(*Open());
    const size_t frames_end = FramesEnd();
    WriteFile(path(), ReadFile(path()) + Zeros(zeros));
    const ChainReport report = VerifyFile();
    EXPECT_FALSE(report.first_bad_batch) << zeros;
    EXPECT_TRUE(report.detail.empty()) << zeros << ": " << report.detail;
    EXPECT_EQ(report.batches_checked, 3u) << zeros;
    {
      std::unique_ptr<Store> store = Open();
      EXPECT_EQ(store->Head().batch_number, 3u) << zeros;
      EXPECT_EQ(std::filesystem::file_size(path()), frames_end + zeros);  // kept, not cut
      MustAppend(*store, NewBatch({NewAccount(5, 50)}));
    }
    // The frame went where the frames end, not after the zeros.
    EXPECT_EQ(FrameStarts()[3], frames_end) << zeros;
    EXPECT_EQ(std::filesystem::file_size(path()), std::max(frames_end + zeros, FramesEnd()));
    std::unique_ptr<Store> store = Open();
    EXPECT_EQ(store->Head().batch_number, 4u) << zeros;
    EXPECT_TRUE(store->LookupAccount(Id128::FromU64(5)).value().has_value()) << zeros;
    EXPECT_TRUE(VerifyFile().detail.empty()) << zeros;
  }
}

// A crash while a frame is written over the zero tail leaves its first
// bytes and zeros after them.
TEST_F(JournalStoreTest, TornLastFrameFollowedByZerosIsTruncatedAndAppendsContinue) {
  struct TornCase {
    const char* name;
    std::function<size_t(size_t frame_bytes)> kept;      // bytes of frame 3 that reached the disk
    std::function<size_t(size_t frame_bytes)> reported;  // the torn bytes the detail names
  };
  const auto whole = [](size_t frame_bytes) { return frame_bytes; };
  const TornCase cases[] = {
      // Not a header: its non-zero bytes are what was written.
      {"two bytes of the magic", [](size_t) { return 2; }, [](size_t) { return 2; }},
      // Decodes (the counts got there); the claimed length is what was torn.
      {"the header without its checksum", [](size_t) { return journal::kFrameChecksumOffset; },
       whole},
      {"the header only", [](size_t) { return journal::kHeaderBytes; }, whole},
      {"half the payload",
       [](size_t b) { return journal::kHeaderBytes + (b - journal::kHeaderBytes) / 2; }, whole},
      // The last field is transfer 40's timestamp: one byte 40, then zeros.
      {"all but the last field", [](size_t b) { return b - 8; }, whole},
  };
  for (const TornCase& c : cases) {
    std::filesystem::remove(path());
    AppendThreeBatches(*Open());
    const std::vector<size_t> starts = FrameStarts();
    const size_t frame_bytes = starts[3] - starts[2];
    std::string bytes = ReadFile(path());
    bytes.resize(starts[2] + c.kept(frame_bytes));
    WriteFile(path(), bytes + Zeros((1 << 16) + 7));
    const ChainReport torn = VerifyFile();
    EXPECT_FALSE(torn.first_bad_batch) << c.name << ": " << torn.detail;
    EXPECT_NE(torn.detail.find("(" + std::to_string(c.reported(frame_bytes)) +
                               " bytes, never acknowledged)"),
              std::string::npos)
        << c.name << ": " << torn.detail;
    {
      std::unique_ptr<Store> store = Open();
      EXPECT_EQ(store->Head().batch_number, 2u) << c.name;
      EXPECT_EQ(std::filesystem::file_size(path()), starts[2]) << c.name;
      MustAppend(*store, NewBatch({NewAccount(4, 35)}, {NewTransfer(30, 3, 1, 30)}));
    }
    std::unique_ptr<Store> store = Open();
    EXPECT_EQ(store->Head().batch_number, 3u) << c.name;
    EXPECT_TRUE(store->LookupAccount(Id128::FromU64(4)).value().has_value()) << c.name;
    EXPECT_TRUE(VerifyFile().detail.empty()) << c.name;
  }
}

// Bytes in the zero tail follow the rules for any bad frame: with no frame
// magic after them they are a torn write, cut off; before a later frame
// they are corruption, never cut.
TEST_F(JournalStoreTest, DataInTheZeroTailIsATornTailUnlessAFrameFollows) {
  struct TailCase {
    const char* name;
    bool damage_frame_3;    // flip a payload byte of the last frame
    bool garbage;           // non-zero bytes without a magic, 1000 bytes into the zeros
    bool frame_4_after;     // a well-formed frame 4, 8192 bytes into the zeros
    uint64_t head_at_open;  // 0: the open fails with kCorruption
    std::optional<uint64_t> first_bad_batch;
  };
  const TailCase cases[] = {
      {"garbage", false, true, false, 3, std::nullopt},
      {"damaged last frame", true, false, false, 2, std::nullopt},
      {"damaged last frame and garbage", true, true, false, 2, std::nullopt},
      {"a frame after zeros", false, false, true, 0, 4},
      {"damaged last frame before a frame", true, false, true, 0, 3},
  };
  for (const TailCase& c : cases) {
    std::filesystem::remove(path());
    core::Checksum head_3{};
    {
      std::unique_ptr<Store> store = Open();
      AppendThreeBatches(*store);
      head_3 = store->Head().checksum;
    }
    const std::vector<size_t> starts = FrameStarts();
    std::string bytes = ReadFile(path()) + Zeros(1 << 16);
    if (c.damage_frame_3) bytes[starts[3] - 1] ^= 1;
    if (c.garbage) bytes.replace(starts[3] + 1000, 100, std::string(100, 'x'));
    if (c.frame_4_after) {
      const Batch batch = NewBatch({NewAccount(5, 50)});
      std::string frame;
      journal::EncodeFrame(batch, 4, ChainChecksum(head_3, 4, batch), &frame);
      bytes.replace(starts[3] + 8192, frame.size(), frame);
    }
    WriteFile(path(), bytes);
    const ChainReport report = VerifyFile();
    EXPECT_EQ(report.first_bad_batch, c.first_bad_batch) << c.name << ": " << report.detail;
    Result<std::unique_ptr<Store>> store = TryOpen();
    if (c.head_at_open == 0) {
      EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << c.name;
      EXPECT_EQ(ReadFile(path()), bytes) << c.name;  // left for an operator to look at
      continue;
    }
    ASSERT_TRUE(store.ok()) << c.name << ": " << store.status().ToString();
    EXPECT_EQ((*store)->Head().batch_number, c.head_at_open) << c.name;
    EXPECT_NE(report.detail.find("never acknowledged"), std::string::npos) << c.name;
    EXPECT_EQ(std::filesystem::file_size(path()), starts[c.head_at_open]) << c.name;
  }
}

TEST_F(JournalStoreTest, DurableJournalRunsAheadOfItsFramesWithZeros) {
  if (!DirectIoSupported(dir_.path())) GTEST_SKIP() << "no O_DIRECT in " << dir_.path();
  {
    std::unique_ptr<Store> store = Open(Durability::kSync);
    AppendThreeBatches(*store);
    const size_t frames_end = FramesEnd();
    ASSERT_TRUE(WaitForSizeAbove(path(), frames_end + (1 << 19)));
    EXPECT_EQ(std::filesystem::file_size(path()) % 4096, 0u);
    const std::string bytes = ReadFile(path());
    EXPECT_EQ(bytes.find_first_not_of('\0', frames_end), std::string::npos);
    ChainReport report;  // of the live file, zeros and all
    ASSERT_TRUE(store->VerifyChain(&report).ok());
    EXPECT_TRUE(report.detail.empty()) << report.detail;
    EXPECT_EQ(report.batches_checked, 3u);
  }
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, 3u);
  EXPECT_GT(std::filesystem::file_size(path()), FramesEnd());  // the zeros stay
}

// Frames of ~0.5-1 MiB cross many 1 MiB chunks of zeros (while the lead
// grows to 8 MiB and more) and, whenever the filler is behind, the end of
// the file.
TEST_F(JournalStoreTest, ManyAppendsAcrossZeroChunksReopenToTheSameState) {
  constexpr uint64_t kAccounts = 100;
  std::vector<Account> accounts;
  for (uint64_t id = 1; id <= kAccounts; ++id) accounts.push_back(NewAccount(id, id));
  std::vector<Batch> batches = {NewBatch(accounts)};
  uint64_t timestamp = kAccounts;
  for (uint64_t b = 1; b <= 12; ++b) {
    Batch batch;
    for (uint64_t i = 0; i < 4000 + 333 * b; ++i) {  // uneven sizes: frames end mid-block
      ++timestamp;
      batch.transfers_created.push_back(
          NewTransfer(timestamp, 1 + i % kAccounts, 1 + (i + b) % kAccounts, timestamp));
    }
    batch.events = {NewEvent(b, b, 0, std::string(b * 7, 'e'), timestamp)};
    batches.push_back(std::move(batch));
  }
  RecordingVisitor before;
  ChainHead head;
  {
    std::unique_ptr<Store> store = Open(Durability::kSync);
    for (const Batch& batch : batches) MustAppend(*store, batch);
    before = LoadAll(*store);
    head = store->Head();
  }
  ASSERT_GT(FramesEnd(), 8u << 20);
  const ChainReport report = VerifyFile();
  EXPECT_TRUE(report.detail.empty()) << report.detail;
  EXPECT_EQ(report.batches_checked, batches.size());
  {
    std::unique_ptr<Store> store = Open(Durability::kSync);
    EXPECT_EQ(store->Head().checksum, head.checksum);
    const RecordingVisitor after = LoadAll(*store);
    EXPECT_EQ(after.accounts, before.accounts);
    EXPECT_EQ(after.transfers, before.transfers);
    EXPECT_EQ(after.events, before.events);
    EXPECT_EQ(after.transfers.size(), timestamp - kAccounts);
    MustAppend(*store, NewBatch({NewAccount(kAccounts + 1, timestamp + 1)}));
  }
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, batches.size() + 1);
  EXPECT_EQ(LoadAll(*store).transfers, before.transfers);
  EXPECT_TRUE(VerifyFile().detail.empty());
}

// A fresh journal's first zeros are written exactly where its first frames
// go, while they are appended: the frames must win every time.
TEST_F(JournalStoreTest, FirstFramesRaceTheFirstZerosAndSurvive) {
  if (!DirectIoSupported(dir_.path())) GTEST_SKIP() << "no O_DIRECT in " << dir_.path();
  for (int round = 0; round < 20; ++round) {
    std::filesystem::remove(path());
    AppendThreeBatches(*Open(Durability::kSync));
    std::unique_ptr<Store> store = Open();
    ASSERT_EQ(store->Head().batch_number, 3u) << "round " << round;
  }
}

// Pages of the file at path that are in the page cache.
size_t CachedPages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  NETFIN_ASSERT(fd >= 0);
  const size_t bytes = std::filesystem::file_size(path);
  void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd, 0);
  NETFIN_ASSERT(map != MAP_FAILED);
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> resident((bytes + page - 1) / page);
  NETFIN_ASSERT(::mincore(map, bytes, resident.data()) == 0);
  ::munmap(map, bytes);
  ::close(fd);
  return static_cast<size_t>(
      std::count_if(resident.begin(), resident.end(), [](unsigned char r) { return r & 1; }));
}

// Durable frames go straight to the device: the journal does not grow the
// page cache by its own size (which a long run pays for in fresh memory).
TEST_F(JournalStoreTest, DurableFramesStayOutOfThePageCache) {
  if (!DirectIoSupported(dir_.path())) GTEST_SKIP() << "no O_DIRECT in " << dir_.path();
  std::unique_ptr<Store> store = Open(Durability::kSync);
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  for (uint64_t b = 0; b < 60; ++b) {
    std::vector<Transfer> transfers;
    for (uint64_t i = 0; i < 50 + b; ++i) {
      const uint64_t id = 100 + b * 1000 + i;
      transfers.push_back(NewTransfer(id, 1 + i % 2, 2 - i % 2, id));
    }
    MustAppend(*store, NewBatch({}, std::move(transfers)));
  }
  ASSERT_GT(FramesEnd(), 60u * 50 * 128);  // FramesEnd reads the file: count again after
  const size_t frame_pages = FramesEnd() / 4096;
  // Reading the file above cached it; the next frames replace what they
  // touch, and nothing they write stays.
  const int fd = ::open(path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  ::close(fd);
  for (uint64_t b = 0; b < 60; ++b) {
    MustAppend(*store, NewBatch({}, {NewTransfer(200'000 + b, 1, 2, 200'000 + b)}));
  }
  EXPECT_LE(CachedPages(path()), 1u) << "of " << frame_pages << " pages of frames";
  EXPECT_EQ(store->Head().batch_number, 121u);
}

// Small frames share blocks: each direct write carries the end of the frame
// before it again. Across reopens (which read that end back from the file)
// every frame stays whole.
TEST_F(JournalStoreTest, SmallFramesSharingBlocksSurviveReopens) {
  std::vector<Transfer> written;
  std::vector<RoleEvent> events;
  for (uint64_t round = 0; round < 4; ++round) {
    std::unique_ptr<Store> store = Open(Durability::kSync);
    if (round == 0) MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
    for (uint64_t b = 0; b < 25; ++b) {
      const uint64_t id = 10 + round * 1000 + b;
      written.push_back(NewTransfer(id, 1 + b % 2, 2 - b % 2, id));
      events.push_back(NewEvent(events.size() + 1, id, 0, std::string(b * 37, 'p'), id));
      Batch batch = NewBatch({}, {written.back()});
      batch.events = {events.back()};
      MustAppend(*store, batch);
    }
  }
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, 1u + 4 * 25);
  const RecordingVisitor loaded = LoadAll(*store);
  EXPECT_EQ(loaded.transfers, written);
  EXPECT_EQ(loaded.events, events);
  const ChainReport report = VerifyFile();
  EXPECT_TRUE(report.detail.empty()) << report.detail;
  EXPECT_EQ(report.batches_checked, 1u + 4 * 25);
}

// --- Role events in frames ---

TEST_F(JournalStoreTest, TornFrameTakesItsRoleEventsWithIt) {
  AppendBatchesWithEvents(*Open());
  const std::vector<size_t> starts = FrameStarts();
  std::filesystem::resize_file(path(), (starts[2] + starts[3]) / 2);
  std::unique_ptr<Store> store = Open();
  EXPECT_EQ(store->Head().batch_number, 2u);
  EXPECT_EQ(store->Head().event_sequence_max, 4u);
  EXPECT_EQ(store->ReadEvents({0, Id128::Zero(), 100}).value().size(), 4u);
  MustAppend(*store, BatchesWithEvents()[2]);
  store.reset();
  store = Open();
  EXPECT_EQ(store->Head().event_sequence_max, 5u);
  EXPECT_EQ(store->ReadEvents({4, Id128::Zero(), 100}).value(),
            std::vector<RoleEvent>{BatchesWithEvents()[2].events[0]});
}

// AppendBatchesWithEvents: frame 2 holds only events 3 ("") and 4 ("\0\xff").
TEST_F(JournalStoreTest, TamperedRoleEventIsFoundByVerifyChain) {
  std::unique_ptr<Store> store = Open();
  AppendBatchesWithEvents(*store);
  const std::vector<size_t> starts = FrameStarts();
  const std::string intact = ReadFile(path());

  // A damaged payload byte: the frame checksum no longer matches.
  FlipByteAt(starts[2] - 1);
  ChainReport report;
  ASSERT_TRUE(store->VerifyChain(&report).ok());
  EXPECT_EQ(report.first_bad_batch, 2u) << report.detail;

  // A changed payload in a frame rewritten whole: only the chain can tell.
  Batch changed = BatchesWithEvents()[1];
  changed.events[1].payload = std::string("\0\xfe", 2);
  core::Checksum chain{};
  std::memcpy(chain.data(), intact.data() + starts[1] + journal::kChainOffset, chain.size());
  std::string frame;
  journal::EncodeFrame(changed, 2, chain, &frame);
  ASSERT_EQ(frame.size(), starts[2] - starts[1]);
  std::string bytes = intact;
  bytes.replace(starts[1], frame.size(), frame);
  WriteFile(path(), bytes);
  ASSERT_TRUE(store->VerifyChain(&report).ok());
  EXPECT_EQ(report.first_bad_batch, 2u) << report.detail;
  EXPECT_NE(report.detail.find("chain checksum"), std::string::npos) << report.detail;
  store.reset();
  EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption);

  WriteFile(path(), intact);
  EXPECT_FALSE(VerifyFile().first_bad_batch);
}

// Frames whose checksums all match but whose events do not hold together,
// as a frame written by something other than this store could be.
TEST_F(JournalStoreTest, RoleEventsOutOfSequenceInAWellFormedFrameAreCorruption) {
  const std::vector<Batch> batches = BatchesWithEvents();
  MustAppend(*Open(), batches[0]);
  Batch skipping = batches[1];
  skipping.events[0].sequence = 4;
  skipping.events[1].sequence = 5;
  const core::Checksum first = ChainChecksum(core::Checksum{}, 1, batches[0]);
  std::string frame;
  journal::EncodeFrame(skipping, 2, ChainChecksum(first, 2, skipping), &frame);
  WriteFile(path(), ReadFile(path()) + frame);
  EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption);
  const ChainReport report = VerifyFile();
  EXPECT_EQ(report.first_bad_batch, 2u);
  EXPECT_NE(report.detail.find("role event 4 where 3 was due"), std::string::npos) << report.detail;
}

TEST_F(JournalStoreTest, RoleEventPayloadLengthsThatDisagreeWithTheFrameAreCorruption) {
  // Event 4's length field in frame 2's payload: after event 3 (56 bytes,
  // empty payload) and event 4's other fixed fields.
  const size_t length_at = journal::kHeaderBytes + journal::kEventFixedBytes + 52;
  // The frame holds 2 payload bytes: too long, too short, beyond any payload.
  for (uint32_t length : {3u, 1u, UINT32_MAX}) {
    std::filesystem::remove(path());
    AppendBatchesWithEvents(*Open());
    const std::vector<size_t> starts = FrameStarts();
    std::string bytes = ReadFile(path());
    for (int i = 0; i < 4; ++i) {
      bytes[starts[1] + length_at + i] = static_cast<char>(length >> (8 * i));
    }
    const auto* header = reinterpret_cast<const unsigned char*>(bytes.data() + starts[1]);
    const std::string_view payload(bytes.data() + starts[1] + journal::kHeaderBytes,
                                   starts[2] - starts[1] - journal::kHeaderBytes);
    const core::Checksum frame =
        journal::FrameChecksum(journal::kJournalFormatVersion, header, payload);
    bytes.replace(starts[1] + journal::kFrameChecksumOffset, frame.size(),
                  reinterpret_cast<const char*>(frame.data()), frame.size());
    WriteFile(path(), bytes);
    EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption) << length;
    const ChainReport report = VerifyFile();
    EXPECT_EQ(report.first_bad_batch, 2u) << length;
    EXPECT_NE(report.detail.find("payload"), std::string::npos) << report.detail;
  }
}

// A file from a netfin of another format version must be refused, never
// mistaken for a torn tail and cut off.
TEST_F(JournalStoreTest, FileOfAnotherFormatVersionIsRefusedAndKept) {
  MustAppend(*Open(), NewBatch({NewAccount(1, 1)}));  // one frame: it would look torn
  std::string bytes = ReadFile(path());
  bytes[journal::kVersionOffset] = 1;
  WriteFile(path(), bytes);
  const Status refused = TryOpen().status();
  EXPECT_EQ(refused.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("format version 1"), std::string::npos) << refused.message();
  ChainReport report;
  EXPECT_EQ(VerifyJournalFile(path(), &report).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReadFile(path()), bytes);

  // A later frame of another version is no torn tail either.
  std::filesystem::remove(path());
  AppendThreeBatches(*Open());
  bytes = ReadFile(path());
  bytes[FrameStarts()[2] + journal::kVersionOffset] = journal::kJournalFormatVersion + 1;
  WriteFile(path(), bytes);
  EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption);
  EXPECT_EQ(ReadFile(path()), bytes);
}

// Rewrites the frames starting at `starts` (of the file's bytes) as an
// older netfin wrote them: format version 2, a BLAKE2b-256 frame checksum.
void RestampAsVersion2(std::string& bytes, const std::vector<size_t>& starts, size_t frames) {
  for (size_t i = 0; i < frames; ++i) {
    bytes[starts[i] + journal::kVersionOffset] = 2;
    const auto* header = reinterpret_cast<const unsigned char*>(bytes.data() + starts[i]);
    const std::string_view payload(bytes.data() + starts[i] + journal::kHeaderBytes,
                                   starts[i + 1] - starts[i] - journal::kHeaderBytes);
    const core::Checksum frame = journal::FrameChecksum(2, header, payload);
    bytes.replace(starts[i] + journal::kFrameChecksumOffset, frame.size(),
                  reinterpret_cast<const char*>(frame.data()), frame.size());
  }
}

// A file of version 2 frames (BLAKE2b frame checksums) opens as it was and
// goes on with version 3 frames (CRC-32C); the mixed file reopens, verifies
// whole, and still catches a damaged byte in a frame of either version.
TEST_F(JournalStoreTest, VersionTwoFramesAreReadAndContinuedWithVersionThree) {
  const std::vector<Batch> batches = BatchesWithEvents();
  {
    std::unique_ptr<Store> store = Open();
    MustAppend(*store, batches[0]);
    MustAppend(*store, batches[1]);
  }
  std::string bytes = ReadFile(path());
  RestampAsVersion2(bytes, FrameStarts(), 2);
  WriteFile(path(), bytes);
  {
    std::unique_ptr<Store> store = Open();
    EXPECT_EQ(store->Head().batch_number, 2u);
    EXPECT_EQ(store->ReadEvents({0, Id128::Zero(), 100}).value().size(), 4u);
    MustAppend(*store, batches[2]);
  }
  const std::vector<size_t> starts = FrameStarts();
  const std::string mixed = ReadFile(path());
  const auto version_at = [&mixed](size_t start) {
    return static_cast<uint32_t>(static_cast<unsigned char>(mixed[start + journal::kVersionOffset]));
  };
  EXPECT_EQ(version_at(starts[0]), 2u);
  EXPECT_EQ(version_at(starts[1]), 2u);
  EXPECT_EQ(version_at(starts[2]), journal::kJournalFormatVersion);
  {
    std::unique_ptr<Store> store = Open();
    EXPECT_EQ(store->Head().batch_number, 3u);
    EXPECT_EQ(store->ReadEvents({4, Id128::Zero(), 100}).value(),
              std::vector<RoleEvent>{batches[2].events[0]});
  }
  const ChainReport intact = VerifyFile();
  EXPECT_FALSE(intact.first_bad_batch) << intact.detail;
  EXPECT_EQ(intact.batches_checked, 3u);
  // A damaged byte inside a frame (with a frame after it: no torn tail).
  for (const size_t damaged : {starts[0] + journal::kHeaderBytes, starts[1] - 1}) {
    WriteFile(path(), mixed);
    FlipByteAt(damaged);
    EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption) << damaged;
  }
}

// No netfin writes a version older than one it reads: an older frame after
// a newer one was not written by netfin.
TEST_F(JournalStoreTest, VersionTwoFrameAfterVersionThreeIsCorruption) {
  AppendThreeBatches(*Open());
  std::string bytes = ReadFile(path());
  const std::vector<size_t> starts = FrameStarts();
  RestampAsVersion2(bytes, {starts[1], starts[2]}, 1);
  WriteFile(path(), bytes);
  const Status refused = TryOpen().status();
  EXPECT_EQ(refused.code(), StatusCode::kCorruption);
  EXPECT_NE(refused.message().find("a version 2 frame after version 3 frames"), std::string::npos)
      << refused.message();
  EXPECT_EQ(ReadFile(path()), bytes);
}

TEST_F(JournalStoreTest, VerifyOfAnIntactFileCountsEveryRecord) {
  std::unique_ptr<Store> store = Open();
  ChainReport report;
  ASSERT_TRUE(store->VerifyChain(&report).ok());
  EXPECT_EQ(report.batches_checked, 0u);
  AppendThreeBatches(*store);
  ASSERT_TRUE(store->VerifyChain(&report).ok());
  EXPECT_FALSE(report.first_bad_batch) << report.detail;
  EXPECT_TRUE(report.detail.empty());
  EXPECT_EQ(report.batches_checked, 3u);
  EXPECT_EQ(report.records_checked, 9u);
}

TEST_F(JournalStoreTest, VerifyOfAMissingFileIsAnIoError) {
  ChainReport report;
  EXPECT_EQ(VerifyJournalFile(dir_.File("missing"), &report).code(), StatusCode::kIoError);
}

// --- Durability, failure and stats ---

TEST_F(JournalStoreTest, EachDurableAppendIsOneFsync) {
  std::unique_ptr<Store> store = Open(Durability::kSync);
  const uint64_t at_open = store->Stats().fsyncs;
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  EXPECT_EQ(store->Stats().fsyncs, at_open + 1);
  MustAppend(*store, NewBatch({}, {NewTransfer(3, 1, 2, 3)}));
  EXPECT_EQ(store->Stats().fsyncs, at_open + 2);
  EXPECT_EQ(store->Stats().batches, 2u);
  EXPECT_EQ(store->Stats().events, 3u);
}

// Lowers the process's file size limit for its lifetime, so that a write
// past it fails with EFBIG (SIGXFSZ ignored) after writing what fits.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(uint64_t bytes) {
    previous_handler_ = ::signal(SIGXFSZ, SIG_IGN);
    NETFIN_ASSERT(::getrlimit(RLIMIT_FSIZE, &previous_) == 0);
    rlimit limit = previous_;
    limit.rlim_cur = bytes;
    NETFIN_ASSERT(::setrlimit(RLIMIT_FSIZE, &limit) == 0);
  }
  ~FileSizeLimit() {
    NETFIN_ASSERT(::setrlimit(RLIMIT_FSIZE, &previous_) == 0);
    ::signal(SIGXFSZ, previous_handler_);
  }

 private:
  rlimit previous_{};
  sighandler_t previous_handler_;
};

TEST_F(JournalStoreTest, FailedAppendLeavesNothingAndRefusesLaterAppends) {
  std::unique_ptr<Store> store = Open(Durability::kSync);
  MustAppend(*store, NewBatch({NewAccount(1, 1), NewAccount(2, 2)}));
  const ChainHead head = store->Head();
  const size_t good_bytes = FramesEnd();
  Status failed;
  {
    FileSizeLimit limit(good_bytes + 50);  // part of the next header fits
    failed = store->Append(NewBatch({NewAccount(3, 4)}, {NewTransfer(5, 1, 2, 5)}));
  }
  EXPECT_EQ(failed.code(), StatusCode::kIoError) << failed.ToString();
  EXPECT_EQ(store->Head().checksum, head.checksum);
  EXPECT_FALSE(store->LookupAccount(Id128::FromU64(3)).value().has_value());
  // The partial frame is gone, and the zero tail with it.
  EXPECT_EQ(std::filesystem::file_size(path()), good_bytes);
  const Batch valid = NewBatch({}, {NewTransfer(6, 1, 2, 6)});
  EXPECT_EQ(store->Append(valid).code(), StatusCode::kUnavailable);
  EXPECT_EQ(store->Stats().batches, 1u);
  store.reset();
  store = Open();  // a restart recovers from what is on disk
  EXPECT_EQ(store->Head().batch_number, 1u);
  MustAppend(*store, valid);
  EXPECT_FALSE(VerifyFile().first_bad_batch);
}

TEST_F(JournalStoreTest, NotAJournalIsCorruption) {
  WriteFile(path(), std::string("SQLite format 3") + std::string(200, 'x') + "NFJ1" +
                        std::string(200, 'y'));
  EXPECT_EQ(TryOpen().status().code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace netfin::store
