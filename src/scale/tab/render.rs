//! Drawing the tab: reads the results and the view state; no mathematics beyond placing things
//! on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{
    Control, DECAY_LADDER, NOISE_LADDER, NORM_RANGE, PlaneRun, ScaleTab, View, WIDE, notes,
};
use crate::controls::Cycle;
use crate::numfmt;
use crate::text::{fit, spelled, wrap};
use crate::theme::Ui;
use crate::widgets::dots::{DotCanvas, Viewport};
use crate::widgets::log_chart::{LogChart, Scale, Series};
use crate::widgets::slider::{Slider, linear_position, log_position};
use crate::widgets::{lines, panel, readout, scroll, split_h, split_v};

/// Draws the tab: both views side by side on a wide screen, one at a time on a small one.
pub(super) fn render(tab: &ScaleTab, area: Rect, buf: &mut Buffer, ui: &Ui) {
    let area = area.intersection(buf.area);
    if area.width < 4 || area.height < 3 {
        return;
    }
    if area.width >= WIDE.0 && area.height >= WIDE.1 {
        tab.render_wide(area, buf, ui);
    } else {
        tab.render_small(area, buf, ui);
    }
}

/// A computed value.
fn num(v: f64) -> String {
    numfmt::general(v, 4)
}

/// A control's setting (fewer digits than computed values).
fn setting(v: f64) -> String {
    numfmt::general(v, 3)
}

/// A panel whose title is spelled for the glyph set and fitted (with an ellipsis) to its top
/// border.
fn titled(area: Rect, buf: &mut Buffer, ui: &Ui, title: &str, focused: bool) -> Rect {
    let room = usize::from(area.width.saturating_sub(4));
    let title = fit(&spelled(title, ui.glyphs.unicode), room, ui.glyphs.unicode);
    panel(area, buf, ui, &title, focused)
}

/// A note in our own words, wrapped into `area`; when it is longer than the area it scrolls
/// (from `offset`) with marks in the last column.
pub(super) fn note(area: Rect, buf: &mut Buffer, ui: &Ui, text: &str, offset: u16) {
    let area = area.intersection(buf.area);
    if area.width < 8 || area.height == 0 {
        return;
    }
    let text = spelled(text, ui.glyphs.unicode);
    let width = usize::from(area.width);
    let style = ui.theme.dim;
    let mut rows = scroll::wrap_lines(&text, width, style);
    if rows.len() > usize::from(area.height) {
        // One column for the scroll marks.
        rows = scroll::wrap_lines(&text, width - 1, style);
    }
    scroll::render(area, buf, ui, &rows, offset);
}

/// Puts a one-line note on the last row of a chart panel when the chart keeps at least eight
/// rows; returns the rows left for the chart.
fn with_note(inner: Rect, buf: &mut Buffer, ui: &Ui, text: &str) -> Rect {
    if inner.height < 9 {
        return inner;
    }
    let (chart, last) = split_v(inner, inner.height - 1);
    let u = ui.glyphs.unicode;
    let line = fit(&spelled(text, u), usize::from(last.width), u);
    lines(last, buf, &[Line::styled(line, ui.theme.dim)]);
    chart
}

/// The rows of `area` below the first `used`.
fn below(area: Rect, used: u16) -> Rect {
    split_v(area, used).1
}

fn vector(v: &[f64]) -> String {
    let parts: Vec<String> = v.iter().map(|x| num(*x)).collect();
    format!("({})", parts.join(", "))
}

/// `n·num/den` of a screen length, without overflowing u16.
fn fraction(n: u16, num: u32, den: u32) -> u16 {
    (u32::from(n) * num / den.max(1)).min(u32::from(u16::MAX)) as u16
}

