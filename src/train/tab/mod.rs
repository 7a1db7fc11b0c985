//! The training lab's tab: two runs trained at once on worker threads, chunk by chunk, so the
//! charts grow while the UI stays free; a list of controls that restart both runs with new
//! settings; the presets.
//!
//! Each run's [`Trainer`] travels to its worker with a request for a chunk of iterations and
//! comes back with the chunk's records; a new setting drops the workers, which marks their
//! running chunks stale (they stop after the iteration in progress).

pub mod notes;
mod render;

use std::time::Duration;

use crate::controls::{Cycle, Ladder};
use crate::jobs::{Cancel, Waker, Worker};
use crate::keymap::{Binding, Key, Nav};
use crate::tab::Tab;
use crate::theme::Ui;
use crate::train::model::{
    Activation, History, Lab, Optimizer, Preset, Record, RunConfig, Task, Trainer,
};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

/// How long a chunk of iterations runs before its records are shown (live runs only).
const CHUNK_TIME: Duration = Duration::from_millis(60);

/// Classes of the recall task in the tab.
pub const RECALL_CLASSES: usize = 8;

/// A request to a run's worker: train up to `max` iterations, for at most `budget`.
struct Chunk {
    trainer: Trainer,
    max: usize,
    budget: Option<Duration>,
}

/// A chunk's outcome: the trainer back and its records.
struct Trained {
    trainer: Trainer,
    records: Vec<Record>,
}

fn train_chunk(req: Chunk, cancel: &Cancel) -> Trained {
    let mut trainer = req.trainer;
    let deadline = req.budget.map(|b| std::time::Instant::now() + b);
    let records = trainer.run(req.max, &|| cancel.is_cancelled(), deadline);
    Trained { trainer, records }
}

/// One run: its settings, what it has shown so far, and its worker.
struct Run {
    config: RunConfig,
    history: History,
    /// ‖∂ℓ/∂h_t‖ of the latest batch.
    profile: Vec<f64>,
    /// The trainer while it is here (not in a chunk on the worker).
    trainer: Option<Trainer>,
    worker: Worker<Chunk, Trained>,
    error: Option<String>,
}

impl Run {
    fn new(config: RunConfig, waker: &Waker) -> Self {
        let (trainer, error) = match Trainer::new(config.clone()) {
            Ok(t) => (Some(t), None),
            Err(e) => (None, Some(e.to_string())),
        };
        Run {
            config,
            history: History::default(),
            profile: Vec::new(),
            trainer,
            worker: Worker::cancellable(waker, train_chunk),
            error,
        }
    }

    fn finished(&self) -> bool {
        self.error.is_some()
            || self.history.diverged
            || self.history.len() >= self.config.iterations
    }

    fn in_flight(&self) -> bool {
        self.trainer.is_none() && self.error.is_none()
    }

    /// Sends the next chunk if the trainer is here and has work left.
    fn send(&mut self, max: usize, budget: Option<Duration>) {
        if self.finished() {
            return;
        }
        if let Some(trainer) = self.trainer.take() {
            self.worker.submit(Chunk {
                trainer,
                max,
                budget,
            });
        }
    }

    /// Takes a finished chunk (waiting for it when `wait`); true when one arrived.
    fn receive(&mut self, wait: bool) -> bool {
        let got = if wait && self.in_flight() {
            self.worker.wait()
        } else {
            self.worker.take()
        };
        match got {
            Some(Ok(t)) => {
                for r in t.records {
                    self.history.push(r);
                }
                self.profile = t.trainer.profile().to_vec();
                self.trainer = Some(t.trainer);
                true
            }
            Some(Err(e)) => {
                self.error = Some(e.to_string());
                true
            }
            None => false,
        }
    }
}

/// The rows of the control list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

impl Cycle for Control {
    const ALL: &'static [Self] = &[
        Control::Task,
        Control::Steps,
        Control::Hidden,
        Control::Batch,
        Control::Optimizer,
        Control::Lr,
        Control::Clip,
        Control::ClipC,
        Control::Rho,
        Control::ForgetBias,
        Control::Iterations,
    ];
}

