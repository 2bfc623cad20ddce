// hwlock inspect FILE [--json]: tensors, dtypes, shapes, metadata and the lock description.
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"

namespace hwlock::cli {
namespace {

struct InspectArgs {
  std::string file;
  bool json = false;
};

int run_inspect(const InspectArgs& a) {
  auto reader = st::Reader::open(a.file);
  if (!reader) return report(reader.error(), a.json);
  const st::Header& h = reader->header();
  const bool locked = is_locked(h);
  std::optional<LockInfo> lock;
  if (locked) {
    auto info = parse_lock_info(h, a.file);
    if (!info) return report(info.error(), a.json);
    lock = std::move(info).value();
  }
  nlohmann::json user = nlohmann::json::object();
  for (const auto& [k, v] : h.metadata)
    if (k.rfind(kMetaPrefix, 0) != 0) user[k] = v;

  if (a.json) {
    nlohmann::json tensors = nlohmann::json::array();
    for (const auto& t : h.tensors)
      tensors.push_back({{"name", t.name},
                         {"dtype", std::string(st::dtype_name(t.dtype))},
                         {"shape", t.shape},
                         {"bytes", t.nbytes()},
                         {"data_offsets", {t.begin, t.end}}});
    nlohmann::json out{{"ok", true},
                       {"file", a.file},
                       {"file_bytes", reader->file().size()},
                       {"format", locked ? "hwlock" : "safetensors"},
                       {"data_bytes", h.data_size()},
                       {"tensors", tensors},
                       {"metadata", user}};
    out["lock"] = lock ? lock->to_json() : nlohmann::json(nullptr);
    print_json(out);
    return 0;
  }
  std::cout << a.file << ": " << (locked ? "hwlock container (locked)" : "safetensors (unlocked)")
            << ", " << h.tensors.size() << " tensors, "
            << human_bytes(static_cast<double>(h.data_size())) << " of tensor data\n";
  for (const auto& t : h.tensors) {
    std::string shape = "[";
    for (std::size_t i = 0; i < t.shape.size(); ++i)
      shape += (i ? ", " : "") + std::to_string(t.shape[i]);
    shape += "]";
    std::cout << "  " << t.name << "  " << st::dtype_name(t.dtype) << " " << shape << "  "
              << t.nbytes() << " bytes\n";
  }
  if (!user.empty()) {
    std::cout << "metadata:\n";
    for (const auto& [k, v] : user.items())
      std::cout << "  " << k << " = " << v.get<std::string>() << "\n";
  }
  if (lock) {
    std::cout << "lock: version " << lock->version << ", kdf " << lock->kdf << ", key source "
              << lock->key_source_kind;
    if (!lock->key_id.empty()) std::cout << " (key id " << lock->key_id << ")";
    std::cout << ", key check "
              << (lock->key_check ? "hmac-sha256" : "none (indistinguishable mode)") << "\n";
    for (const auto& [scheme, n] : lock->to_json()["schemes"].items())
      std::cout << "  " << n.get<int>() << " tensors: " << scheme << "\n";
  }
  return 0;
}

}  // namespace

void register_inspect(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<InspectArgs>();
  auto* sub =
      app.add_subcommand("inspect", "List a model's tensors, metadata and lock description");
  sub->add_option("file", args->file, "safetensors or .hwlock file")->required();
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_inspect(*args); });
}

}  // namespace hwlock::cli
