// The "torch" fingerprint source: layout, determinism in and across processes, its dependence on
// the kernels ATen dispatches to, and device records built from it (hwlock-ml only).
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "hwlock/device.hpp"
#include "hwlock/fingerprint.hpp"
#include "hwlock/ml/fingerprint_torch.hpp"
#include "hwlock/synthetic.hpp"
#include "test_util.hpp"

namespace {

namespace t = hwlock::test;
using hwlock::Errc;
using nlohmann::json;

const std::string kCli = HWLOCK_CLI_PATH;
const std::string kMlCli = (std::filesystem::path(kCli).parent_path() / "hwlock-ml").string();

// `hwlock-ml fingerprint --json --show-bits` in a fresh process, with `env` prefixed.
json measure_in_process(const std::string& env, const std::string& cli = kMlCli,
                        const std::string& source = "torch") {
  const auto r = t::run("(" + env + " " + cli + " fingerprint --source " + source +
                        " --json --show-bits 2>/dev/null)");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  const json j = json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

std::string bits_of(const json& j) {
  return j.is_object() ? j["runs"][0].value("bits_hex", std::string()) : std::string();
}

TEST(TorchFingerprint, LayoutAndDeterminismInProcess) {
  hwlock::ml::register_torch_source();
  auto src = hwlock::fingerprint::make_source("torch");
  ASSERT_TRUE(src) << src.error().message;
  at::set_num_threads(2);
  auto a = (*src)->measure();
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(at::get_num_threads(), 2) << "the probe restores the thread count";
  auto b = (*src)->measure();
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->bits, b->bits);
  EXPECT_EQ(a->kind, "torch");
  ASSERT_EQ(a->fields.size(), 18u);
  EXPECT_EQ(a->bits.size(), 18u * 32u);
  for (std::size_t i = 0; i < a->fields.size(); ++i) {
    EXPECT_EQ(a->fields[i].offset, 32 * i);
    EXPECT_EQ(a->fields[i].name.rfind("torch.", 0), 0u) << a->fields[i].name;
    EXPECT_NE(a->bits.get_bits(32 * i, 32), 0u) << a->fields[i].name;
  }
  const std::string cap = hwlock::ml::torch_cpu_capability();
  const std::uint64_t cap_code = cap == "default" ? 0 : cap == "avx2" ? 1 : 2;
  ASSERT_EQ(a->platform.size(), 2u);
  EXPECT_EQ(a->platform.get_bits(0, 2), cap_code);
  auto bad = hwlock::fingerprint::make_source("torch", json{{"seed", 1}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::fp_bad_params);
}

TEST(TorchFingerprint, IdenticalAcrossProcessesAndThisOne) {
  const json p1 = measure_in_process("");
  const json p2 = measure_in_process("OMP_NUM_THREADS=2");
  ASSERT_FALSE(bits_of(p1).empty());
  EXPECT_EQ(bits_of(p1), bits_of(p2));
  EXPECT_EQ(p1["bits"], 576);
  hwlock::ml::register_torch_source();
  auto src = hwlock::fingerprint::make_source("torch");
  ASSERT_TRUE(src);
  auto here = (*src)->measure();
  ASSERT_TRUE(here) << here.error().message;
  if (std::getenv("ATEN_CPU_CAPABILITY") == nullptr) {
    EXPECT_EQ(here->bits.to_hex(), bits_of(p1));
  }
}

// The same JSON shape as `hwlock fingerprint --json` (hwlock fingerprint-eval parses both).
TEST(TorchFingerprint, CliJsonHasTheRuntimeShape) {
  const json ml = measure_in_process("", kMlCli, "numeric");
  const json rt = measure_in_process("", kCli, "numeric");
  ASSERT_TRUE(ml.is_object() && rt.is_object());
  for (const auto& item : rt.items()) EXPECT_TRUE(ml.contains(item.key())) << item.key();
  for (const auto& item : ml.items())
    EXPECT_TRUE(rt.contains(item.key()) || item.key() == "torch_cpu_capability") << item.key();
  EXPECT_EQ(bits_of(ml), bits_of(rt)) << "the numeric source is the same code in both binaries";
}

// On this machine's libtorch, ATEN_CPU_CAPABILITY changes the bits: the vector width reorders
// reductions and the transcendentals switch between libm and SLEEF (docs/FINGERPRINTS.md).
TEST(TorchFingerprint, DependsOnTheDispatchedCpuCapability) {
  const json native = measure_in_process("");
  const json scalar = measure_in_process("ATEN_CPU_CAPABILITY=default");
  ASSERT_TRUE(native.is_object() && scalar.is_object());
  EXPECT_EQ(scalar["torch_cpu_capability"], "default");
  if (native["torch_cpu_capability"] == "default")
    GTEST_SKIP() << "ATen dispatches to its default kernels here: nothing to compare";
  EXPECT_NE(bits_of(native), bits_of(scalar));
  // Forcing a capability the CPU lacks kills libtorch with SIGILL: ask the CPU first.
  for (const char* cap : {"avx2", "avx512"})
    if (!hwlock::fingerprint::aten_capability_available(cap))
      GTEST_SKIP() << "this CPU cannot run ATEN_CPU_CAPABILITY=" << cap << " (see hwlock/cpu.hpp)";
  const json avx2 = measure_in_process("ATEN_CPU_CAPABILITY=avx2");
  const json avx512 = measure_in_process("ATEN_CPU_CAPABILITY=avx512");
  EXPECT_EQ(avx2["torch_cpu_capability"], "avx2");
  EXPECT_EQ(avx512["torch_cpu_capability"], "avx512");
  EXPECT_NE(bits_of(avx2), bits_of(avx512)) << "16- vs 8-wide reductions";
}

// Records with a torch part: hwlock-ml enrolls and unlocks them; the runtime names hwlock-ml.
TEST(TorchFingerprint, TorchRecordsNeedTheWorkbench) {
  t::TempDir dir;
  ASSERT_TRUE(hwlock::write_synthetic_model(dir / "m.safetensors", {1u << 16, 2, 64}, false));
  const auto e = t::run(kMlCli + " enroll --source numeric+torch -o " + t::quote(dir / "d.json"));
  ASSERT_EQ(e.exit_code, 0) << e.out;
  std::ifstream in(dir / "d.json");
  const json record = json::parse(in);
  EXPECT_EQ(hwlock::device::record_source_kinds(record),
            (std::vector<std::string>{"numeric", "torch"}));
  const auto l = t::run(kCli + " lock " + t::quote(dir / "m.safetensors") + " -o " +
                        t::quote(dir / "m.hwlock") + " --device " + t::quote(dir / "d.json"));
  ASSERT_EQ(l.exit_code, 0) << l.out;
  const auto runtime =
      t::run(kCli + " unlock " + t::quote(dir / "m.hwlock") + " -o " + t::quote(dir / "r.st"));
  EXPECT_EQ(runtime.exit_code, hwlock::exit_code(Errc::key_source)) << runtime.out;
  EXPECT_NE(runtime.out.find("hwlock-ml"), std::string::npos) << runtime.out;
  EXPECT_FALSE(std::filesystem::exists(dir / "r.st"));
  const auto wb =
      t::run(kMlCli + " unlock " + t::quote(dir / "m.hwlock") + " -o " + t::quote(dir / "w.st"));
  EXPECT_EQ(wb.exit_code, 0) << wb.out;
  const auto other = t::run("ATEN_CPU_CAPABILITY=default " + kMlCli + " unlock " +
                            t::quote(dir / "m.hwlock") + " -o " + t::quote(dir / "o.st"));
  if (hwlock::ml::torch_cpu_capability() != "default") {
    EXPECT_EQ(other.exit_code, hwlock::exit_code(Errc::wrong_key)) << other.out;
    EXPECT_NE(other.out.find("locked for a different device or key"), std::string::npos);
  }
}

}  // namespace
