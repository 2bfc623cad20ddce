// Shadow units of the quantisation-aware soft lock: fc1 units held inside the authorized format's
// dead zone, so that only the denied formats see them (hwlock/ml/softlock_quant.hpp).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>

#include "hwlock/ml/softlock_quant.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

constexpr std::int64_t kHidden = 256;
constexpr std::int64_t kBlock = 32;  // the OCP MX block: shadows fill whole blocks of fc1
constexpr float kCarrierValue = 256.0f;
constexpr std::int64_t kStatExamples = 4096;

bool contains(const std::vector<std::int64_t>& v, std::int64_t x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// fc1's output row as the authorized format stores it, with the carriers at 256 and `v` at every
// shadow position; true when every shadow is stored as `target`.
bool stored_as(const numfmt::FormatSpec& spec, const std::vector<std::int64_t>& carrier_units,
               const std::vector<std::int64_t>& shadows, float v, float target) {
  auto row = torch::zeros({1, kHidden}, torch::kFloat32);
  for (const auto u : carrier_units) row[0][u] = kCarrierValue;
  for (const auto u : shadows) row[0][u] = v;
  const auto q = fake_quantize(row, spec, QuantLayout::sequence);
  for (const auto u : shadows)
    if (q[0][u].item<float>() != target) return false;
  return true;
}

// Saturation shadows: the smallest power-of-two bracket [v0, ...) the format stores as its
// saturation value, found by bisection; 0 when the format does not saturate (e.g. IEEE fp16,
// which overflows to inf).
Result<ShadowPlan> saturation_plan(const numfmt::FormatSpec& authorized, int blocks) {
  ShadowPlan p;
  p.kind = ShadowKind::saturation;
  p.blocks = blocks;
  p.block_carriers = false;
  const std::vector<std::int64_t> none, shadows = {kHidden - 2};
  const auto q = [&](float v) {
    auto row = torch::zeros({1, kHidden}, torch::kFloat32);
    row[0][kHidden - 2] = v;
    return fake_quantize(row, authorized, QuantLayout::sequence)[0][kHidden - 2].item<float>();
  };
  const float top = q(3.0e38f);
  if (!std::isfinite(top) || top <= 0 || top >= 1.0e30f)
    return fail(Errc::usage, "quantisation lock: " + numfmt::format_name(authorized) +
                                 " neither scales nor saturates: no shadow units expose it");
  float lo = 0.0f, hi = 3.0e38f;
  for (int i = 0; i < 200 && hi - lo > 1e-6f * hi; ++i) {
    const float mid = lo + 0.5f * (hi - lo);
    (q(mid) == top ? hi : lo) = mid;
  }
  p.threshold = hi;
  p.stored = top;
  p.low = 1.2f * hi;
  p.high = 2.0f * hi;
  if (!stored_as(authorized, none, shadows, p.low, top) ||
      !stored_as(authorized, none, shadows, p.high, top))
    return fail(Errc::internal, "quantisation lock: saturation range not stored as one value");
  return p;
}

torch::Tensor named(Net& model, const std::string& name) {
  for (auto& p : model.named_parameters())
    if (p.key() == name) return p.value();
  return {};
}

}  // namespace

