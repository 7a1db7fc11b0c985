//! The Low-rank tab: a rank slider over the SVD of an image or matrix, with the original, the
//! rank-r approximation and the residual side by side, the singular-value spectrum, and three
//! lab panels: the symmetries of the optimal factors, the non-convex scalar landscape, and
//! gradient descent trained in the background against the Eckart–Young optimum.
//!
//! The tab holds view state and model results only; the SVD, the symmetry products and the
//! descent run on workers, and rendering reads what they produced.

mod render;

use std::sync::Arc;

use crossterm::event::KeyCode;
use ndarray::Array2;
use rand::SeedableRng;
use rand::rngs::StdRng;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::input::{self, Builtin, InputError, Loaded, Source};
use super::model::descent::{self, GradientDescent};
use super::model::landscape::{self, ConvexityCounterexample, Saddle, Window};
use super::model::symmetry::{self, SymmetryReadout};
use super::model::{Decomposition, Factors, Readouts, Reconstruction};
use crate::jobs::{Waker, Worker};
use crate::keymap::{Binding, Key, Nav};
use crate::tab::{Options, Tab};
use crate::theme::Ui;

/// The rank shown first (clamped to min(m, n)).
pub const DEFAULT_RANK: usize = 10;
/// PgUp / PgDn move the rank by this much.
pub const RANK_PAGE: usize = 10;
/// Gradient descent stops after this many iterations…
pub const DESCENT_BUDGET: usize = 500;
/// …or once its loss is within this many percent of the optimum.
pub const DESCENT_STOP_GAP_PERCENT: f64 = 1e-3;
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
    Rotate,
    Rescale,
    NextX,
    Train,
    Restart,
}

const fn code(c: KeyCode) -> Key {
    Key::code(c)
}

