//! What weight decay did in one 2-D run, read from the run itself: the norm shrinking at the
//! rate 1 − ηλ_wd with u at a minimum, the minimum turned unstable once the effective step passed
//! 2/curvature, or the norm settled where decay balances gradient and noise.

use super::{AngularProfile, Band, Run, Runaway};

/// The run's norm is taken as shrinking at the rate 1 − ηλ_wd when its measured factor per step
/// is this close (relative).
pub const SHRINK_TOLERANCE: f64 = 1e-4;
/// The norm is taken as settled when its RMS over the window is this close (relative) to the
/// predicted equilibrium, and (the test on its drift) ...
pub const SETTLED_TOLERANCE: f64 = 0.25;
/// ... the mean ‖x‖ over the window's second half is within this (relative) of the first
/// half's, ...
pub const SETTLED_DRIFT: f64 = 0.05;
/// ... over a window of at least this many iterates of a run that did not run away.
pub const SETTLED_MIN_ITERATES: usize = 8;
/// u is taken as sitting at a minimum when it is within this angle (radians) of it.
pub const AT_MINIMUM: f64 = 1e-3;

/// The regime of a run with weight decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DecayRegime {
    /// No weight decay.
    NoDecay,
    /// The run stopped early: no equilibrium to speak of.
    RanAway {
        /// Where and why it stopped.
        runaway: Runaway,
        /// ‖x_0‖ and the last ‖x_k‖.
        norm_start: f64,
        norm_end: f64,
    },
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
        /// The largest such angle from the crossing on.
        departure_max: f64,
        /// ‖x‖ at the crossing below ‖x_0‖.
        shrank_before: bool,
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
    if let Some(runaway) = run.runaway {
        return Some(DecayRegime::RanAway {
            runaway,
            norm_start: run.norms.first().copied().unwrap_or(f64::NAN),
            norm_end: run.norms.last().copied().unwrap_or(f64::NAN),
        });
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
        let departure_max = (crossed_at..=last)
            .filter_map(|k| nearest(k).map(|(_, d, _)| d))
            .fold(distance_at_crossing, f64::max);
        return Some(DecayRegime::Unstable {
            band,
            crossed_at,
            distance_at_crossing,
            departure_max,
            shrank_before: run.norms[crossed_at] < run.norms[0],
            limit,
        });
    }
    if settled(&band) {
        return Some(DecayRegime::Settled { band, limit });
    }
    Some(DecayRegime::Unsettled { band })
}

/// The stated test for an equilibrium: a window of at least [`SETTLED_MIN_ITERATES`] iterates
/// whose mean norm drifts by less than [`SETTLED_DRIFT`] between its halves, with an RMS within
/// [`SETTLED_TOLERANCE`] of the balance of decay against gradient and noise.
pub fn settled(band: &Band) -> bool {
    band.to_step + 1 - band.from_step >= SETTLED_MIN_ITERATES
        && band.drift.abs() < SETTLED_DRIFT
        && (band.rms_norm / band.predicted_norm - 1.0).abs() < SETTLED_TOLERANCE
}

/// A change of ‖x‖² smaller than this fraction of ‖x_k‖² is rounding (a step whose ∇f is tiny
/// moves x by less than the last bits of its coordinates), counted neither as growth nor as
/// shrinking.
pub const NORM_ROUNDING: f64 = 1e-14;

/// What a run's norm did, step by step: the facts the notes' verbs are chosen from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormStory {
    /// Steps taken.
    pub steps: usize,
    /// Steps that grew ‖x‖, and steps that shrank it (‖x_{k+1}‖² − ‖x_k‖² above, below
    /// ±[`NORM_ROUNDING`] ‖x_k‖²); the rest changed it by rounding only.
    pub grew: usize,
    pub shrank: usize,
    /// ‖x_0‖ and the last ‖x_k‖.
    pub first: f64,
    pub last: f64,
    /// The effective step at x_0 and at the last iterate.
    pub effective_first: f64,
    pub effective_last: f64,
    /// f(x_0) and the last f(x_k).
    pub loss_first: f64,
    pub loss_last: f64,
    /// Mean of ‖x_{k+1}‖² − ‖x_k‖² over the steps, and of η²(‖∇f(x_k)‖² + dσ²): what the
    /// noise adds on average, for comparison.
    pub mean_increment: f64,
    pub mean_expected_increment: f64,
}

impl Run {
    /// The facts of [`NormStory`] for this run.
    pub fn norm_story(&self) -> NormStory {
        let first = |v: &[f64]| v.first().copied().unwrap_or(f64::NAN);
        let last = |v: &[f64]| v.last().copied().unwrap_or(f64::NAN);
        let steps = self.steps_taken();
        let mean = |v: &[f64]| {
            if v.is_empty() {
                f64::NAN
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            }
        };
        let noise_term = self.lr * self.lr * self.dim as f64 * self.noise * self.noise;
        NormStory {
            steps,
            grew: self.changes().filter(|c| *c > 0).count(),
            shrank: self.changes().filter(|c| *c < 0).count(),
            first: first(&self.norms),
            last: last(&self.norms),
            effective_first: first(&self.effective_lr),
            effective_last: last(&self.effective_lr),
            loss_first: first(&self.loss),
            loss_last: last(&self.loss),
            mean_increment: mean(&self.norm_sq_increment),
            mean_expected_increment: mean(&self.grad_norm_sq_times_lr_sq) + noise_term,
        }
    }
}

impl Run {
    /// Per step: 1 where ‖x‖ grew, −1 where it shrank, 0 where it changed by rounding only.
    fn changes(&self) -> impl Iterator<Item = i8> + '_ {
        self.norm_sq_increment
            .iter()
            .zip(&self.norms)
            .map(|(d, n)| {
                let tol = NORM_ROUNDING * n * n;
                if *d > tol {
                    1
                } else if *d < -tol {
                    -1
                } else {
                    0
                }
            })
    }
}

impl NormStory {
    /// Steps that changed ‖x‖ by rounding only.
    pub fn flat(&self) -> usize {
        self.steps - self.grew - self.shrank
    }

    /// Every step grew ‖x‖.
    pub fn only_grew(&self) -> bool {
        self.steps > 0 && self.grew == self.steps
    }

    /// No step grew or shrank ‖x‖.
    pub fn stayed(&self) -> bool {
        self.grew == 0 && self.shrank == 0
    }

    /// Every step shrank ‖x‖.
    pub fn only_shrank(&self) -> bool {
        self.steps > 0 && self.shrank == self.steps
    }
}
