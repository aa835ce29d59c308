// common/utf8.h (private to core): strict UTF-8 checks for text the C API
// takes from callers and for strings it must cut to a fixed buffer.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>

namespace sessionrig {

// True if `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view s);

// The longest prefix of `s` of at most `max_bytes` bytes that does not end
// inside a multi-byte sequence (for valid UTF-8: whole code points only).
std::string_view TruncateUtf8(std::string_view s, std::size_t max_bytes);

}  // namespace sessionrig
