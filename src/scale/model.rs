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
//! With weight decay, x_{k+1} = (1 − ηλ_wd)x_k − η∇f(x_k), the shrinking and the growth balance:
//! the norm settles into a band where the effective step stays bounded away from zero.

use std::fmt;
use std::str::FromStr;

use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

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

/// The three scale-invariant objectives.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Function {
    /// f(x, y) = y/x, the homework's example (2-D only, unbounded below).
    Ratio,
    /// f(w) = wᵀAw / wᵀw for a fixed symmetric A (the Rayleigh quotient).
    #[default]
    Rayleigh,
    /// f(w) = mean_i log(1 + exp(−y_i⟨w/‖w‖, x_i⟩)) on a fixed labelled data set.
    Logistic,
}

impl Function {
    /// Every function, in the order `next` cycles through them.
    pub const ALL: [Function; 3] = [Function::Ratio, Function::Rayleigh, Function::Logistic];

    /// The name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Function::Ratio => "ratio",
            Function::Rayleigh => "rayleigh",
            Function::Logistic => "logistic",
        }
    }

    /// The formula, for display.
    pub fn formula(self) -> &'static str {
        match self {
            Function::Ratio => "f(x, y) = y / x",
            Function::Rayleigh => "f(w) = wᵀAw / wᵀw",
            Function::Logistic => "f(w) = mean log(1 + exp(−y ⟨w/‖w‖, x⟩))",
        }
    }

    /// The next function, wrapping around.
    pub fn next(self) -> Function {
        Function::ALL[(self as usize + 1) % Function::ALL.len()]
    }

    /// The previous function, wrapping around.
    pub fn prev(self) -> Function {
        Function::ALL[(self as usize + Function::ALL.len() - 1) % Function::ALL.len()]
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Function {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Function::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| {
                format!("unknown function '{wanted}' (expected ratio, rayleigh or logistic)")
            })
    }
}

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
    /// Seed of the random matrix A (dim ≠ 2) and of the logistic data set.
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

    /// Checks every parameter; the error is one line naming the offending flag.
    pub fn validate(&self) -> Result<(), String> {
        check_dim(self.function, self.dim)?;
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!(
                "--lr must be a finite number greater than 0 (got {})",
                crate::numfmt::general(self.lr, 4)
            ));
        }
        if !(1..=MAX_STEPS).contains(&self.steps) {
            return Err(format!(
                "--steps must be between 1 and {MAX_STEPS} (got {})",
                self.steps
            ));
        }
        if !(self.lambda.is_finite() && self.lambda > 0.0) {
            return Err(format!(
                "--lambda must be a finite number greater than 0 (got {})",
                crate::numfmt::general(self.lambda, 4)
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return Err(format!(
                "--weight-decay must be a finite number ≥ 0 (got {})",
                crate::numfmt::general(self.weight_decay, 4)
            ));
        }
        let shrink = self.lr * self.weight_decay;
        if shrink >= 1.0 {
            return Err(format!(
                "--weight-decay times --lr must stay below 1 so that 1 − ηλ_wd is positive (got {shrink})"
            ));
        }
        if let Some(init) = &self.init {
            if init.len() != self.dim {
                return Err(format!(
                    "--init must have {} coordinates, one per dimension (got {})",
                    self.dim,
                    init.len()
                ));
            }
            if init.iter().any(|v| !v.is_finite()) {
                return Err("--init must contain only finite numbers".to_string());
            }
            let norm = robust_norm(init);
            if !(INIT_NORM_RANGE.0..=INIT_NORM_RANGE.1).contains(&norm) {
                return Err(format!(
                    "--init must have a norm between {:e} and {:e} (got {})",
                    INIT_NORM_RANGE.0,
                    INIT_NORM_RANGE.1,
                    crate::numfmt::general(norm, 3)
                ));
            }
            if self.function == Function::Ratio && init[0] == 0.0 {
                return Err("--init must have x ≠ 0 for the ratio function y/x".to_string());
            }
        }
        Ok(())
    }
}

fn check_dim(function: Function, dim: usize) -> Result<(), String> {
    if function == Function::Ratio && dim != 2 {
        return Err(format!(
            "--dim must be 2 for the ratio function y/x (got {dim})"
        ));
    }
    if !(1..=MAX_DIM).contains(&dim) {
        return Err(format!("--dim must be between 1 and {MAX_DIM} (got {dim})"));
    }
    Ok(())
}

/// ⟨a, b⟩.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// ‖x‖ computed as m·‖x/m‖ with m = max|x_i|, so huge or tiny vectors neither overflow nor
/// underflow; NaN if any entry is NaN.
pub fn robust_norm(x: &[f64]) -> f64 {
    let mut scale = 0.0_f64;
    for v in x {
        if v.is_nan() {
            return f64::NAN;
        }
        scale = scale.max(v.abs());
    }
    if scale == 0.0 || scale.is_infinite() {
        return scale;
    }
    scale
        * x.iter()
            .map(|v| (v / scale) * (v / scale))
            .sum::<f64>()
            .sqrt()
}

/// softplus(t) = log(1 + eᵗ) without overflow: max(t, 0) + log1p(e^{−|t|}).
fn softplus(t: f64) -> f64 {
    t.max(0.0) + (-t.abs()).exp().ln_1p()
}

/// Eigen-decomposition A = V diag(values) Vᵀ of the Rayleigh matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct SymmetricEigen {
    /// Eigenvalues in nondecreasing order.
    pub values: Vec<f64>,
    /// `vectors[j]` is the unit eigenvector of `values[j]`.
    pub vectors: Vec<Vec<f64>>,
}

#[derive(Clone, Debug)]
enum Shape {
    Ratio,
    Rayleigh {
        matrix: Array2<f64>,
    },
    Logistic {
        features: Array2<f64>,
        labels: Array1<f64>,
    },
}

/// One scale-invariant objective with its fixed data (the matrix A or the labelled points).
#[derive(Clone, Debug)]
pub struct Objective {
    function: Function,
    dim: usize,
    shape: Shape,
}

