//! The CCV Shop connector component.
