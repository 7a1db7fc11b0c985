//! The first view of a large input: the leading singular triplets of X and ‖X‖²_F, computed
//! before (and much faster than) the full SVD, in short blocks that can be abandoned.
//!
//! # Algorithm
//!
//! Randomized subspace iteration (Halko, Martinsson & Tropp 2011, algorithm 4.4) with a
//! Rayleigh–Ritz step after every pass, on faer's matrix products, thin QR and thin SVD:
//!
//! 1. Ω (n×k) Gaussian from a seeded generator (same seed, same result), P = XΩ, Q = qr(P).
//! 2. Repeat: Z = XᵀQ (n×k); thin SVD Z = W S Yᵀ gives the Ritz triplets σ = S, V = W,
//!    U = QY (so XᵀU = VS holds by construction); P = XV, and the residuals
//!    ‖X vᵢ − σᵢ uᵢ‖ = ‖P eᵢ − σᵢ uᵢ‖ come for free; stop when the leading `rank` residuals are
//!    below `tolerance`·σ₁ (after at least `min_power_iterations`) or after
//!    `max_power_iterations`; else Q = qr(P) (span XXᵀQ: one power iteration) and repeat.
//!
//! k = rank + max(10, rank/2) columns by default ([`Options::for_rank`]). Every block (each
//! product, QR, small SVD, the pass for ‖X‖²_F) is preceded by a check of the caller's
//! [`Cancel`]: a stale request returns [`PartialError::Cancelled`] after at most one block
//! (one m×n×k product, tens of milliseconds at 2048²). Progress (stage and fraction of the
//! planned blocks) goes to a callback after every block.
//!
//! # Accuracy of the singular values
//!
//! The Ritz values are lower bounds (σ̃ᵢ ≤ σᵢ, Cauchy interlacing for an orthonormal Q). For
//! unit uᵢ, vᵢ with ‖Xvᵢ − σ̃ᵢuᵢ‖ = ρᵢ and XᵀUᵢ = σ̃ᵢvᵢ, the Hermitian dilation
//! [[0, X], [Xᵀ, 0]] has an eigenvalue within ρᵢ/√2 of σ̃ᵢ, so some singular value of X lies within
//! [`Leading::residuals`]ᵢ/√2 (plus rounding, about m·ε·σ₁) of σ̃ᵢ: an a-posteriori bound that
//! needs no knowledge of the spectrum. If σᵢ is separated from the rest of the spectrum by a gap
//! δᵢ the error is quadratic, |σ̃ᵢ − σᵢ| ≲ ρᵢ²/δᵢ. A priori, with q power iterations the relative
//! error of σ̃ⱼ is at most ½·C²·(σ_{k+1}/σⱼ)^{4q+2} (Saibaba 2018; C = ‖Ω₂Ω₁⁺‖, a modest
//! multiple of √n with high probability for oversampling ≥ 10): for a spectrum where
//! σ_{k+1}/σ_r ≤ 0.1, q = 3 power iterations give ½·C²·10⁻¹⁴ ≲ 10⁻¹⁰ relative for
//! n ≤ 4096, which the tests check against faer's full SVD. For slowly decaying spectra (photos)
//! the iteration stops at `max_power_iterations` and the residuals say how far it got.
//!
//! # The error at rank r by subtraction, and how exact it is
//!
//! The reconstruction shown at rank r is U_r Σ_r V_rᵀ = U_r U_rᵀ X (exactly, since
//! XᵀU_r = V_r Σ_r), so its error is ‖X − U_rU_rᵀX‖²_F = ‖X‖²_F − Σ_{i≤r} σ̃ᵢ² whatever the
//! accuracy of the σ̃ (it is the Eckart–Young minimum once they are converged). The subtraction
//! cancels when the tail is small, so its rounding error is stated relative to ‖X‖²_F:
//!
//! * ‖X‖²_F: each square rounds by ε relative (all terms positive), the sum is compensated
//!   (Neumaier): ≤ 3ε‖X‖²_F.
//! * Summing r terms σ̃ᵢ²: ≤ (r + 1)ε‖X‖²_F.
//! * Z = fl(XᵀQ): each column errs by at most γ_m‖X‖_F (γ_m = mε/(1 − mε), dot products of
//!   length m), so ‖ΔZ‖_F ≤ √k·γ_m‖X‖_F and Σ_{i≤r} σᵢ² moves by at most 2√k·γ_m‖X‖²_F
//!   (+ the small SVD's backward error, 2√r·kε‖X‖²_F).
//! * Q not exactly orthonormal, η = ‖QᵀQ − I‖₂ (measured, ≤ ‖QᵀQ − I‖_F): singular values of
//!   QᵀX scale by at most 1 + η, their squares by 1 + 2η + η²: ≤ (2η + η²)‖X‖²_F.
//!
//! [`Leading::subtraction_bound`] is the sum of these (first order, worst case: every rounding
//! error aligned), as a number in the units of ‖X‖²_F (ε here is the unit roundoff 2⁻⁵³). At
//! 2048² with k = 20 it is 2.1·10⁻¹²·‖X‖²_F, dominated by 2√k·m·ε (at 512², 5·10⁻¹³; at 4096²,
//! 4·10⁻¹²): the 10⁻¹²·‖X‖²_F holds as a worst case up to about 1000 rows. Rounding
//! errors of long dot products grow like √m in practice, not m
//! ([`Leading::subtraction_bound_typical`] uses √m: about 10⁻¹³·‖X‖²_F at 2048²), and the tests
//! measure the actual error against a direct computation of ‖X − U_rU_rᵀX‖²_F.
//!
//! # Completing the spectrum in the background
//!
//! After the first view the tab needs every σ (the spectrum plot, the error "both ways"), then
//! every vector (ranks beyond k). The Low-rank tab (`tab/jobs.rs`) does this as follows:
//!
//! * A rank above the k computed triplets: run [`leading`] again with `rank` raised (cheap,
//!   cancellable; k grows by half the rank).
//! * All singular values: [`complete_values`] (faer's SVD without vectors, about a third of the
//!   full SVD's work), then all vectors: [`complete`] (faer's thin SVD). Each is one faer call
//!   with no cancellation hook, on one thread (`Par::Seq`), so it never holds more than one of
//!   two cores and the new input's first view runs on the other. In the app each runs in a child
//!   process (`lowrank::svd_worker`) that is killed as soon as it is stale, so stale
//!   work stops within 20 ms and its memory is freed; where no child can be started, on a thread
//!   that checks the [`Cancel`] before and after the call (a stale completion then never starts
//!   its second stage or returns a result, but the call itself runs to its end).
//! * Not done: a complete spectrum in cancellable blocks within one process. Extending the
//!   Krylov basis block by block until the tail is resolved needs k → min(m, n), at which point
//!   each pass costs as much as a full SVD and the re-orthogonalisation O(mk²) dominates; σ from
//!   the Gram matrix XᵀX squares the condition number (σ below √ε·σ₁ are lost); a blocked
//!   bidiagonalisation of our own (about 60 % of faer's time at 2048²) would still end in a
//!   bidiagonal SVD with vectors, which faer does not export.

