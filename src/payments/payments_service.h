#pragma once

// PaymentsService: the third-party payment role on top of the ledger.
//
// Every operation is a ledger Command (ledger/command.h): it runs on the
// ledger's applier thread, checks everything first, then moves money as one
// linked chain of transfers and records the role's events in the same
// batch, and answers once that batch is durable. So a payment is charged
// exactly once: its transfers, its new state and its Idempotency-Key record
// are one storage transaction. Reads run as commands too, so they see every
// earlier write and are answered only after it is durable.
//
// Authorization is decided here, per operation, from the Principal the API
// authenticated: a customer acts on their own wallet and payments only, a
// merchant on its own orders and settlements only, the operator on all.
// Asking for a resource one may not see answers kForbidden whether or not
// it exists, so a refusal reveals nothing.
//
// Thread-safe: every public method may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/crypto.h"
#include "ledger/ledger_service.h"
#include "payments/config.h"
#include "payments/model.h"
#include "payments/payments_state.h"
#include "payments/screen.h"

namespace netfin::payments {

// An operation's answer: an error code with a message, or a JSON body.
struct Reply {
  PaymentsError error = PaymentsError::kOk;
  std::string message;     // for errors
  uint16_t http_status = 200;  // 200 or 201 for successes; set by the API for errors
  std::string body;        // JSON (or CSV for settlement files)
  bool replayed = false;   // answered from an Idempotency-Key record
  bool holds_secret = false;  // the body shows a secret: its Idempotency-Key record is sealed
};
using ReplyFn = std::function<void(Reply)>;

// Where a customer's request came from, as the app reports it in the signed
// body ("client": {"device_id", "ip", "lat", "lon"}); the API puts the TCP
// peer's address in ip when the body has none. Only keyed hashes of device
// and address are kept.
struct ClientInput {
  std::string device_id;
  std::string ip;
  std::optional<double> lat_deg;  // both or neither
  std::optional<double> lon_deg;
};

// What every call carries besides its own fields.
struct Call {
  Principal principal;
  std::string idempotency_key;  // POSTs: required (1..255 printable ASCII)
  std::string fingerprint;      // SHA-256 of the request (method, target, body)
  ClientInput client;           // payments and transfers: fed to the risk screen
};

// A safe-transaction reminder waiting in the notification outbox.
struct Notice {
  uint64_t sequence = 0;    // the outbox key (the challenge event's sequence)
  Id128 payment_id;
  Id128 customer_id;
  std::string phone_masked;  // "138****5678"
  std::string text;          // the reminder, the one-time code included
  uint32_t attempts = 0;     // deliveries tried so far
};

// A channel a reminder goes out through (SMS, app push): an adapter to a
// gateway. Deliver is called from the sweeper thread; a failure is retried
// at the next sweep.
class NoticeChannel {
 public:
  virtual ~NoticeChannel() = default;
  virtual std::string_view name() const = 0;  // "sms", "push"
  virtual core::Status Deliver(const Notice& notice) = 0;
};

struct PersonalInput {
  std::string name;
  std::string phone;
  std::string id_number;
  std::string bank_account;
};

struct NewCustomer {
  PersonalInput personal;
  uint8_t tier = 1;
  std::string currency = "CNY";
};

struct NewMerchant {
  PersonalInput personal;  // the legal representative's, and the settlement bank account
  std::optional<uint32_t> fee_bps;
  std::string webhook_url;
  std::string currency = "CNY";
};

struct MoneyInput {
  Id128 customer_id;      // the wallet (the sender of a wallet transfer)
  Id128 counterparty_id;  // the receiving wallet of a wallet transfer
  core::AmountMinor amount = 0;
  std::string currency;
};

struct NewPayment {
  Id128 merchant_id;  // required when a customer pays directly
  core::AmountMinor amount = 0;
  std::string currency;
  std::string description;
  std::optional<uint64_t> expires_in_s;
};

struct NewRefund {
  Id128 payment_id;
  std::optional<core::AmountMinor> amount;  // absent: everything not yet refunded
  std::string reason;
};

// A page request: ids after `after` (exclusive), at most limit.
struct PageInput {
  Id128 after;
  uint32_t limit = 100;
};

struct PaymentsServiceOptions {
  const core::Clock* clock = nullptr;     // nullptr: the system clock
  uint32_t sweep_interval_ms = 1000;      // order expiry and key pruning
  bool sweeper = true;                    // run the background sweeper thread
};

// The platform's reserve account (its customers' money at the custodian
// bank) in a currency ledger: derived from the master key, so other roles
// that move money into wallets (credit) can book the custodian's cash leg
// without reading this role's tables.
Id128 ReserveAccountId(const core::SecretKey& master_key, uint32_t ledger);

class PaymentsService {
 public:
  // REQUIRES: master_key outlives the service.
  PaymentsService(PaymentsConfig config, const core::SecretKey& master_key,
                  PaymentsServiceOptions options = {});
  ~PaymentsService();

