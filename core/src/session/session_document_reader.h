// session/session_document_reader.h (private to core): the session document
// typed straight from its JSON text by one pass of the strict JsonReader, no
// DOM in between (only the values the model keeps as JSON, custom objects
// and unknown fields, are built as JSON values).
//
// ReadSessionDocument(text) returns the document exactly when
// ParseSessionDocument(ParseJsonStrict(text)) succeeds, and then the same
// document; otherwise nullopt, without saying why: ParseSessionDocument(text)
// then runs that slower path to report the error, so error codes and
// messages are those of the DOM path for every input (only failures are
// read twice; no error path string is built on the way to a success). The
// rules both paths apply are shared (document_rules.h); the session
// document fuzzer checks the two paths agree.
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string_view>

#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig {

[[nodiscard]] std::optional<SessionDocument> ReadSessionDocument(std::string_view text,
                                                                 const JsonLimits& json_limits,
                                                                 const SessionLimits& limits);

}  // namespace sessionrig
