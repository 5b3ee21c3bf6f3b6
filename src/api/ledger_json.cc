#include "api/ledger_json.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <cstdint>
#include <string>

#include "core/assert.h"
#include "core/limits.h"
#include "ledger/results.h"

namespace netfin::api {
namespace {

using core::Id128;
using rapidjson::Value;
using store::Account;
using store::AccountBalance;
using store::AccountFlag;
using store::Transfer;
using store::TransferFlag;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// A name quoted into an error message is cut here, so that a hostile body
// cannot make the error as large as itself.
constexpr size_t kQuotedNameBytesMax = 64;
// The per-thread output buffer is given back to the allocator past this size,
// so one huge page does not pin its memory to an io thread for ever.
constexpr size_t kRetainedBufferBytesMax = 1 << 20;

// ---------------------------------------------------------------------------
// Parsing.

// What a field's JSON value must be.
enum class FieldKind { kId128, kAmount, kU64, kU32, kU16, kAccountFlags, kTransferFlags };

// A field's value once checked, before it is stored into the record.
struct FieldValue {
  Id128 id;
  uint64_t integer = 0;
};

template <typename Record>
struct FieldSpec {
  std::string_view name;
  FieldKind kind;
  void (*assign)(Record*, const FieldValue&);
};

// The fields of an account object, in the order documentation lists them.
constexpr FieldSpec<Account> kAccountFields[] = {
    {"id", FieldKind::kId128, [](Account* r, const FieldValue& v) { r->id = v.id; }},
    {"user_data_128", FieldKind::kId128,
     [](Account* r, const FieldValue& v) { r->user_data_128 = v.id; }},
    {"user_data_64", FieldKind::kU64,
     [](Account* r, const FieldValue& v) { r->user_data_64 = v.integer; }},
    {"user_data_32", FieldKind::kU32,
     [](Account* r, const FieldValue& v) { r->user_data_32 = static_cast<uint32_t>(v.integer); }},
    {"ledger", FieldKind::kU32,
     [](Account* r, const FieldValue& v) { r->ledger = static_cast<uint32_t>(v.integer); }},
    {"code", FieldKind::kU16,
     [](Account* r, const FieldValue& v) { r->code = static_cast<uint16_t>(v.integer); }},
    {"flags", FieldKind::kAccountFlags,
     [](Account* r, const FieldValue& v) { r->flags = static_cast<uint16_t>(v.integer); }},
    {"timestamp", FieldKind::kU64,
     [](Account* r, const FieldValue& v) { r->timestamp = v.integer; }},
    {"debits_pending", FieldKind::kAmount,
     [](Account* r, const FieldValue& v) { r->debits_pending = v.integer; }},
    {"debits_posted", FieldKind::kAmount,
     [](Account* r, const FieldValue& v) { r->debits_posted = v.integer; }},
    {"credits_pending", FieldKind::kAmount,
     [](Account* r, const FieldValue& v) { r->credits_pending = v.integer; }},
    {"credits_posted", FieldKind::kAmount,
     [](Account* r, const FieldValue& v) { r->credits_posted = v.integer; }},
};

constexpr FieldSpec<Transfer> kTransferFields[] = {
    {"id", FieldKind::kId128, [](Transfer* r, const FieldValue& v) { r->id = v.id; }},
    {"debit_account_id", FieldKind::kId128,
     [](Transfer* r, const FieldValue& v) { r->debit_account_id = v.id; }},
    {"credit_account_id", FieldKind::kId128,
     [](Transfer* r, const FieldValue& v) { r->credit_account_id = v.id; }},
    {"amount", FieldKind::kAmount, [](Transfer* r, const FieldValue& v) { r->amount = v.integer; }},
    {"pending_id", FieldKind::kId128,
     [](Transfer* r, const FieldValue& v) { r->pending_id = v.id; }},
    {"user_data_128", FieldKind::kId128,
     [](Transfer* r, const FieldValue& v) { r->user_data_128 = v.id; }},
    {"user_data_64", FieldKind::kU64,
     [](Transfer* r, const FieldValue& v) { r->user_data_64 = v.integer; }},
    {"user_data_32", FieldKind::kU32,
     [](Transfer* r, const FieldValue& v) { r->user_data_32 = static_cast<uint32_t>(v.integer); }},
    {"timeout", FieldKind::kU32,
     [](Transfer* r, const FieldValue& v) { r->timeout = static_cast<uint32_t>(v.integer); }},
    {"ledger", FieldKind::kU32,
     [](Transfer* r, const FieldValue& v) { r->ledger = static_cast<uint32_t>(v.integer); }},
    {"code", FieldKind::kU16,
     [](Transfer* r, const FieldValue& v) { r->code = static_cast<uint16_t>(v.integer); }},
    {"flags", FieldKind::kTransferFlags,
     [](Transfer* r, const FieldValue& v) { r->flags = static_cast<uint16_t>(v.integer); }},
    {"timestamp", FieldKind::kU64,
     [](Transfer* r, const FieldValue& v) { r->timestamp = v.integer; }},
};

// Seen fields are tracked in a 32-bit mask.
static_assert(std::size(kAccountFields) <= 32 && std::size(kTransferFields) <= 32);

template <typename Record, size_t N>
constexpr uint32_t FieldBit(const FieldSpec<Record> (&fields)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (fields[i].name == name) return 1u << i;
  }
  return 0;  // a typo in a caller: caught by the static_asserts below
}

constexpr uint32_t kAccountRequired = FieldBit(kAccountFields, "id") |
                                      FieldBit(kAccountFields, "ledger") |
                                      FieldBit(kAccountFields, "code");
static_assert(kAccountRequired == 0b110001);
constexpr uint32_t kTransferIdBit = FieldBit(kTransferFields, "id");
constexpr uint32_t kTransferAmountBit = FieldBit(kTransferFields, "amount");
// Post and void take these from the pending transfer when they are omitted (0).
constexpr uint32_t kTransferRequiredUnlessPostOrVoid =
    FieldBit(kTransferFields, "debit_account_id") | FieldBit(kTransferFields, "credit_account_id") |
    FieldBit(kTransferFields, "ledger") | FieldBit(kTransferFields, "code");
static_assert(kTransferIdBit != 0 && kTransferAmountBit != 0);
static_assert(kTransferRequiredUnlessPostOrVoid == 0b11000000110);

// Where in the batch a failure is: events[index].field.
struct Where {
  size_t index;
  std::string_view field;
};

std::string_view Clip(std::string_view text) { return text.substr(0, kQuotedNameBytesMax); }

bool Fail(ErrorCode code, const Where& where, std::string_view detail, ApiError* error) {
  error->code = code;
  error->message = "events[" + std::to_string(where.index) + "]";
  if (!where.field.empty()) {
    error->message += '.';
    error->message += where.field;
  }
  error->message += ": ";
  error->message += detail;
  return false;
}

std::string_view StringOf(const Value& value) {
  return {value.GetString(), value.GetStringLength()};
}

// A number that is integral but outside the field's range, as opposed to a
// fraction (RapidJSON keeps integers beyond 64 bits as doubles).
bool IsIntegralNumber(const Value& value) {
  if (!value.IsDouble()) return value.IsNumber();
  const double d = value.GetDouble();
  return std::isfinite(d) && d == std::floor(d);
}

bool ReadId(const Value& value, const Where& where, FieldValue* out, ApiError* error) {
  if (value.IsString()) {
    const std::optional<Id128> id = Id128::ParseDecimal(StringOf(value));
    if (!id) {
      return Fail(
          ErrorCode::kInvalidId, where,
          "must be a decimal string of an integer 0..340282366920938463463374607431768211455",
          error);
    }
    out->id = *id;
    return true;
  }
  if (value.IsUint64()) {
    out->id = Id128::FromU64(value.GetUint64());
    return true;
  }
  if (value.IsNumber()) {
    return Fail(ErrorCode::kInvalidId, where,
                "a number must be an integer 0..18446744073709551615; write larger ids as strings",
                error);
  }
  return Fail(ErrorCode::kInvalidType, where, "must be a decimal string", error);
}

bool ReadAmount(const Value& value, const Where& where, FieldValue* out, ApiError* error) {
  if (value.IsUint64() && value.GetUint64() <= core::kAmountMax) {
    out->integer = value.GetUint64();
    return true;
  }
  if (value.IsNumber()) {
    return Fail(ErrorCode::kInvalidAmount, where, "must be an integer 0..9223372036854775807",
                error);
  }
  return Fail(ErrorCode::kInvalidType, where, "must be an integer", error);
}

bool ReadInteger(const Value& value, uint64_t max, const Where& where, FieldValue* out,
                 ApiError* error) {
  if (value.IsUint64() && value.GetUint64() <= max) {
    out->integer = value.GetUint64();
    return true;
  }
  if (IsIntegralNumber(value)) {
    return Fail(ErrorCode::kOutOfRange, where, "must be an integer 0.." + std::to_string(max),
                error);
  }
  return Fail(ErrorCode::kInvalidType, where, "must be an integer", error);
}

using FlagParser = std::optional<uint16_t> (*)(std::string_view);

bool ReadFlags(const Value& value, FlagParser parse, const Where& where, FieldValue* out,
               ApiError* error) {
  if (!value.IsArray()) {
    return Fail(ErrorCode::kInvalidType, where, "must be an array of flag names", error);
  }
  uint16_t bits = 0;
  // Bounded by the array, which is bounded by the body; every name either
  // sets a new bit or fails, so at most 16 rounds succeed.
  for (const Value& element : value.GetArray()) {
    if (!element.IsString()) {
      return Fail(ErrorCode::kInvalidType, where, "must be an array of flag names", error);
    }
    const std::string_view name = StringOf(element);
    const std::optional<uint16_t> bit = parse(name);
    if (!bit) {
      return Fail(ErrorCode::kUnknownFlag, where,
                  "unknown flag \"" + std::string(Clip(name)) + "\"", error);
    }
    if ((bits & *bit) != 0) {
      return Fail(ErrorCode::kDuplicateField, where,
                  "flag \"" + std::string(name) + "\" is named twice", error);
    }
    bits = static_cast<uint16_t>(bits | *bit);
  }
  out->integer = bits;
  return true;
}

bool ReadField(const Value& value, FieldKind kind, const Where& where, FieldValue* out,
               ApiError* error) {
  switch (kind) {
    case FieldKind::kId128:
      return ReadId(value, where, out, error);
    case FieldKind::kAmount:
      return ReadAmount(value, where, out, error);
    case FieldKind::kU64:
      return ReadInteger(value, UINT64_MAX, where, out, error);
    case FieldKind::kU32:
      return ReadInteger(value, UINT32_MAX, where, out, error);
    case FieldKind::kU16:
      return ReadInteger(value, UINT16_MAX, where, out, error);
    case FieldKind::kAccountFlags:
      return ReadFlags(value, &ledger::ParseAccountFlag, where, out, error);
    case FieldKind::kTransferFlags:
      return ReadFlags(value, &ledger::ParseTransferFlag, where, out, error);
  }
  NETFIN_ASSERT(false);  // unreachable: the switch is exhaustive
}

template <typename Record, size_t N>
size_t FindField(const FieldSpec<Record> (&fields)[N], std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (fields[i].name == name) return i;
  }
  return N;
}

