// PUF simulators (error rates, uniqueness, determinism, drift, the additive delay model against a
// naive reference) and the file/character-device provider's errors.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "hwlock/fingerprint.hpp"
#include "hwlock/puf.hpp"
#include "test_util.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::puf;
using fingerprint::fractional_hamming_distance;

SramPufSim sram(std::uint64_t device, double ber, std::uint64_t noise = 1) {
  SramPufConfig c;
  c.device_seed = device;
  c.noise_seed = noise;
  c.bit_error_rate = ber;
  return SramPufSim::create(c).value();
}

ArbiterPufSim arbiter(std::uint64_t device, double ber, std::uint64_t noise = 1) {
  return ArbiterPufSim::create({device, noise, ber}).value();
}

const auto kSram = [](std::uint64_t device, double ber) { return sram(device, ber); };
const auto kArbiter = [](std::uint64_t device, double ber) { return arbiter(device, ber); };

// Mean read-vs-reference and read-vs-read distances over `devices` devices.
template <class Make>
std::pair<double, double> intra_distances(Make make, double ber, int devices, std::size_t bits) {
  double vs_ref = 0, vs_read = 0;
  for (int d = 0; d < devices; ++d) {
    auto p = make(1000 + static_cast<std::uint64_t>(d), ber);
    const auto ref = p.reference(7, bits);
    const auto r1 = p.respond(7, bits).value();
    const auto r2 = p.respond(7, bits).value();
    vs_ref += (fractional_hamming_distance(r1, ref) + fractional_hamming_distance(r2, ref)) / 2;
    vs_read += fractional_hamming_distance(r1, r2);
  }
  return {vs_ref / devices, vs_read / devices};
}

TEST(SramPuf, IntraDeviceDistanceMatchesConfiguredBer) {
  for (double ber : {0.0, 0.02, 0.05, 0.10, 0.15, 0.25}) {
    const auto [vs_ref, vs_read] = intra_distances(kSram, ber, 8, 4096);
    EXPECT_NEAR(vs_ref, ber, 0.012) << "ber " << ber;
    // Unstable cells flip in both reads, so two reads differ by less than 2·ber, more than ber.
    EXPECT_LE(vs_read, 2 * ber + 0.01) << "ber " << ber;
    EXPECT_GE(vs_read, ber - 0.01) << "ber " << ber;
  }
}

TEST(ArbiterPuf, IntraDeviceDistanceMatchesConfiguredBer) {
  for (double ber : {0.0, 0.03, 0.10, 0.25}) {
    const auto [vs_ref, vs_read] = intra_distances(kArbiter, ber, 8, 4096);
    EXPECT_NEAR(vs_ref, ber, 0.015) << "ber " << ber;
    EXPECT_LE(vs_read, 2 * ber + 0.01) << "ber " << ber;
  }
}

// A population of 1000 devices: references are unique and about half their bits apart.
template <class Make>
void check_population(Make make) {
  constexpr int kDevices = 1000;
  constexpr std::size_t kBits = 256;
  std::vector<fingerprint::BitVector> refs;
  for (int d = 0; d < kDevices; ++d)
    refs.push_back(make(static_cast<std::uint64_t>(d), 0.05).reference(0, kBits));
  double sum = 0, min = 1;
  std::size_t pairs = 0;
  for (int i = 0; i < kDevices; ++i)
    for (int j = i + 1; j < kDevices; ++j) {
      const double h = fractional_hamming_distance(refs[i], refs[j]);
      sum += h;
      min = std::min(min, h);
      ++pairs;
    }
  EXPECT_NEAR(sum / static_cast<double>(pairs), 0.5, 0.03);
  EXPECT_GT(min, 0.2) << "two devices nearly identical";
}

TEST(SramPuf, PopulationIsUnique) {
  check_population(kSram);
}
TEST(ArbiterPuf, PopulationIsUnique) {
  check_population(kArbiter);
}

