//! The "RNN vs LSTM" tab: the same sequence back-propagated through an RNN and an LSTM, the
//! gradient norms drawn on shared log axes while the backward pass plays from t = T to 0,
//! the recurrent matrix's eigenvalues against the unit circle, and the controls.
//!
//! The tab holds view state (chosen control, playback, side panel, scroll) and the results
//! of `model::run`; every number it shows comes from there. `render` draws, `notes` words,
//! `readout` lists the figures of the readout panel and the copied text.

mod computed;
mod notes;
mod readout;
mod render;
mod settings;

use std::sync::LazyLock;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::model::Params;
use crate::components::controls::{self, ControlAct, ControlList};
use crate::components::scroll::{self, ScrollAct, ScrollText};
use crate::components::worker::{Progress, WorkerPanel};
use crate::components::wrapped;
use crate::controls::{Cycle, Playback};
use crate::jobs::{Waker, Worker};
use crate::keymap::{self, Binding, Convention, Key};
use crate::tab::Tab;
use crate::theme::Ui;

pub use computed::{Computed, Curve, Curves};
pub use notes::NOTE_COUNT;
pub use settings::{Control, Settings};

/// What the tab's keys do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    PlayPause,
    StepForward,
    StepBack,
    Slower,
    Faster,
    Rewind,
    /// Paused at t = T, where the backward pass starts.
    First,
    /// Paused at t = 0, where it ends.
    Last,
    Reset,
    Controls(ControlAct),
    RhoDown,
    RhoUp,
    NextActivation,
    ToggleInit,
    NextClip,
    NextSeed,
    ToggleStepSeries,
    NextView,
    PrevView,
    /// Scrolls the side panel's text (the notes, the readout).
    Note(ScrollAct),
}

impl keymap::Action for Act {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            Act::PlayPause => Convention::PlayPause,
            Act::StepForward => Convention::StepForward,
            Act::StepBack => Convention::StepBack,
            Act::Slower => Convention::Slower,
            Act::Faster => Convention::Faster,
            Act::Rewind => Convention::Rewind,
            Act::First => Convention::First,
            Act::Last => Convention::Last,
            Act::Reset => Convention::Reset,
            Act::Controls(c) => return c.convention(),
            Act::RhoDown => Convention::MainDown,
            Act::RhoUp => Convention::MainUp,
            Act::NextSeed => Convention::NextSeed,
            Act::NextView => Convention::NextView,
            Act::PrevView => Convention::PrevView,
            Act::Note(s) => return s.convention(),
            Act::NextActivation | Act::ToggleInit | Act::NextClip | Act::ToggleStepSeries => {
                return None;
            }
        })
    }
}

/// The tab's playback bindings (first in [`KEYS`], then the control list's).
const PLAYBACK_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::PLAY_PAUSE,
        action: Act::PlayPause,
        help: "play or pause the backward pass (at the end: play it again)",
        hint: Some("play"),
    },
    Binding {
        keys: keymap::STEP_FORWARD,
        action: Act::StepForward,
        help: "pause and step the backward pass one t towards t = 0",
        hint: None,
    },
    Binding {
        keys: keymap::STEP_BACK,
        action: Act::StepBack,
        help: "pause and step the backward pass one t back towards t = T",
        hint: None,
    },
    Binding {
        keys: keymap::SLOWER,
        action: Act::Slower,
        help: "play the backward pass slower (down to 1/8 of the normal pace)",
        hint: None,
    },
    Binding {
        keys: keymap::FASTER,
        action: Act::Faster,
        help: "play the backward pass faster (up to 8 times the normal pace)",
        hint: None,
    },
    Binding {
        keys: keymap::REWIND,
        action: Act::Rewind,
        help: "rewind: play the backward pass again from t = T",
        hint: Some("rewind"),
    },
    Binding {
        keys: keymap::FIRST,
        action: Act::First,
        help: "pause at the start of the backward pass (t = T)",
        hint: None,
    },
    Binding {
        keys: keymap::LAST,
        action: Act::Last,
        help: "jump to the end of the backward pass (t = 0)",
        hint: None,
    },
    Binding {
        keys: keymap::RESET,
        action: Act::Reset,
        help: "reset every control to its default",
        hint: None,
    },
];

