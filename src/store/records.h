#pragma once

// The records the ledger is made of, as the journal stores them. The ledger's
// semantics live in src/ledger/; the shapes live here, below it, because the
// store must read and write them and dependencies point down only.
//
// Field names follow TigerBeetle's data model. Amounts and balances are
// integer minor units of the ledger's currency (core/money.h).

#include <concepts>
#include <cstdint>
#include <string>
#include <type_traits>

#include "core/id.h"
#include "core/money.h"

namespace netfin::store {

using core::AmountMinor;
using core::Id128;

// Account flags, a bit set. DO NOT RENUMBER: persisted.
enum class AccountFlag : uint16_t {
  kLinked = 1u << 0,
  kDebitsMustNotExceedCredits = 1u << 1,
  kCreditsMustNotExceedDebits = 1u << 2,
  kHistory = 1u << 3,
  kClosed = 1u << 4,
};
inline constexpr uint16_t kAccountFlagsKnown = 0x1F;

// Transfer flags, a bit set. DO NOT RENUMBER: persisted.
enum class TransferFlag : uint16_t {
  kLinked = 1u << 0,
  kPending = 1u << 1,
  kPostPendingTransfer = 1u << 2,
  kVoidPendingTransfer = 1u << 3,
  kBalancingDebit = 1u << 4,
  kBalancingCredit = 1u << 5,
  // Bits 6 and 7 are reserved for TigerBeetle's closing_debit/closing_credit,
  // not supported yet: an account is closed only by creating it closed.
};
inline constexpr uint16_t kTransferFlagsKnown = 0x3F;

inline bool Has(uint16_t flags, AccountFlag f) { return (flags & static_cast<uint16_t>(f)) != 0; }
inline bool Has(uint16_t flags, TransferFlag f) { return (flags & static_cast<uint16_t>(f)) != 0; }
// A transfer that resolves a pending one (post_pending_transfer or
// void_pending_transfer).
inline bool IsPostOrVoid(uint16_t flags) {
  return Has(flags, TransferFlag::kPostPendingTransfer) ||
         Has(flags, TransferFlag::kVoidPendingTransfer);
}
// A transfer whose amount is "as much as the limits allow".
inline bool IsBalancing(uint16_t flags) {
  return Has(flags, TransferFlag::kBalancingDebit) || Has(flags, TransferFlag::kBalancingCredit);
}

struct Account {
  Id128 id;
  AmountMinor debits_pending = 0;
  AmountMinor debits_posted = 0;
  AmountMinor credits_pending = 0;
  AmountMinor credits_posted = 0;
  Id128 user_data_128;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  uint32_t ledger = 0;  // the currency and the book: only accounts of one ledger transact
  uint16_t code = 0;    // the account's type, chosen by the user (e.g. 1 = wallet)
  uint16_t flags = 0;   // AccountFlag bits
  uint64_t timestamp = 0;  // assigned by the ledger at creation, ns since epoch

  friend bool operator==(const Account&, const Account&) = default;
};

// The amount of a post_pending_transfer or void_pending_transfer may be
// omitted to mean "the pending amount", and the amount of a balancing
// transfer to mean "as much as the limits allow": that is kAmountUpToMax
// (TigerBeetle's AMOUNT_MAX). It is never stored: the stored amount is what
// actually moved.
inline constexpr AmountMinor kAmountUpToMax = core::kAmountMax;

struct Transfer {
  Id128 id;
  Id128 debit_account_id;
  Id128 credit_account_id;
  AmountMinor amount = 0;
  Id128 pending_id;  // for post_pending_transfer / void_pending_transfer
  Id128 user_data_128;
  uint64_t user_data_64 = 0;
  uint32_t user_data_32 = 0;
  uint32_t timeout = 0;  // seconds; pending transfers only; 0 = never expires
  uint32_t ledger = 0;
  uint16_t code = 0;
  uint16_t flags = 0;  // TransferFlag bits
  uint64_t timestamp = 0;

