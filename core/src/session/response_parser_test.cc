#include "sessionrig/response_parser.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace sessionrig {
namespace {

constexpr char kSession[] = R"({"contractVersion":107,"changeNumber":3,
 "constants":{"system":{"maxMembersCount":8,"visibility":"open"}},
 "membersInfo":{"first":0,"next":1,"count":1},
 "members":{"0":{"constants":{"system":{"index":0,"xuid":"2533274790412345"}},"next":1}}})";

constexpr char kEtag[] = "\"0x8DC6A1B2C3D4E5F\"";

HeaderList JsonHeaders(std::string etag = kEtag) {
  return {{"Content-Type", "application/json; charset=utf-8"}, {"ETag", std::move(etag)}};
}

// Every result must keep the parser's invariants, whatever the input.
void ExpectInvariants(const ParsedResponse& r) {
  EXPECT_EQ(SUCCEEDED(r.hr), r.detail.ok()) << r.detail.ToString();
  if (r.session != nullptr) {
    EXPECT_TRUE(IsStrongEtag(r.etag)) << r.etag;
  }
  if (SUCCEEDED(r.hr) && r.session == nullptr) {
    EXPECT_EQ(r.http_status, 204u);
  }
}

ParsedResponse Write(uint32_t status, const HeaderList& headers, std::string_view body,
                     const ParserLimits& limits = {}) {
  ParsedResponse r = ParseWriteResponse(status, headers, body, limits);
  ExpectInvariants(r);
  EXPECT_EQ(r.http_status, status);
  return r;
}

ParsedResponse Get(uint32_t status, const HeaderList& headers, std::string_view body) {
  ParsedResponse r = ParseGetResponse(status, headers, body);
  ExpectInvariants(r);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown);
  return r;
}

// ---- Status table (docs/protocol.md, "Responses and status mapping") --------

TEST(ParseWriteResponse, Ok200IsUpdatedWithSession) {
  ParsedResponse r = Write(200, JsonHeaders(), kSession);
  EXPECT_EQ(r.hr, S_OK);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Updated);
  EXPECT_EQ(r.etag, kEtag);
  ASSERT_NE(r.session, nullptr);
  EXPECT_EQ(r.session->change_number, 3u);
  ASSERT_EQ(r.session->members.size(), 1u);
  EXPECT_EQ(r.session->members[0].xuid, 2533274790412345u);
}

TEST(ParseWriteResponse, Created201) {
  ParsedResponse r = Write(201, JsonHeaders(), kSession);
  EXPECT_EQ(r.hr, S_OK);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Created);
  EXPECT_NE(r.session, nullptr);
}

TEST(ParseWriteResponse, NoContent204IsSessionDeleted) {
  for (std::string_view body : {std::string_view(), std::string_view("<html>junk")}) {
    ParsedResponse r = Write(204, {{"Content-Type", "text/html"}}, body);
    EXPECT_EQ(r.hr, S_OK);
    EXPECT_EQ(r.write_status, XblWriteSessionStatus::SessionDeleted);
    EXPECT_EQ(r.session, nullptr);
    EXPECT_EQ(r.etag, "");
  }
}

TEST(ParseWriteResponse, OtherSuccessStatusesStillNeedASession) {
  ParsedResponse ok = Write(202, JsonHeaders(), kSession);
  EXPECT_EQ(ok.hr, S_OK);
  EXPECT_EQ(ok.write_status, XblWriteSessionStatus::Unknown);
  EXPECT_NE(ok.session, nullptr);
  ParsedResponse empty = Write(202, {}, "");
  EXPECT_EQ(empty.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(empty.session, nullptr);
}

TEST(ParseWriteResponse, NotModified304IsAFailureOnAWrite) {
  ParsedResponse r = Write(304, {}, "");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_NOT_MODIFIED);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown);
  EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus);
}

TEST(ParseWriteResponse, BadRequest400Text) {
  ParsedResponse r = Write(400, {{"Content-Type", "text/plain"}}, "missing field");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_BAD_REQUEST);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown);
  EXPECT_EQ(r.session, nullptr);
  EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus);
}

