//! Every singular value of X in short, cancellable steps: a blocked Householder
//! bidiagonalisation of our own, then the eigenvalues of the Golub–Kahan matrix.
//!
//! # Why our own
//!
//! faer's SVD is one call with no cancellation hook (27.7 s of one core for all values and
//! vectors of a 4096×4096 matrix). Reducing X to bidiagonal form is most of the work of its
//! singular values (about 60 % of faer's full SVD at 2048², all of it but O(n²) for the values
//! alone), so doing that reduction here, column by column, lets a stale request stop between two
//! columns and lets the tab say how far it is.
//!
//! # Algorithm
//!
//! X (m×n, m ≥ n; a wide X is transposed first, which leaves the singular values alone) is
//! reduced to Q_Lᵀ X Q_R = B, upper bidiagonal with diagonal d and superdiagonal e, by
//! alternating Householder reflectors: H_j = I − τ_j v_j v_jᵀ from the left zeroes column j
//! below the diagonal, G_j = I − π_j u_j u_jᵀ from the right zeroes row j right of the
//! superdiagonal. As in LAPACK's `dgebrd`/`dlabrd` the reflectors of a panel of [`PANEL`]
//! columns are applied to the rest of the matrix together, as two matrix products
//! A ← A − V Yᵀ − X Uᵀ, so the trailing matrix is read twice per column (the matrix–vector
//! products that define Y and X) and written once per panel. Every product is faer's; the
//! large ones run on the threads the caller allows, asked before every column (the tab gives a
//! core back to a first view at once).
//!
//! The singular values of B are the non-negative eigenvalues of the Golub–Kahan matrix, the
//! 2n×2n symmetric tridiagonal matrix with zero diagonal and off-diagonal d₁, e₁, d₂, …, d_n,
//! whose eigenvalues are ±σᵢ: faer's tridiagonal QR algorithm finds them in O(n²) (0.2 s at
//! n = 2048), one short call.
//!
//! # Accuracy
//!
//! Householder reduction is backward stable: B is the exact bidiagonal form of X + ΔX with
//! ‖ΔX‖_F = O(n ε ‖X‖_F), and the symmetric QR algorithm adds an absolute error O(ε ‖B‖₂), so
//! every σᵢ is within a small multiple of n ε ‖X‖₂ of the exact value, as for faer's own SVD.
//! The tests compare both, check Σσᵢ² = ‖X‖²_F (orthogonal transformations keep the Frobenius
//! norm), and rebuild X = Q_L B Q_Rᵀ from the stored reflectors.

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::matmul::matmul;
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use ndarray::ArrayView2;

use super::error::PartialError;
use super::unit_for;
use crate::jobs::Cancel;

/// Columns whose reflectors are applied to the trailing matrix together.
pub const PANEL: usize = 32;

/// X reduced to bidiagonal form, in LAPACK's layout.
#[derive(Debug, Clone)]
pub struct Bidiagonalization {
    /// m×n (m ≥ n) after the reduction: d on the diagonal and e on the superdiagonal; below the
    /// diagonal of column j the left reflector's vector v_j (whose first entry, 1, is implied);
    /// right of the superdiagonal of row j the right reflector's u_j (likewise).
    pub a: Mat<f64>,
    /// τ_j of the left reflectors H_j = I − τ_j v_j v_jᵀ.
    pub tau_left: Vec<f64>,
    /// π_j of the right reflectors G_j = I − π_j u_j u_jᵀ (n − 1 of them).
    pub tau_right: Vec<f64>,
    /// True if X was wide and `a` holds the reduction of Xᵀ.
    pub transposed: bool,
    /// The power of two X was divided by before the reduction (1 unless its entries are beyond
    /// 2^±[`super::SAFE_EXPONENT`]): `a` holds the reduction of X/unit, whose singular values
    /// are σᵢ/unit.
    pub unit: f64,
}

impl Bidiagonalization {
    /// d: the diagonal of B.
    pub fn diagonal(&self) -> Vec<f64> {
        (0..self.a.ncols()).map(|j| self.a[(j, j)]).collect()
    }

