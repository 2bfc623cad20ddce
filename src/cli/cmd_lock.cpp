// hwlock lock IN -o OUT (--key-file K | --device R...) [--scheme aes|preaes|shuffle|shuffle-free]
//             [--structure SPEC] [--preaes-mode exact|rank16] [--no-key-check] [--force] [--threads
//             N] [--json]
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"
#include "hwlock/shuffle.hpp"
#include "hwlock/transform.hpp"

namespace hwlock::cli {
namespace {

// --scheme shuffle: the coupled axes of `path`'s tensors, from --structure or its recognised
// architecture; `arch` receives what was used.
Result<std::map<std::string, nlohmann::json, std::less<>>> shuffle_requests(
    const std::string& path, const std::string& structure, std::string& arch) {
  HWLOCK_ASSIGN(st::Reader reader, st::Reader::open(path));
  const auto descs = transform::tensor_descs(reader.header());
  Result<transform::ShufflePlan> plan = fail(Errc::internal, "");
  if (structure.empty()) {
    plan = transform::plan_for_zoo(descs);
  } else {
    std::ifstream f(structure, std::ios::binary);
    if (!f) return fail(Errc::io_open, structure + ": cannot open the structure spec");
    const std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    plan = transform::plan_from_spec_text(text, descs, structure);
  }
  if (!plan) return fail(plan.error().code, path + ": " + plan.error().message);
  arch = plan->arch;
  return std::move(plan->requests);
}

// --preaes-mode rank16: the request for every F32 tensor of `path`.
Result<std::map<std::string, nlohmann::json, std::less<>>> preaes_requests(
    const std::string& path, const std::string& mode) {
  HWLOCK_ASSIGN(st::Reader reader, st::Reader::open(path));
  std::map<std::string, nlohmann::json, std::less<>> out;
  for (const auto& t : reader.header().tensors)
    if (t.dtype == st::DType::F32) out[t.name] = {{"mode", mode}};
  return out;
}

struct LockArgs {
  std::string in, out, key_file, scheme = "aes", preaes_mode = "exact", structure;
  std::vector<std::string> devices;
  bool no_key_check = false, force = false, json = false;
  unsigned threads = 0;
};

int run_lock(const LockArgs& a) {
  auto source = lock_source(a.key_file, a.devices);
  if (!source) return report(source.error(), a.json);
  LockOptions opt;
  const transform::Scheme* scheme = transform::scheme_by_option(a.scheme);
  if (scheme == nullptr)
    return report(fail(Errc::usage, "--scheme " + a.scheme + ": unknown scheme"), a.json);
  opt.scheme = std::string(scheme->id());
  if (a.preaes_mode != "exact") {
    if (a.scheme != "preaes")
      return report(fail(Errc::usage, "--preaes-mode needs --scheme preaes"), a.json);
    auto requests = preaes_requests(a.in, a.preaes_mode);
    if (!requests) return report(requests.error(), a.json);
    opt.requests = std::move(requests).value();
  }
  std::string arch;
  std::vector<std::string> fallback;  // tensors the scheme cannot lock: AES-256-CTR instead
  {
    auto reader = st::Reader::open(a.in);
    if (!reader) return report(reader.error(), a.json);
    for (const auto& t : reader->header().tensors)
      if (!scheme->supports({t.name, t.dtype, t.shape, t.nbytes()})) {
        opt.tensor_schemes[t.name] = std::string(crypto::kCipherId);
        fallback.push_back(t.name);
      }
  }
  if (a.scheme == "shuffle") {
    auto requests = shuffle_requests(a.in, a.structure, arch);
    if (!requests) return report(requests.error(), a.json);
    opt.requests = std::move(requests).value();
  } else if (!a.structure.empty()) {
    return report(fail(Errc::usage, "--structure needs --scheme shuffle"), a.json);
  }
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
                {"lock", model->lock().to_json()},
                {"structure", arch.empty() ? nlohmann::json() : nlohmann::json(arch)},
                {"aes_instead", fallback}});
  } else {
    std::cout << "locked " << model->header().tensors.size() << " tensors ("
              << human_bytes(static_cast<double>(bytes)) << ") of " << a.in << " into " << a.out
              << " with " << opt.scheme << (arch.empty() ? "" : " (structure: " + arch + ")")
              << ", key " << (model->lock().key_id.empty() ? "(id withheld)" : model->lock().key_id)
              << (a.no_key_check ? ", no key check (indistinguishable mode)" : ", header MAC")
              << "\n";
    if (!fallback.empty())
      std::cout << fallback.size() << " tensor(s) that " << opt.scheme
                << " cannot lock (dtype) use aes-256-ctr instead, e.g. \"" << fallback.front()
                << "\" (hwlock inspect lists each tensor's scheme)\n";
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
  std::vector<std::string> schemes;
  for (auto o : transform::scheme_options()) schemes.emplace_back(o);
  sub->add_option("--scheme", args->scheme,
                  "Parameter transformation: aes (AES-256-CTR), preaes (pre-transformed AES: a "
                  "wrong key decodes to the tensor's own value distribution), shuffle (keyed "
                  "permutations and power-of-two scaling of coupled hidden units: zoo models or "
                  "--structure), shuffle-free (every axis of every tensor permuted; any model)")
      ->check(CLI::IsMember(schemes))
      ->capture_default_str();
  sub->add_option("--structure", args->structure,
                  "--scheme shuffle: JSON structure spec of the coupled axes (docs/SHUFFLE.md); "
                  "default: derived for the zoo architectures");
  sub->add_option("--preaes-mode", args->preaes_mode,
                  "preaes on F32 tensors: exact (lossless; the codebook holds every distinct "
                  "value) or rank16 (quantised to 65536 values first: lossy, small codebook)")
      ->check(CLI::IsMember({"exact", "rank16"}))
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
