//! The forward pass and back-propagation through time, exactly, for one draw.

use std::fmt;

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, MatMut, MatRef, Par};
use ndarray::{Array1, Array2};
use pulp::{Simd, WithSimd};

use super::draw::{Weights, nan_max, row_major};
use super::elementwise;
use super::params::{Activation, CellKind};
use crate::grad::{Clip, l2_norm};

/// Gradient results of `bptt`, before clipping.
#[derive(Debug, Clone)]
pub struct Bptt {
    /// ℓ = vᵀ h_T.
    pub loss: f64,
    /// ‖∂ℓ/∂h_t‖ for t = 0 … T (index t).
    pub grad_h: Vec<f64>,
    /// LSTM only: ‖∂ℓ/∂c_t‖ for t = 0 … T (total derivative, through h_t and c_{t+1}).
    pub grad_c: Option<Vec<f64>>,
    /// LSTM only: max_j ∏_{k=t+1}^{T} f_k[j] for t = 0 … T (1 at t = T, the empty product).
    pub forget_product: Option<Vec<f64>>,
    /// ‖step t's term of ∂ℓ/∂W_hh‖_F = ‖∂ℓ/∂z_t‖·‖h_{t−1}‖ for t = 1 … T (index t−1).
    pub grad_w_step: Vec<f64>,
    /// ∂ℓ/∂θ for every parameter, in PyTorch's layout.
    pub grad: Weights,
    /// ‖∂ℓ/∂θ‖ over all parameters together.
    pub param_grad_norm: f64,
    /// Going backward from t = T, the first (largest) t at which ‖∂ℓ/∂h_t‖, ‖∂ℓ/∂c_t‖ or the
    /// step-t weight-gradient norm is non-finite.
    pub overflow_from: Option<usize>,
    /// The first t of the forward pass at which h_t (or c_t) has a non-finite entry.
    pub forward_overflow_from: Option<usize>,
    /// RNN with ReLU only: the share of the units h_t[j], t = 1 … T, that are active (> 0)
    /// and so pass the gradient back; the others block it.
    pub active_fraction: Option<f64>,
    /// LSTM only: ∂ℓ/∂c_t split into the pure cell path and the rest.
    pub cell_split: Option<CellSplit>,
}

/// The LSTM's ∂ℓ/∂c_t = p_t + r_t, as norms for t = 0 … T.
///
/// p_t = (∏_{k=t+1}^{T} f_k) ⊙ ∂ℓ/∂c_T is the pure cell path: the gradient ∂ℓ/∂c_t would have
/// if h were detached in the recurrence (c_t reaching the loss only along c_{t+1}, …, c_T).
/// r_t is the rest, which reaches c_t through h_t, W_hh and the gates of later steps (the
/// homework's "other terms").
#[derive(Debug, Clone)]
pub struct CellSplit {
    /// ‖p_t‖.
    pub cell_path: Vec<f64>,
    /// ‖r_t‖ = ‖∂ℓ/∂c_t − p_t‖.
    pub through_w_hh: Vec<f64>,
}

/// y ← A x, or y ← y + A x with `Accum::Add` (faer's SIMD kernels, one thread).
fn mat_vec(y: &mut [f64], a: MatRef<'_, f64>, x: &[f64], accum: Accum) {
    matmul(
        ColMut::from_slice_mut(y).as_mat_mut(),
        accum,
        a,
        ColRef::from_slice(x).as_mat(),
        1.0,
        Par::Seq,
    );
}

/// y ← Aᵀ d for a row-major matrix `a` with `d.len()` rows and `y.len()` columns.
///
/// The same operations in the same order as faer's column-major matrix–vector product on
/// `MatRef::from_row_major_slice(a, ..).transpose()` (y ← 0, then row after row
/// y ← a_r·d_r + y with the same multiply–add, lane by lane), so the result is faer's bit for
/// bit; but four rows of A are added per pass over y, so y is read and written once per four
/// rows instead of once per row.
fn mat_t_vec(y: &mut [f64], a: &[f64], d: &[f64]) {
    pulp::Arch::new().dispatch(TransposedProduct { y, a, d });
}

struct TransposedProduct<'a> {
    y: &'a mut [f64],
    a: &'a [f64],
    d: &'a [f64],
}

