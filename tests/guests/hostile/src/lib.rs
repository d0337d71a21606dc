//! Misbehaving components for sandbox tests, one behaviour per feature.
