//! Headless output for Problem 3: a JSON document and a readable summary of one run.

use std::fmt::Write as _;

use crate::cli::CommandError;
use serde::Serialize;

use super::model::{
    AngularProfile, DecayRegime, EtaGap, GradScaling, Objective, Params, Run, SETTLED_DRIFT,
    SETTLED_TOLERANCE, ScaleError, decay_regime,
};
use crate::numfmt;

/// At most about this many numbers go into the series of one JSON document; longer runs are
/// decimated (see [`RunJson::stride`]).
pub const JSON_NUMBER_BUDGET: usize = 100_000;

/// The JSON document of one run (keys in alphabetical order, as `dlscope scale --json` has
/// always written them); non-finite numbers become `null`.
///
/// With `stride` = 1, `points` holds one array per iterate x_0 … x_K; `norms`, `effective_lr`
/// and `loss` hold K + 1 entries (one per iterate); `norm_sq_increment`,
/// `grad_norm_sq_times_lr_sq` and `first_order_gap` hold K entries (one per step). K = `steps`
/// unless the run ran away. A long run is decimated to keep the document near
/// [`JSON_NUMBER_BUDGET`] numbers: the iterate series then hold iterates 0, s, 2s, … and always
/// the last one K; the step series hold steps 0, s, 2s, … (s = `stride`).
#[derive(Debug, Serialize)]
pub struct RunJson<'a> {
    pub dim: usize,
    pub effective_lr: Vec<f64>,
    pub eta_sweep: Vec<EtaJson>,
    pub eta_sweep_slope: Option<f64>,
    pub first_order_gap: Vec<f64>,
    pub function: &'static str,
    pub grad_norm_sq_times_lr_sq: Vec<f64>,
    pub grad_scaling: ScalingJson<'a>,
    pub loss: Vec<f64>,
    pub lr: f64,
    /// σ of the gradient noise.
    pub noise: f64,
    pub norm_sq_increment: Vec<f64>,
    pub norms: Vec<f64>,
    pub points: Vec<&'a [f64]>,
    pub steps: usize,
    /// Every how many iterates and steps the series keep (1: all of them).
    pub stride: usize,
    pub weight_decay: f64,
}

/// The stride that keeps a run of `iterates` iterates of dimension `dim` near the budget.
pub fn stride(iterates: usize, dim: usize) -> usize {
    (iterates.saturating_mul(dim + 6))
        .div_ceil(JSON_NUMBER_BUDGET)
        .max(1)
}

/// Iterates 0, s, 2s, … of `series`, and its last entry when `last` and not already kept.
fn every<T: Copy>(series: &[T], s: usize, last: bool) -> Vec<T> {
    let mut out: Vec<T> = series.iter().copied().step_by(s.max(1)).collect();
    if last
        && let Some(&end) = series.last()
        && !(series.len() - 1).is_multiple_of(s.max(1))
    {
        out.push(end);
    }
    out
}

/// One point of the η sweep.
#[derive(Debug, Serialize)]
pub struct EtaJson {
    pub eta: f64,
    pub gap: f64,
}

/// Problem 3a at x_0.
#[derive(Debug, Serialize)]
pub struct ScalingJson<'a> {
    pub grad_at_lambda_x: &'a [f64],
    pub grad_over_lambda: &'a [f64],
    pub inner_product_x_grad: f64,
    pub lambda: f64,
    pub max_abs_diff: f64,
    pub x: &'a [f64],
}

impl<'a> ScalingJson<'a> {
    fn new(gs: &'a GradScaling) -> Self {
        ScalingJson {
            grad_at_lambda_x: &gs.grad_at_lambda_x,
            grad_over_lambda: &gs.grad_over_lambda,
            inner_product_x_grad: gs.inner_product_x_grad,
            lambda: gs.lambda,
            max_abs_diff: gs.max_abs_diff,
            x: &gs.x,
        }
    }
}

