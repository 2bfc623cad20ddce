// wipe_random.cpp — secure_wipe, constant_time_equal, random_bytes, and the shared OpenSSL error
// formatter. These are the leaf primitives every other part of src/crypto builds on.
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <algorithm>
#include <string>

#include "hwlock/crypto.hpp"
#include "openssl_util.hpp"

namespace hwlock::crypto {

namespace detail {

Error openssl_error(std::string_view operation) {
  std::string message(operation);
  message += ": OpenSSL failure";
  // Report the oldest entry (the root cause); later entries are usually consequences of it.
  unsigned long code = ERR_get_error();
  if (code != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    message += " (";
    message += buf;
    message += ")";
  }
  ERR_clear_error();
  return fail(Errc::crypto, std::move(message));
}

}  // namespace detail

void secure_wipe(void* data, std::size_t size) noexcept {
  if (data == nullptr || size == 0) return;
  OPENSSL_cleanse(data, size);
}

bool constant_time_equal(ByteSpan a, ByteSpan b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  // CRYPTO_memcmp touches every byte regardless of where the first difference is.
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Status random_bytes(MutableByteSpan out) {
  // RAND_bytes takes an int length: fill very large buffers in pieces.
  constexpr std::size_t kChunk = std::size_t{1} << 30;
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t n = std::min(kChunk, out.size() - done);
    if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data() + done), static_cast<int>(n)) != 1)
      return detail::openssl_error("random_bytes: RAND_bytes");
    done += n;
  }
  return {};
}

}  // namespace hwlock::crypto
