#include "payments/payments_service.h"

#include <filesystem>

#include <fmt/format.h>

#include "core/assert.h"
#include "core/files.h"
#include "core/limits.h"
#include "ledger/results.h"
#include "payments/events.h"
#include "payments/render.h"

namespace netfin::payments {

using core::AmountMinor;
using store::Account;
using store::Transfer;

Id128 ReserveAccountId(const core::SecretKey& master_key, uint32_t ledger) {
  return core::KeyedId(master_key, "reserve", std::to_string(ledger));
}

namespace {

constexpr size_t kDescriptionBytesMax = 256;
constexpr size_t kPersonalFieldBytesMax = 128;
constexpr size_t kUrlBytesMax = 512;
constexpr uint64_t kBpsScale = 10'000;
// How many merchants one settlement command settles (one transfer each).
constexpr size_t kSettlementMerchantsPerRun = 4096;
constexpr size_t kSweepExpiriesMax = 4096;
// Lapsed holds released per sweep (one void each, in one batch).
constexpr size_t kSweepHoldsMax = 1024;

Reply Error(PaymentsError error, std::string message) {
  Reply r;
  r.error = error;
  r.message = std::move(message);
  return r;
}

Reply Ok(std::string body, uint16_t status = 200) {
  Reply r;
  r.http_status = status;
  r.body = std::move(body);
  return r;
}

std::string_view KeyBytes(const core::SecretKey& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}


bool ValidPersonalField(const std::string& value, bool required) {
  if (value.empty()) return !required;
  if (value.size() > kPersonalFieldBytesMax) return false;
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool AllDigits(const std::string& value, size_t min, size_t max) {
  if (value.size() < min || value.size() > max) return false;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Mainland mobile numbers (11 digits), identity numbers (17 digits and a
// check character), bank card numbers (12..19 digits).
std::string CheckPersonal(const PersonalInput& p) {
  if (!ValidPersonalField(p.name, true)) return "name: 1..128 bytes of printable text";
  if (!AllDigits(p.phone, 11, 11)) return "phone: 11 digits";
  if (!p.id_number.empty()) {
    const bool ok = p.id_number.size() == 18 && AllDigits(p.id_number.substr(0, 17), 17, 17) &&
                    (std::isdigit(static_cast<unsigned char>(p.id_number[17])) ||
                     p.id_number[17] == 'X' || p.id_number[17] == 'x');
    if (!ok) return "id_number: 17 digits and a check digit or X";
  }
  if (!AllDigits(p.bank_account, 12, 19)) return "bank_account: 12..19 digits";
  return "";
}

}  // namespace

// One command's view: the context, the state and helpers to move money and
// record events.
class PaymentsService::Op {
 public:
  Op(PaymentsService& service, ledger::CommandContext& ctx, const Call& call)
      : s_(service), ctx_(ctx), call_(call) {}

  PaymentsState& state() { return s_.state_; }
  const PaymentsConfig& config() { return s_.config_; }
  const Principal& who() const { return call_.principal; }
  bool IsOperator() const { return call_.principal.role == PrincipalRole::kOperator; }
  bool Is(PrincipalRole role, const Id128& party) const {
    return call_.principal.role == role && call_.principal.party_id == party;
  }
  uint64_t now() const { return ctx_.now_ns(); }
  Id128 NewId() { return s_.state_.NextId(ctx_.now_ns()); }
  const core::SecretKey& key() { return s_.master_key_; }

  const Account* Ledger(const Id128& id) { return ctx_.LookupAccount(id); }
  const std::string& CurrencyOf(uint32_t ledger) {
    static const std::string kUnknown = "???";
    const CurrencyConfig* c = s_.config_.FindLedger(ledger);
    return c == nullptr ? kUnknown : c->code;
  }

  // Appends the event and applies it to the state. `also` is a party the
  // event's own fields do not name (the merchant of a payment's transition):
  // it takes the first free subject, so the party's feed shows the event.
  void Emit(const Event& event, Id128 also = {}) {
    Id128 a, b;
    SubjectsOf(event, &a, &b);
    if (!also.IsZero() && also != a && also != b) {
      NETFIN_ASSERT(a.IsZero() || b.IsZero());
      (a.IsZero() ? a : b) = also;
    }
    const store::RoleEvent& stored = ctx_.AppendEvent(
        ledger::Role::kPayments, static_cast<uint16_t>(TypeOf(event)), a, b, EncodeEvent(event));
    s_.state_.Apply(event, stored.sequence, stored.timestamp);
    s_.ObserveOutcome(event, stored.timestamp);
  }

  // Moves money as one linked chain. Empty on success; else the ledger's
  // result of the first failing leg (nothing moved).
  std::string Move(std::vector<Transfer> legs, const Id128& user_data) {
    NETFIN_ASSERT(!legs.empty());
    for (size_t i = 0; i < legs.size(); ++i) {
      if (legs[i].id.IsZero()) legs[i].id = NewId();  // a hold's id is chosen by its caller
      legs[i].user_data_128 = user_data;
      if (i + 1 < legs.size()) legs[i].flags |= static_cast<uint16_t>(store::TransferFlag::kLinked);
    }
    ctx_.CreateTransfers(legs, &outcomes_);
    for (const auto& o : outcomes_) {
      if (o.result != ledger::CreateTransferResult::kOk &&
          o.result != ledger::CreateTransferResult::kLinkedEventFailed) {
        return std::string(ledger::ResultName(o.result));
      }
    }
    return "";
  }

  static Transfer Leg(const Id128& debit, const Id128& credit, AmountMinor amount, uint32_t ledger,
                      TransferCode code) {
    Transfer t;
    t.debit_account_id = debit;
    t.credit_account_id = credit;
    t.amount = amount;
    t.ledger = ledger;
    t.code = static_cast<uint16_t>(code);
    return t;
  }

  // A payment's wallet-to-merchant leg: paid at once (no flags), held
  // (pending), or the post or void of its hold.
  static Transfer PaymentLeg(const Payment& p, const Customer& c, const Merchant& m,
                             std::optional<store::TransferFlag> flag = {}) {
    Transfer t = Leg(c.wallet_account_id, m.merchant_account_id, p.amount, p.ledger, TransferCode::kPayment);
    if (flag) t.flags = static_cast<uint16_t>(*flag);
    if (flag == store::TransferFlag::kPostPendingTransfer || flag == store::TransferFlag::kVoidPendingTransfer) t.pending_id = p.hold_transfer_id;
    return t;
  }

  bool CreateAccounts(const std::vector<Account>& accounts) {
    std::vector<ledger::AccountOutcome> outcomes;
    ctx_.CreateAccounts(accounts, &outcomes);
    for (const auto& o : outcomes) {
      if (o.result != ledger::CreateAccountResult::kOk) return false;
    }
    return true;
  }

  // A party's personal data, each field sealed to the party and its name
  // (an empty field stays empty).
  PersonalData SealPersonal(const Id128& owner, const PersonalInput& in) {
    auto seal = [&](std::string_view field, const std::string& value) {
      if (value.empty()) return std::string();
      return core::SealText(s_.master_key_, value, SealedFieldContext(owner, field));
    };
    return {seal("name", in.name), seal("phone", in.phone), seal("id_number", in.id_number),
            seal("bank_account", in.bank_account)};
  }

  // A payment as this caller may see it. The QR code is there while the
  // order can be paid, as a next action (a signed code for a paid, failed or
  // cancelled order would only invite a scan that fails).
  std::string PaymentView(const Payment& p) {
    const std::string qr = p.status == PaymentStatus::kCreated ? s_.QrPayload(p) : std::string();
    return PaymentJson(p, CurrencyOf(p.ledger), qr, &s_.config_, IsOperator());
  }
  const ClientInput& client() const { return call_.client; }

 private:
  PaymentsService& s_;
  ledger::CommandContext& ctx_;
  const Call& call_;
  std::vector<ledger::TransferOutcome> outcomes_;
};

PaymentsService::PaymentsService(PaymentsConfig config, const core::SecretKey& master_key,
                                 PaymentsServiceOptions options)
    : config_(std::move(config)),
      master_key_(master_key),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : &system_clock_),
      state_(config_) {}

PaymentsService::~PaymentsService() { Stop(); }

void PaymentsService::Replay(const store::RoleEvent& event) {
  if (event.role != static_cast<uint16_t>(ledger::Role::kPayments)) return;
  auto decoded = DecodeEvent(event.type, event.payload);
  // A durable event that no longer decodes is corruption the chain check
  // would have caught; stop rather than serve a wrong state.
  NETFIN_ASSERT(decoded.ok());
  state_.Apply(decoded.value(), event.sequence, event.timestamp);
  ObserveOutcome(decoded.value(), event.timestamp);
}

std::string PaymentsService::WebhookSecret(const Id128& merchant_id) const {
  return "whsec_" + core::HmacSha256Hex(KeyBytes(master_key_), "webhook/" + merchant_id.ToDecimal());
}

std::string PaymentsService::QrPayload(const Payment& p) const {
  const CurrencyConfig* c = config_.FindLedger(p.ledger);
  const std::string body =
      fmt::format("netfin://pay?v=1&payment={}&merchant={}&amount={}&currency={}",
                  p.id.ToDecimal(), p.merchant_id.ToDecimal(), p.amount, c ? c->code : "");
  // A wallet app can check the code was made by this platform and not altered.
  const std::string sig = core::HmacSha256Hex(KeyBytes(master_key_), "qr/" + body).substr(0, 16);
  return body + "&sig=" + sig;
}

// ---------------------------------------------------------------------------
// Plumbing: commands, idempotency, start and stop.

void PaymentsService::Submit(const Call& call, uint32_t ledger_events_max, bool records_idempotency,
                             std::function<Reply(Op&)> body, ReplyFn reply) {
  if (records_idempotency && !ledger::IsValidIdempotencyKey(call.idempotency_key)) {
    reply(Error(PaymentsError::kIdempotencyKeyInvalid,
                std::string(ledger::kIdempotencyKeyInvalidMessage)));
    return;
  }
  if (ledger_ == nullptr) {
    reply(Error(PaymentsError::kUnavailable, "payments is not started"));
    return;
  }
  auto apply = [this, call, records_idempotency,
                body = std::move(body)](ledger::CommandContext& ctx) -> Reply {
    Op op(*this, ctx, call);
    if (!records_idempotency) return body(op);
    const IdempotencyEntry* seen =
        state_.FindIdempotency(call.principal.key_id, call.idempotency_key, ctx.now_ns());
    if (seen != nullptr) {
      if (!core::ConstantTimeEqual(seen->fingerprint, call.fingerprint)) {
        return Error(PaymentsError::kIdempotencyKeyReused,
                     std::string(ledger::kIdempotencyKeyReusedMessage));
      }
      std::string stored = seen->body;
      if (seen->sealed) {
        auto opened = core::OpenText(master_key_, stored, "idempotency/" + call.idempotency_key);
        NETFIN_ASSERT(opened.ok());
        stored = std::move(opened.value());
      }
      Reply replayed = Ok(std::move(stored), seen->status);
      replayed.replayed = true;
      return replayed;
    }
    Reply result = body(op);
    if (result.error == PaymentsError::kOk) {
      IdempotencyRecorded record;
      record.key_id = call.principal.key_id;
      record.key = call.idempotency_key;
      record.fingerprint = call.fingerprint;
      record.status = result.http_status;
      // Bodies with secrets (merchant creation) are sealed at rest.
      record.sealed = result.holds_secret;
      record.body = record.sealed ? core::SealText(master_key_, result.body,
                                                   "idempotency/" + call.idempotency_key)
                                  : result.body;
      op.Emit(record);
    }
    return result;
  };
  ledger_->SubmitCommand(ledger::ReplyCommand<Reply>(
      ledger_events_max, std::move(apply), std::move(reply), [](const core::Status& status) {
        return Error(PaymentsError::kUnavailable, status.message());
      }));
}

void PaymentsService::Read(const Call& call, std::function<Reply(Op&)> body, ReplyFn reply) {
  Submit(call, 0, false, std::move(body), std::move(reply));
}

Reply PaymentsService::Await(const std::function<void(ReplyFn)>& start) {
  return ledger::AwaitReply<Reply>(start);
}

core::Status PaymentsService::EnsurePlatform(ledger::LedgerService& ledger) {
  return ledger.RunCommand(
      [this](ledger::CommandContext& ctx) {
        const Call platform;  // the platform itself
        Op op(*this, ctx, platform);
        for (const CurrencyConfig& c : config_.currencies) {
          if (state_.Platform(c.ledger) != nullptr) continue;
          PlatformOpened opened;
          opened.ledger = c.ledger;
          opened.reserve_account_id = ReserveAccountId(master_key_, c.ledger);
          opened.fee_account_id = core::KeyedId(master_key_, "fee_income", std::to_string(c.ledger));
          Account reserve, fees;
          reserve.id = opened.reserve_account_id;
          reserve.ledger = c.ledger;
          reserve.code = static_cast<uint16_t>(AccountCode::kReserve);
          // The reserve is an asset: a debit balance that never goes below zero.
          reserve.flags = static_cast<uint16_t>(store::AccountFlag::kCreditsMustNotExceedDebits);
          fees.id = opened.fee_account_id;
          fees.ledger = c.ledger;
          fees.code = static_cast<uint16_t>(AccountCode::kFeeIncome);
          fees.flags = static_cast<uint16_t>(store::AccountFlag::kDebitsMustNotExceedCredits);
          // kExists: a previous start created them but crashed before the
          // event was durable is impossible (one batch); anything else is a
          // clash with an operator-made account.
          const bool created = op.CreateAccounts({reserve, fees});
          NETFIN_ASSERT(created);
          op.Emit(opened);
        }
      },
      static_cast<uint32_t>(2 * config_.currencies.size()));
}

core::Status PaymentsService::Start(ledger::LedgerService& ledger) {
  NETFIN_ASSERT(ledger_ == nullptr);
  state_.FenceIds();  // replay is over; no command has run yet
  // A settlement's file is written after its batch is durable; a crash in
  // between leaves it missing, so every missing file is written again (its
  // content is derived from the durable state alone).
  {
    std::lock_guard lock(files_mutex_);
    for (const Id128& id : state_.AllSettlements()) {
      if (!std::filesystem::exists(SettlementFilePath(*state_.FindSettlement(id)))) {
        settlement_files_due_.push_back(id);
      }
    }
  }
  NETFIN_RETURN_IF_ERROR(EnsurePlatform(ledger));
  ledger_ = &ledger;
  if (options_.sweeper) sweeper_ = std::thread([this] { SweeperLoop(); });
  return core::Status::Ok();
}

void PaymentsService::Stop() {
  {
    std::lock_guard lock(sweeper_mutex_);
    stopping_ = true;
  }
  sweeper_wake_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
}

void PaymentsService::SweeperLoop() {
  std::unique_lock lock(sweeper_mutex_);
  while (!stopping_) {
    sweeper_wake_.wait_for(lock, std::chrono::milliseconds(options_.sweep_interval_ms),
                           [this] { return stopping_ || notices_due_.load(); });
    if (stopping_) break;
    lock.unlock();
    Sweep();
    lock.lock();
  }
}

// Expires orders past their time, forgets old idempotency keys and writes
// the files of new settlements.
void PaymentsService::Sweep() {
  Call call;  // the platform itself
  Reply r = Await([&](ReplyFn done) {
    Submit(call, static_cast<uint32_t>(kSweepHoldsMax), false,
           [this](Op& op) {
             for (const Id128& id : state_.ExpiredPayments(op.now(), kSweepExpiriesMax)) {
               op.Emit(PaymentExpired{id}, state_.FindPayment(id)->merchant_id);
             }
             // A hold nobody confirmed lapses: the money goes back.
             for (const Id128& id : state_.LapsedHolds(op.now(), kSweepHoldsMax)) {
               Reply released = ReleaseHold(op, *state_.FindPayment(id), "confirmation_expired");
               NETFIN_ASSERT(released.error == PaymentsError::kOk);
             }
             state_.PruneIdempotency(op.now());
             return Ok("");
           },
           std::move(done));
  });
  (void)r;  // a failed ledger shows on /healthz; the next sweep retries
  notices_due_.store(false);
  DeliverNotices();
  std::vector<Id128> files;
  {
    std::lock_guard lock(files_mutex_);
    files.swap(settlement_files_due_);
  }
  for (const Id128& id : files) WriteSettlementFile(id);
}

std::string PaymentsService::SettlementFilePath(const Settlement& s) const {
  return fmt::format("{}/{}/{}.csv", config_.settlement_dir, BusinessDateText(s.business_date),
                     s.merchant_id.ToDecimal());
}

void PaymentsService::WriteSettlementFile(const Id128& settlement_id) {
  Call call;
  std::string path;
  Reply r = Await([&](ReplyFn done) {
    Read(call,
         [&](Op& op) {
           const Settlement* s = state_.FindSettlement(settlement_id);
           NETFIN_ASSERT(s != nullptr);
           path = SettlementFilePath(*s);
           return Ok(SettlementCsv(*s, state_, op.CurrencyOf(s->ledger)));
         },
         std::move(done));
  });
  if (r.error != PaymentsError::kOk) return;
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  // A failed write leaves the old file (or none): the file is written again
  // from the durable settlement at the next start.
  (void)core::WriteFileAtomically(path, r.body);
}

// ---------------------------------------------------------------------------
// Parties.

void PaymentsService::CreateCustomer(const Call& call, NewCustomer in, ReplyFn reply) {
  Submit(call, 1, true, [this, in = std::move(in)](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator opens wallets");
    const CurrencyConfig* currency = config_.FindCurrency(in.currency);
    if (currency == nullptr) return Error(PaymentsError::kUnknownCurrency, "currency " + in.currency + " is not configured");
    if (config_.FindTier(in.tier) == nullptr) return Error(PaymentsError::kUnknownTier, fmt::format("tier {} is not configured", in.tier));
    if (std::string why = CheckPersonal(in.personal); !why.empty()) return Error(PaymentsError::kInvalidParty, why);
    CustomerCreated e;
    Customer& c = e.customer;
    c.id = op.NewId();
    c.wallet_account_id = core::KeyedId(master_key_, "wallet", c.id.ToDecimal());
    c.ledger = currency->ledger;
    c.tier = in.tier;
    c.personal = op.SealPersonal(c.id, in.personal);
    Account wallet;
    wallet.id = c.wallet_account_id;
    wallet.ledger = c.ledger;
    wallet.code = static_cast<uint16_t>(AccountCode::kCustomerWallet);
    wallet.user_data_128 = c.id;
    wallet.flags = static_cast<uint16_t>(store::AccountFlag::kDebitsMustNotExceedCredits);
    if (!op.CreateAccounts({wallet})) return Error(PaymentsError::kLedgerRefused, "the wallet account could not be created");
    op.Emit(e);
    return Ok(CustomerJson(*state_.FindCustomer(c.id), master_key_, currency->code), 201);
  }, std::move(reply));
}

void PaymentsService::SetCustomerTier(const Call& call, Id128 id, uint8_t tier, ReplyFn reply) {
  Submit(call, 0, true, [this, id, tier](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator changes tiers");
    const Customer* c = state_.FindCustomer(id);
    if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    if (config_.FindTier(tier) == nullptr) return Error(PaymentsError::kUnknownTier, fmt::format("tier {} is not configured", tier));
    if (c->tier != tier) op.Emit(CustomerTierChanged{id, tier});
    return Ok(CustomerJson(*c, master_key_, op.CurrencyOf(c->ledger)));
  }, std::move(reply));
}

void PaymentsService::CreateMerchant(const Call& call, NewMerchant in, ReplyFn reply) {
  Submit(call, 2, true, [this, in = std::move(in)](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator signs merchants");
    const CurrencyConfig* currency = config_.FindCurrency(in.currency);
    if (currency == nullptr) return Error(PaymentsError::kUnknownCurrency, "currency " + in.currency + " is not configured");
    if (std::string why = CheckPersonal(in.personal); !why.empty()) return Error(PaymentsError::kInvalidParty, why);
    const uint32_t fee_bps = in.fee_bps.value_or(config_.fee_bps_default);
    if (fee_bps > config_.fee_bps_max) return Error(PaymentsError::kInvalidParty, fmt::format("fee_bps: at most {}", config_.fee_bps_max));
    if (in.webhook_url.size() > kUrlBytesMax ||
        (!in.webhook_url.empty() && in.webhook_url.rfind("http://", 0) != 0)) {
      return Error(PaymentsError::kInvalidParty, "webhook_url: an http:// URL of at most 512 bytes");
    }
    MerchantCreated e;
    Merchant& m = e.merchant;
    m.id = op.NewId();
    m.merchant_account_id = core::KeyedId(master_key_, "merchant", m.id.ToDecimal());
    m.payable_account_id = core::KeyedId(master_key_, "payable", m.id.ToDecimal());
    m.ledger = currency->ledger;
    m.fee_bps = fee_bps;
    m.webhook_url = in.webhook_url;
    m.personal = op.SealPersonal(m.id, in.personal);
    Account merchant, payable;
    merchant.id = m.merchant_account_id;
    merchant.code = static_cast<uint16_t>(AccountCode::kMerchantAccount);
    payable.id = m.payable_account_id;
    payable.code = static_cast<uint16_t>(AccountCode::kSettlementPayable);
    for (Account* a : {&merchant, &payable}) {
      a->ledger = m.ledger;
      a->user_data_128 = m.id;
      a->flags = static_cast<uint16_t>(store::AccountFlag::kDebitsMustNotExceedCredits);
    }
    if (!op.CreateAccounts({merchant, payable})) return Error(PaymentsError::kLedgerRefused, "the merchant's accounts could not be created");
    op.Emit(e);
    Reply created = Ok(MerchantJson(*state_.FindMerchant(m.id), master_key_, currency->code,
                                    op.Ledger(m.merchant_account_id), WebhookSecret(m.id)),
                       201);
    created.holds_secret = true;
    return created;
  }, std::move(reply));
}

void PaymentsService::GetCustomer(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Customer* c = state_.FindCustomer(id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, id)) return Error(PaymentsError::kForbidden, "not your customer record");
    if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    return Ok(CustomerJson(*c, master_key_, op.CurrencyOf(c->ledger)));
  }, std::move(reply));
}

