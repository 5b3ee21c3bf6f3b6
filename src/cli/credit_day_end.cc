#include "cli/credit_day_end.h"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <utility>

#include <spdlog/spdlog.h>
#include <toml++/toml.h>

#include "core/assert.h"
#include "core/files.h"
#include "credit/credit_limits.h"

namespace netfin::cli {
namespace {

// A config file larger than this is a mistake, not a configuration.
constexpr size_t kConfigBytesMax = 16 * 1024 * 1024;
// The longest check interval: a day (a day-end a day late is still right,
// just late).
constexpr int64_t kCheckIntervalSMax = 86'400;

credit::CreditReply Unavailable(std::string message) {
  credit::CreditReply r;
  r.error = credit::CreditError::kUnavailable;
  r.message = std::move(message);
  return r;
}

// Takes the node's keys out of the [credit] table into *config.
core::Status TakeNodeKeys(toml::table* credit, CreditNodeConfig* config) {
  if (const toml::node* node = credit->get("day_end_schedule")) {
    if (!node->is_boolean()) return core::InvalidArgument("credit.day_end_schedule: true or false");
    config->day_end_schedule = node->value_or(true);
    credit->erase("day_end_schedule");
  }
  if (const toml::node* node = credit->get("day_end_check_s")) {
    const std::optional<int64_t> s = node->value<int64_t>();
    if (!node->is_integer() || !s || *s < 1 || *s > kCheckIntervalSMax) {
      return core::InvalidArgument("credit.day_end_check_s: an integer 1..86400");
    }
    config->day_end_check_s = static_cast<uint32_t>(*s);
    credit->erase("day_end_check_s");
  }
  if (const toml::node* node = credit->get("model")) {
    if (!node->is_string() || node->value_or(std::string()).empty()) {
      return core::InvalidArgument("credit.model: the path of a model from `netfin train credit`");
    }
    config->model_path = node->value_or(std::string());
    credit->erase("model");
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<CreditNodeConfig> ParseCreditNodeConfig(std::string_view toml_text) {
  toml::table root;
  try {
    root = toml::parse(toml_text);
  } catch (const toml::parse_error& e) {
    return core::InvalidArgument(std::string("config: ") + std::string(e.description()));
  }
  CreditNodeConfig config;
  if (toml::table* credit = root["credit"].as_table()) {
    NETFIN_RETURN_IF_ERROR(TakeNodeKeys(credit, &config));
  }
  std::ostringstream rest;
  rest << root;
  core::Result<credit::CreditPolicy> policy = credit::ParseCreditConfig(rest.str());
  if (!policy.ok()) return policy.status();
  config.policy = std::move(policy).value();
  return config;
}

core::Result<CreditNodeConfig> LoadCreditNodeConfig(const std::string& path) {
  if (path.empty()) return ParseCreditNodeConfig("");
  core::Result<std::string> text = core::ReadWholeFile(path, kConfigBytesMax);
  if (!text.ok()) return text.status();
  return ParseCreditNodeConfig(*text);
}

CreditDayEndRunner::CreditDayEndRunner(credit::CreditService& credit, CreditDayEndOptions options)
    : credit_(credit),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : &system_clock_) {
  NETFIN_ASSERT(options_.check_interval_ms > 0);
}

CreditDayEndRunner::~CreditDayEndRunner() { Stop(); }

void CreditDayEndRunner::Start() {
  NETFIN_ASSERT(!thread_.joinable());
  thread_ = std::thread([this] { Loop(); });
}

void CreditDayEndRunner::Stop() {
  std::deque<Request> unanswered;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    unanswered.swap(requests_);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (Request& r : unanswered) r.done(Unavailable("the node is stopping"));
}

void CreditDayEndRunner::RunDay(const credit::CreditCall& call, core::CivilDate date, DoneFn done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_ && thread_.joinable() && requests_.size() < kRequestsQueuedMax) {
      requests_.push_back({call, date, std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  done(Unavailable("the day-end runner is stopped or busy; retry shortly"));
}

std::vector<core::CivilDate> CreditDayEndRunner::RunDueDayEnds() {
  const core::CivilDate yesterday = core::ChinaDate(clock_->NowNs()).AddDays(-1);
  std::vector<core::CivilDate> ran;
  for (int step = 0; step < kCatchUpStepsMax; ++step) {
    const core::CivilDate open = credit_.OpenDate();
    // Current, or moved ahead of the calendar on purpose: nothing to do.
    if (open > yesterday) break;
    const core::CivilDate date =
        std::min(yesterday, open.AddDays(static_cast<int32_t>(credit::kRunDayCatchUpDaysMax) - 1));
    const credit::CreditReply reply = credit_.RunDay(credit::CreditCall{}, date);
    if (!reply.ok()) {
      spdlog::error("credit: the scheduled day-end of {} failed ({}): {}; retrying at the next check",
                    date.ToString(), reply.code(), reply.message);
      break;
    }
    spdlog::info("credit: day-end of {} (scheduled): {}", date.ToString(), reply.body);
    ran.push_back(date);
    std::lock_guard lock(mutex_);
    ++scheduled_runs_;
  }
  return ran;
}

uint64_t CreditDayEndRunner::scheduled_runs() const {
  std::lock_guard lock(mutex_);
  return scheduled_runs_;
}

void CreditDayEndRunner::Loop() {
  const auto interval = std::chrono::milliseconds(options_.check_interval_ms);
  auto next_check = std::chrono::steady_clock::now();  // at once, then every interval
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (!requests_.empty()) {
      Request r = std::move(requests_.front());
      requests_.pop_front();
      lock.unlock();
      credit::CreditReply reply = credit_.RunDay(r.call, r.date);
      if (reply.ok()) spdlog::info("credit: day-end of {} (requested): {}", r.date.ToString(), reply.body);
      r.done(std::move(reply));
      lock.lock();
      continue;
    }
    if (options_.schedule && std::chrono::steady_clock::now() >= next_check) {
      lock.unlock();
      RunDueDayEnds();
      lock.lock();
      next_check = std::chrono::steady_clock::now() + interval;
      continue;
    }
    const auto woken = [this] { return stopping_ || !requests_.empty(); };
    if (options_.schedule) {
      wake_.wait_until(lock, next_check, woken);
    } else {
      wake_.wait(lock, woken);
    }
  }
}

}  // namespace netfin::cli
