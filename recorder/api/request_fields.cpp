#include "recorder/api/request_fields.h"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

#include "recorder/core/error.h"

namespace recorder::api {

namespace {

[[noreturn]] void bad(const std::string& message) { throw Error(ErrorKind::InvalidArgument, message); }

std::string span_text(std::chrono::seconds span) {
  return span.count() % 3600 == 0 ? fmt::format("{} h", span.count() / 3600) : fmt::format("{} min", span.count() / 60);
}

TimeRange checked(catalog::Micros from_us, catalog::Micros to_us, std::chrono::seconds max_span) {
  if (from_us >= to_us) bad("'from' must be before 'to'");
  if (to_us - from_us > max_span.count() * 1'000'000LL)
    bad(fmt::format("the range is longer than the limit of {}: ask for a shorter one", span_text(max_span)));
  return {from_us, to_us};
}

WallTime time_text(const std::string& name, const std::string& text) {
  const auto time = parse_rfc3339(text);
  if (!time) bad(fmt::format("'{}' must be an RFC 3339 time such as 2026-11-30T14:03:00Z, not '{}'", name, text.substr(0, 64)));
  return *time;
}

}  // namespace

std::string rfc3339(catalog::Micros at) { return format_rfc3339(catalog::from_micros(at)); }

TimeRange query_range(const RequestTarget& target, WallTime now, std::optional<std::chrono::seconds> default_span,
                      std::chrono::seconds max_span) {
  auto parameter = [&](const char* name) -> std::optional<WallTime> {
    const auto found = target.query.find(name);
    if (found == target.query.end()) return std::nullopt;
    return time_text(name, found->second);
  };
  auto from = parameter("from");
  auto to = parameter("to");
  if (!default_span && (!from || !to)) bad("'from' and 'to' are required (RFC 3339 times)");
  if (!to) to = from ? *from + *default_span : now;
  if (!from) from = *to - *default_span;
  return checked(catalog::to_micros(*from), catalog::to_micros(*to), max_span);
}

boost::json::object json_body(const Request& request) {
  boost::system::error_code error;
  auto value = boost::json::parse(request.body(), error);
  if (error) bad("the body is not JSON: " + error.message());
  if (!value.is_object()) bad("the body must be a JSON object");
  return std::move(value.as_object());
}

std::string string_field(const boost::json::object& body, const char* name, std::size_t max_length) {
  const auto* value = body.if_contains(name);
  if (!value || !value->is_string() || value->as_string().empty())
    bad(fmt::format("'{}' is required and must be a non-empty string", name));
  if (value->as_string().size() > max_length) bad(fmt::format("'{}' is longer than {} characters", name, max_length));
  return std::string(value->as_string());
}

std::vector<std::string> string_list_field(const boost::json::object& body, const char* name, std::size_t max_items) {
  const auto* value = body.if_contains(name);
  if (!value || !value->is_array() || value->as_array().empty())
    bad(fmt::format("'{}' is required and must be a non-empty list of strings", name));
  std::vector<std::string> items;
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) bad(fmt::format("'{}' must hold strings only", name));
    const std::string text(item.as_string());
    if (std::find(items.begin(), items.end(), text) != items.end()) bad(fmt::format("'{}' names '{}' twice", name, text.substr(0, 64)));
    items.push_back(text);
  }
  if (items.size() > max_items) bad(fmt::format("'{}' has more than {} entries", name, max_items));
  return items;
}

TimeRange body_range(const boost::json::object& body, std::chrono::seconds max_span) {
  const auto from = time_text("from", string_field(body, "from", 64));
  const auto to = time_text("to", string_field(body, "to", 64));
  return checked(catalog::to_micros(from), catalog::to_micros(to), max_span);
}

}  // namespace recorder::api
