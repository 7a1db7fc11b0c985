//! The Low-rank tab: a rank slider over the SVD of an image or matrix, with the original, the
//! rank-r approximation and the residual side by side, the singular-value spectrum, and three
//! lab panels: the symmetries of the optimal factors, the non-convex scalar landscape, and
//! gradient descent trained in the background against the Eckart–Young optimum.
//!
//! This module holds the state, the keys and the background jobs; `render` draws from the
//! results and `notes` holds the prose. The decomposition, the symmetry products and the
//! descent run on workers (`jobs`), and rendering reads what they produced.
//!
//! An input is decomposed in three steps, each shown as soon as it arrives: the first view
//! (the leading triplets for the current rank and ‖X‖²_F, cancellable, its progress shared with
//! the tab bar), then every singular value, then every vector. The last two run on a worker of
//! their own, abandoned by a new input: faer's SVD cannot stop mid-call, so a stale one finishes
//! on its one core while the new input's first view runs on the other.

mod jobs;
mod notes;
mod render;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::KeyCode;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::input::{self, Builtin, InputError, Loaded, Source};
use super::model::descent::{self, GradientDescent, Standing};
use super::model::partial::{PartialError, Progress};
use super::model::{Decomposition, Readouts, parallelism_for};
use crate::controls::Cycle;
use crate::jobs::{JobError, Waker, Worker};
use crate::keymap::{Binding, Key, Nav};
use crate::tab::{Options, Tab};
use crate::theme::Ui;
use crate::widgets::picture::Pictures;
use faer::Par;
pub use jobs::Failure;
use jobs::{
    Completed, CompletionJob, CompletionStage, DescentJob, DescentStatus, FirstView, FirstViewJob,
    JobInput, LandscapeView, Ready, SymmetryJob, SymmetryView, complete, first_view,
    landscape_view, status_of, symmetry_view, train_chunk,
};

/// The rank shown first (clamped to min(m, n)).
pub const DEFAULT_RANK: usize = 10;
/// PgUp / PgDn move the rank by this much.
pub const RANK_PAGE: usize = 10;
/// A descent run stops after this many iterations unless it converged first; `t` then grants
/// as many more.
pub const DESCENT_BUDGET: usize = 500;
/// Multiply-adds per background descent chunk (about 30 ms, so the chart animates smoothly).
const DESCENT_CHUNK_MULTIPLY_ADDS: f64 = 2e8;
/// The scales e the symmetry panel cycles through.
pub const SCALES: [f64; 5] = [2.0, 0.5, -1.0, 10.0, 0.1];
/// The entries x the landscape panel cycles through.
pub const LANDSCAPE_X: [f64; 4] = [1.0, 0.5, 2.0, -1.0];
/// The landscape is drawn on [−2, 2]², sampled on a square grid of this many points a side.
const LANDSCAPE_HALF_WIDTH: f64 = 2.0;
const LANDSCAPE_SAMPLES: usize = 96;

/// What the keys of this tab do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    RankDown,
    RankUp,
    RankPageDown,
    RankPageUp,
    RankZero,
    RankFull,
    NextView,
    NextPanel,
    PrevPanel,
    NextInput,
    PrevInput,
    NewDraw,
    NextSymmetry,
    Rescale,
    NextX,
    Train,
    Rewind,
    NoteDown,
    NoteUp,
}

// Conventions: filled in as the tab moves to the shared components.
impl crate::keymap::Action for Act {}

/// The tab's key table: dispatch, footer hints and help all come from here. The letters follow
/// the convention in `keymap`: `n` a new random draw, `r` rewind, `t` train, `p` panel, `v` view.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[Key::code(KeyCode::Right), Key::ch('l')],
        action: Act::RankUp,
        help: "rank + 1 (add the next rank-one term)",
        hint: Some("rank"),
    },
    Binding {
        keys: &[Key::code(KeyCode::Left), Key::ch('h')],
        action: Act::RankDown,
        help: "rank - 1 (remove the last rank-one term)",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageUp)],
        action: Act::RankPageUp,
        help: "rank + 10",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::PageDown)],
        action: Act::RankPageDown,
        help: "rank - 10",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::Home)],
        action: Act::RankZero,
        help: "rank 0",
        hint: None,
    },
    Binding {
        keys: &[Key::code(KeyCode::End)],
        action: Act::RankFull,
        help: "full rank min(m, n)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('v')],
        action: Act::NextView,
        help: "next image: original, approximation, residual (narrow screens)",
        hint: Some("view"),
    },
    Binding {
        keys: &[Key::ch('p')],
        action: Act::NextPanel,
        help: "next lower panel: spectrum, symmetry, landscape, descent",
        hint: Some("panel"),
    },
    Binding {
        keys: &[Key::ch('P')],
        action: Act::PrevPanel,
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
        keys: &[Key::ch('n')],
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
        keys: &[Key::ch('t')],
        action: Act::Train,
        help: "descent: start, pause or continue (500 more iterations after the budget)",
        hint: Some("train"),
    },
    Binding {
        keys: &[Key::ch('r')],
        action: Act::Rewind,
        help: "descent: rewind, the same run again from its random start",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('J')],
        action: Act::NoteDown,
        help: "scroll the lower panel's note down (a mark shows there is more)",
        hint: None,
    },
    Binding {
        keys: &[Key::ch('K')],
        action: Act::NoteUp,
        help: "scroll the lower panel's note up",
        hint: None,
    },
];

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

/// The kinds of symmetry the panel shows, in the order `g` steps through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymmetryKind {
    General,
    Orthogonal,
    Scale,
}

impl Cycle for SymmetryKind {
    const ALL: &'static [Self] = &[
        SymmetryKind::General,
        SymmetryKind::Orthogonal,
        SymmetryKind::Scale,
    ];
}

/// A symmetry applied to the optimal factors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transform {
    /// A = A*G, B = G⁻¹B* with an invertible G drawn from this seed.
    General { seed: u64 },
    /// A = A*Q, B = QᵀB* with an orthogonal Q drawn from this seed.
    Orthogonal { seed: u64 },
    /// A = eA*, B = B*/e.
    Scale { e: f64 },
}

/// Whole percent of a fraction, rounded down (so 100 % means done).
fn percent_of(fraction: f64) -> u32 {
    (fraction.clamp(0.0, 1.0) * 100.0).floor() as u32
}

