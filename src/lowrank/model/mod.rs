//! The mathematics of Problem 2: minimise ‖X − AB‖²_F over A (m×r) and B (r×n).
//!
//! The thin SVD X = U Σ Vᵀ gives the minimiser A* = U_r Σ_r^{1/2}, B* = Σ_r^{1/2} V_rᵀ and the
//! minimum Σ_{i>r} σᵢ² (Eckart–Young). [`Reconstruction`] moves between ranks one rank-one term
//! σᵢ uᵢ vᵢᵀ at a time, [`Readouts`] are the figures shown at a rank, [`symmetry`] shows that the
//! minimiser is not unique, [`landscape`] that the objective is not convex, and [`descent`] trains
//! A and B by plain gradient descent. No terminal code lives here.

pub mod bidiag;
pub mod descent;
mod energy;
mod error;
pub mod landscape;
pub mod partial;
pub mod symmetry;

use std::fmt;
use std::sync::Arc;

pub use energy::{
    Energy, SAFE_EXPONENT, largest_magnitude, scaled_sum_of_squares, unit_for, unit_for_largest,
};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::svd::ComputeSvdVectors;
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::{Array2, ArrayView2, ShapeBuilder};
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// Below this many entries an SVD runs on one thread. Measured on 2 cores (benches/lowrank.rs):
/// at 512×512 one thread is about 15 % faster than two, at 1024×1024 two are about 10 % faster.
const PARALLEL_THRESHOLD: usize = 640 * 640;

/// Below this many multiply-adds a matrix product runs on one thread.
const PARALLEL_PRODUCT_THRESHOLD: usize = 1 << 22;

/// Sequential for small problems, every thread of the global pool for large ones.
pub fn parallelism_for(entries: usize) -> Par {
    if entries < PARALLEL_THRESHOLD {
        Par::Seq
    } else {
        Par::rayon(0)
    }
}

/// The thin singular value decomposition X = U diag(σ) Vᵀ with k = min(m, n) terms.
///
/// `u` (m×k) and `v` (n×k) are stored column-major (as faer returns them), so each singular
/// vector uᵢ, vᵢ is one contiguous column. Singular values are non-negative and descending.
#[derive(Debug, Clone, PartialEq)]
pub struct Svd {
    /// Left singular vectors, m×k, orthonormal columns.
    pub u: Array2<f64>,
    /// σ₁ ≥ σ₂ ≥ … ≥ σ_k ≥ 0.
    pub singular_values: Vec<f64>,
    /// Right singular vectors, n×k, orthonormal columns (V, not Vᵀ).
    pub v: Array2<f64>,
}

impl Svd {
    /// Number of terms k = min(m, n).
    pub fn terms(&self) -> usize {
        self.singular_values.len()
    }
}

/// Why a thin SVD could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SvdError {
    /// An entry was NaN or infinite: the decomposition would be meaningless.
    NonFinite { row: usize, col: usize },
    /// faer's iteration did not converge.
    NoConvergence,
    /// The factors returned do not have the shapes of a thin SVD of an m×n matrix.
    ShapeMismatch { rows: usize, cols: usize },
    /// σ₁ (of X/s, times the power of two s) is beyond the largest f64, about 1.8e308.
    Overflow,
}

impl fmt::Display for SvdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SvdError::NonFinite { row, col } => write!(
                f,
                "cannot decompose: entry at row {}, column {} is not a finite number",
                row + 1,
                col + 1
            ),
            SvdError::NoConvergence => {
                write!(f, "the singular value decomposition did not converge")
            }
            SvdError::ShapeMismatch { rows, cols } => write!(
                f,
                "the singular vectors do not have the shapes of a thin SVD of a {rows}×{cols} matrix"
            ),
            SvdError::Overflow => f.write_str(
                "σ₁ is beyond the largest floating-point number (about 1.8e308): scale the data down",
            ),
        }
    }
}

impl std::error::Error for SvdError {}

/// Thin SVD of `x` with faer, threads chosen by size ([`parallelism_for`]).
pub fn thin_svd(x: ArrayView2<f64>) -> Result<Svd, SvdError> {
    thin_svd_with(x, parallelism_for(x.len()))
}

