// fuzz/fuzz_check.h: the invariant check of the fuzz targets.
//
// FUZZ_CHECK(cond, message) prints the failed condition, where it is and
// `message` (anything that streams to std::ostream) to stderr, then calls
// abort(), so that libFuzzer (and the gcc replay) report it as a crash with a
// stack. The "FUZZ_CHECK failed:" line is also what scripts/fuzz-nightly uses
// to tell invariant failures apart when it de-duplicates crashes.
//
// Thread-safety: none needed; the targets are single-threaded.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

namespace sessionrig::fuzz {

[[noreturn]] inline void CheckFailed(const char* condition, const char* file, int line,
                                     const std::string& message) {
  std::fprintf(stderr, "FUZZ_CHECK failed: %s at %s:%d\n  %s\n", condition, file, line,
               message.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace sessionrig::fuzz

#define FUZZ_CHECK(cond, message)                                                       \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::ostringstream fuzz_check_os_;                                                \
      fuzz_check_os_ << message; /* NOLINT(bugprone-macro-parentheses) */               \
      ::sessionrig::fuzz::CheckFailed(#cond, __FILE__, __LINE__, fuzz_check_os_.str()); \
    }                                                                                   \
  } while (false)
