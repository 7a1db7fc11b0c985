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

/// The step lengths of the optimizers with and without clipping: the counterfactual step
/// against identities and against PyTorch's replay of the long-memory preset (issue 19).
#[test]
fn the_counterfactual_step_matches_the_issues_figures() {
    // The update computed without taking it is the step then taken.
    for optimizer in [
        Optimizer::Sgd { momentum: 0.0 },
        Optimizer::Sgd { momentum: 0.9 },
        Optimizer::Adam,
    ] {
        let mut opt = OptState::new(optimizer, 3);
        let mut p = vec![0.5, -1.0, 2.0];
        let mut delta = vec![0.0; 3];
        for g in [[1.0, -2.0, 0.5], [-0.3, 0.2, 4.0], [2.0, 2.0, -1.0]] {
            opt.update(optimizer, 0.1, &g, &mut delta);
            let before = p.clone();
            opt.step(optimizer, 0.1, &mut p, &g);
            for ((b, a), d) in before.iter().zip(&p).zip(&delta) {
                assert!((b - a - d).abs() <= 1e-15, "{optimizer:?}");
            }
        }
    }
    // SGD without momentum: every clipped step is shortened by exactly c/(‖g‖ + 1e-6).
    let mut c = config(Task::Adding, Cell::Rnn, Activation::Tanh);
    c.optimizer = Optimizer::Sgd { momentum: 0.0 };
    c.clip = Clip::Norm(0.01);
    c.iterations = 6;
    let h = train(&c, &|| false).expect("valid");
    for (s, g) in h.clip_steps.iter().zip(&h.grad_norm) {
        let s = s.expect("every gradient is above 0.01");
        let coef = 0.01 / (g + 1e-6);
        assert!((s.ratio() - coef).abs() <= 1e-12 * coef, "{s:?}");
        assert!((s.shrink - coef).abs() <= 1e-12 * coef);
    }
    // Momentum 0.9 at lr 0.1 (PyTorch's replay): 30 clipped steps of g = +1, then g = −2:
    // the clipped step is 0.762 long, the unclipped one 0.662 (the buffer points against g);
    // in closed form lr·(μ·b₃₀ − 1) and lr·(μ·b₃₀ − 2), b₃₀ = (1 − μ³⁰)/(1 − μ) (clipping at
    // ‖g‖ = 1 scales by 1/(1 + 1e-6) only).
    let sgd = Optimizer::Sgd { momentum: 0.9 };
    let mut opt = OptState::new(sgd, 1);
    let mut p = vec![0.0];
    for _ in 0..30 {
        let mut g = [1.0];
        Clip::Norm(1.0).apply(&mut [&mut g[..]]);
        opt.step(sgd, 0.1, &mut p, &g);
    }
    let (mut clipped, mut unclipped) = ([0.0], [0.0]);
    opt.update(sgd, 0.1, &[-2.0], &mut unclipped);
    let mut g = [-2.0];
    Clip::Norm(1.0).apply(&mut [&mut g[..]]);
    opt.update(sgd, 0.1, &g, &mut clipped);
    assert_eq!(
        format!("{:.3} {:.3}", clipped[0].abs(), unclipped[0].abs()),
        "0.762 0.662"
    );
    let b30 = (1.0 - 0.9f64.powi(30)) / 0.1;
    assert!((clipped[0].abs() - 0.1 * (0.9 * b30 - 1.0)).abs() < 1e-5);
    assert!((unclipped[0].abs() - 0.1 * (0.9 * b30 - 2.0)).abs() < 1e-5);
    // Adam: the preset's RNN, replayed in PyTorch from the exported weights and batches,
    // clipped and not: iteration 1 (‖g‖ 3.551) moves the weights 0.34424 either way (Adam's
    // first step is lr·g/(|g| + ε) per entry, blind to the scale of g); iteration 2 moves
    // them 0.28114 clipped, 0.27720 in the run without clipping.
    let lab = Preset::LongMemory.lab();
    let rnn = RunConfig {
        iterations: 2,
        ..lab.runs()[0].clone()
    };
    let moves = |config: RunConfig| -> (Vec<f64>, History) {
        let mut t = Trainer::new(config).expect("valid");
        let mut h = History::default();
        let mut lengths = Vec::new();
        for _ in 0..2 {
            let before = t.params().to_vec();
            h.push(t.step().expect("an iteration"));
            let d: Vec<f64> = before.iter().zip(t.params()).map(|(a, b)| a - b).collect();
            lengths.push(crate::grad::l2_norm(&d));
        }
        (lengths, h)
    };
    let (clipped, h) = moves(rnn.clone());
    let (plain, _) = moves(RunConfig {
        clip: Clip::None,
        ..rnn
    });
    let five = |xs: &[f64]| xs.iter().map(|x| format!("{x:.5}")).collect::<Vec<_>>();
    assert_eq!(format!("{:.3}", h.grad_norm[0]), "3.551");
    assert_eq!(five(&clipped), ["0.34424", "0.28114"]);
    assert_eq!(five(&plain), ["0.34424", "0.27720"]);
    // The recorded steps are the steps taken; the first one's counterfactual (same state,
    // unclipped g) is the unclipped run's first step.
    let s: Vec<ClipStep> = h.clip_steps.iter().map(|s| s.expect("clipped")).collect();
    for (s, len) in s.iter().zip(&clipped) {
        assert!((s.clipped - len).abs() <= 1e-12 * len, "{s:?} {len}");
    }
    assert!((s[0].unclipped - plain[0]).abs() <= 1e-12 * plain[0]);
    assert!((s[0].ratio() - 1.0).abs() < 1e-4, "{:?}", s[0]);
}

