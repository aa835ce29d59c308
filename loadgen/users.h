// loadgen/users.h: who the load generator acts as. Against the embedded
// sessiond loadgen mints a dev token for each user itself; against
// --target it reads one Authorization value per user from --token-file.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sessionrig/status.h"

namespace sessionrig::loadgen {

struct UserCredential {
  std::uint64_t xuid = 0;
  std::string authorization;  // the Authorization header value
};

// The xuid of embedded user `index` (0-based): 2533274790400001 + index.
inline std::uint64_t EmbeddedXuid(std::uint64_t index) { return 2533274790400001ull + index; }

// Parses --token-file contents: one user per line, either
//   "<xuid> <Authorization value>"          (any scheme; e.g. a real XBL3.0 token)
//   "XBL3.0 x=<xuid>;<token>"               (what `sessionctl token` prints)
// Blank lines and lines starting with '#' are skipped; surrounding spaces
// and a trailing '\r' are ignored. Errors: kInvalidArgument naming the line
// ("line 3: ..."), no users, or one xuid listed twice.
StatusOr<std::vector<UserCredential>> ParseTokenFile(std::string_view text);

}  // namespace sessionrig::loadgen
