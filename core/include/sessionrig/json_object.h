// sessionrig/json_object.h: a JSON object value that allocates nothing while
// it is empty. The session model (session_document.h) keeps every custom
// object and every level's untyped keys in one; most of them are empty in a
// parsed document, and an empty nlohmann object still allocates its map.
//
// A JsonObject always holds an object: empty, or an nlohmann object. An
// empty object given to it normalises to the empty state, so equality is by
// value ({} equals a default-constructed JsonObject) and value() reads the
// same as the nlohmann object it replaces.
//
// Thread-safety: a value type; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>

namespace sessionrig {

class JsonObject {
 public:
  JsonObject() = default;
  // `object` must be a JSON object (std::invalid_argument otherwise).
  explicit JsonObject(nlohmann::json object);
  JsonObject& operator=(nlohmann::json object);

  // No keys. Also true after mutable_value() was asked for and left without
  // keys.
  bool empty() const { return value_.empty(); }

  // The object; a shared empty object while empty().
  const nlohmann::json& value() const { return value_.is_null() ? EmptyObject() : value_; }

  // The object, for changing in place; makes it (allocating) when empty.
  // The caller must leave it an object.
  nlohmann::json& mutable_value() {
    if (value_.is_null()) value_ = nlohmann::json::object();
    return value_;
  }

  friend bool operator==(const JsonObject& a, const JsonObject& b) {
    if (a.empty() || b.empty()) return a.empty() && b.empty();
    return a.value_ == b.value_;
  }

 private:
  static const nlohmann::json& EmptyObject();

  nlohmann::json value_;  // null while empty, else an object (maybe emptied)
};

}  // namespace sessionrig
