#pragma once

#include <gtest/gtest.h>

#include <cstring>

#include "hwlock/container.hpp"
#include "hwlock/synthetic.hpp"
#include "test_util.hpp"

namespace hwlock::test {

inline StaticKeySource random_source() {
  auto k = crypto::SecretKey::generate();
  if (!k) std::abort();
  return StaticKeySource(std::move(*k));
}

// Asserts that two safetensors files hold the same tensors (names, dtypes, shapes, bytes).
inline void expect_same_tensors(const std::filesystem::path& a, const std::filesystem::path& b) {
  auto ra = st::Reader::open(a);
  auto rb = st::Reader::open(b);
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  ASSERT_EQ(ra->header().tensors.size(), rb->header().tensors.size());
  for (const auto& t : ra->header().tensors) {
    const auto* u = rb->header().find(t.name);
    ASSERT_NE(u, nullptr) << t.name;
    EXPECT_EQ(u->dtype, t.dtype);
    EXPECT_EQ(u->shape, t.shape);
    auto da = ra->data(t), db = rb->data(*u);
    ASSERT_EQ(da.size(), db.size());
    EXPECT_TRUE(da.empty() || std::memcmp(da.data(), db.data(), da.size()) == 0) << t.name;
  }
}

// Rewrites a file's header with `edit` applied, keeping the data buffer.
template <class Edit>
void rewrite_header(const std::filesystem::path& in, const std::filesystem::path& out, Edit edit) {
  auto r = st::Reader::open(in);
  ASSERT_TRUE(r) << r.error().message;
  st::Header h = r->header();
  edit(h);
  auto bytes = r->file().bytes().subspan(r->data_start());
  std::string file = st::serialize_header(h);
  file.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  write_file(out, file);
}

}  // namespace hwlock::test
