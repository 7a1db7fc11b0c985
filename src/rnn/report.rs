//! Headless output of a run: a readable summary and JSON, both built from `model::run`.

use std::fmt::Write as _;

use ndarray::{Array1, Array2};
use serde::Serialize;

use super::model::{
    Activation, CellKind, Clip, Dimension, Init, LinearGap, ParamError, Params, Run, Verdict,
    gradient_ratio, rho_power_log10, rho_power_text,
};
use crate::cli::CommandError;
use crate::numfmt;
use crate::text::spelled;

/// The run as JSON (`dlscope rnn --json`). Keys are written in this order (alphabetical, as
/// before the types existed); non-finite numbers are written as null.
///
/// `grad_h` has T+1 numbers (index t); `grad_c` and `forget_product` (LSTM only) T+1 numbers;
/// `grad_w_step` T numbers for t = 1 … T; `overflow` null unless some value overflowed. With `--include-weights` also `weights` under
/// PyTorch's state_dict names, `inputs` (T×I) and `v`.
#[derive(Serialize)]
pub struct RunJson<'a> {
    pub activation: &'static str,
    pub cell: &'static str,
    pub clipped_param_grad_norm: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forget_product: Option<&'a [f64]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grad_c: Option<&'a [f64]>,
    pub grad_h: &'a [f64],
    pub grad_w_step: &'a [f64],
    pub hidden: usize,
    pub init: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Rows<'a>>,
    pub loss: f64,
    /// Where values stopped being finite: null when nothing overflowed, else
    /// `{"backward_from": t or null, "forward_from": t or null}` (see [`OverflowJson`]).
    pub overflow: Option<OverflowJson>,
    pub param_grad_norm: f64,
    pub rho: f64,
    pub seed: u64,
    pub steps: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub v: Option<Vector<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<WeightsJson<'a>>,
}

/// Where a run overflowed (the summary's "overflow:" line).
#[derive(Serialize)]
pub struct OverflowJson {
    /// Going backward from t = T, the first (largest) t whose gradient norm is not finite.
    pub backward_from: Option<usize>,
    /// The first t of the forward pass whose h_t (or c_t) is not finite.
    pub forward_from: Option<usize>,
}

/// The parameters under PyTorch's state_dict names.
#[derive(Serialize)]
pub struct WeightsJson<'a> {
    pub bias_hh_l0: Vector<'a>,
    pub bias_ih_l0: Vector<'a>,
    pub weight_hh_l0: Rows<'a>,
    pub weight_ih_l0: Rows<'a>,
}

/// A matrix written as an array of its rows.
pub struct Rows<'a>(pub &'a Array2<f64>);

impl Serialize for Rows<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.rows().into_iter().map(|r| r.to_vec()))
    }
}

/// A vector written as an array.
pub struct Vector<'a>(pub &'a Array1<f64>);

impl Serialize for Vector<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter())
    }
}

/// The JSON of a run (see [`RunJson`]); `p` is the parameter set `run` was made from.
pub fn json<'a>(p: &Params, run: &'a Run, include_weights: bool) -> RunJson<'a> {
    let b = &run.bptt;
    let d = &run.draws;
    let w = &d.weights;
    RunJson {
        activation: p.activation.name(),
        cell: p.cell.name(),
        clipped_param_grad_norm: run.clipped_param_grad_norm,
        forget_product: b.forget_product.as_deref(),
        grad_c: b.grad_c.as_deref(),
        grad_h: &b.grad_h,
        grad_w_step: &b.grad_w_step,
        hidden: p.hidden,
        init: p.init.name(),
        inputs: include_weights.then_some(Rows(&d.inputs)),
        loss: b.loss,
        overflow: (b.overflow_from.is_some() || b.forward_overflow_from.is_some()).then_some(
            OverflowJson {
                backward_from: b.overflow_from,
                forward_from: b.forward_overflow_from,
            },
        ),
        param_grad_norm: b.param_grad_norm,
        rho: p.rho,
        seed: p.seed,
        steps: p.steps,
        v: include_weights.then_some(Vector(&d.v)),
        weights: include_weights.then_some(WeightsJson {
            bias_hh_l0: Vector(&w.b_hh),
            bias_ih_l0: Vector(&w.b_ih),
            weight_hh_l0: Rows(&w.w_hh),
            weight_ih_l0: Rows(&w.w_ih),
        }),
    }
}