use std::fmt;

use faer::{Accum, Mat, MatRef, Par};
use ndarray::{Array2, ArrayView2, ShapeBuilder};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

pub use super::error::{PartialError, WorkerError};
use super::{Energy, Svd, bidiag, scaled_sum_of_squares, thin_svd_with, unit_for};
use crate::jobs::Cancel;

/// Default seed of the Gaussian test matrix Ω.
pub const DEFAULT_SEED: u64 = 0x5eed_1a57;

/// How [`leading`] computes the leading triplets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The rank the first view shows: the triplets the stopping test looks at.
    pub rank: usize,
    /// Extra columns beyond `rank` (k = rank + oversample, clamped to min(m, n)).
    pub oversample: usize,
    /// Power iterations always done (each costs two m×n×k products).
    pub min_power_iterations: usize,
    /// Power iterations at most, whatever the residuals.
    pub max_power_iterations: usize,
    /// Stop when ‖X vᵢ − σᵢ uᵢ‖ ≤ tolerance·σ₁ for every i < rank.
    pub tolerance: f64,
    /// Seed of Ω: the same seed gives the same result.
    pub seed: u64,
    /// Threads for the matrix products (each product is one short block between checks).
    /// [`Options::for_rank`] uses one thread: measured on this 2-core machine under load, the
    /// 2048² first view took 0.35–0.38 s with `Par::Seq` against 0.85–0.96 s with
    /// `Par::rayon(0)`, and one thread leaves the other core to the UI and to the next request.
    pub par: Par,
}

