// The timing source: layout, parameter handling, quantisation, and bit stability judged per bit
// over repeated measurements in this run (no wall-time assertions).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <vector>

#include "fingerprint/timing.hpp"
#include "hwlock/fingerprint.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::fingerprint;

Measurement measure_timing(const TimingParams& p = {}) {
  auto src = make_timing_source(p);
  EXPECT_TRUE(src.ok());
  auto m = (*src)->measure();
  EXPECT_TRUE(m.ok()) << m.error().message;
  return std::move(m).value();
}

TEST(Timing, LayoutAndRawRatios) {
  const Measurement m = measure_timing();
  const auto names = timing_ratio_names();
  ASSERT_EQ(m.fields.size(), names.size());
  ASSERT_EQ(m.raw.size(), names.size());
  EXPECT_EQ(m.bits.size(), names.size() * TimingParams{}.bits_per_ratio);
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(m.fields[i].name, "timing." + std::string(names[i]));
    EXPECT_EQ(m.fields[i].offset, i * TimingParams{}.bits_per_ratio);
    EXPECT_TRUE(std::isfinite(m.raw[i]) && m.raw[i] > 0) << names[i];
    // The bits are the Gray-coded bin of the raw ratio.
    const auto w = static_cast<unsigned>(m.fields[i].width);
    EXPECT_EQ(gray_decode(m.bits.get_bits(m.fields[i].offset, w)),
              detail::timing_bin(m.raw[i], 4, 6, 0.0));
  }
  EXPECT_TRUE(m.platform.empty());
}

// Per-bit stability: over 7 measurements, each bit's agreement with its majority value. Bits of
// ratios that sit near a bin edge flip; enrollment will find them, so only most bits must hold.
TEST(Timing, BitsReproduceInMostTrials) {
  constexpr int kTrials = 7;
  std::vector<BitVector> runs;
  for (int i = 0; i < kTrials; ++i) runs.push_back(measure_timing().bits);
  const std::size_t n = runs[0].size();
  double agreement = 0;
  BitVector majority(n);
  for (std::size_t b = 0; b < n; ++b) {
    int ones = 0;
    for (const auto& r : runs) ones += r.get(b) ? 1 : 0;
    majority.set(b, 2 * ones > kTrials);
    agreement += static_cast<double>(std::max(ones, kTrials - ones)) / kTrials;
  }
  agreement /= static_cast<double>(n);
  EXPECT_GE(agreement, 0.9) << "mean per-bit agreement with the majority";
  int close = 0;
  for (const auto& r : runs) close += fractional_hamming_distance(r, majority) <= 0.1 ? 1 : 0;
  EXPECT_GE(close, kTrials / 2 + 1) << "most trials within 10% of the majority vector";
}

TEST(Timing, OffsetsAndCoarserBinsChangeOnlyTheQuantisation) {
  TimingParams p;
  p.bins_per_octave = 1;
  p.bits_per_ratio = 4;
  p.offsets.assign(timing_ratio_names().size(), 0.25);
  const Measurement m = measure_timing(p);
  ASSERT_EQ(m.bits.size(), timing_ratio_names().size() * 4);
  for (std::size_t i = 0; i < m.raw.size(); ++i)
    EXPECT_EQ(gray_decode(m.bits.get_bits(4 * i, 4)), detail::timing_bin(m.raw[i], 1, 4, 0.25));
}

// Rounds stop once the budget is spent and min_rounds are done; a budget too small for min_rounds
// even at 1.25 times its size is an error, not a silently weak measurement.
TEST(Timing, BudgetTooSmallForMinRoundsIsUnavailable) {
  TimingParams p;
  p.budget_ms = 0.001;
  p.min_rounds = 3;
  auto m = (*make_timing_source(p))->measure();
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().code, Errc::fp_unavailable);
  EXPECT_NE(m.error().message.find("rounds"), std::string::npos);
}

TEST(Timing, RejectsBadParams) {
  TimingParams p;
  p.offsets = {0.1};
  EXPECT_EQ(make_timing_source(p).error().code, Errc::fp_bad_params);
  p.offsets.assign(timing_ratio_names().size(), 0.5);  // must be < 0.5
  EXPECT_EQ(make_timing_source(p).error().code, Errc::fp_bad_params);
  p = {};
  p.bins_per_octave = 0;
  EXPECT_EQ(make_timing_source(p).error().code, Errc::fp_bad_params);
}

TEST(TimingBin, PowersOfTwoSitAtBinCentres) {
  for (int k = -2; k <= 7; ++k) {
    const double r = std::ldexp(1.0, k);
    const auto bin = detail::timing_bin(r, 4, 6, 0.0);
    EXPECT_EQ(bin, static_cast<std::uint64_t>(4 * k + 8));
    EXPECT_EQ(detail::timing_bin(r * std::exp2(0.12), 4, 6, 0.0), bin);
    EXPECT_EQ(detail::timing_bin(r * std::exp2(-0.12), 4, 6, 0.0), bin);
  }
  EXPECT_EQ(detail::timing_bin(0.0, 4, 6, 0.0), 0u);
  EXPECT_EQ(detail::timing_bin(NAN, 4, 6, 0.0), 0u);
  EXPECT_EQ(detail::timing_bin(1e30, 4, 6, 0.0), 63u);
}

RC_GTEST_PROP(TimingBin, MonotoneAndClamped, (std::uint32_t a, std::uint32_t b)) {
  const double x = std::exp2(static_cast<double>(a % 20000) / 1000.0 - 5.0);
  const double y = std::exp2(static_cast<double>(b % 20000) / 1000.0 - 5.0);
  const auto bx = detail::timing_bin(x, 4, 6, 0.0);
  const auto by = detail::timing_bin(y, 4, 6, 0.0);
  RC_ASSERT(bx <= 63u);
  if (x <= y) RC_ASSERT(bx <= by);
}

}  // namespace
