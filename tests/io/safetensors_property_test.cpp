#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstring>

#include "hwlock/safetensors.hpp"
#include "prop_gen.hpp"
#include "test_util.hpp"

namespace {

using namespace hwlock;

RC_GTEST_PROP(SafetensorsProperty, WriteThenReadIsIdentity, ()) {
  const auto model = *test::gen_model();
  const auto meta = *test::gen_metadata();
  test::TempDir dir;
  const auto views = test::views(model);
  RC_ASSERT(st::write_file(dir / "m", views, meta, false).ok());
  auto r = st::Reader::open(dir / "m");
  RC_ASSERT(r.ok());
  RC_ASSERT(r->header().metadata == meta);
  RC_ASSERT(r->header().tensors.size() == model.size());
  for (const auto& t : model) {
    const auto* info = r->header().find(t.name);
    RC_ASSERT(info != nullptr);
    RC_ASSERT(info->dtype == t.dtype);
    RC_ASSERT(info->shape == t.shape);
    auto d = r->data(*info);
    RC_ASSERT(d.size() == t.data.size());
    RC_ASSERT((d.empty() || std::memcmp(d.data(), t.data.data(), d.size()) == 0));
  }
  // Deterministic: serialising the parsed header reproduces the file's header bytes.
  const std::string again = st::serialize_header(r->header());
  const auto bytes = r->file().bytes();
  RC_ASSERT(again.size() == r->data_start());
  RC_ASSERT(std::memcmp(again.data(), bytes.data(), again.size()) == 0);
}

RC_GTEST_PROP(SafetensorsProperty, TruncationIsAlwaysRejected, ()) {
  const auto model = *test::gen_model();
  test::TempDir dir;
  RC_ASSERT(st::write_file(dir / "m", test::views(model), {}, false).ok());
  auto bytes = test::read_file(dir / "m");
  const auto cut = *rc::gen::inRange<std::size_t>(0, bytes.size());
  std::uint64_t start = 0;
  auto h = st::parse_file(std::as_bytes(std::span(bytes.data(), cut)), "cut", &start);
  RC_ASSERT(!h.ok());
}

}  // namespace
