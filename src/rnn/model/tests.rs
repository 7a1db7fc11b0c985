//! The model against independent truths: finite differences through a plain-loop forward
//! pass, closed forms (ρ^(T−t) for an orthogonal identity RNN), direct products of the gates.

use ndarray::{Array1, Array2, s};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::bptt::{WeightProducts, bptt_planned};
use super::draw::gaussian_matrix;
use super::*;
use crate::controls::Cycle;

/// A perturbation of the forward pass for finite differences.
#[derive(Clone, Copy, Default)]
struct Nudge {
    /// Add δ to h_t[j] right after step t (t = 0 is the initial state).
    h: Option<(usize, usize, f64)>,
    /// Add δ to c_t[j] before h_t is computed from it (LSTM).
    c: Option<(usize, usize, f64)>,
    /// Add δ to W_hh[r][k] at step t only.
    w_hh_at_step: Option<(usize, usize, usize, f64)>,
}

struct Reference {
    loss: f64,
    /// f_t[j] for t = 1 … T (index t−1), LSTM only.
    forget: Vec<Vec<f64>>,
    /// o_t[j] and c_t[j] for t = 1 … T (index t−1), LSTM only.
    out_gate: Vec<Vec<f64>>,
    cell: Vec<Vec<f64>>,
    /// h_t for t = 1 … T (index t−1).
    hidden: Vec<Vec<f64>>,
}

/// z_t = b_ih + b_hh + W_ih x_t + W_hh h_{t−1} by plain loops, with `w_hh_nudge` = (r, k, d)
/// adding d to W_hh[r, k] for this step only.
#[allow(clippy::needless_range_loop)] // index loops mirror the subscripts of the equations
fn plain_preactivation(
    w: &Weights,
    x: &Array2<f64>,
    t: usize,
    h_prev: &[f64],
    w_hh_nudge: Option<(usize, usize, f64)>,
) -> Vec<f64> {
    let rows = w.w_hh.nrows();
    let mut z = vec![0.0; rows];
    for r in 0..rows {
        let mut acc = w.b_ih[r] + w.b_hh[r];
        for k in 0..x.ncols() {
            acc += w.w_ih[[r, k]] * x[[t - 1, k]];
        }
        for k in 0..h_prev.len() {
            let mut wrk = w.w_hh[[r, k]];
            if let Some((rr, kk, d)) = w_hh_nudge
                && rr == r
                && kk == k
            {
                wrk += d;
            }
            acc += wrk * h_prev[k];
        }
        z[r] = acc;
    }
    z
}

/// Independent forward pass with plain loops, straight from the equations.
#[allow(clippy::needless_range_loop)] // index loops mirror the subscripts of the equations
fn reference(
    cell: CellKind,
    act: Activation,
    w: &Weights,
    x: &Array2<f64>,
    v: &Array1<f64>,
    nudge: Nudge,
) -> Reference {
    let hs = w.w_hh.ncols();
    let steps = x.nrows();
    let mut h = vec![0.0; hs];
    let mut c = vec![0.0; hs];
    let apply_h = |h: &mut Vec<f64>, t: usize| {
        if let Some((tt, j, d)) = nudge.h
            && tt == t
        {
            h[j] += d;
        }
    };
    let apply_c = |c: &mut Vec<f64>, t: usize| {
        if let Some((tt, j, d)) = nudge.c
            && tt == t
        {
            c[j] += d;
        }
    };
    apply_h(&mut h, 0);
    apply_c(&mut c, 0);
    let mut forget = Vec::new();
    let mut out_gate = Vec::new();
    let mut cells = Vec::new();
    let mut hidden = Vec::new();
    for t in 1..=steps {
        let w_hh_nudge = nudge
            .w_hh_at_step
            .filter(|&(tt, ..)| tt == t)
            .map(|(_, r, k, d)| (r, k, d));
        let z = plain_preactivation(w, x, t, &h, w_hh_nudge);
        match cell {
            CellKind::Rnn => {
                for j in 0..hs {
                    h[j] = match act {
                        Activation::Identity => z[j],
                        Activation::Tanh => z[j].tanh(),
                        Activation::Relu => z[j].max(0.0),
                        Activation::Sigmoid => 1.0 / (1.0 + (-z[j]).exp()),
                    };
                }
            }
            CellKind::Lstm => {
                let sig = |a: f64| 1.0 / (1.0 + (-a).exp());
                let mut f_t = vec![0.0; hs];
                for j in 0..hs {
                    let i = sig(z[j]);
                    let f = sig(z[hs + j]);
                    let g = z[2 * hs + j].tanh();
                    c[j] = f * c[j] + i * g;
                    f_t[j] = f;
                }
                // c_t is nudged before h_t = o ⊙ tanh(c_t) reads it: the total derivative.
                apply_c(&mut c, t);
                let o_t: Vec<f64> = (0..hs).map(|j| sig(z[3 * hs + j])).collect();
                for j in 0..hs {
                    h[j] = o_t[j] * c[j].tanh();
                }
                forget.push(f_t);
                out_gate.push(o_t);
                cells.push(c.clone());
            }
        }
        hidden.push(h.clone());
        apply_h(&mut h, t);
    }
    let loss = (0..hs).map(|j| v[j] * h[j]).sum();
    Reference {
        loss,
        forget,
        out_gate,
        cell: cells,
        hidden,
    }
}

