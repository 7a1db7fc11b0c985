//! The training lab's tab: two runs trained at once on worker threads, chunk by chunk, so the
//! charts grow while the UI stays free; a list of controls that restart both runs with new
//! settings; the presets.
//!
//! Each run's [`Trainer`] travels to its worker with a request for a chunk of iterations and
//! comes back with the chunk's records; a new setting drops the workers, which marks their
//! running chunks stale (they stop after the iteration in progress).

pub mod notes;
mod readout;
mod render;
mod settings;

use std::sync::LazyLock;
use std::time::Duration;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::components::controls::{self, ControlAct, ControlList, ControlSet};
use crate::components::scroll::{self, ScrollAct, ScrollText};
use crate::components::worker::WorkerPanel;
use crate::components::wrapped;
use crate::controls::Cycle;
use crate::jobs::{Cancel, Waker, Worker};
use crate::keymap::{self, Binding, Convention, Key};
use crate::tab::Tab;
use crate::theme::Ui;
use crate::train::model::{Activation, History, Lab, Preset, Record, RunConfig, Task, Trainer};

pub use settings::{Control, RECALL_CLASSES};

/// How long a chunk of iterations runs before its records are shown (live runs only).
const CHUNK_TIME: Duration = Duration::from_millis(60);

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

/// One run: its settings, what it has shown so far, and its worker (whose error slot also
/// holds why the run could not start).
struct Run {
    config: RunConfig,
    history: History,
    /// ‖∂ℓ/∂h_t‖ of the latest batch.
    profile: Vec<f64>,
    /// The trainer while it is here (not in a chunk on the worker).
    trainer: Option<Trainer>,
    worker: WorkerPanel<Chunk, Trained>,
}

impl Run {
    fn new(config: RunConfig, waker: &Waker) -> Self {
        let mut worker = WorkerPanel::new(Worker::cancellable(waker, train_chunk), "training");
        let trainer = match Trainer::new(config.clone()) {
            Ok(t) => Some(t),
            Err(e) => {
                worker.set_error(Some(e.to_string()));
                None
            }
        };
        Run {
            config,
            history: History::default(),
            profile: Vec::new(),
            trainer,
            worker,
        }
    }

    fn error(&self) -> Option<&str> {
        self.worker.error()
    }

    fn finished(&self) -> bool {
        self.error().is_some()
            || self.history.diverged
            || self.history.len() >= self.config.iterations
    }

    fn in_flight(&self) -> bool {
        self.trainer.is_none() && self.error().is_none()
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

    /// Takes a finished chunk (waiting for it when `wait`); true when one arrived or failed.
    fn receive(&mut self, wait: bool) -> bool {
        let failed_before = self.error().is_some();
        let got = if wait && self.in_flight() {
            self.worker.settle()
        } else {
            self.worker.poll()
        };
        match got {
            Some(t) => {
                for r in t.records {
                    self.history.push(r);
                }
                self.profile = t.trainer.profile().to_vec();
                self.trainer = Some(t.trainer);
                true
            }
            None => !failed_before && self.error().is_some(),
        }
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
    PrevView,
    /// The chosen control one step down / up.
    Less,
    More,
    Controls(ControlAct),
    /// The first / last control.
    FirstControl,
    LastControl,
    /// Scrolls the note (and, on large screens, the experiment's description).
    Note(ScrollAct),
}

impl keymap::Action for Act {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            Act::Play => Convention::PlayPause,
            Act::Step => Convention::StepForward,
            Act::Restart => Convention::Rewind,
            Act::Reset => Convention::Reset,
            Act::NewSeed => Convention::NextSeed,
            Act::NextView => Convention::NextView,
            Act::PrevView => Convention::PrevView,
            Act::Less => Convention::MainDown,
            Act::More => Convention::MainUp,
            Act::FirstControl => Convention::First,
            Act::LastControl => Convention::Last,
            Act::Controls(c) => return c.convention(),
            Act::Note(s) => return s.convention(),
            Act::NextPreset | Act::PrevPreset | Act::Clip | Act::Activation => return None,
        })
    }
}

/// The tab's own bindings (the control list's and the note's follow them in [`KEYS`]).
const OWN_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::PLAY_PAUSE,
        action: Act::Play,
        help: "start or pause both runs",
        hint: Some("train"),
    },
    Binding {
        keys: keymap::STEP_FORWARD,
        action: Act::Step,
        help: "pause and train one iteration",
        hint: Some("step"),
    },
    Binding {
        keys: keymap::REWIND,
        action: Act::Restart,
        help: "restart both runs from their first iteration (same settings)",
        hint: None,
    },
    Binding {
        keys: keymap::RESET,
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
        keys: keymap::NEXT_SEED,
        action: Act::NewSeed,
        help: "new draw of weights and batches (next seed)",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_VIEW,
        action: Act::NextView,
        help: "next chart: loss, gradient norm, gradient through time, accuracy",
        hint: Some("chart"),
    },
    Binding {
        keys: keymap::PREV_VIEW,
        action: Act::PrevView,
        help: "previous chart",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_DOWN,
        action: Act::Less,
        help: "the chosen control one step down",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_UP,
        action: Act::More,
        help: "the chosen control one step up",
        hint: None,
    },
    Binding {
        keys: keymap::FIRST,
        action: Act::FirstControl,
        help: "choose the first control",
        hint: None,
    },
    Binding {
        keys: keymap::LAST,
        action: Act::LastControl,
        help: "choose the last control",
        hint: None,
    },
];

