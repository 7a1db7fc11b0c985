//! The first-order model of one step on the sphere, and how its gap scales with η.

use super::{ETA_SWEEP_POINTS, ETA_SWEEP_RANGE, Objective, dot, robust_norm};

/// One point of the η sweep: the first-order gap of a single step of size η.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EtaGap {
    /// Step size η.
    pub eta: f64,
    /// ‖u_1 − (u_0 − (η/‖x_0‖²)(I − u_0u_0ᵀ)∇f(u_0))‖.
    pub gap: f64,
}

/// Scratch vectors for [`first_order_gap`], allocated once per run.
pub(super) struct GapScratch {
    unit: Vec<f64>,
    grad_at_unit: Vec<f64>,
}

impl GapScratch {
    pub(super) fn new(dim: usize) -> GapScratch {
        GapScratch {
            unit: vec![0.0; dim],
            grad_at_unit: vec![0.0; dim],
        }
    }
}

/// ‖u_next − (u − (η′/‖x‖²)(I − uuᵀ)(∇f(u) + ‖x‖ξ))‖ for u = x/‖x‖, u_next = next/‖next‖:
/// how far one step is from its first-order model on the sphere. The step was
/// next = (1 − ηλ_wd)x − η(∇f(x) + ξ) = (1 − ηλ_wd)(x − η′(∇f(x) + ξ)) with η′ = η/(1 − ηλ_wd),
/// and the factor 1 − ηλ_wd does not turn u: `step` is η′. ∇f(x) = ∇f(u)/‖x‖ is evaluated at u;
/// `noise` is ξ (none: zero).
pub(super) fn first_order_gap(
    obj: &Objective,
    x: &[f64],
    next: &[f64],
    step: f64,
    noise: Option<&[f64]>,
    scratch: &mut GapScratch,
) -> f64 {
    let norm = robust_norm(x);
    let next_norm = robust_norm(next);
    for (u, xi) in scratch.unit.iter_mut().zip(x) {
        *u = xi / norm;
    }
    obj.gradient_into(&scratch.unit, &mut scratch.grad_at_unit);
    if let Some(noise) = noise {
        for (g, n) in scratch.grad_at_unit.iter_mut().zip(noise) {
            *g += norm * n;
        }
    }
    let radial = dot(&scratch.unit, &scratch.grad_at_unit);
    let step = step / (norm * norm);
    let mut sum_sq = 0.0;
    for ((u, g), n) in scratch.unit.iter().zip(&scratch.grad_at_unit).zip(next) {
        let predicted = u - step * (g - radial * u);
        let diff = n / next_norm - predicted;
        sum_sq += diff * diff;
    }
    sum_sq.sqrt()
}

/// The log-spaced η grid of the sweep, from `ETA_SWEEP_RANGE.0` to `ETA_SWEEP_RANGE.1`.
pub fn eta_grid() -> Vec<f64> {
    let (lo, hi) = (ETA_SWEEP_RANGE.0.log10(), ETA_SWEEP_RANGE.1.log10());
    let last = (ETA_SWEEP_POINTS - 1) as f64;
    (0..ETA_SWEEP_POINTS)
        .map(|i| 10f64.powf(lo + (hi - lo) * i as f64 / last))
        .collect()
}

/// For each η of [`eta_grid`], the first-order gap of one plain step x_1 = x_0 − η∇f(x_0).
pub fn eta_sweep(obj: &Objective, x0: &[f64]) -> Vec<EtaGap> {
    let grad = obj.gradient(x0);
    let mut next = vec![0.0; x0.len()];
    let mut scratch = GapScratch::new(x0.len());
    eta_grid()
        .into_iter()
        .map(|eta| {
            for ((n, x), g) in next.iter_mut().zip(x0).zip(&grad) {
                *n = x - eta * g;
            }
            EtaGap {
                eta,
                gap: first_order_gap(obj, x0, &next, eta, None, &mut scratch),
            }
        })
        .collect()
}

/// The least-squares line log10(gap) = intercept + slope·log10(η).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogLogFit {
    /// Slope; about 2 when the gap is O(η²).
    pub slope: f64,
    /// Value of log10(gap) at η = 1.
    pub intercept: f64,
}

impl LogLogFit {
    /// The fitted gap at step size η: 10^(intercept + slope·log10 η).
    pub fn gap_at(&self, eta: f64) -> f64 {
        10f64.powf(self.intercept + self.slope * eta.log10())
    }
}

/// Least-squares fit of log10(gap) against log10(η), over the points whose gap is finite and
/// positive; `None` with fewer than two such points (e.g. when x_0 is stationary).
pub fn log_log_fit(sweep: &[EtaGap]) -> Option<LogLogFit> {
    let pairs: Vec<(f64, f64)> = sweep
        .iter()
        .filter(|p| p.gap.is_finite() && p.gap > 0.0 && p.eta > 0.0)
        .map(|p| (p.eta.log10(), p.gap.log10()))
        .collect();
    if pairs.len() < 2 {
        return None;
    }
    let n = pairs.len() as f64;
    let mean_x = pairs.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = pairs.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pairs.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let sxx: f64 = pairs.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    (slope.is_finite() && intercept.is_finite()).then_some(LogLogFit { slope, intercept })
}
