//! The tab's settings as a control list: the parameters of both runs and the clip threshold
//! kept while clipping is off, each control with its label, shown value, track and notch.

use crate::components::controls::ControlSet;
use crate::controls::{Cycle, Ladder};
use crate::numfmt;
use crate::rnn::model::{Clip, Params};
use crate::widgets::slider::{linear_position, log_position};

/// The controls, in the order they are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Control {
    Rho,
    Activation,
    Hidden,
    Steps,
    ForgetBias,
    Clip,
    ClipThreshold,
    InputScale,
    Init,
    Seed,
}

/// Range of ρ on the slider (the model accepts up to `model::MAX_RHO`).
pub(super) const RHO_MAX: f64 = 3.0;
const RHO_STEP: f64 = 0.05;
pub(super) const HIDDEN: Ladder<usize> = Ladder(&[2, 4, 8, 16, 32, 64, 128, 256, 512]);
const STEPS: Ladder<usize> = Ladder(&[10, 20, 50, 100, 200, 500, 1000, 2000]);
pub(super) const CLIP_THRESHOLDS: Ladder<f64> = Ladder(&[
    0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0,
]);
const FORGET_BIAS_RANGE: (f64, f64) = (-4.0, 6.0);
const FORGET_BIAS_STEP: f64 = 0.5;
const INPUT_SCALE_RANGE: (f64, f64) = (0.0, 4.0);
const INPUT_SCALE_STEP: f64 = 0.25;

/// What the controls change: the parameters of both runs, and the threshold c kept while
/// clipping is off, so switching it back on restores it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    pub params: Params,
    pub clip_threshold: f64,
}

impl Settings {
    /// `params` brought into range, with their threshold (1 while clipping is off).
    pub fn new(params: Params) -> Settings {
        let params = params.sanitized();
        Settings {
            params,
            clip_threshold: params.clip.threshold().unwrap_or(1.0),
        }
    }
}

impl ControlSet for Settings {
    type Id = Control;

    fn label(&self, c: Control) -> &'static str {
        match c {
            Control::Rho => "rho",
            Control::Activation => "activation",
            Control::Hidden => "hidden H",
            Control::Steps => "steps T",
            Control::ForgetBias => "forget bias",
            Control::Clip => "clip",
            Control::ClipThreshold => "clip c",
            Control::InputScale => "input std",
            Control::Init => "init",
            Control::Seed => "seed",
        }
    }

    fn value(&self, c: Control) -> String {
        let p = &self.params;
        match c {
            Control::Rho => format!("{:.2}", p.rho),
            Control::Activation => p.activation.name().to_string(),
            Control::Hidden => p.hidden.to_string(),
            Control::Steps => p.steps.to_string(),
            Control::ForgetBias => format!("{:.1}", p.forget_bias),
            Control::Clip => p.clip.name().to_string(),
            Control::ClipThreshold => numfmt::general(self.clip_threshold, 2),
            Control::InputScale => format!("{:.2}", p.input_scale),
            Control::Init => p.init.name().to_string(),
            Control::Seed => p.seed.to_string(),
        }
    }

    fn position(&self, c: Control) -> Option<f64> {
        let p = &self.params;
        fn index<T: Cycle>(v: T) -> f64 {
            v.index() as f64 / (T::ALL.len().max(2) - 1) as f64
        }
        Some(match c {
            Control::Rho => linear_position(p.rho, 0.0, RHO_MAX),
            Control::Activation => index(p.activation),
            Control::Hidden => log_position(p.hidden as f64, 2.0, 512.0),
            Control::Steps => log_position(p.steps as f64, 10.0, 2000.0),
            Control::ForgetBias => {
                linear_position(p.forget_bias, FORGET_BIAS_RANGE.0, FORGET_BIAS_RANGE.1)
            }
            Control::Clip => match p.clip {
                Clip::None => 0.0,
                Clip::Norm(_) => 0.5,
                Clip::Value(_) => 1.0,
            },
            Control::ClipThreshold => log_position(self.clip_threshold, 0.01, 100.0),
            Control::InputScale => {
                linear_position(p.input_scale, INPUT_SCALE_RANGE.0, INPUT_SCALE_RANGE.1)
            }
            Control::Init => index(p.init),
            Control::Seed => return None,
        })
    }

    /// One notch; false when the control is already at its end.
    fn adjust(&mut self, c: Control, up: bool) -> bool {
        let before = *self;
        let notch = |v: f64, step: f64, (lo, hi): (f64, f64)| {
            let n = (v / step).round() + if up { 1.0 } else { -1.0 };
            (n * step).clamp(lo, hi)
        };
        let p = &mut self.params;
        match c {
            Control::Rho => p.rho = notch(p.rho, RHO_STEP, (0.0, RHO_MAX)),
            Control::Activation => {
                p.activation = if up {
                    p.activation.next()
                } else {
                    p.activation.prev()
                }
            }
            Control::Hidden => p.hidden = HIDDEN.step(p.hidden, up),
            Control::Steps => p.steps = STEPS.step(p.steps, up),
            Control::ForgetBias => {
                p.forget_bias = notch(p.forget_bias, FORGET_BIAS_STEP, FORGET_BIAS_RANGE)
            }
            Control::Clip => {
                p.clip = if up {
                    p.clip.next(self.clip_threshold)
                } else {
                    p.clip.prev(self.clip_threshold)
                }
            }
            Control::ClipThreshold => {
                self.clip_threshold = CLIP_THRESHOLDS.step(self.clip_threshold, up);
                p.clip = p.clip.with_threshold(self.clip_threshold);
            }
            Control::InputScale => {
                p.input_scale = notch(p.input_scale, INPUT_SCALE_STEP, INPUT_SCALE_RANGE)
            }
            Control::Init => p.init = if up { p.init.next() } else { p.init.prev() },
            Control::Seed => {
                p.seed = if up {
                    p.seed.saturating_add(1)
                } else {
                    p.seed.saturating_sub(1)
                }
            }
        }
        *self != before
    }
}
