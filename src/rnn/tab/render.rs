//! Drawing the tab from its state and results: the two charts, the controls, the eigenvalues,
//! the readout and the notes. Nothing here computes mathematics. [`RnnTab::areas`] places the
//! panels for both the layout step (scroll extents, mouse hits) and the frame.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Block;

use super::notes::{self, NOTE_COUNT};
use super::readout::{self, Row, Tone, at, num, speed_text};
use super::{Act, Computed, Curve, KEYS, RnnTab, SidePanel};
use crate::keymap;
use crate::numfmt;
use crate::rnn::model::CellKind;
use crate::text::spelled;
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::log_chart::{LogChart, Series};
use crate::widgets::{lines, panel};

/// Where the panels go for one size of the tab's area.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Areas {
    pub(super) rnn: Rect,
    pub(super) lstm: Rect,
    pub(super) controls: Rect,
    /// The control list in two columns with the chosen control below (small screens).
    pub(super) compact: bool,
    pub(super) eigenvalues: Option<Rect>,
    pub(super) readout: Option<Rect>,
    /// The notes' panel and which notes it holds.
    pub(super) notes: Option<(Rect, Range<usize>)>,
    /// Small screens: the one side panel, which a click switches.
    pub(super) side: Option<Rect>,
}

/// The area inside a panel's border.
fn inside(area: Rect) -> Rect {
    Block::bordered().inner(area)
}

/// The row under the compact control list: the letter and playback keys, named from the table.
fn compact_hints(unicode: bool) -> String {
    let key = |a: Act| keymap::keys_of(&KEYS, a, unicode);
    [
        format!("{} act", key(Act::NextActivation)),
        format!("{} init", key(Act::ToggleInit)),
        format!("{} clip", key(Act::NextClip)),
        format!("{} term", key(Act::ToggleStepSeries)),
        format!("{} {} step", key(Act::StepBack), key(Act::StepForward)),
        format!("{} {}", key(Act::Slower), key(Act::Faster)),
    ]
    .join(" ")
}

/// Legend rows for `series`: "mark label" items separated by "; ", packed
/// into rows of `width` columns; an item wider than a row is shortened with an ellipsis.
fn legend_lines<'a>(series: &[Series], width: usize, ui: &Ui) -> Vec<Line<'a>> {
    let sep = "; ";
    let mut rows: Vec<Line> = Vec::new();
    let mut row: Vec<Span> = Vec::new();
    let mut used = 0;
    for s in series.iter().filter(|s| !s.label.is_empty()) {
        let marks = &ui.glyphs.series_marks;
        let mark = marks[s.index % marks.len()];
        let item = crate::text::fit(&format!("{mark} {}", s.label), width, ui.glyphs.unicode);
        let w = crate::text::width(&item);
        let style = ui.theme.series[s.index % ui.theme.series.len()];
        if !row.is_empty() && used + sep.len() + w > width {
            rows.push(Line::from(std::mem::take(&mut row)));
            used = 0;
        }
        if !row.is_empty() {
            row.push(Span::styled(sep, ui.theme.dim));
            used += sep.len();
        }
        row.push(Span::styled(item, style));
        used += w;
    }
    if !row.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

/// Keeps the first `rows` legend rows; items left out are said with an ellipsis at the end of
/// the last row kept (or, with no room after it, at the end of its last item).
fn fit_legend<'a>(mut legend: Vec<Line<'a>>, rows: u16, width: u16, ui: &Ui) -> Vec<Line<'a>> {
    if legend.len() <= rows as usize || rows == 0 {
        return legend;
    }
    legend.truncate(rows as usize);
    if let Some(last) = legend.last_mut() {
        let room = (width as usize).saturating_sub(last.width());
        let more = if ui.glyphs.unicode { " …" } else { " ..." };
        if room >= crate::text::width(more) {
            last.spans.push(Span::styled(more, ui.theme.dim));
        } else if let Some(end) = last.spans.last_mut() {
            let keep = crate::text::width(&end.content).saturating_sub(1).max(1);
            end.content = crate::text::fit(&end.content, keep, ui.glyphs.unicode).into();
        }
    }
    legend
}

