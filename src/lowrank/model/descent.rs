//! Beyond the homework: train A (m×r) and B (r×n) by plain gradient descent on
//! L(A, B) = ½‖X − AB‖²_F, from a small random start, and compare with the Eckart–Young optimum
//! ½ Σ_{i>r} σᵢ².
//!
//! The gradients are ∇_A L = (AB − X)Bᵀ = A(BBᵀ) − XBᵀ and ∇_B L = Aᵀ(AB − X) = (AᵀA)B − AᵀX,
//! evaluated without forming the m×n residual: each iteration costs two products with X.
//!
//! Step size. Near the balanced optimum (‖A‖₂² = ‖B‖₂² = σ₁) the curvature of L along the top
//! singular pair is 2σ₁ (for the scalar ½(σ − ab)² at a = b = √σ the Hessian is σ[[1, 1], [1, 1]]),
//! so gradient descent is stable for η < 1/σ₁. We take η = [`STEP_FRACTION`]/σ₁ with σ₁ estimated
//! from the data by power iteration on XᵀX, so the descent does not depend on the SVD.
//!
//! Rate. Around the balanced optimum the Hessian of L has, for each kept term j ≤ r and each
//! dropped direction i > r, the 2×2 block [[σ_j, −σ_i], [−σ_i, σ_j]] with eigenvalues σ_j ± σ_i;
//! inside the kept block the eigenvalues are σ_i + σ_j (and 0 along the symmetries A G, G⁻¹B).
//! So the slowest direction that changes the loss has curvature σ_r − σ_{r+1} and the fastest
//! 2σ₁: each error component shrinks by |1 − ηλ| per step, and the gap L − L*, quadratic in
//! the error, by ρ² with ρ = max(|1 − η(σ_r − σ_{r+1})|, |1 − 2ησ₁|) ([`predicted_contraction`]).
//! That is the local rate near the optimum, not a bound on the run: far from the optimum (from
//! the small start, near the saddle at 0) the gap can shrink more slowly.
//! With η = 0.9/σ₁ that is (1 − 0.9(σ_r − σ_{r+1})/σ₁)² unless σ_r is close to σ₁.
//!
//! Balance. Gradient flow conserves AᵀA − BBᵀ (its derivative is BEᵀA + AᵀEBᵀ minus the same,
//! E = AB − X); a step of size η changes it by exactly η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ). From a small
//! start it stays small, so descent ends at balanced factors (AᵀA ≈ BBᵀ), as A* and B* are.

use std::sync::Arc;

use faer::{Accum, Mat, MatRef, Par};
use ndarray::Array2;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::{Decomposition, FaerMat, to_ndarray_col_major};

/// η σ₁: below the stability limit 1 with room for a power-iteration estimate a little low.
pub const STEP_FRACTION: f64 = 0.9;

/// Initial entries are N(0, s²) with s = INIT_SCALE · √(σ₁ / max(m, n)): a small fraction of the
/// entry size of the top term √σ₁ u₁ of the optimum, so training starts near the saddle at 0.
pub const INIT_SCALE: f64 = 0.01;

/// Power iteration stops when successive estimates of σ₁² agree to this relative tolerance.
const POWER_TOLERANCE: f64 = 1e-12;
const POWER_MAX_ITERATIONS: usize = 500;

/// Plain gradient descent on ½‖X − AB‖²_F.
#[derive(Debug, Clone)]
pub struct GradientDescent {
    matrix: Arc<Array2<f64>>,
    frobenius_sq: f64,
    a: Mat<f64>,
    b: Mat<f64>,
    /// X Bᵀ and Aᵀ X at the current iterate.
    x_bt: Mat<f64>,
    at_x: Mat<f64>,
    step_size: f64,
    spectral_norm: f64,
    losses: Vec<f64>,
    /// ‖AᵀA − BBᵀ‖_F at every iterate, starting with the initial one.
    imbalances: Vec<f64>,
    diverged: bool,
    par: Par,
}