/// The Low-rank tab's state.
pub struct LowrankTab {
    inputs: Vec<Source>,
    input_index: usize,
    max_side: usize,
    /// The leading triplets of a new input, or more of them for a rank beyond those known.
    first_view_worker: Worker<FirstViewJob, Result<FirstView, Failure>>,
    /// How far the first view has got, written by its worker between blocks.
    first_view_progress: Arc<Mutex<Option<Progress>>>,
    /// The progress last drawn, so a wake with new progress redraws.
    progress_seen: Option<Progress>,
    /// From a first view's request until it is taken: busy even between the worker finishing
    /// and the tab taking its result (and submitting the completion), so the tab bar never
    /// looks settled in that gap.
    first_view_pending: bool,
    /// Every singular value, then the full SVD, of the input shown: a worker of its own, so a
    /// stale completion never delays a first view. Each stage is one faer call; in the app it
    /// runs in a child process (`svd_worker`) that is killed as soon as it is stale.
    completion_worker: Worker<CompletionJob, Result<(u64, Completed), PartialError>>,
    /// The completion stage running for the input shown.
    completing: Option<CompletionStage>,
    /// When that stage started, and the whole seconds since then last drawn: its worker wakes
    /// the loop every second so the tab bar's count goes on.
    completion_since: Option<Instant>,
    completion_seconds_seen: u64,
    /// How far the bidiagonalisation of step 1 has got (a fraction), written by its worker, and
    /// the whole percent last drawn.
    completion_progress: Arc<Mutex<Option<f64>>>,
    completion_percent_seen: Option<u32>,
    /// Every singular value of the input shown, once known (kept for a first view with more
    /// triplets that arrives after them).
    all_values: Option<Arc<Vec<f64>>>,
    /// The rank asked for while more leading triplets are computed.
    wanted_rank: Option<usize>,
    ready: Option<Ready>,
    /// The input being decomposed, while the worker runs.
    loading: Option<String>,
    error: Option<Failure>,
    /// Why the completion of the input shown failed (its first view stays on screen).
    completion_error: Option<Failure>,
    view: View,
    panel: Panel,
    /// How far the lower panel's note is scrolled (clamped when drawn).
    note_scroll: u16,

    symmetry_worker: Worker<SymmetryJob, SymmetryView>,
    symmetry_kind: SymmetryKind,
    symmetry_seed: u64,
    scale_index: usize,
    symmetry: Option<SymmetryView>,
    symmetry_error: Option<Failure>,

    landscape_index: usize,
    landscape: LandscapeView,

    descent_worker: Worker<DescentJob, DescentJob>,
    /// The descent run while it is not on the worker.
    descent: Option<DescentJob>,
    descent_status: Option<DescentStatus>,
    descent_error: Option<Failure>,
    /// (iteration, loss) of the current run, for the chart.
    descent_losses: Vec<(f64, f64)>,
    training: bool,
    descent_seed: u64,
    /// Numbers the descent runs; results of other runs are ignored.
    descent_run: u64,
    /// Numbers the inputs loaded; symmetry results for an earlier input are ignored.
    generation: u64,
    /// The three images, encoded for a terminal image protocol when one is in use.
    pictures: Pictures,
}

