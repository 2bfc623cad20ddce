// Every scheme of the transform table through the container: lock, unlock in memory and to a file,
// verify, and what a wrong key decodes to in the indistinguishable mode.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "container_fixture.hpp"
#include "hwlock/transform.hpp"
#include "prop_gen.hpp"

namespace {

using namespace hwlock;

// shuffle-v1 needs a plan: every axis of every tensor coupled to one of two groups, either side.
std::map<std::string, nlohmann::json, std::less<>> shuffle_requests(
    const std::vector<test::GenTensor>& model, std::uint64_t seed) {
  std::map<std::string, nlohmann::json, std::less<>> out;
  for (const auto& t : model) {
    nlohmann::json axes = nlohmann::json::array();
    for (std::size_t a = 0; a < t.shape.size(); ++a) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      axes.push_back(
          {{"group", (seed >> 40) % 2 ? "g0" : "g1"}, {"side", (seed >> 50) % 2 ? "in" : "out"}});
    }
    out[t.name] = {{"axes", axes}};
  }
  return out;
}

bool all_supported(const transform::Scheme& s, const std::vector<test::GenTensor>& model) {
  for (const auto& t : model) {
    transform::TensorDesc d{t.name, t.dtype, t.shape, t.data.size()};
    if (!s.supports(d)) return false;
  }
  return true;
}

RC_GTEST_PROP(SchemeContainer, LockThenUnlockIsIdentityForEveryScheme, ()) {
  const auto ids = transform::scheme_ids();
  const auto id = *rc::gen::elementOf(ids);
  const auto model = *test::gen_model();
  const bool key_check = *rc::gen::arbitrary<bool>();
  test::TempDir dir;
  RC_ASSERT(st::write_file(dir / "m", test::views(model), {}, false).ok());
  auto key = test::random_source();
  LockOptions opt;
  opt.scheme = std::string(id);
  opt.key_check = key_check;
  opt.threads = *rc::gen::inRange(1u, 4u);
  if (id == "shuffle-v1")
    opt.requests = shuffle_requests(model, *rc::gen::arbitrary<std::uint64_t>());
  const auto* scheme = transform::find_scheme(id);
  RC_ASSERT(scheme != nullptr);
  auto s = lock_file(dir / "m", dir / "l", key, opt);
  if (!all_supported(*scheme, model)) {
    RC_ASSERT(!s.ok());
    RC_ASSERT(s.error().code == Errc::scheme_unsupported);
    RC_ASSERT(!std::filesystem::exists(dir / "l"));
    return;
  }
  RC_ASSERT(s.ok());
  const ReadPolicy policy{.allow_unchecked = !key_check};
  auto locked = LockedModel::open(dir / "l", policy);
  RC_ASSERT(locked.ok());
  auto u = locked->unlock(key, *rc::gen::inRange(1u, 4u));
  RC_ASSERT(u.ok());
  for (const auto& t : model) {
    const auto* ut = u->find(t.name);
    RC_ASSERT(ut != nullptr);
    RC_ASSERT(ut->data.size() == t.data.size());
    RC_ASSERT((t.data.empty() || std::memcmp(ut->data.data(), t.data.data(), t.data.size()) == 0));
  }
  UnlockOptions uo;
  uo.policy = policy;
  RC_ASSERT(unlock_file(dir / "l", dir / "u", key, uo).ok());
  auto back = st::Reader::open(dir / "u");
  RC_ASSERT(back.ok());
  for (const auto& t : model) {
    const auto* bt = back->header().find(t.name);
    RC_ASSERT(bt != nullptr);
    auto d = back->data(*bt);
    RC_ASSERT((t.data.empty() || std::memcmp(d.data(), t.data.data(), t.data.size()) == 0));
  }
}

// A model with trained-looking tensors: normal F32 weights, BF16 and I8 copies.
std::vector<test::GenTensor> normal_model(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<test::GenTensor> m;
  test::GenTensor w{"fc1.weight", st::DType::F32, {64, 96}, {}};
  std::vector<float> f(64 * 96);
  for (auto& x : f) x = normal(rng);
  w.data.resize(f.size() * 4);
  std::memcpy(w.data.data(), f.data(), w.data.size());
  test::GenTensor b{"fc1.bias_bf16", st::DType::BF16, {4096}, {}};
  for (std::size_t i = 0; i < 4096; ++i) {
    float x = normal(rng);
    std::uint32_t bits;
    std::memcpy(&bits, &x, 4);
    b.data.push_back(static_cast<std::byte>(bits >> 16));
    b.data.push_back(static_cast<std::byte>(bits >> 24));
  }
  test::GenTensor q{"fc2.q8", st::DType::I8, {3000}, {}};
  for (std::size_t i = 0; i < 3000; ++i)
    q.data.push_back(
        static_cast<std::byte>(static_cast<std::int8_t>(std::lround(normal(rng) * 400))));
  m.push_back(std::move(w));
  m.push_back(std::move(b));
  m.push_back(std::move(q));
  return m;
}

