//! Gradient descent x_{k+1} = (1 − ηλ_wd)x_k − η(∇f(x_k) + ξ_k) and every series reported about
//! it; ξ_k is seeded Gaussian noise of standard deviation σ per coordinate (none when σ = 0).

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::functions::check_dim;
use super::{
    BAND_FRACTION, EtaGap, Function, GapScratch, INIT_NORM_RANGE, LOSS_LIMIT, LogLogFit, MAX_STEPS,
    NORM_GROWTH_LIMIT, Objective, ScaleError, dot, eta_sweep, first_order_gap, log_log_fit,
    robust_norm,
};

/// Everything that defines one experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct Params {
    /// Which objective to descend.
    pub function: Function,
    /// Dimension of the parameter vector (2 for `ratio`).
    pub dim: usize,
    /// Step size η.
    pub lr: f64,
    /// Number of descent steps.
    pub steps: usize,
    /// Starting point x_0; `None` means [`default_start`].
    pub init: Option<Vec<f64>>,
    /// The λ of Problem 3a: the gradient is compared at x and at λx.
    pub lambda: f64,
    /// Weight decay λ_wd in x_{k+1} = (1 − ηλ_wd)x_k − η∇f(x_k).
    pub weight_decay: f64,
    /// Standard deviation σ of the gradient noise ξ_k ~ N(0, σ²I) added at every step.
    pub noise: f64,
    /// Seed of the random matrix A (dim ≠ 2), of the logistic data set and of the noise.
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            function: Function::Rayleigh,
            dim: 2,
            lr: 0.1,
            steps: 200,
            init: None,
            lambda: 2.0,
            weight_decay: 0.0,
            noise: 0.0,
            seed: 0,
        }
    }
}

/// The default starting point: (1, 0.3, 0.3, …, 0.3) with `dim` coordinates.
pub fn default_start(dim: usize) -> Vec<f64> {
    (0..dim).map(|i| if i == 0 { 1.0 } else { 0.3 }).collect()
}

impl Params {
    /// The starting point x_0: `init` if given, otherwise [`default_start`].
    pub fn start_point(&self) -> Vec<f64> {
        self.init.clone().unwrap_or_else(|| default_start(self.dim))
    }

    /// Checks every parameter; the error names the offending parameter.
    pub fn validate(&self) -> Result<(), ScaleError> {
        check_dim(self.function, self.dim)?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(ScaleError::StepSize(self.lr));
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(ScaleError::Steps(self.steps));
        }
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(ScaleError::Lambda(self.lambda));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(ScaleError::WeightDecay(self.weight_decay));
        }
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return Err(ScaleError::Noise(self.noise));
        }
        let shrink = self.lr * self.weight_decay;
        if shrink >= 1.0 {
            return Err(ScaleError::DecayTooStrong(shrink));
        }
        if let Some(init) = &self.init {
            if init.len() != self.dim {
                return Err(ScaleError::InitLength {
                    want: self.dim,
                    got: init.len(),
                });
            }
            if init.iter().any(|v| !v.is_finite()) {
                return Err(ScaleError::InitNotFinite);
            }
            let norm = robust_norm(init);
            if !(INIT_NORM_RANGE.0..=INIT_NORM_RANGE.1).contains(&norm) {
                return Err(ScaleError::InitNorm(norm));
            }
            if self.function == Function::Ratio && init[0] == 0.0 {
                return Err(ScaleError::InitOnAxis);
            }
        }
        Ok(())
    }
}

/// Problem 3a at one point: the gradient at λx against the gradient at x divided by λ.
#[derive(Clone, Debug, PartialEq)]
pub struct GradScaling {
    /// The scale λ.
    pub lambda: f64,
    /// The point x.
    pub x: Vec<f64>,
    /// ∇f(λx).
    pub grad_at_lambda_x: Vec<f64>,
    /// ∇f(x)/λ.
    pub grad_over_lambda: Vec<f64>,
    /// max_i |∇f(λx)_i − ∇f(x)_i/λ| (zero up to rounding).
    pub max_abs_diff: f64,
    /// ⟨x, ∇f(x)⟩ (zero up to rounding: the gradient is orthogonal to x).
    pub inner_product_x_grad: f64,
    /// f(x).
    pub value_at_x: f64,
    /// f(λx) (equal to f(x): the invariance itself).
    pub value_at_lambda_x: f64,
}