impl GradientDescent {
    /// Start at rank `rank` from a seeded small Gaussian A, B, with η = STEP_FRACTION / σ₁.
    /// For the zero matrix (σ₁ = 0) the step is 0: the start is already optimal up to its size.
    pub fn new(matrix: Arc<Array2<f64>>, rank: usize, seed: u64) -> Self {
        let (m, n) = matrix.dim();
        let mut rng = StdRng::seed_from_u64(seed);
        let spectral_norm = spectral_norm_estimate(&matrix, &mut rng);
        let step_size = if spectral_norm > 0.0 {
            STEP_FRACTION / spectral_norm
        } else {
            0.0
        };
        let init_std = INIT_SCALE * (spectral_norm / m.max(n).max(1) as f64).sqrt();
        let a = Mat::from_fn(m, rank, |_, _| {
            init_std * rng.sample::<f64, _>(StandardNormal)
        });
        let b = Mat::from_fn(rank, n, |_, _| {
            init_std * rng.sample::<f64, _>(StandardNormal)
        });
        let frobenius_sq = matrix.iter().map(|x| x * x).sum();
        let par = if m.saturating_mul(n).saturating_mul(rank) < (1 << 22) {
            Par::Seq
        } else {
            Par::rayon(0)
        };
        let mut descent = Self {
            matrix,
            frobenius_sq,
            x_bt: Mat::zeros(m, rank),
            at_x: Mat::zeros(rank, n),
            a,
            b,
            step_size,
            spectral_norm,
            losses: Vec::new(),
            imbalances: Vec::new(),
            diverged: false,
            par,
        };
        descent.refresh();
        descent
    }

    /// Replace the step size η (for experiments beyond the stable choice).
    pub fn with_step_size(mut self, step_size: f64) -> Self {
        self.step_size = step_size;
        self
    }

    /// η.
    pub fn step_size(&self) -> f64 {
        self.step_size
    }

    /// ½‖X‖²_F: the loss of A = 0 or B = 0, the scale of the rounding and of the absolute rule.
    pub fn data_loss(&self) -> f64 {
        0.5 * self.frobenius_sq
    }

    /// The power-iteration estimate of σ₁ the step size was chosen from.
    pub fn spectral_norm(&self) -> f64 {
        self.spectral_norm
    }

    /// (m, n) of the data.
    pub fn shape(&self) -> (usize, usize) {
        self.matrix.dim()
    }

    /// r.
    pub fn rank(&self) -> usize {
        self.a.ncols()
    }

    /// Iterations taken so far.
    pub fn iterations(&self) -> usize {
        self.losses.len().saturating_sub(1)
    }

    /// L at every iterate, starting with the initial one.
    pub fn losses(&self) -> &[f64] {
        &self.losses
    }

    /// L at the current iterate.
    pub fn loss(&self) -> f64 {
        self.losses.last().copied().unwrap_or(f64::NAN)
    }

    /// ‖AᵀA − BBᵀ‖_F at every iterate, starting with the initial one (conserved by gradient
    /// flow; each step of size η moves it by O(η²)).
    pub fn imbalances(&self) -> &[f64] {
        &self.imbalances
    }

    /// AᵀA − BBᵀ (r×r) at the current iterate.
    pub fn imbalance(&self) -> Array2<f64> {
        let at_a = self.a.transpose() * &self.a;
        let b_bt = &self.b * self.b.transpose();
        to_ndarray_col_major((at_a - b_bt).as_ref())
    }

    /// ‖AᵀA‖_F at the current iterate: the size the imbalance is measured against.
    pub fn gram_norm(&self) -> f64 {
        let at_a = self.a.transpose() * &self.a;
        at_a.as_ref().norm_l2()
    }

    /// Steps until the run converges ([`converged`]), diverges or has taken `budget` iterations
    /// in all; at most `chunk` steps in this call. Returns where the run stands.
    pub fn run(&mut self, optimum: f64, budget: usize, chunk: usize) -> Standing {
        for _ in 0..chunk {
            if self.standing(optimum, budget) != Standing::Running {
                break;
            }
            self.step(1);
        }
        self.standing(optimum, budget)
    }

