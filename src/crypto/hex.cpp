// hex.cpp — lowercase hex encoding and strict decoding (no whitespace, no 0x prefix).
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"

namespace hwlock::crypto {
namespace {

constexpr char kDigits[] = "0123456789abcdef";

// Value of one hex digit, or -1. Upper case is accepted on input; output is always lower case.
int nibble(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string to_hex(ByteSpan data) {
  std::string s;
  s.reserve(2 * data.size());
  for (std::byte b : data) {
    const auto v = std::to_integer<unsigned>(b);
    s.push_back(kDigits[v >> 4]);
    s.push_back(kDigits[v & 0xfu]);
  }
  return s;
}

Result<std::vector<std::byte>> from_hex(std::string_view hex) {
  if (hex.size() % 2 != 0)
    return fail(Errc::crypto,
                "from_hex: odd number of hex digits (" + std::to_string(hex.size()) + ")");
  std::vector<std::byte> out(hex.size() / 2);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return fail(Errc::crypto, "from_hex: non-hex digit at position " +
                                    std::to_string(hi < 0 ? 2 * i : 2 * i + 1));
    out[i] = static_cast<std::byte>((hi << 4) | lo);
  }
  return out;
}

}  // namespace hwlock::crypto
