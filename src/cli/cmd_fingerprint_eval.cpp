// hwlock fingerprint-eval [--sources LIST] [--runs N] [--quick|--full] [--envs LIST]
//                         [--aarch64-binary PATH] [--devices N] [--ber P] [--json] [-o FILE]
//
// Measures each fingerprint source many times, every measurement a separate process of this
// binary (`hwlock fingerprint --source S --json --show-bits`), natively and under each emulator
// present (qemu-x86_64, valgrind, qemu-aarch64 running a cross-built fingerprint program), and a
// simulated PUF population in-process; reports distances, FRR / FAR of the device key and entropy
// estimates (see hwlock/fingerprint_eval.hpp). Markdown on stdout (or -o), JSON with --json.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "common.hpp"
#include "hwlock/cpu.hpp"
#include "hwlock/fingerprint_eval.hpp"

namespace hwlock::cli {
namespace {

namespace ev = fingerprint::eval;

struct EvalArgs {
  std::vector<std::string> sources{"numeric", "timing", "puf-sim"};
  std::vector<std::string> envs{"native", "qemu-x86_64", "valgrind", "qemu-aarch64",
                                "ATEN_CPU_CAPABILITY"};
  unsigned runs = 20, enroll_runs = 0, devices = 1000, frr_devices = 100;
  std::uint64_t trials = 20000, stress_trials = 2000, seed = 1;
  double ber = 0.15, timeout_s = 300;
  std::string puf_type = "sram", aarch64_binary, output;
  bool quick = false, full = false, json = false;
  CLI::App* sub = nullptr;
  bool given(const char* opt) const { return sub->count(opt) > 0; }
};

bool wanted(const EvalArgs& a, const std::string& env) {
  return std::find(a.envs.begin(), a.envs.end(), env) != a.envs.end();
}

// The environments `source` is measured in: the native one first, then one per tool, each skipped
// with a reason when its tool or program is missing.
std::vector<ev::Environment> environments(const EvalArgs& a, const std::string& source,
                                          const std::string& self) {
  std::vector<ev::Environment> out;
  const bool torch = source == "torch";
  const std::string program =
      torch ? (std::filesystem::path(self).parent_path() / "hwlock-ml").string() : self;
  out.push_back({"native", {}, program, {}, {}});
  if (torch && !ev::find_program(program)) out.back().skip = program + " not built (libtorch)";
  auto tool = [&](std::string name, std::vector<std::string> prefix, std::string prog) {
    ev::Environment e{name, std::move(prefix), std::move(prog), {}, {}};
    if (!wanted(a, name)) return;
    if (torch && a.given("--envs") == false) {
      e.skip = "libtorch under an emulator is not run by default (name it in --envs)";
    } else if (auto p = ev::find_program(e.prefix.front())) {
      e.prefix.front() = *p;
    } else {
      e.skip = e.prefix.front() + " not installed";
    }
    out.push_back(std::move(e));
  };
  tool("qemu-x86_64", {"qemu-x86_64"}, program);
  tool("valgrind", {"valgrind", "-q", "--tool=none"}, program);
  if (wanted(a, "qemu-aarch64")) {
    if (torch) {
      out.push_back({"qemu-aarch64", {}, "", {}, "no aarch64 build of hwlock-ml"});
    } else {
      tool("qemu-aarch64", {"qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"}, a.aarch64_binary);
      if (out.back().skip.empty() && a.aarch64_binary.empty())
        out.back().skip = "no --aarch64-binary given";
      else if (out.back().skip.empty() && !ev::find_program(a.aarch64_binary))
        out.back().skip = a.aarch64_binary + " not found";
    }
  }
  if (torch && wanted(a, "ATEN_CPU_CAPABILITY"))
    for (const char* cap : {"default", "avx2", "avx512"}) {
      std::string skip = out.front().skip;
      if (skip.empty() && !fingerprint::aten_capability_available(cap))
        skip = std::string("not available here: this CPU cannot run ") + cap + " kernels";
      out.push_back({std::string("ATEN_CPU_CAPABILITY=") + cap,
                     {},
                     program,
                     {std::string("ATEN_CPU_CAPABILITY=") + cap},
                     std::move(skip)});
    }
  return out;
}

// Progress on stderr: a rewritten line on a terminal, otherwise one line per phase.
std::function<void(const std::string&, std::uint64_t, std::uint64_t)> progress_fn() {
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  return [tty](const std::string& what, std::uint64_t done, std::uint64_t total) {
    if (tty) {
      std::cerr << "\rfingerprint-eval: " << what << " " << done << "/" << total << "   "
                << (done == total ? "\n" : "") << std::flush;
    } else if (done == 0) {
      std::cerr << "fingerprint-eval: " << what << " (" << total << ")\n";
    }
  };
}

// This process's arguments, argv[0] shown as "hwlock" (recorded in the report).
std::string command_line() {
  std::ifstream f("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::string out = "hwlock";
  std::size_t pos = all.find('\0');
  while (pos != std::string::npos && pos + 1 < all.size()) {
    const std::size_t end = all.find('\0', pos + 1);
    const std::string arg = all.substr(pos + 1, end - pos - 1);
    const bool plain = arg.find_first_of(" '\"{}*?$") == std::string::npos && !arg.empty();
    out += " " + (plain ? arg : "'" + arg + "'");
    pos = end;
  }
  return out;
}

int run_eval(EvalArgs a, const std::string& command) {
  if (a.quick) {
    if (!a.given("--runs")) a.runs = 3;
    if (!a.given("--devices")) a.devices = 50;
    if (!a.given("--trials")) a.trials = 500;
    if (!a.given("--stress-trials")) a.stress_trials = 100;
  } else if (a.full) {
    if (!a.given("--runs")) a.runs = 100;
    if (!a.given("--trials")) a.trials = 200000;
    if (!a.given("--stress-trials")) a.stress_trials = 5000;
  }
  std::error_code ec;
  const std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec) return report(fail(Errc::io_open, "cannot resolve /proc/self/exe: " + ec.message()));
  ev::Report rep;
  rep.command = command;
  const auto progress = progress_fn();
  for (const auto& s : a.sources) {
    if (s == "puf-sim") {
      ev::PufEvalOptions po;
      po.type = a.puf_type;
      po.ber = a.ber;
      po.devices = a.devices;
      po.frr_devices = a.frr_devices;
      po.frr_trials = a.trials;
      po.stress_trials = a.stress_trials;
      po.seed = a.seed;
      po.progress = progress;
      auto r = ev::evaluate_puf(po);
      if (!r) return report(r.error(), a.json);
      rep.puf = std::move(r).value();
      continue;
    }
    ev::ProcessEvalOptions po;
    po.source = s;
    po.runs = std::max(1u, a.runs);
    po.enroll_runs = a.enroll_runs ? a.enroll_runs : s == "timing" ? 31u : 5u;
    if (a.quick && !a.given("--enroll-runs")) po.enroll_runs = std::min(po.enroll_runs, 5u);
    po.timeout_s = a.timeout_s;
    po.environments = environments(a, s, self);
    po.progress = [&progress, s](const std::string& env, unsigned done, unsigned total) {
      progress(s + " " + env, done, total);
    };
    if (!po.environments.front().skip.empty()) {
      rep.notes.push_back(s + ": skipped: " + po.environments.front().skip);
      continue;
    }
    auto r = ev::evaluate_process_source(po);
    if (!r) return report(r.error(), a.json);
    rep.sources.push_back(std::move(r).value());
  }
  if (std::find(a.sources.begin(), a.sources.end(), "torch") == a.sources.end())
    rep.notes.push_back(
        "torch source not requested (--sources ...,torch runs hwlock-ml, when built)");
  const std::string text = a.json ? json_text(ev::to_json(rep)) + "\n" : ev::to_markdown(rep);
  if (a.output.empty()) {
    std::cout << text;
    return 0;
  }
  // A report, regenerated on purpose: replacing an older one is expected.
  if (auto st = write_text_output(a.output, text, /*overwrite=*/true); !st)
    return report(st.error(), a.json);
  std::cerr << "fingerprint-eval: wrote " << a.output << "\n";
  return 0;
}

}  // namespace

void register_fingerprint_eval(CLI::App& app, Verbs& verbs) {
  auto a = std::make_shared<EvalArgs>();
  auto* sub = app.add_subcommand(
      "fingerprint-eval",
      "Evaluate fingerprint sources across processes, emulators and simulated PUF devices");
  a->sub = sub;
  sub->add_option("--sources,--source", a->sources,
                  "Comma-separated: numeric, timing, torch (hwlock-ml), puf-sim")
      ->delimiter(',')
      ->check(CLI::IsMember({"numeric", "timing", "torch", "puf-sim"}))
      ->capture_default_str();
  sub->add_option("--envs", a->envs,
                  "Environments besides native: qemu-x86_64, valgrind, qemu-aarch64, "
                  "ATEN_CPU_CAPABILITY (torch only)")
      ->delimiter(',')
      ->check(CLI::IsMember(
          {"native", "qemu-x86_64", "valgrind", "qemu-aarch64", "ATEN_CPU_CAPABILITY"}))
      ->capture_default_str();
  sub->add_option("--runs", a->runs, "Test processes per source and environment")
      ->capture_default_str();
  sub->add_option("--enroll-runs", a->enroll_runs,
                  "Native processes to enroll from (0: the device default, numeric 5, timing 31)")
      ->capture_default_str();
  sub->add_flag("--quick", a->quick, "Few runs, 50 devices, few trials (for tests)");
  sub->add_flag("--full", a->full, "100 runs, 200000 PUF trials, 5000 per stress point");
  sub->add_option("--aarch64-binary", a->aarch64_binary,
                  "Cross-built fingerprint program for qemu-aarch64 (build-dir/tests/fingerprint/"
                  "aarch64/fingerprint_json)");
  sub->add_option("--devices", a->devices, "Simulated PUF devices (FAR over all pairs)")
      ->capture_default_str();
  sub->add_option("--frr-devices", a->frr_devices, "Devices the FRR trials rotate over")
      ->capture_default_str();
  sub->add_option("--ber", a->ber, "PUF bit-error rate")
      ->check(CLI::Range(0.0, 0.25))
      ->capture_default_str();
  sub->add_option("--puf-type", a->puf_type, "sram | arbiter")
      ->check(CLI::IsMember({"sram", "arbiter"}))
      ->capture_default_str();
  sub->add_option("--trials", a->trials, "PUF FRR trials at --ber")->capture_default_str();
  sub->add_option("--stress-trials", a->stress_trials, "PUF FRR trials per stress BER")
      ->capture_default_str();
  sub->add_option("--seed", a->seed, "PUF population seed")->capture_default_str();
  sub->add_option("--timeout", a->timeout_s, "Seconds before a measurement process is killed")
      ->capture_default_str();
  sub->add_flag("--json", a->json, "Print JSON");
  sub->add_option("-o,--output", a->output, "Write the report to FILE");
  verbs.add(sub, [a] { return run_eval(*a, command_line()); });
}

}  // namespace hwlock::cli
