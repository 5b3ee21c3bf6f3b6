#pragma once

// JSON views of the credit service's records: a loan, an offer, a page of
// loans, a day-end summary. Amounts in minor units (fen), dates
// "YYYY-MM-DD", rates in parts per million and as percent text.

#include <optional>
#include <string>
#include <vector>

#include "credit/credit_state.h"
#include "credit/offer.h"

namespace netfin::credit {

std::string LoanJson(const LoanRecord& record, CivilDate open_date);
std::string OfferJson(const Offer& offer);
// A credit line: its limit, what is used and available, its state, the
// cycle's purchases not yet billed, and its history when the record has it.
std::string LineJson(const LineRecord& record);
std::string LoanListJson(const std::vector<std::string>& items, std::optional<Id128> next);
// An assessment's answer: score, grade, the limit it gives and the reasons.
std::string AssessmentJson(const Id128& borrower_id, const ScoreResult& score,
                           AmountMinor limit_minor);
// A borrower's limit (null when none), grade, state, what is used (principal
// outstanding and unbilled purchases) and available, and each decision,
// oldest first, when the record has them.
std::string BorrowerJson(const BorrowerRecord& record, AmountMinor used_minor);
// The day's tally, and the loans by bucket and class as they stand.
std::string DaySummaryJson(CivilDate date, const DayTally& tally, const CreditState& state);

}  // namespace netfin::credit
