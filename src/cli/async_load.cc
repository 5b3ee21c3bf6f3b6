#include "cli/async_load.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <mutex>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <fmt/format.h>

#include "core/clock.h"

namespace netfin::cli {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

// What every connection shares: the request counter, the results.
struct Shared {
  Shared(const LoadOptions& o, const MakeRequest& m) : options(o), make(m) {}
  const LoadOptions& options;
  const MakeRequest& make;
  uint64_t start_ns = 0;  // set before the first request; request times count from it
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

// Where the answer at the front of `in` ends, and its status. The load
// client reads answers with this rather than Beast's parser, which built a
// header container per answer: on the 2-core machine the client's time is
// taken from the server it measures. netfin's server always frames an
// answer with Content-Length; an answer framed otherwise (chunked, or no
// length) is reported as a failure, not guessed at.
struct AnswerFrame {
  unsigned status = 0;
  size_t bytes = 0;  // head and body
  size_t body_at = 0;
};
enum class Framing { kNeedMore, kWhole, kBad };

Framing FrameAnswer(std::string_view in, AnswerFrame* frame, std::string* why) {
  constexpr size_t kHeadBytesMax = 64 * 1024;
  const size_t head_end = in.find("\r\n\r\n");
  if (head_end == std::string_view::npos) {
    if (in.size() <= kHeadBytesMax) return Framing::kNeedMore;
    *why = "answer head longer than 64 KiB";
    return Framing::kBad;
  }
  const std::string_view head = in.substr(0, head_end);
  constexpr std::string_view kVersion = "HTTP/1.1 ";
  if (!head.starts_with(kVersion) || head.size() < kVersion.size() + 3 ||
      !std::all_of(head.begin() + kVersion.size(), head.begin() + kVersion.size() + 3,
                   [](char c) { return c >= '0' && c <= '9'; })) {
    *why = "bad status line: " + std::string(head.substr(0, head.find("\r\n")));
    return Framing::kBad;
  }
  const char* code = head.data() + kVersion.size();
  frame->status = static_cast<unsigned>((code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0'));
  std::optional<size_t> length;
  for (size_t at = head.find("\r\n"); at != std::string_view::npos;) {
    const size_t next = head.find("\r\n", at + 2);
    const std::string_view line = head.substr(at + 2, next == std::string_view::npos ? next : next - at - 2);
    at = next;
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const beast::string_view name(line.data(), colon);  // Beast's view, for iequals
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    if (beast::iequals(name, "transfer-encoding")) {
      *why = "answer framed by Transfer-Encoding, not Content-Length";
      return Framing::kBad;
    }
    if (!beast::iequals(name, "content-length")) continue;
    size_t n = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (ec != std::errc() || end != value.data() + value.size()) {
      *why = "bad Content-Length: " + std::string(value);
      return Framing::kBad;
    }
    length = n;
  }
  if (!length) {
    *why = "answer without Content-Length";
    return Framing::kBad;
  }
  frame->body_at = head_end + 4;
  frame->bytes = frame->body_at + *length;
  return in.size() >= frame->bytes ? Framing::kWhole : Framing::kNeedMore;
}

// One keep-alive connection: keeps up to `pipeline` requests in flight,
// written back to back (those made while a write is under way go out
// together in the next), and reads the answers in order. Requests and
// answers are plain HTTP/1.1 text; the request is written by hand (no
// serializer per request) so that the client stays cheap next to the
// server it measures.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // The connection's handlers (read, write, pacing) run on a strand of its
  // own, so that with several client threads no two run at once.
  Connection(net::io_context& ioc, Shared& shared, uint32_t index)
      : stream_(net::make_strand(ioc)),
        pacer_(stream_.get_executor()),
        shared_(shared),
        index_(index) {
    in_.reserve(2 * kReadBufferBytes);
  }

  beast::tcp_stream& stream() { return stream_; }

  // Fills the pipeline from this connection's share of the requests.
  void SendMore() {
    // Each connection sends its own share, so that what one connection's
    // requests need (a customer's balance) is known in advance.
    const LoadOptions& o = shared_.options;
    const uint64_t share = o.requests / o.connections + (index_ < o.requests % o.connections);
    const uint64_t now_ns = core::MonotonicNowNs();
    while (sent_ < share && counted_from_ns_.size() < std::max<uint32_t>(1, o.pipeline)) {
      const uint64_t due_ns = o.rate > 0 ? DueNs(sent_) : now_ns;
      if (due_ns > now_ns) {
        Pace(due_ns, now_ns);
        break;
      }
      AppendRequest(shared_.make(index_, sent_++), &queued_);
      counted_from_ns_.push_back(due_ns);
    }
    Write();
    if (!reading_ && !counted_from_ns_.empty()) ReadAnswer();
  }

 private:
  static constexpr size_t kReadBufferBytes = 16 * 1024;
  // A paced connection wakes at most this often and sends what has come
  // due: a timer per request (every 80 us per connection at 50,000/s over
  // four) would spend the client's CPU on wakeups. The wait is inside each
  // request's latency, so it can only make the figure worse.
  static constexpr uint64_t kPaceGranularityNs = 200'000;

  // When this connection's i-th request is due: connections take turns.
  uint64_t DueNs(uint64_t i) const {
    const LoadOptions& o = shared_.options;
    const double n = static_cast<double>(i * o.connections + index_);
    return shared_.start_ns + static_cast<uint64_t>(n * 1e9 / o.rate);
  }

  // Sends again once the next request is due (not sooner than the
  // granularity); one timer at a time.
  void Pace(uint64_t due_ns, uint64_t now_ns) {
    if (pacing_) return;
    pacing_ = true;
    const uint64_t wake_ns = std::max(due_ns, now_ns + kPaceGranularityNs);
    pacer_.expires_after(std::chrono::nanoseconds(wake_ns - now_ns));
    pacer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->pacing_ = false;
      if (!ec) self->SendMore();
    });
  }

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

