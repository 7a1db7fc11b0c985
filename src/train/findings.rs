//! What the runs show, in words computed from their numbers: the note the training tab and
//! `dlscope train` both print. Every sentence that says why or what if is chosen from facts
//! computed here (the clipped step against the same step without clipping, an accuracy
//! against its sampling error), and shown only where they hold; [`GUARDS`] names the test
//! that computes each one's counterfactual.

use crate::grad::Clip;
use crate::numfmt;
use crate::train::model::{Compare, History, Lab, Optimizer, Preset, RunConfig, Task};

/// Which test guards which sentence (its opening words → the test that computes what it
/// claims, over the whole settings grid unless named otherwise).
pub const GUARDS: &[(&str, &str)] = &[
    (
        "Final loss / Loss so far … as a share of the baseline",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "… diverged: its loss at iteration",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Largest loss after the first 5%",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "… clipping at c = … never acted … every step was the unclipped one",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "… rescaled the gradient / clamped gradient entries in k of N updates",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Each of those steps computed again without clipping: s shorter, l longer, u within 0.1%",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Plain SGD steps by lr·g, so each clipped step shrank exactly as the gradient did",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "With momentum the step is lr·(μ·b + g) … the longer ones are steps where b pointed against g",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Adam divides each entry of the step by … need not shrink as the gradient did",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Accuracy over the last 10%",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "… is at chance, or above or below chance by more than 2σ",
        "every_sentence_holds_over_the_settings_grid",
    ),
    (
        "Accuracy … : 12.7%; guessing gives 12.5% (digits that keep values apart)",
        "percentages_keep_different_values_apart",
    ),
    (
        "… at chance: within 2σ … (σ the binomial standard error of n predictions)",
        "the_chance_verdict_uses_two_binomial_standard_errors",
    ),
    (
        "The step lengths behind the clipping sentences (SGD c/‖g‖, momentum 0.762 vs 0.662, Adam's first step)",
        "the_counterfactual_step_matches_the_issues_figures",
    ),
    (
        "Status line: name and progress, acc, loss (share of baseline), ‖g‖; \"not finite\"",
        "the_status_line_keeps_accuracy_first_and_never_cuts_a_number",
    ),
];

/// Two step lengths within this relative difference count as the same: 0.1%.
pub const SAME_STEP: f64 = 1e-3;
/// A clipped step shrank "exactly" as its gradient did within this relative difference.
pub const EXACT: f64 = 1e-9;
/// An accuracy within this many standard errors of 1/K is "at chance".
pub const CHANCE_SIGMAS: f64 = 2.0;

/// A fraction as a percentage with two significant digits: 0.0031 → "0.31%", 0.98 → "98%".
/// Only finite values reach it (the note says "not finite" otherwise).
pub fn percent(fraction: f64) -> String {
    format!("{}%", numfmt::general(fraction * 100.0, 2))
}

/// A multiple with two significant digits: "44×", "3.1×".
pub fn times(x: f64) -> String {
    format!("{}×", numfmt::general(x, 2))
}

/// Percentages with the fewest decimals (1 to 4) that keep different values apart, trailing
/// zeros dropped: 0.12729 and 0.125 → "12.7%", "12.5%"; 1 → "100%".
pub fn percents_apart(values: &[f64]) -> Vec<String> {
    let show = |v: f64, d: usize| {
        let s = format!("{:.*}", d, v * 100.0);
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}%")
    };
    let mut out = Vec::new();
    for d in 1..=4 {
        out = values.iter().map(|&v| show(v, d)).collect();
        let apart = values.iter().enumerate().all(|(i, a)| {
            values[i + 1..]
                .iter()
                .zip(&out[i + 1..])
                .all(|(b, sb)| a == b || &out[i] != sb)
        });
        if apart {
            break;
        }
    }
    out
}

/// The spread of a set of ratios.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Spread {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

/// What clipping did to one run's steps, measured against the unclipped steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ClipFacts {
    pub clip: Clip,
    pub optimizer: Optimizer,
    /// Updates taken (a diverged run's last iteration takes none).
    pub updates: usize,
    /// Updates where clipping changed the gradient.
    pub fired: usize,
    /// Of those, steps shorter / longer than the unclipped step by more than [`SAME_STEP`],
    /// within it, and not measurable (a non-finite length).
    pub shorter: usize,
    pub longer: usize,
    pub same: usize,
    pub unmeasured: usize,
    /// Of the measured ones, steps whose length ratio equals the gradient's shrink factor
    /// within [`EXACT`], and within [`SAME_STEP`].
    pub as_gradient: usize,
    pub near_gradient: usize,
    /// Clipped over unclipped step length, over the measured steps.
    pub ratio: Option<Spread>,
}

