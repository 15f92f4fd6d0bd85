// SPDX-License-Identifier: Apache-2.0
#include "clock/time.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace mynasim {
namespace {

using namespace std::chrono;

// Reads exactly n digits at text[pos] and advances pos.
bool read_digits(std::string_view text, std::size_t& pos, std::size_t n, int& out) {
  if (pos + n > text.size()) return false;
  int value = 0;
  for (std::size_t i = 0; i < n; ++i) {
    char c = text[pos + i];
    if (c < '0' || c > '9') return false;
    value = value * 10 + (c - '0');
  }
  out = value;
  pos += n;
  return true;
}

bool expect(std::string_view text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

std::optional<sys_days> make_date(int y, int m, int d) {
  year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd};
}

}  // namespace

local_minutes to_local_minutes(instant t) {
  return floor<minutes>(t.time_since_epoch() + jst_offset).count();
}

instant from_local_minutes(local_minutes m) {
  return instant{duration_cast<millis>(minutes{m} - jst_offset)};
}

sys_days local_day(instant t) {
  return floor<days>(t + jst_offset);
}

int local_minute_of_day(instant t) {
  auto local = t + jst_offset;
  return static_cast<int>(floor<minutes>(local - floor<days>(local)).count());
}

std::optional<sys_days> parse_date(std::string_view text) {
  std::size_t pos = 0;
  int y = 0, m = 0, d = 0;
  if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, m) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, d) || pos != text.size())
    return std::nullopt;
  return make_date(y, m, d);
}

instant earliest_instant() {
  return instant(sys_days(std::chrono::year(first_supported_year) / 1 / 1)) - jst_offset;
}
instant latest_instant() {
  return instant(sys_days(std::chrono::year(last_supported_year + 1) / 1 / 1)) - jst_offset - millis{1};
}
bool in_supported_range(instant t) {
  return t >= earliest_instant() && t <= latest_instant();
}

namespace {

// The time of day an instant names, in its own offset.
struct time_of_day {
  int h = 0, mi = 0, s = 0;
  millis frac{0};
};

// YYYY-MM-DD at text[pos], within a year of the supported range.
std::optional<sys_days> read_calendar_date(std::string_view text, std::size_t& pos) {
  int y = 0, mo = 0, d = 0;
  if (!read_digits(text, pos, 4, y) || !expect(text, pos, '-') || !read_digits(text, pos, 2, mo) ||
      !expect(text, pos, '-') || !read_digits(text, pos, 2, d))
    return std::nullopt;
  if (y < first_supported_year - 1 || y > last_supported_year + 1) return std::nullopt;
  return make_date(y, mo, d);
}

// The digits after a decimal point or comma, as milliseconds (digits past the third are ignored).
bool read_fraction(std::string_view text, std::size_t& pos, millis& frac) {
  int scale = 100, ms = 0, ndigits = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    ms += (text[pos] - '0') * scale;
    scale /= 10;
    ++pos;
    ++ndigits;
  }
  if (ndigits == 0) return false;
  frac = millis{ms};
  return true;
}

// The optional "Thh:mm[:ss[.fff]]" (or with a space for T) after the date; absent: midnight.
bool read_time_of_day(std::string_view text, std::size_t& pos, time_of_day& t) {
  if (pos >= text.size()) return true;
  if (text[pos] != 'T' && text[pos] != ' ') return false;
  ++pos;
  if (!read_digits(text, pos, 2, t.h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, t.mi)) return false;
  if (pos < text.size() && text[pos] == ':') {
    ++pos;
    if (!read_digits(text, pos, 2, t.s)) return false;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
      ++pos;
      if (!read_fraction(text, pos, t.frac)) return false;
    }
  }
  return !(t.h > 24 || t.mi > 59 || t.s > 60 || (t.h == 24 && (t.mi != 0 || t.s != 0)));
}

// The optional designator "Z", "+hh:mm", "-hhmm", …; absent: JST.
bool read_utc_offset(std::string_view text, std::size_t& pos, minutes& offset) {
  offset = jst_offset;
  if (pos >= text.size()) return true;
  char c = text[pos++];
  if (c == 'Z') {
    offset = minutes{0};
    return true;
  }
  if (c != '+' && c != '-') return false;
  int oh = 0, om = 0;
  if (!read_digits(text, pos, 2, oh)) return false;
  if (pos < text.size() && text[pos] == ':') ++pos;
  if (!read_digits(text, pos, 2, om) || oh > 23 || om > 59) return false;
  offset = minutes{oh * 60 + om} * (c == '-' ? -1 : 1);
  return true;
}

}  // namespace

