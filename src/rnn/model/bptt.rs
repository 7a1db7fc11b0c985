//! The forward pass and back-propagation through time, exactly, for one draw.

use std::fmt;

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use ndarray::{Array1, Array2};

use super::draw::{Weights, nan_max, row_major};
use super::params::{Activation, CellKind};
use crate::grad::{Clip, l2_norm};

mod kernels;
mod weight_products;

use kernels::{LineAligned, LstmBackward, LstmForward, mat_t_vec, mat_vec};
pub(super) use weight_products::WeightProducts;
use weight_products::{WeightSums, backward_and_weight_products};

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
    let Trace {
        hs,
        h_norm,
        forward_overflow_from,
        ..
    } = trace;
    let hs = hs.as_mut_slice();
    for t in 1..=steps {
        let (before, after) = hs.split_at_mut(t * hsize);
        let prev = &before[(t - 1) * hsize..];
        let cur = &mut after[..hsize];
        let zt = &mut z[(t - 1) * gsize..t * gsize];
        mat_vec(zt, forward, prev, Accum::Add);
        activation.apply_to(zt, cur);
        h_norm[t] = l2_norm(cur);
        if forward_overflow_from.is_none() && !h_norm[t].is_finite() {
            *forward_overflow_from = Some(t);
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
    let Trace {
        hs,
        h_norm,
        forward_overflow_from,
        ..
    } = trace;
    let hs = hs.as_mut_slice();
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
        h_norm[t] = l2_norm(cur);
        if forward_overflow_from.is_none()
            && !(h_norm[t].is_finite() && ccur.iter().all(|c| c.is_finite()))
        {
            *forward_overflow_from = Some(t);
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
mod tests;