/// The measured clip steps of `h` as [`ClipFacts`].
pub fn clip_facts(config: &RunConfig, h: &History) -> Option<ClipFacts> {
    if config.clip == Clip::None {
        return None;
    }
    let mut f = ClipFacts {
        clip: config.clip,
        optimizer: config.optimizer,
        updates: h.len() - usize::from(h.diverged),
        fired: 0,
        shorter: 0,
        longer: 0,
        same: 0,
        unmeasured: 0,
        as_gradient: 0,
        near_gradient: 0,
        ratio: None,
    };
    let mut ratios = Vec::new();
    for s in h.clip_steps.iter().flatten() {
        f.fired += 1;
        if !(s.clipped.is_finite() && s.unclipped.is_finite() && s.shrink.is_finite()) {
            f.unmeasured += 1;
            continue;
        }
        if s.clipped > s.unclipped * (1.0 + SAME_STEP) {
            f.longer += 1;
        } else if s.clipped < s.unclipped * (1.0 - SAME_STEP) {
            f.shorter += 1;
        } else {
            f.same += 1;
        }
        let off = (s.clipped - s.shrink * s.unclipped).abs();
        f.as_gradient += usize::from(off <= EXACT * s.shrink * s.unclipped);
        f.near_gradient += usize::from(off <= SAME_STEP * s.shrink * s.unclipped);
        if s.unclipped > 0.0 {
            ratios.push(s.ratio());
        }
    }
    ratios.sort_by(f64::total_cmp);
    f.ratio = (!ratios.is_empty()).then(|| {
        let n = ratios.len();
        Spread {
            min: ratios[0],
            median: if n % 2 == 1 {
                ratios[n / 2]
            } else {
                (ratios[n / 2 - 1] + ratios[n / 2]) / 2.0
            },
            max: ratios[n - 1],
        }
    });
    Some(f)
}

/// Where an accuracy sits against guessing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versus {
    /// Within [`CHANCE_SIGMAS`] standard errors of 1/K.
    AtChance,
    Above,
    Below,
}

/// A run's final accuracy against chance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AccuracyFacts {
    /// Mean accuracy over the last 10% of iterations.
    pub accuracy: f64,
    /// Predictions it counts: iterations averaged × batch size.
    pub predictions: usize,
    /// 1/K.
    pub chance: f64,
    /// √(p(1−p)/n) at p = 1/K: the standard error of the accuracy of n guesses.
    pub sigma: f64,
    pub versus: Versus,
}

/// The final accuracy of `h` against chance (recall only).
pub fn accuracy_facts(config: &RunConfig, h: &History) -> Option<AccuracyFacts> {
    let Task::Recall { classes } = config.task else {
        return None;
    };
    let (accuracy, iterations) = h.final_accuracy_over()?;
    let predictions = iterations * config.batch;
    let chance = 1.0 / classes as f64;
    let sigma = (chance * (1.0 - chance) / predictions as f64).sqrt();
    let versus = if (accuracy - chance).abs() <= CHANCE_SIGMAS * sigma {
        Versus::AtChance
    } else if accuracy > chance {
        Versus::Above
    } else {
        Versus::Below
    };
    Some(AccuracyFacts {
        accuracy,
        predictions,
        chance,
        sigma,
        versus,
    })
}

/// The numbers a note states, computed from the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    /// Each run's final loss (mean over the last 10% of its iterations) over the baseline.
    pub final_ratio: Vec<Option<f64>>,
    /// Each run's largest loss after the first 5% of the planned iterations, over the baseline
    /// (infinite after a non-finite loss).
    pub peak_ratio: Vec<Option<f64>>,
    /// What clipping did to the steps (runs with clipping only).
    pub clipping: Vec<Option<ClipFacts>>,
    /// Each run's final accuracy against chance (recall only).
    pub accuracy: Vec<Option<AccuracyFacts>>,
}

