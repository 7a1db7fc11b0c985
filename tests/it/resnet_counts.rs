//! Issue 20 point 2: `dlscope resnet` at the largest inputs it accepts (8192×8192, a batch of a
//! million, a million classes) prints every count exactly, in the table, JSON, CSV and
//! markdown. The FLOPs pass 2⁶⁴: u64 arithmetic saturated them and printed
//! 18,446,744,073,709,551,615. The truths: a closed form of the MACs written here from
//! torchvision's layer table, and the batch's scaling (FLOPs and saved activations are linear
//! in the batch, the batch statistics constant).

use serde::Deserialize;

use crate::common::{cmd, stdout_of};

/// resnet152's blocks per stage; it stacks bottlenecks.
const RESNET152: [u128; 4] = [3, 8, 36, 3];

/// Per-image MACs of resnet152 at `side`×`side` with `classes` outputs, and the stem conv's
/// part. Every window has 2p = k − 1, so a stride-2 layer takes a side n to ⌊(n − 1)/2⌋ + 1.
fn closed_form_macs(side: u128, classes: u128) -> (u128, u128) {
    let down = |n: u128| (n - 1) / 2 + 1;
    let mut s = down(side);
    let stem = 64 * s * s * 3 * 7 * 7;
    let mut total = stem;
    s = down(s);
    let mut inplanes = 64;
    for (stage, blocks) in RESNET152.into_iter().enumerate() {
        let planes = 64u128 << stage;
        for i in 0..blocks {
            let halves = stage > 0 && i == 0;
            let so = if halves { down(s) } else { s };
            let out = 4 * planes;
            total +=
                planes * s * s * inplanes + planes * so * so * planes * 9 + out * so * so * planes;
            if halves || inplanes != out {
                total += out * so * so * inplanes;
            }
            (inplanes, s) = (out, so);
        }
    }
    (total + inplanes * classes, stem)
}

/// A number as the table prints it, `30,792,772,124,672,000,000`, read back exactly; the
/// groups must be well formed.
fn grouped(text: &str) -> u128 {
    let groups: Vec<&str> = text.split(',').collect();
    let ok = groups.iter().enumerate().all(|(i, g)| {
        let digits = g.bytes().all(|b| b.is_ascii_digit());
        digits
            && if i == 0 {
                (1..=3).contains(&g.len())
            } else {
                g.len() == 3
            }
    });
    assert!(ok, "not a grouped number: {text:?}");
    groups.concat().parse().unwrap()
}

/// `n` with a comma every three digits from the right.
fn group(n: u128) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The figure at the end of the table's total line starting with `label`.
fn total(table: &str, label: &str) -> u128 {
    let line = table
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label:?} line:\n{table}"));
    grouped(line.split_whitespace().last().unwrap())
}

/// The command: the table's MACs and FLOPs meet the closed form, digit for digit.
#[test]
fn resnet152_at_8192_and_a_batch_of_a_million_prints_exact_flops() {
    let text = stdout_of(&cmd(
        "resnet --arch resnet152 --input-size 8192 --batch 1000000",
    ));
    let batch = 1_000_000;
    let (macs, stem) = closed_form_macs(8192, 1000);
    assert_eq!(total(&text, "Total MACs per image"), macs);
    let forward = total(&text, "FLOPs forward");
    assert_eq!(forward, 2 * batch * macs);
    // Backward: a weight and an input gradient per conv and fc, less the stem's input gradient.
    assert_eq!(
        total(&text, "FLOPs backward"),
        2 * forward - 2 * batch * stem
    );
    assert!(forward > u128::from(u64::MAX), "{forward}");
    assert!(!text.contains("18,446,744,073,709,551,615"), "{text}");
    assert!(!text.contains("overflow"), "{text}");
}

/// The counts of `dlscope resnet --json` that grow with the batch, read as exact integers.
#[derive(Debug, Deserialize)]
struct Counts {
    total_macs: u128,
    flops_forward: u128,
    flops_backward: u128,
    activation_bytes: u128,
    training_bytes: u128,
    /// Defaulted so that a report without the key fails on its numbers, not on its schema.
    #[serde(default)]
    overflow: Vec<String>,
    modules: Vec<ModuleCounts>,
}

#[derive(Debug, Deserialize)]
struct ModuleCounts {
    name: String,
    macs: u128,
    flops_forward: u128,
    flops_backward: u128,
    activation_bytes: u128,
}

/// Every flag at its largest (float32, Adam: the most bytes), at `batch`.
fn largest(batch: u64, format: &str) -> String {
    let args = format!(
        "resnet --arch resnet152 --input-size 8192x8192 --num-classes 1000000 --conv-bias \
         --optimizer adam --dtype float32 --batch {batch} --format {format}"
    );
    stdout_of(&cmd(&args))
}

fn counts(batch: u64) -> Counts {
    let text = largest(batch, "json");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("batch {batch}: {e}"))
}

