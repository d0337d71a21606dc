//! What every guest component shares: bindings to the Trestle contract, an HTTP client over wasi:http, JSON and error helpers.