fn small(cell: CellKind, act: Activation, rho: f64, seed: u64) -> Params {
    Params {
        cell,
        activation: act,
        hidden: 3,
        steps: 6,
        input_size: 2,
        rho,
        seed,
        forget_bias: 0.5,
        ..Params::default()
    }
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let diff: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    l2_norm(&diff) / l2_norm(b).max(1e-300)
}

const EPS: f64 = 1e-5;

/// Central difference of the loss with respect to one entry of one parameter array.
fn fd_params(p: &Params, r: &Run) -> Vec<f64> {
    let mut out = Vec::new();
    let loss_with = |w: &Weights| {
        reference(
            p.cell,
            p.activation,
            w,
            &r.draws.inputs,
            &r.draws.v,
            Nudge::default(),
        )
        .loss
    };
    for which in 0..4 {
        let n = match which {
            0 => r.draws.weights.w_ih.len(),
            1 => r.draws.weights.w_hh.len(),
            2 => r.draws.weights.b_ih.len(),
            _ => r.draws.weights.b_hh.len(),
        };
        for k in 0..n {
            let mut plus = r.draws.weights.clone();
            let mut minus = r.draws.weights.clone();
            for (w, d) in [(&mut plus, EPS), (&mut minus, -EPS)] {
                let slot = match which {
                    0 => w.w_ih.iter_mut().nth(k),
                    1 => w.w_hh.iter_mut().nth(k),
                    2 => w.b_ih.iter_mut().nth(k),
                    _ => w.b_hh.iter_mut().nth(k),
                };
                if let Some(x) = slot {
                    *x += d;
                }
            }
            out.push((loss_with(&plus) - loss_with(&minus)) / (2.0 * EPS));
        }
    }
    out
}

fn fd_state_norm(p: &Params, r: &Run, t: usize, on_cell: bool) -> f64 {
    let hs = p.hidden;
    let g: Vec<f64> = (0..hs)
        .map(|j| {
            let nudge = |d| {
                if on_cell {
                    Nudge {
                        c: Some((t, j, d)),
                        ..Nudge::default()
                    }
                } else {
                    Nudge {
                        h: Some((t, j, d)),
                        ..Nudge::default()
                    }
                }
            };
            central_difference(p, r, nudge)
        })
        .collect();
    l2_norm(&g)
}

/// (ℓ(+ε) − ℓ(−ε)) / 2ε for a nudge of size ±ε, through the reference implementation.
fn central_difference(p: &Params, r: &Run, nudge: impl Fn(f64) -> Nudge) -> f64 {
    let loss = |d: f64| {
        reference(
            p.cell,
            p.activation,
            &r.draws.weights,
            &r.draws.inputs,
            &r.draws.v,
            nudge(d),
        )
        .loss
    };
    (loss(EPS) - loss(-EPS)) / (2.0 * EPS)
}

fn fd_step_norm(p: &Params, r: &Run, t: usize) -> f64 {
    let (rows, cols) = r.draws.weights.w_hh.dim();
    let mut g = Vec::with_capacity(rows * cols);
    for i in 0..rows {
        for k in 0..cols {
            let nudge = |d| Nudge {
                w_hh_at_step: Some((t, i, k, d)),
                ..Nudge::default()
            };
            g.push(central_difference(p, r, nudge));
        }
    }
    l2_norm(&g)
}

fn check_against_finite_differences(p: &Params) {
    let r = run(p);
    let reference_loss = reference(
        p.cell,
        p.activation,
        &r.draws.weights,
        &r.draws.inputs,
        &r.draws.v,
        Nudge::default(),
    )
    .loss;
    assert!(
        (r.bptt.loss - reference_loss).abs() <= 1e-12 * reference_loss.abs().max(1.0),
        "{p:?}"
    );
    let analytic: Vec<f64> = r.bptt.grad.entries().copied().collect();
    let numeric = fd_params(p, &r);
    let e = rel_err(&analytic, &numeric);
    assert!(e < 1e-6, "parameter gradient rel err {e} for {p:?}");
    for t in 0..=p.steps {
        let fd = fd_state_norm(p, &r, t, false);
        let e = (r.bptt.grad_h[t] - fd).abs() / fd.max(1e-300);
        assert!(e < 1e-6, "|dl/dh_{t}| rel err {e} for {p:?}");
        if let Some(gc) = &r.bptt.grad_c {
            let fd = fd_state_norm(p, &r, t, true);
            let e = (gc[t] - fd).abs() / fd.max(1e-300);
            assert!(e < 1e-6, "|dl/dc_{t}| rel err {e} for {p:?}");
        }
    }
    for t in 1..=p.steps {
        let fd = fd_step_norm(p, &r, t);
        let e = (r.bptt.grad_w_step[t - 1] - fd).abs() / fd.max(1e-300);
        assert!(e < 1e-6, "step {t} W_hh contribution rel err {e} for {p:?}");
    }
}

#[test]
fn rnn_gradients_match_finite_differences_for_every_activation() {
    for act in [
        Activation::Identity,
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
    ] {
        for (rho, seed) in [(0.8, 1), (1.4, 2)] {
            check_against_finite_differences(&small(CellKind::Rnn, act, rho, seed));
        }
    }
}

#[test]
fn lstm_gradients_match_finite_differences() {
    for (rho, seed, init) in [(0.8, 3, Init::Gaussian), (2.0, 4, Init::Orthogonal)] {
        let p = Params {
            init,
            ..small(CellKind::Lstm, Activation::Tanh, rho, seed)
        };
        check_against_finite_differences(&p);
    }
}

