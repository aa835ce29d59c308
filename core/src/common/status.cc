#include "sessionrig/status.h"

namespace sessionrig {

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
