// hwlock softlock quant MODEL.safetensors --authorized FORMAT [--deny F1,F2,...] -o LOCKED
//   [--epochs N] [--lambda L] [--tau T] [--shadow-blocks B | --carriers K] [--anticipate-steps S]
//   [--quick] [--attack] [--report PREFIX]
// Builds shadow units (or carriers) into a trained zoo mlp/cnn and fine-tunes it so that it is
// accurate only with weights and activations in the authorized number format
// (hwlock/ml/softlock_quant.hpp). Prints the accuracy matrix (every evaluated format: input model,
// with the structure, locked, carriers removed, carriers clamped, shadows removed); --attack adds
// fine-tune-in-a-denied-format recovery curves next to training from scratch; --report writes
// PREFIX.json and PREFIX.md with the emulation cost too.
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common.hpp"
#include "hwlock/ml/softlock_quant.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/ml/train.hpp"
#include "hwlock/safetensors.hpp"
#include "ml_common.hpp"

namespace hwlock::cli {
namespace {

struct QuantArgs {
  std::string file, model, authorized, out, report_prefix;
  std::vector<std::string> deny, attack_formats;
  int epochs = 3, carriers = -1, shadow_blocks = -1;
  std::int64_t limit = 0, test_limit = 0;
  double lambda = 0.1, tau = 2.3, lr = 1e-3, anticipate_step_size = 0.01;
  int anticipate_steps = 0;
  std::uint64_t seed = 0;
  unsigned threads = 1;
  bool quick = false, attack = false, json = false, force = false, batch_hinge = false;
};

Result<ml::Arch> resolve_arch(const QuantArgs& a) {
  HWLOCK_ASSIGN(const ml::Arch arch, resolve_model_arch(a.file, a.model));
  if (arch != ml::Arch::mlp && arch != ml::Arch::cnn)
    return fail(Errc::usage, a.file +
                                 ": the quantisation lock supports the mlp and cnn models (got " +
                                 std::string(ml::arch_name(arch)) + ")");
  return arch;
}

std::string pct(double v) {
  char b[16];
  std::snprintf(b, sizeof b, "%.1f %%", 100 * v);
  return b;
}

nlohmann::json curve_json(const std::vector<ml::QuantCurvePoint>& c) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : c) j.push_back({{"steps", p.steps}, {"accuracy", p.accuracy}});
  return j;
}

std::string role(const nlohmann::json& f) {
  return f["authorized"].get<bool>() ? "authorized"
         : f["denied"].get<bool>()   ? "denied"
                                     : "held out";
}

