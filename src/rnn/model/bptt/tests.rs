use super::weight_products::OVERLAP_ROWS;
use super::*;

/// Deterministic values of both signs, irregular enough that no sum is exact.
fn values(n: usize, phase: f64) -> Vec<f64> {
    (0..n)
        .map(|k| ((k as f64 + phase) * 0.754_877_666).sin() * (1.0 + k as f64 * 0.01))
        .collect()
}

#[test]
fn transposed_product_is_faers_bit_for_bit() {
    // Row counts around multiples of four, column counts around the SIMD widths.
    for rows in 0..10 {
        for cols in [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 33] {
            let a = values(rows * cols, 0.5);
            let d = values(rows, 3.25);
            let mut want = vec![f64::NAN; cols];
            let a_t = MatRef::from_row_major_slice(&a, rows, cols).transpose();
            mat_vec(&mut want, a_t, &d, Accum::Replace);
            let mut got = vec![f64::NAN; cols];
            mat_t_vec(&mut got, &a, &d);
            let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "{rows}×{cols}");
        }
    }
}

#[test]
fn line_aligned_buffers_start_a_line() {
    for len in [0, 1, 7, 100, 4096] {
        let src = values(len, 1.0);
        let copy = LineAligned::copy_of(&src);
        assert_eq!(copy.as_slice(), &src[..]);
        assert_eq!(copy.as_slice().as_ptr() as usize % 64, 0);
        let mut zeros = LineAligned::zeros(len);
        assert_eq!(zeros.as_mut_slice(), &vec![0.0; len][..]);
        assert_eq!(zeros.as_slice().as_ptr() as usize % 64, 0);
    }
}

#[test]
fn only_large_products_are_overlapped() {
    assert_eq!(
        WeightProducts::for_size(2048, 512, 2000),
        WeightProducts::Overlapped { rows: OVERLAP_ROWS }
    );
    assert_eq!(
        WeightProducts::for_size(512, 128, 200),
        WeightProducts::AfterLoop
    );
    assert_eq!(
        WeightProducts::for_size(usize::MAX, 2, 2),
        WeightProducts::Overlapped { rows: OVERLAP_ROWS }
    );
}