    /// e: the superdiagonal of B.
    pub fn superdiagonal(&self) -> Vec<f64> {
        (1..self.a.ncols()).map(|j| self.a[(j - 1, j)]).collect()
    }
}

/// Reduces `x` to bidiagonal form. Checks `cancel` before every column (a stale request returns
/// [`PartialError::Cancelled`] after at most one column: two matrix–vector products with the
/// trailing matrix, or a panel's update) and reports the fraction of the work done after every
/// column. The large products use the threads `threads` returns, asked before every column (so
/// a caller can give a core back to other work at once); a stale request stops at the next
/// column whatever it holds.
pub fn bidiagonalize(
    x: ArrayView2<f64>,
    cancel: &Cancel,
    progress: &mut dyn FnMut(f64),
    threads: &dyn Fn() -> Par,
) -> Result<Bidiagonalization, PartialError> {
    bidiagonalize_until(x, &|| cancel.is_cancelled(), progress, threads)
}

/// [`bidiagonalize`] with any staleness test (checked before every column and panel update).
pub fn bidiagonalize_until(
    x: ArrayView2<f64>,
    stale: &dyn Fn() -> bool,
    progress: &mut dyn FnMut(f64),
    threads: &dyn Fn() -> Par,
) -> Result<Bidiagonalization, PartialError> {
    let (mut a, transposed, unit) = tall_copy(x)?;
    let (m, n) = (a.nrows(), a.ncols());
    // Work of column j: the two products with the (m − j)×(n − j) trailing matrix.
    let work = |j: usize| ((m - j) * (n - j)) as f64;
    let total: f64 = (0..n).map(work).sum();
    let mut done = 0.0;
    let mut r = Reduction::new(m, n);
    let mut p = 0;
    while p < n {
        let nb = PANEL.min(n - p);
        let mut par = Par::Seq;
        for i in 0..nb {
            if stale() {
                return Err(PartialError::Cancelled);
            }
            par = threads();
            r.reduce_column(a.as_mut().submatrix_mut(p, p, m - p, n - p), p, i, par);
            done += work(p + i);
            progress(done / total);
        }
        if nb < n - p {
            if stale() {
                return Err(PartialError::Cancelled);
            }
            r.update_trailing(a.as_mut().submatrix_mut(p, p, m - p, n - p), nb, par);
        }
        for j in p..p + nb {
            a[(j, j)] = r.d[j];
            if j + 1 < n {
                a[(j, j + 1)] = r.e[j];
            }
        }
        p += nb;
    }
    Ok(Bidiagonalization {
        a,
        tau_left: r.tau_left,
        tau_right: r.tau_right,
        transposed,
        unit,
    })
}

/// `x`/unit as a tall (m ≥ n) faer matrix to reduce in place, transposed if it is wide (which
/// leaves the singular values alone), whether it was, and the unit ([`unit_for`]: dividing by
/// a power of two is exact). Refuses an empty or non-finite `x`.
fn tall_copy(x: ArrayView2<f64>) -> Result<(Mat<f64>, bool, f64), PartialError> {
    let (rows, cols) = x.dim();
    if rows == 0 || cols == 0 {
        return Err(PartialError::Empty { rows, cols });
    }
    if let Some(((row, col), _)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(PartialError::NonFinite { row, col });
    }
    let transposed = rows < cols;
    let (m, n) = if transposed {
        (cols, rows)
    } else {
        (rows, cols)
    };
    let unit = unit_for(x);
    let entry = |i: usize, j: usize| if transposed { x[(j, i)] } else { x[(i, j)] };
    let a = if unit == 1.0 {
        Mat::<f64>::from_fn(m, n, entry)
    } else {
        Mat::<f64>::from_fn(m, n, |i, j| entry(i, j) / unit)
    };
    Ok((a, transposed, unit))
}

/// The state of a reduction: d and e (kept here while the panel's unit entries sit in their
/// places), the τ and π, and the panel's X (m×[`PANEL`]) and Y (n×[`PANEL`]).
struct Reduction {
    d: Vec<f64>,
    e: Vec<f64>,
    tau_left: Vec<f64>,
    tau_right: Vec<f64>,
    x: Mat<f64>,
    y: Mat<f64>,
}

