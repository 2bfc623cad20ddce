// Property tests: CTR slicing/offset/parallel invariants, counter carry, HMAC and HKDF
// consistency, hex, constant-time comparison and key wiping.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hwlock/crypto.hpp"

namespace hwlock::crypto {
namespace {

using Bytes = std::vector<std::uint8_t>;  // rapidcheck can generate and print these

ByteSpan cb(const Bytes& v) {
  return std::as_bytes(std::span(v));
}
MutableByteSpan mb(Bytes& v) {
  return std::as_writable_bytes(std::span(v));
}
std::span<const std::byte, kKeySize> key_of(const Bytes& v) {
  return std::span<const std::byte, kKeySize>(cb(v).data(), kKeySize);
}
std::span<const std::byte, kIvSize> iv_of(const Bytes& v) {
  return std::span<const std::byte, kIvSize>(cb(v).data(), kIvSize);
}

rc::Gen<Bytes> gen_fixed(std::size_t n) {
  return rc::gen::container<Bytes>(n, rc::gen::arbitrary<std::uint8_t>());
}

// Cheap deterministic filler for multi-MiB buffers (rapidcheck generating each byte is too slow).
Bytes pseudo_random(std::size_t n, std::uint64_t seed) {
  Bytes out(n);
  for (auto& b : out)
    b = static_cast<std::uint8_t>((seed = seed * 6364136223846793005ull + 1442695040888963407ull) >>
                                  56);
  return out;
}

Bytes ctr(const Bytes& key, const Bytes& iv, std::uint64_t offset, const Bytes& in) {
  Bytes out(in.size());
  const auto st = aes256_ctr_xor(key_of(key), iv_of(iv), offset, cb(in), mb(out));
  RC_ASSERT(st.ok());
  return out;
}

// Reference: plain OpenSSL CTR from keystream position 0, no hwlock code involved.
Bytes openssl_ctr_from_start(const Bytes& key, const Bytes& iv, const Bytes& in) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(),
                                                                    EVP_CIPHER_CTX_free);
  Bytes out(in.size());
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex2(c.get(), EVP_aes_256_ctr(), key.data(), iv.data(), nullptr), 1);
  EXPECT_EQ(EVP_EncryptUpdate(c.get(), out.data(), &len, in.data(), static_cast<int>(in.size())),
            1);
  return out;
}

// Reference: AES-256 of one explicit counter block (ECB, no padding).
Bytes aes_block(const Bytes& key, const Bytes& block) {
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> c(EVP_CIPHER_CTX_new(),
                                                                    EVP_CIPHER_CTX_free);
  Bytes out(32);
  int len = 0;
  EXPECT_EQ(EVP_EncryptInit_ex2(c.get(), EVP_aes_256_ecb(), key.data(), nullptr, nullptr), 1);
  EVP_CIPHER_CTX_set_padding(c.get(), 0);
  EXPECT_EQ(EVP_EncryptUpdate(c.get(), out.data(), &len, block.data(), 16), 1);
  out.resize(16);
  return out;
}

