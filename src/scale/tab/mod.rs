//! The Scale-invariance tab: Problem 3 on the plane. The descent is drawn over the level sets
//! of f (wedges, since f only sees the direction), with the unit circle carrying the direction
//! u_k; charts follow ‖x_k‖, the effective step and the first-order gap over k, a log–log panel
//! shows the one-step gap against η, and a weight-decay run sits beside the plain one. The tab
//! holds view state and model results only; every number comes from [`super::model::explore`].

#[cfg(test)]
mod claims;
mod notes;
mod plane;
mod prepared;
mod readout;
mod render;
mod settings;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::{Exploration, Params, Run, ScaleError, explore};
use crate::components::controls::{self, ControlAct, ControlList};
use crate::components::scroll::{self, ScrollAct, ScrollText};
use crate::components::worker::WorkerPanel;
use crate::components::wrapped;
use crate::controls::{Cycle, Playback};
use crate::jobs::{Waker, Worker};
use crate::keymap::{self, Binding, Convention, Key};
use crate::tab::Tab;
use crate::theme::Ui;
use prepared::Prepared;
use settings::{ANGLE_STEP_DEG, NORM_FACTOR};
pub use settings::{Control, Settings};

/// Below this size the tab shows one view at a time.
const WIDE: (u16, u16) = (120, 34);

/// What the small layout shows above the controls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Plane,
    Charts,
}

impl Cycle for View {
    const ALL: &'static [Self] = &[View::Plane, View::Charts];
}

/// Which run the plane and the per-step readout follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaneRun {
    WithoutDecay,
    WithDecay,
}

impl Cycle for PlaneRun {
    const ALL: &'static [Self] = &[PlaneRun::WithoutDecay, PlaneRun::WithDecay];
}

/// The tab's actions (see [`KEYS`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// The controls panel: choose a control, change it.
    Controls(ControlAct),
    /// The notes: a line or a page up or down.
    Note(ScrollAct),
    PlayPause,
    StepForward,
    StepBack,
    Slower,
    Faster,
    Rewind,
    /// Pause at step 0 / at the last step.
    First,
    Last,
    NextFunction,
    RotateLeft,
    RotateRight,
    /// The start point's norm, the tab's main quantity, down / up.
    NormDown,
    NormUp,
    ToggleDecayRun,
    NextView,
    NextSeed,
}

impl keymap::Action for Act {
    fn convention(self) -> Option<Convention> {
        match self {
            Act::Controls(a) => a.convention(),
            Act::Note(a) => a.convention(),
            Act::PlayPause => Some(Convention::PlayPause),
            Act::StepForward => Some(Convention::StepForward),
            Act::StepBack => Some(Convention::StepBack),
            Act::Slower => Some(Convention::Slower),
            Act::Faster => Some(Convention::Faster),
            Act::Rewind => Some(Convention::Rewind),
            Act::First => Some(Convention::First),
            Act::Last => Some(Convention::Last),
            Act::NormDown => Some(Convention::MainDown),
            Act::NormUp => Some(Convention::MainUp),
            Act::NextView => Some(Convention::NextView),
            Act::NextSeed => Some(Convention::NextSeed),
            Act::NextFunction | Act::RotateLeft | Act::RotateRight | Act::ToggleDecayRun => None,
        }
    }
}

/// The first row of the table (before the controls' keys).
const PLAY_KEYS: &[Binding<Act>] = &[Binding {
    keys: keymap::PLAY_PAUSE,
    action: Act::PlayPause,
    help: "play or pause the descent",
    hint: Some("play"),
}];

