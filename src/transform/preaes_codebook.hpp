// Internal to the transform module: the data-only parts of scheme "preaes-v1" (docs/PREAES.md):
// the total order of a dtype's bit patterns, the codebook and its binary form, the slot allotment
// and the rank16 quantiser. No key material here; preaes.cpp does the keyed part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/safetensors.hpp"

namespace hwlock::transform::detail::preaes {

inline constexpr std::uint8_t kCodebookVersion = 1;

// How a dtype's bit patterns are ordered. `float_`: sign-magnitude to offset binary (negative
// patterns reversed, so -NaN < -inf < ... < -0.0 < +0.0 < ... < +inf < +NaN); `signed_`: two's
// complement; `unsigned_`: natural (also BOOL and F8_E8M0, which has no sign bit).
enum class Order { unsigned_, signed_, float_ };
Order order_of(st::DType dtype) noexcept;

// The monotone key of a `bits`-bit pattern (bits = 8, 16 or 32): a bijection of [0, 2^bits).
constexpr std::uint32_t to_key(Order o, unsigned bits, std::uint32_t pattern) noexcept {
  const std::uint32_t sign = std::uint32_t{1} << (bits - 1);
  const std::uint32_t mask = sign | (sign - 1);
  if (o == Order::signed_) return pattern ^ sign;
  if (o == Order::float_) return (pattern & sign) ? (~pattern & mask) : (pattern | sign);
  return pattern;
}
constexpr std::uint32_t from_key(Order o, unsigned bits, std::uint32_t key) noexcept {
  const std::uint32_t sign = std::uint32_t{1} << (bits - 1);
  const std::uint32_t mask = sign | (sign - 1);
  if (o == Order::signed_) return key ^ sign;
  if (o == Order::float_) return (key & sign) ? (key ^ sign) : (~key & mask);
  return key;
}

// An element's `b` bytes (1, 2 or 4), little-endian whatever the host.
inline std::uint32_t load_le(const std::byte* p, unsigned b) noexcept {
  std::uint32_t v = 0;
  for (unsigned i = 0; i < b; ++i) v |= std::to_integer<std::uint32_t>(p[i]) << (8 * i);
  return v;
}
inline void store_le(std::byte* p, unsigned b, std::uint32_t v) noexcept {
  for (unsigned i = 0; i < b; ++i) p[i] = static_cast<std::byte>(v >> (8 * i));
}

// The tensor's distinct values (as keys, strictly increasing) and how often each occurs.
struct Codebook {
  std::vector<std::uint32_t> keys;
  std::vector<std::uint64_t> counts;  // each >= 1; sum = elements of the tensor
};

// The distinct values and counts of `n` keys.
Codebook codebook_of(std::span<const std::uint32_t> keys, unsigned bits);

// Binary form: version byte, varint d, d varint keys (first absolute, then deltas >= 1), d varint
// counts. Varints are unsigned LEB128, minimal length.
std::vector<std::byte> encode_codebook(const Codebook& cb);
// Parses and validates hostile bytes for a tensor of `n` elements whose code space has
// `space` = 2^bits slots. Errors: scheme_params_invalid, message "<where>: codebook ...".
Result<Codebook> decode_codebook(std::span<const std::byte> bytes, std::uint64_t n,
                                 std::uint64_t space, const std::string& where);

// Slot starts a_0 <= ... <= a_d = space: value j owns [a_j, a_{j+1}), at least one slot, the
// rest shared in proportion to counts by largest remainder (ties to the lower index). A function
// of the counts only. Requires 1 <= d <= space and every count >= 1.
std::vector<std::uint64_t> allot_slots(std::span<const std::uint64_t> counts, std::uint64_t space);

// Mode "rank16": F32 values (little-endian, `in.size()` a multiple of 4) to at most 65536
// distinct values. The patterns are sorted by key and cut into 65536 equal-count bins (bin k:
// sorted ranks [floor(k n / 65536), floor((k+1) n / 65536))); every value becomes the lower
// median element of the bin holding its first sorted occurrence. Equal inputs give equal
// outputs; the outputs are values of the tensor; n <= 65536 leaves the tensor unchanged.
inline constexpr std::uint64_t kRank16Bins = 65536;
void quantise_rank16_f32(std::span<const std::byte> in, std::span<std::byte> out);

}  // namespace hwlock::transform::detail::preaes
