//! Problem 2c: the minimiser is not unique. For any orthogonal Q (r×r) and any e ≠ 0,
//! (A*Q)(QᵀB*) = A*(QQᵀ)B* = A*B* and (eA*)(B*/e) = A*B*, so the objective is unchanged while
//! the factors move.

use ndarray::{Array2, ArrayView2};
use rand::Rng;

use super::{Factors, orthonormal_columns};

/// A random orthogonal r×r matrix, uniform over the orthogonal group (QR of a Gaussian matrix
/// with the sign of each column fixed).
pub fn random_orthogonal(r: usize, rng: &mut impl Rng) -> Array2<f64> {
    orthonormal_columns(r, r, rng)
}

/// (A Q, Qᵀ B). `None` if Q is not r×r for the factors' rank r.
pub fn rotate(factors: &Factors, q: ArrayView2<f64>) -> Option<Factors> {
    let r = factors.rank();
    if q.dim() != (r, r) || factors.b.nrows() != r {
        return None;
    }
    Some(Factors {
        a: factors.a.dot(&q),
        b: q.t().dot(&factors.b),
    })
}

/// (e A, B / e). `None` unless e is finite and non-zero (B/e would not exist).
pub fn rescale(factors: &Factors, e: f64) -> Option<Factors> {
    if !e.is_finite() || e == 0.0 {
        return None;
    }
    Some(Factors {
        a: &factors.a * e,
        b: &factors.b / e,
    })
}

/// One factor entry before and after a symmetry was applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EntryChange {
    pub row: usize,
    pub col: usize,
    pub before: f64,
    pub after: f64,
}

/// How far a symmetry moved the factors, and how little it moved their product.
#[derive(Debug, Clone, PartialEq)]
pub struct SymmetryReadout {
    /// ‖A − A*‖_F.
    pub a_distance: f64,
    /// ‖B − B*‖_F.
    pub b_distance: f64,
    /// The first few entries of A's first row, before and after.
    pub a_entries: Vec<EntryChange>,
    /// The first few entries of B's first column, before and after.
    pub b_entries: Vec<EntryChange>,
    /// max |AB − A*B*| over all entries (zero up to rounding).
    pub max_product_change: f64,
    /// ‖X − AB‖²_F − ‖X − A*B*‖²_F (zero up to rounding).
    pub error_change: f64,
}

/// How many entries of each factor the readout lists.
pub const ENTRIES_SHOWN: usize = 4;

