#pragma once
// The target of a request, parsed with Boost.URL: the decoded path segments and query parameters, so
// that an encoded "..%2F" is one segment (and then an unknown camera), never a way out of the API.

#include <map>
#include <optional>
#include <string>
#include <vector>


namespace recorder::api {

struct RequestTarget {
  std::vector<std::string> segments;          // "/api/v1/cameras/c1" -> api, v1, cameras, c1
  std::map<std::string, std::string> query;   // the last value wins for a repeated key
  std::string path;                           // decoded, for messages
};

// nullopt when the target is not an origin-form URL (e.g. "*", an absolute URL, bad %-escapes).
std::optional<RequestTarget> parse_target(std::string_view target);

}  // namespace recorder::api
