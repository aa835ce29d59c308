// sessionrig/duration.h: the one duration grammar of every sessionrig
// command line, config file, fault spec and threshold, and its printer.
//
// Grammar: a non-negative decimal number followed by a unit,
//   us (microseconds), ms, s, m (minutes), h (hours)
// e.g. "250us", "20ms", "1.5s", "2m", "0.5h". Decimals are allowed in every
// unit; exponents ("1e3ms") too. The value is rounded to the nearest
// microsecond. Where a caller allows it (BareNumber::kSeconds: loadgen's
// --duration and friends, as in k6), a number without a unit is seconds.
//
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "sessionrig/status.h"

namespace sessionrig {

// Longest duration any caller accepts: 100 days, in microseconds. Callers
// with a smaller range check it themselves.
inline constexpr std::chrono::microseconds kMaxDuration{100LL * 24 * 3600 * 1000000};

enum class BareNumber {
  kRejected,  // "30" is an error: the unit is required
  kSeconds,   // "30" means 30 s
};

// Parses `text` per the grammar above. Errors (kInvalidArgument), with
// messages that quote the text: not a number, no unit (when required),
// unknown unit (naming the units), negative, longer than kMaxDuration.
[[nodiscard]] StatusOr<std::chrono::microseconds> ParseDuration(
    std::string_view text, BareNumber bare = BareNumber::kRejected);

// A duration for people, in the grammar above so it parses back: "0s",
// "250us", "1.5ms", "20ms", "1.5s", "90s", "2.5m", "30m", "2h". Units step
// up at 1 ms, 1 s, 2 min and 2 h; at most 3 decimals (rounded), trailing
// zeros dropped. Negative durations print with a leading '-'.
std::string FormatDuration(std::chrono::microseconds d);

}  // namespace sessionrig
