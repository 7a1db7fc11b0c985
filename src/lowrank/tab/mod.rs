//! The Low-rank tab: a rank slider over the SVD of an image or matrix, with the original, the
//! rank-r approximation and the residual side by side, the singular-value spectrum, and three
//! lab panels: the symmetries of the optimal factors, the non-convex scalar landscape, and
//! gradient descent trained in the background against the Eckart–Young optimum.
//!
//! The tab composes its panels, each in a file of its own with its state, its background work
//! (a `WorkerPanel`), its note and its render: `pipeline` (the input and its decomposition in
//! three steps, and what is shown at the rank: images, readouts, spectrum), `symmetry`,
//! `landscape` and `descent`. This module holds the keys and routes them to the panels, and
//! loops over the panels' work (`Work`) for the tab bar and headless settling; `render` lays
//! the panels out and `notes` holds the prose.

#[cfg(test)]
mod claims;
mod descent;
mod jobs;
mod landscape;
mod notes;
mod pipeline;
mod render;
mod symmetry;
#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::input::InputError;
use crate::components::scroll::{self, ScrollAct, ScrollText};
use crate::components::worker::WorkerPanel;
use crate::components::wrapped;
use crate::controls::Cycle;
use crate::jobs::Waker;
use crate::keymap::{self, Action, Binding, Convention, Key};
use crate::tab::{Options, Tab};
use crate::theme::Ui;
pub use descent::DESCENT_BUDGET;
use descent::DescentPanel;
pub use jobs::Failure;
pub use landscape::LANDSCAPE_X;
use landscape::LandscapePanel;
use pipeline::Pipeline;
pub use pipeline::{DEFAULT_RANK, RANK_STEP};
use symmetry::SymmetryPanel;
pub use symmetry::{SCALES, SymmetryKind, Transform};

/// What the keys of this tab do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    RankDown,
    RankUp,
    /// The rank by [`RANK_STEP`] (the tab's main quantity).
    RankStepDown,
    RankStepUp,
    RankZero,
    RankFull,
    /// The previous / next lower panel (the arrows' and j/k's conventions).
    PanelUp,
    PanelDown,
    NextPanel,
    PrevPanel,
    NextView,
    NextInput,
    PrevInput,
    NewDraw,
    NextSymmetry,
    Rescale,
    NextX,
    Train,
    Rewind,
    /// Scrolls the shown lower panel's note.
    Note(ScrollAct),
}

impl Action for Act {
    fn convention(self) -> Option<Convention> {
        Some(match self {
            Act::RankDown => Convention::Less,
            Act::RankUp => Convention::More,
            Act::RankStepDown => Convention::MainDown,
            Act::RankStepUp => Convention::MainUp,
            Act::RankZero => Convention::First,
            Act::RankFull => Convention::Last,
            Act::PanelUp => Convention::Up,
            Act::PanelDown => Convention::Down,
            Act::NextPanel => Convention::NextPanel,
            Act::PrevPanel => Convention::PrevPanel,
            Act::NextView => Convention::NextView,
            Act::NewDraw => Convention::NextSeed,
            Act::Train => Convention::PlayPause,
            Act::Rewind => Convention::Rewind,
            Act::Note(scroll) => return scroll.convention(),
            Act::NextInput | Act::PrevInput | Act::NextSymmetry | Act::Rescale | Act::NextX => {
                return None;
            }
        })
    }
}