// Reads one event object into *record; *seen gets a bit per field present.
template <typename Record, size_t N>
bool ParseObject(const Value& object, size_t index, const FieldSpec<Record> (&fields)[N],
                 Record* record, uint32_t* seen, ApiError* error) {
  if (!object.IsObject())
    return Fail(ErrorCode::kInvalidType, {index, ""}, "must be an object", error);
  for (const auto& member : object.GetObject()) {
    const std::string_view name = StringOf(member.name);
    const size_t f = FindField(fields, name);
    if (f == N) {
      return Fail(ErrorCode::kUnknownField, {index, ""},
                  "unknown field \"" + std::string(Clip(name)) + "\"", error);
    }
    const uint32_t bit = 1u << f;
    if ((*seen & bit) != 0) {
      return Fail(ErrorCode::kDuplicateField, {index, fields[f].name}, "appears twice", error);
    }
    *seen |= bit;
    FieldValue value;
    if (!ReadField(member.value, fields[f].kind, {index, fields[f].name}, &value, error)) {
      return false;
    }
    fields[f].assign(record, value);
  }
  return true;
}

template <typename Record, size_t N>
bool RequireFields(const FieldSpec<Record> (&fields)[N], uint32_t required, uint32_t seen,
                   size_t index, ApiError* error) {
  const uint32_t missing = required & ~seen;
  if (missing == 0) return true;
  const size_t f = static_cast<size_t>(__builtin_ctz(missing));
  NETFIN_ASSERT(f < N);
  return Fail(ErrorCode::kMissingField, {index, fields[f].name}, "is required", error);
}

