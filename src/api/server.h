#pragma once

// The HTTP/1.1 server: a listener and one session per connection on a pool
// of io threads (Boost.Beast; only server.cc and http_client.cc include it).
//
// Session life (keep-alive, HTTP/1.1 pipelining):
//
//   read head ──► [Expect: 100-continue] ──► read body ──► Router::Handle ──► answer ready
//        ▲                                       │          (maybe later, through the ledger's
//        │                                       │           commit thread, posted back to
//        └── next request, while up to ──────────┘           the strand)        │
//            kHttpPipelineDepthMax are unanswered            write the ready answers, in
//                                                            request order, in one write
//
// A request is handed to the router before the earlier ones are answered
// only when both are decided by ledger commands queued in request order
// (Router::OrderedByLedger: the money-moving POSTs); anything else waits for
// the earlier answers, so a pipelined client sees exactly what it would see
// sending one request at a time (RFC 9112 §9.3.2).
//
// A connection owing no answer is closed after idle_timeout_s, as is one
// whose peer leaves an answer unread that long; a body over
// kRequestBodyBytesMax is answered 413 and the connection closed after
// draining what the client still sends (so that it can read the answer);
// past connections_max open connections a new one is answered 503 and
// closed. Each session runs on its own strand; a catch-all around every
// handler closes the connection on an unexpected exception, so none escapes
// an io thread.
//
// Lifecycle: construct, Start() once, Stop() (or destroy) once. Stop() stops
// the io threads, then waits for outstanding ledger callbacks so that none
// posts into a destroyed io_context. REQUIRES: the LedgerService outlives the
// Server. Thread-safe: port() and metrics() from any thread after Start().

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "api/metrics.h"
#include "api/router.h"
#include "core/limits.h"
#include "core/status.h"

namespace netfin::ledger {
class LedgerService;
}

namespace netfin::api {

struct ServerOptions {
  std::string host = "127.0.0.1";  // an address or a name that resolves to one
  uint16_t port = 0;               // 0: an ephemeral port; see Server::port()
  uint32_t threads = 2;            // io threads
  uint32_t idle_timeout_s = core::kHttpIdleTimeoutS;
  size_t connections_max = core::kHttpConnectionsMax;
};

class Server {
 public:
  // The ledger routes only, unauthenticated (in-process tests and benchmarks).
  Server(ledger::LedgerService& ledger, ServerOptions options);
  // Every route the services offer; authenticated when services.keys is set.
  Server(ApiServices services, ServerOptions options);
  ~Server();  // Stop()s
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the io threads. REQUIRES: called once.
  core::Status Start();
  // Stops accepting and serving. Idempotent.
  void Stop();

  // The bound port (the ephemeral one when options.port was 0).
  uint16_t port() const;
  Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netfin::api
