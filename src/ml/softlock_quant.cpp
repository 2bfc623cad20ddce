// The quantisation-aware soft lock: insert carriers, then fine-tune so that the model is accurate
// only in the authorized number format (objective in hwlock/ml/softlock_quant.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numbers>

#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/train.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

std::optional<Numerics> numerics_for(const numfmt::FormatSpec& spec) {
  if (spec.format == numfmt::Format::fp32) return std::nullopt;
  return Numerics::uniform(spec);
}

Status check(const TensorDataset& train, const TensorDataset& test, const QuantLockOptions& o) {
  HWLOCK_TRY(numfmt::validate(o.authorized));
  for (const auto& d : o.denied) {
    HWLOCK_TRY(numfmt::validate(d));
    if (d == o.authorized)
      return fail(Errc::usage, "quantisation lock: " + numfmt::format_name(d) +
                                   " is both authorized and denied");
  }
  if (o.epochs < 1 || o.batch_size < 1 || !(o.lr > 0) || !(o.lambda >= 0) || !(o.tau > 0))
    return fail(Errc::usage, "quantisation lock: epochs, batch size, lr and tau must be positive");
  if (train.size() == 0 || test.size() == 0)
    return fail(Errc::usage, "quantisation lock: empty training or test set");
  return {};
}

// Every evaluated format: the standard ones, then the authorized and denied ones if new.
std::vector<numfmt::FormatSpec> evaluated_formats(const QuantLockOptions& o) {
  auto specs = standard_quant_formats();
  const auto add = [&](const numfmt::FormatSpec& s) {
    if (std::find(specs.begin(), specs.end(), s) == specs.end()) specs.push_back(s);
  };
  add(o.authorized);
  for (const auto& d : o.denied) add(d);
  return specs;
}

// 1 where a parameter may move, 0 on the carriers' rows, biases and outgoing columns.
std::map<std::string, torch::Tensor> free_masks(Net& model, const std::vector<Carrier>& carriers) {
  std::map<std::string, torch::Tensor> m;
  for (auto& p : model.named_parameters()) m[p.key()] = torch::ones_like(p.value());
  for (const auto& c : carriers) {
    m[c.layer + ".weight"][c.unit].zero_();
    m[c.layer + ".bias"][c.unit].zero_();
    m[c.next + ".weight"].select(1, c.unit).zero_();
  }
  return m;
}

}  // namespace

std::vector<numfmt::FormatSpec> standard_quant_formats() {
  using numfmt::Format;
  std::vector<numfmt::FormatSpec> out;
  for (const auto f :
       {Format::fp32, Format::fp16, Format::bf16, Format::int8, Format::fp8_e4m3, Format::mxint8})
    out.push_back(numfmt::default_spec(f));
  return out;
}

Result<double> accuracy_in(Net& model, const numfmt::FormatSpec& spec, const TensorDataset& data,
                           unsigned threads) {
  HWLOCK_TRY(numfmt::validate(spec));
  const auto saved = model.numerics();
  model.set_numerics(numerics_for(spec));
  EvalOptions eo;
  eo.threads = threads;
  eo.latency_runs = 0;
  auto r = evaluate(model, data, eo);
  model.set_numerics(saved);
  if (!r) return r.error();
  return r->accuracy;
}

