// BitVector, Hamming distances, the non-cryptographic hash64 and Measurement helpers.
#include <bit>
#include <cassert>

#include "fingerprint/prng.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint {

BitVector BitVector::from_bytes(std::span<const std::uint8_t> bytes, std::size_t nbits) {
  assert(bytes.size() * 8 >= nbits);
  BitVector v(nbits);
  std::copy(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(v.bytes_.size()),
            v.bytes_.begin());
  if (nbits % 8 != 0) v.bytes_.back() &= static_cast<std::uint8_t>((1u << (nbits % 8)) - 1);
  return v;
}

bool BitVector::get(std::size_t i) const noexcept {
  assert(i < size_);
  return (bytes_[i / 8] >> (i % 8)) & 1u;
}

void BitVector::set(std::size_t i, bool value) noexcept {
  assert(i < size_);
  const auto mask = static_cast<std::uint8_t>(1u << (i % 8));
  if (value)
    bytes_[i / 8] |= mask;
  else
    bytes_[i / 8] &= static_cast<std::uint8_t>(~mask);
}

void BitVector::push_back(bool value) {
  if (size_ % 8 == 0) bytes_.push_back(0);
  ++size_;
  set(size_ - 1, value);
}

void BitVector::append_bits(std::uint64_t value, unsigned nbits) {
  assert(nbits <= 64);
  for (unsigned i = 0; i < nbits; ++i) push_back((value >> i) & 1u);
}

void BitVector::append(const BitVector& other) {
  if (size_ % 8 == 0) {  // byte-aligned: copy whole bytes (trailing bits of `other` are zero)
    bytes_.insert(bytes_.end(), other.bytes_.begin(), other.bytes_.end());
    size_ += other.size_;
    return;
  }
  for (std::size_t i = 0; i < other.size_; ++i) push_back(other.get(i));
}

std::uint64_t BitVector::get_bits(std::size_t offset, unsigned nbits) const noexcept {
  assert(nbits <= 64 && offset + nbits <= size_);
  std::uint64_t v = 0;
  for (unsigned i = 0; i < nbits; ++i) v |= std::uint64_t{get(offset + i)} << i;
  return v;
}

std::size_t BitVector::popcount() const noexcept {
  std::size_t n = 0;
  for (auto b : bytes_) n += static_cast<std::size_t>(std::popcount(b));
  return n;
}

std::string BitVector::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  s.reserve(bytes_.size() * 2);
  for (auto b : bytes_) {
    s.push_back(kDigits[b >> 4]);
    s.push_back(kDigits[b & 15]);
  }
  return s;
}

std::size_t hamming_distance(const BitVector& a, const BitVector& b) noexcept {
  assert(a.size() == b.size());
  std::size_t n = 0;
  const auto& x = a.bytes();
  const auto& y = b.bytes();
  for (std::size_t i = 0; i < x.size(); ++i)
    n += static_cast<std::size_t>(std::popcount(static_cast<std::uint8_t>(x[i] ^ y[i])));
  return n;
}

double fractional_hamming_distance(const BitVector& a, const BitVector& b) noexcept {
  if (a.empty()) return 0.0;
  return static_cast<double>(hamming_distance(a, b)) / static_cast<double>(a.size());
}

std::uint64_t hash64(std::span<const std::uint8_t> bytes, std::uint64_t seed) noexcept {
  std::uint64_t h = seed;
  for (auto b : bytes) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return detail::mix64(h);
}

std::uint64_t Measurement::hash() const noexcept {
  const std::uint64_t n = bits.size();
  std::uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<std::uint8_t>(n >> (8 * i));
  return hash64(bits.bytes(), hash64(len));
}

const Field* Measurement::field(std::string_view name) const noexcept {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace hwlock::fingerprint
