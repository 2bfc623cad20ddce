// BitVector, Hamming distances, the non-cryptographic hash64 and Measurement helpers.
#include <string.h>  // explicit_bzero: this file is also built without libcrypto (aarch64 subset)

#include <algorithm>
#include <bit>
#include <cassert>
#include <utility>

#include "fingerprint/prng.hpp"
#include "hwlock/fingerprint.hpp"

namespace hwlock::fingerprint {
namespace {

void wipe(std::vector<std::uint8_t>& v) noexcept {
  if (!v.empty()) ::explicit_bzero(v.data(), v.size());
}

// Makes room for `nbytes` bytes without leaving a copy of the bits in a released block: vector's
// own growth would free the old block unwiped.
void reserve_wiped(std::vector<std::uint8_t>& v, std::size_t nbytes) {
  if (nbytes <= v.capacity()) return;
  std::vector<std::uint8_t> bigger;
  bigger.reserve(std::max(nbytes, 2 * v.capacity()));
  bigger.assign(v.begin(), v.end());
  wipe(v);
  v.swap(bigger);
}

}  // namespace

BitVector::~BitVector() {
  wipe(bytes_);
}

BitVector::BitVector(BitVector&& other) noexcept
    : bytes_(std::move(other.bytes_)), size_(std::exchange(other.size_, 0)) {
  other.bytes_.clear();
}

BitVector& BitVector::operator=(const BitVector& other) {
  if (this != &other) {
    wipe(bytes_);  // the block may be reused for fewer bytes: nothing of ours survives past them
    bytes_ = other.bytes_;
    size_ = other.size_;
  }
  return *this;
}

BitVector& BitVector::operator=(BitVector&& other) noexcept {
  if (this != &other) {
    wipe(bytes_);
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

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
  if (size_ % 8 == 0) {
    reserve_wiped(bytes_, bytes_.size() + 1);
    bytes_.push_back(0);
  }
  ++size_;
  set(size_ - 1, value);
}

void BitVector::append_bits(std::uint64_t value, unsigned nbits) {
  assert(nbits <= 64);
  for (unsigned i = 0; i < nbits; ++i) push_back((value >> i) & 1u);
}

void BitVector::append(const BitVector& other) {
  if (size_ % 8 == 0) {  // byte-aligned: copy whole bytes (trailing bits of `other` are zero)
    reserve_wiped(bytes_, bytes_.size() + other.bytes_.size());
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
