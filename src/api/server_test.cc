// The API end to end: a real Server on an ephemeral port, over a real
// LedgerService and SQLite store in a temporary directory, driven by the
// HttpClient.

#include "api/server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "api/router.h"
#include "core/limits.h"
#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"
#include "store/store.h"

namespace netfin::api {
namespace {

constexpr char kJson[] = "application/json";

// A store whose reads fail on demand with a chosen code, so that every
// operating failure's mapping to a client code can be seen end to end, and
// whose appends can be made slow, as a slow disk's would be.
class FaultyReadStore final : public store::Store {
 public:
  explicit FaultyReadStore(std::unique_ptr<store::Store> inner) : inner_(std::move(inner)) {}

  // kOk: reads work.
  void FailReadsWith(core::StatusCode code) { failure_.store(code); }

  void DelayAppends(std::chrono::milliseconds delay) { append_delay_ms_.store(delay.count()); }

  core::Status Append(const store::Batch& batch) override {
    if (const int64_t ms = append_delay_ms_.load(); ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    }
    return inner_->Append(batch);
  }
  store::ChainHead Head() const override { return inner_->Head(); }
  core::Status Load(store::StateVisitor& visitor) override { return inner_->Load(visitor); }
  core::Result<std::optional<store::Account>> LookupAccount(const core::Id128& id) override {
    if (failed()) return Failure();
    return inner_->LookupAccount(id);
  }
  core::Result<std::optional<store::Transfer>> LookupTransfer(const core::Id128& id) override {
    if (failed()) return Failure();
    return inner_->LookupTransfer(id);
  }
  core::Result<std::vector<store::Transfer>> GetAccountTransfers(
      const store::AccountFilter& filter) override {
    if (failed()) return Failure();
    return inner_->GetAccountTransfers(filter);
  }
  core::Result<std::vector<store::AccountBalance>> GetAccountBalances(
      const store::AccountFilter& filter) override {
    if (failed()) return Failure();
    return inner_->GetAccountBalances(filter);
  }
  core::Result<std::vector<store::RoleEvent>> ReadEvents(const store::EventFilter& filter) override {
    if (failed()) return Failure();
    return inner_->ReadEvents(filter);
  }
  core::Status VerifyChain(store::ChainReport* report) override {
    return inner_->VerifyChain(report);
  }
  store::StoreStats Stats() const override { return inner_->Stats(); }

 private:
  bool failed() const { return failure_.load() != core::StatusCode::kOk; }
  core::Status Failure() const { return {failure_.load(), "injected read failure"}; }

  std::unique_ptr<store::Store> inner_;
  std::atomic<core::StatusCode> failure_{core::StatusCode::kOk};
  std::atomic<int64_t> append_delay_ms_{0};
};

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override { Start({}); }
  void TearDown() override { Shutdown(); }

  void Start(ServerOptions options) {
    dir_.emplace();
    auto store = store::OpenSqliteStore(dir_->File("ledger.db"), {store::Durability::kAsync});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto faulty = std::make_unique<FaultyReadStore>(std::move(store).value());
    faulty_ = faulty.get();
    auto ledger = ledger::LedgerService::Open(std::move(faulty));
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    options.port = 0;
    server_ = std::make_unique<Server>(*ledger_, options);
    ASSERT_TRUE(server_->Start().ok());
    ASSERT_NE(server_->port(), 0);
    ASSERT_TRUE(client_.Connect("127.0.0.1", server_->port()).ok());
  }

  void Shutdown() {
    client_.Close();
    server_.reset();
    ledger_.reset();
    dir_.reset();
  }

  void Restart(ServerOptions options) {
    Shutdown();
    Start(std::move(options));
  }

  ClientResponse Send(std::string_view method, std::string_view target, std::string_view body = {},
                      std::string_view content_type = kJson) {
    core::Result<ClientResponse> response = client_.Request(method, target, body, content_type);
    EXPECT_TRUE(response.ok()) << method << " " << target << ": " << response.status().ToString();
    return response.ok() ? std::move(response.value()) : ClientResponse{};
  }
  ClientResponse Get(std::string_view target) { return Send("GET", target); }
  ClientResponse Post(std::string_view target, std::string_view body) {
    return Send("POST", target, body);
  }

  static rapidjson::Document Json(const ClientResponse& response) {
    rapidjson::Document document;
    document.Parse(response.body.c_str());
    EXPECT_FALSE(document.HasParseError()) << response.body;
    return document;
  }

  // Asserts the one error shape and its code.
  static void ExpectError(const ClientResponse& response, unsigned status, std::string_view code) {
    EXPECT_EQ(response.status, status) << response.body;
    EXPECT_EQ(response.Header("Content-Type"), kJson);
    const rapidjson::Document json = Json(response);
    ASSERT_TRUE(json.IsObject() && json.HasMember("error")) << response.body;
    ASSERT_TRUE(json["error"].IsObject());
    ASSERT_EQ(json["error"].MemberCount(), 2u) << response.body;
    EXPECT_EQ(std::string(json["error"]["code"].GetString()), code) << response.body;
    EXPECT_GT(json["error"]["message"].GetStringLength(), 0u);
  }

  // The result names of a batch response, in order.
  static std::vector<std::string> Results(const ClientResponse& response) {
    EXPECT_EQ(response.status, 200u) << response.body;
    const rapidjson::Document json = Json(response);
    std::vector<std::string> results;
    if (!json.IsArray()) return results;
    for (rapidjson::SizeType i = 0; i < json.Size(); ++i) {
      EXPECT_EQ(json[i]["index"].GetUint64(), i);
      results.emplace_back(json[i]["result"].GetString());
    }
    return results;
  }

  void CreateAccounts(const std::string& body, size_t count) {
    EXPECT_EQ(Results(Post("/v1/accounts", body)), std::vector<std::string>(count, "ok"));
  }

  uint64_t LedgerRequests() const { return ledger_->metrics().requests.load(); }

  std::optional<core::ScratchDir> dir_;  // a fresh one per Start
  FaultyReadStore* faulty_ = nullptr;  // owned by ledger_
  std::unique_ptr<ledger::LedgerService> ledger_;
  std::unique_ptr<Server> server_;
  HttpClient client_;
};

std::string Transfer(uint64_t id, uint64_t debit, uint64_t credit, uint64_t amount,
                     const std::string& extra = "") {
  return R"({"id":")" + std::to_string(id) + R"(","debit_account_id":")" + std::to_string(debit) +
         R"(","credit_account_id":")" + std::to_string(credit) + R"(","amount":)" +
         std::to_string(amount) + R"(,"ledger":1,"code":1)" + extra + "}";
}