/// A number for people, as the whole app writes them (`numfmt::general`, 4 digits).
pub fn format_number(x: f64) -> String {
    numfmt::general(x, 4)
}

/// Time steps at which the summary samples a curve: T, 3T/4, T/2, T/4, 0 (deduplicated).
fn sample_steps(steps: usize) -> Vec<usize> {
    let mut ts: Vec<usize> = [4, 3, 2, 1, 0].iter().map(|k| steps * k / 4).collect();
    ts.dedup();
    ts
}

fn sampled(out: &mut String, label: &str, values: &[f64], ts: &[usize]) {
    let cells: Vec<String> = ts
        .iter()
        .filter_map(|&t| {
            values
                .get(t)
                .map(|v| format!("t={t}: {}", format_number(*v)))
        })
        .collect();
    let _ = writeln!(out, "  {label:<22} {}", cells.join("   "));
}

/// A readable multi-line summary: set-up, norms at a few t, the ratio ‖∂ℓ/∂h_0‖/‖∂ℓ/∂h_T‖,
/// clipping and overflow.
pub fn summary(p: &Params, run: &Run) -> String {
    let mut out = String::new();
    let cell = match p.cell {
        CellKind::Rnn => format!("RNN ({})", p.activation),
        CellKind::Lstm => format!("LSTM (forget bias {})", format_number(p.forget_bias)),
    };
    let _ = writeln!(
        out,
        "{cell}: hidden {}, steps {}, rho {}, init {}, inputs {} x N(0, {}^2), seed {}",
        p.hidden,
        p.steps,
        format_number(p.rho),
        p.init,
        p.input_size,
        format_number(p.input_scale),
        p.seed
    );
    let _ = writeln!(out, "loss v.h_T = {}", format_number(run.bptt.loss));
    let ts = sample_steps(p.steps);
    sampled(&mut out, "|dl/dh_t|", &run.bptt.grad_h, &ts);
    if let Some(theory) = &run.linear_theory {
        sampled(&mut out, "rho^(T-t) (linear)", theory, &ts);
    }
    if let Some(grad_c) = &run.bptt.grad_c {
        sampled(&mut out, "|dl/dc_t|", grad_c, &ts);
    }
    if let Some(fp) = &run.bptt.forget_product {
        sampled(&mut out, "max_j prod f_k[j]", fp, &ts);
    }
    let ratio = gradient_ratio(&run.bptt.grad_h);
    let _ = writeln!(
        out,
        "|dl/dh_0| / |dl/dh_T| = {}: the gradient {}",
        format_number(ratio),
        Verdict::of(ratio).phrase()
    );
    if p.cell == CellKind::Rnn {
        write_linear_theory(&mut out, p, run);
    }
    let clip = match p.clip {
        Clip::None => "no clipping".to_string(),
        clip => format!(
            "after clip {clip}: {}",
            format_number(run.clipped_param_grad_norm)
        ),
    };
    let _ = writeln!(
        out,
        "parameter gradient norm {} ({clip})",
        format_number(run.bptt.param_grad_norm)
    );
    write_overflow(&mut out, run);
    for w in &run.draws.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    out
}

/// What the linear theory ρ^T alone would say, how far the run is from it (measured), and
/// the reason the settings give for the difference.
fn write_linear_theory(out: &mut String, p: &Params, run: &Run) {
    let gap = LinearGap::of(gradient_ratio(&run.bptt.grad_h), p.rho, p.steps);
    let why = match (p.activation, p.init, gap) {
        (_, _, LinearGap::NoRatio) => "",
        (Activation::Identity, Init::Orthogonal, _) => {
            "; W_hh is rho times an orthogonal matrix and phi is the identity, where rho^T is exact"
        }
        (Activation::Identity, Init::Gaussian, LinearGap::Off(_)) => {
            "; a Gaussian W_hh is not normal, so rho^T gives only the long-run rate per step, not the size"
        }
        (Activation::Identity, Init::Gaussian, _) => "",
        (_, _, LinearGap::Off(_)) => "; phi' scales every step back as well as W_hh",
        _ => "",
    };
    let _ = writeln!(
        out,
        "linear theory rho^T = {}, which alone would say {}; the run's ratio is {}{why}",
        rho_power_text(p.rho, p.steps),
        Verdict::of_log10(rho_power_log10(p.rho, p.steps)).word(),
        spelled(&gap.phrase(), false),
    );
}

