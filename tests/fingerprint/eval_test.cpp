// fingerprint-eval library: statistics, child processes, output parsing, key replay, PUF runs.
#include <gtest/gtest.h>

#include <cmath>

#include "hwlock/fingerprint_eval.hpp"

namespace {

namespace fp = hwlock::fingerprint;
namespace ev = hwlock::fingerprint::eval;
using fp::BitVector;

BitVector bits(std::initializer_list<int> v) {
  BitVector b;
  for (int x : v) b.push_back(x != 0);
  return b;
}

TEST(EvalStats, DistancesOverPairs) {
  const std::vector<BitVector> runs = {bits({0, 0, 0, 0}), bits({1, 0, 0, 0}), bits({1, 1, 1, 1})};
  const auto s = ev::pairwise_distances(runs);
  EXPECT_EQ(s.pairs, 3u);
  EXPECT_DOUBLE_EQ(s.min, 0.25);
  EXPECT_DOUBLE_EQ(s.max, 1.0);
  EXPECT_DOUBLE_EQ(s.mean, (0.25 + 1.0 + 0.75) / 3);
  const std::vector<BitVector> other = {bits({0, 0, 0, 0}), bits({1, 1})};  // 2-bit: skipped
  const auto c = ev::cross_distances(runs, other);
  EXPECT_EQ(c.pairs, 3u);
  EXPECT_DOUBLE_EQ(c.min, 0.0);
  EXPECT_EQ(ev::pairwise_distances({}).pairs, 0u);
}

TEST(EvalStats, MinEntropyAndDistinct) {
  const std::vector<BitVector> same = {bits({1, 0, 1}), bits({1, 0, 1})};
  EXPECT_DOUBLE_EQ(ev::per_bit_min_entropy(same), 0.0);
  EXPECT_EQ(ev::distinct_count(same), 1u);
  // Bit 0 is 1 in half the runs (1 bit), bit 1 in a quarter (-log2 0.75), bit 2 never.
  const std::vector<BitVector> noisy = {bits({1, 1, 0}), bits({1, 0, 0}), bits({0, 0, 0}),
                                        bits({0, 0, 0})};
  EXPECT_NEAR(ev::per_bit_min_entropy(noisy), 1.0 - std::log2(0.75), 1e-12);
  EXPECT_EQ(ev::distinct_count(noisy), 3u);
}

TEST(EvalStats, UpperBound95) {
  EXPECT_NEAR(ev::upper_bound_95(0, 100000), 2.9957e-5, 1e-8);  // ~ 3 / n
  EXPECT_NEAR(ev::upper_bound_95(1, 10), 0.3942, 1e-3);         // Clopper–Pearson table value
  EXPECT_NEAR(ev::upper_bound_95(5, 100), 0.10225, 1e-4);
  EXPECT_DOUBLE_EQ(ev::upper_bound_95(0, 0), 1.0);
}

TEST(EvalSpawn, RunsChildrenWithEnvironmentAndExitCodes) {
  const auto sh = ev::find_program("sh");
  ASSERT_TRUE(sh.has_value());
  auto r = ev::run_child({*sh, "-c", "echo \"$HWLOCK_EVAL_X\"; echo oops >&2; exit 3"},
                         {"HWLOCK_EVAL_X=hello"}, 30);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "hello\n");
  EXPECT_EQ(r->err, "oops\n");
  auto killed = ev::run_child({*sh, "-c", "sleep 20"}, {}, 0.2);
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, 128 + 9);
  auto missing = ev::run_child({"/nonexistent/hwlock-x"}, {}, 5);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, hwlock::Errc::io_open);
  EXPECT_NE(missing.error().message.find("/nonexistent/hwlock-x"), std::string::npos);
  EXPECT_FALSE(ev::find_program("hwlock-no-such-tool-xyz").has_value());
}

TEST(EvalSpawn, ParsesFingerprintJson) {
  auto b = ev::parse_fingerprint_json(
      R"(noise {"ok": true, "bits": 12, "runs": [{"bits_hex": "ff0a"}]})", "t");
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->size(), 12u);
  EXPECT_EQ(b->to_hex(), "ff0a");
  auto failed = ev::parse_fingerprint_json(
      R"({"ok": false, "error": {"code": "fp_unavailable", "message": "no clock"}})", "qemu");
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("qemu: no clock [fp_unavailable]"), std::string::npos);
  for (const char* bad :
       {"", "not json", R"({"ok": true, "bits": 12, "runs": []})",
        R"({"ok": true, "bits": 12, "runs": [{"bits_hex": "ff"}]})",     // too short
        R"({"ok": true, "bits": 12, "runs": [{"bits_hex": "ffzz"}]})",   // not hex
        R"({"ok": true, "bits": 12, "runs": [{"bits_hex": "ff1a"}]})"})  // bit 12 set
    EXPECT_FALSE(ev::parse_fingerprint_json(bad, "t").ok()) << bad;
}