// 128-bit big-endian counter from two 64-bit halves, built independently of the library's adder.
Bytes counter_block(std::uint64_t hi, std::uint64_t lo) {
  Bytes b(16);
  for (int i = 0; i < 8; ++i) {
    b[static_cast<std::size_t>(7 - i)] = static_cast<std::uint8_t>(hi >> (8 * i));
    b[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(lo >> (8 * i));
  }
  return b;
}

// ---- AES-CTR -----------------------------------------------------------------------------------

RC_GTEST_PROP(CtrProperty, SliceAtOffsetEqualsSliceOfWhole, ()) {
  const auto key = *gen_fixed(kKeySize);
  const auto iv = *gen_fixed(kIvSize);
  const auto base = *rc::gen::arbitrary<std::uint32_t>();  // where the whole message starts
  const auto msg = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const auto a = *rc::gen::inRange<std::size_t>(0, msg.size() + 1);
  const auto b = *rc::gen::inRange<std::size_t>(a, msg.size() + 1);
  const Bytes whole = ctr(key, iv, base, msg);
  const Bytes slice = ctr(key, iv, base + a, Bytes(msg.begin() + a, msg.begin() + b));
  RC_ASSERT(slice == Bytes(whole.begin() + a, whole.begin() + b));
}

RC_GTEST_PROP(CtrProperty, EncryptTwiceIsIdentity, ()) {
  const auto key = *gen_fixed(kKeySize);
  const auto iv = *gen_fixed(kIvSize);
  const auto offset = *rc::gen::arbitrary<std::uint64_t>();
  const auto msg = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const Bytes once = ctr(key, iv, offset, msg);
  if (msg.size() >= 16) RC_ASSERT(once != msg);
  RC_ASSERT(ctr(key, iv, offset, once) == msg);
}

RC_GTEST_PROP(CtrProperty, InPlaceEqualsOutOfPlace, ()) {
  const auto key = *gen_fixed(kKeySize);
  const auto iv = *gen_fixed(kIvSize);
  const auto offset = *rc::gen::arbitrary<std::uint64_t>();
  auto buf = *rc::gen::container<Bytes>(rc::gen::arbitrary<std::uint8_t>());
  const Bytes want = ctr(key, iv, offset, buf);
  RC_ASSERT(aes256_ctr_xor(key_of(key), iv_of(iv), offset, cb(buf), mb(buf)).ok());
  RC_ASSERT(buf == want);
}

// Sizes straddle the 1 MiB-per-thread threshold so both the inline and threaded paths run.
RC_GTEST_PROP(CtrProperty, ParallelEqualsSerial, ()) {
  const auto key = *gen_fixed(kKeySize);
  const auto iv = *gen_fixed(kIvSize);
  const auto offset =
      *rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 64), rc::gen::arbitrary<std::uint64_t>());
  // inRange scales with rapidcheck's size; resize(100) lets the MiB range span fully from the
  // first case so the threaded path runs with 2..4 ranges and ragged tails.
  const auto size = *rc::gen::oneOf(
      rc::gen::just<std::size_t>(0), rc::gen::inRange<std::size_t>(1, 4096),
      rc::gen::resize(100, rc::gen::inRange<std::size_t>((2u << 20) - 17, (4u << 20) + 33)));
  const auto threads = *rc::gen::element(0u, 1u, 2u, 3u, 5u);
  const Bytes msg = pseudo_random(size, *rc::gen::arbitrary<std::uint64_t>());
  const Bytes serial = ctr(key, iv, offset, msg);
  Bytes par(msg.size());
  RC_ASSERT(
      aes256_ctr_xor_parallel(key_of(key), iv_of(iv), offset, cb(msg), mb(par), threads).ok());
  RC_ASSERT(par == serial);
}

TEST(CtrParallel, FewMiBWithTwoAndThreeThreads) {
  const Bytes key = pseudo_random(32, 1), iv = pseudo_random(16, 2);
  for (std::size_t size : {std::size_t{3} << 20, (std::size_t{5} << 20) + 7}) {
    const Bytes msg = pseudo_random(size, size);
    for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{9}, std::uint64_t{1} << 40}) {
      Bytes serial(size);
      ASSERT_TRUE(aes256_ctr_xor(key_of(key), iv_of(iv), offset, cb(msg), mb(serial)).ok());
      for (unsigned threads : {2u, 3u}) {
        Bytes par(size);
        ASSERT_TRUE(
            aes256_ctr_xor_parallel(key_of(key), iv_of(iv), offset, cb(msg), mb(par), threads)
                .ok());
        EXPECT_TRUE(par == serial)
            << size << " bytes at " << offset << ", " << threads << " threads";
        // In place as well.
        Bytes inplace = msg;
        ASSERT_TRUE(aes256_ctr_xor_parallel(key_of(key), iv_of(iv), offset, cb(inplace),
                                            mb(inplace), threads)
                        .ok());
        EXPECT_TRUE(inplace == serial);
      }
    }
  }
}

