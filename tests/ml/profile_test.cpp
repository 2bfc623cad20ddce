// Device profiles (hwlock/profile.hpp): the shipped profiles, strict parsing, lookup, and a replay
// of malformed files (tests/data/profiles_bad). Runtime only: no libtorch.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <stdlib.h>

#include <map>
#include <nlohmann/json.hpp>

#include "hwlock/profile.hpp"
#include "test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace t = hwlock::test;
using hwlock::DeviceProfile;
using hwlock::Errc;

const fs::path kShipped = fs::path(HWLOCK_TEST_DATA_DIR) / ".." / ".." / "profiles";
const fs::path kBad = fs::path(HWLOCK_TEST_DATA_DIR) / "profiles_bad";

nlohmann::json valid_json() {
  return {{"name", "test-profile"},
          {"description", "d"},
          {"weights", "int8:per-channel"},
          {"activations", "mxfp8-e4m3"},
          {"accumulator", "bf16:sat"},
          {"sparsity", {{"pattern", "2:4"}}},
          {"kernel_path", "k"}};
}

hwlock::Result<DeviceProfile> parse(const nlohmann::json& j) {
  return hwlock::parse_profile(j.dump(), "p.json");
}

TEST(Profile, ShippedProfilesAllParse) {
  const std::vector<std::string> expected{"accel-mxfp4", "accel-mxint8",   "cpu-fp32",
                                          "gpu-bf16",    "gpu-fp16",       "gpu-fp8",
                                          "npu-int8",    "sparse-2of4-gpu"};
  auto all = hwlock::load_all_profiles({kShipped});
  ASSERT_TRUE(all.ok()) << all.error().message;
  std::vector<std::string> names;
  for (const auto& p : *all) {
    names.push_back(p.name);
    EXPECT_FALSE(p.kernel_path.empty()) << p.name;
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_EQ(p.file.stem().string(), p.name);
  }
  EXPECT_EQ(names, expected);  // sorted by file name

  auto cpu = hwlock::find_profile("cpu-fp32", {kShipped});
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  EXPECT_EQ(cpu->summary(), "w=fp32 a=fp32 acc=fp32");
  auto sparse = hwlock::find_profile("sparse-2of4-gpu", {kShipped});
  ASSERT_TRUE(sparse.ok()) << sparse.error().message;
  ASSERT_TRUE(sparse->sparsity.has_value());
  EXPECT_EQ(sparse->sparsity->n, 2);
  EXPECT_EQ(sparse->sparsity->m, 4);
  EXPECT_EQ(sparse->summary(), "w=fp16 a=fp16 acc=fp16 sparsity=2:4");
  auto npu = hwlock::find_profile("npu-int8", {kShipped});
  ASSERT_TRUE(npu.ok()) << npu.error().message;
  EXPECT_EQ(npu->weights.granularity, hwlock::numfmt::Granularity::per_channel);
  EXPECT_FALSE(npu->sparsity.has_value());
}

TEST(Profile, ParsesEveryField) {
  auto p = parse(valid_json());
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->name, "test-profile");
  EXPECT_EQ(p->description, "d");
  EXPECT_EQ(hwlock::numfmt::format_name(p->weights), "int8:per-channel");
  EXPECT_EQ(p->activations.format, hwlock::numfmt::Format::mxfp8_e4m3);
  EXPECT_EQ(hwlock::numfmt::format_name(p->accumulator), "bf16:sat");
  ASSERT_TRUE(p->sparsity.has_value());
  EXPECT_EQ(p->kernel_path, "k");
  // Optional fields may be absent; sparsity may be null.
  auto j = valid_json();
  j.erase("description");
  j["sparsity"] = nullptr;
  auto q = parse(j);
  ASSERT_TRUE(q.ok()) << q.error().message;
  EXPECT_FALSE(q->sparsity.has_value());
  j.erase("sparsity");
  EXPECT_TRUE(parse(j).ok());
}