/// A line with its own text, in the glyph set of `ui`.
fn own(ui: &Ui, line: Line<'_>) -> Line<'static> {
    Line::from(
        line.spans
            .iter()
            .map(|s| Span::styled(spelled(&s.content, ui.glyphs.unicode).into_owned(), s.style))
            .collect::<Vec<_>>(),
    )
    .style(line.style)
}

/// Lines written into `area`, each fitted to its width: a line too long ends in an ellipsis
/// instead of being cut. Returns the rows used.
fn fitted_lines(area: Rect, buf: &mut Buffer, ui: &Ui, rows: &[Line]) -> u16 {
    let width = usize::from(area.width);
    let fitted: Vec<Line> = rows.iter().map(|l| fit_line(l, width, ui)).collect();
    lines(area, buf, &fitted)
}

/// `line` in at most `width` columns: its spans as they are when they fit, else the spans that
/// fit whole and an ellipsis.
fn fit_line<'a>(line: &Line<'a>, width: usize, ui: &Ui) -> Line<'a> {
    if line.width() <= width {
        return line.clone();
    }
    let mark_w = crate::text::width(ui.glyphs.ellipsis);
    let mut out: Vec<Span<'a>> = Vec::new();
    let mut used = 0;
    for span in &line.spans {
        let w = span.width();
        if used + w + mark_w <= width {
            out.push(span.clone());
            used += w;
            continue;
        }
        // The span that does not fit is left out whole (a number is never cut to its first
        // digits); the ellipsis says something was.
        out.push(Span::styled(ui.glyphs.ellipsis, span.style));
        break;
    }
    Line::from(out).style(line.style)
}

#[derive(Clone, Copy)]
enum SeriesKind {
    Norm,
    EffectiveStep,
    Gap,
}

impl ScaleTab {
    fn render_wide(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let left_w = fraction(area.width, 9, 20).max(56).min(area.width);
        let (left, right) = split_h(area, left_w);
        let controls_h = (Control::ALL.len() as u16 + 4).min(left.height);
        let (plane, controls) = split_v(left, left.height - controls_h);
        self.render_plane(plane, buf, ui);
        self.render_controls(controls, buf, ui, false);

        let (scaling, rest) = split_v(right, 10);
        self.render_scaling(scaling, buf, ui);
        let readout_h = 12.min(rest.height);
        let (charts, readouts) = split_v(rest, rest.height - readout_h);
        self.render_chart_grid(charts, buf, ui);
        self.render_readouts(readouts, buf, ui);
    }

    fn render_small(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let controls_h = 6.min(area.height);
        let (top, controls) = split_v(area, area.height - controls_h);
        match self.view {
            View::Plane => {
                let (plane, right) = split_h(top, fraction(top.width, 2, 5));
                self.render_plane(plane, buf, ui);
                let (scaling, readouts) = split_v(right, 8.min(right.height / 2));
                self.render_scaling(scaling, buf, ui);
                self.render_readouts(readouts, buf, ui);
            }
            View::Charts => self.render_chart_grid(top, buf, ui),
        }
        self.render_controls(controls, buf, ui, true);
    }

    /// "step k/K", whether the descent plays, is paused or has finished, and its speed.
    fn status(&self, ui: &Ui) -> String {
        if self.shown.is_none() {
            return format!("computing{}", ui.glyphs.ellipsis);
        }
        let state = if self.playback.playing() {
            " ▶"
        } else if self.playback.at_end() {
            ""
        } else {
            " paused"
        };
        let speed = self.playback.speed();
        let speed = if speed == 1.0 {
            String::new()
        } else if speed < 1.0 {
            format!(" ×1/{}", (1.0 / speed).round())
        } else {
            format!(" ×{speed}")
        };
        format!(
            "step {} of {}{state}{speed}",
            self.frame(),
            self.last_frame()
        )
    }