// iv = 00*7 ff*9: the low 64 bits and the byte above them are all ones, so block 1 carries out of
// the low 64-bit word. Checked against OpenSSL CTR from the start and against explicit counters.
RC_GTEST_PROP(CtrProperty, CounterCarriesAcross64BitBoundary, ()) {
  const auto key = *gen_fixed(kKeySize);
  Bytes iv(16, 0xff);
  std::fill(iv.begin(), iv.begin() + 7, std::uint8_t{0});
  const auto msg = *rc::gen::container<Bytes>(*rc::gen::inRange<std::size_t>(17, 80),
                                              rc::gen::arbitrary<std::uint8_t>());
  const auto a = *rc::gen::inRange<std::size_t>(0, msg.size());
  const Bytes want = openssl_ctr_from_start(key, iv, msg);
  RC_ASSERT(ctr(key, iv, a, Bytes(msg.begin() + a, msg.end())) ==
            Bytes(want.begin() + a, want.end()));

  // Keystream blocks 0,1,2 must be AES(0x00..00ff_ffffffffffffffff + j).
  const Bytes ks = ctr(key, iv, 0, Bytes(48, 0));
  RC_ASSERT(Bytes(ks.begin(), ks.begin() + 16) == aes_block(key, counter_block(0xff, ~0ull)));
  RC_ASSERT(Bytes(ks.begin() + 16, ks.begin() + 32) == aes_block(key, counter_block(0x100, 0)));
  RC_ASSERT(Bytes(ks.begin() + 32, ks.end()) == aes_block(key, counter_block(0x100, 1)));
}

// A large byte offset (block index near 2^60) applied to an iv whose low word is near overflow.
RC_GTEST_PROP(CtrProperty, LargeOffsetCarry, ()) {
  const auto key = *gen_fixed(kKeySize);
  // Half the cases put the low word just below 2^64 so that adding `blocks` carries into `hi`.
  const auto raw_lo = *rc::gen::arbitrary<std::uint64_t>();
  const auto lo = *rc::gen::arbitrary<bool>() ? ~raw_lo : raw_lo;
  const auto hi = *rc::gen::inRange<std::uint64_t>(0, ~0ull);
  const auto blocks = *rc::gen::inRange<std::uint64_t>(0, ~0ull >> 4);
  const auto inner = *rc::gen::inRange<std::uint64_t>(0, 16);
  const Bytes iv = counter_block(hi, lo);
  const std::uint64_t new_lo = lo + blocks;
  const std::uint64_t new_hi = hi + (new_lo < lo ? 1 : 0);
  const Bytes ks = ctr(key, iv, blocks * 16 + inner, Bytes(16 - inner, 0));
  const Bytes block = aes_block(key, counter_block(new_hi, new_lo));
  RC_ASSERT(ks == Bytes(block.begin() + static_cast<std::ptrdiff_t>(inner), block.end()));
}

TEST(CtrCarry, WrapsAt128Bits) {
  const Bytes key = pseudo_random(32, 7);
  const Bytes iv(16, 0xff);
  const Bytes ks = ctr(key, iv, 0, Bytes(32, 0));
  EXPECT_TRUE(Bytes(ks.begin() + 16, ks.end()) == aes_block(key, counter_block(0, 0)));
  EXPECT_TRUE(ks == openssl_ctr_from_start(key, iv, Bytes(32, 0)));
}

TEST(CtrArgs, RejectsSizeMismatchAndPartialOverlap) {
  const Bytes key(32, 1), iv(16, 2);
  Bytes in(64), out(63);
  EXPECT_FALSE(aes256_ctr_xor(key_of(key), iv_of(iv), 0, cb(in), mb(out)).ok());
  EXPECT_FALSE(aes256_ctr_xor_parallel(key_of(key), iv_of(iv), 0, cb(in), mb(out), 2).ok());
  Bytes buf(64);
  EXPECT_FALSE(
      aes256_ctr_xor(key_of(key), iv_of(iv), 0, cb(buf).first(32), mb(buf).subspan(16, 32)).ok());
  EXPECT_TRUE(
      aes256_ctr_xor(key_of(key), iv_of(iv), 0, cb(buf).first(32), mb(buf).subspan(32, 32)).ok());
  EXPECT_TRUE(aes256_ctr_xor(key_of(key), iv_of(iv), 0, {}, {}).ok());
}

// ---- HMAC / HKDF -------------------------------------------------------------------------------

