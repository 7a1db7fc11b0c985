//! The `dlscope` binary as a user runs it. Every headless command's JSON has exactly the
//! documented shape; its figures meet independent truths (published counts, LAPACK's singular
//! values, closed forms, a forward and backward pass recomputed here from the exported
//! weights); `snapshot` draws at the asked size; and bad input is answered with one line on
//! stderr, nothing on stdout and exit status 2.

use std::path::PathBuf;

use serde_json::Value;

use crate::common::{self, cmd, dlscope, stdout_of};

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// Status 0 and one valid JSON document on stdout, with no bare NaN or infinity in its text.
pub(crate) fn json(args: &[&str]) -> Value {
    let text = stdout_of(args);
    for bad in ["NaN", "nan", "inf", "Infinity"] {
        assert!(!text.contains(bad), "{args:?}: JSON text contains {bad:?}");
    }
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: invalid JSON ({e})"))
}

/// Exit status 2, exactly one line on stderr containing every one of `needles`, and nothing
/// on stdout.
pub(crate) fn fails_with(args: &[&str], needles: &[&str]) {
    let out = dlscope(args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: not one line: {err:?}");
    assert!(err.ends_with('\n'), "{args:?}: {err:?}");
    assert!(err.starts_with("dlscope: "), "{args:?}: {err:?}");
    for needle in needles {
        assert!(err.contains(needle), "{args:?}: {err:?} lacks {needle:?}");
    }
    assert!(
        out.stdout.is_empty(),
        "{args:?} printed to stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

// ---------------------------------------------------------------------------------------------
// Reading JSON
// ---------------------------------------------------------------------------------------------

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect();
    k.sort();
    k
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut k: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    k.sort();
    k
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

fn int(v: &Value) -> u64 {
    v.as_u64()
        .unwrap_or_else(|| panic!("not a non-negative integer: {v}"))
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

fn nums(v: &Value) -> Vec<f64> {
    array(v).iter().map(num).collect()
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    array(v).iter().map(nums).collect()
}

fn shape(m: &[Vec<f64>]) -> (usize, usize) {
    let cols = m.first().map_or(0, Vec::len);
    assert!(m.iter().all(|r| r.len() == cols), "ragged matrix");
    (m.len(), cols)
}

/// |a − b| ≤ rel·max(|a|, |b|) + abs.
fn assert_close(a: f64, b: f64, rel: f64, abs: f64, what: &str) {
    let tol = rel * a.abs().max(b.abs()) + abs;
    assert!(
        (a - b).abs() <= tol,
        "{what}: {a} vs {b} (tolerance {tol:e})"
    );
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// ---------------------------------------------------------------------------------------------
// Input files
// ---------------------------------------------------------------------------------------------

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    /// The file's name in the temporary directory, unique to this test process.
    fn name(name: &str) -> String {
        format!("dlscope-cli-{}-{name}", std::process::id())
    }

    fn new(name: &str, bytes: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(TempFile::name(name));
        std::fs::write(&path, bytes).expect("write temp file");
        TempFile(path)
    }

    fn arg(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// For a matrix with two rows, σ₁² + σ₂² = ‖X‖²_F and σ₁²σ₂² = det(XXᵀ).
fn two_row_spectrum(rows: [&[f64]; 2]) -> (f64, f64) {
    let (a, b) = (rows[0], rows[1]);
    let (aa, bb, ab) = (dot(a, a), dot(b, b), dot(a, b));
    (aa + bb, aa * bb - ab * ab)
}

/// The singular values of a 2×n lowrank run, checked against `two_row_spectrum`.
fn assert_two_row_spectrum(v: &Value, rows: [&[f64]; 2], rel: f64) {
    let sv = nums(&v["singular_values"]);
    assert_eq!(sv.len(), 2, "{v}");
    let (sum_sq, det) = two_row_spectrum(rows);
    assert_close(sv[0].powi(2) + sv[1].powi(2), sum_sq, rel, 0.0, "σ₁² + σ₂²");
    assert_close((sv[0] * sv[1]).powi(2), det, rel, 0.0, "σ₁²σ₂²");
    assert!(sv[0] >= sv[1] && sv[1] >= 0.0, "{sv:?}");
}

// ---------------------------------------------------------------------------------------------
// resnet
// ---------------------------------------------------------------------------------------------

/// torchvision's parameter counts and GFLOPS (multiply–accumulates, 2 decimals) per model.
const ARCHS: [(&str, u64, f64); 5] = [
    ("resnet18", 11_689_512, 1.81),
    ("resnet34", 21_797_672, 3.66),
    ("resnet50", 25_557_032, 4.09),
    ("resnet101", 44_549_160, 7.80),
    ("resnet152", 60_192_808, 11.51),
];

#[test]
fn resnet_json_has_exactly_the_documented_keys() {
    let v = json(&cmd("resnet --json"));
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
            "modules",
            "flops_forward",
            "flops_backward",
            "param_bytes",
            "grad_bytes",
            "optimizer_bytes",
            "activation_bytes",
            "training_bytes",
            "saved_input_bytes",
            "one_value_per_channel",
            "train_step_error",
            "overflow",
        ])
    );
    assert_eq!(v["overflow"], serde_json::json!([]));
    assert_eq!(keys(&v["groups"]), sorted(&["batchnorm", "bias", "rest"]));
    assert_eq!(
        keys(&v["weight_decay"]),
        sorted(&["decayed", "not_decayed"])
    );
    assert_eq!(v["arch"], "resnet18");
    assert_eq!(v["num_classes"], 1000);
    assert_eq!(v["input_size"], serde_json::json!([224, 224]));
    assert_eq!(v["conv_bias"], false);
    for key in [
        "total_params",
        "trainable_params",
        "buffer_elements",
        "total_macs",
    ] {
        int(&v[key]);
    }
    let modules = array(&v["modules"]);
    assert!(!modules.is_empty());
    for m in modules {
        assert_eq!(keys(m), sorted(&RESNET_MODULE_KEYS));
        assert!(m["name"].is_string() && m["type"].is_string(), "{m}");
        int(&m["depth"]);
        int(&m["params"]);
        int(&m["macs"]);
        assert!(!array(&m["output_shape"]).is_empty(), "{m}");
        array(&m["output_shape"])
            .iter()
            .for_each(|d| assert!(int(d) > 0, "{m}"));
    }
}

/// The per-module keys of `dlscope resnet --json`.
const RESNET_MODULE_KEYS: [&str; 11] = [
    "name",
    "type",
    "depth",
    "params",
    "output_shape",
    "macs",
    "flops_forward",
    "flops_backward",
    "activation_bytes",
    "receptive_field",
    "jump",
];

#[test]
fn resnet_costs_meet_the_published_pytorch_figures() {
    // FlopCounterMode, torch 2.15 / torchvision 0.29, resnet18 at 224x224, batch 1.
    let v = json(&cmd("resnet --json"));
    assert_eq!(int(&v["flops_forward"]), 3_628_146_688);
    assert_eq!(int(&v["flops_backward"]), 7_020_265_472);
    // Forward is 2 FLOPs per MAC; backward is twice forward less the stem's input gradient.
    assert_eq!(int(&v["flops_forward"]), 2 * int(&v["total_macs"]));
    let conv1 = &array(&v["modules"])[0];
    assert_eq!(conv1["name"], "conv1");
    assert_eq!(
        int(&v["flops_backward"]),
        2 * int(&v["flops_forward"]) - int(&conv1["flops_forward"])
    );
    assert_eq!(int(&v["trainable_params"]), 11_689_512);
    assert_eq!(int(&v["param_bytes"]), 4 * 11_689_512);
    assert_eq!(int(&v["grad_bytes"]), 4 * 11_689_512);
    assert_eq!(int(&v["optimizer_bytes"]), 0);
    // Saved storages, batch 2, float32, train mode.
    let v = json(&cmd("resnet --batch 2 --dtype float32 --json"));
    assert_eq!(int(&v["activation_bytes"]), 44_398_080);
    let per_module: u64 = array(&v["modules"])
        .iter()
        .filter(|m| int(&m["depth"]) == 0)
        .map(|m| int(&m["activation_bytes"]))
        .sum();
    assert_eq!(per_module, 44_398_080);
    let v = json(&cmd("resnet --arch resnet50 --batch 2 --json"));
    assert_eq!(int(&v["activation_bytes"]), 172_031_488);
    // Freezing follows the graph: layer2.0's downsample reads frozen layer1.
    let v = json(&cmd("resnet --freeze conv1,bn1,layer1 --json"));
    assert_eq!(int(&v["flops_backward"]), 4_806_098_944);
    let frozen: u64 = array(&v["modules"])
        .iter()
        .filter(|m| ["conv1", "bn1", "layer1"].contains(&m["name"].as_str().unwrap()))
        .map(|m| int(&m["params"]))
        .sum();
    assert_eq!(int(&v["trainable_params"]), 11_689_512 - frozen);
    assert_eq!(int(&v["grad_bytes"]), 4 * (11_689_512 - frozen));
    // Receptive fields: layer4 sees 435 pixels at jump 32; the classifier is global.
    let layer4 = array(&v["modules"])
        .iter()
        .find(|m| m["name"] == "layer4")
        .unwrap();
    assert_eq!(
        (int(&layer4["receptive_field"]), int(&layer4["jump"])),
        (435, 32)
    );
    let fc = array(&v["modules"]).last().unwrap();
    assert!(
        fc["receptive_field"].is_null() && fc["jump"].is_null(),
        "{fc}"
    );
    let v = json(&cmd("resnet --arch resnet50 --json"));
    let layer4 = array(&v["modules"])
        .iter()
        .find(|m| m["name"] == "layer4")
        .unwrap();
    assert_eq!(int(&layer4["receptive_field"]), 427);
}

#[test]
fn resnet_dtype_and_optimizer_scale_the_bytes() {
    let base = json(&cmd("resnet --json"));
    let half = json(&cmd("resnet --dtype bfloat16 --json"));
    assert_eq!(2 * int(&half["param_bytes"]), int(&base["param_bytes"]));
    let p = int(&base["param_bytes"]);
    let momentum = json(&cmd("resnet --optimizer sgd --momentum 0.9 --json"));
    assert_eq!(int(&momentum["optimizer_bytes"]), p);
    let adam = json(&cmd("resnet --optimizer adam --json"));
    // exp_avg and exp_avg_sq, plus a float32 step per parameter tensor.
    assert!(
        int(&adam["optimizer_bytes"]) > 2 * p,
        "{}",
        adam["optimizer_bytes"]
    );
    assert_eq!(
        int(&base["training_bytes"]),
        ["param_bytes", "grad_bytes", "optimizer_bytes", "activation_bytes"]
            .iter()
            .map(|k| int(&base[*k]))
            .sum::<u64>()
            // buffers: running mean and var in float32, num_batches_tracked as int64
            + 4 * int(&base["buffer_elements"])
            - 4 * 20
            + 8 * 20
    );
    // --json is --format json.
    assert_eq!(json(&cmd("resnet --format json")), base);
}

#[test]
fn resnet_csv_and_markdown_list_every_module() {
    let v = json(&cmd("resnet --batch 2 --json"));
    let modules = array(&v["modules"]);
    let text = stdout_of(&cmd("resnet --batch 2 --format csv"));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(header, keys(&modules[0]));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), modules.len());
    for (row, m) in rows.iter().zip(modules) {
        for (key, cell) in header.iter().zip(row) {
            let want = match &m[*key] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                Value::Array(dims) => dims
                    .iter()
                    .map(|d| int(d).to_string())
                    .collect::<Vec<_>>()
                    .join("x"),
                other => other.to_string(),
            };
            assert_eq!(*cell, want, "{key} of {}", m["name"]);
        }
    }
    assert!(text.contains(",64x112x112,"), "{text}");
    let md = stdout_of(&cmd("resnet --format markdown"));
    assert_eq!(md.lines().count(), modules.len() + 2);
    for line in md.lines() {
        assert!(line.starts_with('|') && line.ends_with('|'), "{line}");
        assert_eq!(
            line.matches('|').count(),
            RESNET_MODULE_KEYS.len() + 1,
            "{line}"
        );
    }
    assert!(md.lines().nth(1).unwrap().contains("---:"));
}

