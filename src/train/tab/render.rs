//! Drawing the lab: charts of both runs overlaid (loss with the baseline, gradient norm with
//! the clipping threshold, the gradient through time of the latest batch, accuracy), one
//! status line per run, the control list and the note. Reads results; computes nothing.
//! [`TrainTab::areas`] places the panels for both the layout step and the frame.

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::{Act, KEYS, TrainTab, View, notes};
use crate::components::scroll::ScrollAct;
use crate::grad::Clip;
use crate::keymap::{self, GLOBAL, Global};
use crate::text::{fit, spelled};
use crate::theme::Ui;
use crate::train::model::{Cell, Compare, Optimizer, Task};
use crate::widgets::log_chart::{LogChart, RefLine, Scale, Series};
use crate::widgets::panel;

/// Below this the tab draws one line saying so.
const MIN_W: u16 = 30;
const MIN_H: u16 = 12;

/// Where the panels go for one size of the tab's area.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Areas {
    /// Each chart: what it shows, its panel, and the plot inside the panel.
    pub(super) charts: Vec<(View, Rect, Rect)>,
    /// The status lines, and the panel around them on large screens (small: they sit in the
    /// chart's panel, under the plot).
    pub(super) status: Rect,
    pub(super) status_panel: Option<Rect>,
    pub(super) controls: Rect,
    pub(super) note: Rect,
    /// Large screens on the adding task: the experiment's description.
    pub(super) intro: Option<Rect>,
}

