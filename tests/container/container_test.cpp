#include <thread>

#include "container_fixture.hpp"

namespace {

using namespace hwlock;
using test::TempDir;

class Container : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = dir_ / "model.safetensors";
    // 40 MiB: more than two streaming windows, with odd-sized tensors.
    auto n = write_synthetic_model(model_, {40u << 20, 3, 300}, false);
    ASSERT_TRUE(n) << n.error().message;
  }
  TempDir dir_;
  std::filesystem::path model_;
  StaticKeySource key_ = test::random_source();
  StaticKeySource other_ = test::random_source();
};

TEST_F(Container, LockUnlockFileRoundTrip) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  ASSERT_TRUE(unlock_file(dir_ / "m.hwlock", dir_ / "back.safetensors", key_));
  test::expect_same_tensors(model_, dir_ / "back.safetensors");
  auto a = st::Reader::open(model_), b = st::Reader::open(dir_ / "back.safetensors");
  EXPECT_EQ(a->header().metadata, b->header().metadata);  // user metadata survives
}

TEST_F(Container, LockedFileIsValidSafetensorsWithSameLayoutButDifferentBytes) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  auto orig = st::Reader::open(model_);
  auto locked = st::Reader::open(dir_ / "m.hwlock");
  ASSERT_TRUE(locked) << locked.error().message;
  ASSERT_EQ(orig->header().tensors.size(), locked->header().tensors.size());
  std::size_t changed = 0, big = 0;
  for (const auto& t : orig->header().tensors) {
    const auto* l = locked->header().find(t.name);
    ASSERT_NE(l, nullptr);
    EXPECT_EQ(l->dtype, t.dtype);
    EXPECT_EQ(l->shape, t.shape);
    if (t.nbytes() >= 16) {
      ++big;
      changed += std::memcmp(orig->data(t).data(), locked->data(*l).data(), t.nbytes()) != 0;
    }
  }
  EXPECT_EQ(changed, big);
  for (const auto& [k, v] : orig->header().metadata) EXPECT_EQ(locked->header().metadata.at(k), v);
  EXPECT_TRUE(is_locked(locked->header()));
}

TEST_F(Container, InMemoryUnlockIsBitExact) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  auto m = LockedModel::open(dir_ / "m.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  auto u = m->unlock(key_);
  ASSERT_TRUE(u) << u.error().message;
  auto orig = st::Reader::open(model_);
  for (const auto& t : orig->header().tensors) {
    const auto* ut = u->find(t.name);
    ASSERT_NE(ut, nullptr);
    ASSERT_EQ(ut->data.size(), t.nbytes());
    EXPECT_TRUE(t.nbytes() == 0 ||
                std::memcmp(ut->data.data(), orig->data(t).data(), t.nbytes()) == 0);
  }
  EXPECT_EQ(u->metadata(), orig->header().metadata);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(u->tensors().front().data.data()) % 64, 0u);
}

// Locking and unlocking on 1 or 3 threads gives the original bytes, for each combination and for
// the byte-local (aes) and the element/tensor schemes alike.
TEST_F(Container, ThreadCountDoesNotChangeTheResult) {
  // Its own smaller model (6 MiB: several 1 MiB pieces per tensor), so preaes stays quick.
  const auto model = dir_ / "small.safetensors";
  ASSERT_TRUE(write_synthetic_model(model, {6u << 20, 5, 256}, false));
  auto orig = st::Reader::open(model);
  ASSERT_TRUE(orig);
  for (const char* scheme : {"aes-256-ctr", "preaes-v1", "shuffle-free-v1"}) {
    SCOPED_TRACE(scheme);
    for (unsigned lock_threads : {1u, 3u}) {
      LockOptions opt;
      opt.threads = lock_threads;
      opt.scheme = scheme;
      opt.overwrite = true;
      // preaes cannot lock 8-byte tensors: those stay aes (as the CLI does).
      for (const auto& t : orig->header().tensors)
        if (std::string_view(scheme) == "preaes-v1" && st::dtype_size(t.dtype) == 8)
          opt.tensor_schemes[t.name] = "aes-256-ctr";
      ASSERT_TRUE(lock_file(model, dir_ / "a.hwlock", key_, opt));
      auto m = LockedModel::open(dir_ / "a.hwlock");
      ASSERT_TRUE(m);
      for (unsigned unlock_threads : {1u, 3u}) {
        auto u = m->unlock(key_, unlock_threads);
        ASSERT_TRUE(u) << u.error().message;
        for (const auto& t : orig->header().tensors) {
          const auto* x = u->find(t.name);
          ASSERT_NE(x, nullptr);
          ASSERT_EQ(x->data.size(), t.nbytes());
          EXPECT_TRUE(t.nbytes() == 0 ||
                      std::memcmp(x->data.data(), orig->data(t).data(), t.nbytes()) == 0)
              << t.name << " locked on " << lock_threads << ", unlocked on " << unlock_threads;
        }
      }
    }
  }
}