impl Options {
    /// k = rank + max(10, rank/2), 2 to 6 power iterations, stop at residuals ≤ 10⁻⁸·σ₁, one
    /// thread.
    pub fn for_rank(rank: usize) -> Self {
        Options {
            rank,
            oversample: 10.max(rank / 2),
            min_power_iterations: 2,
            max_power_iterations: 6,
            tolerance: 1e-8,
            seed: DEFAULT_SEED,
            par: Par::Seq,
        }
    }

    /// The number of columns k of the sketch for an m×n input.
    pub fn block_size(&self, rows: usize, cols: usize) -> usize {
        self.rank
            .max(1)
            .saturating_add(self.oversample)
            .min(rows.min(cols))
    }

    /// Blocks planned at most: the ‖X‖²_F pass, the sketch (product, QR) and per pass of the
    /// loop a product, a small SVD, a product and a QR.
    pub fn planned_blocks(&self) -> usize {
        3 + 4 * (self.max_power_iterations + 1)
    }
}

/// What is being computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The exact ‖X‖²_F.
    Norm,
    /// XΩ and its QR.
    Sketch,
    /// Power iteration `iteration` (0 is the Rayleigh–Ritz step on the plain sketch).
    PowerIteration { iteration: usize },
    /// Finished.
    Done,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stage::Norm => f.write_str("‖X‖²"),
            Stage::Sketch => f.write_str("random sketch"),
            Stage::PowerIteration { iteration: 0 } => f.write_str("leading triplets"),
            Stage::PowerIteration { iteration } => write!(f, "power iteration {iteration}"),
            Stage::Done => f.write_str("leading triplets done"),
        }
    }
}

/// How far [`leading`] has got, reported after every block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub stage: Stage,
    /// Blocks finished so far.
    pub blocks_done: usize,
    /// Blocks planned at most (the iteration may stop earlier, then `Done` follows).
    pub blocks_planned: usize,
}

impl Progress {
    /// Fraction in [0, 1] (1 once done).
    pub fn fraction(&self) -> f64 {
        if self.stage == Stage::Done || self.blocks_planned == 0 {
            return 1.0;
        }
        (self.blocks_done as f64 / self.blocks_planned as f64).min(1.0)
    }
}

impl fmt::Display for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:.0} %)", self.stage, 100.0 * self.fraction())
    }
}

/// The leading k singular triplets of X (Ritz approximations) and ‖X‖²_F.
#[derive(Debug, Clone, PartialEq)]
pub struct Leading {
    /// Left singular vectors, m×k, orthonormal columns, column-major (as [`Svd::u`]).
    pub u: Array2<f64>,
    /// σ̃₁ ≥ … ≥ σ̃_k ≥ 0, each a lower bound of the true σᵢ.
    pub singular_values: Vec<f64>,
    /// Right singular vectors, n×k, orthonormal columns, column-major (as [`Svd::v`]).
    pub v: Array2<f64>,
    /// ρᵢ = ‖X vᵢ − σ̃ᵢ uᵢ‖: a singular value of X lies within ρᵢ/√2 (+ rounding) of σ̃ᵢ.
    pub residuals: Vec<f64>,
    /// ‖X‖²_F, compensated summation (relative error ≤ 3ε), in the matrix's unit.
    pub frobenius_sq: Energy,
    /// The rank the options asked for (clamped to k): the triplets the stopping test checked.
    pub rank: usize,
    /// Power iterations done (Ritz values from the last are returned).
    pub power_iterations: usize,
    /// Blocks (products, QRs, small SVDs, the norm pass) done.
    pub blocks: usize,
    /// ‖QᵀQ − I‖_F of the final basis (loss of orthogonality, enters the subtraction bound).
    pub orthogonality_loss: f64,
    /// (m, n).
    pub shape: (usize, usize),
}

