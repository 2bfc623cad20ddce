// The quantisation-aware soft lock: insert carriers, then fine-tune so that the model is accurate
// only in the authorized number format (objective in hwlock/ml/softlock_quant.hpp).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>

#include "anticipated_hinge.hpp"
#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/train.hpp"
#include "lock_loop.hpp"
#include "param_snapshot.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

using Clock = std::chrono::steady_clock;

Status check(const TensorDataset& train, const TensorDataset& test, const QuantLockOptions& o) {
  HWLOCK_TRY(numfmt::validate(o.authorized));
  for (const auto& d : o.denied) {
    HWLOCK_TRY(numfmt::validate(d));
    if (d == o.authorized)
      return fail(Errc::usage, "quantisation lock: " + numfmt::format_name(d) +
                                   " is both authorized and denied");
  }
  if (o.epochs < 1 || o.batch_size < 1 || !(o.lr > 0) || !(o.lambda >= 0) || !(o.tau > 0) ||
      o.anticipate_steps < 0 || !(o.anticipate_step_size >= 0))
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
// The shadows' incoming rows are frozen too (their outgoing columns train).
std::map<std::string, torch::Tensor> free_masks(Net& model, const std::vector<Carrier>& carriers,
                                                const ShadowSet& shadows) {
  std::map<std::string, torch::Tensor> m;
  for (auto& p : model.named_parameters()) m[p.key()] = torch::ones_like(p.value());
  for (const auto& c : carriers) {
    m[c.layer + ".weight"][c.unit].zero_();
    m[c.layer + ".bias"][c.unit].zero_();
    m[c.next + ".weight"].select(1, c.unit).zero_();
  }
  for (const auto u : shadows.units) {
    m["fc1.weight"][u].zero_();
    m["fc1.bias"][u].zero_();
  }
  return m;
}

// Shadow blocks asked for, or the default (1 unless the caller asked for the carrier-only lock
// by giving a carrier count).
Result<int> shadow_blocks(const QuantLockOptions& o) {
  if (o.shadow_blocks > 0 && o.carriers >= 0)
    return fail(Errc::usage,
                "quantisation lock: a carrier count selects the carrier-only lock; it cannot be "
                "combined with shadow blocks (shadow blocks place their own carriers)");
  if (o.shadow_blocks >= 0) return o.shadow_blocks;
  return o.carriers < 0 ? 1 : 0;
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
  model.set_numerics(detail::numerics_for(spec));
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
  HWLOCK_ASSIGN(const int blocks, shadow_blocks(o));
  std::optional<ShadowPlan> splan;
  if (blocks > 0) {
    HWLOCK_ASSIGN(splan, shadow_plan(o.authorized, blocks));
  }
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
    if (splan) {
      HWLOCK_ASSIGN(rep.shadows, insert_shadows(model, *splan, train));
      for (const auto u : rep.shadows.carrier_units)
        rep.carriers.push_back(Carrier{"fc1", "fc2", u, plan.value, 0.0f});
    } else if (plan.per_layer > 0) {
      HWLOCK_ASSIGN(rep.carriers, insert_carriers(model, plan, o.authorized, o.seed));
    }
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].with_carriers, accuracy_in(model, specs[i], test, o.threads));
    }

    const auto masks = free_masks(model, rep.carriers, rep.shadows);
    // Per example by default: a batch-mean hinge is met by a few confident mistakes while most
    // examples stay right (docs/SOFTLOCK.md, sparsity lock).
    detail::HingeOptions hinge;
    hinge.tau = o.tau;
    hinge.weight = o.lambda;
    hinge.per_example = o.per_example_hinge;
    hinge.attacker_steps = o.anticipate_steps;
    hinge.attacker_step_size = o.anticipate_step_size;
    const auto saved_numerics = model.numerics();
    const auto batch = [&](const torch::Tensor& x,
                           const torch::Tensor& y) -> Result<detail::LockBatchLosses> {
      model.set_numerics(detail::numerics_for(o.authorized));
      const auto ce_a = torch::nn::functional::cross_entropy(model.forward(x), y);
      ce_a.backward();
      double ce_d = 0;
      for (const auto& d : denied) {
        const auto spec = detail::numerics_for(d);
        ce_d +=
            detail::anticipated_hinge(model, x, y, hinge, [&] { model.set_numerics(spec); }, {}) /
            static_cast<double>(denied.size());
      }
      torch::NoGradGuard no_grad;
      for (auto& prm : model.named_parameters())
        if (prm.value().grad().defined()) prm.value().mutable_grad().mul_(masks.at(prm.key()));
      return detail::LockBatchLosses{ce_a.item<double>(), ce_d};
    };
    HWLOCK_TRY(detail::lock_loop(
        model, train, {o.epochs, o.batch_size, o.lr, o.seed}, batch,
        [&]() -> Status {
          return rep.shadows.units.empty() ? Status{} : project_shadows(model, rep.shadows);
        },
        [&](const detail::LockLoopProgress& lp) {
          if (o.progress)
            o.progress(
                {lp.epoch, lp.epochs, lp.batch, lp.batches, lp.loss_authorized, lp.loss_denied});
        }));
    model.set_numerics(saved_numerics);
    model.eval();
    for (std::size_t i = 0; i < specs.size(); ++i) {
      HWLOCK_ASSIGN(rep.formats[i].after, accuracy_in(model, specs[i], test, o.threads));
    }
    // What the attacker's edits of the visible structure do, each on the locked parameters
    // (restored afterwards).
    const auto after_edit = [&](const std::function<Status()>& edit,
                                double FormatAccuracy::*field) -> Status {
      return detail::with_parameters_restored(model, [&]() -> Status {
        HWLOCK_TRY(edit());
        for (std::size_t i = 0; i < specs.size(); ++i) {
          HWLOCK_ASSIGN(rep.formats[i].*field, accuracy_in(model, specs[i], test, o.threads));
        }
        return {};
      });
    };
    HWLOCK_TRY(after_edit([&] { return remove_carriers(model, rep.carriers); },
                          &FormatAccuracy::carriers_removed));
    HWLOCK_TRY(after_edit([&] { return clamp_carriers(model, rep.carriers, o.authorized); },
                          &FormatAccuracy::carriers_clamped));
    for (auto& f : rep.formats) f.shadows_removed = f.after;
    if (!rep.shadows.units.empty()) {
      HWLOCK_TRY(after_edit([&] { return remove_shadows(model, rep.shadows, o.authorized); },
                            &FormatAccuracy::shadows_removed));
    }
    rep.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return rep;
  });
}

}  // namespace hwlock::ml
