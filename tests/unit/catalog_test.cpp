// Filled in by the catalog unit tests.
