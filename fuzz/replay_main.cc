// fuzz/replay_main.cc: a standalone main for the fuzz targets, for builds
// without libFuzzer (gcc; the dev/asan/tsan presets). It runs
// LLVMFuzzerTestOneInput once over every file it is given, so ctest replays
// the checked-in corpora and crash regressions on every test run.
//
//   <target>_replay PATH...
//
// A PATH that is a directory contributes its regular files (not recursive,
// in name order), skipping dotfiles (.gitkeep) and the "*.stack" reports
// that scripts/fuzz-nightly stores next to regressions. Arguments starting
// with '-' (libFuzzer flags) are ignored. Exit status: 0 when every input ran,
// 2 if a PATH does not exist or a file cannot be read; a crash or a
// FUZZ_CHECK failure aborts (non-zero) and names the input on stderr first.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

bool Skipped(const fs::path& p) {
  const std::string name = p.filename().string();
  return name.empty() || name[0] == '.' || p.extension() == ".stack";
}

bool ReadFile(const fs::path& p, std::vector<uint8_t>* out) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (f == nullptr) return false;
  out->clear();
  uint8_t buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) out->insert(out->end(), buf, buf + n);
  const bool ok = std::ferror(f) == 0;
  std::fclose(f);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<fs::path> files;
  bool missing = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (!arg.empty() && arg[0] == '-') continue;
    std::error_code ec;
    const fs::path p(arg);
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> in_dir;
      for (const auto& entry : fs::directory_iterator(p, ec)) {
        if (entry.is_regular_file(ec) && !Skipped(entry.path())) in_dir.push_back(entry.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
    } else {
      std::fprintf(stderr, "replay: %s does not exist\n", arg.c_str());
      missing = true;
    }
  }
  if (missing) return 2;

  std::size_t count = 0;
  std::vector<uint8_t> data;
  for (const fs::path& p : files) {
    if (!ReadFile(p, &data)) {
      std::fprintf(stderr, "replay: cannot read %s\n", p.c_str());
      return 2;
    }
    // Named first, so a crash report says which input it was.
    std::fprintf(stderr, "replay: running %s (%zu bytes)\n", p.c_str(), data.size());
    // An exact-size copy, as libFuzzer does, so reads past the end are caught.
    std::vector<uint8_t> exact(data);
    exact.shrink_to_fit();
    static uint8_t empty_input = 0;
    LLVMFuzzerTestOneInput(exact.empty() ? &empty_input : exact.data(), exact.size());
    ++count;
  }
  std::printf("replay: %zu inputs ran without a crash\n", count);
  return 0;
}
