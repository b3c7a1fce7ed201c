#pragma once
// The API's replies with a body in memory: every answer, errors included, has a content type, is never
// cached (footage listings must not linger in a proxy or a browser) and keeps the connection alive only
// when the request asked for it.

#include <boost/json/value.hpp>
#include <string>

#include "recorder/api/http_server.h"

namespace recorder::api {

Response text_reply(boost::beast::http::status status, const Request& request, const std::string& content_type,
                    std::string body);
Response json_reply(boost::beast::http::status status, const Request& request, const boost::json::value& body);
// {"error": message}; the message says what was wrong with the request.
Response json_error(boost::beast::http::status status, const Request& request, const std::string& message);

}  // namespace recorder::api
