#include "cli/async_load.h"

#include <memory>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>

#include "core/clock.h"

namespace netfin::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// What every connection shares: the request counter, the results.
struct Shared {
  Shared(const LoadOptions& o, const MakeRequest& m) : options(o), make(m) {}
  const LoadOptions& options;
  const MakeRequest& make;
  std::mutex mutex;  // guards result
  LoadResult result;

  void Record(uint64_t latency_ns, bool ok, const std::string& failure) {
    std::lock_guard lock(mutex);
    ++result.done;
    result.latencies_ns.push_back(latency_ns);
    if (!ok) {
      if (result.failed++ == 0) result.first_failure = failure;
    }
  }
  void Broken(const std::string& failure) {
    std::lock_guard lock(mutex);
    if (result.failed++ == 0) result.first_failure = failure;
  }
};

// One keep-alive connection: write a request, read its answer, again.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& ioc, Shared& shared, uint32_t index)
      : stream_(ioc), shared_(shared), index_(index) {}

  beast::tcp_stream& stream() { return stream_; }

  void SendNext() {
    // Each connection sends its own share, so that what one connection's
    // requests need (a customer's balance) is known in advance.
    const LoadOptions& o = shared_.options;
    const uint64_t share = o.requests / o.connections + (index_ < o.requests % o.connections);
    if (sent_ == share) return;
    LoadRequest made = shared_.make(index_, sent_++);
    request_ = {};
    request_.method_string(made.method);
    request_.target(made.target);
    request_.version(11);
    request_.keep_alive(true);
    request_.set(http::field::host, shared_.options.host);
    for (auto& [name, value] : made.headers) request_.set(name, value);
    if (!made.body.empty() || made.method == "POST") {
      request_.set(http::field::content_type, "application/json");
      request_.body() = std::move(made.body);
      request_.prepare_payload();
    }
    started_ns_ = core::MonotonicNowNs();
    http::async_write(stream_, request_,
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (ec) return self->shared_.Broken("write: " + ec.message());
                        self->ReadAnswer();
                      });
  }

 private:
  void ReadAnswer() {
    response_ = {};
    http::async_read(stream_, buffer_, response_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->shared_.Broken("read: " + ec.message());
                       const bool ok = self->response_.result_int() == self->shared_.options.expect_status;
                       self->shared_.Record(
                           core::MonotonicNowNs() - self->started_ns_, ok,
                           ok ? std::string()
                              : fmt::format("HTTP {} {}", self->response_.result_int(),
                                            self->response_.body()));
                       self->SendNext();
                     });
  }

  beast::tcp_stream stream_;
  Shared& shared_;
  const uint32_t index_;
  uint64_t sent_ = 0;
  uint64_t started_ns_ = 0;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

core::Result<LoadResult> RunLoad(const LoadOptions& options, const MakeRequest& make) {
  net::io_context ioc(static_cast<int>(options.threads));
  Shared shared(options, make);
  shared.result.latencies_ns.reserve(options.requests);
  std::vector<std::shared_ptr<Connection>> connections;
  tcp::resolver resolver(ioc);
  beast::error_code ec;
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec) return core::Unavailable("resolve " + options.host + ": " + ec.message());
  for (uint32_t c = 0; c < options.connections; ++c) {
    auto connection = std::make_shared<Connection>(ioc, shared, c);
    connection->stream().socket().connect(*endpoints.begin(), ec);
    if (ec) return core::Unavailable("connect: " + ec.message());
    connection->stream().socket().set_option(tcp::no_delay(true));
    connections.push_back(std::move(connection));
  }
  const uint64_t start_ns = core::MonotonicNowNs();
  for (auto& connection : connections) connection->SendNext();
  connections.clear();  // the handlers keep each connection alive while it works
  std::vector<std::thread> threads;
  for (uint32_t t = 1; t < options.threads; ++t) threads.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (std::thread& t : threads) t.join();
  LoadResult result = std::move(shared.result);
  result.seconds = static_cast<double>(core::MonotonicNowNs() - start_ns) / 1e9;
  return result;
}

}  // namespace netfin::cli