TEST(ParseWriteResponse, Unauthorized401IsAccessDenied) {
  ParsedResponse r = Write(401, {}, "");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_DENIED);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::AccessDenied);
}

TEST(ParseWriteResponse, Forbidden403Text) {
  ParsedResponse r = Write(403, {{"Content-Type", "text/plain"}}, "not authorised");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_FORBIDDEN);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::AccessDenied);
  EXPECT_EQ(r.session, nullptr);
  EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus);
}

TEST(ParseWriteResponse, Forbidden403WithSessionKeepsItButFails) {
  ParsedResponse r = Write(403, JsonHeaders(), kSession);
  EXPECT_EQ(r.hr, HTTP_E_STATUS_FORBIDDEN);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::AccessDenied);
  ASSERT_NE(r.session, nullptr);
  EXPECT_EQ(r.session->change_number, 3u);
  EXPECT_EQ(r.etag, kEtag);
  EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus);

  // A 403 whose JSON is not a session still fails the same way, without one.
  ParsedResponse bad = Write(403, JsonHeaders(), R"({"members":[]})");
  EXPECT_EQ(bad.hr, HTTP_E_STATUS_FORBIDDEN);
  EXPECT_EQ(bad.session, nullptr);
}

TEST(ParseWriteResponse, NotFound404) {
  ParsedResponse r = Write(404, {{"Content-Type", "text/plain"}}, "unknown template");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_NOT_FOUND);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::HandleNotFound);
  EXPECT_EQ(r.detail.code(), StatusCode::kNotFound);
  EXPECT_EQ(r.session, nullptr);
}

TEST(ParseWriteResponse, Conflict409) {
  ParsedResponse r = Write(409, {{"Content-Type", "text/plain"}}, "session full");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_CONFLICT);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Conflict);
  EXPECT_EQ(r.detail.code(), StatusCode::kConflict);
}

TEST(ParseWriteResponse, PreconditionFailed412WithSessionSucceedsOutOfSync) {
  ParsedResponse r = Write(412, JsonHeaders(), kSession);
  EXPECT_EQ(r.hr, S_OK);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::OutOfSync);
  ASSERT_NE(r.session, nullptr);
  EXPECT_EQ(r.etag, kEtag);
  EXPECT_TRUE(r.detail.ok());
}

TEST(ParseWriteResponse, PreconditionFailed412WithoutUsableSessionFails) {
  ParsedResponse empty = Write(412, {}, "");
  EXPECT_EQ(empty.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(empty.write_status, XblWriteSessionStatus::OutOfSync);
  EXPECT_EQ(empty.session, nullptr);
  EXPECT_EQ(empty.detail.code(), StatusCode::kPreconditionFailed);

  ParsedResponse not_json = Write(412, JsonHeaders(), "{oops");
  EXPECT_EQ(not_json.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(not_json.detail.code(), StatusCode::kJsonSyntax);

  ParsedResponse no_etag = Write(412, {{"Content-Type", "application/json"}}, kSession);
  EXPECT_EQ(no_etag.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(no_etag.detail.code(), StatusCode::kBadEtag);
  EXPECT_EQ(no_etag.session, nullptr);

  ParsedResponse bad_chain =
      Write(412, JsonHeaders(), R"({"membersInfo":{"first":0},"members":{"0":{"next":0}}})");
  EXPECT_EQ(bad_chain.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(bad_chain.detail.code(), StatusCode::kMemberChain);
}

TEST(ParseWriteResponse, Throttled429) {
  ParsedResponse r =
      Write(429, {{"Content-Type", "application/json"}}, R"({"message":"throttled"})");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_429);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown);
  EXPECT_EQ(r.session, nullptr);
  EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus);
}

TEST(ParseWriteResponse, Unavailable503AndServerError500) {
  ParsedResponse r = Write(503, {{"Retry-After", "1"}}, "");
  EXPECT_EQ(r.hr, HTTP_E_STATUS_SERVICE_UNAVAIL);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown);
  EXPECT_EQ(r.detail.code(), StatusCode::kUnavailable);
  ParsedResponse e = Write(500, {}, "boom");
  EXPECT_EQ(e.hr, HTTP_E_STATUS_SERVER_ERROR);
}

