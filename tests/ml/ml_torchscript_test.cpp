// TorchScript in: modules scripted and saved by Python (/usr/bin/python3 with torch) at test time,
// converted to safetensors and back, checked value by value.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "hwlock/ml/models.hpp"
#include "hwlock/ml/state.hpp"
#include "hwlock/safetensors.hpp"
#include "test_util.hpp"

namespace {

namespace ml = hwlock::ml;
namespace st = hwlock::st;
using hwlock::Errc;
namespace t = hwlock::test;

constexpr const char* kPython = "/usr/bin/python3";
constexpr int kNoTorch = 77;

// Values are written with float.hex(), so the C++ side can compare bits, not decimals.
constexpr const char* kScript = R"PY(
import sys
try:
    import torch
except ImportError:
    sys.exit(77)

def dump(f, state):
    for name, t in state.items():
        f.write(name + " " + str(t.dtype) + " " + " ".join(float(v).hex() for v in t.flatten().tolist()) + "\n")

if sys.argv[1] == "make":
    out = sys.argv[2]
    torch.manual_seed(0)

    class MLP(torch.nn.Module):  # hwlock's "mlp": same names, same function
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(784, 256)
            self.fc2 = torch.nn.Linear(256, 256)
            self.fc3 = torch.nn.Linear(256, 10)
        def forward(self, x):
            h = torch.relu(self.fc1(x.flatten(1)))
            return self.fc3(torch.relu(self.fc2(h)))

    class Small(torch.nn.Module):  # buffers, including int64 num_batches_tracked
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 4, 3)
            self.bn = torch.nn.BatchNorm2d(4)
            self.head = torch.nn.Linear(4, 2)
        def forward(self, x):
            return self.head(torch.relu(self.bn(self.conv(x))).mean((2, 3)))

    m = MLP().eval()
    torch.jit.script(m).save(out + "/mlp.pt")
    x = torch.linspace(-1, 1, 2 * 784).reshape(2, 1, 28, 28)
    with torch.no_grad():
        y = m(x)
    with open(out + "/mlp_logits.txt", "w") as f:
        f.write(" ".join(v.hex() for v in y.flatten().tolist()) + "\n")
    s = Small().train()
    for _ in range(2):
        s(torch.randn(8, 1, 6, 6))
    s.eval()
    torch.jit.script(s).save(out + "/small.pt")
    with open(out + "/small_state.txt", "w") as f:
        dump(f, s.state_dict())
else:  # "dump FILE.pt OUT.txt": what Python sees in a TorchScript file hwlock wrote
    m = torch.jit.load(sys.argv[2])
    with open(sys.argv[3], "w") as f:
        dump(f, m.state_dict())
)PY";

struct PyTensor {
  std::string dtype;
  std::vector<double> values;
};

std::map<std::string, PyTensor> read_dump(const std::filesystem::path& p) {
  std::map<std::string, PyTensor> out;
  std::ifstream in(p);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string name, word;
    PyTensor t;
    ls >> name >> t.dtype;
    while (ls >> word) t.values.push_back(std::strtod(word.c_str(), nullptr));
    out[name] = std::move(t);
  }
  return out;
}