impl Leading {
    /// k, the number of triplets.
    pub fn terms(&self) -> usize {
        self.singular_values.len()
    }

    /// True if every residual of the leading `rank` triplets is ≤ tolerance·σ̃₁.
    pub fn converged(&self, tolerance: f64) -> bool {
        let scale = self.singular_values.first().copied().unwrap_or(0.0);
        self.residuals
            .iter()
            .take(self.rank)
            .all(|&r| r <= tolerance * scale)
    }

    /// Σ_{i≤r} σ̃ᵢ² (r clamped to k), in ‖X‖²_F's unit.
    pub fn captured(&self, r: usize) -> Energy {
        let unit = self.frobenius_sq.unit();
        let scaled = if unit == 1.0 {
            self.singular_values
                .iter()
                .take(r)
                .map(|s| s * s)
                .sum::<f64>()
        } else {
            let terms = self.singular_values.iter().take(r);
            terms.map(|s| (s / unit) * (s / unit)).sum::<f64>()
        };
        Energy::new(scaled, unit)
    }

    /// ‖X‖²_F − Σ_{i≤r} σ̃ᵢ² (clamped at 0): the error ‖X − U_rU_rᵀX‖²_F of the reconstruction at
    /// rank r ≤ k, within [`Leading::subtraction_bound`]; `None` beyond k.
    pub fn error_by_subtraction(&self, r: usize) -> Option<Energy> {
        (r <= self.terms()).then(|| {
            let left = self.frobenius_sq - self.captured(r);
            Energy::new(left.scaled().max(0.0), left.unit())
        })
    }

    /// Worst-case first-order bound on |computed − exact| of [`Leading::error_by_subtraction`]
    /// at rank r, in absolute units (see the module doc for the derivation).
    pub fn subtraction_bound(&self, r: usize) -> Energy {
        self.bound_with(r, self.shape.0 as f64) * self.frobenius_sq
    }

    /// The same bound with the √m growth of rounding errors in long dot products seen in
    /// practice instead of the worst-case m.
    pub fn subtraction_bound_typical(&self, r: usize) -> Energy {
        self.bound_with(r, (self.shape.0 as f64).sqrt()) * self.frobenius_sq
    }

    /// The relative bound (a fraction of ‖X‖²_F) with long dot products' rounding growing like
    /// `dot_growth`.
    fn bound_with(&self, r: usize, dot_growth: f64) -> f64 {
        let eps = f64::EPSILON / 2.0; // unit roundoff
        let k = self.terms() as f64;
        let r = r.min(self.terms()) as f64;
        let eta = self.orthogonality_loss;
        let gamma = dot_growth * eps / (1.0 - self.shape.0 as f64 * eps).max(0.5);
        3.0 * eps
            + (r + 1.0) * eps
            + 2.0 * k.sqrt() * gamma
            + 2.0 * r.sqrt() * k * eps
            + 2.0 * eta
            + eta * eta
    }
}

/// ‖X‖²_F by compensated (Neumaier) summation of the squares, in X's unit ([`unit_for`]).
pub fn frobenius_sq(x: ArrayView2<f64>) -> Energy {
    let unit = unit_for(x);
    Energy::new(scaled_sum_of_squares(x.iter(), unit), unit)
}

/// The leading triplets of `x` (see the module doc), abandoned with
/// [`PartialError::Cancelled`] as soon as `cancel` says the request is stale.
pub fn leading(
    x: ArrayView2<f64>,
    options: &Options,
    cancel: &Cancel,
    progress: &mut dyn FnMut(Progress),
) -> Result<Leading, PartialError> {
    leading_until(x, options, &|| cancel.is_cancelled(), progress)
}

