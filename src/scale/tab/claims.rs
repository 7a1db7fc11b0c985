//! The claims sweep of the Scale-invariance tab: every sentence its notes, readout and summary
//! can show, over every function × weight decay × noise × step size × start, for 40 steps. Each
//! run is checked against the runs without decay and without noise and against the iterates
//! themselves, recomputed here (gradients by finite differences of f).

use std::collections::BTreeSet;
use std::time::Instant;

use super::notes;
use crate::controls::Cycle;
use crate::scale::model::{
    AngularProfile, DecayRegime, Exploration, Function, Objective, Params, Run, decay_regime,
    explore,
};
use crate::scale::report;

const STEPS: usize = 40;

/// ∇f(x) by central differences of f.
fn fd_gradient(obj: &Objective, x: &[f64]) -> Vec<f64> {
    let scale = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let h = 1e-6 * scale.max(1e-300);
    (0..x.len())
        .map(|i| {
            let (mut plus, mut minus) = (x.to_vec(), x.to_vec());
            plus[i] += h;
            minus[i] -= h;
            (obj.value(&plus) - obj.value(&minus)) / (2.0 * h)
        })
        .collect()
}

fn norm_sq(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum()
}

/// ‖x_{k+1}‖² − ‖x_k‖² from the iterates, as Σ (b − a)(b + a) so that a tiny change is not
/// lost to cancelling ‖x‖².
fn increments(run: &Run) -> Vec<f64> {
    (0..run.steps_taken())
        .map(|k| {
            let (a, b) = (run.point(k).unwrap(), run.point(k + 1).unwrap());
            a.iter().zip(b).map(|(a, b)| (b - a) * (b + a)).sum()
        })
        .collect()
}

/// −1, 0, 1: shrank, rounding (below 1e-14 ‖x_k‖²), grew, recomputed from the iterates.
fn signs(run: &Run) -> Vec<i8> {
    increments(run)
        .iter()
        .enumerate()
        .map(|(k, d)| {
            let tol = 1e-14 * norm_sq(run.point(k).unwrap());
            if *d > tol {
                1
            } else if *d < -tol {
                -1
            } else {
                0
            }
        })
        .collect()
}

/// The starts: the default, near a minimum of f on the circle, and a small one.
fn starts(function: Function) -> Vec<Vec<f64>> {
    let p = Params {
        function,
        steps: 1,
        ..Params::default()
    };
    let e = explore(&p).unwrap();
    let mut out = vec![vec![1.0, 0.3], vec![0.1, 0.03]];
    if let Some(phi) = e.profile.and_then(|p| p.minima.first().copied()) {
        out.push(vec![(phi + 0.01).cos(), (phi + 0.01).sin()]);
    }
    out
}

#[test]
fn every_scale_sentence_holds_where_it_is_shown() {
    let started = Instant::now();
    let mut seen = BTreeSet::new();
    for &function in Function::ALL {
        for init in starts(function) {
            for decay in [0.0, 0.1, 0.5, 2.0] {
                for noise in [0.0, 0.1] {
                    for lr in [0.02, 0.1, 0.5] {
                        let p = Params {
                            function,
                            lr,
                            steps: STEPS,
                            init: Some(init.clone()),
                            weight_decay: decay,
                            noise,
                            ..Params::default()
                        };
                        if p.validate().is_err() {
                            continue;
                        }
                        check(&p, &mut seen);
                    }
                }
            }
        }
    }
    let took = started.elapsed();
    eprintln!("scale claims sweep: {took:.2?}, branches {seen:?}");
    for branch in [
        "right angles",
        "pulls toward 0",
        "noise part",
        "plain adds",
        "plain noise",
        "no decay",
        "ran away",
        "shrinking",
        "unstable",
        "not settled",
    ] {
        assert!(seen.contains(branch), "the sweep never showed {branch:?}");
    }
}