/// The tab's own bindings; [`KEYS`] adds the note's scroll keys.
const OWN_KEYS: &[Binding<Act>] = &[
    Binding {
        keys: keymap::MORE,
        action: Act::RankUp,
        help: "rank + 1 (add the next rank-one term)",
        hint: Some("rank"),
    },
    Binding {
        keys: keymap::LESS,
        action: Act::RankDown,
        help: "rank - 1 (remove the last rank-one term)",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_UP,
        action: Act::RankStepUp,
        help: "rank + 10",
        hint: None,
    },
    Binding {
        keys: keymap::MAIN_DOWN,
        action: Act::RankStepDown,
        help: "rank - 10",
        hint: None,
    },
    Binding {
        keys: keymap::FIRST,
        action: Act::RankZero,
        help: "rank 0",
        hint: None,
    },
    Binding {
        keys: keymap::LAST,
        action: Act::RankFull,
        help: "full rank min(m, n)",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_VIEW,
        action: Act::NextView,
        help: "next image: original, approximation, residual (narrow screens)",
        hint: Some("view"),
    },
    Binding {
        keys: keymap::NEXT_PANEL,
        action: Act::NextPanel,
        help: "next lower panel: spectrum, symmetry, landscape, descent",
        hint: Some("panel"),
    },
    Binding {
        keys: keymap::PREV_PANEL,
        action: Act::PrevPanel,
        help: "previous lower panel",
        hint: None,
    },
    Binding {
        keys: keymap::DOWN,
        action: Act::PanelDown,
        help: "next lower panel",
        hint: None,
    },
    Binding {
        keys: keymap::UP,
        action: Act::PanelUp,
        help: "previous lower panel",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('i')],
        action: Act::NextInput,
        help: "next input (built-ins, then the --input file)",
        hint: Some("input"),
    },
    Binding {
        keys: &[Key::ch('I')],
        action: Act::PrevInput,
        help: "previous input",
        hint: None,
    },
    Binding {
        keys: keymap::NEXT_SEED,
        action: Act::NewDraw,
        help: "new random draw: a new G or Q (symmetry), a new random start (descent)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('g')],
        action: Act::NextSymmetry,
        help: "symmetry: next kind, invertible G, orthogonal Q, scale e",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('e')],
        action: Act::Rescale,
        help: "symmetry: next scale e, A = eA*, B = B*/e",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('x')],
        action: Act::NextX,
        help: "landscape: next value of the entry x",
        hint: None,
    },
    Binding {
        keys: keymap::PLAY_PAUSE,
        action: Act::Train,
        help: "descent: start, pause or continue (500 more iterations after the budget)",
        hint: Some("train"),
    },
    Binding {
        keys: keymap::REWIND,
        action: Act::Rewind,
        help: "descent: rewind, the same run again from its random start",
        hint: None,
    },
];

/// The tab's key table: dispatch, footer hints and help all come from here. Its own keys, then
/// the lower panel's note: J/K by line, PgUp/PgDn by page.
pub static KEYS: LazyLock<Vec<Binding<Act>>> = LazyLock::new(|| {
    let mut keys = OWN_KEYS.to_vec();
    keys.extend(wrapped(scroll::LINE_KEYS, Act::Note));
    keys.extend(wrapped(scroll::PAGE_KEYS, Act::Note));
    keys
});

/// The name of the first key of `act`, for a hint drawn inside the tab.
fn key_of(act: Act, ui: &Ui) -> String {
    keymap::keys_of(&KEYS, act, ui.glyphs.unicode)
}

/// Which image the narrow layout shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Original,
    Approximation,
    Residual,
}

impl Cycle for View {
    const ALL: &'static [Self] = &[View::Original, View::Approximation, View::Residual];
}

/// Which lower panel is shown. In the wide layout the spectrum has a place of its own and the
/// lab place shows the energy curve when `Spectrum` is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Panel {
    Spectrum,
    Symmetry,
    Landscape,
    Descent,
}

impl Cycle for Panel {
    const ALL: &'static [Self] = &[
        Panel::Spectrum,
        Panel::Symmetry,
        Panel::Landscape,
        Panel::Descent,
    ];
}

/// A panel's background work, as the tab sees it: the tab loops over its panels for these.
trait Work {
    /// Takes finished results; true when something changed on screen.
    fn poll(&mut self) -> bool;
    /// Headless: waits for one pending result; true when one came.
    fn settle_one(&mut self) -> bool;
    /// True while the work runs.
    fn busy(&self) -> bool;
    /// What runs, for the tab bar.
    fn busy_label(&self) -> Option<String>;
}

/// What a worker panel gave: a result, or a computation that failed (the panel keeps why).
enum Taken<T> {
    Result(T),
    Failed,
}

