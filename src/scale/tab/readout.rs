//! The tab's readout: what it shows now, in plain lines (what `m` copies and
//! `snapshot --readout` prints).

use std::fmt::Write;

use strum::IntoEnumIterator;

use super::render::{num, vector};
use super::settings::setting;
use super::{Control, PlaneRun, ScaleTab, View};
use crate::components::controls::ControlSet;

impl ScaleTab {
    /// The settings, the step shown with its figures, Problem 3a's check, the sweep's slope,
    /// the decay run's balance and the note's verdict.
    pub(super) fn readout_text(&self) -> String {
        let mut out = String::from("Scale invariance (Problem 3)\n");
        for c in Control::iter() {
            let _ = writeln!(
                out,
                "{}: {}",
                self.settings.label(c),
                self.settings.value(c)
            );
        }
        let _ = writeln!(out, "seed: {}", self.settings.seed);
        let view = match self.view {
            View::Plane => "the plane",
            View::Charts => "the charts",
        };
        let _ = writeln!(out, "small screens show: {view}");
        if let Some(e) = self.worker.error() {
            let _ = writeln!(out, "error: {e}");
        }
        if self.shown.is_none() {
            out.push_str("computing the descent\n");
            return out;
        }
        self.write_step(&mut out);
        self.write_scaling(&mut out);
        if let Some(story) = self.story() {
            let _ = writeln!(out, "note: {story}");
        }
        out
    }

    /// The run the plane follows at the step shown.
    fn write_step(&self, out: &mut String) {
        let Some(run) = self.plane() else {
            return;
        };
        let (name, effective) = match self.plane_run {
            PlaneRun::WithoutDecay => ("plain descent", "η/‖x_k‖²"),
            PlaneRun::WithDecay => ("with weight decay", "η/((1 − ηλ)‖x_k‖²)"),
        };
        let at = |series: &[f64], k: usize| num(series.get(k).copied().unwrap_or(f64::NAN));
        let _ = writeln!(out, "plane: {name}, {}", self.status_words());
        let k = self.frame().min(run.steps_taken());
        let _ = writeln!(
            out,
            "at step {k}: x_k = {}, ‖x_k‖ = {}, f(x_k) = {}, effective step {effective} = {}",
            run.point(k).map_or_else(|| "-".to_string(), vector),
            at(&run.norms, k),
            at(&run.loss, k),
            at(&run.effective_lr, k),
        );
        if let Some(k) = run.steps_taken().checked_sub(1).map(|last| k.min(last)) {
            let increment = run.norm_sq_increment.get(k).copied().unwrap_or(f64::NAN);
            let predicted = run
                .grad_norm_sq_times_lr_sq
                .get(k)
                .copied()
                .unwrap_or(f64::NAN);
            let remark = Self::growth_remark(run, increment, predicted)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "step {k} to {}: ‖x_k+1‖² − ‖x_k‖² = {}{remark}, η²‖∇f(x_k)‖² = {}, \
                 first-order gap = {}",
                k + 1,
                num(increment),
                num(predicted),
                at(&run.first_order_gap, k),
            );
        } else {
            out.push_str("no step taken\n");
        }
        if let Some(r) = run.runaway {
            let _ = writeln!(out, "ran away at step {}: {}", r.step, r.reason);
        }
    }

    /// Problem 3a at x₀, the η sweep's slope and the decay run's balance.
    fn write_scaling(&self, out: &mut String) {
        let Some(shown) = &self.shown else {
            return;
        };
        let plain = &shown.exploration.without_decay;
        let gs = &plain.grad_scaling;
        let _ = writeln!(
            out,
            "3a at x = x₀ = {}, λ = {}: f(x) = {}, f(λx) = {}",
            vector(&gs.x),
            setting(gs.lambda),
            num(gs.value_at_x),
            num(gs.value_at_lambda_x),
        );
        let _ = writeln!(out, "3a ∇f(λx) = {}", vector(&gs.grad_at_lambda_x));
        let _ = writeln!(out, "3a ∇f(x)/λ = {}", vector(&gs.grad_over_lambda));
        let _ = writeln!(
            out,
            "3a largest |difference| = {}, ⟨x, ∇f(x)⟩ = {}",
            num(gs.max_abs_diff),
            num(gs.inner_product_x_grad),
        );
        match plain.eta_sweep_slope() {
            Some(s) => {
                let _ = writeln!(out, "one-step gap against η: slope {s:.2}");
            }
            None => out.push_str("one-step gap against η: no fit (zero gap)\n"),
        }
        let decay_run = &shown.exploration.with_decay;
        // A run that stopped early has no balance to compare with.
        if decay_run.weight_decay > 0.0
            && decay_run.runaway.is_none()
            && let Some(b) = decay_run.band()
        {
            let _ = writeln!(
                out,
                "decay run: RMS ‖x‖ {} vs balance {} (steps {}–{})",
                num(b.rms_norm),
                num(b.predicted_norm),
                b.from_step,
                b.to_step,
            );
        }
    }

    /// The step shown in words: "step 3 of 200, paused, speed x2".
    fn status_words(&self) -> String {
        let state = if self.playback.playing() {
            "playing"
        } else if self.playback.at_end() {
            "finished"
        } else {
            "paused"
        };
        let speed = self.playback.speed();
        let speed = if speed < 1.0 {
            format!("x1/{}", (1.0 / speed).round())
        } else {
            format!("x{speed}")
        };
        format!(
            "step {} of {}, {state}, speed {speed}",
            self.frame(),
            self.last_frame()
        )
    }
}