impl Reduction {
    fn new(m: usize, n: usize) -> Self {
        Reduction {
            d: vec![0.0; n],
            e: vec![0.0; n.saturating_sub(1)],
            tau_left: vec![0.0; n],
            tau_right: vec![0.0; n.saturating_sub(1)],
            x: Mat::<f64>::zeros(m, PANEL),
            y: Mat::<f64>::zeros(n, PANEL),
        }
    }

    /// Reduces column i and row i of `s` = A[p.., p..], the i-th of the panel that starts at
    /// column p: LAPACK's `dlabrd` step, 0-based. Before it, the columns and rows 0..i of `s`
    /// hold the panel's earlier reflectors and the rest of `s` is X's trailing matrix without
    /// their updates, which X[.., 0..i] and Y[.., 0..i] stand for.
    fn reduce_column(&mut self, mut s: MatMut<'_, f64>, p: usize, i: usize, par: Par) {
        let tau = self.reflect_column(s.rb_mut(), p, i, par);
        if i + 1 == s.ncols() {
            return;
        }
        self.fill_y_column(s.rb(), i, tau, par);
        let (u, pi) = self.reflect_row(s.rb_mut(), p, i, par);
        self.fill_x_column(s.rb(), i, u.as_ref(), pi, par);
    }

    /// Column i, rows i.., brought up to date (− S[i.., ..i] Y[i, ..i]ᵀ − X[i.., ..i] S[..i, i])
    /// and reduced by the left reflector H_{p+i}: d and τ recorded, v left in the column.
    /// Returns τ.
    #[inline]
    fn reflect_column(&mut self, mut s: MatMut<'_, f64>, p: usize, i: usize, par: Par) -> f64 {
        let mm = s.nrows();
        let mut c = Mat::<f64>::from_fn(mm - i, 1, |k, _| s[(i + k, i)]);
        if i > 0 {
            subtract_product(
                par,
                c.as_mut(),
                s.rb().submatrix(i, 0, mm - i, i),
                self.y.as_ref().submatrix(i, 0, 1, i).transpose(),
            );
            subtract_product(
                par,
                c.as_mut(),
                self.x.as_ref().submatrix(i, 0, mm - i, i),
                s.rb().submatrix(0, i, i, 1),
            );
        }
        let (beta, tau) = householder(c.col_as_slice_mut(0));
        self.d[p + i] = beta;
        self.tau_left[p + i] = tau;
        c[(0, 0)] = 1.0;
        for k in 0..mm - i {
            s[(i + k, i)] = c[(k, 0)];
        }
        tau
    }

    /// Y[i+1.., i] = τ (S[i.., i+1..]ᵀ v − Y[i+1.., ..i] S[i.., ..i]ᵀ v − S[..i, i+1..]ᵀ X[i.., ..i]ᵀ v).
    #[inline]
    fn fill_y_column(&mut self, s: MatRef<'_, f64>, i: usize, tau: f64, par: Par) {
        let (mm, nn) = (s.nrows(), s.ncols());
        let rest = nn - i - 1;
        let v = s.submatrix(i, i, mm - i, 1);
        let (y_left, mut y_right) = self.y.as_mut().split_at_col_mut(i);
        let mut y_col = y_right.rb_mut().subcols_mut(0, 1);
        product(
            par,
            y_col.rb_mut().subrows_mut(i + 1, rest),
            s.submatrix(i, i + 1, mm - i, rest).transpose(),
            v,
        );
        if i > 0 {
            let mut t = Mat::<f64>::zeros(i, 1);
            product(par, t.as_mut(), s.submatrix(i, 0, mm - i, i).transpose(), v);
            subtract_product(
                par,
                y_col.rb_mut().subrows_mut(i + 1, rest),
                y_left.rb().submatrix(i + 1, 0, rest, i),
                t.as_ref(),
            );
            product(
                par,
                t.as_mut(),
                self.x.as_ref().submatrix(i, 0, mm - i, i).transpose(),
                v,
            );
            subtract_product(
                par,
                y_col.rb_mut().subrows_mut(i + 1, rest),
                s.submatrix(0, i + 1, i, rest).transpose(),
                t.as_ref(),
            );
        }
        for k in 0..rest {
            y_col[(i + 1 + k, 0)] *= tau;
        }
    }

