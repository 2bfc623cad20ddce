// hwlock demo [--quick] [--dir D] [--keep] [--json]: a short end-to-end lock/unlock, narrated.
//
// Generates a synthetic model, locks it with a fresh key (with and without the key check), unlocks
// it in memory and compares bit for bit, then shows what a wrong key gets.
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <iostream>
#include <memory>

#include "common.hpp"
#include "hwlock/container.hpp"
#include "hwlock/synthetic.hpp"

namespace hwlock::cli {
namespace {

struct DemoArgs {
  bool quick = false, keep = false, json = false;
  std::string dir;
  std::uint64_t mib = 256;
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Fraction of F32 values that are NaN/Inf or larger than 1e3 in magnitude: wrong-key garbage.
double wild_fraction(const UnlockedModel& m) {
  std::uint64_t wild = 0, total = 0;
  for (const auto& t : m.tensors()) {
    if (t.info->dtype != st::DType::F32) continue;
    for (std::size_t i = 0; i + 4 <= t.data.size(); i += 4) {
      float v;
      std::memcpy(&v, t.data.data() + i, 4);
      wild += (!std::isfinite(v) || std::fabs(v) > 1e3f) ? 1 : 0;
      ++total;
    }
  }
  return total ? static_cast<double>(wild) / static_cast<double>(total) : 0.0;
}

int run_demo(const DemoArgs& a) {
  const bool say = !a.json;
  std::filesystem::path dir = a.dir;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hwlock-demo-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      return report(fail(Errc::io_write, tmpl + ": cannot create a temporary directory"), a.json);
    dir = tmpl;
  } else {
    std::filesystem::create_directories(dir);
  }
  const auto model = dir / "model.safetensors", locked = dir / "model.hwlock",
             locked_nokc = dir / "model.nokeycheck.hwlock", key = dir / "device.key",
             other_key = dir / "other.key";
  nlohmann::json out{{"dir", dir.string()}};
  auto bail = [&](const Error& e) { return report(e, a.json); };

  const std::uint64_t mib = a.quick ? 8 : a.mib;
  if (say) std::cout << "1. generating a synthetic " << mib << " MiB model: " << model << "\n";
  auto bytes = write_synthetic_model(model, {mib << 20, 42, a.quick ? 128u : 512u}, true);
  if (!bytes) return bail(bytes.error());
  auto orig = st::Reader::open(model);
  if (!orig) return bail(orig.error());
  out["model_bytes"] = *bytes;
  out["tensors"] = orig->header().tensors.size();

  if (say) std::cout << "2. generating two keys (the device's, and someone else's)\n";
  for (const auto& k : {key, other_key}) {
    auto sk = crypto::SecretKey::generate();
    if (!sk) return bail(sk.error());
    if (auto s = write_key_file(k, *sk, true); !s) return bail(s.error());
  }
  auto src = KeyFileSource::open(key);
  auto other = KeyFileSource::open(other_key);
  if (!src) return bail(src.error());
  if (!other) return bail(other.error());

  if (say) std::cout << "3. locking with aes-256-ctr (header MAC) -> " << locked << "\n";
  LockOptions lo;
  lo.overwrite = true;
  auto t0 = std::chrono::steady_clock::now();
  if (auto s = lock_file(model, locked, **src, lo); !s) return bail(s.error());
  const double lock_s = seconds_since(t0);
  lo.key_check = false;
  if (auto s = lock_file(model, locked_nokc, **src, lo); !s) return bail(s.error());
  auto lm = LockedModel::open(locked);
  if (!lm) return bail(lm.error());
  bool same_layout = lm->header().tensors.size() == orig->header().tensors.size();
  const st::TensorIndex locked_index(lm->header());
  for (const auto& t : orig->header().tensors) {
    const auto* l = locked_index.find(t.name);
    same_layout = same_layout && l && l->dtype == t.dtype && l->shape == t.shape;
  }
  out["lock_seconds"] = lock_s;
  out["locked_lists_same_tensors"] = same_layout;
  if (say)
    std::cout << "   " << human_bytes(static_cast<double>(*bytes) / lock_s)
              << "/s; the container lists the same " << orig->header().tensors.size()
              << " tensors, dtypes and shapes: " << (same_layout ? "yes" : "NO") << "\n";

  if (say) std::cout << "4. unlocking in memory with the right key and comparing bit for bit\n";
  t0 = std::chrono::steady_clock::now();
  auto um = lm->unlock(**src);
  const double unlock_s = seconds_since(t0);
  if (!um) return bail(um.error());
  std::uint64_t differing = 0;
  for (const auto& t : orig->header().tensors) {
    const auto* u = um->find(t.name);
    auto od = orig->data(t);
    if (!u || u->data.size() != od.size() || std::memcmp(u->data.data(), od.data(), od.size()) != 0)
      ++differing;
  }
  out["unlock_seconds"] = unlock_s;
  out["unlocked_identical"] = differing == 0;
  if (say)
    std::cout << "   " << human_bytes(static_cast<double>(*bytes) / unlock_s) << "/s; "
              << (differing == 0 ? "every tensor identical to the original"
                                 : std::to_string(differing) + " tensors DIFFER")
              << "\n";

  if (say) std::cout << "5. unlocking with the wrong key\n";
  auto wrong = lm->unlock(**other);
  out["wrong_key_rejected"] = !wrong.ok() && wrong.error().code == Errc::wrong_key;
  if (say)
    std::cout << "   "
              << (wrong ? std::string("UNEXPECTEDLY ACCEPTED")
                        : "rejected: " + wrong.error().message)
              << "\n";

  if (say) std::cout << "6. the same with no key check (indistinguishable mode)\n";
  auto lm2 = LockedModel::open(locked_nokc, ReadPolicy{.allow_unchecked = true});  // ours: opt in
  if (!lm2) return bail(lm2.error());
  auto garbage = lm2->unlock(**other);
  if (!garbage) return bail(garbage.error());
  const double wild = wild_fraction(*garbage);
  auto right = lm2->unlock(**src);
  if (!right) return bail(right.error());
  out["nokeycheck_wrong_key_wild_f32_fraction"] = wild;
  if (say)
    std::cout << "   wrong key: loads, but " << wild * 100
              << "% of F32 weights are NaN/Inf/huge (AES output is random bits); right key: "
              << (right->tensors().size() == orig->header().tensors.size() ? "unlocks" : "fails")
              << "\n";

  const bool ok = same_layout && differing == 0 && out["wrong_key_rejected"].get<bool>();
  out["ok"] = ok;
  if (!a.keep && a.dir.empty()) std::filesystem::remove_all(dir);
  if (a.json)
    print_json(out);
  else
    std::cout << (ok ? "demo OK" : "demo FAILED")
              << (a.keep || !a.dir.empty() ? "; files kept in " + dir.string() : "") << "\n";
  return ok ? 0 : exit_code(Errc::internal);
}

}  // namespace

void register_demo(CLI::App& app, Verbs& verbs) {
  auto args = std::make_shared<DemoArgs>();
  auto* sub = app.add_subcommand("demo", "End-to-end lock/unlock of a generated model");
  sub->add_flag("--quick", args->quick, "Small model (8 MiB)");
  sub->add_option("--mib", args->mib, "Model size in MiB")->capture_default_str();
  sub->add_option("--dir", args->dir, "Work directory (kept); default: a temporary one, removed");
  sub->add_flag("--keep", args->keep, "Keep the temporary directory");
  sub->add_flag("--json", args->json, "Print JSON");
  verbs.add(sub, [args] { return run_demo(*args); });
}

}  // namespace hwlock::cli
