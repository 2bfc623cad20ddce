// Composite device records: several fingerprint sources bound into one device key.
#include <gtest/gtest.h>

#include <random>

#include "container_fixture.hpp"
#include "fingerprint/sources.hpp"  // the built-in puf-sim factory, to pin its device
#include "hwlock/device.hpp"
#include "hwlock/fingerprint.hpp"
#include "keys/composite_internal.hpp"

namespace {

using namespace hwlock;
using fingerprint::BitVector;
using nlohmann::json;
using test::TempDir;
using SourcePtr = std::unique_ptr<fingerprint::FingerprintSource>;

BitVector bits_of(std::uint64_t id, std::size_t n) {
  std::mt19937_64 rng(id);
  BitVector b(n);
  for (std::size_t i = 0; i < n; ++i) b.set(i, (rng() & 1) != 0);
  return b;
}

// While alive, "numeric" measures 300 fixed bits of device `numeric_id` and "timing" 66 bits of
// device `timing_id` whose bit 7 toggles on every read (a bin edge: masked at enrollment).
class FakeDevice {
 public:
  FakeDevice(std::uint64_t numeric_id, std::uint64_t timing_id)
      : numeric_("numeric",
                 [numeric_id](const json&) -> Result<SourcePtr> {
                   return SourcePtr(std::make_unique<fingerprint::FakeSource>(
                       bits_of(numeric_id, 300), "numeric"));
                 }),
        timing_("timing", [timing_id](const json&) -> Result<SourcePtr> {
          auto fn = [timing_id](std::size_t call) -> Result<fingerprint::Measurement> {
            fingerprint::Measurement m;
            m.kind = "timing";
            m.bits = bits_of(timing_id, 66);
            m.bits.set(7, (call % 2) != 0);
            m.fields.push_back({"fake", 0, 66});
            return m;
          };
          return SourcePtr(std::make_unique<fingerprint::FakeSource>("timing", fn));
        }) {}

 private:
  fingerprint::ScopedSourceFactory numeric_, timing_;
};

// While alive, "puf-sim" is simulated device `seed`, read with fresh noise per source.
class AsPufDevice {
 public:
  explicit AsPufDevice(std::uint64_t seed)
      : guard_("puf-sim", [seed, this](const json& params) {
          json p = params;
          p["device_seed"] = seed;
          p["noise_seed"] = 5000 + noise_++;
          return fingerprint::detail::make_puf_sim_from_params(p);
        }) {}

 private:
  std::uint64_t noise_ = 0;
  fingerprint::ScopedSourceFactory guard_;
};

json enroll_or_die(const std::vector<std::string>& sources, const json& params = json::object()) {
  auto o = device::enroll_options(sources, params, 0);
  EXPECT_TRUE(o) << o.error().message;
  if (!o) return json();
  auto e = device::enroll(*o);
  EXPECT_TRUE(e) << e.error().message;
  return e ? e->record : json();
}

bool same_key(const crypto::SecretKey& a, const crypto::SecretKey& b) {
  return std::equal(a.bytes().begin(), a.bytes().end(), b.bytes().begin());
}

TEST(Composite, OptionsFromSourceLists) {
  auto joined = device::enroll_options({"numeric+timing"}, json::object(), 3);
  auto repeated = device::enroll_options({"numeric", "timing"}, json::object(), 3);
  ASSERT_TRUE(joined && repeated);
  ASSERT_EQ(joined->parts.size(), 2u);
  EXPECT_EQ(joined->parts[0].kind, "numeric");
  EXPECT_EQ(joined->parts[1].kind, "timing");
  EXPECT_EQ(joined->parts[1].measurements, 3u);
  EXPECT_EQ(repeated->parts.size(), 2u);
  auto single = device::enroll_options({"puf-sim"}, json{{"bits", 64}}, 0);
  ASSERT_TRUE(single);
  EXPECT_TRUE(single->parts.empty());
  EXPECT_EQ(single->source, "puf-sim");
  EXPECT_EQ(single->params, (json{{"bits", 64}}));
  auto mapped = device::enroll_options({"numeric+timing"}, json{{"timing", {{"rounds", 9}}}}, 0);
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->parts[1].params, (json{{"rounds", 9}}));
  EXPECT_EQ(mapped->parts[0].params, json::object());
  for (const auto& bad :
       {device::enroll_options({"numeric+numeric"}, {}, 0),
        device::enroll_options({"numeric", "numeric"}, {}, 0),
        device::enroll_options({"numeric+"}, {}, 0), device::enroll_options({}, {}, 0),
        device::enroll_options({"numeric+timing"}, json{{"puf-sim", {}}}, 0),
        device::enroll_options({"numeric+timing"}, json{{"timing", 3}}, 0),
        device::enroll_options({"a+b+c+d+e+f+g+h+i"}, {}, 0)}) {
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::usage);
  }
}

