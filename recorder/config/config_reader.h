#pragma once
// Walks a YAML document while remembering where it is, so that every error names the key and line,
// and every mapping rejects keys it does not know (a typo must not silently become a default).

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <yaml-cpp/yaml.h>

#include "recorder/config/config.h"

namespace recorder::config {

// A YAML node plus its key path ("cameras[3].url") and the document's name, for error messages.
class ConfigNode {
 public:
  ConfigNode(YAML::Node node, std::string path, const std::string& origin)
      : node_(std::move(node)), path_(std::move(path)), origin_(&origin) {}

  const std::string& path() const { return path_; }
  [[noreturn]] void fail(const std::string& problem) const;

  bool is_map() const { return node_.IsMap(); }
  bool is_sequence() const { return node_.IsSequence(); }
  // Fails unless this is a mapping whose keys are all in `allowed`.
  void expect_map_with_keys(std::initializer_list<const char*> allowed) const;
  bool has(const char* key) const { return node_[key].IsDefined() && !node_[key].IsNull(); }
  ConfigNode child(const char* key) const;   // fails when missing
  std::optional<ConfigNode> optional_child(const char* key) const;
  std::size_t size() const { return node_.size(); }
  ConfigNode element(std::size_t index) const;

  std::string as_string() const;                                   // a scalar
  long long as_integer(long long min, long long max) const;       // an integer in [min, max]
  bool as_bool() const;
  // A size in bytes: a whole number with an optional unit K, M, G or T (powers of 1024): "500M", "2T".
  std::uint64_t as_byte_size() const;

 private:
  YAML::Node node_;
  std::string path_;
  const std::string* origin_;
};

}  // namespace recorder::config
