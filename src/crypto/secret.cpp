// secret.cpp — SecretKey and SecretBuffer: move-only holders that wipe their bytes.
//
// The invariant is "at most one live copy": a move copies the key into the destination and then
// wipes the source, and every destructor wipes. SecretBuffer's heap block changes owner on move
// (no copy is made), so only the block itself needs wiping, at destruction or reassignment.
#include <algorithm>
#include <utility>

#include "hwlock/crypto.hpp"

namespace hwlock::crypto {

// ---- SecretKey ---------------------------------------------------------------------------------

SecretKey::SecretKey(std::span<const std::byte, kKeySize> bytes) noexcept : valid_(true) {
  std::copy(bytes.begin(), bytes.end(), bytes_.begin());
}

SecretKey::~SecretKey() {
  secure_wipe(bytes_.data(), bytes_.size());
}

SecretKey::SecretKey(SecretKey&& other) noexcept : bytes_(other.bytes_), valid_(other.valid_) {
  secure_wipe(other.bytes_.data(), other.bytes_.size());
  other.valid_ = false;
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  // Self-move must not wipe the only copy.
  if (this == &other) return *this;
  bytes_ = other.bytes_;
  valid_ = other.valid_;
  secure_wipe(other.bytes_.data(), other.bytes_.size());
  other.valid_ = false;
  return *this;
}

Result<SecretKey> SecretKey::generate() {
  SecretKey key;
  HWLOCK_TRY(random_bytes(key.bytes_));
  key.valid_ = true;
  return key;
}

// ---- SecretBuffer ------------------------------------------------------------------------------

SecretBuffer::SecretBuffer(std::size_t size) : data_(size) {}

SecretBuffer::~SecretBuffer() {
  secure_wipe(data_.data(), data_.size());
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::exchange(other.data_, std::vector<std::byte>{})) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this == &other) return *this;
  // Wipe what we hold before its block is released to the allocator.
  secure_wipe(data_.data(), data_.size());
  data_ = std::exchange(other.data_, std::vector<std::byte>{});
  return *this;
}

}  // namespace hwlock::crypto
