//! The network: one recurrent layer (`torch.nn.RNN` or `torch.nn.LSTM`, batch-first) and a
//! linear head on the last hidden state, its parameters in one flat vector in PyTorch's
//! state_dict order, and the batched forward pass and backpropagation through time built on
//! matrix products (faer, one thread, so the numbers never depend on the machine's cores).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::cells;
use super::task::{Batch, Targets};
use crate::elementwise::exp;

/// The recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cell {
    /// `torch.nn.RNN`: h_t = φ(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh).
    Rnn,
    /// `torch.nn.LSTM`: gates i, f, g, o in that order, c_t = f c_{t−1} + i g, h_t = o tanh c_t.
    Lstm,
}

impl Cell {
    pub fn name(self) -> &'static str {
        match self {
            Cell::Rnn => "rnn",
            Cell::Lstm => "lstm",
        }
    }
    /// Number of H-row blocks in W_ih and W_hh: 1 for the RNN, 4 (i, f, g, o) for the LSTM.
    pub fn gates(self) -> usize {
        match self {
            Cell::Rnn => 1,
            Cell::Lstm => 4,
        }
    }
}

/// The RNN's nonlinearity (`nonlinearity=` of `torch.nn.RNN`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    Tanh,
    Relu,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
        }
    }
}

/// The sizes of a network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub cell: Cell,
    pub activation: Activation,
    /// Input channels I.
    pub input: usize,
    /// Hidden size H.
    pub hidden: usize,
    /// Outputs of the head O.
    pub output: usize,
}

/// One parameter tensor: its state_dict name, where it sits in the flat vector, its shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub name: &'static str,
    pub start: usize,
    pub rows: usize,
    /// 1 for a bias (a vector).
    pub cols: usize,
    pub is_vector: bool,
}

impl Part {
    pub fn range(&self) -> std::ops::Range<usize> {
        self.start..self.start + self.rows * self.cols
    }
}

impl Shape {
    /// Rows of W_ih and W_hh: gates × H.
    pub fn gate_rows(&self) -> usize {
        self.cell.gates() * self.hidden
    }

    /// Every parameter in state_dict order: rnn.weight_ih_l0 (G·H×I), rnn.weight_hh_l0
    /// (G·H×H), rnn.bias_ih_l0, rnn.bias_hh_l0 (G·H), head.weight (O×H), head.bias (O).
    pub fn parts(&self) -> [Part; 6] {
        let (g, i, h, o) = (self.gate_rows(), self.input, self.hidden, self.output);
        let sizes: [(&'static str, usize, usize, bool); 6] = [
            ("rnn.weight_ih_l0", g, i, false),
            ("rnn.weight_hh_l0", g, h, false),
            ("rnn.bias_ih_l0", g, 1, true),
            ("rnn.bias_hh_l0", g, 1, true),
            ("head.weight", o, h, false),
            ("head.bias", o, 1, true),
        ];
        let mut start = 0;
        sizes.map(|(name, rows, cols, is_vector)| {
            let part = Part {
                name,
                start,
                rows,
                cols,
                is_vector,
            };
            start += rows * cols;
            part
        })
    }

    /// Total number of parameters.
    pub fn len(&self) -> usize {
        self.parts()[5].range().end
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one forward and backward pass gives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pass {
    /// The batch loss (mean over the batch).
    pub loss: f64,
    /// Fraction of the batch classified right (classification only).
    pub accuracy: Option<f64>,
}

/// Buffers of one pass, allocated once per run and reused every iteration.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    /// Inputs time-major: T blocks of B×I.
    x: Vec<f64>,
    /// Pre-activations, then (LSTM) gate activations: T blocks of B×G.
    z: Vec<f64>,
    /// Hidden states h_0 = 0, h_1 … h_T: T+1 blocks of B×H.
    h: Vec<f64>,
    /// Cell states c_0 = 0 … c_T (LSTM).
    c: Vec<f64>,
    /// tanh(c_t) for t = 1 … T (LSTM).
    tc: Vec<f64>,
    /// Head outputs B×O and ∂ℓ/∂y.
    y: Vec<f64>,
    dy: Vec<f64>,
    /// ∂ℓ/∂z_t for every step: T blocks of B×G.
    dz: Vec<f64>,
    dh: Vec<f64>,
    dh_prev: Vec<f64>,
    dc: Vec<f64>,
    /// ‖∂ℓ/∂h_t‖ (Frobenius over the batch) for t = 1 … T, index t − 1.
    pub profile: Vec<f64>,
}

fn rm(s: &[f64], rows: usize, cols: usize) -> MatRef<'_, f64> {
    MatRef::from_row_major_slice(s, rows, cols)
}

fn rm_mut(s: &mut [f64], rows: usize, cols: usize) -> MatMut<'_, f64> {
    MatMut::from_row_major_slice_mut(s, rows, cols)
}