/// Where the forward pass and the backward norms stopped being finite, if they did.
fn write_overflow(out: &mut String, run: &Run) {
    match (run.bptt.forward_overflow_from, run.bptt.overflow_from) {
        (None, None) => {
            let _ = writeln!(out, "overflow: none");
        }
        (forward, backward) => {
            let mut parts = Vec::new();
            if let Some(t) = forward {
                parts.push(format!("forward pass non-finite from t = {t}"));
            }
            if let Some(t) = backward {
                parts.push(format!("backward norms non-finite from t = {t} down"));
            }
            let _ = writeln!(out, "overflow: {}", parts.join("; "));
        }
    }
}

/// The flag of `dlscope rnn` that sets the parameter `e` is about.
fn flag_of(e: &ParamError) -> &'static str {
    match e {
        ParamError::Size {
            dimension: Dimension::Hidden,
            ..
        } => "--hidden",
        ParamError::Size {
            dimension: Dimension::Steps,
            ..
        } => "--steps",
        ParamError::Size {
            dimension: Dimension::InputSize,
            ..
        } => "--input-size",
        ParamError::Rho(_) => "--rho",
        ParamError::InputScale(_) => "--input-scale",
        ParamError::ForgetBias(_) => "--forget-bias",
        ParamError::ClipThreshold(_) => "--clip",
    }
}