#[test]
fn identity_orthogonal_gradient_norm_is_rho_to_the_distance() {
    for rho in [0.7, 1.0, 1.3] {
        let p = Params {
            activation: Activation::Identity,
            init: Init::Orthogonal,
            hidden: 16,
            steps: 60,
            rho,
            seed: 7,
            ..Params::default()
        };
        let r = run(&p);
        let theory = r
            .linear_theory
            .as_ref()
            .expect("identity RNN has a theory curve");
        for (t, (&norm, &curve)) in r.bptt.grad_h.iter().zip(theory).enumerate() {
            let want = rho.powi((p.steps - t) as i32);
            assert!(
                (norm - want).abs() <= 1e-9 * want,
                "t={t}: {norm} vs {want}"
            );
            assert_eq!(curve, want);
        }
    }
}

#[test]
fn theory_curve_only_for_identity_rnn() {
    let tanh = run(&Params {
        steps: 5,
        hidden: 4,
        ..Params::default()
    });
    assert!(tanh.linear_theory.is_none());
    let lstm = run(&Params {
        steps: 5,
        hidden: 4,
        cell: CellKind::Lstm,
        activation: Activation::Identity,
        ..Params::default()
    });
    assert!(lstm.linear_theory.is_none());
}

#[test]
fn rescaled_blocks_have_spectral_radius_rho() {
    for cell in [CellKind::Rnn, CellKind::Lstm] {
        for init in [Init::Gaussian, Init::Orthogonal] {
            let p = Params {
                cell,
                init,
                hidden: 24,
                steps: 3,
                rho: 1.7,
                seed: 11,
                ..Params::default()
            };
            let d = draw(&p);
            assert!(d.warnings.is_empty());
            let h = p.hidden;
            for b in 0..cell.gate_count() {
                let block = d.weights.w_hh.slice(s![b * h..(b + 1) * h, ..]);
                let ev = eigenvalues_of(block).expect("eigenvalues");
                let r = spectral_radius(&ev);
                assert!(
                    (r - 1.7).abs() <= 1e-10 * 1.7,
                    "{cell:?} {init:?} block {b}: {r}"
                );
                let reported = spectral_radius(&d.eigenvalues[b * h..(b + 1) * h]);
                assert!((reported - 1.7).abs() <= 1e-10 * 1.7);
            }
            assert_eq!(d.eigenvalues.len(), h * cell.gate_count());
        }
    }
}

#[test]
fn orthogonal_init_is_orthogonal() {
    let mut rng = StdRng::seed_from_u64(5);
    let a = gaussian_matrix(&mut rng, 10, 10, 1.0);
    let q = orthogonal_from(&a);
    let qtq = q.t().dot(&q);
    for i in 0..10 {
        for j in 0..10 {
            let want = if i == j { 1.0 } else { 0.0 };
            assert!((qtq[[i, j]] - want).abs() < 1e-12);
        }
    }
}

#[test]
fn rnn_and_lstm_share_their_draws() {
    let p = Params {
        hidden: 5,
        steps: 7,
        input_size: 3,
        seed: 9,
        ..Params::default()
    };
    let rnn = draw(&p);
    let lstm = draw(&Params {
        cell: CellKind::Lstm,
        ..p
    });
    assert_eq!(rnn.inputs, lstm.inputs);
    assert_eq!(rnn.v, lstm.v);
    assert_eq!(rnn.weights.w_hh, lstm.weights.w_hh.slice(s![10..15, ..]));
    assert_eq!(rnn.weights.w_ih, lstm.weights.w_ih.slice(s![10..15, ..]));
    assert_eq!(rnn.eigenvalues, lstm.eigenvalues[10..15].to_vec());
    assert!((l2_norm(&rnn.v.to_vec()) - 1.0).abs() < 1e-15);
    // Only the LSTM's forget slice of b_ih is non-zero.
    assert!(lstm.weights.b_ih.slice(s![5..10]).iter().all(|&b| b == 1.0));
    let others = lstm
        .weights
        .b_ih
        .iter()
        .enumerate()
        .filter(|(k, _)| !(5..10).contains(k));
    assert!(others.map(|(_, b)| b).all(|&b| b == 0.0));
    assert!(
        rnn.weights
            .b_ih
            .iter()
            .chain(&rnn.weights.b_hh)
            .all(|&b| b == 0.0)
    );
}

#[test]
fn forget_product_matches_direct_product() {
    let p = Params {
        cell: CellKind::Lstm,
        hidden: 6,
        steps: 12,
        forget_bias: 1.0,
        seed: 4,
        ..Params::default()
    };
    let r = run(&p);
    let fp = r
        .bptt
        .forget_product
        .as_ref()
        .expect("lstm reports a forget product");
    let refr = reference(
        p.cell,
        p.activation,
        &r.draws.weights,
        &r.draws.inputs,
        &r.draws.v,
        Nudge::default(),
    );
    for (t, &reported) in fp.iter().enumerate() {
        let direct = (0..p.hidden)
            .map(|j| {
                (t + 1..=p.steps)
                    .map(|k| refr.forget[k - 1][j])
                    .product::<f64>()
            })
            .fold(f64::NEG_INFINITY, f64::max);
        assert!((reported - direct).abs() <= 1e-12 * direct, "t={t}");
    }
    assert_eq!(fp[p.steps], 1.0);
}