// ---------------------------------------------------------------------------
// Creating and reading.

TEST_F(ServerTest, CreatesAccountsAndAnswersOneResultPerEvent) {
  const ClientResponse response = Post(
      "/v1/accounts",
      R"([{"id":"340282366920938463463374607431768211454","ledger":7,"code":2,"user_data_64":5,"flags":["history"]},
          {"id":"340282366920938463463374607431768211454","ledger":7,"code":2,"user_data_64":5,"flags":["history"]},
          {"id":"0","ledger":7,"code":2},
          {"id":"2","ledger":7,"code":2,"timestamp":1},
          {"id":"3","ledger":0,"code":2}])");
  ASSERT_EQ(response.status, 200u) << response.body;
  EXPECT_EQ(response.Header("Content-Type"), kJson);
  const rapidjson::Document json = Json(response);
  ASSERT_TRUE(json.IsArray());
  ASSERT_EQ(json.Size(), 5u);
  EXPECT_STREQ(json[0]["id"].GetString(), "340282366920938463463374607431768211454");
  EXPECT_STREQ(json[0]["result"].GetString(), "ok");
  EXPECT_GT(json[0]["timestamp"].GetUint64(), 0u);
  EXPECT_STREQ(json[1]["result"].GetString(), "exists");
  EXPECT_FALSE(json[1].HasMember("timestamp"));
  EXPECT_STREQ(json[2]["result"].GetString(), "id_must_not_be_zero");
  EXPECT_STREQ(json[3]["result"].GetString(), "timestamp_must_be_zero");
  EXPECT_STREQ(json[4]["result"].GetString(), "ledger_must_not_be_zero");

  const ClientResponse account = Get("/v1/accounts/340282366920938463463374607431768211454");
  ASSERT_EQ(account.status, 200u) << account.body;
  const rapidjson::Document a = Json(account);
  EXPECT_STREQ(a["id"].GetString(), "340282366920938463463374607431768211454");
  EXPECT_EQ(a["ledger"].GetUint(), 7u);
  EXPECT_EQ(a["code"].GetUint(), 2u);
  EXPECT_EQ(a["user_data_64"].GetUint64(), 5u);
  EXPECT_STREQ(a["user_data_128"].GetString(), "0");
  EXPECT_EQ(a["debits_posted"].GetUint64(), 0u);
  ASSERT_EQ(a["flags"].Size(), 1u);
  EXPECT_STREQ(a["flags"][0].GetString(), "history");
  EXPECT_EQ(a["timestamp"].GetUint64(), json[0]["timestamp"].GetUint64());
}

TEST_F(ServerTest, TransfersMoveMoneyAndReportTheAmountThatMoved) {
  CreateAccounts(R"([{"id":"10","ledger":1,"code":1},
                     {"id":"11","ledger":1,"code":1,"flags":["debits_must_not_exceed_credits"]}])",
                 2);
  const ClientResponse response = Post(
      "/v1/transfers",
      "[" + Transfer(1, 10, 11, 100) + "," +
          R"({"id":"2","debit_account_id":"11","credit_account_id":"10","ledger":1,"code":1,"flags":["balancing_debit"]},)" +
          Transfer(3, 10, 11, 50, R"(,"flags":["pending"],"timeout":3600)") + "," +
          R"({"id":"4","pending_id":"3","flags":["post_pending_transfer"]},)" +
          Transfer(5, 10, 11, 0) + "," + Transfer(0, 10, 11, 1) + "," + Transfer(1, 10, 11, 100) +
          "," + Transfer(6, 10, 999, 1) + "]");
  EXPECT_EQ(Results(response), (std::vector<std::string>{
                                   "ok", "ok", "ok", "ok", "amount_must_not_be_zero",
                                   "id_must_not_be_zero", "exists", "credit_account_not_found"}));
  const rapidjson::Document json = Json(response);
  ASSERT_TRUE(json.IsArray() && json.Size() == 8u);
  EXPECT_EQ(json[0]["amount"].GetUint64(), 100u);
  EXPECT_EQ(json[1]["amount"].GetUint64(), 100u);  // as much as 11's credits allowed
  EXPECT_EQ(json[3]["amount"].GetUint64(), 50u);   // the pending amount
  EXPECT_FALSE(json[4].HasMember("amount"));
  EXPECT_LT(json[0]["timestamp"].GetUint64(), json[1]["timestamp"].GetUint64());

  const ClientResponse posted = Get("/v1/transfers/4");
  ASSERT_EQ(posted.status, 200u) << posted.body;
  const rapidjson::Document t = Json(posted);
  EXPECT_STREQ(t["pending_id"].GetString(), "3");
  EXPECT_EQ(t["amount"].GetUint64(), 50u);
  EXPECT_STREQ(t["debit_account_id"].GetString(), "10");
  ASSERT_EQ(t["flags"].Size(), 1u);
  EXPECT_STREQ(t["flags"][0].GetString(), "post_pending_transfer");

  const rapidjson::Document account = Json(Get("/v1/accounts/11"));
  EXPECT_EQ(account["credits_posted"].GetUint64(), 150u);
  EXPECT_EQ(account["debits_posted"].GetUint64(), 100u);
  EXPECT_EQ(account["credits_pending"].GetUint64(), 0u);
}

TEST_F(ServerTest, VoidReleasesThePendingAmount) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  EXPECT_EQ(Results(Post("/v1/transfers",
                         "[" + Transfer(7, 1, 2, 40, R"(,"flags":["pending"])") +
                             R"(,{"id":"8","pending_id":"7","flags":["void_pending_transfer"]}])")),
            (std::vector<std::string>{"ok", "ok"}));
  const rapidjson::Document account = Json(Get("/v1/accounts/2"));
  EXPECT_EQ(account["credits_pending"].GetUint64(), 0u);
  EXPECT_EQ(account["credits_posted"].GetUint64(), 0u);
}

// ---------------------------------------------------------------------------
// Queries and cursors.

class QueryTest : public ServerTest {
 protected:
  static constexpr uint64_t kTransfers = 30;

