#include "api/ledger_json.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "core/limits.h"

namespace netfin::api {
namespace {

using core::Id128;
using store::Account;
using store::Transfer;

constexpr char kMaxId[] = "340282366920938463463374607431768211455";

ApiError AccountsError(const std::string& body) {
  std::vector<Account> accounts;
  ApiError error;
  EXPECT_FALSE(ParseAccounts(body, &accounts, &error)) << body;
  return error;
}

ApiError TransfersError(const std::string& body) {
  std::vector<Transfer> transfers;
  ApiError error;
  EXPECT_FALSE(ParseTransfers(body, &transfers, &error)) << body;
  return error;
}

Transfer OneTransfer(const std::string& body) {
  std::vector<Transfer> transfers;
  ApiError error;
  EXPECT_TRUE(ParseTransfers(body, &transfers, &error)) << body << ": " << error.message;
  EXPECT_EQ(transfers.size(), 1u);
  return transfers.empty() ? Transfer{} : transfers[0];
}

Account OneAccount(const std::string& body) {
  std::vector<Account> accounts;
  ApiError error;
  EXPECT_TRUE(ParseAccounts(body, &accounts, &error)) << body << ": " << error.message;
  EXPECT_EQ(accounts.size(), 1u);
  return accounts.empty() ? Account{} : accounts[0];
}

TEST(LedgerJson, AccountWithEveryFieldRoundTrips) {
  Account account;
  account.id = *Id128::ParseDecimal(kMaxId);
  account.debits_pending = 1;
  account.debits_posted = 2;
  account.credits_pending = 3;
  account.credits_posted = static_cast<uint64_t>(INT64_MAX);
  account.user_data_128 = Id128{7, 9};
  account.user_data_64 = UINT64_MAX;
  account.user_data_32 = UINT32_MAX;
  account.ledger = UINT32_MAX;
  account.code = UINT16_MAX;
  account.flags = store::kAccountFlagsKnown;
  account.timestamp = UINT64_MAX;
  const std::string json = AccountJson(account);
  EXPECT_EQ(OneAccount("[" + json + "]"), account) << json;
  EXPECT_NE(json.find("\"id\":\"340282366920938463463374607431768211455\""), std::string::npos);
  EXPECT_NE(json.find("\"history\""), std::string::npos);
}

TEST(LedgerJson, TransferWithEveryFieldRoundTrips) {
  Transfer transfer;
  transfer.id = Id128{1, 2};
  transfer.debit_account_id = Id128::FromU64(3);
  transfer.credit_account_id = Id128::FromU64(4);
  transfer.amount = 5;
  transfer.pending_id = Id128::FromU64(6);
  transfer.user_data_128 = Id128::FromU64(7);
  transfer.user_data_64 = 8;
  transfer.user_data_32 = 9;
  transfer.timeout = 10;
  transfer.ledger = 11;
  transfer.code = 12;
  transfer.flags = static_cast<uint16_t>(store::TransferFlag::kLinked) |
                   static_cast<uint16_t>(store::TransferFlag::kPending);
  transfer.timestamp = 13;
  const std::string json = TransferJson(transfer);
  EXPECT_EQ(OneTransfer("[" + json + "]"), transfer) << json;
  EXPECT_NE(json.find("\"flags\":[\"linked\",\"pending\"]"), std::string::npos) << json;
}

TEST(LedgerJson, MinimalAccountDefaultsToZero) {
  const Account a = OneAccount(R"([{"id":"1","ledger":2,"code":3}])");
  EXPECT_EQ(a.id, Id128::FromU64(1));
  EXPECT_EQ(a.ledger, 2u);
  EXPECT_EQ(a.code, 3u);
  EXPECT_EQ(a.flags, 0u);
  EXPECT_EQ(a.timestamp, 0u);
  EXPECT_EQ(a.debits_posted, 0u);
}

TEST(LedgerJson, IdsAcceptStringsUpTo128BitsAndNumbersUpTo64Bits) {
  EXPECT_EQ(OneAccount(R"([{"id":"0","ledger":1,"code":1}])").id, Id128::Zero());
  EXPECT_EQ(OneAccount(std::string(R"([{"id":")") + kMaxId + R"(","ledger":1,"code":1}])").id,
            Id128::Max());
  EXPECT_EQ(OneAccount(R"([{"id":18446744073709551615,"ledger":1,"code":1}])").id,
            Id128::FromU64(UINT64_MAX));
  EXPECT_EQ(AccountsError(R"([{"id":18446744073709551616,"ledger":1,"code":1}])").code,
            ErrorCode::kInvalidId);
  EXPECT_EQ(
      AccountsError(R"([{"id":"340282366920938463463374607431768211456","ledger":1,"code":1}])")
          .code,
      ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":"-1","ledger":1,"code":1}])").code, ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":"","ledger":1,"code":1}])").code, ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":"12a","ledger":1,"code":1}])").code, ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":-1,"ledger":1,"code":1}])").code, ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":1.5,"ledger":1,"code":1}])").code, ErrorCode::kInvalidId);
  EXPECT_EQ(AccountsError(R"([{"id":true,"ledger":1,"code":1}])").code, ErrorCode::kInvalidType);
  EXPECT_EQ(AccountsError(R"([{"id":null,"ledger":1,"code":1}])").code, ErrorCode::kInvalidType);
}

