//! The tab's settings: what the controls panel lists and the keys change, and the parameters
//! they describe for the model.

use super::super::model::{Function, MAX_STEPS, Params, default_start, robust_norm};
use crate::components::controls::ControlSet;
use crate::controls::{Cycle, Ladder};
use crate::numfmt;
use crate::widgets::slider::{linear_position, log_position};

/// Step sizes offered for η.
const LR_LADDER: Ladder<f64> = Ladder(&[0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
/// Scales offered for the λ of Problem 3a.
const LAMBDA_LADDER: Ladder<f64> = Ladder(&[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
]);
/// Weight decays offered (0 first); the tab keeps η·λ_wd below 1.
pub(super) const DECAY_LADDER: Ladder<f64> =
    Ladder(&[0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0]);
/// Gradient noise σ offered (0 first).
const NOISE_LADDER: Ladder<f64> = Ladder(&[0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]);
/// Run lengths offered.
const STEPS_LADDER: Ladder<usize> = Ladder(&[50, 100, 200, 500, 1000, 2000]);
/// How far one key press turns the start point, in degrees.
pub(super) const ANGLE_STEP_DEG: f64 = 5.0;
/// How much one key press scales the start norm.
pub(super) const NORM_FACTOR: f64 = 1.25;
/// Range of the start norm.
pub(super) const NORM_RANGE: (f64, f64) = (0.05, 20.0);
/// The tab opens with this weight decay, so the comparison shows at once.
pub(super) const DEFAULT_DECAY: f64 = 0.5;

/// The adjustable controls, in the order of the controls panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Control {
    Function,
    Lr,
    Lambda,
    StartAngle,
    StartNorm,
    WeightDecay,
    Noise,
    Steps,
}

/// What the controls set (and the seed of the noise, which `n` changes).
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub function: Function,
    pub lr: f64,
    pub lambda: f64,
    pub start_angle_deg: f64,
    pub start_norm: f64,
    pub weight_decay: f64,
    pub noise: f64,
    pub seed: u64,
    pub steps: usize,
}

impl Default for Settings {
    /// The model's default parameters, and a weight decay to compare with.
    fn default() -> Settings {
        let defaults = Params::default();
        let start = default_start(2);
        Settings {
            function: defaults.function,
            lr: defaults.lr,
            lambda: defaults.lambda,
            start_angle_deg: start[1].atan2(start[0]).to_degrees(),
            start_norm: robust_norm(&start),
            weight_decay: DEFAULT_DECAY,
            noise: defaults.noise,
            seed: defaults.seed,
            steps: defaults.steps,
        }
    }
}

impl Settings {
    /// The parameters the settings describe (always 2-D).
    pub fn params(&self) -> Params {
        let angle = self.start_angle_deg.to_radians();
        Params {
            function: self.function,
            dim: 2,
            lr: self.lr,
            steps: self.steps.min(MAX_STEPS),
            init: Some(vec![
                self.start_norm * angle.cos(),
                self.start_norm * angle.sin(),
            ]),
            lambda: self.lambda,
            weight_decay: self.weight_decay,
            noise: self.noise,
            seed: self.seed,
        }
    }

    /// The next (or previous) function, keeping the ratio's start point off the y axis.
    pub(super) fn cycle_function(&mut self, forward: bool) {
        self.function = if forward {
            self.function.next()
        } else {
            self.function.prev()
        };
        self.avoid_axis();
    }

    /// y/x is undefined on the y axis: keep the ratio's start point off it.
    fn avoid_axis(&mut self) {
        if self.function == Function::Ratio && self.start_angle_deg.to_radians().cos().abs() < 1e-6
        {
            self.start_angle_deg += ANGLE_STEP_DEG;
        }
    }

    /// Turns the start point by `degrees`, within (−180°, 180°] and off the ratio's y axis.
    pub(super) fn rotate(&mut self, degrees: f64) {
        let mut angle = self.start_angle_deg + degrees;
        if angle > 180.0 {
            angle -= 360.0;
        } else if angle <= -180.0 {
            angle += 360.0;
        }
        self.start_angle_deg = angle;
        if self.function == Function::Ratio && angle.to_radians().cos().abs() < 1e-6 {
            self.rotate(degrees);
        }
    }

