// Filled in by the firewall unit tests.