// Each mutation of a valid profile fails with profile_invalid, naming the file and the field.
TEST(Profile, RejectsEachProblemNamingTheField) {
  struct Case {
    std::function<void(nlohmann::json&)> mutate;
    std::string expect;  // in the message
  };
  const std::vector<Case> cases{
      {[](auto& j) { j["speed"] = 1; }, "unknown field \"speed\""},
      {[](auto& j) { j.erase("name"); }, "missing required field \"name\""},
      {[](auto& j) { j.erase("kernel_path"); }, "missing required field \"kernel_path\""},
      {[](auto& j) { j.erase("accumulator"); }, "missing required field \"accumulator\""},
      {[](auto& j) { j["name"] = "Upper"; }, "field \"name\""},
      {[](auto& j) { j["name"] = "../etc"; }, "field \"name\""},
      {[](auto& j) { j["name"] = std::string(65, 'a'); }, "field \"name\""},
      {[](auto& j) { j["description"] = 3; }, "field \"description\" must be a string"},
      {[](auto& j) { j["weights"] = "fp12"; }, "field \"weights\""},
      {[](auto& j) { j["activations"] = "mxint8:per-channel"; }, "field \"activations\""},
      {[](auto& j) { j["accumulator"] = nullptr; }, "field \"accumulator\" must be a string"},
      {[](auto& j) { j["sparsity"] = "2:4"; }, "field \"sparsity\""},
      {[](auto& j) { j["sparsity"] = nlohmann::json::object(); }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = "4:4"; }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = "0:4"; }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = "2:65"; }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = "2:4:8"; }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = "+2:4"; }, "\"sparsity.pattern\""},
      {[](auto& j) { j["sparsity"]["pattern"] = 2; }, "\"sparsity.pattern\" must be a string"},
      {[](auto& j) { j["sparsity"]["axis"] = 1; }, "unknown field \"sparsity.axis\""},
      {[](auto& j) { j["kernel_path"] = ""; }, "field \"kernel_path\" is empty"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto j = valid_json();
    cases[i].mutate(j);
    auto r = parse(j);
    ASSERT_FALSE(r.ok()) << "case " << i << ": " << j.dump();
    EXPECT_EQ(r.error().code, Errc::profile_invalid) << i;
    EXPECT_EQ(r.error().message.rfind("p.json: ", 0), 0u) << r.error().message;
    EXPECT_NE(r.error().message.find(cases[i].expect), std::string::npos)
        << "case " << i << ": " << r.error().message;
  }
  // Not JSON / not an object / too large.
  for (const std::string text : {"", "{", "[1]", "\"x\"", "{\"name\":\"a\"} trailing"})
    EXPECT_EQ(hwlock::parse_profile(text, "p.json").error().code, Errc::profile_invalid) << text;
  EXPECT_EQ(
      hwlock::parse_profile(std::string(hwlock::kMaxProfileBytes + 1, ' '), "p.json").error().code,
      Errc::profile_invalid);
}

// The malformed files: each fails with profile_invalid and a message naming the file and cause.
TEST(Profile, ReplaysMalformedFiles) {
  const std::map<std::string, std::string> expect{
      {"bad-format.json", "field \"weights\""},
      {"bad-option.json", "field \"weights\""},
      {"bad-pattern.json", "\"sparsity.pattern\""},
      {"bad-utf8.json", "not valid JSON"},
      {"duplicate-key.json", "\"weights\" appears twice"},
      {"empty-kernel.json", "\"kernel_path\" is empty"},
      {"empty.json", "not valid JSON"},
      {"missing-weights.json", "missing required field \"weights\""},
      {"name-mismatch.json", "differs from the file name"},
      {"not-an-object.json", "must be a JSON object"},
      {"sparsity-extra.json", "unknown field \"sparsity.axis\""},
      {"sparsity-string.json", "field \"sparsity\""},
      {"truncated.json", "not valid JSON"},
      {"unknown-field.json", "unknown field \"precision\""},
      {"wrong-type.json", "field \"weights\" must be a string"},
  };
  std::size_t seen = 0;
  for (const auto& entry : fs::directory_iterator(kBad)) {
    const std::string file = entry.path().filename().string();
    ASSERT_TRUE(expect.contains(file)) << "add " << file << " to this test";
    auto r = hwlock::load_profile(entry.path());
    ASSERT_FALSE(r.ok()) << file;
    EXPECT_EQ(r.error().code, Errc::profile_invalid) << file;
    EXPECT_NE(r.error().message.find(entry.path().string()), std::string::npos)
        << r.error().message;
    EXPECT_NE(r.error().message.find(expect.at(file)), std::string::npos) << r.error().message;
    ++seen;
  }
  EXPECT_EQ(seen, expect.size());
  // load_all_profiles stops at the first bad file.
  EXPECT_EQ(hwlock::load_all_profiles({kBad}).error().code, Errc::profile_invalid);
}