/// dst ← a·b (`Accum::Replace`) or dst ← dst + a·b (`Accum::Add`).
fn mm(dst: MatMut<'_, f64>, accum: Accum, a: MatRef<'_, f64>, b: MatRef<'_, f64>) {
    matmul(dst, accum, a, b, 1.0, Par::Seq);
}

/// Sizes a buffer of the workspace: zeros when its length changes, otherwise the last pass's
/// values, which every user of the buffer overwrites (h_0 and c_0, never written, stay 0).
fn resize(v: &mut Vec<f64>, n: usize) {
    if v.len() != n {
        v.clear();
        v.resize(n, 0.0);
    }
}

/// Runs `batch` through the network with parameters `params` (flat, see [`Shape::parts`]),
/// writes the gradient of the batch loss with respect to every parameter into `grads` (same
/// layout), and ‖∂ℓ/∂h_t‖ into `ws.profile`.
///
/// Forward: Z = X W_ihᵀ + 1 (b_ih + b_hh)ᵀ for all steps at once, then per step
/// z_t += h_{t−1} W_hhᵀ. Backward, with δ_t = ∂ℓ/∂z_t:
/// RNN δ_t = ∂ℓ/∂h_t ⊙ φ'(z_t); LSTM ∂ℓ/∂c_t = f_{t+1} ⊙ ∂ℓ/∂c_{t+1} + ∂ℓ/∂h_t ⊙ o_t ⊙
/// (1 − tanh² c_t), δ = (∂ℓ/∂c ⊙ g ⊙ i(1−i), ∂ℓ/∂c ⊙ c_{t−1} ⊙ f(1−f), ∂ℓ/∂c ⊙ i ⊙ (1−g²),
/// ∂ℓ/∂h ⊙ tanh c_t ⊙ o(1−o)); ∂ℓ/∂h_{t−1} = δ_t W_hh; and ∂ℓ/∂W_ih = Σ_t δ_tᵀ x_t,
/// ∂ℓ/∂W_hh = Σ_t δ_tᵀ h_{t−1}, ∂ℓ/∂b_ih = ∂ℓ/∂b_hh = Σ_t δ_tᵀ 1 as three products over all
/// steps at once.
///
/// The caller guarantees the sizes agree (`params.len() == shape.len()`, the batch's input
/// channels equal `shape.input`, classes < `shape.output`).
pub fn forward_backward(
    shape: &Shape,
    params: &[f64],
    batch: &Batch,
    grads: &mut [f64],
    ws: &mut Workspace,
) -> Pass {
    let w = Weights::of(shape, params);
    input_projection(shape, &w, batch, ws);
    recurrence(shape, &w, batch, ws);
    let pass = head_and_loss(shape, &w, batch, ws);
    let (g_rec, g_head) = grads.split_at_mut(w.head_start);
    backward_through_head(shape, &w, batch, g_head, ws);
    backward_through_time(shape, &w, batch, ws);
    recurrent_gradients(shape, batch, g_rec, ws);
    pass
}

/// The parameter tensors of the flat vector, as slices.
struct Weights<'p> {
    w_ih: &'p [f64],
    w_hh: &'p [f64],
    b_ih: &'p [f64],
    b_hh: &'p [f64],
    head_w: &'p [f64],
    head_b: &'p [f64],
    /// Where the head's parameters start (after the recurrent layer's).
    head_start: usize,
}

