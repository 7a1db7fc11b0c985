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
//! # Where things are
//!
//! `params` (what determines a run, parsing, ranges), `draw` (weights, inputs, v and the
//! eigenvalues), `bptt` (the forward pass and back-propagation through time, clipping),
//! `theory` (what the linear theory predicts); exp, tanh and σ come from
//! [`crate::elementwise`].
//!
//! # Non-finite values
//!
//! Nothing here panics on overflow: values that overflow stay `inf`/`NaN` in f64. A
//! derivative taken at a NaN activation is NaN (never silently 0 or 1), so every norm that
//! depends on an overflowed forward value is itself non-finite.

mod bptt;
mod draw;
mod params;
mod theory;

pub use crate::elementwise::sigmoid;
pub use bptt::{Bptt, CellSplit, ShapeError, bptt, clip_gradient};
pub use draw::{
    BaseDraw, DrawKey, Draws, EigenvalueError, Weights, draw, eigenvalues_of, orthogonal_from,
    spectral_radius,
};
pub use params::{
    Activation, CellKind, Dimension, Init, MAX_HIDDEN, MAX_INPUT_SIZE, MAX_RHO, MAX_STEPS,
    ParamError, Params, UnknownChoice,
};
pub use theory::{
    BAND, LinearGap, Verdict, gradient_ratio, linear_theory, rho_power_log10, rho_power_text,
};

pub use crate::grad::{Clip, l2_norm};

/// Result of one draw, its forward pass and back-propagation through time, and clipping.
#[derive(Debug, Clone)]
pub struct Run {
    /// The parameters actually used (`Params::sanitized` of the request).
    pub params: Params,
    /// The weights, inputs, v and eigenvalues the run was made from.
    pub draws: Draws,
    /// The gradients before clipping.
    pub bptt: Bptt,
    /// The gradient after `params.clip`.
    pub clipped_grad: Weights,
    /// Its global L2 norm.
    pub clipped_param_grad_norm: f64,
    /// RNN with identity φ only: ρ^{T−t} for t = 0 … T. Exact for orthogonal blocks (then
    /// ∂ℓ/∂h_t = (W_hhᵀ)^{T−t} v with W_hh = ρQ); the asymptotic growth rate for Gaussian ones.
    pub linear_theory: Option<Vec<f64>>,
}

/// Draws the weights for `p`, runs forward and BPTT, and clips the gradient.
///
/// Never panics: parameters outside `Params::validate`'s ranges are first brought into them
/// (`Params::sanitized`; the result's `params` says what was used), so callers should
/// validate to report errors.
pub fn run(p: &Params) -> Run {
    run_from(&mut BaseDraw::new(p), p)
}

/// `run` on the draws `base` gives for `p`: the same result bit for bit, without solving
/// again the eigenvalues `base` already holds (it is replaced when `p` has another key).
pub fn run_from(base: &mut BaseDraw, p: &Params) -> Run {
    let params = p.sanitized();
    let draws = base.draws(&params);
    // draw() makes every shape agree, so the checks of bptt() are not needed here.
    let bptt = bptt::bptt_checked(
        params.cell,
        params.activation,
        &draws.weights,
        &draws.inputs,
        &draws.v,
    );
    let clipped_grad = clip_gradient(&bptt.grad, params.clip);
    let clipped_param_grad_norm = clipped_grad.global_norm();
    let linear_theory = (params.cell == CellKind::Rnn && params.activation == Activation::Identity)
        .then(|| linear_theory(params.rho, params.steps));
    Run {
        params,
        draws,
        bptt,
        clipped_grad,
        clipped_param_grad_norm,
        linear_theory,
    }
}

#[cfg(test)]
mod tests;
