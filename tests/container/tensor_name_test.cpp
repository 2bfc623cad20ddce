// Tensor names at the HKDF info limit, and containers with many tensors: the name limit gives a
// clear error at lock and unlock time (not a crypto failure), and per-tensor lookups are indexed.
#include <nlohmann/json.hpp>

#include "container_fixture.hpp"

namespace {

using namespace hwlock;
using test::TempDir;

std::string file_with_header(const std::string& json, std::size_t data_bytes) {
  std::string out(8, '\0');
  const std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * i));
  return out + json + std::string(data_bytes, '\x05');
}

std::string one_tensor(const std::string& name) {
  return "{\"" + name + R"(":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}})";
}

TEST(ContainerTensorName, LongestNameLocksAndUnlocks) {
  // Info = 21 + name bytes = exactly OpenSSL 3.0's 32 KiB limit: the derivation is unchanged.
  TempDir dir;
  const std::string name(st::kMaxTensorNameSize, 'n');
  test::write_file(dir / "m.safetensors", file_with_header(one_tensor(name), 4));
  auto key = test::random_source();
  ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", key));
  auto m = LockedModel::open(dir / "m.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  auto u = m->unlock(key);
  ASSERT_TRUE(u) << u.error().message;
  const auto* t = u->find(name);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->data.size(), 4u);
  for (auto b : t->data) EXPECT_EQ(b, std::byte{5});
}

TEST(ContainerTensorName, LongerNameIsRefusedAtLockWithAClearError) {
  // Before the limit this failed inside OpenSSL: "hkdf_sha256: EVP_KDF_derive: ..." (crypto, 60).
  TempDir dir;
  test::write_file(dir / "m.safetensors",
                   file_with_header(one_tensor(std::string(st::kMaxTensorNameSize + 1, 'n')), 4));
  auto key = test::random_source();
  auto s = lock_file(dir / "m.safetensors", dir / "m.hwlock", key);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::st_name_too_long) << s.error().message;
  EXPECT_NE(s.error().message.find((dir / "m.safetensors").string()), std::string::npos);
  EXPECT_NE(s.error().message.find("above the limit of 32747"), std::string::npos)
      << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir / "m.hwlock"));
}

TEST(ContainerTensorName, LongerNameIsRefusedAtUnlockWithAClearError) {
  TempDir dir;
  test::write_file(dir / "m.safetensors", file_with_header(one_tensor("w"), 4));
  auto key = test::random_source();
  ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", key));
  const std::string name(st::kMaxTensorNameSize + 1, 'n');
  test::rewrite_header(dir / "m.hwlock", dir / "e.hwlock", [&](st::Header& h) {
    h.tensors[0].name = name;
    auto j = nlohmann::json::parse(h.metadata["hwlock.tensors"]);
    j[name] = j["w"];
    j.erase("w");
    h.metadata["hwlock.tensors"] = j.dump();
  });
  auto m = LockedModel::open(dir / "e.hwlock");
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::st_name_too_long) << m.error().message;
  EXPECT_NE(m.error().message.find((dir / "e.hwlock").string()), std::string::npos);
  auto s = unlock_file(dir / "e.hwlock", dir / "out.safetensors", key);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::st_name_too_long) << s.error().message;
}

TEST(ContainerManyTensors, LockOpenUnlockAndFindEveryTensor) {
  // 200,000 tensors: opening checks hwlock.tensors against the header and find() is called per
  // tensor; both were quadratic (4e10 string compares each). Correctness only, no timing.
  constexpr std::size_t kN = 200'000;
  TempDir dir;
  std::vector<std::byte> data(kN);
  for (std::size_t i = 0; i < kN; ++i) data[i] = static_cast<std::byte>(i * 7);
  std::vector<st::TensorView> views;
  views.reserve(kN);
  for (std::size_t i = 0; i < kN; ++i)
    views.push_back({"layer." + std::to_string(i) + ".w",
                     st::DType::U8,
                     {1},
                     std::span<const std::byte>(&data[i], 1)});
  ASSERT_TRUE(st::write_file(dir / "m.safetensors", views, {}, false));
  auto key = test::random_source();
  ASSERT_TRUE(lock_file(dir / "m.safetensors", dir / "m.hwlock", key));
  auto m = LockedModel::open(dir / "m.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->lock().tensors.size(), kN);
  auto u = m->unlock(key);
  ASSERT_TRUE(u) << u.error().message;
  for (std::size_t i = 0; i < kN; ++i) {
    const auto* t = u->find("layer." + std::to_string(i) + ".w");
    ASSERT_NE(t, nullptr) << i;
    ASSERT_EQ(t->data.size(), 1u);
    ASSERT_EQ(t->data[0], data[i]) << i;
  }
  EXPECT_EQ(u->find("absent"), nullptr);
  EXPECT_EQ(UnlockedModel().find("layer.0.w"), nullptr);
  auto r = verify(dir / "m.hwlock", key, dir / "m.safetensors");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->tensors, kN);
}

}  // namespace
