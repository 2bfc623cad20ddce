// TorchScript (torch.jit.save from Python) <-> safetensors.
#include <torch/script.h>

#include <sstream>

#include "hwlock/io.hpp"
#include "state_internal.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

Status check_readable(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return fail(Errc::io_open, path.string() + ": cannot open: " +
                                   (ec ? ec.message() : std::string("not a regular file")));
  return {};
}

// Parameters then buffers of a scripted module; the tensors share storage with it.
NamedTensors state_of_script(const torch::jit::Module& m) {
  NamedTensors out;
  for (const auto& p : m.named_parameters(/*recurse=*/true)) out.emplace_back(p.name, p.value);
  for (const auto& b : m.named_buffers(/*recurse=*/true)) out.emplace_back(b.name, b.value);
  return out;
}

}  // namespace

Result<NamedTensors> load_torchscript_state(const std::filesystem::path& path) {
  HWLOCK_TRY(check_readable(path));
  return detail::guard(path.string(), [&]() -> Result<NamedTensors> {
    const auto m = torch::jit::load(path.string(), torch::kCPU);
    NamedTensors out;
    for (auto& [name, t] : state_of_script(m)) out.emplace_back(name, t.detach().clone());
    return out;
  });
}

Status torchscript_to_safetensors(const std::filesystem::path& torchscript,
                                  const std::filesystem::path& out, bool overwrite) {
  HWLOCK_ASSIGN(const NamedTensors tensors, load_torchscript_state(torchscript));
  return save_safetensors(tensors, out, {{"format", "pt"}}, overwrite);
}

Status safetensors_to_torchscript(const std::filesystem::path& weights,
                                  const std::filesystem::path& torchscript,
                                  const std::filesystem::path& out, bool overwrite) {
  HWLOCK_TRY(check_readable(torchscript));
  HWLOCK_ASSIGN(const NamedTensors tensors, load_safetensors(weights));
  HWLOCK_ASSIGN(std::string bytes,
                detail::guard(torchscript.string(), [&]() -> Result<std::string> {
                  auto m = torch::jit::load(torchscript.string(), torch::kCPU);
                  HWLOCK_TRY(detail::assign_named(state_of_script(m), tensors, weights.string()));
                  std::ostringstream os;
                  m.save(os);
                  return std::move(os).str();
                }));
  HWLOCK_ASSIGN(auto file, io::AtomicFile::create(out, overwrite));
  HWLOCK_TRY(file.write(std::string_view(bytes)));
  return file.commit();
}

}  // namespace hwlock::ml