impl WithSimd for TransposedProduct<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, simd: S) {
        let Self { y, a, d } = self;
        y.fill(0.0);
        let n = y.len();
        if n == 0 {
            return;
        }
        let blocks = a.chunks_exact(4 * n).zip(d.chunks_exact(4));
        let done = 4 * (d.len() / 4).min(a.len() / (4 * n));
        for (rows, d) in blocks {
            let (r0, rest) = rows.split_at(n);
            let (r1, rest) = rest.split_at(n);
            let (r2, r3) = rest.split_at(n);
            let coef = [d[0], d[1], d[2], d[3]].map(|x| simd.splat_f64s(x));
            let (y_body, y_tail) = S::as_mut_simd_f64s(y);
            let body = [r0, r1, r2, r3].map(|r| S::as_simd_f64s(r));
            let lanes = y_body
                .iter_mut()
                .zip(body[0].0)
                .zip(body[1].0)
                .zip(body[2].0)
                .zip(body[3].0);
            for ((((acc, &x0), &x1), &x2), &x3) in lanes {
                let mut v = *acc;
                v = simd.mul_add_e_f64s(x0, coef[0], v);
                v = simd.mul_add_e_f64s(x1, coef[1], v);
                v = simd.mul_add_e_f64s(x2, coef[2], v);
                v = simd.mul_add_e_f64s(x3, coef[3], v);
                *acc = v;
            }
            if !y_tail.is_empty() {
                let mut v = simd.partial_load_f64s(y_tail);
                for (r, c) in body.iter().zip(&coef) {
                    v = simd.mul_add_e_f64s(simd.partial_load_f64s(r.1), *c, v);
                }
                simd.partial_store_f64s(y_tail, v);
            }
        }
        // Rows left over when there are not four: one at a time.
        for (row, &dr) in a.chunks_exact(n).zip(d).skip(done) {
            let c = simd.splat_f64s(dr);
            let (y_body, y_tail) = S::as_mut_simd_f64s(y);
            let (r_body, r_tail) = S::as_simd_f64s(row);
            for (acc, &x) in y_body.iter_mut().zip(r_body) {
                *acc = simd.mul_add_e_f64s(x, c, *acc);
            }
            if !y_tail.is_empty() {
                let v = simd.partial_load_f64s(y_tail);
                let v = simd.mul_add_e_f64s(simd.partial_load_f64s(r_tail), c, v);
                simd.partial_store_f64s(y_tail, v);
            }
        }
    }
}

/// A buffer of f64 whose first entry starts a 64-byte cache line.
///
/// The loops stream W_hh from memory 2T times and read h_{t−1} against every row; when rows
/// start on a line (H a multiple of 8), no 32-byte load straddles two lines. At H = 512 that
/// made the forward product about 15% faster and the backward one about 5% than on the
/// 16-byte-aligned memory of a large allocation, for a copy costing one pass.
struct LineAligned {
    buf: Vec<f64>,
    start: usize,
}

impl LineAligned {
    /// An empty buffer with room for `len` entries after the first line boundary, and the
    /// number of entries before that boundary.
    fn reserve(len: usize) -> (Vec<f64>, usize) {
        const LINE: usize = 64;
        let buf = Vec::with_capacity(len + LINE / size_of::<f64>() - 1);
        // An f64 buffer is 8-byte aligned; filling it within its capacity does not move it.
        let start = (LINE - buf.as_ptr() as usize % LINE) % LINE / size_of::<f64>();
        (buf, start)
    }

    fn copy_of(src: &[f64]) -> Self {
        let (mut buf, start) = Self::reserve(src.len());
        buf.resize(start, 0.0);
        buf.extend_from_slice(src);
        LineAligned { buf, start }
    }

    fn zeros(len: usize) -> Self {
        let (mut buf, start) = Self::reserve(len);
        buf.resize(start + len, 0.0);
        LineAligned { buf, start }
    }

    fn as_slice(&self) -> &[f64] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    fn as_mut_slice(&mut self) -> &mut [f64] {
        self.buf.get_mut(self.start..).unwrap_or_default()
    }
}

/// One LSTM step after z_t = W_ih x_t + b + W_hh h_{t−1}: the gates in place (i, f, o through
/// σ, g through tanh), then c_t = f ⊙ c_{t−1} + i ⊙ g, tanh c_t and h_t = o ⊙ tanh c_t.
///
/// Compiled through pulp for the machine's widest SIMD: the operations are element-wise and
/// written as scalar code, so the results are those of scalar code bit for bit.
struct LstmForward<'a> {
    gates: &'a mut [f64],
    c_prev: &'a [f64],
    c: &'a mut [f64],
    tanh_c: &'a mut [f64],
    h: &'a mut [f64],
}

