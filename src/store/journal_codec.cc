// The journal's frame encoding: explicit little-endian fields, no padding.

#include "store/journal_codec.h"

#include <cstring>

#include "core/assert.h"
#include "core/little_endian.h"

namespace netfin::store::journal {
namespace {

// Writes fixed-width little-endian fields at a cursor. REQUIRES: the caller
// sized the buffer for everything it writes.
class Writer {
 public:
  explicit Writer(unsigned char* at) : at_(at) {}

  void U64(uint64_t v) { Put(v, 8); }
  void U32(uint32_t v) { Put(v, 4); }
  void U16(uint16_t v) { Put(v, 2); }
  void Id(const Id128& id) {
    U64(id.hi);
    U64(id.lo);
  }
  // A record field at its type's width.
  void Field(uint64_t v) { U64(v); }
  void Field(uint32_t v) { U32(v); }
  void Field(uint16_t v) { U16(v); }
  void Field(const Id128& id) { Id(id); }
  void Bytes(const void* data, size_t size) {
    std::memcpy(at_, data, size);
    at_ += size;
  }
  unsigned char* at() const { return at_; }

 private:
  void Put(uint64_t v, int bytes) {
    core::StoreLittleEndian(v, static_cast<size_t>(bytes), at_);
    at_ += bytes;
  }

  unsigned char* at_;
};

// Reads what Writer wrote. REQUIRES: the caller checked the size.
class Reader {
 public:
  explicit Reader(const unsigned char* at) : at_(at) {}

  uint64_t U64() { return Get(8); }
  uint32_t U32() { return static_cast<uint32_t>(Get(4)); }
  uint16_t U16() { return static_cast<uint16_t>(Get(2)); }
  Id128 Id() {
    const uint64_t hi = U64();
    return Id128{hi, U64()};
  }
  void Field(uint64_t* v) { *v = U64(); }
  void Field(uint32_t* v) { *v = U32(); }
  void Field(uint16_t* v) { *v = U16(); }
  void Field(Id128* id) { *id = Id(); }
  void Bytes(void* out, size_t size) {
    std::memcpy(out, at_, size);
    at_ += size;
  }
  void String(size_t size, std::string* out) {
    out->assign(reinterpret_cast<const char*>(at_), size);
    at_ += size;
  }
  const unsigned char* at() const { return at_; }

 private:
  uint64_t Get(int bytes) {
    const uint64_t v = core::LoadLittleEndian(at_, static_cast<size_t>(bytes));
    at_ += bytes;
    return v;
  }

