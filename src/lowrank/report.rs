//! Headless output for Problem 2: a JSON document and a readable text summary, both built from
//! the model's [`Readouts`].

use crate::cli::CommandError;
use std::fmt::{self, Write as _};

use serde::Serialize;
use std::collections::BTreeMap;

use super::input::{Loaded, Taken};
use super::model::{Decomposition, Readouts};
use crate::numfmt;

/// How many leading singular values the text summary lists.
pub const SUMMARY_SINGULAR_VALUES: usize = 8;

/// A requested rank the matrix cannot have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankTooLarge {
    pub rank: usize,
    pub rows: usize,
    pub cols: usize,
}

impl fmt::Display for RankTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "--rank {} is larger than min(rows, cols) = {}",
            self.rank,
            self.rows.min(self.cols)
        )
    }
}

impl std::error::Error for RankTooLarge {}

/// The rank used when `--rank` is not given (clamped to min(rows, cols)).
pub const DEFAULT_RANK: usize = 10;

/// The rank to report: an explicit `--rank` must satisfy 0 ≤ r ≤ min(rows, cols); without one
/// the default [`DEFAULT_RANK`] is clamped to min(rows, cols), so a 1×5000 matrix works.
pub fn choose_rank(
    requested: Option<usize>,
    rows: usize,
    cols: usize,
) -> Result<usize, RankTooLarge> {
    match requested {
        Some(rank) if rank > rows.min(cols) => Err(RankTooLarge { rank, rows, cols }),
        Some(rank) => Ok(rank),
        None => Ok(DEFAULT_RANK.min(rows.min(cols))),
    }
}

/// The JSON document: source, the matrix decomposed (its shape, and whether it is the whole
/// input or a picture resized from `downscaled_from`), rank, every singular value, the error
/// both ways, relative error, energy, storage and the ranks needed for 90 / 99 / 99.9 % of the
/// energy. Fields are in alphabetical order, the order the keys have always been written in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Columns of the matrix decomposed.
    pub cols: usize,
    /// "whole": the input as it is, every entry (always so for a data matrix); "resized": a
    /// picture shrunk by area averaging from `downscaled_from` to rows×cols.
    pub decomposed: &'static str,
    /// [rows, cols] of a resized picture before downscaling, or null.
    pub downscaled_from: Option<[usize; 2]>,
    pub energy_captured: f64,
    /// ‖X − A*B*‖_F, from the matrices: finite whenever the entries are.
    pub error: f64,
    /// ‖X − A*B*‖²_F, from the matrices; null where f64 cannot hold it (entries beyond about
    /// 1e154 or below 1e-154: `error` holds its root).
    pub error_sq: Option<f64>,
    /// Σ_{i>r} σᵢ², from the dropped singular values; null where f64 cannot hold it.
    pub error_sq_tail: Option<f64>,
    /// √(Σ_{i>r} σᵢ²).
    pub error_tail: f64,
    pub rank: usize,
    /// "0.9", "0.99", "0.999" → the smallest rank capturing that fraction of Σ σᵢ².
    pub ranks_for_energy: BTreeMap<String, usize>,
    pub relative_error: f64,
    /// Rows of the matrix decomposed.
    pub rows: usize,
    pub singular_values: Vec<f64>,
    pub source: String,
    pub storage: StorageReport,
}

/// Numbers stored, factored r(m + n) and dense mn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StorageReport {
    pub dense: u64,
    pub factored: u64,
}

/// The report of one rank of one input.
pub fn json(loaded: &Loaded, decomposition: &Decomposition, readouts: &Readouts) -> Report {
    Report {
        cols: readouts.cols,
        decomposed: loaded.taken().name(),
        downscaled_from: loaded.downscaled_from.map(|(m, n)| [m, n]),
        energy_captured: readouts.energy_captured,
        error: readouts.error_sq.root(),
        error_sq: readouts.error_sq.representable(),
        error_sq_tail: readouts.error_sq_tail.representable(),
        error_tail: readouts.error_sq_tail.root(),
        rank: readouts.rank,
        ranks_for_energy: readouts
            .ranks_for_energy
            .iter()
            .map(|(fraction, rank)| (fraction.to_string(), *rank))
            .collect(),
        relative_error: readouts.relative_error,
        rows: readouts.rows,
        singular_values: decomposition.svd.singular_values.clone(),
        source: loaded.name.clone(),
        storage: StorageReport {
            dense: readouts.storage.dense,
            factored: readouts.storage.factored,
        },
    }
}

