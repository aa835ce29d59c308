// A fixed number of client parses of one session document, for instruction
// counts under callgrind (stable on a shared machine, unlike times). The
// document is session_write_bench's: a lobby of N members, each with a few
// custom properties, built by sessiond's own merge.
//
//   session_parse_count MODE MEMBERS [PARSES=1000]
//   MODE  model     ParseSessionDocument(text): the one-pass reader
//         dom       ParseJsonStrict + ParseSessionDocument(json): the DOM
//                   path (the text overload's path before the reader; now
//                   its error path for typing refusals)
//         response  ParseWriteResponse of a 200 carrying the document
//         strict    ParseJsonStrict alone (JsonReader building the DOM)
//         nlohmann  nlohmann::json::parse alone (the baseline)
//         print     no parse: prints the document
//
// Per-parse instructions, the setup left out:
//   valgrind --tool=callgrind --toggle-collect='*RunParses*'
//     --callgrind-out-file=/tmp/cg.out build/release/bench/session_parse_count model 8
//   (Ir of the summary line / PARSES)
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "bench/bench_sessions.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/response_parser.h"
#include "sessionrig/session_document.h"

namespace sessionrig {
namespace {

// The same document as session_write_bench's.
std::string SessionText(int members) { return bench::Session(members).dump(); }

enum class Mode { kModel, kDom, kResponse, kStrict, kNlohmann };

// Kept out of line: callgrind collects only inside it (--toggle-collect).
[[gnu::noinline]] std::size_t RunParses(Mode mode, const std::string& text, int parses) {
  const HeaderList headers = {{"Content-Type", "application/json; charset=utf-8"},
                              {"ETag", "\"bench-1\""}};
  std::size_t ok = 0;
  for (int i = 0; i < parses; ++i) {
    switch (mode) {
      case Mode::kModel:
        ok += ParseSessionDocument(text).ok() ? 1u : 0u;
        break;
      case Mode::kDom: {
        StatusOr<nlohmann::json> j = ParseJsonStrict(text);
        ok += j.ok() && ParseSessionDocument(*j).ok() ? 1u : 0u;
        break;
      }
      case Mode::kResponse:
        ok += SUCCEEDED(ParseWriteResponse(200, headers, text).hr) ? 1u : 0u;
        break;
      case Mode::kStrict:
        ok += ParseJsonStrict(text).ok() ? 1u : 0u;
        break;
      case Mode::kNlohmann:
        ok += nlohmann::json::parse(text).is_object() ? 1u : 0u;
        break;
    }
  }
  return ok;
}

}  // namespace
}  // namespace sessionrig

int main(int argc, char** argv) {
  using sessionrig::Mode;
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s model|dom|response|strict|nlohmann|print MEMBERS [PARSES=1000]\n",
                 argv[0]);
    return 2;
  }
  Mode mode{};
  const char* name = argv[1];
  if (std::strcmp(name, "model") == 0) {
    mode = Mode::kModel;
  } else if (std::strcmp(name, "dom") == 0) {
    mode = Mode::kDom;
  } else if (std::strcmp(name, "response") == 0) {
    mode = Mode::kResponse;
  } else if (std::strcmp(name, "strict") == 0) {
    mode = Mode::kStrict;
  } else if (std::strcmp(name, "nlohmann") == 0) {
    mode = Mode::kNlohmann;
  } else if (std::strcmp(name, "print") != 0) {
    std::fprintf(stderr, "unknown mode %s\n", name);
    return 2;
  }
  const int members = std::atoi(argv[2]);
  const int parses = argc > 3 ? std::atoi(argv[3]) : 1000;
  if (members < 0 || parses < 0) return 2;
  const std::string text = sessionrig::SessionText(members);
  if (std::strcmp(name, "print") == 0) {
    std::printf("%s\n", text.c_str());
    return 0;
  }
  const std::size_t ok = sessionrig::RunParses(mode, text, parses);
  std::printf("%s members=%d bytes=%zu parses=%d ok=%zu\n", name, members, text.size(), parses, ok);
  return ok == static_cast<std::size_t>(parses) ? 0 : 1;
}
