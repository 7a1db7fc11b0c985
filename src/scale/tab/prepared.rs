//! Chart data prepared once per result, so a frame only slices and draws.

use super::super::model::{DecayRegime, Exploration, decay_regime};

/// Chart data prepared once per result, so a frame only slices and draws.
pub(super) struct Prepared {
    pub(super) exploration: Exploration,
    /// (k, ‖x_k‖) for [without decay, with decay].
    pub(super) norms: [Vec<(f64, f64)>; 2],
    /// (k, effective step at x_k).
    pub(super) effective: [Vec<(f64, f64)>; 2],
    /// (k, first-order gap of step k).
    pub(super) gaps: [Vec<(f64, f64)>; 2],
    /// (η, one-step gap) of the sweep from x_0.
    pub(super) sweep: Vec<(f64, f64)>,
    /// The fitted line at the sweep's two ends.
    pub(super) fit: Vec<(f64, f64)>,
    pub(super) norm_bounds: Option<(f64, f64)>,
    pub(super) effective_bounds: Option<(f64, f64)>,
    pub(super) gap_bounds: Option<(f64, f64)>,
    /// Half-width of the plane shown, in data units (covers both runs and the unit circle).
    pub(super) extent: f64,
    /// What weight decay did in the run with decay.
    pub(super) regime: Option<DecayRegime>,
}

impl Prepared {
    pub(super) fn new(exploration: Exploration) -> Prepared {
        let runs = [&exploration.without_decay, &exploration.with_decay];
        let indexed = |v: &[f64]| -> Vec<(f64, f64)> {
            v.iter().enumerate().map(|(k, y)| (k as f64, *y)).collect()
        };
        let norms = runs.map(|r| indexed(&r.norms));
        let effective = runs.map(|r| indexed(&r.effective_lr));
        let gaps = runs.map(|r| indexed(&r.first_order_gap));
        let plain = &exploration.without_decay;
        let sweep: Vec<(f64, f64)> = plain.eta_sweep.iter().map(|e| (e.eta, e.gap)).collect();
        let fit = match (
            plain.eta_sweep_fit,
            plain.eta_sweep.first(),
            plain.eta_sweep.last(),
        ) {
            (Some(fit), Some(a), Some(b)) => {
                vec![(a.eta, fit.gap_at(a.eta)), (b.eta, fit.gap_at(b.eta))]
            }
            _ => Vec::new(),
        };
        let all_norms = runs.iter().flat_map(|r| r.norms.iter().copied());
        let norm_bounds = linear_bounds(all_norms.clone());
        let largest = all_norms.filter(|v| v.is_finite()).fold(0.0, f64::max);
        let effective_bounds =
            decade_bounds(runs.iter().flat_map(|r| r.effective_lr.iter().copied()));
        let gap_bounds = decade_bounds(runs.iter().flat_map(|r| r.first_order_gap.iter().copied()));
        let regime = decay_regime(&exploration.with_decay, exploration.profile.as_ref());
        Prepared {
            regime,
            exploration,
            norms,
            effective,
            gaps,
            sweep,
            fit,
            norm_bounds,
            effective_bounds,
            gap_bounds,
            extent: (largest * 1.08).max(1.15),
        }
    }
}

/// Data range with a little room above and below, for a linear axis.
fn linear_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let pad = ((hi - lo) * 0.05).max(hi.abs() * 1e-3).max(1e-12);
    // Norms are never negative: the axis need not go below 0.
    let floor = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    Some((floor, hi + pad))
}

/// Whole decades around the positive finite values, for a log axis that does not jump while
/// the series is revealed.
fn decade_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return None;
    }
    let (a, b) = (lo.log10().floor(), hi.log10().ceil());
    let b = if b <= a { a + 1.0 } else { b };
    Some((10f64.powf(a), 10f64.powf(b)))
}