/// Thin SVD of `x` with faer using the given parallelism. A matrix with entries beyond
/// 2^±[`SAFE_EXPONENT`] is decomposed as X/s (a copy, exact: s is a power of two,
/// [`unit_for`]) and its singular values multiplied by s, as LAPACK does; [`SvdError::Overflow`]
/// if σ₁ is then beyond f64.
pub fn thin_svd_with(x: ArrayView2<f64>, par: Par) -> Result<Svd, SvdError> {
    if let Some(((row, col), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(SvdError::NonFinite { row, col });
    }
    let unit = unit_for(x);
    if unit != 1.0 {
        let scaled = x.mapv(|v| v / unit);
        let mut svd = thin_svd_unscaled(scaled.view(), par)?;
        drop(scaled);
        let largest = svd.singular_values.first().copied().unwrap_or(0.0);
        if !(largest * unit).is_finite() {
            return Err(SvdError::Overflow);
        }
        svd.singular_values.iter_mut().for_each(|s| *s *= unit);
        return Ok(svd);
    }
    thin_svd_unscaled(x, par)
}

/// Thin SVD of finite `x` with faer, as it is.
fn thin_svd_unscaled(x: ArrayView2<f64>, par: Par) -> Result<Svd, SvdError> {
    let (m, n) = x.dim();
    let k = m.min(n);
    if k == 0 {
        return Ok(Svd {
            u: Array2::zeros((m, 0).f()),
            singular_values: Vec::new(),
            v: Array2::zeros((n, 0).f()),
        });
    }
    let input = FaerMat::new(x);
    // faer writes U and V straight into the column-major arrays we return: no second copy of
    // the vectors (at 4096² each is 128 MiB).
    let mut u = Array2::<f64>::zeros((m, k).f());
    let mut v = Array2::<f64>::zeros((n, k).f());
    let mut s = faer::diag::Diag::<f64>::zeros(k);
    let scratch = faer::linalg::svd::svd_scratch::<f64>(
        m,
        n,
        ComputeSvdVectors::Thin,
        ComputeSvdVectors::Thin,
        par,
        Default::default(),
    );
    {
        let (Some(u_slice), Some(v_slice)) =
            (u.as_slice_memory_order_mut(), v.as_slice_memory_order_mut())
        else {
            // Unreachable: arrays fresh from `zeros` are contiguous.
            return Err(SvdError::NoConvergence);
        };
        faer::linalg::svd::svd(
            input.as_ref(),
            s.as_mut(),
            Some(faer::MatMut::from_column_major_slice_mut(u_slice, m, k)),
            Some(faer::MatMut::from_column_major_slice_mut(v_slice, n, k)),
            par,
            MemStack::new(&mut MemBuffer::new(scratch)),
            Default::default(),
        )
        .map_err(|_| SvdError::NoConvergence)?;
    }
    let singular_values: Vec<f64> = s.column_vector().iter().copied().collect();
    if singular_values.iter().any(|s| !s.is_finite()) {
        return Err(SvdError::NoConvergence);
    }
    Ok(Svd {
        u,
        singular_values,
        v,
    })
}

/// A data matrix together with its thin SVD and the running sums of σᵢ² that every readout uses,
/// in the matrix's unit ([`unit_for`]: 1 unless its entries are beyond 2^±[`SAFE_EXPONENT`]).
#[derive(Debug, Clone)]
pub struct Decomposition {
    /// The data X (m×n), shared with workers such as gradient descent.
    pub matrix: Arc<Array2<f64>>,
    /// Its thin SVD.
    pub svd: Svd,
    /// ‖X‖²_F summed entry by entry (independent of the SVD).
    pub frobenius_sq: Energy,
    /// `captured[r]` = Σ_{i≤r} (σᵢ/unit)² for r = 0..=k.
    captured: Vec<f64>,
    /// `tail[r]` = Σ_{i>r} (σᵢ/unit)² for r = 0..=k, summed from the smallest term up (while
    /// only the leading values are known: ‖X‖²_F − Σ_{i≤r} σᵢ², by subtraction).
    tail: Vec<f64>,
    /// Σᵢ (σᵢ/unit)² over all values (‖X‖²_F while only the leading values are known).
    total: f64,
    /// The power of two the squares are taken in.
    unit: f64,
    /// max |xᵢⱼ|.
    largest: f64,
    /// The singular values known: all of them, or the leading ones of a first view.
    values: Vec<f64>,
}

/// Σ_{i≤r} (σᵢ/unit)² for r = 0..=len.
fn running_squares(values: &[f64], unit: f64) -> Vec<f64> {
    let mut captured = Vec::with_capacity(values.len() + 1);
    captured.push(0.0);
    let mut running = 0.0;
    for s in values {
        running += (s / unit) * (s / unit);
        captured.push(running);
    }
    captured
}

/// Σ_{i>r} (σᵢ/unit)² for r = 0..=len, summed from the smallest term up.
fn tail_squares(values: &[f64], unit: f64) -> Vec<f64> {
    let mut tail = vec![0.0; values.len() + 1];
    for r in (0..values.len()).rev() {
        tail[r] = tail[r + 1] + (values[r] / unit) * (values[r] / unit);
    }
    tail
}

impl Decomposition {
    /// Decompose `matrix` (thin SVD) and precompute the energy sums.
    pub fn compute(matrix: Array2<f64>) -> Result<Self, SvdError> {
        let svd = thin_svd(matrix.view())?;
        let (m, n) = matrix.dim();
        Self::from_parts(Arc::new(matrix), svd).ok_or(SvdError::ShapeMismatch { rows: m, cols: n })
    }

    /// Build from a matrix and its already computed SVD (for example one computed on a worker
    /// thread). `None` if the shapes do not belong together (U m×k, V n×k, k = min(m, n)).
    pub fn from_parts(matrix: Arc<Array2<f64>>, svd: Svd) -> Option<Self> {
        let (m, n) = matrix.dim();
        let k = svd.singular_values.len();
        if k != m.min(n) || svd.u.dim() != (m, k) || svd.v.dim() != (n, k) {
            return None;
        }
        let largest = largest_magnitude(matrix.view());
        let unit = unit_for_largest(largest);
        let captured = running_squares(&svd.singular_values, unit);
        let tail = tail_squares(&svd.singular_values, unit);
        let frobenius_sq = Energy::new(
            if unit == 1.0 {
                matrix.iter().map(|x| x * x).sum()
            } else {
                matrix.iter().map(|x| (x / unit) * (x / unit)).sum()
            },
            unit,
        );
        Some(Self {
            matrix,
            values: svd.singular_values.clone(),
            svd,
            frobenius_sq,
            total: captured[k],
            captured,
            tail,
            unit,
            largest,
        })
    }

    /// Build from the leading k ≤ min(m, n) triplets (the first view, see [`partial`]) and
    /// ‖X‖²_F, with every singular value if they are known already. Without them, the energy
    /// left out at rank r ≤ k is ‖X‖²_F − Σ_{i≤r} σᵢ² (by subtraction) and the total is ‖X‖²_F.
    /// The squares are taken in ‖X‖²_F's unit. `None` if the shapes do not belong together or
    /// fewer values than triplets are given.
    pub fn from_leading(
        matrix: Arc<Array2<f64>>,
        svd: Svd,
        frobenius_sq: Energy,
        all_values: Option<&[f64]>,
    ) -> Option<Self> {
        let (m, n) = matrix.dim();
        let k = svd.singular_values.len();
        if k > m.min(n) || svd.u.dim() != (m, k) || svd.v.dim() != (n, k) {
            return None;
        }
        if all_values.is_some_and(|all| all.len() != m.min(n)) {
            return None;
        }
        let unit = frobenius_sq.unit();
        let largest = largest_magnitude(matrix.view());
        let values = all_values.unwrap_or(&svd.singular_values).to_vec();
        let captured = running_squares(&values, unit);
        let (tail, total) = if all_values.is_some() {
            (tail_squares(&values, unit), captured[values.len()])
        } else {
            let whole = frobenius_sq.scaled();
            let tail = captured.iter().map(|c| (whole - c).max(0.0)).collect();
            (tail, whole)
        };
        Some(Self {
            matrix,
            svd,
            frobenius_sq,
            captured,
            tail,
            total,
            unit,
            largest,
            values,
        })
    }

    /// The singular values known, descending: all min(m, n) once the spectrum is complete.
    pub fn singular_values_known(&self) -> &[f64] {
        &self.values
    }

    /// How many singular values are known: min(m, n) once the spectrum is complete.
    pub fn values_known(&self) -> usize {
        self.captured.len() - 1
    }

    /// True once every singular value is known.
    pub fn spectrum_complete(&self) -> bool {
        self.values_known() == self.matrix.nrows().min(self.matrix.ncols())
    }

    /// True once every singular triplet is known (the full thin SVD).
    pub fn is_complete(&self) -> bool {
        self.max_rank() == self.matrix.nrows().min(self.matrix.ncols())
    }

    /// (m, n).
    pub fn shape(&self) -> (usize, usize) {
        self.matrix.dim()
    }

    /// The triplets known: k = min(m, n) once complete, the largest rank that can be shown.
    pub fn max_rank(&self) -> usize {
        self.svd.singular_values.len()
    }

    /// The power of two the squares are taken in (1 unless the entries are beyond
    /// 2^±[`SAFE_EXPONENT`]).
    pub fn unit(&self) -> f64 {
        self.unit
    }

    /// max |xᵢⱼ|.
    pub fn largest_entry(&self) -> f64 {
        self.largest
    }

    /// True when the entries' squares stay inside f64 as they are (entries within
    /// 2^±[`SAFE_EXPONENT`], the unit 1): what gradient descent and the symmetry readout,
    /// which work on X itself, need.
    pub fn squares_in_range(&self) -> bool {
        self.unit == 1.0
    }

    /// Σᵢ σᵢ², equal to ‖X‖²_F up to rounding.
    pub fn total_energy(&self) -> Energy {
        Energy::new(self.total, self.unit)
    }

    /// Σ_{i>r} σᵢ²: the Eckart–Young minimum of ‖X − AB‖²_F at rank r (0 beyond k).
    pub fn tail_energy(&self, r: usize) -> Energy {
        Energy::new(self.tail.get(r).copied().unwrap_or(0.0), self.unit)
    }

    /// Σ_{i≤r} σᵢ² / Σᵢ σᵢ²; 1 for the zero matrix (there is nothing to capture).
    pub fn energy_captured(&self, r: usize) -> f64 {
        if self.total <= 0.0 {
            return 1.0;
        }
        let captured = self.captured[r.min(self.values_known())];
        captured / self.total
    }

    /// The smallest r with Σ_{i≤r} σᵢ² ≥ fraction · Σᵢ σᵢ².
    pub fn rank_for_energy(&self, fraction: f64) -> usize {
        if self.total <= 0.0 {
            return 0;
        }
        let needed = fraction * self.total;
        self.captured
            .iter()
            .position(|&c| c >= needed)
            .unwrap_or(self.values_known())
    }
}

/// Factors A (m×r) and B (r×n) of a rank-r product AB.
#[derive(Debug, Clone, PartialEq)]
pub struct Factors {
    pub a: Array2<f64>,
    pub b: Array2<f64>,
}

impl Factors {
    /// The Eckart–Young minimiser A* = U_r Σ_r^{1/2}, B* = Σ_r^{1/2} V_rᵀ (r clamped to k).
    pub fn optimal(svd: &Svd, r: usize) -> Self {
        let r = r.min(svd.terms());
        let (m, n) = (svd.u.nrows(), svd.v.nrows());
        let root: Vec<f64> = svd.singular_values[..r].iter().map(|s| s.sqrt()).collect();
        let a = Array2::from_shape_fn((m, r), |(i, j)| svd.u[(i, j)] * root[j]);
        let b = Array2::from_shape_fn((r, n), |(i, j)| root[i] * svd.v[(j, i)]);
        Self { a, b }
    }

    /// The rank r (columns of A).
    pub fn rank(&self) -> usize {
        self.a.ncols()
    }

    /// The product AB (m×n). `None` if the inner dimensions disagree.
    pub fn product(&self) -> Option<Array2<f64>> {
        if self.a.ncols() != self.b.nrows() {
            return None;
        }
        let (m, n) = (self.a.nrows(), self.b.ncols());
        let mut out = Array2::zeros((m, n));
        multiply_into(
            out.view_mut(),
            self.a.view(),
            self.b.view(),
            Accum::Replace,
            1.0,
        );
        Some(out)
    }
}

/// The rank-r truncation X_r = Σ_{i≤r} σᵢ uᵢ vᵢᵀ = A*B*, kept up to date as r moves.
///
/// A step of the rank adds or subtracts rank-one terms σᵢ uᵢ vᵢᵀ (O(mn) each). A jump of more
/// than k/2 terms is rebuilt with one matrix product from whichever end is closer: from zero
/// (X_r = U_r Σ_r V_rᵀ) or from the data (X_r = X − Σ_{i>r} σᵢ uᵢ vᵢᵀ, exact because X is the sum
/// of all k terms).
#[derive(Debug, Clone)]
pub struct Reconstruction {
    decomposition: Arc<Decomposition>,
    rank: usize,
    approximation: Array2<f64>,
}

impl Reconstruction {
    /// Start at rank 0 (the zero matrix).
    pub fn new(decomposition: Arc<Decomposition>) -> Self {
        let approximation = Array2::zeros(decomposition.shape());
        Self {
            decomposition,
            rank: 0,
            approximation,
        }
    }

    /// The decomposition this reconstruction draws its terms from.
    pub fn decomposition(&self) -> &Arc<Decomposition> {
        &self.decomposition
    }

    /// The current rank r.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// The current approximation X_r (m×n, row-major).
    pub fn approximation(&self) -> ArrayView2<'_, f64> {
        self.approximation.view()
    }

    /// Move to rank `r` (clamped to k); returns the rank now held.
    pub fn set_rank(&mut self, r: usize) -> usize {
        let k = self.decomposition.max_rank();
        let target = r.min(k);
        let distance = target.abs_diff(self.rank);
        if distance > k / 2 {
            self.rebuild(target);
        } else {
            while self.rank < target {
                self.add_term(self.rank, 1.0);
                self.rank += 1;
            }
            while self.rank > target {
                self.rank -= 1;
                self.add_term(self.rank, -1.0);
            }
        }
        self.rank
    }

    /// X − X_r, computed on demand.
    pub fn residual(&self) -> Array2<f64> {
        &*self.decomposition.matrix - &self.approximation
    }

    /// One entry of X − X_r (row `r`, column `c`), as [`Reconstruction::residual`] holds it;
    /// `None` outside the matrix. The residual picture reads this instead of an m×n copy.
    pub fn residual_at(&self, r: usize, c: usize) -> Option<f64> {
        let x = self.decomposition.matrix.get((r, c))?;
        let approximation = self.approximation.get((r, c))?;
        Some(x - approximation)
    }

    /// max |X − X_r| over the entries (0 for an empty matrix), without forming X − X_r.
    pub fn residual_max(&self) -> f64 {
        self.decomposition
            .matrix
            .iter()
            .zip(self.approximation.iter())
            .fold(0.0, |m, (x, y)| f64::max(m, (x - y).abs()))
    }

    /// ‖X − X_r‖²_F summed entry by entry from the two matrices (not from σ), in the
    /// decomposition's unit.
    pub fn error_sq(&self) -> Energy {
        let unit = self.decomposition.unit();
        let pairs = self
            .decomposition
            .matrix
            .iter()
            .zip(self.approximation.iter());
        let scaled = if unit == 1.0 {
            pairs.map(|(x, y)| (x - y) * (x - y)).sum()
        } else {
            pairs
                .map(|(x, y)| ((x - y) / unit) * ((x - y) / unit))
                .sum()
        };
        Energy::new(scaled, unit)
    }

    /// approximation += sign · σᵢ uᵢ vᵢᵀ (term index `i`, 0-based).
    fn add_term(&mut self, i: usize, sign: f64) {
        let svd = &self.decomposition.svd;
        let weight = sign * svd.singular_values[i];
        // A rank-one product through faer: about 4× faster than a row-by-row axpy here.
        let u = svd.u.slice(ndarray::s![.., i..i + 1]);
        let v_row = svd.v.slice(ndarray::s![.., i..i + 1]).reversed_axes();
        multiply_into(self.approximation.view_mut(), u, v_row, Accum::Add, weight);
    }

    /// Recompute X_r with one product from the nearer end (zero or X).
    fn rebuild(&mut self, r: usize) {
        let decomposition = Arc::clone(&self.decomposition);
        let svd = &decomposition.svd;
        let k = svd.terms();
        // Only the full SVD sums to X: from a partial one, build up from zero.
        let (from, to, accum, sign) = if r <= k - r || !decomposition.is_complete() {
            self.approximation.fill(0.0);
            (0, r, Accum::Add, 1.0)
        } else {
            self.approximation.assign(&*decomposition.matrix);
            (r, k, Accum::Add, -1.0)
        };
        let scaled_u = Array2::from_shape_fn((svd.u.nrows(), to - from), |(i, j)| {
            svd.u[(i, from + j)] * svd.singular_values[from + j]
        });
        let v_rows = svd.v.slice(ndarray::s![.., from..to]).reversed_axes();
        multiply_into(
            self.approximation.view_mut(),
            scaled_u.view(),
            v_rows,
            accum,
            sign,
        );
        self.rank = r;
    }
}

