#include "payments/events.h"

#include <limits>
#include <type_traits>

#include <fmt/format.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "core/little_endian.h"

namespace netfin::payments {
namespace {

constexpr std::string_view kTypeNames[] = {
    "",                        "platform.opened",      "customer.created",
    "customer.tier_changed",   "merchant.created",     "payment.created",
    "payment.processing",      "payment.succeeded",    "payment.failed",
    "payment.cancelled",       "payment.expired",      "refund.succeeded",
    "movement.succeeded",      "settlement.created",   "settlement.paid",
    "idempotency.recorded",    "webhook.delivered",    "webhook.attempt_failed",
    "webhook.abandoned",       "attempt.screened",     "payment.requires_confirmation",
    "payment.confirmation_failed", "notice.sent",      "risk_case.labelled",
};
static_assert(std::size(kTypeNames) == std::variant_size_v<Event> + 1);

// Writes each field as a JSON member: ids as decimal strings, numbers and
// enums as integers.
class FieldWriter {
 public:
  explicit FieldWriter(rapidjson::Writer<rapidjson::StringBuffer>& w) : w_(w) {}
  template <typename T>
  void operator()(std::string_view name, const T& value) {
    w_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size()));
    if constexpr (std::is_same_v<T, Id128>) {
      const Id128::Decimal text = value.ToDecimalDigits();
      w_.String(text.digits, text.size);
    } else if constexpr (std::is_same_v<T, std::string>) {
      w_.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
    } else if constexpr (std::is_same_v<T, bool>) {
      w_.Bool(value);
    } else if constexpr (std::is_enum_v<T>) {
      w_.Uint64(static_cast<uint64_t>(value));
    } else if constexpr (std::is_signed_v<T>) {
      w_.Int64(value);
    } else {
      w_.Uint64(value);
    }
  }

 private:
  rapidjson::Writer<rapidjson::StringBuffer>& w_;
};

// Reads each field back; the first missing or mistyped field fails the event.
class FieldReader {
 public:
  explicit FieldReader(const rapidjson::Value& object) : object_(object) {}
  template <typename T>
  void operator()(std::string_view name, T& value) {
    if (!ok_) return;
    auto it = object_.FindMember(rapidjson::Value(rapidjson::StringRef(name.data(), name.size())));
    if (it == object_.MemberEnd()) return Fail(name);
    const rapidjson::Value& v = it->value;
    if constexpr (std::is_same_v<T, Id128>) {
      if (!v.IsString()) return Fail(name);
      auto id = Id128::ParseDecimal({v.GetString(), v.GetStringLength()});
      if (!id) return Fail(name);
      value = *id;
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.IsString()) return Fail(name);
      value.assign(v.GetString(), v.GetStringLength());
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!v.IsBool()) return Fail(name);
      value = v.GetBool();
    } else if constexpr (std::is_enum_v<T>) {
      if (!v.IsUint64() ||
          v.GetUint64() > std::numeric_limits<std::underlying_type_t<T>>::max()) {
        return Fail(name);
      }
      value = static_cast<T>(v.GetUint64());
    } else if constexpr (std::is_signed_v<T>) {
      // Range-checked like the unsigned fields: a value that does not fit is
      // corruption, not a silently truncated date.
      if (!v.IsInt64() || v.GetInt64() < std::numeric_limits<T>::min() ||
          v.GetInt64() > std::numeric_limits<T>::max()) {
        return Fail(name);
      }
      value = static_cast<T>(v.GetInt64());
    } else {
      if (!v.IsUint64() || v.GetUint64() > std::numeric_limits<T>::max()) return Fail(name);
      value = static_cast<T>(v.GetUint64());
    }
  }
  bool ok() const { return ok_; }
  const std::string& bad_field() const { return bad_field_; }

 private:
  void Fail(std::string_view name) {
    ok_ = false;
    bad_field_ = name;
  }
  const rapidjson::Value& object_;
  bool ok_ = true;
  std::string bad_field_;
};

// The stored encoding: a tag byte, then each field in Fields order. Ids are
// 16 bytes (hi then lo, little-endian), integers and enums LEB128 varints
// (signed ones zigzagged), bools one byte (0 or 1), strings a varint length
// and their bytes. About a third of the JSON's size and a tenth of its cost
// to write; the feed and webhooks get JSON (EventJson) made from the event.
constexpr char kBinaryTag = '\x01';  // stored JSON payloads start with '{'