bool CheckAccount(const Account&, uint32_t seen, size_t index, ApiError* error) {
  return RequireFields(kAccountFields, kAccountRequired, seen, index, error);
}

// The amount may be omitted only where the ledger gives it a meaning: the
// pending amount (post, void) or as much as the limits allow (balancing).
bool CheckTransfer(Transfer* transfer, uint32_t seen, size_t index, ApiError* error) {
  const uint16_t flags = transfer->flags;
  const bool post_or_void = store::IsPostOrVoid(flags);
  const bool balancing = store::IsBalancing(flags);
  uint32_t required = kTransferIdBit;
  if (!post_or_void) required |= kTransferRequiredUnlessPostOrVoid;
  if (!post_or_void && !balancing) required |= kTransferAmountBit;
  if (!RequireFields(kTransferFields, required, seen, index, error)) return false;
  if ((seen & kTransferAmountBit) == 0) transfer->amount = store::kAmountUpToMax;
  return true;
}

bool CheckRecord(Account* account, uint32_t seen, size_t index, ApiError* error) {
  return CheckAccount(*account, seen, index, error);
}
bool CheckRecord(Transfer* transfer, uint32_t seen, size_t index, ApiError* error) {
  return CheckTransfer(transfer, seen, index, error);
}

// The default grammar (no comments, no NaN, nothing after the document), parsed
// with an explicit stack: the recursive parser would overflow the thread's
// stack on a body of a few million '['.
constexpr unsigned kParseFlags = rapidjson::kParseDefaultFlags | rapidjson::kParseIterativeFlag;

