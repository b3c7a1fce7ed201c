#include "recorder/api/json_reply.h"

#include <boost/json/serialize.hpp>

namespace recorder::api {
namespace http = boost::beast::http;

Response text_reply(http::status status, const Request& request, const std::string& content_type, std::string body) {
  Response response{status, request.version()};
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-store");
  response.keep_alive(request.keep_alive());
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response json_reply(http::status status, const Request& request, const boost::json::value& body) {
  return text_reply(status, request, "application/json", boost::json::serialize(body) + "\n");
}

Response json_error(http::status status, const Request& request, const std::string& message) {
  return json_reply(status, request, boost::json::object{{"error", message}});
}

}  // namespace recorder::api
