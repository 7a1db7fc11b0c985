//! The tab's prose. The note on the runs is computed in [`crate::train::findings`] (shared
//! with `dlscope train`, and with its list of which test guards which sentence); here are
//! each run's status line, its fields in order of importance so a narrow screen drops the
//! last ones whole, and the chance label.

use crate::text::width;
use crate::train::model::{History, RunConfig, Task};

pub use crate::train::findings::{
    Findings, GUARDS, findings, note, percent, percents_apart, run_name, times,
};

/// A run's status fields, most important first: name and progress (and "diverged"), the
/// latest batch's accuracy (recall), its loss with its share of the baseline, ‖g‖. Nothing
/// non-finite is shown as a number.
pub fn status_fields(name: &str, config: &RunConfig, h: &History) -> Vec<String> {
    let mut head = format!("{name}: {}/{}", h.len(), config.iterations);
    if h.diverged {
        head.push_str(" diverged");
    }
    let mut out = vec![head];
    if let Some(Some(a)) = h.accuracy.last() {
        out.push(format!("acc {}", percents_apart(&[*a])[0]));
    }
    if let Some(&l) = h.loss.last() {
        let baseline = config.task.baseline_loss();
        out.push(if l.is_finite() {
            format!(
                "loss {} ({} of baseline)",
                crate::numfmt::general(l, 3),
                percent(l / baseline)
            )
        } else {
            "loss not finite".to_string()
        });
    }
    if let Some(&g) = h.grad_norm.last() {
        out.push(if g.is_finite() {
            format!("‖g‖ {}", crate::numfmt::general(g, 3))
        } else {
            "‖g‖ not finite".to_string()
        });
    }
    out
}

/// The fields that fit in `cols` columns whole, two spaces apart; `mark` (an ellipsis) after
/// them when some had to go. The first field is always kept.
pub fn fit_fields(fields: &[String], cols: usize, mark: &str) -> String {
    let mut line = String::new();
    for (i, f) in fields.iter().enumerate() {
        let sep = if line.is_empty() { "" } else { "  " };
        let rest_fits = i + 1 == fields.len();
        let room = if rest_fits { 0 } else { width(mark) + 1 };
        if i > 0 && width(&line) + width(sep) + width(f) + room > cols {
            // The remaining fields go; the mark says so.
            let keep_mark = width(&line) + 1 + width(mark) <= cols;
            if keep_mark {
                line.push(' ');
                line.push_str(mark);
            }
            return line;
        }
        line.push_str(sep);
        line.push_str(f);
    }
    line
}

/// The chance level of the accuracy chart: "chance 12.5%" for K = 8.
pub fn chance_label(task: Task) -> Option<String> {
    match task {
        Task::Recall { classes } => Some(format!(
            "chance {}",
            percents_apart(&[1.0 / classes as f64])[0]
        )),
        Task::Adding => None,
    }
}