std::string markdown(const nlohmann::json& r) {
  std::string md = "# Quantisation lock: " + r["model"].get<std::string>() + ", authorized " +
                   r["authorized"].get<std::string>() + "\n\n";
  md += std::to_string(r["carriers"].size()) + " " + r["carrier_kind"].get<std::string>() +
        " carrier(s) (" + r["carrier_positions"].get<std::string>() + "); lock " +
        std::to_string(r["epochs"].get<int>()) + " epoch(s) on " +
        std::to_string(r["train_examples"].get<std::int64_t>()) + " examples; test set " +
        std::to_string(r["test_examples"].get<std::int64_t>()) + " examples; " +
        std::to_string(static_cast<int>(r["seconds"].get<double>())) + " s.\n\n";
  if (!r["shadow_units"].empty())
    md += std::to_string(r["shadow_units"].size()) + " shadow unit(s) in fc1 (" +
          r["shadow_positions"].get<std::string>() + "), held in [" +
          std::to_string(r["shadow_low"].get<double>()) + ", " +
          std::to_string(r["shadow_high"].get<double>()) +
          "], which the authorized format stores as " +
          std::to_string(r["shadow_stored"].get<double>()) +
          (r["shadow_kind"] == "dead-zone" ? " (its dead zone next to a carrier)"
                                           : " (its saturation value)") +
          "; shadows removed = each replaced by that constant.\n\n";
  md +=
      "| evaluated format | input model | with structure | locked | carriers removed | carriers "
      "clamped | shadows removed | role |\n|---|---|---|---|---|---|---|---|\n";
  for (const auto& f : r["formats"])
    md += "| " + f["format"].get<std::string>() + " | " + pct(f["before"]) + " | " +
          pct(f["with_carriers"]) + " | " + pct(f["after"]) + " | " + pct(f["carriers_removed"]) +
          " | " + pct(f["carriers_clamped"]) + " | " + pct(f["shadows_removed"]) + " | " + role(f) +
          " |\n";
  if (r.contains("emulation")) {
    md +=
        "\nEmulation cost of the authorized format on this CPU (whole-model inference, median; "
        "native = fp32 forward, a stand-in for native hardware):\n\n"
        "| batch | native (us) | emulated w+a (us) | emulated a only (us) | w+a / native | a only "
        "/ native |\n|---|---|---|---|---|---|\n";
    for (const auto& e : r["emulation"]) {
      const double n = e["native_s"], w = e["emulated_s"], act = e["activations_s"];
      char b[192];
      std::snprintf(b, sizeof b, "| %lld | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
                    static_cast<long long>(e["batch"].get<std::int64_t>()), 1e6 * n, 1e6 * w,
                    1e6 * act, w / n, act / n);
      md += b;
    }
  }
  if (r.contains("attacks") && !r["attacks"].empty()) {
    md +=
        "\nAttack (a): run the locked model in a denied format and fine-tune it there (Adam, "
        "batch 64, lr 1e-3, every parameter free) with a fraction of the training data, vs "
        "training in that format from scratch on the same data; test accuracy by steps:\n\n"
        "| format | data | from |";
    const auto& steps = r["attacks"][0]["locked"];
    std::string sep = "|---|---|---|";
    for (const auto& s : steps) {
      md += " " + std::to_string(s["steps"].get<std::int64_t>()) + " |";
      sep += "---|";
    }
    md += "\n" + sep + "\n";
    for (const auto& a : r["attacks"])
      for (const char* from : {"locked", "scratch"}) {
        md += "| " + a["format"].get<std::string>() + " | " +
              std::to_string(a["examples"].get<std::int64_t>()) + " | " + from + " |";
        for (const auto& s : a[from]) md += " " + pct(s["accuracy"]) + " |";
        md += "\n";
      }
  }
  md += "\nCommand: `" + r["command"].get<std::string>() + "`\n";
  return md;
}

std::string command_line(const QuantArgs& a) {
  std::string c =
      "hwlock softlock quant " + a.file + " --authorized " + a.authorized + " -o " + a.out;
  if (!a.model.empty()) c += " --model " + a.model;
  if (!a.deny.empty()) {
    c += " --deny ";
    for (std::size_t i = 0; i < a.deny.size(); ++i) c += (i ? "," : "") + a.deny[i];
  }
  if (a.quick)
    c += " --quick";
  else
    c += " --epochs " + std::to_string(a.epochs);
  if (a.carriers >= 0) c += " --carriers " + std::to_string(a.carriers);
  if (a.shadow_blocks >= 0) c += " --shadow-blocks " + std::to_string(a.shadow_blocks);
  if (a.limit != 0) c += " --limit " + std::to_string(a.limit);
  if (a.test_limit != 0) c += " --test-limit " + std::to_string(a.test_limit);
  char b[160];
  std::snprintf(b, sizeof b, " --lambda %g --tau %g --lr %g --seed %llu --threads %u", a.lambda,
                a.tau, a.lr, static_cast<unsigned long long>(a.seed), a.threads);
  c += b;
  if (a.batch_hinge) c += " --batch-hinge";
  if (a.anticipate_steps > 0) {
    std::snprintf(b, sizeof b, " --anticipate-steps %d --anticipate-step-size %g",
                  a.anticipate_steps, a.anticipate_step_size);
    c += b;
  }
  if (a.attack) {
    c += " --attack";
    for (const auto& f : a.attack_formats) c += " --attack-format " + f;
  }
  if (!a.report_prefix.empty()) c += " --report " + a.report_prefix;
  return c;
}