    fn render_plane(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let (long, short) = match self.plane_run {
            PlaneRun::WithoutDecay => ("plain descent", "plain"),
            PlaneRun::WithDecay => ("with weight decay", "decay"),
        };
        let status = self.status(ui);
        let room = usize::from(area.width.saturating_sub(4));
        let title = [
            format!("3b {long}, {status}"),
            format!("3b {short}, {status}"),
            format!("{short}, {status}"),
        ]
        .into_iter()
        .find(|t| crate::text::width(&spelled(t, ui.glyphs.unicode)) <= room)
        .unwrap_or_else(|| status.clone());
        let inner = titled(area, buf, ui, &title, false);
        if inner.width < 4 || inner.height < 3 {
            return;
        }
        let t = &ui.theme;
        let u = ui.glyphs.unicode;
        let error_rows: Vec<String> = self
            .error
            .iter()
            .flat_map(|e| wrap(&spelled(e, u), usize::from(inner.width)))
            .collect();
        let Some(shown) = &self.shown else {
            let rows: Vec<Line> = if error_rows.is_empty() {
                vec![Line::styled(
                    format!("computing{}", ui.glyphs.ellipsis),
                    t.warn,
                )]
            } else {
                error_rows
                    .into_iter()
                    .map(|l| Line::styled(l, t.bad))
                    .collect()
            };
            lines(inner, buf, &rows);
            return;
        };
        let Some(run) = self.plane() else {
            return;
        };
        let mut warnings: Vec<String> = error_rows;
        if let Some(r) = run.runaway {
            let text = format!("ran away at step {}: {}", r.step, r.reason);
            warnings.extend(wrap(&spelled(&text, u), usize::from(inner.width)));
        }
        let warnings_h = warnings.len().min(4) as u16;
        let legend_h = if inner.height >= 16 { 4 } else { 1 } + warnings_h;
        let (plot, legend) = split_v(inner, inner.height.saturating_sub(legend_h));
        let mut canvas = DotCanvas::new(plot.width, plot.height, u);
        // Cells are about twice as tall as wide: keep circles round.
        let aspect = plot.width as f64 / (2.0 * plot.height.max(1) as f64);
        let r = shown.extent;
        let view = if aspect >= 1.0 {
            Viewport {
                x: (-r * aspect, r * aspect),
                y: (-r, r),
            }
        } else {
            Viewport {
                x: (-r, r),
                y: (-r / aspect, r / aspect),
            }
        };

        // Level sets: f depends on the direction only, so each cell is shaded by the band of
        // its angle; denser shading means higher f.
        let shade = ui.glyphs.leaf;
        if let Some(profile) = &shown.exploration.profile {
            for row in 0..plot.height {
                for col in 0..plot.width {
                    let (dx, dy) = if canvas.is_unicode() {
                        (col as i32 * 2 + 1, row as i32 * 4 + 2)
                    } else {
                        (col as i32, row as i32)
                    };
                    let (x, y) = view.from_dot(&canvas, dx, dy);
                    let band = profile.band_at(y.atan2(x));
                    let show = match band {
                        0 => false,
                        1 => (col + 2 * row).is_multiple_of(4),
                        2 => (col + row).is_multiple_of(2),
                        _ => true,
                    };
                    if show && let Some(cell) = buf.cell_mut((plot.x + col, plot.y + row)) {
                        cell.set_symbol(shade).set_style(t.dim);
                    }
                }
            }
        }

        // The unit circle, where the direction u_k lives.
        let circle_dots = 4 * (canvas.width() + canvas.height()).max(8);
        for i in 0..circle_dots {
            let phi = std::f64::consts::TAU * i as f64 / circle_dots as f64;
            if let Some((dx, dy)) = view.to_dot(&canvas, phi.cos(), phi.sin()) {
                canvas.dot(dx, dy, t.hint, '.');
            }
        }

        // The path x_0 … x_k.
        let style = t.series[self.plane_run.index()];
        let mark = ui.glyphs.series_marks[0].chars().next().unwrap_or('*');
        let k = self.frame().min(run.steps_taken());
        let mut prev: Option<(i32, i32)> = None;
        for x in run.iterates().take(k + 1) {
            if let Some(p) = view.to_dot(&canvas, x[0], x[1]) {
                match prev {
                    Some((px, py)) => canvas.line(px, py, p.0, p.1, style, mark),
                    None => canvas.dot(p.0, p.1, style, mark),
                }
                prev = Some(p);
            }
        }

        let first = |s: &str| s.chars().next().unwrap_or('*');
        if let Some((c, r)) = view
            .to_dot(&canvas, 0.0, 0.0)
            .map(|(dx, dy)| canvas.cell_of(dx, dy))
        {
            canvas.mark_cell(c, r, first(ui.glyphs.series_marks[1]), t.dim);
        }
        if let (Some(x), Some(norm)) = (run.point(k), run.norms.get(k)) {
            // u_k = x_k/‖x_k‖ drawn on the circle, then the iterate itself on top.
            if let Some((dx, dy)) = view.to_dot(&canvas, x[0] / norm, x[1] / norm) {
                let (c, r) = canvas.cell_of(dx, dy);
                canvas.mark_cell(c, r, first(ui.glyphs.series_marks[3]), t.accent);
            }
            if let Some((dx, dy)) = view.to_dot(&canvas, x[0], x[1]) {
                let (c, r) = canvas.cell_of(dx, dy);
                canvas.mark_cell(c, r, first(ui.glyphs.slider_knob), t.cursor);
            }
        }
        // Every minimum on the circle (±v both minimise the Rayleigh quotient), on top.
        if let Some(profile) = &shown.exploration.profile {
            for phi in &profile.minima {
                if let Some((dx, dy)) = view.to_dot(&canvas, phi.cos(), phi.sin()) {
                    let (c, r) = canvas.cell_of(dx, dy);
                    canvas.mark_cell(c, r, first(ui.glyphs.series_marks[2]), t.good);
                }
            }
        }
        canvas.render(plot, buf);

        let g = &ui.glyphs;
        let key = Line::from(vec![
            Span::styled(format!("{} ", g.slider_knob), t.cursor),
            Span::styled("x_k  ", t.hint),
            Span::styled(format!("{} ", g.series_marks[3]), t.accent),
            Span::styled("u_k  ", t.hint),
            Span::styled(format!("{} ", g.series_marks[2]), t.good),
            Span::styled("min  ", t.hint),
            Span::styled(format!("{} ", g.leaf), t.dim),
            Span::styled("high f", t.hint),
        ]);
        let mut text = vec![own(ui, key)];
        for line in warnings.into_iter().take(4) {
            text.push(Line::styled(line, t.bad));
        }
        let used = lines(legend, buf, &text);
        note(below(legend, used), buf, ui, notes::PLANE, self.note_scroll);
    }

