//! `dlscope train` as a user runs it: the JSON schema of the issue, presets with both runs,
//! --include-weights with PyTorch's names, the same numbers on every run, bad values on one
//! line with status 2.

use serde_json::Value;

use crate::common::{cmd, dlscope, stdout_of};

fn json(line: &str) -> Value {
    serde_json::from_str(&stdout_of(&cmd(line))).unwrap()
}

fn keys(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn json_has_the_issues_schema() {
    let v = json("train --preset exploding --iterations 30 --json");
    assert_eq!(keys(&v), ["baseline_loss", "runs", "steps", "task"]);
    assert_eq!(v["task"], "adding");
    assert_eq!(v["steps"], 20);
    assert!((v["baseline_loss"].as_f64().unwrap() - 1.0 / 6.0).abs() < 1e-15);
    let runs = v["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "a preset returns both runs");
    for run in runs {
        let mut want = vec![
            "accuracy",
            "activation",
            "batch",
            "cell",
            "clip",
            "diverged",
            "final_loss",
            "grad_norm",
            "hidden",
            "loss",
            "lr",
            "momentum",
            "optimizer",
        ];
        if run["clip"] != "none" {
            want.extend(["clip_steps", "clipping"]);
            want.sort_unstable();
        }
        assert_eq!(keys(run), want);
        assert_eq!(run["loss"].as_array().unwrap().len(), 30);
        assert_eq!(run["grad_norm"].as_array().unwrap().len(), 30);
        assert!(run["accuracy"].is_null());
        assert_eq!(run["momentum"], 0.9);
        // final_loss is the mean of the last 10%: 3 of 30.
        let loss: Vec<f64> = run["loss"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        let tail = loss[27..].iter().sum::<f64>() / 3.0;
        assert!((run["final_loss"].as_f64().unwrap() - tail).abs() < 1e-15);
    }
    assert_eq!(runs[0]["clip"], "none");
    assert_eq!(runs[1]["clip"], "norm:0.5");
    clipping_counts_its_steps(&runs[1]);
    // Both runs start from the same weights and batches: the first loss is the same.
    assert_eq!(runs[0]["loss"][0], runs[1]["loss"][0]);
}

/// `clipping` counts the per-iteration `clip_steps`: each clipped step against the step the
/// same state takes without clipping.
fn clipping_counts_its_steps(run: &Value) {
    let steps = run["clip_steps"].as_array().unwrap();
    assert_eq!(steps.len(), run["loss"].as_array().unwrap().len());
    let measured: Vec<(f64, f64)> = steps
        .iter()
        .filter(|s| !s.is_null())
        .map(|s| {
            assert!(s["shrink"].as_f64().unwrap() < 1.0);
            (
                s["step_clipped"].as_f64().unwrap(),
                s["step_unclipped"].as_f64().unwrap(),
            )
        })
        .collect();
    let c = &run["clipping"];
    assert!(!measured.is_empty());
    assert_eq!(c["clipped"], measured.len());
    let longer = measured.iter().filter(|(a, b)| a > &(b * 1.001)).count();
    let shorter = measured.iter().filter(|(a, b)| a < &(b * 0.999)).count();
    assert_eq!(c["longer"], longer);
    assert_eq!(c["shorter"], shorter);
    assert_eq!(c["within_0_1_percent"], measured.len() - longer - shorter);
    let ratios: Vec<f64> = measured.iter().map(|(a, b)| a / b).collect();
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    assert_eq!(c["ratio_min"].as_f64().unwrap(), min);
}

#[test]
fn recall_reports_accuracy_per_iteration_and_lstm_has_no_activation() {
    let v = json("train --task recall --classes 4 --cell lstm --iterations 5 --steps 6 --json");
    assert!((v["baseline_loss"].as_f64().unwrap() - 4f64.ln()).abs() < 1e-15);
    let run = &v["runs"][0];
    assert_eq!(run["accuracy"].as_array().unwrap().len(), 5);
    assert!(run["activation"].is_null());
    assert!(run["momentum"].is_null(), "adam has no momentum");
    // The final accuracy against chance: the last 10% (1 of 5 iterations) of 32 predictions,
    // at chance within two binomial standard errors of 1/4.
    let fa = &run["final_accuracy"];
    assert_eq!(fa["predictions"], 32);
    assert_eq!(fa["chance"], 0.25);
    let sigma = (0.25f64 * 0.75 / 32.0).sqrt();
    assert!((fa["standard_error"].as_f64().unwrap() - sigma).abs() < 1e-15);
    let acc = run["accuracy"][4].as_f64().unwrap();
    assert_eq!(fa["accuracy"].as_f64().unwrap(), acc);
    assert_eq!(fa["at_chance"], (acc - 0.25).abs() <= 2.0 * sigma);
}

#[test]
fn include_weights_gives_state_dict_names_and_the_first_batches() {
    let v = json(
        "train --task recall --classes 3 --cell lstm --hidden 4 --steps 5 --batch 2 --iterations 25 --json --include-weights",
    );
    let run = &v["runs"][0];
    let state = &run["initial_state"];
    assert_eq!(
        keys(state),
        [
            "head.bias",
            "head.weight",
            "rnn.bias_hh_l0",
            "rnn.bias_ih_l0",
            "rnn.weight_hh_l0",
            "rnn.weight_ih_l0",
        ]
    );
    // LSTM: 4H rows; I = K + 1 input channels; the head K×H.
    assert_eq!(state["rnn.weight_ih_l0"].as_array().unwrap().len(), 16);
    assert_eq!(state["rnn.weight_ih_l0"][0].as_array().unwrap().len(), 4);
    assert_eq!(state["rnn.weight_hh_l0"][0].as_array().unwrap().len(), 4);
    assert_eq!(state["head.weight"].as_array().unwrap().len(), 3);
    let batches = run["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 20, "min(N, 20)");
    let b = &batches[0];
    assert_eq!(b["inputs"].as_array().unwrap().len(), 2);
    assert_eq!(b["inputs"][0].as_array().unwrap().len(), 5);
    assert_eq!(b["inputs"][0][0].as_array().unwrap().len(), 4);
    // Class indices, and the one-hot symbol at t = 0 is the target.
    let target = b["targets"][0].as_u64().unwrap() as usize;
    assert_eq!(b["inputs"][0][0][target], 1.0);
}

#[test]
fn the_same_seed_gives_the_same_json() {
    let line = "train --preset long-memory --iterations 8 --steps 10 --seed 3 --json";
    assert_eq!(json(line), json(line));
    let other = json("train --preset long-memory --iterations 8 --steps 10 --seed 4 --json");
    assert_ne!(json(line)["runs"][0]["loss"], other["runs"][0]["loss"]);
}

#[test]
fn the_summary_states_the_final_losses() {
    let text = stdout_of(&["train", "--preset", "exploding", "--iterations", "40"]);
    assert!(text.contains("preset exploding"), "{text}");
    assert!(text.contains("baseline loss 0.1667"), "{text}");
    assert!(text.contains("without clipping"), "{text}");
}

#[test]
fn the_summary_measures_clipping_and_names_the_runs() {
    // Issue 19: "it only shortens steps" under Adam, and "Run 1 / Run 2".
    let text = stdout_of(&cmd(
        "train --preset long-memory --iterations 30 --steps 10",
    ));
    assert!(
        !text.contains("only shortens") && !text.contains("Run 1"),
        "{text}"
    );
    assert!(
        text.contains("RNN tanh: norm clipping at c = 1 rescaled"),
        "{text}"
    );
    assert!(text.contains("computed again without clipping"), "{text}");
    assert!(
        text.contains("Adam divides each entry of the step"),
        "{text}"
    );
    // Plain SGD: the step shrinks exactly as the gradient.
    let text = stdout_of(&cmd(
        "train --preset exploding --iterations 20 --optimizer sgd --momentum 0 --clip norm:0.5",
    ));
    assert!(
        text.contains("shrank exactly as the gradient did (by c/"),
        "{text}"
    );
}

#[test]
fn a_diverged_run_says_not_finite_never_inf() {
    let text = stdout_of(&cmd(
        "train --iterations 40 --steps 10 --rho 10 --lr 100 --cell rnn --activation relu --optimizer sgd --clip none",
    ));
    assert!(text.contains("RNN relu diverged"), "{text}");
    assert!(
        text.contains("final not finite, largest gradient norm not finite"),
        "{text}"
    );
    assert!(text.contains("RNN relu not finite (diverged)"), "{text}");
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        assert!(word != "inf" && word != "NaN", "{text}");
    }
}

#[test]
fn bad_values_get_one_line_and_status_2() {
    for (line, needle) in [
        ("train --preset nope", "--preset"),
        ("train --task nope", "--task"),
        ("train --steps 1", "--steps"),
        ("train --hidden 0", "--hidden"),
        ("train --lr -1", "--lr"),
        ("train --clip norm:0", "--clip"),
        ("train --rho 20", "--rho"),
        ("train --preset long-memory --cell rnn", "--cell"),
        ("train --optimizer adam --momentum 0.5", "--momentum"),
        ("train --classes 4", "--classes"),
        ("train --include-weights", "--json"),
    ] {
        let out = dlscope(&cmd(line));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{line}: {err}");
        assert_eq!(err.lines().count(), 1, "{line}: {err:?}");
        assert!(err.contains(needle), "{line}: {err:?}");
        assert!(out.stdout.is_empty(), "{line}");
    }
}