  friend bool operator==(const Transfer&, const Transfer&) = default;
};

// A pending transfer that reached its timeout before being posted or voided.
// The ledger releases its amount and records this, with its own timestamp.
struct Expiry {
  Id128 pending_id;
  uint64_t timestamp = 0;
  friend bool operator==(const Expiry&, const Expiry&) = default;
};

// An account's balances just after one transfer or expiry touched it; kept
// for accounts with the `history` flag.
struct AccountBalance {
  Id128 account_id;
  uint64_t timestamp = 0;  // the transfer's (or expiry's) timestamp
  AmountMinor debits_pending = 0;
  AmountMinor debits_posted = 0;
  AmountMinor credits_pending = 0;
  AmountMinor credits_posted = 0;
  friend bool operator==(const AccountBalance&, const AccountBalance&) = default;
};

// A role's typed event (payments, and later risk, credit...), committed in
// the same batch, and so the same storage transaction, as the ledger records
// it accompanies: a role's state and the money it moved are durable together,
// and the role's state is rebuilt from its events at recovery. The store
// keeps the payload as opaque bytes.
struct RoleEvent {
  uint64_t sequence = 0;   // 1, 2, 3... across all roles, no gaps; assigned by the
                           // ledger service; the events feed's cursor
  uint64_t timestamp = 0;  // ns since the epoch: the clock reading of its batch
  uint16_t role = 0;       // which role owns it (values defined in ledger/command.h)
  uint16_t type = 0;       // role-defined
  Id128 subject_a;         // the parties the event concerns (zero: none);
  Id128 subject_b;         // the events feed filters on them
  std::string payload;     // role-defined bytes, at most kRoleEventPayloadBytesMax
  friend bool operator==(const RoleEvent&, const RoleEvent&) = default;
};

// The largest payload of one role event.
inline constexpr size_t kRoleEventPayloadBytesMax = 64 * 1024;
// Every record's fields, in declaration order: the one order of every
// encoding (the chain checksum, the journal's frames, SQLite's columns), so a
// field is listed here once and not in each codec. ForEachField(record, f)
// calls f(field, kind) for each field, with the field as a reference (const
// when the record is); kind tells the readers that check ranges which of the
// u64 fields are amounts or timestamps.
enum class FieldKind : uint8_t { kId, kAmount, kTimestamp, kU64, kU32, kU16 };

template <typename A, typename F>
  requires std::same_as<std::remove_const_t<A>, Account>
constexpr void ForEachField(A& a, F&& f) {
  f(a.id, FieldKind::kId);
  f(a.debits_pending, FieldKind::kAmount);
  f(a.debits_posted, FieldKind::kAmount);
  f(a.credits_pending, FieldKind::kAmount);
  f(a.credits_posted, FieldKind::kAmount);
  f(a.user_data_128, FieldKind::kId);
  f(a.user_data_64, FieldKind::kU64);
  f(a.user_data_32, FieldKind::kU32);
  f(a.ledger, FieldKind::kU32);
  f(a.code, FieldKind::kU16);
  f(a.flags, FieldKind::kU16);
  f(a.timestamp, FieldKind::kTimestamp);
}

template <typename T, typename F>
  requires std::same_as<std::remove_const_t<T>, Transfer>
constexpr void ForEachField(T& t, F&& f) {
  f(t.id, FieldKind::kId);
  f(t.debit_account_id, FieldKind::kId);
  f(t.credit_account_id, FieldKind::kId);
  f(t.amount, FieldKind::kAmount);
  f(t.pending_id, FieldKind::kId);
  f(t.user_data_128, FieldKind::kId);
  f(t.user_data_64, FieldKind::kU64);
  f(t.user_data_32, FieldKind::kU32);
  f(t.timeout, FieldKind::kU32);
  f(t.ledger, FieldKind::kU32);
  f(t.code, FieldKind::kU16);
  f(t.flags, FieldKind::kU16);
  f(t.timestamp, FieldKind::kTimestamp);
}

template <typename E, typename F>
  requires std::same_as<std::remove_const_t<E>, Expiry>
constexpr void ForEachField(E& e, F&& f) {
  f(e.pending_id, FieldKind::kId);
  f(e.timestamp, FieldKind::kTimestamp);
}

template <typename B, typename F>
  requires std::same_as<std::remove_const_t<B>, AccountBalance>
constexpr void ForEachField(B& b, F&& f) {
  f(b.account_id, FieldKind::kId);
  f(b.timestamp, FieldKind::kTimestamp);
  f(b.debits_pending, FieldKind::kAmount);
  f(b.debits_posted, FieldKind::kAmount);
  f(b.credits_pending, FieldKind::kAmount);
  f(b.credits_posted, FieldKind::kAmount);
}

}  // namespace netfin::store
