// Sparsity specs and their magnitude masks (the sparsity-aware soft lock).
#include <charconv>
#include <cmath>

#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/train.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

bool prunable(const std::string& name, const torch::Tensor& t) {
  return t.dim() >= 2 && name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0;
}

// Keep n of every m along dim 1 of a 2-D magnitude tensor (a shorter last group keeps n of it).
torch::Tensor nm_mask_2d(const torch::Tensor& mag, int n, int m) {
  const auto rows = mag.size(0), cols = mag.size(1);
  const auto padded = (cols + m - 1) / m * m;
  auto a = mag;
  if (padded != cols) a = torch::cat({a, torch::full({rows, padded - cols}, -1.0f)}, 1);
  auto a3 = a.reshape({rows, padded / m, m});
  const auto idx = std::get<1>(a3.topk(n, -1));
  return torch::zeros_like(a3).scatter_(-1, idx, 1.0f).reshape({rows, padded}).narrow(1, 0, cols);
}

torch::Tensor mask_for(const torch::Tensor& w, const SparsitySpec& s) {
  torch::NoGradGuard no_grad;
  if (s.kind == SparsitySpec::Kind::dense) return torch::ones_like(w);
  const auto mag = w.detach().abs().reshape({w.size(0), -1});
  if (s.kind == SparsitySpec::Kind::unstructured) {
    const auto keep =
        static_cast<std::int64_t>(std::llround(static_cast<double>(mag.numel()) * (1.0 - s.zeros)));
    auto flat = torch::zeros({mag.numel()});
    if (keep > 0) flat.scatter_(0, std::get<1>(mag.flatten().topk(keep)), 1.0f);
    return flat.reshape(w.sizes());
  }
  const auto m2 = s.out_axis ? nm_mask_2d(mag.t().contiguous(), s.n, s.m).t()
                             : nm_mask_2d(mag.contiguous(), s.n, s.m);
  return m2.contiguous().reshape(w.sizes());
}

}  // namespace

Result<SparsitySpec> parse_sparsity(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return fail(Errc::usage, "sparsity \"" + std::string(text) + "\": " + why +
                                 " (expected dense, N:M, N:M@out or unstructured:S)");
  };
  SparsitySpec s;
  if (text == "dense") return s;
  if (text.starts_with("unstructured:")) {
    const std::string v(text.substr(13));
    char* end = nullptr;
    s.kind = SparsitySpec::Kind::unstructured;
    s.zeros = std::strtod(v.c_str(), &end);
    if (v.empty() || end != v.c_str() + v.size() || !(s.zeros > 0 && s.zeros < 1))
      return bad("the zero fraction must be a number strictly between 0 and 1");
    return s;
  }
  s.kind = SparsitySpec::Kind::nm;
  if (text.ends_with("@out")) {
    s.out_axis = true;
    text.remove_suffix(4);
  }
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return bad("unknown form");
  const char* b = text.data();
  if (std::from_chars(b, b + colon, s.n).ptr != b + colon ||
      std::from_chars(b + colon + 1, b + text.size(), s.m).ptr != b + text.size())
    return bad("N and M must be integers");
  if (s.n < 1 || s.n >= s.m || s.m > 64) return bad("need 1 <= N < M <= 64");
  return s;
}

std::string to_string(const SparsitySpec& s) {
  switch (s.kind) {
    case SparsitySpec::Kind::dense:
      return "dense";
    case SparsitySpec::Kind::nm:
      return std::to_string(s.n) + ":" + std::to_string(s.m) + (s.out_axis ? "@out" : "");
    case SparsitySpec::Kind::unstructured: {
      char buf[40];
      std::snprintf(buf, sizeof buf, "unstructured:%g", s.zeros);
      return buf;
    }
  }
  return "?";
}

std::vector<SparsitySpec> standard_sparsities() {
  std::vector<SparsitySpec> out;
  for (const char* t : {"dense", "2:4", "1:4", "1:2", "4:8", "2:8", "2:4@out", "1:4@out",
                        "unstructured:0.5", "unstructured:0.75", "unstructured:0.9"})
    out.push_back(parse_sparsity(t).value());
  return out;
}

Result<Masks> sparsity_masks(Net& model, const SparsitySpec& spec) {
  return detail::guard("sparsity masks", [&]() -> Result<Masks> {
    Masks masks;
    for (const auto& p : model.named_parameters())
      if (prunable(p.key(), p.value())) masks.emplace(p.key(), mask_for(p.value(), spec));
    return masks;
  });
}

Status apply_masks(Net& model, const Masks& masks) {
  return detail::guard("apply masks", [&]() -> Status {
    torch::NoGradGuard no_grad;
    for (auto& p : model.named_parameters())
      if (auto it = masks.find(p.key()); it != masks.end()) p.value().mul_(it->second);
    return {};
  });
}

bool masks_preserve(Net& model, const Masks& masks) {
  torch::NoGradGuard no_grad;
  for (const auto& p : model.named_parameters())
    if (auto it = masks.find(p.key()); it != masks.end())
      if ((p.value() * (1 - it->second)).abs().max().item<float>() != 0.0f) return false;
  return true;
}

Result<double> accuracy_at(Net& model, const SparsitySpec& spec, const TensorDataset& data,
                           unsigned threads) {
  HWLOCK_ASSIGN(auto masks, sparsity_masks(model, spec));
  return detail::guard("accuracy at " + to_string(spec), [&]() -> Result<double> {
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
    {
      torch::NoGradGuard no_grad;
      for (auto& p : model.named_parameters())
        if (masks.count(p.key()) != 0) saved.emplace_back(p.value(), p.value().clone());
    }
    HWLOCK_TRY(apply_masks(model, masks));
    EvalOptions eo;
    eo.threads = threads;
    eo.latency_runs = 0;
    auto r = evaluate(model, data, eo);
    torch::NoGradGuard no_grad;
    for (auto& [param, copy] : saved) param.copy_(copy);
    if (!r) return std::move(r).error();
    return r->accuracy;
  });
}

}  // namespace hwlock::ml