  // The risk screen every payment and wallet transfer is decided by, and
  // the channels reminders go out through (every channel gets each
  // reminder). REQUIRES: before Replay and Start; outlive the service.
  void SetScreen(PaymentScreen* screen) { screen_ = screen; }
  void AddNoticeChannel(NoticeChannel* channel) { notice_channels_.push_back(channel); }

  // Recovery: feed every durable payments role event (LedgerServiceOptions::
  // replay_event), before Start.
  void Replay(const store::RoleEvent& event);

  // Opens the platform's accounts on first start, then starts the sweeper.
  // REQUIRES: ledger outlives the service (or Stop is called first).
  core::Status Start(ledger::LedgerService& ledger);
  void Stop();

  // ---- parties (operator)
  void CreateCustomer(const Call& call, NewCustomer input, ReplyFn reply);
  void SetCustomerTier(const Call& call, Id128 customer_id, uint8_t tier, ReplyFn reply);
  void CreateMerchant(const Call& call, NewMerchant input, ReplyFn reply);
  void GetCustomer(const Call& call, Id128 customer_id, ReplyFn reply);
  void GetWallet(const Call& call, Id128 customer_id, ReplyFn reply);
  void GetMerchant(const Call& call, Id128 merchant_id, ReplyFn reply);
  void ListMovements(const Call& call, Id128 customer_id, PageInput page, ReplyFn reply);
  // The ledger account of a party, for another role's request that the API
  // resolves (a role never reads another's tables): a customer's wallet
  // (party_role kCustomer) or a merchant's account (kMerchant). A customer
  // may ask for its own wallet and for any merchant's account (it may pay
  // any merchant), a merchant for its own account, the operator for any;
  // refused as GetCustomer and GetMerchant refuse. account_id is zero
  // unless the reply is ok.
  using PartyAccountFn = std::function<void(Reply reply, Id128 account_id)>;
  void FindPartyAccount(const Call& call, PrincipalRole party_role, Id128 party_id,
                        PartyAccountFn reply);

  // ---- money movements
  void TopUp(const Call& call, MoneyInput input, ReplyFn reply);
  void Withdraw(const Call& call, MoneyInput input, ReplyFn reply);
  void TransferBetweenWallets(const Call& call, MoneyInput input, ReplyFn reply);

  // ---- payments: a merchant creates an order; a customer creates one
  // addressed to a merchant and pays it at once (scanning a static code).
  void CreatePayment(const Call& call, NewPayment input, ReplyFn reply);
  void PayPayment(const Call& call, Id128 payment_id, ReplyFn reply);
  void CancelPayment(const Call& call, Id128 payment_id, ReplyFn reply);
  void GetPayment(const Call& call, Id128 payment_id, ReplyFn reply);
  void ListPayments(const Call& call, PageInput page, ReplyFn reply);
  void CreateRefund(const Call& call, NewRefund input, ReplyFn reply);
  void ListRefunds(const Call& call, Id128 payment_id, ReplyFn reply);

  // ---- risk: a challenged payment (requires_confirmation) is held as a
  // pending transfer until its payer confirms the one-time code of the
  // safe-transaction reminder, declines, or lets it lapse.
  void ConfirmPayment(const Call& call, Id128 payment_id, std::string code, ReplyFn reply);
  void DeclinePayment(const Call& call, Id128 payment_id, ReplyFn reply);
  // Cases (operator): challenged and denied payments, newest last; an
  // analyst labels each fraud or genuine; every screened payment with its
  // label exported as a labelled log in PaySim's columns (CSV), which
  // `netfin train fraud --data` reads.
  void ListRiskCases(const Call& call, PageInput page, ReplyFn reply);
  void LabelRiskCase(const Call& call, Id128 payment_id, CaseLabel label, ReplyFn reply);
  void ExportRiskLabels(const Call& call, ReplyFn reply);

