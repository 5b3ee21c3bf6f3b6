// The netfin command as a user meets it: serve with a config file and a
// graceful stop, refusals of bad configuration, and the benchmark commands'
// machine-readable output (their figures are not checked: speed is shown by
// benchmarks, never by tests).

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

#include "api/api.h"
#include "core/scratch_dir.h"
#include "tests/netfin_process.h"

namespace netfin {
namespace {

using testing::ExitCode;
using testing::NetfinBin;
using testing::ServerProcess;

// What a command printed on stdout.
std::string Output(const std::string& command) {
  return testing::RunCommand(command, /*with_stderr=*/false).output;
}

void Write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// The integer after "key": in a bench's JSON line (-1 when absent).
int64_t JsonInteger(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\": ");
  if (at == std::string::npos) return -1;
  return std::atoll(json.c_str() + at + key.size() + 4);
}

// Creates account 1 through the server's API and expects it accepted.
void ExpectAccountCreated(uint16_t port, const std::string& db) {
  api::HttpClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", port).ok());
  client.SetSigner(testing::OperatorSigner(db));
  auto response = client.Request("POST", "/v1/accounts", R"([{"id":"1","ledger":1,"code":1}])");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->status, 200u);
  EXPECT_NE(response->body.find(R"("result":"ok")"), std::string::npos) << response->body;
}

TEST(Cli, ServeReadsItsConfigFileAndStopsCleanlyOnSigterm) {
  core::ScratchDir dir;
  const std::string config = dir.File("netfin.toml");
  Write(config, "db = \"" + dir.File("from-config.db") + "\"\nlisten = \"127.0.0.1:0\"\nthreads = 1\n");
  ServerProcess server({"--config", config});
  ASSERT_NE(server.port(), 0);
  ExpectAccountCreated(server.port(), dir.File("from-config.db"));
  EXPECT_EQ(server.Signal(SIGTERM), 0);  // drains and exits 0
  EXPECT_EQ(ExitCode(NetfinBin() + " verify --db " + dir.File("from-config.db")), 0);
}

TEST(Cli, FlagsWinOverTheConfigFile) {
  core::ScratchDir dir;
  const std::string config = dir.File("netfin.toml");
  Write(config, "db = \"" + dir.File("ignored.db") + "\"\nlisten = \"127.0.0.1:1\"\n");
  ServerProcess server({"--config", config, "--db", dir.File("flag.db"), "--listen", "127.0.0.1:0"});
  ASSERT_NE(server.port(), 0);
  EXPECT_EQ(server.Signal(SIGTERM), 0);
  EXPECT_EQ(ExitCode("test -f " + dir.File("flag.db")), 0);
  EXPECT_NE(ExitCode("test -f " + dir.File("ignored.db")), 0);
}

TEST(Cli, RefusesBadConfigurationBeforeTouchingAnything) {
  core::ScratchDir dir;
  const std::string serve = NetfinBin() + " serve --db " + dir.File("x.db");
  Write(dir.File("unknown.toml"), "listen = \"127.0.0.1:0\"\ncolour = \"blue\"\n");
  EXPECT_EQ(ExitCode(serve + " --config " + dir.File("unknown.toml")), 2);
  Write(dir.File("broken.toml"), "listen = \n");
  EXPECT_EQ(ExitCode(serve + " --config " + dir.File("broken.toml")), 2);
  EXPECT_EQ(ExitCode(serve + " --listen nonsense"), 2);
  EXPECT_NE(ExitCode("test -f " + dir.File("x.db")), 0);  // nothing created
  EXPECT_NE(ExitCode(NetfinBin() + " frobnicate"), 0);
}

TEST(Cli, ServeOnTheJournalStoreFromTheConfigFileAndVerifyIt) {
  core::ScratchDir dir;
  const std::string config = dir.File("netfin.toml");
  const std::string journal = dir.File("ledger.journal");
  Write(config, "db = \"" + journal + "\"\nlisten = \"127.0.0.1:0\"\nstore = \"journal\"\n");
  {
    ServerProcess server({"--config", config});
    ASSERT_NE(server.port(), 0);
    ExpectAccountCreated(server.port(), journal);
    EXPECT_EQ(server.Signal(SIGTERM), 0);
  }
  const std::string verify = NetfinBin() + " verify --store journal --db " + journal;
  EXPECT_EQ(ExitCode(verify), 0);
  // A damaged frame followed by another: the store refuses to open, verify says where.
  {
    ServerProcess server({"--config", config});
    ASSERT_NE(server.port(), 0);
    api::HttpClient client;
    ASSERT_TRUE(client.Connect("127.0.0.1", server.port()).ok());
    client.SetSigner(testing::OperatorSigner(journal));
    ASSERT_TRUE(client.Request("POST", "/v1/accounts", R"([{"id":"2","ledger":1,"code":1}])").ok());
    EXPECT_EQ(server.Signal(SIGTERM), 0);
  }
  std::fstream file(journal, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(150);
  file.put('\x7f');
  file.close();
  EXPECT_EQ(ExitCode(verify), 1);
  EXPECT_NE(Output(verify + " --json 2>/dev/null").find("\"ok\": false"), std::string::npos);
  Write(config, "listen = \"127.0.0.1:0\"\nstore = \"postgres\"\n");
  EXPECT_EQ(ExitCode(NetfinBin() + " serve --db " + dir.File("x.db") + " --config " + config), 2);
  EXPECT_NE(ExitCode(NetfinBin() + " serve --store postgres --db " + dir.File("x.db")), 0);
  EXPECT_NE(ExitCode("test -f " + dir.File("x.db")), 0);  // nothing created
}

TEST(Cli, BenchLedgerPrintsOneJsonLineWithItsFigures) {
  const std::string out =
      Output(NetfinBin() + " bench ledger --accounts 100 --transfers 3000 --batch 500 --json");
  for (const char* key : {"\"transfers_per_s\"", "\"batch_p50_ms\"", "\"batch_p99_ms\"", "\"fsyncs\"",
                          "\"transfers\": 3000", "\"failed\": 0"}) {
    EXPECT_NE(out.find(key), std::string::npos) << key << " in " << out;
  }
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1);
  EXPECT_NE(out.find("\"store\": \"sqlite\""), std::string::npos) << out;
  // The transfers were made durable: real syncs, counted at the VFS.
  EXPECT_GE(JsonInteger(out, "fsyncs"), 1) << out;
}

