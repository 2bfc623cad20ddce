// Pins the container format: checked-in reference files, locked with a known key by an
// independent implementation of docs/FORMAT.md (tests/data/reference/make_v1_reference.py), must
// unlock bit for bit with today's code; and known-answer vectors for every derivation label. A
// round-trip test cannot catch a changed label or canonical form: both sides would change together.
#include <gtest/gtest.h>

#include <filesystem>

#include "container/internal.hpp"
#include "container_fixture.hpp"
#include "hwlock/keys.hpp"

namespace {

using namespace hwlock;
const std::filesystem::path kRef = std::filesystem::path(HWLOCK_TEST_DATA_DIR) / "reference";

std::unique_ptr<KeyFileSource> reference_key() {
  std::string warning;  // the checked-in key file's mode is whatever the checkout gives it
  auto k = KeyFileSource::open(kRef / "device.key", &warning);
  EXPECT_TRUE(k) << k.error().message;
  return k ? std::move(k).value() : nullptr;
}

void expect_unlocks_to_plain(const std::filesystem::path& locked, ReadPolicy policy) {
  auto key = reference_key();
  ASSERT_TRUE(key);
  auto m = LockedModel::open(locked, policy);
  ASSERT_TRUE(m) << m.error().message;
  auto u = m->unlock(*key);
  ASSERT_TRUE(u) << u.error().message;
  auto plain = st::Reader::open(kRef / "plain.safetensors");
  ASSERT_TRUE(plain);
  EXPECT_EQ(u->metadata(), plain->header().metadata);
  ASSERT_EQ(u->tensors().size(), plain->header().tensors.size());
  for (const auto& t : plain->header().tensors) {
    const auto* ut = u->find(t.name);
    ASSERT_NE(ut, nullptr) << t.name;
    ASSERT_EQ(ut->data.size(), t.nbytes());
    EXPECT_TRUE(t.nbytes() == 0 ||
                std::memcmp(ut->data.data(), plain->data(t).data(), t.nbytes()) == 0)
        << t.name;
  }
  test::TempDir dir;
  UnlockOptions opt;
  opt.policy = policy;
  ASSERT_TRUE(unlock_file(locked, dir / "u.safetensors", *key, opt));
  test::expect_same_tensors(dir / "u.safetensors", kRef / "plain.safetensors");
}

TEST(Reference, Version1WithKeyCheckUnlocksBitForBit) {
  expect_unlocks_to_plain(kRef / "v1_aes_keycheck.hwlock", {});
  auto m = LockedModel::open(kRef / "v1_aes_keycheck.hwlock");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->lock().version, "1");
  EXPECT_EQ(m->lock().key_id, "13441551d6111104");
  auto wrong = test::random_source();
  auto s = m->check_key(wrong);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
}

TEST(Reference, Version1WithoutKeyCheckNeedsTheReadersOptIn) {
  auto m = LockedModel::open(kRef / "v1_aes_nokeycheck.hwlock");
  ASSERT_TRUE(m);
  auto key = reference_key();
  ASSERT_TRUE(key);
  auto u = m->unlock(*key);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::unchecked_refused);
  expect_unlocks_to_plain(kRef / "v1_aes_nokeycheck.hwlock", ReadPolicy{.allow_unchecked = true});
}

// Version 2, every scheme in both modes: written once by hwlock itself (the 2026-12 build that
// introduced version 2, `hwlock lock plain.safetensors --scheme S [--no-key-check]` with
// device.key) and checked in; today's code must still unlock them bit for bit.
TEST(Reference, Version2EverySchemeBothModesUnlockBitForBit) {
  const std::pair<const char*, const char*> files[] = {
      {"aes", "aes-256-ctr"}, {"preaes", "preaes-v1"}, {"shuffle-free", "shuffle-free-v1"}};
  for (const auto& [option, id] : files) {
    for (const bool check : {true, false}) {
      const auto path =
          kRef / (std::string("v2_") + option + (check ? "_keycheck" : "_nokeycheck") + ".hwlock");
      SCOPED_TRACE(path.string());
      const ReadPolicy policy{.allow_unchecked = !check};
      expect_unlocks_to_plain(path, policy);
      auto m = LockedModel::open(path, policy);
      ASSERT_TRUE(m);
      EXPECT_EQ(m->lock().version, "2");
      EXPECT_EQ(m->lock().key_check, check);
      for (const auto& [name, t] : m->lock().tensors) EXPECT_EQ(t.scheme, id) << name;
    }
  }
}

// Known answers from make_v1_reference.py (Python's cryptography package), master key 00..1f,
// salt a0..bf.
TEST(Reference, EveryDerivationLabelHasAKnownAnswer) {
  std::array<std::byte, 32> mk{};
  for (std::size_t i = 0; i < mk.size(); ++i) mk[i] = static_cast<std::byte>(i);
  const crypto::SecretKey master(mk);
  LockInfo lock;
  for (std::size_t i = 0; i < lock.salt.size(); ++i)
    lock.salt[i] = static_cast<std::byte>(0xa0 + i);
  lock.tensors["a.weight"] = TensorLock{"aes-256-ctr", {}, nlohmann::json::object()};
  st::Header h;
  h.tensors.push_back(st::TensorInfo{"a.weight", st::DType::F32, {2, 3}, 0, 24});
  auto keys = detail::derive_tensor_keys(master, lock, h);
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(crypto::to_hex((*keys)[0].key.bytes()),
            "39438341b4c3505171c01a4b225628204c8d5c908e7d4fc446ab6a25d8be55ab");
  auto mac = detail::derive_mac_key(master, lock);
  ASSERT_TRUE(mac);
  EXPECT_EQ(crypto::to_hex(mac->bytes()),
            "683fc71257cd74420231f061b353a79c5bdf67936b160a321cf6b4310b04344d");
  auto group = detail::derive_group_key(master, lock, "fc1");
  ASSERT_TRUE(group);
  EXPECT_EQ(crypto::to_hex(group->bytes()),
            "c76156bab2f7581f7e0b397deae8881dcd6e98e224dcd8a36f911b6167077981");
  auto id = key_id(master);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "13441551d6111104");
}

}  // namespace