impl WithSimd for LstmForward<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let Self {
            gates,
            c_prev,
            c,
            tanh_c,
            h,
        } = self;
        let n = h.len();
        let (ifs, rest) = gates.split_at_mut((2 * n).min(gates.len()));
        let (gs, os) = rest.split_at_mut(n.min(rest.len()));
        ifs.iter_mut().for_each(|x| *x = elementwise::sigmoid(*x));
        os.iter_mut().for_each(|x| *x = elementwise::sigmoid(*x));
        gs.iter_mut().for_each(|x| *x = elementwise::tanh(*x));
        let (is, fs) = ifs.split_at(n.min(ifs.len()));
        let units = c
            .iter_mut()
            .zip(tanh_c.iter_mut())
            .zip(h.iter_mut())
            .zip(c_prev)
            .zip(is)
            .zip(fs)
            .zip(&*gs)
            .zip(&*os);
        for (((((((c, tc), h), &cp), &i), &f), &g), &o) in units {
            let cv = f * cp + i * g;
            *c = cv;
            *tc = elementwise::tanh(cv);
            *h = o * *tc;
        }
    }
}

/// One LSTM step of the backward pass: reads the activated gates of step t and overwrites
/// them with ∂ℓ/∂z_t; carries ∂ℓ/∂c back (`dc_carry` holds f_{t+1} ⊙ ∂ℓ/∂c_{t+1} on entry and
/// f_t ⊙ ∂ℓ/∂c_t on return) and the running forget-gate product, and splits ∂ℓ/∂c_t into the
/// pure cell path and the rest. Scalar code compiled through pulp, as `LstmForward`.
struct LstmBackward<'a> {
    gates: &'a mut [f64],
    tanh_c: &'a [f64],
    c_prev: &'a [f64],
    dh: &'a [f64],
    dc_carry: &'a mut [f64],
    dc: &'a mut [f64],
    running_forget: &'a mut [f64],
    /// ∂ℓ/∂c_T, written at the top step (t = T) and read at every step.
    dc_top: &'a mut [f64],
    top: bool,
    pure: &'a mut [f64],
    rest: &'a mut [f64],
}

impl WithSimd for LstmBackward<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _: S) {
        let Self {
            gates,
            tanh_c,
            c_prev,
            dh,
            dc_carry,
            dc,
            running_forget,
            dc_top,
            top,
            pure,
            rest,
        } = self;
        let n = dh.len();
        let (gi, more) = gates.split_at_mut(n.min(gates.len()));
        let (gf, more) = more.split_at_mut(n.min(more.len()));
        let (gg, go) = more.split_at_mut(n.min(more.len()));
        let n = n
            .min(go.len())
            .min(tanh_c.len())
            .min(c_prev.len())
            .min(dc_carry.len())
            .min(dc.len())
            .min(running_forget.len())
            .min(dc_top.len())
            .min(pure.len())
            .min(rest.len());
        let (gi, gf, gg, go) = (&mut gi[..n], &mut gf[..n], &mut gg[..n], &mut go[..n]);
        let (tanh_c, c_prev, dh) = (&tanh_c[..n], &c_prev[..n], &dh[..n]);
        let (dc_carry, dc, running_forget) =
            (&mut dc_carry[..n], &mut dc[..n], &mut running_forget[..n]);
        let (dc_top, pure, rest) = (&mut dc_top[..n], &mut pure[..n], &mut rest[..n]);
        for j in 0..n {
            let (i, f, g, o) = (gi[j], gf[j], gg[j], go[j]);
            let tc = tanh_c[j];
            let d = dc_carry[j] + dh[j] * o * (1.0 - tc * tc);
            dc[j] = d;
            if top {
                dc_top[j] = d;
            }
            pure[j] = running_forget[j] * dc_top[j];
            rest[j] = d - pure[j];
            gi[j] = d * g * i * (1.0 - i);
            gf[j] = d * c_prev[j] * f * (1.0 - f);
            gg[j] = d * i * (1.0 - g * g);
            go[j] = dh[j] * tc * o * (1.0 - o);
            dc_carry[j] = d * f;
            running_forget[j] *= f;
        }
    }
}

/// How ∂ℓ/∂W_hh = Σ_t ∂ℓ/∂z_t h_{t−1}ᵀ and ∂ℓ/∂W_ih = Σ_t ∂ℓ/∂z_t x_tᵀ are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum WeightProducts {
    /// One matrix product each after the backward loop, on this thread.
    AfterLoop,
    /// On a second thread while the backward loop goes on: one product per block of `rows`
    /// steps (blocks counted from t = T down, so the block holding t = 1 may be shorter), each
    /// added to the sum as soon as the loop has finished the block, last block first.
    Overlapped { rows: usize },
}

