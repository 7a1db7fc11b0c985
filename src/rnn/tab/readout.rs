//! The figures at the backward pass's position t: the rows of the readout panel, and the
//! tab's whole state as plain lines (what the copy key and `snapshot --readout` give).

use super::{Act, Computed, Control, KEYS, RnnTab, SidePanel};
use strum::IntoEnumIterator;

use crate::components::controls::ControlSet;
use crate::keymap;
use crate::numfmt;
use crate::rnn::model::{CellSplit, Clip, Run, Verdict, gradient_ratio, rho_power_text};

/// How a readout row's values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tone {
    Number,
    Bad,
}

/// One row of the readout panel.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Row {
    /// A label and each run's value ("-" where a run has none).
    Pair {
        label: String,
        rnn: String,
        lstm: String,
        tone: Tone,
    },
    /// A remark across both columns.
    Remark(String),
    /// A warning of the draws.
    Warning(String),
}

/// A figure with three significant digits, as the tab shows them.
pub(super) fn num(x: f64) -> String {
    numfmt::general(x, 3)
}

/// The value at index t, if there is one.
pub(super) fn at(values: &[f64], t: usize) -> Option<f64> {
    values.get(t).copied()
}

fn pair(label: &str, rnn: Option<f64>, lstm: Option<f64>) -> Row {
    let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), num);
    Row::Pair {
        label: label.to_string(),
        rnn: cell(rnn),
        lstm: cell(lstm),
        tone: Tone::Number,
    }
}

fn words(label: &str, rnn: String, lstm: String, tone: Tone) -> Row {
    Row::Pair {
        label: label.to_string(),
        rnn,
        lstm,
        tone,
    }
}

/// Where a run's gradient first overflowed: "t=…" or "none".
fn overflow(run: &Run) -> String {
    match run.bptt.overflow_from {
        Some(t) => format!("t={t}"),
        None => "none".into(),
    }
}

/// The rows of the clipping setting: the clipped norms and PyTorch's coefficient, or a remark
/// naming the key that turns clipping on.
fn clipping_rows(r: &Computed, unicode: bool) -> Vec<Row> {
    match r.params.clip {
        Clip::None => vec![Row::Remark(format!(
            "clipping off ({}: on)",
            keymap::keys_of(&KEYS, Act::NextClip, unicode)
        ))],
        clip => {
            let mut rows = vec![pair(
                &format!("clipped {}", clip.name()),
                Some(r.rnn.clipped_param_grad_norm),
                Some(r.lstm.clipped_param_grad_norm),
            )];
            if let Clip::Norm(_) = clip {
                rows.push(pair(
                    "torch coef",
                    Some(clip.norm_coefficient(r.rnn.bptt.param_grad_norm)),
                    Some(clip.norm_coefficient(r.lstm.bptt.param_grad_norm)),
                ));
            }
            rows
        }
    }
}