impl Control {
    pub fn label(self) -> &'static str {
        match self {
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

/// The chart shown on small screens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Loss,
    GradNorm,
    Profile,
    Accuracy,
}

impl Cycle for View {
    const ALL: &'static [Self] = &[View::Loss, View::GradNorm, View::Profile, View::Accuracy];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Play,
    Step,
    Restart,
    Reset,
    NextPreset,
    PrevPreset,
    Clip,
    Activation,
    NewSeed,
    NextView,
    Less,
    More,
}

// Conventions: filled in as the tab moves to the shared components.
impl crate::keymap::Action for Act {}

pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::ch(' ')],
        action: Act::Play,
        help: "start or pause both runs",
        hint: Some("train"),
    },
    Binding {
        keys: &[Key::ch('.')],
        action: Act::Step,
        help: "pause and train one iteration",
        hint: Some("step"),
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Restart,
        help: "restart both runs from their first iteration (same settings)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('R')],
        action: Act::Reset,
        help: "reset every setting to the preset's",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('e')],
        action: Act::NextPreset,
        help: "next experiment preset (long-memory, exploding)",
        hint: Some("preset"),
    },
    Binding {
        keys: &[Key::ch('E')],
        action: Act::PrevPreset,
        help: "previous experiment preset",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('c')],
        action: Act::Clip,
        help: "clipping: none, norm, value",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('a')],
        action: Act::Activation,
        help: "the RNN's activation: tanh, relu",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('n')],
        action: Act::NewSeed,
        help: "new draw of weights and batches (next seed)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::NextView,
        help: "next chart: loss, gradient norm, gradient through time, accuracy",
        hint: Some("chart"),
    },
    Binding {
        keys: &[Key::ch('-')],
        action: Act::Less,
        help: "the chosen control down (also Left)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('+'), Key::ch('=')],
        action: Act::More,
        help: "the chosen control up (also Right)",
        hint: None,
    },
];

/// The training lab.
pub struct TrainTab {
    waker: Waker,
    preset: Preset,
    lab: Lab,
    runs: Vec<Run>,
    playing: bool,
    selected: Control,
    view: View,
    note_offset: u16,
}

impl TrainTab {
    /// The lab on the long-memory preset, paused before its first iteration.
    pub fn new(waker: &Waker) -> Self {
        let preset = Preset::LongMemory;
        let lab = preset.lab();
        let mut tab = TrainTab {
            waker: waker.clone(),
            preset,
            lab,
            runs: Vec::new(),
            playing: false,
            selected: Control::Task,
            view: View::Loss,
            note_offset: 0,
        };
        tab.rebuild();
        tab
    }

    pub fn lab(&self) -> &Lab {
        &self.lab
    }
    pub fn preset(&self) -> Preset {
        self.preset
    }
    /// Each run's history, in the lab's order.
    pub fn histories(&self) -> Vec<&History> {
        self.runs.iter().map(|r| &r.history).collect()
    }
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// New runs from the lab's settings (the old workers are dropped, so their chunks stop).
    fn rebuild(&mut self) {
        self.runs = self
            .lab
            .runs()
            .into_iter()
            .map(|c| Run::new(c, &self.waker))
            .collect();
        self.note_offset = 0;
        if self.playing {
            self.send_all();
        }
    }

    fn all_finished(&self) -> bool {
        self.runs.iter().all(Run::finished)
    }

    fn budget(&self) -> Option<Duration> {
        (!self.waker.is_headless()).then_some(CHUNK_TIME)
    }

    fn send_all(&mut self) {
        let budget = self.budget();
        for r in &mut self.runs {
            r.send(usize::MAX, budget);
        }
    }

    fn set_preset(&mut self, preset: Preset) {
        self.preset = preset;
        self.lab = preset.lab();
        self.rebuild();
    }

    /// Changes the chosen control one step; true when a setting changed.
    fn change(&mut self, control: Control, up: bool) -> bool {
        let lab = &mut self.lab;
        let before = lab.clone();
        match control {
            Control::Task => {
                lab.task = match lab.task {
                    Task::Adding => Task::Recall {
                        classes: RECALL_CLASSES,
                    },
                    Task::Recall { .. } => Task::Adding,
                }
            }
            Control::Steps => lab.steps = STEPS.step(lab.steps, up),
            Control::Hidden => lab.hidden = HIDDEN.step(lab.hidden, up),
            Control::Batch => lab.batch = BATCH.step(lab.batch, up),
            Control::Optimizer => {
                lab.optimizer = match lab.optimizer {
                    Optimizer::Adam => Optimizer::Sgd { momentum: 0.9 },
                    Optimizer::Sgd { .. } => Optimizer::Adam,
                }
            }
            Control::Lr => lab.lr = LR.step(lab.lr, up),
            Control::Clip => {
                let c = lab.clip.threshold().unwrap_or(1.0);
                lab.clip = if up {
                    lab.clip.next(c)
                } else {
                    lab.clip.prev(c)
                };
            }
            Control::ClipC => {
                if let Some(c) = lab.clip.threshold() {
                    lab.clip = lab.clip.with_threshold(CLIP_C.step(c, up));
                }
            }
            Control::Rho => lab.rho = step_optional(RHO, lab.rho, up),
            Control::ForgetBias => lab.forget_bias = step_optional(FORGET, lab.forget_bias, up),
            Control::Iterations => lab.iterations = ITERATIONS.step(lab.iterations, up),
        }
        if lab.validate().is_err() {
            *lab = before;
            return false;
        }
        if *lab != before {
            self.rebuild();
            true
        } else {
            false
        }
    }

