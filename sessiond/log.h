// sessiond/log.h: structured one-line logs on stderr:
//   ts=2024-01-02T03:04:05.678Z level=info msg="listening" addr=127.0.0.1:8080
// sessiond logs start, stop, configuration warnings and rare transport
// errors; never one line per request. Thread-safe (lines never interleave).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sessionrig::sessiond {

using LogField = std::pair<std::string_view, std::string>;

// `level` is "info", "warn" or "error". Values containing spaces or quotes
// are quoted.
void LogLine(std::string_view level, std::string_view msg,
             std::initializer_list<LogField> fields = {});

}  // namespace sessionrig::sessiond
