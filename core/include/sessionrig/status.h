// sessionrig/status.h: errors as values for sessionrig's C++ code (no
// exception crosses a module boundary). Status carries a typed code and a
// message; StatusOr<T> a value or a Status. Thread-compatible value types.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace sessionrig {

// Every code is documented here; StatusCodeName() names each.
enum class StatusCode : int {
  kOk = 0,
  kInvalidArgument,  // caller passed something malformed
  kJsonSyntax,       // bytes are not JSON
  kJsonDepthLimit,   // nesting deeper than the limit
  kSizeLimit,        // body/document larger than the limit
  kStringTooLong,    // a string longer than the limit
  kTooManyMembers,   // more members / object members than the limit
  kWrongType,        // a field has the wrong JSON type, or is out of range
  kMissingField,     // a required field is absent
  kNullMember,       // a member entry is null
  kMemberChain,      // `next` chain loops, skips or points out of range
  kBadEtag,          // ETag header absent where required, or not a strong entity-tag
  kContentType,      // Content-Type is not application/json
  kHttpStatus,       // the HTTP status is a failure
  kTransport,        // the network failed
  kNotFound,
  kConflict,
  kPreconditionFailed,
  kUnavailable,
  kInternal,
};

const char* StatusCodeName(StatusCode code);

// The text of an errno value, for error messages; thread-safe (strerror_r),
// unlike std::strerror.
std::string ErrnoText(int err);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "kWrongType: members.0.next is not an integer"
  std::string ToString() const;

  friend bool operator==(const Status&, const Status&) = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {}  // NOLINT: REQUIRES !status.ok()
  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace sessionrig
