// hwlock keygen -o KEY [--force] [--json]: a fresh random master key in a 0600 file.
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/keys.hpp"

namespace hwlock::cli {
namespace {

struct KeygenArgs {
  std::string out;
  bool force = false;
  bool json = false;
};

int run_keygen(const KeygenArgs& a) {
  auto key = crypto::SecretKey::generate();
  if (!key) return report(key.error(), a.json);
  if (auto st = write_key_file(a.out, *key, a.force); !st) return report(st.error(), a.json);
  auto id = key_id(*key);
  if (!id) return report(id.error(), a.json);
  if (a.json)
    print_json({{"ok", true}, {"key_file", a.out}, {"key_id", *id}});
  else
    std::cout << "wrote key " << *id << " to " << a.out << " (mode 0600; keep it secret)\n";
  return 0;
}

}  // namespace

void register_keygen(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<KeygenArgs>();
  auto* sub = app.add_subcommand("keygen", "Generate a random 256-bit master key file");
  sub->add_option("-o,--output", args->out, "Key file to create")->required();
  sub->add_flag("--force", args->force, "Replace an existing key file");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_keygen(*args); });
}

}  // namespace hwlock::cli