TEST(SramPuf, SameSeedSameDeviceAndReads) {
  auto a = sram(99, 0.1), b = sram(99, 0.1);
  EXPECT_EQ(a.reference(5, 512), b.reference(5, 512));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(a.respond(5, 512).value(), b.respond(5, 512).value());
  EXPECT_EQ(a.reads(), 3u);
  auto c = sram(99, 0.1, 2);  // same die, another noise stream
  EXPECT_EQ(c.reference(5, 512), a.reference(5, 512));
  EXPECT_NE(c.respond(5, 512).value(), sram(99, 0.1).respond(5, 512).value());
  EXPECT_NE(sram(100, 0.1).reference(5, 512), a.reference(5, 512));
}

TEST(SramPuf, ChallengeAddressesCellsAndWraps) {
  SramPufConfig c;
  c.cells = 1000;
  c.bit_error_rate = 0;
  auto p = SramPufSim::create(c).value();
  const auto whole = p.reference(0, 1000);
  const auto wrapped = p.respond(998, 4).value();
  EXPECT_EQ(wrapped.get(0), whole.get(998));
  EXPECT_EQ(wrapped.get(1), whole.get(999));
  EXPECT_EQ(wrapped.get(2), whole.get(0));
  EXPECT_EQ(wrapped.get(3), whole.get(1));
}

TEST(SramPuf, TemperatureAndAgeingRaiseTheErrorRate) {
  SramPufConfig c;
  c.device_seed = 5;
  c.bit_error_rate = 0.03;
  c.temperature_drift = 0.6;
  c.ageing_drift = 0.2;
  auto p = SramPufSim::create(c).value();
  const auto ref = p.reference(0, 8192);
  const double nominal = fractional_hamming_distance(p.respond(0, 8192).value(), ref);
  p.set_conditions(85.0, 0.0);
  const double hot = fractional_hamming_distance(p.respond(0, 8192).value(), ref);
  p.set_conditions(25.0, 9.0);
  const double old = fractional_hamming_distance(p.respond(0, 8192).value(), ref);
  EXPECT_NEAR(nominal, 0.03, 0.01);
  EXPECT_GT(hot, nominal + 0.03);
  EXPECT_GT(old, nominal + 0.03);
}

TEST(PufSim, RejectsBadConfig) {
  SramPufConfig c;
  c.bit_error_rate = 0.26;
  EXPECT_EQ(SramPufSim::create(c).error().code, Errc::fp_bad_params);
  c.bit_error_rate = NAN;
  EXPECT_EQ(SramPufSim::create(c).error().code, Errc::fp_bad_params);
  c = {};
  c.cells = 0;
  EXPECT_EQ(SramPufSim::create(c).error().code, Errc::fp_bad_params);
  EXPECT_EQ(ArbiterPufSim::create({0, 1, -0.1}).error().code, Errc::fp_bad_params);
  auto p = sram(1, 0.05);
  EXPECT_EQ(p.respond(0, kMaxResponseBits + 1).error().code, Errc::fp_bad_params);
}

// The fast delay model against the textbook form Δ(c) = Σ w_i·Π_{j≥i}(1 − 2c_j) + w_64, with the
// weights recovered from single-bit challenges: Δ(2^j) − Δ(2^(j−1)) = −2·w_j (Δ(2^−1) := Δ(0)).
RC_GTEST_PROP(ArbiterPufProperty, DelayMatchesNaiveFeatureVector,
              (std::uint64_t device, std::uint64_t c)) {
  const auto p = arbiter(device, 0.0);
  constexpr unsigned kN = ArbiterPufSim::kStages;
  std::vector<double> w(kN + 1);
  double prev = p.delay_difference(0), sum = 0;
  for (unsigned j = 0; j < kN; ++j) {
    const double cur = p.delay_difference(std::uint64_t{1} << j);
    w[j] = (prev - cur) / 2;
    sum += w[j];
    prev = cur;
  }
  w[kN] = p.delay_difference(0) - sum;
  double naive = w[kN];
  for (unsigned i = 0; i < kN; ++i) {
    double phi = 1;
    for (unsigned j = i; j < kN; ++j) phi *= ((c >> j) & 1) != 0 ? -1.0 : 1.0;
    naive += w[i] * phi;
  }
  RC_ASSERT(std::fabs(naive - p.delay_difference(c)) < 1e-9);
}

