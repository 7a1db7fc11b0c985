//! The model against independent truths: central finite differences for every gradient,
//! torch.optim's update rules written out again in plain loops, closed forms of the
//! baselines, and the presets' effects on shortened runs.

use super::network::{forward_backward, loss_only};
use super::*;

fn config(task: Task, cell: Cell, activation: Activation) -> RunConfig {
    RunConfig {
        task,
        cell,
        activation,
        steps: 5,
        hidden: 3,
        batch: 2,
        iterations: 4,
        optimizer: Optimizer::Adam,
        lr: 1e-2,
        clip: Clip::None,
        rho: None,
        forget_bias: None,
        seed: 7,
    }
}

/// Every parameter's gradient against (ℓ(p + ε) − ℓ(p − ε)) / 2ε.
fn check_gradients(c: &RunConfig) {
    let shape = c.shape();
    // Scale the draw up a little so relu units are not all dead and the gates saturate some.
    let params: Vec<f64> = initial_parameters(c).iter().map(|p| p * 2.5).collect();
    let mut rng = StdRng::seed_from_u64(3);
    let batch = c.task.batch(&mut rng, c.batch, c.steps);
    let mut ws = Workspace::default();
    let mut grads = vec![0.0; shape.len()];
    forward_backward(&shape, &params, &batch, &mut grads, &mut ws);
    let eps = 1e-6;
    for part in shape.parts() {
        for k in part.range() {
            let mut plus = params.clone();
            plus[k] += eps;
            let mut minus = params.clone();
            minus[k] -= eps;
            let fd = (loss_only(&shape, &plus, &batch, &mut ws)
                - loss_only(&shape, &minus, &batch, &mut ws))
                / (2.0 * eps);
            let err = (fd - grads[k]).abs();
            assert!(
                err <= 1e-7 + 1e-5 * fd.abs(),
                "{:?} {}: {} [{}] analytic {} vs finite difference {fd}",
                c.cell,
                c.task.name(),
                part.name,
                k - part.start,
                grads[k]
            );
        }
    }
}

#[test]
fn gradients_match_finite_differences_for_every_parameter() {
    for task in [Task::Adding, Task::Recall { classes: 3 }] {
        for (cell, act) in [
            (Cell::Rnn, Activation::Tanh),
            (Cell::Rnn, Activation::Relu),
            (Cell::Lstm, Activation::Tanh),
        ] {
            check_gradients(&config(task, cell, act));
        }
    }
    let mut c = config(Task::Adding, Cell::Lstm, Activation::Tanh);
    c.forget_bias = Some(1.0);
    c.rho = Some(1.2);
    check_gradients(&c);
}

#[test]
fn the_profile_ends_at_the_heads_gradient() {
    // ∂ℓ/∂h_T = (∂ℓ/∂y) W_head: for one sequence of adding, 2(y − target) · head.weight.
    let mut c = config(Task::Adding, Cell::Rnn, Activation::Tanh);
    c.batch = 1;
    let shape = c.shape();
    let params = initial_parameters(&c);
    let mut rng = StdRng::seed_from_u64(1);
    let batch = c.task.batch(&mut rng, 1, c.steps);
    let mut ws = Workspace::default();
    let mut grads = vec![0.0; shape.len()];
    forward_backward(&shape, &params, &batch, &mut grads, &mut ws);
    let [.., hw, hb] = shape.parts();
    // head.bias's gradient is ∂ℓ/∂y itself.
    let dy = grads[hb.start];
    let expect = dy.abs() * crate::grad::l2_norm(&params[hw.range()]);
    let last = ws.profile[c.steps - 1];
    assert!(
        (last - expect).abs() <= 1e-14 * expect,
        "{last} vs {expect}"
    );
    assert_eq!(ws.profile.len(), c.steps);
}

#[test]
fn initialisation_is_pytorchs_default_then_rho_and_forget_bias() {
    let mut c = config(Task::Adding, Cell::Lstm, Activation::Tanh);
    c.hidden = 16;
    let k = 1.0 / 4.0;
    let p = initial_parameters(&c);
    assert!(p.iter().all(|w| (-k..k).contains(w)));
    // A uniform draw on ±k has mean square k²/3.
    let ms = p.iter().map(|w| w * w).sum::<f64>() / p.len() as f64;
    assert!((ms / (k * k / 3.0) - 1.0).abs() < 0.05, "{ms}");

    c.rho = Some(1.3);
    c.forget_bias = Some(2.0);
    let p = initial_parameters(&c);
    let [_, w_hh, b_ih, b_hh, ..] = c.shape().parts();
    for block in p[w_hh.range()].chunks_exact(16 * 16) {
        let r = spectral_radius(block, 16).expect("eigenvalues");
        assert!((r - 1.3).abs() < 1e-12, "{r}");
    }
    assert!(p[b_ih.range()][16..32].iter().all(|&b| b == 2.0));
    assert!(p[b_hh.range()][16..32].iter().all(|&b| b == 0.0));
    // Other slices keep the draw.
    assert_eq!(
        p[b_ih.range()][..16],
        initial_parameters(&RunConfig {
            rho: None,
            forget_bias: None,
            ..c.clone()
        })[b_ih.range()][..16]
    );
}

