// sessionrig/json_codec.h: the one strict JSON entry point of the project.
// Every byte that arrives from a network peer (responses in core, requests
// in sessiond) is parsed here, under explicit limits, before any code looks
// at it. Built on the one-pass JsonReader (core/src/common/json_reader.h),
// which builds the nlohmann DOM from its tokens and enforces the limits in
// the same pass: it is iterative, so hostile nesting (200k '[') is refused by
// the depth limit without recursion; duplicate object keys are refused
// rather than silently overwritten. Thread-safe: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "sessionrig/status.h"

namespace sessionrig {

struct JsonLimits {
  std::size_t max_bytes = 1u << 20;          // whole text, bytes
  std::uint32_t max_depth = 32;              // nesting of objects/arrays
  std::size_t max_string_bytes = 64u << 10;  // each string and key, bytes
  std::size_t max_container_items = 4096;    // members of one object / items of one array
};

// Parses `text` as one JSON value (RFC 8259; a leading UTF-8 BOM skipped).
// Errors: kSizeLimit, kJsonDepthLimit, kStringTooLong, kTooManyMembers,
// kJsonSyntax (invalid JSON, invalid UTF-8, trailing bytes, duplicate keys).
// Messages name the 0-based byte offset of the refusal, e.g.
//   invalid JSON at byte 7: expected ',' or '}'
//   invalid JSON at byte 12: duplicate key "a"
//   nesting deeper than 32 at byte 40
[[nodiscard]] StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text,
                                                       const JsonLimits& limits = {});

// `value` as compact JSON text, the one way sessionrig writes JSON to a peer
// (request bodies, session documents, the C getters' JSON strings). Never
// throws on content: strings that are not valid UTF-8 (possible only in
// values built by hand, never in parsed ones) are written with U+FFFD.
std::string DumpJson(const nlohmann::json& value);

}  // namespace sessionrig
