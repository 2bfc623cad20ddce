// Carriers of the quantisation-aware soft lock: constant hidden units of the zoo MLP whose value
// the authorized format represents differently from the others (hwlock/ml/softlock_quant.hpp).
#include <charconv>
#include <cmath>
#include <string>

#include "hwlock/ml/data.hpp"
#include "hwlock/ml/softlock_quant.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

constexpr std::int64_t kHidden = 256;
constexpr float kScaleValue = 256.0f;
constexpr float kSaturateWeight = 1.0f / 64;

// The value the authorized format stores for `v` as an activation (fake-quantised alone).
float stored_value(const numfmt::FormatSpec& spec, float v) {
  const auto t = torch::full({1, 1}, v, torch::kFloat32);
  return fake_quantize(t, spec, QuantLayout::activation).item<float>();
}

struct Layers {
  torch::Tensor w1, b1, w2, b2, w3, b3;
};

// The zoo MLP's layers; with full = false only fc1 (256 outputs) feeding fc2 is required, which
// the CNN also has (enough to edit fc1 carriers).
Result<Layers> mlp_layers(Net& model, bool full = true) {
  Layers l;
  for (auto& p : model.named_parameters()) {
    const auto& k = p.key();
    if (k == "fc1.weight") l.w1 = p.value();
    if (k == "fc1.bias") l.b1 = p.value();
    if (k == "fc2.weight") l.w2 = p.value();
    if (k == "fc2.bias") l.b2 = p.value();
    if (k == "fc3.weight") l.w3 = p.value();
    if (k == "fc3.bias") l.b3 = p.value();
  }
  const bool fc1 =
      l.w1.defined() && l.w2.defined() && l.w1.size(0) == kHidden && l.w2.size(1) == kHidden;
  if (!fc1 || (full && (!l.w3.defined() || l.w2.size(0) != kHidden || l.w3.size(1) != kHidden)))
    return fail(Errc::usage, "quantisation lock: carriers need the zoo MLP (784-256-256-10)");
  return l;
}

// (weight, bias, next weight, next bias) of a carrier's layer.
std::tuple<torch::Tensor, torch::Tensor, torch::Tensor, torch::Tensor> parts(const Layers& l,
                                                                             const Carrier& c) {
  if (c.layer == "fc1") return {l.w1, l.b1, l.w2, l.b2};
  return {l.w2, l.b2, l.w3, l.b3};
}

Result<float> parse_float(std::string_view s, std::string_view what) {
  // std::from_chars for float is not in every libstdc++ this builds with: go through strtof.
  const std::string copy(s);
  char* end = nullptr;
  const float v = std::strtof(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(v))
    return fail(Errc::usage, "carriers: bad " + std::string(what) + " \"" + copy + "\"");
  return v;
}

}  // namespace

std::string carriers_to_string(const std::vector<Carrier>& carriers) {
  std::string s;
  for (const auto& c : carriers) {
    if (!s.empty()) s += ',';
    char b[96];
    std::snprintf(b, sizeof b, "%s:%lld:%.9g:%.9g", c.layer.c_str(), static_cast<long long>(c.unit),
                  static_cast<double>(c.value), static_cast<double>(c.out_weight));
    s += b;
  }
  return s;
}

Result<std::vector<Carrier>> parse_carriers(std::string_view text) {
  std::vector<Carrier> out;
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    std::vector<std::string_view> f;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= item.size(); ++i)
      if (i == item.size() || item[i] == ':') {
        f.push_back(item.substr(start, i - start));
        start = i + 1;
      }
    if (f.size() != 4 || (f[0] != "fc1" && f[0] != "fc2"))
      return fail(Errc::usage,
                  "carriers: expected layer:unit:value:out_weight with layer fc1 or "
                  "fc2, got \"" +
                      std::string(item) + "\"");
    Carrier c;
    c.layer = std::string(f[0]);
    c.next = c.layer == "fc1" ? "fc2" : "fc3";
    const auto r = std::from_chars(f[1].data(), f[1].data() + f[1].size(), c.unit);
    if (r.ec != std::errc{} || r.ptr != f[1].data() + f[1].size() || c.unit < 0 ||
        c.unit >= kHidden)
      return fail(Errc::usage, "carriers: bad unit \"" + std::string(f[1]) + "\"");
    HWLOCK_ASSIGN(c.value, parse_float(f[2], "value"));
    HWLOCK_ASSIGN(c.out_weight, parse_float(f[3], "out_weight"));
    out.push_back(c);
  }
  return out;
}