TEST(Composite, EnrollsEachPartWithItsExtractorAndReproduces) {
  FakeDevice me(1, 2);
  const json r = enroll_or_die({"numeric+timing"});
  ASSERT_TRUE(device::validate_record(r, "r")) << r.dump();
  EXPECT_EQ(r["source"]["kind"], "composite");
  EXPECT_EQ(r["extractor"], "composite-hkdf-sha256-v1");
  ASSERT_EQ(r["parts"].size(), 2u);
  EXPECT_EQ(r["parts"][0]["source"]["kind"], "numeric");
  EXPECT_EQ(r["parts"][0]["extractor"], "exact-hkdf-sha256-v1");
  EXPECT_EQ(r["parts"][0]["reliable_bits"], 300);
  EXPECT_EQ(r["parts"][1]["source"]["kind"], "timing");
  EXPECT_EQ(r["parts"][1]["measurements"], 31);
  EXPECT_EQ(r["parts"][1]["reliable_bits"], 65) << "the toggling bit is masked";
  EXPECT_EQ(r["bits"], 366);
  EXPECT_FALSE(r["parts"][0].contains("public_key")) << "no part is checkable alone";
  EXPECT_EQ(device::record_source_kinds(r), (std::vector<std::string>{"numeric", "timing"}));
  auto k1 = device::reproduce_private_key(r);
  auto k2 = device::reproduce_private_key(r);
  ASSERT_TRUE(k1 && k2) << (k1 ? k2.error().message : k1.error().message);
  EXPECT_TRUE(same_key(*k1, *k2));
}

TEST(Composite, AnyPartFromAnotherDeviceIsAnotherDevice) {
  json r;
  {
    FakeDevice me(1, 2);
    r = enroll_or_die({"numeric", "timing"});
  }
  for (auto [n, t] : {std::pair<std::uint64_t, std::uint64_t>{1, 3}, {4, 2}, {4, 3}}) {
    FakeDevice other(n, t);
    auto k = device::reproduce_private_key(r);
    ASSERT_FALSE(k) << "numeric " << n << ", timing " << t;
    EXPECT_EQ(k.error().code, Errc::wrong_key);
    EXPECT_NE(k.error().message.find("numeric+timing fingerprint does not reproduce"),
              std::string::npos)
        << k.error().message;
  }
  FakeDevice me(1, 2);
  EXPECT_TRUE(device::reproduce_private_key(r));
}

TEST(Composite, NoisyPufPartUsesTheCodeOffsetExtractor) {
  const json params{{"puf-sim", {{"device_seed", 11}, {"bit_error_rate", 0.1}}}};
  json r;
  FakeDevice me(1, 2);
  {
    AsPufDevice puf(11);
    r = enroll_or_die({"numeric+puf-sim"}, params);
    ASSERT_EQ(r["parts"][1]["extractor"], "code-offset-rep-bch-hkdf-sha256-v1");
    for (int trial = 0; trial < 5; ++trial) {
      auto k = device::reproduce_private_key(r);
      ASSERT_TRUE(k) << "trial " << trial << ": " << k.error().message;
    }
  }
  AsPufDevice other_puf(12);
  auto k = device::reproduce_private_key(r);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::wrong_key);
}

TEST(Composite, CombinerIsBoundToOrderAndKinds) {
  auto a = crypto::SecretKey::generate(), b = crypto::SecretKey::generate();
  ASSERT_TRUE(a && b);
  std::vector<crypto::SecretKey> ab, ba;
  ab.push_back(clone_key(*a));
  ab.push_back(clone_key(*b));
  ba.push_back(clone_key(*b));
  ba.push_back(clone_key(*a));
  using device::detail::combine_part_keys;
  auto k = combine_part_keys({"numeric", "timing"}, ab);
  auto again = combine_part_keys({"numeric", "timing"}, ab);
  auto swapped_keys = combine_part_keys({"numeric", "timing"}, ba);
  auto swapped_both = combine_part_keys({"timing", "numeric"}, ba);
  auto renamed = combine_part_keys({"numeric", "puf-sim"}, ab);
  // "ab"+"c" and "a"+"bc" must not collide: the kinds are length-prefixed.
  auto split1 = combine_part_keys({"ab", "c"}, ab);
  auto split2 = combine_part_keys({"a", "bc"}, ab);
  ASSERT_TRUE(k && again && swapped_keys && swapped_both && renamed && split1 && split2);
  EXPECT_TRUE(same_key(*k, *again));
  EXPECT_FALSE(same_key(*k, *swapped_keys));
  EXPECT_FALSE(same_key(*k, *swapped_both));
  EXPECT_FALSE(same_key(*k, *renamed));
  EXPECT_FALSE(same_key(*split1, *split2));
  EXPECT_FALSE(combine_part_keys({"numeric"}, std::span(ab).first(1)));
}