/// Loss and every gradient against PyTorch's for the same weights and batch
/// (tests/fixtures/train_torch_grads.json, written by benches/train_torch_fixture.py): an RNN
/// with tanh and with ReLU, an LSTM, with the regression and the classification head.
#[test]
fn network_matches_pytorchs_loss_and_gradients() {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/train_torch_grads.json"
    ))
    .expect("fixture");
    let floats = |v: &serde_json::Value| -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().expect("number"))
            .collect()
    };
    let size = |c: &serde_json::Value, k: &str| c[k].as_u64().expect("size") as usize;
    let cases = fixture["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 4);
    for c in cases {
        let name = c["name"].as_str().expect("name");
        let shape = Shape {
            cell: if c["cell"] == "lstm" {
                Cell::Lstm
            } else {
                Cell::Rnn
            },
            activation: if c["activation"] == "relu" {
                Activation::Relu
            } else {
                Activation::Tanh
            },
            input: size(c, "input"),
            hidden: size(c, "hidden"),
            output: size(c, "output"),
        };
        let targets = if shape.output == 1 {
            Targets::Values(floats(&c["targets"]))
        } else {
            let classes = c["targets"].as_array().expect("targets");
            Targets::Classes(
                classes
                    .iter()
                    .map(|t| t.as_u64().expect("class") as usize)
                    .collect(),
            )
        };
        let batch = Batch {
            batch: size(c, "batch"),
            steps: size(c, "steps"),
            input: shape.input,
            inputs: floats(&c["inputs"]),
            targets,
        };
        let mut params = vec![0.0; shape.len()];
        for part in shape.parts() {
            params[part.range()].copy_from_slice(&floats(&c["params"][part.name]));
        }
        let mut grads = vec![0.0; shape.len()];
        let mut ws = Workspace::default();
        // Twice with one workspace: the second pass must not see the first's buffers.
        for pass in 0..2 {
            let loss = forward_backward(&shape, &params, &batch, &mut grads, &mut ws).loss;
            let want = c["loss"].as_f64().expect("loss");
            assert!(
                (loss - want).abs() <= 1e-12 * want.abs(),
                "{name} loss {loss} vs {want}"
            );
            for part in shape.parts() {
                let want = floats(&c["grads"][part.name]);
                let scale = want.iter().fold(0.0f64, |m, g| m.max(g.abs()));
                for (k, (g, w)) in grads[part.range()].iter().zip(&want).enumerate() {
                    assert!(
                        (g - w).abs() <= 1e-12 * scale,
                        "{name} pass {pass} {}[{k}]: {g} vs PyTorch {w}",
                        part.name
                    );
                }
            }
        }
    }
}