RC_GTEST_PROP(PufProperty, ZeroBerReadsEqualReference,
              (std::uint64_t device, std::uint64_t challenge)) {
  auto s = sram(device, 0.0);
  RC_ASSERT(s.respond(challenge, 300).value() == s.reference(challenge, 300));
  auto a = arbiter(device, 0.0);
  RC_ASSERT(a.respond(challenge, 300).value() == a.reference(challenge, 300));
}

TEST(FilePuf, ReadsBitsAtAnyOffset) {
  test::TempDir dir;
  test::write_file(dir / "resp.bin", std::string("\xa5\x0f\xff\x00", 4));
  FilePuf p(dir / "resp.bin");
  auto all = p.respond(0, 32);
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->to_hex(), "a50fff00");
  auto mid = p.respond(4, 8);  // high nibble of 0xa5, low nibble of 0x0f
  ASSERT_TRUE(mid.ok());
  EXPECT_EQ(mid->get_bits(0, 8), 0xfau);
}

TEST(FilePuf, ErrorsNameThePath) {
  test::TempDir dir;
  const auto missing = dir / "no-such-puf";
  auto r = FilePuf(missing).respond(0, 8);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_open);
  EXPECT_NE(r.error().message.find(missing.string()), std::string::npos);

  test::write_file(dir / "short.bin", "abc");
  r = FilePuf(dir / "short.bin").respond(8, 24);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fp_short_response);
  EXPECT_NE(r.error().message.find("short.bin"), std::string::npos);
  EXPECT_NE(r.error().message.find("got 3"), std::string::npos) << r.error().message;

  r = FilePuf(dir.path()).respond(0, 8);  // a directory opens but cannot be read
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::io_read);
  EXPECT_NE(r.error().message.find(dir.path().string()), std::string::npos);
}

TEST(FilePuf, ReadsCharacterDevices) {
  auto zero = FilePuf("/dev/zero").respond(100000, 256);
  ASSERT_TRUE(zero.ok()) << zero.error().message;
  EXPECT_EQ(zero->popcount(), 0u);
  FilePuf noisy("/dev/urandom");  // stands in for a device that re-measures on every open
  EXPECT_NE(noisy.respond(0, 256).value(), noisy.respond(0, 256).value());
}

TEST(PufSources, SimAndFileThroughMakeSource) {
  auto s = fingerprint::make_source("puf-sim",
                                    {{"device_seed", 3}, {"bit_error_rate", 0.1}, {"bits", 2048}});
  ASSERT_TRUE(s.ok());
  auto m1 = (*s)->measure();
  auto m2 = (*s)->measure();
  ASSERT_TRUE(m1.ok() && m2.ok());
  EXPECT_EQ(m1->bits.size(), 2048u);
  const double d = fractional_hamming_distance(m1->bits, m2->bits);
  EXPECT_GT(d, 0.05);
  EXPECT_LT(d, 0.2);
  EXPECT_EQ(m1->fields.front().name, "puf.sram-sim");

  test::TempDir dir;
  test::write_file(dir / "r.bin", std::string(64, '\x3c'));
  auto f =
      fingerprint::make_source("puf-file", {{"path", (dir / "r.bin").string()}, {"bits", 512}});
  ASSERT_TRUE(f.ok());
  auto m = (*f)->measure();
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->bits.popcount(), 256u);
  auto too_long =
      fingerprint::make_source("puf-file", {{"path", (dir / "r.bin").string()}, {"bits", 513}});
  ASSERT_TRUE(too_long.ok());
  EXPECT_EQ((*too_long)->measure().error().code, Errc::fp_short_response);
}

}  // namespace
