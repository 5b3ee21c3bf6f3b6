// The load client against a deliberately slow server: with a rate, each
// latency counts from when the request was due, so a server that falls
// behind is charged for the wait it causes; without one, from when it went.

#include "cli/async_load.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "api/loopback_test_support.h"

namespace netfin::cli {
namespace {

// Answers each request on one connection 5 ms after it has it whole: one
// request at a time, 200 a second at most.
class SlowServer {
 public:
  SlowServer() : listener_(api::ListenOnLoopback(1, &port_)) {
    thread_ = std::thread([this] { Serve(); });
  }
  ~SlowServer() {
    thread_.join();
    ::close(listener_);
  }
  uint16_t port() const { return port_; }

 private:
  void Serve() {
    const int fd = ::accept(listener_, nullptr, nullptr);
    ASSERT_GE(fd, 0);
    std::string in;
    char buffer[4096];
    for (;;) {
      // Requests here are a head with "Content-Length: 2" and a 2-byte body.
      const size_t head_end = in.find("\r\n\r\n");
      if (head_end != std::string::npos && in.size() >= head_end + 4 + 2) {
        in.erase(0, head_end + 4 + 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        ASSERT_EQ(::write(fd, answer.data(), answer.size()), static_cast<ssize_t>(answer.size()));
        continue;
      }
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n <= 0) break;  // the client closed: done
      in.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
  }

  uint16_t port_ = 0;  // before listener_: set while it is opened
  int listener_ = -1;
  std::thread thread_;
};

double MedianMs(std::vector<uint64_t> latencies_ns) {
  std::sort(latencies_ns.begin(), latencies_ns.end());
  return static_cast<double>(latencies_ns[latencies_ns.size() / 2]) / 1e6;
}

LoadResult RunAgainstSlowServer(double rate) {
  SlowServer server;
  LoadOptions options;
  options.port = server.port();
  options.connections = 1;
  options.requests = 20;
  options.pipeline = 1;
  options.rate = rate;
  auto ran = RunLoad(options, [](uint32_t, uint64_t) { return LoadRequest{"POST", "/x", "{}", {}}; });
  EXPECT_TRUE(ran.ok()) << ran.status().ToString();
  return ran.ok() ? std::move(ran).value() : LoadResult{};
}

TEST(AsyncLoad, OfferedRequestsCountTheirLatencyFromWhenTheyWereDue) {
  // Due every millisecond, served every 5: request i waits ~4i ms before it
  // can even be sent, and that wait is in its latency (median ~45 ms).
  const LoadResult offered = RunAgainstSlowServer(1000);
  ASSERT_EQ(offered.done, 20u);
  EXPECT_EQ(offered.failed, 0u);
  EXPECT_GE(MedianMs(offered.latencies_ns), 30.0);
  EXPECT_GE(offered.seconds, 0.1);  // 20 answers 5 ms apart
}

TEST(AsyncLoad, ClosedLoopRequestsCountTheirLatencyFromWhenTheyWent) {
  const LoadResult closed = RunAgainstSlowServer(0);
  ASSERT_EQ(closed.done, 20u);
  EXPECT_EQ(closed.failed, 0u);
  EXPECT_GE(MedianMs(closed.latencies_ns), 5.0);
  EXPECT_LT(MedianMs(closed.latencies_ns), 25.0);
}

}  // namespace
}  // namespace netfin::cli