impl Objective {
    /// Builds the objective; A and the data set are drawn from `seed` (A is fixed in 2-D).
    pub fn new(function: Function, dim: usize, seed: u64) -> Result<Objective, String> {
        check_dim(function, dim)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let shape = match function {
            Function::Ratio => Shape::Ratio,
            Function::Rayleigh => Shape::Rayleigh {
                matrix: rayleigh_matrix(dim, &mut rng),
            },
            Function::Logistic => {
                let labels = Array1::from_shape_fn(LOGISTIC_POINTS, |i| {
                    if i.is_multiple_of(2) { 1.0 } else { -1.0 }
                });
                let features = Array2::from_shape_fn((LOGISTIC_POINTS, dim), |(i, j)| {
                    let centre = LOGISTIC_BLOB_CENTRE.get(j).copied().unwrap_or(0.0);
                    let noise: f64 = rng.sample(StandardNormal);
                    labels[i] * centre + noise
                });
                Shape::Logistic { features, labels }
            }
        };
        Ok(Objective {
            function,
            dim,
            shape,
        })
    }

    /// The objective described by `p` (its function, dimension and seed).
    pub fn from_params(p: &Params) -> Result<Objective, String> {
        Objective::new(p.function, p.dim, p.seed)
    }

    /// Which function this is.
    pub fn function(&self) -> Function {
        self.function
    }

    /// Dimension of the argument.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The symmetric matrix A of the Rayleigh quotient, if this is `rayleigh`.
    pub fn rayleigh_matrix(&self) -> Option<ArrayView2<'_, f64>> {
        match &self.shape {
            Shape::Rayleigh { matrix } => Some(matrix.view()),
            _ => None,
        }
    }

    /// The logistic data set (one point per row) and its ±1 labels, if this is `logistic`.
    pub fn logistic_data(&self) -> Option<(ArrayView2<'_, f64>, ArrayView1<'_, f64>)> {
        match &self.shape {
            Shape::Logistic { features, labels } => Some((features.view(), labels.view())),
            _ => None,
        }
    }

    /// Eigen-decomposition of A by faer, if this is `rayleigh`: the minimum of wᵀAw/wᵀw is the
    /// smallest eigenvalue, reached along its eigenvector.
    pub fn rayleigh_eigen(&self) -> Option<SymmetricEigen> {
        let matrix = self.rayleigh_matrix()?;
        let n = self.dim;
        let a = Mat::<f64>::from_fn(n, n, |i, j| matrix[(i, j)]);
        let evd = a.self_adjoint_eigen(Side::Lower).ok()?;
        let s = evd.S().column_vector();
        let u = evd.U();
        Some(SymmetricEigen {
            values: (0..n).map(|j| s[j]).collect(),
            vectors: (0..n)
                .map(|j| (0..n).map(|i| u[(i, j)]).collect())
                .collect(),
        })
    }

    /// f(x); NaN when x has the wrong length or is zero.
    pub fn value(&self, x: &[f64]) -> f64 {
        if x.len() != self.dim {
            return f64::NAN;
        }
        match &self.shape {
            Shape::Ratio => x[1] / x[0],
            Shape::Rayleigh { matrix } => {
                // f = uᵀAu with u = x/‖x‖, so that any scale of x is safe.
                let inv_norm = 1.0 / robust_norm(x);
                let xv = ArrayView1::from(x);
                let quad: f64 = matrix
                    .rows()
                    .into_iter()
                    .zip(x)
                    .map(|(row, xi)| (xi * inv_norm) * (row.dot(&xv) * inv_norm))
                    .sum();
                quad
            }
            Shape::Logistic { features, labels } => {
                let inv_norm = 1.0 / robust_norm(x);
                let xv = ArrayView1::from(x);
                let total: f64 = features
                    .rows()
                    .into_iter()
                    .zip(labels)
                    .map(|(row, y)| softplus(-y * row.dot(&xv) * inv_norm))
                    .sum();
                total / labels.len() as f64
            }
        }
    }

    /// ∇f(x) as a new vector (see [`Objective::gradient_into`]).
    pub fn gradient(&self, x: &[f64]) -> Vec<f64> {
        let mut out = vec![0.0; x.len()];
        self.gradient_into(x, &mut out);
        out
    }

    /// Writes the exact gradient ∇f(x) into `out`; fills it with NaN when a length is wrong.
    pub fn gradient_into(&self, x: &[f64], out: &mut [f64]) {
        self.value_and_gradient_into(x, out);
    }

    /// Returns f(x) and writes the exact gradient ∇f(x) into `out`, in one pass over the data;
    /// NaN (and a NaN gradient) when a length is wrong.
    ///
    /// - ratio: ∇(y/x) = (−y/x², 1/x);
    /// - rayleigh: ∇ = 2(Au − f u)/‖x‖ with u = x/‖x‖;
    /// - logistic: ∇ = (I − uuᵀ) g/‖x‖ with g = −mean_i σ(−y_i⟨u, x_i⟩) y_i x_i.
    pub fn value_and_gradient_into(&self, x: &[f64], out: &mut [f64]) -> f64 {
        if x.len() != self.dim || out.len() != self.dim {
            out.fill(f64::NAN);
            return f64::NAN;
        }
        match &self.shape {
            Shape::Ratio => {
                let ratio = x[1] / x[0];
                out[0] = -ratio / x[0];
                out[1] = 1.0 / x[0];
                ratio
            }
            Shape::Rayleigh { matrix } => {
                let inv_norm = 1.0 / robust_norm(x);
                let xv = ArrayView1::from(x);
                for (o, row) in out.iter_mut().zip(matrix.rows()) {
                    *o = row.dot(&xv) * inv_norm; // (Au)_i
                }
                let quotient: f64 = out.iter().zip(x).map(|(au, xi)| au * xi * inv_norm).sum();
                for (o, xi) in out.iter_mut().zip(x) {
                    *o = 2.0 * (*o - quotient * xi * inv_norm) * inv_norm;
                }
                quotient
            }
            Shape::Logistic { features, labels } => {
                let inv_norm = 1.0 / robust_norm(x);
                let xv = ArrayView1::from(x);
                let weight = 1.0 / labels.len() as f64;
                let mut total = 0.0;
                out.fill(0.0);
                for (row, y) in features.rows().into_iter().zip(labels) {
                    let margin = y * row.dot(&xv) * inv_norm;
                    // One exponential serves both softplus(−m) and σ(−m), stably on either side.
                    let e = (-margin.abs()).exp();
                    total += (-margin).max(0.0) + e.ln_1p();
                    let sigma = if margin >= 0.0 {
                        e / (1.0 + e)
                    } else {
                        1.0 / (1.0 + e)
                    };
                    let coeff = -sigma * y * weight;
                    for (o, xij) in out.iter_mut().zip(row) {
                        *o += coeff * xij;
                    }
                }
                // Project out the radial part, then apply the chain rule of u = x/‖x‖.
                let radial: f64 = out.iter().zip(x).map(|(g, xi)| g * xi * inv_norm).sum();
                for (o, xi) in out.iter_mut().zip(x) {
                    *o = (*o - radial * xi * inv_norm) * inv_norm;
                }
                total * weight
            }
        }
    }
}

