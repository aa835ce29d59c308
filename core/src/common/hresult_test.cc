#include "sessionrig/hresult.h"

#include <gtest/gtest.h>

#include <string>

#include "sessionrig/status.h"

TEST(HResult, NamesEveryCodeTheCoreReturns) {
  EXPECT_STREQ(SrHResultToString(S_OK), "S_OK");
  EXPECT_STREQ(SrHResultToString(HTTP_E_STATUS_PRECOND_FAILED), "HTTP_E_STATUS_PRECOND_FAILED");
  EXPECT_STREQ(SrHResultToString(WEB_E_INVALID_JSON_STRING), "WEB_E_INVALID_JSON_STRING");
  EXPECT_STREQ(SrHResultToString(SR_E_CONNECTION_REFUSED), "SR_E_CONNECTION_REFUSED");
  EXPECT_STREQ(SrHResultToString(E_ILLEGAL_METHOD_CALL), "E_ILLEGAL_METHOD_CALL");
  EXPECT_EQ(std::string(SrHResultToString(static_cast<HRESULT>(0x80AB0001u))),
            "HRESULT(0x80AB0001)");
}

TEST(HResult, HttpStatusMapsToSdkValues) {
  EXPECT_EQ(SrHResultFromHttpStatus(200), S_OK);
  EXPECT_EQ(SrHResultFromHttpStatus(204), S_OK);
  EXPECT_EQ(SrHResultFromHttpStatus(400), static_cast<HRESULT>(0x80190190u));
  EXPECT_EQ(SrHResultFromHttpStatus(401), static_cast<HRESULT>(0x80190191u));
  EXPECT_EQ(SrHResultFromHttpStatus(403), static_cast<HRESULT>(0x80190193u));
  EXPECT_EQ(SrHResultFromHttpStatus(404), static_cast<HRESULT>(0x80190194u));
  EXPECT_EQ(SrHResultFromHttpStatus(409), static_cast<HRESULT>(0x80190199u));
  EXPECT_EQ(SrHResultFromHttpStatus(412), static_cast<HRESULT>(0x8019019Cu));
  EXPECT_EQ(SrHResultFromHttpStatus(429), static_cast<HRESULT>(0x801901ADu));
  EXPECT_EQ(SrHResultFromHttpStatus(500), static_cast<HRESULT>(0x801901F4u));
  EXPECT_EQ(SrHResultFromHttpStatus(503), static_cast<HRESULT>(0x801901F7u));
  EXPECT_EQ(SrHResultFromHttpStatus(499), HTTP_E_STATUS_UNEXPECTED);
  EXPECT_EQ(SrHResultFromHttpStatus(0), HTTP_E_STATUS_UNEXPECTED);
}

TEST(Status, CarriesTypedCodeAndMessage) {
  sessionrig::Status s(sessionrig::StatusCode::kMemberChain, "members.3.next loops");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.ToString(), "kMemberChain: members.3.next loops");
  sessionrig::StatusOr<int> v(7);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, 7);
  sessionrig::StatusOr<int> e(s);
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.status().code(), sessionrig::StatusCode::kMemberChain);
}
