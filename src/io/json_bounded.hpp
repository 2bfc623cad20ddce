// Internal: JSON text to a DOM as json::parse builds it, stopping at the first container nested
// deeper than a limit or the first repeated key, before anything below or after it is built.
//
// nlohmann's own hook for this (a parser_callback_t) is unusable on hostile input: at every
// object's end its DOM builder scans the enclosing container for discarded values, so a header of n
// tensor entries costs O(n^2). This SAX handler forwards to the plain DOM builder (linear) instead.
#pragma once

#include <cstddef>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

namespace hwlock::detail {

struct JsonTooDeep {};
struct JsonDuplicateKey {
  std::string key;
};

class BoundedJsonBuilder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  // Called for each key with the depth of its object (1 = the root's keys); may throw to stop.
  using KeyHook = std::function<void(std::size_t depth, const std::string& key)>;

  // Containers nested deeper than `max_depth` (the root is depth 1) throw JsonTooDeep; with
  // `reject_duplicate_keys`, a key seen twice in one object throws JsonDuplicateKey. Syntax
  // errors throw nlohmann::json::parse_error, as json::parse does.
  BoundedJsonBuilder(nlohmann::json& out, std::size_t max_depth, bool reject_duplicate_keys,
                     KeyHook on_key = {})
      : dom_(out, /*allow_exceptions=*/true),
        max_depth_(max_depth),
        reject_duplicates_(reject_duplicate_keys),
        on_key_(std::move(on_key)) {}

  bool null() override { return dom_.null(); }
  bool boolean(bool v) override { return dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override {
    return dom_.number_float(v, s);
  }
  bool string(string_t& v) override { return dom_.string(v); }
  bool binary(binary_t& v) override { return dom_.binary(v); }
  bool start_object(std::size_t n) override {
    enter();
    if (reject_duplicates_) keys_.emplace_back();
    return dom_.start_object(n);
  }
  bool key(string_t& k) override {
    if (reject_duplicates_ && !keys_.back().insert(k).second) throw JsonDuplicateKey{k};
    if (on_key_) on_key_(depth_, k);
    return dom_.key(k);
  }
  bool end_object() override {
    --depth_;
    if (reject_duplicates_) keys_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override {
    enter();
    return dom_.start_array(n);
  }
  bool end_array() override {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    return dom_.parse_error(position, last_token, ex);  // throws
  }

 private:
  void enter() {
    if (++depth_ > max_depth_) throw JsonTooDeep{};
  }

  nlohmann::detail::json_sax_dom_parser<nlohmann::json> dom_;
  std::size_t max_depth_;
  std::size_t depth_ = 0;
  bool reject_duplicates_;
  std::vector<std::set<std::string>> keys_;
  KeyHook on_key_;
};

// Parses `text` (the whole of it: trailing non-space is an error, comments are not JSON) with
// `builder`'s limits into the json the builder was made with.
inline void parse_bounded(std::string_view text, BoundedJsonBuilder& builder) {
  nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                            nlohmann::json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
}

}  // namespace hwlock::detail
