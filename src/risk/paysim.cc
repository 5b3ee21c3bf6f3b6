#include "risk/paysim.h"

#include <algorithm>
#include <array>
#include <numeric>
#include <utility>

#include "core/files.h"
#include "core/assert.h"
#include "ml/csv_reader.h"
#include "risk/features.h"

namespace netfin::risk {

namespace {

// The columns the mapping reads, by name.
enum class Column : uint8_t {
  kStep,
  kType,
  kAmount,
  kNameOrig,
  kOldBalanceOrg,
  kNameDest,
  kIsFraud
};
constexpr size_t kColumnCount = 7;
constexpr std::array<std::string_view, kColumnCount> kColumnNames = {
    "step", "type", "amount", "nameOrig", "oldbalanceOrg", "nameDest", "isFraud"};

using ColumnIndex = std::array<size_t, kColumnCount>;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

core::Result<ColumnIndex> FindColumns(const std::vector<std::string>& header) {
  ColumnIndex index{};
  for (size_t c = 0; c < kColumnCount; ++c) {
    const auto at = std::find(header.begin(), header.end(), kColumnNames[c]);
    if (at == header.end()) {
      return core::InvalidArgument("no column \"" + std::string(kColumnNames[c]) +
                                   "\" (a PaySim file has step, type, amount, nameOrig, "
                                   "oldbalanceOrg, nameDest, isFraud, ...)");
    }
    index[c] = static_cast<size_t>(at - header.begin());
  }
  return index;
}

// A step: 1 to 7 digits, optionally followed by ".0" (some exports write
// integers as floats), at most kPaysimStepMax.
std::optional<uint32_t> ParseStep(std::string_view text) {
  if (text.ends_with(".0")) text.remove_suffix(2);
  if (text.empty() || text.size() > 7) return std::nullopt;
  uint32_t step = 0;
  for (const char c : text) {
    if (!IsDigit(c)) return std::nullopt;
    step = step * 10 + static_cast<uint32_t>(c - '0');
  }
  if (step > kPaysimStepMax) return std::nullopt;
  return step;
}

// isFraud as PaySim writes it ("0", "1", "0.0", "1.0").
std::optional<uint8_t> ParseLabel(std::string_view text) {
  core::Result<core::AmountMinor> hundredths = ParseDecimalMinor(text);
  if (!hundredths.ok()) return std::nullopt;
  if (*hundredths == 0) return 0;
  if (*hundredths == 100) return 1;
  return std::nullopt;
}

// Integer digits as minor units; false past kAmountMax.
bool AccumulateDigits(std::string_view digits, core::AmountMinor* value) {
  for (const char c : digits) {
    if (!IsDigit(c)) return false;
    core::AmountMinor next = 0;
    if (__builtin_mul_overflow(*value, 10u, &next)) return false;
    if (!core::TryAddAmount(next, static_cast<core::AmountMinor>(c - '0'), &next)) return false;
    *value = next;
  }
  return true;
}

struct Row {
  PaymentEvent event;
  uint8_t label = 0;
  uint32_t step = 0;
};

std::string AtLine(std::string_view source, size_t line) {
  return std::string(source) + ":" + std::to_string(line) + ": ";
}

core::Result<Row> ParseRow(std::span<const std::string_view> cells, const ColumnIndex& at) {
  const auto cell = [&](Column c) { return cells[at[static_cast<size_t>(c)]]; };
  Row row;
  const std::optional<uint32_t> step = ParseStep(cell(Column::kStep));
  if (!step)
    return core::InvalidArgument("step \"" + std::string(cell(Column::kStep)) + "\" is not 0.." +
                                 std::to_string(kPaysimStepMax));
  row.step = *step;
  const std::optional<EventKind> kind = PaysimKind(cell(Column::kType));
  if (!kind) {
    return core::InvalidArgument("type \"" + std::string(cell(Column::kType)) +
                                 "\" is not PAYMENT, TRANSFER, CASH_OUT, DEBIT or CASH_IN");
  }
  core::Result<core::AmountMinor> amount = ParseDecimalMinor(cell(Column::kAmount));
  if (!amount.ok()) return core::InvalidArgument("amount: " + amount.status().message());
  core::Result<core::AmountMinor> balance = ParseDecimalMinor(cell(Column::kOldBalanceOrg));
  if (!balance.ok()) return core::InvalidArgument("oldbalanceOrg: " + balance.status().message());
  const std::optional<uint8_t> label = ParseLabel(cell(Column::kIsFraud));
  if (!label)
    return core::InvalidArgument("isFraud \"" + std::string(cell(Column::kIsFraud)) +
                                 "\" is not 0 or 1");
  const std::string_view orig = cell(Column::kNameOrig);
  const std::string_view dest = cell(Column::kNameDest);
  if (orig.empty() || dest.empty()) return core::InvalidArgument("an empty nameOrig or nameDest");
  row.label = *label;
  PaymentEvent& e = row.event;
  e.timestamp_ns = PaysimStepTimestampNs(row.step);
  e.customer = PaysimAccountKey(orig);
  e.payee = PaysimAccountKey(dest);
  // PaySim's merchants are the names starting with "M" (the payees of
  // PAYMENT rows); the online path names the merchant of a merchant payment.
  if (dest.front() == 'M') e.merchant = e.payee;
  e.amount_minor = *amount;
  e.balance_before_minor = *balance;
  e.kind = *kind;
  e.outcome = Outcome::kSucceeded;
  return row;
}

// Stable order by step: the file's order within a step.
PaysimLog InReplayOrder(const std::vector<Row>& rows) {
  std::vector<size_t> order(rows.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return rows[a].step < rows[b].step; });
  PaysimLog log;
  log.events.reserve(rows.size());
  log.labels.reserve(rows.size());
  log.steps.reserve(rows.size());
  for (const size_t i : order) {
    log.events.push_back(rows[i].event);
    log.labels.push_back(rows[i].label);
    log.steps.push_back(rows[i].step);
  }
  return log;
}

}  // namespace