    /// Row i, columns i+1.., brought up to date (− Y[i+1.., ..=i] S[i, ..=i]ᵀ
    /// − S[..i, i+1..]ᵀ X[i, ..i]ᵀ) and reduced by the right reflector G_{p+i}: e and π
    /// recorded, u left in the row. Returns u (as a column) and π.
    #[inline]
    fn reflect_row(
        &mut self,
        mut s: MatMut<'_, f64>,
        p: usize,
        i: usize,
        par: Par,
    ) -> (Mat<f64>, f64) {
        let rest = s.ncols() - i - 1;
        let mut r = Mat::<f64>::from_fn(rest, 1, |k, _| s[(i, i + 1 + k)]);
        subtract_product(
            par,
            r.as_mut(),
            self.y.as_ref().submatrix(i + 1, 0, rest, i + 1),
            s.rb().submatrix(i, 0, 1, i + 1).transpose(),
        );
        if i > 0 {
            subtract_product(
                par,
                r.as_mut(),
                s.rb().submatrix(0, i + 1, i, rest).transpose(),
                self.x.as_ref().submatrix(i, 0, 1, i).transpose(),
            );
        }
        let (beta, pi) = householder(r.col_as_slice_mut(0));
        self.e[p + i] = beta;
        self.tau_right[p + i] = pi;
        r[(0, 0)] = 1.0;
        for k in 0..rest {
            s[(i, i + 1 + k)] = r[(k, 0)];
        }
        (r, pi)
    }

    /// X[i+1.., i] = π (S[i+1.., i+1..] u − S[i+1.., ..=i] Y[i+1.., ..=i]ᵀ u − X[i+1.., ..i] S[..i, i+1..] u).
    #[inline]
    fn fill_x_column(
        &mut self,
        s: MatRef<'_, f64>,
        i: usize,
        u: MatRef<'_, f64>,
        pi: f64,
        par: Par,
    ) {
        let (mm, nn) = (s.nrows(), s.ncols());
        let rest = nn - i - 1;
        let below = mm - i - 1;
        let (x_left, mut x_right) = self.x.as_mut().split_at_col_mut(i);
        let mut x_col = x_right.rb_mut().subcols_mut(0, 1);
        product(
            par,
            x_col.rb_mut().subrows_mut(i + 1, below),
            s.submatrix(i + 1, i + 1, below, rest),
            u,
        );
        let mut t = Mat::<f64>::zeros(i + 1, 1);
        product(
            par,
            t.as_mut(),
            self.y.as_ref().submatrix(i + 1, 0, rest, i + 1).transpose(),
            u,
        );
        subtract_product(
            par,
            x_col.rb_mut().subrows_mut(i + 1, below),
            s.submatrix(i + 1, 0, below, i + 1),
            t.as_ref(),
        );
        if i > 0 {
            let mut t = Mat::<f64>::zeros(i, 1);
            product(par, t.as_mut(), s.submatrix(0, i + 1, i, rest), u);
            subtract_product(
                par,
                x_col.rb_mut().subrows_mut(i + 1, below),
                x_left.rb().submatrix(i + 1, 0, below, i),
                t.as_ref(),
            );
        }
        for k in 0..below {
            x_col[(i + 1 + k, 0)] *= pi;
        }
    }

    /// After a panel of `nb` columns of `s` = A[p.., p..]: A22 ← A22 − V Yᵀ − X Uᵀ, with the
    /// reflectors' unit entries in place.
    fn update_trailing(&self, s: MatMut<'_, f64>, nb: usize, par: Par) {
        let (mm, nn) = (s.nrows(), s.ncols());
        let (left, right) = s.split_at_col_mut(nb);
        let (u, mut a22) = right.split_at_row_mut(nb);
        subtract_product(
            par,
            a22.rb_mut(),
            left.rb().submatrix(nb, 0, mm - nb, nb),
            self.y.as_ref().submatrix(nb, 0, nn - nb, nb).transpose(),
        );
        subtract_product(
            par,
            a22.rb_mut(),
            self.x.as_ref().submatrix(nb, 0, mm - nb, nb),
            u.rb().subcols(0, nn - nb),
        );
    }
}

