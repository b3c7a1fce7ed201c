#include "recorder/core/error.h"

namespace recorder {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::InvalidArgument: return "invalid argument";
    case ErrorKind::NotFound: return "not found";
    case ErrorKind::PermissionDenied: return "permission denied";
    case ErrorKind::Unavailable: return "unavailable";
    case ErrorKind::DataLoss: return "data loss";
    case ErrorKind::Internal: return "internal error";
  }
  return "unknown error";
}

}  // namespace recorder
