#include "sessionrig/hresult.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <regex>
#include <string>

#include "sessionrig/status.h"

// The list of codes is hresult.h itself: every `#define NAME ((HRESULT)v)`
// in it must be named NAME by SrHResultToString, and no two share a value.
// A code added to the header without a name fails here.
TEST(HResult, NamesEveryCodeTheHeaderDefines) {
  std::ifstream header(SESSIONRIG_HRESULT_HEADER);
  ASSERT_TRUE(header.good()) << SESSIONRIG_HRESULT_HEADER;
  const std::regex define(R"(^#define ([A-Z0-9_]+) \(\(HRESULT\)(0x[0-9A-Fa-f]+|[0-9]+)L?\))");
  std::map<std::int64_t, std::string> by_value;
  std::string line;
  while (std::getline(header, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, define)) continue;
    const auto value =
        static_cast<HRESULT>(static_cast<std::uint32_t>(std::stoul(m[2].str(), nullptr, 0)));
    EXPECT_EQ(std::string(SrHResultToString(value)), m[1].str());
    EXPECT_TRUE(by_value.emplace(value, m[1].str()).second)
        << m[1].str() << " has the value of " << by_value[value];
  }
  // Generic, HTTP, JSON and transport codes: all of them, not a sample.
  EXPECT_GE(by_value.size(), 65u);
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