// Indistinguishable mode: a wrong key is not rejected and decodes to a different model. For AES
// that model is noise (NaN/huge exponents); for preaes every value is one of the tensor's own.
TEST(SchemeContainer, WrongKeyRunsAndDecodesToADifferentModel) {
  const auto model = normal_model(7);
  for (auto id : transform::scheme_ids()) {
    SCOPED_TRACE(std::string(id));
    test::TempDir dir;
    ASSERT_TRUE(st::write_file(dir / "m", test::views(model), {}, false));
    auto key = test::random_source(), other = test::random_source();
    LockOptions opt;
    opt.scheme = std::string(id);
    opt.key_check = false;
    if (id == "shuffle-v1") opt.requests = shuffle_requests(model, 5);
    ASSERT_TRUE(lock_file(dir / "m", dir / "l", key, opt));
    auto m = LockedModel::open(dir / "l", ReadPolicy{.allow_unchecked = true});
    ASSERT_TRUE(m);
    auto bad = m->unlock(other);
    ASSERT_TRUE(bad) << bad.error().message;
    for (const auto& t : model) {
      const auto* bt = bad->find(t.name);
      ASSERT_NE(bt, nullptr);
      EXPECT_NE(std::memcmp(bt->data.data(), t.data.data(), t.data.size()), 0) << t.name;
      if (id == "preaes-v1") {  // every decoded element is one of the tensor's own values
        const std::size_t b = st::dtype_size(t.dtype);
        std::set<std::string> own;
        for (std::size_t i = 0; i < t.data.size(); i += b)
          own.emplace(reinterpret_cast<const char*>(t.data.data() + i), b);
        for (std::size_t i = 0; i < t.data.size(); i += b)
          ASSERT_TRUE(own.count(std::string(reinterpret_cast<const char*>(bt->data.data() + i), b)))
              << t.name << " element " << i / b;
      }
    }
    auto good = m->unlock(key);
    ASSERT_TRUE(good);
    for (const auto& t : model)
      EXPECT_EQ(std::memcmp(good->find(t.name)->data.data(), t.data.data(), t.data.size()), 0);
  }
}

TEST(SchemeContainer, MalformedSchemeParametersAreRejectedNamingTheTensor) {
  const auto model = normal_model(3);
  test::TempDir dir;
  ASSERT_TRUE(st::write_file(dir / "m", test::views(model), {}, false));
  auto key = test::random_source();
  LockOptions opt;
  opt.scheme = "preaes-v1";
  ASSERT_TRUE(lock_file(dir / "m", dir / "l", key, opt));
  const std::pair<const char*, Errc> edits[] = {
      {R"({"codebook": 5})", Errc::scheme_params_invalid},
      {R"({"codebook": "!!!!"})", Errc::scheme_params_invalid},
      {R"({"codebook": "AA==", "extra": 1})", Errc::scheme_params_invalid},
      {R"({})", Errc::scheme_params_invalid},
      {R"([])", Errc::scheme_params_invalid},
  };
  for (const auto& [params, code] : edits) {
    SCOPED_TRACE(params);
    test::rewrite_header(dir / "l", dir / "e", [&](st::Header& h) {
      auto tensors = nlohmann::json::parse(h.metadata["hwlock.tensors"]);
      tensors["fc2.q8"]["params"] = nlohmann::json::parse(params);
      h.metadata["hwlock.tensors"] = tensors.dump();
    });
    // The key check would catch any edit first: the attacker's view is the unchecked reader.
    auto m = LockedModel::open(dir / "e", ReadPolicy{.allow_unchecked = true});
    if (!m) {
      EXPECT_EQ(m.error().code, code) << m.error().message;
      continue;
    }
    test::rewrite_header(dir / "e", dir / "e2", [](st::Header& h) {
      h.metadata["hwlock.key_check"] = "none";
      h.metadata.erase("hwlock.mac");
      nlohmann::json ks = nlohmann::json::parse(h.metadata["hwlock.key_source"]);
      ks.erase("key_id");
      h.metadata["hwlock.key_source"] = ks.dump();
    });
    auto m2 = LockedModel::open(dir / "e2", ReadPolicy{.allow_unchecked = true});
    ASSERT_TRUE(m2) << m2.error().message;
    auto u = m2->unlock(key);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().code, code) << u.error().message;
    EXPECT_NE(u.error().message.find("fc2.q8"), std::string::npos) << u.error().message;
    std::filesystem::remove(dir / "e");
    std::filesystem::remove(dir / "e2");
  }
}

}  // namespace