/// The run as its JSON document.
pub fn json<'a>(p: &Params, run: &'a Run) -> RunJson<'a> {
    let s = stride(run.norms.len(), p.dim);
    let points: Vec<&[f64]> = run.iterates().collect();
    RunJson {
        dim: p.dim,
        effective_lr: every(&run.effective_lr, s, true),
        eta_sweep: run
            .eta_sweep
            .iter()
            .map(|&EtaGap { eta, gap }| EtaJson { eta, gap })
            .collect(),
        eta_sweep_slope: run.eta_sweep_slope(),
        first_order_gap: every(&run.first_order_gap, s, false),
        function: p.function.name(),
        grad_norm_sq_times_lr_sq: every(&run.grad_norm_sq_times_lr_sq, s, false),
        grad_scaling: ScalingJson::new(&run.grad_scaling),
        loss: every(&run.loss, s, true),
        lr: p.lr,
        noise: p.noise,
        norm_sq_increment: every(&run.norm_sq_increment, s, false),
        norms: every(&run.norms, s, true),
        points: every(&points, s, true),
        steps: p.steps,
        stride: s,
        weight_decay: p.weight_decay,
    }
}

/// A number as every dlscope screen writes it (non-finite values spelled out).
fn num(v: f64) -> String {
    numfmt::general(v, 4)
}

fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().take(6).map(|x| num(*x)).collect();
    let more = if v.len() > 6 { ", …" } else { "" };
    format!("({}{more})", parts.join(", "))
}

/// A readable summary of the run: the scaling check, the norm growth, the first-order gap, the
/// η sweep slope, the band of the last quarter, and how the run ended.
pub fn summary(p: &Params, run: &Run) -> String {
    let mut s = String::new();
    let k = run.steps_taken();
    let _ = writeln!(
        s,
        "Scale invariance: {} ({}), dim {}, η = {}, weight decay {}, noise σ = {}, {} of {} steps taken",
        p.function.name(),
        p.function.formula(),
        p.dim,
        numfmt::setting(p.lr),
        numfmt::setting(p.weight_decay),
        numfmt::setting(p.noise),
        k,
        p.steps
    );
    write_gradient_scaling(&mut s, &run.grad_scaling);
    write_norm_growth(&mut s, p, run);
    write_sweep_and_band(&mut s, p, run);
    match run.runaway {
        Some(r) => {
            let _ = writeln!(s, "Stopped at step {}: {}", r.step, r.reason);
        }
        None => {
            let _ = writeln!(s, "Completed all {} steps", p.steps);
        }
    }
    s
}

/// (a) ∇f(λx) against ∇f(x)/λ at one point, and ⟨x, ∇f(x)⟩.
fn write_gradient_scaling(s: &mut String, gs: &GradScaling) {
    let _ = writeln!(
        s,
        "(a) gradient scaling at x = {}, λ = {}",
        vector(&gs.x),
        gs.lambda
    );
    let _ = writeln!(s, "    ∇f(λx)   = {}", vector(&gs.grad_at_lambda_x));
    let _ = writeln!(s, "    ∇f(x)/λ  = {}", vector(&gs.grad_over_lambda));
    let _ = writeln!(
        s,
        "    max |difference| = {}, ⟨x, ∇f(x)⟩ = {}",
        num(gs.max_abs_diff),
        num(gs.inner_product_x_grad)
    );
}

/// (b) ‖x‖, the effective step and the loss from first to last step; without weight decay the
/// identity ‖x_k+1‖² − ‖x_k‖² = η²‖∇f(x_k)‖², and the largest first-order gap.
fn write_norm_growth(s: &mut String, p: &Params, run: &Run) {
    let k = run.steps_taken();
    let first = run.norms.first().copied().unwrap_or(f64::NAN);
    let last = run.norms.last().copied().unwrap_or(f64::NAN);
    let _ = writeln!(
        s,
        "(b) ‖x‖: {} → {}; effective step η/((1 − ηλ)‖x‖²): {} → {}; loss: {} → {}",
        num(first),
        num(last),
        num(run.effective_lr.first().copied().unwrap_or(f64::NAN)),
        num(run.effective_lr.last().copied().unwrap_or(f64::NAN)),
        num(run.loss.first().copied().unwrap_or(f64::NAN)),
        num(run.loss.last().copied().unwrap_or(f64::NAN)),
    );
    let worst_identity = run
        .norm_sq_increment
        .iter()
        .zip(&run.grad_norm_sq_times_lr_sq)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    if p.weight_decay == 0.0 && k > 0 {
        let _ = writeln!(
            s,
            "    ‖x_k+1‖² − ‖x_k‖² against η²‖∇f(x_k)‖²: largest difference {}",
            num(worst_identity)
        );
    }
    let largest_gap = run.first_order_gap.iter().copied().fold(0.0, f64::max);
    if k > 0 {
        let _ = writeln!(
            s,
            "    largest first-order gap on the sphere: {}",
            num(largest_gap)
        );
    }
}

