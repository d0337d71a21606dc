//! End-to-end tests: host + real components + emulators over real sockets.
