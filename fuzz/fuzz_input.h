// fuzz/fuzz_input.h: splits one fuzz input into a realistic byte stream at
// the front and small configuration values taken from the END, as libFuzzer's
// FuzzedDataProvider does; so a seed is "a real HTTP response (or JSON text)
// followed by a few trailer bytes", and mutations of the front stay
// meaningful.
//
// Our own class rather than <fuzzer/FuzzedDataProvider.h> because that header
// ships with clang only, and the gcc replay build must interpret every corpus
// file exactly as the libFuzzer build does. Each value takes a fixed number of
// bytes (documented per method), so seed trailers are easy to write by hand;
// an exhausted input yields zeros.
//
// Thread-safety: a plain value type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sessionrig::fuzz {

class FuzzInput {
 public:
  FuzzInput(const uint8_t* data, std::size_t size)
      : data_(reinterpret_cast<const char*>(data)), begin_(0), end_(size) {}

  // One byte from the end (0 if none left).
  uint8_t Byte() {
    if (end_ == begin_) return 0;
    --end_;
    return static_cast<uint8_t>(data_[end_]);
  }
  // Two bytes from the end, the last byte being the low one.
  uint16_t U16() {
    const uint16_t lo = Byte();
    const uint16_t hi = Byte();
    return static_cast<uint16_t>((hi << 8) | lo);
  }
  // One byte from the end, mapped into [0, n) (n >= 1).
  uint32_t Below(uint32_t n) { return n <= 1 ? 0 : static_cast<uint32_t>(Byte() % n); }
  bool Bool() { return (Byte() & 1) != 0; }

  // Up to `n` bytes from the front.
  std::string_view Front(std::size_t n) {
    if (n > end_ - begin_) n = end_ - begin_;
    std::string_view out(data_ + begin_, n);
    begin_ += n;
    return out;
  }
  // Everything not yet taken, from the front.
  std::string_view Rest() const { return std::string_view(data_ + begin_, end_ - begin_); }
  std::size_t remaining() const { return end_ - begin_; }

 private:
  const char* data_;
  std::size_t begin_;
  std::size_t end_;
};

}  // namespace sessionrig::fuzz