/// The tab's key table: dispatch, footer hints and help all come from here.
pub const KEYS: &[Binding<Act>] = &[
    Binding {
        keys: &[code(KeyCode::Right), Key::ch('l')],
        action: Act::RankUp,
        help: "rank + 1 (add the next rank-one term)",
        hint: Some("rank"),
    },
    Binding {
        keys: &[code(KeyCode::Left), Key::ch('h')],
        action: Act::RankDown,
        help: "rank - 1 (remove the last rank-one term)",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::PageUp)],
        action: Act::RankPageUp,
        help: "rank + 10",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::PageDown)],
        action: Act::RankPageDown,
        help: "rank - 10",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::Home)],
        action: Act::RankZero,
        help: "rank 0",
        hint: None,
    },
    Binding {
        keys: &[code(KeyCode::End)],
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
        keys: &[Key::ch('r')],
        action: Act::Rotate,
        help: "symmetry: new random orthogonal Q, A = A*Q, B = Q'B*",
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
        help: "descent: start, pause or resume training at the current rank",
        hint: Some("train"),
    },
    Binding {
        keys: &[Key::ch('T')],
        action: Act::Restart,
        help: "descent: restart from a new random start",
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

impl View {
    fn next(self) -> Self {
        match self {
            View::Original => View::Approximation,
            View::Approximation => View::Residual,
            View::Residual => View::Original,
        }
    }
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

impl Panel {
    const ALL: [Panel; 4] = [
        Panel::Spectrum,
        Panel::Symmetry,
        Panel::Landscape,
        Panel::Descent,
    ];

    fn step(self, by: isize) -> Self {
        let i = Panel::ALL.iter().position(|p| *p == self).unwrap_or(0) as isize;
        Panel::ALL[(i + by).rem_euclid(Panel::ALL.len() as isize) as usize]
    }
}

/// A symmetry applied to the optimal factors.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Transform {
    /// A = A*Q, B = QᵀB* with Q drawn from this seed.
    Rotate { seed: u64 },
    /// A = eA*, B = B*/e.
    Scale { e: f64 },
}

/// An input, its SVD and everything shown at the current rank.
struct Ready {
    name: String,
    shape: (usize, usize),
    downscaled_from: Option<(usize, usize)>,
    is_image: bool,
    /// The grey range the original and the approximation are drawn in.
    value_range: (f64, f64),
    decomposition: Arc<Decomposition>,
    reconstruction: Reconstruction,
    readouts: Readouts,
    residual: Array2<f64>,
    residual_max: f64,
    /// (i, σᵢ) for i = 1..k.
    spectrum: Vec<(f64, f64)>,
    /// (r, fraction of the energy left out at r) = (r, Σ_{i>r} σᵢ² / Σ σᵢ²) for r = 0..k.
    left_out: Vec<(f64, f64)>,
}

impl Ready {
    fn max_rank(&self) -> usize {
        self.decomposition.max_rank()
    }

    fn rank(&self) -> usize {
        self.reconstruction.rank()
    }

    /// Move to rank `r` and recompute the readouts and the residual.
    fn set_rank(&mut self, r: usize) {
        self.reconstruction.set_rank(r);
        self.refresh();
    }

    fn refresh(&mut self) {
        self.readouts = Readouts::compute(&self.reconstruction);
        self.residual = self.reconstruction.residual();
        self.residual_max = self.residual.iter().fold(0.0, |m, v| f64::max(m, v.abs()));
    }
}

/// What the SVD worker is asked for.
struct SvdJob {
    input: JobInput,
    max_side: usize,
    rank: usize,
}

enum JobInput {
    Source(Source),
    Loaded(Loaded),
}

/// Load (if needed), decompose, and prepare everything shown at `rank`.
fn prepare(job: SvdJob) -> Result<Ready, String> {
    let loaded = match job.input {
        JobInput::Source(source) => {
            input::load(&source, job.max_side).map_err(|e| e.to_string())?
        }
        JobInput::Loaded(loaded) => loaded,
    };
    let Loaded {
        name,
        matrix,
        downscaled_from,
        is_image,
    } = loaded;
    let shape = matrix.dim();
    let value_range = if is_image {
        (0.0, 1.0)
    } else {
        percentile_range(&matrix)
    };
    let decomposition =
        Arc::new(Decomposition::compute(matrix).map_err(|e| format!("{name}: {e}"))?);
    let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
    reconstruction.set_rank(job.rank);
    let spectrum = decomposition
        .svd
        .singular_values
        .iter()
        .enumerate()
        .map(|(i, s)| ((i + 1) as f64, *s))
        .collect();
    let left_out = (0..=decomposition.max_rank())
        .map(|r| (r as f64, 1.0 - decomposition.energy_captured(r)))
        .collect();
    let mut ready = Ready {
        name,
        shape,
        downscaled_from,
        is_image,
        value_range,
        readouts: Readouts::compute(&reconstruction),
        reconstruction,
        decomposition,
        residual: Array2::zeros((0, 0)),
        residual_max: 0.0,
        spectrum,
        left_out,
    };
    ready.refresh();
    Ok(ready)
}

/// The 1st and 99th percentiles of a matrix's entries: the grey range a plain matrix is drawn
/// in, so a few large entries do not wash the picture out to one grey.
fn percentile_range(matrix: &Array2<f64>) -> (f64, f64) {
    let mut values: Vec<f64> = matrix.iter().copied().collect();
    if values.is_empty() {
        return (0.0, 1.0);
    }
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.01), at(0.99))
}

struct SymmetryJob {
    generation: u64,
    decomposition: Arc<Decomposition>,
    rank: usize,
    transform: Transform,
}

/// A symmetry readout and what it was computed for.
struct SymmetryView {
    generation: u64,
    rank: usize,
    transform: Transform,
    readout: Option<SymmetryReadout>,
}

fn symmetry_view(job: SymmetryJob) -> SymmetryView {
    let optimal = Factors::optimal(&job.decomposition.svd, job.rank);
    let transformed = match job.transform {
        Transform::Rotate { seed } => {
            let mut rng = StdRng::seed_from_u64(seed);
            let q = symmetry::random_orthogonal(optimal.rank(), &mut rng);
            symmetry::rotate(&optimal, q.view())
        }
        Transform::Scale { e } => symmetry::rescale(&optimal, e),
    };
    let readout = transformed.and_then(|transformed| {
        symmetry::compare(job.decomposition.matrix.view(), &optimal, &transformed)
    });
    SymmetryView {
        generation: job.generation,
        rank: optimal.rank(),
        transform: job.transform,
        readout,
    }
}

/// The scalar landscape g(a, b) = (x − ab)² prepared for drawing.
struct LandscapeView {
    x: f64,
    window: Window,
    /// ln(1 + g) on the grid (row 0 at the top, b = b_max), so the valley ab = x is dark.
    shade: Array2<f64>,
    shade_max: f64,
    saddle: Saddle,
    counterexample: ConvexityCounterexample,
}

