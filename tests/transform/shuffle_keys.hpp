// Fixed key material and tensor helpers shared by the shuffle tests.
#pragma once

#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"
#include "hwlock/transform.hpp"

namespace hwlock::test {

// A tensor key, nonce and group keys (group key = SHA-256(master || group name)), all fixed.
struct ShuffleKeys {
  std::array<std::byte, crypto::kKeySize> key{};
  std::array<std::byte, crypto::kIvSize> nonce{};
  std::array<std::byte, crypto::kKeySize> master{};

  explicit ShuffleKeys(unsigned seed = 0) {
    for (unsigned i = 0; i < key.size(); ++i) key[i] = static_cast<std::byte>(i + seed);
    for (unsigned i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::byte>(0xa0 + i + seed);
    for (unsigned i = 0; i < master.size(); ++i)
      master[i] = static_cast<std::byte>(0x40 + i + seed);
  }
  transform::TensorKeys keys() const {
    return {key, nonce, [m = master](std::string_view g) -> Result<crypto::SecretKey> {
              std::vector<std::byte> in(m.begin(), m.end());
              for (char c : g) in.push_back(static_cast<std::byte>(c));
              std::array<std::byte, crypto::kSha256Size> d{};
              HWLOCK_TRY(crypto::sha256(in, d));
              return crypto::SecretKey(std::span<const std::byte, crypto::kKeySize>(d));
            }};
  }
};

// A tensor that owns its shape and bytes.
struct OwnedTensor {
  std::string name = "t";
  st::DType dtype = st::DType::F32;
  std::vector<std::uint64_t> shape;
  std::vector<std::byte> data;

  transform::TensorDesc desc() const { return {name, dtype, shape, data.size()}; }
};

inline OwnedTensor f32_tensor(std::string name, std::vector<std::uint64_t> shape,
                              const std::vector<float>& values) {
  OwnedTensor t{std::move(name), st::DType::F32, std::move(shape), {}};
  t.data.resize(values.size() * 4);
  std::memcpy(t.data.data(), values.data(), t.data.size());
  return t;
}

inline std::vector<float> as_floats(const std::vector<std::byte>& b) {
  std::vector<float> f(b.size() / 4);
  std::memcpy(f.data(), b.data(), b.size());
  return f;
}

}  // namespace hwlock::test