  void SetUp() override {
    ServerTest::SetUp();
    CreateAccounts(R"([{"id":"1","ledger":1,"code":1,"flags":["history"]},
                       {"id":"2","ledger":1,"code":1},{"id":"3","ledger":1,"code":1}])",
                   3);
    // Odd transfers debit account 1, even ones credit it; two requests so
    // the history spans batches.
    for (uint64_t half = 0; half < 2; ++half) {
      std::string body = "[";
      for (uint64_t i = 1 + half * kTransfers / 2; i <= (half + 1) * kTransfers / 2; ++i) {
        if (body.size() > 1) body += ',';
        body += i % 2 == 1 ? Transfer(100 + i, 1, 2, i) : Transfer(100 + i, 3, 1, i);
      }
      EXPECT_EQ(Results(Post("/v1/transfers", body + "]")),
                std::vector<std::string>(kTransfers / 2, "ok"));
    }
  }

  // Ids (or timestamps for balances) of every page from `first`, following
  // next_cursor; each page must be full except the last.
  std::vector<std::string> Walk(const std::string& path, const std::string& params, uint32_t limit,
                                const char* key) {
    std::vector<std::string> items;
    std::string cursor;
    for (int pages = 0; pages < 1000; ++pages) {
      std::string target = path + "?limit=" + std::to_string(limit) + params;
      if (!cursor.empty()) target += "&cursor=" + cursor;
      const ClientResponse response = Get(target);
      EXPECT_EQ(response.status, 200u) << target << " " << response.body;
      const rapidjson::Document json = Json(response);
      if (!json.IsObject()) return items;
      const auto& data = json["data"];
      for (const auto& item : data.GetArray()) {
        items.push_back(item[key].IsString() ? item[key].GetString()
                                             : std::to_string(item[key].GetUint64()));
      }
      if (json["next_cursor"].IsNull()) return items;
      EXPECT_EQ(data.Size(), limit) << "a cursor after a page that was not full";
      cursor = json["next_cursor"].GetString();
    }
    ADD_FAILURE() << "too many pages";
    return items;
  }
};

TEST_F(QueryTest, PagesOfEverySizeReassembleTheWholeListExactlyOnce) {
  const std::vector<std::string> all = Walk("/v1/accounts/1/transfers", "", 8190, "id");
  ASSERT_EQ(all.size(), kTransfers);
  for (uint64_t i = 0; i < kTransfers; ++i) EXPECT_EQ(all[i], std::to_string(101 + i));
  std::vector<std::string> reversed(all.rbegin(), all.rend());
  for (uint32_t limit = 1; limit <= kTransfers + 1; ++limit) {
    EXPECT_EQ(Walk("/v1/accounts/1/transfers", "", limit, "id"), all) << "limit " << limit;
    EXPECT_EQ(Walk("/v1/accounts/1/transfers", "&order=desc", limit, "id"), reversed)
        << "limit " << limit;
  }
}

TEST_F(QueryTest, SideAndTimeRangeFilter) {
  const std::vector<std::string> debits = Walk("/v1/accounts/1/transfers", "&side=debits", 4, "id");
  ASSERT_EQ(debits.size(), kTransfers / 2);
  EXPECT_EQ(debits.front(), "101");
  const std::vector<std::string> credits =
      Walk("/v1/accounts/1/transfers", "&side=credits", 4, "id");
  ASSERT_EQ(credits.size(), kTransfers / 2);
  EXPECT_EQ(credits.front(), "102");

  const std::vector<std::string> stamps = Walk("/v1/accounts/1/transfers", "", 8190, "timestamp");
  ASSERT_EQ(stamps.size(), kTransfers);
  const std::string range = "&timestamp_min=" + stamps[4] + "&timestamp_max=" + stamps[9];
  const std::vector<std::string> ranged = Walk("/v1/accounts/1/transfers", range, 2, "id");
  EXPECT_EQ(ranged, (std::vector<std::string>{"105", "106", "107", "108", "109", "110"}));
  EXPECT_EQ(Walk("/v1/accounts/1/transfers", range + "&order=desc", 4, "id"),
            (std::vector<std::string>{"110", "109", "108", "107", "106", "105"}));
  // Account 2 has only the odd transfers, all as credits.
  EXPECT_EQ(Walk("/v1/accounts/2/transfers", "&side=debits", 10, "id").size(), 0u);
  EXPECT_EQ(Walk("/v1/accounts/2/transfers", "", 10, "id").size(), kTransfers / 2);
}

TEST_F(QueryTest, BalancesFollowTheHistoryOfAnAccount) {
  const std::vector<std::string> all = Walk("/v1/accounts/1/balances", "", 8190, "timestamp");
  ASSERT_EQ(all.size(), kTransfers);
  EXPECT_EQ(all, Walk("/v1/accounts/1/transfers", "", 8190, "timestamp"));
  for (uint32_t limit : {1u, 7u, 15u, 30u}) {
    EXPECT_EQ(Walk("/v1/accounts/1/balances", "", limit, "timestamp"), all);
  }
  const rapidjson::Document last = Json(Get("/v1/accounts/1/balances?order=desc&limit=1"));
  const rapidjson::Document account = Json(Get("/v1/accounts/1"));
  ASSERT_EQ(last["data"].Size(), 1u);
  for (const char* field :
       {"debits_posted", "credits_posted", "debits_pending", "credits_pending"}) {
    EXPECT_EQ(last["data"][0][field].GetUint64(), account[field].GetUint64()) << field;
  }
  EXPECT_EQ(account["debits_posted"].GetUint64(), 225u);   // 1 + 3 + ... + 29
  EXPECT_EQ(account["credits_posted"].GetUint64(), 240u);  // 2 + 4 + ... + 30
  ExpectError(Get("/v1/accounts/2/balances"), 400, "account_has_no_history");
  ExpectError(Get("/v1/accounts/1/balances?side=debits"), 400, "invalid_query");
}

TEST_F(QueryTest, QueriesOfUnknownAccountsAreNotFound) {
  ExpectError(Get("/v1/accounts/4/transfers"), 404, "not_found");
  ExpectError(Get("/v1/accounts/4/balances"), 404, "not_found");
  ExpectError(Get("/v1/accounts/1/transfers?limit=0"), 400, "invalid_query");
  ExpectError(Get("/v1/accounts/1/transfers?limit=8191"), 400, "invalid_query");
  ExpectError(Get("/v1/accounts/1/transfers?cursor=bogus"), 400, "invalid_query");
  ExpectError(Get("/v1/accounts/1/transfers?colour=red"), 400, "invalid_query");
  EXPECT_EQ(Get("/v1/accounts/1/transfers?limit=8190").status, 200u);
}