#[test]
fn resnet_totals_meet_torchvision_for_every_arch() {
    for (arch, params, gmacs) in ARCHS {
        let v = json(&["resnet", "--arch", arch, "--json"]);
        assert_eq!(v["arch"], arch);
        let total = int(&v["total_params"]);
        assert_eq!(total, params, "{arch}");
        assert_eq!(int(&v["trainable_params"]), total, "{arch}");
        let macs = int(&v["total_macs"]) as f64 / 1e9;
        assert!(
            (macs - gmacs).abs() < 0.005,
            "{arch}: {macs} GMACs, torchvision {gmacs}"
        );

        // Every parameter is in exactly one group; decay applies to the "rest" only.
        let g = &v["groups"];
        let (bn, bias, rest) = (int(&g["batchnorm"]), int(&g["bias"]), int(&g["rest"]));
        assert_eq!(bn + bias + rest, total, "{arch}");
        assert_eq!(bias, 1000, "{arch}: only fc has a bias");
        let wd = &v["weight_decay"];
        assert_eq!(int(&wd["decayed"]), rest, "{arch}");
        assert_eq!(int(&wd["not_decayed"]), bn + bias, "{arch}");
        assert_eq!(
            int(&wd["decayed"]) + int(&wd["not_decayed"]),
            total,
            "{arch}"
        );

        // A BatchNorm2d has 2C parameters (γ, β) and 2C + 1 buffer elements (running mean,
        // running variance, num_batches_tracked).
        let batchnorms = array(&v["modules"])
            .iter()
            .filter(|m| m["type"] == "BatchNorm2d")
            .count() as u64;
        assert_eq!(int(&v["buffer_elements"]), bn + batchnorms, "{arch}");
    }
    let v = json(&cmd("resnet --json"));
    assert_eq!(int(&v["total_macs"]), 1_814_073_344);
    assert_eq!(int(&v["groups"]["batchnorm"]), 9600);
    assert_eq!(int(&v["groups"]["bias"]), 1000);
    assert_eq!(int(&v["groups"]["rest"]), 11_678_912);
    assert_eq!(int(&v["buffer_elements"]), 9600 + 20);
}

/// Pre-order module list: the direct children of module `i` are the following modules one
/// level deeper, up to the next module at `i`'s depth or above.
fn children(modules: &[Value], i: usize) -> Vec<usize> {
    let depth = int(&modules[i]["depth"]);
    let mut out = Vec::new();
    for (j, m) in modules.iter().enumerate().skip(i + 1) {
        let d = int(&m["depth"]);
        if d <= depth {
            break;
        }
        if d == depth + 1 {
            out.push(j);
        }
    }
    out
}

#[test]
fn resnet_module_tree_adds_up() {
    for arch in ["resnet18", "resnet50"] {
        let v = json(&["resnet", "--arch", arch, "--json"]);
        let modules = array(&v["modules"]);
        let mut names = std::collections::HashSet::new();
        let (mut top_params, mut top_macs) = (0, 0);
        for (i, m) in modules.iter().enumerate() {
            let name = m["name"].as_str().expect("name");
            assert!(names.insert(name), "{arch}: {name} appears twice");
            let (params, macs) = (int(&m["params"]), int(&m["macs"]));
            if int(&m["depth"]) == 0 {
                top_params += params;
                top_macs += macs;
            }
            let kids = children(modules, i);
            if !kids.is_empty() {
                // A container holds exactly what its children hold.
                let p: u64 = kids.iter().map(|&k| int(&modules[k]["params"])).sum();
                let c: u64 = kids.iter().map(|&k| int(&modules[k]["macs"])).sum();
                assert_eq!(p, params, "{arch}: params of {name}");
                assert_eq!(c, macs, "{arch}: MACs of {name}");
                for &k in &kids {
                    let child = modules[k]["name"].as_str().expect("name");
                    assert!(
                        child.starts_with(&format!("{name}.")),
                        "{child} under {name}"
                    );
                }
                continue;
            }
            let out: Vec<u64> = array(&m["output_shape"]).iter().map(int).collect();
            match m["type"].as_str().expect("type") {
                // Without bias a convolution's weights are each used once per output position.
                "Conv2d" => assert_eq!(macs, params * out[1] * out[2], "{arch}: {name}"),
                // in·out weights, each used once, plus `out` biases that cost no MACs.
                "Linear" => assert_eq!(macs, params - out[0], "{arch}: {name}"),
                "BatchNorm2d" => {
                    assert_eq!(params, 2 * out[0], "{arch}: {name}");
                    assert_eq!(macs, 0, "{arch}: {name}");
                }
                _ => assert_eq!(params, 0, "{arch}: {name} has parameters"),
            }
        }
        assert_eq!(top_params, int(&v["total_params"]), "{arch}");
        assert_eq!(top_macs, int(&v["total_macs"]), "{arch}");
        let find = |name: &str| {
            modules
                .iter()
                .find(|m| m["name"] == name)
                .unwrap_or_else(|| panic!("{arch}: no {name}"))
        };
        assert_eq!(modules[0]["name"], "conv1");
        assert_eq!(
            find("conv1")["output_shape"],
            serde_json::json!([64, 112, 112])
        );
        assert_eq!(find("conv1")["params"], 64 * 3 * 7 * 7);
        let channels = if arch == "resnet18" { 512 } else { 2048 };
        assert_eq!(
            find("layer4")["output_shape"],
            serde_json::json!([channels, 7, 7])
        );
        let fc = modules.last().expect("fc");
        assert_eq!(fc["name"], "fc");
        assert_eq!(fc["output_shape"], serde_json::json!([1000]));
        assert_eq!(int(&fc["params"]), channels * 1000 + 1000);
    }
}

#[test]
fn resnet_flags_change_the_counts_as_predicted() {
    let base = json(&cmd("resnet --json"));
    let total = int(&base["total_params"]);
    let macs = int(&base["total_macs"]);

    // fc is 512·C + C: ten classes instead of a thousand.
    let v = json(&cmd("resnet --num-classes 10 --json"));
    assert_eq!(v["num_classes"], 10);
    assert_eq!(int(&v["total_params"]), total - 513 * 1000 + 513 * 10);
    assert_eq!(int(&v["groups"]["bias"]), 10);
    assert_eq!(
        array(&v["modules"]).last().expect("fc")["output_shape"],
        serde_json::json!([10])
    );

    // A bias per output channel of every convolution; biases cost no MACs.
    let conv_channels: u64 = array(&base["modules"])
        .iter()
        .filter(|m| m["type"] == "Conv2d")
        .map(|m| int(&m["output_shape"][0]))
        .sum();
    assert_eq!(conv_channels, 4800);
    let v = json(&cmd("resnet --conv-bias --json"));
    assert_eq!(v["conv_bias"], true);
    assert_eq!(int(&v["total_params"]), total + conv_channels);
    assert_eq!(int(&v["groups"]["bias"]), 1000 + conv_channels);
    assert_eq!(int(&v["groups"]["batchnorm"]), 9600);
    assert_eq!(int(&v["total_macs"]), macs);
    assert_eq!(array(&v["modules"])[0]["params"], 64 * 3 * 7 * 7 + 64);

    // At 448×448 every feature map is twice as tall and wide: four times the convolution
    // MACs, the same 512·1000 for fc.
    let v = json(&cmd("resnet --input-size 448 --json"));
    assert_eq!(v["input_size"], serde_json::json!([448, 448]));
    assert_eq!(int(&v["total_macs"]), 4 * (macs - 512_000) + 512_000);
    assert_eq!(int(&v["total_params"]), total);

    let v = json(&cmd("resnet --input-size 32x48 --json"));
    assert_eq!(v["input_size"], serde_json::json!([32, 48]));
    let shape_of = |name: &str| {
        array(&v["modules"])
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["output_shape"].clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(shape_of("conv1"), serde_json::json!([64, 16, 24]));
    assert_eq!(shape_of("maxpool"), serde_json::json!([64, 8, 12]));
    assert_eq!(shape_of("layer4"), serde_json::json!([512, 1, 2]));
    assert_eq!(shape_of("avgpool"), serde_json::json!([512, 1, 1]));

    // On a 1×1 input every feature map is 1×1, so each conv and fc weight is used exactly once:
    // the MACs are the weights that are neither batch-norm nor bias.
    for (arch, _, _) in ARCHS {
        let v = json(&["resnet", "--arch", arch, "--input-size", "1", "--json"]);
        assert_eq!(v["total_macs"], v["groups"]["rest"], "{arch}");
    }
}

/// Issue 19 point 7: at 32×32 and batch 1, layer4's batch norms see one value per channel in
/// train mode; the table and the JSON say PyTorch refuses the step, by PyTorch's own rule
/// (batch × H × W == 1 at a batch norm's input), and a batch of 2 runs.
#[test]
fn resnet_flags_a_training_step_pytorch_refuses() {
    let v = json(&cmd("resnet --input-size 32 --json"));
    let refused = array(&v["one_value_per_channel"]);
    assert_eq!(refused[0]["name"], "layer4.0.bn1");
    assert_eq!(refused[0]["input_size"], serde_json::json!([1, 512, 1, 1]));
    // The rule, from the module shapes: every BN whose output (= input) is 1×1 at batch 1.
    let by_rule: Vec<&Value> = array(&v["modules"])
        .iter()
        .filter(|m| m["type"] == "BatchNorm2d")
        .filter(|m| m["output_shape"][1] == 1 && m["output_shape"][2] == 1)
        .map(|m| &m["name"])
        .collect();
    let flagged: Vec<&Value> = refused.iter().map(|r| &r["name"]).collect();
    assert_eq!(flagged, by_rule);
    assert_eq!(
        v["train_step_error"],
        "Expected more than 1 value per channel when training, got input size \
         torch.Size([1, 512, 1, 1])"
    );
    let text = stdout_of(&cmd("resnet --input-size 32"));
    assert!(
        text.contains("PyTorch refuses this training step: in train mode layer4.0.bn1"),
        "{text}"
    );
    for args in ["resnet --input-size 32 --batch 2 --json", "resnet --json"] {
        let v = json(&cmd(args));
        assert!(array(&v["one_value_per_channel"]).is_empty(), "{args}");
        assert!(v["train_step_error"].is_null(), "{args}");
    }
    assert!(!stdout_of(&cmd("resnet --input-size 32 --batch 2")).contains("PyTorch refuses"));
}

/// Issue 19 point 14: the input image's saved bytes are their own figure, inside conv1's row.
#[test]
fn resnet_counts_the_input_image_in_conv1s_row() {
    let v = json(&cmd("resnet --json"));
    assert_eq!(v["saved_input_bytes"], 3 * 224 * 224 * 4);
    assert_eq!(v["saved_input_bytes"], 602_112);
    let conv1 = &array(&v["modules"])[0];
    assert_eq!(conv1["activation_bytes"], 602_112 + 64 * 112 * 112 * 4);
    let v = json(&cmd("resnet --freeze conv1 --json"));
    assert_eq!(v["saved_input_bytes"], 0);
    let text = stdout_of(&cmd("resnet"));
    let line = text
        .lines()
        .find(|l| l.contains("of which the input image (in conv1's row)"))
        .expect("the image's line");
    assert!(line.ends_with("602,112"), "{line}");
}

#[test]
fn resnet_table_lists_every_module_and_the_totals() {
    let v = json(&cmd("resnet --arch resnet50 --json"));
    let text = stdout_of(&cmd("resnet --arch resnet50"));
    assert!(text.starts_with("resnet50 "), "{text}");
    for m in array(&v["modules"]) {
        let name = m["name"].as_str().expect("name");
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().any(|w| w == name)),
            "{name} missing from the table"
        );
    }
    assert!(text.contains("25,557,032"), "{text}");
    assert!(text.contains("4,089,184,256"), "{text}");
    let ascii = stdout_of(&cmd("--ascii resnet --arch resnet50"));
    assert!(ascii.is_ascii(), "{ascii}");
    assert!(ascii.contains("25,557,032"));
}

