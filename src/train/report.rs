//! `dlscope train`: a preset's two runs or one run, trained headless, as a summary or as JSON
//! (`#[derive(Serialize)]` types below are the schema).

use serde::Serialize;

use super::findings;
use super::model::{
    Activation, Batch, Cell, Compare, History, Lab, Optimizer, Preset, RunConfig, Setting, Targets,
    Task, TrainError, Trainer,
};
use crate::cli::{CommandError, TrainArgs, emit_json, emit_text};
use crate::grad::Clip;
use crate::numfmt;

/// The whole output of `dlscope train --json`.
#[derive(Serialize)]
pub struct Report {
    pub task: &'static str,
    pub steps: usize,
    pub baseline_loss: f64,
    pub runs: Vec<RunReport>,
}

/// One run.
#[derive(Serialize)]
pub struct RunReport {
    pub cell: &'static str,
    /// The RNN's nonlinearity; null for the LSTM.
    pub activation: Option<&'static str>,
    pub hidden: usize,
    pub batch: usize,
    pub optimizer: &'static str,
    pub lr: f64,
    /// SGD's momentum; null for Adam.
    pub momentum: Option<f64>,
    pub clip: String,
    /// The batch loss before each iteration's update.
    pub loss: Vec<f64>,
    /// ‖g‖ over all parameters before clipping.
    pub grad_norm: Vec<f64>,
    /// One per iteration for recall; null for adding.
    pub accuracy: Option<Vec<Option<f64>>>,
    /// Mean loss over the last 10% of iterations.
    pub final_loss: Option<f64>,
    pub diverged: bool,
    /// Per iteration, where clipping changed the gradient: the step taken against the step the
    /// same weights, batch and optimizer state give without clipping; null elsewhere. Absent
    /// without clipping.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clip_steps: Option<Vec<Option<ClipStepReport>>>,
    /// What clipping did to the steps, counted (absent without clipping).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clipping: Option<ClippingReport>,
    /// The final accuracy against chance (recall only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub final_accuracy: Option<AccuracyReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<InitialState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batches: Option<Vec<BatchReport>>,
}

/// One clipped iteration's step.
#[derive(Serialize)]
pub struct ClipStepReport {
    /// ‖clipped g‖ / ‖g‖.
    pub shrink: f64,
    /// ‖Δθ‖ of the step taken, and of the step without clipping (computed, not taken).
    pub step_clipped: f64,
    pub step_unclipped: f64,
}

/// The clipped steps against the unclipped ones, over a run.
#[derive(Serialize)]
pub struct ClippingReport {
    /// Updates taken, and those where clipping changed the gradient.
    pub updates: usize,
    pub clipped: usize,
    /// Clipped steps shorter / longer than the unclipped step by more than 0.1%, within it,
    /// and with a non-finite length.
    pub shorter: usize,
    pub longer: usize,
    pub within_0_1_percent: usize,
    pub not_finite: usize,
    /// Clipped steps whose length ratio is the gradient's shrink factor within 0.1%.
    pub shrank_as_gradient: usize,
    /// Clipped over unclipped step length: smallest, median, largest.
    pub ratio_min: Option<f64>,
    pub ratio_median: Option<f64>,
    pub ratio_max: Option<f64>,
}

/// The final accuracy against guessing.
#[derive(Serialize)]
pub struct AccuracyReport {
    /// Mean over the last 10% of iterations, and the predictions that counts.
    pub accuracy: f64,
    pub predictions: usize,
    /// 1/K, and √(p(1−p)/n) at p = 1/K.
    pub chance: f64,
    pub standard_error: f64,
    /// Within 2 standard errors of chance.
    pub at_chance: bool,
}