/// The area inside a panel's border.
fn inside(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// The names of the first keys of `act` in the tab's table.
fn key(act: Act, unicode: bool) -> String {
    keymap::keys_of(&KEYS, act, unicode)
}

impl TrainTab {
    /// Where every panel goes in `area`; `None` when it is too small for the lab.
    pub(super) fn areas(&self, area: Rect) -> Option<Areas> {
        if area.width < MIN_W || area.height < MIN_H {
            return None;
        }
        Some(if area.width >= 120 && area.height >= 36 {
            self.large_areas(area)
        } else {
            self.small_areas(area)
        })
    }

    /// One chart (chosen with the view keys) with the status lines under it, then controls
    /// and note.
    fn small_areas(&self, area: Rect) -> Areas {
        let [top, bottom] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(10.min(area.height / 2)),
        ])
        .areas(area);
        let inner = inside(top);
        let status_h = (self.runs.len() as u16).min(inner.height.saturating_sub(3));
        let [plot, status] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(status_h)]).areas(inner);
        let [controls, note] = Layout::horizontal([
            Constraint::Length(44.min(bottom.width / 2 + 4)),
            Constraint::Min(0),
        ])
        .areas(bottom);
        Areas {
            charts: vec![(self.shown_view(self.view), top, plot)],
            status,
            status_panel: None,
            controls,
            note,
            intro: None,
        }
    }

    /// Every chart at once, the status lines, then controls and note.
    fn large_areas(&self, area: Rect) -> Areas {
        let [charts, status, bottom] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(self.runs.len() as u16 + 2),
            Constraint::Length(11),
        ])
        .areas(area);
        let [row1, row2] =
            Layout::vertical([Constraint::Length(charts.height / 2), Constraint::Min(0)])
                .areas(charts);
        let halves = |row: Rect| -> [Rect; 2] {
            Layout::horizontal([Constraint::Length(charts.width / 2), Constraint::Min(0)])
                .areas(row)
        };
        let ([a, b], [c, d]) = (halves(row1), halves(row2));
        let [controls, right] =
            Layout::horizontal([Constraint::Length(46), Constraint::Min(0)]).areas(bottom);
        let mut charts = vec![View::Loss, View::GradNorm, View::Profile]
            .into_iter()
            .zip([a, b, c])
            .map(|(v, r)| (v, r, inside(r)))
            .collect::<Vec<_>>();
        // No accuracy for a regression: the note gets its room, the description the note's.
        let (note, intro) = if matches!(self.lab.task, Task::Recall { .. }) {
            charts.push((View::Accuracy, d, inside(d)));
            (right, None)
        } else {
            (d, Some(right))
        };
        Areas {
            charts,
            status: inside(status),
            status_panel: Some(status),
            controls,
            note,
            intro,
        }
    }

    /// The layout step: records the control rows for clicks, and the extents of the note and
    /// the description for their scroll keys.
    pub(super) fn lay_out(&mut self, area: Rect, ui: &Ui) {
        let Some(a) = self.areas(area) else {
            self.note.set_extent(0, 0);
            self.intro.set_extent(0, 0);
            return;
        };
        self.controls.layout(a.controls, true);
        let u = ui.glyphs.unicode;
        let note = spelled(&self.note_text(), u).into_owned();
        self.note.fit(&note, inside(a.note));
        match a.intro {
            Some(r) => {
                let intro = spelled(&self.intro(), u).into_owned();
                self.intro.fit(&intro, inside(r));
            }
            None => self.intro.set_extent(0, 0),
        }
    }

    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let u = ui.glyphs.unicode;
        let Some(a) = self.areas(area) else {
            let quit = keymap::keys_of(GLOBAL, Global::Quit, u);
            let msg = format!("Training lab: enlarge the terminal ({quit} quits)");
            let area = area.intersection(buf.area);
            let msg = fit(&msg, area.width as usize, u);
            buf.set_stringn(area.x, area.y, msg, area.width as usize, ui.theme.hint);
            return;
        };
        let small = a.status_panel.is_none();
        for (view, panel_area, plot) in &a.charts {
            let mut title = view_title(self, *view);
            if small {
                title = format!("{title}  ({}: next chart)", key(Act::NextView, u));
            }
            panel(*panel_area, buf, ui, &spelled(&title, u), false);
            render_chart(self, *view, *plot, buf, ui);
        }
        if let Some(r) = a.status_panel {
            panel(r, buf, ui, "Runs", false);
        }
        render_status(self, a.status, buf, ui);
        self.controls
            .render(a.controls, buf, ui, &self.lab, true, &self.control_hints(u));
        self.render_note(a.note, buf, ui);
        if let Some(r) = a.intro {
            let inner = panel(r, buf, ui, "The experiment", false);
            let text = spelled(&self.intro(), u).into_owned();
            self.intro.render_text(inner, buf, ui, &text, ui.theme.base);
        }
    }

    /// Accuracy exists for recall only; on adding its place shows the loss.
    fn shown_view(&self, view: View) -> View {
        if view == View::Accuracy && self.lab.task == Task::Adding {
            View::Loss
        } else {
            view
        }
    }

    /// The row under the control list: the preset (and its key), the seed and the state.
    fn control_hints(&self, unicode: bool) -> String {
        let state = if self.playing {
            "training"
        } else if self.all_finished() && self.runs.iter().any(|r| !r.history.is_empty()) {
            "finished"
        } else {
            "paused"
        };
        format!(
            "preset {} ({})  seed {}  {state}",
            self.preset.name(),
            key(Act::NextPreset, unicode),
            self.lab.seed
        )
    }

    /// The note's paragraphs on separate lines: what the runs show (before any result, what
    /// they are), then why a run could not start.
    pub(super) fn note_text(&self) -> String {
        let histories = self.histories();
        let mut paragraphs = notes::note(&self.lab, &histories);
        if paragraphs.is_empty() {
            paragraphs.push(self.intro());
        }
        for run in &self.runs {
            if let Some(e) = run.error() {
                paragraphs.push(e.to_string());
            }
        }
        paragraphs.join("\n")
    }

    fn render_note(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let u = ui.glyphs.unicode;
        let title = format!(
            "What the runs show ({}/{})",
            key(Act::Note(ScrollAct::Down), u),
            key(Act::Note(ScrollAct::Up), u)
        );
        let inner = panel(area, buf, ui, &title, false);
        if inner.width < 2 || inner.height == 0 {
            return;
        }
        let text = spelled(&self.note_text(), u).into_owned();
        self.note.render_text(inner, buf, ui, &text, ui.theme.base);
    }

    /// What the runs are, before any result.
    pub(super) fn intro(&self) -> String {
        let lab = &self.lab;
        let labels: Vec<String> = (0..self.runs.len()).map(|i| run_label(self, i)).collect();
        let task = match lab.task {
            Task::Adding => "the adding task (sum of the two marked values)".to_string(),
            Task::Recall { classes } => format!("recall of the first of {classes} symbols"),
        };
        let opt = match lab.optimizer {
            Optimizer::Adam => "Adam".to_string(),
            Optimizer::Sgd { momentum } => format!("SGD with momentum {momentum}"),
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

/// Each run's points in `view`: (iteration or t, value).
fn chart_points(tab: &TrainTab, view: View) -> Vec<Vec<(f64, f64)>> {
    tab.runs
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
        .collect()
}

/// Before any point: how to start (or that no run could), centred in `area`.
fn render_waiting(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let u = ui.glyphs.unicode;
    let msg = if tab.runs.iter().any(|r| r.error().is_some()) {
        "no run could start (see the note)".to_string()
    } else {
        format!(
            "{} starts both runs; {} trains one iteration",
            key(Act::Play, u),
            key(Act::Step, u)
        )
    };
    let y = area.y + area.height / 2;
    let text = fit(&spelled(&msg, u), area.width as usize, u);
    let x = area.x + (area.width.saturating_sub(crate::text::width(&text) as u16)) / 2;
    buf.set_stringn(x, y, text, area.width as usize, ui.theme.hint);
}

fn render_chart(tab: &TrainTab, view: View, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let points = chart_points(tab, view);
    if points.iter().all(Vec::is_empty) {
        render_waiting(tab, area, buf, ui);
        return;
    }
    let labels: Vec<String> = (0..tab.runs.len()).map(|i| run_label(tab, i)).collect();
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
    let lab = &tab.lab;
    let iterations = (lab.iterations as f64).max(2.0);
    let chart = LogChart::new(series_list);
    match view {
        View::Loss => {
            let baseline = lab.task.baseline_loss();
            let label = format!("baseline {}", crate::numfmt::general(baseline, 3));
            chart
                .x_bounds(1.0, iterations)
                .x_name("iteration")
                .ref_line(RefLine {
                    y: baseline,
                    label: &label,
                })
                .render(area, buf, ui);
        }
        View::GradNorm => {
            let chart = chart.x_bounds(1.0, iterations).x_name("iteration");
            let label = lab.clip.threshold().map(|c| format!("c = {c}"));
            match (lab.clip, &label) {
                (Clip::Norm(c), Some(label)) => chart.ref_line(RefLine { y: c, label }),
                _ => chart,
            }
            .render(area, buf, ui);
        }
        View::Profile => chart
            .x_bounds(1.0, (lab.steps as f64).max(2.0))
            .x_name("t")
            .render(area, buf, ui),
        View::Accuracy => {
            let chance = match lab.task {
                Task::Recall { classes } => 1.0 / classes as f64,
                Task::Adding => 0.0,
            };
            let label = notes::chance_label(lab.task).unwrap_or_default();
            chart
                .y_scale(Scale::Linear)
                .y_bounds(0.0, 1.0)
                .x_bounds(1.0, iterations)
                .x_name("iteration")
                .ref_line(RefLine {
                    y: chance,
                    label: &label,
                })
                .render(area, buf, ui);
        }
    }
}

fn series(values: &[f64]) -> Vec<(f64, f64)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| ((i + 1) as f64, *v))
        .collect()
}

