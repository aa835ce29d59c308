// common/json_reader.h: a strict, single-pass pull reader of one JSON text,
// for parsers that type fields straight from the text (no DOM in between).
//
// It accepts exactly what ParseJsonStrict accepts (RFC 8259 as nlohmann's
// strict parser reads it: a leading UTF-8 BOM skipped, strings valid UTF-8
// with paired surrogate escapes, integers that overflow read as doubles,
// doubles that overflow refused) and enforces every JsonLimits limit in the
// same pass: text size, nesting depth, string and key bytes (decoded), items
// per container. ParseJsonStrict is this reader building a DOM, so the two
// refuse the same texts with the same Status: after a refusal, status()
// builds it (the StatusCode, and a message naming the byte offset; nothing
// is formatted before it is asked for). The checks run in the order the
// former nlohmann-based codec ran them, so the StatusCode of a text that
// crosses several limits is unchanged: the item count of a container is
// checked once the value's first token is read (after its depth check for
// a container, after the whole token for a scalar).
// Duplicate keys are the caller's to refuse (FailDuplicateKey()), except
// inside values read with ReadValue(), which refuses them itself.
//
// Use: Begin(); then read one value (Peek() tells its type; containers are
// entered with BeginObject()/BeginArray() and walked with
// NextKey()/NextItem()); then End(). Every call returns false on a refusal,
// after which the reader stays failed; except that a Read*/Begin* call
// meeting a value of another type returns false and leaves the reader as it
// was (not failed: a type mismatch is the caller's to judge), while one
// meeting no value at all fails it.
//
// Thread-compatible; the text must outlive the reader.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "sessionrig/json_codec.h"
#include "sessionrig/status.h"

namespace sessionrig {

class JsonReader {
 public:
  enum class Type { kNull, kFalse, kTrue, kNumber, kString, kObject, kArray, kInvalid };

  // A number as nlohmann types it: non-negative integers unsigned, negative
  // ones (and -0) signed, the rest (fraction, exponent, overflow) double.
  struct Number {
    enum class Kind { kUnsigned, kInteger, kFloat } kind = Kind::kUnsigned;
    uint64_t u = 0;
    int64_t i = 0;
    double f = 0;
  };

  JsonReader(std::string_view text, const JsonLimits& limits) : text_(text), limits_(limits) {}
  JsonReader(const JsonReader&) = delete;
  JsonReader& operator=(const JsonReader&) = delete;

  // Checks the size limit and skips a BOM.
  bool Begin();
  // The type of the next value, from its first byte (whitespace skipped);
  // kInvalid when no value can start there.
  Type Peek() {
    if (failed_) return Type::kInvalid;
    SkipWhitespace();
    return pos_ < text_.size() ? kTypeOf[static_cast<unsigned char>(text_[pos_])] : Type::kInvalid;
  }

  bool ReadNull();
  bool ReadBool(bool* out);
  bool ReadNumber(Number* out);
  // The decoded string; the view points into the text or into a buffer of
  // the reader and is valid until the next ReadString.
  bool ReadString(std::string_view* out);

  // Enters the object / array the next value is.
  bool BeginObject();
  bool BeginArray();
  // Steps to the next member of the innermost object: its key in *key
  // (valid until the next NextKey) and *more true, the reader then before
  // its value; or *more false when the object ended (it is left).
  bool NextKey(std::string_view* key, bool* more);
  // The same for the innermost array.
  bool NextItem(bool* more);

  // Reads the next value whole into *out (iterative; refuses duplicate keys).
  bool ReadValue(nlohmann::json* out);

  // Only whitespace remains.
  bool End();

  bool failed() const { return failed_; }
  // Refuses the key just read with NextKey as a duplicate (kJsonSyntax).
  [[gnu::cold]] bool FailDuplicateKey(std::string_view key);
  // Refuses the next value as ReadValue() does when Peek() is kInvalid: for
  // callers that peek before they read.
  [[gnu::cold]] bool FailNoValue();
  // A Read*/Begin* call's answer when the next value is not of its type:
  // false, failing the reader only when `next` is kInvalid.
  [[gnu::cold, gnu::noinline]] bool Mismatch(Type next);
  // Why the reader refused, as ParseJsonStrict reports it. REQUIRES: failed().
  Status status() const;

 private:
  enum class Error : uint8_t { kSyntax, kSize, kDepth, kString, kKey, kItems, kDuplicate };
  // Records the first refusal (later calls on a failed reader keep it).
  // Out of line and cold: the paths to a success stay short.
  [[gnu::cold, gnu::noinline]] bool Fail(Error error = Error::kSyntax,
                                         const char* what = "unexpected input",
                                         std::size_t size = 0);
  // The item count check of the value just read (see the header).
  bool Counted() { return !over_item_limit_ || Fail(Error::kItems); }
  static constexpr bool IsWhitespace(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
  }
  void SkipWhitespace() {
    while (pos_ < text_.size() && IsWhitespace(text_[pos_])) ++pos_;
  }
  // The type of a value by its first byte.
  static constexpr std::array<Type, 256> kTypeOf = [] {
    std::array<Type, 256> t{};
    for (Type& x : t) x = Type::kInvalid;
    t['n'] = Type::kNull;
    t['f'] = Type::kFalse;
    t['t'] = Type::kTrue;
    t['"'] = Type::kString;
    t['{'] = Type::kObject;
    t['['] = Type::kArray;
    t['-'] = Type::kNumber;
    for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = Type::kNumber;
    return t;
  }();
  bool ScanString(std::string* scratch, bool is_key, std::string_view* out);
  bool Literal(std::string_view word);
  bool Enter();
  bool Close();

  std::string_view text_;
  const JsonLimits& limits_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  // The value the last NextKey/NextItem stepped to is one too many.
  bool over_item_limit_ = false;
  // The first refusal: what, where (byte offset), a size it concerns.
  Error error_ = Error::kSyntax;
  const char* error_what_ = "";
  std::size_t error_at_ = 0;
  std::size_t error_size_ = 0;
  std::string error_key_;  // FailDuplicateKey's key
  // Items read so far in each open container, innermost last.
  std::vector<std::size_t> items_;
  std::string key_scratch_;
  std::string value_scratch_;
  std::vector<nlohmann::json*> dom_stack_;  // ReadValue's open containers
};

}  // namespace sessionrig
