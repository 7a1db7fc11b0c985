//! The scale-invariant objectives: y/x, the Rayleigh quotient and normalised logistic loss,
//! with exact gradients.

use std::fmt;
use std::str::FromStr;

use crate::controls::Cycle;

use faer::{Mat, Side};
use ndarray::{Array1, Array2, ArrayView1, ArrayView2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::{LOGISTIC_BLOB_CENTRE, LOGISTIC_POINTS, MAX_DIM, Params, ScaleError};

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

impl crate::controls::Cycle for Function {
    const ALL: &'static [Self] = &[Function::Ratio, Function::Rayleigh, Function::Logistic];
}

impl Function {
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
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Function {
    type Err = ScaleError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim();
        Function::ALL
            .iter()
            .copied()
            .find(|f| f.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| ScaleError::UnknownFunction(wanted.to_string()))
    }
}

pub(super) fn check_dim(function: Function, dim: usize) -> Result<(), ScaleError> {
    if function == Function::Ratio && dim != 2 {
        return Err(ScaleError::RatioNeedsTwoDims(dim));
    }
    if !(1..=MAX_DIM).contains(&dim) {
        return Err(ScaleError::Dim(dim));
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
pub(super) fn softplus(t: f64) -> f64 {
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
    pub fn new(function: Function, dim: usize, seed: u64) -> Result<Objective, ScaleError> {
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
    pub fn from_params(p: &Params) -> Result<Objective, ScaleError> {
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