// ---------------------------------------------------------------------------------------------
// lowrank
// ---------------------------------------------------------------------------------------------

/// LAPACK's figures for camera.png scaled to [0, 1] (assets/PROVENANCE.md).
const CAMERA_LEADING_SINGULAR_VALUES: [f64; 5] = [
    278.29817584,
    66.88074931,
    52.21529648,
    34.65652738,
    23.03774272,
];
const CAMERA_TAIL_AFTER_RANK_10: f64 = 1622.8977274767;

/// Smallest r whose leading r singular values hold at least `fraction` of Σσ².
fn rank_for_energy(sv: &[f64], fraction: f64) -> u64 {
    let total: f64 = sv.iter().map(|s| s * s).sum();
    let mut captured = 0.0;
    for (r, s) in sv.iter().enumerate() {
        captured += s * s;
        if captured >= fraction * total {
            return r as u64 + 1;
        }
    }
    sv.len() as u64
}

#[test]
fn lowrank_json_has_exactly_the_documented_keys() {
    let v = json(&cmd("lowrank --json"));
    assert_eq!(
        keys(&v),
        sorted(&[
            "source",
            "rows",
            "cols",
            "rank",
            "downscaled_from",
            "decomposed",
            "singular_values",
            "error",
            "error_sq",
            "error_sq_tail",
            "error_tail",
            "relative_error",
            "energy_captured",
            "storage",
            "ranks_for_energy",
        ])
    );
    assert_eq!(keys(&v["storage"]), sorted(&["factored", "dense"]));
    assert_eq!(
        keys(&v["ranks_for_energy"]),
        sorted(&["0.9", "0.99", "0.999"])
    );
    // The defaults: the camera picture at rank 10, not downscaled.
    assert_eq!(v["source"], "camera");
    assert_eq!(
        (int(&v["rows"]), int(&v["cols"]), int(&v["rank"])),
        (512, 512, 10)
    );
    assert!(v["downscaled_from"].is_null());
    assert_eq!(v["decomposed"], "whole");
    for key in [
        "error",
        "error_sq",
        "error_sq_tail",
        "error_tail",
        "relative_error",
        "energy_captured",
    ] {
        num(&v[key]);
    }
    int(&v["storage"]["factored"]);
    int(&v["storage"]["dense"]);
    for fraction in ["0.9", "0.99", "0.999"] {
        int(&v["ranks_for_energy"][fraction]);
    }
    assert_eq!(nums(&v["singular_values"]).len(), 512);
}

#[test]
fn lowrank_camera_meets_lapack_and_eckart_young() {
    let v = json(&cmd("lowrank --builtin camera --rank 10 --json"));
    let sv = nums(&v["singular_values"]);
    assert_eq!(sv.len(), 512);
    assert!(sv.windows(2).all(|w| w[0] >= w[1]), "not descending");
    assert!(sv[511] >= 0.0);
    for (i, (&s, &lapack)) in sv.iter().zip(&CAMERA_LEADING_SINGULAR_VALUES).enumerate() {
        assert_close(s, lapack, 0.0, 1e-8, &format!("σ{}", i + 1));
    }
    // Eckart–Young: the best rank-10 error is the energy of the tail, computed both ways.
    let tail: f64 = sv[10..].iter().map(|s| s * s).sum();
    assert_close(
        tail,
        CAMERA_TAIL_AFTER_RANK_10,
        1e-10,
        0.0,
        "Σ_{i>10} σᵢ² from the JSON",
    );
    let error_sq_tail = num(&v["error_sq_tail"]);
    assert_close(
        error_sq_tail,
        CAMERA_TAIL_AFTER_RANK_10,
        1e-10,
        0.0,
        "error_sq_tail",
    );
    let error_sq = num(&v["error_sq"]);
    assert_close(error_sq, CAMERA_TAIL_AFTER_RANK_10, 1e-8, 0.0, "error_sq");

    let total: f64 = sv.iter().map(|s| s * s).sum();
    assert_close(
        num(&v["relative_error"]),
        (error_sq / total).sqrt(),
        1e-9,
        0.0,
        "relative",
    );
    assert_close(
        num(&v["energy_captured"]),
        1.0 - tail / total,
        1e-9,
        0.0,
        "energy",
    );
    // A is 512×10 and B 10×512.
    assert_eq!(int(&v["storage"]["factored"]), 10 * (512 + 512));
    assert_eq!(int(&v["storage"]["dense"]), 512 * 512);
    for (key, fraction) in [("0.9", 0.9), ("0.99", 0.99), ("0.999", 0.999)] {
        assert_eq!(
            int(&v["ranks_for_energy"][key]),
            rank_for_energy(&sv, fraction),
            "{key}"
        );
    }
}

#[test]
fn lowrank_rank_bounds() {
    // Rank 0 keeps nothing; rank min(m, n) keeps everything.
    let v = json(&cmd("lowrank --builtin synthetic --rank 0 --json"));
    let sv = nums(&v["singular_values"]);
    let total: f64 = sv.iter().map(|s| s * s).sum();
    assert_close(num(&v["error_sq"]), total, 1e-10, 0.0, "rank 0 error");
    assert_close(
        num(&v["relative_error"]),
        1.0,
        1e-10,
        0.0,
        "rank 0 relative error",
    );
    assert_close(num(&v["energy_captured"]), 0.0, 0.0, 1e-12, "rank 0 energy");
    assert_eq!(int(&v["storage"]["factored"]), 0);

    let v = json(&cmd("lowrank --builtin synthetic --rank 192 --json"));
    assert_eq!(int(&v["rank"]), 192);
    assert!(num(&v["error_sq"]) <= 1e-20 * total, "{}", v["error_sq"]);
    assert_close(
        num(&v["energy_captured"]),
        1.0,
        1e-12,
        0.0,
        "full rank energy",
    );
    fails_with(
        &cmd("lowrank --builtin synthetic --rank 193"),
        &["--rank", "193", "192"],
    );
}

#[test]
fn lowrank_synthetic_has_its_planted_spectrum() {
    let v = json(&cmd("lowrank --builtin synthetic --rank 5 --json"));
    assert_eq!(v["source"], "synthetic");
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (256, 192));
    let sv = nums(&v["singular_values"]);
    assert_eq!(sv.len(), 192);
    // Weyl: noise of spectral norm ≈ 0.02 (√256 + √192) ≈ 0.6 moves each σ by at most that.
    for (s, planted) in sv.iter().zip([50.0, 40.0, 30.0, 20.0, 10.0]) {
        assert!((s - planted).abs() < 1.0, "σ = {s}, planted {planted}");
    }
    assert!(sv[5] < 1.0, "σ6 = {}", sv[5]);
    // Of Σσ² ≈ 5500 + 20 of noise, three planted values hold 90 %, five hold 99 %.
    assert_eq!(v["ranks_for_energy"]["0.9"], 3);
    assert_eq!(v["ranks_for_energy"]["0.99"], 5);
    assert_eq!(int(&v["storage"]["factored"]), 5 * (256 + 192));
}

#[test]
fn lowrank_max_side_downscales_by_averaging() {
    let full = json(&cmd("lowrank --rank 1 --json"));
    let half = json(&cmd("lowrank --rank 1 --max-side 256 --json"));
    assert_eq!((int(&half["rows"]), int(&half["cols"])), (256, 256));
    assert_eq!(half["downscaled_from"], serde_json::json!([512, 512]));
    // Each output pixel is the mean of a 2×2 block and mean² ≤ mean of squares (Jensen), so
    // ‖Y‖²_F ≤ ‖X‖²_F / 4; a photograph varies little inside a block, so nearly equal.
    let energy = |v: &Value| {
        nums(&v["singular_values"])
            .iter()
            .map(|s| s * s)
            .sum::<f64>()
    };
    let (e_full, e_half) = (energy(&full), energy(&half));
    assert!(e_half <= e_full / 4.0, "{e_half} > {e_full} / 4");
    assert!(e_half >= 0.9 * e_full / 4.0, "{e_half} ≪ {e_full} / 4");

    let v = json(&cmd("lowrank --builtin astronaut --max-side 100 --json"));
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (100, 100));
    assert_eq!(v["downscaled_from"], serde_json::json!([512, 512]));
    assert_eq!(v["source"], "astronaut");
}

#[test]
fn lowrank_reads_a_csv_file() {
    let rows: [&[f64]; 2] = [&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]];
    let plain = TempFile::new("plain.csv", b"1,2,3\n4,5,6\n");
    let v = json(&["lowrank", "--input", plain.arg(), "--rank", "1", "--json"]);
    assert_eq!(
        (int(&v["rows"]), int(&v["cols"]), int(&v["rank"])),
        (2, 3, 1)
    );
    assert_eq!(v["source"], TempFile::name("plain.csv"));
    assert_two_row_spectrum(&v, rows, 1e-12);
    let sv = nums(&v["singular_values"]);
    assert_close(
        num(&v["error_sq"]),
        sv[1] * sv[1],
        1e-9,
        1e-12,
        "rank-1 error",
    );
    assert_eq!(int(&v["storage"]["factored"]), 2 + 3);
    assert_eq!(int(&v["storage"]["dense"]), 6);

    // A header row (no number in it) is skipped; cells are trimmed; exponents are numbers.
    let header = TempFile::new("header.csv", b"a,b,c\n 1, 2e0 ,3\n4,5,6\n");
    let v = json(&["lowrank", "--input", header.arg(), "--rank", "1", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (2, 3));
    assert_two_row_spectrum(&v, rows, 1e-12);
}

