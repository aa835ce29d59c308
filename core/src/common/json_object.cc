#include "sessionrig/json_object.h"

#include <stdexcept>
#include <utility>

namespace sessionrig {

JsonObject::JsonObject(nlohmann::json object) { *this = std::move(object); }

JsonObject& JsonObject::operator=(nlohmann::json object) {
  if (!object.is_object()) throw std::invalid_argument("JsonObject: not a JSON object");
  if (object.empty()) {
    value_ = nullptr;  // frees the empty map
  } else {
    value_ = std::move(object);
  }
  return *this;
}

const nlohmann::json& JsonObject::EmptyObject() {
  static const nlohmann::json* const kEmpty = new nlohmann::json(nlohmann::json::object());
  return *kEmpty;
}

}  // namespace sessionrig
