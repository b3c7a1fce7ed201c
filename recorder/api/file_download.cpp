#include "recorder/api/file_download.h"

#include <boost/beast/core.hpp>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <charconv>

#include "recorder/api/json_reply.h"

namespace recorder::api {
namespace http = boost::beast::http;
namespace beast = boost::beast;

namespace {

// The body of a download: bytes [offset, offset + length) of an open file, read with pread into a 1 MiB
// buffer. Beast's file_body reads 4 KiB at a time, which made serving an hour of footage (1.8 GB) cost
// three times ffmpeg's whole export in system calls.
struct FileRangeBody {
  struct value_type {
    std::shared_ptr<int> fd;  // closed with the last copy
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
  };
  static std::uint64_t size(const value_type& body) { return body.length; }

  class writer {
   public:
    using const_buffers_type = boost::asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(const http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      const std::uint64_t left = body_.length - sent_;
      if (left == 0) {
        ec = {};
        return boost::none;
      }
      buffer_.resize(1 << 20);
      const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(left, buffer_.size()));
      const ssize_t got = pread(*body_.fd, buffer_.data(), want, static_cast<off_t>(body_.offset + sent_));
      if (got <= 0) {  // the file shrank or failed under us: end the response, which the client sees as cut
        ec = beast::errc::make_error_code(got == 0 ? beast::errc::io_error : static_cast<beast::errc::errc_t>(errno));
        return boost::none;
      }
      sent_ += static_cast<std::uint64_t>(got);
      ec = {};
      return {{const_buffers_type(buffer_.data(), static_cast<std::size_t>(got)), sent_ < body_.length}};
    }

   private:
    const value_type& body_;
    std::uint64_t sent_ = 0;
    std::vector<char> buffer_;
  };
};

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

}  // namespace

RangeRequest requested_range(std::string_view header, std::uint64_t size) {
  using Kind = RangeRequest::Kind;
  constexpr std::string_view unit = "bytes=";
  // Anything but one well-formed byte range is ignored and the whole file sent, as RFC 9110 allows.
  if (header.substr(0, unit.size()) != unit) return {};
  const std::string_view spec = header.substr(unit.size());
  const auto dash = spec.find('-');
  if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos) return {};
  const auto first = number(spec.substr(0, dash));
  const auto last = number(spec.substr(dash + 1));
  if (!first && !last) return {};
  if (!first) {  // "-n": the last n bytes
    if (*last == 0 || size == 0) return {Kind::Unsatisfiable};
    return {Kind::Part, size - std::min(*last, size), size - 1};
  }
  if (dash + 1 < spec.size() && !last) return {};
  if (*first >= size || (last && *last < *first)) return {Kind::Unsatisfiable};
  return {Kind::Part, *first, last ? std::min(*last, size - 1) : size - 1};
}

Reply file_download(const Request& request, const Download& download) {
  const int fd = open(download.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return json_error(http::status::internal_server_error, request, "the export file is gone");
  FileRangeBody::value_type body{std::shared_ptr<int>(new int(fd), [](int* f) { close(*f); delete f; }), 0, 0};
  struct stat info {};
  if (fstat(fd, &info) != 0) return json_error(http::status::internal_server_error, request, "cannot read the export file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  const auto range = requested_range(std::string(request[http::field::range]), size);
  if (range.kind == RangeRequest::Kind::Unsatisfiable) {
    auto response = json_error(http::status::range_not_satisfiable, request,
                               "the range is outside the file of " + std::to_string(size) + " bytes");
    response.set(http::field::content_range, "bytes */" + std::to_string(size));
    return response;
  }
  const bool part = range.kind == RangeRequest::Kind::Part;
  const std::uint64_t first = part ? range.first : 0, length = part ? range.last - range.first + 1 : size;
  body.offset = first;
  body.length = length;

  http::response<FileRangeBody> response{part ? http::status::partial_content : http::status::ok, request.version()};
  response.set(http::field::content_type, download.content_type);
  response.keep_alive(request.keep_alive());
  response.set(http::field::cache_control, "no-store");
  response.set(http::field::accept_ranges, "bytes");
  response.set(http::field::content_disposition, "attachment; filename=\"" + download.file_name + "\"");
  if (part)
    response.set(http::field::content_range,
                 "bytes " + std::to_string(first) + "-" + std::to_string(range.last) + "/" + std::to_string(size));
  for (const auto& [name, value] : download.headers) response.set(name, value);
  response.body() = std::move(body);
  response.prepare_payload();
  return response;
}

}  // namespace recorder::api
