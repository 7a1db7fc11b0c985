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

/// How one recurrent block is brought to spectral radius ρ: its eigenvalues at the drawn
/// scale, or, when the solver failed, its spectral norm ‖block‖₂ (which bounds the radius
/// from above).
#[derive(Debug, Clone)]
enum Spectrum {
    Eigenvalues(Vec<(f64, f64)>),
    Failed { error: EigenvalueError, norm2: f64 },
}

impl Spectrum {
    fn of(block: &Array2<f64>) -> Spectrum {
        match eigenvalues_of(block.view()) {
            Ok(ev) => Spectrum::Eigenvalues(ev),
            Err(error) => {
                let n = block.nrows();
                let m = faer::Mat::from_fn(n, n, |i, j| block[[i, j]]);
                let norm2 = m
                    .singular_values()
                    .ok()
                    .and_then(|s| s.first().copied())
                    .unwrap_or(0.0);
                Spectrum::Failed { error, norm2 }
            }
        }
    }

    /// The factor c that gives the block spectral radius ρ. Since the eigenvalues of cW are
    /// exactly c times those of W, the rescaled block's eigenvalues are λ·c with no new solve.
    fn factor(&self, rho: f64) -> f64 {
        match self {
            Spectrum::Eigenvalues(ev) => {
                let r = spectral_radius(ev);
                // A nilpotent block (r = 0) has no radius to rescale; ρ = 0 zeroes it either way.
                if r > 0.0 && r.is_finite() {
                    rho / r
                } else if rho == 0.0 {
                    0.0
                } else {
                    1.0
                }
            }
            Spectrum::Failed { norm2, .. } => {
                if *norm2 > 0.0 {
                    rho / norm2
                } else {
                    0.0
                }
            }
        }
    }
}

/// A recurrent block ready to be rescaled: orthogonalised when the init asks for it, with
/// its spectrum.
#[derive(Debug, Clone)]
struct ReadyBlock {
    matrix: Array2<f64>,
    spectrum: Spectrum,
}

/// The index of the LSTM's candidate block g, the one the RNN uses.
const G_BLOCK: usize = 2;

/// The blocks `cell` uses, in gate order (the RNN's W_hh is the LSTM's g block).
fn used_blocks(cell: CellKind) -> &'static [usize] {
    match cell {
        CellKind::Rnn => &[G_BLOCK],
        CellKind::Lstm => &[0, 1, 2, 3],
    }
}

/// What a [`BaseDraw`] depends on: the parameters that change the recurrent blocks before
/// their rescaling, or W_ih.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DrawKey {
    pub hidden: usize,
    pub input_size: usize,
    pub seed: u64,
    pub init: Init,
}

impl DrawKey {
    /// The key of `p` (after `Params::sanitized`).
    pub fn of(p: &Params) -> DrawKey {
        let p = p.sanitized();
        DrawKey {
            hidden: p.hidden,
            input_size: p.input_size,
            seed: p.seed,
            init: p.init,
        }
    }
}

/// The part of a draw that ρ, T, φ, the input scale, the forget bias, clipping and the cell
/// leave unchanged: the four H×H blocks at their drawn scale with their eigenvalues (solved
/// once per block, when a cell first needs it), W_ih, and the random stream where the inputs
/// begin. `draws` builds the weights for any such parameters from it, with the operations
/// and draws of a fresh draw, so the result is the same bit for bit.
#[derive(Debug, Clone)]
pub struct BaseDraw {
    key: DrawKey,
    /// The standard-normal blocks not yet made ready (taken when they are).
    drawn: [Option<Array2<f64>>; 4],
    ready: [Option<ReadyBlock>; 4],
    /// The 4H×I standard-normal W_ih scaled by 1/√I, in gate order i, f, g, o.
    w_ih_all: Array2<f64>,
    /// The random stream after the weights: the inputs and then v are drawn from a copy.
    after_weights: StdRng,
}