#[test]
fn lowrank_reads_npy_files() {
    let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let c_rows: [&[f64]; 2] = [&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0]];
    let f8 = TempFile::new("c.npy", &common::npy_floats("<f8", false, &[2, 3], &data));
    let v = json(&["lowrank", "--input", f8.arg(), "--rank", "1", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (2, 3));
    assert_two_row_spectrum(&v, c_rows, 1e-12);

    let f4 = TempFile::new("f4.npy", &common::npy_floats("<f4", false, &[2, 3], &data));
    let v = json(&["lowrank", "--input", f4.arg(), "--rank", "1", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (2, 3));
    assert_two_row_spectrum(&v, c_rows, 1e-12);

    // The same bytes in Fortran order are the columns (1, 2), (3, 4), (5, 6).
    let fortran = TempFile::new(
        "fortran.npy",
        &common::npy_floats("<f8", true, &[2, 3], &data),
    );
    let v = json(&["lowrank", "--input", fortran.arg(), "--rank", "1", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (2, 3));
    assert_two_row_spectrum(&v, [&[1.0, 3.0, 5.0], &[2.0, 4.0, 6.0]], 1e-12);

    let diagonal = TempFile::new(
        "diag.npy",
        &common::npy_floats("<f8", false, &[2, 2], &[3.0, 0.0, 0.0, 4.0]),
    );
    let v = json(&[
        "lowrank",
        "--input",
        diagonal.arg(),
        "--rank",
        "0",
        "--json",
    ]);
    let sv = nums(&v["singular_values"]);
    assert_close(sv[0], 4.0, 1e-15, 0.0, "σ1 of diag(3, 4)");
    assert_close(sv[1], 3.0, 1e-15, 0.0, "σ2 of diag(3, 4)");
    assert_close(
        num(&v["error_sq"]),
        25.0,
        1e-12,
        0.0,
        "rank-0 error of diag(3, 4)",
    );
}

#[test]
fn lowrank_reads_pgm_and_ppm_images_as_grey_levels() {
    // 8-bit grey levels become value/255.
    let pgm = TempFile::new("grey.pgm", b"P5\n3 2\n255\n\x00\x33\x66\x99\xcc\xff");
    let v = json(&["lowrank", "--input", pgm.arg(), "--rank", "1", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (2, 3));
    assert_two_row_spectrum(&v, [&[0.0, 0.2, 0.4], &[0.6, 0.8, 1.0]], 1e-12);

    // Colour is mixed as luma 0.299 R + 0.587 G + 0.114 B: a red and a blue pixel.
    let ppm = TempFile::new("colour.ppm", b"P6\n2 1\n255\n\xff\x00\x00\x00\x00\xff");
    let v = json(&["lowrank", "--input", ppm.arg(), "--rank", "0", "--json"]);
    assert_eq!((int(&v["rows"]), int(&v["cols"])), (1, 2));
    let sv = nums(&v["singular_values"]);
    assert_close(
        sv[0],
        norm(&[0.299, 0.114]),
        1e-12,
        0.0,
        "σ of (0.299, 0.114)",
    );
}

#[test]
fn lowrank_default_rank_is_clamped_but_an_explicit_rank_is_checked() {
    // No --rank: the default 10 is clamped to min(rows, cols).
    let one = TempFile::new("one.csv", b"3\n");
    let v = json(&["lowrank", "--input", one.arg(), "--json"]);
    assert_eq!(
        (int(&v["rows"]), int(&v["cols"]), int(&v["rank"])),
        (1, 1, 1)
    );
    assert_close(num(&v["error_sq"]), 0.0, 0.0, 1e-24, "1x1 at rank 1");
    let row: Vec<String> = (0..5000).map(|i| format!("{}", i % 7)).collect();
    let wide = TempFile::new("wide.csv", format!("{}\n", row.join(",")).as_bytes());
    // A data matrix is taken whole (it was once shrunk to 1×1024 like a picture).
    let v = json(&["lowrank", "--input", wide.arg(), "--json"]);
    assert_eq!(
        (int(&v["rows"]), int(&v["cols"]), int(&v["rank"])),
        (1, 5000, 1)
    );
    // An explicit rank too large is refused, naming it.
    fails_with(
        &["lowrank", "--input", one.arg(), "--rank", "2"],
        &["--rank 2", "min(rows, cols) = 1"],
    );
}

#[test]
fn lowrank_input_synthetic_means_the_built_in() {
    // One meaning in the command and the app: a built-in's name selects the built-in.
    let by_input = json(&cmd("lowrank --input synthetic --rank 5 --json"));
    let by_builtin = json(&cmd("lowrank --builtin synthetic --rank 5 --json"));
    assert_eq!(by_input, by_builtin);
    assert_eq!(by_input["source"], "synthetic");
    // A file of that name is reached with a path.
    fails_with(
        &cmd("lowrank --input ./synthetic"),
        &["./synthetic", "cannot read the file"],
    );
    let screen = stdout_of(&cmd(
        "snapshot --tab lowrank --input synthetic --width 80 --height 24",
    ));
    assert!(screen.contains("synthetic 256"), "{screen}");
}

#[test]
fn lowrank_bool_npy_is_an_unsupported_element_type() {
    let bools = TempFile::new(
        "bools.npy",
        &common::npy_bytes("|b1", false, "(2, 3)", &[1, 0, 1, 0, 1, 1]),
    );
    fails_with(
        &["lowrank", "--input", bools.arg()],
        &[bools.arg(), "unsupported .npy element type '|b1'"],
    );
}

#[test]
fn lowrank_bad_files_are_one_line_naming_the_file() {
    fails_with(
        &cmd("lowrank --input /nonexistent.png"),
        &["/nonexistent.png"],
    );
    let unknown = TempFile::new("data.xyz", b"hello, world\n");
    fails_with(
        &["lowrank", "--input", unknown.arg()],
        &[unknown.arg(), "format"],
    );
    let camera = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/camera.png"))
        .expect("assets/camera.png");
    let cut = TempFile::new("cut.png", &camera[..100]);
    fails_with(&["lowrank", "--input", cut.arg()], &[cut.arg(), "PNG"]);
    let cell = TempFile::new("cell.csv", b"1,2\n3,abc\n");
    fails_with(
        &["lowrank", "--input", cell.arg()],
        &[cell.arg(), "row 2", "column 2", "abc"],
    );
    let nan = TempFile::new("nan.csv", b"1,2\n3,NaN\n");
    fails_with(
        &["lowrank", "--input", nan.arg()],
        &[nan.arg(), "row 2", "column 2", "NaN"],
    );
    let inf = TempFile::new("inf.csv", b"1,inf\n3,4\n");
    fails_with(
        &["lowrank", "--input", inf.arg()],
        &[inf.arg(), "row 1", "column 2"],
    );
    let ragged = TempFile::new("ragged.csv", b"1,2\n3\n");
    fails_with(
        &["lowrank", "--input", ragged.arg()],
        &[ragged.arg(), "row 2"],
    );
    let empty_csv = TempFile::new("empty.csv", b"");
    fails_with(&["lowrank", "--input", empty_csv.arg()], &[empty_csv.arg()]);
    let empty_npy = TempFile::new("empty.npy", b"");
    fails_with(&["lowrank", "--input", empty_npy.arg()], &[empty_npy.arg()]);
    let one_d = TempFile::new(
        "vector.npy",
        &common::npy_floats("<f8", false, &[3], &[1.0, 2.0, 3.0]),
    );
    fails_with(&["lowrank", "--input", one_d.arg()], &[one_d.arg(), "1-D"]);
    let short = TempFile::new(
        "short.npy",
        &common::npy_floats("<f8", false, &[3, 2], &[1.0, 2.0, 3.0]),
    );
    fails_with(&["lowrank", "--input", short.arg()], &[short.arg()]);
    let nan_npy = TempFile::new(
        "nan.npy",
        &common::npy_floats("<f8", false, &[1, 2], &[1.0, f64::NAN]),
    );
    fails_with(
        &["lowrank", "--input", nan_npy.arg()],
        &[nan_npy.arg(), "NaN"],
    );
    // The same checks guard the app and `snapshot` before anything is drawn.
    fails_with(&cmd("--input /nonexistent.png"), &["/nonexistent.png"]);
    fails_with(
        &["snapshot", "--tab", "lowrank", "--input", cell.arg()],
        &[cell.arg(), "row 2", "column 2"],
    );
}

#[test]
fn lowrank_bad_flags_are_one_line() {
    fails_with(&cmd("lowrank --rank 600"), &["--rank", "600", "512"]);
    fails_with(&cmd("lowrank --builtin lena"), &["lena"]);
    fails_with(&cmd("lowrank --max-side 1"), &["--max-side"]);
    fails_with(
        &cmd("lowrank --builtin camera --input x.csv"),
        &["--builtin", "--input"],
    );
}

// ---------------------------------------------------------------------------------------------
// scale
// ---------------------------------------------------------------------------------------------

/// f(w) = wᵀAw / wᵀw with the 2-D A = [[2, 1], [1, 2]] and its gradient 2(Aw − f w)/‖w‖².
fn rayleigh_2d(w: &[f64]) -> (f64, [f64; 2]) {
    let aw = [2.0 * w[0] + w[1], w[0] + 2.0 * w[1]];
    let ww = dot(w, w);
    let f = dot(w, &aw) / ww;
    (
        f,
        [2.0 * (aw[0] - f * w[0]) / ww, 2.0 * (aw[1] - f * w[1]) / ww],
    )
}

/// Slope of the least-squares line through (log10 η, log10 gap).
fn log_log_slope(sweep: &[Value]) -> f64 {
    let pts: Vec<(f64, f64)> = sweep
        .iter()
        .map(|p| (num(&p["eta"]).log10(), num(&p["gap"]).log10()))
        .collect();
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    sxy / sxx
}

#[test]
fn scale_json_has_exactly_the_documented_keys_and_lengths() {
    let v = json(&cmd("scale --json"));
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
            "eta_sweep_slope",
            "noise",
            "stride",
        ])
    );
    assert_eq!(v["stride"], 1);
    assert_eq!(num(&v["noise"]), 0.0);
    assert_eq!(
        keys(&v["grad_scaling"]),
        sorted(&[
            "lambda",
            "x",
            "grad_at_lambda_x",
            "grad_over_lambda",
            "max_abs_diff",
            "inner_product_x_grad",
        ])
    );
    // The defaults.
    assert_eq!(v["function"], "rayleigh");
    assert_eq!(v["dim"], 2);
    assert_eq!(num(&v["lr"]), 0.1);
    assert_eq!(v["steps"], 200);
    assert_eq!(num(&v["weight_decay"]), 0.0);
    assert_eq!(num(&v["grad_scaling"]["lambda"]), 2.0);

    let v = json(&cmd("scale --function logistic --dim 3 --steps 25 --json"));
    assert_eq!(v["function"], "logistic");
    let points = matrix(&v["points"]);
    assert_eq!(shape(&points), (26, 3));
    for key in ["norms", "effective_lr", "loss"] {
        assert_eq!(nums(&v[key]).len(), 26, "{key}");
    }
    for key in [
        "norm_sq_increment",
        "grad_norm_sq_times_lr_sq",
        "first_order_gap",
    ] {
        assert_eq!(nums(&v[key]).len(), 25, "{key}");
    }
    let gs = &v["grad_scaling"];
    for key in ["x", "grad_at_lambda_x", "grad_over_lambda"] {
        assert_eq!(nums(&gs[key]).len(), 3, "{key}");
    }
    num(&gs["max_abs_diff"]);
    num(&gs["inner_product_x_grad"]);
    let sweep = array(&v["eta_sweep"]);
    assert!(sweep.len() >= 5);
    for item in sweep {
        assert_eq!(keys(item), sorted(&["eta", "gap"]));
        num(&item["gap"]);
    }
    let etas: Vec<f64> = sweep.iter().map(|p| num(&p["eta"])).collect();
    assert!(etas.windows(2).all(|w| w[0] < w[1]), "{etas:?}");
    num(&v["eta_sweep_slope"]);
}

