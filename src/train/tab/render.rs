//! Drawing the lab: charts of both runs overlaid (loss with the baseline, gradient norm with
//! the clipping threshold, the gradient through time of the latest batch, accuracy), one
//! status line per run, the control list and the note. Reads results; computes nothing.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Control, TrainTab, View, notes};
use crate::controls::Cycle;
use crate::grad::Clip;
use crate::text::{fit, spelled};
use crate::theme::Ui;
use crate::train::model::{Cell, Compare, Task};
use crate::widgets::log_chart::{LogChart, RefLine, Scale, Series};
use crate::widgets::{panel, scroll, split_h, split_v};

/// Below this the tab draws one line saying so.
const MIN_W: u16 = 30;
const MIN_H: u16 = 12;

pub fn render(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let area = area.intersection(buf.area);
    if area.width < MIN_W || area.height < MIN_H {
        let msg = fit(
            "Training lab: enlarge the terminal (q quits)",
            area.width as usize,
            ui.glyphs.unicode,
        );
        buf.set_stringn(area.x, area.y, msg, area.width as usize, ui.theme.hint);
        return;
    }
    if area.width >= 120 && area.height >= 36 {
        render_large(tab, area, buf, ui);
    } else {
        render_small(tab, area, buf, ui);
    }
}

/// One chart (chosen with `v`) with the status lines under it, then controls and note.
fn render_small(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let bottom_h = 10.min(area.height / 2);
    let (top, bottom) = split_v(area, area.height - bottom_h);
    let view = shown_view(tab, tab.view);
    let title = format!("{}  (v: next chart)", view_title(tab, view));
    let inner = panel(top, buf, ui, &spelled(&title, ui.glyphs.unicode), false);
    let status_h = (tab.runs.len() as u16).min(inner.height.saturating_sub(3));
    let (chart, status) = split_v(inner, inner.height - status_h);
    render_chart(tab, view, chart, buf, ui);
    render_status(tab, status, buf, ui);
    let (controls, note) = split_h(bottom, 44.min(bottom.width / 2 + 4));
    render_controls(tab, controls, buf, ui);
    render_note(tab, note, buf, ui);
}

/// Every chart at once, the status lines, then controls and note.
fn render_large(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let bottom_h = 11;
    let status_h = tab.runs.len() as u16 + 2;
    let charts_h = area.height - bottom_h - status_h;
    let (charts, rest) = split_v(area, charts_h);
    let (status, bottom) = split_v(rest, status_h);
    let (row1, row2) = split_v(charts, charts_h / 2);
    let half = charts.width / 2;
    let (a, b) = split_h(row1, half);
    let (c, d) = split_h(row2, half);
    for (view, r) in [(View::Loss, a), (View::GradNorm, b), (View::Profile, c)] {
        let inner = panel(
            r,
            buf,
            ui,
            &spelled(&view_title(tab, view), ui.glyphs.unicode),
            false,
        );
        render_chart(tab, view, inner, buf, ui);
    }
    let (controls, note) = split_h(bottom, 46);
    if matches!(tab.lab.task, Task::Recall { .. }) {
        let inner = panel(
            d,
            buf,
            ui,
            &spelled(&view_title(tab, View::Accuracy), ui.glyphs.unicode),
            false,
        );
        render_chart(tab, View::Accuracy, inner, buf, ui);
        render_note(tab, note, buf, ui);
    } else {
        // No accuracy for a regression: the note gets the room.
        render_note(tab, d, buf, ui);
        render_intro(tab, note, buf, ui);
    }
    let inner = panel(status, buf, ui, "Runs", false);
    render_status(tab, inner, buf, ui);
    render_controls(tab, controls, buf, ui);
}

/// Accuracy exists for recall only; on adding its place shows the loss.
fn shown_view(tab: &TrainTab, view: View) -> View {
    if view == View::Accuracy && tab.lab.task == Task::Adding {
        View::Loss
    } else {
        view
    }
}

fn view_title(tab: &TrainTab, view: View) -> String {
    match view {
        View::Loss => "Loss per iteration (log), baseline dotted".to_string(),
        View::GradNorm => match tab.lab.clip {
            Clip::Norm(_) => "‖g‖ before clipping (log), clip threshold dotted".to_string(),
            Clip::Value(_) => {
                "‖g‖ before clipping (log); value clipping acts per entry".to_string()
            }
            Clip::None => "‖g‖ of all parameters (log)".to_string(),
        },
        View::Profile => "‖∂ℓ/∂h_t‖ of the latest batch (log)".to_string(),
        View::Accuracy => "Accuracy per iteration, chance dotted".to_string(),
    }
}