/// Steps per block of `WeightProducts::Overlapped`: a product of depth 128 keeps faer's kernel
/// efficient, and the last block, computed after the loop, is short.
const OVERLAP_ROWS: usize = 128;

impl WeightProducts {
    /// Overlapped when the products are large (at H = 512, T = 2000, about 0.1 s of one core
    /// against 0.45 s for the loop), after the loop otherwise.
    fn for_size(gsize: usize, hsize: usize, steps: usize) -> Self {
        if gsize.saturating_mul(hsize).saturating_mul(steps) > 1 << 24 {
            WeightProducts::Overlapped { rows: OVERLAP_ROWS }
        } else {
            WeightProducts::AfterLoop
        }
    }
}

/// The weight gradients being summed block by block: ∂ℓ/∂W_hh += DZᵀ H, ∂ℓ/∂W_ih += DZᵀ X over
/// the block's rows.
struct WeightSums<'a> {
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
    fn new(hs: &'a [f64], x: &'a [f64], gsize: usize, hsize: usize, isize: usize) -> Self {
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
fn backward_in_blocks<'a>(
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
fn backward_and_weight_products(
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

/// Runs the sequence forward and back-propagates ℓ = vᵀ h_T through time.
///
/// Backward recursions (z_t the pre-activation, da = ∂ℓ/∂z_t):
/// RNN: ∂ℓ/∂z_t = ∂ℓ/∂h_t ⊙ φ'(z_t), ∂ℓ/∂h_{t−1} = W_hhᵀ ∂ℓ/∂z_t.
/// LSTM: ∂ℓ/∂c_t = f_{t+1} ⊙ ∂ℓ/∂c_{t+1} + ∂ℓ/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t), and the gate
/// derivatives through σ' = σ(1 − σ), tanh' = 1 − tanh². Weight gradients are the sums
/// ∂ℓ/∂W_hh = Σ_t ∂ℓ/∂z_t h_{t−1}ᵀ, ∂ℓ/∂W_ih = Σ_t ∂ℓ/∂z_t x_tᵀ, ∂ℓ/∂b = Σ_t ∂ℓ/∂z_t.
///
/// `activation` is used by the RNN only. The sizes are read from the arrays; they must agree
/// with each other and with `cell` (as `draw` makes them), otherwise a one-line error says
/// which array is off.
pub fn bptt(
    cell: CellKind,
    activation: Activation,
    w: &Weights,
    inputs: &Array2<f64>,
    v: &Array1<f64>,
) -> Result<Bptt, ShapeError> {
    let h = v.len();
    let g = cell.gate_count() * h;
    let i = inputs.ncols();
    let shapes = [
        ("weight_hh_l0", w.w_hh.dim(), (g, h)),
        ("weight_ih_l0", w.w_ih.dim(), (g, i)),
        ("bias_ih_l0", (w.b_ih.len(), 1), (g, 1)),
        ("bias_hh_l0", (w.b_hh.len(), 1), (g, 1)),
    ];
    if h == 0 {
        return Err(ShapeError::EmptyV);
    }
    for (name, got, want) in shapes {
        if got != want {
            return Err(ShapeError::Array {
                name,
                got,
                want,
                cell,
                hidden: h,
                input: i,
            });
        }
    }
    Ok(bptt_checked(cell, activation, w, inputs, v))
}

/// `bptt` once the shapes are known to agree.
pub(super) fn bptt_checked(
    cell: CellKind,
    activation: Activation,
    w: &Weights,
    inputs: &Array2<f64>,
    v: &Array1<f64>,
) -> Bptt {
    let plan = WeightProducts::for_size(w.w_hh.nrows(), w.w_hh.ncols(), inputs.nrows());
    bptt_planned(cell, activation, w, inputs, v, plan)
}

/// `bptt_checked` with the weight products formed as `plan` says.
pub(super) fn bptt_planned(
    cell: CellKind,
    activation: Activation,
    w: &Weights,
    inputs: &Array2<f64>,
    v: &Array1<f64>,
    plan: WeightProducts,
) -> Bptt {
    let sizes = Sizes {
        steps: inputs.nrows(),
        hsize: w.w_hh.ncols(),
        gsize: w.w_hh.nrows(),
        isize: inputs.ncols(),
    };
    let w_hh = LineAligned::copy_of(&row_major(&w.w_hh));
    // One copy of W_hh serves both passes: the forward reads its rows as W_hh h, the backward
    // adds them up as W_hhᵀ dz (`mat_t_vec`). A second, transposed copy measured slower.
    let w_hh = w_hh.as_slice();
    let x = row_major(inputs);
    let mut z = input_preactivations(w, &x, sizes);
    let mut trace = Trace::new(sizes, v);
    let pass = PassInputs {
        w_hh,
        x: &x,
        sizes,
        plan,
    };
    let (g_hh, g_ih, lstm) = match cell {
        CellKind::Rnn => {
            rnn_forward(activation, &pass, &mut z, &mut trace);
            let (g_hh, g_ih) = rnn_backward(activation, &pass, &mut z, &mut trace);
            (g_hh, g_ih, None)
        }
        CellKind::Lstm => {
            let arch = pulp::Arch::new();
            let cells = lstm_forward(arch, &pass, &mut z, &mut trace);
            let (g_hh, g_ih, lstm) = lstm_backward(arch, &pass, &mut z, &mut trace, &cells);
            (g_hh, g_ih, Some(lstm))
        }
    };
    let (steps, hsize) = (sizes.steps, sizes.hsize);
    let hs = trace.hs.as_slice();
    let loss = v.iter().zip(&hs[steps * hsize..]).map(|(a, b)| a * b).sum();
    let active_fraction = (cell == CellKind::Rnn && activation == Activation::Relu).then(|| {
        let active = hs[hsize..].iter().filter(|&&h| h > 0.0).count();
        active as f64 / (steps * hsize) as f64
    });
    let g_b = bias_gradient(&z, sizes.gsize);
    let grad = Weights {
        w_ih: g_ih,
        w_hh: g_hh,
        b_ih: g_b.clone(),
        b_hh: g_b,
    };
    let param_grad_norm = grad.global_norm();
    let (grad_c, forget_product, cell_split) = match lstm {
        Some(l) => (Some(l.grad_c), Some(l.forget_product), Some(l.cell_split)),
        None => (None, None, None),
    };
    let Trace {
        grad_h,
        grad_w_step,
        forward_overflow_from,
        ..
    } = trace;
    let overflow_from = first_overflow_backward(&grad_h, grad_c.as_deref(), &grad_w_step);
    Bptt {
        loss,
        grad_h,
        grad_c,
        forget_product,
        grad_w_step,
        grad,
        param_grad_norm,
        overflow_from,
        forward_overflow_from,
        active_fraction,
        cell_split,
    }
}

/// The sizes of one pass: T, H, the gate rows G (H or 4H) and I.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    steps: usize,
    hsize: usize,
    gsize: usize,
    isize: usize,
}

/// What every phase of a pass reads: W_hh (row-major, line-aligned), X (row-major), the sizes
/// and how the weight products are formed.
struct PassInputs<'a> {
    w_hh: &'a [f64],
    x: &'a [f64],
    sizes: Sizes,
    plan: WeightProducts,
}