TEST(Profile, LookupAndSearchPath) {
  t::TempDir dir;
  auto j = valid_json();
  t::write_file(dir / "test-profile.json", j.dump());
  auto p = hwlock::find_profile("test-profile", {dir.path() / "missing", dir.path()});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->file, dir / "test-profile.json");
  // A path is loaded as is.
  EXPECT_TRUE(hwlock::find_profile((dir / "test-profile.json").string(), {}).ok());
  EXPECT_EQ(hwlock::find_profile((dir / "nope.json").string(), {}).error().code, Errc::io_open);
  auto missing = hwlock::find_profile("gpu-fp16", {dir.path()});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::profile_not_found);
  EXPECT_NE(missing.error().message.find(dir.path().string()), std::string::npos);
  EXPECT_EQ(hwlock::find_profile("Bad Name", {dir.path()}).error().code, Errc::profile_not_found);
  EXPECT_EQ(hwlock::load_all_profiles({dir / "missing"}).error().code, Errc::profile_not_found);
  auto all = hwlock::load_all_profiles({dir / "missing", dir.path()});
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ(all->size(), 1u);

  // --profiles wins over $HWLOCK_PROFILES, which wins over the defaults (which end in the source
  // tree's profiles/, so uninstalled builds find the shipped profiles).
  ::unsetenv("HWLOCK_PROFILES");
  const auto defaults = hwlock::profile_dirs();
  ASSERT_FALSE(defaults.empty());
  EXPECT_TRUE(fs::equivalent(defaults.back(), kShipped));
  EXPECT_TRUE(hwlock::find_profile("gpu-bf16", defaults).ok());
  ::setenv("HWLOCK_PROFILES", dir.path().c_str(), 1);
  EXPECT_EQ(hwlock::profile_dirs(), std::vector<fs::path>{dir.path()});
  EXPECT_EQ(hwlock::profile_dirs("/x"), std::vector<fs::path>{"/x"});
  ::unsetenv("HWLOCK_PROFILES");
}

// Random byte edits of a valid profile never crash: they parse or fail with profile_invalid.
RC_GTEST_PROP(ProfileProp, MutatedTextParsesOrFailsCleanly, ()) {
  std::string text = valid_json().dump();
  const auto edits = *rc::gen::inRange(1, 6);
  for (int i = 0; i < edits; ++i) {
    const auto pos = *rc::gen::inRange<std::size_t>(0, text.size());
    switch (*rc::gen::inRange(0, 3)) {
      case 0:
        text[pos] = *rc::gen::arbitrary<char>();
        break;
      case 1:
        text.erase(pos, 1);
        break;
      default:
        text.insert(pos, 1, *rc::gen::element('{', '}', '"', ':', ',', '[', '0', 'x'));
    }
    if (text.empty()) text = " ";
  }
  auto r = hwlock::parse_profile(text, "p.json");
  RC_ASSERT((r.ok() || r.error().code == Errc::profile_invalid));
  if (r.ok()) RC_ASSERT(hwlock::valid_profile_name(r->name));
}

// Any format string numfmt accepts round-trips through a profile.
RC_GTEST_PROP(ProfileProp, FormatsRoundTrip, ()) {
  const auto& traits = *rc::gen::elementOf(std::vector<hwlock::numfmt::FormatTraits>(
      hwlock::numfmt::kFormats.begin(), hwlock::numfmt::kFormats.end()));
  const std::string name(traits.name);
  const auto n = *rc::gen::inRange(1, 64);
  const auto m = *rc::gen::inRange(n + 1, 65);
  auto j = valid_json();
  j["weights"] = name;
  j["accumulator"] = name;
  j["sparsity"]["pattern"] = std::to_string(n) + ":" + std::to_string(m);
  auto r = parse(j);
  RC_ASSERT(r.ok());
  RC_ASSERT(r->weights == hwlock::numfmt::default_spec(traits.format));
  RC_ASSERT(r->accumulator == hwlock::numfmt::default_spec(traits.format));
  RC_ASSERT(r->sparsity->n == n);
  RC_ASSERT(r->sparsity->m == m);
}

}  // namespace