TEST(LedgerJson, AmountBoundaries) {
  const std::string head =
      R"([{"id":"1","debit_account_id":"2","credit_account_id":"3","ledger":1,"code":1,"amount":)";
  EXPECT_EQ(OneTransfer(head + "0}]").amount, 0u);  // the ledger answers amount_must_not_be_zero
  EXPECT_EQ(OneTransfer(head + "1}]").amount, 1u);
  EXPECT_EQ(OneTransfer(head + "9223372036854775806}]").amount, 9223372036854775806u);
  EXPECT_EQ(OneTransfer(head + "9223372036854775807}]").amount, core::kAmountMax);
  EXPECT_EQ(TransfersError(head + "9223372036854775808}]").code, ErrorCode::kInvalidAmount);
  EXPECT_EQ(TransfersError(head + "18446744073709551616}]").code, ErrorCode::kInvalidAmount);
  EXPECT_EQ(TransfersError(head + "-1}]").code, ErrorCode::kInvalidAmount);
  EXPECT_EQ(TransfersError(head + "1.5}]").code, ErrorCode::kInvalidAmount);
  EXPECT_EQ(TransfersError(head + "1e3}]").code, ErrorCode::kInvalidAmount);
  EXPECT_EQ(TransfersError(head + "\"5\"}]").code, ErrorCode::kInvalidType);
}

TEST(LedgerJson, IntegerFieldsKeepToTheirWidth) {
  EXPECT_EQ(OneAccount(R"([{"id":"1","ledger":4294967295,"code":65535}])").code, 65535u);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":4294967296,"code":1}])").code,
            ErrorCode::kOutOfRange);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":1,"code":65536}])").code, ErrorCode::kOutOfRange);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":-1,"code":1}])").code, ErrorCode::kOutOfRange);
  EXPECT_EQ(
      AccountsError(R"([{"id":"1","ledger":1,"code":1,"user_data_64":18446744073709551616}])").code,
      ErrorCode::kOutOfRange);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":1.5,"code":1}])").code, ErrorCode::kInvalidType);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":"1","code":1}])").code, ErrorCode::kInvalidType);
  EXPECT_EQ(AccountsError(R"([{"id":"1","ledger":1,"code":1,"timestamp":-5}])").code,
            ErrorCode::kOutOfRange);
}

TEST(LedgerJson, AmountMayBeOmittedOnlyForPostVoidAndBalancing) {
  const Transfer post =
      OneTransfer(R"([{"id":"9","pending_id":"8","flags":["post_pending_transfer"]}])");
  EXPECT_EQ(post.amount, store::kAmountUpToMax);
  EXPECT_EQ(post.debit_account_id, Id128::Zero());
  EXPECT_EQ(post.ledger, 0u);
  const Transfer void_transfer =
      OneTransfer(R"([{"id":"9","pending_id":"8","flags":["void_pending_transfer"]}])");
  EXPECT_EQ(void_transfer.amount, store::kAmountUpToMax);
  const Transfer balancing = OneTransfer(
      R"([{"id":"9","debit_account_id":"1","credit_account_id":"2","ledger":1,"code":1,"flags":["balancing_debit"]}])");
  EXPECT_EQ(balancing.amount, store::kAmountUpToMax);
  const ApiError missing = TransfersError(
      R"([{"id":"9","debit_account_id":"1","credit_account_id":"2","ledger":1,"code":1}])");
  EXPECT_EQ(missing.code, ErrorCode::kMissingField);
  EXPECT_EQ(missing.message, "events[0].amount: is required");
  const ApiError balancing_without_ledger = TransfersError(
      R"([{"id":"9","debit_account_id":"1","credit_account_id":"2","code":1,"flags":["balancing_credit"]}])");
  EXPECT_EQ(balancing_without_ledger.message, "events[0].ledger: is required");
}

