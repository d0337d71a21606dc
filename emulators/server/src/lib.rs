//! Serves both emulators, seeded, on two ports: a binary and a library for tests.
