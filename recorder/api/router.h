#pragma once
// Request -> response, without sockets: the API's endpoints so far (/healthz, /metrics).

#include "recorder/api/http_server.h"
#include "recorder/api/status_board.h"

namespace recorder::api {

Response route(const Request& request, const StatusBoard& board);

}  // namespace recorder::api