  const unsigned char* at_;
};

// Each field at its own width, in ForEachField's order (store/records.h).
template <typename Record>
void PutRecord(Writer& w, const Record& record) {
  ForEachField(record, [&w](const auto& field, FieldKind) { w.Field(field); });
}

// The frame format is pinned by the byte counts in journal_codec.h; the
// field list must add up to them.
template <typename Record>
constexpr size_t RecordBytes() {
  Record record{};
  size_t bytes = 0;
  ForEachField(record, [&bytes](const auto& field, FieldKind) { bytes += sizeof field; });
  return bytes;
}
static_assert(RecordBytes<Account>() == kAccountBytes);
static_assert(RecordBytes<Transfer>() == kTransferBytes);
static_assert(RecordBytes<Expiry>() == kExpiryBytes);
static_assert(RecordBytes<AccountBalance>() == kBalanceBytes);

template <typename Record>
Record GetRecord(Reader& r) {
  Record record;
  ForEachField(record, [&r](auto& field, FieldKind) { r.Field(&field); });
  return record;
}

// A role event's payload length is stored in 32 bits.
static_assert(kRoleEventPayloadBytesMax <= UINT32_MAX);

void PutEvent(Writer& w, const RoleEvent& e) {
  NETFIN_ASSERT(e.payload.size() <= kRoleEventPayloadBytesMax);
  w.U64(e.sequence);
  w.U64(e.timestamp);
  w.U16(e.role);
  w.U16(e.type);
  w.Id(e.subject_a);
  w.Id(e.subject_b);
  w.U32(static_cast<uint32_t>(e.payload.size()));
  w.Bytes(e.payload.data(), e.payload.size());
}

// The payload lengths come from the frame, which may have been written by
// something else with a matching checksum: each is checked against what is
// left of the header's event_payload_bytes before it is read, so a read
// never leaves the payload (whose size matches the counts exactly).
core::Status GetEvents(Reader& r, const Counts& c, std::vector<RoleEvent>* out) {
  out->clear();
  out->reserve(c.events);
  uint64_t left = c.event_payload_bytes;
  for (uint64_t i = 0; i < c.events; ++i) {
    RoleEvent& e = out->emplace_back();
    e.sequence = r.U64();
    e.timestamp = r.U64();
    e.role = r.U16();
    e.type = r.U16();
    e.subject_a = r.Id();
    e.subject_b = r.Id();
    const uint32_t size = r.U32();
    if (size > kRoleEventPayloadBytesMax || size > left) {
      return core::Corruption("role event " + std::to_string(e.sequence) + " claims a payload of " +
                              std::to_string(size) + " bytes, more than its frame holds");
    }
    left -= size;
    r.String(size, &e.payload);
  }
  if (left != 0) return core::Corruption("role event payloads are shorter than the frame says");
  return core::Status::Ok();
}

template <typename Record>
void PutAll(Writer& w, const std::vector<Record>& records) {
  for (const Record& record : records) PutRecord(w, record);
}

template <typename Record>
void GetAll(Reader& r, uint64_t count, std::vector<Record>* out) {
  out->clear();
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) out->push_back(GetRecord<Record>(r));
}

Counts CountsOf(const Batch& batch) {
  Counts c{batch.accounts_created.size(), batch.transfers_created.size(), batch.expiries.size(),
           batch.accounts_updated.size(), batch.balances.size(),          batch.events.size()};
  for (const RoleEvent& e : batch.events) c.event_payload_bytes += e.payload.size();
  return c;
}

bool AddProduct(uint64_t count, size_t size, uint64_t* total) {
  uint64_t product = 0;
  return !__builtin_mul_overflow(count, size, &product) &&
         !__builtin_add_overflow(*total, product, total);
}

}  // namespace

bool PayloadBytesFor(const Counts& c, uint64_t* bytes) {
  *bytes = 0;
  return AddProduct(c.accounts_created, kAccountBytes, bytes) &&
         AddProduct(c.transfers_created, kTransferBytes, bytes) &&
         AddProduct(c.expiries, kExpiryBytes, bytes) &&
         AddProduct(c.accounts_updated, kAccountBytes, bytes) &&
         AddProduct(c.balances, kBalanceBytes, bytes) &&
         AddProduct(c.events, kEventFixedBytes, bytes) &&
         AddProduct(c.event_payload_bytes, 1, bytes);
}

void EncodeFrame(const Batch& batch, uint64_t batch_number, const core::Checksum& chain,
                 std::string* out) {
  const Counts counts = CountsOf(batch);
  uint64_t payload_bytes = 0;
  NETFIN_ASSERT(PayloadBytesFor(counts, &payload_bytes));
  out->resize(kHeaderBytes + payload_bytes);  // keeps the capacity of earlier frames
  auto* base = reinterpret_cast<unsigned char*>(out->data());
  Writer w(base);
  w.Bytes(kMagic, sizeof kMagic);
  w.U32(kJournalFormatVersion);
  w.U64(batch_number);
  w.U64(payload_bytes);
  for (uint64_t n :
       {counts.accounts_created, counts.transfers_created, counts.expiries, counts.accounts_updated,
        counts.balances, counts.events, counts.event_payload_bytes}) {
    w.U64(n);
  }
  w.Bytes(chain.data(), chain.size());
  NETFIN_ASSERT(w.at() == base + kHeaderCoveredBytes);
  Writer payload(base + kHeaderBytes);
  PutAll(payload, batch.accounts_created);
  PutAll(payload, batch.transfers_created);
  PutAll(payload, batch.expiries);
  PutAll(payload, batch.accounts_updated);
  PutAll(payload, batch.balances);
  for (const RoleEvent& e : batch.events) PutEvent(payload, e);
  NETFIN_ASSERT(payload.at() == base + out->size());
  const core::Checksum frame = FrameChecksum(
      kJournalFormatVersion, base, std::string_view(out->data() + kHeaderBytes, payload_bytes));
  w.Bytes(frame.data(), frame.size());
}

