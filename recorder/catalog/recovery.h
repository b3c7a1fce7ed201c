#pragma once
// Reconciles the catalog with the files on disk after a crash or power cut (docs/durability.md,
// "Start-up recovery"). The recorder runs it in Repair mode before any camera starts;
// `recorderctl check` runs it in Report mode, which changes nothing.

#include <string>
#include <vector>

#include "recorder/catalog/catalog.h"

namespace recorder::catalog {

enum class RecoveryMode { Repair, Report };

struct RecoveryReport {
  int segments_checked = 0;
  int writing_closed = 0;       // `writing` rows closed as recovered
  int files_adopted = 0;        // files without a row, entered as recovered
  int empty_files_removed = 0;  // files holding no complete frame
  int tails_cut = 0;            // torn fragments cut off
  int marked_lost = 0;          // rows whose file is gone
  int deletions_finished = 0;   // `deleting` rows whose deletion a crash interrupted
  int runs_closed = 0;          // recording runs left open
  std::vector<std::string> findings;  // one line per inconsistency found, repaired or not
  int unrepaired = 0;           // findings left as they were (Report mode)

  bool consistent() const { return findings.empty(); }
  std::string summary() const;
};

// `in_progress_ok`: the recorder is running, so `writing` rows and very new files are not findings.
RecoveryReport reconcile(Catalog& catalog, RecoveryMode mode, Micros now, bool in_progress_ok = false);

}  // namespace recorder::catalog
