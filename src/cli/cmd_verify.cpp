// hwlock verify LOCKED --key-file K [--against ORIGINAL] [--json]
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"

namespace hwlock::cli {
namespace {

struct VerifyArgs {
  std::string locked, key_file, against;
  bool json = false, allow_unchecked = false;
  unsigned threads = 0;
};

int run_verify(const VerifyArgs& a) {
  auto source = unlock_source(a.key_file, a.locked);
  if (!source) return report(source.error(), a.json);
  Progress progress("verify");
  auto r = verify(a.locked, **source, a.against, a.threads, progress.fn(),
                  ReadPolicy{a.allow_unchecked});
  if (!r) return report(r.error(), a.json);
  if (!r->key_checked && !r->compared)
    return report(fail(Errc::usage, a.locked + ": has no key check (indistinguishable mode); only "
                                               "--against ORIGINAL can verify it"),
                  a.json);
  if (a.json) {
    print_json({{"ok", true},
                {"file", a.locked},
                {"key_checked", r->key_checked},
                {"compared", r->compared},
                {"against", a.against},
                {"tensors", r->tensors},
                {"bytes", r->bytes}});
  } else {
    std::cout << a.locked << ": OK";
    if (r->key_checked) std::cout << ", key matches (header MAC)";
    if (r->compared)
      std::cout << ", " << r->tensors << " tensors identical to " << a.against << " bit for bit";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void register_verify(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<VerifyArgs>();
  auto* sub = app.add_subcommand("verify", "Check that a container unlocks with a key");
  sub->add_option("locked", args->locked, ".hwlock container")->required();
  sub->add_option("--key-file", args->key_file,
                  "Master key file (default: re-measure this device)");
  sub->add_option("--against", args->against, "Original model to compare with, bit for bit");
  add_allow_unchecked(sub, args->allow_unchecked);
  sub->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_verify(*args); });
}

}  // namespace hwlock::cli
