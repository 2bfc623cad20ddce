// hwlock eval MODEL.safetensors [--model ARCH] [--limit N] [--profile P|all] [--profiles DIR]
//                               [--json]
// Test-set accuracy of a zoo model on Fashion-MNIST, batched throughput and single-example latency,
// natively (fp32) or with a device profile's numerics emulated (hwlock/profile.hpp). `--profile
// all` evaluates every profile of the profile directory and prints the matrix.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "hwlock/profile.hpp"
#include "ml_common.hpp"

namespace hwlock::cli {
namespace {

std::vector<std::string> arch_names() {
  std::vector<std::string> names;
  for (const auto& a : ml::kArchs) names.emplace_back(a.name);
  return names;
}

struct EvalArgs {
  std::string file, model, profile, profiles_dir;
  std::int64_t limit = 0, batch_size = 256;
  unsigned threads = 0;
  int latency_runs = 50;
  bool json = false;
};

// The profiles --profile names: none (native fp32), one, or all of the profile directory.
Result<std::vector<DeviceProfile>> resolve_profiles(const EvalArgs& a) {
  if (a.profile.empty()) return std::vector<DeviceProfile>{};
  const auto dirs = profile_dirs(a.profiles_dir);
  if (a.profile == "all") return load_all_profiles(dirs);
  HWLOCK_ASSIGN(DeviceProfile p, find_profile(a.profile, dirs));
  return std::vector<DeviceProfile>{std::move(p)};
}

nlohmann::json profile_json(const DeviceProfile& p) {
  nlohmann::json sparsity = nullptr;
  if (p.sparsity)
    sparsity = {{"pattern", std::to_string(p.sparsity->n) + ":" + std::to_string(p.sparsity->m)}};
  return {{"name", p.name},
          {"description", p.description},
          {"weights", numfmt::format_name(p.weights)},
          {"activations", numfmt::format_name(p.activations)},
          {"accumulator", numfmt::format_name(p.accumulator)},
          {"sparsity", sparsity},
          {"kernel_path", p.kernel_path},
          {"file", p.file.string()}};
}

nlohmann::json report_json(const ml::EvalReport& r) {
  return {{"examples", r.examples},
          {"correct", r.correct},
          {"accuracy", r.accuracy},
          {"seconds", r.seconds},
          {"examples_per_s", r.examples_per_s},
          {"latency_ms_batch", r.latency_ms_batch},
          {"latency_ms_single", r.latency_ms_single}};
}

void print_single(const EvalArgs& a, const std::string& name, const ml::EvalReport& r,
                  const DeviceProfile* profile) {
  if (a.json) {
    nlohmann::json j = {{"ok", true}, {"file", a.file}, {"model", name}, {"split", "test"}};
    j.update(report_json(r));
    j["batch_size"] = a.batch_size;
    if (profile != nullptr) j["profile"] = profile_json(*profile);
    print_json(j);
    return;
  }
  std::printf("%s (%s)", a.file.c_str(), name.c_str());
  if (profile != nullptr)
    std::printf(" on profile %s [%s]", profile->name.c_str(), profile->summary().c_str());
  std::printf(": test accuracy %.2f %% (%lld/%lld)\n", 100 * r.accuracy,
              static_cast<long long>(r.correct), static_cast<long long>(r.examples));
  std::printf(
      "latency: %.3f ms per example (batch 1, median), %.2f ms per batch of %lld; %.0f "
      "examples/s\n",
      r.latency_ms_single, r.latency_ms_batch, static_cast<long long>(a.batch_size),
      r.examples_per_s);
}

void print_matrix(const EvalArgs& a, const std::string& name,
                  const std::vector<DeviceProfile>& profiles,
                  const std::vector<ml::EvalReport>& reports) {
  if (a.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t i = 0; i < profiles.size(); ++i) {
      nlohmann::json row = profile_json(profiles[i]);
      row.update(report_json(reports[i]));
      rows.push_back(row);
    }
    print_json({{"ok", true},
                {"file", a.file},
                {"model", name},
                {"split", "test"},
                {"examples", reports.front().examples},
                {"batch_size", a.batch_size},
                {"profiles", rows}});
    return;
  }
  std::printf("%s (%s), %lld test examples\n", a.file.c_str(), name.c_str(),
              static_cast<long long>(reports.front().examples));
  std::printf("%-18s %-44s %9s %12s %12s\n", "profile", "numerics", "accuracy", "ms/example",
              "examples/s");
  for (std::size_t i = 0; i < profiles.size(); ++i)
    std::printf("%-18s %-44s %8.2f%% %12.3f %12.0f\n", profiles[i].name.c_str(),
                profiles[i].summary().c_str(), 100 * reports[i].accuracy,
                reports[i].latency_ms_single, reports[i].examples_per_s);
}

int run_eval(const EvalArgs& a) {
  auto arch = resolve_model_arch(a.file, a.model);
  if (!arch) return report(arch.error(), a.json);
  auto profiles = resolve_profiles(a);  // before the slow parts: a bad profile fails fast
  if (!profiles) return report(profiles.error(), a.json);
  auto model = ml::make_model(*arch);
  if (!model) return report(model.error(), a.json);
  if (auto st = ml::load_module(**model, a.file); !st) return report(st.error(), a.json);
  auto test = ml::load_split(idx::Split::test);
  if (!test) return report(test.error(), a.json);
  const ml::TensorDataset data = ml::head(*test, a.limit);
  ml::EvalOptions opt;
  opt.batch_size = a.batch_size;
  opt.threads = a.threads;
  opt.latency_runs = a.latency_runs;
  const std::string name(ml::arch_name(*arch));
  if (profiles->empty()) {
    auto r = ml::evaluate(**model, data, opt);
    if (!r) return report(r.error(), a.json);
    print_single(a, name, *r, nullptr);
    return 0;
  }
  std::vector<ml::EvalReport> reports;
  for (const auto& p : *profiles) {
    (*model)->set_numerics(ml::numerics_of(p));
    auto r = ml::evaluate(**model, data, opt);
    if (!r) return report(r.error(), a.json);
    reports.push_back(*r);
  }
  if (a.profile == "all")
    print_matrix(a, name, *profiles, reports);
  else
    print_single(a, name, reports.front(), &profiles->front());
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
  sub->add_option("--latency-runs", args->latency_runs,
                  "Single-example passes timed for the latency figure (0 = skip)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  sub->add_option("--profile", args->profile,
                  "Emulate a device profile's numerics: a name, a .json path, or \"all\" (the "
                  "matrix over every profile)");
  sub->add_option("--profiles", args->profiles_dir,
                  "Profile directory (default: $HWLOCK_PROFILES, else the installed/source "
                  "profiles/)");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_eval(*args); });
}

}  // namespace hwlock::cli
