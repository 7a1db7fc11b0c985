//! The batch-norm panel's tables as rows of numbers: what the panel draws and the readout
//! prints, from the model's figures.

use ndarray::Array1;

use super::Figures;
use crate::resnet::model::Mode;
use crate::resnet::model::bn_live::LiveConfig;

/// A row of the panel's tables: a label and one number per channel; a `marked` row carries
/// the marker (the statistics in use).
pub(in crate::resnet::tab) struct GridRow {
    pub marked: bool,
    pub label: String,
    pub values: Vec<f64>,
}

/// One of the panel's tables: a heading over its rows.
pub(in crate::resnet::tab) struct GridTable {
    pub heading: String,
    pub rows: Vec<GridRow>,
    /// What the marker on a row says, in words.
    pub marked_means: &'static str,
}

fn grid_row(marked: bool, label: impl Into<String>, values: &Array1<f64>) -> GridRow {
    GridRow {
        marked,
        label: label.into(),
        values: values.to_vec(),
    }
}

/// The conv output's statistics for the last batch, and the running statistics before and
/// after it; in `mode`, the statistics that normalise are marked.
pub(in crate::resnet::tab) fn conv_table(f: &Figures, mode: Mode) -> GridTable {
    let (live, last) = (&f.live, &f.live.last);
    let train = mode == Mode::Train;
    GridTable {
        heading: format!("conv output, batch {}", live.model.num_batches_tracked),
        rows: vec![
            grid_row(train, "μ_B batch mean", &last.mean),
            grid_row(train, "σ²_B biased var", &last.var),
            grid_row(false, "unbiased ·n/(n−1)", &last.var_unbiased),
            grid_row(false, "running_mean before", &f.before_mean),
            grid_row(!train, "running_mean after", &live.model.running_mean),
            grid_row(false, "running_var before", &f.before_var),
            grid_row(!train, "running_var after", &live.model.running_var),
        ],
        marked_means: "normalises in this mode",
    }
}

/// The BN output's mean and variance per channel in either mode; `mode`'s rows are marked.
pub(in crate::resnet::tab) fn output_table(f: &Figures, mode: Mode) -> GridTable {
    let mut rows = Vec::new();
    for (m, stats) in [(Mode::Train, &f.train_output), (Mode::Eval, &f.eval_output)] {
        if let Some(stats) = stats {
            let name = m.name();
            rows.push(grid_row(
                m == mode,
                format!("{name}: output mean"),
                &stats.mean,
            ));
            rows.push(grid_row(
                m == mode,
                format!("{name}: output var"),
                &stats.var,
            ));
        }
    }
    GridTable {
        heading: format!("BN output, batch {}", f.live.model.num_batches_tracked),
        rows,
        marked_means: "this mode",
    }
}

/// The spread of the batch statistics over many batches at each batch size; the panel's own
/// batch size is marked.
pub(in crate::resnet::tab) fn spread_table(f: &Figures, cfg: &LiveConfig) -> GridTable {
    let mut rows = Vec::new();
    for s in &f.live.spread {
        let (n, current) = (s.batch, s.batch == cfg.batch);
        rows.push(grid_row(
            current,
            format!("N = {n}: std of μ_B"),
            &s.mean_std,
        ));
        rows.push(grid_row(
            current,
            format!("N = {n}: std of σ²_B"),
            &s.var_std,
        ));
    }
    GridTable {
        heading: format!("spread over {} batches", cfg.spread_batches),
        rows,
        marked_means: "this panel's batch size",
    }
}

/// What the conv bias b does to the BN output in either mode; `mode`'s rows are marked. Two
/// what-ifs in eval mode: the same running statistics with b taken out (or put in) after
/// training, and two layers each trained on the same batches with its own statistics.
pub(in crate::resnet::tab) fn bias_table(f: &Figures, cfg: &LiveConfig, mode: Mode) -> GridTable {
    let (b, s) = (&f.live.bias, &f.live.from_start);
    let train = mode == Mode::Train;
    let k = s.batches;
    let one = |marked: bool, label: &str, x: f64| GridRow {
        marked,
        label: label.to_string(),
        values: vec![x],
    };
    let heading = if cfg.conv_bias {
        "conv bias b"
    } else {
        "conv bias b, what-if"
    };
    GridTable {
        heading: heading.to_string(),
        rows: vec![
            grid_row(false, "b", &b.bias),
            one(train, "train: max |Δ|", b.train_max_difference),
            grid_row(!train, "eval Δ, same stats", &b.eval_shift),
            grid_row(!train, "  b·γ/√(var+ε)", &b.predicted_shift),
            grid_row(!train, "eval Δ, own stats", &s.eval_shift),
            grid_row(
                !train,
                format!("  0.9^{k}·b·γ/√(var+ε)"),
                &s.predicted_shift,
            ),
            grid_row(false, "running_mean, b on − off", &s.absorbed),
            grid_row(false, format!("  (1−0.9^{k})·b"), &s.absorbed_predicted),
            one(
                false,
                "largest |measured−formula|",
                b.eval_prediction_error.max(s.prediction_error),
            ),
        ],
        marked_means: "this mode",
    }
}
