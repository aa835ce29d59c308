// fuzz/http_response_split.h: a deliberately simple framer that cuts the raw
// bytes of ONE HTTP/1.x response into (status, headers, body), the three
// arguments of the core's pure response parser (ParseWriteResponse).
//
// Why it exists: the core has no HTTP framer of its own (libcurl frames, and
// the transport hands the parser a status, a header list and a body), so
// write_result_fuzzer needs a way to turn "realistic response bytes" into
// those arguments. Its header rules copy the transport's OnHeader (name up to
// the first ':', both sides trimmed of SP/HTAB, obsolete line folding joined
// with one space, lines without ':' ignored, interim 1xx responses skipped).
// Its body rules: none for 204/304; chunked when the last Transfer-Encoding
// coding is "chunked"; else Content-Length (several must agree); else up to
// the end. Where libcurl would fail the transfer (bad chunk, body shorter
// than Content-Length, conflicting lengths) Split returns nullopt: those
// responses never reach the parser. Real framing, including partial reads,
// chunk boundaries and resets, is exercised by transport_fuzzer, which sends
// bytes through libcurl; this framer is only a faithful-enough adaptor.
//
// What write_result_fuzzer's "whole vs slices" invariant proves with it: the
// parser's result is a function of the bytes alone. The body is parsed once
// in place and once re-assembled by std::string appends from fuzzer-chosen
// slices into an exact-size heap buffer (ASan then catches any read past the
// end), and once more with garbage bytes right after the end of the view (a
// parser that relied on NUL termination or read past `size` would diverge).
// It does not prove anything about incremental network framing.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "sessionrig/transport.h"

namespace sessionrig::fuzz {

struct SplitResponse {
  uint32_t status = 0;
  HeaderList headers;  // final response only, names as received
  std::string body;    // de-chunked
};

namespace split_detail {

inline bool IsSpace(char c) { return c == ' ' || c == '\t'; }

inline std::string_view Trim(std::string_view v) {
  while (!v.empty() && (IsSpace(v.front()) || v.front() == '\r' || v.front() == '\n')) {
    v.remove_prefix(1);
  }
  while (!v.empty() && (IsSpace(v.back()) || v.back() == '\r' || v.back() == '\n')) {
    v.remove_suffix(1);
  }
  return v;
}

inline bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Takes one line (without its LF; a CR before the LF stays, Trim drops it).
inline std::optional<std::string_view> Line(std::string_view* in) {
  const std::size_t lf = in->find('\n');
  if (lf == std::string_view::npos) return std::nullopt;
  std::string_view line = in->substr(0, lf);
  in->remove_prefix(lf + 1);
  return line;
}

inline bool ParseDecimal(std::string_view v, uint64_t* out) {
  if (v.empty() || v.size() > 18) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  *out = n;
  return true;
}

inline bool ParseHex(std::string_view v, uint64_t* out) {
  if (v.empty() || v.size() > 15) return false;
  uint64_t n = 0;
  for (char c : v) {
    uint64_t d = 0;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint64_t>(c) - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint64_t>(c) - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint64_t>(c) - 'A' + 10;
    } else {
      return false;
    }
    n = n * 16 + d;
  }
  *out = n;
  return true;
}

// "HTTP/x.y SSS reason": the status, or nullopt.
inline std::optional<uint32_t> StatusLine(std::string_view line) {
  line = Trim(line);
  if (line.substr(0, 5) != "HTTP/") return std::nullopt;
  const std::size_t sp = line.find(' ');
  if (sp == std::string_view::npos || line.size() < sp + 4) return std::nullopt;
  uint32_t status = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return std::nullopt;
    status = status * 10 + static_cast<uint32_t>(line[i] - '0');
  }
  if (line.size() > sp + 4 && line[sp + 4] != ' ') return std::nullopt;
  if (status < 100) return std::nullopt;
  return status;
}

inline bool Dechunk(std::string_view in, std::string* body) {
  while (true) {
    auto size_line = Line(&in);
    if (!size_line) return false;
    std::string_view size_text = Trim(*size_line);
    size_text = Trim(size_text.substr(0, size_text.find(';')));
    uint64_t size = 0;
    if (!ParseHex(size_text, &size)) return false;
    if (size == 0) {
      // Trailers up to an empty line (a missing final CRLF is tolerated, as
      // libcurl does when the connection closes).
      while (auto trailer = Line(&in)) {
        if (Trim(*trailer).empty()) break;
      }
      return true;
    }
    if (size > in.size()) return false;
    body->append(in.substr(0, size));
    in.remove_prefix(size);
    auto end = Line(&in);
    if (!end || !Trim(*end).empty()) return false;
  }
}

}  // namespace split_detail

// Splits `raw`; nullopt when it is not a complete response as described above.
inline std::optional<SplitResponse> SplitHttpResponse(std::string_view raw) {
  using namespace split_detail;
  SplitResponse out;
  // Interim 1xx responses first (bounded by the input's length).
  while (true) {
    auto first = Line(&raw);
    if (!first) return std::nullopt;
    auto status = StatusLine(*first);
    if (!status) return std::nullopt;
    out.status = *status;
    out.headers.clear();
    while (true) {
      auto line = Line(&raw);
      if (!line) return std::nullopt;
      if (!line->empty() && IsSpace(line->front())) {
        const std::string_view more = Trim(*line);
        if (!out.headers.empty() && !more.empty()) {
          out.headers.back().second.append(" ").append(more);
        }
        continue;
      }
      const std::string_view trimmed = Trim(*line);
      if (trimmed.empty()) break;
      const std::size_t colon = trimmed.find(':');
      if (colon == std::string_view::npos) continue;
      out.headers.emplace_back(std::string(Trim(trimmed.substr(0, colon))),
                               std::string(Trim(trimmed.substr(colon + 1))));
    }
    if (out.status >= 200 || out.status == 101) break;
  }
  if (out.status == 204 || out.status == 304 || out.status < 200) return out;

  bool chunked = false;
  std::optional<uint64_t> length;
  for (const auto& [name, value] : out.headers) {
    if (EqualsNoCase(name, "transfer-encoding")) {
      std::string_view v = value;
      const std::size_t comma = v.rfind(',');
      if (comma != std::string_view::npos) v = v.substr(comma + 1);
      chunked = EqualsNoCase(Trim(v), "chunked");
    } else if (EqualsNoCase(name, "content-length")) {
      uint64_t n = 0;
      if (!ParseDecimal(Trim(value), &n)) return std::nullopt;
      if (length && *length != n) return std::nullopt;
      length = n;
    }
  }
  if (chunked) {
    if (!Dechunk(raw, &out.body)) return std::nullopt;
  } else if (length) {
    if (*length > raw.size()) return std::nullopt;
    out.body.assign(raw.substr(0, static_cast<std::size_t>(*length)));
  } else {
    out.body.assign(raw);
  }
  return out;
}

}  // namespace sessionrig::fuzz
