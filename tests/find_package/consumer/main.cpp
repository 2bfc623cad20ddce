#include <hwlock/container.hpp>

// Uses the installed library for real: derive a key id and round-trip an AES-CTR block.
int main() {
  auto key = hwlock::crypto::SecretKey::generate();
  if (!key) return 1;
  auto id = hwlock::key_id(*key);
  if (!id || id->size() != 16) return 1;
  std::array<std::byte, 16> iv{}, buf{}, out{};
  if (!hwlock::crypto::aes256_ctr_xor(key->bytes(), iv, 0, buf, out)) return 1;
  if (!hwlock::crypto::aes256_ctr_xor(key->bytes(), iv, 0, out, out)) return 1;
  return out == buf ? 0 : 1;
}
