#pragma once
// Protecting footage for an incident: never deleted by retention while the protection is in force.
// The protected share of the disk is capped so that protection can never stop recording.

#include "recorder/catalog/catalog.h"
#include "recorder/config/config.h"
#include "recorder/retention/disk_space.h"

namespace recorder::retention {

// Adds the incident if what is protected afterwards stays within storage.retention.max_protected_percent
// of the disk; otherwise throws recorder::Error (InvalidArgument) saying how much it would protect and
// what the limit is. Camera ids must be valid configured ids. Returns the incident's id.
std::int64_t protect(catalog::Catalog& catalog, const catalog::Incident& incident, const config::StorageConfig& storage,
                     const DiskSpaceSource& disk, catalog::Micros now);

}  // namespace recorder::retention