TEST_F(Container, WrongKeyIsDetected) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  auto m = LockedModel::open(dir_ / "m.hwlock");
  auto u = m->unlock(other_);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::wrong_key);
  EXPECT_NE(u.error().message.find("locked for a different device or key"), std::string::npos);
  auto s = unlock_file(dir_ / "m.hwlock", dir_ / "out", other_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "out"));
}

TEST_F(Container, TamperedHeaderIsDetected) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  test::rewrite_header(dir_ / "m.hwlock", dir_ / "t.hwlock",
                       [](st::Header& h) { h.metadata["seed"] = "tampered"; });
  auto m = LockedModel::open(dir_ / "t.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  auto s = m->check_key(key_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::wrong_key);
}

// The file does not decide its own checks: a reader refuses a container without a key check
// unless it opted in, so the two-edit downgrade (key_check "none", hwlock.mac removed) of a
// checked file is refused with its own error.
TEST_F(Container, DowngradeToNoKeyCheckIsRefusedByDefault) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  test::rewrite_header(dir_ / "m.hwlock", dir_ / "d.hwlock", [](st::Header& h) {
    h.metadata["hwlock.key_check"] = "none";
    h.metadata.erase("hwlock.mac");
    h.metadata["seed"] = "attacker's edit";
  });
  auto m = LockedModel::open(dir_ / "d.hwlock");
  ASSERT_TRUE(m) << m.error().message;
  auto u = m->unlock(key_);
  ASSERT_FALSE(u);
  EXPECT_EQ(u.error().code, Errc::unchecked_refused) << u.error().message;
  EXPECT_NE(u.error().message.find("--allow-unchecked"), std::string::npos);
  auto uf = unlock_file(dir_ / "d.hwlock", dir_ / "u", key_);
  ASSERT_FALSE(uf);
  EXPECT_EQ(uf.error().code, Errc::unchecked_refused);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "u"));
  auto v = verify(dir_ / "d.hwlock", key_, model_);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, Errc::unchecked_refused);
  // A reader that opted in accepts it (it cannot know better): that is the indistinguishable mode.
  auto opted = LockedModel::open(dir_ / "d.hwlock", ReadPolicy{.allow_unchecked = true});
  ASSERT_TRUE(opted);
  EXPECT_TRUE(opted->unlock(key_));
}

TEST_F(Container, NoKeyCheckModeYieldsGarbageForAWrongKey) {
  LockOptions opt;
  opt.key_check = false;
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_, opt));
  auto m = LockedModel::open(dir_ / "m.hwlock", ReadPolicy{.allow_unchecked = true});
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->lock().key_check);
  EXPECT_TRUE(m->lock().key_id.empty());  // a key id would be a cheap key test
  EXPECT_EQ(m->header().metadata.count("hwlock.mac"), 0u);
  auto bad = m->unlock(other_);
  ASSERT_TRUE(bad) << "indistinguishable mode must not reject a wrong key";
  auto orig = st::Reader::open(model_);
  std::size_t same = 0;
  for (const auto& t : orig->header().tensors)
    if (t.nbytes() >= 16)
      same += std::memcmp(bad->find(t.name)->data.data(), orig->data(t).data(), t.nbytes()) == 0;
  EXPECT_EQ(same, 0u);
  auto good = m->unlock(key_);
  ASSERT_TRUE(good);
  for (const auto& t : orig->header().tensors)
    EXPECT_TRUE(t.nbytes() == 0 || std::memcmp(good->find(t.name)->data.data(),
                                               orig->data(t).data(), t.nbytes()) == 0);
}

