// FeatureEngine::Snapshot and Restore.
//
// Format (all integers little-endian):
//   "NFRSKSNP"                 8 bytes, the magic
//   u32 format version         kSnapshotVersion
//   u32 x 3                    sizeof(CustomerState), sizeof(WindowState),
//                              sizeof(PayeeState): the states are copied as
//                              bytes, so a build with another layout refuses
//   u64 latest_ns, u64 events_observed
//   5 tables (customers, devices, ips, payees, merchants), each:
//     u64 count, then count x (u64 id.hi, u64 id.lo, state bytes), from the
//     least to the most recently observed entity
//   32 bytes                   BLAKE2b-256 of everything before
//
// A snapshot is the engine's own output, but it is read back from a file,
// so Restore checks everything it would otherwise assert: the checksum, the
// sizes, every state's invariants, and that no state is newer than
// latest_ns.

#include <bit>
#include <cstring>

#include <fmt/format.h>

#include "core/checksum.h"
#include "risk/feature_engine.h"
#include "risk/feature_engine_impl.h"

namespace netfin::risk {

namespace {

static_assert(std::endian::native == std::endian::little,
              "snapshots copy states as little-endian bytes");

constexpr char kMagic[8] = {'N', 'F', 'R', 'S', 'K', 'S', 'N', 'P'};
constexpr uint32_t kSnapshotVersion = 1;
constexpr size_t kChecksumBytes = 32;

class Writer {
 public:
  explicit Writer(std::string* out) : out_(out) {}
  void Bytes(const void* data, size_t size) { out_->append(static_cast<const char*>(data), size); }
  void U32(uint32_t v) { Bytes(&v, sizeof v); }
  void U64(uint64_t v) { Bytes(&v, sizeof v); }

 private:
  std::string* out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool Bytes(void* data, size_t size) {
    if (in_.size() - offset_ < size) return false;
    std::memcpy(data, in_.data() + offset_, size);
    offset_ += size;
    return true;
  }
  bool U32(uint32_t* v) { return Bytes(v, sizeof *v); }
  bool U64(uint64_t* v) { return Bytes(v, sizeof *v); }
  size_t remaining() const { return in_.size() - offset_; }

 private:
  std::string_view in_;
  size_t offset_ = 0;
};

template <typename State>
void WriteTable(const EntityTable<State>& table, Writer* w) {
  w->U64(table.size());
  table.ForEachOldestFirst([w](const core::Id128& id, const State& state) {
    w->U64(id.hi);
    w->U64(id.lo);
    w->Bytes(&state, sizeof state);
  });
}

template <typename State>
core::Status ReadTable(std::string_view name, uint64_t latest_ns, Reader* r,
                       EntityTable<State>* table) {
  uint64_t count = 0;
  if (!r->U64(&count)) return core::Corruption(fmt::format("risk snapshot: {} truncated", name));
  constexpr size_t kEntryBytes = 16 + sizeof(State);
  if (count > r->remaining() / kEntryBytes) {
    return core::Corruption(fmt::format("risk snapshot: {} count {} past the end", name, count));
  }
  for (uint64_t i = 0; i < count; ++i) {
    core::Id128 id;
    State state;
    const bool read = r->U64(&id.hi) && r->U64(&id.lo) && r->Bytes(&state, sizeof state);
    NETFIN_ASSERT(read);  // the count was checked against the remaining bytes
    if (!state.IsValid() || (!state.window.empty() && state.window.newest_ns() > latest_ns)) {
      return core::Corruption(fmt::format("risk snapshot: {} entry {} is inconsistent", name, i));
    }
    bool created = false;
    table->FindOrInsert(id, &created) = state;
  }
  return core::Status::Ok();
}

core::Checksum ChecksumOf(std::string_view bytes) {
  core::ChecksumBuilder builder;
  builder.Update(bytes.data(), bytes.size());
  return builder.Final();
}

}  // namespace

std::string FeatureEngine::Snapshot() const {
  NETFIN_ASSERT(impl_ != nullptr);
  const FeatureEngineState& s = *impl_;
  std::string out;
  Writer w(&out);
  w.Bytes(kMagic, sizeof kMagic);
  w.U32(kSnapshotVersion);
  w.U32(sizeof(CustomerState));
  w.U32(sizeof(WindowState));
  w.U32(sizeof(PayeeState));
  w.U64(s.latest_ns);
  w.U64(s.events_observed);
  WriteTable(s.customers, &w);
  WriteTable(s.devices, &w);
  WriteTable(s.ips, &w);
  WriteTable(s.payees, &w);
  WriteTable(s.merchants, &w);
  const core::Checksum checksum = ChecksumOf(out);
  w.Bytes(checksum.data(), checksum.size());
  return out;
}

core::Status FeatureEngine::Restore(std::string_view snapshot) {
  NETFIN_ASSERT(impl_ != nullptr);
  if (snapshot.size() < sizeof kMagic + kChecksumBytes) {
    return core::Corruption("risk snapshot: too short");
  }
  const std::string_view body = snapshot.substr(0, snapshot.size() - kChecksumBytes);
  const core::Checksum checksum = ChecksumOf(body);
  if (std::memcmp(checksum.data(), snapshot.data() + body.size(), kChecksumBytes) != 0) {
    return core::Corruption("risk snapshot: checksum mismatch");
  }
  Reader r(body);
  char magic[sizeof kMagic];
  uint32_t version = 0, customer_bytes = 0, window_bytes = 0, payee_bytes = 0;
  auto fresh = std::make_unique<FeatureEngineState>(impl_->options);
  if (!r.Bytes(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof kMagic) != 0) {
    return core::Corruption("risk snapshot: not a risk feature snapshot");
  }
  if (!r.U32(&version) || version != kSnapshotVersion) {
    return core::Corruption(fmt::format("risk snapshot: format version {}, this build reads {}",
                                        version, kSnapshotVersion));
  }
  if (!r.U32(&customer_bytes) || !r.U32(&window_bytes) || !r.U32(&payee_bytes) ||
      customer_bytes != sizeof(CustomerState) || window_bytes != sizeof(WindowState) ||
      payee_bytes != sizeof(PayeeState)) {
    return core::Corruption("risk snapshot: written by a build with other state layouts");
  }
  if (!r.U64(&fresh->latest_ns) || !r.U64(&fresh->events_observed)) {
    return core::Corruption("risk snapshot: header truncated");
  }
  const uint64_t latest_ns = fresh->latest_ns;
  NETFIN_RETURN_IF_ERROR(ReadTable("customers", latest_ns, &r, &fresh->customers));
  NETFIN_RETURN_IF_ERROR(ReadTable("devices", latest_ns, &r, &fresh->devices));
  NETFIN_RETURN_IF_ERROR(ReadTable("ips", latest_ns, &r, &fresh->ips));
  NETFIN_RETURN_IF_ERROR(ReadTable("payees", latest_ns, &r, &fresh->payees));
  NETFIN_RETURN_IF_ERROR(ReadTable("merchants", latest_ns, &r, &fresh->merchants));
  if (r.remaining() != 0) return core::Corruption("risk snapshot: bytes after the last table");
  // Point of no return.
  impl_ = std::move(fresh);
  return core::Status::Ok();
}

}  // namespace netfin::risk