impl<'p> Weights<'p> {
    #[inline]
    fn of(shape: &Shape, params: &'p [f64]) -> Self {
        let [p_wih, p_whh, p_bih, p_bhh, p_hw, p_hb] = shape.parts();
        Weights {
            w_ih: &params[p_wih.range()],
            w_hh: &params[p_whh.range()],
            b_ih: &params[p_bih.range()],
            b_hh: &params[p_bhh.range()],
            head_w: &params[p_hw.range()],
            head_b: &params[p_hb.range()],
            head_start: p_hw.start,
        }
    }
}

/// The input part of the forward pass: the inputs time-major into `ws.x` and
/// Z = X W_ihᵀ + 1 (b_ih + b_hh)ᵀ for all steps at once into `ws.z`; the state buffers sized.
#[inline]
fn input_projection(shape: &Shape, w: &Weights<'_>, batch: &Batch, ws: &mut Workspace) {
    let (b, t_len, i_len) = (batch.batch, batch.steps, batch.input);
    let (h_len, g_len) = (shape.hidden, shape.gate_rows());
    let lstm = shape.cell == Cell::Lstm;

    // Inputs time-major, so each step's B×I block is contiguous.
    resize(&mut ws.x, t_len * b * i_len);
    for n in 0..b {
        for t in 0..t_len {
            let src = &batch.inputs[(n * t_len + t) * i_len..][..i_len];
            ws.x[(t * b + n) * i_len..][..i_len].copy_from_slice(src);
        }
    }
    resize(&mut ws.z, t_len * b * g_len);
    resize(&mut ws.h, (t_len + 1) * b * h_len);
    if lstm {
        resize(&mut ws.c, (t_len + 1) * b * h_len);
        resize(&mut ws.tc, t_len * b * h_len);
    }
    mm(
        rm_mut(&mut ws.z, t_len * b, g_len),
        Accum::Replace,
        rm(&ws.x, t_len * b, i_len),
        rm(w.w_ih, g_len, i_len).transpose(),
    );
    for row in ws.z.chunks_exact_mut(g_len) {
        for ((z, bi), bh) in row.iter_mut().zip(w.b_ih).zip(w.b_hh) {
            *z += bi + bh;
        }
    }
}

/// The recurrence: per step z_t += h_{t−1} W_hhᵀ and the cell, filling `ws.h` (and `ws.c`,
/// `ws.tc`); `ws.z` then holds the LSTM's gate activations.
#[inline]
fn recurrence(shape: &Shape, w: &Weights<'_>, batch: &Batch, ws: &mut Workspace) {
    let (b, t_len) = (batch.batch, batch.steps);
    let (h_len, g_len) = (shape.hidden, shape.gate_rows());
    let lstm = shape.cell == Cell::Lstm;
    let bh = b * h_len;
    let bg = b * g_len;
    for t in 0..t_len {
        let (h_past, h_next) = ws.h.split_at_mut((t + 1) * bh);
        let h_prev = &h_past[t * bh..];
        let z_t = &mut ws.z[t * bg..(t + 1) * bg];
        if t > 0 {
            // h_0 = 0 adds nothing at the first step.
            mm(
                rm_mut(z_t, b, g_len),
                Accum::Add,
                rm(h_prev, b, h_len),
                rm(w.w_hh, g_len, h_len).transpose(),
            );
        }
        let h_t = &mut h_next[..bh];
        if lstm {
            let (c_past, c_next) = ws.c.split_at_mut((t + 1) * bh);
            let tc_t = &mut ws.tc[t * bh..(t + 1) * bh];
            cells::lstm_forward(h_len, z_t, &c_past[t * bh..], &mut c_next[..bh], tc_t, h_t);
        } else {
            cells::rnn_forward(shape.activation, z_t, h_t);
        }
    }
}

