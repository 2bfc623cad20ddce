// aes_ctr.cpp — AES-256-CTR at an arbitrary keystream offset, serial and multi-threaded.
//
// CTR keystream block i is AES_k(iv + i) with iv read as a 128-bit big-endian integer (OpenSSL's
// convention, carrying across all 16 bytes). Starting at byte offset o therefore means starting the
// cipher at counter iv + o/16 and throwing away the first o%16 keystream bytes. Because every slice
// is computed this way, slices can be processed independently and in any order.
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "hwlock/crypto.hpp"
#include "openssl_util.hpp"

namespace hwlock::crypto {
namespace {

constexpr std::size_t kMinBytesPerThread = std::size_t{1} << 20;  // below this a thread costs more

// counter = iv + blocks, 128-bit big-endian, wrapping modulo 2^128 like OpenSSL's increment.
std::array<unsigned char, kIvSize> add_counter(std::span<const std::byte, kIvSize> iv,
                                               std::uint64_t blocks) noexcept {
  std::array<unsigned char, kIvSize> ctr{};
  unsigned carry = 0;
  for (std::size_t i = kIvSize; i-- > 0;) {
    const unsigned addend = static_cast<unsigned>(blocks & 0xffu);
    blocks >>= 8;
    const unsigned sum = std::to_integer<unsigned>(iv[i]) + addend + carry;
    ctr[i] = static_cast<unsigned char>(sum & 0xffu);
    carry = sum >> 8;
  }
  return ctr;
}

bool partially_overlap(ByteSpan in, MutableByteSpan out) noexcept {
  if (in.empty() || in.data() == out.data()) return false;
  // std::less gives a total order on unrelated pointers, unlike the raw operator.
  const std::less<const std::byte*> lt;
  const std::byte* a = in.data();
  const std::byte* b = out.data();
  return lt(a, b + out.size()) && lt(b, a + in.size());
}

// The actual work, arguments already validated.
Status ctr_xor(std::span<const std::byte, kKeySize> key, std::span<const std::byte, kIvSize> iv,
               std::uint64_t byte_offset, ByteSpan in, MutableByteSpan out) {
  if (in.empty()) return {};
  const auto counter = add_counter(iv, byte_offset / kBlockSize);
  detail::CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return detail::openssl_error("aes256_ctr_xor: EVP_CIPHER_CTX_new");
  if (EVP_EncryptInit_ex2(ctx.get(), EVP_aes_256_ctr(),
                          reinterpret_cast<const unsigned char*>(key.data()), counter.data(),
                          nullptr) != 1)
    return detail::openssl_error("aes256_ctr_xor: EVP_EncryptInit_ex2");

  int len = 0;
  // Mid-block start: run the skipped prefix of the first block through the cipher and discard it,
  // so OpenSSL's internal keystream position lines up with `in[0]`.
  if (const auto skip = static_cast<int>(byte_offset % kBlockSize); skip != 0) {
    std::array<unsigned char, kBlockSize> zeros{};
    std::array<unsigned char, kBlockSize> junk{};
    const int rc = EVP_EncryptUpdate(ctx.get(), junk.data(), &len, zeros.data(), skip);
    secure_wipe(junk.data(), junk.size());  // raw keystream
    if (rc != 1) return detail::openssl_error("aes256_ctr_xor: EVP_EncryptUpdate");
  }

  for (std::size_t done = 0; done < in.size();) {
    const std::size_t n = std::min(detail::kMaxEvpChunk, in.size() - done);
    if (EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data() + done), &len,
                          reinterpret_cast<const unsigned char*>(in.data() + done),
                          static_cast<int>(n)) != 1)
      return detail::openssl_error("aes256_ctr_xor: EVP_EncryptUpdate");
    done += n;
  }
  // CTR is a stream mode: Final emits nothing, but calling it keeps the EVP contract.
  unsigned char tail[kBlockSize];
  if (EVP_EncryptFinal_ex(ctx.get(), tail, &len) != 1)
    return detail::openssl_error("aes256_ctr_xor: EVP_EncryptFinal_ex");
  return {};
}

Status check_args(ByteSpan in, MutableByteSpan out, const char* operation) {
  if (in.size() != out.size())
    return fail(Errc::internal, std::string(operation) + ": input is " + std::to_string(in.size()) +
                                    " bytes but output is " + std::to_string(out.size()));
  if (partially_overlap(in, out))
    return fail(Errc::internal, std::string(operation) + ": input and output partially overlap");
  return {};
}

}  // namespace

Status aes256_ctr_xor(std::span<const std::byte, kKeySize> key,
                      std::span<const std::byte, kIvSize> iv, std::uint64_t byte_offset,
                      ByteSpan in, MutableByteSpan out) {
  HWLOCK_TRY(check_args(in, out, "aes256_ctr_xor"));
  return ctr_xor(key, iv, byte_offset, in, out);
}

Status aes256_ctr_xor_parallel(std::span<const std::byte, kKeySize> key,
                               std::span<const std::byte, kIvSize> iv, std::uint64_t byte_offset,
                               ByteSpan in, MutableByteSpan out, unsigned threads) {
  HWLOCK_TRY(check_args(in, out, "aes256_ctr_xor_parallel"));
  const std::size_t total = in.size();
  std::size_t n = threads != 0 ? threads : std::max(1u, std::thread::hardware_concurrency());
  n = std::min(n, total / kMinBytesPerThread);
  if (n <= 1) return ctr_xor(key, iv, byte_offset, in, out);

  // Range boundaries are chosen so that every range after the first starts on a keystream block
  // boundary (byte_offset + boundary is a multiple of 16): no thread re-derives a partial block.
  const std::size_t lead =
      static_cast<std::size_t>((kBlockSize - byte_offset % kBlockSize) % kBlockSize);
  const std::size_t per = (total + n - 1) / n;
  std::vector<std::size_t> bounds{0};
  for (std::size_t i = 1; i < n; ++i) {
    std::size_t b = i * per;
    b = b <= lead ? lead : lead + (b - lead + kBlockSize - 1) / kBlockSize * kBlockSize;
    bounds.push_back(std::min(std::max(b, bounds.back()), total));
  }
  bounds.push_back(total);

  const std::size_t ranges = bounds.size() - 1;
  std::vector<Status> results(ranges);
  auto work = [&](std::size_t r) {
    const std::size_t b = bounds[r];
    const std::size_t len = bounds[r + 1] - b;
    results[r] = ctr_xor(key, iv, byte_offset + b, in.subspan(b, len), out.subspan(b, len));
  };

  // Ranges 1.. go to worker threads (each creates its own EVP context); range 0 runs here. If the
  // system refuses a thread, the ranges it would have taken are done on this thread instead, so
  // no exception escapes and the output is always complete.
  std::vector<std::thread> workers;
  std::size_t started = 1;
  try {
    workers.reserve(ranges - 1);
    for (; started < ranges; ++started) workers.emplace_back(work, started);
  } catch (...) {
  }
  for (std::size_t r = started; r < ranges; ++r) work(r);
  work(0);
  for (auto& t : workers) t.join();

  for (auto& s : results)
    if (!s.ok()) return std::move(s).error();
  return {};
}

}  // namespace hwlock::crypto
