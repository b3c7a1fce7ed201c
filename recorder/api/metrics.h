#pragma once
// The Prometheus text exposition of a status snapshot (/metrics): a pure function.

#include <string>

#include "recorder/api/status_board.h"

namespace recorder::api {

std::string render_metrics(const StatusSnapshot& status);

}  // namespace recorder::api