/// The head on h_T (`ws.y`), the batch loss and ∂ℓ/∂y (`ws.dy`).
#[inline]
fn head_and_loss(shape: &Shape, w: &Weights<'_>, batch: &Batch, ws: &mut Workspace) -> Pass {
    let (b, t_len) = (batch.batch, batch.steps);
    let (h_len, o_len) = (shape.hidden, shape.output);
    let h_last = &ws.h[t_len * b * h_len..];
    resize(&mut ws.y, b * o_len);
    mm(
        rm_mut(&mut ws.y, b, o_len),
        Accum::Replace,
        rm(h_last, b, h_len),
        rm(w.head_w, o_len, h_len).transpose(),
    );
    for row in ws.y.chunks_exact_mut(o_len) {
        for (y, bias) in row.iter_mut().zip(w.head_b) {
            *y += bias;
        }
    }
    resize(&mut ws.dy, b * o_len);
    loss_and_gradient(&batch.targets, &ws.y, &mut ws.dy, o_len)
}

/// Backward through the head: its gradients into `g_head` (weight, then bias) and
/// ∂ℓ/∂h_T = ∂ℓ/∂y W_head into `ws.dh`; the buffers of the backward pass sized.
#[inline]
fn backward_through_head(
    shape: &Shape,
    w: &Weights<'_>,
    batch: &Batch,
    g_head: &mut [f64],
    ws: &mut Workspace,
) {
    let (b, t_len) = (batch.batch, batch.steps);
    let (h_len, g_len, o_len) = (shape.hidden, shape.gate_rows(), shape.output);
    let bh = b * h_len;
    let h_last = &ws.h[t_len * bh..];
    let (g_hw, g_hb) = g_head.split_at_mut(o_len * h_len);
    g_hb.fill(0.0);
    mm(
        rm_mut(g_hw, o_len, h_len),
        Accum::Replace,
        rm(&ws.dy, b, o_len).transpose(),
        rm(h_last, b, h_len),
    );
    for row in ws.dy.chunks_exact(o_len) {
        for (g, d) in g_hb.iter_mut().zip(row) {
            *g += d;
        }
    }
    resize(&mut ws.dh, bh);
    resize(&mut ws.dh_prev, bh);
    mm(
        rm_mut(&mut ws.dh, b, h_len),
        Accum::Replace,
        rm(&ws.dy, b, o_len),
        rm(w.head_w, o_len, h_len),
    );
    resize(&mut ws.dz, t_len * b * g_len);
    resize(&mut ws.profile, t_len);
    if shape.cell == Cell::Lstm {
        resize(&mut ws.dc, bh);
        ws.dc.fill(0.0);
    }
}

/// Backward through time: δ_t = ∂ℓ/∂z_t for every step into `ws.dz`, ‖∂ℓ/∂h_t‖ into
/// `ws.profile`, ∂ℓ/∂h_{t−1} = δ_t W_hh carried from step to step.
#[inline]
fn backward_through_time(shape: &Shape, w: &Weights<'_>, batch: &Batch, ws: &mut Workspace) {
    let (b, t_len) = (batch.batch, batch.steps);
    let (h_len, g_len) = (shape.hidden, shape.gate_rows());
    let lstm = shape.cell == Cell::Lstm;
    let bh = b * h_len;
    let bg = b * g_len;
    for t in (0..t_len).rev() {
        ws.profile[t] = crate::grad::l2_norm(&ws.dh);
        let dz_t = &mut ws.dz[t * bg..(t + 1) * bg];
        if lstm {
            let acts = &ws.z[t * bg..(t + 1) * bg];
            let c_prev = &ws.c[t * bh..(t + 1) * bh];
            let tc_t = &ws.tc[t * bh..(t + 1) * bh];
            cells::lstm_backward(h_len, acts, c_prev, tc_t, &ws.dh, &mut ws.dc, dz_t);
        } else {
            let h_t = &ws.h[(t + 1) * bh..(t + 2) * bh];
            cells::rnn_backward(shape.activation, h_t, &ws.dh, dz_t);
        }
        if t > 0 {
            mm(
                rm_mut(&mut ws.dh_prev, b, h_len),
                Accum::Replace,
                rm(dz_t, b, g_len),
                rm(w.w_hh, g_len, h_len),
            );
            std::mem::swap(&mut ws.dh, &mut ws.dh_prev);
        }
    }
}