TEST(Cli, BenchLedgerRunsOnTheJournalStore) {
  const std::string out = Output(
      NetfinBin() + " bench ledger --store journal --accounts 100 --transfers 3000 --batch 500 --json");
  for (const char* key : {"\"store\": \"journal\"", "\"transfers\": 3000", "\"failed\": 0"}) {
    EXPECT_NE(out.find(key), std::string::npos) << key << " in " << out;
  }
  // One fdatasync per group commit, and group commit never exceeds one per
  // submitted batch.
  EXPECT_GE(JsonInteger(out, "fsyncs"), 1) << out;
  EXPECT_LE(JsonInteger(out, "fsyncs"), JsonInteger(out, "batches")) << out;
}

TEST(Cli, BenchHttpStartsItsOwnServerAndPrintsItsFigures) {
  const std::string out = Output(NetfinBin() +
                                 " bench http --accounts 50 --transfers 2000 --batch 100 --connections 2 --json");
  for (const char* key : {"\"requests_per_s\"", "\"latency_p99_ms\"", "\"transfers_per_s\"",
                          "\"transfers\": 2000", "\"failed\": 0"}) {
    EXPECT_NE(out.find(key), std::string::npos) << key << " in " << out;
  }
  EXPECT_GE(JsonInteger(out, "fsyncs"), 1) << "the server acknowledged without syncing: " << out;
}

TEST(Cli, BenchPaymentsPaysOverSignedHttpAndReconciles) {
  // One request at a time per connection, and pipelined (4 in flight each,
  // 24 customers): the same payments, answered and reconciled either way.
  for (const uint32_t pipeline : {1u, 4u}) {
    SCOPED_TRACE("pipeline " + std::to_string(pipeline));
    const std::string out =
        Output(NetfinBin() + " bench payments --payments 600 --connections 6 --merchants 2 --pipeline " +
               std::to_string(pipeline) + " --json");
    rapidjson::Document d;
    ASSERT_FALSE(d.Parse(out.c_str()).HasParseError()) << out;
    for (const char* key : {"payments_per_s", "latency_p50_ms", "latency_p99_ms", "fsyncs",
                            "cpu_us_per_payment", "cores_busy"}) {
      ASSERT_TRUE(d.HasMember(key)) << key << " in " << out;
    }
    // Server and client share the process: each payment costs some CPU, and
    // at most every core of the machine is busy.
    EXPECT_GT(d["cpu_us_per_payment"].GetDouble(), 0) << out;
    EXPECT_GT(d["cores_busy"].GetDouble(), 0) << out;
    EXPECT_LE(d["cores_busy"].GetDouble(), std::thread::hardware_concurrency() + 0.5) << out;
    EXPECT_EQ(d["pipeline"].GetUint(), pipeline) << out;
    EXPECT_EQ(d["payments"].GetUint64(), 600u) << out;
    EXPECT_EQ(d["failed"].GetUint64(), 0u) << out;
    EXPECT_TRUE(d["reconciled"].GetBool()) << out;
    EXPECT_GT(d["payments_per_s"].GetDouble(), 0) << out;
    // Durable before each answer, batched by group commit: at least one sync,
    // never more than one per payment (plus the set-up's requests).
    EXPECT_GE(d["fsyncs"].GetUint64(), 1u) << out;
    EXPECT_LE(d["fsyncs"].GetUint64(), 600u + 50u * pipeline) << out;  // set-up: 3 per customer
  }
}

// Offered load: 400 payments at 2,000/s cannot finish in much under 0.2 s,
// however fast the server; the figure reports what was offered. Two client
// threads: each connection's handlers keep to a strand of their own.
TEST(Cli, BenchPaymentsOffersItsRateAndNoMore) {
  const std::string out = Output(NetfinBin() +
                                 " bench payments --payments 400 --connections 4 --merchants 2 "
                                 "--pipeline 4 --rate 2000 --client-threads 2 --json");
  rapidjson::Document d;
  ASSERT_FALSE(d.Parse(out.c_str()).HasParseError()) << out;
  EXPECT_EQ(d["offered_per_s"].GetDouble(), 2000) << out;
  EXPECT_EQ(d["payments"].GetUint64(), 400u) << out;
  EXPECT_EQ(d["failed"].GetUint64(), 0u) << out;
  EXPECT_TRUE(d["reconciled"].GetBool()) << out;
  // The last payment is due at 399/2000 s = 0.1995 s after the start.
  EXPECT_GE(d["seconds"].GetDouble(), 0.199) << out;
  EXPECT_LE(d["payments_per_s"].GetDouble(), 2000 * 1.01) << out;
}

}  // namespace
}  // namespace netfin
