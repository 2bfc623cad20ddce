// hwlock train --model ARCH [--epochs N] [--seed S] [--limit N] -o OUT.safetensors [--json] ...
// Trains a zoo model on Fashion-MNIST (train split minus a seeded validation hold-out) and saves
// its parameters and buffers to safetensors. Progress (epoch, batch, loss, examples/s) on stderr.
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
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

struct TrainArgs {
  std::string model, out, optimizer = "adam";
  int epochs = 3;
  std::uint64_t seed = 0;
  std::int64_t limit = 0, batch_size = 64, validation = ml::kDefaultValidationSize;
  double lr = 2e-3, weight_decay = 0;
  unsigned threads = 0;
  bool force = false, json = false;
};

// Live progress on a terminal (or with HWLOCK_PROGRESS=1); otherwise a line every 10 s. One line
// per finished epoch in both cases.
class TrainProgressLine {
 public:
  TrainProgressLine()
      : live_(::isatty(STDERR_FILENO) != 0 || (std::getenv("HWLOCK_PROGRESS") != nullptr &&
                                               std::string(std::getenv("HWLOCK_PROGRESS")) == "1")),
        last_(std::chrono::steady_clock::now()) {}

  void operator()(const ml::TrainProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    if (p.epoch_end) {
      std::fprintf(stderr, "%sepoch %d/%d: loss %.4f, %.0f examples/s", live_ ? "\r\33[K" : "",
                   p.epoch, p.epochs, p.loss, p.examples_per_s);
      if (!std::isnan(p.validation_accuracy))
        std::fprintf(stderr, ", validation accuracy %.2f %%", 100 * p.validation_accuracy);
      std::fprintf(stderr, "\n");
      last_ = now;
      return;
    }
    const auto every = live_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(10000);
    if (now - last_ < every) return;
    last_ = now;
    std::fprintf(stderr, "%sepoch %d/%d batch %lld/%lld loss %.4f %.0f examples/s lr %.2e%s",
                 live_ ? "\r\33[K" : "", p.epoch, p.epochs, static_cast<long long>(p.batch),
                 static_cast<long long>(p.batches), p.loss, p.examples_per_s, p.lr,
                 live_ ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  bool live_;
  std::chrono::steady_clock::time_point last_;
};

int run_train(const TrainArgs& a) {
  const auto arch = ml::parse_arch(a.model);
  if (!arch) return report(fail(Errc::usage, "unknown model \"" + a.model + "\""), a.json);
  std::error_code ec;
  if (!a.force && std::filesystem::exists(a.out, ec))  // before training, not after
    return report(fail(Errc::output_exists, a.out + ": exists (use --force to replace it)"),
                  a.json);

  auto all = ml::load_split(idx::Split::train);
  if (!all) return report(all.error(), a.json);
  auto split = ml::split_train_validation(*all, a.validation, a.seed);
  if (!split) return report(split.error(), a.json);
  const ml::TensorDataset data = ml::head(split->train, a.limit);
  auto model = ml::make_model(*arch, a.seed);
  if (!model) return report(model.error(), a.json);

  ml::TrainOptions opt;
  opt.epochs = a.epochs;
  opt.batch_size = a.batch_size;
  opt.optimizer = a.optimizer == "sgd" ? ml::Optimizer::sgd : ml::Optimizer::adam;
  opt.lr = a.lr;
  opt.weight_decay = a.weight_decay;
  opt.seed = a.seed;
  opt.threads = a.threads;
  TrainProgressLine line;
  opt.progress = [&line](const ml::TrainProgress& p) { line(p); };
  const unsigned threads = ml::set_threads(a.threads);
  std::fprintf(
      stderr,
      "training %s on %lld Fashion-MNIST examples (%lld held out), %d epoch(s), %u thread(s)\n",
      a.model.c_str(), static_cast<long long>(data.size()),
      static_cast<long long>(split->validation.size()), a.epochs, threads);
  auto rep =
      ml::train(**model, data, split->validation.size() > 0 ? &split->validation : nullptr, opt);
  if (!rep) return report(rep.error(), a.json);

  const st::Metadata meta{{"format", "pt"},
                          {"model", a.model},
                          {"dataset", "fashion-mnist"},
                          {"epochs", std::to_string(a.epochs)},
                          {"seed", std::to_string(a.seed)},
                          {"train_examples", std::to_string(data.size())}};
  if (auto st = ml::save_module(**model, a.out, meta, a.force); !st)
    return report(st.error(), a.json);

  const auto& last = rep->epochs.back();
  if (a.json) {
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& e : rep->epochs)
      epochs.push_back({{"epoch", e.epoch},
                        {"loss", e.loss},
                        {"validation_accuracy", std::isnan(e.validation_accuracy)
                                                    ? nlohmann::json()
                                                    : nlohmann::json(e.validation_accuracy)},
                        {"seconds", e.seconds},
                        {"examples_per_s", e.examples_per_s}});
    print_json({{"ok", true},
                {"model", a.model},
                {"output", a.out},
                {"train_examples", data.size()},
                {"validation_examples", split->validation.size()},
                {"threads", threads},
                {"seconds", rep->seconds},
                {"epochs", epochs}});
  } else {
    std::cout << "trained " << a.model << " for " << a.epochs << " epoch(s) in " << rep->seconds
              << " s; final loss " << last.loss;
    if (!std::isnan(last.validation_accuracy))
      std::cout << ", validation accuracy " << 100 * last.validation_accuracy << " %";
    std::cout << "; saved " << a.out << "\n";
  }
  return 0;
}

}  // namespace

void register_train(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<TrainArgs>();
  auto* sub = app.add_subcommand("train", "Train a model on Fashion-MNIST (libtorch workbench)");
  sub->add_option("--model", args->model, "Architecture")
      ->required()
      ->check(CLI::IsMember(arch_names()));
  sub->add_option("-o,--output", args->out, "safetensors file to write")->required();
  sub->add_option("--epochs", args->epochs, "Passes over the training set")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "Seed (initialisation, split, batch order)")
      ->capture_default_str();
  sub->add_option("--limit", args->limit, "Train on the first N examples only (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--validation", args->validation, "Examples held out for validation")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--batch-size", args->batch_size, "Examples per step")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{65536}))
      ->capture_default_str();
  sub->add_option("--optimizer", args->optimizer, "adam or sgd (Nesterov, momentum 0.9)")
      ->check(CLI::IsMember({"adam", "sgd"}))
      ->capture_default_str();
  sub->add_option("--lr", args->lr, "Initial learning rate (cosine decay to 0)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--weight-decay", args->weight_decay, "L2 weight decay")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--threads", args->threads, "libtorch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--force", args->force, "Replace an existing output");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_train(*args); });
}

}  // namespace hwlock::cli
