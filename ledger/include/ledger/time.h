// Timestamps: milliseconds since the Unix epoch, UTC.
//
// Their text form is RFC 3339 in UTC with a "Z", to the second, with exactly
// three fraction digits only when the milliseconds are not zero:
// "2012-03-01T09:00:00Z", "2012-03-01T09:00:00.250Z". Parsing accepts only
// that form, so each timestamp has exactly one text (needed for signing).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/status.h"

namespace pl::ledger {

using Timestamp = std::int64_t;

std::string FormatTimestamp(Timestamp t);
// Rule "time.format" on anything else, including non-canonical forms.
Result<Timestamp> ParseTimestamp(std::string_view text);
Timestamp Now();

}  // namespace pl::ledger