    /// Where the run stands against its optimum and iteration budget.
    pub fn standing(&self, optimum: f64, budget: usize) -> Standing {
        if self.diverged {
            Standing::Diverged
        } else if converged(self.loss(), optimum, self.data_loss()) {
            Standing::Converged
        } else if self.iterations() >= budget {
            Standing::AtBudget
        } else {
            Standing::Running
        }
    }

    /// True once the loss stopped being finite; no further steps are taken.
    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// The current A (m×r).
    pub fn a(&self) -> Array2<f64> {
        to_ndarray_col_major(self.a.as_ref())
    }

    /// The current B (r×n).
    pub fn b(&self) -> Array2<f64> {
        to_ndarray_col_major(self.b.as_ref())
    }

    /// ½‖X − AB‖²_F summed entry by entry from the product (a check on [`Self::loss`]).
    pub fn loss_direct(&self) -> f64 {
        let product = &self.a * &self.b;
        let mut sum = 0.0;
        for ((i, j), x) in self.matrix.indexed_iter() {
            let d = x - product[(i, j)];
            sum += d * d;
        }
        0.5 * sum
    }

    /// (∇_A L, ∇_B L) at the current iterate: (A(BBᵀ) − XBᵀ, (AᵀA)B − AᵀX).
    pub fn gradients(&self) -> (Array2<f64>, Array2<f64>) {
        let (grad_a, grad_b) = self.gradient_mats();
        (
            to_ndarray_col_major(grad_a.as_ref()),
            to_ndarray_col_major(grad_b.as_ref()),
        )
    }

    fn gradient_mats(&self) -> (Mat<f64>, Mat<f64>) {
        let at_a = self.a.transpose() * &self.a;
        let b_bt = &self.b * self.b.transpose();
        let grad_a = &self.a * &b_bt - &self.x_bt;
        let grad_b = &at_a * &self.b - &self.at_x;
        (grad_a, grad_b)
    }

    /// Take `iterations` steps A ← A − η∇_A L, B ← B − η∇_B L (both gradients at the old point).
    pub fn step(&mut self, iterations: usize) {
        for _ in 0..iterations {
            if self.diverged {
                return;
            }
            let (grad_a, grad_b) = self.gradient_mats();
            self.a -= faer::Scale(self.step_size) * &grad_a;
            self.b -= faer::Scale(self.step_size) * &grad_b;
            self.refresh();
        }
    }

    /// Recompute X Bᵀ, Aᵀ X and the loss at the current iterate.
    fn refresh(&mut self) {
        let x = FaerMat::new(self.matrix.view());
        let x = x.as_ref();
        faer::linalg::matmul::matmul(
            self.x_bt.as_mut(),
            Accum::Replace,
            x,
            self.b.transpose(),
            1.0,
            self.par,
        );
        faer::linalg::matmul::matmul(
            self.at_x.as_mut(),
            Accum::Replace,
            self.a.transpose(),
            x,
            1.0,
            self.par,
        );
        let at_a = self.a.transpose() * &self.a;
        let b_bt = &self.b * self.b.transpose();
        let loss = self.loss_from_products(at_a.as_ref(), b_bt.as_ref());
        if !loss.is_finite() {
            self.diverged = true;
        }
        self.losses.push(loss);
        self.imbalances.push((at_a - b_bt).as_ref().norm_l2());
    }

    /// ½(‖X‖²_F − 2⟨A, XBᵀ⟩ + ⟨AᵀA, BBᵀ⟩) = ½‖X − AB‖²_F.
    fn loss_from_products(&self, at_a: MatRef<'_, f64>, b_bt: MatRef<'_, f64>) -> f64 {
        let cross = inner(self.a.as_ref(), self.x_bt.as_ref());
        let quadratic = inner(at_a, b_bt);
        // Rounding can take the expansion a hair below zero at an exact fit.
        (0.5 * (self.frobenius_sq - 2.0 * cross + quadratic)).max(0.0)
    }
}

