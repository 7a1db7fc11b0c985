use ndarray::{Array1, Array2};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::lowrank::model::{gaussian_matrix, orthonormal_columns, thin_svd_with};

/// U diag(σ) Vᵀ with random orthonormal U, V: a matrix whose singular values are known.
fn planted(m: usize, n: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let u = orthonormal_columns(m, sigma.len(), &mut rng);
    let v = orthonormal_columns(n, sigma.len(), &mut rng);
    (&u * &Array1::from(sigma.to_vec())).dot(&v.t())
}

fn values(x: &Array2<f64>) -> Vec<f64> {
    let b = bidiagonalize(x.view(), &Cancel::never(), &mut |_| {}, &|| Par::Seq).unwrap();
    let values = bidiagonal_singular_values(&b.diagonal(), &b.superdiagonal()).unwrap();
    // B is the bidiagonal form of X/unit.
    values.iter().map(|s| s * b.unit).collect()
}

fn frobenius_sq(x: &Array2<f64>) -> f64 {
    x.iter().map(|v| v * v).sum()
}

/// The orthogonal factor Q = F_0 F_1 ⋯ of reflectors F_j = I − τ_j w_j w_jᵀ, w_j = e_{j+shift}
/// plus the stored tail `tail(j)` from entry j + shift + 1 on, as a dense size×size matrix.
fn reflectors_product(
    size: usize,
    taus: &[f64],
    shift: usize,
    tail: impl Fn(usize, usize) -> f64,
) -> Array2<f64> {
    let mut q = Array2::<f64>::eye(size);
    // Q = F_0 (F_1 (⋯ F_last)): apply from the last to the first, on the left of I.
    for (j, &tau) in taus.iter().enumerate().rev() {
        let start = j + shift;
        let w: Vec<f64> = (0..size)
            .map(|k| match k.cmp(&start) {
                std::cmp::Ordering::Less => 0.0,
                std::cmp::Ordering::Equal => 1.0,
                std::cmp::Ordering::Greater => tail(j, k),
            })
            .collect();
        for c in 0..size {
            let dot: f64 = (0..size).map(|k| w[k] * q[(k, c)]).sum();
            for k in 0..size {
                q[(k, c)] -= tau * w[k] * dot;
            }
        }
    }
    q
}

/// X rebuilt as Q_L B Q_Rᵀ from what `bidiagonalize` stored, and the two Q.
fn rebuilt(x: &Array2<f64>) -> (Array2<f64>, Array2<f64>, Array2<f64>) {
    let f = bidiagonalize(x.view(), &Cancel::never(), &mut |_| {}, &|| Par::Seq).unwrap();
    let (m, n) = (f.a.nrows(), f.a.ncols());
    let ql = reflectors_product(m, &f.tau_left, 0, |j, k| f.a[(k, j)]);
    let qr = reflectors_product(n, &f.tau_right, 1, |j, k| f.a[(j, k)]);
    let mut b = Array2::<f64>::zeros((m, n));
    for (j, d) in f.diagonal().into_iter().enumerate() {
        b[(j, j)] = d;
    }
    for (j, e) in f.superdiagonal().into_iter().enumerate() {
        b[(j, j + 1)] = e;
    }
    let back = ql.dot(&b).dot(&qr.t());
    let back = if f.transposed {
        back.t().to_owned()
    } else {
        back
    };
    (back, ql, qr)
}

fn max_abs_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
    (a - b).iter().fold(0.0f64, |acc, d| acc.max(d.abs()))
}

#[test]
fn the_reflectors_and_b_rebuild_x() {
    // One panel, a panel and a bit, several panels; tall, square and wide (transposed).
    for (m, n, seed) in [
        (20, 12, 1),
        (70, 45, 2),
        (45, 70, 3),
        (100, 100, 4),
        (33, 33, 5),
    ] {
        let x = gaussian_matrix(m, n, seed);
        let (back, ql, qr) = rebuilt(&x);
        let scale = x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let off = max_abs_diff(&back, &x);
        assert!(
            off < 1e-13 * scale * (m.max(n) as f64),
            "{m}×{n}: off by {off:e}"
        );
        for q in [&ql, &qr] {
            let k = q.nrows();
            let loss = max_abs_diff(&q.t().dot(q), &Array2::eye(k));
            assert!(loss < 1e-13 * k as f64, "{m}×{n}: QᵀQ − I = {loss:e}");
        }
    }
}

