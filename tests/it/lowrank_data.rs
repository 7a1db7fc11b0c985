//! Data matrices through `dlscope lowrank` as a user runs it: taken whole whatever their shape
//! (never resampled like a picture), refused with their real size beyond `--max-bytes`, and
//! decomposed right however large or small their entries. The truths are built here: X =
//! U diag(σ) Vᵀ from orthonormal factors made of Householder reflectors, so its singular values
//! are σ by construction.

use ndarray::{Array1, Array2};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;
use serde_json::Value;

use crate::cli::{fails_with, json};
use crate::common::{TempDir, dlscope, npy_floats};

/// The first k columns of H_p ⋯ H_1 (m×m), each H = I − 2wwᵀ/(wᵀw) with w Gaussian from
/// `seed`: orthonormal columns by construction (to rounding).
fn householder_columns(m: usize, k: usize, reflections: usize, seed: u64) -> Array2<f64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut q = Array2::<f64>::zeros((m, k));
    for j in 0..k.min(m) {
        q[(j, j)] = 1.0;
    }
    for _ in 0..reflections {
        let w: Array1<f64> = (0..m).map(|_| rng.sample(StandardNormal)).collect();
        let ww = w.dot(&w);
        let wq = w.dot(&q);
        for j in 0..k {
            let c = 2.0 * wq[j] / ww;
            q.column_mut(j).scaled_add(-c, &w);
        }
    }
    q
}

/// X = U diag(σ) Vᵀ (m×n) with U, V from [`householder_columns`]: its singular values are σ.
fn planted(m: usize, n: usize, sigma: &[f64], seed: u64) -> Array2<f64> {
    let k = sigma.len();
    let u = householder_columns(m, k, 3, seed);
    let v = householder_columns(n, k, 3, seed + 1);
    let scaled = Array2::from_shape_fn((m, k), |(i, j)| u[(i, j)] * sigma[j]);
    scaled.dot(&v.t())
}

/// σᵢ = 100·0.9^i for i < k: distinct, from 100 down.
fn spectrum(k: usize) -> Vec<f64> {
    (0..k).map(|i| 100.0 * 0.9f64.powi(i as i32)).collect()
}