int run_quant(const QuantArgs& a) {
  const std::string command = command_line(a);
  auto arch = resolve_arch(a);
  if (!arch) return report(arch.error(), a.json);
  ml::QuantLockOptions o;
  auto authorized = numfmt::parse_format(a.authorized);
  if (!authorized) return report(authorized.error(), a.json);
  o.authorized = *authorized;
  for (const auto& d : a.deny) {
    auto s = numfmt::parse_format(d);
    if (!s) return report(s.error(), a.json);
    o.denied.push_back(*s);
  }
  if (auto plan = ml::carrier_plan(o.authorized); !plan) return report(plan.error(), a.json);
  std::error_code ec;
  if (!a.force && std::filesystem::exists(a.out, ec))
    return report(fail(Errc::output_exists, a.out + ": exists (use --force to replace it)"),
                  a.json);
  auto model = ml::make_model(*arch);
  if (!model) return report(model.error(), a.json);
  if (auto st = ml::load_module(**model, a.file); !st) return report(st.error(), a.json);

  auto data = load_lock_data(a.seed, a.quick && a.limit == 0 ? 5000 : a.limit,
                             a.quick && a.test_limit == 0 ? 2000 : a.test_limit);
  if (!data) return report(data.error(), a.json);
  const auto& train = data->train;
  const auto& test = data->test;

  o.epochs = a.quick ? 1 : a.epochs;
  o.carriers = a.carriers;
  o.shadow_blocks = a.shadow_blocks;
  o.lambda = a.lambda;
  o.tau = a.tau;
  o.per_example_hinge = !a.batch_hinge;
  o.anticipate_steps = a.anticipate_steps;
  o.anticipate_step_size = a.anticipate_step_size;
  o.lr = a.lr;
  o.seed = a.seed;
  o.threads = a.threads;
  auto bar = std::make_unique<Progress>("quantisation lock");
  o.progress = [&bar](const ml::QuantLockProgress& p) {
    (*bar)(static_cast<std::uint64_t>((p.epoch - 1) * p.batches + p.batch),
           static_cast<std::uint64_t>(p.epochs * p.batches));
  };
  ml::set_threads(a.threads);
  std::fprintf(stderr, "locking %s to %s: %lld training examples, %d epoch(s), %u thread(s)\n",
               std::string(ml::arch_name(*arch)).c_str(), numfmt::format_name(o.authorized).c_str(),
               static_cast<long long>(train.size()), o.epochs, a.threads);
  auto rep = ml::quant_lock(**model, train, test, o);
  bar.reset();
  if (!rep) return report(rep.error(), a.json);

  std::string denied_names;
  for (const auto& f : rep->formats)
    if (f.denied) denied_names += (denied_names.empty() ? "" : ",") + f.format;
  const std::string positions = ml::carriers_to_string(rep->carriers);
  const std::string kind = rep->kind == ml::CarrierKind::scale ? "scale" : "saturate";
  const std::string shadow_kind = rep->shadows.units.empty()                       ? "none"
                                  : rep->shadows.kind == ml::ShadowKind::dead_zone ? "dead-zone"
                                                                                   : "saturation";
  const st::Metadata meta{{"format", "pt"},
                          {"model", std::string(ml::arch_name(*arch))},
                          {"softlock", "quant"},
                          {"authorized_format", numfmt::format_name(o.authorized)},
                          {"denied_formats", denied_names},
                          {"carrier_kind", kind},
                          {"carriers", positions},
                          {"shadow_units", ml::units_to_string(rep->shadows.units)},
                          {"shadow_kind", shadow_kind},
                          {"source", std::filesystem::path(a.file).filename().string()}};
  if (auto st = ml::save_module(**model, a.out, meta, a.force); !st)
    return report(st.error(), a.json);

  nlohmann::json r = {{"ok", true},
                      {"model", std::string(ml::arch_name(*arch))},
                      {"authorized", numfmt::format_name(o.authorized)},
                      {"output", a.out},
                      {"epochs", o.epochs},
                      {"lambda", o.lambda},
                      {"tau", o.tau},
                      {"hinge", o.per_example_hinge ? "per-example" : "batch-mean"},
                      {"anticipate_steps", o.anticipate_steps},
                      {"anticipate_step_size", o.anticipate_step_size},
                      {"train_examples", train.size()},
                      {"test_examples", test.size()},
                      {"carrier_kind", kind},
                      {"carrier_positions", positions},
                      {"shadow_units", rep->shadows.units},
                      {"shadow_positions", ml::units_to_string(rep->shadows.units)},
                      {"shadow_low", rep->shadows.low},
                      {"shadow_high", rep->shadows.high},
                      {"shadow_weight_bound", rep->shadows.weight_bound},
                      {"shadow_kind", shadow_kind},
                      {"shadow_stored", rep->shadows.stored},
                      {"seconds", rep->seconds},
                      {"command", command}};
  r["carriers"] = nlohmann::json::array();
  for (const auto& c : rep->carriers)
    r["carriers"].push_back(
        {{"layer", c.layer}, {"unit", c.unit}, {"value", c.value}, {"out_weight", c.out_weight}});
  r["formats"] = nlohmann::json::array();
  for (const auto& f : rep->formats)
    r["formats"].push_back({{"format", f.format},
                            {"before", f.before},
                            {"with_carriers", f.with_carriers},
                            {"after", f.after},
                            {"carriers_removed", f.carriers_removed},
                            {"carriers_clamped", f.carriers_clamped},
                            {"shadows_removed", f.shadows_removed},
                            {"authorized", f.authorized},
                            {"denied", f.denied}});
  if (!a.report_prefix.empty()) {
    r["emulation"] = nlohmann::json::array();
    for (const std::int64_t b : {1, 64, 256}) {
      auto c = ml::quant_emulation_cost(**model, o.authorized, b);
      if (!c) return report(c.error(), a.json);
      r["emulation"].push_back({{"batch", b},
                                {"native_s", c->native_s},
                                {"emulated_s", c->emulated_s},
                                {"activations_s", c->activations_s}});
    }
  }
  if (a.attack) {
    std::vector<numfmt::FormatSpec> targets;
    for (const auto& f : a.attack_formats) {
      auto s = numfmt::parse_format(f);
      if (!s) return report(s.error(), a.json);
      targets.push_back(*s);
    }
    if (targets.empty())
      for (const auto& f : rep->formats)
        if (f.denied) targets.push_back(numfmt::parse_format(f.format).value());
    if (a.quick && targets.size() > 1) targets.resize(1);
    ml::QuantRecoveryOptions ro;
    if (a.quick) ro.checkpoints = {0, 10, 50};
    ro.seed = a.seed + 1;
    ro.threads = a.threads;
    const std::vector<double> fractions =
        a.quick ? std::vector<double>{0.01} : std::vector<double>{0.01, 0.05, 0.20};
    r["attacks"] = nlohmann::json::array();
    for (const auto& t : targets)
      for (const double frac : fractions) {
        ro.target = t;
        const auto attacker = ml::head(
            data->pool, static_cast<std::int64_t>(frac * static_cast<double>(data->pool.size())));
        std::fprintf(stderr, "attack: fine-tune in %s with %lld examples; train from scratch\n",
                     numfmt::format_name(t).c_str(), static_cast<long long>(attacker.size()));
        auto locked = ml::quant_recovery_curve(**model, attacker, test, ro);
        if (!locked) return report(locked.error(), a.json);
        auto scratch = ml::quant_scratch_curve(*arch, attacker, test, ro);
        if (!scratch) return report(scratch.error(), a.json);
        r["attacks"].push_back({{"format", numfmt::format_name(t)},
                                {"fraction", frac},
                                {"examples", attacker.size()},
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
    std::printf("%-14s %8s %9s %8s %9s %9s %9s  %s\n", "format", "input", "structure", "locked",
                "-carriers", "clamped", "-shadows", "role");
    for (const auto& f : r["formats"])
      std::printf("%-14s %8s %9s %8s %9s %9s %9s  %s\n", f["format"].get<std::string>().c_str(),
                  pct(f["before"]).c_str(), pct(f["with_carriers"]).c_str(),
                  pct(f["after"]).c_str(), pct(f["carriers_removed"]).c_str(),
                  pct(f["carriers_clamped"]).c_str(), pct(f["shadows_removed"]).c_str(),
                  role(f).c_str());
    std::printf("%zu %s carrier(s), %zu shadow unit(s); saved %s (%.0f s)\n", rep->carriers.size(),
                kind.c_str(), rep->shadows.units.size(), a.out.c_str(), rep->seconds);
  }
  return 0;
}

}  // namespace

void register_softlock_quant(CLI::App& softlock, Verbs& verbs) {
  auto args = std::make_shared<QuantArgs>();
  auto* sub = softlock.add_subcommand(
      "quant", "Quantisation-aware lock: accurate only in the authorized number format");
  sub->add_option("MODEL", args->file,
                  "Trained mlp or cnn model (safetensors, e.g. from `hwlock train`)")
      ->required()
      ->check(CLI::ExistingFile);
  sub->add_option("--authorized", args->authorized,
                  "Authorized number format (weights and activations), e.g. mxint8, int8, fp8-e4m3")
      ->required();
  sub->add_option("-o,--output", args->out, "Locked safetensors file to write")->required();
  sub->add_option("--model", args->model, "Architecture (default: the file's \"model\" metadata)");
  sub->add_option("--deny", args->deny,
                  "Denied formats, comma-separated (default: fp32,fp16,bf16,int8,fp8-e4m3,mxint8 "
                  "minus the authorized one)")
      ->delimiter(',');
  sub->add_option("--epochs", args->epochs, "Lock fine-tuning epochs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  sub->add_option("--carriers", args->carriers,
                  "Carriers per hidden layer (default: per format; 0 = none)")
      ->check(CLI::Range(0, 256));
  sub->add_option("--shadow-blocks", args->shadow_blocks,
                  "32-unit blocks of fc1 turned into shadow units (default: 1, or 0 when "
                  "--carriers is given; 0 = carrier-only lock)")
      ->check(CLI::Range(0, 7));
  sub->add_option("--limit", args->limit, "Training examples (0 = all 60000)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--test-limit", args->test_limit, "Test examples (0 = all 10000)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--lambda", args->lambda, "Weight of each denied format's term")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--tau", args->tau, "Target cross-entropy in denied formats")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_flag("--batch-hinge", args->batch_hinge,
                "Hinge the batch-mean denied cross-entropy instead of every example's");
  sub->add_option("--anticipate-steps", args->anticipate_steps,
                  "Attack-aware lock: simulated attacker steps before each denied term")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  sub->add_option("--anticipate-step-size", args->anticipate_step_size,
                  "Size of each simulated attacker sign-gradient step")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_option("--lr", args->lr, "Adam learning rate (cosine decay)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  sub->add_option("--seed", args->seed, "Seed")->capture_default_str();
  sub->add_option("--threads", args->threads, "libtorch threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--quick", args->quick,
                "1 epoch on 5000 examples, 2000 test examples, one short attack curve");
  sub->add_flag("--attack", args->attack,
                "Attack (a): fine-tune in denied formats with 1/5/20 % of the data vs scratch");
  sub->add_option("--attack-format", args->attack_formats,
                  "Format to attack in (repeatable; default: every denied format)");
  sub->add_option("--report", args->report_prefix,
                  "Write PREFIX.json and PREFIX.md (matrix, emulation cost, attack curves)");
  sub->add_flag("--force", args->force, "Replace an existing output");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_quant(*args); });
}

}  // namespace hwlock::cli