  // ---- settlement (operator runs; merchants read their own)
  // early: settle the current business day up to now (an early close, e.g.
  // before a shutdown or in a demonstration); its later payments go into
  // the next day's settlement.
  void RunSettlement(const Call& call, int32_t business_date, bool early, ReplyFn reply);
  void MarkSettlementPaid(const Call& call, Id128 settlement_id, ReplyFn reply);
  void GetSettlement(const Call& call, Id128 settlement_id, ReplyFn reply);
  void ListSettlements(const Call& call, PageInput page, ReplyFn reply);
  // The settlement file (CSV): one line per payment and refund, then totals.
  void GetSettlementFile(const Call& call, Id128 settlement_id, ReplyFn reply);

  // ---- reconciliation (operator): reserve against the liabilities.
  void GetReconciliation(const Call& call, ReplyFn reply);

  // ---- webhooks (the API's dispatcher delivers them)
  struct WebhookDelivery {
    uint64_t event_sequence = 0;
    uint32_t attempt = 0;  // 1 for the first
    std::string url;
    std::string secret;
    std::string body;
  };
  // Up to max deliveries due now (blocking; any thread but the applier).
  std::vector<WebhookDelivery> DueWebhooks(size_t max);
  // Records an attempt's outcome (blocking).
  void RecordWebhookAttempt(uint64_t event_sequence, bool delivered, const std::string& error);
  // The secret merchants verify webhook signatures with (derived from the
  // master key, so it is never stored; shown once at merchant creation).
  std::string WebhookSecret(const Id128& merchant_id) const;

  // Blocking forms for the CLI, tests and the property test.
  Reply Await(const std::function<void(ReplyFn)>& start);
  // Runs one sweep now, on the calling thread, and returns when it is done:
  // what the sweeper thread does every sweep_interval_ms (order expiry, key
  // pruning, settlement files). For tests and tools that run without the
  // sweeper. REQUIRES: started; not the applier thread.
  void SweepNow() { Sweep(); }

  const PaymentsConfig& config() const { return config_; }
  uint64_t NowNs() const { return clock_->NowNs(); }

 private:
  class Op;
  void Submit(const Call& call, uint32_t ledger_events_max, bool records_idempotency,
              std::function<Reply(Op&)> body, ReplyFn reply);
  void Read(const Call& call, std::function<Reply(Op&)> body, ReplyFn reply);
  core::Status EnsurePlatform(ledger::LedgerService& ledger);
  Reply ChargePayment(Op& op, const Payment& payment, const Customer& customer);
  Reply HoldPayment(Op& op, const Payment& payment, const Customer& customer,
                    const Id128& hold_id);
  Reply ReleaseHold(Op& op, const Payment& payment, std::string failure_code);
  // The screen's decision on an attempt (the client's keys filled in), as
  // the event that records it; nullopt without a screen.
  std::optional<AttemptScreened> Screen(Op& op, AttemptScreened attempt);
  // first (a payment's wallet-to-merchant leg, or the post of its hold) and
  // the merchant's fee, rounded half-even on its rate, into *fee.
  std::vector<store::Transfer> WithFee(store::Transfer first, const Payment& payment,
                                       const Merchant& merchant, AmountMinor* fee);
  // REQUIRES: event was just applied to state_, with timestamp_ns.
  void ObserveOutcome(const Event& event, uint64_t timestamp_ns);
  // Why a request's client object is malformed; "" when it is not.
  static std::string CheckClient(const ClientInput& in);
  // The keys of a (checked) client.
  ClientContext ClientKeys(const ClientInput& in) const;
  void DeliverNotices();
  Reply SettleMerchant(Op& op, const Merchant& merchant, int32_t business_date,
                       std::vector<std::string>* made);
  std::string QrPayload(const Payment& payment) const;
  void SweeperLoop();
  void Sweep();
  void WriteSettlementFile(const Id128& settlement_id);
  std::string SettlementFilePath(const Settlement& s) const;

  PaymentsConfig config_;
  const core::SecretKey& master_key_;
  PaymentsServiceOptions options_;
  core::SystemClock system_clock_;
  const core::Clock* clock_;
  PaymentsState state_;  // applier thread only
  ledger::LedgerService* ledger_ = nullptr;
  PaymentScreen* screen_ = nullptr;
  std::vector<NoticeChannel*> notice_channels_;
  std::atomic<bool> notices_due_{false};  // a challenge was made: the sweeper delivers now

  std::mutex sweeper_mutex_;
  std::condition_variable sweeper_wake_;
  bool stopping_ = false;
  std::thread sweeper_;
  std::mutex files_mutex_;
  std::vector<Id128> settlement_files_due_;  // guarded by files_mutex_
};

}  // namespace netfin::payments
