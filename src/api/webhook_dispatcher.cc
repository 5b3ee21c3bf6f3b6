#include "api/webhook_dispatcher.h"

#include <charconv>
#include <ctime>

#include "api/auth.h"
#include "api/http_client.h"

namespace netfin::api {

// Nothing but http:// (merchant URLs are checked when the merchant is created).
std::optional<HttpUrl> ParseHttpUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) return std::nullopt;
  url.remove_prefix(kScheme.size());
  HttpUrl out;
  const size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) out.target = std::string(url.substr(slash));
  const size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos) {
    const std::string_view port = authority.substr(colon + 1);
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
    if (ec != std::errc() || end != port.data() + port.size()) return std::nullopt;
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return std::nullopt;
  out.host = std::string(authority);
  return out;
}

WebhookDispatcher::WebhookDispatcher(payments::PaymentsService& payments,
                                     WebhookDispatcherOptions options)
    : payments_(payments), options_(options) {}

WebhookDispatcher::~WebhookDispatcher() { Stop(); }

void WebhookDispatcher::Start() { thread_ = std::thread([this] { Loop(); }); }

void WebhookDispatcher::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void WebhookDispatcher::Loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    DeliverDue();
    lock.lock();
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_interval_ms));
  }
}

size_t WebhookDispatcher::DeliverDue() {
  const auto due = payments_.DueWebhooks(options_.batch_max);
  for (const auto& d : due) {
    std::string error;
    bool delivered = false;
    if (auto url = ParseHttpUrl(d.url)) {
      HttpClient client(HttpClientOptions{.timeout_ms = payments_.config().webhook_timeout_ms});
      core::Status connected = client.Connect(url->host, url->port);
      if (connected.ok()) {
        const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
        auto response = client.Request(
            "POST", url->target, d.body, "application/json",
            {{std::string(kWebhookSignatureHeader), WebhookSignatureHeader(d.secret, now_s, d.body)},
             {"Netfin-Webhook-Attempt", std::to_string(d.attempt)}});
        if (response.ok()) {
          delivered = response.value().status >= 200 && response.value().status < 300;
          if (!delivered) error = "HTTP " + std::to_string(response.value().status);
        } else {
          error = response.status().message();
        }
      } else {
        error = connected.message();
      }
    } else {
      error = "not an http:// URL";
    }
    payments_.RecordWebhookAttempt(d.event_sequence, delivered, error);
  }
  return due.size();
}

}  // namespace netfin::api
