//! The notes beside the charts, one per part of Problem 6, in our own words. Each is written
//! from the run it sits beside, so what it states is what the computation shows.
//!
//! Which test guards which claim (all in `tests.rs`; `claims_hold_across_the_settings_grid`
//! sweeps ρ × activation × init × clipping × forget bias and computes each counterfactual):
//! - 6a's verdict ("grows/shrinks by more than 10x", "roughly preserved"): the sweep, from the
//!   curve's own ratio.
//! - 6a's "exactly for an orthogonal W_hh": the sweep, on the identity run of the same draw;
//!   "after a transient for a Gaussian one": `a_gaussian_recurrence_grows_at_rho_per_step_in_the_long_run`.
//! - 6b's "at most 1" / "at most 1/4" per step back: the sweep, against ‖W_hh‖₂ by power
//!   iteration; "within a factor of 10 of ρ^T" and "ρ alone does not predict it": the sweep,
//!   from the curve; the active share: `relu_note_states_this_runs_active_share`.
//! - 6c's "no plotted ‖∂ℓ/∂h_t‖ changes", "only shrinks", "1 (unchanged)", "caps each entry":
//!   the sweep, against the run without clipping.
//! - 6d's "most … comes through W_hh / along the cell path": the sweep; the split itself:
//!   `model::tests::lstm_cell_gradient_splits_into_the_cell_path_and_the_rest`.
//! - The summary's "rho^T is exact" and its reasons for a gap: the sweep.

use super::Computed;
use crate::grad::Clip;
use crate::numfmt;
use crate::rnn::model::{Activation, LinearGap, Verdict, gradient_ratio, rho_power_text, sigmoid};
use crate::text::spelled;

/// How many notes there are (6a … 6d).
pub const NOTE_COUNT: usize = 4;

fn n(x: f64) -> String {
    numfmt::general(x, 3)
}

/// ρ^T, the linear theory's ‖∂ℓ/∂h_0‖ / ‖∂ℓ/∂h_T‖, written even beyond f64.
fn rho_power(r: &Computed) -> String {
    rho_power_text(r.params.rho, r.params.steps)
}

/// 6a: the RNN's ratio, its verdict and the linear theory beside it.
fn note_6a(r: &Computed) -> String {
    let ratio = gradient_ratio(&r.rnn.bptt.grad_h);
    format!(
        "Each step back multiplies the gradient by W_hhᵀ and φ'. With φ = identity its size follows ρ^(T−t): exactly for an orthogonal W_hh, after a transient for a Gaussian one. Here ρ = {}: the RNN's ‖∂ℓ/∂h_0‖/‖∂ℓ/∂h_T‖ = {}, so the gradient {}; ρ^T = {}.",
        numfmt::general(r.params.rho, 3),
        n(ratio),
        Verdict::of(ratio).phrase(),
        rho_power(r),
    )
}

/// 6b: what φ' does to each step back, and how far this run's ratio is from ρ^T.
fn note_6b(r: &Computed) -> String {
    let ratio = gradient_ratio(&r.rnn.bptt.grad_h);
    let gap = LinearGap::of(ratio, r.params.rho, r.params.steps);
    let compare = format!(
        "Here the RNN's ratio is {}, ρ^T = {}: {}",
        n(ratio),
        rho_power(r),
        gap.phrase(),
    );
    // Only a measured gap of more than a factor of 10 is called a disagreement.
    let decides = match gap {
        LinearGap::Off(_) => ", so ρ alone does not predict it.",
        _ => ".",
    };
    let blocks = "ReLU passes the gradient only through active units (h > 0) and blocks the rest";
    let mechanism = match r.params.activation {
        Activation::Relu => match r.rnn.bptt.active_fraction {
            Some(active) => format!(
                "{blocks}: in this run {}% of the units are active over the pass.",
                numfmt::general(100.0 * active, 2),
            ),
            None => format!("{blocks}."),
        },
        Activation::Identity => {
            "With φ = identity, φ' = 1: each step back is W_hhᵀ alone, the linear theory's setting.".to_string()
        }
        Activation::Sigmoid => {
            "sigmoid has φ' = h(1 − h) ≤ 1/4: each step back scales the gradient's entries by at most 1/4, on top of W_hhᵀ.".to_string()
        }
        Activation::Tanh => {
            "tanh has φ' = 1 − h² ≤ 1, near 0 where a unit saturates: each step back scales the gradient's entries by at most 1, on top of W_hhᵀ.".to_string()
        }
    };
    format!("{mechanism} {compare}{decides}")
}

/// 6c: what norm clipping does to this run's gradients, with PyTorch's coefficient.
fn note_6c(r: &Computed, threshold: f64) -> String {
    let clip = Clip::Norm(threshold);
    let (g_rnn, g_lstm) = (r.rnn.bptt.param_grad_norm, r.lstm.bptt.param_grad_norm);
    let coef = |g: f64| {
        let c = clip.norm_coefficient(g);
        if c == 1.0 {
            "1 (unchanged)".to_string()
        } else {
            n(c)
        }
    };
    format!(
        "Norm clipping multiplies the whole parameter gradient g by min(1, c/(‖g‖ + 1e-6)), PyTorch's clip_grad_norm_ coefficient. With c = {}: RNN ‖g‖ = {}, coefficient {}; LSTM ‖g‖ = {}, coefficient {}. It rescales only when the coefficient is below 1, acts after back-propagation (no plotted ‖∂ℓ/∂h_t‖ changes) and only shrinks, so it cannot bring back a vanished gradient. value:c caps each entry at ±c. Try it in the Training lab (tab 5).",
        numfmt::general(threshold, 2),
        n(g_rnn),
        coef(g_rnn),
        n(g_lstm),
        coef(g_lstm),
    )
}

/// 6d: the LSTM's ∂ℓ/∂c_0 split into the pure cell path and the rest, through W_hh.
fn note_6d(r: &Computed) -> String {
    let b = r.params.forget_bias;
    let head = format!(
        "The forget gate's bias b = {} gives sigmoid(b) = {}; each f_t also depends on x_t and h_(t−1).",
        numfmt::general(b, 3),
        numfmt::general(sigmoid(b), 3),
    );
    let full = r.lstm.bptt.grad_c.as_ref().and_then(|g| g.first().copied());
    let split = r.lstm.bptt.cell_split.as_ref().and_then(|s| {
        Some((
            s.cell_path.first().copied()?,
            s.through_w_hh.first().copied()?,
        ))
    });
    let (Some(full), Some((pure, rest))) = (full, split) else {
        return head;
    };
    let which = if rest > pure {
        "most of what reaches t = 0 comes through W_hh"
    } else {
        "most of what reaches t = 0 comes along the cell path"
    };
    format!(
        "{head} At t = 0 the total ‖∂ℓ/∂c_0‖ = {}; the pure cell path (h detached: the product of the f's applied to ∂ℓ/∂c_T) gives {}, the rest, through W_hh into the gates, {}: {which}. Try it in the Training lab (tab 5).",
        n(full),
        n(pure),
        n(rest),
    )
}

/// The notes for `result`: (part, text), spelled in ASCII unless `unicode`. `clip_threshold`
/// is the c of the clip control (used even while clipping is off).
pub fn notes(result: &Computed, clip_threshold: f64, unicode: bool) -> Vec<(&'static str, String)> {
    [
        ("6a", note_6a(result)),
        ("6b", note_6b(result)),
        ("6c", note_6c(result, clip_threshold)),
        ("6d", note_6d(result)),
    ]
    .into_iter()
    .map(|(tag, text)| (tag, spelled(&text, unicode).into_owned()))
    .collect()
}
