// hwlock softlock sparse MODEL.safetensors --pattern 2:4 -o LOCKED.safetensors [--deny P]...
//   [--epochs N] [--quick] [--attack] [--report PREFIX] [--json] ...
// Prunes a trained zoo model to the authorized sparsity and fine-tunes it so that re-pruning to
// other patterns destroys accuracy (hwlock/ml/softlock_sparse.hpp). Prints the accuracy of the
// model before and after the lock at every evaluated pattern; --attack adds re-prune-and-fine-tune
// recovery curves next to training from scratch; --report writes PREFIX.json and PREFIX.md.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "hwlock/ml/softlock_sparse.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "hwlock/safetensors.hpp"
#include "ml_common.hpp"

namespace hwlock::cli {
namespace {

struct SparseArgs {
  std::string file, model, pattern, out, report_prefix;
  std::vector<std::string> deny;
  int epochs = 3;
  std::int64_t limit = 0, test_limit = 0, attacker_examples = 10000;
  double lambda = 1.0, tau = 4.0, lr = 1e-3, anticipate_step_size = 0.01;
  int anticipate_steps = 0;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  bool quick = false, attack = false, json = false, force = false;
};

// One line on stderr: live on a terminal (or HWLOCK_PROGRESS=1), else every 10 s.
class LockProgressLine {
 public:
  LockProgressLine()
      : live_(::isatty(STDERR_FILENO) != 0 || (std::getenv("HWLOCK_PROGRESS") != nullptr &&
                                               std::string(std::getenv("HWLOCK_PROGRESS")) == "1")),
        last_(std::chrono::steady_clock::now()) {}
  ~LockProgressLine() {
    if (drawn_ && live_) std::fprintf(stderr, "\n");
  }
  LockProgressLine(const LockProgressLine&) = delete;
  LockProgressLine& operator=(const LockProgressLine&) = delete;
  void operator()(const ml::SparseLockProgress& p) {
    const auto now = std::chrono::steady_clock::now();
    const bool end = p.batch == p.batches;
    if (!end && now - last_ < (live_ ? std::chrono::milliseconds(200) : std::chrono::seconds(10)))
      return;
    last_ = now;
    drawn_ = true;
    std::fprintf(stderr, "%slock epoch %d/%d batch %lld/%lld: CE authorized %.4f, denied %.4f%s",
                 live_ ? "\r\33[K" : "", p.epoch, p.epochs, static_cast<long long>(p.batch),
                 static_cast<long long>(p.batches), p.loss_authorized, p.loss_denied,
                 live_ && !end ? "" : "\n");
    std::fflush(stderr);
  }

 private:
  bool live_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_;
};

nlohmann::json curve_json(const std::vector<ml::RecoveryPoint>& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : c) j.push_back({{"steps", p.steps}, {"accuracy", p.accuracy}});
  return j;
}

std::string pct(double v) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f %%", 100 * v);
  return b;
}

