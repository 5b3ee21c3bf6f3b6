#include "api/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>

#include "api/auth.h"
#include "core/assert.h"

namespace netfin::api {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// The largest response the client reads: a full page of kQueryLimitMax
// transfers is about 5 MiB; this leaves a wide margin.
constexpr uint64_t kResponseBodyBytesMax = 256ull << 20;
// Attempts of one request: the first, and one more on a stale connection.
constexpr int kAttemptsMax = 2;

core::Status IoFailure(std::string_view what, const beast::error_code& ec) {
  return core::Unavailable(std::string(what) + ": " + ec.message());
}

beast::string_view ToBeast(std::string_view s) { return {s.data(), s.size()}; }
std::string_view FromBeast(beast::string_view s) { return {s.data(), s.size()}; }

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

int64_t UnixNowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Sets the four signature headers of request, signed now with a new nonce.
void Sign(const RequestSigner& signer, http::request<http::string_body>& request) {
  const SignatureHeaders headers = signer.Sign(
      FromBeast(request.method_string()), FromBeast(request.target()), request.body(), UnixNowS());
  request.set(ToBeast(kKeyHeader), headers.key_id);
  request.set(ToBeast(kTimestampHeader), headers.timestamp);
  request.set(ToBeast(kNonceHeader), headers.nonce);
  request.set(ToBeast(kSignatureHeader), headers.signature);
}

}  // namespace

std::string ClientResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (beast::iequals(key, beast::string_view(name.data(), name.size()))) return value;
  }
  return "";
}

struct HttpClient::Impl {
  explicit Impl(HttpClientOptions client_options) : options(client_options) {}

  // The outcome of one read of a response.
  struct ReadResult {
    beast::error_code ec;
    bool got_bytes = false;  // any byte of the response arrived
    ClientResponse response;
  };

  core::Status Open();
  void Close();
  // Runs the io_context until the operation started last completes; each
  // operation is bounded by the stream's timeout.
  void Run() {
    ioc.restart();
    ioc.run();
  }
  beast::error_code WriteBytes(std::string_view bytes);
  beast::error_code WriteRequest(const http::request<http::string_body>& request);
  ReadResult ReadResponse();
  // Sends request (signed afresh for each attempt when a signer is set), or
  // raw when request is null, and reads the response.
  core::Result<ClientResponse> Exchange(http::request<http::string_body>* request,
                                        std::string_view raw, bool retry_if_stale);

  const HttpClientOptions options;
  net::io_context ioc;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::string host;
  uint16_t port = 0;
  uint64_t connections = 0;
  uint64_t requests_on_connection = 0;
  std::shared_ptr<const RequestSigner> signer;
};

core::Status HttpClient::Impl::Open() {
  Close();
  if (host.empty()) return core::InvalidArgument("HttpClient: Connect() was not called");
  beast::error_code ec;
  tcp::resolver resolver(ioc);
  const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return IoFailure("resolve " + host, ec);
  stream.emplace(ioc);
  stream->expires_after(std::chrono::milliseconds(options.timeout_ms));
  stream->async_connect(endpoints,
                        [&ec](beast::error_code result, const tcp::endpoint&) { ec = result; });
  Run();
  if (ec) {
    stream.reset();
    return IoFailure("connect to " + host + ":" + std::to_string(port), ec);
  }
  beast::error_code ignored;
  stream->socket().set_option(tcp::no_delay(true), ignored);
  ++connections;
  requests_on_connection = 0;
  return core::Status::Ok();
}

void HttpClient::Impl::Close() {
  if (!stream) return;
  beast::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream->close();
  stream.reset();
  buffer.clear();
}

beast::error_code HttpClient::Impl::WriteBytes(std::string_view bytes) {
  beast::error_code ec;
  stream->expires_after(std::chrono::milliseconds(options.timeout_ms));
  net::async_write(*stream, net::buffer(bytes.data(), bytes.size()),
                   [&ec](beast::error_code result, size_t) { ec = result; });
  Run();
  return ec;
}

beast::error_code HttpClient::Impl::WriteRequest(const http::request<http::string_body>& request) {
  beast::error_code ec;
  stream->expires_after(std::chrono::milliseconds(options.timeout_ms));
  http::async_write(*stream, request, [&ec](beast::error_code result, size_t) { ec = result; });
  Run();
  return ec;
}