TEST_F(Container, FreshSaltAndNoncesEveryLock) {
  ASSERT_TRUE(lock_file(model_, dir_ / "a.hwlock", key_));
  ASSERT_TRUE(lock_file(model_, dir_ / "b.hwlock", key_));
  auto a = LockedModel::open(dir_ / "a.hwlock"), b = LockedModel::open(dir_ / "b.hwlock");
  EXPECT_NE(a->lock().salt, b->lock().salt);
  std::set<std::string> nonces;
  for (const auto& [name, t] : a->lock().tensors) nonces.insert(crypto::to_hex(t.nonce));
  EXPECT_EQ(nonces.size(), a->lock().tensors.size());
  EXPECT_EQ(a->lock().key_id, b->lock().key_id);
}

TEST_F(Container, RefusesToLockTwiceOrReservedMetadata) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  auto s = lock_file(dir_ / "m.hwlock", dir_ / "mm.hwlock", key_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::already_locked);
  test::rewrite_header(model_, dir_ / "r.safetensors",
                       [](st::Header& h) { h.metadata["hwlock.note"] = "x"; });
  auto s2 = lock_file(dir_ / "r.safetensors", dir_ / "r.hwlock", key_);
  ASSERT_FALSE(s2);
  EXPECT_EQ(s2.error().code, Errc::already_locked);
}

TEST_F(Container, UnlockingAPlainFileIsNotLocked) {
  auto m = LockedModel::open(model_);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::not_locked);
}

TEST_F(Container, NeverOverwritesInputOrExistingOutput) {
  auto s = lock_file(model_, model_, key_);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::same_file);
  test::write_file(dir_ / "taken", "keep me");
  auto s2 = lock_file(model_, dir_ / "taken", key_);
  ASSERT_FALSE(s2);
  EXPECT_EQ(s2.error().code, Errc::output_exists);
  auto bytes = test::read_file(dir_ / "taken");
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "keep me");
  LockOptions force;
  force.overwrite = true;
  EXPECT_TRUE(lock_file(model_, dir_ / "taken", key_, force));
}

TEST_F(Container, VerifyAgainstOriginal) {
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_));
  auto r = verify(dir_ / "m.hwlock", key_, model_);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->key_checked);
  EXPECT_TRUE(r->compared);
  // Flip one byte of tensor data (not covered by the header MAC): verify names the tensor.
  auto bytes = test::read_file(dir_ / "m.hwlock");
  auto locked = st::Reader::open(dir_ / "m.hwlock");
  const auto* t = locked->header().find("layers.0.mlp.fc.weight");
  ASSERT_NE(t, nullptr);
  bytes[locked->data_start() + t->begin + 5] ^= 0x40;
  test::write_file(dir_ / "flipped.hwlock", std::string(bytes.begin(), bytes.end()));
  auto r2 = verify(dir_ / "flipped.hwlock", key_, model_);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, Errc::verify_mismatch);
  EXPECT_NE(r2.error().message.find("layers.0.mlp.fc.weight"), std::string::npos);
  auto r3 = verify(dir_ / "m.hwlock", other_, model_);
  ASSERT_FALSE(r3);
  EXPECT_EQ(r3.error().code, Errc::wrong_key);
}

TEST_F(Container, ProgressReachesTotal) {
  std::uint64_t last = 0, total = 0;
  int calls = 0;
  LockOptions opt;
  opt.progress = [&](std::uint64_t d, std::uint64_t t) { last = d, total = t, ++calls; };
  ASSERT_TRUE(lock_file(model_, dir_ / "m.hwlock", key_, opt));
  EXPECT_GT(calls, 2);
  EXPECT_EQ(last, total);
  EXPECT_GT(total, 40u << 19);
}

}  // namespace
