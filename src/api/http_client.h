#pragma once

// A small blocking HTTP/1.1 client over one keep-alive connection, for the
// CLI's `bench http`, the crash test, `make run`'s demo and the API's tests.
//
// Request() sends one request and waits for its response. When a reused
// connection turns out to have been closed by the server (idle timeout,
// restart) before any byte of the response arrived, it reconnects once and
// sends the request again; the ledger's ids make such a retry of a POST safe
// (a repeated event answers "exists"). Every read and write is bounded by
// timeout_ms.
//
// With a signer (SetSigner), every request carries the four Netfin-*
// signature headers (api/auth.h), computed afresh for every send: the resend
// after a reconnect gets a new timestamp and nonce, so the server's replay
// guard does not refuse it as a reused nonce.
//
// Not thread-safe: one client per thread.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace netfin::api {

class RequestSigner;  // api/auth.h

struct HttpClientOptions {
  uint32_t timeout_ms = 30'000;  // per read or write
};

struct ClientResponse {
  unsigned status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool keep_alive = true;

  // The value of the first header named name (any case), or "".
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Connects (or reconnects) to host:port; later requests go there.
  core::Status Connect(const std::string& host, uint16_t port);

  // Signs every later request with signer; nullptr: requests go unsigned.
  void SetSigner(std::shared_ptr<const RequestSigner> signer);

  // Sends one request. content_type is sent when not empty.
  core::Result<ClientResponse> Request(std::string_view method, std::string_view target,
                                       std::string_view body = {},
                                       std::string_view content_type = "application/json");
  // The same with more headers (Idempotency-Key, or hand-made signature
  // headers when no signer is set), sent in this order after the others. A
  // signer's headers replace any of the same name.
  // REQUIRES: no name or value contains CR or LF.
  core::Result<ClientResponse> Request(
      std::string_view method, std::string_view target, std::string_view body,
      std::string_view content_type,
      const std::vector<std::pair<std::string, std::string>>& extra_headers);
  core::Result<ClientResponse> Get(std::string_view target) { return Request("GET", target); }
  core::Result<ClientResponse> Post(std::string_view target, std::string_view body) {
    return Request("POST", target, body);
  }

  // Writes bytes as they are and reads one response (for tests of malformed
  // requests). Never retries.
  core::Result<ClientResponse> SendRaw(std::string_view bytes);
  // Reads the next response on the connection without sending anything:
  // after a SendRaw of several pipelined requests, the answers after the
  // first. Never retries.
  core::Result<ClientResponse> ReadNext();

  void Close();
  bool connected() const;
  // Connections made so far (1 while keep-alive holds).
  uint64_t connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netfin::api
