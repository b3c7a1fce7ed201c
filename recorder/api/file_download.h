#pragma once
// Sends a file (an export) with Content-Length and single-range requests (RFC 9110 "bytes=a-b", "a-",
// "-n"), so that a download over a flaky maintenance link can resume. Several ranges in one request get
// the whole file (allowed, and simpler for the client); an unsatisfiable range gets 416.

#include <filesystem>
#include <string_view>
#include <string>
#include <vector>

#include "recorder/api/http_server.h"

namespace recorder::api {

struct Download {
  std::filesystem::path file;
  std::string content_type;                                   // "video/mp4", "application/x-tar"
  std::string file_name;                                      // for Content-Disposition
  std::vector<std::pair<std::string, std::string>> headers;   // extra: gaps, manifest link
};

// What a Range header asks of a file of `size` bytes.
struct RangeRequest {
  enum class Kind { Whole, Part, Unsatisfiable } kind = Kind::Whole;
  std::uint64_t first = 0;  // Part: bytes [first, last]
  std::uint64_t last = 0;
};
RangeRequest requested_range(std::string_view range_header, std::uint64_t size);

Reply file_download(const Request& request, const Download& download);

}  // namespace recorder::api
