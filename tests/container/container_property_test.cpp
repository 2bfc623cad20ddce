#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "container_fixture.hpp"
#include "prop_gen.hpp"

namespace {

using namespace hwlock;

RC_GTEST_PROP(ContainerProperty, LockThenUnlockIsIdentity, ()) {
  const auto model = *test::gen_model();
  const auto meta = *test::gen_metadata();
  const bool key_check = *rc::gen::arbitrary<bool>();
  test::TempDir dir;
  RC_ASSERT(st::write_file(dir / "m", test::views(model), meta, false).ok());
  auto key = test::random_source();
  LockOptions opt;
  opt.key_check = key_check;
  opt.threads = *rc::gen::inRange(1u, 4u);
  auto s = lock_file(dir / "m", dir / "l", key, opt);
  RC_ASSERT(s.ok());
  const ReadPolicy policy{.allow_unchecked = !key_check};
  auto locked = LockedModel::open(dir / "l", policy);
  RC_ASSERT(locked.ok());
  auto u = locked->unlock(key);
  RC_ASSERT(u.ok());
  RC_ASSERT(u->metadata() == meta);
  RC_ASSERT(u->tensors().size() == model.size());
  for (const auto& t : model) {
    const auto* ut = u->find(t.name);
    RC_ASSERT(ut != nullptr);
    RC_ASSERT(ut->info->dtype == t.dtype);
    RC_ASSERT(ut->info->shape == t.shape);
    RC_ASSERT(ut->data.size() == t.data.size());
    RC_ASSERT((t.data.empty() || std::memcmp(ut->data.data(), t.data.data(), t.data.size()) == 0));
  }
  UnlockOptions uo;
  uo.policy = policy;
  RC_ASSERT(unlock_file(dir / "l", dir / "u", key, uo).ok());
  auto back = st::Reader::open(dir / "u");
  RC_ASSERT(back.ok());
  RC_ASSERT(back->header().metadata == meta);
}

}  // namespace