// ---------------------------------------------------------------------------
// Errors: every code, and proof that a refused request wrote nothing.

struct RefusedPost {
  const char* target;
  std::string body;
  const char* content_type;
  unsigned status;
  const char* code;
};

TEST_F(ServerTest, RefusedBatchesReachNothing) {
  const std::string ok_account = R"({"id":"500","ledger":1,"code":1})";
  const std::string ok_transfer = Transfer(600, 1, 2, 5);
  std::string too_many = "[";
  for (size_t i = 0; i <= core::kBatchEventsMax; ++i) too_many += (i ? "," : "") + ok_account;
  const RefusedPost cases[] = {
      {"/v1/accounts", "[" + ok_account + ",", kJson, 400, "malformed_json"},
      {"/v1/accounts", "[" + ok_account + "] []", kJson, 400, "malformed_json"},
      {"/v1/accounts", ok_account, kJson, 400, "invalid_type"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","ledger":"1","code":1}])", kJson, 400,
       "invalid_type"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","ledger":1,"code":1,"x":1}])", kJson, 400,
       "unknown_field"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","ledger":1,"code":1,"code":2}])", kJson,
       400, "duplicate_field"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","ledger":1,"code":1,"flags":["gold"]}])",
       kJson, 400, "unknown_flag"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"5x","ledger":1,"code":1}])", kJson, 400,
       "invalid_id"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","ledger":1,"code":70000}])", kJson, 400,
       "out_of_range"},
      {"/v1/accounts", "[" + ok_account + R"(,{"id":"501","code":1}])", kJson, 400,
       "missing_field"},
      {"/v1/accounts", "[]", kJson, 400, "empty_batch"},
      {"/v1/accounts", too_many + "]", kJson, 400, "too_many_events"},
      {"/v1/accounts", "[" + ok_account + "]", "text/plain", 415, "unsupported_media_type"},
      {"/v1/accounts", "[" + ok_account + "]", "", 415, "unsupported_media_type"},
      {"/v1/accounts", "[" + ok_account + "]", "application/jsonx", 415, "unsupported_media_type"},
      {"/v1/transfers", "[" + ok_transfer + "," + Transfer(601, 1, 2, 0) + R"(,{"id":"602"}])",
       kJson, 400, "missing_field"},
      {"/v1/transfers",
       "[" + ok_transfer +
           R"(,{"id":"601","debit_account_id":"1","credit_account_id":"2","amount":-5,"ledger":1,"code":1}])",
       kJson, 400, "invalid_amount"},
      {"/v1/transfers", "[" + ok_transfer + "]", "text/html", 415, "unsupported_media_type"},
  };
  const uint64_t requests_before = LedgerRequests();
  for (const RefusedPost& c : cases) {
    SCOPED_TRACE(std::string(c.code) + " " + c.body.substr(0, 120));
    ExpectError(Send("POST", c.target, c.body, c.content_type), c.status, c.code);
  }
  EXPECT_EQ(LedgerRequests(), requests_before) << "a refused request reached the ledger";
  ExpectError(Get("/v1/accounts/500"), 404, "not_found");
  ExpectError(Get("/v1/transfers/600"), 404, "not_found");
}

TEST_F(ServerTest, JsonMediaTypeMayCarryParametersAndAnyCase) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1}])", 1);
  EXPECT_EQ(Send("POST", "/v1/accounts", R"([{"id":"2","ledger":1,"code":1}])",
                 "application/json; charset=utf-8")
                .status,
            200u);
  EXPECT_EQ(Send("POST", "/v1/accounts", R"([{"id":"3","ledger":1,"code":1}])",
                 "Application/JSON;charset=UTF-8")
                .status,
            200u);
  EXPECT_EQ(Get("/v1/accounts/3").status, 200u);
}

TEST_F(ServerTest, ReadErrorsHaveTheirCodes) {
  ExpectError(Get("/v1/accounts/abc"), 400, "invalid_id");
  ExpectError(Get("/v1/accounts/340282366920938463463374607431768211456"), 400, "invalid_id");
  ExpectError(Get("/v1/transfers/-1"), 400, "invalid_id");
  ExpectError(Get("/v1/accounts/12345"), 404, "not_found");
  ExpectError(Get("/v1/transfers/12345"), 404, "not_found");
  ExpectError(Get("/v1/accounts/1?verbose=1"), 400, "invalid_query");
  ExpectError(Get("/v2/accounts"), 404, "route_not_found");
  ExpectError(Get("/v1/accounts/1/owners"), 404, "route_not_found");
  ExpectError(Get("/v1/accounts/"), 404, "route_not_found");
  ExpectError(Get("/"), 404, "route_not_found");
}

TEST_F(ServerTest, WrongMethodsAreRefusedWithAllow) {
  ClientResponse response = Get("/v1/accounts");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(response.Header("Allow"), "POST");
  response = Send("DELETE", "/v1/accounts/1");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(response.Header("Allow"), "GET");
  response = Send("POST", "/healthz", "{}");
  ExpectError(response, 405, "method_not_allowed");
  EXPECT_EQ(response.Header("Allow"), "GET");
}

TEST_F(ServerTest, BodyTooLargeIsRefusedAndTheClientRecovers) {
  const std::string body(core::kRequestBodyBytesMax + 1, ' ');
  const uint64_t requests_before = LedgerRequests();
  ExpectError(Post("/v1/accounts", body), 413, "body_too_large");
  EXPECT_EQ(LedgerRequests(), requests_before);
  // The server closed that connection; the client reconnects by itself.
  EXPECT_EQ(Get("/healthz").status, 200u);
  EXPECT_EQ(client_.connections(), 2u);
}

TEST_F(ServerTest, BodyAtTheLimitIsRead) {
  std::string body = R"([{"id":"1","ledger":1,"code":1}])";
  body.resize(core::kRequestBodyBytesMax, ' ');  // trailing whitespace is valid JSON
  EXPECT_EQ(Results(Post("/v1/accounts", body)), std::vector<std::string>{"ok"});
}

TEST_F(ServerTest, MalformedHttpAndHugeHeadersAreRefused) {
  core::Result<ClientResponse> response = client_.SendRaw("\x01\x02 nonsense\r\n\r\n");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ExpectError(*response, 400, "malformed_request");
  EXPECT_FALSE(response->keep_alive);

  ASSERT_TRUE(client_.Connect("127.0.0.1", server_->port()).ok());
  const std::string huge = "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Filler: " +
                           std::string(core::kHttpHeaderBytesMax, 'a') + "\r\n\r\n";
  response = client_.SendRaw(huge);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  ExpectError(*response, 431, "header_too_large");
}