/// The readout panel's rows for `r` at t (below its header); the clipping rows come first so
/// that they show in the smallest panel.
pub(super) fn rows(r: &Computed, t: usize, unicode: bool) -> Vec<Row> {
    let ratio = |run: &Run| gradient_ratio(&run.bptt.grad_h);
    let split =
        |f: fn(&CellSplit) -> &Vec<f64>| r.lstm.bptt.cell_split.as_ref().and_then(|s| at(f(s), t));
    let mut out = vec![
        pair(
            "‖∂ℓ/∂h_t‖",
            at(&r.rnn.bptt.grad_h, t),
            at(&r.lstm.bptt.grad_h, t),
        ),
        pair(
            "‖∂ℓ/∂c_t‖",
            None,
            r.lstm.bptt.grad_c.as_deref().and_then(|g| at(g, t)),
        ),
        pair(
            "‖∇θ ℓ‖",
            Some(r.rnn.bptt.param_grad_norm),
            Some(r.lstm.bptt.param_grad_norm),
        ),
    ];
    out.extend(clipping_rows(r, unicode));
    out.push(words(
        "overflow",
        overflow(&r.rnn),
        overflow(&r.lstm),
        Tone::Bad,
    ));
    out.push(pair("ratio 0/T", Some(ratio(&r.rnn)), Some(ratio(&r.lstm))));
    out.push(words(
        "verdict",
        Verdict::of(ratio(&r.rnn)).word().to_string(),
        Verdict::of(ratio(&r.lstm)).word().to_string(),
        Tone::Number,
    ));
    out.push(words(
        "ρ^T (linear)",
        rho_power_text(r.params.rho, r.params.steps),
        "-".into(),
        Tone::Number,
    ));
    out.push(pair(
        "ρ^(T−t)",
        r.rnn.linear_theory.as_deref().and_then(|g| at(g, t)),
        None,
    ));
    out.push(pair("cell path", None, split(|s| &s.cell_path)));
    out.push(pair("via W_hh", None, split(|s| &s.through_w_hh)));
    out.push(pair(
        "max ∏ f",
        None,
        r.lstm.bptt.forget_product.as_deref().and_then(|g| at(g, t)),
    ));
    for w in r.rnn.draws.warnings.iter().chain(&r.lstm.draws.warnings) {
        out.push(Row::Warning(w.clone()));
    }
    out
}

impl RnnTab {
    /// What the tab shows now, in plain lines: the settings, the spectral radius, where the
    /// backward pass is, and at that t both runs' figures as the readout panel has them.
    pub(super) fn readout_text(&self) -> String {
        let s = &self.settings;
        let settings: Vec<String> = Control::iter()
            .map(|c| format!("{} {}", s.label(c), s.value(c)))
            .collect();
        let mut out = vec![
            "RNN vs LSTM: the backward pass through both cells".to_string(),
            format!("settings: {}", settings.join(", ")),
            format!("chosen control: {}", s.label(self.focus())),
        ];
        if let Some(e) = self.error() {
            out.push(format!("error: {e}"));
        }
        let Some(r) = &self.result else {
            out.push("computing".to_string());
            return out.join("\n");
        };
        let t = self.cursor();
        out.push(format!(
            "spectral radius of W_hh: max|λ| = {}",
            num(r.spectral_radius)
        ));
        let state = if self.playing() { "playing" } else { "paused" };
        out.push(format!(
            "backward pass at t = {t} of T = {}, {state}, speed x{}",
            r.params.steps,
            speed_text(self.speed())
        ));
        let ratio_to_t = |run: &Run| run.bptt.grad_h.get(t..).map(gradient_ratio);
        out.push(format!(
            "at t = {t}: ‖∂ℓ/∂h_t‖ / ‖∂ℓ/∂h_T‖: RNN {}, LSTM {}",
            ratio_to_t(&r.rnn).map_or_else(|| "-".into(), num),
            ratio_to_t(&r.lstm).map_or_else(|| "-".into(), num),
        ));
        for row in rows(r, t, true) {
            out.push(match row {
                Row::Pair {
                    label, rnn, lstm, ..
                } => format!("{label}: RNN {rnn}, LSTM {lstm}"),
                Row::Remark(text) => text,
                Row::Warning(text) => format!("warning: {text}"),
            });
        }
        if self.show_steps {
            out.push("each step's term of ∂ℓ/∂W_hh is drawn".to_string());
        }
        out.push(format!(
            "side panel (small screens): {}",
            match self.side {
                SidePanel::Eigenvalues => "eigenvalues".to_string(),
                SidePanel::Readout => "readout".to_string(),
                SidePanel::Note(i) => format!("note {} of {}", i + 1, super::NOTE_COUNT),
            }
        ));
        out.join("\n")
    }
}

/// A speed multiple as a short fraction: 1/8, 1/2, 1, 4.
pub(super) fn speed_text(speed: f64) -> String {
    if speed >= 1.0 {
        format!("{speed:.0}")
    } else {
        format!("1/{:.0}", 1.0 / speed)
    }
}
