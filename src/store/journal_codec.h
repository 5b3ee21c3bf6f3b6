#pragma once

// The journal store's binary frame format (docs/design/journal.md,
// "Journal backend"). One frame per committed batch:
//
//   offset size  field
//   0      4     magic "NFJ1"
//   4      4     format version (kJournalFormatVersion)
//   8      8     batch number (1, 2, ...)
//   16     8     payload bytes
//   24     56    counts: accounts_created, transfers_created, expiries,
//                accounts_updated, balances, events, event_payload_bytes
//                (u64 each; the last is the sum of the events' payloads)
//   80     32    chain checksum = ChainChecksum(previous, number, batch)
//   112    32    frame checksum over bytes [0, 112) and the payload: from
//                version 3, CRC-32C (u32) then 28 zero bytes; in version
//                2, BLAKE2b-256
//   144    ...   payload: the records of each list in that order, each
//                field fixed-width little-endian in declaration order
//                (ids as hi then lo, u64 each); a role event's fixed fields
//                end with its payload's length (u32), its payload follows
//
// Every integer is little-endian. Nothing is padded; records are encoded
// field by field, never copied as structs.
//
// Version 2 added role events (the last two counts and the events list).
// Version 3 made the frame checksum a CRC-32C: it only has to catch torn
// and damaged writes (the chain checksum, recomputed at open, is the
// cryptographic one), and BLAKE2b over every frame cost ~4% of a signed
// payment's CPU (29.3 -> 28.0 us, docs/benchmarks.md). Versions 2 and 3
// are read, and a file of version 2 frames goes on with version 3 ones;
// version 1 files are not read: a file of another version is refused at
// open, never mistaken for a torn tail.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/checksum.h"
#include "core/status.h"
#include "store/store.h"

namespace netfin::store::journal {

// DO NOT CHANGE: persisted.
inline constexpr char kMagic[4] = {'N', 'F', 'J', '1'};
inline constexpr uint32_t kJournalFormatVersion = 3;     // written
inline constexpr uint32_t kJournalFormatVersionOldest = 2;  // still read
// From this version on the frame checksum is a CRC-32C; before, BLAKE2b-256.
inline constexpr uint32_t kCrc32cFrameChecksumVersion = 3;

inline constexpr size_t kVersionOffset = 4;
inline constexpr size_t kChainOffset = 80;
inline constexpr size_t kFrameChecksumOffset = 112;
inline constexpr size_t kHeaderBytes = 144;
// What the frame checksum covers: the header up to the frame checksum.
inline constexpr size_t kHeaderCoveredBytes = kFrameChecksumOffset;
static_assert(kChainOffset == 24 + 7 * 8 && kFrameChecksumOffset == kChainOffset + 32 &&
              kHeaderBytes == kFrameChecksumOffset + 32);
inline constexpr size_t kAccountBytes = 92;
inline constexpr size_t kTransferBytes = 120;
inline constexpr size_t kExpiryBytes = 24;
inline constexpr size_t kBalanceBytes = 56;
inline constexpr size_t kEventFixedBytes = 56;  // without its payload

// Record counts of one frame, in payload order.
struct Counts {
  uint64_t accounts_created = 0;
  uint64_t transfers_created = 0;
  uint64_t expiries = 0;
  uint64_t accounts_updated = 0;
  uint64_t balances = 0;
  uint64_t events = 0;
  uint64_t event_payload_bytes = 0;
};

struct FrameHeader {
  uint32_t version = kJournalFormatVersion;
  uint64_t batch_number = 0;
  uint64_t payload_bytes = 0;
  Counts counts;
  core::Checksum chain{};
  core::Checksum frame{};
};

// The payload size the counts imply; empty when it overflows.
bool PayloadBytesFor(const Counts& counts, uint64_t* bytes);

// Appends one whole frame (header and payload) for batch to *out, which is
// cleared first and keeps its capacity. chain is the batch's chain checksum.
void EncodeFrame(const Batch& batch, uint64_t batch_number, const core::Checksum& chain,
                 std::string* out);

// Where the first of batch's role events starts in the frame EncodeFrame
// writes for it, from the frame's first byte: each event's payload follows
// its kEventFixedBytes of fixed fields, and the next event follows it.
uint64_t FirstEventOffset(const Batch& batch);

// Parses a header. kFailedPrecondition when the magic is right but the
// format version is not one this netfin reads; kCorruption when the magic
// or the payload size (against the counts) is wrong.
core::Status DecodeHeader(const unsigned char* bytes, FrameHeader* header);

// The frame checksum field of a frame of that format version, from its
// header's covered bytes and its payload.
core::Checksum FrameChecksum(uint32_t version, const unsigned char* header,
                             std::string_view payload);

// Decodes a payload whose size matches header.counts into *batch (its
// vectors are cleared and refilled, keeping their capacity). kCorruption
// when the events' payload lengths do not add up to the header's count.
core::Status DecodePayload(const FrameHeader& header, std::string_view payload, Batch* batch);

}  // namespace netfin::store::journal