// Every structural change is refused; every change to key material gives wrong_key.
TEST(Composite, TamperedRecordsNeverGiveAKey) {
  FakeDevice me(1, 2);
  const json r = enroll_or_die({"numeric+timing"});
  auto expect_refused = [](const json& t, Errc code, const std::string& what) {
    auto k = device::reproduce_private_key(t);
    ASSERT_FALSE(k) << what;
    EXPECT_EQ(k.error().code, code) << what << ": " << k.error().message;
  };
  auto flip_hex = [](json& field) {
    std::string s = field.get<std::string>();
    s[s.size() / 2] = s[s.size() / 2] == '0' ? '1' : '0';
    field = s;
  };
  json t = r;
  flip_hex(t["parts"][0]["salt"]);
  expect_refused(t, Errc::wrong_key, "numeric salt");
  t = r;
  flip_hex(t["parts"][1]["salt"]);
  expect_refused(t, Errc::wrong_key, "timing salt");
  t = r;
  t["parts"][0]["mask"] = std::string(t["parts"][0]["mask"].get<std::string>().size(), '0');
  expect_refused(t, Errc::wrong_key, "numeric mask cleared");
  t = r;
  flip_hex(t["public_key"]);
  expect_refused(t, Errc::wrong_key, "public key");
  t = r;
  std::swap(t["parts"][0], t["parts"][1]);
  expect_refused(t, Errc::wrong_key, "parts swapped");
  t = r;
  t["parts"].erase(1);
  expect_refused(t, Errc::key_source, "one part left");
  t = r;
  t["parts"].erase(1);
  t["bits"] = 300u;
  expect_refused(t, Errc::key_source, "one part left, bits fixed");
  t = r;
  t["parts"][1] = t["parts"][0];
  t["bits"] = 600u;
  expect_refused(t, Errc::key_source, "a part twice");
  t = r;
  t["bits"] = 365u;
  expect_refused(t, Errc::key_source, "bits not the sum");
  t = r;
  t["extractor"] = "exact-hkdf-sha256-v1";
  expect_refused(t, Errc::key_source, "parts with a single-source extractor");
  t = r;
  t["parts"][1]["extractor"] = "composite-hkdf-sha256-v1";
  expect_refused(t, Errc::key_source, "nested composite");
  t = r;
  t["parts"][1]["bits"] = 65u;
  t["bits"] = 365u;
  expect_refused(t, Errc::wrong_key, "a part's bit count");
  t = r;
  t.erase("parts");
  expect_refused(t, Errc::key_source, "parts removed");
}

// Random one-character edits of the record file: either refused, or (for fields that carry no key
// material, like "measurements") the very same key — never another key.
TEST(Composite, RandomEditsNeverGiveAnotherKey) {
  FakeDevice me(1, 2);
  const json r = enroll_or_die({"numeric+timing"});
  auto good = device::reproduce_private_key(r);
  ASSERT_TRUE(good) << good.error().message;
  const std::string text = r.dump();
  std::mt19937_64 rng(7);
  const std::string alphabet = "0123456789abcdef\"{}[],:x ";
  int refused = 0, same = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::string t = text;
    t[rng() % t.size()] = alphabet[rng() % alphabet.size()];
    const json edited = json::parse(t, nullptr, false);
    if (edited.is_discarded()) continue;
    auto k = device::reproduce_private_key(edited);
    if (!k) {
      ++refused;
      continue;
    }
    ++same;
    ASSERT_TRUE(same_key(*k, *good)) << "edit gave another key: " << t;
  }
  EXPECT_GT(refused, 50);
  EXPECT_GT(same, 0) << "some edits only touch public, keyless fields";
}

TEST(Composite, LocksAndUnlocksAModel) {
  TempDir dir;
  ASSERT_TRUE(write_synthetic_model(dir / "m.safetensors", {1u << 20, 2, 64}, false));
  json composite, single;
  {
    FakeDevice me(1, 2);
    composite = enroll_or_die({"numeric+timing"});
  }
  {
    FakeDevice other(5, 6);
    single = enroll_or_die({"numeric"});
    EXPECT_FALSE(single.contains("parts")) << "one source: a single-source record, as before";
    EXPECT_EQ(single["extractor"], "exact-hkdf-sha256-v1");
  }
  auto lock_src = device::DeviceKeySource::for_lock({composite, single});
  ASSERT_TRUE(lock_src) << lock_src.error().message;
  ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", **lock_src));
  auto m = LockedModel::open(dir / "m.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  {
    FakeDevice me(1, 2);
    auto live = device::DeviceKeySource::live();
    ASSERT_TRUE(unlock_file(dir / "m.hwlock", dir / "out.safetensors", *live));
    test::expect_same_tensors(dir / "m.safetensors", dir / "out.safetensors");
  }
  {
    FakeDevice other(5, 6);  // the single-source record of the same fleet
    auto live = device::DeviceKeySource::live();
    EXPECT_TRUE(m->unlock(*live));
  }
  FakeDevice half(1, 6);  // numeric of the composite device, timing of another
  auto live = device::DeviceKeySource::live();
  auto u = m->unlock(*live);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::wrong_key);
}

