// fuzz/session_document_fuzzer.cc: JSON text -> the strict JSON codec ->
// the typed session model -> JSON, with the limits enforced.
//
// Input: JSON text, followed by a trailer read from the END (fuzz_input.h):
//   last byte   flags: bit0 use the fuzzer-chosen limits below, else defaults
//   with bit0, the 8 bytes before (from the end): JSON max_depth, JSON
//   max_string_bytes, JSON max_container_items, JSON max_bytes (x16),
//   session max_members, max_string_bytes, max_list_items
//   (small values, each a byte, so every limit is reachable).
//
// Invariants:
//  - The strict codec against an independent oracle (a measuring SAX pass
//    of nlohmann's own parser, no limits): strict success means the oracle
//    accepts the text, finds no duplicate key, every measure is within its
//    limit, and nlohmann's DOM equals the strict one; a strict failure
//    names a limit the oracle confirms is crossed, or (kJsonSyntax) a text
//    the oracle refuses or that repeats a key.
//  - The strict codec (on JsonReader) against the former nlohmann-based one
//    (legacy_json_codec.h): same acceptance, same DOM, same StatusCode.
//  - ParseSessionDocument fails only with its documented codes; when it
//    succeeds the document respects the session limits and the chain rules
//    (CheckSessionLimits) and round-trips (CheckRoundTrip).
//  - The text overload agrees with parse-then-type (same document, same
//    error: code and message), and so does the one-pass reader under it
//    (ReadSessionDocument, session_document_reader.h): it accepts exactly
//    the texts parse-then-type accepts, with the same document, and a JSON
//    error it names is exactly the strict codec's.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_check.h"
#include "fuzz_input.h"
#include "legacy_json_codec.h"
#include "session/session_document_reader.h"
#include "session_checks.h"
#include "sessionrig/json_codec.h"
#include "sessionrig/session_document.h"

namespace sessionrig::fuzz {
namespace {

using nlohmann::json;

// Measures a JSON text through nlohmann's SAX interface, without limits and
// without building a DOM (so values later overwritten by a duplicate key are
// still seen). Iterative: nlohmann's SAX parser keeps its own stack.
class MeasuringSax {
 public:
  std::size_t max_depth = 0;
  std::size_t max_string = 0;
  std::size_t max_items = 0;
  bool duplicate_key = false;

  bool null() { return Value(); }
  bool boolean(bool) { return Value(); }
  bool number_integer(json::number_integer_t) { return Value(); }
  bool number_unsigned(json::number_unsigned_t) { return Value(); }
  bool number_float(json::number_float_t, const std::string&) { return Value(); }
  bool string(std::string& s) {
    max_string = std::max(max_string, s.size());
    return Value();
  }
  bool binary(json::binary_t&) { return Value(); }
  bool start_object(std::size_t) { return Open(true); }
  bool start_array(std::size_t) { return Open(false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    max_string = std::max(max_string, k.size());
    if (!stack_.back().keys.insert(k).second) duplicate_key = true;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  struct Open_ {
    std::size_t items = 0;
    std::set<std::string> keys;
  };
  bool Value() {
    if (!stack_.empty()) {
      ++stack_.back().items;
      max_items = std::max(max_items, stack_.back().items);
    }
    return true;
  }
  bool Open(bool) {
    Value();
    stack_.emplace_back();
    max_depth = std::max(max_depth, stack_.size());
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }
  std::vector<Open_> stack_;
};

bool DocumentedSessionError(StatusCode c) {
  switch (c) {
    case StatusCode::kWrongType:
    case StatusCode::kNullMember:
    case StatusCode::kTooManyMembers:
    case StatusCode::kStringTooLong:
    case StatusCode::kMissingField:
    case StatusCode::kMemberChain:
      return true;
    default:
      return false;
  }
}

}  // namespace
}  // namespace sessionrig::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sessionrig;
  using namespace sessionrig::fuzz;
  FuzzInput in(data, size);
  JsonLimits jl;
  SessionLimits sl;
  if ((in.Byte() & 1) != 0) {
    jl.max_depth = 1 + in.Below(40);
    jl.max_string_bytes = in.Byte();
    jl.max_container_items = in.Byte();
    jl.max_bytes = std::size_t{16} * in.Byte();
    sl.max_members = in.Byte();
    sl.max_string_bytes = in.Byte();
    sl.max_list_items = in.Byte();
  }
  const std::string_view text = in.Rest();

