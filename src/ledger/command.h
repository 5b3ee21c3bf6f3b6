#pragma once

// Commands: how a role (payments, later risk and credit) changes money and
// its own state in one all-or-nothing, durable step.
//
// A role's state lives in memory and is rebuilt at recovery from the role
// events it wrote (event sourcing). A Command runs on the ledger's applier
// thread, inside the group commit being built: it reads balances, creates
// accounts and transfers, and appends role events, all into the same batch,
// so the batch's single storage transaction makes the money and the role's
// record of it durable together. Its `done` runs once that batch is durable.
//
// Because every command runs on the one applier thread, in queue order, a
// role needs no lock around state that only commands touch, and a read done
// as a command (ledger_events_max = 0) sees every earlier command and is
// answered only after the batches before it are durable.
//
// Rules for `apply` (the state machine's own discipline): check everything
// first, then mutate; never block; never throw; stay within
// ledger_events_max accounts + transfers.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ledger/state_machine.h"
#include "store/records.h"

namespace netfin::ledger {

// The owner of a role event. DO NOT RENUMBER: persisted.
enum class Role : uint16_t {
  kAuth = 1,      // API keys (src/api)
  kPayments = 2,  // wallets, merchants, payments (src/payments)
  kCredit = 3,    // loans, their day-ends and the credit books (src/credit)
};

class CommandContext {
 public:
  CommandContext(StateMachine& state, std::vector<store::RoleEvent>& events,
                 uint64_t& event_sequence, uint64_t now_ns, uint32_t ledger_events_max);

  // The applier's clock reading for this batch (ns since the epoch).
  uint64_t now_ns() const { return now_ns_; }

  void CreateAccounts(std::span<const Account> events, std::vector<AccountOutcome>* outcomes);
  void CreateTransfers(std::span<const Transfer> events, std::vector<TransferOutcome>* outcomes);

  // Current state, including changes of this batch not yet durable. The
  // pointers stay valid only until the next Create* call.
  const Account* LookupAccount(const Id128& id) const { return state_.LookupAccount(id); }
  const Transfer* LookupTransfer(const Id128& id) const { return state_.LookupTransfer(id); }
  PendingStatus GetPendingStatus(const Id128& id) const { return state_.GetPendingStatus(id); }

  // Appends a role event to the batch (its sequence and timestamp assigned)
  // and returns it; the reference is valid until the next AppendEvent.
  // REQUIRES: payload.size() <= store::kRoleEventPayloadBytesMax.
  const store::RoleEvent& AppendEvent(Role role, uint16_t type, const Id128& subject_a, const Id128& subject_b,
                       std::string payload);

 private:
  StateMachine& state_;
  std::vector<store::RoleEvent>& events_;
  uint64_t& event_sequence_;  // the last sequence handed out
  uint64_t now_ns_;
  uint32_t ledger_events_left_;
};

struct Command {
  // The most accounts + transfers `apply` may create (0 for reads and
  // event-only commands); the applier packs batches by it.
  uint32_t ledger_events_max = 0;
  // Runs on the applier thread.
  std::function<void(CommandContext&)> apply;
  // Runs once, on the commit thread, after the batch holding the command is
  // durable (ok), or with kUnavailable when it never will be (then nothing
  // of it is durable, and the service stops until a restart recovers).
  // Must not block.
  std::function<void(core::Status)> done;
};

// What every role's commands share.

// An Idempotency-Key names one request of one client: 1..255 printable
// ASCII characters, no spaces. One rule for every role's POSTs.
inline constexpr size_t kIdempotencyKeyBytesMax = 255;
inline bool IsValidIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > kIdempotencyKeyBytesMax) return false;
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// What a role answers a POST without a valid Idempotency-Key, and one whose
// key was used before with a different request.
inline constexpr std::string_view kIdempotencyKeyInvalidMessage =
    "every POST needs an Idempotency-Key header of 1..255 printable ASCII characters";
inline constexpr std::string_view kIdempotencyKeyReusedMessage =
    "this Idempotency-Key was used with a different request";

// A command that computes a role's Reply on the applier thread (`apply`) and
// answers it through `reply` once the batch holding it is durable; when the
// batch never will be, `reply` gets unavailable(status) instead. Every role's
// commands answer this way.
template <typename Reply>
Command ReplyCommand(uint32_t ledger_events_max, std::function<Reply(CommandContext&)> apply,
                     std::function<void(Reply)> reply,
                     std::function<Reply(const core::Status&)> unavailable) {
  auto result = std::make_shared<Reply>();
  Command command;
  command.ledger_events_max = ledger_events_max;
  command.apply = [apply = std::move(apply), result](CommandContext& ctx) { *result = apply(ctx); };
  command.done = [result, reply = std::move(reply),
                  unavailable = std::move(unavailable)](core::Status status) {
    reply(status.ok() ? std::move(*result) : unavailable(status));
  };
  return command;
}

// Starts an operation that answers through a callback, and waits for the
// answer: the blocking form a role offers the CLI and tests. REQUIRES: not
// the applier thread (the answer comes after a batch is durable).
template <typename Reply>
Reply AwaitReply(const std::function<void(std::function<void(Reply)>)>& start) {
  std::promise<Reply> promise;
  auto future = promise.get_future();
  start([&promise](Reply r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace netfin::ledger
