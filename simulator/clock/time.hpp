// SPDX-License-Identifier: Apache-2.0
// Instants, Japan Standard Time and ISO-8601 text. Asia/Tokyo has had no DST since 1951,
// so local time is always UTC+09:00.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mynasim {

using millis = std::chrono::milliseconds;
using instant = std::chrono::sys_time<millis>;  // a point on the (virtual) time line, UTC based
using std::chrono::sys_days;

inline constexpr std::chrono::hours jst_offset{9};

// Minutes since 1970-01-01T00:00 *local* (JST) time; the unit operating rules work in.
using local_minutes = std::int64_t;

local_minutes to_local_minutes(instant t);
instant from_local_minutes(local_minutes m);
sys_days local_day(instant t);       // the JST calendar day containing t
int local_minute_of_day(instant t);  // 0..1439 in JST

// The span every instant lives in — parsed, configured or reached by moving the virtual
// clock — so no date arithmetic can overflow: 1900-01-01 to 2199-12-31 (JST).
inline constexpr int first_supported_year = 1900;
inline constexpr int last_supported_year = 2199;
instant earliest_instant();
instant latest_instant();
bool in_supported_range(instant t);

// Parses "2026-12-28T20:55:00+09:00", "...Z", fractional seconds, and a bare local
// "2026-12-28T20:55[:00]" or "2026-12-28" (taken as JST); nullopt outside the supported span.
std::optional<instant> parse_instant(std::string_view text);
// "2026-12-28T20:55:00+09:00" (milliseconds appear only when not zero).
std::string format_instant(instant t);
std::string format_date(sys_days d);                        // "2026-12-28"
std::optional<sys_days> parse_date(std::string_view text);  // "2026-12-28"

// ISO-8601 durations: "PT2H30M", "P1D", "PT0.5S", "-PT5M"; at most the supported span.
std::optional<millis> parse_duration(std::string_view text);

// "HH:MM" with 00:00..24:00, returned as minutes of day.
std::optional<int> parse_clock_time(std::string_view text);
std::string format_clock_time(int minute_of_day);

}  // namespace mynasim
