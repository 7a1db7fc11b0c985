#![allow(clippy::needless_range_loop)] // σᵢ of two spectra compared by index

use std::sync::{Arc, Mutex};

use ndarray::{Array2, ArrayView2, s};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use super::*;
use crate::jobs::{Cancel, Waker, Worker};
use crate::lowrank::input::{Builtin, Source, load};
use crate::lowrank::model::{orthonormal_columns, thin_svd_with};

fn quiet() -> impl FnMut(Progress) {
    |_| {}
}

fn run(x: ArrayView2<f64>, options: &Options) -> Leading {
    leading(x, options, &Cancel::never(), &mut quiet()).unwrap()
}

/// X = U diag(σ) Vᵀ with Haar-random orthonormal U (m×p), V (n×p).
fn planted(m: usize, n: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let p = sigma.len();
    let u = orthonormal_columns(m, p, &mut rng);
    let v = orthonormal_columns(n, p, &mut rng);
    let scaled = Array2::from_shape_fn((m, p), |(i, j)| u[(i, j)] * sigma[j]);
    scaled.dot(&v.t())
}

fn exact_values(x: ArrayView2<f64>) -> Vec<f64> {
    thin_svd_with(x, Par::Seq).unwrap().singular_values
}

/// ‖X − U_r U_rᵀ X‖²_F computed directly (rounding relative to the tail, not to ‖X‖²_F).
fn direct_error(x: ArrayView2<f64>, leading: &Leading, r: usize) -> f64 {
    let ur = leading.u.slice(s![.., ..r]);
    let residual = &x - &ur.dot(&ur.t().dot(&x));
    frobenius_sq(residual.view()).value()
}

/// A `Cancel` that is already stale: taken from a worker's first request, then a second
/// request was submitted.
fn stale_cancel() -> Cancel {
    let slot: Arc<Mutex<Option<Cancel>>> = Arc::new(Mutex::new(None));
    let keep = Arc::clone(&slot);
    let mut worker = Worker::cancellable(&Waker::headless(), move |_: (), cancel: &Cancel| {
        let mut kept = keep.lock().unwrap();
        if kept.is_none() {
            *kept = Some(cancel.clone());
        }
    });
    worker.submit(());
    worker.submit(());
    let cancel = slot.lock().unwrap().clone().unwrap();
    assert!(cancel.is_cancelled());
    cancel
}

fn assert_orthonormal(a: ArrayView2<f64>, tolerance: f64) {
    let gram = a.t().dot(&a);
    let k = gram.nrows();
    for i in 0..k {
        for j in 0..k {
            let expected = if i == j { 1.0 } else { 0.0 };
            assert!(
                (gram[(i, j)] - expected).abs() < tolerance,
                "QᵀQ[{i},{j}] = {}",
                gram[(i, j)]
            );
        }
    }
}

#[test]
fn camera_leading_triplets_match_the_full_svd() {
    let x = load(&Source::Builtin(Builtin::Camera), 1024)
        .unwrap()
        .matrix;
    let exact = exact_values(x.view());
    let options = Options::for_rank(10);
    let result = run(x.view(), &options);
    assert_eq!(result.terms(), 20);
    assert_orthonormal(result.u.view(), 1e-12);
    assert_orthonormal(result.v.view(), 1e-12);
    let s1 = exact[0];
    let mut worst = 0.0f64;
    for i in 0..10 {
        let (approx, truth) = (result.singular_values[i], exact[i]);
        // Ritz values are lower bounds, and within the a-posteriori residual bound.
        assert!(approx <= truth * (1.0 + 1e-13), "σ{i}: {approx} > {truth}");
        assert!(
            truth - approx <= result.residuals[i] / 2f64.sqrt() + 1e-12 * s1,
            "σ{i}: {approx} vs {truth}, residual {}",
            result.residuals[i]
        );
        worst = worst.max((truth - approx) / truth);
    }
    // The camera's spectrum decays slowly (σ21/σ10 ≈ 0.6): after the power iterations done the
    // leading ten are still within 1e-6 relative.
    assert!(worst < 1e-6, "worst relative error {worst}");
    // σ₁ is well separated: within 1e-10.
    assert!((exact[0] - result.singular_values[0]) / exact[0] < 1e-10);

    // The error at rank 10: subtraction against the direct computation, within the bound, and
    // close to the Eckart–Young optimum.
    let r = 10;
    let by_subtraction = result.error_by_subtraction(r).unwrap().value();
    let direct = direct_error(x.view(), &result, r);
    let bound = result.subtraction_bound(r).value();
    assert!(
        (by_subtraction - direct).abs() <= bound,
        "{by_subtraction} vs {direct}, bound {bound}"
    );
    assert!(
        bound <= 1e-12 * result.frobenius_sq.value(),
        "bound {bound}"
    );
    let optimum: f64 = exact[r..].iter().map(|s| s * s).sum();
    assert!(by_subtraction >= optimum * (1.0 - 1e-12));
    assert!((by_subtraction - optimum) / optimum < 1e-6);
}

