#include "loadgen/users.h"

#include <charconv>
#include <unordered_set>

namespace sessionrig::loadgen {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

bool ParseXuid(std::string_view text, std::uint64_t* xuid) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *xuid);
  return !text.empty() && ec == std::errc() && ptr == end && *xuid != 0;
}

}  // namespace

StatusOr<std::vector<UserCredential>> ParseTokenFile(std::string_view text) {
  std::vector<UserCredential> users;
  std::unordered_set<std::uint64_t> seen;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = Trim(text.substr(pos, eol - pos));
    pos = eol + 1;
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "line " + std::to_string(line_number) + ": ";
    UserCredential user;
    constexpr std::string_view kXbl = "XBL3.0 x=";
    if (line.rfind(kXbl, 0) == 0) {
      const std::size_t semicolon = line.find(';', kXbl.size());
      if (semicolon == std::string_view::npos || semicolon + 1 == line.size() ||
          !ParseXuid(line.substr(kXbl.size(), semicolon - kXbl.size()), &user.xuid)) {
        return Status(StatusCode::kInvalidArgument,
                      where + "want 'XBL3.0 x=<xuid>;<token>' or '<xuid> <Authorization>'");
      }
      user.authorization = std::string(line);
    } else {
      const std::size_t space = line.find_first_of(" \t");
      if (space == std::string_view::npos || !ParseXuid(line.substr(0, space), &user.xuid) ||
          Trim(line.substr(space)).empty()) {
        return Status(StatusCode::kInvalidArgument,
                      where + "want '<xuid> <Authorization>' or 'XBL3.0 x=<xuid>;<token>'");
      }
      user.authorization = std::string(Trim(line.substr(space)));
    }
    if (!seen.insert(user.xuid).second) {
      return Status(StatusCode::kInvalidArgument,
                    where + "xuid " + std::to_string(user.xuid) + " is listed twice");
    }
    users.push_back(std::move(user));
  }
  if (users.empty()) return Status(StatusCode::kInvalidArgument, "no users (one per line)");
  return users;
}

}  // namespace sessionrig::loadgen