/// The outcome of `panel`'s latest request once it has come: taken if ready, or (`wait`,
/// headless settling) waited for. A failed computation shows only as a new error in the
/// panel, so a panel clears its error when it asks for a new result.
fn take<Req: Send, Res: Send>(panel: &mut WorkerPanel<Req, Res>, wait: bool) -> Option<Taken<Res>> {
    let before = panel.error().map(str::to_owned);
    let result = if wait { panel.settle() } else { panel.poll() };
    match result {
        Some(result) => Some(Taken::Result(result)),
        None if panel.error() != before.as_deref() => Some(Taken::Failed),
        None => None,
    }
}

/// The Low-rank tab's state: its panels, and which image and lower panel are shown.
pub struct LowrankTab {
    pipeline: Pipeline,
    symmetry: SymmetryPanel,
    landscape: LandscapePanel,
    descent: DescentPanel,
    view: View,
    panel: Panel,
}

impl LowrankTab {
    /// The tab on `options.lowrank_input` (a built-in name or a file, as
    /// [`super::input::Source::from_arg`] decides; the camera if none). A file is loaded here,
    /// so a bad one is reported before the terminal is taken over; the SVD is left to the
    /// workers.
    pub fn new(waker: &Waker, options: &Options) -> Result<Self, InputError> {
        let mut tab = LowrankTab {
            pipeline: Pipeline::new(waker, options)?,
            symmetry: SymmetryPanel::new(waker),
            landscape: LandscapePanel::new(),
            descent: DescentPanel::new(waker),
            view: View::Approximation,
            panel: Panel::Spectrum,
        };
        tab.poll();
        Ok(tab)
    }

    /// The panels' work, in the order the tab bar names what runs.
    fn work(&self) -> [&dyn Work; 3] {
        [&self.pipeline, &self.descent, &self.symmetry]
    }

    fn work_mut(&mut self) -> [&mut dyn Work; 3] {
        [&mut self.pipeline, &mut self.descent, &mut self.symmetry]
    }

    /// True while the input shown has only its leading triplets (or all values, no vectors).
    pub fn is_partial(&self) -> bool {
        self.pipeline.is_partial()
    }

    /// The current rank, if an input is ready.
    pub fn rank(&self) -> Option<usize> {
        self.pipeline.rank()
    }

    /// The readouts at the current rank, if an input is ready.
    pub fn readouts(&self) -> Option<&crate::lowrank::model::Readouts> {
        self.pipeline.ready().map(|r| &r.readouts)
    }

    /// The name of the input shown (or being loaded).
    pub fn input_name(&self) -> String {
        self.pipeline.input_name()
    }

    pub fn view(&self) -> View {
        self.view
    }

    pub fn panel(&self) -> Panel {
        self.panel
    }

    /// The symmetry the panel shows.
    pub fn transform(&self) -> Transform {
        self.symmetry.transform()
    }

    /// The entry x of the scalar landscape.
    pub fn landscape_x(&self) -> f64 {
        self.landscape.x()
    }

    pub fn training(&self) -> bool {
        self.descent.training()
    }

    /// Iterations of the current descent run.
    pub fn descent_iterations(&self) -> usize {
        self.descent.iterations()
    }

    /// Shows `panel` below, its note from the top, and asks for what it needs.
    fn show(&mut self, panel: Panel) {
        self.panel = panel;
        self.pipeline.note.reset();
        self.symmetry.note.reset();
        self.descent.note.reset();
        self.request_symmetry();
    }

    /// The symmetry readout for the current decomposition, rank and transform, when shown.
    fn request_symmetry(&mut self) {
        if self.panel != Panel::Symmetry {
            return;
        }
        if let Some(ready) = self.pipeline.ready() {
            self.symmetry.request(self.pipeline.serial(), ready);
            self.symmetry.poll();
        }
    }

    /// The note the scroll keys move: the shown lower panel's (the spectrum's is the
    /// Eckart–Young note under the readouts, on wide screens).
    fn note_mut(&mut self) -> Option<&mut ScrollText> {
        match self.panel {
            Panel::Spectrum => Some(&mut self.pipeline.note),
            Panel::Symmetry => Some(&mut self.symmetry.note),
            Panel::Landscape => None,
            Panel::Descent => Some(&mut self.descent.note),
        }
    }