void PaymentsService::GetWallet(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Customer* c = state_.FindCustomer(id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, id)) return Error(PaymentsError::kForbidden, "not your wallet");
    if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    const Account* wallet = op.Ledger(c->wallet_account_id);
    NETFIN_ASSERT(wallet != nullptr);
    return Ok(WalletJson(*c, *wallet, config_.FindTier(c->tier), state_.AllowanceUsed(*c, op.now()),
                         state_.AllowanceLeft(*c, op.now()), op.CurrencyOf(c->ledger)));
  }, std::move(reply));
}

void PaymentsService::GetMerchant(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Merchant* m = state_.FindMerchant(id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kMerchant, id)) return Error(PaymentsError::kForbidden, "not your merchant record");
    if (m == nullptr) return Error(PaymentsError::kUnknownMerchant, "no such merchant");
    return Ok(MerchantJson(*m, master_key_, op.CurrencyOf(m->ledger), op.Ledger(m->merchant_account_id),
                           std::nullopt));
  }, std::move(reply));
}

void PaymentsService::FindPartyAccount(const Call& call, PrincipalRole party_role, Id128 party_id,
                                       PartyAccountFn reply) {
  auto account_id = std::make_shared<Id128>();
  Read(call, [this, party_role, party_id, account_id](Op& op) -> Reply {
    if (party_role == PrincipalRole::kMerchant) {
      const bool may = op.IsOperator() || op.Is(PrincipalRole::kMerchant, party_id) ||
                       op.who().role == PrincipalRole::kCustomer;
      if (!may) return Error(PaymentsError::kForbidden, "not your merchant record");
      const Merchant* m = state_.FindMerchant(party_id);
      if (m == nullptr) return Error(PaymentsError::kUnknownMerchant, "no such merchant");
      *account_id = m->merchant_account_id;
      return Ok("");
    }
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, party_id)) return Error(PaymentsError::kForbidden, "not your wallet");
    const Customer* c = state_.FindCustomer(party_id);
    if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    *account_id = c->wallet_account_id;
    return Ok("");
  }, [account_id, reply = std::move(reply)](Reply r) {
    const Id128 found = r.error == PaymentsError::kOk ? *account_id : Id128{};
    reply(std::move(r), found);
  });
}

