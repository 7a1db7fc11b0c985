//! Shrinking a picture that is too large: area averaging, each output cell the mean of the input
//! over the area it covers, with fractional overlaps weighted exactly.

use ndarray::Array2;

use super::Fitted;

/// A matrix shrunk to fit `max_side` by the pictures' area averaging (or copied as it is), and
/// its original size if it was shrunk. Inputs never go through it unless they are pictures;
/// tests build small matrices with it.
pub fn area_average(matrix: ndarray::ArrayView2<f64>, max_side: usize) -> Fitted {
    let (rows, cols) = matrix.dim();
    resample(rows, cols, max_side, |i, out| {
        for (value, x) in out.iter_mut().zip(matrix.row(i)) {
            *value = *x;
        }
    })
}

/// The output size for an input of `rows`×`cols` whose longer side must not exceed `max_side`:
/// both sides scaled by max_side / longer side, rounded, at least 1.
pub fn fitted_shape(rows: usize, cols: usize, max_side: usize) -> (usize, usize) {
    let longer = rows.max(cols);
    if longer <= max_side {
        return (rows, cols);
    }
    let scale = |side: usize| {
        let scaled = (side as u128 * max_side as u128 + longer as u128 / 2) / longer as u128;
        (scaled as usize).clamp(1, max_side)
    };
    (scale(rows), scale(cols))
}

/// Area-average resampling. Source row i covers [i·out, (i+1)·out) and target row p covers
/// [p·in, (p+1)·in) on a common integer axis, so overlaps are exact integers; a source cell
/// (at most one target cell wide, as out ≤ in) meets at most two target cells on each axis.
/// `fill_row(i, buffer)` writes source row i.
pub(super) fn resample(
    rows: usize,
    cols: usize,
    max_side: usize,
    fill_row: impl Fn(usize, &mut [f64]),
) -> Fitted {
    let (out_rows, out_cols) = fitted_shape(rows, cols, max_side);
    let mut buffer = vec![0.0; cols];
    if (out_rows, out_cols) == (rows, cols) {
        let mut out = Array2::zeros((rows, cols));
        for (i, mut row) in out.rows_mut().into_iter().enumerate() {
            fill_row(i, &mut buffer);
            row.iter_mut().zip(&buffer).for_each(|(o, b)| *o = *b);
        }
        return (out, None);
    }
    let row_cells = overlaps(rows, out_rows);
    let col_cells = overlaps(cols, out_cols);
    let mut out = Array2::<f64>::zeros((out_rows, out_cols));
    for (i, cells_i) in row_cells.iter().enumerate() {
        fill_row(i, &mut buffer);
        for &(p, weight_p) in cells_i.iter().filter(|(_, w)| *w > 0.0) {
            let mut out_row = out.row_mut(p);
            for (value, cells_j) in buffer.iter().zip(&col_cells) {
                for &(q, weight_q) in cells_j {
                    out_row[q] += weight_p * weight_q * value;
                }
            }
        }
    }
    (out, Some((rows, cols)))
}

/// For each of `input` source cells, the (target cell, weight) pairs it overlaps when `input`
/// cells are averaged into `output` ≤ `input` cells; a target cell's weights sum to 1.
pub(super) fn overlaps(input: usize, output: usize) -> Vec<[(usize, f64); 2]> {
    let (input_u, output_u) = (input as u128, output as u128);
    (0..input_u)
        .map(|i| {
            let start = i * output_u;
            let end = start + output_u;
            let p = start / input_u;
            let boundary = (p + 1) * input_u;
            let last = output.saturating_sub(1);
            if end <= boundary {
                [
                    (p as usize, output_u as f64 / input_u as f64),
                    (p as usize, 0.0),
                ]
            } else {
                [
                    (p as usize, (boundary - start) as f64 / input_u as f64),
                    (
                        ((p + 1) as usize).min(last),
                        (end - boundary) as f64 / input_u as f64,
                    ),
                ]
            }
        })
        .collect()
}