bool ParseDocument(std::string_view body, rapidjson::Document* document, ApiError* error) {
  document->Parse<kParseFlags>(body.data(), body.size());
  if (!document->HasParseError()) return true;
  error->code = ErrorCode::kMalformedJson;
  error->message = "at byte " + std::to_string(document->GetErrorOffset()) + ": " +
                   rapidjson::GetParseError_En(document->GetParseError());
  return false;
}

bool CheckBatchShape(const rapidjson::Document& document, std::string_view what, ApiError* error) {
  if (!document.IsArray()) {
    error->code = ErrorCode::kInvalidType;
    error->message = "the body must be a JSON array of " + std::string(what) + " objects";
    return false;
  }
  if (document.Empty()) {
    error->code = ErrorCode::kEmptyBatch;
    error->message = "the array holds no " + std::string(what) + "s";
    return false;
  }
  if (document.Size() > core::kBatchEventsMax) {
    error->code = ErrorCode::kTooManyEvents;
    error->message = "the array holds " + std::to_string(document.Size()) + " events; at most " +
                     std::to_string(core::kBatchEventsMax) + " are allowed";
    return false;
  }
  return true;
}

template <typename Record, size_t N>
bool ParseBatch(std::string_view body, const FieldSpec<Record> (&fields)[N], std::string_view what,
                std::vector<Record>* records, ApiError* error) {
  rapidjson::Document document;
  if (!ParseDocument(body, &document, error)) return false;
  if (!CheckBatchShape(document, what, error)) return false;
  records->clear();
  records->reserve(document.Size());
  for (rapidjson::SizeType i = 0; i < document.Size(); ++i) {
    Record record{};
    uint32_t seen = 0;
    if (!ParseObject(document[i], i, fields, &record, &seen, error)) return false;
    if (!CheckRecord(&record, seen, i, error)) return false;
    records->push_back(record);
  }
  NETFIN_ASSERT(records->size() == document.Size());
  return true;
}

