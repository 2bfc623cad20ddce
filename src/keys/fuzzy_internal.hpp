// Internals shared by the fuzzy-extractor sources: GF(2^m) tables, wiped scratch vectors, bit
// packing. Not installed.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/error.hpp"

namespace hwlock::fuzzy {
namespace detail {

// GF(2^m) in polynomial basis with log/antilog tables; α is a root of the primitive polynomial.
struct GaloisField {
  unsigned m = 0;
  unsigned n = 0;                  // 2^m − 1, the multiplicative order of α
  std::vector<std::uint16_t> exp;  // exp[i] = α^i for i in [0, 2n) (no reduction for sums of logs)
  std::vector<std::uint16_t> log;  // log[x] for x in [1, n]; log[0] unused

  std::uint16_t mul(std::uint16_t a, std::uint16_t b) const noexcept {
    if (a == 0 || b == 0) return 0;
    return exp[log[a] + log[b]];
  }
  std::uint16_t div(std::uint16_t a, std::uint16_t b) const noexcept {
    assert(b != 0);
    if (a == 0) return 0;
    return exp[log[a] + n - log[b]];
  }
  std::uint16_t alpha_pow(std::size_t e) const noexcept { return exp[e % n]; }
};

// Primitive polynomial of degree m (bit i = coefficient of x^i), m in [kBchMinM, kBchMaxM].
std::uint32_t primitive_polynomial(unsigned m) noexcept;

// Builds the tables; asserts the polynomial is primitive (α has order exactly n).
GaloisField make_field(unsigned m);

// The union of the cyclotomic cosets (mod n = 2^m − 1) of 1 .. 2t: the exponents of the roots of
// the narrow-sense BCH generator. Caller checks m and 1 ≤ t ≤ (n − 1) / 2.
struct RootSet {
  unsigned n = 0;
  std::vector<std::uint8_t> is_root;          // size n
  std::vector<std::vector<unsigned>> cosets;  // distinct cosets, in order of their leaders
  std::size_t degree = 0;                     // Σ coset sizes = deg g = n − k
  unsigned bch_bound_t() const noexcept;      // (d − 1) / 2, d = first exponent ≥ 1 not a root
};
RootSet bch_root_set(unsigned m, unsigned t);

// A std::vector whose contents are wiped when it goes out of scope (decoder scratch: syndromes and
// error locators describe the error pattern, i.e. the difference between two device reads).
template <class T>
class WipedVector {
 public:
  explicit WipedVector(std::size_t size, T value = T{}) : v_(size, value) {}
  ~WipedVector() { crypto::secure_wipe(v_.data(), v_.size() * sizeof(T)); }
  WipedVector(const WipedVector&) = delete;
  WipedVector& operator=(const WipedVector&) = delete;
  T& operator[](std::size_t i) noexcept { return v_[i]; }
  const T& operator[](std::size_t i) const noexcept { return v_[i]; }
  std::size_t size() const noexcept { return v_.size(); }
  T* data() noexcept { return v_.data(); }
  std::span<T> span() noexcept { return v_; }

 private:
  std::vector<T> v_;
};

// Unpacked (one 0/1 per byte) view of a SecretBuffer.
inline std::span<std::uint8_t> bits_of(crypto::SecretBuffer& b) noexcept {
  return {reinterpret_cast<std::uint8_t*>(b.data()), b.size()};
}

// Packed LSB-first <-> unpacked. `packed` must hold at least ceil(bits.size() / 8) bytes.
inline void unpack_bits(std::span<const std::uint8_t> packed,
                        std::span<std::uint8_t> bits) noexcept {
  for (std::size_t i = 0; i < bits.size(); ++i)
    bits[i] = static_cast<std::uint8_t>((packed[i / 8] >> (i % 8)) & 1u);
}
inline void pack_bits(std::span<const std::uint8_t> bits, std::span<std::uint8_t> packed) noexcept {
  for (auto& b : packed) b = 0;
  for (std::size_t i = 0; i < bits.size(); ++i)
    packed[i / 8] = static_cast<std::uint8_t>(packed[i / 8] | ((bits[i] & 1u) << (i % 8)));
}
inline std::size_t packed_size(std::size_t nbits) noexcept {
  return (nbits + 7) / 8;
}

// Checks the parameters of a concatenated code and returns N, or fuzzy_bad_params.
Result<std::size_t> check_code_params(unsigned m, unsigned t, unsigned repetition, unsigned blocks);

}  // namespace detail

struct HelperData;
namespace detail {
// Structural validity of helper data (params, sizes, padding, masked offset bits zero, canonical
// mask); returns N, or fuzzy_helper_invalid.
Result<std::size_t> check_helper(const HelperData& helper);
}  // namespace detail
}  // namespace hwlock::fuzzy
