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
std::string LoanListJson(const std::vector<std::string>& items, std::optional<Id128> next);
// The day's tally, and the loans by bucket and class as they stand.
std::string DaySummaryJson(CivilDate date, const DayTally& tally, const CreditState& state);

}  // namespace netfin::credit
