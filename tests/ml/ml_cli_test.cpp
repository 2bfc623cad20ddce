// The workbench verbs end to end: hwlock train, then hwlock eval on what it wrote.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "hwlock/error.hpp"
#include "ml/ml_test_util.hpp"
#include "test_util.hpp"

namespace {

namespace t = hwlock::test;
using hwlock::Errc;
using hwlock::exit_code;

const std::string kCli = HWLOCK_CLI_PATH;

// stdout only (run() merges stderr, where progress goes, so drop it in a subshell), as JSON.
nlohmann::json json_of(const std::string& cmd, int* rc) {
  const auto r = t::run("(" + cmd + " 2>/dev/null)");
  *rc = r.exit_code;
  return nlohmann::json::parse(r.out, nullptr, /*allow_exceptions=*/false);
}

TEST(CliWorkbench, TrainThenEval) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  t::TempDir dir;
  const auto model = dir / "mlp.safetensors";
  int rc = -1;
  const auto tr =
      json_of(kCli + " train --model mlp --epochs 1 --limit 3000 --validation 500 --threads 1 -o " +
                  t::quote(model) + " --json",
              &rc);
  ASSERT_EQ(rc, 0) << tr.dump();
  EXPECT_EQ(tr["train_examples"], 3000);
  EXPECT_EQ(tr["epochs"].size(), 1u);
  EXPECT_GT(tr["epochs"][0]["validation_accuracy"].get<double>(), 0.6);

  // The architecture comes from the file's metadata when --model is absent.
  const auto ev =
      json_of(kCli + " eval " + t::quote(model) + " --limit 1000 --threads 1 --json", &rc);
  ASSERT_EQ(rc, 0) << ev.dump();
  EXPECT_EQ(ev["model"], "mlp");
  EXPECT_EQ(ev["examples"], 1000);
  EXPECT_GT(ev["accuracy"].get<double>(), 0.6);
  EXPECT_GT(ev["latency_ms_single"].get<double>(), 0);

  // Refuses to overwrite; the wrong architecture is a model mismatch; unknown names are usage
  // errors.
  EXPECT_EQ(t::run(kCli + " train --model mlp --limit 100 -o " + t::quote(model)).exit_code,
            exit_code(Errc::output_exists));
  const auto wrong = t::run(kCli + " eval " + t::quote(model) + " --model cnn --limit 10");
  EXPECT_EQ(wrong.exit_code, exit_code(Errc::model_mismatch)) << wrong.out;
  EXPECT_EQ(t::run(kCli + " train --model resnet18 -o " + t::quote(dir / "x")).exit_code,
            exit_code(Errc::usage));
}

TEST(CliWorkbench, ProgressLineOnStderr) {
  HWLOCK_SKIP_WITHOUT_DATASET();
  t::TempDir dir;
  const auto r = t::run("(HWLOCK_PROGRESS=1 " + kCli +
                        " train --model mlp --epochs 1 --limit 640 --validation 100 " +
                        "--threads 1 -o " + t::quote(dir / "m.safetensors") + " 2>&1 >/dev/null)");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("epoch 1/1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("loss"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("examples/s"), std::string::npos) << r.out;
}

TEST(CliWorkbench, MissingDatasetIsExplained) {
  t::TempDir dir;
  const auto r = t::run("HWLOCK_FASHION_MNIST_DIR=" + t::quote(dir / "none") + " " + kCli +
                        " train --model mlp -o " + t::quote(dir / "m.safetensors"));
  EXPECT_EQ(r.exit_code, exit_code(Errc::dataset_missing)) << r.out;
  EXPECT_NE(r.out.find("dataset-fashion-mnist"), std::string::npos) << r.out;
}

}  // namespace
