//! The input pipeline's background jobs: what each worker is asked, the function it runs, and
//! what it answers. An input's first view comes from its leading triplets ([`first_view`]),
//! then [`complete`] finds every singular value and then every vector on a worker of its own;
//! the workers themselves live in the pipeline (`super::pipeline`). [`Ready`] is what the tab
//! shows of an input at the current rank.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::jobs::{Cancel, JobError};
use crate::lowrank::input::{self, InputError, Loaded, Source};
use crate::lowrank::model::partial::{self, Leading, PartialError, Progress};
use crate::lowrank::model::{Decomposition, Readouts, Reconstruction, Svd, SvdError};
use crate::lowrank::svd_worker;
use ndarray::Array2;

/// Why the tab has nothing to show where a result should be.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The input could not be loaded.
    Input(InputError),
    /// The input loaded but its SVD failed.
    Svd { input: String, error: SvdError },
    /// The input loaded but its leading triplets (or their completion) failed.
    Partial { input: String, error: PartialError },
    /// A background computation panicked.
    Job { what: &'static str, error: JobError },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Input(error) => write!(f, "{error}"),
            Failure::Svd { input, error } => write!(f, "{input}: {error}"),
            Failure::Partial { input, error } => write!(f, "{input}: {error}"),
            Failure::Job { what, error } => write!(f, "{what}: {error}"),
        }
    }
}

impl std::error::Error for Failure {}

/// What is known of an input besides its matrix.
#[derive(Debug, Clone)]
pub(super) struct Meta {
    pub(super) name: String,
    pub(super) downscaled_from: Option<(usize, usize)>,
    pub(super) is_image: bool,
    /// The grey range the original and the approximation are drawn in.
    pub(super) value_range: (f64, f64),
}

/// An input, its (first-view or complete) decomposition and everything shown at the current
/// rank.
pub(super) struct Ready {
    pub(super) name: String,
    pub(super) shape: (usize, usize),
    pub(super) downscaled_from: Option<(usize, usize)>,
    pub(super) is_image: bool,
    /// The grey range the original and the approximation are drawn in.
    pub(super) value_range: (f64, f64),
    pub(super) decomposition: Arc<Decomposition>,
    /// The leading triplets' accuracy figures (without their vectors) until the full SVD is
    /// known: the bound on the error by subtraction comes from here.
    pub(super) leading: Option<Leading>,
    pub(super) reconstruction: Reconstruction,
    pub(super) readouts: Readouts,
    /// The largest |X − X_r| entry: the residual picture's grey range. The residual itself is
    /// not kept (another m×n array): its picture reads X and X_r ([`Reconstruction::residual_at`]).
    pub(super) residual_max: f64,
    /// (i, σᵢ) for the values known (all once the spectrum is complete).
    pub(super) spectrum: Vec<(f64, f64)>,
    /// (r, fraction of the energy left out at r) = (r, Σ_{i>r} σᵢ² / Σ σᵢ²) for r = 0..k.
    pub(super) left_out: Vec<(f64, f64)>,
    /// Changes whenever the approximation and the residual do (a new decomposition or rank),
    /// so their encoded pictures are made again then and only then.
    pub(super) revision: u64,
}

