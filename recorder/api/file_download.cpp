#include "recorder/api/file_download.h"

#include <boost/beast/core/file.hpp>
#include <boost/beast/http/basic_file_body.hpp>
#include <charconv>

#include "recorder/api/json_reply.h"

namespace recorder::api {
namespace http = boost::beast::http;
namespace beast = boost::beast;

namespace {

// A window [offset, offset + length) of a file, seen as a whole file by Beast's basic_file_body (which
// sends "the file" from its current position for its size): one body type for whole and partial replies.
class FileWindow {
 public:
  using native_handle_type = beast::file::native_handle_type;
  FileWindow() = default;
  FileWindow(FileWindow&&) = default;
  FileWindow& operator=(FileWindow&&) = default;

  void set_window(std::uint64_t offset, std::uint64_t length, beast::error_code& ec) {
    offset_ = offset;
    length_ = length;
    file_.seek(offset, ec);
  }
  bool is_open() const { return file_.is_open(); }
  void close(beast::error_code& ec) { file_.close(ec); }
  void open(char const* path, beast::file_mode mode, beast::error_code& ec) {
    file_.open(path, mode, ec);
    if (!ec) length_ = file_.size(ec);
  }
  std::uint64_t size(beast::error_code& ec) const {
    ec = {};
    return length_;
  }
  std::uint64_t pos(beast::error_code& ec) const { return file_.pos(ec) - offset_; }
  void seek(std::uint64_t offset, beast::error_code& ec) { file_.seek(offset_ + offset, ec); }
  std::size_t read(void* buffer, std::size_t n, beast::error_code& ec) const { return file_.read(buffer, n, ec); }
  std::size_t write(void const*, std::size_t, beast::error_code& ec) const {
    ec = beast::errc::make_error_code(beast::errc::operation_not_permitted);
    return 0;
  }

 private:
  beast::file file_;
  std::uint64_t offset_ = 0;
  std::uint64_t length_ = 0;
};

using WindowBody = http::basic_file_body<FileWindow>;

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
  beast::error_code error;
  WindowBody::value_type body;
  body.open(download.file.c_str(), beast::file_mode::scan, error);
  if (error) return json_error(http::status::internal_server_error, request, "the export file is gone");
  const std::uint64_t size = body.size();
  const auto range = requested_range(std::string(request[http::field::range]), size);
  if (range.kind == RangeRequest::Kind::Unsatisfiable) {
    auto response = json_error(http::status::range_not_satisfiable, request,
                               "the range is outside the file of " + std::to_string(size) + " bytes");
    response.set(http::field::content_range, "bytes */" + std::to_string(size));
    return response;
  }
  const bool part = range.kind == RangeRequest::Kind::Part;
  const std::uint64_t first = part ? range.first : 0, length = part ? range.last - range.first + 1 : size;
  FileWindow window = std::move(body.file());
  window.set_window(first, length, error);
  body.reset(std::move(window), error);
  if (error) return json_error(http::status::internal_server_error, request, "cannot read the export file");

  http::response<WindowBody> response{part ? http::status::partial_content : http::status::ok, request.version()};
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
