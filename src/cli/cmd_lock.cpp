// hwlock lock IN -o OUT --key-file K [--scheme aes] [--no-key-check] [--force] [--threads N]
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"

namespace hwlock::cli {
namespace {

struct LockArgs {
  std::string in, out, key_file, scheme = "aes";
  std::vector<std::string> devices;
  bool no_key_check = false, force = false, json = false;
  unsigned threads = 0;
};

int run_lock(const LockArgs& a) {
  auto source = lock_source(a.key_file, a.devices);
  if (!source) return report(source.error(), a.json);
  LockOptions opt;
  opt.key_check = !a.no_key_check;
  opt.overwrite = a.force;
  opt.threads = a.threads;
  Progress progress("lock");
  opt.progress = progress.fn();
  const auto t0 = std::chrono::steady_clock::now();
  if (auto st = lock_file(a.in, a.out, **source, opt); !st) return report(st.error(), a.json);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto model = LockedModel::open(a.out);
  if (!model) return report(model.error(), a.json);
  const auto bytes = model->header().data_size();
  if (a.json) {
    print_json({{"ok", true},
                {"input", a.in},
                {"output", a.out},
                {"tensors", model->header().tensors.size()},
                {"bytes", bytes},
                {"seconds", secs},
                {"lock", model->lock().to_json()}});
  } else {
    std::cout << "locked " << model->header().tensors.size() << " tensors ("
              << human_bytes(static_cast<double>(bytes)) << ") of " << a.in << " into " << a.out
              << " with aes-256-ctr, key "
              << (model->lock().key_id.empty() ? "(id withheld)" : model->lock().key_id)
              << (a.no_key_check ? ", no key check (indistinguishable mode)" : ", header MAC")
              << "\n";
  }
  return 0;
}

}  // namespace

void register_lock(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<LockArgs>();
  auto* sub = app.add_subcommand("lock", "Lock a safetensors model into a .hwlock container");
  sub->add_option("input", args->in, "safetensors model")->required();
  sub->add_option("-o,--output", args->out, "Container to write")->required();
  sub->add_option("--key-file", args->key_file, "Master key file (hwlock keygen)");
  sub->add_option("--device", args->devices,
                  "Device record (hwlock enroll); repeat to lock for a fleet")
      ->excludes("--key-file");
  sub->add_option("--scheme", args->scheme, "Parameter transformation")
      ->check(CLI::IsMember({"aes"}))
      ->capture_default_str();
  sub->add_flag(
      "--no-key-check", args->no_key_check,
      "Omit the key-dependent header MAC: a wrong key then yields garbage tensors, not an "
      "error (indistinguishable mode)");
  sub->add_flag("--force", args->force, "Replace an existing output");
  sub->add_option("--threads", args->threads, "Worker threads (0 = all cores)")
      ->capture_default_str();
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_lock(*args); });
}

}  // namespace hwlock::cli
