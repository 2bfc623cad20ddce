// Structure specs (docs/SHUFFLE.md, "Structure spec"): hostile JSON -> coupling groups -> the
// shuffle-v1 requests of every tensor.
#include <set>
#include <utility>

#include "shuffle_axes.hpp"
#include "shuffle_groups.hpp"

namespace hwlock::transform {
namespace detail {
namespace {

constexpr std::size_t kMaxGroupName = 256;  // as shuffle-v1's parameters

Error invalid(std::string_view origin, const std::string& path, const std::string& why) {
  return fail(Errc::structure_invalid, std::string(origin) + ": " + path + ": " + why);
}

std::optional<std::uint64_t> spec_integer(const nlohmann::json& v) {
  if (v.is_number_unsigned()) return v.get<std::uint64_t>();
  if (v.is_number_integer() && v.get<std::int64_t>() >= 0)
    return static_cast<std::uint64_t>(v.get<std::int64_t>());
  return std::nullopt;
}

Result<GroupMember> parse_member(const nlohmann::json& m, std::string_view origin,
                                 const std::string& path) {
  if (!m.is_object()) return invalid(origin, path, "not an object");
  for (const auto& [k, v] : m.items())
    if (k != "tensor" && k != "axis" && k != "block" && k != "tile" && k != "scale")
      return invalid(origin, path + "." + k, "unknown field");
  GroupMember g;
  const auto t = m.find("tensor");
  if (t == m.end() || !t->is_string())
    return invalid(origin, path + ".tensor", "missing or not a string");
  g.tensor = t->get<std::string>();
  const auto ax = m.find("axis");
  if (ax == m.end() || !spec_integer(*ax))
    return invalid(origin, path + ".axis", "missing or not a non-negative integer");
  g.axis = *spec_integer(*ax);
  for (const char* name : {"block", "tile"}) {
    const auto f = m.find(name);
    if (f == m.end()) continue;
    const auto v = spec_integer(*f);
    if (!v || *v == 0) return invalid(origin, path + "." + name, "not a positive integer");
    (std::string_view(name) == "block" ? g.block : g.tile) = *v;
  }
  if (const auto s = m.find("scale"); s != m.end()) {
    if (!s->is_boolean()) return invalid(origin, path + ".scale", "not a boolean");
    g.scale = s->get<bool>();
  }
  return g;
}

Result<std::vector<GroupSpec>> parse_spec(const nlohmann::json& spec, std::string_view origin) {
  if (!spec.is_object()) return invalid(origin, "(top level)", "not a JSON object");
  for (const auto& [k, v] : spec.items())
    if (k != "hwlock_structure" && k != "groups") return invalid(origin, k, "unknown field");
  const auto ver = spec.find("hwlock_structure");
  if (ver == spec.end() ||
      spec_integer(*ver) != std::optional<std::uint64_t>(kStructureSpecVersion))
    return invalid(origin, "hwlock_structure", "missing or not 1 (the only version)");
  const auto gs = spec.find("groups");
  if (gs == spec.end() || !gs->is_array())
    return invalid(origin, "groups", "missing or not an array");
  if (gs->empty()) return invalid(origin, "groups", "no groups: the spec would lock nothing");
  std::vector<GroupSpec> out;
  for (std::size_t i = 0; i < gs->size(); ++i) {
    const auto& g = (*gs)[i];
    const std::string path = "groups[" + std::to_string(i) + "]";
    if (!g.is_object()) return invalid(origin, path, "not an object");
    for (const auto& [k, v] : g.items())
      if (k != "name" && k != "scale" && k != "in" && k != "out")
        return invalid(origin, path + "." + k, "unknown field");
    GroupSpec s;
    const auto n = g.find("name");
    if (n == g.end() || !n->is_string())
      return invalid(origin, path + ".name", "missing or not a string");
    s.name = n->get<std::string>();
    if (const auto sc = g.find("scale"); sc != g.end()) {
      if (!sc->is_boolean()) return invalid(origin, path + ".scale", "not a boolean");
      s.scale = sc->get<bool>();
    }
    for (const char* side : {"in", "out"}) {
      const auto list = g.find(side);
      const std::string lp = path + "." + side;
      if (list == g.end() || !list->is_array())
        return invalid(origin, lp, "missing or not an array");
      auto& members = std::string_view(side) == "in" ? s.in : s.out;
      for (std::size_t j = 0; j < list->size(); ++j) {
        HWLOCK_ASSIGN(auto m, parse_member((*list)[j], origin, lp + "[" + std::to_string(j) + "]"));
        members.push_back(std::move(m));
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Result<ShufflePlan> plan_from_groups(const std::vector<GroupSpec>& groups,
                                     const std::vector<TensorDesc>& tensors,
                                     std::string_view origin, std::string arch) {
  ShufflePlan plan;
  plan.arch = std::move(arch);
  std::map<std::string_view, const TensorDesc*> by_name;
  for (const auto& t : tensors) {
    by_name.emplace(t.name, &t);
    Params axes = Params::array();
    for (std::size_t a = 0; a < t.shape.size(); ++a) axes.push_back(nullptr);
    plan.requests[std::string(t.name)] = Params{{"axes", std::move(axes)}};
  }
  std::set<std::string_view> names;
  std::map<std::pair<std::string_view, std::uint64_t>, std::string> claims;  // -> claiming path
  std::set<std::string_view> permuted;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const GroupSpec& g = groups[i];
    const std::string gp = "groups[" + std::to_string(i) + "]";
    if (g.name.empty() || g.name.size() > kMaxGroupName)
      return invalid(origin, gp + ".name", "must be 1 to 256 bytes");
    if (!names.insert(g.name).second)
      return invalid(origin, gp + ".name", "\"" + g.name + "\" names two groups");
    std::optional<std::uint64_t> units;
    for (const bool out_side : {false, true}) {
      const auto& members = out_side ? g.out : g.in;
      const std::string sp = gp + (out_side ? ".out" : ".in");
      if (members.empty())
        return invalid(origin, sp, "empty: a coupling needs tensors on both sides");
      for (std::size_t j = 0; j < members.size(); ++j) {
        const GroupMember& m = members[j];
        const std::string mp = sp + "[" + std::to_string(j) + "]";
        const auto it = by_name.find(m.tensor);
        if (it == by_name.end())
          return invalid(origin, mp + ".tensor", "the file has no tensor \"" + m.tensor + "\"");
        const TensorDesc& t = *it->second;
        if (m.axis >= t.shape.size())
          return invalid(origin, mp + ".axis",
                         "axis " + std::to_string(m.axis) + " of \"" + m.tensor +
                             "\", which has rank " + std::to_string(t.shape.size()));
        const std::uint64_t len = t.shape[m.axis];
        if (m.block > UINT64_MAX / m.tile || len % (m.block * m.tile) != 0)
          return invalid(origin, mp + ".block",
                         "block x tile does not divide the axis length " + std::to_string(len));
        const std::uint64_t u = len / (m.block * m.tile);
        if (units && *units != u)
          return invalid(origin, mp,
                         "\"" + m.tensor + "\" axis " + std::to_string(m.axis) + " has " +
                             std::to_string(u) + " units; the group's " + "first member has " +
                             std::to_string(*units));
        units = u;
        const bool scale = m.scale.value_or(g.scale);
        if (scale && !scalable_dtype(t.dtype))
          return invalid(origin, mp + ".scale",
                         "\"" + m.tensor + "\" is " + std::string(st::dtype_name(t.dtype)) +
                             ": power-of-two scaling needs a float dtype");
        const auto [c, fresh] = claims.emplace(std::pair(t.name, m.axis), mp);
        if (!fresh)
          return invalid(origin, mp,
                         "\"" + m.tensor + "\" axis " + std::to_string(m.axis) +
                             " is already claimed by " + c->second);
        plan.requests[std::string(t.name)]["axes"][m.axis] = {{"group", g.name},
                                                              {"side", out_side ? "out" : "in"},
                                                              {"block", m.block},
                                                              {"tile", m.tile},
                                                              {"scale", scale}};
        permuted.insert(t.name);
      }
    }
  }
  plan.groups = groups.size();
  plan.permuted_tensors = permuted.size();
  return plan;
}

}  // namespace detail

Result<ShufflePlan> plan_from_spec(const nlohmann::json& spec,
                                   const std::vector<TensorDesc>& tensors,
                                   std::string_view origin) {
  HWLOCK_ASSIGN(const auto groups, detail::parse_spec(spec, origin));
  return detail::plan_from_groups(groups, tensors, origin, "spec");
}

Result<ShufflePlan> plan_from_spec_text(std::string_view text,
                                        const std::vector<TensorDesc>& tensors,
                                        std::string_view origin) {
  const auto spec = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                          /*allow_exceptions=*/false);
  if (spec.is_discarded())
    return fail(Errc::structure_invalid, std::string(origin) + ": not valid JSON");
  return plan_from_spec(spec, tensors, origin);
}

std::vector<TensorDesc> tensor_descs(const st::Header& h) {
  std::vector<TensorDesc> out;
  out.reserve(h.tensors.size());
  for (const auto& t : h.tensors) out.push_back({t.name, t.dtype, t.shape, t.nbytes()});
  return out;
}

}  // namespace hwlock::transform