/// ⟨P, Q⟩ = Σᵢⱼ PᵢⱼQᵢⱼ.
fn inner(p: MatRef<'_, f64>, q: MatRef<'_, f64>) -> f64 {
    let mut sum = 0.0;
    for j in 0..p.ncols() {
        for i in 0..p.nrows() {
            sum += p[(i, j)] * q[(i, j)];
        }
    }
    sum
}

/// σ₁ = √λ_max(XᵀX) by power iteration from a random start (an estimate from below).
pub fn spectral_norm_estimate(matrix: &Array2<f64>, rng: &mut impl Rng) -> f64 {
    let n = matrix.ncols();
    if matrix.is_empty() {
        return 0.0;
    }
    let mut v: ndarray::Array1<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
    let mut estimate = 0.0;
    for _ in 0..POWER_MAX_ITERATIONS {
        let norm = v.dot(&v).sqrt();
        if norm == 0.0 || !norm.is_finite() {
            break;
        }
        v /= norm;
        let xv = matrix.dot(&v);
        let next = xv.dot(&xv);
        v = matrix.t().dot(&xv);
        let converged = (next - estimate).abs() <= POWER_TOLERANCE * next;
        estimate = next;
        if converged {
            break;
        }
    }
    estimate.sqrt()
}

/// ½ Σ_{i>r} σᵢ²: the smallest value L can reach at rank r (Eckart–Young).
pub fn optimal_loss(decomposition: &Decomposition, rank: usize) -> f64 {
    0.5 * decomposition.tail_energy(rank).value()
}

/// The loss is computed to about 10⁻¹⁶ of ½‖X‖²_F (the expansion in [`GradientDescent`] and the
/// optimum from the dropped σᵢ² each round at that level): a gap |L − L*| at most this fraction
/// of ½‖X‖²_F is rounding, shown as such and never as a negative gap.
pub const GAP_ROUNDING: f64 = 1e-13;

/// The run has converged once L − L* ≤ this · L* (L* the Eckart–Young optimum), when L* is
/// not small ([`converged`]).
pub const CONVERGED_RELATIVE_GAP: f64 = 1e-5;

/// Where L* is below [`CONVERGED_RELATIVE_GAP`] of ½‖X‖²_F (in particular L* = 0, at full rank
/// or when X has rank ≤ r), the rule is absolute: L − L* ≤ this · ½‖X‖²_F, a residual
/// ‖X − AB‖_F of at most 10⁻⁵ ‖X‖_F.
pub const CONVERGED_ABSOLUTE_GAP: f64 = 1e-10;

/// Which tolerance the stopping rule uses for an optimum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tolerance {
    /// L − L* ≤ [`CONVERGED_RELATIVE_GAP`] · L*.
    Relative,
    /// L − L* ≤ [`CONVERGED_ABSOLUTE_GAP`] · ½‖X‖²_F (the optimum is 0 or nearly).
    Absolute,
}

/// The tolerance the rule uses at `optimum` for data with ½‖X‖²_F = `data_loss`: relative
/// where 10⁻⁵ L* ≥ 10⁻¹⁰ ½‖X‖²_F, absolute below (the two agree at the boundary).
pub fn tolerance(optimum: f64, data_loss: f64) -> Tolerance {
    if CONVERGED_RELATIVE_GAP * optimum >= CONVERGED_ABSOLUTE_GAP * data_loss && optimum > 0.0 {
        Tolerance::Relative
    } else {
        Tolerance::Absolute
    }
}

/// The stopping rule: L − L* ≤ max(10⁻⁵ L*, 10⁻¹⁰ · ½‖X‖²_F). Where L* = 0 the absolute part
/// is what can hold.
pub fn converged(loss: f64, optimum: f64, data_loss: f64) -> bool {
    loss.is_finite()
        && loss - optimum
            <= (CONVERGED_RELATIVE_GAP * optimum).max(CONVERGED_ABSOLUTE_GAP * data_loss)
}