#[test]
fn planted_spectrum_with_a_gap_is_exact_after_three_power_iterations() {
    // σ_{k+1}/σ_r ≤ 0.1 (k = 15, r = 5): the a-priori bound ½C²·0.1^{4q+2} is below 1e-10
    // for q = 3.
    let mut sigma = vec![10.0, 8.0, 6.0, 5.0, 4.0];
    sigma.extend((0..60).map(|j| 0.4 * 0.95f64.powi(j)));
    let x = planted(300, 200, &sigma, 1);
    let exact = exact_values(x.view());
    let options = Options {
        min_power_iterations: 3,
        max_power_iterations: 3,
        tolerance: 0.0,
        ..Options::for_rank(5)
    };
    let result = run(x.view(), &options);
    assert_eq!(result.power_iterations, 3);
    for i in 0..5 {
        let relative = (exact[i] - result.singular_values[i]).abs() / exact[i];
        assert!(relative < 1e-10, "σ{i}: relative error {relative}");
    }
}

#[test]
fn stops_early_when_the_leading_residuals_are_resolved() {
    let sigma: Vec<f64> = (0..40).map(|j| 2f64.powi(-j)).collect();
    let x = planted(120, 90, &sigma, 2);
    let options = Options::for_rank(4);
    let result = run(x.view(), &options);
    assert_eq!(result.power_iterations, options.min_power_iterations);
    assert!(result.converged(options.tolerance));
    let exact = exact_values(x.view());
    for i in 0..4 {
        assert!((exact[i] - result.singular_values[i]).abs() < 1e-12 * exact[0]);
    }
}

#[test]
fn subtraction_is_within_its_bound_when_the_tail_is_tiny() {
    // Tail energy 1e-14 of the total: the subtraction cancels almost completely.
    let mut sigma = vec![1.0, 0.9, 0.8];
    sigma.extend((0..20).map(|j| 1e-7 * 0.9f64.powi(j)));
    let x = planted(400, 300, &sigma, 3);
    let result = run(x.view(), &Options::for_rank(3));
    let direct = direct_error(x.view(), &result, 3);
    let by_subtraction = result.error_by_subtraction(3).unwrap().value();
    let bound = result.subtraction_bound(3).value();
    let typical = result.subtraction_bound_typical(3).value();
    assert!(typical < bound);
    assert!(
        (by_subtraction - direct).abs() <= typical,
        "{by_subtraction} vs {direct}, typical bound {typical}"
    );
    assert!(bound < 1e-12 * result.frobenius_sq.value());
}

#[test]
fn the_bound_is_a_stated_number() {
    // For a 2048² input at k = 20 the worst-case bound is ≈ 2e-12·‖X‖²_F and the typical one
    // ≈ 1e-13·‖X‖²_F (orthogonality loss 1e-15).
    let leading = Leading {
        u: Array2::zeros((2048, 20)),
        singular_values: vec![1.0; 20],
        v: Array2::zeros((2048, 20)),
        residuals: vec![0.0; 20],
        frobenius_sq: Energy::plain(1.0),
        rank: 10,
        power_iterations: 2,
        blocks: 0,
        orthogonality_loss: 1e-15,
        shape: (2048, 2048),
    };
    let worst = leading.subtraction_bound(10).value();
    let typical = leading.subtraction_bound_typical(10).value();
    assert!((1.5e-12..3e-12).contains(&worst), "{worst}");
    assert!((5e-14..2e-13).contains(&typical), "{typical}");
}