size_t PaysimLog::FraudCount() const {
  return static_cast<size_t>(std::count(labels.begin(), labels.end(), uint8_t{1}));
}

core::Result<core::AmountMinor> ParseDecimalMinor(std::string_view text) {
  const auto bad = [&](const char* why) {
    return core::InvalidArgument("\"" + std::string(text) + "\" " + why);
  };
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty()) return bad("is not a non-negative decimal number");
  if (dot != std::string_view::npos && fraction.empty())
    return bad("has no digits after the point");
  // Digits past the cents must be zeros: the amount is then exact in fen.
  while (fraction.size() > 2 && fraction.back() == '0') fraction.remove_suffix(1);
  if (fraction.size() > 2) {
    return std::all_of(fraction.begin(), fraction.end(), IsDigit)
               ? bad("has a digit past the cents")
               : bad("is not a non-negative decimal number");
  }
  core::AmountMinor minor = 0;
  if (!std::all_of(whole.begin(), whole.end(), IsDigit) ||
      !std::all_of(fraction.begin(), fraction.end(), IsDigit)) {
    return bad("is not a non-negative decimal number");
  }
  // The cents: "5" is 50, "05" is 5, "" is 0.
  std::array<char, 2> cents = {'0', '0'};
  std::copy(fraction.begin(), fraction.end(), cents.begin());
  if (!AccumulateDigits(whole, &minor) ||
      !AccumulateDigits(std::string_view(cents.data(), cents.size()), &minor)) {
    return bad("is more than netfin's largest amount");
  }
  return minor;
}

std::optional<EventKind> PaysimKind(std::string_view type) {
  if (type == "PAYMENT") return EventKind::kPayment;
  if (type == "TRANSFER") return EventKind::kTransfer;
  // CASH_OUT takes money out through a merchant acting as an agent; DEBIT
  // sends it to a bank account: both leave the wallet.
  if (type == "CASH_OUT" || type == "DEBIT") return EventKind::kWithdrawal;
  if (type == "CASH_IN") return EventKind::kTopUp;
  return std::nullopt;
}

Id128 PaysimAccountKey(std::string_view name) {
  // The same BLAKE2b-128 the edge applies to device ids: fixed-size, and
  // never the zero key ("not given") for a non-empty name.
  return DeviceKey(name);
}

uint64_t PaysimStepTimestampNs(uint32_t step) {
  static_assert(kPaysimEpochNs + uint64_t{kPaysimStepMax} * kHourNs > kPaysimEpochNs);
  NETFIN_ASSERT(step <= kPaysimStepMax);
  return kPaysimEpochNs + uint64_t{step} * kHourNs;
}

core::Result<PaysimLog> ParsePaysim(std::string text, std::string_view source_name) {
  core::Result<ml::CsvTable> table = ml::CsvTable::Parse(std::move(text));
  if (!table.ok())
    return core::InvalidArgument(std::string(source_name) + ": " + table.status().message());
  core::Result<ColumnIndex> columns = FindColumns(table->header());
  if (!columns.ok())
    return core::InvalidArgument(AtLine(source_name, table->header_line()) +
                                 columns.status().message());
  const size_t row_count = table->row_count();
  if (row_count == 0) return core::InvalidArgument(std::string(source_name) + ": no data rows");
  if (row_count > kPaysimRowsMax) {
    return core::InvalidArgument(std::string(source_name) + ": more than " +
                                 std::to_string(kPaysimRowsMax) + " rows");
  }
  std::vector<Row> rows;
  rows.reserve(row_count);
  for (size_t r = 0; r < row_count; ++r) {
    core::Result<Row> row = ParseRow(table->Row(r), *columns);
    if (!row.ok())
      return core::InvalidArgument(AtLine(source_name, table->LineOfRow(r)) +
                                   row.status().message());
    rows.push_back(*row);
  }
  return InReplayOrder(rows);
}

core::Result<PaysimLog> ReadPaysimFile(const std::string& path) {
  core::Result<std::string> text = core::ReadWholeFile(path, ml::kCsvBytesMax);
  if (!text.ok()) return text.status();
  return ParsePaysim(std::move(text).value(), path);
}

}  // namespace netfin::risk
