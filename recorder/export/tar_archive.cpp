#include "recorder/export/tar_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fstream>
#include <memory>

#include "recorder/core/error.h"

namespace recorder::exporting {

void write_tar(const std::filesystem::path& archive_path, const std::vector<std::filesystem::path>& files) {
  std::unique_ptr<archive, decltype(&archive_write_free)> out(archive_write_new(), archive_write_free);
  auto check = [&](int status, const std::string& what) {
    if (status != ARCHIVE_OK)
      throw Error(ErrorKind::Unavailable, "cannot " + what + " " + archive_path.string() + ": " +
                                              (archive_error_string(out.get()) ? archive_error_string(out.get()) : "?"));
  };
  check(archive_write_set_format_pax_restricted(out.get()), "make");
  check(archive_write_open_filename(out.get(), archive_path.c_str()), "create");
  std::vector<char> buffer(1 << 20);
  for (const auto& file : files) {
    std::unique_ptr<archive_entry, decltype(&archive_entry_free)> entry(archive_entry_new(), archive_entry_free);
    archive_entry_set_pathname(entry.get(), file.filename().c_str());
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(std::filesystem::file_size(file)));
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), time(nullptr), 0);
    check(archive_write_header(out.get(), entry.get()), "write a header to");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(ErrorKind::NotFound, "cannot read " + file.string());
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      if (archive_write_data(out.get(), buffer.data(), static_cast<std::size_t>(in.gcount())) < 0)
        check(ARCHIVE_FATAL, "write to");
    }
  }
  check(archive_write_close(out.get()), "finish");
}

}  // namespace recorder::exporting
