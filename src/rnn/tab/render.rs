//! Drawing the tab from its state and results: the two charts, the controls, the eigenvalues,
//! the readout and the notes. Nothing here computes mathematics.

use std::borrow::Cow;

use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::notes::{self, NOTE_COUNT};
use super::{Control, Curve, HitAreas, RnnTab, SidePanel};
use crate::controls::Cycle;
use crate::numfmt;
use crate::rnn::model::{CellKind, CellSplit, Clip, Run, Verdict, gradient_ratio, rho_power_text};
use crate::text::spelled;
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::log_chart::{LogChart, Series};
use crate::widgets::slider::Slider;
use crate::widgets::{lines, panel, readout, scroll};

fn num(x: f64) -> String {
    numfmt::general(x, 3)
}

/// A speed multiple as a short fraction: 1/8, 1/2, 1, 4.
fn speed_text(speed: f64) -> String {
    if speed >= 1.0 {
        format!("{speed:.0}")
    } else {
        format!("1/{:.0}", 1.0 / speed)
    }
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

/// A panel whose title is shortened with an ellipsis rather than cut.
fn titled(area: Rect, buf: &mut Buffer, ui: &Ui, title: &str) -> Rect {
    let room = area.width.saturating_sub(4) as usize;
    panel(
        area,
        buf,
        ui,
        &crate::text::fit(title, room, ui.glyphs.unicode),
        false,
    )
}

/// The value at index t, if there is one.
fn at(values: &[f64], t: usize) -> Option<f64> {
    values.get(t).copied()
}

impl RnnTab {
    pub(super) fn draw(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let area = area.intersection(buf.area);
        if area.width < 4 || area.height < 3 {
            return;
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
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(charts);
        // Inside the panels' borders.
        let legend_rows = self
            .legend_rows(CellKind::Rnn, left.width.saturating_sub(2), ui)
            .max(self.legend_rows(CellKind::Lstm, right.width.saturating_sub(2), ui));
        self.render_chart(left, buf, ui, CellKind::Rnn, legend_rows);
        self.render_chart(right, buf, ui, CellKind::Lstm, legend_rows);
        let mut hits = HitAreas::default();
        if wide {
            let [controls, eigen, readout_area, notes] = Layout::horizontal([
                Constraint::Length(44),
                // A cell is about twice as tall as wide: this keeps the complex plane square.
                Constraint::Length((bottom.height * 2).saturating_sub(4).min(bottom.width / 4)),
                Constraint::Length(36),
                Constraint::Min(20),
            ])
            .areas(bottom);
            hits.controls = self.render_controls(controls, buf, ui, false);
            self.render_eigenvalues(eigen, buf, ui);
            self.render_readout(readout_area, buf, ui);
            self.render_notes(notes, buf, ui, 0..NOTE_COUNT);
        } else {
            let [controls, side] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(bottom);
            hits.controls = self.render_controls(controls, buf, ui, true);
            hits.side = side;
            match self.side {
                SidePanel::Eigenvalues => self.render_eigenvalues(side, buf, ui),
                SidePanel::Readout => self.render_readout(side, buf, ui),
                SidePanel::Note(i) => self.render_notes(side, buf, ui, i..i + 1),
            }
        }
        self.hits.set(hits);
    }

    /// The series a chart shows: (label, curve, colour index, drawn whole rather than up to
    /// the backward pass's position).
    fn shown<'a>(
        &self,
        result: &'a super::Computed,
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
        let title = match cell {
            CellKind::Rnn => format!("RNN ({}){busy}", self.params.activation),
            CellKind::Lstm => format!("LSTM (forget bias {:.1}){busy}", self.params.forget_bias),
        };
        let inner = titled(area, buf, ui, &title);
        if let Some(e) = &self.error {
            let text: Vec<Line> = crate::text::wrap(e, inner.width as usize)
                .into_iter()
                .map(|l| Line::styled(l, ui.theme.bad))
                .collect();
            lines(inner, buf, &text);
            return;
        }
        let Some(result) = &self.result else {
            lines(
                inner,
                buf,
                &[Line::styled(
                    format!("computing{}", ui.glyphs.ellipsis),
                    ui.theme.warn,
                )],
            );
            return;
        };
        if inner.height < 2 {
            return;
        }
        let c = &result.curves;
        let t = self.cursor();
        let u = ui.glyphs.unicode;
        let shown = self.shown(result, cell, u);
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
        // cannot read as arithmetic, never cut (an item too wide for a row gets an ellipsis).
        let legend = if inner.height >= 7 {
            legend_lines(&series, inner.width as usize, ui)
        } else {
            Vec::new()
        };
        // Both charts give their legends the same rows, so their axes stay level.
        // The chart keeps at least 3 rows, the readout row 1.
        let legend_h = legend_rows.min(inner.height.saturating_sub(4));
        let mut legend = legend;
        if legend.len() > legend_h as usize && legend_h > 0 {
            // Items left out: say so at the end of the last row shown.
            legend.truncate(legend_h as usize);
            if let Some(last) = legend.last_mut() {
                let room = (inner.width as usize).saturating_sub(last.width());
                let more = if ui.glyphs.unicode { " …" } else { " ..." };
                if room >= crate::text::width(more) {
                    last.spans.push(Span::styled(more, ui.theme.dim));
                } else if let Some(end) = last.spans.last_mut() {
                    // No room after it: the last item itself ends in an ellipsis.
                    let keep = crate::text::width(&end.content).saturating_sub(1).max(1);
                    end.content = crate::text::fit(&end.content, keep, ui.glyphs.unicode).into();
                }
            }
        }
        lines(
            Rect::new(inner.x, inner.y, inner.width, legend_h),
            buf,
            &legend,
        );
        let chart_area = Rect::new(
            inner.x,
            inner.y + legend_h,
            inner.width,
            inner.height - 1 - legend_h,
        );
        let readout_row = Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1);
        let steps = result.params.steps as f64;
        LogChart::new(series)
            .x_bounds(0.0, steps)
            .y_bounds(c.y_range.0, c.y_range.1)
            .cursor_ticks(t as f64)
            .x_name("t")
            .overflow_from_right(true)
            .even_decade_ticks(true)
            .legend(false)
            .render(chart_area, buf, ui);

        let run = match cell {
            CellKind::Rnn => &result.rnn,
            CellKind::Lstm => &result.lstm,
        };
        // Whole items only: a number is never cut to its first characters.
        let u = ui.glyphs.unicode;
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
        let mut spans: Vec<Span> = Vec::new();
        let mut used = 0;
        for item in items {
            let w: usize = item.iter().map(|s| crate::text::width(&s.content)).sum();
            let gap = usize::from(!spans.is_empty());
            if used + gap + w > readout_row.width as usize {
                break;
            }
            if gap == 1 {
                spans.push(Span::raw(" "));
            }
            spans.extend(item);
            used += gap + w;
        }
        lines(readout_row, buf, &[Line::from(spans)]);
    }

    /// Draws the controls; returns (area, controls per column, columns) for mouse hits.
    fn render_controls(
        &self,
        area: Rect,
        buf: &mut Buffer,
        ui: &Ui,
        compact: bool,
    ) -> (Rect, usize, usize) {
        let title = spelled("Controls ↑↓ choose ←→ change", ui.glyphs.unicode);
        let room = area.width.saturating_sub(4) as usize;
        let inner = panel(
            area,
            buf,
            ui,
            &crate::text::fit(&title, room, ui.glyphs.unicode),
            true,
        );
        if inner.width == 0 || inner.height == 0 {
            return (Rect::default(), 0, 0);
        }
        let t = &ui.theme;
        let label_w = 12u16;
        if !compact && inner.height as usize >= Control::ALL.len() {
            for (i, c) in Control::ALL.iter().copied().enumerate() {
                let row = Rect::new(inner.x, inner.y + i as u16, inner.width, 1);
                let value = self.value_text(c);
                let label = format!("{:<w$}", c.label(), w = label_w as usize);
                if c == Control::Seed {
                    let style = if c == self.focus {
                        t.key.add_modifier(Modifier::REVERSED)
                    } else {
                        t.hint
                    };
                    lines(
                        row,
                        buf,
                        &[Line::from(vec![
                            Span::styled(label, style),
                            Span::raw(" "),
                            Span::styled(value, t.number),
                        ])],
                    );
                } else {
                    Slider {
                        label: &label,
                        value: &value,
                        position: self.position(c),
                        focused: c == self.focus,
                    }
                    .render(row, buf, ui);
                }
            }
            let rows = Rect::new(inner.x, inner.y, inner.width, Control::ALL.len() as u16);
            return (rows, Control::ALL.len(), 1);
        }
        // Compact: the values in two columns, then the focused control as a slider.
        let per_column = Control::ALL.len().div_ceil(2);
        let grid_h = (per_column as u16).min(inner.height.saturating_sub(1));
        let column_w = inner.width / 2;
        for (i, c) in Control::ALL.iter().copied().enumerate() {
            let (col, row) = (i / per_column, i % per_column);
            if row as u16 >= grid_h {
                continue;
            }
            let x = inner.x + col as u16 * column_w;
            let style = if c == self.focus {
                t.key.add_modifier(Modifier::REVERSED)
            } else {
                t.hint
            };
            // Labels padded to the longest of their column.
            let pad = Control::ALL
                .iter()
                .skip(col * per_column)
                .take(per_column)
                .map(|c| c.label().len())
                .max()
                .unwrap_or(0);
            let text = format!("{:<pad$}", c.label());
            // A value too long for its column gets an ellipsis.
            let room = (column_w as usize).saturating_sub(pad + 1);
            let value = crate::text::fit(&self.value_text(c), room, ui.glyphs.unicode);
            let line = Line::from(vec![
                Span::styled(text, style),
                Span::raw(" "),
                Span::styled(value, t.number),
            ]);
            lines(
                Rect::new(x, inner.y + row as u16, column_w, 1),
                buf,
                &[line],
            );
        }
        if inner.height > grid_h {
            let row = Rect::new(inner.x, inner.y + grid_h, inner.width, 1);
            let value = self.value_text(self.focus);
            if self.focus == Control::Seed {
                lines(row, buf, &[readout(ui, "seed", value)]);
            } else {
                Slider {
                    label: self.focus.label(),
                    value: &value,
                    position: self.position(self.focus),
                    focused: true,
                }
                .render(row, buf, ui);
            }
        }
        if inner.height > grid_h + 1 {
            let row = Rect::new(inner.x, inner.y + grid_h + 1, inner.width, 1);
            let keys = "a act i init c clip w term , . step < >";
            let keys = crate::text::fit(keys, row.width as usize, ui.glyphs.unicode);
            lines(row, buf, &[Line::styled(keys, t.dim)]);
        }
        let grid = Rect::new(inner.x, inner.y, column_w.saturating_mul(2), grid_h);
        (grid, per_column, 2)
    }

    fn render_eigenvalues(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let title = spelled("Eigenvalues of W_hh", ui.glyphs.unicode);
        let inner = titled(area, buf, ui, &title);
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
        lines(
            Rect::new(inner.x, inner.y + inner.height - 1, inner.width, 1),
            buf,
            &[Line::styled(caption, t.dim)],
        );
        let plane = Rect::new(inner.x, inner.y, inner.width, inner.height - 1);
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

    fn render_readout(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "Readout");
        let Some(r) = &self.result else {
            return;
        };
        let t = self.cursor();
        let th = &ui.theme;
        let u = ui.glyphs.unicode;
        let w = 13usize;
        let row = |label: &str, a: Option<f64>, b: Option<f64>| -> Line<'static> {
            let cell = |v: Option<f64>| v.map_or_else(|| "-".to_string(), num);
            Line::from(vec![
                Span::styled(format!("{:<w$}", spelled(label, u)), th.hint),
                Span::styled(format!("{:<11}", cell(a)), th.number),
                Span::styled(cell(b), th.number),
            ])
        };
        let words = |label: &str, a: String, b: String, style| -> Line<'static> {
            Line::from(vec![
                Span::styled(format!("{label:<w$}"), th.hint),
                Span::styled(format!("{a:<11}"), style),
                Span::styled(b, style),
            ])
        };
        let ratio = |run: &Run| gradient_ratio(&run.bptt.grad_h);
        let overflow = |run: &Run| -> String {
            match run.bptt.overflow_from {
                Some(t) => format!("t={t}"),
                None => "none".into(),
            }
        };
        let split = |f: fn(&CellSplit) -> &Vec<f64>| {
            r.lstm.bptt.cell_split.as_ref().and_then(|s| at(f(s), t))
        };
        // The clipping rows come first so that they show in the smallest panel.
        let mut out = vec![
            Line::from(vec![
                Span::styled(format!("{:<w$}", format!("t = {t}")), th.cursor),
                Span::styled(format!("{:<11}", "RNN"), th.title),
                Span::styled("LSTM", th.title),
            ]),
            row(
                "‖∂ℓ/∂h_t‖",
                at(&r.rnn.bptt.grad_h, t),
                at(&r.lstm.bptt.grad_h, t),
            ),
            row(
                "‖∂ℓ/∂c_t‖",
                None,
                r.lstm.bptt.grad_c.as_deref().and_then(|g| at(g, t)),
            ),
            row(
                "‖∇θ ℓ‖",
                Some(r.rnn.bptt.param_grad_norm),
                Some(r.lstm.bptt.param_grad_norm),
            ),
        ];
        match r.params.clip {
            Clip::None => out.push(Line::styled("clipping off (c: on)", th.dim)),
            clip => {
                out.push(row(
                    &format!("clipped {}", clip.name()),
                    Some(r.rnn.clipped_param_grad_norm),
                    Some(r.lstm.clipped_param_grad_norm),
                ));
                if let Clip::Norm(_) = clip {
                    out.push(row(
                        "torch coef",
                        Some(clip.norm_coefficient(r.rnn.bptt.param_grad_norm)),
                        Some(clip.norm_coefficient(r.lstm.bptt.param_grad_norm)),
                    ));
                }
            }
        }
        out.push(words(
            "overflow",
            overflow(&r.rnn),
            overflow(&r.lstm),
            th.bad,
        ));
        out.push(row("ratio 0/T", Some(ratio(&r.rnn)), Some(ratio(&r.lstm))));
        out.push(words(
            "verdict",
            Verdict::of(ratio(&r.rnn)).word().to_string(),
            Verdict::of(ratio(&r.lstm)).word().to_string(),
            th.number,
        ));
        out.push(words(
            &spelled("ρ^T (linear)", u),
            rho_power_text(r.params.rho, r.params.steps),
            "-".into(),
            th.number,
        ));
        out.push(row(
            "ρ^(T−t)",
            r.rnn.linear_theory.as_deref().and_then(|g| at(g, t)),
            None,
        ));
        out.push(row("cell path", None, split(|s| &s.cell_path)));
        out.push(row("via W_hh", None, split(|s| &s.through_w_hh)));
        out.push(row(
            "max ∏ f",
            None,
            r.lstm.bptt.forget_product.as_deref().and_then(|g| at(g, t)),
        ));
        for w in r.rnn.draws.warnings.iter().chain(&r.lstm.draws.warnings) {
            out.push(Line::styled(w.clone(), th.warn));
        }
        scroll::render(inner, buf, ui, &out, self.scroll);
    }

    fn render_notes(&self, area: Rect, buf: &mut Buffer, ui: &Ui, which: std::ops::Range<usize>) {
        let title = if which.len() == 1 {
            format!("Note {}/{NOTE_COUNT} (v: next)", which.start + 1)
        } else {
            "Notes".to_string()
        };
        let inner = titled(area, buf, ui, &title);
        if inner.width < 6 {
            return;
        }
        let Some(result) = &self.result else {
            return;
        };
        let mut out: Vec<Line> = Vec::new();
        // One column is kept free for the scroll marks, three for the tag.
        let width = inner.width.saturating_sub(4) as usize;
        for (tag, text) in notes::notes(result, self.clip_threshold, ui.glyphs.unicode)
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
        scroll::render(inner, buf, ui, &out, self.scroll);
    }
}
