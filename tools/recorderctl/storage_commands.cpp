// recorderctl storage init, recorderctl check.

#include <iostream>

#include "commands.h"
#include "recorder/catalog/catalog.h"
#include "recorder/catalog/recovery.h"
#include "recorder/catalog/storage_identity.h"
#include "recorder/config/config.h"

namespace recorderctl {

using namespace recorder;

int storage_init(const Arguments& args) {
  const auto options = parse_common(args, {});
  const auto config = config::load_config(options.config_file);
  const std::string id = catalog::initialise_storage(config.storage.path);
  std::cout << "initialised " << config.storage.path.string() << " (storage id " << id << ")\n";
  return 0;
}

int check(const Arguments& args) {
  const auto options = parse_common(args, {"--repair"});
  const bool repair = !options.flags.empty();
  const auto config = config::load_config(options.config_file);
  const auto& storage = config.storage.path;
  catalog::read_storage_id(storage);
  const bool recorder_running = catalog::StorageLock::held_by_another(storage);
  if (repair && recorder_running) {
    std::cerr << "recorderctl: the recorder is running on " << storage.string()
              << "; it repairs the catalog itself at start. Stop it to repair by hand.\n";
    return 1;
  }
  if (!std::filesystem::exists(catalog::Catalog::file_in(storage))) {
    std::cout << "no catalog yet in " << storage.string() << ": nothing recorded\n";
    return 0;
  }
  std::unique_ptr<catalog::StorageLock> lock;
  if (repair) lock = std::make_unique<catalog::StorageLock>(storage);  // no recorder may start meanwhile
  catalog::Catalog catalog(storage, repair ? catalog::Database::Mode::ReadWrite : catalog::Database::Mode::ReadOnly);
  const auto now = catalog::to_micros(std::chrono::system_clock::now());
  const auto report = catalog::reconcile(catalog, repair ? catalog::RecoveryMode::Repair : catalog::RecoveryMode::Report,
                                         now, recorder_running);
  for (const auto& finding : report.findings) std::cout << (repair ? "repaired: " : "found: ") << finding << "\n";
  std::cout << (report.consistent() ? "consistent: " : "") << report.summary() << "\n";
  if (report.unrepaired > 0) {
    std::cout << report.unrepaired << " inconsistency(ies) not repaired; run with --repair (recorder stopped)\n";
    return 1;
  }
  return 0;
}

}  // namespace recorderctl