HttpClient::Impl::ReadResult HttpClient::Impl::ReadResponse() {
  ReadResult result;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyBytesMax);
  stream->expires_after(std::chrono::milliseconds(options.timeout_ms));
  http::async_read(*stream, buffer, parser,
                   [&result](beast::error_code ec, size_t) { result.ec = ec; });
  Run();
  result.got_bytes = parser.got_some();
  if (result.ec) return result;
  http::response<http::string_body> message = parser.release();
  result.response.status = message.result_int();
  result.response.keep_alive = message.keep_alive();
  for (const auto& field : message) {
    result.response.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
  }
  result.response.body = std::move(message.body());
  return result;
}

core::Result<ClientResponse> HttpClient::Impl::Exchange(http::request<http::string_body>* request,
                                                        std::string_view raw, bool retry_if_stale) {
  beast::error_code failure;
  for (int attempt = 0; attempt < kAttemptsMax; ++attempt) {
    if (!stream) NETFIN_RETURN_IF_ERROR(Open());
    const bool reused = requests_on_connection > 0;
    // A resend is a new request to the server's replay guard: new nonce.
    if (request != nullptr && signer != nullptr) Sign(*signer, *request);
    const beast::error_code write_ec = request ? WriteRequest(*request) : WriteBytes(raw);
    // Read even after a failed write: the server may have answered (413)
    // before it stopped reading.
    ReadResult read = ReadResponse();
    if (!read.ec) {
      ++requests_on_connection;
      if (!read.response.keep_alive) Close();
      return std::move(read.response);
    }
    Close();
    failure = write_ec ? write_ec : read.ec;
    const bool stale = reused && !read.got_bytes && read.ec != beast::error::timeout;
    if (!(retry_if_stale && stale)) break;
  }
  return IoFailure("HTTP exchange with " + host + ":" + std::to_string(port), failure);
}

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>(options)) {}

HttpClient::~HttpClient() { impl_->Close(); }

core::Status HttpClient::Connect(const std::string& host, uint16_t port) {
  impl_->host = host;
  impl_->port = port;
  return impl_->Open();
}

void HttpClient::SetSigner(std::shared_ptr<const RequestSigner> signer) {
  impl_->signer = std::move(signer);
}

core::Result<ClientResponse> HttpClient::Request(std::string_view method, std::string_view target,
                                                 std::string_view body,
                                                 std::string_view content_type) {
  return Request(method, target, body, content_type, {});
}

core::Result<ClientResponse> HttpClient::Request(
    std::string_view method, std::string_view target, std::string_view body,
    std::string_view content_type,
    const std::vector<std::pair<std::string, std::string>>& extra_headers) {
  http::request<http::string_body> request;
  request.method_string(beast::string_view(method.data(), method.size()));
  request.target(beast::string_view(target.data(), target.size()));
  request.version(11);
  request.set(http::field::host, impl_->host + ":" + std::to_string(impl_->port));
  request.set(http::field::user_agent, "netfin-http-client");
  if (!content_type.empty()) {
    request.set(http::field::content_type,
                beast::string_view(content_type.data(), content_type.size()));
  }
  for (const auto& [name, value] : extra_headers) {
    NETFIN_ASSERT(!name.empty() && !HasLineBreak(name) && !HasLineBreak(value));
    request.insert(ToBeast(name), value);
  }
  request.body() = std::string(body);
  request.keep_alive(true);
  request.prepare_payload();
  return impl_->Exchange(&request, {}, /*retry_if_stale=*/true);
}

core::Result<ClientResponse> HttpClient::SendRaw(std::string_view bytes) {
  return impl_->Exchange(nullptr, bytes, /*retry_if_stale=*/false);
}

core::Result<ClientResponse> HttpClient::ReadNext() {
  if (!impl_->stream) return core::Unavailable("HttpClient: not connected");
  Impl::ReadResult read = impl_->ReadResponse();
  if (read.ec) {
    impl_->Close();
    return IoFailure("HTTP read from " + impl_->host + ":" + std::to_string(impl_->port), read.ec);
  }
  if (!read.response.keep_alive) impl_->Close();
  return std::move(read.response);
}

void HttpClient::Close() { impl_->Close(); }

bool HttpClient::connected() const { return impl_->stream.has_value(); }

uint64_t HttpClient::connections() const { return impl_->connections; }

}  // namespace netfin::api
