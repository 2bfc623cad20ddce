// hwlock: lock machine-learning models into hardware.
#include "common.hpp"

namespace {

int run_cli(int argc, char** argv) {
  // Workbench verbs run in hwlock-ml (libtorch), installed next to this binary.
  if (argc > 1 && hwlock::cli::is_workbench_verb(argv[1])) return hwlock::cli::exec_workbench(argv);
  CLI::App app{"hwlock: lock machine-learning models into hardware"};
  app.set_version_flag("--version", std::string("hwlock ") + HWLOCK_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Workbench verbs (train, eval) run in hwlock-ml, next to this binary, when built "
      "with libtorch.");
  hwlock::cli::Verbs verbs;
  hwlock::cli::register_inspect(app, verbs);
  hwlock::cli::register_keygen(app, verbs);
  hwlock::cli::register_lock(app, verbs);
  hwlock::cli::register_unlock(app, verbs);
  hwlock::cli::register_verify(app, verbs);
  hwlock::cli::register_demo(app, verbs);
  hwlock::cli::register_fingerprint(app, verbs);
  hwlock::cli::register_enroll(app, verbs);
  hwlock::cli::register_fingerprint_eval(app, verbs);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    // CLI11 reports --help/--version as "errors" with code 0; every real parse error is usage.
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