    /// Scales the start norm by `factor`, within [`NORM_RANGE`].
    pub(super) fn scale_norm(&mut self, factor: f64) {
        self.start_norm = (self.start_norm * factor).clamp(NORM_RANGE.0, NORM_RANGE.1);
    }

    /// Keeps η·λ_wd < 1 (the decay factor 1 − ηλ_wd must stay positive).
    fn fit_decay(&mut self) {
        if self.lr * self.weight_decay >= 1.0 {
            self.weight_decay = DECAY_LADDER
                .0
                .iter()
                .copied()
                .rfind(|d| self.lr * d < 1.0)
                .unwrap_or(0.0);
        }
    }

    /// A position on a slider for the index of `value` on a ladder.
    fn rung(ladder: Ladder<f64>, value: f64) -> f64 {
        linear_position(
            ladder.position(value) as f64,
            0.0,
            (ladder.0.len() - 1) as f64,
        )
    }
}

/// A control's setting as shown (fewer digits than computed values).
pub(super) fn setting(v: f64) -> String {
    numfmt::general(v, 3)
}

impl ControlSet for Settings {
    type Id = Control;

    fn label(&self, id: Control) -> &'static str {
        match id {
            Control::Function => "function",
            Control::Lr => "step η",
            Control::Lambda => "scale λ",
            Control::StartAngle => "start angle",
            Control::StartNorm => "start ‖x₀‖",
            Control::WeightDecay => "weight decay",
            Control::Noise => "noise σ",
            Control::Steps => "steps",
        }
    }

    fn value(&self, id: Control) -> String {
        match id {
            Control::Function => self.function.name().to_string(),
            Control::Lr => setting(self.lr),
            Control::Lambda => setting(self.lambda),
            Control::StartAngle => format!("{:.1}°", self.start_angle_deg),
            Control::StartNorm => setting(self.start_norm),
            Control::WeightDecay => setting(self.weight_decay),
            Control::Noise => setting(self.noise),
            Control::Steps => self.steps.to_string(),
        }
    }

    fn position(&self, id: Control) -> Option<f64> {
        Some(match id {
            Control::Function => linear_position(
                self.function.index() as f64,
                0.0,
                (Function::ALL.len() - 1) as f64,
            ),
            Control::Lr => log_position(self.lr, 1e-3, 1.0),
            Control::Lambda => log_position(self.lambda, 1e-2, 1e2),
            Control::StartAngle => linear_position(self.start_angle_deg, -180.0, 180.0),
            Control::StartNorm => log_position(self.start_norm, NORM_RANGE.0, NORM_RANGE.1),
            Control::WeightDecay => Settings::rung(DECAY_LADDER, self.weight_decay),
            Control::Noise => Settings::rung(NOISE_LADDER, self.noise),
            Control::Steps => log_position(self.steps as f64, 50.0, 2000.0),
        })
    }

    fn adjust(&mut self, id: Control, up: bool) -> bool {
        let before = self.clone();
        match id {
            Control::Function => self.cycle_function(up),
            Control::Lr => {
                self.lr = LR_LADDER.step(self.lr, up);
                self.fit_decay();
            }
            Control::Lambda => self.lambda = LAMBDA_LADDER.step(self.lambda, up),
            Control::StartAngle => self.rotate(if up { ANGLE_STEP_DEG } else { -ANGLE_STEP_DEG }),
            Control::StartNorm => self.scale_norm(if up { NORM_FACTOR } else { 1.0 / NORM_FACTOR }),
            Control::WeightDecay => {
                let next = DECAY_LADDER.step(self.weight_decay, up);
                if self.lr * next < 1.0 {
                    self.weight_decay = next;
                }
            }
            Control::Noise => self.noise = NOISE_LADDER.step(self.noise, up),
            Control::Steps => self.steps = STEPS_LADDER.step(self.steps, up),
        }
        *self != before
    }
}
