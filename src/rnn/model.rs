//! Exploding and vanishing gradients in a recurrent network, computed exactly.
//!
//! The model runs one sequence through an Elman RNN or an LSTM (PyTorch's equations and
//! layouts) and back-propagates the loss ℓ = vᵀ h_T through time, reporting how the size of
//! ∂ℓ/∂h_t (and for the LSTM ∂ℓ/∂c_t) changes with the distance T − t.
//!
//! # The exact model
//!
//! * Inputs x_1 … x_T ∈ R^I are i.i.d. N(0, s²), s = `input_scale`; h_0 = 0, c_0 = 0.
//! * RNN: h_t = φ(W_hh h_{t−1} + W_ih x_t + b_ih + b_hh), φ ∈ {identity, tanh, relu, sigmoid}.
//! * LSTM (gate order i, f, g, o): z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh;
//!   i, f, o = σ(z), g = tanh(z); c_t = f ⊙ c_{t−1} + i ⊙ g; h_t = o ⊙ tanh(c_t).
//! * Loss ℓ = vᵀ h_T with a unit vector v, so ∂ℓ/∂h_T = v.
//! * Every H×H recurrent block is Gaussian or orthogonal and rescaled to spectral radius ρ;
//!   W_ih ~ N(0, 1/I); biases are zero except the LSTM's forget slice of b_ih.
//!
//! # Draw order (one `StdRng::seed_from_u64(seed)` stream, both cells)
//!
//! 1. Four H×H standard-normal blocks, row-major, in PyTorch's gate order i, f, g, o.
//! 2. A 4H×I standard-normal matrix, row-major, scaled by 1/√I (W_ih in gate order i, f, g, o).
//! 3. The inputs, T×I standard normals row-major (time-major), scaled by s.
//! 4. H standard normals for v, then normalised to unit length.
//!
//! Both cells consume exactly these draws: the RNN's W_hh is built from the g block and its
//! W_ih is the g slice (rows 2H..3H), because the LSTM's candidate g = tanh(W_hg h + W_ig x)
//! is the part of the LSTM that plays the RNN's update. So an RNN and an LSTM with the same
//! parameters share inputs, v, and the candidate weights. A script that wants to reproduce a
//! run should read the exported weights, inputs and v (see `report::json`), not the RNG.
//!
//! # Non-finite values
//!
//! Nothing here panics on overflow: values that overflow stay `inf`/`NaN` in f64. A
//! derivative taken at a NaN activation is NaN (never silently 0 or 1), so every norm that
//! depends on an overflowed forward value is itself non-finite.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, MatMut, MatRef, Par};
use ndarray::{Array, Array1, Array2, ArrayView2, Dimension, s};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use strum::{EnumCount, EnumIter, FromRepr};

use super::elementwise;

/// Which recurrent cell is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumCount, EnumIter, FromRepr)]
pub enum CellKind {
    /// Elman RNN: h_t = φ(W_hh h_{t−1} + W_ih x_t + b).
    Rnn,
    /// LSTM with PyTorch's gate order (i, f, g, o).
    Lstm,
}

/// The RNN's element-wise non-linearity φ (the LSTM ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumCount, EnumIter, FromRepr)]
pub enum Activation {
    Identity,
    Tanh,
    Relu,
    Sigmoid,
}

/// How each H×H recurrent block is drawn before it is rescaled to spectral radius ρ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumCount, EnumIter, FromRepr)]
pub enum Init {
    /// Standard-normal entries.
    Gaussian,
    /// Q of the QR factorisation of a standard-normal block, columns sign-fixed so diag(R) > 0.
    Orthogonal,
}

pub use crate::grad::{Clip, l2_norm};

/// Cycles through a field-less enum derived with strum's `FromRepr` and `EnumCount`.
macro_rules! cycling {
    ($ty:ty) => {
        impl $ty {
            /// The next variant, wrapping around.
            pub fn next(self) -> Self {
                Self::from_repr((self as usize + 1) % Self::COUNT).unwrap_or(self)
            }
            /// The previous variant, wrapping around.
            pub fn prev(self) -> Self {
                Self::from_repr((self as usize + Self::COUNT - 1) % Self::COUNT).unwrap_or(self)
            }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

cycling!(CellKind);
cycling!(Activation);
cycling!(Init);

impl CellKind {
    /// Lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            CellKind::Rnn => "rnn",
            CellKind::Lstm => "lstm",
        }
    }

    /// Number of stacked gate blocks in W_ih / W_hh (1 for the RNN, 4 for the LSTM).
    pub fn gate_count(self) -> usize {
        match self {
            CellKind::Rnn => 1,
            CellKind::Lstm => 4,
        }
    }
}

impl Activation {
    /// Lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Sigmoid => "sigmoid",
        }
    }

    /// φ(a). ReLU keeps NaN as NaN (as torch's relu does).
    #[inline]
    pub fn apply(self, a: f64) -> f64 {
        match self {
            Activation::Identity => a,
            Activation::Tanh => elementwise::tanh(a),
            Activation::Relu => {
                if a < 0.0 {
                    0.0
                } else {
                    a
                }
            }
            Activation::Sigmoid => sigmoid(a),
        }
    }

    /// out_j = φ(a_j), with the choice of φ made once for the whole slice (so it vectorises).
    pub fn apply_to(self, a: &[f64], out: &mut [f64]) {
        let pairs = out.iter_mut().zip(a);
        match self {
            Activation::Identity => pairs.for_each(|(o, &x)| *o = x),
            Activation::Tanh => pairs.for_each(|(o, &x)| *o = elementwise::tanh(x)),
            Activation::Relu => pairs.for_each(|(o, &x)| *o = Activation::Relu.apply(x)),
            Activation::Sigmoid => pairs.for_each(|(o, &x)| *o = elementwise::sigmoid(x)),
        }
    }

    /// dz_j = dh_j φ'(z_j) with φ' written through the outputs h (see `derivative_from_output`).
    pub fn backprop_to(self, h: &[f64], dh: &[f64], dz: &mut [f64]) {
        let triples = dz.iter_mut().zip(h).zip(dh);
        match self {
            Activation::Identity => triples.for_each(|((d, _), &g)| *d = g),
            Activation::Tanh => triples.for_each(|((d, &h), &g)| *d = g * (1.0 - h * h)),
            Activation::Relu => triples
                .for_each(|((d, &h), &g)| *d = g * Activation::Relu.derivative_from_output(h)),
            Activation::Sigmoid => triples.for_each(|((d, &h), &g)| *d = g * (h * (1.0 - h))),
        }
    }

    /// φ'(a) written in terms of the output h = φ(a); NaN when h is NaN.
    #[inline]
    pub fn derivative_from_output(self, h: f64) -> f64 {
        match self {
            Activation::Identity => 1.0,
            Activation::Tanh => 1.0 - h * h,
            Activation::Relu => {
                // h > 0 exactly when a > 0; the subgradient at 0 is 0, as in torch.
                if h > 0.0 {
                    1.0
                } else if h == 0.0 {
                    0.0
                } else {
                    f64::NAN
                }
            }
            Activation::Sigmoid => h * (1.0 - h),
        }
    }
}