Result<ShadowPlan> shadow_plan(const numfmt::FormatSpec& authorized, int blocks) {
  HWLOCK_TRY(numfmt::validate(authorized));
  const auto scaling = numfmt::traits(authorized.format).scaling;
  if (blocks < 1 || blocks > kHidden / kBlock - 1)
    return fail(Errc::usage, "quantisation lock: shadow blocks must be in 1..7");
  if (scaling != numfmt::Scaling::block && scaling != numfmt::Scaling::tensor)
    return detail::guard("shadow plan", [&] { return saturation_plan(authorized, blocks); });
  if (scaling == numfmt::Scaling::block && authorized.block_size != kBlock)
    return fail(Errc::usage, "quantisation lock: shadow units need 32-element blocks (got " +
                                 numfmt::format_name(authorized) + ")");
  ShadowPlan p;
  p.blocks = blocks;
  p.block_carriers = scaling == numfmt::Scaling::block;
  return detail::guard("shadow plan", [&]() -> Result<ShadowPlan> {
    // Provisional positions (the last blocks) to measure the dead zone; insert_shadows moves them
    // to the least used blocks, which changes nothing in the measurement.
    std::vector<std::int64_t> carriers, shadows;
    for (std::int64_t b = kHidden / kBlock - blocks; b < kHidden / kBlock; ++b)
      for (std::int64_t u = b * kBlock; u < (b + 1) * kBlock; ++u) {
        if (p.block_carriers && u == (b + 1) * kBlock - 1)
          carriers.push_back(u);
        else
          shadows.push_back(u);
      }
    if (!p.block_carriers) carriers.push_back(0);
    // Largest v the authorized format stores as 0 next to a carrier (bisection on the real
    // quantiser: 2 for MXINT8, 256/254 for per-tensor int8).
    float lo = 0.0f, hi = kCarrierValue;
    if (!stored_as(authorized, carriers, shadows, 1e-30f, 0.0f))
      return fail(Errc::usage, "quantisation lock: " + numfmt::format_name(authorized) +
                                   " has no dead zone next to a carrier");
    for (int i = 0; i < 60; ++i) {
      const float mid = 0.5f * (lo + hi);
      (stored_as(authorized, carriers, shadows, mid, 0.0f) ? lo : hi) = mid;
    }
    p.threshold = lo;
    p.low = 0.55f * lo;
    p.high = 0.95f * lo;
    return p;
  });
}

Result<ShadowSet> insert_shadows(Net& model, const ShadowPlan& plan, const TensorDataset& train) {
  auto w1 = named(model, "fc1.weight"), b1 = named(model, "fc1.bias");
  auto w2 = named(model, "fc2.weight"), b2 = named(model, "fc2.bias");
  if (!w1.defined() || !w2.defined() || w1.size(0) != kHidden || w2.size(1) != kHidden)
    return fail(Errc::usage,
                "quantisation lock: shadow units need a 256-unit hidden layer fc1 feeding fc2 "
                "(zoo mlp or cnn)");
  if (train.size() == 0) return fail(Errc::usage, "quantisation lock: empty training set");
  return detail::guard("insert shadows", [&]() -> Result<ShadowSet> {
    torch::NoGradGuard no_grad;
    ShadowSet s;
    s.kind = plan.kind;
    s.low = plan.low;
    s.high = plan.high;
    s.stored = plan.stored;
    // The least used blocks of fc1 (smallest outgoing weight mass), never block 0: a tensor-scaled
    // format's carrier sits at unit 0.
    const auto mass = w2.abs().sum(0).view({kHidden / kBlock, kBlock}).sum(1);
    std::vector<std::int64_t> order;
    for (std::int64_t b = 1; b < kHidden / kBlock; ++b) order.push_back(b);
    std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      return mass[a].item<float>() < mass[b].item<float>();
    });
    order.resize(static_cast<std::size_t>(plan.blocks));
    std::sort(order.begin(), order.end());
    for (const auto b : order)
      for (std::int64_t u = b * kBlock; u < (b + 1) * kBlock; ++u) {
        if (plan.block_carriers && u == (b + 1) * kBlock - 1)
          s.carrier_units.push_back(u);
        else
          s.units.push_back(u);
      }
    if (plan.kind == ShadowKind::dead_zone && !plan.block_carriers) s.carrier_units.push_back(0);

    // The largest outgoing weight of the ordinary units bounds the shadows' columns, so that a
    // per-tensor weight scale stays what the ordinary weights need.
    auto ordinary = torch::ones({kHidden}, torch::kBool);
    for (const auto u : s.units) ordinary[u] = false;
    for (const auto u : s.carrier_units) ordinary[u] = false;
    s.weight_bound = w2.index({torch::indexing::Slice(), ordinary}).abs().max().item<float>();

    // Each shadow keeps its own input direction, affinely squeezed into [low, high]: mean at the
    // middle, +-4 standard deviations (over training images) to the ends.
    const auto saved = model.numerics();
    model.set_numerics(std::nullopt);
    const auto x =
        model.fc1_input(train.images.narrow(0, 0, std::min(kStatExamples, train.size())));
    model.set_numerics(saved);
    if (!x) return fail(Errc::usage, "quantisation lock: the model has no fc1 input to measure");
    const float mid = 0.5f * (s.low + s.high), half = 0.5f * (s.high - s.low);
    for (const auto u : s.units) {
      const auto z = torch::matmul(*x, w1[u]) + b1[u];
      const float m = z.mean().item<float>(), sd = z.std().item<float>();
      const float a = sd > 0 ? half / (4 * sd) : 0.0f;
      w1[u].mul_(a);
      b1[u].fill_(a * (b1[u].item<float>() - m) + mid);
      // Their old contribution goes; the lock trains the new one (denied formats only see it).
      w2.select(1, u).zero_();
    }
    for (const auto u : s.carrier_units) {
      w1[u].zero_();
      b1[u].fill_(kCarrierValue);
      w2.select(1, u).zero_();
    }
    (void)b2;
    return s;
  });
}