#[test]
fn norm_clipping_caps_the_global_norm() {
    let r = run(&Params {
        hidden: 8,
        steps: 20,
        rho: 1.2,
        ..Params::default()
    });
    let norm = r.bptt.param_grad_norm;
    assert!(norm.is_finite() && norm > 0.0);
    for c in [norm / 10.0, norm / 2.0, norm * 2.0] {
        let clipped = clip_gradient(&r.bptt.grad, Clip::Norm(c));
        // PyTorch's clip_grad_norm_: coefficient c/(‖g‖ + 1e-6), clamped to 1.
        let want = norm * (c / (norm + 1e-6)).min(1.0);
        assert!((clipped.global_norm() - want).abs() <= 1e-12 * want);
        // Direction is unchanged: clipped = grad · (want / norm).
        for (a, b) in clipped.entries().zip(r.bptt.grad.entries()) {
            assert!((a - b * want / norm).abs() <= 1e-12 * norm);
        }
    }
}

#[test]
fn value_clipping_clamps_every_entry() {
    let p = Params {
        hidden: 8,
        steps: 20,
        rho: 1.2,
        ..Params::default()
    };
    let r0 = run(&p);
    let max_abs = r0.bptt.grad.entries().fold(0.0_f64, |m, g| m.max(g.abs()));
    let c = max_abs / 3.0;
    let r = run(&Params {
        clip: Clip::Value(c),
        ..p
    });
    assert!(r.clipped_grad.entries().all(|g| (-c..=c).contains(g)));
    assert!(r.clipped_grad.entries().any(|g| g.abs() == c));
    let sum_sq: f64 = r0.bptt.grad.entries().map(|g| g.clamp(-c, c).powi(2)).sum();
    assert!((r.clipped_param_grad_norm - sum_sq.sqrt()).abs() <= 1e-12 * sum_sq.sqrt());
    assert_eq!(r.bptt.param_grad_norm, r0.bptt.param_grad_norm);
}

#[test]
fn relu_overflow_is_graceful() {
    let p = Params {
        rho: 3.0,
        steps: 2000,
        activation: Activation::Relu,
        ..Params::default()
    };
    let r = run(&p);
    assert!(r.bptt.forward_overflow_from.is_some());
    let from = r.bptt.overflow_from.expect("norms overflow");
    assert!(!r.bptt.grad_w_step[from - 1].is_finite() || !r.bptt.grad_h[from].is_finite());
    for t in from + 1..=p.steps {
        assert!(r.bptt.grad_h[t].is_finite() && r.bptt.grad_w_step[t - 1].is_finite());
    }
    assert!(!r.bptt.loss.is_finite());
    assert!(!r.bptt.param_grad_norm.is_finite());
    assert_eq!(r.bptt.grad_h.len(), p.steps + 1);
}

#[test]
fn identity_backward_stays_finite_until_rho_power_overflows() {
    // ρ = 3 identity: ‖∂ℓ/∂h_t‖ = 3^{T−t} exactly, which passes f64::MAX after 646 steps.
    let p = Params {
        rho: 3.0,
        steps: 800,
        hidden: 8,
        activation: Activation::Identity,
        init: Init::Orthogonal,
        ..Params::default()
    };
    let r = run(&p);
    let from = r.bptt.overflow_from.expect("overflows");
    assert!(r.bptt.grad_h[p.steps - 640].is_finite());
    assert!(!r.bptt.grad_h[p.steps - 700].is_finite());
    assert!(from >= p.steps - 700);
}

#[test]
fn norm_survives_under_and_overflow_of_squares() {
    let big = [1e200, 1e200];
    assert!((l2_norm(&big) / (1e200 * 2f64.sqrt()) - 1.0).abs() < 1e-15);
    let tiny = [3e-200, 4e-200];
    assert!((l2_norm(&tiny) / 5e-200 - 1.0).abs() < 1e-15);
    assert_eq!(l2_norm(&[0.0, 0.0]), 0.0);
    assert_eq!(l2_norm(&[1.0, f64::INFINITY]), f64::INFINITY);
    assert!(l2_norm(&[f64::NAN, f64::INFINITY]).is_nan());
    assert_eq!(l2_norm(&[]), 0.0);
    assert_eq!(l2_norm(&[3.0, 4.0, 0.0, 0.0, 12.0]), 13.0);
    assert_eq!(l2_norm(&[-2.0; 9]), 6.0);
}

#[test]
fn parse_and_display_round_trip() {
    for c in [CellKind::Rnn, CellKind::Lstm] {
        assert_eq!(c.name().parse::<CellKind>(), Ok(c));
    }
    for a in [
        Activation::Identity,
        Activation::Tanh,
        Activation::Relu,
        Activation::Sigmoid,
    ] {
        assert_eq!(a.to_string().parse::<Activation>(), Ok(a));
    }
    for i in [Init::Gaussian, Init::Orthogonal] {
        assert_eq!(i.to_string().parse::<Init>(), Ok(i));
    }
    for clip in [Clip::None, Clip::Norm(0.5), Clip::Value(2.0)] {
        assert_eq!(clip.to_string().parse::<Clip>(), Ok(clip));
    }
    for bad in [
        "norm", "norm:", "norm:0", "value:-1", "norm:inf", "norm:nan", "clip:1", "x",
    ] {
        let e = bad.parse::<Clip>().expect_err(bad);
        assert!(!e.contains('\n') && e.contains(bad), "{e}");
    }
    assert!(
        "gru"
            .parse::<CellKind>()
            .expect_err("gru")
            .to_string()
            .contains("rnn, lstm")
    );
}

