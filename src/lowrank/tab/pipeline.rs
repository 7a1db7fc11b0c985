//! The input pipeline: the inputs, the decomposition of the one shown, and everything shown at
//! the current rank (the three images, the readouts, the spectrum, the energy left out).
//!
//! An input is decomposed in three steps, each shown as soon as it arrives: the first view
//! (the leading triplets for the current rank and ‖X‖²_F, cancellable, its progress shared with
//! the tab bar), then every singular value, then every vector. The last two run on a worker of
//! their own, abandoned by a new input: faer's SVD cannot stop mid-call, so a stale one finishes
//! on its one core while the new input's first view runs on the other.

mod render;

#[cfg(test)]
pub(super) use render::{eckart_young_note, left_out_chart};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use faer::Par;

use super::jobs::{
    Completed, CompletionJob, CompletionStage, Failure, FirstView, FirstViewJob, JobInput, Ready,
    complete, first_view,
};
use super::{Act, Taken, Work, take};
use crate::components::scroll::ScrollText;
use crate::components::worker::{Progress, WorkerPanel};
use crate::jobs::{Waker, Worker};
use crate::lowrank::input::{self, Builtin, InputError, Loaded, Source};
use crate::lowrank::model::partial::PartialError;
use crate::lowrank::model::{Decomposition, SvdError, parallelism_for};
use crate::tab::Options;
use crate::widgets::picture::Pictures;

/// The rank shown first (clamped to min(m, n)).
pub const DEFAULT_RANK: usize = 10;
/// `-` and `+` move the rank by this much.
pub const RANK_STEP: usize = 10;

/// Whole percent of a fraction, rounded down (so 100 % means done).
fn percent_of(fraction: f64) -> u32 {
    (fraction.clamp(0.0, 1.0) * 100.0).floor() as u32
}

/// How far step 1 of the completion has got, for the tab bar: the bidiagonalisation's percent,
/// then the singular values of the bidiagonal.
pub(super) fn values_progress(fraction: f64) -> String {
    if fraction < 1.0 {
        format!("bidiagonal form {} %", percent_of(fraction))
    } else {
        "σ of the bidiagonal".to_string()
    }
}

type FirstViewPanel = WorkerPanel<FirstViewJob, Result<FirstView, Failure>>;
type CompletionPanel = WorkerPanel<CompletionJob, Result<(u64, Completed), PartialError>>;

/// The inputs and the decomposition of the one shown.
pub(super) struct Pipeline {
    inputs: Vec<Source>,
    input_index: usize,
    limits: input::Limits,
    /// The leading triplets of a new input, or more of them for a rank beyond those known.
    /// Its error is why the input shows nothing (a failed load or SVD).
    pub(super) first_view: FirstViewPanel,
    /// How far the first view has got, written by its worker between blocks.
    pub(super) first_view_progress: Progress,
    /// The progress last drawn, so a wake with new progress redraws.
    progress_seen: Option<String>,
    /// From a first view's request until it is taken: busy even between the worker finishing
    /// and the pipeline taking its result (and submitting the completion), so the tab bar never
    /// looks settled in that gap.
    first_view_pending: bool,
    /// Every singular value, then the full SVD, of the input shown: a worker of its own, so a
    /// stale completion never delays a first view. Each stage is one faer call; in the app it
    /// runs in a child process (`svd_worker`) that is killed as soon as it is stale. Its error
    /// is why the view shown is not complete.
    pub(super) completion: CompletionPanel,
    /// How far step 1 has got ([`values_progress`]), written by its worker.
    pub(super) completion_progress: Progress,
    completion_progress_seen: Option<String>,
    /// The completion stage running for the input shown.
    pub(super) completing: Option<CompletionStage>,
    /// When that stage started, and the whole seconds since then last drawn: its worker wakes
    /// the loop every second so the tab bar's count goes on.
    pub(super) completion_since: Option<Instant>,
    completion_seconds_seen: u64,
    /// Every singular value of the input shown, once known (kept for a first view with more
    /// triplets that arrives after them).
    all_values: Option<Arc<Vec<f64>>>,
    /// The rank asked for while more leading triplets are computed.
    pub(super) wanted_rank: Option<usize>,
    ready: Option<Ready>,
    /// The input being decomposed, while the first view is computed.
    pub(super) loading: Option<String>,
    /// Numbers the inputs loaded; results for an earlier input are ignored.
    pub(super) generation: u64,
    /// Numbers the decompositions shown: a panel's result for an earlier one is stale.
    serial: u64,
    /// The Eckart–Young note under the readouts (wide layout).
    pub(super) note: ScrollText,
    /// The three images, encoded for a terminal image protocol when one is in use.
    pictures: Pictures,
}