/// The figures shown at rank r.
#[derive(Debug, Clone, PartialEq)]
pub struct Readouts {
    pub rank: usize,
    pub rows: usize,
    pub cols: usize,
    /// ‖X − A*B*‖²_F computed from the matrices.
    pub error_sq: Energy,
    /// Σ_{i>r} σᵢ², the Eckart–Young prediction of `error_sq`.
    pub error_sq_tail: Energy,
    /// `error_sq − error_sq_tail`: zero up to rounding.
    pub identity_gap: Energy,
    /// √(error_sq / ‖X‖²_F); 0 for the zero matrix.
    pub relative_error: f64,
    /// Σ_{i≤r} σᵢ² / Σᵢ σᵢ².
    pub energy_captured: f64,
    pub storage: Storage,
    /// (fraction, smallest rank capturing it) for 90 %, 99 %, 99.9 %.
    pub ranks_for_energy: [(f64, usize); 3],
}

/// The energy fractions for which the rank needed is reported.
pub const ENERGY_FRACTIONS: [f64; 3] = [0.9, 0.99, 0.999];

/// Numbers stored: factored r(m + n) against dense mn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Storage {
    pub factored: u64,
    pub dense: u64,
}

impl Storage {
    /// r(m + n) and mn, saturating rather than overflowing.
    pub fn new(rank: usize, rows: usize, cols: usize) -> Self {
        let (r, m, n) = (rank as u64, rows as u64, cols as u64);
        Self {
            factored: r.saturating_mul(m.saturating_add(n)),
            dense: m.saturating_mul(n),
        }
    }