/// Compare transformed factors with the original ones against the data X. `None` if the
/// shapes of X, the original and the transformed factors disagree.
pub fn compare(
    x: ArrayView2<f64>,
    original: &Factors,
    transformed: &Factors,
) -> Option<SymmetryReadout> {
    if original.a.dim() != transformed.a.dim() || original.b.dim() != transformed.b.dim() {
        return None;
    }
    let before = original.product()?;
    let after = transformed.product()?;
    if before.dim() != x.dim() {
        return None;
    }
    let distance = |p: &Array2<f64>, q: &Array2<f64>| {
        p.iter()
            .zip(q.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
            .sqrt()
    };
    let error_sq = |product: &Array2<f64>| {
        x.iter()
            .zip(product.iter())
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
    };
    let max_product_change = before
        .iter()
        .zip(after.iter())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    let r = original.rank();
    let a_entries = (0..r.min(ENTRIES_SHOWN))
        .filter(|_| original.a.nrows() > 0)
        .map(|col| EntryChange {
            row: 0,
            col,
            before: original.a[(0, col)],
            after: transformed.a[(0, col)],
        })
        .collect();
    let b_entries = (0..r.min(ENTRIES_SHOWN))
        .filter(|_| original.b.ncols() > 0)
        .map(|row| EntryChange {
            row,
            col: 0,
            before: original.b[(row, 0)],
            after: transformed.b[(row, 0)],
        })
        .collect();
    Some(SymmetryReadout {
        a_distance: distance(&original.a, &transformed.a),
        b_distance: distance(&original.b, &transformed.b),
        a_entries,
        b_entries,
        max_product_change,
        error_change: error_sq(&after) - error_sq(&before),
    })
}

#[cfg(test)]
mod tests {
    use super::{compare, random_orthogonal, rescale, rotate};
    use crate::lowrank::model::{Factors, thin_svd};
    use ndarray::Array2;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng as _, SeedableRng};

    fn gaussian(m: usize, n: usize, seed: u64) -> Array2<f64> {
        let mut rng = StdRng::seed_from_u64(seed);
        Array2::from_shape_fn((m, n), |_| rng.sample(rand_distr::StandardNormal))
    }

    #[test]
    fn random_orthogonal_is_orthogonal() {
        let mut rng = StdRng::seed_from_u64(7);
        for r in [1, 2, 5, 17] {
            let q = random_orthogonal(r, &mut rng);
            let identity = Array2::<f64>::eye(r);
            let qtq = q.t().dot(&q);
            let qqt = q.dot(&q.t());
            for (a, b) in qtq.iter().zip(identity.iter()) {
                assert!((a - b).abs() < 1e-12);
            }
            for (a, b) in qqt.iter().zip(identity.iter()) {
                assert!((a - b).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn rescale_rejects_zero_and_non_finite() {
        let f = Factors {
            a: Array2::ones((3, 2)),
            b: Array2::ones((2, 4)),
        };
        assert!(rescale(&f, 0.0).is_none());
        assert!(rescale(&f, f64::NAN).is_none());
        assert!(rescale(&f, f64::INFINITY).is_none());
        assert!(rescale(&f, -2.0).is_some());
    }

    #[test]
    fn rotate_rejects_wrong_size() {
        let f = Factors {
            a: Array2::ones((3, 2)),
            b: Array2::ones((2, 4)),
        };
        assert!(rotate(&f, Array2::eye(3).view()).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Any orthogonal Q and any scale e ≠ 0 leave AB (and so the error) unchanged while
        /// the factors themselves move.
        #[test]
        fn symmetries_keep_the_product(
            seed in 0u64..1_000_000,
            m in 3usize..12,
            n in 3usize..12,
            rank_pick in 0usize..100,
            log_e in -3.0f64..3.0,
            negative in any::<bool>(),
        ) {
            let x = gaussian(m, n, seed);
            let svd = thin_svd(x.view()).unwrap();
            let r = 1 + rank_pick % m.min(n);
            let optimal = Factors::optimal(&svd, r);
            let scale = 1.0 + x.iter().map(|v| v.abs()).fold(0.0, f64::max);

            let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed);
            let q = random_orthogonal(r, &mut rng);
            let rotated = rotate(&optimal, q.view()).unwrap();
            let readout = compare(x.view(), &optimal, &rotated).unwrap();
            prop_assert!(readout.max_product_change < 1e-10 * scale);
            prop_assert!(readout.error_change.abs() < 1e-10 * scale * scale);
            // For r ≥ 2 a random rotation moves A unless Q = I, which has probability zero;
            // for r = 1 the orthogonal group is {1, −1}.
            if r >= 2 {
                prop_assert!(readout.a_distance > 1e-6);
            } else {
                prop_assert!((q[(0, 0)].abs() - 1.0).abs() < 1e-15);
            }

            let e = if negative { -(10f64.powf(log_e)) } else { 10f64.powf(log_e) };
            let scaled = rescale(&optimal, e).unwrap();
            let readout = compare(x.view(), &optimal, &scaled).unwrap();
            prop_assert!(readout.max_product_change < 1e-10 * scale);
            prop_assert!(readout.error_change.abs() < 1e-10 * scale * scale);
            // ‖eA* − A*‖_F = |e − 1| ‖A*‖_F exactly.
            let norm_a = optimal.a.iter().map(|v| v * v).sum::<f64>().sqrt();
            prop_assert!((readout.a_distance - (e - 1.0).abs() * norm_a).abs() < 1e-9 * (1.0 + norm_a));
            for entry in &readout.a_entries {
                prop_assert!((entry.after - e * entry.before).abs() < 1e-12 * (1.0 + entry.before.abs()));
            }
        }
    }
}