/// How far the loss is above the optimum, as shown: never infinite, never negative.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gap {
    /// |L − L*| ≤ [`GAP_ROUNDING`] · ½‖X‖²_F: zero up to rounding.
    Rounding,
    /// 100 (L − L*)/L*, where the rule is relative.
    Percent(f64),
    /// L − L*, where the optimum is 0 or nearly (the rule is absolute).
    Absolute(f64),
}

/// The gap L − L* as shown, for data with ½‖X‖²_F = `data_loss`.
pub fn gap(loss: f64, optimum: f64, data_loss: f64) -> Gap {
    let difference = loss - optimum;
    if difference.abs() <= GAP_ROUNDING * data_loss {
        return Gap::Rounding;
    }
    match tolerance(optimum, data_loss) {
        Tolerance::Relative => Gap::Percent(100.0 * difference / optimum),
        Tolerance::Absolute => Gap::Absolute(difference),
    }
}

/// Where a descent run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Neither converged nor out of budget.
    Running,
    /// The gap to the optimum is within the rule's tolerance ([`converged`]).
    Converged,
    /// The iteration budget is spent before convergence: the run can continue.
    AtBudget,
    /// The loss stopped being finite.
    Diverged,
}

/// What sets the theory's rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimit {
    /// The smallest non-zero curvature σ_r − σ_{r+1}: ρ = 1 − η(σ_r − σ_{r+1}).
    SpectralGap,
    /// The largest curvature 2σ₁: ρ = |1 − 2ησ₁| (a step near the stability limit).
    LargestCurvature,
}

/// The local contraction of the gap L − L* per iteration near the optimum (not a bound on the
/// run: the gap approaches this factor once the iterate is close to the optimum).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PredictedRate {
    /// ρ², the factor the gap is multiplied by each iteration.
    pub factor: f64,
    /// σ_r − σ_{r+1} (σ_{r+1} = 0 beyond the last singular value).
    pub spectral_gap: f64,
    pub limit: RateLimit,
}

/// ρ² with ρ = max(|1 − η(σ_r − σ_{r+1})|, |1 − 2ησ₁|) for descent at rank `rank` with step
/// `step_size` on a matrix with these singular values (descending; see the module
/// documentation). `None` at rank 0 or beyond the number of singular values.
pub fn predicted_contraction(
    singular_values: &[f64],
    rank: usize,
    step_size: f64,
) -> Option<PredictedRate> {
    if rank == 0 || rank > singular_values.len() {
        return None;
    }
    let sigma_1 = singular_values[0];
    let spectral_gap =
        singular_values[rank - 1] - singular_values.get(rank).copied().unwrap_or(0.0);
    let slow = (1.0 - step_size * spectral_gap).abs();
    let fast = (1.0 - 2.0 * step_size * sigma_1).abs();
    let (rho, limit) = if slow >= fast {
        (slow, RateLimit::SpectralGap)
    } else {
        (fast, RateLimit::LargestCurvature)
    };
    Some(PredictedRate {
        factor: rho * rho,
        spectral_gap,
        limit,
    })
}

/// Iterations over which the observed rate is measured.
pub const RATE_WINDOW: usize = 20;

/// The observed contraction of the gap per iteration over the last `window` iterations:
/// ((L_t − L*) / (L_{t−w} − L*))^{1/w}. `None` if there are not enough iterations or a gap is
/// not positive and finite (at the optimum up to rounding there is no rate to measure).
pub fn observed_contraction(losses: &[f64], optimum: f64, window: usize) -> Option<f64> {
    if window == 0 || losses.len() <= window {
        return None;
    }
    let end = losses[losses.len() - 1] - optimum;
    let start = losses[losses.len() - 1 - window] - optimum;
    let usable = |g: f64| g.is_finite() && g > 0.0;
    if !usable(end) || !usable(start) {
        return None;
    }
    Some((end / start).powf(1.0 / window as f64))
}
