// Fuzzy extractor: round trips under i.i.d. noise at 5 / 15 / 25 % with the selected parameters,
// other devices never reproduce the key, the context is bound, masked (soft) enrollment.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "hwlock/fuzzy.hpp"
#include "keys/fuzzy_test_util.hpp"

namespace hwlock::fuzzy {
namespace {

using Bytes = std::vector<std::uint8_t>;

// Trials are cut under sanitizers (10–20x slower); the fixed seeds keep the outcome deterministic.
#if defined(__SANITIZE_ADDRESS__)
constexpr int kScale = 10;
#else
constexpr int kScale = 1;
#endif

bool same_key(const crypto::SecretKey& a, const crypto::SecretKey& b) {
  return crypto::constant_time_equal(a.bytes(), b.bytes());
}

Enrollment enroll_ok(const Bytes& w, std::size_t nbits, const EnrollOptions& o) {
  auto e = enroll(w, nbits, o);
  EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
  return std::move(e).value();
}

TEST(FuzzyExtractor, RoundTripWithoutErrors) {
  test::Rng rng(1);
  EnrollOptions o;
  o.context = "model-a";
  const std::size_t n = response_bits(o.params).value();
  EXPECT_EQ(n, 1785u);
  const Bytes w = test::random_packed(rng, n);
  const Enrollment e = enroll_ok(w, n, o);
  EXPECT_TRUE(e.key.valid());
  EXPECT_EQ(e.entropy.used_bits, 1785u);
  EXPECT_EQ(e.entropy.leak_bits, 1785u - 131u);
  EXPECT_DOUBLE_EQ(e.entropy.residual_bits, 131.0);
  EXPECT_TRUE(e.helper.mask.empty());

  const auto k1 = reproduce(w, n, e.helper, "model-a");
  ASSERT_TRUE(k1.ok()) << k1.error().message;
  EXPECT_TRUE(same_key(*k1, e.key));
  const auto k2 = reproduce(w, n, e.helper.serialize(), "model-a");
  ASSERT_TRUE(k2.ok());
  EXPECT_TRUE(same_key(*k2, e.key));

  // A longer response: only the first N bits count.
  Bytes longer = w;
  longer.push_back(0xA5);
  EXPECT_TRUE(same_key(reproduce(longer, n + 8, e.helper, "model-a").value(), e.key));
  // Too short.
  EXPECT_EQ(reproduce(w, n - 1, e.helper, "model-a").error().code, Errc::fuzzy_bad_params);
  EXPECT_EQ(enroll(w, n - 1, o).error().code, Errc::fuzzy_bad_params);

  // Two enrollments of the same response give independent keys and helper data.
  const Enrollment e2 = enroll_ok(w, n, o);
  EXPECT_FALSE(same_key(e.key, e2.key));
  EXPECT_NE(e.helper.offset, e2.helper.offset);
}

TEST(FuzzyExtractor, ContextIsBound) {
  test::Rng rng(2);
  EnrollOptions o;
  o.context = "model-a";
  const std::size_t n = response_bits(o.params).value();
  const Bytes w = test::random_packed(rng, n);
  const Enrollment e = enroll_ok(w, n, o);
  const auto r = reproduce(w, n, e.helper, "model-b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fuzzy_helper_tampered);
  EXPECT_NE(r.error().message.find("context"), std::string::npos);
  EXPECT_EQ(reproduce(w, n, e.helper, std::string_view("model-a\0", 8)).error().code,
            Errc::fuzzy_helper_tampered);
}

// Enrolls with the parameters select_params picks for `ber`, then reproduces `trials` times from
// fresh i.i.d. noise at that rate. Returns the failures; every success must give the same key.
int noisy_trials(double ber, int trials, std::uint64_t seed, Selection* chosen) {
  SelectionOptions so;
  so.ber = ber;
  const Selection sel = select_params(so).value();
  *chosen = sel;
  EnrollOptions o;
  o.params = sel.params;
  const std::size_t n = sel.response_bits;
  test::Rng rng(seed);
  const Bytes w = test::random_packed(rng, n);
  const Enrollment e = enroll_ok(w, n, o);
  int failures = 0;
  std::size_t flipped = 0;
  for (int i = 0; i < trials; ++i) {
    Bytes noisy = w;
    flipped += test::flip_packed(rng, noisy, n, ber);
    const auto k = reproduce(noisy, n, e.helper, "");
    if (!k.ok()) {
      EXPECT_EQ(k.error().code, Errc::fuzzy_decode_failed);
      ++failures;
      continue;
    }
    EXPECT_TRUE(same_key(*k, e.key));
  }
  const double measured_ber =
      static_cast<double>(flipped) / (static_cast<double>(n) * static_cast<double>(trials));
  EXPECT_NEAR(measured_ber, ber, 0.002);
  std::printf(
      "[ measured ] ber %.2f: m=%u t=%u r=%u blocks=%u, N=%zu, K=%zu, analytic FRR %.3g, "
      "measured %d/%d\n",
      ber, sel.params.bch_m, sel.params.bch_t, sel.params.repetition, sel.params.blocks,
      sel.response_bits, sel.secret_bits, sel.failure.key_failure, failures, trials);
  return failures;
}

TEST(FuzzyExtractor, NoisyReproduction5Percent) {
  Selection s;
  EXPECT_EQ(noisy_trials(0.05, 20000 / kScale, 505, &s), 0);
}

TEST(FuzzyExtractor, NoisyReproduction15Percent) {
  Selection s;
  EXPECT_EQ(noisy_trials(0.15, 20000 / kScale, 1515, &s), 0);
  EXPECT_EQ(s.params, CodeParams{});  // the default is the 15 % choice
}

TEST(FuzzyExtractor, NoisyReproduction25Percent) {
  Selection s;
  EXPECT_EQ(noisy_trials(0.25, 10000 / kScale, 2525, &s), 0);
}

TEST(FuzzyExtractor, OtherDevicesNeverReproduce) {
  // Default code: random responses almost always fail to decode. BCH(255,247,1) without
  // repetition is a perfect code: every random word decodes, so the tag must catch all of them.
  for (const CodeParams& p : {CodeParams{}, CodeParams{8, 1, 1, 1}}) {
    test::Rng rng(p.bch_t * 1000 + 7);
    EnrollOptions o;
    o.params = p;
    o.context = "ctx";
    const std::size_t n = response_bits(p).value();
    const Enrollment e = enroll_ok(test::random_packed(rng, n), n, o);
    int decode_failed = 0, tampered = 0;
    for (int i = 0; i < 1000; ++i) {
      const auto k = reproduce(test::random_packed(rng, n), n, e.helper, "ctx");
      ASSERT_FALSE(k.ok()) << "false acceptance";
      if (k.error().code == Errc::fuzzy_decode_failed) ++decode_failed;
      if (k.error().code == Errc::fuzzy_helper_tampered) ++tampered;
    }
    EXPECT_EQ(decode_failed + tampered, 1000);
    if (p.bch_t == 1) {
      EXPECT_EQ(tampered, 1000);
    } else {
      EXPECT_GT(decode_failed, 990);
    }
  }
}

TEST(FuzzyExtractor, MaskedEnrollmentOfUnstableDevice) {
  // 70 % stable cells (5 % flips), 30 % unstable (45 % flips). Twenty enrollment reads find the
  // unstable ones; excluding them beats plain majority voting by orders of magnitude.
  const CodeParams params{8, 10, 5, 1};
  const std::size_t n = response_bits(params).value();
  test::Rng rng(9);
  const Bytes truth = test::random_packed(rng, n);
  std::vector<double> flip(n);
  for (auto& f : flip) f = rng.bernoulli(0.3) ? 0.45 : 0.05;
  auto read = [&] {
    Bytes r = truth;
    for (std::size_t i = 0; i < n; ++i)
      if (rng.bernoulli(flip[i])) r[i / 8] = static_cast<std::uint8_t>(r[i / 8] ^ (1u << (i % 8)));
    return r;
  };
  std::vector<Bytes> reads;
  for (int i = 0; i < 20; ++i) reads.push_back(read());
  std::vector<std::span<const std::uint8_t>> views(reads.begin(), reads.end());
  const ReadSummary sum = summarize_reads(views, n, 0.2).value();
  EXPECT_NEAR(static_cast<double>(sum.reliable_bits) / static_cast<double>(n), 0.7, 0.05);
  const Bytes reference(
      reinterpret_cast<const std::uint8_t*>(sum.reference.data()),
      reinterpret_cast<const std::uint8_t*>(sum.reference.data()) + sum.reference.size());
  EnrollOptions with_mask;
  with_mask.params = params;
  with_mask.mask = sum.mask;
  with_mask.min_residual_bits = 0;  // the mask makes N_used < N; fine for this comparison
  EnrollOptions plain;
  plain.params = params;
  const Enrollment em = enroll_ok(reference, n, with_mask);
  const Enrollment ep = enroll_ok(reference, n, plain);
  int fail_mask = 0, fail_plain = 0;
  const int trials = 2000 / kScale;
  for (int i = 0; i < trials; ++i) {
    const Bytes r = read();
    fail_mask += reproduce(r, n, em.helper, "").ok() ? 0 : 1;
    fail_plain += reproduce(r, n, ep.helper, "").ok() ? 0 : 1;
  }
  std::printf("[ measured ] unstable device: failures with mask %d, without %d of %d\n", fail_mask,
              fail_plain, trials);
  EXPECT_GT(fail_plain, trials / 4);
  EXPECT_LT(fail_mask * 20, fail_plain);
}

RC_GTEST_PROP(FuzzyExtractorProperty, ReproducesWithinCapability, ()) {
  const auto m = *rc::gen::inRange(5u, 9u);
  const auto t = *rc::gen::inRange(1u, 8u);
  const auto r = 2 * *rc::gen::inRange(0u, 3u) + 1;
  const auto blocks = *rc::gen::inRange(1u, 3u);
  const CodeParams p{m, t, r, blocks};
  const auto nr = response_bits(p);
  RC_PRE(nr.ok());
  const std::size_t n = *nr;
  test::Rng rng(*rc::gen::arbitrary<std::uint64_t>());
  const Bytes w = test::random_packed(rng, n);
  EnrollOptions o;
  o.params = p;
  o.min_residual_bits = 0;
  o.context = "p";
  const auto e = enroll(w, n, o);
  RC_ASSERT(e.ok());
  // Up to t wrong groups per block, each with every copy flipped.
  const auto bch = BchCode::create(m, t).value();
  const std::size_t bn = bch.n(), stride = bn * blocks;
  Bytes noisy = w;
  for (unsigned b = 0; b < blocks; ++b)
    for (auto j : test::random_positions(rng, bn, *rc::gen::inRange(0u, bch.t() + 1)))
      for (unsigned q = 0; q < r; ++q) {
        const std::size_t i = q * stride + b * bn + j;
        noisy[i / 8] = static_cast<std::uint8_t>(noisy[i / 8] ^ (1u << (i % 8)));
      }
  const auto k = reproduce(noisy, n, e->helper, "p");
  RC_ASSERT(k.ok());
  RC_ASSERT(same_key(*k, e->key));
}

}  // namespace
}  // namespace hwlock::fuzzy