    /// factored / dense (0 for an empty matrix).
    pub fn ratio(&self) -> f64 {
        if self.dense == 0 {
            0.0
        } else {
            self.factored as f64 / self.dense as f64
        }
    }
}

impl Readouts {
    /// The readouts at the reconstruction's current rank.
    pub fn compute(reconstruction: &Reconstruction) -> Self {
        let decomposition = reconstruction.decomposition();
        let rank = reconstruction.rank();
        let (rows, cols) = decomposition.shape();
        let error_sq = reconstruction.error_sq();
        let error_sq_tail = decomposition.tail_energy(rank);
        let relative_error = if decomposition.frobenius_sq.scaled() > 0.0 {
            (error_sq / decomposition.frobenius_sq).sqrt()
        } else {
            0.0
        };
        Self {
            rank,
            rows,
            cols,
            error_sq,
            error_sq_tail,
            identity_gap: error_sq - error_sq_tail,
            relative_error,
            energy_captured: decomposition.energy_captured(rank),
            storage: Storage::new(rank, rows, cols),
            ranks_for_energy: ENERGY_FRACTIONS.map(|p| (p, decomposition.rank_for_energy(p))),
        }
    }
}

/// A rows×cols matrix of independent standard Gaussian entries from a seeded generator (the
/// same seed, the same matrix): test and benchmark inputs.
pub fn gaussian_matrix(rows: usize, cols: usize, seed: u64) -> Array2<f64> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    Array2::from_shape_fn((rows, cols), |_| rng.sample(StandardNormal))
}