/// Evaluates both sides of ∇f(λx) = ∇f(x)/λ and the orthogonality ⟨x, ∇f(x)⟩ = 0.
pub fn grad_scaling(obj: &Objective, x: &[f64], lambda: f64) -> GradScaling {
    let scaled: Vec<f64> = x.iter().map(|v| lambda * v).collect();
    let grad_at_lambda_x = obj.gradient(&scaled);
    let grad_at_x = obj.gradient(x);
    let grad_over_lambda: Vec<f64> = grad_at_x.iter().map(|g| g / lambda).collect();
    let max_abs_diff = grad_at_lambda_x
        .iter()
        .zip(&grad_over_lambda)
        .map(|(a, b)| (a - b).abs())
        .fold(
            0.0,
            |m: f64, d| if d.is_nan() { f64::NAN } else { m.max(d) },
        );
    GradScaling {
        lambda,
        x: x.to_vec(),
        grad_at_lambda_x,
        grad_over_lambda,
        max_abs_diff,
        inner_product_x_grad: dot(x, &grad_at_x),
        value_at_x: obj.value(x),
        value_at_lambda_x: obj.value(&scaled),
    }
}

/// Why a run stopped before its last step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunawayReason {
    /// The gradient, the next iterate or its loss was not a finite number.
    NonFinite,
    /// The norm is zero or so small that the effective step is infinite.
    StepInfinite,
    /// ‖x‖ grew past [`NORM_GROWTH_LIMIT`] times ‖x_0‖.
    NormLimit,
    /// |f(x)| grew past [`LOSS_LIMIT`].
    LossLimit,
    /// The first coordinate changed sign or hit 0 (ratio: y/x is undefined at x = 0).
    CrossedAxis,
}

impl fmt::Display for RunawayReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunawayReason::NonFinite => f.write_str("the iterate or its loss stopped being finite"),
            RunawayReason::StepInfinite => {
                f.write_str("the norm is so small that the effective step is infinite")
            }
            RunawayReason::NormLimit => write!(
                f,
                "‖x‖ grew past {NORM_GROWTH_LIMIT:e} times its starting value"
            ),
            RunawayReason::LossLimit => write!(f, "|f(x)| grew past {LOSS_LIMIT:e}"),
            RunawayReason::CrossedAxis => {
                f.write_str("x crossed 0, where y/x is undefined (the loss is unbounded below)")
            }
        }
    }
}

/// A run that stopped early: step `step` (from x_step to x_{step+1}) was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Runaway {
    /// The step that would have produced the offending iterate.
    pub step: usize,
    /// What went wrong.
    pub reason: RunawayReason,
}

/// The last [`BAND_FRACTION`] of a run: where the norm and the effective step lie, and the
/// norm that the balance of decay against gradient and noise predicts.
///
/// Taking expectations in ‖x_{k+1}‖² = ‖(1 − ηλ)x_k − η(∇f(x_k) + ξ_k)‖², with ∇f(x_k) ⟂ x_k
/// and ξ_k of mean 0 and variance σ² per coordinate,
/// E‖x_{k+1}‖² = (1 − ηλ)²‖x_k‖² + η²(‖∇f(x_k)‖² + dσ²). Where ‖x‖ stops changing,
/// E‖x‖² = η²(E‖∇f(x)‖² + dσ²) / (1 − (1 − ηλ)²).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Band {
    /// First iterate index of the window.
    pub from_step: usize,
    /// Last iterate index of the window.
    pub to_step: usize,
    /// min ‖x_k‖ over the window.
    pub norm_min: f64,
    /// max ‖x_k‖ over the window.
    pub norm_max: f64,
    /// min of the effective step over the window.
    pub effective_lr_min: f64,
    /// max of the effective step over the window.
    pub effective_lr_max: f64,
    /// √(mean ‖x_k‖²) over the window.
    pub rms_norm: f64,
    /// √(η²(mean ‖∇f(x_k)‖² + dσ²) / (1 − (1 − ηλ)²)) with the mean over the window's steps;
    /// NaN without decay (no equilibrium: the norm never shrinks).
    pub predicted_norm: f64,
    /// (‖x_to‖/‖x_from‖)^(1/(to − from)): the norm's factor per step over the window.
    pub ratio_per_step: f64,
    /// The mean ‖x_k‖ over the window's second half against its first half, minus 1: how far
    /// the norm still drifts (NaN for a window of fewer than two iterates).
    pub drift: f64,
}

