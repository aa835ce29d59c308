// fuzz/legacy_json_codec.h: the former ParseJsonStrict, built on nlohmann's
// own SAX parser, kept as an oracle: session_document_fuzzer checks that the
// JsonReader-based codec accepts the same texts, builds the same DOM and
// refuses with the same StatusCode (the messages differ by design: the
// reader's words and a 0-based byte offset). Not for production use.
//
// Thread-safety: pure function.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/json_codec.h"
#include "sessionrig/status.h"

namespace sessionrig::fuzz {
namespace legacy_detail {

using nlohmann::json;

// Builds the DOM like nlohmann's own SAX DOM parser, but stops at the first
// limit crossed and records why.
class LimitedDomBuilder {
 public:
  explicit LimitedDomBuilder(const JsonLimits& limits) : limits_(limits) {}

  bool null() { return AddValue(json(nullptr)); }
  bool boolean(bool v) { return AddValue(json(v)); }
  bool number_integer(json::number_integer_t v) { return AddValue(json(v)); }
  bool number_unsigned(json::number_unsigned_t v) { return AddValue(json(v)); }
  bool number_float(json::number_float_t v, const std::string&) { return AddValue(json(v)); }
  bool string(std::string& v) {
    if (v.size() > limits_.max_string_bytes) {
      return Fail(StatusCode::kStringTooLong, "string of " + std::to_string(v.size()) +
                                                  " bytes exceeds " +
                                                  std::to_string(limits_.max_string_bytes));
    }
    return AddValue(json(std::move(v)));
  }
  bool binary(json::binary_t&) { return Fail(StatusCode::kJsonSyntax, "binary value"); }
  bool start_object(std::size_t) { return Open(json::object()); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(json::array()); }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    if (k.size() > limits_.max_string_bytes) {
      return Fail(StatusCode::kStringTooLong, "object key of " + std::to_string(k.size()) +
                                                  " bytes exceeds " +
                                                  std::to_string(limits_.max_string_bytes));
    }
    json& obj = *stack_.back();
    if (obj.contains(k)) return Fail(StatusCode::kJsonSyntax, "duplicate key \"" + k + "\"");
    pending_key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) {
    if (status_.ok()) {
      status_ = Status(StatusCode::kJsonSyntax,
                       "invalid JSON at byte " + std::to_string(position) + ": " + e.what());
    }
    return false;
  }

  Status TakeStatus() { return std::move(status_); }
  json TakeRoot() { return std::move(root_); }

 private:
  bool Fail(StatusCode code, std::string message) {
    status_ = Status(code, std::move(message));
    return false;
  }

  // Inserts `v` into the current container (or as root); returns where it went.
  json* Insert(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& parent = *stack_.back();
    if (parent.size() >= limits_.max_container_items) {
      Fail(StatusCode::kTooManyMembers,
           "container has more than " + std::to_string(limits_.max_container_items) + " items");
      return nullptr;
    }
    if (parent.is_object()) {
      json& slot = parent[pending_key_];
      slot = std::move(v);
      return &slot;
    }
    parent.push_back(std::move(v));
    return &parent.back();
  }

  bool AddValue(json&& v) { return Insert(std::move(v)) != nullptr; }

  bool Open(json&& container) {
    if (stack_.size() >= limits_.max_depth) {
      return Fail(StatusCode::kJsonDepthLimit,
                  "nesting deeper than " + std::to_string(limits_.max_depth));
    }
    json* slot = Insert(std::move(container));
    if (slot == nullptr) return false;
    stack_.push_back(slot);
    return true;
  }

  bool Close() {
    stack_.pop_back();
    return true;
  }

  const JsonLimits& limits_;
  json root_;
  std::vector<json*> stack_;  // open containers, innermost last
  std::string pending_key_;
  Status status_;
};

}  // namespace legacy_detail

inline StatusOr<nlohmann::json> LegacyParseJsonStrict(std::string_view text,
                                                      const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return Status(StatusCode::kSizeLimit, "JSON text of " + std::to_string(text.size()) +
                                              " bytes exceeds " + std::to_string(limits.max_bytes));
  }
  legacy_detail::LimitedDomBuilder builder(limits);
  const bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                                            nlohmann::json::input_format_t::json,
                                            /*strict=*/true);
  Status status = builder.TakeStatus();
  if (!ok || !status.ok()) {
    if (status.ok()) status = Status(StatusCode::kJsonSyntax, "invalid JSON");
    return status;
  }
  return builder.TakeRoot();
}

}  // namespace sessionrig::fuzz