/// What both cells' passes fill in: the hidden states and their norms going forward,
/// ∂ℓ/∂h_t and the weight-gradient norms going back.
struct Trace {
    /// h_t in row t of a (T+1)×H row-major buffer; h_0 = 0.
    hs: LineAligned,
    /// ‖h_t‖ for t = 0 … T.
    h_norm: Vec<f64>,
    forward_overflow_from: Option<usize>,
    /// ‖∂ℓ/∂h_t‖ for t = 0 … T.
    grad_h: Vec<f64>,
    /// ‖∂ℓ/∂z_t‖·‖h_{t−1}‖ for t = 1 … T (index t−1).
    grad_w_step: Vec<f64>,
    /// ∂ℓ/∂h_t at the step being taken back (∂ℓ/∂h_T = v to begin with).
    dh: Vec<f64>,
    /// ∂ℓ/∂h_{t−1}, being formed.
    dh_prev: Vec<f64>,
}

impl Trace {
    fn new(sizes: Sizes, v: &Array1<f64>) -> Self {
        let Sizes { steps, hsize, .. } = sizes;
        let dh: Vec<f64> = v.iter().copied().collect();
        let mut grad_h = vec![0.0; steps + 1];
        grad_h[steps] = l2_norm(&dh);
        Trace {
            hs: LineAligned::zeros((steps + 1) * hsize),
            h_norm: vec![0.0; steps + 1],
            forward_overflow_from: None,
            grad_h,
            grad_w_step: vec![0.0; steps],
            dh,
            dh_prev: vec![0.0; hsize],
        }
    }
}

