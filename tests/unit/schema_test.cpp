// Filled in by the schema upgrade test.
