#include <gtest/gtest.h>

#include <cstring>

#include "hwlock/safetensors.hpp"
#include "test_util.hpp"

namespace {

using namespace hwlock;
using hwlock::test::TempDir;

std::string file_with_header(const std::string& json, std::size_t data_bytes) {
  std::string out(8, '\0');
  std::uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) out[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * i));
  return out + json + std::string(data_bytes, '\x01');
}

TEST(DType, TableMatchesTheFormat) {
  EXPECT_EQ(st::kDTypes.size(), 16u);
  for (const auto& d : st::kDTypes) {
    auto parsed = st::parse_dtype(d.name);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(*parsed, d.dtype);
  }
  EXPECT_EQ(st::dtype_size(st::DType::F64), 8u);
  EXPECT_EQ(st::dtype_size(st::DType::BF16), 2u);
  EXPECT_EQ(st::dtype_size(st::DType::F8_E4M3), 1u);
  EXPECT_FALSE(st::parse_dtype("f32"));  // case-sensitive, as the format
}

TEST(Safetensors, WriteReadRoundTripEveryDType) {
  TempDir dir;
  std::vector<std::vector<std::byte>> storage;
  std::vector<st::TensorView> views;
  std::uint64_t k = 0;
  for (const auto& d : st::kDTypes) {
    const std::vector<std::uint64_t> shape{2, 3};
    storage.emplace_back(6 * d.size);
    for (auto& b : storage.back()) b = static_cast<std::byte>(k++ * 31);
    views.push_back({std::string("t_") + std::string(d.name), d.dtype, shape, storage.back()});
  }
  st::Metadata meta{{"format", "pt"}, {"ünïcode", "välue"}};
  ASSERT_TRUE(st::write_file(dir / "m.safetensors", views, meta, false));
  auto r = st::Reader::open(dir / "m.safetensors");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->header().metadata, meta);
  ASSERT_EQ(r->header().tensors.size(), views.size());
  for (const auto& v : views) {
    const auto* t = r->header().find(v.name);
    ASSERT_NE(t, nullptr) << v.name;
    EXPECT_EQ(t->dtype, v.dtype);
    EXPECT_EQ(t->shape, v.shape);
    auto data = r->data(*t);
    ASSERT_EQ(data.size(), v.data.size());
    EXPECT_EQ(std::memcmp(data.data(), v.data.data(), data.size()), 0);
  }
  // Data starts 8-byte aligned (header padded).
  EXPECT_EQ(r->data_start() % 8, 0u);
}

TEST(Safetensors, OutputIsDeterministic) {
  TempDir dir;
  std::vector<std::byte> a(12, std::byte{1}), b(4, std::byte{2});
  std::vector<st::TensorView> v1{{"z", st::DType::F32, {3}, a}, {"a", st::DType::I32, {1}, b}};
  std::vector<st::TensorView> v2{v1[1], v1[0]};
  ASSERT_TRUE(st::write_file(dir / "1", v1, {{"k", "v"}}, false));
  ASSERT_TRUE(st::write_file(dir / "2", v2, {{"k", "v"}}, false));
  EXPECT_EQ(test::read_file(dir / "1"), test::read_file(dir / "2"));
}

TEST(Safetensors, EmptyAndZeroSizeTensors) {
  TempDir dir;
  std::vector<st::TensorView> v{{"empty", st::DType::F32, {0, 5}, {}},
                                {"also_empty", st::DType::BF16, {3, 0}, {}},
                                {"scalar", st::DType::F64, {}, {}}};
  std::vector<std::byte> scalar(8, std::byte{7});
  v[2].data = scalar;
  ASSERT_TRUE(st::write_file(dir / "e", v, {}, false));
  auto r = st::Reader::open(dir / "e");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->header().find("empty")->nbytes(), 0u);
  EXPECT_EQ(r->header().find("scalar")->numel(), 1u);
  EXPECT_EQ(r->header().data_size(), 8u);
}

TEST(Safetensors, NoTensorsAtAll) {
  TempDir dir;
  ASSERT_TRUE(st::write_file(dir / "n", {}, {}, false));
  auto r = st::Reader::open(dir / "n");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->header().tensors.empty());
}

TEST(Safetensors, AcceptsForeignButValidLayouts) {
  // Unsorted keys, whitespace, zero-size tensors sharing an offset, unpadded header.
  const std::string json =
      R"({ "b" : {"dtype":"U8","shape":[2],"data_offsets":[4,6]},)"
      R"("a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
      R"("z":{"dtype":"F16","shape":[0],"data_offsets":[4,4]}, "__metadata__":{"x":"y"}})";
  const std::string file = file_with_header(json, 6);
  std::uint64_t start = 0;
  auto h = st::parse_file(std::as_bytes(std::span(file)), "mem", &start);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->tensors.size(), 3u);
  EXPECT_EQ(h->tensors[0].name, "a");
  EXPECT_EQ(h->tensors[1].name, "z");
  EXPECT_EQ(h->tensors[2].name, "b");
  EXPECT_EQ(start, 8 + json.size());
}

TEST(Safetensors, WriterRejectsInconsistentViews) {
  TempDir dir;
  std::vector<std::byte> three(3);
  std::vector<st::TensorView> v{{"a", st::DType::F32, {1}, three}};
  auto s = st::write_file(dir / "x", v, {}, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::st_size_mismatch);
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));
  std::vector<std::byte> four(4);
  std::vector<st::TensorView> dup{{"a", st::DType::F32, {1}, four},
                                  {"a", st::DType::F32, {1}, four}};
  auto s2 = st::write_file(dir / "x", dup, {}, false);
  ASSERT_FALSE(s2);
  EXPECT_EQ(s2.error().code, Errc::st_duplicate_name);
}

TEST(Safetensors, HeaderAtTheSizeCap) {
  // Exactly at the cap is allowed by the size check (it then fails later for other reasons).
  std::string f(8, '\0');
  const std::uint64_t n = st::kMaxHeaderSize;
  for (int i = 0; i < 8; ++i) f[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * i));
  f += "{}";
  auto h = st::parse_file(std::as_bytes(std::span(f)), "mem", nullptr);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::st_header_past_eof);
}

TEST(Utf8, Validator) {
  EXPECT_TRUE(st::is_valid_utf8("plain"));
  EXPECT_TRUE(st::is_valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
  EXPECT_FALSE(st::is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(st::is_valid_utf8("\xe0\x80\xaf"));      // overlong
  EXPECT_FALSE(st::is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(st::is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(st::is_valid_utf8("\x80"));              // lone continuation
}

}  // namespace