Result<QuantLockReport> quant_lock(Net& model, const TensorDataset& train,
                                   const TensorDataset& test, const QuantLockOptions& o) {
  HWLOCK_TRY(check(train, test, o));
  HWLOCK_ASSIGN(CarrierPlan plan, carrier_plan(o.authorized));
  if (o.carriers >= 0) plan.per_layer = o.carriers;
  return detail::guard("quantisation lock", [&]() -> Result<QuantLockReport> {
    const auto start = Clock::now();
    set_threads(o.threads);
    torch::manual_seed(o.seed);
    QuantLockReport rep;
    rep.kind = plan.kind;
    const auto specs = evaluated_formats(o);
    std::vector<numfmt::FormatSpec> denied = o.denied;
    if (denied.empty())
      for (const auto& s : specs)
        if (!(s == o.authorized)) denied.push_back(s);
    for (const auto& s : specs) {
      FormatAccuracy f;
      f.format = numfmt::format_name(s);
      f.authorized = s == o.authorized;
      f.denied = std::find(denied.begin(), denied.end(), s) != denied.end();
      HWLOCK_ASSIGN(f.before, accuracy_in(model, s, test, o.threads));
      rep.formats.push_back(f);
    }
    if (plan.per_layer > 0) {
      HWLOCK_ASSIGN(rep.carriers, insert_carriers(model, plan, o.authorized, o.seed));
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].with_carriers, accuracy_in(model, specs[i], test, o.threads));
    }

    const auto masks = free_masks(model, rep.carriers);
    torch::optim::Adam opt(model.parameters(), torch::optim::AdamOptions(o.lr));
    const std::int64_t n = train.size();
    const std::int64_t batches = (n + o.batch_size - 1) / o.batch_size;
    const double total = static_cast<double>(batches * o.epochs);
    std::int64_t step = 0;
    const auto saved_numerics = model.numerics();
    model.train();
    for (int epoch = 1; epoch <= o.epochs; ++epoch) {
      const auto perm_vec = seeded_permutation(n, o.seed + static_cast<std::uint64_t>(epoch));
      const auto perm = torch::tensor(torch::ArrayRef<std::int64_t>(perm_vec), torch::kInt64);
      QuantLockProgress p{epoch, o.epochs, 0, batches, 0, 0};
      double sum_a = 0, sum_d = 0;
      for (std::int64_t b = 0; b < batches; ++b, ++step) {
        const double lr =
            o.lr * 0.5 * (1 + std::cos(std::numbers::pi * static_cast<double>(step) / total));
        for (auto& g : opt.param_groups()) g.options().set_lr(lr);
        const auto idx =
            perm.narrow(0, b * o.batch_size, std::min(o.batch_size, n - b * o.batch_size));
        const auto x = train.images.index_select(0, idx), y = train.labels.index_select(0, idx);
        opt.zero_grad();
        model.set_numerics(numerics_for(o.authorized));
        const auto ce_a = torch::nn::functional::cross_entropy(model.forward(x), y);
        auto loss = ce_a;
        double ce_d = 0;
        for (const auto& d : denied) {
          model.set_numerics(numerics_for(d));
          const auto ce = torch::nn::functional::cross_entropy(model.forward(x), y);
          loss = loss + o.lambda * torch::relu(o.tau - ce);
          ce_d += ce.item<double>() / static_cast<double>(denied.size());
        }
        loss.backward();
        {
          torch::NoGradGuard no_grad;
          for (auto& prm : model.named_parameters())
            if (prm.value().grad().defined()) prm.value().mutable_grad().mul_(masks.at(prm.key()));
        }
        opt.step();
        sum_a += ce_a.item<double>();
        sum_d += ce_d;
        p.batch = b + 1;
        p.loss_authorized = sum_a / static_cast<double>(b + 1);
        p.loss_denied = sum_d / static_cast<double>(b + 1);
        if (o.progress) o.progress(p);
      }
    }
    model.set_numerics(saved_numerics);
    model.eval();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].after, accuracy_in(model, specs[i], test, o.threads));
    }
    // What the attacker's edits of the visible carriers do (on a copy of the parameters).
    std::vector<std::pair<torch::Tensor, torch::Tensor>> saved;
    {
      torch::NoGradGuard no_grad;
      for (auto& prm : model.parameters()) saved.emplace_back(prm, prm.clone());
    }
    const auto restore = [&] {
      torch::NoGradGuard no_grad;
      for (auto& [prm, copy] : saved) prm.copy_(copy);
    };
    HWLOCK_TRY(remove_carriers(model, rep.carriers));
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].carriers_removed, accuracy_in(model, specs[i], test, o.threads));
    }
    restore();
    HWLOCK_TRY(clamp_carriers(model, rep.carriers, o.authorized));
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].carriers_clamped, accuracy_in(model, specs[i], test, o.threads));
    }
    restore();
    rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return rep;
  });
}

}  // namespace hwlock::ml
