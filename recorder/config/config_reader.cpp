#include "recorder/config/config_reader.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fmt/format.h>

namespace recorder::config {

void ConfigNode::fail(const std::string& problem) const {
  const YAML::Mark mark = node_.Mark();
  const std::string where = mark.is_null() ? *origin_ : fmt::format("{}:{}", *origin_, mark.line + 1);
  throw ConfigError(fmt::format("{}: {}: {}", where, path_.empty() ? "(top level)" : path_, problem));
}

void ConfigNode::expect_map_with_keys(std::initializer_list<const char*> allowed) const {
  if (!node_.IsMap()) fail("must be a mapping of keys to values");
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    const bool known = std::any_of(allowed.begin(), allowed.end(),
                                   [&](const char* a) { return key == a; });
    if (!known) {
      std::string list;
      for (const char* a : allowed) list += list.empty() ? a : fmt::format(", {}", a);
      ConfigNode(entry.first, path_.empty() ? key : path_ + "." + key, *origin_)
          .fail(fmt::format("unknown key (known keys here: {})", list));
    }
  }
}

ConfigNode ConfigNode::child(const char* key) const {
  if (!has(key)) fail(fmt::format("missing required key '{}'", key));
  return ConfigNode(node_[key], path_.empty() ? key : path_ + "." + key, *origin_);
}

std::optional<ConfigNode> ConfigNode::optional_child(const char* key) const {
  if (!has(key)) return std::nullopt;
  return child(key);
}

ConfigNode ConfigNode::element(std::size_t index) const {
  return ConfigNode(node_[index], fmt::format("{}[{}]", path_, index), *origin_);
}

std::string ConfigNode::as_string() const {
  if (!node_.IsScalar()) fail("must be a single value, not a list or mapping");
  return node_.Scalar();
}

long long ConfigNode::as_integer(long long min, long long max) const {
  const std::string text = as_string();
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    fail(fmt::format("must be a whole number, not '{}'", text));
  if (value < min || value > max) fail(fmt::format("must be between {} and {}, not {}", min, max, value));
  return value;
}

std::uint64_t ConfigNode::as_byte_size() const {
  const std::string text = as_string();
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const std::string unit(end, text.data() + text.size());
  int shift = -1;
  if (unit.empty() || unit == "B") shift = 0;
  else if (unit == "K" || unit == "KiB") shift = 10;
  else if (unit == "M" || unit == "MiB") shift = 20;
  else if (unit == "G" || unit == "GiB") shift = 30;
  else if (unit == "T" || unit == "TiB") shift = 40;
  if (ec != std::errc() || end == text.data() || shift < 0)
    fail(fmt::format("must be a size such as 500M, 20G or 2T (bytes, or K/M/G/T), not '{}'", text));
  if (value > (UINT64_MAX >> shift)) fail(fmt::format("'{}' is too large", text));
  return value << shift;
}

bool ConfigNode::as_bool() const {
  const std::string text = as_string();
  if (text == "true" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "no" || text == "off") return false;
  fail(fmt::format("must be true or false, not '{}'", text));
}

}  // namespace recorder::config
