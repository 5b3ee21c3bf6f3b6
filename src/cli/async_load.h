#pragma once

// An asynchronous HTTP/1.1 load generator for the `netfin bench` commands:
// many keep-alive connections driven by one io thread (or a few), each
// sending its next request as soon as the previous answer arrived, or, with
// pipeline > 1, keeping that many requests in flight (HTTP/1.1 pipelining:
// the requests go out back to back, the answers come back in order).
//
// With a rate, the load is offered rather than closed: request n (counted
// across connections, which take turns) is due at start + n / rate, and is
// sent then unless its connection already has `pipeline` in flight. Its
// latency counts from when it was due, not from when it went out, so a
// server that falls behind is charged for the wait it causes (no
// "coordinated omission"); "p99 at a load of 50,000/s" is measured so.
//
// A thread per connection, as the blocking api::HttpClient needs, spends
// the machine on context switches once there are dozens of connections; on
// the 2-core benchmark machine the client shares the cores with the server,
// so the client has to be cheap for the server's figure to mean anything.

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace netfin::cli {

struct LoadRequest {
  std::string method;
  std::string target;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

struct LoadOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  uint32_t connections = 64;
  uint64_t requests = 0;     // in all; connection c sends requests / connections, and one
                             // more when c < requests % connections
  uint32_t threads = 1;      // io threads of the client
  uint32_t pipeline = 1;     // requests in flight per connection (1: wait for each answer)
  unsigned expect_status = 200;  // an answer with another status counts as failed
  double rate = 0;           // requests per second offered in all; 0: closed loop
};

struct LoadResult {
  uint64_t done = 0;    // answers received
  uint64_t failed = 0;  // answers with another status, plus transport errors
  double seconds = 0;
  std::vector<uint64_t> latencies_ns;  // one per answer
  std::string first_failure;           // status and body (or the error) of the first failure
};

// Makes the request a connection sends as its i-th (0-based). Called on an
// io thread of the client, so it must be thread-safe when threads > 1; each
// call may sign afresh.
using MakeRequest = std::function<LoadRequest(uint32_t connection, uint64_t i)>;

// Connects every connection, then sends options.requests requests in all and
// waits for every answer. Transport failures end that connection.
core::Result<LoadResult> RunLoad(const LoadOptions& options, const MakeRequest& make);

}  // namespace netfin::cli