fn check(p: &Params, seen: &mut BTreeSet<&'static str>) {
    let e = explore(p).unwrap();
    let obj = Objective::from_params(p).unwrap();
    scaling(&e, &obj);
    for run in [&e.without_decay, &e.with_decay] {
        plane(&obj, p, run, seen);
        remark(&obj, run);
    }
    plain(&obj, &e.without_decay, seen);
    norm_chart(&e);
    decay(p, &e, seen);
}

/// "Scaling x by λ divides the gradient by λ, and the gradient is always perpendicular to x."
fn scaling(e: &Exploration, obj: &Objective) {
    let gs = &e.without_decay.grad_scaling;
    let g = fd_gradient(obj, &gs.x);
    let scaled: Vec<f64> = gs.x.iter().map(|v| v * gs.lambda).collect();
    let g_scaled = fd_gradient(obj, &scaled);
    let size = norm_sq(&g).sqrt().max(1e-300);
    for (a, b) in g_scaled.iter().zip(&g) {
        assert!((a - b / gs.lambda).abs() <= 1e-5 * size / gs.lambda.min(1.0));
    }
    let inner: f64 = gs.x.iter().zip(&g).map(|(a, b)| a * b).sum();
    assert!(inner.abs() <= 1e-5 * size * norm_sq(&gs.x).sqrt());
}

/// The plane's note for `run` against its iterates.
fn plane(obj: &Objective, p: &Params, run: &Run, seen: &mut BTreeSet<&'static str>) {
    let text = notes::plane(run);
    let sign = signs(run);
    let shrank = sign.iter().filter(|c| **c < 0).count();
    if text.contains("Each step −η∇f is at right angles to x") {
        seen.insert("right angles");
        assert!(run.weight_decay == 0.0 && run.noise == 0.0, "{text}");
        for k in 0..run.steps_taken() {
            let (x, next) = (run.point(k).unwrap(), run.point(k + 1).unwrap());
            let step: Vec<f64> = next.iter().zip(x).map(|(a, b)| a - b).collect();
            let inner: f64 = step.iter().zip(x).map(|(a, b)| a * b).sum();
            let scale = norm_sq(&step).sqrt() * norm_sq(x).sqrt();
            let rounding = 1e-15 * norm_sq(x);
            assert!(inner.abs() <= 1e-9 * scale + rounding, "step {k}: {inner}");
        }
        if text.contains("grows at every step") {
            assert!(sign.iter().all(|c| *c > 0));
        }
        if text.contains("never shrinks") {
            assert_eq!(shrank, 0);
            assert_eq!(sign.contains(&0), text.contains("beyond rounding"));
        }
    }
    if text.contains("With decay each step also pulls x toward 0 by ηλx") {
        seen.insert("pulls toward 0");
        assert!(run.weight_decay > 0.0 && run.noise == 0.0);
        // Each step is the step without decay from the same x_k, plus −ηλx_k.
        for k in 0..run.steps_taken() {
            let (x, next) = (run.point(k).unwrap(), run.point(k + 1).unwrap());
            let g = fd_gradient(obj, x);
            for i in 0..x.len() {
                let without = x[i] - p.lr * g[i];
                let pull = -p.lr * p.weight_decay * x[i];
                let size = norm_sq(x).sqrt() + p.lr * norm_sq(&g).sqrt();
                assert!((next[i] - without - pull).abs() <= 1e-5 * size);
            }
        }
    }
    if text.contains("The noise has a part along x") {
        seen.insert("noise part");
        assert!(run.noise > 0.0);
        if run.weight_decay == 0.0 {
            // Without the noise no step from the same x_k would have shrunk ‖x‖.
            for k in 0..run.steps_taken() {
                let x = run.point(k).unwrap();
                let g = fd_gradient(obj, x);
                let noiseless: Vec<f64> = x.iter().zip(&g).map(|(a, b)| a - p.lr * b).collect();
                assert!(norm_sq(&noiseless) >= norm_sq(x) * (1.0 - 1e-9));
            }
        }
    }
    if text.contains("no step shrank it") {
        assert_eq!(shrank, 0);
    }
    if text.contains("shrinking in") {
        assert!(text.contains(&format!("shrinking in {shrank} of {}", run.steps_taken())));
    }
}