// ---------------------------------------------------------------------------
// Writing.

// The per-thread buffer every writer fills. REQUIRES: not re-entered (the
// public functions take it once; helpers take the Writer).
rapidjson::StringBuffer& Buffer() {
  thread_local rapidjson::StringBuffer buffer;
  buffer.Clear();
  return buffer;
}

std::string TakeString(rapidjson::StringBuffer& buffer) {
  std::string out(buffer.GetString(), buffer.GetSize());
  buffer.Clear();
  if (out.size() > kRetainedBufferBytesMax) buffer.ShrinkToFit();
  return out;
}

void Key(Writer& w, std::string_view key) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
}

void String(Writer& w, std::string_view text) {
  w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void WriteId(Writer& w, std::string_view key, const Id128& id) {
  Key(w, key);
  String(w, id.ToDecimal());
}

void WriteU64(Writer& w, std::string_view key, uint64_t value) {
  Key(w, key);
  w.Uint64(value);
}

using FlagNamer = std::string_view (*)(uint16_t);

void WriteFlags(Writer& w, uint16_t flags, uint16_t known, FlagNamer name) {
  Key(w, "flags");
  w.StartArray();
  for (unsigned bit = 0; bit < 16; ++bit) {
    const uint16_t mask = static_cast<uint16_t>(1u << bit);
    if ((flags & known & mask) != 0) String(w, name(mask));
  }
  w.EndArray();
}

void WriteAccount(Writer& w, const Account& a) {
  w.StartObject();
  WriteId(w, "id", a.id);
  WriteU64(w, "debits_pending", a.debits_pending);
  WriteU64(w, "debits_posted", a.debits_posted);
  WriteU64(w, "credits_pending", a.credits_pending);
  WriteU64(w, "credits_posted", a.credits_posted);
  WriteId(w, "user_data_128", a.user_data_128);
  WriteU64(w, "user_data_64", a.user_data_64);
  WriteU64(w, "user_data_32", a.user_data_32);
  WriteU64(w, "ledger", a.ledger);
  WriteU64(w, "code", a.code);
  WriteFlags(w, a.flags, store::kAccountFlagsKnown, &ledger::AccountFlagName);
  WriteU64(w, "timestamp", a.timestamp);
  w.EndObject();
}

void WriteTransfer(Writer& w, const Transfer& t) {
  w.StartObject();
  WriteId(w, "id", t.id);
  WriteId(w, "debit_account_id", t.debit_account_id);
  WriteId(w, "credit_account_id", t.credit_account_id);
  WriteU64(w, "amount", t.amount);
  WriteId(w, "pending_id", t.pending_id);
  WriteId(w, "user_data_128", t.user_data_128);
  WriteU64(w, "user_data_64", t.user_data_64);
  WriteU64(w, "user_data_32", t.user_data_32);
  WriteU64(w, "timeout", t.timeout);
  WriteU64(w, "ledger", t.ledger);
  WriteU64(w, "code", t.code);
  WriteFlags(w, t.flags, store::kTransferFlagsKnown, &ledger::TransferFlagName);
  WriteU64(w, "timestamp", t.timestamp);
  w.EndObject();
}

void WriteBalance(Writer& w, const AccountBalance& b) {
  w.StartObject();
  WriteU64(w, "timestamp", b.timestamp);
  WriteU64(w, "debits_pending", b.debits_pending);
  WriteU64(w, "debits_posted", b.debits_posted);
  WriteU64(w, "credits_pending", b.credits_pending);
  WriteU64(w, "credits_posted", b.credits_posted);
  w.EndObject();
}

void WriteResultHead(Writer& w, size_t index, const Id128& id, std::string_view result) {
  WriteU64(w, "index", index);
  WriteId(w, "id", id);
  Key(w, "result");
  String(w, result);
}

void WriteNextCursor(Writer& w, const std::optional<std::string>& next_cursor) {
  Key(w, "next_cursor");
  if (next_cursor) {
    String(w, *next_cursor);
  } else {
    w.Null();
  }
}

template <typename Item>
std::string PageJson(std::span<const Item> items, const std::optional<std::string>& next_cursor,
                     void (*write_item)(Writer&, const Item&)) {
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  w.StartObject();
  Key(w, "data");
  w.StartArray();
  for (const Item& item : items) write_item(w, item);
  w.EndArray();
  WriteNextCursor(w, next_cursor);
  w.EndObject();
  return TakeString(buffer);
}

}  // namespace