fn landscape_view(x: f64) -> LandscapeView {
    let window = Window::square(LANDSCAPE_HALF_WIDTH);
    let grid = landscape::objective_grid(x, window, LANDSCAPE_SAMPLES, LANDSCAPE_SAMPLES);
    let shade = grid.values.mapv(f64::ln_1p);
    let shade_max = shade.iter().copied().fold(0.0, f64::max);
    LandscapeView {
        x,
        window,
        shade,
        shade_max,
        saddle: landscape::saddle_at_origin(x),
        counterexample: ConvexityCounterexample::new(x),
    }
}

/// Where a descent run stands, kept while its state is on the worker.
#[derive(Clone, Copy, Debug, PartialEq)]
struct DescentStatus {
    rank: usize,
    iterations: usize,
    loss: f64,
    optimum: f64,
    step_size: f64,
    spectral_norm: f64,
    diverged: bool,
    /// How far the loss is above the optimum, in percent.
    gap_percent: f64,
    /// The run has ended: budget spent, diverged, or close enough to the optimum.
    finished: bool,
}

/// Iterations per background chunk for a descent on an m×n matrix at rank r.
fn descent_chunk(rows: usize, cols: usize, rank: usize) -> usize {
    let per_iteration = 2.0 * rows as f64 * cols as f64 * rank.max(1) as f64;
    ((DESCENT_CHUNK_MULTIPLY_ADDS / per_iteration) as usize).clamp(1, 100)
}

/// A descent run on its way to or from the worker, with the optimum it is measured against.
struct DescentJob {
    /// Which run this is, so a chunk of an abandoned run is not taken for the current one.
    run: u64,
    descent: GradientDescent,
    optimum: f64,
}

/// Advance a run by one chunk of iterations (fewer if it finishes).
fn train_chunk(job: DescentJob) -> DescentJob {
    let DescentJob {
        run,
        mut descent,
        optimum,
    } = job;
    let (rows, cols) = descent.shape();
    let left = DESCENT_BUDGET.saturating_sub(descent.iterations());
    let chunk = descent_chunk(rows, cols, descent.rank()).min(left);
    for _ in 0..chunk {
        if descent.diverged() || descent_finished(&descent, optimum) {
            break;
        }
        descent.step(1);
    }
    DescentJob {
        run,
        descent,
        optimum,
    }
}

fn descent_finished(descent: &GradientDescent, optimum: f64) -> bool {
    descent.iterations() >= DESCENT_BUDGET
        || descent.diverged()
        || descent::gap_percent(descent.loss(), optimum) < DESCENT_STOP_GAP_PERCENT
}

/// The Low-rank tab's state.
pub struct LowrankTab {
    inputs: Vec<Source>,
    input_index: usize,
    max_side: usize,
    svd_worker: Worker<SvdJob, Result<Ready, String>>,
    ready: Option<Ready>,
    /// The input being decomposed, while the worker runs.
    loading: Option<String>,
    error: Option<String>,
    view: View,
    panel: Panel,

    symmetry_worker: Worker<SymmetryJob, SymmetryView>,
    transform: Transform,
    scale_index: usize,
    symmetry: Option<SymmetryView>,

    landscape_index: usize,
    landscape: LandscapeView,

    descent_worker: Worker<DescentJob, DescentJob>,
    /// The descent run while it is not on the worker.
    descent: Option<DescentJob>,
    descent_status: Option<DescentStatus>,
    /// (iteration, loss) of the current run, for the chart.
    descent_losses: Vec<(f64, f64)>,
    training: bool,
    descent_seed: u64,
    /// Numbers the descent runs; results of other runs are ignored.
    descent_run: u64,
    /// Numbers the inputs loaded; symmetry results for an earlier input are ignored.
    generation: u64,
}

impl LowrankTab {
    /// The tab on `options.lowrank_input` (a built-in name or a file; the camera if none).
    /// A file is loaded here, so a bad one is reported before the terminal is taken over; the
    /// SVD is left to the worker.
    pub fn new(waker: &Waker, options: &Options) -> Result<Self, InputError> {
        let max_side = options.max_side.unwrap_or(input::DEFAULT_MAX_SIDE).max(1);
        let chosen: Option<Source> =
            options
                .lowrank_input
                .as_ref()
                .map(|p| match p.to_str().map(str::parse::<Builtin>) {
                    Some(Ok(builtin)) => Source::Builtin(builtin),
                    _ => Source::Path(p.clone()),
                });
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
        let mut tab = LowrankTab {
            inputs,
            input_index,
            max_side,
            svd_worker: Worker::new(waker, prepare),
            ready: None,
            loading: None,
            error: None,
            view: View::Approximation,
            panel: Panel::Spectrum,
            symmetry_worker: Worker::new(waker, symmetry_view),
            transform: Transform::Rotate { seed: 1 },
            scale_index: 0,
            symmetry: None,
            landscape_index: 0,
            landscape: landscape_view(LANDSCAPE_X[0]),
            descent_worker: Worker::new(waker, train_chunk),
            descent: None,
            descent_status: None,
            descent_losses: Vec::new(),
            training: false,
            descent_seed: 1,
            descent_run: 0,
            generation: 0,
        };
        tab.start_loading(first);
        Ok(tab)
    }