    fn render_controls(&self, area: Rect, buf: &mut Buffer, ui: &Ui, compact: bool) {
        let inner = titled(area, buf, ui, "controls", true);
        if inner.width < 4 || inner.height == 0 {
            return;
        }
        let u = ui.glyphs.unicode;
        let values: Vec<(Control, String, f64)> = Control::ALL
            .iter()
            .map(|c| {
                let (value, position) = match c {
                    Control::Function => (
                        self.function.name().to_string(),
                        linear_position(
                            self.function.index() as f64,
                            0.0,
                            (crate::scale::model::Function::ALL.len() - 1) as f64,
                        ),
                    ),
                    Control::Lr => (setting(self.lr), log_position(self.lr, 1e-3, 1.0)),
                    Control::Lambda => (setting(self.lambda), log_position(self.lambda, 1e-2, 1e2)),
                    Control::StartAngle => (
                        format!("{:.1}°", self.start_angle_deg),
                        linear_position(self.start_angle_deg, -180.0, 180.0),
                    ),
                    Control::StartNorm => (
                        setting(self.start_norm),
                        log_position(self.start_norm, NORM_RANGE.0, NORM_RANGE.1),
                    ),
                    Control::WeightDecay => (
                        setting(self.weight_decay),
                        linear_position(
                            DECAY_LADDER.position(self.weight_decay) as f64,
                            0.0,
                            (DECAY_LADDER.0.len() - 1) as f64,
                        ),
                    ),
                    Control::Noise => (
                        setting(self.noise),
                        linear_position(
                            NOISE_LADDER.position(self.noise) as f64,
                            0.0,
                            (NOISE_LADDER.0.len() - 1) as f64,
                        ),
                    ),
                    Control::Steps => (
                        self.steps.to_string(),
                        log_position(self.steps as f64, 50.0, 2000.0),
                    ),
                };
                (*c, spelled(&value, u).into_owned(), position)
            })
            .collect();
        let label_w = 13usize;
        let rows_per_col = if compact {
            inner.height.max(1) as usize
        } else {
            Control::ALL.len()
        };
        let cols = Control::ALL.len().div_ceil(rows_per_col).max(1);
        let col_w = inner.width / cols as u16;
        for (i, (control, value, position)) in values.iter().enumerate() {
            let (col, row) = (i / rows_per_col, i % rows_per_col);
            if row as u16 >= inner.height {
                continue;
            }
            let label = format!("{:<label_w$}", spelled(control.label(), u));
            let slot = Rect::new(
                inner.x + col as u16 * col_w,
                inner.y + row as u16,
                col_w.saturating_sub(1),
                1,
            );
            Slider {
                label: &label,
                value,
                position: *position,
                focused: *control == self.focus,
            }
            .render(slot, buf, ui);
        }
        if !compact && inner.height > Control::ALL.len() as u16 {
            let g = &ui.glyphs;
            let help = format!(
                "{}{} choose  {}{} adjust  [ ] turn, - + scale x₀  space play  < > speed",
                g.up, g.down, g.left, g.right
            );
            let (_, row) = split_v(inner, Control::ALL.len() as u16);
            let help = fit(&spelled(&help, u), usize::from(row.width), u);
            lines(row, buf, &[Line::styled(help, ui.theme.dim)]);
        }
    }