/// `decimals` fixed decimals for 0 and for magnitudes from 10⁻³ up to 10¹⁵, else scientific
/// with `decimals + 1` significant digits (a σ of 1e200 is not 201 digits, nor one of 1e-200
/// "0.000000").
fn fixed_or_scientific(x: f64, decimals: usize) -> String {
    if x == 0.0 || (1e-3..1e15).contains(&x.abs()) || !x.is_finite() {
        format!("{x:.decimals$}")
    } else {
        format!("{x:.decimals$e}")
    }
}

/// A few aligned lines: the input, the rank, the error computed both ways (Eckart–Young),
/// energy, storage, ranks for energy levels and the leading singular values.
pub fn summary(loaded: &Loaded, decomposition: &Decomposition, readouts: &Readouts) -> String {
    let mut out = String::new();
    let shape = match loaded.taken() {
        Taken::Resized { from: (m, n) } => format!(
            "{}×{}, a picture resized from {m}×{n}",
            readouts.rows, readouts.cols
        ),
        Taken::Whole => format!("{}×{}, whole", readouts.rows, readouts.cols),
    };
    let line = |out: &mut String, label: &str, value: String| {
        let _ = writeln!(out, "{label:<18}{value}");
    };
    line(&mut out, "source", format!("{}, {shape}", loaded.name));
    line(
        &mut out,
        "rank",
        format!("{} of {}", readouts.rank, decomposition.max_rank()),
    );
    line(&mut out, "‖X − A*B*‖²_F", readouts.error_sq.fixed(10));
    line(
        &mut out,
        "Σ_{i>r} σᵢ²",
        format!(
            "{}   (difference {})",
            readouts.error_sq_tail.fixed(10),
            readouts.identity_gap.sci(2)
        ),
    );
    line(
        &mut out,
        "relative error",
        format!("{:.6}", readouts.relative_error),
    );
    line(
        &mut out,
        "energy captured",
        format!("{:.4} %", 100.0 * readouts.energy_captured),
    );
    line(
        &mut out,
        "storage",
        format!(
            "{} numbers factored, {} dense ({:.2} %)",
            numfmt::group_thousands(readouts.storage.factored),
            numfmt::group_thousands(readouts.storage.dense),
            100.0 * readouts.storage.ratio()
        ),
    );
    let ranks = readouts
        .ranks_for_energy
        .iter()
        .map(|(fraction, rank)| format!("{}%: {rank}", 100.0 * fraction))
        .collect::<Vec<_>>()
        .join("   ");
    line(&mut out, "rank for energy", ranks);
    let values = &decomposition.svd.singular_values;
    let mut top = values
        .iter()
        .take(SUMMARY_SINGULAR_VALUES)
        .map(|&s| fixed_or_scientific(s, 6))
        .collect::<Vec<_>>()
        .join("  ");
    if values.len() > SUMMARY_SINGULAR_VALUES {
        top.push_str("  …");
    }
    line(&mut out, "singular values", top);
    out
}

