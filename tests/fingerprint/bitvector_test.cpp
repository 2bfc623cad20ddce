// BitVector packing, Hamming distances, Gray codes and the pinned non-cryptographic hash.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdlib>
#include <vector>

#include "hwlock/fingerprint.hpp"

namespace {

using namespace hwlock::fingerprint;

// A fixed seed unless RC_PARAMS is already set: reproducible runs, explorable on demand.
const bool kSeeded = [] { return setenv("RC_PARAMS", "seed=20240612", 0) == 0; }();

TEST(BitVector, PacksLsbFirst) {
  BitVector v;
  v.append_bits(0b1011, 4);
  v.push_back(true);
  v.append_bits(0, 3);
  v.append_bits(0x3, 2);
  ASSERT_EQ(v.size(), 10u);
  EXPECT_EQ(v.bytes(), (std::vector<std::uint8_t>{0x1b, 0x03}));
  EXPECT_EQ(v.to_hex(), "1b03");
  EXPECT_EQ(v.get_bits(0, 4), 0b1011u);
  EXPECT_EQ(v.get_bits(8, 2), 0x3u);
  EXPECT_EQ(v.popcount(), 6u);
  v.set(0, false);
  EXPECT_EQ(v.bytes()[0], 0x1a);
}

TEST(BitVector, FromBytesClearsTrailingBits) {
  const std::uint8_t raw[] = {0xff, 0xff};
  const BitVector v = BitVector::from_bytes(raw, 11);
  EXPECT_EQ(v.bytes(), (std::vector<std::uint8_t>{0xff, 0x07}));
  BitVector w(11);
  for (std::size_t i = 0; i < 11; ++i) w.set(i, true);
  EXPECT_EQ(v, w);  // equality is size + bytes, so trailing bits must be canonical
}

// The wiping copy/move/growth paths (raw responses never survive in a released block) keep the
// value semantics: contents survive growth, moves leave the source empty, copies are equal.
TEST(BitVector, WipingCopyMoveAndGrowthKeepValues) {
  BitVector v;
  for (std::size_t i = 0; i < 1000; ++i) v.push_back(i % 3 == 0);  // many reallocations
  BitVector tail;
  tail.append_bits(0xabcdef, 24);
  v.append(tail);  // byte-aligned append (1000 bits = 125 bytes)
  ASSERT_EQ(v.size(), 1024u);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(v.get(i), i % 3 == 0) << i;
  EXPECT_EQ(v.get_bits(1000, 24), 0xabcdefu);
  BitVector copy(v);
  EXPECT_EQ(copy, v);
  BitVector small(3);
  small = v;  // copy-assign over a smaller vector
  EXPECT_EQ(small, v);
  v = tail;  // copy-assign over a larger one
  EXPECT_EQ(v, tail);
  BitVector moved(std::move(copy));
  EXPECT_EQ(moved, small);
  EXPECT_EQ(copy.size(), 0u);  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_TRUE(copy.bytes().empty());
  small = std::move(moved);
  EXPECT_EQ(small.size(), 1024u);
  EXPECT_TRUE(moved.bytes().empty());  // NOLINT(bugprone-use-after-move)
}

TEST(BitVector, HammingDistance) {
  BitVector a(100), b(100);
  EXPECT_EQ(hamming_distance(a, b), 0u);
  b.set(3, true);
  b.set(99, true);
  EXPECT_EQ(hamming_distance(a, b), 2u);
  EXPECT_DOUBLE_EQ(fractional_hamming_distance(a, b), 0.02);
  EXPECT_EQ(fractional_hamming_distance(BitVector{}, BitVector{}), 0.0);
}

// Pins hash64_fnv1a_v1 (values from an independent Python implementation).
TEST(Hash64, KnownAnswers) {
  const std::uint8_t a[] = {'a'};
  const std::uint8_t hw[] = {'h', 'w', 'l', 'o', 'c', 'k'};
  EXPECT_EQ(hash64({}), 0xf52a15e9a9b5e89bULL);
  EXPECT_EQ(hash64(a), 0x02c0bdbf481420f8ULL);
  EXPECT_EQ(hash64(hw), 0x474567be81fa3e55ULL);
}

TEST(Measurement, HashCoversSizeAndFieldLookup) {
  Measurement m;
  m.bits = BitVector(8);
  m.fields = {{"x", 0, 8}};
  Measurement n = m;
  n.bits = BitVector(9);
  EXPECT_NE(m.hash(), n.hash());  // same bytes, different length
  ASSERT_NE(m.field("x"), nullptr);
  EXPECT_EQ(m.field("x")->width, 8u);
  EXPECT_EQ(m.field("y"), nullptr);
}

RC_GTEST_PROP(BitVectorProperty, AppendRoundTrips, (std::vector<std::uint64_t> words)) {
  BitVector v;
  std::vector<unsigned> widths;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const unsigned w = static_cast<unsigned>(words[i] % 65);
    widths.push_back(w);
    v.append_bits(words[i], w);
  }
  std::size_t off = 0;
  for (std::size_t i = 0; i < words.size(); ++i) {
    const unsigned w = widths[i];
    const std::uint64_t mask = w == 64 ? ~0ULL : (1ULL << w) - 1;
    RC_ASSERT(v.get_bits(off, w) == (words[i] & mask));
    off += w;
  }
  RC_ASSERT(v.size() == off);
  BitVector joined;
  joined.append_bits(1, 3);
  joined.append(v);
  RC_ASSERT(joined.size() == off + 3);
  for (std::size_t i = 0; i < v.size(); ++i) RC_ASSERT(joined.get(i + 3) == v.get(i));
}

RC_GTEST_PROP(BitVectorProperty, HammingIsAMetric,
              (std::uint64_t x, std::uint64_t y, std::uint64_t z)) {
  BitVector a, b, c;
  a.append_bits(x, 61);
  b.append_bits(y, 61);
  c.append_bits(z, 61);
  RC_ASSERT(hamming_distance(a, b) == hamming_distance(b, a));
  RC_ASSERT(hamming_distance(a, c) <= hamming_distance(a, b) + hamming_distance(b, c));
  RC_ASSERT((hamming_distance(a, b) == 0) == (a == b));
}

RC_GTEST_PROP(GrayCode, AdjacentCodesDifferInOneBitAndDecode, (std::uint64_t v)) {
  RC_ASSERT(gray_decode(gray_encode(v)) == v);
  if (v != ~0ULL) RC_ASSERT(__builtin_popcountll(gray_encode(v) ^ gray_encode(v + 1)) == 1);
}

}  // namespace
