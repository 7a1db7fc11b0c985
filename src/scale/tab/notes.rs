//! The tab's prose, in our own words. Each sentence states only what the computation beside it
//! shows; the sentences about a run are built from that run's numbers, and the tests in
//! `tests.rs` recompute every number they state.

use crate::numfmt;
use crate::scale::model::{Band, DecayRegime, Run};

/// Beside the plane.
pub const PLANE: &str = "f only sees the direction, so its level sets are wedges from 0. Each \
    step is at right angles to x: ‖x‖ grows while the direction u_k = x_k/‖x_k‖ slides downhill \
    on the unit circle.";

/// Beside the check of Problem 3a.
pub const SCALING: &str =
    "Scaling x by λ divides the gradient by λ, and the gradient is always perpendicular to x.";

/// One line under the ‖x_k‖ chart.
pub const NORM_CHART: &str = "plain only grows; decay shrinks it";
/// One line under the effective-step chart.
pub const EFFECTIVE_CHART: &str = "η/((1−ηλ)‖x_k‖²), the step u feels";
/// One line under the first-order gap chart.
pub const GAP_CHART: &str = "new direction vs its first-order model";
/// One line under the η sweep.
pub const SWEEP_CHART: &str = "one step from x₀; slope 2 means O(η²)";

/// A number as the notes write it.
pub fn n(v: f64) -> String {
    numfmt::general(v, 3)
}

/// What the plain run shows: the norm grows by η²‖∇f‖² each step, the effective step shrinks.
pub fn plain(run: &Run) -> String {
    let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
    let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
    if run.noise > 0.0 {
        return format!(
            "Without decay ‖x‖ went from {} to {} and the step felt on the circle from {} to {}. \
             The noise's radial part can shrink ‖x‖ in one step, but on average each step adds \
             η²(‖∇f‖² + dσ²) to ‖x‖².",
            n(first(&run.norms)),
            n(last(&run.norms)),
            n(first(&run.effective_lr)),
            n(last(&run.effective_lr)),
        );
    }
    format!(
        "Without decay each step adds η²‖∇f‖² to ‖x‖², so the norm only grows ({} to {}) and the \
         step felt on the circle only shrinks ({} to {}).",
        n(first(&run.norms)),
        n(last(&run.norms)),
        n(first(&run.effective_lr)),
        n(last(&run.effective_lr)),
    )
}

/// What the run with decay shows, from its regime.
pub fn decay(regime: &DecayRegime) -> String {
    match *regime {
        DecayRegime::NoDecay => "With decay 0 both runs are the same.".to_string(),
        DecayRegime::Shrinking {
            band,
            rate,
            effective_end,
            distance_end,
            limit,
        } => shrinking(&band, rate, effective_end, distance_end, limit),
        DecayRegime::Unstable {
            band,
            crossed_at,
            distance_at_crossing,
            limit,
        } => unstable(&band, crossed_at, distance_at_crossing, limit),
        DecayRegime::Settled { band, limit } => settled(&band, limit),
        DecayRegime::Unsettled { band } => format!(
            "With decay ‖x‖ has not settled: over steps {}–{} its RMS is {} while the balance of \
             decay, gradient and noise predicts {}.",
            band.from_step,
            band.to_step,
            n(band.rms_norm),
            n(band.predicted_norm),
        ),
    }
}

/// u sits at the minimum and ‖x‖ shrinks by 1 − ηλ per step, so the effective step grows.
fn shrinking(
    band: &Band,
    rate: f64,
    effective_end: f64,
    distance_end: f64,
    limit: Option<f64>,
) -> String {
    let mut s = format!(
        "With decay u sits at the minimum ({} rad away) and ‖x‖ shrinks by 1 − ηλ = {} \
         per step (measured {} over steps {}–{}); the effective step has grown to {}",
        n(distance_end),
        n(rate),
        n(band.ratio_per_step),
        band.from_step,
        band.to_step,
        n(effective_end),
    );
    match limit {
        Some(l) if effective_end > l => s.push_str(&format!(
            ", past the stability limit {} (2 over the curvature of f on the circle): \
             the minimum is unstable, but nothing has pushed u off it yet.",
            n(l)
        )),
        Some(l) => s.push_str(&format!(
            ", still below the stability limit {} (2 over the curvature of f on the \
             circle).",
            n(l)
        )),
        None => s.push('.'),
    }
    s
}

/// The effective step passed the stability limit and the minimum repelled u.
fn unstable(band: &Band, crossed_at: usize, distance_at_crossing: f64, limit: f64) -> String {
    let seed = if distance_at_crossing < 1e-12 {
        "rounding errors".to_string()
    } else {
        format!("that {} rad", n(distance_at_crossing))
    };
    format!(
        "With decay ‖x‖ shrank until the effective step passed the stability limit {} (2 \
         over the curvature of f on the circle) at step {crossed_at}, with u {} rad from \
         the minimum. Past the limit the minimum repels u; with no noise the departure \
         grows from {seed}, and ‖x‖ then wanders between {} and {} (steps {}–{}).",
        n(limit),
        n(distance_at_crossing),
        n(band.norm_min),
        n(band.norm_max),
        band.from_step,
        band.to_step,
    )
}

/// ‖x‖ settled where decay balances gradient and noise.
fn settled(band: &Band, limit: Option<f64>) -> String {
    let mut s = format!(
        "With decay ‖x‖ settled where decay balances gradient and noise: over steps \
         {}–{} its RMS is {}, and E‖x‖² = η²(E‖∇f‖² + dσ²)/(1 − (1−ηλ)²) predicts {}. \
         The effective step ranges over {}–{}",
        band.from_step,
        band.to_step,
        n(band.rms_norm),
        n(band.predicted_norm),
        n(band.effective_lr_min),
        n(band.effective_lr_max),
    );
    match limit {
        Some(l) if band.effective_lr_max < l => {
            s.push_str(&format!(", below the stability limit {}.", n(l)));
        }
        Some(l) if band.effective_lr_min > l => {
            s.push_str(&format!(", above the stability limit {}.", n(l)));
        }
        Some(l) => s.push_str(&format!(", either side of the stability limit {}.", n(l))),
        None => s.push('.'),
    }
    s
}
