// Module state <-> safetensors: bit-exact round trips, strict loading, the exception edge.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/safetensors.hpp"
#include "ml/torch_guard.hpp"
#include "test_util.hpp"

namespace {

namespace ml = hwlock::ml;
namespace st = hwlock::st;
using hwlock::Errc;

// Bitwise equality (torch::equal says 0.0 == -0.0 and NaN != NaN; bytes do not).
bool same_bits(const torch::Tensor& a, const torch::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const auto ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

TEST(State, EveryModelRoundTripsBitExactly) {
  hwlock::test::TempDir dir;
  for (const auto& a : ml::kArchs) {
    SCOPED_TRACE(std::string(a.name));
    auto src = ml::make_model(a.arch, 1).value();
    // A few training-mode passes make BatchNorm statistics and num_batches_tracked non-trivial.
    for (int i = 0; i < 2; ++i) (void)src->forward(torch::randn({4, 1, 28, 28}));
    const auto path = dir / (std::string(a.name) + ".safetensors");
    auto saved = ml::save_module(*src, path, {{"model", std::string(a.name)}});
    ASSERT_TRUE(saved.ok()) << saved.error().message;

    // The file holds exactly the state names, with F32 weights and I64 counters.
    auto reader = st::Reader::open(path);
    ASSERT_TRUE(reader.ok()) << reader.error().message;
    const auto state = ml::state_of(*src);
    ASSERT_EQ(reader->header().tensors.size(), state.size());
    for (const auto& [name, t] : state) {
      const auto* info = reader->header().find(name);
      ASSERT_NE(info, nullptr) << name;
      EXPECT_EQ(info->dtype,
                name.ends_with("num_batches_tracked") ? st::DType::I64 : st::DType::F32);
      if (name.ends_with("num_batches_tracked")) {
        const auto bytes = reader->data(*info);
        std::int64_t v = 0;
        std::memcpy(&v, bytes.data(), sizeof v);
        EXPECT_EQ(v, 2) << name;
      }
    }
    EXPECT_EQ(reader->header().metadata.at("model"), a.name);

    auto dst = ml::make_model(a.arch, 2).value();
    auto loaded = ml::load_module(*dst, path);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    const auto after = ml::state_of(*dst);
    ASSERT_EQ(after.size(), state.size());
    for (std::size_t i = 0; i < state.size(); ++i) {
      EXPECT_EQ(after[i].first, state[i].first);
      EXPECT_TRUE(same_bits(after[i].second, state[i].second)) << state[i].first;
    }
    // And so the function is the same.
    src->eval();
    dst->eval();
    const auto x = torch::randn({3, 1, 28, 28});
    EXPECT_TRUE(same_bits(src->forward(x), dst->forward(x)));
  }
}

TEST(State, SpecialValuesSurvive) {
  hwlock::test::TempDir dir;
  const float inf = std::numeric_limits<float>::infinity();
  ml::NamedTensors t{{"f", torch::tensor({-0.0f, inf, -inf, std::numeric_limits<float>::quiet_NaN(),
                                          std::numeric_limits<float>::denorm_min()})},
                     {"empty", torch::zeros({0, 3})},
                     {"i", torch::tensor({std::int64_t{-1}, std::int64_t{1} << 62})},
                     {"h", torch::ones({2}, torch::kFloat16)},
                     {"strided", torch::arange(12, torch::kFloat32).reshape({3, 4}).t()}};
  ASSERT_TRUE(ml::save_safetensors(t, dir / "s.safetensors").ok());
  auto back = ml::load_safetensors(dir / "s.safetensors");
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_EQ(back->size(), t.size());
  for (const auto& [name, orig] : t) {
    const auto it =
        std::find_if(back->begin(), back->end(), [&](const auto& kv) { return kv.first == name; });
    ASSERT_NE(it, back->end()) << name;
    EXPECT_TRUE(same_bits(it->second, orig)) << name;
  }
}

TEST(State, LoadingIsStrict) {
  hwlock::test::TempDir dir;
  auto mlp = ml::make_model(ml::Arch::mlp, 1).value();
  ASSERT_TRUE(ml::save_module(*mlp, dir / "mlp.safetensors").ok());

  // Wrong architecture.
  auto cnn = ml::make_model(ml::Arch::cnn).value();
  auto wrong = ml::load_module(*cnn, dir / "mlp.safetensors");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, Errc::model_mismatch);
  EXPECT_NE(wrong.error().message.find("mlp.safetensors"), std::string::npos)
      << wrong.error().message;

  auto state = ml::state_of(*mlp);
  auto fresh = ml::make_model(ml::Arch::mlp, 9).value();
  const auto before = ml::state_of(*fresh)[0].second.clone();

  auto missing = state;
  missing.pop_back();
  auto r1 = ml::assign_state(*fresh, missing, "x");
  ASSERT_FALSE(r1.ok());
  EXPECT_NE(r1.error().message.find("missing tensor \"fc3.bias\""), std::string::npos)
      << r1.error().message;

  auto extra = state;
  extra.emplace_back("fc4.weight", torch::zeros({1}));
  auto r2 = ml::assign_state(*fresh, extra, "x");
  ASSERT_FALSE(r2.ok());
  EXPECT_NE(r2.error().message.find("unexpected tensor \"fc4.weight\""), std::string::npos)
      << r2.error().message;

  auto shape = state;
  shape[1].second = torch::zeros({255});
  auto r3 = ml::assign_state(*fresh, shape, "x");
  ASSERT_FALSE(r3.ok());
  EXPECT_NE(r3.error().message.find("shape [255]"), std::string::npos) << r3.error().message;

  auto dtype = state;
  dtype[1].second = torch::zeros({256}, torch::kFloat64);
  auto r4 = ml::assign_state(*fresh, dtype, "x");
  ASSERT_FALSE(r4.ok());
  EXPECT_EQ(r4.error().code, Errc::model_mismatch);

  auto dup = state;
  dup.push_back(dup[0]);
  EXPECT_FALSE(ml::assign_state(*fresh, dup, "x").ok());

  // Failed loads change nothing.
  EXPECT_TRUE(same_bits(ml::state_of(*fresh)[0].second, before));
}

TEST(State, WriteErrorsAreValues) {
  hwlock::test::TempDir dir;
  auto mlp = ml::make_model(ml::Arch::mlp).value();
  ASSERT_TRUE(ml::save_module(*mlp, dir / "m.safetensors").ok());
  auto again = ml::save_module(*mlp, dir / "m.safetensors");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, Errc::output_exists);
  EXPECT_TRUE(ml::save_module(*mlp, dir / "m.safetensors", {}, /*overwrite=*/true).ok());
  auto missing = ml::load_module(*mlp, dir / "absent.safetensors");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io_open);
  ml::NamedTensors complex{{"c", torch::zeros({2}, torch::kComplexFloat)}};
  auto unsupported = ml::save_safetensors(complex, dir / "c.safetensors");
  ASSERT_FALSE(unsupported.ok());
  EXPECT_EQ(unsupported.error().code, Errc::model_mismatch);
}

TEST(TorchGuard, LibtorchErrorsBecomeValues) {
  auto r = ml::detail::guard("probe", []() -> hwlock::Status {
    (void)torch::matmul(torch::zeros({2, 3}), torch::zeros({4, 5}));  // throws c10::Error
    return {};
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::torch);
  EXPECT_EQ(r.error().message.rfind("probe: libtorch: ", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().message.find("Exception raised from"), std::string::npos);  // no backtrace
}

}  // namespace
