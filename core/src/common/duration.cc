#include "sessionrig/duration.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>

namespace sessionrig {
namespace {

Status Invalid(std::string_view text, std::string_view why) {
  std::string message = "\"";
  message += text;
  message += "\" ";
  message += why;
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

// Microseconds per unit, or 0 for an unknown unit.
double UnitMicros(std::string_view unit) {
  if (unit == "us") return 1;
  if (unit == "ms") return 1e3;
  if (unit == "s") return 1e6;
  if (unit == "m") return 60e6;
  if (unit == "h") return 3600e6;
  return 0;
}

// `value` with at most 3 decimals, trailing zeros (and a bare '.') dropped.
std::string Decimal(double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof(buffer), "%.3f", value);
  std::string out = buffer;
  while (!out.empty() && out.back() == '0') out.pop_back();
  if (!out.empty() && out.back() == '.') out.pop_back();
  return out;
}

}  // namespace

StatusOr<std::chrono::microseconds> ParseDuration(std::string_view text, BareNumber bare) {
  constexpr std::string_view kUnits = "(use us, ms, s, m or h, e.g. 250us, 20ms, 1.5s, 2m, 1h)";
  // The number: digits, '.', sign and exponent (no unit starts with 'e').
  std::size_t split = 0;
  while (split < text.size() &&
         ((text[split] >= '0' && text[split] <= '9') || text[split] == '.' || text[split] == 'e' ||
          text[split] == 'E' || text[split] == '+' || text[split] == '-')) {
    ++split;
  }
  const std::string_view number = text.substr(0, split);
  const std::string_view unit = text.substr(split);
  double value = 0;
  const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || end != number.data() + number.size() ||
      !std::isfinite(value)) {
    return Invalid(text, std::string("is not a duration ") + std::string(kUnits));
  }
  double micros_per_unit = 0;
  if (unit.empty()) {
    if (bare == BareNumber::kRejected) {
      return Invalid(text, std::string("needs a unit ") + std::string(kUnits));
    }
    micros_per_unit = 1e6;
  } else {
    micros_per_unit = UnitMicros(unit);
    if (micros_per_unit == 0) {
      return Invalid(text,
                     "has an unknown unit '" + std::string(unit) + "' " + std::string(kUnits));
    }
  }
  if (value < 0) return Invalid(text, "is negative");
  const double micros = value * micros_per_unit;
  if (micros > static_cast<double>(kMaxDuration.count())) {
    return Invalid(text, "is longer than 100 days");
  }
  return std::chrono::microseconds(static_cast<std::int64_t>(std::llround(micros)));
}

std::string FormatDuration(std::chrono::microseconds d) {
  const std::int64_t us = d.count();
  if (us < 0) return "-" + FormatDuration(std::chrono::microseconds(-us));
  if (us == 0) return "0s";
  const auto v = static_cast<double>(us);
  if (us < 1000) return std::to_string(us) + "us";
  if (us < 1000000) return Decimal(v / 1e3) + "ms";
  if (us < 120LL * 1000000) return Decimal(v / 1e6) + "s";
  if (us < 7200LL * 1000000) return Decimal(v / 60e6) + "m";
  return Decimal(v / 3600e6) + "h";
}

}  // namespace sessionrig