TEST_F(ServerTest, Http10ClosesAfterTheAnswer) {
  core::Result<ClientResponse> response = client_.SendRaw("GET /healthz HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 200u);
  EXPECT_FALSE(response->keep_alive);
  EXPECT_EQ(Get("/healthz").status, 200u);  // reconnects
}

TEST_F(ServerTest, ExpectContinueIsHonoured) {
  const std::string body = R"([{"id":"77","ledger":1,"code":1}])";
  core::Result<ClientResponse> response = client_.SendRaw(
      "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  EXPECT_EQ(response->status, 100u);
  client_.Close();
  HttpClient other;
  ASSERT_TRUE(other.Connect("127.0.0.1", server_->port()).ok());
  unsigned status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {  // the answer went to the closed client
    core::Result<ClientResponse> lookup = other.Get("/v1/accounts/77");
    ASSERT_TRUE(lookup.ok());
    status = lookup->status;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(status, 200u);
}

TEST_F(ServerTest, StoppedLedgerAnswersServiceUnavailable) {
  EXPECT_EQ(Get("/healthz").body, R"({"status":"ok"})");
  ledger_->Stop();
  ExpectError(Get("/healthz"), 503, "service_unavailable");
  ExpectError(Post("/v1/accounts", R"([{"id":"1","ledger":1,"code":1}])"), 503,
              "service_unavailable");
}

TEST_F(ServerTest, ConnectionsPastTheLimitAreAnswered503) {
  ServerOptions options;
  options.connections_max = 1;
  Restart(options);
  EXPECT_EQ(Get("/healthz").status, 200u);  // the one connection allowed
  HttpClient second;
  ASSERT_TRUE(second.Connect("127.0.0.1", server_->port()).ok());
  core::Result<ClientResponse> refused = second.Get("/healthz");
  ASSERT_TRUE(refused.ok()) << refused.status().ToString();
  ExpectError(*refused, 503, "service_unavailable");
  EXPECT_FALSE(refused->keep_alive);
  EXPECT_EQ(Get("/healthz").status, 200u);  // the first is still served
}

TEST_F(ServerTest, StoreFailuresMapToTheirCodes) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1,"flags":["history"]}])", 1);
  const struct {
    core::StatusCode failure;
    unsigned status;
    const char* code;
  } cases[] = {
      {core::StatusCode::kIoError, 500, "internal"},
      {core::StatusCode::kCorruption, 500, "internal"},
      {core::StatusCode::kInternal, 500, "internal"},
      {core::StatusCode::kInvalidArgument, 400, "invalid_argument"},
      {core::StatusCode::kAlreadyExists, 409, "conflict"},
      {core::StatusCode::kFailedPrecondition, 409, "conflict"},
      {core::StatusCode::kOutOfRange, 400, "out_of_range"},
      {core::StatusCode::kNotFound, 404, "not_found"},
      {core::StatusCode::kUnavailable, 503, "service_unavailable"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.code);
    faulty_->FailReadsWith(c.failure);
    ExpectError(Get("/v1/accounts/1"), c.status, c.code);
    ExpectError(Get("/v1/transfers/1"), c.status, c.code);
    ExpectError(Get("/v1/accounts/1/transfers"), c.status, c.code);
    ExpectError(Get("/v1/accounts/1/balances"), c.status, c.code);
  }
  faulty_->FailReadsWith(core::StatusCode::kOk);
  EXPECT_EQ(Get("/v1/accounts/1").status, 200u);
  EXPECT_NE(Get("/metrics")
                .body.find("netfin_http_requests_total{route=\"/v1/accounts/"
                           "{id}\",method=\"GET\",status=\"409\"} 2\n"),
            std::string::npos);
}

// ---------------------------------------------------------------------------
// Connections.

TEST_F(ServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  for (uint64_t i = 1; i <= 200; ++i) {
    if (i % 2 == 0) {
      EXPECT_EQ(Get("/v1/accounts/1").status, 200u);
    } else {
      EXPECT_EQ(Results(Post("/v1/transfers", "[" + Transfer(1000 + i, 1, 2, 1) + "]")),
                std::vector<std::string>{"ok"});
    }
  }
  EXPECT_EQ(client_.connections(), 1u);
  EXPECT_EQ(Json(Get("/v1/accounts/2"))["credits_posted"].GetUint64(), 100u);
}

TEST_F(ServerTest, IdleConnectionsAreClosedAndTheClientReconnects) {
  ServerOptions options;
  options.idle_timeout_s = 1;
  Restart(options);
  EXPECT_EQ(Get("/healthz").status, 200u);
  const uint64_t connections = client_.connections();
  std::this_thread::sleep_for(std::chrono::milliseconds(1600));
  EXPECT_EQ(Get("/healthz").status, 200u);
  EXPECT_EQ(client_.connections(), connections + 1);
}

// HTTP/1.1 pipelining: requests sent back to back without waiting.