class BinaryWriter {
 public:
  explicit BinaryWriter(std::string& out) : out_(out) {}
  template <typename T>
  void operator()(std::string_view, const T& value) {
    if constexpr (std::is_same_v<T, Id128>) {
      PutFixed(value.hi);
      PutFixed(value.lo);
    } else if constexpr (std::is_same_v<T, std::string>) {
      PutVarint(value.size());
      out_.append(value);
    } else if constexpr (std::is_same_v<T, bool>) {
      out_.push_back(value ? '\x01' : '\x00');
    } else if constexpr (std::is_enum_v<T>) {
      PutVarint(static_cast<uint64_t>(value));
    } else if constexpr (std::is_signed_v<T>) {
      const auto v = static_cast<int64_t>(value);
      PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
    } else {
      PutVarint(value);
    }
  }

 private:
  void PutFixed(uint64_t v) {
    unsigned char bytes[8];
    core::StoreLittleEndian(v, sizeof bytes, bytes);
    out_.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }
  void PutVarint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
  }
  std::string& out_;
};

// Reads the fields back; the first short, overlong or out-of-range field
// fails the event.
class BinaryReader {
 public:
  explicit BinaryReader(std::string_view in) : in_(in) {}
  template <typename T>
  void operator()(std::string_view name, T& value) {
    if (!ok_) return;
    if constexpr (std::is_same_v<T, Id128>) {
      if (!GetFixed(&value.hi) || !GetFixed(&value.lo)) return Fail(name);
    } else if constexpr (std::is_same_v<T, std::string>) {
      uint64_t size = 0;
      if (!GetVarint(&size) || size > in_.size()) return Fail(name);
      value.assign(in_.data(), size);
      in_.remove_prefix(size);
    } else if constexpr (std::is_same_v<T, bool>) {
      if (in_.empty() || static_cast<unsigned char>(in_[0]) > 1) return Fail(name);
      value = in_[0] == '\x01';
      in_.remove_prefix(1);
    } else if constexpr (std::is_enum_v<T>) {
      uint64_t v = 0;
      if (!GetVarint(&v) || v > std::numeric_limits<std::underlying_type_t<T>>::max()) return Fail(name);
      value = static_cast<T>(v);
    } else if constexpr (std::is_signed_v<T>) {
      uint64_t z = 0;
      if (!GetVarint(&z)) return Fail(name);
      const auto v = static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
      if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max()) return Fail(name);
      value = static_cast<T>(v);
    } else {
      uint64_t v = 0;
      if (!GetVarint(&v) || v > std::numeric_limits<T>::max()) return Fail(name);
      value = static_cast<T>(v);
    }
  }
  // Every byte read, none left over.
  bool ok() const { return ok_ && in_.empty(); }
  std::string bad_field() const { return ok_ ? std::string("(bytes after the last field)") : bad_field_; }

 private:
  bool GetFixed(uint64_t* v) {
    if (in_.size() < 8) return false;
    *v = core::LoadLittleEndian(reinterpret_cast<const unsigned char*>(in_.data()), 8);
    in_.remove_prefix(8);
    return true;
  }
  // At most ten bytes, the tenth carrying only the top bit; one spelling per
  // value (no trailing zero groups), so re-encoding gives the same bytes.
  bool GetVarint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in_.empty()) return false;
      const auto byte = static_cast<unsigned char>(in_[0]);
      in_.remove_prefix(1);
      if (shift == 63 && byte > 1) return false;
      *v |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return byte != 0 || shift == 0;
    }
    return false;
  }
  void Fail(std::string_view name) {
    ok_ = false;
    bad_field_ = name;
  }
  std::string_view in_;
  bool ok_ = true;
  std::string bad_field_;
};

template <typename Reader, size_t I = 0>
core::Result<Event> DecodeAlternative(size_t index, Reader& reader) {
  if constexpr (I == std::variant_size_v<Event>) {
    (void)index;
    (void)reader;
    return core::Corruption("unknown payments event type");
  } else {
    if (index != I) return DecodeAlternative<Reader, I + 1>(index, reader);
    std::variant_alternative_t<I, Event> event;
    event.Fields(reader);
    if (!reader.ok()) {
      return core::Corruption("payments event " + std::string(kTypeNames[I + 1]) +
                              ": bad field " + reader.bad_field());
    }
    return Event(std::move(event));
  }
}

}  // namespace

std::string_view EventTypeName(EventType type) {
  const auto i = static_cast<size_t>(type);
  return i < std::size(kTypeNames) ? kTypeNames[i] : std::string_view("unknown");
}

