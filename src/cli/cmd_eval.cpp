// hwlock eval MODEL.safetensors [--model ARCH] [--limit N] [--json]
// Test-set accuracy of a zoo model on Fashion-MNIST, batched throughput and single-example latency.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"

namespace hwlock::cli {
namespace {

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const auto& a : ml::kArchs) names.emplace_back(a.name);
  return names;
}

struct EvalArgs {
  std::string file, model;
  std::int64_t limit = 0, batch_size = 256;
  unsigned threads = 0;
  bool json = false;
};

// --model, else the "model" metadata `hwlock train` writes.
Result<ml::Arch> resolve_arch(const EvalArgs& a) {
  std::string name = a.model;
  if (name.empty()) {
    HWLOCK_ASSIGN(const st::Reader reader, st::Reader::open(a.file));
    const auto it = reader.header().metadata.find("model");
    if (it == reader.header().metadata.end())
      return fail(Errc::usage,
                  a.file + ": no \"model\" metadata; name the architecture with --model");
    name = it->second;
  }
  const auto arch = ml::parse_arch(name);
  if (!arch) return fail(Errc::usage, "unknown model \"" + name + "\"");
  return *arch;
}

int run_eval(const EvalArgs& a) {
  auto arch = resolve_arch(a);
  if (!arch) return report(arch.error(), a.json);
  auto model = ml::make_model(*arch);
  if (!model) return report(model.error(), a.json);
  if (auto st = ml::load_module(**model, a.file); !st) return report(st.error(), a.json);
  auto test = ml::load_split(idx::Split::test);
  if (!test) return report(test.error(), a.json);
  const ml::TensorDataset data = ml::head(*test, a.limit);
  ml::EvalOptions opt;
  opt.batch_size = a.batch_size;
  opt.threads = a.threads;
  auto r = ml::evaluate(**model, data, opt);
  if (!r) return report(r.error(), a.json);
  const std::string name(ml::arch_name(*arch));
  if (a.json) {
    print_json({{"ok", true},
                {"file", a.file},
                {"model", name},
                {"split", "test"},
                {"examples", r->examples},
                {"correct", r->correct},
                {"accuracy", r->accuracy},
                {"seconds", r->seconds},
                {"examples_per_s", r->examples_per_s},
                {"batch_size", a.batch_size},
                {"latency_ms_batch", r->latency_ms_batch},
                {"latency_ms_single", r->latency_ms_single}});
  } else {
    std::printf("%s (%s): test accuracy %.2f %% (%lld/%lld)\n", a.file.c_str(), name.c_str(),
                100 * r->accuracy, static_cast<long long>(r->correct),
                static_cast<long long>(r->examples));
    std::printf(
        "latency: %.3f ms per example (batch 1, median), %.2f ms per batch of %lld; %.0f "
        "examples/s\n",
        r->latency_ms_single, r->latency_ms_batch, static_cast<long long>(a.batch_size),
        r->examples_per_s);
  }
  return 0;
}

}  // namespace

void register_eval(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand("eval", "Evaluate a trained model on the Fashion-MNIST test set");
  sub->add_option("model_file", args->file, "safetensors weights (hwlock train)")->required();
  sub->add_option("--model", args->model, "Architecture (default: the file's \"model\" metadata)")
      ->check(CLI::IsMember(arch_names()));
  sub->add_option("--limit", args->limit, "Evaluate the first N test examples only (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Examples per forward pass")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{65536}))
      ->capture_default_str();
  sub->add_option("--threads", args->threads, "libtorch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_eval(*args); });
}

}  // namespace hwlock::cli
