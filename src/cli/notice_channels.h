#pragma once

// The channels safe-transaction reminders go out through (payments::
// NoticeChannel), as adapters a node wires in:
//
// - FileNoticeChannel: the default. Appends one JSON line per reminder to a
//   file (`<db>.notices/sms.jsonl`, `push.jsonl`), synced before Deliver
//   returns, so that a reminder reported delivered is on disk. Stands in for
//   an SMS or push gateway on a demonstration or test machine.
// - WebhookNoticeChannel: POSTs the same JSON to a URL (a gateway's), signed
//   as merchant webhooks are (Netfin-Webhook-Signature, api/auth.h) when a
//   secret is given; a 2xx answer is a delivery, anything else an error the
//   payments service retries at its next sweep.
//
// The JSON: {"channel","sequence","payment_id","customer_id","phone","text"}
// with ids as decimal strings and the phone masked ("138****5678").
//
// Threading: Deliver is called from the payments service's sweeper thread;
// each adapter also serialises its own calls.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "core/status.h"
#include "payments/payments_service.h"

namespace netfin::cli {

// The reminder as one JSON object (no newline).
std::string NoticeJson(std::string_view channel, const payments::Notice& notice);

class FileNoticeChannel final : public payments::NoticeChannel {
 public:
  // Opens (creating, appending) path. kIoError when it cannot.
  static core::Result<std::unique_ptr<FileNoticeChannel>> Open(std::string name,
                                                               const std::string& path);
  ~FileNoticeChannel() override;

  std::string_view name() const override { return name_; }
  core::Status Deliver(const payments::Notice& notice) override;

 private:
  FileNoticeChannel(std::string name, std::string path, int fd)
      : name_(std::move(name)), path_(std::move(path)), fd_(fd) {}

  const std::string name_;
  const std::string path_;
  std::mutex mutex_;
  int fd_;  // GUARDED_BY(mutex_) for writes
};

struct NoticeWebhookOptions {
  std::string url;     // http://host[:port][/path]
  std::string secret;  // empty: unsigned
  uint32_t timeout_ms = 5'000;
};

class WebhookNoticeChannel final : public payments::NoticeChannel {
 public:
  // kInvalidArgument when the URL is not http://host[:port][/path].
  static core::Result<std::unique_ptr<WebhookNoticeChannel>> Make(std::string name,
                                                                  NoticeWebhookOptions options);

  std::string_view name() const override { return name_; }
  core::Status Deliver(const payments::Notice& notice) override;

 private:
  WebhookNoticeChannel(std::string name, NoticeWebhookOptions options, std::string host,
                       uint16_t port, std::string target)
      : name_(std::move(name)),
        options_(std::move(options)),
        host_(std::move(host)),
        port_(port),
        target_(std::move(target)) {}

  const std::string name_;
  const NoticeWebhookOptions options_;
  const std::string host_;
  const uint16_t port_;
  const std::string target_;
  std::mutex mutex_;  // one delivery at a time
};

}  // namespace netfin::cli