/// `dlscope rnn`: the summary, or JSON, of one forward and backward pass.
pub fn command(args: &crate::cli::RnnArgs, unicode: bool) -> Result<String, CommandError> {
    let params = Params {
        cell: args
            .cell
            .parse()
            .map_err(|e| CommandError::flag("--cell", e))?,
        hidden: args.hidden,
        steps: args.steps,
        rho: args.rho,
        activation: args
            .activation
            .parse()
            .map_err(|e| CommandError::flag("--activation", e))?,
        forget_bias: args.forget_bias,
        init: args
            .init
            .parse()
            .map_err(|e| CommandError::flag("--init", e))?,
        input_size: args.input_size,
        input_scale: args.input_scale,
        clip: args
            .clip
            .parse()
            .map_err(|e| CommandError::flag("--clip", e))?,
        seed: args.seed,
    };
    params
        .validate()
        .map_err(|e| CommandError::flag(flag_of(&e), e))?;
    let run = super::model::run(&params);
    if args.json {
        return crate::cli::emit_json(&json(&params, &run, args.include_weights));
    }
    Ok(crate::cli::emit_text(&summary(&params, &run), unicode))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rnn::model::{Activation, Weights, bptt, run};
    use serde_json::Value;

    #[test]
    fn a_refused_parameter_is_reported_under_its_flag() {
        let d = Params::default();
        let cases = [
            (Params { hidden: 0, ..d }, "--hidden"),
            (Params { steps: 2001, ..d }, "--steps"),
            (Params { input_size: 0, ..d }, "--input-size"),
            (Params { rho: f64::NAN, ..d }, "--rho"),
            (
                Params {
                    input_scale: -1.0,
                    ..d
                },
                "--input-scale",
            ),
            (
                Params {
                    forget_bias: f64::INFINITY,
                    ..d
                },
                "--forget-bias",
            ),
            (
                Params {
                    clip: Clip::Norm(0.0),
                    ..d
                },
                "--clip",
            ),
        ];
        for (p, flag) in cases {
            let e = p.validate().expect_err(flag);
            let line = CommandError::flag(flag_of(&e), e).to_string();
            assert_eq!(line, format!("{flag}: {e}"));
        }
        let e = Params { hidden: 0, ..d }.validate().expect_err("hidden 0");
        assert_eq!(
            CommandError::flag(flag_of(&e), e).to_string(),
            "--hidden: hidden size H must be between 1 and 512 (got 0)"
        );
    }

    fn value(p: &Params, r: &Run, include_weights: bool) -> Value {
        serde_json::to_value(json(p, r, include_weights)).expect("serialises")
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
        k.sort();
        k
    }

    fn numbers(v: &Value) -> Vec<f64> {
        v.as_array()
            .expect("array")
            .iter()
            .map(|x| x.as_f64().unwrap_or(f64::NAN))
            .collect()
    }

    fn matrix_from(v: &Value) -> Array2<f64> {
        let rows: Vec<Vec<f64>> = v.as_array().expect("rows").iter().map(numbers).collect();
        let cols = rows.first().map_or(0, Vec::len);
        Array2::from_shape_fn((rows.len(), cols), |(i, j)| rows[i][j])
    }

    #[test]
    fn json_has_exactly_the_documented_keys() {
        let base = [
            "activation",
            "cell",
            "clipped_param_grad_norm",
            "grad_h",
            "grad_w_step",
            "hidden",
            "init",
            "loss",
            "overflow",
            "param_grad_norm",
            "rho",
            "seed",
            "steps",
        ];
        let p = Params {
            hidden: 4,
            steps: 9,
            ..Params::default()
        };
        let r = run(&p);
        let j = value(&p, &r, false);
        assert_eq!(keys(&j), base.map(String::from).to_vec());
        assert_eq!(numbers(&j["grad_h"]), r.bptt.grad_h);
        assert_eq!(numbers(&j["grad_w_step"]).len(), 9);
        assert_eq!(j["cell"], "rnn");

        let p = Params {
            cell: CellKind::Lstm,
            ..p
        };
        let r = run(&p);
        let j = value(&p, &r, true);
        let mut want: Vec<String> = base.map(String::from).to_vec();
        want.extend(["forget_product", "grad_c", "inputs", "v", "weights"].map(String::from));
        want.sort();
        assert_eq!(keys(&j), want);
        assert_eq!(numbers(&j["grad_c"]).len(), 10);
        assert_eq!(
            numbers(&j["forget_product"]),
            r.bptt.forget_product.clone().expect("lstm")
        );
        assert_eq!(
            keys(&j["weights"]),
            ["bias_hh_l0", "bias_ih_l0", "weight_hh_l0", "weight_ih_l0"]
                .map(String::from)
                .to_vec()
        );
    }

    #[test]
    fn exported_weights_reproduce_the_run() {
        for cell in [CellKind::Rnn, CellKind::Lstm] {
            let p = Params {
                cell,
                hidden: 5,
                steps: 12,
                input_size: 3,
                ..Params::default()
            };
            let r = run(&p);
            let j = value(&p, &r, true);
            let w = Weights {
                w_ih: matrix_from(&j["weights"]["weight_ih_l0"]),
                w_hh: matrix_from(&j["weights"]["weight_hh_l0"]),
                b_ih: Array1::from(numbers(&j["weights"]["bias_ih_l0"])),
                b_hh: Array1::from(numbers(&j["weights"]["bias_hh_l0"])),
            };
            assert_eq!(w.w_hh.dim(), (5 * cell.gate_count(), 5));
            assert_eq!(w.w_ih.dim(), (5 * cell.gate_count(), 3));
            let inputs = matrix_from(&j["inputs"]);
            assert_eq!(inputs.dim(), (12, 3));
            let v = Array1::from(numbers(&j["v"]));
            let again = bptt(cell, p.activation, &w, &inputs, &v).expect("shapes agree");
            assert_eq!(again.loss, r.bptt.loss);
            assert_eq!(again.grad_h, r.bptt.grad_h);
            let mut wrong = w.clone();
            wrong.b_hh = Array1::zeros(3);
            let e = bptt(cell, p.activation, &wrong, &inputs, &v)
                .expect_err("bad bias")
                .to_string();
            assert!(e.starts_with("bias_hh_l0 has shape (3, 1)"), "{e}");
        }
    }

    #[test]
    fn non_finite_values_become_null() {
        let p = Params {
            rho: 3.0,
            steps: 2000,
            activation: Activation::Relu,
            ..Params::default()
        };
        let r = run(&p);
        let j = value(&p, &r, false);
        assert!(j["loss"].is_null());
        assert!(j["param_grad_norm"].is_null());
        let step = j["grad_w_step"].as_array().expect("array");
        assert_eq!(step.len(), 2000);
        assert!(step.iter().any(Value::is_null));
        assert!(j["grad_h"][2000].is_number());
        assert_eq!(
            j["overflow"]["forward_from"],
            r.bptt
                .forward_overflow_from
                .expect("the forward pass overflows")
        );
        assert_eq!(
            j["overflow"]["backward_from"],
            r.bptt.overflow_from.expect("the backward pass overflows")
        );
        let text = serde_json::to_string(&j).expect("serialises");
        assert!(text.contains("null") && !text.contains("NaN") && !text.contains("inf"));
    }

    #[test]
    fn summary_reports_ratio_clipping_and_overflow() {
        let p = Params {
            rho: 0.5,
            hidden: 8,
            steps: 40,
            clip: Clip::Norm(0.01),
            ..Params::default()
        };
        let r = run(&p);
        let s = summary(&p, &r);
        let ratio = r.bptt.grad_h[0] / r.bptt.grad_h[40];
        assert!(s.contains(&format_number(ratio)), "{s}");
        assert!(s.contains("vanishing"));
        assert!(s.contains("after clip norm:0.01"));
        assert!(s.contains("overflow: none"));
        assert!(s.contains("t=20:"));

        let p = Params {
            rho: 3.0,
            steps: 2000,
            activation: Activation::Relu,
            ..Params::default()
        };
        let r = run(&p);
        let s = summary(&p, &r);
        let t = r.bptt.forward_overflow_from.expect("overflows");
        assert!(
            s.contains(&format!("forward pass non-finite from t = {t}")),
            "{s}"
        );

        let p = Params {
            cell: CellKind::Lstm,
            hidden: 4,
            steps: 8,
            ..Params::default()
        };
        let s = summary(&p, &run(&p));
        assert!(
            s.contains("|dl/dc_t|") && s.contains("max_j prod f_k[j]"),
            "{s}"
        );
    }

    #[test]
    fn verdicts_use_a_band_and_show_the_linear_theory() {
        // The three runs of issue 9 point 10: ratios 1, 0.448 and 1.209, all within 10x.
        let cases = [
            Params {
                activation: Activation::Identity,
                init: Init::Orthogonal,
                ..Params::default()
            },
            Params {
                activation: Activation::Identity,
                rho: 1.02,
                ..Params::default()
            },
            Params {
                cell: CellKind::Lstm,
                forget_bias: 1e300,
                ..Params::default()
            },
        ];
        for p in cases {
            let r = run(&p);
            let ratio = gradient_ratio(&r.bptt.grad_h);
            assert!((0.1..=10.0).contains(&ratio), "{ratio} for {p:?}");
            let s = summary(&p, &r);
            assert!(s.contains("roughly preserved"), "{s}");
            assert!(!s.contains("vanishing") && !s.contains("exploding"), "{s}");
            if p.cell == CellKind::Rnn {
                let theory = crate::rnn::model::rho_power_text(p.rho, p.steps);
                assert!(s.contains(&format!("rho^T = {theory}")), "{s}");
            }
        }
        assert_eq!(Verdict::of(10.5), Verdict::Exploding);
        assert_eq!(Verdict::of(10.0), Verdict::Preserved);
        assert_eq!(Verdict::of(0.1), Verdict::Preserved);
        assert_eq!(Verdict::of(0.099), Verdict::Vanishing);
        assert_eq!(Verdict::of(f64::NAN), Verdict::Overflowed);
        assert_eq!(Verdict::of(f64::INFINITY), Verdict::Overflowed);
    }

    #[test]
    fn numbers_are_formatted_for_reading() {
        assert_eq!(format_number(0.0), "0");
        assert_eq!(format_number(1.5), "1.500");
        assert_eq!(format_number(1.5e-7), "1.500e-7");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
    }
}