#[test]
fn baselines_are_the_losses_of_input_blind_predictions() {
    // Adding: the target's mean is 1 and its variance 1/6 (two uniforms summed).
    let mut rng = StdRng::seed_from_u64(5);
    let b = Task::Adding.batch(&mut rng, 20_000, 10);
    let Targets::Values(v) = &b.targets else {
        panic!("adding has values")
    };
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let var = v.iter().map(|x| (x - 1.0) * (x - 1.0)).sum::<f64>() / v.len() as f64;
    assert!((mean - 1.0).abs() < 0.01 && (var / Task::Adding.baseline_loss() - 1.0).abs() < 0.03);
    // Exactly two markers, one per half.
    for n in 0..50 {
        let marks: Vec<usize> = (0..10)
            .filter(|t| b.inputs[(n * 10 + t) * 2 + 1] == 1.0)
            .collect();
        assert!(
            marks.len() == 2 && marks[0] < 5 && marks[1] >= 5,
            "{marks:?}"
        );
    }
    // Recall: a head with zero weights predicts 1/K everywhere, so the loss is ln K.
    let mut c = config(Task::Recall { classes: 5 }, Cell::Lstm, Activation::Tanh);
    c.batch = 8;
    let shape = c.shape();
    let mut p = initial_parameters(&c);
    let [.., hw, hb] = shape.parts();
    p[hw.range()].fill(0.0);
    p[hb.range()].fill(0.0);
    let mut rng = StdRng::seed_from_u64(5);
    let batch = c.task.batch(&mut rng, 8, c.steps);
    let loss = loss_only(&shape, &p, &batch, &mut Workspace::default());
    assert!((loss - 5f64.ln()).abs() < 1e-15, "{loss}");
}

/// torch.optim and torch.nn.utils clipping, written out again over plain vectors.
struct Reference {
    params: Vec<f64>,
    buf: Vec<f64>,
    m: Vec<f64>,
    v: Vec<f64>,
    k: i32,
}

// Index loops on purpose: the reference reads like the torch.optim documentation.
#[allow(clippy::needless_range_loop)]
impl Reference {
    fn step(&mut self, c: &RunConfig, mut g: Vec<f64>) -> f64 {
        let norm = g.iter().map(|x| x * x).sum::<f64>().sqrt();
        match c.clip {
            Clip::None => {}
            Clip::Norm(max) => {
                let coef = max / (norm + 1e-6);
                if coef < 1.0 {
                    for x in &mut g {
                        *x *= coef;
                    }
                }
            }
            Clip::Value(max) => {
                for x in &mut g {
                    *x = x.max(-max).min(max);
                }
            }
        }
        self.k += 1;
        match c.optimizer {
            Optimizer::Sgd { momentum } => {
                for i in 0..g.len() {
                    let d = if self.k == 1 {
                        g[i]
                    } else {
                        momentum * self.buf[i] + g[i]
                    };
                    self.buf[i] = d;
                    self.params[i] -= c.lr * d;
                }
            }
            Optimizer::Adam => {
                for i in 0..g.len() {
                    self.m[i] = 0.9 * self.m[i] + 0.1 * g[i];
                    self.v[i] = 0.999 * self.v[i] + 0.001 * g[i] * g[i];
                    let m_hat = self.m[i] / (1.0 - 0.9f64.powi(self.k));
                    let v_hat = self.v[i] / (1.0 - 0.999f64.powi(self.k));
                    self.params[i] -= c.lr * m_hat / (v_hat.sqrt() + 1e-8);
                }
            }
        }
        norm
    }
}

#[test]
fn optimizers_and_clipping_match_an_independent_reference() {
    for optimizer in [
        Optimizer::Sgd { momentum: 0.9 },
        Optimizer::Sgd { momentum: 0.0 },
        Optimizer::Adam,
    ] {
        for clip in [Clip::None, Clip::Norm(0.05), Clip::Value(0.01)] {
            let mut c = config(Task::Recall { classes: 3 }, Cell::Lstm, Activation::Tanh);
            c.optimizer = optimizer;
            c.clip = clip;
            c.lr = 0.1;
            c.iterations = 6;
            let mut trainer = Trainer::new(c.clone()).expect("valid");
            let mut reference = Reference {
                params: initial_parameters(&c),
                buf: vec![0.0; c.shape().len()],
                m: vec![0.0; c.shape().len()],
                v: vec![0.0; c.shape().len()],
                k: 0,
            };
            let mut rng = StdRng::seed_from_u64(c.seed ^ DATA_STREAM);
            let mut clipped_once = false;
            for it in 0..c.iterations {
                let batch = c.task.batch(&mut rng, c.batch, c.steps);
                let mut g = vec![0.0; c.shape().len()];
                let pass = forward_backward(
                    &c.shape(),
                    &reference.params,
                    &batch,
                    &mut g,
                    &mut Workspace::default(),
                );
                clipped_once |= clip.changes(
                    crate::grad::l2_norm(&g),
                    g.iter().fold(0.0, |a: f64, x| a.max(x.abs())),
                );
                let norm = reference.step(&c, g);
                let r = trainer.step().expect("an iteration");
                assert!((r.loss - pass.loss).abs() <= 1e-12 * pass.loss.abs().max(1.0));
                assert!((r.grad_norm - norm).abs() <= 1e-12 * norm, "{it}");
                let worst = trainer
                    .params()
                    .iter()
                    .zip(&reference.params)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max);
                assert!(
                    worst < 1e-12,
                    "{optimizer:?} {clip} iteration {it}: {worst}"
                );
            }
            assert_eq!(clipped_once, clip != Clip::None, "{clip} never acted");
            assert!(trainer.step().is_none() && trainer.finished());
        }
    }
}

