#pragma once
// The fields endpoints read from a request (query parameters, a JSON body), each checked with an error
// that names the field and says what was expected: recorder::Error (InvalidArgument), answered with 400.

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "recorder/api/http_server.h"
#include "recorder/api/request_target.h"
#include "recorder/catalog/catalog.h"

namespace recorder::api {

struct TimeRange {
  catalog::Micros from_us = 0;
  catalog::Micros to_us = 0;
};

// `from` and `to` of the query. Missing ones default to the `default_span` before now (or before `to`)
// when `default_span` is set, and are required otherwise. from must be before to, and the range at most
// `max_span` long.
TimeRange query_range(const RequestTarget& target, WallTime now, std::optional<std::chrono::seconds> default_span,
                      std::chrono::seconds max_span);

boost::json::object json_body(const Request& request);
std::string string_field(const boost::json::object& body, const char* name, std::size_t max_length);
std::vector<std::string> string_list_field(const boost::json::object& body, const char* name, std::size_t max_items);
TimeRange body_range(const boost::json::object& body, std::chrono::seconds max_span);

std::string rfc3339(catalog::Micros at);

}  // namespace recorder::api
