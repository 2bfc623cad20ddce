// Helper-data records: every single-bit flip, truncation, extension, changed parameters and
// non-canonical encodings are rejected; none yields a key.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "hwlock/fuzzy.hpp"
#include "keys/fuzzy_test_util.hpp"

namespace hwlock::fuzzy {
namespace {

using Bytes = std::vector<std::uint8_t>;

Enrollment enroll_ok(const Bytes& w, std::size_t nbits, const EnrollOptions& o) {
  auto e = enroll(w, nbits, o);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return std::move(e).value();
}

void expect_rejected(const Bytes& w, std::size_t n, const std::vector<std::byte>& record,
                     const std::string& what) {
  const auto k = reproduce(w, n, record, "ctx");
  ASSERT_FALSE(k.ok()) << what;
  const Errc c = k.error().code;
  ASSERT_TRUE(c == Errc::fuzzy_helper_invalid || c == Errc::fuzzy_helper_tampered ||
              c == Errc::fuzzy_decode_failed)
      << what << ": " << errc_name(c);
}

TEST(FuzzyExtractor, TamperedHelperDataIsRejected) {
  test::Rng rng(3);
  EnrollOptions o;
  o.context = "ctx";
  const std::size_t n = response_bits(o.params).value();
  const Bytes w = test::random_packed(rng, n);
  const Enrollment e = enroll_ok(w, n, o);
  const std::vector<std::byte> record = e.helper.serialize();
  ASSERT_EQ(record.size(), 48u + (n + 7) / 8 + 32u);
  ASSERT_TRUE(reproduce(w, n, record, "ctx").ok());

  // Every single-bit flip. Flips in the salt, the offset and the tag must be caught by the tag.
  for (std::size_t bit = 0; bit < record.size() * 8; ++bit) {
    auto bad = record;
    bad[bit / 8] ^= std::byte{static_cast<std::uint8_t>(1u << (bit % 8))};
    const auto k = reproduce(w, n, bad, "ctx");
    ASSERT_FALSE(k.ok()) << "bit " << bit;
    const std::size_t byte = bit / 8;
    const bool in_offset = byte >= 48 && byte < record.size() - 32 && bit - 48 * 8 < n;
    if (byte >= 16 && (in_offset || byte < 48 || byte >= record.size() - 32))
      EXPECT_EQ(k.error().code, Errc::fuzzy_helper_tampered) << "bit " << bit;
    else
      expect_rejected(w, n, bad, "bit " + std::to_string(bit));
  }
  // Truncation at every length, and extension.
  for (std::size_t len = 0; len < record.size(); ++len) {
    const std::vector<std::byte> cut(record.begin(), record.begin() + static_cast<long>(len));
    EXPECT_EQ(reproduce(w, n, cut, "ctx").error().code, Errc::fuzzy_helper_invalid) << len;
  }
  auto longer = record;
  longer.push_back(std::byte{0});
  EXPECT_EQ(reproduce(w, n, longer, "ctx").error().code, Errc::fuzzy_helper_invalid);

  // Changed parameters with a consistent length: t = 16 names the same (255,131) code, so only the
  // tag can tell; other changes break the length or the decoding.
  HelperData h = e.helper;
  h.params.bch_t = 16;
  EXPECT_EQ(reproduce(w, n, h.serialize(), "ctx").error().code, Errc::fuzzy_helper_tampered);
  h = e.helper;
  h.params.bch_t = 19;  // (255,123): same length, another code
  expect_rejected(w, n, h.serialize(), "t 19");
  h = e.helper;
  h.params.repetition = 5;
  EXPECT_EQ(reproduce(w, n, h, "ctx").error().code, Errc::fuzzy_helper_invalid);
  h = e.helper;
  h.params.repetition = 6;
  EXPECT_EQ(reproduce(w, n, h, "ctx").error().code, Errc::fuzzy_helper_invalid);
  // In-memory helper: a flipped offset bit is still an authentication failure.
  h = e.helper;
  h.offset[3] ^= 0x10;
  EXPECT_EQ(reproduce(w, n, h, "ctx").error().code, Errc::fuzzy_helper_tampered);
  // Padding bits must be zero (N = 1785 leaves 7 padding bits).
  h = e.helper;
  h.offset.back() = static_cast<std::uint8_t>(h.offset.back() | 0x80);
  EXPECT_EQ(reproduce(w, n, h, "ctx").error().code, Errc::fuzzy_helper_invalid);
}

TEST(FuzzyExtractor, TamperedMaskedHelperDataIsRejected) {
  test::Rng rng(4);
  EnrollOptions o;
  o.params = {7, 9, 3, 2};  // N = 762, K = 142
  o.context = "ctx";
  const std::size_t n = response_bits(o.params).value();
  Bytes mask((n + 7) / 8, 0xFF);
  for (int i = 0; i < 40; ++i) {
    const std::size_t b = rng.below(n);
    mask[b / 8] = static_cast<std::uint8_t>(mask[b / 8] & ~(1u << (b % 8)));
  }
  o.mask = mask;
  const Bytes w = test::random_packed(rng, n);
  const Enrollment e = enroll_ok(w, n, o);
  ASSERT_FALSE(e.helper.mask.empty());
  EXPECT_LT(e.entropy.used_bits, n);
  const auto record = e.helper.serialize();
  ASSERT_TRUE(reproduce(w, n, record, "ctx").ok());
  for (std::size_t bit = 0; bit < record.size() * 8; ++bit) {
    auto bad = record;
    bad[bit / 8] ^= std::byte{static_cast<std::uint8_t>(1u << (bit % 8))};
    expect_rejected(w, n, bad, "masked record bit " + std::to_string(bit));
  }
  // Dropping the mask (flag cleared, record shortened) is rejected too.
  HelperData h = e.helper;
  h.mask.clear();
  expect_rejected(w, n, h.serialize(), "mask dropped");
}

}  // namespace
}  // namespace hwlock::fuzzy
