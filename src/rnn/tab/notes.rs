//! The notes beside the charts, one per part of Problem 6, in our own words. Each is written
//! from the run it sits beside, so what it states is what the computation shows.

use super::Computed;
use crate::grad::Clip;
use crate::numfmt;
use crate::rnn::model::{Activation, Verdict, gradient_ratio, rho_power_text, sigmoid};
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

/// 6b: with ReLU, how many units pass the gradient and what that does to ρ's prediction.
fn note_6b(r: &Computed) -> String {
    let saturating = "tanh and sigmoid have φ' ≤ 1 (sigmoid ≤ 1/4), near 0 when saturated: each step back scales the gradient's entries by at most that, on top of W_hhᵀ.";
    match (r.params.activation, r.rnn.bptt.active_fraction) {
        (Activation::Relu, Some(active)) => format!(
            "ReLU passes the gradient only through active units (h > 0) and blocks the rest: in this run {}% of the units are active over the pass, so ρ alone does not decide. ‖∂ℓ/∂h_0‖ = {} while ρ^T = {}.",
            numfmt::general(100.0 * active, 2),
            n(r.rnn.bptt.grad_h.first().copied().unwrap_or(f64::NAN)),
            rho_power(r),
        ),
        _ => format!(
            "{saturating} Choose relu (a) to see how many units it switches off in this run."
        ),
    }
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