impl Init {
    /// Lower-case name used on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Init::Gaussian => "gaussian",
            Init::Orthogonal => "orthogonal",
        }
    }
}

/// Parses a lower-case name from a fixed list, with a one-line error listing the choices.
fn parse_choice<T: Copy>(s: &str, what: &str, choices: &[(&str, T)]) -> Result<T, String> {
    let wanted = s.trim().to_ascii_lowercase();
    choices
        .iter()
        .find(|(name, _)| *name == wanted)
        .map(|&(_, v)| v)
        .ok_or_else(|| {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown {what} '{s}' (expected one of: {})",
                names.join(", ")
            )
        })
}

impl FromStr for CellKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_choice(
            s,
            "cell",
            &[("rnn", CellKind::Rnn), ("lstm", CellKind::Lstm)],
        )
    }
}

impl FromStr for Activation {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_choice(
            s,
            "activation",
            &[
                ("identity", Activation::Identity),
                ("tanh", Activation::Tanh),
                ("relu", Activation::Relu),
                ("sigmoid", Activation::Sigmoid),
            ],
        )
    }
}

impl FromStr for Init {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse_choice(
            s,
            "init",
            &[
                ("gaussian", Init::Gaussian),
                ("orthogonal", Init::Orthogonal),
            ],
        )
    }
}

/// Largest hidden size accepted (`--hidden`).
pub const MAX_HIDDEN: usize = 512;
/// Longest sequence accepted (`--steps`).
pub const MAX_STEPS: usize = 2000;
/// Largest input size accepted (`--input-size`).
pub const MAX_INPUT_SIZE: usize = 512;
/// Largest spectral radius accepted (`--rho`).
pub const MAX_RHO: f64 = 10.0;

/// Everything that determines a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub cell: CellKind,
    /// Hidden size H.
    pub hidden: usize,
    /// Sequence length T.
    pub steps: usize,
    /// Spectral radius ρ of every recurrent H×H block.
    pub rho: f64,
    /// φ of the RNN (ignored by the LSTM).
    pub activation: Activation,
    /// LSTM forget-gate bias, placed in b_ih's forget slice.
    pub forget_bias: f64,
    pub init: Init,
    /// Input size I.
    pub input_size: usize,
    /// Standard deviation s of the inputs.
    pub input_scale: f64,
    pub clip: Clip,
    pub seed: u64,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            cell: CellKind::Rnn,
            hidden: 64,
            steps: 100,
            rho: 1.0,
            activation: Activation::Tanh,
            forget_bias: 1.0,
            init: Init::Gaussian,
            input_size: 8,
            input_scale: 1.0,
            clip: Clip::None,
            seed: 0,
        }
    }
}

impl Params {
    /// Checks every field's range; the error is one line naming the command-line flag.
    pub fn validate(&self) -> Result<(), String> {
        let size = |flag: &str, v: usize, max: usize| {
            if (1..=max).contains(&v) {
                Ok(())
            } else {
                Err(format!("{flag} must be between 1 and {max} (got {v})"))
            }
        };
        size("--hidden", self.hidden, MAX_HIDDEN)?;
        size("--steps", self.steps, MAX_STEPS)?;
        size("--input-size", self.input_size, MAX_INPUT_SIZE)?;
        if !(self.rho.is_finite() && (0.0..=MAX_RHO).contains(&self.rho)) {
            return Err(format!(
                "--rho must be between 0 and {MAX_RHO} (got {})",
                crate::numfmt::general(self.rho, 4)
            ));
        }
        if !(self.input_scale.is_finite() && self.input_scale >= 0.0) {
            return Err(format!(
                "--input-scale must be finite and >= 0 (got {})",
                crate::numfmt::general(self.input_scale, 4)
            ));
        }
        if !self.forget_bias.is_finite() {
            return Err(format!(
                "--forget-bias must be finite (got {})",
                crate::numfmt::general(self.forget_bias, 4)
            ));
        }
        if let Some(c) = self.clip.threshold()
            && !(c.is_finite() && c > 0.0)
        {
            return Err(format!(
                "--clip threshold must be finite and > 0 (got {})",
                crate::numfmt::general(c, 4)
            ));
        }
        Ok(())
    }

