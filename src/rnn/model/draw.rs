//! The seeded draw of one run: the weights in PyTorch's layout (each recurrent block rescaled
//! to spectral radius ρ), the inputs, the loss vector v and the blocks' eigenvalues. Kept apart
//! from the forward and backward pass, which reads a draw and never changes it.

use std::borrow::Cow;
use std::fmt;

use ndarray::{Array, Array1, Array2, ArrayView2, Dimension, s};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::params::{CellKind, Init, Params};
use crate::grad::{l2_norm, l2_norm_parts};

/// Parameters (or their gradients) in PyTorch's layout: `weight_ih_l0` (G·H × I),
/// `weight_hh_l0` (G·H × H), `bias_ih_l0`, `bias_hh_l0` (G·H), G = 1 (RNN) or 4 (LSTM,
/// blocks stacked in gate order i, f, g, o).
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    pub w_ih: Array2<f64>,
    pub w_hh: Array2<f64>,
    pub b_ih: Array1<f64>,
    pub b_hh: Array1<f64>,
}

impl Weights {
    /// Every entry, in the order w_ih, w_hh, b_ih, b_hh (row-major).
    pub fn entries(&self) -> impl Iterator<Item = &f64> + Clone {
        self.w_ih
            .iter()
            .chain(self.w_hh.iter())
            .chain(self.b_ih.iter())
            .chain(self.b_hh.iter())
    }

    /// Number of scalar parameters.
    pub fn len(&self) -> usize {
        self.w_ih.len() + self.w_hh.len() + self.b_ih.len() + self.b_hh.len()
    }

    /// True when there are no parameters.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Global L2 norm over all parameters together: √(Σ over every entry of g²).
    pub fn global_norm(&self) -> f64 {
        let parts = [
            row_major(&self.w_ih),
            row_major(&self.w_hh),
            row_major(&self.b_ih),
            row_major(&self.b_hh),
        ];
        l2_norm_parts(parts.iter().map(|p| &**p))
    }

    /// The same parameters with every array in standard (row-major, contiguous) layout.
    pub fn standard_layout(&self) -> Weights {
        Weights {
            w_ih: self.w_ih.as_standard_layout().into_owned(),
            w_hh: self.w_hh.as_standard_layout().into_owned(),
            b_ih: self.b_ih.as_standard_layout().into_owned(),
            b_hh: self.b_hh.as_standard_layout().into_owned(),
        }
    }
}

/// The seeded draws of one run (see the module doc for their order).
#[derive(Debug, Clone)]
pub struct Draws {
    pub weights: Weights,
    /// x_1 … x_T as a T×I matrix (row t−1 is x_t).
    pub inputs: Array2<f64>,
    /// Unit vector v of the loss ℓ = vᵀ h_T.
    pub v: Array1<f64>,
    /// Eigenvalues (re, im) of the rescaled recurrent blocks: for the RNN the H eigenvalues
    /// of W_hh; for the LSTM the 4H eigenvalues of its four H×H blocks, H per block in gate
    /// order i, f, g, o (every block has spectral radius ρ). A block whose eigenvalue solver
    /// failed (reported in `warnings`) contributes none.
    pub eigenvalues: Vec<(f64, f64)>,
    /// Problems met while drawing (e.g. an eigenvalue solver that did not converge).
    pub warnings: Vec<String>,
}

/// Maximum that propagates NaN (f64::max would drop it).
pub(super) fn nan_max(xs: impl Iterator<Item = f64>) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for x in xs {
        if x.is_nan() {
            return f64::NAN;
        }
        m = m.max(x);
    }
    m
}

pub(super) fn gaussian_matrix(
    rng: &mut StdRng,
    rows: usize,
    cols: usize,
    scale: f64,
) -> Array2<f64> {
    Array2::from_shape_simple_fn((rows, cols), || {
        scale * rng.sample::<f64, _>(StandardNormal)
    })
}

/// Q of a QR factorisation of `a` with each column multiplied by sign(R_jj), which makes Q
/// Haar-distributed when `a` is Gaussian.
pub fn orthogonal_from(a: &Array2<f64>) -> Array2<f64> {
    let n = a.nrows();
    let m = faer::Mat::from_fn(n, n, |i, j| a[[i, j]]);
    let qr = m.qr();
    let q = qr.compute_Q();
    let r = qr.R();
    Array2::from_shape_fn((n, n), |(i, j)| {
        let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        q[(i, j)] * sign
    })
}

/// Eigenvalues (re, im) of a square matrix with faer's nonsymmetric eigensolver.
pub fn eigenvalues_of(a: ArrayView2<'_, f64>) -> Result<Vec<(f64, f64)>, EigenvalueError> {
    let n = a.nrows();
    let m = faer::Mat::from_fn(n, n, |i, j| a[[i, j]]);
    m.eigenvalues()
        .map(|ev| ev.iter().map(|z| (z.re, z.im)).collect())
        .map_err(|e| EigenvalueError(format!("{e:?}")))
}

