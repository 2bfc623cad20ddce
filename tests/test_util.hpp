// Helpers shared by the tests: temporary directories, files, and running the CLI.
#pragma once

#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace hwlock::test {

// Whether this run is CI's (CI=true, as .ci/run is started): there every dependency is installed by
// scripts/install-deps.sh, so a missing one is a failure, not a skip.
inline bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Skips the current test when a dependency (a package, a tool, the dataset) is missing, printing
// why; under CI the same condition fails the test. Only for dependencies install-deps.sh installs:
// what the CPU lacks (an instruction set) stays a skip everywhere.
#define HWLOCK_REQUIRE_DEPENDENCY(present, why)                                      \
  do {                                                                               \
    if (!(present)) {                                                                \
      if (::hwlock::test::in_ci()) FAIL() << "missing dependency under CI: " << why; \
      GTEST_SKIP() << why;                                                           \
    }                                                                                \
  } while (0)

class TempDir {
 public:
  TempDir() {
    std::string t = (std::filesystem::temp_directory_path() / "hwlock-test-XXXXXX").string();
    if (::mkdtemp(t.data()) == nullptr) std::abort();
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::vector<char> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout and stderr together
};

// Runs a shell command line; captures output and the exit code.
inline RunResult run(const std::string& cmd) {
  RunResult r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::string quote(const std::filesystem::path& p) {
  return "'" + p.string() + "'";
}

}  // namespace hwlock::test
