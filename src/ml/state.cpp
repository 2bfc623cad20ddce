// Module state <-> safetensors (st::write_file / st::Reader), names as named_parameters() gives
// them.
#include <bit>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

#include "state_internal.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors is little-endian; tensors are copied byte for byte");

struct DTypePair {
  torch::ScalarType torch;
  st::DType st;
};
// The dtypes both libtorch and safetensors have.
constexpr DTypePair kDTypePairs[] = {
    {torch::kFloat32, st::DType::F32}, {torch::kFloat64, st::DType::F64},
    {torch::kFloat16, st::DType::F16}, {torch::kBFloat16, st::DType::BF16},
    {torch::kInt64, st::DType::I64},   {torch::kInt32, st::DType::I32},
    {torch::kInt16, st::DType::I16},   {torch::kInt8, st::DType::I8},
    {torch::kUInt8, st::DType::U8},    {torch::kBool, st::DType::BOOL},
};

std::optional<st::DType> to_st(torch::ScalarType t) {
  for (const auto& p : kDTypePairs)
    if (p.torch == t) return p.st;
  return std::nullopt;
}
std::optional<torch::ScalarType> to_torch(st::DType d) {
  for (const auto& p : kDTypePairs)
    if (p.st == d) return p.torch;
  return std::nullopt;
}

std::string shape_string(torch::IntArrayRef sizes) {
  std::string s = "[";
  for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
  return s + "]";
}

}  // namespace

NamedTensors state_of(const torch::nn::Module& module) {
  NamedTensors out;
  for (const auto& p : module.named_parameters(/*recurse=*/true))
    out.emplace_back(p.key(), p.value());
  for (const auto& b : module.named_buffers(/*recurse=*/true)) out.emplace_back(b.key(), b.value());
  return out;
}

Status save_safetensors(const NamedTensors& tensors, const std::filesystem::path& path,
                        const st::Metadata& metadata, bool overwrite) {
  return detail::guard("save " + path.string(), [&]() -> Status {
    std::vector<torch::Tensor> keep;  // contiguous CPU copies the views point into
    std::vector<st::TensorView> views;
    keep.reserve(tensors.size());
    for (const auto& [name, t] : tensors) {
      const auto dtype = to_st(t.scalar_type());
      if (!dtype)
        return fail(Errc::model_mismatch, path.string() + ": tensor \"" + name + "\" has dtype " +
                                              std::string(c10::toString(t.scalar_type())) +
                                              ", which safetensors cannot hold");
      keep.push_back(t.detach().to(torch::kCPU).contiguous());
      const auto& c = keep.back();
      st::TensorView v;
      v.name = name;
      v.dtype = *dtype;
      for (const auto s : c.sizes()) v.shape.push_back(static_cast<std::uint64_t>(s));
      v.data = std::span<const std::byte>(static_cast<const std::byte*>(c.data_ptr()), c.nbytes());
      views.push_back(std::move(v));
    }
    return st::write_file(path, views, metadata, overwrite);
  });
}

Result<NamedTensors> load_safetensors(const std::filesystem::path& path) {
  HWLOCK_ASSIGN(const st::Reader reader, st::Reader::open(path));
  return detail::guard("load " + path.string(), [&]() -> Result<NamedTensors> {
    NamedTensors out;
    for (const auto& info : reader.header().tensors) {
      const auto dtype = to_torch(info.dtype);
      if (!dtype)
        return fail(Errc::model_mismatch,
                    path.string() + ": tensor \"" + info.name + "\" has dtype " +
                        std::string(st::dtype_name(info.dtype)) + ", which libtorch cannot hold");
      std::vector<std::int64_t> shape;
      for (const auto s : info.shape) {
        if (s > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          return fail(Errc::model_mismatch, path.string() + ": tensor \"" + info.name +
                                                "\" has a dimension too large for libtorch");
        shape.push_back(static_cast<std::int64_t>(s));
      }
      auto t = torch::empty(shape, torch::TensorOptions().dtype(*dtype));
      const auto bytes = reader.data(info);
      if (t.nbytes() !=
          bytes.size())  // the reader validated shape x size; this is a dtype-size check
        return fail(Errc::internal,
                    path.string() + ": tensor \"" + info.name + "\": size mismatch");
      if (!bytes.empty()) std::memcpy(t.data_ptr(), bytes.data(), bytes.size());
      out.emplace_back(info.name, std::move(t));
    }
    return out;
  });
}

Status detail::assign_named(const NamedTensors& targets, const NamedTensors& source,
                            std::string_view origin) {
  const std::string where(origin);
  std::map<std::string_view, const torch::Tensor*> by_name;
  for (const auto& [name, t] : source)
    if (!by_name.emplace(name, &t).second)
      return fail(Errc::model_mismatch, where + ": tensor \"" + name + "\" given twice");
  for (const auto& [name, target] : targets) {
    const auto it = by_name.find(name);
    if (it == by_name.end())
      return fail(Errc::model_mismatch, where + ": missing tensor \"" + name + "\" " +
                                            shape_string(target.sizes()) + " (wrong --model?)");
    const auto& src = *it->second;
    if (src.scalar_type() != target.scalar_type())
      return fail(Errc::model_mismatch,
                  where + ": tensor \"" + name + "\" is " + c10::toString(src.scalar_type()) +
                      ", the model needs " + c10::toString(target.scalar_type()));
    if (src.sizes() != target.sizes())
      return fail(Errc::model_mismatch, where + ": tensor \"" + name + "\" has shape " +
                                            shape_string(src.sizes()) + ", the model needs " +
                                            shape_string(target.sizes()));
  }
  if (source.size() != targets.size()) {
    std::map<std::string_view, bool> wanted;
    for (const auto& [name, t] : targets) wanted.emplace(name, true);
    for (const auto& [name, t] : source)
      if (wanted.count(name) == 0)
        return fail(Errc::model_mismatch, where + ": unexpected tensor \"" + name +
                                              "\" (not part of the model; wrong --model?)");
  }
  torch::NoGradGuard no_grad;
  for (const auto& [name, target] : targets) {
    auto t = target;  // shares storage with the module
    t.copy_(*by_name.at(name));
  }
  return {};
}

Status assign_state(torch::nn::Module& module, const NamedTensors& tensors,
                    std::string_view origin) {
  return detail::guard(
      origin, [&]() -> Status { return detail::assign_named(state_of(module), tensors, origin); });
}

Status save_module(const torch::nn::Module& module, const std::filesystem::path& path,
                   const st::Metadata& metadata, bool overwrite) {
  return save_safetensors(state_of(module), path, metadata, overwrite);
}

Status load_module(torch::nn::Module& module, const std::filesystem::path& path) {
  HWLOCK_ASSIGN(const NamedTensors tensors, load_safetensors(path));
  return assign_state(module, tensors, path.string());
}

}  // namespace hwlock::ml