/// The recurrent layer's gradients over all steps at once, into `g_rec` (W_ih, W_hh, b_ih,
/// b_hh): ∂ℓ/∂W_ih = Σ_t δ_tᵀ x_t, ∂ℓ/∂W_hh = Σ_t δ_tᵀ h_{t−1}, ∂ℓ/∂b_ih = ∂ℓ/∂b_hh = Σ_t δ_tᵀ 1.
#[inline]
fn recurrent_gradients(shape: &Shape, batch: &Batch, g_rec: &mut [f64], ws: &Workspace) {
    let (b, t_len, i_len) = (batch.batch, batch.steps, batch.input);
    let (h_len, g_len) = (shape.hidden, shape.gate_rows());
    let (g_wih, rest) = g_rec.split_at_mut(g_len * i_len);
    let (g_whh, rest) = rest.split_at_mut(g_len * h_len);
    let (g_bih, g_bhh) = rest.split_at_mut(g_len);
    g_bih.fill(0.0);
    mm(
        rm_mut(g_wih, g_len, i_len),
        Accum::Replace,
        rm(&ws.dz, t_len * b, g_len).transpose(),
        rm(&ws.x, t_len * b, i_len),
    );
    mm(
        rm_mut(g_whh, g_len, h_len),
        Accum::Replace,
        rm(&ws.dz, t_len * b, g_len).transpose(),
        rm(&ws.h[..t_len * b * h_len], t_len * b, h_len),
    );
    for row in ws.dz.chunks_exact(g_len) {
        for (g, d) in g_bih.iter_mut().zip(row) {
            *g += d;
        }
    }
    g_bhh.copy_from_slice(g_bih);
}

/// The batch loss of outputs `y` (B×O) and ∂ℓ/∂y into `dy`.
///
/// Regression: ℓ = (1/B) Σ (y − target)², ∂ℓ/∂y = 2(y − target)/B (`nn.MSELoss`).
/// Classification: ℓ = (1/B) Σ −log softmax(y)_target, ∂ℓ/∂y = (softmax(y) − onehot)/B
/// (`nn.CrossEntropyLoss`), with accuracy the fraction whose largest output is the target.
fn loss_and_gradient(targets: &Targets, y: &[f64], dy: &mut [f64], o_len: usize) -> Pass {
    match targets {
        Targets::Values(v) => {
            let b = v.len() as f64;
            let mut loss = 0.0;
            for ((d, y), t) in dy.iter_mut().zip(y).zip(v) {
                let e = y - t;
                loss += e * e;
                *d = 2.0 * e / b;
            }
            Pass {
                loss: loss / b,
                accuracy: None,
            }
        }
        Targets::Classes(c) => {
            let b = c.len() as f64;
            let mut loss = 0.0;
            let mut right = 0usize;
            for ((row, drow), &class) in
                y.chunks_exact(o_len).zip(dy.chunks_exact_mut(o_len)).zip(c)
            {
                let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let sum: f64 = row.iter().map(|v| exp(v - max)).sum();
                let log_sum = max + sum.ln();
                loss += log_sum - row[class];
                for (k, (d, v)) in drow.iter_mut().zip(row).enumerate() {
                    let p = exp(v - log_sum);
                    *d = (p - if k == class { 1.0 } else { 0.0 }) / b;
                }
                let best = row
                    .iter()
                    .enumerate()
                    .fold(
                        (0, f64::NEG_INFINITY),
                        |acc, (k, &v)| {
                            if v > acc.1 { (k, v) } else { acc }
                        },
                    )
                    .0;
                right += usize::from(best == class);
            }
            Pass {
                loss: loss / b,
                accuracy: Some(right as f64 / b),
            }
        }
    }
}

/// The batch loss alone (a forward pass; used by the finite-difference tests).
pub fn loss_only(shape: &Shape, params: &[f64], batch: &Batch, ws: &mut Workspace) -> f64 {
    let mut grads = vec![0.0; shape.len()];
    forward_backward(shape, params, batch, &mut grads, ws).loss
}
