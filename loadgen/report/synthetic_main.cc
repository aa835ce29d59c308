// loadgen_synthetic_summary: writes a synthetic summary with every field of
// the summary contract (loadgen/synthetic_summary.h), for the browser test's
// compare page and full-featured report. Test support, not installed.
//
//   loadgen_synthetic_summary OUT.json [seed] [intervals] [scale]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "loadgen/synthetic_summary.h"

int main(int argc, char** argv) {
  if (argc < 2 || argc > 5) {
    std::fprintf(stderr, "usage: %s OUT.json [seed] [intervals] [scale]\n", argv[0]);
    return 1;
  }
  sessionrig::loadgen::SyntheticOptions options;
  if (argc > 2) options.seed = std::strtoull(argv[2], nullptr, 10);
  if (argc > 3) options.intervals = std::strtoull(argv[3], nullptr, 10);
  if (argc > 4) options.scale = std::strtod(argv[4], nullptr);
  if (options.intervals == 0 || !(options.scale > 0)) {
    std::fprintf(stderr, "%s: intervals must be > 0 and scale > 0\n", argv[0]);
    return 1;
  }
  std::ofstream out(argv[1], std::ios::trunc);
  out << sessionrig::loadgen::MakeSyntheticSummary(options).dump(2) << "\n";
  out.close();
  if (!out) {
    std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
    return 1;
  }
  return 0;
}