    fn start_loading(&mut self, loaded: Option<Loaded>) {
        let source = self.inputs[self.input_index.min(self.inputs.len() - 1)].clone();
        self.generation = self.generation.wrapping_add(1);
        self.loading = Some(source.to_string());
        self.error = None;
        self.ready = None;
        self.symmetry = None;
        self.stop_descent();
        let input = match loaded {
            Some(loaded) => JobInput::Loaded(loaded),
            None => JobInput::Source(source),
        };
        self.svd_worker.submit(SvdJob {
            input,
            max_side: self.max_side,
            rank: DEFAULT_RANK,
        });
        self.poll();
    }

    fn stop_descent(&mut self) {
        self.descent_run = self.descent_run.wrapping_add(1);
        self.training = false;
        self.descent = None;
        self.descent_status = None;
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

    pub fn transform(&self) -> Transform {
        self.transform
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
        ready.set_rank(next);
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
        let wanted = (self.generation, ready.rank(), self.transform);
        if self
            .symmetry
            .as_ref()
            .is_some_and(|s| (s.generation, s.rank, s.transform) == wanted)
        {
            return;
        }
        self.symmetry_worker.submit(SymmetryJob {
            generation: self.generation,
            decomposition: Arc::clone(&ready.decomposition),
            rank: ready.rank(),
            transform: self.transform,
        });
        self.poll();
    }

    fn set_panel(&mut self, panel: Panel) {
        self.panel = panel;
        self.request_symmetry();
    }

    fn train(&mut self) -> bool {
        let Some(rank) = self.rank() else {
            return false;
        };
        self.set_panel(Panel::Descent);
        if self.training {
            self.training = false;
            return true;
        }
        let resumable = self
            .descent_status
            .is_some_and(|s| s.rank == rank && !s.finished);
        if resumable {
            self.training = true;
            if let Some(job) = self.descent.take() {
                self.descent_worker.submit(job);
            }
        } else {
            self.start_descent();
        }
        self.poll();
        true
    }

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
        self.descent_losses = vec![(0.0, descent.loss())];
        self.descent_status = Some(status_of(&descent, optimum));
        self.descent = None;
        self.training = true;
        self.descent_run = self.descent_run.wrapping_add(1);
        self.descent_worker.submit(DescentJob {
            run: self.descent_run,
            descent,
            optimum,
        });
    }

    fn accept_svd(&mut self, result: Result<Ready, String>) {
        self.loading = None;
        match result {
            Ok(ready) => {
                self.ready = Some(ready);
                self.error = None;
                self.symmetry = None;
                self.request_symmetry();
            }
            Err(message) => {
                self.ready = None;
                self.error = Some(message);
            }
        }
    }

    fn accept_descent(&mut self, job: DescentJob) {
        if job.run != self.descent_run {
            return;
        }
        let DescentJob {
            run,
            descent,
            optimum,
        } = job;
        let known = self.descent_losses.len();
        self.descent_losses.extend(
            descent
                .losses()
                .iter()
                .enumerate()
                .skip(known)
                .map(|(i, loss)| (i as f64, *loss)),
        );
        self.descent_status = Some(status_of(&descent, optimum));
        let job = DescentJob {
            run,
            descent,
            optimum,
        };
        if self.training && !descent_finished(&job.descent, optimum) {
            self.descent_worker.submit(job);
        } else {
            self.training = false;
            self.descent = Some(job);
        }
    }
}

fn status_of(descent: &GradientDescent, optimum: f64) -> DescentStatus {
    DescentStatus {
        rank: descent.rank(),
        iterations: descent.iterations(),
        loss: descent.loss(),
        optimum,
        step_size: descent.step_size(),
        spectral_norm: descent.spectral_norm(),
        diverged: descent.diverged(),
        gap_percent: descent::gap_percent(descent.loss(), optimum),
        finished: descent_finished(descent, optimum),
    }
}