/// A run's status fields, most important first (or why it could not start).
pub(super) fn status_fields(tab: &TrainTab, i: usize) -> Vec<String> {
    let run = &tab.runs[i];
    if let Some(e) = run.error() {
        return vec![format!("{}: {e}", run_label(tab, i))];
    }
    notes::status_fields(&run_label(tab, i), &run.config, &run.history)
}

/// A run's whole status line (the readout's).
pub(super) fn status_text(tab: &TrainTab, i: usize) -> String {
    status_fields(tab, i).join("  ")
}

/// One line per run: where it is and its latest numbers.
fn render_status(tab: &TrainTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    for (i, run) in tab.runs.iter().enumerate().take(area.height as usize) {
        let mark = ui.glyphs.series_marks[i % ui.glyphs.series_marks.len()];
        let style = ui.theme.series[i % ui.theme.series.len()];
        let u = ui.glyphs.unicode;
        let fields: Vec<String> = status_fields(tab, i)
            .iter()
            .map(|f| spelled(f, u).into_owned())
            .collect();
        let width = (area.width as usize).saturating_sub(2);
        let text = notes::fit_fields(&fields, width, if u { "…" } else { "..." });
        let text = fit(&text, width, u);
        let line = Line::from(vec![
            Span::styled(format!("{mark} "), style),
            Span::styled(
                fit(&text, width, ui.glyphs.unicode),
                if run.error().is_some() || run.history.diverged {
                    ui.theme.bad
                } else {
                    ui.theme.base
                },
            ),
        ]);
        buf.set_line(area.x, area.y + i as u16, &line, area.width);
    }
}
