//! The note's sentences against their counterfactuals, over the lab's whole settings space:
//! both presets × both tasks × every optimizer × every clip mode × both cells (or both RNN
//! activations), short runs. Each clipped step is replayed by an independent trainer that also
//! takes, from a copy of its state, the step without clipping.

use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::train::model::network::forward_backward;
use crate::train::model::{Activation, Cell, DATA_STREAM, Workspace, initial_parameters, train};
use crate::train::report::{Trained, summary};
use crate::train::tab::notes::status_fields;

/// torch.optim's SGD and Adam written out again over plain vectors.
#[derive(Clone)]
struct Reference {
    params: Vec<f64>,
    buf: Option<Vec<f64>>,
    m: Vec<f64>,
    v: Vec<f64>,
    k: i32,
}

// Index loops on purpose: the reference reads like the torch.optim documentation.
#[allow(clippy::needless_range_loop)]
impl Reference {
    fn step(&mut self, optimizer: Optimizer, lr: f64, g: &[f64]) {
        self.k += 1;
        match optimizer {
            Optimizer::Sgd { momentum } => {
                let d: Vec<f64> = match &self.buf {
                    Some(b) if momentum > 0.0 => {
                        (0..g.len()).map(|i| momentum * b[i] + g[i]).collect()
                    }
                    _ => g.to_vec(),
                };
                for i in 0..g.len() {
                    self.params[i] -= lr * d[i];
                }
                self.buf = Some(d);
            }
            Optimizer::Adam => {
                for i in 0..g.len() {
                    self.m[i] = 0.9 * self.m[i] + 0.1 * g[i];
                    self.v[i] = 0.999 * self.v[i] + 0.001 * g[i] * g[i];
                    let m_hat = self.m[i] / (1.0 - 0.9f64.powi(self.k));
                    let v_hat = self.v[i] / (1.0 - 0.999f64.powi(self.k));
                    self.params[i] -= lr * m_hat / (v_hat.sqrt() + 1e-8);
                }
            }
        }
    }
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// One clipped iteration, replayed: the gradient's shrink, the two step lengths, and the
/// inner product of the momentum term μ·b with the unclipped gradient.
#[derive(Debug)]
struct Replayed {
    shrink: f64,
    clipped: f64,
    unclipped: f64,
    buffer_dot_g: f64,
}

/// The run of `c` again, step by step, with each clipped step's counterfactual.
fn replay(c: &RunConfig) -> Vec<Replayed> {
    let shape = c.shape();
    let n = shape.len();
    let mut r = Reference {
        params: initial_parameters(c),
        buf: None,
        m: vec![0.0; n],
        v: vec![0.0; n],
        k: 0,
    };
    let mut rng = StdRng::seed_from_u64(c.seed ^ DATA_STREAM);
    let mut out = Vec::new();
    for _ in 0..c.iterations {
        let batch = c.task.batch(&mut rng, c.batch, c.steps);
        let mut g = vec![0.0; n];
        let pass = forward_backward(&shape, &r.params, &batch, &mut g, &mut Workspace::default());
        if !pass.loss.is_finite() {
            break;
        }
        let mut clipped = g.clone();
        c.clip.apply(&mut [&mut clipped[..]]);
        if clipped != g {
            let mut without = r.clone();
            without.step(c.optimizer, c.lr, &g);
            let before = r.params.clone();
            let momentum = c.optimizer.momentum().unwrap_or(0.0);
            let buffer_dot_g = r.buf.as_ref().map_or(0.0, |b| {
                b.iter().zip(&g).map(|(b, g)| momentum * b * g).sum()
            });
            r.step(c.optimizer, c.lr, &clipped);
            let diff =
                |p: &[f64]| -> Vec<f64> { before.iter().zip(p).map(|(a, b)| a - b).collect() };
            out.push(Replayed {
                shrink: norm(&clipped) / norm(&g),
                clipped: norm(&diff(&r.params)),
                unclipped: norm(&diff(&without.params)),
                buffer_dot_g,
            });
        } else {
            r.step(c.optimizer, c.lr, &g);
        }
    }
    out
}

/// The labs of the sweep: short runs over every preset, task, optimizer, clip mode and cell.
fn grid() -> Vec<Lab> {
    let mut labs = Vec::new();
    for preset in [Preset::LongMemory, Preset::Exploding] {
        for task in [Task::Adding, Task::Recall { classes: 4 }] {
            for optimizer in [
                Optimizer::Sgd { momentum: 0.0 },
                Optimizer::Sgd { momentum: 0.9 },
                Optimizer::Adam,
            ] {
                for clip in [
                    Clip::None,
                    Clip::Norm(0.5),
                    Clip::Norm(10.0),
                    Clip::Value(0.02),
                ] {
                    for (cell, activation) in [
                        (Cell::Rnn, Activation::Tanh),
                        (Cell::Lstm, Activation::Relu),
                    ] {
                        labs.push(Lab {
                            task,
                            cell,
                            activation,
                            optimizer,
                            clip,
                            steps: 8,
                            hidden: 6,
                            batch: 8,
                            iterations: 30,
                            ..preset.lab()
                        });
                    }
                }
            }
        }
    }
    // Runs that diverge: a relu RNN with W_hh at radius 10 and a large step.
    for clip in [Clip::None, Clip::Norm(0.5)] {
        labs.push(Lab {
            activation: Activation::Relu,
            rho: Some(10.0),
            lr: 100.0,
            clip,
            steps: 8,
            hidden: 6,
            batch: 8,
            iterations: 30,
            ..Preset::Exploding.lab()
        });
    }
    labs
}

/// What the sweep saw, so it can say it covered each case.
#[derive(Default, Debug)]
struct Seen {
    never_acted: usize,
    plain_sgd_exact: usize,
    lengthened: usize,
    not_as_gradient: [usize; 2],
    at_chance: usize,
    above_chance: usize,
    diverged: usize,
}

/// No inf, no NaN, no negative share, no "Run 1".
fn assert_clean(text: &str) {
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        assert!(word != "inf" && word != "NaN", "{word} in {text}");
    }
    assert!(!text.contains("Run 1") && !text.contains("Run 2"), "{text}");
    let b = text.as_bytes();
    for (i, _) in text.match_indices('%') {
        let start = text[..i].rfind(|c: char| !(c.is_ascii_digit() || c == '.'));
        if let Some(s) = start {
            assert!(b[s] != b'-' || s + 1 == i, "a negative share in {text}");
        }
    }
}

