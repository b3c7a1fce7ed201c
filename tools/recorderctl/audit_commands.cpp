// recorderctl audit verify, recorderctl audit show: the hash-chained audit log, read-only.

#include <iostream>
#include <limits>

#include "commands.h"
#include "recorder/catalog/catalog.h"
#include "recorder/config/config.h"

namespace recorderctl {

using namespace recorder;

namespace {

struct AuditOptions {
  std::filesystem::path storage;
  std::optional<catalog::Micros> from_us, to_us;
  std::size_t limit = 10000;
};

catalog::Micros parse_time(const std::string& flag, const std::string& text) {
  const auto time = parse_rfc3339(text);
  if (!time) throw UsageError(flag + " '" + text + "' is not an RFC 3339 time such as 2026-11-30T14:03:00Z");
  return catalog::to_micros(*time);
}

// "--config FILE" or "--storage DIR" (a drive at the depot has no configuration), plus show's range.
AuditOptions parse_audit_options(const Arguments& args, bool with_range) {
  AuditOptions options;
  std::string config_file;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--config") config_file = value();
    else if (args[i] == "--storage") options.storage = value();
    else if (with_range && args[i] == "--from") options.from_us = parse_time("--from", value());
    else if (with_range && args[i] == "--to") options.to_us = parse_time("--to", value());
    else if (with_range && args[i] == "--limit") {
      const std::string text = value();
      try {
        options.limit = std::stoul(text);
      } catch (const std::exception&) {
        throw UsageError("--limit '" + text + "' is not a number of rows");
      }
    } else {
      throw UsageError("unknown argument '" + args[i] + "'");
    }
  }
  if (config_file.empty() == options.storage.empty()) throw UsageError("audit needs --config FILE or --storage DIR");
  if (!config_file.empty()) options.storage = config::load_config(config_file).storage.path;
  return options;
}

}  // namespace

int audit_verify(const Arguments& args) {
  const auto options = parse_audit_options(args, false);
  if (!std::filesystem::is_directory(options.storage))
    throw Error(ErrorKind::NotFound, "storage directory " + options.storage.string() +
                                         " does not exist: is the recording disk mounted?");
  if (!std::filesystem::exists(catalog::Catalog::file_in(options.storage))) {
    // Without a catalog there is no log; an anchor left behind means the catalog went missing.
    if (std::filesystem::exists(catalog::Catalog::audit_head_in(options.storage))) {
      std::cout << "problem: " << catalog::Catalog::file_in(options.storage).string()
                << " is missing but the audit head anchor exists: the audit log was removed\n";
      return 1;
    }
    std::cout << "no catalog yet in " << options.storage.string() << ": no audit log\n";
    return 0;
  }
  const catalog::Catalog catalog(options.storage, catalog::Database::Mode::ReadOnly);
  const auto check = catalog.verify_audit_chain();
  for (const auto& note : check.notes) std::cout << "note: " << note << "\n";
  for (const auto& problem : check.problems) std::cout << "problem: " << problem << "\n";
  if (!check.ok) {
    std::cout << "audit log NOT intact: " << check.problems.size() << " problem(s) in " << check.rows << " rows\n";
    return 1;
  }
  std::cout << "audit log intact: " << check.rows << " rows, head "
            << (check.head_hash.empty() ? "none" : check.head_hash.substr(0, 16)) << "\n";
  return 0;
}

int audit_show(const Arguments& args) {
  const auto options = parse_audit_options(args, true);
  const catalog::Catalog catalog(options.storage, catalog::Database::Mode::ReadOnly);
  const auto rows = catalog.audit_entries(options.from_us.value_or(std::numeric_limits<catalog::Micros>::min()),
                                          options.to_us.value_or(std::numeric_limits<catalog::Micros>::max()),
                                          options.limit);
  for (const auto& row : rows)
    std::cout << row.id << "  " << format_rfc3339(catalog::from_micros(row.at_us)) << "  " << row.user << "  "
              << row.remote << "  " << row.action << "  " << row.detail << "\n";
  if (rows.size() == options.limit)
    std::cout << "(stopped at " << options.limit << " rows: narrow the range with --from/--to, or raise --limit)\n";
  return 0;
}

}  // namespace recorderctl
