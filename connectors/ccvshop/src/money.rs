//! Amounts as CCV keeps them: to the cent.

pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