RC_GTEST_PROP(HmacProperty, IncrementalEqualsOneShot, (const Bytes& key, const Bytes& msg)) {
  std::array<std::byte, kSha256Size> one{}, inc{};
  RC_ASSERT(hmac_sha256(cb(key), cb(msg), one).ok());
  auto h = HmacSha256::create(cb(key));
  RC_ASSERT(h.ok());
  std::size_t pos = 0;
  while (pos < msg.size()) {
    // Empty updates are interleaved too; the step itself is never 0 so the loop ends.
    RC_ASSERT(h->update({}).ok());
    const auto n = *rc::gen::inRange<std::size_t>(1, msg.size() - pos + 1);
    RC_ASSERT(h->update(cb(msg).subspan(pos, n)).ok());
    pos += n;
  }
  RC_ASSERT(h->finish(inc).ok());
  RC_ASSERT(to_hex(one) == to_hex(inc));
}

// RFC 5869 §2.2–2.3 written out with hmac_sha256: PRK = HMAC(salt, IKM), T(i) = HMAC(PRK, T(i-1) |
// info | i). Covers empty IKM/salt/info and lengths that are not multiples of 32.
RC_GTEST_PROP(HkdfProperty, MatchesRfcConstructionFromHmac,
              (const Bytes& ikm, const Bytes& salt, const Bytes& info)) {
  const auto len = *rc::gen::inRange<std::size_t>(1, 300);
  Bytes got(len);
  RC_ASSERT(hkdf_sha256(cb(ikm), cb(salt), cb(info), mb(got)).ok());

  const Bytes s = salt.empty() ? Bytes(32, 0) : salt;
  std::array<std::byte, kSha256Size> prk{}, t{};
  RC_ASSERT(hmac_sha256(cb(s), cb(ikm), prk).ok());
  Bytes want, block;
  for (std::uint8_t i = 1; want.size() < len; ++i) {
    block.assign(reinterpret_cast<const std::uint8_t*>(t.data()),
                 reinterpret_cast<const std::uint8_t*>(t.data()) + (i == 1 ? 0 : 32));
    block.insert(block.end(), info.begin(), info.end());
    block.push_back(i);
    RC_ASSERT(hmac_sha256(prk, cb(block), t).ok());
    for (std::byte x : t) want.push_back(std::to_integer<std::uint8_t>(x));
  }
  want.resize(len);
  RC_ASSERT(got == want);
}

// ---- hex ---------------------------------------------------------------------------------------

RC_GTEST_PROP(HexProperty, RoundTrip, (const Bytes& data)) {
  const std::string h = to_hex(cb(data));
  RC_ASSERT(h.size() == 2 * data.size());
  RC_ASSERT(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  auto back = from_hex(h);
  RC_ASSERT(back.ok());
  RC_ASSERT(to_hex(*back) == h);
  std::string upper = h;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto back_upper = from_hex(upper);
  RC_ASSERT(back_upper.ok());
  RC_ASSERT(to_hex(*back_upper) == h);
}

RC_GTEST_PROP(HexProperty, RejectsOddLength, (const Bytes& data)) {
  const std::string h = to_hex(cb(data)) + "0";
  auto r = from_hex(h);
  RC_ASSERT(!r.ok());
  RC_ASSERT(r.error().code == Errc::crypto);
  RC_ASSERT(r.error().message.find("from_hex") != std::string::npos);
}

RC_GTEST_PROP(HexProperty, RejectsNonHexDigit, (const Bytes& data)) {
  std::string h = to_hex(cb(data)) + "00";
  const auto pos = *rc::gen::inRange<std::size_t>(0, h.size());
  const char bad = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char c) {
    return std::string_view("0123456789abcdefABCDEF").find(c) == std::string_view::npos;
  });
  h[pos] = bad;
  RC_ASSERT(!from_hex(h).ok());
}

TEST(Hex, EdgeCases) {
  EXPECT_EQ(to_hex({}), "");
  ASSERT_TRUE(from_hex("").ok());
  EXPECT_TRUE(from_hex("")->empty());
  EXPECT_FALSE(from_hex("0x00").ok());
  EXPECT_FALSE(from_hex(" 0").ok());
  EXPECT_FALSE(from_hex("g0").ok());
  auto r = from_hex("00ff7F");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(to_hex(*r), "00ff7f");
}

// ---- constant_time_equal / random --------------------------------------------------------------

