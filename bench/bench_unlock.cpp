// Unlock throughput on a large synthetic model, as ratios to references measured in the same run:
//   - `openssl speed -evp aes-256-ctr` (single process, 16 KiB blocks): the cipher's ceiling per
//   core;
//   - memcpy of a 256 MiB buffer: the memory system's ceiling.
// Usage: bench_unlock [--gib G] [--dir D] [--json]     (default 1 GiB, a temporary directory)
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "hwlock/container.hpp"
#include "hwlock/synthetic.hpp"

using Clock = std::chrono::steady_clock;

namespace {

double best_of(int reps, const auto& fn) {
  double best = 1e30;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return best;
}

// Bytes per second reported by `openssl speed` for 16 KiB blocks, or 0 if unavailable.
double openssl_speed() {
  FILE* p = ::popen("openssl speed -evp aes-256-ctr -bytes 16384 -seconds 3 2>/dev/null", "r");
  if (p == nullptr) return 0;
  char line[512];
  double kbps = 0;
  while (std::fgets(line, sizeof line, p) != nullptr) {
    if (std::strncmp(line, "AES-256-CTR", 11) != 0 && std::strncmp(line, "aes-256-ctr", 11) != 0)
      continue;
    const char* last = std::strrchr(line, ' ');
    if (last != nullptr) kbps = std::strtod(last + 1, nullptr);
  }
  ::pclose(p);
  return kbps * 1000.0;
}

void die(const hwlock::Error& e) {
  std::cerr << "bench_unlock: " << e.message << "\n";
  std::exit(hwlock::exit_code(e.code));
}

}  // namespace

