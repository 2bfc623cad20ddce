// Constructors of the zoo's models (one file each); make_model() in zoo.cpp picks one.
#pragma once

#include <memory>

#include "hwlock/ml/models.hpp"

namespace hwlock::ml::detail {

std::shared_ptr<Net> make_mlp();
std::shared_ptr<Net> make_cnn();
std::shared_ptr<Net> make_resnet20();
std::shared_ptr<Net> make_vit();

}  // namespace hwlock::ml::detail
