#pragma once

// The payments tests' system under test: a PaymentsService on a ledger on a
// store in a scratch directory, with a manual clock and no sweeper, that
// can be closed and opened again on the same files (a restart). Shared by
// the service's unit tests and its property test. Test-only.

#include <gtest/gtest.h>

#include <memory>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "core/scratch_dir.h"
#include "ledger/ledger_service.h"
#include "payments/payments_service.h"
#include "store/store.h"

namespace netfin::payments::test_support {

enum class Backend { kJournal, kSqlite };

// 2026-11-25T02:00:00Z: 10:00 on 2026-11-25 in China (UTC+8).
inline constexpr uint64_t kT0 = 1'795'572'000'000'000'000ull;

class ServiceOnScratchLedger {
 public:
  ServiceOnScratchLedger(PaymentsConfig config, Backend backend)
      : config_(std::move(config)), backend_(backend) {
    config_.settlement_dir = dir_.File("settlements");
    Open();
  }
  ~ServiceOnScratchLedger() { Close(); }
  ServiceOnScratchLedger(const ServiceOnScratchLedger&) = delete;
  ServiceOnScratchLedger& operator=(const ServiceOnScratchLedger&) = delete;

  // Recovers the service from what the store holds (a fresh store: nothing).
  void Open() {
    svc_ = std::make_unique<PaymentsService>(
        config_, key_, PaymentsServiceOptions{.clock = &clock_, .sweeper = false});
    if (screen_ != nullptr) svc_->SetScreen(screen_);
    for (NoticeChannel* channel : channels_) svc_->AddNoticeChannel(channel);
    const store::StoreOptions options{.durability = store::Durability::kAsync};
    auto store = backend_ == Backend::kJournal
                     ? store::OpenJournalStore(dir_.File("journal"), options)
                     : store::OpenSqliteStore(dir_.File("netfin.db"), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    PaymentsService* svc = svc_.get();
    auto ledger = ledger::LedgerService::Open(
        std::move(store).value(),
        {.clock = &clock_, .replay_event = [svc](const store::RoleEvent& e) { svc->Replay(e); }});
    ASSERT_TRUE(ledger.ok()) << ledger.status().ToString();
    ledger_ = std::move(ledger).value();
    const core::Status started = svc_->Start(*ledger_);
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  void Close() {
    if (svc_) svc_->Stop();
    if (ledger_) ledger_->Stop();
    ledger_.reset();
    svc_.reset();
  }

  void Restart() {
    Close();
    Open();
  }

  // A risk screen and reminder channels for every service opened from now
  // on (Restart to apply them to the running one). They outlive this.
  void UseScreen(PaymentScreen* screen) { screen_ = screen; }
  void AddNoticeChannel(NoticeChannel* channel) { channels_.push_back(channel); }

  PaymentsService& svc() { return *svc_; }
  ledger::LedgerService& ledger() { return *ledger_; }
  core::ManualClock& clock() { return clock_; }
  const PaymentsConfig& config() const { return config_; }
  const std::string& settlement_dir() const { return config_.settlement_dir; }

 private:
  core::ScratchDir dir_;
  PaymentsConfig config_;
  Backend backend_;
  core::ManualClock clock_{kT0};
  core::SecretKey key_ = core::SecretKey::Random();
  std::unique_ptr<PaymentsService> svc_;
  std::unique_ptr<ledger::LedgerService> ledger_;
  PaymentScreen* screen_ = nullptr;
  std::vector<NoticeChannel*> channels_;
};

}  // namespace netfin::payments::test_support