/// A matrix whose `cols` columns are orthonormal (rows ≥ cols), drawn uniformly (Haar): the Q of
/// a QR factorisation of a Gaussian matrix, with each column's sign fixed so diag(R) > 0.
/// If rows < cols only the first `rows` columns can be orthonormal; the rest are zero.
pub fn orthonormal_columns(rows: usize, cols: usize, rng: &mut impl Rng) -> Array2<f64> {
    let k = rows.min(cols);
    let gaussian = Mat::<f64>::from_fn(rows, k, |_, _| rng.sample(StandardNormal));
    let mut out = Array2::zeros((rows, cols));
    if k == 0 {
        return out;
    }
    let qr = gaussian.qr();
    let q = qr.compute_thin_Q();
    let r = qr.thin_R();
    for j in 0..k {
        let sign = if r[(j, j)] < 0.0 { -1.0 } else { 1.0 };
        for i in 0..rows {
            out[(i, j)] = sign * q[(i, j)];
        }
    }
    out
}

/// dst = accum(dst) + alpha · lhs · rhs with faer's matrix product.
pub(crate) fn multiply_into(
    mut dst: ndarray::ArrayViewMut2<f64>,
    lhs: ArrayView2<f64>,
    rhs: ArrayView2<f64>,
    accum: Accum,
    alpha: f64,
) {
    let (m, n) = dst.dim();
    let multiply_adds = m.saturating_mul(n).saturating_mul(lhs.ncols());
    let par = if multiply_adds < PARALLEL_PRODUCT_THRESHOLD {
        Par::Seq
    } else {
        Par::rayon(0)
    };
    let lhs = FaerMat::new(lhs);
    let rhs = FaerMat::new(rhs);
    match dst.as_slice_mut() {
        Some(slice) => {
            let out = MatMut::from_row_major_slice_mut(slice, m, n);
            faer::linalg::matmul::matmul(out, accum, lhs.as_ref(), rhs.as_ref(), alpha, par);
        }
        None => {
            let mut out = Mat::<f64>::from_fn(m, n, |i, j| dst[(i, j)]);
            faer::linalg::matmul::matmul(
                out.as_mut(),
                accum,
                lhs.as_ref(),
                rhs.as_ref(),
                alpha,
                par,
            );
            dst.indexed_iter_mut()
                .for_each(|((i, j), value)| *value = out[(i, j)]);
        }
    }
}

