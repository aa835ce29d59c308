#include "sessionrig/response_parser.h"

#include <utility>

#include "sessionrig/ascii.h"

namespace sessionrig {
namespace {

bool IsOws(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimOws(std::string_view v) {
  while (!v.empty() && IsOws(v.front())) v.remove_prefix(1);
  while (!v.empty() && IsOws(v.back())) v.remove_suffix(1);
  return v;
}

// RFC 9110 tchar.
bool IsTchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// The single value of header `name` (trimmed) in *value. Returns false with
// *disagree set if several headers of that name carry different values.
bool SingleHeader(const HeaderList& headers, std::string_view name, std::string_view* value,
                  bool* disagree) {
  bool found = false;
  *disagree = false;
  for (const auto& [key, raw] : headers) {
    if (!EqualsIgnoreCase(key, name)) continue;
    const std::string_view v = TrimOws(raw);
    if (found && v != *value) {
      *disagree = true;
      return false;
    }
    *value = v;
    found = true;
  }
  return found;
}

Status FindStrongEtag(const HeaderList& headers, const ParserLimits& limits, std::string* out) {
  std::string_view value;
  bool disagree = false;
  if (!SingleHeader(headers, "etag", &value, &disagree)) {
    return Status(StatusCode::kBadEtag,
                  disagree ? "several ETag headers disagree" : "no ETag header");
  }
  if (value.size() > limits.max_etag_bytes) {
    return Status(StatusCode::kBadEtag, "ETag of " + std::to_string(value.size()) +
                                            " bytes exceeds " +
                                            std::to_string(limits.max_etag_bytes));
  }
  if (value.size() >= 2 && value[0] == 'W' && value[1] == '/') {
    return Status(StatusCode::kBadEtag, "weak ETag cannot be used with If-Match");
  }
  if (!IsStrongEtag(value)) return Status(StatusCode::kBadEtag, "ETag is not a strong entity-tag");
  *out = std::string(value);
  return Status::Ok();
}

// Scans `*pos` over a token; returns it (empty if none).
std::string_view Token(std::string_view v, std::size_t* pos) {
  const std::size_t start = *pos;
  while (*pos < v.size() && IsTchar(v[*pos])) ++*pos;
  return v.substr(start, *pos - start);
}

void SkipOws(std::string_view v, std::size_t* pos) {
  while (*pos < v.size() && IsOws(v[*pos])) ++*pos;
}

// Content-Type = type "/" subtype *( OWS ";" OWS [ name "=" value ] ), value a
// token or quoted-string (RFC 9110 8.3.1, 5.6.6).
Status CheckContentType(const HeaderList& headers) {
  std::string_view value;
  bool disagree = false;
  if (!SingleHeader(headers, "content-type", &value, &disagree)) {
    return Status(StatusCode::kContentType,
                  disagree ? "several Content-Type headers disagree" : "no Content-Type header");
  }
  std::size_t pos = 0;
  const std::string_view type = Token(value, &pos);
  if (pos >= value.size() || value[pos] != '/') {
    return Status(StatusCode::kContentType, "malformed Content-Type");
  }
  ++pos;
  const std::string_view subtype = Token(value, &pos);
  if (!EqualsIgnoreCase(type, "application") || !EqualsIgnoreCase(subtype, "json")) {
    return Status(StatusCode::kContentType, "Content-Type is not application/json");
  }
  while (true) {
    SkipOws(value, &pos);
    if (pos == value.size()) break;
    if (value[pos] != ';') return Status(StatusCode::kContentType, "malformed Content-Type");
    ++pos;
    SkipOws(value, &pos);
    if (pos == value.size() || value[pos] == ';') continue;
    const std::string_view name = Token(value, &pos);
    if (name.empty() || pos >= value.size() || value[pos] != '=') {
      return Status(StatusCode::kContentType, "malformed Content-Type parameter");
    }
    ++pos;
    std::string param;
    if (pos < value.size() && value[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < value.size()) {
        char c = value[pos++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (pos == value.size()) break;
          c = value[pos++];
        }
        param += c;
      }
      if (!closed) return Status(StatusCode::kContentType, "unterminated quoted parameter");
    } else {
      param = std::string(Token(value, &pos));
      if (param.empty()) return Status(StatusCode::kContentType, "empty Content-Type parameter");
    }
    if (EqualsIgnoreCase(name, "charset") && !EqualsIgnoreCase(param, "utf-8")) {
      return Status(StatusCode::kContentType, "charset is not utf-8");
    }
  }
  return Status::Ok();
}

struct UsableSession {
  std::shared_ptr<const SessionDocument> session;
  std::string etag;
  uint32_t gamertags_truncated = 0;
};

// The checks of the header comment, cheapest first; the body reaches the JSON
// parser only after the size, ETag and Content-Type checks pass.
StatusOr<UsableSession> ParseSessionBody(const HeaderList& headers, std::string_view body,
                                         const ParserLimits& limits) {
  if (body.size() > limits.json.max_bytes) {
    return Status(StatusCode::kSizeLimit, "body of " + std::to_string(body.size()) +
                                              " bytes exceeds " +
                                              std::to_string(limits.json.max_bytes));
  }
  if (body.empty()) return Status(StatusCode::kMissingField, "response has no body");
  UsableSession out;
  Status etag = FindStrongEtag(headers, limits, &out.etag);
  if (!etag.ok()) return etag;
  Status content_type = CheckContentType(headers);
  if (!content_type.ok()) return content_type;
  StatusOr<SessionDocument> doc = ParseSessionDocument(body, limits.json, limits.session);
  if (!doc.ok()) return doc.status();
  for (const SessionMember& m : doc->members) {
    if (m.gamertag && m.gamertag->size() > kMaxGamertagBytes) ++out.gamertags_truncated;
  }
  out.session = std::make_shared<const SessionDocument>(std::move(doc).value());
  return out;
}

XblWriteSessionStatus WriteStatusFromHttp(uint32_t status) {
  switch (status) {
    case 200:
      return XblWriteSessionStatus::Updated;
    case 201:
      return XblWriteSessionStatus::Created;
    case 204:
      return XblWriteSessionStatus::SessionDeleted;
    case 401:
    case 403:
      return XblWriteSessionStatus::AccessDenied;
    case 404:
      return XblWriteSessionStatus::HandleNotFound;
    case 409:
      return XblWriteSessionStatus::Conflict;
    case 412:
      return XblWriteSessionStatus::OutOfSync;
    default:
      return XblWriteSessionStatus::Unknown;
  }
}

Status DetailForFailedStatus(uint32_t status) {
  std::string message = "HTTP " + std::to_string(status);
  switch (status) {
    case 404:
      return Status(StatusCode::kNotFound, std::move(message));
    case 409:
      return Status(StatusCode::kConflict, std::move(message));
    case 412:
      return Status(StatusCode::kPreconditionFailed, std::move(message));
    case 503:
      return Status(StatusCode::kUnavailable, std::move(message));
    default:
      return Status(StatusCode::kHttpStatus, std::move(message));
  }
}

ParsedResponse Parse(bool is_write, uint32_t http_status, const HeaderList& headers,
                     std::string_view body, const ParserLimits& limits) {
  ParsedResponse r;
  r.http_status = http_status;
  r.write_status = is_write ? WriteStatusFromHttp(http_status) : XblWriteSessionStatus::Unknown;

  if (http_status >= 200 && http_status < 300) {
    r.hr = S_OK;
    if (http_status == 204) return r;  // deleted (PUT) or no such session (GET)
    StatusOr<UsableSession> s = ParseSessionBody(headers, body, limits);
    if (!s.ok()) {
      r.hr = WEB_E_INVALID_JSON_STRING;
      r.detail = s.status();
      return r;
    }
    r.session = std::move(s->session);
    r.etag = std::move(s->etag);
    r.gamertags_truncated = s->gamertags_truncated;
    return r;
  }

  r.hr = SrHResultFromHttpStatus(http_status);
  if (is_write && http_status == 412) {
    if (body.empty()) {
      r.detail = Status(StatusCode::kPreconditionFailed, "HTTP 412 without a session");
      return r;
    }
    StatusOr<UsableSession> s = ParseSessionBody(headers, body, limits);
    if (!s.ok()) {
      r.detail = s.status();
      return r;
    }
    r.hr = S_OK;
    r.session = std::move(s->session);
    r.etag = std::move(s->etag);
    r.gamertags_truncated = s->gamertags_truncated;
    return r;
  }
  if (http_status == 403) {
    // Readable but not writable: keep the session if it is a usable one.
    StatusOr<UsableSession> s = ParseSessionBody(headers, body, limits);
    if (s.ok()) {
      r.session = std::move(s->session);
      r.etag = std::move(s->etag);
      r.gamertags_truncated = s->gamertags_truncated;
    }
  }
  r.detail = DetailForFailedStatus(http_status);
  return r;
}

}  // namespace

bool IsStrongEtag(std::string_view value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return false;
  for (std::size_t i = 1; i + 1 < value.size(); ++i) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (!(c == 0x21 || (c >= 0x23 && c <= 0x7E) || c >= 0x80)) return false;
  }
  return true;
}

ParsedResponse ParseWriteResponse(uint32_t http_status, const HeaderList& headers,
                                  std::string_view body, const ParserLimits& limits) {
  return Parse(/*is_write=*/true, http_status, headers, body, limits);
}

ParsedResponse ParseGetResponse(uint32_t http_status, const HeaderList& headers,
                                std::string_view body, const ParserLimits& limits) {
  return Parse(/*is_write=*/false, http_status, headers, body, limits);
}

}  // namespace sessionrig
