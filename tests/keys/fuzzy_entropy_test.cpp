// Min-entropy accounting (known answers), enrollment refusing a low residual, and the summary of
// repeated enrollment reads.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "hwlock/fuzzy.hpp"
#include "keys/fuzzy_test_util.hpp"

namespace hwlock::fuzzy {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(Entropy, KnownAnswers) {
  const CodeParams p{8, 1, 1, 1};  // N = 255, K = 247
  auto r = entropy_report(p, {}, {}).value();
  EXPECT_EQ(r.used_bits, 255u);
  EXPECT_DOUBLE_EQ(r.min_entropy_bits, 255.0);
  EXPECT_EQ(r.leak_bits, 8u);
  EXPECT_DOUBLE_EQ(r.residual_bits, 247.0);

  std::vector<double> bias(255);
  for (std::size_t i = 0; i < 255; ++i)
    bias[i] = i < 100 ? 0.5 : i < 150 ? 0.25 : i < 200 ? 0.75 : 1.0;
  r = entropy_report(p, bias, {}).value();
  const double h = 100.0 + 100.0 * std::log2(4.0 / 3.0);  // 141.5037...
  EXPECT_NEAR(r.min_entropy_bits, h, 1e-9);
  EXPECT_NEAR(r.residual_bits, h - 8.0, 1e-9);

  // Masking out the 55 constant bits: 200 used, leak max(0, 200 − 247) = 0.
  Bytes mask(32, 0xFF);
  for (std::size_t i = 200; i < 256; ++i)
    mask[i / 8] = static_cast<std::uint8_t>(mask[i / 8] & ~(1u << (i % 8)));
  r = entropy_report(p, bias, mask).value();
  EXPECT_EQ(r.used_bits, 200u);
  EXPECT_EQ(r.leak_bits, 0u);
  EXPECT_NEAR(r.residual_bits, h, 1e-9);

  // Default code, all bits biased 0.75: H∞ = 1785·0.415 = 740.8 < leak 1654 → residual 0.
  r = entropy_report(CodeParams{}, std::vector<double>(1785, 0.75), {}).value();
  EXPECT_NEAR(r.min_entropy_bits, 1785 * std::log2(4.0 / 3.0), 1e-6);
  EXPECT_EQ(r.residual_bits, 0.0);

  EXPECT_EQ(entropy_report(p, std::vector<double>(254, 0.5), {}).error().code,
            Errc::fuzzy_bad_params);
  bias[7] = 1.5;
  EXPECT_EQ(entropy_report(p, bias, {}).error().code, Errc::fuzzy_bad_params);
  bias[7] = NAN;
  EXPECT_EQ(entropy_report(p, bias, {}).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(entropy_report(p, {}, Bytes(31, 0xFF)).error().code, Errc::fuzzy_bad_params);
}

TEST(Entropy, EnrollmentRefusesLowResidual) {
  test::Rng rng(5);
  EnrollOptions o;  // default code: N = 1785, K = 131, leak 1654
  const std::size_t n = 1785;
  const Bytes w = test::random_packed(rng, n);
  const std::vector<double> slight(n, 0.505);  // H∞ = 1785·0.98564 = 1759.4 → residual 105.4
  o.ones_fraction = slight;
  const auto e = enroll(w, n, o);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::fuzzy_low_entropy);
  EXPECT_NE(e.error().message.find("residual min-entropy 105."), std::string::npos)
      << e.error().message;
  o.min_residual_bits = 100;
  const auto accepted = enroll(w, n, o);
  ASSERT_TRUE(accepted.ok());
  EXPECT_NEAR(accepted->entropy.residual_bits, 1785 * -std::log2(0.505) - 1654, 1e-6);
  o.min_residual_bits = NAN;
  EXPECT_EQ(enroll(w, n, o).error().code, Errc::fuzzy_bad_params);
}

TEST(ReadSummary, MajorityFractionsAndMask) {
  // 4 bits over 5 reads: always 1, four of five 1, three of five 1, always 0.
  const std::vector<Bytes> reads = {{0b0111}, {0b0111}, {0b0111}, {0b0011}, {0b0001}};
  std::vector<std::span<const std::uint8_t>> views(reads.begin(), reads.end());
  const ReadSummary s = summarize_reads(views, 4, 0.2).value();
  EXPECT_EQ(std::to_integer<unsigned>(s.reference.data()[0]), 0b0111u);
  EXPECT_EQ(s.ones_fraction, (std::vector<double>{1.0, 0.8, 0.6, 0.0}));
  EXPECT_EQ(s.mask, (Bytes{0b1011}));
  EXPECT_EQ(s.reliable_bits, 3u);
  EXPECT_EQ(summarize_reads({}, 4, 0.2).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(summarize_reads(views, 9, 0.2).error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(summarize_reads(views, 4, 0.6).error().code, Errc::fuzzy_bad_params);
}

}  // namespace
}  // namespace hwlock::fuzzy
