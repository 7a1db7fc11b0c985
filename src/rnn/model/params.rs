//! What determines a run: the cell, φ, the initialisation and the sizes, their command-line
//! names, and the ranges `Params::validate` accepts.

use std::fmt;
use std::str::FromStr;

use crate::controls::Cycle;
use crate::elementwise;
use crate::grad::Clip;

/// Which recurrent cell is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// Elman RNN: h_t = φ(W_hh h_{t−1} + W_ih x_t + b).
    Rnn,
    /// LSTM with PyTorch's gate order (i, f, g, o).
    Lstm,
}

/// The RNN's element-wise non-linearity φ (the LSTM ignores it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Activation {
    Identity,
    Tanh,
    Relu,
    Sigmoid,
}

/// How each H×H recurrent block is drawn before it is rescaled to spectral radius ρ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Init {
    /// Standard-normal entries.
    Gaussian,
    /// Q of the QR factorisation of a standard-normal block, columns sign-fixed so diag(R) > 0.
    Orthogonal,
}

impl Cycle for CellKind {
    const ALL: &'static [Self] = &[CellKind::Rnn, CellKind::Lstm];
}

impl Cycle for Activation {
    const ALL: &'static [Self] = &[
        Activation::Identity,
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
    ];
}

impl Cycle for Init {
    const ALL: &'static [Self] = &[Init::Gaussian, Init::Orthogonal];
}

/// Writes each choice under its command-line name.
macro_rules! named {
    ($($ty:ty),*) => {$(
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    )*};
}

named!(CellKind, Activation, Init);

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
            Activation::Sigmoid => elementwise::sigmoid(a),
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

/// A name that is none of the choices of a command-line option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownChoice {
    /// What was being chosen ("cell", "activation", "init").
    pub what: &'static str,
    /// The text given.
    pub given: String,
    /// The names accepted.
    pub choices: &'static [&'static str],
}

impl fmt::Display for UnknownChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} '{}' (expected one of: {})",
            self.what,
            self.given,
            self.choices.join(", ")
        )
    }
}

impl std::error::Error for UnknownChoice {}

/// Parses a lower-case name of one of `T::ALL` (as `name` writes it).
fn parse_choice<T: Cycle>(
    s: &str,
    what: &'static str,
    choices: &'static [&'static str],
    name: fn(T) -> &'static str,
) -> Result<T, UnknownChoice> {
    let wanted = s.trim().to_ascii_lowercase();
    T::ALL
        .iter()
        .copied()
        .find(|&v| name(v) == wanted)
        .ok_or_else(|| UnknownChoice {
            what,
            given: s.to_string(),
            choices,
        })
}

impl FromStr for CellKind {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        parse_choice(s, "cell", &["rnn", "lstm"], CellKind::name)
    }
}

impl FromStr for Activation {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        parse_choice(
            s,
            "activation",
            &["identity", "tanh", "relu", "sigmoid"],
            Activation::name,
        )
    }
}

impl FromStr for Init {
    type Err = UnknownChoice;
    fn from_str(s: &str) -> Result<Self, UnknownChoice> {
        parse_choice(s, "init", &["gaussian", "orthogonal"], Init::name)
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
    /// Checks every field's range; the error names the parameter and its range.
    pub fn validate(&self) -> Result<(), ParamError> {
        let size = |dimension: Dimension, got: usize, max: usize| {
            if (1..=max).contains(&got) {
                Ok(())
            } else {
                Err(ParamError::Size {
                    dimension,
                    max,
                    got,
                })
            }
        };
        size(Dimension::Hidden, self.hidden, MAX_HIDDEN)?;
        size(Dimension::Steps, self.steps, MAX_STEPS)?;
        size(Dimension::InputSize, self.input_size, MAX_INPUT_SIZE)?;
        if !(self.rho.is_finite() && (0.0..=MAX_RHO).contains(&self.rho)) {
            return Err(ParamError::Rho(self.rho));
        }
        if !(self.input_scale.is_finite() && self.input_scale >= 0.0) {
            return Err(ParamError::InputScale(self.input_scale));
        }
        if !self.forget_bias.is_finite() {
            return Err(ParamError::ForgetBias(self.forget_bias));
        }
        if let Some(c) = self.clip.threshold()
            && !(c.is_finite() && c > 0.0)
        {
            return Err(ParamError::ClipThreshold(c));
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

/// A parameter outside the range the model accepts; displayed as one line naming the
/// parameter (the command line adds its flag).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamError {
    /// A size (hidden size, sequence length, input size) outside 1 ..= max.
    Size {
        dimension: Dimension,
        max: usize,
        got: usize,
    },
    /// ρ outside [0, `MAX_RHO`] or not finite.
    Rho(f64),
    /// A negative or non-finite input scale.
    InputScale(f64),
    /// A non-finite forget bias.
    ForgetBias(f64),
    /// A clipping threshold that is not finite and positive.
    ClipThreshold(f64),
}

/// The size a [`ParamError::Size`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// The hidden size H.
    Hidden,
    /// The sequence length T.
    Steps,
    /// The input size I.
    InputSize,
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dimension::Hidden => "hidden size H",
            Dimension::Steps => "sequence length T",
            Dimension::InputSize => "input size I",
        })
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = |x: f64| crate::numfmt::general(x, 4);
        match *self {
            ParamError::Size {
                dimension,
                max,
                got,
            } => {
                write!(f, "{dimension} must be between 1 and {max} (got {got})")
            }
            ParamError::Rho(x) => write!(
                f,
                "spectral radius ρ must be between 0 and {MAX_RHO} (got {})",
                n(x)
            ),
            ParamError::InputScale(x) => {
                write!(f, "input scale must be finite and >= 0 (got {})", n(x))
            }
            ParamError::ForgetBias(x) => write!(f, "forget bias must be finite (got {})", n(x)),
            ParamError::ClipThreshold(x) => {
                write!(
                    f,
                    "clipping threshold must be finite and > 0 (got {})",
                    n(x)
                )
            }
        }
    }
}

impl std::error::Error for ParamError {}
