//! Scale-invariant objectives and gradient descent on them (Problem 3).
//!
//! A function is scale invariant when f(λx) = f(x) for every λ > 0. Two facts follow, and this
//! module computes both so that they can be checked numerically:
//!
//! - (a) ∇f(λx) = ∇f(x)/λ, and ⟨x, ∇f(x)⟩ = 0: the gradient is tangent to the sphere through x.
//! - (b) plain descent x_{k+1} = x_k − η∇f(x_k) can only grow the norm,
//!   ‖x_{k+1}‖² = ‖x_k‖² + η²‖∇f(x_k)‖², while the direction u_k = x_k/‖x_k‖ follows descent on
//!   the unit sphere with the effective step η/‖x_k‖²:
//!   u_{k+1} = u_k − (η/‖x_k‖²)(I − u_k u_kᵀ)∇f(u_k) + O(η²).
//!
//! With weight decay, x_{k+1} = (1 − ηλ_wd)x_k − η∇f(x_k) = (1 − ηλ_wd)(x_k − η′∇f(x_k)) with
//! η′ = η/(1 − ηλ_wd): the direction feels the step η/((1 − ηλ_wd)‖x_k‖²). Without noise, once u
//! sits at a minimum (∇f = 0) the norm shrinks by 1 − ηλ_wd per step and the effective step grows
//! until it passes the stability limit 2/(curvature of f on the circle); with gradient noise of
//! variance σ² the norm settles where E‖x‖² = η²(E‖∇f(x)‖² + dσ²)/(1 − (1 − ηλ_wd)²).

use std::fmt;

mod decay;
mod descent;
mod functions;
mod plane;
mod sweep;
#[cfg(test)]
mod tests;

pub use decay::*;
pub use descent::*;
pub use functions::*;
pub use plane::*;
pub use sweep::*;

/// Largest dimension accepted for the parameter vector.
pub const MAX_DIM: usize = 64;
/// Largest number of descent steps accepted.
pub const MAX_STEPS: usize = 100_000;
/// Number of labelled points in the logistic data set.
pub const LOGISTIC_POINTS: usize = 40;
/// Centre of the positive blob of the logistic data (the negative blob sits at its mirror image);
/// coordinates past the second are centred at 0.
pub const LOGISTIC_BLOB_CENTRE: [f64; 2] = [0.4, -1.2];
/// A run has run away once |f(x_k)| exceeds this.
pub const LOSS_LIMIT: f64 = 1e8;
/// A run has run away once ‖x_k‖ exceeds this multiple of ‖x_0‖.
pub const NORM_GROWTH_LIMIT: f64 = 1e8;
/// Accepted range of the starting norm, so that squared norms stay far from overflow.
pub const INIT_NORM_RANGE: (f64, f64) = (1e-100, 1e100);
/// Smallest and largest step size of the η sweep, and its number of log-spaced points.
pub const ETA_SWEEP_RANGE: (f64, f64) = (1e-4, 1e-1);
/// Number of points of the η sweep.
pub const ETA_SWEEP_POINTS: usize = 12;
/// Fraction of the run, at its end, over which the weight-decay band is measured.
pub const BAND_FRACTION: f64 = 0.25;

/// Everything the scale-invariance view shows for one choice of parameters: the descent with
/// the given weight decay and without any, and (in 2-D) f around the unit circle.
#[derive(Clone, Debug, PartialEq)]
pub struct Exploration {
    /// The parameters, as validated.
    pub params: Params,
    /// The run with `params.weight_decay`.
    pub with_decay: Run,
    /// The run with weight decay 0, everything else equal.
    pub without_decay: Run,
    /// f on the unit circle (2-D only).
    pub profile: Option<AngularProfile>,
}

/// Runs `p` as given and again without weight decay, and samples f around the circle.
pub fn explore(p: &Params) -> Result<Exploration, ScaleError> {
    p.validate()?;
    let obj = Objective::from_params(p)?;
    let plain = Params {
        weight_decay: 0.0,
        ..p.clone()
    };
    Ok(Exploration {
        params: p.clone(),
        with_decay: run_objective(&obj, p),
        without_decay: run_objective(&obj, &plain),
        profile: AngularProfile::new(&obj),
    })
}

