// Structure analysis for shuffle-v1 (src/transform/shuffle_plan.cpp, shuffle_spec.cpp): the zoo's
// couplings, structure specs as hostile input, and what the plan does to a small MLP's function.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "hwlock/shuffle.hpp"
#include "transform/shuffle_keys.hpp"

namespace hwlock {
namespace {

using test::OwnedTensor;
using test::ShuffleKeys;
using transform::Params;

using Model = std::vector<OwnedTensor>;

// Small random normal floats, deterministic per name.
OwnedTensor param(const std::string& name, std::vector<std::uint64_t> shape) {
  std::uint64_t n = 1, seed = std::hash<std::string>{}(name);
  for (auto d : shape) n *= d;
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    x = (static_cast<float>(seed >> 40) / 16777216.0f - 0.5f) * 0.5f;
  }
  return test::f32_tensor(name, std::move(shape), v);
}

void linear(Model& m, const std::string& n, std::uint64_t out, std::uint64_t in) {
  m.push_back(param(n + ".weight", {out, in}));
  m.push_back(param(n + ".bias", {out}));
}
void batchnorm(Model& m, const std::string& n, std::uint64_t c) {
  for (const char* v : {".weight", ".bias", ".running_mean", ".running_var"})
    m.push_back(param(n + v, {c}));
  m.push_back(
      OwnedTensor{n + ".num_batches_tracked", st::DType::I64, {}, std::vector<std::byte>(8)});
}

// As src/ml/mlp.cpp saves it.
Model zoo_mlp() {
  Model m;
  linear(m, "fc1", 256, 784);
  linear(m, "fc2", 256, 256);
  linear(m, "fc3", 10, 256);
  return m;
}
// src/ml/cnn.cpp
Model zoo_cnn() {
  Model m;
  m.push_back(param("conv1.weight", {32, 1, 5, 5}));
  m.push_back(param("conv1.bias", {32}));
  m.push_back(param("conv2.weight", {64, 32, 5, 5}));
  m.push_back(param("conv2.bias", {64}));
  linear(m, "fc1", 256, 1600);
  linear(m, "fc2", 10, 256);
  return m;
}
// src/ml/resnet.cpp (parameters and BatchNorm buffers, torchvision names)
Model zoo_resnet20() {
  Model m;
  m.push_back(param("conv1.weight", {16, 1, 3, 3}));
  batchnorm(m, "bn1", 16);
  std::uint64_t in = 16;
  for (int s = 1; s <= 3; ++s) {
    const std::uint64_t w = 8u << s;
    for (int i = 0; i < 3; ++i) {
      const std::string b = "layer" + std::to_string(s) + "." + std::to_string(i);
      m.push_back(param(b + ".conv1.weight", {w, in, 3, 3}));
      batchnorm(m, b + ".bn1", w);
      m.push_back(param(b + ".conv2.weight", {w, w, 3, 3}));
      batchnorm(m, b + ".bn2", w);
      if (in != w) {
        m.push_back(param(b + ".downsample.0.weight", {w, in, 1, 1}));
        batchnorm(m, b + ".downsample.1", w);
      }
      in = w;
    }
  }
  linear(m, "fc", 10, 64);
  return m;
}
// src/ml/vit.cpp (timm names)
Model zoo_vit() {
  Model m;
  m.push_back(param("patch_embed.proj.weight", {64, 1, 4, 4}));
  m.push_back(param("patch_embed.proj.bias", {64}));
  m.push_back(param("cls_token", {1, 1, 64}));
  m.push_back(param("pos_embed", {1, 50, 64}));
  for (int i = 0; i < 4; ++i) {
    const std::string b = "blocks." + std::to_string(i);
    for (const char* n : {".norm1", ".norm2"}) {
      m.push_back(param(b + n + ".weight", {64}));
      m.push_back(param(b + n + ".bias", {64}));
    }
    linear(m, b + ".attn.qkv", 192, 64);
    linear(m, b + ".attn.proj", 64, 64);
    linear(m, b + ".mlp.fc1", 128, 64);
    linear(m, b + ".mlp.fc2", 64, 128);
  }
  m.push_back(param("norm.weight", {64}));
  m.push_back(param("norm.bias", {64}));
  linear(m, "head", 10, 64);
  return m;
}

std::vector<transform::TensorDesc> descs(const Model& m) {
  std::vector<transform::TensorDesc> d;
  for (const auto& t : m) d.push_back(t.desc());
  return d;
}

// Locks every tensor of `m` under `plan` (shuffle-v1); returns the locked model and the params.
std::pair<Model, std::map<std::string, Params>> lock_model(const Model& m,
                                                           const transform::ShufflePlan& plan,
                                                           const ShuffleKeys& k) {
  const auto& s = *transform::find_scheme("shuffle-v1");
  Model locked = m;
  std::map<std::string, Params> params;
  for (std::size_t i = 0; i < m.size(); ++i) {
    auto p = s.lock(m[i].desc(), k.keys(), plan.requests.at(m[i].name), m[i].data, locked[i].data);
    EXPECT_TRUE(p.ok()) << m[i].name << ": " << p.error().message;
    if (p.ok()) params[m[i].name] = *p;
  }
  return {locked, params};
}

Model unlock_model(const Model& locked, const std::map<std::string, Params>& params,
                   const ShuffleKeys& k) {
  const auto& s = *transform::find_scheme("shuffle-v1");
  Model out = locked;
  for (std::size_t i = 0; i < locked.size(); ++i)
    EXPECT_TRUE(transform::decode_tensor(s, locked[i].desc(), k.keys(), params.at(locked[i].name),
                                         locked[i].data, out[i].data)
                    .ok());
  return out;
}

const OwnedTensor& get(const Model& m, const std::string& name) {
  for (const auto& t : m)
    if (t.name == name) return t;
  ADD_FAILURE() << "no tensor " << name;
  return m.front();
}

// y = W x + b, then ReLU unless last.
std::vector<float> mlp_forward(const Model& m, std::vector<float> x,
                               const std::vector<std::string>& layers) {
  for (std::size_t l = 0; l < layers.size(); ++l) {
    const auto w = test::as_floats(get(m, layers[l] + ".weight").data);
    const auto b = test::as_floats(get(m, layers[l] + ".bias").data);
    std::vector<float> y(b);
    for (std::size_t o = 0; o < y.size(); ++o)
      for (std::size_t i = 0; i < x.size(); ++i) y[o] += w[o * x.size() + i] * x[i];
    if (l + 1 < layers.size())
      for (auto& v : y) v = std::max(v, 0.0f);
    x = std::move(y);
  }
  return x;
}

float max_diff(const std::vector<float>& a, const std::vector<float>& b) {
  float d = 0;
  for (std::size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

struct ZooCase {
  const char* arch;
  Model (*make)();
};
class ShufflePlanZoo : public testing::TestWithParam<ZooCase> {};

TEST_P(ShufflePlanZoo, RecognisedLockedAndRestored) {
  const Model m = GetParam().make();
  EXPECT_EQ(transform::recognise_zoo_arch(descs(m)), std::string_view(GetParam().arch));
  auto plan = transform::plan_for_zoo(descs(m));
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->arch, GetParam().arch);
  EXPECT_EQ(plan->requests.size(), m.size());
  const ShuffleKeys k;
  auto [locked, params] = lock_model(m, *plan, k);
  std::size_t changed = 0, float_tensors = 0, small_groups_only = 0;
  for (std::size_t i = 0; i < m.size(); ++i) {
    changed += locked[i].data != m[i].data;
    float_tensors += m[i].dtype == st::DType::F32 && m[i].data.size() > 4;
    // ViT's qkv.bias is only in its block's heads group: 4 heads, so 1 key in 24 leaves it as it
    // is.
    small_groups_only += m[i].name.ends_with("attn.qkv.bias");
  }
  // Everything but the classifier's bias is permuted somewhere.
  EXPECT_GE(changed, float_tensors - 1 - small_groups_only);
  EXPECT_EQ(plan->permuted_tensors, float_tensors - 1);
  const Model back = unlock_model(locked, params, k);
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(back[i].data, m[i].data) << m[i].name;
}

INSTANTIATE_TEST_SUITE_P(Models, ShufflePlanZoo,
                         testing::Values(ZooCase{"mlp", zoo_mlp}, ZooCase{"cnn", zoo_cnn},
                                         ZooCase{"resnet20", zoo_resnet20},
                                         ZooCase{"vit-tiny", zoo_vit}),
                         [](const auto& i) {
                           std::string n = i.param.arch;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

TEST(ShufflePlan, ZooCouplingsAsDocumented) {
  auto cnn = transform::plan_for_zoo(descs(zoo_cnn()));
  ASSERT_TRUE(cnn.ok());
  EXPECT_EQ(cnn->requests.at("fc1.weight")["axes"][1],
            Params::parse(R"({"group":"conv2","side":"out","block":25,"tile":1,"scale":true})"));
  EXPECT_EQ(cnn->requests.at("conv1.weight")["axes"][1], nullptr);  // the data
  EXPECT_EQ(cnn->requests.at("fc2.weight")["axes"][0], nullptr);    // the labels
  auto vit = transform::plan_for_zoo(descs(zoo_vit()));
  ASSERT_TRUE(vit.ok());
  EXPECT_EQ(
      vit->requests.at("blocks.2.attn.qkv.weight")["axes"][0],
      Params::parse(
          R"({"group":"blocks.2.attn.heads","side":"in","block":16,"tile":3,"scale":false})"));
  EXPECT_EQ(vit->requests.at("pos_embed")["axes"][2]["group"], "stream");
  auto res = transform::plan_for_zoo(descs(zoo_resnet20()));
  ASSERT_TRUE(res.ok());
  EXPECT_EQ(res->requests.at("layer2.0.bn1.weight")["axes"][0]["scale"], true);
  EXPECT_EQ(res->requests.at("layer2.0.bn1.running_var")["axes"][0]["scale"], false);
  EXPECT_EQ(res->requests.at("layer3.0.downsample.0.weight")["axes"][1]["group"], "layer2.stream");
  EXPECT_EQ(res->requests.at("bn1.num_batches_tracked")["axes"], Params::array());
}

TEST(ShufflePlan, UnknownArchitectureIsRefused) {
  Model m = zoo_mlp();
  m.push_back(param("extra", {3}));
  EXPECT_EQ(transform::recognise_zoo_arch(descs(m)), std::nullopt);
  auto plan = transform::plan_for_zoo(descs(m));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, Errc::structure_invalid);
  EXPECT_NE(plan.error().message.find("--structure"), std::string::npos);
  EXPECT_NE(plan.error().message.find("shuffle-free"), std::string::npos);
  Model wide = zoo_mlp();
  wide[0] = param("fc1.weight", {256, 785});  // same names, other shapes
  EXPECT_FALSE(transform::plan_for_zoo(descs(wide)).ok());
}

TEST(ShufflePlan, ZooMlpLockedComputesGarbageAndUnlocksExactly) {
  const Model m = zoo_mlp();
  auto plan = transform::plan_for_zoo(descs(m));
  ASSERT_TRUE(plan.ok());
  const ShuffleKeys k;
  auto [locked, params] = lock_model(m, *plan, k);
  std::vector<float> x(784);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 37) % 101) / 101.0f;
  const std::vector<std::string> layers{"fc1", "fc2", "fc3"};
  const auto y = mlp_forward(m, x, layers);
  EXPECT_GT(max_diff(y, mlp_forward(locked, x, layers)), 0.05f);
  const Model back = unlock_model(locked, params, k);
  for (std::size_t i = 0; i < m.size(); ++i) ASSERT_EQ(back[i].data, m[i].data);
  EXPECT_EQ(mlp_forward(back, x, layers), y);
}

// 8-16-4 through a spec. With fc2's columns on the "in" side (the permutation fc1's rows got) and
// no scaling the function survives the permutation; the "out" side is what breaks it.
TEST(ShufflePlan, DisagreeingSidesAreWhatBreaksTheFunction) {
  Model m;
  linear(m, "fc1", 16, 8);
  linear(m, "fc2", 4, 16);
  auto spec = Params::parse(R"({"hwlock_structure":1,"groups":[{"name":"hidden","in":[
      {"tensor":"fc1.weight","axis":0},{"tensor":"fc1.bias","axis":0}],
      "out":[{"tensor":"fc2.weight","axis":1}]}]})");
  auto plan = transform::plan_from_spec(spec, descs(m), "mlp.json");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  const std::vector<float> x{0.5f, -1, 0.25f, 2, -0.75f, 1, 0.1f, -0.3f};
  const std::vector<std::string> layers{"fc1", "fc2"};
  const auto y = mlp_forward(m, x, layers);
  const ShuffleKeys k;
  auto [locked, params] = lock_model(m, *plan, k);
  EXPECT_GT(max_diff(y, mlp_forward(locked, x, layers)), 1e-2f);
  auto consistent = *plan;
  consistent.requests["fc2.weight"]["axes"][1]["side"] = "in";
  auto [same, p2] = lock_model(m, consistent, k);
  EXPECT_NE(get(same, "fc2.weight").data, get(m, "fc2.weight").data);
  EXPECT_LT(max_diff(y, mlp_forward(same, x, layers)), 1e-5f);
  // Scaling on both sides, consistent permutation: independent exponents still break it.
  auto scaled = consistent;
  for (const char* n : {"fc1.weight", "fc1.bias"}) scaled.requests[n]["axes"][0]["scale"] = true;
  scaled.requests["fc2.weight"]["axes"][1]["scale"] = true;
  auto [sc, p3] = lock_model(m, scaled, k);
  EXPECT_GT(max_diff(y, mlp_forward(sc, x, layers)), 1e-2f);
  const Model back = unlock_model(sc, p3, k);
  for (std::size_t i = 0; i < m.size(); ++i) EXPECT_EQ(back[i].data, m[i].data);
}

