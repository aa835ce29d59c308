#include "common/json_reader.h"

#include <locale.h>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

namespace sessionrig {
namespace {

// Bytes that a string holds as they are: printable ASCII but '"' and '\\'.
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// The length of the well-formed UTF-8 sequence (RFC 3629, as nlohmann
// checks it) of 2 to 4 bytes starting at s[0] >= 0x80, or 0.
std::size_t Utf8SequenceLength(const unsigned char* s, std::size_t available) {
  auto cont = [&](std::size_t i, unsigned char lo, unsigned char hi) {
    return i < available && s[i] >= lo && s[i] <= hi;
  };
  const unsigned char c = s[0];
  if (c >= 0xC2 && c <= 0xDF) return cont(1, 0x80, 0xBF) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2, 0x80, 0xBF) ? 3 : 0;
  if (c == 0xF0) return cont(1, 0x90, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) {
    return cont(1, 0x80, 0xBF) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  }
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2, 0x80, 0xBF) && cont(3, 0x80, 0xBF) ? 4 : 0;
  return 0;
}

// strtod of a number token, in the C locale whatever the process's (nlohmann
// swaps '.' for the locale's decimal point, to the same effect); false on
// overflow, which nlohmann refuses.
bool TokenToDouble(std::string_view token, double* out) {
  static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", locale_t{});
  if (c_locale == locale_t{}) return false;  // refused: the caller's DOM path decides
  char buffer[64];
  std::string heap;
  const char* s = buffer;
  if (token.size() >= sizeof buffer) {
    heap.assign(token);
    s = heap.c_str();
  } else {
    std::memcpy(buffer, token.data(), token.size());
    buffer[token.size()] = '\0';
  }
  const double value = strtod_l(s, nullptr, c_locale);
  if (!std::isfinite(value)) return false;
  *out = value;
  return true;
}

}  // namespace

bool JsonReader::Begin() {
  if (text_.size() > limits_.max_bytes) return Fail(Error::kSize);
  if (text_.size() >= 3 && text_.compare(0, 3, "\xEF\xBB\xBF") == 0) pos_ = 3;
  return !failed_;
}

bool JsonReader::Literal(std::string_view word) {
  if (failed_) return false;
  SkipWhitespace();
  if (text_.compare(pos_, word.size(), word) != 0) return Fail(Error::kSyntax, "invalid literal");
  pos_ += word.size();
  return Counted();
}

bool JsonReader::ReadNull() { return Literal("null"); }

bool JsonReader::ReadBool(bool* out) {
  const Type t = Peek();
  if (t == Type::kTrue) {
    *out = true;
    return Literal("true");
  }
  if (t == Type::kFalse) {
    *out = false;
    return Literal("false");
  }
  return Mismatch(t);
}

bool JsonReader::ReadNumber(Number* out) {
  if (const Type t = Peek(); t != Type::kNumber) return Mismatch(t);
  const std::size_t start = pos_;
  const std::size_t n = text_.size();
  bool negative = false;
  if (text_[pos_] == '-') {
    negative = true;
    ++pos_;
  }
  if (pos_ >= n || !IsDigit(text_[pos_])) return Fail(Error::kSyntax, "invalid number");
  if (text_[pos_] == '0') {
    ++pos_;
  } else {
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
  }
  bool is_float = false;
  if (pos_ < n && text_[pos_] == '.') {
    ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail(Error::kSyntax, "invalid number");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
    is_float = true;
  }
  if (pos_ < n && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < n && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
    if (pos_ >= n || !IsDigit(text_[pos_])) return Fail(Error::kSyntax, "invalid number");
    while (pos_ < n && IsDigit(text_[pos_])) ++pos_;
    is_float = true;
  }
  const std::string_view token = text_.substr(start, pos_ - start);
  if (!is_float) {
    const char* first = token.data();
    const char* last = token.data() + token.size();
    if (negative) {
      int64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc()) {
        out->kind = Number::Kind::kInteger;
        out->i = v;
        return Counted();
      }
    } else {
      uint64_t v = 0;
      if (std::from_chars(first, last, v).ec == std::errc()) {
        out->kind = Number::Kind::kUnsigned;
        out->u = v;
        return Counted();
      }
    }
    // Out of range: nlohmann reads it as a double.
  }
  out->kind = Number::Kind::kFloat;
  if (!TokenToDouble(token, &out->f)) return Fail(Error::kSyntax, "number out of range");
  return Counted();
}