#[test]
fn chunks_and_repeats_give_the_same_numbers() {
    let mut c = config(Task::Adding, Cell::Lstm, Activation::Tanh);
    c.iterations = 12;
    let whole = train(&c, &|| false).expect("valid");
    let mut t = Trainer::new(c.clone()).expect("valid");
    let mut chunked = History::default();
    for n in [1, 5, 100] {
        for r in t.run(n, &|| false, None) {
            chunked.push(r);
        }
    }
    assert_eq!(whole, chunked);
    assert_eq!(whole.len(), 12);
    // A cancelled run stops before its first iteration.
    assert!(train(&c, &|| true).expect("valid").is_empty());
}

#[test]
fn a_non_finite_loss_stops_the_run() {
    let mut c = config(Task::Adding, Cell::Rnn, Activation::Relu);
    c.optimizer = Optimizer::Sgd { momentum: 0.9 };
    c.lr = 100.0;
    c.rho = Some(10.0);
    c.iterations = 200;
    let h = train(&c, &|| false).expect("valid");
    assert!(h.diverged, "{:?}", h.loss);
    assert!(h.len() < 200);
    assert!(!h.loss.last().expect("a loss").is_finite());
    assert!(h.loss[..h.len() - 1].iter().all(|l| l.is_finite()));
}

#[test]
fn bad_settings_name_their_setting() {
    let ok = config(Task::Adding, Cell::Rnn, Activation::Tanh);
    let cases: Vec<(RunConfig, &str)> = vec![
        (
            RunConfig {
                steps: 1,
                ..ok.clone()
            },
            "the adding task needs at least 2 steps",
        ),
        (
            RunConfig {
                hidden: 0,
                ..ok.clone()
            },
            "hidden size H = 0",
        ),
        (
            RunConfig {
                lr: f64::NAN,
                ..ok.clone()
            },
            "learning rate η = NaN",
        ),
        (
            RunConfig {
                rho: Some(-1.0),
                ..ok.clone()
            },
            "spectral radius ρ = -1",
        ),
        (
            RunConfig {
                optimizer: Optimizer::Sgd { momentum: 1.0 },
                ..ok.clone()
            },
            "momentum μ = 1",
        ),
        (
            RunConfig {
                task: Task::Recall { classes: 1 },
                ..ok.clone()
            },
            "number of classes K = 1",
        ),
    ];
    for (c, want) in cases {
        let e = Trainer::new(c).expect_err(want).to_string();
        // The command line adds the flag's name (`train::report`).
        assert!(e.starts_with(want) && !e.contains("--"), "{e}");
    }
}

/// The presets' effects on shortened runs (the full runs are in benches/README.md).
#[test]
fn presets_show_their_effect_on_shortened_runs() {
    // long-memory over T = 20 instead of 50: after 500 iterations the LSTM has learned the
    // sum and the RNN still predicts the mean (the full preset takes ~1000 iterations more).
    let mut lab = Preset::LongMemory.lab();
    lab.steps = 20;
    lab.iterations = 500;
    let exploding = Preset::Exploding.lab();
    // The four runs on their own threads (the numbers do not depend on it).
    let configs: Vec<RunConfig> = lab.runs().into_iter().chain(exploding.runs()).collect();
    let h: Vec<History> = std::thread::scope(|s| {
        let handles: Vec<_> = configs
            .iter()
            .map(|c| s.spawn(move || train(c, &|| false).expect("valid")))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("trained"))
            .collect()
    });
    let baseline = lab.task.baseline_loss();
    let (r, l) = (
        h[0].final_loss().expect("ran") / baseline,
        h[1].final_loss().expect("ran") / baseline,
    );
    assert!(l < 0.1 && r > 0.5, "LSTM {l} RNN {r} (of the baseline)");

    // exploding: without clipping the loss peaks far above the clipped run's after warm-up.
    let (plain, clipped) = (&h[2], &h[3]);
    let from = Preset::warm_up(exploding.iterations);
    let peak_plain = plain.peak_loss_from(from).expect("ran") / baseline;
    let peak_clipped = clipped.peak_loss_from(from).expect("ran") / baseline;
    assert!(
        (plain.diverged || peak_plain >= 10.0) && peak_clipped < 10.0,
        "peaks {peak_plain} and {peak_clipped} baselines"
    );
    assert!(clipped.final_loss() < plain.final_loss());
}
