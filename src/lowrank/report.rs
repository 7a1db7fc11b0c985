//! Headless output for Problem 2: a JSON document and a readable text summary, both built from
//! the model's [`Readouts`].

use crate::cli::CommandError;
use std::fmt::{self, Write as _};

use serde::Serialize;
use std::collections::BTreeMap;

use super::input::Loaded;
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

/// The JSON document: source, shape, rank, downscaling, every singular value, the error both
/// ways, relative error, energy, storage and the ranks needed for 90 / 99 / 99.9 % of the energy.
/// Fields are in alphabetical order, the order the keys have always been written in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub cols: usize,
    /// [rows, cols] before downscaling, or null.
    pub downscaled_from: Option<[usize; 2]>,
    pub energy_captured: f64,
    pub error_sq: f64,
    pub error_sq_tail: f64,
    pub rank: usize,
    /// "0.9", "0.99", "0.999" → the smallest rank capturing that fraction of Σ σᵢ².
    pub ranks_for_energy: BTreeMap<String, usize>,
    pub relative_error: f64,
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
        downscaled_from: loaded.downscaled_from.map(|(m, n)| [m, n]),
        energy_captured: readouts.energy_captured,
        error_sq: readouts.error_sq,
        error_sq_tail: readouts.error_sq_tail,
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

/// A few aligned lines: the input, the rank, the error computed both ways (Eckart–Young),
/// energy, storage, ranks for energy levels and the leading singular values.
pub fn summary(loaded: &Loaded, decomposition: &Decomposition, readouts: &Readouts) -> String {
    let mut out = String::new();
    let shape = match loaded.downscaled_from {
        Some((m, n)) => format!(
            "{}×{} (downscaled from {m}×{n})",
            readouts.rows, readouts.cols
        ),
        None => format!("{}×{}", readouts.rows, readouts.cols),
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
    line(
        &mut out,
        "‖X − A*B*‖²_F",
        format!("{:.10}", readouts.error_sq),
    );
    line(
        &mut out,
        "Σ_{i>r} σᵢ²",
        format!(
            "{:.10}   (difference {:.1e})",
            readouts.error_sq_tail, readouts.identity_gap
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
        .map(|s| format!("{s:.6}"))
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
    let mut loaded =
        super::input::load(&source, args.max_side as usize).map_err(CommandError::of)?;
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
                "downscaled_from",
                "energy_captured",
                "error_sq",
                "error_sq_tail",
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
        assert_eq!(
            serde_json::to_value(json(&loaded, &decomposition, &readouts)).unwrap()["downscaled_from"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn summary_names_the_input_and_the_error_identity() {
        let (loaded, decomposition, readouts) = small();
        let text = summary(&loaded, &decomposition, &readouts);
        assert!(text.starts_with("source            tiny, 3×2 (downscaled from 30×20)\n"));
        assert!(text.contains("rank              1 of 2\n"));
        assert!(text.contains("‖X − A*B*‖²_F     1.0000000000\n"));
        assert!(text.contains("90%: 1   99%: 2   99.9%: 2"));
        assert!(text.contains("singular values   3.000000  1.000000\n"));
    }
}