/// The series label of run `i`: what the two runs differ in.
pub fn run_label(tab: &TrainTab, i: usize) -> String {
    let Some(run) = tab.runs.get(i) else {
        return String::new();
    };
    let c = &run.config;
    match tab.lab.compare {
        Compare::Clipping => {
            if c.clip == Clip::None {
                "no clip".into()
            } else {
                format!("clip {}", c.clip)
            }
        }
        _ => match c.cell {
            Cell::Lstm => "LSTM".into(),
            Cell::Rnn => format!("RNN {}", c.activation.name()),
        },
    }
}

fn render_chart(tab: &TrainTab, view: View, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let labels: Vec<String> = (0..tab.runs.len()).map(|i| run_label(tab, i)).collect();
    let points: Vec<Vec<(f64, f64)>> = tab
        .runs
        .iter()
        .map(|r| match view {
            View::Loss => series(&r.history.loss),
            View::GradNorm => series(&r.history.grad_norm),
            View::Accuracy => r
                .history
                .accuracy
                .iter()
                .enumerate()
                .filter_map(|(i, a)| a.map(|a| ((i + 1) as f64, a)))
                .collect(),
            View::Profile => r
                .profile
                .iter()
                .enumerate()
                .map(|(t, v)| ((t + 1) as f64, *v))
                .collect(),
        })
        .collect();
    if points.iter().all(Vec::is_empty) {
        let msg = spelled(
            if tab.runs.iter().any(|r| r.error.is_some()) {
                "no run could start (see the note)"
            } else {
                "Space starts both runs; . trains one iteration"
            },
            ui.glyphs.unicode,
        );
        let y = area.y + area.height / 2;
        let text = fit(&msg, area.width as usize, ui.glyphs.unicode);
        let x = area.x + (area.width.saturating_sub(crate::text::width(&text) as u16)) / 2;
        buf.set_stringn(x, y, text, area.width as usize, ui.theme.hint);
        return;
    }
    let series_list: Vec<Series> = points
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (p, l))| Series {
            label: l,
            points: p,
            index: i,
        })
        .collect();
    let baseline = tab.lab.task.baseline_loss();
    let baseline_label = format!("baseline {}", crate::numfmt::general(baseline, 3));
    let clip_label = tab
        .lab
        .clip
        .threshold()
        .map(|c| format!("c = {c}"))
        .unwrap_or_default();
    let chance_label = match tab.lab.task {
        Task::Recall { classes } => format!("chance {}", notes::percent(1.0 / classes as f64)),
        Task::Adding => String::new(),
    };
    let iterations = tab.lab.iterations as f64;
    let chart = LogChart::new(series_list);
    let chart = match view {
        View::Loss => chart
            .x_bounds(1.0, iterations.max(2.0))
            .x_name("iteration")
            .ref_line(RefLine {
                y: baseline,
                label: &baseline_label,
            }),
        View::GradNorm => {
            let c = chart.x_bounds(1.0, iterations.max(2.0)).x_name("iteration");
            match tab.lab.clip {
                Clip::Norm(t) => c.ref_line(RefLine {
                    y: t,
                    label: &clip_label,
                }),
                _ => c,
            }
        }
        View::Profile => chart
            .x_bounds(1.0, (tab.lab.steps as f64).max(2.0))
            .x_name("t"),
        View::Accuracy => {
            let chance = match tab.lab.task {
                Task::Recall { classes } => 1.0 / classes as f64,
                Task::Adding => 0.0,
            };
            chart
                .y_scale(Scale::Linear)
                .y_bounds(0.0, 1.0)
                .x_bounds(1.0, iterations.max(2.0))
                .x_name("iteration")
                .ref_line(RefLine {
                    y: chance,
                    label: &chance_label,
                })
        }
    };
    chart.render(area, buf, ui);
}

fn series(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64, *v))
        .collect()
}

/// One line per run: where it is and its latest numbers.
fn render_status(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let baseline = tab.lab.task.baseline_loss();
    for (i, run) in tab.runs.iter().enumerate().take(area.height as usize) {
        let mark = ui.glyphs.series_marks[i % ui.glyphs.series_marks.len()];
        let style = ui.theme.series[i % ui.theme.series.len()];
        let h = &run.history;
        let text = if let Some(e) = &run.error {
            format!("{}: {e}", run_label(tab, i))
        } else {
            let mut s = format!(
                "{}: {}/{}",
                run_label(tab, i),
                h.len(),
                run.config.iterations
            );
            if let (Some(l), Some(g)) = (h.loss.last(), h.grad_norm.last()) {
                s.push_str(&format!(
                    "  loss {} ({} of baseline)  ‖g‖ {}",
                    crate::numfmt::general(*l, 3),
                    notes::percent(l / baseline),
                    crate::numfmt::general(*g, 3)
                ));
            }
            if let Some(Some(a)) = h.accuracy.last() {
                s.push_str(&format!("  acc {}", notes::percent(*a)));
            }
            if h.diverged {
                s.push_str("  diverged");
            }
            s
        };
        let text = spelled(&text, ui.glyphs.unicode);
        let width = (area.width as usize).saturating_sub(2);
        let line = Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(
                fit(&text, width, ui.glyphs.unicode),
                if run.error.is_some() || h.diverged {
                    ui.theme.bad
                } else {
                    ui.theme.base
                },
            ),
        ]);
        buf.set_line(area.x, area.y + i as u16, &line, area.width);
    }
}

