// `--format` strings: NAME[:OPTION]... <-> FormatSpec, with a canonical spelling.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <string>

#include "numfmt_internal.hpp"

namespace hwlock::numfmt {

namespace {

// Decimal digits only (no sign, no spaces), value <= max.
std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t max) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  std::uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v > max) return std::nullopt;
  return v;
}

bool starts_digit(std::string_view s, std::size_t at) {
  return s.size() > at && std::isdigit(static_cast<unsigned char>(s[at]));
}

std::string known_names() {
  std::string out;
  for (const auto& t : kFormats) out += (out.empty() ? "" : ", ") + std::string(t.name);
  return out;
}

// Applies one option to `s`; `seen` holds one bit per option group, so each group appears once.
Status apply_option(std::string_view opt, FormatSpec& s, unsigned& seen) {
  const FormatTraits& t = traits(s.format);
  const std::string quoted = "'" + std::string(opt) + "'";
  auto once = [&](unsigned group) -> Status {
    if (seen & (1u << group))
      return fail(Errc::usage, "numfmt: option " + quoted + " conflicts with an earlier one");
    seen |= 1u << group;
    return {};
  };
  auto not_here = [&] {
    return fail(Errc::usage,
                "numfmt: option " + quoted + " does not apply to " + std::string(t.name));
  };

  if (opt == "rne" || opt == "rtz" || opt == "sr" || opt.starts_with("sr=")) {
    HWLOCK_TRY(once(0));
    s.rounding = opt == "rne"   ? Rounding::nearest_even
                 : opt == "rtz" ? Rounding::toward_zero
                                : Rounding::stochastic;
    if (opt.starts_with("sr=")) {
      const auto seed = parse_uint(opt.substr(3), UINT64_MAX);
      if (!seed) return fail(Errc::usage, "numfmt: bad seed in " + quoted);
      s.seed = *seed;
    }
    return {};
  }
  if (opt == "sat" || opt == "nosat") {
    if (!t.has_saturate_option) return not_here();
    HWLOCK_TRY(once(1));
    s.saturate = opt == "sat";
    return {};
  }
  if (opt == "per-tensor" || opt == "per-channel") {
    if (t.scaling != Scaling::tensor) return not_here();
    HWLOCK_TRY(once(2));
    s.granularity = opt == "per-channel" ? Granularity::per_channel : Granularity::per_tensor;
    return {};
  }
  if (opt == "symmetric" || opt == "affine") {
    if (t.scaling != Scaling::tensor) return not_here();
    HWLOCK_TRY(once(3));
    s.affine = opt == "affine";
    return {};
  }
  if (s.format == Format::fixed && opt.size() >= 4 && opt[0] == 'q' && starts_digit(opt, 1)) {
    const auto dot = opt.find('.');
    const auto m = parse_uint(opt.substr(1, dot == std::string_view::npos ? 0 : dot - 1), 31);
    const auto n =
        dot == std::string_view::npos ? std::nullopt : parse_uint(opt.substr(dot + 1), 31);
    if (!m || !n) return fail(Errc::usage, "numfmt: expected qM.N, got " + quoted);
    HWLOCK_TRY(once(4));
    s.element = fixed_element(static_cast<unsigned>(*m), static_cast<unsigned>(*n));
    return {};
  }
  if (s.format == Format::bfp && opt[0] == 'e' && starts_digit(opt, 1)) {
    const auto mpos = opt.find('m');
    const auto e = parse_uint(opt.substr(1, mpos == std::string_view::npos ? 0 : mpos - 1), 8);
    const auto m =
        mpos == std::string_view::npos ? std::nullopt : parse_uint(opt.substr(mpos + 1), 23);
    if (!e || !m) return fail(Errc::usage, "numfmt: expected eXmY, got " + quoted);
    HWLOCK_TRY(once(5));
    s.element = minifloat_element(static_cast<unsigned>(*e), static_cast<unsigned>(*m));
    return {};
  }
  if (s.format == Format::bfp && (opt[0] == 'b' || opt[0] == 's') && starts_digit(opt, 1)) {
    const auto v = parse_uint(opt.substr(1), 65535);
    if (!v) return fail(Errc::usage, "numfmt: bad number in " + quoted);
    if (opt[0] == 'b') {
      HWLOCK_TRY(once(6));
      s.block_size = static_cast<std::uint16_t>(*v);
    } else {
      HWLOCK_TRY(once(7));
      s.scale_bits = static_cast<std::uint8_t>(std::min<std::uint64_t>(*v, 255));
    }
    return {};
  }
  return fail(Errc::usage, "numfmt: unknown option " + quoted + " for " + std::string(t.name));
}

}  // namespace

Result<FormatSpec> parse_format(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view rest = lower;
  const auto colon = rest.find(':');
  const std::string_view name = rest.substr(0, colon);

  const auto it = std::find_if(kFormats.begin(), kFormats.end(),
                               [&](const FormatTraits& t) { return t.name == name; });
  if (it == kFormats.end())
    return fail(Errc::usage, "numfmt: unknown format '" + std::string(text) +
                                 "' (known: " + known_names() + ")");
  FormatSpec spec = default_spec(it->format);

  unsigned seen = 0;
  if (colon != std::string_view::npos) {
    std::string_view opts = rest.substr(colon + 1);
    for (;;) {
      const auto at = opts.find(':');
      const std::string_view opt = opts.substr(0, at);
      if (opt.empty())
        return fail(Errc::usage, "numfmt: empty option in '" + std::string(text) + "'");
      HWLOCK_TRY(apply_option(opt, spec, seen));
      if (at == std::string_view::npos) break;
      opts.remove_prefix(at + 1);
    }
  }
  if (auto st = validate(spec); !st.ok())
    return fail(Errc::usage, st.error().message + " (in '" + std::string(text) + "')");
  return spec;
}

std::string format_name(const FormatSpec& s) {
  const FormatTraits& t = traits(s.format);
  const ElementType& el = s.element;
  std::string out(t.name);
  auto add = [&](const std::string& opt) { out += ":" + opt; };

  if (s.format == Format::fixed && el != t.element)
    add("q" + std::to_string(el.bits - 1 - el.man_bits) + "." + std::to_string(el.man_bits));
  if (s.format == Format::bfp) {
    if (el != t.element) add("e" + std::to_string(el.exp_bits) + "m" + std::to_string(el.man_bits));
    if (s.block_size != t.block_size) add("b" + std::to_string(s.block_size));
    if (s.scale_bits != t.scale_bits) add("s" + std::to_string(s.scale_bits));
  }
  if (s.granularity == Granularity::per_channel) add("per-channel");
  if (s.affine) add("affine");
  if (s.saturate != t.saturate_default) add(s.saturate ? "sat" : "nosat");
  if (s.rounding == Rounding::toward_zero) add("rtz");
  if (s.rounding == Rounding::stochastic) add(s.seed ? "sr=" + std::to_string(s.seed) : "sr");
  return out;
}

}  // namespace hwlock::numfmt
