#include "core/assert.h"
#include "credit/civil_date.h"

namespace netfin::credit {

uint32_t DayCountBasisDays(DayCount day_count) {
  switch (day_count) {
    case DayCount::kActual365:
      return 365;
    case DayCount::kActual360:
      return 360;
  }
  NETFIN_ASSERT(false);
  return 365;
}

std::string_view DayCountName(DayCount day_count) {
  switch (day_count) {
    case DayCount::kActual365:
      return "act365";
    case DayCount::kActual360:
      return "act360";
  }
  return "unknown";
}

}  // namespace netfin::credit