std::optional<instant> parse_instant(std::string_view text) {
  std::size_t pos = 0;
  auto date = read_calendar_date(text, pos);
  if (!date) return std::nullopt;
  time_of_day tod;
  if (!read_time_of_day(text, pos, tod)) return std::nullopt;
  minutes offset = jst_offset;
  if (!read_utc_offset(text, pos, offset) || pos != text.size()) return std::nullopt;
  auto local = *date + hours{tod.h} + minutes{tod.mi} + seconds{tod.s};
  auto t = instant{duration_cast<millis>(local.time_since_epoch() - offset) + tod.frac};
  if (!in_supported_range(t)) return std::nullopt;
  return t;
}

namespace {
// The n decimal digits of v (v < 10^n) at p; the end of them.
char* put_digits(char* p, unsigned v, int n) {
  for (int i = n - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + n;
}
}  // namespace

// On every answer (the mynasim-virtual-time header) and in every journal entry: digits written
// by hand, ≈ 10× fewer instructions than two snprintf calls (bench: callgrind on flow_bench).
std::string format_instant(instant t) {
  auto local = t + jst_offset;
  auto day = floor<days>(local);
  year_month_day ymd{day};
  hh_mm_ss hms{local - day};
  const int year = static_cast<int>(ymd.year());
  const auto ms = static_cast<unsigned>(hms.subseconds().count());
  char buf[48];
  char* p = buf;
  if (year >= 0 && year <= 9999) {
    p = put_digits(p, static_cast<unsigned>(year), 4);
  } else {  // beyond what parse_instant takes back; said as printf would
    p += std::snprintf(buf, 16, "%04d", year);
  }
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.month()), 2);
  *p++ = '-';
  p = put_digits(p, static_cast<unsigned>(ymd.day()), 2);
  *p++ = 'T';
  p = put_digits(p, static_cast<unsigned>(hms.hours().count()), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<unsigned>(hms.minutes().count()), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<unsigned>(hms.seconds().count()), 2);
  if (ms != 0) {
    *p++ = '.';
    p = put_digits(p, ms, 3);
  }
  for (char c : {'+', '0', '9', ':', '0', '0'}) *p++ = c;
  return std::string(buf, p);
}

std::string format_date(sys_days d) {
  year_month_day ymd{d};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()));
  return buf;
}

std::optional<millis> parse_duration(std::string_view text) {
  bool negative = false;
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  if (text.size() < 3 || text[0] != 'P') return std::nullopt;
  std::size_t pos = 1;
  bool in_time = false, any = false;
  double total_ms = 0;
  while (pos < text.size()) {
    if (text[pos] == 'T') {
      if (in_time) return std::nullopt;
      in_time = true;
      ++pos;
      continue;
    }
    std::size_t start = pos;
    while (pos < text.size() && ((text[pos] >= '0' && text[pos] <= '9') || text[pos] == '.')) ++pos;
    if (start == pos || pos >= text.size()) return std::nullopt;
    double value = 0;
    auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + pos, value);
    if (ec != std::errc{} || ptr != text.data() + pos) return std::nullopt;
    char unit = text[pos++];
    double scale = 0;
    if (!in_time && unit == 'W')
      scale = 7 * 86400e3;
    else if (!in_time && unit == 'D')
      scale = 86400e3;
    else if (in_time && unit == 'H')
      scale = 3600e3;
    else if (in_time && unit == 'M')
      scale = 60e3;
    else if (in_time && unit == 'S')
      scale = 1e3;
    else
      return std::nullopt;
    total_ms += value * scale;
    any = true;
  }
  if (!any || !(total_ms <= 300.0 * 366 * 86400e3)) return std::nullopt;
  auto ms = millis{static_cast<std::int64_t>(std::llround(total_ms))};  // total_ms >= 0: half rounds up
  return negative ? -ms : ms;
}

std::optional<int> parse_clock_time(std::string_view text) {
  std::size_t pos = 0;
  int h = 0, m = 0;
  if (!read_digits(text, pos, 2, h) || !expect(text, pos, ':') || !read_digits(text, pos, 2, m) || pos != text.size())
    return std::nullopt;
  if (m > 59 || h > 24 || (h == 24 && m != 0)) return std::nullopt;
  return h * 60 + m;
}

std::string format_clock_time(int minute_of_day) {
  std::string out = "00:00";
  out[0] = static_cast<char>('0' + minute_of_day / 600 % 10);
  out[1] = static_cast<char>('0' + minute_of_day / 60 % 10);
  out[3] = static_cast<char>('0' + minute_of_day % 60 / 10);
  out[4] = static_cast<char>('0' + minute_of_day % 10);
  return out;
}

}  // namespace mynasim