Status project_shadows(Net& model, const ShadowSet& shadows) {
  auto w2 = named(model, "fc2.weight");
  if (!w2.defined()) return fail(Errc::usage, "quantisation lock: no fc2.weight");
  torch::NoGradGuard no_grad;
  for (const auto u : shadows.units)
    w2.select(1, u).clamp_(-shadows.weight_bound, shadows.weight_bound);
  return {};
}

Status remove_shadows(Net& model, const ShadowSet& shadows, const numfmt::FormatSpec& authorized) {
  auto w1 = named(model, "fc1.weight"), b1 = named(model, "fc1.bias");
  auto w2 = named(model, "fc2.weight"), b2 = named(model, "fc2.bias");
  if (!w1.defined() || !b1.defined() || !w2.defined() || !b2.defined())
    return fail(Errc::usage, "quantisation lock: shadow units need the zoo MLP");
  for (const auto u : shadows.units)
    if (u < 0 || u >= kHidden) return fail(Errc::usage, "remove shadows: unit out of range");
  return detail::guard("remove shadows", [&]() -> Status {
    torch::NoGradGuard no_grad;
    // What the authorized format computes from a shadow: its stored constant times its column
    // as the authorized format stores the weights, i.e. a constant folded into fc2's bias.
    const auto stored_w2 = fake_quantize(w2, authorized, QuantLayout::weight);
    for (const auto u : shadows.units) {
      b2.add_(stored_w2.select(1, u) * shadows.stored);
      w1[u].zero_();
      b1[u].zero_();
      w2.select(1, u).zero_();
    }
    return {};
  });
}

std::string units_to_string(const std::vector<std::int64_t>& units) {
  std::string s;
  for (const auto u : units) s += (s.empty() ? "" : ",") + std::to_string(u);
  return s;
}

Result<std::vector<std::int64_t>> parse_units(std::string_view text) {
  std::vector<std::int64_t> out;
  if (text.empty()) return out;
  for (bool more = true; more;) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text = text.substr(comma + 1);
    std::int64_t u = -1;
    const auto r = std::from_chars(item.data(), item.data() + item.size(), u);
    if (item.empty() || r.ec != std::errc{} || r.ptr != item.data() + item.size() || u < 0 ||
        u >= kHidden || contains(out, u))
      return fail(Errc::usage, "shadow units: bad or repeated unit \"" + std::string(item) + "\"");
    out.push_back(u);
  }
  return out;
}

}  // namespace hwlock::ml