fn check_clipping(lab: &Lab, config: &RunConfig, h: &History, note: &str, seen: &mut Seen) {
    let subject = subject(lab.compare, config);
    let rep = replay(config);
    let updates = h.len() - usize::from(h.diverged);
    let c = config.clip.threshold().expect("a clip");
    if note.contains(&format!(
        "{subject}: {} clipping at c = {c} never acted",
        config.clip.name()
    )) {
        // The counterfactual: the same run without clipping is the same run.
        assert!(rep.is_empty(), "{note}");
        let without = train(
            &RunConfig {
                clip: Clip::None,
                ..config.clone()
            },
            &|| false,
        )
        .expect("valid");
        assert_eq!(without.loss, h.loss, "{note}");
        seen.never_acted += 1;
        return;
    }
    assert!(
        note.contains(&format!("in {} of {updates} updates.", rep.len())),
        "{} in {note}",
        rep.len()
    );
    let finite: Vec<&Replayed> = rep
        .iter()
        .filter(|r| r.clipped.is_finite() && r.unclipped.is_finite())
        .collect();
    let longer = finite
        .iter()
        .filter(|r| r.clipped > r.unclipped * (1.0 + SAME_STEP))
        .count();
    let shorter = finite
        .iter()
        .filter(|r| r.clipped < r.unclipped * (1.0 - SAME_STEP))
        .count();
    let same = finite.len() - longer - shorter;
    let counts = format!("{shorter} shorter, {longer} longer, {same} within 0.1%");
    assert!(note.contains(&counts), "{counts} not in {note}");
    let off = |r: &Replayed| (r.clipped - r.shrink * r.unclipped).abs() / (r.shrink * r.unclipped);
    if note.contains("Plain SGD steps by lr·g, so each clipped step shrank exactly") {
        assert_eq!(config.optimizer, Optimizer::Sgd { momentum: 0.0 });
        assert!(finite.iter().all(|r| off(r) <= 1e-9), "{rep:?}");
        seen.plain_sgd_exact += 1;
    } else if config.optimizer == (Optimizer::Sgd { momentum: 0.0 }) && !finite.is_empty() {
        panic!("plain SGD without its sentence: {note}");
    }
    if note.contains("need not shrink as the gradient did") {
        let near = finite.iter().filter(|r| off(r) <= SAME_STEP).count();
        let said = format!("{near} of {} did (within 0.1%)", finite.len());
        assert!(note.contains(&said), "{said} not in {note}");
        let k = usize::from(config.optimizer == Optimizer::Adam);
        seen.not_as_gradient[k] += usize::from(near < finite.len());
    }
    if note.contains("longer ones are steps where b pointed against g") {
        for r in finite
            .iter()
            .filter(|r| r.clipped > r.unclipped * (1.0 + SAME_STEP))
        {
            assert!(r.buffer_dot_g < 0.0, "{r:?}");
        }
        seen.lengthened += 1;
    }
}

