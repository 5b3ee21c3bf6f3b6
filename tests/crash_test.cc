// Crash test: `netfin serve` runs as a child process under load from several
// clients and is killed with SIGKILL at random moments, again and again. After
// each kill the journal must hold every acknowledged transfer, no request
// that was not acknowledged may be half there, and `netfin verify` must pass.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "api/api.h"
#include "core/scratch_dir.h"
#include "store/store.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {

using core::Id128;

using testing::NetfinBin;
using testing::ServerProcess;

constexpr int kAccounts = 8;

struct SentRequest {
  std::vector<uint64_t> ids;
  std::vector<uint64_t> amounts;
  bool acknowledged = false;
};

std::string TransferJson(uint64_t id, uint64_t dr, uint64_t cr, uint64_t amount, bool linked) {
  return "{\"id\":\"" + std::to_string(id) + "\",\"debit_account_id\":\"" + std::to_string(dr) +
         "\",\"credit_account_id\":\"" + std::to_string(cr) + "\",\"amount\":" + std::to_string(amount) +
         ",\"ledger\":1,\"code\":1" + (linked ? ",\"flags\":[\"linked\"]" : "") + "}";
}

// Sends requests of 1..40 transfers (some as linked chains) until the server dies.
void Client(uint16_t port, std::shared_ptr<const api::RequestSigner> signer,
            std::atomic<uint64_t>* next_id, uint32_t seed, std::mutex* mutex,
            std::vector<SentRequest>* sent) {
  std::mt19937 random(seed);
  api::HttpClient client;
  if (!client.Connect("127.0.0.1", port).ok()) return;
  client.SetSigner(std::move(signer));
  for (int r = 0; r < 100'000; ++r) {
    SentRequest request;
    const int n = 1 + static_cast<int>(random() % 40);
    const bool chain = random() % 4 == 0;
    std::string body = "[";
    for (int i = 0; i < n; ++i) {
      const uint64_t id = next_id->fetch_add(1);
      const uint64_t dr = 1 + random() % kAccounts, cr = 1 + (dr + random() % (kAccounts - 1)) % kAccounts;
      const uint64_t amount = 1 + random() % 1000;
      request.ids.push_back(id);
      request.amounts.push_back(amount);
      body += (i ? "," : "") + TransferJson(id, dr, cr, amount, chain && i + 1 < n);
    }
    body += "]";
    {
      std::lock_guard lock(*mutex);
      sent->push_back(request);
    }
    auto response = client.Request("POST", "/v1/transfers", body);
    if (!response.ok()) return;  // the server is gone
    if (response->status != 200) continue;
    // Every event of these requests is valid, so an answer means all ok.
    size_t ok = 0;
    for (size_t at = response->body.find("\"result\":\"ok\""); at != std::string::npos;
         at = response->body.find("\"result\":\"ok\"", at + 1)) {
      ++ok;
    }
    EXPECT_EQ(ok, request.ids.size()) << response->body.substr(0, 200);
    std::lock_guard lock(*mutex);
    for (auto it = sent->rbegin(); it != sent->rend(); ++it) {
      if (it->ids == request.ids) {
        it->acknowledged = true;
        break;
      }
    }
  }
}

// After a crash: acknowledged requests are whole; others are whole or absent.
void CheckJournal(const std::string& kind, const std::string& db,
                  const std::vector<SentRequest>& sent, uint64_t* acknowledged) {
  auto store = kind == "journal" ? store::OpenJournalStore(db) : store::OpenSqliteStore(db);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (const SentRequest& request : sent) {
    size_t present = 0;
    for (size_t i = 0; i < request.ids.size(); ++i) {
      auto transfer = (*store)->LookupTransfer(Id128::FromU64(request.ids[i]));
      ASSERT_TRUE(transfer.ok());
      if (transfer->has_value()) {
        ++present;
        EXPECT_EQ((*transfer)->amount, request.amounts[i]);
      }
    }
    if (request.acknowledged) {
      EXPECT_EQ(present, request.ids.size()) << "an acknowledged request lost transfers";
      ++*acknowledged;
    } else {
      EXPECT_TRUE(present == 0 || present == request.ids.size())
          << "a request is half applied: " << present << " of " << request.ids.size();
    }
  }
}

// Runs against each storage backend (`--store`).
class Crash : public ::testing::TestWithParam<std::string> {};

TEST_P(Crash, SigkillUnderLoadLosesNothingAcknowledged) {
  const std::string kind = GetParam();
  const char* env = std::getenv("NETFIN_CRASH_ITERATIONS");
  const int iterations = env != nullptr ? std::atoi(env) : 20;
  core::ScratchDir dir;
  const std::string db = dir.path() + "/crash.db";
  std::mt19937 random(2026);
  std::atomic<uint64_t> next_id{1000};
  std::vector<SentRequest> sent;
  uint64_t acknowledged_total = 0;

  for (int iteration = 0; iteration < iterations; ++iteration) {
    ServerProcess server({"--db", db, "--listen", "127.0.0.1:0", "--store", kind});
    ASSERT_NE(server.port(), 0) << "netfin serve did not start (iteration " << iteration << ")";
    if (iteration == 0) {
      api::HttpClient setup;
      ASSERT_TRUE(setup.Connect("127.0.0.1", server.port()).ok());
      setup.SetSigner(testing::OperatorSigner(db));
      std::string body = "[";
      for (int a = 1; a <= kAccounts; ++a) {
        body += (a > 1 ? "," : "") + std::string("{\"id\":\"") + std::to_string(a) + "\",\"ledger\":1,\"code\":1}";
      }
      auto response = setup.Request("POST", "/v1/accounts", body + "]");
      ASSERT_TRUE(response.ok()) << response.status().ToString();
      ASSERT_EQ(response->status, 200u);
    }
    std::mutex mutex;
    std::vector<SentRequest> round;
    std::vector<std::thread> clients;
    for (uint32_t c = 0; c < 4; ++c) {
      clients.emplace_back(Client, server.port(), testing::OperatorSigner(db), &next_id, random(), &mutex, &round);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + random() % 300));
    server.Signal(SIGKILL);
    for (auto& c : clients) c.join();

    uint64_t acknowledged = 0;
    CheckJournal(kind, db, round, &acknowledged);
    acknowledged_total += acknowledged;
    sent.insert(sent.end(), round.begin(), round.end());
    ASSERT_EQ(testing::ExitCode(NetfinBin() + " verify --store " + kind + " --db " + db), 0) << "netfin verify failed after kill " << iteration;
    if (HasFailure()) return;
  }
  // Everything acknowledged in every round is still there at the end.
  uint64_t acknowledged = 0;
  CheckJournal(kind, db, sent, &acknowledged);
  EXPECT_EQ(acknowledged, acknowledged_total);
  EXPECT_GT(acknowledged_total, 0u);  // the load really ran
}

INSTANTIATE_TEST_SUITE_P(Stores, Crash, ::testing::Values("sqlite", "journal"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
}  // namespace netfin