/// A faer view of an ndarray matrix: borrowed when its memory is contiguous (row- or
/// column-major), otherwise a copy.
pub(crate) enum FaerMat<'a> {
    Borrowed(MatRef<'a, f64>),
    Owned(Mat<f64>),
}

impl<'a> FaerMat<'a> {
    pub(crate) fn new(a: ArrayView2<'a, f64>) -> Self {
        let (m, n) = a.dim();
        if let Some(slice) = a.to_slice() {
            return FaerMat::Borrowed(MatRef::from_row_major_slice(slice, m, n));
        }
        if let Some(slice) = a.reversed_axes().to_slice() {
            return FaerMat::Borrowed(MatRef::from_column_major_slice(slice, m, n));
        }
        FaerMat::Owned(Mat::from_fn(m, n, |i, j| a[(i, j)]))
    }

    pub(crate) fn as_ref(&self) -> MatRef<'_, f64> {
        match self {
            FaerMat::Borrowed(view) => *view,
            FaerMat::Owned(mat) => mat.as_ref(),
        }
    }
}

/// Copy a faer matrix into a column-major ndarray.
pub(crate) fn to_ndarray_col_major(m: MatRef<'_, f64>) -> Array2<f64> {
    Array2::from_shape_fn((m.nrows(), m.ncols()).f(), |(i, j)| m[(i, j)])
}

#[cfg(test)]
mod tests;
