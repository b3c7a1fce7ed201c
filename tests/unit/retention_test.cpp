// Filled in by the retention unit tests.