/// The tab's own keys after the controls' (the notes' keys follow them).
const OWN_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::STEP_FORWARD,
        action: Act::StepForward,
        help: "pause and go one step forward",
        hint: None,
    },
    Binding {
        keys: keymap::STEP_BACK,
        action: Act::StepBack,
        help: "pause and go one step back",
        hint: None,
    },
    Binding {
        keys: keymap::SLOWER,
        action: Act::Slower,
        help: "slower animation (down to x1/8)",
        hint: None,
    },
    Binding {
        keys: keymap::FASTER,
        action: Act::Faster,
        help: "faster animation (up to x8)",
        hint: None,
    },
    Binding {
        keys: keymap::REWIND,
        action: Act::Rewind,
        help: "rewind: back to step 0 and play again",
        hint: None,
    },
    Binding {
        keys: keymap::FIRST,
        action: Act::First,
        help: "pause at step 0",
        hint: None,
    },
    Binding {
        keys: keymap::LAST,
        action: Act::Last,
        help: "pause at the last step",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('f')],
        action: Act::NextFunction,
        help: "next function: ratio, Rayleigh, logistic",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('[')],
        action: Act::RotateLeft,
        help: "turn the start point clockwise by 5 degrees",
        hint: None,
    },
    Binding {
        keys: &[Key::ch(']')],
        action: Act::RotateRight,
        help: "turn the start point anticlockwise by 5 degrees",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_DOWN,
        action: Act::NormDown,
        help: "move the start point inward (norm / 1.25)",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_UP,
        action: Act::NormUp,
        help: "move the start point outward (norm * 1.25)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('w')],
        action: Act::ToggleDecayRun,
        help: "the plane follows the run with or without weight decay",
        hint: Some("decay"),
    },
    Binding {
        keys: keymap::NEXT_SEED,
        action: Act::NextSeed,
        help: "next seed: a new draw of the noise (and of the logistic data)",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_VIEW,
        action: Act::NextView,
        help: "small screens: switch between the plane and the charts",
        hint: Some("view"),
    },
];

/// The tab's keys: dispatch, footer hints and help all read this table.
pub static KEYS: LazyLock<Vec<Binding<Act>>> = LazyLock::new(|| {
    let mut keys = PLAY_KEYS.to_vec();
    keys.extend(wrapped(controls::KEYS, Act::Controls));
    keys.extend_from_slice(OWN_KEYS);
    keys.extend(wrapped(scroll::LINE_KEYS, Act::Note));
    keys.extend(wrapped(scroll::PAGE_KEYS, Act::Note));
    keys
});

/// The Scale-invariance tab.
pub struct ScaleTab {
    settings: Settings,
    controls: ControlList<Control>,
    view: View,
    plane_run: PlaneRun,
    worker: WorkerPanel<Params, Result<Exploration, ScaleError>>,
    shown: Option<Prepared>,
    /// The descent animation: frame k shows x_0 … x_k.
    playback: Playback,
    /// How far the notes are scrolled (the note with the most hidden lines sets the extent).
    note: ScrollText,
}

impl ScaleTab {
    /// The tab with the model's default parameters (and a weight decay to compare with).
    pub fn new(waker: &Waker) -> ScaleTab {
        let mut tab = ScaleTab {
            settings: Settings::default(),
            controls: ControlList::new(),
            view: View::Plane,
            plane_run: PlaneRun::WithoutDecay,
            worker: WorkerPanel::new(
                Worker::new(waker, |p: Params| explore(&p)),
                "computing the descent",
            ),
            shown: None,
            playback: Playback::new(1),
            note: ScrollText::new(),
        };
        tab.submit();
        tab
    }

    /// The parameters the controls describe (always 2-D).
    pub fn params(&self) -> Params {
        self.settings.params()
    }

    /// The selected control.
    pub fn focus(&self) -> Control {
        self.controls.focus()
    }

    /// The current animation frame (iterate index k).
    pub fn frame(&self) -> usize {
        self.playback.position()
    }

    /// True while the descent plays.
    pub fn playing(&self) -> bool {
        self.playback.playing()
    }

    /// The current results, if any.
    pub fn exploration(&self) -> Option<&Exploration> {
        self.shown.as_ref().map(|s| &s.exploration)
    }

    fn submit(&mut self) {
        self.worker.submit(self.params());
    }

    /// The run the plane follows.
    fn plane(&self) -> Option<&Run> {
        let e = &self.shown.as_ref()?.exploration;
        Some(match self.plane_run {
            PlaneRun::WithoutDecay => &e.without_decay,
            PlaneRun::WithDecay => &e.with_decay,
        })
    }