/// JSON at the largest inputs: integers past 2⁶⁴ keep every digit, and every count that grows
/// with the batch meets the batch's scaling exactly, in every row. Saved activations are
/// b·(per-image part) + (batch statistics), so S = 2·a(1) − a(2) is the constant part.
#[test]
fn every_count_at_the_largest_inputs_is_exact_in_json() {
    let big = 1_000_000u128;
    let (one, two, all) = (counts(1), counts(2), counts(1_000_000));
    let (macs, _) = closed_form_macs(8192, 1_000_000);
    assert_eq!(all.total_macs, macs);
    assert_eq!(all.flops_forward, 2 * big * macs);
    assert_eq!(all.flops_forward, big * one.flops_forward);
    assert_eq!(all.flops_backward, big * one.flops_backward);
    assert!(all.flops_backward > u128::from(u64::MAX));
    let affine = |a1: u128, a2: u128, ab: u128, at: &str| {
        let statistics = 2 * a1 - a2;
        assert_eq!(ab, big * (a1 - statistics) + statistics, "{at}");
    };
    affine(
        one.activation_bytes,
        two.activation_bytes,
        all.activation_bytes,
        "total",
    );
    // Parameters, buffers, gradients and optimizer state do not depend on the batch.
    assert_eq!(
        all.training_bytes - all.activation_bytes,
        one.training_bytes - one.activation_bytes
    );
    assert_eq!(all.modules.len(), one.modules.len());
    for ((m1, m2), mb) in one.modules.iter().zip(&two.modules).zip(&all.modules) {
        assert_eq!(mb.name, m1.name);
        assert_eq!(mb.macs, m1.macs, "{}", mb.name);
        assert_eq!(mb.flops_forward, 2 * big * mb.macs, "{}", mb.name);
        assert_eq!(mb.flops_backward, big * m1.flops_backward, "{}", mb.name);
        affine(
            m1.activation_bytes,
            m2.activation_bytes,
            mb.activation_bytes,
            &mb.name,
        );
    }
    assert!(all.overflow.is_empty(), "{:?}", all.overflow);
}

/// CSV and markdown at the largest inputs: every count cell is the JSON's exact integer.
#[test]
fn csv_and_markdown_at_the_largest_inputs_match_the_exact_json() {
    let json = counts(1_000_000);
    let wanted = |m: &ModuleCounts, key: &str| -> Option<String> {
        Some(match key {
            "macs" => m.macs.to_string(),
            "flops_forward" => m.flops_forward.to_string(),
            "flops_backward" => m.flops_backward.to_string(),
            "activation_bytes" => m.activation_bytes.to_string(),
            _ => return None,
        })
    };
    let csv = largest(1_000_000, "csv");
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let md = largest(1_000_000, "markdown");
    let md_rows: Vec<Vec<&str>> = md
        .lines()
        .skip(2)
        .map(|l| l.trim_matches('|').split('|').map(str::trim).collect())
        .collect();
    assert_eq!(rows.len(), json.modules.len());
    assert_eq!(md_rows.len(), json.modules.len());
    let mut checked = 0;
    for ((row, md_row), m) in rows.iter().zip(&md_rows).zip(&json.modules) {
        for (k, key) in header.iter().enumerate() {
            if let Some(want) = wanted(m, key) {
                assert_eq!(row[k], want, "csv {key} of {}", m.name);
                assert_eq!(md_row[k], want, "markdown {key} of {}", m.name);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * json.modules.len());
    // layer3's 36 blocks pass 2⁶⁴ FLOPs on their own.
    let layer3 = json.modules.iter().find(|m| m.name == "layer3").unwrap();
    assert!(layer3.flops_forward > u128::from(u64::MAX));
    assert!(!csv.contains("overflow") && !md.contains("overflow"));
}

/// The tab's keys to its largest settings: resnet152, 8192×8192, a million classes, a batch
/// of 1024 (the batch keys' top), Adam, conv biases.
fn largest_tab_keys() -> String {
    let mut keys = vec!["D"];
    keys.extend(["+"; 12]);
    keys.extend(["o"; 4]);
    keys.extend(["z"; 10]);
    keys.extend(["w", "w", "b"]);
    keys.join(" ")
}

/// The tab at its largest settings, at 80×24: the readout's counts meet the closed form, the
/// summary shows the FLOPs whole, and the one-line header drops a part that does not fit
/// whole with an ellipsis (it showed "15.4T MA").
#[test]
fn the_tab_at_its_largest_settings_shows_exact_counts_at_80x24() {
    let keys = largest_tab_keys();
    let snapshot = |extra: &str, readout: bool| {
        let keys = format!("{keys} {extra}");
        let mut args = vec![
            "snapshot", "--tab", "resnet", "--width", "80", "--height", "24", "--keys", &keys,
        ];
        if readout {
            args.push("--readout");
        }
        stdout_of(&args)
    };
    let readout = snapshot("", true);
    let value = |label: &str| {
        let line = readout
            .lines()
            .find(|l| l.trim_start().starts_with(label))
            .unwrap_or_else(|| panic!("no {label:?}:\n{readout}"));
        grouped(line.rsplit(": ").next().unwrap())
    };
    let batch = 1024;
    let (macs, stem) = closed_form_macs(8192, 1_000_000);
    assert!(
        readout.contains("run: batch 1024, float32, adam"),
        "{readout}"
    );
    assert_eq!(value("MACs per image:"), macs);
    let forward = value("FLOPs forward:");
    assert_eq!(forward, 2 * batch * macs);
    assert_eq!(value("FLOPs backward:"), 2 * forward - 2 * batch * stem);

    let frame = snapshot("", false);
    let header = frame.lines().nth(1).unwrap().trim_end();
    assert!(
        header.starts_with("resnet152  1,000,000 classes  8192×8192"),
        "{frame}"
    );
    assert!(
        header.ends_with(" MACs") || header.ends_with('…'),
        "a part cut without an ellipsis: {header:?}"
    );
    let summary = snapshot("p p", false);
    let shown = group(forward);
    assert!(summary.contains(&shown), "{shown} not whole:\n{summary}");
}

/// A side too long for a u64 is refused with its digits as given (it said "got
/// 18446744073709551615").
#[test]
fn an_input_side_past_u64_is_echoed_as_given() {
    let out = crate::common::dlscope(&cmd("resnet --input-size 224x99999999999999999999999"));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(
        err,
        "dlscope: --input-size: width must be between 1 and 8192 pixels \
         (got 99999999999999999999999)\n"
    );
}
