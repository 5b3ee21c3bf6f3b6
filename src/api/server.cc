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
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <deque>
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
// A connection's read buffer starts this large (it grows for larger requests).
constexpr size_t kReadBufferBytes = 8 * 1024;
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

// The wire form of an answer: status line, headers, body. Written by hand
// rather than by Beast's serializer so that several answers go out in one
// write (pipelining) and no serializer state is built per answer; the
// headers are those Beast wrote before (Server, Content-Type, Allow,
// Connection when it differs from the version's default, Content-Length).
void AppendWire(const HttpResponse& response, unsigned version, bool keep_alive,
                std::string* out) {
  const unsigned status = response.status;
  const beast::string_view reason = http::obsolete_reason(http::int_to_status(status));
  out->append(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  out->append(std::to_string(status));
  out->push_back(' ');
  out->append(reason.data(), reason.size());
  out->append("\r\nServer: netfin\r\nContent-Type: ");
  out->append(response.content_type);
  if (!response.allow.empty()) {
    out->append("\r\nAllow: ");
    out->append(response.allow);
  }
  if (version == 10 && keep_alive) out->append("\r\nConnection: keep-alive");
  if (version != 10 && !keep_alive) out->append("\r\nConnection: close");
  // 1xx, 204 and 304 answers carry no body and no length (RFC 9110 §8.6).
  const bool bodiless = status / 100 == 1 || status == 204 || status == 304;
  if (!bodiless) {
    out->append("\r\nContent-Length: ");
    out->append(std::to_string(response.body.size()));
  }
  out->append("\r\n\r\n");
  if (!bodiless) out->append(response.body);
}

// One connection. Owned by the handlers in flight (shared_from_this); runs on
// its own strand.
//
// Requests may be pipelined (RFC 9112 §9.3): while earlier requests wait for
// the ledger, the session already reads the next ones, up to
// kHttpPipelineDepthMax unanswered, and it writes the answers strictly in
// request order, as many as are ready in one write. A request is handed to
// the router before the earlier ones are answered only when the outcome
// cannot differ from handling them one after the other: it and every
// earlier unanswered one are decided by a ledger command queued in request
// order (Router::OrderedByLedger). Anything else (a read after a payment, a
// settlement) waits until the earlier answers are ready. A client that
// waits for each answer before sending its next request sees no difference.
//
// Timeouts: one watchdog timer per connection instead of a deadline on each
// read (a read is in flight for as long as the connection is open, even
// while an earlier request waits for the ledger, which must not time the
// connection out). The watchdog closes a connection that has had nothing to
// answer for idle_timeout_s, or whose peer has not taken an answer for as
// long.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, Shared& shared, bool refuse)
      : stream_(std::move(socket)),
        watchdog_(stream_.get_executor()),
        shared_(shared),
        refuse_(refuse) {
    // Reads are sized by the buffer's free capacity: room for a few
    // pipelined requests takes them in one read.
    buffer_.reserve(kReadBufferBytes);
    shared_.sessions.fetch_add(1, std::memory_order_relaxed);
    shared_.metrics.ConnectionOpened();
  }
  ~Session() {
    shared_.sessions.fetch_sub(1, std::memory_order_relaxed);
    shared_.metrics.ConnectionClosed();
  }

  void Start();

 private:
  using Parser = http::request_parser<http::string_body>;

  // A request read and not yet answered on the wire, in request order.
  // Elements of a deque do not move when others are added or removed at its
  // ends, so the router may keep views of method and target until the
  // answer is written.
  struct Answer {
    std::string method;
    std::string target;
    unsigned version = 11;
    bool keep_alive = true;  // false: the connection closes after this answer
    bool ordered = false;    // Router::OrderedByLedger
    uint64_t started_ns = 0;
    bool ready = false;
    std::string wire;  // once ready
  };

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

  uint64_t IdleTimeoutNs() const {
    return uint64_t{shared_.options.idle_timeout_s} * core::kNanosPerSecond;
  }

  // ---- Reading -----------------------------------------------------------

  // Starts reading the next request unless one is being read, no more will
  // be, or the pipeline is full (OnWritten calls again).
  //
  // A request already whole in the buffer (pipelined behind the one just
  // read) is parsed and dispatched here and now, without an asynchronous
  // read: that would cost two composed operations and two trips through
  // the strand per request. Dispatching it may call MaybeRead again; that
  // call only asks this loop for another round, so the stack stays flat
  // however many requests the buffer holds.
  void MaybeRead() {
    if (in_read_loop_) {
      read_again_ = true;
      return;
    }
    in_read_loop_ = true;
    struct LoopExit {
      bool& flag;
      ~LoopExit() { flag = false; }
    } exit{in_read_loop_};
    do {
      read_again_ = false;
      StartRead();
    } while (read_again_);
  }

  void StartRead() {
    if (reading_ || held_ || read_stopped_ || continue_wanted_ ||
        answers_.size() >= core::kHttpPipelineDepthMax) {
      return;
    }
    reading_ = true;
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(core::kHttpHeaderBytesMax));
    parser_->body_limit(core::kRequestBodyBytesMax);
    beast::error_code ec;
    if (ParseBuffered(&Parser::is_header_done, ec)) return OnHeader(ec, 0);
    http::async_read_header(stream_, buffer_, *parser_, Guarded(&Session::OnHeader));
  }

  // Feeds the parser what the buffer holds, as beast's own read does, until
  // (parser_->*part)() says that part of the request is whole. true: it is,
  // or the bytes are bad (ec says how); false: more must be read first.
  bool ParseBuffered(bool (Parser::*part)() const, beast::error_code& ec) {
    while (!((*parser_).*part)()) {
      if (buffer_.size() == 0) return false;
      const size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        ec = {};
        return false;
      }
      if (ec) return true;
    }
    return true;
  }

  void OnHeader(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    header_ns_ = core::MonotonicNowNs();
    const auto& request = parser_->get();
    if (!parser_->is_done() && beast::iequals(request[http::field::expect], "100-continue")) {
      // The interim answer must not overtake the answers still owed.
      continue_wanted_ = true;
      return MaybeContinue();
    }
    ReadBody();
  }

  void MaybeContinue() {
    if (!continue_wanted_ || writing_ || !answers_.empty()) return;
    continue_wanted_ = false;
    interim_ = {};
    interim_.version(parser_->get().version());
    interim_.result(http::status::continue_);
    BeginWrite();
    http::async_write(stream_, interim_, Guarded(&Session::OnContinue));
  }

  void OnContinue(beast::error_code ec, size_t) {
    writing_ = false;
    if (ec) return Close();
    ReadBody();
  }

  void ReadBody() {
    beast::error_code ec;
    if (ParseBuffered(&Parser::is_done, ec)) return OnBody(ec, 0);
    http::async_read(stream_, buffer_, *parser_, Guarded(&Session::OnBody));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec) return OnReadError(ec);
    reading_ = false;
    last_activity_ns_ = core::MonotonicNowNs();
    const auto& request = parser_->get();
    held_ordered_ = shared_.router.OrderedByLedger(ToStd(request.method_string()),
                                                    ToStd(request.target()));
    held_ = true;
    DispatchHeld();
  }

  // Hands the request just read to the router if nothing unanswered before
  // it could change its outcome; else it waits for Complete to call again.
  void DispatchHeld() {
    if (!held_) return;
    const bool may_overtake = held_ordered_ && unready_unordered_ == 0;
    if (unready_ != 0 && !may_overtake) return;
    held_ = false;
    Dispatch();
    MaybeRead();
  }

  void OnReadError(const beast::error_code& ec) {
    reading_ = false;
    read_stopped_ = true;
    continue_wanted_ = false;
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
    // The peer left (or reset): answer what it already asked, if it still
    // listens (a half-closed client does), then close.
    if (answers_.empty() && !writing_) Close();
  }

  // Answers a request that could not be read whole, after the answers owed,
  // then closes.
  void Refuse(const ApiError& error) {
    Answer& answer = NewAnswer(false);
    answer.keep_alive = false;
    Complete(answer, Router::ErrorResponse(error, shared_.router.LabelOf(answer.target)));
  }

  // ---- Handling ----------------------------------------------------------

  void Dispatch() {
    http::request<http::string_body>& request = parser_->get();
    const uint64_t sequence = answers_front_ + answers_.size();
    Answer& answer = NewAnswer(held_ordered_);
    answer.version = request.version();
    answer.keep_alive = request.keep_alive() && !refuse_;
    if (!answer.keep_alive) read_stopped_ = true;  // this is the connection's last request
    if (refuse_) {
      return Complete(answer, Router::ErrorResponse({ErrorCode::kServiceUnavailable,
                                                     "too many connections are open"},
                                                    shared_.router.LabelOf(answer.target)));
    }
    HttpRequest routed;
    routed.method = answer.method;
    routed.target = answer.target;
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
    // strand, and only there is the answer built and written.
    Router::Post post = [executor = stream_.get_executor()](std::function<void()> fn) {
      net::post(executor, std::move(fn));
    };
    Router::Respond respond = [self = shared_from_this(), sequence](HttpResponse response) {
      try {
        self->Complete(self->answers_[sequence - self->answers_front_], std::move(response));
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

  // ---- Writing -----------------------------------------------------------

  // The answer owed to the request in parser_ (whole, or refused while being
  // read: the request line is parsed before any limit can be hit, so method
  // and target are known unless the request line itself was malformed).
  Answer& NewAnswer(bool ordered) {
    Answer& answer = answers_.emplace_back();
    if (parser_) {
      answer.method = std::string(ToStd(parser_->get().method_string()));
      answer.target = std::string(ToStd(parser_->get().target()));
    }
    answer.started_ns = header_ns_ != 0 ? header_ns_ : core::MonotonicNowNs();
    header_ns_ = 0;
    answer.ordered = ordered;
    ++unready_;
    if (!ordered) ++unready_unordered_;
    return answer;
  }

  void Complete(Answer& answer, const HttpResponse& response) {
    NETFIN_ASSERT(!answer.ready && unready_ > 0);
    AppendWire(response, answer.version, answer.keep_alive, &answer.wire);
    answer.ready = true;
    --unready_;
    if (!answer.ordered) --unready_unordered_;
    shared_.metrics.Record(response.route_label, answer.method, response.status,
                           core::MonotonicNowNs() - answer.started_ns);
    ScheduleFlush();
    DispatchHeld();
  }

  // Flushes once the handlers already queued on the strand have run: the
  // ledger answers a whole commit's requests at once, and the answers of
  // one connection among them then leave in one write, not one each.
  void ScheduleFlush() {
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
    net::post(stream_.get_executor(), Guarded(&Session::ScheduledFlush));
  }

  void ScheduledFlush() {
    flush_scheduled_ = false;
    Flush();
  }

  // Writes every answer that is ready and owed next, in one write.
  void Flush() {
    if (writing_) return;
    out_.clear();
    closing_ = false;
    while (!answers_.empty() && answers_.front().ready) {
      Answer& answer = answers_.front();
      if (out_.empty()) {
        out_.swap(answer.wire);
      } else {
        out_.append(answer.wire);
      }
      closing_ = !answer.keep_alive;
      answers_.pop_front();
      ++answers_front_;
      if (closing_) break;  // nothing after the last answer (none was read)
    }
    if (out_.empty()) return;
    BeginWrite();
    net::async_write(stream_, net::buffer(out_), Guarded(&Session::OnWritten));
  }

  void BeginWrite() {
    writing_ = true;
    write_started_ns_ = core::MonotonicNowNs();
  }

  void OnWritten(beast::error_code ec, size_t) {
    writing_ = false;
    if (ec) return Close();
    last_activity_ns_ = core::MonotonicNowNs();
    if (closing_) return Drain();
    if (read_stopped_ && answers_.empty()) return Close();  // the peer left
    Flush();
    MaybeContinue();
    MaybeRead();
  }

  // ---- Closing -----------------------------------------------------------

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
    if (closed_) return;
    closed_ = true;
    watchdog_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  // Wakes every idle_timeout_s (at most): closes the connection when it has
  // owed nothing for that long (a request half sent counts as nothing), or
  // when a write has waited that long for the peer to read.
  void ArmWatchdog(uint64_t after_ns) {
    watchdog_.expires_after(std::chrono::nanoseconds(after_ns));
    watchdog_.async_wait(Guarded(&Session::OnWatchdog));
  }

  void OnWatchdog(beast::error_code ec) {
    if (ec || closed_) return;
    const uint64_t now = core::MonotonicNowNs();
    const uint64_t timeout = IdleTimeoutNs();
    uint64_t since = now;  // busy waiting on the ledger: nothing to time out
    if (writing_) {
      since = write_started_ns_;
    } else if (answers_.empty()) {
      since = last_activity_ns_;
    }
    if (now - since >= timeout) return Close();
    ArmWatchdog(timeout - (now - since));
  }

  beast::tcp_stream stream_;
  net::steady_timer watchdog_;
  beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  http::response<http::empty_body> interim_;  // 100 Continue
  std::deque<Answer> answers_;
  uint64_t answers_front_ = 0;  // the sequence number of answers_.front()
  std::string out_;             // the bytes being written
  Shared& shared_;
  const bool refuse_;  // answer 503 to the first request and close
  std::string peer_address_;  // see PeerAddress()
  bool reading_ = false;          // a request is being read
  bool in_read_loop_ = false;     // MaybeRead is on the stack
  bool read_again_ = false;       // MaybeRead was called from inside it
  bool held_ = false;             // the request in parser_ waits for DispatchHeld
  bool held_ordered_ = false;     // Router::OrderedByLedger of the held request
  size_t unready_ = 0;            // answers_ not ready yet
  size_t unready_unordered_ = 0;  // of which not ordered by the ledger
  bool read_stopped_ = false;     // no further request will be read
  bool continue_wanted_ = false;  // a 100 Continue waits for the answers owed
  bool writing_ = false;          // a write is in flight
  bool flush_scheduled_ = false;  // ScheduledFlush is queued on the strand
  bool closing_ = false;          // the write in flight holds the last answer
  bool closed_ = false;
  uint64_t header_ns_ = 0;  // when the request being read had its header
  uint64_t last_activity_ns_ = 0;
  uint64_t write_started_ns_ = 0;
  std::unique_ptr<char[]> drain_chunk_;
  size_t drained_bytes_ = 0;
};

void Session::Start() {
  net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
    self->last_activity_ns_ = core::MonotonicNowNs();
    self->ArmWatchdog(self->IdleTimeoutNs());
    try {
      self->MaybeRead();
    } catch (...) {
      self->Close();
    }
  });
}

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
