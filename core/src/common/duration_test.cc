#include "sessionrig/duration.h"

#include <gtest/gtest.h>

namespace sessionrig {
namespace {

using std::chrono::microseconds;

TEST(ParseDuration, EveryUnitWithDecimals) {
  EXPECT_EQ(*ParseDuration("250us"), microseconds(250));
  EXPECT_EQ(*ParseDuration("2.5ms"), microseconds(2500));
  EXPECT_EQ(*ParseDuration("20ms"), microseconds(20000));
  EXPECT_EQ(*ParseDuration("1.5s"), microseconds(1500000));
  EXPECT_EQ(*ParseDuration("2m"), microseconds(120000000));
  EXPECT_EQ(*ParseDuration("0.5m"), microseconds(30000000));
  EXPECT_EQ(*ParseDuration("1h"), microseconds(3600000000));
  EXPECT_EQ(*ParseDuration("0.25h"), microseconds(900000000));
  EXPECT_EQ(*ParseDuration("0s"), microseconds(0));
  EXPECT_EQ(*ParseDuration("1e3ms"), microseconds(1000000));
  EXPECT_EQ(*ParseDuration("0.0004ms"), microseconds(0));  // rounds to the microsecond
}

TEST(ParseDuration, BareNumbersAreSecondsOnlyWhereAllowed) {
  EXPECT_EQ(*ParseDuration("30", BareNumber::kSeconds), microseconds(30000000));
  EXPECT_EQ(*ParseDuration("0.5", BareNumber::kSeconds), microseconds(500000));
  const Status s = ParseDuration("30").status();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("needs a unit"), std::string::npos) << s.message();
}

TEST(ParseDuration, ErrorsQuoteTheTextAndSayWhy) {
  struct Case {
    const char* text;
    const char* why;
  } cases[] = {
      {"", "is not a duration"},
      {"ms", "is not a duration"},
      {"abc", "is not a duration"},
      {"1..5s", "is not a duration"},
      {"5sec", "unknown unit 'sec'"},
      {"5 s", "unknown unit ' s'"},
      {"-1s", "is negative"},
      {"101d", "unknown unit 'd'"},
      {"2401h", "longer than 100 days"},
      {"inf", "is not a duration"},
      {"1e400s", "is not a duration"},
  };
  for (const Case& c : cases) {
    const Status s = ParseDuration(c.text).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(s.message().find(c.why), std::string::npos) << c.text << ": " << s.message();
    EXPECT_EQ(s.message().rfind(std::string("\"") + c.text + "\"", 0), 0u) << s.message();
  }
}

TEST(FormatDuration, PicksAReadableUnitAndParsesBack) {
  EXPECT_EQ(FormatDuration(microseconds(0)), "0s");
  EXPECT_EQ(FormatDuration(microseconds(250)), "250us");
  EXPECT_EQ(FormatDuration(microseconds(1500)), "1.5ms");
  EXPECT_EQ(FormatDuration(microseconds(20000)), "20ms");
  EXPECT_EQ(FormatDuration(microseconds(1500000)), "1.5s");
  EXPECT_EQ(FormatDuration(microseconds(90000000)), "90s");
  EXPECT_EQ(FormatDuration(microseconds(150000000)), "2.5m");
  EXPECT_EQ(FormatDuration(microseconds(7200000000)), "2h");
  EXPECT_EQ(FormatDuration(microseconds(-1500)), "-1.5ms");
  EXPECT_EQ(FormatDuration(microseconds(3214567)), "3.215s");  // 3 decimals, rounded
  for (std::int64_t us : {1LL, 999LL, 1000LL, 123456LL, 59999999LL, 3600000000LL, 86400000000LL}) {
    const std::string text = FormatDuration(microseconds(us));
    StatusOr<microseconds> back = ParseDuration(text);
    ASSERT_TRUE(back.ok()) << text;
    // Exact up to the 3 printed decimals of the chosen unit.
    EXPECT_NEAR(static_cast<double>(back->count()), static_cast<double>(us),
                static_cast<double>(us) * 1e-3 + 1)
        << text;
  }
}

}  // namespace
}  // namespace sessionrig
