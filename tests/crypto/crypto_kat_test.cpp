// Known-answer tests: the vectors are typed in from the published standards, so a passing run
// shows the wrappers drive OpenSSL exactly as the standards specify (byte order, counter
// convention, empty-salt handling), not merely that encrypt and decrypt agree with each other.
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "hwlock/crypto.hpp"

namespace hwlock::crypto {
namespace {

// Independent of from_hex so a bug there cannot mask a bug here.
std::vector<std::byte> unhex(std::string_view h) {
  auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  std::vector<std::byte> out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<std::byte>((v(h[i]) << 4) | v(h[i + 1])));
  return out;
}

std::vector<std::byte> text(std::string_view s) {
  const auto b = std::as_bytes(std::span(s));
  return {b.begin(), b.end()};
}

std::vector<std::byte> repeat(unsigned char value, std::size_t n) {
  return std::vector<std::byte>(n, std::byte{value});
}

std::vector<std::byte> range(unsigned first, unsigned last) {  // inclusive
  std::vector<std::byte> out;
  for (unsigned i = first; i <= last; ++i) out.push_back(static_cast<std::byte>(i));
  return out;
}

// ---- FIPS 180-2
// ----------------------------------------------------------------------------------

TEST(Sha256Kat, Abc) {
  std::array<std::byte, kSha256Size> out{};
  ASSERT_TRUE(sha256(text("abc"), out).ok());
  EXPECT_EQ(to_hex(out), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Kat, Empty) {
  std::array<std::byte, kSha256Size> out{};
  ASSERT_TRUE(sha256({}, out).ok());
  EXPECT_EQ(to_hex(out), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// ---- NIST SP 800-38A F.5.5 / F.5.6 -------------------------------------------------------------

constexpr std::string_view kCtrKey =
    "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
constexpr std::string_view kCtrIv = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
constexpr std::string_view kCtrPlain =
    "6bc1bee22e409f96e93d7e117393172a"
    "ae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52ef"
    "f69f2445df4f9b17ad2b417be66c3710";
constexpr std::string_view kCtrCipher =
    "601ec313775789a5b7a7f504bbf3d228"
    "f443e3ca4d62b59aca84e990cacaf5c5"
    "2b0930daa23de94ce87017ba2d84988d"
    "dfc9c58db67aada613c2dd08457941a6";

struct CtrFixture {
  std::vector<std::byte> key = unhex(kCtrKey), iv = unhex(kCtrIv);
  std::span<const std::byte, kKeySize> k() const {
    return std::span<const std::byte, kKeySize>(key);
  }
  std::span<const std::byte, kIvSize> i() const { return std::span<const std::byte, kIvSize>(iv); }
};

TEST(AesCtrKat, F55Encrypt) {
  CtrFixture f;
  const auto in = unhex(kCtrPlain);
  std::vector<std::byte> out(in.size());
  ASSERT_TRUE(aes256_ctr_xor(f.k(), f.i(), 0, in, out).ok());
  EXPECT_EQ(to_hex(out), kCtrCipher);
}

TEST(AesCtrKat, F56Decrypt) {
  CtrFixture f;
  const auto in = unhex(kCtrCipher);
  std::vector<std::byte> out(in.size());
  ASSERT_TRUE(aes256_ctr_xor(f.k(), f.i(), 0, in, out).ok());
  EXPECT_EQ(to_hex(out), kCtrPlain);
}

// Each block alone, at its offset, and an odd mid-block slice: the offset path must reproduce
// the standard's blocks too.
TEST(AesCtrKat, F55BlockByBlockAndMidBlock) {
  CtrFixture f;
  const auto in = unhex(kCtrPlain);
  const std::string want(kCtrCipher);
  for (std::size_t blk = 0; blk < 4; ++blk) {
    std::vector<std::byte> out(16);
    ASSERT_TRUE(
        aes256_ctr_xor(f.k(), f.i(), blk * 16, std::span(in).subspan(blk * 16, 16), out).ok());
    EXPECT_EQ(to_hex(out), want.substr(blk * 32, 32)) << "block " << blk;
  }
  std::vector<std::byte> out(37);
  ASSERT_TRUE(aes256_ctr_xor(f.k(), f.i(), 5, std::span(in).subspan(5, 37), out).ok());
  EXPECT_EQ(to_hex(out), want.substr(10, 74));
}

TEST(AesCtrKat, F55InPlaceAndParallel) {
  CtrFixture f;
  auto buf = unhex(kCtrPlain);
  ASSERT_TRUE(aes256_ctr_xor(f.k(), f.i(), 0, buf, buf).ok());
  EXPECT_EQ(to_hex(buf), kCtrCipher);
  const auto in = unhex(kCtrPlain);
  std::vector<std::byte> out(in.size());
  ASSERT_TRUE(aes256_ctr_xor_parallel(f.k(), f.i(), 0, in, out, 4).ok());
  EXPECT_EQ(to_hex(out), kCtrCipher);
}

// ---- RFC 5869 (SHA-256 cases) ------------------------------------------------------------------

TEST(HkdfKat, Rfc5869Case1) {
  std::vector<std::byte> okm(42);
  ASSERT_TRUE(hkdf_sha256(repeat(0x0b, 22), range(0x00, 0x0c), range(0xf0, 0xf9), okm).ok());
  EXPECT_EQ(to_hex(okm),
            "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
}

TEST(HkdfKat, Rfc5869Case2) {
  std::vector<std::byte> okm(82);
  ASSERT_TRUE(hkdf_sha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), okm).ok());
  EXPECT_EQ(to_hex(okm),
            "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
            "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
            "cc30c58179ec3e87c14c01d5c1f3434f1d87");
}

TEST(HkdfKat, Rfc5869Case3EmptySaltAndInfo) {
  std::vector<std::byte> okm(42);
  ASSERT_TRUE(hkdf_sha256(repeat(0x0b, 22), {}, {}, okm).ok());
  EXPECT_EQ(to_hex(okm),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

// Case 1's PRK is HMAC(salt, IKM); checks the extract step through the HMAC path independently.
TEST(HkdfKat, Rfc5869Case1Prk) {
  std::array<std::byte, kSha256Size> prk{};
  ASSERT_TRUE(hmac_sha256(range(0x00, 0x0c), repeat(0x0b, 22), prk).ok());
  EXPECT_EQ(to_hex(prk), "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5");
}

TEST(HkdfKat, OutputLengthLimits) {
  std::vector<std::byte> none;
  EXPECT_FALSE(hkdf_sha256(repeat(1, 32), {}, {}, none).ok());
  std::vector<std::byte> max(255 * 32);
  EXPECT_TRUE(hkdf_sha256(repeat(1, 32), {}, {}, max).ok());
  std::vector<std::byte> too_long(255 * 32 + 1);
  auto st = hkdf_sha256(repeat(1, 32), {}, {}, too_long);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("hkdf_sha256"), std::string::npos);
}

// ---- RFC 4231 ----------------------------------------------------------------------------------

struct HmacCase {
  const char* name;
  std::vector<std::byte> key, data;
  std::string_view tag;
};

std::vector<HmacCase> rfc4231_cases() {
  return {
      {"1", repeat(0x0b, 20), text("Hi There"),
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"2", text("Jefe"), text("what do ya want for nothing?"),
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"3", repeat(0xaa, 20), repeat(0xdd, 50),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {"4", range(0x01, 0x19), repeat(0xcd, 50),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      // Case 5 specifies only the first 128 bits of the tag.
      {"5", repeat(0x0c, 20), text("Test With Truncation"), "a3b6167473100ee06e0c796c2955552b"},
      {"6", repeat(0xaa, 131), text("Test Using Larger Than Block-Size Key - Hash Key First"),
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {"7", repeat(0xaa, 131),
       text("This is a test using a larger than block-size key and a larger than block-size "
            "data. The key needs to be hashed before being used by the HMAC algorithm."),
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
}

TEST(HmacKat, Rfc4231OneShot) {
  for (const auto& c : rfc4231_cases()) {
    std::array<std::byte, kSha256Size> tag{};
    ASSERT_TRUE(hmac_sha256(c.key, c.data, tag).ok()) << "case " << c.name;
    EXPECT_EQ(to_hex(tag).substr(0, c.tag.size()), c.tag) << "case " << c.name;
  }
}

TEST(HmacKat, Rfc4231Incremental) {
  for (const auto& c : rfc4231_cases()) {
    auto h = HmacSha256::create(c.key);
    ASSERT_TRUE(h.ok()) << "case " << c.name;
    const std::size_t half = c.data.size() / 2;
    ASSERT_TRUE(h->update(std::span(c.data).first(half)).ok());
    ASSERT_TRUE(h->update(std::span(c.data).subspan(half)).ok());
    std::array<std::byte, kSha256Size> tag{};
    ASSERT_TRUE(h->finish(tag).ok());
    EXPECT_EQ(to_hex(tag).substr(0, c.tag.size()), c.tag) << "case " << c.name;
  }
}

// An empty key is valid HMAC (zero-padded); OpenSSL 3.0 needs care to accept it.
TEST(HmacKat, EmptyKeyEmptyMessage) {
  std::array<std::byte, kSha256Size> tag{};
  ASSERT_TRUE(hmac_sha256({}, {}, tag).ok());
  EXPECT_EQ(to_hex(tag), "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST(HmacKat, MovedFromFailsCleanly) {
  auto h = HmacSha256::create(text("k"));
  ASSERT_TRUE(h.ok());
  HmacSha256 other = std::move(*h);
  std::array<std::byte, kSha256Size> tag{};
  EXPECT_FALSE(h->update(text("x")).ok());  // NOLINT(bugprone-use-after-move): the point
  EXPECT_FALSE(h->finish(tag).ok());
  EXPECT_TRUE(other.update(text("x")).ok());
  EXPECT_TRUE(other.finish(tag).ok());
}

}  // namespace
}  // namespace hwlock::crypto