/// A job's own error and a panic in it, as one message.
fn flatten<T>(r: Result<Result<T, String>, crate::jobs::JobError>) -> Result<T, String> {
    r.map_err(|e| e.to_string()).and_then(|x| x)
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
                self.set_panel(self.panel.step(1));
                true
            }
            Act::PrevPanel => {
                self.set_panel(self.panel.step(-1));
                true
            }
            Act::NextInput | Act::PrevInput => {
                let n = self.inputs.len();
                let by = if act == Act::NextInput { 1 } else { n - 1 };
                self.input_index = (self.input_index + by) % n;
                self.start_loading(None);
                true
            }
            Act::Rotate => {
                let seed = match self.transform {
                    Transform::Rotate { seed } => seed.wrapping_add(1),
                    Transform::Scale { .. } => 1,
                };
                self.transform = Transform::Rotate { seed };
                self.set_panel(Panel::Symmetry);
                true
            }
            Act::Rescale => {
                if matches!(self.transform, Transform::Scale { .. }) {
                    self.scale_index = (self.scale_index + 1) % SCALES.len();
                } else {
                    self.scale_index = 0;
                }
                self.transform = Transform::Scale {
                    e: SCALES[self.scale_index],
                };
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
            Act::Restart => {
                if self.ready.is_none() {
                    return false;
                }
                self.descent_seed = self.descent_seed.wrapping_add(1);
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
        if let Some(result) = self.svd_worker.take().map(flatten) {
            self.accept_svd(result);
            changed = true;
        }
        if let Some(Ok(view)) = self.symmetry_worker.take()
            && view.generation == self.generation
        {
            self.symmetry = Some(view);
            changed = true;
        }
        if let Some(Ok(descent)) = self.descent_worker.take() {
            self.accept_descent(descent);
            changed = true;
        }
        changed
    }

    fn busy(&self) -> bool {
        self.svd_worker.busy() || self.symmetry_worker.busy() || self.training
    }

    fn settle(&mut self) {
        // Headless workers finish on submit: each poll takes a result and, while training,
        // submits (and so computes) the next chunk, until the run ends. With threaded workers
        // (not used headless) wait for whatever is still running.
        loop {
            if self.poll() {
                continue;
            }
            if self.svd_worker.busy()
                && let Some(result) = self.svd_worker.wait().map(flatten)
            {
                self.accept_svd(result);
                continue;
            }
            if self.symmetry_worker.busy()
                && let Some(Ok(view)) = self.symmetry_worker.wait()
            {
                if view.generation == self.generation {
                    self.symmetry = Some(view);
                }
                continue;
            }
            if self.training
                && self.descent_worker.busy()
                && let Some(Ok(job)) = self.descent_worker.wait()
            {
                self.accept_descent(job);
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
        tab.act(Act::Rotate);
        tab.settle();
        assert_eq!(tab.panel(), Panel::Symmetry);
        assert_eq!(tab.transform(), Transform::Rotate { seed: 2 });
        let view = tab.symmetry.as_ref().unwrap();
        let readout = view.readout.as_ref().unwrap();
        assert!(readout.a_distance > 1e-3);
        assert!(readout.max_product_change < 1e-10);
        tab.act(Act::Rescale);
        tab.settle();
        assert_eq!(tab.transform(), Transform::Scale { e: SCALES[0] });
        tab.act(Act::Rescale);
        tab.settle();
        assert_eq!(tab.transform(), Transform::Scale { e: SCALES[1] });
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
        assert!(descent::gap_percent(status.loss, status.optimum) < DESCENT_STOP_GAP_PERCENT);
        assert_eq!(tab.descent_losses.len(), status.iterations + 1);
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
        tab.act(Act::Restart);
        assert_eq!(tab.descent_seed, 2);
        assert!(tab.descent_iterations() < DESCENT_BUDGET);
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
        assert!(screen.contains("computing the SVD of camera…"), "{screen}");
        tab.loading = None;
        tab.error = Some("photo.png: truncated or corrupt PNG image (eof)".into());
        let screen = text(&tab, 160, 46, &Ui::standard());
        assert!(
            screen.contains("photo.png: truncated or corrupt PNG"),
            "{screen}"
        );
        // Keys that need a decomposition do nothing without one.
        assert!(!tab.act(Act::RankUp));
        assert!(!tab.act(Act::Train));
        assert!(!tab.act(Act::Restart));
    }

    #[test]
    fn render_is_total_and_ascii_when_asked() {
        let mut tab = tab();
        let ascii = Ui::new(ColorDepth::Ansi16, false);
        for panel in Panel::ALL {
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