/// What the LSTM's backward loop carries from step to step, per unit.
struct CellCarry {
    /// f_{t+1} ⊙ ∂ℓ/∂c_{t+1}, then f_t ⊙ ∂ℓ/∂c_t.
    dc_carry: Vec<f64>,
    /// ∂ℓ/∂c_t.
    dc_t: Vec<f64>,
    /// ∏_{k>t} f_k.
    running_forget: Vec<f64>,
    /// The cell path alone: ∂ℓ/∂c_T carried back by the forget gates only (h detached in the
    /// recurrence); the rest of ∂ℓ/∂c_t came through W_hh into the gates.
    dc_top: Vec<f64>,
    /// ∂ℓ/∂c_t split into that pure cell path and the rest.
    pure: Vec<f64>,
    rest: Vec<f64>,
}

impl CellCarry {
    fn new(hsize: usize) -> Self {
        CellCarry {
            dc_carry: vec![0.0; hsize],
            dc_t: vec![0.0; hsize],
            running_forget: vec![1.0; hsize],
            dc_top: vec![0.0; hsize],
            pure: vec![0.0; hsize],
            rest: vec![0.0; hsize],
        }
    }

    /// Step t of the backward loop (`LstmBackward`): the activated gates of step t in `gates`
    /// are overwritten with ∂ℓ/∂z_t; `top` at t = T.
    #[inline]
    fn step(
        &mut self,
        arch: pulp::Arch,
        gates: &mut [f64],
        cells: &Cells,
        dh: &[f64],
        t: usize,
        top: bool,
    ) {
        let hsize = dh.len();
        arch.dispatch(LstmBackward {
            gates,
            tanh_c: &cells.tanh_c[(t - 1) * hsize..t * hsize],
            c_prev: &cells.cs[(t - 1) * hsize..t * hsize],
            dh,
            dc_carry: &mut self.dc_carry,
            dc: &mut self.dc_t,
            running_forget: &mut self.running_forget,
            dc_top: &mut self.dc_top,
            top,
            pure: &mut self.pure,
            rest: &mut self.rest,
        });
    }

    /// After the loop: ∂ℓ/∂c_0 (the carry) split into the cell path and the rest.
    fn split_at_start(&mut self) {
        for j in 0..self.pure.len() {
            self.pure[j] = self.running_forget[j] * self.dc_top[j];
            self.rest[j] = self.dc_carry[j] - self.pure[j];
        }
    }
}

/// The LSTM's own results of the backward pass.
struct LstmTrace {
    /// ‖∂ℓ/∂c_t‖ for t = 0 … T.
    grad_c: Vec<f64>,
    /// max_j ∏_{k=t+1}^{T} f_k[j] for t = 0 … T.
    forget_product: Vec<f64>,
    cell_split: CellSplit,
}

impl LstmTrace {
    fn new(steps: usize) -> Self {
        let mut forget_product = vec![0.0; steps + 1];
        forget_product[steps] = 1.0;
        LstmTrace {
            grad_c: vec![0.0; steps + 1],
            forget_product,
            cell_split: CellSplit {
                cell_path: vec![0.0; steps + 1],
                through_w_hh: vec![0.0; steps + 1],
            },
        }
    }
}

/// The LSTM's cell states c_t (row t of (T+1)×H, c_0 = 0) and tanh c_t (row t−1 of T×H).
struct Cells {
    cs: Vec<f64>,
    tanh_c: Vec<f64>,
}

/// Pre-activations of every step, input part first: Z = X W_ihᵀ + b_ih + b_hh (row t−1 is z_t).
fn input_preactivations(w: &Weights, x: &[f64], sizes: Sizes) -> Vec<f64> {
    let Sizes {
        steps,
        gsize,
        isize,
        ..
    } = sizes;
    let w_ih = row_major(&w.w_ih);
    let mut z = vec![0.0; steps * gsize];
    matmul(
        MatMut::from_row_major_slice_mut(&mut z, steps, gsize),
        Accum::Replace,
        MatRef::from_row_major_slice(x, steps, isize),
        MatRef::from_row_major_slice(&w_ih, gsize, isize).transpose(),
        1.0,
        Par::Seq,
    );
    let bias: Vec<f64> = w.b_ih.iter().zip(&w.b_hh).map(|(a, b)| a + b).collect();
    for row in z.chunks_exact_mut(gsize) {
        row.iter_mut().zip(&bias).for_each(|(z, b)| *z += b);
    }
    z
}