/// A descent run and every series reported about it.
///
/// Lengths: with K = [`Run::steps_taken`] (K = `steps` unless the run ran away), the per-iterate
/// series (`points`, `norms`, `effective_lr`, `loss`) hold K + 1 entries, for x_0 … x_K; the
/// per-step series (`norm_sq_increment`, `grad_norm_sq_times_lr_sq`, `first_order_gap`) hold K
/// entries, entry k describing the step from x_k to x_{k+1}.
#[derive(Clone, Debug, PartialEq)]
pub struct Run {
    /// Dimension of each iterate.
    pub dim: usize,
    /// Step size η.
    pub lr: f64,
    /// Weight decay λ_wd.
    pub weight_decay: f64,
    /// Noise σ.
    pub noise: f64,
    /// The iterates x_0 … x_K, flattened (iterate k is `points[k*dim..(k+1)*dim]`).
    pub points: Vec<f64>,
    /// ‖x_k‖.
    pub norms: Vec<f64>,
    /// The effective step on the sphere, η/((1 − ηλ_wd)‖x_k‖²): the step u_k takes along
    /// −∇f(u_k) to first order.
    pub effective_lr: Vec<f64>,
    /// f(x_k).
    pub loss: Vec<f64>,
    /// ‖x_{k+1}‖² − ‖x_k‖².
    pub norm_sq_increment: Vec<f64>,
    /// η²‖∇f(x_k)‖² (equal to the increment without weight decay).
    pub grad_norm_sq_times_lr_sq: Vec<f64>,
    /// ‖u_{k+1} − (u_k − s_k(I − u_k u_kᵀ)(∇f(u_k) + ‖x_k‖ξ_k))‖ with u = x/‖x‖ and s_k the
    /// effective step.
    pub first_order_gap: Vec<f64>,
    /// Problem 3a at x_0 and the λ of the parameters.
    pub grad_scaling: GradScaling,
    /// One plain step (no weight decay) from x_0 for each η of a log-spaced grid.
    pub eta_sweep: Vec<EtaGap>,
    /// Least-squares line through log10(gap) against log10(η); its slope is about 2 since the
    /// gap is O(η²).
    pub eta_sweep_fit: Option<LogLogFit>,
    /// Why and where the run stopped early, if it did.
    pub runaway: Option<Runaway>,
}

impl Run {
    /// Slope of the η sweep's log–log fit.
    pub fn eta_sweep_slope(&self) -> Option<f64> {
        self.eta_sweep_fit.map(|f| f.slope)
    }

    /// Number of steps actually taken (K).
    pub fn steps_taken(&self) -> usize {
        self.norm_sq_increment.len()
    }

    /// Iterate x_k, if it exists.
    pub fn point(&self, k: usize) -> Option<&[f64]> {
        let start = k.checked_mul(self.dim)?;
        self.points.get(start..start.checked_add(self.dim)?)
    }

    /// The iterates x_0 … x_K in order.
    pub fn iterates(&self) -> impl Iterator<Item = &[f64]> {
        self.points.chunks_exact(self.dim.max(1))
    }

