// Device-bound keys: enrollment records, live reproduction, envelopes for a fleet.
#include "hwlock/device.hpp"
#include "container_fixture.hpp"
#include "fingerprint/sources.hpp"  // the built-in factory, to wrap it
#include "hwlock/fingerprint.hpp"

namespace {

using namespace hwlock;
using nlohmann::json;
using test::TempDir;

// While alive, "puf-sim" sources are built with `device_seed` forced and a fresh noise seed per
// source: the live device is simulated device `seed`, read with new noise.
class AsPufDevice {
 public:
  explicit AsPufDevice(std::uint64_t seed)
      : guard_("puf-sim", [seed, this](const json& params) {
          json p = params;
          p["device_seed"] = seed;
          p["noise_seed"] = 1000 + noise_++;
          return fingerprint::detail::make_puf_sim_from_params(p);
        }) {}

 private:
  std::uint64_t noise_ = 0;
  fingerprint::ScopedSourceFactory guard_;
};

json enroll_or_die(const std::string& source, json params = json::object()) {
  device::EnrollOptions o;
  o.source = source;
  o.params = std::move(params);
  auto e = device::enroll(o);
  EXPECT_TRUE(e) << e.error().message;
  return e ? e->record : json();
}

TEST(Device, NumericRecordReproducesOnThisMachine) {
  const json r = enroll_or_die("numeric");
  ASSERT_TRUE(device::validate_record(r, "r"));
  EXPECT_EQ(r["reliable_bits"], r["bits"]);
  auto k1 = device::reproduce_private_key(r);
  auto k2 = device::reproduce_private_key(r);
  ASSERT_TRUE(k1 && k2) << (k1 ? k2.error().message : k1.error().message);
  EXPECT_TRUE(std::equal(k1->bytes().begin(), k1->bytes().end(), k2->bytes().begin()));
}

TEST(Device, AnotherNumericFingerprintIsAnotherDevice) {
  const json r = enroll_or_die("numeric");
  const std::size_t nbits = r["bits"];
  fingerprint::ScopedSourceFactory other("numeric", [nbits](const json&) {
    fingerprint::BitVector bits(nbits);
    bits.set(3, true);  // a different CPU class: some rounding differs
    return Result<std::unique_ptr<fingerprint::FingerprintSource>>(
        std::make_unique<fingerprint::FakeSource>(bits, "numeric"));
  });
  auto k = device::reproduce_private_key(r);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::wrong_key);
}

TEST(Device, ModifiedRecordDoesNotReproduce) {
  json r = enroll_or_die("numeric");
  auto salt = r["salt"].get<std::string>();
  salt[0] = salt[0] == '0' ? '1' : '0';
  r["salt"] = salt;
  auto k = device::reproduce_private_key(r);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::wrong_key);
  json bad = r;
  bad.erase("public_key");
  EXPECT_EQ(device::validate_record(bad, "bad").error().code, Errc::key_source);
}

TEST(Device, NoisyPufReproducesAndOtherDevicesDoNot) {
  const json params{{"device_seed", 11}, {"bit_error_rate", 0.15}};
  json r;
  {
    AsPufDevice me(11);
    r = enroll_or_die("puf-sim", params);
    ASSERT_EQ(r["extractor"], "code-offset-rep-bch-hkdf-sha256-v1");
    for (int trial = 0; trial < 20; ++trial) {
      auto k = device::reproduce_private_key(r);
      ASSERT_TRUE(k) << "trial " << trial << ": " << k.error().message;
    }
  }
  for (std::uint64_t other = 12; other < 32; ++other) {
    AsPufDevice them(other);
    auto k = device::reproduce_private_key(r);
    ASSERT_FALSE(k) << "device " << other << " reproduced device 11's key";
    EXPECT_EQ(k.error().code, Errc::wrong_key);
  }
}

TEST(Device, OneArtifactServesAFleet) {
  TempDir dir;
  ASSERT_TRUE(write_synthetic_model(dir / "m.safetensors", {1u << 20, 2, 64}, false));
  std::vector<json> records;
  for (std::uint64_t seed : {21u, 22u}) {
    AsPufDevice d(seed);
    records.push_back(enroll_or_die("puf-sim", {{"device_seed", seed}, {"bit_error_rate", 0.1}}));
  }
  auto lock_src = device::DeviceKeySource::for_lock(records);
  ASSERT_TRUE(lock_src) << lock_src.error().message;
  ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", **lock_src));
  auto m = LockedModel::open(dir / "m.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->lock().key_source_kind, "device");
  for (std::uint64_t seed : {21u, 22u}) {
    AsPufDevice d(seed);
    auto live = device::DeviceKeySource::live();
    auto u = m->unlock(*live);
    ASSERT_TRUE(u) << "device " << seed << ": " << u.error().message;
  }
  AsPufDevice stranger(23);
  auto live = device::DeviceKeySource::live();
  auto u = m->unlock(*live);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::wrong_key);
  EXPECT_NE(u.error().message.find("none of the 2 enrolled devices"), std::string::npos);
}

}  // namespace