#[test]
fn scale_rayleigh_descent_replays_by_hand() {
    for decay in [0.0, 0.5] {
        let v = json(&cmd(&format!(
            "scale --function rayleigh --init 1,0.3 --lr 0.1 --steps 200 --weight-decay {decay} --json"
        )));
        let points = matrix(&v["points"]);
        assert_eq!(shape(&points), (201, 2));
        let (norms, eff, loss) = (
            nums(&v["norms"]),
            nums(&v["effective_lr"]),
            nums(&v["loss"]),
        );
        // x_{k+1} = (1 − ηλ_wd) x_k − η∇f(x_k).
        let step = |x: &[f64]| -> Vec<f64> {
            let g = rayleigh_2d(x).1;
            (0..2)
                .map(|i| (1.0 - 0.1 * decay) * x[i] - 0.1 * g[i])
                .collect()
        };
        assert_eq!(points[0], [1.0, 0.3]);
        let mut replay = points[0].clone();
        for (k, p) in points.iter().enumerate() {
            let what = format!("decay {decay}, k = {k}");
            if k > 0 {
                // Each step from the app's previous iterate, to rounding.
                let expected = step(&points[k - 1]);
                for (a, b) in p.iter().zip(&expected) {
                    assert_close(*a, *b, 1e-12, 1e-15 * norm(p), &format!("x_k, {what}"));
                }
                replay = step(&replay);
            }
            // Plain descent is stable, so a replay from x_0 alone stays on the app's path; with
            // decay the effective step grows until the direction bounces and rounding grows.
            if decay == 0.0 {
                for (a, b) in p.iter().zip(&replay) {
                    assert_close(*a, *b, 1e-9, 0.0, &format!("replayed x_k, {what}"));
                }
            }
            assert_close(
                loss[k],
                rayleigh_2d(p).0,
                1e-12,
                0.0,
                &format!("f(x_k), {what}"),
            );
            assert_close(norms[k], norm(p), 1e-12, 0.0, &format!("‖x_k‖, {what}"));
            // The step felt on the circle: x_{k+1} = (1 − ηλ)(x_k − (η/(1 − ηλ))∇f(x_k)).
            assert_close(
                eff[k],
                0.1 / ((1.0 - 0.1 * decay) * dot(p, p)),
                1e-12,
                0.0,
                &format!("η/((1 − ηλ)‖x_k‖²), {what}"),
            );
        }
        if decay == 0.0 {
            // Descent finds the smallest eigenvalue 1 of A, along (1, −1).
            assert_close(loss[200], 1.0, 0.0, 1e-3, "final loss");
        }
    }
}

#[test]
fn scale_plain_descent_grows_the_norm_by_eta_squared_grad_squared() {
    let cases = [
        "--function rayleigh",
        "--function rayleigh --dim 5 --seed 3",
        "--function logistic --dim 3",
        "--function ratio --steps 40",
    ];
    for case in cases {
        let v = json(&cmd(&format!("scale --json --lambda 3 {case}")));
        let norms = nums(&v["norms"]);
        let lr = num(&v["lr"]);
        let increment = nums(&v["norm_sq_increment"]);
        let predicted = nums(&v["grad_norm_sq_times_lr_sq"]);
        assert_eq!(increment.len() + 1, norms.len(), "{case:?}");
        for k in 0..increment.len() {
            let scale = norms[k] * norms[k];
            let what = format!("{case:?} step {k}");
            assert_close(
                increment[k],
                norms[k + 1].powi(2) - scale,
                1e-9,
                1e-12 * scale,
                &what,
            );
            // ⟨x, ∇f(x)⟩ = 0, so ‖x − η∇f‖² = ‖x‖² + η²‖∇f‖² (Pythagoras).
            assert_close(increment[k], predicted[k], 1e-9, 1e-13 * scale, &what);
            assert!(predicted[k] >= 0.0, "{what}");
        }
        for (k, e) in nums(&v["effective_lr"]).iter().enumerate() {
            assert_close(*e, lr / (norms[k] * norms[k]), 1e-12, 0.0, "η/‖x‖²");
        }
        assert!(nums(&v["first_order_gap"]).iter().all(|g| *g >= 0.0));

        // (a) ∇f(λx) = ∇f(x)/λ and the gradient is tangent to the sphere.
        let gs = &v["grad_scaling"];
        assert_eq!(num(&gs["lambda"]), 3.0);
        let x = nums(&gs["x"]);
        assert_eq!(
            x,
            matrix(&v["points"])[0],
            "{case:?}: the check is made at x_0"
        );
        let (a, b) = (nums(&gs["grad_at_lambda_x"]), nums(&gs["grad_over_lambda"]));
        let diff = a
            .iter()
            .zip(&b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        let size = norm(&b);
        // serde_json's default float parser may be one unit in the last place off.
        assert_close(
            num(&gs["max_abs_diff"]),
            diff,
            0.0,
            1e-15 * size,
            "max_abs_diff",
        );
        assert!(diff <= 1e-12 * size, "{case:?}: ∇f(λx) − ∇f(x)/λ = {diff}");
        // Euler: ⟨x, ∇f(x)⟩ = 0, measured against ‖x‖‖∇f(x)‖ = ‖x‖·λ‖∇f(x)/λ‖.
        let inner = num(&gs["inner_product_x_grad"]);
        assert!(
            inner.abs() <= 1e-12 * norm(&x) * size * 3.0,
            "{case:?}: ⟨x, ∇f⟩ = {inner}"
        );

        // One step's gap from its first-order model is O(η²).
        let sweep = array(&v["eta_sweep"]);
        let slope = num(&v["eta_sweep_slope"]);
        assert!((slope - 2.0).abs() < 0.2, "{case:?}: slope {slope}");
        assert_close(slope, log_log_slope(sweep), 1e-9, 0.0, "slope of the sweep");
    }
}

#[test]
fn scale_ratio_follows_its_closed_form_until_x_crosses_zero() {
    let v = json(&cmd(
        "scale --function ratio --init 2,1 --lambda 3 --lr 0.1 --steps 500 --json",
    ));
    // f = y/x, ∇f = (−y/x², 1/x): at (6, 3) that is (−1/12, 1/6), and ∇f(2, 1)/3 the same.
    let gs = &v["grad_scaling"];
    for key in ["grad_at_lambda_x", "grad_over_lambda"] {
        let g = nums(&gs[key]);
        assert_close(g[0], -1.0 / 12.0, 1e-15, 0.0, key);
        assert_close(g[1], 1.0 / 6.0, 1e-15, 0.0, key);
    }
    let points = matrix(&v["points"]);
    assert_eq!(points[0], [2.0, 1.0]);
    assert_close(points[1][0], 2.0 + 0.1 * 0.25, 1e-15, 0.0, "x_1");
    assert_close(points[1][1], 1.0 - 0.1 * 0.5, 1e-15, 0.0, "y_1");
    assert_close(num(&v["loss"][0]), 0.5, 1e-15, 0.0, "f(2, 1)");
    // y/x is unbounded below: the run stops before the step that would take x across 0.
    assert_eq!(v["steps"], 500);
    let k = points.len() - 1;
    assert!(k < 500, "ran all 500 steps");
    assert_eq!(nums(&v["first_order_gap"]).len(), k);
    assert!(points.iter().all(|p| p[0] > 0.0));
    let (x, y) = (points[k][0], points[k][1]);
    assert!(
        x + 0.1 * y / (x * x) <= 0.0,
        "the step from x_{k} = ({x}, {y}) was possible"
    );
}

#[test]
fn scale_weight_decay_shrinks_the_norm_by_the_predicted_amount() {
    let v = json(&cmd("scale --weight-decay 0.5 --lr 0.1 --json"));
    let (lr, wd) = (0.1f64, 0.5f64);
    let norms = nums(&v["norms"]);
    let increment = nums(&v["norm_sq_increment"]);
    let grad_term = nums(&v["grad_norm_sq_times_lr_sq"]);
    let mut differs = false;
    for k in 0..increment.len() {
        // ‖(1 − ηλ)x − η∇f‖² = (1 − ηλ)²‖x‖² + η²‖∇f‖² since ⟨x, ∇f⟩ = 0.
        let sq = norms[k] * norms[k];
        let expected = ((1.0 - lr * wd).powi(2) - 1.0) * sq + grad_term[k];
        assert_close(
            increment[k],
            expected,
            1e-9,
            1e-13 * sq,
            &format!("step {k}"),
        );
        differs |= (increment[k] - grad_term[k]).abs() > 1e-6 * sq;
    }
    assert!(
        differs,
        "decay left the norm identity of plain descent intact"
    );
}

#[test]
fn scale_long_runs_are_decimated_to_a_bounded_size() {
    let text = stdout_of(&cmd("scale --steps 100000 --dim 64 --json"));
    assert!(text.len() < 5_000_000, "{} bytes", text.len());
    let v: Value = serde_json::from_str(&text).unwrap();
    let s = v["stride"].as_u64().unwrap() as usize;
    assert!(s > 1);
    // Iterates 0, s, 2s, … and the last; steps 0, s, 2s, ….
    let iterates = 100_000 / s + 1 + usize::from(100_000 % s != 0);
    assert_eq!(nums(&v["norms"]).len(), iterates);
    assert_eq!(matrix(&v["points"]).len(), iterates);
    assert_eq!(nums(&v["first_order_gap"]).len(), 100_000usize.div_ceil(s));
    // The kept entries are the run's own: the last norm is ‖x_K‖, entry 1 is ‖x_s‖.
    let short = json(&cmd(&format!("scale --steps {s} --dim 64 --json")));
    assert_eq!(nums(&v["norms"])[1], *nums(&short["norms"]).last().unwrap());
    let points = matrix(&v["points"]);
    assert_close(
        nums(&v["norms"])[iterates - 1],
        norm(&points[iterates - 1]),
        1e-12,
        0.0,
        "‖x_K‖",
    );
}

#[test]
fn scale_snapshot_with_frames_shows_the_run_mid_way() {
    // The tab opens playing its run; 90 of the 180 frames a whole run takes is half of it.
    let text = stdout_of(&cmd(
        "snapshot --tab scale --width 160 --height 48 --frames 90",
    ));
    let k: usize = text
        .split("step ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step in:\n{text}"));
    assert!((95..=105).contains(&k), "step {k}:\n{text}");
    assert!(text.contains(&format!("step {k} of 200 ▶")), "{text}");
    let settled = stdout_of(&cmd("snapshot --tab scale --width 160 --height 48"));
    assert!(settled.contains("step 200 of 200 "), "{settled}");
}

#[test]
fn scale_noise_is_a_seeded_flag() {
    let a = json(&cmd("scale --noise 0.1 --weight-decay 0.5 --json"));
    let b = json(&cmd("scale --noise 0.1 --weight-decay 0.5 --json"));
    let c = json(&cmd("scale --noise 0.1 --weight-decay 0.5 --seed 3 --json"));
    assert_eq!(a, b);
    assert_ne!(a["points"], c["points"]);
    assert_eq!(num(&a["noise"]), 0.1);
    let summary = stdout_of(&cmd("scale --noise 0.1 --weight-decay 0.5 --steps 2000"));
    assert!(
        summary.contains("noise σ = 0.1") && summary.contains("against the balance"),
        "{summary}"
    );
    fails_with(&cmd("scale --noise -1"), &["--noise"]);
}