fn render_controls(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let title = if ui.glyphs.unicode {
        "Controls ↑↓ choose ←→ change"
    } else {
        "Controls (arrows)"
    };
    let inner = panel(area, buf, ui, title, true);
    if inner.height == 0 || inner.width < 4 {
        return;
    }
    let state = if tab.playing {
        "training"
    } else if tab.all_finished() && tab.runs.iter().any(|r| !r.history.is_empty()) {
        "finished"
    } else {
        "paused"
    };
    let head = format!(
        "preset {} (e)  seed {}  {state}",
        tab.preset.name(),
        tab.lab.seed
    );
    buf.set_stringn(
        inner.x,
        inner.y,
        fit(&head, inner.width as usize, ui.glyphs.unicode),
        inner.width as usize,
        ui.theme.hint,
    );
    let rows = (inner.height - 1) as usize;
    if rows == 0 {
        return;
    }
    // Two columns; when even they do not fit, the rows around the chosen control.
    let per_col = Control::ALL.len().div_ceil(2);
    let first = (tab.selected.index() % per_col)
        .saturating_sub(rows - 1)
        .min(per_col.saturating_sub(rows));
    let col_w = inner.width / 2;
    for (k, &control) in Control::ALL.iter().enumerate() {
        let (col, row) = (k / per_col, k % per_col);
        if row < first || row - first >= rows {
            continue;
        }
        let row = row - first;
        let x = inner.x + col as u16 * col_w;
        let y = inner.y + 1 + row as u16;
        let label = format!("{:<10}", control.label());
        let value = tab.value(control);
        let selected = control == tab.selected;
        let width = col_w.saturating_sub(1) as usize;
        let text = fit(&format!("{label} {value}"), width, ui.glyphs.unicode);
        let style = if selected {
            ui.theme.selected
        } else {
            ui.theme.base
        };
        buf.set_stringn(x, y, &text, width, style);
        if !selected {
            // The value in the number style, the label as a hint.
            let lw = crate::text::width(&label).min(width);
            buf.set_stringn(x, y, &text, lw, ui.theme.hint);
        }
    }
}

/// What the runs are, before any result.
fn intro(tab: &TrainTab) -> String {
    let lab = &tab.lab;
    let labels: Vec<String> = (0..tab.runs.len()).map(|i| run_label(tab, i)).collect();
    let task = match lab.task {
        Task::Adding => "the adding task (sum of the two marked values)".to_string(),
        Task::Recall { classes } => format!("recall of the first of {classes} symbols"),
    };
    let opt = match lab.optimizer {
        crate::train::model::Optimizer::Adam => "Adam".to_string(),
        crate::train::model::Optimizer::Sgd { momentum } => format!("SGD with momentum {momentum}"),
    };
    let mut s = format!(
        "{} on {task}, T = {} steps, H = {}, batch {}, {opt} at lr {}",
        labels.join(" vs "),
        lab.steps,
        lab.hidden,
        lab.batch,
        lab.lr
    );
    if lab.compare != Compare::Clipping {
        s.push_str(&format!(", clip {}", lab.clip));
    }
    if let Some(r) = lab.rho {
        s.push_str(&format!(", W_hh at spectral radius {r}"));
    }
    if let Some(b) = lab.forget_bias {
        s.push_str(&format!(", forget bias {b}"));
    }
    s.push('.');
    s
}

fn render_intro(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let inner = panel(area, buf, ui, "The experiment", false);
    let text = spelled(&intro(tab), ui.glyphs.unicode).into_owned();
    let lines = scroll::wrap_lines(&text, inner.width.saturating_sub(1) as usize, ui.theme.base);
    scroll::render(inner, buf, ui, &lines, 0);
}

fn render_note(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let inner = panel(area, buf, ui, "What the runs show (PgUp/PgDn)", false);
    if inner.width < 2 || inner.height == 0 {
        return;
    }
    let histories = tab.histories();
    let mut paragraphs = notes::note(&tab.lab, &histories);
    if paragraphs.is_empty() {
        paragraphs.push(intro(tab));
    }
    for run in &tab.runs {
        if let Some(e) = &run.error {
            paragraphs.push(e.clone());
        }
    }
    let width = inner.width.saturating_sub(1) as usize;
    let mut lines = Vec::new();
    for p in paragraphs {
        let text = spelled(&p, ui.glyphs.unicode).into_owned();
        lines.extend(scroll::wrap_lines(&text, width, ui.theme.base));
    }
    scroll::render(inner, buf, ui, &lines, tab.note_offset);
}
