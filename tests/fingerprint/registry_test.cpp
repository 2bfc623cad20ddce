// make_source(), parameter validation, params() round trips, FakeSource and the override guard.
#include <gtest/gtest.h>

#include <string>

#include "hwlock/fingerprint.hpp"

namespace {

using namespace hwlock;
using namespace hwlock::fingerprint;

TEST(Registry, BuildsEveryKind) {
  for (const char* kind : {"numeric", "timing", "puf-sim"}) {
    auto s = make_source(kind);
    ASSERT_TRUE(s.ok()) << kind << ": " << s.error().message;
    EXPECT_EQ((*s)->kind(), kind);
  }
  auto f = make_source("puf-file", {{"path", "/nonexistent"}});
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->kind(), "puf-file");
}

TEST(Registry, UnknownKind) {
  auto s = make_source("tpm");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, Errc::fp_unknown_source);
  EXPECT_NE(s.error().message.find("tpm"), std::string::npos);
  EXPECT_STREQ(errc_name(Errc::fp_unknown_source), "fp_unknown_source");
  EXPECT_STREQ(errc_name(Errc::fp_short_response), "fp_short_response");
}

TEST(Registry, RejectsBadParameters) {
  const std::pair<const char*, nlohmann::json> cases[] = {
      {"numeric", {{"challenge_set", 2}}},
      {"numeric", {{"colour", 1}}},
      {"numeric", nlohmann::json::array({1})},
      {"timing", {{"rounds", 0}}},
      {"timing", {{"rounds", "many"}}},
      {"timing", {{"bits_per_ratio", 17}}},
      {"timing", {{"offsets", {0.1, 0.2}}}},
      {"timing", {{"min_rounds", 9}, {"rounds", 3}}},
      {"puf-sim", {{"bit_error_rate", 0.3}}},
      {"puf-sim", {{"bit_error_rate", -0.01}}},
      {"puf-sim", {{"type", "ring-oscillator"}}},
      {"puf-sim", {{"type", "arbiter"}, {"cells", 10}}},
      {"puf-sim", {{"bits", 0}}},
      {"puf-sim", {{"device_seed", -1}}},
      {"puf-sim", {{"cells", 0}}},
      {"puf-file", nlohmann::json::object()},
      {"puf-file", {{"path", ""}}},
      {"puf-file", {{"path", 7}}},
  };
  for (const auto& [kind, params] : cases) {
    auto s = make_source(kind, params);
    ASSERT_FALSE(s.ok()) << kind << " " << params.dump();
    EXPECT_EQ(s.error().code, Errc::fp_bad_params) << kind << " " << params.dump();
    EXPECT_NE(s.error().message.find(kind), std::string::npos) << s.error().message;
  }
}

TEST(Registry, ParamsRecreateAnEquivalentSource) {
  auto a = make_source("puf-sim", {{"type", "arbiter"}, {"device_seed", 42}, {"bits", 128}});
  ASSERT_TRUE(a.ok());
  auto b = make_source("puf-sim", (*a)->params());
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ((*a)->params(), (*b)->params());
  auto ma = (*a)->measure();
  auto mb = (*b)->measure();
  ASSERT_TRUE(ma.ok() && mb.ok());
  EXPECT_EQ(ma->bits, mb->bits);  // same device, same noise stream, first read
  EXPECT_EQ(ma->bits.size(), 128u);

  auto t = make_source("timing", {{"rounds", 5}, {"bins_per_octave", 3}});
  ASSERT_TRUE(t.ok());
  auto t2 = make_source("timing", (*t)->params());
  ASSERT_TRUE(t2.ok()) << t2.error().message;
  EXPECT_EQ((*t)->params(), (*t2)->params());
}

TEST(FakeSource, ReturnsScriptedMeasurementsAndErrors) {
  FakeSource fake("fake", [](std::size_t call) -> Result<Measurement> {
    if (call == 2) return fail(Errc::fp_unavailable, "fake: unplugged");
    Measurement m;
    m.kind = "fake";
    m.bits.append_bits(call, 8);
    m.fields = {{"call", 0, 8}};
    return m;
  });
  EXPECT_EQ(fake.measure()->bits.get_bits(0, 8), 0u);
  EXPECT_EQ(fake.measure()->bits.get_bits(0, 8), 1u);
  auto r = fake.measure();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::fp_unavailable);
  EXPECT_EQ(fake.calls(), 3u);

  BitVector bits;
  bits.append_bits(0xabc, 12);
  FakeSource fixed(bits);
  EXPECT_EQ(fixed.measure()->bits, bits);
  EXPECT_EQ(fixed.measure()->fields.front().width, 12u);
}

TEST(ScopedSourceFactory, OverridesAndRestores) {
  BitVector bits;
  bits.append_bits(0x5a, 8);
  {
    const ScopedSourceFactory guard("numeric", [bits](const nlohmann::json&) {
      return Result<std::unique_ptr<FingerprintSource>>(std::make_unique<FakeSource>(bits));
    });
    auto s = make_source("numeric");
    ASSERT_TRUE(s.ok());
    EXPECT_EQ((*s)->kind(), "fake");
    EXPECT_EQ((*s)->measure()->bits, bits);
    const ScopedSourceFactory extra("fake-device", [bits](const nlohmann::json&) {
      return Result<std::unique_ptr<FingerprintSource>>(std::make_unique<FakeSource>(bits));
    });
    EXPECT_TRUE(make_source("fake-device").ok());
  }
  auto s = make_source("numeric");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)->kind(), "numeric");
  EXPECT_EQ(make_source("fake-device").error().code, Errc::fp_unknown_source);
}

}  // namespace