/// A number no earlier [`Ready::refresh`] has used.
fn next_revision() -> u64 {
    static REVISION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    REVISION.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Ready {
    /// Everything shown at `rank` (clamped to the triplets known) from a decomposition.
    pub(super) fn new(
        meta: &Meta,
        decomposition: Arc<Decomposition>,
        leading: Option<Leading>,
        rank: usize,
    ) -> Self {
        let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
        reconstruction.set_rank(rank);
        let spectrum = decomposition
            .singular_values_known()
            .iter()
            .enumerate()
            .map(|(i, s)| ((i + 1) as f64, *s))
            .collect();
        let left_out = left_out(&decomposition);
        let mut ready = Ready {
            name: meta.name.clone(),
            shape: decomposition.shape(),
            downscaled_from: meta.downscaled_from,
            is_image: meta.is_image,
            value_range: meta.value_range,
            readouts: Readouts::compute(&reconstruction),
            reconstruction,
            decomposition,
            leading,
            residual_max: 0.0,
            spectrum,
            left_out,
            revision: 0,
        };
        ready.refresh();
        ready
    }

    pub(super) fn meta(&self) -> Meta {
        Meta {
            name: self.name.clone(),
            downscaled_from: self.downscaled_from,
            is_image: self.is_image,
            value_range: self.value_range,
        }
    }

    /// The largest rank the slider reaches: min(m, n), whether or not its triplets are known.
    pub(super) fn max_rank(&self) -> usize {
        self.shape.0.min(self.shape.1)
    }

    /// The triplets known (all once complete).
    pub(super) fn known_rank(&self) -> usize {
        self.decomposition.max_rank()
    }

    pub(super) fn rank(&self) -> usize {
        self.reconstruction.rank()
    }

    /// Move to rank `r` (clamped to the triplets known) and recompute the readouts and the
    /// residual.
    pub(super) fn set_rank(&mut self, r: usize) {
        self.reconstruction.set_rank(r);
        self.refresh();
    }

    pub(super) fn refresh(&mut self) {
        self.readouts = Readouts::compute(&self.reconstruction);
        self.residual_max = self.reconstruction.residual_max();
        self.revision = next_revision();
    }
}

/// What the first-view worker is asked for.
pub(super) struct FirstViewJob {
    pub(super) generation: u64,
    pub(super) input: JobInput,
    pub(super) limits: input::Limits,
    pub(super) rank: usize,
}

pub(super) enum JobInput {
    Source(Source),
    Loaded(Loaded),
    /// An input already shown, for more leading triplets (a rank beyond those known).
    Shown {
        meta: Meta,
        matrix: Arc<Array2<f64>>,
    },
}

/// The leading triplets of an input, for its first view.
pub(super) struct FirstView {
    pub(super) generation: u64,
    pub(super) meta: Meta,
    pub(super) matrix: Arc<Array2<f64>>,
    pub(super) leading: Leading,
    pub(super) rank: usize,
}

/// Load (if needed) and compute the leading triplets for `rank` ([`partial::leading`]),
/// reporting progress after every block. Stops early (`Cancelled`) when stale.
pub(super) fn first_view(
    job: FirstViewJob,
    cancel: &Cancel,
    progress: &mut dyn FnMut(Progress),
) -> Result<FirstView, Failure> {
    let (meta, matrix) = match job.input {
        JobInput::Shown { meta, matrix } => (meta, matrix),
        JobInput::Source(source) => {
            let loaded = input::load_within(&source, &job.limits).map_err(Failure::Input)?;
            split_loaded(loaded)
        }
        JobInput::Loaded(loaded) => split_loaded(loaded),
    };
    let options = partial::Options::for_rank(job.rank.max(1));
    let leading = partial::leading(matrix.view(), &options, cancel, progress).map_err(|error| {
        Failure::Partial {
            input: meta.name.clone(),
            error,
        }
    })?;
    Ok(FirstView {
        generation: job.generation,
        meta,
        matrix,
        leading,
        rank: job.rank,
    })
}

fn split_loaded(loaded: Loaded) -> (Meta, Arc<Array2<f64>>) {
    let Loaded {
        name,
        matrix,
        downscaled_from,
        is_image,
    } = loaded;
    let value_range = if is_image {
        (0.0, 1.0)
    } else {
        percentile_range(&matrix)
    };
    let meta = Meta {
        name,
        downscaled_from,
        is_image,
        value_range,
    };
    (meta, Arc::new(matrix))
}

impl FirstView {
    /// The decomposition of the first view (with every singular value if `all_values` are
    /// known already) and the leading triplets' figures without their vectors.
    pub(super) fn decomposition(
        self,
        all_values: Option<&[f64]>,
    ) -> Result<(Meta, Arc<Decomposition>, Leading), Failure> {
        let FirstView {
            meta,
            matrix,
            mut leading,
            ..
        } = self;
        let svd = Svd {
            u: std::mem::take(&mut leading.u),
            singular_values: leading.singular_values.clone(),
            v: std::mem::take(&mut leading.v),
        };
        let (m, n) = matrix.dim();
        let decomposition =
            Decomposition::from_leading(matrix, svd, leading.frobenius_sq, all_values).ok_or(
                Failure::Svd {
                    input: meta.name.clone(),
                    error: SvdError::ShapeMismatch { rows: m, cols: n },
                },
            )?;
        Ok((meta, Arc::new(decomposition), leading))
    }
}

/// The two stages of completing a decomposition in the background (every singular value,
/// then the full thin SVD), and their results.
pub(super) use crate::lowrank::svd_worker::{Answer as Completed, Stage as CompletionStage};

pub(super) struct CompletionJob {
    pub(super) generation: u64,
    pub(super) stage: CompletionStage,
    pub(super) matrix: Arc<Array2<f64>>,
}

/// One stage of the completion. Every singular value ([`partial::complete_values`]) comes from
/// our own bidiagonalisation, which stops at the next column once stale, reports the fraction
/// done to `progress` and asks `threads` before every column how many threads to use. The vectors ([`partial::complete`]) are one faer
/// call: with `worker` (this program) it runs in a child process that is killed as soon as the
/// work is stale ([`svd_worker`]; `heartbeat` is called every [`svd_worker::POLL`] while it
/// waits); without one, or if the child cannot be started, on this thread, where a stale call
/// runs to its end (on one core) before its result is dropped.
pub(super) fn complete(
    job: &CompletionJob,
    worker: Option<&Path>,
    cancel: &Cancel,
    heartbeat: &mut dyn FnMut(),
    progress: &mut dyn FnMut(f64),
    threads: &dyn Fn() -> faer::Par,
) -> Result<(u64, Completed), PartialError> {
    let x = job.matrix.view();
    let completed = match job.stage {
        CompletionStage::Values => {
            Completed::Values(partial::complete_values(x, cancel, progress, threads)?)
        }
        CompletionStage::Vectors => {
            if let Some(exe) = worker
                && let Ok(answer) = svd_worker::run(exe, x, job.stage, cancel, heartbeat)
            {
                answer?
            } else {
                Completed::Vectors(partial::complete(x, cancel)?)
            }
        }
    };
    Ok((job.generation, completed))
}

/// The 1st and 99th percentiles of a matrix's entries: the grey range a plain matrix is drawn
/// in, so a few large entries do not wash the picture out to one grey.
pub(super) fn percentile_range(matrix: &Array2<f64>) -> (f64, f64) {
    let mut values: Vec<f64> = matrix.iter().copied().collect();
    if values.is_empty() {
        return (0.0, 1.0);
    }
    values.sort_unstable_by(f64::total_cmp);
    let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
    (at(0.01), at(0.99))
}

/// (r, Σ_{i>r} σᵢ² / Σᵢ σᵢ²) for r = 0 … the values known. Once the spectrum is complete the
/// tail is summed from the dropped values themselves, so a tiny fraction keeps its digits
/// (1 minus the captured fraction would round it to 0 or below past 10⁻¹⁶).
pub(super) fn left_out(decomposition: &Decomposition) -> Vec<(f64, f64)> {
    let total = decomposition.total_energy();
    (0..=decomposition.values_known())
        .map(|r| {
            let fraction = if decomposition.spectrum_complete() && total.scaled() > 0.0 {
                decomposition.tail_energy(r) / total
            } else {
                1.0 - decomposition.energy_captured(r)
            };
            (r as f64, fraction)
        })
        .collect()
}
