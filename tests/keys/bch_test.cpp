// BCH code: dimensions against the standard tables, generator known answers, exhaustive correction
// of small error weights, many random patterns up to t, and safe behaviour beyond t.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <utility>
#include <vector>

#include "hwlock/fuzzy.hpp"
#include "keys/fuzzy_test_util.hpp"

namespace hwlock::fuzzy {
namespace {

using Bits = std::vector<std::uint8_t>;

BchCode make(unsigned m, unsigned t) {
  auto c = BchCode::create(m, t);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return std::move(c).value();
}

Bits encode(const BchCode& code, const Bits& msg) {
  Bits cw(code.n());
  code.encode_ref(msg, cw);
  return cw;
}

bool is_codeword(const BchCode& code, Bits w) {
  const auto r = code.decode_ref(w);
  return r.has_value() && *r == 0;
}

// (k, t) of primitive narrow-sense binary BCH codes, from the standard table (Lin & Costello,
// "Error Control Coding", Appendix C; t is the BCH-bound capability of the code).
const std::map<unsigned, std::vector<std::pair<unsigned, unsigned>>> kTable = {
    {4, {{11, 1}, {7, 2}, {5, 3}}},
    {5, {{26, 1}, {21, 2}, {16, 3}, {11, 5}, {6, 7}}},
    {6,
     {{57, 1},
      {51, 2},
      {45, 3},
      {39, 4},
      {36, 5},
      {30, 6},
      {24, 7},
      {18, 10},
      {16, 11},
      {10, 13},
      {7, 15}}},
    {7,
     {{120, 1},
      {113, 2},
      {106, 3},
      {99, 4},
      {92, 5},
      {85, 6},
      {78, 7},
      {71, 9},
      {64, 10},
      {57, 11},
      {50, 13},
      {43, 14},
      {36, 15},
      {29, 21},
      {22, 23},
      {15, 27},
      {8, 31}}},
    {8, {{247, 1},  {239, 2},  {231, 3},  {223, 4},  {215, 5},  {207, 6},  {199, 7},
         {191, 8},  {187, 9},  {179, 10}, {171, 11}, {163, 12}, {155, 13}, {147, 14},
         {139, 15}, {131, 18}, {123, 19}, {115, 21}, {107, 22}, {99, 23},  {91, 25},
         {87, 26},  {79, 27},  {71, 29},  {63, 30},  {55, 31},  {47, 42},  {45, 43},
         {37, 45},  {29, 47},  {21, 55},  {13, 59},  {9, 63}}},
};

TEST(Bch, DimensionsMatchStandardTables) {
  for (const auto& [m, rows] : kTable) {
    for (const auto& [k, t] : rows) {
      auto d = bch_dimensions(m, t);
      ASSERT_TRUE(d.ok()) << m << " " << t;
      EXPECT_EQ(d->n, (1u << m) - 1);
      EXPECT_EQ(d->k, k) << "m=" << m << " t=" << t;
      EXPECT_EQ(d->t, t) << "m=" << m << " t=" << t;
    }
  }
  // Named in the brief: BCH(255,131,18), BCH(255,139,15), BCH(255,123,19).
  const BchCode a = make(8, 18), b = make(8, 15), c = make(8, 19);
  EXPECT_EQ(a.k(), 131u);
  EXPECT_EQ(b.k(), 139u);
  EXPECT_EQ(c.k(), 123u);
}

TEST(Bch, DesignedTBelowTheBchBoundBuildsTheLargerCode) {
  // Roots α^1..α^32 already force α^33..α^36 (cosets of 9 and 25): t = 16 builds (255,131,18).
  for (unsigned t : {16u, 17u, 18u}) {
    const BchCode code = make(8, t);
    EXPECT_EQ(code.k(), 131u);
    EXPECT_EQ(code.t(), 18u);
    EXPECT_EQ(code.designed_t(), t);
  }
}

TEST(Bch, GeneratorKnownAnswers) {
  // Appendix tables (primitive polynomials x^3+x+1, x^4+x+1), coefficients g_0 .. g_{n-k}.
  EXPECT_EQ(make(3, 1).generator(), (Bits{1, 1, 0, 1}));                       // x^3+x+1
  EXPECT_EQ(make(4, 2).generator(), (Bits{1, 0, 0, 0, 1, 0, 1, 1, 1}));        // (15,7)
  EXPECT_EQ(make(4, 3).generator(), (Bits{1, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1}));  // (15,5)
}

TEST(Bch, RejectsBadParameters) {
  EXPECT_EQ(BchCode::create(2, 1).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(BchCode::create(16, 1).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(BchCode::create(8, 0).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(BchCode::create(8, 128).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(BchCode::create(4, 8).error().code, Errc::fuzzy_bad_params);  // t > (n − 1) / 2
  EXPECT_EQ(make(4, 7).k(), 1u);              // t = (n − 1) / 2: the repetition code (15,1)
  EXPECT_TRUE(BchCode::create(8, 127).ok());  // (255,1): repetition
  EXPECT_EQ(make(8, 127).k(), 1u);
}

TEST(Bch, EncodingIsSystematicLinearAndCyclic) {
  test::Rng rng(1);
  for (unsigned m : {3u, 5u, 8u, 10u}) {
    for (unsigned t : {1u, 2u, 5u}) {
      if (t > ((1u << m) - 2) / 2 || !bch_dimensions(m, t).ok()) continue;
      const BchCode code = make(m, t);
      const unsigned n = code.n(), k = code.k();
      const Bits a = test::random_bits(rng, k), b = test::random_bits(rng, k);
      const Bits ca = encode(code, a), cb = encode(code, b);
      EXPECT_TRUE(std::equal(a.begin(), a.end(), ca.begin() + (n - k)));
      EXPECT_TRUE(is_codeword(code, ca));
      Bits sum(n), rot(n);
      for (unsigned i = 0; i < n; ++i) sum[i] = ca[i] ^ cb[i];
      for (unsigned i = 0; i < n; ++i) rot[(i + 1) % n] = ca[i];
      EXPECT_TRUE(is_codeword(code, sum)) << "m=" << m << " t=" << t;
      EXPECT_TRUE(is_codeword(code, rot)) << "m=" << m << " t=" << t;
      Bits msg(k, 0), cw(n, 0);
      EXPECT_EQ(encode(code, msg), cw);  // zero message → zero codeword
    }
  }
}

// Every error pattern of weight ≤ w on a random codeword is corrected.
void exhaustive(unsigned m, unsigned t, unsigned max_weight, std::uint64_t seed) {
  const BchCode code = make(m, t);
  test::Rng rng(seed);
  const Bits cw = encode(code, test::random_bits(rng, code.k()));
  const unsigned n = code.n();
  std::size_t patterns = 0;
  auto check = [&](std::initializer_list<unsigned> pos) {
    Bits w = cw;
    for (unsigned p : pos) w[p] ^= 1;
    const auto r = code.decode_ref(w);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(*r, pos.size());
    ASSERT_EQ(w, cw);
    ++patterns;
  };
  check({});
  for (unsigned a = 0; a < n; ++a) {
    check({a});
    if (max_weight < 2) continue;
    for (unsigned b = a + 1; b < n; ++b) {
      check({a, b});
      if (max_weight < 3) continue;
      for (unsigned c = b + 1; c < n; ++c) check({a, b, c});
    }
  }
  EXPECT_GT(patterns, std::size_t{n});
}

TEST(Bch, ExhaustiveSmallWeights) {
  exhaustive(5, 3, 3, 11);  // (31,16,3): all 4,992 + 465 + 31 + 1 patterns
  exhaustive(6, 3, 3, 12);  // (63,45,3): 41,664 weight-3 patterns
  exhaustive(8, 2, 2, 13);  // (255,239,2): 32,385 weight-2 patterns
  exhaustive(8, 18, 2, 14);
}

TEST(Bch, RandomPatternsUpToTAreCorrected) {
  test::Rng rng(2024);
  for (unsigned t = 1; t <= 30; ++t) {
    const BchCode code = make(8, t);
    for (int trial = 0; trial < 200; ++trial) {
      const Bits cw = encode(code, test::random_bits(rng, code.k()));
      const std::size_t weight = trial < 100 ? code.t() : rng.below(code.t() + 1);
      Bits w = cw;
      for (auto p : test::random_positions(rng, code.n(), weight)) w[p] ^= 1;
      const auto r = code.decode_ref(w);
      ASSERT_TRUE(r.has_value()) << "t=" << t << " weight=" << weight;
      ASSERT_EQ(*r, weight);
      ASSERT_EQ(w, cw) << "t=" << t;
    }
  }
}

TEST(Bch, BeyondTFailsOrGivesAnotherCodeword) {
  test::Rng rng(77);
  std::size_t failures = 0, miscorrections = 0;
  for (unsigned t : {1u, 2u, 5u, 14u, 18u, 30u}) {
    const BchCode code = make(8, t);
    for (int trial = 0; trial < 300; ++trial) {
      const Bits cw = encode(code, test::random_bits(rng, code.k()));
      const std::size_t weight = code.t() + 1 + rng.below(3 * code.t() + 10);
      Bits w = cw;
      for (auto p : test::random_positions(rng, code.n(), std::min<std::size_t>(weight, 255)))
        w[p] ^= 1;
      const Bits received = w;
      const auto r = code.decode_ref(w);
      if (!r) {
        ++failures;
        ASSERT_EQ(w, received);  // untouched on failure
      } else {
        ++miscorrections;
        ASSERT_LE(*r, code.t());
        ASSERT_NE(w, cw);
        ASSERT_TRUE(is_codeword(code, w));
      }
    }
  }
  EXPECT_GT(failures, miscorrections);  // small t miscorrects often; large t almost never
}

TEST(Bch, AllOnesAndAllZerosWords) {
  for (unsigned t : {1u, 3u, 18u}) {
    const BchCode code = make(8, t);
    Bits ones(code.n(), 1), zeros(code.n(), 0);
    EXPECT_EQ(code.decode_ref(zeros), std::optional<unsigned>(0));
    // x^n − 1 = (x − 1)·(...) and the all-ones word is a codeword iff 1 is not a root: narrow
    // sense excludes α^0, so all-ones is always a codeword of a narrow-sense primitive BCH code.
    EXPECT_EQ(code.decode_ref(ones), std::optional<unsigned>(0));
  }
}

RC_GTEST_PROP(BchProperty, CorrectsUpToTForAnyFieldSize, ()) {
  const auto m = *rc::gen::inRange(3u, 11u);
  const unsigned n = (1u << m) - 1;
  const auto t = *rc::gen::inRange(1u, (n - 1) / 2 + 1);
  const auto dims = bch_dimensions(m, t);
  RC_PRE(dims.ok());
  const BchCode code = BchCode::create(m, t).value();
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  test::Rng rng(seed);
  const Bits cw = [&] {
    Bits c(code.n());
    code.encode_ref(test::random_bits(rng, code.k()), c);
    return c;
  }();
  const auto weight = *rc::gen::inRange(0u, code.t() + 1);
  Bits w = cw;
  for (auto p : test::random_positions(rng, n, weight)) w[p] ^= 1;
  const auto r = code.decode_ref(w);
  RC_ASSERT(r.has_value());
  RC_ASSERT(*r == weight);
  RC_ASSERT(w == cw);
}

}  // namespace
}  // namespace hwlock::fuzzy
