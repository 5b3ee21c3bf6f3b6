#include "api/server.h"

#include "api/auth.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/router.h"
#include "core/assert.h"
#include "core/clock.h"
#include "ledger/ledger_service.h"

namespace netfin::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Connections past connections_max still get a 503 (so the client learns
// why), up to this many at once; beyond, they are closed without a word.
constexpr size_t kRefusalsMax = 64;
// After an error answer the server reads and drops what the client still
// sends, so that closing does not reset the connection before the client
// read the answer; at most this much, for at most this long.
constexpr size_t kDrainBytesMax = 2 * core::kRequestBodyBytesMax;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
constexpr size_t kDrainChunkBytes = 64 * 1024;
// A failed accept (e.g. out of file descriptors) is retried after this long.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(10);
// Stop() waits this long for the ledger's outstanding callbacks.
constexpr uint32_t kStopLedgerWaitMs = 30'000;
// An io thread that sees an exception escape (a bug) resumes at most this often.
constexpr int kIoRestartsMax = 1000;

// What every session of one server shares.
struct Shared {
  Shared(Router& r, Metrics& m, const ServerOptions& o) : router(r), metrics(m), options(o) {}
  Router& router;
  Metrics& metrics;
  const ServerOptions& options;
  std::atomic<size_t> sessions{0};  // open, served or refused
};

std::string_view ToStd(beast::string_view text) { return {text.data(), text.size()}; }

bool IsHttpParseError(const beast::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::bad_method).category();
}