/// The 2-D matrix [[2, 1], [1, 2]] (eigenvalues 1 and 3, eigenvectors along the diagonals);
/// in other dimensions (G + Gᵀ)/(2√dim) with G standard normal, so its spectrum stays O(1).
fn rayleigh_matrix(dim: usize, rng: &mut StdRng) -> Array2<f64> {
    if dim == 2 {
        return ndarray::array![[2.0, 1.0], [1.0, 2.0]];
    }
    let g = Array2::from_shape_simple_fn((dim, dim), || rng.sample::<f64, _>(StandardNormal));
    let scale = 1.0 / (2.0 * (dim as f64).sqrt());
    Array2::from_shape_fn((dim, dim), |(i, j)| (g[(i, j)] + g[(j, i)]) * scale)
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
    /// The norm is zero or so small that the effective step η/‖x‖² is infinite.
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
                f.write_str("the norm is so small that the effective step η/‖x‖² is infinite")
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

/// One point of the η sweep: the first-order gap of a single step of size η.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EtaGap {
    /// Step size η.
    pub eta: f64,
    /// ‖u_1 − (u_0 − (η/‖x_0‖²)(I − u_0u_0ᵀ)∇f(u_0))‖.
    pub gap: f64,
}

/// Summary of the last [`BAND_FRACTION`] of a run: where the norm and the effective step hover.
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
    /// min η/‖x_k‖² over the window.
    pub effective_lr_min: f64,
    /// max η/‖x_k‖² over the window.
    pub effective_lr_max: f64,
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
    /// The iterates x_0 … x_K, flattened (iterate k is `points[k*dim..(k+1)*dim]`).
    pub points: Vec<f64>,
    /// ‖x_k‖.
    pub norms: Vec<f64>,
    /// The effective step on the sphere, η/‖x_k‖².
    pub effective_lr: Vec<f64>,
    /// f(x_k).
    pub loss: Vec<f64>,
    /// ‖x_{k+1}‖² − ‖x_k‖².
    pub norm_sq_increment: Vec<f64>,
    /// η²‖∇f(x_k)‖² (equal to the increment without weight decay).
    pub grad_norm_sq_times_lr_sq: Vec<f64>,
    /// ‖u_{k+1} − (u_k − (η/‖x_k‖²)(I − u_k u_kᵀ)∇f(u_k))‖ with u = x/‖x‖.
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

    /// Where ‖x_k‖ and η/‖x_k‖² lie over the last [`BAND_FRACTION`] of the iterates.
    pub fn band(&self) -> Option<Band> {
        let last = self.norms.len().checked_sub(1)?;
        let from = last - ((last as f64 * BAND_FRACTION).floor() as usize);
        let (norm_min, norm_max) = min_max(&self.norms[from..]);
        let (effective_lr_min, effective_lr_max) = min_max(&self.effective_lr[from..]);
        Some(Band {
            from_step: from,
            to_step: last,
            norm_min,
            norm_max,
            effective_lr_min,
            effective_lr_max,
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

/// Scratch vectors for [`first_order_gap`], allocated once per run.
struct GapScratch {
    unit: Vec<f64>,
    grad_at_unit: Vec<f64>,
}

impl GapScratch {
    fn new(dim: usize) -> GapScratch {
        GapScratch {
            unit: vec![0.0; dim],
            grad_at_unit: vec![0.0; dim],
        }
    }
}

/// ‖u_next − (u − (η/‖x‖²)(I − uuᵀ)∇f(u))‖ for u = x/‖x‖, u_next = next/‖next‖: how far one
/// step of size η is from its first-order model on the sphere (∇f is evaluated at the unit u).
fn first_order_gap(
    obj: &Objective,
    x: &[f64],
    next: &[f64],
    eta: f64,
    scratch: &mut GapScratch,
) -> f64 {
    let norm = robust_norm(x);
    let next_norm = robust_norm(next);
    for (u, xi) in scratch.unit.iter_mut().zip(x) {
        *u = xi / norm;
    }
    obj.gradient_into(&scratch.unit, &mut scratch.grad_at_unit);
    let radial = dot(&scratch.unit, &scratch.grad_at_unit);
    let step = eta / (norm * norm);
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
                gap: first_order_gap(obj, x0, &next, eta, &mut scratch),
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
pub fn run(p: &Params) -> Result<Run, String> {
    p.validate()?;
    let obj = Objective::from_params(p)?;
    Ok(run_objective(&obj, p))
}

/// [`run`] on an objective built beforehand; `p` must have passed [`Params::validate`] and
/// match `obj` in dimension (otherwise the run stops at step 0 as non-finite).
pub fn run_objective(obj: &Objective, p: &Params) -> Run {
    let dim = obj.dim();
    let eta = p.lr;
    let shrink = 1.0 - eta * p.weight_decay;
    let start = p.start_point();
    let capacity = p.steps.min(MAX_STEPS) + 1;
    let mut run = Run {
        dim,
        points: Vec::with_capacity(capacity * dim),
        norms: Vec::with_capacity(capacity),
        effective_lr: Vec::with_capacity(capacity),
        loss: Vec::with_capacity(capacity),
        norm_sq_increment: Vec::with_capacity(capacity),
        grad_norm_sq_times_lr_sq: Vec::with_capacity(capacity),
        first_order_gap: Vec::with_capacity(capacity),
        grad_scaling: grad_scaling(obj, &start, p.lambda),
        eta_sweep: eta_sweep(obj, &start),
        eta_sweep_fit: None,
        runaway: None,
    };
    run.eta_sweep_fit = log_log_fit(&run.eta_sweep);

    let start_norm = robust_norm(&start);
    let start_loss = obj.value(&start);
    run.points.extend_from_slice(&start);
    run.norms.push(start_norm);
    run.effective_lr.push(eta / (start_norm * start_norm));
    run.loss.push(start_loss);
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

    let mut x = start.clone();
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
        for ((n, xi), g) in next.iter_mut().zip(&x).zip(&grad) {
            *n = shrink * xi - eta * g;
        }
        let next_norm = robust_norm(&next);
        let next_loss = obj.value_and_gradient_into(&next, &mut next_grad);
        if let Some(reason) =
            check_iterate(obj, &next, next_norm, next_loss, &start, start_norm, eta)
        {
            run.runaway = Some(Runaway { step: k, reason });
            break;
        }
        // (b − a)·(b + a) summed: the difference of squared norms without cancelling ‖x‖².
        let increment: f64 = next.iter().zip(&x).map(|(n, xi)| (n - xi) * (n + xi)).sum();
        run.norm_sq_increment.push(increment);
        run.grad_norm_sq_times_lr_sq
            .push(eta * eta * dot(&grad, &grad));
        run.first_order_gap
            .push(first_order_gap(obj, &x, &next, eta, &mut scratch));
        run.points.extend_from_slice(&next);
        run.norms.push(next_norm);
        run.effective_lr.push(eta / (next_norm * next_norm));
        run.loss.push(next_loss);
        std::mem::swap(&mut x, &mut next);
        std::mem::swap(&mut grad, &mut next_grad);
    }
    run
}

/// Number of directions at which f is sampled around the unit circle.
pub const PROFILE_SAMPLES: usize = 720;
/// Number of level bands the circle is split into (equal shares of the samples).
pub const PROFILE_BANDS: u8 = 4;

/// f on the unit circle of the plane. Because f(λx) = f(x), f anywhere off the origin equals f
/// at its direction, so this one table gives every level set of the plane: wedges from 0.
#[derive(Clone, Debug, PartialEq)]
pub struct AngularProfile {
    /// f(cos φ_j, sin φ_j) at φ_j = −π + 2π(j + ½)/n, n = [`PROFILE_SAMPLES`].
    pub values: Vec<f64>,
    /// Level band of each sample: 0 for the lowest quarter of the values, up to
    /// [`PROFILE_BANDS`] − 1 for the highest.
    pub bands: Vec<u8>,
    /// Directions (angles in radians) where f is smallest on the circle; empty when f is
    /// unbounded below (ratio: y/x → −∞ as x → 0⁺ with y < 0).
    pub minima: Vec<f64>,
}

impl AngularProfile {
    /// The profile of a 2-D objective; `None` in other dimensions.
    pub fn new(obj: &Objective) -> Option<AngularProfile> {
        if obj.dim() != 2 {
            return None;
        }
        let n = PROFILE_SAMPLES;
        let values: Vec<f64> = (0..n)
            .map(|j| {
                let phi = sample_angle(j, n);
                obj.value(&[phi.cos(), phi.sin()])
            })
            .collect();
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let edges: Vec<f64> = (1..PROFILE_BANDS)
            .filter_map(|b| sorted.get(sorted.len() * b as usize / PROFILE_BANDS as usize))
            .copied()
            .collect();
        let bands = values
            .iter()
            .map(|v| {
                if v.is_finite() {
                    edges.iter().filter(|e| **e <= *v).count() as u8
                } else {
                    PROFILE_BANDS - 1
                }
            })
            .collect();
        let minima = match obj.function() {
            Function::Ratio => Vec::new(),
            // The Rayleigh quotient is even: both ±v_min are minima.
            Function::Rayleigh => obj
                .rayleigh_eigen()
                .map(|e| {
                    let v = &e.vectors[0];
                    let phi = v[1].atan2(v[0]);
                    vec![phi, wrap_angle(phi + std::f64::consts::PI)]
                })
                .unwrap_or_default(),
            Function::Logistic => {
                let lowest = sorted.first().copied().unwrap_or(f64::NAN);
                values
                    .iter()
                    .position(|v| *v == lowest)
                    .map(|j| vec![sample_angle(j, n)])
                    .unwrap_or_default()
            }
        };
        Some(AngularProfile {
            values,
            bands,
            minima,
        })
    }

    /// The angle of sample j.
    pub fn angle(&self, j: usize) -> f64 {
        sample_angle(j, self.values.len())
    }

    /// The sample whose direction is nearest to `angle` (any real angle; NaN gives sample 0).
    pub fn index_of(&self, angle: f64) -> usize {
        let n = self.values.len();
        if n == 0 || !angle.is_finite() {
            return 0;
        }
        let turns = (angle + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU)
            / std::f64::consts::TAU;
        ((turns * n as f64).floor() as usize).min(n - 1)
    }

    /// The level band of the direction `angle`.
    pub fn band_at(&self, angle: f64) -> u8 {
        self.bands.get(self.index_of(angle)).copied().unwrap_or(0)
    }
}

fn sample_angle(j: usize, n: usize) -> f64 {
    -std::f64::consts::PI + std::f64::consts::TAU * (j as f64 + 0.5) / n.max(1) as f64
}

/// The same angle in (−π, π].
fn wrap_angle(phi: f64) -> f64 {
    let w = (phi + std::f64::consts::PI).rem_euclid(std::f64::consts::TAU) - std::f64::consts::PI;
    if w == -std::f64::consts::PI {
        std::f64::consts::PI
    } else {
        w
    }
}

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
pub fn explore(p: &Params) -> Result<Exploration, String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::Rng;

    /// A point with standard normal coordinates; for `ratio`, |x| ≥ 0.3 keeps y/x smooth nearby.
    fn random_point(function: Function, dim: usize, rng: &mut StdRng) -> Vec<f64> {
        let mut x: Vec<f64> = (0..dim).map(|_| rng.sample(StandardNormal)).collect();
        if function == Function::Ratio && x[0].abs() < 0.3 {
            x[0] = 0.3f64.copysign(x[0]) + x[0];
        }
        x
    }

    fn params(function: Function, dim: usize) -> Params {
        Params {
            function,
            dim,
            ..Params::default()
        }
    }

    fn objectives() -> Vec<Objective> {
        let mut all = Vec::new();
        for function in Function::ALL {
            for dim in [2, 5] {
                if let Ok(obj) = Objective::new(function, dim, 7) {
                    all.push(obj);
                }
            }
        }
        all
    }

    #[test]
    fn gradients_match_central_differences() {
        let mut rng = StdRng::seed_from_u64(11);
        for obj in objectives() {
            for _ in 0..20 {
                let x = random_point(obj.function(), obj.dim(), &mut rng);
                let grad = obj.gradient(&x);
                let mut both = vec![0.0; x.len()];
                let f = obj.value_and_gradient_into(&x, &mut both);
                assert!((f - obj.value(&x)).abs() <= 1e-14 * f.abs().max(1.0));
                assert_eq!(both, grad);
                let h = 1e-6 * robust_norm(&x);
                let scale = grad.iter().fold(1.0_f64, |m, g| m.max(g.abs()));
                for i in 0..x.len() {
                    let mut plus = x.clone();
                    let mut minus = x.clone();
                    plus[i] += h;
                    minus[i] -= h;
                    let fd = (obj.value(&plus) - obj.value(&minus)) / (2.0 * h);
                    assert!(
                        (fd - grad[i]).abs() <= 1e-6 * scale,
                        "{} dim {} at {x:?}: coordinate {i}: finite difference {fd}, gradient {}",
                        obj.function(),
                        obj.dim(),
                        grad[i]
                    );
                }
            }
        }
    }

    #[test]
    fn values_are_scale_invariant_even_at_extreme_scales() {
        let mut rng = StdRng::seed_from_u64(3);
        for obj in objectives() {
            let x = random_point(obj.function(), obj.dim(), &mut rng);
            let f = obj.value(&x);
            for lambda in [1e-150, 1e-3, 0.5, 7.0, 1e150] {
                let scaled: Vec<f64> = x.iter().map(|v| lambda * v).collect();
                let fs = obj.value(&scaled);
                assert!(
                    (fs - f).abs() <= 1e-12 * f.abs().max(1.0),
                    "{}: f(λx) = {fs}, f(x) = {f} at λ = {lambda}",
                    obj.function()
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn gradient_scales_as_one_over_lambda_and_is_orthogonal(
            which in 0usize..3,
            dim in 2usize..=6,
            seed in 0u64..1000,
            log_lambda in -3.0f64..3.0,
        ) {
            let function = Function::ALL[which];
            let dim = if function == Function::Ratio { 2 } else { dim };
            let obj = Objective::new(function, dim, seed).unwrap();
            let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
            let x = random_point(function, dim, &mut rng);
            let lambda = 10f64.powf(log_lambda);
            let gs = grad_scaling(&obj, &x, lambda);
            let grad_scale = gs.grad_over_lambda.iter().fold(0.0_f64, |m, g| m.max(g.abs()));
            prop_assert!(gs.max_abs_diff <= 1e-12 * grad_scale.max(1e-300),
                "max diff {} against gradient size {}", gs.max_abs_diff, grad_scale);
            let grad_norm = robust_norm(&obj.gradient(&x));
            prop_assert!(gs.inner_product_x_grad.abs() <= 1e-13 * robust_norm(&x) * grad_norm.max(1e-300),
                "⟨x, ∇f⟩ = {} with ‖x‖‖∇f‖ = {}", gs.inner_product_x_grad, robust_norm(&x) * grad_norm);
        }
    }

    #[test]
    fn norm_growth_without_decay_equals_squared_step() {
        for function in Function::ALL {
            for dim in [2, 5] {
                let p = Params {
                    steps: 400,
                    ..params(function, dim)
                };
                if p.validate().is_err() {
                    continue;
                }
                let run = run(&p).unwrap();
                assert!(
                    run.steps_taken() > 5,
                    "{function}: only {} steps",
                    run.steps_taken()
                );
                for k in 0..run.steps_taken() {
                    let (got, want) = (run.norm_sq_increment[k], run.grad_norm_sq_times_lr_sq[k]);
                    // Relative 1e-10, plus the rounding of the iterate itself (a few ulps of ‖x‖²).
                    let tol = 1e-10 * want + 1e-15 * run.norms[k + 1].powi(2);
                    assert!(
                        (got - want).abs() <= tol,
                        "{function} dim {dim} step {k}: increment {got}, η²‖∇f‖² {want}"
                    );
                    assert!(got >= -tol, "the norm shrank at step {k}");
                }
            }
        }
    }

    #[test]
    fn norm_with_decay_follows_shrink_plus_squared_step() {
        let p = Params {
            weight_decay: 0.5,
            steps: 300,
            ..params(Function::Logistic, 5)
        };
        let run = run(&p).unwrap();
        let shrink = 1.0 - p.lr * p.weight_decay;
        for k in 0..run.steps_taken() {
            let want = shrink * shrink * run.norms[k].powi(2) + run.grad_norm_sq_times_lr_sq[k];
            let got = run.norms[k + 1].powi(2);
            assert!(
                (got - want).abs() <= 1e-12 * want,
                "step {k}: {got} against {want}"
            );
        }
    }

    #[test]
    fn eta_sweep_slope_is_two_for_every_function() {
        for function in Function::ALL {
            for dim in [2, 5] {
                let p = params(function, dim);
                if p.validate().is_err() {
                    continue;
                }
                let run = run(&p).unwrap();
                let fit = run.eta_sweep_fit.expect("a fit");
                let slope = fit.slope;
                assert!(
                    (slope - 2.0).abs() < 0.2,
                    "{function} dim {dim}: slope {slope}"
                );
                // The fitted line passes close to every sweep point (within a factor 2).
                for e in &run.eta_sweep {
                    let ratio = fit.gap_at(e.eta) / e.gap;
                    assert!(
                        (0.5..2.0).contains(&ratio),
                        "{function}: fit/gap {ratio} at η {}",
                        e.eta
                    );
                }
            }
        }
    }

    #[test]
    fn first_order_gap_scales_like_eta_squared() {
        let mut rng = StdRng::seed_from_u64(5);
        for obj in objectives() {
            let x = random_point(obj.function(), obj.dim(), &mut rng);
            let sweep = eta_sweep(&obj, &x);
            assert_eq!(sweep.len(), ETA_SWEEP_POINTS);
            // gap/η² tends to the second-order coefficient as η → 0.
            let coeff = sweep[0].gap / sweep[0].eta.powi(2);
            assert!(coeff > 0.0, "{}: zero gap", obj.function());
            for e in &sweep[..8] {
                let ratio = e.gap / e.eta.powi(2) / coeff;
                assert!(
                    (0.8..1.25).contains(&ratio),
                    "{} at η = {}: gap/η² is {ratio} times its small-η value",
                    obj.function(),
                    e.eta
                );
            }
        }
    }

    #[test]
    fn decay_settles_into_a_band_while_plain_descent_grows() {
        for function in [Function::Rayleigh, Function::Logistic] {
            let p = Params {
                weight_decay: 0.5,
                steps: 2000,
                ..params(function, 2)
            };
            let cmp = explore(&p).unwrap();
            let plain = &cmp.without_decay;
            assert!(plain.runaway.is_none());
            assert!(
                plain.norms.windows(2).all(|w| w[1] >= w[0] * (1.0 - 1e-15)),
                "{function}: the norm without decay must never shrink (beyond rounding)"
            );
            assert!(plain.norms[plain.norms.len() - 1] > plain.norms[0]);
            let start_norm = plain.norms[0];
            let start_step = plain.effective_lr[0];
            let decayed = &cmp.with_decay;
            assert!(decayed.runaway.is_none());
            let band = decayed.band().unwrap();
            assert_eq!(band.to_step, 2000);
            assert_eq!(band.from_step, 1500);
            assert!(band.norm_max < start_norm, "{function}: {band:?}");
            assert!(band.norm_min > 0.02 * start_norm, "{function}: {band:?}");
            assert!(band.effective_lr_min > start_step, "{function}: {band:?}");
            // Hovering, not converging: the norm both rises and falls inside the window.
            let window = &decayed.norms[band.from_step..];
            assert!(
                window.windows(2).any(|w| w[1] > w[0]),
                "{function}: never rises"
            );
            assert!(
                window.windows(2).any(|w| w[1] < w[0]),
                "{function}: never falls"
            );
            let plain_band = plain.band().unwrap();
            assert!(plain_band.effective_lr_max < band.effective_lr_min);
        }
    }

    #[test]
    fn ratio_descent_runs_away_across_the_axis() {
        let p = Params {
            steps: 1000,
            ..params(Function::Ratio, 2)
        };
        let run = run(&p).unwrap();
        let runaway = run.runaway.expect("y/x is unbounded below");
        assert_eq!(runaway.reason, RunawayReason::CrossedAxis);
        assert_eq!(run.steps_taken(), runaway.step);
        assert_eq!(run.norms.len(), runaway.step + 1);
        assert_eq!(run.points.len(), 2 * (runaway.step + 1));
        // Up to the runaway the loss falls towards −∞ and x stays positive.
        assert!(run.loss.windows(2).all(|w| w[1] < w[0]));
        assert!(run.iterates().all(|x| x[0] > 0.0));
        // The next step, recomputed here, does cross x = 0.
        let obj = Objective::from_params(&p).unwrap();
        let last = run.point(runaway.step).unwrap();
        let grad = obj.gradient(last);
        assert!(last[0] - p.lr * grad[0] <= 0.0);
    }

    #[test]
    fn ratio_with_a_tiny_x_stops_before_the_first_step() {
        let p = Params {
            init: Some(vec![1e-20, 1.0]),
            ..params(Function::Ratio, 2)
        };
        let run = run(&p).unwrap();
        assert_eq!(
            run.runaway,
            Some(Runaway {
                step: 0,
                reason: RunawayReason::LossLimit
            })
        );
        assert_eq!(run.steps_taken(), 0);
    }

    #[test]
    fn infinite_effective_step_stops_the_run_without_nan() {
        // η/‖x_0‖² = 1e300/1e-200 overflows, and so would the step η∇f(x_0) ~ 1e300·1e100.
        let p = Params {
            lr: 1e300,
            init: Some(vec![1e-100, 3e-101]),
            ..params(Function::Rayleigh, 2)
        };
        let run = run(&p).unwrap();
        assert_eq!(
            run.runaway,
            Some(Runaway {
                step: 0,
                reason: RunawayReason::StepInfinite
            })
        );
        assert_eq!(run.steps_taken(), 0);
        assert!(run.points.iter().all(|v| v.is_finite()));
        assert!(run.norms.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn mismatched_objective_stops_as_non_finite() {
        let obj = Objective::new(Function::Rayleigh, 3, 0).unwrap();
        let run = run_objective(&obj, &Params::default());
        assert_eq!(
            run.runaway.map(|r| r.reason),
            Some(RunawayReason::NonFinite)
        );
        assert_eq!(run.steps_taken(), 0);
    }

    #[test]
    fn large_step_runs_away_by_norm() {
        let p = Params {
            lr: 1e12,
            ..params(Function::Logistic, 3)
        };
        let run = run(&p).unwrap();
        assert_eq!(
            run.runaway.map(|r| r.reason),
            Some(RunawayReason::NormLimit)
        );
    }

    #[test]
    fn rayleigh_descent_finds_the_smallest_eigenvector() {
        for dim in [2, 5] {
            let p = Params {
                lr: 0.05,
                steps: 3000,
                ..params(Function::Rayleigh, dim)
            };
            let obj = Objective::from_params(&p).unwrap();
            let eig = obj.rayleigh_eigen().unwrap();
            let run = run_objective(&obj, &p);
            let last = run.point(run.steps_taken()).unwrap();
            let alignment = dot(last, &eig.vectors[0]).abs() / robust_norm(last);
            assert!(
                alignment > 1.0 - 1e-8,
                "dim {dim}: |⟨u, v_min⟩| = {alignment}"
            );
            let final_loss = *run.loss.last().unwrap();
            assert!((final_loss - eig.values[0]).abs() < 1e-8);
        }
    }

    #[test]
    fn rayleigh_eigen_agrees_with_the_matrix() {
        let two = Objective::new(Function::Rayleigh, 2, 0).unwrap();
        let eig = two.rayleigh_eigen().unwrap();
        assert!((eig.values[0] - 1.0).abs() < 1e-12 && (eig.values[1] - 3.0).abs() < 1e-12);
        let five = Objective::new(Function::Rayleigh, 5, 9).unwrap();
        let a = five.rayleigh_matrix().unwrap();
        let eig = five.rayleigh_eigen().unwrap();
        assert!(eig.values.windows(2).all(|w| w[0] <= w[1]));
        for (value, vector) in eig.values.iter().zip(&eig.vectors) {
            let v = ArrayView1::from(vector.as_slice());
            let av = a.dot(&v);
            for (lhs, rhs) in av.iter().zip(vector) {
                assert!((lhs - value * rhs).abs() < 1e-12);
            }
            // The Rayleigh quotient of an eigenvector is its eigenvalue.
            assert!((five.value(vector) - value).abs() < 1e-12);
        }
        assert!(
            Objective::new(Function::Logistic, 2, 0)
                .unwrap()
                .rayleigh_eigen()
                .is_none()
        );
    }

    #[test]
    fn logistic_data_is_seeded_and_balanced() {
        let a = Objective::new(Function::Logistic, 3, 4).unwrap();
        let b = Objective::new(Function::Logistic, 3, 4).unwrap();
        let c = Objective::new(Function::Logistic, 3, 5).unwrap();
        let (fa, ya) = a.logistic_data().unwrap();
        assert_eq!(fa.dim(), (LOGISTIC_POINTS, 3));
        assert_eq!(ya.sum(), 0.0);
        assert_eq!(fa, b.logistic_data().unwrap().0);
        assert_ne!(fa, c.logistic_data().unwrap().0);
    }

    #[test]
    fn stable_logistic_pieces_at_extremes() {
        assert_eq!(softplus(1000.0), 1000.0);
        assert!(softplus(-1000.0) >= 0.0 && softplus(-1000.0) < 1e-300);
        assert!((softplus(0.0) - 2f64.ln()).abs() < 1e-15);
    }

    #[test]
    fn wrong_lengths_give_nan_not_panics() {
        let obj = Objective::new(Function::Rayleigh, 3, 0).unwrap();
        assert!(obj.value(&[1.0]).is_nan());
        assert!(obj.gradient(&[1.0, 2.0]).iter().all(|g| g.is_nan()));
        assert!(obj.value(&[0.0, 0.0, 0.0]).is_nan());
        assert!(robust_norm(&[f64::NAN, 1.0]).is_nan());
        assert!((robust_norm(&[3e200, 4e200]) / 5e200 - 1.0).abs() < 1e-15);
        assert!((robust_norm(&[3e-200, 4e-200]) / 5e-200 - 1.0).abs() < 1e-15);
    }

    #[test]
    fn validation_names_the_flag() {
        let ok = Params::default();
        assert_eq!(ok.validate(), Ok(()));
        let cases: Vec<(Params, &str)> = vec![
            (params(Function::Ratio, 3), "--dim"),
            (params(Function::Rayleigh, 0), "--dim"),
            (params(Function::Rayleigh, 65), "--dim"),
            (
                Params {
                    lr: 0.0,
                    ..ok.clone()
                },
                "--lr",
            ),
            (
                Params {
                    lr: f64::NAN,
                    ..ok.clone()
                },
                "--lr",
            ),
            (
                Params {
                    steps: 0,
                    ..ok.clone()
                },
                "--steps",
            ),
            (
                Params {
                    steps: 100_001,
                    ..ok.clone()
                },
                "--steps",
            ),
            (
                Params {
                    lambda: -1.0,
                    ..ok.clone()
                },
                "--lambda",
            ),
            (
                Params {
                    weight_decay: -0.1,
                    ..ok.clone()
                },
                "--weight-decay",
            ),
            (
                Params {
                    weight_decay: 10.0,
                    ..ok.clone()
                },
                "--weight-decay",
            ),
            (
                Params {
                    init: Some(vec![1.0]),
                    ..ok.clone()
                },
                "--init",
            ),
            (
                Params {
                    init: Some(vec![0.0, 0.0]),
                    ..ok.clone()
                },
                "--init",
            ),
            (
                Params {
                    init: Some(vec![1.0, f64::INFINITY]),
                    ..ok.clone()
                },
                "--init",
            ),
            (
                Params {
                    init: Some(vec![0.0, 1.0]),
                    ..params(Function::Ratio, 2)
                },
                "--init",
            ),
        ];
        for (p, flag) in cases {
            let err = p.validate().unwrap_err();
            assert!(err.starts_with(flag), "{err}");
            assert!(!err.contains('\n'));
            assert!(run(&p).is_err());
        }
        assert!(params(Function::Logistic, 64).validate().is_ok());
        assert!(params(Function::Rayleigh, 1).validate().is_ok());
    }

    #[test]
    fn one_dimensional_runs_are_stationary() {
        // On the 1-D "sphere" {−1, 1} there is nowhere to move: the gradient vanishes.
        for function in [Function::Rayleigh, Function::Logistic] {
            let run = run(&params(function, 1)).unwrap();
            assert!(run.runaway.is_none());
            assert!(run.norms.iter().all(|n| *n == run.norms[0]));
            assert_eq!(run.eta_sweep_fit, None);
        }
    }

    #[test]
    fn function_names_round_trip_and_cycle() {
        for f in Function::ALL {
            assert_eq!(f.name().parse::<Function>(), Ok(f));
            assert_eq!(f.next().prev(), f);
            assert_eq!(f.to_string(), f.name());
        }
        assert_eq!(" Logistic ".parse::<Function>(), Ok(Function::Logistic));
        assert_eq!(Function::Logistic.next(), Function::Ratio);
        let err = "quadratic".parse::<Function>().unwrap_err();
        assert!(err.contains("quadratic") && err.contains("ratio"));
    }

    #[test]
    fn run_lengths_match_the_documentation() {
        let p = Params {
            steps: 37,
            ..params(Function::Logistic, 4)
        };
        let run = run(&p).unwrap();
        assert_eq!(run.steps_taken(), 37);
        assert_eq!(run.iterates().count(), 38);
        assert_eq!(run.points.len(), 38 * 4);
        for series in [&run.norms, &run.effective_lr, &run.loss] {
            assert_eq!(series.len(), 38);
        }
        for series in [
            &run.norm_sq_increment,
            &run.grad_norm_sq_times_lr_sq,
            &run.first_order_gap,
        ] {
            assert_eq!(series.len(), 37);
        }
        assert_eq!(run.point(0).unwrap(), default_start(4).as_slice());
        assert!(run.point(38).is_none());
        for (k, x) in run.iterates().enumerate() {
            assert!((robust_norm(x) - run.norms[k]).abs() < 1e-15);
            assert!((p.lr / run.norms[k].powi(2) - run.effective_lr[k]).abs() < 1e-15);
        }
    }

    #[test]
    fn angular_profile_samples_f_on_the_circle() {
        for function in Function::ALL {
            let obj = Objective::new(function, 2, 0).unwrap();
            let profile = AngularProfile::new(&obj).unwrap();
            assert_eq!(profile.values.len(), PROFILE_SAMPLES);
            for j in [0, 17, 359, 719] {
                let phi = profile.angle(j);
                assert_eq!(profile.values[j], obj.value(&[phi.cos(), phi.sin()]));
                // Any point along the ray has the same value: the level sets are wedges.
                let far = [7.5 * phi.cos(), 7.5 * phi.sin()];
                assert!(
                    (obj.value(&far) - profile.values[j]).abs()
                        < 1e-12 * profile.values[j].abs().max(1.0)
                );
                assert_eq!(profile.index_of(phi), j);
                assert_eq!(profile.index_of(phi + std::f64::consts::TAU), j);
            }
            // Each band holds a quarter of the samples, and bands follow the values.
            for b in 0..PROFILE_BANDS {
                let count = profile.bands.iter().filter(|x| **x == b).count();
                assert_eq!(
                    count,
                    PROFILE_SAMPLES / PROFILE_BANDS as usize,
                    "{function} band {b}"
                );
            }
            for i in 0..PROFILE_SAMPLES {
                for j in 0..PROFILE_SAMPLES {
                    if profile.values[i] < profile.values[j] {
                        assert!(profile.bands[i] <= profile.bands[j]);
                    }
                }
            }
        }
    }

    #[test]
    fn angular_profile_minima() {
        let ratio = AngularProfile::new(&Objective::new(Function::Ratio, 2, 0).unwrap()).unwrap();
        assert!(ratio.minima.is_empty(), "y/x has no minimum");

        let obj = Objective::new(Function::Rayleigh, 2, 0).unwrap();
        let profile = AngularProfile::new(&obj).unwrap();
        assert_eq!(profile.minima.len(), 2);
        for phi in &profile.minima {
            // A = [[2, 1], [1, 2]]: the smallest eigenvalue 1 lies along (1, −1).
            assert!((obj.value(&[phi.cos(), phi.sin()]) - 1.0).abs() < 1e-12);
            assert!((phi.sin() + phi.cos()).abs() < 1e-12);
        }
        let lowest = profile.values.iter().copied().fold(f64::INFINITY, f64::min);
        assert!((1.0 - 1e-12..1.0 + 1e-4).contains(&lowest));

        let obj = Objective::new(Function::Logistic, 2, 0).unwrap();
        let profile = AngularProfile::new(&obj).unwrap();
        let phi = profile.minima[0];
        let at_min = obj.value(&[phi.cos(), phi.sin()]);
        assert!(profile.values.iter().all(|v| *v >= at_min));
        // The descent (small η, many steps) ends near the sampled minimum direction.
        let run = run(&Params {
            function: Function::Logistic,
            lr: 0.1,
            steps: 3000,
            ..Params::default()
        })
        .unwrap();
        let last = run.point(run.steps_taken()).unwrap();
        let end_angle = last[1].atan2(last[0]);
        assert!(
            wrap_angle(end_angle - phi).abs() < 0.01,
            "{end_angle} against {phi}"
        );
        assert!(AngularProfile::new(&Objective::new(Function::Logistic, 3, 0).unwrap()).is_none());
    }

    #[test]
    fn wrapping_angles() {
        use std::f64::consts::PI;
        assert!((wrap_angle(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert_eq!(wrap_angle(-PI), PI);
        assert!((wrap_angle(0.25) - 0.25).abs() < 1e-15);
    }
}