/// The tab's bindings of settings and views (after the control list's in [`KEYS`]).
const SETTING_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::MAIN_DOWN,
        action: Act::RhoDown,
        help: "spectral radius rho down by 0.05",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_UP,
        action: Act::RhoUp,
        help: "spectral radius rho up by 0.05",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('a')],
        action: Act::NextActivation,
        help: "next RNN activation (identity, tanh, relu, sigmoid)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('i')],
        action: Act::ToggleInit,
        help: "recurrent weights Gaussian or orthogonal",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('c')],
        action: Act::NextClip,
        help: "gradient clipping: none, by norm, by value (shows the readout)",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_SEED,
        action: Act::NextSeed,
        help: "new random draw (next seed)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('w')],
        action: Act::ToggleStepSeries,
        help: "show or hide each step's term of the gradient of W_hh",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_VIEW,
        action: Act::NextView,
        help: "next side panel: eigenvalues, readout, notes 6a-6d (small screens)",
        hint: Some("panel"),
    },
    Binding {
        keys: keymap::PREV_VIEW,
        action: Act::PrevView,
        help: "previous side panel",
        hint: None,
    },
];

/// The tab's key table: its playback keys, the control list's, its setting and view keys,
/// and the side text's (line by line and by page). Dispatch, footer hints and the help overlay
/// all come from here.
pub static KEYS: LazyLock<Vec<Binding<Act>>> = LazyLock::new(|| {
    let mut keys = PLAYBACK_KEYS.to_vec();
    keys.extend(wrapped(controls::KEYS, Act::Controls));
    keys.extend_from_slice(SETTING_KEYS);
    keys.extend(wrapped(scroll::LINE_KEYS, Act::Note));
    keys.extend(wrapped(scroll::PAGE_KEYS, Act::Note));
    keys
});

/// What the side panel shows when there is room for only one of them (small screens).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SidePanel {
    Eigenvalues,
    Readout,
    /// One note at a time: index into the notes (6a … 6d).
    Note(usize),
}

impl SidePanel {
    fn next(self) -> Self {
        match self {
            SidePanel::Eigenvalues => SidePanel::Readout,
            SidePanel::Readout => SidePanel::Note(0),
            SidePanel::Note(i) if i + 1 < NOTE_COUNT => SidePanel::Note(i + 1),
            SidePanel::Note(_) => SidePanel::Eigenvalues,
        }
    }

    fn prev(self) -> Self {
        match self {
            SidePanel::Eigenvalues => SidePanel::Note(NOTE_COUNT - 1),
            SidePanel::Readout => SidePanel::Eigenvalues,
            SidePanel::Note(0) => SidePanel::Readout,
            SidePanel::Note(i) => SidePanel::Note(i - 1),
        }
    }
}

pub struct RnnTab {
    settings: Settings,
    controls: ControlList<Control>,
    side: SidePanel,
    /// The readout panel's and the notes' scroll positions (both move with the same keys).
    readout_scroll: ScrollText,
    notes_scroll: ScrollText,
    show_steps: bool,
    /// Both runs, computed in the background; the eigenvalues of a new draw report progress.
    worker: WorkerPanel<Params, Option<Computed>>,
    result: Option<Computed>,
    /// The backward pass: position t, from T down to 0.
    playback: Playback,
    /// Where the last layout put the single side panel (small screens): a click switches it.
    side_hit: Rect,
    /// The worker's busy label when last polled, so that progress redraws the tab bar.
    shown_label: Option<String>,
}

impl RnnTab {
    /// The tab with the default parameters (computed at once headless, else in the background).
    pub fn new(waker: &Waker) -> Self {
        RnnTab::with_params(waker, Params::default())
    }

    /// The tab for `params` (brought into range with `Params::sanitized`).
    pub fn with_params(waker: &Waker, params: Params) -> Self {
        let settings = Settings::new(params);
        let progress = Progress::default();
        let worker = Worker::cancellable(waker, computed::compute_worker(waker, progress.clone()));
        let mut tab = RnnTab {
            settings,
            controls: ControlList::new(),
            side: SidePanel::Eigenvalues,
            readout_scroll: ScrollText::new(),
            notes_scroll: ScrollText::new(),
            show_steps: false,
            worker: WorkerPanel::with_progress(worker, "forward and backward pass", progress),
            result: None,
            playback: Playback::reversed(settings.params.steps + 1),
            side_hit: Rect::default(),
            shown_label: None,
        };
        tab.worker.submit(settings.params);
        tab.poll();
        tab
    }

    pub fn params(&self) -> &Params {
        &self.settings.params
    }

    /// The chosen control.
    pub fn focus(&self) -> Control {
        self.controls.focus()
    }

    /// The backward pass has reached t = cursor (it starts at T and ends at 0).
    pub fn cursor(&self) -> usize {
        self.playback.position()
    }

    pub fn playing(&self) -> bool {
        self.playback.playing()
    }

    /// The playback speed as a multiple of the normal pace.
    pub fn speed(&self) -> f64 {
        self.playback.speed()
    }

    pub fn side_panel(&self) -> SidePanel {
        self.side
    }

    pub fn result(&self) -> Option<&Computed> {
        self.result.as_ref()
    }