/// The growth remark beside ‖x_k+1‖² − ‖x_k‖².
fn remark(obj: &Objective, run: &Run) {
    for k in 0..run.steps_taken() {
        let inc = run.norm_sq_increment[k];
        let predicted = run.grad_norm_sq_times_lr_sq[k];
        let Some(remark) = super::ScaleTab::growth_remark(run, inc, predicted) else {
            continue;
        };
        if remark == "decay pulls x toward 0 too" {
            // Without noise the decay step ends nearer 0 than the same step without decay.
            let x = run.point(k).unwrap();
            let g = fd_gradient(obj, x);
            let without: Vec<f64> = x.iter().zip(&g).map(|(a, b)| a - run.lr * b).collect();
            assert!(norm_sq(run.point(k + 1).unwrap()) < norm_sq(&without));
        }
        if remark.contains("noise") {
            assert!(run.noise > 0.0);
        }
        if remark.contains("decay") {
            assert!(run.weight_decay > 0.0);
        }
    }
}

/// The plain run's note: the identity without noise, the averages with it.
fn plain(obj: &Objective, run: &Run, seen: &mut BTreeSet<&'static str>) {
    let text = notes::plain(run);
    let inc = increments(run);
    if text.contains("each step adds η²‖∇f‖² to ‖x‖²") {
        seen.insert("plain adds");
        assert!(run.noise == 0.0 && run.weight_decay == 0.0);
        for (k, d) in inc.iter().enumerate() {
            let g = fd_gradient(obj, run.point(k).unwrap());
            let want = run.lr * run.lr * norm_sq(&g);
            assert!((d - want).abs() <= 1e-5 * want + 1e-12 * run.norms[k].powi(2));
        }
        let sign = signs(run);
        if text.contains("only grows") {
            assert!(sign.iter().all(|c| *c > 0));
            assert!(run.effective_lr.windows(2).all(|w| w[1] < w[0]));
        } else {
            assert!(sign.iter().all(|c| *c >= 0), "{text}");
            assert!(
                sign.contains(&0) == text.contains("beyond rounding"),
                "{text}"
            );
        }
    }
    if text.contains("on average a step added") {
        seen.insert("plain noise");
        let mean = inc.iter().sum::<f64>() / inc.len().max(1) as f64;
        assert!(text.contains(&notes::n(mean)), "{text} vs {mean}");
    }
}

/// The line under the norm chart against both runs' norms.
fn norm_chart(e: &Exploration) {
    let text = notes::norm_chart(&e.without_decay, &e.with_decay);
    let verb_holds = |run: &Run, verb: &str| {
        let sign = signs(run);
        match verb {
            "only grows" => sign.iter().all(|c| *c > 0),
            "only shrinks" => sign.iter().all(|c| *c < 0),
            "grows or holds" => sign.iter().all(|c| *c >= 0),
            "shrinks or holds" => sign.iter().all(|c| *c <= 0),
            "holds" => sign.iter().all(|c| *c == 0),
            _ => sign.contains(&1) && sign.contains(&-1),
        }
    };
    let verbs = [
        "only grows",
        "only shrinks",
        "grows or holds",
        "shrinks or holds",
        "holds",
        "up and down",
    ];
    let after = |prefix: &str| {
        let rest = text.split(prefix).nth(1).unwrap_or("");
        verbs
            .into_iter()
            .find(|v| rest.starts_with(v))
            .unwrap_or("?")
    };
    assert!(
        verb_holds(&e.without_decay, after("plain ")),
        "{text} {:?} {:?}",
        signs(&e.without_decay),
        e.without_decay.norm_sq_increment
    );
    if e.with_decay.weight_decay > 0.0 {
        assert!(verb_holds(&e.with_decay, after("decay ")), "{text}");
    } else {
        assert_eq!(e.with_decay, e.without_decay);
    }
}