int main(int argc, char** argv) {
  double gib = 1.0;
  bool json = false;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--gib" && i + 1 < argc)
      gib = std::stod(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--json")
      json = true;
    else {
      std::cerr << "usage: bench_unlock [--gib G] [--dir D] [--json]\n";
      return 2;
    }
  }
  bool made_dir = false;
  if (dir.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hwlock-bench-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return 1;
    dir = tmpl;
    made_dir = true;
  }
  const auto model = std::filesystem::path(dir) / "model.safetensors";
  const auto locked = std::filesystem::path(dir) / "model.hwlock";
  std::cerr << "generating a " << gib << " GiB synthetic model in " << dir << "...\n";
  auto bytes = hwlock::write_synthetic_model(
      model, {static_cast<std::uint64_t>(gib * (1ull << 30)), 7, 1024}, true);
  if (!bytes) die(bytes.error());
  auto key = hwlock::crypto::SecretKey::generate();
  if (!key) die(key.error());
  hwlock::StaticKeySource source(std::move(*key));
  hwlock::LockOptions lo;
  lo.overwrite = true;
  std::cerr << "locking...\n";
  const double lock_s = best_of(1, [&] {
    if (auto s = hwlock::lock_file(model, locked, source, lo); !s) die(s.error());
  });
  std::filesystem::remove(model);  // keep disk use to one copy
  auto lm = hwlock::LockedModel::open(locked);
  if (!lm) die(lm.error());

  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  std::cerr << "measuring references (openssl speed, memcpy)...\n";
  const double openssl_bps = openssl_speed();
  std::vector<char> a(256u << 20, 1), b(256u << 20, 0);
  const double memcpy_s = best_of(5, [&] { std::memcpy(b.data(), a.data(), a.size()); });
  const double memcpy_bps = static_cast<double>(a.size()) / memcpy_s;

  std::cerr << "unlocking in memory...\n";
  const double total = static_cast<double>(*bytes);
  auto unlock_bps = [&](unsigned threads) {
    const double s = best_of(3, [&] {
      auto u = lm->unlock(source, threads);
      if (!u) die(u.error());
    });
    return total / s;
  };
  const double u1 = unlock_bps(1), un = unlock_bps(cores);
  const double lock_bps = total / lock_s;

  // Breakdown. (a) The floor of any unlock from this file: copy its data into fresh memory.
  const std::uint64_t file_bytes = lm->header().data_size();
  std::cerr << "measuring the breakdown (fresh-memory copy, cipher alone)...\n";
  const double copy_s = best_of(3, [&] {
    auto raw = hwlock::io::MappedFile::open(locked);
    auto buf = hwlock::io::PageBuffer::allocate(static_cast<std::size_t>(file_bytes));
    if (!raw || !buf) std::exit(1);
    std::memcpy(buf->data(), raw->bytes().data() + (raw->size() - file_bytes), file_bytes);
  });
  // (b) The cipher alone: AES-256-CTR between two resident 256 MiB buffers, 1 and all cores.
  std::array<std::byte, 32> k{};
  std::array<std::byte, 16> iv{};
  const auto src = std::as_bytes(std::span(a));
  const auto dst = std::as_writable_bytes(std::span(b));
  auto cipher_bps = [&](unsigned threads) {
    return static_cast<double>(a.size()) / best_of(5, [&] {
             if (!hwlock::crypto::aes256_ctr_xor_parallel(k, iv, 0, src, dst, threads))
               std::exit(1);
           });
  };
  const double c1 = cipher_bps(1), cn = cipher_bps(cores);
  const double copy_bps = static_cast<double>(file_bytes) / copy_s;

  const double gb = 1e9;
  const double per_core_vs_openssl = openssl_bps > 0 ? un / (cores * openssl_bps) : 0;
  if (json) {
    std::cout << nlohmann::json{{"model_bytes", *bytes},
                                {"cores", cores},
                                {"openssl_aes256ctr_GBps_1core", openssl_bps / gb},
                                {"memcpy_GBps_1thread", memcpy_bps / gb},
                                {"unlock_mem_GBps_1thread", u1 / gb},
                                {"unlock_mem_GBps_all_cores", un / gb},
                                {"lock_file_GBps_all_cores", lock_bps / gb},
                                {"ratio_unlock_1thread_vs_openssl",
                                 openssl_bps > 0 ? u1 / openssl_bps : 0},
                                {"ratio_unlock_per_core_vs_openssl", per_core_vs_openssl},
                                {"ratio_unlock_all_cores_vs_memcpy", un / memcpy_bps},
                                {"fresh_copy_GBps", copy_bps / gb},
                                {"ratio_unlock_all_cores_vs_fresh_copy", un / copy_bps},
                                {"cipher_GBps_1thread", c1 / gb},
                                {"cipher_GBps_all_cores", cn / gb},
                                {"ratio_cipher_per_core_vs_openssl",
                                 openssl_bps > 0 ? cn / (cores * openssl_bps) : 0}}
                     .dump(2)
              << "\n";
  } else {
    std::printf("model: %.2f GiB, %u cores\n", total / (1ull << 30), cores);
    std::printf("reference openssl speed aes-256-ctr (1 core): %6.2f GB/s\n", openssl_bps / gb);
    std::printf("reference memcpy (1 thread):                  %6.2f GB/s\n", memcpy_bps / gb);
    std::printf("unlock in memory, 1 thread:                  %6.2f GB/s = %.2fx openssl\n",
                u1 / gb, openssl_bps > 0 ? u1 / openssl_bps : 0);
    std::printf(
        "unlock in memory, %u threads:                 %6.2f GB/s = %.2fx openssl per core, %.2fx "
        "memcpy\n",
        cores, un / gb, per_core_vs_openssl, un / memcpy_bps);
    std::printf("lock file to file, %u threads:                %6.2f GB/s = %.2fx memcpy\n", cores,
                lock_bps / gb, lock_bps / memcpy_bps);
    std::printf("breakdown: copy the file into fresh memory:  %6.2f GB/s (unlock = %.2fx of it)\n",
                copy_bps / gb, un / copy_bps);
    std::printf(
        "breakdown: cipher alone, 1 / %u threads:      %6.2f / %.2f GB/s = %.2fx openssl per "
        "core\n",
        cores, c1 / gb, cn / gb, openssl_bps > 0 ? cn / (cores * openssl_bps) : 0);
  }
  std::filesystem::remove(locked);
  if (made_dir) std::filesystem::remove_all(dir);
  return 0;
}