    /// The error of the last computation, if it failed.
    pub fn error(&self) -> Option<&str> {
        self.worker.error()
    }

    /// A finished computation: `None` only when it stopped early as stale (never taken).
    fn accept(&mut self, result: Option<Computed>) {
        if let Some(result) = result {
            self.playback.restart_with(result.params.steps + 1);
            self.result = Some(result);
        }
    }

    fn recompute(&mut self) {
        self.settings.params = self.settings.params.sanitized();
        self.worker.submit(self.settings.params);
        self.poll();
    }

    /// Changes the settings with `f` and recomputes when the parameters changed; returns
    /// what `f` returns.
    fn change(&mut self, f: impl FnOnce(&mut Settings) -> bool) -> bool {
        let before = self.settings.params;
        let changed = f(&mut self.settings);
        if self.settings.params != before {
            self.recompute();
        }
        changed
    }

    fn show_side(&mut self, side: SidePanel) {
        self.side = side;
        self.readout_scroll.reset();
        self.notes_scroll.reset();
    }

    /// The playback keys; `None` for the others.
    fn act_playback(&mut self, act: Act) -> Option<bool> {
        let before = self.playback.clone();
        match act {
            Act::PlayPause => self.playback.toggle(),
            Act::StepForward | Act::StepBack => self.playback.step(act == Act::StepForward),
            Act::Slower | Act::Faster => {
                return Some(self.playback.change_speed(act == Act::Faster));
            }
            Act::Rewind => self.playback.restart(),
            Act::First => self.playback.seek(self.playback.len().saturating_sub(1)),
            Act::Last => self.playback.finish(),
            _ => return None,
        }
        Some(self.playback != before)
    }
}

impl Tab for RnnTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "RNN vs LSTM"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        &KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        if let Some(changed) = self.act_playback(act) {
            return changed;
        }
        use crate::components::controls::ControlSet;
        match act {
            Act::Reset => {
                self.controls.set_focus(Control::Rho);
                self.change(|s| {
                    *s = Settings::new(Params::default());
                    true
                })
            }
            Act::Controls(c) => {
                let controls = &mut self.controls;
                let before = self.settings.params;
                let changed = controls.act(c, &mut self.settings);
                if self.settings.params != before {
                    self.recompute();
                }
                changed
            }
            Act::RhoDown | Act::RhoUp => self.change(|s| s.adjust(Control::Rho, act == Act::RhoUp)),
            Act::NextActivation => self.change(|s| {
                s.params.activation = s.params.activation.next();
                true
            }),
            Act::ToggleInit => self.change(|s| {
                s.params.init = s.params.init.next();
                true
            }),
            Act::NextClip => {
                // The readout holds the clipped norms: show it where only one panel fits.
                if self.side == SidePanel::Eigenvalues {
                    self.show_side(SidePanel::Readout);
                }
                self.change(|s| {
                    s.params.clip = s.params.clip.next(s.clip_threshold);
                    true
                })
            }
            Act::NextSeed => self.change(|s| {
                s.params.seed = s.params.seed.wrapping_add(1);
                true
            }),
            Act::ToggleStepSeries => {
                self.show_steps = !self.show_steps;
                true
            }
            Act::NextView => {
                self.show_side(self.side.next());
                true
            }
            Act::PrevView => {
                self.show_side(self.side.prev());
                true
            }
            Act::Note(s) => {
                let readout = self.readout_scroll.act(s);
                let notes = self.notes_scroll.act(s);
                readout || notes
            }
            _ => false,
        }
    }

    fn click(&mut self, col: u16, row: u16) -> bool {
        if self.controls.click(col, row) {
            return true;
        }
        let r = self.side_hit;
        if col >= r.x && col < r.right() && row >= r.y && row < r.bottom() {
            return self.act(Act::NextView);
        }
        false
    }

    fn layout(&mut self, area: Rect, ui: &Ui) {
        self.lay_out(area, ui);
    }

    fn animating(&self) -> bool {
        self.playback.playing() && self.result.is_some()
    }

    fn tick(&mut self) -> bool {
        self.result.is_some() && self.playback.tick()
    }

    fn poll(&mut self) -> bool {
        let error = self.worker.error().map(str::to_owned);
        if let Some(result) = self.worker.poll() {
            self.accept(result);
            return true;
        }
        // A failed computation is news too (its error is shown), and so is progress.
        let label = self.worker.busy_label();
        let news = self.worker.error() != error.as_deref() || label != self.shown_label;
        self.shown_label = label;
        news
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
        self.playback.finish();
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
    }

    fn readout(&self) -> Option<String> {
        Some(self.readout_text())
    }
}

#[cfg(test)]
mod tests;