bool JsonReader::ScanString(std::string* scratch, bool is_key, std::string_view* out) {
  // REQUIRES: text_[pos_] == '"'.
  ++pos_;
  const std::size_t n = text_.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text_.data());
  std::size_t run = pos_;  // start of the bytes not yet copied to *scratch
  bool copied = false;
  while (true) {
    // The common case first: a run of plain ASCII.
    while (pos_ < n && kPlain[bytes[pos_]]) ++pos_;
    if (pos_ >= n) return Fail(Error::kSyntax, "unterminated string");
    const unsigned char c = bytes[pos_];
    if (c == '"') break;
    if (c < 0x20) return Fail(Error::kSyntax, "control character in a string");
    if (c >= 0x80) {
      const std::size_t len = Utf8SequenceLength(bytes + pos_, n - pos_);
      if (len == 0) return Fail(Error::kSyntax, "invalid UTF-8 in a string");
      pos_ += len;
      continue;
    }
    // An escape.
    if (!copied) {
      scratch->clear();
      copied = true;
    }
    scratch->append(text_.data() + run, pos_ - run);
    ++pos_;
    if (pos_ >= n) return Fail(Error::kSyntax, "unterminated string");
    const char e = text_[pos_++];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        scratch->push_back(e);
        break;
      case 'b':
        scratch->push_back('\b');
        break;
      case 'f':
        scratch->push_back('\f');
        break;
      case 'n':
        scratch->push_back('\n');
        break;
      case 'r':
        scratch->push_back('\r');
        break;
      case 't':
        scratch->push_back('\t');
        break;
      case 'u': {
        auto hex4 = [&](uint32_t* v) {
          if (n - pos_ < 4) return false;
          uint32_t value = 0;
          for (int i = 0; i < 4; ++i) {
            const int h = HexValue(text_[pos_ + static_cast<std::size_t>(i)]);
            if (h < 0) return false;
            value = value * 16 + static_cast<uint32_t>(h);
          }
          pos_ += 4;
          *v = value;
          return true;
        };
        uint32_t cp = 0;
        if (!hex4(&cp)) return Fail(Error::kSyntax, "invalid \\u escape");
        if (cp >= 0xDC00 && cp <= 0xDFFF) return Fail(Error::kSyntax, "unpaired surrogate escape");
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low = 0;
          if (n - pos_ < 2 || text_[pos_] != '\\' || text_[pos_ + 1] != 'u') {
            return Fail(Error::kSyntax, "unpaired surrogate escape");
          }
          pos_ += 2;
          if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) {
            return Fail(Error::kSyntax, "unpaired surrogate escape");
          }
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        }
        AppendUtf8(cp, scratch);
        break;
      }
      default:
        return Fail(Error::kSyntax, "invalid escape");
    }
    run = pos_;
  }
  if (copied) {
    scratch->append(text_.data() + run, pos_ - run);
    *out = *scratch;
  } else {
    *out = text_.substr(run, pos_ - run);
  }
  ++pos_;  // the closing quote
  if (out->size() > limits_.max_string_bytes) {
    return Fail(is_key ? Error::kKey : Error::kString, "", out->size());
  }
  return true;
}

bool JsonReader::ReadString(std::string_view* out) {
  if (const Type t = Peek(); t != Type::kString) return Mismatch(t);
  return ScanString(&value_scratch_, /*is_key=*/false, out) && Counted();
}

bool JsonReader::BeginObject() {
  if (const Type t = Peek(); t != Type::kObject) return Mismatch(t);
  return Enter();
}

bool JsonReader::BeginArray() {
  if (const Type t = Peek(); t != Type::kArray) return Mismatch(t);
  return Enter();
}

// Enters the container at pos_: the depth limit, then the item count.
bool JsonReader::Enter() {
  if (items_.size() >= limits_.max_depth || over_item_limit_) [[unlikely]] {
    return items_.size() >= limits_.max_depth ? Fail(Error::kDepth) : Fail(Error::kItems);
  }
  ++pos_;
  items_.push_back(0);
  return true;
}

// Leaves the innermost container at its closing bracket.
bool JsonReader::Close() {
  items_.pop_back();
  ++pos_;
  return true;
}

bool JsonReader::NextKey(std::string_view* key, bool* more) {
  if (failed_ || items_.empty()) return Fail();
  SkipWhitespace();
  if (pos_ >= text_.size()) return Fail(Error::kSyntax, "unexpected end of input");
  if (text_[pos_] == '}') {
    *more = false;
    return Close();
  }
  if (items_.back() != 0) {
    if (text_[pos_] != ',') return Fail(Error::kSyntax, "expected ',' or '}'");
    ++pos_;
    SkipWhitespace();
    if (pos_ >= text_.size()) return Fail(Error::kSyntax, "unexpected end of input");
  }
  if (text_[pos_] != '"') return Fail(Error::kSyntax, "expected a key");
  if (!ScanString(&key_scratch_, /*is_key=*/true, key)) return false;
  SkipWhitespace();
  if (pos_ >= text_.size() || text_[pos_] != ':') return Fail(Error::kSyntax, "expected ':'");
  ++pos_;
  over_item_limit_ = ++items_.back() > limits_.max_container_items;
  *more = true;
  return true;
}

bool JsonReader::NextItem(bool* more) {
  if (failed_ || items_.empty()) return Fail();
  SkipWhitespace();
  if (pos_ >= text_.size()) return Fail(Error::kSyntax, "unexpected end of input");
  if (text_[pos_] == ']') {
    *more = false;
    return Close();
  }
  if (items_.back() != 0) {
    if (text_[pos_] != ',') return Fail(Error::kSyntax, "expected ',' or ']'");
    ++pos_;
  }
  over_item_limit_ = ++items_.back() > limits_.max_container_items;
  *more = true;
  return true;
}

