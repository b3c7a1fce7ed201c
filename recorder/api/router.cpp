#include "recorder/api/router.h"

#include "recorder/api/metrics.h"

namespace recorder::api {
namespace http = boost::beast::http;

namespace {

Response reply(http::status status, unsigned version, const std::string& type, std::string body) {
  Response response{status, version};
  response.set(http::field::content_type, type);
  response.set(http::field::cache_control, "no-store");
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

Response error(http::status status, unsigned version, const std::string& message) {
  return reply(status, version, "application/json", "{\"error\":\"" + message + "\"}");
}

}  // namespace

Response route(const Request& request, const StatusBoard& board) {
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));
  const bool known = path == "/healthz" || path == "/metrics";
  if (!known) return error(http::status::not_found, request.version(), "no such endpoint: " + path);
  if (request.method() != http::verb::get && request.method() != http::verb::head)
    return error(http::status::method_not_allowed, request.version(), path + " only answers GET");
  const auto status = board.current();
  if (path == "/healthz") {
    // No authentication, so no detail: the state alone, and 503 when the recorder is at fault.
    const auto code = status->health == "FAULT" ? http::status::service_unavailable : http::status::ok;
    return reply(code, request.version(), "application/json", "{\"state\":\"" + status->health + "\"}");
  }
  return reply(http::status::ok, request.version(), "text/plain; version=0.0.4", render_metrics(*status));
}

}  // namespace recorder::api
