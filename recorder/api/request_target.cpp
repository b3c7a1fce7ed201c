#include "recorder/api/request_target.h"

#include <boost/url/parse.hpp>

namespace recorder::api {

std::optional<RequestTarget> parse_target(std::string_view text) {
  const auto url = boost::urls::parse_origin_form(text);
  if (!url) return std::nullopt;
  RequestTarget target;
  for (const auto& segment : url->segments()) target.segments.push_back(segment);
  // "/metrics/" and "/metrics" are the same endpoint.
  if (!target.segments.empty() && target.segments.back().empty()) target.segments.pop_back();
  for (const auto& param : url->params()) target.query[param.key] = param.value;
  target.path = url->path();
  return target;
}

}  // namespace recorder::api
