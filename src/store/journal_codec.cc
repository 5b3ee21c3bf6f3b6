// The journal's frame encoding: explicit little-endian fields, no padding.

#include "store/journal_codec.h"

#include <cstring>

#include "core/assert.h"

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
  void Bytes(const void* data, size_t size) {
    std::memcpy(at_, data, size);
    at_ += size;
  }
  unsigned char* at() const { return at_; }

 private:
  void Put(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) at_[i] = static_cast<unsigned char>(v >> (8 * i));
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
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(at_[i]) << (8 * i);
    at_ += bytes;
    return v;
  }

  const unsigned char* at_;
};

void PutAccount(Writer& w, const Account& a) {
  w.Id(a.id);
  w.U64(a.debits_pending);
  w.U64(a.debits_posted);
  w.U64(a.credits_pending);
  w.U64(a.credits_posted);
  w.Id(a.user_data_128);
  w.U64(a.user_data_64);
  w.U32(a.user_data_32);
  w.U32(a.ledger);
  w.U16(a.code);
  w.U16(a.flags);
  w.U64(a.timestamp);
}

Account GetAccount(Reader& r) {
  Account a;
  a.id = r.Id();
  a.debits_pending = r.U64();
  a.debits_posted = r.U64();
  a.credits_pending = r.U64();
  a.credits_posted = r.U64();
  a.user_data_128 = r.Id();
  a.user_data_64 = r.U64();
  a.user_data_32 = r.U32();
  a.ledger = r.U32();
  a.code = r.U16();
  a.flags = r.U16();
  a.timestamp = r.U64();
  return a;
}

void PutTransfer(Writer& w, const Transfer& t) {
  w.Id(t.id);
  w.Id(t.debit_account_id);
  w.Id(t.credit_account_id);
  w.U64(t.amount);
  w.Id(t.pending_id);
  w.Id(t.user_data_128);
  w.U64(t.user_data_64);
  w.U32(t.user_data_32);
  w.U32(t.timeout);
  w.U32(t.ledger);
  w.U16(t.code);
  w.U16(t.flags);
  w.U64(t.timestamp);
}

Transfer GetTransfer(Reader& r) {
  Transfer t;
  t.id = r.Id();
  t.debit_account_id = r.Id();
  t.credit_account_id = r.Id();
  t.amount = r.U64();
  t.pending_id = r.Id();
  t.user_data_128 = r.Id();
  t.user_data_64 = r.U64();
  t.user_data_32 = r.U32();
  t.timeout = r.U32();
  t.ledger = r.U32();
  t.code = r.U16();
  t.flags = r.U16();
  t.timestamp = r.U64();
  return t;
}

void PutExpiry(Writer& w, const Expiry& e) {
  w.Id(e.pending_id);
  w.U64(e.timestamp);
}

Expiry GetExpiry(Reader& r) {
  Expiry e;
  e.pending_id = r.Id();
  e.timestamp = r.U64();
  return e;
}

void PutBalance(Writer& w, const AccountBalance& b) {
  w.Id(b.account_id);
  w.U64(b.timestamp);
  w.U64(b.debits_pending);
  w.U64(b.debits_posted);
  w.U64(b.credits_pending);
  w.U64(b.credits_posted);
}

AccountBalance GetBalance(Reader& r) {
  AccountBalance b;
  b.account_id = r.Id();
  b.timestamp = r.U64();
  b.debits_pending = r.U64();
  b.debits_posted = r.U64();
  b.credits_pending = r.U64();
  b.credits_posted = r.U64();
  return b;
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
void PutAll(Writer& w, const std::vector<Record>& records, void (*put)(Writer&, const Record&)) {
  for (const Record& record : records) put(w, record);
}

template <typename Record>
void GetAll(Reader& r, uint64_t count, std::vector<Record>* out, Record (*get)(Reader&)) {
  out->clear();
  out->reserve(count);
  for (uint64_t i = 0; i < count; ++i) out->push_back(get(r));
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
  PutAll(payload, batch.accounts_created, PutAccount);
  PutAll(payload, batch.transfers_created, PutTransfer);
  PutAll(payload, batch.expiries, PutExpiry);
  PutAll(payload, batch.accounts_updated, PutAccount);
  PutAll(payload, batch.balances, PutBalance);
  PutAll(payload, batch.events, PutEvent);
  NETFIN_ASSERT(payload.at() == base + out->size());
  const core::Checksum frame =
      FrameChecksum(base, std::string_view(out->data() + kHeaderBytes, payload_bytes));
  w.Bytes(frame.data(), frame.size());
}

core::Status DecodeHeader(const unsigned char* bytes, FrameHeader* header) {
  if (std::memcmp(bytes, kMagic, sizeof kMagic) != 0) return core::Corruption("bad frame magic");
  Reader r(bytes + sizeof kMagic);
  const uint32_t version = r.U32();
  if (version != kJournalFormatVersion) {
    return core::Status(core::StatusCode::kFailedPrecondition,
                        "journal format version " + std::to_string(version) +
                            ", but this netfin reads version " +
                            std::to_string(kJournalFormatVersion) + " only");
  }
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

core::Checksum FrameChecksum(const unsigned char* header, std::string_view payload) {
  core::ChecksumBuilder h;
  h.Update(header, kHeaderCoveredBytes);
  h.Update(payload.data(), payload.size());
  return h.Final();
}

core::Status DecodePayload(const FrameHeader& header, std::string_view payload, Batch* batch) {
  NETFIN_ASSERT(payload.size() == header.payload_bytes);
  Reader r(reinterpret_cast<const unsigned char*>(payload.data()));
  const Counts& c = header.counts;
  GetAll(r, c.accounts_created, &batch->accounts_created, GetAccount);
  GetAll(r, c.transfers_created, &batch->transfers_created, GetTransfer);
  GetAll(r, c.expiries, &batch->expiries, GetExpiry);
  GetAll(r, c.accounts_updated, &batch->accounts_updated, GetAccount);
  GetAll(r, c.balances, &batch->balances, GetBalance);
  NETFIN_RETURN_IF_ERROR(GetEvents(r, c, &batch->events));
  NETFIN_ASSERT(r.at() == reinterpret_cast<const unsigned char*>(payload.data()) + payload.size());
  return core::Status::Ok();
}

}  // namespace netfin::store::journal