Result<CarrierPlan> carrier_plan(const numfmt::FormatSpec& authorized) {
  HWLOCK_TRY(numfmt::validate(authorized));
  const auto scaling = numfmt::traits(authorized.format).scaling;
  if (scaling == numfmt::Scaling::block)
    return CarrierPlan{CarrierKind::scale,
                       static_cast<int>(kHidden / std::max<int>(1, authorized.block_size)),
                       kScaleValue};
  if (scaling == numfmt::Scaling::tensor) return CarrierPlan{CarrierKind::scale, 1, kScaleValue};
  return detail::guard("carrier plan", [&]() -> Result<CarrierPlan> {
    // A power of two the format stores as a different finite value (saturation).
    for (float v = 1024.0f; v <= 1048576.0f; v *= 2) {
      const float q = stored_value(authorized, v);
      if (std::isfinite(q) && q != v) return CarrierPlan{CarrierKind::saturate, 8, v};
    }
    return fail(Errc::usage, "quantisation lock: no carrier exposes " +
                                 numfmt::format_name(authorized) +
                                 " (it neither scales nor saturates; try a :sat variant)");
  });
}

Result<std::vector<Carrier>> insert_carriers(Net& model, const CarrierPlan& plan,
                                             const numfmt::FormatSpec& authorized,
                                             std::uint64_t seed) {
  if (plan.per_layer < 1 || plan.per_layer > kHidden)
    return fail(Errc::usage, "quantisation lock: carriers per layer must be in 1..256");
  HWLOCK_ASSIGN(const Layers l, mlp_layers(model));
  return detail::guard("insert carriers", [&]() -> Result<std::vector<Carrier>> {
    torch::NoGradGuard no_grad;
    const float stored = stored_value(authorized, plan.value);
    std::vector<Carrier> out;
    for (const char* layer : {"fc1", "fc2"})
      for (int i = 0; i < plan.per_layer; ++i) {
        Carrier c;
        c.layer = layer;
        c.next = c.layer == "fc1" ? "fc2" : "fc3";
        c.unit = (static_cast<std::int64_t>(i) + 1) * kHidden / plan.per_layer - 1;
        c.value = plan.value;
        c.out_weight = plan.kind == CarrierKind::saturate ? kSaturateWeight : 0.0f;
        auto [w, b, wn, bn] = parts(l, c);
        w[c.unit].zero_();
        b[c.unit].fill_(c.value);
        auto col = wn.select(1, c.unit);
        if (c.out_weight == 0) {
          col.zero_();
        } else {
          // Seeded signs, one per weight of the column; the next layer's bias absorbs what the
          // authorized format stores, so only other formats see a shift.
          const auto perm = seeded_permutation(col.size(0), seed * 7919 + out.size());
          for (std::int64_t j = 0; j < col.size(0); ++j)
            col[j] = (perm[static_cast<std::size_t>(j)] % 2 == 0 ? 1.0f : -1.0f) * c.out_weight;
          bn.sub_(col * stored);
        }
        out.push_back(c);
      }
    return out;
  });
}

namespace {
bool fc1_only(const std::vector<Carrier>& carriers) {
  for (const auto& c : carriers)
    if (c.layer != "fc1") return false;
  return true;
}
}  // namespace

bool carriers_intact(Net& model, const std::vector<Carrier>& carriers) {
  auto l = mlp_layers(model, !fc1_only(carriers));
  if (!l) return false;
  torch::NoGradGuard no_grad;
  // A carrier's outgoing column crosses the (zero) incoming rows of the next layer's carriers.
  auto fc2_rows = torch::ones({kHidden}, torch::kBool);
  for (const auto& c : carriers)
    if (c.layer == "fc2" && c.unit >= 0 && c.unit < kHidden) fc2_rows[c.unit] = false;
  for (const auto& c : carriers) {
    auto [w, b, wn, bn] = parts(*l, c);
    if (c.unit < 0 || c.unit >= kHidden) return false;
    if (!w[c.unit].eq(0).all().item<bool>() || b[c.unit].item<float>() != c.value) return false;
    auto col = wn.select(1, c.unit);
    if (c.layer == "fc1") col = col.masked_select(fc2_rows);
    if (!col.abs().eq(c.out_weight).all().item<bool>()) return false;
  }
  return true;
}

Status remove_carriers(Net& model, const std::vector<Carrier>& carriers) {
  HWLOCK_ASSIGN(const Layers l, mlp_layers(model, !fc1_only(carriers)));
  return detail::guard("remove carriers", [&]() -> Status {
    torch::NoGradGuard no_grad;
    for (const auto& c : carriers) {
      if (c.unit < 0 || c.unit >= kHidden)
        return fail(Errc::usage, "remove carriers: unit out of range");
      auto [w, b, wn, bn] = parts(l, c);
      b[c.unit].zero_();
      wn.select(1, c.unit).zero_();
    }
    return {};
  });
}

Status clamp_carriers(Net& model, const std::vector<Carrier>& carriers,
                      const numfmt::FormatSpec& authorized) {
  HWLOCK_ASSIGN(const Layers l, mlp_layers(model, !fc1_only(carriers)));
  return detail::guard("clamp carriers", [&]() -> Status {
    torch::NoGradGuard no_grad;
    for (const auto& c : carriers) {
      if (c.unit < 0 || c.unit >= kHidden)
        return fail(Errc::usage, "clamp carriers: unit out of range");
      auto [w, b, wn, bn] = parts(l, c);
      b[c.unit].fill_(stored_value(authorized, c.value));
    }
    return {};
  });
}

}  // namespace hwlock::ml