/// The slope of the one-step gap against η, and the band the last quarter of the run stays in.
fn write_sweep_and_band(s: &mut String, p: &Params, run: &Run) {
    match run.eta_sweep_slope() {
        Some(slope) => {
            let _ = writeln!(
                s,
                "    one-step gap against η from {} to {}: log-log slope {slope:.3} (O(η²) gives 2)",
                num(run.eta_sweep.first().map_or(f64::NAN, |e| e.eta)),
                num(run.eta_sweep.last().map_or(f64::NAN, |e| e.eta)),
            );
        }
        None => {
            let _ = writeln!(
                s,
                "    one-step gap against η: no slope (the gap is zero: x_0 is stationary)"
            );
        }
    }
    if let Some(band) = run.band() {
        let _ = writeln!(
            s,
            "    steps {}–{}: ‖x‖ in [{}, {}], effective step in [{}, {}]",
            band.from_step,
            band.to_step,
            num(band.norm_min),
            num(band.norm_max),
            num(band.effective_lr_min),
            num(band.effective_lr_max)
        );
        if p.weight_decay > 0.0 && run.runaway.is_none() {
            let _ = writeln!(
                s,
                "    RMS ‖x‖ {} against the balance {} of E‖x‖² = η²(E‖∇f‖² + dσ²)/(1 − (1 − ηλ)²)",
                num(band.rms_norm),
                num(band.predicted_norm)
            );
        }
    }
    if let Some(verdict) = decay_verdict(p, run) {
        let _ = writeln!(s, "    {verdict}");
    }
}

/// What weight decay did, from the run's regime: an equilibrium only where the drift test held.
fn decay_verdict(p: &Params, run: &Run) -> Option<String> {
    let profile = Objective::from_params(p)
        .ok()
        .and_then(|obj| AngularProfile::new(&obj));
    let drift_test = format!(
        "its mean moving by less than {} between the halves of the last quarter, RMS within {} \
         of the balance",
        numfmt::percent(SETTLED_DRIFT, 0),
        numfmt::percent(SETTLED_TOLERANCE, 0)
    );
    Some(match decay_regime(run, profile.as_ref())? {
        DecayRegime::NoDecay => return None,
        DecayRegime::RanAway { runaway, .. } => format!(
            "weight decay: the run stopped at step {}, so no equilibrium is claimed",
            runaway.step
        ),
        DecayRegime::Shrinking { rate, band, .. } => format!(
            "weight decay: ‖x‖ shrinks by 1 − ηλ = {} per step (measured {}): no equilibrium",
            num(rate),
            num(band.ratio_per_step)
        ),
        DecayRegime::Unstable {
            crossed_at, limit, ..
        } => format!(
            "weight decay: the effective step passed the stability limit {} at step {crossed_at}",
            num(limit)
        ),
        DecayRegime::Settled { band, .. } => format!(
            "weight decay: ‖x‖ settled ({drift_test}; drift {})",
            numfmt::percent(band.drift, 1)
        ),
        DecayRegime::Unsettled { band } => format!(
            "weight decay: ‖x‖ has not settled (test: {drift_test}; drift {})",
            numfmt::percent(band.drift, 1)
        ),
    })
}