uint64_t FirstEventOffset(const Batch& batch) {
  const Counts before_events{batch.accounts_created.size(), batch.transfers_created.size(),
                             batch.expiries.size(), batch.accounts_updated.size(),
                             batch.balances.size()};
  uint64_t bytes = 0;
  NETFIN_ASSERT(PayloadBytesFor(before_events, &bytes));
  return kHeaderBytes + bytes;
}

core::Status DecodeHeader(const unsigned char* bytes, FrameHeader* header) {
  if (std::memcmp(bytes, kMagic, sizeof kMagic) != 0) return core::Corruption("bad frame magic");
  Reader r(bytes + sizeof kMagic);
  const uint32_t version = r.U32();
  if (version < kJournalFormatVersionOldest || version > kJournalFormatVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "journal format version " + std::to_string(version) +
                            ", but this netfin reads versions " +
                            std::to_string(kJournalFormatVersionOldest) + " to " +
                            std::to_string(kJournalFormatVersion) + " only");
  }
  header->version = version;
  header->batch_number = r.U64();
  header->payload_bytes = r.U64();
  Counts& c = header->counts;
  c.accounts_created = r.U64();
  c.transfers_created = r.U64();
  c.expiries = r.U64();
  c.accounts_updated = r.U64();
  c.balances = r.U64();
  c.events = r.U64();
  c.event_payload_bytes = r.U64();
  r.Bytes(header->chain.data(), header->chain.size());
  r.Bytes(header->frame.data(), header->frame.size());
  NETFIN_ASSERT(r.at() == bytes + kHeaderBytes);
  uint64_t expected = 0;
  if (!PayloadBytesFor(c, &expected) || expected != header->payload_bytes) {
    return core::Corruption("frame payload size does not match its record counts");
  }
  return core::Status::Ok();
}

core::Checksum FrameChecksum(uint32_t version, const unsigned char* header,
                             std::string_view payload) {
  NETFIN_ASSERT(version >= kJournalFormatVersionOldest && version <= kJournalFormatVersion);
  if (version < kCrc32cFrameChecksumVersion) {
    core::ChecksumBuilder h;
    h.Update(header, kHeaderCoveredBytes);
    h.Update(payload.data(), payload.size());
    return h.Final();
  }
  const uint32_t crc =
      core::Crc32c(core::Crc32c(0, header, kHeaderCoveredBytes), payload.data(), payload.size());
  core::Checksum field{};  // the bytes after the CRC stay zero, and are checked
  core::StoreLittleEndian(crc, 4, field.data());
  return field;
}

core::Status DecodePayload(const FrameHeader& header, std::string_view payload, Batch* batch) {
  NETFIN_ASSERT(payload.size() == header.payload_bytes);
  Reader r(reinterpret_cast<const unsigned char*>(payload.data()));
  const Counts& c = header.counts;
  GetAll(r, c.accounts_created, &batch->accounts_created);
  GetAll(r, c.transfers_created, &batch->transfers_created);
  GetAll(r, c.expiries, &batch->expiries);
  GetAll(r, c.accounts_updated, &batch->accounts_updated);
  GetAll(r, c.balances, &batch->balances);
  NETFIN_RETURN_IF_ERROR(GetEvents(r, c, &batch->events));
  NETFIN_ASSERT(r.at() == reinterpret_cast<const unsigned char*>(payload.data()) + payload.size());
  return core::Status::Ok();
}

}  // namespace netfin::store::journal
