// hwlock/ml/data.hpp — Fashion-MNIST as libtorch tensors (workbench only).
//
// Images become float32 tensors of shape N x 1 x 28 x 28, normalised per pixel as
// (x / 255 - kFashionMnistMean) / kFashionMnistStd; labels become int64 tensors of shape N.
// The train/validation split is a seeded permutation computed by our own generator (splitmix64 +
// Fisher-Yates), so the same seed selects the same examples on every platform and libtorch version.
// No exception crosses these functions: libtorch failures come back as Errc::torch.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "hwlock/error.hpp"
#include "hwlock/idx.hpp"

namespace hwlock::ml {

// Mean and standard deviation of the Fashion-MNIST training pixels, scaled to [0, 1].
inline constexpr double kFashionMnistMean = 0.2860;
inline constexpr double kFashionMnistStd = 0.3530;
inline constexpr std::int64_t kDefaultValidationSize = 5000;

struct TensorDataset {
  torch::Tensor images;  // N x 1 x 28 x 28, float32, normalised
  torch::Tensor labels;  // N, int64
  std::int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
};

// A permutation of [0, n) determined by `seed` alone (identical everywhere).
std::vector<std::int64_t> seeded_permutation(std::int64_t n, std::uint64_t seed);

// uint8 N x 28 x 28 pixels -> normalised float32 N x 1 x 28 x 28.
Result<torch::Tensor> normalise(const torch::Tensor& pixels_u8);

// Converts a loaded split to tensors (copies the data).
Result<TensorDataset> to_tensors(const idx::LabelledImages& data);

// Loads one split of Fashion-MNIST (SHA-256 verified when `verify`) as tensors.
Result<TensorDataset> load_split(idx::Split split, bool verify = true);

// The examples at `indices`, in that order.
Result<TensorDataset> select(const TensorDataset& data, const std::vector<std::int64_t>& indices);
// The first `n` examples (all of them when n <= 0 or n >= size).
TensorDataset head(const TensorDataset& data, std::int64_t n);

struct TrainValidation {
  TensorDataset train, validation;
};
// Shuffles `all` with seeded_permutation(seed) and keeps the first `validation_size` examples for
// validation, the rest (in permuted order) for training.
Result<TrainValidation> split_train_validation(const TensorDataset& all,
                                               std::int64_t validation_size, std::uint64_t seed);

}  // namespace hwlock::ml
