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

/// How a run's gradient ratio compares with the linear theory's ρ^T.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LinearGap {
    /// Within a factor of `BAND` of ρ^T; the value is log10(ratio / ρ^T).
    Within(f64),
    /// More than a factor of `BAND` above (positive) or below (negative) ρ^T, in decades.
    Off(f64),
    /// The ratio is not a finite positive number (overflowed, or exactly 0), so no factor.
    NoRatio,
}

impl LinearGap {
    /// log10(ratio) − T·log10(ρ), computed in logarithms so that ρ^T beyond f64 still compares.
    pub fn of(ratio: f64, rho: f64, steps: usize) -> LinearGap {
        if !(ratio.is_finite() && ratio > 0.0 && rho > 0.0) {
            return LinearGap::NoRatio;
        }
        let decades = ratio.log10() - rho_power_log10(rho, steps);
        if decades.abs() <= BAND.log10() {
            LinearGap::Within(decades)
        } else {
            LinearGap::Off(decades)
        }
    }

    /// "within a factor of 10 of ρ^T", "2.4e5 times ρ^T", "1/3.1e3 of ρ^T", as the
    /// computation says.
    pub fn phrase(self) -> String {
        match self {
            // 4e-10 decades is a relative difference of about 1e-9.
            LinearGap::Within(d) if d.abs() < 4e-10 => "equal to ρ^T to within 1e-9".into(),
            LinearGap::Within(_) => format!("within a factor of {BAND} of ρ^T"),
            LinearGap::Off(d) if d > 0.0 => format!("{} times ρ^T", power_of_ten_text(d)),
            LinearGap::Off(d) => format!("1/{} of ρ^T", power_of_ten_text(-d)),
            LinearGap::NoRatio => "not comparable with ρ^T (the ratio is not finite)".into(),
        }
    }
}

/// 10^d for d ≥ 0 with three significant digits, written from its logarithm beyond f64.
fn power_of_ten_text(d: f64) -> String {
    let v = 10f64.powf(d);
    if v.is_finite() {
        return crate::numfmt::general(v, 3);
    }
    let e = d.floor();
    format!("{:.2}e{}", 10f64.powf(d - e), e as i64)
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

    #[test]
    fn the_gap_to_the_linear_theory_is_measured_in_decades() {
        // 0.9^20 = 0.1216: a ratio of 0.12 is within a factor of 10, 1e-5 is 1/1.22e4 of it.
        assert!(matches!(LinearGap::of(0.12, 0.9, 20), LinearGap::Within(_)));
        assert_eq!(
            LinearGap::of(0.9f64.powi(20), 0.9, 20).phrase(),
            "equal to ρ^T to within 1e-9"
        );
        let off = LinearGap::of(1e-5, 0.9, 20);
        assert!(
            matches!(off, LinearGap::Off(d) if (d - (-5.0 - 20.0 * 0.9f64.log10())).abs() < 1e-12)
        );
        assert_eq!(
            off.phrase(),
            format!(
                "1/{} of ρ^T",
                crate::numfmt::general(1e-5f64.recip() * 0.9f64.powi(20), 3)
            )
        );
        assert_eq!(
            LinearGap::of(1e3, 1.0, 50).phrase(),
            format!("{} times ρ^T", crate::numfmt::general(1e3, 3))
        );
        // ρ^T beyond f64 (3^2000 ≈ 1.75e954) still compares, in logarithms.
        assert!(matches!(LinearGap::of(1e300, 3.0, 2000), LinearGap::Off(d) if d < -600.0));
        assert!(LinearGap::of(1e300, 3.0, 2000).phrase().starts_with("1/"));
        assert_eq!(LinearGap::of(f64::INFINITY, 1.0, 5), LinearGap::NoRatio);
        assert_eq!(LinearGap::of(0.0, 1.0, 5), LinearGap::NoRatio);
    }
}