  // Reads more bytes, then takes every whole answer they complete.
  void ReadAnswer() {
    reading_ = true;
    stream_.async_read_some(in_.prepare(kReadBufferBytes),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->in_.commit(n);
                              self->OnRead(ec);
                            });
  }

  void OnRead(beast::error_code ec) {
    reading_ = false;
    if (ec) return shared_.Broken("read: " + ec.message());
    // Every answer already here is taken before the next write, so that the
    // requests they make room for leave together in one write.
    const std::string_view in(static_cast<const char*>(in_.data().data()), in_.size());
    size_t taken = 0;
    while (!counted_from_ns_.empty()) {
      AnswerFrame frame;
      std::string why;
      const std::string_view rest = in.substr(taken);
      const Framing framing = FrameAnswer(rest, &frame, &why);
      if (framing == Framing::kBad) return shared_.Broken("read: " + why);
      if (framing == Framing::kNeedMore) break;
      Record(frame.status, rest.substr(frame.body_at, frame.bytes - frame.body_at));
      taken += frame.bytes;
    }
    in_.consume(taken);
    if (counted_from_ns_.empty() && in_.size() != 0) return shared_.Broken("read: an answer nobody asked for");
    SendMore();
  }

  // The answer (status, body) is the oldest request's.
  void Record(unsigned status, std::string_view body) {
    const bool ok = status == shared_.options.expect_status;
    shared_.Record(core::MonotonicNowNs() - counted_from_ns_.front(), ok,
                   ok ? std::string() : fmt::format("HTTP {} {}", status, body));
    counted_from_ns_.pop_front();
  }

  beast::tcp_stream stream_;
  net::steady_timer pacer_;  // with a rate: wakes the connection when requests come due
  Shared& shared_;
  const uint32_t index_;
  uint64_t sent_ = 0;
  // Of the requests in flight, oldest first: where each one's latency counts
  // from (when it was sent, or with a rate when it was due).
  std::deque<uint64_t> counted_from_ns_;
  std::string queued_;               // requests made while a write was under way
  std::string out_;                  // the bytes being written
  bool writing_ = false;
  bool reading_ = false;
  bool pacing_ = false;
  beast::flat_buffer in_;  // bytes read and not yet taken as answers
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
  shared.start_ns = start_ns;
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