// One connection. Owned by the handlers in flight (shared_from_this); runs on
// its own strand. At most one request is read, handled and answered at a time.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared, bool refuse)
      : stream_(std::move(socket)), shared_(shared), refuse_(refuse) {
    shared_.sessions.fetch_add(1, std::memory_order_relaxed);
    shared_.metrics.ConnectionOpened();
  }
  ~Session() {
    shared_.sessions.fetch_sub(1, std::memory_order_relaxed);
    shared_.metrics.ConnectionClosed();
  }

  void Start();

 private:
  // The connection's one catch-all: whatever a handler throws closes the
  // connection; nothing escapes to the io thread.
  template <typename Method>
  auto Guarded(Method method) {
    return [self = shared_from_this(), method](auto&&... args) {
      try {
        (self.get()->*method)(std::forward<decltype(args)>(args)...);
      } catch (...) {
        self->Close();
      }
    };
  }

  std::chrono::seconds IdleTimeout() const {
    return std::chrono::seconds(shared_.options.idle_timeout_s);
  }

  void ReadHeader() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(core::kHttpHeaderBytesMax));
    parser_->body_limit(core::kRequestBodyBytesMax);
    stream_.expires_after(IdleTimeout());
    http::async_read_header(stream_, buffer_, *parser_, Guarded(&Session::OnHeader));
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    started_ns_ = core::MonotonicNowNs();
    const auto& request = parser_->get();
    if (!parser_->is_done() && beast::iequals(request[http::field::expect], "100-continue")) {
      interim_ = {};
      interim_.version(request.version());
      interim_.result(http::status::continue_);
      stream_.expires_after(IdleTimeout());
      http::async_write(stream_, interim_, Guarded(&Session::OnContinue));
      return;
    }
    ReadBody();
  }

  void OnContinue(beast::error_code ec, size_t) {
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    stream_.expires_after(IdleTimeout());
    http::async_read(stream_, buffer_, *parser_, Guarded(&Session::OnBody));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    Dispatch();
  }

  void OnReadError(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
      return Refuse({ErrorCode::kBodyTooLarge,
                     "the body exceeds " + std::to_string(core::kRequestBodyBytesMax) + " bytes"});
    }
    if (ec == http::error::header_limit) {
      return Refuse({ErrorCode::kHeaderTooLarge,
                     "the header exceeds " + std::to_string(core::kHttpHeaderBytesMax) + " bytes"});
    }
    if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
        ec != http::error::partial_message) {
      return Refuse({ErrorCode::kMalformedRequest, "not an HTTP/1.1 request: " + ec.message()});
    }
    Close();  // the peer left, timed out or reset: nobody to answer
  }

  // Answers a request that could not be read whole, then closes.
  void Refuse(const ApiError& error) {
    if (started_ns_ == 0) started_ns_ = core::MonotonicNowNs();
    // The request line is parsed before any limit can be hit, so method and
    // target are known unless the request line itself was malformed.
    method_ = parser_ ? std::string(ToStd(parser_->get().method_string())) : std::string();
    const std::string target = parser_ ? std::string(ToStd(parser_->get().target())) : "";
    keep_alive_ = false;
    version_ = 11;
    Write(Router::ErrorResponse(error, shared_.router.LabelOf(target)));
  }

  void Dispatch() {
    http::request<http::string_body>& request = parser_->get();
    method_ = std::string(ToStd(request.method_string()));
    target_ = std::string(ToStd(request.target()));
    keep_alive_ = request.keep_alive() && !refuse_;
    version_ = request.version();
    if (refuse_) {
      return Write(
          Router::ErrorResponse({ErrorCode::kServiceUnavailable, "too many connections are open"},
                                shared_.router.LabelOf(target_)));
    }
    HttpRequest routed;
    routed.method = method_;
    routed.target = target_;
    const auto content_type = request.find(http::field::content_type);
    if (content_type != request.end()) routed.content_type = ToStd(content_type->value());
    routed.body = std::move(request.body());
    auto header = [&request](std::string_view name) {
      const auto it = request.find(boost::beast::string_view(name.data(), name.size()));
      return it == request.end() ? std::string() : std::string(ToStd(it->value()));
    };
    routed.key_id = header(kKeyHeader);
    routed.timestamp = header(kTimestampHeader);
    routed.nonce = header(kNonceHeader);
    routed.signature = header(kSignatureHeader);
    routed.idempotency_key = header("Idempotency-Key");
    routed.peer_address = PeerAddress();
    // The ledger's callback may run on its commit thread: it posts to this
    // strand, and only there is the response built and written.
    Router::Post post = [executor = stream_.get_executor()](std::function<void()> fn) {
      net::post(executor, std::move(fn));
    };
    Router::Respond respond = [self = shared_from_this()](HttpResponse response) {
      try {
        self->Write(std::move(response));
      } catch (...) {
        self->Close();
      }
    };
    shared_.router.Handle(std::move(routed), post, respond);
  }

  // The peer's address as text, read once per connection (it cannot change)
  // rather than once per request; empty when the socket cannot tell.
  std::string_view PeerAddress() {
    if (peer_address_.empty()) {
      beast::error_code ec;
      const tcp::endpoint peer = stream_.socket().remote_endpoint(ec);
      if (!ec) peer_address_ = peer.address().to_string();
    }
    return peer_address_;
  }

  void Write(HttpResponse response) {
    response_ = {};
    response_.version(version_);
    response_.result(response.status);
    response_.set(http::field::server, "netfin");
    response_.set(http::field::content_type, response.content_type);
    if (!response.allow.empty()) response_.set(http::field::allow, response.allow);
    response_.body() = std::move(response.body);
    response_.keep_alive(keep_alive_);
    response_.prepare_payload();
    shared_.metrics.Record(response.route_label, method_, response.status,
                           core::MonotonicNowNs() - started_ns_);
    stream_.expires_after(IdleTimeout());
    http::async_write(stream_, response_, Guarded(&Session::OnWrite));
  }

  void OnWrite(beast::error_code ec, size_t) {
    if (ec) return Close();
    if (!keep_alive_) return Drain();
    started_ns_ = 0;
    ReadHeader();
  }

  // Shuts our side, then reads and drops what the peer still sends until it
  // closes, kDrainBytesMax or kDrainTimeout.
  void Drain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    drain_chunk_ = std::make_unique<char[]>(kDrainChunkBytes);
    drained_bytes_ = buffer_.size();
    stream_.expires_after(kDrainTimeout);
    DrainMore();
  }

  void DrainMore() {
    stream_.async_read_some(net::buffer(drain_chunk_.get(), kDrainChunkBytes),
                            Guarded(&Session::OnDrain));
  }

  void OnDrain(beast::error_code ec, size_t bytes) {
    drained_bytes_ += bytes;
    if (ec || drained_bytes_ > kDrainBytesMax) return Close();
    DrainMore();
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::empty_body> interim_;  // 100 Continue
  http::response<http::string_body> response_;
  Shared& shared_;
  const bool refuse_;  // answer 503 to the first request and close
  std::string method_;
  std::string target_;
  std::string peer_address_;  // see PeerAddress()
  unsigned version_ = 11;
  bool keep_alive_ = true;
  uint64_t started_ns_ = 0;
  std::unique_ptr<char[]> drain_chunk_;
  size_t drained_bytes_ = 0;
};

void Session::Start() { net::dispatch(stream_.get_executor(), Guarded(&Session::ReadHeader)); }

