#include "sessiond/log.h"

#include <cstdio>
#include <mutex>

#include "sessiond/store.h"

namespace sessionrig::sessiond {
namespace {

void AppendValue(std::string* out, std::string_view v) {
  const bool quote = v.empty() || v.find_first_of(" \"=\t\n") != std::string_view::npos;
  if (!quote) {
    out->append(v);
    return;
  }
  out->push_back('"');
  for (char c : v) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c == '\n' ? ' ' : c);
  }
  out->push_back('"');
}

}  // namespace

void LogLine(std::string_view level, std::string_view msg, std::initializer_list<LogField> fields) {
  std::string line = "ts=" + NowIso8601() + " level=";
  line.append(level);
  line += " msg=";
  AppendValue(&line, msg);
  for (const auto& [k, v] : fields) {
    line.push_back(' ');
    line.append(k);
    line.push_back('=');
    AppendValue(&line, v);
  }
  line.push_back('\n');
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace sessionrig::sessiond
