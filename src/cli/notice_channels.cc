#include "cli/notice_channels.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/auth.h"
#include "api/http_client.h"
#include "api/webhook_dispatcher.h"
#include "core/assert.h"

namespace netfin::cli {
namespace {

void WriteString(rapidjson::Writer<rapidjson::StringBuffer>& w, std::string_view key,
                 std::string_view value) {
  w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

core::Status Errno(std::string_view what, const std::string& path) {
  return core::IoError(fmt::format("{} {}: {}", what, path, std::strerror(errno)));
}

}  // namespace

std::string NoticeJson(std::string_view channel, const payments::Notice& notice) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  WriteString(w, "channel", channel);
  w.Key("sequence");
  w.Uint64(notice.sequence);
  WriteString(w, "payment_id", notice.payment_id.ToDecimal());
  WriteString(w, "customer_id", notice.customer_id.ToDecimal());
  WriteString(w, "phone", notice.phone_masked);
  WriteString(w, "text", notice.text);
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// ---- FileNoticeChannel

core::Result<std::unique_ptr<FileNoticeChannel>> FileNoticeChannel::Open(std::string name,
                                                                         const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("cannot open", path);
  return std::unique_ptr<FileNoticeChannel>(new FileNoticeChannel(std::move(name), path, fd));
}

FileNoticeChannel::~FileNoticeChannel() { ::close(fd_); }

core::Status FileNoticeChannel::Deliver(const payments::Notice& notice) {
  const std::string line = NoticeJson(name_, notice) + "\n";
  std::lock_guard lock(mutex_);
  // One write of the whole line (O_APPEND): readers never see half a line
  // from this process. A short write is an error; the retry appends again,
  // so a reader may see a line twice and must go by its sequence.
  const ssize_t written = ::write(fd_, line.data(), line.size());
  if (written != static_cast<ssize_t>(line.size())) return Errno("cannot append to", path_);
  if (::fdatasync(fd_) != 0) return Errno("cannot sync", path_);
  return core::Status::Ok();
}

// ---- WebhookNoticeChannel

core::Result<std::unique_ptr<WebhookNoticeChannel>> WebhookNoticeChannel::Make(
    std::string name, NoticeWebhookOptions options) {
  // Port 0 parses but can never be connected to: refused here, once.
  std::optional<api::HttpUrl> url = api::ParseHttpUrl(options.url);
  if (!url || url->port == 0) {
    return core::InvalidArgument(
        fmt::format("notice webhook '{}' is not http://host[:port][/path]", options.url));
  }
  return std::unique_ptr<WebhookNoticeChannel>(new WebhookNoticeChannel(
      std::move(name), std::move(options), url->host, url->port, url->target));
}

core::Status WebhookNoticeChannel::Deliver(const payments::Notice& notice) {
  const std::string body = NoticeJson(name_, notice);
  std::lock_guard lock(mutex_);
  api::HttpClient client(api::HttpClientOptions{.timeout_ms = options_.timeout_ms});
  NETFIN_RETURN_IF_ERROR(client.Connect(host_, port_));
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Netfin-Notice-Channel", name_}, {"Netfin-Notice-Sequence", std::to_string(notice.sequence)}};
  if (!options_.secret.empty()) {
    const int64_t now_s = static_cast<int64_t>(std::time(nullptr));
    headers.emplace_back(std::string(api::kWebhookSignatureHeader),
                         api::WebhookSignatureHeader(options_.secret, now_s, body));
  }
  core::Result<api::ClientResponse> response =
      client.Request("POST", target_, body, "application/json", headers);
  if (!response.ok()) return response.status();
  const unsigned status = response.value().status;
  if (status < 200 || status >= 300) {
    return core::Unavailable(fmt::format("notice webhook {}: HTTP {}", options_.url, status));
  }
  return core::Status::Ok();
}

}  // namespace netfin::cli