    /// The nearest parameters that pass `validate` (sizes clamped, non-finite numbers replaced
    /// by the defaults, an invalid clip threshold turned into no clipping).
    pub fn sanitized(&self) -> Params {
        let d = Params::default();
        let finite_or = |v: f64, default: f64| if v.is_finite() { v } else { default };
        Params {
            hidden: self.hidden.clamp(1, MAX_HIDDEN),
            steps: self.steps.clamp(1, MAX_STEPS),
            input_size: self.input_size.clamp(1, MAX_INPUT_SIZE),
            rho: finite_or(self.rho, d.rho).clamp(0.0, MAX_RHO),
            input_scale: finite_or(self.input_scale, d.input_scale).max(0.0),
            forget_bias: finite_or(self.forget_bias, d.forget_bias),
            clip: match self.clip.threshold() {
                Some(c) if !(c.is_finite() && c > 0.0) => Clip::None,
                _ => self.clip,
            },
            ..*self
        }
    }
}

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
            l2_norm(&row_major(&self.w_ih)),
            l2_norm(&row_major(&self.w_hh)),
            l2_norm(&row_major(&self.b_ih)),
            l2_norm(&row_major(&self.b_hh)),
        ];
        l2_norm(&parts)
    }

    fn map(&self, f: impl Fn(f64) -> f64) -> Weights {
        Weights {
            w_ih: self.w_ih.mapv(&f),
            w_hh: self.w_hh.mapv(&f),
            b_ih: self.b_ih.mapv(&f),
            b_hh: self.b_hh.mapv(&f),
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

/// Result of one forward pass and back-propagation through time.
#[derive(Debug, Clone)]
pub struct Run {
    /// The parameters actually used (`Params::sanitized` of the request).
    pub params: Params,
    pub weights: Weights,
    /// x_1 … x_T as a T×I matrix.
    pub inputs: Array2<f64>,
    pub v: Array1<f64>,
    /// ℓ = vᵀ h_T.
    pub loss: f64,
    /// ‖∂ℓ/∂h_t‖ for t = 0 … T (index t).
    pub grad_h: Vec<f64>,
    /// LSTM only: ‖∂ℓ/∂c_t‖ for t = 0 … T (total derivative, through h_t and c_{t+1}).
    pub grad_c: Option<Vec<f64>>,
    /// LSTM only: max_j ∏_{k=t+1}^{T} f_k[j] for t = 0 … T (1 at t = T, the empty product).
    pub forget_product: Option<Vec<f64>>,
    /// ‖step t's contribution to ∂ℓ/∂W_hh‖_F = ‖∂ℓ/∂z_t‖·‖h_{t−1}‖ for t = 1 … T (index t−1).
    pub grad_w_step: Vec<f64>,
    /// ∂ℓ/∂θ for every parameter, in PyTorch's layout.
    pub grad: Weights,
    /// ‖∂ℓ/∂θ‖ over all parameters together.
    pub param_grad_norm: f64,
    /// The gradient after `params.clip`.
    pub clipped_grad: Weights,
    /// Its global L2 norm.
    pub clipped_param_grad_norm: f64,
    /// Going backward from t = T, the first (largest) t at which ‖∂ℓ/∂h_t‖, ‖∂ℓ/∂c_t‖ or the
    /// step-t weight-gradient norm is non-finite.
    pub overflow_from: Option<usize>,
    /// The first t of the forward pass at which h_t (or c_t) has a non-finite entry.
    pub forward_overflow_from: Option<usize>,
    /// See `Draws::eigenvalues`.
    pub eigenvalues: Vec<(f64, f64)>,
    /// RNN with identity φ only: ρ^{T−t} for t = 0 … T. Exact for orthogonal blocks (then
    /// ∂ℓ/∂h_t = (W_hhᵀ)^{T−t} v with W_hh = ρQ); the asymptotic growth rate for Gaussian ones.
    pub linear_theory: Option<Vec<f64>>,
    pub warnings: Vec<String>,
}

/// Gradient results of `bptt`, before clipping.
#[derive(Debug, Clone)]
pub struct Bptt {
    pub loss: f64,
    pub grad_h: Vec<f64>,
    pub grad_c: Option<Vec<f64>>,
    pub forget_product: Option<Vec<f64>>,
    pub grad_w_step: Vec<f64>,
    pub grad: Weights,
    pub param_grad_norm: f64,
    pub overflow_from: Option<usize>,
    pub forward_overflow_from: Option<usize>,
}

pub use super::elementwise::sigmoid;

/// Maximum that propagates NaN (f64::max would drop it).
fn nan_max(xs: impl Iterator<Item = f64>) -> f64 {
    let mut m = f64::NEG_INFINITY;
    for x in xs {
        if x.is_nan() {
            return f64::NAN;
        }
        m = m.max(x);
    }
    m
}

fn gaussian_matrix(rng: &mut StdRng, rows: usize, cols: usize, scale: f64) -> Array2<f64> {
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
pub fn eigenvalues_of(a: ArrayView2<'_, f64>) -> Result<Vec<(f64, f64)>, String> {
    let n = a.nrows();
    let m = faer::Mat::from_fn(n, n, |i, j| a[[i, j]]);
    m.eigenvalues()
        .map(|ev| ev.iter().map(|z| (z.re, z.im)).collect())
        .map_err(|e| format!("eigenvalue solver failed: {e:?}"))
}

/// Spectral radius max |λ| of a list of eigenvalues.
pub fn spectral_radius(eigenvalues: &[(f64, f64)]) -> f64 {
    nan_max(eigenvalues.iter().map(|&(re, im)| re.hypot(im))).max(0.0)
}

/// Rescales `block` in place so that its spectral radius becomes ρ; returns the rescaled
/// eigenvalues (λ·ρ/r), or an error when the solver fails (then the block is scaled by
/// ρ/‖block‖₂, the spectral norm, which bounds the radius from above).
fn rescale_to_radius(block: &mut Array2<f64>, rho: f64) -> Result<Vec<(f64, f64)>, String> {
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
fn row_major<D: Dimension>(a: &Array<f64, D>) -> Cow<'_, [f64]> {
    match a.as_slice() {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(a.iter().copied().collect()),
    }
}

/// y ← A x, or y ← y + A x with `Accum::Add` (faer's SIMD kernels, one thread).
fn mat_vec(y: &mut [f64], a: MatRef<'_, f64>, x: &[f64], accum: Accum) {
    matmul(
        ColMut::from_slice_mut(y).as_mat_mut(),
        accum,
        a,
        ColRef::from_slice(x).as_mat(),
        1.0,
        Par::Seq,
    );
}

/// Runs the sequence forward and back-propagates ℓ = vᵀ h_T through time.
///
/// Backward recursions (z_t the pre-activation, da = ∂ℓ/∂z_t):
/// RNN: ∂ℓ/∂z_t = ∂ℓ/∂h_t ⊙ φ'(z_t), ∂ℓ/∂h_{t−1} = W_hhᵀ ∂ℓ/∂z_t.
/// LSTM: ∂ℓ/∂c_t = f_{t+1} ⊙ ∂ℓ/∂c_{t+1} + ∂ℓ/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t), and the gate
/// derivatives through σ' = σ(1 − σ), tanh' = 1 − tanh². Weight gradients are the sums
/// ∂ℓ/∂W_hh = Σ_t ∂ℓ/∂z_t h_{t−1}ᵀ, ∂ℓ/∂W_ih = Σ_t ∂ℓ/∂z_t x_tᵀ, ∂ℓ/∂b = Σ_t ∂ℓ/∂z_t.
///
/// `activation` is used by the RNN only. The sizes are read from the arrays; they must agree
/// with each other and with `cell` (as `draw` makes them), otherwise a one-line error says
/// which array is off.
pub fn bptt(
    cell: CellKind,
    activation: Activation,
    w: &Weights,
    inputs: &Array2<f64>,
    v: &Array1<f64>,
) -> Result<Bptt, String> {
    let h = v.len();
    let g = cell.gate_count() * h;
    let i = inputs.ncols();
    let shapes = [
        ("weight_hh_l0", w.w_hh.dim(), (g, h)),
        ("weight_ih_l0", w.w_ih.dim(), (g, i)),
        ("bias_ih_l0", (w.b_ih.len(), 1), (g, 1)),
        ("bias_hh_l0", (w.b_hh.len(), 1), (g, 1)),
    ];
    if h == 0 {
        return Err("v is empty (hidden size must be at least 1)".into());
    }
    for (name, got, want) in shapes {
        if got != want {
            return Err(format!(
                "{name} has shape {got:?} but a {cell} with hidden size {h} and input size {i} needs {want:?}"
            ));
        }
    }
    Ok(bptt_checked(cell, activation, w, inputs, v))
}

/// `bptt` once the shapes are known to agree.
fn bptt_checked(
    cell: CellKind,
    activation: Activation,
    w: &Weights,
    inputs: &Array2<f64>,
    v: &Array1<f64>,
) -> Bptt {
    let hsize = w.w_hh.ncols();
    let steps = inputs.nrows();
    let gsize = w.w_hh.nrows();
    let isize = inputs.ncols();
    let w_hh = row_major(&w.w_hh);
    // One copy of W_hh serves both passes (the forward reads rows, the backward reads the
    // same memory as W_hhᵀ): a second, transposed copy measured slower, the two no longer
    // fitting in L2 together for the LSTM.
    let forward = MatRef::from_row_major_slice(&w_hh, gsize, hsize);
    let backward = forward.transpose();
    let x = row_major(inputs);
    let w_ih = row_major(&w.w_ih);

    // Pre-activations of every step, input part first: Z = X W_ihᵀ + b_ih + b_hh (row t−1 is z_t).
    let mut z = vec![0.0; steps * gsize];
    matmul(
        MatMut::from_row_major_slice_mut(&mut z, steps, gsize),
        Accum::Replace,
        MatRef::from_row_major_slice(&x, steps, isize),
        MatRef::from_row_major_slice(&w_ih, gsize, isize).transpose(),
        1.0,
        Par::Seq,
    );
    let bias: Vec<f64> = w.b_ih.iter().zip(&w.b_hh).map(|(a, b)| a + b).collect();
    for row in z.chunks_exact_mut(gsize) {
        row.iter_mut().zip(&bias).for_each(|(z, b)| *z += b);
    }

    // h_t in row t of a (T+1)×H row-major buffer; h_0 = 0.
    let mut hs = vec![0.0; (steps + 1) * hsize];
    let mut h_norm = vec![0.0; steps + 1];
    let mut forward_overflow_from = None;

    let mut grad_h = vec![0.0; steps + 1];
    let mut grad_w_step = vec![0.0; steps];
    let mut dh: Vec<f64> = v.iter().copied().collect();
    let mut dh_prev = vec![0.0; hsize];
    grad_h[steps] = l2_norm(&dh);
    let h_last =
        |hs: &[f64]| -> f64 { v.iter().zip(&hs[steps * hsize..]).map(|(a, b)| a * b).sum() };

    let (loss, grad_c, forget_product) = match cell {
        CellKind::Rnn => {
            for t in 1..=steps {
                let (before, after) = hs.split_at_mut(t * hsize);
                let prev = &before[(t - 1) * hsize..];
                let cur = &mut after[..hsize];
                let zt = &mut z[(t - 1) * gsize..t * gsize];
                mat_vec(zt, forward, prev, Accum::Add);
                activation.apply_to(zt, cur);
                h_norm[t] = l2_norm(cur);
                if forward_overflow_from.is_none() && !h_norm[t].is_finite() {
                    forward_overflow_from = Some(t);
                }
            }
            let loss = h_last(&hs);
            for t in (1..=steps).rev() {
                // z's row t−1 is overwritten with ∂ℓ/∂z_t, which the weight gradients use.
                let dz = &mut z[(t - 1) * gsize..t * gsize];
                let ht = &hs[t * hsize..(t + 1) * hsize];
                activation.backprop_to(ht, &dh, dz);
                grad_w_step[t - 1] = l2_norm(dz) * h_norm[t - 1];
                mat_vec(&mut dh_prev, backward, dz, Accum::Replace);
                grad_h[t - 1] = l2_norm(&dh_prev);
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            (loss, None, None)
        }
        CellKind::Lstm => {
            let mut cs = vec![0.0; (steps + 1) * hsize];
            let mut tanh_c = vec![0.0; steps * hsize];
            for t in 1..=steps {
                let (before, after) = hs.split_at_mut(t * hsize);
                let prev = &before[(t - 1) * hsize..];
                let cur = &mut after[..hsize];
                let zt = &mut z[(t - 1) * gsize..t * gsize];
                mat_vec(zt, forward, prev, Accum::Add);
                // Activate the gates in place: i, f, o through σ, g through tanh.
                let (ifs, rest) = zt.split_at_mut(2 * hsize);
                let (gs, os) = rest.split_at_mut(hsize);
                ifs.iter_mut().for_each(|x| *x = sigmoid(*x));
                os.iter_mut().for_each(|x| *x = sigmoid(*x));
                gs.iter_mut().for_each(|x| *x = elementwise::tanh(*x));
                let (c_before, c_after) = cs.split_at_mut(t * hsize);
                let cprev = &c_before[(t - 1) * hsize..];
                let ccur = &mut c_after[..hsize];
                let tc = &mut tanh_c[(t - 1) * hsize..t * hsize];
                for j in 0..hsize {
                    let c = ifs[hsize + j] * cprev[j] + ifs[j] * gs[j];
                    ccur[j] = c;
                    tc[j] = elementwise::tanh(c);
                    cur[j] = os[j] * tc[j];
                }
                h_norm[t] = l2_norm(cur);
                if forward_overflow_from.is_none()
                    && !(h_norm[t].is_finite() && ccur.iter().all(|c| c.is_finite()))
                {
                    forward_overflow_from = Some(t);
                }
            }
            let loss = h_last(&hs);
            let mut grad_c = vec![0.0; steps + 1];
            let mut forget_product = vec![0.0; steps + 1];
            forget_product[steps] = 1.0;
            let mut dc_carry = vec![0.0; hsize];
            let mut dc_t = vec![0.0; hsize];
            let mut running_forget = vec![1.0; hsize];
            for t in (1..=steps).rev() {
                // The gate row is read and then overwritten with ∂ℓ/∂z_t.
                let gates = &mut z[(t - 1) * gsize..t * gsize];
                let tc = &tanh_c[(t - 1) * hsize..t * hsize];
                let cprev = &cs[(t - 1) * hsize..t * hsize];
                for j in 0..hsize {
                    let (i, f, g, o) = (
                        gates[j],
                        gates[hsize + j],
                        gates[2 * hsize + j],
                        gates[3 * hsize + j],
                    );
                    let dc = dc_carry[j] + dh[j] * o * (1.0 - tc[j] * tc[j]);
                    dc_t[j] = dc;
                    gates[j] = dc * g * i * (1.0 - i);
                    gates[hsize + j] = dc * cprev[j] * f * (1.0 - f);
                    gates[2 * hsize + j] = dc * i * (1.0 - g * g);
                    gates[3 * hsize + j] = dh[j] * tc[j] * o * (1.0 - o);
                    dc_carry[j] = dc * f;
                    running_forget[j] *= f;
                }
                grad_c[t] = l2_norm(&dc_t);
                forget_product[t - 1] = nan_max(running_forget.iter().copied());
                let dz = &z[(t - 1) * gsize..t * gsize];
                grad_w_step[t - 1] = l2_norm(dz) * h_norm[t - 1];
                mat_vec(&mut dh_prev, backward, dz, Accum::Replace);
                grad_h[t - 1] = l2_norm(&dh_prev);
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            grad_c[0] = l2_norm(&dc_carry);
            (loss, Some(grad_c), Some(forget_product))
        }
    };

    // z now holds ∂ℓ/∂z_t in row t−1: ∂ℓ/∂W_hh = Zᵀ H_{0..T−1}, ∂ℓ/∂W_ih = Zᵀ X.
    let dz_t = MatRef::from_row_major_slice(&z, steps, gsize).transpose();
    // Only the big products are worth threads.
    let par = if gsize * hsize * steps > 1 << 24 {
        faer::get_global_parallelism()
    } else {
        Par::Seq
    };
    let mut g_hh = Array2::zeros((gsize, hsize));
    let mut g_ih = Array2::zeros((gsize, isize));
    if let (Some(out_hh), Some(out_ih)) = (g_hh.as_slice_mut(), g_ih.as_slice_mut()) {
        matmul(
            MatMut::from_row_major_slice_mut(out_hh, gsize, hsize),
            Accum::Replace,
            dz_t,
            MatRef::from_row_major_slice(&hs[..steps * hsize], steps, hsize),
            1.0,
            par,
        );
        matmul(
            MatMut::from_row_major_slice_mut(out_ih, gsize, isize),
            Accum::Replace,
            dz_t,
            MatRef::from_row_major_slice(&x, steps, isize),
            1.0,
            par,
        );
    }
    let mut g_b = Array1::zeros(gsize);
    for row in z.chunks_exact(gsize) {
        g_b.iter_mut().zip(row).for_each(|(b, d)| *b += d);
    }
    let grad = Weights {
        w_ih: g_ih,
        w_hh: g_hh,
        b_ih: g_b.clone(),
        b_hh: g_b,
    };
    let param_grad_norm = grad.global_norm();

    let overflow_from = (0..=steps).rev().find(|&t| {
        !grad_h[t].is_finite()
            || grad_c.as_ref().is_some_and(|c| !c[t].is_finite())
            || (t >= 1 && !grad_w_step[t - 1].is_finite())
    });

    Bptt {
        loss,
        grad_h,
        grad_c,
        forget_product,
        grad_w_step,
        grad,
        param_grad_norm,
        overflow_from,
        forward_overflow_from,
    }
}

/// Applies `clip` to a gradient.
///
/// Norm: g ← g·min(1, c/(‖g‖ + 1e-6)) with ‖g‖ the global norm, as PyTorch's
/// `clip_grad_norm_`; value: gᵢ ← clamp(gᵢ, −c, c).
/// A non-finite gradient stays non-finite, as in torch: a NaN norm makes every entry NaN,
/// an infinite one scales by 0 (so inf entries become NaN); value clipping maps ±inf to ±c
/// and keeps NaN.
pub fn clip_gradient(grad: &Weights, clip: Clip) -> Weights {
    match clip {
        Clip::None => grad.clone(),
        Clip::Norm(_) => {
            let coef = clip.norm_coefficient(grad.global_norm());
            grad.map(|g| g * coef)
        }
        Clip::Value(c) => grad.map(|g| g.clamp(-c, c)),
    }
}

/// ρ^{T−t} for t = 0 … T: the size of ∂ℓ/∂h_t = (W_hhᵀ)^{T−t} v when W_hh = ρQ, Q orthogonal.
pub fn linear_theory(rho: f64, steps: usize) -> Vec<f64> {
    (0..=steps)
        .map(|t| rho.powi(i32::try_from(steps - t).unwrap_or(i32::MAX)))
        .collect()
}

/// Draws the weights for `p`, runs forward and BPTT, and clips the gradient.
///
/// Never panics: parameters outside `Params::validate`'s ranges are first brought into them
/// (`Params::sanitized`; the result's `params` says what was used), so callers should
/// validate to report errors.
pub fn run(p: &Params) -> Run {
    let params = p.sanitized();
    let draws = draw(&params);
    // draw() makes every shape agree, so the checks of bptt() are not needed here.
    let b = bptt_checked(
        params.cell,
        params.activation,
        &draws.weights,
        &draws.inputs,
        &draws.v,
    );
    let clipped_grad = clip_gradient(&b.grad, params.clip);
    let clipped_param_grad_norm = clipped_grad.global_norm();
    let linear_theory = (params.cell == CellKind::Rnn && params.activation == Activation::Identity)
        .then(|| linear_theory(params.rho, params.steps));
    Run {
        params,
        weights: draws.weights,
        inputs: draws.inputs,
        v: draws.v,
        loss: b.loss,
        grad_h: b.grad_h,
        grad_c: b.grad_c,
        forget_product: b.forget_product,
        grad_w_step: b.grad_w_step,
        grad: b.grad,
        param_grad_norm: b.param_grad_norm,
        clipped_grad,
        clipped_param_grad_norm,
        overflow_from: b.overflow_from,
        forward_overflow_from: b.forward_overflow_from,
        eigenvalues: draws.eigenvalues,
        linear_theory,
        warnings: draws.warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A perturbation of the forward pass for finite differences.
    #[derive(Clone, Copy, Default)]
    struct Nudge {
        /// Add δ to h_t[j] right after step t (t = 0 is the initial state).
        h: Option<(usize, usize, f64)>,
        /// Add δ to c_t[j] before h_t is computed from it (LSTM).
        c: Option<(usize, usize, f64)>,
        /// Add δ to W_hh[r][k] at step t only.
        w_hh_at_step: Option<(usize, usize, usize, f64)>,
    }

    struct Reference {
        loss: f64,
        /// f_t[j] for t = 1 … T (index t−1), LSTM only.
        forget: Vec<Vec<f64>>,
    }

    /// Independent forward pass with plain loops, straight from the equations.
    #[allow(clippy::needless_range_loop)] // index loops mirror the subscripts of the equations
    fn reference(
        cell: CellKind,
        act: Activation,
        w: &Weights,
        x: &Array2<f64>,
        v: &Array1<f64>,
        nudge: Nudge,
    ) -> Reference {
        let hs = w.w_hh.ncols();
        let steps = x.nrows();
        let mut h = vec![0.0; hs];
        let mut c = vec![0.0; hs];
        let apply_h = |h: &mut Vec<f64>, t: usize| {
            if let Some((tt, j, d)) = nudge.h
                && tt == t
            {
                h[j] += d;
            }
        };
        let apply_c = |c: &mut Vec<f64>, t: usize| {
            if let Some((tt, j, d)) = nudge.c
                && tt == t
            {
                c[j] += d;
            }
        };
        apply_h(&mut h, 0);
        apply_c(&mut c, 0);
        let mut forget = Vec::new();
        for t in 1..=steps {
            let rows = w.w_hh.nrows();
            let mut z = vec![0.0; rows];
            for r in 0..rows {
                let mut acc = w.b_ih[r] + w.b_hh[r];
                for k in 0..x.ncols() {
                    acc += w.w_ih[[r, k]] * x[[t - 1, k]];
                }
                for k in 0..hs {
                    let mut wrk = w.w_hh[[r, k]];
                    if let Some((tt, rr, kk, d)) = nudge.w_hh_at_step
                        && tt == t
                        && rr == r
                        && kk == k
                    {
                        wrk += d;
                    }
                    acc += wrk * h[k];
                }
                z[r] = acc;
            }
            match cell {
                CellKind::Rnn => {
                    for j in 0..hs {
                        h[j] = match act {
                            Activation::Identity => z[j],
                            Activation::Tanh => z[j].tanh(),
                            Activation::Relu => z[j].max(0.0),
                            Activation::Sigmoid => 1.0 / (1.0 + (-z[j]).exp()),
                        };
                    }
                }
                CellKind::Lstm => {
                    let sig = |a: f64| 1.0 / (1.0 + (-a).exp());
                    let mut f_t = vec![0.0; hs];
                    for j in 0..hs {
                        let i = sig(z[j]);
                        let f = sig(z[hs + j]);
                        let g = z[2 * hs + j].tanh();
                        c[j] = f * c[j] + i * g;
                        f_t[j] = f;
                    }
                    // c_t is nudged before h_t = o ⊙ tanh(c_t) reads it: the total derivative.
                    apply_c(&mut c, t);
                    for j in 0..hs {
                        h[j] = sig(z[3 * hs + j]) * c[j].tanh();
                    }
                    forget.push(f_t);
                }
            }
            apply_h(&mut h, t);
        }
        let loss = (0..hs).map(|j| v[j] * h[j]).sum();
        Reference { loss, forget }
    }

    fn small(cell: CellKind, act: Activation, rho: f64, seed: u64) -> Params {
        Params {
            cell,
            activation: act,
            hidden: 3,
            steps: 6,
            input_size: 2,
            rho,
            seed,
            forget_bias: 0.5,
            ..Params::default()
        }
    }

    fn rel_err(a: &[f64], b: &[f64]) -> f64 {
        let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
        l2_norm(&diff) / l2_norm(b).max(1e-300)
    }

    const EPS: f64 = 1e-5;

    /// Central difference of the loss with respect to one entry of one parameter array.
    fn fd_params(p: &Params, r: &Run) -> Vec<f64> {
        let mut out = Vec::new();
        let loss_with = |w: &Weights| {
            reference(p.cell, p.activation, w, &r.inputs, &r.v, Nudge::default()).loss
        };
        for which in 0..4 {
            let n = match which {
                0 => r.weights.w_ih.len(),
                1 => r.weights.w_hh.len(),
                2 => r.weights.b_ih.len(),
                _ => r.weights.b_hh.len(),
            };
            for k in 0..n {
                let mut plus = r.weights.clone();
                let mut minus = r.weights.clone();
                for (w, d) in [(&mut plus, EPS), (&mut minus, -EPS)] {
                    let slot = match which {
                        0 => w.w_ih.iter_mut().nth(k),
                        1 => w.w_hh.iter_mut().nth(k),
                        2 => w.b_ih.iter_mut().nth(k),
                        _ => w.b_hh.iter_mut().nth(k),
                    };
                    if let Some(x) = slot {
                        *x += d;
                    }
                }
                out.push((loss_with(&plus) - loss_with(&minus)) / (2.0 * EPS));
            }
        }
        out
    }

    fn fd_state_norm(p: &Params, r: &Run, t: usize, on_cell: bool) -> f64 {
        let hs = p.hidden;
        let g: Vec<f64> = (0..hs)
            .map(|j| {
                let nudge = |d| {
                    if on_cell {
                        Nudge {
                            c: Some((t, j, d)),
                            ..Nudge::default()
                        }
                    } else {
                        Nudge {
                            h: Some((t, j, d)),
                            ..Nudge::default()
                        }
                    }
                };
                central_difference(p, r, nudge)
            })
            .collect();
        l2_norm(&g)
    }

    /// (ℓ(+ε) − ℓ(−ε)) / 2ε for a nudge of size ±ε, through the reference implementation.
    fn central_difference(p: &Params, r: &Run, nudge: impl Fn(f64) -> Nudge) -> f64 {
        let loss =
            |d: f64| reference(p.cell, p.activation, &r.weights, &r.inputs, &r.v, nudge(d)).loss;
        (loss(EPS) - loss(-EPS)) / (2.0 * EPS)
    }

    fn fd_step_norm(p: &Params, r: &Run, t: usize) -> f64 {
        let (rows, cols) = r.weights.w_hh.dim();
        let mut g = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for k in 0..cols {
                let nudge = |d| Nudge {
                    w_hh_at_step: Some((t, i, k, d)),
                    ..Nudge::default()
                };
                g.push(central_difference(p, r, nudge));
            }
        }
        l2_norm(&g)
    }

    fn check_against_finite_differences(p: &Params) {
        let r = run(p);
        let reference_loss = reference(
            p.cell,
            p.activation,
            &r.weights,
            &r.inputs,
            &r.v,
            Nudge::default(),
        )
        .loss;
        assert!(
            (r.loss - reference_loss).abs() <= 1e-12 * reference_loss.abs().max(1.0),
            "{p:?}"
        );
        let analytic: Vec<f64> = r.grad.entries().copied().collect();
        let numeric = fd_params(p, &r);
        let e = rel_err(&analytic, &numeric);
        assert!(e < 1e-6, "parameter gradient rel err {e} for {p:?}");
        for t in 0..=p.steps {
            let fd = fd_state_norm(p, &r, t, false);
            let e = (r.grad_h[t] - fd).abs() / fd.max(1e-300);
            assert!(e < 1e-6, "|dl/dh_{t}| rel err {e} for {p:?}");
            if let Some(gc) = &r.grad_c {
                let fd = fd_state_norm(p, &r, t, true);
                let e = (gc[t] - fd).abs() / fd.max(1e-300);
                assert!(e < 1e-6, "|dl/dc_{t}| rel err {e} for {p:?}");
            }
        }
        for t in 1..=p.steps {
            let fd = fd_step_norm(p, &r, t);
            let e = (r.grad_w_step[t - 1] - fd).abs() / fd.max(1e-300);
            assert!(e < 1e-6, "step {t} W_hh contribution rel err {e} for {p:?}");
        }
    }

    #[test]
    fn rnn_gradients_match_finite_differences_for_every_activation() {
        for act in [
            Activation::Identity,
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
        ] {
            for (rho, seed) in [(0.8, 1), (1.4, 2)] {
                check_against_finite_differences(&small(CellKind::Rnn, act, rho, seed));
            }
        }
    }

    #[test]
    fn lstm_gradients_match_finite_differences() {
        for (rho, seed, init) in [(0.8, 3, Init::Gaussian), (2.0, 4, Init::Orthogonal)] {
            let p = Params {
                init,
                ..small(CellKind::Lstm, Activation::Tanh, rho, seed)
            };
            check_against_finite_differences(&p);
        }
    }

    #[test]
    fn identity_orthogonal_gradient_norm_is_rho_to_the_distance() {
        for rho in [0.7, 1.0, 1.3] {
            let p = Params {
                activation: Activation::Identity,
                init: Init::Orthogonal,
                hidden: 16,
                steps: 60,
                rho,
                seed: 7,
                ..Params::default()
            };
            let r = run(&p);
            let theory = r
                .linear_theory
                .as_ref()
                .expect("identity RNN has a theory curve");
            for (t, (&norm, &curve)) in r.grad_h.iter().zip(theory).enumerate() {
                let want = rho.powi((p.steps - t) as i32);
                assert!(
                    (norm - want).abs() <= 1e-9 * want,
                    "t={t}: {norm} vs {want}"
                );
                assert_eq!(curve, want);
            }
        }
    }

    #[test]
    fn theory_curve_only_for_identity_rnn() {
        let tanh = run(&Params {
            steps: 5,
            hidden: 4,
            ..Params::default()
        });
        assert!(tanh.linear_theory.is_none());
        let lstm = run(&Params {
            steps: 5,
            hidden: 4,
            cell: CellKind::Lstm,
            activation: Activation::Identity,
            ..Params::default()
        });
        assert!(lstm.linear_theory.is_none());
    }

    #[test]
    fn rescaled_blocks_have_spectral_radius_rho() {
        for cell in [CellKind::Rnn, CellKind::Lstm] {
            for init in [Init::Gaussian, Init::Orthogonal] {
                let p = Params {
                    cell,
                    init,
                    hidden: 24,
                    steps: 3,
                    rho: 1.7,
                    seed: 11,
                    ..Params::default()
                };
                let d = draw(&p);
                assert!(d.warnings.is_empty());
                let h = p.hidden;
                for b in 0..cell.gate_count() {
                    let block = d.weights.w_hh.slice(s![b * h..(b + 1) * h, ..]);
                    let ev = eigenvalues_of(block).expect("eigenvalues");
                    let r = spectral_radius(&ev);
                    assert!(
                        (r - 1.7).abs() <= 1e-10 * 1.7,
                        "{cell:?} {init:?} block {b}: {r}"
                    );
                    let reported = spectral_radius(&d.eigenvalues[b * h..(b + 1) * h]);
                    assert!((reported - 1.7).abs() <= 1e-10 * 1.7);
                }
                assert_eq!(d.eigenvalues.len(), h * cell.gate_count());
            }
        }
    }

    #[test]
    fn orthogonal_init_is_orthogonal() {
        let mut rng = StdRng::seed_from_u64(5);
        let a = gaussian_matrix(&mut rng, 10, 10, 1.0);
        let q = orthogonal_from(&a);
        let qtq = q.t().dot(&q);
        for i in 0..10 {
            for j in 0..10 {
                let want = if i == j { 1.0 } else { 0.0 };
                assert!((qtq[[i, j]] - want).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rnn_and_lstm_share_their_draws() {
        let p = Params {
            hidden: 5,
            steps: 7,
            input_size: 3,
            seed: 9,
            ..Params::default()
        };
        let rnn = draw(&p);
        let lstm = draw(&Params {
            cell: CellKind::Lstm,
            ..p
        });
        assert_eq!(rnn.inputs, lstm.inputs);
        assert_eq!(rnn.v, lstm.v);
        assert_eq!(rnn.weights.w_hh, lstm.weights.w_hh.slice(s![10..15, ..]));
        assert_eq!(rnn.weights.w_ih, lstm.weights.w_ih.slice(s![10..15, ..]));
        assert_eq!(rnn.eigenvalues, lstm.eigenvalues[10..15].to_vec());
        assert!((l2_norm(&rnn.v.to_vec()) - 1.0).abs() < 1e-15);
        // Only the LSTM's forget slice of b_ih is non-zero.
        assert!(lstm.weights.b_ih.slice(s![5..10]).iter().all(|&b| b == 1.0));
        let others = lstm
            .weights
            .b_ih
            .iter()
            .enumerate()
            .filter(|(k, _)| !(5..10).contains(k));
        assert!(others.map(|(_, b)| b).all(|&b| b == 0.0));
        assert!(
            rnn.weights
                .b_ih
                .iter()
                .chain(&rnn.weights.b_hh)
                .all(|&b| b == 0.0)
        );
    }

    #[test]
    fn forget_product_matches_direct_product() {
        let p = Params {
            cell: CellKind::Lstm,
            hidden: 6,
            steps: 12,
            forget_bias: 1.0,
            seed: 4,
            ..Params::default()
        };
        let r = run(&p);
        let fp = r
            .forget_product
            .as_ref()
            .expect("lstm reports a forget product");
        let refr = reference(
            p.cell,
            p.activation,
            &r.weights,
            &r.inputs,
            &r.v,
            Nudge::default(),
        );
        for (t, &reported) in fp.iter().enumerate() {
            let direct = (0..p.hidden)
                .map(|j| {
                    (t + 1..=p.steps)
                        .map(|k| refr.forget[k - 1][j])
                        .product::<f64>()
                })
                .fold(f64::NEG_INFINITY, f64::max);
            assert!((reported - direct).abs() <= 1e-12 * direct, "t={t}");
        }
        assert_eq!(fp[p.steps], 1.0);
    }

    #[test]
    fn norm_clipping_caps_the_global_norm() {
        let r = run(&Params {
            hidden: 8,
            steps: 20,
            rho: 1.2,
            ..Params::default()
        });
        let norm = r.param_grad_norm;
        assert!(norm.is_finite() && norm > 0.0);
        for c in [norm / 10.0, norm / 2.0, norm * 2.0] {
            let clipped = clip_gradient(&r.grad, Clip::Norm(c));
            // PyTorch's clip_grad_norm_: coefficient c/(‖g‖ + 1e-6), clamped to 1.
            let want = norm * (c / (norm + 1e-6)).min(1.0);
            assert!((clipped.global_norm() - want).abs() <= 1e-12 * want);
            // Direction is unchanged: clipped = grad · (want / norm).
            for (a, b) in clipped.entries().zip(r.grad.entries()) {
                assert!((a - b * want / norm).abs() <= 1e-12 * norm);
            }
        }
    }

    #[test]
    fn value_clipping_clamps_every_entry() {
        let p = Params {
            hidden: 8,
            steps: 20,
            rho: 1.2,
            ..Params::default()
        };
        let r0 = run(&p);
        let max_abs = r0.grad.entries().fold(0.0_f64, |m, g| m.max(g.abs()));
        let c = max_abs / 3.0;
        let r = run(&Params {
            clip: Clip::Value(c),
            ..p
        });
        assert!(r.clipped_grad.entries().all(|g| (-c..=c).contains(g)));
        assert!(r.clipped_grad.entries().any(|g| g.abs() == c));
        let sum_sq: f64 = r0.grad.entries().map(|g| g.clamp(-c, c).powi(2)).sum();
        assert!((r.clipped_param_grad_norm - sum_sq.sqrt()).abs() <= 1e-12 * sum_sq.sqrt());
        assert_eq!(r.param_grad_norm, r0.param_grad_norm);
    }

    #[test]
    fn relu_overflow_is_graceful() {
        let p = Params {
            rho: 3.0,
            steps: 2000,
            activation: Activation::Relu,
            ..Params::default()
        };
        let r = run(&p);
        assert!(r.forward_overflow_from.is_some());
        let from = r.overflow_from.expect("norms overflow");
        assert!(!r.grad_w_step[from - 1].is_finite() || !r.grad_h[from].is_finite());
        for t in from + 1..=p.steps {
            assert!(r.grad_h[t].is_finite() && r.grad_w_step[t - 1].is_finite());
        }
        assert!(!r.loss.is_finite());
        assert!(!r.param_grad_norm.is_finite());
        assert_eq!(r.grad_h.len(), p.steps + 1);
    }

    #[test]
    fn identity_backward_stays_finite_until_rho_power_overflows() {
        // ρ = 3 identity: ‖∂ℓ/∂h_t‖ = 3^{T−t} exactly, which passes f64::MAX after 646 steps.
        let p = Params {
            rho: 3.0,
            steps: 800,
            hidden: 8,
            activation: Activation::Identity,
            init: Init::Orthogonal,
            ..Params::default()
        };
        let r = run(&p);
        let from = r.overflow_from.expect("overflows");
        assert!(r.grad_h[p.steps - 640].is_finite());
        assert!(!r.grad_h[p.steps - 700].is_finite());
        assert!(from >= p.steps - 700);
    }

    #[test]
    fn norm_survives_under_and_overflow_of_squares() {
        let big = [1e200, 1e200];
        assert!((l2_norm(&big) / (1e200 * 2f64.sqrt()) - 1.0).abs() < 1e-15);
        let tiny = [3e-200, 4e-200];
        assert!((l2_norm(&tiny) / 5e-200 - 1.0).abs() < 1e-15);
        assert_eq!(l2_norm(&[0.0, 0.0]), 0.0);
        assert_eq!(l2_norm(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(l2_norm(&[f64::NAN, f64::INFINITY]).is_nan());
        assert_eq!(l2_norm(&[]), 0.0);
        assert_eq!(l2_norm(&[3.0, 4.0, 0.0, 0.0, 12.0]), 13.0);
        assert_eq!(l2_norm(&[-2.0; 9]), 6.0);
    }

    #[test]
    fn parse_and_display_round_trip() {
        for c in [CellKind::Rnn, CellKind::Lstm] {
            assert_eq!(c.name().parse::<CellKind>(), Ok(c));
        }
        for a in [
            Activation::Identity,
            Activation::Tanh,
            Activation::Relu,
            Activation::Sigmoid,
        ] {
            assert_eq!(a.to_string().parse::<Activation>(), Ok(a));
        }
        for i in [Init::Gaussian, Init::Orthogonal] {
            assert_eq!(i.to_string().parse::<Init>(), Ok(i));
        }
        for clip in [Clip::None, Clip::Norm(0.5), Clip::Value(2.0)] {
            assert_eq!(clip.to_string().parse::<Clip>(), Ok(clip));
        }
        for bad in [
            "norm", "norm:", "norm:0", "value:-1", "norm:inf", "norm:nan", "clip:1", "x",
        ] {
            let e = bad.parse::<Clip>().expect_err(bad);
            assert!(!e.contains('\n') && e.contains(bad), "{e}");
        }
        assert!(
            "gru"
                .parse::<CellKind>()
                .expect_err("gru")
                .contains("rnn, lstm")
        );
    }

    #[test]
    fn cycling_visits_every_variant() {
        let mut a = Activation::Identity;
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(a);
            a = a.next();
        }
        assert_eq!(a, Activation::Identity);
        assert_eq!(seen.len(), 4);
        assert_eq!(Activation::Identity.prev(), Activation::Sigmoid);
        assert_eq!(CellKind::Rnn.next(), CellKind::Lstm);
        assert_eq!(Init::Gaussian.prev(), Init::Orthogonal);
        assert_eq!(Clip::None.next(2.0), Clip::Norm(2.0));
        assert_eq!(Clip::Norm(2.0).next(1.0), Clip::Value(1.0));
        assert_eq!(Clip::Value(1.0).next(1.0), Clip::None);
        assert_eq!(Clip::None.prev(3.0), Clip::Value(3.0));
    }

    #[test]
    fn validate_names_the_flag() {
        assert_eq!(Params::default().validate(), Ok(()));
        let cases = [
            (
                Params {
                    hidden: 0,
                    ..Params::default()
                },
                "--hidden must be between 1 and 512 (got 0)",
            ),
            (
                Params {
                    steps: 2001,
                    ..Params::default()
                },
                "--steps",
            ),
            (
                Params {
                    input_size: 0,
                    ..Params::default()
                },
                "--input-size",
            ),
            (
                Params {
                    rho: f64::NAN,
                    ..Params::default()
                },
                "--rho",
            ),
            (
                Params {
                    rho: 11.0,
                    ..Params::default()
                },
                "--rho",
            ),
            (
                Params {
                    input_scale: -1.0,
                    ..Params::default()
                },
                "--input-scale",
            ),
            (
                Params {
                    forget_bias: f64::INFINITY,
                    ..Params::default()
                },
                "--forget-bias",
            ),
            (
                Params {
                    clip: Clip::Norm(0.0),
                    ..Params::default()
                },
                "--clip",
            ),
        ];
        for (p, want) in cases {
            let e = p.validate().expect_err(want);
            assert!(e.starts_with(want) && !e.contains('\n'), "{e}");
            assert_eq!(p.sanitized().validate(), Ok(()));
        }
    }

    #[test]
    fn invalid_params_run_without_panicking() {
        let p = Params {
            hidden: 0,
            steps: 0,
            input_size: 0,
            rho: f64::NAN,
            clip: Clip::Value(-1.0),
            ..Params::default()
        };
        let r = run(&p);
        assert_eq!(r.params.hidden, 1);
        assert_eq!(r.grad_h.len(), 2);
        assert_eq!(r.params.clip, Clip::None);
    }

    #[test]
    fn zero_rho_and_zero_inputs_give_exact_zeros() {
        let r = run(&Params {
            rho: 0.0,
            hidden: 4,
            steps: 5,
            ..Params::default()
        });
        assert!(r.weights.w_hh.iter().all(|&w| w == 0.0));
        assert_eq!(r.grad_h[0], 0.0);
        let r = run(&Params {
            input_scale: 0.0,
            hidden: 4,
            steps: 5,
            ..Params::default()
        });
        assert_eq!(r.loss, 0.0);
        assert_eq!(r.grad_w_step.iter().sum::<f64>(), 0.0);
    }
}