// A plain TCP socket connected to the server on loopback, with one socket
// option set before connecting; -1 when any step fails.
int ConnectRaw(uint16_t port, int level, int option, int value) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (::setsockopt(fd, level, option, &value, sizeof value) != 0 ||
      ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr) != 1 ||
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Raw request text for pipelining tests.
std::string RawRequest(std::string_view method, std::string_view target, std::string_view body = {}) {
  std::string raw = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n";
  if (!body.empty()) {
    raw += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return raw + "\r\n" + std::string(body);
}

// A peer that sends requests and never reads the answers: the server's
// write waits on it, so the connection is not idle (answers are owed), yet
// the watchdog closes it once the write has waited idle_timeout_s.
TEST_F(ServerTest, APeerThatLeavesAnswersUnreadIsClosed) {
  ServerOptions options;
  options.idle_timeout_s = 1;
  Restart(options);
  // A small receive buffer (loopback's would otherwise grow to take every
  // answer) and far more answers (~10 MB) than it and the server's send
  // buffer hold.
  const int window = 4096;
  const int fd = ConnectRaw(server_->port(), SOL_SOCKET, SO_RCVBUF, window);
  ASSERT_GE(fd, 0);
  constexpr int kRequests = 100000;
  std::string requests;
  for (int i = 0; i < kRequests; ++i) requests += RawRequest("GET", "/healthz");
  size_t sent = 0;
  while (sent < requests.size()) {
    const ssize_t n = ::send(fd, requests.data() + sent, requests.size() - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n <= 0) break;  // the server stopped reading: its pipeline is full
    sent += static_cast<size_t>(n);
  }
  ASSERT_GT(sent, 0u);
  // The write stalls once the answers fill both buffers (seconds under a
  // sanitizer, with other tests running), then the watchdog, which looks
  // at most every idle_timeout_s, closes within two. Closing any later
  // than 20 s means never.
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pollfd hangup{fd, POLLRDHUP, 0};
    ASSERT_GE(::poll(&hangup, 1, 0), 0);
    closed = (hangup.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
  }
  EXPECT_TRUE(closed) << "a connection whose answers nobody reads is held open";
  // Closed while it still owed answers: not the idle close, which comes only
  // after every answer is written.
  std::string received;
  char chunk[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
    if (n <= 0) break;
    received.append(chunk, static_cast<size_t>(n));
  }
  size_t answers = 0;
  for (size_t at = received.find("HTTP/1.1 "); at != std::string::npos; at = received.find("HTTP/1.1 ", at + 1)) ++answers;
  EXPECT_LT(answers, static_cast<size_t>(kRequests)) << received.size() << " bytes; sent " << sent;
  ::close(fd);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrderAsIfOneAfterTheOther) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  // A read behind a write must see the write; a retry behind the original
  // must answer "exists"; a transfer behind the account it needs must find it.
  const std::string pipelined =
      RawRequest("POST", "/v1/accounts", R"([{"id":"501","ledger":1,"code":1}])") +
      RawRequest("GET", "/v1/accounts/501") +
      RawRequest("POST", "/v1/accounts", R"([{"id":"501","ledger":1,"code":1}])") +
      RawRequest("POST", "/v1/transfers", "[" + Transfer(7001, 1, 501, 5) + "]") +
      RawRequest("GET", "/v1/accounts/501") + RawRequest("GET", "/nowhere") +
      RawRequest("GET", "/healthz");
  std::vector<ClientResponse> answers;
  core::Result<ClientResponse> first = client_.SendRaw(pipelined);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  answers.push_back(*first);
  for (int i = 1; i < 7; ++i) {
    core::Result<ClientResponse> next = client_.ReadNext();
    ASSERT_TRUE(next.ok()) << i << ": " << next.status().ToString();
    answers.push_back(*next);
  }
  EXPECT_EQ(Results(answers[0]), std::vector<std::string>{"ok"});
  ASSERT_EQ(answers[1].status, 200u) << answers[1].body;
  EXPECT_EQ(Json(answers[1])["credits_posted"].GetUint64(), 0u);
  EXPECT_EQ(Results(answers[2]), std::vector<std::string>{"exists"});
  EXPECT_EQ(Results(answers[3]), std::vector<std::string>{"ok"});
  ASSERT_EQ(answers[4].status, 200u);
  EXPECT_EQ(Json(answers[4])["credits_posted"].GetUint64(), 5u);
  ExpectError(answers[5], 404, "route_not_found");
  EXPECT_EQ(answers[6].status, 200u);
  EXPECT_EQ(client_.connections(), 1u);
}