bool ParseAccounts(std::string_view body, std::vector<Account>* accounts, ApiError* error) {
  return ParseBatch(body, kAccountFields, "account", accounts, error);
}

bool ParseTransfers(std::string_view body, std::vector<Transfer>* transfers, ApiError* error) {
  return ParseBatch(body, kTransferFields, "transfer", transfers, error);
}

std::string ErrorJson(const ApiError& error) {
  return ErrorJson(ErrorCodeName(error.code), error.message);
}

std::string ErrorJson(std::string_view code, std::string_view message) {
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  w.StartObject();
  Key(w, "error");
  w.StartObject();
  Key(w, "code");
  String(w, code);
  Key(w, "message");
  String(w, message);
  w.EndObject();
  w.EndObject();
  return TakeString(buffer);
}

std::string AccountJson(const Account& account) {
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  WriteAccount(w, account);
  return TakeString(buffer);
}

std::string TransferJson(const Transfer& transfer) {
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  WriteTransfer(w, transfer);
  return TakeString(buffer);
}

std::string AccountResultsJson(std::span<const Id128> ids,
                               std::span<const ledger::AccountOutcome> outcomes) {
  NETFIN_ASSERT(ids.size() == outcomes.size());
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  w.StartArray();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ledger::AccountOutcome& outcome = outcomes[i];
    w.StartObject();
    WriteResultHead(w, i, ids[i], ledger::ResultName(outcome.result));
    if (outcome.result == ledger::CreateAccountResult::kOk) {
      WriteU64(w, "timestamp", outcome.timestamp);
    }
    w.EndObject();
  }
  w.EndArray();
  return TakeString(buffer);
}

std::string TransferResultsJson(std::span<const Id128> ids,
                                std::span<const ledger::TransferOutcome> outcomes) {
  NETFIN_ASSERT(ids.size() == outcomes.size());
  rapidjson::StringBuffer& buffer = Buffer();
  Writer w(buffer);
  w.StartArray();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const ledger::TransferOutcome& outcome = outcomes[i];
    w.StartObject();
    WriteResultHead(w, i, ids[i], ledger::ResultName(outcome.result));
    if (outcome.result == ledger::CreateTransferResult::kOk) {
      WriteU64(w, "timestamp", outcome.timestamp);
      WriteU64(w, "amount", outcome.amount);
    }
    w.EndObject();
  }
  w.EndArray();
  return TakeString(buffer);
}

std::string TransferPageJson(std::span<const Transfer> transfers,
                             const std::optional<std::string>& next_cursor) {
  return PageJson<Transfer>(transfers, next_cursor, &WriteTransfer);
}

std::string BalancePageJson(std::span<const AccountBalance> balances,
                            const std::optional<std::string>& next_cursor) {
  return PageJson<AccountBalance>(balances, next_cursor, &WriteBalance);
}

std::string HealthJson() { return R"({"status":"ok"})"; }

}  // namespace netfin::api
