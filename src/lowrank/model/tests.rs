use std::sync::{Arc, OnceLock};

use ndarray::{Array2, ArrayView2, array, s};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::descent::{
    CONVERGED_RELATIVE_GAP, Gap, GradientDescent, RATE_WINDOW, RateLimit, Standing, Tolerance,
    converged, gap, observed_contraction, optimal_loss, predicted_contraction,
    spectral_norm_estimate, tolerance,
};
use super::*;
use crate::lowrank::input::{Builtin, Source, load, synthetic_parts};

fn frobenius(a: ArrayView2<f64>) -> f64 {
    a.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// The camera decomposition is shared by the tests that need it (one SVD per test binary).
fn camera() -> Arc<Decomposition> {
    static CAMERA: OnceLock<Arc<Decomposition>> = OnceLock::new();
    Arc::clone(CAMERA.get_or_init(|| {
        let loaded = load(&Source::Builtin(Builtin::Camera), 1024).unwrap();
        Arc::new(Decomposition::compute(loaded.matrix).unwrap())
    }))
}

/// U, V orthonormal, U Σ Vᵀ = X to `tolerance` relative, σ descending and non-negative.
fn check_svd(x: ArrayView2<f64>, svd: &Svd, tolerance: f64) {
    let (m, n) = x.dim();
    let k = m.min(n);
    assert_eq!(svd.u.dim(), (m, k));
    assert_eq!(svd.v.dim(), (n, k));
    assert_eq!(svd.singular_values.len(), k);
    let identity = Array2::<f64>::eye(k);
    let utu = svd.u.t().dot(&svd.u);
    let vtv = svd.v.t().dot(&svd.v);
    assert!(frobenius((&utu - &identity).view()) < tolerance * (k as f64).sqrt());
    assert!(frobenius((&vtv - &identity).view()) < tolerance * (k as f64).sqrt());
    for pair in svd.singular_values.windows(2) {
        assert!(pair[0] >= pair[1]);
    }
    assert!(svd.singular_values.iter().all(|&s| s >= 0.0));
    let scaled_u = Array2::from_shape_fn((m, k), |(i, j)| svd.u[(i, j)] * svd.singular_values[j]);
    let rebuilt = scaled_u.dot(&svd.v.t());
    let relative = frobenius((&rebuilt - &x).view()) / frobenius(x).max(f64::MIN_POSITIVE);
    assert!(
        relative < tolerance,
        "relative reconstruction error {relative}"
    );
}

/// X_r = U_r Σ_r V_rᵀ from scratch with ndarray (independent of the faer path).
fn truncation(svd: &Svd, r: usize) -> Array2<f64> {
    let m = svd.u.nrows();
    let scaled_u = Array2::from_shape_fn((m, r), |(i, j)| svd.u[(i, j)] * svd.singular_values[j]);
    scaled_u.dot(&svd.v.slice(s![.., ..r]).t())
}

#[test]
fn svd_of_random_matrices_of_every_shape() {
    for (seed, (m, n)) in [(1, 5), (7, 1), (5, 3), (3, 5), (20, 20), (40, 17), (17, 40)]
        .into_iter()
        .enumerate()
    {
        let x = gaussian_matrix(m, n, seed as u64);
        let svd = thin_svd(x.view()).unwrap();
        check_svd(x.view(), &svd, 1e-12);
    }
}

#[test]
fn svd_of_a_strided_view() {
    let x = gaussian_matrix(30, 24, 3);
    let view = x.slice(s![..;2, 1..;3]);
    let svd = thin_svd(view).unwrap();
    check_svd(view, &svd, 1e-12);
}

#[test]
fn svd_is_the_same_sequential_and_parallel() {
    let x = gaussian_matrix(200, 150, 11);
    let seq = thin_svd_with(x.view(), Par::Seq).unwrap();
    let par = thin_svd_with(x.view(), Par::rayon(2)).unwrap();
    for (a, b) in seq.singular_values.iter().zip(&par.singular_values) {
        assert!((a - b).abs() < 1e-10 * seq.singular_values[0]);
    }
}

#[test]
fn svd_of_a_known_matrix() {
    // [[3, 0], [4, 5]] has singular values √45 and √5 (σ₁σ₂ = |det| = 15, σ₁² + σ₂² = 50).
    let x = array![[3.0, 0.0], [4.0, 5.0]];
    let svd = thin_svd(x.view()).unwrap();
    assert!((svd.singular_values[0] - 45f64.sqrt()).abs() < 1e-14);
    assert!((svd.singular_values[1] - 5f64.sqrt()).abs() < 1e-14);
}

#[test]
fn svd_rejects_non_finite_and_accepts_empty() {
    let x = array![[1.0, 2.0], [f64::NAN, 0.0]];
    assert_eq!(
        thin_svd(x.view()),
        Err(SvdError::NonFinite { row: 1, col: 0 })
    );
    assert_eq!(
        SvdError::NonFinite { row: 1, col: 0 }.to_string(),
        "cannot decompose: entry at row 2, column 1 is not a finite number"
    );
    let empty = Array2::<f64>::zeros((0, 4));
    let svd = thin_svd(empty.view()).unwrap();
    assert_eq!(svd.terms(), 0);
    assert_eq!(svd.v.dim(), (4, 0));
}

#[test]
fn decomposition_refuses_mismatched_parts() {
    let x = gaussian_matrix(6, 4, 5);
    let svd = thin_svd(x.view()).unwrap();
    let other = Arc::new(gaussian_matrix(4, 6, 5));
    assert!(Decomposition::from_parts(other, svd.clone()).is_none());
    assert!(Decomposition::from_parts(Arc::new(x), svd).is_some());
}

#[test]
fn camera_svd_is_a_decomposition() {
    let camera = camera();
    check_svd(camera.matrix.view(), &camera.svd, 1e-10);
}

#[test]
fn camera_matches_lapack_reference_figures() {
    let camera = camera();
    assert_eq!(camera.shape(), (512, 512));
    let reference = [
        278.29817584,
        66.88074931,
        52.21529648,
        34.65652738,
        23.03774272,
    ];
    for (sigma, expected) in camera.svd.singular_values.iter().zip(reference) {
        // The reference is given to 8 decimals: match to its last digit.
        assert!((sigma - expected).abs() < 1e-8, "{sigma} vs {expected}");
        assert!((sigma - expected).abs() / expected < 1e-8);
    }
    let tail = camera.tail_energy(10).value();
    assert!(
        (tail - 1622.8977274767).abs() / 1622.8977274767 < 1e-8,
        "{tail}"
    );
}

#[test]
fn eckart_young_at_every_rank_of_a_random_matrix() {
    let x = gaussian_matrix(12, 9, 21);
    let decomposition = Arc::new(Decomposition::compute(x.clone()).unwrap());
    let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
    for r in 0..=9 {
        reconstruction.set_rank(r);
        let readouts = Readouts::compute(&reconstruction);
        // ‖X − X_r‖²_F computed from the matrices equals Σ_{i>r} σᵢ².
        assert!(readouts.identity_gap.abs() < 1e-12 * decomposition.frobenius_sq);
        // The factors A*, B* give the same product as the reconstruction.
        let factors = Factors::optimal(&decomposition.svd, r);
        let product = factors.product().unwrap();
        assert!(frobenius((&product - &reconstruction.approximation()).view()) < 1e-12);
        // No other rank-r product does better: random factors, and small perturbations of
        // the optimum, all have a larger error.
        for trial in 0..20 {
            let scale = if trial < 10 { 1.0 } else { 1e-3 };
            let a = &factors.a + &(gaussian_matrix(12, r, trial * 97 + r as u64) * scale);
            let b = &factors.b + &(gaussian_matrix(r, 9, trial * 89 + r as u64) * scale);
            let error = frobenius((&x - &a.dot(&b)).view()).powi(2);
            assert!(error >= readouts.error_sq_tail.value() - 1e-12);
        }
    }
}

#[test]
fn eckart_young_at_a_few_ranks_of_the_camera() {
    let camera = camera();
    let mut reconstruction = Reconstruction::new(Arc::clone(&camera));
    for r in [1, 10, 50, 200, 512] {
        reconstruction.set_rank(r);
        let readouts = Readouts::compute(&reconstruction);
        assert!(
            readouts.identity_gap.abs() < 1e-9 * camera.frobenius_sq,
            "rank {r}: {readouts:?}"
        );
    }
}

#[test]
fn stepping_equals_a_fresh_truncation_after_a_random_walk() {
    let x = gaussian_matrix(40, 30, 8);
    let decomposition = Arc::new(Decomposition::compute(x).unwrap());
    let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
    let mut rng = StdRng::seed_from_u64(99);
    let mut rank = 0usize;
    for _ in 0..200 {
        // Mostly single steps, sometimes jumps (which take the rebuild paths).
        let jump: i64 = match rng.random_range(0..10) {
            0 => rng.random_range(-30..=30),
            1 => 100,
            _ => rng.random_range(-1..=1),
        };
        let target = (rank as i64 + jump).clamp(0, 40) as usize;
        rank = reconstruction.set_rank(target);
        assert_eq!(rank, target.min(30));
        let fresh = truncation(&decomposition.svd, rank);
        let drift = frobenius((&fresh - &reconstruction.approximation()).view());
        assert!(drift < 1e-11, "rank {rank}: drift {drift}");
    }
}

#[test]
fn rebuild_from_either_end_matches() {
    let x = gaussian_matrix(50, 50, 12);
    let decomposition = Arc::new(Decomposition::compute(x.clone()).unwrap());
    for target in [3, 47, 50, 0] {
        let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
        reconstruction.set_rank(50);
        reconstruction.set_rank(target);
        let fresh = truncation(&decomposition.svd, target);
        assert!(frobenius((&fresh - &reconstruction.approximation()).view()) < 1e-11);
        let residual = reconstruction.residual();
        assert!(frobenius((&(&residual + &fresh) - &x).view()) < 1e-11);
    }
}

#[test]
fn readouts_of_a_diagonal_matrix() {
    // σ = (4, 3, 2, 1): energies 16, 9, 4, 1 of 30.
    let mut x = Array2::<f64>::zeros((5, 4));
    for (i, s) in [4.0, 3.0, 2.0, 1.0].into_iter().enumerate() {
        x[(i, i)] = s;
    }
    let decomposition = Arc::new(Decomposition::compute(x).unwrap());
    let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
    reconstruction.set_rank(2);
    let readouts = Readouts::compute(&reconstruction);
    assert!((readouts.error_sq.value() - 5.0).abs() < 1e-13);
    assert!((readouts.error_sq_tail.value() - 5.0).abs() < 1e-13);
    assert!((readouts.relative_error - (5.0f64 / 30.0).sqrt()).abs() < 1e-14);
    assert!((readouts.energy_captured - 25.0 / 30.0).abs() < 1e-14);
    assert_eq!(
        readouts.storage,
        Storage {
            factored: 18,
            dense: 20
        }
    );
    assert!((readouts.storage.ratio() - 0.9).abs() < 1e-15);
    // 90 % of 30 = 27 needs 16 + 9 + 4 = 29 (rank 3); 99 % and 99.9 % need all four.
    assert_eq!(readouts.ranks_for_energy, [(0.9, 3), (0.99, 4), (0.999, 4)]);
}

#[test]
fn readouts_of_the_zero_matrix_are_finite() {
    let decomposition = Arc::new(Decomposition::compute(Array2::zeros((4, 3))).unwrap());
    let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
    reconstruction.set_rank(2);
    let readouts = Readouts::compute(&reconstruction);
    assert_eq!(readouts.error_sq.value(), 0.0);
    assert_eq!(readouts.relative_error, 0.0);
    assert_eq!(readouts.energy_captured, 1.0);
    assert_eq!(readouts.ranks_for_energy, [(0.9, 0), (0.99, 0), (0.999, 0)]);
}

#[test]
fn storage_saturates_instead_of_overflowing() {
    let storage = Storage::new(usize::MAX, usize::MAX, usize::MAX);
    assert_eq!(storage.factored, u64::MAX);
    assert_eq!(storage.dense, u64::MAX);
    assert_eq!(Storage::new(3, 0, 0).ratio(), 0.0);
}

#[test]
fn orthonormal_columns_are_orthonormal() {
    let mut rng = StdRng::seed_from_u64(1);
    let q = orthonormal_columns(30, 6, &mut rng);
    let qtq = q.t().dot(&q);
    assert!(frobenius((&qtq - &Array2::<f64>::eye(6)).view()) < 1e-13);
}

#[test]
fn synthetic_matrix_has_a_rank_five_elbow() {
    let parts = synthetic_parts();
    let x = parts.matrix();
    let svd = thin_svd(x.view()).unwrap();
    let noise_norm = thin_svd(parts.noise.view()).unwrap().singular_values[0];
    let sigma = &svd.singular_values;
    // Weyl: |σᵢ(L + N) − σᵢ(L)| ≤ ‖N‖₂, with σ(L) = (50, 40, 30, 20, 10, 0, …).
    let expected = crate::lowrank::input::SYNTHETIC_SINGULAR_VALUES;
    for (i, &s) in expected.iter().enumerate() {
        assert!((sigma[i] - s).abs() <= noise_norm + 1e-9);
    }
    assert!(sigma[5] <= noise_norm + 1e-9);
    assert!(
        sigma[4] / sigma[5] > 10.0,
        "σ5/σ6 = {}",
        sigma[4] / sigma[5]
    );
}

#[test]
fn power_iteration_finds_the_largest_singular_value() {
    let camera = camera();
    let mut rng = StdRng::seed_from_u64(3);
    let estimate = spectral_norm_estimate(&camera.matrix, &mut rng);
    let sigma_1 = camera.svd.singular_values[0];
    assert!((estimate - sigma_1).abs() / sigma_1 < 1e-9);
    assert_eq!(
        spectral_norm_estimate(&Array2::zeros((3, 3)), &mut rng),
        0.0
    );
}

#[test]
fn descent_gradients_match_finite_differences() {
    let x = Arc::new(gaussian_matrix(7, 5, 2));
    let descent = GradientDescent::new(Arc::clone(&x), 3, 1);
    let (grad_a, grad_b) = descent.gradients();
    let (a, b) = (descent.a(), descent.b());
    let loss = |a: &Array2<f64>, b: &Array2<f64>| 0.5 * frobenius((&*x - &a.dot(b)).view()).powi(2);
    let h = 1e-6;
    for ((i, j), g) in grad_a.indexed_iter() {
        let (mut plus, mut minus) = (a.clone(), a.clone());
        plus[(i, j)] += h;
        minus[(i, j)] -= h;
        let numeric = (loss(&plus, &b) - loss(&minus, &b)) / (2.0 * h);
        assert!((numeric - g).abs() < 1e-6, "A[{i},{j}]: {numeric} vs {g}");
    }
    for ((i, j), g) in grad_b.indexed_iter() {
        let (mut plus, mut minus) = (b.clone(), b.clone());
        plus[(i, j)] += h;
        minus[(i, j)] -= h;
        let numeric = (loss(&a, &plus) - loss(&a, &minus)) / (2.0 * h);
        assert!((numeric - g).abs() < 1e-6, "B[{i},{j}]: {numeric} vs {g}");
    }
}

#[test]
fn descent_on_a_small_matrix_decreases_and_reaches_the_optimum() {
    let x = gaussian_matrix(20, 15, 6);
    let decomposition = Decomposition::compute(x.clone()).unwrap();
    let mut descent = GradientDescent::new(Arc::new(x), 4, 9);
    descent.step(3000);
    let losses = descent.losses();
    assert_eq!(losses.len(), 3001);
    assert_eq!(descent.iterations(), 3000);
    for pair in losses.windows(2) {
        assert!(pair[1] <= pair[0] * (1.0 + 1e-12));
    }
    let optimum = optimal_loss(&decomposition, 4);
    assert!(gap_percent(descent.loss(), optimum) < 0.01);
    assert!((descent.loss() - descent.loss_direct()).abs() < 1e-9 * descent.loss());
}

#[test]
fn descent_with_too_large_a_step_diverges_without_panicking() {
    let x = Arc::new(gaussian_matrix(10, 8, 1));
    let descent = GradientDescent::new(x, 2, 1);
    let step = 50.0 / descent.spectral_norm();
    let mut descent = descent.with_step_size(step);
    descent.step(2000);
    assert!(descent.diverged());
    assert!(descent.iterations() < 2000);
    let mut zero = GradientDescent::new(Arc::new(Array2::zeros((3, 3))), 2, 1);
    zero.step(5);
    assert_eq!(zero.step_size(), 0.0);
    assert_eq!(zero.loss(), 0.0);
}

/// 100 (L − L*)/L* (a test helper; the tab shows [`gap`]).
fn gap_percent(loss: f64, optimum: f64) -> f64 {
    100.0 * (loss - optimum) / optimum
}

/// The gap is a percentage where the rule is relative, absolute where the optimum is 0, and
/// rounding (never negative, never infinite) within 1e-13 of ½‖X‖²_F.
#[test]
fn the_gap_is_never_infinite_or_negative() {
    assert_eq!(gap(101.0, 100.0, 1000.0), Gap::Percent(1.0));
    assert_eq!(gap(0.0, 0.0, 1.0), Gap::Rounding);
    assert_eq!(gap(1e-3, 0.0, 1.0), Gap::Absolute(1e-3));
    assert_eq!(gap(1.0 - 1e-15, 1.0, 1.0), Gap::Rounding);
    // The absolute rule can hold where the optimum is 0; the relative one could not.
    assert!(converged(1e-11, 0.0, 1.0));
    assert!(!converged(1e-9, 0.0, 1.0));
    assert_eq!(tolerance(0.0, 1.0), Tolerance::Absolute);
    assert_eq!(tolerance(1e-5, 1.0), Tolerance::Relative);
    assert_eq!(tolerance(0.99e-5, 1.0), Tolerance::Absolute);
}

/// Gradient descent at r = 10 on the camera gets within 1 % of ½ Σ_{i>10} σᵢ².
#[test]
fn descent_on_the_camera_comes_within_one_percent_of_eckart_young() {
    let camera = camera();
    let mut descent = GradientDescent::new(Arc::clone(&camera.matrix), 10, 2024);
    let optimum = optimal_loss(&camera, 10);
    let started = std::time::Instant::now();
    let mut reached = None;
    for chunk in 1..=200 {
        descent.step(10);
        if gap_percent(descent.loss(), optimum) < 1.0 {
            reached = Some(chunk * 10);
            break;
        }
    }
    eprintln!(
        "camera r=10: gap {:.3} % after {} iterations in {:.2?}",
        gap_percent(descent.loss(), optimum),
        descent.iterations(),
        started.elapsed()
    );
    assert!(reached.is_some());
    assert!((descent.loss() - descent.loss_direct()).abs() < 1e-8 * descent.loss());
}

/// One step of size η changes AᵀA − BBᵀ by exactly η²(∇_Aᵀ∇_A − ∇_B∇_Bᵀ): halving η quarters
/// the drift, and gradient flow (η → 0) conserves the imbalance.
#[test]
fn descent_drift_of_the_imbalance_is_eta_squared() {
    let x = Arc::new(gaussian_matrix(12, 9, 21));
    let mut start = GradientDescent::new(Arc::clone(&x), 3, 4);
    start.step(5);
    let before = start.imbalance();
    let (grad_a, grad_b) = start.gradients();
    let predicted = grad_a.t().dot(&grad_a) - grad_b.dot(&grad_b.t());
    let eta = start.step_size();
    let mut drifts = Vec::new();
    for step in [eta, eta / 2.0, eta / 4.0] {
        let mut run = start.clone().with_step_size(step);
        run.step(1);
        let change = run.imbalance() - &before;
        let expected = &predicted * (step * step);
        let scale = frobenius(expected.view());
        assert!(frobenius((&change - &expected).view()) < 1e-9 * scale + 1e-14);
        drifts.push(frobenius(change.view()));
    }
    assert!(drifts[0] > 0.0);
    assert!((drifts[0] / drifts[1] - 4.0).abs() < 1e-6, "{drifts:?}");
    assert!((drifts[1] / drifts[2] - 4.0).abs() < 1e-6, "{drifts:?}");
    // The history records ‖AᵀA − BBᵀ‖_F at every iterate.
    assert_eq!(start.imbalances().len(), start.iterations() + 1);
    assert!((start.imbalances()[5] - frobenius(before.view())).abs() < 1e-12);
}

/// On the synthetic matrix the observed contraction of the gap per iteration meets the
/// theory's ρ², ρ = max(|1 − η(σ_r − σ_{r+1})|, |1 − 2ησ₁|), near the optimum.
#[test]
fn descent_rate_meets_the_theory_on_the_synthetic_matrix() {
    let loaded = load(&Source::Builtin(Builtin::Synthetic), 1024).unwrap();
    let decomposition = Decomposition::compute(loaded.matrix).unwrap();
    for rank in [3, 5] {
        let optimum = optimal_loss(&decomposition, rank);
        let mut descent = GradientDescent::new(Arc::clone(&decomposition.matrix), rank, 1);
        while descent.iterations() < 3000 && descent.loss() - optimum > 1e-10 * optimum {
            descent.step(1);
        }
        let observed = observed_contraction(descent.losses(), optimum, RATE_WINDOW).unwrap();
        let predicted = predicted_contraction(
            &decomposition.svd.singular_values,
            rank,
            descent.step_size(),
        )
        .unwrap();
        assert_eq!(predicted.limit, RateLimit::SpectralGap);
        // Faster directions fade at 0.8² = 0.64 per step, close to ρ², so within 5 %.
        assert!(
            (observed - predicted.factor).abs() < 0.05 * predicted.factor,
            "rank {rank}: observed {observed}, predicted {}",
            predicted.factor
        );
        // Near the optimum the measured contraction comes down to the local rate ρ².
        assert!(observed <= predicted.factor * 1.001);
    }
}

#[test]
fn descent_stops_converged_or_at_its_budget_and_continues() {
    let loaded = load(&Source::Builtin(Builtin::Synthetic), 1024).unwrap();
    let decomposition = Decomposition::compute(loaded.matrix).unwrap();
    let optimum = optimal_loss(&decomposition, 5);
    let mut descent = GradientDescent::new(Arc::clone(&decomposition.matrix), 5, 1);
    assert_eq!(descent.run(optimum, 10, 1000), Standing::AtBudget);
    assert_eq!(descent.iterations(), 10);
    // A larger budget continues from iteration 10, not from the start.
    let loss_at_10 = descent.loss();
    assert_eq!(descent.run(optimum, 20, 5), Standing::Running);
    assert_eq!(descent.iterations(), 15);
    assert!(descent.losses()[10] == loss_at_10);
    assert_eq!(descent.run(optimum, 1000, 1000), Standing::Converged);
    let gap = descent.loss() - optimum;
    assert!(gap <= CONVERGED_RELATIVE_GAP * optimum);
    // One iteration earlier the rule did not hold yet: it stopped at the first iterate.
    let before = descent.losses()[descent.iterations() - 1] - optimum;
    assert!(before > CONVERGED_RELATIVE_GAP * optimum);
    // With L* = 0 the rule is absolute: 1e-10 of ½‖X‖²_F.
    assert!(converged(1e-15, 0.0, 1.0));
    assert!(!converged(1e-3, 0.0, 1.0));
    assert!(!converged(f64::NAN, 1.0, 1.0));
    assert_eq!(predicted_contraction(&[3.0, 1.0], 0, 0.1), None);
    // σ = (3, 1), r = 1, η = 0.3: max(|1 − 0.3·2|, |1 − 0.6·3|) = 0.8, squared 0.64.
    let rate = predicted_contraction(&[3.0, 1.0], 1, 0.3).unwrap();
    assert!((rate.factor - 0.64).abs() < 1e-12);
    assert_eq!(rate.limit, RateLimit::LargestCurvature);
    assert_eq!(observed_contraction(&[4.0, 2.0, 1.0], 0.0, 2), Some(0.5));
    assert_eq!(observed_contraction(&[1.0, 1.0], 1.0, 1), None);
}