// Accepts connections and starts a Session for each, on a strand of its own.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, Shared& shared)
      : ioc_(ioc),
        acceptor_(net::make_strand(ioc)),
        retry_(acceptor_.get_executor()),
        shared_(shared) {}

  core::Status Open(const tcp::endpoint& endpoint) {
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return core::Unavailable("cannot listen on " + Describe(endpoint) + ": " + ec.message());
    return core::Status::Ok();
  }

  uint16_t port() const {
    beast::error_code ec;
    return acceptor_.local_endpoint(ec).port();
  }

  void Accept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  // REQUIRES: no io thread runs.
  void Close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_.cancel();
  }

 private:
  static std::string Describe(const tcp::endpoint& endpoint) {
    return endpoint.address().to_string() + ":" + std::to_string(endpoint.port());
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // closed
    if (ec) {
      retry_.expires_after(kAcceptRetryDelay);
      retry_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->Accept();
      });
      return;
    }
    try {
      Admit(std::move(socket));
    } catch (...) {
      // The session could not be made (out of memory): the socket closes.
    }
    Accept();
  }

  void Admit(tcp::socket socket) {
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    const size_t open = shared_.sessions.load(std::memory_order_relaxed);
    const size_t max = shared_.options.connections_max;
    if (open >= max) shared_.metrics.ConnectionRefused();
    if (open >= max + kRefusalsMax) {
      socket.close(ignored);
      return;
    }
    std::make_shared<Session>(std::move(socket), shared_, open >= max)->Start();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
  Shared& shared_;
};

}  // namespace

struct Server::Impl {
  Impl(ApiServices services, ServerOptions server_options)
      : options(std::move(server_options)),
        metrics(Router::RouteLabels()),
        router(services, metrics),
        shared(router, metrics, options) {}

  ~Impl() {
    Stop();
    // Destroying the io_context destroys the handlers still queued, and with
    // them the sessions, which use `shared`: so it goes first.
    listener.reset();
    work.reset();
    ioc.reset();
  }

  core::Status Start();
  void Stop();
  void RunIo();

  const ServerOptions options;
  Metrics metrics;
  Router router;
  Shared shared;
  std::unique_ptr<net::io_context> ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
  std::shared_ptr<Listener> listener;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  std::mutex mutex;  // Start and Stop
  bool started = false;
  bool stopped = false;
};

core::Status Server::Impl::Start() {
  std::lock_guard<std::mutex> lock(mutex);
  NETFIN_ASSERT(!started);
  NETFIN_ASSERT(options.threads >= 1);
  started = true;
  ioc = std::make_unique<net::io_context>(static_cast<int>(options.threads));
  beast::error_code ec;
  tcp::resolver resolver(*ioc);
  const auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || endpoints.empty()) {
    return core::InvalidArgument("cannot resolve host \"" + options.host + "\": " + ec.message());
  }
  listener = std::make_shared<Listener>(*ioc, shared);
  NETFIN_RETURN_IF_ERROR(listener->Open(endpoints.begin()->endpoint()));
  port = listener->port();
  listener->Accept();
  work.emplace(ioc->get_executor());
  for (uint32_t i = 0; i < options.threads; ++i) threads.emplace_back([this] { RunIo(); });
  return core::Status::Ok();
}

void Server::Impl::RunIo() {
  for (int restarts = 0; restarts < kIoRestartsMax; ++restarts) {
    try {
      ioc->run();
      return;
    } catch (...) {
      // A handler let an exception through its catch-all (a bug); keep serving.
    }
  }
}

void Server::Impl::Stop() {
  std::lock_guard<std::mutex> lock(mutex);
  if (!started || stopped) return;
  stopped = true;
  ioc->stop();
  for (std::thread& thread : threads) thread.join();
  threads.clear();
  if (listener) listener->Close();
  // A callback still to come would post into the io_context: wait for it.
  router.WaitForLedgerCalls(kStopLedgerWaitMs);
}

Server::Server(ledger::LedgerService& ledger, ServerOptions options)
    : Server(ApiServices{.ledger = ledger}, std::move(options)) {}

Server::Server(ApiServices services, ServerOptions options)
    : impl_(std::make_unique<Impl>(services, std::move(options))) {}

Server::~Server() = default;

core::Status Server::Start() { return impl_->Start(); }

void Server::Stop() { impl_->Stop(); }

uint16_t Server::port() const { return impl_->port; }

Metrics& Server::metrics() { return impl_->metrics; }

}  // namespace netfin::api
