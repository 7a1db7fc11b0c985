//! The forward pass and back-propagation through time, exactly, for one draw.

use std::fmt;

use faer::linalg::matmul::matmul;
use faer::{Accum, ColMut, ColRef, MatMut, MatRef, Par};
use ndarray::{Array1, Array2};

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
    let hsize = w.w_hh.ncols();
    let steps = inputs.nrows();
    let gsize = w.w_hh.nrows();
    let isize = inputs.ncols();
    let w_hh = row_major(&w.w_hh);
    // One copy of W_hh serves both passes (the forward reads rows, the backward reads the
    // same memory as W_hhᵀ): a second, transposed copy measured slower, the two no longer
    // fitting in L2 together for the LSTM.
    let forward = MatRef::from_row_major_slice(&w_hh, gsize, hsize);
    let backward = forward.transpose();
    let x = row_major(inputs);
    let w_ih = row_major(&w.w_ih);

    // Pre-activations of every step, input part first: Z = X W_ihᵀ + b_ih + b_hh (row t−1 is z_t).
    let mut z = vec![0.0; steps * gsize];
    matmul(
        MatMut::from_row_major_slice_mut(&mut z, steps, gsize),
        Accum::Replace,
        MatRef::from_row_major_slice(&x, steps, isize),
        MatRef::from_row_major_slice(&w_ih, gsize, isize).transpose(),
        1.0,
        Par::Seq,
    );
    let bias: Vec<f64> = w.b_ih.iter().zip(&w.b_hh).map(|(a, b)| a + b).collect();
    for row in z.chunks_exact_mut(gsize) {
        row.iter_mut().zip(&bias).for_each(|(z, b)| *z += b);
    }

    // h_t in row t of a (T+1)×H row-major buffer; h_0 = 0.
    let mut hs = vec![0.0; (steps + 1) * hsize];
    let mut h_norm = vec![0.0; steps + 1];
    let mut forward_overflow_from = None;

    let mut grad_h = vec![0.0; steps + 1];
    let mut grad_w_step = vec![0.0; steps];
    let mut dh: Vec<f64> = v.iter().copied().collect();
    let mut dh_prev = vec![0.0; hsize];
    grad_h[steps] = l2_norm(&dh);
    let h_last =
        |hs: &[f64]| -> f64 { v.iter().zip(&hs[steps * hsize..]).map(|(a, b)| a * b).sum() };

    let mut active_fraction = None;
    let mut cell_split = None;
    let (loss, grad_c, forget_product) = match cell {
        CellKind::Rnn => {
            for t in 1..=steps {
                let (before, after) = hs.split_at_mut(t * hsize);
                let prev = &before[(t - 1) * hsize..];
                let cur = &mut after[..hsize];
                let zt = &mut z[(t - 1) * gsize..t * gsize];
                mat_vec(zt, forward, prev, Accum::Add);
                activation.apply_to(zt, cur);
                h_norm[t] = l2_norm(cur);
                if forward_overflow_from.is_none() && !h_norm[t].is_finite() {
                    forward_overflow_from = Some(t);
                }
            }
            let loss = h_last(&hs);
            if activation == Activation::Relu {
                let active = hs[hsize..].iter().filter(|&&h| h > 0.0).count();
                active_fraction = Some(active as f64 / (steps * hsize) as f64);
            }
            for t in (1..=steps).rev() {
                // z's row t−1 is overwritten with ∂ℓ/∂z_t, which the weight gradients use.
                let dz = &mut z[(t - 1) * gsize..t * gsize];
                let ht = &hs[t * hsize..(t + 1) * hsize];
                activation.backprop_to(ht, &dh, dz);
                grad_w_step[t - 1] = l2_norm(dz) * h_norm[t - 1];
                mat_vec(&mut dh_prev, backward, dz, Accum::Replace);
                grad_h[t - 1] = l2_norm(&dh_prev);
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            (loss, None, None)
        }
        CellKind::Lstm => {
            let mut cs = vec![0.0; (steps + 1) * hsize];
            let mut tanh_c = vec![0.0; steps * hsize];
            for t in 1..=steps {
                let (before, after) = hs.split_at_mut(t * hsize);
                let prev = &before[(t - 1) * hsize..];
                let cur = &mut after[..hsize];
                let zt = &mut z[(t - 1) * gsize..t * gsize];
                mat_vec(zt, forward, prev, Accum::Add);
                // Activate the gates in place: i, f, o through σ, g through tanh.
                let (ifs, rest) = zt.split_at_mut(2 * hsize);
                let (gs, os) = rest.split_at_mut(hsize);
                ifs.iter_mut().for_each(|x| *x = elementwise::sigmoid(*x));
                os.iter_mut().for_each(|x| *x = elementwise::sigmoid(*x));
                gs.iter_mut().for_each(|x| *x = elementwise::tanh(*x));
                let (c_before, c_after) = cs.split_at_mut(t * hsize);
                let cprev = &c_before[(t - 1) * hsize..];
                let ccur = &mut c_after[..hsize];
                let tc = &mut tanh_c[(t - 1) * hsize..t * hsize];
                for j in 0..hsize {
                    let c = ifs[hsize + j] * cprev[j] + ifs[j] * gs[j];
                    ccur[j] = c;
                    tc[j] = elementwise::tanh(c);
                    cur[j] = os[j] * tc[j];
                }
                h_norm[t] = l2_norm(cur);
                if forward_overflow_from.is_none()
                    && !(h_norm[t].is_finite() && ccur.iter().all(|c| c.is_finite()))
                {
                    forward_overflow_from = Some(t);
                }
            }
            let loss = h_last(&hs);
            let mut grad_c = vec![0.0; steps + 1];
            let mut forget_product = vec![0.0; steps + 1];
            forget_product[steps] = 1.0;
            let mut dc_carry = vec![0.0; hsize];
            let mut dc_t = vec![0.0; hsize];
            let mut running_forget = vec![1.0; hsize];
            // The cell path alone: ∂ℓ/∂c_T carried back by the forget gates only (h detached in
            // the recurrence); the rest of ∂ℓ/∂c_t came through W_hh into the gates.
            let mut dc_top = vec![0.0; hsize];
            let mut cell_path = vec![0.0; steps + 1];
            let mut through_w_hh = vec![0.0; steps + 1];
            let mut pure = vec![0.0; hsize];
            let mut rest = vec![0.0; hsize];
            for t in (1..=steps).rev() {
                // The gate row is read and then overwritten with ∂ℓ/∂z_t.
                let gates = &mut z[(t - 1) * gsize..t * gsize];
                let tc = &tanh_c[(t - 1) * hsize..t * hsize];
                let cprev = &cs[(t - 1) * hsize..t * hsize];
                for j in 0..hsize {
                    let (i, f, g, o) = (
                        gates[j],
                        gates[hsize + j],
                        gates[2 * hsize + j],
                        gates[3 * hsize + j],
                    );
                    let dc = dc_carry[j] + dh[j] * o * (1.0 - tc[j] * tc[j]);
                    dc_t[j] = dc;
                    if t == steps {
                        dc_top[j] = dc;
                    }
                    pure[j] = running_forget[j] * dc_top[j];
                    rest[j] = dc - pure[j];
                    gates[j] = dc * g * i * (1.0 - i);
                    gates[hsize + j] = dc * cprev[j] * f * (1.0 - f);
                    gates[2 * hsize + j] = dc * i * (1.0 - g * g);
                    gates[3 * hsize + j] = dh[j] * tc[j] * o * (1.0 - o);
                    dc_carry[j] = dc * f;
                    running_forget[j] *= f;
                }
                grad_c[t] = l2_norm(&dc_t);
                cell_path[t] = l2_norm(&pure);
                through_w_hh[t] = l2_norm(&rest);
                forget_product[t - 1] = nan_max(running_forget.iter().copied());
                let dz = &z[(t - 1) * gsize..t * gsize];
                grad_w_step[t - 1] = l2_norm(dz) * h_norm[t - 1];
                mat_vec(&mut dh_prev, backward, dz, Accum::Replace);
                grad_h[t - 1] = l2_norm(&dh_prev);
                std::mem::swap(&mut dh, &mut dh_prev);
            }
            grad_c[0] = l2_norm(&dc_carry);
            for j in 0..hsize {
                pure[j] = running_forget[j] * dc_top[j];
                rest[j] = dc_carry[j] - pure[j];
            }
            cell_path[0] = l2_norm(&pure);
            through_w_hh[0] = l2_norm(&rest);
            cell_split = Some(CellSplit {
                cell_path,
                through_w_hh,
            });
            (loss, Some(grad_c), Some(forget_product))
        }
    };

    // z now holds ∂ℓ/∂z_t in row t−1: ∂ℓ/∂W_hh = Zᵀ H_{0..T−1}, ∂ℓ/∂W_ih = Zᵀ X.
    let dz_t = MatRef::from_row_major_slice(&z, steps, gsize).transpose();
    // Only the big products are worth threads.
    let par = if gsize * hsize * steps > 1 << 24 {
        faer::get_global_parallelism()
    } else {
        Par::Seq
    };
    let mut g_hh = Array2::zeros((gsize, hsize));
    let mut g_ih = Array2::zeros((gsize, isize));
    if let (Some(out_hh), Some(out_ih)) = (g_hh.as_slice_mut(), g_ih.as_slice_mut()) {
        matmul(
            MatMut::from_row_major_slice_mut(out_hh, gsize, hsize),
            Accum::Replace,
            dz_t,
            MatRef::from_row_major_slice(&hs[..steps * hsize], steps, hsize),
            1.0,
            par,
        );
        matmul(
            MatMut::from_row_major_slice_mut(out_ih, gsize, isize),
            Accum::Replace,
            dz_t,
            MatRef::from_row_major_slice(&x, steps, isize),
            1.0,
            par,
        );
    }
    let mut g_b = Array1::zeros(gsize);
    for row in z.chunks_exact(gsize) {
        g_b.iter_mut().zip(row).for_each(|(b, d)| *b += d);
    }
    let grad = Weights {
        w_ih: g_ih,
        w_hh: g_hh,
        b_ih: g_b.clone(),
        b_hh: g_b,
    };
    let param_grad_norm = grad.global_norm();

    let overflow_from = (0..=steps).rev().find(|&t| {
        !grad_h[t].is_finite()
            || grad_c.as_ref().is_some_and(|c| !c[t].is_finite())
            || (t >= 1 && !grad_w_step[t - 1].is_finite())
    });

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