TEST(ParseWriteResponse, UnknownStatusesAreUnexpected) {
  for (uint32_t status : {418u, 599u, 0u, 100u, 999u, 4294967295u}) {
    ParsedResponse r = Write(status, JsonHeaders(), kSession);
    EXPECT_EQ(r.hr, HTTP_E_STATUS_UNEXPECTED) << status;
    EXPECT_EQ(r.write_status, XblWriteSessionStatus::Unknown) << status;
    EXPECT_EQ(r.session, nullptr) << status;
    EXPECT_EQ(r.detail.code(), StatusCode::kHttpStatus) << status;
  }
}

TEST(ParseGetResponse, StatusTable) {
  ParsedResponse ok = Get(200, JsonHeaders(), kSession);
  EXPECT_EQ(ok.hr, S_OK);
  ASSERT_NE(ok.session, nullptr);
  EXPECT_EQ(ok.etag, kEtag);

  ParsedResponse missing = Get(204, {}, "");
  EXPECT_EQ(missing.hr, S_OK);
  EXPECT_EQ(missing.session, nullptr);

  ParsedResponse not_modified = Get(304, {{"ETag", kEtag}}, "");
  EXPECT_EQ(not_modified.hr, HTTP_E_STATUS_NOT_MODIFIED);
  EXPECT_EQ(not_modified.session, nullptr);

  ParsedResponse not_found = Get(404, {}, "no such template");
  EXPECT_EQ(not_found.hr, HTTP_E_STATUS_NOT_FOUND);
  EXPECT_EQ(not_found.detail.code(), StatusCode::kNotFound);

  // A GET is never "out of sync": 412 is a plain failure.
  ParsedResponse precondition = Get(412, JsonHeaders(), kSession);
  EXPECT_EQ(precondition.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(precondition.session, nullptr);

  ParsedResponse bad_body = Get(200, JsonHeaders(), "[]");
  EXPECT_EQ(bad_body.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(bad_body.detail.code(), StatusCode::kWrongType);
}

// ---- Bodies -------------------------------------------------------------------

TEST(ParseWriteResponse, BrokenBodiesOnSuccessAreInvalidJson) {
  struct Case {
    std::string_view body;
    StatusCode code;
  };
  const Case cases[] = {
      {"", StatusCode::kMissingField},
      {"{", StatusCode::kJsonSyntax},
      {"not json", StatusCode::kJsonSyntax},
      {"{} trailing", StatusCode::kJsonSyntax},
      {"[]", StatusCode::kWrongType},
      {"\"session\"", StatusCode::kWrongType},
      {"42", StatusCode::kWrongType},
      {"null", StatusCode::kWrongType},
      {R"({"members":[]})", StatusCode::kWrongType},
      {R"({"changeNumber":"3"})", StatusCode::kWrongType},
      {R"({"membersInfo":{"first":0},"members":{"0":null}})", StatusCode::kNullMember},
  };
  for (uint32_t status : {200u, 201u}) {
    for (const Case& c : cases) {
      ParsedResponse r = Write(status, JsonHeaders(), c.body);
      EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING) << c.body;
      EXPECT_EQ(r.detail.code(), c.code) << c.body << " -> " << r.detail.ToString();
      EXPECT_EQ(r.session, nullptr);
      EXPECT_EQ(r.etag, "");
    }
  }
}

TEST(ParseWriteResponse, BodySizeLimitIsCheckedFirst) {
  ParserLimits limits;
  limits.json.max_bytes = 64;
  const std::string big(65, ' ');
  // Even with no ETag and the wrong Content-Type, size is reported.
  ParsedResponse r = Write(200, {{"Content-Type", "text/html"}}, big, limits);
  EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(r.detail.code(), StatusCode::kSizeLimit);
  const std::string fits = "{}" + std::string(62, ' ');
  EXPECT_EQ(Write(200, JsonHeaders(), fits, limits).hr, S_OK);
}

TEST(ParseWriteResponse, HostileNestingFailsFast) {
  const std::string deep(200000, '[');
  const auto start = std::chrono::steady_clock::now();
  ParsedResponse r = Write(200, JsonHeaders(), deep);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(r.detail.code(), StatusCode::kJsonDepthLimit);
  EXPECT_LT(elapsed, std::chrono::seconds(2));
  // Deep but within the byte limit of a 412 too.
  EXPECT_EQ(Write(412, JsonHeaders(), deep).detail.code(), StatusCode::kJsonDepthLimit);
}

TEST(ParseWriteResponse, MemberLimitsReachTheParser) {
  ParserLimits limits;
  limits.session.max_members = 1;
  ParsedResponse r =
      Write(200, JsonHeaders(), R"({"membersInfo":{"first":0},"members":{"0":{"next":1},"1":{}}})",
            limits);
  EXPECT_EQ(r.detail.code(), StatusCode::kTooManyMembers);
  // A gamertag longer than the C struct holds is accepted and counted (the
  // view cuts it); one past the string limit fails the response.
  ParsedResponse gamertag = Write(
      200, JsonHeaders(),
      R"({"membersInfo":{"first":0,"count":1},"members":{"0":{"gamertag":"0123456789ABCDEF"}}})");
  EXPECT_EQ(gamertag.hr, S_OK) << gamertag.detail.ToString();
  EXPECT_EQ(gamertag.gamertags_truncated, 1u);
  ParsedResponse overlong = Write(200, JsonHeaders(),
                                  R"({"membersInfo":{"first":0},"members":{"0":{"gamertag":")" +
                                      std::string(4097, 'g') + R"("}}})");
  EXPECT_EQ(overlong.detail.code(), StatusCode::kStringTooLong);
}

