//! Builds every guest component for wasm32-wasip2 and tells where the files are.
