// hwlock fingerprint-eval --quick: structure of the report, and the numeric source's key
// reproduced in every native process but in no emulator.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "hwlock/error.hpp"
#include "test_util.hpp"

namespace {

using hwlock::test::run;

const std::string kCli = HWLOCK_CLI_PATH;

// A sanitizer-instrumented binary cannot run under valgrind or qemu-user (shadow memory).
#if defined(__SANITIZE_ADDRESS__)
const std::string kEnvs = " --envs native";
#else
const std::string kEnvs = "";
#endif

std::string aarch64_option() {
  const std::string p = HWLOCK_FP_AARCH64_BINARY;
  return std::filesystem::exists(p) ? " --aarch64-binary " + p : "";
}

TEST(FingerprintEvalCli, QuickNumericAndPuf) {
  auto r = run(kCli + " fingerprint-eval --quick --json --sources numeric,puf-sim" + kEnvs +
               aarch64_option());
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));  // after progress
  EXPECT_NE(j["command"].get<std::string>().find("fingerprint-eval --quick"), std::string::npos);
  ASSERT_EQ(j["sources"].size(), 1u);
  const auto& s = j["sources"][0];
  EXPECT_EQ(s["source"], "numeric");
  ASSERT_TRUE(s["enrolled"].get<bool>()) << s["enroll_error"];
  EXPECT_EQ(s["enroll_runs"], 5);
  EXPECT_EQ(s["reliable_bits"], s["bits"]) << "numeric is noise-free";
  EXPECT_EQ(s["native_noise_min_entropy_bits"], 0.0);
  const auto& envs = s["environments"];
  ASSERT_GE(envs.size(), 1u);
  const auto& native = envs[0];
  EXPECT_EQ(native["name"], "native");
  EXPECT_EQ(native["runs"], 3);
  EXPECT_EQ(native["failed_runs"], 0);
  EXPECT_EQ(native["key_matches"], 3);
  EXPECT_EQ(native["frr"], 0.0);
  EXPECT_EQ(native["distinct"], 1);
  EXPECT_EQ(native["intra_distance"]["max"], 0.0);
  std::size_t emulated = 0;
  for (std::size_t i = 1; i < envs.size(); ++i) {
    const auto& e = envs[i];
    if (e.contains("skipped")) continue;
    ++emulated;
    EXPECT_EQ(e["key_matches"], 0) << e["name"];
    EXPECT_EQ(e["far"], 0.0) << e["name"];
    EXPECT_EQ(e["runs"], 3) << e["name"];
    EXPECT_EQ(e["failed_runs"], 0) << e["name"] << ": " << e.value("first_error", "");
    EXPECT_GT(e["distance_to_native"]["min"].get<double>(), 0.0) << e["name"];
  }
  EXPECT_EQ(s["distinct_across_environments"], 1 + emulated);
  const auto& p = j["puf"];
  EXPECT_EQ(p["devices"], 50);
  EXPECT_EQ(p["far_pairs"], 50 * 49);
  EXPECT_EQ(p["far_accepts"], 0);
  EXPECT_EQ(p["frr"]["trials"], 500);
  EXPECT_EQ(p["frr"]["failures"], 0);
  EXPECT_EQ(p["stress"].size(), 3u);
}

TEST(FingerprintEvalCli, MarkdownToFileAndErrors) {
  hwlock::test::TempDir dir;
  const auto out = dir / "report.md";
  auto r = run(kCli + " fingerprint-eval --quick --sources numeric --envs native -o " +
               hwlock::test::quote(out) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto bytes = hwlock::test::read_file(out);
  const std::string md(bytes.begin(), bytes.end());
  EXPECT_NE(md.find("| native | 3 (0) |"), std::string::npos) << md;
  EXPECT_NE(md.find("### Bars"), std::string::npos);
  EXPECT_NE(md.find("key identical across >= 100 native processes: 3 / 3"), std::string::npos)
      << md;
  EXPECT_EQ(run(kCli + " fingerprint-eval --sources gpu 2>&1").exit_code, 2);
  EXPECT_EQ(run(kCli + " fingerprint-eval --ber 0.4 2>&1").exit_code, 2);
  auto unwritable = run(kCli + " fingerprint-eval --quick --sources numeric --envs native " +
                        "-o /nonexistent-dir/report.md 2>&1");
  EXPECT_EQ(unwritable.exit_code, hwlock::exit_code(hwlock::Errc::io_write));
  EXPECT_NE(unwritable.out.find("/nonexistent-dir/report.md"), std::string::npos);
}

}  // namespace
