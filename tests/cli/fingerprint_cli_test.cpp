// hwlock fingerprint, natively and on the "other hardware" this machine can really run.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hwlock/error.hpp"
#include "test_util.hpp"

namespace {

using hwlock::test::run;

const std::string kCli = HWLOCK_CLI_PATH;

nlohmann::json measure(const std::string& prefix, const std::string& args) {
  auto r = run(prefix + kCli + " fingerprint --json " + args + " 2>/dev/null");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return nlohmann::json::parse(r.out.substr(r.out.find('{')));
}

bool have(const char* tool) {
  return run(std::string("command -v ") + tool).exit_code == 0;
}

// A sanitizer-instrumented binary cannot run under valgrind or qemu-user (shadow memory).
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

TEST(FingerprintCli, NumericIsIdenticalAcrossRunsAndProcesses) {
  auto a = measure("", "--repeat 3");
  EXPECT_EQ(a["identical_runs"], 3);
  EXPECT_GT(a["bits"].get<int>(), 500);
  auto b = measure("", "");
  EXPECT_EQ(a["runs"][0]["measurement_id"], b["runs"][0]["measurement_id"]);
  EXPECT_FALSE(a["runs"][0].contains("bits_hex")) << "bits are printed only on request";
}

TEST(FingerprintCli, NumericDiffersUnderQemu) {
  if (kSanitized) GTEST_SKIP() << "sanitizer build";
  HWLOCK_REQUIRE_DEPENDENCY(have("qemu-x86_64"), "qemu-user not installed");
  auto native = measure("", "");
  auto emulated = measure("qemu-x86_64 ", "");
  EXPECT_NE(native["runs"][0]["measurement_id"], emulated["runs"][0]["measurement_id"]);
}

TEST(FingerprintCli, NumericDiffersUnderValgrind) {
  if (kSanitized) GTEST_SKIP() << "sanitizer build";
  HWLOCK_REQUIRE_DEPENDENCY(have("valgrind"), "valgrind not installed");
  auto native = measure("", "");
  auto emulated = measure("valgrind -q ", "");
  EXPECT_NE(native["runs"][0]["measurement_id"], emulated["runs"][0]["measurement_id"]);
}

TEST(FingerprintCli, PufSimulatorAndErrors) {
  auto p = measure("",
                   "--source puf-sim --params '{\"device_seed\": 7, \"bit_error_rate\": 0.1}' "
                   "--repeat 3");
  EXPECT_GT(p["bits"].get<int>(), 0);
  EXPECT_GT(p["runs"][1]["hamming_to_first"].get<int>(), 0) << "a 10 % noisy PUF varies";
  EXPECT_EQ(run(kCli + " fingerprint --params '{'").exit_code, 2);
  EXPECT_EQ(run(kCli + " fingerprint --source puf-sim --params '{\"nope\": 1}'").exit_code, 71);
  const auto gpu = run(kCli + " fingerprint --source gpu");
  EXPECT_EQ(gpu.exit_code, 2);
  EXPECT_NE(gpu.out.find("unknown fingerprint source \"gpu\""), std::string::npos) << gpu.out;
  // The runtime binary points to the workbench for the libtorch source, as enroll does.
  const auto torch = run(kCli + " fingerprint --source torch");
  EXPECT_EQ(torch.exit_code, hwlock::exit_code(hwlock::Errc::key_source));
  EXPECT_NE(torch.out.find("hwlock-ml fingerprint"), std::string::npos) << torch.out;
}

}  // namespace

namespace {

TEST(DeviceCli, EnrollLockUnlockHereButNotUnderEmulation) {
  hwlock::test::TempDir dir;
  const auto q = [](const std::filesystem::path& p) { return hwlock::test::quote(p); };
  ASSERT_EQ(run(kCli + " demo --quick --dir " + q(dir.path()) + " >/dev/null").exit_code, 0);
  auto e = run(kCli + " enroll --json -o " + q(dir / "numeric.json"));
  ASSERT_EQ(e.exit_code, 0) << e.out;
  auto l = run(kCli + " lock " + q(dir / "model.safetensors") + " -o " + q(dir / "d.hwlock") +
               " --device " + q(dir / "numeric.json"));
  ASSERT_EQ(l.exit_code, 0) << l.out;
  auto v =
      run(kCli + " verify " + q(dir / "d.hwlock") + " --against " + q(dir / "model.safetensors"));
  EXPECT_EQ(v.exit_code, 0) << v.out;
  auto both = run(kCli + " lock " + q(dir / "model.safetensors") + " -o " + q(dir / "x") +
                  " --device " + q(dir / "numeric.json") + " --key-file " + q(dir / "device.key"));
  EXPECT_EQ(both.exit_code, 2) << both.out;
  if (kSanitized) GTEST_SKIP() << "no qemu run in a sanitizer build";
  HWLOCK_REQUIRE_DEPENDENCY(have("qemu-x86_64"), "qemu-user not installed");
  auto emulated = run("qemu-x86_64 " + kCli + " unlock " + q(dir / "d.hwlock") + " -o " +
                      q(dir / "stolen.safetensors"));
  EXPECT_EQ(emulated.exit_code, 44) << emulated.out;
  EXPECT_NE(emulated.out.find("locked for a different device or key"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir / "stolen.safetensors"));
}

}  // namespace