    /// Where ‖x_k‖ and the effective step lie over the last [`BAND_FRACTION`] of the iterates,
    /// with the equilibrium norm predicted there.
    pub fn band(&self) -> Option<Band> {
        let last = self.norms.len().checked_sub(1)?;
        let from = last - ((last as f64 * BAND_FRACTION).floor() as usize);
        let (norm_min, norm_max) = min_max(&self.norms[from..]);
        let (effective_lr_min, effective_lr_max) = min_max(&self.effective_lr[from..]);
        let window = &self.norms[from..];
        let rms_norm = (window.iter().map(|n| n * n).sum::<f64>() / window.len() as f64).sqrt();
        let steps = &self.grad_norm_sq_times_lr_sq[from.min(self.grad_norm_sq_times_lr_sq.len())..];
        let mean_grad_term = if steps.is_empty() {
            0.0
        } else {
            steps.iter().sum::<f64>() / steps.len() as f64
        };
        let shrink = 1.0 - self.lr * self.weight_decay;
        let noise_term = self.lr * self.lr * self.dim as f64 * self.noise * self.noise;
        let predicted_norm = if self.weight_decay > 0.0 {
            ((mean_grad_term + noise_term) / (1.0 - shrink * shrink)).sqrt()
        } else {
            f64::NAN
        };
        let ratio_per_step = if last > from {
            (self.norms[last] / self.norms[from]).powf(1.0 / (last - from) as f64)
        } else {
            f64::NAN
        };
        let half = window.len() / 2;
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        let drift = if half >= 1 {
            mean(&window[window.len() - half..]) / mean(&window[..half]) - 1.0
        } else {
            f64::NAN
        };
        Some(Band {
            drift,
            from_step: from,
            to_step: last,
            norm_min,
            norm_max,
            effective_lr_min,
            effective_lr_max,
            rms_norm,
            predicted_norm,
            ratio_per_step,
        })
    }
}

fn min_max(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        })
}

/// Mixed into the seed so that the noise stream differs from the data's.
const NOISE_SEED: u64 = 0x6e6f_6973_6500_0001;

/// Why x (the next iterate) is not acceptable, if it is not.
fn check_iterate(
    obj: &Objective,
    x: &[f64],
    norm: f64,
    loss: f64,
    start: &[f64],
    start_norm: f64,
    eta: f64,
) -> Option<RunawayReason> {
    if x.iter().any(|v| !v.is_finite()) || !norm.is_finite() || !loss.is_finite() {
        return Some(RunawayReason::NonFinite);
    }
    if norm == 0.0 || !(eta / (norm * norm)).is_finite() {
        return Some(RunawayReason::StepInfinite);
    }
    if obj.function() == Function::Ratio && (x[0] == 0.0 || x[0].signum() != start[0].signum()) {
        return Some(RunawayReason::CrossedAxis);
    }
    if norm > NORM_GROWTH_LIMIT * start_norm {
        return Some(RunawayReason::NormLimit);
    }
    if loss.abs() > LOSS_LIMIT {
        return Some(RunawayReason::LossLimit);
    }
    None
}

/// Validates `p` and runs x_{k+1} = (1 − ηλ_wd)x_k − η∇f(x_k) for k = 0 … steps − 1, stopping
/// early (with [`Run::runaway`] set) as soon as an iterate is not finite or runs away.
pub fn run(p: &Params) -> Result<Run, ScaleError> {
    p.validate()?;
    let obj = Objective::from_params(p)?;
    Ok(run_objective(&obj, p))
}

/// [`run`] on an objective built beforehand; `p` must have passed [`Params::validate`] and
/// match `obj` in dimension (otherwise the run stops at step 0 as non-finite).
pub fn run_objective(obj: &Objective, p: &Params) -> Run {
    let dim = obj.dim();
    let eta = p.lr;
    let start = p.start_point();
    let mut run = Run::at_start(obj, p, &start);
    let (start_norm, start_loss) = (run.norms[0], run.loss[0]);
    if start.len() != dim {
        run.runaway = Some(Runaway {
            step: 0,
            reason: RunawayReason::NonFinite,
        });
        return run;
    }
    if let Some(reason) =
        check_iterate(obj, &start, start_norm, start_loss, &start, start_norm, eta)
    {
        run.runaway = Some(Runaway { step: 0, reason });
        return run;
    }
    descend(obj, p, &start, &mut run);
    run
}

