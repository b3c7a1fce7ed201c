#include "recorder/export/file_sha256.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <memory>
#include <openssl/evp.h>
#include <unistd.h>
#include <vector>

#include "recorder/core/error.h"

namespace recorder::exporting {
namespace {

struct DigestDeleter {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// Closes the descriptor however the hashing ends.
class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const std::filesystem::path& file) : fd_(open(file.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~ReadOnlyFile() {
    if (fd_ >= 0) close(fd_);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

// OpenSSL, not libsodium: libsodium 1.0.18 has only portable C SHA-256 (about 230 MB/s on the project's VM,
// 8 s for an hour of one camera), OpenSSL uses the SHA extensions (about 1.2 GB/s there). Plain read() into
// one 1 MiB buffer: measured faster than mmap, whose page faults cost more than the copy they save.
std::string sha256_of_file(const std::filesystem::path& file) {
  const ReadOnlyFile in(file);
  if (in.fd() < 0) throw Error(ErrorKind::NotFound, "cannot read " + file.string());
  posix_fadvise(in.fd(), 0, 0, POSIX_FADV_SEQUENTIAL);
  const std::unique_ptr<EVP_MD_CTX, DigestDeleter> digest(EVP_MD_CTX_new());
  if (!digest || EVP_DigestInit_ex(digest.get(), EVP_sha256(), nullptr) != 1)
    throw Error(ErrorKind::Internal, "OpenSSL cannot compute SHA-256");
  std::vector<unsigned char> buffer(1 << 20);
  for (;;) {
    const ssize_t got = read(in.fd(), buffer.data(), buffer.size());
    if (got == 0) break;
    if (got < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::DataLoss, "cannot read " + file.string() + ": " + std::strerror(errno));
    }
    EVP_DigestUpdate(digest.get(), buffer.data(), static_cast<std::size_t>(got));
  }
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(digest.get(), hash, &length) != 1) throw Error(ErrorKind::Internal, "OpenSSL cannot compute SHA-256");
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", hash[i]);
  return hex;
}

}  // namespace recorder::exporting
