// session/session_document_reader.h (private to core): the session document
// typed straight from its JSON text by one pass of the strict JsonReader, no
// DOM in between (only the values the model keeps as JSON, custom objects
// and unknown fields, are built as JSON values).
//
// ReadSessionDocument(text) returns the document exactly when
// ParseSessionDocument(ParseJsonStrict(text)) succeeds, and then the same
// document. When the JSON itself is refused (syntax, a JSON limit, a
// duplicate key), it also returns ParseJsonStrict(text)'s Status, found in
// the same pass (the reader is the codec's, and each value's type is peeked
// before it is read, so the reader fails only where the codec does). When a
// typing rule refuses, it says nothing more: ParseSessionDocument(text) then
// runs the DOM path (ParseJsonStrict, then typing) to name the error, whose
// field paths follow the DOM's sorted key order, which a one-pass reader
// cannot (a later key may sort first). So JSON refusals are read once,
// typing refusals twice, and error codes and messages are those of the DOM
// path for every input. No error string is built on the way to a success.
// The rules both paths apply are shared (document_rules.h); the session
// document fuzzer checks the two paths agree.
//
// Thread-safety: pure function.
#pragma once

#include <optional>
#include <string_view>

#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"
#include "sessionrig/status.h"

namespace sessionrig {

struct SessionDocumentRead {
  std::optional<SessionDocument> document;  // set when accepted
  // When refused: ParseJsonStrict(text).status() if the JSON was refused,
  // else Ok (a typing rule refused).
  Status json_error;
};

[[nodiscard]] SessionDocumentRead ReadSessionDocument(std::string_view text,
                                                      const JsonLimits& json_limits,
                                                      const SessionLimits& limits);

}  // namespace sessionrig