/// Why parameters were refused: each says which parameter and what range it must be in (the
/// command line adds the flag's name).
#[derive(Clone, Debug, PartialEq)]
pub enum ScaleError {
    /// The function is not one of ratio, rayleigh, logistic.
    UnknownFunction(String),
    /// y/x is defined in 2-D only.
    RatioNeedsTwoDims(usize),
    /// The dimension is outside 1 … [`MAX_DIM`].
    Dim(usize),
    /// The step size η is not a finite number greater than 0.
    StepSize(f64),
    /// The number of steps is outside 1 … [`MAX_STEPS`].
    Steps(usize),
    /// The λ of the gradient-scaling check is not a finite number greater than 0.
    Lambda(f64),
    /// The weight decay λ_wd is negative or not finite.
    WeightDecay(f64),
    /// ηλ_wd ≥ 1, so 1 − ηλ_wd is not positive.
    DecayTooStrong(f64),
    /// A starting point with the wrong number of coordinates.
    InitLength {
        /// The dimension.
        want: usize,
        /// The coordinates given.
        got: usize,
    },
    /// The gradient noise σ is negative or not finite.
    Noise(f64),
    /// A starting point with a NaN or an infinity.
    InitNotFinite,
    /// A starting point with a norm outside [`INIT_NORM_RANGE`].
    InitNorm(f64),
    /// A starting point on the y axis, where y/x is undefined.
    InitOnAxis,
}

impl fmt::Display for ScaleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = |v: f64| crate::numfmt::general(v, 4);
        let positive = |f: &mut fmt::Formatter<'_>, name: &str, value: f64| {
            write!(
                f,
                "{name} must be a finite number greater than 0 (got {})",
                g(value)
            )
        };
        match self {
            ScaleError::UnknownFunction(name) => write!(
                f,
                "unknown function '{name}' (expected ratio, rayleigh or logistic)"
            ),
            ScaleError::RatioNeedsTwoDims(dim) => write!(
                f,
                "the dimension must be 2 for the ratio function y/x (got {dim})"
            ),
            ScaleError::Dim(dim) => {
                write!(
                    f,
                    "the dimension must be between 1 and {MAX_DIM} (got {dim})"
                )
            }
            ScaleError::StepSize(value) => positive(f, "step size η", *value),
            ScaleError::Steps(steps) => write!(
                f,
                "the number of steps must be between 1 and {MAX_STEPS} (got {steps})"
            ),
            ScaleError::Lambda(value) => positive(f, "scaling factor λ", *value),
            ScaleError::WeightDecay(v) => {
                write!(
                    f,
                    "weight decay λ_wd must be a finite number ≥ 0 (got {})",
                    g(*v)
                )
            }
            ScaleError::DecayTooStrong(shrink) => write!(
                f,
                "weight decay λ_wd times step size η must stay below 1 so that 1 − ηλ_wd is positive (got {shrink})"
            ),
            ScaleError::InitLength { want, got } => write!(
                f,
                "the starting point must have {want} coordinates, one per dimension (got {got})"
            ),
            ScaleError::Noise(v) => {
                write!(
                    f,
                    "gradient noise σ must be a finite number ≥ 0 (got {})",
                    g(*v)
                )
            }
            ScaleError::InitNotFinite => {
                f.write_str("the starting point must contain only finite numbers")
            }
            ScaleError::InitNorm(norm) => write!(
                f,
                "the starting point must have a norm between {:e} and {:e} (got {})",
                INIT_NORM_RANGE.0,
                INIT_NORM_RANGE.1,
                crate::numfmt::general(*norm, 3)
            ),
            ScaleError::InitOnAxis => {
                f.write_str("the starting point must have x ≠ 0 for the ratio function y/x")
            }
        }
    }
}

impl std::error::Error for ScaleError {}