impl BaseDraw {
    /// Draws the blocks and W_ih for `p`'s key (steps 1 and 2 of the draw order); no
    /// eigenvalue is solved yet.
    pub fn new(p: &Params) -> BaseDraw {
        let key = DrawKey::of(p);
        let h = key.hidden;
        let mut rng = StdRng::seed_from_u64(key.seed);
        let drawn = std::array::from_fn(|_| Some(gaussian_matrix(&mut rng, h, h, 1.0)));
        let w_ih_all = gaussian_matrix(
            &mut rng,
            4 * h,
            key.input_size,
            1.0 / (key.input_size as f64).sqrt(),
        );
        BaseDraw {
            key,
            drawn,
            ready: std::array::from_fn(|_| None),
            w_ih_all,
            after_weights: rng,
        }
    }

    pub fn key(&self) -> DrawKey {
        self.key
    }

    /// Number of the blocks `cell` uses whose eigenvalues are still to be solved.
    pub fn pending(&self, cell: CellKind) -> usize {
        used_blocks(cell)
            .iter()
            .filter(|&&b| self.ready[b].is_none())
            .count()
    }

    /// Makes every block `cell` uses ready (orthogonalised for that init, eigenvalues
    /// solved), calling `go_on(k, n)` before the k-th of the n solves still needed
    /// (k = 1 … n); stops and returns false as soon as `go_on` returns false. Blocks made
    /// ready stay so, and a later call goes on from there.
    pub fn prepare(&mut self, cell: CellKind, mut go_on: impl FnMut(usize, usize) -> bool) -> bool {
        let total = self.pending(cell);
        let mut k = 0;
        for &b in used_blocks(cell) {
            if self.ready[b].is_some() {
                continue;
            }
            k += 1;
            if !go_on(k, total) {
                return false;
            }
            if let Some(block) = self.drawn[b].take() {
                let matrix = match self.key.init {
                    Init::Gaussian => block,
                    Init::Orthogonal => orthogonal_from(&block),
                };
                let spectrum = Spectrum::of(&matrix);
                self.ready[b] = Some(ReadyBlock { matrix, spectrum });
            }
        }
        true
    }

    /// The draws for `p` (steps 3 and 4 of the draw order, and the rescaling to ρ). A
    /// `p` of another key first replaces this base draw by its own; blocks not ready yet are
    /// made ready.
    pub fn draws(&mut self, p: &Params) -> Draws {
        let p = &p.sanitized();
        if DrawKey::of(p) != self.key {
            *self = BaseDraw::new(p);
        }
        self.prepare(p.cell, |_, _| true);
        let h = p.hidden;
        let mut rng = self.after_weights.clone();
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

        let used = used_blocks(p.cell);
        let g = p.cell.gate_count();
        let mut w_hh = Array2::zeros((g * h, h));
        let mut eigenvalues = Vec::with_capacity(h * used.len());
        let mut warnings = Vec::new();
        for (k, &b) in used.iter().enumerate() {
            let Some(ready) = &self.ready[b] else {
                continue;
            };
            let factor = ready.spectrum.factor(p.rho);
            w_hh.slice_mut(s![k * h..(k + 1) * h, ..])
                .zip_mut_with(&ready.matrix, |out, &w| *out = w * factor);
            match &ready.spectrum {
                Spectrum::Eigenvalues(ev) => {
                    eigenvalues.extend(ev.iter().map(|&(re, im)| (re * factor, im * factor)))
                }
                Spectrum::Failed { error, .. } => warnings.push(format!(
                    "{error}; block {b} scaled to spectral norm rho instead"
                )),
            }
        }
        let w_ih = match p.cell {
            CellKind::Rnn => self
                .w_ih_all
                .slice(s![G_BLOCK * h..(G_BLOCK + 1) * h, ..])
                .to_owned(),
            CellKind::Lstm => self.w_ih_all.clone(),
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
}

/// Draws the weights, inputs and v for `p` in the order given in the module documentation
/// (after `Params::sanitized`, so that any request gives arrays of valid sizes).
pub fn draw(p: &Params) -> Draws {
    BaseDraw::new(p).draws(p)
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