// The server parses what its buffer already holds without a read, and
// reads when a request is cut short: a pipelined stream cut anywhere (in a
// request line, a header, a body, a chunk) is answered exactly as if sent
// whole.
TEST_F(ServerTest, PipelinedRequestsCutAnywhereAreAnsweredTheSame) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  std::mt19937_64 random(7);
  uint64_t transfers = 0;
  for (int round = 0; round < 6; ++round) {
    std::string stream;
    std::vector<unsigned> expected;
    for (int i = 0; i < 40; ++i) {
      switch (random() % 4) {
        case 0:
          stream += RawRequest("GET", "/healthz");
          expected.push_back(200);
          break;
        case 1:
          stream += RawRequest("GET", "/nowhere");
          expected.push_back(404);
          break;
        case 2: {
          const std::string body = "[" + Transfer(30'000 + transfers++, 1, 2, 1) + "]";
          stream += RawRequest("POST", "/v1/transfers", body);
          expected.push_back(200);
          break;
        }
        default: {  // the same, its body in two chunks
          const std::string body = "[" + Transfer(30'000 + transfers++, 1, 2, 1) + "]";
          const size_t half = body.size() / 2;
          stream += fmt::format(
              "POST /v1/transfers HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Transfer-Encoding: chunked\r\n\r\n{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n",
              half, body.substr(0, half), body.size() - half, body.substr(half));
          expected.push_back(200);
        }
      }
    }
    const int fd = ConnectRaw(server_->port(), IPPROTO_TCP, TCP_NODELAY, 1);
    ASSERT_GE(fd, 0);
    // Pieces of 1 to 300 bytes, a pause after some so the server reads
    // what has come so far.
    for (size_t at = 0; at < stream.size();) {
      const size_t piece = std::min<size_t>(stream.size() - at, 1 + random() % 300);
      ASSERT_EQ(::send(fd, stream.data() + at, piece, MSG_NOSIGNAL), static_cast<ssize_t>(piece));
      at += piece;
      if (random() % 3 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    // Read the answers: status line, headers, Content-Length bytes of body.
    std::string received;
    std::vector<unsigned> statuses;
    size_t at = 0;
    char chunk[65536];
    while (statuses.size() < expected.size()) {
      const size_t header_end = received.find("\r\n\r\n", at);
      if (header_end != std::string::npos) {
        const std::string head = received.substr(at, header_end - at);
        const size_t length_at = head.find("Content-Length: ");
        const size_t length =
            length_at == std::string::npos ? 0 : std::stoul(head.substr(length_at + 16));
        if (received.size() >= header_end + 4 + length) {
          statuses.push_back(static_cast<unsigned>(std::stoul(head.substr(9, 3))));
          at = header_end + 4 + length;
          continue;
        }
      }
      pollfd readable{fd, POLLIN, 0};
      ASSERT_EQ(::poll(&readable, 1, 10'000), 1) << "round " << round << ": " << statuses.size()
                                                 << " answers of " << expected.size();
      const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
      ASSERT_GT(n, 0) << "round " << round << ": closed after " << statuses.size() << " answers";
      received.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    EXPECT_EQ(statuses, expected) << "round " << round;
  }
  EXPECT_EQ(Json(Get("/v1/accounts/2"))["credits_posted"].GetUint64(), transfers);
}

TEST_F(ServerTest, PipelinedLedgerWritesShareCommitsAndDeepPipelinesAreServedWhole) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  // More requests than the pipeline holds (kHttpPipelineDepthMax): the
  // server stops reading at the limit and resumes as answers go out.
  constexpr int kRequests = 3 * static_cast<int>(core::kHttpPipelineDepthMax);
  std::string pipelined;
  for (int i = 0; i < kRequests; ++i) {
    pipelined += RawRequest("POST", "/v1/transfers",
                            "[" + Transfer(20'000 + static_cast<uint64_t>(i), 1, 2, 1) + "]");
  }
  // A commit takes 20 ms: handled one after the other, the requests would
  // be a commit each.
  faulty_->DelayAppends(std::chrono::milliseconds(20));
  const uint64_t batches_before = ledger_->metrics().batches.load();
  core::Result<ClientResponse> answer = client_.SendRaw(pipelined);
  for (int i = 0; i < kRequests; ++i) {
    if (i > 0) answer = client_.ReadNext();
    ASSERT_TRUE(answer.ok()) << i << ": " << answer.status().ToString();
    ASSERT_EQ(Results(*answer), std::vector<std::string>{"ok"}) << i;
  }
  EXPECT_EQ(Json(Get("/v1/accounts/2"))["credits_posted"].GetUint64(),
            static_cast<uint64_t>(kRequests));
  // Handed to the ledger while earlier ones were still being made durable,
  // they share commits (about one per pipeline's worth).
  EXPECT_LT(ledger_->metrics().batches.load() - batches_before, static_cast<uint64_t>(kRequests) / 4);
  faulty_->DelayAppends(std::chrono::milliseconds(0));
}

// A property: random sequences of writes and reads whose outcomes depend on
// their order (transfers from accounts that may not go below zero, retries
// of the same id, reads of balances and of transfers that may not exist yet)
// answer the same pipelined as sent one at a time on a fresh ledger. Only
// the parts of an answer that do not depend on the clock are compared.
TEST_F(ServerTest, PipelinedSequencesAnswerExactlyAsOneAtATime) {
  struct Op {
    std::string method, target, body;
  };
  // What an answer says, without timestamps.
  auto gist = [](const ClientResponse& r) {
    std::string out = std::to_string(r.status);
    if (r.status != 200) return out;
    const rapidjson::Document json = Json(r);
    if (json.IsArray()) {
      for (const auto& result : json.GetArray()) out += std::string(" ") + result["result"].GetString();
    } else if (json.HasMember("debits_posted")) {
      out += " d" + std::to_string(json["debits_posted"].GetUint64()) + " c" +
             std::to_string(json["credits_posted"].GetUint64());
    } else if (json.HasMember("amount")) {
      out += " a" + std::to_string(json["amount"].GetUint64());
    }
    return out;
  };
  const std::string accounts =
      R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1,"flags":["debits_must_not_exceed_credits"]},)"
      R"({"id":"3","ledger":1,"code":1,"flags":["debits_must_not_exceed_credits"]}])";
  std::mt19937_64 random(20261125);
  for (int round = 0; round < 12; ++round) {
    std::vector<Op> ops;
    const int count = 20 + static_cast<int>(random() % 100);
    for (int i = 0; i < count; ++i) {
      const uint64_t kind = random() % 10;
      const uint64_t id = 100 + random() % 40;  // small pool: retries and conflicts
      const uint64_t debit = 1 + random() % 3;
      const uint64_t credit = 1 + (debit + random() % 2) % 3;  // never the debit
      if (kind < 6) {
        ops.push_back({"POST", "/v1/transfers", "[" + Transfer(id, debit, credit, 1 + random() % 5) + "]"});
      } else if (kind < 8) {
        ops.push_back({"GET", "/v1/accounts/" + std::to_string(1 + random() % 3), ""});
      } else {
        ops.push_back({"GET", "/v1/transfers/" + std::to_string(id), ""});
      }
    }
    std::vector<std::string> pipelined, one_at_a_time;
    Restart({});
    CreateAccounts(accounts, 3);
    std::string raw;
    for (const Op& op : ops) raw += RawRequest(op.method, op.target, op.body);
    core::Result<ClientResponse> answer = client_.SendRaw(raw);
    for (size_t i = 0; i < ops.size(); ++i) {
      if (i > 0) answer = client_.ReadNext();
      ASSERT_TRUE(answer.ok()) << round << "/" << i << ": " << answer.status().ToString();
      pipelined.push_back(gist(*answer));
    }
    Restart({});
    CreateAccounts(accounts, 3);
    for (const Op& op : ops) one_at_a_time.push_back(gist(Send(op.method, op.target, op.body)));
    ASSERT_EQ(pipelined, one_at_a_time) << "round " << round;
  }
}

TEST_F(ServerTest, ConcurrentClientsAllGetTheirAnswers) {
  CreateAccounts(R"([{"id":"1","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  constexpr int kClients = 4;
  constexpr int kRequests = 50;
  constexpr int kBatch = 10;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      HttpClient client;
      if (!client.Connect("127.0.0.1", server_->port()).ok()) return;
      for (int r = 0; r < kRequests; ++r) {
        std::string body = "[";
        for (int e = 0; e < kBatch; ++e) {
          const uint64_t id = 10'000 + static_cast<uint64_t>((c * kRequests + r) * kBatch + e);
          body += (e ? "," : "") + Transfer(id, 1, 2, 1);
        }
        core::Result<ClientResponse> response = client.Post("/v1/transfers", body + "]");
        if (!response.ok() || response->status != 200) continue;
        for (size_t at = response->body.find("\"ok\""); at != std::string::npos;
             at = response->body.find("\"ok\"", at + 1)) {
          ++ok;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kClients * kRequests * kBatch);
  EXPECT_EQ(Json(Get("/v1/accounts/2"))["credits_posted"].GetUint64(),
            static_cast<uint64_t>(kClients * kRequests * kBatch));
}

// ---------------------------------------------------------------------------
// Metrics.

TEST_F(ServerTest, MetricsCountRequestsByRouteTemplate) {
  CreateAccounts(R"([{"id":"424242","ledger":1,"code":1},{"id":"2","ledger":1,"code":1}])", 2);
  EXPECT_EQ(Results(Post("/v1/transfers", "[" + Transfer(9, 424242, 2, 3) + "]")),
            std::vector<std::string>{"ok"});
  EXPECT_EQ(Get("/v1/accounts/424242").status, 200u);
  EXPECT_EQ(Get("/v1/accounts/31337").status, 404u);
  EXPECT_EQ(Get("/nowhere").status, 404u);
  EXPECT_EQ(Send("PATCH", "/v1/accounts/2").status, 405u);

  const ClientResponse response = Get("/metrics");
  ASSERT_EQ(response.status, 200u);
  EXPECT_EQ(response.Header("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  const std::string& text = response.body;
  for (const char* line : {
           "netfin_http_requests_total{route=\"/v1/accounts\",method=\"POST\",status=\"200\"} 1\n",
           "netfin_http_requests_total{route=\"/v1/transfers\",method=\"POST\",status=\"200\"} 1\n",
           "netfin_http_requests_total{route=\"/v1/accounts/{id}\",method=\"GET\",status=\"200\"} "
           "1\n",
           "netfin_http_requests_total{route=\"/v1/accounts/{id}\",method=\"GET\",status=\"404\"} "
           "1\n",
           "netfin_http_requests_total{route=\"/v1/accounts/"
           "{id}\",method=\"PATCH\",status=\"405\"} 1\n",
           "netfin_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n",
           "# TYPE netfin_http_request_duration_seconds histogram\n",
           "netfin_http_request_duration_seconds_bucket{route=\"/v1/transfers\",le=\"0.00005\"} ",
           "netfin_http_request_duration_seconds_bucket{route=\"/v1/transfers\",le=\"5\"} 1\n",
           "netfin_http_request_duration_seconds_bucket{route=\"/v1/transfers\",le=\"+Inf\"} 1\n",
           "netfin_http_request_duration_seconds_count{route=\"/v1/transfers\"} 1\n",
           "netfin_http_request_duration_seconds_sum{route=\"/v1/transfers\"} 0.",
           "netfin_http_connections_open 1\n",
           "netfin_ledger_batches_total ",
           "netfin_ledger_events_total ",
           "netfin_ledger_requests_rejected_total 0\n",
           "netfin_ledger_expiries_total 0\n",
           "netfin_store_fsyncs_total ",
           "netfin_store_batches_total ",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "\n" << text;
  }
  EXPECT_EQ(text.find("424242"), std::string::npos) << "a raw path leaked into a label";
  EXPECT_EQ(text.find("31337"), std::string::npos) << "a raw path leaked into a label";
  EXPECT_EQ(text.find("nowhere"), std::string::npos) << "a raw path leaked into a label";
}

// The node gives the server a source of risk figures (cli::RiskMetricsOf);
// each scrape reads it afresh, so the counters move between scrapes.
TEST_F(ServerTest, MetricsShowTheRiskFiguresOfTheirSource) {
  EXPECT_EQ(Get("/metrics").body.find("netfin_risk_"), std::string::npos);  // no source
  std::atomic<uint64_t> allowed{7};
  std::atomic<bool> enabled{true};
  ApiServices services{.ledger = *ledger_};
  services.risk_metrics = [&] {
    if (!enabled.load()) return RiskMetrics{.enabled = false};
    return RiskMetrics{.enabled = true,
                       .model_loaded = true,
                       .allow = allowed.load(),
                       .challenge = 2,
                       .deny = 1,
                       .model_errors = 0,
                       .rules_loads = 1,
                       .rules_reload_failures = 3,
                       .latency_buckets = {{5'000, 4}, {10'000, 9}},
                       .latency_count = allowed.load() + 3,
                       .latency_sum_ns = 55'000};
  };
  Server server(services, ServerOptions{.port = 0});
  ASSERT_TRUE(server.Start().ok());
  HttpClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", server.port()).ok());
  const auto scrape = [&client] {
    core::Result<ClientResponse> response = client.Get("/metrics");
    EXPECT_TRUE(response.ok() && response->status == 200u);
    return response.ok() ? response->body : std::string();
  };
  const std::string first = scrape();
  for (const char* line : {
           "# TYPE netfin_risk_enabled gauge\nnetfin_risk_enabled 1\n",
           "netfin_risk_model_loaded 1\n",
           "# TYPE netfin_risk_decisions_total counter\n",
           "netfin_risk_decisions_total{action=\"allow\"} 7\n",
           "netfin_risk_decisions_total{action=\"challenge\"} 2\n",
           "netfin_risk_decisions_total{action=\"deny\"} 1\n",
           "netfin_risk_model_errors_total 0\n",
           "netfin_risk_rules_loads_total 1\n",
           "netfin_risk_rules_reload_failures_total 3\n",
           "# TYPE netfin_risk_decision_duration_seconds histogram\n",
           "netfin_risk_decision_duration_seconds_bucket{le=\"0.000005\"} 4\n",
           "netfin_risk_decision_duration_seconds_bucket{le=\"0.00001\"} 9\n",
           "netfin_risk_decision_duration_seconds_bucket{le=\"+Inf\"} 10\n",
           "netfin_risk_decision_duration_seconds_sum 0.000055000\n",
           "netfin_risk_decision_duration_seconds_count 10\n",
       }) {
    EXPECT_NE(first.find(line), std::string::npos) << "missing: " << line << "\n" << first;
  }
  allowed = 8;
  const std::string second = scrape();
  EXPECT_NE(second.find("netfin_risk_decisions_total{action=\"allow\"} 8\n"), std::string::npos);
  EXPECT_NE(second.find("netfin_risk_decision_duration_seconds_count 11\n"), std::string::npos);
  enabled = false;  // risk off: the gauge says so and nothing else is shown
  const std::string off = scrape();
  EXPECT_NE(off.find("netfin_risk_enabled 0\n"), std::string::npos);
  EXPECT_EQ(off.find("netfin_risk_decisions_total"), std::string::npos);
  client.Close();
  server.Stop();
}

TEST_F(ServerTest, RoutesAreIntrospectable) {
  const std::vector<RouteInfo> routes = Router::Routes();
  EXPECT_EQ(routes.size(), 57u);
  EXPECT_NE(std::find(routes.begin(), routes.end(), RouteInfo{"POST", "/v1/payments/{id}/confirm"}),
            routes.end());
  EXPECT_NE(std::find(routes.begin(), routes.end(), RouteInfo{"POST", "/v1/transfers"}),
            routes.end());
  EXPECT_NE(std::find(routes.begin(), routes.end(), RouteInfo{"GET", "/v1/accounts/{id}/balances"}),
            routes.end());
}

}  // namespace
}  // namespace netfin::api