// Scenarios as data: one malformed body per line, with the code it earns and
// the start of its message.
struct BadBody {
  const char* body;
  ErrorCode code;
  const char* message_prefix;
};

TEST(LedgerJson, MalformedAccountBodiesAreRefusedWithTheirCode) {
  const BadBody cases[] = {
      {"", ErrorCode::kMalformedJson, "at byte 0"},
      {"[", ErrorCode::kMalformedJson, "at byte"},
      {R"([{"id":"1","ledger":1,"code":1}] x)", ErrorCode::kMalformedJson, "at byte"},
      {R"([{"id":"1","ledger":1,"code":1}][])", ErrorCode::kMalformedJson, "at byte"},
      {R"({"id":"1"})", ErrorCode::kInvalidType, "the body must be a JSON array"},
      {"[]", ErrorCode::kEmptyBatch, "the array holds no accounts"},
      {"[1]", ErrorCode::kInvalidType, "events[0]: must be an object"},
      {R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1,"colour":"red"}])",
       ErrorCode::kUnknownField, "events[1]: unknown field \"colour\""},
      {R"([{"id":"1","ledger":1,"code":1,"id":"2"}])", ErrorCode::kDuplicateField,
       "events[0].id: appears twice"},
      {R"([{"id":"1","ledger":1,"code":1,"flags":["history","nope"]}])", ErrorCode::kUnknownFlag,
       "events[0].flags: unknown flag \"nope\""},
      {R"([{"id":"1","ledger":1,"code":1,"flags":["pending"]}])", ErrorCode::kUnknownFlag,
       "events[0].flags: unknown flag \"pending\""},
      {R"([{"id":"1","ledger":1,"code":1,"flags":["history","history"]}])",
       ErrorCode::kDuplicateField, "events[0].flags: flag \"history\" is named twice"},
      {R"([{"id":"1","ledger":1,"code":1,"flags":"history"}])", ErrorCode::kInvalidType,
       "events[0].flags: must be an array"},
      {R"([{"id":"1","ledger":1,"code":1,"flags":[8]}])", ErrorCode::kInvalidType,
       "events[0].flags: must be an array"},
      {R"([{"id":"1","ledger":1}])", ErrorCode::kMissingField, "events[0].code: is required"},
      {R"([{"ledger":1,"code":1}])", ErrorCode::kMissingField, "events[0].id: is required"},
      {R"([{"id":"1","ledger":1,"code":1,"debits_posted":-1}])", ErrorCode::kInvalidAmount,
       "events[0].debits_posted: must be an integer 0..9223372036854775807"},
      {R"([{"id":"x","ledger":1,"code":1}])", ErrorCode::kInvalidId, "events[0].id: must be"},
  };
  for (const BadBody& c : cases) {
    const ApiError error = AccountsError(c.body);
    EXPECT_EQ(ErrorCodeName(error.code), ErrorCodeName(c.code)) << c.body;
    EXPECT_EQ(error.message.rfind(c.message_prefix, 0), 0u) << c.body << " -> " << error.message;
  }
}

