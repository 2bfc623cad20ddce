// hwlock-ml: the workbench verbs (libtorch). Users normally reach it through `hwlock train|eval`.
#include <unistd.h>

#include <cstdlib>

#include "common.hpp"
#include "hwlock/ml/fingerprint_torch.hpp"

namespace {

int run_cli(int argc, char** argv) {
  // libtorch's OpenMP spins between parallel regions; on a loaded 2-core machine that makes
  // training many times slower. The policy is read at start-up, so set it and start again.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr) {
    ::setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    ::execv("/proc/self/exe", argv);  // on failure, continue with the default policy
  }
  CLI::App app{"hwlock-ml: the hwlock workbench (training and evaluation with libtorch)"};
  app.set_version_flag("--version", std::string("hwlock-ml ") + HWLOCK_VERSION);
  app.require_subcommand(1);
  hwlock::ml::register_torch_source();  // make_source("torch"): fingerprint, enroll, unlock
  hwlock::cli::Verbs verbs;
  hwlock::cli::register_train(app, verbs);
  hwlock::cli::register_eval(app, verbs);
  hwlock::cli::register_softlock(app, verbs);
  hwlock::cli::FingerprintVerbOptions fingerprint;
  fingerprint.default_source = "torch";
  fingerprint.sources.insert(fingerprint.sources.begin(), "torch");
  fingerprint.description = "Measure this device's fingerprint (with the libtorch source)";
  // The torch bits depend on the kernels ATen dispatches to (ATEN_CPU_CAPABILITY overrides it).
  fingerprint.extra = [] {
    return nlohmann::json{{"torch_cpu_capability", hwlock::ml::torch_cpu_capability()}};
  };
  hwlock::cli::register_fingerprint(app, verbs, std::move(fingerprint));
  hwlock::cli::register_enroll(app, verbs);  // also --source torch
  hwlock::cli::register_unlock(app, verbs);  // records with torch parts
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : hwlock::exit_code(hwlock::Errc::usage);
  }
  for (auto& [sub, run] : verbs.entries)
    if (sub->parsed()) return run();
  return hwlock::exit_code(hwlock::Errc::usage);
}

}  // namespace

// Every error reaches the user as a message and its exit code: exceptions included (run_guarded).
int main(int argc, char** argv) {
  return hwlock::cli::run_guarded([&] { return run_cli(argc, argv); });
}