fn write_npy(dir: &TempDir, name: &str, x: &Array2<f64>) -> String {
    let data: Vec<f64> = x.iter().copied().collect();
    let (m, n) = x.dim();
    let path = dir.write(name, &npy_floats("<f8", false, &[m, n], &data));
    path.to_str().unwrap().to_string()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

fn assert_relative(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!(
        (got - want).abs() <= tolerance * want.abs(),
        "{what}: {got} against {want}"
    );
}

#[test]
fn a_10000_by_50_matrix_is_decomposed_whole() {
    // 500,000 entries: the old rule shrank it like a picture to 1024×5 (σ₁ 3.40 for 106.4).
    let dir = TempDir::new("whole10000x50");
    let sigma = spectrum(50);
    let path = write_npy(&dir, "data10000x50.npy", &planted(10_000, 50, &sigma, 1));
    let v = json(&["lowrank", "--input", &path, "--rank", "50", "--json"]);
    assert_eq!(
        (v["rows"].as_u64(), v["cols"].as_u64()),
        (Some(10_000), Some(50))
    );
    assert_eq!(v["decomposed"], "whole");
    assert!(v["downscaled_from"].is_null());
    let got = floats(&v["singular_values"]);
    assert_eq!(got.len(), 50);
    for (i, (g, s)) in got.iter().zip(&sigma).enumerate() {
        assert_relative(*g, *s, 1e-10, &format!("σ{}", i + 1));
    }
    let out = dlscope(&["lowrank", "--input", &path]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("source            data10000x50.npy, 10000×50, whole\n"),
        "{text}"
    );
}

#[test]
fn very_non_square_matrices_are_whole_and_keep_their_spectrum() {
    let dir = TempDir::new("nonsquare");
    for (m, n) in [(9000, 3), (3, 9000), (1, 5000), (5000, 1)] {
        let k = m.min(n);
        let sigma = spectrum(k);
        let path = write_npy(&dir, &format!("x{m}x{n}.npy"), &planted(m, n, &sigma, 7));
        let v = json(&["lowrank", "--input", &path, "--json"]);
        assert_eq!(
            (v["rows"].as_u64(), v["cols"].as_u64()),
            (Some(m as u64), Some(n as u64))
        );
        assert_eq!(v["decomposed"], "whole", "{m}×{n}");
        // The default rank 10 is clamped to min(m, n): the error is rounding.
        assert_eq!(v["rank"].as_u64(), Some(k as u64));
        let got = floats(&v["singular_values"]);
        assert_eq!(got.len(), k);
        for (g, s) in got.iter().zip(&sigma) {
            assert_relative(*g, *s, 1e-10, &format!("{m}×{n}"));
        }
    }
}

#[test]
fn pictures_are_still_resized_and_say_so() {
    let v = json(&["lowrank", "--max-side", "100", "--rank", "1", "--json"]);
    assert_eq!(v["decomposed"], "resized");
    assert_eq!(v["downscaled_from"], serde_json::json!([512, 512]));
    assert_eq!(
        (v["rows"].as_u64(), v["cols"].as_u64()),
        (Some(100), Some(100))
    );
    // --max-side leaves a data matrix alone.
    let v = json(&[
        "lowrank",
        "--builtin",
        "synthetic",
        "--max-side",
        "100",
        "--json",
    ]);
    assert_eq!(
        (v["rows"].as_u64(), v["cols"].as_u64()),
        (Some(256), Some(192))
    );
    assert_eq!(v["decomposed"], "whole");
}

#[test]
fn a_matrix_beyond_the_byte_limit_is_refused_with_its_size() {
    let dir = TempDir::new("maxbytes");
    let x = planted(40, 10, &spectrum(10), 3);
    let path = write_npy(&dir, "x.npy", &x);
    // 40×10 float64 = 3,200 bytes.
    fails_with(
        &["lowrank", "--input", &path, "--max-bytes", "3199"],
        &[
            "x.npy: matrix of 40×10 takes 3,200 bytes as float64, more than the limit of 3,199 bytes (--max-bytes)",
        ],
    );
    let v = json(&["lowrank", "--input", &path, "--max-bytes", "3200", "--json"]);
    assert_eq!(
        (v["rows"].as_u64(), v["decomposed"].as_str()),
        (Some(40), Some("whole"))
    );
}

#[test]
fn a_csv_beyond_the_limit_is_refused_with_its_real_size() {
    // A 6000×6000 CSV was refused as "5593×6000": the rows read when the entry limit was
    // crossed. The limit here is crossed at row 38 of 60.
    let dir = TempDir::new("csvsize");
    let row = ["1.5"; 10].join(",");
    let text = format!("{}\n", vec![row; 60].join("\n"));
    let path = dir.write("data.csv", text.as_bytes());
    let path = path.to_str().unwrap();
    fails_with(
        &["lowrank", "--input", path, "--max-bytes", "2960"],
        &[
            "data.csv: matrix of 60×10 takes 4,800 bytes as float64, more than the limit of 2,960 bytes (--max-bytes)",
        ],
    );
    // With a header row the data rows are counted, not the header.
    let header = format!("{}\n{text}", ["h"; 10].join(","));
    let path = dir.write("header.csv", header.as_bytes());
    fails_with(
        &[
            "lowrank",
            "--input",
            path.to_str().unwrap(),
            "--max-bytes",
            "2960",
        ],
        &["header.csv: matrix of 60×10 takes 4,800 bytes"],
    );
}

/// The command's JSON for `x` written as `name`.
fn report(dir: &TempDir, name: &str, x: &Array2<f64>, rank: usize) -> Value {
    let path = write_npy(dir, name, x);
    json(&[
        "lowrank",
        "--input",
        &path,
        "--rank",
        &rank.to_string(),
        "--json",
    ])
}

#[test]
fn entries_of_1e200_and_1e_200_give_the_scaled_singular_values() {
    // Squares of entries beyond about 1e154 leave f64: "did not converge" before, and energies
    // of 0 % for 1e-200. X = s·Y has σ(X) = s·σ(Y) and the same fractions.
    let dir = TempDir::new("scaled");
    let sigma = spectrum(20);
    let y = planted(30, 20, &sigma, 11);
    let plain = report(&dir, "y.npy", &y, 3);
    for (scale, name) in [(1e200, "big.npy"), (1e-200, "small.npy")] {
        let v = report(&dir, name, &(&y * scale), 3);
        let got = floats(&v["singular_values"]);
        for (g, s) in got.iter().zip(&sigma) {
            assert_relative(g / scale, *s, 1e-12, &format!("σ at {scale:e}"));
        }
        for key in ["energy_captured", "relative_error"] {
            let (g, w) = (v[key].as_f64().unwrap(), plain[key].as_f64().unwrap());
            assert_relative(g, w, 1e-12, &format!("{key} at {scale:e}"));
        }
        assert_eq!(
            v["ranks_for_energy"], plain["ranks_for_energy"],
            "{scale:e}"
        );
        for key in ["error", "error_tail"] {
            let (g, w) = (v[key].as_f64().unwrap(), plain[key].as_f64().unwrap());
            assert_relative(g / scale, w, 1e-12, &format!("{key} at {scale:e}"));
        }
        // ‖X − A*B*‖²_F is near 1e401 or 1e-399: no f64 holds it, and the JSON says so.
        assert!(
            v["error_sq"].is_null() && v["error_sq_tail"].is_null(),
            "{v}"
        );
        // The summary writes it all the same, from its logarithm.
        let path = dir.0.join(name);
        let out = dlscope(&["lowrank", "--input", path.to_str().unwrap(), "--rank", "3"]);
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.starts_with("‖X − A*B*‖²_F"))
            .unwrap();
        let shown = line.split_whitespace().last().unwrap();
        let (mantissa, exponent) = shown.split_once('e').unwrap();
        let log10 = mantissa.parse::<f64>().unwrap().log10() + exponent.parse::<f64>().unwrap();
        let want = plain["error_sq"].as_f64().unwrap().log10() + 2.0 * scale.log10();
        assert!(
            (log10 - want).abs() < 1e-10,
            "{line}: {log10} against {want}"
        );
    }
    // `error` is the root of `error_sq` where f64 holds both.
    let plain_error = plain["error"].as_f64().unwrap();
    let plain_error_sq = plain["error_sq"].as_f64().unwrap();
    assert_relative(
        plain_error * plain_error,
        plain_error_sq,
        1e-12,
        "‖Y − A*B*‖²_F",
    );
}

#[test]
fn singular_values_beyond_f64_are_refused_with_the_reason() {
    // Entries of 1.5e308 are finite, but σ₁ = 3e308 of this 2×2 matrix is not.
    let dir = TempDir::new("overflow");
    let x = Array2::from_elem((2, 2), 1.5e308);
    let path = write_npy(&dir, "huge.npy", &x);
    fails_with(
        &["lowrank", "--input", &path],
        &["huge.npy: σ₁ is beyond the largest floating-point number (about 1.8e308)"],
    );
}