TEST(LedgerJson, MalformedTransferBodiesAreRefusedWithTheirCode) {
  const BadBody cases[] = {
      {R"([{"id":"1","debit_account_id":"2","credit_account_id":"3","amount":1,"ledger":1,"code":1,"flags":["history"]}])",
       ErrorCode::kUnknownFlag, "events[0].flags: unknown flag \"history\""},
      {R"([{"id":"1","debit_account_id":"2","amount":1,"ledger":1,"code":1}])",
       ErrorCode::kMissingField, "events[0].credit_account_id: is required"},
      {R"([{"id":"1","debit_account_id":"2","credit_account_id":"3","amount":1,"ledger":1,"code":1,"balance":1}])",
       ErrorCode::kUnknownField, "events[0]: unknown field \"balance\""},
      {R"([{"id":"1","debit_account_id":"2","credit_account_id":"3","amount":1,"ledger":1,"code":1,"timeout":4294967296}])",
       ErrorCode::kOutOfRange, "events[0].timeout: must be an integer 0..4294967295"},
      {R"([{"id":"1","debit_account_id":[],"credit_account_id":"3","amount":1,"ledger":1,"code":1}])",
       ErrorCode::kInvalidType, "events[0].debit_account_id: must be a decimal string"},
  };
  for (const BadBody& c : cases) {
    const ApiError error = TransfersError(c.body);
    EXPECT_EQ(ErrorCodeName(error.code), ErrorCodeName(c.code)) << c.body;
    EXPECT_EQ(error.message.rfind(c.message_prefix, 0), 0u) << c.body << " -> " << error.message;
  }
}

std::string Accounts(size_t n) {
  std::string body = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i > 0) body += ',';
    body += R"({"id":")" + std::to_string(i + 1) + R"(","ledger":1,"code":1})";
  }
  return body + "]";
}

TEST(LedgerJson, BatchSizeBoundaries) {
  std::vector<Account> accounts;
  ApiError error;
  EXPECT_TRUE(ParseAccounts(Accounts(1), &accounts, &error));
  EXPECT_EQ(accounts.size(), 1u);
  EXPECT_TRUE(ParseAccounts(Accounts(core::kBatchEventsMax), &accounts, &error));
  EXPECT_EQ(accounts.size(), core::kBatchEventsMax);
  EXPECT_EQ(AccountsError(Accounts(core::kBatchEventsMax + 1)).code, ErrorCode::kTooManyEvents);
}

TEST(LedgerJson, DeepNestingIsRefusedWithoutExhaustingTheStack) {
  const size_t depth = core::kRequestBodyBytesMax / 2;
  EXPECT_EQ(AccountsError(std::string(depth, '[')).code, ErrorCode::kMalformedJson);
  EXPECT_EQ(AccountsError(std::string(depth, '[') + std::string(depth, ']')).code,
            ErrorCode::kInvalidType);
}

TEST(LedgerJson, ResultsNameEachEventAndAddTimestampAndAmountWhenOk) {
  const std::vector<Id128> ids = {Id128::FromU64(1), Id128::Max()};
  const std::vector<ledger::TransferOutcome> outcomes = {
      {ledger::CreateTransferResult::kOk, 100, 7},
      {ledger::CreateTransferResult::kExceedsCredits, 0, 0}};
  EXPECT_EQ(
      TransferResultsJson(ids, outcomes),
      R"([{"index":0,"id":"1","result":"ok","timestamp":100,"amount":7},)"
      R"({"index":1,"id":"340282366920938463463374607431768211455","result":"exceeds_credits"}])");
  const std::vector<ledger::AccountOutcome> account_outcomes = {
      {ledger::CreateAccountResult::kOk, 5}, {ledger::CreateAccountResult::kExists, 0}};
  EXPECT_EQ(AccountResultsJson(ids, account_outcomes),
            R"([{"index":0,"id":"1","result":"ok","timestamp":5},)"
            R"({"index":1,"id":"340282366920938463463374607431768211455","result":"exists"}])");
}

TEST(LedgerJson, ErrorShapeIsStable) {
  EXPECT_EQ(ErrorJson({ErrorCode::kNotFound, "account \"7\" does not exist"}),
            R"({"error":{"code":"not_found","message":"account \"7\" does not exist"}})");
}

TEST(LedgerJson, PagesCarryTheirCursorOrNull) {
  store::AccountBalance balance;
  balance.timestamp = 3;
  balance.credits_posted = 4;
  EXPECT_EQ(BalancePageJson({&balance, 1}, std::nullopt),
            R"({"data":[{"timestamp":3,"debits_pending":0,"debits_posted":0,)"
            R"("credits_pending":0,"credits_posted":4}],"next_cursor":null})");
  EXPECT_EQ(TransferPageJson({}, std::string("c")), R"({"data":[],"next_cursor":"c"})");
}

}  // namespace
}  // namespace netfin::api
