#include "risk/payment_event.h"

#include <arpa/inet.h>
#include <sodium.h>

#include <array>
#include <string>

#include "core/assert.h"

namespace netfin::risk {

namespace {

// A 40-character buffer holds the longest IPv6 text (45 with an embedded
// IPv4 part); anything longer is not an address.
constexpr size_t kIpTextBytesMax = 64;

}  // namespace

bool GeoPoint::IsValid() const {
  return lat_micro_deg >= -90'000'000 && lat_micro_deg <= 90'000'000 &&
         lon_micro_deg >= -180'000'000 && lon_micro_deg <= 180'000'000;
}

Id128 DeviceKey(std::string_view device_id) {
  if (device_id.empty()) return Id128::Zero();
  std::array<unsigned char, 16> digest{};
  const int rc = crypto_generichash(digest.data(), digest.size(),
                                    reinterpret_cast<const unsigned char*>(device_id.data()),
                                    device_id.size(), nullptr, 0);
  NETFIN_ASSERT(rc == 0);
  const Id128 key = Id128::FromBytes(digest.data());
  // The zero key means "not given"; a digest of zero is as likely as a
  // collision, but keep the meaning exact.
  return key.IsZero() ? Id128::FromU64(1) : key;
}

std::optional<Id128> IpKey(std::string_view address) {
  if (address.empty() || address.size() >= kIpTextBytesMax) return std::nullopt;
  const std::string text(address);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) == 1) {
    return Id128::FromBytes(bytes.data());
  }
  std::array<unsigned char, 4> v4{};
  if (inet_pton(AF_INET, text.c_str(), v4.data()) != 1) return std::nullopt;
  bytes.fill(0);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  for (size_t i = 0; i < v4.size(); ++i) bytes[12 + i] = v4[i];
  return Id128::FromBytes(bytes.data());
}

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kPayment:
      return "payment";
    case EventKind::kTransfer:
      return "transfer";
    case EventKind::kWithdrawal:
      return "withdrawal";
    case EventKind::kTopUp:
      return "top_up";
  }
  return "unknown";
}

std::optional<EventKind> ParseEventKind(std::string_view name) {
  for (EventKind kind :
       {EventKind::kPayment, EventKind::kTransfer, EventKind::kWithdrawal, EventKind::kTopUp}) {
    if (EventKindName(kind) == name) return kind;
  }
  return std::nullopt;
}

}  // namespace netfin::risk