/// Whole items in a row of `width` columns, one space apart; an item that does not fit and
/// all after it are left out (a number is never cut to its first characters).
fn packed_row(items: Vec<Vec<Span<'_>>>, width: usize) -> Line<'_> {
    let mut spans: Vec<Span> = Vec::new();
    let mut used = 0;
    for item in items {
        let w: usize = item.iter().map(|s| crate::text::width(&s.content)).sum();
        let gap = usize::from(!spans.is_empty());
        if used + gap + w > width {
            break;
        }
        if gap == 1 {
            spans.push(Span::raw(" "));
        }
        spans.extend(item);
        used += gap + w;
    }
    Line::from(spans)
}

impl RnnTab {
    /// Where every panel goes in `area`; `None` when it is too small to draw anything.
    pub(super) fn areas(&self, area: Rect) -> Option<Areas> {
        if area.width < 4 || area.height < 3 {
            return None;
        }
        let wide = area.width >= 130 && area.height >= 36;
        let bottom_h = if wide {
            (area.height * 2 / 5 + 2).clamp(14, 24)
        } else {
            9
        };
        let [charts, bottom] = Layout::vertical([
            Constraint::Min(0),
            Constraint::Length(bottom_h.min(area.height.saturating_sub(6))),
        ])
        .areas(area);
        let [rnn, lstm] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(charts);
        let mut a = Areas {
            rnn,
            lstm,
            ..Areas::default()
        };
        if wide {
            let [controls, eigenvalues, readout, notes] = Layout::horizontal([
                Constraint::Length(44),
                // A cell is about twice as tall as wide: this keeps the complex plane square.
                Constraint::Length((bottom.height * 2).saturating_sub(4).min(bottom.width / 4)),
                Constraint::Length(36),
                Constraint::Min(20),
            ])
            .areas(bottom);
            a.controls = controls;
            a.eigenvalues = Some(eigenvalues);
            a.readout = Some(readout);
            a.notes = Some((notes, 0..NOTE_COUNT));
        } else {
            let [controls, side] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(bottom);
            a.controls = controls;
            a.compact = true;
            a.side = Some(side);
            match self.side {
                SidePanel::Eigenvalues => a.eigenvalues = Some(side),
                SidePanel::Readout => a.readout = Some(side),
                SidePanel::Note(i) => a.notes = Some((side, i..i + 1)),
            }
        }
        Some(a)
    }

    /// The layout step: records the control rows and the side panel for clicks, and the
    /// extents of the readout and the notes for their scroll keys.
    pub(super) fn lay_out(&mut self, area: Rect, ui: &Ui) {
        let a = self.areas(area).unwrap_or_default();
        self.controls.layout(a.controls, a.compact);
        self.side_hit = a.side.unwrap_or_default();
        let (readout_lines, readout_rows) = match a.readout {
            Some(r) => (self.readout_lines(ui).len(), inside(r).height),
            None => (0, 0),
        };
        self.readout_scroll.set_extent(readout_lines, readout_rows);
        let (note_lines, note_rows) = match &a.notes {
            Some((r, which)) => {
                let inner = inside(*r);
                let n = self.note_lines(inner.width, which.clone(), ui).len();
                (n, inner.height)
            }
            None => (0, 0),
        };
        self.notes_scroll.set_extent(note_lines, note_rows);
    }

    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let Some(a) = self.areas(area) else {
            return;
        };
        // Both charts give their legends the same rows, so their axes stay level.
        let legend_rows = self
            .legend_rows(CellKind::Rnn, a.rnn.width.saturating_sub(2), ui)
            .max(self.legend_rows(CellKind::Lstm, a.lstm.width.saturating_sub(2), ui));
        self.render_chart(a.rnn, buf, ui, CellKind::Rnn, legend_rows);
        self.render_chart(a.lstm, buf, ui, CellKind::Lstm, legend_rows);
        let hints = compact_hints(ui.glyphs.unicode);
        self.controls
            .render(a.controls, buf, ui, &self.settings, a.compact, &hints);
        if let Some(r) = a.eigenvalues {
            self.render_eigenvalues(r, buf, ui);
        }
        if let Some(r) = a.readout {
            self.render_readout(r, buf, ui);
        }
        if let Some((r, which)) = a.notes {
            self.render_notes(r, buf, ui, which);
        }
    }

    /// The series a chart shows: (label, curve, colour index, drawn whole rather than up to
    /// the backward pass's position).
    fn shown<'a>(
        &self,
        result: &'a Computed,
        cell: CellKind,
        u: bool,
    ) -> Vec<(Cow<'static, str>, &'a Curve, usize, bool)> {
        let c = &result.curves;
        let h_label = spelled("‖∂ℓ/∂h_t‖", u);
        let step_label = spelled("‖term t of ∂ℓ/∂W_hh‖", u);
        let mut shown = Vec::new();
        match cell {
            CellKind::Rnn => {
                shown.push((h_label, &c.rnn_h, 0, false));
                if self.show_steps {
                    shown.push((step_label, &c.rnn_step, 2, false));
                }
                if result.rnn.linear_theory.is_some() {
                    // The reference line is drawn whole: it is what the curve should follow.
                    shown.push((spelled("ρ^(T−t)", u), &c.theory, 3, true));
                }
            }
            CellKind::Lstm => {
                shown.push((h_label, &c.lstm_h, 0, false));
                shown.push((spelled("‖∂ℓ/∂c_t‖ (total)", u), &c.lstm_c, 1, false));
                if self.show_steps {
                    shown.push((step_label, &c.lstm_step, 2, false));
                }
                shown.push((spelled("max ∏ f", u), &c.forget, 3, false));
            }
        }
        shown
    }

    /// The rows the legend of `cell`'s chart needs in a chart `width` columns wide.
    fn legend_rows(&self, cell: CellKind, width: u16, ui: &Ui) -> u16 {
        let Some(result) = &self.result else {
            return 0;
        };
        let shown = self.shown(result, cell, ui.glyphs.unicode);
        let series: Vec<Series> = shown
            .iter()
            .map(|(label, _, index, _)| Series {
                label,
                points: &[],
                index: *index,
            })
            .collect();
        legend_lines(&series, width as usize, ui).len() as u16
    }

    /// A chart's panel: its title, then the error, "computing…", or the chart.
    fn render_chart(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        cell: CellKind,
        legend_rows: u16,
    ) {
        let busy = if self.worker.busy() {
            format!(" computing{}", ui.glyphs.ellipsis)
        } else {
            String::new()
        };
        let p = &self.settings.params;
        let title = match cell {
            CellKind::Rnn => format!("RNN ({}){busy}", p.activation),
            CellKind::Lstm => format!("LSTM (forget bias {:.1}){busy}", p.forget_bias),
        };
        let inner = panel(area, buf, ui, &title, false);
        if let Some(e) = self.worker.error() {
            let text: Vec<Line> = crate::text::wrap(e, inner.width as usize)
                .into_iter()
                .map(|l| Line::styled(l, ui.theme.bad))
                .collect();
            lines(inner, buf, &text);
            return;
        }
        let Some(result) = &self.result else {
            let computing = format!("computing{}", ui.glyphs.ellipsis);
            lines(inner, buf, &[Line::styled(computing, ui.theme.warn)]);
            return;
        };
        if inner.height >= 2 {
            self.render_curves(inner, buf, ui, result, cell, legend_rows);
        }
    }

    /// The legend, the log chart up to the backward pass's position, and the row of figures
    /// at that position, in `inner` (at least two rows).
    fn render_curves(
        &self,
        inner: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        result: &Computed,
        cell: CellKind,
        legend_rows: u16,
    ) {
        let t = self.cursor();
        let shown = self.shown(result, cell, ui.glyphs.unicode);
        let series: Vec<Series> = shown
            .iter()
            .map(|(label, curve, index, whole)| Series {
                label,
                points: if *whole {
                    &curve.points
                } else {
                    curve.reached(t)
                },
                index: *index,
            })
            .collect();
        // The legend on rows of its own above the chart, items separated so that the marks
        // cannot read as arithmetic; the chart keeps at least 3 rows, the figures 1.
        let legend_h = legend_rows.min(inner.height.saturating_sub(4));
        let legend = if inner.height >= 7 {
            legend_lines(&series, inner.width as usize, ui)
        } else {
            Vec::new()
        };
        let [legend_area, chart_area, figures] = Layout::vertical([
            Constraint::Length(legend_h),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        lines(
            legend_area,
            buf,
            &fit_legend(legend, legend_h, inner.width, ui),
        );
        LogChart::new(series)
            .x_bounds(0.0, result.params.steps as f64)
            .y_bounds(result.curves.y_range.0, result.curves.y_range.1)
            .cursor_ticks(t as f64)
            .x_name("t")
            .overflow_from_right(true)
            .legend(false)
            .render(chart_area, buf, ui);
        let row = self.chart_figures(result, cell, ui);
        lines(figures, buf, &[packed_row(row, figures.width as usize)]);
    }

    /// The figures under a chart at the backward pass's position: t, the run's gradient norms,
    /// the linear theory, and (under the RNN's) the playback speed.
    fn chart_figures(&self, result: &Computed, cell: CellKind, ui: &Ui) -> Vec<Vec<Span<'static>>> {
        let t = self.cursor();
        let u = ui.glyphs.unicode;
        let run = match cell {
            CellKind::Rnn => &result.rnn,
            CellKind::Lstm => &result.lstm,
        };
        let mut items: Vec<Vec<Span>> = vec![vec![Span::styled(format!("t={t}"), ui.theme.cursor)]];
        let mut item = |label: &'static str, value: Option<f64>, series: usize| {
            if let Some(v) = value {
                items.push(vec![
                    Span::styled(format!("{} ", spelled(label, u)), ui.theme.hint),
                    Span::styled(num(v), ui.theme.series[series]),
                ]);
            }
        };
        item("‖∂ℓ/∂h_t‖", at(&run.bptt.grad_h, t), 0);
        item(
            "‖∂ℓ/∂c_t‖",
            run.bptt.grad_c.as_deref().and_then(|g| at(g, t)),
            1,
        );
        item(
            "ρ^(T−t)",
            run.linear_theory.as_deref().and_then(|g| at(g, t)),
            3,
        );
        if cell == CellKind::Rnn {
            let times = if u { "×" } else { "x" };
            items.push(vec![Span::styled(
                format!("speed {times}{}", speed_text(self.speed())),
                ui.theme.dim,
            )]);
        }
        items
    }

    fn render_eigenvalues(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = spelled("Eigenvalues of W_hh", ui.glyphs.unicode);
        let inner = panel(area, buf, ui, &title, false);
        let Some(result) = &self.result else {
            return;
        };
        if inner.width < 4 || inner.height < 3 {
            return;
        }
        let t = &ui.theme;
        let lambda = spelled("λ", ui.glyphs.unicode);
        let caption = crate::text::fit(
            &format!(
                "max|{lambda}| = {}, dots: |{lambda}| = 1",
                numfmt::general(result.spectral_radius, 3),
            ),
            inner.width as usize,
            ui.glyphs.unicode,
        );
        let [plane, caption_row] =
            Layout::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(inner);
        lines(caption_row, buf, &[Line::styled(caption, t.dim)]);
        let mut canvas = DotCanvas::new(plane.width, plane.height, ui.glyphs.unicode);
        // Equal scales on both axes: a cell is about twice as tall as it is wide.
        let (phys_w, phys_h) = (plane.width as f64, 2.0 * plane.height as f64);
        let reach = result.spectral_radius.max(1.0) * 1.15;
        let scale = phys_w.min(phys_h) / (2.0 * reach);
        let view = Viewport {
            x: (-phys_w / (2.0 * scale), phys_w / (2.0 * scale)),
            y: (-phys_h / (2.0 * scale), phys_h / (2.0 * scale)),
        };
        // Axes, then the unit circle, then the eigenvalues on top.
        let (w, h) = (canvas.width(), canvas.height());
        if let (Some((x0, y0)), Some((x1, _))) = (
            view.to_dot(&canvas, view.x.0, 0.0),
            view.to_dot(&canvas, view.x.1, 0.0),
        ) {
            for x in (x0..=x1).step_by(2) {
                canvas.dot(x, y0, t.border, '-');
            }
        }
        if let Some((x0, _)) = view.to_dot(&canvas, 0.0, 0.0) {
            for y in (0..h).step_by(2) {
                canvas.dot(x0, y, t.border, '|');
            }
        }
        let samples = 4 * (w + h).max(8);
        for k in 0..samples {
            let angle = std::f64::consts::TAU * k as f64 / samples as f64;
            if let Some((x, y)) = view.to_dot(&canvas, angle.cos(), angle.sin()) {
                canvas.dot(x, y, t.dim, '.');
            }
        }
        let mark = ui.glyphs.series_marks[0].chars().next().unwrap_or('*');
        for &(re, im) in &result.rnn.draws.eigenvalues {
            if let Some((x, y)) = view.to_dot(&canvas, re, im) {
                if ui.glyphs.unicode {
                    canvas.dot(x, y, t.series[0], mark);
                } else {
                    let (col, row) = canvas.cell_of(x, y);
                    canvas.mark_cell(col, row, mark, t.series[0]);
                }
            }
        }
        canvas.render(plane, buf);
    }

    /// The readout panel's lines: a header (t, the runs), then the rows of `readout::rows`.
    fn readout_lines(&self, ui: &Ui) -> Vec<Line<'static>> {
        let Some(r) = &self.result else {
            return Vec::new();
        };
        let t = self.cursor();
        let th = &ui.theme;
        let u = ui.glyphs.unicode;
        let rows = readout::rows(r, t, u);
        // The label column is as wide as its longest label and a space, so no label runs into
        // its number.
        let w = rows
            .iter()
            .filter_map(|row| match row {
                Row::Pair { label, .. } => Some(spelled(label, u).chars().count() + 1),
                _ => None,
            })
            .chain([format!("t = {t}").chars().count() + 1, 13])
            .max()
            .unwrap_or(13);
        let mut out = vec![Line::from(vec![
            Span::styled(format!("{:<w$}", format!("t = {t}")), th.cursor),
            Span::styled(format!("{:<11}", "RNN"), th.title),
            Span::styled("LSTM", th.title),
        ])];
        for row in rows {
            out.push(match row {
                Row::Pair {
                    label,
                    rnn,
                    lstm,
                    tone,
                } => {
                    let style = match tone {
                        Tone::Number => th.number,
                        Tone::Bad => th.bad,
                    };
                    Line::from(vec![
                        // A label as wide as its column (spelled in ASCII) keeps a space.
                        Span::styled(
                            format!("{:<w$}", format!("{} ", spelled(&label, u))),
                            th.hint,
                        ),
                        Span::styled(format!("{rnn:<11}"), style),
                        Span::styled(lstm, style),
                    ])
                }
                Row::Remark(text) => Line::styled(text, th.dim),
                Row::Warning(text) => Line::styled(text, th.warn),
            });
        }
        out
    }

    fn render_readout(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = panel(area, buf, ui, "Readout", false);
        self.readout_scroll
            .render(inner, buf, ui, &self.readout_lines(ui));
    }

    /// The lines of notes `which` in a panel `width` columns wide inside: each note's tag,
    /// then its text wrapped beside it (one column kept for the scroll marks, three for the
    /// tag). None while the panel is too narrow or nothing is computed.
    fn note_lines(&self, width: u16, which: Range<usize>, ui: &Ui) -> Vec<Line<'static>> {
        let Some(result) = &self.result else {
            return Vec::new();
        };
        if width < 6 {
            return Vec::new();
        }
        let width = width.saturating_sub(4) as usize;
        let mut out = Vec::new();
        let s = &self.settings;
        for (tag, text) in notes::notes(result, s.clip_threshold, ui.glyphs.unicode)
            .into_iter()
            .skip(which.start)
            .take(which.len())
        {
            for (i, l) in crate::text::wrap(&text, width).into_iter().enumerate() {
                let head = if i == 0 {
                    Span::styled(format!("{tag} "), ui.theme.key)
                } else {
                    Span::raw("   ")
                };
                out.push(Line::from(vec![head, Span::styled(l, ui.theme.base)]));
            }
        }
        out
    }

    fn render_notes(&self, area: Rect, buf: &mut Buffer, ui: &Ui, which: Range<usize>) {
        let title = if which.len() == 1 {
            let next = keymap::keys_of(&KEYS, Act::NextView, ui.glyphs.unicode);
            format!("Note {}/{NOTE_COUNT} ({next}: next)", which.start + 1)
        } else {
            "Notes".to_string()
        };
        let inner = panel(area, buf, ui, &title, false);
        let text = self.note_lines(inner.width, which, ui);
        self.notes_scroll.render(inner, buf, ui, &text);
    }
}
