#pragma once
// The one error vocabulary of the recorder: a kind that callers can act on, and a message for people.

#include <stdexcept>
#include <string>
#include <string_view>

namespace recorder {

// What went wrong, in terms a caller can act on (retry, report, map to an HTTP status later).
enum class ErrorKind {
  InvalidArgument,   // bad input: configuration, request, command line
  NotFound,          // a file, camera or record that does not exist
  PermissionDenied,  // the operating system or a role refused
  Unavailable,       // a peer or resource is down for now; retrying may help
  DataLoss,          // something on disk is damaged or missing
  Internal,          // a bug or an impossible state
};

std::string_view to_string(ErrorKind kind);

// Thrown at start-up and config load; the running daemon reports errors as values instead.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace recorder
