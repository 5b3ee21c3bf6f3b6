#include "cli/async_load.h"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
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

// One keep-alive connection: keeps up to `pipeline` requests in flight,
// written back to back (those made while a write is under way go out
// together in the next), and reads the answers in order. Requests and
// answers are plain HTTP/1.1 text; the request is written by hand (no
// serializer per request) so that the client stays cheap next to the
// server it measures.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(net::io_context& ioc, Shared& shared, uint32_t index)
      : stream_(ioc), shared_(shared), index_(index) {
    // One read takes a whole answer (the read size follows the capacity).
    buffer_.reserve(kReadBufferBytes);
  }

  beast::tcp_stream& stream() { return stream_; }

  // Fills the pipeline from this connection's share of the requests.
  void SendMore() {
    // Each connection sends its own share, so that what one connection's
    // requests need (a customer's balance) is known in advance.
    const LoadOptions& o = shared_.options;
    const uint64_t share = o.requests / o.connections + (index_ < o.requests % o.connections);
    while (sent_ < share && started_ns_.size() < std::max<uint32_t>(1, o.pipeline)) {
      AppendRequest(shared_.make(index_, sent_++), &queued_);
      started_ns_.push_back(core::MonotonicNowNs());
    }
    Write();
    if (!reading_ && !started_ns_.empty()) ReadAnswer();
  }

 private:
  static constexpr size_t kReadBufferBytes = 16 * 1024;

  void AppendRequest(const LoadRequest& made, std::string* out) const {
    out->append(made.method).append(" ").append(made.target).append(" HTTP/1.1\r\nHost: ");
    out->append(shared_.options.host);
    for (const auto& [name, value] : made.headers) out->append("\r\n").append(name).append(": ").append(value);
    if (!made.body.empty() || made.method == "POST") {
      out->append("\r\nContent-Type: application/json\r\nContent-Length: ");
      out->append(std::to_string(made.body.size()));
    }
    out->append("\r\n\r\n").append(made.body);
  }

  void Write() {
    if (writing_ || queued_.empty()) return;
    writing_ = true;
    out_.clear();
    out_.swap(queued_);
    net::async_write(stream_, net::buffer(out_),
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       self->writing_ = false;
                       if (ec) return self->shared_.Broken("write: " + ec.message());
                       self->Write();
                     });
  }

  // Continues the answer being parsed, or starts the next one.
  void ReadAnswer() {
    reading_ = true;
    if (!parser_ || parser_->is_done()) NewParser();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnAnswer(ec); });
  }

  void NewParser() {
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    parser_->eager(true);
  }

  void OnAnswer(beast::error_code ec) {
    reading_ = false;
    if (ec) return shared_.Broken("read: " + ec.message());
    Record();
    // The answers already in the buffer are parsed here rather than through
    // another trip round the io loop, so that the requests they make room
    // for leave together in one write.
    while (!started_ns_.empty()) {
      NewParser();
      if (buffer_.size() == 0) break;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) break;  // ReadAnswer goes on with this parser
      if (ec) return shared_.Broken("read: " + ec.message());
      if (!parser_->is_done()) break;
      Record();
    }
    SendMore();
  }

  // The answer in parser_ is the oldest request's.
  void Record() {
    const auto& response = parser_->get();
    const bool ok = response.result_int() == shared_.options.expect_status;
    shared_.Record(core::MonotonicNowNs() - started_ns_.front(), ok,
                   ok ? std::string()
                      : fmt::format("HTTP {} {}", response.result_int(), response.body()));
    started_ns_.pop_front();
  }

  beast::tcp_stream stream_;
  Shared& shared_;
  const uint32_t index_;
  uint64_t sent_ = 0;
  std::deque<uint64_t> started_ns_;  // of the requests in flight, oldest first
  std::string queued_;               // requests made while a write was under way
  std::string out_;                  // the bytes being written
  bool writing_ = false;
  bool reading_ = false;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
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
  for (auto& connection : connections) connection->SendMore();
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