namespace {

// A page of ids after `after`, in order: the items and the next cursor.
template <typename Ids, typename Render>
Reply Page(const Ids* ids, const PageInput& page, Render render) {
  std::vector<std::string> items;
  std::optional<Id128> next;
  if (ids != nullptr) {
    auto it = std::upper_bound(ids->begin(), ids->end(), page.after);
    for (; it != ids->end() && items.size() < page.limit; ++it) items.push_back(render(*it));
    if (it != ids->end() && !items.empty()) next = *(it - 1);
  }
  return Ok(ListJson(items, next));
}

}  // namespace

void PaymentsService::ListMovements(const Call& call, Id128 id, PageInput page, ReplyFn reply) {
  Read(call, [this, id, page](Op& op) -> Reply {
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, id)) return Error(PaymentsError::kForbidden, "not your wallet");
    if (state_.FindCustomer(id) == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    return Page(state_.MovementsOf(id), page, [&](const Id128& m) {
      const Movement* mv = state_.FindMovement(m);
      return MovementJson(*mv, op.CurrencyOf(mv->ledger));
    });
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Money movements.

namespace {

// The checks every movement of a customer's money shares. Empty when fine.
std::optional<Reply> CheckMoney(const PaymentsConfig& config, const Customer* c, AmountMinor amount,
                                const std::string& currency) {
  if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
  if (amount == 0 || amount > core::kAmountMax) return Error(PaymentsError::kInvalidAmount, "amount: 1..9223372036854775807 minor units");
  const CurrencyConfig* cur = config.FindCurrency(currency);
  if (cur == nullptr) return Error(PaymentsError::kUnknownCurrency, "currency " + currency + " is not configured");
  if (cur->ledger != c->ledger) return Error(PaymentsError::kCurrencyMismatch, "the wallet holds " + config.FindLedger(c->ledger)->code);
  return std::nullopt;
}

}  // namespace

void PaymentsService::TopUp(const Call& call, MoneyInput in, ReplyFn reply) {
  Submit(call, 1, true, [this, in](Op& op) -> Reply {
    const Customer* c = state_.FindCustomer(in.customer_id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, in.customer_id)) return Error(PaymentsError::kForbidden, "not your wallet");
    if (auto refused = CheckMoney(config_, c, in.amount, in.currency)) return *refused;
    const PlatformAccounts* platform = state_.Platform(c->ledger);
    const Account* wallet = op.Ledger(c->wallet_account_id);
    AmountMinor after = 0;
    if (!core::TryAddAmount(wallet->credits_posted, in.amount, &after)) return Error(PaymentsError::kInvalidAmount, "the wallet would exceed the largest balance");
    MovementSucceeded e;
    e.movement = {op.NewId(), MovementKind::kTopUp, c->id, {}, c->ledger, in.amount, 0};
    const std::string refused = op.Move({Op::Leg(platform->reserve_account_id, c->wallet_account_id, in.amount, c->ledger, TransferCode::kTopUp)}, e.movement.id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the top-up: " + refused);
    op.Emit(e);
    return Ok(MovementJson(*state_.FindMovement(e.movement.id), in.currency), 201);
  }, std::move(reply));
}

void PaymentsService::Withdraw(const Call& call, MoneyInput in, ReplyFn reply) {
  Submit(call, 1, true, [this, in](Op& op) -> Reply {
    const Customer* c = state_.FindCustomer(in.customer_id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, in.customer_id)) return Error(PaymentsError::kForbidden, "not your wallet");
    if (auto refused = CheckMoney(config_, c, in.amount, in.currency)) return *refused;
    const PlatformAccounts* platform = state_.Platform(c->ledger);
    if (AvailableBalance(*op.Ledger(c->wallet_account_id)) < in.amount) return Error(PaymentsError::kInsufficientBalance, "the wallet holds less than the amount");
    MovementSucceeded e;
    e.movement = {op.NewId(), MovementKind::kWithdrawal, c->id, {}, c->ledger, in.amount, 0};
    const std::string refused = op.Move({Op::Leg(c->wallet_account_id, platform->reserve_account_id, in.amount, c->ledger, TransferCode::kWithdrawal)}, e.movement.id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the withdrawal: " + refused);
    op.Emit(e);
    return Ok(MovementJson(*state_.FindMovement(e.movement.id), in.currency), 201);
  }, std::move(reply));
}

void PaymentsService::TransferBetweenWallets(const Call& call, MoneyInput in, ReplyFn reply) {
  Submit(call, 1, true, [this, in](Op& op) -> Reply {
    const Customer* from = state_.FindCustomer(in.customer_id);
    if (!op.IsOperator() && !op.Is(PrincipalRole::kCustomer, in.customer_id)) return Error(PaymentsError::kForbidden, "not your wallet");
    if (auto refused = CheckMoney(config_, from, in.amount, in.currency)) return *refused;
    const Customer* to = state_.FindCustomer(in.counterparty_id);
    if (to == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such receiving customer");
    if (to->id == from->id) return Error(PaymentsError::kSameWallet, "a wallet cannot pay itself");
    if (to->ledger != from->ledger) return Error(PaymentsError::kCurrencyMismatch, "the wallets hold different currencies");
    const AmountMinor left = state_.AllowanceLeft(*from, op.now());
    if (left < in.amount) return Error(PaymentsError::kTierLimitExceeded, fmt::format("the tier allowance left is {}", left));
    const AmountMinor available = AvailableBalance(*op.Ledger(from->wallet_account_id));
    if (available < in.amount) return Error(PaymentsError::kInsufficientBalance, "the wallet holds less than the amount");
    if (std::string why = CheckClient(op.client()); !why.empty()) return Error(PaymentsError::kInvalidField, why);
    MovementSucceeded e;
    e.movement = {op.NewId(), MovementKind::kWalletTransfer, from->id, to->id, from->ledger, in.amount, 0};
    std::optional<AttemptScreened> screened = Screen(op, {.id = e.movement.id, .kind = AttemptKind::kTransfer, .customer_id = from->id, .payee_id = to->id, .amount = in.amount, .balance_before = available});
    if (screened && screened->action != ScreenAction::kAllow) {
      // A wallet transfer has no order to hold for confirmation yet: a
      // challenge refuses it too. The refusal is recorded (the screen counts
      // it as a failed attempt, also after a restart); the reasons stay with
      // the operator.
      screened->action = ScreenAction::kDeny;
      op.Emit(*screened);
      return Error(PaymentsError::kRiskDenied, "the transfer was refused by risk control; contact customer service if it is yours");
    }
    const std::string refused = op.Move({Op::Leg(from->wallet_account_id, to->wallet_account_id, in.amount, from->ledger, TransferCode::kWalletTransfer)}, e.movement.id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the transfer: " + refused);
    if (screened) op.Emit(*screened);
    op.Emit(e);
    return Ok(MovementJson(*state_.FindMovement(e.movement.id), in.currency), 201);
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Payments.

// Pays a `created` payment from customer's wallet: processing, then
// succeeded, in the command's batch. The checks come first; nothing is
// emitted unless the money moved. With a risk screen, its decision comes
// after the checks (a payment that cannot succeed is not scored) and before
// any money moves: allow pays, deny fails the payment (a persisted outcome,
// answered with the payment), challenge holds the amount (HoldPayment).
Reply PaymentsService::ChargePayment(Op& op, const Payment& p, const Customer& c) {
  if (p.status != PaymentStatus::kCreated) return Error(PaymentsError::kPaymentNotPayable, fmt::format("the payment is {}", PaymentStatusName(p.status)));
  if (p.expires_at_ns <= op.now()) return Error(PaymentsError::kPaymentExpired, "the payment expired");
  if (c.ledger != p.ledger) return Error(PaymentsError::kCurrencyMismatch, "the wallet holds " + op.CurrencyOf(c.ledger) + ", the payment is in " + op.CurrencyOf(p.ledger));
  const AmountMinor left = state_.AllowanceLeft(c, op.now());
  if (left < p.amount) return Error(PaymentsError::kTierLimitExceeded, fmt::format("the tier allowance left is {}", left));
  const AmountMinor available = AvailableBalance(*op.Ledger(c.wallet_account_id));
  if (available < p.amount) return Error(PaymentsError::kInsufficientBalance, "the wallet holds less than the amount");
  if (std::string why = CheckClient(op.client()); !why.empty()) return Error(PaymentsError::kInvalidField, why);
  const Merchant* m = state_.FindMerchant(p.merchant_id);
  const Id128 id = p.id;  // p is not to be used after Emit
  const std::optional<AttemptScreened> screened = Screen(op, {.id = id, .kind = AttemptKind::kPayment, .customer_id = c.id, .payee_id = m->id, .merchant_id = m->id, .amount = p.amount, .balance_before = available});
  const ScreenAction action = screened ? screened->action : ScreenAction::kNone;
  if (action == ScreenAction::kChallenge) {
    Transfer hold = Op::PaymentLeg(p, c, *m, store::TransferFlag::kPending);
    hold.id = op.NewId();
    const std::string refused = op.Move({hold}, id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the hold: " + refused);
    op.Emit(*screened);
    op.Emit(PaymentProcessing{id, c.id}, m->id);
    return HoldPayment(op, *state_.FindPayment(id), c, hold.id);
  }
  AmountMinor fee = 0;
  if (action != ScreenAction::kDeny) {
    const std::string refused = op.Move(WithFee(Op::PaymentLeg(p, c, *m), p, *m, &fee), id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the payment: " + refused);
  }
  if (screened) op.Emit(*screened);
  op.Emit(PaymentProcessing{id, c.id}, m->id);
  if (action == ScreenAction::kDeny) {
    op.Emit(PaymentFailed{id, "risk_denied"});
  } else {
    op.Emit(PaymentSucceeded{id, c.id, m->id, state_.FindPayment(id)->amount, fee});
  }
  return Ok(op.PaymentView(*state_.FindPayment(id)));
}

// The one-time code's keyed hash: bound to the payment, so a code is good
// for its own payment only, and useless to whoever reads the journal.
namespace {
std::string ConfirmationCodeHash(const core::SecretKey& key, const Id128& payment_id,
                                 std::string_view code) {
  const auto h = core::KeyedHash128(key, "confirmation/" + payment_id.ToDecimal(), code);
  return fmt::format("{:016x}{:016x}", h[0], h[1]);
}

}  // namespace

// A challenged payment: the amount is held (the pending transfer hold_id,
// already made) and a safe-transaction reminder with a one-time code goes
// to the notification outbox, sealed. The code itself is never stored.
Reply PaymentsService::HoldPayment(Op& op, const Payment& p, const Customer& c, const Id128& hold_id) {
  const std::string code = fmt::format("{:06}", core::RandomBelow(1'000'000));
  const Merchant* m = state_.FindMerchant(p.merchant_id);
  const CurrencyConfig* currency = config_.FindLedger(p.ledger);
  const uint64_t minutes = (config_.confirmation_expiry_s + 59) / 60;
  const std::string text = fmt::format(
      "[netfin] Safe-transaction reminder: a payment of {} {} to {} is waiting for your "
      "confirmation. If you made it, confirm it with code {} within {} minute{}. If you did "
      "not, decline it and change your password. Never tell anyone this code.",
      core::FormatMinorUnits(p.amount, currency ? currency->exponent : 2), currency ? currency->code : "",
      "merchant " + m->id.ToDecimal(), code, minutes, minutes == 1 ? "" : "s");
  PaymentChallenged e;
  e.id = p.id;
  e.customer_id = c.id;
  e.hold_transfer_id = hold_id;
  e.code_hash = ConfirmationCodeHash(master_key_, p.id, code);
  e.expires_at = op.now() + config_.confirmation_expiry_s * core::kNanosPerSecond;
  e.phone_masked = MaskedPhone(c, master_key_);
  e.notice_sealed = core::SealText(master_key_, text, "notice/" + p.id.ToDecimal());
  const Id128 id = p.id;
  op.Emit(e);
  // The sweeper delivers it at once; its read runs after this batch is durable.
  notices_due_.store(true);
  sweeper_wake_.notify_one();
  return Ok(op.PaymentView(*state_.FindPayment(id)));
}

// Voids a challenged payment's hold and fails it with failure_code.
Reply PaymentsService::ReleaseHold(Op& op, const Payment& p, std::string failure_code) {
  NETFIN_ASSERT(p.status == PaymentStatus::kRequiresConfirmation);
  const Customer* c = state_.FindCustomer(p.customer_id);
  const Merchant* m = state_.FindMerchant(p.merchant_id);
  const Id128 id = p.id;
  const std::string refused = op.Move({Op::PaymentLeg(p, *c, *m, store::TransferFlag::kVoidPendingTransfer)}, id);
  if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused to release the hold: " + refused);
  op.Emit(PaymentFailed{id, std::move(failure_code)});
  return Ok(op.PaymentView(*state_.FindPayment(id)));
}

namespace {
// What the screen is told of an attempt its event recorded: a transfer's
// outcome is its decision (a transfer allowed moves at once).
ScreenAttempt AttemptOf(const AttemptScreened& e, uint64_t timestamp_ns) {
  ScreenAttempt a;
  a.timestamp_ns = timestamp_ns;
  a.customer_id = e.customer_id;
  a.payee_id = e.payee_id;
  a.merchant_id = e.merchant_id;
  a.kind = e.kind;
  a.amount = e.amount;
  a.balance_before = e.balance_before;
  a.client = e.client;
  a.succeeded = e.action != ScreenAction::kDeny;
  return a;
}

// A payment's attempt, once it ended.
ScreenAttempt AttemptOf(const Payment& p) {
  ScreenAttempt a;
  a.timestamp_ns = p.updated_at_ns;
  a.customer_id = p.customer_id;
  a.payee_id = p.merchant_id;
  a.merchant_id = p.merchant_id;
  a.kind = AttemptKind::kPayment;
  a.amount = p.amount;
  a.balance_before = p.risk_balance_before;
  a.client = p.client;
  a.succeeded = p.status == PaymentStatus::kSucceeded;
  return a;
}
}  // namespace

std::optional<AttemptScreened> PaymentsService::Screen(Op& op, AttemptScreened attempt) {
  if (screen_ == nullptr) return std::nullopt;
  attempt.client = ClientKeys(op.client());
  const ScreenDecision decision = screen_->Screen(AttemptOf(attempt, op.now()));
  NETFIN_ASSERT(decision.action != ScreenAction::kNone);
  attempt.action = decision.action;
  attempt.score_ppm = decision.score_ppm;
  attempt.reasons = decision.reasons;
  return attempt;
}

std::vector<Transfer> PaymentsService::WithFee(Transfer first, const Payment& p, const Merchant& m,
                                               AmountMinor* fee) {
  NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(p.amount, m.fee_bps, kBpsScale, fee) && *fee <= p.amount);
  std::vector<Transfer> legs = {first};
  if (*fee > 0) legs.push_back(Op::Leg(m.merchant_account_id, state_.Platform(p.ledger)->fee_account_id, *fee, p.ledger, TransferCode::kPaymentFee));
  return legs;
}

// Tells the screen how an attempt ended, from the event that ended it (and
// that event's durable timestamp): the same events live and in recovery, so
// the screen's memory is rebuilt by replaying the journal.
void PaymentsService::ObserveOutcome(const Event& event, uint64_t timestamp_ns) {
  if (screen_ == nullptr) return;
  if (const auto* e = std::get_if<AttemptScreened>(&event)) {
    // A payment is observed when it ends; a transfer ends as it is screened.
    if (e->kind != AttemptKind::kPayment) screen_->Observe(AttemptOf(*e, timestamp_ns));
    return;
  }
  Id128 id;
  if (const auto* e = std::get_if<PaymentSucceeded>(&event)) id = e->id;
  if (const auto* e = std::get_if<PaymentFailed>(&event)) id = e->id;
  if (id.IsZero()) return;
  const Payment* p = state_.FindPayment(id);
  if (p == nullptr || p->risk_action == ScreenAction::kNone) return;
  screen_->Observe(AttemptOf(*p));
}

std::string PaymentsService::CheckClient(const ClientInput& in) {
  auto printable = [](const std::string& v, size_t max) {
    if (v.size() > max) return false;
    for (unsigned char ch : v) {
      if (ch < 0x21 || ch > 0x7e) return false;
    }
    return true;
  };
  if (!printable(in.device_id, 128)) return "client.device_id: at most 128 printable characters";
  if (!printable(in.ip, 64)) return "client.ip: at most 64 printable characters";
  if (in.lat_deg.has_value() != in.lon_deg.has_value()) return "client: lat and lon go together";
  if (in.lat_deg && (!(*in.lat_deg >= -90 && *in.lat_deg <= 90) || !(*in.lon_deg >= -180 && *in.lon_deg <= 180))) {
    return "client: lat -90..90, lon -180..180";
  }
  return "";
}

// Keyed hashes: only the screen needs them, so they are made only for it.
ClientContext PaymentsService::ClientKeys(const ClientInput& in) const {
  ClientContext out;
  if (in.lat_deg) {
    out.has_location = true;
    out.lat_micro_deg = static_cast<int32_t>(std::lround(*in.lat_deg * 1e6));
    out.lon_micro_deg = static_cast<int32_t>(std::lround(*in.lon_deg * 1e6));
  }
  if (!in.device_id.empty()) out.device_key = core::KeyedId(master_key_, "client_device", in.device_id);
  if (!in.ip.empty()) {
    // One address, one key: IPv4 and its IPv6-mapped spelling agree.
    std::string ip = in.ip;
    for (char& ch : ip) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (ip.starts_with("::ffff:") && ip.find('.') != std::string::npos) ip.erase(0, 7);
    out.ip_key = core::KeyedId(master_key_, "client_ip", ip);
  }
  return out;
}

void PaymentsService::CreatePayment(const Call& call, NewPayment in, ReplyFn reply) {
  Submit(call, 2, true, [this, in = std::move(in)](Op& op) -> Reply {
    const bool by_customer = op.who().role == PrincipalRole::kCustomer;
    Id128 merchant_id = in.merchant_id;
    if (op.who().role == PrincipalRole::kMerchant) {
      if (!merchant_id.IsZero() && merchant_id != op.who().party_id) return Error(PaymentsError::kForbidden, "a merchant creates its own payments only");
      merchant_id = op.who().party_id;
    } else if (!by_customer) {
      return Error(PaymentsError::kForbidden, "merchants create payment orders; customers pay merchants");
    }
    const Merchant* m = state_.FindMerchant(merchant_id);
    if (m == nullptr) return Error(PaymentsError::kUnknownMerchant, "no such merchant");
    if (in.amount == 0 || in.amount > core::kAmountMax) return Error(PaymentsError::kInvalidAmount, "amount: 1..9223372036854775807 minor units");
    const CurrencyConfig* cur = config_.FindCurrency(in.currency);
    if (cur == nullptr) return Error(PaymentsError::kUnknownCurrency, "currency " + in.currency + " is not configured");
    if (cur->ledger != m->ledger) return Error(PaymentsError::kCurrencyMismatch, "the merchant accepts " + op.CurrencyOf(m->ledger));
    if (in.description.size() > kDescriptionBytesMax) return Error(PaymentsError::kInvalidField, "description: at most 256 bytes");
    const uint64_t expires_in_s = in.expires_in_s.value_or(config_.payment_expiry_s_default);
    if (expires_in_s == 0 || expires_in_s > config_.payment_expiry_s_max) return Error(PaymentsError::kInvalidDate, fmt::format("expires_in_s: 1..{}", config_.payment_expiry_s_max));
    const Customer* c = nullptr;
    if (by_customer) {
      c = state_.FindCustomer(op.who().party_id);
      if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
      if (c->ledger != cur->ledger) return Error(PaymentsError::kCurrencyMismatch, "the wallet holds " + op.CurrencyOf(c->ledger));
      const AmountMinor left = state_.AllowanceLeft(*c, op.now());
      if (left < in.amount) return Error(PaymentsError::kTierLimitExceeded, fmt::format("the tier allowance left is {}", left));
      if (AvailableBalance(*op.Ledger(c->wallet_account_id)) < in.amount) return Error(PaymentsError::kInsufficientBalance, "the wallet holds less than the amount");
    }
    PaymentCreated e;
    Payment& p = e.payment;
    p.id = op.NewId();
    p.merchant_id = m->id;
    p.ledger = m->ledger;
    p.amount = in.amount;
    p.description = in.description;
    p.expires_at_ns = op.now() + expires_in_s * core::kNanosPerSecond;
    if (!by_customer) {
      op.Emit(e);
      const Payment* created = state_.FindPayment(p.id);
      return Ok(op.PaymentView(*created), 201);
    }
    // Direct payment: the checks above make the charge succeed, so the
    // order is created only together with its money.
    const Id128 id = p.id;
    op.Emit(e);
    Reply charged = ChargePayment(op, *state_.FindPayment(id), *c);
    NETFIN_ASSERT(charged.error == PaymentsError::kOk);
    charged.http_status = 201;
    return charged;
  }, std::move(reply));
}

void PaymentsService::PayPayment(const Call& call, Id128 id, ReplyFn reply) {
  Submit(call, 2, true, [this, id](Op& op) -> Reply {
    if (op.who().role != PrincipalRole::kCustomer) return Error(PaymentsError::kForbidden, "only a customer pays");
    const Payment* p = state_.FindPayment(id);
    // An order nobody has paid is open to whoever holds its code (its QR
    // payload); a paid one is its payer's alone, and a stranger (or a
    // missing id) gets the same refusal, which reveals nothing.
    if (p == nullptr || (!p->customer_id.IsZero() && p->customer_id != op.who().party_id)) return Error(PaymentsError::kForbidden, "not a payment you may pay");
    const Customer* c = state_.FindCustomer(op.who().party_id);
    if (c == nullptr) return Error(PaymentsError::kUnknownCustomer, "no such customer");
    return ChargePayment(op, *p, *c);
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Risk: confirmation of a challenged payment, and cases.

namespace {
// A challenged payment its payer may act on; a stranger, a missing id and a
// payment not held get answers that reveal nothing about the others.
Reply CheckConfirmable(const Payment* p, const Principal& who) {
  if (who.role != PrincipalRole::kCustomer) return Error(PaymentsError::kForbidden, "only the payer confirms or declines a payment");
  if (p == nullptr || p->customer_id != who.party_id) return Error(PaymentsError::kForbidden, "not a payment you may confirm");
  if (p->status != PaymentStatus::kRequiresConfirmation) return Error(PaymentsError::kPaymentNotConfirmable, fmt::format("the payment is {}, not waiting for confirmation", PaymentStatusName(p->status)));
  return Reply{};
}
}  // namespace

void PaymentsService::ConfirmPayment(const Call& call, Id128 id, std::string code, ReplyFn reply) {
  // 2 ledger events: the post of the hold and the fee.
  Submit(call, 2, true, [this, id, code = std::move(code)](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(id);
    if (Reply refused = CheckConfirmable(p, op.who()); refused.error != PaymentsError::kOk) return refused;
    if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string::npos) return Error(PaymentsError::kInvalidField, "code: 6 digits");
    if (p->hold_expires_at_ns <= op.now()) return ReleaseHold(op, *p, "confirmation_expired");
    if (!core::ConstantTimeEqual(ConfirmationCodeHash(master_key_, id, code), p->confirm_code_hash)) {
      const uint32_t attempts = p->confirm_attempts + 1;
      op.Emit(ConfirmationFailed{id, attempts});
      if (attempts < config_.confirmation_attempts_max) {
        return Error(PaymentsError::kConfirmationCodeInvalid, fmt::format("wrong code: {} attempt{} left", config_.confirmation_attempts_max - attempts, config_.confirmation_attempts_max - attempts == 1 ? "" : "s"));
      }
      // The last wrong code fails the payment and releases the money; the
      // answer is still the wrong-code error, and the payment shows why.
      Reply released = ReleaseHold(op, *state_.FindPayment(id), "confirmation_failed");
      if (released.error != PaymentsError::kOk) return released;
      return Error(PaymentsError::kConfirmationCodeInvalid, "wrong code: no attempts left; the payment failed and the money was released");
    }
    const Customer* c = state_.FindCustomer(p->customer_id);
    const Merchant* m = state_.FindMerchant(p->merchant_id);
    AmountMinor fee = 0;
    const std::string refused = op.Move(WithFee(Op::PaymentLeg(*p, *c, *m, store::TransferFlag::kPostPendingTransfer), *p, *m, &fee), id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the confirmation: " + refused);
    op.Emit(PaymentSucceeded{id, c->id, m->id, p->amount, fee});
    return Ok(op.PaymentView(*state_.FindPayment(id)));
  }, std::move(reply));
}

void PaymentsService::DeclinePayment(const Call& call, Id128 id, ReplyFn reply) {
  Submit(call, 1, true, [this, id](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(id);
    if (Reply refused = CheckConfirmable(p, op.who()); refused.error != PaymentsError::kOk) return refused;
    return ReleaseHold(op, *p, "declined_by_customer");
  }, std::move(reply));
}

void PaymentsService::ListRiskCases(const Call& call, PageInput page, ReplyFn reply) {
  Read(call, [this, page](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "risk cases are for the operator");
    return Page(&state_.RiskCases(), page, [&](const Id128& id) { return op.PaymentView(*state_.FindPayment(id)); });
  }, std::move(reply));
}

void PaymentsService::LabelRiskCase(const Call& call, Id128 id, CaseLabel label, ReplyFn reply) {
  Submit(call, 0, true, [this, id, label](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "risk cases are for the operator");
    if (label == CaseLabel::kNone) return Error(PaymentsError::kInvalidField, "label: fraud or genuine");
    const Payment* p = state_.FindPayment(id);
    if (p == nullptr || (p->risk_action != ScreenAction::kChallenge && p->risk_action != ScreenAction::kDeny)) return Error(PaymentsError::kUnknownCase, "no risk case for this payment");
    if (p->label != label) op.Emit(CaseLabelled{id, label, op.who().key_id});
    return Ok(op.PaymentView(*state_.FindPayment(id)));
  }, std::move(reply));
}

// Every screened payment as a labelled log in PaySim's columns, so that
// `netfin train fraud --data` retrains on it. isFraud is the analyst's
// label (an unlabelled payment counts as genuine); isFlaggedFraud marks
// what the screen challenged or denied. step is the hour since the first
// exported payment; balances are the wallet's before and after as far as
// the payment knows them (the merchant's are not tracked: 0).
void PaymentsService::ExportRiskLabels(const Call& call, ReplyFn reply) {
  Read(call, [this](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "risk labels are for the operator");
    std::string csv = "step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud\n";
    const std::vector<Id128>& ids = state_.ScreenedPayments();
    const uint64_t first_ns = ids.empty() ? 0 : state_.FindPayment(ids.front())->created_at_ns;
    for (const Id128& id : ids) {
      const Payment& p = *state_.FindPayment(id);
      const CurrencyConfig* currency = config_.FindLedger(p.ledger);
      const uint32_t exponent = currency ? currency->exponent : 2;
      const uint64_t step = (p.created_at_ns - std::min(first_ns, p.created_at_ns)) / (3600 * core::kNanosPerSecond) + 1;
      const AmountMinor before = p.risk_balance_before;
      const AmountMinor after = p.status == PaymentStatus::kSucceeded && before >= p.amount ? before - p.amount : before;
      csv += fmt::format("{},PAYMENT,{},C{},{},{},M{},0,0,{},{}\n", step, core::FormatMinorUnits(p.amount, exponent),
                         p.customer_id.ToDecimal(), core::FormatMinorUnits(before, exponent), core::FormatMinorUnits(after, exponent),
                         p.merchant_id.ToDecimal(), p.label == CaseLabel::kFraud ? 1 : 0,
                         p.risk_action == ScreenAction::kChallenge || p.risk_action == ScreenAction::kDeny ? 1 : 0);
    }
    return Ok(std::move(csv));
  }, std::move(reply));
}

// Sends every undelivered reminder through every channel, and records the
// ones that went out. A channel that fails leaves the reminder for the next
// sweep (a channel that succeeded may send it twice: a reminder is
// idempotent for the customer, a lost one is not).
void PaymentsService::DeliverNotices() {
  if (notice_channels_.empty()) return;
  Call call;
  std::vector<Notice> notices;
  Reply r = Await([&](ReplyFn done) {
    Read(call, [&](Op&) {
      for (const NoticeItem& item : state_.PendingNotices(kSweepExpiriesMax)) {
        auto text = core::OpenText(master_key_, item.notice_sealed, "notice/" + item.payment_id.ToDecimal());
        if (!text.ok()) continue;  // unreadable: corruption the journal check reports
        notices.push_back({item.event_sequence, item.payment_id, item.customer_id, item.phone_masked, std::move(text.value()), 0});
      }
      return Ok("");
    }, std::move(done));
  });
  if (r.error != PaymentsError::kOk) return;
  // Every channel in the same order, so the channels are the same text for all.
  std::string channels;
  for (NoticeChannel* channel : notice_channels_) channels += (channels.empty() ? "" : ",") + std::string(channel->name());
  std::vector<NoticeDelivered> delivered;
  for (const Notice& notice : notices) {
    bool all = true;
    for (NoticeChannel* channel : notice_channels_) {
      if (!channel->Deliver(notice).ok()) {
        all = false;
        break;
      }
    }
    if (all) delivered.push_back({notice.sequence, notice.payment_id, notice.customer_id, notice.phone_masked, channels});
  }
  if (delivered.empty()) return;
  // One batch records them all.
  Await([&](ReplyFn done) {
    Submit(call, 0, false, [&](Op& op) {
      for (const NoticeDelivered& d : delivered) op.Emit(d);
      return Ok("");
    }, std::move(done));
  });
}

namespace {
// Whether the principal may see the payment: the operator, its merchant, its payer.
bool MaySee(const Principal& who, const Payment& p) {
  switch (who.role) {
    case PrincipalRole::kOperator: return true;
    case PrincipalRole::kMerchant: return who.party_id == p.merchant_id;
    case PrincipalRole::kCustomer: return !p.customer_id.IsZero() && who.party_id == p.customer_id;
  }
  return false;
}
}  // namespace

void PaymentsService::CancelPayment(const Call& call, Id128 id, ReplyFn reply) {
  Submit(call, 0, true, [this, id](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(id);
    if (!op.IsOperator() && (p == nullptr || !op.Is(PrincipalRole::kMerchant, p->merchant_id))) return Error(PaymentsError::kForbidden, "not your payment");
    if (p == nullptr) return Error(PaymentsError::kUnknownPayment, "no such payment");
    if (p->status != PaymentStatus::kCreated) return Error(PaymentsError::kPaymentNotCancellable, fmt::format("the payment is {}", PaymentStatusName(p->status)));
    op.Emit(PaymentCancelled{id}, p->merchant_id);
    return Ok(op.PaymentView(*p));
  }, std::move(reply));
}

void PaymentsService::GetPayment(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(id);
    // A customer may also look at an unpaid order (to pay it after scanning).
    const bool open_order = p != nullptr && op.who().role == PrincipalRole::kCustomer && p->status == PaymentStatus::kCreated;
    if (!op.IsOperator() && (p == nullptr || !(MaySee(op.who(), *p) || open_order))) return Error(PaymentsError::kForbidden, "not your payment");
    if (p == nullptr) return Error(PaymentsError::kUnknownPayment, "no such payment");
    return Ok(op.PaymentView(*p));
  }, std::move(reply));
}

void PaymentsService::ListPayments(const Call& call, PageInput page, ReplyFn reply) {
  Read(call, [this, page](Op& op) -> Reply {
    const std::vector<Id128>* ids = op.IsOperator() ? &state_.AllPayments() : state_.PaymentsOf(op.who().party_id);
    return Page(ids, page, [&](const Id128& id) {
      const Payment* p = state_.FindPayment(id);
      return op.PaymentView(*p);
    });
  }, std::move(reply));
}

void PaymentsService::CreateRefund(const Call& call, NewRefund in, ReplyFn reply) {
  Submit(call, 2, true, [this, in](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(in.payment_id);
    if (!op.IsOperator() && (p == nullptr || !op.Is(PrincipalRole::kMerchant, p->merchant_id))) return Error(PaymentsError::kForbidden, "not your payment");
    if (p == nullptr) return Error(PaymentsError::kUnknownPayment, "no such payment");
    if (p->status != PaymentStatus::kSucceeded) return Error(PaymentsError::kPaymentNotRefundable, fmt::format("the payment is {}", PaymentStatusName(p->status)));
    const AmountMinor refundable = p->amount - p->refunded;
    const AmountMinor amount = in.amount.value_or(refundable);
    if (amount == 0) return Error(in.amount ? PaymentsError::kInvalidAmount : PaymentsError::kRefundExceedsPayment, in.amount ? "amount: at least 1" : "the payment is fully refunded");
    if (amount > refundable) return Error(PaymentsError::kRefundExceedsPayment, fmt::format("at most {} is left to refund", refundable));
    if (in.reason.size() > kDescriptionBytesMax) return Error(PaymentsError::kInvalidField, "reason: at most 256 bytes");
    // The fee returned so far is always round(fee * refunded / amount), so
    // the parts of several partial refunds sum exactly to the whole fee.
    AmountMinor fee_returned = 0;
    if (config_.refund_fee == RefundFeePolicy::kReturnProportional && p->fee > 0) {
      AmountMinor fee_after = 0;
      NETFIN_ASSERT(core::MultiplyRateRoundHalfEven(p->fee, p->refunded + amount, p->amount, &fee_after));
      NETFIN_ASSERT(fee_after >= p->fee_refunded && fee_after <= p->fee);
      fee_returned = fee_after - p->fee_refunded;
    }
    const Merchant* m = state_.FindMerchant(p->merchant_id);
    const Customer* c = state_.FindCustomer(p->customer_id);
    const PlatformAccounts* platform = state_.Platform(p->ledger);
    const AmountMinor merchant_part = amount - fee_returned;
    if (AvailableBalance(*op.Ledger(m->merchant_account_id)) < merchant_part) return Error(PaymentsError::kMerchantBalanceInsufficient, "the merchant's balance is below the refund (already settled)");
    RefundSucceeded e;
    e.refund = {op.NewId(), p->id, m->id, c->id, amount, fee_returned, in.reason, 0, false};
    std::vector<Transfer> legs;
    if (merchant_part > 0) legs.push_back(Op::Leg(m->merchant_account_id, c->wallet_account_id, merchant_part, p->ledger, TransferCode::kRefund));
    if (fee_returned > 0) legs.push_back(Op::Leg(platform->fee_account_id, c->wallet_account_id, fee_returned, p->ledger, TransferCode::kRefundFee));
    const std::string refused = op.Move(std::move(legs), e.refund.id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the refund: " + refused);
    op.Emit(e);
    return Ok(RefundJson(*state_.FindRefund(e.refund.id), op.CurrencyOf(p->ledger)), 201);
  }, std::move(reply));
}

void PaymentsService::ListRefunds(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Payment* p = state_.FindPayment(id);
    if (!op.IsOperator() && (p == nullptr || !MaySee(op.who(), *p))) return Error(PaymentsError::kForbidden, "not your payment");
    if (p == nullptr) return Error(PaymentsError::kUnknownPayment, "no such payment");
    std::vector<std::string> items;
    for (const Id128& r : state_.RefundsOfPayment(id)) items.push_back(RefundJson(*state_.FindRefund(r), op.CurrencyOf(p->ledger)));
    return Ok(ListJson(items, std::nullopt));
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Settlement.

Reply PaymentsService::SettleMerchant(Op& op, const Merchant& m, int32_t date,
                                      std::vector<std::string>* made) {
  const uint64_t cutoff = ChinaDayEndNs(date);
  Settlement s;
  s.merchant_id = m.id;
  s.ledger = m.ledger;
  s.business_date = date;
  s.carry_in = m.carry_minor;
  // The sums cannot overflow: every item moved its money through the
  // merchant's account, whose posted sums the ledger keeps within kAmountMax.
  if (const auto* ids = state_.UnsettledPayments(m.id)) {
    for (const Id128& id : *ids) {
      const Payment* p = state_.FindPayment(id);
      if (p->paid_at_ns >= cutoff) break;
      NETFIN_ASSERT(core::TryAddAmount(s.gross, p->amount, &s.gross));
      NETFIN_ASSERT(core::TryAddAmount(s.fees, p->fee, &s.fees));
      ++s.payment_count;
    }
  }
  if (const auto* ids = state_.UnsettledRefunds(m.id)) {
    for (const Id128& id : *ids) {
      const Refund* r = state_.FindRefund(id);
      if (r->created_at_ns >= cutoff) break;
      NETFIN_ASSERT(core::TryAddAmount(s.refunds, r->amount - r->fee_returned, &s.refunds));
      ++s.refund_count;
    }
  }
  if (s.payment_count == 0 && s.refund_count == 0 && s.carry_in == 0) return Ok("");
  // What the merchant earned up to the cutoff. It can be negative when an
  // earlier day was settled late, after this day's refunds and a later
  // day's payments were already in the balance (the earlier settlement paid
  // out money that this day's refunds then took back). The carry cannot
  // hold a debt, so this day's items stay unsettled and go into the first
  // later settlement whose net is not negative (the balance guarantees that
  // the sum of all unsettled items and the carry is not).
  const WideAmount net = static_cast<WideAmount>(s.gross) - s.fees - s.refunds + s.carry_in;
  if (net < 0) return Ok("");
  const AmountMinor available = AvailableBalance(*op.Ledger(m.merchant_account_id));
  s.amount = static_cast<AmountMinor>(std::min<WideAmount>(net, available));
  s.carry_out = static_cast<AmountMinor>(net - s.amount);
  s.id = op.NewId();
  if (s.amount > 0) {
    const std::string refused = op.Move({Op::Leg(m.merchant_account_id, m.payable_account_id, s.amount, m.ledger, TransferCode::kSettlement)}, s.id);
    if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused a settlement: " + refused);
  }
  op.Emit(SettlementCreated{s});
  made->push_back(SettlementJson(*state_.FindSettlement(s.id), op.CurrencyOf(m.ledger)));
  return Ok("");
}

void PaymentsService::RunSettlement(const Call& call, int32_t date, bool early, ReplyFn reply) {
  auto created = std::make_shared<std::vector<Id128>>();
  ReplyFn then = [this, created, reply = std::move(reply)](Reply r) {
    if (r.error == PaymentsError::kOk) {
      std::lock_guard lock(files_mutex_);
      settlement_files_due_.insert(settlement_files_due_.end(), created->begin(), created->end());
    }
    sweeper_wake_.notify_one();
    reply(std::move(r));
  };
  Submit(call, kSettlementMerchantsPerRun, true, [this, date, early, created](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator runs settlement");
    if (!IsValidBusinessDate(date)) return Error(PaymentsError::kInvalidDate, "date: a calendar date YYYY-MM-DD");
    const int32_t today = ChinaBusinessDate(op.now());
    if (date > today || (date == today && !early)) return Error(PaymentsError::kInvalidDate, "T+1: a business day is settled once it is over (China time), or today with early: true");
    std::vector<std::string> made;
    size_t remaining = 0;
    for (const Id128& id : state_.AllMerchants()) {
      if (state_.SettlementFor(id, date) != nullptr) continue;
      if (made.size() >= kSettlementMerchantsPerRun) {
        ++remaining;
        continue;
      }
      const size_t before = made.size();
      Reply r = SettleMerchant(op, *state_.FindMerchant(id), date, &made);
      if (r.error != PaymentsError::kOk) return r;
      if (made.size() > before) created->push_back(state_.SettlementFor(id, date)->id);
    }
    return Ok(fmt::format("{{\"business_date\":\"{}\",\"settlements\":{},\"remaining_merchants\":{}}}",
                          BusinessDateText(date), ListJson(made, std::nullopt), remaining), 201);
  }, std::move(then));
}

void PaymentsService::MarkSettlementPaid(const Call& call, Id128 id, ReplyFn reply) {
  Submit(call, 1, true, [this, id](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator confirms payouts");
    const Settlement* s = state_.FindSettlement(id);
    if (s == nullptr) return Error(PaymentsError::kUnknownSettlement, "no such settlement");
    if (s->status != SettlementStatus::kPayable) return Error(PaymentsError::kSettlementNotPayable, "the settlement is paid already");
    const Merchant* m = state_.FindMerchant(s->merchant_id);
    if (s->amount > 0) {
      const std::string refused = op.Move({Op::Leg(m->payable_account_id, state_.Platform(s->ledger)->reserve_account_id, s->amount, s->ledger, TransferCode::kPayout)}, id);
      if (!refused.empty()) return Error(PaymentsError::kLedgerRefused, "the ledger refused the payout: " + refused);
    }
    op.Emit(SettlementPaid{id, m->id, s->amount});
    return Ok(SettlementJson(*s, op.CurrencyOf(s->ledger)));
  }, std::move(reply));
}

void PaymentsService::GetSettlement(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Settlement* s = state_.FindSettlement(id);
    if (!op.IsOperator() && (s == nullptr || !op.Is(PrincipalRole::kMerchant, s->merchant_id))) return Error(PaymentsError::kForbidden, "not your settlement");
    if (s == nullptr) return Error(PaymentsError::kUnknownSettlement, "no such settlement");
    return Ok(SettlementJson(*s, op.CurrencyOf(s->ledger)));
  }, std::move(reply));
}

void PaymentsService::ListSettlements(const Call& call, PageInput page, ReplyFn reply) {
  Read(call, [this, page](Op& op) -> Reply {
    if (op.who().role == PrincipalRole::kCustomer) return Error(PaymentsError::kForbidden, "customers have no settlements");
    const std::vector<Id128>* ids = op.IsOperator() ? &state_.AllSettlements() : state_.SettlementsOf(op.who().party_id);
    return Page(ids, page, [&](const Id128& id) {
      const Settlement* s = state_.FindSettlement(id);
      return SettlementJson(*s, op.CurrencyOf(s->ledger));
    });
  }, std::move(reply));
}

void PaymentsService::GetSettlementFile(const Call& call, Id128 id, ReplyFn reply) {
  Read(call, [this, id](Op& op) -> Reply {
    const Settlement* s = state_.FindSettlement(id);
    if (!op.IsOperator() && (s == nullptr || !op.Is(PrincipalRole::kMerchant, s->merchant_id))) return Error(PaymentsError::kForbidden, "not your settlement");
    if (s == nullptr) return Error(PaymentsError::kUnknownSettlement, "no such settlement");
    return Ok(SettlementCsv(*s, state_, op.CurrencyOf(s->ledger)));
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Reconciliation.

void PaymentsService::GetReconciliation(const Call& call, ReplyFn reply) {
  Read(call, [this](Op& op) -> Reply {
    if (!op.IsOperator()) return Error(PaymentsError::kForbidden, "only the operator reconciles");
    std::vector<Reconciliation> ledgers;
    for (const CurrencyConfig& c : config_.currencies) {
      const PlatformAccounts* platform = state_.Platform(c.ledger);
      if (platform == nullptr) continue;
      std::vector<Account> accounts;
      auto add = [&](const Id128& id) {
        if (const Account* a = op.Ledger(id)) accounts.push_back(*a);
      };
      add(platform->reserve_account_id);
      add(platform->fee_account_id);
      for (const Id128& id : state_.AllCustomers()) add(state_.FindCustomer(id)->wallet_account_id);
      for (const Id128& id : state_.AllMerchants()) {
        add(state_.FindMerchant(id)->merchant_account_id);
        add(state_.FindMerchant(id)->payable_account_id);
      }
      ledgers.push_back(Reconcile(accounts, c.ledger, c.code));
    }
    return Ok(ReconciliationJson(ledgers));
  }, std::move(reply));
}

// ---------------------------------------------------------------------------
// Webhooks.

std::vector<PaymentsService::WebhookDelivery> PaymentsService::DueWebhooks(size_t max) {
  std::vector<WebhookDelivery> due;
  Call call;
  Await([&](ReplyFn done) {
    Read(call,
         [&](Op& op) {
           for (const OutboxItem& item : state_.DueWebhooks(op.now(), max)) {
             const Merchant* m = state_.FindMerchant(item.merchant_id);
             WebhookDelivery d;
             d.event_sequence = item.event_sequence;
             d.attempt = item.attempts + 1;
             d.url = m->webhook_url;
             d.secret = WebhookSecret(m->id);
             d.body = EventEnvelopeJson(item.event_sequence, item.type, item.event_timestamp_ns,
                                        item.payload);
             due.push_back(std::move(d));
           }
           return Ok("");
         },
         std::move(done));
  });
  return due;
}

void PaymentsService::RecordWebhookAttempt(uint64_t sequence, bool delivered,
                                           const std::string& error) {
  Call call;
  Await([&](ReplyFn done) {
    Submit(call, 0, false,
           [&](Op& op) {
             const OutboxItem* item = state_.FindOutboxItem(sequence);
             if (item == nullptr) return Ok("");  // already settled by an earlier attempt
             const uint32_t attempts = item->attempts + 1;
             if (delivered) {
               op.Emit(WebhookDelivered{sequence, attempts}, item->merchant_id);
             } else if (attempts >= config_.webhook_attempts_max) {
               op.Emit(WebhookAbandoned{sequence, attempts}, item->merchant_id);
             } else {
               // Exponential backoff: base, 2 base, 4 base, ... capped.
               uint64_t delay_ms = config_.webhook_backoff_ms_base;
               for (uint32_t i = 1; i < attempts && delay_ms < config_.webhook_backoff_ms_max; ++i) delay_ms *= 2;
               delay_ms = std::min(delay_ms, config_.webhook_backoff_ms_max);
               op.Emit(WebhookAttemptFailed{sequence, attempts, op.now() + delay_ms * 1'000'000ull, error.substr(0, 200)}, item->merchant_id);
             }
             return Ok("");
           },
           std::move(done));
  });
}

}  // namespace netfin::payments
