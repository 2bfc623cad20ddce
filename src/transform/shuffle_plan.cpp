// The couplings of the project's zoo models (src/ml/{mlp,cnn,resnet,vit}.cpp), recognised from
// tensor names and shapes; each zoo plan is a list of groups validated as a spec would be.
#include <set>

#include "shuffle_axes.hpp"
#include "shuffle_groups.hpp"

namespace hwlock::transform {
namespace detail {
namespace {

using Shape = std::vector<std::uint64_t>;

struct Zoo {
  std::string_view arch;
  std::set<std::pair<std::string, Shape>> tensors;
  std::vector<GroupSpec> groups;

  void add(const std::string& name, Shape shape) { tensors.emplace(name, std::move(shape)); }
  void linear(const std::string& n, std::uint64_t out, std::uint64_t in) {
    add(n + ".weight", {out, in});
    add(n + ".bias", {out});
  }
  void conv(const std::string& n, std::uint64_t out, std::uint64_t in, std::uint64_t k, bool bias) {
    add(n + ".weight", {out, in, k, k});
    if (bias) add(n + ".bias", {out});
  }
  void batchnorm(const std::string& n, std::uint64_t c) {
    for (const char* v : {".weight", ".bias", ".running_mean", ".running_var"}) add(n + v, {c});
    add(n + ".num_batches_tracked", {});
  }
};

GroupMember M(std::string tensor, std::uint64_t axis, std::uint64_t block = 1,
              std::uint64_t tile = 1, std::optional<bool> scale = std::nullopt) {
  return {std::move(tensor), axis, block, tile, scale};
}

// Rows of `n`.weight and `n`.bias.
void produced_by(std::vector<GroupMember>& in, const std::string& n) {
  in.push_back(M(n + ".weight", 0));
  in.push_back(M(n + ".bias", 0));
}
// A BatchNorm's four vectors; the affine pair scaled as `scale_affine`, the statistics never.
void batchnorm_side(std::vector<GroupMember>& in, const std::string& n, bool scale_affine) {
  in.push_back(M(n + ".weight", 0, 1, 1, scale_affine));
  in.push_back(M(n + ".bias", 0, 1, 1, scale_affine));
  in.push_back(M(n + ".running_mean", 0, 1, 1, false));
  in.push_back(M(n + ".running_var", 0, 1, 1, false));
}

// MLP 784-256-256-10: the two hidden layers, across ReLU (scaled).
Zoo mlp() {
  Zoo z{"mlp", {}, {}};
  z.linear("fc1", 256, 784);
  z.linear("fc2", 256, 256);
  z.linear("fc3", 10, 256);
  for (const std::string l : {"fc1", "fc2"}) {
    GroupSpec g{l, true, {}, {}};
    produced_by(g.in, l);
    g.out.push_back(M(l == "fc1" ? "fc2.weight" : "fc3.weight", 1));
    z.groups.push_back(std::move(g));
  }
  return z;
}

// LeNet-style CNN: conv1 channels, conv2 channels (fc1 reads them flattened, 5x5 per channel),
// fc1 hidden units; every coupling crosses a ReLU (and max pooling, which commutes with it).
Zoo cnn() {
  Zoo z{"cnn", {}, {}};
  z.conv("conv1", 32, 1, 5, true);
  z.conv("conv2", 64, 32, 5, true);
  z.linear("fc1", 256, 64 * 5 * 5);
  z.linear("fc2", 10, 256);
  const struct {
    const char* layer;
    const char* next;
    std::uint64_t block;
  } couplings[] = {{"conv1", "conv2", 1}, {"conv2", "fc1", 25}, {"fc1", "fc2", 1}};
  for (const auto& c : couplings) {
    GroupSpec g{c.layer, true, {}, {}};
    produced_by(g.in, c.layer);
    g.out.push_back(M(std::string(c.next) + ".weight", 1, c.block));
    z.groups.push_back(std::move(g));
  }
  return z;
}

// ResNet-20: per stage one group for the residual stream (every producer of the stream: the stem
// or the downsample shortcut, each block's conv2 + bn2; every consumer: each block's conv1, the
// next stage's conv1 and downsample, or fc), unscaled; per block one group for the inner channel
// (conv1 rows + bn1 -> conv2 columns), scaled on bn1's affine pair and conv2's columns.
Zoo resnet20() {
  Zoo z{"resnet20", {}, {}};
  z.conv("conv1", 16, 1, 3, false);
  z.batchnorm("bn1", 16);
  const std::uint64_t widths[3] = {16, 32, 64};
  std::uint64_t in = 16;
  std::vector<GroupSpec> streams(3);
  for (int s = 0; s < 3; ++s) {
    const std::uint64_t w = widths[s];
    GroupSpec& stream = streams[static_cast<std::size_t>(s)];
    stream.name = "layer" + std::to_string(s + 1) + ".stream";
    if (s == 0) {
      stream.in.push_back(M("conv1.weight", 0));
      batchnorm_side(stream.in, "bn1", false);
    }
    for (int i = 0; i < 3; ++i) {
      const std::string b = "layer" + std::to_string(s + 1) + "." + std::to_string(i);
      z.conv(b + ".conv1", w, in, 3, false);
      z.batchnorm(b + ".bn1", w);
      z.conv(b + ".conv2", w, w, 3, false);
      z.batchnorm(b + ".bn2", w);
      if (s > 0 && i == 0) {
        z.conv(b + ".downsample.0", w, in, 1, false);
        z.batchnorm(b + ".downsample.1", w);
        stream.in.push_back(M(b + ".downsample.0.weight", 0));
        batchnorm_side(stream.in, b + ".downsample.1", false);
        streams[static_cast<std::size_t>(s - 1)].out.push_back(M(b + ".downsample.0.weight", 1));
      }
      stream.in.push_back(M(b + ".conv2.weight", 0));
      batchnorm_side(stream.in, b + ".bn2", false);
      (i == 0 && s > 0 ? streams[static_cast<std::size_t>(s - 1)] : stream)
          .out.push_back(M(b + ".conv1.weight", 1));
      GroupSpec inner{b + ".inner", true, {}, {}};
      inner.in.push_back(M(b + ".conv1.weight", 0, 1, 1, false));
      batchnorm_side(inner.in, b + ".bn1", true);
      inner.out.push_back(M(b + ".conv2.weight", 1));
      z.groups.push_back(std::move(inner));
      in = w;
    }
  }
  z.linear("fc", 10, 64);
  streams[2].out.push_back(M("fc.weight", 1));
  for (auto& s : streams) z.groups.push_back(std::move(s));
  return z;
}

// ViT-tiny (dim 64, 4 blocks, 4 heads of 16, MLP 128): per block the attention heads (qkv rows in
// blocks of 16, the q, k and v thirds alike; proj columns) and the MLP hidden units; one group for
// the residual stream (embedding dim) of the whole model. None scaled (GELU, softmax, LayerNorm).
Zoo vit_tiny() {
  constexpr std::uint64_t kDim = 64, kHeadDim = 16;
  Zoo z{"vit-tiny", {}, {}};
  z.conv("patch_embed.proj", kDim, 1, 4, true);
  z.add("cls_token", {1, 1, kDim});
  z.add("pos_embed", {1, 50, kDim});
  GroupSpec stream{"stream", false, {}, {}};
  produced_by(stream.in, "patch_embed.proj");
  stream.in.push_back(M("cls_token", 2));
  stream.in.push_back(M("pos_embed", 2));
  for (int i = 0; i < 4; ++i) {
    const std::string b = "blocks." + std::to_string(i);
    for (const char* ln : {".norm1", ".norm2"}) {  // LayerNorm: the stream's own vectors
      z.add(b + ln + ".weight", {kDim});
      z.add(b + ln + ".bias", {kDim});
      produced_by(stream.in, b + ln);
    }
    z.linear(b + ".attn.qkv", 3 * kDim, kDim);
    z.linear(b + ".attn.proj", kDim, kDim);
    z.linear(b + ".mlp.fc1", 128, kDim);
    z.linear(b + ".mlp.fc2", kDim, 128);
    produced_by(stream.in, b + ".attn.proj");
    produced_by(stream.in, b + ".mlp.fc2");
    stream.out.push_back(M(b + ".attn.qkv.weight", 1));
    stream.out.push_back(M(b + ".mlp.fc1.weight", 1));
    GroupSpec heads{b + ".attn.heads", false, {}, {}};
    heads.in.push_back(M(b + ".attn.qkv.weight", 0, kHeadDim, 3));
    heads.in.push_back(M(b + ".attn.qkv.bias", 0, kHeadDim, 3));
    heads.out.push_back(M(b + ".attn.proj.weight", 1, kHeadDim));
    GroupSpec hidden{b + ".mlp.hidden", false, {}, {}};
    produced_by(hidden.in, b + ".mlp.fc1");
    hidden.out.push_back(M(b + ".mlp.fc2.weight", 1));
    z.groups.push_back(std::move(heads));
    z.groups.push_back(std::move(hidden));
  }
  z.add("norm.weight", {kDim});
  z.add("norm.bias", {kDim});
  produced_by(stream.in, "norm");
  z.linear("head", 10, kDim);
  stream.out.push_back(M("head.weight", 1));
  z.groups.push_back(std::move(stream));
  return z;
}

const std::vector<Zoo>& zoo() {
  static const std::vector<Zoo> z{mlp(), cnn(), resnet20(), vit_tiny()};
  return z;
}

const Zoo* match(const std::vector<TensorDesc>& tensors) {
  std::set<std::pair<std::string, Shape>> have;
  for (const auto& t : tensors)
    have.emplace(std::string(t.name), Shape(t.shape.begin(), t.shape.end()));
  for (const auto& z : zoo())
    if (z.tensors == have) return &z;
  return nullptr;
}

}  // namespace
}  // namespace detail

std::optional<std::string_view> recognise_zoo_arch(const std::vector<TensorDesc>& tensors) {
  const auto* z = detail::match(tensors);
  if (!z) return std::nullopt;
  return z->arch;
}

Result<ShufflePlan> plan_for_zoo(const std::vector<TensorDesc>& tensors) {
  const auto* z = detail::match(tensors);
  if (!z)
    return fail(Errc::structure_invalid,
                "no known architecture matches the file's " + std::to_string(tensors.size()) +
                    " tensors (known: mlp, cnn, resnet20, vit-tiny, by exact names and shapes); "
                    "use --structure SPEC or --scheme shuffle-free");
  // Integer or fp8 copies of a zoo model keep the permutations but cannot be scaled.
  std::map<std::string_view, st::DType> dtypes;
  for (const auto& t : tensors) dtypes.emplace(t.name, t.dtype);
  auto groups = z->groups;
  for (auto& g : groups)
    for (auto* side : {&g.in, &g.out})
      for (auto& m : *side)
        if (!detail::scalable_dtype(dtypes.at(m.tensor))) m.scale = false;
  return detail::plan_from_groups(groups, tensors, "zoo plan (" + std::string(z->arch) + ")",
                                  std::string(z->arch));
}

}  // namespace hwlock::transform