#[test]
fn the_singular_values_are_faers_and_keep_the_frobenius_norm() {
    for (m, n, seed) in [
        (1, 1, 10),
        (1, 7, 11),
        (7, 1, 12),
        (2, 2, 13),
        (31, 33, 14),
        (65, 64, 15),
        (150, 97, 16),
        (97, 150, 17),
        (260, 260, 18),
    ] {
        let x = gaussian_matrix(m, n, seed);
        let ours = values(&x);
        let faers = thin_svd_with(x.view(), Par::Seq).unwrap().singular_values;
        assert_eq!(ours.len(), faers.len());
        let s1 = faers[0];
        for (i, (a, b)) in ours.iter().zip(&faers).enumerate() {
            assert!(
                (a - b).abs() <= 1e-13 * s1 * (m.max(n) as f64).sqrt(),
                "{m}×{n}: σ{i} {a} against faer's {b}"
            );
        }
        assert!(ours.windows(2).all(|w| w[0] >= w[1]));
        let energy: f64 = ours.iter().map(|s| s * s).sum();
        let fro = frobenius_sq(&x);
        assert!(
            (energy - fro).abs() <= 1e-13 * fro,
            "{m}×{n}: Σσ² = {energy} against ‖X‖²_F = {fro}"
        );
    }
}

#[test]
fn planted_values_come_back_including_the_zero_ones() {
    // Rank 4 in a 90×60 matrix: four known values, then 56 zeros (to rounding).
    let sigma = [5.0, 3.0, 1e-3, 1e-9];
    let x = planted(90, 60, &sigma, 20);
    let got = values(&x);
    assert_eq!(got.len(), 60);
    for (g, s) in got.iter().zip(sigma) {
        assert!((g - s).abs() <= 1e-14 * 5.0 * 60.0, "{g} against {s}");
    }
    assert!(
        got[4..].iter().all(|&z| (0.0..1e-13).contains(&z)),
        "{:?}",
        &got[4..8]
    );
}

#[test]
fn zeros_huge_and_tiny_entries_stay_finite() {
    assert_eq!(values(&Array2::zeros((5, 4))), vec![0.0; 4]);
    let x = gaussian_matrix(40, 30, 21);
    let base = values(&x);
    for scale in [1e300, 1e-300] {
        let scaled = values(&(&x * scale));
        for (a, b) in scaled.iter().zip(&base) {
            assert!(a.is_finite());
            assert!(
                (a / scale - b).abs() <= 1e-12 * base[0],
                "{scale:e}: {a} against {b}"
            );
        }
    }
}

#[test]
fn threads_are_asked_before_every_column_and_change_nothing_but_rounding() {
    let x = gaussian_matrix(600, 500, 24);
    let asked = std::cell::Cell::new(0usize);
    let two = bidiagonalize(x.view(), &Cancel::never(), &mut |_| {}, &|| {
        asked.set(asked.get() + 1);
        // Alternate, as when a first view starts and ends during the reduction.
        if asked.get().is_multiple_of(2) {
            Par::rayon(2)
        } else {
            Par::Seq
        }
    })
    .unwrap();
    assert_eq!(asked.get(), 500);
    let one = bidiagonalize(x.view(), &Cancel::never(), &mut |_| {}, &|| Par::Seq).unwrap();
    let a = bidiagonal_singular_values(&one.diagonal(), &one.superdiagonal()).unwrap();
    let b = bidiagonal_singular_values(&two.diagonal(), &two.superdiagonal()).unwrap();
    for (p, q) in a.iter().zip(&b) {
        assert!((p - q).abs() <= 1e-12 * a[0], "{p} against {q}");
    }
}

#[test]
fn bad_matrices_are_refused() {
    let empty = Array2::<f64>::zeros((0, 3));
    assert_eq!(
        bidiagonalize(empty.view(), &Cancel::never(), &mut |_| {}, &|| Par::Seq).map(|_| ()),
        Err(PartialError::Empty { rows: 0, cols: 3 })
    );
    let mut x = gaussian_matrix(4, 4, 22);
    x[(2, 1)] = f64::NAN;
    assert_eq!(
        bidiagonalize(x.view(), &Cancel::never(), &mut |_| {}, &|| Par::Seq).map(|_| ()),
        Err(PartialError::NonFinite { row: 2, col: 1 })
    );
}

#[test]
fn progress_rises_to_one_and_a_stale_request_stops_at_the_next_column() {
    let x = gaussian_matrix(80, 70, 23);
    let mut seen = Vec::new();
    bidiagonalize(x.view(), &Cancel::never(), &mut |f| seen.push(f), &|| {
        Par::Seq
    })
    .unwrap();
    assert_eq!(seen.len(), 70, "one report per column");
    assert!(seen.windows(2).all(|w| w[0] < w[1]));
    assert!((seen[69] - 1.0).abs() < 1e-12);
    // The first column is the largest share of the work: (80·70)/Σ(80 − j)(70 − j).
    let total: f64 = (0..70).map(|j| ((80 - j) * (70 - j)) as f64).sum();
    assert!((seen[0] - 5600.0 / total).abs() < 1e-15);
    for stop_after in [0, 1, 31, 32, 33, 69] {
        let columns = std::cell::Cell::new(0usize);
        let result = bidiagonalize_until(
            x.view(),
            &|| columns.get() >= stop_after,
            &mut |_| columns.set(columns.get() + 1),
            &|| Par::Seq,
        );
        assert_eq!(
            result.map(|_| ()),
            Err(PartialError::Cancelled),
            "{stop_after}"
        );
        assert_eq!(columns.get(), stop_after);
    }
}
