//! What weight decay did in one 2-D run, read from the run itself: the norm shrinking at the
//! rate 1 − ηλ_wd with u at a minimum, the minimum turned unstable once the effective step passed
//! 2/curvature, or the norm settled where decay balances gradient and noise.

use super::{AngularProfile, Band, Run};

/// The run's norm is taken as shrinking at the rate 1 − ηλ_wd when its measured factor per step
/// is this close (relative).
pub const SHRINK_TOLERANCE: f64 = 1e-4;
/// The norm is taken as settled when its RMS over the window is this close (relative) to the
/// predicted equilibrium.
pub const SETTLED_TOLERANCE: f64 = 0.25;

/// The regime of a run with weight decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DecayRegime {
    /// No weight decay.
    NoDecay,
    /// u sits at a minimum and ‖x‖ shrinks geometrically.
    Shrinking {
        /// The window.
        band: Band,
        /// 1 − ηλ_wd.
        rate: f64,
        /// The effective step at the last iterate.
        effective_end: f64,
        /// Angle (radians) between u and the nearest minimum at the last iterate.
        distance_end: f64,
        /// 2/curvature at the minimum nearest to u, if f has one.
        limit: Option<f64>,
    },
    /// No noise; the effective step passed the stability limit and u left the minimum.
    Unstable {
        /// The window.
        band: Band,
        /// First iterate whose effective step exceeds the limit.
        crossed_at: usize,
        /// Angle (radians) between u and the nearest minimum at that iterate.
        distance_at_crossing: f64,
        /// 2/curvature.
        limit: f64,
    },
    /// ‖x‖ hovers at the equilibrium predicted by the balance of decay, gradient and noise.
    Settled {
        /// The window (its `rms_norm` and `predicted_norm`).
        band: Band,
        /// 2/curvature, if f has a minimum.
        limit: Option<f64>,
    },
    /// None of the above (for instance a run too short to settle).
    Unsettled {
        /// The window.
        band: Band,
    },
}

/// Reads the regime of `run` from its last [`super::BAND_FRACTION`]; `profile` gives the minima
/// and curvatures on the circle (2-D).
pub fn decay_regime(run: &Run, profile: Option<&AngularProfile>) -> Option<DecayRegime> {
    if run.weight_decay == 0.0 {
        return Some(DecayRegime::NoDecay);
    }
    let band = run.band()?;
    let rate = 1.0 - run.lr * run.weight_decay;
    let nearest = |k: usize| -> Option<(f64, f64, f64)> {
        let x = run.point(k)?;
        if x.len() != 2 {
            return None;
        }
        profile?.nearest_minimum(x[1].atan2(x[0]))
    };
    let last = band.to_step;
    let limit = nearest(last).map(|(_, _, c)| 2.0 / c);
    if (band.ratio_per_step / rate - 1.0).abs() < SHRINK_TOLERANCE {
        return Some(DecayRegime::Shrinking {
            band,
            rate,
            effective_end: run.effective_lr.get(last).copied().unwrap_or(f64::NAN),
            distance_end: nearest(last).map_or(f64::NAN, |(_, d, _)| d),
            limit,
        });
    }
    if run.noise == 0.0
        && let Some(limit) = limit
        && let Some(crossed_at) = run.effective_lr.iter().position(|s| *s > limit)
        && let Some((_, distance_at_crossing, _)) = nearest(crossed_at)
    {
        return Some(DecayRegime::Unstable {
            band,
            crossed_at,
            distance_at_crossing,
            limit,
        });
    }
    if (band.rms_norm / band.predicted_norm - 1.0).abs() < SETTLED_TOLERANCE {
        return Some(DecayRegime::Settled { band, limit });
    }
    Some(DecayRegime::Unsettled { band })
}