/// The first-view worker: loads the input if needed and computes its leading triplets,
/// reporting progress to `progress` (and waking the loop); `running` is up while it runs, so
/// the completion gives it a core.
fn first_view_worker(
    waker: &Waker,
    progress: &Progress,
    running: &Arc<AtomicBool>,
) -> FirstViewPanel {
    let (wake, report_to, running) = (waker.clone(), progress.clone(), Arc::clone(running));
    let worker = Worker::cancellable(waker, move |job, cancel| {
        let mut report = |p: crate::lowrank::model::partial::Progress| {
            report_to.set(p.to_string());
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
    WorkerPanel::with_progress(worker, "first view", progress.clone())
}

/// The completion worker: every singular value, then every vector ([`complete`]), waking the
/// loop every second and whenever step 1's whole percent changes; on one core while a first
/// view runs.
fn completion_worker(
    waker: &Waker,
    options: &Options,
    progress: &Progress,
    first_view_running: Arc<AtomicBool>,
) -> CompletionPanel {
    let exe = options.svd_worker.clone();
    let (wake, report_to) = (waker.clone(), progress.clone());
    let worker = Worker::cancellable(waker, move |job: CompletionJob, cancel| {
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
                report_to.set(values_progress(fraction));
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
    });
    WorkerPanel::with_progress(worker, "completion", progress.clone())
}

impl Pipeline {
    /// The pipeline on `options.lowrank_input`, its first view asked for. A file is loaded
    /// here, so a bad one is reported before the terminal is taken over.
    pub(super) fn new(waker: &Waker, options: &Options) -> Result<Self, InputError> {
        let limits = input::Limits {
            max_side: options.max_side.unwrap_or(input::DEFAULT_MAX_SIDE).max(1),
            max_bytes: options.max_bytes.unwrap_or(input::DEFAULT_MAX_BYTES),
        };
        let chosen = options.lowrank_input.as_deref().map(Source::from_arg);
        let mut inputs: Vec<Source> = Builtin::ALL.into_iter().map(Source::Builtin).collect();
        let (input_index, first) = match chosen {
            Some(Source::Builtin(b)) => {
                (Builtin::ALL.iter().position(|x| *x == b).unwrap_or(0), None)
            }
            Some(Source::Path(path)) => {
                let source = Source::Path(path);
                let loaded = input::load_within(&source, &limits)?;
                inputs.push(source);
                (inputs.len() - 1, Some(loaded))
            }
            None => (0, None),
        };
        let first_view_progress = Progress::default();
        let completion_progress = Progress::default();
        let running = Arc::new(AtomicBool::new(false));
        let mut pipeline = Pipeline {
            inputs,
            input_index,
            limits,
            first_view: first_view_worker(waker, &first_view_progress, &running),
            first_view_progress,
            progress_seen: None,
            first_view_pending: false,
            completion: completion_worker(waker, options, &completion_progress, running),
            completion_progress,
            completion_progress_seen: None,
            completing: None,
            completion_since: None,
            completion_seconds_seen: 0,
            all_values: None,
            wanted_rank: None,
            ready: None,
            loading: None,
            generation: 0,
            serial: 0,
            note: ScrollText::new(),
            pictures: Pictures::new(),
        };
        pipeline.load(first);
        Ok(pipeline)
    }

    /// Starts on the current input: its first view is asked for, anything of the last one
    /// dropped.
    fn load(&mut self, loaded: Option<Loaded>) {
        let source = self.inputs[self.input_index.min(self.inputs.len() - 1)].clone();
        self.generation = self.generation.wrapping_add(1);
        self.loading = Some(source.to_string());
        self.first_view.set_error(None);
        self.completion.set_error(None);
        self.show(None);
        // The old input's completion is stale: it stops before its next stage, and its one
        // uncancellable call (one core) runs beside the new first view, never before it.
        self.completion.abandon();
        self.completing = None;
        self.all_values = None;
        self.wanted_rank = None;
        let input = match loaded {
            Some(loaded) => JobInput::Loaded(loaded),
            None => JobInput::Source(source),
        };
        self.submit_first_view(input, DEFAULT_RANK);
    }

    /// Shows `ready` (or nothing): a new decomposition, so panels' results for the last one
    /// are stale.
    fn show(&mut self, ready: Option<Ready>) {
        // The old view's m×n pictures go before the new ones are made.
        self.ready = None;
        self.ready = ready;
        self.serial = self.serial.wrapping_add(1);
    }

    /// Drops the view shown before its successor is built, so that the two views' m×n
    /// approximations are never held at once (at 4096² each is 134 MB). Only the
    /// decomposition's own arrays are shared with the successor.
    fn drop_shown(&mut self) {
        self.ready = None;
    }

    fn submit_first_view(&mut self, input: JobInput, rank: usize) {
        self.first_view_progress.clear();
        self.progress_seen = None;
        self.first_view_pending = true;
        self.first_view.submit(FirstViewJob {
            generation: self.generation,
            input,
            limits: self.limits,
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
    }

    fn abandon_first_view(&mut self) {
        self.first_view.abandon();
        self.first_view_pending = false;
    }

    fn submit_completion(&mut self, stage: CompletionStage) {
        let Some(ready) = self.ready.as_ref() else {
            return;
        };
        self.completing = Some(stage);
        self.completion_since = Some(Instant::now());
        self.completion_seconds_seen = 0;
        self.completion_progress.clear();
        self.completion_progress_seen = None;
        self.completion.submit(CompletionJob {
            generation: self.generation,
            stage,
            matrix: Arc::clone(&ready.decomposition.matrix),
        });
    }

    /// The input, its decomposition and what is shown at the rank, once known.
    pub(super) fn ready(&self) -> Option<&Ready> {
        self.ready.as_ref()
    }

    #[cfg(test)]
    pub(super) fn ready_mut(&mut self) -> &mut Option<Ready> {
        &mut self.ready
    }

    /// Changes whenever the decomposition shown does.
    pub(super) fn serial(&self) -> u64 {
        self.serial
    }

    /// True while the input shown has only its leading triplets (or all values, no vectors).
    pub(super) fn is_partial(&self) -> bool {
        self.ready
            .as_ref()
            .is_some_and(|r| !r.decomposition.is_complete())
    }

    pub(super) fn rank(&self) -> Option<usize> {
        self.ready.as_ref().map(Ready::rank)
    }

    /// The name of the input shown (or being loaded).
    pub(super) fn input_name(&self) -> String {
        match (&self.ready, &self.loading) {
            (_, Some(loading)) => loading.clone(),
            (Some(ready), None) => ready.name.clone(),
            (None, None) => String::new(),
        }
    }

    /// Why the input shows nothing: its load or SVD failed (or its completion, before any
    /// view came).
    pub(super) fn failure(&self) -> Option<&str> {
        self.first_view.error().or(self
            .ready
            .is_none()
            .then(|| self.completion.error())
            .flatten())
    }

    /// Why the view shown is not complete.
    pub(super) fn completion_failure(&self) -> Option<&str> {
        self.ready.as_ref().and(self.completion.error())
    }

    /// The rank and input keys; true when something changed.
    pub(super) fn act(&mut self, act: Act) -> bool {
        match act {
            Act::RankUp => self.set_rank(|r, _| r.saturating_add(1)),
            Act::RankDown => self.set_rank(|r, _| r.saturating_sub(1)),
            Act::RankStepUp => self.set_rank(|r, _| r.saturating_add(RANK_STEP)),
            Act::RankStepDown => self.set_rank(|r, _| r.saturating_sub(RANK_STEP)),
            Act::RankZero => self.set_rank(|_, _| 0),
            Act::RankFull => self.set_rank(|_, max| max),
            Act::NextInput | Act::PrevInput => {
                let n = self.inputs.len();
                let by = if act == Act::NextInput { 1 } else { n - 1 };
                self.input_index = (self.input_index + by) % n;
                self.load(None);
                true
            }
            _ => false,
        }
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
        true
    }

    /// What runs and how far, given which workers are busy (the tab bar's label): what, then
    /// how far, then the input's name, so a narrow tab bar cuts the name first.
    pub(super) fn busy_text(&self, first_view_busy: bool, completion_busy: bool) -> Option<String> {
        let name = self.input_name();
        if first_view_busy {
            let what = if self.loading.is_some() {
                "first view"
            } else {
                "more singular triplets"
            };
            Some(match self.first_view_progress.get() {
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
                && let Some(progress) = self.completion_progress.get()
            {
                how.push(progress);
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
        } else {
            None
        }
    }

    pub(super) fn accept_first_view(&mut self, taken: Taken<Result<FirstView, Failure>>) {
        // Only the latest request is answered: nothing is pending after it.
        self.first_view_pending = false;
        self.first_view_progress.clear();
        self.progress_seen = None;
        let view = match taken {
            Taken::Result(Ok(view)) if view.generation != self.generation => return,
            Taken::Result(Ok(view)) => view,
            failed => {
                let why = match failed {
                    Taken::Result(Err(failure)) => failure.to_string(),
                    _ => format!("SVD: {}", self.first_view.error().unwrap_or_default()),
                };
                self.first_view.set_error(Some(why));
                self.loading = None;
                self.wanted_rank = None;
                self.show(None);
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
        match view.decomposition(all_values.as_deref().map(Vec::as_slice)) {
            Ok((meta, decomposition, leading)) => {
                self.drop_shown();
                self.show(Some(Ready::new(&meta, decomposition, Some(leading), rank)));
                if !extending {
                    self.submit_completion(CompletionStage::Values);
                }
            }
            Err(failure) => {
                self.first_view.set_error(Some(failure.to_string()));
                self.show(None);
            }
        }
    }

    pub(super) fn accept_completion(
        &mut self,
        taken: Taken<Result<(u64, Completed), PartialError>>,
    ) {
        self.completing = None;
        let name = self.input_name();
        let completed = match taken {
            Taken::Result(Ok((generation, completed))) if generation == self.generation => {
                completed
            }
            Taken::Result(Ok(_) | Err(PartialError::Cancelled)) => return,
            Taken::Result(Err(error)) => {
                let failure = Failure::Partial { input: name, error };
                self.completion.set_error(Some(failure.to_string()));
                return;
            }
            Taken::Failed => {
                let why = format!("SVD: {}", self.completion.error().unwrap_or_default());
                self.completion.set_error(Some(why));
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
                    self.drop_shown();
                    self.show(Some(Ready::new(
                        &meta,
                        Arc::new(decomposition),
                        leading,
                        rank,
                    )));
                }
                self.submit_completion(CompletionStage::Vectors);
            }
            Completed::Vectors(svd) => {
                let (m, n) = matrix.dim();
                match Decomposition::from_parts(matrix, svd) {
                    Some(decomposition) => {
                        self.drop_shown();
                        self.show(Some(Ready::new(&meta, Arc::new(decomposition), None, rank)));
                        if self.wanted_rank.take().is_some() {
                            self.abandon_first_view();
                        }
                    }
                    None => {
                        let error = SvdError::ShapeMismatch { rows: m, cols: n };
                        let failure = Failure::Svd { input: name, error };
                        self.completion.set_error(Some(failure.to_string()));
                    }
                }
            }
        }
    }

    /// True when the progress the workers report has changed since it was last drawn.
    fn progress_changed(&mut self) -> bool {
        let mut changed = false;
        let progress = self.first_view_progress.get();
        if progress != self.progress_seen && self.first_view.busy() {
            self.progress_seen = progress;
            changed = true;
        }
        if self.completing.is_none() {
            return changed;
        }
        let progress = self.completion_progress.get();
        if progress != self.completion_progress_seen {
            self.completion_progress_seen = progress;
            changed = true;
        }
        if let Some(since) = self.completion_since
            && since.elapsed().as_secs() != self.completion_seconds_seen
        {
            self.completion_seconds_seen = since.elapsed().as_secs();
            changed = true;
        }
        changed
    }
}

impl Work for Pipeline {
    fn poll(&mut self) -> bool {
        let mut changed = false;
        if let Some(taken) = take(&mut self.first_view, false) {
            self.accept_first_view(taken);
            changed = true;
        }
        // Headless, accepting one stage computes the next at once.
        while let Some(taken) = take(&mut self.completion, false) {
            self.accept_completion(taken);
            changed = true;
        }
        self.progress_changed() || changed
    }

    fn settle_one(&mut self) -> bool {
        if self.first_view.busy()
            && let Some(taken) = take(&mut self.first_view, true)
        {
            self.accept_first_view(taken);
            return true;
        }
        if self.completion.busy()
            && let Some(taken) = take(&mut self.completion, true)
        {
            self.accept_completion(taken);
            return true;
        }
        false
    }

    fn busy(&self) -> bool {
        self.first_view_pending || self.completing.is_some()
    }

    fn busy_label(&self) -> Option<String> {
        self.busy_text(self.first_view_pending, self.completing.is_some())
    }
}