bool JsonReader::ReadValue(nlohmann::json* out) {
  using nlohmann::json;
  const std::size_t base = dom_stack_.size();
  json* slot = out;
  while (true) {
    // Read one value into *slot; containers are opened and filled below.
    switch (Peek()) {
      case Type::kNull:
        if (!ReadNull()) return false;
        *slot = nullptr;
        break;
      case Type::kFalse:
      case Type::kTrue: {
        bool b = false;
        if (!ReadBool(&b)) return false;
        *slot = b;
        break;
      }
      case Type::kNumber: {
        Number num;
        if (!ReadNumber(&num)) return false;
        switch (num.kind) {
          case Number::Kind::kUnsigned:
            *slot = static_cast<json::number_unsigned_t>(num.u);
            break;
          case Number::Kind::kInteger:
            *slot = static_cast<json::number_integer_t>(num.i);
            break;
          case Number::Kind::kFloat:
            *slot = static_cast<json::number_float_t>(num.f);
            break;
        }
        break;
      }
      case Type::kString: {
        std::string_view s;
        if (!ReadString(&s)) return false;
        *slot = std::string(s);
        break;
      }
      case Type::kObject:
        if (!BeginObject()) return false;
        if (slot->is_object()) {
          slot->get_ref<json::object_t&>().clear();  // no new allocation
        } else {
          *slot = json::object();
        }
        dom_stack_.push_back(slot);
        break;
      case Type::kArray:
        if (!BeginArray()) return false;
        if (slot->is_array()) {
          slot->get_ref<json::array_t&>().clear();
        } else {
          *slot = json::array();
        }
        dom_stack_.push_back(slot);
        break;
      case Type::kInvalid:
        return FailNoValue();
    }
    // Find the next slot to fill, closing finished containers.
    slot = nullptr;
    while (slot == nullptr && dom_stack_.size() > base) {
      json* top = dom_stack_.back();
      bool more = false;
      if (top->is_object()) {
        std::string_view key;
        if (!NextKey(&key, &more)) return false;
        if (more) {
          auto [it, inserted] = top->get_ref<json::object_t&>().try_emplace(std::string(key));
          if (!inserted) return FailDuplicateKey(key);
          slot = &it->second;
        }
      } else {
        if (!NextItem(&more)) return false;
        if (more) {
          auto& array = top->get_ref<json::array_t&>();
          array.emplace_back();
          slot = &array.back();
        }
      }
      if (!more) dom_stack_.pop_back();
    }
    if (slot == nullptr) return true;
  }
}

bool JsonReader::End() {
  if (failed_ || !items_.empty()) return Fail();
  SkipWhitespace();
  // nlohmann's lexer takes a NUL byte between tokens for the end of input.
  return pos_ == text_.size() || text_[pos_] == '\0' ||
         Fail(Error::kSyntax, "unexpected bytes after the value");
}

bool JsonReader::Fail(Error error, const char* what, std::size_t size) {
  if (!failed_) {
    failed_ = true;
    error_ = error;
    error_what_ = what;
    error_at_ = pos_;
    error_size_ = size;
  }
  return false;
}

bool JsonReader::FailNoValue() { return Fail(Error::kSyntax, "expected a value"); }

bool JsonReader::Mismatch(Type next) { return next == Type::kInvalid ? FailNoValue() : false; }

bool JsonReader::FailDuplicateKey(std::string_view key) {
  if (!failed_) error_key_.assign(key);
  return Fail(Error::kDuplicate);
}

Status JsonReader::status() const {
  const std::string at = " at byte " + std::to_string(error_at_);
  switch (error_) {
    case Error::kSize:
      return Status(StatusCode::kSizeLimit, "JSON text of " + std::to_string(text_.size()) +
                                                " bytes exceeds " +
                                                std::to_string(limits_.max_bytes));
    case Error::kDepth:
      return Status(StatusCode::kJsonDepthLimit,
                    "nesting deeper than " + std::to_string(limits_.max_depth) + at);
    case Error::kString:
    case Error::kKey:
      return Status(StatusCode::kStringTooLong,
                    (error_ == Error::kKey ? "object key of " : "string of ") +
                        std::to_string(error_size_) + " bytes exceeds " +
                        std::to_string(limits_.max_string_bytes) + at);
    case Error::kItems:
      return Status(
          StatusCode::kTooManyMembers,
          "container has more than " + std::to_string(limits_.max_container_items) + " items" + at);
    case Error::kDuplicate:
      return Status(StatusCode::kJsonSyntax,
                    "invalid JSON" + at + ": duplicate key \"" + error_key_ + "\"");
    case Error::kSyntax:
      break;
  }
  return Status(StatusCode::kJsonSyntax,
                "invalid JSON" + at + ": " +
                    (error_at_ >= text_.size() ? std::string("unexpected end of input")
                                               : std::string(error_what_)));
}

}  // namespace sessionrig