/// The decay run's note and the summary's verdict against the norms recomputed here.
fn decay(p: &Params, e: &Exploration, seen: &mut BTreeSet<&'static str>) {
    let run = &e.with_decay;
    let regime = decay_regime(run, e.profile.as_ref()).unwrap();
    let text = notes::decay(&regime);
    let summary = report::summary(p, run);
    let norms = &run.norms;
    let last = norms.len() - 1;
    let from = last - (last as f64 * 0.25).floor() as usize;
    let window = &norms[from..];
    let half = window.len() / 2;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let drift = mean(&window[window.len() - half..]) / mean(&window[..half.max(1)]) - 1.0;
    let settled_here = text.contains("settled where decay balances");
    if settled_here || summary.contains("‖x‖ settled") {
        assert!(
            run.runaway.is_none() && window.len() >= 8 && drift.abs() < 0.05,
            "{text}"
        );
        let band = run.band().unwrap();
        let rms = (window.iter().map(|n| n * n).sum::<f64>() / window.len() as f64).sqrt();
        assert!((rms / band.predicted_norm - 1.0).abs() < 0.25);
    }
    assert_eq!(
        settled_here,
        summary.contains("‖x‖ settled"),
        "{text}\n{summary}"
    );
    if run.runaway.is_some() && p.weight_decay > 0.0 {
        seen.insert("ran away");
        assert!(
            text.contains("stopped at step") && !text.contains("settled"),
            "{text}"
        );
        assert!(!summary.contains("RMS ‖x‖") && !summary.contains("settled ("));
    }
    match regime {
        DecayRegime::NoDecay => {
            seen.insert("no decay");
            assert_eq!(e.with_decay, e.without_decay);
        }
        DecayRegime::Shrinking { rate, band, .. } => {
            seen.insert("shrinking");
            let measured =
                (norms[last] / norms[band.from_step]).powf(1.0 / (last - band.from_step) as f64);
            assert!((measured / rate - 1.0).abs() < 1e-4);
            assert!((rate - (1.0 - p.lr * p.weight_decay)).abs() < 1e-15);
            if text.contains("u sits at the minimum") {
                assert!(distance(e.profile.as_ref(), run.point(last).unwrap()) < 1e-3);
            }
        }
        DecayRegime::Unstable {
            crossed_at, limit, ..
        } => {
            seen.insert("unstable");
            assert!(run.effective_lr[crossed_at] > limit);
            assert!(run.effective_lr[..crossed_at].iter().all(|s| *s <= limit));
            if text.contains("‖x‖ shrank until") {
                assert!(norms[crossed_at] < norms[0]);
            }
            let at = distance(e.profile.as_ref(), run.point(crossed_at).unwrap());
            let most = (crossed_at..=last)
                .map(|k| distance(e.profile.as_ref(), run.point(k).unwrap()))
                .fold(at, f64::max);
            let left = most > 10.0 * at && most > 1e-3;
            assert_eq!(text.contains("the minimum repels u"), left, "{text}");
        }
        DecayRegime::Settled { .. } => {
            seen.insert("settled");
        }
        DecayRegime::Unsettled { .. } => {
            seen.insert("not settled");
            assert!(text.contains("has not settled"));
        }
        DecayRegime::RanAway { .. } => {}
    }
}

/// The angle between x's direction and the nearest minimum of f on the circle.
fn distance(profile: Option<&AngularProfile>, x: &[f64]) -> f64 {
    let phi = x[1].atan2(x[0]);
    profile
        .into_iter()
        .flat_map(|p| p.minima.iter())
        .map(|m| {
            let d = (phi - m).rem_euclid(std::f64::consts::TAU);
            d.min(std::f64::consts::TAU - d)
        })
        .fold(f64::INFINITY, f64::min)
}

/// The guard list names tests that exist.
#[test]
fn the_guard_list_names_real_tests() {
    let sources = [include_str!("claims.rs"), include_str!("tests.rs")];
    for (sentence, test) in notes::GUARDS {
        let name = test.rsplit("::").next().unwrap();
        assert!(
            sources.iter().any(|s| s.contains(&format!("fn {name}()"))),
            "{sentence:?} → {test}"
        );
    }
}