// ---- ETag ---------------------------------------------------------------------

TEST(ParseWriteResponse, EtagMustBeOneStrongTag) {
  const std::string too_long = "\"" + std::string(255, 'a') + "\"";  // 257 bytes
  const std::string longest = "\"" + std::string(254, 'a') + "\"";   // 256 bytes
  struct Case {
    std::string etag;
    bool ok;
  };
  const Case cases[] = {
      {"\"abc\"", true},
      {"\"\"", true},                       // empty opaque-tag is allowed
      {"\"a!#~\"", true},                   // %x21, %x23-7E
      {std::string("\"\x80\xff\""), true},  // obs-text
      {" \"abc\"\t", true},                 // surrounding OWS is not part of the value
      {longest, true},
      {"W/\"abc\"", false},  // weak
      {"abc", false},        // unquoted
      {"\"abc", false},
      {"abc\"", false},
      {"\"", false},
      {"", false},
      {"\"a\"b\"", false},                  // embedded quote
      {"\"a b\"", false},                   // space is not etagc
      {std::string("\"a\x01z\""), false},   // control character
      {std::string("\"a\x7fz\""), false},   // DEL
      {std::string("\"a\0z\"", 5), false},  // NUL
      {too_long, false},
  };
  for (const Case& c : cases) {
    ParsedResponse r = Write(200, JsonHeaders(c.etag), kSession);
    if (c.ok) {
      EXPECT_EQ(r.hr, S_OK) << c.etag << " -> " << r.detail.ToString();
      EXPECT_NE(r.session, nullptr);
    } else {
      EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING) << c.etag;
      EXPECT_EQ(r.detail.code(), StatusCode::kBadEtag) << c.etag;
      EXPECT_EQ(r.session, nullptr);
      EXPECT_EQ(r.etag, "");
    }
  }
}

TEST(ParseWriteResponse, MissingEtagOnSuccessIsInvalid) {
  ParsedResponse r = Write(200, {{"Content-Type", "application/json"}}, kSession);
  EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(r.detail.code(), StatusCode::kBadEtag);
  EXPECT_EQ(r.write_status, XblWriteSessionStatus::Updated);
  EXPECT_EQ(Write(201, {{"Content-Type", "application/json"}}, kSession).detail.code(),
            StatusCode::kBadEtag);
}