    /// What the tab shows now, in plain lines: the input and the rank with the error both ways,
    /// the energy and the storage, the shown panel's figures, the image shown.
    fn readout_text(&self) -> String {
        let ui = Ui::standard();
        let mut lines = self.pipeline.readout(&ui);
        lines.extend(match self.panel {
            Panel::Spectrum => self.pipeline.spectrum_readout(),
            Panel::Symmetry => self.symmetry.readout(&self.pipeline),
            Panel::Landscape => self.landscape.readout(),
            Panel::Descent => self.descent.readout(&ui, &self.pipeline),
        });
        let view = match self.view {
            View::Original => "the original",
            View::Approximation => "the rank-r approximation",
            View::Residual => "the residual",
        };
        lines.push(format!(
            "image shown on narrow screens: {view} (wide screens show all three)"
        ));
        if let Some(running) = self.busy_label() {
            lines.push(format!("computing: {running}"));
        }
        lines.join("\n")
    }

    /// Routes `act` to the panel it concerns.
    fn dispatch(&mut self, act: Act) -> bool {
        match act {
            Act::RankDown
            | Act::RankUp
            | Act::RankStepDown
            | Act::RankStepUp
            | Act::RankZero
            | Act::RankFull => {
                let moved = self.pipeline.act(act);
                if moved {
                    self.request_symmetry();
                }
                moved
            }
            Act::NextInput | Act::PrevInput => {
                self.descent.stop();
                self.symmetry.clear();
                self.pipeline.act(act)
            }
            Act::NextView => {
                self.view = self.view.next();
                true
            }
            Act::NextPanel | Act::PanelDown => {
                self.show(self.panel.next());
                true
            }
            Act::PrevPanel | Act::PanelUp => {
                self.show(self.panel.prev());
                true
            }
            Act::Note(scroll) => self.note_mut().is_some_and(|note| note.act(scroll)),
            Act::NewDraw if self.panel == Panel::Descent => {
                self.descent.act(act, self.pipeline.ready())
            }
            Act::NewDraw | Act::NextSymmetry | Act::Rescale => {
                self.symmetry.act(act);
                self.show(Panel::Symmetry);
                true
            }
            Act::NextX => {
                self.landscape.act(act);
                self.show(Panel::Landscape);
                true
            }
            Act::Train | Act::Rewind => {
                if self.pipeline.ready().is_none() {
                    return false;
                }
                self.show(Panel::Descent);
                self.descent.act(act, self.pipeline.ready())
            }
        }
    }
}

impl Tab for LowrankTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "Low rank"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        &KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        let changed = self.dispatch(act);
        // Headless, the work asked for is done: its results are taken at once.
        self.poll();
        changed
    }

    fn poll(&mut self) -> bool {
        let serial = self.pipeline.serial();
        let mut changed = false;
        for work in self.work_mut() {
            changed |= work.poll();
        }
        if self.pipeline.serial() != serial {
            self.request_symmetry();
        }
        changed
    }

    fn busy(&self) -> bool {
        self.work().iter().any(|work| work.busy())
    }

    fn busy_label(&self) -> Option<String> {
        self.work().iter().find_map(|work| work.busy_label())
    }

    fn settle(&mut self) {
        // Headless workers finish on submit: each poll takes a result and, while training,
        // submits (and so computes) the next chunk, until the run stops. With threaded workers
        // (not used headless) wait for whatever is still running.
        loop {
            if self.poll() {
                continue;
            }
            let serial = self.pipeline.serial();
            if !self.work_mut().into_iter().any(|work| work.settle_one()) {
                break;
            }
            if self.pipeline.serial() != serial {
                self.request_symmetry();
            }
        }
    }

    fn layout(&mut self, area: Rect, ui: &Ui) {
        self.fit_notes(area, ui);
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        self.draw(area, buf, ui);
    }

    fn readout(&self) -> Option<String> {
        Some(self.readout_text())
    }
}
