#include "common.hpp"

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
  std::cout << j.dump(2) << "\n";
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
