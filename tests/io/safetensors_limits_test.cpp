// The parser's resource limits (kMaxHeaderDepth, kMaxTensors, kMaxTensorNameSize) and the name
// index: each limit is accepted at the boundary and rejected one past it with its own error.
#include <gtest/gtest.h>

#include <string>

#include "hwlock/safetensors.hpp"
#include "test_util.hpp"

namespace {

using namespace hwlock;

Result<st::Header> parse(const std::string& json, std::uint64_t data_size) {
  return st::parse_header(std::as_bytes(std::span(json)), data_size, "mem.safetensors");
}

// A one-byte U8 tensor entry whose shape is `dim` wrapped in `extra` more arrays.
std::string tensor_with_shape_depth(std::size_t extra) {
  return R"({"w":{"dtype":"U8","shape":)" + std::string(extra + 1, '[') + "1" +
         std::string(extra + 1, ']') + R"(,"data_offsets":[0,1]}})";
}

// `n` one-byte U8 tensors "t0".."t<n-1>" laid out in order.
std::string many_tensors(std::size_t n) {
  std::string json = "{";
  for (std::size_t i = 0; i < n; ++i) {
    const std::string off = std::to_string(i) + "," + std::to_string(i + 1);
    json += (i ? ",\"t" : "\"t") + std::to_string(i) +
            R"(":{"dtype":"U8","shape":[1],"data_offsets":[)" + off + "]}";
  }
  return json + "}";
}

TEST(SafetensorsLimits, DepthOnePastTheLimitIsItsOwnError) {
  // root (1) > entry (2) > shape (3) > extra arrays.
  auto at = parse(tensor_with_shape_depth(st::kMaxHeaderDepth - 3), 1);
  ASSERT_FALSE(at);
  EXPECT_EQ(at.error().code, Errc::st_header_schema) << at.error().message;  // a nested dim
  auto over = parse(tensor_with_shape_depth(st::kMaxHeaderDepth - 2), 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::st_header_too_deep) << over.error().message;
  EXPECT_NE(over.error().message.find("mem.safetensors"), std::string::npos);
  EXPECT_NE(over.error().message.find("nested deeper than 8"), std::string::npos);
}

TEST(SafetensorsLimits, HugeNestingIsRejectedWherever) {
  // A million brackets (2 MB) as a tensor entry and as a metadata value, balanced (valid JSON)
  // and unbalanced: the old parser built all of it before a schema error.
  const std::string deep = std::string(1'000'000, '[') + std::string(1'000'000, ']');
  for (const std::string& json : {"{\"w\":" + deep + "}", "{\"__metadata__\":{\"k\":" + deep + "}}",
                                  "{\"w\":" + std::string(1'000'000, '[')}) {
    auto h = parse(json, 0);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, Errc::st_header_too_deep) << h.error().message;
  }
}

TEST(SafetensorsLimits, TensorCountAtTheCapParsesAndLooksUpByIndex) {
  auto h = parse(many_tensors(st::kMaxTensors), st::kMaxTensors);
  ASSERT_TRUE(h) << h.error().message;
  ASSERT_EQ(h->tensors.size(), st::kMaxTensors);
  // Inspect-style: every name looked up once through the index (Header::find per name would be
  // quadratic: ~3.4e10 compares here).
  const st::TensorIndex index(*h);
  for (std::size_t i = 0; i < st::kMaxTensors; ++i) {
    const auto* t = index.find("t" + std::to_string(i));
    ASSERT_NE(t, nullptr) << i;
    ASSERT_EQ(t->begin, i);
    ASSERT_EQ(index.position(t->name), static_cast<std::size_t>(t - h->tensors.data()));
  }
  EXPECT_EQ(index.find("t" + std::to_string(st::kMaxTensors)), nullptr);
  EXPECT_EQ(index.position("absent"), h->tensors.size());
}

TEST(SafetensorsLimits, OneTensorPastTheCapIsItsOwnError) {
  auto h = parse(many_tensors(st::kMaxTensors + 1), st::kMaxTensors + 1);
  ASSERT_FALSE(h);
  EXPECT_EQ(h.error().code, Errc::st_too_many_tensors) << h.error().message;
  EXPECT_NE(h.error().message.find("262144"), std::string::npos) << h.error().message;
  // __metadata__ is not a tensor: the cap plus metadata still parses.
  std::string json = many_tensors(st::kMaxTensors);
  json.back() = ',';
  json += R"("__metadata__":{"k":"v"}})";
  auto m = parse(json, st::kMaxTensors);
  ASSERT_TRUE(m) << m.error().message;
}

TEST(SafetensorsLimits, NameAtTheLimitParsesOnePastIsItsOwnError) {
  const auto entry = [](const std::string& name) {
    return "{\"" + name + R"(":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}})";
  };
  auto at = parse(entry(std::string(st::kMaxTensorNameSize, 'n')), 1);
  ASSERT_TRUE(at) << at.error().message;
  EXPECT_EQ(at->tensors[0].name.size(), st::kMaxTensorNameSize);
  auto over = parse(entry(std::string(st::kMaxTensorNameSize + 1, 'n')), 1);
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, Errc::st_name_too_long);
  EXPECT_NE(over.error().message.find("mem.safetensors"), std::string::npos);
  EXPECT_NE(over.error().message.find("32748 bytes"), std::string::npos) << over.error().message;
  EXPECT_LT(over.error().message.size(), 500u);  // the name is shortened in the message
  // Bytes are counted after JSON unescaping, as the key derivation sees them; the shortened name
  // is cut at a character boundary.
  std::string e_acute;
  for (std::size_t i = 0; i < st::kMaxTensorNameSize / 2 + 1; ++i) e_acute += "\\u00e9";
  auto escaped = parse(entry(e_acute), 1);
  ASSERT_FALSE(escaped);
  EXPECT_EQ(escaped.error().code, Errc::st_name_too_long) << escaped.error().message;
  EXPECT_TRUE(st::is_valid_utf8(escaped.error().message));
}

TEST(SafetensorsLimits, WriterRefusesWhatTheReaderWouldRefuse) {
  test::TempDir dir;
  std::vector<std::byte> one(1);
  std::vector<st::TensorView> v{
      {std::string(st::kMaxTensorNameSize + 1, 'n'), st::DType::U8, {1}, one}};
  auto s = st::write_file(dir / "x", v, {}, false);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Errc::st_name_too_long);
  std::vector<st::TensorView> many(st::kMaxTensors + 1, st::TensorView{"", st::DType::U8, {0}, {}});
  auto m = st::write_file(dir / "x", many, {}, false);
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().code, Errc::st_too_many_tensors);
  EXPECT_FALSE(std::filesystem::exists(dir / "x"));
}

TEST(SafetensorsTensorIndex, MatchesHeaderFindIncludingDuplicatesInMemory) {
  st::Header h;
  h.tensors = {{"a", st::DType::U8, {1}, 0, 1},
               {"b", st::DType::U8, {1}, 1, 2},
               {"a", st::DType::U8, {1}, 2, 3}};
  const st::TensorIndex index(h);
  for (const char* name : {"a", "b", "c", ""}) EXPECT_EQ(index.find(name), h.find(name)) << name;
  EXPECT_EQ(index.position("a"), 0u);
  EXPECT_EQ(index.position("c"), 3u);
  const st::Header empty;
  EXPECT_EQ(st::TensorIndex(empty).find("a"), nullptr);
}

}  // namespace
