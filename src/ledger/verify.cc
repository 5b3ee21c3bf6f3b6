#include "ledger/verify.h"

#include <map>
#include <unordered_map>

#include "core/assert.h"
#include "core/limits.h"

namespace netfin::ledger {
namespace {

using core::Id128;
using store::Account;
using store::AccountFlag;
using store::Expiry;
using store::Has;
using store::Transfer;
using store::TransferFlag;

// Balances recomputed from the transfers alone, in 128 bits so that a
// corrupted journal shows up as a mismatch rather than as a wrap.
__extension__ typedef unsigned __int128 U128;
struct Balances {
  U128 debits_pending = 0, debits_posted = 0, credits_pending = 0, credits_posted = 0;
};

struct PendingRecord {
  Transfer transfer;
  uint64_t expires_at_ns = 0;
  int resolutions = 0;
};

std::string Name(const Id128& id) { return id.ToDecimal(); }

// Reads everything once; then the checks walk it.
class Collector final : public store::StateVisitor {
 public:
  void OnAccount(const Account& a) override { accounts.emplace(a.id, a); }
  void OnTransfer(const Transfer& t) override { transfers.push_back(t); }
  void OnExpiry(const Expiry& e) override { expiries.push_back(e); }

  std::unordered_map<Id128, Account, core::Id128Hash> accounts;
  std::vector<Transfer> transfers;  // timestamp order
  std::vector<Expiry> expiries;     // timestamp order
};

class Auditor {
 public:
  Auditor(const Collector& journal, VerifyReport* report) : journal_(journal), report_(report) {}

  void Run() {
    // Transfers and expiries are replayed as one stream in timestamp order.
    size_t t = 0, e = 0;
    while (t < journal_.transfers.size() || e < journal_.expiries.size()) {
      const bool take_transfer =
          e == journal_.expiries.size() ||
          (t < journal_.transfers.size() &&
           journal_.transfers[t].timestamp < journal_.expiries[e].timestamp);
      if (take_transfer) {
        CheckTimestamp(journal_.transfers[t].timestamp);
        ReplayTransfer(journal_.transfers[t++]);
      } else {
        CheckTimestamp(journal_.expiries[e].timestamp);
        ReplayExpiry(journal_.expiries[e++]);
      }
    }
    CompareBalances();
    CheckLedgerTotals();
    report_->pending_transfers = pending_.size();
  }

 private:
  void Problem(std::string text) {
    // A badly broken journal could produce millions; the first ones say enough.
    if (report_->problems.size() < 100) report_->problems.push_back(std::move(text));
  }

  void CheckTimestamp(uint64_t timestamp) {
    if (timestamp <= timestamp_last_) Problem("timestamps do not strictly increase at " + std::to_string(timestamp));
    timestamp_last_ = timestamp;
  }

  Balances* BalancesOf(const Id128& id, const Transfer& t) {
    auto it = journal_.accounts.find(id);
    if (it == journal_.accounts.end()) {
      Problem("transfer " + Name(t.id) + " names unknown account " + Name(id));
      return nullptr;
    }
    if (it->second.ledger != t.ledger) Problem("transfer " + Name(t.id) + " crosses ledgers");
    if (it->second.timestamp >= t.timestamp) Problem("transfer " + Name(t.id) + " predates account " + Name(id));
    return &balances_[id];
  }

  void ReplayTransfer(const Transfer& t) {
    Balances* dr = BalancesOf(t.debit_account_id, t);
    Balances* cr = BalancesOf(t.credit_account_id, t);
    if (dr == nullptr || cr == nullptr) return;
    if (t.amount > core::kAmountMax) Problem("transfer " + Name(t.id) + " amount out of range");
    if (store::IsPostOrVoid(t.flags)) {
      ReplayResolution(t, Has(t.flags, TransferFlag::kPostPendingTransfer), dr, cr);
    } else if (Has(t.flags, TransferFlag::kPending)) {
      dr->debits_pending += t.amount;
      cr->credits_pending += t.amount;
      const uint64_t expires = t.timeout == 0 ? 0 : t.timestamp + uint64_t{t.timeout} * core::kNanosPerSecond;
      pending_.emplace(t.id, PendingRecord{t, expires, 0});
    } else {
      dr->debits_posted += t.amount;
      cr->credits_posted += t.amount;
    }
    CheckLimits(t.debit_account_id, *dr, t.id);
    CheckLimits(t.credit_account_id, *cr, t.id);
  }