RC_GTEST_PROP(ConstantTimeEqual, MatchesOrdinaryEquality, (const Bytes& a, const Bytes& b)) {
  RC_ASSERT(constant_time_equal(cb(a), cb(b)) == (a == b));
  RC_ASSERT(constant_time_equal(cb(a), cb(a)));
  if (!a.empty()) {
    Bytes c = a;
    c[*rc::gen::inRange<std::size_t>(0, c.size())] ^=
        static_cast<std::uint8_t>(*rc::gen::inRange(1, 256));
    RC_ASSERT(!constant_time_equal(cb(a), cb(c)));
    RC_ASSERT(!constant_time_equal(cb(a), cb(a).first(a.size() - 1)));
  }
}

TEST(Random, FillsAndDiffers) {
  Bytes a(64), b(64);
  ASSERT_TRUE(random_bytes(mb(a)).ok());
  ASSERT_TRUE(random_bytes(mb(b)).ok());
  EXPECT_NE(a, b);
  EXPECT_TRUE(random_bytes({}).ok());
}

// ---- SecretKey / SecretBuffer ------------------------------------------------------------------

bool all_zero(std::span<const std::byte> s) {
  return std::all_of(s.begin(), s.end(), [](std::byte x) { return x == std::byte{0}; });
}

RC_GTEST_PROP(SecretKeyProperty, MoveConstructWipesSource, ()) {
  const auto raw = *gen_fixed(kKeySize);
  SecretKey src(key_of(raw));
  RC_ASSERT(src.valid());
  SecretKey dst(std::move(src));
  RC_ASSERT(dst.valid());
  RC_ASSERT(to_hex(dst.bytes()) == to_hex(cb(raw)));
  RC_ASSERT(!src.valid());  // NOLINT(bugprone-use-after-move): that is what is tested
  RC_ASSERT(all_zero(src.bytes()));
}

RC_GTEST_PROP(SecretKeyProperty, MoveAssignWipesSource, ()) {
  const auto raw = *gen_fixed(kKeySize);
  const auto old = *gen_fixed(kKeySize);
  SecretKey src(key_of(raw));
  SecretKey dst(key_of(old));
  dst = std::move(src);
  RC_ASSERT(dst.valid());
  RC_ASSERT(to_hex(dst.bytes()) == to_hex(cb(raw)));
  RC_ASSERT(!src.valid());  // NOLINT(bugprone-use-after-move)
  RC_ASSERT(all_zero(src.bytes()));
}

TEST(SecretKey, DefaultGenerateAndSelfMove) {
  SecretKey none;
  EXPECT_FALSE(none.valid());
  EXPECT_TRUE(all_zero(none.bytes()));
  auto k = SecretKey::generate();
  ASSERT_TRUE(k.ok());
  EXPECT_TRUE(k->valid());
  EXPECT_FALSE(all_zero(k->bytes()));
  const std::string before = to_hex(k->bytes());
  SecretKey& alias = *k;
  *k = std::move(alias);
  EXPECT_TRUE(k->valid());
  EXPECT_EQ(to_hex(k->bytes()), before);
  // The pattern derive code uses: re-wrap a key's own bytes to mark it valid.
  SecretKey m;
  m.mutable_bytes()[0] = std::byte{7};
  m = SecretKey(m.bytes());
  EXPECT_TRUE(m.valid());
  EXPECT_EQ(m.bytes()[0], std::byte{7});
}

TEST(SecretBuffer, MoveTransfersAndEmptiesSource) {
  SecretBuffer a(100);
  EXPECT_EQ(a.size(), 100u);
  EXPECT_TRUE(all_zero(a.span()));
  a.data()[3] = std::byte{9};
  const std::byte* block = a.data();
  SecretBuffer b(std::move(a));
  EXPECT_EQ(b.size(), 100u);
  EXPECT_EQ(b.data(), block);  // ownership moved, no copy of the secret left behind
  EXPECT_EQ(a.size(), 0u);     // NOLINT(bugprone-use-after-move)
  SecretBuffer c(5);
  c = std::move(b);
  EXPECT_EQ(c.size(), 100u);
  EXPECT_EQ(c.data()[3], std::byte{9});
  EXPECT_EQ(b.size(), 0u);  // NOLINT(bugprone-use-after-move)
}

TEST(SecureWipe, ZeroesMemory) {
  Bytes v(50, 0xab);
  secure_wipe(mb(v));
  EXPECT_TRUE(all_zero(cb(v)));
  secure_wipe(nullptr, 0);
}

}  // namespace
}  // namespace hwlock::crypto