#[test]
fn cycling_visits_every_variant() {
    let mut a = Activation::Identity;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(a);
        a = a.next();
    }
    assert_eq!(a, Activation::Identity);
    assert_eq!(seen.len(), 4);
    assert_eq!(Activation::Identity.prev(), Activation::Sigmoid);
    assert_eq!(CellKind::Rnn.next(), CellKind::Lstm);
    assert_eq!(Init::Gaussian.prev(), Init::Orthogonal);
    assert_eq!(Clip::None.next(2.0), Clip::Norm(2.0));
    assert_eq!(Clip::Norm(2.0).next(1.0), Clip::Value(1.0));
    assert_eq!(Clip::Value(1.0).next(1.0), Clip::None);
    assert_eq!(Clip::None.prev(3.0), Clip::Value(3.0));
}

#[test]
fn validate_names_the_parameter() {
    assert_eq!(Params::default().validate(), Ok(()));
    let cases = [
        (
            Params {
                hidden: 0,
                ..Params::default()
            },
            "hidden size H must be between 1 and 512 (got 0)",
        ),
        (
            Params {
                steps: 2001,
                ..Params::default()
            },
            "sequence length T",
        ),
        (
            Params {
                input_size: 0,
                ..Params::default()
            },
            "input size I",
        ),
        (
            Params {
                rho: f64::NAN,
                ..Params::default()
            },
            "spectral radius ρ",
        ),
        (
            Params {
                rho: 11.0,
                ..Params::default()
            },
            "spectral radius ρ",
        ),
        (
            Params {
                input_scale: -1.0,
                ..Params::default()
            },
            "input scale",
        ),
        (
            Params {
                forget_bias: f64::INFINITY,
                ..Params::default()
            },
            "forget bias",
        ),
        (
            Params {
                clip: Clip::Norm(0.0),
                ..Params::default()
            },
            "clipping threshold",
        ),
    ];
    for (p, want) in cases {
        let e = p.validate().expect_err(want).to_string();
        // The command line adds the flag's name (`rnn::report`).
        assert!(
            e.starts_with(want) && !e.contains('\n') && !e.contains("--"),
            "{e}"
        );
        assert_eq!(p.sanitized().validate(), Ok(()));
    }
}

#[test]
fn invalid_params_run_without_panicking() {
    let p = Params {
        hidden: 0,
        steps: 0,
        input_size: 0,
        rho: f64::NAN,
        clip: Clip::Value(-1.0),
        ..Params::default()
    };
    let r = run(&p);
    assert_eq!(r.params.hidden, 1);
    assert_eq!(r.bptt.grad_h.len(), 2);
    assert_eq!(r.params.clip, Clip::None);
}

#[test]
fn zero_rho_and_zero_inputs_give_exact_zeros() {
    let r = run(&Params {
        rho: 0.0,
        hidden: 4,
        steps: 5,
        ..Params::default()
    });
    assert!(r.draws.weights.w_hh.iter().all(|&w| w == 0.0));
    assert_eq!(r.bptt.grad_h[0], 0.0);
    let r = run(&Params {
        input_scale: 0.0,
        hidden: 4,
        steps: 5,
        ..Params::default()
    });
    assert_eq!(r.bptt.loss, 0.0);
    assert_eq!(r.bptt.grad_w_step.iter().sum::<f64>(), 0.0);
}

/// The vector ∂ℓ/∂h_t or ∂ℓ/∂c_t by central differences through the reference.
fn fd_state(p: &Params, r: &Run, t: usize, on_cell: bool) -> Vec<f64> {
    (0..p.hidden)
        .map(|j| {
            central_difference(p, r, |d| {
                if on_cell {
                    Nudge {
                        c: Some((t, j, d)),
                        ..Nudge::default()
                    }
                } else {
                    Nudge {
                        h: Some((t, j, d)),
                        ..Nudge::default()
                    }
                }
            })
        })
        .collect()
}

#[test]
fn lstm_cell_gradient_splits_into_the_cell_path_and_the_rest() {
    let p = Params {
        cell: CellKind::Lstm,
        hidden: 4,
        steps: 9,
        input_size: 3,
        forget_bias: 1.0,
        seed: 6,
        ..Params::default()
    };
    let r = run(&p);
    let split = r.bptt.cell_split.as_ref().expect("an LSTM splits ∂ℓ/∂c_t");
    let refr = reference(
        p.cell,
        p.activation,
        &r.draws.weights,
        &r.draws.inputs,
        &r.draws.v,
        Nudge::default(),
    );
    let (h, steps) = (p.hidden, p.steps);
    // ∂ℓ/∂c_T, then the pure path: the direct product of the forget gates applied to it.
    let top = fd_state(&p, &r, steps, true);
    let mut rest = vec![0.0; h];
    for t in (0..=steps).rev() {
        let pure: Vec<f64> = (0..h)
            .map(|j| {
                (t + 1..=steps)
                    .map(|k| refr.forget[k - 1][j])
                    .product::<f64>()
                    * top[j]
            })
            .collect();
        // The rest by its own recursion: r_T = 0, r_t = f_{t+1} ⊙ r_{t+1} + ∂ℓ/∂h_t ⊙ o_t ⊙
        // (1 − tanh² c_t) for 1 ≤ t < T, and r_0 = f_1 ⊙ r_1 (h_0 is not made from c_0).
        if t < steps {
            let dh = fd_state(&p, &r, t, false);
            for j in 0..h {
                let mut next = refr.forget[t][j] * rest[j];
                if t >= 1 {
                    let (o, c) = (refr.out_gate[t - 1][j], refr.cell[t - 1][j]);
                    next += dh[j] * o * (1.0 - c.tanh().powi(2));
                }
                rest[j] = next;
            }
        }
        let full = fd_state(&p, &r, t, true);
        let sum: Vec<f64> = (0..h).map(|j| pure[j] + rest[j]).collect();
        let scale = l2_norm(&full);
        assert!(
            rel_err(&sum, &full) < 1e-6,
            "t={t}: the split does not add up"
        );
        assert!(
            (split.cell_path[t] - l2_norm(&pure)).abs() <= 1e-6 * scale,
            "t={t}"
        );
        assert!(
            (split.through_w_hh[t] - l2_norm(&rest)).abs() <= 1e-6 * scale,
            "t={t}"
        );
    }
    assert_eq!(split.through_w_hh[steps], 0.0);
    assert!(
        run(&Params {
            cell: CellKind::Rnn,
            ..p
        })
        .bptt
        .cell_split
        .is_none()
    );
}