/// Below this many entries of its matrix a product runs on one thread whatever `par` says.
const PARALLEL_ENTRIES: usize = 1 << 16;

/// `par` for a product whose left factor is `lhs`: one thread for small ones.
fn threads_for(par: Par, lhs: MatRef<'_, f64>) -> Par {
    if lhs.nrows() * lhs.ncols() < PARALLEL_ENTRIES {
        Par::Seq
    } else {
        par
    }
}

/// dst ← lhs·rhs.
fn product(par: Par, dst: MatMut<'_, f64>, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    matmul(dst, Accum::Replace, lhs, rhs, 1.0, threads_for(par, lhs));
}

/// dst ← dst − lhs·rhs.
fn subtract_product(par: Par, dst: MatMut<'_, f64>, lhs: MatRef<'_, f64>, rhs: MatRef<'_, f64>) {
    matmul(dst, Accum::Add, lhs, rhs, -1.0, threads_for(par, lhs));
}

/// LAPACK's `dlarfg` on c = (α, x): the reflector H = I − τ w wᵀ, w = (1, x/(α − β)), with
/// H c = (β, 0, …, 0). Leaves w's tail in c[1..] and β in c[0]; returns (β, τ). τ = 0 (H = I)
/// when x is zero.
fn householder(c: &mut [f64]) -> (f64, f64) {
    let Some((&alpha, x)) = c.split_first() else {
        return (0.0, 0.0);
    };
    // ‖x‖ scaled by its largest entry, so that huge entries do not overflow the squares.
    let big = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
    if big == 0.0 {
        return (alpha, 0.0);
    }
    let norm = big * x.iter().map(|v| (v / big) * (v / big)).sum::<f64>().sqrt();
    let beta = -alpha.signum() * alpha.hypot(norm);
    let tau = (beta - alpha) / beta;
    let scale = 1.0 / (alpha - beta);
    for v in &mut c[1..] {
        *v *= scale;
    }
    c[0] = beta;
    (beta, tau)
}

/// All singular values of the upper bidiagonal matrix with diagonal `d` and superdiagonal `e`,
/// descending: the non-negative eigenvalues of its Golub–Kahan matrix.
pub fn bidiagonal_singular_values(d: &[f64], e: &[f64]) -> Result<Vec<f64>, PartialError> {
    let n = d.len();
    if n == 0 {
        return Ok(Vec::new());
    }
    let size = 2 * n;
    let diag = faer::diag::Diag::<f64>::zeros(size);
    let mut off = faer::diag::Diag::<f64>::zeros(size);
    for k in 0..n {
        off[2 * k] = d[k];
        if k + 1 < n {
            off[2 * k + 1] = e.get(k).copied().unwrap_or(0.0);
        }
    }
    let mut eigenvalues = faer::diag::Diag::<f64>::zeros(size);
    let scratch = evd::self_adjoint_evd_scratch::<f64>(
        size,
        ComputeEigenvectors::No,
        Par::Seq,
        Default::default(),
    );
    evd::tridiagonal_self_adjoint_evd(
        diag.as_ref(),
        off.as_ref(),
        eigenvalues.as_mut(),
        None,
        Par::Seq,
        MemStack::new(&mut MemBuffer::new(scratch)),
        Default::default(),
    )
    .map_err(|_| PartialError::NoConvergence)?;
    // Ascending ±σ: the largest n are the σ (a zero σ may come out as a tiny negative).
    let mut values: Vec<f64> = eigenvalues
        .column_vector()
        .iter()
        .rev()
        .take(n)
        .map(|v| v.abs())
        .collect();
    if values.iter().any(|v| !v.is_finite()) {
        return Err(PartialError::NoConvergence);
    }
    values.sort_by(|a, b| b.total_cmp(a));
    Ok(values)
}

#[cfg(test)]
mod tests;