#[test]
fn rank_deficient_matrix() {
    let mut rng = StdRng::seed_from_u64(4);
    let a = Array2::from_shape_fn((60, 3), |_| rng.sample::<f64, _>(StandardNormal));
    let b = Array2::from_shape_fn((3, 40), |_| rng.sample::<f64, _>(StandardNormal));
    let x = a.dot(&b);
    let exact = exact_values(x.view());
    let result = run(x.view(), &Options::for_rank(10));
    assert_eq!(result.terms(), 20);
    assert_orthonormal(result.u.view(), 1e-12);
    assert_orthonormal(result.v.view(), 1e-12);
    for i in 0..3 {
        assert!((exact[i] - result.singular_values[i]).abs() < 1e-12 * exact[0]);
    }
    for &s in &result.singular_values[3..] {
        assert!(s < 1e-12 * exact[0], "{s}");
    }
    let error = result.error_by_subtraction(3).unwrap().value();
    assert!(error <= result.subtraction_bound(3).value());
}

#[test]
fn thin_and_tiny_shapes() {
    let mut rng = StdRng::seed_from_u64(5);
    for (m, n) in [
        (1, 1),
        (1, 7),
        (7, 1),
        (1, 300),
        (300, 1),
        (2, 2),
        (3, 2),
        (2, 5),
    ] {
        let x = Array2::from_shape_fn((m, n), |_| rng.sample::<f64, _>(StandardNormal));
        let exact = exact_values(x.view());
        let result = run(x.view(), &Options::for_rank(10));
        assert_eq!(result.terms(), m.min(n), "{m}×{n}");
        assert_eq!(result.u.dim(), (m, m.min(n)));
        assert_eq!(result.v.dim(), (n, m.min(n)));
        for (a, b) in result.singular_values.iter().zip(&exact) {
            assert!((a - b).abs() < 1e-13 * exact[0], "{m}×{n}: {a} vs {b}");
        }
        let total = result.error_by_subtraction(m.min(n)).unwrap().value();
        assert!(
            total <= result.subtraction_bound(m.min(n)).value(),
            "{m}×{n}: {total}"
        );
        assert_eq!(result.error_by_subtraction(m.min(n) + 1), None);
    }
}

#[test]
fn zero_matrix() {
    let x = Array2::<f64>::zeros((5, 4));
    let result = run(x.view(), &Options::for_rank(2));
    assert!(result.singular_values.iter().all(|&s| s == 0.0));
    assert_eq!(result.error_by_subtraction(2).map(Energy::value), Some(0.0));
}

#[test]
fn typed_errors() {
    let empty = Array2::<f64>::zeros((0, 4));
    let err = leading(
        empty.view(),
        &Options::for_rank(2),
        &Cancel::never(),
        &mut quiet(),
    );
    assert_eq!(err, Err(PartialError::Empty { rows: 0, cols: 4 }));
    let mut x = Array2::<f64>::ones((3, 4));
    x[(1, 2)] = f64::NAN;
    let err = leading(
        x.view(),
        &Options::for_rank(2),
        &Cancel::never(),
        &mut quiet(),
    );
    assert_eq!(err, Err(PartialError::NonFinite { row: 1, col: 2 }));
    assert_eq!(
        PartialError::NonFinite { row: 1, col: 2 }.to_string(),
        "cannot decompose: entry at row 2, column 3 is not a finite number"
    );
    let boxed: Box<dyn std::error::Error> = Box::new(PartialError::Cancelled);
    assert!(boxed.to_string().contains("abandoned"));
}

#[test]
fn a_stale_request_does_no_block() {
    let x = load(&Source::Builtin(Builtin::Camera), 1024)
        .unwrap()
        .matrix;
    let mut blocks = 0usize;
    let result = leading(
        x.view(),
        &Options::for_rank(10),
        &stale_cancel(),
        &mut |_| blocks += 1,
    );
    assert_eq!(result, Err(PartialError::Cancelled));
    assert_eq!(blocks, 0);
    assert_eq!(
        complete_values(x.view(), &stale_cancel(), &mut |_| {}, &|| faer::Par::Seq),
        Err(PartialError::Cancelled)
    );
    assert_eq!(
        complete(x.view(), &stale_cancel()).map(|_| ()),
        Err(PartialError::Cancelled)
    );
}

