// Concatenated code (repetition + BCH), analytic failure model, parameter selection, and the
// measured block error rate against the analytic one.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <vector>

#include "hwlock/fuzzy.hpp"
#include "keys/fuzzy_test_util.hpp"

namespace hwlock::fuzzy {
namespace {

using Bits = std::vector<std::uint8_t>;

ConcatenatedCode make(const CodeParams& p) {
  auto c = ConcatenatedCode::create(p);
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
  return std::move(c).value();
}

TEST(ConcatenatedCode, SizesAndValidation) {
  const ConcatenatedCode c = make({8, 18, 5, 3});
  EXPECT_EQ(c.length(), 255u * 5 * 3);
  EXPECT_EQ(c.message_bits(), 131u * 3);
  EXPECT_EQ(ConcatenatedCode::create({8, 18, 4, 1}).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(ConcatenatedCode::create({8, 18, 0, 1}).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(ConcatenatedCode::create({8, 18, 257, 1}).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(ConcatenatedCode::create({8, 18, 1, 0}).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(ConcatenatedCode::create({8, 18, 1, kMaxBlocks + 1}).error().code,
            Errc::fuzzy_bad_params);
  EXPECT_EQ(ConcatenatedCode::create({15, 1, 255, 1024}).error().code,
            Errc::fuzzy_bad_params);  // N above the cap
  EXPECT_EQ(response_bits({8, 14, 7, 1}).value(), 1785u);
}

TEST(ConcatenatedCode, LayoutInterleavesCopies) {
  // Every copy of codeword bit (b, j) sits at q·(blocks·n) + b·n + j.
  const ConcatenatedCode c = make({5, 2, 3, 2});
  test::Rng rng(5);
  const Bits msg = test::random_bits(rng, c.message_bits());
  Bits cw(c.length());
  c.encode(msg, cw);
  const std::size_t n = 31, stride = 62;
  for (std::size_t q = 1; q < 3; ++q)
    for (std::size_t i = 0; i < stride; ++i) ASSERT_EQ(cw[q * stride + i], cw[i]);
  for (std::size_t b = 0; b < 2; ++b)  // systematic: message of block b at its high positions
    for (std::size_t i = 0; i < 21; ++i) ASSERT_EQ(cw[b * n + 10 + i], msg[b * 21 + i]);
}

TEST(ConcatenatedCode, MajorityAndMask) {
  const ConcatenatedCode c = make({5, 1, 5, 1});  // (31,26,1), r = 5
  test::Rng rng(6);
  const Bits msg = test::random_bits(rng, c.message_bits());
  Bits cw(c.length());
  c.encode(msg, cw);
  // Flip 2 of 5 copies of every bit: majority still right, no BCH correction needed.
  Bits w = cw;
  for (std::size_t i = 0; i < 31; ++i) {
    w[0 * 31 + i] ^= 1;
    w[3 * 31 + i] ^= 1;
  }
  Bits out(c.message_bits());
  auto r = c.decode(w, {}, out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.corrected_bits, 0u);
  EXPECT_EQ(out, msg);
  // Flip 3 of 5 copies of every bit: wrong everywhere without a mask ...
  for (std::size_t i = 0; i < 31; ++i) w[4 * 31 + i] ^= 1;
  EXPECT_FALSE(c.decode(w, {}, out).ok() && out == msg);
  // ... right again when the mask excludes the three flipped copies.
  Bits mask(c.length(), 1);
  for (std::size_t i = 0; i < 31; ++i) mask[0 * 31 + i] = mask[3 * 31 + i] = mask[4 * 31 + i] = 0;
  r = c.decode(w, mask, out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out, msg);
  // Everything masked: every group reads 0, the all-zero codeword.
  const Bits none(c.length(), 0);
  r = c.decode(w, none, out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out, Bits(c.message_bits(), 0));
}

TEST(FailureModel, BinomialTailKnownAnswers) {
  EXPECT_EQ(binomial_tail_above(10, 10, 0.3L), 0.0L);
  EXPECT_EQ(binomial_tail_above(10, 3, 0.0L), 0.0L);
  EXPECT_EQ(binomial_tail_above(10, 3, 1.0L), 1.0L);
  EXPECT_NEAR(static_cast<double>(binomial_tail_above(1, 0, 0.15L)), 0.15, 1e-15);
  // P(Bin(3, p) ≥ 2) = 3p²(1−p) + p³.
  const double p = 0.1;
  EXPECT_NEAR(static_cast<double>(binomial_tail_above(3, 1, p)), 3 * p * p * (1 - p) + p * p * p,
              1e-16);
  // Tails against 40-digit sums (mpmath): relative error ≤ 1e-12 down to 1e-13.
  auto rel = [](long double got, double want) { return static_cast<double>(got) / want - 1.0; };
  EXPECT_NEAR(rel(binomial_tail_above(255, 12, 0.01L), 2.406769576899665883e-6), 0, 1e-12);
  EXPECT_NEAR(rel(binomial_tail_above(255, 20, 0.01L), 3.083622096690741379e-13), 0, 1e-12);
  EXPECT_NEAR(rel(binomial_tail_above(511, 55, 0.05L), 5.010022888461074787e-8), 0, 1e-12);
}

TEST(FailureModel, AnalyzeFailure) {
  const auto f = analyze_failure({8, 14, 7, 1}, 0.15).value();
  EXPECT_NEAR(f.inner_bit_error, 0.012103171875, 1e-15);  // P(Bin(7, 0.15) ≥ 4), exact
  // Known answers (mpmath, 40 digits) for the three documented selections.
  EXPECT_NEAR(analyze_failure({8, 18, 7, 1}, 0.15).value().key_failure / 5.430519612388739e-10, 1.0,
              1e-9);
  EXPECT_NEAR(analyze_failure({8, 18, 15, 1}, 0.25).value().key_failure / 1.494359402350501e-7, 1.0,
              1e-9);
  EXPECT_NEAR(analyze_failure({9, 55, 1, 1}, 0.05).value().key_failure / 5.010022888461075e-8, 1.0,
              1e-9);
  EXPECT_NEAR(f.key_failure, f.block_failure, 1e-12);
  const auto f3 = analyze_failure({8, 14, 7, 3}, 0.15).value();
  EXPECT_NEAR(f3.key_failure / f.key_failure, 3.0, 1e-5);
  EXPECT_EQ(analyze_failure({8, 14, 7, 1}, 0.6).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(analyze_failure({8, 14, 7, 1}, NAN).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(analyze_failure({8, 14, 7, 1}, 0.0).value().key_failure, 0.0);
}

// The documented choices (fuzzy.hpp and the report): fewest response bits, then lowest failure.
TEST(ParameterSelection, DocumentedDefaults) {
  struct Case {
    double ber;
    CodeParams expected;
  };
  for (const Case& c :
       {Case{0.05, {9, 55, 1, 1}}, Case{0.15, {8, 18, 7, 1}}, Case{0.25, {8, 18, 15, 1}}}) {
    SelectionOptions o;
    o.ber = c.ber;
    const auto s = select_params(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->params, c.expected)
        << "ber " << c.ber << ": m=" << s->params.bch_m << " t=" << s->params.bch_t
        << " r=" << s->params.repetition << " blocks=" << s->params.blocks;
    EXPECT_LE(s->failure.key_failure, 1e-6);
    EXPECT_GE(s->secret_bits, 128u);
    EXPECT_EQ(s->response_bits, response_bits(s->params).value());
  }
  EXPECT_EQ(CodeParams{}, (CodeParams{8, 18, 7, 1}));
}

TEST(ParameterSelection, RejectsImpossibleTargets) {
  SelectionOptions o;
  o.ber = 0.45;
  o.max_failure = 1e-9;
  o.max_repetition = 3;
  EXPECT_EQ(select_params(o).error().code, Errc::fuzzy_bad_params);
  o = {};
  o.ber = 0.5;
  EXPECT_EQ(select_params(o).error().code, Errc::fuzzy_bad_params);
  o = {};
  o.min_m = 2;
  EXPECT_EQ(select_params(o).error().code, Errc::fuzzy_bad_params);
}

// At a noise level where the 15 % parameters fail often, the measured rates of the inner code and
// of the BCH blocks agree with the binomial model within 5 standard deviations.
TEST(FailureModel, MeasuredBlockErrorRateMatchesAnalytic) {
  const CodeParams params{8, 18, 7, 4};
  const double ber = 0.24;
  const ConcatenatedCode code = make(params);
  const auto model = analyze_failure(params, ber).value();
  ASSERT_GT(model.block_failure, 0.05);
  ASSERT_LT(model.block_failure, 0.95);
  test::Rng rng(31337);
  const int trials = 1500;
  std::size_t blocks = 0, failed = 0, inner_errors = 0, inner_bits = 0;
  const Bits msg(code.message_bits(), 0);  // linear code: the zero codeword is as good as any
  Bits word(code.length()), out(code.message_bits());
  for (int trial = 0; trial < trials; ++trial) {
    for (auto& b : word) b = rng.bernoulli(ber) ? 1 : 0;
    // Inner error rate: majority of each group (no mask).
    const std::size_t groups = code.length() / params.repetition;
    for (std::size_t g = 0; g < groups; ++g) {
      unsigned ones = 0;
      for (std::size_t q = 0; q < params.repetition; ++q) ones += word[q * groups + g];
      inner_errors += 2 * ones > params.repetition ? 1 : 0;
    }
    inner_bits += groups;
    const DecodeOutcome r = code.decode(word, {}, out);
    failed += r.failed_blocks;
    blocks += params.blocks;
  }
  auto within = [](double measured, double expected, std::size_t count) {
    const double sigma = std::sqrt(expected * (1 - expected) / static_cast<double>(count));
    return std::abs(measured - expected) <= 5 * sigma;
  };
  const double inner = static_cast<double>(inner_errors) / static_cast<double>(inner_bits);
  const double block = static_cast<double>(failed) / static_cast<double>(blocks);
  EXPECT_TRUE(within(inner, model.inner_bit_error, inner_bits))
      << inner << " vs " << model.inner_bit_error;
  EXPECT_TRUE(within(block, model.block_failure, blocks)) << block << " vs " << model.block_failure;
  std::printf(
      "[ measured ] ber %.2f, r=%u, BCH(255,131,18): inner %.5f (model %.5f), "
      "block failure %.4f (model %.4f) over %zu blocks\n",
      ber, params.repetition, inner, model.inner_bit_error, block, model.block_failure, blocks);
}

RC_GTEST_PROP(ConcatenatedCodeProperty, RoundTripWithinCapability, ()) {
  const auto m = *rc::gen::inRange(4u, 9u);
  const auto t = *rc::gen::inRange(1u, 6u);
  const auto r = 2 * *rc::gen::inRange(0u, 4u) + 1;
  const auto blocks = *rc::gen::inRange(1u, 4u);
  auto created = ConcatenatedCode::create({m, t, r, blocks});
  RC_PRE(created.ok());
  const ConcatenatedCode& code = *created;
  test::Rng rng(*rc::gen::arbitrary<std::uint64_t>());
  const Bits msg = test::random_bits(rng, code.message_bits());
  Bits cw(code.length());
  code.encode(msg, cw);
  // Corrupt t whole groups per block (all r copies): the BCH stage must absorb them.
  const std::size_t n = code.bch().n(), stride = n * blocks;
  for (unsigned b = 0; b < blocks; ++b)
    for (auto j : test::random_positions(rng, n, code.bch().t()))
      for (unsigned q = 0; q < r; ++q) cw[q * stride + b * n + j] ^= 1;
  Bits out(code.message_bits());
  const auto res = code.decode(cw, {}, out);
  RC_ASSERT(res.ok());
  RC_ASSERT(out == msg);
}

}  // namespace
}  // namespace hwlock::fuzzy