  StatusOr<nlohmann::json> strict = ParseJsonStrict(text, jl);
  const SessionDocumentRead reader = ReadSessionDocument(text, jl, sl);
  const std::optional<SessionDocument>& read = reader.document;
  FUZZ_CHECK(strict.ok() || !read,
             "the reader accepted what the strict codec refuses: " << strict.status().ToString());
  FUZZ_CHECK(reader.json_error.ok() || reader.json_error == strict.status(),
             "the reader's JSON error " << reader.json_error.ToString() << " vs the codec's "
                                        << strict.status().ToString());
  const StatusOr<nlohmann::json> legacy = LegacyParseJsonStrict(text, jl);
  FUZZ_CHECK(legacy.ok() == strict.ok() && legacy.status().code() == strict.status().code() &&
                 (!legacy.ok() || (*legacy == *strict && legacy->dump() == strict->dump())),
             "the codec and the nlohmann-based one differ: " << strict.status().ToString() << " vs "
                                                             << legacy.status().ToString());
  MeasuringSax m;
  const bool oracle_ok =
      nlohmann::json::sax_parse(text.begin(), text.end(), &m, nlohmann::json::input_format_t::json,
                                /*strict=*/true);
  if (strict.ok()) {
    FUZZ_CHECK(oracle_ok, "strict accepted what nlohmann refuses");
    FUZZ_CHECK(!m.duplicate_key, "strict accepted a duplicate key");
    FUZZ_CHECK(text.size() <= jl.max_bytes, "size limit not enforced");
    FUZZ_CHECK(m.max_depth <= jl.max_depth, "depth " << m.max_depth << " > " << jl.max_depth);
    FUZZ_CHECK(m.max_string <= jl.max_string_bytes, "string of " << m.max_string << " bytes");
    FUZZ_CHECK(m.max_items <= jl.max_container_items, m.max_items << " items in a container");
    const nlohmann::json dom = nlohmann::json::parse(text, nullptr, false);
    FUZZ_CHECK(!dom.is_discarded() && dom == *strict, "strict DOM differs from nlohmann's");
  } else {
    const StatusCode c = strict.status().code();
    const std::string why = strict.status().ToString();
    switch (c) {
      case StatusCode::kSizeLimit:
        FUZZ_CHECK(text.size() > jl.max_bytes, why);
        break;
      case StatusCode::kJsonDepthLimit:
        FUZZ_CHECK(!oracle_ok || m.max_depth > jl.max_depth, why);
        break;
      case StatusCode::kStringTooLong:
        FUZZ_CHECK(!oracle_ok || m.max_string > jl.max_string_bytes, why);
        break;
      case StatusCode::kTooManyMembers:
        FUZZ_CHECK(!oracle_ok || m.max_items > jl.max_container_items, why);
        break;
      case StatusCode::kJsonSyntax:
        FUZZ_CHECK(!oracle_ok || m.duplicate_key, why);
        break;
      default:
        FUZZ_CHECK(false, "undocumented ParseJsonStrict error " << why);
    }
    FUZZ_CHECK(ParseSessionDocument(text, jl, sl).status() == strict.status(),
               "the text overload reports another JSON error than the codec");
    return 0;
  }

  StatusOr<SessionDocument> doc = ParseSessionDocument(*strict, sl);
  StatusOr<SessionDocument> via_text = ParseSessionDocument(text, jl, sl);
  FUZZ_CHECK(doc.ok() == via_text.ok() && doc.status() == via_text.status() &&
                 (!doc.ok() || *doc == *via_text),
             "the text overload disagrees");
  FUZZ_CHECK(doc.ok() == read.has_value(),
             "the reader " << (read ? "accepted" : "refused") << " what parse-then-type "
                           << (doc.ok() ? "accepts" : "refuses: " + doc.status().ToString()));
  FUZZ_CHECK(!read || *read == *doc, "the reader's document differs: "
                                         << SerializeSessionDocument(*read).substr(0, 300) << " vs "
                                         << SerializeSessionDocument(*doc).substr(0, 300));
  if (!doc.ok()) {
    FUZZ_CHECK(DocumentedSessionError(doc.status().code()),
               "undocumented error " << doc.status().ToString());
    return 0;
  }
  CheckSessionLimits(*doc, sl);
  CheckRoundTrip(*doc, jl, sl);
  return 0;
}