/// The parameters before training, under PyTorch's state_dict names (matrices as rows).
#[derive(Serialize)]
pub struct InitialState {
    #[serde(rename = "rnn.weight_ih_l0")]
    pub weight_ih: Vec<Vec<f64>>,
    #[serde(rename = "rnn.weight_hh_l0")]
    pub weight_hh: Vec<Vec<f64>>,
    #[serde(rename = "rnn.bias_ih_l0")]
    pub bias_ih: Vec<f64>,
    #[serde(rename = "rnn.bias_hh_l0")]
    pub bias_hh: Vec<f64>,
    #[serde(rename = "head.weight")]
    pub head_weight: Vec<Vec<f64>>,
    #[serde(rename = "head.bias")]
    pub head_bias: Vec<f64>,
}

/// One batch: inputs `[B][T][I]`, targets floats (adding) or class indices (recall).
#[derive(Serialize)]
pub struct BatchReport {
    pub inputs: Vec<Vec<Vec<f64>>>,
    pub targets: BatchTargets,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum BatchTargets {
    Values(Vec<f64>),
    Classes(Vec<usize>),
}

/// How many batches `--include-weights` writes at most.
pub const REPLAY_BATCHES: usize = 20;

fn initial_state(trainer: &Trainer) -> InitialState {
    let p = trainer.params();
    let [w_ih, w_hh, b_ih, b_hh, hw, hb] = trainer.shape().parts();
    let rows = |part: &super::model::Part| -> Vec<Vec<f64>> {
        p[part.range()]
            .chunks_exact(part.cols.max(1))
            .map(<[f64]>::to_vec)
            .collect()
    };
    InitialState {
        weight_ih: rows(&w_ih),
        weight_hh: rows(&w_hh),
        bias_ih: p[b_ih.range()].to_vec(),
        bias_hh: p[b_hh.range()].to_vec(),
        head_weight: rows(&hw),
        head_bias: p[hb.range()].to_vec(),
    }
}

fn batch_report(b: &Batch) -> BatchReport {
    BatchReport {
        inputs: b
            .inputs
            .chunks_exact(b.steps * b.input)
            .map(|seq| seq.chunks_exact(b.input).map(<[f64]>::to_vec).collect())
            .collect(),
        targets: match &b.targets {
            Targets::Values(v) => BatchTargets::Values(v.clone()),
            Targets::Classes(c) => BatchTargets::Classes(c.clone()),
        },
    }
}

/// A run trained to the end, with what `--include-weights` needs taken before training.
pub struct Trained {
    pub config: RunConfig,
    pub history: History,
    pub initial_state: Option<InitialState>,
    pub batches: Option<Vec<BatchReport>>,
}

/// Trains every run of `lab`, each on its own thread (the numbers do not depend on it).
pub fn train_all(lab: &Lab, include_weights: bool) -> Result<Vec<Trained>, CommandError> {
    train_all_reporting(lab, include_weights, None)
}

/// Iterations a run trains between two updates of its progress.
const PROGRESS_CHUNK: usize = 16;

/// How far each run has got: (iterations done, the latest batch loss).
type Shared = std::sync::Mutex<(usize, f64)>;

/// Called with each run's (iterations done, total, latest loss) and the time since the start.
pub type Reporter<'a> = &'a dyn Fn(&[(usize, usize, f64)], std::time::Duration);

/// `train_all`, calling `report` about five times a second with each run's iterations done,
/// total and latest loss, and the time since the start (for a progress line).
pub fn train_all_reporting(
    lab: &Lab,
    include_weights: bool,
    report: Option<Reporter>,
) -> Result<Vec<Trained>, CommandError> {
    let mut trainers = Vec::new();
    for config in lab.runs() {
        trainers.push(Trainer::new(config).map_err(flagged)?);
    }
    let totals: Vec<usize> = trainers.iter().map(|t| t.config().iterations).collect();
    let shared: Vec<Shared> = totals.iter().map(|_| Shared::new((0, f64::NAN))).collect();
    let start = std::time::Instant::now();
    let out = std::thread::scope(|s| {
        let handles: Vec<_> = trainers
            .into_iter()
            .zip(&shared)
            .map(|(t, progress)| s.spawn(move || train_one(t, include_weights, progress)))
            .collect();
        if let Some(report) = report {
            while !handles.iter().all(|h| h.is_finished()) {
                std::thread::sleep(std::time::Duration::from_millis(200));
                let now: Vec<(usize, usize, f64)> = shared
                    .iter()
                    .zip(&totals)
                    .map(|(p, &total)| {
                        let (done, loss) = *p.lock().unwrap_or_else(|e| e.into_inner());
                        (done, total, loss)
                    })
                    .collect();
                report(&now, start.elapsed());
            }
        }
        handles
            .into_iter()
            .map(|h| h.join())
            .collect::<Result<Vec<_>, _>>()
    });
    out.map_err(|_| CommandError("training failed".to_string()))
}

/// One run to its end, in chunks, writing its progress to `progress` after each.
fn train_one(mut t: Trainer, include_weights: bool, progress: &Shared) -> Trained {
    let (initial_state, batches) = if include_weights {
        let n = t.config().iterations.min(REPLAY_BATCHES);
        (
            Some(initial_state(&t)),
            Some(t.peek_batches(n).iter().map(batch_report).collect()),
        )
    } else {
        (None, None)
    };
    let mut history = History::default();
    loop {
        let records = t.run(PROGRESS_CHUNK, &|| false, None);
        let n = records.len();
        let last = records.last().map(|r| r.loss);
        for r in records {
            history.push(r);
        }
        if let Some(loss) = last {
            *progress.lock().unwrap_or_else(|e| e.into_inner()) = (history.len(), loss);
        }
        if n < PROGRESS_CHUNK {
            break;
        }
    }
    Trained {
        config: t.config().clone(),
        history,
        initial_state,
        batches,
    }
}

/// The progress line: each run's iterations and latest loss, and the time left at the pace so
/// far (the slowest run decides).
pub fn progress_line(
    names: &[String],
    runs: &[(usize, usize, f64)],
    elapsed: std::time::Duration,
) -> String {
    let parts: Vec<String> = runs
        .iter()
        .zip(names)
        .map(|(&(done, total, loss), name)| {
            let loss = if loss.is_finite() {
                numfmt::general(loss, 3)
            } else if done == 0 {
                "-".to_string()
            } else {
                "not finite".to_string()
            };
            format!("{name} {done}/{total} loss {loss}")
        })
        .collect();
    let left = runs
        .iter()
        .filter(|&&(done, total, _)| done > 0 && done < total)
        .map(|&(done, total, _)| elapsed.as_secs_f64() * (total - done) as f64 / done as f64)
        .fold(0.0, f64::max);
    let left = if left > 0.0 {
        format!(", about {} s left", left.ceil() as u64)
    } else {
        String::new()
    };
    format!("training: {}{left}", parts.join(", "))
}

fn clipping_report(f: &findings::ClipFacts) -> ClippingReport {
    ClippingReport {
        updates: f.updates,
        clipped: f.fired,
        shorter: f.shorter,
        longer: f.longer,
        within_0_1_percent: f.same,
        not_finite: f.unmeasured,
        shrank_as_gradient: f.near_gradient,
        ratio_min: f.ratio.map(|r| r.min),
        ratio_median: f.ratio.map(|r| r.median),
        ratio_max: f.ratio.map(|r| r.max),
    }
}

fn run_report(t: Trained) -> RunReport {
    let c = &t.config;
    let clipping = findings::clip_facts(c, &t.history).map(|f| clipping_report(&f));
    let final_accuracy = findings::accuracy_facts(c, &t.history).map(|a| AccuracyReport {
        accuracy: a.accuracy,
        predictions: a.predictions,
        chance: a.chance,
        standard_error: a.sigma,
        at_chance: a.versus == findings::Versus::AtChance,
    });
    let clip_steps = (c.clip != Clip::None).then(|| {
        t.history
            .clip_steps
            .iter()
            .map(|s| {
                s.map(|s| ClipStepReport {
                    shrink: s.shrink,
                    step_clipped: s.clipped,
                    step_unclipped: s.unclipped,
                })
            })
            .collect()
    });
    RunReport {
        clip_steps,
        clipping,
        final_accuracy,
        cell: c.cell.name(),
        activation: (c.cell == Cell::Rnn).then(|| c.activation.name()),
        hidden: c.hidden,
        batch: c.batch,
        optimizer: c.optimizer.name(),
        lr: c.lr,
        momentum: c.optimizer.momentum(),
        clip: c.clip.to_string(),
        final_loss: t.history.final_loss(),
        diverged: t.history.diverged,
        accuracy: matches!(c.task, Task::Recall { .. }).then(|| t.history.accuracy.clone()),
        loss: t.history.loss,
        grad_norm: t.history.grad_norm,
        initial_state: t.initial_state,
        batches: t.batches,
    }
}

/// The lab the flags describe: the preset's (or a single run's) settings, changed by the
/// flags given.
pub fn lab_of(args: &TrainArgs) -> Result<(Lab, Option<Preset>), CommandError> {
    let preset = args
        .preset
        .as_deref()
        .map(Preset::parse)
        .transpose()
        .map_err(|e| CommandError::flag("--preset", e))?;
    let mut lab = match preset {
        Some(p) => p.lab(),
        None => Lab {
            compare: Compare::Single,
            ..Preset::LongMemory.lab()
        },
    };
    set_task(&mut lab, args)?;
    set_cell(&mut lab, args)?;
    lab.steps = args.steps.unwrap_or(lab.steps);
    lab.hidden = args.hidden.unwrap_or(lab.hidden);
    lab.batch = args.batch.unwrap_or(lab.batch);
    lab.iterations = args.iterations.unwrap_or(lab.iterations);
    set_optimizer(&mut lab, args)?;
    if let Some(c) = &args.clip {
        lab.clip = c
            .parse::<Clip>()
            .map_err(|e| CommandError::flag("--clip", e))?;
    }
    if args.rho.is_some() {
        lab.rho = args.rho;
    }
    if args.forget_bias.is_some() {
        lab.forget_bias = args.forget_bias;
    }
    lab.seed = args.seed.unwrap_or(lab.seed);
    lab.validate().map_err(flagged)?;
    Ok((lab, preset))
}

/// `--task` and `--classes`.
fn set_task(lab: &mut Lab, args: &TrainArgs) -> Result<(), CommandError> {
    if let Some(t) = &args.task {
        lab.task = match t.as_str() {
            "adding" => Task::Adding,
            "recall" => Task::Recall { classes: 8 },
            other => {
                return Err(CommandError::flag(
                    "--task",
                    format!("unknown task {other:?}; the tasks are adding, recall"),
                ));
            }
        };
    }
    if let Some(k) = args.classes {
        match lab.task {
            Task::Recall { .. } => lab.task = Task::Recall { classes: k },
            Task::Adding => {
                return Err(CommandError::flag(
                    "--classes",
                    "only the recall task has classes",
                ));
            }
        }
    }
    Ok(())
}

/// `--cell` and `--activation`.
fn set_cell(lab: &mut Lab, args: &TrainArgs) -> Result<(), CommandError> {
    if let Some(c) = &args.cell {
        if lab.compare == Compare::Cells {
            return Err(CommandError::flag(
                "--cell",
                "the long-memory preset compares rnn and lstm; it takes no --cell",
            ));
        }
        lab.cell = match c.as_str() {
            "rnn" => Cell::Rnn,
            "lstm" => Cell::Lstm,
            other => {
                return Err(CommandError::flag(
                    "--cell",
                    format!("unknown cell {other:?}; the cells are rnn, lstm"),
                ));
            }
        };
    }
    if let Some(a) = &args.activation {
        lab.activation = match a.as_str() {
            "tanh" => Activation::Tanh,
            "relu" => Activation::Relu,
            other => {
                return Err(CommandError::flag(
                    "--activation",
                    format!("unknown activation {other:?}; the activations are tanh, relu"),
                ));
            }
        };
    }
    Ok(())
}

/// `--optimizer`, `--momentum` and `--lr`.
fn set_optimizer(lab: &mut Lab, args: &TrainArgs) -> Result<(), CommandError> {
    if let Some(o) = &args.optimizer {
        lab.optimizer = match o.as_str() {
            "sgd" => Optimizer::Sgd {
                momentum: lab.optimizer.momentum().unwrap_or(0.9),
            },
            "adam" => Optimizer::Adam,
            other => {
                return Err(CommandError::flag(
                    "--optimizer",
                    format!("unknown optimizer {other:?}; the optimizers are sgd, adam"),
                ));
            }
        };
    }
    if let Some(m) = args.momentum {
        match lab.optimizer {
            Optimizer::Sgd { .. } => lab.optimizer = Optimizer::Sgd { momentum: m },
            Optimizer::Adam => {
                return Err(CommandError::flag("--momentum", "only sgd has a momentum"));
            }
        }
    }
    lab.lr = args.lr.unwrap_or(lab.lr);
    Ok(())
}

/// A refused setting as the command line reports it: under the flag that sets it.
fn flagged(e: TrainError) -> CommandError {
    let flag = match &e {
        TrainError::OutOfRange { setting, .. } => match setting {
            Setting::Classes => "--classes",
            Setting::Steps => "--steps",
            Setting::Hidden => "--hidden",
            Setting::Batch => "--batch",
            Setting::Iterations => "--iterations",
            Setting::Lr => "--lr",
            Setting::Momentum => "--momentum",
            Setting::Rho => "--rho",
            Setting::ForgetBias => "--forget-bias",
        },
        TrainError::AddingNeedsTwoSteps => "--steps",
    };
    CommandError::flag(flag, e)
}

/// The readable summary.
pub fn summary(lab: &Lab, preset: Option<Preset>, runs: &[Trained]) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let task = match lab.task {
        Task::Adding => "adding (mean squared error)".to_string(),
        Task::Recall { classes } => format!("recall of 1 of {classes} symbols (cross-entropy)"),
    };
    let _ = writeln!(
        s,
        "Training lab{}: {task}, T = {} steps, seed {}",
        preset
            .map(|p| format!(", preset {}", p.name()))
            .unwrap_or_default(),
        lab.steps,
        lab.seed
    );
    let _ = writeln!(
        s,
        "baseline loss {} (the best prediction that ignores the input)",
        numfmt::general(lab.task.baseline_loss(), 4)
    );
    for (i, t) in runs.iter().enumerate() {
        let c = &t.config;
        let h = &t.history;
        let opt = match c.optimizer {
            Optimizer::Sgd { momentum } => format!("sgd (momentum {momentum})"),
            Optimizer::Adam => "adam".to_string(),
        };
        let _ = writeln!(
            s,
            "run {}: {}, H = {}, batch {}, {opt} at lr {}, clip {}{}{}",
            i + 1,
            c.label(),
            c.hidden,
            c.batch,
            c.lr,
            c.clip,
            c.rho.map(|r| format!(", rho {r}")).unwrap_or_default(),
            match (c.cell, c.forget_bias) {
                (Cell::Lstm, Some(b)) => format!(", forget bias {b}"),
                _ => String::new(),
            }
        );
        let _ = writeln!(
            s,
            "  {} iterations{}: loss {} -> final {}, largest gradient norm {}",
            h.len(),
            if h.diverged { " (diverged)" } else { "" },
            h.loss.first().map_or("-".into(), |&l| finite(l, 4)),
            h.final_loss().map_or("-".into(), |l| finite(l, 4)),
            largest(&h.grad_norm).map_or("-".into(), |g| finite(g, 3)),
        );
    }
    let histories: Vec<&History> = runs.iter().map(|t| &t.history).collect();
    for line in findings::note(lab, &histories) {
        let _ = writeln!(s, "{line}");
    }
    s
}

