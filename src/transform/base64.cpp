#include "base64.hpp"

#include <array>
#include <cstdint>

namespace hwlock::transform::detail {
namespace {

constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_values() {
  std::array<std::int8_t, 256> v{};
  for (auto& x : v) x = -1;
  for (std::size_t i = 0; i < kAlphabet.size(); ++i)
    v[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return v;
}
constexpr std::array<std::int8_t, 256> kValues = make_values();

}  // namespace

std::string base64_encode(std::span<const std::byte> data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t w = std::to_integer<std::uint32_t>(data[i]) << 16 |
                            std::to_integer<std::uint32_t>(data[i + 1]) << 8 |
                            std::to_integer<std::uint32_t>(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(w >> s) & 63];
  }
  const std::size_t rest = data.size() - i;
  if (rest > 0) {
    std::uint32_t w = std::to_integer<std::uint32_t>(data[i]) << 16;
    if (rest == 2) w |= std::to_integer<std::uint32_t>(data[i + 1]) << 8;
    out += kAlphabet[(w >> 18) & 63];
    out += kAlphabet[(w >> 12) & 63];
    out += rest == 2 ? kAlphabet[(w >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::vector<std::byte>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad = text[text.size() - 2] == '=' ? 2 : 1;
  std::vector<std::byte> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    const std::size_t real = last ? 4 - pad : 4;  // non-padding characters in this quantum
    std::uint32_t w = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      std::int8_t v = 0;
      if (k < real) {
        v = kValues[static_cast<unsigned char>(text[i + k])];
        if (v < 0) return std::nullopt;
      } else if (text[i + k] != '=') {
        return std::nullopt;
      }
      w = w << 6 | static_cast<std::uint32_t>(v);
    }
    if ((real == 2 && (w & 0xFFFF) != 0) || (real == 3 && (w & 0xFF) != 0)) return std::nullopt;
    out.push_back(static_cast<std::byte>(w >> 16));
    if (real >= 3) out.push_back(static_cast<std::byte>(w >> 8));
    if (real == 4) out.push_back(static_cast<std::byte>(w));
  }
  return out;
}

}  // namespace hwlock::transform::detail
