//! What the linear theory predicts for the size of the back-propagated gradient.

/// ρ^{T−t} for t = 0 … T: the size of ∂ℓ/∂h_t = (W_hhᵀ)^{T−t} v when W_hh = ρQ, Q orthogonal.
pub fn linear_theory(rho: f64, steps: usize) -> Vec<f64> {
    (0..=steps)
        .map(|t| rho.powi(i32::try_from(steps - t).unwrap_or(i32::MAX)))
        .collect()
}

/// How far a verdict lets the gradient's size move before it calls it growing or shrinking:
/// within a factor of `BAND` either way it is "roughly preserved".
pub const BAND: f64 = 10.0;

/// ‖∂ℓ/∂h_0‖ / ‖∂ℓ/∂h_T‖: how the gradient's size changed over the whole backward pass.
pub fn gradient_ratio(grad_h: &[f64]) -> f64 {
    match (grad_h.first(), grad_h.last()) {
        (Some(first), Some(last)) => first / last,
        _ => f64::NAN,
    }
}

/// What a ratio of gradient sizes says, with a band: a ratio r is exploding when r > `BAND`,
/// vanishing when r < 1/`BAND`, roughly preserved in between, and overflowed when not finite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Exploding,
    Vanishing,
    Preserved,
    Overflowed,
}

impl Verdict {
    pub fn of(ratio: f64) -> Verdict {
        if !ratio.is_finite() {
            Verdict::Overflowed
        } else if ratio > BAND {
            Verdict::Exploding
        } else if ratio < 1.0 / BAND {
            Verdict::Vanishing
        } else {
            Verdict::Preserved
        }
    }

    /// One or two words for a narrow column.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Exploding => "exploding",
            Verdict::Vanishing => "vanishing",
            Verdict::Preserved => "preserved",
            Verdict::Overflowed => "overflow",
        }
    }

    /// A phrase for a sentence: "grows going back in time (exploding)" and so on.
    pub fn phrase(self) -> &'static str {
        match self {
            Verdict::Exploding => "grows by more than 10x going back in time (exploding)",
            Verdict::Vanishing => "shrinks by more than 10x going back in time (vanishing)",
            Verdict::Preserved => "is roughly preserved (within a factor of 10 either way)",
            Verdict::Overflowed => "is not finite (it overflowed)",
        }
    }
}

/// log10 of ρ^T (−inf for ρ = 0): the linear theory's ratio, even where ρ^T is beyond f64.
pub fn rho_power_log10(rho: f64, steps: usize) -> f64 {
    steps as f64 * rho.log10()
}

/// ρ^T for people, 3 significant digits, written from its logarithm where it is beyond f64
/// ("1.74e954" for 3^2000) so that no "inf" or "0" stands for a finite number.
pub fn rho_power_text(rho: f64, steps: usize) -> String {
    let v = rho.powi(i32::try_from(steps).unwrap_or(i32::MAX));
    if rho == 0.0 || (v.is_finite() && v != 0.0) || !rho.is_finite() {
        return crate::numfmt::general(v, 3);
    }
    let l = rho_power_log10(rho, steps);
    let e = l.floor();
    let mantissa = 10f64.powf(l - e);
    // Rounding can give 10.0: carry it into the exponent.
    let (mantissa, e) = if format!("{mantissa:.2}") == "10.00" {
        (1.0, e + 1.0)
    } else {
        (mantissa, e)
    };
    format!("{mantissa:.2}e{}", e as i64)
}

impl Verdict {
    /// The verdict on a ratio given by its log10 (for ρ^T beyond f64).
    pub fn of_log10(l: f64) -> Verdict {
        if l.is_nan() {
            Verdict::Overflowed
        } else if l > BAND.log10() {
            Verdict::Exploding
        } else if l < -BAND.log10() {
            Verdict::Vanishing
        } else {
            Verdict::Preserved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rho_power_is_written_even_beyond_f64() {
        assert_eq!(rho_power_text(3.0, 2000), "1.75e954"); // 2000·log10(3) = 954.2425
        assert_eq!(rho_power_text(0.5, 2000), "8.71e-603"); // −2000·log10(2) = −602.06
        assert_eq!(
            rho_power_text(1.02, 100),
            crate::numfmt::general(1.02f64.powi(100), 3)
        );
        assert_eq!(rho_power_text(0.0, 10), crate::numfmt::general(0.0, 3));
        assert_eq!(Verdict::of_log10(954.2), Verdict::Exploding);
        assert_eq!(Verdict::of_log10(-602.1), Verdict::Vanishing);
        assert_eq!(Verdict::of_log10(0.86), Verdict::Preserved);
        assert_eq!(Verdict::of_log10(f64::NEG_INFINITY), Verdict::Vanishing);
    }
}