/// The flag of `dlscope scale` that sets the parameter `e` is about.
fn flag_of(e: &ScaleError) -> &'static str {
    match e {
        ScaleError::UnknownFunction(_) => "--function",
        ScaleError::RatioNeedsTwoDims(_) | ScaleError::Dim(_) => "--dim",
        ScaleError::StepSize(_) => "--lr",
        ScaleError::Steps(_) => "--steps",
        ScaleError::Lambda(_) => "--lambda",
        ScaleError::WeightDecay(_) | ScaleError::DecayTooStrong(_) => "--weight-decay",
        ScaleError::Noise(_) => "--noise",
        ScaleError::InitLength { .. }
        | ScaleError::InitNotFinite
        | ScaleError::InitNorm(_)
        | ScaleError::InitOnAxis => "--init",
    }
}

/// `dlscope scale`: the summary, or JSON, of one descent run.
pub fn command(args: &crate::cli::ScaleArgs, unicode: bool) -> Result<String, CommandError> {
    let init = match &args.init {
        None => None,
        Some(text) => Some(
            text.split(',')
                .map(|v| v.trim().parse::<f64>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| {
                    CommandError(format!(
                        "--init: {text:?} is not a comma-separated list of numbers"
                    ))
                })?,
        ),
    };
    let params = Params {
        function: args
            .function
            .parse()
            .map_err(|e| CommandError::flag("--function", e))?,
        dim: args.dim,
        lr: args.lr,
        steps: args.steps,
        init,
        lambda: args.lambda,
        weight_decay: args.weight_decay,
        noise: args.noise,
        seed: args.seed,
    };
    let run = super::model::run(&params).map_err(|e| CommandError::flag(flag_of(&e), e))?;
    if args.json {
        return crate::cli::emit_json(&json(&params, &run));
    }
    Ok(crate::cli::emit_text(&summary(&params, &run), unicode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scale::model::{Function, run};
    use serde_json::Value;

    #[test]
    fn a_refused_parameter_is_reported_under_its_flag() {
        let ok = Params::default();
        let cases: Vec<(Params, &str)> = vec![
            (
                Params {
                    function: Function::Ratio,
                    dim: 3,
                    ..ok.clone()
                },
                "--dim",
            ),
            (
                Params {
                    dim: 0,
                    ..ok.clone()
                },
                "--dim",
            ),
            (
                Params {
                    lr: 0.0,
                    ..ok.clone()
                },
                "--lr",
            ),
            (
                Params {
                    steps: 0,
                    ..ok.clone()
                },
                "--steps",
            ),
            (
                Params {
                    lambda: -1.0,
                    ..ok.clone()
                },
                "--lambda",
            ),
            (
                Params {
                    weight_decay: -0.1,
                    ..ok.clone()
                },
                "--weight-decay",
            ),
            (
                Params {
                    weight_decay: 10.0,
                    ..ok.clone()
                },
                "--weight-decay",
            ),
            (
                Params {
                    noise: -1.0,
                    ..ok.clone()
                },
                "--noise",
            ),
            (
                Params {
                    init: Some(vec![0.0, 0.0]),
                    ..ok.clone()
                },
                "--init",
            ),
        ];
        for (p, flag) in cases {
            let e = run(&p).expect_err(flag);
            assert_eq!(
                CommandError::flag(flag_of(&e), &e).to_string(),
                format!("{flag}: {e}")
            );
        }
        assert_eq!(
            flag_of(&"cubic".parse::<Function>().expect_err("no cubic")),
            "--function"
        );
    }

    fn value(p: &Params, r: &Run) -> Value {
        serde_json::to_value(json(p, r)).unwrap()
    }

    const KEYS: [&str; 17] = [
        "function",
        "dim",
        "lr",
        "steps",
        "weight_decay",
        "points",
        "norms",
        "effective_lr",
        "loss",
        "norm_sq_increment",
        "grad_norm_sq_times_lr_sq",
        "first_order_gap",
        "grad_scaling",
        "eta_sweep",
        "eta_sweep_slope",
        "noise",
        "stride",
    ];

    fn len(v: &Value, key: &str) -> usize {
        v[key].as_array().map_or(usize::MAX, Vec::len)
    }

    #[test]
    fn json_has_exactly_the_documented_keys_and_lengths() {
        let p = Params {
            function: Function::Logistic,
            dim: 3,
            steps: 25,
            ..Params::default()
        };
        let r = run(&p).unwrap();
        let v = value(&p, &r);
        let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut want = KEYS.to_vec();
        want.sort_unstable();
        assert_eq!(keys, want);
        assert_eq!(v["function"], "logistic");
        assert_eq!(v["steps"], 25);
        assert_eq!(len(&v, "points"), 26);
        assert!(
            v["points"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x.as_array().unwrap().len() == 3)
        );
        for key in ["norms", "effective_lr", "loss"] {
            assert_eq!(len(&v, key), 26, "{key}");
        }
        for key in [
            "norm_sq_increment",
            "grad_norm_sq_times_lr_sq",
            "first_order_gap",
        ] {
            assert_eq!(len(&v, key), 25, "{key}");
        }
        let gs = v["grad_scaling"].as_object().unwrap();
        assert_eq!(gs.len(), 6);
        assert_eq!(gs["lambda"], 2.0);
        assert_eq!(gs["x"].as_array().unwrap().len(), 3);
        assert_eq!(len(&v, "eta_sweep"), crate::scale::model::ETA_SWEEP_POINTS);
        assert_eq!(v["eta_sweep"][0].as_object().unwrap().len(), 2);
        let slope = v["eta_sweep_slope"].as_f64().unwrap();
        assert_eq!(Some(slope), r.eta_sweep_slope());
        // The JSON carries the model's numbers unchanged.
        assert_eq!(v["norms"][25].as_f64(), r.norms.last().copied());
        assert_eq!(v["points"][7][1].as_f64(), r.point(7).map(|x| x[1]));
    }

    #[test]
    fn json_of_a_runaway_is_shorter_and_has_no_bare_nan() {
        let p = Params {
            function: Function::Ratio,
            steps: 500,
            ..Params::default()
        };
        let r = run(&p).unwrap();
        let k = r.steps_taken();
        assert!(k < 500);
        let v = value(&p, &r);
        assert_eq!(len(&v, "points"), k + 1);
        assert_eq!(len(&v, "first_order_gap"), k);
        let text = serde_json::to_string(&v).unwrap();
        assert!(!text.contains("NaN") && !text.contains("inf"));
    }

    #[test]
    fn json_turns_non_finite_numbers_into_null() {
        let p = Params {
            lr: 1e300,
            init: Some(vec![1e-100, 3e-101]),
            ..Params::default()
        };
        let r = run(&p).unwrap();
        assert!(r.effective_lr[0].is_infinite());
        let v = value(&p, &r);
        assert!(v["effective_lr"][0].is_null());
        assert!(serde_json::to_string(&v).is_ok());
    }

    #[test]
    fn summary_reports_scaling_slope_band_and_ending() {
        let p = Params {
            weight_decay: 0.5,
            steps: 400,
            ..Params::default()
        };
        let r = run(&p).unwrap();
        let text = summary(&p, &r);
        assert!(text.contains("rayleigh"));
        assert!(text.contains("∇f(λx)") && text.contains("∇f(x)/λ"));
        assert!(text.contains(&format!("{:.3}", r.eta_sweep_slope().unwrap())));
        assert!(text.contains("steps 300–400"));
        assert!(text.contains("Completed all 400 steps"));
        assert!(!text.contains("NaN"));

        let ratio = Params {
            function: Function::Ratio,
            ..Params::default()
        };
        let r = run(&ratio).unwrap();
        let text = summary(&ratio, &r);
        let runaway = r.runaway.unwrap();
        assert!(text.contains(&format!("Stopped at step {}", runaway.step)));
        assert!(text.contains("x crossed 0"));
        assert!(text.contains("largest difference"));
    }

    #[test]
    fn summary_spells_out_non_finite_values() {
        let p = Params {
            lr: 1e300,
            init: Some(vec![1e-100, 3e-101]),
            ..Params::default()
        };
        let r = run(&p).unwrap();
        let text = summary(&p, &r);
        // η/‖x_0‖² = 1e300/1e-200 overflows: written as the word "inf", never as a number.
        assert!(text.contains("‖x‖²): inf"), "{text}");
        assert!(!text.contains("NaN"));
        assert!(text.contains("the effective step is infinite"));
    }
}
