// Fashion-MNIST tensors, normalisation and the seeded train/validation split.
#include <limits>
#include <string>

#include "hwlock/ml/data.hpp"
#include "torch_guard.hpp"

namespace hwlock::ml {
namespace {

// splitmix64 (Steele, Lea, Flood 2014): a tiny generator whose output is fixed by its definition,
// unlike std:: distributions, so permutations are the same with every standard library.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() noexcept {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, bound), bound >= 1, without modulo bias (rejection).
  std::uint64_t below(std::uint64_t bound) noexcept {
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() -
                                std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t r;
    do r = next();
    while (r >= limit);
    return r % bound;
  }
};

torch::Tensor index_tensor(const std::vector<std::int64_t>& indices) {
  return torch::from_blob(const_cast<std::int64_t*>(indices.data()),
                          {static_cast<std::int64_t>(indices.size())}, torch::kInt64)
      .clone();
}

}  // namespace

std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed) {
  std::vector<std::int64_t> p(static_cast<std::size_t>(n > 0 ? n : 0));
  for (std::size_t i = 0; i < p.size(); ++i) p[i] = static_cast<std::int64_t>(i);
  SplitMix64 rng{seed};
  for (std::size_t i = p.size(); i > 1; --i) std::swap(p[i - 1], p[rng.below(i)]);
  return p;
}

Result<torch::Tensor> normalise(const torch::Tensor& pixels_u8) {
  return detail::guard("normalise", [&]() -> Result<torch::Tensor> {
    if (pixels_u8.scalar_type() != torch::kUInt8 || pixels_u8.dim() != 3)
      return fail(Errc::internal, "normalise: expected uint8 N x H x W pixels");
    return pixels_u8.to(torch::kFloat32)
        .div_(255.0)
        .sub_(kFashionMnistMean)
        .div_(kFashionMnistStd)
        .unsqueeze(1);
  });
}

Result<TensorDataset> to_tensors(const idx::LabelledImages& data) {
  return detail::guard("to_tensors", [&]() -> Result<TensorDataset> {
    const auto n = static_cast<std::int64_t>(data.images.count);
    if (data.labels.size() != data.images.count ||
        data.images.pixels.size() !=
            std::size_t{data.images.count} * data.images.rows * data.images.cols)
      return fail(Errc::internal, "to_tensors: inconsistent image and label counts");
    auto pixels = torch::from_blob(const_cast<std::uint8_t*>(data.images.pixels.data()),
                                   {n, static_cast<std::int64_t>(data.images.rows),
                                    static_cast<std::int64_t>(data.images.cols)},
                                   torch::kUInt8);
    TensorDataset out;
    HWLOCK_ASSIGN(out.images, normalise(pixels));  // to(kFloat32) copies out of the borrowed blob
    out.labels = torch::from_blob(const_cast<std::uint8_t*>(data.labels.data()), {n}, torch::kUInt8)
                     .to(torch::kInt64);
    return out;
  });
}

Result<TensorDataset> load_split(idx::Split split, bool verify) {
  HWLOCK_ASSIGN(const idx::LabelledImages raw, idx::load_fashion_mnist(split, verify));
  return to_tensors(raw);
}

Result<TensorDataset> select(const TensorDataset& data, const std::vector<std::int64_t>& indices) {
  const std::int64_t n = data.size();
  for (const auto i : indices)
    if (i < 0 || i >= n)
      return fail(Errc::internal, "select: index " + std::to_string(i) + " outside a dataset of " +
                                      std::to_string(n));
  return detail::guard("select", [&]() -> Result<TensorDataset> {
    const auto idx = index_tensor(indices);
    return TensorDataset{data.images.index_select(0, idx), data.labels.index_select(0, idx)};
  });
}

TensorDataset head(const TensorDataset& data, std::int64_t n) {
  if (n <= 0 || n >= data.size()) return data;
  return TensorDataset{data.images.narrow(0, 0, n), data.labels.narrow(0, 0, n)};
}

Result<TrainValidation> split_train_validation(const TensorDataset& all,
                                               std::int64_t validation_size, std::uint64_t seed) {
  const std::int64_t n = all.size();
  if (validation_size < 0 || validation_size >= n)
    return fail(Errc::usage, "validation size " + std::to_string(validation_size) +
                                 " must be in [0, " + std::to_string(n) + ")");
  const auto perm = seeded_permutation(n, seed);
  const auto cut = perm.begin() + static_cast<std::ptrdiff_t>(validation_size);
  TrainValidation out;
  HWLOCK_ASSIGN(out.validation, select(all, std::vector<std::int64_t>(perm.begin(), cut)));
  HWLOCK_ASSIGN(out.train, select(all, std::vector<std::int64_t>(cut, perm.end())));
  return out;
}

}  // namespace hwlock::ml