#[test]
fn relu_active_fraction_counts_the_positive_units() {
    let p = Params {
        activation: Activation::Relu,
        hidden: 16,
        steps: 30,
        seed: 3,
        ..Params::default()
    };
    let r = run(&p);
    let refr = reference(
        p.cell,
        p.activation,
        &r.draws.weights,
        &r.draws.inputs,
        &r.draws.v,
        Nudge::default(),
    );
    let active = refr.hidden.iter().flatten().filter(|&&h| h > 0.0).count();
    let want = active as f64 / (16 * 30) as f64;
    assert_eq!(r.bptt.active_fraction, Some(want));
    // About half the units are off, as the homework's argument for ReLU needs.
    assert!((0.3..0.7).contains(&want), "{want}");
    assert!(
        run(&Params {
            activation: Activation::Tanh,
            ..p
        })
        .bptt
        .active_fraction
        .is_none()
    );
}

#[test]
fn clipping_changes_no_plotted_curve_and_only_shrinks() {
    let p = Params {
        hidden: 8,
        steps: 30,
        rho: 1.5,
        ..Params::default()
    };
    let plain = run(&p);
    for clip in [Clip::Norm(0.01), Clip::Norm(1e9), Clip::Value(1e-3)] {
        let clipped = run(&Params { clip, ..p });
        // The back-propagated norms come before any clipping.
        assert_eq!(clipped.bptt.grad_h, plain.bptt.grad_h);
        assert_eq!(clipped.bptt.grad_w_step, plain.bptt.grad_w_step);
        assert!(clipped.clipped_param_grad_norm <= plain.bptt.param_grad_norm);
        let coef = clip.norm_coefficient(plain.bptt.param_grad_norm);
        assert!(coef <= 1.0);
        if let Clip::Norm(c) = clip {
            let want = (c / (plain.bptt.param_grad_norm + 1e-6)).min(1.0);
            assert_eq!(coef, want);
        }
    }
}

/// Every output of two runs, compared bit for bit (NaN equal to NaN).
fn assert_same_run(a: &Run, b: &Run) {
    let bits = |xs: &mut dyn Iterator<Item = f64>| xs.map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(a.params, b.params);
    assert_eq!(a.draws.weights, b.draws.weights);
    assert_eq!(a.draws.inputs, b.draws.inputs);
    assert_eq!(a.draws.v, b.draws.v);
    assert_eq!(
        bits(&mut a.draws.eigenvalues.iter().flat_map(|&(re, im)| [re, im])),
        bits(&mut b.draws.eigenvalues.iter().flat_map(|&(re, im)| [re, im]))
    );
    assert_eq!(a.draws.warnings, b.draws.warnings);
    assert_eq!(a.bptt.loss.to_bits(), b.bptt.loss.to_bits());
    assert_eq!(
        bits(&mut a.bptt.grad_h.iter().copied()),
        bits(&mut b.bptt.grad_h.iter().copied())
    );
    assert_eq!(
        bits(&mut a.bptt.grad_w_step.iter().copied()),
        bits(&mut b.bptt.grad_w_step.iter().copied())
    );
    assert_eq!(
        bits(&mut a.bptt.grad.entries().copied()),
        bits(&mut b.bptt.grad.entries().copied())
    );
    assert_eq!(
        bits(&mut a.clipped_grad.entries().copied()),
        bits(&mut b.clipped_grad.entries().copied())
    );
}

#[test]
fn a_cached_base_draw_gives_a_fresh_run_bit_for_bit() {
    for init in [Init::Gaussian, Init::Orthogonal] {
        let first = Params {
            cell: CellKind::Lstm,
            init,
            hidden: 12,
            steps: 9,
            input_size: 3,
            seed: 21,
            ..Params::default()
        };
        let mut base = BaseDraw::new(&first);
        assert_same_run(&run_from(&mut base, &first), &run(&first));
        assert_eq!(base.pending(CellKind::Lstm), 0);
        // Everything but the key changes; the blocks' eigenvalues are not solved again.
        for change in [
            Params { rho: 0.3, ..first },
            Params { steps: 40, ..first },
            Params { steps: 2, ..first },
            Params {
                input_scale: 2.5,
                ..first
            },
            Params {
                forget_bias: -1.0,
                ..first
            },
            Params {
                clip: Clip::Norm(0.01),
                ..first
            },
            Params {
                cell: CellKind::Rnn,
                activation: Activation::Relu,
                rho: 1.9,
                ..first
            },
        ] {
            let mut solves = 0;
            base.prepare(change.cell, |_, _| {
                solves += 1;
                true
            });
            assert_eq!(solves, 0, "{change:?}");
            assert_same_run(&run_from(&mut base, &change), &run(&change));
        }
        // A new key replaces the base draw.
        let other = Params { seed: 22, ..first };
        assert_same_run(&run_from(&mut base, &other), &run(&other));
        assert_eq!(base.key(), DrawKey::of(&other));
    }
}