impl LowrankTab {
    /// The tab on `options.lowrank_input` (a built-in name or a file, as
    /// [`Source::from_arg`] decides; the camera if none). A file is loaded here, so a bad one is
    /// reported before the terminal is taken over; the SVD is left to the worker.
    pub fn new(waker: &Waker, options: &Options) -> Result<Self, InputError> {
        let max_side = options.max_side.unwrap_or(input::DEFAULT_MAX_SIDE).max(1);
        let chosen = options.lowrank_input.as_deref().map(Source::from_arg);
        let mut inputs: Vec<Source> = Builtin::ALL.into_iter().map(Source::Builtin).collect();
        let (input_index, first) = match chosen {
            Some(Source::Builtin(b)) => {
                (Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0), None)
            }
            Some(Source::Path(path)) => {
                let source = Source::Path(path);
                let loaded = input::load(&source, max_side)?;
                inputs.push(source);
                (inputs.len() - 1, Some(loaded))
            }
            None => (0, None),
        };
        let first_view_progress = Arc::new(Mutex::new(None));
        let completion_progress = Arc::new(Mutex::new(None));
        let progress = Arc::clone(&first_view_progress);
        let wake = waker.clone();
        // While a first view (or more leading triplets) is computed, the completion gives it a
        // core: it asks before every column.
        let first_view_running = Arc::new(AtomicBool::new(false));
        let running = Arc::clone(&first_view_running);
        let first_view_worker = Worker::cancellable(waker, move |job, cancel| {
            let mut report = |p: Progress| {
                if let Ok(mut slot) = progress.lock() {
                    *slot = Some(p);
                }
                wake.wake();
            };
            // Down again however the job ends (a panic in it included).
            struct Running<'a>(&'a AtomicBool);
            impl Drop for Running<'_> {
                fn drop(&mut self) {
                    self.0.store(false, Ordering::SeqCst);
                }
            }
            running.store(true, Ordering::SeqCst);
            let _running = Running(&running);
            first_view(job, cancel, &mut report)
        });
        let mut tab = LowrankTab {
            inputs,
            input_index,
            max_side,
            first_view_worker,
            first_view_progress,
            progress_seen: None,
            first_view_pending: false,
            completion_worker: {
                let exe = options.svd_worker.clone();
                let wake = waker.clone();
                let slot = Arc::clone(&completion_progress);
                Worker::cancellable(waker, move |job: CompletionJob, cancel| {
                    let mut woken = Instant::now();
                    let mut heartbeat = || {
                        if woken.elapsed() >= Duration::from_secs(1) {
                            woken = Instant::now();
                            wake.wake();
                        }
                    };
                    // A report (and a redraw) when the whole percent changes.
                    let mut percent = None;
                    let mut progress = |fraction: f64| {
                        let now = Some(percent_of(fraction));
                        if now != percent {
                            percent = now;
                            if let Ok(mut p) = slot.lock() {
                                *p = Some(fraction);
                            }
                            wake.wake();
                        }
                    };
                    let all = parallelism_for(job.matrix.len());
                    let threads = || {
                        if first_view_running.load(Ordering::SeqCst) {
                            Par::Seq
                        } else {
                            all
                        }
                    };
                    complete(
                        &job,
                        exe.as_deref(),
                        cancel,
                        &mut heartbeat,
                        &mut progress,
                        &threads,
                    )
                })
            },
            completion_progress,
            completion_percent_seen: None,
            completing: None,
            completion_since: None,
            completion_seconds_seen: 0,
            all_values: None,
            wanted_rank: None,
            ready: None,
            loading: None,
            error: None,
            completion_error: None,
            view: View::Approximation,
            panel: Panel::Spectrum,
            note_scroll: 0,
            symmetry_worker: Worker::new(waker, symmetry_view),
            symmetry_kind: SymmetryKind::General,
            symmetry_seed: 1,
            scale_index: 0,
            symmetry: None,
            symmetry_error: None,
            landscape_index: 0,
            landscape: landscape_view(LANDSCAPE_X[0]),
            descent_worker: Worker::new(waker, train_chunk),
            descent: None,
            descent_status: None,
            descent_error: None,
            descent_losses: Vec::new(),
            training: false,
            descent_seed: 1,
            descent_run: 0,
            generation: 0,
            pictures: Pictures::new(),
        };
        tab.start_loading(first);
        Ok(tab)
    }

    fn start_loading(&mut self, loaded: Option<Loaded>) {
        let source = self.inputs[self.input_index.min(self.inputs.len() - 1)].clone();
        self.generation = self.generation.wrapping_add(1);
        self.loading = Some(source.to_string());
        self.error = None;
        self.completion_error = None;
        self.ready = None;
        self.symmetry = None;
        self.symmetry_error = None;
        self.stop_descent();
        // The old input's completion is stale: it stops before its next stage, and its one
        // uncancellable call (one core) runs beside the new first view, never before it.
        self.completion_worker.abandon();
        self.completing = None;
        self.all_values = None;
        self.wanted_rank = None;
        let input = match loaded {
            Some(loaded) => JobInput::Loaded(loaded),
            None => JobInput::Source(source),
        };
        self.submit_first_view(input, DEFAULT_RANK);
        self.poll();
    }

    fn submit_first_view(&mut self, input: JobInput, rank: usize) {
        if let Ok(mut slot) = self.first_view_progress.lock() {
            *slot = None;
        }
        self.progress_seen = None;
        self.first_view_pending = true;
        self.first_view_worker.submit(FirstViewJob {
            generation: self.generation,
            input,
            max_side: self.max_side,
            rank,
        });
    }

    /// More leading triplets for a rank beyond those known (the completion goes on).
    fn extend_first_view(&mut self, rank: usize) {
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        let input = JobInput::Shown {
            meta: ready.meta(),
            matrix: Arc::clone(&ready.decomposition.matrix),
        };
        self.wanted_rank = Some(rank);
        self.submit_first_view(input, rank);
        self.poll();
    }

    fn submit_completion(&mut self, stage: CompletionStage) {
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        self.completing = Some(stage);
        self.completion_since = Some(Instant::now());
        self.completion_seconds_seen = 0;
        if let Ok(mut p) = self.completion_progress.lock() {
            *p = None;
        }
        self.completion_percent_seen = None;
        self.completion_worker.submit(CompletionJob {
            generation: self.generation,
            stage,
            matrix: Arc::clone(&ready.decomposition.matrix),
        });
    }

    /// True while the input shown has only its leading triplets (or all values, no vectors).
    pub fn is_partial(&self) -> bool {
        self.ready
            .as_ref()
            .is_some_and(|r| !r.decomposition.is_complete())
    }

    fn stop_descent(&mut self) {
        self.descent_run = self.descent_run.wrapping_add(1);
        self.training = false;
        self.descent = None;
        self.descent_status = None;
        self.descent_error = None;
        self.descent_losses.clear();
    }

    /// The current rank, if an input is ready.
    pub fn rank(&self) -> Option<usize> {
        self.ready.as_ref().map(Ready::rank)
    }

    /// The readouts at the current rank, if an input is ready.
    pub fn readouts(&self) -> Option<&Readouts> {
        self.ready.as_ref().map(|r| &r.readouts)
    }

    /// The name of the input shown (or being loaded).
    pub fn input_name(&self) -> String {
        match (&self.ready, &self.loading) {
            (_, Some(loading)) => loading.clone(),
            (Some(ready), None) => ready.name.clone(),
            (None, None) => String::new(),
        }
    }

    pub fn view(&self) -> View {
        self.view
    }

    pub fn panel(&self) -> Panel {
        self.panel
    }

    /// The symmetry the panel shows.
    pub fn transform(&self) -> Transform {
        match self.symmetry_kind {
            SymmetryKind::General => Transform::General {
                seed: self.symmetry_seed,
            },
            SymmetryKind::Orthogonal => Transform::Orthogonal {
                seed: self.symmetry_seed,
            },
            SymmetryKind::Scale => Transform::Scale {
                e: SCALES[self.scale_index % SCALES.len()],
            },
        }
    }

    /// The entry x of the scalar landscape.
    pub fn landscape_x(&self) -> f64 {
        self.landscape.x
    }

    pub fn training(&self) -> bool {
        self.training
    }

    /// Iterations of the current descent run.
    pub fn descent_iterations(&self) -> usize {
        self.descent_status.map_or(0, |s| s.iterations)
    }

    fn set_rank(&mut self, target: impl FnOnce(usize, usize) -> usize) -> bool {
        let Some(ready) = self.ready.as_mut() else {
            return false;
        };
        let (now, max) = (ready.rank(), ready.max_rank());
        let next = target(now, max).min(max);
        if next == now {
            return false;
        }
        let known = ready.known_rank();
        ready.set_rank(next);
        if next > known && 2 * next > max {
            // Most of the spectrum: more leading triplets would cost as much as the full SVD,
            // so the completion brings this rank; the last known rank is shown until then.
            self.wanted_rank = Some(next);
        } else if next > known {
            // Beyond the triplets known: show the last known rank until more arrive.
            self.extend_first_view(next);
        } else if self.wanted_rank.take().is_some() {
            // Back within the known triplets: the extension is no longer needed.
            self.abandon_first_view();
        }
        self.request_symmetry();
        true
    }

    /// Recompute the symmetry readout for the current rank and transform (if it is shown).
    fn request_symmetry(&mut self) {
        if self.panel != Panel::Symmetry {
            return;
        }
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        let wanted = (self.generation, ready.rank(), self.transform());
        if self
            .symmetry
            .as_ref()
            .is_some_and(|s| (s.generation, s.rank, s.transform) == wanted)
        {
            return;
        }
        self.symmetry_error = None;
        self.symmetry_worker.submit(SymmetryJob {
            generation: self.generation,
            decomposition: Arc::clone(&ready.decomposition),
            rank: ready.rank(),
            transform: self.transform(),
        });
        self.poll();
    }

    fn set_panel(&mut self, panel: Panel) {
        self.panel = panel;
        self.note_scroll = 0;
        self.request_symmetry();
    }

    /// `t`: pause a run in progress; resume a paused one; continue one that stopped at its
    /// budget with [`DESCENT_BUDGET`] more iterations; otherwise start a run at this rank.
    fn train(&mut self) -> bool {
        let Some(rank) = self.rank() else {
            return false;
        };
        self.set_panel(Panel::Descent);
        if self.training {
            self.training = false;
            return true;
        }
        let same_rank = self.descent_status.filter(|s| s.rank == rank);
        match (same_rank.map(|s| s.standing), self.descent.take()) {
            (Some(Standing::Running), Some(job)) => {
                self.training = true;
                self.descent_worker.submit(job);
            }
            // Paused while a chunk was on the worker: it is resubmitted when it arrives.
            (Some(Standing::Running), None) if self.descent_worker.busy() => {
                self.training = true;
            }
            (Some(Standing::AtBudget), Some(mut job)) => {
                job.budget = job.budget.saturating_add(DESCENT_BUDGET);
                self.descent_status = Some(status_of(&job));
                self.training = true;
                self.descent_worker.submit(job);
            }
            // Converged or diverged: there is nothing to continue (r replays, n draws anew).
            (Some(Standing::Converged | Standing::Diverged), job) => {
                self.descent = job;
                return false;
            }
            _ => self.start_descent(),
        }
        self.poll();
        true
    }

    /// A new run at the current rank from the random start of `descent_seed`.
    fn start_descent(&mut self) {
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        let rank = ready.rank();
        let optimum = descent::optimal_loss(&ready.decomposition, rank);
        let descent = GradientDescent::new(
            Arc::clone(&ready.decomposition.matrix),
            rank,
            self.descent_seed,
        );
        let predicted_rate = descent::predicted_contraction(
            &ready.decomposition.svd.singular_values,
            rank,
            descent.step_size(),
        );
        let job = DescentJob {
            run: 0,
            descent,
            optimum,
            budget: DESCENT_BUDGET,
            predicted_rate,
        };
        self.descent_losses = vec![(0.0, job.descent.loss())];
        self.descent_status = Some(status_of(&job));
        self.descent = None;
        self.descent_error = None;
        self.training = true;
        self.descent_run = self.descent_run.wrapping_add(1);
        self.descent_worker.submit(DescentJob {
            run: self.descent_run,
            ..job
        });
    }

    /// What runs and how far, given which workers are busy (the tab bar's label): what, then
    /// how far, then the input's name, so a narrow tab bar cuts the name first.
    fn busy_text(&self, first_view_busy: bool, completion_busy: bool) -> Option<String> {
        let name = self.input_name();
        if first_view_busy {
            let what = if self.loading.is_some() {
                "first view"
            } else {
                "more singular triplets"
            };
            let progress = self.first_view_progress.lock().ok().and_then(|p| *p);
            Some(match progress {
                Some(progress) => format!("{what}: {progress}, {name}"),
                None => format!("{what}, {name}"),
            })
        } else if completion_busy && self.completing.is_some() {
            let (what, step) = match self.completing {
                Some(CompletionStage::Values) => ("all σ", 1),
                _ => ("singular vectors", 2),
            };
            let mut how = Vec::new();
            if step == 1
                && let Some(fraction) = self.completion_progress.lock().ok().and_then(|p| *p)
            {
                how.push(if fraction < 1.0 {
                    format!("bidiagonal form {} %", percent_of(fraction))
                } else {
                    "σ of the bidiagonal".to_string()
                });
            }
            let seconds = self.completion_since.map_or(0, |t| t.elapsed().as_secs());
            if seconds > 0 {
                how.push(format!("{seconds} s"));
            }
            let how = if how.is_empty() {
                String::new()
            } else {
                format!(": {}", how.join(", "))
            };
            Some(format!("{what}{how} (step {step} of 2), {name}"))
        } else if self.training {
            Some("training".to_string())
        } else if self.symmetry_worker.busy() {
            Some("symmetry".to_string())
        } else {
            None
        }
    }

    fn abandon_first_view(&mut self) {
        self.first_view_worker.abandon();
        self.first_view_pending = false;
    }

    fn accept_svd(&mut self, result: Result<Result<FirstView, Failure>, JobError>) {
        // `take` answers only the latest request: nothing is pending after it.
        self.first_view_pending = false;
        if let Ok(mut slot) = self.first_view_progress.lock() {
            *slot = None;
        }
        self.progress_seen = None;
        let result = result.unwrap_or_else(|error| Err(Failure::Job { what: "SVD", error }));
        let view = match result {
            Ok(view) if view.generation != self.generation => return,
            Ok(view) => view,
            Err(failure) => {
                self.loading = None;
                self.wanted_rank = None;
                self.ready = None;
                self.error = Some(failure);
                return;
            }
        };
        let extending = self.loading.is_none();
        self.loading = None;
        // An extension arriving after the full SVD has nothing to add.
        if extending && !self.is_partial() {
            self.wanted_rank = None;
            return;
        }
        let rank = self.wanted_rank.take().unwrap_or(view.rank);
        let all_values = self.all_values.clone();
        let built = view
            .decomposition(all_values.as_deref().map(Vec::as_slice))
            .map(|(meta, decomposition, leading)| {
                Ready::new(&meta, decomposition, Some(leading), rank)
            });
        match built {
            Ok(ready) => {
                self.ready = Some(ready);
                self.error = None;
                self.symmetry = None;
                if !extending {
                    self.submit_completion(CompletionStage::Values);
                }
                self.request_symmetry();
            }
            Err(failure) => {
                self.ready = None;
                self.error = Some(failure);
            }
        }
    }

    /// A failed completion: said beside the first view if there is one, else instead of it.
    fn completion_failed(&mut self, failure: Failure) {
        if self.ready.is_some() {
            self.completion_error = Some(failure);
        } else {
            self.error = Some(failure);
        }
    }

    fn accept_completion(
        &mut self,
        result: Result<Result<(u64, Completed), PartialError>, JobError>,
    ) {
        self.completing = None;
        let name = self.input_name();
        let completed = match result {
            Ok(Ok((generation, completed))) if generation == self.generation => completed,
            Ok(Ok(_)) | Ok(Err(PartialError::Cancelled)) => return,
            Ok(Err(error)) => {
                self.completion_failed(Failure::Partial { input: name, error });
                return;
            }
            Err(error) => {
                self.completion_failed(Failure::Job { what: "SVD", error });
                return;
            }
        };
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        let meta = ready.meta();
        let rank = self.wanted_rank.unwrap_or(ready.rank());
        let matrix = Arc::clone(&ready.decomposition.matrix);
        match completed {
            Completed::Values(values) => {
                let decomposition = Decomposition::from_leading(
                    matrix,
                    ready.decomposition.svd.clone(),
                    ready.decomposition.frobenius_sq,
                    Some(&values),
                );
                self.all_values = Some(Arc::new(values));
                if let Some(decomposition) = decomposition {
                    let leading = ready.leading.clone();
                    // The old view's m×n pictures go before the new ones are made.
                    self.ready = None;
                    self.ready = Some(Ready::new(&meta, Arc::new(decomposition), leading, rank));
                }
                self.submit_completion(CompletionStage::Vectors);
            }
            Completed::Vectors(svd) => {
                let (m, n) = matrix.dim();
                match Decomposition::from_parts(matrix, svd) {
                    Some(decomposition) => {
                        self.ready = None;
                        self.ready = Some(Ready::new(&meta, Arc::new(decomposition), None, rank));
                        if self.wanted_rank.take().is_some() {
                            self.abandon_first_view();
                        }
                    }
                    None => {
                        self.error = Some(Failure::Svd {
                            input: name,
                            error: crate::lowrank::model::SvdError::ShapeMismatch {
                                rows: m,
                                cols: n,
                            },
                        });
                    }
                }
            }
        }
        self.symmetry = None;
        self.request_symmetry();
    }

    fn accept_symmetry(&mut self, result: Result<SymmetryView, JobError>) {
        match result {
            Ok(view) if view.generation == self.generation => {
                self.symmetry = Some(view);
                self.symmetry_error = None;
            }
            Ok(_) => {}
            Err(error) => {
                self.symmetry_error = Some(Failure::Job {
                    what: "symmetry",
                    error,
                });
            }
        }
    }

    fn accept_descent(&mut self, result: Result<DescentJob, JobError>) {
        let job = match result {
            Ok(job) => job,
            Err(error) => {
                // The run's state was on the worker and is lost: say so; `t` starts anew.
                self.stop_descent();
                self.descent_error = Some(Failure::Job {
                    what: "gradient descent",
                    error,
                });
                return;
            }
        };
        if job.run != self.descent_run {
            return;
        }
        let known = self.descent_losses.len();
        self.descent_losses.extend(
            job.descent
                .losses()
                .iter()
                .enumerate()
                .skip(known)
                .map(|(i, loss)| (i as f64, *loss)),
        );
        let status = status_of(&job);
        self.descent_status = Some(status);
        if self.training && status.standing == Standing::Running {
            self.descent_worker.submit(job);
        } else {
            self.training = false;
            self.descent = Some(job);
        }
    }
}

