// hwlock unlock IN -o OUT --key-file K [--force]: writes unlocked weights, on explicit request.
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"

namespace hwlock::cli {
namespace {

struct UnlockArgs {
  std::string in, out, key_file;
  bool force = false, json = false, allow_unchecked = false;
  unsigned threads = 0;
};

int run_unlock(const UnlockArgs& a) {
  auto source = unlock_source(a.key_file, a.in);
  if (!source) return report(source.error(), a.json);
  UnlockOptions opt;
  opt.policy.allow_unchecked = a.allow_unchecked;
  opt.overwrite = a.force;
  opt.threads = a.threads;
  Progress progress("unlock");
  opt.progress = progress.fn();
  if (auto st = unlock_file(a.in, a.out, **source, opt); !st) return report(st.error(), a.json);
  if (a.json)
    print_json({{"ok", true}, {"input", a.in}, {"output", a.out}});
  else
    std::cout << "unlocked " << a.in << " into " << a.out
              << " (plain safetensors: the weights are now unprotected on disk)\n";
  return 0;
}

}  // namespace

void register_unlock(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<UnlockArgs>();
  auto* sub = app.add_subcommand(
      "unlock", "Write the unlocked model to a safetensors file (the weights leave the lock!)");
  sub->add_option("input", args->in, ".hwlock container")->required();
  sub->add_option("-o,--output", args->out, "safetensors file to write")->required();
  sub->add_option("--key-file", args->key_file,
                  "Master key file (default: re-measure this device)");
  sub->add_flag("--force", args->force, "Replace an existing output");
  add_allow_unchecked(sub, args->allow_unchecked);
  sub->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_unlock(*args); });
}

}  // namespace hwlock::cli