#[test]
fn scale_bad_flags_are_one_line() {
    fails_with(&cmd("scale --lr -1"), &["--lr", "-1"]);
    fails_with(&cmd("scale --lr 0"), &["--lr"]);
    fails_with(&cmd("scale --init 1,x"), &["--init", "1,x"]);
    fails_with(&cmd("scale --init 1,2,3"), &["--init"]);
    fails_with(&cmd("scale --init 0,0"), &["--init"]);
    fails_with(&cmd("scale --function ratio --dim 3"), &["--dim", "ratio"]);
    fails_with(&cmd("scale --function cubic"), &["cubic"]);
    fails_with(&cmd("scale --steps 0"), &["--steps"]);
    fails_with(&cmd("scale --lambda 0"), &["--lambda"]);
    fails_with(&cmd("scale --weight-decay -1"), &["--weight-decay"]);
    fails_with(&cmd("scale --weight-decay 20"), &["--weight-decay"]);
    fails_with(&cmd("scale --dim 0"), &["--dim"]);
}

// ---------------------------------------------------------------------------------------------
// rnn
// ---------------------------------------------------------------------------------------------

fn mat_vec(m: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, x)).collect()
}

fn mat_t_vec(m: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; m[0].len()];
    for (row, yi) in m.iter().zip(y) {
        for (o, w) in out.iter_mut().zip(row) {
            *o += w * yi;
        }
    }
    out
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// What the app reports about one run, recomputed from its exported weights, inputs and v.
struct Recomputed {
    loss: f64,
    grad_h: Vec<f64>,
    grad_c: Vec<f64>,
    forget_product: Vec<f64>,
    grad_w_step: Vec<f64>,
    /// ∂ℓ/∂W_ih, ∂ℓ/∂W_hh, ∂ℓ/∂b_ih and ∂ℓ/∂b_hh, every entry.
    grad: Vec<f64>,
}

/// Forward with h_0 = c_0 = 0, ℓ = vᵀh_T, and back-propagation through time, from PyTorch's
/// equations: RNN h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh); LSTM gates i, f, g, o.
fn recompute(v: &Value, lstm: bool) -> Recomputed {
    let w = &v["weights"];
    let (w_ih, w_hh) = (matrix(&w["weight_ih_l0"]), matrix(&w["weight_hh_l0"]));
    let (b_ih, b_hh) = (nums(&w["bias_ih_l0"]), nums(&w["bias_hh_l0"]));
    let (xs, out) = (matrix(&v["inputs"]), nums(&v["v"]));
    let (steps, hidden) = (xs.len(), out.len());
    let z_of = |x: &[f64], h: &[f64]| -> Vec<f64> {
        let (a, b) = (mat_vec(&w_ih, x), mat_vec(&w_hh, h));
        (0..a.len())
            .map(|r| a[r] + b[r] + b_ih[r] + b_hh[r])
            .collect()
    };
    let mut hs = vec![vec![0.0; hidden]];
    let mut cs = vec![vec![0.0; hidden]];
    // Per step: the activated gates (LSTM) or h_t (RNN).
    let mut gates = Vec::new();
    for x in &xs {
        let z = z_of(x, hs.last().expect("h"));
        if lstm {
            let act: Vec<f64> = (0..4 * hidden)
                .map(|r| {
                    if (2 * hidden..3 * hidden).contains(&r) {
                        z[r].tanh()
                    } else {
                        sigmoid(z[r])
                    }
                })
                .collect();
            let cprev = cs.last().expect("c");
            let c: Vec<f64> = (0..hidden)
                .map(|j| act[hidden + j] * cprev[j] + act[j] * act[2 * hidden + j])
                .collect();
            hs.push(
                (0..hidden)
                    .map(|j| act[3 * hidden + j] * c[j].tanh())
                    .collect(),
            );
            cs.push(c);
            gates.push(act);
        } else {
            hs.push(z.iter().map(|a| a.tanh()).collect());
        }
    }
    let loss = dot(&out, &hs[steps]);

    let rows = w_hh.len();
    let mut g_ih = vec![vec![0.0; xs[0].len()]; rows];
    let mut g_hh = vec![vec![0.0; hidden]; rows];
    let mut g_b = vec![0.0; rows];
    let mut grad_h = vec![0.0; steps + 1];
    let mut grad_c = vec![0.0; steps + 1];
    let mut forget_product = vec![1.0; steps + 1];
    let mut grad_w_step = vec![0.0; steps];
    let mut dh = out.clone();
    let mut dc_next = vec![0.0; hidden];
    let mut running = vec![1.0; hidden];
    grad_h[steps] = norm(&dh);
    for t in (1..=steps).rev() {
        let h = &hs[t];
        let dz: Vec<f64> = if lstm {
            let a = &gates[t - 1];
            let (i, f, g, o) = (
                &a[..hidden],
                &a[hidden..2 * hidden],
                &a[2 * hidden..3 * hidden],
                &a[3 * hidden..],
            );
            let tc: Vec<f64> = cs[t].iter().map(|c| c.tanh()).collect();
            let dc: Vec<f64> = (0..hidden)
                .map(|j| dc_next[j] + dh[j] * o[j] * (1.0 - tc[j] * tc[j]))
                .collect();
            grad_c[t] = norm(&dc);
            let mut dz = vec![0.0; 4 * hidden];
            for j in 0..hidden {
                dz[j] = dc[j] * g[j] * i[j] * (1.0 - i[j]);
                dz[hidden + j] = dc[j] * cs[t - 1][j] * f[j] * (1.0 - f[j]);
                dz[2 * hidden + j] = dc[j] * i[j] * (1.0 - g[j] * g[j]);
                dz[3 * hidden + j] = dh[j] * tc[j] * o[j] * (1.0 - o[j]);
                dc_next[j] = dc[j] * f[j];
                running[j] *= f[j];
            }
            forget_product[t - 1] = running.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            dz
        } else {
            (0..hidden).map(|j| dh[j] * (1.0 - h[j] * h[j])).collect()
        };
        grad_w_step[t - 1] = norm(&dz) * norm(&hs[t - 1]);
        for r in 0..rows {
            g_b[r] += dz[r];
            g_hh[r]
                .iter_mut()
                .zip(&hs[t - 1])
                .for_each(|(g, h)| *g += dz[r] * h);
            g_ih[r]
                .iter_mut()
                .zip(&xs[t - 1])
                .for_each(|(g, x)| *g += dz[r] * x);
        }
        dh = mat_t_vec(&w_hh, &dz);
        grad_h[t - 1] = norm(&dh);
    }
    grad_c[0] = norm(&dc_next);
    let mut grad: Vec<f64> = g_ih.into_iter().chain(g_hh).flatten().collect();
    grad.extend(&g_b);
    grad.extend(&g_b);
    Recomputed {
        loss,
        grad_h,
        grad_c,
        forget_product,
        grad_w_step,
        grad,
    }
}

fn assert_all_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    for (t, (a, b)) in got.iter().zip(want).enumerate() {
        assert_close(*a, *b, 1e-9, 1e-12 * scale, &format!("{what}[{t}]"));
    }
}

#[test]
fn rnn_json_has_exactly_the_documented_keys() {
    let base = [
        "cell",
        "hidden",
        "steps",
        "rho",
        "activation",
        "init",
        "seed",
        "loss",
        "overflow",
        "grad_h",
        "grad_w_step",
        "param_grad_norm",
        "clipped_param_grad_norm",
    ];
    let v = json(&cmd("rnn --cell rnn --hidden 5 --steps 12 --json"));
    assert!(v["overflow"].is_null(), "nothing overflowed");
    assert_eq!(keys(&v), sorted(&base));
    assert_eq!(v["cell"], "rnn");
    assert_eq!(v["hidden"], 5);
    assert_eq!(v["steps"], 12);
    assert_eq!(num(&v["rho"]), 1.0);
    assert_eq!(v["activation"], "tanh");
    assert_eq!(v["init"], "gaussian");
    assert_eq!(v["seed"], 0);
    num(&v["loss"]);
    num(&v["param_grad_norm"]);
    num(&v["clipped_param_grad_norm"]);
    assert_eq!(nums(&v["grad_h"]).len(), 13);
    assert_eq!(nums(&v["grad_w_step"]).len(), 12);

    let v = json(&cmd("rnn --cell lstm --hidden 5 --steps 12 --json"));
    let mut lstm = base.to_vec();
    lstm.extend(["grad_c", "forget_product"]);
    assert_eq!(keys(&v), sorted(&lstm));
    assert_eq!(v["cell"], "lstm");
    for key in ["grad_h", "grad_c", "forget_product"] {
        assert_eq!(nums(&v[key]).len(), 13, "{key}");
    }
    assert_eq!(nums(&v["grad_w_step"]).len(), 12);

    let v = json(&cmd(
        "rnn --cell lstm --hidden 5 --steps 12 --json --include-weights",
    ));
    lstm.extend(["weights", "inputs", "v"]);
    assert_eq!(keys(&v), sorted(&lstm));
    assert_eq!(
        keys(&v["weights"]),
        sorted(&["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"])
    );
}

#[test]
fn rnn_identity_orthogonal_gradient_is_a_power_of_rho() {
    // h_t = ρQ h_{t−1} + …: ∂ℓ/∂h_t = (ρQᵀ)^{T−t} v, whose norm is ρ^{T−t} as ‖v‖ = 1.
    for rho in ["0.9", "1.1"] {
        let v = json(&cmd(&format!(
            "rnn --cell rnn --activation identity --init orthogonal --rho {rho} --steps 50 --json"
        )));
        let r: f64 = rho.parse().expect("ρ");
        let grad_h = nums(&v["grad_h"]);
        assert_eq!(grad_h.len(), 51);
        for (t, g) in grad_h.iter().enumerate() {
            assert_close(
                *g,
                r.powi(50 - t as i32),
                1e-9,
                0.0,
                &format!("ρ {rho}, t = {t}"),
            );
        }
    }
}

#[test]
fn rnn_exported_weights_reproduce_the_run() {
    for cell in ["rnn", "lstm"] {
        let v = json(&cmd(&format!(
            "rnn --cell {cell} --hidden 6 --input-size 3 --steps 30 --rho 1.2 --seed 7 --json --include-weights"
        )));
        let lstm = cell == "lstm";
        let r = recompute(&v, lstm);
        assert_close(
            num(&v["loss"]),
            r.loss,
            1e-10,
            1e-14,
            &format!("{cell} loss"),
        );
        assert_all_close(&nums(&v["grad_h"]), &r.grad_h, &format!("{cell} grad_h"));
        assert_all_close(
            &nums(&v["grad_w_step"]),
            &r.grad_w_step,
            &format!("{cell} grad_w_step"),
        );
        assert_close(
            num(&v["param_grad_norm"]),
            norm(&r.grad),
            1e-10,
            0.0,
            &format!("{cell} param_grad_norm"),
        );
        assert_eq!(
            num(&v["clipped_param_grad_norm"]),
            num(&v["param_grad_norm"]),
            "no clip"
        );
        if lstm {
            assert_all_close(&nums(&v["grad_c"]), &r.grad_c, "grad_c");
            let fp = nums(&v["forget_product"]);
            assert_all_close(&fp, &r.forget_product, "forget_product");
            // An empty product at t = T, then ever smaller products of gates in (0, 1).
            assert_eq!(fp[30], 1.0);
            assert!(fp.windows(2).all(|w| w[0] <= w[1]) && fp[0] > 0.0, "{fp:?}");
        }
    }
}