impl Tab for LowrankTab {
    type Act = Act;

    fn title(&self) -> &'static str {
        "Low rank"
    }

    fn keys(&self) -> &'static [Binding<Act>] {
        KEYS
    }

    fn act(&mut self, act: Act) -> bool {
        match act {
            Act::RankUp => self.set_rank(|r, _| r.saturating_add(1)),
            Act::RankDown => self.set_rank(|r, _| r.saturating_sub(1)),
            Act::RankPageUp => self.set_rank(|r, _| r.saturating_add(RANK_PAGE)),
            Act::RankPageDown => self.set_rank(|r, _| r.saturating_sub(RANK_PAGE)),
            Act::RankZero => self.set_rank(|_, _| 0),
            Act::RankFull => self.set_rank(|_, max| max),
            Act::NextView => {
                self.view = self.view.next();
                true
            }
            Act::NextPanel => {
                self.set_panel(self.panel.next());
                true
            }
            Act::PrevPanel => {
                self.set_panel(self.panel.prev());
                true
            }
            Act::NextInput | Act::PrevInput => {
                let n = self.inputs.len();
                let by = if act == Act::NextInput { 1 } else { n - 1 };
                self.input_index = (self.input_index + by) % n;
                self.start_loading(None);
                true
            }
            Act::NewDraw if self.panel == Panel::Descent => {
                if self.ready.is_none() {
                    return false;
                }
                self.descent_seed = self.descent_seed.wrapping_add(1);
                self.start_descent();
                self.poll();
                true
            }
            Act::NewDraw => {
                if self.symmetry_kind == SymmetryKind::Scale {
                    self.symmetry_kind = SymmetryKind::General;
                }
                self.symmetry_seed = self.symmetry_seed.wrapping_add(1);
                self.set_panel(Panel::Symmetry);
                true
            }
            Act::NextSymmetry => {
                self.symmetry_kind = self.symmetry_kind.next();
                self.set_panel(Panel::Symmetry);
                true
            }
            Act::Rescale => {
                if self.symmetry_kind == SymmetryKind::Scale {
                    self.scale_index = (self.scale_index + 1) % SCALES.len();
                } else {
                    self.symmetry_kind = SymmetryKind::Scale;
                    self.scale_index = 0;
                }
                self.set_panel(Panel::Symmetry);
                true
            }
            Act::NextX => {
                self.landscape_index = (self.landscape_index + 1) % LANDSCAPE_X.len();
                self.landscape = landscape_view(LANDSCAPE_X[self.landscape_index]);
                self.set_panel(Panel::Landscape);
                true
            }
            Act::Train => self.train(),
            Act::NoteDown => {
                self.note_scroll = self.note_scroll.saturating_add(1);
                true
            }
            Act::NoteUp => {
                let before = self.note_scroll;
                self.note_scroll = self.note_scroll.saturating_sub(1);
                before != self.note_scroll
            }
            Act::Rewind => {
                if self.ready.is_none() {
                    return false;
                }
                self.set_panel(Panel::Descent);
                self.start_descent();
                self.poll();
                true
            }
        }
    }

    fn nav(&mut self, nav: Nav) -> bool {
        match nav {
            Nav::Up => self.act(Act::PrevPanel),
            Nav::Down => self.act(Act::NextPanel),
            _ => false,
        }
    }

    fn poll(&mut self) -> bool {
        let mut changed = false;
        if let Some(result) = self.first_view_worker.take() {
            self.accept_svd(result);
            changed = true;
        }
        // Headless, accepting one stage computes the next at once.
        while let Some(result) = self.completion_worker.take() {
            self.accept_completion(result);
            changed = true;
        }
        let percent = self
            .completion_progress
            .lock()
            .ok()
            .and_then(|p| *p)
            .map(percent_of);
        if self.completing.is_some() && percent != self.completion_percent_seen {
            self.completion_percent_seen = percent;
            changed = true;
        }
        if self.completing.is_some()
            && let Some(since) = self.completion_since
            && since.elapsed().as_secs() != self.completion_seconds_seen
        {
            self.completion_seconds_seen = since.elapsed().as_secs();
            changed = true;
        }
        let progress = self.first_view_progress.lock().ok().and_then(|p| *p);
        if progress != self.progress_seen && self.first_view_worker.busy() {
            self.progress_seen = progress;
            changed = true;
        }
        if let Some(result) = self.symmetry_worker.take() {
            self.accept_symmetry(result);
            changed = true;
        }
        if let Some(result) = self.descent_worker.take() {
            self.accept_descent(result);
            changed = true;
        }
        changed
    }

    fn busy(&self) -> bool {
        self.first_view_pending
            || self.completing.is_some()
            || self.symmetry_worker.busy()
            || self.training
    }

    fn busy_label(&self) -> Option<String> {
        self.busy_text(self.first_view_pending, self.completing.is_some())
    }

    fn settle(&mut self) {
        // Headless workers finish on submit: each poll takes a result and, while training,
        // submits (and so computes) the next chunk, until the run stops. With threaded workers
        // (not used headless) wait for whatever is still running.
        loop {
            if self.poll() {
                continue;
            }
            if self.first_view_worker.busy()
                && let Some(result) = self.first_view_worker.wait()
            {
                self.accept_svd(result);
                continue;
            }
            if self.completion_worker.busy()
                && let Some(result) = self.completion_worker.wait()
            {
                self.accept_completion(result);
                continue;
            }
            if self.symmetry_worker.busy()
                && let Some(result) = self.symmetry_worker.wait()
            {
                self.accept_symmetry(result);
                continue;
            }
            if self.training
                && self.descent_worker.busy()
                && let Some(result) = self.descent_worker.wait()
            {
                self.accept_descent(result);
                continue;
            }
            break;
        }
    }

    fn render(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width == 0 || area.height == 0 {
            return;
        }
        if area.width >= render::WIDE_MIN.0 && area.height >= render::WIDE_MIN.1 {
            self.render_wide(area, buf, ui);
        } else {
            self.render_narrow(area, buf, ui);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::theme::ColorDepth;

    fn tab() -> LowrankTab {
        let options = Options {
            lowrank_input: Some("synthetic".into()),
            max_side: None,
            svd_worker: None,
        };
        let mut tab = LowrankTab::new(&Waker::headless(), &options).unwrap();
        tab.settle();
        tab
    }

    fn text(tab: &LowrankTab, w: u16, h: u16, ui: &Ui) -> String {
        let area = Rect::new(0, 0, w, h);
        let mut buf = Buffer::empty(area);
        tab.render(area, &mut buf, ui);
        crate::snapshot::buffer_text(&buf)
    }

    #[test]
    fn rank_keys_move_the_rank_as_their_help_says() {
        let mut tab = tab();
        assert_eq!(tab.rank(), Some(DEFAULT_RANK));
        tab.act(Act::RankUp);
        assert_eq!(tab.rank(), Some(11));
        tab.act(Act::RankDown);
        tab.act(Act::RankDown);
        assert_eq!(tab.rank(), Some(9));
        tab.act(Act::RankPageUp);
        assert_eq!(tab.rank(), Some(19));
        tab.act(Act::RankPageDown);
        assert_eq!(tab.rank(), Some(9));
        tab.act(Act::RankFull);
        assert_eq!(tab.rank(), Some(192));
        assert!(!tab.act(Act::RankUp), "no change beyond min(m, n)");
        tab.act(Act::RankZero);
        assert_eq!(tab.rank(), Some(0));
        assert!(!tab.act(Act::RankDown));
        assert!(!tab.act(Act::RankPageDown));
        // The readouts follow the rank: the Eckart–Young identity holds at the new rank.
        tab.act(Act::RankPageUp);
        let r = tab.readouts().unwrap();
        assert_eq!(r.rank, 10);
        assert!(r.identity_gap.abs() < 1e-9);
    }

    #[test]
    fn view_panel_and_input_keys_cycle() {
        let mut tab = tab();
        assert_eq!(tab.view(), View::Approximation);
        tab.act(Act::NextView);
        assert_eq!(tab.view(), View::Residual);
        tab.act(Act::NextView);
        assert_eq!(tab.view(), View::Original);
        assert_eq!(tab.panel(), Panel::Spectrum);
        tab.act(Act::NextPanel);
        assert_eq!(tab.panel(), Panel::Symmetry);
        tab.act(Act::PrevPanel);
        tab.act(Act::PrevPanel);
        assert_eq!(tab.panel(), Panel::Descent);
        tab.nav(Nav::Down);
        assert_eq!(tab.panel(), Panel::Spectrum);
        assert_eq!(tab.input_name(), "synthetic");
        tab.act(Act::NextInput);
        tab.settle();
        assert_eq!(tab.input_name(), "camera");
        assert_eq!(tab.rank(), Some(DEFAULT_RANK));
        tab.act(Act::PrevInput);
        tab.settle();
        assert_eq!(tab.input_name(), "synthetic");
    }

    #[test]
    fn symmetry_keys_transform_and_keep_the_product() {
        let mut tab = tab();
        tab.act(Act::NewDraw);
        tab.settle();
        assert_eq!(tab.panel(), Panel::Symmetry);
        assert_eq!(tab.transform(), Transform::General { seed: 2 });
        let view = tab.symmetry.as_ref().unwrap();
        let readout = view.readout.as_ref().unwrap();
        assert!(readout.a_distance > 1e-3);
        assert!(readout.product_change < 1e-9, "{}", readout.product_change);
        // A general G unbalances the factors; an orthogonal Q does not.
        assert!(readout.imbalance_after > 1e-3);
        tab.act(Act::NextSymmetry);
        tab.settle();
        assert_eq!(tab.transform(), Transform::Orthogonal { seed: 2 });
        let readout = tab.symmetry.as_ref().unwrap().readout.as_ref().unwrap();
        assert!(readout.imbalance_after < 1e-9 * readout.a_distance.max(1.0));
        tab.act(Act::Rescale);
        tab.settle();
        assert_eq!(tab.transform(), Transform::Scale { e: SCALES[0] });
        // n leaves the scale for a new random G.
        tab.act(Act::NewDraw);
        assert_eq!(tab.transform(), Transform::General { seed: 3 });
        tab.act(Act::Rescale);
        tab.act(Act::Rescale);
        tab.act(Act::Rescale);
        tab.act(Act::Rescale);
        tab.settle();
        assert_eq!(tab.transform(), Transform::Scale { e: SCALES[3] });
        let readout = tab.symmetry.as_ref().unwrap().readout.as_ref().unwrap();
        assert!(readout.error_change.abs() < 1e-9);
        // Moving the rank recomputes the readout for the new rank.
        tab.act(Act::RankUp);
        tab.settle();
        assert_eq!(tab.symmetry.as_ref().unwrap().rank, 11);
    }

    #[test]
    fn landscape_key_cycles_x() {
        let mut tab = tab();
        assert_eq!(tab.landscape_x(), LANDSCAPE_X[0]);
        tab.act(Act::NextX);
        assert_eq!(tab.panel(), Panel::Landscape);
        assert_eq!(tab.landscape_x(), LANDSCAPE_X[1]);
        for _ in 0..LANDSCAPE_X.len() - 1 {
            tab.act(Act::NextX);
        }
        assert_eq!(tab.landscape_x(), LANDSCAPE_X[0]);
    }

    #[test]
    fn training_runs_to_the_optimum() {
        let mut tab = tab();
        tab.act(Act::RankZero);
        for _ in 0..5 {
            tab.act(Act::RankUp);
        }
        assert!(tab.act(Act::Train));
        assert_eq!(tab.panel(), Panel::Descent);
        assert!(tab.descent_iterations() > 0);
        tab.settle();
        assert!(!tab.training());
        let status = tab.descent_status.unwrap();
        assert_eq!(status.rank, 5);
        // "converged" is shown exactly when the stated rule holds.
        assert_eq!(status.standing, Standing::Converged);
        assert!(status.loss - status.optimum <= descent::CONVERGED_RELATIVE_GAP * status.optimum);
        assert!(status.iterations < DESCENT_BUDGET);
        assert_eq!(tab.descent_losses.len(), status.iterations + 1);
        // Nothing to continue after convergence.
        assert!(!tab.act(Act::Train));
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(screen.contains("converged"), "{screen}");
        // The rate line's two numbers: near the optimum the theory's ρ² bounds the observed
        // contraction (faster directions still fade at the end of a short run; the model's
        // tests follow the run further, to where the two agree).
        let observed = status.observed_rate.unwrap();
        let predicted = status.predicted_rate.unwrap().factor;
        assert!(observed <= predicted * 1.001, "{observed} {predicted}");
        assert!(observed > 0.3 * predicted, "{observed} {predicted}");
        // The imbalance stays small against the size of the factors: balanced at the end.
        assert!(status.imbalance_now < 1e-3 * status.gram_norm, "{status:?}");
    }

    #[test]
    fn train_pauses_resumes_and_restarts() {
        let mut tab = tab();
        // At rank 40 the noise directions are learnt slowly: the run lasts its whole budget.
        tab.act(Act::RankPageUp);
        tab.act(Act::RankPageUp);
        tab.act(Act::RankPageUp);
        assert_eq!(tab.rank(), Some(40));
        tab.act(Act::Train);
        assert!(tab.training());
        tab.act(Act::Train);
        assert!(!tab.training());
        tab.settle();
        let paused_at = tab.descent_iterations();
        assert!(paused_at > 0 && paused_at < DESCENT_BUDGET);
        tab.settle();
        assert_eq!(tab.descent_iterations(), paused_at);
        tab.act(Act::Train);
        assert!(tab.training());
        tab.settle();
        assert_eq!(tab.descent_iterations(), DESCENT_BUDGET);
        assert_eq!(tab.descent_losses.len(), DESCENT_BUDGET + 1);
        let status = tab.descent_status.unwrap();
        assert_eq!(status.standing, Standing::AtBudget);
        assert!(status.loss - status.optimum > descent::CONVERGED_RELATIVE_GAP * status.optimum);
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(screen.contains("stopped at the budget"), "{screen}");
        assert!(!screen.contains("done"), "{screen}");
        // t continues from iteration 500 instead of replaying the run.
        let loss_at_budget = status.loss;
        tab.act(Act::Train);
        tab.settle();
        assert_eq!(tab.descent_iterations(), 2 * DESCENT_BUDGET);
        assert_eq!(tab.descent_losses[DESCENT_BUDGET].1, loss_at_budget);
        assert!(tab.descent_status.unwrap().loss < loss_at_budget);
        // r rewinds: the same random start from iteration 0.
        let first_loss = tab.descent_losses[0].1;
        tab.act(Act::Rewind);
        assert_eq!(tab.descent_seed, 1);
        assert_eq!(tab.descent_losses[0].1, first_loss);
        assert!(tab.descent_iterations() < DESCENT_BUDGET);
        // n on the descent panel: a new random start.
        tab.act(Act::NewDraw);
        assert_eq!(tab.descent_seed, 2);
        assert_ne!(tab.descent_losses[0].1, first_loss);
        // A different rank starts a new run instead of resuming.
        tab.act(Act::Train);
        tab.act(Act::RankDown);
        tab.act(Act::Train);
        assert_eq!(tab.descent_status.unwrap().rank, 39);
    }

    #[test]
    fn switching_input_abandons_the_run_in_flight() {
        let mut tab = tab();
        tab.act(Act::RankPageUp);
        tab.act(Act::Train);
        assert!(tab.training());
        // A chunk of the run is waiting on the worker when the input changes.
        tab.act(Act::NextInput);
        tab.settle();
        assert_eq!(tab.input_name(), "camera");
        assert!(!tab.training());
        assert!(tab.descent_status.is_none());
        assert!(tab.descent_losses.is_empty());
    }

    #[test]
    fn a_bad_input_file_is_an_error_line() {
        let options = Options {
            lowrank_input: Some("/nonexistent/photo.png".into()),
            max_side: None,
            svd_worker: None,
        };
        let err = LowrankTab::new(&Waker::headless(), &options).err().unwrap();
        assert_eq!(
            err.to_string(),
            "/nonexistent/photo.png: cannot read the file (no such file)"
        );
    }

    #[test]
    fn computing_and_error_states_are_shown() {
        let mut tab = tab();
        tab.ready = None;
        tab.loading = Some("camera".into());
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(
            screen.contains("computing the first view of camera…"),
            "{screen}"
        );
        tab.loading = None;
        tab.error = Some(Failure::Job {
            what: "SVD",
            error: JobError::Panicked("photo.png: truncated or corrupt PNG".into()),
        });
        let screen = text(&tab, 160, 46, &Ui::standard());
        assert!(
            screen.contains("SVD: the computation failed: photo.png"),
            "{screen}"
        );
        // Keys that need a decomposition do nothing without one.
        assert!(!tab.act(Act::RankUp));
        assert!(!tab.act(Act::Train));
        assert!(!tab.act(Act::Rewind));
    }

    #[test]
    fn a_failed_completion_is_said_beside_the_first_view() {
        use crate::lowrank::svd_worker::WorkerError;
        let mut tab = tab();
        tab.settle();
        tab.completing = Some(CompletionStage::Vectors);
        let generation = tab.generation;
        tab.accept_completion(Ok(Err(PartialError::Worker(WorkerError::Died {
            status: None,
        }))));
        // The view stays, with the reason the rest is missing, wrapped whole.
        assert!(tab.ready.is_some() && tab.error.is_none());
        let wide = text(&tab, 160, 46, &Ui::standard());
        assert!(
            wide.contains("Not complete: synthetic: the SVD worker process")
                && wide.contains("by a signal (out of memory?) before")
                && wide.contains("it answered"),
            "{wide}"
        );
        let narrow = text(&tab, 80, 24, &Ui::standard());
        assert!(
            narrow.contains("Not complete: synthetic: the SVD")
                && narrow.contains("signal (out of memory?)"),
            "{narrow}"
        );
        // The readouts below it no longer fit there: the cut is marked.
        assert!(narrow.contains('↓'), "{narrow}");
        // A new input starts afresh.
        tab.act(Act::NextInput);
        assert!(tab.completion_error.is_none());
        assert_ne!(tab.generation, generation);
    }

    #[test]
    fn a_panic_in_a_job_is_an_error_line_in_its_panel() {
        let mut tab = tab();
        tab.act(Act::Train);
        tab.accept_descent(Err(JobError::Panicked("boom".into())));
        assert!(!tab.training());
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(
            screen.contains("gradient descent: the computation"),
            "{screen}"
        );
        assert!(screen.contains("failed: boom"), "{screen}");
        // t starts a new run after the lost one.
        assert!(tab.act(Act::Train));
        tab.settle();
        assert!(tab.descent_error.is_none());
        tab.act(Act::NextPanel);
        tab.accept_symmetry(Err(JobError::Panicked("bang".into())));
        tab.panel = Panel::Symmetry;
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(screen.contains("symmetry: the computation"), "{screen}");
        assert!(screen.contains("bang"), "{screen}");
        tab.accept_svd(Err(JobError::Panicked("svd".into())));
        let screen = text(&tab, 80, 22, &Ui::standard());
        assert!(screen.contains("SVD: the computation failed"), "{screen}");
    }

    #[test]
    fn busy_label_says_what_runs() {
        let mut tab = tab();
        assert_eq!(tab.busy_label(), None);
        tab.act(Act::RankPageUp);
        tab.act(Act::RankPageUp);
        tab.act(Act::Train);
        assert_eq!(tab.busy_label().as_deref(), Some("training"));
    }

    #[test]
    fn busy_label_says_what_the_decomposition_is_doing() {
        use crate::lowrank::model::partial::Stage;
        let mut tab = tab();
        tab.act(Act::NextInput);
        tab.settle();
        assert_eq!(tab.busy_text(false, false), None);
        tab.loading = Some("camera".into());
        if let Ok(mut slot) = tab.first_view_progress.lock() {
            *slot = None;
        }
        assert_eq!(
            tab.busy_text(true, false).as_deref(),
            Some("first view, camera")
        );
        if let Ok(mut slot) = tab.first_view_progress.lock() {
            *slot = Some(Progress {
                stage: Stage::PowerIteration { iteration: 3 },
                blocks_done: 12,
                blocks_planned: 30,
            });
        }
        assert_eq!(
            tab.busy_text(true, false).as_deref(),
            Some("first view: power iteration 3 (40 %), camera")
        );
        tab.loading = None;
        assert_eq!(
            tab.busy_text(true, false).as_deref(),
            Some("more singular triplets: power iteration 3 (40 %), camera")
        );
        tab.completing = Some(CompletionStage::Values);
        tab.completion_since = Some(Instant::now());
        assert_eq!(
            tab.busy_text(false, true).as_deref(),
            Some("all σ (step 1 of 2), camera")
        );
        *tab.completion_progress.lock().unwrap() = Some(0.379);
        assert_eq!(
            tab.busy_text(false, true).as_deref(),
            Some("all σ: bidiagonal form 37 % (step 1 of 2), camera")
        );
        *tab.completion_progress.lock().unwrap() = Some(1.0);
        tab.completion_since = Instant::now().checked_sub(Duration::from_millis(3_100));
        assert_eq!(
            tab.busy_text(false, true).as_deref(),
            Some("all σ: σ of the bidiagonal, 3 s (step 1 of 2), camera")
        );
        tab.completing = Some(CompletionStage::Vectors);
        tab.completion_since = Instant::now().checked_sub(Duration::from_millis(12_400));
        assert_eq!(
            tab.busy_text(false, true).as_deref(),
            Some("singular vectors: 12 s (step 2 of 2), camera")
        );
    }

    #[test]
    fn headless_the_tab_ends_with_the_complete_decomposition() {
        let mut tab = tab();
        assert!(!tab.is_partial());
        let ready = tab.ready.as_ref().unwrap();
        assert!(ready.decomposition.is_complete());
        assert!(ready.leading.is_none());
        assert_eq!(ready.spectrum.len(), ready.max_rank());
        let screen = text(&tab, 160, 46, &Ui::standard());
        assert!(!screen.contains("partial"), "{screen}");
        tab.act(Act::NextInput);
        tab.settle();
        assert!(!tab.is_partial());
    }

    /// The first view of an input, as the tab shows it before the completion arrives.
    fn first_view_of(name: &str, rank: usize) -> (Ready, Arc<Decomposition>) {
        let job = FirstViewJob {
            generation: 0,
            input: JobInput::Source(Source::from_arg(std::path::Path::new(name))),
            max_side: input::DEFAULT_MAX_SIDE,
            rank,
        };
        let view = first_view(job, &crate::jobs::Cancel::never(), &mut |_| {}).unwrap();
        let complete = Arc::new(Decomposition::compute(view.matrix.as_ref().clone()).unwrap());
        let (meta, decomposition, leading) = view.decomposition(None).unwrap();
        (
            Ready::new(&meta, decomposition, Some(leading), rank),
            complete,
        )
    }

    #[test]
    fn the_first_view_error_is_the_complete_error_within_its_stated_bound() {
        for (name, rank) in [("synthetic", DEFAULT_RANK), ("camera", DEFAULT_RANK)] {
            let (ready, complete) = first_view_of(name, rank);
            let leading = ready.leading.as_ref().unwrap();
            assert!(!ready.decomposition.spectrum_complete());
            let by_subtraction = ready.readouts.error_sq_tail;
            let bound = leading.subtraction_bound(rank);
            assert!(bound <= 1e-11 * leading.frobenius_sq, "{name}: {bound}");
            // The error of the reconstruction shown, summed entry by entry.
            let direct = ready.reconstruction.error_sq();
            assert!(
                (by_subtraction - direct).abs() <= bound,
                "{name}: {by_subtraction} {direct} {bound}"
            );
            // The complete decomposition's error at that rank, Σ_{i>r} σᵢ², is the Eckart–Young
            // minimum: the first view's reconstruction is never better (its σ̃ are lower bounds)
            // and, with the first view's few power iterations, within a millionth or so of
            // ‖X‖²_F above it (the stated bound is the subtraction's rounding, not this gap).
            let optimum = complete.tail_energy(rank);
            assert!(
                by_subtraction >= optimum - bound,
                "{name}: {by_subtraction} {optimum}"
            );
            let gap = (by_subtraction - optimum) / leading.frobenius_sq;
            assert!(gap <= 1e-5, "{name}: {gap:e}");
            let screen = text_of(&ready, name);
            assert!(screen.contains("partial (20 of"), "{screen}");
        }
    }

    fn text_of(ready: &Ready, name: &str) -> String {
        let mut tab = tab();
        tab.ready = Some(Ready::new(
            &ready.meta(),
            Arc::clone(&ready.decomposition),
            ready.leading.clone(),
            ready.rank(),
        ));
        assert_eq!(tab.ready.as_ref().unwrap().name, name);
        text(&tab, 160, 46, &Ui::standard())
    }

    #[test]
    fn a_rank_beyond_the_known_triplets_asks_for_more() {
        let (ready, _) = first_view_of("camera", DEFAULT_RANK);
        let mut tab = tab();
        tab.act(Act::NextInput);
        tab.settle();
        tab.ready = Some(ready);
        assert!(tab.is_partial());
        assert_eq!(tab.ready.as_ref().unwrap().known_rank(), 20);
        tab.act(Act::RankPageUp);
        assert_eq!(tab.rank(), Some(20));
        // Headless the extension is computed at once: more triplets, the rank asked for.
        tab.act(Act::RankPageUp);
        let ready = tab.ready.as_ref().unwrap();
        assert!(ready.known_rank() >= 30, "{}", ready.known_rank());
        assert_eq!(tab.rank(), Some(30));
        assert!(tab.is_partial());
        assert!(tab.wanted_rank.is_none());
        // Most of the spectrum is left to the completion rather than to more leading triplets.
        tab.act(Act::RankFull);
        assert_eq!(tab.wanted_rank, Some(512));
        assert_eq!(tab.rank(), tab.ready.as_ref().map(Ready::known_rank));
        tab.act(Act::RankZero);
        assert_eq!(tab.wanted_rank, None);
        assert_eq!(tab.rank(), Some(0));
    }

    #[test]
    fn a_new_input_gets_its_first_view_while_a_stale_completion_runs() {
        use std::time::{Duration, Instant};
        let options = Options {
            lowrank_input: Some("camera".into()),
            max_side: None,
            svd_worker: None,
        };
        let mut tab = LowrankTab::new(&Waker::new(|| {}), &options).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let wait_for = |tab: &mut LowrankTab, what: &str, done: &dyn Fn(&LowrankTab) -> bool| {
            while !done(tab) {
                assert!(Instant::now() < deadline, "no {what} within 60 s");
                tab.poll();
                std::thread::yield_now();
            }
        };
        // The camera's first view arrives, then its completion starts.
        wait_for(&mut tab, "first view of camera", &|t| {
            t.ready.as_ref().is_some_and(|r| r.name == "camera")
        });
        wait_for(&mut tab, "completion of camera", &|t| {
            t.completing.is_some()
        });
        // A new input while the camera's completion runs: its first view still arrives.
        tab.act(Act::NextInput);
        assert_eq!(tab.input_name(), "astronaut");
        assert!(tab.ready.is_none());
        wait_for(&mut tab, "first view of astronaut", &|t| {
            t.ready.as_ref().is_some_and(|r| r.name == "astronaut")
        });
        assert_eq!(tab.rank(), Some(DEFAULT_RANK));
        // And it completes; nothing of the camera's completion is taken for it.
        tab.settle();
        let ready = tab.ready.as_ref().unwrap();
        assert_eq!(ready.name, "astronaut");
        assert!(ready.decomposition.is_complete());
        assert!(ready.readouts.identity_gap.abs() < 1e-9 * ready.decomposition.frobenius_sq);
    }

    #[test]
    fn input_synthetic_is_the_built_in() {
        // One meaning for --input synthetic, decided by Source::from_arg (the command uses it too).
        assert_eq!(tab().input_name(), "synthetic");
        assert_eq!(
            Source::from_arg(std::path::Path::new("synthetic")),
            Source::Builtin(Builtin::Synthetic)
        );
        assert_eq!(
            Source::from_arg(std::path::Path::new("./synthetic")),
            Source::Path("./synthetic".into())
        );
    }

    #[test]
    fn render_is_total_and_ascii_when_asked() {
        let mut tab = tab();
        let ascii = Ui::new(ColorDepth::Ansi16, false);
        for &panel in Panel::ALL {
            tab.set_panel(panel);
            tab.settle();
            for (w, h) in [
                (0, 0),
                (1, 1),
                (2, 50),
                (50, 2),
                (64, 18),
                (80, 22),
                (160, 46),
                (300, 100),
            ] {
                let s = text(&tab, w, h, &ascii);
                assert!(s.is_ascii(), "{panel:?} at {w}x{h}:\n{s}");
                text(&tab, w, h, &Ui::standard());
            }
        }
        tab.act(Act::Train);
        tab.settle();
        let s = text(&tab, 80, 22, &ascii);
        assert!(s.is_ascii(), "{s}");
    }
}