BitVector pattern(std::size_t n, std::uint64_t seed) {
  BitVector b(n);
  for (std::size_t i = 0; i < n; ++i) b.set(i, ((i * 2654435761u + seed * 40503u) >> 7) & 1u);
  return b;
}

TEST(EvalKeys, ExactEnrollmentReplaysRunsThroughDeviceEnroll) {
  const BitVector a = pattern(300, 1), b = pattern(300, 2);
  const std::vector<BitVector> runs(5, a);
  auto rec = ev::enroll_from_runs("numeric", runs);
  ASSERT_TRUE(rec.ok()) << rec.error().message;
  EXPECT_EQ((*rec)["extractor"], "exact-hkdf-sha256-v1");
  EXPECT_EQ((*rec)["reliable_bits"], 300);
  EXPECT_TRUE(ev::reproduces(*rec, a));
  EXPECT_FALSE(ev::reproduces(*rec, b));
  BitVector one_off = a;
  one_off.set(17, !one_off.get(17));
  EXPECT_FALSE(ev::reproduces(*rec, one_off));
  EXPECT_FALSE(ev::reproduces(*rec, pattern(301, 1))) << "another length never reproduces";
  // A numeric source that is not bit-exact across the enrollment runs is refused.
  auto unstable = ev::enroll_from_runs("numeric", std::vector<BitVector>{a, a, one_off});
  ASSERT_FALSE(unstable.ok());
  EXPECT_EQ(unstable.error().code, hwlock::Errc::key_source);
  // Timing-like sources mask the bits that flipped: flipping only those still reproduces.
  auto masked = ev::enroll_from_runs("timing", std::vector<BitVector>{a, a, one_off});
  ASSERT_TRUE(masked.ok()) << masked.error().message;
  EXPECT_EQ((*masked)["reliable_bits"], 299);
  EXPECT_TRUE(ev::reproduces(*masked, a));
  EXPECT_TRUE(ev::reproduces(*masked, one_off));
  EXPECT_FALSE(ev::reproduces(*masked, b));
}

TEST(EvalPuf, SmallPopulationMeetsItsBoundsAndStressFails) {
  ev::PufEvalOptions o;
  o.devices = 12;
  o.frr_devices = 4;
  o.frr_trials = 200;
  o.stress_bers = {0.25};
  o.stress_trials = 100;
  auto r = ev::evaluate_puf(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->code, "BCH(255,131,18) r=7 x1");
  EXPECT_EQ(r->response_bits, 1785u);
  EXPECT_EQ(r->far_pairs, 12u * 11u);
  EXPECT_EQ(r->far_accepts, 0u);
  EXPECT_EQ(r->frr.trials, 200u);
  EXPECT_EQ(r->frr.failures, 0u);  // analytic failure ~1e-8 at the measured BER
  EXPECT_GT(r->frr.measured_ber, 0.12);
  EXPECT_LT(r->frr.measured_ber, 0.19);
  EXPECT_LT(r->frr.analytic_nominal, 1e-6);
  EXPECT_GT(r->inter_device.mean, 0.45);
  EXPECT_LT(r->inter_device.mean, 0.55);
  ASSERT_EQ(r->stress.size(), 1u);
  // At 25 % the code selected for 15 % fails most reads, as the analysis predicts (0.76).
  EXPECT_GT(r->stress[0].failures, 30u);
  EXPECT_GT(r->stress[0].analytic_measured, 0.3);
  EXPECT_GT(r->ideal_population_min_entropy, r->population_min_entropy * 0.9);
  ev::PufEvalOptions bad = o;
  bad.type = "optical";
  EXPECT_EQ(ev::evaluate_puf(bad).error().code, hwlock::Errc::fp_bad_params);
  bad = o;
  bad.devices = 1;
  EXPECT_FALSE(ev::evaluate_puf(bad).ok());
}

TEST(EvalPuf, ArbiterPopulation) {
  ev::PufEvalOptions o;
  o.type = "arbiter";
  o.ber = 0.05;
  o.devices = 6;
  o.frr_trials = 50;
  o.stress_bers = {};
  auto r = ev::evaluate_puf(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->far_accepts, 0u);
  EXPECT_EQ(r->frr.failures, 0u);
  EXPECT_TRUE(r->stress.empty());
}

}  // namespace