/// Spectral radius max |λ| of a list of eigenvalues.
pub fn spectral_radius(eigenvalues: &[(f64, f64)]) -> f64 {
    nan_max(eigenvalues.iter().map(|&(re, im)| re.hypot(im))).max(0.0)
}

/// Rescales `block` in place so that its spectral radius becomes ρ; returns the rescaled
/// eigenvalues (λ·ρ/r), or an error when the solver fails (then the block is scaled by
/// ρ/‖block‖₂, the spectral norm, which bounds the radius from above).
fn rescale_to_radius(
    block: &mut Array2<f64>,
    rho: f64,
) -> Result<Vec<(f64, f64)>, EigenvalueError> {
    match eigenvalues_of(block.view()) {
        Ok(ev) => {
            let r = spectral_radius(&ev);
            // A nilpotent block (r = 0) has no radius to rescale; ρ = 0 zeroes it either way.
            let factor = if r > 0.0 && r.is_finite() {
                rho / r
            } else if rho == 0.0 {
                0.0
            } else {
                1.0
            };
            block.mapv_inplace(|w| w * factor);
            Ok(ev
                .into_iter()
                .map(|(re, im)| (re * factor, im * factor))
                .collect())
        }
        Err(e) => {
            let n = block.nrows();
            let m = faer::Mat::from_fn(n, n, |i, j| block[[i, j]]);
            let norm2 = m
                .singular_values()
                .ok()
                .and_then(|s| s.first().copied())
                .unwrap_or(0.0);
            let factor = if norm2 > 0.0 { rho / norm2 } else { 0.0 };
            block.mapv_inplace(|w| w * factor);
            Err(e)
        }
    }
}

/// Draws the weights, inputs and v for `p` in the order given in the module documentation
/// (after `Params::sanitized`, so that any request gives arrays of valid sizes).
pub fn draw(p: &Params) -> Draws {
    let p = &p.sanitized();
    let h = p.hidden;
    let mut rng = StdRng::seed_from_u64(p.seed);
    let mut blocks: Vec<Array2<f64>> = (0..4)
        .map(|_| gaussian_matrix(&mut rng, h, h, 1.0))
        .collect();
    let w_ih_all = gaussian_matrix(
        &mut rng,
        4 * h,
        p.input_size,
        1.0 / (p.input_size as f64).sqrt(),
    );
    let inputs = gaussian_matrix(&mut rng, p.steps, p.input_size, p.input_scale);
    let mut v: Array1<f64> = (0..h)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    let v_norm = l2_norm(&row_major(&v));
    if v_norm > 0.0 {
        v.mapv_inplace(|x| x / v_norm);
    } else {
        v[0] = 1.0;
    }

    const G_BLOCK: usize = 2;
    let used: Vec<usize> = match p.cell {
        CellKind::Rnn => vec![G_BLOCK],
        CellKind::Lstm => vec![0, 1, 2, 3],
    };
    let mut eigenvalues = Vec::with_capacity(h * used.len());
    let mut warnings = Vec::new();
    for &b in &used {
        if p.init == Init::Orthogonal {
            blocks[b] = orthogonal_from(&blocks[b]);
        }
        match rescale_to_radius(&mut blocks[b], p.rho) {
            Ok(ev) => eigenvalues.extend(ev),
            Err(e) => warnings.push(format!(
                "{e}; block {b} scaled to spectral norm rho instead"
            )),
        }
    }

    let g = p.cell.gate_count();
    let mut w_hh = Array2::zeros((g * h, h));
    for (k, &b) in used.iter().enumerate() {
        w_hh.slice_mut(s![k * h..(k + 1) * h, ..])
            .assign(&blocks[b]);
    }
    let w_ih = match p.cell {
        CellKind::Rnn => w_ih_all
            .slice(s![G_BLOCK * h..(G_BLOCK + 1) * h, ..])
            .to_owned(),
        CellKind::Lstm => w_ih_all,
    };
    let mut b_ih = Array1::zeros(g * h);
    if p.cell == CellKind::Lstm {
        b_ih.slice_mut(s![h..2 * h]).fill(p.forget_bias);
    }
    let b_hh = Array1::zeros(g * h);
    Draws {
        weights: Weights {
            w_ih,
            w_hh,
            b_ih,
            b_hh,
        },
        inputs,
        v,
        eigenvalues,
        warnings,
    }
}

/// The entries of `a` in row-major order, borrowed when `a` is already laid out that way.
pub(super) fn row_major<D: Dimension>(a: &Array<f64, D>) -> Cow<'_, [f64]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// faer's eigenvalue solver did not converge on a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EigenvalueError(pub String);

impl fmt::Display for EigenvalueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "eigenvalue solver failed: {}", self.0)
    }
}

impl std::error::Error for EigenvalueError {}
