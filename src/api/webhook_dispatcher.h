#pragma once

// WebhookDispatcher: delivers the payments role's webhook outbox.
//
// A thread asks the role for the deliveries that are due, POSTs each to its
// merchant's URL with a Netfin-Webhook-Signature header (HMAC-SHA256 over
// "timestamp.body", api/auth.h) and records the outcome through the ledger:
// a 2xx answer acknowledges the event; anything else (a refusal, a timeout,
// no connection) schedules the next attempt with exponential backoff, until
// the configured number of attempts is spent. The outbox is durable, so
// deliveries survive restarts; a merchant may see an event twice (after a
// crash between its 2xx and our record), never zero times, and
// deduplicates by the event id.

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "payments/payments_service.h"

namespace netfin::api {

// A webhook URL, parsed: http://host[:port][/path] and nothing else. The
// node's notice webhook (cli/notice_channels.h) parses its URL with it too.
struct HttpUrl {
  std::string host;
  uint16_t port = 80;
  std::string target = "/";
};
std::optional<HttpUrl> ParseHttpUrl(std::string_view url);

struct WebhookDispatcherOptions {
  uint32_t poll_interval_ms = 200;
  uint32_t batch_max = 64;
};

class WebhookDispatcher {
 public:
  WebhookDispatcher(payments::PaymentsService& payments, WebhookDispatcherOptions options = {});
  ~WebhookDispatcher();  // Stop()s

  void Start();
  void Stop();
  // One round of deliveries now (tests). Returns how many were attempted.
  size_t DeliverDue();

 private:
  void Loop();

  payments::PaymentsService& payments_;
  WebhookDispatcherOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace netfin::api
