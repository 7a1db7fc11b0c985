//! The headless commands as a user runs them: exact JSON shapes, figures checked against
//! independent truths, and bad input answered with one line and status 2.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

fn dlscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dlscope"))
        .args(args)
        .env("LANG", "en_US.UTF-8")
        .env_remove("NO_COLOR")
        .output()
        .expect("run dlscope")
}

fn json(args: &[&str]) -> Value {
    let out = dlscope(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("valid JSON")
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("object").keys().cloned().collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

/// Exit status 2, exactly one line on stderr containing every `needles`, nothing on stdout.
fn fails_with(args: &[&str], needles: &[&str]) {
    let out = dlscope(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: {err:?} lacks {n:?}");
    }
    assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
}

fn temp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = std::env::temp_dir().join(format!("dlscope-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).expect("write temp file");
    path
}

#[test]
fn resnet_json_has_the_schema_and_torchvision_counts() {
    let v = json(&["resnet", "--json"]);
    assert_eq!(
        keys(&v),
        sorted(&[
            "arch",
            "num_classes",
            "input_size",
            "conv_bias",
            "total_params",
            "trainable_params",
            "buffer_elements",
            "total_macs",
            "groups",
            "weight_decay",
            "modules"
        ])
    );
    assert_eq!(keys(&v["groups"]), sorted(&["batchnorm", "bias", "rest"]));
    assert_eq!(
        keys(&v["weight_decay"]),
        sorted(&["decayed", "not_decayed"])
    );
    for m in v["modules"].as_array().expect("modules") {
        assert_eq!(
            keys(m),
            sorted(&["name", "type", "depth", "params", "output_shape", "macs"])
        );
    }
    assert_eq!(v["total_macs"], 1_814_073_344u64);
    assert_eq!(v["groups"]["batchnorm"], 9600);
    assert_eq!(v["groups"]["bias"], 1000);
    assert_eq!(v["groups"]["rest"], 11_678_912);
    let total = v["total_params"].as_u64().expect("total");
    let split = v["weight_decay"]["decayed"].as_u64().expect("decayed")
        + v["weight_decay"]["not_decayed"]
            .as_u64()
            .expect("not decayed");
    assert_eq!(split, total);
    assert_eq!(v["modules"][0]["name"], "conv1");
    let fc = v["modules"]
        .as_array()
        .expect("modules")
        .last()
        .expect("fc")
        .clone();
    assert_eq!(fc["name"], "fc");
    assert_eq!(fc["output_shape"], serde_json::json!([1000]));
    for (arch, params) in [
        ("resnet18", 11_689_512u64),
        ("resnet34", 21_797_672),
        ("resnet50", 25_557_032),
        ("resnet101", 44_549_160),
        ("resnet152", 60_192_808),
    ] {
        let v = json(&["resnet", "--arch", arch, "--json"]);
        assert_eq!(v["total_params"], params, "{arch}");
    }
    let v = json(&[
        "resnet",
        "--input-size",
        "32x48",
        "--num-classes",
        "10",
        "--json",
    ]);
    assert_eq!(v["input_size"], serde_json::json!([32, 48]));
}

#[test]
fn resnet_table_is_readable() {
    let out = dlscope(&["resnet"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains("layer4.1.conv2") || text.contains("conv2"),
        "{text}"
    );
    assert!(text.contains("11,689,512"), "{text}");
}

#[test]
fn lowrank_json_has_the_schema_and_meets_lapack() {
    let v = json(&["lowrank", "--rank", "10", "--json"]);
    assert_eq!(
        keys(&v),
        sorted(&[
            "source",
            "rows",
            "cols",
            "rank",
            "downscaled_from",
            "singular_values",
            "error_sq",
            "error_sq_tail",
            "relative_error",
            "energy_captured",
            "storage",
            "ranks_for_energy"
        ])
    );
    assert_eq!(keys(&v["storage"]), sorted(&["factored", "dense"]));
    assert_eq!(
        keys(&v["ranks_for_energy"]),
        sorted(&["0.9", "0.99", "0.999"])
    );
    assert!(v["downscaled_from"].is_null());
    let sv: Vec<f64> = v["singular_values"]
        .as_array()
        .expect("singular values")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    assert_eq!(sv.len(), 512);
    // LAPACK's figures for the same matrix (assets/PROVENANCE.md).
    assert!(close(sv[0], 278.29817584, 1e-9));
    let tail: f64 = sv[10..].iter().map(|s| s * s).sum();
    let reference = 1622.8977274767;
    assert!(close(tail, reference, 1e-9));
    assert!(close(
        v["error_sq_tail"].as_f64().expect("tail"),
        reference,
        1e-9
    ));
    assert!(close(
        v["error_sq"].as_f64().expect("error"),
        reference,
        1e-8
    ));
}

#[test]
fn lowrank_reads_csv_and_npy() {
    let csv = temp_file("m.csv", b"1,2,3\n4,5,6\n");
    let v = json(&[
        "lowrank",
        "--input",
        csv.to_str().expect("path"),
        "--rank",
        "1",
        "--json",
    ]);
    assert_eq!((v["rows"].clone(), v["cols"].clone()), (2.into(), 3.into()));
    // Frobenius norm² = 91 = σ1² + σ2²; at rank 1 the tail is σ2².
    let sv: Vec<f64> = v["singular_values"]
        .as_array()
        .expect("sv")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect();
    assert!(close(sv.iter().map(|s| s * s).sum::<f64>(), 91.0, 1e-12));
    // A 2×2 float64 .npy written by hand (format 1.0).
    let header = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }";
    let mut h = header.to_string();
    while !(10 + h.len() + 1).is_multiple_of(64) {
        h.push(' ');
    }
    h.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(h.len() as u16).to_le_bytes());
    bytes.extend_from_slice(h.as_bytes());
    for x in [3.0f64, 0.0, 0.0, 4.0] {
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    let npy = temp_file("m.npy", &bytes);
    let v = json(&[
        "lowrank",
        "--input",
        npy.to_str().expect("path"),
        "--rank",
        "0",
        "--json",
    ]);
    assert_eq!(v["singular_values"], serde_json::json!([4.0, 3.0]));
    assert!(close(v["error_sq"].as_f64().expect("error"), 25.0, 1e-12));
}

#[test]
fn scale_json_has_the_schema_and_its_identities() {
    let v = json(&["scale", "--json", "--steps", "50"]);
    assert_eq!(
        keys(&v),
        sorted(&[
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
            "eta_sweep_slope"
        ])
    );
    assert_eq!(
        keys(&v["grad_scaling"]),
        sorted(&[
            "lambda",
            "x",
            "grad_at_lambda_x",
            "grad_over_lambda",
            "max_abs_diff",
            "inner_product_x_grad"
        ])
    );
    assert_eq!(v["points"].as_array().expect("points").len(), 51);
    for item in v["eta_sweep"].as_array().expect("sweep") {
        assert_eq!(keys(item), sorted(&["eta", "gap"]));
    }
    let slope = v["eta_sweep_slope"].as_f64().expect("slope");
    assert!((slope - 2.0).abs() < 0.2, "{slope}");
    let inc = v["norm_sq_increment"].as_array().expect("inc");
    let pred = v["grad_norm_sq_times_lr_sq"].as_array().expect("pred");
    let norms = v["norms"].as_array().expect("norms");
    for k in 0..inc.len() {
        let (a, b) = (inc[k].as_f64().expect("a"), pred[k].as_f64().expect("b"));
        let scale = norms[k].as_f64().expect("norm").powi(2);
        assert!(
            (a - b).abs() <= 1e-10 * b.abs() + 1e-14 * scale,
            "k={k}: {a} vs {b}"
        );
    }
}

#[test]
fn rnn_json_has_the_schema_and_the_linear_theory() {
    let v = json(&[
        "rnn", "--cell", "lstm", "--steps", "20", "--hidden", "8", "--json",
    ]);
    assert_eq!(
        keys(&v),
        sorted(&[
            "cell",
            "hidden",
            "steps",
            "rho",
            "activation",
            "init",
            "seed",
            "loss",
            "grad_h",
            "grad_c",
            "forget_product",
            "grad_w_step",
            "param_grad_norm",
            "clipped_param_grad_norm"
        ])
    );
    assert_eq!(v["grad_h"].as_array().expect("grad_h").len(), 21);
    assert_eq!(v["grad_w_step"].as_array().expect("grad_w").len(), 20);
    let v = json(&[
        "rnn",
        "--cell",
        "rnn",
        "--activation",
        "identity",
        "--init",
        "orthogonal",
        "--rho",
        "0.9",
        "--steps",
        "50",
        "--json",
    ]);
    assert!(v.get("grad_c").is_none());
    let grad_h = v["grad_h"].as_array().expect("grad_h");
    for (t, g) in grad_h.iter().enumerate() {
        let expected = 0.9f64.powi(50 - t as i32);
        assert!(close(g.as_f64().expect("number"), expected, 1e-9), "t={t}");
    }
    let v = json(&["rnn", "--cell", "rnn", "--clip", "norm:0.5", "--json"]);
    let before = v["param_grad_norm"].as_f64().expect("before");
    let after = v["clipped_param_grad_norm"].as_f64().expect("after");
    assert!(close(after, before.min(0.5), 1e-12), "{before} {after}");
}

#[test]
fn rnn_weights_export_in_pytorch_shapes() {
    let v = json(&[
        "rnn",
        "--cell",
        "lstm",
        "--hidden",
        "4",
        "--input-size",
        "3",
        "--steps",
        "5",
        "--json",
        "--include-weights",
    ]);
    let w = &v["weights"];
    let shape = |x: &Value| -> Vec<usize> {
        match x.as_array() {
            Some(rows) if rows.first().is_some_and(|r| r.is_array()) => {
                vec![rows.len(), rows[0].as_array().map_or(0, |r| r.len())]
            }
            Some(items) => vec![items.len()],
            None => vec![],
        }
    };
    assert_eq!(shape(&w["weight_ih_l0"]), vec![16, 3]);
    assert_eq!(shape(&w["weight_hh_l0"]), vec![16, 4]);
    assert_eq!(shape(&w["bias_ih_l0"]), vec![16]);
    assert_eq!(shape(&w["bias_hh_l0"]), vec![16]);
    assert_eq!(shape(&v["inputs"]), vec![5, 3]);
    assert_eq!(shape(&v["v"]), vec![4]);
}

#[test]
fn rnn_overflow_writes_null_not_nan() {
    let out = dlscope(&[
        "rnn",
        "--cell",
        "rnn",
        "--rho",
        "3",
        "--steps",
        "2000",
        "--activation",
        "relu",
        "--json",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("NaN") && !text.contains("inf"));
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(
        v["grad_h"]
            .as_array()
            .expect("grad_h")
            .iter()
            .any(Value::is_null)
    );
}

#[test]
fn snapshot_prints_the_frame_at_the_asked_size() {
    for tab in ["resnet", "lowrank", "scale", "rnn"] {
        let out = dlscope(&[
            "snapshot", "--tab", tab, "--width", "80", "--height", "24", "--ascii", "--color",
            "never",
        ]);
        assert!(out.status.success(), "{tab}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.lines().count(), 24, "{tab}");
        assert!(text.lines().all(|l| l.chars().count() <= 80), "{tab}");
        assert!(text.is_ascii(), "{tab}:\n{text}");
        assert!(text.contains("dlscope"), "{tab}");
    }
    let out = dlscope(&["snapshot", "--tab", "resnet", "--keys", "?"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("Global keys"));
}

#[test]
fn bad_input_is_one_line_and_status_2() {
    fails_with(&["resnet", "--arch", "resnet19"], &["resnet19"]);
    fails_with(&["resnet", "--num-classes", "0"], &["--num-classes"]);
    fails_with(&["resnet", "--input-size", "0x5"], &["--input-size"]);
    fails_with(
        &["snapshot", "--tab", "resnet", "--width", "0"],
        &["--width"],
    );
    fails_with(
        &["snapshot", "--tab", "resnet", "--keys", "Bogus"],
        &["Bogus"],
    );
    fails_with(&["--tab", "nope"], &["nope"]);
    fails_with(&["lowrank", "--rank", "600"], &["600", "512"]);
    fails_with(
        &["lowrank", "--input", "/nonexistent.png"],
        &["/nonexistent.png"],
    );
    fails_with(&["--input", "/nonexistent.png"], &["/nonexistent.png"]);
    let unknown = temp_file("data.xyz", b"hello");
    fails_with(
        &["lowrank", "--input", unknown.to_str().expect("p")],
        &["data.xyz"],
    );
    let camera =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/camera.png")).expect("camera");
    let truncated = temp_file("cut.png", &camera[..100]);
    fails_with(
        &["lowrank", "--input", truncated.to_str().expect("p")],
        &["cut.png"],
    );
    let cell = temp_file("cell.csv", b"1,2\n3,abc\n");
    fails_with(
        &["lowrank", "--input", cell.to_str().expect("p")],
        &["cell.csv", "row 2", "column 2"],
    );
    let nan = temp_file("nan.csv", b"1,2\n3,NaN\n");
    fails_with(
        &["lowrank", "--input", nan.to_str().expect("p")],
        &["nan.csv"],
    );
    let empty = temp_file("empty.csv", b"");
    fails_with(
        &["lowrank", "--input", empty.to_str().expect("p")],
        &["empty.csv"],
    );
    fails_with(&["rnn", "--cell", "gru"], &["gru"]);
    fails_with(&["rnn", "--cell", "rnn", "--hidden", "0"], &["--hidden"]);
    fails_with(&["rnn", "--cell", "rnn", "--clip", "norm:x"], &["--clip"]);
    fails_with(&["scale", "--lr", "-1"], &["--lr"]);
    fails_with(&["scale", "--init", "1,x"], &["--init"]);
    fails_with(&["scale", "--function", "ratio", "--dim", "3"], &["--dim"]);
}

#[test]
fn help_works_and_the_app_wants_a_terminal() {
    assert!(dlscope(&["--help"]).status.success());
    // Under Command, stdin and stdout are not terminals.
    fails_with(&[], &["terminal"]);
}