fn check_accuracy(lab: &Lab, config: &RunConfig, h: &History, note: &str, seen: &mut Seen) {
    let Task::Recall { classes } = lab.task else {
        assert!(!note.contains("chance"), "{note}");
        return;
    };
    let name = run_name(lab.compare, config);
    let n = h.len();
    let tail = n.div_ceil(10);
    let acc: f64 = h.accuracy[n - tail..]
        .iter()
        .map(|a| a.expect("recall"))
        .sum::<f64>()
        / tail as f64;
    let predictions = tail * config.batch;
    let p = 1.0 / classes as f64;
    let sigma = (p * (1.0 - p) / predictions as f64).sqrt();
    let verdict = if (acc - p).abs() <= 2.0 * sigma {
        seen.at_chance += 1;
        "is at chance: within"
    } else if acc > p {
        seen.above_chance += 1;
        "is above chance by more than"
    } else {
        "is below chance by more than"
    };
    let said = format!("{name} {verdict} 2σ = ");
    assert!(note.contains(&said), "{said} not in {note}");
    assert!(
        note.contains(&format!("(n = {predictions} predictions)")),
        "{note}"
    );
}

/// Every sentence the note, the status lines and the summary can show, over the grid.
#[test]
fn every_sentence_holds_over_the_settings_grid() {
    let start = Instant::now();
    let mut seen = Seen::default();
    for lab in grid() {
        let configs = lab.runs();
        let hs: Vec<History> = configs
            .iter()
            .map(|c| train(c, &|| false).expect("valid"))
            .collect();
        let refs: Vec<&History> = hs.iter().collect();
        let lines = note(&lab, &refs);
        let text = lines.join("\n");
        assert_clean(&text);
        let baseline = lab.task.baseline_loss();
        for (config, h) in configs.iter().zip(&hs) {
            let name = run_name(lab.compare, config);
            let fields = status_fields(&config.label(), config, h);
            assert_clean(&fields.join("  "));
            if matches!(lab.task, Task::Recall { .. }) && !h.diverged {
                assert!(fields[1].starts_with("acc "), "{fields:?}");
            }
            let tail = h.len().div_ceil(10);
            let mean = h.loss[h.len() - tail..].iter().sum::<f64>() / tail as f64;
            let share = if mean.is_finite() {
                percent(mean / baseline)
            } else {
                "not finite (diverged)".into()
            };
            assert!(
                text.contains(&format!("{name} {share}")),
                "{name} {share} in {text}"
            );
            let subject = subject(lab.compare, config);
            assert_eq!(
                text.contains(&format!("{subject} diverged")),
                h.diverged,
                "{text}"
            );
            if h.diverged {
                assert!(!h.loss.last().expect("ran").is_finite());
                seen.diverged += 1;
            }
            if config.clip == Clip::None {
                assert!(
                    !text.contains(&format!("{subject}: ")) || !text.contains("clipping at"),
                    "{text}"
                );
            } else {
                check_clipping(&lab, config, h, &text, &mut seen);
            }
            check_accuracy(&lab, config, h, &text, &mut seen);
        }
        let trained: Vec<Trained> = configs
            .iter()
            .zip(&hs)
            .map(|(c, h)| Trained {
                config: c.clone(),
                history: h.clone(),
                initial_state: None,
                batches: None,
            })
            .collect();
        assert_clean(&summary(&lab, None, &trained));
    }
    eprintln!("claims sweep: {seen:?} in {:.1?}", start.elapsed());
    // The grid reaches every sentence's case.
    assert!(
        seen.never_acted > 0 && seen.plain_sgd_exact > 0 && seen.lengthened > 0,
        "{seen:?}"
    );
    assert!(seen.not_as_gradient.iter().all(|&k| k > 0), "{seen:?}");
    assert!(seen.at_chance > 0 && seen.diverged > 0, "{seen:?}");
}