/// η/(1 − ηλ_wd): the step felt on the sphere, x_{k+1} = (1 − ηλ)(x_k − (η/(1 − ηλ))∇f(x_k)).
fn sphere_step(p: &Params) -> f64 {
    p.lr / (1.0 - p.lr * p.weight_decay)
}

impl Run {
    /// A run holding x_0 only, with the checks made at x_0 (gradient scaling, η sweep).
    fn at_start(obj: &Objective, p: &Params, start: &[f64]) -> Run {
        let dim = obj.dim();
        let step = sphere_step(p);
        let capacity = p.steps.min(MAX_STEPS) + 1;
        let mut run = Run {
            dim,
            lr: p.lr,
            weight_decay: p.weight_decay,
            noise: p.noise,
            points: Vec::with_capacity(capacity * dim),
            norms: Vec::with_capacity(capacity),
            effective_lr: Vec::with_capacity(capacity),
            loss: Vec::with_capacity(capacity),
            norm_sq_increment: Vec::with_capacity(capacity),
            grad_norm_sq_times_lr_sq: Vec::with_capacity(capacity),
            first_order_gap: Vec::with_capacity(capacity),
            grad_scaling: grad_scaling(obj, start, p.lambda),
            eta_sweep: eta_sweep(obj, start),
            eta_sweep_fit: None,
            runaway: None,
        };
        run.eta_sweep_fit = log_log_fit(&run.eta_sweep);
        let start_norm = robust_norm(start);
        run.points.extend_from_slice(start);
        run.norms.push(start_norm);
        run.effective_lr.push(step / (start_norm * start_norm));
        run.loss.push(obj.value(start));
        run
    }
}

/// The steps x_{k+1} = (1 − ηλ_wd)x_k − η(∇f(x_k) + ξ_k) from `start`, each recorded in `run`,
/// until `p.steps` are taken or an iterate is refused.
fn descend(obj: &Objective, p: &Params, start: &[f64], run: &mut Run) {
    let dim = obj.dim();
    let eta = p.lr;
    let shrink = 1.0 - eta * p.weight_decay;
    let step = sphere_step(p);
    let start_norm = run.norms[0];
    let mut noise_rng = StdRng::seed_from_u64(p.seed ^ NOISE_SEED);
    let mut noise = vec![0.0; dim];
    let mut x = start.to_vec();
    let mut next = vec![0.0; dim];
    let mut grad = obj.gradient(&x);
    let mut next_grad = vec![0.0; dim];
    let mut scratch = GapScratch::new(dim);
    for k in 0..p.steps {
        if grad.iter().any(|g| !g.is_finite()) {
            run.runaway = Some(Runaway {
                step: k,
                reason: RunawayReason::NonFinite,
            });
            break;
        }
        if p.noise > 0.0 {
            for n in &mut noise {
                *n = p.noise * noise_rng.sample::<f64, _>(StandardNormal);
            }
        }
        for (((n, xi), g), e) in next.iter_mut().zip(&x).zip(&grad).zip(&noise) {
            *n = shrink * xi - eta * (g + e);
        }
        let next_norm = robust_norm(&next);
        let next_loss = obj.value_and_gradient_into(&next, &mut next_grad);
        if let Some(reason) =
            check_iterate(obj, &next, next_norm, next_loss, start, start_norm, eta)
        {
            run.runaway = Some(Runaway { step: k, reason });
            break;
        }
        // (b − a)·(b + a) summed: the difference of squared norms without cancelling ‖x‖².
        let increment: f64 = next.iter().zip(&x).map(|(n, xi)| (n - xi) * (n + xi)).sum();
        run.norm_sq_increment.push(increment);
        run.grad_norm_sq_times_lr_sq
            .push(eta * eta * dot(&grad, &grad));
        run.first_order_gap.push(first_order_gap(
            obj,
            &x,
            &next,
            step,
            (p.noise > 0.0).then_some(noise.as_slice()),
            &mut scratch,
        ));
        run.points.extend_from_slice(&next);
        run.norms.push(next_norm);
        run.effective_lr.push(step / (next_norm * next_norm));
        run.loss.push(next_loss);
        std::mem::swap(&mut x, &mut next);
        std::mem::swap(&mut grad, &mut next_grad);
    }
}
