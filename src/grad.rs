//! Gradient norms and clipping shared by the RNN vs LSTM tab and the training lab: one L2 norm
//! that neither overflows nor underflows, and clipping exactly as PyTorch's
//! `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_` do it.

use std::fmt;
use std::str::FromStr;

/// PyTorch's guard in `clip_grad_norm_`: the coefficient is c / (‖g‖ + 1e-6).
pub const NORM_EPS: f64 = 1e-6;

/// Clipping applied to a whole parameter gradient (all parameters together).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Clip {
    /// The gradient is used as it is.
    None,
    /// Scale every entry by min(1, c/(‖g‖ + 1e-6)), ‖g‖ the L2 norm over all parameters
    /// (`torch.nn.utils.clip_grad_norm_`): nothing changes while ‖g‖ ≤ c.
    Norm(f64),
    /// Clamp each entry to [−c, c] (`torch.nn.utils.clip_grad_value_`).
    Value(f64),
}

impl Clip {
    /// The mode's name without its threshold: "none", "norm" or "value".
    pub fn name(self) -> &'static str {
        match self {
            Clip::None => "none",
            Clip::Norm(_) => "norm",
            Clip::Value(_) => "value",
        }
    }

    /// The threshold c, if the mode has one.
    pub fn threshold(self) -> Option<f64> {
        match self {
            Clip::None => None,
            Clip::Norm(c) | Clip::Value(c) => Some(c),
        }
    }

    /// The same mode with threshold `c` (no effect on `None`).
    pub fn with_threshold(self, c: f64) -> Self {
        match self {
            Clip::None => Clip::None,
            Clip::Norm(_) => Clip::Norm(c),
            Clip::Value(_) => Clip::Value(c),
        }
    }

    /// Next mode none → norm → value → none; `c` is the threshold the new mode gets.
    pub fn next(self, c: f64) -> Self {
        match self {
            Clip::None => Clip::Norm(c),
            Clip::Norm(_) => Clip::Value(c),
            Clip::Value(_) => Clip::None,
        }
    }

    /// Previous mode none → value → norm → none; `c` is the threshold the new mode gets.
    pub fn prev(self, c: f64) -> Self {
        match self {
            Clip::None => Clip::Value(c),
            Clip::Norm(_) => Clip::None,
            Clip::Value(_) => Clip::Norm(c),
        }
    }

    /// The factor norm clipping multiplies a gradient of norm `norm` by:
    /// min(1, c/(‖g‖ + 1e-6)) as PyTorch computes it; NaN for a NaN norm (every entry becomes
    /// NaN, as in torch), 1 for the other modes.
    pub fn norm_coefficient(self, norm: f64) -> f64 {
        match self {
            Clip::Norm(c) => {
                if norm.is_nan() {
                    f64::NAN
                } else {
                    (c / (norm + NORM_EPS)).min(1.0)
                }
            }
            Clip::None | Clip::Value(_) => 1.0,
        }
    }

    /// True when this mode changes a gradient of global norm `norm` whose largest entry in
    /// absolute value is `max_abs`.
    pub fn changes(self, norm: f64, max_abs: f64) -> bool {
        match self {
            Clip::None => false,
            Clip::Norm(_) => self.norm_coefficient(norm) != 1.0,
            // A NaN entry counts as changed: it is not within [−c, c].
            Clip::Value(c) => max_abs.is_nan() || max_abs > c,
        }
    }

    /// Clips the gradient held in `parts` (every parameter's entries) in place; returns the
    /// global L2 norm before clipping. Value clipping maps ±inf to ±c and keeps NaN; norm
    /// clipping of an infinite norm scales by 0, so inf entries become NaN, as in torch.
    pub fn apply(self, parts: &mut [&mut [f64]]) -> f64 {
        let norm = l2_norm_parts(parts.iter().map(|p| &**p));
        match self {
            Clip::None => {}
            Clip::Norm(_) => {
                let coef = self.norm_coefficient(norm);
                if coef != 1.0 {
                    for p in parts.iter_mut() {
                        for g in p.iter_mut() {
                            *g *= coef;
                        }
                    }
                }
            }
            Clip::Value(c) => {
                for p in parts.iter_mut() {
                    for g in p.iter_mut() {
                        *g = g.clamp(-c, c);
                    }
                }
            }
        }
        norm
    }
}

impl fmt::Display for Clip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clip::None => f.write_str("none"),
            Clip::Norm(c) => write!(f, "norm:{c}"),
            Clip::Value(c) => write!(f, "value:{c}"),
        }
    }
}

