// sessionrig/ascii.h: ASCII-only text helpers for protocol tokens (HTTP
// header names, media types, charsets), which RFC 9110 compares
// case-insensitively in ASCII. Never locale-dependent.
//
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace sessionrig {

// 'A'..'Z' -> 'a'..'z'; every other byte unchanged.
constexpr char LowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// True if `a` and `b` are equal ignoring ASCII case.
constexpr bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (LowerAscii(a[i]) != LowerAscii(b[i])) return false;
  }
  return true;
}

// `s` with ASCII letters lowered.
inline std::string ToLowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = LowerAscii(c);
  return out;
}

}  // namespace sessionrig
