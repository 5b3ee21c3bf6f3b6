#include "api/auth.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <ctime>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include "api/http_client.h"
#include "api/loopback_test_support.h"

namespace netfin::api {
namespace {

constexpr std::string_view kSecret = "s3cr3t-shared-with-the-client";
constexpr int64_t kNowS = 1'700'000'000;

bool Verifies(std::string_view secret, std::string_view method, std::string_view target,
              std::string_view timestamp, std::string_view nonce, std::string_view body,
              std::string_view signature) {
  return SignatureMatches(core::HmacSha256Key(secret),
                          CanonicalRequest(method, target, timestamp, nonce, body), signature);
}

ReplayGuard MakeGuard(int64_t not_before_s = kNowS - 3600, size_t nonces_max = size_t{1} << 20) {
  return ReplayGuard(
      ReplayGuardOptions{.window_s = 300, .not_before_s = not_before_s, .nonces_max = nonces_max});
}

std::string Nonce(int i) { return "nonce-" + std::to_string(1'000'000'000 + i); }

// ---- Canonical requests and signatures ---------------------------------------------

TEST(CanonicalRequest, IsFiveLinesWithTheBodyHash) {
  EXPECT_EQ(CanonicalRequest("POST", "/v1/transfers?x=1", "1700000000", "abcdefghijklmnop", "abc"),
            "POST\n/v1/transfers?x=1\n1700000000\nabcdefghijklmnop\n"
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(CanonicalRequest("GET", "/v1/accounts/1", "1", "abcdefghijklmnop", ""),
            "GET\n/v1/accounts/1\n1\nabcdefghijklmnop\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(RequestSigner, SignaturesVerifyAndNoncesAreFresh) {
  const RequestSigner signer("key-1", std::string(kSecret));
  const SignatureHeaders a = signer.Sign("POST", "/v1/transfers", "{\"id\":1}", kNowS);
  EXPECT_EQ(a.key_id, "key-1");
  EXPECT_EQ(a.timestamp, "1700000000");
  EXPECT_TRUE(NonceWellFormed(a.nonce));
  EXPECT_EQ(a.signature.size(), 64u);
  EXPECT_EQ(a.signature.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_TRUE(
      Verifies(kSecret, "POST", "/v1/transfers", a.timestamp, a.nonce, "{\"id\":1}", a.signature));
  const SignatureHeaders b = signer.Sign("POST", "/v1/transfers", "{\"id\":1}", kNowS);
  EXPECT_NE(a.nonce, b.nonce);
  EXPECT_NE(a.signature, b.signature);
}

TEST(SignatureMatches, AnyChangedByteFails) {
  const RequestSigner signer("key-1", std::string(kSecret));
  const std::string method = "POST";
  const std::string target = "/v1/transfers?dry_run=false";
  const std::string body = R"({"id":"1","amount":"100"})";
  const SignatureHeaders h = signer.Sign(method, target, body, kNowS);
  std::array<std::string, 5> fields = {method, target, h.timestamp, h.nonce, body};
  const auto verifies = [&](const std::array<std::string, 5>& f) {
    return Verifies(kSecret, f[0], f[1], f[2], f[3], f[4], h.signature);
  };
  ASSERT_TRUE(verifies(fields));
  for (size_t field = 0; field < fields.size(); ++field) {
    for (size_t i = 0; i < fields[field].size(); ++i) {
      std::array<std::string, 5> altered = fields;
      altered[field][i] ^= 0x01;
      EXPECT_FALSE(verifies(altered)) << "field " << field << " byte " << i;
    }
    std::array<std::string, 5> longer = fields;
    longer[field].push_back('x');
    EXPECT_FALSE(verifies(longer)) << "field " << field << " extended";
    std::array<std::string, 5> shorter = fields;
    shorter[field].pop_back();
    EXPECT_FALSE(verifies(shorter)) << "field " << field << " shortened";
  }
  // Moving bytes between fields changes the canonical string too.
  EXPECT_FALSE(
      Verifies(kSecret, method, target + "\n" + h.timestamp, "", h.nonce, body, h.signature));
}

TEST(SignatureMatches, RefusesOtherSecretsAndMalformedSignatures) {
  const RequestSigner signer("key-1", std::string(kSecret));
  const SignatureHeaders h = signer.Sign("GET", "/v1/accounts/7", "", kNowS);
  const std::string canonical = CanonicalRequest("GET", "/v1/accounts/7", h.timestamp, h.nonce, "");
  const core::HmacSha256Key secret(kSecret);
  ASSERT_TRUE(SignatureMatches(secret, canonical, h.signature));
  EXPECT_FALSE(SignatureMatches(core::HmacSha256Key("another secret"), canonical, h.signature));
  std::string upper = h.signature;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper != h.signature) {
    EXPECT_FALSE(SignatureMatches(secret, canonical, upper));
  }
  EXPECT_FALSE(SignatureMatches(secret, canonical, h.signature.substr(0, 63)));
  EXPECT_FALSE(SignatureMatches(secret, canonical, h.signature + "0"));
  EXPECT_FALSE(SignatureMatches(secret, canonical, ""));
}

TEST(NonceWellFormed, LengthAndAlphabet) {
  EXPECT_FALSE(NonceWellFormed(std::string(15, 'a')));
  EXPECT_TRUE(NonceWellFormed(std::string(16, 'a')));
  EXPECT_TRUE(NonceWellFormed(std::string(64, 'Z')));
  EXPECT_FALSE(NonceWellFormed(std::string(65, 'a')));
  EXPECT_TRUE(NonceWellFormed("AZaz09_-AZaz09_-"));
  EXPECT_FALSE(NonceWellFormed(""));
  for (char bad : {' ', '.', '+', '/', '=', '\n', '\0', '~'}) {
    std::string nonce(16, 'a');
    nonce[7] = bad;
    EXPECT_FALSE(NonceWellFormed(nonce)) << int{bad};
  }
}

TEST(ParseTimestamp, DigitsOnlyAndBounded) {
  EXPECT_EQ(ParseTimestamp("0"), 0);
  EXPECT_EQ(ParseTimestamp("1700000000"), 1'700'000'000);
  EXPECT_EQ(ParseTimestamp("999999999999"), 999'999'999'999);
  for (std::string_view bad : {"", "1000000000000", "+1", "-1", " 1", "1 ", "1.0", "0x10", "1e9"}) {
    EXPECT_EQ(ParseTimestamp(bad), std::nullopt) << bad;
  }
}

// ---- Replay guard ---------------------------------------------------------------------

TEST(ReplayGuard, WindowEdgesAreInside) {
  ReplayGuard guard = MakeGuard();
  EXPECT_EQ(guard.Check("k", kNowS - 300, Nonce(1), kNowS), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.Check("k", kNowS - 301, Nonce(2), kNowS), ReplayVerdict::kTooOld);
  EXPECT_EQ(guard.Check("k", kNowS + 300, Nonce(3), kNowS), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.Check("k", kNowS + 301, Nonce(4), kNowS), ReplayVerdict::kTooNew);
  EXPECT_EQ(guard.Check("k", kNowS, Nonce(5), kNowS), ReplayVerdict::kFresh);
  // Refused requests are not remembered.
  EXPECT_EQ(guard.NoncesRemembered(), 3u);
  EXPECT_EQ(guard.Check("k", kNowS, Nonce(2), kNowS), ReplayVerdict::kFresh);
}

TEST(ReplayGuard, RequestsSignedBeforeTheStartAreRefused) {
  ReplayGuard guard = MakeGuard(/*not_before_s=*/kNowS - 10);
  EXPECT_EQ(guard.Check("k", kNowS - 11, Nonce(1), kNowS), ReplayVerdict::kBeforeStart);
  EXPECT_EQ(guard.Check("k", kNowS - 10, Nonce(2), kNowS), ReplayVerdict::kFresh);
  // Too old wins over before the start: it says more.
  EXPECT_EQ(guard.Check("k", kNowS - 400, Nonce(3), kNowS), ReplayVerdict::kTooOld);
}

TEST(ReplayGuard, ANonceIsRefusedAgainForItsKeyOnly) {
  ReplayGuard guard = MakeGuard();
  EXPECT_EQ(guard.Check("key-a", kNowS, Nonce(1), kNowS), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.Check("key-a", kNowS, Nonce(1), kNowS), ReplayVerdict::kReused);
  EXPECT_EQ(guard.Check("key-a", kNowS, Nonce(1), kNowS + 200), ReplayVerdict::kReused);
  // The same nonce under another timestamp is still a reuse within the window.
  EXPECT_EQ(guard.Check("key-a", kNowS + 100, Nonce(1), kNowS + 100), ReplayVerdict::kReused);
  EXPECT_EQ(guard.Check("key-a", kNowS - 200, Nonce(1), kNowS), ReplayVerdict::kReused);
  EXPECT_EQ(guard.Check("key-b", kNowS, Nonce(1), kNowS), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.Check("key-b", kNowS, Nonce(1), kNowS), ReplayVerdict::kReused);
  // Key id and nonce are framed: ("key-a", "x" + n) is not ("key-ax", n).
  EXPECT_EQ(guard.Check("key-ax", kNowS, Nonce(1).substr(1), kNowS), ReplayVerdict::kFresh);
  EXPECT_EQ(guard.Check("key-a", kNowS, "x" + Nonce(1).substr(1), kNowS), ReplayVerdict::kFresh);
}

TEST(ReplayGuard, ANonceIsRememberedThroughTheWindowThenForgotten) {
  ReplayGuard guard = MakeGuard();
  ASSERT_EQ(guard.Check("k", kNowS, Nonce(1), kNowS), ReplayVerdict::kFresh);
  // Exactly window_s later the request itself is still inside the window,
  // so its nonce must still be known.
  EXPECT_EQ(guard.Check("k", kNowS, Nonce(1), kNowS + 300), ReplayVerdict::kReused);
  EXPECT_EQ(guard.Check("k", kNowS, Nonce(1), kNowS + 301), ReplayVerdict::kTooOld);
  EXPECT_EQ(guard.NoncesRemembered(), 1u);
  // Once its whole minute is older than the window, the set is dropped.
  guard.Expire(kNowS + 300 + 60);
  EXPECT_EQ(guard.NoncesRemembered(), 0u);
  EXPECT_EQ(guard.Check("k", kNowS + 360, Nonce(1), kNowS + 360), ReplayVerdict::kFresh);
}

TEST(ReplayGuard, MemoryStaysBoundedUnderSteadyTraffic) {
  ReplayGuard guard = MakeGuard();
  constexpr int kRequestsPerS = 20;
  constexpr int kDurationS = 1500;
  size_t remembered_max = 0;
  int i = 0;
  for (int64_t now = kNowS; now < kNowS + kDurationS; ++now) {
    for (int r = 0; r < kRequestsPerS; ++r) {
      ASSERT_EQ(guard.Check("k", now, Nonce(i++), now), ReplayVerdict::kFresh);
    }
    remembered_max = std::max(remembered_max, guard.NoncesRemembered());
  }
  // Remembered: the window and at most one partly expired minute, plus the
  // sets of shards that no Check touched since their minute expired.
  EXPECT_GE(remembered_max, size_t{kRequestsPerS} * 300);
  EXPECT_LE(remembered_max, size_t{kRequestsPerS} * (300 + 60 + 10));
  guard.Expire(kNowS + kDurationS + 400);
  EXPECT_EQ(guard.NoncesRemembered(), 0u);
}

TEST(ReplayGuard, FullRefusesNewNoncesUntilOldOnesExpire) {
  ReplayGuard guard = MakeGuard(kNowS - 3600, /*nonces_max=*/16);  // one per shard
  int fresh = 0;
  int full = 0;
  for (int i = 0; i < 400; ++i) {
    const ReplayVerdict verdict = guard.Check("k", kNowS, Nonce(i), kNowS);
    ASSERT_TRUE(verdict == ReplayVerdict::kFresh || verdict == ReplayVerdict::kFull);
    (verdict == ReplayVerdict::kFresh ? fresh : full)++;
  }
  EXPECT_EQ(fresh, 16);  // 400 random hashes fill every shard
  EXPECT_EQ(full, 384);
  EXPECT_EQ(guard.NoncesRemembered(), 16u);
  guard.Expire(kNowS + 400);
  EXPECT_EQ(guard.NoncesRemembered(), 0u);
  EXPECT_EQ(guard.Check("k", kNowS + 400, Nonce(1000), kNowS + 400), ReplayVerdict::kFresh);
}

TEST(ReplayGuard, AClockSteppedFarBackRefusesRatherThanForgets) {
  ReplayGuard guard = MakeGuard();
  // The ring of a 300 s window has 13 minutes; a timestamp 13 minutes later
  // lands in the same slot.
  // lands in the same slot. 400 nonces occupy that slot in every shard.
  const int64_t minute_start = kNowS - kNowS % 60;
  const int64_t later = minute_start + int64_t{13} * 60;
  for (int i = 0; i < 400; ++i) {
    ASSERT_EQ(guard.Check("k", later, Nonce(i), later), ReplayVerdict::kFresh);
  }
  EXPECT_EQ(guard.Check("k", minute_start, Nonce(1000), minute_start), ReplayVerdict::kTooOld);
  EXPECT_EQ(guard.Check("k", later, Nonce(1), later), ReplayVerdict::kReused);
  EXPECT_EQ(guard.NoncesRemembered(), 400u);
}

TEST(ReplayGuard, ConcurrentChecksRefuseEachDuplicateExactlyOnce) {
  ReplayGuard guard = MakeGuard();
  constexpr int kThreads = 8;
  constexpr int kUniquePerThread = 5000;
  constexpr int kShared = 2000;
  std::vector<std::atomic<int>> fresh_shared(kShared);
  std::atomic<int> unique_not_fresh{0};
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kUniquePerThread; ++i) {
        const std::string key = "key-" + std::to_string(t);
        if (guard.Check(key, kNowS, Nonce(i), kNowS) != ReplayVerdict::kFresh) ++unique_not_fresh;
        const int shared = (i + t * 97) % kShared;  // every thread meets every shared nonce
        if (i < kShared) {
          const ReplayVerdict verdict = guard.Check("shared", kNowS, Nonce(shared), kNowS);
          if (verdict == ReplayVerdict::kFresh) ++fresh_shared[shared];
          EXPECT_TRUE(verdict == ReplayVerdict::kFresh || verdict == ReplayVerdict::kReused);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(unique_not_fresh.load(), 0);
  for (int i = 0; i < kShared; ++i) EXPECT_EQ(fresh_shared[i].load(), 1) << i;
  EXPECT_EQ(guard.NoncesRemembered(), size_t{kThreads} * kUniquePerThread + kShared);
}

TEST(ReplayVerdictName, EveryVerdictHasItsOwnName) {
  std::set<std::string_view> names;
  for (ReplayVerdict verdict :
       {ReplayVerdict::kFresh, ReplayVerdict::kTooOld, ReplayVerdict::kTooNew,
        ReplayVerdict::kBeforeStart, ReplayVerdict::kReused, ReplayVerdict::kFull}) {
    names.insert(ReplayVerdictName(verdict));
  }
  EXPECT_EQ(names.size(), 6u);
  EXPECT_EQ(ReplayVerdictName(ReplayVerdict::kReused), "nonce_reused");
}

// ---- Webhook signatures ------------------------------------------------------------

TEST(WebhookSignature, RoundTripsWithinTheTolerance) {
  const std::string body = R"({"event":"payment.succeeded","id":"42"})";
  const std::string header = WebhookSignatureHeader("whsec", kNowS, body);
  EXPECT_EQ(header, "t=1700000000,v1=" + core::HmacSha256Hex("whsec", "1700000000." + body));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", header, body, kNowS, 300));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", header, body, kNowS + 300, 300));
  EXPECT_FALSE(VerifyWebhookSignature("whsec", header, body, kNowS + 301, 300));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", header, body, kNowS - 300, 300));
  EXPECT_FALSE(VerifyWebhookSignature("whsec", header, body, kNowS - 301, 300));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", header, body, kNowS, 0));
  EXPECT_FALSE(VerifyWebhookSignature("whsec", header, body, kNowS + 1, 0));
}

TEST(WebhookSignature, RefusesAlteredBodiesSecretsAndHeaders) {
  const std::string body = R"({"id":"42"})";
  const std::string header = WebhookSignatureHeader("whsec", kNowS, body);
  const std::string v1 = header.substr(header.find("v1="));
  EXPECT_FALSE(VerifyWebhookSignature("whsec", header, R"({"id":"43"})", kNowS, 300));
  EXPECT_FALSE(VerifyWebhookSignature("other", header, body, kNowS, 300));
  const std::vector<std::string> bad_headers = {
      "",
      v1,                                         // no t
      "t=1700000000",                             // no v1
      "t=1700000000,t=1700000000," + v1,          // two t
      "t=1700000001," + v1,                       // t not the signed one
      "t=+1700000000," + v1,                      // not digits
      "t=1700000000," + v1 + ",garbage",          // an item without '='
      "t=1700000000,v1=" + std::string(64, '0'),  // wrong signature
      "t=1700000000," + v1.substr(0, v1.size() - 1),
      "t=1700000000, " + v1,  // " v1" is an unknown item: no v1 left
      "t=1700000000," + v1 + "," + std::string(1024, 'x') + "=y",  // too long
  };
  for (const std::string& bad : bad_headers) {
    EXPECT_FALSE(VerifyWebhookSignature("whsec", bad, body, kNowS, 300)) << bad;
  }
}

TEST(WebhookSignature, AcceptsReorderedItemsUnknownItemsAndRotatedSecrets) {
  const std::string body = "{}";
  const std::string header = WebhookSignatureHeader("whsec", kNowS, body);
  const std::string v1 = header.substr(header.find("v1="));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", v1 + ",t=1700000000", body, kNowS, 300));
  EXPECT_TRUE(VerifyWebhookSignature("whsec", header + ",v2=whatever", body, kNowS, 300));
  const std::string rotated = WebhookSignatureHeader("old-secret", kNowS, body);
  EXPECT_TRUE(VerifyWebhookSignature("whsec", rotated + "," + v1, body, kNowS, 300));
  EXPECT_TRUE(VerifyWebhookSignature("old-secret", rotated + "," + v1, body, kNowS, 300));
}

// ---- HttpClient with a signer ------------------------------------------------------

// One request as a server received it.
struct ReceivedRequest {
  std::string method;
  std::string target;
  std::map<std::string, std::string> headers;  // names in lower case
  std::string body;

  const std::string& Header(const std::string& name) const {
    static const std::string kNone;
    const auto it = headers.find(name);
    return it == headers.end() ? kNone : it->second;
  }
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A scripted HTTP server over plain sockets on 127.0.0.1, one connection at
// a time, for tests that need to see exactly what the client sent and to
// close a connection at a chosen moment.
class FakeServer {
 public:
  FakeServer() : listen_fd_(ListenOnLoopback(4, &port_)) {}
  ~FakeServer() { ::close(listen_fd_); }

  uint16_t port() const { return port_; }

  // A new connection, or -1 after 10 s.
  int Accept() {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 10'000) != 1) return -1;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return fd;
  }

  // Reads one request (headers and a Content-Length body).
  static ReceivedRequest Read(int fd) {
    std::string data;
    size_t header_end = std::string::npos;
    while ((header_end = data.find("\r\n\r\n")) == std::string::npos && ReadMore(fd, data)) {
    }
    ReceivedRequest request;
    if (header_end == std::string::npos) return request;
    ParseHead(data.substr(0, header_end), request);
    const size_t body_bytes = std::stoul("0" + request.Header("content-length"));
    while (data.size() < header_end + 4 + body_bytes && ReadMore(fd, data)) {
    }
    request.body = data.substr(header_end + 4, body_bytes);
    return request;
  }

  static void Reply(int fd) {
    const std::string_view response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    EXPECT_EQ(::write(fd, response.data(), response.size()), static_cast<ssize_t>(response.size()));
  }

 private:
  static bool ReadMore(int fd, std::string& data) {
    char buffer[4096];
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return false;
    data.append(buffer, static_cast<size_t>(n));
    return true;
  }

  static void ParseHead(const std::string& head, ReceivedRequest& request) {
    size_t line_end = head.find("\r\n");
    const std::string request_line = head.substr(0, line_end);
    const size_t space = request_line.find(' ');
    request.method = request_line.substr(0, space);
    request.target = request_line.substr(space + 1, request_line.rfind(' ') - space - 1);
    while (line_end != std::string::npos) {
      const size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end - start);
      const size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[Lower(line.substr(0, colon))] = value;
    }
  }

  uint16_t port_ = 0;  // before listen_fd_: set while it is opened
  int listen_fd_ = -1;
};

bool CarriesValidSignature(const ReceivedRequest& r, std::string_view secret) {
  return Verifies(secret, r.method, r.target, r.Header("netfin-timestamp"),
                  r.Header("netfin-nonce"), r.body, r.Header("netfin-signature"));
}

// Answers the next request to server from a thread of its own; Wait()
// returns what it received (empty when no client came).
class AnswerOne {
 public:
  explicit AnswerOne(FakeServer& server)
      : script_([this, &server] {
          const int fd = server.Accept();
          if (fd < 0) return;
          received_ = FakeServer::Read(fd);
          FakeServer::Reply(fd);
          ::close(fd);
        }) {}
  ReceivedRequest Wait() {
    script_.join();
    return received_;
  }

 private:
  ReceivedRequest received_;
  std::thread script_;  // declared last: it starts once received_ exists
};

TEST(HttpClientSigning, EverySendIsSignedAfreshIncludingTheResendAfterAReconnect) {
  FakeServer server;
  std::vector<ReceivedRequest> received;
  std::thread script([&] {
    const int first = server.Accept();
    ASSERT_GE(first, 0);
    received.push_back(FakeServer::Read(first));
    FakeServer::Reply(first);
    received.push_back(FakeServer::Read(first));
    ::close(first);  // closed before answering: the client must resend
    const int second = server.Accept();
    ASSERT_GE(second, 0);
    received.push_back(FakeServer::Read(second));
    FakeServer::Reply(second);
    ::close(second);
  });

  HttpClient client(HttpClientOptions{.timeout_ms = 10'000});
  ASSERT_TRUE(client.Connect("127.0.0.1", server.port()).ok());
  client.SetSigner(std::make_shared<RequestSigner>("key-1", std::string(kSecret)));
  const int64_t before_s = std::time(nullptr);
  core::Result<ClientResponse> get = client.Get("/v1/accounts?limit=2&after=1a0000000000000001");
  ASSERT_TRUE(get.ok()) << get.status().ToString();
  const std::string body = R"({"id":"7","amount":"100"})";
  core::Result<ClientResponse> post = client.Request(
      "POST", "/v1/transfers", body, "application/json", {{"Idempotency-Key", "order-7"}});
  ASSERT_TRUE(post.ok()) << post.status().ToString();
  EXPECT_EQ(post->body, "ok");
  script.join();
  EXPECT_EQ(client.connections(), 2u);

  ASSERT_EQ(received.size(), 3u);
  EXPECT_EQ(received[0].target, "/v1/accounts?limit=2&after=1a0000000000000001");
  for (const ReceivedRequest& r : received) {
    EXPECT_EQ(r.Header("netfin-key"), "key-1");
    EXPECT_TRUE(NonceWellFormed(r.Header("netfin-nonce")));
    const std::optional<int64_t> timestamp_s = ParseTimestamp(r.Header("netfin-timestamp"));
    ASSERT_TRUE(timestamp_s.has_value());
    EXPECT_GE(*timestamp_s, before_s);
    EXPECT_LE(*timestamp_s, before_s + 60);
    EXPECT_TRUE(CarriesValidSignature(r, kSecret)) << r.method << " " << r.target;
  }
  // The POST and its resend: the same request, each with its own nonce.
  const ReceivedRequest& sent = received[1];
  const ReceivedRequest& resent = received[2];
  for (const ReceivedRequest* r : {&sent, &resent}) {
    EXPECT_EQ(r->method, "POST");
    EXPECT_EQ(r->target, "/v1/transfers");
    EXPECT_EQ(r->body, body);
    EXPECT_EQ(r->Header("idempotency-key"), "order-7");
  }
  EXPECT_NE(sent.Header("netfin-nonce"), resent.Header("netfin-nonce"));
  EXPECT_NE(received[0].Header("netfin-nonce"), sent.Header("netfin-nonce"));

  // And the server's replay guard takes all three.
  ReplayGuard guard = MakeGuard(before_s - 1);
  for (const ReceivedRequest& r : received) {
    EXPECT_EQ(guard.Check(r.Header("netfin-key"), *ParseTimestamp(r.Header("netfin-timestamp")),
                          r.Header("netfin-nonce"), before_s),
              ReplayVerdict::kFresh);
  }
}

TEST(HttpClientSigning, WithoutASignerRequestsCarryOnlyTheirOwnHeaders) {
  FakeServer server;
  AnswerOne script(server);
  HttpClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", server.port()).ok());
  client.SetSigner(std::make_shared<RequestSigner>("key-1", std::string(kSecret)));
  client.SetSigner(nullptr);
  core::Result<ClientResponse> response =
      client.Request("PUT", "/v1/x", "body", "text/plain",
                     {{"Idempotency-Key", "k-1"}, {"Netfin-Nonce", "hand-made-nonce-1"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  const ReceivedRequest received = script.Wait();
  EXPECT_EQ(received.method, "PUT");
  EXPECT_EQ(received.body, "body");
  EXPECT_EQ(received.Header("content-type"), "text/plain");
  EXPECT_EQ(received.Header("idempotency-key"), "k-1");
  EXPECT_EQ(received.Header("netfin-nonce"), "hand-made-nonce-1");
  EXPECT_EQ(received.Header("netfin-signature"), "");
  EXPECT_EQ(received.Header("netfin-key"), "");
}

TEST(HttpClientSigning, ASignerReplacesHandMadeSignatureHeaders) {
  FakeServer server;
  AnswerOne script(server);
  HttpClient client;
  ASSERT_TRUE(client.Connect("127.0.0.1", server.port()).ok());
  client.SetSigner(std::make_shared<RequestSigner>("key-2", std::string(kSecret)));
  core::Result<ClientResponse> response =
      client.Request("POST", "/v1/y", "{}", "application/json", {{"Netfin-Signature", "forged"}});
  ASSERT_TRUE(response.ok()) << response.status().ToString();
  const ReceivedRequest received = script.Wait();
  EXPECT_EQ(received.Header("netfin-key"), "key-2");
  EXPECT_NE(received.Header("netfin-signature"), "forged");
  EXPECT_TRUE(CarriesValidSignature(received, kSecret));
}

}  // namespace
}  // namespace netfin::api