std::string markdown(const nlohmann::json& r) {
  std::string md = "# Sparsity lock: " + r["model"].get<std::string>() + ", authorized " +
                   r["authorized"].get<std::string>() + "\n\n";
  md += "Dense baseline " + pct(r["baseline_dense"]) + "; one-shot pruned to the authorized " +
        "pattern " + pct(r["pruned_only"]) + "; lock " + std::to_string(r["epochs"].get<int>()) +
        " epoch(s) on " + std::to_string(r["train_examples"].get<std::int64_t>()) +
        " examples; test set " + std::to_string(r["test_examples"].get<std::int64_t>()) +
        " examples.\n\n| evaluated pattern | pruned only | locked | role |\n|---|---|---|---|\n";
  for (const auto& p : r["patterns"]) {
    std::string role = p["authorized"].get<bool>()   ? "authorized"
                       : p["compatible"].get<bool>() ? "compatible (runs the locked weights)"
                       : p["denied"].get<bool>()     ? "denied (in the objective)"
                                                     : "held out (not in the objective)";
    md += "| " + p["pattern"].get<std::string>() + " | " + pct(p["before"]) + " | " +
          pct(p["after"]) + " | " + role + " |\n";
  }
  if (r.contains("emulation")) {
    md +=
        "\nEmulation cost on this CPU (whole-model inference, 1 thread; >1: the authorized "
        "sparse kernel is faster than the attacker's masked dense BLAS):\n\n"
        "| batch | sparse (us) | masked dense (us) | dense / sparse |\n|---|---|---|---|\n";
    for (const auto& e : r["emulation"]) {
      char b[128];
      std::snprintf(b, sizeof b, "| %lld | %.1f | %.1f | %.2f |\n",
                    static_cast<long long>(e["batch"].get<std::int64_t>()),
                    1e6 * e["sparse_s"].get<double>(), 1e6 * e["dense_s"].get<double>(),
                    e["dense_s"].get<double>() / e["sparse_s"].get<double>());
      md += b;
    }
  }
  if (r.contains("attacks")) {
    md +=
        "\nAttack (b): re-prune the locked weights to the attacker's pattern and fine-tune (Adam, "
        "batch 128, " +
        std::to_string(r["attacker_examples"].get<std::int64_t>()) +
        " training examples) vs training at that pattern from scratch; test accuracy by "
        "steps:\n\n| pattern | start |";
    const auto& steps = r["attacks"][0]["locked"];
    std::string sep = "|---|---|";
    for (const auto& s : steps) {
      md += " " + std::to_string(s["steps"].get<std::int64_t>()) + " |";
      sep += "---|";
    }
    md += "\n" + sep + "\n";
    for (const auto& a : r["attacks"]) {
      for (const char* from : {"locked", "scratch"}) {
        md += "| " + a["pattern"].get<std::string>() + " | " + from + " |";
        for (const auto& s : a[from]) md += " " + pct(s["accuracy"]) + " |";
        md += "\n";
      }
    }
  }
  md += "\nCommand: `" + r["command"].get<std::string>() + "`\n";
  return md;
}

// The options as given, recorded in the report so the experiment can be rerun.
std::string command_line(const SparseArgs& a) {
  std::string c = "hwlock softlock sparse " + a.file + " --pattern " + a.pattern + " -o " + a.out;
  if (!a.model.empty()) c += " --model " + a.model;
  for (const auto& d : a.deny) c += " --deny " + d;
  if (a.quick)
    c += " --quick";
  else
    c += " --epochs " + std::to_string(a.epochs);
  if (a.limit != 0) c += " --limit " + std::to_string(a.limit);
  if (a.test_limit != 0) c += " --test-limit " + std::to_string(a.test_limit);
  char b[160];
  std::snprintf(b, sizeof b, " --lambda %g --tau %g --lr %g --seed %llu --threads %u", a.lambda,
                a.tau, a.lr, static_cast<unsigned long long>(a.seed), a.threads);
  c += b;
  if (a.anticipate_steps > 0) {
    std::snprintf(b, sizeof b, " --anticipate-steps %d --anticipate-step-size %g",
                  a.anticipate_steps, a.anticipate_step_size);
    c += b;
  }
  if (a.attack) c += " --attack --attacker-examples " + std::to_string(a.attacker_examples);
  if (!a.report_prefix.empty()) c += " --report " + a.report_prefix;
  return c;
}