#[test]
fn percentages_keep_different_values_apart() {
    // The figures: 12.73% against 1/8 read "13%" and "12%" at two digits.
    assert_eq!(percents_apart(&[0.1273, 0.125]), ["12.7%", "12.5%"]);
    assert_eq!(
        percents_apart(&[1.0, 0.125, 0.125]),
        ["100%", "12.5%", "12.5%"]
    );
    assert_eq!(percents_apart(&[0.12501, 0.125]), ["12.501%", "12.5%"]);
    assert_eq!(percents_apart(&[1.0 / 3.0]), ["33.3%"]);
}

#[test]
fn the_chance_verdict_uses_two_binomial_standard_errors() {
    // 320 predictions at K = 8: σ = √(1/8 · 7/8 / 320) = 1.849 points; 2σ = 3.70 points.
    let config = RunConfig {
        task: Task::Recall { classes: 8 },
        batch: 32,
        iterations: 100,
        ..Preset::LongMemory.lab().runs()[1].clone()
    };
    let at = |correct_per_batch: f64| {
        let mut h = History::default();
        for _ in 0..100 {
            h.push(crate::train::model::Record {
                loss: 2.0,
                grad_norm: 1.0,
                accuracy: Some(correct_per_batch / 32.0),
                clip_step: None,
            });
        }
        accuracy_facts(&config, &h).expect("recall")
    };
    let a = at(4.0);
    assert_eq!(a.predictions, 320);
    assert!((a.sigma - (0.125f64 * 0.875 / 320.0).sqrt()).abs() < 1e-15);
    assert_eq!(a.versus, Versus::AtChance);
    // 12.73% (the LSTM) is within 2σ of 12.5%; 5.2 of 32 (16.25%) is not.
    assert_eq!(at(0.1273 * 32.0).versus, Versus::AtChance);
    assert_eq!(at(5.2).versus, Versus::Above);
    assert_eq!(at(2.7).versus, Versus::Below);
}

#[test]
fn every_guard_names_a_test() {
    let sources = [
        include_str!("tests.rs"),
        include_str!("../model/tests.rs"),
        include_str!("../tab/tests.rs"),
    ];
    for (sentence, test) in GUARDS {
        let def = format!("fn {test}()");
        assert!(
            sources.iter().any(|s| s.contains(&def)),
            "{sentence}: no test {test}"
        );
    }
}