bool IsPublicEvent(EventType type) {
  switch (type) {
    case EventType::kPaymentCreated:
    case EventType::kPaymentProcessing:
    case EventType::kPaymentSucceeded:
    case EventType::kPaymentFailed:
    case EventType::kPaymentCancelled:
    case EventType::kPaymentExpired:
    case EventType::kRefundSucceeded:
    case EventType::kMovementSucceeded:
    case EventType::kSettlementCreated:
    case EventType::kSettlementPaid:
    case EventType::kNoticeDelivered:
      return true;
    case EventType::kPlatformOpened:
    case EventType::kCustomerCreated:
    case EventType::kCustomerTierChanged:
    case EventType::kMerchantCreated:
    case EventType::kIdempotencyRecorded:
    case EventType::kWebhookDelivered:
    case EventType::kWebhookAttemptFailed:
    case EventType::kWebhookAbandoned:
    case EventType::kAttemptScreened:
    case EventType::kPaymentChallenged:
    case EventType::kConfirmationFailed:
    case EventType::kCaseLabelled:
      return false;
  }
  return false;
}

EventType TypeOf(const Event& event) { return static_cast<EventType>(event.index() + 1); }

void SubjectsOf(const Event& event, Id128* a, Id128* b) {
  *a = Id128::Zero();
  *b = Id128::Zero();
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, CustomerCreated>) {
          *a = e.customer.id;
        } else if constexpr (std::is_same_v<T, MerchantCreated>) {
          *a = e.merchant.id;
        } else if constexpr (std::is_same_v<T, CustomerTierChanged>) {
          *a = e.id;
        } else if constexpr (std::is_same_v<T, PaymentCreated>) {
          *a = e.payment.merchant_id;
        } else if constexpr (std::is_same_v<T, PaymentProcessing>) {
          *a = e.customer_id;
        } else if constexpr (std::is_same_v<T, PaymentChallenged> ||
                             std::is_same_v<T, AttemptScreened>) {
          *a = e.customer_id;
        } else if constexpr (std::is_same_v<T, NoticeDelivered>) {
          *a = e.customer_id;
        } else if constexpr (std::is_same_v<T, PaymentSucceeded>) {
          *a = e.merchant_id;
          *b = e.customer_id;
        } else if constexpr (std::is_same_v<T, RefundSucceeded>) {
          *a = e.refund.merchant_id;
          *b = e.refund.customer_id;
        } else if constexpr (std::is_same_v<T, MovementSucceeded>) {
          *a = e.movement.customer_id;
          *b = e.movement.counterparty_id;
        } else if constexpr (std::is_same_v<T, SettlementCreated>) {
          *a = e.settlement.merchant_id;
        } else if constexpr (std::is_same_v<T, SettlementPaid>) {
          *a = e.merchant_id;
        }
        // Failed, cancelled and expired payments name only the payment; the
        // state adds the merchant (and customer) when the event is appended.
      },
      event);
}

std::string EncodeEvent(const Event& event) {
  // Encoded in a reused buffer, then copied once into a string of its exact
  // size: one allocation, where a string grown by appending reallocates as
  // it doubles (an idempotency record's 800 bytes went 128, 256, 512, 1,024)
  // and keeps up to twice its size while the batch waits for its commit.
  thread_local std::string scratch;
  scratch.clear();
  scratch.push_back(kBinaryTag);
  BinaryWriter fields(scratch);
  std::visit([&](const auto& e) { const_cast<std::decay_t<decltype(e)>&>(e).Fields(fields); },
             event);
  return std::string(scratch);
}

std::string EventJson(const Event& event) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  FieldWriter fields(writer);
  std::visit([&](const auto& e) { const_cast<std::decay_t<decltype(e)>&>(e).Fields(fields); },
             event);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

core::Result<Event> DecodeEvent(uint16_t type, std::string_view payload) {
  if (type == 0 || type > std::variant_size_v<Event>) {
    return core::Corruption("unknown payments event type " + std::to_string(type));
  }
  if (!payload.empty() && payload[0] == kBinaryTag) {
    BinaryReader reader(payload.substr(1));
    return DecodeAlternative(type - 1u, reader);
  }
  // Journals written before the binary encoding hold JSON objects.
  rapidjson::Document doc;
  doc.Parse(payload.data(), payload.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return core::Corruption("payments event " + std::to_string(type) + ": not a JSON object");
  }
  FieldReader reader(doc);
  return DecodeAlternative(type - 1u, reader);
}

core::Result<std::string> EventDataJson(uint16_t type, std::string_view payload) {
  if (!payload.empty() && payload[0] == '{') return std::string(payload);
  auto decoded = DecodeEvent(type, payload);
  if (!decoded.ok()) return decoded.status();
  return EventJson(decoded.value());
}

std::string EventEnvelopeJson(uint64_t sequence, EventType type, uint64_t timestamp_ns,
                              std::string_view payload) {
  return fmt::format("{{\"id\":\"{}\",\"type\":\"{}\",\"created_at\":{},\"data\":{}}}", sequence,
                     EventTypeName(type), timestamp_ns, payload);
}

}  // namespace netfin::payments