/// The tab's key table: its own keys, the control list's, and the note's (line by line and
/// by page). Dispatch, footer hints and the help overlay all come from here.
pub static KEYS: LazyLock<Vec<Binding<Act>>> = LazyLock::new(|| {
    let mut keys = OWN_KEYS.to_vec();
    // The footer has no room for the list's keys; its title names them.
    keys.extend(
        wrapped(controls::KEYS, Act::Controls)
            .into_iter()
            .map(|b| Binding { hint: None, ..b }),
    );
    keys.extend(wrapped(scroll::LINE_KEYS, Act::Note));
    keys.extend(wrapped(scroll::PAGE_KEYS, Act::Note));
    keys
});

/// The training lab.
pub struct TrainTab {
    waker: Waker,
    preset: Preset,
    lab: Lab,
    runs: Vec<Run>,
    playing: bool,
    controls: ControlList<Control>,
    view: View,
    /// The note on the runs, and the experiment's description beside it on large screens.
    note: ScrollText,
    intro: ScrollText,
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
            controls: ControlList::new(),
            view: View::Loss,
            note: ScrollText::new(),
            intro: ScrollText::new(),
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
    /// The chosen control.
    pub fn selected(&self) -> Control {
        self.controls.focus()
    }

    /// New runs from the lab's settings (the old workers are dropped, so their chunks stop).
    fn rebuild(&mut self) {
        self.runs = self
            .lab
            .runs()
            .into_iter()
            .map(|c| Run::new(c, &self.waker))
            .collect();
        self.note.reset();
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

    /// Changes the settings with `f`; rebuilds the runs when they changed. Returns what `f`
    /// returns.
    fn change(&mut self, f: impl FnOnce(&mut Lab, &mut ControlList<Control>) -> bool) -> bool {
        let before = self.lab.clone();
        let changed = f(&mut self.lab, &mut self.controls);
        if self.lab != before {
            self.rebuild();
        }
        changed
    }

    fn play_pause(&mut self) {
        if self.playing {
            self.playing = false;
        } else {
            if self.all_finished() {
                self.rebuild();
            }
            self.playing = true;
            self.send_all();
        }
    }

    fn show_view(&mut self, up: bool) {
        let step = |v: View| if up { v.next() } else { v.prev() };
        self.view = step(self.view);
        if self.view == View::Accuracy && self.lab.task == Task::Adding {
            self.view = step(self.view);
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
        &KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        match act {
            Act::Play => self.play_pause(),
            Act::Step => {
                self.playing = false;
                for r in &mut self.runs {
                    r.send(1, None);
                }
            }
            Act::Restart => self.rebuild(),
            Act::Reset => self.set_preset(self.preset),
            Act::NextPreset => self.set_preset(self.preset.next()),
            Act::PrevPreset => self.set_preset(self.preset.prev()),
            Act::Clip => return self.change(|lab, _| lab.adjust(Control::Clip, true)),
            Act::Activation => {
                self.change(|lab, _| {
                    lab.activation = match lab.activation {
                        Activation::Tanh => Activation::Relu,
                        Activation::Relu => Activation::Tanh,
                    };
                    true
                });
            }
            Act::NewSeed => {
                self.lab.seed = self.lab.seed.wrapping_add(1);
                self.rebuild();
            }
            Act::NextView | Act::PrevView => self.show_view(act == Act::NextView),
            Act::Less | Act::More => {
                let chosen = self.controls.focus();
                return self.change(|lab, _| lab.adjust(chosen, act == Act::More));
            }
            Act::Controls(c) => return self.change(|lab, list| list.act(c, lab)),
            Act::FirstControl | Act::LastControl => {
                let mut all = <Control as strum::IntoEnumIterator>::iter();
                let to = if act == Act::FirstControl {
                    all.next()
                } else {
                    all.next_back()
                };
                if let Some(c) = to {
                    self.controls.set_focus(c);
                }
            }
            Act::Note(s) => {
                let note = self.note.act(s);
                let intro = self.intro.act(s);
                return note || intro;
            }
        }
        true
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        self.controls.click(col, row)
    }

    fn layout(&mut self, area: Rect, ui: &Ui) {
        self.lay_out(area, ui);
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
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

    /// A run that has trained some iterations and not reached its end (running or paused).
    fn unfinished_work(&self) -> Option<&'static str> {
        self.runs
            .iter()
            .any(|r| !r.history.is_empty() && !r.finished())
            .then_some("the training run")
    }

    /// Short, so it fits beside five tabs at 100 columns; the status lines give the counts.
    fn busy_label(&self) -> Option<String> {
        Some("training".to_string())
    }

    /// Headless: every chunk asked for is finished, and a started run trains to its end.
    fn settle(&mut self) {
        for r in &mut self.runs {
            loop {
                r.receive(r.in_flight());
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

    fn readout(&self) -> Option<String> {
        Some(self.readout_text())
    }
}

#[cfg(test)]
mod tests;