/// The findings of `runs` (in the lab's order) against the task's baseline.
pub fn findings(lab: &Lab, runs: &[&History]) -> Findings {
    let baseline = lab.task.baseline_loss();
    let configs = lab.runs();
    let warm_up = Preset::warm_up(lab.iterations);
    Findings {
        final_ratio: runs
            .iter()
            .map(|h| h.final_loss().map(|l| l / baseline))
            .collect(),
        peak_ratio: runs
            .iter()
            .map(|h| h.peak_loss_from(warm_up).map(|l| l / baseline))
            .collect(),
        clipping: runs
            .iter()
            .zip(&configs)
            .map(|(h, c)| clip_facts(c, h))
            .collect(),
        accuracy: runs
            .iter()
            .zip(&configs)
            .map(|(h, c)| accuracy_facts(c, h))
            .collect(),
    }
}

/// How the note lists a run: by its cell ("RNN tanh", "LSTM") where the runs differ by cell,
/// else by its clipping.
pub fn run_name(compare: Compare, config: &RunConfig) -> String {
    match compare {
        Compare::Cells | Compare::Single => config.label(),
        Compare::Clipping => {
            if config.clip == Clip::None {
                "without clipping".to_string()
            } else {
                format!("with clipping {}", config.clip)
            }
        }
    }
}

/// How a sentence about one run starts.
fn subject(compare: Compare, config: &RunConfig) -> String {
    match compare {
        Compare::Clipping if config.clip == Clip::None => "The run without clipping".to_string(),
        Compare::Clipping => "The clipped run".to_string(),
        _ => config.label(),
    }
}

/// A ratio to the baseline as the note shows it.
fn share(ratio: f64) -> String {
    if ratio.is_finite() {
        percent(ratio)
    } else {
        "not finite (diverged)".to_string()
    }
}

/// The note on the runs: a line per point, each computed from the runs. Empty before the
/// first iteration.
pub fn note(lab: &Lab, runs: &[&History]) -> Vec<String> {
    let configs = lab.runs();
    if runs.iter().all(|h| h.is_empty()) || runs.len() != configs.len() {
        return Vec::new();
    }
    let f = findings(lab, runs);
    let name = |i: usize| run_name(lab.compare, &configs[i]);
    let mut out = vec![final_loss_line(lab, runs, &f, &name)];
    for (i, h) in runs.iter().enumerate() {
        if h.diverged {
            out.push(format!(
                "{} diverged: its loss at iteration {} was not finite, so it stopped there.",
                subject(lab.compare, &configs[i]),
                h.len()
            ));
        }
    }
    if lab.compare == Compare::Clipping {
        let peaks: Vec<String> = f
            .peak_ratio
            .iter()
            .enumerate()
            .filter_map(|(i, p)| {
                p.map(|p| {
                    let p = if p.is_finite() { times(p) } else { share(p) };
                    format!("{} {p}", name(i))
                })
            })
            .collect();
        if !peaks.is_empty() {
            out.push(format!(
                "Largest loss after the first 5% of iterations, in baselines: {}.",
                peaks.join("; ")
            ));
        }
    }
    for (i, facts) in f.clipping.iter().enumerate() {
        if let Some(facts) = facts {
            out.extend(clip_lines(&subject(lab.compare, &configs[i]), facts));
        }
    }
    out.extend(accuracy_lines(lab, &f, &name));
    out
}

/// What clipping did in one run: how often it acted, its steps against the unclipped ones,
/// and what that means for the optimizer in use (only where the measurement shows it).
pub fn clip_lines(subject: &str, f: &ClipFacts) -> Vec<String> {
    let c = f.clip.threshold().unwrap_or(0.0);
    let mode = f.clip.name();
    if f.fired == 0 {
        let why = match f.clip {
            Clip::Value(_) => format!("no gradient entry beyond ±{c}"),
            _ => format!("‖g‖ never above {c}"),
        };
        return vec![format!(
            "{subject}: {mode} clipping at c = {c} never acted ({why}), so every step was the unclipped one."
        )];
    }
    let did = match f.clip {
        Clip::Value(_) => "clamped gradient entries",
        _ => "rescaled the gradient",
    };
    let mut out = vec![format!(
        "{subject}: {mode} clipping at c = {c} {did} in {} of {} updates.",
        f.fired, f.updates
    )];
    let mut measured = format!(
        "Each of those steps computed again without clipping (same weights, batch and optimizer state): {} shorter, {} longer, {} within 0.1%",
        f.shorter, f.longer, f.same
    );
    if f.unmeasured > 0 {
        measured.push_str(&format!(", {} not finite", f.unmeasured));
    }
    if let Some(r) = f.ratio {
        let g = |x: f64| numfmt::general(x, 3);
        if r.min == r.max {
            measured.push_str(&format!("; clipped/unclipped step length {}", g(r.min)));
        } else {
            measured.push_str(&format!(
                "; clipped/unclipped step length {} to {}, median {}",
                g(r.min),
                g(r.max),
                g(r.median)
            ));
        }
    }
    measured.push('.');
    out.push(measured);
    out.extend(optimizer_line(f));
    out
}

