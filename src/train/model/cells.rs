//! The cells' elementwise work for one time step over the whole batch: the LSTM's gates and
//! states forward, its δ backward, and the plain RNN's activation both ways.
//!
//! Each kernel runs inside `pulp::Arch::dispatch`, which compiles the loop a second time with
//! the processor's vector instructions (AVX2 where the machine has it, chosen when it runs) and
//! falls back to the plain loop elsewhere. Neither version contracts a·b + c into one rounding,
//! so both give the same bits: a run is reproducible from one machine to the next.

use super::network::Activation;
use crate::elementwise::{sigmoid, tanh};

/// One step's elementwise work, as pulp's `WithSimd` op. (A closure handed to `dispatch` is
/// compiled on its own, without the vector instructions; these bodies are inlined.)
enum Step<'a> {
    LstmForward {
        h_len: usize,
        z: &'a mut [f64],
        c_prev: &'a [f64],
        c: &'a mut [f64],
        tc: &'a mut [f64],
        h: &'a mut [f64],
    },
    LstmBackward {
        h_len: usize,
        acts: &'a [f64],
        c_prev: &'a [f64],
        tc: &'a [f64],
        dh: &'a [f64],
        dc: &'a mut [f64],
        dz: &'a mut [f64],
    },
    RnnForward {
        activation: Activation,
        z: &'a [f64],
        h: &'a mut [f64],
    },
    RnnBackward {
        activation: Activation,
        h: &'a [f64],
        dh: &'a [f64],
        dz: &'a mut [f64],
    },
}

impl pulp::WithSimd for Step<'_> {
    type Output = ();
    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        match self {
            Step::LstmForward {
                h_len,
                z,
                c_prev,
                c,
                tc,
                h,
            } => lstm_forward_rows(h_len, z, c_prev, c, tc, h),
            Step::LstmBackward {
                h_len,
                acts,
                c_prev,
                tc,
                dh,
                dc,
                dz,
            } => lstm_backward_rows(h_len, acts, c_prev, tc, dh, dc, dz),
            Step::RnnForward { activation, z, h } => rnn_forward_rows(activation, z, h),
            Step::RnnBackward {
                activation,
                h,
                dh,
                dz,
            } => rnn_backward_rows(activation, h, dh, dz),
        }
    }
}

