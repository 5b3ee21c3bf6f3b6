#pragma once

// PaymentEvent: what the risk role knows about one payment attempt. It is the
// only input of the feature engine, both online (the payment flow builds one
// per payment it scores) and offline (training replays a labelled log as a
// sequence of them), so the two paths cannot disagree.
//
// A plain value: trivially copyable, 128 bytes, no heap. Entities are 128-bit
// keys; the zero key means "not given". Device and IP keys are derived from
// the strings the edge receives (DeviceKey, IpKey) so that the event stays
// fixed-size.

#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>

#include "core/id.h"
#include "core/money.h"

namespace netfin::risk {

using core::Id128;

// What kind of movement the event is. DO NOT RENUMBER: persisted in snapshots
// and training logs.
enum class EventKind : uint8_t {
  kPayment = 1,     // a customer pays a merchant
  kTransfer = 2,    // a customer sends money to another wallet
  kWithdrawal = 3,  // a customer takes money out of the wallet (to a bank card)
  kTopUp = 4,       // a customer puts money into the wallet
};

// How the attempt ended. DO NOT RENUMBER: persisted.
enum class Outcome : uint8_t {
  kSucceeded = 1,  // the money moved
  kFailed = 2,     // refused, denied, declined, expired or failed for any reason
};

// A point on Earth in integer micro-degrees (1e-6 degree, about 0.11 m of
// latitude). Valid: |lat| <= 90e6 and |lon| <= 180e6.
struct GeoPoint {
  int32_t lat_micro_deg = 0;
  int32_t lon_micro_deg = 0;

  bool IsValid() const;
  friend bool operator==(const GeoPoint&, const GeoPoint&) = default;
};

struct PaymentEvent {
  uint64_t timestamp_ns = 0;  // when the attempt was made, ns since the Unix epoch
  Id128 customer;             // the paying customer (the wallet's owner)
  Id128 payee;                // who receives: a merchant or another wallet; zero: none
  Id128 merchant;             // the merchant when the payee is one; zero otherwise
  Id128 device;               // DeviceKey of the customer's device; zero: not given
  Id128 ip;                   // IpKey of the customer's address; zero: not given
  core::AmountMinor amount_minor = 0;
  // The customer's balance just before the attempt, where the source has it
  // (PaySim's oldbalanceOrg); absent online unless the caller supplies it.
  std::optional<core::AmountMinor> balance_before_minor;
  std::optional<GeoPoint> location;  // where the customer is, when the app says
  EventKind kind = EventKind::kPayment;
  Outcome outcome = Outcome::kSucceeded;  // read by Observe only, never by Compute
};

static_assert(std::is_trivially_copyable_v<PaymentEvent>);
static_assert(sizeof(PaymentEvent) <= 128, "PaymentEvent is meant to be cheap to copy");

// The key of a device identifier as the app reports it: BLAKE2b-128 of the
// text, so that the key is fixed-size and nobody can aim a key at another
// customer's device. The empty string gives the zero key (not given).
Id128 DeviceKey(std::string_view device_id);

// The key of an IP address written as text ("203.0.113.7", "2001:db8::1"):
// the 128-bit IPv6 address, an IPv4 address as its IPv4-mapped form
// (::ffff:a.b.c.d), so the two spellings of one address share a key. Empty
// when the text is not an address.
std::optional<Id128> IpKey(std::string_view address);

// Names of the kinds as written in files and logs ("payment", "transfer",
// "withdrawal", "top_up"), and back.
std::string_view EventKindName(EventKind kind);
std::optional<EventKind> ParseEventKind(std::string_view name);

}  // namespace netfin::risk