/// [`leading`] with any staleness test (checked before every block).
pub fn leading_until(
    x: ArrayView2<f64>,
    options: &Options,
    stale: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Leading, PartialError> {
    let (m, n) = x.dim();
    if m == 0 || n == 0 {
        return Err(PartialError::Empty { rows: m, cols: n });
    }
    if let Some(((row, col), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(PartialError::NonFinite { row, col });
    }
    let k = options.block_size(m, n);
    let rank = options.rank.min(k);
    let mut tracker = Tracker {
        progress,
        stale,
        blocks: 0,
        planned: options.planned_blocks(),
    };

    tracker.check()?;
    let frobenius_sq = frobenius_sq(x);
    tracker.step(Stage::Norm);

    // Entries beyond 2^±300 are taken as X/s (s = the unit, a power of two) inside every
    // product, and the values and residuals scaled back at the end.
    let unit = frobenius_sq.unit();
    let xf = faer_view(x);
    let xf = Scaled {
        x: xf.as_ref(),
        alpha: 1.0 / unit,
    };
    let (mut p, mut q) = sketch(xf, k, options, &mut tracker)?;
    let mut z = Mat::<f64>::zeros(n, k);
    let mut iteration = 0usize;
    loop {
        let stage = Stage::PowerIteration { iteration };
        let ritz = rayleigh_ritz(
            xf,
            q.as_ref(),
            &mut z,
            &mut p,
            options.par,
            &mut tracker,
            stage,
        )?;
        let scale = ritz.sigma.first().copied().unwrap_or(0.0);
        let resolved = ritz
            .residuals
            .iter()
            .take(rank)
            .all(|&r| r <= options.tolerance * scale);
        let enough = iteration >= options.min_power_iterations && resolved;
        if enough || iteration >= options.max_power_iterations {
            let orthogonality_loss = orthogonality_loss(q.as_ref());
            let (mut sigma, mut residuals) = (ritz.sigma, ritz.residuals);
            if unit != 1.0 {
                sigma
                    .iter_mut()
                    .chain(&mut residuals)
                    .for_each(|v| *v *= unit);
                if sigma.first().is_some_and(|s| !s.is_finite()) {
                    return Err(PartialError::Overflow);
                }
            }
            tracker.done();
            return Ok(Leading {
                u: to_ndarray(ritz.u.as_ref()),
                singular_values: sigma,
                v: to_ndarray(ritz.v.as_ref()),
                residuals,
                frobenius_sq,
                rank,
                power_iterations: iteration,
                blocks: tracker.blocks,
                orthogonality_loss,
                shape: (m, n),
            });
        }
        tracker.check()?;
        q = p.qr().compute_thin_Q();
        iteration += 1;
        tracker.step(Stage::PowerIteration { iteration });
    }
}

/// X as the products see it: `alpha`·X (alpha = 1/s, exact).
#[derive(Clone, Copy)]
struct Scaled<'a> {
    x: MatRef<'a, f64>,
    alpha: f64,
}

/// The sketch: Ω (n×k) Gaussian from the seeded generator, P = XΩ and Q = qr(P) (two blocks).
/// Returns P (whose storage the iteration reuses) and Q.
fn sketch(
    xf: Scaled<'_>,
    k: usize,
    options: &Options,
    tracker: &mut Tracker<'_>,
) -> Result<(Mat<f64>, Mat<f64>), PartialError> {
    let (m, n) = (xf.x.nrows(), xf.x.ncols());
    let mut rng = StdRng::seed_from_u64(options.seed);
    let omega = Mat::<f64>::from_fn(n, k, |_, _| rng.sample(StandardNormal));

    tracker.check()?;
    let mut p = Mat::<f64>::zeros(m, k);
    faer::linalg::matmul::matmul(
        p.as_mut(),
        Accum::Replace,
        xf.x,
        omega.as_ref(),
        xf.alpha,
        options.par,
    );
    drop(omega);
    tracker.step(Stage::Sketch);
    tracker.check()?;
    let q = p.qr().compute_thin_Q();
    tracker.step(Stage::Sketch);
    Ok((p, q))
}

/// The Ritz triplets of one pass and their residuals ‖X vᵢ − σᵢ uᵢ‖.
struct Ritz {
    sigma: Vec<f64>,
    u: Mat<f64>,
    v: Mat<f64>,
    residuals: Vec<f64>,
}

/// One Rayleigh–Ritz step on the basis `q` (three blocks): Z = XᵀQ (into `z`), the thin SVD
/// Z = W S Yᵀ gives σ = S, V = W, U = QY; then P = XV (into `p`) and the residuals
/// ‖P eᵢ − σᵢ uᵢ‖.
fn rayleigh_ritz(
    xf: Scaled<'_>,
    q: MatRef<'_, f64>,
    z: &mut Mat<f64>,
    p: &mut Mat<f64>,
    par: Par,
    tracker: &mut Tracker<'_>,
    stage: Stage,
) -> Result<Ritz, PartialError> {
    let (m, k) = (xf.x.nrows(), q.ncols());
    tracker.check()?;
    let (x, alpha) = (xf.x, xf.alpha);
    faer::linalg::matmul::matmul(z.as_mut(), Accum::Replace, x.transpose(), q, alpha, par);
    tracker.step(stage);
    tracker.check()?;
    let small = z.thin_svd().map_err(|_| PartialError::NoConvergence)?;
    let sigma: Vec<f64> = small.S().column_vector().iter().copied().collect();
    if sigma.iter().any(|s| !s.is_finite()) {
        return Err(PartialError::NoConvergence);
    }
    let v = small.U().to_owned();
    let u = q * small.V();
    tracker.step(stage);
    tracker.check()?;
    faer::linalg::matmul::matmul(p.as_mut(), Accum::Replace, x, v.as_ref(), alpha, par);
    let residuals: Vec<f64> = (0..k)
        .map(|j| {
            (0..m)
                .map(|i| {
                    let d = p[(i, j)] - sigma[j] * u[(i, j)];
                    d * d
                })
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    tracker.step(stage);
    Ok(Ritz {
        sigma,
        u,
        v,
        residuals,
    })
}

/// Counts blocks, reports each to the progress callback, and says before each whether the
/// request went stale.
struct Tracker<'p> {
    progress: &'p mut dyn FnMut(Progress),
    stale: &'p dyn Fn() -> bool,
    blocks: usize,
    planned: usize,
}

impl Tracker<'_> {
    /// `Cancelled` once the request is stale: checked before every block.
    fn check(&self) -> Result<(), PartialError> {
        if (self.stale)() {
            Err(PartialError::Cancelled)
        } else {
            Ok(())
        }
    }

    fn step(&mut self, stage: Stage) {
        self.blocks += 1;
        (self.progress)(Progress {
            stage,
            blocks_done: self.blocks,
            blocks_planned: self.planned,
        });
    }

    fn done(&mut self) {
        (self.progress)(Progress {
            stage: Stage::Done,
            blocks_done: self.blocks,
            blocks_planned: self.planned,
        });
    }
}

/// All singular values of `x`, descending, in cancellable steps: our own blocked
/// bidiagonalisation ([`bidiag::bidiagonalize`]: a check of `cancel` and a `progress` report, the
/// fraction done, around every column; its large products on the threads `threads` returns,
/// asked before every column), then the Golub–Kahan eigenvalues (one O(n²) call on one thread:
/// 0.35 s at 2048², 1.4–2 s at 4096²). `Cancelled` as soon as it is stale.
pub fn complete_values(
    x: ArrayView2<f64>,
    cancel: &Cancel,
    progress: &mut dyn FnMut(f64),
    threads: &dyn Fn() -> Par,
) -> Result<Vec<f64>, PartialError> {
    let b = bidiag::bidiagonalize(x, cancel, progress, threads)?;
    if cancel.is_cancelled() {
        return Err(PartialError::Cancelled);
    }
    let mut values = bidiag::bidiagonal_singular_values(&b.diagonal(), &b.superdiagonal())?;
    if cancel.is_cancelled() {
        return Err(PartialError::Cancelled);
    }
    if b.unit != 1.0 {
        values.iter_mut().for_each(|s| *s *= b.unit);
        if values.first().is_some_and(|s| !s.is_finite()) {
            return Err(PartialError::Overflow);
        }
    }
    Ok(values)
}

/// The full thin SVD of `x` on one thread (faer's, uncancellable once started): `Cancelled`
/// if stale before it starts or when it ends.
pub fn complete(x: ArrayView2<f64>, cancel: &Cancel) -> Result<Svd, PartialError> {
    let (m, n) = x.dim();
    if m == 0 || n == 0 {
        return Err(PartialError::Empty { rows: m, cols: n });
    }
    if cancel.is_cancelled() {
        return Err(PartialError::Cancelled);
    }
    let svd = thin_svd_with(x, Par::Seq)?;
    if cancel.is_cancelled() {
        return Err(PartialError::Cancelled);
    }
    Ok(svd)
}

/// A photo-like test matrix of any size: `image` resized bilinearly to rows×cols plus Gaussian
/// noise of standard deviation `noise` (seeded). Its spectrum decays like the photo's, down to a
/// noise floor, like a real large photograph (the built-in photos are 512×512). For benchmarks.
pub fn upscaled_photo(
    image: ArrayView2<f64>,
    rows: usize,
    cols: usize,
    noise: f64,
    seed: u64,
) -> Array2<f64> {
    let (h, w) = image.dim();
    let mut rng = StdRng::seed_from_u64(seed);
    if h == 0 || w == 0 {
        return Array2::zeros((rows, cols));
    }
    let position = |i: usize, out: usize, inp: usize| -> (usize, usize, f64) {
        // Pixel centres aligned: source coordinate (i + ½)·inp/out − ½, clamped.
        let s = ((i as f64 + 0.5) * inp as f64 / out as f64 - 0.5).clamp(0.0, (inp - 1) as f64);
        let lo = s.floor() as usize;
        let hi = (lo + 1).min(inp - 1);
        (lo, hi, s - lo as f64)
    };
    let row_pos: Vec<_> = (0..rows).map(|i| position(i, rows, h)).collect();
    let col_pos: Vec<_> = (0..cols).map(|j| position(j, cols, w)).collect();
    let mut out = Array2::zeros((rows, cols));
    for (i, &(r0, r1, fr)) in row_pos.iter().enumerate() {
        for (j, &(c0, c1, fc)) in col_pos.iter().enumerate() {
            let top = image[(r0, c0)] * (1.0 - fc) + image[(r0, c1)] * fc;
            let bottom = image[(r1, c0)] * (1.0 - fc) + image[(r1, c1)] * fc;
            let e: f64 = rng.sample(StandardNormal);
            out[(i, j)] = top * (1.0 - fr) + bottom * fr + noise * e;
        }
    }
    out
}

/// ‖QᵀQ − I‖_F.
fn orthogonality_loss(q: MatRef<'_, f64>) -> f64 {
    let gram = q.transpose() * q;
    let k = gram.nrows();
    let mut sum = 0.0;
    for j in 0..k {
        for i in 0..k {
            let d = gram[(i, j)] - if i == j { 1.0 } else { 0.0 };
            sum += d * d;
        }
    }
    sum.sqrt()
}

/// A faer view of an ndarray matrix: borrowed when contiguous (row- or column-major), else a
/// copy.
enum FaerView<'a> {
    Borrowed(MatRef<'a, f64>),
    Owned(Mat<f64>),
}

impl FaerView<'_> {
    fn as_ref(&self) -> MatRef<'_, f64> {
        match self {
            FaerView::Borrowed(view) => *view,
            FaerView::Owned(mat) => mat.as_ref(),
        }
    }
}

fn faer_view(a: ArrayView2<'_, f64>) -> FaerView<'_> {
    let (m, n) = a.dim();
    if let Some(slice) = a.to_slice() {
        return FaerView::Borrowed(MatRef::from_row_major_slice(slice, m, n));
    }
    if let Some(slice) = a.reversed_axes().to_slice() {
        return FaerView::Borrowed(MatRef::from_column_major_slice(slice, m, n));
    }
    FaerView::Owned(Mat::from_fn(m, n, |i, j| a[(i, j)]))
}

fn to_ndarray(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()).f(), |(i, j)| m[(i, j)])
}

#[cfg(test)]
mod tests;