/// The RNN forward: z_t += W_hh h_{t−1}, h_t = φ(z_t), for t = 1 … T.
#[inline]
fn rnn_forward(activation: Activation, pass: &PassInputs<'_>, z: &mut [f64], trace: &mut Trace) {
    let Sizes {
        steps,
        hsize,
        gsize,
        ..
    } = pass.sizes;
    let forward = MatRef::from_row_major_slice(pass.w_hh, gsize, hsize);
    let hs = trace.hs.as_mut_slice();
    for t in 1..=steps {
        let (before, after) = hs.split_at_mut(t * hsize);
        let prev = &before[(t - 1) * hsize..];
        let cur = &mut after[..hsize];
        let zt = &mut z[(t - 1) * gsize..t * gsize];
        mat_vec(zt, forward, prev, Accum::Add);
        activation.apply_to(zt, cur);
        trace.h_norm[t] = l2_norm(cur);
        if trace.forward_overflow_from.is_none() && !trace.h_norm[t].is_finite() {
            trace.forward_overflow_from = Some(t);
        }
    }
}

/// The RNN backward loop, t = T … 1: ∂ℓ/∂z_t = ∂ℓ/∂h_t ⊙ φ'(z_t) over z's row t−1,
/// ∂ℓ/∂h_{t−1} = W_hhᵀ ∂ℓ/∂z_t; returns ∂ℓ/∂W_hh and ∂ℓ/∂W_ih.
#[inline]
fn rnn_backward(
    activation: Activation,
    pass: &PassInputs<'_>,
    z: &mut [f64],
    trace: &mut Trace,
) -> (Array2<f64>, Array2<f64>) {
    let PassInputs {
        w_hh,
        x,
        sizes,
        plan,
    } = *pass;
    let Sizes {
        steps,
        hsize,
        gsize,
        isize,
    } = sizes;
    let Trace {
        hs,
        h_norm,
        grad_h,
        grad_w_step,
        dh,
        dh_prev,
        ..
    } = trace;
    let hs = hs.as_slice();
    let sums = WeightSums::new(&hs[..steps * hsize], x, gsize, hsize, isize);
    backward_and_weight_products(z, sums, plan, |t, dz| {
        // z's row t−1 is overwritten with ∂ℓ/∂z_t, which the weight gradients use.
        let ht = &hs[t * hsize..(t + 1) * hsize];
        activation.backprop_to(ht, dh, dz);
        grad_w_step[t - 1] = l2_norm(dz) * h_norm[t - 1];
        mat_t_vec(dh_prev, w_hh, dz);
        grad_h[t - 1] = l2_norm(dh_prev);
        std::mem::swap(dh, dh_prev);
    })
}

/// The LSTM forward, t = 1 … T: z_t += W_hh h_{t−1}, then the cell (`LstmForward`), the gate
/// activations left in z's rows.
#[inline]
fn lstm_forward(
    arch: pulp::Arch,
    pass: &PassInputs<'_>,
    z: &mut [f64],
    trace: &mut Trace,
) -> Cells {
    let Sizes {
        steps,
        hsize,
        gsize,
        ..
    } = pass.sizes;
    let forward = MatRef::from_row_major_slice(pass.w_hh, gsize, hsize);
    let mut cs = vec![0.0; (steps + 1) * hsize];
    let mut tanh_c = vec![0.0; steps * hsize];
    let hs = trace.hs.as_mut_slice();
    for t in 1..=steps {
        let (before, after) = hs.split_at_mut(t * hsize);
        let prev = &before[(t - 1) * hsize..];
        let cur = &mut after[..hsize];
        let zt = &mut z[(t - 1) * gsize..t * gsize];
        mat_vec(zt, forward, prev, Accum::Add);
        let (c_before, c_after) = cs.split_at_mut(t * hsize);
        let ccur = &mut c_after[..hsize];
        arch.dispatch(LstmForward {
            gates: zt,
            c_prev: &c_before[(t - 1) * hsize..],
            c: ccur,
            tanh_c: &mut tanh_c[(t - 1) * hsize..t * hsize],
            h: cur,
        });
        trace.h_norm[t] = l2_norm(cur);
        if trace.forward_overflow_from.is_none()
            && !(trace.h_norm[t].is_finite() && ccur.iter().all(|c| c.is_finite()))
        {
            trace.forward_overflow_from = Some(t);
        }
    }
    Cells { cs, tanh_c }
}