impl FromStr for Clip {
    type Err = String;
    /// "none", "norm:C" or "value:C" with C finite and > 0.
    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim().to_ascii_lowercase();
        if text == "none" {
            return Ok(Clip::None);
        }
        let usage = "expected none, norm:C or value:C with C > 0";
        let (mode, c) = text
            .split_once(':')
            .ok_or_else(|| format!("invalid clip '{s}' ({usage})"))?;
        let c: f64 = c
            .trim()
            .parse()
            .map_err(|_| format!("invalid clip threshold in '{s}' ({usage})"))?;
        if !(c.is_finite() && c > 0.0) {
            return Err(format!(
                "clip threshold must be finite and > 0 (got {} in '{s}')",
                crate::numfmt::general(c, 4)
            ));
        }
        match mode.trim() {
            "norm" => Ok(Clip::Norm(c)),
            "value" => Ok(Clip::Value(c)),
            _ => Err(format!("invalid clip mode in '{s}' ({usage})")),
        }
    }
}

/// Euclidean norm √(Σ x²) that neither overflows nor underflows in the squares: a plain sum
/// first, and a pass scaled by max |x| only when that sum is 0 or infinite.
pub fn l2_norm(xs: &[f64]) -> f64 {
    l2_norm_parts(std::iter::once(xs))
}

/// The L2 norm of several slices taken together, as if concatenated.
pub fn l2_norm_parts<'a>(parts: impl Iterator<Item = &'a [f64]> + Clone) -> f64 {
    let mut sum = 0.0;
    for xs in parts.clone() {
        // Four partial sums so that the loop vectorises.
        let mut acc = [0.0; 4];
        let chunks = xs.chunks_exact(4);
        let tail = chunks.remainder();
        for c in chunks {
            for k in 0..4 {
                acc[k] += c[k] * c[k];
            }
        }
        sum += (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail.iter().map(|x| x * x).sum::<f64>();
    }
    if sum.is_nan() {
        return f64::NAN;
    }
    if sum > 0.0 && sum.is_finite() {
        return sum.sqrt();
    }
    // 0 or inf: either every entry is 0 / some is inf, or the squares under/overflowed.
    let mut scale = 0.0_f64;
    for xs in parts.clone() {
        for &x in xs {
            if x.is_nan() {
                return f64::NAN;
            }
            scale = scale.max(x.abs());
        }
    }
    if scale == 0.0 || scale.is_infinite() {
        return scale;
    }
    let scaled: f64 = parts
        .flat_map(|xs| xs.iter())
        .map(|x| (x / scale) * (x / scale))
        .sum();
    scale * scaled.sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_clipping_is_pytorchs_formula() {
        // torch: clip_coef = max_norm / (total_norm + 1e-6), clamped to 1.
        let mut a = vec![3.0, 0.0];
        let mut b = vec![4.0];
        let before = Clip::Norm(1.0).apply(&mut [&mut a, &mut b]);
        assert_eq!(before, 5.0);
        let coef = 1.0 / (5.0 + 1e-6);
        assert_eq!(a, vec![3.0 * coef, 0.0]);
        assert_eq!(b, vec![4.0 * coef]);
        // Below the threshold nothing changes, bit for bit.
        let mut g = vec![0.3, -0.4];
        Clip::Norm(1.0).apply(&mut [&mut g]);
        assert_eq!(g, vec![0.3, -0.4]);
        // Exactly at the threshold torch still scales by c/(c + 1e-6) < 1.
        let mut g = vec![1.0];
        Clip::Norm(1.0).apply(&mut [&mut g]);
        assert!(g[0] < 1.0 && (g[0] - 1.0 / (1.0 + 1e-6)).abs() < 1e-15);
        assert!(Clip::Norm(1.0).changes(1.0, 1.0));
        assert!(!Clip::Norm(2.0).changes(1.0, 1.0));
    }

    #[test]
    fn value_clipping_clamps_entries() {
        let mut g = vec![-5.0, 0.5, f64::INFINITY, f64::NAN];
        let norm = Clip::Value(1.0).apply(&mut [&mut g]);
        assert!(norm.is_nan());
        assert_eq!(&g[..3], &[-1.0, 0.5, 1.0]);
        assert!(g[3].is_nan());
        assert!(Clip::Value(1.0).changes(0.0, 1.5));
        assert!(!Clip::Value(1.0).changes(0.0, 1.0));
    }

    #[test]
    fn parse_and_print_round_trip() {
        for s in ["none", "norm:1", "value:0.5"] {
            let c: Clip = s.parse().expect(s);
            assert_eq!(c.to_string(), s);
        }
        assert!("norm:0".parse::<Clip>().is_err());
        assert!("norm".parse::<Clip>().is_err());
        assert!("size:1".parse::<Clip>().is_err());
    }

    #[test]
    fn norm_survives_under_and_overflow_of_squares() {
        assert!((l2_norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert!((l2_norm(&[3e-200, 4e-200]) / 5e-200 - 1.0).abs() < 1e-15);
        assert_eq!(l2_norm(&[]), 0.0);
        assert_eq!(l2_norm(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(l2_norm(&[f64::NAN]).is_nan());
        let parts: [&[f64]; 2] = [&[3.0], &[4.0]];
        assert_eq!(l2_norm_parts(parts.into_iter()), 5.0);
    }
}
