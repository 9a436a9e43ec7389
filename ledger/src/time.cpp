#include "ledger/time.h"

#include <chrono>

namespace pl::ledger {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days (proleptic Gregorian).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void CivilFromDays(std::int64_t z, std::int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<std::int64_t>(yoe) + era * 400 + (*m <= 2);
}

constexpr std::int64_t kMsPerDay = 86400000;

}  // namespace

std::string FormatTimestamp(Timestamp t) {
  std::int64_t days = t / kMsPerDay;
  std::int64_t ms = t % kMsPerDay;
  if (ms < 0) {
    ms += kMsPerDay;
    --days;
  }
  std::int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // Hand-formatted: this runs for every event hashed or shown.
  char buf[24];
  auto put = [&buf](int at, std::int64_t value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10)
      buf[at + i] = static_cast<char>('0' + value % 10);
  };
  const auto secs = static_cast<int>(ms / 1000);
  const auto frac = static_cast<int>(ms % 1000);
  put(0, y, 4);
  buf[4] = '-';
  put(5, m, 2);
  buf[7] = '-';
  put(8, d, 2);
  buf[10] = 'T';
  put(11, secs / 3600, 2);
  buf[13] = ':';
  put(14, secs / 60 % 60, 2);
  buf[16] = ':';
  put(17, secs % 60, 2);
  int n = 19;
  if (frac) {
    buf[n] = '.';
    put(n + 1, frac, 3);
    n += 4;
  }
  buf[n++] = 'Z';
  return std::string(buf, static_cast<std::size_t>(n));
}

Result<Timestamp> ParseTimestamp(std::string_view text) {
  auto bad = [&] {
    return Status::Invalid("time.format", "\"" + std::string(text) +
                                              "\" is not an RFC 3339 UTC time like "
                                              "2012-03-01T09:00:00Z (or .250Z)");
  };
  auto digits = [&](std::size_t pos, std::size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y, mo, d, h, mi, s, frac = 0;
  if (text.size() != 20 && text.size() != 24) return bad();
  if (!digits(0, 4, &y) || text[4] != '-' || !digits(5, 2, &mo) || text[7] != '-' ||
      !digits(8, 2, &d) || text[10] != 'T' || !digits(11, 2, &h) || text[13] != ':' ||
      !digits(14, 2, &mi) || text[16] != ':' || !digits(17, 2, &s) || text.back() != 'Z') {
    return bad();
  }
  if (text.size() == 24 && (text[19] != '.' || !digits(20, 3, &frac) || frac == 0)) return bad();
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return bad();
  const Timestamp t =
      (DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400 + h * 3600 +
       mi * 60 + s) *
          1000 +
      frac;
  if (FormatTimestamp(t) != text) return bad();  // e.g. February 30th
  return t;
}

Timestamp Now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pl::ledger