/// The LSTM backward loop, t = T … 1 (`LstmBackward`), with ∂ℓ/∂c_t, the forget-gate products
/// and the split of ∂ℓ/∂c_t into the cell path and the rest; returns ∂ℓ/∂W_hh, ∂ℓ/∂W_ih and
/// those.
#[inline]
fn lstm_backward(
    arch: pulp::Arch,
    pass: &PassInputs<'_>,
    z: &mut [f64],
    trace: &mut Trace,
    cells: &Cells,
) -> (Array2<f64>, Array2<f64>, LstmTrace) {
    let PassInputs {
        w_hh,
        x,
        sizes,
        plan,
    } = *pass;
    let Sizes {
        steps,
        hsize,
        gsize,
        isize,
    } = sizes;
    let Trace {
        hs,
        h_norm,
        grad_h,
        grad_w_step,
        dh,
        dh_prev,
        ..
    } = trace;
    let mut lstm = LstmTrace::new(steps);
    let mut carry = CellCarry::new(hsize);
    let hs = hs.as_slice();
    let sums = WeightSums::new(&hs[..steps * hsize], x, gsize, hsize, isize);
    let (g_hh, g_ih) = backward_and_weight_products(z, sums, plan, |t, gates| {
        // The gate row is read and then overwritten with ∂ℓ/∂z_t.
        carry.step(arch, gates, cells, dh, t, steps == t);
        lstm.grad_c[t] = l2_norm(&carry.dc_t);
        lstm.cell_split.cell_path[t] = l2_norm(&carry.pure);
        lstm.cell_split.through_w_hh[t] = l2_norm(&carry.rest);
        lstm.forget_product[t - 1] = nan_max(carry.running_forget.iter().copied());
        grad_w_step[t - 1] = l2_norm(gates) * h_norm[t - 1];
        mat_t_vec(dh_prev, w_hh, gates);
        grad_h[t - 1] = l2_norm(dh_prev);
        std::mem::swap(dh, dh_prev);
    });
    lstm.grad_c[0] = l2_norm(&carry.dc_carry);
    carry.split_at_start();
    lstm.cell_split.cell_path[0] = l2_norm(&carry.pure);
    lstm.cell_split.through_w_hh[0] = l2_norm(&carry.rest);
    (g_hh, g_ih, lstm)
}

/// ∂ℓ/∂b = Σ_t ∂ℓ/∂z_t, from `z` holding ∂ℓ/∂z_t in row t−1.
fn bias_gradient(z: &[f64], gsize: usize) -> Array1<f64> {
    let mut g_b = Array1::zeros(gsize);
    for row in z.chunks_exact(gsize) {
        g_b.iter_mut().zip(row).for_each(|(b, d)| *b += d);
    }
    g_b
}

/// Going backward from t = T, the first t at which ‖∂ℓ/∂h_t‖, ‖∂ℓ/∂c_t‖ or the step-t
/// weight-gradient norm is non-finite.
fn first_overflow_backward(
    grad_h: &[f64],
    grad_c: Option<&[f64]>,
    grad_w_step: &[f64],
) -> Option<usize> {
    (0..grad_h.len()).rev().find(|&t| {
        !grad_h[t].is_finite()
            || grad_c.is_some_and(|c| !c[t].is_finite())
            || (t >= 1 && !grad_w_step[t - 1].is_finite())
    })
}

/// Applies `clip` to a gradient with the one clipping function the app has
/// (`crate::grad::Clip::apply`, PyTorch's `clip_grad_norm_` / `clip_grad_value_`).
///
/// Norm: g ← g·min(1, c/(‖g‖ + 1e-6)) with ‖g‖ the global norm; value: gᵢ ← clamp(gᵢ, −c, c).
/// A non-finite gradient stays non-finite, as in torch: a NaN norm makes every entry NaN,
/// an infinite one scales by 0 (so inf entries become NaN); value clipping maps ±inf to ±c
/// and keeps NaN.
pub fn clip_gradient(grad: &Weights, clip: Clip) -> Weights {
    let mut out = grad.standard_layout();
    if let (Some(w_ih), Some(w_hh), Some(b_ih), Some(b_hh)) = (
        out.w_ih.as_slice_mut(),
        out.w_hh.as_slice_mut(),
        out.b_ih.as_slice_mut(),
        out.b_hh.as_slice_mut(),
    ) {
        clip.apply(&mut [w_ih, w_hh, b_ih, b_hh]);
    }
    out
}

/// Arrays handed to `bptt` whose shapes do not agree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    /// v has no entries (the hidden size must be at least 1).
    EmptyV,
    /// One array's shape is not the one the others imply.
    Array {
        name: &'static str,
        got: (usize, usize),
        want: (usize, usize),
        cell: CellKind,
        hidden: usize,
        input: usize,
    },
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::EmptyV => f.write_str("v is empty (hidden size must be at least 1)"),
            ShapeError::Array {
                name,
                got,
                want,
                cell,
                hidden,
                input,
            } => write!(
                f,
                "{name} has shape {got:?} but a {cell} with hidden size {hidden} and input size {input} needs {want:?}"
            ),
        }
    }
}

impl std::error::Error for ShapeError {}

#[cfg(test)]
mod tests {
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
}