    fn last_frame(&self) -> usize {
        self.plane().map_or(0, Run::steps_taken)
    }

    /// Changes the settings with `change` and recomputes when the parameters moved.
    fn change(&mut self, change: impl FnOnce(&mut Settings)) -> bool {
        let before = self.params();
        change(&mut self.settings);
        self.recompute_from(before);
        true
    }

    /// Recomputes when the parameters differ from `before`.
    fn recompute_from(&mut self, before: Params) {
        if self.params() != before {
            self.submit();
            self.poll();
        }
    }

    /// Takes a finished computation: its results, or the parameters' refusal as the error.
    fn accept(&mut self, result: Result<Exploration, ScaleError>) {
        match result {
            Ok(exploration) => {
                self.shown = Some(Prepared::new(exploration));
                self.playback.restart_with(self.last_frame() + 1);
            }
            Err(e) => self.worker.set_error(Some(e.to_string())),
        }
    }

    /// The plane follows the other run, at the same step where it has one.
    fn toggle_decay_run(&mut self) {
        self.plane_run = self.plane_run.next();
        // The other run may be shorter (one that ran away).
        let k = self.frame();
        let playing = self.playback.playing();
        self.playback = Playback::new(self.last_frame() + 1);
        self.playback.seek(k);
        if playing {
            self.playback.toggle();
        }
    }
}

impl Tab for ScaleTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "Scale invariance"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        &KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        match act {
            Act::Controls(a) => {
                let before = self.params();
                let redraw = self.controls.act(a, &mut self.settings);
                self.recompute_from(before);
                return redraw;
            }
            Act::Note(a) => return self.note.act(a),
            Act::PlayPause => self.playback.toggle(),
            Act::StepForward => self.playback.step(true),
            Act::StepBack => self.playback.step(false),
            Act::Slower => return self.playback.change_speed(false),
            Act::Faster => return self.playback.change_speed(true),
            Act::Rewind => self.playback.restart(),
            Act::First => self.playback.seek(0),
            Act::Last => self.playback.finish(),
            Act::NextFunction => return self.change(|s| s.cycle_function(true)),
            Act::RotateLeft => return self.change(|s| s.rotate(-ANGLE_STEP_DEG)),
            Act::RotateRight => return self.change(|s| s.rotate(ANGLE_STEP_DEG)),
            Act::NormDown => return self.change(|s| s.scale_norm(1.0 / NORM_FACTOR)),
            Act::NormUp => return self.change(|s| s.scale_norm(NORM_FACTOR)),
            Act::NextSeed => return self.change(|s| s.seed = s.seed.wrapping_add(1)),
            Act::ToggleDecayRun => self.toggle_decay_run(),
            Act::NextView => self.view = self.view.next(),
        }
        true
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        self.controls.click(col, row)
    }

    fn layout(&mut self, area: Rect, ui: &Ui) {
        self.record_layout(area, ui);
    }

    fn animating(&self) -> bool {
        self.shown.is_some() && self.playback.playing()
    }

    fn tick(&mut self) -> bool {
        self.playback.tick()
    }

    fn poll(&mut self) -> bool {
        let error_before = self.worker.error().map(str::to_owned);
        match self.worker.poll() {
            Some(result) => {
                self.accept(result);
                true
            }
            // A computation that panicked leaves its error in the panel.
            None => self.worker.error() != error_before.as_deref(),
        }
    }

    fn busy(&self) -> bool {
        self.worker.busy()
    }

    fn busy_label(&self) -> Option<String> {
        self.worker.busy_label()
    }

    fn settle(&mut self) {
        if let Some(result) = self.worker.settle() {
            self.accept(result);
        }
        // A playing animation jumps to its end; a frame the user paused on stays.
        if self.playback.playing() {
            self.playback.finish();
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
    }

    fn readout(&self) -> Option<String> {
        Some(self.readout_text())
    }
}