// Structure specs: one case per error, all structure_invalid naming the spec and the cause.
struct BadSpec {
  const char* label;
  const char* json;
  const char* cause;
};
class ShufflePlanBadSpec : public testing::TestWithParam<BadSpec> {};

TEST_P(ShufflePlanBadSpec, Rejected) {
  Model m;
  linear(m, "fc1", 6, 4);
  linear(m, "fc2", 3, 6);
  m.push_back(OwnedTensor{"steps", st::DType::I64, {6}, std::vector<std::byte>(48)});
  auto plan = transform::plan_from_spec_text(GetParam().json, descs(m), "spec.json");
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.error().code, Errc::structure_invalid);
  EXPECT_TRUE(plan.error().message.starts_with("spec.json: ")) << plan.error().message;
  EXPECT_NE(plan.error().message.find(GetParam().cause), std::string::npos) << plan.error().message;
}

#define HL_GROUP(in, out) \
  R"({"hwlock_structure":1,"groups":[{"name":"h","in":[)" in R"(],"out":[)" out R"(]}]})"
#define HL_OK_IN R"({"tensor":"fc1.weight","axis":0})"
#define HL_OK_OUT R"({"tensor":"fc2.weight","axis":1})"

INSTANTIATE_TEST_SUITE_P(
    Cases, ShufflePlanBadSpec,
    testing::Values(
        BadSpec{"bad_json", "{", "not valid JSON"}, BadSpec{"not_object", "[]", "top level"},
        BadSpec{"unknown_field", R"({"hwlock_structure":1,"groups":[],"x":0})", "x: unknown"},
        BadSpec{"version_missing", R"({"groups":[]})", "hwlock_structure"},
        BadSpec{"version_2", R"({"hwlock_structure":2,"groups":[]})", "hwlock_structure"},
        BadSpec{"groups_missing", R"({"hwlock_structure":1})", "groups: missing"},
        BadSpec{"groups_empty", R"({"hwlock_structure":1,"groups":[]})", "no groups"},
        BadSpec{"group_not_object", R"({"hwlock_structure":1,"groups":[3]})", "groups[0]"},
        BadSpec{"group_unknown_field",
                R"({"hwlock_structure":1,"groups":[{"name":"h","in":[],"out":[],"z":1}]})",
                "groups[0].z"},
        BadSpec{"name_missing", R"({"hwlock_structure":1,"groups":[{"in":[],"out":[]}]})",
                "groups[0].name"},
        BadSpec{"name_empty",
                R"({"hwlock_structure":1,"groups":[{"name":"","in":[)" HL_OK_IN
                R"(],"out":[)" HL_OK_OUT R"(]}]})",
                "groups[0].name"},
        BadSpec{"name_twice",
                R"({"hwlock_structure":1,"groups":[{"name":"h","in":[)" HL_OK_IN
                R"(],"out":[)" HL_OK_OUT R"(]},{"name":"h","in":[{"tensor":"fc1.bias","axis":0}],
                "out":[{"tensor":"fc2.weight","axis":0}]}]})",
                "names two groups"},
        BadSpec{"in_missing", R"({"hwlock_structure":1,"groups":[{"name":"h","out":[]}]})",
                "groups[0].in"},
        BadSpec{"out_empty", HL_GROUP(HL_OK_IN, ""), "groups[0].out: empty"},
        BadSpec{"scale_not_bool",
                R"({"hwlock_structure":1,"groups":[{"name":"h","scale":"yes","in":[],"out":[]}]})",
                "groups[0].scale"},
        BadSpec{"member_unknown_field",
                HL_GROUP(R"({"tensor":"fc1.weight","axis":0,"q":1})", HL_OK_OUT),
                "groups[0].in[0].q"},
        BadSpec{"tensor_missing", HL_GROUP(R"({"tensor":"fc9.weight","axis":0})", HL_OK_OUT),
                "no tensor \"fc9.weight\""},
        BadSpec{"tensor_not_string", HL_GROUP(R"({"tensor":1,"axis":0})", HL_OK_OUT),
                "in[0].tensor"},
        BadSpec{"axis_out_of_range", HL_GROUP(R"({"tensor":"fc1.bias","axis":1})", HL_OK_OUT),
                "has rank 1"},
        BadSpec{"axis_negative", HL_GROUP(R"({"tensor":"fc1.bias","axis":-1})", HL_OK_OUT),
                "in[0].axis"},
        BadSpec{"block_zero", HL_GROUP(R"({"tensor":"fc1.weight","axis":0,"block":0})", HL_OK_OUT),
                "in[0].block"},
        BadSpec{"block_not_dividing",
                HL_GROUP(R"({"tensor":"fc1.weight","axis":0,"block":4})", HL_OK_OUT),
                "does not divide"},
        BadSpec{"lengths_disagree", HL_GROUP(HL_OK_IN, R"({"tensor":"fc2.weight","axis":0})"),
                "has 3 units"},
        BadSpec{"lengths_disagree_after_blocks",
                HL_GROUP(HL_OK_IN, R"({"tensor":"fc2.weight","axis":1,"block":2})"), "has 3 units"},
        BadSpec{"axis_claimed_twice",
                HL_GROUP(HL_OK_IN R"(,{"tensor":"fc1.bias","axis":0})",
                         HL_OK_OUT R"(,{"tensor":"fc1.weight","axis":0})"),
                "already claimed by groups[0].in[0]"},
        BadSpec{"scale_on_integer_tensor",
                HL_GROUP(R"({"tensor":"steps","axis":0,"scale":true})", HL_OK_OUT), "float dtype"}),
    [](const testing::TestParamInfo<BadSpec>& i) { return std::string(i.param.label); });

TEST(ShufflePlan, SpecPlanCoversEveryTensor) {
  Model m;
  linear(m, "fc1", 6, 4);
  linear(m, "fc2", 3, 6);
  auto plan = transform::plan_from_spec_text(
      HL_GROUP(HL_OK_IN R"(,{"tensor":"fc1.bias","axis":0,"scale":true})", HL_OK_OUT), descs(m),
      "spec.json");
  ASSERT_TRUE(plan.ok()) << plan.error().message;
  EXPECT_EQ(plan->arch, "spec");
  EXPECT_EQ(plan->groups, 1u);
  EXPECT_EQ(plan->permuted_tensors, 3u);
  EXPECT_EQ(plan->requests.at("fc2.bias"), Params::parse(R"({"axes":[null]})"));
  EXPECT_EQ(plan->requests.at("fc1.bias")["axes"][0]["scale"], true);
  EXPECT_EQ(plan->requests.at("fc1.weight")["axes"][0]["scale"], false);
}

}  // namespace
}  // namespace hwlock