    /// The value of a control as the list shows it.
    pub fn value(&self, control: Control) -> String {
        let lab = &self.lab;
        let opt = |v: Option<f64>, off: &str| v.map_or(off.to_string(), |x| x.to_string());
        match control {
            Control::Task => match lab.task {
                Task::Adding => "adding".into(),
                Task::Recall { classes } => format!("recall:{classes}"),
            },
            Control::Steps => lab.steps.to_string(),
            Control::Hidden => lab.hidden.to_string(),
            Control::Batch => lab.batch.to_string(),
            Control::Optimizer => match lab.optimizer {
                Optimizer::Adam => "adam".into(),
                Optimizer::Sgd { momentum } => format!("sgd m={momentum}"),
            },
            Control::Lr => lab.lr.to_string(),
            Control::Clip => lab.clip.name().into(),
            Control::ClipC => opt(lab.clip.threshold(), "-"),
            Control::Rho => opt(lab.rho, "draw"),
            Control::ForgetBias => opt(lab.forget_bias, "draw"),
            Control::Iterations => lab.iterations.to_string(),
        }
    }
}

impl Tab for TrainTab {
    type Act = Act;

    /// Short: five tabs must fit in the tab bar at 80 columns.
    fn title(&self) -> &'static str {
        "Train"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        match act {
            Act::Play => {
                if self.playing {
                    self.playing = false;
                } else {
                    if self.all_finished() {
                        self.rebuild();
                    }
                    self.playing = true;
                    self.send_all();
                }
                true
            }
            Act::Step => {
                self.playing = false;
                for r in &mut self.runs {
                    r.send(1, None);
                }
                true
            }
            Act::Restart => {
                self.rebuild();
                true
            }
            Act::Reset => {
                self.set_preset(self.preset);
                true
            }
            Act::NextPreset => {
                self.set_preset(self.preset.next());
                true
            }
            Act::PrevPreset => {
                self.set_preset(self.preset.prev());
                true
            }
            Act::Clip => self.change(Control::Clip, true),
            Act::Activation => {
                self.lab.activation = match self.lab.activation {
                    Activation::Tanh => Activation::Relu,
                    Activation::Relu => Activation::Tanh,
                };
                self.rebuild();
                true
            }
            Act::NewSeed => {
                self.lab.seed = self.lab.seed.wrapping_add(1);
                self.rebuild();
                true
            }
            Act::NextView => {
                self.view = self.view.next();
                if self.view == View::Accuracy && self.lab.task == Task::Adding {
                    self.view = self.view.next();
                }
                true
            }
            Act::Less => self.change(self.selected, false),
            Act::More => self.change(self.selected, true),
        }
    }

    fn nav(&mut self, nav: Nav) -> bool {
        match nav {
            Nav::Up => self.selected = self.selected.prev(),
            Nav::Down => self.selected = self.selected.next(),
            Nav::Left => return self.change(self.selected, false),
            Nav::Right => return self.change(self.selected, true),
            Nav::PageUp => self.note_offset = self.note_offset.saturating_sub(3),
            Nav::PageDown => self.note_offset = self.note_offset.saturating_add(3),
            Nav::Home => self.selected = Control::ALL[0],
            Nav::End => self.selected = Control::ALL[Control::ALL.len() - 1],
        }
        true
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        render::render(self, area, buf, ui);
    }

    fn poll(&mut self) -> bool {
        let mut changed = false;
        let budget = self.budget();
        for r in &mut self.runs {
            if r.receive(false) {
                changed = true;
                if self.playing {
                    r.send(usize::MAX, budget);
                }
            }
        }
        if self.playing && self.all_finished() {
            self.playing = false;
            changed = true;
        }
        changed
    }

    fn busy(&self) -> bool {
        self.runs.iter().any(Run::in_flight)
    }

    /// Short, so it fits beside five tabs at 100 columns; the status lines give the counts.
    fn busy_label(&self) -> Option<String> {
        Some("training".to_string())
    }

    /// Headless: every chunk asked for is finished, and a started run trains to its end.
    fn settle(&mut self) {
        for r in &mut self.runs {
            loop {
                if r.in_flight() {
                    r.receive(true);
                } else {
                    r.receive(false);
                }
                if self.playing && !r.finished() && r.trainer.is_some() {
                    r.send(usize::MAX, None);
                } else if !r.in_flight() {
                    break;
                }
            }
        }
        if self.playing && self.all_finished() {
            self.playing = false;
        }
    }
}

#[cfg(test)]
mod tests;