/// LSTM forward for one step: `z` holds B rows of the pre-activations (i, f, g, o blocks of H)
/// and gets the gate activations; c_t = f c_{t−1} + i g, tanh c_t and h_t = o tanh c_t go to
/// `c`, `tc` and `h` (B rows of H).
pub fn lstm_forward(
    h_len: usize,
    z: &mut [f64],
    c_prev: &[f64],
    c: &mut [f64],
    tc: &mut [f64],
    h: &mut [f64],
) {
    pulp::Arch::new().dispatch(Step::LstmForward {
        h_len,
        z,
        c_prev,
        c,
        tc,
        h,
    });
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_forward_rows(
    h_len: usize,
    z: &mut [f64],
    c_prev: &[f64],
    c: &mut [f64],
    tc: &mut [f64],
    h: &mut [f64],
) {
    let rows = z
        .chunks_exact_mut(4 * h_len)
        .zip(c_prev.chunks_exact(h_len))
        .zip(c.chunks_exact_mut(h_len))
        .zip(tc.chunks_exact_mut(h_len))
        .zip(h.chunks_exact_mut(h_len));
    for ((((zr, cp), cr), tr), hr) in rows {
        let (ifg, zo) = zr.split_at_mut(3 * h_len);
        let (zif, zg) = ifg.split_at_mut(2 * h_len);
        // Simple passes over contiguous blocks, which the compiler vectorises.
        for x in zif.iter_mut() {
            *x = sigmoid(*x);
        }
        for x in zo.iter_mut() {
            *x = sigmoid(*x);
        }
        for x in zg.iter_mut() {
            *x = tanh(*x);
        }
        let (zi, zf) = zif.split_at(h_len);
        for ((((c, cp), i), f), g) in cr.iter_mut().zip(cp).zip(zi).zip(zf).zip(zg.iter()) {
            *c = f * cp + i * g;
        }
        for (((t, h), c), o) in tr
            .iter_mut()
            .zip(hr.iter_mut())
            .zip(cr.iter())
            .zip(zo.iter())
        {
            *t = tanh(*c);
            *h = o * *t;
        }
    }
}

/// LSTM backward for one step: from the gate activations `acts`, c_{t−1}, tanh c_t and
/// ∂ℓ/∂h_t (`dh`), writes δ_t into `dz` (B rows of 4H) and turns `dc` (∂ℓ/∂c_{t+1} ⊙ f_{t+1} on
/// entry) into f_t ⊙ ∂ℓ/∂c_t for the step before.
pub fn lstm_backward(
    h_len: usize,
    acts: &[f64],
    c_prev: &[f64],
    tc: &[f64],
    dh: &[f64],
    dc: &mut [f64],
    dz: &mut [f64],
) {
    pulp::Arch::new().dispatch(Step::LstmBackward {
        h_len,
        acts,
        c_prev,
        tc,
        dh,
        dc,
        dz,
    });
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lstm_backward_rows(
    h_len: usize,
    acts: &[f64],
    c_prev: &[f64],
    tc: &[f64],
    dh: &[f64],
    dc: &mut [f64],
    dz: &mut [f64],
) {
    let rows = acts
        .chunks_exact(4 * h_len)
        .zip(dz.chunks_exact_mut(4 * h_len))
        .zip(c_prev.chunks_exact(h_len))
        .zip(tc.chunks_exact(h_len))
        .zip(dh.chunks_exact(h_len))
        .zip(dc.chunks_exact_mut(h_len));
    for (((((a, d), cp), tr), dhr), dcr) in rows {
        let (ai, rest) = a.split_at(h_len);
        let (af, rest) = rest.split_at(h_len);
        let (ag, ao) = rest.split_at(h_len);
        let (di, rest) = d.split_at_mut(h_len);
        let (df, rest) = rest.split_at_mut(h_len);
        let (dg, do_) = rest.split_at_mut(h_len);
        // Passes with few arrays each, which the compiler vectorises.
        // ∂ℓ/∂c_t = f_{t+1} ∂ℓ/∂c_{t+1} + ∂ℓ/∂h_t ⊙ o ⊙ (1 − tanh² c_t)
        for (((dc, dh), o), t) in dcr.iter_mut().zip(dhr).zip(ao).zip(tr) {
            *dc += dh * o * (1.0 - t * t);
        }
        for (((d, dc), g), i) in di.iter_mut().zip(dcr.iter()).zip(ag).zip(ai) {
            *d = dc * g * i * (1.0 - i);
        }
        for (((d, dc), cp), f) in df.iter_mut().zip(dcr.iter()).zip(cp).zip(af) {
            *d = dc * cp * f * (1.0 - f);
        }
        for (((d, dc), i), g) in dg.iter_mut().zip(dcr.iter()).zip(ai).zip(ag) {
            *d = dc * i * (1.0 - g * g);
        }
        for (((d, dh), t), o) in do_.iter_mut().zip(dhr).zip(tr).zip(ao) {
            *d = dh * t * o * (1.0 - o);
        }
        for (dc, f) in dcr.iter_mut().zip(af) {
            *dc *= f;
        }
    }
}

/// RNN forward for one step: h_t = φ(z_t) entry by entry.
pub fn rnn_forward(activation: Activation, z: &[f64], h: &mut [f64]) {
    pulp::Arch::new().dispatch(Step::RnnForward { activation, z, h });
}

#[inline(always)]
fn rnn_forward_rows(activation: Activation, z: &[f64], h: &mut [f64]) {
    match activation {
        Activation::Tanh => {
            for (h, z) in h.iter_mut().zip(z) {
                *h = tanh(*z);
            }
        }
        Activation::Relu => {
            for (h, z) in h.iter_mut().zip(z) {
                *h = z.max(0.0);
            }
        }
    }
}

/// RNN backward for one step: δ_t = ∂ℓ/∂h_t ⊙ φ'(z_t), with φ' from h_t (1 − h² for tanh,
/// 1 where h > 0 for ReLU).
pub fn rnn_backward(activation: Activation, h: &[f64], dh: &[f64], dz: &mut [f64]) {
    pulp::Arch::new().dispatch(Step::RnnBackward {
        activation,
        h,
        dh,
        dz,
    });
}

#[inline(always)]
fn rnn_backward_rows(activation: Activation, h: &[f64], dh: &[f64], dz: &mut [f64]) {
    match activation {
        Activation::Tanh => {
            for ((d, dh), h) in dz.iter_mut().zip(dh).zip(h) {
                *d = dh * (1.0 - h * h);
            }
        }
        Activation::Relu => {
            for ((d, dh), h) in dz.iter_mut().zip(dh).zip(h) {
                *d = if *h > 0.0 { *dh } else { 0.0 };
            }
        }
    }
}
