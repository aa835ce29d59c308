// sessionrig/json_codec.h: the one strict JSON entry point of the project.
// Every byte that arrives from a network peer (responses in core, requests
// in sessiond) is parsed here, under explicit limits, before any code looks
// at it. Built on nlohmann::json's SAX interface: the parser is iterative,
// so hostile nesting (200k '[') is refused by the depth limit without
// recursion; duplicate object keys are refused rather than silently
// overwritten. Thread-safe: pure functions.
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

// Parses `text` as one JSON value. Errors: kSizeLimit, kJsonDepthLimit,
// kStringTooLong, kTooManyMembers, kJsonSyntax (invalid JSON, invalid UTF-8,
// trailing bytes, duplicate keys); the message names the byte offset.
[[nodiscard]] StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text,
                                                       const JsonLimits& limits = {});

// `value` as compact JSON text, the one way sessionrig writes JSON to a peer
// (request bodies, session documents, the C getters' JSON strings). Never
// throws on content: strings that are not valid UTF-8 (possible only in
// values built by hand, never in parsed ones) are written with U+FFFD.
std::string DumpJson(const nlohmann::json& value);

}  // namespace sessionrig