std::vector<double> values_of(const torch::Tensor& x) {
  const auto d = x.to(torch::kFloat64).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

class TorchScript : public ::testing::Test {
 protected:
  void SetUp() override {
    HWLOCK_REQUIRE_DEPENDENCY(std::filesystem::exists(kPython), kPython << " not found");
    t::write_file(dir_ / "script.py", kScript);
    const auto r = t::run(std::string(kPython) + " " + t::quote(dir_ / "script.py") + " make " +
                          t::quote(dir_.path()));
    HWLOCK_REQUIRE_DEPENDENCY(r.exit_code != kNoTorch,
                              kPython << " has no torch module (apt install python3-torch)");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  t::TempDir dir_;
};

TEST_F(TorchScript, BuffersAndParametersConvertExactly) {
  const auto out = dir_ / "small.safetensors";
  auto s = ml::torchscript_to_safetensors(dir_ / "small.pt", out);
  ASSERT_TRUE(s.ok()) << s.error().message;
  const auto py = read_dump(dir_ / "small_state.txt");
  auto reader = st::Reader::open(out);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  EXPECT_EQ(reader->header().tensors.size(), py.size());
  EXPECT_EQ(reader->header().find("bn.num_batches_tracked")->dtype, st::DType::I64);
  EXPECT_EQ(reader->header().find("bn.running_var")->dtype, st::DType::F32);
  auto tensors = ml::load_safetensors(out);
  ASSERT_TRUE(tensors.ok()) << tensors.error().message;
  for (const auto& [name, x] : *tensors) {
    SCOPED_TRACE(name);
    ASSERT_EQ(py.count(name), 1u);
    EXPECT_EQ(values_of(x), py.at(name).values);  // exact: hex floats
  }
  EXPECT_EQ(py.at("bn.num_batches_tracked").values, std::vector<double>{2});
}

TEST_F(TorchScript, PythonMlpRunsInHwlocksMlp) {
  const auto out = dir_ / "mlp.safetensors";
  ASSERT_TRUE(ml::torchscript_to_safetensors(dir_ / "mlp.pt", out).ok());
  auto model = ml::make_model(ml::Arch::mlp, 123).value();
  auto loaded = ml::load_module(*model, out);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  model->eval();
  torch::NoGradGuard ng;
  const auto y = values_of(model->forward(torch::linspace(-1, 1, 2 * 784).reshape({2, 1, 28, 28})));
  std::ifstream in(dir_ / "mlp_logits.txt");
  std::vector<double> expected;
  std::string word;
  while (in >> word) expected.push_back(std::strtod(word.c_str(), nullptr));
  ASSERT_EQ(y.size(), expected.size());
  for (std::size_t i = 0; i < y.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-5) << i;
}

TEST_F(TorchScript, SafetensorsBackIntoTorchScript) {
  ASSERT_TRUE(ml::torchscript_to_safetensors(dir_ / "small.pt", dir_ / "small.safetensors").ok());
  auto tensors = ml::load_safetensors(dir_ / "small.safetensors").value();
  for (auto& [name, x] : tensors) x = x.is_floating_point() ? x * 2 + 1 : x + 40;
  ASSERT_TRUE(ml::save_safetensors(tensors, dir_ / "changed.safetensors").ok());
  auto back = ml::safetensors_to_torchscript(dir_ / "changed.safetensors", dir_ / "small.pt",
                                             dir_ / "changed.pt");
  ASSERT_TRUE(back.ok()) << back.error().message;
  // Python loads the file we wrote and sees the new values.
  const auto r = t::run(std::string(kPython) + " " + t::quote(dir_ / "script.py") + " dump " +
                        t::quote(dir_ / "changed.pt") + " " + t::quote(dir_ / "changed.txt"));
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const auto py = read_dump(dir_ / "changed.txt");
  ASSERT_EQ(py.size(), tensors.size());
  for (const auto& [name, x] : tensors) EXPECT_EQ(values_of(x), py.at(name).values) << name;
  EXPECT_EQ(py.at("bn.num_batches_tracked").values, std::vector<double>{42});
}

TEST_F(TorchScript, ErrorsAreValues) {
  auto missing = ml::load_torchscript_state(dir_ / "absent.pt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io_open);
  t::write_file(dir_ / "garbage.pt", "not a zip archive");
  auto garbage = ml::load_torchscript_state(dir_ / "garbage.pt");
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.error().code, Errc::torch);
  EXPECT_NE(garbage.error().message.find("garbage.pt"), std::string::npos)
      << garbage.error().message;
  // MLP weights do not fit the small module; nothing is written.
  ASSERT_TRUE(ml::torchscript_to_safetensors(dir_ / "mlp.pt", dir_ / "mlp.safetensors").ok());
  auto mismatch =
      ml::safetensors_to_torchscript(dir_ / "mlp.safetensors", dir_ / "small.pt", dir_ / "x.pt");
  ASSERT_FALSE(mismatch.ok());
  EXPECT_EQ(mismatch.error().code, Errc::model_mismatch);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "x.pt"));
}

}  // namespace