// A "torch" record needs hwlock-ml: the runtime says so, and still unlocks through another
// envelope it can measure.
TEST(Composite, TorchRecordsPointToTheWorkbench) {
  TempDir dir;
  ASSERT_TRUE(write_synthetic_model(dir / "m.safetensors", {1u << 16, 2, 64}, false));
  json torch_record, numeric_record;
  FakeDevice me(1, 2);
  {
    const fingerprint::ScopedSourceFactory torch("torch", [](const json&) -> Result<SourcePtr> {
      return SourcePtr(std::make_unique<fingerprint::FakeSource>(bits_of(9, 64), "torch"));
    });
    torch_record = enroll_or_die({"numeric+torch"});
    ASSERT_TRUE(device::reproduce_private_key(torch_record));
  }
  auto k = device::reproduce_private_key(torch_record);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::key_source);
  EXPECT_NE(k.error().message.find("hwlock-ml"), std::string::npos) << k.error().message;
  auto e = device::enroll({"torch", json::object(), 0, {}});
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message.find("hwlock-ml enroll"), std::string::npos) << e.error().message;

  numeric_record = enroll_or_die({"numeric"});
  for (bool with_numeric : {false, true}) {
    std::vector<json> records{torch_record};
    if (with_numeric) records.push_back(numeric_record);
    auto lock_src = device::DeviceKeySource::for_lock(records);
    ASSERT_TRUE(lock_src) << lock_src.error().message;
    ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", **lock_src, {}));
    auto m = LockedModel::open(dir / "m.hwlock");
    ASSERT_TRUE(m) << m.error().message;
    auto live = device::DeviceKeySource::live();
    auto u = m->unlock(*live);
    if (with_numeric) {
      EXPECT_TRUE(u) << u.error().message;
    } else {
      ASSERT_FALSE(u);
      EXPECT_EQ(u.error().code, Errc::key_source);
      EXPECT_NE(u.error().message.find("hwlock-ml"), std::string::npos) << u.error().message;
    }
    std::filesystem::remove(dir / "m.hwlock");
  }
}

// The CLI: a composite record from real sources (numeric + a simulated PUF), lock, unlock.
TEST(Composite, CliEnrollLockUnlock) {
  TempDir dir;
  using test::quote;
  using test::run;
  const std::string cli = HWLOCK_CLI_PATH;
  ASSERT_TRUE(write_synthetic_model(dir / "m.safetensors", {1u << 16, 2, 64}, false));
  const std::string params = R"('{"puf-sim": {"device_seed": 3, "bit_error_rate": 0.05}}')";
  auto e = run(cli + " enroll --json --source numeric --source puf-sim --params " + params +
               " -o " + quote(dir / "dev.json"));
  ASSERT_EQ(e.exit_code, 0) << e.out;
  const json out = json::parse(e.out.substr(e.out.find('{')));
  EXPECT_EQ(out["source"], "numeric+puf-sim");
  std::ifstream in(dir / "dev.json");
  const json record = json::parse(in);
  EXPECT_EQ(record["parts"].size(), 2u);
  auto l = run(cli + " lock " + quote(dir / "m.safetensors") + " -o " + quote(dir / "m.hwlock") +
               " --device " + quote(dir / "dev.json"));
  ASSERT_EQ(l.exit_code, 0) << l.out;
  auto u = run(cli + " unlock " + quote(dir / "m.hwlock") + " -o " + quote(dir / "u.safetensors"));
  ASSERT_EQ(u.exit_code, 0) << u.out;
  test::expect_same_tensors(dir / "m.safetensors", dir / "u.safetensors");
  auto twice = run(cli + " enroll --source numeric+numeric -o " + quote(dir / "x.json"));
  EXPECT_EQ(twice.exit_code, 2) << twice.out;
  auto torch = run(cli + " enroll --source torch -o " + quote(dir / "t.json"));
  EXPECT_NE(torch.exit_code, 0);
  EXPECT_NE(torch.out.find("hwlock-ml"), std::string::npos) << torch.out;
}

}  // namespace
