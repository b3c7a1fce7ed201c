#pragma once
// The catalog's schema as numbered upgrade steps. A fresh database runs every step from 1; an old one
// runs the steps after its `user_version`. Never edit a released step: add a new one.

#include "recorder/catalog/sqlite_database.h"

namespace recorder::catalog {

int latest_schema_version();
int schema_version(Database& db);
// Brings `db` to `target` (default: latest) in one transaction per step. Refuses a newer database.
void upgrade_schema(Database& db, int target = -1);

}  // namespace recorder::catalog