TEST(ParseWriteResponse, EtagHeaderNameIsCaseInsensitiveAndDuplicatesMustAgree) {
  HeaderList lower = {{"content-type", "application/json"}, {"etag", kEtag}};
  EXPECT_EQ(Write(200, lower, kSession).hr, S_OK);
  HeaderList agree = {{"Content-Type", "application/json"}, {"ETag", kEtag}, {"ETAG", kEtag}};
  EXPECT_EQ(Write(200, agree, kSession).hr, S_OK);
  HeaderList disagree = {
      {"Content-Type", "application/json"}, {"ETag", "\"a\""}, {"etag", "\"b\""}};
  ParsedResponse r = Write(200, disagree, kSession);
  EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(r.detail.code(), StatusCode::kBadEtag);
}

TEST(IsStrongEtag, Grammar) {
  EXPECT_TRUE(IsStrongEtag("\"x\""));
  EXPECT_FALSE(IsStrongEtag("W/\"x\""));
  EXPECT_FALSE(IsStrongEtag("x"));
  EXPECT_FALSE(IsStrongEtag("\"x\"\""));
}

// ---- Content-Type -------------------------------------------------------------

TEST(ParseWriteResponse, ContentTypeMustBeJson) {
  struct Case {
    std::string content_type;
    bool ok;
  };
  const Case cases[] = {
      {"application/json", true},
      {"application/json; charset=utf-8", true},
      {"Application/JSON;Charset=UTF-8", true},
      {"application/json ; charset=\"utf-8\"", true},
      {"application/json; odata=verbose; charset=utf-8", true},
      {"application/json;", true},
      {"text/html", false},
      {"text/plain; charset=utf-8", false},
      {"application/jsonx", false},
      {"application/json-patch+json", false},
      {"application/json; charset=iso-8859-1", false},
      {"application/json; charset", false},
      {"application/json; charset=\"utf-8", false},
      {"application/json junk", false},
      {"application", false},
      {"", false},
  };
  for (const Case& c : cases) {
    HeaderList headers = {{"Content-Type", c.content_type}, {"ETag", kEtag}};
    ParsedResponse r = Write(200, headers, kSession);
    if (c.ok) {
      EXPECT_EQ(r.hr, S_OK) << c.content_type << " -> " << r.detail.ToString();
    } else {
      EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING) << c.content_type;
      EXPECT_EQ(r.detail.code(), StatusCode::kContentType) << c.content_type;
      EXPECT_EQ(r.session, nullptr);
    }
  }
}

TEST(ParseWriteResponse, HtmlWithAValidJsonBodyIsNotParsed) {
  HeaderList headers = {{"Content-Type", "text/html; charset=utf-8"}, {"ETag", kEtag}};
  ParsedResponse r = Write(200, headers, kSession);
  EXPECT_EQ(r.hr, WEB_E_INVALID_JSON_STRING);
  EXPECT_EQ(r.detail.code(), StatusCode::kContentType);
  EXPECT_EQ(r.session, nullptr);
  ParsedResponse outofsync = Write(412, headers, kSession);
  EXPECT_EQ(outofsync.hr, HTTP_E_STATUS_PRECOND_FAILED);
  EXPECT_EQ(outofsync.detail.code(), StatusCode::kContentType);
}

TEST(ParseWriteResponse, MissingOrConflictingContentType) {
  ParsedResponse none = Write(200, {{"ETag", kEtag}}, kSession);
  EXPECT_EQ(none.detail.code(), StatusCode::kContentType);
  HeaderList two = {
      {"Content-Type", "application/json"}, {"Content-Type", "text/html"}, {"ETag", kEtag}};
  EXPECT_EQ(Write(200, two, kSession).detail.code(), StatusCode::kContentType);
}

}  // namespace
}  // namespace sessionrig