#[test]
fn rescaling_scales_the_eigenvalues_exactly() {
    let p = Params {
        cell: CellKind::Lstm,
        hidden: 16,
        steps: 2,
        rho: 1.0,
        seed: 3,
        ..Params::default()
    };
    let mut base = BaseDraw::new(&p);
    let unit = base.draws(&p);
    // Halving ρ halves every eigenvalue, exactly (a power of two); other factors round once.
    let half = base.draws(&Params { rho: 0.5, ..p });
    for (a, b) in unit.eigenvalues.iter().zip(&half.eigenvalues) {
        assert_eq!((a.0 * 0.5, a.1 * 0.5), *b);
    }
    // And they are the eigenvalues of the rescaled blocks (solved again here, to rounding).
    let q = Params { rho: 1.35, ..p };
    let scaled = base.draws(&q);
    let h = p.hidden;
    for b in 0..4 {
        let block = scaled.weights.w_hh.slice(s![b * h..(b + 1) * h, ..]);
        let mut solved = eigenvalues_of(block).expect("eigenvalues");
        let mut reported = scaled.eigenvalues[b * h..(b + 1) * h].to_vec();
        let order = |x: &(f64, f64), y: &(f64, f64)| x.partial_cmp(y).expect("finite");
        solved.sort_by(order);
        reported.sort_by(order);
        for (x, y) in solved.iter().zip(&reported) {
            assert!((x.0 - y.0).hypot(x.1 - y.1) <= 1e-12 * 1.35, "{x:?} {y:?}");
        }
    }
}

#[test]
fn prepare_reports_each_solve_and_stops_when_asked() {
    let p = Params {
        cell: CellKind::Lstm,
        hidden: 6,
        ..Params::default()
    };
    let mut base = BaseDraw::new(&p);
    let mut seen = Vec::new();
    // Stop before the third solve: two blocks are kept, two remain.
    let finished = base.prepare(CellKind::Lstm, |k, n| {
        seen.push((k, n));
        k < 3
    });
    assert!(!finished);
    assert_eq!(seen, [(1, 4), (2, 4), (3, 4)]);
    assert_eq!(base.pending(CellKind::Lstm), 2);
    seen.clear();
    assert!(base.prepare(CellKind::Lstm, |k, n| {
        seen.push((k, n));
        true
    }));
    assert_eq!(seen, [(1, 2), (2, 2)]);
    assert_same_run(&run_from(&mut base, &p), &run(&p));
}

/// A tanh RNN's or an LSTM's forward and backward pass by plain loops straight from the
/// equations, with std's exp and tanh: an implementation independent of `bptt`'s.
struct PlainBptt {
    loss: f64,
    /// h_t for t = 0 … T.
    hidden: Vec<Vec<f64>>,
    /// ∂ℓ/∂z_t for t = 1 … T (index t − 1).
    dz: Vec<Vec<f64>>,
    /// ‖∂ℓ/∂h_t‖ for t = 0 … T.
    dh_norm: Vec<f64>,
}

#[allow(clippy::needless_range_loop)] // index loops mirror the subscripts of the equations
fn plain_bptt(cell: CellKind, w: &Weights, x: &Array2<f64>, v: &Array1<f64>) -> PlainBptt {
    let hs = w.w_hh.ncols();
    let rows = w.w_hh.nrows();
    let steps = x.nrows();
    let sig = |a: f64| 1.0 / (1.0 + (-a).exp());
    let mut h = vec![vec![0.0; hs]];
    let mut c = vec![vec![0.0; hs]];
    // The LSTM's activated gates i, f, g, o of step t (index t − 1).
    let mut gates = Vec::new();
    for t in 1..=steps {
        let z = plain_preactivation(w, x, t, &h[t - 1], None);
        match cell {
            CellKind::Rnn => h.push(z.iter().map(|a| a.tanh()).collect()),
            CellKind::Lstm => {
                let a: Vec<f64> = (0..rows)
                    .map(|r| {
                        if (2 * hs..3 * hs).contains(&r) {
                            z[r].tanh()
                        } else {
                            sig(z[r])
                        }
                    })
                    .collect();
                let ct: Vec<f64> = (0..hs)
                    .map(|j| a[hs + j] * c[t - 1][j] + a[j] * a[2 * hs + j])
                    .collect();
                h.push((0..hs).map(|j| a[3 * hs + j] * ct[j].tanh()).collect());
                c.push(ct);
                gates.push(a);
            }
        }
    }
    let loss = (0..hs).map(|j| v[j] * h[steps][j]).sum();
    let mut dh: Vec<f64> = v.to_vec();
    let mut dc = vec![0.0; hs];
    let mut dz_all = vec![Vec::new(); steps];
    let mut dh_norm = vec![0.0; steps + 1];
    dh_norm[steps] = l2_norm(&dh);
    for t in (1..=steps).rev() {
        let mut dz = vec![0.0; rows];
        match cell {
            CellKind::Rnn => {
                for j in 0..hs {
                    dz[j] = dh[j] * (1.0 - h[t][j] * h[t][j]);
                }
            }
            CellKind::Lstm => {
                let a = &gates[t - 1];
                for j in 0..hs {
                    let (i, f, g, o) = (a[j], a[hs + j], a[2 * hs + j], a[3 * hs + j]);
                    let tc = c[t][j].tanh();
                    let d = dc[j] + dh[j] * o * (1.0 - tc * tc);
                    dz[j] = d * g * i * (1.0 - i);
                    dz[hs + j] = d * c[t - 1][j] * f * (1.0 - f);
                    dz[2 * hs + j] = d * i * (1.0 - g * g);
                    dz[3 * hs + j] = dh[j] * tc * o * (1.0 - o);
                    dc[j] = d * f;
                }
            }
        }
        dh = (0..hs)
            .map(|k| (0..rows).map(|r| w.w_hh[[r, k]] * dz[r]).sum())
            .collect();
        dh_norm[t - 1] = l2_norm(&dh);
        dz_all[t - 1] = dz;
    }
    PlainBptt {
        loss,
        hidden: h,
        dz: dz_all,
        dh_norm,
    }
}

