//! The lab's settings as a control list: each control's label, shown value, place on its
//! ladder and step. A step the model would refuse (`Lab::validate`) changes nothing.

use crate::components::controls::ControlSet;
use crate::controls::Ladder;
use crate::train::model::{Lab, Optimizer, Task};

/// Classes of the recall task in the tab.
pub const RECALL_CLASSES: usize = 8;

/// The rows of the control list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Control {
    Task,
    Steps,
    Hidden,
    Batch,
    Optimizer,
    Lr,
    Clip,
    ClipC,
    Rho,
    ForgetBias,
    Iterations,
}

const STEPS: Ladder<usize> = Ladder(&[5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000]);
const HIDDEN: Ladder<usize> = Ladder(&[4, 8, 16, 32, 64, 128, 256]);
const BATCH: Ladder<usize> = Ladder(&[1, 4, 8, 16, 32, 64, 128, 256]);
const LR: Ladder<f64> = Ladder(&[1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.05, 0.1, 0.3, 1.0]);
const CLIP_C: Ladder<f64> = Ladder(&[0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0]);
const RHO: Ladder<f64> = Ladder(&[0.5, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 2.0, 3.0]);
const FORGET: Ladder<f64> = Ladder(&[-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 5.0]);
const ITERATIONS: Ladder<usize> = Ladder(&[
    10, 20, 50, 100, 200, 300, 500, 1000, 1500, 2000, 3000, 5000, 10_000,
]);

/// An optional setting on a ladder: "off" sits below the lowest rung.
fn step_optional(ladder: Ladder<f64>, current: Option<f64>, up: bool) -> Option<f64> {
    let (lo, _) = ladder.bounds()?;
    match current {
        None if up => Some(lo),
        None => None,
        Some(v) if !up && v <= lo => None,
        Some(v) => Some(ladder.step(v, up)),
    }
}

/// Where `v` sits on `ladder`'s track, in [0, 1].
fn rung<T: Copy + PartialOrd>(ladder: Ladder<T>, v: T) -> f64 {
    ladder.position(v) as f64 / (ladder.0.len().max(2) - 1) as f64
}

/// An optional setting's place: off at the left end, then the rungs.
fn optional_rung(ladder: Ladder<f64>, v: Option<f64>) -> f64 {
    v.map_or(0.0, |v| {
        (ladder.position(v) + 1) as f64 / ladder.0.len().max(1) as f64
    })
}

impl ControlSet for Lab {
    type Id = Control;

    fn label(&self, c: Control) -> &'static str {
        match c {
            Control::Task => "task",
            Control::Steps => "steps T",
            Control::Hidden => "hidden H",
            Control::Batch => "batch",
            Control::Optimizer => "optimizer",
            Control::Lr => "lr",
            Control::Clip => "clip",
            Control::ClipC => "clip c",
            Control::Rho => "rho",
            Control::ForgetBias => "forget b",
            Control::Iterations => "iterations",
        }
    }

    fn value(&self, c: Control) -> String {
        let opt = |v: Option<f64>, off: &str| v.map_or(off.to_string(), |x| x.to_string());
        match c {
            Control::Task => match self.task {
                Task::Adding => "adding".into(),
                Task::Recall { classes } => format!("recall:{classes}"),
            },
            Control::Steps => self.steps.to_string(),
            Control::Hidden => self.hidden.to_string(),
            Control::Batch => self.batch.to_string(),
            Control::Optimizer => match self.optimizer {
                Optimizer::Adam => "adam".into(),
                Optimizer::Sgd { momentum } => format!("sgd m={momentum}"),
            },
            Control::Lr => self.lr.to_string(),
            Control::Clip => self.clip.name().into(),
            Control::ClipC => opt(self.clip.threshold(), "-"),
            Control::Rho => opt(self.rho, "draw"),
            Control::ForgetBias => opt(self.forget_bias, "draw"),
            Control::Iterations => self.iterations.to_string(),
        }
    }

    fn position(&self, c: Control) -> Option<f64> {
        use crate::grad::Clip;
        Some(match c {
            Control::Task => match self.task {
                Task::Adding => 0.0,
                Task::Recall { .. } => 1.0,
            },
            Control::Steps => rung(STEPS, self.steps),
            Control::Hidden => rung(HIDDEN, self.hidden),
            Control::Batch => rung(BATCH, self.batch),
            Control::Optimizer => match self.optimizer {
                Optimizer::Adam => 0.0,
                Optimizer::Sgd { .. } => 1.0,
            },
            Control::Lr => rung(LR, self.lr),
            Control::Clip => match self.clip {
                Clip::None => 0.0,
                Clip::Norm(_) => 0.5,
                Clip::Value(_) => 1.0,
            },
            Control::ClipC => rung(CLIP_C, self.clip.threshold()?),
            Control::Rho => optional_rung(RHO, self.rho),
            Control::ForgetBias => optional_rung(FORGET, self.forget_bias),
            Control::Iterations => rung(ITERATIONS, self.iterations),
        })
    }

    /// One step; false when already at its end, or when the model refuses the new settings.
    fn adjust(&mut self, c: Control, up: bool) -> bool {
        let before = self.clone();
        match c {
            Control::Task => {
                self.task = match self.task {
                    Task::Adding => Task::Recall {
                        classes: RECALL_CLASSES,
                    },
                    Task::Recall { .. } => Task::Adding,
                }
            }
            Control::Steps => self.steps = STEPS.step(self.steps, up),
            Control::Hidden => self.hidden = HIDDEN.step(self.hidden, up),
            Control::Batch => self.batch = BATCH.step(self.batch, up),
            Control::Optimizer => {
                self.optimizer = match self.optimizer {
                    Optimizer::Adam => Optimizer::Sgd { momentum: 0.9 },
                    Optimizer::Sgd { .. } => Optimizer::Adam,
                }
            }
            Control::Lr => self.lr = LR.step(self.lr, up),
            Control::Clip => {
                let c = self.clip.threshold().unwrap_or(1.0);
                self.clip = if up {
                    self.clip.next(c)
                } else {
                    self.clip.prev(c)
                };
            }
            Control::ClipC => {
                if let Some(c) = self.clip.threshold() {
                    self.clip = self.clip.with_threshold(CLIP_C.step(c, up));
                }
            }
            Control::Rho => self.rho = step_optional(RHO, self.rho, up),
            Control::ForgetBias => self.forget_bias = step_optional(FORGET, self.forget_bias, up),
            Control::Iterations => self.iterations = ITERATIONS.step(self.iterations, up),
        }
        if self.validate().is_err() {
            *self = before;
            return false;
        }
        *self != before
    }
}
