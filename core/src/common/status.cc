#include "sessionrig/status.h"

#include <cstring>

namespace sessionrig {

namespace {

// strerror_r is the GNU variant (returns the text) or the POSIX one (fills
// the buffer, returns 0) depending on feature macros: accept both.
[[maybe_unused]] const char* StrerrorResult(const char* text, const char* /*buf*/) { return text; }
[[maybe_unused]] const char* StrerrorResult(int rc, const char* buf) {
  return rc == 0 ? buf : "unknown error";
}

}  // namespace

std::string ErrnoText(int err) {
  char buf[256] = {};
  return StrerrorResult(strerror_r(err, buf, sizeof(buf)), buf) + std::string(" (errno ") +
         std::to_string(err) + ")";
}

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "kOk";
    case StatusCode::kInvalidArgument:
      return "kInvalidArgument";
    case StatusCode::kJsonSyntax:
      return "kJsonSyntax";
    case StatusCode::kJsonDepthLimit:
      return "kJsonDepthLimit";
    case StatusCode::kSizeLimit:
      return "kSizeLimit";
    case StatusCode::kStringTooLong:
      return "kStringTooLong";
    case StatusCode::kTooManyMembers:
      return "kTooManyMembers";
    case StatusCode::kWrongType:
      return "kWrongType";
    case StatusCode::kMissingField:
      return "kMissingField";
    case StatusCode::kNullMember:
      return "kNullMember";
    case StatusCode::kMemberChain:
      return "kMemberChain";
    case StatusCode::kBadEtag:
      return "kBadEtag";
    case StatusCode::kContentType:
      return "kContentType";
    case StatusCode::kHttpStatus:
      return "kHttpStatus";
    case StatusCode::kTransport:
      return "kTransport";
    case StatusCode::kNotFound:
      return "kNotFound";
    case StatusCode::kConflict:
      return "kConflict";
    case StatusCode::kPreconditionFailed:
      return "kPreconditionFailed";
    case StatusCode::kUnavailable:
      return "kUnavailable";
    case StatusCode::kInternal:
      return "kInternal";
  }
  return "kUnknownStatusCode";
}

std::string Status::ToString() const {
  if (ok()) return "kOk";
  std::string out = StatusCodeName(code_);
  out += ": ";
  out += message_;
  return out;
}

}  // namespace sessionrig
