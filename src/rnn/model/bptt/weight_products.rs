//! The weight gradients ∂ℓ/∂W_hh and ∂ℓ/∂W_ih as matrix products over all steps: after the
//! backward loop, or block by block on a second thread while it runs.

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::Array2;

/// How ∂ℓ/∂W_hh = Σ_t ∂ℓ/∂z_t h_{t−1}ᵀ and ∂ℓ/∂W_ih = Σ_t ∂ℓ/∂z_t x_tᵀ are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::rnn::model) enum WeightProducts {
    /// One matrix product each after the backward loop, on this thread.
    AfterLoop,
    /// On a second thread while the backward loop goes on: one product per block of `rows`
    /// steps (blocks counted from t = T down, so the block holding t = 1 may be shorter), each
    /// added to the sum as soon as the loop has finished the block, last block first.
    Overlapped { rows: usize },
}

/// Steps per block of `WeightProducts::Overlapped`: a product of depth 128 keeps faer's kernel
/// efficient, and the last block, computed after the loop, is short.
pub(super) const OVERLAP_ROWS: usize = 128;

impl WeightProducts {
    /// Overlapped when the products are large (at H = 512, T = 2000, about 0.1 s of one core
    /// against 0.45 s for the loop), after the loop otherwise.
    pub(super) fn for_size(gsize: usize, hsize: usize, steps: usize) -> Self {
        if gsize.saturating_mul(hsize).saturating_mul(steps) > 1 << 24 {
            WeightProducts::Overlapped { rows: OVERLAP_ROWS }
        } else {
            WeightProducts::AfterLoop
        }
    }
}

/// The weight gradients being summed block by block: ∂ℓ/∂W_hh += DZᵀ H, ∂ℓ/∂W_ih += DZᵀ X over
/// the block's rows.
pub(super) struct WeightSums<'a> {
    hs: &'a [f64],
    x: &'a [f64],
    gsize: usize,
    hsize: usize,
    isize: usize,
    w_hh: Array2<f64>,
    w_ih: Array2<f64>,
    empty: bool,
}

impl<'a> WeightSums<'a> {
    #[inline]
    pub(super) fn new(
        hs: &'a [f64],
        x: &'a [f64],
        gsize: usize,
        hsize: usize,
        isize: usize,
    ) -> Self {
        WeightSums {
            hs,
            x,
            gsize,
            hsize,
            isize,
            w_hh: Array2::zeros((gsize, hsize)),
            w_ih: Array2::zeros((gsize, isize)),
            empty: true,
        }
    }

    /// Adds the terms of the rows `dz` of ∂ℓ/∂z, the first being row `first` (step first + 1).
    fn add(&mut self, first: usize, dz: &[f64]) {
        let Self {
            gsize,
            hsize,
            isize,
            ..
        } = *self;
        let rows = dz.len() / gsize.max(1);
        let (Some(h_rows), Some(x_rows)) = (
            self.hs.get(first * hsize..(first + rows) * hsize),
            self.x.get(first * isize..(first + rows) * isize),
        ) else {
            return;
        };
        let accum = if self.empty {
            Accum::Replace
        } else {
            Accum::Add
        };
        let dz_t = MatRef::from_row_major_slice(&dz[..rows * gsize], rows, gsize).transpose();
        if let (Some(out_hh), Some(out_ih)) = (self.w_hh.as_slice_mut(), self.w_ih.as_slice_mut()) {
            matmul(
                MatMut::from_row_major_slice_mut(out_hh, gsize, hsize),
                accum,
                dz_t,
                MatRef::from_row_major_slice(h_rows, rows, hsize),
                1.0,
                Par::Seq,
            );
            matmul(
                MatMut::from_row_major_slice_mut(out_ih, gsize, isize),
                accum,
                dz_t,
                MatRef::from_row_major_slice(x_rows, rows, isize),
                1.0,
                Par::Seq,
            );
        }
        self.empty = false;
    }
}

/// Runs `step(t, row)` for t = T … 1, `row` being row t − 1 of the T × `gsize` row-major `z`
/// (which `step` turns into ∂ℓ/∂z_t), and hands each finished block of `block` rows (counted
/// from the last row) to `done(first_row, rows)`, last block first.
#[inline]
pub(super) fn backward_in_blocks<'a>(
    z: &'a mut [f64],
    gsize: usize,
    block: usize,
    mut step: impl FnMut(usize, &mut [f64]),
    mut done: impl FnMut(usize, &'a [f64]),
) {
    if gsize == 0 {
        return;
    }
    let block = block.max(1);
    let mut end = z.len() / gsize;
    let mut rest = z;
    while end > 0 {
        let start = end.saturating_sub(block);
        let (head, rows) = rest.split_at_mut(start * gsize);
        for (k, row) in rows.chunks_exact_mut(gsize).enumerate().rev() {
            step(start + k + 1, row);
        }
        done(start, rows);
        rest = head;
        end = start;
    }
}

/// The backward loop (`step`, see `backward_in_blocks`) and the weight gradients, formed as
/// `plan` says. Returns ∂ℓ/∂W_hh and ∂ℓ/∂W_ih.
#[inline]
pub(super) fn backward_and_weight_products(
    z: &mut [f64],
    sums: WeightSums<'_>,
    plan: WeightProducts,
    mut step: impl FnMut(usize, &mut [f64]),
) -> (Array2<f64>, Array2<f64>) {
    let WeightSums {
        hs,
        x,
        gsize,
        hsize,
        isize,
        ..
    } = sums;
    let mut sums = match plan {
        WeightProducts::Overlapped { rows } => match overlapped(z, sums, rows, &mut step) {
            Ok(sums) => return (sums.w_hh, sums.w_ih),
            // The loop has run, without a helper thread: the products come after it.
            Err(()) => WeightSums::new(hs, x, gsize, hsize, isize),
        },
        WeightProducts::AfterLoop => {
            backward_in_blocks(z, gsize, usize::MAX, &mut step, |_, _| {});
            sums
        }
    };
    sums.add(0, z);
    (sums.w_hh, sums.w_ih)
}

/// `WeightProducts::Overlapped`: the loop on this thread, the products on a helper thread.
/// Err if the helper could not be started or failed; the loop has run all the same.
fn overlapped<'a>(
    z: &mut [f64],
    sums: WeightSums<'a>,
    rows: usize,
    step: impl FnMut(usize, &mut [f64]),
) -> Result<WeightSums<'a>, ()> {
    let gsize = sums.gsize;
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel::<(usize, &[f64])>();
        let mut sums = sums;
        let helper = std::thread::Builder::new()
            .name("bptt weight gradient".into())
            .spawn_scoped(scope, move || {
                for (first, dz) in receive {
                    sums.add(first, dz);
                }
                sums
            });
        match helper {
            Ok(helper) => {
                backward_in_blocks(z, gsize, rows, step, |first, dz| {
                    // A send fails only if the helper is gone, and then so does the join.
                    let _ = send.send((first, dz));
                });
                drop(send);
                helper.join().map_err(|_| ())
            }
            Err(_) => {
                backward_in_blocks(z, gsize, rows, step, |_, _| {});
                Err(())
            }
        }
    })
}