int run_sparse(const SparseArgs& a) {
  const std::string command = command_line(a);
  auto arch = resolve_model_arch(a.file, a.model);
  if (!arch) return report(arch.error(), a.json);
  auto authorized = ml::parse_sparsity(a.pattern);
  if (!authorized) return report(authorized.error(), a.json);
  ml::SparseLockOptions o;
  o.authorized = *authorized;
  for (const auto& d : a.deny) {
    auto s = ml::parse_sparsity(d);
    if (!s) return report(s.error(), a.json);
    o.denied.push_back(*s);
  }
  std::error_code ec;
  if (!a.force && std::filesystem::exists(a.out, ec))
    return report(fail(Errc::output_exists, a.out + ": exists (use --force to replace it)"),
                  a.json);
  auto model = ml::make_model(*arch);
  if (!model) return report(model.error(), a.json);
  if (auto st = ml::load_module(**model, a.file); !st) return report(st.error(), a.json);

  auto data = load_lock_data(a.seed, a.quick && a.limit == 0 ? 10000 : a.limit,
                             a.quick && a.test_limit == 0 ? 2000 : a.test_limit);
  if (!data) return report(data.error(), a.json);
  const auto& train = data->train;
  const auto& test = data->test;

  o.epochs = a.quick ? 1 : a.epochs;
  o.lambda = a.lambda;
  o.tau = a.tau;
  o.lr = a.lr;
  o.anticipate_steps = a.anticipate_steps;
  o.anticipate_step_size = a.anticipate_step_size;
  o.seed = a.seed;
  o.threads = a.threads;
  LockProgressLine line;
  o.progress = [&line](const ml::SparseLockProgress& p) { line(p); };
  ml::set_threads(a.threads);
  std::fprintf(stderr, "locking %s to %s: %lld training examples, %d epoch(s), %u thread(s)\n",
               std::string(ml::arch_name(*arch)).c_str(), a.pattern.c_str(),
               static_cast<long long>(train.size()), o.epochs, a.threads);
  auto rep = ml::sparse_lock(**model, train, test, o);
  if (!rep) return report(rep.error(), a.json);

  const st::Metadata meta{{"format", "pt"},
                          {"model", std::string(ml::arch_name(*arch))},
                          {"softlock", "sparse"},
                          {"sparsity", ml::to_string(o.authorized)},
                          {"source", std::filesystem::path(a.file).filename().string()}};
  if (auto st = ml::save_module(**model, a.out, meta, a.force); !st)
    return report(st.error(), a.json);

  nlohmann::json r = {{"ok", true},
                      {"model", std::string(ml::arch_name(*arch))},
                      {"authorized", ml::to_string(o.authorized)},
                      {"output", a.out},
                      {"epochs", o.epochs},
                      {"train_examples", train.size()},
                      {"test_examples", test.size()},
                      {"baseline_dense", rep->baseline_dense},
                      {"pruned_only", rep->pruned_only},
                      {"seconds", rep->seconds},
                      {"command", command}};
  r["patterns"] = nlohmann::json::array();
  for (std::size_t i = 0; i < rep->after.size(); ++i) {
    const auto& p = rep->after[i];
    r["patterns"].push_back({{"pattern", p.pattern},
                             {"before", rep->before[i].accuracy},
                             {"after", p.accuracy},
                             {"authorized", p.authorized},
                             {"compatible", p.compatible},
                             {"denied", p.denied}});
  }
  if (o.authorized.kind == ml::SparsitySpec::Kind::nm && !o.authorized.out_axis) {
    r["emulation"] = nlohmann::json::array();
    for (const std::int64_t b : {1, 64, 256}) {
      auto c = ml::mlp_emulation_cost(**model, o.authorized, b);
      if (!c) break;  // not an all-Linear model: no whole-model kernel path
      r["emulation"].push_back({{"batch", b}, {"sparse_s", c->sparse_s}, {"dense_s", c->dense_s}});
    }
    if (r["emulation"].empty()) r.erase("emulation");
  }
  if (a.attack) {
    ml::RecoveryOptions ro;
    if (a.quick) ro.checkpoints = {0, 25, 50, 100};
    ro.seed = a.seed + 1;
    ro.threads = a.threads;
    const auto attacker = ml::head(train, a.attacker_examples);
    r["attacker_examples"] = attacker.size();
    r["attacks"] = nlohmann::json::array();
    for (const auto& p : rep->after) {
      if (!p.denied) continue;
      ro.target = ml::parse_sparsity(p.pattern).value();
      std::fprintf(stderr, "attack: re-prune to %s and fine-tune; train from scratch\n",
                   p.pattern.c_str());
      auto locked = ml::recovery_curve(**model, attacker, test, ro);
      if (!locked) return report(locked.error(), a.json);
      auto scratch = ml::scratch_curve(*arch, attacker, test, ro);
      if (!scratch) return report(scratch.error(), a.json);
      r["attacks"].push_back({{"pattern", p.pattern},
                              {"locked", curve_json(*locked)},
                              {"scratch", curve_json(*scratch)}});
    }
  }
  if (!a.report_prefix.empty()) {
    std::string prefix = a.report_prefix;
    for (const char* ext : {".json", ".md"})
      if (prefix.ends_with(ext)) prefix.resize(prefix.size() - std::strlen(ext));
    if (auto st = write_text_output(prefix + ".json", json_text(r) + "\n", /*overwrite=*/true); !st)
      return report(st.error(), a.json);
    if (auto st = write_text_output(prefix + ".md", markdown(r), /*overwrite=*/true); !st)
      return report(st.error(), a.json);
  }
  if (a.json) {
    print_json(r);
  } else {
    std::printf("%-18s %12s %8s  %s\n", "pattern", "pruned only", "locked", "role");
    for (const auto& p : r["patterns"])
      std::printf("%-18s %12s %8s  %s\n", p["pattern"].get<std::string>().c_str(),
                  pct(p["before"]).c_str(), pct(p["after"]).c_str(),
                  p["authorized"].get<bool>()   ? "authorized"
                  : p["compatible"].get<bool>() ? "compatible"
                  : p["denied"].get<bool>()     ? "denied"
                                                : "held out");
    std::printf("dense baseline %s; saved %s (%.0f s)\n", pct(rep->baseline_dense).c_str(),
                a.out.c_str(), rep->seconds);
  }
  return 0;
}

}  // namespace