#[test]
fn rnn_weights_have_pytorch_shapes_and_the_documented_init() {
    let run = |cell: &str| {
        json(&cmd(&format!(
            "rnn --cell {cell} --hidden 4 --input-size 3 --steps 5 --init orthogonal --rho 0.7 --forget-bias 2.5 --seed 11 --json --include-weights"
        )))
    };
    let (rnn, lstm) = (run("rnn"), run("lstm"));
    for (v, gates) in [(&rnn, 1), (&lstm, 4)] {
        let w = &v["weights"];
        let w_hh = matrix(&w["weight_hh_l0"]);
        assert_eq!(shape(&matrix(&w["weight_ih_l0"])), (4 * gates, 3));
        assert_eq!(shape(&w_hh), (4 * gates, 4));
        assert_eq!(nums(&w["bias_ih_l0"]).len(), 4 * gates);
        assert_eq!(nums(&w["bias_hh_l0"]).len(), 4 * gates);
        assert_eq!(shape(&matrix(&v["inputs"])), (5, 3));
        assert_close(norm(&nums(&v["v"])), 1.0, 1e-14, 0.0, "‖v‖");
        // Each H×H block is ρQ with Q orthogonal: B Bᵀ = ρ² I.
        for block in w_hh.chunks(4) {
            for (i, a) in block.iter().enumerate() {
                for (j, b) in block.iter().enumerate() {
                    let want = if i == j { 0.49 } else { 0.0 };
                    assert_close(dot(a, b), want, 0.0, 1e-12, &format!("(BBᵀ)[{i}][{j}]"));
                }
            }
        }
    }
    // Biases are zero but for the LSTM's forget slice of b_ih (rows H..2H).
    assert!(
        nums(&rnn["weights"]["bias_ih_l0"])
            .iter()
            .all(|b| *b == 0.0)
    );
    assert!(
        nums(&rnn["weights"]["bias_hh_l0"])
            .iter()
            .all(|b| *b == 0.0)
    );
    assert!(
        nums(&lstm["weights"]["bias_hh_l0"])
            .iter()
            .all(|b| *b == 0.0)
    );
    let b_ih = nums(&lstm["weights"]["bias_ih_l0"]);
    for (r, b) in b_ih.iter().enumerate() {
        assert_eq!(
            *b,
            if (4..8).contains(&r) { 2.5 } else { 0.0 },
            "bias_ih_l0[{r}]"
        );
    }
    // The RNN is the LSTM's candidate (g) part: same inputs, v and g-slice weights.
    assert_eq!(rnn["inputs"], lstm["inputs"]);
    assert_eq!(rnn["v"], lstm["v"]);
    for key in ["weight_ih_l0", "weight_hh_l0"] {
        let (r, l) = (matrix(&rnn["weights"][key]), matrix(&lstm["weights"][key]));
        assert_eq!(r, l[8..12], "{key}");
    }
}

#[test]
fn rnn_clipping_bounds_the_parameter_gradient() {
    let run = |clip: &str| {
        json(&cmd(&format!(
            "rnn --cell rnn --hidden 6 --input-size 3 --steps 20 --clip {clip} --json --include-weights"
        )))
    };
    let plain = run("none");
    let norm_before = num(&plain["param_grad_norm"]);
    assert!(norm_before > 0.0);
    for c in [norm_before / 2.0, norm_before * 2.0] {
        let v = run(&format!("norm:{c}"));
        assert_eq!(num(&v["param_grad_norm"]), norm_before);
        let clipped = num(&v["clipped_param_grad_norm"]);
        // PyTorch's clip_grad_norm_: coefficient c/(‖g‖ + 1e-6), clamped to 1.
        assert_close(
            clipped,
            norm_before * (c / (norm_before + 1e-6)).min(1.0),
            1e-12,
            0.0,
            &format!("norm:{c}"),
        );
    }
    // Value clipping clamps every entry to [−c, c]: recompute the gradient to know its norm.
    let grad = recompute(&plain, false).grad;
    let largest = grad.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let c = largest / 3.0;
    let v = run(&format!("value:{c}"));
    let clamped: Vec<f64> = grad.iter().map(|g| g.clamp(-c, c)).collect();
    assert_close(
        num(&v["clipped_param_grad_norm"]),
        norm(&clamped),
        1e-9,
        0.0,
        "value clip",
    );
    assert!(num(&v["clipped_param_grad_norm"]) < norm_before);
}