  void ReplayResolution(const Transfer& t, bool post, Balances* dr, Balances* cr) {
    PendingRecord* p = Resolve(t.pending_id, "transfer " + Name(t.id));
    if (p == nullptr) return;
    const Transfer& pt = p->transfer;
    if (pt.debit_account_id != t.debit_account_id || pt.credit_account_id != t.credit_account_id) {
      Problem("transfer " + Name(t.id) + " resolves " + Name(pt.id) + " with other accounts");
      return;
    }
    if (p->expires_at_ns != 0 && t.timestamp >= p->expires_at_ns) {
      Problem("transfer " + Name(t.id) + " resolves " + Name(pt.id) + " after it expired");
    }
    if (post ? t.amount > pt.amount : t.amount != pt.amount) {
      Problem("transfer " + Name(t.id) + " resolves " + Name(pt.id) + " with a wrong amount");
    }
    dr->debits_pending -= pt.amount;
    cr->credits_pending -= pt.amount;
    if (post) {
      dr->debits_posted += t.amount;
      cr->credits_posted += t.amount;
    }
  }

  void ReplayExpiry(const Expiry& e) {
    PendingRecord* p = Resolve(e.pending_id, "expiry");
    if (p == nullptr) return;
    if (p->expires_at_ns == 0 || e.timestamp < p->expires_at_ns) {
      Problem("pending transfer " + Name(e.pending_id) + " expired before its timeout");
    }
    balances_[p->transfer.debit_account_id].debits_pending -= p->transfer.amount;
    balances_[p->transfer.credit_account_id].credits_pending -= p->transfer.amount;
  }

  // Marks a pending transfer resolved; each may be resolved at most once.
  PendingRecord* Resolve(const Id128& pending_id, const std::string& by) {
    auto it = pending_.find(pending_id);
    if (it == pending_.end()) {
      Problem(by + " resolves " + Name(pending_id) + ", which is not a pending transfer");
      return nullptr;
    }
    if (++it->second.resolutions > 1) {
      Problem("pending transfer " + Name(pending_id) + " is resolved more than once (" + by + ")");
      return nullptr;
    }
    return &it->second;
  }

  void CheckLimits(const Id128& id, const Balances& b, const Id128& transfer_id) {
    const Account& a = journal_.accounts.at(id);
    if (Has(a.flags, AccountFlag::kDebitsMustNotExceedCredits) &&
        b.debits_pending + b.debits_posted > b.credits_posted) {
      Problem("account " + Name(id) + " debits exceed credits after transfer " + Name(transfer_id));
    }
    if (Has(a.flags, AccountFlag::kCreditsMustNotExceedDebits) &&
        b.credits_pending + b.credits_posted > b.debits_posted) {
      Problem("account " + Name(id) + " credits exceed debits after transfer " + Name(transfer_id));
    }
  }

  void CompareBalances() {
    for (const auto& [id, a] : journal_.accounts) {
      const Balances b = balances_[id];
      if (b.debits_pending != a.debits_pending || b.debits_posted != a.debits_posted ||
          b.credits_pending != a.credits_pending || b.credits_posted != a.credits_posted) {
        Problem("account " + Name(id) + " balances differ from the sum of its transfers");
      }
    }
  }

  void CheckLedgerTotals() {
    std::map<uint32_t, Balances> totals;
    for (const auto& [id, a] : journal_.accounts) {
      Balances& t = totals[a.ledger];
      t.debits_pending += a.debits_pending;
      t.debits_posted += a.debits_posted;
      t.credits_pending += a.credits_pending;
      t.credits_posted += a.credits_posted;
    }
    for (const auto& [ledger, t] : totals) {
      if (t.debits_posted != t.credits_posted || t.debits_pending != t.credits_pending) {
        Problem("ledger " + std::to_string(ledger) + ": total debits differ from total credits");
      }
    }
  }

  const Collector& journal_;
  VerifyReport* report_;
  std::unordered_map<Id128, Balances, core::Id128Hash> balances_;
  std::unordered_map<Id128, PendingRecord, core::Id128Hash> pending_;
  uint64_t timestamp_last_ = 0;
};

}  // namespace

core::Status Verify(store::Store& store, VerifyReport* report) {
  NETFIN_ASSERT(report != nullptr);
  *report = VerifyReport{};
  store::ChainReport chain;
  NETFIN_RETURN_IF_ERROR(store.VerifyChain(&chain));
  report->batches = chain.batches_checked;
  if (chain.first_bad_batch) {
    report->problems.push_back("checksum chain broken at batch " +
                               std::to_string(*chain.first_bad_batch) + ": " + chain.detail);
  }
  Collector journal;
  NETFIN_RETURN_IF_ERROR(store.Load(journal));
  report->accounts = journal.accounts.size();
  report->transfers = journal.transfers.size();
  Auditor(journal, report).Run();
  report->expiries = journal.expiries.size();
  return core::Status::Ok();
}

}  // namespace netfin::ledger