fn entries(a: &Array2<f64>) -> Vec<f64> {
    a.iter().copied().collect()
}

#[test]
fn weight_products_in_blocks_equal_the_sum_of_outer_products() {
    for cell in [CellKind::Lstm, CellKind::Rnn] {
        // H = 13 is not a multiple of the SIMD width, T = 23 not of the block lengths.
        let p = Params {
            cell,
            activation: Activation::Tanh,
            hidden: 13,
            steps: 23,
            input_size: 3,
            seed: 5,
            forget_bias: 0.5,
            ..Params::default()
        };
        let r = run(&p);
        let (w, x, v) = (&r.draws.weights, &r.draws.inputs, &r.draws.v);
        let plain = plain_bptt(cell, w, x, v);
        // Σ_t ∂ℓ/∂z_t h_{t−1}ᵀ, Σ_t ∂ℓ/∂z_t x_tᵀ and Σ_t ∂ℓ/∂z_t, entry by entry.
        let rows = w.w_hh.nrows();
        let mut want_hh = Array2::zeros(w.w_hh.dim());
        let mut want_ih = Array2::zeros(w.w_ih.dim());
        let mut want_b = Array1::zeros(rows);
        for t in 1..=p.steps {
            let dz = &plain.dz[t - 1];
            for i in 0..rows {
                for k in 0..p.hidden {
                    want_hh[[i, k]] += dz[i] * plain.hidden[t - 1][k];
                }
                for k in 0..p.input_size {
                    want_ih[[i, k]] += dz[i] * x[[t - 1, k]];
                }
                want_b[i] += dz[i];
            }
        }
        let after = bptt_planned(cell, p.activation, w, x, v, WeightProducts::AfterLoop);
        for rows in [1, 5, 23, 100] {
            let plan = WeightProducts::Overlapped { rows };
            let blocks = bptt_planned(cell, p.activation, w, x, v, plan);
            for (name, got) in [("after the loop", &after), ("in blocks", &blocks)] {
                let g = &got.grad;
                let e = rel_err(&entries(&g.w_hh), &entries(&want_hh));
                assert!(e <= 1e-12, "{cell} {name} of {rows}: W_hh rel err {e}");
                let e = rel_err(&entries(&g.w_ih), &entries(&want_ih));
                assert!(e <= 1e-12, "{cell} {name} of {rows}: W_ih rel err {e}");
                let e = rel_err(&g.b_hh.to_vec(), &want_b.to_vec());
                assert!(e <= 1e-12, "{cell} {name} of {rows}: bias rel err {e}");
            }
            // Nothing else depends on how the products are formed.
            let bits = |xs: &[f64]| xs.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(blocks.loss.to_bits(), after.loss.to_bits());
            assert_eq!(bits(&blocks.grad_h), bits(&after.grad_h));
            assert_eq!(bits(&blocks.grad_w_step), bits(&after.grad_w_step));
            assert_eq!(blocks.grad_c, after.grad_c);
            assert_eq!(blocks.forget_product, after.forget_product);
            assert_eq!(blocks.grad.b_ih, after.grad.b_ih);
        }
    }
}

#[test]
fn the_loops_match_plain_loops_at_simd_widths() {
    // H = 37 and 64: vector bodies and, for 37, tails in every element-wise and product loop.
    for (cell, hidden, seed) in [
        (CellKind::Lstm, 37, 8),
        (CellKind::Lstm, 64, 9),
        (CellKind::Rnn, 37, 10),
    ] {
        let p = Params {
            cell,
            activation: Activation::Tanh,
            hidden,
            steps: 30,
            input_size: 5,
            seed,
            ..Params::default()
        };
        let r = run(&p);
        let plain = plain_bptt(cell, &r.draws.weights, &r.draws.inputs, &r.draws.v);
        let e = (r.bptt.loss - plain.loss).abs() / plain.loss.abs();
        assert!(e <= 1e-12, "{cell} H={hidden}: loss rel err {e}");
        for t in 0..=p.steps {
            let e = (r.bptt.grad_h[t] - plain.dh_norm[t]).abs() / plain.dh_norm[t];
            assert!(e <= 1e-12, "{cell} H={hidden}: |dl/dh_{t}| rel err {e}");
        }
        for t in 1..=p.steps {
            let want = l2_norm(&plain.dz[t - 1]) * l2_norm(&plain.hidden[t - 1]);
            let e = (r.bptt.grad_w_step[t - 1] - want).abs() / want.max(1e-300);
            assert!(e <= 1e-12, "{cell} H={hidden}: step {t} rel err {e}");
        }
    }
}