#[test]
fn rnn_overflow_writes_null_and_exits_0() {
    let out = dlscope(&cmd(
        "rnn --cell rnn --rho 3 --steps 2000 --activation relu --json",
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for bad in ["NaN", "nan", "inf", "Infinity"] {
        assert!(!text.contains(bad), "JSON text contains {bad:?}");
    }
    let v: Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(v["loss"].is_null());
    assert!(v["param_grad_norm"].is_null());
    // The overflow field says where, as the summary does: the ρ = 3 relu run overflows
    // forward somewhere inside the sequence, and backward at once: step T's term of
    // ∂ℓ/∂W_hh is ‖∂ℓ/∂z_T‖·‖h_(T−1)‖ with h_(T−1) already infinite.
    let forward = num(&v["overflow"]["forward_from"]);
    assert!((1.0..2000.0).contains(&forward), "{forward}");
    assert_eq!(num(&v["overflow"]["backward_from"]), 2000.0);
    let summary = stdout_of(&cmd(
        "rnn --cell rnn --rho 3 --steps 2000 --activation relu",
    ));
    assert!(
        summary.contains(&format!("forward pass non-finite from t = {forward}")),
        "{summary}"
    );
    let grad_h = array(&v["grad_h"]);
    assert_eq!(grad_h.len(), 2001);
    assert_eq!(array(&v["grad_w_step"]).len(), 2000);
    assert!(grad_h.iter().any(Value::is_null));
    // ∂ℓ/∂h_T = v is finite whatever happened before.
    assert_close(num(&grad_h[2000]), 1.0, 1e-14, 0.0, "‖∂ℓ/∂h_T‖");
    assert!(
        array(&v["grad_w_step"])
            .iter()
            .all(|g| g.is_null() || g.is_number())
    );
}

#[test]
fn rnn_verdicts_use_a_band_of_ten() {
    // Ratios 1, 0.448 and 1.209: each within a factor of 10, so "roughly preserved", with the
    // linear theory beside the measurement for the RNN.
    for (line, theory) in [
        (
            "rnn --cell rnn --activation identity --init orthogonal",
            Some("1.00"),
        ),
        (
            "rnn --cell rnn --activation identity --rho 1.02",
            Some("7.24"),
        ),
        ("rnn --cell lstm --forget-bias 1e300", None),
    ] {
        let out = stdout_of(&cmd(line));
        let ratio_line = out
            .lines()
            .find(|l| l.starts_with("|dl/dh_0| / |dl/dh_T| = "))
            .unwrap_or_else(|| panic!("{line}: no ratio line in {out}"));
        let ratio: f64 = ratio_line["|dl/dh_0| / |dl/dh_T| = ".len()..]
            .split(':')
            .next()
            .and_then(|x| x.trim().parse().ok())
            .unwrap_or_else(|| panic!("{ratio_line}"));
        assert!((0.1..=10.0).contains(&ratio), "{line}: {ratio}");
        assert!(
            ratio_line.contains("roughly preserved"),
            "{line}: {ratio_line}"
        );
        assert!(
            !out.contains("(vanishing)") && !out.contains("(exploding)"),
            "{out}"
        );
        if let Some(theory) = theory {
            assert!(out.contains(&format!("rho^T = {theory}")), "{line}: {out}");
        }
    }
}

#[test]
fn rnn_bad_flags_are_one_line() {
    fails_with(&cmd("rnn --cell gru"), &["--cell", "gru"]);
    fails_with(&cmd("rnn --cell rnn --hidden 0"), &["--hidden"]);
    fails_with(&cmd("rnn --cell rnn --hidden 513"), &["--hidden"]);
    fails_with(&cmd("rnn --cell rnn --steps 2001"), &["--steps"]);
    fails_with(&cmd("rnn --cell rnn --clip norm:x"), &["--clip", "norm:x"]);
    fails_with(&cmd("rnn --cell rnn --clip norm:0"), &["--clip"]);
    fails_with(&cmd("rnn --cell rnn --clip scale:1"), &["--clip"]);
    fails_with(&cmd("rnn --cell rnn --rho -1"), &["--rho"]);
    fails_with(
        &cmd("rnn --cell rnn --activation gelu"),
        &["--activation", "gelu"],
    );
    fails_with(&cmd("rnn --cell rnn --init xavier"), &["--init", "xavier"]);
    fails_with(
        &cmd("rnn --cell lstm --forget-bias inf"),
        &["--forget-bias"],
    );
    fails_with(&cmd("rnn --cell rnn --input-scale -1"), &["--input-scale"]);
}

// ---------------------------------------------------------------------------------------------
// snapshot
// ---------------------------------------------------------------------------------------------

const TABS: [(&str, &str); 5] = [
    ("resnet", "ResNet tab"),
    ("lowrank", "Low rank tab"),
    ("scale", "Scale invariance tab"),
    ("rnn", "RNN vs LSTM tab"),
    ("train", "Train tab"),
];

fn snapshot(tab: &str, width: u16, height: u16, extra: &[&str]) -> String {
    let (w, h) = (width.to_string(), height.to_string());
    let mut args = vec!["snapshot", "--tab", tab, "--width", &w, "--height", &h];
    args.extend_from_slice(extra);
    stdout_of(&args)
}

/// Exactly `height` lines, none wider than `width` columns.
fn assert_frame(text: &str, width: u16, height: u16, what: &str) {
    assert_eq!(text.lines().count(), usize::from(height), "{what}:\n{text}");
    for line in text.lines() {
        assert!(
            line.chars().count() <= usize::from(width),
            "{what}: too wide: {line:?}"
        );
    }
    assert!(
        !text.contains('\x1b'),
        "{what}: escape sequences in plain text"
    );
}

#[test]
fn snapshot_resnet_80x24_shows_the_network() {
    let text = snapshot("resnet", 80, 24, &["--color", "never"]);
    assert_frame(&text, 80, 24, "resnet 80x24");
    for needle in ["ResNet", "resnet18", "11.7M", "1.81G", "conv1", "layer1"] {
        assert!(text.contains(needle), "{needle:?} missing:\n{text}");
    }
    // `d` moves to the next (deeper) architecture.
    let text = snapshot("resnet", 80, 24, &["--keys", "d"]);
    assert!(
        text.contains("resnet34") && text.contains("21.8M"),
        "{text}"
    );
}

#[test]
fn snapshot_every_tab_respects_the_size_and_ascii() {
    for (tab, _) in TABS {
        for (w, h) in [(80, 24), (131, 43), (29, 9), (1, 1)] {
            let what = format!("{tab} {w}x{h}");
            let text = snapshot(tab, w, h, &["--ascii", "--color", "never"]);
            assert_frame(&text, w, h, &what);
            assert!(text.is_ascii(), "{what}:\n{text}");
        }
        let text = snapshot(tab, 100, 30, &["--color", "always"]);
        assert_frame(&text, 100, 30, &format!("{tab} in colour"));
        assert!(text.contains("dlscope"), "{tab}");
    }
}

#[test]
fn snapshot_help_overlay_lists_the_keys() {
    for (tab, title) in TABS {
        let text = snapshot(tab, 100, 40, &["--keys", "?", "--color", "never"]);
        assert_frame(&text, 100, 40, tab);
        assert!(text.contains(title), "{tab}: no {title:?}\n{text}");
        // The global keys follow the tab's: at the end of the help, however long the tab's are.
        let end = snapshot(tab, 100, 40, &["--keys", "? End", "--color", "never"]);
        assert!(end.contains("Global keys"), "{tab}:\n{end}");
        // `?` again closes it.
        let closed = snapshot(tab, 100, 40, &["--keys", "? ?", "--color", "never"]);
        assert!(!closed.contains("Global keys"), "{tab}: help still open");
    }
}

#[test]
fn snapshot_lowrank_shows_the_input_file() {
    let csv = TempFile::new("snap.csv", b"1,2,3\n4,5,6\n");
    let name = TempFile::name("snap.csv");
    let text = snapshot("lowrank", 120, 30, &["--input", csv.arg()]);
    assert!(text.contains(&format!("{name} 2×3")), "{text}");
    let global = stdout_of(&[
        "--input",
        csv.arg(),
        "snapshot",
        "--tab",
        "lowrank",
        "--width",
        "120",
        "--height",
        "30",
    ]);
    assert!(global.contains(&format!("{name} 2×3")), "{global}");
}

#[test]
fn snapshot_bad_flags_are_one_line() {
    fails_with(&cmd("snapshot --tab resnet --width 0"), &["--width"]);
    fails_with(&cmd("snapshot --tab resnet --height 0"), &["--height"]);
    fails_with(&cmd("snapshot --tab resnet --width 1001"), &["--width"]);
    fails_with(
        &cmd("snapshot --tab resnet --keys Bogus"),
        &["--keys", "Bogus"],
    );
    fails_with(&cmd("snapshot --tab nope"), &["nope"]);
}

// ---------------------------------------------------------------------------------------------
// The rest of the surface
// ---------------------------------------------------------------------------------------------

#[test]
fn resnet_bad_flags_are_one_line() {
    fails_with(&cmd("resnet --arch resnet19"), &["--arch", "resnet19"]);
    fails_with(&cmd("resnet --num-classes 0"), &["--num-classes"]);
    fails_with(
        &cmd("resnet --num-classes 18446744073709551615"),
        &["--num-classes"],
    );
    fails_with(&cmd("resnet --input-size 0x5"), &["--input-size"]);
    fails_with(&cmd("resnet --input-size 224x"), &["--input-size", "224x"]);
    fails_with(&cmd("resnet --input-size 9000"), &["--input-size"]);
    fails_with(&cmd("resnet --bogus"), &["--bogus"]);
    fails_with(
        &cmd("resnet --freeze conv1,layr1"),
        &["--freeze", "layr1", "layer1"],
    );
    fails_with(&cmd("resnet --freeze layer2.0.conv3"), &["layer2.0.conv"]);
    fails_with(&cmd("resnet --dtype float64"), &["--dtype", "float64"]);
    fails_with(&cmd("resnet --optimizer rmsprop"), &["--optimizer"]);
    fails_with(&cmd("resnet --momentum 1.5"), &["--momentum"]);
    fails_with(&cmd("resnet --batch 0"), &["--batch"]);
    fails_with(&cmd("resnet --format yaml"), &["--format"]);
}

#[test]
fn help_and_version_exit_0() {
    let help = stdout_of(&cmd("--help"));
    for command in ["resnet", "lowrank", "scale", "rnn", "snapshot"] {
        assert!(help.contains(command), "{command} missing from --help");
    }
    for (command, flag) in [
        ("resnet", "--arch"),
        ("lowrank", "--rank"),
        ("scale", "--weight-decay"),
        ("rnn", "--clip"),
        ("snapshot", "--keys"),
    ] {
        assert!(
            stdout_of(&[command, "--help"]).contains(flag),
            "{command} --help"
        );
    }
    let version = stdout_of(&cmd("--version"));
    assert_eq!(
        version.trim(),
        format!("dlscope {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn the_app_without_a_terminal_points_to_the_headless_commands() {
    // Under Command, stdin and stdout are not terminals.
    fails_with(&[], &["terminal", "snapshot"]);
    fails_with(&cmd("--tab nope"), &["nope"]);
    fails_with(&cmd("frobnicate"), &["frobnicate"]);
}

#[test]
fn headless_summaries_name_their_figures() {
    let text = stdout_of(&cmd("lowrank --builtin synthetic --rank 5"));
    assert!(text.contains("synthetic, 256×192"), "{text}");
    assert!(text.contains("5 of 192"), "{text}");
    let text = stdout_of(&cmd("scale"));
    assert!(
        text.contains("rayleigh") && text.contains("Completed all 200 steps"),
        "{text}"
    );
    let text = stdout_of(&cmd("rnn --cell lstm --hidden 4 --steps 10"));
    assert!(
        text.contains("LSTM") && text.contains("overflow: none"),
        "{text}"
    );
}

/// `--ascii` is global ("Draw only ASCII characters"), but the lowrank and scale summaries
/// ignore it: main.rs passes the Ui only to `headless::resnet`, and `lowrank::report::summary`
/// and `scale::report::summary` always write ‖, σ, ∇, η, λ, ×.
#[test]

fn headless_summaries_honour_ascii() {
    for line in [
        "--ascii resnet",
        "--ascii lowrank --builtin synthetic",
        "--ascii scale",
        "--ascii rnn --cell lstm --hidden 4 --steps 10",
    ] {
        let text = stdout_of(&cmd(line));
        assert!(text.is_ascii(), "{line}:\n{text}");
    }
}

/// A missing required flag is reported by clap on several lines ("the following required
/// arguments were not provided:" and then the flags, indented); main.rs keeps only the first
/// line, so the one line printed does not say which flag is missing.
#[test]

fn missing_required_flags_are_named() {
    fails_with(&cmd("rnn"), &["--cell"]);
    fails_with(&cmd("snapshot"), &["--tab"]);
    fails_with(&cmd("rnn --cell rnn --include-weights"), &["--json"]);
}

/// Out-of-range numbers are echoed with `{}`, which writes 1e300 as 301 digits: the "one
/// clear line" becomes several hundred characters long.
#[test]

fn error_lines_stay_short_for_huge_numbers() {
    for line in [
        "scale --lr -1e300",
        "scale --lambda -1e300",
        "scale --weight-decay -1e300",
        "rnn --cell rnn --rho 1e300",
        "rnn --cell rnn --input-scale -1e300",
        "rnn --cell rnn --clip norm:-1e300",
    ] {
        let out = dlscope(&cmd(line));
        assert_eq!(out.status.code(), Some(2), "{line}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.chars().count() < 120,
            "{line}: {} characters",
            err.chars().count()
        );
    }
}

#[test]
fn graphics_flags_are_checked_and_name_the_valid_values() {
    fails_with(
        &cmd("snapshot --tab lowrank --graphics png"),
        &[
            "--graphics",
            "png",
            "auto, kitty, sixel, iterm2, blocks, ascii",
        ],
    );
    // A global flag: before the subcommand too, and for the app.
    fails_with(
        &cmd("--graphics sixels snapshot --tab lowrank"),
        &["sixels", "iterm2"],
    );
    fails_with(&cmd("--graphics sixels"), &["--graphics", "sixels"]);
    for bad in ["0x20", "10", "10x", "x20", "10x2000", "ax20"] {
        fails_with(
            &["snapshot", "--tab", "lowrank", "--cell-size", bad],
            &["--cell-size", "WIDTHxHEIGHT", "10x20"],
        );
    }
    let help = stdout_of(&cmd("snapshot --help"));
    for needle in ["--graphics", "--cell-size", "kitty", "half blocks"] {
        assert!(help.contains(needle), "snapshot --help lacks {needle:?}");
    }
}

#[test]
fn the_snapshot_checks_cover_every_tab() {
    let names: Vec<&str> = TABS.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, dlscope::tabs::names());
}

#[test]
fn file_names_are_printed_with_their_control_characters_escaped() {
    // A name that would clear the screen and turn the terminal red if printed raw.
    let evil = "evil\x1b[2J\x1b[31mX\nforged";
    let dir = std::env::temp_dir().join(format!("dlscope-evil-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let missing = dir.join(evil);
    let missing = missing.to_str().expect("utf-8");
    fails_with(
        &["lowrank", "--input", missing],
        &["evil\\x1b[2J\\x1b[31mX\\nforged"],
    );
    // The same name as a file that exists but is not an input.
    let bad = dir.join(format!("{evil}.npy"));
    std::fs::write(&bad, b"not a numpy file").expect("write");
    let out = common::dlscope(&["lowrank", "--input", bad.to_str().expect("utf-8")]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains('\x1b') && err.lines().count() == 1, "{err:?}");
    // And a config file's name.
    let cfg = dir.join(format!("{evil}.toml"));
    std::fs::write(&cfg, "tab = 7\n").expect("write");
    let out = common::dlscope(&["--config", cfg.to_str().expect("utf-8"), "config"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!err.contains('\x1b') && err.lines().count() == 1, "{err:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn huge_settings_are_echoed_short() {
    // `{}` writes 1e308 as 309 digits; the summary echoes it as "1e308".
    let text = stdout_of(&["scale", "--lr", "1e308"]);
    assert!(text.contains("η = 1e308"), "{text}");
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 200, "a line of {longest} characters:\n{text}");
}

#[test]
fn ascii_frames_mid_run_are_ascii() {
    // Mid-run, before the descent has a rate, the rate was a Unicode dash in ASCII mode.
    for keys in ["End p p p Space", "Home p p p Space", "p p p Space"] {
        let text = stdout_of(&[
            "--ascii", "snapshot", "--tab", "lowrank", "--width", "80", "--height", "24", "--keys",
            keys, "--frames", "1",
        ]);
        assert!(text.is_ascii(), "{keys}:\n{text}");
    }
}

#[test]
fn an_empty_value_ends_its_sentence() {
    // `--input ""` and a bare `--config` ended in "…; it can be " with nothing after it.
    for args in [
        &["lowrank", "--input", ""][..],
        &["--config"][..],
        &["--config", "", "config"][..],
    ] {
        fails_with(args, &["a value is required"]);
        let err = String::from_utf8_lossy(&common::dlscope(args).stderr).into_owned();
        assert!(!err.contains("it can be"), "{args:?}: {err:?}");
        assert!(
            !err.trim_end_matches('\n').ends_with(' '),
            "{args:?}: {err:?}"
        );
    }
}

#[test]
fn an_endless_input_stops_at_the_limit() {
    // /dev/zero reports size 0 and never ends: the read is bounded by what was read.
    fails_with(
        &["lowrank", "--input", "/dev/zero"],
        &["/dev/zero", "limit of 536,870,912 bytes"],
    );
}