/// What clipping does for the optimizer in use, said only where the measured steps show it.
fn optimizer_line(f: &ClipFacts) -> Option<String> {
    let measured = f.fired - f.unmeasured;
    if measured == 0 {
        return None;
    }
    let by = match f.clip {
        Clip::Norm(_) => "by c/‖g‖",
        _ => "by ‖clamped g‖/‖g‖",
    };
    let followed = format!(
        "so the step need not shrink as the gradient did: {} of {measured} did (within 0.1%).",
        f.near_gradient
    );
    match f.optimizer {
        Optimizer::Sgd { momentum: 0.0 } => (f.as_gradient == measured).then(|| {
            format!("Plain SGD steps by lr·g, so each clipped step shrank exactly as the gradient did ({by}).")
        }),
        Optimizer::Sgd { .. } => {
            let mut s = format!(
                "With momentum the step is lr·(μ·b + g) and clipping changes only g, not the buffer b of past gradients, {followed}"
            );
            if f.longer > 0 {
                s.push_str(&format!(
                    " The {} longer ones are steps where b pointed against g.",
                    f.longer
                ));
            }
            Some(s)
        }
        Optimizer::Adam => Some(format!(
            "Adam divides each entry of the step by the root of a running mean of g², which the clipped gradient feeds too, {followed}"
        )),
    }
}

/// The accuracies against chance, with enough digits to order them, and each run's verdict
/// against its sampling error.
fn accuracy_lines(lab: &Lab, f: &Findings, name: &dyn Fn(usize) -> String) -> Vec<String> {
    let Task::Recall { classes } = lab.task else {
        return Vec::new();
    };
    let facts: Vec<(usize, AccuracyFacts)> = f
        .accuracy
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.map(|a| (i, a)))
        .collect();
    let Some(&(_, first)) = facts.first() else {
        return Vec::new();
    };
    let mut values: Vec<f64> = facts.iter().map(|(_, a)| a.accuracy).collect();
    values.push(first.chance);
    let shown = percents_apart(&values);
    let listed: Vec<String> = facts
        .iter()
        .zip(&shown)
        .map(|((i, _), s)| format!("{} {s}", name(*i)))
        .collect();
    let mut out = vec![format!(
        "Accuracy over the last 10% of iterations: {}; guessing gives {} (1/{classes}).",
        listed.join("; "),
        shown[shown.len() - 1]
    )];
    for (i, a) in &facts {
        let verdict = match a.versus {
            Versus::AtChance => "is at chance: within",
            Versus::Above => "is above chance by more than",
            Versus::Below => "is below chance by more than",
        };
        out.push(format!(
            "{} {verdict} 2σ = {} points of 1/{classes} (n = {} predictions).",
            name(*i),
            numfmt::general(CHANCE_SIGMAS * a.sigma * 100.0, 2),
            a.predictions
        ));
    }
    out.push(format!(
        "σ = √(p(1−p)/n) is the standard error of the accuracy of n guesses at p = 1/{classes}."
    ));
    out
}

/// The note's first line: each run's final loss (or the loss so far) as a share of the
/// baseline.
fn final_loss_line(
    lab: &Lab,
    runs: &[&History],
    f: &Findings,
    name: &dyn Fn(usize) -> String,
) -> String {
    let done: Vec<usize> = runs.iter().map(|h| h.len()).collect();
    let progress = if done
        .iter()
        .zip(runs)
        .all(|(&n, h)| n >= lab.iterations || h.diverged)
    {
        "Final loss (mean over the last 10% of iterations)".to_string()
    } else {
        format!(
            "Loss so far (mean over the last 10% of iterations, at {})",
            done.iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    let ratios: Vec<String> = f
        .final_ratio
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.map(|r| format!("{} {}", name(i), share(r))))
        .collect();
    format!(
        "{progress}, as a share of the baseline: {}.",
        ratios.join("; ")
    )
}

#[cfg(test)]
mod tests;