void register_softlock_sparse(CLI::App& softlock, Verbs& verbs) {
  auto args = std::make_shared<SparseArgs>();
  auto* sub = softlock.add_subcommand(
      "sparse", "Sparsity-aware lock: accurate only at the authorized sparsity pattern");
  sub->add_option("MODEL", args->file, "Trained model (safetensors, e.g. from `hwlock train`)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--pattern", args->pattern,
                  "Authorized sparsity: N:M (2:4), N:M@out, or unstructured:S (0.9)")
      ->required();
  sub->add_option("-o,--output", args->out, "Locked safetensors file to write")->required();
  sub->add_option("--model", args->model, "Architecture (default: the file's \"model\" metadata)");
  sub->add_option("--deny", args->deny,
                  "Denied sparsity (repeatable; default: every evaluated pattern re-pruning "
                  "would change)");
  sub->add_option("--epochs", args->epochs, "Lock fine-tuning epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--limit", args->limit, "Training examples (0 = all 60000)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--test-limit", args->test_limit, "Test examples (0 = all 10000)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--lambda", args->lambda, "Weight of the denied-pattern term")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--tau", args->tau, "Target cross-entropy at denied patterns")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--lr", args->lr, "Adam learning rate (cosine decay)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--anticipate-steps", args->anticipate_steps,
                  "Attack-aware lock: simulated attacker fine-tuning steps per denied term")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  sub->add_option("--anticipate-step-size", args->anticipate_step_size,
                  "Size of each simulated (sign-gradient) step")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "Seed")->capture_default_str();
  sub->add_option("--threads", args->threads, "libtorch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--quick", args->quick,
                "1 epoch on 10000 examples, 2000 test examples, short attack curves");
  sub->add_flag("--attack", args->attack,
                "Attack (b): re-prune + fine-tune recovery curves vs training from scratch");
  sub->add_option("--attacker-examples", args->attacker_examples,
                  "Training examples the attacker has")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--report", args->report_prefix, "Write PREFIX.json and PREFIX.md");
  sub->add_flag("--force", args->force, "Replace an existing output");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_sparse(*args); });
}

}  // namespace hwlock::cli
