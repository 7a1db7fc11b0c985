//! What the runs show, in words computed from their numbers: the note the training tab and
//! `dlscope train` both print. The tests assert the numbers each sentence states.

use crate::grad::Clip;
use crate::numfmt;
use crate::train::model::{Cell, Compare, History, Lab, Preset, RunConfig};

/// A fraction as a percentage with two significant digits: 0.0031 → "0.31%", 0.98 → "98%".
pub fn percent(fraction: f64) -> String {
    if !fraction.is_finite() {
        return numfmt::sci(fraction, 2);
    }
    format!("{}%", numfmt::general(fraction * 100.0, 2))
}

/// A multiple with two significant digits: "44×", "3.1×".
pub fn times(x: f64) -> String {
    if !x.is_finite() {
        return numfmt::sci(x, 2);
    }
    format!("{}×", numfmt::general(x, 2))
}

/// The numbers a note states, computed from the runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Findings {
    /// Each run's final loss (mean over the last 10% of its iterations) over the baseline.
    pub final_ratio: Vec<Option<f64>>,
    /// Each run's largest loss after the first 5% of the planned iterations, over the baseline
    /// (infinite after a non-finite loss).
    pub peak_ratio: Vec<Option<f64>>,
    /// Iterations where norm clipping rescaled the gradient (norm clipping only).
    pub rescaled: Vec<Option<usize>>,
    /// Each run's final accuracy (recall only).
    pub accuracy: Vec<Option<f64>>,
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
        rescaled: runs
            .iter()
            .zip(&configs)
            .map(|(h, c)| match c.clip {
                Clip::Norm(_) => Some(
                    h.grad_norm
                        .iter()
                        .filter(|&&n| c.clip.norm_coefficient(n) < 1.0)
                        .count(),
                ),
                _ => None,
            })
            .collect(),
        accuracy: runs.iter().map(|h| h.final_accuracy()).collect(),
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
                "Run {} ({}) diverged: the loss at iteration {} was not finite, so it stopped there.",
                i + 1,
                configs[i].label(),
                h.len()
            ));
        }
    }
    if lab.compare == Compare::Clipping {
        let peaks: Vec<String> = f
            .peak_ratio
            .iter()
            .enumerate()
            .filter_map(|(i, p)| p.map(|p| format!("{} {}", name(i), times(p))))
            .collect();
        if !peaks.is_empty() {
            out.push(format!(
                "Largest loss after the first 5% of iterations, in baselines: {}.",
                peaks.join("; ")
            ));
        }
    }
    for (i, r) in f.rescaled.iter().enumerate() {
        if let Some(k) = r {
            out.push(format!(
                "Run {}: norm clipping rescaled the gradient in {k} of {} iterations; it only shortens steps whose norm is above the threshold.",
                i + 1,
                runs[i].len()
            ));
        }
    }
    if let crate::train::model::Task::Recall { classes } = lab.task {
        let acc: Vec<String> = f
            .accuracy
            .iter()
            .enumerate()
            .filter_map(|(i, a)| a.map(|a| format!("{} {}", name(i), percent(a))))
            .collect();
        if !acc.is_empty() {
            out.push(format!(
                "Accuracy (last 10%): {}; guessing gives {}.",
                acc.join("; "),
                percent(1.0 / classes as f64)
            ));
        }
    }
    out
}

/// How the note names a run: by its cell where the runs differ by cell, else by its clipping.
fn run_name(compare: Compare, config: &RunConfig) -> String {
    match compare {
        Compare::Cells | Compare::Single => match config.cell {
            Cell::Lstm => "the LSTM's".to_string(),
            Cell::Rnn => "the RNN's".to_string(),
        },
        Compare::Clipping => {
            if config.clip == Clip::None {
                "without clipping".to_string()
            } else {
                format!("with clipping {}", config.clip)
            }
        }
    }
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
    let progress = if done.iter().all(|&n| n >= lab.iterations) {
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
        .filter_map(|(i, r)| r.map(|r| format!("{} {}", name(i), percent(r))))
        .collect();
    format!(
        "{progress}, as a share of the baseline: {}.",
        ratios.join("; ")
    )
}
