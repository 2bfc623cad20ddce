#include "common.hpp"
#include "hwlock/container.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace hwlock::cli {

int report(const Error& error, bool json) {
  if (json) {
    print_json({{"ok", false},
                {"error",
                 {{"code", errc_name(error.code)},
                  {"exit_code", exit_code(error.code)},
                  {"message", error.message}}}});
  }
  std::cerr << "hwlock: error: " << error.message << " [" << errc_name(error.code) << "]\n";
  return exit_code(error.code);
}

void print_json(const nlohmann::json& j) {
  std::cout << json_text(j) << "\n";
}

std::string json_text(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run_guarded(const std::function<int()>& body) noexcept {
  const auto internal = [](const char* what) {
    // Plain stdio: the failure may have come from the iostreams or an allocation.
    std::fflush(stdout);
    std::fprintf(stderr, "hwlock: error: %s [%s]\n", what, errc_name(Errc::internal));
    return exit_code(Errc::internal);
  };
  try {
    return body();
  } catch (const std::exception& e) {
    return internal(e.what());
  } catch (...) {
    return internal("unexpected exception");
  }
}

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 4) bytes /= 1024.0, ++u;
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

Progress::Progress(std::string label)
    : label_(std::move(label)),
      enabled_(::isatty(STDERR_FILENO) != 0 ||
               (std::getenv("HWLOCK_PROGRESS") != nullptr &&
                std::string(std::getenv("HWLOCK_PROGRESS")) == "1")),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (drawn_) std::cerr << "\n";
}

void Progress::operator()(std::uint64_t done, std::uint64_t total) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redraw at most ten times a second, and always at the end.
  if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double frac = total == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total);
  const int width = 30, fill = static_cast<int>(frac * width);
  std::string bar(static_cast<std::size_t>(fill), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%s [%s] %3.0f%% %s/%s %s/s", label_.c_str(), bar.c_str(), frac * 100,
               human_bytes(static_cast<double>(done)).c_str(),
               human_bytes(static_cast<double>(total)).c_str(),
               human_bytes(secs > 0 ? static_cast<double>(done) / secs : 0).c_str());
  std::fflush(stderr);
  drawn_ = true;
}

}  // namespace hwlock::cli

#include "hwlock/keys.hpp"

namespace hwlock::cli {

Result<std::unique_ptr<KeyFileSource>> open_key_file(const std::string& path) {
  std::string warning;
  auto src = KeyFileSource::open(path, &warning);
  if (src && !warning.empty()) std::cerr << "hwlock: warning: " << warning << "\n";
  return src;
}

}  // namespace hwlock::cli

#include <fstream>

#include "hwlock/device.hpp"

namespace hwlock::cli {

Result<std::unique_ptr<KeySource>> unlock_source(const std::string& key_file,
                                                 const std::string& container) {
  if (key_file.empty()) {
    // Without --key-file the live device is measured; a key-file lock has nothing to measure.
    if (!container.empty()) {
      auto m = LockedModel::open(container, ReadPolicy{.allow_unchecked = true});
      if (m && m->lock().key_source_kind != "device")
        return fail(Errc::usage, container + ": locked with a " + m->lock().key_source_kind +
                                     " key, not for a device: give --key-file FILE");
    }
    return std::unique_ptr<KeySource>(device::DeviceKeySource::live());
  }
  HWLOCK_ASSIGN(auto src, open_key_file(key_file));
  return std::unique_ptr<KeySource>(std::move(src));
}

Result<std::unique_ptr<KeySource>> lock_source(const std::string& key_file,
                                               const std::vector<std::string>& devices) {
  if (!key_file.empty() && !devices.empty())
    return fail(Errc::usage, "give either --key-file or --device, not both");
  if (!key_file.empty()) {
    HWLOCK_ASSIGN(auto src, open_key_file(key_file));
    return std::unique_ptr<KeySource>(std::move(src));
  }
  if (devices.empty()) return fail(Errc::usage, "give --key-file or at least one --device");
  std::vector<nlohmann::json> records;
  for (const auto& path : devices) {
    std::ifstream in(path);
    if (!in) return fail(Errc::key_source, path + ": cannot open device record");
    try {
      records.push_back(nlohmann::json::parse(in));
    } catch (const nlohmann::json::exception& e) {
      return fail(Errc::key_source, path + ": device record is not JSON: " + e.what());
    }
    HWLOCK_TRY(device::validate_record(records.back(), path));
  }
  HWLOCK_ASSIGN(auto src, device::DeviceKeySource::for_lock(std::move(records)));
  return std::unique_ptr<KeySource>(std::move(src));
}

}  // namespace hwlock::cli

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace hwlock::cli {

bool is_workbench_verb(std::string_view verb) {
  static constexpr std::array<std::string_view, 3> kVerbs = {"train", "eval", "softlock"};
  return std::find(kVerbs.begin(), kVerbs.end(), verb) != kVerbs.end();
}

int exec_workbench(char** argv) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  const auto ml = (ec ? std::filesystem::path(argv[0]) : self).parent_path() / "hwlock-ml";
  ::execv(ml.c_str(), argv);
  return report(fail(Errc::usage, std::string(argv[1]) + ": the workbench (" + ml.string() +
                                      ") is not available: " + std::strerror(errno) +
                                      "; build hwlock with libtorch (HWLOCK_WITH_TORCH=ON)"));
}

}  // namespace hwlock::cli

#include "hwlock/io.hpp"

namespace hwlock::cli {

Status write_text_output(const std::filesystem::path& path, std::string_view text, bool overwrite) {
  HWLOCK_ASSIGN(auto file, io::AtomicFile::create(path, overwrite));
  HWLOCK_TRY(file.write(text));
  return file.commit();
}

}  // namespace hwlock::cli

namespace hwlock::cli {

void add_allow_unchecked(CLI::App* sub, bool& flag) {
  sub->add_flag("--allow-unchecked", flag,
                "Accept a container without a key check (locked with --no-key-check): a wrong "
                "key or device then decodes silently to a wrong model, and an edited header "
                "goes unnoticed");
}

}  // namespace hwlock::cli