    fn render_scaling(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "3a gradient at λx", false);
        let Some(shown) = &self.shown else {
            return;
        };
        let gs = &shown.exploration.without_decay.grad_scaling;
        let text = [
            readout(
                ui,
                "x = x₀",
                format!("{}   λ = {}", vector(&gs.x), setting(gs.lambda)),
            ),
            readout(
                ui,
                "f(x), f(λx)",
                format!("{}, {}", num(gs.value_at_x), num(gs.value_at_lambda_x)),
            ),
            readout(ui, "∇f(λx) ", vector(&gs.grad_at_lambda_x)),
            readout(ui, "∇f(x)/λ", vector(&gs.grad_over_lambda)),
            readout(ui, "largest |difference|", num(gs.max_abs_diff)),
            readout(ui, "⟨x, ∇f(x)⟩", num(gs.inner_product_x_grad)),
        ];
        let text: Vec<Line> = text.into_iter().map(|l| own(ui, l)).collect();
        let used = fitted_lines(inner, buf, ui, &text);
        note(
            below(inner, used),
            buf,
            ui,
            notes::SCALING,
            self.note_scroll,
        );
    }

    fn render_readouts(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let inner = titled(area, buf, ui, "norm growth and weight decay", false);
        let (Some(shown), Some(run)) = (&self.shown, self.plane()) else {
            return;
        };
        let t = &ui.theme;
        let at = |series: &[f64], k: usize| series.get(k).copied().unwrap_or(f64::NAN);
        let mut text: Vec<Line<'static>> = Vec::new();
        let taken = run.steps_taken();
        if taken > 0 {
            let k = self.frame().min(taken - 1);
            text.push(own(
                ui,
                Line::from(vec![
                    Span::styled(format!("k {k}  ‖x_k‖ "), t.hint),
                    Span::styled(num(at(&run.norms, k)), t.number),
                    Span::styled("  step on circle ", t.hint),
                    Span::styled(num(at(&run.effective_lr, k)), t.number),
                ]),
            ));
            let increment = at(&run.norm_sq_increment, k);
            let predicted = at(&run.grad_norm_sq_times_lr_sq, k);
            let mut growth = readout(ui, "  ‖x_k+1‖² − ‖x_k‖²", num(increment));
            if self.plane_run == PlaneRun::WithDecay {
                growth.push_span(Span::styled("  (decay shrinks x too)", t.dim));
            } else if run.noise > 0.0 {
                growth.push_span(Span::styled("  (noise moves x too)", t.dim));
            } else if increment == 0.0 && predicted > 0.0 {
                growth.push_span(Span::styled("  (below rounding)", t.dim));
            }
            text.push(own(ui, growth));
            text.push(own(ui, readout(ui, "  η²‖∇f(x_k)‖²      ", num(predicted))));
            if inner.height >= 9 {
                text.push(own(
                    ui,
                    readout(ui, "  first-order gap   ", num(at(&run.first_order_gap, k))),
                ));
            }
        } else {
            text.push(Line::styled("no step taken", t.warn));
        }
        let decay_run = &shown.exploration.with_decay;
        if decay_run.weight_decay > 0.0
            && let Some(b) = decay_run.band()
        {
            text.push(own(
                ui,
                Line::from(vec![
                    Span::styled("decay ", t.series[1]),
                    Span::styled("RMS ‖x‖ ", t.hint),
                    Span::styled(num(b.rms_norm), t.number),
                    Span::styled(" vs predicted ", t.hint),
                    Span::styled(num(b.predicted_norm), t.number),
                ]),
            ));
        }
        let used = fitted_lines(inner, buf, ui, &text);
        let story = match &shown.regime {
            Some(regime) => format!(
                "{} {}",
                notes::plain(&shown.exploration.without_decay),
                notes::decay(regime)
            ),
            None => notes::plain(&shown.exploration.without_decay),
        };
        note(below(inner, used), buf, ui, &story, self.note_scroll);
    }

    fn render_chart_grid(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let (top, bottom) = split_v(area, area.height / 2);
        let (a, b) = split_h(top, top.width / 2);
        let (c, d) = split_h(bottom, bottom.width / 2);
        self.render_series_chart(a, buf, ui, SeriesKind::Norm);
        self.render_series_chart(b, buf, ui, SeriesKind::EffectiveStep);
        self.render_series_chart(c, buf, ui, SeriesKind::Gap);
        self.render_sweep(d, buf, ui);
    }

    fn render_series_chart(&self, area: Rect, buf: &mut Buffer, ui: &Ui, kind: SeriesKind) {
        let title = match kind {
            SeriesKind::Norm => "‖x_k‖ over k",
            SeriesKind::EffectiveStep => "effective step over k",
            SeriesKind::Gap => "first-order gap over k",
        };
        let inner = titled(area, buf, ui, title, false);
        let Some(shown) = &self.shown else {
            return;
        };
        let explanation = match kind {
            SeriesKind::Norm => notes::NORM_CHART,
            SeriesKind::EffectiveStep => notes::EFFECTIVE_CHART,
            SeriesKind::Gap => notes::GAP_CHART,
        };
        let inner = with_note(inner, buf, ui, explanation);
        let (data, bounds) = match kind {
            SeriesKind::Norm => (&shown.norms, shown.norm_bounds),
            SeriesKind::EffectiveStep => (&shown.effective, shown.effective_bounds),
            SeriesKind::Gap => (&shown.gaps, shown.gap_bounds),
        };
        // Iterate series reveal x_0 … x_k, step series the steps before k.
        let frame = self.frame();
        let reveal = match kind {
            SeriesKind::Gap => frame,
            _ => frame.saturating_add(1),
        };
        let series = vec![
            Series {
                label: "plain",
                points: &data[0][..reveal.min(data[0].len())],
                index: 0,
            },
            Series {
                label: "decay",
                points: &data[1][..reveal.min(data[1].len())],
                index: 1,
            },
        ];
        let mut chart = LogChart::new(series)
            .x_bounds(0.0, self.steps as f64)
            .x_name("k")
            .cursor_ticks(frame as f64)
            .even_decade_ticks(true)
            .y_scale(match kind {
                SeriesKind::Norm => Scale::Linear,
                _ => Scale::Log10,
            });
        if let Some((lo, hi)) = bounds {
            chart = chart.y_bounds(lo, hi);
        }
        chart.render(inner, buf, ui);
    }

    fn render_sweep(&self, area: Rect, buf: &mut Buffer, ui: &Ui) {
        let slope = self
            .shown
            .as_ref()
            .and_then(|s| s.exploration.without_decay.eta_sweep_slope());
        let title = match slope {
            Some(s) => format!("one-step gap against η: slope {s:.2}"),
            None => "one-step gap against η".to_string(),
        };
        let inner = titled(area, buf, ui, &title, false);
        let Some(shown) = &self.shown else {
            return;
        };
        let inner = with_note(inner, buf, ui, notes::SWEEP_CHART);
        let eta = spelled("η", ui.glyphs.unicode).into_owned();
        let fit_label = match slope {
            Some(s) => format!("fit, slope {s:.2}"),
            None => "no fit (zero gap)".to_string(),
        };
        LogChart::new(vec![
            Series {
                label: "gap",
                points: &shown.sweep,
                index: 0,
            },
            Series {
                label: &fit_label,
                points: &shown.fit,
                index: 2,
            },
        ])
        .x_scale(Scale::Log10)
        .even_decade_ticks(true)
        .y_scale(Scale::Log10)
        .x_name(&eta)
        .render(inner, buf, ui);
    }
}