/// `dlscope lowrank`: the summary, or JSON, of one rank of one input.
pub fn command(args: &crate::cli::LowrankArgs, unicode: bool) -> Result<String, CommandError> {
    use super::input::{Builtin, Source};
    let source = match (&args.builtin, &args.input) {
        (_, Some(path)) => Source::from_arg(path),
        (Some(name), None) => Source::Builtin(
            name.parse::<Builtin>()
                .map_err(|e| CommandError::flag("--builtin", e))?,
        ),
        (None, None) => Source::Builtin(Builtin::Camera),
    };
    let limits = super::input::Limits {
        max_side: args.max_side as usize,
        max_bytes: args.max_bytes,
    };
    let mut loaded = super::input::load_within(&source, &limits).map_err(CommandError::of)?;
    let (rows, cols) = loaded.matrix.dim();
    let rank = choose_rank(args.rank, rows, cols).map_err(CommandError::of)?;
    // The decomposition takes the one f64 copy of X: the report reads only the input's name and
    // shape from `loaded`.
    let matrix = std::mem::take(&mut loaded.matrix);
    let decomposition = super::model::Decomposition::compute(matrix)
        .map_err(|e| CommandError(format!("{}: {e}", loaded.name)))?;
    let mut reconstruction = super::model::Reconstruction::new(std::sync::Arc::new(decomposition));
    reconstruction.set_rank(rank);
    let readouts = Readouts::compute(&reconstruction);
    let decomposition = reconstruction.decomposition();
    if args.json {
        return crate::cli::emit_json(&json(&loaded, decomposition, &readouts));
    }
    Ok(crate::cli::emit_text(
        &summary(&loaded, decomposition, &readouts),
        unicode,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lowrank::model::Reconstruction;
    use ndarray::array;
    use serde_json::json;
    use std::sync::Arc;

    fn small() -> (Loaded, Arc<Decomposition>, Readouts) {
        let x = array![[3.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
        let loaded = Loaded {
            name: "tiny".into(),
            matrix: x.clone(),
            downscaled_from: Some((30, 20)),
            is_image: false,
        };
        let decomposition = Arc::new(Decomposition::compute(x).unwrap());
        let mut reconstruction = Reconstruction::new(Arc::clone(&decomposition));
        reconstruction.set_rank(1);
        let readouts = Readouts::compute(&reconstruction);
        (loaded, decomposition, readouts)
    }

    #[test]
    fn an_explicit_rank_is_checked_and_the_default_clamped() {
        assert_eq!(choose_rank(Some(512), 512, 600), Ok(512));
        let err = choose_rank(Some(600), 512, 512).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--rank 600 is larger than min(rows, cols) = 512"
        );
        assert_eq!(choose_rank(None, 512, 512), Ok(DEFAULT_RANK));
        assert_eq!(choose_rank(None, 1, 1), Ok(1));
        assert_eq!(choose_rank(None, 1, 5000), Ok(1));
        assert!(choose_rank(Some(2), 1, 5000).is_err());
    }

    #[test]
    fn json_has_exactly_the_documented_keys() {
        let (loaded, decomposition, readouts) = small();
        let value = serde_json::to_value(json(&loaded, &decomposition, &readouts)).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "cols",
                "decomposed",
                "downscaled_from",
                "energy_captured",
                "error",
                "error_sq",
                "error_sq_tail",
                "error_tail",
                "rank",
                "ranks_for_energy",
                "relative_error",
                "rows",
                "singular_values",
                "source",
                "storage"
            ]
        );
        assert_eq!(value["source"], "tiny");
        assert_eq!(value["rows"], 3);
        assert_eq!(value["cols"], 2);
        assert_eq!(value["rank"], 1);
        assert_eq!(value["downscaled_from"], json!([30, 20]));
        assert_eq!(value["decomposed"], "resized");
        // X = diag(3, 1) padded: σ = (3, 1); at rank 1 the error is 1² = 1 of 10.
        let sv = value["singular_values"].as_array().unwrap();
        assert_eq!(sv.len(), 2);
        assert!((sv[0].as_f64().unwrap() - 3.0).abs() < 1e-14);
        assert!((value["error_sq"].as_f64().unwrap() - 1.0).abs() < 1e-14);
        assert!((value["error_sq_tail"].as_f64().unwrap() - 1.0).abs() < 1e-14);
        assert!((value["energy_captured"].as_f64().unwrap() - 0.9).abs() < 1e-14);
        assert!((value["relative_error"].as_f64().unwrap() - 0.1f64.sqrt()).abs() < 1e-14);
        assert_eq!(value["storage"], json!({"factored": 5, "dense": 6}));
        assert_eq!(
            value["ranks_for_energy"],
            json!({"0.9": 1, "0.99": 2, "0.999": 2})
        );
    }

    #[test]
    fn json_downscaled_from_is_null_when_not_downscaled() {
        let (mut loaded, decomposition, readouts) = small();
        loaded.downscaled_from = None;
        let value = serde_json::to_value(json(&loaded, &decomposition, &readouts)).unwrap();
        assert_eq!(value["downscaled_from"], serde_json::Value::Null);
        assert_eq!(value["decomposed"], "whole");
        let text = summary(&loaded, &decomposition, &readouts);
        assert!(
            text.starts_with("source            tiny, 3×2, whole\n"),
            "{text}"
        );
    }

    #[test]
    fn summary_names_the_input_and_the_error_identity() {
        let (loaded, decomposition, readouts) = small();
        let text = summary(&loaded, &decomposition, &readouts);
        assert!(
            text.starts_with("source            tiny, 3×2, a picture resized from 30×20\n"),
            "{text}"
        );
        assert!(text.contains("rank              1 of 2\n"));
        assert!(text.contains("‖X − A*B*‖²_F     1.0000000000\n"));
        assert!(text.contains("90%: 1   99%: 2   99.9%: 2"));
        assert!(text.contains("singular values   3.000000  1.000000\n"));
    }
}