/// A number, or "not finite" for inf and NaN.
fn finite(x: f64, digits: usize) -> String {
    if x.is_finite() {
        numfmt::general(x, digits)
    } else {
        "not finite".to_string()
    }
}

/// The largest value, non-finite if any is (NaN included).
fn largest(xs: &[f64]) -> Option<f64> {
    xs.iter()
        .map(|&x| if x.is_nan() { f64::INFINITY } else { x })
        .reduce(f64::max)
}

/// `dlscope train`.
pub fn command(args: &TrainArgs, unicode: bool) -> Result<String, CommandError> {
    let (lab, preset) = lab_of(args)?;
    let runs = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        // A progress line on the terminal, rewritten in place and cleared at the end; none
        // when stderr is a file or a pipe.
        let names: Vec<String> = lab
            .runs()
            .iter()
            .map(|c| findings::run_name(lab.compare, c))
            .collect();
        let report = |runs: &[(usize, usize, f64)], elapsed: std::time::Duration| {
            let line = progress_line(&names, runs, elapsed);
            let line = crate::text::spelled(&line, unicode).into_owned();
            eprint!("\r\x1b[2K{line}");
        };
        let runs = train_all_reporting(&lab, args.include_weights, Some(&report));
        eprint!("\r\x1b[2K");
        runs?
    } else {
        train_all(&lab, args.include_weights)?
    };
    if args.json {
        let report = Report {
            task: lab.task.name(),
            steps: lab.steps,
            baseline_loss: lab.task.baseline_loss(),
            runs: runs.into_iter().map(run_report).collect(),
        };
        return emit_json(&report);
    }
    Ok(emit_text(&summary(&lab, preset, &runs), unicode))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_progress_line_says_iterations_loss_and_time_left() {
        let names = ["RNN tanh".to_string(), "LSTM".to_string()];
        let line = progress_line(
            &names,
            &[(100, 1500, 0.25), (50, 1500, f64::NAN)],
            std::time::Duration::from_secs(10),
        );
        // The slower run decides: 50 of 1500 in 10 s leaves 1450 × 0.2 s = 290 s.
        assert_eq!(
            line,
            "training: RNN tanh 100/1500 loss 0.250, LSTM 50/1500 loss not finite, about 290 s left"
        );
        let start = progress_line(&names[..1], &[(0, 10, f64::NAN)], std::time::Duration::ZERO);
        assert_eq!(start, "training: RNN tanh 0/10 loss -");
    }

    #[test]
    fn training_in_chunks_gives_the_same_history() {
        let lab = Lab {
            iterations: 37,
            steps: 6,
            hidden: 4,
            ..Preset::LongMemory.lab()
        };
        let chunked = train_all(&lab, false).expect("trains");
        for (run, config) in chunked.iter().zip(lab.runs()) {
            let whole = crate::train::model::train(&config, &|| false).expect("trains");
            assert_eq!(run.history, whole);
            assert_eq!(run.history.len(), 37);
        }
    }

    use super::*;

    #[test]
    fn a_refused_setting_is_reported_under_its_flag() {
        let lab = Lab {
            hidden: 0,
            ..Preset::LongMemory.lab()
        };
        let e = lab.validate().expect_err("hidden 0");
        assert_eq!(
            flagged(e).to_string(),
            "--hidden: hidden size H = 0 is out of range (1 to 256)"
        );
        let lab = Lab {
            task: Task::Adding,
            steps: 1,
            ..Preset::LongMemory.lab()
        };
        assert!(
            flagged(lab.validate().expect_err("one step"))
                .to_string()
                .starts_with("--steps: the adding task")
        );
    }
}