#[test]
fn a_request_that_goes_stale_stops_after_the_current_block() {
    let x = planted(200, 150, &[3.0, 2.0, 1.0, 0.5, 0.25], 6);
    let full = run(x.view(), &Options::for_rank(3));
    for stop_after in 1..full.blocks {
        let blocks = std::cell::Cell::new(0usize);
        let result = leading_until(
            x.view(),
            &Options::for_rank(3),
            &|| blocks.get() >= stop_after,
            &mut |p| {
                if p.stage != Stage::Done {
                    blocks.set(p.blocks_done)
                }
            },
        );
        assert_eq!(
            result,
            Err(PartialError::Cancelled),
            "stop after {stop_after}"
        );
        assert_eq!(blocks.get(), stop_after);
    }
}

#[test]
fn progress_rises_to_done() {
    let x = planted(100, 80, &[3.0, 2.0, 1.0], 7);
    let mut seen = Vec::new();
    let result = leading(
        x.view(),
        &Options::for_rank(2),
        &Cancel::never(),
        &mut |p| seen.push(p),
    )
    .unwrap();
    assert_eq!(seen.first().map(|p| p.stage), Some(Stage::Norm));
    assert_eq!(seen.last().map(|p| p.stage), Some(Stage::Done));
    assert_eq!(seen.last().map(Progress::fraction), Some(1.0));
    assert!(seen.windows(2).all(|w| w[0].fraction() <= w[1].fraction()));
    assert_eq!(seen.len(), result.blocks + 1);
    assert!(seen[1].to_string().starts_with("random sketch ("));
}

#[test]
fn same_seed_same_result() {
    let mut rng = StdRng::seed_from_u64(8);
    let x = Array2::from_shape_fn((90, 70), |_| rng.sample::<f64, _>(StandardNormal));
    let options = Options {
        par: Par::Seq,
        ..Options::for_rank(5)
    };
    assert_eq!(run(x.view(), &options), run(x.view(), &options));
    let other = Options { seed: 1, ..options };
    assert_ne!(
        run(x.view(), &options).singular_values,
        run(x.view(), &other).singular_values
    );
}

#[test]
fn frobenius_is_compensated() {
    // 1 + 10⁴ terms of 10⁻¹⁶: a plain sum stays at exactly 1.
    let mut x = Array2::from_elem((100, 100), 1e-8);
    x[(0, 0)] = 1.0;
    let expected = 1.0 + 9999.0 * 1e-16;
    assert!((frobenius_sq(x.view()).value() - expected).abs() <= 2.0 * f64::EPSILON);
    let plain: f64 = x.iter().map(|v| v * v).sum();
    assert_eq!(plain, 1.0);
}

#[test]
fn complete_values_match_the_thin_svd() {
    let x = planted(50, 40, &[5.0, 4.0, 3.0, 2.0, 1.0, 0.5], 9);
    let values =
        complete_values(x.view(), &Cancel::never(), &mut |_| {}, &|| faer::Par::Seq).unwrap();
    let exact = exact_values(x.view());
    assert_eq!(values.len(), 40);
    for (a, b) in values.iter().zip(&exact) {
        assert!((a - b).abs() < 1e-13 * exact[0]);
    }
    let svd = complete(x.view(), &Cancel::never()).unwrap();
    assert_eq!(svd.singular_values, exact);
}

#[test]
fn upscaled_photo_has_the_requested_shape_and_range() {
    let image = Array2::from_shape_fn((4, 6), |(i, j)| (i * 6 + j) as f64 / 23.0);
    let big = upscaled_photo(image.view(), 16, 12, 0.0, 1);
    assert_eq!(big.dim(), (16, 12));
    assert!(big.iter().all(|&v| (0.0..=1.0).contains(&v)));
    assert_eq!(big[(0, 0)], 0.0);
    assert_eq!(big[(15, 11)], 1.0);
}
