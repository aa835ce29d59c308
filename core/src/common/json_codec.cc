#include "sessionrig/json_codec.h"

#include <string>

#include "common/json_reader.h"

namespace sessionrig {

StatusOr<nlohmann::json> ParseJsonStrict(std::string_view text, const JsonLimits& limits) {
  // The reader enforces every limit and refuses duplicate keys in the same
  // pass that builds the DOM, and says why it refused (json_reader.h).
  JsonReader reader(text, limits);
  nlohmann::json root;
  if (!reader.Begin() || !reader.ReadValue(&root) || !reader.End()) return reader.status();
  return root;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace sessionrig
